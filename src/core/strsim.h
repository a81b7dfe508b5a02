/*
 * strsim.h - how alike two strings are, for record linkage (issue 7,
 * "records"): Jaro, Jaro-Winkler, Levenshtein, Damerau-Levenshtein and
 * Hamming over the Unicode code points of UTF-8 text, as jellyfish computes
 * them (its test vectors are our conformance test). Pure: no I/O, no state;
 * safe from any thread.
 *
 * Inputs are NUL-terminated UTF-8; NULL reads as "". Comparison is exact,
 * code point by code point: case and accents count ("José" and "jose"
 * differ in two places), so callers that want them not to count fold both
 * sides first (core/normalise.h). jellyfish compares grapheme clusters,
 * we compare code points: the two differ only on combining sequences ("e"
 * and a combining acute is two units here, one there), which folding
 * removes. Invalid UTF-8 never fails: each byte of an invalid sequence is
 * a unit of its own, equal only to the same byte.
 *
 * Work is bounded: each comparator reads at most STRSIM_MAX_CODEPOINTS code
 * points of each input and ignores the rest, so a 10 KB query costs what a
 * 256-character one does. Names are far below the cap. Jaro and Winkler,
 * the hot path of the search, use only the stack (ASCII, most names, is
 * compared in place, without decoding); so do Levenshtein and Hamming, and
 * Damerau-Levenshtein unless (len1 + 2) * (len2 + 2) is over 4,096 (two
 * strings of 62 code points), when it allocates its matrix (out of memory
 * aborts, as util/mem.h does everywhere). No comparator can fail.
 */
#ifndef HTD_CORE_STRSIM_H
#define HTD_CORE_STRSIM_H

#include <stddef.h>

/* Code points of each input that are compared; the rest is ignored. */
#define STRSIM_MAX_CODEPOINTS 256

/*
 * Returns the Jaro similarity of `a` and `b`, from 0 (nothing in common)
 * to 1 (equal). Matching characters are looked for within half the longer
 * length, less one. Returns 0 when either input is empty (as jellyfish
 * does, so two empty strings are not "equal" here); never fails.
 */
double strsim_jaro(const char *a, const char *b);

/*
 * Returns the Jaro-Winkler similarity: Jaro, raised for a common prefix
 * when Jaro is above 0.7, by 0.1 per prefix code point, up to 4 of them
 * (Winkler 1990). In [0, 1]; 0 when either input is empty.
 */
double strsim_jaro_winkler(const char *a, const char *b);

/*
 * As strsim_jaro_winkler(), with Winkler's adjustment for long strings
 * (jellyfish's long_tolerance=True): when both have more than 4 code points
 * and the matches beyond the prefix are at least two and over half of what
 * remains, the score rises further toward 1. In [0, 1].
 */
double strsim_jaro_winkler_long(const char *a, const char *b);

/*
 * Returns the Levenshtein distance: the fewest insertions, deletions and
 * substitutions of code points that turn `a` into `b`.
 */
size_t strsim_levenshtein(const char *a, const char *b);

/*
 * Returns the unrestricted Damerau-Levenshtein distance (Lowrance and
 * Wagner 1975): as Levenshtein, and a transposition of two code points
 * costs one even when other edits fall between them ("ca" -> "abc" is 2).
 */
size_t strsim_damerau_levenshtein(const char *a, const char *b);

/*
 * Returns the Hamming distance as jellyfish extends it to unequal lengths:
 * the code points that differ position by position, plus the difference
 * of the lengths.
 */
size_t strsim_hamming(const char *a, const char *b);

#endif
