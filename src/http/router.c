/*
 * router.c - route look-up over ACCESS_ROUTES: split the path into
 * segments once, then compare with each pattern's segments. Two dozen
 * routes: a linear walk is faster than anything cleverer.
 */
#include "http/router.h"

#include <stdbool.h>
#include <string.h>

#include "util/str.h"

#define SEGMENTS_MAX 16

/* Splits `buf` (a writable copy of the path) at '/' in place. Returns the
 * number of segments, or -1 when the path is not routable. */
static int split(char *buf, char *seg[SEGMENTS_MAX])
{
	int n = 0;
	if (buf[0] != '/')
		return -1;
	char *p = buf + 1;
	for (;;) {
		char *slash = strchr(p, '/');
		if (slash)
			*slash = '\0';
		if (p[0] == '\0' || strcmp(p, ".") == 0 ||
		    strcmp(p, "..") == 0 || n == SEGMENTS_MAX)
			return -1;
		seg[n++] = p;
		if (!slash)
			return n;
		p = slash + 1;
	}
}

/* Compares pattern `pat` with the segments; on a match fills the
 * parameters of `out` (when not NULL). */
static bool pattern_matches(const char *pat, char *const seg[], int n,
                            struct router_match *out)
{
	/* Patterns are static and short; copy to split them. */
	char copy[128];
	char *pseg[SEGMENTS_MAX];
	if (!str_copy(copy, sizeof(copy), pat))
		return false;
	int pn = split(copy, pseg);
	if (pn != n)
		return false;
	size_t n_params = 0;
	for (int i = 0; i < n; i++) {
		size_t len = strlen(pseg[i]);
		if (len > 2 && pseg[i][0] == '{' && pseg[i][len - 1] == '}')
			continue;
		if (strcmp(pseg[i], seg[i]) != 0)
			return false;
	}
	if (!out)
		return true;
	/* Parameter names are the pattern's, found again in the static
	 * pattern so they outlive this function. */
	const char *q = pat;
	for (int i = 0; i < n; i++) {
		q = strchr(q, '/') + 1;
		if (q[0] == '{' && n_params < ROUTER_PARAMS_MAX) {
			out->names[n_params] = q + 1;
			out->values[n_params] = seg[i];
			n_params++;
		}
	}
	out->n_params = n_params;
	return true;
}

enum router_result router_find(const char *method, const char *path, char *buf,
                               size_t size, struct router_match *out)
{
	char *seg[SEGMENTS_MAX];
	memset(out, 0, sizeof(*out));
	if (!path || size < ROUTER_PATH_MAX || !str_copy(buf, size, path) ||
	    strlen(path) >= ROUTER_PATH_MAX)
		return ROUTER_NOT_FOUND;
	int n = split(buf, seg);
	if (n < 0)
		return ROUTER_NOT_FOUND;
	bool path_known = false;
	size_t allow_len = 0;
	for (int r = 0; r < ACCESS_ROUTE__COUNT; r++) {
		const char *pat = access_route_pattern((enum access_route)r);
		if (!pattern_matches(pat, seg, n, NULL))
			continue;
		const char *m = access_route_method((enum access_route)r);
		if (strcmp(m, method) == 0) {
			pattern_matches(pat, seg, n, out);
			out->route = (enum access_route)r;
			return ROUTER_FOUND;
		}
		path_known = true;
		/* The Allow list, without repeats. */
		if (!strstr(out->allow, m) &&
		    str_format(out->allow + allow_len,
		               sizeof(out->allow) - allow_len, "%s%s",
		               allow_len ? ", " : "", m))
			allow_len = strlen(out->allow);
	}
	return path_known ? ROUTER_WRONG_METHOD : ROUTER_NOT_FOUND;
}

const char *router_param(const struct router_match *m, const char *name)
{
	size_t len = strlen(name);
	for (size_t i = 0; i < m->n_params; i++)
		if (strncmp(m->names[i], name, len) == 0 &&
		    m->names[i][len] == '}')
			return m->values[i];
	return NULL;
}
