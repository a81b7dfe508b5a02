/*
 * test_rules.c - unit tests of core/rules.c, the condition language of
 * protocol and policy files: every operator and builtin, precedence, the
 * type checks and syntax errors with their columns, the limits, what a
 * number that is not there does, explain, refs, literals, and format's
 * round trip.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/rules.h"
#include "util/mem.h"

/* ---- a small protocol ---------------------------------------------------- */

enum {
	Q_FREE_TO_LEAVE,
	Q_IN_DANGER_NOW,
	Q_SAFE_TO_TALK,
	Q_ESCAPED,
	Q_RELATIONSHIP,
	Q_VICTIMS,
	Q_LOCATION,
	Q_CALLER_LANGUAGE,
	Q__COUNT
};

static const char *const relationship_choices[] = { "self", "family",
	                                            "coworker" };

static const struct rule_question questions[Q__COUNT] = {
	{ "free_to_leave", RULE_ANSWER_YES_NO, NULL, 0 },
	{ "in_danger_now", RULE_ANSWER_YES_NO, NULL, 0 },
	{ "safe_to_talk", RULE_ANSWER_YES_NO, NULL, 0 },
	{ "escaped", RULE_ANSWER_YES_NO, NULL, 0 },
	{ "relationship", RULE_ANSWER_CHOICE, relationship_choices, 3 },
	{ "victims", RULE_ANSWER_NUMBER, NULL, 0 },
	{ "location", RULE_ANSWER_TEXT, NULL, 0 },
	{ "caller_language", RULE_ANSWER_LANGUAGE, NULL, 0 },
};

enum { F_TIP_LINE, F_LANGUAGE_SUPPORTED, F__COUNT };
static const char *const flag_names[F__COUNT] = { "agency.tip_line",
	                                          "language_supported" };

/* Policy rules know the category; protocol show_if conditions do not. */
static const struct rule_schema policy = { questions, Q__COUNT, flag_names,
	                                   F__COUNT, true };
static const struct rule_schema protocol = { questions, Q__COUNT, flag_names,
	                                     F__COUNT, false };

static const char *answers[Q__COUNT];
static bool flags[F__COUNT];
static struct rule_facts facts;

static void reset_facts(void)
{
	memset(answers, 0, sizeof(answers));
	memset(flags, 0, sizeof(flags));
	memset(&facts, 0, sizeof(facts));
	facts.answers = answers;
	facts.flags = flags;
	facts.channel = "voice";
	facts.language = "en";
	facts.category = "";
}

TestSuite(core_rules, .init = reset_facts);

/* ---- helpers ------------------------------------------------------------- */

static struct rule_expr *compile_with(const struct rule_schema *s,
                                      const char *src)
{
	struct rule_expr *e = NULL;
	struct htd_error err;
	htd_error_clear(&err);
	enum htd_err rc = rule_compile(src, s, &e, &err);
	cr_assert_eq(rc, HTD_OK, "compile '%s': %s", src, err.message);
	cr_assert_not_null(e);
	return e;
}

static struct rule_expr *compile(const char *src)
{
	return compile_with(&policy, src);
}

/* Compiles `src` and evaluates it against the current facts. */
static bool holds(const char *src)
{
	struct rule_expr *e = compile(src);
	bool v = rule_eval(e, &facts);
	rule_free(e);
	return v;
}

/* Asserts that `src` fails with `code` at `column`, the message holding
 * `text`. */
static void fails_with(const struct rule_schema *s, const char *src,
                       enum htd_err code, int column, const char *text)
{
	struct rule_expr *e = (struct rule_expr *)1;
	struct htd_error err;
	htd_error_clear(&err);
	enum htd_err rc = rule_compile(src, s, &e, &err);
	cr_assert_eq(rc, code, "'%s': got %s (%s), want %s", src,
	             htd_err_name(rc), err.message, htd_err_name(code));
	cr_assert_null(e, "'%s': *out is NULL on error", src);
	cr_assert_eq(err.code, code);
	cr_assert_eq(err.line, 1, "'%s': line %d", src, err.line);
	cr_assert_eq(err.column, column, "'%s': column %d, want %d (%s)", src,
	             err.column, column, err.message);
	cr_assert(strstr(err.message, text), "'%s': message '%s' lacks '%s'",
	          src, err.message, text);
}

static void fails(const char *src, enum htd_err code, int column,
                  const char *text)
{
	fails_with(&policy, src, code, column, text);
}

static const char *format(const char *src, char *buf, size_t size)
{
	struct rule_expr *e = compile(src);
	rule_format(e, buf, size);
	rule_free(e);
	return buf;
}

/* Explains `src`; returns the number of facts; *result gets the value. */
static size_t explain(const char *src, bool *result, struct rule_fact *out,
                      size_t max)
{
	struct rule_expr *e = compile(src);
	size_t n = rule_explain(e, &facts, result, out, max);
	cr_assert_eq(*result, rule_eval(e, &facts),
	             "'%s': explain and eval agree", src);
	rule_free(e);
	return n;
}

static void explains(const char *src, bool want, size_t n_want,
                     const char *const *want_facts)
{
	struct rule_fact out[8];
	bool result;
	size_t n = explain(src, &result, out, 8);
	cr_assert_eq(result, want, "'%s' is %d", src, result);
	for (size_t i = 0; i < n && i < n_want; i++)
		cr_assert_str_eq(out[i].text, want_facts[i], "'%s' fact %zu",
		                 src, i);
	cr_assert_eq(n, n_want, "'%s': %zu facts, want %zu (first: '%s')", src,
	             n, n_want, n ? out[0].text : "");
}

static char *repeat(const char *piece, size_t times, const char *prefix,
                    const char *suffix)
{
	size_t n = strlen(prefix) + strlen(piece) * times + strlen(suffix);
	char *s = xmalloc(n + 1);
	size_t used = 0;
	memcpy(s, prefix, strlen(prefix));
	used += strlen(prefix);
	for (size_t i = 0; i < times; i++) {
		memcpy(s + used, piece, strlen(piece));
		used += strlen(piece);
	}
	memcpy(s + used, suffix, strlen(suffix) + 1);
	return s;
}

/* ---- answer kinds -------------------------------------------------------- */

Test(core_rules, answer_kind_names)
{
	enum rule_answer_kind k;
	for (int i = 0; i < RULE_ANSWER__COUNT; i++) {
		const char *name = rule_answer_kind_name(i);
		cr_assert(rule_answer_kind_parse(name, &k), "%s", name);
		cr_assert_eq(k, i);
	}
	cr_assert_str_eq(rule_answer_kind_name(RULE_ANSWER_YES_NO), "yes_no");
	cr_assert_str_eq(rule_answer_kind_name(RULE_ANSWER__COUNT), "?");
	cr_assert_not(rule_answer_kind_parse("bool", &k));
	cr_assert_not(rule_answer_kind_parse(NULL, &k));
}

