/*
 * store_append.c - durable event appends per second through store.h, next to
 * its anchor: raw SQLite inserts of the same rows in the same durability mode
 * (WAL, synchronous=FULL), in the same run, reported as a ratio.
 */
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "bench_util.h"
#include "core/call.h"
#include "formats/event_json.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/error.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/str.h"
#include "version.h"

/* The target: single appends at least this fraction of raw SQLite. */
#define TARGET_RATIO 0.8

#define NOTE_BYTES 200
#define ACTOR "user:bench"
#define ROUNDS_MAX 15
#define BENCH_NAME "store_append" /* the prefix of its messages */

struct config {
	int64_t singles; /* N: one append per store_append call */
	int64_t batched; /* M: appended B per store_append call */
	int64_t batch;   /* B */
	int64_t rounds;
	int64_t calls; /* appends go round-robin over this many calls */
	bool quick;
	const char *out; /* NULL: no JSON */
	const char *dir; /* parent of the temporary directory */
};

/* What both sides write: the same row for the same (call, seq). */
struct workload {
	char note[NOTE_BYTES + 1];
	char *payload; /* owned; the note_added payload */
	const char *type;
	int64_t at_ms; /* time of the next event */
};

/* Appends per second of each side, round by round, for one phase. */
struct sample {
	double store_rate[ROUNDS_MAX];
	double raw_rate[ROUNDS_MAX];
};

enum phase { PHASE_SINGLE, PHASE_BATCHED, PHASE__COUNT };

/* ---- small helpers ---------------------------------------------------- */

/* The median of the n (1..ROUNDS_MAX) rates of `v`, which it leaves be. */
static double median(const double *v, int64_t n)
{
	double sorted[ROUNDS_MAX];
	memcpy(sorted, v, (size_t)n * sizeof(*v));
	return bench_summarise(sorted, n).median;
}

static void print_store_error(const char *doing, const struct htd_error *err)
{
	char msg[HTD_ERROR_MESSAGE_MAX + HTD_ERROR_FILE_MAX + 32];
	fprintf(stderr, "store_append: %s: %s\n", doing,
	        htd_error_format(err, msg, sizeof(msg)));
}

static void print_sqlite_error(sqlite3 *db, const char *path, int rc,
                               const char *doing)
{
	fprintf(stderr, "store_append: %s: %s: %s\n", path, doing,
	        db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
}

/* Removes the files of `dir` (ours: databases, WAL, shm) and `dir`. */
static int remove_dir(const char *dir)
{
	char path[BENCH_PATH_MAX];
	int rc = 0;
	DIR *d = opendir(dir);
	if (!d) {
		fprintf(stderr, "store_append: cannot open %s: %s\n", dir,
		        strerror(errno));
		return -1;
	}
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		if (str_eq(de->d_name, ".") || str_eq(de->d_name, ".."))
			continue;
		if (!str_format(path, sizeof(path), "%s/%s", dir, de->d_name) ||
		    unlink(path) != 0) {
			fprintf(stderr, "store_append: cannot remove %s: %s\n",
			        path, strerror(errno));
			rc = -1;
		}
	}
	closedir(d);
	if (rmdir(dir) != 0) {
		fprintf(stderr, "store_append: cannot remove %s: %s\n", dir,
		        strerror(errno));
		rc = -1;
	}
	return rc;
}

/* Removes a database and its WAL and shared-memory files, if present. */
static int remove_database(const char *path)
{
	static const char *const suffixes[] = { "", "-wal", "-shm",
		                                "-journal" };
	char p[BENCH_PATH_MAX];
	int rc = 0;
	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		if (!str_format(p, sizeof(p), "%s%s", path, suffixes[i]))
			return -1;
		if (unlink(p) != 0 && errno != ENOENT) {
			fprintf(stderr, "store_append: cannot remove %s: %s\n",
			        p, strerror(errno));
			rc = -1;
		}
	}
	return rc;
}

