/*
 * cmd_calls.c - `htdispatch calls ...`: the call use cases from a terminal
 * or a script. Every action is one function of service/calls.h; this file
 * only parses arguments and prints.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "cli/cli.h"
#include "formats/decision_json.h"
#include "formats/event_json.h"
#include "service/outbox.h"
#include "service/related.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/str.h"

const char cli_usage_calls[] =
    "usage: htdispatch calls ACTION [OPTIONS] [ARGS]\n"
    "\n"
    "Actions:\n"
    "  open    [--channel C] [--language L] [--location TEXT]\n"
    "          [--callback NUMBER] [--caller-name NAME]\n"
    "                                  open a call; prints its id\n"
    "  note    ID TEXT...              add a note ('-' reads it from "
    "stdin)\n"
    "  answer  ID QUESTION VALUE       record the answer to a question\n"
    "  close   ID DISPOSITION [--summary TEXT]\n"
    "                                  close the call\n"
    "  override ID CATEGORY --reason TEXT\n"
    "                                  set the category in force (none\n"
    "                                  withdraws); the protocol's stays\n"
    "                                  on the record\n"
    "  mark    ID ACTION done|not_applicable|required [--reason TEXT]\n"
    "                                  mark a checklist action (a reason\n"
    "                                  is required for not_applicable)\n"
    "  decision ID                     the protocol's decision now: "
    "category,\n"
    "                                  checklist, next questions, why\n"
    "  list    [--status open|closed] [--category C] [--since T] "
    "[--until T]\n"
    "          [--limit N] [--after ID] list calls, newest first\n"
    "  show    ID                      the call, its answers and its "
    "history\n"
    "  dispatch ID CALLSIGN...         send available units to the call:\n"
    "                                  marks dispatch_officer done, sets\n"
    "                                  the units dispatched; prints the\n"
    "                                  time since the call opened\n"
    "  related ID [--graph] [--depth N]\n"
    "                                  records related to the call (NENA\n"
    "                                  step 7); --graph: what connects\n"
    "                                  them, N steps out (1-3, default 2)\n"
    "  link    ID RECORD confirmed|rejected [--reason TEXT]\n"
    "                                  decide on a related record\n"
    "  task confirm ID KEY [--reason TEXT]\n"
    "                                  confirm the warm transfer of a\n"
    "                                  call-taker task (the key is on the\n"
    "                                  board); marks its action done\n"
    "\n"
    "IDs look like HT-2026-000123 (case and leading zeros do not matter).\n"
    "Channels: voice (default), text, tty, video, admin, transfer.\n"
    "Languages: BCP 47 tags such as en (default), es, es-MX, vi.\n"
    "Questions and what they take come from the protocol\n"
    "  (data/protocol/nena-ht.yaml); e.g. free_to_leave yes|no|unknown.\n"
    "  open, note, answer, override, mark and decision load the protocol,\n"
    "  the policy and the lexicons: notes are screened for indicators and\n"
    "  every change records the protocol's new decision.\n"
    "Dispositions: officer_handled, transferred_tip_line, "
    "referred_hotline,\n"
    "  referred_other_agency, information_only, unfounded, duplicate,\n"
    "  disconnected.\n"
    "Categories: undetermined, victim_escape, victim_call, credible_tip, "
    "other.\n"
    "Times: YYYY-MM-DD (local midnight) or YYYY-MM-DDTHH:MM[:SS][Z|+HH:MM].\n"
    "\n"
    "Common options: --db PATH, --json, --busy-timeout MS, --help.\n"
    "Protocol options (open, note, answer, override, mark, "
    "decision, dispatch):\n" CLI_ENGINE_USAGE
    "Exit status: 0 success, 1 failure (e.g. no such call, call closed,\n"
    "database locked), 2 usage error (what was typed is wrong).\n";

/* ---- output helpers ---------------------------------------------------- */

static void print_json(json_t *o)
{
	json_dumpf(o, stdout, JSON_COMPACT);
	fputc('\n', stdout);
	json_decref(o);
}

/* Returns the display width of `n` bytes of UTF-8 at `p` and, through
 * `fit`, how many of those bytes fit in `limit` cells. */
static int text_width(const utf8proc_uint8_t *p, size_t n, int limit,
                      size_t *fit)
{
	size_t i = 0;
	int used = 0;
	*fit = 0;
	while (i < n) {
		utf8proc_int32_t cp;
		utf8proc_ssize_t k =
		    utf8proc_iterate(p + i, (utf8proc_ssize_t)(n - i), &cp);
		if (k <= 0)
			break;
		used += utf8proc_charwidth(cp);
		i += (size_t)k;
		if (used <= limit)
			*fit = i;
	}
	return used;
}

/*
 * Prints `s` in a column `width` terminal cells wide: cut at a character
 * boundary with "..." when wider, padded with spaces when narrower.
 */
static void print_cell(const char *s, int width, bool pad)
{
	const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)(s ? s : "");
	size_t n = strlen((const char *)p), fit;
	int used = text_width(p, n, width, &fit);
	if (used > width) {
		text_width(p, n, width - 3, &fit);
		fwrite(p, 1, fit, stdout);
		fputs("...", stdout);
		used = text_width(p, fit, width, &fit) + 3;
	} else {
		fwrite(p, 1, n, stdout);
	}
	for (; pad && used < width; used++)
		fputc(' ', stdout);
}

