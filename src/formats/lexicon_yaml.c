/*
 * lexicon_yaml.c - the lexicon loader: libfyaml's document tree, walked by
 * hand so that each thing that is wrong is reported where it was typed.
 * Errors are gathered (up to LEXICON_YAML_ERRORS_MAX), sorted into file
 * order and reported together; any error means nothing is returned.
 */
#include "formats/lexicon_yaml.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libfyaml.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <utf8proc.h>

#include "core/normalise.h"
#include "formats/yaml_util.h"
#include "util/file.h"
#include "util/mem.h"
#include "util/str.h"

struct loader {
	const char *file; /* for messages */
	struct htd_error errors[LEXICON_YAML_ERRORS_MAX];
	struct yaml_errors errs; /* over errors[] */
	struct lexicon *lx;      /* being built */
	struct fy_node *sources; /* the top-level `sources:` mapping */
	struct yaml_pos
	    indicators_key; /* where `indicators:` is, for coverage */
	bool mentioned[INDICATOR__COUNT]; /* ids present, right or wrong */
};

/* The keys a lexicon may have at the top, in the order they are read. */
enum top_key {
	TOP_LANGUAGE,
	TOP_NAME,
	TOP_VERSION,
	TOP_SOURCES,
	TOP_INDICATORS,
	TOP_CONTEXT,
	TOP_INDUSTRIES,
	TOP_STOPWORDS,
	TOP__COUNT
};

static const char *const top_key_names[TOP__COUNT] = {
	"language",   "name",    "version",    "sources",
	"indicators", "context", "industries", "stopwords",
};

/* As scalar(), returning an owned copy. */
static char *scalar_dup(struct loader *ld, struct fy_node *fyn,
                        struct yaml_pos at, const char *what)
{
	size_t len;
	const char *s = yaml_scalar(&ld->errs, fyn, at, what, &len);
	return s ? xstrndup(s, len) : NULL;
}

/* ---- patterns ---------------------------------------------------------- */

/* A pattern as written, for the duplicate check. */
struct seen {
	const char *text; /* normalised */
	struct yaml_pos at;
};

static int seen_order(const void *a, const void *b)
{
	const struct seen *x = a, *y = b;
	int c = strcmp(x->text, y->text);
	if (c)
		return c;
	if (x->at.line != y->at.line)
		return x->at.line < y->at.line ? -1 : 1;
	return x->at.column < y->at.column ? -1 : x->at.column > y->at.column;
}

/* Reports every pattern of `items` equal (after normalising) to an
 * earlier one. Sorting keeps this O(n log n) for hostile files. */
static void check_duplicates(struct loader *ld, struct seen *items, size_t n,
                             const char *what)
{
	if (n < 2)
		return;
	qsort(items, n, sizeof(*items), seen_order);
	size_t first = 0; /* the first item of the current run of equals */
	for (size_t i = 1; i < n; i++) {
		if (strcmp(items[first].text, items[i].text) != 0) {
			first = i;
			continue;
		}
		yaml_report(&ld->errs, HTD_ERR_INVALID, items[i].at,
		            "duplicate %s '%.200s' (first at line %d)", what,
		            items[i].text, items[first].at.line);
	}
}

/*
 * Reads one pattern or trigger: text that is not blank and normalises.
 * Returns the owned normalised text, or NULL after reporting.
 */
static char *pattern_text(struct loader *ld, struct fy_node *item,
                          struct yaml_pos at, const char *what,
                          struct yaml_pos *where)
{
	size_t len, trimmed;
	const char *s;
	char *raw, *norm;

	*where = yaml_node_pos(item, at);
	s = yaml_scalar(&ld->errs, item, at, what, &len);
	if (!s)
		return NULL;
	raw = xstrndup(s, len);
	str_trim(raw, &trimmed);
	if (trimmed == 0) {
		yaml_report(&ld->errs, HTD_ERR_INVALID, *where, "empty %s",
		            what);
		free(raw);
		return NULL;
	}
	norm = normalise_pattern(raw);
	free(raw);
	if (!norm) {
		yaml_report(&ld->errs, HTD_ERR_INVALID, *where,
		            "%s is not valid UTF-8", what);
		return NULL;
	}
	str_trim(norm, &trimmed);
	if (trimmed == 0) {
		yaml_report(&ld->errs, HTD_ERR_INVALID, *where,
		            "%s is empty once normalised", what);
		free(norm);
		return NULL;
	}
	return norm;
}

