/*
 * routes.c - one handler per route of ACCESS_ROUTES: read the request,
 * call one use case of service/, render the answer. No SQL and no
 * decisions here; the session and the role were checked before (server.c).
 */
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

#include "formats/decision_json.h"
#include "formats/event_json.h"
#include "formats/record_json.h"
#include "http/internal.h"
#include "service/assess.h"
#include "service/notices.h"
#include "service/outbox.h"
#include "service/related.h"
#include "service/search.h"
#include "service/units.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/str.h"

/* ---- helpers ----------------------------------------------------------- */

static void fail(struct http_request *r, const struct htd_error *err)
{
	http_error(r, err);
}

static json_t *user_json(const struct user *u, int64_t now_ms)
{
	json_t *o = json_object();
	json_object_set_new(o, "name", json_string(u->name));
	json_object_set_new(o, "display", json_string(u->display));
	json_object_set_new(o, "role", json_string(access_role_name(u->role)));
	json_object_set_new(o, "disabled", json_boolean(u->disabled));
	/* A lock-out in the past is over. */
	json_object_set_new(o, "locked_until",
	                    u->locked_until_ms > now_ms
	                        ? time_json(u->locked_until_ms)
	                        : json_null());
	json_object_set_new(o, "failed_logins", json_integer(u->failed_logins));
	json_object_set_new(o, "created_at", time_json(u->created_at_ms));
	json_object_set_new(o, "last_login", time_json(u->last_login_ms));
	return o;
}

/* The call after a change, with a summary of the decision on it. */
static json_t *changed_json(const struct call *c)
{
	json_t *o = call_json(c);
	json_t *d = json_object();
	json_object_set_new(d, "category",
	                    json_string(call_category_name(c->category)));
	json_object_set_new(
	    d, "recommended_category",
	    json_string(call_category_name(c->recommended_category)));
	json_object_set_new(
	    d, "overridden",
	    json_boolean(c->override_category != CALL_CATEGORY_UNDETERMINED));
	json_object_set_new(d, "priority",
	                    c->priority ? json_integer(c->priority)
	                                : json_null());
	json_t *req = json_array();
	for (size_t i = 0; i < c->n_actions; i++)
		if (c->actions[i].state == CALL_ACTION_REQUIRED)
			json_array_append_new(req,
			                      json_string(c->actions[i].id));
	json_object_set_new(d, "required", req);
	json_object_set_new(o, "decision", d);
	return o;
}

/* Loads the engine into the request's service; answers 503 when none. */
static bool with_engine(struct http_request *r)
{
	struct htd_error err;
	htd_error_clear(&err);
	if (http_engine(r, &r->svc.engine, &err) != HTD_OK) {
		fail(r, &err);
		return false;
	}
	return true;
}

/* Starts timing a change that decides. */
static int64_t decide_start(void)
{
	return http_now_ns();
}

static void decide_done(struct http_request *r, int64_t start)
{
	r->decided = true;
	r->decide_ns = http_now_ns() - start;
}

/* Answers a change: the call, or the error. */
static void answer_change(struct http_request *r, enum htd_err rc,
                          const struct call *c, const struct htd_error *err,
                          int status)
{
	if (rc != HTD_OK)
		fail(r, err);
	else
		http_json(r, status, changed_json(c));
}

static const char *param(struct http_request *r, const char *name)
{
	const char *v = router_param(&r->match, name);
	return v ? v : "";
}

/* ---- health ------------------------------------------------------------ */

static void route_healthz(struct http_request *r)
{
	http_json(r, 200, json_pack("{s:s}", "status", "ok"));
}

static void route_readyz(struct http_request *r)
{
	struct htd_error err;
	struct engine *en = NULL;
	htd_error_clear(&err);
	if (http_engine(r, &en, &err) != HTD_OK) {
		fail(r, &err);
		return;
	}
	http_json(r, 200,
	          json_pack("{s:s,s:{s:s,s:s},s:{s:s,s:s}}", "status", "ready",
	                    "protocol", "id", en->protocol.id, "version",
	                    en->protocol.version, "policy", "id", en->policy.id,
	                    "version", en->policy.version));
}

static void route_metrics(struct http_request *r)
{
	/* Open calls by category: a page of at most CALL_LIST_MAX at a time;
	 * a PSAP has tens open. Counting is not a read of a call's data, so
	 * it is not audited. */
	int64_t open[CALL_CATEGORY__COUNT] = { 0 };
	bool counted = true;
	struct call_filter f;
	struct htd_error err;
	memset(&f, 0, sizeof(f));
	htd_error_clear(&err);
	f.by_status = true;
	f.status = CALL_STATUS_OPEN;
	f.limit = CALL_LIST_MAX;
	struct service svc = r->svc;
	svc.address = NULL;
	for (int pages = 0; pages < 100; pages++) {
		struct call_page page = { 0 };
		if (calls_list(&svc, &f, &page, &err) != HTD_OK) {
			counted = false;
			break;
		}
		for (size_t i = 0; i < page.n; i++)
			if ((unsigned)page.calls[i].category <
			    CALL_CATEGORY__COUNT)
				open[page.calls[i].category]++;
		bool more = page.more && page.n > 0;
		if (more)
			str_copy(f.after, sizeof(f.after),
			         page.calls[page.n - 1].ref);
		call_page_free(&page);
		if (!more)
			break;
	}
	struct buf out;
	buf_init(&out, 0);
	metrics_render(r->server->metrics, counted ? open : NULL, &out);
	unsigned long long commits, entries;
	audit_writer_counts(r->server->audit, &commits, &entries);
	buf_printf(&out,
	           "# HELP htd_audit_commits_total Transactions of the "
	           "audit's group commit (reads and refusals).\n"
	           "# TYPE htd_audit_commits_total counter\n"
	           "htd_audit_commits_total %llu\n"
	           "# HELP htd_audit_entries_total Audit entries they "
	           "wrote.\n"
	           "# TYPE htd_audit_entries_total counter\n"
	           "htd_audit_entries_total %llu\n",
	           commits, entries);
	struct outbox_counts oc;
	int64_t pending = 0;
	outbox_counts_get(&oc);
	buf_printf(
	    &out,
	    "# HELP htd_notify_delivered_total Notifications "
	    "delivered.\n"
	    "# TYPE htd_notify_delivered_total counter\n"
	    "htd_notify_delivered_total %llu\n"
	    "# HELP htd_notify_retries_total Attempts that failed "
	    "and will be retried.\n"
	    "# TYPE htd_notify_retries_total counter\n"
	    "htd_notify_retries_total %llu\n"
	    "# HELP htd_notify_failed_total Notifications that "
	    "failed for good (raised).\n"
	    "# TYPE htd_notify_failed_total counter\n"
	    "htd_notify_failed_total %llu\n"
	    "# HELP htd_notify_cancelled_total Notifications "
	    "withdrawn before delivery (their action no longer "
	    "required).\n"
	    "# TYPE htd_notify_cancelled_total counter\n"
	    "htd_notify_cancelled_total %llu\n",
	    (unsigned long long)oc.delivered, (unsigned long long)oc.retries,
	    (unsigned long long)oc.failed, (unsigned long long)oc.cancelled);
	if (store_outbox_count(r->svc.store, STORE_OUTBOX_PENDING, &pending,
	                       &err) == HTD_OK)
		buf_printf(&out,
		           "# HELP htd_notify_pending Notifications waiting "
		           "to be delivered.\n"
		           "# TYPE htd_notify_pending gauge\n"
		           "htd_notify_pending %lld\n",
		           (long long)pending);
	size_t len = out.len;
	http_text(r, 200, "text/plain; version=0.0.4; charset=utf-8",
	          buf_steal(&out), len);
}

