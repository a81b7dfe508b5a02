/*
 * outbox.c - the delivery of the notification outbox: the sender (one
 * pass over the due rows) and the worker thread that runs it (outbox.h).
 */
#include "service/outbox.h"

#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "core/backoff.h"
#include "formats/event_json.h"
#include "notify/transport.h"
#include "service/audit.h"
#include "service/notices.h"
#include "util/buf.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/str.h"

#define RECORD_RETRIES 8

static atomic_uint_fast64_t count_delivered;
static atomic_uint_fast64_t count_retries;
static atomic_uint_fast64_t count_failed;
static atomic_uint_fast64_t count_cancelled;

void outbox_counts_get(struct outbox_counts *out)
{
	out->delivered =
	    atomic_load_explicit(&count_delivered, memory_order_relaxed);
	out->retries =
	    atomic_load_explicit(&count_retries, memory_order_relaxed);
	out->failed = atomic_load_explicit(&count_failed, memory_order_relaxed);
	out->cancelled =
	    atomic_load_explicit(&count_cancelled, memory_order_relaxed);
}

void outbox_counts_cancelled(size_t n)
{
	atomic_fetch_add_explicit(&count_cancelled, (uint_fast64_t)n,
	                          memory_order_relaxed);
}

static void count(atomic_uint_fast64_t *c)
{
	atomic_fetch_add_explicit(c, 1, memory_order_relaxed);
}

/* ---- the sender ------------------------------------------------------- */

struct resolved_target {
	const struct policy_target *p;
	struct notify_target t;
	struct notify_secret secret;
};

struct outbox_sender {
	struct store *store;
	const struct policy *policy;
	struct resolved_target *targets; /* owned; policy order */
	size_t n;
};

/* Creates `dir` and its missing parents, each mode 0700. */
static enum htd_err make_spool_dir(const char *id, const char *dir,
                                   struct htd_error *err)
{
	char path[4096];
	struct stat st;
	if (!str_copy(path, sizeof(path), dir) || !path[0])
		return htd_error_set(err, HTD_ERR_INVALID,
		                     "target %s: spool directory '%.200s' is "
		                     "empty or too long",
		                     id, dir);
	for (char *p = path + 1;; p++) {
		bool end = *p == '\0';
		if (*p == '/' || end) {
			char keep = *p;
			*p = '\0';
			if (mkdir(path, 0700) != 0 && errno != EEXIST)
				return htd_error_set(
				    err, HTD_ERR_IO,
				    "target %s: cannot create the spool "
				    "directory %s: %s",
				    id, path, strerror(errno));
			*p = keep;
		}
		if (end)
			break;
	}
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
		return htd_error_set(err, HTD_ERR_IO,
		                     "target %s: spool directory %s is not a "
		                     "directory",
		                     id, dir);
	return HTD_OK;
}

enum htd_err outbox_sender_open(struct store *store,
                                const struct policy *policy,
                                struct outbox_sender **out,
                                struct htd_error *err)
{
	struct outbox_sender *s = xcalloc(1, sizeof(*s));
	enum htd_err rc = HTD_OK;
	s->store = store;
	s->policy = policy;
	s->n = policy->notify.n_targets;
	s->targets = xcalloc(s->n ? s->n : 1, sizeof(*s->targets));
	for (size_t i = 0; i < s->n; i++) {
		const struct policy_target *p = &policy->notify.targets[i];
		struct resolved_target *r = &s->targets[i];
		r->p = p;
		switch (p->transport) {
		case POLICY_TRANSPORT_WEBHOOK:
			r->t.kind = NOTIFY_TRANSPORT_WEBHOOK;
			break;
		case POLICY_TRANSPORT_SMTP:
			r->t.kind = NOTIFY_TRANSPORT_SMTP;
			break;
		case POLICY_TRANSPORT_SPOOL:
			r->t.kind = NOTIFY_TRANSPORT_SPOOL;
			break;
		}
		r->t.url = p->url;
		r->t.allow_http = p->allow_http;
		r->t.starttls = p->starttls;
		r->t.from = p->from;
		r->t.to = (const char *const *)p->to;
		r->t.n_to = p->n_to;
		r->t.username = p->username;
		r->t.spool_dir = p->spool_dir;
		r->t.timeout_ms = p->timeout_ms;
		if (p->secret_ref) {
			struct htd_error why;
			htd_error_clear(&why);
			rc =
			    notify_secret_read(p->secret_ref, &r->secret, &why);
			if (rc != HTD_OK) {
				htd_error_set(err, rc, "target %s: %s", p->id,
				              why.message);
				goto fail;
			}
			r->t.secret = r->secret.data;
			r->t.secret_len = r->secret.len;
		}
		if (p->transport == POLICY_TRANSPORT_SPOOL) {
			rc = make_spool_dir(p->id, p->spool_dir, err);
			if (rc != HTD_OK)
				goto fail;
		}
	}
	*out = s;
	return HTD_OK;
fail:
	outbox_sender_close(s);
	*out = NULL;
	return rc;
}

