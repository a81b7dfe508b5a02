/*
 * test_audit.c - the access audit: a change's entry commits with the
 * change or not at all (a refused or stale change leaves no "ok" entry but
 * one with its own outcome); reads of calls, and lists, are on the record,
 * a call that does not exist too; nothing is recorded without an address;
 * the log refuses UPDATE and DELETE; listing filters and pages; a bad
 * query names its field; what goes in is cleaned and bounded.
 */
#include <criterion/criterion.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "formats/event_json.h"
#include "service/audit.h"
#include "service/calls.h"
#include "testutil.h"

static char dir[512];
static char db[600];
static int64_t now;
static struct htd_clock fixed;
static struct store *store;
static struct service svc;

static void setup(void)
{
	snprintf(dir, sizeof(dir), "%s", tu_tmpdir());
	tu_path(db, sizeof(db), dir, "t.db");
	now = tu_local_ms("2026-05-01T12:00:00");
	clock_fixed(&fixed, &now);
	struct store_options o = { .path = db, .create = true };
	struct htd_error err;
	cr_assert_eq(store_open(&o, &store, &err), HTD_OK, "%s", err.message);
	svc.store = store;
	svc.clock = &fixed;
	svc.address = "192.0.2.10";
	svc.actor = "user:ana";
}

static void teardown(void)
{
	store_close(store);
	tu_rmtree(dir);
}

TestSuite(service_audit, .init = setup, .fini = teardown);

static int raw_exec(const char *sql)
{
	sqlite3 *h;
	cr_assert_eq(sqlite3_open(db, &h), SQLITE_OK);
	int rc = sqlite3_exec(h, sql, NULL, NULL, NULL);
	sqlite3_close(h);
	return rc;
}

/* Counts the audit entries of `action` with `outcome` (NULL: any). */
static int64_t count(const char *action, const char *outcome)
{
	sqlite3 *h;
	sqlite3_stmt *st;
	cr_assert_eq(sqlite3_open(db, &h), SQLITE_OK);
	cr_assert_eq(sqlite3_prepare_v2(h,
	                                "SELECT count(*) FROM audit WHERE "
	                                "action = ?1 AND (?2 IS NULL OR "
	                                "outcome = ?2)",
	                                -1, &st, NULL),
	             SQLITE_OK);
	sqlite3_bind_text(st, 1, action, -1, SQLITE_STATIC);
	if (outcome)
		sqlite3_bind_text(st, 2, outcome, -1, SQLITE_STATIC);
	cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
	int64_t n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(h);
	return n;
}

static int64_t total(void)
{
	sqlite3 *h;
	sqlite3_stmt *st;
	cr_assert_eq(sqlite3_open(db, &h), SQLITE_OK);
	cr_assert_eq(
	    sqlite3_prepare_v2(h, "SELECT count(*) FROM audit", -1, &st, NULL),
	    SQLITE_OK);
	cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
	int64_t n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(h);
	return n;
}

/* The newest entry, as listed (the listing's own entry set aside). */
struct newest {
	struct audit_list l;
	const struct audit_entry *e;
};

static void newest(struct newest *n)
{
	struct audit_query q = { .limit = "2" };
	struct htd_error err;
	cr_assert_eq(audit_list(&svc, &q, &n->l, &err), HTD_OK, "%s",
	             err.message);
	cr_assert_geq(n->l.n, 1);
	n->e = &n->l.entries[0];
	if (strcmp(n->e->action, "audit.read") == 0) {
		cr_assert_geq(n->l.n, 2);
		n->e = &n->l.entries[1];
	}
}

static void expect_newest(const char *actor, const char *action,
                          const char *object, enum audit_outcome outcome,
                          const char *detail)
{
	struct newest n;
	newest(&n);
	cr_assert_str_eq(n.e->action, action);
	cr_assert_str_eq(n.e->actor, actor, "%s", action);
	cr_assert_str_eq(n.e->object, object, "%s", action);
	cr_assert_str_eq(n.e->address, "192.0.2.10");
	cr_assert_eq(n.e->outcome, outcome, "%s: %s", action,
	             audit_outcome_name(n.e->outcome));
	cr_assert_str_eq(n.e->detail, detail, "%s: '%s'", action, n.e->detail);
	cr_assert_eq(n.e->at_ms, now);
	audit_list_free(&n.l);
}