/* ---- operators ----------------------------------------------------------- */

Test(core_rules, constants_and_logic)
{
	cr_assert(holds("true"));
	cr_assert_not(holds("false"));
	cr_assert(holds("true and true"));
	cr_assert_not(holds("true and false"));
	cr_assert_not(holds("false and true"));
	cr_assert(holds("false or true"));
	cr_assert_not(holds("false or false"));
	cr_assert(holds("not false"));
	cr_assert_not(holds("not true"));
	cr_assert(holds("not not true"));
	cr_assert(holds("true and true and true and true"));
	cr_assert_not(holds("true and true and false and true"));
	cr_assert(holds("false or false or false or true"));
}

Test(core_rules, precedence_not_and_or)
{
	/* and binds tighter than or */
	cr_assert(holds("true or true and false"));
	cr_assert(holds("true and false or true"));
	cr_assert_not(holds("(true or true) and false"));
	/* not binds tighter than and, and than or */
	cr_assert_not(holds("not false and false"));
	cr_assert(holds("not (false and false)"));
	cr_assert(holds("not true or true"));
	cr_assert_not(holds("not (true or true)"));
	/* a comparison binds tighter than not */
	answers[Q_FREE_TO_LEAVE] = "no";
	cr_assert(holds("not answer.free_to_leave == \"yes\""));
	cr_assert_not(holds("not answer.free_to_leave == \"no\""));
}

Test(core_rules, string_equality)
{
	answers[Q_FREE_TO_LEAVE] = "no";
	cr_assert(holds("answer.free_to_leave == \"no\""));
	cr_assert_not(holds("answer.free_to_leave == \"yes\""));
	cr_assert(holds("answer.free_to_leave != \"yes\""));
	cr_assert_not(holds("answer.free_to_leave != \"no\""));
	cr_assert(holds("\"no\" == answer.free_to_leave"));
	answers[Q_SAFE_TO_TALK] = "no";
	cr_assert(holds("answer.free_to_leave == answer.safe_to_talk"));
	answers[Q_SAFE_TO_TALK] = "yes";
	cr_assert(holds("answer.free_to_leave != answer.safe_to_talk"));
	cr_assert(holds("\"a\" == \"a\" and \"a\" != \"b\""));
	/* Text compares exactly: case matters. */
	answers[Q_LOCATION] = "Motel 6";
	cr_assert(holds("answer.location == \"Motel 6\""));
	cr_assert_not(holds("answer.location == \"motel 6\""));
}

Test(core_rules, integer_comparisons)
{
	answers[Q_VICTIMS] = "3";
	cr_assert(holds("answer.victims == 3"));
	cr_assert(holds("answer.victims != 4"));
	cr_assert(holds("answer.victims < 4"));
	cr_assert_not(holds("answer.victims < 3"));
	cr_assert(holds("answer.victims <= 3"));
	cr_assert_not(holds("answer.victims <= 2"));
	cr_assert(holds("answer.victims > 2"));
	cr_assert_not(holds("answer.victims > 3"));
	cr_assert(holds("answer.victims >= 3"));
	cr_assert_not(holds("answer.victims >= 4"));
	cr_assert(holds("-1 < answer.victims"));
	cr_assert(holds("answer.victims > -9223372036854775808"));
	cr_assert(holds("answer.victims < 9223372036854775807"));
	cr_assert(holds("1 < 2 and 2 >= 2 and -3 <= -3 and 0 == -0"));
	answers[Q_VICTIMS] = "-12";
	cr_assert(holds("answer.victims == -12"));
}

Test(core_rules, bool_equality)
{
	answers[Q_ESCAPED] = "yes";
	cr_assert(holds("answered(escaped) == true"));
	cr_assert(holds("answered(in_danger_now) == false"));
	cr_assert(holds("answered(escaped) != answered(in_danger_now)"));
	cr_assert(holds("(true == false) == false"));
}

Test(core_rules, in_lists)
{
	facts.channel = "text";
	cr_assert(holds("channel in [\"text\", \"tty\"]"));
	cr_assert_not(holds("channel in [\"voice\", \"video\"]"));
	cr_assert(holds("channel in [\"text\"]"));
	answers[Q_RELATIONSHIP] = "family";
	cr_assert(holds("answer.relationship in [\"self\", \"family\"]"));
	answers[Q_VICTIMS] = "2";
	cr_assert(holds("answer.victims in [1, 2, 3]"));
	cr_assert_not(holds("answer.victims in [4, 5]"));
	cr_assert(holds("not answer.victims in [4, 5]"));
	facts.indicators[INDICATOR_WEAPONS] = RULE_HIT_COUNTS;
	cr_assert(holds("count(means) in [1, 2]"));
	cr_assert(holds("true in [false, true]"));
	/* Elements may be any term of the same type. */
	answers[Q_FREE_TO_LEAVE] = "no";
	answers[Q_SAFE_TO_TALK] = "no";
	cr_assert(holds("answer.free_to_leave in [\"yes\", "
	                "answer.safe_to_talk]"));
}

/* ---- builtins ------------------------------------------------------------ */

Test(core_rules, answered)
{
	cr_assert_not(holds("answered(escaped)"));
	answers[Q_ESCAPED] = "unknown";
	cr_assert(holds("answered(escaped)"));
	/* "" is no answer: answered() and == "" agree. */
	answers[Q_ESCAPED] = "";
	cr_assert_not(holds("answered(escaped)"));
	cr_assert(holds("answer.escaped == \"\""));
}

Test(core_rules, indicators)
{
	cr_assert_not(holds("indicator(weapons)"));
	facts.indicators[INDICATOR_WEAPONS] = RULE_HIT_COUNTS;
	cr_assert(holds("indicator(weapons)"));
	cr_assert(holds("indicator(\"weapons\")"));
	cr_assert_not(holds("current_indicator(weapons)"));
	facts.indicators[INDICATOR_WEAPONS] |= RULE_HIT_CURRENT;
	cr_assert(holds("current_indicator(weapons)"));
	/* CURRENT alone is not a hit that counts. */
	facts.indicators[INDICATOR_THREATS] = RULE_HIT_CURRENT;
	cr_assert_not(holds("indicator(threats)"));
	cr_assert_not(holds("current_indicator(threats)"));
	/* Other bits are ignored. */
	facts.indicators[INDICATOR_MINOR] = 0x80;
	cr_assert_not(holds("indicator(minor)"));
}

