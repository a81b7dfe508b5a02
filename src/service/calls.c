/*
 * calls.c - the call use cases over core/call and store/.
 *
 * Every change follows one path: read the call, build the event, apply it
 * to a copy of the projection (core decides whether it fits the call's
 * state), then append event and projection together. Another writer may
 * have appended meanwhile: the store refuses a stale version and we retry
 * on the fresh state, a few times.
 */
#include "service/calls.h"

#include <stdlib.h>
#include <string.h>

#include "formats/event_json.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/str.h"

#define APPEND_RETRIES 8

enum htd_err calls_ref_canonical(const char *ref, char out[CALL_REF_MAX],
                                 struct htd_error *err)
{
	int year;
	int64_t seq;
	if (!call_ref_parse(ref, &year, &seq) ||
	    !call_ref_format(year, seq, out, CALL_REF_MAX))
		return htd_error_field(err, HTD_ERR_INVALID, "id",
		                       "'%.40s' is not a call id; call ids "
		                       "look like HT-2026-000123",
		                       ref ? ref : "");
	return HTD_OK;
}

/* Copies `s` without surrounding white space; owned. */
static char *trimmed(const char *s)
{
	size_t n;
	const char *t = str_trim(s, &n);
	return xstrndup(t, n);
}

static int64_t now_ms(const struct service *svc)
{
	return clock_now_ms(svc->clock);
}

enum htd_err calls_open(struct service *svc, const char *actor,
                        const struct call_open_request *req, struct call *out,
                        struct htd_error *err)
{
	struct call_event e;
	char language[CALL_LANGUAGE_MAX + 1];
	char ref[CALL_REF_MAX];
	char *location = trimmed(req->location);
	char *callback = trimmed(req->callback);
	char *caller = trimmed(req->caller_name);
	char *payload = NULL;
	struct call c;
	enum htd_err rc;

	call_init(&c);
	memset(&e, 0, sizeof(e));
	e.type = CALL_EVENT_OPENED;
	e.at_ms = now_ms(svc);
	e.actor = actor;
	e.u.opened.channel = CALL_CHANNEL_VOICE;
	if (!str_empty(req->channel) &&
	    !call_channel_parse(req->channel, &e.u.opened.channel)) {
		rc = htd_error_field(err, HTD_ERR_INVALID, "channel",
		                     "unknown channel '%.40s'; use voice, "
		                     "text, tty, video, admin or transfer",
		                     req->channel);
		goto out;
	}
	const char *lang = str_empty(req->language) ? "en" : req->language;
	if (!call_language_normalise(lang, language, sizeof(language))) {
		rc = htd_error_field(err, HTD_ERR_INVALID, "language",
		                     "language must be a BCP 47 tag such as "
		                     "'en', 'es' or 'es-MX', not '%.40s'",
		                     lang);
		goto out;
	}
	e.u.opened.language = language;
	e.u.opened.location_text = location;
	e.u.opened.callback_number = callback;
	e.u.opened.caller_name = caller;
	rc = call_event_validate(&e, err);
	if (rc == HTD_OK)
		rc = call_apply(&c, &e, err);
	if (rc != HTD_OK)
		goto out;

	int year = time_local_year(e.at_ms);
	payload = event_json_encode(&e);
	struct store_event se = {
		.seq = 1,
		.type = call_event_type_name(e.type),
		.at_ms = e.at_ms,
		.actor = actor,
		.payload = payload,
	};
	rc = store_call_create(svc->store, year, &c, &se, ref, err);
	if (rc != HTD_OK)
		goto out;
	str_copy(c.ref, sizeof(c.ref), ref);
	log_event(LOG_INFO, "call_opened", "call", ref, "channel",
	          call_channel_name(c.channel), "language", c.language, "actor",
	          actor, NULL);
	call_free(out);
	*out = c;
	call_init(&c);
out:
	call_free(&c);
	free(payload);
	free(location);
	free(callback);
	free(caller);
	return rc;
}

/* Reads the call, applies `e` and appends it, retrying on a stale version. */
static enum htd_err append_event(struct service *svc, const char *ref_text,
                                 struct call_event *e, struct call *out,
                                 struct htd_error *err)
{
	char ref[CALL_REF_MAX];
	enum htd_err rc = calls_ref_canonical(ref_text, ref, err);
	if (rc != HTD_OK)
		return rc;
	e->at_ms = now_ms(svc);
	rc = call_event_validate(e, err);
	if (rc != HTD_OK)
		return rc;

