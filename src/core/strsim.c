/*
 * strsim.c - string comparators over code points (see strsim.h).
 *
 * Each input is decoded once into a fixed array of at most
 * STRSIM_MAX_CODEPOINTS code points on the stack, and the comparators work
 * on those arrays. Jaro, the hot path of the record search, skips even
 * that for ASCII, most names: it reads the bytes where they lie, and for
 * strings of up to 64 bytes finds its matches with bit sets instead of
 * scanning the window.
 */
#include "core/strsim.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/mem.h"

/* A byte of invalid UTF-8 becomes this plus the byte: above Unicode, so it
 * equals no code point, only the same invalid byte. */
#define INVALID_BASE 0x110000u

/* Damerau-Levenshtein keeps its matrix on the stack up to this many cells
 * ((62 + 2) squared: two 62-code-point names), else allocates it. */
#define DL_STACK_CELLS 4096

struct codepoints {
	uint32_t cp[STRSIM_MAX_CODEPOINTS];
	size_t len;
};

static inline bool is_continuation(unsigned char c)
{
	return (c & 0xC0) == 0x80;
}

/*
 * Decodes the sequence that starts at `p` (not ASCII, not NUL) into *cp and
 * returns its length in bytes; an invalid sequence gives 1 and a unit of
 * its own. Never reads past a NUL: a NUL is not a continuation byte, and
 * the checks stop at the first one that fails.
 */
static size_t decode_multibyte(const unsigned char *p, uint32_t *cp)
{
	unsigned char c = p[0];
	uint32_t v;

	if (c >= 0xC2 && c <= 0xDF) {
		if (is_continuation(p[1])) {
			*cp = ((uint32_t)(c & 0x1F) << 6) |
			      (uint32_t)(p[1] & 0x3F);
			return 2;
		}
	} else if (c >= 0xE0 && c <= 0xEF) {
		if (is_continuation(p[1]) && is_continuation(p[2])) {
			v = ((uint32_t)(c & 0x0F) << 12) |
			    ((uint32_t)(p[1] & 0x3F) << 6) |
			    (uint32_t)(p[2] & 0x3F);
			/* Not overlong, not a surrogate. */
			if (v >= 0x800 && (v < 0xD800 || v > 0xDFFF)) {
				*cp = v;
				return 3;
			}
		}
	} else if (c >= 0xF0 && c <= 0xF4) {
		if (is_continuation(p[1]) && is_continuation(p[2]) &&
		    is_continuation(p[3])) {
			v = ((uint32_t)(c & 0x07) << 18) |
			    ((uint32_t)(p[1] & 0x3F) << 12) |
			    ((uint32_t)(p[2] & 0x3F) << 6) |
			    (uint32_t)(p[3] & 0x3F);
			if (v >= 0x10000 && v <= 0x10FFFF) {
				*cp = v;
				return 4;
			}
		}
	}
	*cp = INVALID_BASE + c;
	return 1;
}

/* Decodes the first STRSIM_MAX_CODEPOINTS code points of `s` into `out`. */
static void decode(const char *s, struct codepoints *out)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	size_t n = 0;

	while (n < STRSIM_MAX_CODEPOINTS && *p) {
		if (*p < 0x80) {
			out->cp[n++] = *p++;
			continue;
		}
		p += decode_multibyte(p, &out->cp[n++]);
	}
	out->len = n;
}

/* ---- Jaro and Jaro-Winkler -------------------------------------------- */

enum jaro_kind { JARO_PLAIN, JARO_WINKLER, JARO_WINKLER_LONG };

/* Winkler's prefix scale and longest prefix that counts (Winkler 1990). */
#define WINKLER_SCALE 0.1
#define WINKLER_PREFIX_MAX 4
/* Jaro scores at or below this get no prefix bonus. */
#define WINKLER_THRESHOLD 0.7

/* What Jaro counts: matching units, and half the matched pairs out of
 * order. */
struct jaro_counts {
	size_t common;
	size_t transposed;
};

/* Unit i of a sequence of `width`-byte units: 1 for ASCII bytes read in
 * place, 4 for decoded code points. */
#define UNIT(s, width, i)                               \
	((width) == 1 ? ((const unsigned char *)(s))[i] \
	              : ((const uint32_t *)(s))[i])