Test(core_rules, any_indicator_and_count)
{
	cr_assert_not(holds("any_indicator(means)"));
	cr_assert_not(holds("any_indicator(any)"));
	cr_assert(holds("count(any) == 0"));
	/* debt_bondage is means and purpose; threats means; minor minor. */
	facts.indicators[INDICATOR_DEBT_BONDAGE] = RULE_HIT_COUNTS;
	facts.indicators[INDICATOR_THREATS] =
	    RULE_HIT_COUNTS | RULE_HIT_CURRENT;
	facts.indicators[INDICATOR_MINOR] = RULE_HIT_CURRENT; /* no count */
	cr_assert(holds("any_indicator(means)"));
	cr_assert(holds("any_indicator(purpose)"));
	cr_assert(holds("any_indicator(\"purpose\")"));
	cr_assert_not(holds("any_indicator(minor)"));
	cr_assert_not(holds("any_indicator(action)"));
	cr_assert(holds("any_indicator(any)"));
	cr_assert(holds("count(means) == 2"));
	cr_assert(holds("count(purpose) == 1"));
	cr_assert(holds("count(minor) == 0"));
	cr_assert(holds("count(any) == 2"));
	cr_assert(holds("count(means) >= 2 and count(means) > 1"));
	/* current: the debt is historical */
	cr_assert(holds("any_current_indicator(means)"));
	cr_assert_not(holds("any_current_indicator(purpose)"));
	cr_assert(holds("any_current_indicator(any)"));
}

Test(core_rules, channel_language_category)
{
	facts.channel = "tty";
	cr_assert(holds("channel == \"tty\""));
	cr_assert(holds("channel != \"voice\""));
	facts.language = "es";
	cr_assert(holds("language == \"es\""));
	cr_assert(holds("language == \"ES\""));
	cr_assert(holds("language == \"es-MX\""), "primary tags compared");
	cr_assert_not(holds("language == \"en\""));
	cr_assert(holds("language in [\"en\", \"es\"]"));
	facts.language = "es-419";
	cr_assert(holds("language == \"es\""));
	answers[Q_CALLER_LANGUAGE] = "zh-Hant-TW";
	cr_assert(holds("answer.caller_language == \"zh\""));
	cr_assert(holds("answer.caller_language == \"ZH-hans\""));
	cr_assert_not(holds("answer.caller_language == \"es\""));
	answers[Q_CALLER_LANGUAGE] = "es-MX";
	cr_assert(holds("answer.caller_language == language"));
	facts.category = "victim_call";
	cr_assert(holds("category == \"victim_call\""));
	cr_assert(holds("category in [\"victim_escape\", \"victim_call\"]"));
	facts.category = "";
	cr_assert(holds("category != \"undetermined\""));
	cr_assert_not(holds("category == \"victim_call\""));
}

Test(core_rules, flags)
{
	cr_assert_not(holds("agency.tip_line"));
	flags[F_TIP_LINE] = true;
	cr_assert(holds("agency.tip_line"));
	cr_assert(holds("agency.tip_line and not language_supported"));
	facts.flags = NULL;
	cr_assert_not(holds("agency.tip_line"));
}

Test(core_rules, choice_and_yes_no_accept_the_empty_string)
{
	cr_assert(holds("answer.relationship == \"\""));
	cr_assert(holds("answer.free_to_leave == \"\""));
	answers[Q_FREE_TO_LEAVE] = "unknown";
	cr_assert(holds("answer.free_to_leave == \"unknown\""));
}

Test(core_rules, string_escapes)
{
	answers[Q_LOCATION] = "the \"blue\" house \\ back";
	cr_assert(holds("answer.location == \"the \\\"blue\\\" house \\\\ "
	                "back\""));
	answers[Q_LOCATION] = "calle Cinco de Mayo, Ñuñoa";
	cr_assert(holds("answer.location == \"calle Cinco de Mayo, Ñuñoa\""));
}

Test(core_rules, white_space)
{
	cr_assert(holds("\ttrue\n and\r\n  not false  "));
	cr_assert(holds("count(any)==0 and(true)"));
}

/* ---- numbers that are not there ------------------------------------------ */

Test(core_rules, unanswered_number_satisfies_no_comparison)
{
	static const char *const all[] = {
		"answer.victims == 3",
		"answer.victims != 3",
		"answer.victims < 3",
		"answer.victims <= 3",
		"answer.victims > 3",
		"answer.victims >= 3",
		"3 < answer.victims",
		"answer.victims in [3, 4]",
		"answer.victims == answer.victims",
	};
	const char *values[] = { NULL,  "",   "abc",
		                 "3.5", " 3", "99999999999999999999" };
	for (size_t v = 0; v < sizeof(values) / sizeof(values[0]); v++) {
		answers[Q_VICTIMS] = values[v];
		for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
			cr_assert_not(holds(all[i]), "%s with %s", all[i],
			              values[v] ? values[v] : "NULL");
		/* ... and so its negation holds. */
		cr_assert(holds("not answer.victims > 3"));
		cr_assert(holds("not answer.victims <= 3"));
	}
	answers[Q_VICTIMS] = NULL;
	cr_assert_not(holds("answered(victims)"));
}

Test(core_rules, unanswered_text_is_empty)
{
	cr_assert(holds("answer.in_danger_now != \"no\""));
	cr_assert(holds("answer.in_danger_now == \"\""));
	cr_assert(holds("answer.location == \"\""));
	cr_assert(holds("answer.relationship != \"self\""));
	cr_assert_not(holds("answer.caller_language == \"es\""));
	facts.answers = NULL;
	cr_assert(holds("answer.in_danger_now == \"\""));
	facts.channel = NULL;
	facts.language = NULL;
	facts.category = NULL;
	cr_assert(holds("channel != \"voice\" and category != \"other\""));
	cr_assert_not(holds("language == \"en\""));
}

/* ---- type errors --------------------------------------------------------- */

