/*
 * decide.c - what one decision costs in process: protocol_decide() alone on
 * a prepared call (the per-keystroke cost), with the decision written as
 * JSON, the note screening, and the whole of assess_json() from a parsed
 * input (building the call, screening 2 KB of notes, deciding, JSON), next
 * to its anchor: jansson parsing and printing the same input document.
 */
#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_util.h"
#include "core/call.h"
#include "core/protocol.h"
#include "formats/decision_json.h"
#include "service/assess.h"
#include "service/engine.h"
#include "util/clock.h"
#include "util/error.h"
#include "util/log.h"
#include "util/str.h"
#include "version.h"

/* The target: protocol_decide() median under this. */
#define TARGET_DECIDE_US 50.0

#define NOTES_MAX ASSESS_NOTES_MAX
#define BENCH_NAME "decide" /* the prefix of its messages */

struct config {
	int64_t runs;   /* timed runs of each case */
	int64_t rounds; /* the runs are cut into this many slices */
	bool quick;
	const char *out; /* NULL: no JSON */
	const char *call_file;
	const char *protocol_file;
	const char *policy_file;
	const char *lexicon_dir;
	const char *cache_dir; /* "": compile the lexicon in memory */
};

/* The cases, in the order of the table. */
enum bench_case {
	CASE_DECIDE,      /* protocol_decide() + decision_free() */
	CASE_DECIDE_JSON, /* ... + decision_json() + json_dumps() */
	CASE_SCAN,        /* engine_scan_note() on every note */
	CASE_ASSESS,      /* assess_json() + json_dumps() */
	CASE_ANCHOR,      /* json_loadb() + json_dumps() of the input */
	CASE__COUNT
};

static const char *const case_names[CASE__COUNT] = {
	"decide", "decide_json", "scan_notes", "assess", "anchor_jansson",
};

static const char *const case_labels[CASE__COUNT] = {
	"protocol_decide()",   "decide + decision JSON",    "screen the notes",
	"assess_json() (all)", "anchor: jansson load+dump",
};

/* The prepared call and what it was built from. */
struct workload {
	char *text; /* owned; the input document */
	size_t len;
	json_t *input; /* owned */
	struct call call;
	const char *notes[NOTES_MAX]; /* borrowed from input */
	int64_t note_seq[NOTES_MAX];
	size_t n_notes;
	size_t note_bytes;
	size_t n_answers;
	size_t n_hits;
};

/* ---- small helpers ---------------------------------------------------- */

static void print_error(const char *doing, const struct htd_error *err)
{
	char msg[HTD_ERROR_MESSAGE_MAX + HTD_ERROR_FILE_MAX + 32];
	fprintf(stderr, "decide: %s: %s\n", doing,
	        htd_error_format(err, msg, sizeof(msg)));
}

static void print_engine_error(void *ctx, const struct htd_error *e)
{
	(void)ctx;
	print_error("loading", e);
}

/* ---- the workload: the call, built as service/assess.c builds it ------- */

static int apply(struct call *c, struct call_event *e, const char *what)
{
	struct htd_error err;
	htd_error_clear(&err);
	if (call_event_validate(e, &err) != HTD_OK ||
	    call_apply(c, e, &err) != HTD_OK) {
		print_error(what, &err);
		return -1;
	}
	return 0;
}

static int add_answers(struct engine *en, struct workload *w, int64_t at)
{
	const json_t *answers = json_object_get(w->input, "answers");
	const char *key;
	json_t *v;
	json_object_foreach((json_t *)answers, key, v)
	{
		struct htd_error err;
		char canonical[CALL_ANSWER_MAX + 1];
		long qi = protocol_question_index(&en->protocol, key);
		if (qi < 0 || !json_is_string(v)) {
			fprintf(stderr,
			        "decide: answers.%s: not a question of the "
			        "protocol, or not a string\n",
			        key);
			return -1;
		}
		if (protocol_answer_normalise(
		        &en->protocol.questions[qi], json_string_value(v),
		        canonical, sizeof(canonical), &err) != HTD_OK) {
			print_error(key, &err);
			return -1;
		}
		struct call_event e = { .type = CALL_EVENT_ANSWER_RECORDED,
			                .at_ms = at,
			                .actor = "bench" };
		e.u.answer.question = key;
		e.u.answer.value = canonical;
		if (apply(&w->call, &e, key) != 0)
			return -1;
		w->n_answers++;
	}
	return 0;
}

