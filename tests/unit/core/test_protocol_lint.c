/*
 * test_protocol_lint.c - unit tests of core/protocol_lint.c on small
 * protocols and policies written inline in YAML: every kind of finding,
 * each with a case that must be found and one that must not; the value
 * domains the search uses (answered(), choices, numbers, language tags,
 * historical and counted indicators, channel, category); the search cap;
 * and the shipped protocol and policy, which lint clean.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/protocol_yaml.h"
#include "util/buf.h"
#include "util/mem.h"
#include "util/str.h"

/* ---- helpers ----------------------------------------------------------- */

#define MAX_FINDINGS 64

struct findings {
	struct htd_error e[MAX_FINDINGS];
	size_t n;
};

static struct findings found;
static struct protocol_lint_stats stats;
static struct protocol proto;
static struct policy pol;
static char *proto_text;
static char *policy_text;

static void teardown(void)
{
	policy_free(&pol);
	protocol_free(&proto);
	free(proto_text);
	free(policy_text);
	proto_text = policy_text = NULL;
}

TestSuite(protocol_lint, .fini = teardown);

static void collect(void *ctx, const struct htd_error *e)
{
	struct findings *f = ctx;
	if (f->n < MAX_FINDINGS)
		f->e[f->n++] = *e;
}

/* What a test changes; NULL keeps the default. */
struct spec {
	const char *questions;    /* appended to the protocol's questions */
	const char *actions;      /* appended to the stable actions */
	const char *categories;   /* replaces the category rules */
	const char *action_rules; /* replaces the action rules */
	const char *priorities;   /* replaces the priority rules */
};

/* Every text in en and es; a..d yes/no, then a choice, a number, a text
 * and a language question. */
static const char base_protocol[] =
    "protocol: {id: t, version: \"1\", name: T, languages: [en, es]}\n"
    "questions:\n"
    "  - {id: a, type: yes_no, text: {en: A, es: A}, why: {en: W, es: W}}\n"
    "  - {id: b, type: yes_no, text: {en: B, es: B}, why: {en: W, es: W}}\n"
    "  - {id: c, type: yes_no, text: {en: C, es: C}, why: {en: W, es: W}}\n"
    "  - {id: d, type: yes_no, text: {en: D, es: D}, why: {en: W, es: W}}\n"
    "  - {id: color, type: choice, choices: [red, green, blue],\n"
    "     text: {en: C, es: C}, why: {en: W, es: W}}\n"
    "  - {id: n, type: number, min: 0, max: 100,\n"
    "     text: {en: N, es: N}, why: {en: W, es: W}}\n"
    "  - {id: t, type: text, text: {en: T, es: T}, why: {en: W, es: W}}\n"
    "  - {id: lang, type: language, text: {en: L, es: L},\n"
    "     why: {en: W, es: W}}\n";

static const char stable_actions[] =
    "  - {id: dispatch_officer, label: {en: L, es: L}}\n"
    "  - {id: notify_ht_poc, label: {en: L, es: L}}\n"
    "  - {id: transfer_crime_stoppers, label: {en: L, es: L}}\n"
    "  - {id: refer_nhth, label: {en: L, es: L}}\n"
    "  - {id: notify_supervisor, label: {en: L, es: L}}\n"
    "  - {id: radio_alert, label: {en: L, es: L}}\n"
    "  - {id: search_records, label: {en: L, es: L}}\n"
    "  - {id: safeguard_records, label: {en: L, es: L}}\n"
    "  - {id: language_support, label: {en: L, es: L}}\n"
    "  - {id: no_callback, label: {en: L, es: L}}\n";

static const char default_categories[] =
    "  - {id: victim_escape.a, category: victim_escape, why: w,\n"
    "     when: 'answer.a == \"yes\"'}\n"
    "  - {id: victim_call.b, category: victim_call, why: w,\n"
    "     when: 'answer.b == \"yes\"'}\n"
    "  - {id: credible_tip.c, category: credible_tip, why: w,\n"
    "     when: 'answer.c == \"yes\" and any_indicator(any)'}\n"
    "  - {id: other.d, category: other, why: w, when: 'answered(d)'}\n";

