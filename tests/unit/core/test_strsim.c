/*
 * test_strsim.c - the comparators of core/strsim.h against every line of
 * jellyfish's test vectors (in $HTD_SHARED_DATA/linkage/vectors/jellyfish,
 * MIT), then the cases our users meet: nicknames, empty fields, invalid
 * UTF-8 and inputs far over the cap.
 */
#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/strsim.h"
#include "util/mem.h"
#include "util/str.h"

/* ---- the vector files -------------------------------------------------- */

#define VECTOR_FIELDS_MAX 4

/* One line of a vector file: its fields (owned) and its line number. */
struct vector_row {
	char *field[VECTOR_FIELDS_MAX];
	size_t n_fields;
	size_t line;
};

struct vector_file {
	char path[1024];
	struct vector_row *rows;
	size_t n_rows;
};

/* Reads a whole file; aborts the test when it cannot. */
static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	cr_assert_not_null(f, "cannot open %s (is HTD_SHARED_DATA right?)",
	                   path);
	char *buf = NULL;
	size_t cap = 0, n = 0, got;
	char chunk[4096];
	while ((got = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (n + got + 1 > cap) {
			cap = (n + got + 1) * 2;
			buf = xrealloc(buf, cap);
		}
		memcpy(buf + n, chunk, got);
		n += got;
	}
	fclose(f);
	if (!buf)
		buf = xcalloc(1, 1);
	buf[n] = '\0';
	*len = n;
	return buf;
}

/*
 * Parses CSV as jellyfish's files are written (RFC 4180: a field in double
 * quotes may hold commas and doubled quotes; CRLF or LF) into rows of owned
 * fields. Blank lines are skipped; a line of just separators is a row.
 */
static void parse_csv(const char *text, size_t len, struct vector_file *vf)
{
	size_t i = 0, line = 1;
	while (i < len) {
		if (text[i] == '\n' || text[i] == '\r') {
			line += text[i] == '\n';
			i++;
			continue;
		}
		struct vector_row row = { .line = line };
		for (;;) {
			char *field = xmalloc(len - i + 1);
			size_t n = 0;
			if (text[i] == '"') {
				i++;
				while (i < len) {
					if (text[i] == '"' && i + 1 < len &&
					    text[i + 1] == '"') {
						field[n++] = '"';
						i += 2;
					} else if (text[i] == '"') {
						i++;
						break;
					} else {
						line += text[i] == '\n';
						field[n++] = text[i++];
					}
				}
			}
			while (i < len && text[i] != ',' && text[i] != '\n' &&
			       text[i] != '\r')
				field[n++] = text[i++];
			field[n] = '\0';
			cr_assert_lt(row.n_fields, VECTOR_FIELDS_MAX,
			             "%s:%zu: too many fields", vf->path, line);
			row.field[row.n_fields++] = field;
			if (i < len && text[i] == ',') {
				i++;
				continue;
			}
			break;
		}
		vf->rows =
		    xrealloc(vf->rows, (vf->n_rows + 1) * sizeof(*vf->rows));
		vf->rows[vf->n_rows++] = row;
	}
}

static void vector_open(struct vector_file *vf, const char *name)
{
	const char *root = getenv("HTD_SHARED_DATA");
	cr_assert_not_null(root, "HTD_SHARED_DATA is not set (meson test "
	                         "sets it; see tests/meson.build)");
	memset(vf, 0, sizeof(*vf));
	cr_assert(str_format(vf->path, sizeof(vf->path),
	                     "%s/linkage/vectors/jellyfish/%s", root, name));
	size_t len;
	char *text = read_file(vf->path, &len);
	parse_csv(text, len, vf);
	free(text);
	cr_assert_gt(vf->n_rows, 0, "%s has no vectors", vf->path);
}

static void vector_close(struct vector_file *vf)
{
	for (size_t r = 0; r < vf->n_rows; r++)
		for (size_t f = 0; f < vf->rows[r].n_fields; f++)
			free(vf->rows[r].field[f]);
	free(vf->rows);
}

/* ---- checking a file ---------------------------------------------------- */

/* Without libm, which the tests do not link. */
static double absolute(double x)
{
	return x < 0 ? -x : x;
}

