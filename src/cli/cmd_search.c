/*
 * cmd_search.c - `htdispatch search`: find the agency's records that match
 * what a person typed (NENA step 7). Every search names its purpose and is
 * audited (service/search.h); this file parses arguments and prints.
 */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "formats/record_json.h"
#include "records/query.h"
#include "service/search.h"
#include "util/clock.h"
#include "util/str.h"

const char cli_usage_search[] =
    "usage: htdispatch search [--kind KIND] [--limit N] --purpose WHY "
    "QUERY...\n"
    "\n"
    "Finds the records most like QUERY, best first, each with its match\n"
    "weight and why: which fields agree and how much each counts. A hit\n"
    "at or over the threshold is marked MATCH; the rest are possible.\n"
    "\n"
    "  --kind KIND      persons (default), locations, phones, vehicles,\n"
    "                   businesses\n"
    "  --purpose WHY    required: why you search (a call id, a case);\n"
    "                   written to the audit log with the fields you asked\n"
    "  --limit N        at most N records (1-50, default 10)\n"
    "  --include-sealed also sealed records (noted in the audit log)\n"
    "  --nicknames DIR  the nickname tables (default data/linkage; env\n"
    "                   HTDISPATCH_NICKNAMES): the same as at import\n"
    "\n"
    "QUERY is free text, with fields named where it helps:\n"
    "  htdispatch search --purpose HT-2026-000123 Lupe Hernandes 1985-03-07\n"
    "  htdispatch search --purpose tip --kind vehicles white ford ABO123\n"
    "  htdispatch search --purpose tip family_name=Hernández López "
    "phone=512-555-0142\n"
    "A phone number, and for persons a date of birth, are found in the\n"
    "text; the rest is the name (the address for locations, the plate for\n"
    "vehicles). Fields: docs/import.md.\n"
    "\n"
    "Common options: --db PATH, --json, --busy-timeout MS, --help.\n"
    "Exit status: 0 success (also when nothing matched), 1 failure,\n"
    "2 usage error (no purpose, a bad query).\n";

static void record_summary(const struct record *r, char *out, size_t size)
{
	static const enum record_field shown[] = {
		RECORD_F_GIVEN_NAME, RECORD_F_FAMILY_NAME, RECORD_F_NAME,
		RECORD_F_BIRTH_DATE, RECORD_F_PHONE,       RECORD_F_ADDRESS,
		RECORD_F_CITY,       RECORD_F_PLATE,       RECORD_F_PLATE_STATE,
		RECORD_F_COLOR,      RECORD_F_MAKE,        RECORD_F_MODEL,
	};
	size_t o = 0;
	out[0] = '\0';
	for (size_t i = 0; i < sizeof(shown) / sizeof(shown[0]); i++) {
		const char *v = r->field[shown[i]];
		if (!v)
			continue;
		int w = snprintf(out + o, size - o, "%s%s", o ? ", " : "", v);
		if (w < 0 || (size_t)w >= size - o)
			break;
		o += (size_t)w;
	}
}

static json_t *hit_json(const struct search_hit *h)
{
	return record_hit_json(&h->record, h->weight, h->match, &h->explain);
}

