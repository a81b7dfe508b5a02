/*
 * api_table.c - prints the route table of core/access.h for the API
 * integration tests (api.sh): one line per route,
 *   NAME METHOD PATTERN PUBLIC ROLE:0|1 ROLE:0|1 ...
 * so the role x route matrix over HTTP is checked against the one table
 * the server is built from, not against a copy.
 */
#include <stdio.h>

#include "core/access.h"

int main(void)
{
	for (int r = 0; r < ACCESS_ROUTE__COUNT; r++) {
		enum access_route route = (enum access_route)r;
		printf("%s %s %s %d", access_route_name(route),
		       access_route_method(route), access_route_pattern(route),
		       access_route_public(route) ? 1 : 0);
		for (int role = 0; role < ACCESS_ROLE__COUNT; role++)
			printf(
			    " %s:%d", access_role_name((enum access_role)role),
			    access_allowed((enum access_role)role, route) ? 1
			                                                  : 0);
		printf("\n");
	}
	return 0;
}