/*
 * Appends the patterns of list `seq` (the value of key `key` at `at`) to
 * *pats, and their texts to `seen` (room for all of them) for the
 * duplicate check.
 */
static void read_patterns(struct loader *ld, struct fy_node *seq,
                          struct yaml_pos at, const char *what, bool inverted,
                          struct lexicon_pattern *pats, size_t *n,
                          struct seen *seen, size_t *n_seen)
{
	void *it = NULL;
	struct fy_node *item;

	if (!yaml_expect_sequence(&ld->errs, seq, at, what))
		return;
	while ((item = fy_node_sequence_iterate(seq, &it))) {
		struct yaml_pos where;
		char *text = pattern_text(ld, item, at, "pattern", &where);
		if (!text)
			continue;
		struct lexicon_pattern *p = &pats[(*n)++];
		p->regex = text;
		p->inverted = inverted;
		p->origin.file = ld->lx->file;
		p->origin.line = where.line;
		p->origin.column = where.column;
		seen[*n_seen].text = text;
		seen[*n_seen].at = where;
		(*n_seen)++;
	}
}

static size_t list_length(struct fy_node *fyn)
{
	if (!fyn || !fy_node_is_sequence(fyn))
		return 0;
	int n = fy_node_sequence_item_count(fyn);
	return n > 0 ? (size_t)n : 0;
}

/* True when a list is not given, or given empty (`patterns: []`). */
static bool absent_or_empty(struct fy_node *fyn)
{
	return !fyn || (fy_node_is_sequence(fyn) && list_length(fyn) == 0);
}

/* ---- sections ---------------------------------------------------------- */

/* A BCP 47 primary language subtag, as htdispatch writes it: 2-3 lower
 * case letters. */
static bool language_valid(const char *s)
{
	size_t n = strlen(s);
	if (n < 2 || n > 3)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] < 'a' || s[i] > 'z')
			return false;
	return true;
}

/* Writes the file's base name without ".yaml" into out; false when the
 * name does not end in ".yaml". */
static bool file_stem(const char *file, char *out, size_t size)
{
	const char *base = strrchr(file, '/');
	base = base ? base + 1 : file;
	size_t n = strlen(base);
	if (n <= 5 || strcmp(base + n - 5, ".yaml") != 0)
		return false;
	n -= 5;
	if (n >= size)
		return false;
	memcpy(out, base, n);
	out[n] = '\0';
	return true;
}

static void read_language(struct loader *ld, struct fy_node *value,
                          struct yaml_pos at)
{
	char stem[64];
	char *lang = scalar_dup(ld, value, at, "language");
	if (!lang)
		return;
	at = yaml_node_pos(value, at);
	if (!language_valid(lang)) {
		yaml_report(&ld->errs, HTD_ERR_INVALID, at,
		            "language '%.40s' is not a BCP 47 primary language "
		            "tag such as en or es (2 or 3 lower-case letters)",
		            lang);
		free(lang);
		return;
	}
	if (!file_stem(ld->file, stem, sizeof(stem)) || strcmp(stem, lang)) {
		yaml_report(&ld->errs, HTD_ERR_INVALID, at,
		            "language '%s' does not match the file name: a %s "
		            "lexicon is %s.yaml",
		            lang, lang, lang);
		free(lang);
		return;
	}
	ld->lx->language = lang;
}

static void read_sources(struct loader *ld, struct fy_node *value,
                         struct yaml_pos at)
{
	void *it = NULL;
	struct fy_node_pair *p;

	if (!yaml_expect_mapping(&ld->errs, value, at, "sources"))
		return;
	ld->sources = value;
	while ((p = fy_node_mapping_iterate(value, &it))) {
		char key[128], what[160];
		struct yaml_pos kat;
		size_t len;
		if (!yaml_pair_key(&ld->errs, p, at, key, sizeof(key), &kat))
			continue;
		str_format(what, sizeof(what), "source '%s'", key);
		yaml_scalar(&ld->errs, fy_node_pair_value(p), kat, what, &len);
	}
}

