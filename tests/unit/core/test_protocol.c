/*
 * test_protocol.c - the decision engine on the shipped protocol and
 * policy: checklist states across decisions (first-required times kept,
 * marks winning, actions no longer required), overrides beside the
 * recommendation, covert questioning, language support, answer checking.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/protocol.h"
#include "formats/protocol_yaml.h"

static struct protocol proto;
static struct policy pol;
static struct call call;

static void setup(void)
{
	const char *root = getenv("HTD_SOURCE_ROOT");
	char pf[1024], lf[1024];
	struct htd_error err;
	cr_assert(root, "HTD_SOURCE_ROOT is set by meson");
	snprintf(pf, sizeof(pf), "%s/data/protocol/nena-ht.yaml", root);
	snprintf(lf, sizeof(lf), "%s/etc/policy.yaml", root);
	cr_assert_eq(protocol_yaml_load(pf, NULL, &proto, &err), HTD_OK, "%s",
	             err.message);
	cr_assert_eq(policy_yaml_load(lf, &proto, NULL, &pol, &err), HTD_OK,
	             "%s", err.message);
	call_init(&call);
	struct call_event e = { .type = CALL_EVENT_OPENED,
		                .at_ms = 1000,
		                .actor = "t" };
	e.u.opened.language = "en";
	e.u.opened.location_text = "";
	e.u.opened.callback_number = "";
	e.u.opened.caller_name = "";
	cr_assert_eq(call_apply(&call, &e, &err), HTD_OK, "%s", err.message);
}

static void teardown(void)
{
	call_free(&call);
	policy_free(&pol);
	protocol_free(&proto);
}

TestSuite(core_protocol, .init = setup, .fini = teardown);

static void answer(const char *q, const char *v)
{
	struct htd_error err;
	struct call_event e = { .type = CALL_EVENT_ANSWER_RECORDED,
		                .at_ms = 2000,
		                .actor = "t" };
	e.u.answer.question = q;
	e.u.answer.value = v;
	cr_assert_eq(call_apply(&call, &e, &err), HTD_OK, "%s", err.message);
}

/* Records the decision on the call as the service does, and returns it. */
static void decide(int64_t now, struct decision *d)
{
	struct decision_input in = { .call = &call, .now_ms = now };
	struct htd_error err;
	protocol_decide(&proto, &pol, &in, d);
	struct call_action acts[CALL_ACTIONS_MAX];
	for (size_t i = 0; i < d->n_actions; i++) {
		acts[i].id = (char *)d->actions[i].id;
		acts[i].state = d->actions[i].state;
		acts[i].required_since_ms = d->actions[i].required_since_ms;
	}
	struct call_event e = { .type = CALL_EVENT_DECISION_MADE,
		                .at_ms = now,
		                .actor = "t" };
	e.u.decision.recommended = d->recommended;
	e.u.decision.category = d->category;
	e.u.decision.priority = d->priority;
	e.u.decision.decided_with = "test";
	e.u.decision.actions = acts;
	e.u.decision.n_actions = d->n_actions;
	cr_assert_eq(call_event_validate(&e, &err), HTD_OK, "%s", err.message);
	cr_assert_eq(call_apply(&call, &e, &err), HTD_OK, "%s", err.message);
}

static const struct decision_action *action(const struct decision *d,
                                            const char *id)
{
	for (size_t i = 0; i < d->n_actions; i++)
		if (strcmp(d->actions[i].id, id) == 0)
			return &d->actions[i];
	return NULL;
}

static bool fired(const struct decision *d, const char *rule)
{
	for (size_t i = 0; i < d->n_rationale; i++)
		if (strcmp(d->rationale[i].rule, rule) == 0)
			return true;
	return false;
}

Test(core_protocol, nothing_known_is_undetermined_safety_first)
{
	struct decision d;
	decide(5000, &d);
	cr_assert_eq(d.category, CALL_CATEGORY_UNDETERMINED);
	cr_assert_eq(d.priority, pol.priority_default);
	cr_assert_gt(d.n_next, 1);
	/* Safety questions come before anything else. */
	cr_assert(proto.questions[d.next[0]].safety);
	cr_assert_str_eq(proto.questions[d.next[0]].id, "in_danger_now");
	cr_assert_null(action(&d, "dispatch_officer"));
	cr_assert_not_null(action(&d, "safeguard_records"));
	cr_assert_str_eq(d.protocol_id, "nena-ht");
	decision_free(&d);
}