void outbox_sender_close(struct outbox_sender *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++)
		notify_secret_free(&s->targets[i].secret);
	free(s->targets);
	free(s);
}

static const struct resolved_target *target_find(const struct outbox_sender *s,
                                                 const char *id)
{
	for (size_t i = 0; i < s->n; i++)
		if (str_eq(s->targets[i].p->id, id))
			return &s->targets[i];
	return NULL;
}

/* True when `kind` is a notice of the policy (its delivery can complete
 * the action); false for a raise. */
static bool policy_kind(const char *kind)
{
	enum policy_notice_kind k;
	return policy_notice_kind_parse(kind, &k);
}

/* True when every other row of the row's notice is delivered. */
static enum htd_err notice_complete(struct outbox_sender *s,
                                    const struct store_outbox *row, bool *out,
                                    struct htd_error *err)
{
	struct store_outbox_list l = { 0 };
	struct store_outbox_filter f = { .call_ref = row->call_ref,
		                         .limit = STORE_OUTBOX_LIST_MAX };
	*out = false;
	if (!policy_kind(row->kind))
		return HTD_OK;
	enum htd_err rc = store_outbox_list(s->store, &f, &l, err);
	if (rc != HTD_OK)
		return rc;
	bool all = true;
	for (size_t i = 0; i < l.n; i++) {
		const struct store_outbox *o = &l.rows[i];
		if (o->id == row->id || !str_eq(o->kind, row->kind))
			continue;
		/* A warm transfer is done when the call-taker confirms it,
		 * not when its packet is delivered. */
		if (str_eq(o->transport, NOTICES_TASK_TRANSPORT) ||
		    o->state != STORE_OUTBOX_DELIVERED)
			all = false;
	}
	store_outbox_list_free(&l);
	*out = all;
	return HTD_OK;
}

/* The rows that raise a failed delivery to the supervisor's targets. */
static void raise_rows(struct outbox_sender *s, const struct store_outbox *row,
                       int64_t now_ms, struct store_outbox **rows, size_t *n,
                       char *targets, size_t targets_size)
{
	const struct policy_notice *sup =
	    policy_notice_find(s->policy, POLICY_NOTICE_SUPERVISOR_NOTICE);
	char subject[256], text[1024];
	*rows = NULL;
	*n = 0;
	targets[0] = '\0';
	/* The supervisor's own notice, or a raise, failing: the board and
	 * the log only (never a loop of raises). */
	const char *sup_kind =
	    policy_notice_kind_name(POLICY_NOTICE_SUPERVISOR_NOTICE);
	if (!sup || sup->n_targets == 0 ||
	    strncmp(row->kind, sup_kind, strlen(sup_kind)) == 0 ||
	    str_eq(row->kind, OUTBOX_KIND_FAILED))
		return;
	str_format(subject, sizeof(subject), "DELIVERY FAILED: %s for call %s",
	           row->kind, row->call_ref);
	str_format(text, sizeof(text),
	           "Delivery of %s to %s for call %s failed after %d "
	           "attempt%s: %s\nIt was NOT received. Act on it by other "
	           "means; it is on the board (failed notifications).\n",
	           row->kind, row->target, row->call_ref, row->attempts,
	           row->attempts == 1 ? "" : "s", row->last_error);
	*rows = xcalloc(sup->n_targets, sizeof(**rows));
	struct buf names;
	buf_init(&names, targets_size > 1 ? targets_size - 1 : 1);
	(void)buf_puts(&names, "to");
	for (size_t i = 0; i < sup->n_targets; i++) {
		const struct policy_target *t =
		    &s->policy->notify.targets[sup->targets[i]];
		struct store_outbox *r = &(*rows)[*n];
		str_copy(r->call_ref, sizeof(r->call_ref), row->call_ref);
		str_copy(r->kind, sizeof(r->kind), OUTBOX_KIND_FAILED);
		str_copy(r->action, sizeof(r->action), row->action);
		str_copy(r->target, sizeof(r->target), t->id);
		str_copy(r->transport, sizeof(r->transport),
		         policy_transport_name(t->transport));
		if (!str_format(r->key, sizeof(r->key), "%s-%s-%lld-%s",
		                row->call_ref, OUTBOX_KIND_FAILED,
		                (long long)row->id, t->id))
			continue;
		r->subject = xstrdup(subject);
		if (t->transport == POLICY_TRANSPORT_SMTP) {
			str_copy(r->content_type, sizeof(r->content_type),
			         "text/plain; charset=utf-8");
			r->body = xstrdup(text);
		} else {
			str_copy(r->content_type, sizeof(r->content_type),
			         "application/json");
			json_t *doc = json_pack(
			    "{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "kind",
			    OUTBOX_KIND_FAILED, "call_id", row->call_ref, "key",
			    r->key, "target", t->id, "failed_key", row->key,
			    "failed_kind", row->kind, "subject", subject,
			    "text", text);
			r->body =
			    doc ? json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS)
			        : NULL;
			json_decref(doc);
			if (!r->body) {
				free(r->subject);
				continue;
			}
		}
		r->state = STORE_OUTBOX_PENDING;
		r->next_attempt_ms = now_ms;
		r->created_at_ms = now_ms;
		r->updated_at_ms = now_ms;
		(void)buf_printf(&names, "%s %s", *n ? "," : "", t->id);
		(*n)++;
	}
	str_copy(targets, targets_size, buf_str(&names));
	buf_free(&names);
}