static const char *local_time(int64_t ms, char *buf, size_t size)
{
	if (ms <= 0 || !time_format_local(ms, buf, size))
		str_copy(buf, size, "-");
	return buf;
}

static const char *or_dash(const char *s)
{
	return str_empty(s) ? "-" : s;
}

/* ---- actions ----------------------------------------------------------- */

struct calls_ctx {
	struct cli *cli;
	struct service svc;
	struct store *store;
	bool wants_engine; /* the action decides: load the protocol */
	struct cli_engine engine_opts;
	struct engine *engine;
};

/*
 * Opens the store once the action's arguments are known to be right, so a
 * usage error or --help never needs a database. Returns -1 on success or
 * the exit code to return.
 */
static int ctx_open(struct calls_ctx *ctx)
{
	struct htd_error err;
	htd_error_clear(&err);
	if (ctx->wants_engine) {
		int code =
		    cli_open_engine(ctx->cli, &ctx->engine_opts, &ctx->engine);
		if (code != CLI_EXIT_OK)
			return code;
		ctx->svc.engine = ctx->engine;
	}
	if (cli_open_store(ctx->cli, false, &ctx->store, &err) != HTD_OK)
		return cli_fail(ctx->cli, &err);
	ctx->svc.store = ctx->store;
	ctx->svc.clock = clock_system();
	/* The CLI is a face too: what it reads and changes is audited. */
	ctx->svc.address = "cli";
	ctx->svc.actor = cli_actor();
	/* NENA step 7: a name, phone or place searches the records. */
	ctx->svc.details_changed = related_refresh_now;
	return -1;
}

/* Prints the short result of a change. */
static int print_changed(struct calls_ctx *ctx, const struct call *c,
                         const char *what)
{
	if (ctx->cli->json) {
		print_json(call_json(c));
		return CLI_EXIT_OK;
	}
	printf("%s %s\n", c->ref, what);
	if (!ctx->svc.engine)
		return CLI_EXIT_OK;
	printf("  category %s", call_category_name(c->category));
	if (c->override_category != CALL_CATEGORY_UNDETERMINED)
		printf(" (override; the protocol says %s)",
		       call_category_name(c->recommended_category));
	if (c->priority > 0)
		printf(", priority %d", c->priority);
	printf("\n");
	const char *sep = "  required:";
	for (size_t i = 0; i < c->n_actions; i++) {
		if (c->actions[i].state != CALL_ACTION_REQUIRED)
			continue;
		printf("%s %s", sep, c->actions[i].id);
		sep = ",";
	}
	if (sep[0] == ',')
		printf("\n");
	return CLI_EXIT_OK;
}

static int act_open(struct calls_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "channel", required_argument, NULL, 'c' },
		{ "language", required_argument, NULL, 'l' },
		{ "location", required_argument, NULL, 'L' },
		{ "callback", required_argument, NULL, 'b' },
		{ "caller-name", required_argument, NULL, 'n' },
		CLI_ENGINE_OPTIONS,
		{ 0, 0, 0, 0 },
	};
	struct call_open_request req = { 0 };
	int code, c;
	ctx->wants_engine = true;
	while ((c = cli_getopt(ctx->cli, argc, argv, "", opts, &code)) != -1) {
		int r =
		    cli_engine_option(ctx->cli, &ctx->engine_opts, c, optarg);
		if (r == 2)
			return CLI_EXIT_USAGE;
		if (r == 0)
			continue;
		switch (c) {
		case -2: return code;
		case 'c': req.channel = optarg; break;
		case 'l': req.language = optarg; break;
		case 'L': req.location = optarg; break;
		case 'b': req.callback = optarg; break;
		case 'n': req.caller_name = optarg; break;
		default: return cli_usage_error(ctx->cli, "bad option");
		}
	}
	if (optind < argc)
		return cli_usage_error(ctx->cli, "unexpected argument '%s'",
		                       argv[optind]);
	if ((code = ctx_open(ctx)) >= 0)
		return code;
	struct call call;
	struct htd_error err;
	call_init(&call);
	htd_error_clear(&err);
	if (calls_open(&ctx->svc, cli_actor(), &req, &call, &err) != HTD_OK)
		return cli_fail(ctx->cli, &err);
	code = print_changed(ctx, &call, "opened");
	call_free(&call);
	return code;
}

/* Parses the options of an action that takes positionals, the protocol
 * options when the action decides, and --summary (close) or --reason
 * (override, mark) when `text` is given; returns -1 to go on or an exit
 * code. */
static int positional_only(struct calls_ctx *ctx, int argc, char **argv,
                           const char **text)
{
	static const struct option opts[] = {
		{ "summary", required_argument, NULL, 's' },
		{ "reason", required_argument, NULL, 'r' },
		CLI_ENGINE_OPTIONS,
		{ 0, 0, 0, 0 },
	};
	int code, c;
	while ((c = cli_getopt(ctx->cli, argc, argv, "", opts, &code)) != -1) {
		if (c == -2)
			return code;
		if (ctx->wants_engine) {
			int r = cli_engine_option(ctx->cli, &ctx->engine_opts,
			                          c, optarg);
			if (r == 2)
				return CLI_EXIT_USAGE;
			if (r == 0)
				continue;
		}
		if ((c == 's' || c == 'r') && text)
			*text = optarg;
		else
			return cli_usage_error(ctx->cli, "bad option");
	}
	return -1;
}