/* The window of s2 that unit i of s1 may match: [lo, hi], empty when lo
 * > hi. */
static inline void jaro_window(size_t i, size_t range, size_t n2, size_t *lo,
                               size_t *hi)
{
	*lo = i > range ? i - range : 0;
	*hi = i + range < n2 - 1 ? i + range : n2 - 1;
}

/*
 * Counts over two sequences of units (n1, n2 >= 1), the textbook way: a
 * unit of s1 matches the first unmatched equal unit of s2 within `range`
 * positions; then the matched units are taken in order from each side.
 * Inlined into its callers with a constant `width`, so each gets its own
 * loop with no test of the width inside.
 */
static inline __attribute__((always_inline)) struct jaro_counts
jaro_count_units(const void *s1, size_t n1, const void *s2, size_t n2,
                 size_t width, size_t range)
{
	unsigned char matched1[STRSIM_MAX_CODEPOINTS];
	unsigned char matched2[STRSIM_MAX_CODEPOINTS];
	struct jaro_counts c = { 0, 0 };

	memset(matched1, 0, n1);
	memset(matched2, 0, n2);
	for (size_t i = 0; i < n1; i++) {
		size_t lo, hi;
		jaro_window(i, range, n2, &lo, &hi);
		uint32_t u = UNIT(s1, width, i);
		for (size_t j = lo; j <= hi; j++) {
			if (!matched2[j] && UNIT(s2, width, j) == u) {
				matched1[i] = 1;
				matched2[j] = 1;
				c.common++;
				break;
			}
		}
	}
	size_t k = 0;
	for (size_t i = 0; i < n1 && c.common > 0; i++) {
		if (!matched1[i])
			continue;
		while (!matched2[k])
			k++;
		if (UNIT(s1, width, i) != UNIT(s2, width, k))
			c.transposed++;
		k++;
	}
	c.transposed /= 2;
	return c;
}

/* The largest length jaro_count_short() takes: positions are the bits of
 * a uint64_t. */
#define JARO_SHORT_MAX 64

/*
 * The same counts for ASCII strings of 1 to JARO_SHORT_MAX bytes, names in
 * practice, with bit sets: where[c] is the set of positions of byte c in
 * s2, so the first unmatched equal unit in the window is the lowest bit of
 * where[c] & ~matched2 & window. No loop over the window.
 */
static struct jaro_counts jaro_count_short(const unsigned char *s1, size_t n1,
                                           const unsigned char *s2, size_t n2,
                                           size_t range)
{
	uint64_t where[128]; /* only the entries of bytes in s1 or s2 are set */
	uint64_t matched1 = 0, matched2 = 0;
	struct jaro_counts c = { 0, 0 };

	for (size_t i = 0; i < n1; i++)
		where[s1[i]] = 0;
	for (size_t j = 0; j < n2; j++)
		where[s2[j]] = 0;
	for (size_t j = 0; j < n2; j++)
		where[s2[j]] |= (uint64_t)1 << j;
	for (size_t i = 0; i < n1; i++) {
		size_t lo, hi;
		jaro_window(i, range, n2, &lo, &hi);
		if (lo > hi)
			break; /* so are the windows of every later i */
		uint64_t window =
		    (hi == 63 ? ~(uint64_t)0 : ((uint64_t)1 << (hi + 1)) - 1) &
		    ~(((uint64_t)1 << lo) - 1);
		uint64_t candidates = where[s1[i]] & ~matched2 & window;
		if (candidates) {
			matched1 |= (uint64_t)1 << i;
			matched2 |= candidates & (~candidates + 1); /* lowest */
			c.common++;
		}
	}
	while (matched1) {
		unsigned i = (unsigned)__builtin_ctzll(matched1);
		unsigned j = (unsigned)__builtin_ctzll(matched2);
		if (s1[i] != s2[j])
			c.transposed++;
		matched1 &= matched1 - 1;
		matched2 &= matched2 - 1;
	}
	c.transposed /= 2;
	return c;
}

/*
 * The score from the counts; `prefix` is the number of equal units the two
 * strings start with, up to WINKLER_PREFIX_MAX.
 */