/* ---- sessions ---------------------------------------------------------- */

static void session_cookie(struct http_request *r, const char *token)
{
	char cookie[160];
	if (token)
		str_format(cookie, sizeof(cookie),
		           "htd_session=%s; HttpOnly; SameSite=Strict; "
		           "Path=/%s",
		           token, r->server->tls ? "; Secure" : "");
	else
		str_format(cookie, sizeof(cookie),
		           "htd_session=; HttpOnly; SameSite=Strict; Path=/; "
		           "Max-Age=0%s",
		           r->server->tls ? "; Secure" : "");
	http_header(r, "Set-Cookie", cookie);
}

static json_t *session_json(struct http_request *r, const struct session *s,
                            const char *token, int64_t now_ms)
{
	char csrf[HTTP_CSRF_TEXT];
	int64_t idle =
	    r->svc.session_idle_ms ? r->svc.session_idle_ms : SESSION_IDLE_MS;
	http_csrf(token, csrf);
	return json_pack("{s:o,s:s,s:I}", "user", user_json(&s->user, now_ms),
	                 "csrf", csrf, "expires_idle_s",
	                 (json_int_t)(idle / 1000));
}

static void route_login(struct http_request *r)
{
	const char *name = NULL, *password = NULL;
	const struct http_member m[] = {
		{ "username", HTTP_STRING, true, &name },
		{ "password", HTTP_STRING, true, &password },
	};
	struct htd_error err;
	struct session s;
	char token[SESSION_TOKEN_TEXT];
	htd_error_clear(&err);
	if (http_body(r, m, 2, NULL, &err) != HTD_OK ||
	    sessions_login(&r->svc, name, password, r->address, token, &s,
	                   &err) != HTD_OK) {
		fail(r, &err);
		return;
	}
	json_t *o = session_json(r, &s, token, clock_now_ms(r->svc.clock));
	json_object_set_new(o, "token", json_string(token));
	session_cookie(r, token);
	http_json(r, 201, o);
	OPENSSL_cleanse(token, sizeof(token));
}

static void route_logout(struct http_request *r)
{
	struct htd_error err;
	htd_error_clear(&err);
	if (sessions_end(&r->svc, r->token, r->address, &err) != HTD_OK) {
		fail(r, &err);
		return;
	}
	session_cookie(r, NULL);
	http_text(r, 204, HTTP_JSON_TYPE, NULL, 0);
}

static void route_whoami(struct http_request *r)
{
	json_t *o =
	    session_json(r, &r->session, r->token, clock_now_ms(r->svc.clock));
	json_object_set_new(o, "auth",
	                    json_string(r->via_cookie ? "cookie" : "bearer"));
	http_json(r, 200, o);
}

/* ---- calls ------------------------------------------------------------- */

static void route_calls_open(struct http_request *r)
{
	struct call_open_request req = { 0 };
	const struct http_member m[] = {
		{ "channel", HTTP_STRING, false, &req.channel },
		{ "language", HTTP_STRING, false, &req.language },
		{ "location", HTTP_STRING, false, &req.location },
		{ "callback", HTTP_STRING, false, &req.callback },
		{ "caller_name", HTTP_STRING, false, &req.caller_name },
	};
	struct htd_error err;
	struct call c;
	htd_error_clear(&err);
	call_init(&c);
	if (http_body(r, m, sizeof(m) / sizeof(m[0]), NULL, &err) != HTD_OK) {
		fail(r, &err);
		return;
	}
	if (!with_engine(r))
		return;
	int64_t t = decide_start();
	enum htd_err rc = calls_open(&r->svc, r->actor, &req, &c, &err);
	if (rc == HTD_OK) {
		char loc[64 + CALL_REF_MAX];
		decide_done(r, t);
		str_format(loc, sizeof(loc), "/api/v1/calls/%s", c.ref);
		http_header(r, "Location", loc);
	}
	answer_change(r, rc, &c, &err, 201);
	call_free(&c);
}

static void route_calls_list(struct http_request *r)
{
	static const char *const allowed[] = { "status", "category", "since",
		                               "until",  "limit",    "after",
		                               NULL };
	struct calls_query q = {
		.status = http_query(r, "status"),
		.category = http_query(r, "category"),
		.since = http_query(r, "since"),
		.until = http_query(r, "until"),
		.limit = http_query(r, "limit"),
		.after = http_query(r, "after"),
	};
	struct call_filter f;
	struct call_page page = { 0 };
	struct htd_error err;
	htd_error_clear(&err);
	if (http_query_only(r, allowed, &err) != HTD_OK ||
	    calls_query_parse(&q, &f, &err) != HTD_OK ||
	    calls_list(&r->svc, &f, &page, &err) != HTD_OK) {
		fail(r, &err);
		return;
	}
	json_t *arr = json_array();
	for (size_t i = 0; i < page.n; i++) {
		json_t *o = call_json(&page.calls[i]);
		json_object_del(o, "answers"); /* a page carries none */
		json_array_append_new(arr, o);
	}
	json_t *next = page.more && page.n
	                   ? json_string(page.calls[page.n - 1].ref)
	                   : json_null();
	call_page_free(&page);
	http_json(r, 200, json_pack("{s:o,s:o}", "calls", arr, "next", next));
}

/* A read answered from the cache of rendered calls when the call has not
 * changed since it was rendered (http/cache.h); audited either way. */
/* Adds the call's call-taker tasks (service/outbox.h) to `o`. */
static enum htd_err call_tasks(struct http_request *r, const char *ref,
                               json_t *o, struct htd_error *err)
{
	struct store_outbox_list l = { 0 };
	struct store_outbox_filter f = { .call_ref = ref,
		                         .limit = STORE_OUTBOX_LIST_MAX };
	enum htd_err rc = store_outbox_list(r->svc.store, &f, &l, err);
	if (rc != HTD_OK)
		return rc;
	json_t *arr = json_array();
	for (size_t i = l.n; i-- > 0;) {
		const struct store_outbox *t = &l.rows[i];
		/* Open, confirmed, or cancelled (withdrawn: its action is
		 * no longer required; shown as such, never as open). */
		if (!str_eq(t->transport, NOTICES_TASK_TRANSPORT))
			continue;
		json_array_append_new(
		    arr, json_pack("{s:s, s:s, s:s, s:s, s:o, s:o}", "key",
		                   t->key, "kind", t->kind, "action", t->action,
		                   "state", store_outbox_state_name(t->state),
		                   "created", time_json(t->created_at_ms),
		                   "confirmed", time_json(t->delivered_at_ms)));
	}
	store_outbox_list_free(&l);
	json_object_set_new(o, "tasks", arr);
	return HTD_OK;
}

