/*
 * test_normalise.c - folding text for matching, and the byte map back to
 * what the call-taker typed.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "core/normalise.h"

static struct normalised n;

static void fini(void)
{
	normalise_free(&n);
}

TestSuite(normalise, .fini = fini);

static const char *fold(const char *s, size_t len)
{
	cr_assert_eq(normalise_text(s, len, &n), 0);
	return n.text;
}

Test(normalise, ascii_is_lower_cased_and_mapped_one_to_one)
{
	cr_assert_str_eq(fold("Boss KEEPS my PP", 16), "boss keeps my pp");
	cr_assert_eq(n.len, 16);
	for (size_t i = 0; i < n.len; i++) {
		cr_assert_eq(n.from[i], i);
		cr_assert_eq(n.to[i], i + 1);
	}
	cr_assert_eq(n.from[n.len], 16);
}

Test(normalise, accents_are_stripped_and_spans_map_back)
{
	const char *s = "El patrón quitó";
	cr_assert_str_eq(fold(s, strlen(s)), "el patron quito");
	/* 'o' of "patrón" is byte 7 of the result and bytes 7..9 of s. */
	cr_assert_eq(n.text[7], 'o');
	cr_assert_eq(n.from[7], 7);
	cr_assert_eq(n.to[7], 9);
	/* After it, every offset is shifted by the extra byte. */
	cr_assert_eq(n.from[8], 9);
	cr_assert_eq(n.to[14], strlen(s));
}

Test(normalise, compatibility_forms_case_folding_and_lumping)
{
	cr_assert_str_eq(fold("\xEF\xBC\xA9\xEF\xBC\xA4", 6), "id"); /* ＩＤ */
	cr_assert_str_eq(fold("can\xE2\x80\x99t", 7), "can't");      /* ’ */
	cr_assert_str_eq(fold("Stra\xC3\x9F"
	                      "e",
	                      7),
	                 "strasse"); /* ß folds to ss */
	cr_assert_eq(n.from[4], 4);
	cr_assert_eq(n.from[5], 4);
	cr_assert_eq(n.to[5], 6);
	cr_assert_str_eq(fold("e\xCC\x81", 3), "e"); /* combining acute */
	cr_assert_str_eq(fold("A\xC2\xA0"
	                      "B",
	                      4),
	                 "a b"); /* no-break space */
}

Test(normalise, invalid_utf8_and_nul_are_separators)
{
	const char s[] = "my\xFFpp\x00id\xC3";
	cr_assert_str_eq(fold(s, sizeof(s) - 1), "my pp id ");
	cr_assert_eq(n.invalid_bytes, 2);
	cr_assert_eq(n.len, sizeof(s) - 1);
}

Test(normalise, other_scripts_pass_through_symbols_separate)
{
	const char *s = "\xD7\xA9\xD7\x9C\xD7\x95\xD7\x9D"; /* שלום */
	cr_assert_str_eq(fold(s, strlen(s)), s);
	cr_assert_eq(n.invalid_bytes, 0);
	/* An emoji, Spanish ¿ ¡ and curly double quotes are separators. */
	const char *e = "\xF0\x9F\x98\x80x \xC2\xBFno? \xC2\xA1si! "
	                "\xE2\x80\x9Cpp\xE2\x80\x9D";
	cr_assert_str_eq(fold(e, strlen(e)), " x no? si! pp ");
	cr_assert_eq(n.from[0], 0);
	cr_assert_eq(n.to[0], 4);
	cr_assert_eq(n.from[1], 4);
}

Test(normalise, runs_of_blanks_become_one_space)
{
	const char *s = "boss \t  keeps\tmy\n\npp";
	cr_assert_str_eq(fold(s, strlen(s)), "boss keeps my\n\npp");
	/* The space stands for all four blanks of the original. */
	cr_assert_eq(n.from[4], 4);
	cr_assert_eq(n.to[4], 8);
	cr_assert_eq(n.from[5], 8);
}

Test(normalise, reuse_and_empty)
{
	fold("ABC", 3);
	cr_assert_str_eq(fold("", 0), "");
	cr_assert_eq(n.len, 0);
	cr_assert_eq(n.from[0], 0);
}

Test(normalise, patterns_keep_escapes)
{
	char *p = normalise_pattern("Patrón \\B\\S+ (DL|ID)");
	cr_assert_str_eq(p, "patron \\B\\S+ (dl|id)");
	free(p);
	p = normalise_pattern("\\\\A");
	cr_assert_str_eq(p, "\\\\a");
	free(p);
	cr_assert_null(normalise_pattern("bad \xFF"));
}