static double jaro_score(size_t n1, size_t n2, struct jaro_counts c,
                         size_t prefix, enum jaro_kind kind)
{
	if (c.common == 0)
		return 0.0;
	double m = (double)c.common;
	double weight =
	    (m / (double)n1 + m / (double)n2 + (m - (double)c.transposed) / m) /
	    3.0;
	if (kind == JARO_PLAIN || weight <= WINKLER_THRESHOLD)
		return weight;

	weight += (double)prefix * WINKLER_SCALE * (1.0 - weight);
	/* Long-string tolerance (Winkler; jellyfish long_tolerance): beyond
	 * the prefix, at least two more matches, and more than half of what
	 * remains of the shorter string. */
	size_t shorter = n1 < n2 ? n1 : n2;
	if (kind == JARO_WINKLER_LONG && shorter > WINKLER_PREFIX_MAX &&
	    c.common > prefix + 1 && 2 * c.common >= shorter + prefix) {
		weight +=
		    (1.0 - weight) * (m - (double)prefix - 1.0) /
		    ((double)n1 + (double)n2 - 2.0 * (double)prefix + 2.0);
	}
	return weight;
}

static inline __attribute__((always_inline)) size_t
common_prefix(const void *s1, size_t n1, const void *s2, size_t n2,
              size_t width)
{
	size_t max = n1 < n2 ? n1 : n2;
	if (max > WINKLER_PREFIX_MAX)
		max = WINKLER_PREFIX_MAX;
	size_t prefix = 0;
	while (prefix < max &&
	       UNIT(s1, width, prefix) == UNIT(s2, width, prefix))
		prefix++;
	return prefix;
}

/* The length of `s` (capped) when what the comparators read of it is
 * ASCII, so its bytes are its code points; SIZE_MAX otherwise. */
static size_t ascii_length(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = 0;
	while (n < STRSIM_MAX_CODEPOINTS && p[n]) {
		if (p[n] >= 0x80)
			return SIZE_MAX;
		n++;
	}
	return n;
}

/* The matching window: half the longer length, less one. */
static inline size_t jaro_range(size_t n1, size_t n2)
{
	size_t longer = n1 > n2 ? n1 : n2;
	return longer / 2 > 0 ? longer / 2 - 1 : 0;
}

static double jaro(const char *a, const char *b, enum jaro_kind kind)
{
	struct jaro_counts c;
	size_t prefix;

	a = a ? a : "";
	b = b ? b : "";
	/* Names are mostly ASCII: compare the bytes where they lie. */
	size_t na = ascii_length(a), nb = ascii_length(b);
	if (na != SIZE_MAX && nb != SIZE_MAX) {
		if (na == 0 || nb == 0)
			return 0.0;
		const unsigned char *x = (const unsigned char *)a;
		const unsigned char *y = (const unsigned char *)b;
		size_t range = jaro_range(na, nb);
		if (na <= JARO_SHORT_MAX && nb <= JARO_SHORT_MAX)
			c = jaro_count_short(x, na, y, nb, range);
		else
			c = jaro_count_units(x, na, y, nb, 1, range);
		prefix = common_prefix(x, na, y, nb, 1);
		return jaro_score(na, nb, c, prefix, kind);
	}

	struct codepoints x, y;
	decode(a, &x);
	decode(b, &y);
	if (x.len == 0 || y.len == 0)
		return 0.0;
	c = jaro_count_units(x.cp, x.len, y.cp, y.len, 4,
	                     jaro_range(x.len, y.len));
	prefix = common_prefix(x.cp, x.len, y.cp, y.len, 4);
	return jaro_score(x.len, y.len, c, prefix, kind);
}

double strsim_jaro(const char *a, const char *b)
{
	return jaro(a, b, JARO_PLAIN);
}

double strsim_jaro_winkler(const char *a, const char *b)
{
	return jaro(a, b, JARO_WINKLER);
}

double strsim_jaro_winkler_long(const char *a, const char *b)
{
	return jaro(a, b, JARO_WINKLER_LONG);
}

/* ---- edit distances --------------------------------------------------- */

static inline size_t min2(size_t a, size_t b)
{
	return a < b ? a : b;
}