Test(core_rules, unknown_names)
{
	fails("answer.free_to_leev == \"no\"", HTD_ERR_INVALID, 1,
	      "unknown question \"free_to_leev\" (did you mean "
	      "free_to_leave?)");
	fails("answered(escapd)", HTD_ERR_INVALID, 10,
	      "unknown question \"escapd\" (did you mean escaped?)");
	fails("answered(answer.escaped)", HTD_ERR_INVALID, 10,
	      "write answered(escaped)");
	fails("indicator(weapon)", HTD_ERR_INVALID, 11,
	      "unknown indicator \"weapon\" (did you mean weapons?)");
	fails("current_indicator(\"threat\")", HTD_ERR_INVALID, 19,
	      "unknown indicator \"threat\"");
	fails("any_indicator(mean)", HTD_ERR_INVALID, 15,
	      "unknown AMP element \"mean\": write action, means");
	fails("count(force) > 1", HTD_ERR_INVALID, 7,
	      "unknown AMP element \"force\"");
	fails("agency.tipline", HTD_ERR_INVALID, 1,
	      "unknown name \"agency.tipline\" (did you mean "
	      "agency.tip_line?)");
	fails("true and free_to_leave", HTD_ERR_INVALID, 10,
	      "unknown name \"free_to_leave\": a question's answer is "
	      "written answer.free_to_leave");
	fails("weapons", HTD_ERR_INVALID, 1,
	      "an indicator is written indicator(weapons)");
	fails("means", HTD_ERR_INVALID, 1, "write any_indicator(means)");
	fails("answers.escaped == \"yes\"", HTD_ERR_INVALID, 1,
	      "(did you mean answer.escaped?)");
	fails("NOT true", HTD_ERR_INVALID, 1,
	      "keywords are lower case: write \"not\"");
	fails("chanel == \"text\"", HTD_ERR_INVALID, 1,
	      "unknown name \"chanel\" (did you mean channel?)");
	fails("banana", HTD_ERR_INVALID, 1, "unknown name \"banana\"");
	fails("answer.x.y == \"\"", HTD_ERR_INVALID, 1,
	      "unknown question \"x.y\"");
	fails("answer == \"yes\"", HTD_ERR_PARSE, 1,
	      "expected a question after \"answer.\"");
	fails("answer. == \"yes\"", HTD_ERR_PARSE, 1,
	      "expected a question after \"answer.\"");
}

Test(core_rules, category_only_where_allowed)
{
	fails_with(&protocol, "category == \"other\"", HTD_ERR_INVALID, 1,
	           "\"category\" is not known here");
	struct rule_expr *e = compile_with(&protocol, "channel == \"text\"");
	rule_free(e);
	e = compile_with(&policy, "category == \"other\"");
	rule_free(e);
}

Test(core_rules, values_an_answer_never_takes)
{
	fails("answer.free_to_leave == \"maybe\"", HTD_ERR_INVALID, 25,
	      "\"maybe\" is not an answer to free_to_leave (yes, no, "
	      "unknown)");
	fails("\"Yes\" != answer.escaped", HTD_ERR_INVALID, 1,
	      "\"Yes\" is not an answer to escaped");
	fails("answer.relationship == \"friend\"", HTD_ERR_INVALID, 24,
	      "\"friend\" is not a choice of relationship (self, family, "
	      "coworker)");
	fails("channel == \"phone\"", HTD_ERR_INVALID, 12,
	      "\"phone\" is not a channel (voice, text, tty, video, admin, "
	      "transfer)");
	fails("category == \"victim\"", HTD_ERR_INVALID, 13,
	      "\"victim\" is not a category (undetermined, victim_escape, "
	      "victim_call, credible_tip, other)");
	fails("language == \"spanish\"", HTD_ERR_INVALID, 13,
	      "\"spanish\" is not a language tag");
	fails("language == \"\"", HTD_ERR_INVALID, 13,
	      "\"\" is not a language tag");
	fails("answer.caller_language == \"es-\"", HTD_ERR_INVALID, 27,
	      "is not a language tag");
	fails("channel in [\"text\", \"sms\"]", HTD_ERR_INVALID, 21,
	      "\"sms\" is not a channel");
	fails("answer.safe_to_talk in [\"yes\", \"y\"]", HTD_ERR_INVALID, 32,
	      "\"y\" is not an answer to safe_to_talk");
}

Test(core_rules, type_mismatches)
{
	fails("answer.safe_to_talk and true", HTD_ERR_INVALID, 1,
	      "\"and\" needs true/false on both sides; answer.safe_to_talk "
	      "is text: write answer.safe_to_talk == \"yes\"");
	fails("true and answer.safe_to_talk", HTD_ERR_INVALID, 10,
	      "\"and\" needs true/false on both sides; answer.safe_to_talk "
	      "is text");
	fails("true or count(means)", HTD_ERR_INVALID, 9,
	      "\"or\" needs true/false on both sides; count(means) is a "
	      "number: write count(means) > 0");
	fails("not channel", HTD_ERR_INVALID, 5,
	      "\"not\" needs true/false after it; channel is text: write "
	      "channel == \"voice\"");
	fails("answer.relationship", HTD_ERR_INVALID, 1,
	      "the condition must be true or false; answer.relationship is "
	      "text: write answer.relationship == \"self\"");
	fails("answer.location", HTD_ERR_INVALID, 1,
	      "write answered(location)");
	fails("answer.victims", HTD_ERR_INVALID, 1,
	      "answer.victims is a number");
	fails("\"yes\"", HTD_ERR_INVALID, 1,
	      "the condition must be true or false; \"yes\" is text");
	fails("3", HTD_ERR_INVALID, 1, "3 is a number");
	fails("answer.victims == \"3\"", HTD_ERR_INVALID, 19,
	      "\"==\" compares values of one type; answer.victims is a "
	      "number and \"3\" is text: write 3 without quotes");
	fails("answer.location == 3", HTD_ERR_INVALID, 20,
	      "write \"3\" in quotes");
	fails("answer.free_to_leave == true", HTD_ERR_INVALID, 25,
	      "answer.free_to_leave is text and true is true/false: write "
	      "answer.free_to_leave == \"yes\"");
	fails("answer.escaped != count(any)", HTD_ERR_INVALID, 19,
	      "\"!=\" compares values of one type");
	fails("channel < \"text\"", HTD_ERR_INVALID, 1,
	      "\"<\" compares numbers; channel is text");
	fails("answer.victims >= \"2\"", HTD_ERR_INVALID, 19,
	      "\">=\" compares numbers; \"2\" is text: write 2 without quotes");
	fails("answered(escaped) > 1", HTD_ERR_INVALID, 1,
	      "answered(escaped) is true/false");
	fails("answer.victims in [1, \"2\"]", HTD_ERR_INVALID, 23,
	      "\"in\" compares values of one type");
	fails("channel in [\"text\", 2]", HTD_ERR_INVALID, 21,
	      "\"in\" compares values of one type");
}

/* ---- syntax errors ------------------------------------------------------- */