	char *payload = event_json_encode(e);
	struct call c;
	call_init(&c);
	for (int attempt = 0;; attempt++) {
		rc = store_call_get(svc->store, ref, &c, err);
		if (rc != HTD_OK)
			break;
		int64_t version = c.version;
		rc = call_apply(&c, e, err);
		if (rc != HTD_OK)
			break;
		struct store_event se = {
			.seq = version + 1,
			.type = call_event_type_name(e->type),
			.at_ms = e->at_ms,
			.actor = e->actor,
			.payload = payload,
		};
		struct store_append a = {
			.call_ref = ref,
			.expected_version = version,
			.event = &se,
			.projection = &c,
		};
		rc = store_append(svc->store, &a, 1, err);
		if (rc != HTD_ERR_CONFLICT || attempt + 1 >= APPEND_RETRIES)
			break;
	}
	if (rc == HTD_OK) {
		log_event(LOG_INFO, call_event_type_name(e->type), "call", ref,
		          "actor", e->actor, NULL);
		call_free(out);
		*out = c;
		call_init(&c);
	}
	call_free(&c);
	free(payload);
	return rc;
}

enum htd_err calls_add_note(struct service *svc, const char *actor,
                            const char *ref, const char *text, struct call *out,
                            struct htd_error *err)
{
	struct call_event e;
	memset(&e, 0, sizeof(e));
	e.type = CALL_EVENT_NOTE_ADDED;
	e.actor = actor;
	char *t = trimmed(text);
	e.u.note.text = t;
	enum htd_err rc = append_event(svc, ref, &e, out, err);
	free(t);
	return rc;
}

enum htd_err calls_record_answer(struct service *svc, const char *actor,
                                 const char *ref, const char *question,
                                 const char *value, struct call *out,
                                 struct htd_error *err)
{
	char canonical[CALL_ANSWER_MAX + 1];
	char *q = trimmed(question);
	char *v = trimmed(value);
	enum htd_err rc =
	    call_answer_normalise(q, v, canonical, sizeof(canonical), err);
	if (rc == HTD_OK) {
		struct call_event e;
		memset(&e, 0, sizeof(e));
		e.type = CALL_EVENT_ANSWER_RECORDED;
		e.actor = actor;
		e.u.answer.question = q;
		e.u.answer.value = canonical;
		rc = append_event(svc, ref, &e, out, err);
	}
	free(q);
	free(v);
	return rc;
}

enum htd_err calls_close(struct service *svc, const char *actor,
                         const char *ref, const char *disposition,
                         const char *summary, struct call *out,
                         struct htd_error *err)
{
	struct call_event e;
	memset(&e, 0, sizeof(e));
	e.type = CALL_EVENT_CLOSED;
	e.actor = actor;
	if (!call_disposition_parse(disposition, &e.u.closed.disposition))
		return htd_error_field(err, HTD_ERR_INVALID, "disposition",
		                       "unknown disposition '%.40s'; see "
		                       "'htdispatch calls close --help'",
		                       disposition ? disposition : "");
	char *s = trimmed(summary);
	e.u.closed.summary = s;
	enum htd_err rc = append_event(svc, ref, &e, out, err);
	free(s);
	return rc;
}

enum htd_err calls_get(struct service *svc, const char *ref_text,
                       struct call *out, struct htd_error *err)
{
	char ref[CALL_REF_MAX];
	enum htd_err rc = calls_ref_canonical(ref_text, ref, err);
	if (rc != HTD_OK)
		return rc;
	return store_call_get(svc->store, ref, out, err);
}

enum htd_err calls_query_parse(const struct calls_query *q,
                               struct call_filter *f, struct htd_error *err)
{
	memset(f, 0, sizeof(*f));
	if (q->status) {
		if (!call_status_parse(q->status, &f->status))
			return htd_error_field(err, HTD_ERR_INVALID, "status",
			                       "status must be open or closed, "
			                       "not '%.40s'",
			                       q->status);
		f->by_status = true;
	}
	if (q->category) {
		if (!call_category_parse(q->category, &f->category))
			return htd_error_field(
			    err, HTD_ERR_INVALID, "category",
			    "category must be one of undetermined, "
			    "victim_escape, victim_call, credible_tip, "
			    "other; not '%.40s'",
			    q->category);
		f->by_category = true;
	}
	enum htd_err rc;
	if (q->since) {
		rc = time_parse(q->since, "since", &f->since_ms, err);
		if (rc != HTD_OK)
			return rc;
	}
	if (q->until) {
		rc = time_parse(q->until, "until", &f->until_ms, err);
		if (rc != HTD_OK)
			return rc;
	}
	/* 0 means "no bound" in a filter; no call is older than 1970. */
	if (q->until && f->until_ms == 0)
		return htd_error_field(err, HTD_ERR_INVALID, "until",
		                       "until must be after "
		                       "1970-01-01T00:00:00Z");
	if (f->since_ms && f->until_ms && f->until_ms <= f->since_ms)
		return htd_error_field(err, HTD_ERR_INVALID, "until",
		                       "until must be later than since");
	if (q->limit) {
		int64_t n;
		if (!str_to_i64(q->limit, 1, CALL_LIST_MAX, &n))
			return htd_error_field(err, HTD_ERR_INVALID, "limit",
			                       "limit must be a whole number "
			                       "from 1 to %d, not '%.20s'",
			                       CALL_LIST_MAX, q->limit);
		f->limit = (size_t)n;
	}
	if (q->after) {
		rc = calls_ref_canonical(q->after, f->after, err);
		if (rc != HTD_OK) {
			str_copy(err ? err->field : NULL,
			         err ? sizeof(err->field) : 0, "after");
			return rc;
		}
	}
	return HTD_OK;
}

