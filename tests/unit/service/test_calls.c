/*
 * test_calls.c - the call use cases: what each records, the validation a
 * call-taker sees (with the field named), state conflicts, listing queries,
 * and verification that catches a projection changed behind our back.
 */
#include <criterion/criterion.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

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
}

static void teardown(void)
{
	store_close(store);
	tu_rmtree(dir);
}

TestSuite(service_calls, .init = setup, .fini = teardown);

static void open_one(const struct call_open_request *req, struct call *c)
{
	struct htd_error err;
	cr_assert_eq(calls_open(&svc, "user:ana", req, c, &err), HTD_OK, "%s",
	             err.message);
}

Test(service_calls, open_records_what_the_call_taker_entered)
{
	struct call c;
	call_init(&c);
	struct call_open_request req = { .channel = "text",
		                         .language = "es-mx",
		                         .location = "  4th & Main, Apt 3  ",
		                         .callback = "(555) 010-0100",
		                         .caller_name = "María José" };
	open_one(&req, &c);
	cr_assert_str_eq(c.ref, "HT-2026-000001");
	cr_assert_eq(c.channel, CALL_CHANNEL_TEXT);
	cr_assert_str_eq(c.language, "es-MX");
	cr_assert_str_eq(c.location_text, "4th & Main, Apt 3");
	cr_assert_str_eq(c.callback_number, "(555) 010-0100");
	cr_assert_str_eq(c.caller_name, "María José");
	cr_assert_str_eq(c.opened_by, "user:ana");
	cr_assert_eq(c.opened_at_ms, now);
	cr_assert_eq(c.status, CALL_STATUS_OPEN);
	cr_assert_eq(c.category, CALL_CATEGORY_UNDETERMINED);
	cr_assert_eq(c.version, 1);
	call_free(&c);

	/* The stored call reads back the same. */
	struct call back;
	struct htd_error err;
	call_init(&back);
	cr_assert_eq(calls_get(&svc, "ht-2026-1", &back, &err), HTD_OK);
	cr_assert_str_eq(back.caller_name, "María José");
	cr_assert_eq(back.channel, CALL_CHANNEL_TEXT);
	call_free(&back);
}

Test(service_calls, open_defaults_to_voice_in_english)
{
	struct call c;
	call_init(&c);
	struct call_open_request req = { 0 };
	open_one(&req, &c);
	cr_assert_eq(c.channel, CALL_CHANNEL_VOICE);
	cr_assert_str_eq(c.language, "en");
	cr_assert_str_eq(c.location_text, "");
	call_free(&c);
}

static void expect_open_error(const struct call_open_request *req,
                              enum htd_err code, const char *field)
{
	struct call c;
	struct htd_error err;
	call_init(&c);
	cr_assert_eq(calls_open(&svc, "user:ana", req, &c, &err), code,
	             "expected %s for field %s, got: %s", htd_err_name(code),
	             field, err.message);
	cr_assert_str_eq(err.field, field);
	call_free(&c);
}

Test(service_calls, open_names_the_bad_field)
{
	char big[CALL_LOCATION_MAX + 2];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	expect_open_error(&(struct call_open_request){ .channel = "pigeon" },
	                  HTD_ERR_INVALID, "channel");
	expect_open_error(&(struct call_open_request){ .language = "english" },
	                  HTD_ERR_INVALID, "language");
	expect_open_error(&(struct call_open_request){ .location = big },
	                  HTD_ERR_TOO_LARGE, "location");
	expect_open_error(&(struct call_open_request){ .location = "a\x01b" },
	                  HTD_ERR_INVALID, "location");
	expect_open_error(
	    &(struct call_open_request){ .caller_name = "\xff\xfe" },
	    HTD_ERR_INVALID, "caller_name");
	expect_open_error(&(struct call_open_request){ .callback = "call me" },
	                  HTD_ERR_INVALID, "callback");
	/* Nothing was stored by the failed attempts. */
	struct call_filter f = { 0 };
	struct call_page p;
	struct htd_error err;
	cr_assert_eq(calls_list(&svc, &f, &p, &err), HTD_OK);
	cr_assert_eq(p.n, 0);
	call_page_free(&p);
}

