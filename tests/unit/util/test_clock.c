/*
 * test_clock.c - unit tests of util/clock.c: the fixed clock, RFC 3339
 * formatting, and strict parsing of every accepted date/time form in UTC,
 * with offsets, and in local time (TZ set per test with POSIX rules).
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/clock.h"

/* 2026-11-29T08:54:19.123Z */
#define T_2026_11_29 INT64_C(1795942459123)
#define TIME_MAX_MS INT64_C(253402300799999)

static void set_tz(const char *tz)
{
	cr_assert_eq(setenv("TZ", tz, 1), 0);
	tzset();
}

/* Parses `s`, asserting success, and returns the time. */
static int64_t parse_ok(const char *s)
{
	struct htd_error err;
	int64_t ms = -12345;
	enum htd_err rc = time_parse(s, "--since", &ms, &err);
	cr_assert_eq(rc, HTD_OK, "'%s' rejected: %s", s, err.message);
	return ms;
}

/* Asserts that `s` is rejected with HTD_ERR_INVALID naming --since. */
static void parse_bad(const char *s)
{
	struct htd_error err;
	int64_t ms = -12345;
	enum htd_err rc = time_parse(s, "--since", &ms, &err);
	cr_assert_eq(rc, HTD_ERR_INVALID, "'%s' accepted as %lld", s,
	             (long long)ms);
	cr_assert_eq(err.code, HTD_ERR_INVALID);
	cr_assert_str_eq(err.field, "--since");
	cr_assert_not_null(strstr(err.message, "--since"),
	                   "message '%s' does not name the value", err.message);
	cr_assert_eq(ms, -12345, "'%s' changed the output on failure", s);
}

/* ---- clocks ------------------------------------------------------------ */

Test(clock, fixed_clock_reads_the_given_variable)
{
	struct htd_clock c;
	int64_t now = 1000;
	clock_fixed(&c, &now);
	cr_assert_eq(clock_now_ms(&c), 1000);
	now = T_2026_11_29;
	cr_assert_eq(clock_now_ms(&c), T_2026_11_29);
}

Test(clock, system_clock_is_plausible)
{
	const struct htd_clock *c = clock_system();
	cr_assert_not_null(c);
	cr_assert_eq(clock_system(), c);
	int64_t a = clock_now_ms(c);
	int64_t real = (int64_t)time(NULL) * 1000;
	cr_assert_lt(a > real ? a - real : real - a, 5000);
	/* NULL means the system clock. */
	int64_t b = clock_now_ms(NULL);
	cr_assert_geq(b, a);
	cr_assert_lt(b - a, 5000);
}

/* ---- formatting -------------------------------------------------------- */

Test(clock, format_utc)
{
	char out[TIME_TEXT_MAX];
	cr_assert(time_format_utc(0, out, sizeof(out)));
	cr_assert_str_eq(out, "1970-01-01T00:00:00.000Z");
	cr_assert(time_format_utc(T_2026_11_29, out, sizeof(out)));
	cr_assert_str_eq(out, "2026-11-29T08:54:19.123Z");
	cr_assert(time_format_utc(INT64_C(1709164800007), out, sizeof(out)));
	cr_assert_str_eq(out, "2024-02-29T00:00:00.007Z");
	cr_assert(time_format_utc(TIME_MAX_MS, out, sizeof(out)));
	cr_assert_str_eq(out, "9999-12-31T23:59:59.999Z");
}

Test(clock, format_utc_out_of_range_or_too_small)
{
	char out[TIME_TEXT_MAX];
	cr_assert_not(time_format_utc(-1, out, sizeof(out)));
	cr_assert_not(time_format_utc(TIME_MAX_MS + 1, out, sizeof(out)));
	cr_assert_not(time_format_utc(INT64_MIN, out, sizeof(out)));
	cr_assert_not(time_format_utc(INT64_MAX, out, sizeof(out)));
	/* 24 characters need 25 bytes. */
	cr_assert_not(time_format_utc(T_2026_11_29, out, 24));
	cr_assert(time_format_utc(T_2026_11_29, out, 25));
}

