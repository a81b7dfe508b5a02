/*
 * test_protocol_yaml.c - unit tests of formats/protocol_yaml.c: the shipped
 * protocol and policy load whole and lint clean; every kind of error names
 * file:line:column (rule errors at the column inside the expression) and
 * leaves nothing loaded; defaults; files.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/protocol_yaml.h"
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

static struct errors errs;
static struct protocol proto; /* what parse_protocol() loaded */
static struct protocol base;  /* the protocol policies are read against */
static struct policy pol;

static void teardown(void)
{
	policy_free(&pol);
	protocol_free(&proto);
	protocol_free(&base);
}

TestSuite(protocol_yaml, .fini = teardown);

static bool all_zero(const void *p, size_t n)
{
	const unsigned char *b = p;
	for (size_t i = 0; i < n; i++)
		if (b[i])
			return false;
	return true;
}

static enum htd_err parse_protocol(const char *text)
{
	struct protocol_yaml_options opts = { .on_error = collect,
		                              .ctx = &errs };
	struct htd_error err;
	memset(&errs, 0, sizeof(errs));
	protocol_free(&proto);
	enum htd_err rc = protocol_yaml_parse("p.yaml", text, strlen(text),
	                                      &opts, &proto, &err);
	if (rc != HTD_OK) {
		cr_assert_gt(errs.n, 0, "an error was returned, not reported");
		cr_assert_eq(err.code, errs.e[0].code);
		cr_assert_str_eq(err.message, errs.e[0].message);
		cr_assert(all_zero(&proto, sizeof(proto)),
		          "a rejected protocol is not zeroed");
	} else {
		cr_assert_eq(errs.n, 0);
	}
	return rc;
}

/* The protocol the policy tests use: a yes/no, a choice and a number. */
static const char base_text[] =
    "protocol: {id: t, version: \"1\", name: T, languages: [en]}\n"
    "questions:\n"
    "  - {id: a, type: yes_no, text: {en: \"A?\"}}\n"
    "  - {id: b, type: choice, text: {en: \"B?\"}, choices: [x, y]}\n"
    "  - {id: n, type: number, text: {en: \"N?\"}}\n";

static void load_base(void)
{
	struct htd_error err;
	if (base.questions)
		return;
	cr_assert_eq(protocol_yaml_parse("base.yaml", base_text,
	                                 strlen(base_text), NULL, &base, &err),
	             HTD_OK, "%s", err.message);
}

static enum htd_err parse_policy(const char *text)
{
	struct protocol_yaml_options opts = { .on_error = collect,
		                              .ctx = &errs };
	struct htd_error err;
	load_base();
	memset(&errs, 0, sizeof(errs));
	policy_free(&pol);
	enum htd_err rc = policy_yaml_parse("policy.yaml", text, strlen(text),
	                                    &base, &opts, &pol, &err);
	if (rc != HTD_OK) {
		cr_assert_gt(errs.n, 0, "an error was returned, not reported");
		cr_assert_eq(err.code, errs.e[0].code);
		cr_assert_str_eq(err.message, errs.e[0].message);
		cr_assert(all_zero(&pol, sizeof(pol)),
		          "a rejected policy is not zeroed");
	} else {
		cr_assert_eq(errs.n, 0, "first error: %d:%d: %s",
		             errs.e[0].line, errs.e[0].column,
		             errs.e[0].message);
	}
	return rc;
}

/*
 * A policy: `first` (top-level sections, starting at line 1), then each
 * default section whose key `first` does not have.
 */
static char *policy_text(const char *first)
{
	static const char *const keys[] = { "policy:", "agency:", "actions:",
		                            "categories:", "action_rules:" };
	struct buf b;
	buf_init(&b, 0);
	buf_puts(&b, first);
	for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
		char nl[32];
		str_format(nl, sizeof(nl), "\n%s", keys[k]);
		if (strncmp(first, keys[k], strlen(keys[k])) == 0 ||
		    strstr(first, nl))
			continue;
		switch (k) {
		case 0:
			buf_puts(&b, "policy: {id: test, version: \"1\"}\n");
			break;
		case 1:
			buf_puts(&b, "agency: {name: Test, languages: [en]}\n");
			break;
		case 2:
			buf_puts(&b, "actions:\n");
			for (size_t i = 0; i < protocol_action_count; i++)
				buf_printf(&b, "  - {id: %s, label: {en: L}}\n",
				           protocol_action_ids[i]);
			break;
		case 3:
			buf_puts(&b,
			         "categories:\n"
			         "  - {id: c.victim, category: victim_call, "
			         "why: w, when: 'answer.a == \"yes\"'}\n");
			break;
		case 4:
			buf_puts(&b,
			         "action_rules:\n"
			         "  - {id: r.officer, action: "
			         "dispatch_officer, why: w, when: 'category "
			         "== \"victim_call\"'}\n");
			break;
		}
	}
	return buf_steal(&b);
}