static void open_call(struct call *c)
{
	struct htd_error err;
	struct call_open_request req = { .location = "12 Farm Road",
		                         .caller_name = "María José" };
	cr_assert_eq(calls_open(&svc, "user:ana", &req, c, &err), HTD_OK, "%s",
	             err.message);
}

/* True when `text` appears in any column of the audit. */
static bool audit_holds(const char *text)
{
	sqlite3 *h;
	sqlite3_stmt *st;
	bool found = false;
	cr_assert_eq(sqlite3_open(db, &h), SQLITE_OK);
	cr_assert_eq(
	    sqlite3_prepare_v2(h, "SELECT * FROM audit", -1, &st, NULL),
	    SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW)
		for (int i = 0; i < sqlite3_column_count(st); i++) {
			const char *v =
			    (const char *)sqlite3_column_text(st, i);
			if (v && strstr(v, text))
				found = true;
		}
	sqlite3_finalize(st);
	sqlite3_close(h);
	return found;
}

/* ---- changes ----------------------------------------------------------------
 */

Test(service_audit, each_change_writes_its_entry)
{
	struct call c;
	struct htd_error err;
	call_init(&c);
	open_call(&c);
	cr_assert_str_eq(c.ref, "HT-2026-000001");
	expect_newest("user:ana", "call.open", "call:HT-2026-000001",
	              AUDIT_OUTCOME_OK, "channel=voice");
	now += 1000;
	cr_assert_eq(calls_add_note(&svc, "user:bo", c.ref,
	                            "boss keeps my passport", &c, &err),
	             HTD_OK);
	expect_newest("user:bo", "call.note", "call:HT-2026-000001",
	              AUDIT_OUTCOME_OK, "");
	now += 1000;
	cr_assert_eq(calls_record_answer(&svc, "user:bo", "ht-2026-1",
	                                 "free_to_leave", "no", &c, &err),
	             HTD_OK);
	expect_newest("user:bo", "call.answer", "call:HT-2026-000001",
	              AUDIT_OUTCOME_OK, "free_to_leave");
	now += 1000;
	cr_assert_eq(calls_override(&svc, "user:sup", c.ref, "credible_tip",
	                            "neighbour, secret reason", &c, &err),
	             HTD_OK, "%s", err.message);
	expect_newest("user:sup", "call.override", "call:HT-2026-000001",
	              AUDIT_OUTCOME_OK, "credible_tip");
	now += 1000;
	cr_assert_eq(calls_close(&svc, "user:sup", c.ref, "referred_hotline",
	                         "gave the hotline number", &c, &err),
	             HTD_OK);
	expect_newest("user:sup", "call.close", "call:HT-2026-000001",
	              AUDIT_OUTCOME_OK, "referred_hotline");
	/* What the caller said, who they are, why: none of it. */
	cr_assert_not(audit_holds("passport"));
	cr_assert_not(audit_holds("María"));
	cr_assert_not(audit_holds("Farm Road"));
	cr_assert_not(audit_holds("secret reason"));
	cr_assert_not(audit_holds("hotline number"));
	cr_assert_eq(count("call.open", "ok"), 1);
	cr_assert_eq(count("call.note", "ok"), 1);
	call_free(&c);
}

