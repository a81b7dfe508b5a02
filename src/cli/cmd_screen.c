/*
 * cmd_screen.c - `htdispatch screen`: finds trafficking indicators in notes
 * from files, stdin or a JSON Lines export of past calls, and writes JSON
 * Lines of hits or a summary for review (docs/screen.md). The scanning is
 * service/screen.c; this file parses arguments, prints, and shows progress.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <utf8proc.h>

#include "cli/cli.h"
#include "service/screen.h"
#include "util/buf.h"
#include "util/mem.h"
#include "util/str.h"

const char cli_usage_screen[] =
    "usage: htdispatch screen [--lexicon DIR] [--cache DIR | --no-cache]\n"
    "                         [--jsonl] [--summary] [--json] [FILE...]\n"
    "\n"
    "Finds trafficking indicators (domain.md section 4) in call notes, in\n"
    "every language of the lexicon, with negation, hypothetical and\n"
    "historical context. Reads each FILE, or standard input when there is\n"
    "none or FILE is '-'.\n"
    "\n"
    "Options:\n"
    "  --lexicon DIR   lexicon files (default: " LEXICON_DIR_DEFAULT ")\n"
    "  --cache DIR     where the compiled lexicon is cached (default:\n"
    "                  " SCREEN_CACHE_DIR_DEFAULT ")\n"
    "  --no-cache      compile the lexicon every time\n"
    "  --jsonl         the input is JSON Lines, one call per line:\n"
    "                  {\"id\": \"HT-2026-000123\", \"notes\": \"...\"}\n"
    "  --summary       print counts per indicator and the calls to review\n"
    "                  (a means and a purpose indicator that count) instead\n"
    "                  of the hits; with --json as one JSON object\n"
    "\n"
    "Output: one JSON object per line for each hit:\n"
    "  {\"id\", \"indicator\", \"start\", \"end\", \"text\", \"language\","
    " \"negated\",\n"
    "   \"hypothetical\", \"historical\", \"subject\", \"amp\"}\n"
    "(byte offsets into the note, or into the file for plain text), then a\n"
    "line {\"id\", \"summary\": {...}} per note with hits. See "
    "docs/screen.md.\n"
    "Throughput goes to stderr at the end; a progress bar too when stderr "
    "is\na terminal and a file is large.\n"
    "\n"
    "Exit status: 0 success, 1 a lexicon, file or line could not be used\n"
    "(each is reported; the rest is still screened), 2 usage error.\n";

/* Files larger than this get a progress bar when stderr is a terminal. */
#define PROGRESS_MIN_BYTES ((uint64_t)8 * 1024 * 1024)

/* Per-indicator counts for --summary. */
struct indicator_counts {
	uint64_t hits, counting, negated, hypothetical, historical;
};

/* What is known about the call being read (a JSONL record, or a whole
 * plain-text input), for the summary line and the review list. */
struct call_acc {
	unsigned amp;                    /* of counting hits */
	bool counting[INDICATOR__COUNT]; /* indicators with a counting hit */
	uint64_t hits, n_counting;
	uint64_t language_bytes[16]; /* per lexicon, for plain text */
	json_t *industries;          /* ids, when any */
	uint64_t invalid_bytes;
};

struct screen_run {
	struct screen *screen;
	bool jsonl, summary;
	int status; /* exit code so far */
	struct indicator_counts counts[INDICATOR__COUNT];
	FILE *review; /* review entries, one JSON per line; bounded memory */
	uint64_t n_review, n_inputs;
	struct call_acc call;
	struct buf text; /* scratch for sanitised text */
	/* progress */
	bool show_progress;
	uint64_t input_size;
	int last_percent;
};

/* ---- output helpers ---------------------------------------------------- */

/* Returns `len` bytes as a JSON string; invalid UTF-8 becomes U+FFFD, so
 * the output is always valid JSON whatever the input held. */