/* Names the file system under `dir`: fsync cost depends on it. */
static const char *filesystem_name(const char *dir, char *buf, size_t size)
{
	static const struct {
		unsigned long magic;
		const char *name;
	} known[] = {
		{ 0xEF53, "ext2/3/4" },      { 0x58465342, "xfs" },
		{ 0x9123683E, "btrfs" },     { 0x01021994, "tmpfs" },
		{ 0x794C7630, "overlayfs" }, { 0x2FC12FC1, "zfs" },
		{ 0x6969, "nfs" },           { 0xF2F52010, "f2fs" },
		{ 0x65735546, "fuse" },      { 0x5346544E, "ntfs" },
		{ 0x01021997, "9p (v9fs)" },
	};
	struct statfs sf;
	if (statfs(dir, &sf) != 0)
		return "unknown";
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if ((unsigned long)sf.f_type == known[i].magic)
			return known[i].name;
	str_format(buf, size, "unknown (0x%lx)", (unsigned long)sf.f_type);
	return buf;
}

/* ---- the workload ----------------------------------------------------- */

static int workload_init(struct workload *w)
{
	static const char words[] =
	    "Caller reports two women kept in the back room of the nail "
	    "salon on Elm Street; the manager holds their passports and "
	    "they sleep on site. ";
	size_t len = sizeof(words) - 1;
	for (size_t i = 0; i < NOTE_BYTES; i++)
		w->note[i] = words[i % len];
	w->note[NOTE_BYTES - 1] = '.'; /* no trailing blank: as trimmed */
	w->note[NOTE_BYTES] = '\0';

	struct call_event e;
	memset(&e, 0, sizeof(e));
	e.type = CALL_EVENT_NOTE_ADDED;
	e.actor = ACTOR;
	e.u.note.text = w->note;
	w->at_ms = clock_now_ms(clock_system());
	e.at_ms = w->at_ms;
	struct htd_error err;
	if (call_event_validate(&e, &err) != HTD_OK) {
		print_store_error("building the note", &err);
		return -1;
	}
	w->payload = event_json_encode(&e);
	w->type = call_event_type_name(CALL_EVENT_NOTE_ADDED);
	return 0;
}

/* ---- store.h side ----------------------------------------------------- */

struct store_side {
	struct store *store;
	struct call *calls; /* owned; the projections, calls[i].ref set */
	int64_t n_calls;
	struct store_append *items; /* owned; room for one batch */
	struct store_event *events; /* owned; room for one batch */
};

/* Opens a new store at `path` and opens `n_calls` calls in it, the way
 * service/calls.c does: apply, encode, store_call_create. */
static int store_side_open(struct store_side *s, const char *path,
                           const struct config *cfg, struct workload *w)
{
	struct htd_error err;
	struct store_options opts = { .path = path, .create = true };
	enum htd_err rc = store_open(&opts, &s->store, &err);
	if (rc != HTD_OK) {
		print_store_error("opening the store", &err);
		return -1;
	}
	s->n_calls = cfg->calls;
	s->calls = xcalloc((size_t)cfg->calls, sizeof(*s->calls));
	s->items = xcalloc((size_t)cfg->batch, sizeof(*s->items));
	s->events = xcalloc((size_t)cfg->batch, sizeof(*s->events));
	for (int64_t i = 0; i < cfg->calls; i++)
		call_init(&s->calls[i]);

	for (int64_t i = 0; i < cfg->calls; i++) {
		struct call *c = &s->calls[i];
		struct call_event e;
		memset(&e, 0, sizeof(e));
		e.type = CALL_EVENT_OPENED;
		e.at_ms = w->at_ms;
		e.actor = ACTOR;
		e.u.opened.channel = CALL_CHANNEL_VOICE;
		e.u.opened.language = "es-MX";
		e.u.opened.location_text = "1200 Elm Street, rear entrance";
		e.u.opened.callback_number = "+1 312 555 0142";
		e.u.opened.caller_name = "";
		rc = call_event_validate(&e, &err);
		if (rc == HTD_OK)
			rc = call_apply(c, &e, &err);
		if (rc != HTD_OK) {
			print_store_error("building a call", &err);
			return -1;
		}
		char *payload = event_json_encode(&e);
		struct store_event se = {
			.seq = 1,
			.type = call_event_type_name(e.type),
			.at_ms = e.at_ms,
			.actor = ACTOR,
			.payload = payload,
		};
		char ref[CALL_REF_MAX];
		int year = time_local_year(e.at_ms);
		rc = store_call_create(s->store, year > 0 ? year : 2026, c, &se,
		                       1, NULL, NULL, NULL, ref, &err);
		free(payload);
		if (rc != HTD_OK) {
			print_store_error("opening a call", &err);
			return -1;
		}
		str_copy(c->ref, sizeof(c->ref), ref);
	}
	return 0;
}

