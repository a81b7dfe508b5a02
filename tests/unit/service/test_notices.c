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

/* ---- withdrawal: notices whose action is no longer required ---------- */

static size_t count_state(const struct store_outbox_list *l, const char *kind,
                          enum store_outbox_state state)
{
	size_t n = 0;
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->rows[i].kind, kind) == 0 &&
		    l->rows[i].state == state)
			n++;
	return n;
}

struct cancels {
	int n;
	char keys[8][160];
	char detail[256];
};

static int count_cancelled(void *ctx, const struct store_event *e)
{
	struct cancels *c = ctx;
	if (strcmp(e->type, "notice_cancelled") != 0)
		return 0;
	json_t *doc = json_loads(e->payload, 0, NULL);
	cr_assert_not_null(doc);
	if (c->n < 8)
		snprintf(c->keys[c->n], sizeof(c->keys[0]), "%s",
		         json_string_value(json_object_get(doc, "key")));
	snprintf(c->detail, sizeof(c->detail), "%s",
	         json_string_value(json_object_get(doc, "detail")));
	cr_assert_str_eq(e->actor, "system:notify");
	json_decref(doc);
	c->n++;
	return 0;
}

/* Other (refer to the hotline), then a credible tip: the referral and its
 * task are withdrawn with the answer that made it a tip. */
Test(notices, a_tip_after_other_withdraws_the_referral_and_its_task)
{
	struct call c;
	struct store_outbox_list l;
	struct htd_error err;
	open_call(&c, "", "(512) 555-0199", "Lot behind 4400 Elm");
	answer(&c, "caller_is_victim", "no");
	answer(&c, "in_danger_now", "no");
	cr_assert_eq(c.category, CALL_CATEGORY_OTHER);
	rows_of(c.ref, &l);
	cr_assert_eq(count_state(&l, "hotline_referral", STORE_OUTBOX_PENDING),
	             1);
	cr_assert_eq(
	    count_state(&l, "hotline_referral", STORE_OUTBOX_TASK_OPEN), 1);
	store_outbox_list_free(&l);

	answer(&c, "first_hand", "yes");
	answer(&c, "specific_location", "yes");
	answer(&c, "free_to_leave", "no");
	cr_assert_eq(c.category, CALL_CATEGORY_CREDIBLE_TIP);
	const struct call_action *a = call_action_get(&c, "refer_nhth");
	cr_assert(a && a->state == CALL_ACTION_NOT_REQUIRED);
	rows_of(c.ref, &l);
	cr_assert_eq(count_state(&l, "hotline_referral", STORE_OUTBOX_PENDING),
	             0);
	cr_assert_eq(
	    count_state(&l, "hotline_referral", STORE_OUTBOX_TASK_OPEN), 0);
	cr_assert_eq(
	    count_state(&l, "hotline_referral", STORE_OUTBOX_CANCELLED), 2);
	/* The supervisor's notice stays (its action still required). */
	cr_assert_eq(
	    count_state(&l, "supervisor_notice", STORE_OUTBOX_CANCELLED), 0);
	store_outbox_list_free(&l);

	/* On the call: one event per row, with its key and why. */
	struct cancels cc = { 0 };
	cr_assert_eq(
	    store_events_each(store, c.ref, count_cancelled, &cc, &err),
	    HTD_OK);
	cr_assert_eq(cc.n, 2);
	char key[160];
	snprintf(key, sizeof(key), "%s-hotline_referral-call_taker", c.ref);
	cr_assert(strcmp(cc.keys[0], key) == 0 || strcmp(cc.keys[1], key) == 0,
	          "%s / %s", cc.keys[0], cc.keys[1]);
	cr_assert(strstr(cc.detail, "refer_nhth no longer required"), "%s",
	          cc.detail);
	cr_assert(strstr(cc.detail, "credible_tip"), "%s", cc.detail);

	/* Never sent, and its task cannot be confirmed. */
	struct store_outbox_list due = { 0 };
	cr_assert_eq(
	    store_outbox_due(store, now + 3600000, NULL, 100, &due, &err),
	    HTD_OK);
	for (size_t i = 0; i < due.n; i++)
		cr_assert_str_neq(due.rows[i].kind, "hotline_referral");
	store_outbox_list_free(&due);
	struct call after;
	call_init(&after);
	cr_assert_eq(outbox_task_confirm(&svc, "user:ct", c.ref, key, NULL,
	                                 &after, &err),
	             HTD_ERR_CONFLICT);
	cr_assert(strstr(err.message, "withdrawn"), "%s", err.message);
	call_free(&after);
	cr_assert_eq(calls_verify(&svc, c.ref, &err), HTD_OK, "%s",
	             err.message);
	call_free(&c);
}

