/*
 * test_lexicon_yaml.c - unit tests of formats/lexicon_yaml.c: a good file
 * loads with its patterns normalised and placed; every kind of error names
 * file:line:column and leaves nothing loaded; files and directories.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "formats/lexicon_yaml.h"
#include "testutil.h"
#include "util/buf.h"
#include "util/mem.h"
#include "util/str.h"

/* ---- helpers ----------------------------------------------------------- */

#define MAX_ERRORS 200

struct errors {
	struct htd_error e[MAX_ERRORS];
	size_t n;
};

static void collect(void *ctx, const struct htd_error *e)
{
	struct errors *errs = ctx;
	if (errs->n < MAX_ERRORS)
		errs->e[errs->n++] = *e;
}

/*
 * A complete lexicon: every indicator of domain.md with one pattern, after
 * `head` (top-level lines, or "") and with `tail` appended (more top-level
 * keys). Line 1 is "language: en" unless head starts with its own.
 */
static char *lexicon_text(const char *head, const char *tail)
{
	struct buf b;
	buf_init(&b, 0);
	buf_puts(&b, head);
	buf_puts(&b, "indicators:\n");
	for (int i = 0; i < INDICATOR__COUNT; i++)
		buf_printf(&b, "  %s:\n    patterns: [\"%s phrase\"]\n",
		           indicator_name((enum indicator_id)i),
		           indicator_name((enum indicator_id)i));
	buf_puts(&b, tail);
	return buf_steal(&b);
}

static struct errors errs;
static struct lexicon lx;

static enum htd_err parse_as(const char *file, const char *text, bool coverage)
{
	struct lexicon_yaml_options opts = {
		.coverage = coverage,
		.on_error = collect,
		.ctx = &errs,
	};
	struct htd_error err;
	memset(&errs, 0, sizeof(errs));
	lexicon_free(&lx);
	enum htd_err rc =
	    lexicon_yaml_parse(file, text, strlen(text), &opts, &lx, &err);
	if (rc != HTD_OK) {
		cr_assert_gt(errs.n, 0,
		             "an error was returned but not reported");
		cr_assert_eq(err.code, errs.e[0].code);
		cr_assert_str_eq(err.message, errs.e[0].message);
		/* Nothing is loaded when anything is wrong. */
		cr_assert_null(lx.indicators);
		cr_assert_null(lx.language);
		cr_assert_null(lx.file);
		cr_assert_eq(lx.n_indicators, 0);
	} else {
		cr_assert_eq(errs.n, 0);
	}
	return rc;
}

static enum htd_err parse(const char *text)
{
	return parse_as("data/lexicon/en.yaml", text, false);
}

/* Asserts that some error is at line:column and mentions `needle`. */
static void assert_error(int line, int column, const char *needle)
{
	struct buf all;
	buf_init(&all, 0);
	for (size_t i = 0; i < errs.n; i++) {
		char msg[1024];
		if (errs.e[i].line == line && errs.e[i].column == column &&
		    strstr(errs.e[i].message, needle)) {
			buf_free(&all);
			return;
		}
		buf_printf(&all, "%s\n",
		           htd_error_format(&errs.e[i], msg, sizeof(msg)));
	}
	cr_assert_fail("no error at %d:%d mentioning '%s'; got:\n%s", line,
	               column, needle, buf_str(&all));
}

static void teardown(void)
{
	lexicon_free(&lx);
}

TestSuite(lexicon_yaml, .fini = teardown);

static const struct lexicon_indicator *find(enum indicator_id id)
{
	for (size_t i = 0; i < lx.n_indicators; i++)
		if (lx.indicators[i].id == id)
			return &lx.indicators[i];
	return NULL;
}

/* ---- a good file ------------------------------------------------------- */