Test(clock, format_local)
{
	char out[TIME_TEXT_MAX];
	set_tz("CST6CDT,M3.2.0,M11.1.0");
	cr_assert(time_format_local(T_2026_11_29, out, sizeof(out)));
	cr_assert_str_eq(out, "2026-11-29 02:54:19");
	set_tz("UTC0");
	cr_assert(time_format_local(T_2026_11_29, out, sizeof(out)));
	cr_assert_str_eq(out, "2026-11-29 08:54:19");
	cr_assert_not(time_format_local(-1, out, sizeof(out)));
	cr_assert_not(time_format_local(TIME_MAX_MS + 1, out, sizeof(out)));
	cr_assert_not(time_format_local(T_2026_11_29, out, 19));
}

Test(clock, local_year)
{
	/* 2026-01-01T03:00Z is still New Year's Eve in Chicago. */
	int64_t ms = parse_ok("2026-01-01T03:00:00Z");
	set_tz("CST6CDT,M3.2.0,M11.1.0");
	cr_assert_eq(time_local_year(ms), 2025);
	set_tz("UTC0");
	cr_assert_eq(time_local_year(ms), 2026);
	set_tz("IST-5:30");
	cr_assert_eq(time_local_year(parse_ok("2025-12-31T20:00:00Z")), 2026);
	cr_assert_eq(time_local_year(-1), -1);
	cr_assert_eq(time_local_year(TIME_MAX_MS + 1), -1);
	cr_assert_eq(time_local_year(0), 1970);
}

/* ---- parsing: UTC and offsets ----------------------------------------- */

Test(clock, parse_utc_forms)
{
	cr_assert_eq(parse_ok("2026-11-29T08:54:19.123Z"), T_2026_11_29);
	cr_assert_eq(parse_ok("2026-11-29t08:54:19.123z"), T_2026_11_29);
	cr_assert_eq(parse_ok("2026-11-29 08:54:19.123Z"), T_2026_11_29);
	cr_assert_eq(parse_ok("2026-11-29T08:54:19Z"), T_2026_11_29 - 123);
	cr_assert_eq(parse_ok("2026-11-29T08:54Z"), T_2026_11_29 - 19123);
	cr_assert_eq(parse_ok("1970-01-01T00:00:00Z"), 0);
	cr_assert_eq(parse_ok("1970-01-01T00:00:00.001Z"), 1);
	cr_assert_eq(parse_ok("9999-12-31T23:59:59.999Z"), TIME_MAX_MS);
	cr_assert_eq(parse_ok("2024-02-29T00:00Z"), INT64_C(1709164800000));
}

Test(clock, parse_refuses_what_cannot_be_written_back)
{
	/* In UTC these fall in the year 10000, which nothing can format. */
	struct htd_error err;
	int64_t ms = 0;
	cr_assert_eq(time_parse("9999-12-31T23:59-23:59", "t", &ms, &err),
	             HTD_ERR_INVALID);
	cr_assert(strstr(err.message, "after the year 9999"), "%s",
	          err.message);
	cr_assert_eq(time_parse("9999-12-31T23:00:00-01:00", "t", &ms, &err),
	             HTD_ERR_INVALID);
}

Test(clock, parse_offsets)
{
	cr_assert_eq(parse_ok("2026-11-29T08:54:19.123+00:00"), T_2026_11_29);
	cr_assert_eq(parse_ok("2026-11-29T08:54:19.123-00:00"), T_2026_11_29);
	cr_assert_eq(parse_ok("2026-11-29T02:54:19.123-06:00"), T_2026_11_29);
	cr_assert_eq(parse_ok("2026-11-29T14:24:19.123+05:30"), T_2026_11_29);
	/* An offset may move the date. */
	cr_assert_eq(parse_ok("2026-11-28T23:54:19.123-09:00"), T_2026_11_29);
	cr_assert_eq(parse_ok("2026-11-29T23:54:19.123+15:00"), T_2026_11_29);
	cr_assert_eq(parse_ok("2026-11-29T08:54+00:00"), T_2026_11_29 - 19123);
}

