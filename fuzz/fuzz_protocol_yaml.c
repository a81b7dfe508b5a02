/*
 * fuzz_protocol_yaml.c - fuzzes the protocol and policy loaders
 * (formats/protocol_yaml.c), which read files an agency edits by hand and
 * compile every condition in them: YAML bytes in, a protocol or policy or
 * errors out.
 *
 * Each input is parsed twice: as a protocol ("p.yaml"), and as a policy
 * ("policy.yaml") against the protocol embedded below (the shipped
 * questions, so that the shipped policy in the corpus loads). Properties:
 * never a crash or leak; a rejection reports at least one error and at
 * most PROTOCOL_YAML_ERRORS_MAX, each with the file name and a line and
 * column >= 1, in file order, leaves the result zeroed, and the first
 * reported error is the one returned; an accepted protocol has its schema
 * and a compiled show_if for every source; an accepted policy has every
 * stable action first and a compiled condition for every rule, and can
 * decide and be linted; its notifications (when given) have targets with
 * what their transport needs, notices of distinct kinds naming declared
 * actions and targets, with a compiled text whose fields are those of its
 * kind (never caller_name; callback only in a tip_handoff), and retry
 * settings in range.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/template.h"
#include "formats/protocol_yaml.h"
#include "fuzz/fuzz.h"
#include "util/str.h"

/* The shipped protocol's questions, short. */
static const char embedded[] =
    "protocol: {id: nena-ht, version: \"1\", name: N, languages: [en]}\n"
    "questions:\n"
    "  - {id: in_danger_now, type: yes_no, text: {en: a}}\n"
    "  - {id: safe_to_talk, type: yes_no, text: {en: a}}\n"
    "  - {id: caller_is_victim, type: yes_no, text: {en: a}}\n"
    "  - {id: victim_present, type: yes_no, text: {en: a}}\n"
    "  - {id: escaped, type: yes_no, text: {en: a}}\n"
    "  - {id: happening_now, type: yes_no, text: {en: a}}\n"
    "  - {id: free_to_leave, type: yes_no, text: {en: a}}\n"
    "  - {id: has_own_documents, type: yes_no, text: {en: a}}\n"
    "  - {id: minor_involved, type: yes_no, text: {en: a}}\n"
    "  - {id: specific_location, type: yes_no, text: {en: a}}\n"
    "  - {id: location, type: text, text: {en: a}}\n"
    "  - {id: first_hand, type: yes_no, text: {en: a}}\n"
    "  - {id: weapons_present, type: yes_no, text: {en: a}}\n"
    "  - {id: controller_present, type: yes_no, text: {en: a}}\n"
    "  - {id: who_controls, type: text, text: {en: a}}\n"
    "  - {id: paid, type: yes_no, text: {en: a}}\n"
    "  - {id: owes_debt, type: yes_no, text: {en: a}}\n"
    "  - {id: lives_at_work, type: yes_no, text: {en: a}}\n"
    "  - {id: promised_other_job, type: yes_no, text: {en: a}}\n"
    "  - {id: others_with_you, type: yes_no, text: {en: a}}\n"
    "  - {id: people_count, type: number, min: 0, max: 10000, text: "
    "{en: a}}\n"
    "  - {id: industry, type: choice, text: {en: a}, choices: "
    "[agriculture, domestic_work, restaurants, construction, hospitality, "
    "landscaping, cleaning, manufacturing, traveling_sales, "
    "peddling_begging, carnivals, forestry, health_care, recreational, "
    "health_beauty, illicit_massage, escort_services, other]}\n"
    "  - {id: callback_number, type: text, text: {en: a}}\n"
    "  - {id: callback_safe, type: yes_no, text: {en: a}}\n"
    "  - {id: caller_name, type: text, text: {en: a}}\n"
    "  - {id: language, type: language, text: {en: a}}\n";

struct seen {
	const char *file;
	size_t n;
	struct htd_error first, last;
};

static void fail(const char *what, const struct htd_error *e)
{
	fuzz_fail_error("protocol_yaml", what, e);
}

static void on_error(void *ctx, const struct htd_error *e)
{
	struct seen *s = ctx;
	if (e->code == HTD_OK)
		fail("an error with code ok", e);
	if (!str_eq(e->file, s->file))
		fail("an error without the file name", e);
	if (e->line < 1 || e->column < 1)
		fail("an error without line and column", e);
	if (s->n > 0 &&
	    (e->line < s->last.line ||
	     (e->line == s->last.line && e->column < s->last.column)))
		fail("errors out of file order", e);
	if (s->n++ == 0)
		s->first = *e;
	s->last = *e;
}