static void store_side_close(struct store_side *s)
{
	if (s->calls)
		for (int64_t i = 0; i < s->n_calls; i++)
			call_free(&s->calls[i]);
	free(s->calls);
	free(s->items);
	free(s->events);
	store_close(s->store);
	memset(s, 0, sizeof(*s));
}

/*
 * Appends `count` note_added events, `batch` per store_append call, going
 * round-robin over the calls; *seconds gets the time taken. Each item is
 * built as service/calls.c builds it: apply the event to the projection,
 * append with the version it was computed from.
 */
static int store_side_run(struct store_side *s, struct workload *w,
                          int64_t count, int64_t batch, int64_t *next_call,
                          double *seconds)
{
	struct htd_error err;
	struct call_event e;
	memset(&e, 0, sizeof(e));
	e.type = CALL_EVENT_NOTE_ADDED;
	e.actor = ACTOR;
	e.u.note.text = w->note;

	double start = bench_now();
	for (int64_t done = 0; done < count;) {
		int64_t n = count - done < batch ? count - done : batch;
		for (int64_t j = 0; j < n; j++) {
			struct call *c = &s->calls[*next_call];
			*next_call = (*next_call + 1) % s->n_calls;
			int64_t version = c->version;
			e.at_ms = w->at_ms++;
			enum htd_err rc = call_apply(c, &e, &err);
			if (rc != HTD_OK) {
				print_store_error("applying a note", &err);
				return -1;
			}
			s->events[j] = (struct store_event){
				.seq = version + 1,
				.type = w->type,
				.at_ms = e.at_ms,
				.actor = ACTOR,
				.payload = w->payload,
			};
			s->items[j] = (struct store_append){
				.call_ref = c->ref,
				.expected_version = version,
				.event = &s->events[j],
				.projection = c,
			};
		}
		enum htd_err rc =
		    store_append(s->store, s->items, (size_t)n, &err);
		if (rc != HTD_OK) {
			print_store_error("appending", &err);
			return -1;
		}
		done += n;
	}
	*seconds = bench_now() - start;
	return 0;
}

/* ---- raw SQLite side (the anchor) ------------------------------------- */

struct raw_side {
	sqlite3 *db;
	const char *path;
	sqlite3_stmt *begin, *commit, *insert;
	int64_t *next_seq; /* owned; per call, as the store numbers them */
	int64_t n_calls;
};

/* Runs one-row `sql` and checks that its first column reads `want`. */
static int raw_pragma(struct raw_side *r, const char *sql, const char *want)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(r->db, sql, -1, &st, NULL);
	if (rc == SQLITE_OK) {
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			const char *got =
			    (const char *)sqlite3_column_text(st, 0);
			if (!str_eq(got, want)) {
				fprintf(stderr,
				        "store_append: %s: %s gave '%s', "
				        "not '%s'\n",
				        r->path, sql, got ? got : "", want);
				sqlite3_finalize(st);
				return -1;
			}
			rc = SQLITE_OK;
		}
	}
	if (rc != SQLITE_OK)
		print_sqlite_error(r->db, r->path, rc, sql);
	sqlite3_finalize(st);
	return rc == SQLITE_OK ? 0 : -1;
}