/* The `sources:` of one indicator: keys of the top-level `sources:`. */
static void read_indicator_sources(struct loader *ld,
                                   struct lexicon_indicator *ind,
                                   struct fy_node *value, struct yaml_pos at)
{
	void *it = NULL;
	struct fy_node *item;

	if (!yaml_expect_sequence(&ld->errs, value, at, "sources"))
		return;
	ind->sources = xcalloc(list_length(value) + 1, sizeof(char *));
	while ((item = fy_node_sequence_iterate(value, &it))) {
		size_t len;
		const char *s =
		    yaml_scalar(&ld->errs, item, at, "a source", &len);
		if (!s)
			continue;
		if (!ld->sources || !fy_node_mapping_lookup_pair_by_string(
		                        ld->sources, s, len)) {
			yaml_report(&ld->errs, HTD_ERR_INVALID,
			            yaml_node_pos(item, at),
			            "unknown source '%.*s': add it under the "
			            "top-level sources:",
			            (int)(len > 80 ? 80 : len), s);
			continue;
		}
		ind->sources[ind->n_sources++] = xstrndup(s, len);
	}
}

/* `amp:` is optional; when given it must agree with domain.md. */
static void read_amp(struct loader *ld, enum indicator_id id,
                     struct fy_node *value, struct yaml_pos at)
{
	void *it = NULL;
	struct fy_node *item = value;
	bool list = value && fy_node_is_sequence(value);
	unsigned want = indicator_amp(id);

	if (list)
		item = fy_node_sequence_iterate(value, &it);
	while (item) {
		size_t len;
		char name[32], have[96];
		enum amp_element e;
		const char *s = yaml_scalar(&ld->errs, item, at, "amp", &len);
		if (s) {
			size_t k = len < sizeof(name) ? len : 0;
			memcpy(name, s, k);
			name[k] = '\0';
			if (!amp_element_parse(name, &e))
				yaml_report(&ld->errs, HTD_ERR_INVALID,
				            yaml_node_pos(item, at),
				            "unknown AMP element '%.*s'; use "
				            "action, means, purpose, "
				            "vulnerability, context or minor",
				            (int)(len > 40 ? 40 : len), s);
			else if (!(want & (unsigned)e))
				yaml_report(
				    &ld->errs, HTD_ERR_INVALID,
				    yaml_node_pos(item, at),
				    "domain.md gives %s the AMP elements "
				    "%s, not %s",
				    indicator_name(id),
				    amp_format(want, have, sizeof(have)), name);
		}
		item = list ? fy_node_sequence_iterate(value, &it) : NULL;
	}
}

static void read_indicator(struct loader *ld, enum indicator_id id,
                           struct fy_node *value, struct yaml_pos at)
{
	struct fy_node *patterns = NULL, *inverted = NULL;
	struct yaml_pos patterns_at = at, inverted_at = at;
	struct lexicon_indicator *ind =
	    &ld->lx->indicators[ld->lx->n_indicators];
	struct fy_node_pair *p;
	void *it = NULL;
	char what[96];

	str_format(what, sizeof(what), "indicator %s", indicator_name(id));
	if (!yaml_expect_mapping(&ld->errs, value, at, what))
		return;
	ld->lx->n_indicators++;
	ind->id = id;
	while ((p = fy_node_mapping_iterate(value, &it))) {
		char key[64];
		struct yaml_pos kat;
		struct fy_node *v = fy_node_pair_value(p);
		if (!yaml_pair_key(&ld->errs, p, at, key, sizeof(key), &kat))
			continue;
		if (str_eq(key, "patterns")) {
			patterns = v;
			patterns_at = kat;
		} else if (str_eq(key, "inverted")) {
			inverted = v;
			inverted_at = kat;
		} else if (str_eq(key, "sources")) {
			read_indicator_sources(ld, ind, v, kat);
		} else if (str_eq(key, "amp")) {
			read_amp(ld, id, v, kat);
		} else {
			yaml_report(&ld->errs, HTD_ERR_INVALID, kat,
			            "unknown key '%.60s' in indicator %s; use "
			            "patterns, inverted, sources or amp",
			            key, indicator_name(id));
		}
	}
	size_t room = list_length(patterns) + list_length(inverted);
	struct seen *seen = xcalloc(room + 1, sizeof(*seen));
	size_t n_seen = 0;
	ind->patterns = xcalloc(room + 1, sizeof(*ind->patterns));
	if (patterns)
		read_patterns(ld, patterns, patterns_at, "patterns", false,
		              ind->patterns, &ind->n_patterns, seen, &n_seen);
	if (inverted)
		read_patterns(ld, inverted, inverted_at, "inverted", true,
		              ind->patterns, &ind->n_patterns, seen, &n_seen);
	if (absent_or_empty(patterns) && absent_or_empty(inverted))
		yaml_report(&ld->errs, HTD_ERR_INVALID, at,
		            "indicator %s has no patterns: give patterns: or "
		            "inverted:",
		            indicator_name(id));
	check_duplicates(ld, seen, n_seen, "pattern");
	free(seen);
}