static int add_notes(struct engine *en, struct workload *w, int64_t at)
{
	const json_t *notes = json_object_get(w->input, "notes");
	size_t i;
	json_t *v;
	json_array_foreach(notes, i, v)
	{
		if (!json_is_string(v) || w->n_notes >= NOTES_MAX) {
			fprintf(stderr, "decide: notes[%zu]: not a string\n",
			        i);
			return -1;
		}
		const char *text = json_string_value(v);
		struct call_event e = { .type = CALL_EVENT_NOTE_ADDED,
			                .at_ms = at,
			                .actor = "bench" };
		e.u.note.text = text;
		int64_t seq = w->call.version + 1;
		if (apply(&w->call, &e, "note") != 0)
			return -1;
		w->notes[w->n_notes] = text;
		w->note_seq[w->n_notes++] = seq;
		w->note_bytes += strlen(text);

		struct call_hit *hits = NULL;
		size_t n_hits = 0;
		struct htd_error err;
		if (engine_scan_note(en, text, seq, &hits, &n_hits, &err) !=
		    HTD_OK) {
			print_error("screening a note", &err);
			return -1;
		}
		int rc = 0;
		if (n_hits) {
			struct call_event ie = {
				.type = CALL_EVENT_INDICATORS_FOUND,
				.at_ms = at,
				.actor = "bench"
			};
			ie.u.indicators.note = seq;
			ie.u.indicators.hits = hits;
			ie.u.indicators.n_hits = n_hits;
			rc = apply(&w->call, &ie, "indicators");
		}
		w->n_hits += n_hits;
		free(hits);
		if (rc != 0)
			return -1;
	}
	return 0;
}

