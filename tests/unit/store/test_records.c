/*
 * test_records.c - the records of the SQLite store: an import is one
 * transaction; putting the same record again updates it (keys replaced)
 * or leaves it untouched, never duplicates it; candidates come by shared
 * keys, most shared first; a rolled-back import leaves nothing.
 */
#include <criterion/criterion.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"
#include "testutil.h"
#include "util/str.h"

static char dir[512];
static char db[600];
static struct store *store;

static void setup(void)
{
	snprintf(dir, sizeof(dir), "%s", tu_tmpdir());
	tu_path(db, sizeof(db), dir, "t.db");
	struct store_options o = { .path = db, .create = true };
	struct htd_error err;
	cr_assert_eq(store_open(&o, &store, &err), HTD_OK, "%s", err.message);
}

static void teardown(void)
{
	store_close(store);
	tu_rmtree(dir);
}

TestSuite(store_records, .init = setup, .fini = teardown);

static void person(struct record *r, const char *id, const char *family,
                   const char *given)
{
	struct htd_error err;
	record_init(r, RECORD_PERSON);
	cr_assert_eq(record_set_source(r, "rms", id, &err), HTD_OK);
	cr_assert_eq(record_set(r, RECORD_F_FAMILY_NAME, family, &err), HTD_OK);
	if (given)
		cr_assert_eq(record_set(r, RECORD_F_GIVEN_NAME, given, &err),
		             HTD_OK);
}

static void keys_of(struct match_keys *k, const char *a, const char *b,
                    const char *c)
{
	memset(k, 0, sizeof(*k));
	const char *v[] = { a, b, c };
	for (int i = 0; i < 3; i++)
		if (v[i])
			str_copy(k->key[k->n++], MATCH_KEY_SIZE, v[i]);
}

static struct store_record_counts put(struct record *r, struct match_keys *k,
                                      size_t n)
{
	struct store_record_put items[8];
	for (size_t i = 0; i < n; i++)
		items[i] = (struct store_record_put){ &r[i], &k[i] };
	struct store_record_counts c = { 0 };
	struct htd_error err;
	cr_assert_eq(
	    store_records_upsert(store, items, n, 1000, NULL, &c, &err), HTD_OK,
	    "%s", err.message);
	return c;
}

static void free_all(struct record *r, size_t n)
{
	for (size_t i = 0; i < n; i++)
		record_free(&r[i]);
}

Test(store_records, upsert_is_idempotent)
{
	struct record r[2];
	struct match_keys k[2];
	person(&r[0], "p1", "Hernández", "Lupe");
	person(&r[1], "p2", "Smith \"Jr\"\\", NULL);
	keys_of(&k[0], "sn:hern", "gi:guadalupe:h", NULL);
	keys_of(&k[1], "sn:smit", NULL, NULL);
	struct store_record_counts c = put(r, k, 2);
	cr_assert_eq(c.inserted, 2);
	c = put(r, k, 2);
	cr_assert_eq(c.inserted, 0);
	cr_assert_eq(c.updated, 0);
	cr_assert_eq(c.unchanged, 2);

	uint64_t counts[RECORD_KIND__COUNT];
	struct htd_error err;
	cr_assert_eq(store_records_count(store, counts, &err), HTD_OK);
	cr_assert_eq(counts[RECORD_PERSON], 2);
	cr_assert_eq(counts[RECORD_VEHICLE], 0);

	struct store_record got;
	cr_assert_eq(
	    store_record_find(store, RECORD_PERSON, "rms", "p2", &got, &err),
	    HTD_OK, "%s", err.message);
	cr_assert_str_eq(got.record.field[RECORD_F_FAMILY_NAME],
	                 "Smith \"Jr\"\\");
	cr_assert_eq(got.version, 1);
	int64_t id = got.id;
	store_record_free(&got);
	cr_assert_eq(store_record_get(store, id, &got, &err), HTD_OK);
	cr_assert_str_eq(got.record.source_id, "p2");
	store_record_free(&got);
	cr_assert_eq(store_record_get(store, id + 100, &got, &err),
	             HTD_ERR_NOT_FOUND);
	free_all(r, 2);
}