static void route_calls_get(struct http_request *r)
{
	struct htd_error err;
	struct call c;
	char ref[CALL_REF_MAX];
	char *doc = NULL;
	size_t len = 0;
	int64_t have = 0;
	bool unchanged = false;
	const char *id = param(r, "id");
	htd_error_clear(&err);
	call_init(&c);
	bool cacheable = calls_ref_canonical(id, ref, NULL) == HTD_OK;
	if (cacheable)
		http_cache_get(r->server->calls, ref, &have, &doc, &len);
	if (calls_get_unless(&r->svc, id, doc ? have : 0, &c, &unchanged,
	                     &err) != HTD_OK) {
		free(doc);
		fail(r, &err);
	} else if (unchanged) {
		http_text(r, 200, HTTP_JSON_TYPE, doc, len);
	} else {
		free(doc);
		doc = NULL;
		json_t *o = call_json(&c);
		if (call_tasks(r, c.ref, o, &err) != HTD_OK) {
			json_decref(o);
			fail(r, &err);
			call_free(&c);
			return;
		}
		/* Tasks change only with an event of the call: the cache
		 * keyed by its version stays right. */
		doc = http_json_dump(o, &len);
		if (cacheable)
			http_cache_put(r->server->calls, ref, c.version, doc,
			               len);
		http_text(r, 200, HTTP_JSON_TYPE, doc, len);
	}
	call_free(&c);
}

static int add_event(void *ctx, const struct store_event *e)
{
	json_array_append_new(ctx, event_json(e));
	return 0;
}

static void route_calls_history(struct http_request *r)
{
	struct htd_error err;
	char ref[CALL_REF_MAX];
	htd_error_clear(&err);
	json_t *events = json_array();
	if (calls_ref_canonical(param(r, "id"), ref, &err) != HTD_OK ||
	    calls_history(&r->svc, ref, add_event, events, &err) != HTD_OK) {
		json_decref(events);
		fail(r, &err);
		return;
	}
	http_json(r, 200,
	          json_pack("{s:s,s:o}", "call", ref, "events", events));
}

static void route_calls_note(struct http_request *r)
{
	const char *text = NULL;
	const struct http_member m[] = {
		{ "text", HTTP_STRING, true, &text },
	};
	struct htd_error err;
	struct call c;
	htd_error_clear(&err);
	call_init(&c);
	if (http_body(r, m, 1, NULL, &err) != HTD_OK) {
		fail(r, &err);
		return;
	}
	if (!with_engine(r))
		return;
	int64_t t = decide_start();
	enum htd_err rc =
	    calls_add_note(&r->svc, r->actor, param(r, "id"), text, &c, &err);
	if (rc == HTD_OK)
		decide_done(r, t);
	answer_change(r, rc, &c, &err, 200);
	call_free(&c);
}

static void route_calls_answer(struct http_request *r)
{
	json_t *value = NULL;
	const struct http_member m[] = {
		{ "value", HTTP_ANY, true, &value },
	};
	struct htd_error err;
	struct call c;
	char number[32];
	const char *text;
	htd_error_clear(&err);
	call_init(&c);
	if (http_body(r, m, 1, NULL, &err) != HTD_OK) {
		fail(r, &err);
		return;
	}
	/* Numbers may come as JSON numbers ("people_count": 12). */
	if (json_is_string(value)) {
		text = json_string_value(value);
	} else if (json_is_integer(value)) {
		str_format(number, sizeof(number), "%lld",
		           (long long)json_integer_value(value));
		text = number;
	} else {
		htd_error_field(&err, HTD_ERR_INVALID, "value",
		                "\"value\" must be a string or a whole number");
		fail(r, &err);
		return;
	}
	if (!with_engine(r))
		return;
	int64_t t = decide_start();
	enum htd_err rc = calls_record_answer(&r->svc, r->actor, param(r, "id"),
	                                      param(r, "qid"), text, &c, &err);
	if (rc == HTD_OK)
		decide_done(r, t);
	answer_change(r, rc, &c, &err, 200);
	call_free(&c);
}

struct notes_by_seq {
	json_t *map; /* "seq" -> text */
};

static int collect_note(void *vctx, const struct store_event *e)
{
	struct notes_by_seq *n = vctx;
	struct event_decoded d;
	if (!str_eq(e->type, "note_added") ||
	    event_json_decode(e->type, e->at_ms, e->actor, e->payload, &d,
	                      NULL) != HTD_OK)
		return 0;
	char key[24];
	str_format(key, sizeof(key), "%lld", (long long)e->seq);
	json_object_set_new(n->map, key, json_string(d.event.u.note.text));
	event_decoded_release(&d);
	return 0;
}

static const char *note_by_seq(void *vctx, int64_t note)
{
	struct notes_by_seq *n = vctx;
	char key[24];
	str_format(key, sizeof(key), "%lld", (long long)note);
	return json_string_value(json_object_get(n->map, key));
}

static void route_calls_decision(struct http_request *r)
{
	struct htd_error err;
	struct call c;
	struct decision d;
	struct notes_by_seq notes = { json_object() };
	htd_error_clear(&err);
	call_init(&c);
	memset(&d, 0, sizeof(d));
	if (!with_engine(r))
		goto out;
	/* The decision now, and the notes its indicators point into. */
	if (calls_decision(&r->svc, param(r, "id"), &c, &d, &err) != HTD_OK ||
	    calls_history(&r->svc, c.ref, collect_note, &notes, &err) !=
	        HTD_OK) {
		fail(r, &err);
		goto out;
	}
	struct engine *en = r->svc.engine;
	json_t *dj = decision_json(&d, &en->protocol, &en->policy, &c,
	                           c.language, note_by_seq, &notes);
	json_object_set_new(dj, "id", json_string(c.ref));
	http_json(r, 200, dj);
out:
	decision_free(&d);
	json_decref(notes.map);
	call_free(&c);
}

static void route_calls_override(struct http_request *r)
{
	const char *category = NULL, *reason = NULL;
	const struct http_member m[] = {
		{ "category", HTTP_STRING, true, &category },
		{ "reason", HTTP_STRING, true, &reason },
	};
	struct htd_error err;
	struct call c;
	htd_error_clear(&err);
	call_init(&c);
	if (http_body(r, m, 2, NULL, &err) != HTD_OK) {
		fail(r, &err);
		return;
	}
	if (!with_engine(r))
		return;
	int64_t t = decide_start();
	enum htd_err rc = calls_override(&r->svc, r->actor, param(r, "id"),
	                                 category, reason, &c, &err);
	if (rc == HTD_OK)
		decide_done(r, t);
	answer_change(r, rc, &c, &err, 200);
	call_free(&c);
}

static void route_calls_mark(struct http_request *r)
{
	const char *state = NULL, *reason = NULL;
	const struct http_member m[] = {
		{ "state", HTTP_STRING, true, &state },
		{ "reason", HTTP_STRING, false, &reason },
	};
	struct htd_error err;
	struct call c;
	htd_error_clear(&err);
	call_init(&c);
	if (http_body(r, m, 2, NULL, &err) != HTD_OK) {
		fail(r, &err);
		return;
	}
	if (!with_engine(r))
		return;
	int64_t t = decide_start();
	enum htd_err rc =
	    calls_mark_action(&r->svc, r->actor, param(r, "id"),
	                      param(r, "action"), state, reason, &c, &err);
	if (rc == HTD_OK)
		decide_done(r, t);
	answer_change(r, rc, &c, &err, 200);
	call_free(&c);
}