/* A victim call overridden to "other": the point of contact's and the
 * radio's pending rows are withdrawn; one already delivered stays. */
Test(notices, an_override_withdraws_pending_rows_and_keeps_delivered_ones)
{
	struct call c;
	struct store_outbox_list l;
	struct htd_error err;
	open_call(&c, "", "", "1200 E 6th St");
	answer(&c, "caller_is_victim", "yes");
	answer(&c, "free_to_leave", "no");
	cr_assert_eq(c.category, CALL_CATEGORY_VICTIM_CALL);
	rows_of(c.ref, &l);
	const struct store_outbox *poc = row_of(&l, "poc_notice");
	cr_assert_not_null(poc);
	cr_assert_not_null(row_of(&l, "radio_alert"));
	/* The point of contact's notice went out already. */
	struct store_outbox done = *poc;
	done.state = STORE_OUTBOX_DELIVERED;
	done.attempts = 1;
	done.updated_at_ms = done.delivered_at_ms = now;
	cr_assert_eq(store_outbox_record(store, &done, STORE_OUTBOX_PENDING,
	                                 NULL, 0, &err),
	             HTD_OK, "%s", err.message);
	store_outbox_list_free(&l);

	now += 1000;
	cr_assert_eq(calls_override(&svc, "user:sup", c.ref, "other",
	                            "caller is a neighbour, not the victim", &c,
	                            &err),
	             HTD_OK, "%s", err.message);
	cr_assert_eq(c.category, CALL_CATEGORY_OTHER);
	rows_of(c.ref, &l);
	cr_assert_eq(count_state(&l, "poc_notice", STORE_OUTBOX_DELIVERED), 1,
	             "what happened stays");
	cr_assert_eq(count_state(&l, "poc_notice", STORE_OUTBOX_CANCELLED), 0);
	cr_assert_eq(count_state(&l, "radio_alert", STORE_OUTBOX_PENDING), 0);
	cr_assert_eq(count_state(&l, "radio_alert", STORE_OUTBOX_CANCELLED), 1);
	/* Other now: the referral is queued, the supervisor updated. */
	cr_assert_eq(count_state(&l, "hotline_referral", STORE_OUTBOX_PENDING),
	             1);
	store_outbox_list_free(&l);
	cr_assert_eq(calls_verify(&svc, c.ref, &err), HTD_OK, "%s",
	             err.message);
	call_free(&c);
}

/* Withdrawn, then required again: queued again under new keys (nothing
 * of it went out); a notice that went out is not sent twice. */
Test(notices, a_withdrawn_notice_required_again_is_queued_again)
{
	struct call c;
	struct store_outbox_list l;
	struct htd_error err;
	open_call(&c, "", "", "Lot behind 4400 Elm");
	answer(&c, "caller_is_victim", "no");
	answer(&c, "in_danger_now", "no");
	answer(&c, "first_hand", "yes");
	answer(&c, "specific_location", "yes");
	answer(&c, "free_to_leave", "no");
	cr_assert_eq(c.category, CALL_CATEGORY_CREDIBLE_TIP);
	rows_of(c.ref, &l);
	cr_assert_eq(
	    count_state(&l, "hotline_referral", STORE_OUTBOX_CANCELLED), 2);
	size_t tips = count_state(&l, "tip_handoff", STORE_OUTBOX_PENDING);
	cr_assert_eq(tips, 1);
	store_outbox_list_free(&l);

	now += 1000;
	cr_assert_eq(calls_override(&svc, "user:sup", c.ref, "other",
	                            "the tip is second-hand after all", &c,
	                            &err),
	             HTD_OK, "%s", err.message);
	rows_of(c.ref, &l);
	cr_assert_eq(count_state(&l, "hotline_referral", STORE_OUTBOX_PENDING),
	             1, "queued again");
	cr_assert_eq(
	    count_state(&l, "hotline_referral", STORE_OUTBOX_TASK_OPEN), 1);
	char again[160];
	snprintf(again, sizeof(again), "%s-hotline_referral-call_taker-%lld",
	         c.ref, (long long)0);
	for (size_t i = 0; i < l.n; i++)
		if (l.rows[i].state == STORE_OUTBOX_TASK_OPEN &&
		    strcmp(l.rows[i].kind, "hotline_referral") == 0)
			cr_assert(strncmp(l.rows[i].key, again,
			                  strlen(again) - 1) == 0 &&
			              strlen(l.rows[i].key) > strlen(again) - 1,
			          "a key of its own: %s", l.rows[i].key);
	cr_assert_eq(count_state(&l, "tip_handoff", STORE_OUTBOX_CANCELLED), 2);
	store_outbox_list_free(&l);

	/* A tip again: the new referral is withdrawn in turn; the tip
	 * hand-off, withdrawn before, comes back under a new key. */
	now += 1000;
	cr_assert_eq(calls_override(&svc, "user:sup", c.ref, "none",
	                            "back to the protocol", &c, &err),
	             HTD_OK, "%s", err.message);
	cr_assert_eq(c.category, CALL_CATEGORY_CREDIBLE_TIP);
	rows_of(c.ref, &l);
	cr_assert_eq(count_state(&l, "hotline_referral", STORE_OUTBOX_PENDING),
	             0);
	cr_assert_eq(
	    count_state(&l, "hotline_referral", STORE_OUTBOX_CANCELLED), 4);
	cr_assert_eq(count_state(&l, "tip_handoff", STORE_OUTBOX_PENDING), 1);
	store_outbox_list_free(&l);
	cr_assert_eq(calls_verify(&svc, c.ref, &err), HTD_OK, "%s",
	             err.message);
	call_free(&c);
}

