/*
 * records_anchors.h - the anchors of the records speed benchmark
 * (bench/records_search.c): what an agency would otherwise use to find a
 * person by a misspelt name. SQLite FTS5 with its trigram tokenizer (the
 * query's trigrams OR-ed, ranked by bm25) and PostgreSQL pg_trgm (a GiST
 * trigram index, nearest by the <-> distance), each loaded with the same
 * people and asked the same queries for their ten best.
 *
 * Header-only, for that one program. Each function returns 0, or -1 after
 * printing why to stderr.
 */
#ifndef HTD_BENCH_RECORDS_ANCHORS_H
#define HTD_BENCH_RECORDS_ANCHORS_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#ifdef HTD_BENCH_LIBPQ
#include <libpq-fe.h>
#endif

#include "bench_util.h"

#define ANCHOR_TOP 10
#define ANCHOR_ID_MAX 16

/* One person as the anchors index it: an id and "given family". */
struct anchor_person {
	char id[ANCHOR_ID_MAX];
	char *name; /* owned */
};

/* What one anchor measured. */
struct anchor_result {
	bool ran;
	char skipped[160]; /* why it did not run, when it did not */
	double build_s;    /* loading and indexing */
	int64_t index_bytes;
	double *latency_us; /* per query; owned */
	size_t n;
	size_t found_top10; /* queries whose true record was in the ten */
};

/* ---- SQLite FTS5, trigram tokenizer ---------------------------------------
 */

/* `name` as an FTS5 query: each trigram quoted, OR-ed. Writes "" when the
 * name is too short for a trigram. */
static inline void anchor_fts5_query(const char *name, char *out, size_t size)
{
	size_t n = strlen(name), o = 0;
	out[0] = '\0';
	for (size_t i = 0; i + 3 <= n; i++) {
		/* Skip trigrams that cut a UTF-8 sequence or hold a quote. */
		if (((unsigned char)name[i] & 0xc0) == 0x80)
			continue;
		size_t len = 3;
		while (i + len < n &&
		       ((unsigned char)name[i + len] & 0xc0) == 0x80)
			len++;
		if (memchr(name + i, '"', len))
			continue;
		int w = snprintf(out + o, size - o, "%s\"%.*s\"",
		                 o ? " OR " : "", (int)len, name + i);
		if (w < 0 || (size_t)w >= size - o)
			break;
		o += (size_t)w;
	}
}

static inline int anchor_fts5(const char *path,
                              const struct anchor_person *people, size_t n,
                              char *const *queries, const char *const *truth,
                              size_t nq, struct anchor_result *r)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *ins = NULL, *sel = NULL;
	int rc = -1;
	unlink(path);
	memset(r, 0, sizeof(*r));
	r->latency_us = calloc(nq ? nq : 1, sizeof(double));
	if (sqlite3_open(path, &db) != SQLITE_OK)
		goto out;
	double t0 = bench_now();
	if (sqlite3_exec(db,
	                 "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
	                 "CREATE VIRTUAL TABLE names USING fts5(name, id "
	                 "UNINDEXED, tokenize='trigram');"
	                 "BEGIN;",
	                 NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "INSERT INTO names (name, id) VALUES (?, ?)",
	                       -1, &ins, NULL) != SQLITE_OK)
		goto out;
	for (size_t i = 0; i < n; i++) {
		sqlite3_bind_text(ins, 1, people[i].name, -1, SQLITE_STATIC);
		sqlite3_bind_text(ins, 2, people[i].id, -1, SQLITE_STATIC);
		if (sqlite3_step(ins) != SQLITE_DONE)
			goto out;
		sqlite3_reset(ins);
	}
	if (sqlite3_exec(db, "COMMIT; PRAGMA wal_checkpoint(TRUNCATE);", NULL,
	                 NULL, NULL) != SQLITE_OK)
		goto out;
	r->build_s = bench_now() - t0;
	struct stat st;
	if (stat(path, &st) == 0)
		r->index_bytes = (int64_t)st.st_size;
	if (sqlite3_prepare_v2(db,
	                       "SELECT id FROM names WHERE names MATCH ? "
	                       "ORDER BY rank LIMIT 10",
	                       -1, &sel, NULL) != SQLITE_OK)
		goto out;
	for (size_t q = 0; q < nq; q++) {
		char match[4096];
		anchor_fts5_query(queries[q], match, sizeof(match));
		double s = bench_now();
		bool found = false;
		if (match[0]) {
			sqlite3_bind_text(sel, 1, match, -1, SQLITE_STATIC);
			int step;
			while ((step = sqlite3_step(sel)) == SQLITE_ROW)
				if (strcmp((const char *)sqlite3_column_text(
				               sel, 0),
				           truth[q]) == 0)
					found = true;
			sqlite3_reset(sel);
			if (step != SQLITE_DONE)
				goto out;
		}
		r->latency_us[r->n++] = (bench_now() - s) * 1e6;
		r->found_top10 += found;
	}
	r->ran = true;
	rc = 0;
