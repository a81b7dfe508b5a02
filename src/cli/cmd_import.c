/*
 * cmd_import.c - `htdispatch import`: the agency's records from a CSV or
 * JSON Lines file (docs/import.md). The work is records/import.h; this
 * file parses arguments, loads the nickname table the search uses, shows
 * progress on a terminal, and prints every rejected record and the
 * summary.
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "formats/nicknames_csv.h"
#include "records/import.h"
#include "util/clock.h"
#include "util/str.h"

const char cli_usage_import[] =
    "usage: htdispatch import --kind KIND [--format csv|jsonl]\n"
    "                         [--source NAME] [--skip-bad] [--json] FILE|-\n"
    "\n"
    "Imports the agency's records of one kind from FILE (or standard\n"
    "input: -) into the database, with the keys the search finds them by.\n"
    "\n"
    "  --kind KIND       persons, locations, phones, vehicles or businesses\n"
    "  --format F        csv or jsonl; by default from FILE's extension\n"
    "                    (.csv, .jsonl, .ndjson); needed for -\n"
    "  --source NAME     where the records come from (default rms): a-z,\n"
    "                    0-9, '_', '.', '-'; re-importing a source updates\n"
    "                    its records (by source_id), never duplicates them\n"
    "  --skip-bad        import the good records and report the bad ones;\n"
    "                    without it, any bad record means nothing is\n"
    "                    imported (every bad one is reported)\n"
    "  --nicknames DIR   the nickname tables (default data/linkage; env\n"
    "                    HTDISPATCH_NICKNAMES): the same as the search's\n"
    "\n"
    "The formats, every column of every kind, the limits and the errors\n"
    "are in docs/import.md. Each rejected record is reported as\n"
    "FILE:LINE: FIELD: reason (on stderr; in the JSON with --json). A\n"
    "progress bar is shown on stderr when it is a terminal. Records\n"
    "missing from a later import are kept. Every import is in the audit\n"
    "log, by cli:<your login name>.\n"
    "\n"
    "Common options: --db PATH, --json, --busy-timeout MS, --help.\n"
    "Exit status: 0 imported, 1 failure (records rejected without\n"
    "--skip-bad, a bad header, a database problem), 2 usage error.\n";

/* Most rejections listed in the JSON output; the rest are counted. */
#define REJECTED_JSON_MAX 10000

struct import_run {
	struct cli *cli;
	json_t *rejected; /* --json */
	uint64_t omitted;
	bool show_progress;
	uint64_t input_size;
	int last_percent;
};

static void on_rejected(void *ctx, const struct htd_error *err)
{
	struct import_run *run = ctx;
	if (run->rejected) {
		if (json_array_size(run->rejected) >= REJECTED_JSON_MAX) {
			run->omitted++;
			return;
		}
		json_array_append_new(
		    run->rejected,
		    json_pack("{s:i,s:s?,s:s,s:s}", "line", err->line, "field",
		              err->field[0] ? err->field : NULL, "code",
		              htd_err_name(err->code), "reason", err->message));
		return;
	}
	if (run->show_progress && run->last_percent >= 0)
		fputs("\r\033[K", stderr);
	fprintf(stderr, "%s:%d: %s%s%s\n", err->file, err->line, err->field,
	        err->field[0] ? ": " : "", err->message);
}

static void on_progress(void *ctx, const struct records_import_report *r,
                        uint64_t bytes)
{
	struct import_run *run = ctx;
	if (!run->show_progress)
		return;
	int pct = run->input_size ? (int)(bytes * 100 / run->input_size) : -2;
	if (pct > 100)
		pct = 100;
	if (pct == run->last_percent && pct != -2)
		return;
	run->last_percent = pct;
	if (pct < 0) {
		fprintf(stderr, "\rimport: %llu records read",
		        (unsigned long long)r->read);
	} else {
		int filled = pct * 30 / 100;
		char bar[31];
		for (int i = 0; i < 30; i++)
			bar[i] = i < filled ? '#' : '.';
		bar[30] = '\0';
		fprintf(stderr, "\rimport: [%s] %3d%%  %llu records", bar, pct,
		        (unsigned long long)r->read);
	}
	fflush(stderr);
}

static double rate_of(const struct records_import_report *r)
{
	return r->elapsed_ms > 0 ? (double)r->read * 1000.0 / r->elapsed_ms
	                         : (double)r->read * 1000.0;
}

static void print_summary(struct import_run *run,
                          const struct records_import_options *o,
                          const struct records_import_report *r,
                          const struct htd_error *failure)
{
	if (run->show_progress && run->last_percent != -1)
		fputs("\r\033[K", stderr);
	if (run->rejected) {
		json_t *doc = json_pack(
		    "{s:s,s:s,s:s,s:s,s:b,s:I,s:I,s:I,s:I,s:I,s:I,s:f,s:o,s:I}",
		    "kind", record_kind_name(o->kind), "source", o->source,
		    "format", records_format_name(o->format), "file", o->file,
		    "imported", (int)r->written, "read", (json_int_t)r->read,
		    "inserted", (json_int_t)r->inserted, "updated",
		    (json_int_t)r->updated, "unchanged",
		    (json_int_t)r->unchanged, "rejected",
		    (json_int_t)r->rejected, "elapsed_ms",
		    (json_int_t)r->elapsed_ms, "records_per_second", rate_of(r),
		    "rejected_records", json_incref(run->rejected),
		    "rejected_omitted", (json_int_t)run->omitted);
		if (failure) {
			char msg[HTD_ERROR_MESSAGE_MAX + HTD_ERROR_FILE_MAX +
			         32];
			htd_error_format(failure, msg, sizeof(msg));
			json_object_set_new(
			    doc, "error",
			    json_pack("{s:s,s:s,s:s?}", "code",
			              htd_err_name(failure->code), "message",
			              msg, "field",
			              failure->field[0] ? failure->field
			                                : NULL));
		}
		json_dumpf(doc, stdout, JSON_COMPACT);
		fputc('\n', stdout);
		json_decref(doc);
	} else {
		printf("%s %s records from %s (source %s): read %llu, inserted "
		       "%llu, "
		       "updated %llu, unchanged %llu, rejected %llu in %.2f s "
		       "(%.0f records/s)\n",
		       r->written ? "Imported" : "Did not import",
		       record_kind_name(o->kind), o->file, o->source,
		       (unsigned long long)r->read,
		       (unsigned long long)r->inserted,
		       (unsigned long long)r->updated,
		       (unsigned long long)r->unchanged,
		       (unsigned long long)r->rejected,
		       (double)r->elapsed_ms / 1000.0, rate_of(r));
	}
	if (failure) {
		char msg[HTD_ERROR_MESSAGE_MAX + HTD_ERROR_FILE_MAX + 32];
		htd_error_format(failure, msg, sizeof(msg));
		fprintf(stderr, "htdispatch import: error: %s\n", msg);
	}
}

