/*
 * test_sqlite.c - the SQLite back-end of store.h: opening (new, missing,
 * not a database, another program's, newer schema, corrupt), durability
 * settings, append-only events, optimistic concurrency, all-or-nothing
 * batches, listing and paging, lock timeouts; the decision fields of the
 * projection, their strict reading, and the upgrade of a version 1
 * database and of a version 2 one (users, sessions, the access audit).
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "formats/event_json.h"
#include "service/calls.h"
#include "store/sqlite.h"
#include "store/store.h"
#include "util/mem.h"
#include "testutil.h"

static char dir[512];
static char db[600];
static int64_t now;
static struct htd_clock fixed;

static void setup(void)
{
	const char *d = tu_tmpdir();
	snprintf(dir, sizeof(dir), "%s", d);
	tu_path(db, sizeof(db), dir, "t.db");
	now = tu_local_ms("2026-03-14T10:00:00");
	clock_fixed(&fixed, &now);
}

static void teardown(void)
{
	tu_rmtree(dir);
}

TestSuite(store_sqlite, .init = setup, .fini = teardown);

static struct store *open_ok(bool create)
{
	struct store *s = NULL;
	struct htd_error err;
	struct store_options o = { .path = db, .create = create };
	enum htd_err rc = store_open(&o, &s, &err);
	cr_assert_eq(rc, HTD_OK, "open: %s", err.message);
	return s;
}

static enum htd_err open_err(bool create, struct htd_error *err)
{
	struct store *s = NULL;
	struct store_options o = { .path = db, .create = create };
	enum htd_err rc = store_open(&o, &s, err);
	cr_assert_null(s);
	return rc;
}

static void open_call(struct store *s, char ref[CALL_REF_MAX])
{
	struct service svc = { .store = s, .clock = &fixed };
	struct call c;
	struct htd_error err;
	call_init(&c);
	struct call_open_request req = { .location = "1 Main St" };
	cr_assert_eq(calls_open(&svc, "test", &req, &c, &err), HTD_OK, "%s",
	             err.message);
	snprintf(ref, CALL_REF_MAX, "%s", c.ref);
	call_free(&c);
}

/* Runs SQL on the file directly, as another program would. */
static int raw_exec(const char *sql)
{
	sqlite3 *h;
	cr_assert_eq(sqlite3_open(db, &h), SQLITE_OK);
	int rc = sqlite3_exec(h, sql, NULL, NULL, NULL);
	sqlite3_close(h);
	return rc;
}

static int64_t raw_count(const char *sql)
{
	sqlite3 *h;
	sqlite3_stmt *st;
	cr_assert_eq(sqlite3_open(db, &h), SQLITE_OK);
	cr_assert_eq(sqlite3_prepare_v2(h, sql, -1, &st, NULL), SQLITE_OK);
	cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
	int64_t n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(h);
	return n;
}

Test(store_sqlite, creates_a_durable_database)
{
	struct store *s = open_ok(true);
	cr_assert_str_eq(store_backend(s), "sqlite");
	cr_assert_eq(store_schema_version(s), store_schema_latest());
	store_close(s);
	cr_assert_eq(raw_count("PRAGMA application_id"),
	             SQLITE_STORE_APPLICATION_ID);
	cr_assert_eq(raw_count("PRAGMA user_version"), store_schema_latest());
	cr_assert_eq(raw_count("SELECT max(version) FROM schema_migrations"),
	             store_schema_latest());
	/* WAL is a property of the file; synchronous=FULL and foreign keys
	 * are per connection and are checked through behaviour below. */
	sqlite3 *h;
	sqlite3_stmt *st;
	cr_assert_eq(sqlite3_open(db, &h), SQLITE_OK);
	cr_assert_eq(
	    sqlite3_prepare_v2(h, "PRAGMA journal_mode", -1, &st, NULL),
	    SQLITE_OK);
	cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
	cr_assert_str_eq((const char *)sqlite3_column_text(st, 0), "wal");
	sqlite3_finalize(st);
	sqlite3_close(h);
}

Test(store_sqlite, reopening_is_idempotent)
{
	store_close(open_ok(true));
	store_close(open_ok(true));
	store_close(open_ok(false));
	cr_assert_eq(raw_count("SELECT max(version) FROM schema_migrations"),
	             store_schema_latest());
}

Test(store_sqlite, missing_database_is_not_created_without_create)
{
	struct htd_error err;
	cr_assert_eq(open_err(false, &err), HTD_ERR_NO_DATABASE);
	cr_assert(strstr(err.message, "htdispatch init"));
	cr_assert(!tu_exists(db));
}

Test(store_sqlite, empty_file_needs_init)
{
	struct htd_error err;
	tu_write_file(db, "", 0);
	cr_assert_eq(open_err(false, &err), HTD_ERR_NO_DATABASE);
	store_close(open_ok(true));
	cr_assert_eq(raw_count("PRAGMA user_version"), store_schema_latest());
}

Test(store_sqlite, not_a_database_is_left_untouched)
{
	struct htd_error err;
	const char text[] = "call log 2026\nthis is a text file, not SQLite\n"
	                    "padding padding padding padding padding padding";
	tu_write_file(db, text, sizeof(text) - 1);
	uint64_t before = tu_file_hash(db);
	cr_assert_eq(open_err(false, &err), HTD_ERR_NOT_DATABASE);
	cr_assert(strstr(err.message, db), "message names the file: %s",
	          err.message);
	cr_assert_eq(open_err(true, &err), HTD_ERR_NOT_DATABASE);
	cr_assert_eq(tu_file_hash(db), before);
	char side[700];
	snprintf(side, sizeof(side), "%s-wal", db);
	cr_assert(!tu_exists(side), "no WAL file left beside it");
}

Test(store_sqlite, another_programs_database_is_refused)
{
	cr_assert_eq(raw_exec("CREATE TABLE contacts (name TEXT);"
	                      "INSERT INTO contacts VALUES ('x');"),
	             SQLITE_OK);
	uint64_t before = tu_file_hash(db);
	struct htd_error err;
	cr_assert_eq(open_err(true, &err), HTD_ERR_NOT_DATABASE);
	cr_assert(strstr(err.message, "another program"), "%s", err.message);
	cr_assert_eq(tu_file_hash(db), before);
}

Test(store_sqlite, newer_schema_is_refused_untouched)
{
	store_close(open_ok(true));
	char sql[64];
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d",
	         store_schema_latest() + 1);
	cr_assert_eq(raw_exec(sql), SQLITE_OK);
	uint64_t before = tu_file_hash(db);
	struct htd_error err;
	cr_assert_eq(open_err(false, &err), HTD_ERR_SCHEMA_NEWER);
	cr_assert(strstr(err.message, "newer htdispatch"), "%s", err.message);
	cr_assert(strstr(err.message, db));
	cr_assert_eq(open_err(true, &err), HTD_ERR_SCHEMA_NEWER);
	cr_assert_eq(tu_file_hash(db), before);
}