static const char good[] =
    "# a comment\n"
    "language: en\n"
    "name: English\n"
    "version: \"2026.11\"\n"
    "sources:\n"
    "  ilo: \"ILO, Indicators of Forced Labour (2012)\"\n"
    "  usc1592: \"18 U.S.C. 1592\"\n"
    "indicators:\n"
    "  documents_withheld:\n"
    "    sources: [ilo, usc1592]\n"
    "    amp: means\n"
    "    patterns:\n"
    "      - \"(Boss|Patr\xc3\xb3n) keeps (my|his) (passport|pp)\"\n"
    "      - \"\xef\xbc\xa9\xef\xbc\xa4 card\"\n"
    "    inverted: [\"has (my|his) own passport\"]\n"
    "  debt_bondage:\n"
    "    amp: [means, purpose]\n"
    "    patterns: ['owes \\$?[0-9,]+']\n"
    "context:\n"
    "  negation_pre: [\"no\", \"NOT\", \"nobody\"]\n"
    "  terminator: [but]\n"
    "  subject_other: [\"coworkers?\"]\n"
    "industries:\n"
    "  agriculture: [\"farms?\", \"Fields?\"]\n"
    "stopwords: [the, And, of]\n";

Test(lexicon_yaml, good_file_loads)
{
	cr_assert_eq(parse(good), HTD_OK);
	cr_assert_str_eq(lx.file, "data/lexicon/en.yaml");
	cr_assert_str_eq(lx.language, "en");
	cr_assert_str_eq(lx.name, "English");
	cr_assert_str_eq(lx.version, "2026.11");
	cr_assert_eq(lx.n_indicators, 2);
	const struct lexicon_indicator *d = find(INDICATOR_DOCUMENTS_WITHHELD);
	cr_assert_not_null(d);
	cr_assert_eq(d->n_patterns, 3);
	cr_assert_eq(d->n_sources, 2);
	cr_assert_str_eq(d->sources[0], "ilo");
	cr_assert_str_eq(d->sources[1], "usc1592");
	cr_assert_not(d->patterns[0].inverted);
	cr_assert(d->patterns[2].inverted);
	cr_assert_str_eq(d->patterns[2].regex, "has (my|his) own passport");
	cr_assert_eq(lx.n_triggers, 5);
	cr_assert_eq(lx.triggers[0].kind, TRIGGER_NEGATION_PRE);
	cr_assert_eq(lx.triggers[3].kind, TRIGGER_TERMINATOR);
	cr_assert_eq(lx.triggers[4].kind, TRIGGER_SUBJECT_OTHER);
	cr_assert_str_eq(lx.triggers[4].regex, "coworkers?");
	cr_assert_eq(lx.n_industries, 1);
	cr_assert_str_eq(lx.industries[0].id, "agriculture");
	cr_assert_eq(lx.industries[0].n_patterns, 2);
	cr_assert_eq(lx.n_stopwords, 3);
}

Test(lexicon_yaml, patterns_are_normalised)
{
	cr_assert_eq(parse(good), HTD_OK);
	const struct lexicon_indicator *d = find(INDICATOR_DOCUMENTS_WITHHELD);
	/* Case folded, accents stripped, compatibility forms (full-width
	 * ＩＤ) folded. */
	cr_assert_str_eq(d->patterns[0].regex,
	                 "(boss|patron) keeps (my|his) (passport|pp)");
	cr_assert_str_eq(d->patterns[1].regex, "id card");
	/* A character after a backslash is kept as written. */
	const struct lexicon_indicator *b = find(INDICATOR_DEBT_BONDAGE);
	cr_assert_str_eq(b->patterns[0].regex, "owes \\$?[0-9,]+");
	cr_assert_str_eq(lx.triggers[1].regex, "not");
	cr_assert_str_eq(lx.industries[0].patterns[1].regex, "fields?");
	cr_assert_str_eq(lx.stopwords[1], "and");
}