/* `x` (>= 0) rounded to three decimals, half away from zero. */
static double round3(double x)
{
	return (double)(long long)(x * 1000.0 + 0.5) / 1000.0;
}

typedef double similarity_fn(const char *, const char *);
typedef size_t distance_fn(const char *, const char *);

/*
 * Vectors whose value is not our result rounded to three decimals, with
 * the exact value we give instead and why. Each is still checked: the file
 * must say `vector`, we must give `ours` (to 1e-6), and the two must agree
 * within jellyfish's own test tolerance (|difference| < 0.001).
 */
static const struct similarity_exception {
	const char *file;
	const char *a, *b;
	const char *vector;
	double ours;
	const char *reason;
} similarity_exceptions[] = {
	{ "jaro_winkler_longtol.csv", "William", "Williams", "0.980", 0.980556,
	  "Jaro 0.958333, Winkler +4 prefix 0.975, long tolerance "
	  "+ 0.025 * (7 - 4 - 1) / (7 + 8 - 8 + 2) = 0.980556, which rounds "
	  "to 0.981: the file truncated it. jellyfish computes the same "
	  "0.980556 and its test passes it only because it allows a "
	  "difference up to 0.001; every other line of the file rounds." },
};

static const struct similarity_exception *
similarity_exception_for(const char *file, const char *a, const char *b)
{
	size_t n =
	    sizeof(similarity_exceptions) / sizeof(similarity_exceptions[0]);
	for (size_t i = 0; i < n; i++) {
		const struct similarity_exception *e =
		    &similarity_exceptions[i];
		if (strcmp(e->file, file) == 0 && strcmp(e->a, a) == 0 &&
		    strcmp(e->b, b) == 0)
			return e;
	}
	return NULL;
}

/*
 * Checks every line "a,b,expected" of a similarity file: the result
 * rounded to three decimals, as the file writes its values, must be the
 * file's value, except for the listed exceptions. Returns the lines
 * checked.
 */
static size_t check_similarity(const char *name, similarity_fn *fn,
                               size_t want_rows)
{
	struct vector_file vf;
	size_t failed = 0, excepted = 0;

	vector_open(&vf, name);
	for (size_t r = 0; r < vf.n_rows; r++) {
		const struct vector_row *row = &vf.rows[r];
		cr_assert_eq(row->n_fields, 3, "%s:%zu: want 3 fields, got %zu",
		             vf.path, row->line, row->n_fields);
		double want = strtod(row->field[2], NULL);
		double got = fn(row->field[0], row->field[1]);
		double rounded = round3(got);
		const struct similarity_exception *e = similarity_exception_for(
		    name, row->field[0], row->field[1]);
		if (e) {
			excepted++;
			if (strcmp(row->field[2], e->vector) != 0 ||
			    !(absolute(got - e->ours) < 1e-6) ||
			    !(absolute(got - want) < 0.001)) {
				cr_log_error("%s:%zu: exception for '%s' vs "
				             "'%s' is stale: file %s, got %.6f",
				             vf.path, row->line, row->field[0],
				             row->field[1], row->field[2], got);
				failed++;
			} else {
				cr_log_info("%s:%zu: '%s' vs '%s': the vector "
				            "says %s, we give %.6f (%s)",
				            vf.path, row->line, row->field[0],
				            row->field[1], row->field[2], got,
				            e->reason);
			}
		} else if (!(absolute(rounded - want) < 0.0005)) {
			cr_log_error("%s:%zu: '%s' vs '%s': got %.6f, want %s",
			             vf.path, row->line, row->field[0],
			             row->field[1], got, row->field[2]);
			failed++;
		}
		/* Every comparator here is symmetric. */
		double back = fn(row->field[1], row->field[0]);
		cr_expect_eq(back, got, "%s:%zu: not symmetric (%.17g, %.17g)",
		             vf.path, row->line, got, back);
	}
	cr_assert_eq(failed, 0, "%s: %zu of %zu vectors fail", vf.path, failed,
	             vf.n_rows);
	cr_assert_eq(vf.n_rows, want_rows, "%s: %zu vectors, expected %zu",
	             vf.path, vf.n_rows, want_rows);
	cr_log_info("%s: %zu vectors checked, %zu of them listed exceptions",
	            name, vf.n_rows, excepted);
	size_t n = vf.n_rows;
	vector_close(&vf);
	return n;
}