static void read_indicators(struct loader *ld, struct fy_node *value,
                            struct yaml_pos at)
{
	void *it = NULL;
	struct fy_node_pair *p;

	if (!yaml_expect_mapping(&ld->errs, value, at, "indicators"))
		return;
	int count = fy_node_mapping_item_count(value);
	ld->lx->indicators = xcalloc(count > 0 ? (size_t)count + 1 : 1,
	                             sizeof(*ld->lx->indicators));
	while ((p = fy_node_mapping_iterate(value, &it))) {
		char key[64];
		struct yaml_pos kat;
		enum indicator_id id;
		if (!yaml_pair_key(&ld->errs, p, at, key, sizeof(key), &kat))
			continue;
		if (!indicator_parse(key, &id)) {
			yaml_report(&ld->errs, HTD_ERR_INVALID, kat,
			            "unknown indicator id '%.60s' (the ids are "
			            "those of domain.md section 4)",
			            key);
			continue;
		}
		ld->mentioned[id] = true;
		read_indicator(ld, id, fy_node_pair_value(p), kat);
	}
}

static void read_context(struct loader *ld, struct fy_node *value,
                         struct yaml_pos at)
{
	void *it = NULL;
	struct fy_node_pair *p;
	size_t room = 0;

	if (!yaml_expect_mapping(&ld->errs, value, at, "context"))
		return;
	while ((p = fy_node_mapping_iterate(value, &it)))
		room += list_length(fy_node_pair_value(p));
	ld->lx->triggers = xcalloc(room + 1, sizeof(*ld->lx->triggers));
	it = NULL;
	while ((p = fy_node_mapping_iterate(value, &it))) {
		char key[64];
		struct yaml_pos kat;
		enum trigger_kind kind;
		struct fy_node *seq = fy_node_pair_value(p), *item;
		void *it2 = NULL;
		if (!yaml_pair_key(&ld->errs, p, at, key, sizeof(key), &kat))
			continue;
		if (!trigger_kind_parse(key, &kind)) {
			yaml_report(
			    &ld->errs, HTD_ERR_INVALID, kat,
			    "unknown trigger kind '%.60s'; use "
			    "negation_pre, negation_post, pseudo, "
			    "hypothetical, historical, terminator, "
			    "subject_self, subject_other, answer_yes or "
			    "answer_no",
			    key);
			continue;
		}
		if (!yaml_expect_sequence(&ld->errs, seq, kat, key))
			continue;
		struct seen *seen =
		    xcalloc(list_length(seq) + 1, sizeof(*seen));
		size_t n_seen = 0;
		while ((item = fy_node_sequence_iterate(seq, &it2))) {
			struct yaml_pos where;
			char *text =
			    pattern_text(ld, item, kat, "trigger", &where);
			if (!text)
				continue;
			struct lexicon_trigger *t =
			    &ld->lx->triggers[ld->lx->n_triggers++];
			t->kind = kind;
			t->regex = text;
			t->origin.file = ld->lx->file;
			t->origin.line = where.line;
			t->origin.column = where.column;
			seen[n_seen].text = text;
			seen[n_seen++].at = where;
		}
		check_duplicates(ld, seen, n_seen, "trigger");
		free(seen);
	}
}

/* An industry id of Polaris's typology, as written in a lexicon. */
static bool industry_id_valid(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n >= sizeof(((struct industry_hit *)0)->id))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return false;
	return true;
}

static void read_industries(struct loader *ld, struct fy_node *value,
                            struct yaml_pos at)
{
	void *it = NULL;
	struct fy_node_pair *p;