#define VICTIM "category == \"victim_escape\" or category == \"victim_call\""

static const char default_action_rules[] =
    "  - {id: r1, action: dispatch_officer, why: w, when: '" VICTIM "'}\n"
    "  - {id: r2, action: notify_ht_poc, why: w, when: '" VICTIM "'}\n"
    "  - {id: r3, action: radio_alert, why: w, when: '" VICTIM "'}\n"
    "  - {id: r4, action: transfer_crime_stoppers, why: w,\n"
    "     when: 'category == \"credible_tip\" and agency.tip_line'}\n"
    "  - {id: r5, action: notify_ht_poc, why: w,\n"
    "     when: 'category == \"credible_tip\" and not agency.tip_line'}\n"
    "  - {id: r6, action: refer_nhth, why: w, when: 'category == "
    "\"other\"'}\n"
    "  - {id: r7, action: notify_supervisor, why: w,\n"
    "     when: 'category != \"undetermined\"'}\n"
    "  - {id: r8, action: search_records, why: w,\n"
    "     when: 'category != \"undetermined\"'}\n"
    "  - {id: r9, action: safeguard_records, why: w, when: 'true'}\n"
    "  - {id: r10, action: language_support, why: w,\n"
    "     when: 'not language_supported'}\n"
    "  - {id: r11, action: no_callback, why: w, when: 'answer.d == "
    "\"no\"'}\n";

static const char default_priorities[] =
    "    - {id: p.victim, priority: 1, why: w, when: '" VICTIM "'}\n"
    "    - {id: p.tip, priority: 2, why: w,\n"
    "       when: 'category == \"credible_tip\"'}\n";

/* Loads the protocol and policy `s` describes (both must load). */
static void load(struct spec s)
{
	struct buf b;
	struct htd_error err;

	buf_init(&b, 0);
	buf_puts(&b, base_protocol);
	buf_puts(&b, s.questions ? s.questions : "");
	proto_text = buf_steal(&b);
	cr_assert_eq(
	    protocol_yaml_parse("p.yaml", proto_text, strlen(proto_text), NULL,
	                        &proto, &err),
	    HTD_OK, "protocol: %d:%d: %s", err.line, err.column, err.message);

	buf_puts(&b,
	         "policy: {id: p, version: \"1\"}\n"
	         "agency: {name: X, languages: [en, es],\n"
	         "         tip_line: {enabled: true, number: \"555-0199\"}}\n"
	         "actions:\n");
	buf_puts(&b, stable_actions);
	buf_puts(&b, s.actions ? s.actions : "");
	buf_puts(&b, "categories:\n");
	buf_puts(&b, s.categories ? s.categories : default_categories);
	buf_puts(&b, "action_rules:\n");
	buf_puts(&b, s.action_rules ? s.action_rules : default_action_rules);
	buf_puts(&b, "priorities:\n  default: 3\n  rules:\n");
	buf_puts(&b, s.priorities ? s.priorities : default_priorities);
	policy_text = buf_steal(&b);
	cr_assert_eq(
	    policy_yaml_parse("pol.yaml", policy_text, strlen(policy_text),
	                      &proto, NULL, &pol, &err),
	    HTD_OK, "policy: %d:%d: %s", err.line, err.column, err.message);
	buf_free(&b);
}

/* Lints what load() loaded; returns the number of findings. */
static size_t lint(void)
{
	memset(&found, 0, sizeof(found));
	memset(&stats, 0, sizeof(stats));
	size_t n = protocol_lint_ex(&proto, &pol, collect, &found, &stats);
	cr_assert_eq(n, found.n);
	for (size_t i = 0; i < found.n; i++)
		cr_assert_eq(found.e[i].code, HTD_ERR_INVALID);
	return n;
}

/* The finding whose message contains `needle`, or NULL. */
static const struct htd_error *finding(const char *needle)
{
	for (size_t i = 0; i < found.n; i++)
		if (strstr(found.e[i].message, needle))
			return &found.e[i];
	return NULL;
}