Test(store_records, update_replaces_keys)
{
	struct record r;
	struct match_keys k;
	person(&r, "p1", "Hernández", "Lupe");
	keys_of(&k, "sn:hern", "gi:guadalupe:h", NULL);
	put(&r, &k, 1);
	record_free(&r);
	person(&r, "p1", "Hernandes", "Lupe");
	keys_of(&k, "sn:hern", "snp:HRNN", NULL);
	struct store_record_counts c = put(&r, &k, 1);
	cr_assert_eq(c.updated, 1);

	struct store_candidate cand[4];
	size_t n = 9;
	struct match_keys q;
	struct htd_error err;
	keys_of(&q, "gi:guadalupe:h", NULL, NULL);
	cr_assert_eq(store_records_candidates(store, &q, 4, cand, &n, &err),
	             HTD_OK);
	cr_assert_eq(n, 0, "the old key is gone");
	keys_of(&q, "snp:HRNN", NULL, NULL);
	cr_assert_eq(store_records_candidates(store, &q, 4, cand, &n, &err),
	             HTD_OK);
	cr_assert_eq(n, 1);

	struct store_record got;
	cr_assert_eq(
	    store_record_find(store, RECORD_PERSON, "rms", "p1", &got, &err),
	    HTD_OK);
	cr_assert_eq(got.version, 2);
	cr_assert_str_eq(got.record.field[RECORD_F_FAMILY_NAME], "Hernandes");
	store_record_free(&got);

	/* The sealed flag alone is a change. */
	r.sealed = true;
	c = put(&r, &k, 1);
	cr_assert_eq(c.updated, 1);
	record_free(&r);
}

Test(store_records, a_rare_key_outweighs_common_ones)
{
	/* 200 John Smiths share two common keys; one record shares only a
	 * date of birth nobody else has: it comes first. */
	enum { COMMON = 200 };
	struct record *r = calloc(COMMON + 1, sizeof(*r));
	struct match_keys *k = calloc(COMMON + 1, sizeof(*k));
	struct store_record_put *items = calloc(COMMON + 1, sizeof(*items));
	for (int i = 0; i <= COMMON; i++) {
		char id[16];
		snprintf(id, sizeof(id), "p%d", i);
		person(&r[i], id, "Smith", "John");
		if (i < COMMON)
			keys_of(&k[i], "sn:smit", "gi:john:s", NULL);
		else
			keys_of(&k[i], "dob:1985-03-07", NULL, NULL);
		items[i] = (struct store_record_put){ &r[i], &k[i] };
	}
	struct store_record_counts c = { 0 };
	struct htd_error err;
	cr_assert_eq(store_records_upsert(store, items, COMMON + 1, 1000, NULL,
	                                  &c, &err),
	             HTD_OK, "%s", err.message);
	struct match_keys q;
	keys_of(&q, "sn:smit", "gi:john:s", "dob:1985-03-07");
	struct store_candidate cand[5];
	size_t n = 0;
	cr_assert_eq(store_records_candidates(store, &q, 5, cand, &n, &err),
	             HTD_OK);
	cr_assert_eq(n, 5);
	struct store_record one;
	cr_assert_eq(store_record_get(store, cand[0].record_id, &one, &err),
	             HTD_OK);
	cr_assert_str_eq(one.record.source_id, "p200");
	cr_assert_eq(cand[0].shared, 1);
	cr_assert_eq(cand[1].shared, 2);
	cr_assert_gt(cand[0].weight, cand[1].weight);
	/* Equal weights: the lowest id first. */
	cr_assert_lt(cand[1].record_id, cand[2].record_id);
	store_record_free(&one);
	free_all(r, COMMON + 1);
	free(r);
	free(k);
	free(items);
}

