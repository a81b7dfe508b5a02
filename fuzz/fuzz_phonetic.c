/*
 * fuzz_phonetic.c - fuzzes the record-linkage comparators and encoders of
 * core/strsim.h and core/phonetic.h, which will read names typed by
 * callers and dispatchers, in any script and any state of UTF-8.
 *
 * Input: two strings, split at the first NUL or newline (no separator: the
 * second is empty). Properties: every similarity lies in [0, 1], Winkler
 * only raises Jaro and long tolerance only raises Winkler, a string is
 * wholly like itself; every comparator is symmetric; the distances keep
 * their order (Damerau <= Levenshtein <= Hamming), stay within the capped
 * lengths and are 0 from a string to itself; the ASCII path and the
 * decoding path agree. Every code is NUL-terminated and within its size,
 * made of the characters its algorithm writes; a buffer one byte short of
 * the code gives a truncated prefix and false, never a write past it (heap
 * buffers of exact size, so ASan sees it); strict NYSIIS is full NYSIIS
 * cut to six characters; each encoder gives the same code twice. Any
 * violation aborts.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/phonetic.h"
#include "core/strsim.h"
#include "fuzz/fuzz.h"
#include "util/str.h"

static void fail(const char *what, const char *a, const char *b)
{
	fprintf(stderr, "phonetic: %s\na: '%s'\nb: '%s'\n", what, a,
	        b ? b : "(none)");
	abort();
}

/* ---- comparators -------------------------------------------------------- */

static bool in_unit_range(double x)
{
	return x >= 0.0 && x <= 1.0; /* false for NaN too */
}

static void check_similarities(const char *a, const char *b)
{
	double j = strsim_jaro(a, b);
	double jw = strsim_jaro_winkler(a, b);
	double jl = strsim_jaro_winkler_long(a, b);

	if (!in_unit_range(j) || !in_unit_range(jw) || !in_unit_range(jl))
		fail("a similarity outside [0, 1]", a, b);
	if (jw < j || jl < jw)
		fail("Winkler lowered Jaro, or long tolerance lowered Winkler",
		     a, b);
	if (strsim_jaro(b, a) != j || strsim_jaro_winkler(b, a) != jw ||
	    strsim_jaro_winkler_long(b, a) != jl)
		fail("a similarity is not symmetric", a, b);
}

static void check_distances(const char *a, const char *b)
{
	/* Capped lengths in code points, as the comparators count them. */
	size_t la = strsim_hamming(a, ""), lb = strsim_hamming(b, "");
	size_t lev = strsim_levenshtein(a, b);
	size_t dl = strsim_damerau_levenshtein(a, b);
	size_t ham = strsim_hamming(a, b);
	size_t longer = la > lb ? la : lb;
	size_t diff = la > lb ? la - lb : lb - la;

	if (la > STRSIM_MAX_CODEPOINTS || lb > STRSIM_MAX_CODEPOINTS)
		fail("a length over the cap", a, b);
	if (dl > lev || lev > ham || ham > longer || lev < diff)
		fail("distances out of order or out of bounds", a, b);
	if (strsim_levenshtein(b, a) != lev ||
	    strsim_damerau_levenshtein(b, a) != dl ||
	    strsim_hamming(b, a) != ham)
		fail("a distance is not symmetric", a, b);
	if ((lev == 0) != (ham == 0))
		fail("Levenshtein and Hamming disagree on equality", a, b);
	if (lev == 0 && la > 0 && strsim_jaro(a, b) != 1.0)
		fail("equal strings are not wholly alike", a, b);
}

static void check_self(const char *a)
{
	if (strsim_levenshtein(a, a) != 0 ||
	    strsim_damerau_levenshtein(a, a) != 0 || strsim_hamming(a, a) != 0)
		fail("a string is at a distance from itself", a, NULL);
	if (strsim_hamming(a, "") > 0 &&
	    (strsim_jaro(a, a) != 1.0 || strsim_jaro_winkler(a, a) != 1.0 ||
	     strsim_jaro_winkler_long(a, a) != 1.0))
		fail("a string is not wholly like itself", a, NULL);
}