static void rows_free(struct store_outbox *rows, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(rows[i].subject);
		free(rows[i].body);
	}
	free(rows);
}

/*
 * Writes `row` (from state PENDING) with the `n` events on its call (and
 * `raise` rows on the last of them), re-reading the call when another
 * writer moved it on.
 */
static enum htd_err
record_from(struct store *store, enum store_outbox_state from,
            const struct store_outbox *row, const struct call_event *events,
            size_t n, const struct store_outbox *raise, size_t n_raise,
            const struct store_audit *audit, struct htd_error *err)
{
	enum htd_err rc = HTD_OK;
	if (n == 0)
		return store_outbox_record(store, row, from, NULL, 0, err);
	for (int attempt = 0; attempt < RECORD_RETRIES; attempt++) {
		struct call states[2];
		struct store_event stored[2];
		struct store_append items[2];
		char *payloads[2] = { NULL, NULL };
		size_t done = 0;
		struct call c;
		call_init(&c);
		rc = store_call_get(store, row->call_ref, &c, err);
		for (size_t i = 0; rc == HTD_OK && i < n && i < 2; i++) {
			int64_t version = c.version;
			rc = call_event_validate(&events[i], err);
			if (rc == HTD_OK)
				rc = call_apply(&c, &events[i], err);
			if (rc != HTD_OK)
				break;
			payloads[i] = event_json_encode(&events[i]);
			call_init(&states[i]);
			call_copy(&states[i], &c);
			stored[i] = (struct store_event){
				.seq = version + 1,
				.type = call_event_type_name(events[i].type),
				.at_ms = events[i].at_ms,
				.actor = events[i].actor,
				.payload = payloads[i],
			};
			items[i] = (struct store_append){
				.call_ref = row->call_ref,
				.expected_version = version,
				.event = &stored[i],
				.projection = &states[i],
			};
			done++;
		}
		if (rc == HTD_OK) {
			items[0].audit = audit;
			items[done - 1].outbox = raise;
			items[done - 1].n_outbox = n_raise;
			rc = store_outbox_record(store, row, from, items, done,
			                         err);
		}
		for (size_t i = 0; i < done; i++) {
			free(payloads[i]);
			call_free(&states[i]);
		}
		call_free(&c);
		if (rc != HTD_ERR_CONFLICT)
			break;
	}
	return rc;
}

/*
 * Records the outcome of an attempt on a row that was pending when it was
 * taken. When the row is no longer pending (withdrawn while it was being
 * sent: its action stopped being required), the outcome is not written:
 * the row stays cancelled, never resurrected, and a WARN line says what
 * the receiver may have got. HTD_OK then, with *withdrawn set.
 */
