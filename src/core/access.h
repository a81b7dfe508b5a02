/*
 * access.h - who may do what: the roles of htdispatch and the one table
 * that says which roles may use which route of the API (and which CLI
 * actions act as which route). Pure data and a look-up; tested
 * exhaustively (every role against every route).
 *
 * Roles (issue [api]; CJIS practice: least privilege): a call-taker takes
 * calls; a dispatcher also overrides and marks actions; a supervisor sees
 * and overrides everything on calls; the investigator is the trafficking
 * point of contact; records staff manage records and read calls; an
 * auditor reads the audit log and calls but changes nothing; an admin
 * manages users and configuration but does not read calls.
 */
#ifndef HTD_CORE_ACCESS_H
#define HTD_CORE_ACCESS_H

#include <stdbool.h>

/* X(ENUM, name) */
#define ACCESS_ROLES(X)                 \
	X(CALLTAKER, "calltaker")       \
	X(DISPATCHER, "dispatcher")     \
	X(SUPERVISOR, "supervisor")     \
	X(INVESTIGATOR, "investigator") \
	X(RECORDS, "records")           \
	X(AUDITOR, "auditor")           \
	X(ADMIN, "admin")

enum access_role {
/* An X-macro expansion is a list: */
/* clang-format off */
#define ACCESS_ROLE_ENUM(e, n) ACCESS_ROLE_##e,
	ACCESS_ROLES(ACCESS_ROLE_ENUM)
#undef ACCESS_ROLE_ENUM
	ACCESS_ROLE__COUNT
	/* clang-format on */
};

const char *access_role_name(enum access_role r);
bool access_role_parse(const char *s, enum access_role *out);

/*
 * The routes: X(ENUM, method, path pattern, roles allowed). `{id}` in a
 * pattern is one path segment. The bit set of roles is built from the
 * ACCESS_R_* masks below. Public routes (login, health) allow every role
 * and are marked public in access_route_public().
 */
#define ACCESS_R(role) (1u << ACCESS_ROLE_##role)
#define ACCESS_R_CALLS_READ                                                  \
	(ACCESS_R(CALLTAKER) | ACCESS_R(DISPATCHER) | ACCESS_R(SUPERVISOR) | \
	 ACCESS_R(INVESTIGATOR) | ACCESS_R(RECORDS) | ACCESS_R(AUDITOR))
#define ACCESS_R_CALLS_TAKE \
	(ACCESS_R(CALLTAKER) | ACCESS_R(DISPATCHER) | ACCESS_R(SUPERVISOR))
#define ACCESS_R_CALLS_DECIDE (ACCESS_R(DISPATCHER) | ACCESS_R(SUPERVISOR))
#define ACCESS_R_CONFIG_READ                                                 \
	(ACCESS_R(CALLTAKER) | ACCESS_R(DISPATCHER) | ACCESS_R(SUPERVISOR) | \
	 ACCESS_R(INVESTIGATOR) | ACCESS_R(RECORDS) | ACCESS_R(AUDITOR) |    \
	 ACCESS_R(ADMIN))
#define ACCESS_R_ALL ((1u << ACCESS_ROLE__COUNT) - 1)
#define ACCESS_R_USERS (ACCESS_R(ADMIN))
#define ACCESS_R_AUDIT (ACCESS_R(AUDITOR) | ACCESS_R(ADMIN))
/* Units: those who take, decide on or follow calls see the board; the
 * dispatchers and supervisors manage it and send units. The admin manages
 * configuration, not operations: it neither sees nor moves units. */
#define ACCESS_R_UNITS_READ                                                  \
	(ACCESS_R(CALLTAKER) | ACCESS_R(DISPATCHER) | ACCESS_R(SUPERVISOR) | \
	 ACCESS_R(INVESTIGATOR))
#define ACCESS_R_UNITS_MANAGE (ACCESS_R(DISPATCHER) | ACCESS_R(SUPERVISOR))
/* The notification board: the supervisor watches it (a failed delivery is
 * raised there); the admin fixes the targets it shows failing. */
#define ACCESS_R_OUTBOX (ACCESS_R(SUPERVISOR) | ACCESS_R(ADMIN))
/* Records search (NENA step 7): those who take, decide on or follow
 * calls, and the records staff. Sealed records only to the investigators
 * and the records staff, who work under the order that sealed them; never
 * to the admin, who manages configuration, not data. */
#define ACCESS_R_RECORDS_SEARCH                                              \
	(ACCESS_R(CALLTAKER) | ACCESS_R(DISPATCHER) | ACCESS_R(SUPERVISOR) | \
	 ACCESS_R(INVESTIGATOR) | ACCESS_R(RECORDS))
#define ACCESS_R_SEALED_READ (ACCESS_R(INVESTIGATOR) | ACCESS_R(RECORDS))
/* Confirming or rejecting a call's related record: the dispatchers and
 * supervisors who work the call, and the investigators. */
#define ACCESS_R_RECORDS_LINK \
	(ACCESS_R(DISPATCHER) | ACCESS_R(SUPERVISOR) | ACCESS_R(INVESTIGATOR))