/*
 * Opens a new database with the store's durability mode and a table of
 * call_events' columns: the simplest thing a user would write instead.
 */
static int raw_side_open(struct raw_side *r, const char *path,
                         const struct config *cfg)
{
	static const char table[] = "CREATE TABLE events (\n"
	                            "  id INTEGER PRIMARY KEY,\n"
	                            "  call_id INTEGER NOT NULL,\n"
	                            "  seq INTEGER NOT NULL,\n"
	                            "  type TEXT NOT NULL,\n"
	                            "  at_ms INTEGER NOT NULL,\n"
	                            "  actor TEXT NOT NULL,\n"
	                            "  payload TEXT NOT NULL\n"
	                            ")";
	r->path = path;
	int rc = sqlite3_open_v2(path, &r->db,
	                         SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
	                             SQLITE_OPEN_NOMUTEX,
	                         NULL);
	if (rc != SQLITE_OK) {
		print_sqlite_error(r->db, path, rc, "opening");
		return -1;
	}
	if (raw_pragma(r, "PRAGMA journal_mode = WAL", "wal") != 0)
		return -1;
	rc = sqlite3_exec(r->db, "PRAGMA synchronous = FULL", NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		print_sqlite_error(r->db, path, rc, "PRAGMA synchronous");
		return -1;
	}
	if (raw_pragma(r, "PRAGMA synchronous", "2") != 0)
		return -1;
	rc = sqlite3_exec(r->db, table, NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		print_sqlite_error(r->db, path, rc, "creating the table");
		return -1;
	}
	const struct {
		sqlite3_stmt **st;
		const char *sql;
	} stmts[] = {
		{ &r->begin, "BEGIN IMMEDIATE" },
		{ &r->commit, "COMMIT" },
		{ &r->insert, "INSERT INTO events (call_id, seq, type, at_ms, "
		              "actor, payload) VALUES (?1, ?2, ?3, ?4, ?5, "
		              "?6)" },
	};
	for (size_t i = 0; i < sizeof(stmts) / sizeof(stmts[0]); i++) {
		rc = sqlite3_prepare_v3(r->db, stmts[i].sql, -1,
		                        SQLITE_PREPARE_PERSISTENT, stmts[i].st,
		                        NULL);
		if (rc != SQLITE_OK) {
			print_sqlite_error(r->db, path, rc, stmts[i].sql);
			return -1;
		}
	}
	r->n_calls = cfg->calls;
	r->next_seq = xcalloc((size_t)cfg->calls, sizeof(*r->next_seq));
	for (int64_t i = 0; i < cfg->calls; i++)
		r->next_seq[i] = 2; /* 1 is the call's opened event */
	return 0;
}

static void raw_side_close(struct raw_side *r)
{
	sqlite3_finalize(r->begin);
	sqlite3_finalize(r->commit);
	sqlite3_finalize(r->insert);
	if (r->db && sqlite3_close(r->db) != SQLITE_OK)
		print_sqlite_error(r->db, r->path, SQLITE_BUSY, "closing");
	free(r->next_seq);
	memset(r, 0, sizeof(*r));
}

