/*
 * test_call.c - unit tests of core/call.c: enum names, call references,
 * language tags and answers, event validation, the event -> projection
 * state machine (call_apply) including indicators, decisions, overrides
 * and marks, and call_copy / call_equal.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/call.h"
#include "util/mem.h"

#define T0 INT64_C(1795942459123) /* 2026-11-29T08:54:19.123Z */

/* ---- helpers ----------------------------------------------------------- */

static struct call_event opened_event(void)
{
	struct call_event e;
	memset(&e, 0, sizeof(e));
	e.type = CALL_EVENT_OPENED;
	e.at_ms = T0;
	e.actor = "user:jsmith";
	e.u.opened.channel = CALL_CHANNEL_TEXT;
	e.u.opened.language = "es-MX";
	e.u.opened.location_text = "Motel 6, I-35 exit 12";
	e.u.opened.callback_number = "+1 (312) 555-0100";
	e.u.opened.caller_name = "";
	return e;
}

static struct call_event note_event(int64_t at, const char *text)
{
	struct call_event e;
	memset(&e, 0, sizeof(e));
	e.type = CALL_EVENT_NOTE_ADDED;
	e.at_ms = at;
	e.actor = "user:jsmith";
	e.u.note.text = text;
	return e;
}

static struct call_event answer_event(int64_t at, const char *question,
                                      const char *value)
{
	struct call_event e;
	memset(&e, 0, sizeof(e));
	e.type = CALL_EVENT_ANSWER_RECORDED;
	e.at_ms = at;
	e.actor = "user:jsmith";
	e.u.answer.question = question;
	e.u.answer.value = value;
	return e;
}

static struct call_event
closed_event(int64_t at, enum call_disposition disposition, const char *summary)
{
	struct call_event e;
	memset(&e, 0, sizeof(e));
	e.type = CALL_EVENT_CLOSED;
	e.at_ms = at;
	e.actor = "user:supervisor";
	e.u.closed.disposition = disposition;
	e.u.closed.summary = summary;
	return e;
}

/* Returns a malloc'd string of `n` copies of `c`. */
static char *repeat(char c, size_t n)
{
	char *s = xmalloc(n + 1);
	memset(s, c, n);
	s[n] = '\0';
	return s;
}

static void apply_ok(struct call *c, const struct call_event *e)
{
	struct htd_error err;
	htd_error_clear(&err);
	enum htd_err rc = call_apply(c, e, &err);
	cr_assert_eq(rc, HTD_OK, "call_apply(%s): %s",
	             call_event_type_name(e->type), err.message);
}

/* Applies `e`, expecting HTD_ERR_CONFLICT and `c` unchanged. */
static void apply_conflict(struct call *c, const struct call_event *e)
{
	struct call before;
	struct htd_error err;
	char what[64] = "";
	call_copy(&before, c);
	enum htd_err rc = call_apply(c, e, &err);
	cr_assert_eq(rc, HTD_ERR_CONFLICT, "%s was applied (rc %s)",
	             call_event_type_name(e->type), htd_err_name(rc));
	cr_assert_eq(err.code, HTD_ERR_CONFLICT);
	cr_assert_gt(strlen(err.message), 0);
	cr_assert(call_equal(&before, c, what, sizeof(what)),
	          "a refused %s changed '%s'", call_event_type_name(e->type),
	          what);
	call_free(&before);
}

/* Validates `e`, expecting `code` with `field` named. */
static void invalid(const struct call_event *e, enum htd_err code,
                    const char *field)
{
	struct htd_error err;
	htd_error_clear(&err);
	enum htd_err rc = call_event_validate(e, &err);
	cr_assert_eq(rc, code, "expected %s on %s, got %s (%s)",
	             htd_err_name(code), field, htd_err_name(rc), err.message);
	cr_assert_eq(err.code, code);
	cr_assert_str_eq(err.field, field);
	cr_assert_gt(strlen(err.message), 0);
}

static void valid(const struct call_event *e)
{
	struct htd_error err;
	htd_error_clear(&err);
	enum htd_err rc = call_event_validate(e, &err);
	cr_assert_eq(rc, HTD_OK, "rejected: %s (field %s)", err.message,
	             err.field);
}

/* ---- names ------------------------------------------------------------- */

Test(call_names, channels_round_trip)
{
	static const char *const want[] = { "voice", "text",  "tty",
		                            "video", "admin", "transfer" };
	cr_assert_eq(CALL_CHANNEL__COUNT, 6);
	for (int i = 0; i < CALL_CHANNEL__COUNT; i++) {
		enum call_channel c = CALL_CHANNEL__COUNT;
		cr_assert_str_eq(call_channel_name((enum call_channel)i),
		                 want[i]);
		cr_assert(call_channel_parse(want[i], &c));
		cr_assert_eq((int)c, i);
		cr_assert_gt(
		    strlen(call_channel_description((enum call_channel)i)), 0);
		cr_assert_str_neq(
		    call_channel_description((enum call_channel)i), "?");
	}
	cr_assert_str_eq(call_channel_name(CALL_CHANNEL__COUNT), "?");
	cr_assert_str_eq(call_channel_name((enum call_channel) - 1), "?");
	cr_assert_str_eq(call_channel_description(CALL_CHANNEL__COUNT), "?");
}

Test(call_names, statuses_round_trip)
{
	enum call_status s = CALL_STATUS__COUNT;
	cr_assert_str_eq(call_status_name(CALL_STATUS_OPEN), "open");
	cr_assert_str_eq(call_status_name(CALL_STATUS_CLOSED), "closed");
	for (int i = 0; i < CALL_STATUS__COUNT; i++) {
		cr_assert(call_status_parse(call_status_name(i), &s));
		cr_assert_eq((int)s, i);
	}
	cr_assert_str_eq(call_status_name(CALL_STATUS__COUNT), "?");
}

Test(call_names, categories_round_trip)
{
	static const char *const want[] = { "undetermined", "victim_escape",
		                            "victim_call", "credible_tip",
		                            "other" };
	cr_assert_eq(CALL_CATEGORY__COUNT, 5);
	for (int i = 0; i < CALL_CATEGORY__COUNT; i++) {
		enum call_category c = CALL_CATEGORY__COUNT;
		cr_assert_str_eq(call_category_name((enum call_category)i),
		                 want[i]);
		cr_assert(call_category_parse(want[i], &c));
		cr_assert_eq((int)c, i);
	}
	cr_assert_str_eq(call_category_name(CALL_CATEGORY__COUNT), "?");
}

Test(call_names, dispositions_round_trip)
{
	static const char *const want[] = {
		"officer_handled",  "transferred_tip_line",
		"referred_hotline", "referred_other_agency",
		"information_only", "unfounded",
		"duplicate",        "disconnected",
	};
	cr_assert_eq(CALL_DISPOSITION__COUNT, 8);
	for (int i = 0; i < CALL_DISPOSITION__COUNT; i++) {
		enum call_disposition d = CALL_DISPOSITION_NONE;
		cr_assert_str_eq(
		    call_disposition_name((enum call_disposition)i), want[i]);
		cr_assert(call_disposition_parse(want[i], &d));
		cr_assert_eq((int)d, i);
		cr_assert_gt(strlen(call_disposition_description(
		                 (enum call_disposition)i)),
		             0);
	}
	/* "none" is the empty name and cannot be parsed. */
	cr_assert_str_eq(call_disposition_name(CALL_DISPOSITION_NONE), "");
	cr_assert_str_eq(call_disposition_description(CALL_DISPOSITION_NONE),
	                 "");
	enum call_disposition d = CALL_DISPOSITION_UNFOUNDED;
	cr_assert_not(call_disposition_parse("", &d));
	cr_assert_eq(d, CALL_DISPOSITION_UNFOUNDED);
	cr_assert_str_eq(call_disposition_name((enum call_disposition)99), "?");
}

Test(call_names, event_types_round_trip)
{
	static const char *const want[] = {
		"call_opened",         "note_added",        "answer_recorded",
		"call_closed",         "indicators_found",  "decision_made",
		"category_overridden", "action_marked",     "notice_queued",
		"notice_delivered",    "notice_failed",     "notice_cancelled",
		"task_confirmed",      "records_suggested", "record_linked",
	};
	cr_assert_eq(CALL_EVENT__COUNT, 15);
	for (int i = 0; i < CALL_EVENT__COUNT; i++) {
		enum call_event_type t = CALL_EVENT__COUNT;
		cr_assert_str_eq(call_event_type_name((enum call_event_type)i),
		                 want[i]);
		cr_assert(call_event_type_parse(want[i], &t));
		cr_assert_eq((int)t, i);
	}
	cr_assert_str_eq(call_event_type_name(CALL_EVENT__COUNT), "?");
}

Test(call_names, action_states_round_trip)
{
	static const char *const want[] = { "required", "done",
		                            "not_applicable", "not_required" };
	cr_assert_eq(CALL_ACTION__COUNT, 4);
	for (int i = 0; i < CALL_ACTION__COUNT; i++) {
		enum call_action_state a = CALL_ACTION__COUNT;
		cr_assert_str_eq(
		    call_action_state_name((enum call_action_state)i), want[i]);
		cr_assert(call_action_state_parse(want[i], &a));
		cr_assert_eq((int)a, i);
	}
	cr_assert_str_eq(call_action_state_name(CALL_ACTION__COUNT), "?");
	enum call_action_state a = CALL_ACTION_DONE;
	cr_assert_not(call_action_state_parse("Done", &a));
	cr_assert_not(call_action_state_parse("n/a", &a));
	cr_assert_not(call_action_state_parse(NULL, &a));
	cr_assert_eq(a, CALL_ACTION_DONE, "out changed on failure");
}