Test(store_sqlite, corrupt_database_is_reported)
{
	struct store *s = open_ok(true);
	char ref[CALL_REF_MAX];
	open_call(s, ref);
	store_close(s);
	/* Overwrite the schema table on page 1, past the file header. */
	FILE *f = fopen(db, "r+b");
	cr_assert_not_null(f);
	fseek(f, 100, SEEK_SET);
	for (int i = 0; i < 64; i++)
		fputc(0xA5, f);
	fclose(f);
	uint64_t before = tu_file_hash(db);
	struct htd_error err;
	cr_assert_eq(open_err(false, &err), HTD_ERR_CORRUPT);
	cr_assert(strstr(err.message, "corrupt"), "%s", err.message);
	cr_assert(strstr(err.message, db));
	cr_assert_eq(tu_file_hash(db), before);
}

Test(store_sqlite, events_are_append_only)
{
	struct store *s = open_ok(true);
	char ref[CALL_REF_MAX];
	open_call(s, ref);
	store_close(s);
	cr_assert_neq(raw_exec("UPDATE call_events SET actor = 'x'"),
	              SQLITE_OK);
	cr_assert_neq(raw_exec("DELETE FROM call_events"), SQLITE_OK);
	cr_assert_neq(raw_exec("DELETE FROM calls"), SQLITE_OK);
	cr_assert_eq(raw_count("SELECT count(*) FROM call_events"), 1);
}

/* Builds a note event on the current state of `ref` into the outputs. */
static void note_on(struct store *s, const char *ref, const char *text,
                    struct call *c, struct store_event *se, char **payload)
{
	struct htd_error err;
	cr_assert_eq(store_call_get(s, ref, c, &err), HTD_OK);
	struct call_event e = { .type = CALL_EVENT_NOTE_ADDED,
		                .at_ms = now,
		                .actor = "test" };
	e.u.note.text = text;
	*payload = event_json_encode(&e);
	memset(se, 0, sizeof(*se));
	se->seq = c->version + 1;
	se->type = "note_added";
	se->at_ms = now;
	se->actor = "test";
	se->payload = *payload;
	cr_assert_eq(call_apply(c, &e, &err), HTD_OK);
}

Test(store_sqlite, stale_version_conflicts_and_writes_nothing)
{
	struct store *s = open_ok(true);
	char ref[CALL_REF_MAX];
	open_call(s, ref);
	struct call c1, c2;
	call_init(&c1);
	call_init(&c2);
	struct store_event e1, e2;
	char *p1, *p2;
	note_on(s, ref, "first writer", &c1, &e1, &p1);
	note_on(s, ref, "second writer", &c2, &e2, &p2);
	struct store_append a1 = { .call_ref = ref,
		                   .expected_version = 1,
		                   .event = &e1,
		                   .projection = &c1 };
	struct store_append a2 = { .call_ref = ref,
		                   .expected_version = 1,
		                   .event = &e2,
		                   .projection = &c2 };
	struct htd_error err;
	cr_assert_eq(store_append(s, &a1, 1, &err), HTD_OK, "%s", err.message);
	cr_assert_eq(store_append(s, &a2, 1, &err), HTD_ERR_CONFLICT);
	store_close(s);
	cr_assert_eq(raw_count("SELECT count(*) FROM call_events"), 2);
	cr_assert_eq(raw_count("SELECT version FROM calls"), 2);
	free(p1);
	free(p2);
	call_free(&c1);
	call_free(&c2);
}

Test(store_sqlite, batch_is_all_or_nothing)
{
	struct store *s = open_ok(true);
	char ref[CALL_REF_MAX];
	open_call(s, ref);
	struct call c1, c2;
	call_init(&c1);
	call_init(&c2);
	struct store_event e1, e2;
	char *p1, *p2;
	note_on(s, ref, "one", &c1, &e1, &p1);
	note_on(s, ref, "two", &c2, &e2, &p2);
	/* The second item refers to a call that does not exist. */
	struct store_append items[2] = { { .call_ref = ref,
		                           .expected_version = 1,
		                           .event = &e1,
		                           .projection = &c1 },
		                         { .call_ref = "HT-2026-999999",
		                           .expected_version = 1,
		                           .event = &e2,
		                           .projection = &c2 } };
	struct htd_error err;
	cr_assert_eq(store_append(s, items, 2, &err), HTD_ERR_NOT_FOUND);
	store_close(s);
	cr_assert_eq(raw_count("SELECT count(*) FROM call_events"), 1);
	cr_assert_eq(raw_count("SELECT version FROM calls"), 1);
	free(p1);
	free(p2);
	call_free(&c1);
	call_free(&c2);
}

Test(store_sqlite, sequence_is_per_year)
{
	struct store *s = open_ok(true);
	char ref[CALL_REF_MAX];
	open_call(s, ref);
	cr_assert_str_eq(ref, "HT-2026-000001");
	open_call(s, ref);
	cr_assert_str_eq(ref, "HT-2026-000002");
	now = tu_local_ms("2026-12-31T23:59:59");
	open_call(s, ref);
	cr_assert_str_eq(ref, "HT-2026-000003");
	now = tu_local_ms("2027-01-01T00:00:01");
	open_call(s, ref);
	cr_assert_str_eq(ref, "HT-2027-000001");
	store_close(s);
}