Test(clock, parse_fractional_seconds)
{
	int64_t base = T_2026_11_29 - 123;
	cr_assert_eq(parse_ok("2026-11-29T08:54:19.1Z"), base + 100);
	cr_assert_eq(parse_ok("2026-11-29T08:54:19.12Z"), base + 120);
	cr_assert_eq(parse_ok("2026-11-29T08:54:19.000Z"), base);
	cr_assert_eq(parse_ok("2026-11-29T08:54:19.999Z"), base + 999);
	/* Below a millisecond is dropped, up to nanoseconds. */
	cr_assert_eq(parse_ok("2026-11-29T08:54:19.1239Z"), base + 123);
	cr_assert_eq(parse_ok("2026-11-29T08:54:19.123456789Z"), base + 123);
	cr_assert_eq(parse_ok("2026-11-29T08:54:19.5+01:00"),
	             base - 3600000 + 500);
	parse_bad("2026-11-29T08:54:19.1234567890Z");
	parse_bad("2026-11-29T08:54:19.Z");
	parse_bad("2026-11-29T08:54:19.");
	parse_bad("2026-11-29T08:54.5Z"); /* fraction needs seconds */
}

Test(clock, parse_round_trips_format_utc)
{
	static const int64_t times[] = { 0,
		                         1,
		                         999,
		                         86399999,
		                         INT64_C(951782400000),
		                         T_2026_11_29,
		                         TIME_MAX_MS };
	for (size_t i = 0; i < sizeof(times) / sizeof(times[0]); i++) {
		char out[TIME_TEXT_MAX];
		cr_assert(time_format_utc(times[i], out, sizeof(out)));
		cr_assert_eq(parse_ok(out), times[i], "%s", out);
	}
}

Test(clock, parse_leap_years)
{
	set_tz("UTC0");
	cr_assert_eq(parse_ok("2024-02-29"), INT64_C(1709164800000));
	cr_assert_eq(parse_ok("2000-02-29T00:00Z"), INT64_C(951782400000));
	parse_bad("2025-02-29");
	parse_bad("2100-02-29");
	parse_bad("2024-02-30");
	cr_assert_eq(parse_ok("2025-02-28T00:00Z") + 86400000,
	             parse_ok("2025-03-01T00:00Z"));
	cr_assert_eq(parse_ok("2024-02-28T00:00Z") + 2 * 86400000,
	             parse_ok("2024-03-01T00:00Z"));
}

Test(clock, parse_rejects_impossible_dates_and_times)
{
	set_tz("UTC0");
	parse_bad("2026-02-30");
	parse_bad("2026-13-01");
	parse_bad("2026-00-10");
	parse_bad("2026-01-00");
	parse_bad("2026-01-32");
	parse_bad("2026-04-31");
	parse_bad("2026-01-01T25:00");
	parse_bad("2026-01-01T24:00Z");
	parse_bad("2026-01-01T23:60Z");
	parse_bad("2026-01-01T23:59:60Z");
	parse_bad("2026-01-01T10:00+24:00");
	parse_bad("2026-01-01T10:00+05:60");
}