Test(call_names, parse_is_exact)
{
	enum call_channel c = CALL_CHANNEL_TTY;
	enum call_status s = CALL_STATUS_CLOSED;
	enum call_category g = CALL_CATEGORY_OTHER;
	enum call_event_type t = CALL_EVENT_CLOSED;
	static const char *const bad[] = { "",       "Voice",  "VOICE",
		                           " voice", "voice ", "voic",
		                           "voicex", "?" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_not(call_channel_parse(bad[i], &c), "'%s'", bad[i]);
	cr_assert_not(call_channel_parse(NULL, &c));
	cr_assert_eq(c, CALL_CHANNEL_TTY, "out changed on failure");
	cr_assert_not(call_status_parse("OPEN", &s));
	cr_assert_not(call_status_parse(NULL, &s));
	cr_assert_eq(s, CALL_STATUS_CLOSED);
	cr_assert_not(call_category_parse("victim-call", &g));
	cr_assert_eq(g, CALL_CATEGORY_OTHER);
	cr_assert_not(call_event_type_parse("opened", &t));
	cr_assert_not(call_event_type_parse("", &t));
	cr_assert_eq(t, CALL_EVENT_CLOSED);
}

/* ---- call references -------------------------------------------------- */

Test(call_ref, format)
{
	char out[CALL_REF_MAX];
	cr_assert(call_ref_format(2026, 1, out, sizeof(out)));
	cr_assert_str_eq(out, "HT-2026-000001");
	cr_assert(call_ref_format(2026, 123456, out, sizeof(out)));
	cr_assert_str_eq(out, "HT-2026-123456");
	cr_assert(call_ref_format(2026, 1234567, out, sizeof(out)));
	cr_assert_str_eq(out, "HT-2026-1234567");
	cr_assert(
	    call_ref_format(1970, INT64_C(999999999999), out, sizeof(out)));
	cr_assert_str_eq(out, "HT-1970-999999999999");
	cr_assert(call_ref_format(9999, 42, out, sizeof(out)));
	cr_assert_str_eq(out, "HT-9999-000042");
}

Test(call_ref, format_rejects_out_of_range_and_small_buffers)
{
	char out[CALL_REF_MAX];
	cr_assert_not(call_ref_format(1969, 1, out, sizeof(out)));
	cr_assert_not(call_ref_format(10000, 1, out, sizeof(out)));
	cr_assert_not(call_ref_format(2026, 0, out, sizeof(out)));
	cr_assert_not(call_ref_format(2026, -1, out, sizeof(out)));
	cr_assert_not(
	    call_ref_format(2026, INT64_C(1000000000000), out, sizeof(out)));
	/* "HT-2026-000001" is 14 characters. */
	cr_assert_not(call_ref_format(2026, 1, out, 14));
	cr_assert(call_ref_format(2026, 1, out, 15));
	cr_assert_str_eq(out, "HT-2026-000001");
}

Test(call_ref, parse_is_lenient_about_case_and_zeros)
{
	static const struct {
		const char *s;
		int year;
		int64_t seq;
	} ok[] = {
		{ "HT-2026-000001", 2026, 1 },
		{ "ht-2026-123", 2026, 123 },
		{ "Ht-2026-0000123", 2026, 123 },
		{ "hT-2026-7", 2026, 7 },
		{ "HT-1970-1", 1970, 1 },
		{ "HT-9999-999999999999", 9999, INT64_C(999999999999) },
		{ "HT-2026-1234567", 2026, 1234567 },
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		int year = 0;
		int64_t seq = 0;
		cr_assert(call_ref_parse(ok[i].s, &year, &seq), "'%s'",
		          ok[i].s);
		cr_assert_eq(year, ok[i].year, "'%s'", ok[i].s);
		cr_assert_eq(seq, ok[i].seq, "'%s'", ok[i].s);
	}
}

Test(call_ref, parse_rejects_garbage)
{
	static const char *const bad[] = {
		"",
		"H",
		"HT",
		"HT-",
		"HT-2026",
		"HT-2026-",
		"HT-26-1",
		"HT-20261-1",
		"HT-2026-1a",
		"HT-2026-1 ",
		" HT-2026-1",
		"HT_2026_1",
		"HT 2026 1",
		"XT-2026-1",
		"HTT-2026-1",
		"HT-2026--1",
		"HT-2026-+1",
		"HT-2O26-1",
		"HT-2026-0",
		"HT-2026-000000",
		"HT-1969-1",
		"HT-0000-1",
		"HT-2026-9999999999999", /* 13 digits */
		"HT-2026-1000000000000",
		"HT-2026-99999999999999999999999",
		"2026-000001",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int year = -1;
		int64_t seq = -1;
		cr_assert_not(call_ref_parse(bad[i], &year, &seq), "'%s'",
		              bad[i]);
		cr_assert_eq(year, -1, "'%s' changed year", bad[i]);
		cr_assert_eq(seq, -1, "'%s' changed seq", bad[i]);
	}
	int year;
	int64_t seq;
	cr_assert_not(call_ref_parse(NULL, &year, &seq));
}

Test(call_ref, format_then_parse_round_trips)
{
	static const int64_t seqs[] = {
		1, 99, 100000, 999999, 1000000, INT64_C(999999999999)
	};
	for (size_t i = 0; i < sizeof(seqs) / sizeof(seqs[0]); i++) {
		char out[CALL_REF_MAX];
		int year;
		int64_t seq;
		cr_assert(call_ref_format(2031, seqs[i], out, sizeof(out)));
		cr_assert(call_ref_parse(out, &year, &seq), "%s", out);
		cr_assert_eq(year, 2031);
		cr_assert_eq(seq, seqs[i]);
	}
}

/* ---- language tags ---------------------------------------------------- */

Test(call_language, normalises_case)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
		{ "en", "en" },
		{ "EN", "en" },
		{ "es-mx", "es-MX" },
		{ "ES-mx", "es-MX" },
		{ "es-MX", "es-MX" },
		{ "es_MX", "es-MX" },
		{ "es_mx", "es-MX" },
		{ "zh-hant-tw", "zh-Hant-TW" },
		{ "ZH-HANT-TW", "zh-Hant-TW" },
		{ "sr-latn-rs", "sr-Latn-RS" },
		{ "yue", "yue" },
		{ "es-419", "es-419" },
		{ "de-CH-1996", "de-CH-1996" },
		{ "sl-rozaj-biske", "sl-rozaj-biske" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char out[CALL_LANGUAGE_MAX + 1];
		cr_assert(
		    call_language_normalise(cases[i].in, out, sizeof(out)),
		    "'%s' rejected", cases[i].in);
		cr_assert_str_eq(out, cases[i].want);
	}
}

Test(call_language, rejects_malformed_tags)
{
	static const char *const bad[] = {
		"",          "e",         "english1",
		"english",   "es-",       "es_",
		"-es",       "es--MX",    "es-_MX",
		"es MX",     "es.MX",     "12",
		"e1",        "1es",       "es-abcdefghi",
		"abcd",      "es-MX\n",   " es",
		"es ",       "\xc3\xa9s", "es-M\xc3\x89",
		"x-klingon",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char out[64];
		cr_assert_not(call_language_normalise(bad[i], out, sizeof(out)),
		              "accepted '%s'", bad[i]);
	}
	char out[64];
	cr_assert_not(call_language_normalise(NULL, out, sizeof(out)));
}

Test(call_language, length_limits)
{
	char out[64];
	/* 35 bytes is the longest tag; 36 is too long. */
	const char *max = "en-abcdefgh-abcdefgh-abcdefgh-abcde";
	cr_assert_eq(strlen(max), CALL_LANGUAGE_MAX);
	cr_assert(call_language_normalise(max, out, sizeof(out)));
	cr_assert_str_eq(out, max);
	const char *over = "en-abcdefgh-abcdefgh-abcdefgh-abcdef";
	cr_assert_eq(strlen(over), CALL_LANGUAGE_MAX + 1);
	cr_assert_not(call_language_normalise(over, out, sizeof(out)));
	/* The output must have room for the NUL. */
	cr_assert_not(call_language_normalise("es-MX", out, 5));
	cr_assert(call_language_normalise("es-MX", out, 6));
	cr_assert_str_eq(out, "es-MX");
	cr_assert_not(call_language_normalise("es", out, 0));
}

/* ---- answers ---------------------------------------------------------- */

static const char *const yes_no_questions[] = {
	"caller_is_victim",  "victim_present",    "escaped",
	"in_danger_now",     "happening_now",     "safe_to_talk",
	"free_to_leave",     "has_own_documents", "minor_involved",
	"specific_location", "first_hand",
};

Test(call_answer, kinds_of_the_well_known_questions)
{
	for (size_t i = 0;
	     i < sizeof(yes_no_questions) / sizeof(yes_no_questions[0]); i++)
		cr_assert_eq(call_answer_kind(yes_no_questions[i]),
		             CALL_ANSWER_YES_NO, "%s", yes_no_questions[i]);
	cr_assert_eq(call_answer_kind("language"), CALL_ANSWER_LANGUAGE);
	cr_assert_eq(call_answer_kind("vehicle"), CALL_ANSWER_FREE);
	cr_assert_eq(call_answer_kind("Escaped"), CALL_ANSWER_FREE);
	cr_assert_eq(call_answer_kind(""), CALL_ANSWER_FREE);
	cr_assert_eq(call_answer_kind(NULL), CALL_ANSWER_FREE);
}

Test(call_answer, yes_no_is_case_insensitive_and_canonical)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
		{ "yes", "yes" },         { "YES", "yes" },
		{ "Yes", "yes" },         { "no", "no" },
		{ "No", "no" },           { "nO", "no" },
		{ "unknown", "unknown" }, { "UNKNOWN", "unknown" },
		{ "Unknown", "unknown" },
	};
	for (size_t q = 0;
	     q < sizeof(yes_no_questions) / sizeof(yes_no_questions[0]); q++) {
		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			char out[CALL_ANSWER_MAX + 1] = "";
			struct htd_error err;
			cr_assert_eq(call_answer_normalise(yes_no_questions[q],
			                                   cases[i].in, out,
			                                   sizeof(out), &err),
			             HTD_OK, "%s=%s", yes_no_questions[q],
			             cases[i].in);
			cr_assert_str_eq(out, cases[i].want);
		}
	}
}

Test(call_answer, yes_no_rejects_other_values)
{
	static const char *const bad[] = { "y",  "n",    "maybe", "true",
		                           "1",  " yes", "yes ",  "yes.",
		                           "si", "ye",   "yess" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char out[CALL_ANSWER_MAX + 1];
		struct htd_error err;
		cr_assert_eq(call_answer_normalise("free_to_leave", bad[i], out,
		                                   sizeof(out), &err),
		             HTD_ERR_INVALID, "accepted '%s'", bad[i]);
		cr_assert_str_eq(err.field, "value");
		cr_assert_not_null(strstr(err.message, "free_to_leave"));
	}
}

Test(call_answer, language_takes_a_tag)
{
	char out[CALL_ANSWER_MAX + 1];
	struct htd_error err;
	cr_assert_eq(
	    call_answer_normalise("language", "ES-mx", out, sizeof(out), &err),
	    HTD_OK);
	cr_assert_str_eq(out, "es-MX");
	cr_assert_eq(call_answer_normalise("language", "zh_hant_tw", out,
	                                   sizeof(out), &err),
	             HTD_OK);
	cr_assert_str_eq(out, "zh-Hant-TW");
	cr_assert_eq(call_answer_normalise("language", "Spanish", out,
	                                   sizeof(out), &err),
	             HTD_ERR_INVALID);
	cr_assert_str_eq(err.field, "value");
	cr_assert_eq(
	    call_answer_normalise("language", "yes", out, sizeof(out), &err),
	    HTD_OK, "'yes' is a well-formed 3-letter tag");
}

Test(call_answer, free_text_for_other_questions)
{
	char out[CALL_ANSWER_MAX + 1];
	struct htd_error err;
	cr_assert_eq(call_answer_normalise("vehicle",
	                                   "White van, plate ABC-123", out,
	                                   sizeof(out), &err),
	             HTD_OK);
	cr_assert_str_eq(out, "White van, plate ABC-123");
	/* Not lower-cased, not trimmed. */
	cr_assert_eq(
	    call_answer_normalise("q2", " YES ", out, sizeof(out), &err),
	    HTD_OK);
	cr_assert_str_eq(out, " YES ");
	cr_assert_eq(call_answer_normalise("note_1", "se\xc3\xb1or", out,
	                                   sizeof(out), &err),
	             HTD_OK);
	cr_assert_str_eq(out, "se\xc3\xb1or");
}

Test(call_answer, free_text_bounds_and_content)
{
	char out[CALL_ANSWER_MAX + 1];
	struct htd_error err;
	char *max = repeat('v', CALL_ANSWER_MAX);
	char *over = repeat('v', CALL_ANSWER_MAX + 1);
	cr_assert_eq(
	    call_answer_normalise("vehicle", max, out, sizeof(out), &err),
	    HTD_OK);
	cr_assert_str_eq(out, max);
	cr_assert_eq(
	    call_answer_normalise("vehicle", over, out, sizeof(out), &err),
	    HTD_ERR_TOO_LARGE);
	cr_assert_str_eq(err.field, "value");
	/* An output too small for the value is an error, not a cut. */
	cr_assert_eq(call_answer_normalise("vehicle", "abcdef", out, 4, &err),
	             HTD_ERR_TOO_LARGE);
	cr_assert_str_eq(err.field, "value");
	free(max);
	free(over);

	static const char *const bad[] = { "",       "two\nlines", "tab\there",
		                           "\xc3",   "\xc0\xaf",   "a\xc2\x85",
		                           "esc\x1b" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_assert_eq(call_answer_normalise("vehicle", bad[i], out,
		                                   sizeof(out), &err),
		             HTD_ERR_INVALID, "accepted case %zu", i);
		cr_assert_str_eq(err.field, "value");
	}
	cr_assert_eq(
	    call_answer_normalise("vehicle", NULL, out, sizeof(out), &err),
	    HTD_ERR_INVALID);
	cr_assert_str_eq(err.field, "value");
}