static enum htd_err record(struct outbox_sender *s,
                           const struct store_outbox *row,
                           const struct call_event *events, size_t n,
                           const struct store_outbox *raise, size_t n_raise,
                           bool *withdrawn, struct htd_error *err)
{
	*withdrawn = false;
	enum htd_err rc = record_from(s->store, STORE_OUTBOX_PENDING, row,
	                              events, n, raise, n_raise, NULL, err);
	if (rc != HTD_ERR_CONFLICT)
		return rc;
	struct store_outbox_list l = { 0 };
	struct store_outbox_filter f = { .call_ref = row->call_ref,
		                         .limit = STORE_OUTBOX_LIST_MAX };
	struct htd_error lerr;
	htd_error_clear(&lerr);
	if (store_outbox_list(s->store, &f, &l, &lerr) != HTD_OK)
		return rc;
	const struct store_outbox *now = NULL;
	for (size_t i = 0; i < l.n; i++)
		if (l.rows[i].id == row->id)
			now = &l.rows[i];
	if (now && now->state != STORE_OUTBOX_PENDING) {
		log_event(LOG_WARN, "notice_withdrawn_in_flight", "call",
		          row->call_ref, "kind", row->kind, "target",
		          row->target, "key", row->key, "state",
		          store_outbox_state_name(now->state), "outcome",
		          row->state == STORE_OUTBOX_DELIVERED
		              ? "the receiver took it before the withdrawal "
		                "committed"
		              : "not delivered",
		          NULL);
		*withdrawn = true;
		rc = HTD_OK;
	}
	store_outbox_list_free(&l);
	return rc;
}

/* Held while a delivery decides whether it completes its notice and
 * records it (one worker per database: see docs/notify.md). */
static pthread_mutex_t complete_lock = PTHREAD_MUTEX_INITIALIZER;

/* splitmix64: 64 fresh bits per row from the pass's seed. */
static uint64_t mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static enum htd_err attempt_row(struct outbox_sender *s,
                                struct store_outbox *row, int64_t now_ms,
                                uint64_t random, struct htd_error *err)
{
	struct notify_result r;
	const struct resolved_target *t = target_find(s, row->target);
	memset(&r, 0, sizeof(r));
	if (!t) {
		r.outcome = NOTIFY_PERMANENT;
		str_format(r.error, sizeof(r.error),
		           "target %s is no longer in the policy", row->target);
	} else {
		struct notify_message m = {
			.idempotency_key = row->key,
			.kind = row->kind,
			.content_type = t->t.kind == NOTIFY_TRANSPORT_SMTP
			                    ? NULL
			                    : row->content_type,
			.body = row->body,
			.body_len = strlen(row->body),
			.subject = row->subject,
			.created_ms = row->created_at_ms,
		};
		notify_send(&t->t, &m, now_ms, &r);
	}
	row->attempts++;
	row->updated_at_ms = now_ms;
	row->last_status = r.status;
	str_copy(row->last_error, sizeof(row->last_error), r.error);

	struct call_event ev[2];
	memset(ev, 0, sizeof(ev));
	ev[0].at_ms = now_ms;
	ev[0].actor = OUTBOX_ACTOR;
	ev[0].u.notice.kind = row->kind;
	ev[0].u.notice.action = row->action;
	ev[0].u.notice.target = row->target;
	ev[0].u.notice.key = row->key;
	char detail[512];
	const struct policy_notify *pn = &s->policy->notify;
	int attempts_max = pn->attempts > 0 ? pn->attempts : 1;

	if (r.outcome == NOTIFY_DELIVERED) {
		bool complete = false;
		/* Lanes deliver a notice's targets in parallel: whether this
		 * delivery is the last one is decided and recorded under one
		 * lock, so exactly one of them completes the action. */
		pthread_mutex_lock(&complete_lock);
		enum htd_err rc = notice_complete(s, row, &complete, err);
		if (rc != HTD_OK) {
			pthread_mutex_unlock(&complete_lock);
			return rc;
		}
		row->state = STORE_OUTBOX_DELIVERED;
		row->delivered_at_ms = now_ms;
		str_format(detail, sizeof(detail), "%s delivered to %s",
		           row->kind, row->target);
		ev[0].type = CALL_EVENT_NOTICE_DELIVERED;
		ev[0].u.notice.detail = detail;
		ev[0].u.notice.completes = complete;
		bool withdrawn = false;
		rc = record(s, row, ev, 1, NULL, 0, &withdrawn, err);
		pthread_mutex_unlock(&complete_lock);
		if (rc == HTD_OK && !withdrawn) {
			count(&count_delivered);
			log_event(LOG_INFO, "notice_delivered", "call",
			          row->call_ref, "kind", row->kind, "target",
			          row->target, "key", row->key, NULL);
		}
		return rc;
	}
	if (r.outcome == NOTIFY_RETRY && row->attempts < attempts_max) {
		int64_t delay =
		    backoff_delay_ms(row->attempts, pn->first_delay_ms,
		                     pn->max_delay_ms, random);
		if (r.retry_after_s >= 0 && r.retry_after_s * 1000 > delay)
			delay = r.retry_after_s * 1000;
		row->next_attempt_ms = now_ms + delay;
		bool withdrawn = false;
		enum htd_err rc =
		    record(s, row, NULL, 0, NULL, 0, &withdrawn, err);
		if (rc == HTD_OK && !withdrawn) {
			char a[16], d[24];
			str_format(a, sizeof(a), "%d", row->attempts);
			str_format(d, sizeof(d), "%lld", (long long)delay);
			count(&count_retries);
			log_event(LOG_WARN, "notice_retry", "call",
			          row->call_ref, "kind", row->kind, "target",
			          row->target, "key", row->key, "attempt", a,
			          "delay_ms", d, "error", r.error, NULL);
		}
		return rc;
	}
	/* Failed for good: loudly, on the call, the log, the board, and to
	 * the supervisor. */
	row->state = STORE_OUTBOX_FAILED;
	str_format(detail, sizeof(detail),
	           "%s to %s failed after %d attempt%s: %s", row->kind,
	           row->target, row->attempts, row->attempts == 1 ? "" : "s",
	           r.error[0] ? r.error : "unknown error");
	ev[0].type = CALL_EVENT_NOTICE_FAILED;
	ev[0].u.notice.detail = detail;
	struct store_outbox *raise = NULL;
	size_t n_raise = 0;
	char targets[512];
	raise_rows(s, row, now_ms, &raise, &n_raise, targets, sizeof(targets));
	size_t n_events = 1;
	if (n_raise) {
		ev[1].type = CALL_EVENT_NOTICE_QUEUED;
		ev[1].at_ms = now_ms;
		ev[1].actor = OUTBOX_ACTOR;
		ev[1].u.notice.kind = OUTBOX_KIND_FAILED;
		ev[1].u.notice.action = row->action;
		ev[1].u.notice.target = "";
		ev[1].u.notice.key = "";
		ev[1].u.notice.detail = targets;
		n_events = 2;
	}
	bool withdrawn = false;
	enum htd_err rc =
	    record(s, row, ev, n_events, raise, n_raise, &withdrawn, err);
	rows_free(raise, n_raise);
	if (rc == HTD_OK && !withdrawn) {
		count(&count_failed);
		log_event(LOG_ERROR, "notice_failed", "call", row->call_ref,
		          "kind", row->kind, "target", row->target, "key",
		          row->key, "error", detail, "raised",
		          n_raise ? "supervisor" : "board", NULL);
	}
	return rc;
}

