/*
 * test_search.c - records search (service/search.c) over a real store:
 * "Ma. Guadalupe Hernández" finds the record that says "Lupe Hernandes",
 * best first with the reason for its weight; a phone finds its records; a
 * sealed record never appears (nor is counted) for a role without access;
 * every search needs a purpose and is audited without the query's words.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/score.h"
#include "formats/nicknames_csv.h"
#include "service/audit.h"
#include "service/search.h"
#include "testutil.h"
#include "util/str.h"

static char dir[512];
static char db[600];
static int64_t now;
static struct htd_clock fixed;
static struct store *store;
static struct service svc;
static struct match_nicknames *nn;

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
	svc.address = "test";
	svc.actor = "user:ines";
	char path[1024];
	snprintf(path, sizeof(path), "%s/data/linkage",
	         getenv("HTD_SOURCE_ROOT") ? getenv("HTD_SOURCE_ROOT") : ".");
	cr_assert_eq(nicknames_csv_load_dir(path, &nn, &err), HTD_OK, "%s",
	             err.message);
}

static void teardown(void)
{
	match_nicknames_free(nn);
	store_close(store);
	tu_rmtree(dir);
}

TestSuite(service_search, .init = setup, .fini = teardown);

/* Puts one record, its keys made as an import makes them. */
static void put(enum record_kind kind, const char *id, bool sealed,
                const char *const *fv)
{
	struct record r;
	struct htd_error err;
	record_init(&r, kind);
	cr_assert_eq(record_set_source(&r, "rms", id, &err), HTD_OK);
	for (size_t i = 0; fv[i]; i += 2) {
		enum record_field f;
		cr_assert(record_field_parse(fv[i], &f), "%s", fv[i]);
		cr_assert_eq(record_set(&r, f, fv[i + 1], &err), HTD_OK, "%s",
		             err.message);
	}
	r.sealed = sealed;
	struct score_record p;
	struct match_keys k;
	cr_assert_eq(score_prepare(&r, nn, &p, &err), HTD_OK);
	score_keys(&p, nn, &k);
	score_record_free(&p);
	struct store_record_put item = { &r, &k };
	struct store_record_counts c = { 0 };
	cr_assert_eq(store_records_upsert(store, &item, 1, now, NULL, &c, &err),
	             HTD_OK, "%s", err.message);
	record_free(&r);
}

static void board(void)
{
	put(RECORD_PERSON, "P1", false,
	    (const char *const[]){ "given_name", "Lupe", "family_name",
	                           "Hernandes", "birth_date", "1985-03-07",
	                           "phone", "512-555-0142", NULL });
	put(RECORD_PERSON, "P2", false,
	    (const char *const[]){ "given_name", "Maria", "family_name",
	                           "Hernandez", "birth_date", "1962-11-30",
	                           NULL });
	put(RECORD_PERSON, "P3", false,
	    (const char *const[]){ "given_name", "John", "family_name", "Smith",
	                           "birth_date", "1985-03-07", NULL });
	put(RECORD_PERSON, "P4", true,
	    (const char *const[]){ "given_name", "Guadalupe", "family_name",
	                           "Hernández", "birth_date", "1985-03-07",
	                           NULL });
	put(RECORD_BUSINESS, "B1", false,
	    (const char *const[]){ "name", "Sunrise Farm Labor LLC", "phone",
	                           "(512) 555-0142", NULL });
}

static struct search_result run(const char *kind, const char *query,
                                bool sealed_visible)
{
	struct search_request req = { .kind = kind,
		                      .query = query,
		                      .purpose = "HT-2026-000123 follow-up",
		                      .sealed_visible = sealed_visible };
	struct search_result r;
	struct htd_error err;
	cr_assert_eq(search_records(&svc, "user:ines", nn, &req, &r, &err),
	             HTD_OK, "%s", err.message);
	return r;
}

Test(service_search, a_nickname_and_a_misspelling_find_the_person)
{
	board();
	struct search_result r =
	    run("persons", "Ma. Guadalupe Hernández 1985-03-07", false);
	cr_assert_geq(r.n, 1);
	cr_assert_str_eq(r.hits[0].record.record.source_id, "P1");
	cr_assert(r.hits[0].match, "weight %.2f under the threshold %.2f",
	          r.hits[0].weight, r.threshold);
	cr_assert_gt(r.hits[0].explain.n, 1);
	/* Best first; P3 shares only the date. */
	for (size_t i = 1; i < r.n; i++) {
		cr_assert_geq(r.hits[i - 1].weight, r.hits[i].weight);
		if (strcmp(r.hits[i].record.record.source_id, "P3") == 0)
			cr_assert(!r.hits[i].match);
	}
	search_result_free(&r);
}