Test(call_answer, invalid_question_ids)
{
	char *long_id = repeat('q', CALL_QUESTION_ID_MAX + 1);
	char *max_id = repeat('q', CALL_QUESTION_ID_MAX);
	const char *bad[] = { "",           "Free_to_leave", "1abc",
		              "_x",         "free-to-leave", "free to leave",
		              "free.leave", "caf\xc3\xa9",   "q\n",
		              long_id };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char out[CALL_ANSWER_MAX + 1];
		struct htd_error err;
		cr_assert_eq(call_answer_normalise(bad[i], "yes", out,
		                                   sizeof(out), &err),
		             HTD_ERR_INVALID, "accepted question '%s'", bad[i]);
		cr_assert_str_eq(err.field, "question");
	}
	char out[CALL_ANSWER_MAX + 1];
	struct htd_error err;
	cr_assert_eq(call_answer_normalise(NULL, "yes", out, sizeof(out), &err),
	             HTD_ERR_INVALID);
	cr_assert_str_eq(err.field, "question");
	cr_assert_eq(call_answer_normalise(max_id, "x", out, sizeof(out), &err),
	             HTD_OK);
	cr_assert_eq(call_answer_normalise("a9_b", "x", out, sizeof(out), &err),
	             HTD_OK);
	free(long_id);
	free(max_id);
}

/* ---- event validation ------------------------------------------------- */

Test(call_validate, good_events)
{
	struct call_event e = opened_event();
	valid(&e);
	e.u.opened.location_text = NULL;
	e.u.opened.callback_number = NULL;
	e.u.opened.caller_name = NULL;
	valid(&e);
	e = note_event(T0,
	               "Caller says she is\nkept at the motel.\r\n\tRoom 12.");
	valid(&e);
	e = answer_event(T0, "free_to_leave", "no");
	valid(&e);
	e = answer_event(T0, "language", "zh-Hant-TW");
	valid(&e);
	e = answer_event(T0, "vehicle", "Red truck");
	valid(&e);
	e = closed_event(T0, CALL_DISPOSITION_REFERRED_HOTLINE,
	                 "Referred.\nCaller safe.");
	valid(&e);
	e.u.closed.summary = "";
	valid(&e);
	e.u.closed.summary = NULL;
	valid(&e);
}

Test(call_validate, common_fields)
{
	struct call_event e = note_event(T0, "text");
	e.type = CALL_EVENT__COUNT;
	invalid(&e, HTD_ERR_INVALID, "type");
	e.type = (enum call_event_type) - 1;
	invalid(&e, HTD_ERR_INVALID, "type");

	e = note_event(0, "text");
	invalid(&e, HTD_ERR_INVALID, "at");
	e.at_ms = -5;
	invalid(&e, HTD_ERR_INVALID, "at");
	e.at_ms = 1;
	valid(&e);

	e.actor = NULL;
	invalid(&e, HTD_ERR_INVALID, "actor");
	e.actor = "";
	invalid(&e, HTD_ERR_INVALID, "actor");
	e.actor = "user:a\nuser:b";
	invalid(&e, HTD_ERR_INVALID, "actor");
	e.actor = "user:\xff";
	invalid(&e, HTD_ERR_INVALID, "actor");
	char *actor = repeat('a', CALL_ACTOR_MAX);
	e.actor = actor;
	valid(&e);
	free(actor);
	actor = repeat('a', CALL_ACTOR_MAX + 1);
	e.actor = actor;
	invalid(&e, HTD_ERR_TOO_LARGE, "actor");
	free(actor);
}

Test(call_validate, opened_channel_and_language)
{
	struct call_event e = opened_event();
	e.u.opened.channel = CALL_CHANNEL__COUNT;
	invalid(&e, HTD_ERR_INVALID, "channel");
	e.u.opened.channel = (enum call_channel) - 1;
	invalid(&e, HTD_ERR_INVALID, "channel");

	e = opened_event();
	static const char *const bad[] = { "es-mx", "ES",       "es_MX", "",
		                           "e",     "english1", "es-" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		e.u.opened.language = bad[i];
		invalid(&e, HTD_ERR_INVALID, "language");
	}
	e.u.opened.language = NULL;
	invalid(&e, HTD_ERR_INVALID, "language");
	e.u.opened.language = "zh-Hant-TW";
	valid(&e);
}

Test(call_validate, opened_location)
{
	struct call_event e = opened_event();
	char *s = repeat('L', CALL_LOCATION_MAX);
	e.u.opened.location_text = s;
	valid(&e);
	free(s);
	s = repeat('L', CALL_LOCATION_MAX + 1);
	e.u.opened.location_text = s;
	invalid(&e, HTD_ERR_TOO_LARGE, "location");
	free(s);
	e.u.opened.location_text = "line 1\nline 2";
	invalid(&e, HTD_ERR_INVALID, "location");
	e.u.opened.location_text = "bad \xed\xa0\x80 surrogate";
	invalid(&e, HTD_ERR_INVALID, "location");
	e.u.opened.location_text = "";
	valid(&e);
}

Test(call_validate, opened_callback_number)
{
	struct call_event e = opened_event();
	static const char *const ok[] = { "+1 (312) 555-0100", "312-555-0100",
		                          "3125550100 x12", "911",
		                          "+52.55.1234.5678" };
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		e.u.opened.callback_number = ok[i];
		valid(&e);
	}
	static const char *const bad[] = { "abc",          "12",
		                           "555#1234",     "555*1234",
		                           "call me",      "+-()",
		                           "312/555/0100", "312,555,0100" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		e.u.opened.callback_number = bad[i];
		invalid(&e, HTD_ERR_INVALID, "callback");
	}
	e.u.opened.callback_number = "312\n5550100";
	invalid(&e, HTD_ERR_INVALID, "callback");
	char *s = repeat('5', CALL_CALLBACK_MAX);
	e.u.opened.callback_number = s;
	valid(&e);
	free(s);
	s = repeat('5', CALL_CALLBACK_MAX + 1);
	e.u.opened.callback_number = s;
	invalid(&e, HTD_ERR_TOO_LARGE, "callback");
	free(s);
}

Test(call_validate, opened_caller_name)
{
	struct call_event e = opened_event();
	e.u.opened.caller_name = "Mar\xc3\xad"
	                         "a Jos\xc3\xa9";
	valid(&e);
	char *s = repeat('n', CALL_CALLER_NAME_MAX);
	e.u.opened.caller_name = s;
	valid(&e);
	free(s);
	s = repeat('n', CALL_CALLER_NAME_MAX + 1);
	e.u.opened.caller_name = s;
	invalid(&e, HTD_ERR_TOO_LARGE, "caller_name");
	free(s);
	e.u.opened.caller_name = "Ana\xc2\x85";
	invalid(&e, HTD_ERR_INVALID, "caller_name");
	e.u.opened.caller_name = "Ana\tB";
	invalid(&e, HTD_ERR_INVALID, "caller_name");
}

Test(call_validate, note_text)
{
	struct call_event e = note_event(T0, "");
	invalid(&e, HTD_ERR_INVALID, "text");
	e.u.note.text = NULL;
	invalid(&e, HTD_ERR_INVALID, "text");
	char *s = repeat('t', CALL_NOTE_MAX);
	e.u.note.text = s;
	valid(&e);
	free(s);
	s = repeat('t', CALL_NOTE_MAX + 1);
	e.u.note.text = s;
	invalid(&e, HTD_ERR_TOO_LARGE, "text");
	free(s);
	e.u.note.text = "bell\a";
	invalid(&e, HTD_ERR_INVALID, "text");
	e.u.note.text = "del\x7f";
	invalid(&e, HTD_ERR_INVALID, "text");
	e.u.note.text = "c1 \xc2\x9b";
	invalid(&e, HTD_ERR_INVALID, "text");
	e.u.note.text = "overlong \xc0\xaf";
	invalid(&e, HTD_ERR_INVALID, "text");
	e.u.note.text = "truncated \xe4\xb8";
	invalid(&e, HTD_ERR_INVALID, "text");
}

Test(call_validate, answers_must_be_canonical)
{
	struct call_event e = answer_event(T0, "free_to_leave", "YES");
	invalid(&e, HTD_ERR_INVALID, "value");
	e.u.answer.value = "yes";
	valid(&e);
	e.u.answer.value = "maybe";
	invalid(&e, HTD_ERR_INVALID, "value");
	e.u.answer.value = "";
	invalid(&e, HTD_ERR_INVALID, "value");
	e.u.answer.value = NULL;
	invalid(&e, HTD_ERR_INVALID, "value");
	e = answer_event(T0, "language", "es-mx");
	invalid(&e, HTD_ERR_INVALID, "value");
	e.u.answer.value = "es-MX";
	valid(&e);
	e = answer_event(T0, "Bad-Id", "x");
	invalid(&e, HTD_ERR_INVALID, "question");
	e.u.answer.question = NULL;
	invalid(&e, HTD_ERR_INVALID, "question");
	char *v = repeat('v', CALL_ANSWER_MAX + 1);
	e = answer_event(T0, "vehicle", v);
	invalid(&e, HTD_ERR_TOO_LARGE, "value");
	free(v);
}

Test(call_validate, closed_disposition_and_summary)
{
	struct call_event e = closed_event(T0, CALL_DISPOSITION__COUNT, "");
	invalid(&e, HTD_ERR_INVALID, "disposition");
	e.u.closed.disposition = CALL_DISPOSITION_NONE;
	invalid(&e, HTD_ERR_INVALID, "disposition");
	e.u.closed.disposition = (enum call_disposition) - 1;
	invalid(&e, HTD_ERR_INVALID, "disposition");
	for (int d = 0; d < CALL_DISPOSITION__COUNT; d++) {
		e.u.closed.disposition = (enum call_disposition)d;
		valid(&e);
	}
	char *s = repeat('s', CALL_SUMMARY_MAX);
	e.u.closed.summary = s;
	valid(&e);
	free(s);
	s = repeat('s', CALL_SUMMARY_MAX + 1);
	e.u.closed.summary = s;
	invalid(&e, HTD_ERR_TOO_LARGE, "summary");
	free(s);
	e.u.closed.summary = "ok\n\x1b[31mred";
	invalid(&e, HTD_ERR_INVALID, "summary");
	e.u.closed.summary = "\xf8\x88\x80\x80\x80";
	invalid(&e, HTD_ERR_INVALID, "summary");
}

/* ---- call_apply ------------------------------------------------------- */

Test(call_apply, init_is_an_empty_open_call)
{
	struct call c;
	call_init(&c);
	cr_assert_eq(c.version, 0);
	cr_assert_eq(c.status, CALL_STATUS_OPEN);
	cr_assert_eq(c.category, CALL_CATEGORY_UNDETERMINED);
	cr_assert_eq(c.disposition, CALL_DISPOSITION_NONE);
	cr_assert_eq(c.n_answers, 0);
	cr_assert_null(c.answers);
	cr_assert_str_eq(c.ref, "");
	call_free(&c);
	call_free(NULL);
}

Test(call_apply, nothing_before_open)
{
	struct call c;
	call_init(&c);
	struct call_event e = note_event(T0, "x");
	apply_conflict(&c, &e);
	e = answer_event(T0, "escaped", "yes");
	apply_conflict(&c, &e);
	e = closed_event(T0, CALL_DISPOSITION_UNFOUNDED, "");
	apply_conflict(&c, &e);
	cr_assert_eq(c.version, 0);
	call_free(&c);
}

