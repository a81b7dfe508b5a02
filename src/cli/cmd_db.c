/*
 * cmd_db.c - `htdispatch db check`: verify the database's own structures and
 * that every call's stored state agrees with its history of events.
 */
#include <jansson.h>
#include <stdio.h>

#include "cli/cli.h"
#include "util/clock.h"
#include "util/str.h"

const char cli_usage_db[] =
    "usage: htdispatch db check [--db PATH] [--json]\n"
    "\n"
    "Checks the database file's integrity, then replays every call's\n"
    "events and compares the result with the call's stored state. Run it\n"
    "after a crash, a restore or a disk problem. It changes nothing\n"
    "(beyond bringing an older schema up to date, as every command does).\n"
    "\n"
    "Exit status: 0 all is consistent, 1 a problem was found (named in\n"
    "the message) or the database could not be read, 2 usage error.\n";

/* db check: every call's events replayed against its projection. */
static int act_check(struct cli *cli, size_t action, int argc, char **argv)
{
	(void)action; /* check is the only one */
	int code, c;
	while ((c = cli_getopt(cli, argc, argv, "", NULL, &code)) != -1)
		if (c == -2)
			return code;
	if (optind < argc)
		return cli_usage_error(cli, "unexpected argument '%s'",
		                       argv[optind]);

	struct store *store = NULL;
	struct htd_error err;
	htd_error_clear(&err);
	if (cli_open_store(cli, false, &store, &err) != HTD_OK)
		return cli_fail(cli, &err);
	struct service svc = { .store = store, .clock = clock_system() };
	long checked = 0;
	enum htd_err rc = store_integrity_check(store, &err);
	if (rc == HTD_OK)
		rc = calls_verify_all(&svc, &checked, &err);
	int version = store_schema_version(store);
	store_close(store);
	if (rc != HTD_OK)
		return cli_fail(cli, &err);
	if (cli->json) {
		json_t *o = json_pack("{s:b,s:i,s:I,s:s}", "ok", 1, "schema",
		                      version, "calls_verified",
		                      (json_int_t)checked, "db", cli->db_path);
		json_dumpf(o, stdout, JSON_COMPACT);
		fputc('\n', stdout);
		json_decref(o);
	} else {
		printf("ok: %s is consistent (schema version %d; %ld calls "
		       "verified against their events)\n",
		       cli->db_path, version, checked);
	}
	return CLI_EXIT_OK;
}

int cli_cmd_db(struct cli *cli, int argc, char **argv)
{
	static const char *const names[] = { "check" };
	return cli_run_action(cli, "db", cli_usage_db, names, 1, argc, argv,
	                      act_check);
}