Test(store_sqlite, list_filters_and_pages)
{
	struct store *s = open_ok(true);
	struct service svc = { .store = s, .clock = &fixed };
	char ref[CALL_REF_MAX];
	for (int i = 0; i < 7; i++) {
		now = tu_local_ms("2026-03-14T10:00:00") + i * 60000;
		open_call(s, ref);
	}
	struct call c;
	struct htd_error err;
	call_init(&c);
	cr_assert_eq(
	    calls_close(&svc, "t", "HT-2026-000002", "unfounded", "", &c, &err),
	    HTD_OK);
	call_free(&c);

	struct call_filter f = { .limit = 3 };
	struct call_page p;
	cr_assert_eq(store_call_list(s, &f, &p, &err), HTD_OK);
	cr_assert_eq(p.n, 3);
	cr_assert(p.more);
	cr_assert_str_eq(p.calls[0].ref, "HT-2026-000007");
	cr_assert_str_eq(p.calls[2].ref, "HT-2026-000005");
	snprintf(f.after, sizeof(f.after), "%s", p.calls[2].ref);
	call_page_free(&p);
	cr_assert_eq(store_call_list(s, &f, &p, &err), HTD_OK);
	cr_assert_eq(p.n, 3);
	cr_assert_str_eq(p.calls[0].ref, "HT-2026-000004");
	snprintf(f.after, sizeof(f.after), "%s", p.calls[2].ref);
	call_page_free(&p);
	cr_assert_eq(store_call_list(s, &f, &p, &err), HTD_OK);
	cr_assert_eq(p.n, 1);
	cr_assert(!p.more);
	cr_assert_str_eq(p.calls[0].ref, "HT-2026-000001");
	call_page_free(&p);

	struct call_filter closed = { .by_status = true,
		                      .status = CALL_STATUS_CLOSED };
	cr_assert_eq(store_call_list(s, &closed, &p, &err), HTD_OK);
	cr_assert_eq(p.n, 1);
	cr_assert_str_eq(p.calls[0].ref, "HT-2026-000002");
	call_page_free(&p);

	struct call_filter window = {
		.since_ms = tu_local_ms("2026-03-14T10:02:00"),
		.until_ms = tu_local_ms("2026-03-14T10:04:00"),
	};
	cr_assert_eq(store_call_list(s, &window, &p, &err), HTD_OK);
	cr_assert_eq(p.n, 2);
	cr_assert_str_eq(p.calls[0].ref, "HT-2026-000004");
	cr_assert_str_eq(p.calls[1].ref, "HT-2026-000003");
	call_page_free(&p);

	struct call_filter tips = { .by_category = true,
		                    .category = CALL_CATEGORY_CREDIBLE_TIP };
	cr_assert_eq(store_call_list(s, &tips, &p, &err), HTD_OK);
	cr_assert_eq(p.n, 0);
	call_page_free(&p);

	struct call_filter bad = { .after = "HT-2026-000099" };
	cr_assert_eq(store_call_list(s, &bad, &p, &err), HTD_ERR_NOT_FOUND);
	cr_assert_str_eq(err.field, "after");
	store_close(s);
}

Test(store_sqlite, locked_database_times_out_with_a_clear_error)
{
	store_close(open_ok(true));
	int ready[2], release[2];
	cr_assert_eq(pipe(ready), 0);
	cr_assert_eq(pipe(release), 0);
	pid_t pid = fork();
	cr_assert_neq(pid, -1);
	if (pid == 0) {
		/* Another process holds the write lock until told to let go. */
		sqlite3 *h;
		char c;
		if (sqlite3_open(db, &h) != SQLITE_OK ||
		    sqlite3_exec(h, "BEGIN IMMEDIATE", NULL, NULL, NULL) !=
		        SQLITE_OK)
			_exit(1);
		if (write(ready[1], "x", 1) != 1 ||
		    read(release[0], &c, 1) != 1)
			_exit(1);
		sqlite3_exec(h, "ROLLBACK", NULL, NULL, NULL);
		sqlite3_close(h);
		_exit(0);
	}
	char x;
	cr_assert_eq(read(ready[0], &x, 1), 1);
	struct store *s = NULL;
	struct htd_error err;
	struct store_options o = { .path = db, .busy_timeout_ms = 200 };
	cr_assert_eq(store_open(&o, &s, &err), HTD_OK, "%s", err.message);
	struct service svc = { .store = s, .clock = &fixed };
	struct call c;
	call_init(&c);
	struct call_open_request req = { 0 };
	cr_assert_eq(calls_open(&svc, "t", &req, &c, &err), HTD_ERR_BUSY);
	cr_assert(strstr(err.message, "locked by another process"), "%s",
	          err.message);
	cr_assert(strstr(err.message, "200 ms"), "%s", err.message);
	cr_assert_eq(write(release[1], "x", 1), 1);
	int status;
	waitpid(pid, &status, 0);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* Once the lock is gone the same call goes through. */
	cr_assert_eq(calls_open(&svc, "t", &req, &c, &err), HTD_OK, "%s",
	             err.message);
	cr_assert_str_eq(c.ref, "HT-2026-000001");
	call_free(&c);
	store_close(s);
}

/* ---- decisions: the projection's new fields ----------------------------- */

/* Applies `e` to `c` (the call's projection, version n) and appends it. */
static void append_applied(struct store *s, const char *ref, struct call *c,
                           const struct call_event *e, const char *extra)
{
	struct htd_error err;
	int64_t version = c->version;
	cr_assert_eq(call_event_validate(e, &err), HTD_OK, "%s", err.message);
	cr_assert_eq(call_apply(c, e, &err), HTD_OK, "%s", err.message);
	json_t *x = extra ? json_loads(extra, 0, NULL) : NULL;
	char *payload = event_json_encode_with(e, x);
	json_decref(x);
	struct store_event se = {
		.seq = version + 1,
		.type = call_event_type_name(e->type),
		.at_ms = e->at_ms,
		.actor = e->actor,
		.payload = payload,
	};
	struct store_append a = { .call_ref = ref,
		                  .expected_version = version,
		                  .event = &se,
		                  .projection = c };
	cr_assert_eq(store_append(s, &a, 1, &err), HTD_OK, "%s", err.message);
	free(payload);
}

/* Opens a call and records a note, its indicators, a decision, an
 * override and two marks; `c` gets the projection. */
static void decided_call(struct store *s, char ref[CALL_REF_MAX],
                         struct call *c)
{
	struct htd_error err;
	open_call(s, ref);
	cr_assert_eq(store_call_get(s, ref, c, &err), HTD_OK, "%s",
	             err.message);
	struct call_event e = { .type = CALL_EVENT_NOTE_ADDED,
		                .at_ms = now + 1000,
		                .actor = "user:a" };
	e.u.note.text = "He keeps my passport; she is 15";
	append_applied(s, ref, c, &e, NULL);

	struct call_hit h[2];
	memset(h, 0, sizeof(h));
	snprintf(h[0].indicator, sizeof(h[0].indicator), "documents_withheld");
	h[0].start = 3;
	h[0].end = 21;
	snprintf(h[0].subject, sizeof(h[0].subject), "caller");
	snprintf(h[1].indicator, sizeof(h[1].indicator), "minor");
	h[1].start = 23;
	h[1].end = 32;
	h[1].negated = h[1].hypothetical = h[1].historical = true;
	e = (struct call_event){ .type = CALL_EVENT_INDICATORS_FOUND,
		                 .at_ms = now + 1000,
		                 .actor = "system:screen" };
	e.u.indicators.note = 2;
	e.u.indicators.hits = h;
	e.u.indicators.n_hits = 2;
	append_applied(s, ref, c, &e, NULL);

	char dispatch[] = "dispatch_officer", hotline[] = "notify_hotline";
	struct call_action a[2] = {
		{ .id = dispatch,
		  .state = CALL_ACTION_REQUIRED,
		  .required_since_ms = now + 1000 },
		{ .id = hotline,
		  .state = CALL_ACTION_REQUIRED,
		  .required_since_ms = now + 1000 },
	};
	e = (struct call_event){ .type = CALL_EVENT_DECISION_MADE,
		                 .at_ms = now + 1000,
		                 .actor = "system:protocol" };
	e.u.decision.recommended = CALL_CATEGORY_VICTIM_CALL;
	e.u.decision.category = CALL_CATEGORY_VICTIM_CALL;
	e.u.decision.priority = 2;
	e.u.decision.decided_with = "nena-ht 1.0.0; default 2026.11";
	e.u.decision.actions = a;
	e.u.decision.n_actions = 2;
	append_applied(s, ref, c, &e, "{\"rationale\":[\"minor\"]}");

