/*
 * fuzz_rules.c - fuzzes the condition language (core/rules.c) that
 * protocol and policy files are written in: any bytes in, a compiled
 * expression or an error out.
 *
 * The input is the expression's source (up to the first NUL), compiled
 * against a small fixed schema with `category` (policy) and without it
 * (protocol). Properties: never a crash or leak; a rejection is `parse` or
 * `invalid` with a message of clean UTF-8 and line 1, column 1..len+1, and
 * leaves *out NULL; the protocol schema accepts nothing the policy schema
 * rejects; an accepted expression evaluates and explains alike on every
 * fact set, each fact is clean UTF-8 under RULE_FACT_MAX, refs and
 * literals name only what is there, and format() writes text that compiles
 * again to an expression with the same values whose format is the same
 * text (when it fits RULE_SOURCE_MAX).
 */
#include <stdio.h>
#include <stdlib.h>

#include "core/rules.h"
#include "fuzz/fuzz.h"
#include "util/str.h"

/* Big enough for any canonical text of a RULE_SOURCE_MAX source. */
#define FORMAT_MAX (4 * RULE_SOURCE_MAX)

enum { N_QUESTIONS = 7, N_FLAGS = 2, N_FACTS = 5 };

static const char *const choices[] = { "self", "family", "coworker" };

static const struct rule_question questions[N_QUESTIONS] = {
	{ "free_to_leave", RULE_ANSWER_YES_NO, NULL, 0 },
	{ "in_danger_now", RULE_ANSWER_YES_NO, NULL, 0 },
	{ "escaped", RULE_ANSWER_YES_NO, NULL, 0 },
	{ "relationship", RULE_ANSWER_CHOICE, choices, 3 },
	{ "victims", RULE_ANSWER_NUMBER, NULL, 0 },
	{ "location", RULE_ANSWER_TEXT, NULL, 0 },
	{ "caller_language", RULE_ANSWER_LANGUAGE, NULL, 0 },
};

static const char *const flag_names[N_FLAGS] = { "agency.tip_line",
	                                         "language_supported" };

static const struct rule_schema policy = { questions, N_QUESTIONS, flag_names,
	                                   N_FLAGS, true };
static const struct rule_schema protocol = { questions, N_QUESTIONS, flag_names,
	                                     N_FLAGS, false };

/* Fact sets: nothing known; a victim call; odd values; everything. */
static const char *const answer_sets[N_FACTS][N_QUESTIONS] = {
	{ NULL, NULL, NULL, NULL, NULL, NULL, NULL },
	{ "no", "yes", "no", "self", "3", "Motel 6, I-35", "es-MX" },
	{ "unknown", "unknown", "", "family", "abc", "\"quoted\" \\", "EN" },
	{ "yes", "no", "yes", "coworker", "-9223372036854775808", "ñandú",
	  "zh-Hant-TW" },
	{ "no", NULL, "unknown", "", "0", "", "es" },
};
static const char *const channels[N_FACTS] = { "voice", "text", "", "tty",
	                                       NULL };
static const char *const languages[N_FACTS] = { "en", "es", "", "zh", NULL };
static const char *const categories[N_FACTS] = { "", "victim_call", "other",
	                                         "undetermined", NULL };

static struct rule_facts fact_sets[N_FACTS];
static bool flag_sets[N_FACTS][N_FLAGS];

static void fail(const char *what, const char *src, const char *detail)
{
	fprintf(stderr, "rules: %s\nsource: '%s'\n%s%s\n", what, src,
	        detail ? "detail: " : "", detail ? detail : "");
	abort();
}

static void init_facts(void)
{
	for (int i = 0; i < N_FACTS; i++) {
		struct rule_facts *f = &fact_sets[i];
		f->answers = answer_sets[i];
		flag_sets[i][0] = i & 1;
		flag_sets[i][1] = i & 2;
		f->flags = flag_sets[i];
		f->channel = channels[i];
		f->language = languages[i];
		f->category = categories[i];
		for (int k = 0; k < INDICATOR__COUNT; k++) {
			/* a different mix of hits per set */
			unsigned bits = (unsigned)((k * 7 + i * 3) % 5);
			f->indicators[k] = (unsigned char)(i == 0 ? 0 : bits);
		}
	}
}

static bool clean_text(const char *s)
{
	size_t n = strlen(s);
	return str_utf8_valid(s, n) && str_no_controls(s, n, false);
}

