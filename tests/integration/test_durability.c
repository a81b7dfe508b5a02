/*
 * test_durability.c - never lose a call: writers killed with SIGKILL at
 * random moments leave every acknowledged event in place and every call's
 * projection in agreement with its events; concurrent writers get unique,
 * gap-free call ids and lose no appends.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "service/calls.h"
#include "testutil.h"
#include "util/log.h"

static char dir[512];
static char db[600];

static void setup(void)
{
	snprintf(dir, sizeof(dir), "%s", tu_tmpdir());
	tu_path(db, sizeof(db), dir, "t.db");
	log_set_level(LOG_OFF);
	struct store *s;
	struct htd_error err;
	struct store_options o = { .path = db, .create = true };
	cr_assert_eq(store_open(&o, &s, &err), HTD_OK, "%s", err.message);
	store_close(s);
}

static void teardown(void)
{
	tu_rmtree(dir);
}

TestSuite(durability, .init = setup, .fini = teardown, .timeout = 300);

static struct store *open_store(void)
{
	struct store *s = NULL;
	struct htd_error err;
	struct store_options o = { .path = db, .busy_timeout_ms = 20000 };
	if (store_open(&o, &s, &err) != HTD_OK) {
		fprintf(stderr, "open: %s\n", err.message);
		return NULL;
	}
	return s;
}

/* Writes "REF VERSION\n" for each acknowledged change, then loops on. */
static void writer(int fd, unsigned seed)
{
	struct store *s = open_store();
	if (!s)
		_exit(2);
	struct service svc = { .store = s, .clock = clock_system() };
	struct call c;
	struct htd_error err;
	char line[64], note[300];
	call_init(&c);
	srand(seed);
	for (long i = 0;; i++) {
		enum htd_err rc;
		if (i % 5 == 0) {
			struct call_open_request req = { .location = "farm" };
			rc = calls_open(&svc, "crash", &req, &c, &err);
		} else if (i % 5 == 3) {
			rc = calls_record_answer(
			    &svc, "crash", c.ref, "free_to_leave",
			    i % 2 ? "no" : "yes", &c, &err);
		} else {
			snprintf(note, sizeof(note),
			         "note %ld: workers locked in at night, boss "
			         "holds passports; %d",
			         i, rand());
			rc = calls_add_note(&svc, "crash", c.ref, note, &c,
			                    &err);
		}
		if (rc != HTD_OK) {
			fprintf(stderr, "writer: %s\n", err.message);
			_exit(3);
		}
		int n = snprintf(line, sizeof(line), "%s %lld\n", c.ref,
		                 (long long)c.version);
		if (write(fd, line, (size_t)n) != n)
			_exit(4);
	}
}

struct acked {
	char ref[CALL_REF_MAX];
	long long version;
};

Test(durability, sigkill_mid_stream_loses_nothing_acknowledged)
{
	struct acked *acks = NULL;
	size_t n_acks = 0, cap = 0;
	const int rounds = 40;
	srand(12345);
	for (int round = 0; round < rounds; round++) {
		int p[2];
		cr_assert_eq(pipe(p), 0);
		pid_t pid = fork();
		cr_assert_neq(pid, -1);
		if (pid == 0) {
			close(p[0]);
			writer(p[1], (unsigned)round);
		}
		close(p[1]);
		/* Let it write for 5-60 ms, then kill it without warning. */
		struct timespec ts = { 0, (5 + rand() % 55) * 1000000L };
		nanosleep(&ts, NULL);
		kill(pid, SIGKILL);
		int status;
		waitpid(pid, &status, 0);
		cr_assert(WIFSIGNALED(status),
		          "writer ended on its own (status %d)", status);

		FILE *f = fdopen(p[0], "r");
		char line[128];
		while (fgets(line, sizeof(line), f)) {
			struct acked a;
			/* A line cut by the kill has no newline: not acked. */
			if (!strchr(line, '\n') ||
			    sscanf(line, "%31s %lld", a.ref, &a.version) != 2)
				continue;
			if (n_acks == cap) {
				cap = cap ? cap * 2 : 256;
				acks = realloc(acks, cap * sizeof(*acks));
				cr_assert_not_null(acks);
			}
			acks[n_acks++] = a;
		}
		fclose(f);
	}
	cr_assert_gt(n_acks, (size_t)rounds,
	             "writers acknowledged too little "
	             "to test anything");

	struct store *s = open_store();
	cr_assert_not_null(s);
	struct service svc = { .store = s, .clock = clock_system() };
	struct htd_error err;
	cr_assert_eq(store_integrity_check(s, &err), HTD_OK, "%s", err.message);
	long checked = 0;
	cr_assert_eq(calls_verify_all(&svc, &checked, &err), HTD_OK, "%s",
	             err.message);
	struct call c;
	call_init(&c);
	for (size_t i = 0; i < n_acks; i++) {
		cr_assert_eq(calls_get(&svc, acks[i].ref, &c, &err), HTD_OK,
		             "acknowledged call %s is missing: %s", acks[i].ref,
		             err.message);
		cr_assert_geq(c.version, acks[i].version,
		              "%s: event %lld was acknowledged, only %lld "
		              "stored",
		              acks[i].ref, acks[i].version,
		              (long long)c.version);
	}
	call_free(&c);
	store_close(s);
	free(acks);
	cr_log_info("%zu acknowledged changes over %d kills; %ld calls "
	            "verified",
	            n_acks, rounds, checked);
}