/* Reads a note from stdin, bounded by the note limit. */
static enum htd_err read_stdin_note(struct buf *b, struct htd_error *err)
{
	char chunk[4096];
	size_t n;
	while ((n = fread(chunk, 1, sizeof(chunk), stdin)) > 0) {
		if (buf_append(b, chunk, n) != HTD_OK)
			return htd_error_field(err, HTD_ERR_TOO_LARGE, "text",
			                       "the note on stdin is longer "
			                       "than %d bytes",
			                       CALL_NOTE_MAX);
	}
	if (ferror(stdin))
		return htd_error_set(err, HTD_ERR_IO, "cannot read stdin");
	return HTD_OK;
}

static int act_note(struct calls_ctx *ctx, int argc, char **argv)
{
	ctx->wants_engine = true;
	int code = positional_only(ctx, argc, argv, NULL);
	if (code >= 0)
		return code;
	if (argc - optind < 2)
		return cli_usage_error(ctx->cli,
		                       "usage: calls note ID TEXT... (or '-' "
		                       "to read stdin)");
	if ((code = ctx_open(ctx)) >= 0)
		return code;
	const char *ref = argv[optind];
	struct buf text;
	struct htd_error err;
	htd_error_clear(&err);
	buf_init(&text, CALL_NOTE_MAX);
	if (argc - optind == 2 && str_eq(argv[optind + 1], "-")) {
		if (read_stdin_note(&text, &err) != HTD_OK) {
			buf_free(&text);
			return cli_fail(ctx->cli, &err);
		}
	} else {
		for (int i = optind + 1; i < argc; i++) {
			if ((i > optind + 1 &&
			     buf_puts(&text, " ") != HTD_OK) ||
			    buf_puts(&text, argv[i]) != HTD_OK) {
				buf_free(&text);
				htd_error_field(&err, HTD_ERR_TOO_LARGE, "text",
				                "the note is longer than %d "
				                "bytes",
				                CALL_NOTE_MAX);
				return cli_fail(ctx->cli, &err);
			}
		}
	}
	struct call call;
	call_init(&call);
	if (calls_add_note(&ctx->svc, cli_actor(), ref, buf_str(&text), &call,
	                   &err) != HTD_OK)
		code = cli_fail(ctx->cli, &err);
	else
		code = print_changed(ctx, &call, "note added");
	buf_free(&text);
	call_free(&call);
	return code;
}

static int act_answer(struct calls_ctx *ctx, int argc, char **argv)
{
	ctx->wants_engine = true;
	int code = positional_only(ctx, argc, argv, NULL);
	if (code >= 0)
		return code;
	if (argc - optind != 3)
		return cli_usage_error(ctx->cli,
		                       "usage: calls answer ID QUESTION VALUE");
	if ((code = ctx_open(ctx)) >= 0)
		return code;
	struct call call;
	struct htd_error err;
	call_init(&call);
	htd_error_clear(&err);
	if (calls_record_answer(&ctx->svc, cli_actor(), argv[optind],
	                        argv[optind + 1], argv[optind + 2], &call,
	                        &err) != HTD_OK)
		code = cli_fail(ctx->cli, &err);
	else
		code = print_changed(ctx, &call, "answer recorded");
	call_free(&call);
	return code;
}

static int act_close(struct calls_ctx *ctx, int argc, char **argv)
{
	const char *summary = NULL;
	int code = positional_only(ctx, argc, argv, &summary);
	if (code >= 0)
		return code;
	if (argc - optind != 2)
		return cli_usage_error(
		    ctx->cli,
		    "usage: calls close ID DISPOSITION [--summary TEXT]");
	if ((code = ctx_open(ctx)) >= 0)
		return code;
	struct call call;
	struct htd_error err;
	call_init(&call);
	htd_error_clear(&err);
	if (calls_close(&ctx->svc, cli_actor(), argv[optind], argv[optind + 1],
	                summary, &call, &err) != HTD_OK)
		code = cli_fail(ctx->cli, &err);
	else
		code = print_changed(ctx, &call, "closed");
	call_free(&call);
	return code;
}

static json_t *suggestion_json(const struct related_item *it)
{
	char at[TIME_TEXT_MAX] = "";
	if (it->at_ms > 0)
		time_format_utc(it->at_ms, at, sizeof(at));
	return json_pack("{s:I,s:s,s:s,s:f,s:b,s:s,s:s,s:s,s:s,s:s,s:s,s:b}",
	                 "record", (json_int_t)it->s.record, "kind", it->s.kind,
	                 "label", it->s.label, "weight", it->s.weight, "match",
	                 it->s.match, "from", it->s.from, "why", it->s.why,
	                 "state", related_state_name(it->state), "by", it->by,
	                 "at", at, "reason", it->reason, "sealed", it->sealed);
}

