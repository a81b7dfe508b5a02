/*
 * cmd_init.c - `htdispatch init`: create (or upgrade) the database and print
 * a short guide for a newcomer.
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "util/str.h"

const char cli_usage_init[] =
    "usage: htdispatch init [--db PATH] [--json]\n"
    "\n"
    "Creates the htdispatch database, or brings an existing one up to this\n"
    "version's schema. Without --db (or $HTDISPATCH_DB) the database is\n"
    "" CLI_DEFAULT_DB ", and ./var/ is created when missing (mode 0700:\n"
    "the database holds victim information). Running it again is safe.\n"
    "\n"
    "Exit status: 0 success, 1 failure, 2 usage error.\n";

/* Creates ./var for the default database; other parents must exist. */
static int make_default_dir(struct cli *cli)
{
	if (cli->db_given)
		return CLI_EXIT_OK;
	if (mkdir("./var", 0700) == 0 || errno == EEXIST)
		return CLI_EXIT_OK;
	struct htd_error err;
	htd_error_set(&err,
	              errno == EROFS || errno == EACCES ? HTD_ERR_READONLY
	                                                : HTD_ERR_IO,
	              "cannot create ./var: %s", strerror(errno));
	return cli_fail(cli, &err);
}

int cli_cmd_init(struct cli *cli, int argc, char **argv)
{
	int code, c;
	while ((c = cli_getopt(cli, argc, argv, "", NULL, &code)) != -1)
		if (c == -2)
			return code;
	if (optind < argc)
		return cli_usage_error(cli, "unexpected argument '%s'",
		                       argv[optind]);
	code = make_default_dir(cli);
	if (code != CLI_EXIT_OK)
		return code;

	struct stat sb;
	bool existed = stat(cli->db_path, &sb) == 0 && sb.st_size > 0;
	struct store *store = NULL;
	struct htd_error err;
	htd_error_clear(&err);
	if (cli_open_store(cli, true, &store, &err) != HTD_OK)
		return cli_fail(cli, &err);
	int version = store_schema_version(store);
	store_close(store);

	if (cli->json) {
		json_t *o = json_pack("{s:s,s:i,s:b}", "db", cli->db_path,
		                      "schema", version, "created", !existed);
		json_dumpf(o, stdout, JSON_COMPACT);
		fputc('\n', stdout);
		json_decref(o);
		return CLI_EXIT_OK;
	}
	printf("%s %s (schema version %d).\n",
	       existed ? "Database ready at" : "Created the database at",
	       cli->db_path, version);
	const char *h = cli->prog;
	printf("\nTake a call question by question (the NENA protocol):\n"
	       "  %s call --language es\n"
	       "Or step by step:\n"
	       "  %s calls open --channel voice --language es \\\n"
	       "      --location \"4th and Main\" --callback \"555-0100\"\n"
	       "  %s calls answer HT-YYYY-000001 free_to_leave no\n"
	       "  %s calls note   HT-YYYY-000001 \"boss keeps passports\"\n"
	       "  %s calls close  HT-YYYY-000001 officer_handled "
	       "--summary \"...\"\n"
	       "  %s calls list --status open\n"
	       "  %s calls decision HT-YYYY-000001   (checklist, next "
	       "questions, why)\n"
	       "  %s calls show   HT-YYYY-000001\n"
	       "Check the database:  %s db check\n"
	       "Check edited files:  %s check data/protocol/nena-ht.yaml "
	       "etc/policy.yaml\n"
	       "Everything else:     %s --help\n",
	       h, h, h, h, h, h, h, h, h, h, h);
	if (cli->db_given)
		printf("(Pass --db %s, or set HTDISPATCH_DB, on each "
		       "command.)\n",
		       cli->db_path);
	return CLI_EXIT_OK;
}