/*
 * One pass over the due rows of a lane: target `target`'s (NULL: every
 * target's), or with `orphans` the rows of targets the sender does not
 * know (a policy changed meanwhile: they fail, loudly).
 */
static enum htd_err pass_lane(struct outbox_sender *s, int64_t now_ms,
                              uint64_t random, const char *target, bool orphans,
                              size_t limit, size_t *attempted,
                              struct htd_error *err)
{
	struct store_outbox_list due = { 0 };
	size_t n = 0;
	if (attempted)
		*attempted = 0;
	enum htd_err rc =
	    store_outbox_due(s->store, now_ms, target, limit, &due, err);
	for (size_t i = 0; rc == HTD_OK && i < due.n; i++) {
		if (orphans && target_find(s, due.rows[i].target))
			continue;
		rc = attempt_row(s, &due.rows[i], now_ms, mix(random + i), err);
		n++;
	}
	store_outbox_list_free(&due);
	if (attempted)
		*attempted = n;
	return rc;
}

enum htd_err outbox_sender_pass(struct outbox_sender *s, int64_t now_ms,
                                uint64_t random, size_t limit,
                                size_t *attempted, struct htd_error *err)
{
	return pass_lane(s, now_ms, random, NULL, false, limit, attempted, err);
}

/* ---- the board -------------------------------------------------------- */