Test(service_audit, a_refused_change_is_recorded_with_its_outcome_only)
{
	struct call c;
	struct htd_error err;
	call_init(&c);
	open_call(&c);
	cr_assert_eq(calls_close(&svc, "user:ana", c.ref, "officer_handled", "",
	                         &c, &err),
	             HTD_OK);
	int64_t before = count("call.answer", "ok");
	/* Closed: the change conflicts; the entry says so, and no "ok". */
	cr_assert_eq(calls_record_answer(&svc, "user:bo", c.ref, "escaped",
	                                 "yes", &c, &err),
	             HTD_ERR_CONFLICT);
	cr_assert_eq(count("call.answer", "ok"), before);
	expect_newest("user:bo", "call.answer", "call:HT-2026-000001",
	              AUDIT_OUTCOME_CONFLICT, "escaped");
	cr_assert_eq(
	    calls_close(&svc, "user:bo", c.ref, "unfounded", "", &c, &err),
	    HTD_ERR_CONFLICT);
	cr_assert_eq(count("call.close", "ok"), 1);
	cr_assert_eq(count("call.close", "conflict"), 1);

	/* Invalid input names the field, never the value. */
	cr_assert_eq(calls_record_answer(&svc, "user:bo", c.ref,
	                                 "free_to_leave", "perhaps", &c, &err),
	             HTD_ERR_INVALID);
	expect_newest("user:bo", "call.answer", "call:HT-2026-000001",
	              AUDIT_OUTCOME_INVALID, "free_to_leave field=value");
	cr_assert_eq(calls_record_answer(&svc, "user:bo", c.ref,
	                                 "she is 15 and scared", "yes", &c,
	                                 &err),
	             HTD_ERR_INVALID);
	expect_newest("user:bo", "call.answer", "call:HT-2026-000001",
	              AUDIT_OUTCOME_INVALID,
	              "(not a question id) field=question");
	cr_assert_not(audit_holds("scared"));
	cr_assert_not(audit_holds("perhaps"));
	cr_assert_eq(calls_close(&svc, "user:bo", c.ref, "done", "", &c, &err),
	             HTD_ERR_INVALID);
	expect_newest("user:bo", "call.close", "call:HT-2026-000001",
	              AUDIT_OUTCOME_INVALID, "field=disposition");
	cr_assert_eq(
	    calls_override(&svc, "user:bo", c.ref, "other", "  ", &c, &err),
	    HTD_ERR_INVALID);
	expect_newest("user:bo", "call.override", "call:HT-2026-000001",
	              AUDIT_OUTCOME_INVALID, "other field=reason");
	cr_assert_eq(calls_mark_action(&svc, "user:bo", c.ref, "radio_alert",
	                               "finished", "", &c, &err),
	             HTD_ERR_INVALID);
	expect_newest("user:bo", "call.mark", "call:HT-2026-000001",
	              AUDIT_OUTCOME_INVALID, "field=state");
	cr_assert_neq(calls_mark_action(&svc, "user:bo", c.ref,
	                                "call Jane back", "done", "", &c, &err),
	              HTD_OK);
	struct newest n;
	newest(&n);
	cr_assert_str_eq(n.e->action, "call.mark");
	cr_assert_neq(n.e->outcome, AUDIT_OUTCOME_OK);
	cr_assert_eq(strncmp(n.e->detail, "(not an action id) done", 23), 0,
	             "%s", n.e->detail);
	audit_list_free(&n.l);
	cr_assert_not(audit_holds("Jane"));

	/* A call that does not exist; an id that is not one. */
	cr_assert_eq(
	    calls_add_note(&svc, "user:bo", "HT-2026-000042", "x", &c, &err),
	    HTD_ERR_NOT_FOUND);
	expect_newest("user:bo", "call.note", "call:HT-2026-000042",
	              AUDIT_OUTCOME_NOT_FOUND, "");
	cr_assert_eq(
	    calls_add_note(&svc, "user:bo", "Jane Doe 555-0100", "x", &c, &err),
	    HTD_ERR_INVALID);
	expect_newest("user:bo", "call.note", "call:(not a call id)",
	              AUDIT_OUTCOME_INVALID, "field=id");
	cr_assert_not(audit_holds("Jane Doe"));

	/* A refused open. */
	struct call_open_request bad = { .channel = "pigeon" };
	cr_assert_eq(calls_open(&svc, "user:bo", &bad, &c, &err),
	             HTD_ERR_INVALID);
	expect_newest("user:bo", "call.open", "", AUDIT_OUTCOME_INVALID,
	              "field=channel");
	cr_assert_eq(count("call.open", "ok"), 1);
	call_free(&c);
}

