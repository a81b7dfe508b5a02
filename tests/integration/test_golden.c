/*
 * test_golden.c - the golden indicator tests: every case of
 * tests/golden/indicators/<language>.yaml is screened with the shipped lexicons
 * (data/lexicon) and checked, one TAP test point per case. A failure names
 * the case by file:line, shows the note, what was expected and every hit
 * that was found.
 *
 * Case format (a top-level `language:` and `cases:`, a list of):
 *   note: "the note"          required
 *   hits: [ids]               found with a counting hit (not negated,
 *                             not hypothetical)
 *   negated: [ids]            found, and every hit of it negated
 *   hypothetical: [ids]       found, and every hit of it hypothetical
 *   historical: [ids]         found with a counting, historical hit
 *   none: [ids]               no counting hit of it
 *   span: {id: "text"}        a hit of id slices exactly these bytes
 *   about: {id: caller|other} a hit of id is about the caller / another
 *   comment: "..."            ignored
 * Every hit must also lie inside the note, on character boundaries.
 *
 * Environment: HTD_SOURCE_ROOT (set by meson); HTD_GOLDEN_DIR and
 * HTD_LEXICON_DIR override the two directories; HTD_CACHE_DIR is where
 * the compiled lexicon is cached (none when unset).
 */
#include <dirent.h>
#include <libfyaml.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/indicators.h"
#include "formats/lexicon_yaml.h"
#include "service/screen.h"
#include "util/buf.h"
#include "util/mem.h"
#include "util/str.h"

static int test_no;
static int failures;

static struct screen *screen;

/* ---- TAP --------------------------------------------------------------- */

/* Prints one test point; `diag` (may be empty) holds "#"-prefixed lines. */
static void tap(bool ok, const char *name, const struct buf *diag)
{
	test_no++;
	printf("%s %d - %s\n", ok ? "ok" : "not ok", test_no, name);
	if (!ok) {
		failures++;
		if (diag && diag->len)
			fputs(buf_str(diag), stdout);
	}
}