Test(core_rules, syntax_errors)
{
	fails("", HTD_ERR_PARSE, 1, "empty expression");
	fails("   \t", HTD_ERR_PARSE, 1, "empty expression");
	fails("(answer.escaped == \"yes\"", HTD_ERR_PARSE, 25,
	      "expected \")\" after (answer.escaped == \"yes\", not the end "
	      "of the expression");
	fails("(true or false", HTD_ERR_PARSE, 15,
	      "expected \")\" after \"(true or false\"");
	fails("(true false)", HTD_ERR_PARSE, 7,
	      "expected \")\" after \"(true\", not \"false\"");
	fails("true)", HTD_ERR_PARSE, 5, "unexpected \")\"");
	fails("true true", HTD_ERR_PARSE, 6,
	      "expected \"and\", \"or\" or the end of the expression after "
	      "\"true\", not \"true\"");
	fails("true AND false", HTD_ERR_PARSE, 6,
	      "keywords are lower case: write \"and\"");
	fails("true and", HTD_ERR_PARSE, 9,
	      "expected a condition or a value after \"and\", not the end "
	      "of the expression");
	fails("true and or false", HTD_ERR_PARSE, 10,
	      "expected a condition or a value after \"and\", not \"or\"");
	fails("and true", HTD_ERR_PARSE, 1, "expected a condition");
	fails(")", HTD_ERR_PARSE, 1, "expected a condition");
	fails("not", HTD_ERR_PARSE, 4, "after \"not\"");
	fails("answer.escaped = \"yes\"", HTD_ERR_PARSE, 16,
	      "\"=\" is not an operator: write \"==\"");
	fails("true && false", HTD_ERR_PARSE, 6,
	      "\"&&\" is not an operator: write \"and\"");
	fails("true || false", HTD_ERR_PARSE, 6,
	      "\"||\" is not an operator: write \"or\"");
	fails("!true", HTD_ERR_PARSE, 1, "\"!\" is not an operator");
	fails("1 <> 2", HTD_ERR_PARSE, 3, "write \"!=\"");
	fails("answer.escaped == 'yes'", HTD_ERR_PARSE, 19,
	      "strings take double quotes");
	fails("answer.escaped == \"yes", HTD_ERR_PARSE, 19,
	      "unterminated string");
	fails("answer.escaped == \"yes\\", HTD_ERR_PARSE, 19,
	      "unterminated string");
	fails("answer.location == \"a\\nb\"", HTD_ERR_PARSE, 22,
	      "unknown escape in a string");
	fails("1 < 2 < 3", HTD_ERR_PARSE, 7,
	      "\"<\" cannot follow the comparison \"1 < 2\": comparisons do "
	      "not chain");
	fails("count(any) in [1] == true", HTD_ERR_PARSE, 19,
	      "comparisons do not chain");
	fails("channel in \"text\"", HTD_ERR_PARSE, 12,
	      "expected \"[\" after \"in\"");
	fails("channel in []", HTD_ERR_PARSE, 13, "empty list");
	fails("channel in [\"text\",]", HTD_ERR_PARSE, 20,
	      "expected a condition or a value after \",\", not \"]\"");
	fails("channel in [\"text\" \"tty\"]", HTD_ERR_PARSE, 20,
	      "expected \",\" or \"]\"");
	fails("channel in [\"text\"", HTD_ERR_PARSE, 19,
	      "expected \",\" or \"]\"");
	fails("true, false", HTD_ERR_PARSE, 5, "outside a list");
	fails("indicator weapons", HTD_ERR_PARSE, 11,
	      "expected \"(\" after \"indicator\", not \"weapons\"");
	fails("indicator(weapons", HTD_ERR_PARSE, 18,
	      "expected \")\" after \"indicator(weapons\"");
	fails("indicator(weapons, threats)", HTD_ERR_PARSE, 18, "not \",\"");
	fails("answered()", HTD_ERR_PARSE, 10,
	      "expected a question id after \"answered(\", not \")\"");
	fails("answered(\"escaped\")", HTD_ERR_PARSE, 10,
	      "expected a question id");
	fails("count(1) > 0", HTD_ERR_PARSE, 7, "expected an AMP element");
	fails("indicator(3)", HTD_ERR_PARSE, 11, "expected an indicator id");
	fails("answer.victims > 3x", HTD_ERR_PARSE, 18,
	      "\"3x\" is not a number");
	fails("answer.victims > 99999999999999999999", HTD_ERR_INVALID, 18,
	      "too large for a number");
	fails("answer.victims > 9223372036854775808", HTD_ERR_INVALID, 18,
	      "too large for a number");
	fails("answer.victims > - 3", HTD_ERR_PARSE, 18, "unexpected \"-\"");
	fails("true # comment", HTD_ERR_PARSE, 6, "unexpected \"#\"");
}

Test(core_rules, bytes_that_are_not_text)
{
	/* Columns are 1-based byte columns: "é" takes two. */
	fails("answer.location == \"é\" and é", HTD_ERR_PARSE, 29,
	      "unexpected \"é\"");
	fails("answer.location == \"a\xff\"", HTD_ERR_PARSE, 22,
	      "invalid UTF-8 in a string (byte 0xFF)");
	fails("answer.location == \"\xc3\"", HTD_ERR_PARSE, 21,
	      "invalid UTF-8 in a string (byte 0xC3)");
	fails("answer.location == \"\xc0\xaf\"", HTD_ERR_PARSE, 21,
	      "invalid UTF-8"); /* overlong */
	fails("answer.location == \"\xed\xa0\x80\"", HTD_ERR_PARSE, 21,
	      "invalid UTF-8"); /* surrogate */
	fails("answer.location == \"a\x01\"", HTD_ERR_PARSE, 22,
	      "control character (U+0001)");
	fails("answer.location == \"a\tb\"", HTD_ERR_PARSE, 22,
	      "control character");
	fails("answer.location == \"a\nb\"", HTD_ERR_PARSE, 22, "line break");
	fails("answer.location == \"\xc2\x85\"", HTD_ERR_PARSE, 21,
	      "control character (U+0085)");
	fails("true \x7f", HTD_ERR_PARSE, 6, "control character (byte 0x7F)");
	fails("true \x01", HTD_ERR_PARSE, 6, "control character (byte 0x01)");
	fails("true \xff", HTD_ERR_PARSE, 6, "invalid UTF-8 (byte 0xFF)");
	fails("true \xc2\x9f", HTD_ERR_PARSE, 6, "control character (U+009F)");
}

/* ---- limits -------------------------------------------------------------- */

Test(core_rules, source_length)
{
	/* "true" padded with blanks to exactly the limit compiles. */
	char *s = repeat(" ", RULE_SOURCE_MAX - 4, "true", "");
	cr_assert_eq(strlen(s), RULE_SOURCE_MAX);
	rule_free(compile(s));
	free(s);
	s = repeat(" ", RULE_SOURCE_MAX - 3, "true", "");
	fails(s, HTD_ERR_INVALID, RULE_SOURCE_MAX + 1,
	      "longer than 4096 bytes");
	free(s);
}