/* Builds a note event on `ref` at version `version` and its projection. */
static void note_change(const char *ref, struct call *c, struct store_event *se,
                        char **payload)
{
	struct htd_error err;
	call_free(c);
	cr_assert_eq(store_call_get(store, ref, c, &err), HTD_OK);
	struct call_event e = { .type = CALL_EVENT_NOTE_ADDED,
		                .at_ms = now,
		                .actor = "user:bo" };
	e.u.note.text = "a note";
	int64_t version = c->version;
	cr_assert_eq(call_apply(c, &e, &err), HTD_OK);
	*payload = event_json_encode(&e);
	*se = (struct store_event){ .seq = version + 1,
		                    .type = "note_added",
		                    .at_ms = now,
		                    .actor = "user:bo",
		                    .payload = *payload };
}

Test(service_audit, the_entry_commits_with_the_change_or_not_at_all)
{
	struct call c, stale;
	struct store_event se, se2;
	char *p1, *p2;
	struct htd_error err;
	call_init(&c);
	call_init(&stale);
	open_call(&c);
	int64_t before = total();
	struct store_audit a = { .at_ms = now,
		                 .actor = "user:bo",
		                 .action = "call.note",
		                 .object = "call:HT-2026-000001",
		                 .address = "192.0.2.10",
		                 .outcome = "ok",
		                 .detail = "" };
	/* Two writers read version 1; the first wins. */
	char ref[CALL_REF_MAX];
	snprintf(ref, sizeof(ref), "%s", c.ref);
	note_change(ref, &c, &se, &p1);
	note_change(ref, &stale, &se2, &p2);
	struct store_append first = { .call_ref = ref,
		                      .expected_version = 1,
		                      .event = &se,
		                      .projection = &c,
		                      .audit = &a };
	struct store_append second = { .call_ref = ref,
		                       .expected_version = 1,
		                       .event = &se2,
		                       .projection = &stale,
		                       .audit = &a };
	cr_assert_eq(store_append(store, &first, 1, &err), HTD_OK, "%s",
	             err.message);
	cr_assert_eq(total(), before + 1);
	cr_assert_eq(store_append(store, &second, 1, &err), HTD_ERR_CONFLICT);
	cr_assert_eq(total(), before + 1, "the stale change left no entry");

	/* A batch whose second item fails writes neither the first item
	 * nor its entry. */
	free(p1);
	free(p2);
	call_free(&c);
	call_free(&stale);
	note_change("HT-2026-000001", &c, &se, &p1);
	note_change("HT-2026-000001", &stale, &se2, &p2);
	struct store_append batch[2] = {
		{ .call_ref = "HT-2026-000001",
		  .expected_version = c.version - 1,
		  .event = &se,
		  .projection = &c,
		  .audit = &a },
		{ .call_ref = "HT-2026-000077",
		  .expected_version = c.version - 1,
		  .event = &se2,
		  .projection = &stale },
	};
	cr_assert_eq(store_append(store, batch, 2, &err), HTD_ERR_NOT_FOUND);
	cr_assert_eq(total(), before + 1);
	free(p1);
	free(p2);
	call_free(&c);
	call_free(&stale);
}

/* ---- reads ------------------------------------------------------------------
 */

static int count_events(void *ctx, const struct store_event *e)
{
	(void)e;
	(*(int *)ctx)++;
	return 0;
}