Test(call_apply, open_sets_the_projection)
{
	struct call c;
	call_init(&c);
	struct call_event e = opened_event();
	apply_ok(&c, &e);
	cr_assert_eq(c.version, 1);
	cr_assert_eq(c.status, CALL_STATUS_OPEN);
	cr_assert_eq(c.channel, CALL_CHANNEL_TEXT);
	cr_assert_str_eq(c.language, "es-MX");
	cr_assert_str_eq(c.location_text, "Motel 6, I-35 exit 12");
	cr_assert_str_eq(c.callback_number, "+1 (312) 555-0100");
	cr_assert_str_eq(c.caller_name, "");
	cr_assert_str_eq(c.opened_by, "user:jsmith");
	cr_assert_eq(c.opened_at_ms, T0);
	cr_assert_eq(c.updated_at_ms, T0);
	cr_assert_eq(c.closed_at_ms, 0);
	cr_assert_eq(c.disposition, CALL_DISPOSITION_NONE);
	cr_assert_str_eq(c.close_summary, "");
	cr_assert_eq(c.note_count, 0);
	cr_assert_eq(c.n_answers, 0);
	/* The projection owns copies, not the event's strings. */
	cr_assert_neq(c.language, e.u.opened.language);
	cr_assert_neq(c.opened_by, e.actor);
	call_free(&c);
}

Test(call_apply, open_with_null_optional_fields_gives_empty_strings)
{
	struct call c;
	call_init(&c);
	struct call_event e = opened_event();
	e.u.opened.location_text = NULL;
	e.u.opened.callback_number = NULL;
	e.u.opened.caller_name = NULL;
	apply_ok(&c, &e);
	cr_assert_str_eq(c.location_text, "");
	cr_assert_str_eq(c.callback_number, "");
	cr_assert_str_eq(c.caller_name, "");
	call_free(&c);
}

Test(call_apply, open_only_once)
{
	struct call c;
	call_init(&c);
	struct call_event e = opened_event();
	apply_ok(&c, &e);
	e.u.opened.language = "en";
	e.at_ms = T0 + 1000;
	apply_conflict(&c, &e);
	cr_assert_str_eq(c.language, "es-MX");
	cr_assert_eq(c.version, 1);
	/* Still refused once closed. */
	struct call_event cl =
	    closed_event(T0 + 5, CALL_DISPOSITION_DUPLICATE, "");
	apply_ok(&c, &cl);
	apply_conflict(&c, &e);
	call_free(&c);
}

Test(call_apply, answers_replace_and_keep_first_answered_order)
{
	struct call c;
	call_init(&c);
	struct call_event e = opened_event();
	apply_ok(&c, &e);
	e = answer_event(T0 + 10, "free_to_leave", "unknown");
	apply_ok(&c, &e);
	e = answer_event(T0 + 20, "in_danger_now", "yes");
	apply_ok(&c, &e);
	e = answer_event(T0 + 30, "vehicle", "Grey sedan");
	apply_ok(&c, &e);
	e = answer_event(T0 + 40, "free_to_leave", "no");
	apply_ok(&c, &e);

	cr_assert_eq(c.version, 5);
	cr_assert_eq(c.n_answers, 3);
	cr_assert_str_eq(c.answers[0].question, "free_to_leave");
	cr_assert_str_eq(c.answers[0].value, "no");
	cr_assert_eq(c.answers[0].at_ms, T0 + 40);
	cr_assert_str_eq(c.answers[1].question, "in_danger_now");
	cr_assert_str_eq(c.answers[1].value, "yes");
	cr_assert_eq(c.answers[1].at_ms, T0 + 20);
	cr_assert_str_eq(c.answers[2].question, "vehicle");
	cr_assert_str_eq(c.answers[2].value, "Grey sedan");
	cr_assert_eq(c.updated_at_ms, T0 + 40);

	const struct call_answer *a = call_answer_get(&c, "in_danger_now");
	cr_assert_not_null(a);
	cr_assert_str_eq(a->value, "yes");
	cr_assert_null(call_answer_get(&c, "escaped"));
	cr_assert_null(call_answer_get(&c, NULL));
	call_free(&c);
}

Test(call_apply, language_answer_updates_the_call_language)
{
	struct call c;
	call_init(&c);
	struct call_event e = opened_event();
	apply_ok(&c, &e);
	cr_assert_str_eq(c.language, "es-MX");
	e = answer_event(T0 + 1, "language", "pt-BR");
	apply_ok(&c, &e);
	cr_assert_str_eq(c.language, "pt-BR");
	cr_assert_str_eq(call_answer_get(&c, "language")->value, "pt-BR");
	e = answer_event(T0 + 2, "language", "en");
	apply_ok(&c, &e);
	cr_assert_str_eq(c.language, "en");
	cr_assert_eq(c.n_answers, 1);
	/* Other answers leave the language alone. */
	e = answer_event(T0 + 3, "preferred_language", "fr");
	apply_ok(&c, &e);
	cr_assert_str_eq(c.language, "en");
	call_free(&c);
}

Test(call_apply, notes_count_and_are_allowed_after_close)
{
	struct call c;
	call_init(&c);
	struct call_event e = opened_event();
	apply_ok(&c, &e);
	e = note_event(T0 + 1, "first");
	apply_ok(&c, &e);
	e = note_event(T0 + 2, "second");
	apply_ok(&c, &e);
	cr_assert_eq(c.note_count, 2);
	e = closed_event(T0 + 3, CALL_DISPOSITION_OFFICER_HANDLED,
	                 "Officer 12 handled.");
	apply_ok(&c, &e);
	e = note_event(T0 + 4, "supplement after close");
	apply_ok(&c, &e);
	cr_assert_eq(c.note_count, 3);
	cr_assert_eq(c.version, 5);
	cr_assert_eq(c.status, CALL_STATUS_CLOSED);
	cr_assert_eq(c.updated_at_ms, T0 + 4);
	cr_assert_eq(c.closed_at_ms, T0 + 3);
	call_free(&c);
}

Test(call_apply, close_sets_disposition_and_summary)
{
	struct call c;
	call_init(&c);
	struct call_event e = opened_event();
	apply_ok(&c, &e);
	e = closed_event(T0 + 60000, CALL_DISPOSITION_TRANSFERRED_TIP_LINE,
	                 "Warm transfer.\nTip line ref 77.");
	apply_ok(&c, &e);
	cr_assert_eq(c.status, CALL_STATUS_CLOSED);
	cr_assert_eq(c.disposition, CALL_DISPOSITION_TRANSFERRED_TIP_LINE);
	cr_assert_eq(c.closed_at_ms, T0 + 60000);
	cr_assert_eq(c.updated_at_ms, T0 + 60000);
	cr_assert_str_eq(c.close_summary, "Warm transfer.\nTip line ref 77.");
	cr_assert_eq(c.version, 2);
	/* The opener is unchanged by the closer. */
	cr_assert_str_eq(c.opened_by, "user:jsmith");
	call_free(&c);

	call_init(&c);
	e = opened_event();
	apply_ok(&c, &e);
	e = closed_event(T0 + 1, CALL_DISPOSITION_DISCONNECTED, NULL);
	apply_ok(&c, &e);
	cr_assert_str_eq(c.close_summary, "");
	call_free(&c);
}

Test(call_apply, answers_and_second_close_after_close_conflict)
{
	struct call c;
	call_init(&c);
	struct call_event e = opened_event();
	apply_ok(&c, &e);
	e = answer_event(T0 + 1, "escaped", "yes");
	apply_ok(&c, &e);
	e = closed_event(T0 + 2, CALL_DISPOSITION_REFERRED_HOTLINE, "done");
	apply_ok(&c, &e);

	e = answer_event(T0 + 3, "escaped", "no");
	apply_conflict(&c, &e);
	cr_assert_str_eq(call_answer_get(&c, "escaped")->value, "yes");
	e = answer_event(T0 + 3, "vehicle", "van");
	apply_conflict(&c, &e);
	e = answer_event(T0 + 3, "language", "en");
	apply_conflict(&c, &e);
	cr_assert_str_eq(c.language, "es-MX");
	e = closed_event(T0 + 4, CALL_DISPOSITION_UNFOUNDED, "again");
	apply_conflict(&c, &e);
	cr_assert_eq(c.disposition, CALL_DISPOSITION_REFERRED_HOTLINE);
	cr_assert_str_eq(c.close_summary, "done");
	cr_assert_eq(c.version, 3);
	cr_assert_eq(c.updated_at_ms, T0 + 2);
	call_free(&c);
}

Test(call_apply, conflict_messages_say_why)
{
	struct call c;
	struct htd_error err;
	call_init(&c);
	memcpy(c.ref, "HT-2026-000042", 15);
	struct call_event e = opened_event();
	apply_ok(&c, &e);
	cr_assert_eq(call_apply(&c, &e, &err), HTD_ERR_CONFLICT);
	cr_assert_not_null(strstr(err.message, "HT-2026-000042"));
	e = closed_event(T0 + 1, CALL_DISPOSITION_UNFOUNDED, "");
	apply_ok(&c, &e);
	cr_assert_eq(call_apply(&c, &e, &err), HTD_ERR_CONFLICT);
	cr_assert_not_null(strstr(err.message, "closed"));
	/* A NULL error is allowed. */
	cr_assert_eq(call_apply(&c, &e, NULL), HTD_ERR_CONFLICT);
	call_free(&c);
}

Test(call_apply, version_counts_events_and_updated_at_never_goes_back)
{
	struct call c;
	call_init(&c);
	struct call_event e = opened_event();
	apply_ok(&c, &e);
	e = note_event(T0 + 5000, "later");
	apply_ok(&c, &e);
	/* An event stamped earlier (clock skew between desks). */
	e = note_event(T0 + 1000, "earlier");
	apply_ok(&c, &e);
	cr_assert_eq(c.updated_at_ms, T0 + 5000);
	cr_assert_eq(c.version, 3);
	e = answer_event(T0 + 2000, "escaped", "no");
	apply_ok(&c, &e);
	cr_assert_eq(c.updated_at_ms, T0 + 5000);
	cr_assert_eq(call_answer_get(&c, "escaped")->at_ms, T0 + 2000);
	cr_assert_eq(c.version, 4);
	call_free(&c);
}

Test(call_apply, unknown_event_type_is_refused_unchanged)
{
	struct call c, before;
	char what[32];
	call_init(&c);
	struct call_event e = opened_event();
	apply_ok(&c, &e);
	call_copy(&before, &c);
	e = note_event(T0 + 1, "x");
	e.type = CALL_EVENT__COUNT;
	cr_assert_neq(call_apply(&c, &e, NULL), HTD_OK);
	cr_assert(call_equal(&before, &c, what, sizeof(what)), "%s", what);
	call_free(&before);
	call_free(&c);
}

Test(call_apply, answer_limit)
{
	struct call c;
	struct htd_error err;
	char q[32];
	call_init(&c);
	struct call_event e = opened_event();
	apply_ok(&c, &e);
	for (int i = 0; i < CALL_ANSWERS_MAX; i++) {
		snprintf(q, sizeof(q), "q%d", i);
		e = answer_event(T0 + 1 + i, q, "v");
		apply_ok(&c, &e);
	}
	cr_assert_eq(c.n_answers, CALL_ANSWERS_MAX);
	int64_t version = c.version;
	e = answer_event(T0 + 1000, "one_too_many", "v");
	cr_assert_eq(call_apply(&c, &e, &err), HTD_ERR_TOO_LARGE);
	cr_assert_str_eq(err.field, "question");
	cr_assert_eq(c.n_answers, CALL_ANSWERS_MAX);
	cr_assert_eq(c.version, version);
	cr_assert_null(call_answer_get(&c, "one_too_many"));
	/* Changing an existing answer is still fine. */
	e = answer_event(T0 + 1001, "q7", "changed");
	apply_ok(&c, &e);
	cr_assert_str_eq(call_answer_get(&c, "q7")->value, "changed");
	call_free(&c);
}

/* ---- call_copy / call_equal ------------------------------------------- */

