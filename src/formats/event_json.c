/*
 * event_json.c - event payloads and JSON views of calls, with jansson.
 */
#include "formats/event_json.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "util/clock.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/str.h"

static json_t *str_json(const char *s)
{
	return json_string(s ? s : "");
}

static json_t *hits_json(const struct call_hit *hits, size_t n, bool with_note)
{
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++) {
		const struct call_hit *h = &hits[i];
		json_t *o = json_object();
		json_object_set_new(o, "indicator", json_string(h->indicator));
		if (with_note)
			json_object_set_new(o, "note", json_integer(h->note));
		json_object_set_new(o, "start", json_integer(h->start));
		json_object_set_new(o, "end", json_integer(h->end));
		json_object_set_new(o, "negated", json_boolean(h->negated));
		json_object_set_new(o, "hypothetical",
		                    json_boolean(h->hypothetical));
		json_object_set_new(o, "historical",
		                    json_boolean(h->historical));
		json_object_set_new(o, "subject", json_string(h->subject));
		json_array_append_new(a, o);
	}
	return a;
}

/* The payload of `e` as a new JSON object. */
static json_t *payload_json(const struct call_event *e)
{
	json_t *o = json_object();
	switch (e->type) {
	case CALL_EVENT_OPENED:
		json_object_set_new(
		    o, "channel",
		    json_string(call_channel_name(e->u.opened.channel)));
		json_object_set_new(o, "language",
		                    str_json(e->u.opened.language));
		json_object_set_new(o, "location",
		                    str_json(e->u.opened.location_text));
		json_object_set_new(o, "callback",
		                    str_json(e->u.opened.callback_number));
		json_object_set_new(o, "caller_name",
		                    str_json(e->u.opened.caller_name));
		break;
	case CALL_EVENT_NOTE_ADDED:
		json_object_set_new(o, "text", str_json(e->u.note.text));
		break;
	case CALL_EVENT_ANSWER_RECORDED:
		json_object_set_new(o, "question",
		                    str_json(e->u.answer.question));
		json_object_set_new(o, "value", str_json(e->u.answer.value));
		break;
	case CALL_EVENT_CLOSED:
		json_object_set_new(o, "disposition",
		                    json_string(call_disposition_name(
		                        e->u.closed.disposition)));
		json_object_set_new(o, "summary",
		                    str_json(e->u.closed.summary));
		break;
	case CALL_EVENT_INDICATORS_FOUND:
		json_object_set_new(o, "note",
		                    json_integer(e->u.indicators.note));
		json_object_set_new(o, "hits",
		                    hits_json(e->u.indicators.hits,
		                              e->u.indicators.n_hits, false));
		break;
	case CALL_EVENT_DECISION_MADE: {
		json_object_set_new(
		    o, "recommended",
		    json_string(call_category_name(e->u.decision.recommended)));
		json_object_set_new(
		    o, "category",
		    json_string(call_category_name(e->u.decision.category)));
		json_object_set_new(o, "priority",
		                    json_integer(e->u.decision.priority));
		json_object_set_new(o, "decided_with",
		                    str_json(e->u.decision.decided_with));
		json_t *a = json_array();
		for (size_t i = 0; i < e->u.decision.n_actions; i++) {
			const struct call_action *x = &e->u.decision.actions[i];
			json_t *ao = json_object();
			json_object_set_new(ao, "id", str_json(x->id));
			json_object_set_new(
			    ao, "state",
			    json_string(call_action_state_name(x->state)));
			json_object_set_new(ao, "required_since",
			                    time_json(x->required_since_ms));
			json_array_append_new(a, ao);
		}
		json_object_set_new(o, "actions", a);
		break;
	}
	case CALL_EVENT_CATEGORY_OVERRIDDEN:
		json_object_set_new(
		    o, "category",
		    json_string(call_category_name(e->u.override.category)));
		json_object_set_new(o, "reason",
		                    str_json(e->u.override.reason));
		break;
	case CALL_EVENT_ACTION_MARKED:
		json_object_set_new(o, "action", str_json(e->u.mark.action));
		json_object_set_new(
		    o, "state",
		    json_string(call_action_state_name(e->u.mark.state)));
		json_object_set_new(o, "reason", str_json(e->u.mark.reason));
		break;
	case CALL_EVENT_NOTICE_QUEUED:
	case CALL_EVENT_NOTICE_DELIVERED:
	case CALL_EVENT_NOTICE_FAILED:
	case CALL_EVENT_NOTICE_CANCELLED:
	case CALL_EVENT_TASK_CONFIRMED:
		json_object_set_new(o, "kind", str_json(e->u.notice.kind));
		json_object_set_new(o, "action", str_json(e->u.notice.action));
		json_object_set_new(o, "target", str_json(e->u.notice.target));
		json_object_set_new(o, "key", str_json(e->u.notice.key));
		json_object_set_new(o, "detail", str_json(e->u.notice.detail));
		json_object_set_new(o, "completes",
		                    json_boolean(e->u.notice.completes));
		break;
	case CALL_EVENT_RECORDS_SUGGESTED: {
		json_t *a = json_array();
		for (size_t i = 0; i < e->u.suggested.n; i++) {
			const struct call_suggestion *g =
			    &e->u.suggested.items[i];
			json_array_append_new(
			    a, json_pack("{s:I,s:s,s:s,s:f,s:b,s:s,s:s}",
			                 "record", (json_int_t)g->record,
			                 "kind", g->kind, "label", g->label,
			                 "weight", g->weight, "match", g->match,
			                 "from", g->from, "why", g->why));
		}
		json_object_set_new(o, "records", a);
		break;
	}
	case CALL_EVENT_RECORD_LINKED:
		json_object_set_new(o, "record",
		                    json_integer((json_int_t)e->u.link.record));
		json_object_set_new(o, "confirmed",
		                    json_boolean(e->u.link.confirmed));
		json_object_set_new(o, "reason", str_json(e->u.link.reason));
		break;
	case CALL_EVENT__COUNT: break;
	}
	return o;
}