static int act_related(struct calls_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "graph", no_argument, NULL, 'g' },
		{ "depth", required_argument, NULL, 'd' },
		{ 0, 0, 0, 0 },
	};
	bool graph = false;
	int64_t depth = 2;
	int code, c;
	while ((c = cli_getopt(ctx->cli, argc, argv, "", opts, &code)) != -1) {
		switch (c) {
		case -2: return code;
		case 'g': graph = true; break;
		case 'd':
			if (!str_to_i64(optarg, 1, RELATED_DEPTH_MAX, &depth))
				return cli_usage_error(ctx->cli,
				                       "--depth takes 1 to %d",
				                       RELATED_DEPTH_MAX);
			graph = true;
			break;
		default: return cli_usage_error(ctx->cli, "bad option");
		}
	}
	if (argc - optind != 1)
		return cli_usage_error(ctx->cli, "usage: calls related ID "
		                                 "[--graph] [--depth N]");
	ctx->wants_engine = graph;
	if ((code = ctx_open(ctx)) >= 0)
		return code;
	struct htd_error err;
	htd_error_clear(&err);
	if (graph) {
		struct related_graph g;
		if (related_graph(&ctx->svc, argv[optind], (int)depth, true, &g,
		                  &err) != HTD_OK)
			return cli_fail(ctx->cli, &err);
		if (ctx->cli->json) {
			print_json(related_graph_json(&g));
		} else {
			for (size_t i = 0; i < g.n_edges; i++)
				printf("%-22s %-10s %s (%s)\n",
				       g.nodes[g.edges[i].from].id,
				       g.edges[i].via,
				       g.nodes[g.edges[i].to].id,
				       g.nodes[g.edges[i].to].label);
			printf("%zu nodes, %zu links%s\n", g.n_nodes, g.n_edges,
			       g.cut ? " (cut at the limit)" : "");
		}
		related_graph_free(&g);
		return CLI_EXIT_OK;
	}
	struct related_list l;
	/* The CLI works on the database file: it sees sealed records,
	 * marked as such. */
	if (related_list(&ctx->svc, argv[optind], true, &l, &err) != HTD_OK)
		return cli_fail(ctx->cli, &err);
	if (ctx->cli->json) {
		json_t *arr = json_array();
		for (size_t i = 0; i < l.n; i++)
			json_array_append_new(arr,
			                      suggestion_json(&l.items[i]));
		print_json(json_pack("{s:o}", "related", arr));
	} else if (l.n == 0) {
		printf("No related records yet.\n");
	} else {
		for (size_t i = 0; i < l.n; i++) {
			const struct related_item *it = &l.items[i];
			printf("%6lld  %-9s %-8s %s%s (from the %s, %.1f)\n",
			       (long long)it->s.record,
			       related_state_name(it->state), it->s.kind,
			       it->s.label, it->sealed ? " (sealed)" : "",
			       it->s.from, it->s.weight);
			if (it->s.why[0])
				printf("        %s\n", it->s.why);
		}
	}
	related_list_free(&l);
	return CLI_EXIT_OK;
}

static int act_link(struct calls_ctx *ctx, int argc, char **argv)
{
	const char *reason = NULL;
	int code = positional_only(ctx, argc, argv, &reason);
	if (code >= 0)
		return code;
	if (argc - optind != 3)
		return cli_usage_error(ctx->cli,
		                       "usage: calls link ID RECORD "
		                       "confirmed|rejected [--reason TEXT]");
	int64_t record;
	if (!str_to_i64(argv[optind + 1], 1, INT64_MAX, &record))
		return cli_usage_error(ctx->cli,
		                       "RECORD is a record's number (calls "
		                       "related ID lists them), not '%s'",
		                       argv[optind + 1]);
	const char *d = argv[optind + 2];
	if (!str_eq(d, "confirmed") && !str_eq(d, "rejected"))
		return cli_usage_error(
		    ctx->cli, "say confirmed or rejected, not '%s'", d);
	if ((code = ctx_open(ctx)) >= 0)
		return code;
	struct call call;
	struct htd_error err;
	call_init(&call);
	htd_error_clear(&err);
	if (related_link(&ctx->svc, cli_actor(), argv[optind], record,
	                 str_eq(d, "confirmed"), reason, true, &call,
	                 &err) != HTD_OK)
		code = cli_fail(ctx->cli, &err);
	else
		code =
		    print_changed(ctx, &call,
		                  str_eq(d, "confirmed") ? "record linked"
		                                         : "record rejected");
	call_free(&call);
	return code;
}

static int act_override(struct calls_ctx *ctx, int argc, char **argv)
{
	const char *reason = NULL;
	ctx->wants_engine = true;
	int code = positional_only(ctx, argc, argv, &reason);
	if (code >= 0)
		return code;
	if (argc - optind != 2)
		return cli_usage_error(
		    ctx->cli,
		    "usage: calls override ID CATEGORY --reason TEXT");
	if (str_empty(reason))
		return cli_usage_error(ctx->cli, "an override needs --reason "
		                                 "TEXT, for the record");
	if ((code = ctx_open(ctx)) >= 0)
		return code;
	struct call call;
	struct htd_error err;
	call_init(&call);
	htd_error_clear(&err);
	if (calls_override(&ctx->svc, cli_actor(), argv[optind],
	                   argv[optind + 1], reason, &call, &err) != HTD_OK)
		code = cli_fail(ctx->cli, &err);
	else
		code = print_changed(ctx, &call, "category overridden");
	call_free(&call);
	return code;
}