/* Builds a closed call with every field set. */
static void full_call(struct call *c)
{
	call_init(c);
	memcpy(c->ref, "HT-2026-000007", 15);
	struct call_event e = opened_event();
	e.u.opened.caller_name = "Ana";
	apply_ok(c, &e);
	e = answer_event(T0 + 1, "escaped", "yes");
	apply_ok(c, &e);
	e = answer_event(T0 + 2, "vehicle", "van");
	apply_ok(c, &e);
	e = note_event(T0 + 3, "note");
	apply_ok(c, &e);
	e = closed_event(T0 + 4, CALL_DISPOSITION_OFFICER_HANDLED, "sum");
	apply_ok(c, &e);
	c->category = CALL_CATEGORY_VICTIM_ESCAPE;
}

Test(call_copy, copy_is_equal_and_deep)
{
	struct call a, b;
	char what[64] = "";
	full_call(&a);
	call_copy(&b, &a);
	cr_assert(call_equal(&a, &b, what, sizeof(what)), "differs: %s", what);
	cr_assert(call_equal(&b, &a, NULL, 0));
	cr_assert_neq(a.language, b.language);
	cr_assert_neq(a.location_text, b.location_text);
	cr_assert_neq(a.callback_number, b.callback_number);
	cr_assert_neq(a.caller_name, b.caller_name);
	cr_assert_neq(a.opened_by, b.opened_by);
	cr_assert_neq(a.close_summary, b.close_summary);
	cr_assert_neq(a.answers, b.answers);
	cr_assert_neq(a.answers[0].question, b.answers[0].question);
	cr_assert_neq(a.answers[0].value, b.answers[0].value);

	/* Changing the copy leaves the original alone, and vice versa. */
	b.language[0] = 'X';
	b.answers[1].value[0] = 'X';
	cr_assert_str_eq(a.language, "es-MX");
	cr_assert_str_eq(a.answers[1].value, "van");
	call_free(&a);
	cr_assert_str_eq(b.answers[0].question, "escaped");
	cr_assert_str_eq(b.opened_by, "user:jsmith");
	call_free(&b);
}

Test(call_copy, copy_can_be_applied_to_independently)
{
	struct call a, b;
	call_init(&a);
	struct call_event e = opened_event();
	apply_ok(&a, &e);
	e = answer_event(T0 + 1, "escaped", "yes");
	apply_ok(&a, &e);
	call_copy(&b, &a);
	e = answer_event(T0 + 2, "vehicle", "van");
	apply_ok(&b, &e);
	e = answer_event(T0 + 3, "escaped", "no");
	apply_ok(&b, &e);
	cr_assert_eq(a.n_answers, 1);
	cr_assert_str_eq(a.answers[0].value, "yes");
	cr_assert_eq(b.n_answers, 2);
	cr_assert_str_eq(b.answers[0].value, "no");
	call_free(&a);
	call_free(&b);
}

Test(call_copy, copy_of_a_fresh_call_is_equal)
{
	struct call a, b;
	char what[64] = "";
	call_init(&a);
	call_copy(&b, &a);
	cr_assert(call_equal(&a, &b, what, sizeof(what)), "differs: %s", what);
	call_free(&a);
	call_free(&b);
}

Test(call_copy, equal_names_each_differing_field)
{
	struct call a, b;
	char what[64];
	full_call(&a);

#define CHECK_DIFF(change, name)                                      \
	do {                                                          \
		call_copy(&b, &a);                                    \
		change;                                               \
		memset(what, 0, sizeof(what));                        \
		cr_assert_not(call_equal(&a, &b, what, sizeof(what)), \
		              "%s: no difference seen", name);        \
		cr_assert_str_eq(what, name);                         \
		cr_assert_not(call_equal(&b, &a, NULL, 0));           \
		call_free(&b);                                        \
	} while (0)

	CHECK_DIFF(b.ref[3] = '3', "ref");
	CHECK_DIFF(b.status = CALL_STATUS_OPEN, "status");
	CHECK_DIFF(b.category = CALL_CATEGORY_OTHER, "category");
	CHECK_DIFF(b.channel = CALL_CHANNEL_VOICE, "channel");
	CHECK_DIFF(b.language[0] = 'x', "language");
	CHECK_DIFF(b.location_text[0] = 'x', "location");
	CHECK_DIFF(b.callback_number[1] = '2', "callback");
	CHECK_DIFF(b.caller_name[0] = 'E', "caller_name");
	CHECK_DIFF(b.opened_by[0] = 'x', "opened_by");
	CHECK_DIFF(b.opened_at_ms++, "opened_at");
	CHECK_DIFF(b.updated_at_ms++, "updated_at");
	CHECK_DIFF(b.closed_at_ms = 0, "closed_at");
	CHECK_DIFF(b.disposition = CALL_DISPOSITION_UNFOUNDED, "disposition");
	CHECK_DIFF(b.close_summary[0] = 'x', "close_summary");
	CHECK_DIFF(b.note_count = 0, "note_count");
	CHECK_DIFF(b.version++, "version");
	CHECK_DIFF((b.n_answers--, free(b.answers[1].question),
	            free(b.answers[1].value)),
	           "answers");
	CHECK_DIFF(b.answers[1].value[0] = 'x', "answers");
	CHECK_DIFF(b.answers[1].at_ms++, "answers");
	CHECK_DIFF(b.answers[0].question[0] = 'x', "answers");
	/* The same answers in another order: the order is first-answered. */
	CHECK_DIFF(
	    {
		    struct call_answer t = b.answers[0];
		    b.answers[0] = b.answers[1];
		    b.answers[1] = t;
	    },
	    "answers");

	/* The first differing field (in struct order) is the one named. */
	CHECK_DIFF(
	    (b.status = CALL_STATUS_OPEN, b.language[0] = 'x', b.version = 99),
	    "status");
	CHECK_DIFF((b.note_count = 9, b.caller_name[0] = 'x'), "caller_name");
#undef CHECK_DIFF

	/* A NULL string is not the empty string. */
	call_copy(&b, &a);
	free(b.caller_name);
	b.caller_name = NULL;
	cr_assert_not(call_equal(&a, &b, what, sizeof(what)));
	cr_assert_str_eq(what, "caller_name");
	call_free(&b);

	/* A short `what` is truncated, not overrun. */
	call_copy(&b, &a);
	b.note_count = 0;
	char small[5] = "zzzz";
	cr_assert_not(call_equal(&a, &b, small, 4));
	cr_assert_str_eq(small, "not");
	call_free(&b);
	call_free(&a);
}

Test(call_copy, free_reinitialises)
{
	struct call a;
	full_call(&a);
	call_free(&a);
	cr_assert_null(a.language);
	cr_assert_null(a.answers);
	cr_assert_eq(a.n_answers, 0);
	cr_assert_eq(a.version, 0);
	cr_assert_eq(a.disposition, CALL_DISPOSITION_NONE);
	/* And the call can be used again. */
	struct call_event e = opened_event();
	apply_ok(&a, &e);
	cr_assert_eq(a.version, 1);
	call_free(&a);
	call_free(&a);
}

/* ---- decisions: indicators, decisions, overrides, marks --------------- */

static struct call_hit hit(const char *indicator, uint32_t start, uint32_t end)
{
	struct call_hit h;
	memset(&h, 0, sizeof(h));
	snprintf(h.indicator, sizeof(h.indicator), "%s", indicator);
	h.start = start;
	h.end = end;
	snprintf(h.subject, sizeof(h.subject), "caller");
	return h;
}

static struct call_event indicators_event(int64_t at, int64_t note,
                                          const struct call_hit *hits, size_t n)
{
	struct call_event e;
	memset(&e, 0, sizeof(e));
	e.type = CALL_EVENT_INDICATORS_FOUND;
	e.at_ms = at;
	e.actor = "system:screen";
	e.u.indicators.note = note;
	e.u.indicators.hits = hits;
	e.u.indicators.n_hits = n;
	return e;
}

static struct call_action action(const char *id, enum call_action_state state,
                                 int64_t since)
{
	struct call_action a;
	memset(&a, 0, sizeof(a));
	a.id = (char *)id;
	a.state = state;
	a.required_since_ms = since;
	return a;
}

static struct call_event decision_event(int64_t at, enum call_category cat,
                                        int priority,
                                        const struct call_action *actions,
                                        size_t n)
{
	struct call_event e;
	memset(&e, 0, sizeof(e));
	e.type = CALL_EVENT_DECISION_MADE;
	e.at_ms = at;
	e.actor = "system:protocol";
	e.u.decision.recommended = cat;
	e.u.decision.category = cat;
	e.u.decision.priority = priority;
	e.u.decision.decided_with = "nena-ht 1.0.0; default 2026.11";
	e.u.decision.actions = actions;
	e.u.decision.n_actions = n;
	return e;
}

static struct call_event override_event(int64_t at, enum call_category cat,
                                        const char *reason)
{
	struct call_event e;
	memset(&e, 0, sizeof(e));
	e.type = CALL_EVENT_CATEGORY_OVERRIDDEN;
	e.at_ms = at;
	e.actor = "user:supervisor";
	e.u.override.category = cat;
	e.u.override.reason = reason;
	return e;
}

static struct call_event mark_event(int64_t at, const char *id,
                                    enum call_action_state state,
                                    const char *reason)
{
	struct call_event e;
	memset(&e, 0, sizeof(e));
	e.type = CALL_EVENT_ACTION_MARKED;
	e.at_ms = at;
	e.actor = "user:jsmith";
	e.u.mark.action = id;
	e.u.mark.state = state;
	e.u.mark.reason = reason;
	return e;
}

/* An open call with one note (seq 2). */
static void call_with_note(struct call *c)
{
	call_init(c);
	memcpy(c->ref, "HT-2026-000009", 15);
	struct call_event e = opened_event();
	apply_ok(c, &e);
	e = note_event(T0 + 1, "He took my passport and threatens my family.");
	apply_ok(c, &e);
}

/* Applies `e` expecting `code` naming `field`, with `c` unchanged. */
static void apply_fails(struct call *c, const struct call_event *e,
                        enum htd_err code, const char *field)
{
	struct call before;
	struct htd_error err;
	char what[64] = "";
	htd_error_clear(&err);
	call_copy(&before, c);
	enum htd_err rc = call_apply(c, e, &err);
	cr_assert_eq(rc, code, "%s: want %s, got %s (%s)",
	             call_event_type_name(e->type), htd_err_name(code),
	             htd_err_name(rc), err.message);
	cr_assert_str_eq(err.field, field);
	cr_assert(call_equal(&before, c, what, sizeof(what)),
	          "a refused %s changed '%s'", call_event_type_name(e->type),
	          what);
	call_free(&before);
}

Test(call_validate, good_decision_events)
{
	struct call_hit hits[] = { hit("threats", 0, 10),
		                   hit("documents_withheld", 11, 30) };
	hits[1].subject[0] = '\0';
	hits[1].negated = true;
	struct call_event e = indicators_event(T0, 2, hits, 2);
	valid(&e);
	e.u.indicators.n_hits = 0;
	e.u.indicators.hits = NULL;
	valid(&e);

	struct call_action actions[] = {
		action("dispatch_officer", CALL_ACTION_REQUIRED, T0),
		action("notify_tip_line", CALL_ACTION_NOT_REQUIRED, 0),
	};
	e = decision_event(T0, CALL_CATEGORY_VICTIM_CALL, 2, actions, 2);
	valid(&e);
	/* Undetermined is a decision like any other. */
	e.u.decision.recommended = CALL_CATEGORY_UNDETERMINED;
	e.u.decision.category = CALL_CATEGORY_UNDETERMINED;
	e.u.decision.priority = 9;
	e.u.decision.n_actions = 0;
	e.u.decision.actions = NULL;
	valid(&e);

	e = override_event(T0, CALL_CATEGORY_CREDIBLE_TIP,
	                   "Caller is a neighbour,\nnot the victim.");
	valid(&e);
	e.u.override.category = CALL_CATEGORY_UNDETERMINED;
	valid(&e);

	e = mark_event(T0, "dispatch_officer", CALL_ACTION_DONE, NULL);
	valid(&e);
	e.u.mark.state = CALL_ACTION_REQUIRED;
	valid(&e);
	e.u.mark.state = CALL_ACTION_NOT_APPLICABLE;
	e.u.mark.reason = "Caller is safe at a shelter";
	valid(&e);
}

