/*
 * test_audit_writer.c - the group commit of audit entries: every entry
 * submitted, from many threads at once, is written exactly once and
 * reported durable exactly once; entries share transactions; stopping
 * writes what is queued; an entry that cannot be written is reported as
 * such (and the face then withholds the data); a service with an
 * audit_async hands its reads to the writer instead of writing them.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "service/audit.h"
#include "service/audit_writer.h"
#include "service/calls.h"
#include "testutil.h"

#define THREADS 8
#define PER_THREAD 500

static char dir[512];
static char db[600];

static void setup(void)
{
	snprintf(dir, sizeof(dir), "%s", tu_tmpdir());
	tu_path(db, sizeof(db), dir, "t.db");
	struct store_options o = { .path = db, .create = true };
	struct store *s;
	struct htd_error err;
	cr_assert_eq(store_open(&o, &s, &err), HTD_OK, "%s", err.message);
	store_close(s);
}

static void teardown(void)
{
	tu_rmtree(dir);
}

TestSuite(service_audit_writer, .init = setup, .fini = teardown);

static struct store *open_store(void)
{
	struct store_options o = { .path = db };
	struct store *s;
	struct htd_error err;
	cr_assert_eq(store_open(&o, &s, &err), HTD_OK, "%s", err.message);
	return s;
}

static int64_t query(const char *sql)
{
	sqlite3 *h;
	sqlite3_stmt *st;
	int64_t v = -1;
	cr_assert_eq(sqlite3_open(db, &h), SQLITE_OK);
	cr_assert_eq(sqlite3_prepare_v2(h, sql, -1, &st, NULL), SQLITE_OK, "%s",
	             sqlite3_errmsg(h));
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(h);
	return v;
}

struct tally {
	atomic_int ok;
	atomic_int failed;
	atomic_int per_entry[THREADS * PER_THREAD];
};

static struct tally tally;

struct done_ctx {
	int index;
};

static struct done_ctx ctxs[THREADS * PER_THREAD];

static void on_done(void *ctx, enum htd_err rc)
{
	struct done_ctx *d = ctx;
	atomic_fetch_add(&tally.per_entry[d->index], 1);
	if (rc == HTD_OK)
		atomic_fetch_add(&tally.ok, 1);
	else
		atomic_fetch_add(&tally.failed, 1);
}

struct worker_arg {
	struct audit_writer *w;
	int thread;
};

static void *submitter(void *varg)
{
	struct worker_arg *a = varg;
	for (int i = 0; i < PER_THREAD; i++) {
		int index = a->thread * PER_THREAD + i;
		char object[64], detail[32];
		snprintf(object, sizeof(object), "call:HT-2026-%06d", index);
		snprintf(detail, sizeof(detail), "n=%d", index);
		struct store_audit e = {
			.at_ms = 1000 + index,
			.actor = "user:ana",
			.action = "call.read",
			.object = object,
			.address = "192.0.2.1",
			.outcome = "ok",
			.detail = detail,
		};
		ctxs[index].index = index;
		audit_writer_submit(a->w, &e, on_done, &ctxs[index]);
	}
	return NULL;
}

Test(service_audit_writer, every_entry_once_from_many_threads)
{
	struct audit_writer *w;
	struct htd_error err;
	memset(&tally, 0, sizeof(tally));
	cr_assert_eq(audit_writer_start(open_store(), &w, &err), HTD_OK);
	pthread_t t[THREADS];
	struct worker_arg args[THREADS];
	for (int i = 0; i < THREADS; i++) {
		args[i] = (struct worker_arg){ w, i };
		pthread_create(&t[i], NULL, submitter, &args[i]);
	}
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	unsigned long long commits, entries;
	audit_writer_stop(w); /* writes what is queued */
	cr_assert_eq(atomic_load(&tally.ok), THREADS * PER_THREAD);
	cr_assert_eq(atomic_load(&tally.failed), 0);
	for (int i = 0; i < THREADS * PER_THREAD; i++)
		cr_assert_eq(atomic_load(&tally.per_entry[i]), 1,
		             "entry %d reported %d times", i,
		             atomic_load(&tally.per_entry[i]));
	cr_assert_eq(query("SELECT count(*) FROM audit"), THREADS * PER_THREAD);
	cr_assert_eq(query("SELECT count(DISTINCT detail) FROM audit"),
	             THREADS * PER_THREAD, "no entry twice");
	cr_assert_eq(query("SELECT count(*) FROM audit WHERE object = "
	                   "'call:HT-2026-003999' AND detail = 'n=3999' AND "
	                   "at_ms = 4999 AND address = '192.0.2.1'"),
	             1, "texts and times copied as given");
	(void)commits;
	(void)entries;
}