Test(core_rules, nesting)
{
	char *s = repeat("(", RULE_DEPTH_MAX, "", "true");
	char *t = repeat(")", RULE_DEPTH_MAX, s, "");
	rule_free(compile(t));
	free(s);
	free(t);
	s = repeat("(", RULE_DEPTH_MAX + 1, "", "true");
	t = repeat(")", RULE_DEPTH_MAX + 1, s, "");
	fails(t, HTD_ERR_INVALID, RULE_DEPTH_MAX + 1, "nests too deeply");
	free(s);
	free(t);
	s = repeat("not ", RULE_DEPTH_MAX - 1, "", "true");
	rule_free(compile(s));
	free(s);
	s = repeat("not ", RULE_DEPTH_MAX + 1, "", "true");
	fails(s, HTD_ERR_INVALID, 4 * RULE_DEPTH_MAX + 1, "nests too deeply");
	free(s);
	s = repeat("(", RULE_DEPTH_MAX + 1, "channel in [",
	           "\"text\"])]"); /* stops at the limit, never reads on */
	fails(s, HTD_ERR_INVALID, 13 + RULE_DEPTH_MAX - 1, "nests too deeply");
	free(s);
}

Test(core_rules, tree_height)
{
	/* Each level adds one "(" but two nodes ("==" over "and"): the
	 * tree's height is what is bounded, not only the parentheses. */
	char buf[1024] = "true";
	struct htd_error err;
	struct rule_expr *e = NULL;
	int levels;
	for (levels = 1; levels < 40; levels++) {
		char next[sizeof(buf) + 32];
		snprintf(next, sizeof(next), "true == (true and %s)", buf);
		cr_assert_lt(strlen(next), sizeof(buf));
		memcpy(buf, next, sizeof(buf));
		htd_error_clear(&err);
		if (rule_compile(buf, &policy, &e, &err) != HTD_OK)
			break;
		rule_free(e);
	}
	cr_assert_eq(levels, RULE_DEPTH_MAX / 2, "%d levels", levels);
	cr_assert_eq(err.code, HTD_ERR_INVALID);
	cr_assert(strstr(err.message, "nests too deeply"), "%s", err.message);
}

Test(core_rules, node_count)
{
	/* count(any) and the "in" node: 2 nodes, then one per element. */
	char *s = repeat("0,", RULE_NODES_MAX - 3, "count(any) in [", "0]");
	rule_free(compile(s));
	free(s);
	s = repeat("0,", RULE_NODES_MAX - 2, "count(any) in [", "0]");
	struct htd_error err;
	struct rule_expr *e = NULL;
	cr_assert_eq(rule_compile(s, &policy, &e, &err), HTD_ERR_INVALID);
	cr_assert_null(e);
	cr_assert(strstr(err.message, "too long: more than 512"), "%s",
	          err.message);
	cr_assert_eq(err.column, (int)strlen(s) - 1, "the last element");
	free(s);
}

Test(core_rules, null_arguments)
{
	struct rule_expr *e = (struct rule_expr *)1;
	struct htd_error err;
	cr_assert_eq(rule_compile(NULL, &policy, &e, &err), HTD_ERR_INVALID);
	cr_assert_null(e);
	/* No schema: the empty one. */
	cr_assert_eq(rule_compile("true and 1 < 2", NULL, &e, &err), HTD_OK);
	rule_free(e);
	cr_assert_eq(rule_compile("answer.escaped == \"\"", NULL, &e, NULL),
	             HTD_ERR_INVALID, "no err is fine");
	rule_free(NULL);
	cr_assert_not(rule_eval(NULL, &facts));
	char buf[8] = "x";
	cr_assert_str_eq(rule_format(NULL, buf, sizeof(buf)), "");
	bool r = true;
	cr_assert_eq(rule_explain(NULL, &facts, &r, NULL, 0), 0);
	cr_assert_not(r);
}

/* ---- explain ------------------------------------------------------------- */

Test(core_rules, explain_atoms)
{
	answers[Q_FREE_TO_LEAVE] = "no";
	facts.indicators[INDICATOR_DOCUMENTS_WITHHELD] = RULE_HIT_COUNTS;
	flags[F_TIP_LINE] = true;
	explains("answer.free_to_leave == \"no\"", true, 1,
	         (const char *[]){ "answer.free_to_leave == \"no\"" });
	explains("answer.in_danger_now != \"no\"", true, 1,
	         (const char *[]){
	             "answer.in_danger_now != \"no\" (not answered)" });
	explains(
	    "answer.free_to_leave != \"yes\"", true, 1,
	    (const char *[]){ "answer.free_to_leave != \"yes\" (is \"no\")" });
	explains("indicator(documents_withheld)", true, 1,
	         (const char *[]){ "indicator(documents_withheld)" });
	explains("agency.tip_line", true, 1,
	         (const char *[]){ "agency.tip_line" });
	explains("not answered(escaped)", true, 1,
	         (const char *[]){ "not answered(escaped)" });
	explains("answered(free_to_leave)", true, 1,
	         (const char *[]){ "answered(free_to_leave)" });
	explains("true", true, 0, NULL);
}

Test(core_rules, explain_indicators_and_counts)
{
	facts.indicators[INDICATOR_WEAPONS] = RULE_HIT_COUNTS;
	facts.indicators[INDICATOR_THREATS] =
	    RULE_HIT_COUNTS | RULE_HIT_CURRENT;
	explains("any_indicator(means)", true, 1,
	         (const char *[]){ "any_indicator(means): weapons, threats" });
	explains("any_current_indicator(means)", true, 1,
	         (const char *[]){ "any_current_indicator(means): threats" });
	explains("any_indicator(any)", true, 1,
	         (const char *[]){ "any_indicator(any): weapons, threats" });
	explains("count(means) >= 2", true, 1,
	         (const char *[]){ "count(means) = 2 >= 2" });
	explains("count(means) > 2", false, 1,
	         (const char *[]){ "count(means) = 2 <= 2" });
	explains("count(means) == 2", true, 1,
	         (const char *[]){ "count(means) == 2" });
	explains("count(means) == 3", false, 1,
	         (const char *[]){ "count(means) = 2 != 3" });
	explains("any_indicator(minor)", false, 1,
	         (const char *[]){ "not any_indicator(minor)" });
	explains("current_indicator(weapons)", false, 1,
	         (const char *[]){ "not current_indicator(weapons)" });
}