enum htd_err outbox_list(struct service *svc, const char *state,
                         const char *call, const char *limit,
                         struct store_outbox_list *out, struct htd_error *err)
{
	struct store_outbox_filter f = { .limit = 100 };
	char ref[CALL_REF_MAX];
	int64_t n;
	enum htd_err rc = HTD_OK;
	if (!str_empty(state)) {
		f.by_state = true;
		if (!store_outbox_state_parse(state, &f.state))
			rc =
			    htd_error_field(err, HTD_ERR_INVALID, "state",
			                    "state must be pending, delivered, "
			                    "failed, task_open, task_confirmed "
			                    "or cancelled, not '%.40s'",
			                    state);
	}
	if (rc == HTD_OK && !str_empty(call)) {
		rc = calls_ref_canonical(call, ref, err);
		f.call_ref = ref;
	}
	if (rc == HTD_OK && limit) {
		if (!str_to_i64(limit, 1, STORE_OUTBOX_LIST_MAX, &n))
			rc = htd_error_field(err, HTD_ERR_INVALID, "limit",
			                     "limit must be 1..%d",
			                     STORE_OUTBOX_LIST_MAX);
		else
			f.limit = (size_t)n;
	}
	if (rc == HTD_OK)
		rc = store_outbox_list(svc->store, &f, out, err);
	if (svc->address) {
		char detail[96];
		str_format(detail, sizeof(detail), "state=%s call=%s",
		           str_empty(state) ? "any" : state,
		           str_empty(call) ? "any" : call);
		struct audit_entry ae = {
			.at_ms = clock_now_ms(svc->clock),
			.actor = svc->actor ? svc->actor : "anonymous",
			.action = "outbox.read",
			.object = "outbox",
			.address = svc->address,
			.outcome = rc == HTD_OK ? AUDIT_OUTCOME_OK
			                        : audit_outcome_of(rc),
			.detail = detail,
		};
		struct htd_error aerr;
		htd_error_clear(&aerr);
		if (audit_record(svc, &ae, &aerr) != HTD_OK && rc == HTD_OK) {
			store_outbox_list_free(out);
			*err = aerr;
			rc = aerr.code;
		}
	}
	return rc;
}

/* ---- call-taker tasks -------------------------------------------------- */

enum htd_err outbox_task_confirm(struct service *svc, const char *actor,
                                 const char *call, const char *key,
                                 const char *note, struct call *out,
                                 struct htd_error *err)
{
	char ref[CALL_REF_MAX];
	char detail[CALL_REASON_MAX + 1];
	struct store_outbox_list l = { 0 };
	struct store_outbox_filter f = { .limit = STORE_OUTBOX_LIST_MAX };
	struct store_outbox *row = NULL;
	int64_t now = clock_now_ms(svc->clock);
	enum htd_err rc = calls_ref_canonical(call, ref, err);
	if (rc != HTD_OK)
		return rc;
	f.call_ref = ref;
	if (!notify_key_valid(key))
		return htd_error_field(err, HTD_ERR_INVALID, "key",
		                       "a task key is letters, digits, '-' "
		                       "and '_' (at most 128)");
	if (note && strlen(note) > 500)
		return htd_error_field(err, HTD_ERR_TOO_LARGE, "note",
		                       "the note is at most 500 bytes");
	rc = store_outbox_list(svc->store, &f, &l, err);
	for (size_t i = 0; rc == HTD_OK && i < l.n; i++)
		if (str_eq(l.rows[i].key, key) &&
		    str_eq(l.rows[i].transport, NOTICES_TASK_TRANSPORT))
			row = &l.rows[i];
	if (rc == HTD_OK && !row)
		rc = htd_error_field(err, HTD_ERR_NOT_FOUND, "key",
		                     "call %s has no task %.128s", ref, key);
	if (rc == HTD_OK && row->state == STORE_OUTBOX_CANCELLED)
		rc = htd_error_field(err, HTD_ERR_CONFLICT, "key",
		                     "task %.128s was withdrawn: its action "
		                     "%s is no longer required (see the "
		                     "call's notice_cancelled event)",
		                     key, row->action);
	else if (rc == HTD_OK && row->state != STORE_OUTBOX_TASK_OPEN)
		rc = htd_error_field(err, HTD_ERR_CONFLICT, "key",
		                     "task %.128s is already confirmed", key);
	if (rc != HTD_OK)
		goto out;
	str_format(detail, sizeof(detail), "warm transfer confirmed%s%s",
	           str_empty(note) ? "" : ": ", str_empty(note) ? "" : note);
	struct call_event e = {
		.type = CALL_EVENT_TASK_CONFIRMED,
		.at_ms = now,
		.actor = actor,
	};
	e.u.notice.kind = row->kind;
	e.u.notice.action = row->action;
	e.u.notice.target = row->target;
	e.u.notice.key = row->key;
	e.u.notice.detail = detail;
	e.u.notice.completes = true;
	row->state = STORE_OUTBOX_TASK_CONFIRMED;
	row->updated_at_ms = now;
	row->delivered_at_ms = now;
	struct audit_texts texts;
	struct store_audit sa;
	char object[CALL_REF_MAX + 8];
	if (svc->address) {
		str_format(object, sizeof(object), "call:%s", ref);
		struct audit_entry ae = {
			.at_ms = now,
			.actor = actor,
			.action = "call.task_confirm",
			.object = object,
			.address = svc->address,
			.outcome = AUDIT_OUTCOME_OK,
			.detail = row->kind,
		};
		audit_prepare(svc, &ae, &texts, &sa);
	}
	rc = record_from(svc->store, STORE_OUTBOX_TASK_OPEN, row, &e, 1, NULL,
	                 0, svc->address ? &sa : NULL, err);
	if (rc == HTD_OK) {
		log_event(LOG_INFO, "task_confirmed", "call", ref, "kind",
		          row->kind, "actor", actor, NULL);
		if (out)
			rc = store_call_get(svc->store, ref, out, err);
	}
out:
	if (rc != HTD_OK && svc->address) {
		char object2[CALL_REF_MAX + 8];
		str_format(object2, sizeof(object2), "call:%s", ref);
		struct audit_entry ae = {
			.at_ms = now,
			.actor = actor,
			.action = "call.task_confirm",
			.object = object2,
			.address = svc->address,
			.outcome = audit_outcome_of(rc),
			.detail = "",
		};
		struct htd_error aerr;
		(void)audit_record(svc, &ae, &aerr);
	}
	store_outbox_list_free(&l);
	return rc;
}

