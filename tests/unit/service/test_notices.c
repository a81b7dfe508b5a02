/*
 * test_notices.c - the notices a decision queues (service/notices.h): rows
 * in the outbox in the same transaction as the decision, one per target,
 * with deterministic keys; the record of it on the call; what each text
 * may and may not say, over many generated calls; and the store's outbox
 * operations (due, record with the events it causes, list).
 */
#include <criterion/criterion.h>
#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "formats/event_json.h"
#include "service/calls.h"
#include "service/notices.h"
#include "service/outbox.h"
#include "testutil.h"
#include "util/str.h"

static char dir[512];
static char db[600];
static int64_t now;
static struct htd_clock fixed;
static struct store *store;
static struct engine *engine;
static struct service svc;

static void setup(void)
{
	const char *root = getenv("HTD_SOURCE_ROOT");
	static char pf[1024], lf[1024], lx[1024], cache[1024];
	struct htd_error err;
	cr_assert(root);
	snprintf(pf, sizeof(pf), "%s/data/protocol/nena-ht.yaml", root);
	snprintf(lf, sizeof(lf), "%s/etc/policy.yaml", root);
	snprintf(lx, sizeof(lx), "%s/data/lexicon", root);
	const char *tmp = getenv("TMPDIR");
	snprintf(cache, sizeof(cache), "%s/htd-test-cache-%d",
	         tmp && tmp[0] ? tmp : "/tmp", (int)getuid());
	snprintf(dir, sizeof(dir), "%s", tu_tmpdir());
	tu_path(db, sizeof(db), dir, "t.db");
	now = tu_local_ms("2026-05-01T12:00:00");
	clock_fixed(&fixed, &now);
	struct store_options o = { .path = db, .create = true };
	cr_assert_eq(store_open(&o, &store, &err), HTD_OK, "%s", err.message);
	struct engine_options eo = { .protocol_file = pf,
		                     .policy_file = lf,
		                     .lexicon_dir = lx,
		                     .cache_dir = cache };
	cr_assert_eq(engine_open(&eo, &engine, &err), HTD_OK, "%s",
	             err.message);
	svc.store = store;
	svc.clock = &fixed;
	svc.engine = engine;
}

static void teardown(void)
{
	engine_close(engine);
	store_close(store);
	tu_rmtree(dir);
}

TestSuite(notices, .init = setup, .fini = teardown);

static void open_call(struct call *c, const char *name, const char *callback,
                      const char *location)
{
	struct htd_error err;
	struct call_open_request req = { .location = location,
		                         .callback = callback,
		                         .caller_name = name };
	call_init(c);
	cr_assert_eq(calls_open(&svc, "user:ct", &req, c, &err), HTD_OK, "%s",
	             err.message);
}

static void answer(struct call *c, const char *q, const char *v)
{
	struct htd_error err;
	now += 1000;
	cr_assert_eq(
	    calls_record_answer(&svc, "user:ct", c->ref, q, v, c, &err), HTD_OK,
	    "%s=%s: %s", q, v, err.message);
}

static void rows_of(const char *ref, struct store_outbox_list *l)
{
	struct htd_error err;
	struct store_outbox_filter f = { .call_ref = ref, .limit = 100 };
	memset(l, 0, sizeof(*l));
	cr_assert_eq(store_outbox_list(store, &f, l, &err), HTD_OK, "%s",
	             err.message);
}

static const struct store_outbox *row_of(const struct store_outbox_list *l,
                                         const char *kind)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->rows[i].kind, kind) == 0)
			return &l->rows[i];
	return NULL;
}

/* The rendered text of a row (the "text" member of a JSON body). */
static char *text_of(const struct store_outbox *r, const char *member)
{
	json_t *doc = json_loads(r->body, 0, NULL);
	cr_assert_not_null(doc, "body is JSON: %s", r->body);
	const char *t = json_string_value(json_object_get(doc, member));
	cr_assert_not_null(t, "body has %s", member);
	char *out = strdup(t);
	json_decref(doc);
	return out;
}

struct counts {
	int queued;
	char last_detail[256];
};

static int count_queued(void *ctx, const struct store_event *e)
{
	struct counts *c = ctx;
	if (strcmp(e->type, "notice_queued") == 0)
		c->queued++;
	return 0;
}

