/*
 * assess.c - builds a call in memory from a JSON description, through the
 * same events as a stored call, and returns the protocol's decision on it.
 */
#include "service/assess.h"

#include <stdlib.h>
#include <string.h>

#include "core/call.h"
#include "formats/decision_json.h"
#include "util/mem.h"
#include "util/str.h"

struct notes {
	const char *text[ASSESS_NOTES_MAX];
	int64_t seq[ASSESS_NOTES_MAX];
	size_t n;
};

static const char *note_text(void *ctx, int64_t note)
{
	const struct notes *n = ctx;
	for (size_t i = 0; i < n->n; i++)
		if (n->seq[i] == note)
			return n->text[i];
	return NULL;
}

/* Validates and applies `e` to `c`; errors name `field`. */
static enum htd_err apply(struct call *c, struct call_event *e,
                          const char *field, struct htd_error *err)
{
	enum htd_err rc = call_event_validate(e, err);
	if (rc == HTD_OK)
		rc = call_apply(c, e, err);
	if (rc != HTD_OK && err && field && !err->field[0])
		str_copy(err->field, sizeof(err->field), field);
	else if (rc != HTD_OK && err && field) {
		char inner[HTD_ERROR_FIELD_MAX];
		str_copy(inner, sizeof(inner), err->field);
		str_format(err->field, sizeof(err->field), "%s.%s", field,
		           inner);
	}
	return rc;
}

static const char *string_member(const json_t *o, const char *key,
                                 const char *field, enum htd_err *rc,
                                 struct htd_error *err)
{
	const json_t *v = json_object_get(o, key);
	if (!v || json_is_null(v))
		return NULL;
	if (!json_is_string(v)) {
		*rc = htd_error_field(err, HTD_ERR_INVALID, field,
		                      "%s must be a string", field);
		return NULL;
	}
	return json_string_value(v);
}

static enum htd_err check_members(const json_t *o, const char *const *known,
                                  const char *where, struct htd_error *err)
{
	const char *key;
	json_t *v;
	json_object_foreach((json_t *)o, key, v)
	{
		bool ok = false;
		for (size_t i = 0; known[i] && !ok; i++)
			ok = strcmp(key, known[i]) == 0;
		if (!ok) {
			char field[HTD_ERROR_FIELD_MAX];
			str_format(field, sizeof(field), "%s%s%.40s", where,
			           where[0] ? "." : "", key);
			return htd_error_field(err, HTD_ERR_INVALID, field,
			                       "unknown member \"%.40s\"%s%s",
			                       key, where[0] ? " in " : "",
			                       where);
		}
	}
	return HTD_OK;
}

/* What a JSON value is, for messages: "a boolean", "an object"... */
static const char *json_kind(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: return "an object";
	case JSON_ARRAY: return "an array";
	case JSON_STRING: return "a string";
	case JSON_INTEGER: return "an integer";
	case JSON_REAL: return "a number with a fraction";
	case JSON_TRUE:
	case JSON_FALSE: return "a boolean";
	case JSON_NULL: return "null";
	}
	return "a value";
}

static enum htd_err add_answers(struct engine *en, struct call *c,
                                const json_t *answers, int64_t at,
                                json_t *warnings, struct htd_error *err)
{
	const char *key;
	json_t *v;
	if (!json_is_object(answers))
		return htd_error_field(err, HTD_ERR_INVALID, "answers",
		                       "answers must be an object of question "
		                       "id to answer");
	json_object_foreach((json_t *)answers, key, v)
	{
		char field[HTD_ERROR_FIELD_MAX];
		char value[64];
		const char *text;
		str_format(field, sizeof(field), "answers.%.50s", key);
		long qi = protocol_question_index(&en->protocol, key);
		if (qi < 0) {
			json_array_append_new(
			    warnings,
			    json_sprintf("answers.%.64s: the protocol has no "
			                 "question \"%.64s\"; ignored",
			                 key, key));
			continue;
		}
		if (json_is_null(v))
			continue; /* not answered */
		if (json_is_string(v)) {
			text = json_string_value(v);
		} else if (json_is_integer(v)) {
			str_format(value, sizeof(value), "%lld",
			           (long long)json_integer_value(v));
			text = value;
		} else {
			bool number = en->protocol.questions[qi].kind ==
			              RULE_ANSWER_NUMBER;
			return htd_error_field(
			    err, HTD_ERR_INVALID, field,
			    "the answer to %.64s must be a string%s, not %s",
			    key, number ? " or a whole number" : "",
			    json_kind(v));
		}
		char canonical[CALL_ANSWER_MAX + 1];
		enum htd_err rc = protocol_answer_normalise(
		    &en->protocol.questions[qi], text, canonical,
		    sizeof(canonical), err);
		if (rc != HTD_OK) {
			if (err)
				str_copy(err->field, sizeof(err->field), field);
			return rc;
		}
		struct call_event e = { .type = CALL_EVENT_ANSWER_RECORDED,
			                .at_ms = at,
			                .actor = "assess" };
		e.u.answer.question = key;
		e.u.answer.value = canonical;
		rc = apply(c, &e, NULL, err);
		if (rc != HTD_OK) {
			if (err)
				str_copy(err->field, sizeof(err->field), field);
			return rc;
		}
	}
	return HTD_OK;
}