/* ---- the worker ------------------------------------------------------- */

/*
 * A lane: one thread, its own connection and sender, delivering the rows
 * of one target, so a receiver that hangs (up to its timeout, at every
 * attempt) delays only its own notices, never another target's. The last
 * lane takes the rows of targets not in the policy (orphans).
 */
struct lane {
	struct outbox_worker *w;
	const char *target; /* borrowed from the policy; NULL: orphans */
	struct store *store;
	struct outbox_sender *sender;
	pthread_t thread;
	bool started;
	uint64_t seed;
};

/* Rows the orphan lane looks through per pass: due rows of known targets
 * are skipped there, so it must see past them. */
#define ORPHAN_SCAN 256

struct outbox_worker {
	struct store_options so; /* path borrowed from the options */
	const struct htd_clock *clock;
	int64_t poll_ms;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool stop;
	uint64_t rung; /* doorbell count: each lane passes again on change */
	struct lane *lanes;
	size_t n_lanes;
};

static void *lane_main(void *arg)
{
	struct lane *l = arg;
	struct outbox_worker *w = l->w;
	bool logged = false;
	uint64_t seen = 0;
	for (;;) {
		pthread_mutex_lock(&w->lock);
		bool stop = w->stop;
		seen = w->rung;
		pthread_mutex_unlock(&w->lock);
		if (stop)
			break;
		struct htd_error err;
		size_t n = 0;
		htd_error_clear(&err);
		l->seed = mix(l->seed);
		enum htd_err rc =
		    pass_lane(l->sender, clock_now_ms(w->clock), l->seed,
		              l->target, l->target == NULL,
		              l->target ? OUTBOX_BATCH : ORPHAN_SCAN, &n, &err);
		if (rc != HTD_OK && !logged) {
			/* The store is down or busy: said once, retried at
			 * every poll; the rows stay pending. */
			log_event(LOG_ERROR, "outbox_error", "target",
			          l->target ? l->target : "(orphans)", "error",
			          err.message, NULL);
			logged = true;
		} else if (rc == HTD_OK) {
			logged = false;
		}
		if (rc == HTD_OK && l->target && n == OUTBOX_BATCH)
			continue; /* more may be due */
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += w->poll_ms / 1000;
		until.tv_nsec += (long)(w->poll_ms % 1000) * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_mutex_lock(&w->lock);
		while (!w->stop && w->rung == seen)
			if (pthread_cond_timedwait(&w->wake, &w->lock,
			                           &until) == ETIMEDOUT)
				break;
		pthread_mutex_unlock(&w->lock);
	}
	return NULL;
}

/* The worker of this process, for the doorbell. */
static pthread_mutex_t doorbell_lock = PTHREAD_MUTEX_INITIALIZER;
static struct outbox_worker *doorbell_worker;

/* Joins (after w->stop was set) and frees lanes[0..n). */
static void lanes_close(struct lane *lanes, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct lane *l = &lanes[i];
		if (l->started)
			pthread_join(l->thread, NULL);
		outbox_sender_close(l->sender);
		store_close(l->store);
	}
	free(lanes);
}

static void worker_free(struct outbox_worker *w)
{
	pthread_mutex_lock(&w->lock);
	w->stop = true;
	pthread_cond_broadcast(&w->wake);
	pthread_mutex_unlock(&w->lock);
	lanes_close(w->lanes, w->n_lanes);
	pthread_cond_destroy(&w->wake);
	pthread_mutex_destroy(&w->lock);
	free(w);
}