Test(notices, a_victim_call_queues_supervisor_poc_and_radio_with_the_decision)
{
	struct call c;
	struct store_outbox_list l;
	struct htd_error err;
	open_call(&c, "Maria Lopez", "512-555-0142", "1200 E 6th St");
	answer(&c, "caller_is_victim", "yes");
	answer(&c, "free_to_leave", "no");
	cr_assert_eq(c.category, CALL_CATEGORY_VICTIM_CALL);
	rows_of(c.ref, &l);
	const char *kinds[] = { "supervisor_notice", "poc_notice",
		                "radio_alert" };
	const char *targets[] = { "supervisor_console", "ht_poc",
		                  "radio_console" };
	for (size_t i = 0; i < 3; i++) {
		const struct store_outbox *r = row_of(&l, kinds[i]);
		cr_assert_not_null(r, "%s queued", kinds[i]);
		char key[160];
		snprintf(key, sizeof(key), "%s-%s-%s", c.ref, kinds[i],
		         targets[i]);
		cr_assert_str_eq(r->key, key);
		cr_assert_str_eq(r->target, targets[i]);
		cr_assert_str_eq(r->transport, "spool");
		cr_assert_eq(r->state, STORE_OUTBOX_PENDING);
		cr_assert_eq(r->attempts, 0);
		cr_assert_eq(r->next_attempt_ms, r->created_at_ms);
		cr_assert_null(strstr(r->body, "Maria"), "%s", r->body);
		cr_assert_null(strstr(r->body, "Lopez"), "%s", r->body);
		cr_assert_null(strstr(r->body, "555-0142"), "%s", r->body);
	}
	cr_assert_null(row_of(&l, "tip_handoff"));
	cr_assert_null(row_of(&l, "hotline_referral"));
	/* The supervisor's text has the call's facts. */
	char *text = text_of(row_of(&l, "supervisor_notice"), "text");
	cr_assert(strstr(text, c.ref), "%s", text);
	cr_assert(strstr(text, "victim_call"), "%s", text);
	cr_assert(strstr(text, "1200 E 6th St"), "%s", text);
	free(text);
	/* The radio alert carries its script and a CAP document. */
	char *script = text_of(row_of(&l, "radio_alert"), "script");
	char *cap = text_of(row_of(&l, "radio_alert"), "cap");
	cr_assert(strstr(script, "1200 E 6th St"), "%s", script);
	cr_assert(strncmp(cap, "<?xml", 5) == 0, "%s", cap);
	cr_assert(strstr(cap, "urn:oasis:names:tc:emergency:cap:1.2"));
	free(script);
	free(cap);
	/* The record on the call: one notice_queued per notice; the whole
	 * history replays. */
	struct counts n = { 0 };
	cr_assert_eq(store_events_each(store, c.ref, count_queued, &n, &err),
	             HTD_OK);
	cr_assert_eq(n.queued, 3);
	cr_assert_eq(calls_verify(&svc, c.ref, &err), HTD_OK, "%s",
	             err.message);
	/* A later change queues nothing again. */
	size_t before = l.n;
	store_outbox_list_free(&l);
	answer(&c, "weapons_present", "yes");
	rows_of(c.ref, &l);
	cr_assert_eq(l.n, before);
	store_outbox_list_free(&l);
	call_free(&c);
}

/* A credible tip: the hand-off, with the callback only when agreed. */
static void tip(struct call *c, const char *callback_safe)
{
	open_call(c, "Ana Ruiz", "(512) 555-0199", "Lot behind 4400 Elm");
	answer(c, "caller_is_victim", "no");
	answer(c, "first_hand", "yes");
	answer(c, "specific_location", "yes");
	answer(c, "in_danger_now", "no");
	if (callback_safe)
		answer(c, "callback_safe", callback_safe);
	answer(c, "free_to_leave", "no");
	cr_assert_eq(c->category, CALL_CATEGORY_CREDIBLE_TIP);
}