/* NENA-STA-020.1: the call-taker confirms the warm transfer it made. */
static void route_calls_task_confirm(struct http_request *r)
{
	const char *note = NULL;
	const struct http_member m[] = {
		{ "note", HTTP_STRING, false, &note },
	};
	struct htd_error err;
	struct call c;
	htd_error_clear(&err);
	call_init(&c);
	if (http_body(r, m, 1, NULL, &err) != HTD_OK) {
		fail(r, &err);
		return;
	}
	enum htd_err rc = outbox_task_confirm(&r->svc, r->actor, param(r, "id"),
	                                      param(r, "key"), note, &c, &err);
	answer_change(r, rc, &c, &err, 200);
	call_free(&c);
}

static void route_calls_close(struct http_request *r)
{
	const char *disposition = NULL, *summary = NULL;
	const struct http_member m[] = {
		{ "disposition", HTTP_STRING, true, &disposition },
		{ "summary", HTTP_STRING, false, &summary },
	};
	struct htd_error err;
	struct call c;
	htd_error_clear(&err);
	call_init(&c);
	if (http_body(r, m, 2, NULL, &err) != HTD_OK) {
		fail(r, &err);
		return;
	}
	if (!with_engine(r))
		return;
	int64_t t = decide_start();
	enum htd_err rc = calls_close(&r->svc, r->actor, param(r, "id"),
	                              disposition, summary, &c, &err);
	if (rc == HTD_OK)
		decide_done(r, t);
	answer_change(r, rc, &c, &err, 200);
	call_free(&c);
}

static void route_assess(struct http_request *r)
{
	json_t *input = NULL, *out = NULL;
	struct htd_error err;
	htd_error_clear(&err);
	/* assess_json() knows its members and names the one at fault. */
	if (http_body(r, NULL, 0, &input, &err) != HTD_OK) {
		fail(r, &err);
		return;
	}
	if (!with_engine(r))
		return;
	if (assess_json(r->svc.engine, input, clock_now_ms(r->svc.clock), &out,
	                &err) != HTD_OK) {
		fail(r, &err);
		return;
	}
	http_json(r, 200, out);
}

/* ---- configuration ----------------------------------------------------- */

static void route_config(struct http_request *r, const char *what)
{
	struct http_config *c = atomic_load(&r->server->config);
	const char *doc = str_eq(what, "protocol") ? c->protocol_json
	                  : str_eq(what, "policy") ? c->policy_json
	                                           : c->lexicon_json;
	char obj[32];
	str_format(obj, sizeof(obj), "config:%s", what);
	http_audit(r, "config.read", obj, AUDIT_OUTCOME_OK, NULL);
	size_t len = strlen(doc);
	char *copy = xmalloc(len + 2);
	memcpy(copy, doc, len);
	copy[len] = '\n';
	copy[len + 1] = '\0';
	http_text(r, 200, HTTP_JSON_TYPE, copy, len + 1);
}

/* ---- users ------------------------------------------------------------- */

static void route_users_list(struct http_request *r)
{
	struct user_list l = { 0 };
	struct htd_error err;
	htd_error_clear(&err);
	if (users_list(&r->svc, &l, &err) != HTD_OK) {
		fail(r, &err);
		return;
	}
	json_t *arr = json_array();
	for (size_t i = 0; i < l.n; i++)
		json_array_append_new(
		    arr, user_json(&l.users[i], clock_now_ms(r->svc.clock)));
	user_list_free(&l);
	http_json(r, 200, json_pack("{s:o}", "users", arr));
}

static void answer_user(struct http_request *r, const char *name, int status)
{
	struct user u;
	struct htd_error err;
	htd_error_clear(&err);
	if (users_get(&r->svc, name, &u, &err) != HTD_OK) {
		fail(r, &err);
		return;
	}
	http_json(r, status, user_json(&u, clock_now_ms(r->svc.clock)));
}

static void route_users_add(struct http_request *r)
{
	const char *name = NULL, *display = NULL, *role = NULL,
	           *password = NULL;
	const struct http_member m[] = {
		{ "name", HTTP_STRING, true, &name },
		{ "display", HTTP_STRING, false, &display },
		{ "role", HTTP_STRING, true, &role },
		{ "password", HTTP_STRING, true, &password },
	};
	struct htd_error err;
	htd_error_clear(&err);
	if (http_body(r, m, 4, NULL, &err) != HTD_OK ||
	    users_add(&r->svc, r->actor, name, display ? display : "", role,
	              password, &err) != HTD_OK) {
		fail(r, &err);
		return;
	}
	char loc[64 + USER_NAME_MAX];
	str_format(loc, sizeof(loc), "/api/v1/users/%s", name);
	http_header(r, "Location", loc);
	answer_user(r, name, 201);
}

static void route_users_update(struct http_request *r)
{
	const char *display = NULL, *role = NULL, *password = NULL;
	int disabled = -1;
	const struct http_member m[] = {
		{ "display", HTTP_STRING, false, &display },
		{ "role", HTTP_STRING, false, &role },
		{ "disabled", HTTP_BOOL, false, &disabled },
		{ "password", HTTP_STRING, false, &password },
	};
	const char *name = param(r, "username");
	struct htd_error err;
	htd_error_clear(&err);
	if (http_body(r, m, 4, NULL, &err) != HTD_OK) {
		fail(r, &err);
		return;
	}
	/* Each part is its own audited change; the first refused stops. */
	if ((display || role) && users_update(&r->svc, r->actor, name, display,
	                                      role, &err) != HTD_OK) {
		fail(r, &err);
		return;
	}
	if (disabled >= 0 && users_lock(&r->svc, r->actor, name, disabled == 1,
	                                &err) != HTD_OK) {
		fail(r, &err);
		return;
	}
	if (password &&
	    users_passwd(&r->svc, r->actor, name, password, &err) != HTD_OK) {
		fail(r, &err);
		return;
	}
	answer_user(r, name, 200);
}

/* ---- audit ------------------------------------------------------------- */

static void route_audit_list(struct http_request *r)
{
	static const char *const allowed[] = { "actor", "object", "since",
		                               "until", "limit",  "after",
		                               NULL };
	struct audit_query q = {
		.actor = http_query(r, "actor"),
		.object = http_query(r, "object"),
		.since = http_query(r, "since"),
		.until = http_query(r, "until"),
		.limit = http_query(r, "limit"),
		.after = http_query(r, "after"),
	};
	struct audit_list l = { 0 };
	struct htd_error err;
	htd_error_clear(&err);
	if (http_query_only(r, allowed, &err) != HTD_OK ||
	    audit_list(&r->svc, &q, &l, &err) != HTD_OK) {
		fail(r, &err);
		return;
	}
	json_t *arr = json_array();
	for (size_t i = 0; i < l.n; i++) {
		const struct audit_entry *e = &l.entries[i];
		json_array_append_new(
		    arr, json_pack("{s:I,s:o,s:s,s:s,s:s,s:s,s:s,s:s}", "id",
		                   (json_int_t)e->id, "at", time_json(e->at_ms),
		                   "actor", e->actor ? e->actor : "", "action",
		                   e->action ? e->action : "", "object",
		                   e->object ? e->object : "", "address",
		                   e->address ? e->address : "", "outcome",
		                   audit_outcome_name(e->outcome), "detail",
		                   e->detail ? e->detail : ""));
	}
	/* A full page may have a next one; its cursor is the last id. */
	int64_t limit = 100;
	if (q.limit)
		str_to_i64(q.limit, 1, 1000, &limit);
	json_t *next = l.n > 0 && (int64_t)l.n >= limit
	                   ? json_integer(l.entries[l.n - 1].id)
	                   : json_null();
	audit_list_free(&l);
	http_json(r, 200, json_pack("{s:o,s:o}", "entries", arr, "next", next));
}

