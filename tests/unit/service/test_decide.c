/*
 * test_decide.c - the call use cases with the protocol loaded: a note is
 * screened and its indicators recorded, every change records the new
 * decision in the same transaction, overrides and marks need reasons, and
 * the whole history replays to the stored projection.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "service/calls.h"
#include "testutil.h"

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
	/* One compiled lexicon for every test (and every run): compiling
	 * is what takes time, and the cache is keyed by its content. */
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

TestSuite(service_decide, .init = setup, .fini = teardown);

struct history {
	char types[32][32];
	int64_t seq[32];
	char payload[32][1024];
	size_t n;
};

static int record(void *ctx, const struct store_event *e)
{
	struct history *h = ctx;
	if (h->n < 32) {
		snprintf(h->types[h->n], sizeof(h->types[0]), "%s", e->type);
		snprintf(h->payload[h->n], sizeof(h->payload[0]), "%s",
		         e->payload);
		h->seq[h->n++] = e->seq;
	}
	return 0;
}

/* The history up to the change's decision: the notice_queued events a
 * decision adds after itself (service/notices.h) are left out of h->n. */
static void history_of(const char *ref, struct history *h)
{
	struct htd_error err;
	memset(h, 0, sizeof(*h));
	cr_assert_eq(calls_history(&svc, ref, record, h, &err), HTD_OK, "%s",
	             err.message);
	while (h->n > 0 && strcmp(h->types[h->n - 1], "notice_queued") == 0)
		h->n--;
}

static void open_call(struct call *c)
{
	struct call_open_request req = { .channel = "voice", .language = "en" };
	struct htd_error err;
	call_init(c);
	cr_assert_eq(calls_open(&svc, "user:ct", &req, c, &err), HTD_OK, "%s",
	             err.message);
}

Test(service_decide, open_records_the_first_checklist)
{
	struct call c;
	struct history h;
	open_call(&c);
	history_of(c.ref, &h);
	cr_assert_eq(h.n, 2);
	cr_assert_str_eq(h.types[0], "call_opened");
	cr_assert_str_eq(h.types[1], "decision_made");
	cr_assert_eq(c.category, CALL_CATEGORY_UNDETERMINED);
	const struct call_action *a = call_action_get(&c, "safeguard_records");
	cr_assert_not_null(a);
	cr_assert_eq(a->state, CALL_ACTION_REQUIRED);
	cr_assert_eq(a->required_since_ms, now);
	cr_assert(strstr(c.decided_with, "nena-ht"), "%s", c.decided_with);
	call_free(&c);
}

Test(service_decide, answers_decide_in_the_same_transaction)
{
	struct call c;
	struct history h;
	struct htd_error err;
	open_call(&c);
	now += 5000;
	cr_assert_eq(calls_record_answer(&svc, "user:ct", c.ref,
	                                 "caller_is_victim", "yes", &c, &err),
	             HTD_OK, "%s", err.message);
	now += 5000;
	cr_assert_eq(calls_record_answer(&svc, "user:ct", c.ref,
	                                 "free_to_leave", "NO", &c, &err),
	             HTD_OK, "%s", err.message);
	cr_assert_eq(c.category, CALL_CATEGORY_VICTIM_CALL);
	cr_assert_eq(c.priority, 2);
	const struct call_action *a = call_action_get(&c, "dispatch_officer");
	cr_assert_eq(a->state, CALL_ACTION_REQUIRED);
	cr_assert_eq(a->required_since_ms, now);
	history_of(c.ref, &h);
	/* opened, decision, answer, (no change: no decision), answer,
	 * decision. */
	cr_assert_str_eq(h.types[h.n - 2], "answer_recorded");
	cr_assert_str_eq(h.types[h.n - 1], "decision_made");
	cr_assert(strstr(h.payload[h.n - 1], "victim_call.controlled"),
	          "the rationale is kept: %s", h.payload[h.n - 1]);
	int64_t version = c.version;
	/* The same answer again changes nothing in the decision. */
	cr_assert_eq(calls_record_answer(&svc, "user:ct", c.ref,
	                                 "free_to_leave", "no", &c, &err),
	             HTD_OK);
	cr_assert_eq(c.version, version + 1, "only the answer is recorded");
	cr_assert_eq(calls_verify(&svc, c.ref, &err), HTD_OK, "%s",
	             err.message);
	call_free(&c);
}