enum htd_err calls_list(struct service *svc, const struct call_filter *filter,
                        struct call_page *out, struct htd_error *err)
{
	return store_call_list(svc->store, filter, out, err);
}

enum htd_err calls_history(struct service *svc, const char *ref_text,
                           int (*fn)(void *ctx, const struct store_event *e),
                           void *ctx, struct htd_error *err)
{
	char ref[CALL_REF_MAX];
	enum htd_err rc = calls_ref_canonical(ref_text, ref, err);
	if (rc != HTD_OK)
		return rc;
	return store_events_each(svc->store, ref, fn, ctx, err);
}

struct replay {
	struct call call;
	enum htd_err rc;
	struct htd_error err;
	int64_t expected_seq;
	const char *ref;
};

static int replay_event(void *ctx, const struct store_event *se)
{
	struct replay *r = ctx;
	struct event_decoded d;
	if (se->seq != r->expected_seq) {
		r->rc = htd_error_set(&r->err, HTD_ERR_CORRUPT,
		                      "call %s: event %lld follows event %lld",
		                      r->ref, (long long)se->seq,
		                      (long long)r->expected_seq - 1);
		return 1;
	}
	r->rc = event_json_decode(se->type, se->at_ms, se->actor, se->payload,
	                          &d, &r->err);
	if (r->rc != HTD_OK) {
		char msg[HTD_ERROR_MESSAGE_MAX];
		str_copy(msg, sizeof(msg), r->err.message);
		r->rc = htd_error_set(&r->err, HTD_ERR_CORRUPT,
		                      "call %s: event %lld does not decode: %s",
		                      r->ref, (long long)se->seq, msg);
		return 1;
	}
	r->rc = call_apply(&r->call, &d.event, &r->err);
	event_decoded_release(&d);
	if (r->rc != HTD_OK) {
		char msg[HTD_ERROR_MESSAGE_MAX];
		str_copy(msg, sizeof(msg), r->err.message);
		r->rc = htd_error_set(&r->err, HTD_ERR_CORRUPT,
		                      "call %s: event %lld does not apply: %s",
		                      r->ref, (long long)se->seq, msg);
		return 1;
	}
	r->expected_seq++;
	return 0;
}

enum htd_err calls_verify(struct service *svc, const char *ref_text,
                          struct htd_error *err)
{
	char ref[CALL_REF_MAX];
	enum htd_err rc = calls_ref_canonical(ref_text, ref, err);
	if (rc != HTD_OK)
		return rc;

	struct replay r;
	memset(&r, 0, sizeof(r));
	call_init(&r.call);
	r.expected_seq = 1;
	r.ref = ref;
	struct call stored;
	call_init(&stored);

	rc = store_call_get(svc->store, ref, &stored, err);
	if (rc == HTD_OK)
		rc = store_events_each(svc->store, ref, replay_event, &r, err);
	if (rc == HTD_OK && r.rc != HTD_OK) {
		if (err)
			*err = r.err;
		rc = r.rc;
	}
	if (rc == HTD_OK) {
		char field[64];
		str_copy(r.call.ref, sizeof(r.call.ref), ref);
		if (!call_equal(&stored, &r.call, field, sizeof(field)))
			rc = htd_error_set(err, HTD_ERR_CORRUPT,
			                   "call %s: the stored %s disagrees "
			                   "with its %lld events",
			                   ref, field,
			                   (long long)r.expected_seq - 1);
	}
	call_free(&stored);
	call_free(&r.call);
	return rc;
}

struct verify_all {
	struct service *svc;
	long checked;
	enum htd_err rc;
	struct htd_error err;
};

static int verify_one(void *ctx, const char *ref)
{
	struct verify_all *v = ctx;
	v->rc = calls_verify(v->svc, ref, &v->err);
	if (v->rc != HTD_OK)
		return 1;
	v->checked++;
	return 0;
}

enum htd_err calls_verify_all(struct service *svc, long *checked,
                              struct htd_error *err)
{
	struct verify_all v;
	memset(&v, 0, sizeof(v));
	v.svc = svc;
	enum htd_err rc = store_calls_each(svc->store, verify_one, &v, err);
	if (rc == HTD_OK && v.rc != HTD_OK) {
		if (err)
			*err = v.err;
		rc = v.rc;
	}
	if (checked)
		*checked = v.checked;
	return rc;
}