Test(lexicon_yaml, origins_name_file_line_column)
{
	cr_assert_eq(parse(good), HTD_OK);
	const struct lexicon_indicator *d = find(INDICATOR_DOCUMENTS_WITHHELD);
	cr_assert_str_eq(d->patterns[0].origin.file, "data/lexicon/en.yaml");
	cr_assert_eq(d->patterns[0].origin.line, 13);
	cr_assert_eq(d->patterns[0].origin.column, 9);
	cr_assert_eq(d->patterns[2].origin.line, 15);
	cr_assert_eq(d->patterns[2].origin.column, 16);
	cr_assert_eq(lx.triggers[0].origin.line, 20);
	cr_assert_eq(lx.triggers[0].origin.column, 18);
	cr_assert_eq(lx.triggers[3].origin.line, 21);
	cr_assert_eq(lx.triggers[3].origin.column, 16);
}

Test(lexicon_yaml, complete_file_passes_coverage)
{
	char *text = lexicon_text("language: en\n", "");
	cr_assert_eq(parse_as("en.yaml", text, true), HTD_OK);
	cr_assert_eq(lx.n_indicators, INDICATOR__COUNT);
	bool missing[INDICATOR__COUNT];
	cr_assert_eq(lexicon_missing_indicators(&lx, missing), 0);
	cr_assert_eq(lexicon_pattern_count(&lx), INDICATOR__COUNT);
	free(text);
}

Test(lexicon_yaml, comments_and_block_styles)
{
	cr_assert_eq(parse("language: en # trailing\n"
	                   "indicators:\n"
	                   "  violence:\n"
	                   "    patterns:\n"
	                   "      - >-\n"
	                   "        beat\n"
	                   "        him\n"),
	             HTD_OK);
	cr_assert_str_eq(lx.indicators[0].patterns[0].regex, "beat him");
}

/* ---- errors, each at file:line:column ---------------------------------- */

Test(lexicon_yaml, unknown_top_level_key)
{
	cr_assert_eq(parse("language: en\ncolour: blue\nindicators: {}\n"),
	             HTD_ERR_INVALID);
	assert_error(2, 1, "unknown key 'colour'");
	cr_assert_str_eq(errs.e[0].file, "data/lexicon/en.yaml");
}

Test(lexicon_yaml, unknown_indicator_key)
{
	cr_assert_eq(parse("language: en\n"
	                   "indicators:\n"
	                   "  violence:\n"
	                   "    patterns: [beat]\n"
	                   "    sauces: [ilo]\n"),
	             HTD_ERR_INVALID);
	assert_error(5, 5, "unknown key 'sauces' in indicator violence");
}

Test(lexicon_yaml, unknown_indicator_id)
{
	cr_assert_eq(parse("language: en\n"
	                   "indicators:\n"
	                   "  passport_taken:\n"
	                   "    patterns: [x]\n"),
	             HTD_ERR_INVALID);
	assert_error(3, 3, "unknown indicator id 'passport_taken'");
}

Test(lexicon_yaml, unknown_trigger_kind)
{
	cr_assert_eq(parse("language: en\n"
	                   "indicators: {violence: {patterns: [beat]}}\n"
	                   "context:\n"
	                   "  negation: [no]\n"),
	             HTD_ERR_INVALID);
	assert_error(4, 3, "unknown trigger kind 'negation'");
}

Test(lexicon_yaml, wrong_types)
{
	cr_assert_eq(parse("language: en\n"
	                   "name: {first: a}\n"
	                   "indicators:\n"
	                   "  violence:\n"
	                   "    patterns: beat\n"
	                   "  threats: [x]\n"
	                   "context: [no]\n"
	                   "stopwords: the\n"
	                   "industries:\n"
	                   "  farming: {a: b}\n"),
	             HTD_ERR_INVALID);
	assert_error(2, 8, "name must be text, not a mapping");
	assert_error(5, 15, "patterns must be a list");
	assert_error(6, 13, "indicator threats must be a mapping");
	assert_error(7, 11, "context must be a mapping");
	assert_error(8, 12, "stopwords must be a list");
	assert_error(10, 13, "farming must be a list");
}