Test(call_validate, indicators_found_fields)
{
	struct call_hit h[2] = { hit("threats", 0, 10), hit("minor", 3, 3) };
	struct call_event e = indicators_event(T0, 2, h, 2);
	e.u.indicators.note = 0;
	invalid(&e, HTD_ERR_INVALID, "note");
	e.u.indicators.note = -1;
	invalid(&e, HTD_ERR_INVALID, "note");
	e.u.indicators.note = 2;
	e.u.indicators.hits = NULL;
	invalid(&e, HTD_ERR_INVALID, "hits");
	e.u.indicators.hits = h;

	snprintf(h[1].indicator, sizeof(h[1].indicator), "Threats");
	invalid(&e, HTD_ERR_INVALID, "hits[1].indicator");
	h[1].indicator[0] = '\0';
	invalid(&e, HTD_ERR_INVALID, "hits[1].indicator");
	memset(h[1].indicator, 'a', sizeof(h[1].indicator)); /* no NUL */
	invalid(&e, HTD_ERR_INVALID, "hits[1].indicator");
	h[1] = hit("minor", 3, 3);
	valid(&e);

	h[1].start = 4;
	invalid(&e, HTD_ERR_INVALID, "hits[1].end");
	h[1].start = 0;
	h[1].end = CALL_NOTE_MAX;
	valid(&e);
	h[1].end = CALL_NOTE_MAX + 1;
	invalid(&e, HTD_ERR_INVALID, "hits[1].end");
	h[1] = hit("minor", 3, 3);

	static const char *const subjects[] = { "Caller", "self", "unknown",
		                                "x" };
	for (size_t i = 0; i < sizeof(subjects) / sizeof(subjects[0]); i++) {
		snprintf(h[0].subject, sizeof(h[0].subject), "%s", subjects[i]);
		invalid(&e, HTD_ERR_INVALID, "hits[0].subject");
	}
	memset(h[0].subject, 'c', sizeof(h[0].subject));
	invalid(&e, HTD_ERR_INVALID, "hits[0].subject");
	snprintf(h[0].subject, sizeof(h[0].subject), "other");
	valid(&e);

	struct call_hit *many = xcalloc(CALL_HITS_EVENT_MAX + 1, sizeof(*many));
	for (size_t i = 0; i <= CALL_HITS_EVENT_MAX; i++)
		many[i] = hit("isolation", 0, 1);
	e = indicators_event(T0, 2, many, CALL_HITS_EVENT_MAX);
	valid(&e);
	e.u.indicators.n_hits = CALL_HITS_EVENT_MAX + 1;
	invalid(&e, HTD_ERR_TOO_LARGE, "hits");
	free(many);
}

Test(call_validate, decision_made_fields)
{
	struct call_action a[2] = {
		action("dispatch_officer", CALL_ACTION_REQUIRED, T0),
		action("notify_hotline", CALL_ACTION_NOT_REQUIRED, 0),
	};
	struct call_event e =
	    decision_event(T0, CALL_CATEGORY_VICTIM_ESCAPE, 1, a, 2);
	valid(&e);
	e.u.decision.recommended = CALL_CATEGORY__COUNT;
	invalid(&e, HTD_ERR_INVALID, "recommended");
	e.u.decision.recommended = CALL_CATEGORY_OTHER;
	e.u.decision.category = (enum call_category) - 1;
	invalid(&e, HTD_ERR_INVALID, "category");
	e.u.decision.category = CALL_CATEGORY_OTHER;
	valid(&e);

	e.u.decision.priority = 0;
	invalid(&e, HTD_ERR_INVALID, "priority");
	e.u.decision.priority = 10;
	invalid(&e, HTD_ERR_INVALID, "priority");
	e.u.decision.priority = -3;
	invalid(&e, HTD_ERR_INVALID, "priority");
	e.u.decision.priority = 5;

	e.u.decision.decided_with = "";
	invalid(&e, HTD_ERR_INVALID, "decided_with");
	e.u.decision.decided_with = NULL;
	invalid(&e, HTD_ERR_INVALID, "decided_with");
	e.u.decision.decided_with = "nena\n1.0";
	invalid(&e, HTD_ERR_INVALID, "decided_with");
	char *s = repeat('v', CALL_VERSION_TEXT_MAX);
	e.u.decision.decided_with = s;
	valid(&e);
	free(s);
	s = repeat('v', CALL_VERSION_TEXT_MAX + 1);
	e.u.decision.decided_with = s;
	invalid(&e, HTD_ERR_TOO_LARGE, "decided_with");
	free(s);
	e.u.decision.decided_with = "p 1; q 2";

	char id[80] = "Notify";
	a[1].id = id;
	invalid(&e, HTD_ERR_INVALID, "actions[1].id");
	id[0] = '\0';
	invalid(&e, HTD_ERR_INVALID, "actions[1].id");
	a[1].id = NULL;
	invalid(&e, HTD_ERR_INVALID, "actions[1].id");
	s = repeat('a', CALL_ACTION_ID_MAX + 1);
	a[1].id = s;
	invalid(&e, HTD_ERR_INVALID, "actions[1].id");
	s[CALL_ACTION_ID_MAX] = '\0';
	valid(&e);
	free(s);
	snprintf(id, sizeof(id), "dispatch_officer");
	a[1].id = id;
	invalid(&e, HTD_ERR_INVALID, "actions[1].id"); /* twice */

	a[0].state = CALL_ACTION__COUNT;
	invalid(&e, HTD_ERR_INVALID, "actions[0].state");
	a[0].state = CALL_ACTION_REQUIRED;
	a[0].required_since_ms = -1;
	invalid(&e, HTD_ERR_INVALID, "actions[0].required_since");
	a[0].required_since_ms = T0;

	e.u.decision.actions = NULL;
	invalid(&e, HTD_ERR_INVALID, "actions");
	struct call_action *many = xcalloc(CALL_ACTIONS_MAX + 1, sizeof(*many));
	char(*ids)[16] = xcalloc(CALL_ACTIONS_MAX + 1, sizeof(*ids));
	for (size_t i = 0; i <= CALL_ACTIONS_MAX; i++) {
		snprintf(ids[i], sizeof(ids[i]), "a%zu", i);
		many[i] = action(ids[i], CALL_ACTION_REQUIRED, T0);
	}
	e.u.decision.actions = many;
	e.u.decision.n_actions = CALL_ACTIONS_MAX;
	valid(&e);
	e.u.decision.n_actions = CALL_ACTIONS_MAX + 1;
	invalid(&e, HTD_ERR_TOO_LARGE, "actions");
	free(ids);
	free(many);
}

Test(call_validate, category_overridden_needs_a_reason)
{
	struct call_event e =
	    override_event(T0, CALL_CATEGORY_OTHER, "Not trafficking");
	valid(&e);
	e.u.override.category = CALL_CATEGORY__COUNT;
	invalid(&e, HTD_ERR_INVALID, "category");
	e.u.override.category = CALL_CATEGORY_UNDETERMINED;
	static const char *const empty[] = { "", " ", " \t\r\n " };
	for (size_t i = 0; i < sizeof(empty) / sizeof(empty[0]); i++) {
		e.u.override.reason = empty[i];
		invalid(&e, HTD_ERR_INVALID, "reason");
	}
	e.u.override.reason = NULL;
	invalid(&e, HTD_ERR_INVALID, "reason");
	e.u.override.reason = "bad \xc3";
	invalid(&e, HTD_ERR_INVALID, "reason");
	e.u.override.reason = "esc \x1b";
	invalid(&e, HTD_ERR_INVALID, "reason");
	char *s = repeat('r', CALL_REASON_MAX);
	e.u.override.reason = s;
	valid(&e);
	free(s);
	s = repeat('r', CALL_REASON_MAX + 1);
	e.u.override.reason = s;
	invalid(&e, HTD_ERR_TOO_LARGE, "reason");
	free(s);
}

Test(call_validate, action_marked_fields)
{
	struct call_event e =
	    mark_event(T0, "dispatch_officer", CALL_ACTION_DONE, "");
	valid(&e);
	e.u.mark.action = "Dispatch";
	invalid(&e, HTD_ERR_INVALID, "action");
	e.u.mark.action = NULL;
	invalid(&e, HTD_ERR_INVALID, "action");
	e.u.mark.action = "dispatch_officer";
	/* NOT_REQUIRED is the policy's word, not a person's. */
	e.u.mark.state = CALL_ACTION_NOT_REQUIRED;
	invalid(&e, HTD_ERR_INVALID, "state");
	e.u.mark.state = CALL_ACTION__COUNT;
	invalid(&e, HTD_ERR_INVALID, "state");
	e.u.mark.state = (enum call_action_state) - 1;
	invalid(&e, HTD_ERR_INVALID, "state");

	e.u.mark.state = CALL_ACTION_NOT_APPLICABLE;
	e.u.mark.reason = NULL;
	invalid(&e, HTD_ERR_INVALID, "reason");
	e.u.mark.reason = "   ";
	invalid(&e, HTD_ERR_INVALID, "reason");
	e.u.mark.reason = "Unit already on scene";
	valid(&e);
	char *s = repeat('r', CALL_REASON_MAX + 1);
	e.u.mark.reason = s;
	invalid(&e, HTD_ERR_TOO_LARGE, "reason");
	e.u.mark.state = CALL_ACTION_DONE; /* optional, but still bounded */
	invalid(&e, HTD_ERR_TOO_LARGE, "reason");
	free(s);
	e.u.mark.reason = "\x7f";
	invalid(&e, HTD_ERR_INVALID, "reason");
}

Test(call_apply, indicators_found_appends_hits_of_a_note)
{
	struct call c;
	call_with_note(&c);
	struct call_hit h[2] = { hit("threats", 0, 10),
		                 hit("documents_withheld", 12, 20) };
	h[1].negated = true;
	h[1].historical = true;
	h[1].note = 99; /* the event's note wins */
	struct call_event e = indicators_event(T0 + 2, 2, h, 2);
	apply_ok(&c, &e);
	cr_assert_eq(c.n_hits, 2);
	cr_assert_eq(c.version, 3);
	cr_assert_eq(c.updated_at_ms, T0 + 2);
	cr_assert_str_eq(c.hits[0].indicator, "threats");
	cr_assert_eq(c.hits[0].note, 2);
	cr_assert_eq(c.hits[0].start, 0);
	cr_assert_eq(c.hits[0].end, 10);
	cr_assert_str_eq(c.hits[0].subject, "caller");
	cr_assert_not(c.hits[0].negated);
	cr_assert_str_eq(c.hits[1].indicator, "documents_withheld");
	cr_assert_eq(c.hits[1].note, 2);
	cr_assert(c.hits[1].negated);
	cr_assert(c.hits[1].historical);
	cr_assert_not(c.hits[1].hypothetical);

	/* A second note's hits follow, in the order found. */
	e = note_event(T0 + 3, "She is 15.");
	apply_ok(&c, &e);
	struct call_hit m = hit("minor", 7, 9);
	e = indicators_event(T0 + 3, 4, &m, 1);
	apply_ok(&c, &e);
	cr_assert_eq(c.n_hits, 3);
	cr_assert_str_eq(c.hits[2].indicator, "minor");
	cr_assert_eq(c.hits[2].note, 4);
	/* An event with no hits is recorded and changes nothing else. */
	e = indicators_event(T0 + 4, 4, NULL, 0);
	apply_ok(&c, &e);
	cr_assert_eq(c.n_hits, 3);
	cr_assert_eq(c.version, 6);
	call_free(&c);
}