/* ---- events ------------------------------------------------------------ */

static void route_events(struct http_request *r)
{
	static const char *const allowed[] = { "after", NULL };
	struct htd_error err;
	htd_error_clear(&err);
	if (http_query_only(r, allowed, &err) != HTD_OK) {
		fail(r, &err);
		return;
	}
	/* Resume after the last event the client saw: the header a browser
	 * sends by itself on reconnecting, or ?after= for other clients. */
	const char *field = "Last-Event-ID";
	const char *v = http_request_header(r, "Last-Event-ID");
	if (!v) {
		field = "after";
		v = http_query(r, "after");
	}
	int64_t after = -1;
	if (v && !str_to_i64(v, 0, INT64_MAX, &after)) {
		htd_error_field(&err, HTD_ERR_INVALID, field,
		                "%s must be an event id (a whole number)",
		                field);
		fail(r, &err);
		return;
	}
	http_audit(r, "call.events", "", AUDIT_OUTCOME_OK, NULL);
	http_events_stream(r, after);
}

/* ---- units ------------------------------------------------------------- */

static json_t *unit_json(const struct store_unit *su)
{
	const struct unit *u = &su->unit;
	json_t *langs = json_array();
	for (size_t i = 0; i < u->n_languages; i++)
		json_array_append_new(langs, json_string(u->languages[i]));
	json_t *pos = json_null();
	if (u->has_position)
		pos = json_pack("{s:f,s:f,s:o}", "lat", u->lat, "lon", u->lon,
		                "at", time_json(u->position_ms));
	return json_pack(
	    "{s:s,s:s,s:s,s:o,s:o,s:b,s:o,s:o,s:I}", "call_sign", u->call_sign,
	    "agency", u->agency, "status", units_status_name(u->status),
	    "position", pos, "languages", langs, "ht_trained",
	    (int)u->ht_trained, "call",
	    su->call_ref[0] ? json_string(su->call_ref) : json_null(),
	    "updated_at", time_json(su->updated_at_ms), "version",
	    (json_int_t)su->version);
}

/* Turns a JSON array of language codes into "es,vi" for the service;
 * HTD_ERR_INVALID (field "languages") when it is not one. */
static enum htd_err languages_member(json_t *v, char *out, size_t size,
                                     struct htd_error *err)
{
	size_t i;
	json_t *item;
	out[0] = '\0';
	if (!json_is_array(v) || json_array_size(v) > UNITS_LANGUAGES_MAX)
		return htd_error_field(err, HTD_ERR_INVALID, "languages",
		                       "languages must be an array of at most "
		                       "%d two-letter codes",
		                       UNITS_LANGUAGES_MAX);
	json_array_foreach(v, i, item)
	{
		const char *t = json_string_value(item);
		if (!t || strlen(t) != 2 || strchr(t, ','))
			return htd_error_field(err, HTD_ERR_INVALID,
			                       "languages",
			                       "languages[%zu] must be a "
			                       "two-letter code (es)",
			                       i);
		size_t used = strlen(out);
		str_format(out + used, size - used, "%s%s", i ? "," : "", t);
	}
	return HTD_OK;
}

/* ---- the notification board ------------------------------------------ */

static json_t *outbox_row_json(const struct store_outbox *o)
{
	return json_pack(
	    "{s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:o, s:i, s:s, "
	    "s:o, s:o, s:o}",
	    "id", (json_int_t)o->id, "call", o->call_ref, "kind", o->kind,
	    "action", o->action, "target", o->target, "transport", o->transport,
	    "key", o->key, "state", store_outbox_state_name(o->state),
	    "attempts", o->attempts, "next_attempt",
	    o->state == STORE_OUTBOX_PENDING ? time_json(o->next_attempt_ms)
	                                     : json_null(),
	    "last_status", o->last_status, "last_error", o->last_error,
	    "created", time_json(o->created_at_ms), "updated",
	    time_json(o->updated_at_ms), "delivered",
	    time_json(o->delivered_at_ms));
}

static void route_outbox_list(struct http_request *r)
{
	static const char *const allowed[] = { "state", "call", "limit", NULL };
	struct store_outbox_list l = { 0 };
	struct htd_error err;
	htd_error_clear(&err);
	if (http_query_only(r, allowed, &err) != HTD_OK ||
	    outbox_list(&r->svc, http_query(r, "state"), http_query(r, "call"),
	                http_query(r, "limit"), &l, &err) != HTD_OK) {
		fail(r, &err);
		return;
	}
	json_t *arr = json_array();
	for (size_t i = 0; i < l.n; i++)
		json_array_append_new(arr, outbox_row_json(&l.rows[i]));
	store_outbox_list_free(&l);
	http_json(r, 200, json_pack("{s:o}", "notifications", arr));
}

static void route_units_list(struct http_request *r)
{
	struct store_unit_list l = { 0 };
	struct htd_error err;
	htd_error_clear(&err);
	if (units_list(&r->svc, &l, &err) != HTD_OK) {
		fail(r, &err);
		return;
	}
	json_t *arr = json_array();
	for (size_t i = 0; i < l.n; i++)
		json_array_append_new(arr, unit_json(&l.units[i]));
	store_unit_list_free(&l);
	http_json(r, 200, json_pack("{s:o}", "units", arr));
}

static void route_units_get(struct http_request *r)
{
	struct store_unit u;
	struct htd_error err;
	htd_error_clear(&err);
	if (units_get(&r->svc, param(r, "callsign"), &u, &err) != HTD_OK)
		fail(r, &err);
	else
		http_json(r, 200, unit_json(&u));
}

/* ---- records search (NENA step 7) ------------------------------------- */

static json_t *search_hit_json(const struct search_hit *h)
{
	return record_hit_json(&h->record, h->weight, h->match, &h->explain);
}