out:
	if (rc != 0)
		fprintf(stderr, "records: FTS5 anchor: %s\n",
		        db ? sqlite3_errmsg(db) : "cannot open");
	sqlite3_finalize(ins);
	sqlite3_finalize(sel);
	sqlite3_close(db);
	return rc;
}

/* ---- PostgreSQL pg_trgm ----------------------------------------------------
 */

#ifdef HTD_BENCH_LIBPQ
static inline bool anchor_pg_ok(PGconn *pg, PGresult *res, const char *what)
{
	ExecStatusType s = PQresultStatus(res);
	bool ok =
	    s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK || s == PGRES_COPY_IN;
	if (!ok)
		fprintf(stderr, "records: pg_trgm anchor: %s: %s", what,
		        PQerrorMessage(pg));
	return ok;
}

static inline int anchor_pg(const char *conninfo,
                            const struct anchor_person *people, size_t n,
                            char *const *queries, const char *const *truth,
                            size_t nq, struct anchor_result *r)
{
	memset(r, 0, sizeof(*r));
	r->latency_us = calloc(nq ? nq : 1, sizeof(double));
	PGconn *pg = PQconnectdb(conninfo);
	int rc = -1;
	PGresult *res = NULL;
	if (PQstatus(pg) != CONNECTION_OK) {
		snprintf(r->skipped, sizeof(r->skipped), "cannot connect: %s",
		         PQerrorMessage(pg));
		r->skipped[strcspn(r->skipped, "\n")] = '\0';
		PQfinish(pg);
		return -1;
	}
	double t0 = bench_now();
	res = PQexec(pg, "CREATE EXTENSION IF NOT EXISTS pg_trgm;"
	                 "DROP TABLE IF EXISTS persons;"
	                 "CREATE TABLE persons (id text, name text);");
	if (!anchor_pg_ok(pg, res, "create"))
		goto out;
	PQclear(res);
	res = PQexec(pg, "COPY persons (id, name) FROM STDIN");
	if (!anchor_pg_ok(pg, res, "copy"))
		goto out;
	PQclear(res);
	res = NULL;
	{
		char line[512];
		for (size_t i = 0; i < n; i++) {
			int w = snprintf(line, sizeof(line), "%s\t%s\n",
			                 people[i].id, people[i].name);
			if (w <= 0 || (size_t)w >= sizeof(line) ||
			    PQputCopyData(pg, line, w) != 1)
				goto out;
		}
		if (PQputCopyEnd(pg, NULL) != 1)
			goto out;
		res = PQgetResult(pg);
		if (!anchor_pg_ok(pg, res, "copy end"))
			goto out;
		PQclear(res);
	}
	res = PQexec(pg, "CREATE INDEX persons_trgm ON persons USING gist "
	                 "(name gist_trgm_ops); ANALYZE persons;");
	if (!anchor_pg_ok(pg, res, "index"))
		goto out;
	PQclear(res);
	r->build_s = bench_now() - t0;
	res = PQexec(pg, "SELECT pg_total_relation_size('persons')");
	if (!anchor_pg_ok(pg, res, "size"))
		goto out;
	r->index_bytes = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	res = PQprepare(pg, "top10",
	                "SELECT id FROM persons ORDER BY name <-> $1 LIMIT 10",
	                1, NULL);
	if (!anchor_pg_ok(pg, res, "prepare"))
		goto out;
	PQclear(res);
	res = NULL;
	for (size_t q = 0; q < nq; q++) {
		const char *params[1] = { queries[q] };
		double s = bench_now();
		PGresult *qr =
		    PQexecPrepared(pg, "top10", 1, params, NULL, NULL, 0);
		if (!anchor_pg_ok(pg, qr, "query")) {
			PQclear(qr);
			goto out;
		}
		bool found = false;
		for (int i = 0; i < PQntuples(qr); i++)
			if (strcmp(PQgetvalue(qr, i, 0), truth[q]) == 0)
				found = true;
		PQclear(qr);
		r->latency_us[r->n++] = (bench_now() - s) * 1e6;
		r->found_top10 += found;
	}
	r->ran = true;
	rc = 0;
out:
	PQclear(res);
	PQfinish(pg);
	return rc;
}
#endif

#endif