Test(service_calls, answers_notes_and_close)
{
	struct call c;
	struct htd_error err;
	call_init(&c);
	open_one(&(struct call_open_request){ 0 }, &c);
	now += 1000;
	cr_assert_eq(calls_record_answer(&svc, "user:ana", c.ref,
	                                 "free_to_leave", " NO ", &c, &err),
	             HTD_OK, "%s", err.message);
	cr_assert_str_eq(call_answer_get(&c, "free_to_leave")->value, "no");
	cr_assert_eq(calls_record_answer(&svc, "user:ana", c.ref, "language",
	                                 "ES", &c, &err),
	             HTD_OK, "%s", err.message);
	cr_assert_str_eq(c.language, "es");
	cr_assert_eq(calls_record_answer(&svc, "user:ana", c.ref,
	                                 "free_to_leave", "unknown", &c, &err),
	             HTD_OK);
	cr_assert_eq(c.n_answers, 2);
	cr_assert_str_eq(c.answers[0].question, "free_to_leave");
	cr_assert_str_eq(c.answers[0].value, "unknown");
	cr_assert_eq(calls_record_answer(&svc, "user:ana", c.ref,
	                                 "free_to_leave", "maybe", &c, &err),
	             HTD_ERR_INVALID);
	cr_assert_str_eq(err.field, "value");
	cr_assert_eq(calls_record_answer(&svc, "user:ana", c.ref,
	                                 "Free To Leave", "no", &c, &err),
	             HTD_ERR_INVALID);
	cr_assert_str_eq(err.field, "question");

	cr_assert_eq(calls_add_note(&svc, "user:ana", c.ref,
	                            "boss keeps my passport\nno lo dejan salir",
	                            &c, &err),
	             HTD_OK);
	cr_assert_eq(c.note_count, 1);
	cr_assert_eq(calls_add_note(&svc, "user:ana", c.ref, "   ", &c, &err),
	             HTD_ERR_INVALID);
	cr_assert_str_eq(err.field, "text");

	now += 1000;
	cr_assert_eq(calls_close(&svc, "user:sup", c.ref, "referred_hotline",
	                         "gave 1-888-373-7888", &c, &err),
	             HTD_OK);
	cr_assert_eq(c.status, CALL_STATUS_CLOSED);
	cr_assert_eq(c.closed_at_ms, now);
	cr_assert_eq(c.disposition, CALL_DISPOSITION_REFERRED_HOTLINE);

	/* Closed: answers and a second close conflict; notes still go in. */
	cr_assert_eq(calls_record_answer(&svc, "user:ana", c.ref, "escaped",
	                                 "yes", &c, &err),
	             HTD_ERR_CONFLICT);
	cr_assert_eq(
	    calls_close(&svc, "user:ana", c.ref, "unfounded", "", &c, &err),
	    HTD_ERR_CONFLICT);
	cr_assert_eq(calls_add_note(&svc, "user:inv", c.ref,
	                            "follow-up: victim placed in shelter", &c,
	                            &err),
	             HTD_OK);
	cr_assert_eq(c.note_count, 2);
	cr_assert_eq(calls_close(&svc, "user:ana", c.ref, "done", "", &c, &err),
	             HTD_ERR_INVALID);
	cr_assert_str_eq(err.field, "disposition");
	cr_assert_eq(calls_verify(&svc, c.ref, &err), HTD_OK, "%s",
	             err.message);
	call_free(&c);
}

Test(service_calls, unknown_and_malformed_ids)
{
	struct call c;
	struct htd_error err;
	call_init(&c);
	cr_assert_eq(calls_get(&svc, "HT-2026-000042", &c, &err),
	             HTD_ERR_NOT_FOUND);
	cr_assert_eq(calls_get(&svc, "42", &c, &err), HTD_ERR_INVALID);
	cr_assert_str_eq(err.field, "id");
	cr_assert_eq(calls_add_note(&svc, "a", "HT-2026-000042", "x", &c, &err),
	             HTD_ERR_NOT_FOUND);
	cr_assert_eq(calls_get(&svc, "'; DROP TABLE calls; --", &c, &err),
	             HTD_ERR_INVALID);
}

struct history {
	int n;
	char types[8][32];
};

static int collect(void *ctx, const struct store_event *e)
{
	struct history *h = ctx;
	cr_assert_eq(e->seq, h->n + 1);
	if (h->n < 8)
		snprintf(h->types[h->n], sizeof(h->types[0]), "%s", e->type);
	h->n++;
	return 0;
}