static void route_search(struct http_request *r)
{
	struct search_request req = { 0 };
	const char *limit = NULL;
	const struct http_member m[] = {
		{ "kind", HTTP_STRING, false, &req.kind },
		{ "query", HTTP_STRING, true, &req.query },
		{ "purpose", HTTP_STRING, true, &req.purpose },
		{ "limit", HTTP_STRING, false, &limit },
	};
	struct search_result res;
	struct htd_error err;
	htd_error_clear(&err);
	if (http_body(r, m, 4, NULL, &err) != HTD_OK) {
		fail(r, &err);
		return;
	}
	if (limit) {
		int64_t v;
		if (!str_to_i64(limit, 1, SEARCH_LIMIT_MAX, &v)) {
			htd_error_field(&err, HTD_ERR_INVALID, "limit",
			                "limit must be 1 to %d",
			                SEARCH_LIMIT_MAX);
			fail(r, &err);
			return;
		}
		req.limit = (size_t)v;
	}
	if (!with_engine(r))
		return;
	req.sealed_visible = access_sealed_visible(r->session.user.role);
	if (search_records(&r->svc, r->actor, r->svc.engine->nicknames, &req,
	                   &res, &err) != HTD_OK) {
		fail(r, &err);
		return;
	}
	json_t *hits = json_array();
	for (size_t i = 0; i < res.n; i++)
		json_array_append_new(hits, search_hit_json(&res.hits[i]));
	http_json(r, 200,
	          json_pack("{s:o,s:I,s:f}", "hits", hits, "candidates",
	                    (json_int_t)res.candidates, "threshold",
	                    res.threshold));
	search_result_free(&res);
}

/* ---- a call's related records (NENA step 7) ---------------------------- */

static void route_calls_related(struct http_request *r)
{
	struct related_list l;
	struct htd_error err;
	htd_error_clear(&err);
	if (related_list(&r->svc, param(r, "id"),
	                 access_sealed_visible(r->session.user.role), &l,
	                 &err) != HTD_OK) {
		fail(r, &err);
		return;
	}
	json_t *arr = json_array();
	for (size_t i = 0; i < l.n; i++) {
		const struct related_item *it = &l.items[i];
		json_array_append_new(
		    arr,
		    json_pack(
		        "{s:I,s:s,s:s,s:f,s:b,s:s,s:s,s:s,s:s*,s:o,s:s*,"
		        "s:b}",
		        "record", (json_int_t)it->s.record, "kind", it->s.kind,
		        "label", it->s.label, "weight", it->s.weight, "match",
		        it->s.match, "from", it->s.from, "why", it->s.why,
		        "state", related_state_name(it->state), "by",
		        it->by[0] ? it->by : NULL, "at", time_json(it->at_ms),
		        "reason", it->reason[0] ? it->reason : NULL, "sealed",
		        it->sealed));
	}
	related_list_free(&l);
	http_json(r, 200, json_pack("{s:o}", "related", arr));
}

static void route_calls_link(struct http_request *r)
{
	int confirmed = -1;
	const char *reason = NULL;
	const struct http_member m[] = {
		{ "confirmed", HTTP_BOOL, true, &confirmed },
		{ "reason", HTTP_STRING, false, &reason },
	};
	struct htd_error err;
	htd_error_clear(&err);
	int64_t record = 0;
	if (http_body(r, m, 2, NULL, &err) != HTD_OK) {
		fail(r, &err);
		return;
	}
	if (!str_to_i64(param(r, "record"), 1, INT64_MAX, &record)) {
		htd_error_field(&err, HTD_ERR_NOT_FOUND, "record",
		                "no record '%.40s'", param(r, "record"));
		fail(r, &err);
		return;
	}
	struct call c;
	call_init(&c);
	if (related_link(&r->svc, r->actor, param(r, "id"), record,
	                 confirmed == 1, reason,
	                 access_sealed_visible(r->session.user.role), &c,
	                 &err) != HTD_OK) {
		call_free(&c);
		fail(r, &err);
		return;
	}
	json_t *o = call_json(&c);
	if (call_tasks(r, c.ref, o, &err) != HTD_OK) {
		json_decref(o);
		call_free(&c);
		fail(r, &err);
		return;
	}
	http_json(r, 200, o);
	call_free(&c);
}

static void route_calls_graph(struct http_request *r)
{
	static const char *const allowed[] = { "depth", NULL };
	struct related_graph g;
	struct htd_error err;
	int64_t depth = 2;
	htd_error_clear(&err);
	const char *d = NULL;
	if (http_query_only(r, allowed, &err) != HTD_OK) {
		fail(r, &err);
		return;
	}
	d = http_query(r, "depth");
	if (d && !str_to_i64(d, 1, RELATED_DEPTH_MAX, &depth)) {
		htd_error_field(&err, HTD_ERR_INVALID, "depth",
		                "depth must be 1 to %d", RELATED_DEPTH_MAX);
		fail(r, &err);
		return;
	}
	if (!with_engine(r))
		return;
	if (related_graph(&r->svc, param(r, "id"), (int)depth,
	                  access_sealed_visible(r->session.user.role), &g,
	                  &err) != HTD_OK) {
		fail(r, &err);
		return;
	}
	http_json(r, 200, related_graph_json(&g));
	related_graph_free(&g);
}

/* A record with its links and the calls it was confirmed on, as the
 * asker's role may see it (service/search.h: search_record_show). */
static void route_records_get(struct http_request *r)
{
	struct htd_error err;
	htd_error_clear(&err);
	int64_t id = 0;
	if (http_query_only(r, NULL, &err) != HTD_OK) {
		fail(r, &err);
		return;
	}
	if (!str_to_i64(param(r, "id"), 1, INT64_MAX, &id)) {
		htd_error_field(&err, HTD_ERR_NOT_FOUND, "id",
		                "no record '%.40s'", param(r, "id"));
		fail(r, &err);
		return;
	}
	struct record_view v;
	if (search_record_show(&r->svc, r->actor, id,
	                       access_sealed_visible(r->session.user.role), &v,
	                       &err) != HTD_OK) {
		fail(r, &err);
		return;
	}
	http_json(r, 200,
	          record_view_json(&v.record, &v.links, v.other_sealed));
	record_view_free(&v);
}

static void route_units_add(struct http_request *r)
{
	struct units_add_request req = { 0 };
	json_t *langs = NULL;
	int ht = -1;
	char text[UNITS_LANGUAGES_MAX * 3 + 1] = "";
	const struct http_member m[] = {
		{ "call_sign", HTTP_STRING, true, &req.call_sign },
		{ "agency", HTTP_STRING, false, &req.agency },
		{ "languages", HTTP_ANY, false, &langs },
		{ "ht_trained", HTTP_BOOL, false, &ht },
	};
	struct store_unit u;
	struct htd_error err;
	htd_error_clear(&err);
	if (http_body(r, m, 4, NULL, &err) != HTD_OK ||
	    (langs &&
	     languages_member(langs, text, sizeof(text), &err) != HTD_OK)) {
		fail(r, &err);
		return;
	}
	req.languages = text;
	req.ht_trained = ht == 1;
	if (units_add(&r->svc, r->actor, &req, &u, &err) != HTD_OK) {
		fail(r, &err);
		return;
	}
	char loc[64 + UNITS_CALL_SIGN_MAX];
	str_format(loc, sizeof(loc), "/api/v1/units/%s", u.unit.call_sign);
	http_header(r, "Location", loc);
	http_json(r, 201, unit_json(&u));
}