static json_t *json_text(struct buf *b, const char *s, size_t len)
{
	const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)s;
	size_t i = 0;

	buf_reset(b);
	while (i < len) {
		utf8proc_int32_t cp;
		utf8proc_ssize_t n =
		    utf8proc_iterate(p + i, (utf8proc_ssize_t)(len - i), &cp);
		if (n <= 0 || cp < 0) {
			buf_append(b, "\xef\xbf\xbd", 3);
			i++;
			continue;
		}
		buf_append(b, s + i, (size_t)n);
		i += (size_t)n;
	}
	json_t *j = json_stringn(b->data ? b->data : "", b->len);
	return j ? j : json_string("");
}

static json_t *amp_json(unsigned amp)
{
	json_t *a = json_array();
	for (unsigned bit = 1; bit <= AMP_MINOR; bit <<= 1) {
		char name[32];
		if (amp & bit)
			json_array_append_new(a, json_string(amp_format(
			                             bit, name, sizeof(name))));
	}
	return a;
}

static json_t *id_json(struct screen_run *run, const struct screen_item *it)
{
	json_error_t jerr;
	json_t *id = NULL;
	if (it->id_json)
		id = json_loads(it->id_json, JSON_DECODE_ANY, &jerr);
	if (!id)
		id = json_text(&run->text, it->id, strlen(it->id));
	return id;
}

static void print_json(json_t *o)
{
	json_dumpf(o, stdout, JSON_COMPACT);
	fputc('\n', stdout);
	json_decref(o);
}

/* ---- progress ---------------------------------------------------------- */

static void on_progress(void *ctx, uint64_t bytes)
{
	struct screen_run *run = ctx;
	if (!run->show_progress || run->input_size == 0)
		return;
	int pct = (int)(bytes * 100 / run->input_size);
	if (pct > 100)
		pct = 100;
	if (pct == run->last_percent)
		return;
	run->last_percent = pct;
	int filled = pct * 30 / 100;
	char bar[31];
	for (int i = 0; i < 30; i++)
		bar[i] = i < filled ? '#' : '.';
	bar[30] = '\0';
	fprintf(stderr, "\rscreen: [%s] %3d%% of %.1f MB", bar, pct,
	        (double)run->input_size / 1e6);
	fflush(stderr);
}

static void progress_done(struct screen_run *run)
{
	if (run->show_progress && run->last_percent >= 0)
		fputs("\r\033[K", stderr);
	run->show_progress = false;
}

/* ---- per call ---------------------------------------------------------- */

static void call_reset(struct call_acc *c)
{
	json_decref(c->industries);
	memset(c, 0, sizeof(*c));
}

static void call_add(struct screen_run *run, const struct screen_item *it)
{
	const struct indicator_result *r = it->result;
	struct call_acc *c = &run->call;

	c->hits += r->n_hits;
	c->invalid_bytes += r->invalid_bytes;
	for (size_t i = 0; i < r->n_hits; i++) {
		const struct indicator_hit *h = &r->hits[i];
		if ((unsigned)h->id >= INDICATOR__COUNT)
			continue;
		struct indicator_counts *k = &run->counts[h->id];
		bool counts = indicator_hit_counts(h);
		k->hits++;
		k->negated += h->negated;
		k->hypothetical += h->hypothetical;
		k->historical += h->historical && counts;
		if (counts) {
			k->counting++;
			c->n_counting++;
			c->counting[h->id] = true;
			c->amp |= indicator_amp(h->id);
		}
	}
	for (size_t i = 0; i < r->n_industries; i++) {
		if (!c->industries)
			c->industries = json_array();
		const char *id = r->industries[i].id;
		bool dup = false;
		size_t j;
		json_t *v;
		json_array_foreach(c->industries, j, v)
		{
			if (str_eq(json_string_value(v), id))
				dup = true;
		}
		if (!dup && json_array_size(c->industries) < 32)
			json_array_append_new(
			    c->industries,
			    json_text(&run->text, id, strnlen(id, 32)));
	}
	/* The language of a plain-text input is that of most of its bytes. */
	for (size_t i = 0; i < screen_language_count(run->screen) && i < 16;
	     i++)
		if (str_eq(r->language, screen_language(run->screen, i)))
			c->language_bytes[i] += it->len;
}