	if (!yaml_expect_mapping(&ld->errs, value, at, "industries"))
		return;
	int count = fy_node_mapping_item_count(value);
	ld->lx->industries = xcalloc(count > 0 ? (size_t)count + 1 : 1,
	                             sizeof(*ld->lx->industries));
	while ((p = fy_node_mapping_iterate(value, &it))) {
		char key[64];
		struct yaml_pos kat;
		struct fy_node *seq = fy_node_pair_value(p);
		if (!yaml_pair_key(&ld->errs, p, at, key, sizeof(key), &kat))
			continue;
		if (!industry_id_valid(key)) {
			yaml_report(
			    &ld->errs, HTD_ERR_INVALID, kat,
			    "industry id '%.60s' must be 1 to 31 lower-case "
			    "letters, digits or _",
			    key);
			continue;
		}
		if (!yaml_expect_sequence(&ld->errs, seq, kat, key))
			continue;
		struct lexicon_industry *ind =
		    &ld->lx->industries[ld->lx->n_industries++];
		ind->id = xstrdup(key);
		size_t room = list_length(seq);
		struct seen *seen = xcalloc(room + 1, sizeof(*seen));
		size_t n_seen = 0;
		ind->patterns = xcalloc(room + 1, sizeof(*ind->patterns));
		read_patterns(ld, seq, kat, key, false, ind->patterns,
		              &ind->n_patterns, seen, &n_seen);
		check_duplicates(ld, seen, n_seen, "pattern");
		free(seen);
	}
}

static void read_stopwords(struct loader *ld, struct fy_node *value,
                           struct yaml_pos at)
{
	void *it = NULL;
	struct fy_node *item;

	if (!yaml_expect_sequence(&ld->errs, value, at, "stopwords"))
		return;
	size_t room = list_length(value);
	struct seen *seen = xcalloc(room + 1, sizeof(*seen));
	size_t n_seen = 0;
	ld->lx->stopwords = xcalloc(room + 1, sizeof(char *));
	while ((item = fy_node_sequence_iterate(value, &it))) {
		struct yaml_pos where;
		char *text = pattern_text(ld, item, at, "stop word", &where);
		if (!text)
			continue;
		ld->lx->stopwords[ld->lx->n_stopwords++] = text;
		seen[n_seen].text = text;
		seen[n_seen++].at = where;
	}
	check_duplicates(ld, seen, n_seen, "stop word");
	free(seen);
}

/* Reports the indicators the file does not mention at all (one that is
 * there but wrong has had its own error already). */
static void check_coverage(struct loader *ld)
{
	bool missing[INDICATOR__COUNT];
	if (lexicon_missing_indicators(ld->lx, missing) == 0)
		return;
	for (int i = 0; i < INDICATOR__COUNT; i++)
		if (missing[i] && !ld->mentioned[i])
			yaml_report(
			    &ld->errs, HTD_ERR_INVALID, ld->indicators_key,
			    "indicator %s of domain.md has no pattern in "
			    "this language",
			    indicator_name((enum indicator_id)i));
}