static char *dump_payload(json_t *o)
{
	char *text = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	if (!text)
		mem_oom(0);
	return text;
}

char *event_json_encode(const struct call_event *e)
{
	json_t *o = payload_json(e);
	char *text = dump_payload(o);
	json_decref(o);
	return text;
}

/* Record-only members of each event type: kept in the payload, read by
 * people and audits, not part of struct call_event. The decoder accepts
 * exactly these. */
static bool record_only_member(enum call_event_type t, const char *key,
                               const json_t *v)
{
	return t == CALL_EVENT_DECISION_MADE && strcmp(key, "rationale") == 0 &&
	       json_is_array(v);
}

char *event_json_encode_with(const struct call_event *e, json_t *extra)
{
	json_t *o = payload_json(e);
	char *text = NULL;
	const char *key;
	json_t *v;
	if (!json_is_object(extra))
		goto out;
	json_object_foreach(extra, key, v)
	{
		if (record_only_member(e->type, key, v))
			json_object_set(o, key, v);
		else
			log_event(LOG_WARN, "event_member_dropped", "type",
			          call_event_type_name(e->type), "member", key,
			          NULL);
	}
	text = dump_payload(o);
	if (strlen(text) <= EVENT_PAYLOAD_MAX)
		goto out;
	/* Too large to be read back: keep the event, say what was left out.
	 * A valid event alone always fits. */
	char omitted[96];
	str_format(omitted, sizeof(omitted),
	           "omitted: the payload would be %zu bytes; the limit is %d",
	           strlen(text), EVENT_PAYLOAD_MAX);
	free(text);
	text = NULL;
	json_object_foreach(extra, key, v)
	{
		if (record_only_member(e->type, key, v))
			json_object_set_new(o, key, json_pack("[s]", omitted));
	}
out:
	if (!text)
		text = dump_payload(o);
	json_decref(o);
	return text;
}

/* ---- decoding --------------------------------------------------------- */

/* Writes the name of member `key` of the object at `prefix` ("" for the
 * payload, "hits[2]." for a hit) to `out`. */
static const char *field_name(char *out, size_t size, const char *prefix,
                              const char *key)
{
	str_format(out, size, "%s%s", prefix, key);
	return out;
}

/* Fails, naming the member, when `o` has a member not in `allowed`. */
static enum htd_err only_members(json_t *o, const char *const *allowed,
                                 size_t n, const char *prefix,
                                 struct htd_error *err)
{
	const char *key;
	json_t *v;
	json_object_foreach(o, key, v)
	{
		bool known = false;
		for (size_t i = 0; i < n; i++)
			known = known || strcmp(key, allowed[i]) == 0;
		if (known)
			continue;
		if (prefix[0] == '\0')
			return htd_error_field(err, HTD_ERR_INVALID, "payload",
			                       "unknown event payload member "
			                       "'%.40s'",
			                       key);
		char where[HTD_ERROR_FIELD_MAX];
		str_copy(where, sizeof(where), prefix);
		where[strlen(where) - 1] = '\0'; /* "hits[2]." -> "hits[2]" */
		return htd_error_field(err, HTD_ERR_INVALID, where,
		                       "unknown event payload member '%.40s' "
		                       "in %s",
		                       key, where);
	}
	return HTD_OK;
}

