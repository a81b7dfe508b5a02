/*
 * test_indicators.c - the matcher on a small hand-made lexicon: spans in
 * original bytes, whole words, NegEx/ConText context (negation, pseudo-
 * negation, terminators, double negation, hypothetical, historical,
 * subject, answers to the seed's questions), languages, industries, AMP,
 * and the serialised database.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "core/indicators.h"
#include "core/normalise.h"
#include "util/mem.h"

static struct lexicon lex[2];
static struct indicators *m;
static struct indicators_scratch *scratch;
static struct indicator_result res;

static struct lexicon_origin origin(int line)
{
	struct lexicon_origin o = { "test.yaml", line, 5 };
	return o;
}

static void add_pattern(struct lexicon *lx, enum indicator_id id,
                        const char *regex, bool inverted)
{
	struct lexicon_indicator *ind = NULL;
	for (size_t i = 0; i < lx->n_indicators; i++)
		if (lx->indicators[i].id == id)
			ind = &lx->indicators[i];
	if (!ind) {
		lx->indicators =
		    xrealloc(lx->indicators,
		             (lx->n_indicators + 1) * sizeof(*lx->indicators));
		ind = &lx->indicators[lx->n_indicators++];
		memset(ind, 0, sizeof(*ind));
		ind->id = id;
	}
	ind->patterns = xrealloc(ind->patterns, (ind->n_patterns + 1) *
	                                            sizeof(*ind->patterns));
	struct lexicon_pattern *p = &ind->patterns[ind->n_patterns++];
	p->regex = normalise_pattern(regex);
	p->inverted = inverted;
	p->origin = origin((int)ind->n_patterns);
}

static void add_trigger(struct lexicon *lx, enum trigger_kind kind,
                        const char *regex)
{
	lx->triggers = xrealloc(lx->triggers,
	                        (lx->n_triggers + 1) * sizeof(*lx->triggers));
	struct lexicon_trigger *t = &lx->triggers[lx->n_triggers++];
	t->kind = kind;
	t->regex = normalise_pattern(regex);
	t->origin = origin(100);
}

static void add_stopwords(struct lexicon *lx, const char *const *w, size_t n)
{
	lx->stopwords = xcalloc(n, sizeof(char *));
	for (size_t i = 0; i < n; i++)
		lx->stopwords[i] = xstrdup(w[i]);
	lx->n_stopwords = n;
}

static void build_english(struct lexicon *lx)
{
	memset(lx, 0, sizeof(*lx));
	lx->file = xstrdup("en.yaml");
	lx->language = xstrdup("en");
	add_pattern(lx, INDICATOR_DOCUMENTS_WITHHELD,
	            "(boss|employer) (keeps|took|has) (my|his|her) "
	            "(passport|pp|id)",
	            false);
	add_pattern(lx, INDICATOR_MOVEMENT_RESTRICTED, "locked in", false);
	add_pattern(lx, INDICATOR_MOVEMENT_RESTRICTED, "free to leave", true);
	add_pattern(lx, INDICATOR_MOVEMENT_RESTRICTED, "not free to leave",
	            false);
	add_pattern(lx, INDICATOR_WAGES_WITHHELD, "(never|not) paid", false);
	add_pattern(lx, INDICATOR_DEBT_BONDAGE, "owes \\$?[0-9,]+", false);
	add_trigger(lx, TRIGGER_NEGATION_PRE,
	            "no|not|nobody|never|can't|cannot|denies");
	add_trigger(lx, TRIGGER_NEGATION_POST, "ruled out");
	add_trigger(lx, TRIGGER_PSEUDO, "not only");
	add_trigger(lx, TRIGGER_HYPOTHETICAL, "whether|if|asks about");
	add_trigger(lx, TRIGGER_HISTORICAL, "years ago|used to");
	add_trigger(lx, TRIGGER_TERMINATOR, "but|however");
	add_trigger(lx, TRIGGER_SUBJECT_SELF, "i|me|my");
	add_trigger(lx, TRIGGER_SUBJECT_OTHER, "she|he|her|his");
	add_trigger(lx, TRIGGER_ANSWER_YES, "yes|y");
	add_trigger(lx, TRIGGER_ANSWER_NO, "no|n");
	lx->industries = xcalloc(1, sizeof(*lx->industries));
	lx->n_industries = 1;
	lx->industries[0].id = xstrdup("agriculture");
	lx->industries[0].patterns = xcalloc(1, sizeof(struct lexicon_pattern));
	lx->industries[0].n_patterns = 1;
	lx->industries[0].patterns[0].regex = xstrdup("farms?");
	static const char *const stop[] = { "the", "and", "is", "was", "my" };
	add_stopwords(lx, stop, 5);
}

static void build_spanish(struct lexicon *lx)
{
	memset(lx, 0, sizeof(*lx));
	lx->file = xstrdup("es.yaml");
	lx->language = xstrdup("es");
	add_pattern(lx, INDICATOR_DOCUMENTS_WITHHELD,
	            "(patrón|jefe) (le )?(quitó|tiene) (el|su) pasaporte",
	            false);
	add_trigger(lx, TRIGGER_NEGATION_PRE, "no|nadie|nunca");
	add_trigger(lx, TRIGGER_SUBJECT_OTHER, "ella|el");
	static const char *const stop[] = { "el", "la", "que", "de", "dice" };
	add_stopwords(lx, stop, 5);
}

static void setup(void)
{
	struct htd_error err;
	build_english(&lex[0]);
	build_spanish(&lex[1]);
	cr_assert_eq(indicators_compile(lex, 2, &m, &err), HTD_OK, "%s",
	             err.message);
	scratch = indicators_scratch_new(m);
	memset(&res, 0, sizeof(res));
}

static void teardown(void)
{
	indicator_result_free(&res);
	indicators_scratch_free(scratch);
	indicators_free(m);
	lexicon_free(&lex[0]);
	lexicon_free(&lex[1]);
}

TestSuite(indicators, .init = setup, .fini = teardown);

static void scan(const char *text)
{
	struct htd_error err;
	cr_assert_eq(
	    indicators_scan(m, scratch, text, strlen(text), &res, &err), HTD_OK,
	    "%s", err.message);
}

/* The only hit of `id`; fails unless there is exactly one. */
static const struct indicator_hit *only(enum indicator_id id)
{
	const struct indicator_hit *h = NULL;
	int n = 0;
	for (size_t i = 0; i < res.n_hits; i++) {
		if (res.hits[i].id == id) {
			h = &res.hits[i];
			n++;
		}
	}
	cr_assert_eq(n, 1, "%d hits of %s", n, indicator_name(id));
	return h;
}