int cli_cmd_search(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "kind", required_argument, NULL, 'k' },
		{ "purpose", required_argument, NULL, 'p' },
		{ "limit", required_argument, NULL, 'n' },
		{ "include-sealed", no_argument, NULL, 's' },
		{ "nicknames", required_argument, NULL, 'N' },
		{ 0, 0, 0, 0 },
	};
	struct search_request req = { 0 };
	const char *nick_dir = NULL;
	int code, c;
	cli->command = "search";
	while ((c = cli_getopt(cli, argc, argv, "", opts, &code)) != -1) {
		switch (c) {
		case -2: return code;
		case 'k': req.kind = optarg; break;
		case 'p': req.purpose = optarg; break;
		case 's': req.sealed_visible = true; break;
		case 'N': nick_dir = optarg; break;
		case 'n': {
			int64_t v;
			if (!str_to_i64(optarg, 1, SEARCH_LIMIT_MAX, &v))
				return cli_usage_error(
				    cli, "--limit takes 1 to %d, not '%s'",
				    SEARCH_LIMIT_MAX, optarg);
			req.limit = (size_t)v;
			break;
		}
		default: return cli_usage_error(cli, "bad option");
		}
	}
	if (optind >= argc)
		return cli_usage_error(cli, "what to search for? usage: "
		                            "htdispatch search --purpose WHY "
		                            "QUERY...");
	char query[QUERY_TEXT_MAX + 2];
	size_t o = 0;
	for (int i = optind; i < argc; i++) {
		size_t n = strlen(argv[i]);
		if (o + n + 1 >= sizeof(query))
			return cli_usage_error(
			    cli, "the query is over %d bytes", QUERY_TEXT_MAX);
		if (o)
			query[o++] = ' ';
		memcpy(query + o, argv[i], n);
		o += n;
	}
	query[o] = '\0';
	req.query = query;

	struct htd_error err;
	struct store *store = NULL;
	struct match_nicknames *nn = NULL;
	htd_error_clear(&err);
	if (cli_nicknames_load(nick_dir, &nn, &err) != HTD_OK)
		return cli_fail(cli, &err);
	if (cli_open_store(cli, false, &store, &err) != HTD_OK) {
		match_nicknames_free(nn);
		return cli_fail(cli, &err);
	}
	struct service svc = { .store = store,
		               .clock = clock_system(),
		               .address = "cli",
		               .actor = cli_actor() };
	struct search_result r;
	if (search_records(&svc, cli_actor(), nn, &req, &r, &err) != HTD_OK) {
		code = cli_fail(cli, &err);
		goto out;
	}
	if (cli->json) {
		json_t *hits = json_array();
		for (size_t i = 0; i < r.n; i++)
			json_array_append_new(hits, hit_json(&r.hits[i]));
		json_t *o2 = json_pack("{s:o,s:I,s:f}", "hits", hits,
		                       "candidates", (json_int_t)r.candidates,
		                       "threshold", r.threshold);
		json_dumpf(o2, stdout, JSON_COMPACT);
		fputc('\n', stdout);
		json_decref(o2);
	} else if (r.n == 0) {
		printf("No record matches (%zu compared).\n", r.candidates);
	} else {
		for (size_t i = 0; i < r.n; i++) {
			const struct search_hit *h = &r.hits[i];
			char summary[512], why[512];
			record_summary(&h->record.record, summary,
			               sizeof(summary));
			score_explain_format(&h->explain, why, sizeof(why));
			printf("%2zu. %-8s %s:%s%s  %s\n    %s\n", i + 1,
			       h->match ? "MATCH" : "possible",
			       h->record.record.source,
			       h->record.record.source_id,
			       h->record.record.sealed ? " (sealed)" : "",
			       summary, why);
		}
		printf("%zu shown of %zu compared; a match weighs %.1f or "
		       "more.\n",
		       r.n, r.candidates, r.threshold);
	}
	code = CLI_EXIT_OK;
	search_result_free(&r);
out:
	store_close(store);
	match_nicknames_free(nn);
	return code;
}

/* ---- htdispatch records show --------------------------------------------- */

const char cli_usage_records[] =
    "usage: htdispatch records show [--include-sealed] ID\n"
    "\n"
    "Shows record ID (from a search, or a call's related records) with\n"
    "its fields, its links to other records and theirs to it (an import's\n"
    "links column: owner, employer, ...; docs/import.md), and the calls\n"
    "it was confirmed on. A link to a record not imported yet is shown by\n"
    "its kind, source and source_id. Written to the audit log as a read.\n"
    "\n"
    "  --include-sealed also a sealed record, and links to sealed ones\n"
    "\n"
    "Common options: --db PATH, --json, --busy-timeout MS, --help.\n"
    "Exit status: 0 shown, 1 failure (no such record), 2 usage error.\n";