Test(lexicon_yaml, list_items_must_be_text)
{
	cr_assert_eq(parse("language: en\n"
	                   "indicators:\n"
	                   "  violence:\n"
	                   "    patterns: [beat, [a, b], {c: d}]\n"),
	             HTD_ERR_INVALID);
	assert_error(4, 23, "pattern must be text, not a list");
	assert_error(4, 31, "pattern must be text, not a mapping");
}

Test(lexicon_yaml, empty_patterns)
{
	cr_assert_eq(parse("language: en\n"
	                   "indicators:\n"
	                   "  violence:\n"
	                   "    patterns:\n"
	                   "      - \"\"\n"
	                   "      - \"   \"\n"
	                   "      -\n"
	                   "  threats:\n"
	                   "    patterns: []\n"
	                   "context:\n"
	                   "  terminator: [\"\"]\n"),
	             HTD_ERR_INVALID);
	assert_error(5, 9, "empty pattern");
	assert_error(6, 9, "empty pattern");
	assert_error(4, 5, "pattern has no value"); /* at its list */
	assert_error(8, 3, "indicator threats has no patterns");
	assert_error(11, 16, "empty trigger");
}

Test(lexicon_yaml, duplicate_patterns)
{
	cr_assert_eq(parse("language: en\n"
	                   "indicators:\n"
	                   "  violence:\n"
	                   "    patterns:\n"
	                   "      - beat him\n"
	                   "      - hit him\n"
	                   "      - Beat Him\n"
	                   "    inverted: [hit him]\n"
	                   "  threats:\n"
	                   "    patterns: [beat him]\n"
	                   "context:\n"
	                   "  negation_pre: [no, not, \"no\"]\n"
	                   "  negation_post: [no]\n"),
	             HTD_ERR_INVALID);
	/* Equal once normalised, within one indicator (patterns and inverted
	 * together) or one trigger kind; the same phrase in another
	 * indicator or kind is no duplicate. */
	assert_error(7, 9, "duplicate pattern 'beat him' (first at line 5)");
	assert_error(8, 16, "duplicate pattern 'hit him' (first at line 6)");
	assert_error(12, 27, "duplicate trigger 'no' (first at line 12)");
	cr_assert_eq(errs.n, 3);
}

Test(lexicon_yaml, language_must_match_the_file_name)
{
	char *text = lexicon_text("language: es\n", "");
	cr_assert_eq(parse_as("data/lexicon/en.yaml", text, false),
	             HTD_ERR_INVALID);
	assert_error(1, 11, "does not match the file name");
	cr_assert_eq(parse_as("data/lexicon/es.yaml", text, false), HTD_OK);
	cr_assert_eq(parse_as("es.yml", text, false), HTD_ERR_INVALID);
	free(text);
	cr_assert_eq(parse("language: English\nindicators: {}\n"),
	             HTD_ERR_INVALID);
	assert_error(1, 11, "not a BCP 47 primary language tag");
}

Test(lexicon_yaml, missing_required_keys)
{
	cr_assert_eq(parse("name: English\n"), HTD_ERR_INVALID);
	assert_error(1, 1, "missing required key 'language'");
	assert_error(1, 1, "missing required key 'indicators'");
	cr_assert_eq(parse("language: en\nindicators:\n"), HTD_ERR_INVALID);
	assert_error(2, 1, "indicators has no value");
}

Test(lexicon_yaml, coverage_names_each_missing_indicator)
{
	const char *text = "language: en\n"
	                   "indicators:\n"
	                   "  violence: {patterns: [beat]}\n";
	cr_assert_eq(parse_as("en.yaml", text, false), HTD_OK);
	cr_assert_eq(parse_as("en.yaml", text, true), HTD_ERR_INVALID);
	cr_assert_eq(errs.n, INDICATOR__COUNT - 1);
	assert_error(2, 1,
	             "indicator documents_withheld of domain.md has no "
	             "pattern in this language");
	assert_error(2, 1, "indicator fear_signs of domain.md");
}