static void dump(void)
{
	for (size_t i = 0; i < found.n; i++)
		fprintf(stderr, "  %s:%d:%d: %s\n", found.e[i].file,
		        found.e[i].line, found.e[i].column, found.e[i].message);
}

#define assert_finding(needle)                                           \
	do {                                                             \
		if (!finding(needle))                                    \
			dump();                                          \
		cr_assert(finding(needle), "no finding \"%s\"", needle); \
	} while (0)

#define assert_findings(n)                                              \
	do {                                                            \
		size_t got_ = lint();                                   \
		if (got_ != (size_t)(n))                                \
			dump();                                         \
		cr_assert_eq(got_, (size_t)(n), "findings: %zu", got_); \
	} while (0)

/* The 1-based line of the first line of `text` containing `needle`. */
static int line_of(const char *text, const char *needle)
{
	const char *at = strstr(text, needle);
	int line = 1;
	cr_assert(at, "%s not in the text", needle);
	for (const char *p = text; p < at; p++)
		line += *p == '\n';
	return line;
}

/* ---- a clean pair ----------------------------------------------------- */

Test(protocol_lint, clean_files_have_no_findings)
{
	load((struct spec){ 0 });
	assert_findings(0);
	cr_assert_gt(stats.checks, 10);
	cr_assert_eq(stats.skipped, 0);
	/* Without a callback, the findings are still counted. */
	cr_assert_eq(protocol_lint(&proto, &pol, NULL, NULL), 0);
}

/* ---- 1. texts --------------------------------------------------------- */

Test(protocol_lint, missing_texts_are_named)
{
	char rules[4096];
	str_format(rules, sizeof(rules), "%s%s", default_action_rules,
	           "  - {id: r0, action: call_chaplain, why: w, when: "
	           "'true'}\n");
	load((struct spec){
	    .questions =
	        "  - {id: e, type: yes_no, text: {en: E}, why: {en: W, es: "
	        "W}}\n"
	        "  - {id: f, type: yes_no, text: {en: F, es: F}, why: {en: "
	        "W}}\n"
	        "  - {id: g, type: yes_no, text: {en: G, es: G}, why: {en: W, "
	        "es: W},\n"
	        "     covert: {en: C}}\n"
	        "  - {id: h, type: choice, text: {en: H, es: H}, why: {en: W, "
	        "es: W},\n"
	        "     choices: [{id: x, label: {en: X, es: X}}, {id: y, "
	        "label: {en: Y}}]}\n"
	        "  - {id: i, type: choice, text: {en: I, es: I}, why: {en: W, "
	        "es: W},\n"
	        "     choices: [x, y], covert: {en: C, es: C}}\n",
	    .actions = "  - {id: call_chaplain, label: {en: L}}\n",
	    .action_rules = rules,
	});
	assert_findings(5);
	assert_finding("question e: no \"es\" text");
	assert_finding("question f: no \"es\" why");
	assert_finding("question g: no \"es\" covert text");
	assert_finding("question h, choice y: no \"es\" label");
	assert_finding("action call_chaplain: no \"es\" label");
	cr_assert_null(finding("question i"));
	cr_assert_null(finding("choice x"));
	cr_assert_null(finding("question a"));
	cr_assert_null(finding("no \"en\""));
	cr_assert_null(finding("action dispatch_officer: no"));

	const struct htd_error *e = finding("question e: no \"es\" text");
	cr_assert_str_eq(e->file, "p.yaml");
	cr_assert_eq(e->line, line_of(proto_text, "{id: e,"));
	e = finding("action call_chaplain: no \"es\" label");
	cr_assert_str_eq(e->file, "pol.yaml");
	cr_assert_eq(e->line, line_of(policy_text, "call_chaplain, label"));
}

Test(protocol_lint, protocol_alone)
{
	load((struct spec){
	    .questions = "  - {id: e, type: yes_no, text: {en: E}, why: {en: "
	                 "W, es: W}}\n",
	});
	memset(&found, 0, sizeof(found));
	cr_assert_eq(protocol_lint(&proto, NULL, collect, &found), 1);
	assert_finding("question e: no \"es\" text");
	memset(&found, 0, sizeof(found));
	cr_assert_eq(protocol_lint(NULL, &pol, collect, &found), 0);
}