static enum htd_err get_string(json_t *o, const char *prefix, const char *key,
                               const char **out, struct htd_error *err)
{
	char f[HTD_ERROR_FIELD_MAX];
	field_name(f, sizeof(f), prefix, key);
	json_t *v = json_object_get(o, key);
	if (!v || !json_is_string(v))
		return htd_error_field(err, HTD_ERR_INVALID, f,
		                       "event payload member '%s' is %s", f,
		                       v ? "not a string" : "missing");
	if (strlen(json_string_value(v)) != json_string_length(v))
		return htd_error_field(err, HTD_ERR_INVALID, f,
		                       "event payload member '%s' holds a NUL "
		                       "character",
		                       f);
	*out = json_string_value(v);
	return HTD_OK;
}

static enum htd_err get_integer(json_t *o, const char *prefix, const char *key,
                                int64_t min, int64_t max, int64_t *out,
                                struct htd_error *err)
{
	char f[HTD_ERROR_FIELD_MAX];
	field_name(f, sizeof(f), prefix, key);
	json_t *v = json_object_get(o, key);
	if (!v || !json_is_integer(v))
		return htd_error_field(err, HTD_ERR_INVALID, f,
		                       "event payload member '%s' is %s", f,
		                       v ? "not an integer" : "missing");
	json_int_t n = json_integer_value(v);
	if (n < min || n > max)
		return htd_error_field(err, HTD_ERR_INVALID, f,
		                       "event payload member '%s' is %lld; it "
		                       "must be %lld..%lld",
		                       f, (long long)n, (long long)min,
		                       (long long)max);
	*out = n;
	return HTD_OK;
}

static enum htd_err get_bool(json_t *o, const char *prefix, const char *key,
                             bool *out, struct htd_error *err)
{
	char f[HTD_ERROR_FIELD_MAX];
	field_name(f, sizeof(f), prefix, key);
	json_t *v = json_object_get(o, key);
	if (!v || !json_is_boolean(v))
		return htd_error_field(err, HTD_ERR_INVALID, f,
		                       "event payload member '%s' is %s", f,
		                       v ? "not true or false" : "missing");
	*out = json_is_true(v);
	return HTD_OK;
}

/* A time as time_json() writes it (RFC 3339 UTC with milliseconds), or
 * null for none (0). Only that form: a stored time never depends on the
 * reader's time zone. */
static enum htd_err get_time(json_t *o, const char *prefix, const char *key,
                             int64_t *out, struct htd_error *err)
{
	char f[HTD_ERROR_FIELD_MAX];
	char canonical[TIME_TEXT_MAX];
	int64_t ms = 0;
	field_name(f, sizeof(f), prefix, key);
	json_t *v = json_object_get(o, key);
	if (v && json_is_null(v)) {
		*out = 0;
		return HTD_OK;
	}
	if (!v || !json_is_string(v) ||
	    strlen(json_string_value(v)) != json_string_length(v) ||
	    time_parse(json_string_value(v), f, &ms, NULL) != HTD_OK ||
	    !time_format_utc(ms, canonical, sizeof(canonical)) ||
	    strcmp(canonical, json_string_value(v)) != 0)
		return htd_error_field(err, HTD_ERR_INVALID, f,
		                       "event payload member '%s' is %s", f,
		                       v ? "not a UTC time such as "
		                           "2026-11-29T08:54:19.123Z, or null"
		                         : "missing");
	*out = ms;
	return HTD_OK;
}

static enum htd_err get_array(json_t *o, const char *key, size_t max,
                              json_t **out, struct htd_error *err)
{
	json_t *v = json_object_get(o, key);
	if (!v || !json_is_array(v))
		return htd_error_field(err, HTD_ERR_INVALID, key,
		                       "event payload member '%s' is %s", key,
		                       v ? "not an array" : "missing");
	if (json_array_size(v) > max)
		return htd_error_field(err, HTD_ERR_TOO_LARGE, key,
		                       "event payload member '%s' has %zu "
		                       "elements; the limit is %zu",
		                       key, json_array_size(v), max);
	*out = v;
	return HTD_OK;
}

/* Element `i` of array `key`, which must be an object; writes its member
 * prefix ("hits[2].") to `prefix`. */
static enum htd_err get_element(json_t *array, const char *key, size_t i,
                                char *prefix, size_t size, json_t **out,
                                struct htd_error *err)
{
	char f[HTD_ERROR_FIELD_MAX];
	str_format(f, sizeof(f), "%s[%zu]", key, i);
	json_t *v = json_array_get(array, i);
	if (!json_is_object(v))
		return htd_error_field(err, HTD_ERR_INVALID, f,
		                       "event payload member '%s' is not an "
		                       "object",
		                       f);
	str_format(prefix, size, "%s.", f);
	*out = v;
	return HTD_OK;
}

