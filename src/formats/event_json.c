/*
 * event_json.c - event payloads and JSON views of calls, with jansson.
 */
#include "formats/event_json.h"

#include <string.h>

#include "util/clock.h"
#include "util/mem.h"
#include "util/str.h"

static json_t *str_json(const char *s)
{
	return json_string(s ? s : "");
}

char *event_json_encode(const struct call_event *e)
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
	case CALL_EVENT__COUNT: break;
	}
	char *text = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	if (!text)
		mem_oom(0);
	return text;
}

/* The members each event type must have, in a fixed order. */
static const char *const *members_of(enum call_event_type t, size_t *n)
{
	static const char *const opened[] = { "channel", "language", "location",
		                              "callback", "caller_name" };
	static const char *const note[] = { "text" };
	static const char *const answer[] = { "question", "value" };
	static const char *const closed[] = { "disposition", "summary" };
	switch (t) {
	case CALL_EVENT_OPENED: *n = 5; return opened;
	case CALL_EVENT_NOTE_ADDED: *n = 1; return note;
	case CALL_EVENT_ANSWER_RECORDED: *n = 2; return answer;
	case CALL_EVENT_CLOSED: *n = 2; return closed;
	case CALL_EVENT__COUNT: break;
	}
	*n = 0;
	return NULL;
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
	if (!json_is_object(doc)) {
		rc = htd_error_field(err, HTD_ERR_INVALID, "payload",
		                     "event payload is not a JSON object");
		goto fail;
	}

	size_t n;
	const char *const *members = members_of(e->type, &n);
	const char *values[5] = { 0 };
	for (size_t i = 0; i < n; i++) {
		json_t *v = json_object_get(doc, members[i]);
		if (!v || !json_is_string(v)) {
			rc = htd_error_field(err, HTD_ERR_INVALID, members[i],
			                     "event payload member '%s' is %s",
			                     members[i],
			                     v ? "not a string" : "missing");
			goto fail;
		}
		if (strlen(json_string_value(v)) != json_string_length(v)) {
			rc = htd_error_field(err, HTD_ERR_INVALID, members[i],
			                     "event payload member '%s' holds "
			                     "a NUL character",
			                     members[i]);
			goto fail;
		}
		values[i] = json_string_value(v);
	}
	if (json_object_size(doc) != n) {
		const char *key;
		json_t *v;
		json_object_foreach(doc, key, v)
		{
			bool known = false;
			for (size_t i = 0; i < n; i++)
				known = known || strcmp(key, members[i]) == 0;
			if (!known) {
				rc = htd_error_field(err, HTD_ERR_INVALID,
				                     "payload",
				                     "unknown event payload "
				                     "member '%.40s'",
				                     key);
				goto fail;
			}
		}
	}

	e->at_ms = at_ms;
	e->actor = actor;
	switch (e->type) {
	case CALL_EVENT_OPENED:
		if (!call_channel_parse(values[0], &e->u.opened.channel)) {
			rc = htd_error_field(err, HTD_ERR_INVALID, "channel",
			                     "unknown channel '%.40s'",
			                     values[0]);
			goto fail;
		}
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
		                            &e->u.closed.disposition)) {
			rc = htd_error_field(
			    err, HTD_ERR_INVALID, "disposition",
			    "unknown disposition '%.40s'", values[0]);
			goto fail;
		}
		e->u.closed.summary = values[1];
		break;
	case CALL_EVENT__COUNT: break;
	}
	rc = call_event_validate(e, err);
	if (rc != HTD_OK)
		goto fail;
	out->doc = doc;
	return HTD_OK;
fail:
	json_decref(doc);
	memset(out, 0, sizeof(*out));
	return rc;
}

void event_decoded_release(struct event_decoded *d)
{
	if (!d)
		return;
	json_decref(d->doc);
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
