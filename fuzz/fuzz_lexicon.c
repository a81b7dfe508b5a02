/*
 * fuzz_lexicon.c - fuzzes the lexicon loader (formats/lexicon_yaml.c),
 * which reads files an agency edits by hand: YAML bytes in, a lexicon or
 * errors out.
 *
 * The input is the file's content, parsed as "en.yaml" with coverage on.
 * Properties: never a crash or leak; a rejection reports at least one
 * error, each with the file name and a line and column >= 1, leaves the
 * lexicon empty, and the first reported error is the one returned; an
 * accepted lexicon is in English, has a pattern for every indicator, and
 * every pattern is non-empty and placed in the file.
 */
#include <stdio.h>
#include <stdlib.h>

#include "formats/lexicon_yaml.h"
#include "fuzz/fuzz.h"
#include "util/str.h"

struct seen {
	size_t n;
	struct htd_error first;
};

static void fail(const char *what, const struct htd_error *e)
{
	fuzz_fail_error("lexicon_yaml", what, e);
}

static void on_error(void *ctx, const struct htd_error *e)
{
	struct seen *s = ctx;
	if (e->code == HTD_OK)
		fail("an error with code ok", e);
	if (!str_eq(e->file, "en.yaml"))
		fail("an error without the file name", e);
	if (e->line < 1 || e->column < 1)
		fail("an error without line and column", e);
	if (s->n++ == 0)
		s->first = *e;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct seen seen = { 0 };
	struct lexicon_yaml_options opts = { true, on_error, &seen };
	struct lexicon lx;
	struct htd_error err;

	if (size > FUZZ_INPUT_MAX)
		return 0;
	enum htd_err rc = lexicon_yaml_parse("en.yaml", (const char *)data,
	                                     size, &opts, &lx, &err);
	if (rc != HTD_OK) {
		if (seen.n == 0 || seen.n > LEXICON_YAML_ERRORS_MAX)
			fail("a rejection with no (or too many) errors", &err);
		if (err.code != rc || !str_eq(err.message, seen.first.message))
			fail("the returned error is not the first reported",
			     &err);
		if (lx.file || lx.language || lx.indicators || lx.triggers ||
		    lx.stopwords || lx.industries)
			fail("a rejected lexicon is not empty", &err);
		return 0;
	}
	if (seen.n)
		fail("errors were reported for an accepted lexicon", NULL);
	if (!str_eq(lx.language, "en"))
		fail("accepted a language that is not the file's", NULL);
	bool missing[INDICATOR__COUNT];
	if (lexicon_missing_indicators(&lx, missing) != 0)
		fail("accepted a lexicon with an indicator missing", NULL);
	for (size_t i = 0; i < lx.n_indicators; i++)
		for (size_t j = 0; j < lx.indicators[i].n_patterns; j++) {
			const struct lexicon_pattern *p =
			    &lx.indicators[i].patterns[j];
			if (!p->regex || !p->regex[0] || p->origin.line < 1 ||
			    p->origin.column < 1 ||
			    !str_eq(p->origin.file, lx.file))
				fail("a pattern is empty or not placed", NULL);
		}
	lexicon_free(&lx);
	return 0;
}