Test(core_protocol, victim_call_requires_dispatch_at_once)
{
	struct decision d;
	answer("caller_is_victim", "yes");
	answer("free_to_leave", "no");
	decide(7000, &d);
	/* Two answers are enough: the rest is gathered after dispatch. */
	cr_assert_eq(d.category, CALL_CATEGORY_VICTIM_CALL);
	const struct decision_action *a = action(&d, "dispatch_officer");
	cr_assert_not_null(a);
	cr_assert_eq(a->state, CALL_ACTION_REQUIRED);
	cr_assert_eq(a->required_since_ms, 7000);
	cr_assert(fired(&d, "victim_call.controlled"));
	cr_assert_eq(d.priority, 2);
	decision_free(&d);

	/* Later decisions keep the first time it became required. */
	answer("in_danger_now", "yes");
	decide(9000, &d);
	a = action(&d, "dispatch_officer");
	cr_assert_eq(a->required_since_ms, 7000);
	cr_assert_eq(d.priority, 1);
	decision_free(&d);
}

Test(core_protocol, rationale_names_the_facts)
{
	struct decision d;
	answer("caller_is_victim", "yes");
	answer("has_own_documents", "no");
	decide(7000, &d);
	bool found = false;
	for (size_t i = 0; i < d.n_rationale; i++) {
		const struct decision_reason *r = &d.rationale[i];
		if (r->kind != DECISION_REASON_CATEGORY)
			continue;
		for (size_t f = 0; f < r->n_facts; f++)
			found |= strstr(r->facts[f].text,
			                "has_own_documents") != NULL;
	}
	cr_assert(found, "the category's rationale cites the answer");
	decision_free(&d);
}

Test(core_protocol, action_no_longer_required_stays_listed)
{
	struct decision d;
	answer("caller_is_victim", "yes");
	answer("free_to_leave", "no");
	decide(7000, &d);
	decision_free(&d);
	/* The caller corrects: free to leave, documents kept, not now. */
	struct htd_error err;
	struct call_event e = { .type = CALL_EVENT_ANSWER_RECORDED,
		                .at_ms = 8000,
		                .actor = "t" };
	e.u.answer.question = "free_to_leave";
	e.u.answer.value = "yes";
	cr_assert_eq(call_apply(&call, &e, &err), HTD_OK);
	answer("in_danger_now", "no");
	decide(9000, &d);
	cr_assert_eq(d.category, CALL_CATEGORY_OTHER);
	const struct decision_action *a = action(&d, "dispatch_officer");
	cr_assert_not_null(a, "an action once required stays on the list");
	cr_assert_eq(a->state, CALL_ACTION_NOT_REQUIRED);
	cr_assert_eq(a->required_since_ms, 7000);
	cr_assert_eq(action(&d, "refer_nhth")->state, CALL_ACTION_REQUIRED);
	decision_free(&d);
}

Test(core_protocol, marks_win_over_policy)
{
	struct decision d;
	struct htd_error err;
	answer("caller_is_victim", "yes");
	answer("free_to_leave", "no");
	decide(7000, &d);
	decision_free(&d);
	struct call_event m = { .type = CALL_EVENT_ACTION_MARKED,
		                .at_ms = 8000,
		                .actor = "user:sup" };
	m.u.mark.action = "radio_alert";
	m.u.mark.state = CALL_ACTION_NOT_APPLICABLE;
	m.u.mark.reason = "suspect monitors the scanner";
	cr_assert_eq(call_apply(&call, &m, &err), HTD_OK, "%s", err.message);
	m.u.mark.action = "dispatch_officer";
	m.u.mark.state = CALL_ACTION_DONE;
	m.u.mark.reason = "unit 12";
	cr_assert_eq(call_apply(&call, &m, &err), HTD_OK, "%s", err.message);
	decide(9000, &d);
	cr_assert_eq(action(&d, "radio_alert")->state,
	             CALL_ACTION_NOT_APPLICABLE);
	cr_assert_eq(action(&d, "dispatch_officer")->state, CALL_ACTION_DONE);
	cr_assert_eq(action(&d, "dispatch_officer")->required_since_ms, 7000);
	bool mark_reason = false;
	for (size_t i = 0; i < d.n_rationale; i++)
		mark_reason |= d.rationale[i].kind == DECISION_REASON_MARK &&
		               strcmp(d.rationale[i].why,
		                      "suspect monitors the scanner") == 0;
	cr_assert(mark_reason, "the mark's reason is in the rationale");
	decision_free(&d);
}