Test(store_records, candidates_most_shared_first)
{
	struct record r[3];
	struct match_keys k[3];
	person(&r[0], "a", "Lopez", NULL);
	person(&r[1], "b", "Lopez", NULL);
	person(&r[2], "c", "Lopez", NULL);
	keys_of(&k[0], "sn:lope", NULL, NULL);
	keys_of(&k[1], "sn:lope", "dob:1985-03-07", "ph:+15125550142");
	keys_of(&k[2], "sn:lope", "dob:1985-03-07", NULL);
	put(r, k, 3);
	struct match_keys q;
	keys_of(&q, "ph:+15125550142", "dob:1985-03-07", "sn:lope");
	struct store_candidate cand[3];
	size_t n = 0;
	struct htd_error err;
	cr_assert_eq(store_records_candidates(store, &q, 3, cand, &n, &err),
	             HTD_OK);
	cr_assert_eq(n, 3);
	cr_assert_eq(cand[0].shared, 3);
	cr_assert_eq(cand[1].shared, 2);
	cr_assert_eq(cand[2].shared, 1);

	int64_t ids[4] = { cand[0].record_id, 999999, cand[2].record_id,
		           cand[1].record_id };
	struct store_record_list l;
	cr_assert_eq(store_records_get_many(store, ids, 4, &l, &err), HTD_OK);
	cr_assert_eq(l.n, 3, "an id of no record is skipped");
	cr_assert_str_eq(l.records[0].record.source_id, "b");
	cr_assert_str_eq(l.records[1].record.source_id, "a");
	cr_assert_str_eq(l.records[2].record.source_id, "c");
	store_record_list_free(&l);

	cr_assert_eq(store_records_candidates(store, &q, 1, cand, &n, &err),
	             HTD_OK);
	cr_assert_eq(n, 1, "bounded by the limit");
	cr_assert_eq(store_records_candidates(store, &q, 0, cand, &n, &err),
	             HTD_ERR_INVALID);
	free_all(r, 3);
}

Test(store_records, rollback_leaves_nothing)
{
	struct record r;
	struct match_keys k;
	person(&r, "p1", "Nguyen", NULL);
	keys_of(&k, "sn:nguy", NULL, NULL);
	struct store_record_put item = { &r, &k };
	struct htd_error err;
	struct store_record_counts c = { 0 };
	cr_assert_eq(store_records_begin(store, &err), HTD_OK);
	cr_assert_eq(store_records_begin(store, &err), HTD_ERR_CONFLICT);
	cr_assert_eq(store_records_put(store, &item, 1, 5, &c, &err), HTD_OK);
	cr_assert_eq(c.inserted, 1);
	store_records_rollback(store);
	uint64_t counts[RECORD_KIND__COUNT];
	cr_assert_eq(store_records_count(store, counts, &err), HTD_OK);
	cr_assert_eq(counts[RECORD_PERSON], 0);
	record_free(&r);
}

Test(store_records, incomplete_record_refused)
{
	struct record r;
	record_init(&r, RECORD_VEHICLE);
	struct htd_error err;
	cr_assert_eq(record_set_source(&r, "rms", "v1", &err), HTD_OK);
	struct store_record_put item = { &r, NULL };
	cr_assert_eq(store_records_upsert(store, &item, 1, 5, NULL, NULL, &err),
	             HTD_ERR_INVALID);
	cr_assert_str_eq(err.field, "plate");
}

/* A source that names a record twice in one batch: the later wins, and the
 * keys of the earlier (queued, not yet written) are replaced too. */
Test(store_records, a_record_twice_in_a_batch)
{
	struct record r[2];
	struct match_keys k[2];
	person(&r[0], "p1", "Hernández", NULL);
	person(&r[1], "p1", "Nguyen", NULL);
	keys_of(&k[0], "sn:hern", NULL, NULL);
	keys_of(&k[1], "sn:nguy", NULL, NULL);
	struct store_record_counts c = put(r, k, 2);
	cr_assert_eq(c.inserted, 1);
	cr_assert_eq(c.updated, 1);
	struct store_candidate cand[2];
	size_t n = 9;
	struct htd_error err;
	cr_assert_eq(store_records_candidates(store, &k[0], 2, cand, &n, &err),
	             HTD_OK);
	cr_assert_eq(n, 0, "the earlier version's key is gone");
	cr_assert_eq(store_records_candidates(store, &k[1], 2, cand, &n, &err),
	             HTD_OK);
	cr_assert_eq(n, 1);
	struct store_record got;
	cr_assert_eq(store_record_get(store, cand[0].record_id, &got, &err),
	             HTD_OK);
	cr_assert_str_eq(got.record.field[RECORD_F_FAMILY_NAME], "Nguyen");
	store_record_free(&got);
	free_all(r, 2);
}

