/*
 * test_access.c - the access table of core/access.h, checked in full: every
 * role against every route, from a grid written out here by hand, so that
 * a change to access.h must be made again, on purpose, in this file. Then
 * the invariants the grid must keep whatever it says.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "core/access.h"

/* Columns: calltaker, dispatcher, supervisor, investigator, records,
 * auditor, admin. */
static const struct {
	const char *name;
	const char *method;
	const char *pattern;
	int public_route;
	int reads_call;
	int allowed[ACCESS_ROLE__COUNT];
} grid[] = {
	/* The grid is read by people: keep it a grid. */
	/* clang-format off */
/*  route             method    pattern                               pub call  CT DI SU IN RE AU AD */
  { "HEALTHZ",        "GET",    "/healthz",                            1, 0, { 1, 1, 1, 1, 1, 1, 1 } },
  { "READYZ",         "GET",    "/readyz",                             1, 0, { 1, 1, 1, 1, 1, 1, 1 } },
  { "METRICS",        "GET",    "/metrics",                            1, 0, { 1, 1, 1, 1, 1, 1, 1 } },
  { "LOGIN",          "POST",   "/api/v1/sessions",                    1, 0, { 1, 1, 1, 1, 1, 1, 1 } },
  { "LOGOUT",         "DELETE", "/api/v1/sessions/current",            0, 0, { 1, 1, 1, 1, 1, 1, 1 } },
  { "WHOAMI",         "GET",    "/api/v1/sessions/current",            0, 0, { 1, 1, 1, 1, 1, 1, 1 } },
  { "CALLS_OPEN",     "POST",   "/api/v1/calls",                       0, 0, { 1, 1, 1, 0, 0, 0, 0 } },
  { "CALLS_LIST",     "GET",    "/api/v1/calls",                       0, 1, { 1, 1, 1, 1, 1, 1, 0 } },
  { "CALLS_GET",      "GET",    "/api/v1/calls/{id}",                  0, 1, { 1, 1, 1, 1, 1, 1, 0 } },
  { "CALLS_HISTORY",  "GET",    "/api/v1/calls/{id}/events",           0, 1, { 1, 1, 1, 1, 1, 1, 0 } },
  { "CALLS_NOTE",     "POST",   "/api/v1/calls/{id}/notes",            0, 0, { 1, 1, 1, 1, 0, 0, 0 } },
  { "CALLS_ANSWER",   "PUT",    "/api/v1/calls/{id}/answers/{qid}",    0, 0, { 1, 1, 1, 0, 0, 0, 0 } },
  { "CALLS_DECISION", "GET",    "/api/v1/calls/{id}/decision",         0, 1, { 1, 1, 1, 1, 1, 1, 0 } },
  { "CALLS_OVERRIDE", "POST",   "/api/v1/calls/{id}/override",         0, 0, { 0, 1, 1, 0, 0, 0, 0 } },
  { "CALLS_MARK",     "POST",   "/api/v1/calls/{id}/actions/{action}", 0, 0, { 0, 1, 1, 0, 0, 0, 0 } },
  { "CALLS_CLOSE",    "POST",   "/api/v1/calls/{id}/close",            0, 0, { 1, 1, 1, 0, 0, 0, 0 } },
  { "ASSESS",         "POST",   "/api/v1/assess",                      0, 0, { 1, 1, 1, 1, 1, 1, 0 } },
  { "PROTOCOL_GET",   "GET",    "/api/v1/protocol",                    0, 0, { 1, 1, 1, 1, 1, 1, 1 } },
  { "POLICY_GET",     "GET",    "/api/v1/policy",                      0, 0, { 1, 1, 1, 1, 1, 1, 1 } },
  { "LEXICON_GET",    "GET",    "/api/v1/lexicon",                     0, 0, { 1, 1, 1, 1, 1, 1, 1 } },
  { "USERS_LIST",     "GET",    "/api/v1/users",                       0, 0, { 0, 0, 0, 0, 0, 0, 1 } },
  { "USERS_ADD",      "POST",   "/api/v1/users",                       0, 0, { 0, 0, 0, 0, 0, 0, 1 } },
  { "USERS_UPDATE",   "PATCH",  "/api/v1/users/{username}",            0, 0, { 0, 0, 0, 0, 0, 0, 1 } },
  { "AUDIT_LIST",     "GET",    "/api/v1/audit",                       0, 0, { 0, 0, 0, 0, 0, 1, 1 } },
  { "EVENTS",         "GET",    "/api/v1/events",                      0, 1, { 1, 1, 1, 1, 1, 1, 0 } },
  { "SEARCH",         "POST",   "/api/v1/search",                      0, 0, { 1, 1, 1, 1, 1, 0, 0 } },
  { "CALLS_RELATED",  "GET",    "/api/v1/calls/{id}/related",          0, 1, { 1, 1, 1, 1, 1, 1, 0 } },
  { "CALLS_LINK",     "POST",   "/api/v1/calls/{id}/related/{record}", 0, 0, { 0, 1, 1, 1, 0, 0, 0 } },
  { "CALLS_GRAPH",    "GET",    "/api/v1/calls/{id}/graph",            0, 1, { 1, 1, 1, 1, 1, 1, 0 } },
  { "UNITS_LIST",     "GET",    "/api/v1/units",                       0, 0, { 1, 1, 1, 1, 0, 0, 0 } },
  { "UNITS_ADD",      "POST",   "/api/v1/units",                       0, 0, { 0, 1, 1, 0, 0, 0, 0 } },
  { "UNITS_GET",      "GET",    "/api/v1/units/{callsign}",            0, 0, { 1, 1, 1, 1, 0, 0, 0 } },
  { "UNITS_UPDATE",   "PATCH",  "/api/v1/units/{callsign}",            0, 0, { 0, 1, 1, 0, 0, 0, 0 } },
  { "UNITS_POSITION", "PUT",    "/api/v1/units/{callsign}/position",   0, 0, { 0, 1, 1, 0, 0, 0, 0 } },
  { "CALLS_RECOMMEND","GET",    "/api/v1/calls/{id}/recommendation",   0, 1, { 1, 1, 1, 0, 0, 0, 0 } },
  { "CALLS_DISPATCH", "POST",   "/api/v1/calls/{id}/dispatch",         0, 0, { 0, 1, 1, 0, 0, 0, 0 } },
  { "OUTBOX_LIST",    "GET",    "/api/v1/outbox",                      0, 0, { 0, 0, 1, 0, 0, 0, 1 } },
  { "CALLS_TASK_CONFIRM", "POST", "/api/v1/calls/{id}/tasks/{key}/confirm", 0, 0, { 1, 1, 1, 0, 0, 0, 0 } },
  { "RECORDS_GET",    "GET",    "/api/v1/records/{id}",                0, 0, { 1, 1, 1, 1, 1, 0, 0 } },
	/* clang-format on */
};