static enum htd_err get_category(json_t *o, const char *key,
                                 enum call_category *out, struct htd_error *err)
{
	const char *v;
	enum htd_err rc = get_string(o, "", key, &v, err);
	if (rc == HTD_OK && !call_category_parse(v, out))
		rc = htd_error_field(err, HTD_ERR_INVALID, key,
		                     "unknown category '%.40s'", v);
	return rc;
}

static enum htd_err get_action_state(json_t *o, const char *prefix,
                                     const char *key,
                                     enum call_action_state *out,
                                     struct htd_error *err)
{
	char f[HTD_ERROR_FIELD_MAX];
	const char *v;
	enum htd_err rc = get_string(o, prefix, key, &v, err);
	if (rc == HTD_OK && !call_action_state_parse(v, out))
		rc = htd_error_field(err, HTD_ERR_INVALID,
		                     field_name(f, sizeof(f), prefix, key),
		                     "unknown action state '%.40s'", v);
	return rc;
}

/* Copies a string member into a fixed-size array of a hit. */
static enum htd_err get_fixed(json_t *o, const char *prefix, const char *key,
                              char *out, size_t size, struct htd_error *err)
{
	char f[HTD_ERROR_FIELD_MAX];
	const char *v;
	enum htd_err rc = get_string(o, prefix, key, &v, err);
	if (rc == HTD_OK && !str_copy(out, size, v))
		rc = htd_error_field(err, HTD_ERR_INVALID,
		                     field_name(f, sizeof(f), prefix, key),
		                     "event payload member '%s' is too long "
		                     "(at most %zu bytes)",
		                     f, size - 1);
	return rc;
}

/* call_opened, note_added, answer_recorded and call_closed: every member
 * is a string. */
static enum htd_err decode_strings(json_t *doc, struct call_event *e,
                                   struct htd_error *err)
{
	static const char *const opened[] = { "channel", "language", "location",
		                              "callback", "caller_name" };
	static const char *const note[] = { "text" };
	static const char *const answer[] = { "question", "value" };
	static const char *const closed[] = { "disposition", "summary" };
	const char *const *members = NULL;
	size_t n = 0;
	switch (e->type) {
	case CALL_EVENT_OPENED: members = opened, n = 5; break;
	case CALL_EVENT_NOTE_ADDED: members = note, n = 1; break;
	case CALL_EVENT_ANSWER_RECORDED: members = answer, n = 2; break;
	case CALL_EVENT_CLOSED: members = closed, n = 2; break;
	case CALL_EVENT_INDICATORS_FOUND:
	case CALL_EVENT_DECISION_MADE:
	case CALL_EVENT_CATEGORY_OVERRIDDEN:
	case CALL_EVENT_ACTION_MARKED:
	case CALL_EVENT_NOTICE_QUEUED:
	case CALL_EVENT_NOTICE_DELIVERED:
	case CALL_EVENT_NOTICE_FAILED:
	case CALL_EVENT_NOTICE_CANCELLED:
	case CALL_EVENT_TASK_CONFIRMED:
	case CALL_EVENT_RECORDS_SUGGESTED:
	case CALL_EVENT_RECORD_LINKED:
	case CALL_EVENT__COUNT: break;
	}
	const char *values[5] = { 0 };
	for (size_t i = 0; i < n; i++) {
		enum htd_err rc =
		    get_string(doc, "", members[i], &values[i], err);
		if (rc != HTD_OK)
			return rc;
	}
	enum htd_err rc = only_members(doc, members, n, "", err);
	if (rc != HTD_OK)
		return rc;

	switch (e->type) {
	case CALL_EVENT_OPENED:
		if (!call_channel_parse(values[0], &e->u.opened.channel))
			return htd_error_field(err, HTD_ERR_INVALID, "channel",
			                       "unknown channel '%.40s'",
			                       values[0]);
		e->u.opened.language = values[1];
		e->u.opened.location_text = values[2];
		e->u.opened.callback_number = values[3];
		e->u.opened.caller_name = values[4];
		break;
	case CALL_EVENT_NOTE_ADDED: e->u.note.text = values[0]; break;
	case CALL_EVENT_ANSWER_RECORDED:
		e->u.answer.question = values[0];
		e->u.answer.value = values[1];
		break;
	case CALL_EVENT_CLOSED:
		if (!call_disposition_parse(values[0],
		                            &e->u.closed.disposition))
			return htd_error_field(
			    err, HTD_ERR_INVALID, "disposition",
			    "unknown disposition '%.40s'", values[0]);
		e->u.closed.summary = values[1];
		break;
	case CALL_EVENT_INDICATORS_FOUND:
	case CALL_EVENT_DECISION_MADE:
	case CALL_EVENT_CATEGORY_OVERRIDDEN:
	case CALL_EVENT_ACTION_MARKED:
	case CALL_EVENT_NOTICE_QUEUED:
	case CALL_EVENT_NOTICE_DELIVERED:
	case CALL_EVENT_NOTICE_FAILED:
	case CALL_EVENT_NOTICE_CANCELLED:
	case CALL_EVENT_TASK_CONFIRMED:
	case CALL_EVENT_RECORDS_SUGGESTED:
	case CALL_EVENT_RECORD_LINKED:
	case CALL_EVENT__COUNT: break;
	}
	return HTD_OK;
}