Test(core_protocol, override_keeps_recommendation_beside)
{
	struct decision d;
	struct htd_error err;
	answer("caller_is_victim", "no");
	answer("in_danger_now", "no");
	struct call_event o = { .type = CALL_EVENT_CATEGORY_OVERRIDDEN,
		                .at_ms = 8000,
		                .actor = "user:sup" };
	o.u.override.category = CALL_CATEGORY_CREDIBLE_TIP;
	o.u.override.reason = "caller gave the farm's address and names";
	cr_assert_eq(call_apply(&call, &o, &err), HTD_OK, "%s", err.message);
	decide(9000, &d);
	cr_assert_eq(d.recommended, CALL_CATEGORY_OTHER);
	cr_assert_eq(d.category, CALL_CATEGORY_CREDIBLE_TIP);
	cr_assert(d.overridden);
	/* Actions follow the category in force. */
	cr_assert_not_null(action(&d, "transfer_crime_stoppers"));
	cr_assert_null(action(&d, "refer_nhth"));
	cr_assert(fired(&d, "override"));
	decision_free(&d);
}

Test(core_protocol, covert_caller_gets_yes_no_questions_only)
{
	struct decision d;
	answer("safe_to_talk", "no");
	decide(7000, &d);
	cr_assert(d.covert);
	cr_assert_gt(d.n_next, 0);
	for (size_t i = 0; i < d.n_next; i++) {
		const struct protocol_question *q = &proto.questions[d.next[i]];
		cr_assert(q->covert_ok, "%s is asked of a covert caller",
		          q->id);
		cr_assert_eq(q->kind, RULE_ANSWER_YES_NO, "%s", q->id);
	}
	cr_assert_eq(action(&d, "no_callback")->state, CALL_ACTION_REQUIRED);
	decision_free(&d);
}

Test(core_protocol, language_support_for_other_languages)
{
	struct decision d;
	answer("language", "vi");
	decide(7000, &d);
	cr_assert_not_null(action(&d, "language_support"));
	decision_free(&d);
}

Test(core_protocol, answers_are_checked_per_question)
{
	char out[CALL_ANSWER_MAX + 1];
	struct htd_error err;
	long i = protocol_question_index(&proto, "free_to_leave");
	cr_assert_geq(i, 0);
	const struct protocol_question *q = &proto.questions[i];
	cr_assert_eq(
	    protocol_answer_normalise(q, " Sí ", out, sizeof(out), &err),
	    HTD_OK);
	cr_assert_str_eq(out, "yes");
	cr_assert_eq(protocol_answer_normalise(q, "N", out, sizeof(out), &err),
	             HTD_OK);
	cr_assert_str_eq(out, "no");
	cr_assert_eq(
	    protocol_answer_normalise(q, "maybe", out, sizeof(out), &err),
	    HTD_ERR_INVALID);
	cr_assert(strstr(err.message, "free_to_leave"), "%s", err.message);
	cr_assert_eq(protocol_answer_normalise(q, "  ", out, sizeof(out), &err),
	             HTD_ERR_INVALID);

	i = protocol_question_index(&proto, "people_count");
	cr_assert_geq(i, 0);
	q = &proto.questions[i];
	cr_assert_eq(protocol_answer_normalise(q, "12", out, sizeof(out), &err),
	             HTD_OK);
	cr_assert_str_eq(out, "12");
	cr_assert_eq(protocol_answer_normalise(q, "-1", out, sizeof(out), &err),
	             HTD_ERR_INVALID);
	cr_assert_eq(
	    protocol_answer_normalise(q, "twelve", out, sizeof(out), &err),
	    HTD_ERR_INVALID);

	i = protocol_question_index(&proto, "industry");
	cr_assert_geq(i, 0);
	q = &proto.questions[i];
	cr_assert_eq(
	    protocol_answer_normalise(q, "AGRICULTURE", out, sizeof(out), &err),
	    HTD_OK);
	cr_assert_str_eq(out, "agriculture");
	cr_assert_eq(
	    protocol_answer_normalise(q, "mining", out, sizeof(out), &err),
	    HTD_ERR_INVALID);
	cr_assert(strstr(err.message, "agriculture"), "lists the choices");

	i = protocol_question_index(&proto, "language");
	q = &proto.questions[i];
	cr_assert_eq(
	    protocol_answer_normalise(q, "es-mx", out, sizeof(out), &err),
	    HTD_OK);
	cr_assert_str_eq(out, "es-MX");
}

Test(core_protocol, texts_fall_back_to_english)
{
	long i = protocol_question_index(&proto, "free_to_leave");
	const struct protocol_question *q = &proto.questions[i];
	const char *en = protocol_text_get(&q->text, "en");
	const char *es = protocol_text_get(&q->text, "es-MX");
	const char *vi = protocol_text_get(&q->text, "vi");
	cr_assert_neq(strlen(en), 0);
	cr_assert_neq(strlen(es), 0);
	cr_assert_str_neq(en, es);
	cr_assert_str_eq(vi, en);
}