Test(clock, parse_rejects_malformed_text)
{
	static const char *const bad[] = {
		"",
		"2026",
		"2026-01",
		"2026-1-1",
		"26-01-01",
		"02026-01-01",
		"2026/01/01",
		"20260101",
		" 2026-01-01",
		"2026-01-01 ",
		"2026-01-01x",
		"2026-01-01Z",
		"2026-01-01T",
		"2026-01-01T10",
		"2026-01-01T10:0",
		"2026-01-01T1:00",
		"2026-01-01T10:00:0",
		"2026-01-01T10:00:00Zjunk",
		"2026-01-01T10:00:00Z ",
		"2026-01-01T10:00+5:00",
		"2026-01-01T10:00+0500",
		"2026-01-01T10:00+05",
		"2026-01-01T10:00+05:00x",
		"2026-01-01T10:00Z+01:00",
		"2026-01-01X10:00",
		"now",
		"-2026-01-01",
		"+2026-01-01",
		"2026-01-01T10:00:00.123456789012345678901234567890Z",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		parse_bad(bad[i]);
}

Test(clock, parse_rejects_pre_1970)
{
	set_tz("UTC0");
	parse_bad("1969-12-31");
	parse_bad("1969-12-31T23:59:59Z");
	parse_bad("0000-01-01");
	parse_bad("1000-01-01T00:00Z");
	/* A date in 1970 whose offset puts it before the epoch. */
	parse_bad("1970-01-01T00:30+01:00");
	cr_assert_eq(parse_ok("1970-01-01T00:30-01:00"), 5400000);
	/* Local midnight east of Greenwich is before the epoch. */
	set_tz("CET-1");
	parse_bad("1970-01-01");
}

Test(clock, parse_messages_name_the_value)
{
	struct htd_error err;
	int64_t ms;
	cr_assert_eq(time_parse("2026-02-30", "--until", &ms, &err),
	             HTD_ERR_INVALID);
	cr_assert_str_eq(err.field, "--until");
	cr_assert_not_null(strstr(err.message, "2026-02-30"));
	cr_assert_not_null(strstr(err.message, "not a real date"));
	cr_assert_eq(time_parse("2026-01-01T25:00", "--until", &ms, &err),
	             HTD_ERR_INVALID);
	cr_assert_not_null(strstr(err.message, "not a real time"));
	cr_assert_eq(time_parse("1969-12-31T00:00Z", "--until", &ms, &err),
	             HTD_ERR_INVALID);
	cr_assert_eq(time_parse("yesterday", "--until", &ms, &err),
	             HTD_ERR_INVALID);
	cr_assert_not_null(strstr(err.message, "'yesterday'"));
	cr_assert_not_null(strstr(err.message, "YYYY-MM-DD"));
	/* NULL `what` defaults to "time"; NULL text and NULL err are safe. */
	cr_assert_eq(time_parse("x", NULL, &ms, &err), HTD_ERR_INVALID);
	cr_assert_str_eq(err.field, "time");
	cr_assert_eq(time_parse(NULL, "t", &ms, &err), HTD_ERR_INVALID);
	cr_assert_eq(time_parse("x", "t", &ms, NULL), HTD_ERR_INVALID);
}

/* ---- parsing: local time ---------------------------------------------- */

Test(clock, parse_local_forms_in_chicago)
{
	set_tz("CST6CDT,M3.2.0,M11.1.0");
	/* Winter: UTC-6. */
	cr_assert_eq(parse_ok("2026-01-15T09:30"), INT64_C(1768491000000));
	cr_assert_eq(parse_ok("2026-01-15 09:30"), INT64_C(1768491000000));
	cr_assert_eq(parse_ok("2026-01-15T09:30:00"), INT64_C(1768491000000));
	cr_assert_eq(parse_ok("2026-01-15T09:30:00.250"),
	             INT64_C(1768491000250));
	cr_assert_eq(parse_ok("2026-01-15T09:30"),
	             parse_ok("2026-01-15T15:30Z"));
	/* Summer: UTC-5; a date alone is local midnight. */
	cr_assert_eq(parse_ok("2026-07-04"), INT64_C(1783141200000));
	cr_assert_eq(parse_ok("2026-07-04"), parse_ok("2026-07-04T05:00Z"));
	/* An explicit zone ignores TZ. */
	cr_assert_eq(parse_ok("2026-07-04T00:00Z"),
	             INT64_C(1783141200000) - 5 * 3600000);
}

Test(clock, parse_local_forms_follow_tz)
{
	set_tz("UTC0");
	cr_assert_eq(parse_ok("2026-03-01T12:00"), INT64_C(1772366400000));
	cr_assert_eq(parse_ok("2026-03-01"), INT64_C(1772366400000) - 43200000);
	set_tz("IST-5:30");
	cr_assert_eq(parse_ok("2026-03-01T17:30"), INT64_C(1772366400000));
	cr_assert_eq(parse_ok("2026-03-01T17:30:00+05:30"),
	             INT64_C(1772366400000));
}

Test(clock, parse_local_round_trips_format_local)
{
	set_tz("CST6CDT,M3.2.0,M11.1.0");
	char out[TIME_TEXT_MAX];
	int64_t ms = T_2026_11_29 - 123;
	cr_assert(time_format_local(ms, out, sizeof(out)));
	cr_assert_eq(parse_ok(out), ms, "%s", out);
}