Test(notices, a_tip_hand_off_carries_the_callback_only_when_agreed)
{
	struct call c;
	struct store_outbox_list l;
	tip(&c, "yes");
	rows_of(c.ref, &l);
	const struct store_outbox *r = row_of(&l, "tip_handoff");
	cr_assert_not_null(r);
	char *text = text_of(r, "text");
	cr_assert(strstr(text, "(512) 555-0199"), "%s", text);
	cr_assert_null(strstr(text, "Ana"), "%s", text);
	cr_assert_null(strstr(text, "Ruiz"), "%s", text);
	free(text);
	text = text_of(row_of(&l, "supervisor_notice"), "text");
	cr_assert_null(strstr(text, "555-0199"), "%s", text);
	free(text);
	store_outbox_list_free(&l);
	call_free(&c);

	tip(&c, NULL);
	rows_of(c.ref, &l);
	text = text_of(row_of(&l, "tip_handoff"), "text");
	cr_assert_null(strstr(text, "555-0199"), "not agreed: %s", text);
	free(text);
	store_outbox_list_free(&l);
	call_free(&c);
}

/* True when `word` appears in `text` as a word (not inside a longer one:
 * "Li" is in "Li said", not in "Likely"). */
static bool has_word(const char *text, const char *word)
{
	size_t n = strlen(word);
	for (const char *p = strstr(text, word); p; p = strstr(p + 1, word)) {
		bool before = p > text && (isalnum((unsigned char)p[-1]));
		bool after = isalnum((unsigned char)p[n]);
		if (!before && !after)
			return true;
	}
	return false;
}

/* Property: over many generated calls, the caller's name never goes out,
 * and the callback number only in an agreed tip hand-off. */
Test(notices, names_and_callbacks_never_leak_over_generated_calls)
{
	static const char *const first[] = { "Maria", "Jose",   "Ana",
		                             "Li",    "Oksana", "Nguyen" };
	static const char *const last[] = { "Lopez",    "Garcia", "Wei",
		                            "Petrenko", "Tran",   "Okafor" };
	static const char *const yn[] = { "yes", "no", "unknown" };
	unsigned seed = 12345;
	for (int k = 0; k < 40; k++) {
		char name[64], callback[32], location[128];
		seed = seed * 1103515245u + 12345u;
		const char *f = first[seed % 6], *s = last[(seed >> 8) % 6];
		snprintf(name, sizeof(name), "%s %s", f, s);
		snprintf(callback, sizeof(callback), "512-555-%04u",
		         (seed >> 4) % 10000);
		/* A call-taker typed the caller's name into the location. */
		snprintf(location, sizeof(location), "%u Oak St, ask for %s",
		         100 + (seed >> 3) % 900, f);
		struct call c;
		open_call(&c, name, callback, location);
		answer(&c, "caller_is_victim", yn[(seed >> 5) % 2]);
		answer(&c, "first_hand", "yes");
		answer(&c, "specific_location", "yes");
		answer(&c, "in_danger_now", yn[(seed >> 7) % 3]);
		bool agreed = (seed >> 9) % 2;
		answer(&c, "callback_safe", agreed ? "yes" : "no");
		answer(&c, "free_to_leave", "no");
		struct store_outbox_list l;
		rows_of(c.ref, &l);
		cr_assert(l.n > 0, "call %d queued notices", k);
		for (size_t i = 0; i < l.n; i++) {
			const struct store_outbox *r = &l.rows[i];
			cr_assert(!has_word(r->body, f), "%s in %s", f,
			          r->body);
			cr_assert(!has_word(r->body, s), "%s in %s", s,
			          r->body);
			cr_assert(!has_word(r->subject, f));
			bool has = strstr(r->body, callback) != NULL;
			bool may =
			    strcmp(r->kind, "tip_handoff") == 0 && agreed;
			cr_assert(!has || may, "callback in %s: %s", r->kind,
			          r->body);
			if (strcmp(r->kind, "tip_handoff") == 0)
				cr_assert_eq(has, agreed, "%s", r->body);
		}
		store_outbox_list_free(&l);
		call_free(&c);
	}
}