static const char *call_language(struct screen_run *run,
                                 const struct indicator_result *last)
{
	if (!run->jsonl || !last) {
		uint64_t best = 0;
		const char *lang = "";
		for (size_t i = 0;
		     i < screen_language_count(run->screen) && i < 16; i++)
			if (run->call.language_bytes[i] > best) {
				best = run->call.language_bytes[i];
				lang = screen_language(run->screen, i);
			}
		return lang;
	}
	return last->language;
}

/*
 * Why a call is listed for review, or NULL: a means and a purpose
 * indicator that count (the AMP model, domain.md section 5), or a minor in
 * commercial sex, which needs no means (22 U.S.C. 7102, severe forms (A);
 * domain.md section 5).
 */
static const char *review_reason(const struct call_acc *c)
{
	if ((c->amp & AMP_MEANS) && (c->amp & AMP_PURPOSE))
		return "means+purpose";
	if (c->counting[INDICATOR_MINOR] &&
	    c->counting[INDICATOR_COMMERCIAL_SEX])
		return "minor+commercial_sex";
	return NULL;
}

/* Ends a call: its summary line (hits mode) or review entry (summary). */
static void call_end(struct screen_run *run, json_t *id,
                     const struct indicator_result *last)
{
	struct call_acc *c = &run->call;
	const char *reason = review_reason(c);

	if (run->summary && reason && run->review) {
		json_t *ids = json_array();
		for (int i = 0; i < INDICATOR__COUNT; i++)
			if (c->counting[i])
				json_array_append_new(
				    ids, json_string(indicator_name(
				             (enum indicator_id)i)));
		json_t *o =
		    json_pack("{s:O,s:s,s:o,s:o}", "id", id, "reason", reason,
		              "amp", amp_json(c->amp), "indicators", ids);
		json_dumpf(o, run->review, JSON_COMPACT);
		fputc('\n', run->review);
		json_decref(o);
		run->n_review++;
	} else if (!run->summary && c->hits > 0) {
		json_t *s = json_pack(
		    "{s:s,s:o,s:I,s:I,s:b}", "language",
		    call_language(run, last), "amp", amp_json(c->amp), "hits",
		    (json_int_t)c->hits, "counting", (json_int_t)c->n_counting,
		    "review", reason != NULL);
		if (c->industries) {
			json_object_set(s, "industries", c->industries);
		}
		if (c->invalid_bytes)
			json_object_set_new(
			    s, "invalid_bytes",
			    json_integer((json_int_t)c->invalid_bytes));
		print_json(json_pack("{s:O,s:o}", "id", id, "summary", s));
	}
	call_reset(c);
}

static void print_hits(struct screen_run *run, json_t *id,
                       const struct screen_item *it)
{
	const struct indicator_result *r = it->result;
	for (size_t i = 0; i < r->n_hits; i++) {
		const struct indicator_hit *h = &r->hits[i];
		size_t start = h->start <= it->len ? h->start : it->len;
		size_t end =
		    h->end <= it->len && h->end >= start ? h->end : start;
		json_t *o = json_pack(
		    "{s:O,s:s,s:I,s:I,s:o,s:s,s:b,s:b,s:b,s:s,s:o}", "id", id,
		    "indicator", indicator_name(h->id), "start",
		    (json_int_t)(it->base + start), "end",
		    (json_int_t)(it->base + end), "text",
		    json_text(&run->text, it->text + start, end - start),
		    "language", h->language, "negated", h->negated,
		    "hypothetical", h->hypothetical, "historical",
		    h->historical, "subject",
		    indicator_subject_name(h->subject), "amp",
		    amp_json(h->amp));
		print_json(o);
	}
}