	e = (struct call_event){ .type = CALL_EVENT_CATEGORY_OVERRIDDEN,
		                 .at_ms = now + 2000,
		                 .actor = "user:supervisor" };
	e.u.override.category = CALL_CATEGORY_VICTIM_ESCAPE;
	e.u.override.reason = "She is out of the house \"now\"";
	append_applied(s, ref, c, &e, NULL);
	e = (struct call_event){ .type = CALL_EVENT_DECISION_MADE,
		                 .at_ms = now + 2000,
		                 .actor = "system:protocol" };
	e.u.decision.recommended = CALL_CATEGORY_VICTIM_CALL;
	e.u.decision.category = CALL_CATEGORY_VICTIM_ESCAPE;
	e.u.decision.priority = 1;
	e.u.decision.decided_with = "nena-ht 1.0.0; default 2026.11";
	e.u.decision.actions = a;
	e.u.decision.n_actions = 1;
	append_applied(s, ref, c, &e, NULL);

	e = (struct call_event){ .type = CALL_EVENT_ACTION_MARKED,
		                 .at_ms = now + 3000,
		                 .actor = "user:a" };
	e.u.mark.action = "dispatch_officer";
	e.u.mark.state = CALL_ACTION_DONE;
	e.u.mark.reason = "Unit 12";
	append_applied(s, ref, c, &e, NULL);
	e.u.mark.action = "notify_cps";
	e.u.mark.state = CALL_ACTION_NOT_APPLICABLE;
	e.u.mark.reason = "Not a minor after all";
	append_applied(s, ref, c, &e, NULL);
}

Test(store_sqlite, decision_fields_round_trip)
{
	struct store *s = open_ok(true);
	char ref[CALL_REF_MAX], what[64] = "";
	struct call want, got;
	struct htd_error err;
	call_init(&want);
	call_init(&got);
	decided_call(s, ref, &want);
	cr_assert_eq(want.version, 8);
	cr_assert_eq(want.n_actions, 3);
	cr_assert_eq(want.n_hits, 2);

	cr_assert_eq(store_call_get(s, ref, &got, &err), HTD_OK, "%s",
	             err.message);
	cr_assert(call_equal(&want, &got, what, sizeof(what)), "differs: %s",
	          what);
	cr_assert_eq(got.category, CALL_CATEGORY_VICTIM_ESCAPE);
	cr_assert_eq(got.recommended_category, CALL_CATEGORY_VICTIM_CALL);
	cr_assert_eq(got.priority, 1);
	cr_assert_str_eq(got.override_reason,
	                 "She is out of the house \"now\"");
	cr_assert_str_eq(got.actions[1].id, "notify_hotline");
	cr_assert_eq(got.actions[1].state, CALL_ACTION_NOT_REQUIRED);
	cr_assert(got.actions[0].marked);
	cr_assert_str_eq(got.hits[1].indicator, "minor");
	cr_assert(got.hits[1].historical);

	/* A page carries the same (this call has no answers). */
	struct call_filter f = { .by_category = true,
		                 .category = CALL_CATEGORY_VICTIM_ESCAPE };
	struct call_page p;
	cr_assert_eq(store_call_list(s, &f, &p, &err), HTD_OK, "%s",
	             err.message);
	cr_assert_eq(p.n, 1);
	cr_assert(call_equal(&want, &p.calls[0], what, sizeof(what)),
	          "differs: %s", what);
	call_page_free(&p);
	f.category = CALL_CATEGORY_VICTIM_CALL;
	cr_assert_eq(store_call_list(s, &f, &p, &err), HTD_OK);
	cr_assert_eq(p.n, 0);
	call_page_free(&p);

	/* The stored events replay to the stored projection. */
	struct service svc = { .store = s, .clock = &fixed };
	cr_assert_eq(calls_verify(&svc, ref, &err), HTD_OK, "%s", err.message);
	store_close(s);

	cr_assert_eq(raw_count("SELECT priority FROM calls"), 1);
	cr_assert_eq(raw_count("SELECT count(*) FROM calls WHERE "
	                       "recommended_category = 'victim_call' AND "
	                       "category = 'victim_escape'"),
	             1);
	cr_assert_eq(raw_count("SELECT count(*) FROM call_events WHERE "
	                       "payload LIKE '%\"rationale\":[\"minor\"]%'"),
	             1);
	call_free(&want);
	call_free(&got);
}

Test(store_sqlite, a_fresh_call_has_empty_decision_fields)
{
	struct store *s = open_ok(true);
	char ref[CALL_REF_MAX];
	struct call c;
	struct htd_error err;
	call_init(&c);
	open_call(s, ref);
	cr_assert_eq(store_call_get(s, ref, &c, &err), HTD_OK);
	cr_assert_eq(c.priority, 0);
	cr_assert_eq(c.recommended_category, CALL_CATEGORY_UNDETERMINED);
	cr_assert_eq(c.override_category, CALL_CATEGORY_UNDETERMINED);
	cr_assert_str_eq(c.override_reason, "");
	cr_assert_str_eq(c.override_by, "");
	cr_assert_str_eq(c.decided_with, "");
	cr_assert_eq(c.n_actions, 0);
	cr_assert_eq(c.n_hits, 0);
	call_free(&c);
	store_close(s);
}

