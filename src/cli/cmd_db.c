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

int cli_cmd_db(struct cli *cli, int argc, char **argv)
{
	if (argc < 2)
		return cli_usage_error(cli, "which action? check");
	if (str_eq(argv[1], "--help") || str_eq(argv[1], "-h")) {
		fputs(cli_usage_db, stdout);
		return CLI_EXIT_OK;
	}
	if (!str_eq(argv[1], "check"))
		return cli_usage_error(cli, "no action '%s'; use check",
		                       argv[1]);
	cli->command = "db check";
	int code, c;
	cli_getopt_reset();
	while ((c = cli_getopt(cli, argc - 1, argv + 1, "", NULL, &code)) != -1)
		if (c == -2)
			return code;
	if (optind < argc - 1)
		return cli_usage_error(cli, "unexpected argument '%s'",
		                       argv[optind + 1]);

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