/* ---- 2. questions never asked ----------------------------------------- */

/*
 * The lists of questions and rules below are YAML, one item a line, with
 * conditions in single quotes (no escapes but C's). clang-format would
 * stair-step the concatenations: it is off for them.
 */
#define QS(id, cond)                                                         \
	"  - {id: " id ", type: yes_no, text: {en: Q, es: Q}, why: {en: W, " \
	"es: W},\n     show_if: '" cond "'}\n"

Test(protocol_lint, unreachable_questions)
{
	/* clang-format off */
	load((struct spec){ .questions =
	    QS("j", "answer.a == \"yes\" and answer.a == \"no\"")
	    QS("k", "answer.a == \"yes\" and answer.b != \"yes\"") });
	/* clang-format on */
	assert_findings(1);
	assert_finding("question j is never asked");
	/* At the condition, on the line after the question's. */
	cr_assert_eq(found.e[0].line, line_of(proto_text, "{id: j,") + 1);
	cr_assert_str_eq(found.e[0].file, "p.yaml");
}

Test(protocol_lint, answered_is_told_from_unknown)
{
	/* clang-format off */
	load((struct spec){ .questions =
	    QS("k1", "not answered(a)")
	    QS("k2", "answered(a) and answer.a != \"yes\"")
	    QS("k3", "answered(a) and answer.a != \"yes\" and answer.a != \"no\"")
	    QS("k4", "not answered(a) and answer.a == \"unknown\"")
	    QS("k5", "answer.a == \"\" and answered(a)") });
	/* clang-format on */
	assert_findings(2);
	assert_finding("question k4 is never asked");
	assert_finding("question k5 is never asked");
}

Test(protocol_lint, choices_numbers_texts_languages)
{
	/* clang-format off */
	load((struct spec){ .questions =
	    QS("c1", "answered(color) and answer.color != \"red\" and "
	             "answer.color != \"green\"")
	    QS("c2", "answered(color) and answer.color != \"red\" and "
	             "answer.color != \"green\" and answer.color != \"blue\"")
	    QS("n1", "answer.n > 5 and answer.n < 7")
	    QS("n2", "answer.n > 5 and answer.n < 6")
	    QS("n3", "answer.n != 5")
	    QS("n4", "answer.n > 100") /* max: 100 */
	    QS("t1", "answer.t != \"\" and answer.t != \"foo\"")
	    QS("t2", "answer.t == \"foo\" and answer.t == \"bar\"")
	    /* language tags compare by primary subtag */
	    QS("l1", "answer.lang == \"es-MX\" and answer.lang != \"es\"")
	    QS("l2", "answered(lang) and answer.lang != \"es\" and "
	             "answer.lang != \"en\"")
	    QS("l3", "answered(lang) and answer.lang != \"en-US\" and "
	             "answer.lang != \"es\"") });
	/* clang-format on */
	assert_findings(5);
	assert_finding("question c2 is never asked");
	assert_finding("question n2 is never asked");
	assert_finding("question n4 is never asked");
	assert_finding("question t2 is never asked");
	assert_finding("question l1 is never asked");
}

/* ---- 3. category rules ------------------------------------------------ */

#define RULE(id, cat, cond) \
	"  - {id: " id ", category: " cat ", why: w, when: '" cond "'}\n"
/* The rules after the ones a test is about: each category given. */
#define REST                                                          \
	RULE("victim_call.b", "victim_call", "answer.b == \"yes\"")   \
	RULE("credible_tip.c", "credible_tip", "answer.c == \"yes\"") \
	RULE("other.d", "other", "answered(d)")