Test(lexicon_yaml, file_too_large)
{
	size_t n = LEXICON_YAML_MAX + 1;
	char *big = xmalloc(n + 1);
	memset(big, '#', n);
	big[n] = '\0';
	struct htd_error err;
	cr_assert_eq(lexicon_yaml_parse("en.yaml", big, n, NULL, &lx, &err),
	             HTD_ERR_TOO_LARGE);
	cr_assert(strstr(err.message, "larger than 4194304 bytes"));
	cr_assert_str_eq(err.file, "en.yaml");
	free(big);

	/* From a file: refused before it is read. */
	char path[512];
	const char *dir = tu_tmpdir();
	tu_path(path, sizeof(path), dir, "en.yaml");
	FILE *f = fopen(path, "wb");
	cr_assert_not_null(f);
	cr_assert_eq(fseek(f, (long)LEXICON_YAML_MAX, SEEK_SET), 0);
	fputc('\n', f);
	fclose(f);
	cr_assert_eq(lexicon_yaml_load(path, NULL, &lx, &err),
	             HTD_ERR_TOO_LARGE);
	cr_assert_str_eq(err.file, path);
	tu_rmtree(dir);
}

Test(lexicon_yaml, invalid_utf8)
{
	cr_assert_eq(parse("language: en\n"
	                   "indicators:\n"
	                   "  violence: {patterns: [\"b\xc3\xa9\xff\"]}\n"),
	             HTD_ERR_PARSE);
	assert_error(3, 28, "invalid UTF-8");
	/* An overlong encoding and a lone surrogate are invalid too. */
	cr_assert_eq(parse("language: \xc0\xaf\n"), HTD_ERR_PARSE);
	assert_error(1, 11, "invalid UTF-8");
	cr_assert_eq(parse("a: \xed\xa0\x80\n"), HTD_ERR_PARSE);
	assert_error(1, 4, "invalid UTF-8");
}

Test(lexicon_yaml, nul_bytes)
{
	static const char text[] = "language: en\nindi\0cators: {}\n";
	struct htd_error err;
	cr_assert_eq(lexicon_yaml_parse("en.yaml", text, sizeof(text) - 1, NULL,
	                                &lx, &err),
	             HTD_ERR_PARSE);
	cr_assert_eq(err.line, 2);
	cr_assert(strstr(err.message, "NUL"));
	/* An escaped NUL inside a string. */
	cr_assert_eq(parse("language: en\n"
	                   "indicators: {violence: {patterns: [\"a\\0b\"]}}\n"),
	             HTD_ERR_INVALID);
	assert_error(2, 36, "contains a NUL character");
}

Test(lexicon_yaml, yaml_syntax_errors)
{
	cr_assert_eq(parse("language: en\n"
	                   "indicators: {violence: {patterns: [beat}\n"),
	             HTD_ERR_PARSE);
	cr_assert_gt(errs.e[0].line, 0);
	cr_assert(strstr(errs.e[0].message, "YAML: "), "%s", errs.e[0].message);
	cr_assert_eq(parse("language: en\nname: a\nlanguage: es\n"),
	             HTD_ERR_PARSE);
	assert_error(3, 1, "duplicate key");
	cr_assert_eq(parse("language: en\nindicators:\n\t- a\n"),
	             HTD_ERR_PARSE);
	assert_error(3, 1, "YAML: tab character may not be used");
}

Test(lexicon_yaml, one_document_only)
{
	cr_assert_eq(parse("language: en\n"
	                   "indicators: {violence: {patterns: [beat]}}\n"
	                   "---\n"
	                   "language: es\n"),
	             HTD_ERR_PARSE);
	assert_error(4, 1, "one YAML document");
}

Test(lexicon_yaml, empty_file_or_not_a_mapping)
{
	cr_assert_eq(parse(""), HTD_ERR_PARSE);
	assert_error(1, 1, "the file is empty");
	cr_assert_eq(parse("# just a comment\n"), HTD_ERR_PARSE);
	cr_assert_eq(parse("- language\n- en\n"), HTD_ERR_INVALID);
	assert_error(1, 3, "a lexicon is a mapping");
	cr_assert_eq(parse("just text\n"), HTD_ERR_INVALID);
	assert_error(1, 1, "not text");
}