/* As check_similarity(), for "a,b,distance" files (exact). */
static size_t check_distance(const char *name, distance_fn *fn,
                             size_t want_rows)
{
	struct vector_file vf;
	size_t failed = 0;

	vector_open(&vf, name);
	for (size_t r = 0; r < vf.n_rows; r++) {
		const struct vector_row *row = &vf.rows[r];
		int64_t want;
		cr_assert_eq(row->n_fields, 3, "%s:%zu: want 3 fields, got %zu",
		             vf.path, row->line, row->n_fields);
		cr_assert(str_to_i64(row->field[2], 0, 1000000, &want),
		          "%s:%zu: bad distance '%s'", vf.path, row->line,
		          row->field[2]);
		size_t got = fn(row->field[0], row->field[1]);
		if (got != (size_t)want) {
			cr_log_error("%s:%zu: '%s' vs '%s': got %zu, want %s",
			             vf.path, row->line, row->field[0],
			             row->field[1], got, row->field[2]);
			failed++;
		}
		cr_expect_eq(fn(row->field[1], row->field[0]), got,
		             "%s:%zu: not symmetric", vf.path, row->line);
	}
	cr_assert_eq(failed, 0, "%s: %zu of %zu vectors fail", vf.path, failed,
	             vf.n_rows);
	cr_assert_eq(vf.n_rows, want_rows, "%s: %zu vectors, expected %zu",
	             vf.path, vf.n_rows, want_rows);
	cr_log_info("%s: %zu vectors checked", name, vf.n_rows);
	size_t n = vf.n_rows;
	vector_close(&vf);
	return n;
}

/* ---- the vectors -------------------------------------------------------- */

/* The expected counts are the lines of each file as shipped: a file that
 * loses lines must fail here, not pass on fewer vectors. */

Test(core_strsim, jellyfish_jaro_distance)
{
	check_similarity("jaro_distance.csv", strsim_jaro, 5);
}

Test(core_strsim, jellyfish_jaro_winkler)
{
	check_similarity("jaro_winkler.csv", strsim_jaro_winkler, 17);
}

Test(core_strsim, jellyfish_jaro_winkler_long_tolerance)
{
	check_similarity("jaro_winkler_longtol.csv", strsim_jaro_winkler_long,
	                 10);
}

Test(core_strsim, jellyfish_levenshtein)
{
	check_distance("levenshtein.csv", strsim_levenshtein, 6);
}

Test(core_strsim, jellyfish_damerau_levenshtein)
{
	check_distance("damerau_levenshtein.csv", strsim_damerau_levenshtein,
	               9);
}

Test(core_strsim, jellyfish_hamming)
{
	check_distance("hamming.csv", strsim_hamming, 8);
}

/* ---- by hand ------------------------------------------------------------ */

Test(core_strsim, textbook_values)
{
	/* Winkler (1990) / Wikipedia: MARTHA-MARHTA, DIXON-DICKSONX. */
	cr_assert_float_eq(strsim_jaro("MARTHA", "MARHTA"), 0.944444, 1e-6);
	cr_assert_float_eq(strsim_jaro_winkler("MARTHA", "MARHTA"), 0.961111,
	                   1e-6);
	cr_assert_float_eq(strsim_jaro("DIXON", "DICKSONX"), 0.766667, 1e-6);
	cr_assert_float_eq(strsim_jaro_winkler("DIXON", "DICKSONX"), 0.813333,
	                   1e-6);
	cr_assert_eq(strsim_levenshtein("kitten", "sitting"), 3);
	/* Unrestricted: "ca" -> "ac" -> "abc"; the restricted kind says 3. */
	cr_assert_eq(strsim_damerau_levenshtein("ca", "abc"), 2);
	cr_assert_eq(strsim_damerau_levenshtein("ab", "ba"), 1);
	cr_assert_eq(strsim_levenshtein("ab", "ba"), 2);
}