int cli_cmd_import(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "kind", required_argument, NULL, 'k' },
		{ "format", required_argument, NULL, 'f' },
		{ "source", required_argument, NULL, 's' },
		{ "skip-bad", no_argument, NULL, 'b' },
		{ "nicknames", required_argument, NULL, 'n' },
		{ 0, 0, 0, 0 },
	};
	struct records_import_options o = { .source = RECORDS_SOURCE_DEFAULT };
	struct import_run run = { .cli = cli, .last_percent = -1 };
	bool have_kind = false, have_format = false;
	const char *nick_dir = getenv("HTDISPATCH_NICKNAMES");
	struct match_nicknames *nn = NULL;
	struct store *store = NULL;
	FILE *in = NULL;
	struct htd_error err;
	int code, c;

	htd_error_clear(&err);
	while ((c = cli_getopt(cli, argc, argv, "", opts, &code)) != -1) {
		switch (c) {
		case -2: return code;
		case 'k':
			if (!record_kind_parse(optarg, &o.kind))
				return cli_usage_error(
				    cli, "--kind must be persons, locations, "
				         "phones, vehicles or businesses");
			have_kind = true;
			break;
		case 'f':
			if (!records_format_parse(optarg, &o.format))
				return cli_usage_error(cli, "--format must be "
				                            "csv or jsonl");
			have_format = true;
			break;
		case 's': o.source = optarg; break;
		case 'b': o.skip_bad = true; break;
		case 'n':
			if (!optarg[0])
				return cli_usage_error(cli, "--nicknames needs "
				                            "a directory");
			nick_dir = optarg;
			break;
		default: return cli_usage_error(cli, "bad option");
		}
	}
	if (argc - optind != 1)
		return cli_usage_error(cli, "give one FILE, or - for standard "
		                            "input");
	if (!have_kind)
		return cli_usage_error(cli, "--kind is required (persons, "
		                            "locations, phones, vehicles, "
		                            "businesses)");
	o.file = argv[optind];
	if (!have_format && !records_format_of_path(o.file, &o.format))
		return cli_usage_error(cli,
		                       "cannot tell the format of %s from its "
		                       "name; give --format csv or jsonl",
		                       o.file);
	struct record probe;
	record_init(&probe, o.kind);
	if (record_set_source(&probe, o.source, "x", &err) != HTD_OK)
		return cli_usage_error(cli, "--source: %s", err.message);

	/* The same tables as search (cli_nicknames_load): the keys of
	 * names depend on them. */
	if (cli_nicknames_load(nick_dir, &nn, &err) != HTD_OK) {
		cli_fail(cli, &err);
		fprintf(stderr,
		        "htdispatch import: the search needs the nickname "
		        "tables; pass --nicknames DIR\n");
		code = CLI_EXIT_FAILURE;
		goto out;
	}
	o.nicknames = nn;

	if (str_eq(o.file, "-")) {
		in = stdin;
	} else {
		in = fopen(o.file, "rb");
		if (!in) {
			htd_error_set(&err, HTD_ERR_IO, "%s: %s", o.file,
			              strerror(errno));
			cli_fail(cli, &err);
			code = CLI_EXIT_FAILURE;
			goto out;
		}
	}
	struct stat sb;
	if (fstat(fileno(in), &sb) == 0 && S_ISREG(sb.st_mode))
		run.input_size = (uint64_t)sb.st_size;
	run.show_progress = !cli->json && isatty(STDERR_FILENO);
	if (cli->json)
		run.rejected = json_array();

	if (cli_open_store(cli, false, &store, &err) != HTD_OK) {
		cli_fail(cli, &err);
		code = CLI_EXIT_FAILURE;
		goto out;
	}
	struct service svc = {
		.store = store,
		.clock = clock_system(),
		.address = "cli",
		.actor = cli_actor(),
	};
	o.in = in;
	o.rejected = on_rejected;
	o.progress = on_progress;
	o.ctx = &run;
	struct records_import_report report;
	enum htd_err e = records_import(&svc, cli_actor(), &o, &report, &err);
	print_summary(&run, &o, &report, e == HTD_OK ? NULL : &err);
	code = e == HTD_OK ? CLI_EXIT_OK : CLI_EXIT_FAILURE;
out:
	if (in && in != stdin)
		fclose(in);
	store_close(store);
	match_nicknames_free(nn);
	json_decref(run.rejected);
	return code;
}