static enum htd_err decode_indicators(json_t *doc, struct event_decoded *out,
                                      struct htd_error *err)
{
	static const char *const members[] = { "note", "hits" };
	static const char *const hit_members[] = {
		"indicator",    "start",      "end",     "negated",
		"hypothetical", "historical", "subject",
	};
	struct call_event *e = &out->event;
	int64_t note = 0;
	json_t *hits = NULL;
	enum htd_err rc = only_members(doc, members, 2, "", err);
	if (rc == HTD_OK)
		rc = get_integer(doc, "", "note", 1, INT64_MAX, &note, err);
	if (rc == HTD_OK)
		rc = get_array(doc, "hits", CALL_HITS_EVENT_MAX, &hits, err);
	if (rc != HTD_OK)
		return rc;
	size_t n = json_array_size(hits);
	if (n > 0)
		out->hits = xcalloc(n, sizeof(*out->hits));
	for (size_t i = 0; i < n && rc == HTD_OK; i++) {
		struct call_hit *h = &out->hits[i];
		char prefix[HTD_ERROR_FIELD_MAX];
		json_t *o = NULL;
		int64_t start = 0, end = 0;
		h->note = note;
		rc = get_element(hits, "hits", i, prefix, sizeof(prefix), &o,
		                 err);
		if (rc == HTD_OK)
			rc = only_members(o, hit_members, 7, prefix, err);
		if (rc == HTD_OK)
			rc = get_fixed(o, prefix, "indicator", h->indicator,
			               sizeof(h->indicator), err);
		if (rc == HTD_OK)
			rc = get_integer(o, prefix, "start", 0, UINT32_MAX,
			                 &start, err);
		if (rc == HTD_OK)
			rc = get_integer(o, prefix, "end", 0, UINT32_MAX, &end,
			                 err);
		if (rc == HTD_OK)
			rc = get_bool(o, prefix, "negated", &h->negated, err);
		if (rc == HTD_OK)
			rc = get_bool(o, prefix, "hypothetical",
			              &h->hypothetical, err);
		if (rc == HTD_OK)
			rc = get_bool(o, prefix, "historical", &h->historical,
			              err);
		if (rc == HTD_OK)
			rc = get_fixed(o, prefix, "subject", h->subject,
			               sizeof(h->subject), err);
		h->start = (uint32_t)start;
		h->end = (uint32_t)end;
	}
	e->u.indicators.note = note;
	e->u.indicators.hits = out->hits;
	e->u.indicators.n_hits = n;
	return rc;
}

static enum htd_err decode_decision(json_t *doc, struct event_decoded *out,
                                    struct htd_error *err)
{
	/* "rationale" is record-only: any array, kept in the payload. */
	static const char *const members[] = { "recommended", "category",
		                               "priority",    "decided_with",
		                               "actions",     "rationale" };
	static const char *const action_members[] = { "id", "state",
		                                      "required_since" };
	struct call_event *e = &out->event;
	int64_t priority = 0;
	json_t *actions = NULL;
	enum htd_err rc = only_members(doc, members, 6, "", err);
	if (rc == HTD_OK)
		rc = get_category(doc, "recommended",
		                  &e->u.decision.recommended, err);
	if (rc == HTD_OK)
		rc =
		    get_category(doc, "category", &e->u.decision.category, err);
	if (rc == HTD_OK)
		rc = get_integer(doc, "", "priority", INT_MIN, INT_MAX,
		                 &priority, err);
	if (rc == HTD_OK)
		rc = get_string(doc, "", "decided_with",
		                &e->u.decision.decided_with, err);
	if (rc == HTD_OK)
		rc = get_array(doc, "actions", CALL_ACTIONS_MAX, &actions, err);
	if (rc == HTD_OK && json_object_get(doc, "rationale") &&
	    !json_is_array(json_object_get(doc, "rationale")))
		rc = htd_error_field(err, HTD_ERR_INVALID, "rationale",
		                     "event payload member 'rationale' is not "
		                     "an array");
	if (rc != HTD_OK)
		return rc;
	e->u.decision.priority = (int)priority;
	size_t n = json_array_size(actions);
	if (n > 0)
		out->actions = xcalloc(n, sizeof(*out->actions));
	for (size_t i = 0; i < n && rc == HTD_OK; i++) {
		struct call_action *a = &out->actions[i];
		char prefix[HTD_ERROR_FIELD_MAX];
		json_t *o = NULL;
		const char *id = NULL;
		rc = get_element(actions, "actions", i, prefix, sizeof(prefix),
		                 &o, err);
		if (rc == HTD_OK)
			rc = only_members(o, action_members, 3, prefix, err);
		if (rc == HTD_OK)
			rc = get_string(o, prefix, "id", &id, err);
		if (rc == HTD_OK) {
			a->id = xstrdup(id);
			out->n_actions = i + 1;
			rc = get_action_state(o, prefix, "state", &a->state,
			                      err);
		}
		if (rc == HTD_OK)
			rc = get_time(o, prefix, "required_since",
			              &a->required_since_ms, err);
	}
	e->u.decision.actions = out->actions;
	e->u.decision.n_actions = n;
	return rc;
}