Test(service_decide, notes_are_screened)
{
	struct call c;
	struct history h;
	struct htd_error err;
	open_call(&c);
	cr_assert_eq(calls_record_answer(&svc, "user:ct", c.ref,
	                                 "caller_is_victim", "yes", &c, &err),
	             HTD_OK);
	cr_assert_eq(calls_add_note(&svc, "user:ct", c.ref,
	                            "The boss took my passport and says I "
	                            "owe him $4,000 for the trip.",
	                            &c, &err),
	             HTD_OK, "%s", err.message);
	bool documents = false;
	for (size_t i = 0; i < c.n_hits; i++)
		documents |=
		    strcmp(c.hits[i].indicator, "documents_withheld") == 0;
	cr_assert(documents, "documents_withheld found in the note");
	cr_assert_eq(c.category, CALL_CATEGORY_VICTIM_CALL,
	             "a means indicator in the notes decides");
	history_of(c.ref, &h);
	cr_assert_str_eq(h.types[h.n - 3], "note_added");
	cr_assert_str_eq(h.types[h.n - 2], "indicators_found");
	cr_assert_str_eq(h.types[h.n - 1], "decision_made");
	cr_assert_eq(c.hits[0].note, h.seq[h.n - 3],
	             "hits point at their note");
	cr_assert_eq(calls_verify(&svc, c.ref, &err), HTD_OK, "%s",
	             err.message);
	call_free(&c);
}

Test(service_decide, negated_note_does_not_decide)
{
	struct call c;
	struct htd_error err;
	open_call(&c);
	cr_assert_eq(calls_record_answer(&svc, "user:ct", c.ref,
	                                 "caller_is_victim", "yes", &c, &err),
	             HTD_OK);
	cr_assert_eq(calls_add_note(&svc, "user:ct", c.ref,
	                            "Nobody took her passport; she has her "
	                            "own documents.",
	                            &c, &err),
	             HTD_OK, "%s", err.message);
	cr_assert_neq(c.category, CALL_CATEGORY_VICTIM_CALL);
	call_free(&c);
}

Test(service_decide, overrides_and_marks_need_reasons)
{
	struct call c;
	struct htd_error err;
	open_call(&c);
	cr_assert_eq(calls_override(&svc, "user:sup", c.ref, "credible_tip",
	                            "  ", &c, &err),
	             HTD_ERR_INVALID);
	cr_assert_str_eq(err.field, "reason");
	cr_assert_eq(
	    calls_override(&svc, "user:sup", c.ref, "nonsense", "x", &c, &err),
	    HTD_ERR_INVALID);
	cr_assert_str_eq(err.field, "category");
	cr_assert_eq(calls_override(&svc, "user:sup", c.ref, "credible_tip",
	                            "named the farm and the crew boss", &c,
	                            &err),
	             HTD_OK, "%s", err.message);
	cr_assert_eq(c.category, CALL_CATEGORY_CREDIBLE_TIP);
	cr_assert_eq(c.recommended_category, CALL_CATEGORY_UNDETERMINED);
	cr_assert_str_eq(c.override_by, "user:sup");
	cr_assert_eq(call_action_get(&c, "transfer_crime_stoppers")->state,
	             CALL_ACTION_REQUIRED);

	cr_assert_eq(calls_mark_action(&svc, "user:sup", c.ref,
	                               "transfer_crime_stoppers",
	                               "not_applicable", "", &c, &err),
	             HTD_ERR_INVALID);
	cr_assert_str_eq(err.field, "reason");
	cr_assert_eq(calls_mark_action(&svc, "user:sup", c.ref, "fly_away",
	                               "done", "", &c, &err),
	             HTD_ERR_INVALID);
	cr_assert_str_eq(err.field, "action");
	cr_assert_eq(calls_mark_action(&svc, "user:sup", c.ref,
	                               "transfer_crime_stoppers", "done", "",
	                               &c, &err),
	             HTD_OK, "%s", err.message);
	const struct call_action *a =
	    call_action_get(&c, "transfer_crime_stoppers");
	cr_assert_eq(a->state, CALL_ACTION_DONE);
	cr_assert(a->marked);
	cr_assert_str_eq(a->mark_by, "user:sup");

	/* Withdrawing the override returns to the protocol's category. */
	cr_assert_eq(calls_override(&svc, "user:sup", c.ref, "none",
	                            "entered on the wrong call", &c, &err),
	             HTD_OK, "%s", err.message);
	cr_assert_eq(c.category, CALL_CATEGORY_UNDETERMINED);
	cr_assert_eq(calls_verify(&svc, c.ref, &err), HTD_OK, "%s",
	             err.message);
	call_free(&c);
}