static int on_item(void *ctx, const struct screen_item *it)
{
	struct screen_run *run = ctx;
	json_t *id = id_json(run, it);

	call_add(run, it);
	if (!run->summary && it->result->n_hits > 0) {
		/* The bar would garble lines on a shared terminal. */
		if (run->show_progress && isatty(STDOUT_FILENO))
			progress_done(run);
		print_hits(run, id, it);
	}
	if (run->jsonl)
		call_end(run, id, it->result);
	json_decref(id);
	return 0;
}

static void on_bad_line(void *ctx, const char *input, uint64_t line,
                        const char *why)
{
	struct screen_run *run = ctx;
	if (run->show_progress && run->last_percent >= 0)
		fputs("\r\033[K", stderr);
	fprintf(stderr, "htdispatch screen: %s:%llu: %s\n", input,
	        (unsigned long long)line, why);
	run->status = CLI_EXIT_FAILURE;
}

/* ---- inputs ------------------------------------------------------------ */

static void screen_input(struct screen_run *run, const char *name)
{
	bool is_stdin = str_eq(name, "-");
	const char *shown = is_stdin ? "-" : name;
	struct stat sb;
	struct htd_error err;
	int fd = STDIN_FILENO;

	if (!is_stdin) {
		fd = open(name, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			fprintf(stderr, "htdispatch screen: %s: %s\n", name,
			        strerror(errno));
			run->status = CLI_EXIT_FAILURE;
			return;
		}
	}
	if (fstat(fd, &sb) == 0 && S_ISDIR(sb.st_mode)) {
		fprintf(stderr, "htdispatch screen: %s: is a directory\n",
		        name);
		run->status = CLI_EXIT_FAILURE;
		if (!is_stdin)
			close(fd);
		return;
	}
	run->n_inputs++;
	run->input_size = S_ISREG(sb.st_mode) ? (uint64_t)sb.st_size : 0;
	run->show_progress =
	    isatty(STDERR_FILENO) && run->input_size > PROGRESS_MIN_BYTES;
	run->last_percent = -1;
	call_reset(&run->call);

	struct screen_sink sink = {
		.on_item = on_item,
		.on_bad_line = on_bad_line,
		.on_progress = on_progress,
		.ctx = run,
	};
	htd_error_clear(&err);
	enum htd_err rc =
	    run->jsonl ? screen_jsonl(run->screen, fd, shown, &sink, &err)
	               : screen_text(run->screen, fd, shown, &sink, &err);
	progress_done(run);
	if (!run->jsonl) {
		json_t *id = json_text(&run->text, shown, strlen(shown));
		call_end(run, id, NULL);
		json_decref(id);
	}
	call_reset(&run->call);
	if (rc != HTD_OK) {
		char msg[HTD_ERROR_MESSAGE_MAX + HTD_ERROR_FILE_MAX + 32];
		fprintf(stderr, "htdispatch screen: %s\n",
		        htd_error_format(&err, msg, sizeof(msg)));
		run->status = CLI_EXIT_FAILURE;
	}
	if (!is_stdin)
		close(fd);
}

/* ---- the summary ------------------------------------------------------- */

static void print_summary_json(struct screen_run *run,
                               const struct screen_stats *st)
{
	json_t *ind = json_object();
	for (int i = 0; i < INDICATOR__COUNT; i++) {
		const struct indicator_counts *k = &run->counts[i];
		json_object_set_new(
		    ind, indicator_name((enum indicator_id)i),
		    json_pack("{s:I,s:I,s:I,s:I,s:I}", "hits",
		              (json_int_t)k->hits, "counting",
		              (json_int_t)k->counting, "negated",
		              (json_int_t)k->negated, "hypothetical",
		              (json_int_t)k->hypothetical, "historical",
		              (json_int_t)k->historical));
	}
	json_t *head = json_pack(
	    "{s:I,s:I,s:I,s:I,s:I,s:o}", "inputs", (json_int_t)run->n_inputs,
	    "notes", (json_int_t)st->notes, "bytes", (json_int_t)st->bytes,
	    "bad_lines", (json_int_t)st->bad_lines, "to_review",
	    (json_int_t)run->n_review, "indicators", ind);
	/* The review list may be long: stream it from its file rather than
	 * build it in memory. */
	char *text = json_dumps(head, JSON_COMPACT);
	json_decref(head);
	size_t n = strlen(text);
	fwrite(text, 1, n - 1, stdout); /* without the closing brace */
	free(text);
	fputs(",\"review\":[", stdout);
	if (run->review) {
		rewind(run->review);
		char line[8192];
		bool first = true, bol = true;
		while (fgets(line, sizeof(line), run->review)) {
			size_t len = strlen(line);
			bool eol = len && line[len - 1] == '\n';
			if (eol)
				line[--len] = '\0';
			if (bol && !first)
				fputc(',', stdout);
			fputs(line, stdout);
			first = false;
			bol = eol;
		}
	}
	fputs("]}\n", stdout);
}