Test(notices, the_outbox_records_outcomes_with_their_events)
{
	struct call c;
	struct store_outbox_list due = { 0 };
	struct htd_error err;
	open_call(&c, "", "", "1200 E 6th St");
	answer(&c, "caller_is_victim", "yes");
	answer(&c, "free_to_leave", "no");
	cr_assert_eq(store_outbox_due(store, now - 60000, NULL, 10, &due, &err),
	             HTD_OK);
	cr_assert_eq(due.n, 0, "nothing is due before it was queued");
	cr_assert_eq(store_outbox_due(store, now, NULL, 10, &due, &err),
	             HTD_OK);
	cr_assert_eq(due.n, 3);
	struct store_outbox_list board = { 0 };
	struct store_outbox_filter pending = { .by_state = true,
		                               .state = STORE_OUTBOX_PENDING,
		                               .limit = 10 };
	cr_assert_eq(store_outbox_list(store, &pending, &board, &err), HTD_OK);
	cr_assert_eq(board.n, 3);
	store_outbox_list_free(&board);

	/* A retry: attempts and the next time; no event. */
	struct store_outbox r = due.rows[0];
	r.attempts = 1;
	r.next_attempt_ms = now + 5000;
	r.last_status = 503;
	str_copy(r.last_error, sizeof(r.last_error), "HTTP 503");
	cr_assert_eq(
	    store_outbox_record(store, &r, STORE_OUTBOX_PENDING, NULL, 0, &err),
	    HTD_OK, "%s", err.message);
	struct store_outbox_list after = { 0 };
	cr_assert_eq(store_outbox_due(store, now, NULL, 10, &after, &err),
	             HTD_OK);
	cr_assert_eq(after.n, 2, "the retried row waits");
	store_outbox_list_free(&after);

	/* Delivered: the row and the call's event in one transaction. */
	struct call got;
	call_init(&got);
	cr_assert_eq(store_call_get(store, c.ref, &got, &err), HTD_OK);
	struct call_event e = { .type = CALL_EVENT_NOTICE_DELIVERED,
		                .at_ms = now + 6000,
		                .actor = "system:notify" };
	e.u.notice.kind = r.kind;
	e.u.notice.action = r.action;
	e.u.notice.target = r.target;
	e.u.notice.key = r.key;
	e.u.notice.detail = "delivered";
	e.u.notice.completes = true;
	int64_t version = got.version;
	cr_assert_eq(call_apply(&got, &e, &err), HTD_OK, "%s", err.message);
	char *payload = event_json_encode(&e);
	struct store_event se = { .seq = version + 1,
		                  .type = "notice_delivered",
		                  .at_ms = e.at_ms,
		                  .actor = e.actor,
		                  .payload = payload };
	struct store_append item = { .call_ref = c.ref,
		                     .expected_version = version,
		                     .event = &se,
		                     .projection = &got };
	r.state = STORE_OUTBOX_DELIVERED;
	r.attempts = 2;
	r.delivered_at_ms = e.at_ms;
	/* Stale: the row is no longer failed-from; nothing written. */
	cr_assert_eq(
	    store_outbox_record(store, &r, STORE_OUTBOX_FAILED, &item, 1, &err),
	    HTD_ERR_CONFLICT);
	cr_assert_eq(store_outbox_record(store, &r, STORE_OUTBOX_PENDING, &item,
	                                 1, &err),
	             HTD_OK, "%s", err.message);
	free(payload);
	const struct call_action *a = call_action_get(&got, r.action);
	cr_assert_eq(a->state, CALL_ACTION_DONE);
	cr_assert_str_eq(a->mark_by, "system:notify");
	cr_assert_eq(a->mark_at_ms, e.at_ms);
	cr_assert_eq(calls_verify(&svc, c.ref, &err), HTD_OK, "%s",
	             err.message);
	struct store_outbox_filter delivered = {
		.by_state = true, .state = STORE_OUTBOX_DELIVERED, .limit = 10
	};
	cr_assert_eq(store_outbox_list(store, &delivered, &board, &err),
	             HTD_OK);
	cr_assert_eq(board.n, 1);
	cr_assert_str_eq(board.rows[0].key, r.key);
	cr_assert_eq(board.rows[0].attempts, 2);
	store_outbox_list_free(&board);
	store_outbox_list_free(&due);
	call_free(&got);
	call_free(&c);
}

/* NENA-STA-020.1: a warm transfer is a task the worker never sends, done
 * only when the call-taker confirms it. */