static void check_error(const char *src, size_t len, enum htd_err rc,
                        const struct rule_expr *e, const struct htd_error *err)
{
	if (rc != HTD_ERR_PARSE && rc != HTD_ERR_INVALID)
		fail("a rejection that is neither parse nor invalid", src,
		     htd_err_name(rc));
	if (e)
		fail("a rejection left an expression", src, err->message);
	if (err->code != rc || !err->message[0])
		fail("a rejection without its code or message", src,
		     err->message);
	if (!clean_text(err->message))
		fail("a message that is not clean UTF-8", src, err->message);
	if (err->line != 1 || err->column < 1 || (size_t)err->column > len + 1)
		fail("a rejection placed outside the source", src,
		     err->message);
}

struct literal_check {
	const char *src;
	size_t n;
};

static void on_literal(void *ctx, const char *literal)
{
	struct literal_check *c = ctx;
	if (!literal)
		fail("a NULL literal", c->src, NULL);
	c->n++;
}

static void check_expr(const char *src, const struct rule_expr *e)
{
	static char canon[FORMAT_MAX], again[FORMAT_MAX];
	struct rule_fact facts[4];
	bool values[N_FACTS];

	for (int i = 0; i < N_FACTS; i++) {
		bool result;
		values[i] = rule_eval(e, &fact_sets[i]);
		size_t n = rule_explain(e, &fact_sets[i], &result, facts, 4);
		if (result != values[i])
			fail("explain and eval disagree", src, NULL);
		if (n > 4)
			fail("explain wrote past max", src, NULL);
		for (size_t k = 0; k < n; k++) {
			if (strnlen(facts[k].text, RULE_FACT_MAX) >=
			    RULE_FACT_MAX)
				fail("a fact without its NUL", src, NULL);
			if (!facts[k].text[0] || !clean_text(facts[k].text))
				fail("a fact that is empty or not clean", src,
				     facts[k].text);
		}
	}

	bool qs[N_QUESTIONS] = { 0 }, fs[N_FLAGS] = { 0 };
	struct rule_refs refs;
	memset(&refs, 0, sizeof(refs));
	refs.questions = qs;
	refs.flags = fs;
	rule_refs_collect(e, &refs);
	if (refs.amp & ~(RULE_AMP_ANY | 0x3fu))
		fail("refs name an AMP element that is not one", src, NULL);
	for (size_t q = 0; q < N_QUESTIONS; q++) {
		struct literal_check c = { src, 0 };
		rule_literals_each(e, q, on_literal, &c);
		if (c.n && !qs[q])
			fail("literals for a question it does not refer to",
			     src, questions[q].id);
	}

	rule_format(e, canon, sizeof(canon));
	size_t len = strlen(canon);
	if (len + 1 >= sizeof(canon))
		fail("canonical text does not fit FORMAT_MAX", src, NULL);
	if (!clean_text(canon))
		fail("canonical text is not clean UTF-8", src, canon);
	/* A truncated copy is a NUL-terminated prefix, cut cleanly. */
	size_t small = len / 2 + 1;
	char *part = xmalloc(small);
	rule_format(e, part, small);
	if (strlen(part) >= small || !str_utf8_valid(part, strlen(part)))
		fail("a truncated format is not clean", src, part);
	free(part);
	if (len > RULE_SOURCE_MAX)
		return; /* blanks added around operators: too long to
		         * compile again */

	struct rule_expr *e2 = NULL;
	struct htd_error err;
	htd_error_clear(&err);
	if (rule_compile(canon, &policy, &e2, &err) != HTD_OK)
		fail("canonical text does not compile", src, err.message);
	rule_format(e2, again, sizeof(again));
	if (strcmp(canon, again) != 0)
		fail("canonical text is not stable", canon, again);
	for (int i = 0; i < N_FACTS; i++)
		if (rule_eval(e2, &fact_sets[i]) != values[i])
			fail("canonical text evaluates differently", src,
			     canon);
	rule_free(e2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	struct rule_expr *e = NULL, *e2 = NULL;
	struct htd_error err, err2;

	if (!ready) {
		init_facts();
		ready = true;
	}
	char *src = fuzz_input_copy(data, size);
	if (!src)
		return 0;
	size_t len = strlen(src);

	htd_error_clear(&err);
	enum htd_err rc = rule_compile(src, &policy, &e, &err);
	htd_error_clear(&err2);
	enum htd_err rc2 = rule_compile(src, &protocol, &e2, &err2);
	if (rc2 == HTD_OK && rc != HTD_OK)
		fail("the protocol schema accepts what the policy one rejects",
		     src, err.message);
	if (rc2 != HTD_OK)
		check_error(src, len, rc2, e2, &err2);
	if (rc != HTD_OK) {
		check_error(src, len, rc, e, &err);
	} else {
		if (!e)
			fail("success without an expression", src, NULL);
		check_expr(src, e);
	}
	rule_free(e);
	rule_free(e2);
	free(src);
	return 0;
}