/* More keys than a statement writes at once, and a common key bounded. */
Test(store_records, many_keys_and_a_common_one)
{
	enum { N = 200 };
	static struct record r[N];
	static struct match_keys k[N];
	static struct store_record_put items[N];
	for (int i = 0; i < N; i++) {
		char id[16];
		snprintf(id, sizeof(id), "m%d", i);
		person(&r[i], id, "Tran", NULL);
		memset(&k[i], 0, sizeof(k[i]));
		str_copy(k[i].key[k[i].n++], MATCH_KEY_SIZE, "sn:tran");
		snprintf(k[i].key[k[i].n++], MATCH_KEY_SIZE, "id:x:%d", i);
		items[i] = (struct store_record_put){ &r[i], &k[i] };
	}
	struct store_record_counts c = { 0 };
	struct htd_error err;
	cr_assert_eq(store_records_upsert(store, items, N, 7, NULL, &c, &err),
	             HTD_OK, "%s", err.message);
	cr_assert_eq(c.inserted, N);
	struct match_keys q;
	keys_of(&q, "sn:tran", "id:x:150", NULL);
	struct store_candidate cand[STORE_CANDIDATES_MAX];
	size_t n = 0;
	cr_assert_eq(store_records_candidates(store, &q, STORE_CANDIDATES_MAX,
	                                      cand, &n, &err),
	             HTD_OK);
	cr_assert_eq(n, N);
	cr_assert_eq(cand[0].shared, 2, "the one with both keys first");
	struct store_record got;
	cr_assert_eq(store_record_get(store, cand[0].record_id, &got, &err),
	             HTD_OK);
	cr_assert_str_eq(got.record.source_id, "m150");
	store_record_free(&got);
	free_all(r, N);
}

/* How many records hold `key` (at most 8). */
static size_t holders(const char *key, int64_t *first)
{
	struct match_keys q;
	keys_of(&q, key, NULL, NULL);
	struct store_candidate cand[8];
	size_t n = 99;
	struct htd_error err;
	cr_assert_eq(store_records_candidates(store, &q, 8, cand, &n, &err),
	             HTD_OK, "%s", err.message);
	if (first && n > 0)
		*first = cand[0].record_id;
	return n;
}

/* An import's keys wait in a queue across its batches: a record named
 * again in a later batch, while its first keys are still queued, has
 * them replaced, not added to. */
Test(store_records, keys_queued_across_batches)
{
	struct record r[3];
	struct match_keys k[3];
	person(&r[0], "p1", "Hernández", NULL);
	person(&r[1], "p2", "Tran", NULL);
	person(&r[2], "p1", "Nguyen", NULL);
	keys_of(&k[0], "sn:hern", "ph:+15125550101", NULL);
	keys_of(&k[1], "sn:tran", NULL, NULL);
	keys_of(&k[2], "sn:nguy", "ph:+15125550101", NULL);
	struct htd_error err;
	struct store_record_counts c = { 0 };
	cr_assert_eq(store_records_begin(store, &err), HTD_OK);
	for (int i = 0; i < 3; i++) {
		struct store_record_put item = { &r[i], &k[i] };
		cr_assert_eq(store_records_put(store, &item, 1, 5, &c, &err),
		             HTD_OK, "%s", err.message);
	}
	cr_assert_eq(store_records_commit(store, NULL, &err), HTD_OK, "%s",
	             err.message);
	cr_assert_eq(c.inserted, 2);
	cr_assert_eq(c.updated, 1);
	int64_t p1 = 0, p2 = 0, by_phone = 0;
	cr_assert_eq(holders("sn:hern", NULL), 0, "p1's first key is gone");
	cr_assert_eq(holders("sn:nguy", &p1), 1);
	cr_assert_eq(holders("sn:tran", &p2), 1, "the second batch's key");
	cr_assert_eq(holders("ph:+15125550101", &by_phone), 1,
	             "a key in both versions is held once");
	cr_assert_eq(by_phone, p1);
	cr_assert_neq(p1, p2);
	free_all(r, 3);
}