Test(service_audit_writer, entries_share_commits)
{
	struct audit_writer *w;
	struct htd_error err;
	memset(&tally, 0, sizeof(tally));
	cr_assert_eq(audit_writer_start(open_store(), &w, &err), HTD_OK);
	pthread_t t[THREADS];
	struct worker_arg args[THREADS];
	for (int i = 0; i < THREADS; i++) {
		args[i] = (struct worker_arg){ w, i };
		pthread_create(&t[i], NULL, submitter, &args[i]);
	}
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	/* Wait for all to be durable, then read the counts. */
	for (int i = 0;
	     i < 10000 && atomic_load(&tally.ok) < THREADS * PER_THREAD; i++) {
		struct timespec ts = { 0, 1000000 };
		nanosleep(&ts, NULL);
	}
	unsigned long long commits, entries;
	audit_writer_counts(w, &commits, &entries);
	audit_writer_stop(w);
	cr_assert_eq(entries, THREADS * PER_THREAD);
	cr_assert_lt(commits, entries,
	             "%llu commits for %llu entries: none shared", commits,
	             entries);
}

Test(service_audit_writer, an_entry_that_cannot_be_written_is_reported)
{
	struct audit_writer *w;
	struct htd_error err;
	memset(&tally, 0, sizeof(tally));
	/* The audit table refuses writes (a damaged or read-only log). */
	sqlite3 *h;
	cr_assert_eq(sqlite3_open(db, &h), SQLITE_OK);
	cr_assert_eq(sqlite3_exec(h,
	                          "CREATE TRIGGER no_more BEFORE INSERT ON "
	                          "audit BEGIN SELECT RAISE(ABORT, 'no'); "
	                          "END;",
	                          NULL, NULL, NULL),
	             SQLITE_OK, "%s", sqlite3_errmsg(h));
	sqlite3_close(h);
	cr_assert_eq(audit_writer_start(open_store(), &w, &err), HTD_OK);
	struct worker_arg a = { w, 0 };
	submitter(&a);
	audit_writer_stop(w);
	cr_assert_eq(atomic_load(&tally.ok), 0);
	cr_assert_eq(atomic_load(&tally.failed), PER_THREAD);
	cr_assert_eq(query("SELECT count(*) FROM audit"), 0);
}

static atomic_int async_done;

static void count_done(void *ctx, enum htd_err rc)
{
	(void)ctx;
	if (rc == HTD_OK)
		atomic_fetch_add(&async_done, 1);
}

Test(service_audit_writer, a_service_hands_its_reads_to_the_writer)
{
	struct audit_writer *w;
	struct htd_error err;
	struct store *s = open_store();
	cr_assert_eq(audit_writer_start(open_store(), &w, &err), HTD_OK);
	struct audit_async as = { .writer = w, .done = count_done };
	struct service svc = { .store = s,
		               .address = "192.0.2.9",
		               .actor = "user:bo",
		               .audit_async = &as };
	struct call c;
	call_init(&c);
	/* A read of a call that does not exist: audited all the same. */
	cr_assert_eq(calls_get(&svc, "HT-2026-000042", &c, &err),
	             HTD_ERR_NOT_FOUND);
	cr_assert_eq(as.submitted, 1, "the entry went to the writer");
	audit_writer_stop(w);
	cr_assert_eq(atomic_load(&async_done), 1);
	cr_assert_eq(query("SELECT count(*) FROM audit WHERE actor = "
	                   "'user:bo' AND object = 'call:HT-2026-000042' AND "
	                   "outcome = 'not_found'"),
	             1);
	call_free(&c);
	store_close(s);
}