static int act_mark(struct calls_ctx *ctx, int argc, char **argv)
{
	const char *reason = NULL;
	ctx->wants_engine = true;
	int code = positional_only(ctx, argc, argv, &reason);
	if (code >= 0)
		return code;
	if (argc - optind != 3)
		return cli_usage_error(ctx->cli,
		                       "usage: calls mark ID ACTION "
		                       "done|not_applicable|required [--reason "
		                       "TEXT]");
	if ((code = ctx_open(ctx)) >= 0)
		return code;
	struct call call;
	struct htd_error err;
	call_init(&call);
	htd_error_clear(&err);
	if (calls_mark_action(&ctx->svc, cli_actor(), argv[optind],
	                      argv[optind + 1], argv[optind + 2], reason, &call,
	                      &err) != HTD_OK)
		code = cli_fail(ctx->cli, &err);
	else
		code = print_changed(ctx, &call, "action marked");
	call_free(&call);
	return code;
}

/* NENA-STA-020.1: the call-taker confirms the warm transfer it made. */
static int act_task(struct calls_ctx *ctx, int argc, char **argv)
{
	const char *note = NULL;
	int code = positional_only(ctx, argc, argv, &note);
	if (code >= 0)
		return code;
	if (argc - optind != 3 || !str_eq(argv[optind], "confirm"))
		return cli_usage_error(ctx->cli, "usage: calls task confirm ID "
		                                 "KEY [--reason TEXT]");
	if ((code = ctx_open(ctx)) >= 0)
		return code;
	struct call call;
	struct htd_error err;
	call_init(&call);
	htd_error_clear(&err);
	if (outbox_task_confirm(&ctx->svc, cli_actor(), argv[optind + 1],
	                        argv[optind + 2], note, &call, &err) != HTD_OK)
		code = cli_fail(ctx->cli, &err);
	else
		code = print_changed(ctx, &call, "transfer confirmed");
	call_free(&call);
	return code;
}

static int act_dispatch(struct calls_ctx *ctx, int argc, char **argv)
{
	ctx->wants_engine = true;
	int code = positional_only(ctx, argc, argv, NULL);
	if (code >= 0)
		return code;
	if (argc - optind < 2)
		return cli_usage_error(ctx->cli, "usage: calls dispatch ID "
		                                 "CALLSIGN...");
	if ((code = ctx_open(ctx)) >= 0)
		return code;
	struct call call;
	struct htd_error err;
	int64_t since_open_ms = 0;
	call_init(&call);
	htd_error_clear(&err);
	if (calls_dispatch(&ctx->svc, cli_actor(), argv[optind],
	                   (const char *const *)argv + optind + 1,
	                   (size_t)(argc - optind - 1), &call, NULL,
	                   &since_open_ms, &err) != HTD_OK) {
		code = cli_fail(ctx->cli, &err);
	} else if (ctx->cli->json) {
		json_t *units = json_array();
		for (int i = optind + 1; i < argc; i++)
			json_array_append_new(units, json_string(argv[i]));
		print_json(json_pack("{s:s,s:o,s:I}", "call", call.ref, "units",
		                     units, "since_open_ms",
		                     (json_int_t)since_open_ms));
		code = CLI_EXIT_OK;
	} else {
		const struct call_action *a = NULL;
		for (size_t i = 0; i < call.n_actions; i++)
			if (str_eq(call.actions[i].id, "dispatch_officer"))
				a = &call.actions[i];
		printf("%s: %s, %lld min %02lld s after the call opened\n",
		       call.ref, a ? a->mark_reason : "dispatched",
		       (long long)(since_open_ms / 60000),
		       (long long)(since_open_ms / 1000 % 60));
		code = CLI_EXIT_OK;
	}
	call_free(&call);
	return code;
}

/* The notes of a call by event seq, for showing what an indicator hit. */
struct notes_by_seq {
	json_t *map; /* "seq" -> text */
};

static int collect_note(void *vctx, const struct store_event *e)
{
	struct notes_by_seq *n = vctx;
	struct event_decoded d;
	if (!str_eq(e->type, "note_added") ||
	    event_json_decode(e->type, e->at_ms, e->actor, e->payload, &d,
	                      NULL) != HTD_OK)
		return 0;
	char key[24];
	str_format(key, sizeof(key), "%lld", (long long)e->seq);
	json_object_set_new(n->map, key, json_string(d.event.u.note.text));
	event_decoded_release(&d);
	return 0;
}

static const char *note_by_seq(void *vctx, int64_t note)
{
	struct notes_by_seq *n = vctx;
	char key[24];
	str_format(key, sizeof(key), "%lld", (long long)note);
	return json_string_value(json_object_get(n->map, key));
}