static bool all_zero(const void *p, size_t n)
{
	const unsigned char *b = p;
	for (size_t i = 0; i < n; i++)
		if (b[i])
			return false;
	return true;
}

static void check_rejection(enum htd_err rc, const struct seen *seen,
                            const struct htd_error *err, const void *out,
                            size_t size)
{
	if (seen->n == 0 || seen->n > PROTOCOL_YAML_ERRORS_MAX)
		fail("a rejection with no (or too many) errors", err);
	if (err->code != rc || !str_eq(err->message, seen->first.message))
		fail("the returned error is not the first reported", err);
	if (!all_zero(out, size))
		fail("a rejected file left something behind", err);
}

static void as_protocol(const uint8_t *data, size_t size)
{
	struct seen seen = { .file = "p.yaml" };
	struct protocol_yaml_options opts = { on_error, &seen };
	struct protocol p;
	struct htd_error err;

	enum htd_err rc = protocol_yaml_parse("p.yaml", (const char *)data,
	                                      size, &opts, &p, &err);
	if (rc != HTD_OK) {
		check_rejection(rc, &seen, &err, &p, sizeof(p));
		return;
	}
	if (seen.n)
		fail("errors were reported for an accepted protocol", NULL);
	if (p.n_questions == 0 || p.schema.n_questions != p.n_questions ||
	    !p.id || !p.version || p.n_languages == 0)
		fail("an accepted protocol is incomplete", NULL);
	for (size_t i = 0; i < p.n_questions; i++) {
		const struct protocol_question *q = &p.questions[i];
		if (!q->id || q->text.n == 0 ||
		    !!q->show_if != !!q->show_if_src)
			fail("an accepted question is incomplete", NULL);
		if (q->kind == RULE_ANSWER_CHOICE && q->n_choices == 0)
			fail("a choice question without choices", NULL);
		if (q->min > q->max)
			fail("a number range that is empty", NULL);
	}
	protocol_lint(&p, NULL, NULL, NULL);
	protocol_free(&p);
}

/* Never the caller's name; the callback number only in a tip hand-off. */
static bool fields_of_kind(const struct template *t,
                           enum policy_notice_kind kind)
{
	static const char *const never[] = { "caller_name", "victim_name",
		                             "name", NULL };
	for (size_t i = 0; never[i]; i++)
		if (template_uses(t, never[i]))
			return false;
	return kind == POLICY_NOTICE_TIP_HANDOFF ||
	       !template_uses(t, "callback");
}

/* A lookup that aborts on a field the kind (`ctx`: its fields) lacks. */
static const char *allowed_only(void *ctx, const char *field)
{
	const char *const *fields = ctx;
	for (size_t i = 0; fields[i]; i++)
		if (str_eq(fields[i], field))
			return "v";
	fail("a template renders a field its kind does not have", NULL);
	return NULL;
}