static json_t *view_json(const struct record_view *v)
{
	return record_view_json(&v->record, &v->links, v->other_sealed);
}

static void view_print(const struct record_view *v)
{
	const struct record *r = &v->record.record;
	printf("record %lld: %s %s:%s%s (version %lld)\n",
	       (long long)v->record.id, record_kind_name(r->kind), r->source,
	       r->source_id, r->sealed ? " (sealed)" : "",
	       (long long)v->record.version);
	for (int f = 0; f < RECORD_FIELD__COUNT; f++)
		if (r->field[f] && f != RECORD_F_LINKS)
			printf("  %-14s %s\n",
			       record_field_name((enum record_field)f),
			       r->field[f]);
	size_t n_links = 0, n_calls = 0;
	for (size_t i = 0; i < v->links.n; i++) {
		const struct store_record_link *l = &v->links.links[i];
		if (l->dir == STORE_LINK_CALL) {
			n_calls++;
			continue;
		}
		if (n_links++ == 0)
			printf("links:\n");
		char id[32] = "not imported yet";
		if (l->other_id > 0)
			str_format(id, sizeof(id), "record %lld",
			           (long long)l->other_id);
		printf("  %-10s %s %s %s:%s (%s)%s\n", l->type,
		       l->dir == STORE_LINK_OUT ? "->" : "<-",
		       record_kind_name(l->other_kind), l->other_source,
		       l->other_source_id, id,
		       v->other_sealed[i] ? " (sealed)" : "");
	}
	if (n_links == 0)
		printf("links: none\n");
	for (size_t i = 0; i < v->links.n; i++) {
		const struct store_record_link *l = &v->links.links[i];
		if (l->dir != STORE_LINK_CALL)
			continue;
		if (i == 0 || v->links.links[i - 1].dir != STORE_LINK_CALL)
			printf("confirmed on calls:\n");
		printf("  %s by %s\n", l->call_ref, l->actor);
	}
	if (n_calls == 0)
		printf("confirmed on calls: none\n");
	if (v->links.truncated)
		printf("(more links than shown: the first %d)\n",
		       STORE_RECORD_LINKS_READ_MAX);
}

/* records show: one record, its links and the calls it is confirmed on. */
static int act_show(struct cli *cli, size_t action, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "include-sealed", no_argument, NULL, 's' },
		{ 0, 0, 0, 0 },
	};
	bool sealed_visible = false;
	int code, c;
	(void)action; /* show is the only one */
	while ((c = cli_getopt(cli, argc, argv, "", opts, &code)) != -1) {
		switch (c) {
		case -2: return code;
		case 's': sealed_visible = true; break;
		default: return cli_usage_error(cli, "bad option");
		}
	}
	int64_t id;
	if (optind + 1 != argc || !str_to_i64(argv[optind], 1, INT64_MAX, &id))
		return cli_usage_error(cli, "records show takes one record id "
		                            "(a positive number)");
	struct htd_error err;
	struct store *store = NULL;
	htd_error_clear(&err);
	if (cli_open_store(cli, false, &store, &err) != HTD_OK)
		return cli_fail(cli, &err);
	struct service svc = { .store = store,
		               .clock = clock_system(),
		               .address = "cli",
		               .actor = cli_actor() };
	struct record_view v;
	if (search_record_show(&svc, cli_actor(), id, sealed_visible, &v,
	                       &err) != HTD_OK) {
		code = cli_fail(cli, &err);
		goto out;
	}
	if (cli->json) {
		json_t *o = view_json(&v);
		json_dumpf(o, stdout, JSON_COMPACT);
		fputc('\n', stdout);
		json_decref(o);
	} else {
		view_print(&v);
	}
	record_view_free(&v);
	code = CLI_EXIT_OK;
out:
	store_close(store);
	return code;
}

int cli_cmd_records(struct cli *cli, int argc, char **argv)
{
	static const char *const names[] = { "show" };
	return cli_run_action(cli, "records", cli_usage_records, names, 1, argc,
	                      argv, act_show);
}