Test(core_rules, explain_and_or_not)
{
	answers[Q_FREE_TO_LEAVE] = "no";
	answers[Q_ESCAPED] = "no";
	facts.indicators[INDICATOR_WEAPONS] = RULE_HIT_COUNTS;
	/* true and: every operand */
	explains("answer.free_to_leave == \"no\" and indicator(weapons) and "
	         "not answered(in_danger_now)",
	         true, 3,
	         (const char *[]){ "answer.free_to_leave == \"no\"",
	                           "indicator(weapons)",
	                           "not answered(in_danger_now)" });
	/* false and: the first false operand */
	explains("indicator(weapons) and answer.escaped == \"yes\" and "
	         "agency.tip_line",
	         false, 1,
	         (const char *[]){ "answer.escaped != \"yes\" (is \"no\")" });
	/* true or: the first true operand */
	explains("agency.tip_line or indicator(weapons) or "
	         "answer.free_to_leave == \"no\"",
	         true, 1, (const char *[]){ "indicator(weapons)" });
	/* false or: every operand */
	explains("agency.tip_line or indicator(threats)", false, 2,
	         (const char *[]){ "not agency.tip_line",
	                           "not indicator(threats)" });
	/* not: its operand's facts, negated */
	explains("not (agency.tip_line or indicator(threats))", true, 2,
	         (const char *[]){ "not agency.tip_line",
	                           "not indicator(threats)" });
	explains("not (indicator(weapons) and agency.tip_line)", true, 1,
	         (const char *[]){ "not agency.tip_line" });
	explains("not not indicator(weapons)", true, 1,
	         (const char *[]){ "indicator(weapons)" });
	/* nested */
	explains("(answer.escaped == \"yes\" or answer.free_to_leave == "
	         "\"no\") and (agency.tip_line or count(any) > 0)",
	         true, 2,
	         (const char *[]){ "answer.free_to_leave == \"no\"",
	                           "count(any) = 1 > 0" });
}

Test(core_rules, explain_values)
{
	answers[Q_VICTIMS] = "3";
	answers[Q_CALLER_LANGUAGE] = "es-MX";
	facts.channel = "text";
	explains("answer.victims > 5", false, 1,
	         (const char *[]){ "answer.victims = 3 <= 5" });
	explains("answer.victims in [1, 2, 3]", true, 1,
	         (const char *[]){ "answer.victims = 3 in [1, 2, 3]" });
	explains("channel in [\"voice\", \"tty\"]", false, 1,
	         (const char *[]){
	             "channel not in [\"voice\", \"tty\"] (is \"text\")" });
	explains("answer.caller_language == \"es\"", true, 1,
	         (const char *[]){
	             "answer.caller_language == \"es\" (is \"es-MX\")" });
	explains("answer.escaped == answer.in_danger_now", true, 1,
	         (const char *[]){ "answer.escaped == answer.in_danger_now "
	                           "(answer.escaped not answered, "
	                           "answer.in_danger_now not answered)" });
	explains("answered(victims) == true", true, 1,
	         (const char *[]){ "answered(victims) == true" });
	answers[Q_VICTIMS] = NULL;
	explains("answer.victims > 5", false, 1,
	         (const char *[]){
	             "not answer.victims > 5 (answer.victims not answered)" });
	explains("not answer.victims <= 5", true, 1,
	         (const char *[]){
	             "not answer.victims <= 5 (answer.victims not answered)" });
	answers[Q_VICTIMS] = "many";
	explains("answer.victims > 5", false, 1,
	         (const char *[]){ "not answer.victims > 5 (answer.victims "
	                           "is \"many\", not a number)" });
	facts.category = "";
	explains("category == \"other\"", false, 1,
	         (const char *[]){ "category != \"other\" (not known)" });
}

Test(core_rules, explain_truncates_safely)
{
	/* A long answer with multi-byte characters: each fact fits. */
	static char longer[600];
	size_t n = 0;
	while (n + 2 < sizeof(longer) - 1) {
		memcpy(longer + n, "é", 2);
		n += 2;
	}
	longer[n] = '\0';
	answers[Q_LOCATION] = longer;
	struct rule_fact out[2];
	bool r;
	cr_assert_eq(explain("answer.location != \"x\"", &r, out, 2), 1);
	cr_assert(r);
	size_t len = strlen(out[0].text);
	cr_assert_lt(len, RULE_FACT_MAX);
	cr_assert(strstr(out[0].text, "...\")"), "%s", out[0].text);

	/* A long expression: the fact is cut at a character boundary. */
	char *src = repeat(", \"ñandú\"", 40, "answer.location in [\"x\"", "]");
	cr_assert_eq(explain(src, &r, out, 2), 1);
	cr_assert_not(r);
	len = strlen(out[0].text);
	cr_assert_lt(len, RULE_FACT_MAX);
	cr_assert_str_eq(out[0].text + len - 3, "...");
	/* the byte before "..." ends a character */
	unsigned char last = (unsigned char)out[0].text[len - 4];
	cr_assert(last < 0x80 || (last & 0xc0) == 0x80, "%s", out[0].text);
	if ((last & 0xc0) == 0x80)
		cr_assert_eq((unsigned char)out[0].text[len - 5], 0xc3);
	free(src);
}

Test(core_rules, explain_max)
{
	flags[F_TIP_LINE] = true;
	flags[F_LANGUAGE_SUPPORTED] = true;
	struct rule_fact out[1];
	bool r = false;
	struct rule_expr *e = compile("agency.tip_line and language_supported");
	cr_assert_eq(rule_explain(e, &facts, &r, out, 1), 1);
	cr_assert(r);
	cr_assert_str_eq(out[0].text, "agency.tip_line");
	r = false;
	cr_assert_eq(rule_explain(e, &facts, &r, NULL, 0), 0);
	cr_assert(r, "the result without facts");
	cr_assert_eq(rule_explain(e, &facts, NULL, out, 1), 1);
	rule_free(e);
}

/* ---- refs and literals --------------------------------------------------- */

Test(core_rules, refs)
{
	bool qs[Q__COUNT] = { 0 }, fs[F__COUNT] = { 0 };
	struct rule_refs refs;
	memset(&refs, 0, sizeof(refs));
	refs.questions = qs;
	refs.flags = fs;
	struct rule_expr *e =
	    compile("answer.free_to_leave == \"no\" and answered(escaped) and "
	            "indicator(weapons) or current_indicator(threats) and "
	            "any_indicator(means) and count(purpose) > 1 and "
	            "any_current_indicator(minor) and agency.tip_line and "
	            "channel == \"text\" and category != \"other\"");
	rule_refs_collect(e, &refs);
	cr_assert(qs[Q_FREE_TO_LEAVE]);
	cr_assert(qs[Q_ESCAPED]);
	cr_assert_not(qs[Q_IN_DANGER_NOW]);
	cr_assert(fs[F_TIP_LINE]);
	cr_assert_not(fs[F_LANGUAGE_SUPPORTED]);
	for (int i = 0; i < INDICATOR__COUNT; i++)
		cr_assert_eq(refs.indicators[i],
		             i == INDICATOR_WEAPONS || i == INDICATOR_THREATS,
		             "indicator %d", i);
	cr_assert_eq(refs.amp, AMP_MEANS | AMP_PURPOSE | AMP_MINOR);
	cr_assert(refs.channel);
	cr_assert(refs.category);
	cr_assert_not(refs.language);
	rule_free(e);

	memset(&refs, 0, sizeof(refs)); /* arrays NULL: not collected */
	e = compile("count(any) > 0 and language == \"es\" and "
	            "answer.victims > 1");
	rule_refs_collect(e, &refs);
	cr_assert_eq(refs.amp, RULE_AMP_ANY);
	cr_assert(refs.language);
	rule_free(e);
}