Test(service_audit, reads_are_recorded_with_the_reader)
{
	struct call c, got;
	struct htd_error err;
	call_init(&c);
	call_init(&got);
	svc.actor = "user:opener";
	open_call(&c);
	svc.actor = "user:reader";
	cr_assert_eq(calls_get(&svc, "ht-2026-1", &got, &err), HTD_OK);
	expect_newest("user:reader", "call.read", "call:HT-2026-000001",
	              AUDIT_OUTCOME_OK, "call");
	int n = 0;
	cr_assert_eq(calls_history(&svc, c.ref, count_events, &n, &err),
	             HTD_OK);
	cr_assert_eq(n, 1);
	expect_newest("user:reader", "call.read", "call:HT-2026-000001",
	              AUDIT_OUTCOME_OK, "history");

	/* A call that does not exist is a read on the record too. */
	cr_assert_eq(calls_get(&svc, "HT-2026-000099", &got, &err),
	             HTD_ERR_NOT_FOUND);
	expect_newest("user:reader", "call.read", "call:HT-2026-000099",
	              AUDIT_OUTCOME_NOT_FOUND, "call");
	cr_assert_eq(
	    calls_history(&svc, "HT-2026-000098", count_events, &n, &err),
	    HTD_ERR_NOT_FOUND);
	expect_newest("user:reader", "call.read", "call:HT-2026-000098",
	              AUDIT_OUTCOME_NOT_FOUND, "history");
	cr_assert_eq(calls_get(&svc, "98", &got, &err), HTD_ERR_INVALID);
	expect_newest("user:reader", "call.read", "call:(not a call id)",
	              AUDIT_OUTCOME_INVALID, "call field=id");

	/* A list is one entry, with its filter. */
	struct calls_query q = { .status = "open", .limit = "10" };
	struct call_filter f;
	struct call_page page;
	cr_assert_eq(calls_query_parse(&q, &f, &err), HTD_OK);
	cr_assert_eq(calls_list(&svc, &f, &page, &err), HTD_OK);
	cr_assert_eq(page.n, 1);
	call_page_free(&page);
	expect_newest("user:reader", "call.list", "", AUDIT_OUTCOME_OK,
	              "status=open limit=10");
	cr_assert_eq(count("call.list", "ok"), 1);

	/* Without a name the reader is anonymous, never blank. */
	svc.actor = NULL;
	cr_assert_eq(calls_get(&svc, c.ref, &got, &err), HTD_OK);
	expect_newest("anonymous", "call.read", "call:HT-2026-000001",
	              AUDIT_OUTCOME_OK, "call");
	call_free(&c);
	call_free(&got);
}

Test(service_audit, a_read_that_cannot_be_recorded_is_not_answered)
{
	struct call c, got;
	struct htd_error err;
	call_init(&c);
	call_init(&got);
	open_call(&c);
	/* The audit table refuses every insert: a stand-in for a full disk
	 * or a broken log. */
	cr_assert_eq(raw_exec("CREATE TRIGGER audit_jammed BEFORE INSERT ON "
	                      "audit BEGIN SELECT RAISE(ABORT, 'jammed'); "
	                      "END;"),
	             SQLITE_OK);
	cr_assert_neq(calls_get(&svc, c.ref, &got, &err), HTD_OK);
	cr_assert_null(got.language, "nothing is handed out");
	/* And a change whose entry cannot be written is not made. */
	int64_t version = c.version;
	cr_assert_neq(calls_add_note(&svc, "user:ana", c.ref, "x", &c, &err),
	              HTD_OK);
	cr_assert_eq(raw_exec("DROP TRIGGER audit_jammed"), SQLITE_OK);
	svc.address = NULL;
	cr_assert_eq(calls_get(&svc, c.ref, &got, &err), HTD_OK);
	cr_assert_eq(got.version, version);
	call_free(&c);
	call_free(&got);
}

Test(service_audit, without_an_address_nothing_is_recorded)
{
	struct call c;
	struct htd_error err;
	call_init(&c);
	svc.address = NULL;
	open_call(&c);
	calls_add_note(&svc, "user:ana", c.ref, "note", &c, &err);
	calls_get(&svc, c.ref, &c, &err);
	calls_get(&svc, "HT-2026-000005", &c, &err);
	cr_assert_eq(total(), 0);
	call_free(&c);
}