Test(store_sqlite, a_bad_state_value_is_corrupt_naming_the_call)
{
	static const struct {
		const char *sql, *named;
	} cases[] = {
		{ "UPDATE calls SET state = 'not json'", "(not JSON)" },
		{ "UPDATE calls SET state = '[]'", "(not an object)" },
		{ "UPDATE calls SET state = '{\"x\":1}'", "x" },
		{ "UPDATE calls SET state = '{\"decided_with\":5}'",
		  "decided_with" },
		{ "UPDATE calls SET state = '{\"override\":{\"category\":"
		  "\"undetermined\"}}'",
		  "override.category" },
		{ "UPDATE calls SET state = '{\"override\":{\"category\":"
		  "\"other\",\"at\":-1}}'",
		  "override.at" },
		{ "UPDATE calls SET state = '{\"actions\":{}}'", "actions" },
		{ "UPDATE calls SET state = '{\"actions\":[{\"id\":\"a\","
		  "\"state\":\"maybe\"}]}'",
		  "actions[0].state" },
		{ "UPDATE calls SET state = '{\"actions\":[{\"state\":"
		  "\"done\"}]}'",
		  "actions[0].id" },
		{ "UPDATE calls SET state = '{\"actions\":[{\"id\":\"a\","
		  "\"state\":\"done\",\"marked\":1}]}'",
		  "actions[0].marked" },
		{ "UPDATE calls SET state = '{\"actions\":[5]}'",
		  "actions[0].(not an object)" },
		{ "UPDATE calls SET state = '{\"hits\":[{\"indicator\":"
		  "\"minor\",\"note\":0}]}'",
		  "hits[0].note" },
		{ "UPDATE calls SET state = '{\"hits\":[{\"indicator\":"
		  "\"minor\",\"note\":2,\"end\":4294967296}]}'",
		  "hits[0].end" },
		{ "UPDATE calls SET state = '{\"hits\":[{\"indicator\":"
		  "\"minor\",\"note\":2,\"subject\":\"somebody\"}]}'",
		  "hits[0].subject" },
		{ "UPDATE calls SET state = '{\"hits\":[{\"note\":2}]}'",
		  "hits[0].indicator" },
		{ "UPDATE calls SET recommended_category = 'bogus'",
		  "recommended_category" },
	};
	struct store *s = open_ok(true);
	char ref[CALL_REF_MAX];
	open_call(s, ref);
	store_close(s);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cr_assert_eq(raw_exec("UPDATE calls SET state = '{}', "
		                      "recommended_category = 'undetermined'"),
		             SQLITE_OK);
		cr_assert_eq(raw_exec(cases[i].sql), SQLITE_OK, "%s",
		             cases[i].sql);
		s = open_ok(false);
		struct call c;
		struct htd_error err;
		call_init(&c);
		cr_assert_eq(store_call_get(s, ref, &c, &err), HTD_ERR_CORRUPT,
		             "%s", cases[i].sql);
		cr_assert(strstr(err.message, ref), "%s", err.message);
		cr_assert(strstr(err.message, cases[i].named), "%s: %s",
		          cases[i].named, err.message);
		cr_assert_null(c.language, "the call was not freed");
		struct call_filter f = { 0 };
		struct call_page p;
		cr_assert_eq(store_call_list(s, &f, &p, &err), HTD_ERR_CORRUPT);
		cr_assert_eq(p.n, 0);
		store_close(s);
	}
}

/* Migration 1 as htdispatch 0.1 wrote it: the schema a database of the
 * previous version has. */
static const char *const schema_v1 =
    "CREATE TABLE schema_migrations (\n"
    "  version INTEGER PRIMARY KEY,\n"
    "  name TEXT NOT NULL,\n"
    "  applied_at_ms INTEGER NOT NULL\n"
    ");\n"
    "CREATE TABLE call_sequences (\n"
    "  year INTEGER PRIMARY KEY,\n"
    "  last INTEGER NOT NULL CHECK (last > 0)\n"
    ");\n"
    "CREATE TABLE calls (\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  ref TEXT NOT NULL UNIQUE,\n"
    "  year INTEGER NOT NULL,\n"
    "  seq INTEGER NOT NULL,\n"
    "  status TEXT NOT NULL CHECK (status IN ('open', 'closed')),\n"
    "  category TEXT NOT NULL,\n"
    "  channel TEXT NOT NULL,\n"
    "  language TEXT NOT NULL,\n"
    "  location_text TEXT NOT NULL,\n"
    "  callback_number TEXT NOT NULL,\n"
    "  caller_name TEXT NOT NULL,\n"
    "  opened_by TEXT NOT NULL,\n"
    "  opened_at_ms INTEGER NOT NULL,\n"
    "  updated_at_ms INTEGER NOT NULL,\n"
    "  closed_at_ms INTEGER NOT NULL DEFAULT 0,\n"
    "  disposition TEXT NOT NULL DEFAULT '',\n"
    "  close_summary TEXT NOT NULL DEFAULT '',\n"
    "  note_count INTEGER NOT NULL DEFAULT 0,\n"
    "  version INTEGER NOT NULL CHECK (version > 0),\n"
    "  UNIQUE (year, seq)\n"
    ");\n"
    "CREATE INDEX calls_by_opened ON calls (opened_at_ms, id);\n"
    "CREATE INDEX calls_by_status ON calls (status, opened_at_ms);\n"
    "CREATE TABLE call_answers (\n"
    "  call_id INTEGER NOT NULL REFERENCES calls (id),\n"
    "  question TEXT NOT NULL,\n"
    "  value TEXT NOT NULL,\n"
    "  at_ms INTEGER NOT NULL,\n"
    "  ord INTEGER NOT NULL,\n"
    "  PRIMARY KEY (call_id, question)\n"
    ") WITHOUT ROWID;\n"
    "CREATE TABLE call_events (\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  call_id INTEGER NOT NULL REFERENCES calls (id),\n"
    "  seq INTEGER NOT NULL CHECK (seq > 0),\n"
    "  type TEXT NOT NULL,\n"
    "  at_ms INTEGER NOT NULL,\n"
    "  actor TEXT NOT NULL,\n"
    "  payload TEXT NOT NULL,\n"
    "  UNIQUE (call_id, seq)\n"
    ");\n"
    "CREATE TRIGGER call_events_no_update BEFORE UPDATE ON call_events\n"
    "BEGIN SELECT RAISE(ABORT, 'call events are append-only'); END;\n"
    "CREATE TRIGGER call_events_no_delete BEFORE DELETE ON call_events\n"
    "BEGIN SELECT RAISE(ABORT, 'call events are append-only'); END;\n"
    "CREATE TRIGGER calls_no_delete BEFORE DELETE ON calls\n"
    "BEGIN SELECT RAISE(ABORT, 'calls are never deleted'); END;\n";