Test(protocol_lint, category_rule_that_never_fires)
{
	/* clang-format off */
	load((struct spec){ .categories =
	    RULE("victim_escape.a", "victim_escape", "answer.a == \"yes\"")
	    RULE("victim_escape.never", "victim_escape",
	         "answer.a == \"no\" and answer.a == \"unknown\"")
	    REST });
	/* clang-format on */
	assert_findings(1);
	assert_finding("category rule victim_escape.never never fires");
	cr_assert_eq(found.e[0].line,
	             line_of(policy_text, "victim_escape.never"));
	cr_assert_str_eq(found.e[0].file, "pol.yaml");
}

Test(protocol_lint, category_rule_shadowed_by_one)
{
	/* clang-format off */
	load((struct spec){ .categories =
	    RULE("victim_escape.a", "victim_escape", "answer.a == \"yes\"")
	    RULE("victim_call.ab", "victim_call",
	         "answer.a == \"yes\" and answer.b == \"no\"")
	    REST });
	/* clang-format on */
	assert_findings(1);
	char want[200];
	str_format(want, sizeof(want),
	           "category rule victim_call.ab is shadowed by "
	           "victim_escape.a (line %d): it can never decide",
	           line_of(policy_text, "victim_escape.a"));
	assert_finding(want);
}

Test(protocol_lint, category_rules_shadowed_together)
{
	/* clang-format off */
	load((struct spec){ .categories =
	    RULE("victim_escape.a", "victim_escape", "answer.a == \"yes\"")
	    RULE("victim_call.not_a", "victim_call", "answer.a != \"yes\"")
	    RULE("credible_tip.c", "credible_tip", "answer.c == \"yes\"")
	    RULE("other.d", "other", "answered(d)") });
	/* clang-format on */
	assert_findings(4);
	assert_finding("category rule credible_tip.c is shadowed by the rules "
	               "before it together");
	assert_finding("category rule other.d is shadowed");
	assert_finding("no rule gives category credible_tip");
	assert_finding("no rule gives category other");
	cr_assert_null(finding("victim_call.not_a"));
}

Test(protocol_lint, historical_indicators_are_not_current)
{
	/* A historical weapon: indicator() holds, current_indicator() not. */
	/* clang-format off */
	load((struct spec){ .categories =
	    RULE("victim_escape.w", "victim_escape", "current_indicator(weapons)")
	    RULE("victim_call.w", "victim_call", "indicator(weapons)")
	    REST });
	/* clang-format on */
	assert_findings(0);
}

Test(protocol_lint, current_indicator_shadowed_by_indicator)
{
	/* clang-format off */
	load((struct spec){ .categories =
	    RULE("victim_escape.w", "victim_escape", "indicator(weapons)")
	    RULE("victim_call.w", "victim_call",
	         "current_indicator(weapons) and answer.a == \"yes\"")
	    REST });
	/* clang-format on */
	assert_findings(1);
	assert_finding("category rule victim_call.w is shadowed by "
	               "victim_escape.w");
}

Test(protocol_lint, amp_elements_and_counts)
{
	/* clang-format off */
	load((struct spec){ .categories =
	    RULE("victim_escape.means", "victim_escape", "any_indicator(means)")
	    /* two purpose indicators, no means one: not shadowed */
	    RULE("victim_call.purpose", "victim_call", "count(purpose) >= 2")
	    /* three historical means indicators: shadowed all the same */
	    RULE("victim_call.means3", "victim_call",
	         "count(means) >= 3 and not any_current_indicator(means)")
	    /* there is one minor indicator */
	    RULE("victim_call.minors", "victim_call", "count(minor) >= 2")
	    /* an indicator that is neither means nor two purposes */
	    RULE("credible_tip.other", "credible_tip", "any_indicator(any)")
	    RULE("other.d", "other", "answered(d)") });
	/* clang-format on */
	assert_findings(2);
	assert_finding("category rule victim_call.means3 is shadowed by "
	               "victim_escape.means");
	assert_finding("category rule victim_call.minors never fires");
}

Test(protocol_lint, count_needs_as_many_indicators)
{
	/* clang-format off */
	load((struct spec){ .categories =
	    RULE("victim_escape.means3", "victim_escape",
	         "count(means) >= 3 and not any_current_indicator(means)")
	    RULE("victim_call.minor", "victim_call",
	         "count(minor) == 1 and not current_indicator(minor)")
	    REST });
	/* clang-format on */
	assert_findings(0);
}