static int workload_init(struct engine *en, const struct config *cfg,
                         struct workload *w)
{
	json_error_t jerr;
	FILE *f = fopen(cfg->call_file, "rb");
	if (!f) {
		fprintf(stderr, "decide: %s: %s\n", cfg->call_file,
		        strerror(errno));
		return -1;
	}
	size_t cap = 0;
	char chunk[8192];
	size_t got;
	while ((got = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (w->len + got + 1 > cap) {
			cap = (w->len + got + 1) * 2;
			char *grown = realloc(w->text, cap);
			if (!grown) {
				fclose(f);
				fprintf(stderr, "decide: out of memory\n");
				return -1;
			}
			w->text = grown;
		}
		memcpy(w->text + w->len, chunk, got);
		w->len += got;
	}
	fclose(f);
	if (!w->text || w->len > ASSESS_INPUT_MAX) {
		fprintf(stderr, "decide: %s: empty or over %zu bytes\n",
		        cfg->call_file, ASSESS_INPUT_MAX);
		return -1;
	}
	w->text[w->len] = '\0';
	w->input = json_loadb(w->text, w->len, JSON_REJECT_DUPLICATES, &jerr);
	if (!w->input) {
		fprintf(stderr, "decide: %s:%d:%d: %s\n", cfg->call_file,
		        jerr.line, jerr.column, jerr.text);
		return -1;
	}

	int64_t at = clock_now_ms(clock_system());
	char language[CALL_LANGUAGE_MAX + 1];
	const char *lang =
	    json_string_value(json_object_get(w->input, "language"));
	if (!call_language_normalise(lang ? lang : "en", language,
	                             sizeof(language))) {
		fprintf(stderr, "decide: bad language\n");
		return -1;
	}
	struct call_event e = { .type = CALL_EVENT_OPENED,
		                .at_ms = at,
		                .actor = "bench" };
	e.u.opened.channel = CALL_CHANNEL_VOICE;
	e.u.opened.language = language;
	e.u.opened.location_text = "";
	e.u.opened.callback_number = "";
	e.u.opened.caller_name = "";
	if (apply(&w->call, &e, "opening the call") != 0)
		return -1;
	if (add_answers(en, w, at) != 0 || add_notes(en, w, at) != 0)
		return -1;
	return 0;
}

static void workload_free(struct workload *w)
{
	call_free(&w->call);
	json_decref(w->input);
	free(w->text);
}

static const char *note_text(void *ctx, int64_t note)
{
	const struct workload *w = ctx;
	for (size_t i = 0; i < w->n_notes; i++)
		if (w->note_seq[i] == note)
			return w->notes[i];
	return NULL;
}

/* ---- one run of each case --------------------------------------------- */

/* Keeps the compiler from dropping work whose result is not used. */
static volatile size_t sink;

static int run_once(struct engine *en, struct workload *w, enum bench_case k,
                    int64_t now_ms)
{
	struct decision d;
	struct decision_input in = { .call = &w->call, .now_ms = now_ms };
	struct htd_error err;

	switch (k) {
	case CASE_DECIDE:
		protocol_decide(&en->protocol, &en->policy, &in, &d);
		sink += d.n_actions + (size_t)d.category;
		decision_free(&d);
		return 0;
	case CASE_DECIDE_JSON: {
		protocol_decide(&en->protocol, &en->policy, &in, &d);
		json_t *o =
		    decision_json(&d, &en->protocol, &en->policy, &w->call,
		                  w->call.language, note_text, w);
		char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
		sink += s ? strlen(s) : 0;
		free(s);
		json_decref(o);
		decision_free(&d);
		return 0;
	}
	case CASE_SCAN:
		for (size_t i = 0; i < w->n_notes; i++) {
			struct call_hit *hits = NULL;
			size_t n = 0;
			if (engine_scan_note(en, w->notes[i], w->note_seq[i],
			                     &hits, &n, &err) != HTD_OK) {
				print_error("screening a note", &err);
				return -1;
			}
			sink += n;
			free(hits);
		}
		return 0;
	case CASE_ASSESS: {
		json_t *out = NULL;
		if (assess_json(en, w->input, now_ms, &out, &err) != HTD_OK) {
			print_error("assess_json", &err);
			return -1;
		}
		char *s = json_dumps(out, JSON_COMPACT | JSON_PRESERVE_ORDER);
		sink += s ? strlen(s) : 0;
		free(s);
		json_decref(out);
		return 0;
	}
	case CASE_ANCHOR: {
		json_error_t jerr;
		json_t *o =
		    json_loadb(w->text, w->len, JSON_REJECT_DUPLICATES, &jerr);
		if (!o) {
			fprintf(stderr, "decide: anchor: %s\n", jerr.text);
			return -1;
		}
		char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
		sink += s ? strlen(s) : 0;
		free(s);
		json_decref(o);
		return 0;
	}
	case CASE__COUNT: break;
	}
	return -1;
}

/*
 * Checks, before timing, that the prepared call and assess_json() reach the
 * same decision, and that the notes were screened: a benchmark of a broken
 * path measures nothing.
 */
static int check_workload(struct engine *en, struct workload *w, char *category,
                          size_t size)
{
	struct decision d;
	struct decision_input in = { .call = &w->call, .now_ms = 1 };
	struct htd_error err;
	json_t *out = NULL;
	int rc = -1;

	protocol_decide(&en->protocol, &en->policy, &in, &d);
	if (assess_json(en, w->input, 1, &out, &err) != HTD_OK) {
		print_error("assess_json", &err);
		goto out;
	}
	const char *mine = call_category_name(d.category);
	const char *theirs =
	    json_string_value(json_object_get(out, "category"));
	if (!theirs || strcmp(mine, theirs) != 0) {
		fprintf(stderr,
		        "decide: the prepared call decides %s, assess_json "
		        "%s: the workload is not built as assess builds it\n",
		        mine, theirs ? theirs : "(none)");
		goto out;
	}
	if (json_array_size(json_object_get(out, "indicators")) != w->n_hits) {
		fprintf(stderr, "decide: %zu hits here, %zu in assess_json\n",
		        w->n_hits,
		        json_array_size(json_object_get(out, "indicators")));
		goto out;
	}
	if (w->n_hits == 0) {
		fprintf(stderr, "decide: the notes gave no indicator hits: "
		                "is the lexicon loaded?\n");
		goto out;
	}
	str_copy(category, size, mine);
	rc = 0;
out:
	json_decref(out);
	decision_free(&d);
	return rc;
}

/* What a run of a case needs: the engine, the workload and one "now", so
 * that every run decides the same call at the same time. */
struct run_ctx {
	struct engine *en;
	struct workload *w;
	int64_t now_ms;
};

/* bench_run_fn over struct run_ctx. */
static int run_case(void *ctx, int k, int64_t i)
{
	struct run_ctx *c = ctx;
	(void)i;
	return run_once(c->en, c->w, (enum bench_case)k, c->now_ms);
}

/* ---- output ----------------------------------------------------------- */

static int write_json(const struct config *cfg, const struct workload *w,
                      const char *category, const struct bench_stats *st,
                      double ratio, bool met)
{
	/* The call file relative to the source tree, when it is in it. */
	const char *call = cfg->call_file;
	size_t root_len = strlen(HTD_SOURCE_ROOT);
	if (strncmp(call, HTD_SOURCE_ROOT, root_len) == 0 &&
	    call[root_len] == '/')
		call += root_len + 1;
	json_t *params =
	    json_pack("{s:I,s:I,s:s,s:I,s:I,s:I,s:I,s:s,s:b}", "runs",
	              (json_int_t)cfg->runs, "rounds", (json_int_t)cfg->rounds,
	              "call", call, "notes", (json_int_t)w->n_notes,
	              "note_bytes", (json_int_t)w->note_bytes, "answers",
	              (json_int_t)w->n_answers, "hits", (json_int_t)w->n_hits,
	              "category", category, "quick", cfg->quick);
	json_t *cases = json_object();
	for (int k = 0; k < CASE__COUNT; k++)
		json_object_set_new(cases, case_names[k],
		                    bench_stats_json_us(&st[k]));
	json_t *target =
	    json_pack("{s:f,s:f,s:b}", "decide_median_us_max", TARGET_DECIDE_US,
	              "decide_median_us", st[CASE_DECIDE].median, "met", met);
	json_t *root = bench_results_new("decide");
	json_object_set_new(root, "jansson_version",
	                    json_string(JANSSON_VERSION));
	return bench_results_write_cases(
	    BENCH_NAME, root,
	    "jansson: json_loadb() and json_dumps() of the same input document",
	    params, cases, "ratio_assess_anchor", ratio, target, cfg->out);
}

static void print_table(const struct config *cfg, const struct workload *w,
                        const char *category, const struct bench_stats *st,
                        double ratio, bool met)
{
	printf("decide: one decision in process, %s\n", cfg->call_file);
	printf("  %zu notes (%zu bytes), %zu answers, %zu indicator hits; "
	       "decides %s\n",
	       w->n_notes, w->note_bytes, w->n_answers, w->n_hits, category);
	printf("  %lld runs of each case in %lld rounds, one run at a time "
	       "(CLOCK_MONOTONIC)%s\n",
	       (long long)cfg->runs, (long long)cfg->rounds,
	       cfg->quick ? " (--quick: a smoke run, not a measurement)" : "");
	printf("\n  %-28s %10s %10s %10s %10s\n", "microseconds", "median",
	       "p99", "mean", "min");
	for (int k = 0; k < CASE__COUNT; k++)
		printf("  %-28s %10.2f %10.2f %10.2f %10.2f\n", case_labels[k],
		       st[k].median, st[k].p99, st[k].mean, st[k].min);
	printf("\n  assess_json / anchor (medians): %.2f\n", ratio);
	printf("\n  target: protocol_decide median < %.0f us: %s (%.2f us)\n",
	       TARGET_DECIDE_US, met ? "met" : "MISSED",
	       st[CASE_DECIDE].median);
}

/* ---- main ------------------------------------------------------------- */

static void usage(FILE *f)
{
	fprintf(f,
	        "usage: bench_decide [--quick] [--out PATH] [--runs N] "
	        "[--rounds R]\n"
	        "                    [--call FILE] [--protocol FILE] "
	        "[--policy FILE]\n"
	        "                    [--lexicon DIR] [--cache DIR]\n"
	        "  --quick          1,000 runs, a smoke run\n"
	        "  --out PATH       where to write the JSON (default "
	        "%s/decide.json,\n"
	        "                   and none with --quick or other sizes)\n"
	        "  --runs N         timed runs of each case (default 20000)\n"
	        "  --rounds R       rounds the runs are cut into, each "
	        "starting with\n"
	        "                   another case (default 20)\n"
	        "  --call FILE      the call, as `htdispatch assess` reads "
	        "it\n"
	        "                   (default %s/bench/decide-call.json)\n"
	        "  --protocol FILE, --policy FILE, --lexicon DIR: default the "
	        "shipped ones\n"
	        "  --cache DIR      where the compiled lexicon is cached "
	        "(default none:\n"
	        "                   compiled in memory, not timed)\n"
	        "  --dir DIR        accepted and ignored (scripts/bench.sh "
	        "passes it):\n"
	        "                   this benchmark writes no files but its "
	        "JSON\n",
	        HTD_BENCH_RESULTS, HTD_SOURCE_ROOT);
}

static int parse_args(int argc, char **argv, struct config *cfg)
{
	static const char *const call_default =
	    HTD_SOURCE_ROOT "/bench/decide-call.json";
	static const char *const protocol_default =
	    HTD_SOURCE_ROOT "/data/protocol/nena-ht.yaml";
	static const char *const policy_default =
	    HTD_SOURCE_ROOT "/etc/policy.yaml";
	static const char *const lexicon_default =
	    HTD_SOURCE_ROOT "/data/lexicon";
	int64_t runs = -1, rounds = -1;

	cfg->call_file = call_default;
	cfg->protocol_file = protocol_default;
	cfg->policy_file = policy_default;
	cfg->lexicon_dir = lexicon_default;
	cfg->cache_dir = "";
	const struct bench_option options[] = {
		/* --dir ignored: this one writes no files but its JSON. */
		BENCH_OPTIONS_COMMON(&cfg->quick, &cfg->out, NULL),
		{ "--runs", BENCH_OPTION_INT, &runs, 100, 10000000 },
		{ "--rounds", BENCH_OPTION_INT, &rounds, 1, 1000 },
		{ "--call", BENCH_OPTION_TEXT, &cfg->call_file, 0, 0 },
		{ "--protocol", BENCH_OPTION_TEXT, &cfg->protocol_file, 0, 0 },
		{ "--policy", BENCH_OPTION_TEXT, &cfg->policy_file, 0, 0 },
		{ "--lexicon", BENCH_OPTION_TEXT, &cfg->lexicon_dir, 0, 0 },
		{ "--cache", BENCH_OPTION_TEXT, &cfg->cache_dir, 0, 0 },
	};
	if (bench_parse_options(BENCH_NAME, argc, argv, options,
	                        BENCH_COUNT(options), usage) != 0)
		return -1;
	cfg->runs = runs > 0 ? runs : cfg->quick ? 1000 : 20000;
	cfg->rounds = rounds > 0 ? rounds : 20;
	if (cfg->rounds > cfg->runs)
		cfg->rounds = cfg->runs;
	/* Only a run at the standard sizes and inputs replaces the recorded
	 * result (a lexicon cache does not change it). */
	bool standard = !cfg->quick && runs < 0 && rounds < 0 &&
	                cfg->call_file == call_default &&
	                cfg->protocol_file == protocol_default &&
	                cfg->policy_file == policy_default &&
	                cfg->lexicon_dir == lexicon_default;
	if (!cfg->out && standard)
		cfg->out = HTD_BENCH_RESULTS "/decide.json";
	return 0;
}

int main(int argc, char **argv)
{
	struct config cfg;
	struct workload w;
	struct engine *en = NULL;
	double *samples[CASE__COUNT] = { 0 };
	struct bench_stats st[CASE__COUNT];
	char category[32];
	int rc = 1;

	memset(&cfg, 0, sizeof(cfg));
	memset(&w, 0, sizeof(w));
	call_init(&w.call);
	if (parse_args(argc, argv, &cfg) != 0)
		return 2;
	if (cfg.out && bench_check_out_dir(BENCH_NAME, cfg.out) != 0)
		return 1;
	log_set_level(LOG_WARN);

	struct engine_options eo = { .protocol_file = cfg.protocol_file,
		                     .policy_file = cfg.policy_file,
		                     .lexicon_dir = cfg.lexicon_dir,
		                     .cache_dir = cfg.cache_dir,
		                     .on_error = print_engine_error };
	struct htd_error err;
	if (engine_open(&eo, &en, &err) != HTD_OK) {
		print_error("loading the engine", &err);
		goto out;
	}
	if (workload_init(en, &cfg, &w) != 0 ||
	    check_workload(en, &w, category, sizeof(category)) != 0)
		goto out;
	bench_samples_new(samples, CASE__COUNT, (size_t)cfg.runs);
	struct run_ctx ctx = { en, &w, clock_now_ms(clock_system()) };
	if (bench_measure_rounds(CASE__COUNT, cfg.runs, cfg.rounds, 50,
	                         run_case, &ctx, samples) != 0)
		goto out;
	bench_summarise_cases(samples, CASE__COUNT, cfg.runs, st);
	double ratio = st[CASE_ASSESS].median / st[CASE_ANCHOR].median;
	bool met = st[CASE_DECIDE].median < TARGET_DECIDE_US;
	print_table(&cfg, &w, category, st, ratio, met);
	if (cfg.out && write_json(&cfg, &w, category, st, ratio, met) != 0)
		goto out;
	rc = 0;
out:
	bench_samples_free(samples, CASE__COUNT);
	workload_free(&w);
	engine_close(en);
	return rc;
}