static void print_decision(const struct engine *en, const struct call *c,
                           const struct decision *d, json_t *dj)
{
	printf("Decision (%s %s; %s %s)\n", d->protocol_id, d->protocol_version,
	       d->policy_id, d->policy_version);
	printf("  Category  %s", call_category_name(d->category));
	if (d->overridden)
		printf("  (override by %s: %s; the protocol says %s)",
		       c->override_by, c->override_reason,
		       call_category_name(d->recommended));
	printf("\n  Priority  %d\n", d->priority);
	if (d->covert)
		printf("  NO CALLBACK - the caller cannot talk freely: yes/no "
		       "questions only\n");
	printf("Checklist\n");
	for (size_t i = 0; i < d->n_actions; i++) {
		const struct decision_action *a = &d->actions[i];
		static const char *const box[] = { "[ ]", "[x]", "[-]", "( )" };
		long ai = policy_action_index(&en->policy, a->id);
		printf("  %s %-24s %s\n", box[a->state % 4], a->id,
		       ai >= 0 ? protocol_text_get(
		                     &en->policy.actions[ai].label, c->language)
		               : "");
	}
	json_t *ind = json_object_get(dj, "indicators");
	size_t i;
	json_t *h;
	if (json_array_size(ind))
		printf("Indicators\n");
	json_array_foreach(ind, i, h)
	{
		const char *flag =
		    json_is_true(json_object_get(h, "negated"))
		        ? " (negated: not counted)"
		    : json_is_true(json_object_get(h, "hypothetical"))
		        ? " (hypothetical: not counted)"
		    : json_is_true(json_object_get(h, "historical"))
		        ? " (historical)"
		        : "";
		const char *text =
		    json_string_value(json_object_get(h, "text"));
		printf("  %-26s \"%s\"%s\n",
		       json_string_value(json_object_get(h, "id")),
		       text ? text : "", flag);
	}
	if (d->n_next) {
		printf("Next questions\n");
		for (size_t q = 0; q < d->n_next; q++) {
			const struct protocol_question *pq =
			    &en->protocol.questions[d->next[q]];
			printf("  %-20s %s\n", pq->id,
			       protocol_text_get(d->covert && pq->covert.n
			                             ? &pq->covert
			                             : &pq->text,
			                         c->language));
		}
	}
	printf("Why\n");
	for (size_t r = 0; r < d->n_rationale; r++) {
		const struct decision_reason *dr = &d->rationale[r];
		printf("  %-9s %s: %s\n", decision_reason_kind_name(dr->kind),
		       dr->rule, dr->why);
		for (size_t f = 0; f < dr->n_facts; f++)
			printf("            - %s\n", dr->facts[f].text);
	}
}

static int act_decision(struct calls_ctx *ctx, int argc, char **argv)
{
	ctx->wants_engine = true;
	int code = positional_only(ctx, argc, argv, NULL);
	if (code >= 0)
		return code;
	if (argc - optind != 1)
		return cli_usage_error(ctx->cli, "usage: calls decision ID");
	if ((code = ctx_open(ctx)) >= 0)
		return code;
	struct call call;
	struct decision d;
	struct htd_error err;
	struct notes_by_seq notes = { json_object() };
	call_init(&call);
	htd_error_clear(&err);
	memset(&d, 0, sizeof(d));
	if (calls_decision(&ctx->svc, argv[optind], &call, &d, &err) !=
	        HTD_OK ||
	    calls_history(&ctx->svc, call.ref, collect_note, &notes, &err) !=
	        HTD_OK) {
		code = cli_fail(ctx->cli, &err);
		goto out;
	}
	json_t *dj =
	    decision_json(&d, &ctx->engine->protocol, &ctx->engine->policy,
	                  &call, call.language, note_by_seq, &notes);
	if (ctx->cli->json) {
		json_object_set_new(dj, "id", json_string(call.ref));
		print_json(dj);
	} else {
		printf("Call %s\n", call.ref);
		print_decision(ctx->engine, &call, &d, dj);
		json_decref(dj);
	}
	code = CLI_EXIT_OK;
out:
	decision_free(&d);
	json_decref(notes.map);
	call_free(&call);
	return code;
}

static int act_list(struct calls_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "status", required_argument, NULL, 's' },
		{ "category", required_argument, NULL, 'c' },
		{ "since", required_argument, NULL, 'S' },
		{ "until", required_argument, NULL, 'U' },
		{ "limit", required_argument, NULL, 'n' },
		{ "after", required_argument, NULL, 'a' },
		{ 0, 0, 0, 0 },
	};
	struct calls_query q = { 0 };
	int code, c;
	while ((c = cli_getopt(ctx->cli, argc, argv, "", opts, &code)) != -1) {
		switch (c) {
		case -2: return code;
		case 's': q.status = optarg; break;
		case 'c': q.category = optarg; break;
		case 'S': q.since = optarg; break;
		case 'U': q.until = optarg; break;
		case 'n': q.limit = optarg; break;
		case 'a': q.after = optarg; break;
		default: return cli_usage_error(ctx->cli, "bad option");
		}
	}
	if (optind < argc)
		return cli_usage_error(ctx->cli, "unexpected argument '%s'",
		                       argv[optind]);
	struct call_filter filter;
	struct call_page page = { 0 };
	struct htd_error err;
	htd_error_clear(&err);
	if (calls_query_parse(&q, &filter, &err) != HTD_OK)
		return cli_fail(ctx->cli, &err);
	if ((code = ctx_open(ctx)) >= 0)
		return code;
	if (calls_list(&ctx->svc, &filter, &page, &err) != HTD_OK)
		return cli_fail(ctx->cli, &err);

	const char *next = page.more ? page.calls[page.n - 1].ref : NULL;
	if (ctx->cli->json) {
		json_t *arr = json_array();
		for (size_t i = 0; i < page.n; i++) {
			json_t *o = call_json(&page.calls[i]);
			json_object_del(o, "answers");
			json_array_append_new(arr, o);
		}
		print_json(
		    json_pack("{s:o,s:s?}", "calls", arr, "next_after", next));
	} else if (page.n == 0) {
		printf("No calls match.\n");
	} else {
		printf("%-15s %-19s %-6s %-13s %-8s %-5s %s\n", "ID", "OPENED",
		       "STATUS", "CATEGORY", "CHANNEL", "LANG", "LOCATION");
		for (size_t i = 0; i < page.n; i++) {
			const struct call *k = &page.calls[i];
			char t[TIME_TEXT_MAX];
			printf("%-15s %-19s %-6s %-13s %-8s ", k->ref,
			       local_time(k->opened_at_ms, t, sizeof(t)),
			       call_status_name(k->status),
			       call_category_name(k->category),
			       call_channel_name(k->channel));
			print_cell(k->language, 5, true);
			fputc(' ', stdout);
			print_cell(or_dash(k->location_text), 40, false);
			fputc('\n', stdout);
		}
		if (next)
			printf("More: htdispatch calls list --after %s (with "
			       "the same filters)\n",
			       next);
	}
	call_page_free(&page);
	return CLI_EXIT_OK;
}