static enum htd_err add_note(struct engine *en, struct call *c,
                             struct notes *notes, const json_t *v,
                             const char *field, int64_t at,
                             struct htd_error *err)
{
	if (!json_is_string(v))
		return htd_error_field(err, HTD_ERR_INVALID, field,
		                       "%s must be a string", field);
	if (notes->n >= ASSESS_NOTES_MAX)
		return htd_error_field(err, HTD_ERR_TOO_LARGE, "notes",
		                       "at most %d notes", ASSESS_NOTES_MAX);
	const char *text = json_string_value(v);
	if (str_empty(text))
		return HTD_OK;
	struct call_event e = { .type = CALL_EVENT_NOTE_ADDED,
		                .at_ms = at,
		                .actor = "assess" };
	e.u.note.text = text;
	int64_t seq = c->version + 1;
	enum htd_err rc = apply(c, &e, field, err);
	if (rc != HTD_OK)
		return rc;
	notes->text[notes->n] = text;
	notes->seq[notes->n++] = seq;

	struct call_hit *hits = NULL;
	size_t n_hits = 0;
	rc = engine_scan_note(en, text, seq, &hits, &n_hits, err);
	if (rc == HTD_OK && n_hits) {
		struct call_event ie = { .type = CALL_EVENT_INDICATORS_FOUND,
			                 .at_ms = at,
			                 .actor = "assess" };
		ie.u.indicators.note = seq;
		ie.u.indicators.hits = hits;
		ie.u.indicators.n_hits = n_hits;
		rc = apply(c, &ie, field, err);
	}
	free(hits);
	return rc;
}

static enum htd_err add_marks(struct engine *en, struct call *c,
                              const json_t *marks, int64_t at,
                              struct htd_error *err)
{
	static const char *const known[] = { "action", "state", "reason",
		                             NULL };
	size_t i;
	json_t *m;
	if (!json_is_array(marks))
		return htd_error_field(err, HTD_ERR_INVALID, "actions",
		                       "actions must be an array of "
		                       "{action, state, reason}");
	json_array_foreach(marks, i, m)
	{
		char field[HTD_ERROR_FIELD_MAX];
		enum htd_err rc = HTD_OK;
		str_format(field, sizeof(field), "actions[%zu]", i);
		if (!json_is_object(m))
			return htd_error_field(err, HTD_ERR_INVALID, field,
			                       "%s must be an object", field);
		rc = check_members(m, known, field, err);
		if (rc != HTD_OK)
			return rc;
		const char *action =
		    string_member(m, "action", "action", &rc, err);
		const char *state =
		    string_member(m, "state", "state", &rc, err);
		const char *reason =
		    string_member(m, "reason", "reason", &rc, err);
		if (rc != HTD_OK)
			return rc;
		struct call_event e = { .type = CALL_EVENT_ACTION_MARKED,
			                .at_ms = at,
			                .actor = "assess" };
		if (!action || policy_action_index(&en->policy, action) < 0)
			return htd_error_field(err, HTD_ERR_INVALID, field,
			                       "%s: \"%.40s\" is not an action "
			                       "of the policy",
			                       field, action ? action : "");
		if (!state || !call_action_state_parse(state, &e.u.mark.state))
			return htd_error_field(err, HTD_ERR_INVALID, field,
			                       "%s: state must be done, "
			                       "not_applicable or required",
			                       field);
		e.u.mark.action = action;
		e.u.mark.reason = reason ? reason : "";
		rc = apply(c, &e, field, err);
		if (rc != HTD_OK)
			return rc;
	}
	return HTD_OK;
}