size_t strsim_levenshtein(const char *a, const char *b)
{
	struct codepoints x, y;
	size_t row[STRSIM_MAX_CODEPOINTS + 1];

	decode(a, &x);
	decode(b, &y);
	if (x.len == 0 || y.len == 0)
		return x.len + y.len;
	/* One row of the Wagner-Fischer matrix, updated in place; `diag`
	 * holds the cell above-left of the one being computed. */
	for (size_t j = 0; j <= y.len; j++)
		row[j] = j;
	for (size_t i = 1; i <= x.len; i++) {
		size_t diag = row[0];
		row[0] = i;
		for (size_t j = 1; j <= y.len; j++) {
			size_t above = row[j];
			size_t cost = x.cp[i - 1] == y.cp[j - 1] ? 0 : 1;
			row[j] =
			    min2(min2(above + 1, row[j - 1] + 1), diag + cost);
			diag = above;
		}
	}
	return row[y.len];
}

/*
 * Lowrance-Wagner: the matrix has a border row and column of "infinity"
 * (n1 + n2) so a transposition reaching before the strings never wins.
 * last_row[c] is the last row of s1 holding code point c; the code points
 * are numbered by their first position in s2 (those not in s2 are never
 * looked up), which keeps the table as small as s2 with no hashing.
 */
size_t strsim_damerau_levenshtein(const char *a, const char *b)
{
	struct codepoints x, y;
	uint16_t stack_cells[DL_STACK_CELLS];
	uint16_t *d = stack_cells;
	int16_t id1[STRSIM_MAX_CODEPOINTS]; /* s1[i] -> its id, or -1 */
	int16_t id2[STRSIM_MAX_CODEPOINTS]; /* s2[j] -> its id */
	uint16_t last_row[STRSIM_MAX_CODEPOINTS];

	decode(a, &x);
	decode(b, &y);
	size_t n1 = x.len, n2 = y.len;
	if (n1 == 0 || n2 == 0)
		return n1 + n2;

	for (size_t j = 0; j < n2; j++) {
		size_t k = 0;
		while (y.cp[k] != y.cp[j])
			k++;
		id2[j] = (int16_t)k;
		last_row[j] = 0;
	}
	for (size_t i = 0; i < n1; i++) {
		id1[i] = -1;
		for (size_t k = 0; k < n2; k++) {
			if (y.cp[k] == x.cp[i]) {
				id1[i] = (int16_t)k;
				break;
			}
		}
	}

	size_t cols = n2 + 2;
	size_t cells = (n1 + 2) * cols;
	if (cells > DL_STACK_CELLS)
		d = xmalloc(cells * sizeof(*d));
#define D(i, j) d[(i)*cols + (j)]
	uint16_t infinity = (uint16_t)(n1 + n2);
	D(0, 0) = infinity;
	for (size_t i = 0; i <= n1; i++) {
		D(i + 1, 0) = infinity;
		D(i + 1, 1) = (uint16_t)i;
	}
	for (size_t j = 0; j <= n2; j++) {
		D(0, j + 1) = infinity;
		D(1, j + 1) = (uint16_t)j;
	}
	for (size_t i = 1; i <= n1; i++) {
		size_t last_col = 0; /* last column of this row that matched */
		for (size_t j = 1; j <= n2; j++) {
			size_t i1 = last_row[id2[j - 1]];
			size_t j1 = last_col;
			size_t cost = 1;
			if (x.cp[i - 1] == y.cp[j - 1]) {
				cost = 0;
				last_col = j;
			}
			size_t best = min2(D(i, j) + cost, D(i + 1, j) + 1);
			best = min2(best, D(i, j + 1) + 1);
			best = min2(best, D(i1, j1) + (i - i1 - 1) + 1 +
			                      (j - j1 - 1));
			D(i + 1, j + 1) = (uint16_t)best;
		}
		if (id1[i - 1] >= 0)
			last_row[id1[i - 1]] = (uint16_t)i;
	}
	size_t distance = D(n1 + 1, n2 + 1);
#undef D
	if (d != stack_cells)
		free(d);
	return distance;
}

size_t strsim_hamming(const char *a, const char *b)
{
	struct codepoints x, y;
	decode(a, &x);
	decode(b, &y);
	size_t shorter = min2(x.len, y.len);
	size_t distance = (x.len > y.len ? x.len : y.len) - shorter;
	for (size_t i = 0; i < shorter; i++)
		if (x.cp[i] != y.cp[i])
			distance++;
	return distance;
}
