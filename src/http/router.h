/*
 * router.h - finds the route of a request in the one route table,
 * ACCESS_ROUTES (core/access.h), so the router, the access rules and the
 * API document cannot disagree. A pattern segment `{name}` matches one
 * non-empty path segment; everything else matches exactly.
 *
 * Pure: no I/O, no allocation. Parameters point into a copy of the path
 * the caller provides.
 */
#ifndef HTD_HTTP_ROUTER_H
#define HTD_HTTP_ROUTER_H

#include <stddef.h>

#include "core/access.h"

/* Longest path routed; a longer one is not found. */
#define ROUTER_PATH_MAX 512
/* Most `{name}` parameters in one pattern. */
#define ROUTER_PARAMS_MAX 4

enum router_result {
	ROUTER_FOUND,        /* method and path match a route */
	ROUTER_NOT_FOUND,    /* no route has this path */
	ROUTER_WRONG_METHOD, /* the path exists with other methods */
};

struct router_match {
	enum access_route route; /* ROUTER_FOUND only */
	size_t n_params;
	/* Each name points into the static pattern and ends at its '}':
	 * look values up with router_param(). */
	const char *names[ROUTER_PARAMS_MAX];
	const char *values[ROUTER_PARAMS_MAX]; /* into the caller's buffer */
	/* ROUTER_WRONG_METHOD: the methods the path takes, as an Allow
	 * header value ("GET, POST"). */
	char allow[64];
};

/*
 * Matches `method` and `path` (no query string) against the table. `buf`
 * (at least ROUTER_PATH_MAX bytes) receives a copy of the path that the
 * parameter values point into. A path with an empty segment ("//", a
 * trailing "/"), a "." or ".." segment, or longer than ROUTER_PATH_MAX is
 * not found. Never fails otherwise.
 */
enum router_result router_find(const char *method, const char *path, char *buf,
                               size_t size, struct router_match *out);

/* Returns the value of parameter `name`, or NULL. */
const char *router_param(const struct router_match *m, const char *name);

#endif