Test(call_apply, indicators_found_must_refer_to_an_earlier_event)
{
	struct call c;
	struct call_hit h = hit("threats", 0, 10);
	call_init(&c);
	struct call_event e = opened_event();
	apply_ok(&c, &e);
	/* No note yet. */
	e = indicators_event(T0 + 1, 1, &h, 1);
	apply_fails(&c, &e, HTD_ERR_CONFLICT, "note");
	call_free(&c);

	call_with_note(&c);
	e = indicators_event(T0 + 2, 1, &h, 1); /* the opened event */
	apply_fails(&c, &e, HTD_ERR_CONFLICT, "note");
	e.u.indicators.note = 3; /* this very event */
	apply_fails(&c, &e, HTD_ERR_CONFLICT, "note");
	e.u.indicators.note = 2;
	apply_ok(&c, &e);
	call_free(&c);
}

Test(call_apply, indicator_hits_are_capped_and_the_first_kept)
{
	struct call c;
	call_with_note(&c);
	struct call_hit *many = xcalloc(CALL_HITS_EVENT_MAX, sizeof(*many));
	int events = CALL_HITS_MAX / CALL_HITS_EVENT_MAX;
	for (int k = 0; k < events; k++) {
		for (size_t i = 0; i < CALL_HITS_EVENT_MAX; i++)
			many[i] = hit("isolation", (uint32_t)k, (uint32_t)k);
		struct call_event e =
		    indicators_event(T0 + 2, 2, many, CALL_HITS_EVENT_MAX);
		apply_ok(&c, &e);
	}
	cr_assert_eq(c.n_hits, CALL_HITS_MAX);
	int64_t version = c.version;
	many[0] = hit("minor", 1, 2);
	struct call_event e = indicators_event(T0 + 3, 2, many, 1);
	apply_ok(&c, &e);
	cr_assert_eq(c.n_hits, CALL_HITS_MAX);
	cr_assert_eq(c.version, version + 1);
	cr_assert_str_eq(c.hits[CALL_HITS_MAX - 1].indicator, "isolation");
	cr_assert_eq(c.hits[CALL_HITS_MAX - 1].start, (uint32_t)events - 1);
	free(many);
	call_free(&c);
}

Test(call_apply, decision_sets_category_priority_and_checklist)
{
	struct call c;
	call_with_note(&c);
	struct call_action a[] = {
		action("dispatch_officer", CALL_ACTION_REQUIRED, T0 + 2),
		action("notify_tip_line", CALL_ACTION_NOT_REQUIRED, 0),
	};
	struct call_event e =
	    decision_event(T0 + 2, CALL_CATEGORY_VICTIM_CALL, 2, a, 2);
	e.u.decision.recommended = CALL_CATEGORY_VICTIM_ESCAPE;
	apply_ok(&c, &e);
	cr_assert_eq(c.recommended_category, CALL_CATEGORY_VICTIM_ESCAPE);
	cr_assert_eq(c.category, CALL_CATEGORY_VICTIM_CALL);
	cr_assert_eq(c.priority, 2);
	cr_assert_str_eq(c.decided_with, "nena-ht 1.0.0; default 2026.11");
	cr_assert_eq(c.n_actions, 2);
	const struct call_action *d = call_action_get(&c, "dispatch_officer");
	cr_assert_not_null(d);
	cr_assert_eq(d, &c.actions[0]);
	cr_assert_eq(d->state, CALL_ACTION_REQUIRED);
	cr_assert_eq(d->required_since_ms, T0 + 2);
	cr_assert_not(d->marked);
	cr_assert_str_eq(d->mark_reason, "");
	cr_assert_str_eq(d->mark_by, "");
	cr_assert_eq(call_action_get(&c, "notify_tip_line")->state,
	             CALL_ACTION_NOT_REQUIRED);
	cr_assert_null(call_action_get(&c, "dispatch"));
	cr_assert_null(call_action_get(&c, NULL));
	cr_assert_eq(c.version, 3);

	/* The next decision: new actions are added after the known ones,
	 * actions it does not list are no longer required, and the first
	 * moment an action became required is kept. */
	struct call_action b[] = {
		action("notify_hotline", CALL_ACTION_REQUIRED, T0 + 5),
		action("notify_tip_line", CALL_ACTION_REQUIRED, T0 + 5),
		action("dispatch_officer", CALL_ACTION_REQUIRED, T0 + 5),
	};
	e = decision_event(T0 + 5, CALL_CATEGORY_CREDIBLE_TIP, 4, b, 3);
	apply_ok(&c, &e);
	cr_assert_eq(c.category, CALL_CATEGORY_CREDIBLE_TIP);
	cr_assert_eq(c.recommended_category, CALL_CATEGORY_CREDIBLE_TIP);
	cr_assert_eq(c.priority, 4);
	cr_assert_eq(c.n_actions, 3);
	cr_assert_str_eq(c.actions[0].id, "dispatch_officer");
	cr_assert_str_eq(c.actions[1].id, "notify_tip_line");
	cr_assert_str_eq(c.actions[2].id, "notify_hotline");
	cr_assert_eq(c.actions[0].required_since_ms, T0 + 2, "kept");
	cr_assert_eq(c.actions[1].required_since_ms, T0 + 5, "first time");
	cr_assert_eq(c.actions[1].state, CALL_ACTION_REQUIRED);
	cr_assert_eq(c.actions[2].required_since_ms, T0 + 5);

	/* Undetermined, with nothing listed: nothing is required any more,
	 * and the moments stay. */
	e = decision_event(T0 + 6, CALL_CATEGORY_UNDETERMINED, 9, NULL, 0);
	apply_ok(&c, &e);
	cr_assert_eq(c.category, CALL_CATEGORY_UNDETERMINED);
	cr_assert_eq(c.n_actions, 3);
	for (size_t i = 0; i < c.n_actions; i++)
		cr_assert_eq(c.actions[i].state, CALL_ACTION_NOT_REQUIRED);
	cr_assert_eq(c.actions[0].required_since_ms, T0 + 2);
	/* Required again later: the first moment still stands. */
	e = decision_event(T0 + 7, CALL_CATEGORY_VICTIM_CALL, 2, b + 2, 1);
	apply_ok(&c, &e);
	cr_assert_eq(c.actions[0].state, CALL_ACTION_REQUIRED);
	cr_assert_eq(c.actions[0].required_since_ms, T0 + 2);
	call_free(&c);
}

Test(call_apply, marks_survive_decisions_until_withdrawn)
{
	struct call c;
	call_with_note(&c);
	struct call_action a[] = {
		action("dispatch_officer", CALL_ACTION_REQUIRED, T0 + 2),
		action("notify_hotline", CALL_ACTION_REQUIRED, T0 + 2),
	};
	struct call_event e =
	    decision_event(T0 + 2, CALL_CATEGORY_VICTIM_CALL, 2, a, 2);
	apply_ok(&c, &e);

	e = mark_event(T0 + 3, "dispatch_officer", CALL_ACTION_DONE,
	               "Unit 12 sent");
	apply_ok(&c, &e);
	const struct call_action *d = call_action_get(&c, "dispatch_officer");
	cr_assert_eq(d->state, CALL_ACTION_DONE);
	cr_assert(d->marked);
	cr_assert_str_eq(d->mark_reason, "Unit 12 sent");
	cr_assert_str_eq(d->mark_by, "user:jsmith");
	cr_assert_eq(d->mark_at_ms, T0 + 3);
	cr_assert_eq(d->required_since_ms, T0 + 2);

	e = mark_event(T0 + 4, "notify_hotline", CALL_ACTION_NOT_APPLICABLE,
	               "Caller declined");
	apply_ok(&c, &e);

	/* A decision that lists them as required, and one that does not
	 * list them: the marks win. */
	e = decision_event(T0 + 5, CALL_CATEGORY_VICTIM_CALL, 1, a, 2);
	apply_ok(&c, &e);
	d = call_action_get(&c, "dispatch_officer");
	cr_assert_eq(d->state, CALL_ACTION_DONE);
	cr_assert(d->marked);
	cr_assert_str_eq(d->mark_reason, "Unit 12 sent");
	cr_assert_eq(call_action_get(&c, "notify_hotline")->state,
	             CALL_ACTION_NOT_APPLICABLE);
	e = decision_event(T0 + 6, CALL_CATEGORY_OTHER, 5, NULL, 0);
	apply_ok(&c, &e);
	cr_assert_eq(call_action_get(&c, "dispatch_officer")->state,
	             CALL_ACTION_DONE);
	cr_assert_eq(call_action_get(&c, "notify_hotline")->state,
	             CALL_ACTION_NOT_APPLICABLE);

	/* Withdrawn: required until the next decision says otherwise. */
	e = mark_event(T0 + 7, "notify_hotline", CALL_ACTION_REQUIRED, NULL);
	apply_ok(&c, &e);
	d = call_action_get(&c, "notify_hotline");
	cr_assert_eq(d->state, CALL_ACTION_REQUIRED);
	cr_assert_not(d->marked);
	cr_assert_str_eq(d->mark_reason, "");
	cr_assert_str_eq(d->mark_by, "");
	cr_assert_eq(d->mark_at_ms, 0);
	cr_assert_eq(d->required_since_ms, T0 + 2);
	e = decision_event(T0 + 8, CALL_CATEGORY_OTHER, 5, NULL, 0);
	apply_ok(&c, &e);
	cr_assert_eq(call_action_get(&c, "notify_hotline")->state,
	             CALL_ACTION_NOT_REQUIRED);
	cr_assert_eq(call_action_get(&c, "dispatch_officer")->state,
	             CALL_ACTION_DONE);
	call_free(&c);
}

Test(call_apply, a_mark_may_come_before_any_decision)
{
	struct call c;
	call_with_note(&c);
	struct call_event e =
	    mark_event(T0 + 2, "dispatch_officer", CALL_ACTION_DONE, NULL);
	apply_ok(&c, &e);
	cr_assert_eq(c.n_actions, 1);
	cr_assert_eq(c.actions[0].state, CALL_ACTION_DONE);
	cr_assert(c.actions[0].marked);
	cr_assert_str_eq(c.actions[0].mark_reason, "");
	cr_assert_eq(c.actions[0].required_since_ms, 0);
	/* The decision that then requires it sets when it became
	 * required, and keeps the mark. */
	struct call_action a =
	    action("dispatch_officer", CALL_ACTION_REQUIRED, T0 + 3);
	e = decision_event(T0 + 3, CALL_CATEGORY_VICTIM_CALL, 2, &a, 1);
	apply_ok(&c, &e);
	cr_assert_eq(c.n_actions, 1);
	cr_assert_eq(c.actions[0].state, CALL_ACTION_DONE);
	cr_assert_eq(c.actions[0].required_since_ms, T0 + 3);
	call_free(&c);
}