static void check_notify(const struct policy *pol)
{
	const struct policy_notify *n = &pol->notify;
	bool seen[POLICY_NOTICE__COUNT] = { false };

	if (n->attempts < 1 || n->attempts > POLICY_RETRY_ATTEMPTS_MAX ||
	    n->first_delay_ms < 1000 || n->first_delay_ms > n->max_delay_ms)
		fail("retry settings out of range", NULL);
	if ((n->n_targets == 0) != (n->n_notices == 0))
		fail("targets without notices, or notices without targets",
		     NULL);
	for (size_t i = 0; i < n->n_targets; i++) {
		const struct policy_target *t = &n->targets[i];
		if (!t->id || t->line < 1 ||
		    (t->timeout_ms != 0 &&
		     (t->timeout_ms < 1000 || t->timeout_ms > 120000)))
			fail("a target without its id, line or timeout", NULL);
		for (size_t j = 0; j < i; j++)
			if (str_eq(n->targets[j].id, t->id))
				fail("two targets with one id", NULL);
		if (t->secret_ref && strncmp(t->secret_ref, "env:", 4) != 0 &&
		    strncmp(t->secret_ref, "file:/", 6) != 0)
			fail("a secret written in the policy", NULL);
		switch (t->transport) {
		case POLICY_TRANSPORT_WEBHOOK:
			if (!t->url || !t->secret_ref || t->spool_dir ||
			    t->n_to)
				fail("a webhook target is incomplete", NULL);
			break;
		case POLICY_TRANSPORT_SMTP:
			if (!t->url || !t->from || t->n_to < 1 ||
			    t->n_to > POLICY_RECIPIENTS_MAX ||
			    !t->username != !t->secret_ref || t->spool_dir)
				fail("an smtp target is incomplete", NULL);
			break;
		case POLICY_TRANSPORT_SPOOL:
			if (!t->spool_dir || t->url || t->secret_ref)
				fail("a spool target is incomplete", NULL);
			break;
		}
	}
	for (size_t i = 0; i < n->n_notices; i++) {
		const struct policy_notice *x = &n->notices[i];
		if ((unsigned)x->kind >= POLICY_NOTICE__COUNT || seen[x->kind])
			fail("a notice kind twice, or unknown", NULL);
		seen[x->kind] = true;
		if (!x->text || !x->action || x->n_targets == 0 || x->line < 1)
			fail("a notice is incomplete", NULL);
		if (policy_action_index(pol, x->action) < 0)
			fail("a notice names an undeclared action", NULL);
		for (size_t j = 0; j < x->n_targets; j++)
			if (x->targets[j] >= n->n_targets)
				fail("a notice names no target", NULL);
		if (policy_notice_find(pol, x->kind) != x)
			fail("policy_notice_find does not find a notice", NULL);
		const struct template *tt[] = { x->subject, x->text };
		for (size_t j = 0; j < 2; j++) {
			struct buf b;
			struct htd_error err;
			if (!tt[j])
				continue;
			if (!fields_of_kind(tt[j], x->kind))
				fail("a template with a forbidden field", NULL);
			buf_init(&b, 0);
			if (template_render(
			        tt[j], allowed_only,
			        (void *)policy_notice_fields(x->kind), &b,
			        &err) != HTD_OK)
				fail("a template does not render", NULL);
			buf_free(&b);
		}
	}
}

static void as_policy(const struct protocol *proto, const uint8_t *data,
                      size_t size)
{
	struct seen seen = { .file = "policy.yaml" };
	struct protocol_yaml_options opts = { on_error, &seen };
	struct policy pol;
	struct htd_error err;

	enum htd_err rc = policy_yaml_parse("policy.yaml", (const char *)data,
	                                    size, proto, &opts, &pol, &err);
	if (rc != HTD_OK) {
		check_rejection(rc, &seen, &err, &pol, sizeof(pol));
		return;
	}
	if (seen.n)
		fail("errors were reported for an accepted policy", NULL);
	if (pol.n_actions < protocol_action_count || !pol.hotline_number ||
	    !pol.tip_line_name || !pol.tip_line_number ||
	    pol.priority_default < 1 || pol.priority_default > 9)
		fail("an accepted policy is incomplete", NULL);
	for (size_t i = 0; i < protocol_action_count; i++)
		if (!str_eq(pol.actions[i].id, protocol_action_ids[i]))
			fail("the stable actions are not first", NULL);
	const struct policy_rule *lists[] = { pol.category_rules,
		                              pol.action_rules,
		                              pol.priority_rules };
	size_t counts[] = { pol.n_category_rules, pol.n_action_rules,
		            pol.n_priority_rules };
	for (size_t l = 0; l < 3; l++)
		for (size_t i = 0; i < counts[l]; i++)
			if (!lists[l][i].when || !lists[l][i].id ||
			    !lists[l][i].why)
				fail("a rule without its condition", NULL);
	for (size_t i = 0; i < pol.n_action_rules; i++)
		if (pol.action_rules[i].action >= pol.n_actions)
			fail("an action rule names no action", NULL);
	check_notify(&pol);

	/* The policy can be used: decide on an empty call. */
	struct call c;
	struct decision d;
	call_init(&c);
	struct decision_input in = { .call = &c, .now_ms = 1 };
	protocol_decide(proto, &pol, &in, &d);
	if (d.priority < 1 || d.priority > 9)
		fail("a decision without a priority", NULL);
	decision_free(&d);
	call_free(&c);
	policy_free(&pol);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct protocol proto;
	static bool loaded;
	struct htd_error err;

	if (size > FUZZ_INPUT_MAX)
		return 0;
	if (!loaded) {
		if (protocol_yaml_parse("embedded.yaml", embedded,
		                        sizeof(embedded) - 1, NULL, &proto,
		                        &err) != HTD_OK)
			fail("the embedded protocol does not load", &err);
		loaded = true;
	}
	as_protocol(data, size);
	as_policy(&proto, data, size);
	return 0;
}