/* Walks the document into ld->lx. */
static void read_document(struct loader *ld, struct fy_node *root,
                          const struct lexicon_yaml_options *opts)
{
	struct fy_node *values[TOP__COUNT] = { NULL };
	struct yaml_pos keys[TOP__COUNT];
	bool given[TOP__COUNT] = { false };
	struct yaml_pos start = yaml_node_pos(root, (struct yaml_pos){ 1, 1 });
	struct fy_node_pair *p;
	void *it = NULL;

	if (!root || !fy_node_is_mapping(root)) {
		yaml_report(&ld->errs, HTD_ERR_INVALID, start,
		            "a lexicon is a mapping with language: and "
		            "indicators: (see docs/lexicon.md), not %s",
		            root ? yaml_node_kind(root) : "nothing");
		return;
	}
	while ((p = fy_node_mapping_iterate(root, &it))) {
		char key[64];
		struct yaml_pos kat;
		int k;
		if (!yaml_pair_key(&ld->errs, p, start, key, sizeof(key), &kat))
			continue;
		for (k = 0; k < TOP__COUNT; k++)
			if (str_eq(key, top_key_names[k]))
				break;
		if (k == TOP__COUNT) {
			yaml_report(
			    &ld->errs, HTD_ERR_INVALID, kat,
			    "unknown key '%.60s'; a lexicon has language, "
			    "name, version, sources, indicators, context, "
			    "industries and stopwords",
			    key);
			continue;
		}
		values[k] = fy_node_pair_value(p);
		keys[k] = kat;
		given[k] = true;
	}
	if (!given[TOP_LANGUAGE])
		yaml_report(&ld->errs, HTD_ERR_INVALID, start,
		            "missing required key 'language'");
	else
		read_language(ld, values[TOP_LANGUAGE], keys[TOP_LANGUAGE]);
	if (given[TOP_NAME])
		ld->lx->name =
		    scalar_dup(ld, values[TOP_NAME], keys[TOP_NAME], "name");
	if (given[TOP_VERSION])
		ld->lx->version = scalar_dup(ld, values[TOP_VERSION],
		                             keys[TOP_VERSION], "version");
	if (given[TOP_SOURCES])
		read_sources(ld, values[TOP_SOURCES], keys[TOP_SOURCES]);
	if (!given[TOP_INDICATORS]) {
		yaml_report(&ld->errs, HTD_ERR_INVALID, start,
		            "missing required key 'indicators'");
		ld->indicators_key = start;
	} else {
		ld->indicators_key = keys[TOP_INDICATORS];
		read_indicators(ld, values[TOP_INDICATORS],
		                keys[TOP_INDICATORS]);
	}
	if (given[TOP_CONTEXT])
		read_context(ld, values[TOP_CONTEXT], keys[TOP_CONTEXT]);
	if (given[TOP_INDUSTRIES])
		read_industries(ld, values[TOP_INDUSTRIES],
		                keys[TOP_INDUSTRIES]);
	if (given[TOP_STOPWORDS])
		read_stopwords(ld, values[TOP_STOPWORDS], keys[TOP_STOPWORDS]);
	if (opts && opts->coverage && given[TOP_INDICATORS])
		check_coverage(ld);
}

/* ---- bytes to document ------------------------------------------------- */

enum htd_err lexicon_yaml_parse(const char *file, const char *data, size_t len,
                                const struct lexicon_yaml_options *opts,
                                struct lexicon *out, struct htd_error *err)
{
	struct loader *ld = xcalloc(1, sizeof(*ld));
	enum htd_err rc = HTD_OK;

	memset(out, 0, sizeof(*out));
	htd_error_clear(err);
	ld->file = file ? file : "(lexicon)";
	ld->errs = (struct yaml_errors){ ld->file, ld->errors,
		                         LEXICON_YAML_ERRORS_MAX, 0 };
	ld->lx = out;
	out->file = xstrdup(ld->file);
	if (yaml_check_bytes(&ld->errs, data, len, LEXICON_YAML_MAX,
	                     "a lexicon")) {
		struct yaml_doc doc;
		struct fy_node *root = yaml_doc_parse(
		    &doc, &ld->errs, data, len, "a lexicon",
		    "the file is empty; a lexicon needs language: and "
		    "indicators:");
		if (root)
			read_document(ld, root, opts);
		yaml_doc_free(&doc);
	}
	if (ld->errs.n) {
		rc = yaml_errors_flush(&ld->errs, opts ? opts->on_error : NULL,
		                       opts ? opts->ctx : NULL, err);
		lexicon_free(out);
		memset(out, 0, sizeof(*out));
	}
	free(ld);
	return rc;
}

/* Passes an error about a whole file to the caller; returns its code. */
static enum htd_err pass_error(const struct lexicon_yaml_options *opts,
                               struct htd_error *err, const struct htd_error *e)
{
	if (opts && opts->on_error)
		opts->on_error(opts->ctx, e);
	if (err)
		*err = *e;
	return e->code;
}

/* Reports an error about the whole file (it could not be read). */
static enum htd_err file_error(const struct lexicon_yaml_options *opts,
                               struct htd_error *err, enum htd_err code,
                               const char *path, const char *fmt,
                               const char *detail)
{
	struct htd_error e;
	htd_error_at(&e, code, path, 0, 0, fmt, detail);
	return pass_error(opts, err, &e);
}