static enum htd_err policy_with(const char *first)
{
	char *text = policy_text(first);
	enum htd_err rc = parse_policy(text);
	free(text);
	return rc;
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

static void shipped_path(char *out, size_t size, const char *rel)
{
	const char *root = getenv("HTD_SOURCE_ROOT");
	cr_assert_not_null(root, "HTD_SOURCE_ROOT is not set");
	str_format(out, size, "%s/%s", root, rel);
}

static void load_shipped(void)
{
	char pf[1024], lf[1024];
	struct htd_error err;
	shipped_path(pf, sizeof(pf), PROTOCOL_FILE_DEFAULT);
	shipped_path(lf, sizeof(lf), POLICY_FILE_DEFAULT);
	cr_assert_eq(protocol_yaml_load(pf, NULL, &proto, &err), HTD_OK,
	             "%s:%d:%d: %s", err.file, err.line, err.column,
	             err.message);
	cr_assert_eq(policy_yaml_load(lf, &proto, NULL, &pol, &err), HTD_OK,
	             "%s:%d:%d: %s", err.file, err.line, err.column,
	             err.message);
}

static const struct protocol_question *question(const char *id)
{
	long i = protocol_question_index(&proto, id);
	cr_assert_geq(i, 0, "no question %s", id);
	return &proto.questions[i];
}

/* ---- the shipped files ------------------------------------------------- */

Test(protocol_yaml, shipped_protocol_loads)
{
	static const char *const order[] = {
		"in_danger_now",
		"safe_to_talk",
		"caller_is_victim",
		"victim_present",
		"escaped",
		"happening_now",
		"free_to_leave",
		"has_own_documents",
		"minor_involved",
		"specific_location",
		"location",
		"first_hand",
		"weapons_present",
		"controller_present",
		"who_controls",
		"paid",
		"owes_debt",
		"lives_at_work",
		"promised_other_job",
		"others_with_you",
		"people_count",
		"industry",
		"callback_number",
		"callback_safe",
		"caller_name",
		"language",
	};
	static const char *const covert[] = {
		"in_danger_now",     "safe_to_talk",
		"caller_is_victim",  "escaped",
		"happening_now",     "free_to_leave",
		"has_own_documents", "minor_involved",
		"weapons_present",   "controller_present",
		"callback_safe",     "victim_present",
		"specific_location", "first_hand",
	};
	size_t n_order = sizeof(order) / sizeof(order[0]);
	size_t n_covert = sizeof(covert) / sizeof(covert[0]);

	load_shipped();
	cr_assert_str_eq(proto.id, "nena-ht");
	cr_assert_str_eq(proto.version, "1.0.0");
	cr_assert_eq(proto.n_languages, 2);
	cr_assert_str_eq(proto.languages[0], "en");
	cr_assert_str_eq(proto.languages[1], "es");
	cr_assert_eq(proto.n_questions, n_order);
	for (size_t i = 0; i < n_order; i++) {
		const struct protocol_question *q = &proto.questions[i];
		cr_assert_str_eq(q->id, order[i]);
		/* Every question in both languages, with a why. */
		cr_assert_eq(q->text.n, 2, "%s", q->id);
		cr_assert_eq(q->why.n, 2, "%s", q->id);
		cr_assert_str_eq(proto.rule_questions[i].id, q->id);
		cr_assert_eq(proto.rule_questions[i].kind, q->kind);
	}
	cr_assert_eq(proto.schema.n_questions, n_order);
	cr_assert_eq(proto.schema.n_flags, POLICY_FLAG__COUNT);
	cr_assert_not(proto.schema.allow_category);

	size_t safety = 0, covert_ok = 0, show_if = 0;
	for (size_t i = 0; i < proto.n_questions; i++) {
		safety += proto.questions[i].safety;
		covert_ok += proto.questions[i].covert_ok;
		show_if += proto.questions[i].show_if != NULL;
	}
	cr_assert_eq(safety, 2);
	cr_assert(question("in_danger_now")->safety);
	cr_assert(question("safe_to_talk")->safety);
	cr_assert_eq(covert_ok, n_covert);
	for (size_t i = 0; i < n_covert; i++) {
		const struct protocol_question *q = question(covert[i]);
		cr_assert(q->covert_ok, "%s", covert[i]);
		cr_assert_eq(q->kind, RULE_ANSWER_YES_NO, "%s", covert[i]);
		cr_assert_eq(q->covert.n, 2, "%s has no covert wording",
		             covert[i]);
	}
	cr_assert_eq(show_if, 4);
	cr_assert_str_eq(question("victim_present")->show_if_src,
	                 "answer.caller_is_victim == \"no\"");
	cr_assert_str_eq(question("location")->show_if_src,
	                 "answer.specific_location != \"no\"");
	cr_assert_not_null(question("first_hand")->show_if);
	cr_assert_not_null(question("people_count")->show_if);

	const struct protocol_question *ind = question("industry");
	cr_assert_eq(ind->kind, RULE_ANSWER_CHOICE);
	cr_assert_eq(ind->n_choices, 18);
	cr_assert_str_eq(ind->choices[0], "agriculture");
	cr_assert_str_eq(ind->choices[17], "other");
	cr_assert_str_eq(protocol_text_get(&ind->choice_labels[0], "es"),
	                 "Agricultura, ganadería");
	cr_assert_eq(question("people_count")->kind, RULE_ANSWER_NUMBER);
	cr_assert_eq(question("people_count")->min, 0);
	cr_assert_eq(question("people_count")->max, 10000);
	cr_assert_eq(question("language")->kind, RULE_ANSWER_LANGUAGE);
	cr_assert_eq(question("location")->kind, RULE_ANSWER_TEXT);
	cr_assert_str_eq(
	    protocol_text_get(&question("free_to_leave")->text, "es"),
	    "¿Puede usted (la persona) irse cuando quiera?");
}

Test(protocol_yaml, shipped_policy_loads)
{
	load_shipped();
	cr_assert_str_eq(pol.id, "default");
	cr_assert_str_eq(pol.version, "2026.11");
	cr_assert_str_eq(pol.agency_name, "Example County 9-1-1");
	cr_assert_eq(pol.n_languages, 2);
	cr_assert(pol.tip_line);
	cr_assert_str_eq(pol.tip_line_name, "Crime Stoppers");
	cr_assert_str_eq(pol.tip_line_number, "1-800-222-8477");
	cr_assert_str_eq(pol.hotline_number, "1-888-373-7888");
	cr_assert_str_eq(pol.hotline_text, "233733");
	cr_assert_str_eq(pol.hotline_tty, "711");
	cr_assert_eq(pol.n_poc, 2);
	cr_assert_str_eq(pol.poc[1].email, "");
	cr_assert_eq(pol.n_supervisors, 1);
	cr_assert_not_null(pol.radio_text[CALL_CATEGORY_VICTIM_ESCAPE]);
	cr_assert_not_null(pol.radio_text[CALL_CATEGORY_CREDIBLE_TIP]);
	cr_assert_null(pol.radio_text[CALL_CATEGORY_OTHER]);

	cr_assert_eq(pol.n_actions, protocol_action_count);
	for (size_t i = 0; i < protocol_action_count; i++) {
		cr_assert_str_eq(pol.actions[i].id, protocol_action_ids[i]);
		cr_assert_eq(pol.actions[i].label.n, 2);
	}

	static const char *const cats[] = {
		"victim_escape.escaped",   "victim_escape.with_caller",
		"victim_call.danger_now",  "victim_call.controlled",
		"victim_call.minor",       "victim_call.third_party_now",
		"credible_tip.first_hand", "other.screened",
	};
	static const enum call_category cat_of[] = {
		CALL_CATEGORY_VICTIM_ESCAPE, CALL_CATEGORY_VICTIM_ESCAPE,
		CALL_CATEGORY_VICTIM_CALL,   CALL_CATEGORY_VICTIM_CALL,
		CALL_CATEGORY_VICTIM_CALL,   CALL_CATEGORY_VICTIM_CALL,
		CALL_CATEGORY_CREDIBLE_TIP,  CALL_CATEGORY_OTHER,
	};
	cr_assert_eq(pol.n_category_rules, 8);
	for (size_t i = 0; i < 8; i++) {
		cr_assert_str_eq(pol.category_rules[i].id, cats[i]);
		cr_assert_eq(pol.category_rules[i].category, cat_of[i]);
		cr_assert_not_null(pol.category_rules[i].when);
		cr_assert(!str_empty(pol.category_rules[i].why));
	}
	/* A folded block scalar is read as one line. */
	cr_assert_str_eq(pol.category_rules[1].when_src,
	                 "answer.caller_is_victim == \"no\" and "
	                 "answer.victim_present == \"yes\" and "
	                 "answer.escaped != \"no\" and "
	                 "answer.happening_now != \"no\"");

	static const char *const acts[] = {
		"dispatch_officer",  "notify_ht_poc",
		"radio_alert",       "transfer_crime_stoppers",
		"notify_ht_poc",     "refer_nhth",
		"notify_supervisor", "search_records",
		"safeguard_records", "language_support",
		"no_callback",       "no_callback",
	};
	cr_assert_eq(pol.n_action_rules, 12);
	for (size_t i = 0; i < 12; i++)
		cr_assert_str_eq(pol.actions[pol.action_rules[i].action].id,
		                 acts[i], "action rule %zu", i);
	cr_assert_str_eq(pol.action_rules[4].id,
	                 "notify_ht_poc.tip_without_tip_line");

	cr_assert_eq(pol.priority_default, 3);
	cr_assert_eq(pol.n_priority_rules, 4);
	static const int prio[] = { 1, 2, 3, 4 };
	for (size_t i = 0; i < 4; i++)
		cr_assert_eq(pol.priority_rules[i].priority, prio[i]);
	cr_assert_str_eq(pol.priority_rules[0].id, "priority.victim_danger");

	/* The policy's schema borrows the protocol's questions. */
	cr_assert_eq(pol.schema.questions, proto.rule_questions);
	cr_assert_eq(pol.schema.n_questions, proto.n_questions);
	cr_assert(pol.schema.allow_category);
}

static void count_finding(void *ctx, const struct htd_error *e)
{
	struct errors *errs_ = ctx;
	collect(errs_, e);
}

Test(protocol_yaml, shipped_files_lint_clean)
{
	load_shipped();
	memset(&errs, 0, sizeof(errs));
	size_t n = protocol_lint(&proto, &pol, count_finding, &errs);
	cr_assert_eq(n, 0, "first: %s:%d:%d: %s", errs.e[0].file,
	             errs.e[0].line, errs.e[0].column, errs.e[0].message);
}

/* The rules as loaded decide as domain.md section 3 says. */
static enum call_category categorise(const char *const *qa, size_t n,
                                     int *priority)
{
	const char **answers = xcalloc(proto.n_questions, sizeof(char *));
	bool flags[POLICY_FLAG__COUNT] = { true, true };
	struct rule_facts f;
	enum call_category c = CALL_CATEGORY_UNDETERMINED;

	memset(&f, 0, sizeof(f));
	for (size_t i = 0; i + 1 < n; i += 2)
		answers[protocol_question_index(&proto, qa[i])] = qa[i + 1];
	f.answers = answers;
	f.flags = flags;
	f.channel = "voice";
	f.language = "en";
	f.category = "";
	for (size_t i = 0; i < pol.n_category_rules; i++)
		if (rule_eval(pol.category_rules[i].when, &f)) {
			c = pol.category_rules[i].category;
			break;
		}
	f.category = call_category_name(c);
	*priority = pol.priority_default;
	for (size_t i = 0; i < pol.n_priority_rules; i++)
		if (rule_eval(pol.priority_rules[i].when, &f)) {
			*priority = pol.priority_rules[i].priority;
			break;
		}
	free(answers);
	return c;
}

Test(protocol_yaml, shipped_rules_decide)
{
	int prio;
	load_shipped();
	static const char *const escape[] = { "caller_is_victim", "yes",
		                              "escaped", "yes" };
	cr_assert_eq(categorise(escape, 4, &prio), CALL_CATEGORY_VICTIM_ESCAPE);
	cr_assert_eq(prio, 2);
	static const char *const danger[] = { "in_danger_now", "yes" };
	cr_assert_eq(categorise(danger, 2, &prio), CALL_CATEGORY_VICTIM_CALL);
	cr_assert_eq(prio, 1);
	static const char *const tip[] = {
		"in_danger_now", "no",  "caller_is_victim",  "no",
		"first_hand",    "yes", "specific_location", "yes",
		"free_to_leave", "no",
	};
	cr_assert_eq(categorise(tip, 10, &prio), CALL_CATEGORY_CREDIBLE_TIP);
	cr_assert_eq(prio, 3);
	static const char *const other[] = { "in_danger_now", "no",
		                             "caller_is_victim", "no" };
	cr_assert_eq(categorise(other, 4, &prio), CALL_CATEGORY_OTHER);
	cr_assert_eq(prio, 4);
	cr_assert_eq(categorise(NULL, 0, &prio), CALL_CATEGORY_UNDETERMINED);
	cr_assert_eq(prio, 3);
}

/* ---- protocol files: a good one ---------------------------------------- */

static const char small[] =
    "protocol:\n"                                            /* 1 */
    "  id: nena-ht\n"                                        /* 2 */
    "  version: \"2.1\"\n"                                   /* 3 */
    "  name: Small\n"                                        /* 4 */
    "  languages: [en, ES_mx]\n"                             /* 5 */
    "questions:\n"                                           /* 6 */
    "  - id: first\n"                                        /* 7 */
    "    type: yes_no\n"                                     /* 8 */
    "    safety: true\n"                                     /* 9 */
    "    covert_ok: True\n"                                  /* 10 */
    "    text: {en: \"  First?  \", es-MX: \"¿Primero?\"}\n" /* 11 */
    "    covert: {en: \"Yes or no?\"}\n"                     /* 12 */
    "    why:\n"                                             /* 13 */
    "      en: >\n"                                          /* 14 */
    "        Because\n"                                      /* 15 */
    "        we ask.\n"                                      /* 16 */
    "    show_if: answer.later == \"b\"\n"                   /* 17 */
    "  - id: later\n"                                        /* 18 */
    "    type: choice\n"                                     /* 19 */
    "    text: {en: Later}\n"                                /* 20 */
    "    choices:\n"                                         /* 21 */
    "      - a\n"                                            /* 22 */
    "      - {id: b, label: {en: Bee}}\n"                    /* 23 */
    "  - {id: count, type: number, text: {en: N}}\n"         /* 24 */
    "  - {id: free, type: text, text: {en: F}}\n";           /* 25 */

Test(protocol_yaml, small_protocol_loads)
{
	cr_assert_eq(parse_protocol(small), HTD_OK);
	cr_assert_str_eq(proto.file, "p.yaml");
	cr_assert_str_eq(proto.languages[1], "es-MX");
	cr_assert_eq(proto.n_questions, 4);
	const struct protocol_question *q = &proto.questions[0];
	cr_assert(q->safety);
	cr_assert(q->covert_ok);
	cr_assert_str_eq(q->text.items[0].text, "First?");
	cr_assert_str_eq(q->text.items[1].language, "es-MX");
	cr_assert_str_eq(q->why.items[0].text, "Because we ask.");
	cr_assert_eq(q->covert.n, 1);
	cr_assert_eq(q->origin.line, 7);
	cr_assert_eq(q->origin.column, 5);
	/* show_if may name a later question. */
	cr_assert_not_null(q->show_if);
	cr_assert_eq(q->show_if_origin.line, 17);
	cr_assert_eq(q->show_if_origin.column, 14);
	q = &proto.questions[1];
	cr_assert_eq(q->n_choices, 2);
	cr_assert_str_eq(q->choices[1], "b");
	cr_assert_eq(q->choice_labels[0].n, 0);
	cr_assert_str_eq(q->choice_labels[1].items[0].text, "Bee");
	cr_assert_not(q->safety);
	/* A number question without min/max takes the default range. */
	cr_assert_eq(proto.questions[2].min, 0);
	cr_assert_eq(proto.questions[2].max, 1000000000);
	cr_assert_eq(proto.schema.n_questions, 4);
	cr_assert_eq(proto.rule_questions[1].n_choices, 2);
}

/* ---- protocol files: errors -------------------------------------------- */

/* Line 1-2 of every protocol below; questions from line 3. */
#define HEAD                                                            \
	"protocol: {id: t, version: \"1\", name: T, languages: [en]}\n" \
	"questions:\n"

Test(protocol_yaml, unknown_keys)
{
	cr_assert_eq(parse_protocol("protocl: {}\n"
	                            "questions:\n"
	                            "  - id: a\n"
	                            "    type: yes_no\n"
	                            "    txt: {en: A}\n"
	                            "    text: {en: A}\n"),
	             HTD_ERR_INVALID);
	assert_error(1, 1, "unknown key 'protocl' in the protocol file");
	assert_error(1, 1, "missing required key 'protocol'");
	assert_error(5, 5, "unknown key 'txt' in question a; it has id, type");
	cr_assert_str_eq(errs.e[0].file, "p.yaml");
	cr_assert_eq(parse_protocol(
	                 "protocol: {id: t, version: \"1\", name: T, "
	                 "languages: [en], lang: x}\n"
	                 "questions: [{id: a, type: yes_no, text: {en: A}}]\n"),
	             HTD_ERR_INVALID);
	assert_error(1, 59, "unknown key 'lang' in protocol");
}

Test(protocol_yaml, missing_required_keys)
{
	cr_assert_eq(parse_protocol("protocol: {id: t}\n"
	                            "questions:\n"
	                            "  - id: a\n"
	                            "    safety: true\n"),
	             HTD_ERR_INVALID);
	assert_error(1, 12, "missing required key 'version' in protocol");
	assert_error(1, 12, "missing required key 'name' in protocol");
	assert_error(1, 12, "missing required key 'languages' in protocol");
	assert_error(3, 5, "missing required key 'type' in question a");
	assert_error(3, 5, "missing required key 'text' in question a");
	cr_assert_eq(parse_protocol(HEAD "  - {type: yes_no, text: {en: A}}\n"),
	             HTD_ERR_INVALID);
	assert_error(3, 6, "missing required key 'id' in question 1");
	cr_assert_eq(parse_protocol("protocol: {id: t, version: \"1\", name: "
	                            "T, languages: [en]}\n"),
	             HTD_ERR_INVALID);
	assert_error(1, 1, "missing required key 'questions'");
	cr_assert_eq(parse_protocol(HEAD), HTD_ERR_INVALID);
	assert_error(2, 1, "questions has no value");
	cr_assert_eq(parse_protocol(HEAD "  []\n"), HTD_ERR_INVALID);
	assert_error(2, 1, "questions is empty");
}

Test(protocol_yaml, wrong_types)
{
	cr_assert_eq(parse_protocol(HEAD "  - id: a\n"             /* 3 */
	                                 "    type: yes_no\n"      /* 4 */
	                                 "    text: Is it?\n"      /* 5 */
	                                 "    safety: \"yes\"\n"   /* 6 */
	                                 "    covert_ok: 1\n"      /* 7 */
	                                 "    why: [a]\n"          /* 8 */
	                                 "  - just text\n"         /* 9 */
	                                 "  - id: [b]\n"           /* 10 */
	                                 "    type: {x: 1}\n"      /* 11 */
	                                 "    text: {en: [x]}\n"), /* 12 */
	             HTD_ERR_INVALID);
	assert_error(5, 11,
	             "question a: text must be a mapping of language "
	             "to text");
	assert_error(6, 13, "safety must be true or false, not 'yes'");
	assert_error(7, 16, "covert_ok must be true or false, not '1'");
	assert_error(8, 11, "question a: why must be a mapping");
	assert_error(9, 5, "question 2 must be a mapping");
	assert_error(10, 10, "question id must be text, not a list");
	assert_error(11, 12, "type must be text, not a mapping");
	assert_error(12, 17, "(en) must be text, not a list");
	cr_assert_eq(parse_protocol("protocol: [a]\nquestions: {a: 1}\n"),
	             HTD_ERR_INVALID);
	assert_error(1, 12, "protocol must be a mapping");
	assert_error(2, 13, "questions must be a list");
}

Test(protocol_yaml, ids)
{
	cr_assert_eq(parse_protocol(HEAD
	                            "  - {id: in_danger_now, type: "
	                            "yes_no, text: {en: A}}\n"
	                            "  - {id: Free-To-Leave, type: yes_no, "
	                            "text: {en: A}}\n"
	                            "  - {id: in_danger_now, type: yes_no, "
	                            "text: {en: A}}\n"
	                            "  - {id: 2nd, type: yes_no, text: "
	                            "{en: A}}\n"),
	             HTD_ERR_INVALID);
	assert_error(4, 10, "question id 'Free-To-Leave' is not a valid id");
	assert_error(5, 10,
	             "duplicate question id 'in_danger_now' (first at "
	             "line 3)");
	assert_error(6, 10, "question id '2nd' is not a valid id");
	cr_assert_eq(errs.n, 3);
	/* The protocol id may hold '-' and '.'; a question id may not. */
	cr_assert_eq(parse_protocol("protocol: {id: Nena HT, version: \"1\", "
	                            "name: T, languages: [en]}\n"
	                            "questions: [{id: a, type: yes_no, text: "
	                            "{en: A}}]\n"),
	             HTD_ERR_INVALID);
	assert_error(1, 16, "protocol id 'Nena HT' is not a valid id");
}

Test(protocol_yaml, answer_types_choices_and_ranges)
{
	cr_assert_eq(
	    parse_protocol(HEAD
	                   "  - {id: a, type: yesno, text: {en: A}}\n"  /* 3 */
	                   "  - {id: b, type: choice, text: {en: B}}\n" /* 4 */
	                   "  - {id: c, type: yes_no, text: {en: C}, "
	                   "choices: [x]}\n" /* 5 */
	                   "  - {id: d, type: choice, text: {en: D}, "
	                   "choices: [x, {id: x}, Y]}\n" /* 6 */
	                   "  - {id: e, type: number, text: {en: E}, min: "
	                   "10, max: 5}\n" /* 7 */
	                   "  - {id: f, type: text, text: {en: F}, min: "
	                   "1}\n" /* 8 */
	                   "  - {id: g, type: number, text: {en: G}, max: "
	                   "lots}\n" /* 9 */
	                   "  - {id: h, type: choice, text: {en: H}, "
	                   "choices: []}\n"), /* 10 */
	    HTD_ERR_INVALID);
	assert_error(3, 19,
	             "question a: unknown answer type 'yesno'; use "
	             "yes_no, choice, text, number or language");
	assert_error(4, 6,
	             "question b is a choice question: it needs "
	             "choices:");
	assert_error(5, 42,
	             "question c: choices apply to choice questions "
	             "only, not to a yes_no question");
	assert_error(6, 60,
	             "question d: duplicate choice 'x' (first at "
	             "line 6)");
	assert_error(6, 64, "choice 'Y' is not a valid id");
	assert_error(7, 56, "question e: min 10 is greater than max 5");
	assert_error(8, 40,
	             "question f: min applies to number questions "
	             "only");
	assert_error(9, 47,
	             "max must be a whole number from -1000000000 to "
	             "1000000000, not 'lots'");
	assert_error(10, 42, "question h: choices is empty");
	cr_assert_eq(errs.n, 9);
}

Test(protocol_yaml, languages_are_bcp47)
{
	cr_assert_eq(parse_protocol("protocol: {id: t, version: \"1\", name: "
	                            "T, languages: [en, english, en]}\n"
	                            "questions:\n"
	                            "  - {id: a, type: yes_no, text: {en: A, "
	                            "e$: B, EN: C}}\n"),
	             HTD_ERR_INVALID);
	assert_error(1, 58,
	             "language 'english' is not a BCP 47 language "
	             "tag");
	assert_error(1, 67,
	             "language 'en' is listed twice (first at line "
	             "1)");
	assert_error(3, 41,
	             "question a: text: 'e$' is not a BCP 47 "
	             "language tag");
	assert_error(3, 48, "question a: text has language 'en' twice");
	cr_assert_eq(errs.n, 4);
}

Test(protocol_yaml, texts)
{
	cr_assert_eq(parse_protocol(HEAD "  - {id: a, type: yes_no, text: {}}\n"
	                                 "  - {id: b, type: yes_no, text: {en: "
	                                 "\"  \"}}\n"
	                                 "  - {id: c, type: yes_no, text: {en: "
	                                 "\"a\\x01b\"}}\n"),
	             HTD_ERR_INVALID);
	assert_error(3, 27, "question a: text has no text");
	assert_error(4, 38, "question b: text (en) is empty");
	assert_error(5, 38,
	             "question c: text (en) contains a control "
	             "character");
}

/* Missing languages are the lint's, not the loader's. */
Test(protocol_yaml, missing_language_is_a_lint_finding)
{
	cr_assert_eq(parse_protocol("protocol: {id: t, version: \"1\", name: "
	                            "T, languages: [en, es]}\n"
	                            "questions:\n"
	                            "  - {id: a, type: yes_no, text: {en: A}, "
	                            "why: {en: W, es: P}}\n"),
	             HTD_OK);
	memset(&errs, 0, sizeof(errs));
	cr_assert_eq(protocol_lint(&proto, NULL, count_finding, &errs), 1);
	cr_assert(strstr(errs.e[0].message, "no \"es\" text"), "%s",
	          errs.e[0].message);
	cr_assert_eq(errs.e[0].line, 3);
}

/* ---- conditions placed in the file ------------------------------------- */

Test(protocol_yaml, show_if_errors_at_their_column)
{
	cr_assert_eq(
	    parse_protocol(
	        HEAD "  - id: a\n"         /* 3 */
	             "    type: yes_no\n"  /* 4 */
	             "    text: {en: A}\n" /* 5 */
	             "    show_if: answer.b == \"yes\" and answer.zz == "
	             "\"no\"\n"                                        /* 6 */
	             "  - id: b\n"                                     /* 7 */
	             "    type: yes_no\n"                              /* 8 */
	             "    text: {en: B}\n"                             /* 9 */
	             "    show_if: 'answer.a == \"maybe\"'\n"          /* 10 */
	             "  - id: c\n"                                     /* 11 */
	             "    type: yes_no\n"                              /* 12 */
	             "    text: {en: C}\n"                             /* 13 */
	             "    show_if: \"answer.a == \\\"yes\\\" or (\"\n" /* 14 */
	             "  - id: d\n"                                     /* 15 */
	             "    type: yes_no\n"                              /* 16 */
	             "    text: {en: D}\n"                             /* 17 */
	             "    show_if: >-\n"                               /* 18 */
	             "      answer.a == \"yes\"\n"                     /* 19 */
	             "        and answered(nope)\n"),                  /* 20 */
	    HTD_ERR_INVALID);
	/* Plain: the scalar starts at column 14; "answer.zz" is its byte
	 * 23. */
	assert_error(6, 36, "question a: show_if: unknown question \"zz\"");
	/* Single-quoted: one more for the quote. */
	assert_error(10, 27,
	             "question b: show_if: \"maybe\" is not an answer "
	             "to a");
	/* Double-quoted with escapes: each \" is two characters. */
	assert_error(14, 38, "question c: show_if: expected a condition");
	/* A block scalar: the line and column where it was typed. */
	assert_error(20, 22, "question d: show_if: unknown question \"nope\"");
	cr_assert_eq(errs.n, 4);
	/* The syntax error keeps its code. */
	cr_assert_eq(errs.e[2].code, HTD_ERR_PARSE);
	cr_assert_eq(errs.e[0].code, HTD_ERR_INVALID);
}

Test(protocol_yaml, show_if_refers_to_answers_only)
{
	cr_assert_eq(parse_protocol(HEAD
	                            "  - {id: a, type: yes_no, text: {en: "
	                            "A}, show_if: 'indicator(minor)'}\n"
	                            "  - {id: b, type: yes_no, text: {en: "
	                            "B}, show_if: 'agency.tip_line'}\n"
	                            "  - {id: c, type: yes_no, text: {en: "
	                            "C}, show_if: 'category == \"other\"'}\n"
	                            "  - {id: d, type: yes_no, text: {en: "
	                            "D}, show_if: 'not answered(a)'}\n"),
	             HTD_ERR_INVALID);
	assert_error(3, 51, "question a: show_if may refer only to answers");
	assert_error(4, 51, "question b: show_if may refer only to answers");
	/* `category` is not even known to a show_if. */
	assert_error(5, 52, "question c: show_if:");
	cr_assert_eq(errs.n, 3);
}

/* ---- policy files ------------------------------------------------------ */

Test(protocol_yaml, small_policy_with_defaults)
{
	cr_assert_eq(policy_with("actions:\n"
	                         "  - {id: call_dol, label: {en: \"Call the "
	                         "DOL\"}}\n"
	                         "  - {id: no_callback, label: {en: N}}\n"
	                         "  - {id: refer_nhth, label: {en: R}}\n"
	                         "  - {id: dispatch_officer, label: {en: D}}\n"
	                         "  - {id: notify_ht_poc, label: {en: H}}\n"
	                         "  - {id: transfer_crime_stoppers, label: "
	                         "{en: T}}\n"
	                         "  - {id: notify_supervisor, label: {en: S}}\n"
	                         "  - {id: radio_alert, label: {en: A}}\n"
	                         "  - {id: search_records, label: {en: R}}\n"
	                         "  - {id: safeguard_records, label: {en: G}}\n"
	                         "  - {id: language_support, label: {en: L}}\n"
	                         "action_rules:\n"
	                         "  - {id: dol, action: call_dol, why: w, "
	                         "when: 'answer.n > 3'}\n"),
	             HTD_OK);
	/* Stable actions first, in their order; the agency's after. */
	cr_assert_eq(pol.n_actions, protocol_action_count + 1);
	for (size_t i = 0; i < protocol_action_count; i++)
		cr_assert_str_eq(pol.actions[i].id, protocol_action_ids[i]);
	cr_assert_str_eq(pol.actions[protocol_action_count].id, "call_dol");
	cr_assert_eq(pol.actions[protocol_action_count].origin.line, 2);
	cr_assert_eq(pol.action_rules[0].action, protocol_action_count);
	/* Defaults (domain.md section 6). */
	cr_assert_str_eq(pol.hotline_number, "1-888-373-7888");
	cr_assert_str_eq(pol.hotline_text, "233733");
	cr_assert_str_eq(pol.hotline_tty, "711");
	cr_assert_str_eq(pol.tip_line_name, "Crime Stoppers");
	cr_assert_str_eq(pol.tip_line_number, "");
	cr_assert_not(pol.tip_line);
	cr_assert_eq(pol.priority_default, 3);
	cr_assert_eq(pol.n_priority_rules, 0);
	cr_assert_eq(pol.n_poc, 0);
	cr_assert_str_eq(pol.file, "policy.yaml");
	cr_assert_str_eq(pol.languages[0], "en");
	cr_assert_eq(pol.category_rules[0].category, CALL_CATEGORY_VICTIM_CALL);
}

Test(protocol_yaml, policy_settings)
{
	cr_assert_eq(
	    policy_with(
	        "agency:\n"
	        "  name: A\n"
	        "  languages: [en, es, vi]\n"
	        "  tip_line: {enabled: true, name: P3 Tips, number: "
	        "\"1-800-222-TIPS\"}\n"
	        "  hotline: {number: \"(888) 373.7888\", text: \"+1 "
	        "233733\"}\n"
	        "  points_of_contact:\n"
	        "    - {name: Det. R, role: POC, phone: \"555-0100\", "
	        "email: r@example.org}\n"
	        "  supervisors: [{name: Sup}]\n"
	        "  radio: {victim_call: \"Respond.\", other: \"None.\"}\n"
	        "priorities: {default: 5}\n"),
	    HTD_OK);
	cr_assert(pol.tip_line);
	cr_assert_str_eq(pol.tip_line_name, "P3 Tips");
	cr_assert_str_eq(pol.tip_line_number, "1-800-222-TIPS");
	cr_assert_str_eq(pol.hotline_number, "(888) 373.7888");
	cr_assert_str_eq(pol.hotline_text, "+1 233733");
	cr_assert_str_eq(pol.hotline_tty, "711");
	cr_assert_eq(pol.n_languages, 3);
	cr_assert_eq(pol.n_poc, 1);
	cr_assert_str_eq(pol.poc[0].email, "r@example.org");
	cr_assert_str_eq(pol.supervisors[0].name, "Sup");
	cr_assert_str_eq(pol.supervisors[0].phone, "");
	cr_assert_str_eq(pol.radio_text[CALL_CATEGORY_VICTIM_CALL], "Respond.");
	cr_assert_str_eq(pol.radio_text[CALL_CATEGORY_OTHER], "None.");
	cr_assert_null(pol.radio_text[CALL_CATEGORY_VICTIM_ESCAPE]);
	cr_assert_eq(pol.priority_default, 5);
}

Test(protocol_yaml, policy_unknown_and_missing_keys)
{
	cr_assert_eq(policy_with("polcy: {id: x}\n"
	                         "agency: {name: A, languages: [en], tipline: "
	                         "{}}\n"
	                         "categories:\n"
	                         "  - {id: c, category: other, why: w, wehn: "
	                         "'true'}\n"),
	             HTD_ERR_INVALID);
	assert_error(1, 1, "unknown key 'polcy' in the policy file");
	assert_error(2, 36, "unknown key 'tipline' in agency");
	assert_error(4, 38, "unknown key 'wehn' in a rule of categories");
	assert_error(4, 6,
	             "missing required key 'when' in a rule of "
	             "categories");
	cr_assert_eq(errs.n, 4);
}

Test(protocol_yaml, stable_actions_are_required)
{
	cr_assert_eq(policy_with("actions:\n"
	                         "  - {id: dispatch_officer, label: {en: D}}\n"
	                         "  - {id: dispatch_officer, label: {en: E}}\n"
	                         "  - {id: Call-DOL, label: {en: X}}\n"
	                         "  - {id: extra}\n"),
	             HTD_ERR_INVALID);
	assert_error(3, 10,
	             "duplicate action id 'dispatch_officer' (first "
	             "at line 2)");
	assert_error(4, 10, "action id 'Call-DOL' is not a valid id");
	assert_error(5, 6, "missing required key 'label' in an action");
	assert_error(1, 1, "the stable action 'notify_ht_poc' is missing");
	assert_error(1, 1, "the stable action 'no_callback' is missing");
	cr_assert_eq(errs.n, 3 + protocol_action_count - 1);
}

Test(protocol_yaml, rule_fields)
{
	cr_assert_eq(
	    policy_with(
	        "categories:\n"
	        "  - {id: c.one, category: victom, why: w, when: 'true'}\n"
	        "  - {id: c..two, category: undetermined, why: w, when: "
	        "'true'}\n"
	        "  - {id: c.one, category: other, why: \"\", when: 'true'}\n"
	        "action_rules:\n"
	        "  - {id: r.a, action: dispatch_oficer, why: w, when: 'true'}\n"
	        "  - {id: c.one, action: refer_nhth, why: w, when: 'true'}\n"
	        "priorities:\n"
	        "  default: 0\n"
	        "  rules:\n"
	        "    - {id: p.a, priority: 10, why: w, when: 'true'}\n"
	        "    - {id: p.b, priority: \"1\", why: \"two\\nlines\", when: "
	        "'true'}\n"),
	    HTD_ERR_INVALID);
	assert_error(2, 27,
	             "c.one: unknown category 'victom'; use "
	             "victim_escape, victim_call, credible_tip or "
	             "other");
	assert_error(3, 10, "rule id 'c..two' is not a valid id");
	assert_error(3, 28, "unknown category 'undetermined'");
	assert_error(4, 10, "duplicate rule id 'c.one' (first at line 2)");
	assert_error(4, 39, "why is empty");
	assert_error(6, 23,
	             "r.a: action 'dispatch_oficer' is not declared "
	             "under actions:");
	assert_error(7, 10, "duplicate rule id 'c.one' (first at line 2)");
	assert_error(9, 12,
	             "priorities.default must be a whole number from "
	             "1 to 9, not '0'");
	assert_error(11, 27,
	             "priority must be a whole number from 1 to 9, "
	             "not '10'");
	assert_error(12, 27,
	             "priority must be a whole number from 1 to 9, "
	             "not '1'");
	assert_error(12, 37, "p.b: why must be one line of text");
	cr_assert_eq(errs.n, 11);
}

Test(protocol_yaml, rule_ids_may_have_dots)
{
	cr_assert_eq(policy_with("categories:\n"
	                         "  - {id: victim_call.minor.2nd_pass, "
	                         "category: victim_call, why: w, when: "
	                         "'true'}\n"),
	             HTD_ERR_INVALID);
	assert_error(2, 10, "is not a valid id");
	cr_assert_eq(policy_with("categories:\n"
	                         "  - {id: victim_call.minor.second_pass, "
	                         "category: victim_call, why: w, when: "
	                         "'true'}\n"),
	             HTD_OK);
	cr_assert_str_eq(pol.category_rules[0].id,
	                 "victim_call.minor.second_pass");
}

Test(protocol_yaml, rule_errors_at_their_column)
{
	cr_assert_eq(
	    policy_with(
	        "categories:\n"                                         /* 1 */
	        "  - id: c.uses_category\n"                             /* 2 */
	        "    category: other\n"                                 /* 3 */
	        "    why: w\n"                                          /* 4 */
	        "    when: 'category == \"other\"'\n"                   /* 5 */
	        "  - id: c.typo\n"                                      /* 6 */
	        "    category: other\n"                                 /* 7 */
	        "    why: w\n"                                          /* 8 */
	        "    when: answer.a == \"yes\" and answer.b == \"z\"\n" /* 9 */
	        "action_rules:\n"                                       /* 10 */
	        "  - id: r.block\n"                                     /* 11 */
	        "    action: refer_nhth\n"                              /* 12 */
	        "    why: w\n"                                          /* 13 */
	        "    when: |\n"                                         /* 14 */
	        "      category == \"other\" and\n"                     /* 15 */
	        "      agency.tip_lin\n"                                /* 16 */
	        "priorities:\n"                                         /* 17 */
	        "  rules:\n"                                            /* 18 */
	        "    - {id: p.x, priority: 2, why: w, when: 'answer.n >= "
	        "\"3\"'}\n"), /* 19 */
	    HTD_ERR_INVALID);
	/* Category rules cannot use `category`. */
	assert_error(5, 12,
	             "c.uses_category: when: \"category\" is not known "
	             "here");
	/* b's choices are x and y. */
	assert_error(9, 45, "c.typo: when:");
	assert_error(16, 7, "r.block: when: unknown name");
	assert_error(19, 57, "p.x: when: \">=\" compares numbers");
	cr_assert_eq(errs.n, 4);
}

Test(protocol_yaml, action_and_priority_rules_may_use_category)
{
	cr_assert_eq(policy_with("action_rules:\n"
	                         "  - {id: r.a, action: refer_nhth, why: w, "
	                         "when: 'category == \"other\" and not "
	                         "agency.tip_line'}\n"
	                         "priorities:\n"
	                         "  rules:\n"
	                         "    - {id: p.a, priority: 1, why: w, when: "
	                         "'category != \"undetermined\" and "
	                         "language_supported'}\n"),
	             HTD_OK);
	cr_assert_eq(pol.n_priority_rules, 1);
	cr_assert_eq(pol.action_rules[0].when_origin.line, 2);
	cr_assert_eq(pol.action_rules[0].when_origin.column, 49);
	cr_assert_str_eq(pol.action_rules[0].when_src,
	                 "category == \"other\" and not agency.tip_line");
}

Test(protocol_yaml, phones_and_tip_line)
{
	cr_assert_eq(
	    policy_with(
	        "agency:\n"                     /* 1 */
	        "  name: A\n"                   /* 2 */
	        "  languages: [en, \"e n\"]\n"  /* 3 */
	        "  tip_line: {enabled: true}\n" /* 4 */
	        "  hotline: {number: \"1-888-373-7888 #2\", "
	        "tty: TTY}\n"                                      /* 5 */
	        "  points_of_contact:\n"                           /* 6 */
	        "    - {name: P, phone: \"555_0100\"}\n"           /* 7 */
	        "    - {role: R}\n"                                /* 8 */
	        "  radio: {undetermined: x, victim_call: [a]}\n"), /* 9 */
	    HTD_ERR_INVALID);
	assert_error(3, 19, "language 'e n' is not a BCP 47 language tag");
	assert_error(4, 14, "tip_line is enabled but has no number");
	assert_error(5, 21,
	             "hotline.number '1-888-373-7888 #2' may hold "
	             "only digits, letters, spaces and + - ( ) .");
	assert_error(5, 47, "hotline.tty 'TTY' has no digits");
	assert_error(7, 24, "phone '555_0100' may hold only digits");
	assert_error(8, 8,
	             "missing required key 'name' in a contact of "
	             "points_of_contact");
	assert_error(9, 11, "radio: unknown category 'undetermined'");
	assert_error(9, 42, "radio.victim_call must be text, not a list");
	cr_assert_eq(errs.n, 8);
}

Test(protocol_yaml, policy_needs_a_protocol)
{
	struct htd_error err;
	static const char text[] = "policy: {id: a, version: \"1\"}\n";
	cr_assert_eq(policy_yaml_parse("policy.yaml", text, strlen(text), NULL,
	                               NULL, &pol, &err),
	             HTD_ERR_USAGE);
	cr_assert(strstr(err.message, "load the protocol first"));
	cr_assert(all_zero(&pol, sizeof(pol)));
}

/* ---- the bytes --------------------------------------------------------- */

Test(protocol_yaml, not_yaml_not_a_mapping)
{
	cr_assert_eq(parse_protocol(""), HTD_ERR_PARSE);
	assert_error(1, 1, "the file is empty");
	cr_assert_eq(parse_protocol("- a\n- b\n"), HTD_ERR_INVALID);
	assert_error(1, 3,
	             "a protocol is a mapping with protocol: and "
	             "questions:");
	cr_assert_eq(parse_policy("just text\n"), HTD_ERR_INVALID);
	assert_error(1, 1, "a policy is a mapping");
	cr_assert_eq(parse_protocol("protocol: {id: t\n"), HTD_ERR_PARSE);
	cr_assert(strstr(errs.e[0].message, "YAML: "));
	cr_assert_eq(parse_protocol(HEAD "  - {id: a, type: yes_no, text: {en: "
	                                 "A}}\n---\nb: 1\n"),
	             HTD_ERR_PARSE);
	assert_error(5, 1, "a protocol file holds one YAML document");
	cr_assert_eq(parse_protocol("protocol: {}\nprotocol: {}\n"),
	             HTD_ERR_PARSE);
	assert_error(2, 1, "duplicate key");
}

Test(protocol_yaml, utf8_nul_and_size)
{
	struct htd_error err;
	cr_assert_eq(parse_protocol(HEAD "  - {id: a, type: yes_no, text: {en: "
	                                 "\"\xc3\xa9\xff\"}}\n"),
	             HTD_ERR_PARSE);
	assert_error(3, 40, "invalid UTF-8");
	static const char nul[] = "protocol: {}\nquest\0ions: []\n";
	cr_assert_eq(protocol_yaml_parse("p.yaml", nul, sizeof(nul) - 1, NULL,
	                                 &proto, &err),
	             HTD_ERR_PARSE);
	cr_assert_eq(err.line, 2);
	cr_assert(strstr(err.message, "NUL"));
	size_t n = PROTOCOL_YAML_MAX + 1;
	char *big = xmalloc(n);
	memset(big, '#', n);
	cr_assert_eq(protocol_yaml_parse("p.yaml", big, n, NULL, &proto, &err),
	             HTD_ERR_TOO_LARGE);
	cr_assert(strstr(err.message, "larger than 1048576 bytes"));
	load_base();
	cr_assert_eq(
	    policy_yaml_parse("policy.yaml", big, n, &base, NULL, &pol, &err),
	    HTD_ERR_TOO_LARGE);
	free(big);
}

Test(protocol_yaml, aliases_are_refused)
{
	cr_assert_eq(parse_protocol(HEAD
	                            "  - {id: &x a, type: yes_no, text: "
	                            "{en: A}}\n"
	                            "  - {id: *x, type: yes_no, text: {en: "
	                            "B}}\n"),
	             HTD_ERR_INVALID);
	assert_error(4, 10, "anchors and aliases are not supported");
}

Test(protocol_yaml, errors_in_file_order_and_capped)
{
	struct buf b;
	buf_init(&b, 0);
	buf_puts(&b, HEAD);
	for (int i = 0; i < 200; i++)
		buf_printf(&b, "  - {id: q%d, type: nope, text: {en: A}}\n", i);
	cr_assert_eq(parse_protocol(buf_str(&b)), HTD_ERR_INVALID);
	cr_assert_eq(errs.n, PROTOCOL_YAML_ERRORS_MAX);
	buf_free(&b);

	cr_assert_eq(parse_protocol("zzz: 1\n"
	                            "questions:\n"
	                            "  - {id: b, type: yes_no, text: {en: B}, "
	                            "show_if: 'answer.q == \"x\"'}\n"
	                            "  - {id: A, type: yes_no, text: {en: A}}\n"
	                            "protocol: {id: t}\n"),
	             HTD_ERR_INVALID);
	/* The show_if error is found after every question is read, yet
	 * reported in its place. */
	for (size_t i = 1; i < errs.n; i++)
		cr_assert(errs.e[i - 1].line < errs.e[i].line ||
		              (errs.e[i - 1].line == errs.e[i].line &&
		               errs.e[i - 1].column <= errs.e[i].column),
		          "error %zu out of order", i);
	assert_error(3, 52, "question b: show_if: unknown question");
}

Test(protocol_yaml, too_many_questions)
{
	struct buf b;
	buf_init(&b, 0);
	buf_puts(&b, HEAD);
	for (int i = 0; i <= PROTOCOL_QUESTIONS_MAX; i++)
		buf_printf(&b, "  - {id: q%d, type: yes_no, text: {en: A}}\n",
		           i);
	cr_assert_eq(parse_protocol(buf_str(&b)), HTD_ERR_INVALID);
	assert_error(3, 6, "questions has more than 256 items");
	buf_free(&b);
}

/* ---- files ------------------------------------------------------------- */

Test(protocol_yaml, load_from_files)
{
	char pf[512], lf[512];
	const char *dir = tu_tmpdir();
	struct htd_error err;
	char *policy = policy_text("");

	tu_path(pf, sizeof(pf), dir, "protocol.yaml");
	tu_path(lf, sizeof(lf), dir, "policy.yaml");
	tu_write_file(pf, base_text, strlen(base_text));
	tu_write_file(lf, policy, strlen(policy));
	cr_assert_eq(protocol_yaml_load(pf, NULL, &proto, &err), HTD_OK);
	cr_assert_str_eq(proto.file, pf);
	cr_assert_eq(policy_yaml_load(lf, &proto, NULL, &pol, &err), HTD_OK);
	cr_assert_str_eq(pol.file, lf);
	policy_free(&pol);

	memset(&errs, 0, sizeof(errs));
	struct protocol_yaml_options opts = { .on_error = collect,
		                              .ctx = &errs };
	tu_path(lf, sizeof(lf), dir, "none.yaml");
	cr_assert_eq(policy_yaml_load(lf, &proto, &opts, &pol, &err),
	             HTD_ERR_NOT_FOUND);
	cr_assert_str_eq(err.file, lf);
	cr_assert(strstr(err.message, "cannot open"));
	cr_assert_eq(errs.n, 1);
	cr_assert_eq(protocol_yaml_load(dir, NULL, &base, &err), HTD_ERR_IO);
	free(policy);
	tu_rmtree(dir);
}