Test(service_search, sealed_records_stay_hidden_without_access)
{
	board();
	struct search_result r =
	    run("persons", "Guadalupe Hernández 1985-03-07", false);
	size_t counted = r.candidates;
	for (size_t i = 0; i < r.n; i++)
		cr_assert_str_neq(r.hits[i].record.record.source_id, "P4");
	search_result_free(&r);

	r = run("persons", "Guadalupe Hernández 1985-03-07", true);
	cr_assert_geq(r.n, 1);
	cr_assert_str_eq(r.hits[0].record.record.source_id, "P4");
	cr_assert(r.hits[0].record.record.sealed);
	/* Not even the count betrays it. */
	cr_assert_eq(r.candidates, counted + 1);
	search_result_free(&r);
}

Test(service_search, a_phone_finds_the_business_that_uses_it)
{
	board();
	struct search_result r = run("businesses", "512 555 0142", false);
	cr_assert_eq(r.n, 1);
	cr_assert_str_eq(r.hits[0].record.record.source_id, "B1");
	search_result_free(&r);
}

static size_t audit_rows(const char *action, char *detail, size_t size)
{
	struct audit_query q = { .limit = "100" };
	struct audit_list l;
	struct htd_error err;
	cr_assert_eq(audit_list(&svc, &q, &l, &err), HTD_OK);
	size_t n = 0;
	for (size_t i = 0; i < l.n; i++)
		if (strcmp(l.entries[i].action, action) == 0) {
			if (n++ == 0)
				str_copy(detail, size, l.entries[i].detail);
		}
	audit_list_free(&l);
	return n;
}

Test(service_search, a_purpose_is_required_and_every_search_audited)
{
	board();
	struct search_request req = { .query = "Lupe Hernandes" };
	struct search_result r;
	struct htd_error err;
	cr_assert_eq(search_records(&svc, "user:ines", nn, &req, &r, &err),
	             HTD_ERR_INVALID);
	cr_assert_str_eq(err.field, "purpose");
	req.purpose = "  ";
	cr_assert_eq(search_records(&svc, "user:ines", nn, &req, &r, &err),
	             HTD_ERR_INVALID);
	req.purpose = "tip HT-2026-000007";
	req.kind = "boats";
	cr_assert_eq(search_records(&svc, "user:ines", nn, &req, &r, &err),
	             HTD_ERR_INVALID);
	cr_assert_str_eq(err.field, "kind");
	req.kind = NULL;
	req.limit = SEARCH_LIMIT_MAX + 1;
	cr_assert_eq(search_records(&svc, "user:ines", nn, &req, &r, &err),
	             HTD_ERR_INVALID);
	cr_assert_str_eq(err.field, "limit");
	req.limit = 0;
	cr_assert_eq(search_records(&svc, "user:ines", nn, &req, &r, &err),
	             HTD_OK);
	search_result_free(&r);

	char detail[512];
	/* Four refused and one run, newest first; the words never kept. */
	cr_assert_eq(audit_rows("records.search", detail, sizeof(detail)), 5);
	cr_assert(strstr(detail, "purpose=tip HT-2026-000007"), "%s", detail);
	cr_assert(strstr(detail, "fields=name"), "%s", detail);
	cr_assert(strstr(detail, "q="), "%s", detail);
	cr_assert_null(strstr(detail, "Lupe"), "%s", detail);
	cr_assert_null(strstr(detail, "Hernandes"), "%s", detail);
}

Test(service_search, one_letter_and_ten_kilobytes_are_bounded)
{
	board();
	struct search_result r = run("persons", "h", false);
	search_result_free(&r);
	char *big = malloc(10 * 1024 + 1);
	memset(big, 'a', 10 * 1024);
	big[10 * 1024] = '\0';
	struct search_request req = { .query = big, .purpose = "fuzzing" };
	struct htd_error err;
	cr_assert_eq(search_records(&svc, "user:ines", nn, &req, &r, &err),
	             HTD_ERR_TOO_LARGE);
	free(big);
}