Test(core_strsim, nicknames_are_not_typos)
{
	/* "Lupe" is short for "Guadalupe": Jaro-Winkler sees one shared
	 * letter in reach, well under any match threshold. Nicknames need
	 * the nickname table, not a comparator; this pins that it stays
	 * low, in range and the same both ways. */
	double jw = strsim_jaro_winkler("Guadalupe", "Lupe");
	cr_assert(jw > 0.4 && jw < 0.5, "jw = %f", jw);
	cr_assert_eq(strsim_jaro_winkler("Lupe", "Guadalupe"), jw);
	cr_assert_float_eq(jw, (1.0 / 9 + 1.0 / 4 + 1.0) / 3, 1e-12);
	/* A typo in the long form is close; accents count until folded. */
	cr_assert_gt(strsim_jaro_winkler("Guadalupe", "Guadelupe"), 0.95);
	cr_assert_eq(strsim_jaro_winkler("Guadalupe", "Guadalupe"), 1.0);
	cr_assert_eq(strsim_levenshtein("José", "Jose"), 1);
	cr_assert_eq(strsim_hamming("Zoë", "Zoe"), 1);
}

Test(core_strsim, empty_and_null)
{
	/* jellyfish: Jaro of an empty string is 0, even against itself. */
	cr_assert_eq(strsim_jaro("", ""), 0.0);
	cr_assert_eq(strsim_jaro_winkler("", ""), 0.0);
	cr_assert_eq(strsim_jaro_winkler_long("", "abc"), 0.0);
	cr_assert_eq(strsim_jaro(NULL, "abc"), 0.0);
	cr_assert_eq(strsim_levenshtein("", ""), 0);
	cr_assert_eq(strsim_levenshtein(NULL, "abc"), 3);
	cr_assert_eq(strsim_damerau_levenshtein("abc", NULL), 3);
	cr_assert_eq(strsim_hamming(NULL, NULL), 0);
	cr_assert_eq(strsim_hamming("", "ab"), 2);
}

Test(core_strsim, code_points_not_bytes)
{
	/* "é" is two bytes, one code point. */
	cr_assert_eq(strsim_levenshtein("é", "e"), 1);
	cr_assert_eq(strsim_hamming("ñandú", "nandu"), 2);
	cr_assert_eq(strsim_jaro("Müller", "Müller"), 1.0);
	/* Four-byte code points. */
	cr_assert_eq(strsim_damerau_levenshtein("a😀b", "ab😀"), 1);
}

Test(core_strsim, invalid_utf8_is_compared_byte_by_byte)
{
	/* Each invalid byte is a unit equal only to itself. */
	cr_assert_eq(strsim_levenshtein("\xff\xfe", "\xff\xfe"), 0);
	cr_assert_eq(strsim_levenshtein("\xff", "\xfe"), 1);
	cr_assert_eq(strsim_hamming("a\xc3", "a\xc3"), 0);
	/* A truncated sequence before the NUL: no read past it. */
	cr_assert_eq(strsim_levenshtein("\xe2\x82", "x"), 2);
	cr_assert_eq(strsim_levenshtein("\xf0\x9f\x98", "\xf0\x9f\x98"), 0);
	/* Not a code point: U+FFFD is not equal to a bad byte. */
	cr_assert_eq(strsim_hamming("\xef\xbf\xbd", "\xff"), 1);
	/* Overlong and surrogate encodings are invalid, byte by byte. */
	cr_assert_eq(strsim_hamming("\xc0\xaf", "/"), 2);
	cr_assert_eq(strsim_hamming("\xed\xa0\x80", "x"), 3);
	double j = strsim_jaro_winkler("\x80\x81\x82", "\x80\x81\x83");
	cr_assert(j > 0.0 && j < 1.0);
}

Test(core_strsim, long_inputs_are_capped)
{
	size_t big = 10 * 1024;
	char *a = xmalloc(big + 1), *b = xmalloc(big + 1);
	memset(a, 'a', big);
	memset(b, 'b', big);
	a[big] = b[big] = '\0';

	/* Only the first STRSIM_MAX_CODEPOINTS count. */
	cr_assert_eq(strsim_levenshtein(a, b), STRSIM_MAX_CODEPOINTS);
	cr_assert_eq(strsim_damerau_levenshtein(a, b), STRSIM_MAX_CODEPOINTS);
	cr_assert_eq(strsim_hamming(a, ""), STRSIM_MAX_CODEPOINTS);
	cr_assert_eq(strsim_levenshtein(a, ""), STRSIM_MAX_CODEPOINTS);
	cr_assert_eq(strsim_jaro(a, b), 0.0);
	cr_assert_eq(strsim_jaro_winkler(a, a), 1.0);
	/* Equal in the first 256, different after: equal. */
	b[0] = 'a';
	memset(b, 'a', STRSIM_MAX_CODEPOINTS);
	cr_assert_eq(strsim_levenshtein(a, b), 0);
	/* Multi-byte: the cap counts code points. */
	char *c = xmalloc(2 * big + 1);
	for (size_t i = 0; i < big; i++)
		memcpy(c + 2 * i, "é", 2);
	c[2 * big] = '\0';
	cr_assert_eq(strsim_hamming(c, ""), STRSIM_MAX_CODEPOINTS);
	cr_assert_eq(strsim_damerau_levenshtein(c, a), STRSIM_MAX_CODEPOINTS);
	free(a);
	free(b);
	free(c);
}