struct show_ctx {
	json_t *events; /* with --json */
};

static int show_event(void *vctx, const struct store_event *e)
{
	struct show_ctx *sc = vctx;
	if (sc->events) {
		json_array_append_new(sc->events, event_json(e));
		return 0;
	}
	char t[TIME_TEXT_MAX];
	printf("  %3lld  %s  %-16s %s", (long long)e->seq,
	       local_time(e->at_ms, t, sizeof(t)), e->type, e->actor);
	struct event_decoded d;
	struct htd_error err;
	if (event_json_decode(e->type, e->at_ms, e->actor, e->payload, &d,
	                      &err) != HTD_OK) {
		printf("  (unreadable: %s)\n", err.message);
		return 0;
	}
	const struct call_event *ev = &d.event;
	switch (ev->type) {
	case CALL_EVENT_OPENED:
		printf("  %s, %s\n", call_channel_name(ev->u.opened.channel),
		       ev->u.opened.language);
		break;
	case CALL_EVENT_NOTE_ADDED: {
		/* Indent continuation lines of multi-line notes. */
		printf("\n       ");
		for (const char *p = ev->u.note.text; *p; p++) {
			if (*p == '\r')
				continue;
			fputc(*p, stdout);
			if (*p == '\n')
				fputs("       ", stdout);
		}
		fputc('\n', stdout);
		break;
	}
	case CALL_EVENT_ANSWER_RECORDED:
		printf("  %s = %s\n", ev->u.answer.question,
		       ev->u.answer.value);
		break;
	case CALL_EVENT_CLOSED:
		printf("  %s%s%s\n",
		       call_disposition_name(ev->u.closed.disposition),
		       str_empty(ev->u.closed.summary) ? "" : ": ",
		       ev->u.closed.summary);
		break;
	case CALL_EVENT_INDICATORS_FOUND:
		printf("  in note %lld:", (long long)ev->u.indicators.note);
		for (size_t i = 0; i < ev->u.indicators.n_hits; i++) {
			const struct call_hit *h = &ev->u.indicators.hits[i];
			printf("%s %s%s", i ? "," : "", h->indicator,
			       h->negated        ? " (negated)"
			       : h->hypothetical ? " (hypothetical)"
			       : h->historical   ? " (historical)"
			                         : "");
		}
		fputc('\n', stdout);
		break;
	case CALL_EVENT_DECISION_MADE:
		printf("  %s, priority %d",
		       call_category_name(ev->u.decision.category),
		       ev->u.decision.priority);
		if (ev->u.decision.category != ev->u.decision.recommended)
			printf(" (the protocol says %s)",
			       call_category_name(ev->u.decision.recommended));
		fputc('\n', stdout);
		break;
	case CALL_EVENT_CATEGORY_OVERRIDDEN:
		printf("  %s: %s\n",
		       ev->u.override.category == CALL_CATEGORY_UNDETERMINED
		           ? "withdrawn"
		           : call_category_name(ev->u.override.category),
		       ev->u.override.reason);
		break;
	case CALL_EVENT_ACTION_MARKED:
		printf("  %s %s%s%s\n", ev->u.mark.action,
		       call_action_state_name(ev->u.mark.state),
		       str_empty(ev->u.mark.reason) ? "" : ": ",
		       ev->u.mark.reason);
		break;
	case CALL_EVENT_NOTICE_QUEUED:
	case CALL_EVENT_NOTICE_DELIVERED:
	case CALL_EVENT_NOTICE_FAILED:
	case CALL_EVENT_NOTICE_CANCELLED:
	case CALL_EVENT_TASK_CONFIRMED:
		printf("  %s%s%s%s%s%s\n", ev->u.notice.kind,
		       str_empty(ev->u.notice.target) ? "" : " to ",
		       ev->u.notice.target,
		       str_empty(ev->u.notice.detail) ? "" : ": ",
		       ev->u.notice.detail,
		       ev->u.notice.completes ? " (action done)" : "");
		break;
	case CALL_EVENT_RECORDS_SUGGESTED:
		for (size_t i = 0; i < ev->u.suggested.n; i++) {
			const struct call_suggestion *g =
			    &ev->u.suggested.items[i];
			printf("%s  record %lld %s %s (%s, from the %s, "
			       "%.1f)",
			       i ? "\n      " : "", (long long)g->record,
			       g->kind, g->label,
			       g->match ? "match" : "possible", g->from,
			       g->weight);
		}
		fputc('\n', stdout);
		break;
	case CALL_EVENT_RECORD_LINKED:
		printf("  record %lld %s%s%s\n", (long long)ev->u.link.record,
		       ev->u.link.confirmed ? "confirmed" : "rejected",
		       str_empty(ev->u.link.reason) ? "" : ": ",
		       ev->u.link.reason);
		break;
	case CALL_EVENT__COUNT: fputc('\n', stdout); break;
	}
	event_decoded_release(&d);
	return 0;
}