Test(store_sqlite, a_version_1_database_is_upgraded_keeping_its_calls)
{
	sqlite3 *h;
	cr_assert_eq(sqlite3_open(db, &h), SQLITE_OK);
	cr_assert_eq(
	    sqlite3_exec(h, "PRAGMA journal_mode = WAL", NULL, NULL, NULL),
	    SQLITE_OK);
	cr_assert_eq(sqlite3_exec(h, schema_v1, NULL, NULL, NULL), SQLITE_OK,
	             "%s", sqlite3_errmsg(h));
	char sql[2048];
	snprintf(sql, sizeof(sql),
	         "PRAGMA user_version = 1; PRAGMA application_id = %d;"
	         "INSERT INTO schema_migrations VALUES (1, 'v1', 1);"
	         "INSERT INTO call_sequences VALUES (2026, 1);"
	         "INSERT INTO calls (ref, year, seq, status, category, "
	         "channel, language, location_text, callback_number, "
	         "caller_name, opened_by, opened_at_ms, updated_at_ms, "
	         "note_count, version) VALUES ('HT-2026-000001', 2026, 1, "
	         "'open', 'undetermined', 'voice', 'en', '1 Main St', '', '', "
	         "'test', %lld, %lld, 1, 2);"
	         "INSERT INTO call_events (call_id, seq, type, at_ms, actor, "
	         "payload) VALUES (1, 1, 'call_opened', %lld, 'test', "
	         "'{\"callback\":\"\",\"caller_name\":\"\",\"channel\":"
	         "\"voice\",\"language\":\"en\",\"location\":\"1 Main St\"}'),"
	         "(1, 2, 'note_added', %lld, 'test', '{\"text\":\"old\"}');",
	         SQLITE_STORE_APPLICATION_ID, (long long)now,
	         (long long)now + 5, (long long)now, (long long)now + 5);
	cr_assert_eq(sqlite3_exec(h, sql, NULL, NULL, NULL), SQLITE_OK, "%s",
	             sqlite3_errmsg(h));
	sqlite3_close(h);

	struct store *s = open_ok(false);
	cr_assert_eq(store_schema_version(s), store_schema_latest());
	cr_assert_geq(store_schema_latest(), 4);
	struct call c;
	struct htd_error err;
	call_init(&c);
	cr_assert_eq(store_call_get(s, "HT-2026-000001", &c, &err), HTD_OK,
	             "%s", err.message);
	cr_assert_str_eq(c.location_text, "1 Main St");
	cr_assert_eq(c.note_count, 1);
	cr_assert_eq(c.version, 2);
	cr_assert_eq(c.priority, 0);
	cr_assert_eq(c.recommended_category, CALL_CATEGORY_UNDETERMINED);
	cr_assert_str_eq(c.decided_with, "");
	cr_assert_eq(c.n_actions, 0);
	struct service svc = { .store = s, .clock = &fixed };
	cr_assert_eq(calls_verify(&svc, "HT-2026-000001", &err), HTD_OK, "%s",
	             err.message);

	/* It takes the new events, and new calls continue the sequence. */
	char dispatch[] = "dispatch_officer";
	struct call_action a = { .id = dispatch,
		                 .state = CALL_ACTION_REQUIRED,
		                 .required_since_ms = now + 10 };
	struct call_event e = { .type = CALL_EVENT_DECISION_MADE,
		                .at_ms = now + 10,
		                .actor = "system:protocol" };
	e.u.decision.recommended = CALL_CATEGORY_CREDIBLE_TIP;
	e.u.decision.category = CALL_CATEGORY_CREDIBLE_TIP;
	e.u.decision.priority = 3;
	e.u.decision.decided_with = "p 1; q 1";
	e.u.decision.actions = &a;
	e.u.decision.n_actions = 1;
	append_applied(s, "HT-2026-000001", &c, &e, NULL);
	cr_assert_eq(calls_verify(&svc, "HT-2026-000001", &err), HTD_OK, "%s",
	             err.message);
	char ref[CALL_REF_MAX];
	open_call(s, ref);
	cr_assert_str_eq(ref, "HT-2026-000002");
	call_free(&c);
	store_close(s);

	cr_assert_eq(raw_count("PRAGMA user_version"), store_schema_latest());
	cr_assert_eq(raw_count("SELECT max(version) FROM schema_migrations"),
	             store_schema_latest());
	cr_assert_eq(raw_count("SELECT count(*) FROM sqlite_schema WHERE "
	                       "type = 'index' AND name = 'calls_by_category'"),
	             1);
	cr_assert_eq(raw_count("SELECT count(*) FROM calls WHERE priority = 3 "
	                       "AND category = 'credible_tip'"),
	             1);
	/* Opening again changes nothing. */
	store_close(open_ok(false));
	cr_assert_eq(raw_count("SELECT max(version) FROM schema_migrations"),
	             store_schema_latest());
}

/* Migration 2 as htdispatch 0.2 wrote it, on top of schema_v1. */
static const char *const schema_v2 =
    "ALTER TABLE calls ADD COLUMN recommended_category TEXT NOT NULL\n"
    "  DEFAULT 'undetermined';\n"
    "ALTER TABLE calls ADD COLUMN priority INTEGER NOT NULL DEFAULT 0\n"
    "  CHECK (priority BETWEEN 0 AND 9);\n"
    "ALTER TABLE calls ADD COLUMN state TEXT NOT NULL DEFAULT '{}';\n"
    "CREATE INDEX IF NOT EXISTS calls_by_category ON calls\n"
    "  (category, opened_at_ms);\n";

Test(store_sqlite, a_version_2_database_gains_users_sessions_and_the_audit)
{
	sqlite3 *h;
	cr_assert_eq(sqlite3_open(db, &h), SQLITE_OK);
	cr_assert_eq(
	    sqlite3_exec(h, "PRAGMA journal_mode = WAL", NULL, NULL, NULL),
	    SQLITE_OK);
	cr_assert_eq(sqlite3_exec(h, schema_v1, NULL, NULL, NULL), SQLITE_OK,
	             "%s", sqlite3_errmsg(h));
	cr_assert_eq(sqlite3_exec(h, schema_v2, NULL, NULL, NULL), SQLITE_OK,
	             "%s", sqlite3_errmsg(h));
	char sql[2048];
	snprintf(sql, sizeof(sql),
	         "PRAGMA user_version = 2; PRAGMA application_id = %d;"
	         "INSERT INTO schema_migrations VALUES (1, 'v1', 1), "
	         "(2, 'v2', 2);"
	         "INSERT INTO call_sequences VALUES (2026, 1);"
	         "INSERT INTO calls (ref, year, seq, status, category, "
	         "channel, language, location_text, callback_number, "
	         "caller_name, opened_by, opened_at_ms, updated_at_ms, "
	         "note_count, version) VALUES ('HT-2026-000001', 2026, 1, "
	         "'open', 'undetermined', 'voice', 'en', '1 Main St', '', '', "
	         "'test', %lld, %lld, 0, 1);"
	         "INSERT INTO call_events (call_id, seq, type, at_ms, actor, "
	         "payload) VALUES (1, 1, 'call_opened', %lld, 'test', "
	         "'{\"callback\":\"\",\"caller_name\":\"\",\"channel\":"
	         "\"voice\",\"language\":\"en\",\"location\":\"1 Main "
	         "St\"}');",
	         SQLITE_STORE_APPLICATION_ID, (long long)now, (long long)now,
	         (long long)now);
	cr_assert_eq(sqlite3_exec(h, sql, NULL, NULL, NULL), SQLITE_OK, "%s",
	             sqlite3_errmsg(h));
	sqlite3_close(h);

	struct store *s = open_ok(false);
	struct htd_error err;
	cr_assert_eq(store_schema_version(s), store_schema_latest());
	struct service svc = { .store = s, .clock = &fixed };
	cr_assert_eq(calls_verify(&svc, "HT-2026-000001", &err), HTD_OK, "%s",
	             err.message);

	/* The new tables work, in the upgraded file. */
	struct store_user u;
	memset(&u, 0, sizeof(u));
	snprintf(u.name, sizeof(u.name), "ana");
	snprintf(u.role, sizeof(u.role), "calltaker");
	snprintf(u.password_hash, sizeof(u.password_hash), "scrypt$x");
	u.created_at_ms = u.updated_at_ms = now;
	struct store_audit a = { .at_ms = now,
		                 .actor = "cli:root",
		                 .action = "user.add",
		                 .object = "user:ana",
		                 .address = "cli",
		                 .outcome = "ok",
		                 .detail = "role=calltaker" };
	cr_assert_eq(store_user_insert(s, &u, &a, &err), HTD_OK, "%s",
	             err.message);
	struct store_user back;
	cr_assert_eq(store_user_get(s, "ana", &back, &err), HTD_OK);
	cr_assert_str_eq(back.role, "calltaker");
	cr_assert_eq(back.version, 1);
	store_close(s);

	cr_assert_eq(raw_count("PRAGMA user_version"), store_schema_latest());
	cr_assert_eq(raw_count("SELECT max(version) FROM schema_migrations"),
	             store_schema_latest());
	cr_assert_eq(raw_count("SELECT count(*) FROM audit"), 1);
	cr_assert_eq(raw_count("SELECT count(*) FROM sqlite_schema WHERE "
	                       "name IN ('users', 'sessions', 'audit', "
	                       "'audit_by_object', 'audit_by_actor', "
	                       "'audit_no_update', 'audit_no_delete')"),
	             7);
	cr_assert_neq(raw_exec("DELETE FROM audit"), SQLITE_OK);
	cr_assert_neq(raw_exec("UPDATE audit SET outcome = 'denied'"),
	              SQLITE_OK);
	cr_assert_neq(raw_exec("DELETE FROM users"), SQLITE_OK);
	cr_assert_eq(raw_count("SELECT count(*) FROM audit WHERE outcome = "
	                       "'ok'"),
	             1);
	store_close(open_ok(false));
	cr_assert_eq(raw_count("SELECT max(version) FROM schema_migrations"),
	             store_schema_latest());
}