Test(protocol_lint, channel_language_flags)
{
	/* clang-format off */
	load((struct spec){ .categories =
	    RULE("victim_escape.text", "victim_escape", "channel == \"text\"")
	    RULE("victim_escape.text_a", "victim_escape",
	         "channel == \"text\" and answer.a == \"yes\"")
	    RULE("victim_escape.tty", "victim_escape",
	         "channel != \"text\" and channel != \"voice\"")
	    RULE("victim_call.es", "victim_call", "language == \"es\"")
	    RULE("victim_call.es_mx", "victim_call",
	         "language == \"es-MX\" and language != \"es\"")
	    RULE("victim_call.tip", "victim_call",
	         "agency.tip_line and not agency.tip_line")
	    RULE("victim_call.lang", "victim_call", "not language_supported")
	    REST });
	/* clang-format on */
	assert_findings(3);
	assert_finding("category rule victim_escape.text_a is shadowed by "
	               "victim_escape.text");
	assert_finding("category rule victim_call.es_mx never fires");
	assert_finding("category rule victim_call.tip never fires");
}

/* ---- 4. priority rules ------------------------------------------------ */

#define PRIO(id, p, cond) \
	"    - {id: " id ", priority: " p ", why: w, when: '" cond "'}\n"

Test(protocol_lint, priority_rules)
{
	/* clang-format off */
	load((struct spec){ .priorities =
	    PRIO("p.call", "1", "category == \"victim_call\"")
	    PRIO("p.call_a", "2",
	         "category == \"victim_call\" and answer.a == \"yes\"")
	    PRIO("p.undetermined", "3", "category == \"undetermined\"")
	    PRIO("p.never", "4",
	         "category == \"other\" and category == \"credible_tip\"")
	    PRIO("p.escape_or_call", "2", VICTIM) });
	/* clang-format on */
	assert_findings(2);
	assert_finding("priority rule p.call_a is shadowed by p.call");
	assert_finding("priority rule p.never never fires");
}

/* ---- 5.-8. action rules, categories, actions -------------------------- */

#define ACTION(id, a, cond) \
	"  - {id: " id ", action: " a ", why: w, when: '" cond "'}\n"

Test(protocol_lint, action_rule_that_never_fires)
{
	char rules[4096];
	/* clang-format off */
	str_format(rules, sizeof(rules), "%s%s", default_action_rules,
	    ACTION("x1", "notify_supervisor",
	           "category == \"other\" and category == \"victim_call\"")
	    ACTION("x2", "notify_supervisor",
	           "category == \"undetermined\" and answer.a == \"yes\""));
	/* clang-format on */
	load((struct spec){ .action_rules = rules });
	assert_findings(1);
	assert_finding("action rule x1 never fires");
	cr_assert_eq(found.e[0].line, line_of(policy_text, "{id: x1,"));
}

Test(protocol_lint, category_no_rule_gives)
{
	/* clang-format off */
	load((struct spec){ .categories =
	    RULE("victim_escape.a", "victim_escape", "answer.a == \"yes\"")
	    RULE("victim_call.b", "victim_call", "answer.b == \"yes\"")
	    RULE("other.d", "other", "answered(d)") });
	/* clang-format on */
	assert_findings(1);
	assert_finding("no rule gives category credible_tip");
	cr_assert_str_eq(found.e[0].file, "pol.yaml");
}

Test(protocol_lint, category_without_actions)
{
	/* clang-format off */
	load((struct spec){ .action_rules =
	    ACTION("r1", "dispatch_officer", VICTIM)
	    ACTION("r2", "notify_ht_poc", VICTIM)
	    ACTION("r3", "radio_alert", VICTIM)
	    ACTION("r4", "transfer_crime_stoppers", "category == \"credible_tip\"")
	    ACTION("r6", "refer_nhth", "category == \"credible_tip\"")
	    ACTION("r7", "notify_supervisor", VICTIM)
	    ACTION("r8", "search_records", VICTIM)
	    ACTION("r9", "safeguard_records", "category != \"other\"")
	    ACTION("r10", "language_support",
	           "not language_supported and category != \"other\"")
	    ACTION("r11", "no_callback",
	           "answer.d == \"no\" and category != \"other\"") });
	/* clang-format on */
	assert_findings(1);
	assert_finding("category other has no actions");
}

