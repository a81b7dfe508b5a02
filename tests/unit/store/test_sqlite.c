/*
 * test_sqlite.c - the SQLite back-end of store.h: opening (new, missing,
 * not a database, another program's, newer schema, corrupt), durability
 * settings, append-only events, optimistic concurrency, all-or-nothing
 * batches, listing and paging, lock timeouts.
 */
#include <criterion/criterion.h>
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
	cr_assert_eq(raw_count("SELECT count(*) FROM schema_migrations"),
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
	cr_assert_eq(raw_count("SELECT count(*) FROM schema_migrations"),
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
	struct store_append a1 = { ref, 1, &e1, &c1 };
	struct store_append a2 = { ref, 1, &e2, &c2 };
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
	struct store_append items[2] = { { ref, 1, &e1, &c1 },
		                         { "HT-2026-999999", 1, &e2, &c2 } };
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