Test(store_sqlite, verify_refuses_indicators_that_point_at_no_note)
{
	struct store *s = open_ok(true);
	char ref[CALL_REF_MAX];
	struct call c;
	struct htd_error err;
	call_init(&c);
	open_call(s, ref);
	cr_assert_eq(store_call_get(s, ref, &c, &err), HTD_OK);
	struct call_event e = { .type = CALL_EVENT_ANSWER_RECORDED,
		                .at_ms = now + 1,
		                .actor = "user:a" };
	e.u.answer.question = "escaped";
	e.u.answer.value = "yes";
	append_applied(s, ref, &c, &e, NULL);
	e = (struct call_event){ .type = CALL_EVENT_NOTE_ADDED,
		                 .at_ms = now + 2,
		                 .actor = "user:a" };
	e.u.note.text = "threats";
	append_applied(s, ref, &c, &e, NULL);
	/* Event 2 is an answer; call_apply cannot tell, verify can. */
	struct call_hit h;
	memset(&h, 0, sizeof(h));
	snprintf(h.indicator, sizeof(h.indicator), "threats");
	h.end = 7;
	e = (struct call_event){ .type = CALL_EVENT_INDICATORS_FOUND,
		                 .at_ms = now + 2,
		                 .actor = "system:screen" };
	e.u.indicators.note = 2;
	e.u.indicators.hits = &h;
	e.u.indicators.n_hits = 1;
	append_applied(s, ref, &c, &e, NULL);
	struct service svc = { .store = s, .clock = &fixed };
	cr_assert_eq(calls_verify(&svc, ref, &err), HTD_ERR_CORRUPT);
	cr_assert(strstr(err.message, "not a note"), "%s", err.message);
	call_free(&c);
	store_close(s);
}

Test(store_sqlite, a_state_that_is_not_utf8_is_refused_unwritten)
{
	struct store *s = open_ok(true);
	char ref[CALL_REF_MAX];
	open_call(s, ref);
	struct call c;
	struct store_event se;
	char *payload;
	call_init(&c);
	note_on(s, ref, "a note", &c, &se, &payload);
	free(c.override_by);
	c.override_by = xstrdup("user:\xff");
	c.override_category = CALL_CATEGORY_OTHER;
	struct store_append a = { .call_ref = ref,
		                  .expected_version = 1,
		                  .event = &se,
		                  .projection = &c };
	struct htd_error err;
	cr_assert_eq(store_append(s, &a, 1, &err), HTD_ERR_INVALID);
	cr_assert(strstr(err.message, ref), "%s", err.message);
	store_close(s);
	cr_assert_eq(raw_count("SELECT count(*) FROM call_events"), 1);
	cr_assert_eq(raw_count("SELECT version FROM calls"), 1);
	free(payload);
	call_free(&c);
}

/* ---- migration 7: outbox rows can be cancelled -------------------------- */

/* The outbox as migration 5 made it, before 'cancelled' was a state. */

/* One row of call `ref` in state `state`, id `id`, written raw. */
static void raw_outbox_row(const char *ref, int id, const char *state)
{
	char sql[1024];
	snprintf(sql, sizeof(sql),
	         "INSERT INTO outbox (id, call_ref, kind, action, target, "
	         "transport, idempotency_key, content_type, subject, body, "
	         "state, attempts, next_attempt_ms, last_status, last_error, "
	         "created_at_ms, updated_at_ms, delivered_at_ms) VALUES "
	         "(%d, '%s', 'hotline_referral', 'refer_nhth', 'referrals', "
	         "'webhook', '%s-k%d', 'application/json', 'S', '{}', '%s', "
	         "2, 5, 503, 'HTTP 503', 1, 2, 0)",
	         id, ref, ref, id, state);
	cr_assert_eq(raw_exec(sql), SQLITE_OK, "%s", sql);
}