Test(service_decide, answers_follow_the_protocol)
{
	struct call c;
	struct htd_error err;
	open_call(&c);
	cr_assert_eq(calls_record_answer(&svc, "user:ct", c.ref, "favourite",
	                                 "blue", &c, &err),
	             HTD_ERR_INVALID);
	cr_assert_str_eq(err.field, "question");
	cr_assert(strstr(err.message, "not a question of the protocol"), "%s",
	          err.message);
	cr_assert_eq(calls_record_answer(&svc, "user:ct", c.ref, "people_count",
	                                 "lots", &c, &err),
	             HTD_ERR_INVALID);
	cr_assert(strstr(err.message, "people_count"), "%s", err.message);
	cr_assert_eq(calls_record_answer(&svc, "user:ct", c.ref, "industry",
	                                 "Agriculture", &c, &err),
	             HTD_OK, "%s", err.message);
	cr_assert_str_eq(call_answer_get(&c, "industry")->value, "agriculture");
	call_free(&c);
}

Test(service_decide, decision_read_writes_nothing)
{
	struct call c, read;
	struct decision d;
	struct htd_error err;
	open_call(&c);
	call_init(&read);
	int64_t version = c.version;
	cr_assert_eq(calls_decision(&svc, c.ref, &read, &d, &err), HTD_OK, "%s",
	             err.message);
	cr_assert_eq(read.version, version);
	cr_assert_eq(d.category, CALL_CATEGORY_UNDETERMINED);
	cr_assert_gt(d.n_next, 0);
	decision_free(&d);
	call_free(&read);
	call_free(&c);
}

/* Opens an engine on the shipped files with nickname tables `nick`. */
static struct engine *engine_with(const char *nick)
{
	const char *root = getenv("HTD_SOURCE_ROOT");
	const char *tmp = getenv("TMPDIR");
	char pf[1024], lf[1024], lx[1024], cache[1024];
	struct htd_error err;
	struct engine *e = NULL;
	snprintf(pf, sizeof(pf), "%s/data/protocol/nena-ht.yaml", root);
	snprintf(lf, sizeof(lf), "%s/etc/policy.yaml", root);
	snprintf(lx, sizeof(lx), "%s/data/lexicon", root);
	snprintf(cache, sizeof(cache), "%s/htd-test-cache-%d",
	         tmp && tmp[0] ? tmp : "/tmp", (int)getuid());
	struct engine_options eo = { .protocol_file = pf,
		                     .policy_file = lf,
		                     .lexicon_dir = lx,
		                     .cache_dir = cache,
		                     .nicknames_dir = nick };
	cr_assert_eq(engine_open(&eo, &e, &err), HTD_OK, "%s", err.message);
	return e;
}

Test(service_decide, nicknames_only_when_wanted)
{
	/* A directory given must load; "" loads none (assess never
	 * searches records, and the tables cost it a millisecond). */
	char linkage[1024];
	snprintf(linkage, sizeof(linkage), "%s/data/linkage",
	         getenv("HTD_SOURCE_ROOT"));
	struct engine *e = engine_with(linkage);
	cr_assert_not_null(e->nicknames, "the tables in %s", linkage);
	engine_close(e);
	e = engine_with("");
	cr_assert_null(e->nicknames);
	engine_close(e);
}
