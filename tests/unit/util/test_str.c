/*
 * test_str.c - unit tests of util/str.c: bounded copies, strict integer
 * parsing, trimming, and the UTF-8 and control-character checks applied to
 * text from outside.
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <string.h>

#include "util/str.h"

/* ---- str_copy / str_format ------------------------------------------- */

Test(str, copy_fits)
{
	char out[8];
	cr_assert(str_copy(out, sizeof(out), "abc"));
	cr_assert_str_eq(out, "abc");
	/* Exactly size - 1 bytes still fits. */
	cr_assert(str_copy(out, sizeof(out), "1234567"));
	cr_assert_str_eq(out, "1234567");
}

Test(str, copy_truncates_and_terminates)
{
	char out[8];
	memset(out, 'z', sizeof(out));
	cr_assert_not(str_copy(out, 4, "abcdef"));
	cr_assert_str_eq(out, "abc");
	cr_assert_eq(out[4], 'z', "wrote past size");
	cr_assert_not(str_copy(out, sizeof(out), "12345678"));
	cr_assert_str_eq(out, "1234567");
	cr_assert_not(str_copy(out, 1, "a"));
	cr_assert_str_eq(out, "");
}

Test(str, copy_edge_arguments)
{
	char out[4] = "xyz";
	cr_assert_not(str_copy(out, 0, "a"));
	cr_assert_str_eq(out, "xyz", "size 0 must not write");
	cr_assert_not(str_copy(NULL, 4, "a"));
	cr_assert(str_copy(out, sizeof(out), NULL));
	cr_assert_str_eq(out, "");
	cr_assert(str_copy(out, 1, ""));
	cr_assert_str_eq(out, "");
}

Test(str, format_reports_truncation)
{
	char out[8];
	cr_assert(str_format(out, sizeof(out), "%d-%s", 42, "ab"));
	cr_assert_str_eq(out, "42-ab");
	cr_assert(str_format(out, sizeof(out), "%s", "1234567"));
	cr_assert_str_eq(out, "1234567");
	cr_assert_not(str_format(out, sizeof(out), "%s", "12345678"));
	cr_assert_str_eq(out, "1234567");
	cr_assert_not(str_format(out, 0, "x"));
	cr_assert_not(str_format(NULL, 10, "x"));
	cr_assert(str_format(out, 1, "%s", ""));
}

Test(str, eq_and_empty)
{
	cr_assert(str_eq(NULL, NULL));
	cr_assert_not(str_eq(NULL, ""));
	cr_assert_not(str_eq("", NULL));
	cr_assert(str_eq("a", "a"));
	cr_assert_not(str_eq("a", "A"));
	cr_assert_not(str_eq("a", "ab"));
	cr_assert(str_empty(NULL));
	cr_assert(str_empty(""));
	cr_assert_not(str_empty(" "));
}

Test(str, ascii_lower)
{
	char s[] = "HeLLo-ÄÖ-42Z";
	cr_assert_eq(str_ascii_lower(s), s);
	cr_assert_str_eq(s, "hello-ÄÖ-42z");
	cr_assert_null(str_ascii_lower(NULL));
}

/* ---- str_to_i64 -------------------------------------------------------- */

Test(str, to_i64_accepts_plain_numbers)
{
	int64_t v = -1;
	cr_assert(str_to_i64("0", INT64_MIN, INT64_MAX, &v));
	cr_assert_eq(v, 0);
	cr_assert(str_to_i64("123", INT64_MIN, INT64_MAX, &v));
	cr_assert_eq(v, 123);
	cr_assert(str_to_i64("-45", INT64_MIN, INT64_MAX, &v));
	cr_assert_eq(v, -45);
	cr_assert(str_to_i64("007", INT64_MIN, INT64_MAX, &v));
	cr_assert_eq(v, 7);
	cr_assert(str_to_i64("9223372036854775807", INT64_MIN, INT64_MAX, &v));
	cr_assert_eq(v, INT64_MAX);
	cr_assert(str_to_i64("-9223372036854775808", INT64_MIN, INT64_MAX, &v));
	cr_assert_eq(v, INT64_MIN);
}