Test(call_apply, override_is_recorded_and_withdrawn)
{
	struct call c;
	call_with_note(&c);
	struct call_event e =
	    decision_event(T0 + 2, CALL_CATEGORY_VICTIM_CALL, 2, NULL, 0);
	apply_ok(&c, &e);
	e = override_event(T0 + 3, CALL_CATEGORY_CREDIBLE_TIP,
	                   "Third-party caller");
	apply_ok(&c, &e);
	cr_assert_eq(c.override_category, CALL_CATEGORY_CREDIBLE_TIP);
	cr_assert_str_eq(c.override_reason, "Third-party caller");
	cr_assert_str_eq(c.override_by, "user:supervisor");
	cr_assert_eq(c.override_at_ms, T0 + 3);
	/* The category in force changes with the next decision only. */
	cr_assert_eq(c.category, CALL_CATEGORY_VICTIM_CALL);
	e = decision_event(T0 + 3, CALL_CATEGORY_CREDIBLE_TIP, 3, NULL, 0);
	e.u.decision.recommended = CALL_CATEGORY_VICTIM_CALL;
	apply_ok(&c, &e);
	cr_assert_eq(c.category, CALL_CATEGORY_CREDIBLE_TIP);
	cr_assert_eq(c.recommended_category, CALL_CATEGORY_VICTIM_CALL);
	cr_assert_eq(c.override_category, CALL_CATEGORY_CREDIBLE_TIP);

	e = override_event(T0 + 4, CALL_CATEGORY_UNDETERMINED,
	                   "Supervisor reviewed: engine was right");
	apply_ok(&c, &e);
	cr_assert_eq(c.override_category, CALL_CATEGORY_UNDETERMINED);
	cr_assert_str_eq(c.override_reason, "");
	cr_assert_str_eq(c.override_by, "");
	cr_assert_eq(c.override_at_ms, 0);
	cr_assert_eq(c.version, 6);
	cr_assert_eq(c.updated_at_ms, T0 + 4);
	call_free(&c);
}

Test(call_apply, closed_calls_take_notes_indicators_and_decisions_only)
{
	struct call c;
	call_with_note(&c);
	struct call_event e =
	    mark_event(T0 + 2, "dispatch_officer", CALL_ACTION_DONE, "sent");
	apply_ok(&c, &e);
	e = closed_event(T0 + 3, CALL_DISPOSITION_OFFICER_HANDLED, "");
	apply_ok(&c, &e);

	e = override_event(T0 + 4, CALL_CATEGORY_OTHER, "late");
	apply_conflict(&c, &e);
	e = mark_event(T0 + 4, "dispatch_officer", CALL_ACTION_REQUIRED, NULL);
	apply_conflict(&c, &e);
	e = mark_event(T0 + 4, "new_action", CALL_ACTION_DONE, NULL);
	apply_conflict(&c, &e);

	/* A supplement note, its indicators and the decision they lead to
	 * are still recorded. */
	e = note_event(T0 + 5, "Supplement: the victim is 16.");
	apply_ok(&c, &e);
	struct call_hit h = hit("minor", 28, 30);
	e = indicators_event(T0 + 5, 5, &h, 1);
	apply_ok(&c, &e);
	struct call_action a =
	    action("notify_cps", CALL_ACTION_REQUIRED, T0 + 5);
	e = decision_event(T0 + 5, CALL_CATEGORY_VICTIM_CALL, 1, &a, 1);
	apply_ok(&c, &e);
	cr_assert_eq(c.status, CALL_STATUS_CLOSED);
	cr_assert_eq(c.n_hits, 1);
	cr_assert_eq(c.priority, 1);
	cr_assert_eq(call_action_get(&c, "notify_cps")->state,
	             CALL_ACTION_REQUIRED);
	cr_assert_eq(call_action_get(&c, "dispatch_officer")->state,
	             CALL_ACTION_DONE);
	call_free(&c);
}

Test(call_apply, new_events_need_an_open_call)
{
	struct call c;
	struct call_hit h = hit("threats", 0, 1);
	call_init(&c);
	struct call_event e = indicators_event(T0, 2, &h, 1);
	apply_conflict(&c, &e);
	e = decision_event(T0, CALL_CATEGORY_OTHER, 3, NULL, 0);
	apply_conflict(&c, &e);
	e = override_event(T0, CALL_CATEGORY_OTHER, "r");
	apply_conflict(&c, &e);
	e = mark_event(T0, "x", CALL_ACTION_DONE, NULL);
	apply_conflict(&c, &e);
	call_free(&c);
}

Test(call_apply, checklist_is_bounded)
{
	struct call c;
	call_with_note(&c);
	struct call_action *many = xcalloc(CALL_ACTIONS_MAX + 1, sizeof(*many));
	char(*ids)[16] = xcalloc(CALL_ACTIONS_MAX + 1, sizeof(*ids));
	for (size_t i = 0; i <= CALL_ACTIONS_MAX; i++) {
		snprintf(ids[i], sizeof(ids[i]), "a%zu", i);
		many[i] = action(ids[i], CALL_ACTION_REQUIRED, T0);
	}
	/* One action by a mark, then a decision with the rest. */
	struct call_event e =
	    mark_event(T0 + 2, "marked_first", CALL_ACTION_DONE, NULL);
	apply_ok(&c, &e);
	e = decision_event(T0 + 3, CALL_CATEGORY_OTHER, 3, many,
	                   CALL_ACTIONS_MAX);
	apply_fails(&c, &e, HTD_ERR_TOO_LARGE, "actions");
	e.u.decision.n_actions = CALL_ACTIONS_MAX - 1;
	apply_ok(&c, &e);
	cr_assert_eq(c.n_actions, CALL_ACTIONS_MAX);
	/* Known actions can still be decided on and marked. */
	e = decision_event(T0 + 4, CALL_CATEGORY_OTHER, 3, many, 2);
	apply_ok(&c, &e);
	e = mark_event(T0 + 5, "a1", CALL_ACTION_DONE, NULL);
	apply_ok(&c, &e);
	e = mark_event(T0 + 5, "one_more", CALL_ACTION_DONE, NULL);
	apply_fails(&c, &e, HTD_ERR_TOO_LARGE, "action");
	cr_assert_null(call_action_get(&c, "one_more"));
	free(ids);
	free(many);
	call_free(&c);
}

/* An open call with every decision field set. */
static void decided_call(struct call *c)
{
	call_with_note(c);
	struct call_hit h[2] = { hit("threats", 0, 10), hit("minor", 20, 25) };
	struct call_event e = indicators_event(T0 + 2, 2, h, 2);
	apply_ok(c, &e);
	struct call_action a[2] = {
		action("dispatch_officer", CALL_ACTION_REQUIRED, T0 + 3),
		action("notify_hotline", CALL_ACTION_REQUIRED, T0 + 3),
	};
	e = decision_event(T0 + 3, CALL_CATEGORY_VICTIM_CALL, 2, a, 2);
	apply_ok(c, &e);
	e = override_event(T0 + 4, CALL_CATEGORY_VICTIM_ESCAPE, "She left");
	apply_ok(c, &e);
	e = mark_event(T0 + 5, "notify_hotline", CALL_ACTION_NOT_APPLICABLE,
	               "Declined");
	apply_ok(c, &e);
}

Test(call_copy, decision_fields_copy_deeply)
{
	struct call a, b;
	char what[64] = "";
	decided_call(&a);
	call_copy(&b, &a);
	cr_assert(call_equal(&a, &b, what, sizeof(what)), "differs: %s", what);
	cr_assert_neq(a.actions, b.actions);
	cr_assert_neq(a.actions[1].id, b.actions[1].id);
	cr_assert_neq(a.actions[1].mark_reason, b.actions[1].mark_reason);
	cr_assert_neq(a.actions[1].mark_by, b.actions[1].mark_by);
	cr_assert_neq(a.hits, b.hits);
	cr_assert_neq(a.override_reason, b.override_reason);
	cr_assert_neq(a.override_by, b.override_by);
	cr_assert_neq(a.decided_with, b.decided_with);
	b.actions[1].mark_reason[0] = 'X';
	b.hits[0].indicator[0] = 'X';
	cr_assert_str_eq(a.actions[1].mark_reason, "Declined");
	cr_assert_str_eq(a.hits[0].indicator, "threats");
	call_free(&a);
	cr_assert_str_eq(b.actions[0].id, "dispatch_officer");
	cr_assert_str_eq(b.override_reason, "She left");
	call_free(&b);
	cr_assert_null(b.actions);
	cr_assert_null(b.hits);
	cr_assert_eq(b.n_actions, 0);
	cr_assert_eq(b.n_hits, 0);
	cr_assert_eq(b.priority, 0);
	cr_assert_eq(b.override_category, CALL_CATEGORY_UNDETERMINED);
}

Test(call_copy, equal_names_each_differing_decision_field)
{
	struct call a, b;
	char what[64];
	decided_call(&a);

#define CHECK_DIFF(change, name)                                      \
	do {                                                          \
		call_copy(&b, &a);                                    \
		change;                                               \
		memset(what, 0, sizeof(what));                        \
		cr_assert_not(call_equal(&a, &b, what, sizeof(what)), \
		              "%s: no difference seen", name);        \
		cr_assert_str_eq(what, name);                         \
		cr_assert_not(call_equal(&b, &a, NULL, 0));           \
		call_free(&b);                                        \
	} while (0)

	CHECK_DIFF(b.recommended_category = CALL_CATEGORY_OTHER,
	           "recommended_category");
	CHECK_DIFF(b.priority = 3, "priority");
	CHECK_DIFF(b.override_category = CALL_CATEGORY_OTHER,
	           "override_category");
	CHECK_DIFF(b.override_reason[0] = 'x', "override_reason");
	CHECK_DIFF(b.override_by[0] = 'x', "override_by");
	CHECK_DIFF(b.override_at_ms++, "override_at");
	CHECK_DIFF(b.decided_with[0] = 'x', "decided_with");
	CHECK_DIFF((b.n_actions--, free(b.actions[1].id),
	            free(b.actions[1].mark_reason), free(b.actions[1].mark_by)),
	           "actions");
	CHECK_DIFF(b.actions[0].id[0] = 'x', "actions");
	CHECK_DIFF(b.actions[0].state = CALL_ACTION_DONE, "actions");
	CHECK_DIFF(b.actions[0].required_since_ms++, "actions");
	CHECK_DIFF(b.actions[1].marked = false, "actions");
	CHECK_DIFF(b.actions[1].mark_reason[0] = 'x', "actions");
	CHECK_DIFF(b.actions[1].mark_by[0] = 'x', "actions");
	CHECK_DIFF(b.actions[1].mark_at_ms++, "actions");
	CHECK_DIFF(
	    {
		    struct call_action t = b.actions[0];
		    b.actions[0] = b.actions[1];
		    b.actions[1] = t;
	    },
	    "actions");
	CHECK_DIFF(b.n_hits--, "hits");
	CHECK_DIFF(b.hits[1].indicator[0] = 'x', "hits");
	CHECK_DIFF(b.hits[1].note++, "hits");
	CHECK_DIFF(b.hits[1].start++, "hits");
	CHECK_DIFF(b.hits[1].end++, "hits");
	CHECK_DIFF(b.hits[1].negated = true, "hits");
	CHECK_DIFF(b.hits[1].hypothetical = true, "hits");
	CHECK_DIFF(b.hits[1].historical = true, "hits");
	CHECK_DIFF(b.hits[1].subject[0] = 'x', "hits");
#undef CHECK_DIFF

	/* Bytes after a hit's terminating NUL do not count. */
	call_copy(&b, &a);
	b.hits[0].indicator[sizeof(b.hits[0].indicator) - 1] = 'z';
	b.hits[0].subject[sizeof(b.hits[0].subject) - 1] = 'z';
	cr_assert(call_equal(&a, &b, what, sizeof(what)), "%s", what);
	call_free(&b);
	call_free(&a);
}

Test(call_apply, open_gives_empty_decision_strings)
{
	struct call c;
	call_init(&c);
	cr_assert_null(c.decided_with);
	struct call_event e = opened_event();
	apply_ok(&c, &e);
	cr_assert_str_eq(c.decided_with, "");
	cr_assert_str_eq(c.override_reason, "");
	cr_assert_str_eq(c.override_by, "");
	cr_assert_eq(c.priority, 0);
	cr_assert_eq(c.recommended_category, CALL_CATEGORY_UNDETERMINED);
	cr_assert_eq(c.override_category, CALL_CATEGORY_UNDETERMINED);
	cr_assert_eq(c.n_actions, 0);
	cr_assert_eq(c.n_hits, 0);
	call_free(&c);
}