Test(service_audit, the_log_is_append_only)
{
	struct audit_entry e = { .actor = "user:ana",
		                 .action = "config.read",
		                 .object = "",
		                 .address = "192.0.2.10" };
	struct htd_error err;
	cr_assert_eq(audit_record(&svc, &e, &err), HTD_OK);
	cr_assert_neq(raw_exec("UPDATE audit SET actor = 'someone else'"),
	              SQLITE_OK);
	cr_assert_neq(raw_exec("DELETE FROM audit"), SQLITE_OK);
	cr_assert_eq(total(), 1);
	expect_newest("user:ana", "config.read", "", AUDIT_OUTCOME_OK, "");
}

/* ---- listing ----------------------------------------------------------------
 */

static void record(const char *actor, const char *object, int64_t at)
{
	struct audit_entry e = { .at_ms = at,
		                 .actor = actor,
		                 .action = "call.read",
		                 .object = object,
		                 .address = "192.0.2.10",
		                 .outcome = AUDIT_OUTCOME_OK };
	struct htd_error err;
	cr_assert_eq(audit_record(&svc, &e, &err), HTD_OK, "%s", err.message);
}

Test(service_audit, list_filters_and_pages_newest_first)
{
	int64_t t0 = tu_local_ms("2026-04-01T08:00:00");
	for (int i = 0; i < 30; i++)
		record(i % 3 == 0 ? "user:ana" : "user:bo",
		       i % 2 ? "call:HT-2026-000001" : "call:HT-2026-000002",
		       t0 + i * 60000);
	struct audit_list l;
	struct htd_error err;
	svc.actor = "user:auditor";

	struct audit_query all = { .actor = "user:ana" };
	cr_assert_eq(audit_list(&svc, &all, &l, &err), HTD_OK, "%s",
	             err.message);
	cr_assert_eq(l.n, 10);
	cr_assert_not(l.more);
	for (size_t i = 0; i + 1 < l.n; i++)
		cr_assert_gt(l.entries[i].id, l.entries[i + 1].id);
	cr_assert_eq(l.entries[0].at_ms, t0 + 27 * 60000);
	audit_list_free(&l);

	struct audit_query both = { .actor = "user:ana",
		                    .object = "call:HT-2026-000001" };
	cr_assert_eq(audit_list(&svc, &both, &l, &err), HTD_OK);
	cr_assert_eq(l.n, 5); /* i = 3, 9, 15, 21, 27 */
	audit_list_free(&l);

	struct audit_query window = { .object = "call:HT-2026-000002",
		                      .since = "2026-04-01T08:10:00",
		                      .until = "2026-04-01T08:20:00" };
	cr_assert_eq(audit_list(&svc, &window, &l, &err), HTD_OK, "%s",
	             err.message);
	cr_assert_eq(l.n, 5); /* i = 10, 12, 14, 16, 18 */
	cr_assert_eq(l.entries[0].at_ms, t0 + 18 * 60000);
	cr_assert_eq(l.entries[4].at_ms, t0 + 10 * 60000);
	audit_list_free(&l);

	/* Pages of 7 over everything: 30 entries and the list entries
	 * written meanwhile never shift a page (they are newer). */
	struct audit_query page = { .limit = "7", .until = "2026-04-02" };
	char after[32];
	int seen = 0, pages = 0;
	int64_t last = INT64_MAX;
	for (;;) {
		cr_assert_eq(audit_list(&svc, &page, &l, &err), HTD_OK, "%s",
		             err.message);
		for (size_t i = 0; i < l.n; i++) {
			cr_assert_lt(l.entries[i].id, last);
			last = l.entries[i].id;
			cr_assert_str_eq(l.entries[i].action, "call.read");
		}
		seen += (int)l.n;
		pages++;
		bool more = l.more;
		if (more) {
			cr_assert_eq(l.n, 7);
			snprintf(after, sizeof(after), "%lld",
			         (long long)l.entries[l.n - 1].id);
			page.after = after;
		}
		audit_list_free(&l);
		if (!more)
			break;
	}
	cr_assert_eq(seen, 30);
	cr_assert_eq(pages, 5);

	/* Every listing is itself on the record, with what it asked. */
	cr_assert_eq(count("audit.read", "ok"), 3 + pages);
	struct audit_query mine = { .actor = "user:auditor", .limit = "1" };
	cr_assert_eq(audit_list(&svc, &mine, &l, &err), HTD_OK);
	cr_assert_eq(l.n, 1);
	cr_assert_str_eq(l.entries[0].action, "audit.read");
	cr_assert_str_eq(l.entries[0].detail, "until=2026-04-02T05:00:00.000Z "
	                                      "after=3 limit=7");
	cr_assert(l.more);
	audit_list_free(&l);
	audit_list_free(&l);
	audit_list_free(NULL);
}

