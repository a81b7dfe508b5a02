/*
 * decision_json.c - writes protocol decisions as JSON (see
 * decision_json.h): the one place the decision's shape is defined.
 */
#include "formats/decision_json.h"

#include <string.h>

#include "formats/event_json.h"
#include "util/str.h"

json_t *decision_amp_json(unsigned amp)
{
	static const unsigned bits[] = { AMP_ACTION,  AMP_MEANS,
		                         AMP_PURPOSE, AMP_VULNERABILITY,
		                         AMP_CONTEXT, AMP_MINOR };
	json_t *a = json_array();
	for (size_t i = 0; i < sizeof(bits) / sizeof(bits[0]); i++) {
		if (!(amp & bits[i]))
			continue;
		char name[32];
		amp_format(bits[i], name, sizeof(name));
		json_array_append_new(a, json_string(name));
	}
	return a;
}

json_t *decision_indicators_json(const struct call *c,
                                 decision_note_fn note_text, void *ctx)
{
	json_t *a = json_array();
	for (size_t i = 0; i < c->n_hits; i++) {
		const struct call_hit *h = &c->hits[i];
		enum indicator_id id;
		unsigned amp =
		    indicator_parse(h->indicator, &id) ? indicator_amp(id) : 0;
		json_t *o = json_pack(
		    "{s:s,s:I,s:I,s:I,s:b,s:b,s:b,s:s,s:o}", "id", h->indicator,
		    "note", (json_int_t)h->note, "start", (json_int_t)h->start,
		    "end", (json_int_t)h->end, "negated", h->negated,
		    "hypothetical", h->hypothetical, "historical",
		    h->historical, "subject", h->subject, "amp",
		    decision_amp_json(amp));
		const char *text = note_text ? note_text(ctx, h->note) : NULL;
		if (text && h->end <= strlen(text) && h->start <= h->end)
			json_object_set_new(
			    o, "text",
			    json_stringn(text + h->start, h->end - h->start));
		json_array_append_new(a, o);
	}
	return a;
}

json_t *decision_rationale_json(const struct decision *d)
{
	json_t *a = json_array();
	for (size_t i = 0; i < d->n_rationale; i++) {
		const struct decision_reason *r = &d->rationale[i];
		json_t *facts = json_array();
		for (size_t f = 0; f < r->n_facts; f++)
			json_array_append_new(facts,
			                      json_string(r->facts[f].text));
		json_t *o = json_pack("{s:s,s:s,s:s,s:o}", "kind",
		                      decision_reason_kind_name(r->kind),
		                      "rule", r->rule ? r->rule : "", "why",
		                      r->why ? r->why : "", "facts", facts);
		if (r->actor)
			json_object_set_new(o, "by", json_string(r->actor));
		json_array_append_new(a, o);
	}
	return a;
}

static json_t *texts_json(const struct protocol_texts *t, const char *language)
{
	return json_string(protocol_text_get(t, language));
}

static json_t *question_json(const struct protocol_question *q, bool covert,
                             const char *language)
{
	const struct protocol_texts *text =
	    covert && q->covert.n ? &q->covert : &q->text;
	json_t *o = json_pack(
	    "{s:s,s:s,s:o,s:o,s:b}", "id", q->id, "type",
	    rule_answer_kind_name(q->kind), "text", texts_json(text, language),
	    "why", texts_json(&q->why, language), "safety", q->safety);
	if (q->kind == RULE_ANSWER_CHOICE) {
		json_t *choices = json_array();
		for (size_t i = 0; i < q->n_choices; i++) {
			json_t *ch = json_pack("{s:s}", "id", q->choices[i]);
			if (q->choice_labels)
				json_object_set_new(
				    ch, "label",
				    texts_json(&q->choice_labels[i], language));
			json_array_append_new(choices, ch);
		}
		json_object_set_new(o, "choices", choices);
	}
	if (q->kind == RULE_ANSWER_NUMBER) {
		json_object_set_new(o, "min", json_integer(q->min));
		json_object_set_new(o, "max", json_integer(q->max));
	}
	return o;
}

json_t *decision_json(const struct decision *d, const struct protocol *proto,
                      const struct policy *pol, const struct call *c,
                      const char *language, decision_note_fn note_text,
                      void *ctx)
{
	json_t *o = json_object();
	json_object_set_new(o, "category",
	                    json_string(call_category_name(d->category)));
	json_object_set_new(o, "recommended_category",
	                    json_string(call_category_name(d->recommended)));
	json_object_set_new(o, "overridden", json_boolean(d->overridden));
	json_object_set_new(o, "priority", json_integer(d->priority));
	json_object_set_new(o, "covert", json_boolean(d->covert));
	json_object_set_new(o, "amp", decision_amp_json(d->amp));
	json_object_set_new(o, "indicators",
	                    decision_indicators_json(c, note_text, ctx));

	json_t *actions = json_array();
	for (size_t i = 0; i < d->n_actions; i++) {
		const struct decision_action *a = &d->actions[i];
		long ai = policy_action_index(pol, a->id);
		json_t *ao = json_pack(
		    "{s:s,s:s,s:o,s:b,s:o,s:o}", "id", a->id, "state",
		    call_action_state_name(a->state), "label",
		    json_string(ai >= 0 ? protocol_text_get(
		                              &pol->actions[ai].label, language)
		                        : ""),
		    "required_by_policy", a->required_by_policy,
		    "required_since", time_json(a->required_since_ms), "rule",
		    a->rule ? json_string(a->rule) : json_null());
		json_array_append_new(actions, ao);
	}
	json_object_set_new(o, "actions", actions);

	json_t *next = json_array();
	for (size_t i = 0; i < d->n_next; i++)
		json_array_append_new(
		    next, question_json(&proto->questions[d->next[i]],
		                        d->covert, language));
	json_object_set_new(o, "next_questions", next);
	json_object_set_new(o, "unanswered",
	                    json_integer((json_int_t)d->unanswered));
	json_object_set_new(o, "rationale", decision_rationale_json(d));
	json_object_set_new(o, "protocol",
	                    json_pack("{s:s,s:s}", "id", d->protocol_id,
	                              "version", d->protocol_version));
	json_object_set_new(o, "policy",
	                    json_pack("{s:s,s:s}", "id", d->policy_id,
	                              "version", d->policy_version));
	return o;
}