static void span_is(const char *text, const struct indicator_hit *h,
                    const char *want)
{
	cr_assert_eq(h->end - h->start, strlen(want), "span [%zu,%zu)",
	             h->start, h->end);
	cr_assert(memcmp(text + h->start, want, strlen(want)) == 0);
}

Test(indicators, finds_a_phrase_with_its_span_and_amp)
{
	const char *t = "Caller says: Boss KEEPS my PP since March";
	scan(t);
	const struct indicator_hit *h = only(INDICATOR_DOCUMENTS_WITHHELD);
	span_is(t, h, "Boss KEEPS my PP");
	cr_assert(!h->negated && !h->hypothetical && !h->historical);
	cr_assert_eq(h->subject, SUBJECT_CALLER);
	cr_assert_str_eq(h->language, "en");
	cr_assert_eq(h->amp, AMP_MEANS);
	cr_assert_eq(res.amp, AMP_MEANS);
}

Test(indicators, whole_words_only)
{
	scan("employer has my ideas; boss took his ppx");
	cr_assert_eq(res.n_hits, 0);
	scan("unlocked inside");
	cr_assert_eq(res.n_hits, 0);
}

Test(indicators, negation_before_and_after)
{
	scan("nobody says the employer took his passport");
	cr_assert(only(INDICATOR_DOCUMENTS_WITHHELD)->negated);
	scan("locked in ruled out");
	cr_assert(only(INDICATOR_MOVEMENT_RESTRICTED)->negated);
	cr_assert_eq(res.amp, 0, "a negated hit supports nothing");
}

Test(indicators, scope_ends_at_terminators_and_sentences)
{
	scan("no injuries but boss took my passport");
	cr_assert(!only(INDICATOR_DOCUMENTS_WITHHELD)->negated);
	scan("no injuries. boss took my passport");
	cr_assert(!only(INDICATOR_DOCUMENTS_WITHHELD)->negated);
	/* More than eight words away is out of scope. */
	scan("no one one two three four five six seven eight locked in");
	cr_assert(!only(INDICATOR_MOVEMENT_RESTRICTED)->negated);
}

Test(indicators, pseudo_and_double_negation)
{
	scan("not only locked in at night");
	cr_assert(!only(INDICATOR_MOVEMENT_RESTRICTED)->negated);
	scan("cannot say he was not locked in");
	cr_assert(!only(INDICATOR_MOVEMENT_RESTRICTED)->negated,
	          "two negations cancel");
	/* A negation inside the phrase is part of it, not of the context. */
	scan("she was never paid");
	const struct indicator_hit *h = only(INDICATOR_WAGES_WITHHELD);
	cr_assert(!h->negated);
	cr_assert_eq(h->subject, SUBJECT_OTHER);
}