Test(str, to_i64_rejects_junk_and_leaves_out_untouched)
{
	static const char *const bad[] = {
		"",    " 1",  "1 ",    "+1",  "\t1",   "\n1", "1\n",
		"1a",  "a1",  "0x10",  "1.5", "1e3",   "-",   "--1",
		"-+1", "- 1", "1,000", "١",   "12 34", "0x",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int64_t v = 99;
		cr_assert_not(str_to_i64(bad[i], INT64_MIN, INT64_MAX, &v),
		              "accepted '%s'", bad[i]);
		cr_assert_eq(v, 99, "changed out for '%s'", bad[i]);
	}
	int64_t v = 99;
	cr_assert_not(str_to_i64(NULL, 0, 10, &v));
	cr_assert_eq(v, 99);
}

Test(str, to_i64_rejects_overflow)
{
	int64_t v = 99;
	cr_assert_not(
	    str_to_i64("9223372036854775808", INT64_MIN, INT64_MAX, &v));
	cr_assert_not(
	    str_to_i64("-9223372036854775809", INT64_MIN, INT64_MAX, &v));
	cr_assert_not(
	    str_to_i64("99999999999999999999999", INT64_MIN, INT64_MAX, &v));
	cr_assert_eq(v, 99);
}

Test(str, to_i64_checks_bounds_inclusively)
{
	int64_t v = 99;
	cr_assert(str_to_i64("1", 1, 10, &v));
	cr_assert_eq(v, 1);
	cr_assert(str_to_i64("10", 1, 10, &v));
	cr_assert_eq(v, 10);
	v = 99;
	cr_assert_not(str_to_i64("0", 1, 10, &v));
	cr_assert_not(str_to_i64("11", 1, 10, &v));
	cr_assert_not(str_to_i64("-1", 0, 10, &v));
	cr_assert_eq(v, 99);
}

/* ---- str_trim ---------------------------------------------------------- */

Test(str, trim)
{
	size_t len = 99;
	const char *s = "  \t hello world \r\n\v\f";
	const char *p = str_trim(s, &len);
	cr_assert_eq(p, s + 4);
	cr_assert_eq(len, 11);
	cr_assert_eq(strncmp(p, "hello world", len), 0);

	p = str_trim("abc", &len);
	cr_assert_str_eq(p, "abc");
	cr_assert_eq(len, 3);

	p = str_trim(" \t\n ", &len);
	cr_assert_eq(len, 0);
	p = str_trim("", &len);
	cr_assert_eq(len, 0);
	len = 99;
	p = str_trim(NULL, &len);
	cr_assert_str_eq(p, "");
	cr_assert_eq(len, 0);
	/* Non-ASCII bytes are not whitespace. */
	p = str_trim("\xc2\xa0x\xc2\xa0", &len);
	cr_assert_eq(len, 5);
}

/* ---- str_utf8_valid ---------------------------------------------------- */

static bool utf8(const char *s)
{
	return str_utf8_valid(s, strlen(s));
}

Test(str, utf8_accepts_well_formed_text)
{
	cr_assert(utf8(""));
	cr_assert(utf8("plain ASCII"));
	cr_assert(utf8("se\xc3\xb1or"));             /* ñ */
	cr_assert(utf8("\xe4\xb8\xad\xe6\x96\x87")); /* 中文 */
	cr_assert(utf8("\xf0\x9f\x98\x80"));         /* U+1F600 */
	cr_assert(utf8("\xc2\x80"));                 /* U+0080, lowest 2 */
	cr_assert(utf8("\xe0\xa0\x80"));             /* U+0800, lowest 3 */
	cr_assert(utf8("\xed\x9f\xbf"));             /* U+D7FF */
	cr_assert(utf8("\xee\x80\x80"));             /* U+E000 */
	cr_assert(utf8("\xef\xbf\xbd"));             /* U+FFFD */
	cr_assert(utf8("\xf0\x90\x80\x80"));         /* U+10000 */
	cr_assert(utf8("\xf4\x8f\xbf\xbf"));         /* U+10FFFF */
	/* Only the given length is read. */
	cr_assert(str_utf8_valid("ab\xff", 2));
}