/* Returns an owned copy of `s` with every 'a' written as "é". */
static char *spell_a_as_e_acute(const char *s)
{
	char *out = xmalloc(2 * strlen(s) + 1), *o = out;
	for (; *s; s++) {
		if (*s == 'a') {
			memcpy(o, "\xc3\xa9", 2);
			o += 2;
		} else {
			*o++ = *s;
		}
	}
	*o = '\0';
	return out;
}

/*
 * ASCII text takes a path of its own (bytes in place; bit sets up to 64
 * bytes), other text is decoded. Writing 'a' as the code point é on both
 * sides changes no comparison (when neither side has an é already: C3
 * cannot end an invalid sequence before it, so the units stay the same),
 * so both paths must agree exactly.
 */
static void check_paths_agree(const char *a, const char *b)
{
	if (strstr(a, "\xc3\xa9") || strstr(b, "\xc3\xa9"))
		return;
	char *ea = spell_a_as_e_acute(a), *eb = spell_a_as_e_acute(b);
	if (strsim_jaro(a, b) != strsim_jaro(ea, eb) ||
	    strsim_jaro_winkler(a, b) != strsim_jaro_winkler(ea, eb) ||
	    strsim_jaro_winkler_long(a, b) !=
	        strsim_jaro_winkler_long(ea, eb) ||
	    strsim_levenshtein(a, b) != strsim_levenshtein(ea, eb) ||
	    strsim_damerau_levenshtein(a, b) !=
	        strsim_damerau_levenshtein(ea, eb) ||
	    strsim_hamming(a, b) != strsim_hamming(ea, eb))
		fail("'a' spelled as 'é' on both sides changed a comparison", a,
		     b);
	free(ea);
	free(eb);
}

/* ---- encoders ----------------------------------------------------------- */

/* True when every byte of `s` is in `set`. */
static bool only(const char *s, const char *set)
{
	for (; *s; s++)
		if (!strchr(set, *s))
			return false;
	return true;
}

static void check_soundex(const char *a)
{
	char code[PHONETIC_SOUNDEX_SIZE], again[PHONETIC_SOUNDEX_SIZE];
	phonetic_soundex(a, code);
	size_t n = strnlen(code, sizeof(code));
	if (n == sizeof(code))
		fail("Soundex not NUL-terminated", a, NULL);
	if (n != 0 && (n != 4 || code[0] < 'A' || code[0] > 'Z' ||
	               !only(code + 1, "0123456")))
		fail("Soundex is not a letter and three digits", a, NULL);
	phonetic_soundex(a, again);
	if (strcmp(code, again) != 0)
		fail("Soundex differs the second time", a, NULL);
}

typedef bool encode_fn(const char *in, char *out, size_t size, bool flag);

static bool nysiis_full(const char *in, char *out, size_t size, bool flag)
{
	(void)flag;
	return phonetic_nysiis(in, out, size, false);
}

static bool nysiis_strict(const char *in, char *out, size_t size, bool flag)
{
	(void)flag;
	return phonetic_nysiis(in, out, size, true);
}

static bool metaphone(const char *in, char *out, size_t size, bool flag)
{
	(void)flag;
	return phonetic_metaphone(in, out, size);
}

/*
 * Encodes `a` into a buffer of exactly the code's size, then one byte
 * short: the short one must fail, hold a NUL-terminated prefix of the
 * code no longer than its size and, for UTF-8 codes, valid UTF-8. The
 * code is returned in `code` (`size` bytes).
 */
static void check_sizes(const char *a, encode_fn *fn, const char *what,
                        char *code, size_t size)
{
	char msg[128];
	if (!fn(a, code, size, false)) {
		str_format(msg, sizeof(msg), "%s does not fit %zu bytes", what,
		           size);
		fail(msg, a, NULL);
	}
	size_t n = strlen(code);
	if (!str_utf8_valid(code, n)) {
		str_format(msg, sizeof(msg), "%s is not valid UTF-8", what);
		fail(msg, a, NULL);
	}
	char *exact = xmalloc(n + 1);
	if (!fn(a, exact, n + 1, false) || strcmp(exact, code) != 0) {
		str_format(msg, sizeof(msg), "%s differs in its own size",
		           what);
		fail(msg, a, NULL);
	}
	free(exact);
	if (n == 0) {
		if (fn(a, NULL, 0, false)) {
			str_format(msg, sizeof(msg), "%s fit in 0 bytes", what);
			fail(msg, a, NULL);
		}
		return;
	}
	char *small = xmalloc(n);
	bool fit = fn(a, small, n, false);
	size_t m = strnlen(small, n);
	if (fit || m == n || strncmp(small, code, m) != 0 ||
	    !str_utf8_valid(small, m)) {
		str_format(msg, sizeof(msg),
		           "%s one byte short: no clean truncated prefix",
		           what);
		fail(msg, a, NULL);
	}
	free(small);
}