static int act_show(struct calls_ctx *ctx, int argc, char **argv)
{
	int code = positional_only(ctx, argc, argv, NULL);
	if (code >= 0)
		return code;
	if (argc - optind != 1)
		return cli_usage_error(ctx->cli, "usage: calls show ID");
	if ((code = ctx_open(ctx)) >= 0)
		return code;
	struct call call;
	struct htd_error err;
	call_init(&call);
	htd_error_clear(&err);
	if (calls_get(&ctx->svc, argv[optind], &call, &err) != HTD_OK)
		return cli_fail(ctx->cli, &err);

	struct show_ctx sc = { NULL };
	char t[TIME_TEXT_MAX];
	if (ctx->cli->json) {
		sc.events = json_array();
	} else {
		printf("Call %s  %s  %s\n", call.ref,
		       call_status_name(call.status),
		       call_category_name(call.category));
		printf("  Opened    %s by %s\n",
		       local_time(call.opened_at_ms, t, sizeof(t)),
		       call.opened_by);
		printf("  Channel   %s (%s)\n", call_channel_name(call.channel),
		       call_channel_description(call.channel));
		printf("  Language  %s\n", call.language);
		printf("  Location  %s\n", or_dash(call.location_text));
		printf("  Callback  %s\n", or_dash(call.callback_number));
		printf("  Caller    %s\n", or_dash(call.caller_name));
		if (call.status == CALL_STATUS_CLOSED)
			printf("  Closed    %s: %s (%s)%s%s\n",
			       local_time(call.closed_at_ms, t, sizeof(t)),
			       call_disposition_name(call.disposition),
			       call_disposition_description(call.disposition),
			       str_empty(call.close_summary) ? ""
			                                     : "\n            ",
			       call.close_summary);
		printf("  Priority  %d%s\n", call.priority,
		       call.priority ? "" : " (no decision yet)");
		if (call.override_category != CALL_CATEGORY_UNDETERMINED)
			printf("  Override  %s by %s: %s (the protocol says "
			       "%s)\n",
			       call_category_name(call.override_category),
			       call.override_by, call.override_reason,
			       call_category_name(call.recommended_category));
		if (call.n_actions)
			printf("Checklist\n");
		for (size_t i = 0; i < call.n_actions; i++)
			printf("  %-24s %s%s%s\n", call.actions[i].id,
			       call_action_state_name(call.actions[i].state),
			       call.actions[i].marked ? " by " : "",
			       call.actions[i].marked ? call.actions[i].mark_by
			                              : "");
		printf("Answers\n");
		if (call.n_answers == 0)
			printf("  (none yet)\n");
		for (size_t i = 0; i < call.n_answers; i++)
			printf("  %-20s %s\n", call.answers[i].question,
			       call.answers[i].value);
		printf("History\n");
	}
	if (calls_history(&ctx->svc, call.ref, show_event, &sc, &err) !=
	    HTD_OK) {
		json_decref(sc.events);
		call_free(&call);
		return cli_fail(ctx->cli, &err);
	}
	if (ctx->cli->json) {
		json_t *o = call_json(&call);
		json_object_set_new(o, "events", sc.events);
		print_json(o);
	}
	call_free(&call);
	return CLI_EXIT_OK;
}

static const struct {
	const char *name;
	int (*run)(struct calls_ctx *ctx, int argc, char **argv);
} actions[] = {
	{ "open", act_open },         { "note", act_note },
	{ "answer", act_answer },     { "close", act_close },
	{ "list", act_list },         { "show", act_show },
	{ "override", act_override }, { "mark", act_mark },
	{ "decision", act_decision }, { "dispatch", act_dispatch },
	{ "task", act_task },         { "related", act_related },
	{ "link", act_link },
};

static int run_action(struct cli *cli, size_t action, int argc, char **argv)
{
	struct calls_ctx ctx = { .cli = cli };
	cli_engine_init(&ctx.engine_opts);
	int code = actions[action].run(&ctx, argc, argv);
	store_close(ctx.store);
	engine_close(ctx.engine);
	return code;
}

int cli_cmd_calls(struct cli *cli, int argc, char **argv)
{
	const char *names[sizeof(actions) / sizeof(actions[0])];
	for (size_t i = 0; i < sizeof(actions) / sizeof(actions[0]); i++)
		names[i] = actions[i].name;
	return cli_run_action(cli, "calls", cli_usage_calls, names,
	                      sizeof(actions) / sizeof(actions[0]), argc, argv,
	                      run_action);
}