Test(durability, concurrent_writers_get_unique_gap_free_ids)
{
	enum { WRITERS = 4, EACH = 25 };
	int p[2];
	cr_assert_eq(pipe(p), 0);
	pid_t pids[WRITERS];
	for (int w = 0; w < WRITERS; w++) {
		pids[w] = fork();
		cr_assert_neq(pids[w], -1);
		if (pids[w] == 0) {
			close(p[0]);
			struct store *s = open_store();
			if (!s)
				_exit(2);
			struct service svc = { .store = s,
				               .clock = clock_system() };
			struct call c;
			struct htd_error err;
			call_init(&c);
			for (int i = 0; i < EACH; i++) {
				struct call_open_request req = { 0 };
				if (calls_open(&svc, "w", &req, &c, &err) !=
				    HTD_OK) {
					fprintf(stderr, "%s\n", err.message);
					_exit(3);
				}
				char line[40];
				int n =
				    snprintf(line, sizeof(line), "%s\n", c.ref);
				if (write(p[1], line, (size_t)n) != n)
					_exit(4);
			}
			call_free(&c);
			store_close(s);
			_exit(0);
		}
	}
	close(p[1]);
	for (int w = 0; w < WRITERS; w++) {
		int status;
		waitpid(pids[w], &status, 0);
		cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		          "writer %d failed", w);
	}
	bool seen[WRITERS * EACH + 1] = { false };
	FILE *f = fdopen(p[0], "r");
	char line[64];
	int n = 0;
	while (fgets(line, sizeof(line), f)) {
		int year;
		int64_t seq;
		line[strcspn(line, "\n")] = '\0';
		cr_assert(call_ref_parse(line, &year, &seq), "%s", line);
		cr_assert(seq >= 1 && seq <= WRITERS * EACH, "%s", line);
		cr_assert(!seen[seq], "id %s handed out twice", line);
		seen[seq] = true;
		n++;
	}
	fclose(f);
	cr_assert_eq(n, WRITERS * EACH, "every id from 1 to %d, once",
	             WRITERS * EACH);
}

Test(durability, concurrent_appends_to_one_call_are_all_kept)
{
	enum { WRITERS = 4, EACH = 20 };
	struct store *s = open_store();
	struct service svc = { .store = s, .clock = clock_system() };
	struct call c;
	struct htd_error err;
	call_init(&c);
	struct call_open_request req = { 0 };
	cr_assert_eq(calls_open(&svc, "w", &req, &c, &err), HTD_OK);
	char ref[CALL_REF_MAX];
	snprintf(ref, sizeof(ref), "%s", c.ref);
	store_close(s);

	pid_t pids[WRITERS];
	for (int w = 0; w < WRITERS; w++) {
		pids[w] = fork();
		if (pids[w] == 0) {
			struct store *cs = open_store();
			struct service csvc = { .store = cs,
				                .clock = clock_system() };
			struct call cc;
			call_init(&cc);
			for (int i = 0; i < EACH; i++) {
				char note[64];
				snprintf(note, sizeof(note),
				         "writer %d note %d", w, i);
				if (calls_add_note(&csvc, "w", ref, note, &cc,
				                   &err) != HTD_OK) {
					fprintf(stderr, "%s\n", err.message);
					_exit(3);
				}
			}
			call_free(&cc);
			store_close(cs);
			_exit(0);
		}
	}
	for (int w = 0; w < WRITERS; w++) {
		int status;
		waitpid(pids[w], &status, 0);
		cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		          "writer %d failed", w);
	}
	s = open_store();
	svc.store = s;
	cr_assert_eq(calls_get(&svc, ref, &c, &err), HTD_OK);
	cr_assert_eq(c.note_count, WRITERS * EACH);
	cr_assert_eq(c.version, 1 + WRITERS * EACH);
	cr_assert_eq(calls_verify(&svc, ref, &err), HTD_OK, "%s", err.message);
	call_free(&c);
	store_close(s);
}
