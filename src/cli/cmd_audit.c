/*
 * cmd_audit.c - `htdispatch audit list`: the access audit log from a
 * terminal or a script, newest first, a page at a time. Reading the log is
 * itself recorded (service/audit.h), by cli:<your login name>.
 */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "service/audit.h"
#include "util/clock.h"
#include "util/str.h"

const char cli_usage_audit[] =
    "usage: htdispatch audit list [--actor A] [--object O] [--since T]\n"
    "                             [--until T] [--limit N] [--after ID]\n"
    "                             [--json]\n"
    "\n"
    "Lists the access audit log, newest first: who read or changed which\n"
    "call or user, when, from where, with what outcome (ok, denied,\n"
    "unauthorized, not_found, invalid, conflict, error).\n"
    "\n"
    "  --actor A    entries by A, e.g. user:jsmith or cli:root\n"
    "  --object O   entries about O, e.g. call:HT-2026-000123 or "
    "user:jsmith\n"
    "  --since T    at or after T; --until T: before T\n"
    "               (YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS][Z|+HH:MM])\n"
    "  --limit N    at most N entries, 1 to 1000 (default 100)\n"
    "  --after ID   the next page: entries older than entry ID\n"
    "\n"
    "Listing is itself recorded (action audit.read).\n"
    "Common options: --db PATH, --json, --busy-timeout MS, --help.\n"
    "Exit status: 0 success, 1 failure, 2 usage error.\n";

static void print_json(json_t *o)
{
	json_dumpf(o, stdout, JSON_COMPACT);
	fputc('\n', stdout);
	json_decref(o);
}

static json_t *entry_json(const struct audit_entry *e)
{
	char t[TIME_TEXT_MAX];
	if (!time_format_utc(e->at_ms, t, sizeof(t)))
		t[0] = '\0';
	return json_pack("{s:I,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "id",
	                 (json_int_t)e->id, "at", t, "actor", e->actor,
	                 "action", e->action, "object", e->object, "address",
	                 e->address, "outcome", audit_outcome_name(e->outcome),
	                 "detail", e->detail);
}

static int act_list(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "actor", required_argument, NULL, 'a' },
		{ "object", required_argument, NULL, 'o' },
		{ "since", required_argument, NULL, 'S' },
		{ "until", required_argument, NULL, 'U' },
		{ "limit", required_argument, NULL, 'n' },
		{ "after", required_argument, NULL, 'A' },
		{ 0, 0, 0, 0 },
	};
	struct audit_query q = { 0 };
	int code, c;
	while ((c = cli_getopt(cli, argc, argv, "", opts, &code)) != -1) {
		switch (c) {
		case -2: return code;
		case 'a': q.actor = optarg; break;
		case 'o': q.object = optarg; break;
		case 'S': q.since = optarg; break;
		case 'U': q.until = optarg; break;
		case 'n': q.limit = optarg; break;
		case 'A': q.after = optarg; break;
		default: return cli_usage_error(cli, "bad option");
		}
	}
	if (optind < argc)
		return cli_usage_error(cli, "unexpected argument '%s'",
		                       argv[optind]);

	struct store *store = NULL;
	struct audit_list l;
	struct htd_error err;
	htd_error_clear(&err);
	memset(&l, 0, sizeof(l));
	if (cli_open_store(cli, false, &store, &err) != HTD_OK)
		return cli_fail(cli, &err);
	struct service svc = {
		.store = store,
		.clock = clock_system(),
		.address = "cli",
		.actor = cli_actor(),
	};
	if (audit_list(&svc, &q, &l, &err) != HTD_OK) {
		code = cli_fail(cli, &err);
		goto out;
	}
	int64_t next = l.more ? l.entries[l.n - 1].id : 0;
	if (cli->json) {
		json_t *arr = json_array();
		for (size_t i = 0; i < l.n; i++)
			json_array_append_new(arr, entry_json(&l.entries[i]));
		json_t *o = json_pack("{s:o}", "entries", arr);
		json_object_set_new(o, "next_after",
		                    next ? json_integer(next) : json_null());
		print_json(o);
	} else if (l.n == 0) {
		printf("No audit entries match.\n");
	} else {
		printf("%-7s %-19s %-20s %-14s %-22s %-10s %-12s %s\n", "ID",
		       "TIME", "ACTOR", "ACTION", "OBJECT", "FROM", "OUTCOME",
		       "DETAIL");
		for (size_t i = 0; i < l.n; i++) {
			const struct audit_entry *e = &l.entries[i];
			char t[TIME_TEXT_MAX];
			if (!time_format_local(e->at_ms, t, sizeof(t)))
				str_copy(t, sizeof(t), "-");
			printf(
			    "%-7lld %-19s %-20s %-14s %-22s %-10s %-12s %s\n",
			    (long long)e->id, t, e->actor, e->action,
			    e->object[0] ? e->object : "-",
			    e->address[0] ? e->address : "-",
			    audit_outcome_name(e->outcome),
			    e->detail[0] ? e->detail : "-");
		}
		if (next)
			printf("More: htdispatch audit list --after %lld (with "
			       "the same filters)\n",
			       (long long)next);
	}
	code = CLI_EXIT_OK;
out:
	audit_list_free(&l);
	store_close(store);
	return code;
}

static int run_action(struct cli *cli, size_t action, int argc, char **argv)
{
	(void)action; /* list is the only one */
	return act_list(cli, argc, argv);
}

int cli_cmd_audit(struct cli *cli, int argc, char **argv)
{
	static const char *const names[] = { "list" };
	return cli_run_action(cli, "audit", cli_usage_audit, names, 1, argc,
	                      argv, run_action);
}