Test(protocol_lint, action_never_required)
{
	/* clang-format off */
	load((struct spec){
	    .actions = "  - {id: call_chaplain, label: {en: L, es: L}}\n",
	    .action_rules =
	    ACTION("r1", "dispatch_officer", VICTIM)
	    ACTION("r2", "notify_ht_poc", VICTIM)
	    ACTION("r3", "radio_alert", VICTIM)
	    ACTION("r4", "transfer_crime_stoppers", "category == \"credible_tip\"")
	    ACTION("r6", "refer_nhth", "category == \"other\"")
	    ACTION("r7", "notify_supervisor", "true")
	    ACTION("r8", "search_records", "true")
	    ACTION("r9", "safeguard_records", "true")
	    ACTION("r10", "language_support", "not language_supported") });
	/* clang-format on */
	assert_findings(2);
	assert_finding("action call_chaplain is never required");
	assert_finding("action no_callback is never required");
	cr_assert_eq(finding("call_chaplain")->line,
	             line_of(policy_text, "call_chaplain"));
}

/* ---- the cap ----------------------------------------------------------- */

/* `n` yes/no questions q1..qn, then one whose show_if compares each with
 * all three answers and cannot hold. */
static char *wide_questions(int n)
{
	struct buf b;
	buf_init(&b, 0);
	for (int i = 1; i <= n; i++)
		buf_printf(&b,
		           "  - {id: q%d, type: yes_no, text: {en: Q, es: "
		           "Q}, why: {en: W, es: W}}\n",
		           i);
	buf_puts(&b, "  - {id: wide, type: yes_no, text: {en: Q, es: Q}, "
	             "why: {en: W, es: W},\n     show_if: '");
	for (int i = 1; i <= n; i++)
		buf_printf(
		    &b, "answer.q%d in [\"yes\", \"no\", \"unknown\"] and ", i);
	buf_puts(&b, "answer.q1 == \"yes\" and answer.q1 == \"no\"'}\n");
	return buf_steal(&b);
}

Test(protocol_lint, search_within_the_cap)
{
	/* 4^9 assignments: searched, and found never true. */
	char *q = wide_questions(9);
	load((struct spec){ .questions = q });
	free(q);
	assert_findings(1);
	assert_finding("question wide is never asked");
	cr_assert_eq(stats.skipped, 0);
}

Test(protocol_lint, search_over_the_cap_is_skipped)
{
	/* 4^11 > PROTOCOL_LINT_SPACE_MAX: skipped and counted, not guessed. */
	char *q = wide_questions(11);
	load((struct spec){ .questions = q });
	free(q);
	assert_findings(0);
	cr_assert_eq(stats.skipped, 1);
}

/* ---- the shipped files ------------------------------------------------- */

Test(protocol_lint, shipped_files_lint_clean)
{
	const char *root = getenv("HTD_SOURCE_ROOT");
	char path[1024];
	struct htd_error err;

	cr_assert(root, "HTD_SOURCE_ROOT is not set");
	str_format(path, sizeof(path), "%s/%s", root, PROTOCOL_FILE_DEFAULT);
	cr_assert_eq(protocol_yaml_load(path, NULL, &proto, &err), HTD_OK, "%s",
	             err.message);
	str_format(path, sizeof(path), "%s/%s", root, POLICY_FILE_DEFAULT);
	cr_assert_eq(policy_yaml_load(path, &proto, NULL, &pol, &err), HTD_OK,
	             "%s", err.message);
	assert_findings(0);
	cr_assert_eq(stats.skipped, 0, "checks given up: %zu of %zu",
	             stats.skipped, stats.checks);
	cr_assert_gt(stats.checks, pol.n_category_rules + pol.n_action_rules);
}