/* Opens lanes[0..n) (n: the policy's targets and the orphans) for
 * `pol`: each a connection and a sender, no thread yet. */
static enum htd_err lanes_open(struct outbox_worker *w, struct lane *lanes,
                               size_t n, const struct policy *pol,
                               const struct store_options *so,
                               struct htd_error *err)
{
	enum htd_err rc = HTD_OK;
	for (size_t i = 0; rc == HTD_OK && i < n; i++) {
		struct lane *l = &lanes[i];
		l->w = w;
		l->target = i < pol->notify.n_targets
		                ? pol->notify.targets[i].id
		                : NULL;
		l->seed = (uint64_t)clock_now_ms(NULL) ^
		          (uint64_t)(uintptr_t)l ^ mix(i);
		rc = store_open(so, &l->store, err);
		if (rc == HTD_OK)
			rc = outbox_sender_open(l->store, pol, &l->sender, err);
	}
	return rc;
}

/* Starts the threads of the worker's lanes. */
static enum htd_err lanes_start(struct outbox_worker *w, struct htd_error *err)
{
	for (size_t i = 0; i < w->n_lanes; i++) {
		struct lane *l = &w->lanes[i];
		if (pthread_create(&l->thread, NULL, lane_main, l) != 0)
			return htd_error_set(
			    err, HTD_ERR_INTERNAL,
			    "cannot start the delivery worker");
		l->started = true;
	}
	return HTD_OK;
}

enum htd_err outbox_worker_start(const struct outbox_worker_options *o,
                                 struct outbox_worker **out,
                                 struct htd_error *err)
{
	const struct policy *pol = o->engine ? &o->engine->policy : o->policy;
	struct outbox_worker *w = xcalloc(1, sizeof(*w));
	*out = NULL;
	w->so = (struct store_options){ .path = o->db_path,
		                        .busy_timeout_ms = o->busy_timeout_ms };
	w->clock = o->clock;
	w->poll_ms = o->poll_ms > 0 ? o->poll_ms : OUTBOX_POLL_MS_DEFAULT;
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->wake, NULL);
	w->n_lanes = pol->notify.n_targets + 1;
	w->lanes = xcalloc(w->n_lanes, sizeof(*w->lanes));
	enum htd_err rc = lanes_open(w, w->lanes, w->n_lanes, pol, &w->so, err);
	if (rc == HTD_OK)
		rc = lanes_start(w, err);
	if (rc != HTD_OK) {
		worker_free(w);
		return rc;
	}
	pthread_mutex_lock(&doorbell_lock);
	if (!doorbell_worker)
		doorbell_worker = w;
	pthread_mutex_unlock(&doorbell_lock);
	*out = w;
	return HTD_OK;
}

enum htd_err outbox_worker_reload(struct outbox_worker *w,
                                  const struct policy *policy,
                                  struct htd_error *err)
{
	size_t n = policy->notify.n_targets + 1;
	struct lane *lanes = xcalloc(n, sizeof(*lanes));
	/* Everything the new policy needs first (secrets, spool
	 * directories): when any is missing the old lanes go on. */
	enum htd_err rc = lanes_open(w, lanes, n, policy, &w->so, err);
	if (rc != HTD_OK) {
		lanes_close(lanes, n);
		return rc;
	}
	/* The old lanes finish the attempt in progress and record it. */
	pthread_mutex_lock(&w->lock);
	w->stop = true;
	pthread_cond_broadcast(&w->wake);
	pthread_mutex_unlock(&w->lock);
	lanes_close(w->lanes, w->n_lanes);
	pthread_mutex_lock(&w->lock);
	w->stop = false;
	w->lanes = lanes;
	w->n_lanes = n;
	w->rung++; /* a first pass at once */
	pthread_mutex_unlock(&w->lock);
	return lanes_start(w, err);
}

void outbox_doorbell(void)
{
	pthread_mutex_lock(&doorbell_lock);
	outbox_worker_wake(doorbell_worker);
	pthread_mutex_unlock(&doorbell_lock);
}

void outbox_worker_wake(struct outbox_worker *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->lock);
	w->rung++;
	pthread_cond_broadcast(&w->wake);
	pthread_mutex_unlock(&w->lock);
}

void outbox_worker_stop(struct outbox_worker *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&doorbell_lock);
	if (doorbell_worker == w)
		doorbell_worker = NULL;
	pthread_mutex_unlock(&doorbell_lock);
	worker_free(w);
}