Test(notices, a_transfer_is_a_task_until_the_call_taker_confirms_it)
{
	struct call c;
	struct store_outbox_list l;
	struct store_outbox_list due = { 0 };
	struct htd_error err;
	tip(&c, "yes");
	rows_of(c.ref, &l);
	char key[160];
	snprintf(key, sizeof(key), "%s-tip_handoff-call_taker", c.ref);
	const struct store_outbox *task = NULL;
	for (size_t i = 0; i < l.n; i++)
		if (strcmp(l.rows[i].key, key) == 0)
			task = &l.rows[i];
	cr_assert_not_null(task, "the hand-off has a call-taker task");
	cr_assert_eq(task->state, STORE_OUTBOX_TASK_OPEN);
	cr_assert_str_eq(task->transport, "task");
	store_outbox_list_free(&l);
	cr_assert_eq(
	    store_outbox_due(store, now + 3600000, NULL, 100, &due, &err),
	    HTD_OK);
	for (size_t i = 0; i < due.n; i++)
		cr_assert_str_neq(due.rows[i].key, key, "a task is never sent");
	store_outbox_list_free(&due);

	struct call after;
	call_init(&after);
	cr_assert_eq(outbox_task_confirm(&svc, "user:ct", c.ref, "nope", NULL,
	                                 &after, &err),
	             HTD_ERR_NOT_FOUND);
	cr_assert_str_eq(err.field, "key");
	now += 60000;
	cr_assert_eq(outbox_task_confirm(&svc, "user:ct", c.ref, key,
	                                 "Crime Stoppers took it, tip 4411",
	                                 &after, &err),
	             HTD_OK, "%s", err.message);
	const struct call_action *a =
	    call_action_get(&after, "transfer_crime_stoppers");
	cr_assert_not_null(a);
	cr_assert_eq(a->state, CALL_ACTION_DONE);
	cr_assert_str_eq(a->mark_by, "user:ct");
	cr_assert_eq(a->mark_at_ms, now);
	cr_assert(strstr(a->mark_reason, "tip 4411"), "%s", a->mark_reason);
	cr_assert_eq(outbox_task_confirm(&svc, "user:ct", c.ref, key, NULL,
	                                 &after, &err),
	             HTD_ERR_CONFLICT, "a task is confirmed once");
	rows_of(c.ref, &l);
	for (size_t i = 0; i < l.n; i++)
		if (strcmp(l.rows[i].key, key) == 0)
			cr_assert_eq(l.rows[i].state,
			             STORE_OUTBOX_TASK_CONFIRMED);
	store_outbox_list_free(&l);
	cr_assert_eq(calls_verify(&svc, c.ref, &err), HTD_OK, "%s",
	             err.message);
	call_free(&after);
	call_free(&c);
}

/* Screening moves a call through categories: who was told "other" hears
 * "victim call", as an update with a key of its own. */
Test(notices, a_category_change_updates_the_supervisor)
{
	struct call c;
	struct store_outbox_list l;
	open_call(&c, "", "", "1200 E 6th St");
	answer(&c, "caller_is_victim", "yes");
	answer(&c, "in_danger_now", "no");
	cr_assert_eq(c.category, CALL_CATEGORY_OTHER);
	answer(&c, "free_to_leave", "no");
	cr_assert_eq(c.category, CALL_CATEGORY_VICTIM_CALL);
	rows_of(c.ref, &l);
	const struct store_outbox *first = row_of(&l, "supervisor_notice");
	const struct store_outbox *update =
	    row_of(&l, "supervisor_notice_update");
	cr_assert_not_null(first);
	cr_assert_not_null(update, "the supervisor hears of the change");
	char *t1 = text_of(first, "text"), *t2 = text_of(update, "text");
	cr_assert(strstr(t1, "Category: other"), "%s", t1);
	cr_assert(strstr(t2, "Category: victim_call"), "%s", t2);
	cr_assert(strncmp(update->subject, "Update: ", 8) == 0, "%s",
	          update->subject);
	cr_assert_str_neq(first->key, update->key);
	free(t1);
	free(t2);
	size_t n = l.n;
	store_outbox_list_free(&l);
	/* The same category again: nothing more. */
	answer(&c, "weapons_present", "no");
	rows_of(c.ref, &l);
	cr_assert_eq(l.n, n);
	store_outbox_list_free(&l);
	struct htd_error err;
	cr_assert_eq(calls_verify(&svc, c.ref, &err), HTD_OK, "%s",
	             err.message);
	call_free(&c);
}