Test(core_strsim, damerau_matrix_on_heap_and_stack_agree)
{
	/* 62 code points fit the stack matrix, 63 do not: the result must
	 * not depend on where the matrix lives. */
	char x[80], y[80];
	for (size_t n = 60; n <= 66; n++) {
		for (size_t i = 0; i < n; i++) {
			x[i] = (char)('a' + i % 7);
			y[i] = (char)('a' + (i * 3) % 7);
		}
		x[n] = y[n] = '\0';
		size_t lev = strsim_levenshtein(x, y);
		size_t dl = strsim_damerau_levenshtein(x, y);
		cr_assert_leq(dl, lev, "n=%zu", n);
		cr_assert_gt(dl, 0, "n=%zu", n);
		/* A swap of two neighbours costs one. */
		char z[80];
		memcpy(z, x, n + 1);
		char t = z[10];
		z[10] = z[11];
		z[11] = t;
		cr_assert_eq(strsim_damerau_levenshtein(x, z), 1, "n=%zu", n);
	}
}

/* Writes `s` with every 'a' spelled "é" (two bytes) into `out`. */
static void spell_a_as_e_acute(const char *s, char *out)
{
	for (; *s; s++) {
		if (*s == 'a') {
			memcpy(out, "é", 2);
			out += 2;
		} else {
			*out++ = *s;
		}
	}
	*out = '\0';
}

Test(core_strsim, ascii_and_decoded_paths_agree)
{
	/* ASCII names take a path of their own (bytes in place, bit sets up
	 * to 64 bytes); any other text is decoded. Writing one letter as a
	 * two-byte code point on both sides changes no comparison, so the
	 * two paths must give exactly the same results, on both sides of
	 * the 64-byte limit and of the 256 cap. */
	uint32_t seed = 12345;
	for (int round = 0; round < 20000; round++) {
		char a[300], b[300], ea[600], eb[600];
		size_t la, lb;
		seed = seed * 1103515245u + 12345u;
		la = round < 200 ? (size_t)round % 300 : (seed >> 16) % 80;
		seed = seed * 1103515245u + 12345u;
		lb = round < 200 ? (size_t)(299 - round % 300)
		                 : (seed >> 16) % 80;
		for (size_t i = 0; i < la; i++) {
			seed = seed * 1103515245u + 12345u;
			a[i] = "abcab"[(seed >> 16) % 5];
		}
		for (size_t i = 0; i < lb; i++) {
			seed = seed * 1103515245u + 12345u;
			b[i] = "abcba"[(seed >> 16) % 5];
		}
		a[la] = b[lb] = '\0';
		spell_a_as_e_acute(a, ea);
		spell_a_as_e_acute(b, eb);
		cr_assert_eq(strsim_jaro(a, b), strsim_jaro(ea, eb), "%s / %s",
		             a, b);
		cr_assert_eq(strsim_jaro_winkler(a, b),
		             strsim_jaro_winkler(ea, eb), "%s / %s", a, b);
		cr_assert_eq(strsim_jaro_winkler_long(a, b),
		             strsim_jaro_winkler_long(ea, eb), "%s / %s", a, b);
		cr_assert_eq(strsim_levenshtein(a, b),
		             strsim_levenshtein(ea, eb));
		cr_assert_eq(strsim_damerau_levenshtein(a, b),
		             strsim_damerau_levenshtein(ea, eb));
		cr_assert_eq(strsim_hamming(a, b), strsim_hamming(ea, eb));
	}
}