enum htd_err lexicon_yaml_load(const char *path,
                               const struct lexicon_yaml_options *opts,
                               struct lexicon *out, struct htd_error *err)
{
	char *data;
	size_t len;
	enum htd_err rc;
	struct htd_error e;

	memset(out, 0, sizeof(*out));
	htd_error_clear(err);
	rc = file_read_all(path, LEXICON_YAML_MAX, &data, &len, &e);
	if (rc != HTD_OK)
		return pass_error(opts, err, &e);
	rc = lexicon_yaml_parse(path, data, len, opts, out, err);
	free(data);
	return rc;
}

size_t lexicon_missing_indicators(const struct lexicon *lx,
                                  bool missing[INDICATOR__COUNT])
{
	size_t n = 0;
	for (int i = 0; i < INDICATOR__COUNT; i++)
		missing[i] = true;
	for (size_t i = 0; lx && i < lx->n_indicators; i++)
		if (lx->indicators[i].n_patterns > 0 &&
		    (unsigned)lx->indicators[i].id < INDICATOR__COUNT)
			missing[lx->indicators[i].id] = false;
	for (int i = 0; i < INDICATOR__COUNT; i++)
		n += missing[i];
	return n;
}

size_t lexicon_pattern_count(const struct lexicon *lx)
{
	size_t n = 0;
	for (size_t i = 0; lx && i < lx->n_indicators; i++)
		n += lx->indicators[i].n_patterns;
	return n;
}

/* ---- directories ------------------------------------------------------- */

static int name_order(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

enum htd_err lexicon_yaml_load_dir(const char *dir,
                                   const struct lexicon_yaml_options *opts,
                                   struct lexicon **out, size_t *n,
                                   struct htd_error *err)
{
	struct lexicon_yaml_options o = { 0 };
	struct htd_error first;
	char **names = NULL;
	size_t n_names = 0, cap = 0;
	struct lexicon *lxs = NULL;
	size_t n_lxs = 0;
	enum htd_err rc = HTD_OK;
	struct dirent *de;
	DIR *d;

	*out = NULL;
	*n = 0;
	htd_error_clear(err);
	htd_error_clear(&first);
	if (opts)
		o = *opts;
	o.coverage = true;
	if (!dir)
		dir = LEXICON_DIR_DEFAULT;
	d = opendir(dir);
	if (!d)
		return file_error(
		    opts, err, errno == ENOENT ? HTD_ERR_NOT_FOUND : HTD_ERR_IO,
		    dir, "cannot open the lexicon directory: %s",
		    strerror(errno));
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name);
		if (de->d_name[0] == '.' || len <= 5 ||
		    strcmp(de->d_name + len - 5, ".yaml") != 0)
			continue;
		if (n_names == cap) {
			cap = cap ? cap * 2 : 8;
			names = xrealloc(names, cap * sizeof(*names));
		}
		size_t size = strlen(dir) + len + 2;
		names[n_names] = xmalloc(size);
		str_format(names[n_names], size, "%s/%s", dir, de->d_name);
		n_names++;
	}
	closedir(d);
	if (n_names == 0) {
		rc = file_error(opts, err, HTD_ERR_NOT_FOUND, dir, "%s",
		                "no lexicon (*.yaml) in this directory");
		goto out;
	}
	qsort(names, n_names, sizeof(*names), name_order);
	lxs = xcalloc(n_names, sizeof(*lxs));
	for (size_t i = 0; i < n_names; i++) {
		struct htd_error e;
		enum htd_err r =
		    lexicon_yaml_load(names[i], &o, &lxs[n_lxs], &e);
		if (r == HTD_OK) {
			n_lxs++;
		} else if (rc == HTD_OK) {
			rc = r;
			first = e;
		}
	}
	if (rc != HTD_OK) {
		if (err)
			*err = first;
		lexicon_set_free(lxs, n_lxs);
		lxs = NULL;
		n_lxs = 0;
	}
	*out = lxs;
	*n = n_lxs;
out:
	for (size_t i = 0; i < n_names; i++)
		free(names[i]);
	free(names);
	return rc;
}

void lexicon_set_free(struct lexicon *lexicons, size_t n)
{
	if (!lexicons)
		return;
	for (size_t i = 0; i < n; i++)
		lexicon_free(&lexicons[i]);
	free(lexicons);
}
