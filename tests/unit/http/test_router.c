/*
 * test_router.c - the router of src/http: every route of core/access.h is
 * found from its own pattern, parameters come out by name, a known path
 * with another method gives its Allow list, and paths that are not routes
 * (empty, ".", "..", too long, trailing slash) are not found.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "http/router.h"
#include "util/str.h"

Test(http_router, every_route_is_found_from_its_pattern)
{
	for (int r = 0; r < ACCESS_ROUTE__COUNT; r++) {
		char path[256], buf[ROUTER_PATH_MAX];
		struct router_match m;
		const char *p = access_route_pattern((enum access_route)r);
		size_t o = 0;
		/* Fill every {param} with "x1". */
		for (size_t i = 0; p[i] && o + 3 < sizeof(path); i++) {
			if (p[i] == '{') {
				while (p[i] && p[i] != '}')
					i++;
				path[o++] = 'x';
				path[o++] = '1';
				continue;
			}
			path[o++] = p[i];
		}
		path[o] = '\0';
		enum router_result res =
		    router_find(access_route_method((enum access_route)r), path,
		                buf, sizeof(buf), &m);
		cr_assert_eq(res, ROUTER_FOUND, "%s %s", p, path);
		cr_assert_eq(m.route, r, "%s", p);
	}
}

Test(http_router, parameters_by_name)
{
	char buf[ROUTER_PATH_MAX];
	struct router_match m;
	cr_assert_eq(router_find("PUT",
	                         "/api/v1/calls/HT-2026-000001/answers/"
	                         "free_to_leave",
	                         buf, sizeof(buf), &m),
	             ROUTER_FOUND);
	cr_assert_eq(m.route, ACCESS_ROUTE_CALLS_ANSWER);
	cr_assert_str_eq(router_param(&m, "id"), "HT-2026-000001");
	cr_assert_str_eq(router_param(&m, "qid"), "free_to_leave");
	cr_assert_null(router_param(&m, "i"));
	cr_assert_null(router_param(&m, "action"));
}

Test(http_router, wrong_method_lists_the_allowed_ones)
{
	char buf[ROUTER_PATH_MAX];
	struct router_match m;
	cr_assert_eq(
	    router_find("DELETE", "/api/v1/calls", buf, sizeof(buf), &m),
	    ROUTER_WRONG_METHOD);
	cr_assert_str_eq(m.allow, "POST, GET");
	cr_assert_eq(router_find("PUT", "/api/v1/sessions/current", buf,
	                         sizeof(buf), &m),
	             ROUTER_WRONG_METHOD);
	cr_assert_str_eq(m.allow, "DELETE, GET");
	cr_assert_eq(router_find("HEAD", "/healthz", buf, sizeof(buf), &m),
	             ROUTER_WRONG_METHOD);
}

Test(http_router, not_routes)
{
	static const char *const paths[] = {
		"",
		"healthz",
		"/",
		"/nothing",
		"/healthz/",
		"/api/v1//calls",
		"/api/v1/calls/",
		"/api/v1/calls/..",
		"/api/v1/calls/./events",
		"/api/v1/../healthz",
		"/api/v1/calls/a/b/c/d/e",
		"/api/v2/calls",
	};
	char buf[ROUTER_PATH_MAX];
	struct router_match m;
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		cr_assert_eq(router_find("GET", paths[i], buf, sizeof(buf), &m),
		             ROUTER_NOT_FOUND, "%s", paths[i]);
	char longp[ROUTER_PATH_MAX + 16] = "/api/v1/calls/";
	memset(longp + strlen(longp), 'a', ROUTER_PATH_MAX);
	longp[sizeof(longp) - 1] = '\0';
	cr_assert_eq(router_find("GET", longp, buf, sizeof(buf), &m),
	             ROUTER_NOT_FOUND);
	cr_assert_eq(router_find("GET", "/healthz", buf, 8, &m),
	             ROUTER_NOT_FOUND, "a buffer too small is refused");
}