#define GRID_ROWS (sizeof(grid) / sizeof(grid[0]))

static const char *const role_order[ACCESS_ROLE__COUNT] = {
	"calltaker", "dispatcher", "supervisor", "investigator",
	"records",   "auditor",    "admin",
};

Test(core_access, the_grid_has_one_row_per_route_in_order)
{
	cr_assert_eq(GRID_ROWS, ACCESS_ROUTE__COUNT,
	             "access.h has %d routes, the grid %zu: update the grid",
	             ACCESS_ROUTE__COUNT, GRID_ROWS);
	for (size_t i = 0; i < GRID_ROWS; i++) {
		enum access_route r = (enum access_route)i;
		cr_assert_str_eq(access_route_name(r), grid[i].name);
		cr_assert_str_eq(access_route_method(r), grid[i].method, "%s",
		                 grid[i].name);
		cr_assert_str_eq(access_route_pattern(r), grid[i].pattern, "%s",
		                 grid[i].name);
	}
}

Test(core_access, every_role_against_every_route)
{
	for (size_t i = 0; i < GRID_ROWS; i++) {
		for (int role = 0; role < ACCESS_ROLE__COUNT; role++) {
			bool want = grid[i].allowed[role] != 0;
			bool got = access_allowed((enum access_role)role,
			                          (enum access_route)i);
			cr_assert_eq(got, want, "%s %s: %s, want %s",
			             role_order[role], grid[i].name,
			             got ? "allowed" : "refused",
			             want ? "allowed" : "refused");
		}
	}
}

Test(core_access, public_and_call_reading_routes)
{
	for (size_t i = 0; i < GRID_ROWS; i++) {
		enum access_route r = (enum access_route)i;
		cr_assert_eq(access_route_public(r), grid[i].public_route != 0,
		             "%s", grid[i].name);
		cr_assert_eq(access_route_reads_call(r),
		             grid[i].reads_call != 0, "%s", grid[i].name);
	}
}

Test(core_access, sealed_records_only_to_investigators_and_records_staff)
{
	static const int want[ACCESS_ROLE__COUNT] = { 0, 0, 0, 1, 1, 0, 0 };
	for (int role = 0; role < ACCESS_ROLE__COUNT; role++)
		cr_assert_eq(access_sealed_visible((enum access_role)role),
		             want[role] != 0, "%s",
		             access_role_name((enum access_role)role));
	cr_assert(!access_sealed_visible(ACCESS_ROLE__COUNT));
}