static enum htd_err decode_override(json_t *doc, struct call_event *e,
                                    struct htd_error *err)
{
	static const char *const members[] = { "category", "reason" };
	enum htd_err rc = only_members(doc, members, 2, "", err);
	if (rc == HTD_OK)
		rc =
		    get_category(doc, "category", &e->u.override.category, err);
	if (rc == HTD_OK)
		rc = get_string(doc, "", "reason", &e->u.override.reason, err);
	return rc;
}

static enum htd_err decode_mark(json_t *doc, struct call_event *e,
                                struct htd_error *err)
{
	static const char *const members[] = { "action", "state", "reason" };
	enum htd_err rc = only_members(doc, members, 3, "", err);
	if (rc == HTD_OK)
		rc = get_string(doc, "", "action", &e->u.mark.action, err);
	if (rc == HTD_OK)
		rc = get_action_state(doc, "", "state", &e->u.mark.state, err);
	if (rc == HTD_OK)
		rc = get_string(doc, "", "reason", &e->u.mark.reason, err);
	return rc;
}

static enum htd_err decode_notice(json_t *doc, struct call_event *e,
                                  struct htd_error *err)
{
	static const char *const members[] = { "kind", "action", "target",
		                               "key",  "detail", "completes" };
	enum htd_err rc = only_members(doc, members, 6, "", err);
	if (rc == HTD_OK)
		rc = get_string(doc, "", "kind", &e->u.notice.kind, err);
	if (rc == HTD_OK)
		rc = get_string(doc, "", "action", &e->u.notice.action, err);
	if (rc == HTD_OK)
		rc = get_string(doc, "", "target", &e->u.notice.target, err);
	if (rc == HTD_OK)
		rc = get_string(doc, "", "key", &e->u.notice.key, err);
	if (rc == HTD_OK)
		rc = get_string(doc, "", "detail", &e->u.notice.detail, err);
	if (rc == HTD_OK)
		rc =
		    get_bool(doc, "", "completes", &e->u.notice.completes, err);
	return rc;
}

static enum htd_err decode_suggested(json_t *doc, struct event_decoded *out,
                                     struct htd_error *err)
{
	static const char *const members[] = { "records" };
	static const char *const item_members[] = {
		"record", "kind", "label", "weight", "match", "from", "why",
	};
	json_t *items = NULL;
	enum htd_err rc = only_members(doc, members, 1, "", err);
	if (rc == HTD_OK)
		rc = get_array(doc, "records", CALL_SUGGESTIONS_MAX, &items,
		               err);
	if (rc != HTD_OK)
		return rc;
	size_t n = json_array_size(items);
	out->suggestions = xcalloc(n ? n : 1, sizeof(*out->suggestions));
	for (size_t i = 0; i < n && rc == HTD_OK; i++) {
		json_t *it = json_array_get(items, i);
		struct call_suggestion *g = &out->suggestions[i];
		char prefix[32];
		snprintf(prefix, sizeof(prefix), "records[%zu].", i);
		if (!json_is_object(it)) {
			rc =
			    htd_error_field(err, HTD_ERR_INVALID, "records",
			                    "records[%zu] is not an object", i);
			break;
		}
		rc = only_members(it, item_members, 7, prefix, err);
		if (rc == HTD_OK)
			rc = get_integer(it, prefix, "record", 1, INT64_MAX,
			                 &g->record, err);
		if (rc == HTD_OK)
			rc = get_fixed(it, prefix, "kind", g->kind,
			               sizeof(g->kind), err);
		if (rc == HTD_OK)
			rc = get_fixed(it, prefix, "label", g->label,
			               sizeof(g->label), err);
		if (rc == HTD_OK)
			rc = get_fixed(it, prefix, "from", g->from,
			               sizeof(g->from), err);
		if (rc == HTD_OK)
			rc = get_fixed(it, prefix, "why", g->why,
			               sizeof(g->why), err);
		if (rc == HTD_OK)
			rc = get_bool(it, prefix, "match", &g->match, err);
		if (rc == HTD_OK) {
			json_t *w = json_object_get(it, "weight");
			if (!json_is_number(w))
				rc = htd_error_field(
				    err, HTD_ERR_INVALID, "weight",
				    "%sweight is not a number", prefix);
			else
				g->weight = json_number_value(w);
		}
	}
	out->event.u.suggested.items = out->suggestions;
	out->event.u.suggested.n = n;
	return rc;
}