#define ACCESS_ROUTES(X)                                                       \
	X(HEALTHZ, "GET", "/healthz", ACCESS_R_ALL)                            \
	X(READYZ, "GET", "/readyz", ACCESS_R_ALL)                              \
	X(METRICS, "GET", "/metrics", ACCESS_R_ALL)                            \
	X(LOGIN, "POST", "/api/v1/sessions", ACCESS_R_ALL)                     \
	X(LOGOUT, "DELETE", "/api/v1/sessions/current", ACCESS_R_ALL)          \
	X(WHOAMI, "GET", "/api/v1/sessions/current", ACCESS_R_ALL)             \
	X(CALLS_OPEN, "POST", "/api/v1/calls", ACCESS_R_CALLS_TAKE)            \
	X(CALLS_LIST, "GET", "/api/v1/calls", ACCESS_R_CALLS_READ)             \
	X(CALLS_GET, "GET", "/api/v1/calls/{id}", ACCESS_R_CALLS_READ)         \
	X(CALLS_HISTORY, "GET", "/api/v1/calls/{id}/events",                   \
	  ACCESS_R_CALLS_READ)                                                 \
	X(CALLS_NOTE, "POST", "/api/v1/calls/{id}/notes",                      \
	  ACCESS_R_CALLS_TAKE | ACCESS_R(INVESTIGATOR))                        \
	X(CALLS_ANSWER, "PUT", "/api/v1/calls/{id}/answers/{qid}",             \
	  ACCESS_R_CALLS_TAKE)                                                 \
	X(CALLS_DECISION, "GET", "/api/v1/calls/{id}/decision",                \
	  ACCESS_R_CALLS_READ)                                                 \
	X(CALLS_OVERRIDE, "POST", "/api/v1/calls/{id}/override",               \
	  ACCESS_R_CALLS_DECIDE)                                               \
	X(CALLS_MARK, "POST", "/api/v1/calls/{id}/actions/{action}",           \
	  ACCESS_R_CALLS_DECIDE)                                               \
	X(CALLS_CLOSE, "POST", "/api/v1/calls/{id}/close",                     \
	  ACCESS_R_CALLS_TAKE)                                                 \
	X(ASSESS, "POST", "/api/v1/assess", ACCESS_R_CALLS_READ)               \
	X(PROTOCOL_GET, "GET", "/api/v1/protocol", ACCESS_R_CONFIG_READ)       \
	X(POLICY_GET, "GET", "/api/v1/policy", ACCESS_R_CONFIG_READ)           \
	X(LEXICON_GET, "GET", "/api/v1/lexicon", ACCESS_R_CONFIG_READ)         \
	X(USERS_LIST, "GET", "/api/v1/users", ACCESS_R_USERS)                  \
	X(USERS_ADD, "POST", "/api/v1/users", ACCESS_R_USERS)                  \
	X(USERS_UPDATE, "PATCH", "/api/v1/users/{username}", ACCESS_R_USERS)   \
	X(AUDIT_LIST, "GET", "/api/v1/audit", ACCESS_R_AUDIT)                  \
	X(EVENTS, "GET", "/api/v1/events", ACCESS_R_CALLS_READ)                \
	X(SEARCH, "POST", "/api/v1/search", ACCESS_R_RECORDS_SEARCH)           \
	X(CALLS_RELATED, "GET", "/api/v1/calls/{id}/related",                  \
	  ACCESS_R_CALLS_READ)                                                 \
	X(CALLS_LINK, "POST", "/api/v1/calls/{id}/related/{record}",           \
	  ACCESS_R_RECORDS_LINK)                                               \
	X(CALLS_GRAPH, "GET", "/api/v1/calls/{id}/graph", ACCESS_R_CALLS_READ) \
	X(UNITS_LIST, "GET", "/api/v1/units", ACCESS_R_UNITS_READ)             \
	X(UNITS_ADD, "POST", "/api/v1/units", ACCESS_R_UNITS_MANAGE)           \
	X(UNITS_GET, "GET", "/api/v1/units/{callsign}", ACCESS_R_UNITS_READ)   \
	X(UNITS_UPDATE, "PATCH", "/api/v1/units/{callsign}",                   \
	  ACCESS_R_UNITS_MANAGE)                                               \
	X(UNITS_POSITION, "PUT", "/api/v1/units/{callsign}/position",          \
	  ACCESS_R_UNITS_MANAGE)                                               \
	X(CALLS_RECOMMEND, "GET", "/api/v1/calls/{id}/recommendation",         \
	  ACCESS_R_CALLS_TAKE)                                                 \
	X(CALLS_DISPATCH, "POST", "/api/v1/calls/{id}/dispatch",               \
	  ACCESS_R_CALLS_DECIDE)                                               \
	X(OUTBOX_LIST, "GET", "/api/v1/outbox", ACCESS_R_OUTBOX)               \
	X(CALLS_TASK_CONFIRM, "POST",                                          \
	  "/api/v1/calls/{id}/tasks/{key}/confirm", ACCESS_R_CALLS_TAKE)       \
	X(RECORDS_GET, "GET", "/api/v1/records/{id}", ACCESS_R_RECORDS_SEARCH)

enum access_route {
/* An X-macro expansion is a list: */
/* clang-format off */
#define ACCESS_ROUTE_ENUM(e, m, p, r) ACCESS_ROUTE_##e,
	ACCESS_ROUTES(ACCESS_ROUTE_ENUM)
#undef ACCESS_ROUTE_ENUM
	ACCESS_ROUTE__COUNT
	/* clang-format on */
};

/* The route's method, pattern and enum name ("CALLS_GET"); static. */
const char *access_route_method(enum access_route r);
const char *access_route_pattern(enum access_route r);
const char *access_route_name(enum access_route r);

/* True for routes that need no session: health, readiness, metrics and
 * login. (Metrics carry no call data: counts only.) */
bool access_route_public(enum access_route r);

/* True when `role` may use route `r`. */
bool access_allowed(enum access_role role, enum access_route r);

/* True when `role` may see sealed records (ACCESS_R_SEALED_READ). */
bool access_sealed_visible(enum access_role role);

/* True for the routes that read a call (every one is audited). */
bool access_route_reads_call(enum access_route r);

#endif