Test(service_calls, history_is_in_order)
{
	struct call c;
	struct htd_error err;
	call_init(&c);
	open_one(&(struct call_open_request){ 0 }, &c);
	calls_add_note(&svc, "a", c.ref, "one", &c, &err);
	calls_record_answer(&svc, "a", c.ref, "escaped", "yes", &c, &err);
	calls_close(&svc, "a", c.ref, "officer_handled", "", &c, &err);
	struct history h = { 0 };
	cr_assert_eq(calls_history(&svc, c.ref, collect, &h, &err), HTD_OK);
	cr_assert_eq(h.n, 4);
	cr_assert_str_eq(h.types[0], "call_opened");
	cr_assert_str_eq(h.types[1], "note_added");
	cr_assert_str_eq(h.types[2], "answer_recorded");
	cr_assert_str_eq(h.types[3], "call_closed");
	call_free(&c);
}

Test(service_calls, query_parse_names_the_field)
{
	struct call_filter f;
	struct htd_error err;
	struct calls_query ok = { .status = "open",
		                  .category = "victim_call",
		                  .since = "2026-05-01",
		                  .until = "2026-05-02T00:00:00Z",
		                  .limit = "10",
		                  .after = "ht-2026-7" };
	cr_assert_eq(calls_query_parse(&ok, &f, &err), HTD_OK, "%s",
	             err.message);
	cr_assert(f.by_status && f.status == CALL_STATUS_OPEN);
	cr_assert(f.by_category && f.category == CALL_CATEGORY_VICTIM_CALL);
	cr_assert_eq(f.since_ms, tu_local_ms("2026-05-01T00:00:00"));
	cr_assert_eq(f.limit, 10);
	cr_assert_str_eq(f.after, "HT-2026-000007");

	static const struct {
		struct calls_query q;
		const char *field;
	} bad[] = {
		{ { .status = "pending" }, "status" },
		{ { .category = "victim" }, "category" },
		{ { .since = "yesterday" }, "since" },
		{ { .until = "2026-02-30" }, "until" },
		{ { .since = "2026-05-02", .until = "2026-05-01" }, "until" },
		{ { .limit = "0" }, "limit" },
		{ { .limit = "1001" }, "limit" },
		{ { .limit = "10abc" }, "limit" },
		{ { .after = "HT-26-1" }, "after" },
		{ { .until = "1970-01-01T00:00:00Z" }, "until" },
		{ { .since = "2026-01-01", .until = "1970-01-01T00:00Z" },
		  "until" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		htd_error_clear(&err);
		cr_assert_eq(calls_query_parse(&bad[i].q, &f, &err),
		             HTD_ERR_INVALID, "case %zu", i);
		cr_assert_str_eq(err.field, bad[i].field, "case %zu: %s", i,
		                 err.message);
	}
}

Test(service_calls, verify_catches_a_projection_changed_outside)
{
	struct call c;
	struct htd_error err;
	call_init(&c);
	open_one(&(struct call_open_request){ .location = "farm road 9" }, &c);
	calls_record_answer(&svc, "a", c.ref, "in_danger_now", "yes", &c, &err);
	long n = 0;
	cr_assert_eq(calls_verify_all(&svc, &n, &err), HTD_OK, "%s",
	             err.message);
	cr_assert_eq(n, 1);

	sqlite3 *h;
	cr_assert_eq(sqlite3_open(db, &h), SQLITE_OK);
	cr_assert_eq(
	    sqlite3_exec(h, "UPDATE calls SET location_text = 'elsewhere'",
	                 NULL, NULL, NULL),
	    SQLITE_OK);
	cr_assert_eq(calls_verify(&svc, c.ref, &err), HTD_ERR_CORRUPT);
	cr_assert(strstr(err.message, "location"), "%s", err.message);
	cr_assert(strstr(err.message, c.ref), "%s", err.message);

	cr_assert_eq(sqlite3_exec(h,
	                          "UPDATE calls SET location_text = 'farm road "
	                          "9'; UPDATE call_answers SET value = 'no'",
	                          NULL, NULL, NULL),
	             SQLITE_OK);
	cr_assert_eq(calls_verify_all(&svc, &n, &err), HTD_ERR_CORRUPT);
	cr_assert(strstr(err.message, "answers"), "%s", err.message);
	sqlite3_close(h);
	call_free(&c);
}