static void print_summary_text(struct screen_run *run,
                               const struct screen_stats *st)
{
	if (run->jsonl)
		printf("Screened %llu note%s (%.1f MB) from %llu input%s",
		       (unsigned long long)st->notes, st->notes == 1 ? "" : "s",
		       (double)st->bytes / 1e6,
		       (unsigned long long)run->n_inputs,
		       run->n_inputs == 1 ? "" : "s");
	else
		printf("Screened %.1f MB of text from %llu input%s",
		       (double)st->bytes / 1e6,
		       (unsigned long long)run->n_inputs,
		       run->n_inputs == 1 ? "" : "s");
	if (st->bad_lines)
		printf("; %llu bad line%s skipped",
		       (unsigned long long)st->bad_lines,
		       st->bad_lines == 1 ? "" : "s");
	printf(".\n\n%-26s %8s %9s %8s %13s %11s\n", "INDICATOR", "HITS",
	       "COUNTING", "NEGATED", "HYPOTHETICAL", "HISTORICAL");
	for (int i = 0; i < INDICATOR__COUNT; i++) {
		const struct indicator_counts *k = &run->counts[i];
		printf("%-26s %8llu %9llu %8llu %13llu %11llu\n",
		       indicator_name((enum indicator_id)i),
		       (unsigned long long)k->hits,
		       (unsigned long long)k->counting,
		       (unsigned long long)k->negated,
		       (unsigned long long)k->hypothetical,
		       (unsigned long long)k->historical);
	}
	printf("\nCalls to review (a means and a purpose indicator that "
	       "count, or a minor\nin commercial sex): %llu\n",
	       (unsigned long long)run->n_review);
	if (!run->review)
		return;
	rewind(run->review);
	/* Entries were written by us, one per line; a long one is read in
	 * pieces and parsed whole. */
	struct buf line;
	buf_init(&line, 0);
	char piece[4096];
	while (fgets(piece, sizeof(piece), run->review)) {
		buf_puts(&line, piece);
		if (line.len == 0 || line.data[line.len - 1] != '\n')
			continue;
		json_error_t jerr;
		json_t *o = json_loadb(line.data, line.len, 0, &jerr);
		buf_reset(&line);
		if (!o)
			continue;
		json_t *id = json_object_get(o, "id");
		char *id_text = json_is_string(id)
		                    ? xstrdup(json_string_value(id))
		                    : json_dumps(id, JSON_ENCODE_ANY);
		printf("  %-20s %-21s", id_text ? id_text : "?",
		       json_string_value(json_object_get(o, "reason")));
		size_t i;
		json_t *v;
		json_array_foreach(json_object_get(o, "indicators"), i, v)
		{
			printf("%s%s", i ? ", " : " ", json_string_value(v));
		}
		fputc('\n', stdout);
		free(id_text);
		json_decref(o);
	}
	buf_free(&line);
}

static double now_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- the command ------------------------------------------------------- */