static void note_line(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void note_line(struct buf *b, const char *fmt, ...)
{
	char line[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* A line break in a note must not end the TAP comment. */
	buf_puts(b, "#   ");
	for (const char *c = line; *c; c++) {
		if (*c == '\n' || *c == '\r')
			buf_puts(b, *c == '\n' ? "\\n" : "\\r");
		else
			buf_append(b, c, 1);
	}
	buf_puts(b, "\n");
}

/* ---- YAML helpers ------------------------------------------------------ */

static int node_line(struct fy_node *fyn, int fallback)
{
	for (int depth = 0; fyn && depth < 16; depth++) {
		if (fy_node_is_scalar(fyn)) {
			struct fy_token *t = fy_node_get_scalar_token(fyn);
			const struct fy_mark *m =
			    t ? fy_token_start_mark(t) : NULL;
			return m ? m->line + 1 : fallback;
		}
		void *it = NULL;
		if (fy_node_is_mapping(fyn)) {
			struct fy_node_pair *p =
			    fy_node_mapping_iterate(fyn, &it);
			fyn = p ? fy_node_pair_key(p) : NULL;
		} else {
			fyn = fy_node_sequence_iterate(fyn, &it);
		}
	}
	return fallback;
}

/* Returns an owned copy of a scalar's text (*len set), or NULL. */
static char *scalar_copy(struct fy_node *fyn, size_t *len)
{
	if (!fyn || !fy_node_is_scalar(fyn) || fy_node_is_alias(fyn))
		return NULL;
	const char *s = fy_node_get_scalar(fyn, len);
	if (!s)
		return NULL;
	char *out = xmalloc(*len + 1);
	memcpy(out, s, *len);
	out[*len] = '\0';
	return out;
}

/* ---- one case ---------------------------------------------------------- */

struct expect {
	const char *what; /* "hits", "negated", ... */
	enum indicator_id id;
};

static void describe_hits(struct buf *d, const char *note, size_t len,
                          const struct indicator_result *r)
{
	if (r->n_hits == 0) {
		note_line(d, "found: nothing (language '%s')", r->language);
		return;
	}
	note_line(d, "found (language '%s', amp %u):", r->language, r->amp);
	for (size_t i = 0; i < r->n_hits; i++) {
		const struct indicator_hit *h = &r->hits[i];
		size_t s = h->start < len ? h->start : len;
		size_t e = h->end < len ? h->end : len;
		note_line(d, "  %s [%zu,%zu) \"%.*s\"%s%s%s subject=%s lang=%s",
		          indicator_name(h->id), h->start, h->end,
		          (int)(e > s ? e - s : 0), note + s,
		          h->negated ? " negated" : "",
		          h->hypothetical ? " hypothetical" : "",
		          h->historical ? " historical" : "",
		          indicator_subject_name(h->subject), h->language);
	}
}

static bool is_continuation(const char *note, size_t len, size_t at)
{
	return at < len && ((unsigned char)note[at] & 0xc0) == 0x80;
}

/* Checks the kinds of list expectation; returns false (and explains in
 * `d`) when one does not hold. */
static bool check_list(const char *what, enum indicator_id id,
                       const struct indicator_result *r, struct buf *d)
{
	size_t found = 0, counting = 0, negated = 0, hypothetical = 0,
	       historical_counting = 0;
	for (size_t i = 0; i < r->n_hits; i++) {
		const struct indicator_hit *h = &r->hits[i];
		if (h->id != id)
			continue;
		found++;
		counting += indicator_hit_counts(h);
		negated += h->negated;
		hypothetical += h->hypothetical;
		historical_counting += indicator_hit_counts(h) && h->historical;
	}
	const char *name = indicator_name(id);
	if (str_eq(what, "hits") && counting == 0) {
		note_line(d, "expected %s to be found with a counting hit%s",
		          name,
		          found ? "; its hits are negated or hypothetical"
		                : "; it was not found");
		return false;
	}
	if (str_eq(what, "negated") && (found == 0 || negated != found)) {
		note_line(d, "expected %s found and negated%s", name,
		          found ? "; a hit of it is not negated"
		                : "; it was not found");
		return false;
	}
	if (str_eq(what, "hypothetical") &&
	    (found == 0 || hypothetical != found)) {
		note_line(d, "expected %s found and hypothetical%s", name,
		          found ? "; a hit of it is not hypothetical"
		                : "; it was not found");
		return false;
	}
	if (str_eq(what, "historical") && historical_counting == 0) {
		note_line(d,
		          "expected %s found with a counting, historical "
		          "hit%s",
		          name, found ? "" : "; it was not found");
		return false;
	}
	if (str_eq(what, "none") && counting > 0) {
		note_line(d, "expected no counting hit of %s; found %zu", name,
		          counting);
		return false;
	}
	return true;
}

/* Runs one case; `where` is "file:line". */
static void run_case(const char *where, struct fy_node *c)
{
	struct buf d, name;
	const struct indicator_result *rp = NULL;
	struct htd_error err;
	char *note = NULL;
	size_t len = 0;
	bool ok = true;
	void *it = NULL;
	struct fy_node_pair *p;

	buf_init(&d, 0);
	buf_init(&name, 0);
	if (!fy_node_is_mapping(c)) {
		buf_printf(&name, "%s: (not a case)", where);
		note_line(&d,
		          "a case is a mapping with note: and expectations");
		tap(false, buf_str(&name), &d);
		goto out;
	}
	note =
	    scalar_copy(fy_node_mapping_lookup_by_string(c, "note", 4), &len);
	if (!note) {
		buf_printf(&name, "%s: (no note)", where);
		note_line(&d, "a case needs note: \"text\"");
		tap(false, buf_str(&name), &d);
		goto out;
	}
	/* The test point's name: where, and the start of the note on one
	 * line. */
	buf_printf(&name, "%s: ", where);
	for (size_t i = 0; i < len && i < 70; i++)
		buf_append(&name,
		           note[i] == '\n' || note[i] == '#' ? " " : note + i,
		           1);
	if (len > 70)
		buf_puts(&name, "...");

	htd_error_clear(&err);
	if (screen_note(screen, note, len, &rp, &err) != HTD_OK) {
		note_line(&d, "scan failed: %s", err.message);
		tap(false, buf_str(&name), &d);
		goto out;
	}
	const struct indicator_result r = *rp; /* borrowed until next scan */
	for (size_t i = 0; i < r.n_hits; i++) {
		const struct indicator_hit *h = &r.hits[i];
		if (h->start >= h->end || h->end > len ||
		    is_continuation(note, len, h->start) ||
		    is_continuation(note, len, h->end)) {
			note_line(&d,
			          "hit %s [%zu,%zu) is not a span of whole "
			          "characters inside the note (%zu bytes)",
			          indicator_name(h->id), h->start, h->end, len);
			ok = false;
		}
	}
	while ((p = fy_node_mapping_iterate(c, &it))) {
		size_t klen;
		char *key = scalar_copy(fy_node_pair_key(p), &klen);
		struct fy_node *v = fy_node_pair_value(p);
		if (!key) {
			note_line(&d, "a key that is not text");
			ok = false;
			continue;
		}
		if (str_eq(key, "note") || str_eq(key, "comment")) {
			free(key);
			continue;
		}
		bool list = str_eq(key, "hits") || str_eq(key, "negated") ||
		            str_eq(key, "hypothetical") ||
		            str_eq(key, "historical") || str_eq(key, "none");
		bool map = str_eq(key, "span") || str_eq(key, "about");
		if (!list && !map) {
			note_line(
			    &d,
			    "unknown key '%s' (use hits, negated, "
			    "hypothetical, historical, none, span, about)",
			    key);
			ok = false;
		} else if (list && (!v || !fy_node_is_sequence(v))) {
			note_line(&d, "%s: must be a list of indicator ids",
			          key);
			ok = false;
		} else if (map && (!v || !fy_node_is_mapping(v))) {
			note_line(&d, "%s: must be a mapping {id: ...}", key);
			ok = false;
		} else if (list) {
			void *it2 = NULL;
			struct fy_node *item;
			while ((item = fy_node_sequence_iterate(v, &it2))) {
				size_t n;
				char *id_text = scalar_copy(item, &n);
				enum indicator_id id;
				if (!id_text ||
				    !indicator_parse(id_text, &id)) {
					note_line(&d,
					          "%s: unknown indicator '%s'",
					          key, id_text ? id_text : "?");
					ok = false;
				} else if (!check_list(key, id, &r, &d)) {
					ok = false;
				}
				free(id_text);
			}
		} else {
			void *it2 = NULL;
			struct fy_node_pair *q;
			while ((q = fy_node_mapping_iterate(v, &it2))) {
				size_t n, wlen;
				char *id_text =
				    scalar_copy(fy_node_pair_key(q), &n);
				char *want =
				    scalar_copy(fy_node_pair_value(q), &wlen);
				enum indicator_id id;
				bool hit = false;
				if (!id_text ||
				    !indicator_parse(id_text, &id) || !want) {
					note_line(&d,
					          "%s: unknown indicator '%s'",
					          key, id_text ? id_text : "?");
					ok = false;
					free(id_text);
					free(want);
					continue;
				}
				enum indicator_subject subject =
				    SUBJECT_UNKNOWN;
				if (str_eq(key, "about")) {
					if (str_eq(want, "caller"))
						subject = SUBJECT_CALLER;
					else if (str_eq(want, "other"))
						subject = SUBJECT_OTHER;
					else {
						note_line(
						    &d,
						    "about: %s must be "
						    "caller or other, not "
						    "'%s'",
						    id_text, want);
						ok = false;
					}
				}
				for (size_t i = 0; i < r.n_hits; i++) {
					const struct indicator_hit *h =
					    &r.hits[i];
					if (h->id != id || h->end > len ||
					    h->start > h->end)
						continue;
					if (str_eq(key, "span") &&
					    h->end - h->start == wlen &&
					    memcmp(note + h->start, want,
					           wlen) == 0)
						hit = true;
					if (str_eq(key, "about") &&
					    h->subject == subject)
						hit = true;
				}
				if (!hit && subject != SUBJECT_UNKNOWN)
					note_line(&d,
					          "expected a hit of %s about "
					          "the %s",
					          id_text, want);
				else if (!hit && str_eq(key, "span"))
					note_line(
					    &d,
					    "expected a hit of %s spanning "
					    "exactly \"%s\"",
					    id_text, want);
				ok = ok && hit;
				free(id_text);
				free(want);
			}
		}
		free(key);
	}
	if (!ok) {
		note_line(&d, "note: \"%.*s\"", (int)(len > 1500 ? 1500 : len),
		          note);
		describe_hits(&d, note, len, &r);
	}
	tap(ok, buf_str(&name), &d);
out:
	free(note);
	buf_free(&name);
	buf_free(&d);
}

/* ---- one file ---------------------------------------------------------- */

static void file_failure(const char *path, int line, const char *why)
{
	struct buf d, name;
	buf_init(&d, 0);
	buf_init(&name, 0);
	buf_printf(&name, "%s:%d: the file can be read", path, line);
	note_line(&d, "%s", why);
	tap(false, buf_str(&name), &d);
	buf_free(&name);
	buf_free(&d);
}

static void run_file(const char *path, const char *shown)
{
	struct fy_diag_cfg dcfg;
	fy_diag_cfg_default(&dcfg);
	dcfg.fp = NULL;
	struct fy_diag *diag = fy_diag_create(&dcfg);
	fy_diag_set_collect_errors(diag, true);
	struct fy_parse_cfg cfg = { .flags = FYPCF_QUIET | FYPCF_JSON_NONE,
		                    .diag = diag };
	struct fy_document *fyd = fy_document_build_from_file(&cfg, path);
	struct fy_node *root = fyd ? fy_document_root(fyd) : NULL;

	if (!root || !fy_node_is_mapping(root)) {
		void *it = NULL;
		struct fy_diag_error *e = fy_diag_errors_iterate(diag, &it);
		char why[512];
		str_format(why, sizeof(why), "not a YAML mapping: %s",
		           e && e->msg ? e->msg : "empty");
		file_failure(shown, e ? e->line : 1, why);
		goto out;
	}
	size_t n;
	char *lang = scalar_copy(
	    fy_node_mapping_lookup_by_string(root, "language", 8), &n);
	bool known = false;
	for (size_t i = 0; lang && i < screen_language_count(screen); i++)
		known = known || str_eq(screen_language(screen, i), lang);
	if (!known) {
		char why[256];
		str_format(why, sizeof(why),
		           "language: '%s' is not a loaded lexicon",
		           lang ? lang : "(missing)");
		file_failure(shown, 1, why);
	}
	free(lang);
	void *it = NULL;
	struct fy_node_pair *p;
	while ((p = fy_node_mapping_iterate(root, &it))) {
		size_t klen;
		char *key = scalar_copy(fy_node_pair_key(p), &klen);
		if (!key || (!str_eq(key, "language") && !str_eq(key, "cases")))
			file_failure(shown, node_line(fy_node_pair_key(p), 1),
			             "unknown top-level key (use language: and "
			             "cases:)");
		free(key);
	}
	struct fy_node *cases =
	    fy_node_mapping_lookup_by_string(root, "cases", 5);
	if (!cases || !fy_node_is_sequence(cases) ||
	    fy_node_sequence_item_count(cases) == 0) {
		file_failure(shown, 1, "cases: must be a non-empty list");
		goto out;
	}
	it = NULL;
	struct fy_node *c;
	while ((c = fy_node_sequence_iterate(cases, &it))) {
		char where[600];
		str_format(where, sizeof(where), "%s:%d", shown,
		           node_line(c, 0));
		run_case(where, c);
	}
out:
	fy_document_destroy(fyd);
	fy_diag_destroy(diag);
}

/* ---- main -------------------------------------------------------------- */

static int name_order(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void print_lexicon_error(void *ctx, const struct htd_error *e)
{
	char msg[1024];
	(void)ctx;
	printf("# lexicon: %s\n", htd_error_format(e, msg, sizeof(msg)));
}

int main(void)
{
	const char *root = getenv("HTD_SOURCE_ROOT");
	char golden[1024], lexdir[1024];
	struct htd_error err;
	int status = 1;

	if (!root)
		root = ".";
	str_format(golden, sizeof(golden), "%s/tests/golden/indicators", root);
	str_format(lexdir, sizeof(lexdir), "%s/data/lexicon", root);
	if (getenv("HTD_GOLDEN_DIR"))
		str_copy(golden, sizeof(golden), getenv("HTD_GOLDEN_DIR"));
	if (getenv("HTD_LEXICON_DIR"))
		str_copy(lexdir, sizeof(lexdir), getenv("HTD_LEXICON_DIR"));

	/* The compiled lexicon is cached (HTD_CACHE_DIR, set by meson to a
	 * directory of the build): compiling the shipped lexicons takes
	 * seconds, more under the sanitizers. */
	struct screen_options opts = {
		.lexicon_dir = lexdir,
		.cache_dir =
		    getenv("HTD_CACHE_DIR") ? getenv("HTD_CACHE_DIR") : "",
		.on_error = print_lexicon_error,
	};
	if (screen_open(&opts, &screen, &err) != HTD_OK) {
		char msg[1024];
		printf("1..1\nnot ok 1 - the lexicons in %s load and compile\n"
		       "# %s\n",
		       lexdir, htd_error_format(&err, msg, sizeof(msg)));
		return 1;
	}
	printf("# lexicons from %s (cache: %s)\n", lexdir,
	       screen_cache_name(screen_cache_state(screen)));

	DIR *d = opendir(golden);
	char **names = NULL;
	size_t n = 0;
	struct dirent *de;
	while (d && (de = readdir(d))) {
		size_t len = strlen(de->d_name);
		if (de->d_name[0] == '.' || len <= 5 ||
		    strcmp(de->d_name + len - 5, ".yaml") != 0)
			continue;
		names = xrealloc(names, (n + 1) * sizeof(*names));
		names[n++] = xstrdup(de->d_name);
	}
	if (d)
		closedir(d);
	if (n == 0) {
		printf("1..1\nnot ok 1 - golden files in %s\n# there are no "
		       "*.yaml golden files there\n",
		       golden);
		goto out;
	}
	qsort(names, n, sizeof(*names), name_order);
	for (size_t i = 0; i < n; i++) {
		char path[2048], shown[1024];
		str_format(path, sizeof(path), "%s/%s", golden, names[i]);
		if (getenv("HTD_GOLDEN_DIR"))
			str_copy(shown, sizeof(shown), path);
		else
			str_format(shown, sizeof(shown),
			           "tests/golden/indicators/%s", names[i]);
		run_file(path, shown);
		free(names[i]);
	}
	free(names);
	printf("1..%d\n", test_no);
	if (failures)
		printf("# %d of %d golden cases failed\n", failures, test_no);
	status = failures ? 1 : 0;
out:
	screen_close(screen);
	return status;
}