Test(store_sqlite, migration_7_keeps_the_outbox_rows_and_allows_cancelled)
{
	const char *ref = "HT-2026-000001";
	struct htd_error err;
	struct store *s;
	/* A database made by migrations 1 to 6, with rows of every state
	 * version 6 knew. */
	cr_assert_eq(sqlite_store_create_at(db, 6, &err), HTD_OK, "%s",
	             err.message);
	raw_outbox_row(ref, 3, "pending");
	raw_outbox_row(ref, 7, "delivered");
	raw_outbox_row(ref, 9, "task_open");
	raw_outbox_row(ref, 11, "failed");
	cr_assert_eq(raw_count("PRAGMA user_version"), 6);
	cr_assert_neq(raw_exec("UPDATE outbox SET state = 'cancelled' "
	                       "WHERE id = 3"),
	              SQLITE_OK, "version 6 refuses the state");
	cr_assert_eq(sqlite_store_create_at(db, 5, &err), HTD_ERR_SCHEMA_NEWER,
	             "a database is never taken back");

	s = open_ok(false);
	cr_assert_eq(store_schema_version(s), store_schema_latest());
	struct store_outbox_list l = { 0 };
	struct store_outbox_filter f = { .call_ref = ref, .limit = 10 };
	cr_assert_eq(store_outbox_list(s, &f, &l, &err), HTD_OK, "%s",
	             err.message);
	cr_assert_eq(l.n, 4);
	/* Newest first, the same ids, states and fields. */
	cr_assert_eq(l.rows[0].id, 11);
	cr_assert_eq(l.rows[0].state, STORE_OUTBOX_FAILED);
	cr_assert_eq(l.rows[1].id, 9);
	cr_assert_eq(l.rows[1].state, STORE_OUTBOX_TASK_OPEN);
	cr_assert_eq(l.rows[2].id, 7);
	cr_assert_eq(l.rows[2].state, STORE_OUTBOX_DELIVERED);
	cr_assert_eq(l.rows[3].id, 3);
	cr_assert_eq(l.rows[3].state, STORE_OUTBOX_PENDING);
	cr_assert_eq(l.rows[3].attempts, 2);
	cr_assert_eq(l.rows[3].last_status, 503);
	cr_assert_str_eq(l.rows[3].last_error, "HTTP 503");
	store_outbox_list_free(&l);
	store_close(s);

	cr_assert_eq(raw_count("SELECT max(version) FROM schema_migrations"),
	             store_schema_latest());
	cr_assert_eq(raw_count("SELECT count(*) FROM sqlite_schema WHERE "
	                       "name IN ('outbox', 'outbox_due', "
	                       "'outbox_by_call', 'outbox_no_delete')"),
	             4);
	cr_assert_eq(raw_count("SELECT count(*) FROM sqlite_schema WHERE "
	                       "name = 'outbox_v7'"),
	             0);
	cr_assert_neq(raw_exec("DELETE FROM outbox"), SQLITE_OK,
	              "rows are still kept");
	cr_assert_eq(raw_exec("UPDATE outbox SET state = 'cancelled' WHERE "
	                      "id = 3"),
	             SQLITE_OK);
	cr_assert_neq(raw_exec("UPDATE outbox SET state = 'gone' WHERE id = 3"),
	              SQLITE_OK, "the CHECK is still there");
	/* A new row takes an id after the old ones. */
	raw_outbox_row(ref, 12, "pending");
	cr_assert_eq(raw_count("SELECT count(*) FROM outbox"), 5);
}

/* An append that withdraws rows: `cancel` ids, on call `ref` at `c`. */
static enum htd_err append_cancel(struct store *s, const char *ref,
                                  const int64_t *cancel, size_t n,
                                  struct htd_error *err)
{
	struct call c;
	call_init(&c);
	cr_assert_eq(store_call_get(s, ref, &c, err), HTD_OK);
	struct call_event e = { .type = CALL_EVENT_NOTICE_CANCELLED,
		                .at_ms = now + 5,
		                .actor = "system:notify" };
	e.u.notice.kind = "hotline_referral";
	e.u.notice.action = "refer_nhth";
	e.u.notice.target = "referrals";
	e.u.notice.key = "k";
	e.u.notice.detail = "refer_nhth no longer required";
	int64_t version = c.version;
	cr_assert_eq(call_apply(&c, &e, err), HTD_OK);
	char *payload = event_json_encode(&e);
	struct store_event se = { .seq = version + 1,
		                  .type = "notice_cancelled",
		                  .at_ms = e.at_ms,
		                  .actor = e.actor,
		                  .payload = payload };
	struct store_append a = { .call_ref = ref,
		                  .expected_version = version,
		                  .event = &se,
		                  .projection = &c,
		                  .cancel = cancel,
		                  .n_cancel = n };
	enum htd_err rc = store_append(s, &a, 1, err);
	free(payload);
	call_free(&c);
	return rc;
}

Test(store_sqlite, a_cancel_commits_with_its_event_or_not_at_all)
{
	char ref[CALL_REF_MAX];
	struct store *s = open_ok(true);
	struct htd_error err;
	open_call(s, ref);
	raw_outbox_row(ref, 1, "pending");
	raw_outbox_row(ref, 2, "task_open");
	raw_outbox_row(ref, 3, "delivered");
	int64_t version = 0;
	cr_assert_eq(store_call_version(s, ref, &version, &err), HTD_OK);

	/* A delivered row cannot be withdrawn: nothing at all is written. */
	int64_t both[2] = { 1, 3 };
	cr_assert_eq(append_cancel(s, ref, both, 2, &err), HTD_ERR_CONFLICT);
	cr_assert(strstr(err.message, "no longer pending"), "%s", err.message);
	int64_t v2 = 0;
	cr_assert_eq(store_call_version(s, ref, &v2, &err), HTD_OK);
	cr_assert_eq(v2, version, "the event was not written");
	cr_assert_eq(raw_count("SELECT count(*) FROM outbox WHERE state = "
	                       "'cancelled'"),
	             0, "nor the first row's cancel");

	/* Pending and task_open rows are, with their event. */
	int64_t ok[2] = { 1, 2 };
	cr_assert_eq(append_cancel(s, ref, ok, 2, &err), HTD_OK, "%s",
	             err.message);
	cr_assert_eq(store_call_version(s, ref, &v2, &err), HTD_OK);
	cr_assert_eq(v2, version + 1);
	cr_assert_eq(raw_count("SELECT count(*) FROM outbox WHERE state = "
	                       "'cancelled' AND updated_at_ms = (SELECT "
	                       "max(at_ms) FROM call_events)"),
	             2);
	cr_assert_eq(raw_count("SELECT count(*) FROM call_events WHERE type = "
	                       "'notice_cancelled'"),
	             1);
	/* Cancelled once: a second withdrawal conflicts, and a delivery
	 * finishing now cannot bring the row back. */
	cr_assert_eq(append_cancel(s, ref, ok, 1, &err), HTD_ERR_CONFLICT);
	struct store_outbox row = { .id = 1,
		                    .state = STORE_OUTBOX_DELIVERED,
		                    .updated_at_ms = now + 9,
		                    .delivered_at_ms = now + 9 };
	cr_assert_eq(
	    store_outbox_record(s, &row, STORE_OUTBOX_PENDING, NULL, 0, &err),
	    HTD_ERR_CONFLICT);
	cr_assert_eq(raw_count("SELECT count(*) FROM outbox WHERE id = 1 AND "
	                       "state = 'cancelled'"),
	             1);
	struct service svc = { .store = s, .clock = &fixed };
	cr_assert_eq(calls_verify(&svc, ref, &err), HTD_OK, "%s", err.message);
	store_close(s);
}