static void route_units_update(struct http_request *r)
{
	struct units_update_request req = { .ht_trained = -1 };
	const char *status = NULL;
	json_t *langs = NULL;
	char text[UNITS_LANGUAGES_MAX * 3 + 1] = "";
	const struct http_member m[] = {
		{ "status", HTTP_STRING, false, &status },
		{ "agency", HTTP_STRING, false, &req.agency },
		{ "languages", HTTP_ANY, false, &langs },
		{ "ht_trained", HTTP_BOOL, false, &req.ht_trained },
	};
	const char *cs = param(r, "callsign");
	struct store_unit u;
	struct htd_error err;
	htd_error_clear(&err);
	if (http_body(r, m, 4, NULL, &err) != HTD_OK ||
	    (langs &&
	     languages_member(langs, text, sizeof(text), &err) != HTD_OK)) {
		fail(r, &err);
		return;
	}
	if (langs)
		req.languages = text;
	/* Each part is its own audited change; the first refused stops. */
	if ((req.agency || req.languages || req.ht_trained >= 0) &&
	    units_update(&r->svc, r->actor, cs, &req, NULL, &err) != HTD_OK) {
		fail(r, &err);
		return;
	}
	if (status && units_set_status(&r->svc, r->actor, cs, status, NULL,
	                               &err) != HTD_OK) {
		fail(r, &err);
		return;
	}
	if (units_get(&r->svc, cs, &u, &err) != HTD_OK)
		fail(r, &err);
	else
		http_json(r, 200, unit_json(&u));
}

/* A number member in degrees; HTD_ERR_INVALID naming it otherwise. */
static enum htd_err degrees_member(json_t *v, const char *field, double *out,
                                   struct htd_error *err)
{
	if (!json_is_number(v))
		return htd_error_field(err, HTD_ERR_INVALID, field,
		                       "%s must be a number of degrees", field);
	*out = json_number_value(v);
	return HTD_OK;
}

static void route_units_position(struct http_request *r)
{
	json_t *lat_v = NULL, *lon_v = NULL;
	const char *at = NULL;
	const struct http_member m[] = {
		{ "lat", HTTP_ANY, true, &lat_v },
		{ "lon", HTTP_ANY, true, &lon_v },
		{ "at", HTTP_STRING, false, &at },
	};
	double lat = 0, lon = 0;
	int64_t at_ms = 0;
	struct store_unit u;
	struct htd_error err;
	htd_error_clear(&err);
	if (http_body(r, m, 3, NULL, &err) != HTD_OK ||
	    degrees_member(lat_v, "lat", &lat, &err) != HTD_OK ||
	    degrees_member(lon_v, "lon", &lon, &err) != HTD_OK ||
	    (at && time_parse(at, "at", &at_ms, &err) != HTD_OK) ||
	    units_report_position(&r->svc, r->actor, param(r, "callsign"), lat,
	                          lon, at_ms, &u, &err) != HTD_OK) {
		fail(r, &err);
		return;
	}
	http_json(r, 200, unit_json(&u));
}

static void route_calls_recommend(struct http_request *r)
{
	static const char *const allowed[] = { "lat", "lon", NULL };
	const char *lat_t = http_query(r, "lat"), *lon_t = http_query(r, "lon");
	double lat = 0, lon = 0;
	struct units_recommendation rec;
	struct htd_error err;
	htd_error_clear(&err);
	if (http_query_only(r, allowed, &err) != HTD_OK ||
	    units_degrees_parse(lat_t, "lat", &lat, &err) != HTD_OK ||
	    units_degrees_parse(lon_t, "lon", &lon, &err) != HTD_OK) {
		fail(r, &err);
		return;
	}
	if (!with_engine(r))
		return;
	if (units_recommend_call(&r->svc, param(r, "id"), lat, lon, &rec,
	                         &err) != HTD_OK) {
		fail(r, &err);
		return;
	}
	json_t *arr = json_array();
	for (size_t i = 0; i < rec.n; i++) {
		const struct units_ranked *k = &rec.ranked[i];
		json_t *o = json_object();
		json_object_set_new(o, "rank", json_integer((json_int_t)i + 1));
		json_object_set_new(o, "unit",
		                    unit_json(&rec.stored.units[k->index]));
		json_object_set_new(o, "travel_s",
		                    k->travel_s >= 0 ? json_real(k->travel_s)
		                                     : json_null());
		json_object_set_new(o, "distance_km",
		                    k->distance_km >= 0
		                        ? json_real(k->distance_km)
		                        : json_null());
		json_object_set_new(o, "explanation",
		                    json_string(k->explanation));
		json_array_append_new(arr, o);
	}
	char ref[CALL_REF_MAX];
	calls_ref_canonical(param(r, "id"), ref, NULL);
	http_json(
	    r, 200,
	    json_pack("{s:s,s:o,s:o}", "call", ref, "language",
	              rec.language[0] ? json_string(rec.language) : json_null(),
	              "units", arr));
	units_recommendation_free(&rec);
}

static void route_calls_dispatch(struct http_request *r)
{
	json_t *units = NULL;
	const struct http_member m[] = {
		{ "units", HTTP_ANY, true, &units },
	};
	const char *signs[STORE_DISPATCH_UNITS_MAX];
	size_t n = 0, i;
	json_t *item;
	struct htd_error err;
	struct call c;
	htd_error_clear(&err);
	call_init(&c);
	if (http_body(r, m, 1, NULL, &err) != HTD_OK) {
		fail(r, &err);
		return;
	}
	if (!json_is_array(units) || json_array_size(units) < 1 ||
	    json_array_size(units) > STORE_DISPATCH_UNITS_MAX) {
		htd_error_field(&err, HTD_ERR_INVALID, "units",
		                "units must be an array of 1 to %d call signs",
		                STORE_DISPATCH_UNITS_MAX);
		fail(r, &err);
		return;
	}
	json_array_foreach(units, i, item)
	{
		signs[n] = json_string_value(item);
		if (!signs[n]) {
			htd_error_field(&err, HTD_ERR_INVALID, "units",
			                "units[%zu] must be a call sign", i);
			fail(r, &err);
			return;
		}
		n++;
	}
	if (!with_engine(r))
		return;
	int64_t since = 0;
	struct store_unit sent[STORE_DISPATCH_UNITS_MAX];
	int64_t t = decide_start();
	enum htd_err rc = calls_dispatch(&r->svc, r->actor, param(r, "id"),
	                                 signs, n, &c, sent, &since, &err);
	if (rc != HTD_OK) {
		fail(r, &err);
		call_free(&c);
		return;
	}
	decide_done(r, t);
	json_t *arr = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(arr, unit_json(&sent[i]));
	http_json(r, 200,
	          json_pack("{s:o,s:o,s:I}", "call", changed_json(&c), "units",
	                    arr, "since_open_ms", (json_int_t)since));
	call_free(&c);
}

/* ---- the table --------------------------------------------------------- */