/* notices_withdraw alone: which rows a call no longer needs. */
Test(notices, withdraw_picks_pending_and_open_rows_of_dropped_actions)
{
	struct call c;
	open_call(&c, "", "", "1 Main St");
	struct call_event e = { .type = CALL_EVENT_ACTION_MARKED,
		                .at_ms = now + 1,
		                .actor = "user:x" };
	e.u.mark.action = "refer_nhth";
	e.u.mark.state = CALL_ACTION_NOT_APPLICABLE;
	e.u.mark.reason = "caller refused";
	struct htd_error err;
	cr_assert_eq(call_apply(&c, &e, &err), HTD_OK, "%s", err.message);
	e.u.mark.action = "notify_supervisor";
	e.u.mark.state = CALL_ACTION_DONE;
	e.u.mark.reason = "told by phone";
	cr_assert_eq(call_apply(&c, &e, &err), HTD_OK, "%s", err.message);
	struct store_outbox rows[6];
	memset(rows, 0, sizeof(rows));
	const struct {
		const char *kind, *action;
		enum store_outbox_state state;
	} spec[6] = {
		{ "hotline_referral", "refer_nhth", STORE_OUTBOX_PENDING },
		{ "hotline_referral", "refer_nhth", STORE_OUTBOX_TASK_OPEN },
		{ "hotline_referral", "refer_nhth", STORE_OUTBOX_DELIVERED },
		{ "delivery_failed", "refer_nhth", STORE_OUTBOX_PENDING },
		{ "supervisor_notice", "notify_supervisor",
		  STORE_OUTBOX_PENDING },
		{ "radio_alert", "radio_alert", STORE_OUTBOX_PENDING },
	};
	for (int i = 0; i < 6; i++) {
		rows[i].id = i + 1;
		snprintf(rows[i].kind, sizeof(rows[i].kind), "%s",
		         spec[i].kind);
		snprintf(rows[i].action, sizeof(rows[i].action), "%s",
		         spec[i].action);
		rows[i].state = spec[i].state;
	}
	struct store_outbox_list l = { .rows = rows, .n = 6 };
	struct notice_withdrawal w;
	notices_withdraw(&c, &l, &w);
	/* refer_nhth's pending row and open task; radio_alert, not on the
	 * checklist at all; not the delivered row, the raise, or the
	 * supervisor's notice (done by hand: it still goes out). */
	cr_assert_eq(w.n, 3);
	cr_assert_eq(w.rows[0]->id, 1);
	cr_assert_eq(w.rows[1]->id, 2);
	cr_assert_eq(w.rows[2]->id, 6);
	call_free(&c);
}

/* Closing a call withdraws nothing: the notices still go out after it. */
Test(notices, closing_a_call_withdraws_nothing)
{
	struct call c;
	struct store_outbox_list l;
	struct htd_error err;
	open_call(&c, "", "", "1200 E 6th St");
	answer(&c, "caller_is_victim", "yes");
	answer(&c, "free_to_leave", "no");
	rows_of(c.ref, &l);
	size_t pending = 0;
	for (size_t i = 0; i < l.n; i++)
		pending += l.rows[i].state == STORE_OUTBOX_PENDING;
	cr_assert_geq(pending, 3);
	store_outbox_list_free(&l);
	now += 1000;
	cr_assert_eq(calls_close(&svc, "user:ct", c.ref, "officer_handled",
	                         "unit on scene", &c, &err),
	             HTD_OK, "%s", err.message);
	rows_of(c.ref, &l);
	size_t after = 0;
	for (size_t i = 0; i < l.n; i++) {
		after += l.rows[i].state == STORE_OUTBOX_PENDING;
		cr_assert_neq(l.rows[i].state, STORE_OUTBOX_CANCELLED);
	}
	cr_assert_eq(after, pending);
	store_outbox_list_free(&l);
	call_free(&c);
}