/* The keys queued by a rolled-back import are dropped with it: the next
 * import's records (whose ids may be the same numbers) do not get them. */
Test(store_records, rollback_drops_queued_keys)
{
	struct record r;
	struct match_keys k;
	struct htd_error err;
	struct store_record_counts c = { 0 };
	person(&r, "p1", "Nguyen", NULL);
	keys_of(&k, "sn:nguy", NULL, NULL);
	struct store_record_put item = { &r, &k };
	cr_assert_eq(store_records_begin(store, &err), HTD_OK);
	cr_assert_eq(store_records_put(store, &item, 1, 5, &c, &err), HTD_OK);
	store_records_rollback(store);
	record_free(&r);

	person(&r, "p9", "Tran", NULL);
	keys_of(&k, "sn:tran", NULL, NULL);
	put(&r, &k, 1);
	cr_assert_eq(holders("sn:nguy", NULL), 0);
	cr_assert_eq(holders("sn:tran", NULL), 1);
	record_free(&r);
}

/* A search reads in a transaction of its own and ends it: an import can
 * begin on the same connection right after. */
Test(store_records, search_ends_its_read_transaction)
{
	struct record r;
	struct match_keys k;
	struct htd_error err;
	person(&r, "p1", "Nguyen", NULL);
	keys_of(&k, "sn:nguy", NULL, NULL);
	put(&r, &k, 1);
	int64_t id = 0;
	cr_assert_eq(holders("sn:nguy", &id), 1);
	struct store_record_list list = { 0 };
	int64_t ids[2] = { id, id + 1000 };
	cr_assert_eq(store_records_get_many(store, ids, 2, &list, &err), HTD_OK,
	             "%s", err.message);
	cr_assert_eq(list.n, 1, "a missing id is left out");
	store_record_list_free(&list);
	cr_assert_eq(store_records_begin(store, &err), HTD_OK, "%s",
	             err.message);
	store_records_rollback(store);
	record_free(&r);
}

/* The keys column of record `source_id`, read raw; owned, free(). */
static char *keys_column(const char *source_id)
{
	sqlite3 *h;
	sqlite3_stmt *st;
	cr_assert_eq(sqlite3_open(db, &h), SQLITE_OK);
	cr_assert_eq(sqlite3_prepare_v2(h,
	                                "SELECT keys FROM records WHERE "
	                                "source_id = ?1",
	                                -1, &st, NULL),
	             SQLITE_OK);
	sqlite3_bind_text(st, 1, source_id, -1, SQLITE_STATIC);
	cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
	char *keys = strdup((const char *)sqlite3_column_text(st, 0));
	cr_assert_not_null(keys);
	sqlite3_finalize(st);
	sqlite3_close(h);
	return keys;
}

Test(store_records, keys_are_kept_sorted_as_strcmp_once_each)
{
	/* Keys that begin alike for more than 8 bytes, one repeated, one
	 * with a byte above 0x7f (after 'z', as strcmp compares). */
	struct record r;
	struct match_keys k = { 0 };
	const char *given[] = {
		"sn:h\xc3\xa9",   "gi:guadalupe:h", "sn:hz", "gi:guad",
		"gi:guadalupe:a", "gi:guad",        ""
	};
	for (size_t i = 0; i < sizeof(given) / sizeof(given[0]); i++)
		str_copy(k.key[k.n++], MATCH_KEY_SIZE, given[i]);
	person(&r, "p1", "Hernández", "Lupe");
	cr_assert_eq(put(&r, &k, 1).inserted, 1);
	char *keys = keys_column("p1");
	cr_assert_str_eq(keys, "gi:guad\ngi:guadalupe:a\ngi:guadalupe:h\n"
	                       "sn:hz\nsn:h\xc3\xa9");
	free(keys);
	/* The same keys in another order: the same record, unchanged. */
	struct match_keys again = { 0 };
	for (size_t i = sizeof(given) / sizeof(given[0]); i-- > 0;)
		str_copy(again.key[again.n++], MATCH_KEY_SIZE, given[i]);
	struct store_record_counts c = put(&r, &again, 1);
	cr_assert_eq(c.unchanged, 1);
	cr_assert_eq(c.updated, 0);
	record_free(&r);
}