static void check_nysiis(const char *a)
{
	char full[4 * PHONETIC_INPUT_MAX + 1];
	char strict[4 * PHONETIC_INPUT_MAX + 1];
	check_sizes(a, nysiis_full, "NYSIIS", full, sizeof(full));
	check_sizes(a, nysiis_strict, "strict NYSIIS", strict, sizeof(strict));

	/* Strict is the first six characters of full. */
	const unsigned char *p = (const unsigned char *)full;
	size_t chars = 0, bytes = 0;
	while (p[bytes] && chars < PHONETIC_NYSIIS_STRICT_MAX) {
		bytes++;
		while ((p[bytes] & 0xC0) == 0x80)
			bytes++;
		chars++;
	}
	if (strlen(strict) != bytes || strncmp(strict, full, bytes) != 0)
		fail("strict NYSIIS is not full NYSIIS cut to six", a, NULL);
}

static void check_metaphone(const char *a)
{
	char code[2 * PHONETIC_INPUT_MAX + 1];
	check_sizes(a, metaphone, "Metaphone", code, sizeof(code));
	if (!only(code, "ABEFHIJKLMNOPRSTUWXY0 "))
		fail("Metaphone wrote a character it has no rule for", a, NULL);
	if (code[0] == ' ' || strstr(code, "  "))
		fail("Metaphone: a leading or doubled space", a, NULL);
}

static void check_double_metaphone(const char *a)
{
	char p[PHONETIC_DOUBLE_METAPHONE_SIZE],
	    alt[PHONETIC_DOUBLE_METAPHONE_SIZE];
	if (!phonetic_double_metaphone(a, p, alt, sizeof(p)))
		fail("Double Metaphone does not fit its size", a, NULL);
	if (strlen(p) > PHONETIC_DOUBLE_METAPHONE_MAX ||
	    strlen(alt) > PHONETIC_DOUBLE_METAPHONE_MAX)
		fail("Double Metaphone longer than 4", a, NULL);
	/* The space is the alternate of a final J (commons-codec). */
	if (!only(p, "AFHJKLMNPRSTX0") || !only(alt, "AFHJKLMNPRSTX0 "))
		fail("Double Metaphone wrote an unknown character", a, NULL);

	/* Every smaller size: exact-size heap buffers, prefixes. */
	for (size_t size = 0; size < PHONETIC_DOUBLE_METAPHONE_SIZE; size++) {
		char *sp = size ? xmalloc(size) : NULL;
		char *sa = size ? xmalloc(size) : NULL;
		bool fit = phonetic_double_metaphone(a, sp, sa, size);
		bool should = size > strlen(p) && size > strlen(alt);
		if (fit != should)
			fail("Double Metaphone: wrong answer to a small size",
			     a, NULL);
		if (size > 0 && (strncmp(sp, p, size - 1) != 0 ||
		                 strncmp(sa, alt, size - 1) != 0 ||
		                 strlen(sp) >= size || strlen(sa) >= size))
			fail("Double Metaphone: truncation is not a prefix", a,
			     NULL);
		free(sp);
		free(sa);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_input_copy(data, size);
	if (!s)
		return 0;
	/* a ends at the first NUL or newline; b is the rest, to its NUL. */
	char *b = s + strcspn(s, "\n");
	if (*b == '\n')
		*b++ = '\0';
	else if ((size_t)(b - s) < size)
		b++; /* an embedded NUL: b follows it */
	const char *a = s;

	check_similarities(a, b);
	check_distances(a, b);
	check_paths_agree(a, b);
	check_self(a);
	check_self(b);
	check_soundex(a);
	check_nysiis(a);
	check_metaphone(a);
	check_double_metaphone(a);
	check_double_metaphone(b);
	free(s);
	return 0;
}