Test(core_access, role_names_round_trip)
{
	cr_assert_eq(ACCESS_ROLE__COUNT, 7);
	for (int i = 0; i < ACCESS_ROLE__COUNT; i++) {
		enum access_role r;
		cr_assert_str_eq(access_role_name((enum access_role)i),
		                 role_order[i]);
		cr_assert(access_role_parse(role_order[i], &r));
		cr_assert_eq(r, (enum access_role)i);
	}
	enum access_role r = ACCESS_ROLE_ADMIN;
	cr_assert_not(access_role_parse("Admin", &r));
	cr_assert_not(access_role_parse("", &r));
	cr_assert_not(access_role_parse(NULL, &r));
	cr_assert_not(access_role_parse("root", &r));
	cr_assert_eq(r, ACCESS_ROLE_ADMIN, "untouched on failure");
	cr_assert_str_eq(access_role_name(ACCESS_ROLE__COUNT), "unknown");
	cr_assert_not(access_allowed(ACCESS_ROLE__COUNT, ACCESS_ROUTE_HEALTHZ));
	cr_assert_not(access_allowed(ACCESS_ROLE_ADMIN, ACCESS_ROUTE__COUNT));
}

/* Least privilege: the admin manages users and configuration but never
 * sees a call (nor any route that carries call data). */
Test(core_access, admin_cannot_read_calls)
{
	for (int i = 0; i < ACCESS_ROUTE__COUNT; i++) {
		enum access_route r = (enum access_route)i;
		if (access_route_reads_call(r))
			cr_assert_not(access_allowed(ACCESS_ROLE_ADMIN, r),
			              "admin may use %s", access_route_name(r));
	}
	cr_assert_not(access_allowed(ACCESS_ROLE_ADMIN, ACCESS_ROUTE_ASSESS));
	cr_assert(access_allowed(ACCESS_ROLE_ADMIN, ACCESS_ROUTE_USERS_ADD));
}

/* The auditor reads everything it must review and changes nothing: every
 * route it may use is a GET (or its own login and logout). */
Test(core_access, auditor_cannot_change_calls)
{
	for (int i = 0; i < ACCESS_ROUTE__COUNT; i++) {
		enum access_route r = (enum access_route)i;
		if (!access_allowed(ACCESS_ROLE_AUDITOR, r))
			continue;
		bool read = strcmp(access_route_method(r), "GET") == 0;
		bool session = r == ACCESS_ROUTE_LOGIN ||
		               r == ACCESS_ROUTE_LOGOUT ||
		               r == ACCESS_ROUTE_ASSESS; /* stores nothing */
		cr_assert(read || session, "auditor may use %s %s",
		          access_route_method(r), access_route_pattern(r));
	}
	cr_assert(access_allowed(ACCESS_ROLE_AUDITOR, ACCESS_ROUTE_CALLS_GET));
	cr_assert(access_allowed(ACCESS_ROLE_AUDITOR, ACCESS_ROUTE_AUDIT_LIST));
}

/* Health, readiness, metrics and login are the only doors without a
 * session; a route meant for everyone logged in is not thereby public. */
Test(core_access, every_other_route_needs_a_session)
{
	int public_count = 0;
	for (int i = 0; i < ACCESS_ROUTE__COUNT; i++) {
		enum access_route r = (enum access_route)i;
		if (!access_route_public(r))
			continue;
		public_count++;
		cr_assert_not(access_route_reads_call(r), "%s",
		              access_route_name(r));
		cr_assert(
		    r == ACCESS_ROUTE_HEALTHZ || r == ACCESS_ROUTE_READYZ ||
		        r == ACCESS_ROUTE_METRICS || r == ACCESS_ROUTE_LOGIN,
		    "%s is public", access_route_name(r));
	}
	cr_assert_eq(public_count, 4);
	cr_assert_not(access_route_public(ACCESS_ROUTE_WHOAMI));
	cr_assert_not(access_route_public(ACCESS_ROUTE_LOGOUT));
}

/* Only those who take or decide calls change them. */
Test(core_access, records_and_investigators_do_not_decide)
{
	static const enum access_route decide[] = {
		ACCESS_ROUTE_CALLS_OVERRIDE,
		ACCESS_ROUTE_CALLS_MARK,
		ACCESS_ROUTE_CALLS_DISPATCH,
	};
	for (size_t i = 0; i < 3; i++) {
		cr_assert_not(access_allowed(ACCESS_ROLE_CALLTAKER, decide[i]));
		cr_assert_not(
		    access_allowed(ACCESS_ROLE_INVESTIGATOR, decide[i]));
		cr_assert_not(access_allowed(ACCESS_ROLE_RECORDS, decide[i]));
		cr_assert(access_allowed(ACCESS_ROLE_SUPERVISOR, decide[i]));
	}
}