/* Prints one lexicon error; ctx counts them. */
static void print_lexicon_error(void *ctx, const struct htd_error *e)
{
	if (ctx)
		(*(size_t *)ctx)++;
	char msg[HTD_ERROR_MESSAGE_MAX + HTD_ERROR_FILE_MAX + 32];
	fprintf(stderr, "htdispatch screen: %s\n",
	        htd_error_format(e, msg, sizeof(msg)));
}

int cli_cmd_screen(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "lexicon", required_argument, NULL, 'l' },
		{ "cache", required_argument, NULL, 'c' },
		{ "no-cache", no_argument, NULL, 'n' },
		{ "jsonl", no_argument, NULL, 'j' },
		{ "summary", no_argument, NULL, 's' },
		{ 0, 0, 0, 0 },
	};
	size_t n_printed = 0;
	struct screen_options sopts = { .on_error = print_lexicon_error,
		                        .ctx = &n_printed };
	struct screen_run run = { .last_percent = -1 };
	struct htd_error err;
	int code, c;

	while ((c = cli_getopt(cli, argc, argv, "", opts, &code)) != -1) {
		switch (c) {
		case -2: return code;
		case 'l':
			if (!optarg[0])
				return cli_usage_error(cli, "--lexicon needs a "
				                            "directory");
			sopts.lexicon_dir = optarg;
			break;
		case 'c':
			if (!optarg[0])
				return cli_usage_error(cli, "--cache needs a "
				                            "directory");
			sopts.cache_dir = optarg;
			break;
		case 'n': sopts.cache_dir = ""; break;
		case 'j': run.jsonl = true; break;
		case 's': run.summary = true; break;
		default: return cli_usage_error(cli, "bad option");
		}
	}

	double t0 = now_seconds();
	htd_error_clear(&err);
	if (screen_open(&sopts, &run.screen, &err) != HTD_OK) {
		/* Lexicon file errors were printed one by one as found;
		 * others (compiling) are printed here. */
		if (n_printed == 0)
			print_lexicon_error(NULL, &err);
		if (err.code == HTD_ERR_NOT_FOUND)
			fprintf(stderr, "Give the lexicon directory with "
			                "--lexicon DIR.\n");
		return CLI_EXIT_FAILURE;
	}
	buf_init(&run.text, 0);
	if (run.summary) {
		run.review = tmpfile();
		if (!run.review)
			fprintf(stderr,
			        "htdispatch screen: cannot make a temporary "
			        "file for the review list: %s\n",
			        strerror(errno));
	}
	double t1 = now_seconds();
	if (optind >= argc) {
		screen_input(&run, "-");
	} else {
		for (int i = optind; i < argc; i++)
			screen_input(&run, argv[i]);
	}
	double t2 = now_seconds();

	struct screen_stats st;
	screen_stats(run.screen, &st);
	if (run.summary) {
		if (cli->json)
			print_summary_json(&run, &st);
		else
			print_summary_text(&run, &st);
	}
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr,
		        "htdispatch screen: cannot write the output: "
		        "%s\n",
		        strerror(errno));
		run.status = CLI_EXIT_FAILURE;
	}
	double secs = t2 - t1;
	fprintf(stderr,
	        "screen: %.1f MB in %.2f s (%.1f MB/s); %llu %s%s, "
	        "%llu hit%s (%llu counting), %llu bad line%s; lexicon "
	        "ready in %.0f ms (cache: %s)\n",
	        (double)st.bytes / 1e6, secs,
	        secs > 0 ? (double)st.bytes / 1e6 / secs : 0.0,
	        (unsigned long long)st.notes, run.jsonl ? "note" : "chunk",
	        st.notes == 1 ? "" : "s", (unsigned long long)st.hits,
	        st.hits == 1 ? "" : "s", (unsigned long long)st.counting,
	        (unsigned long long)st.bad_lines, st.bad_lines == 1 ? "" : "s",
	        (t1 - t0) * 1000.0,
	        screen_cache_name(screen_cache_state(run.screen)));
	if (run.review)
		fclose(run.review);
	call_reset(&run.call);
	buf_free(&run.text);
	screen_close(run.screen);
	return run.status;
}