Test(indicators, the_seed_questions_and_their_answers)
{
	scan("free to leave? NO");
	cr_assert(!only(INDICATOR_MOVEMENT_RESTRICTED)->negated);
	scan("free to leave: yes");
	cr_assert(only(INDICATOR_MOVEMENT_RESTRICTED)->negated);
	scan("she says she is free to leave");
	cr_assert(only(INDICATOR_MOVEMENT_RESTRICTED)->negated);
	scan("she is not free to leave");
	const struct indicator_hit *h = only(INDICATOR_MOVEMENT_RESTRICTED);
	cr_assert(!h->negated, "the plain phrase wins over the inverted one");
	scan("free to leave?");
	cr_assert(only(INDICATOR_MOVEMENT_RESTRICTED)->hypothetical,
	          "asked, not answered");
}

Test(indicators, punctuation_outside_ascii_separates_words)
{
	const char *t = "\xE2\x80\x9C"
	                "boss keeps my pp\xE2\x80\x9D";
	scan(t);
	span_is(t, only(INDICATOR_DOCUMENTS_WITHHELD), "boss keeps my pp");
	scan("\xC2\xBF"
	     "free to leave? no");
	cr_assert(!only(INDICATOR_MOVEMENT_RESTRICTED)->negated);
}

Test(indicators, a_negation_inside_another_phrase_is_that_phrases)
{
	scan("she was never paid and the boss took my passport");
	cr_assert(!only(INDICATOR_DOCUMENTS_WITHHELD)->negated);
	cr_assert(!only(INDICATOR_WAGES_WITHHELD)->negated);
}

Test(indicators, a_dash_is_not_an_answer)
{
	scan("boss keeps her pp - no days off");
	cr_assert(!only(INDICATOR_DOCUMENTS_WITHHELD)->negated);
	scan("free to leave = no");
	cr_assert(!only(INDICATOR_MOVEMENT_RESTRICTED)->negated);
}

Test(indicators, an_apostrophe_joins_a_word_when_counting_scope)
{
	/* "can't" is one word: the negation is the 8th word back. */
	scan("can't say one two three four five six locked in");
	cr_assert(only(INDICATOR_MOVEMENT_RESTRICTED)->negated);
}

Test(indicators, hypothetical_and_historical)
{
	scan("asks whether the employer has his passport legally");
	const struct indicator_hit *h = only(INDICATOR_DOCUMENTS_WITHHELD);
	cr_assert(h->hypothetical);
	cr_assert(!indicator_hit_counts(h));
	scan("years ago boss took her passport");
	h = only(INDICATOR_DOCUMENTS_WITHHELD);
	cr_assert(h->historical && !h->negated && !h->hypothetical);
	cr_assert(indicator_hit_counts(h));
	cr_assert_eq(h->subject, SUBJECT_OTHER);
}

Test(indicators, spanish_with_accents_maps_to_original_bytes)
{
	const char *t = "Señora María dice: el patrón le quitó el pasaporte";
	scan(t);
	const struct indicator_hit *h = only(INDICATOR_DOCUMENTS_WITHHELD);
	span_is(t, h, "patrón le quitó el pasaporte");
	cr_assert_str_eq(h->language, "es");
	cr_assert_str_eq(res.language, "es");
	scan("nadie le quitó el pasaporte al jefe; el jefe tiene su "
	     "pasaporte");
	cr_assert_eq(res.n_hits, 1);
	cr_assert(!res.hits[0].negated);
}

Test(indicators, bytes_that_are_not_text)
{
	const char t[] = "boss\x00took my\xFFpassport \xF0\x9F\x98\x80";
	struct htd_error err;
	cr_assert_eq(indicators_scan(m, scratch, t, sizeof(t) - 1, &res, &err),
	             HTD_OK);
	const struct indicator_hit *h = only(INDICATOR_DOCUMENTS_WITHHELD);
	cr_assert_eq(h->start, 0);
	cr_assert_eq(h->end, 21);
	cr_assert_eq(res.invalid_bytes, 1);
	cr_assert_eq(indicators_scan(m, scratch, "", 0, &res, &err), HTD_OK);
	cr_assert_eq(res.n_hits, 0);
}

Test(indicators, long_notes_without_sentence_ends)
{
	/* 8,000 hits in one sentence: each found once, in linear time. */
	const char *unit = "no boss took my passport and ";
	size_t n = 8000, ul = strlen(unit);
	char *t = xmalloc(n * ul + 1);
	for (size_t i = 0; i < n; i++)
		memcpy(t + i * ul, unit, ul);
	t[n * ul] = '\0';
	scan(t);
	cr_assert_eq(res.n_hits, n);
	cr_assert(res.hits[0].negated);
	cr_assert_eq(res.hits[n - 1].start, (n - 1) * ul + 3);
	free(t);
}

