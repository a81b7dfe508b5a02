/*
 * access.c - the role and route tables of access.h: names, parsing and the
 * one look-up that says whether a role may use a route. Pure data.
 */
#include "core/access.h"

#include <stddef.h>
#include <string.h>

static const char *const role_names[ACCESS_ROLE__COUNT] = {
#define ACCESS_ROLE_NAME(e, n) [ACCESS_ROLE_##e] = n,
	ACCESS_ROLES(ACCESS_ROLE_NAME)
#undef ACCESS_ROLE_NAME
};

struct route {
	const char *name;
	const char *method;
	const char *pattern;
	unsigned roles;
};

static const struct route routes[ACCESS_ROUTE__COUNT] = {
#define ACCESS_ROUTE_ROW(e, m, p, r) [ACCESS_ROUTE_##e] = { #e, m, p, (r) },
	ACCESS_ROUTES(ACCESS_ROUTE_ROW)
#undef ACCESS_ROUTE_ROW
};

const char *access_role_name(enum access_role r)
{
	if ((unsigned)r >= ACCESS_ROLE__COUNT)
		return "unknown";
	return role_names[r];
}

bool access_role_parse(const char *s, enum access_role *out)
{
	if (!s)
		return false;
	for (int i = 0; i < ACCESS_ROLE__COUNT; i++) {
		if (strcmp(s, role_names[i]) == 0) {
			*out = (enum access_role)i;
			return true;
		}
	}
	return false;
}

const char *access_route_method(enum access_route r)
{
	return (unsigned)r < ACCESS_ROUTE__COUNT ? routes[r].method : "";
}

const char *access_route_pattern(enum access_route r)
{
	return (unsigned)r < ACCESS_ROUTE__COUNT ? routes[r].pattern : "";
}

const char *access_route_name(enum access_route r)
{
	return (unsigned)r < ACCESS_ROUTE__COUNT ? routes[r].name : "";
}

bool access_route_public(enum access_route r)
{
	switch (r) {
	case ACCESS_ROUTE_HEALTHZ:
	case ACCESS_ROUTE_READYZ:
	case ACCESS_ROUTE_METRICS:
	case ACCESS_ROUTE_LOGIN: return true;
	default: return false;
	}
}

bool access_allowed(enum access_role role, enum access_route r)
{
	if ((unsigned)role >= ACCESS_ROLE__COUNT ||
	    (unsigned)r >= ACCESS_ROUTE__COUNT)
		return false;
	return (routes[r].roles & (1u << role)) != 0;
}

bool access_route_reads_call(enum access_route r)
{
	switch (r) {
	case ACCESS_ROUTE_CALLS_LIST:
	case ACCESS_ROUTE_CALLS_GET:
	case ACCESS_ROUTE_CALLS_HISTORY:
	case ACCESS_ROUTE_CALLS_DECISION:
	case ACCESS_ROUTE_CALLS_RELATED:
	case ACCESS_ROUTE_CALLS_GRAPH:
	case ACCESS_ROUTE_CALLS_RECOMMEND: /* reads the call's language */
	case ACCESS_ROUTE_EVENTS: return true;
	default: return false;
	}
}

bool access_sealed_visible(enum access_role role)
{
	if ((unsigned)role >= ACCESS_ROLE__COUNT)
		return false;
	return (ACCESS_R_SEALED_READ & (1u << role)) != 0;
}