static enum htd_err decode_link(json_t *doc, struct call_event *e,
                                struct htd_error *err)
{
	static const char *const members[] = { "record", "confirmed",
		                               "reason" };
	enum htd_err rc = only_members(doc, members, 3, "", err);
	if (rc == HTD_OK)
		rc = get_integer(doc, "", "record", 1, INT64_MAX,
		                 &e->u.link.record, err);
	if (rc == HTD_OK)
		rc = get_bool(doc, "", "confirmed", &e->u.link.confirmed, err);
	if (rc == HTD_OK)
		rc = get_string(doc, "", "reason", &e->u.link.reason, err);
	return rc;
}

enum htd_err event_json_decode(const char *type, int64_t at_ms,
                               const char *actor, const char *payload,
                               struct event_decoded *out, struct htd_error *err)
{
	enum htd_err rc = HTD_OK;
	struct call_event *e = &out->event;
	memset(out, 0, sizeof(*out));

	if (!call_event_type_parse(type, &e->type))
		return htd_error_field(err, HTD_ERR_INVALID, "type",
		                       "unknown event type '%.40s'",
		                       type ? type : "");
	size_t len = payload ? strlen(payload) : 0;
	if (len > EVENT_PAYLOAD_MAX)
		return htd_error_field(err, HTD_ERR_TOO_LARGE, "payload",
		                       "event payload is %zu bytes; the limit "
		                       "is %d",
		                       len, EVENT_PAYLOAD_MAX);
	json_error_t jerr;
	/* JSON_ALLOW_NUL: a \u0000 is then caught below, naming the member. */
	json_t *doc =
	    json_loadb(payload ? payload : "", len,
	               JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);
	if (!doc)
		return htd_error_field(err, HTD_ERR_PARSE, "payload",
		                       "event payload is not JSON: %s at "
		                       "line %d, column %d",
		                       jerr.text, jerr.line, jerr.column);
	out->doc = doc;
	if (!json_is_object(doc)) {
		rc = htd_error_field(err, HTD_ERR_INVALID, "payload",
		                     "event payload is not a JSON object");
		goto fail;
	}

	e->at_ms = at_ms;
	e->actor = actor;
	switch (e->type) {
	case CALL_EVENT_OPENED:
	case CALL_EVENT_NOTE_ADDED:
	case CALL_EVENT_ANSWER_RECORDED:
	case CALL_EVENT_CLOSED: rc = decode_strings(doc, e, err); break;
	case CALL_EVENT_INDICATORS_FOUND:
		rc = decode_indicators(doc, out, err);
		break;
	case CALL_EVENT_DECISION_MADE:
		rc = decode_decision(doc, out, err);
		break;
	case CALL_EVENT_CATEGORY_OVERRIDDEN:
		rc = decode_override(doc, e, err);
		break;
	case CALL_EVENT_ACTION_MARKED: rc = decode_mark(doc, e, err); break;
	case CALL_EVENT_NOTICE_QUEUED:
	case CALL_EVENT_NOTICE_DELIVERED:
	case CALL_EVENT_NOTICE_FAILED:
	case CALL_EVENT_NOTICE_CANCELLED:
	case CALL_EVENT_TASK_CONFIRMED: rc = decode_notice(doc, e, err); break;
	case CALL_EVENT_RECORDS_SUGGESTED:
		rc = decode_suggested(doc, out, err);
		break;
	case CALL_EVENT_RECORD_LINKED: rc = decode_link(doc, e, err); break;
	case CALL_EVENT__COUNT: break;
	}
	if (rc == HTD_OK)
		rc = call_event_validate(e, err);
	if (rc != HTD_OK)
		goto fail;
	return HTD_OK;
fail:
	event_decoded_release(out);
	return rc;
}