Test(service_audit, query_errors_name_the_field)
{
	char long_actor[AUDIT_TEXT_MAX + 2];
	memset(long_actor, 'a', sizeof(long_actor) - 1);
	long_actor[sizeof(long_actor) - 1] = '\0';
	static const struct {
		struct audit_query q;
		const char *field;
	} bad[] = {
		{ { .since = "yesterday" }, "since" },
		{ { .until = "2026-02-30" }, "until" },
		{ { .since = "2026-05-02", .until = "2026-05-01" }, "until" },
		{ { .until = "1970-01-01T00:00:00Z" }, "until" },
		{ { .limit = "0" }, "limit" },
		{ { .limit = "1001" }, "limit" },
		{ { .limit = "10abc" }, "limit" },
		{ { .limit = "" }, "limit" },
		{ { .after = "0" }, "after" },
		{ { .after = "-3" }, "after" },
		{ { .after = "HT-2026-000001" }, "after" },
	};
	struct audit_list l;
	struct htd_error err;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		htd_error_clear(&err);
		cr_assert_eq(audit_list(&svc, &bad[i].q, &l, &err),
		             HTD_ERR_INVALID, "case %zu", i);
		cr_assert_str_eq(err.field, bad[i].field, "case %zu: %s", i,
		                 err.message);
		cr_assert_eq(l.n, 0);
		cr_assert_null(l.entries);
	}
	struct audit_query q = { .actor = long_actor };
	cr_assert_eq(audit_list(&svc, &q, &l, &err), HTD_ERR_INVALID);
	cr_assert_str_eq(err.field, "actor");
	q = (struct audit_query){ .object = long_actor };
	cr_assert_eq(audit_list(&svc, &q, &l, &err), HTD_ERR_INVALID);
	cr_assert_str_eq(err.field, "object");
	/* Refused reads of the log are on the record too. */
	cr_assert_eq(count("audit.read", "invalid"), 13);
	cr_assert_eq(count("audit.read", "ok"), 0);

	struct audit_query ok = { .limit = "1000", .after = "1" };
	cr_assert_eq(audit_list(&svc, &ok, &l, &err), HTD_OK, "%s",
	             err.message);
	cr_assert_eq(l.n, 0, "nothing is older than entry 1");
	audit_list_free(&l);
}

Test(service_audit, texts_are_cleaned_and_bounded)
{
	char big[600];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	/* A 2-byte character straddles the cut at 256 bytes. */
	char straddle[300];
	memset(straddle, 'y', 255);
	memcpy(straddle + 255, "\xc3\xa9zz", 5);
	struct audit_entry e = { .actor = "user:ana\nforged line",
		                 .action = "call.read",
		                 .object = straddle,
		                 .address = "\xff\xfe",
		                 .detail = big };
	struct htd_error err;
	cr_assert_eq(audit_record(&svc, &e, &err), HTD_OK);
	struct newest n;
	newest(&n);
	cr_assert_str_eq(n.e->actor, "user:ana?forged line");
	cr_assert_str_eq(n.e->address, "??");
	cr_assert_eq(strlen(n.e->detail), AUDIT_TEXT_MAX);
	cr_assert_eq(strlen(n.e->object), 255, "cut before the character");
	audit_list_free(&n.l);

	e = (struct audit_entry){ .action = "" };
	cr_assert_eq(audit_record(&svc, &e, &err), HTD_ERR_INVALID);
	cr_assert_str_eq(err.field, "action");
	e = (struct audit_entry){ .action = "config.read",
		                  .address = "192.0.2.10" };
	cr_assert_eq(audit_record(&svc, &e, &err), HTD_OK);
	expect_newest("anonymous", "config.read", "", AUDIT_OUTCOME_OK, "");
}