Test(indicators, industries_debt_and_language)
{
	scan("the worker owes $4,000 and works at the farm and the farm");
	const struct indicator_hit *h = only(INDICATOR_DEBT_BONDAGE);
	cr_assert_eq(h->amp, AMP_MEANS | AMP_PURPOSE);
	cr_assert_eq(res.amp, AMP_MEANS | AMP_PURPOSE);
	cr_assert_eq(res.n_industries, 1);
	cr_assert_str_eq(res.industries[0].id, "agriculture");
	cr_assert_str_eq(res.language, "en");
	char amp[64];
	cr_assert_str_eq(amp_format(res.amp, amp, sizeof(amp)),
	                 "means,purpose");
}

Test(indicators, serialised_database_round_trips)
{
	char *data;
	size_t size;
	struct htd_error err;
	cr_assert_eq(indicators_serialize(m, &data, &size, &err), HTD_OK);
	struct indicators *m2;
	cr_assert_eq(indicators_deserialize(data, size, &m2, &err), HTD_OK,
	             "%s", err.message);
	struct indicators_scratch *s2 = indicators_scratch_new(m2);
	struct indicator_result r2;
	memset(&r2, 0, sizeof(r2));
	const char *t = "free to leave? no. El patrón tiene su pasaporte";
	cr_assert_eq(indicators_scan(m2, s2, t, strlen(t), &r2, &err), HTD_OK);
	scan(t);
	cr_assert_eq(r2.n_hits, res.n_hits);
	cr_assert_eq(r2.n_hits, 2);
	cr_assert(memcmp(r2.hits, res.hits, res.n_hits * sizeof(*res.hits)) ==
	          0);
	indicator_result_free(&r2);
	indicators_scratch_free(s2);
	indicators_free(m2);

	/* Damaged tables (past the 68-byte header), truncated or foreign
	 * buffers are refused, never used. */
	data[70] ^= 0x55;
	cr_assert_eq(indicators_deserialize(data, size, &m2, &err),
	             HTD_ERR_PARSE);
	cr_assert_null(m2);
	data[70] ^= 0x55;

	/* A damaged start-of-match database (the end of the buffer; they
	 * carry Hyperscan's CRC) is compiled again from its expression on
	 * first use: the same hits, in the same places. */
	data[size - 10] ^= 0x55;
	cr_assert_eq(indicators_deserialize_in_place(data, size, &m2, &err),
	             HTD_OK, "%s", err.message);
	s2 = indicators_scratch_new(m2);
	memset(&r2, 0, sizeof(r2));
	cr_assert_eq(indicators_scan(m2, s2, t, strlen(t), &r2, &err), HTD_OK);
	cr_assert_eq(r2.n_hits, res.n_hits);
	cr_assert(memcmp(r2.hits, res.hits, res.n_hits * sizeof(*res.hits)) ==
	          0);
	indicator_result_free(&r2);
	indicators_scratch_free(s2);
	indicators_free(m2);
	data[size - 10] ^= 0x55;
	cr_assert_eq(indicators_deserialize(data, size / 2, &m2, &err),
	             HTD_ERR_PARSE);
	cr_assert_eq(indicators_deserialize("hello", 5, &m2, &err),
	             HTD_ERR_PARSE);
	free(data);
}

Test(indicators, compile_errors_name_the_pattern)
{
	struct lexicon bad;
	build_english(&bad);
	free(bad.indicators[0].patterns[0].regex);
	bad.indicators[0].patterns[0].regex = xstrdup("boss (keeps");
	struct indicators *mb = NULL;
	struct htd_error err;
	cr_assert_eq(indicators_compile(&bad, 1, &mb, &err), HTD_ERR_INVALID);
	cr_assert_null(mb);
	cr_assert_str_eq(err.file, "test.yaml");
	cr_assert_eq(err.line, 1);
	cr_assert(strstr(err.message, "boss (keeps"), "%s", err.message);
	lexicon_free(&bad);
}

Test(indicators, hash_follows_the_content)
{
	char a[65], b[65];
	indicators_lexicon_hash(lex, 2, a);
	indicators_lexicon_hash(lex, 2, b);
	cr_assert_str_eq(a, b);
	cr_assert_eq(strlen(a), 64);
	lex[0].indicators[0].patterns[0].inverted = true;
	indicators_lexicon_hash(lex, 2, b);
	cr_assert_str_neq(a, b);
	lex[0].indicators[0].patterns[0].inverted = false;
	indicators_lexicon_hash(lex, 1, b);
	cr_assert_str_neq(a, b);
}

Test(indicators, names)
{
	enum indicator_id id;
	for (int i = 0; i < INDICATOR__COUNT; i++) {
		cr_assert(
		    indicator_parse(indicator_name((enum indicator_id)i), &id));
		cr_assert_eq(id, i);
		cr_assert_neq(indicator_amp(id), 0);
	}
	cr_assert(!indicator_parse("passport", &id));
	cr_assert_eq(indicator_amp(INDICATOR_TRANSPORT_CONTROLLED), AMP_ACTION);
}