void event_decoded_release(struct event_decoded *d)
{
	if (!d)
		return;
	json_decref(d->doc);
	free(d->hits);
	for (size_t i = 0; i < d->n_actions; i++)
		free(d->actions[i].id);
	free(d->actions);
	free(d->suggestions);
	memset(d, 0, sizeof(*d));
}

json_t *time_json(int64_t ms)
{
	char t[TIME_TEXT_MAX];
	if (ms <= 0 || !time_format_utc(ms, t, sizeof(t)))
		return json_null();
	return json_string(t);
}

json_t *call_json(const struct call *c)
{
	json_t *o = json_object();
	json_object_set_new(o, "id", json_string(c->ref));
	json_object_set_new(o, "status",
	                    json_string(call_status_name(c->status)));
	json_object_set_new(o, "category",
	                    json_string(call_category_name(c->category)));
	json_object_set_new(o, "channel",
	                    json_string(call_channel_name(c->channel)));
	json_object_set_new(o, "language", str_json(c->language));
	json_object_set_new(o, "location", str_json(c->location_text));
	json_object_set_new(o, "callback", str_json(c->callback_number));
	json_object_set_new(o, "caller_name", str_json(c->caller_name));
	json_object_set_new(o, "opened_by", str_json(c->opened_by));
	json_object_set_new(o, "opened_at", time_json(c->opened_at_ms));
	json_object_set_new(o, "updated_at", time_json(c->updated_at_ms));
	json_object_set_new(o, "closed_at", time_json(c->closed_at_ms));
	json_object_set_new(
	    o, "disposition",
	    c->disposition == CALL_DISPOSITION_NONE
	        ? json_null()
	        : json_string(call_disposition_name(c->disposition)));
	json_object_set_new(o, "close_summary", str_json(c->close_summary));
	json_object_set_new(o, "note_count", json_integer(c->note_count));
	json_object_set_new(o, "version", json_integer(c->version));
	json_t *answers = json_object();
	for (size_t i = 0; i < c->n_answers; i++)
		json_object_set_new(answers, c->answers[i].question,
		                    str_json(c->answers[i].value));
	json_object_set_new(o, "answers", answers);

	json_object_set_new(
	    o, "recommended_category",
	    json_string(call_category_name(c->recommended_category)));
	json_object_set_new(o, "priority",
	                    c->priority ? json_integer(c->priority)
	                                : json_null());
	json_t *override = json_null();
	if (c->override_category != CALL_CATEGORY_UNDETERMINED) {
		override = json_object();
		json_object_set_new(
		    override, "category",
		    json_string(call_category_name(c->override_category)));
		json_object_set_new(override, "reason",
		                    str_json(c->override_reason));
		json_object_set_new(override, "by", str_json(c->override_by));
		json_object_set_new(override, "at",
		                    time_json(c->override_at_ms));
	}
	json_object_set_new(o, "override", override);
	json_t *actions = json_array();
	for (size_t i = 0; i < c->n_actions; i++) {
		const struct call_action *a = &c->actions[i];
		json_t *ao = json_object();
		json_object_set_new(ao, "id", str_json(a->id));
		json_object_set_new(
		    ao, "state", json_string(call_action_state_name(a->state)));
		json_object_set_new(ao, "required_since",
		                    time_json(a->required_since_ms));
		json_t *mark = json_null();
		if (a->marked) {
			mark = json_object();
			json_object_set_new(mark, "reason",
			                    str_json(a->mark_reason));
			json_object_set_new(mark, "by", str_json(a->mark_by));
			json_object_set_new(mark, "at",
			                    time_json(a->mark_at_ms));
		}
		json_object_set_new(ao, "mark", mark);
		json_array_append_new(actions, ao);
	}
	json_object_set_new(o, "actions", actions);
	json_object_set_new(o, "indicators",
	                    hits_json(c->hits, c->n_hits, true));
	json_object_set_new(o, "decided_with", str_json(c->decided_with));
	return o;
}

json_t *event_json(const struct store_event *e)
{
	json_t *o = json_object();
	json_object_set_new(o, "seq", json_integer(e->seq));
	json_object_set_new(o, "type", str_json(e->type));
	json_object_set_new(o, "at", time_json(e->at_ms));
	json_object_set_new(o, "actor", str_json(e->actor));
	json_error_t jerr;
	json_t *p = json_loads(e->payload ? e->payload : "", 0, &jerr);
	if (json_is_object(p))
		json_object_update_missing(o, p);
	else
		json_object_set_new(o, "payload", str_json(e->payload));
	json_decref(p);
	return o;
}