void http_route(struct http_request *r)
{
	switch (r->match.route) {
	case ACCESS_ROUTE_HEALTHZ: route_healthz(r); break;
	case ACCESS_ROUTE_READYZ: route_readyz(r); break;
	case ACCESS_ROUTE_METRICS: route_metrics(r); break;
	case ACCESS_ROUTE_LOGIN: route_login(r); break;
	case ACCESS_ROUTE_LOGOUT: route_logout(r); break;
	case ACCESS_ROUTE_WHOAMI: route_whoami(r); break;
	case ACCESS_ROUTE_CALLS_OPEN: route_calls_open(r); break;
	case ACCESS_ROUTE_CALLS_LIST: route_calls_list(r); break;
	case ACCESS_ROUTE_CALLS_GET: route_calls_get(r); break;
	case ACCESS_ROUTE_CALLS_HISTORY: route_calls_history(r); break;
	case ACCESS_ROUTE_CALLS_NOTE: route_calls_note(r); break;
	case ACCESS_ROUTE_CALLS_ANSWER: route_calls_answer(r); break;
	case ACCESS_ROUTE_CALLS_DECISION: route_calls_decision(r); break;
	case ACCESS_ROUTE_CALLS_OVERRIDE: route_calls_override(r); break;
	case ACCESS_ROUTE_CALLS_MARK: route_calls_mark(r); break;
	case ACCESS_ROUTE_CALLS_CLOSE: route_calls_close(r); break;
	case ACCESS_ROUTE_ASSESS: route_assess(r); break;
	case ACCESS_ROUTE_PROTOCOL_GET: route_config(r, "protocol"); break;
	case ACCESS_ROUTE_POLICY_GET: route_config(r, "policy"); break;
	case ACCESS_ROUTE_LEXICON_GET: route_config(r, "lexicon"); break;
	case ACCESS_ROUTE_USERS_LIST: route_users_list(r); break;
	case ACCESS_ROUTE_USERS_ADD: route_users_add(r); break;
	case ACCESS_ROUTE_USERS_UPDATE: route_users_update(r); break;
	case ACCESS_ROUTE_AUDIT_LIST: route_audit_list(r); break;
	case ACCESS_ROUTE_EVENTS: route_events(r); break;
	case ACCESS_ROUTE_SEARCH: route_search(r); break;
	case ACCESS_ROUTE_CALLS_RELATED: route_calls_related(r); break;
	case ACCESS_ROUTE_CALLS_LINK: route_calls_link(r); break;
	case ACCESS_ROUTE_CALLS_GRAPH: route_calls_graph(r); break;
	case ACCESS_ROUTE_RECORDS_GET: route_records_get(r); break;
	case ACCESS_ROUTE_UNITS_LIST: route_units_list(r); break;
	case ACCESS_ROUTE_OUTBOX_LIST: route_outbox_list(r); break;
	case ACCESS_ROUTE_CALLS_TASK_CONFIRM:
		route_calls_task_confirm(r);
		break;
	case ACCESS_ROUTE_UNITS_ADD: route_units_add(r); break;
	case ACCESS_ROUTE_UNITS_GET: route_units_get(r); break;
	case ACCESS_ROUTE_UNITS_UPDATE: route_units_update(r); break;
	case ACCESS_ROUTE_UNITS_POSITION: route_units_position(r); break;
	case ACCESS_ROUTE_CALLS_RECOMMEND: route_calls_recommend(r); break;
	case ACCESS_ROUTE_CALLS_DISPATCH: route_calls_dispatch(r); break;
	case ACCESS_ROUTE__COUNT: break;
	}
}

/* A user name as it may be written in the audit ("?" when it is not
 * one: the audit never quotes arbitrary input). */
static const char *audit_user(const char *name)
{
	size_t n = strlen(name);
	if (n < 1 || n > USER_NAME_MAX)
		return "?";
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return "?";
	}
	return name;
}

/* A call sign as it may be written in the audit ("?" when not one). */
static const char *audit_unit(const char *call_sign)
{
	return call_sign && units_call_sign_valid(call_sign) ? call_sign : "?";
}

const char *http_route_action(const struct http_request *r, char *obj,
                              size_t size)
{
	const char *id = router_param(&r->match, "id");
	char ref[CALL_REF_MAX] = "?";
	if (id && calls_ref_canonical(id, ref, NULL) != HTD_OK)
		str_copy(ref, sizeof(ref), "?");
	obj[0] = '\0';
	if (id)
		str_format(obj, size, "call:%s", ref);
	switch (r->match.route) {
	case ACCESS_ROUTE_CALLS_OPEN: return "call.open";
	case ACCESS_ROUTE_CALLS_LIST: return "call.list";
	case ACCESS_ROUTE_CALLS_GET:
	case ACCESS_ROUTE_CALLS_HISTORY:
	case ACCESS_ROUTE_CALLS_DECISION: return "call.read";
	case ACCESS_ROUTE_CALLS_RELATED: return "call.related";
	case ACCESS_ROUTE_CALLS_LINK: return "call.link";
	case ACCESS_ROUTE_CALLS_GRAPH: return "call.graph";
	case ACCESS_ROUTE_CALLS_NOTE: return "call.note";
	case ACCESS_ROUTE_CALLS_ANSWER: return "call.answer";
	case ACCESS_ROUTE_CALLS_OVERRIDE: return "call.override";
	case ACCESS_ROUTE_CALLS_MARK: return "call.mark";
	case ACCESS_ROUTE_CALLS_CLOSE: return "call.close";
	case ACCESS_ROUTE_EVENTS: return "call.events";
	case ACCESS_ROUTE_PROTOCOL_GET:
		str_copy(obj, size, "config:protocol");
		return "config.read";
	case ACCESS_ROUTE_POLICY_GET:
		str_copy(obj, size, "config:policy");
		return "config.read";
	case ACCESS_ROUTE_LEXICON_GET:
		str_copy(obj, size, "config:lexicon");
		return "config.read";
	case ACCESS_ROUTE_USERS_LIST: return "user.list";
	case ACCESS_ROUTE_USERS_ADD: return "user.add";
	case ACCESS_ROUTE_USERS_UPDATE:
		str_format(obj, size, "user:%s",
		           audit_user(router_param(&r->match, "username")));
		return "user.update";
	case ACCESS_ROUTE_AUDIT_LIST: return "audit.read";
	case ACCESS_ROUTE_SEARCH:
		str_copy(obj, size, "records");
		return "records.search";
	case ACCESS_ROUTE_RECORDS_GET: {
		int64_t rid = 0;
		if (str_to_i64(id ? id : "", 1, INT64_MAX, &rid))
			str_format(obj, size, "record:%lld", (long long)rid);
		else
			str_copy(obj, size, "record:?");
		return "records.show";
	}
	case ACCESS_ROUTE_CALLS_RECOMMEND: return "call.read";
	case ACCESS_ROUTE_CALLS_DISPATCH: return "call.dispatch";
	case ACCESS_ROUTE_UNITS_LIST: return "unit.list";
	case ACCESS_ROUTE_OUTBOX_LIST:
		str_copy(obj, size, "outbox");
		return "outbox.read";
	case ACCESS_ROUTE_CALLS_TASK_CONFIRM: return "call.task_confirm";
	case ACCESS_ROUTE_UNITS_ADD: return "unit.add";
	case ACCESS_ROUTE_UNITS_GET:
	case ACCESS_ROUTE_UNITS_UPDATE:
	case ACCESS_ROUTE_UNITS_POSITION:
		str_format(obj, size, "unit:%s",
		           audit_unit(router_param(&r->match, "callsign")));
		return r->match.route == ACCESS_ROUTE_UNITS_GET ? "unit.read"
		       : r->match.route == ACCESS_ROUTE_UNITS_UPDATE
		           ? "unit.update"
		           : "unit.position";
	default: return NULL;
	}
}