Test(service_audit, outcome_names)
{
	static const char *const names[] = { "ok",           "denied",
		                             "unauthorized", "not_found",
		                             "invalid",      "conflict",
		                             "error" };
	cr_assert_eq(AUDIT_OUTCOME__COUNT, 7);
	for (int i = 0; i < AUDIT_OUTCOME__COUNT; i++) {
		enum audit_outcome o;
		cr_assert_str_eq(audit_outcome_name((enum audit_outcome)i),
		                 names[i]);
		cr_assert(audit_outcome_parse(names[i], &o));
		cr_assert_eq(o, (enum audit_outcome)i);
	}
	enum audit_outcome o;
	cr_assert_not(audit_outcome_parse("OK", &o));
	cr_assert_not(audit_outcome_parse(NULL, &o));
	cr_assert_eq(audit_outcome_of(HTD_OK), AUDIT_OUTCOME_OK);
	cr_assert_eq(audit_outcome_of(HTD_ERR_FORBIDDEN), AUDIT_OUTCOME_DENIED);
	cr_assert_eq(audit_outcome_of(HTD_ERR_LOCKED), AUDIT_OUTCOME_DENIED);
	cr_assert_eq(audit_outcome_of(HTD_ERR_UNAUTHORIZED),
	             AUDIT_OUTCOME_UNAUTHORIZED);
	cr_assert_eq(audit_outcome_of(HTD_ERR_NOT_FOUND),
	             AUDIT_OUTCOME_NOT_FOUND);
	cr_assert_eq(audit_outcome_of(HTD_ERR_TOO_LARGE),
	             AUDIT_OUTCOME_INVALID);
	cr_assert_eq(audit_outcome_of(HTD_ERR_CONFLICT),
	             AUDIT_OUTCOME_CONFLICT);
	cr_assert_eq(audit_outcome_of(HTD_ERR_BUSY), AUDIT_OUTCOME_ERROR);
}

/* audit_result(): a success is answered only with its entry written; a
 * failure keeps its own code whatever becomes of its entry. */
Test(service_audit, audit_result_needs_the_entry_of_a_success)
{
	struct htd_error err;
	struct audit_entry e = { .actor = "user:ana",
		                 .action = "test.read",
		                 .object = "thing:1",
		                 .address = svc.address };
	int64_t before = total();
	cr_assert_eq(audit_result(&svc, &e, HTD_OK, &err), HTD_OK);
	cr_assert_eq(count("test.read", "ok"), 1);
	cr_assert_eq(audit_result(&svc, &e, HTD_ERR_NOT_FOUND, &err),
	             HTD_ERR_NOT_FOUND, "a failure keeps its code");
	cr_assert_eq(count("test.read", NULL), 2);
	cr_assert_eq(count("test.read", "ok"), 1, "with its own outcome");
	cr_assert_eq(total(), before + 2);

	/* An entry that cannot be written (no action): a success becomes
	 * that error, a failure stays what it was. */
	struct audit_entry bad = e;
	bad.action = NULL;
	htd_error_clear(&err);
	cr_assert_eq(audit_result(&svc, &bad, HTD_OK, &err), HTD_ERR_INVALID);
	cr_assert_str_eq(err.field, "action");
	htd_error_set(&err, HTD_ERR_NOT_FOUND, "no thing 1");
	cr_assert_eq(audit_result(&svc, &bad, HTD_ERR_NOT_FOUND, &err),
	             HTD_ERR_NOT_FOUND);
	cr_assert_str_eq(err.message, "no thing 1", "err untouched");
	cr_assert_eq(total(), before + 2);

	/* A service that does not audit records nothing. */
	struct service quiet = svc;
	quiet.address = NULL;
	cr_assert_eq(audit_result(&quiet, &e, HTD_OK, &err), HTD_OK);
	cr_assert_eq(total(), before + 2);
}