enum htd_err assess_json(struct engine *en, const json_t *input, int64_t now_ms,
                         json_t **out, struct htd_error *err)
{
	static const char *const known[] = { "id",      "channel", "language",
		                             "notes",   "answers", "override",
		                             "actions", NULL };
	struct notes notes = { .n = 0 };
	json_t *warnings = json_array();
	struct call c;
	enum htd_err rc = HTD_OK;
	char language[CALL_LANGUAGE_MAX + 1];

	call_init(&c);
	*out = NULL;
	if (!json_is_object(input)) {
		rc = htd_error_set(err, HTD_ERR_INVALID,
		                   "the input must be a JSON object describing "
		                   "one call");
		goto out;
	}
	rc = check_members(input, known, "", err);
	if (rc != HTD_OK)
		goto out;
	const char *channel =
	    string_member(input, "channel", "channel", &rc, err);
	const char *lang =
	    string_member(input, "language", "language", &rc, err);
	if (rc != HTD_OK)
		goto out;
	struct call_event e = { .type = CALL_EVENT_OPENED,
		                .at_ms = now_ms,
		                .actor = "assess" };
	e.u.opened.channel = CALL_CHANNEL_VOICE;
	if (channel && !call_channel_parse(channel, &e.u.opened.channel)) {
		rc = htd_error_field(err, HTD_ERR_INVALID, "channel",
		                     "unknown channel \"%.40s\"; use voice, "
		                     "text, tty, video, admin or transfer",
		                     channel);
		goto out;
	}
	if (!call_language_normalise(lang ? lang : "en", language,
	                             sizeof(language))) {
		rc = htd_error_field(err, HTD_ERR_INVALID, "language",
		                     "language must be a BCP 47 tag such as "
		                     "en, es or es-MX, not \"%.40s\"",
		                     lang);
		goto out;
	}
	e.u.opened.language = language;
	e.u.opened.location_text = "";
	e.u.opened.callback_number = "";
	e.u.opened.caller_name = "";
	rc = apply(&c, &e, NULL, err);
	if (rc != HTD_OK)
		goto out;

	const json_t *answers = json_object_get(input, "answers");
	if (answers && !json_is_null(answers)) {
		rc = add_answers(en, &c, answers, now_ms, warnings, err);
		if (rc != HTD_OK)
			goto out;
	}
	const json_t *n = json_object_get(input, "notes");
	if (json_is_array(n)) {
		size_t i;
		json_t *v;
		json_array_foreach(n, i, v)
		{
			char field[32];
			str_format(field, sizeof(field), "notes[%zu]", i);
			rc = add_note(en, &c, &notes, v, field, now_ms, err);
			if (rc != HTD_OK)
				goto out;
		}
	} else if (n && !json_is_null(n)) {
		rc = add_note(en, &c, &notes, n, "notes", now_ms, err);
		if (rc != HTD_OK)
			goto out;
	}
	const json_t *ov = json_object_get(input, "override");
	if (ov && !json_is_null(ov)) {
		static const char *const ok[] = { "category", "reason", NULL };
		if (!json_is_object(ov)) {
			rc = htd_error_field(err, HTD_ERR_INVALID, "override",
			                     "override must be an object "
			                     "{category, reason}");
			goto out;
		}
		rc = check_members(ov, ok, "override", err);
		if (rc != HTD_OK)
			goto out;
		const char *cat = string_member(ov, "category",
		                                "override.category", &rc, err);
		const char *reason =
		    string_member(ov, "reason", "override.reason", &rc, err);
		if (rc != HTD_OK)
			goto out;
		struct call_event oe = { .type = CALL_EVENT_CATEGORY_OVERRIDDEN,
			                 .at_ms = now_ms,
			                 .actor = "assess" };
		if (!cat ||
		    !call_category_parse(cat, &oe.u.override.category)) {
			rc = htd_error_field(err, HTD_ERR_INVALID,
			                     "override.category",
			                     "override.category must be "
			                     "victim_escape, victim_call, "
			                     "credible_tip or other");
			goto out;
		}
		oe.u.override.reason = reason ? reason : "";
		rc = apply(&c, &oe, "override", err);
		if (rc != HTD_OK)
			goto out;
	}
	const json_t *marks = json_object_get(input, "actions");
	if (marks && !json_is_null(marks)) {
		rc = add_marks(en, &c, marks, now_ms, err);
		if (rc != HTD_OK)
			goto out;
	}

	struct decision d;
	struct decision_input in = { .call = &c, .now_ms = now_ms };
	protocol_decide(&en->protocol, &en->policy, &in, &d);
	*out = decision_json(&d, &en->protocol, &en->policy, &c, c.language,
	                     note_text, &notes);
	decision_free(&d);
	json_object_set(*out, "warnings", warnings);
	const json_t *id = json_object_get(input, "id");
	if (id)
		json_object_set(*out, "id", (json_t *)id);
out:
	json_decref(warnings);
	call_free(&c);
	return rc;
}