/* Runs a statement that returns no rows; returns the SQLite code. */
static int raw_step(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* Inserts `count` rows like the store's, `batch` per transaction. */
static int raw_side_run(struct raw_side *r, struct workload *w, int64_t count,
                        int64_t batch, int64_t *next_call, double *seconds)
{
	double start = bench_now();
	for (int64_t done = 0; done < count;) {
		int64_t n = count - done < batch ? count - done : batch;
		int rc = raw_step(r->begin);
		if (rc != SQLITE_OK) {
			print_sqlite_error(r->db, r->path, rc, "BEGIN");
			return -1;
		}
		for (int64_t j = 0; j < n; j++) {
			int64_t call = *next_call;
			*next_call = (*next_call + 1) % r->n_calls;
			sqlite3_stmt *st = r->insert;
			sqlite3_bind_int64(st, 1, call + 1);
			sqlite3_bind_int64(st, 2, r->next_seq[call]++);
			sqlite3_bind_text(st, 3, w->type, -1, SQLITE_STATIC);
			sqlite3_bind_int64(st, 4, w->at_ms++);
			sqlite3_bind_text(st, 5, ACTOR, -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 6, w->payload, -1, SQLITE_STATIC);
			rc = raw_step(st);
			if (rc != SQLITE_OK) {
				print_sqlite_error(r->db, r->path, rc,
				                   "INSERT");
				return -1;
			}
		}
		rc = raw_step(r->commit);
		if (rc != SQLITE_OK) {
			print_sqlite_error(r->db, r->path, rc, "COMMIT");
			return -1;
		}
		done += n;
	}
	*seconds = bench_now() - start;
	return 0;
}

/* ---- one round -------------------------------------------------------- */

/* Each phase is cut into this many slices that alternate between the sides
 * (ABBA...), so a change of disk speed during the run hits both alike: on a
 * shared machine fsync latency drifts by 10x within seconds. */
#define SLICES 50

/*
 * Runs both sides on fresh databases in `dir`: single appends, then
 * batched. Within a phase the sides take turns slice by slice, in the
 * order store, raw, raw, store, ... in even rounds and the mirror image in
 * odd ones; each side's rate is its appends over the sum of its slices.
 */
static int run_round(const struct config *cfg, const char *dir, int64_t round,
                     struct workload *w, struct sample samples[PHASE__COUNT])
{
	char store_path[BENCH_PATH_MAX], raw_path[BENCH_PATH_MAX];
	struct store_side s;
	struct raw_side r;
	int64_t store_next = 0, raw_next = 0;
	int rc = -1;

	memset(&s, 0, sizeof(s));
	memset(&r, 0, sizeof(r));
	if (!str_format(store_path, sizeof(store_path), "%s/store-%lld.db", dir,
	                (long long)round) ||
	    !str_format(raw_path, sizeof(raw_path), "%s/raw-%lld.db", dir,
	                (long long)round)) {
		fprintf(stderr, "store_append: %s: path too long\n", dir);
		return -1;
	}
	if (store_side_open(&s, store_path, cfg, w) != 0 ||
	    raw_side_open(&r, raw_path, cfg) != 0)
		goto out;

	for (int p = 0; p < PHASE__COUNT; p++) {
		int64_t count = p == PHASE_SINGLE ? cfg->singles : cfg->batched;
		int64_t batch = p == PHASE_SINGLE ? 1 : cfg->batch;
		double store_total = 0, raw_total = 0;
		for (int64_t i = 0; i < SLICES; i++) {
			/* Whole batches per slice; the last takes the rest. */
			int64_t per = count / SLICES / batch * batch;
			int64_t n =
			    i + 1 < SLICES ? per : count - per * (SLICES - 1);
			for (int k = 0; k < 2; k++) {
				bool store_turn = ((k + i + round) % 2) == 0;
				double t = 0;
				int ok = store_turn
				             ? store_side_run(&s, w, n, batch,
				                              &store_next, &t)
				             : raw_side_run(&r, w, n, batch,
				                            &raw_next, &t);
				if (ok != 0)
					goto out;
				if (store_turn)
					store_total += t;
				else
					raw_total += t;
			}
		}
		samples[p].store_rate[round] = (double)count / store_total;
		samples[p].raw_rate[round] = (double)count / raw_total;
	}
	rc = 0;
out:
	store_side_close(&s);
	raw_side_close(&r);
	if (remove_database(store_path) != 0 || remove_database(raw_path) != 0)
		rc = -1;
	return rc;
}

/* ---- report ----------------------------------------------------------- */

/* Rates are medians over rounds. A ratio is the median of the rounds'
 * ratios: both sides of a round ran interleaved, under the same disk. */
struct summary {
	double store[PHASE__COUNT]; /* appends per second */
	double raw[PHASE__COUNT];
	double ratios[PHASE__COUNT][ROUNDS_MAX];
	double ratio[PHASE__COUNT];
	bool met;
};

static json_t *rates_json(const double *rates, int64_t n)
{
	json_t *a = json_array();
	for (int64_t i = 0; i < n; i++)
		json_array_append_new(a, json_real(rates[i]));
	return a;
}

/* {"median": m, "rounds": [...]} */
static json_t *median_json(double m, const double *rounds, int64_t n)
{
	json_t *o = json_object();
	json_object_set_new(o, "median", json_real(m));
	json_object_set_new(o, "rounds", rates_json(rounds, n));
	return o;
}

static json_t *phase_json(const struct config *cfg, const struct sample *sm,
                          const struct summary *sum, int p)
{
	int64_t n = p == PHASE_SINGLE ? cfg->singles : cfg->batched;
	int64_t per_tx = p == PHASE_SINGLE ? 1 : cfg->batch;
	json_t *o = json_object();
	json_object_set_new(o, "appends", json_integer(n));
	json_object_set_new(o, "per_transaction", json_integer(per_tx));
	json_object_set_new(
	    o, "store_per_second",
	    median_json(sum->store[p], sm->store_rate, cfg->rounds));
	json_object_set_new(
	    o, "raw_per_second",
	    median_json(sum->raw[p], sm->raw_rate, cfg->rounds));
	json_object_set_new(
	    o, "ratio",
	    median_json(sum->ratio[p], sum->ratios[p], cfg->rounds));
	return o;
}

static int write_json(const struct config *cfg, const char *dir,
                      const struct workload *w,
                      const struct sample samples[PHASE__COUNT],
                      const struct summary *sum)
{
	char fs[64];

	json_t *databases = json_object();
	json_object_set_new(databases, "dir", json_string(dir));
	json_object_set_new(databases, "filesystem",
	                    json_string(filesystem_name(dir, fs, sizeof(fs))));

	json_t *params = json_object();
	json_object_set_new(params, "single_appends",
	                    json_integer(cfg->singles));
	json_object_set_new(params, "batched_appends",
	                    json_integer(cfg->batched));
	json_object_set_new(params, "batch_size", json_integer(cfg->batch));
	json_object_set_new(params, "rounds", json_integer(cfg->rounds));
	json_object_set_new(params, "slices_per_phase", json_integer(SLICES));
	json_object_set_new(params, "calls", json_integer(cfg->calls));
	json_object_set_new(params, "note_bytes", json_integer(NOTE_BYTES));
	json_object_set_new(params, "payload_bytes",
	                    json_integer((json_int_t)strlen(w->payload)));
	json_object_set_new(params, "quick", json_boolean(cfg->quick));

	json_t *target = json_object();
	json_object_set_new(target, "single_ratio_min",
	                    json_real(TARGET_RATIO));
	json_object_set_new(target, "met", json_boolean(sum->met));

	json_t *root = bench_results_new("store_append");
	json_object_set_new(root, "sqlite_version",
	                    json_string(sqlite3_libversion()));
	json_object_set_new(root, "durability",
	                    json_string("journal_mode=WAL, synchronous=FULL"));
	json_object_set_new(root, "anchor",
	                    json_string("raw SQLite: a rowid table of "
	                                "call_events' columns, no other "
	                                "index, one prepared INSERT"));
	json_object_set_new(root, "databases", databases);
	json_object_set_new(root, "params", params);
	json_object_set_new(
	    root, "single",
	    phase_json(cfg, &samples[PHASE_SINGLE], sum, PHASE_SINGLE));
	json_object_set_new(
	    root, "batched",
	    phase_json(cfg, &samples[PHASE_BATCHED], sum, PHASE_BATCHED));
	json_object_set_new(root, "target", target);
	int rc = bench_write_json(BENCH_NAME, root, cfg->out);
	json_decref(root);
	return rc;
}

static void print_table(const struct config *cfg, const char *dir,
                        const struct workload *w,
                        const struct sample samples[PHASE__COUNT],
                        const struct summary *sum)
{
	char fs[64];
	printf("store_append: durable event appends, store.h vs raw SQLite "
	       "(WAL, synchronous=FULL)\n");
	printf("  sqlite %s, %s on %s, %lld calls, %zu-byte payload, "
	       "%lld round%s%s\n",
	       sqlite3_libversion(), dir, filesystem_name(dir, fs, sizeof(fs)),
	       (long long)cfg->calls, strlen(w->payload),
	       (long long)cfg->rounds, cfg->rounds == 1 ? "" : "s",
	       cfg->quick ? " (--quick: a smoke run, not a measurement)" : "");
	printf("\n  %-22s %14s %14s %8s\n", "appends/s, median", "store.h",
	       "raw SQLite", "ratio");
	for (int p = 0; p < PHASE__COUNT; p++) {
		char label[48];
		if (p == PHASE_SINGLE)
			str_format(label, sizeof(label), "single x%lld",
			           (long long)cfg->singles);
		else
			str_format(label, sizeof(label), "batch %lld x%lld",
			           (long long)cfg->batch,
			           (long long)cfg->batched);
		printf("  %-22s %14.0f %14.0f %8.3f\n", label, sum->store[p],
		       sum->raw[p], sum->ratio[p]);
	}
	printf("\n  per round, store / raw = ratio:\n");
	for (int64_t i = 0; i < cfg->rounds; i++)
		printf("    %lld (%s first)  single %.0f / %.0f = %.3f, "
		       "batched %.0f / %.0f = %.3f\n",
		       (long long)i + 1, i % 2 == 0 ? "store" : "raw",
		       samples[PHASE_SINGLE].store_rate[i],
		       samples[PHASE_SINGLE].raw_rate[i],
		       sum->ratios[PHASE_SINGLE][i],
		       samples[PHASE_BATCHED].store_rate[i],
		       samples[PHASE_BATCHED].raw_rate[i],
		       sum->ratios[PHASE_BATCHED][i]);
	printf("\n  target: single ratio >= %.2f: %s (%.3f)\n", TARGET_RATIO,
	       sum->met ? "met" : "MISSED", sum->ratio[PHASE_SINGLE]);
}

/* ---- main ------------------------------------------------------------- */

static void usage(FILE *f)
{
	fprintf(
	    f,
	    "usage: bench_store_append [--quick] [--out PATH] [--dir DIR]\n"
	    "                          [--single N] [--batched M] "
	    "[--batch B] [--rounds R]\n"
	    "  --quick      small sizes for a smoke run\n"
	    "  --out PATH   where to write the JSON (default "
	    "%s/store_append.json,\n"
	    "               and none with --quick or other sizes)\n"
	    "  --dir DIR    put the databases in a new directory under DIR\n"
	    "               (default $TMPDIR or /tmp); fsync cost depends "
	    "on it\n"
	    "  --single N   single appends per side per round\n"
	    "  --batched M  batched appends per side per round\n"
	    "  --batch B    appends per transaction in the batched case\n"
	    "  --rounds R   rounds, alternating which side goes first "
	    "(1..%d)\n",
	    HTD_BENCH_RESULTS, ROUNDS_MAX);
}

static int parse_args(int argc, char **argv, struct config *cfg)
{
	bool quick = false;
	int64_t singles = -1, batched = -1, batch = -1, rounds = -1;
	const struct bench_option options[] = {
		BENCH_OPTIONS_COMMON(&quick, &cfg->out, &cfg->dir),
		{ "--single", BENCH_OPTION_INT, &singles, 1, 10000000 },
		{ "--batched", BENCH_OPTION_INT, &batched, 1, 100000000 },
		{ "--batch", BENCH_OPTION_INT, &batch, 1, 10000 },
		{ "--rounds", BENCH_OPTION_INT, &rounds, 1, ROUNDS_MAX },
	};
	if (bench_parse_options(BENCH_NAME, argc, argv, options,
	                        BENCH_COUNT(options), usage) != 0)
		return -1;
	cfg->quick = quick;
	cfg->singles = singles > 0 ? singles : quick ? 100 : 10000;
	cfg->batched = batched > 0 ? batched : quick ? 1000 : 100000;
	cfg->batch = batch > 0 ? batch : 32;
	cfg->rounds = rounds > 0 ? rounds : 3;
	/* A batch touches distinct calls, each with its own projection. */
	cfg->calls = cfg->batch > 64 ? cfg->batch : 64;
	/* Only a run at the standard sizes replaces the recorded result. */
	bool standard =
	    !quick && singles < 0 && batched < 0 && batch < 0 && rounds < 0;
	if (!cfg->out && standard)
		cfg->out = HTD_BENCH_RESULTS "/store_append.json";
	return 0;
}

int main(int argc, char **argv)
{
	struct config cfg;
	struct workload w;
	struct sample samples[PHASE__COUNT];
	struct summary sum;
	char dir[BENCH_PATH_MAX];
	int rc = 1;

	memset(&cfg, 0, sizeof(cfg));
	memset(&w, 0, sizeof(w));
	memset(samples, 0, sizeof(samples));
	memset(&sum, 0, sizeof(sum));
	if (parse_args(argc, argv, &cfg) != 0)
		return 2;
	if (cfg.out && bench_check_out_dir(BENCH_NAME, cfg.out) != 0)
		return 1;
	log_set_level(LOG_WARN); /* no "schema_migrated" per round */

	const char *parent = cfg.dir;
	if (!parent)
		parent =
		    !str_empty(getenv("TMPDIR")) ? getenv("TMPDIR") : "/tmp";
	if (!str_format(dir, sizeof(dir), "%s/htd-bench-XXXXXX", parent)) {
		fprintf(stderr, "store_append: %s: path too long\n", parent);
		return 1;
	}
	if (!mkdtemp(dir)) {
		fprintf(stderr,
		        "store_append: cannot create a directory in "
		        "%s: %s\n",
		        parent, strerror(errno));
		return 1;
	}
	if (workload_init(&w) != 0)
		goto out;

	for (int64_t r = 0; r < cfg.rounds; r++) {
		if (run_round(&cfg, dir, r, &w, samples) != 0)
			goto out;
	}
	for (int p = 0; p < PHASE__COUNT; p++) {
		sum.store[p] = median(samples[p].store_rate, cfg.rounds);
		sum.raw[p] = median(samples[p].raw_rate, cfg.rounds);
		for (int64_t r = 0; r < cfg.rounds; r++)
			sum.ratios[p][r] =
			    samples[p].store_rate[r] / samples[p].raw_rate[r];
		sum.ratio[p] = median(sum.ratios[p], cfg.rounds);
	}
	sum.met = sum.ratio[PHASE_SINGLE] >= TARGET_RATIO;

	print_table(&cfg, dir, &w, samples, &sum);
	if (cfg.out && write_json(&cfg, dir, &w, samples, &sum) != 0)
		goto out;
	rc = 0;
out:
	if (remove_dir(dir) != 0)
		rc = 1;
	free(w.payload);
	return rc;
}