Test(lexicon_yaml, aliases_are_refused)
{
	cr_assert_eq(parse("language: en\n"
	                   "indicators:\n"
	                   "  violence: {patterns: [&p beat]}\n"
	                   "  threats: {patterns: [*p]}\n"),
	             HTD_ERR_INVALID);
	assert_error(4, 24, "anchors and aliases are not supported");
}

Test(lexicon_yaml, non_text_keys)
{
	cr_assert_eq(parse("language: en\n"
	                   "? [a, b]\n"
	                   ": x\n"
	                   "indicators: {violence: {patterns: [beat]}}\n"),
	             HTD_ERR_INVALID);
	assert_error(2, 4, "a key must be plain text");
}

Test(lexicon_yaml, sources_and_amp)
{
	cr_assert_eq(parse("language: en\n"
	                   "sources: {ilo: \"ILO 2012\", empty: \"\"}\n"
	                   "indicators:\n"
	                   "  violence:\n"
	                   "    sources: [ilo, polaris]\n"
	                   "    amp: purpose\n"
	                   "    patterns: [beat]\n"
	                   "  debt_bondage:\n"
	                   "    amp: [means, purpose, sideways]\n"
	                   "    patterns: [owes]\n"),
	             HTD_ERR_INVALID);
	assert_error(5, 20, "unknown source 'polaris'");
	assert_error(6, 10,
	             "domain.md gives violence the AMP elements means, "
	             "not purpose");
	assert_error(9, 27, "unknown AMP element 'sideways'");
	/* An empty citation is fine: a quoted "" is a value. */
	cr_assert_eq(errs.n, 3);
}

Test(lexicon_yaml, errors_come_in_file_order)
{
	cr_assert_eq(parse("language: en\n"
	                   "stopwords: [a, a]\n"
	                   "indicators:\n"
	                   "  nope: {}\n"
	                   "context: {maybe: [x]}\n"
	                   "zzz: 1\n"),
	             HTD_ERR_INVALID);
	cr_assert_eq(errs.n, 4);
	for (size_t i = 1; i < errs.n; i++)
		cr_assert_lt(errs.e[i - 1].line, errs.e[i].line);
}

Test(lexicon_yaml, many_errors_are_capped)
{
	struct buf b;
	buf_init(&b, 0);
	buf_puts(&b, "language: en\nindicators:\n  violence:\n    patterns:\n");
	for (int i = 0; i < 500; i++)
		buf_puts(&b, "      - \"\"\n");
	cr_assert_eq(parse(buf_str(&b)), HTD_ERR_INVALID);
	cr_assert_eq(errs.n, LEXICON_YAML_ERRORS_MAX);
	buf_free(&b);
}

Test(lexicon_yaml, hostile_duplicate_lists_stay_fast)
{
	/* 100 000 equal items: the duplicate check must not be quadratic. */
	struct buf b;
	buf_init(&b, 0);
	buf_puts(&b, "language: en\nstopwords: [");
	for (int i = 0; i < 100000; i++)
		buf_puts(&b, "a,");
	buf_puts(&b, "a]\nindicators: {violence: {patterns: [beat]}}\n");
	cr_assert_eq(parse(buf_str(&b)), HTD_ERR_INVALID);
	cr_assert_eq(errs.n, LEXICON_YAML_ERRORS_MAX);
	buf_free(&b);
}

/* ---- files and directories --------------------------------------------- */