struct literals {
	char items[8][32];
	size_t n;
};

static void collect_literal(void *ctx, const char *literal)
{
	struct literals *l = ctx;
	if (l->n < 8)
		snprintf(l->items[l->n++], 32, "%s", literal);
}

Test(core_rules, literals)
{
	struct rule_expr *e = compile(
	    "answer.free_to_leave == \"no\" or \"unknown\" != "
	    "answer.free_to_leave or answer.free_to_leave in [\"yes\", "
	    "answer.escaped] or answer.escaped == \"yes\" or answer.victims "
	    "> 3 or answer.victims in [-1, 7] or answer.location == "
	    "\"a\\\"b\"");
	struct literals l = { 0 };
	rule_literals_each(e, Q_FREE_TO_LEAVE, collect_literal, &l);
	cr_assert_eq(l.n, 3);
	cr_assert_str_eq(l.items[0], "no");
	cr_assert_str_eq(l.items[1], "unknown");
	cr_assert_str_eq(l.items[2], "yes");
	memset(&l, 0, sizeof(l));
	rule_literals_each(e, Q_VICTIMS, collect_literal, &l);
	cr_assert_eq(l.n, 3);
	cr_assert_str_eq(l.items[0], "3");
	cr_assert_str_eq(l.items[1], "-1");
	cr_assert_str_eq(l.items[2], "7");
	memset(&l, 0, sizeof(l));
	rule_literals_each(e, Q_ESCAPED, collect_literal, &l);
	cr_assert_eq(l.n, 1, "not the other elements of a list it is in");
	cr_assert_str_eq(l.items[0], "yes");
	memset(&l, 0, sizeof(l));
	rule_literals_each(e, Q_LOCATION, collect_literal, &l);
	cr_assert_eq(l.n, 1);
	cr_assert_str_eq(l.items[0], "a\"b", "unescaped");
	memset(&l, 0, sizeof(l));
	rule_literals_each(e, Q_SAFE_TO_TALK, collect_literal, &l);
	cr_assert_eq(l.n, 0);
	rule_free(e);
}

/* ---- format -------------------------------------------------------------- */

Test(core_rules, format_canonical)
{
	char buf[512];
	static const char *const cases[][2] = {
		{ "true", "true" },
		{ "  (true)  ", "true" },
		{ "((answer.escaped==\"yes\"))", "answer.escaped == \"yes\"" },
		{ "(true or false) and true", "(true or false) and true" },
		{ "true or (false and true)", "true or false and true" },
		{ "(true or false) or true", "true or false or true" },
		{ "true and (false and true)", "true and false and true" },
		{ "not (true and false)", "not (true and false)" },
		{ "(not true) and false", "not true and false" },
		{ "not (answer.escaped == \"no\")",
		  "not answer.escaped == \"no\"" },
		{ "(answer.escaped == \"no\") == false",
		  "(answer.escaped == \"no\") == false" },
		{ "(not true) == false", "(not true) == false" },
		{ "count(any)>=-0", "count(any) >= 0" },
		{ "count(any) in[1,2 ,3]", "count(any) in [1, 2, 3]" },
		{ "indicator(\"weapons\")", "indicator(weapons)" },
		{ "any_indicator(\"means\") or any_current_indicator(any)",
		  "any_indicator(means) or any_current_indicator(any)" },
		{ "answer.location == \"a\\\"b\\\\c\"",
		  "answer.location == \"a\\\"b\\\\c\"" },
		{ "agency.tip_line and not language_supported",
		  "agency.tip_line and not language_supported" },
		{ "category == \"other\" or channel != \"text\" or language == "
		  "\"es\"",
		  "category == \"other\" or channel != \"text\" or language == "
		  "\"es\"" },
		{ "answered(escaped)", "answered(escaped)" },
		{ "current_indicator(minor)", "current_indicator(minor)" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cr_assert_str_eq(format(cases[i][0], buf, sizeof(buf)),
		                 cases[i][1], "format '%s'", cases[i][0]);
	}
}

Test(core_rules, format_round_trip)
{
	static const char *const sources[] = {
		"(answer.free_to_leave == \"yes\" or answer.escaped == \"no\") "
		"and not (indicator(weapons) or count(means) >= 2)",
		"not not (true and (false or not answered(escaped)))",
		"answer.victims in [1, -2, 3] and channel in [\"text\", "
		"\"tty\"]",
		"((answered(escaped) == true) != (false == (1 < 2)))",
		"answer.location != \"caf\\\"é\\\\\" or language == \"es-MX\"",
		"category == \"victim_call\" and (agency.tip_line or "
		"any_current_indicator(any) and not language_supported)",
		"not answer.caller_language == language",
	};
	const char *victims[] = { NULL, "1", "3" };
	for (size_t i = 0; i < sizeof(sources) / sizeof(sources[0]); i++) {
		char once[1024], twice[1024];
		struct rule_expr *a = compile(sources[i]);
		rule_format(a, once, sizeof(once));
		struct rule_expr *b = compile(once);
		rule_format(b, twice, sizeof(twice));
		cr_assert_str_eq(once, twice, "canonical is stable");
		for (int m = 0; m < 16; m++) {
			reset_facts();
			answers[Q_FREE_TO_LEAVE] = m & 1 ? "yes" : "no";
			answers[Q_ESCAPED] = m & 2 ? "no" : NULL;
			answers[Q_VICTIMS] = victims[m % 3];
			flags[F_TIP_LINE] = m & 4;
			facts.indicators[INDICATOR_WEAPONS] =
			    m & 8 ? RULE_HIT_COUNTS : 0;
			facts.category = m & 4 ? "victim_call" : "other";
			cr_assert_eq(rule_eval(a, &facts), rule_eval(b, &facts),
			             "'%s' and '%s' agree", sources[i], once);
		}
		rule_free(a);
		rule_free(b);
	}
}

Test(core_rules, format_small_buffers)
{
	struct rule_expr *e = compile("answer.location == \"ñandú\"");
	char big[64];
	rule_format(e, big, sizeof(big));
	cr_assert_str_eq(big, "answer.location == \"ñandú\"");
	for (size_t size = 1; size < strlen(big) + 1; size++) {
		char small[64];
		memset(small, 'x', sizeof(small));
		cr_assert_eq(rule_format(e, small, size), small);
		cr_assert_lt(strlen(small), size);
		cr_assert_eq(small[size], 'x', "nothing past size");
		if (size >= 4)
			cr_assert_str_eq(small + strlen(small) - 3, "...");
	}
	char one[1];
	cr_assert_str_eq(rule_format(e, one, 1), "");
	cr_assert_null(rule_format(e, NULL, 0));
	rule_free(e);
}