Test(str, utf8_rejects_malformed_text)
{
	static const char *const bad[] = {
		"\x80",                 /* lone continuation */
		"a\xbf",                /* lone continuation after ASCII */
		"\xc3",                 /* truncated 2-byte */
		"\xc3(",                /* bad continuation */
		"\xe4\xb8",             /* truncated 3-byte */
		"\xf0\x9f\x98",         /* truncated 4-byte */
		"\xfe",                 /* never valid */
		"\xff",                 /* never valid */
		"\xf8\x88\x80\x80\x80", /* 5-byte form */
		"\xf4\x90\x80\x80",     /* U+110000, past Unicode */
		"\xf5\x80\x80\x80",     /* past Unicode */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_not(utf8(bad[i]), "accepted case %zu", i);
	/* A sequence cut by the length is malformed. */
	cr_assert_not(str_utf8_valid("\xc3\xb1", 1));
}

Test(str, utf8_rejects_overlong_forms)
{
	cr_assert_not(utf8("\xc0\xaf"));         /* '/' in 2 bytes */
	cr_assert_not(utf8("\xc1\xbf"));         /* U+007F in 2 bytes */
	cr_assert_not(utf8("\xc0\x80"));         /* NUL in 2 bytes */
	cr_assert_not(utf8("\xe0\x80\xaf"));     /* '/' in 3 bytes */
	cr_assert_not(utf8("\xe0\x9f\xbf"));     /* U+07FF in 3 bytes */
	cr_assert_not(utf8("\xf0\x80\x80\xaf")); /* '/' in 4 bytes */
	cr_assert_not(utf8("\xf0\x8f\xbf\xbf")); /* U+FFFF in 4 bytes */
}

Test(str, utf8_rejects_surrogates)
{
	cr_assert_not(utf8("\xed\xa0\x80"));             /* U+D800 */
	cr_assert_not(utf8("\xed\xbf\xbf"));             /* U+DFFF */
	cr_assert_not(utf8("\xed\xa0\xbd\xed\xb8\x80")); /* CESU-8 pair */
}

/* ---- str_no_controls --------------------------------------------------- */

static bool no_controls(const char *s, bool multiline)
{
	return str_no_controls(s, strlen(s), multiline);
}

Test(str, no_controls_accepts_ordinary_text)
{
	cr_assert(no_controls("", false));
	cr_assert(no_controls("Main St & 5th, apt #3 ~!", false));
	cr_assert(no_controls("se\xc3\xb1or \xe4\xb8\xad", false));
	cr_assert(no_controls("\xc2\xa0", false)); /* U+00A0: not C1 */
	cr_assert(no_controls("\xc2\xbf", false)); /* U+00BF */
	/* 0x80..0x9f as continuation bytes of other characters are fine. */
	cr_assert(no_controls("\xe2\x80\x9c", false)); /* U+201C */
	cr_assert(no_controls("\xc3\x85", false));     /* U+00C5 */
}

Test(str, no_controls_rejects_c0_and_del)
{
	for (int c = 1; c < 0x20; c++) {
		char s[4] = { 'a', (char)c, 'b', '\0' };
		if (c == '\n' || c == '\r' || c == '\t')
			continue;
		cr_assert_not(no_controls(s, false), "accepted 0x%02x", c);
		cr_assert_not(no_controls(s, true), "accepted 0x%02x", c);
	}
	cr_assert_not(no_controls("a\x7f", false));
	cr_assert_not(no_controls("a\x7f", true));
	cr_assert_not(no_controls("\x1b[2J", true)); /* terminal escape */
	/* An embedded NUL within the length is a control character. */
	cr_assert_not(str_no_controls("a\0b", 3, true));
}

Test(str, no_controls_rejects_c1)
{
	cr_assert_not(no_controls("\xc2\x80", false));   /* U+0080 */
	cr_assert_not(no_controls("a\xc2\x85z", false)); /* NEL */
	cr_assert_not(no_controls("\xc2\x9b", true));    /* CSI */
	cr_assert_not(no_controls("x\xc2\x9f", true));   /* U+009F */
}

Test(str, no_controls_line_breaks_only_when_multiline)
{
	cr_assert_not(no_controls("a\nb", false));
	cr_assert_not(no_controls("a\rb", false));
	cr_assert_not(no_controls("a\tb", false));
	cr_assert(no_controls("a\nb", true));
	cr_assert(no_controls("a\r\nb\tc", true));
}

Test(str, no_controls_reads_only_len_bytes)
{
	cr_assert(str_no_controls("ab\x01", 2, false));
	/* A C2 at the end of the range is not judged by what follows. */
	cr_assert(str_no_controls("a\xc2\x85", 2, false));
}