Test(lexicon_yaml, load_from_file)
{
	char path[512];
	const char *dir = tu_tmpdir();
	struct htd_error err;
	tu_path(path, sizeof(path), dir, "en.yaml");
	tu_write_file(path, good, strlen(good));
	cr_assert_eq(lexicon_yaml_load(path, NULL, &lx, &err), HTD_OK);
	cr_assert_str_eq(lx.file, path);
	cr_assert_str_eq(lx.indicators[0].patterns[0].origin.file, path);
	lexicon_free(&lx);
	tu_path(path, sizeof(path), dir, "xx.yaml");
	cr_assert_eq(lexicon_yaml_load(path, NULL, &lx, &err),
	             HTD_ERR_NOT_FOUND);
	cr_assert_str_eq(err.file, path);
	cr_assert(strstr(err.message, "cannot open"));
	cr_assert_eq(lexicon_yaml_load(dir, NULL, &lx, &err), HTD_ERR_IO);
	tu_rmtree(dir);
}

Test(lexicon_yaml, load_a_directory_sorted)
{
	char path[512];
	const char *dir = tu_tmpdir();
	struct lexicon *set;
	size_t n;
	struct htd_error err;
	char *es = lexicon_text("language: es\n", "");
	char *en = lexicon_text("language: en\n", "");
	char *vi = lexicon_text("language: vi\n", "");
	tu_write_file(tu_path(path, sizeof(path), dir, "es.yaml"), es,
	              strlen(es));
	tu_write_file(tu_path(path, sizeof(path), dir, "en.yaml"), en,
	              strlen(en));
	tu_write_file(tu_path(path, sizeof(path), dir, "vi.yaml"), vi,
	              strlen(vi));
	tu_write_file(tu_path(path, sizeof(path), dir, "README.md"), "x", 1);
	tu_write_file(tu_path(path, sizeof(path), dir, ".en.yaml.swp"), "x", 1);
	cr_assert_eq(lexicon_yaml_load_dir(dir, NULL, &set, &n, &err), HTD_OK,
	             "%s", err.message);
	cr_assert_eq(n, 3);
	cr_assert_str_eq(set[0].language, "en");
	cr_assert_str_eq(set[1].language, "es");
	cr_assert_str_eq(set[2].language, "vi");
	lexicon_set_free(set, n);

	/* One bad file: every file is examined, nothing is loaded. */
	const char *partial = "language: vi\n"
	                      "indicators: {violence: {patterns: [beat]}}\n";
	tu_write_file(tu_path(path, sizeof(path), dir, "vi.yaml"), partial,
	              strlen(partial));
	tu_write_file(tu_path(path, sizeof(path), dir, "fr.yaml"), "x: [", 4);
	struct lexicon_yaml_options opts = { .on_error = collect,
		                             .ctx = &errs };
	memset(&errs, 0, sizeof(errs));
	cr_assert_neq(lexicon_yaml_load_dir(dir, &opts, &set, &n, &err),
	              HTD_OK);
	cr_assert_null(set);
	cr_assert_eq(n, 0);
	cr_assert(strstr(err.file, "fr.yaml"), "first error in %s", err.file);
	/* fr.yaml's syntax error, then vi.yaml's 20 missing indicators. */
	cr_assert_eq(errs.n, 1 + INDICATOR__COUNT - 1);
	cr_assert(strstr(errs.e[errs.n - 1].file, "vi.yaml"));
	free(es);
	free(en);
	free(vi);
	tu_rmtree(dir);
}

Test(lexicon_yaml, directory_without_lexicons)
{
	const char *dir = tu_tmpdir();
	struct lexicon *set;
	size_t n;
	struct htd_error err;
	cr_assert_eq(lexicon_yaml_load_dir(dir, NULL, &set, &n, &err),
	             HTD_ERR_NOT_FOUND);
	cr_assert(strstr(err.message, "no lexicon"));
	tu_rmtree(dir);
	cr_assert_eq(lexicon_yaml_load_dir(dir, NULL, &set, &n, &err),
	             HTD_ERR_NOT_FOUND);
	cr_assert_null(set);
}

Test(lexicon_yaml, free_accepts_null)
{
	lexicon_set_free(NULL, 3);
	bool missing[INDICATOR__COUNT];
	cr_assert_eq(lexicon_missing_indicators(NULL, missing),
	             INDICATOR__COUNT);
	cr_assert_eq(lexicon_pattern_count(NULL), 0);
}
