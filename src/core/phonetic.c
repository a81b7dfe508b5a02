/*
 * phonetic.c - Soundex, NYSIIS, Double Metaphone and Metaphone (see
 * phonetic.h).
 *
 * Each encoder first reads the input into a small array on the stack:
 * upper-case ASCII letters, with accented letters folded through utf8proc
 * (compatibility decomposition, case folding, marks stripped), and one
 * placeholder per character that is no letter; NYSIIS keeps code points
 * instead. The rules then run over that array, in the order and with the
 * conditions of the implementation each one follows.
 */
#include "core/phonetic.h"

#include <stdint.h>
#include <string.h>
#include <utf8proc.h>

/* Bytes of the folded text that are not ASCII letters or white space: */
#define OTHER 0x7F     /* any character that is not a letter */
#define C_CEDILLA 0x80 /* Ç, which Double Metaphone reads as S */
#define N_TILDE 0x81   /* Ñ, which Double Metaphone reads as N */

/* utf8proc's longest decomposition is 18 code points; room for more. */
#define DECOMPOSE_MAX 32

static const utf8proc_option_t fold_options =
    UTF8PROC_COMPAT | UTF8PROC_CASEFOLD | UTF8PROC_STRIPMARK |
    UTF8PROC_DECOMPOSE | UTF8PROC_IGNORE;

/* ---- reading the input ------------------------------------------------ */

static inline bool is_continuation(unsigned char c)
{
	return (c & 0xC0) == 0x80;
}

/*
 * Decodes the UTF-8 sequence at `p` (not NUL) into *cp and returns its
 * length; an invalid sequence gives -1 in *cp and length 1. Never reads
 * past a NUL (it is not a continuation byte).
 */
static size_t decode(const unsigned char *p, int32_t *cp)
{
	unsigned char c = p[0];
	int32_t v;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xC2 && c <= 0xDF) {
		if (is_continuation(p[1])) {
			*cp = ((c & 0x1F) << 6) | (p[1] & 0x3F);
			return 2;
		}
	} else if (c >= 0xE0 && c <= 0xEF) {
		if (is_continuation(p[1]) && is_continuation(p[2])) {
			v = ((c & 0x0F) << 12) | ((p[1] & 0x3F) << 6) |
			    (p[2] & 0x3F);
			if (v >= 0x800 && (v < 0xD800 || v > 0xDFFF)) {
				*cp = v;
				return 3;
			}
		}
	} else if (c >= 0xF0 && c <= 0xF4) {
		if (is_continuation(p[1]) && is_continuation(p[2]) &&
		    is_continuation(p[3])) {
			v = ((c & 0x07) << 18) | ((p[1] & 0x3F) << 12) |
			    ((p[2] & 0x3F) << 6) | (p[3] & 0x3F);
			if (v >= 0x10000 && v <= 0x10FFFF) {
				*cp = v;
				return 4;
			}
		}
	}
	*cp = -1;
	return 1;
}

static inline bool is_ascii_letter(int32_t c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static inline unsigned char ascii_upper(int32_t c)
{
	return (unsigned char)(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
}

/* The folded text an encoder reads. */
struct folded {
	unsigned char s[PHONETIC_INPUT_MAX];
	size_t len;
};

enum fold_mode {
	FOLD_LETTERS, /* letters A-Z only (Soundex) */
	FOLD_ALL,     /* every character keeps a place (the Metaphones) */
	FOLD_DOUBLE,  /* as FOLD_ALL, with Ç and Ñ kept (Double Metaphone) */
};

static void fold_put(struct folded *f, unsigned char c, enum fold_mode mode)
{
	if (f->len >= PHONETIC_INPUT_MAX)
		return;
	if (mode == FOLD_LETTERS && !is_ascii_letter(c))
		return;
	f->s[f->len++] = c;
}

/* Folds a non-ASCII code point (-1: an invalid byte). */
static void fold_codepoint(struct folded *f, int32_t cp, enum fold_mode mode)
{
	utf8proc_int32_t out[DECOMPOSE_MAX];
	int boundclass = 0;
	utf8proc_ssize_t n;

	if (mode == FOLD_DOUBLE && (cp == 0xC7 || cp == 0xE7)) {
		fold_put(f, C_CEDILLA, mode);
		return;
	}
	if (mode == FOLD_DOUBLE && (cp == 0xD1 || cp == 0xF1)) {
		fold_put(f, N_TILDE, mode);
		return;
	}
	n = cp < 0 ? -1
	           : utf8proc_decompose_char(cp, out, DECOMPOSE_MAX,
	                                     fold_options, &boundclass);
	if (n < 0 || n > DECOMPOSE_MAX) {
		fold_put(f, OTHER, mode);
		return;
	}
	/* A lone combining mark folds to nothing, and takes no place. */
	for (utf8proc_ssize_t i = 0; i < n; i++) {
		if (is_ascii_letter(out[i]))
			fold_put(f, ascii_upper(out[i]), mode);
		else if (out[i] < 0x80)
			fold_put(f, (unsigned char)out[i], mode);
		else
			fold_put(f, OTHER, mode);
	}
}

static void fold(const char *in, struct folded *f, enum fold_mode mode)
{
	const unsigned char *p = (const unsigned char *)(in ? in : "");
	size_t chars = 0;

	f->len = 0;
	while (*p && chars < PHONETIC_INPUT_MAX &&
	       f->len < PHONETIC_INPUT_MAX) {
		int32_t cp;
		p += decode(p, &cp);
		chars++;
		if (cp >= 0 && cp < 0x80)
			fold_put(f, ascii_upper(cp), mode);
		else
			fold_codepoint(f, cp, mode);
	}
}

/* Copies `len` bytes of `code` to `out` (`size` bytes) with a NUL;
 * returns true when all of it fit. */
static bool put_code(const char *code, size_t len, char *out, size_t size)
{
	if (size == 0)
		return false;
	size_t n = len < size ? len : size - 1;
	memcpy(out, code, n);
	out[n] = '\0';
	return n == len;
}

/* ---- Soundex ---------------------------------------------------------- */

/* commons-codec's US_ENGLISH_MAPPING_STRING: the digit of A..Z, '0' for
 * the vowels, H, W and Y. */
static const char soundex_digits[] = "01230120022455012623010202";

void phonetic_soundex(const char *in, char out[PHONETIC_SOUNDEX_SIZE])
{
	struct folded f;
	size_t count = 1;

	fold(in, &f, FOLD_LETTERS);
	if (f.len == 0) {
		out[0] = '\0';
		return;
	}
	memcpy(out, "0000", PHONETIC_SOUNDEX_SIZE);
	out[0] = (char)f.s[0];
	char last = soundex_digits[f.s[0] - 'A'];
	for (size_t i = 1; i < f.len && count < 4; i++) {
		unsigned char c = f.s[i];
		/* H and W are passed over entirely: consonants with the same
		 * digit on either side of them code once ("Ashcraft"). */
		if (c == 'H' || c == 'W')
			continue;
		char digit = soundex_digits[c - 'A'];
		if (digit != '0' && digit != last)
			out[count++] = digit;
		last = digit;
	}
}

/* ---- NYSIIS ----------------------------------------------------------- */

static bool is_letter(int32_t cp)
{
	switch (utf8proc_category(cp)) {
	case UTF8PROC_CATEGORY_LU:
	case UTF8PROC_CATEGORY_LL:
	case UTF8PROC_CATEGORY_LT:
	case UTF8PROC_CATEGORY_LM:
	case UTF8PROC_CATEGORY_LO: return true;
	default: return false;
	}
}

static inline bool nysiis_vowel(int32_t c)
{
	return c == 'A' || c == 'E' || c == 'I' || c == 'O' || c == 'U';
}

/* True when the `n` code points at `s` spell `lit` (ASCII). */
static bool spells(const int32_t *s, const char *lit, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != (unsigned char)lit[i])
			return false;
	return true;
}

/*
 * commons-codec's SoundexUtils.clean(): the letters of `in`, upper-cased
 * (ß as SS, as Java's toUpperCase does); other characters dropped.
 */
static size_t nysiis_clean(const char *in, int32_t *s)
{
	const unsigned char *p = (const unsigned char *)(in ? in : "");
	size_t n = 0, chars = 0;

	while (*p && chars < PHONETIC_INPUT_MAX && n < PHONETIC_INPUT_MAX) {
		int32_t cp;
		p += decode(p, &cp);
		chars++;
		if (cp < 0)
			continue;
		if (cp < 0x80) {
			if (is_ascii_letter(cp))
				s[n++] = ascii_upper(cp);
		} else if (cp == 0xDF) {
			s[n++] = 'S';
			if (n < PHONETIC_INPUT_MAX)
				s[n++] = 'S';
		} else if (is_letter(cp)) {
			s[n++] = utf8proc_toupper(cp);
		}
	}
	return n;
}

/*
 * The transcoding of step 4 at position i of `s` (len n), written over
 * s[i...] as commons-codec's Nysiis.transcodeRemaining() does: later
 * positions then read what was written.
 */
static void nysiis_transcode(int32_t *s, size_t n, size_t i)
{
	int32_t prev = s[i - 1], curr = s[i];
	int32_t next = i + 1 < n ? s[i + 1] : ' ';
	int32_t after = i + 2 < n ? s[i + 2] : ' ';

	if (curr == 'E' && next == 'V') {
		s[i] = 'A';
		s[i + 1] = 'F';
	} else if (nysiis_vowel(curr)) {
		s[i] = 'A';
	} else if (curr == 'Q') {
		s[i] = 'G';
	} else if (curr == 'Z') {
		s[i] = 'S';
	} else if (curr == 'M') {
		s[i] = 'N';
	} else if (curr == 'K') {
		s[i] = next == 'N' ? 'N' : 'C';
		if (next == 'N')
			s[i + 1] = 'N';
	} else if (curr == 'S' && next == 'C' && after == 'H') {
		s[i] = s[i + 1] = s[i + 2] = 'S';
	} else if (curr == 'P' && next == 'H') {
		s[i] = s[i + 1] = 'F';
	} else if (curr == 'H' &&
	           (!nysiis_vowel(prev) || !nysiis_vowel(next))) {
		s[i] = prev;
	} else if (curr == 'W' && nysiis_vowel(prev)) {
		s[i] = prev;
	}
}

bool phonetic_nysiis(const char *in, char *out, size_t size, bool strict_max6)
{
	int32_t s[PHONETIC_INPUT_MAX];
	int32_t key[PHONETIC_INPUT_MAX];
	size_t n = nysiis_clean(in, s);
	size_t k = 0;

	if (size == 0)
		return false;
	out[0] = '\0';
	if (n == 0)
		return true;

	/* Step 1, the first characters: MAC -> MCC, KN -> NN, K -> C,
	 * PH and PF -> FF, SCH -> SSS (each tried in turn, as commons-codec's
	 * chain of replaceFirst() does). */
	if (n >= 3 && spells(s, "MAC", 3))
		s[1] = 'C';
	if (n >= 2 && spells(s, "KN", 2))
		s[0] = 'N';
	if (s[0] == 'K')
		s[0] = 'C';
	if (n >= 2 && (spells(s, "PH", 2) || spells(s, "PF", 2)))
		s[0] = s[1] = 'F';
	if (n >= 3 && spells(s, "SCH", 3))
		s[1] = s[2] = 'S';

	/* Step 2, the last: EE and IE -> Y; then DT, RT, RD, NT, ND -> D. */
	if (n >= 2 &&
	    (spells(s + n - 2, "EE", 2) || spells(s + n - 2, "IE", 2)))
		s[--n - 1] = 'Y';
	if (n >= 2 &&
	    (spells(s + n - 2, "DT", 2) || spells(s + n - 2, "RT", 2) ||
	     spells(s + n - 2, "RD", 2) || spells(s + n - 2, "NT", 2) ||
	     spells(s + n - 2, "ND", 2)))
		s[--n - 1] = 'D';

	/* Steps 3 and 4: the first character, then the rest transcoded; a
	 * character joins the key when it differs from the one before it. */
	key[k++] = s[0];
	for (size_t i = 1; i < n; i++) {
		nysiis_transcode(s, n, i);
		if (s[i] != s[i - 1])
			key[k++] = s[i];
	}

	/* Steps 5 to 7: drop a final S; final AY -> Y; drop a final A. */
	if (k > 1) {
		int32_t last = key[k - 1];
		if (last == 'S') {
			k--;
			last = key[k - 1];
		}
		if (k > 2 && key[k - 2] == 'A' && last == 'Y') {
			key[k - 2] = 'Y';
			k--;
		}
		if (last == 'A')
			k--;
	}
	if (strict_max6 && k > PHONETIC_NYSIIS_STRICT_MAX)
		k = PHONETIC_NYSIIS_STRICT_MAX;

	/* Out as UTF-8, whole characters only. */
	size_t used = 0;
	for (size_t i = 0; i < k; i++) {
		utf8proc_uint8_t buf[4];
		utf8proc_ssize_t b = utf8proc_encode_char(key[i], buf);
		if (used + (size_t)b >= size) {
			out[used] = '\0';
			return false;
		}
		memcpy(out + used, buf, (size_t)b);
		used += (size_t)b;
	}
	out[used] = '\0';
	return true;
}

/* ---- Double Metaphone ------------------------------------------------- */

/*
 * The state of one encoding: the folded, trimmed text and the two codes
 * being built. Positions are ints, as in commons-codec, so that "index - 2"
 * may go below zero and simply match nothing.
 */
struct double_metaphone {
	const unsigned char *s;
	int len;
	bool slavo_germanic;
	char primary[PHONETIC_DOUBLE_METAPHONE_MAX];
	char alternate[PHONETIC_DOUBLE_METAPHONE_MAX];
	int n_primary, n_alternate;
};

/* The character at `i`, or 0 outside the text (commons-codec's charAt). */
static inline unsigned char dm_at(const struct double_metaphone *d, int i)
{
	return i < 0 || i >= d->len ? 0 : d->s[i];
}

/*
 * True when the text at `start` is one of the NULL-terminated `words`, all
 * of the same length (commons-codec's contains()); a span that does not
 * lie wholly inside the text matches nothing.
 */
static bool dm_is_any(const struct double_metaphone *d, int start,
                      const char *const *words)
{
	int n = (int)strlen(words[0]);
	if (start < 0 || start + n > d->len)
		return false;
	for (; *words; words++)
		if (memcmp(d->s + start, *words, (size_t)n) == 0)
			return true;
	return false;
}

#define DM_IS(d, start, ...) \
	dm_is_any((d), (start), (const char *const[]){ __VA_ARGS__, NULL })

static inline bool dm_vowel(unsigned char c)
{
	return c == 'A' || c == 'E' || c == 'I' || c == 'O' || c == 'U' ||
	       c == 'Y';
}

static void dm_add_primary(struct double_metaphone *d, const char *code)
{
	for (; *code && d->n_primary < PHONETIC_DOUBLE_METAPHONE_MAX; code++)
		d->primary[d->n_primary++] = *code;
}

static void dm_add_alternate(struct double_metaphone *d, const char *code)
{
	for (; *code && d->n_alternate < PHONETIC_DOUBLE_METAPHONE_MAX; code++)
		d->alternate[d->n_alternate++] = *code;
}

/* Adds `primary` to the primary code and `alternate` to the other. */
static void dm_add2(struct double_metaphone *d, const char *primary,
                    const char *alternate)
{
	dm_add_primary(d, primary);
	dm_add_alternate(d, alternate);
}

static void dm_add(struct double_metaphone *d, const char *code)
{
	dm_add2(d, code, code);
}

static bool dm_complete(const struct double_metaphone *d)
{
	return d->n_primary >= PHONETIC_DOUBLE_METAPHONE_MAX &&
	       d->n_alternate >= PHONETIC_DOUBLE_METAPHONE_MAX;
}

/* Words that start "VAN ", "VON " or "SCH" read as Germanic. */
static bool dm_germanic_start(const struct double_metaphone *d)
{
	return DM_IS(d, 0, "VAN ", "VON ") || DM_IS(d, 0, "SCH");
}

/* C read as K: "-ACH-" not before I or E (but "BACHER", "MACHER"), and
 * "CHIA". */
static bool dm_c_is_k(const struct double_metaphone *d, int i)
{
	if (DM_IS(d, i, "CHIA"))
		return true;
	if (i <= 1 || dm_vowel(dm_at(d, i - 2)) || !DM_IS(d, i - 1, "ACH"))
		return false;
	unsigned char c = dm_at(d, i + 2);
	return (c != 'I' && c != 'E') || DM_IS(d, i - 2, "BACHER", "MACHER");
}

/* CH of Greek roots at the start: "chemistry", "chorus" (not "chore"). */
static bool dm_ch_greek(const struct double_metaphone *d, int i)
{
	if (i != 0)
		return false;
	if (!DM_IS(d, i + 1, "HARAC", "HARIS") &&
	    !DM_IS(d, i + 1, "HOR", "HYM", "HIA", "HEM"))
		return false;
	return !DM_IS(d, 0, "CHORE");
}

/* CH read as K in Germanic names and before a consonant ("Bach"). */
static bool dm_ch_k(const struct double_metaphone *d, int i)
{
	return dm_germanic_start(d) ||
	       DM_IS(d, i - 2, "ORCHES", "ARCHIT", "ORCHID") ||
	       DM_IS(d, i + 2, "T", "S") ||
	       ((DM_IS(d, i - 1, "A", "O", "U", "E") || i == 0) &&
	        (DM_IS(d, i + 2, "L", "R", "N", "M", "B", "H", "F", "V", "W",
	               " ") ||
	         i + 1 == d->len - 1));
}

static int dm_cc(struct double_metaphone *d, int i)
{
	/* "bellocchio" but not "bacchus" */
	if (DM_IS(d, i + 2, "I", "E", "H") && !DM_IS(d, i + 2, "HU")) {
		/* "accident", "accede", "succeed" */
		if ((i == 1 && dm_at(d, i - 1) == 'A') ||
		    DM_IS(d, i - 1, "UCCEE", "UCCES"))
			dm_add(d, "KS");
		else /* "bacci", "bertucci" */
			dm_add(d, "X");
		return i + 3;
	}
	dm_add(d, "K"); /* Pierce's rule */
	return i + 2;
}

static int dm_ch(struct double_metaphone *d, int i)
{
	if (i > 0 && DM_IS(d, i, "CHAE")) { /* "Michael" */
		dm_add2(d, "K", "X");
		return i + 2;
	}
	if (dm_ch_greek(d, i) || dm_ch_k(d, i)) {
		dm_add(d, "K");
		return i + 2;
	}
	if (i > 0) {
		if (DM_IS(d, 0, "MC"))
			dm_add(d, "K");
		else
			dm_add2(d, "X", "K");
	} else {
		dm_add(d, "X");
	}
	return i + 2;
}

static int dm_c(struct double_metaphone *d, int i)
{
	if (dm_c_is_k(d, i)) {
		dm_add(d, "K");
		return i + 2;
	}
	if (i == 0 && DM_IS(d, i, "CAESAR")) {
		dm_add(d, "S");
		return i + 2;
	}
	if (DM_IS(d, i, "CH"))
		return dm_ch(d, i);
	if (DM_IS(d, i, "CZ") && !DM_IS(d, i - 2, "WICZ")) { /* "Czerny" */
		dm_add2(d, "S", "X");
		return i + 2;
	}
	if (DM_IS(d, i + 1, "CIA")) { /* "focaccia" */
		dm_add(d, "X");
		return i + 3;
	}
	/* double CC, but not "McClelland" */
	if (DM_IS(d, i, "CC") && !(i == 1 && dm_at(d, 0) == 'M'))
		return dm_cc(d, i);
	if (DM_IS(d, i, "CK", "CG", "CQ")) {
		dm_add(d, "K");
		return i + 2;
	}
	if (DM_IS(d, i, "CI", "CE", "CY")) { /* Italian or English */
		if (DM_IS(d, i, "CIO", "CIE", "CIA"))
			dm_add2(d, "S", "X");
		else
			dm_add(d, "S");
		return i + 2;
	}
	dm_add(d, "K");
	if (DM_IS(d, i + 1, " C", " Q", " G")) /* "Mac Caffrey", "Mac Gregor" */
		return i + 3;
	if (DM_IS(d, i + 1, "C", "K", "Q") && !DM_IS(d, i + 1, "CE", "CI"))
		return i + 2;
	return i + 1;
}

static int dm_d(struct double_metaphone *d, int i)
{
	if (DM_IS(d, i, "DG")) {
		if (DM_IS(d, i + 2, "I", "E", "Y")) { /* "edge" */
			dm_add(d, "J");
			return i + 3;
		}
		dm_add(d, "TK"); /* "Edgar" */
		return i + 2;
	}
	dm_add(d, "T");
	return DM_IS(d, i, "DT", "DD") ? i + 2 : i + 1;
}

static int dm_gh(struct double_metaphone *d, int i)
{
	if (i > 0 && !dm_vowel(dm_at(d, i - 1))) {
		dm_add(d, "K");
		return i + 2;
	}
	if (i == 0) {
		dm_add(d, dm_at(d, i + 2) == 'I' ? "J" : "K");
		return i + 2;
	}
	/* Parker's rule, with refinements: "hugh" */
	if ((i > 1 && DM_IS(d, i - 2, "B", "H", "D")) ||
	    (i > 2 && DM_IS(d, i - 3, "B", "H", "D")) ||
	    (i > 3 && DM_IS(d, i - 4, "B", "H")))
		return i + 2;
	/* "laugh", "McLaughlin", "cough", "gough", "rough", "tough" */
	if (i > 2 && dm_at(d, i - 1) == 'U' &&
	    DM_IS(d, i - 3, "C", "G", "L", "R", "T"))
		dm_add(d, "F");
	else if (i > 0 && dm_at(d, i - 1) != 'I')
		dm_add(d, "K");
	return i + 2;
}

static int dm_g(struct double_metaphone *d, int i)
{
	bool slavo = d->slavo_germanic;

	if (dm_at(d, i + 1) == 'H')
		return dm_gh(d, i);
	if (dm_at(d, i + 1) == 'N') {
		if (i == 1 && dm_vowel(dm_at(d, 0)) && !slavo)
			dm_add2(d, "KN", "N");
		else if (!DM_IS(d, i + 2, "EY") && dm_at(d, i + 1) != 'Y' &&
		         !slavo)
			dm_add2(d, "N", "KN");
		else
			dm_add(d, "KN");
		return i + 2;
	}
	if (DM_IS(d, i + 1, "LI") && !slavo) {
		dm_add2(d, "KL", "L");
		return i + 2;
	}
	/* -ges-, -gep-, -gel-, -gie- at the start */
	if (i == 0 && (dm_at(d, i + 1) == 'Y' ||
	               DM_IS(d, i + 1, "ES", "EP", "EB", "EL", "EY", "IB", "IL",
	                     "IN", "IE", "EI", "ER"))) {
		dm_add2(d, "K", "J");
		return i + 2;
	}
	/* -ger-, -gy- */
	if ((DM_IS(d, i + 1, "ER") || dm_at(d, i + 1) == 'Y') &&
	    !DM_IS(d, 0, "DANGER", "RANGER", "MANGER") &&
	    !DM_IS(d, i - 1, "E", "I") && !DM_IS(d, i - 1, "RGY", "OGY")) {
		dm_add2(d, "K", "J");
		return i + 2;
	}
	/* Italian "biaggi" */
	if (DM_IS(d, i + 1, "E", "I", "Y") || DM_IS(d, i - 1, "AGGI", "OGGI")) {
		if (dm_germanic_start(d) || DM_IS(d, i + 1, "ET"))
			dm_add(d, "K");
		else if (DM_IS(d, i + 1, "IER"))
			dm_add(d, "J");
		else
			dm_add2(d, "J", "K");
		return i + 2;
	}
	dm_add(d, "K");
	return dm_at(d, i + 1) == 'G' ? i + 2 : i + 1;
}

static int dm_h(struct double_metaphone *d, int i)
{
	/* only first, or between vowels, and before a vowel; also "HH" */
	if ((i == 0 || dm_vowel(dm_at(d, i - 1))) &&
	    dm_vowel(dm_at(d, i + 1))) {
		dm_add(d, "H");
		return i + 2;
	}
	return i + 1;
}

static int dm_j(struct double_metaphone *d, int i)
{
	/* obvious Spanish: "Jose", "San Jacinto" */
	if (DM_IS(d, i, "JOSE") || DM_IS(d, 0, "SAN ")) {
		if ((i == 0 && dm_at(d, i + 4) == ' ') || d->len == 4 ||
		    DM_IS(d, 0, "SAN "))
			dm_add(d, "H");
		else
			dm_add2(d, "J", "H");
		return i + 1;
	}
	if (i == 0 && !DM_IS(d, i, "JOSE")) {
		dm_add2(d, "J", "A");
	} else if (dm_vowel(dm_at(d, i - 1)) && !d->slavo_germanic &&
	           (dm_at(d, i + 1) == 'A' || dm_at(d, i + 1) == 'O')) {
		dm_add2(d, "J", "H");
	} else if (i == d->len - 1) {
		dm_add2(d, "J", " ");
	} else if (!DM_IS(d, i + 1, "L", "T", "K", "S", "N", "M", "B", "Z") &&
	           !DM_IS(d, i - 1, "S", "K", "L")) {
		dm_add(d, "J");
	}
	return dm_at(d, i + 1) == 'J' ? i + 2 : i + 1;
}

static int dm_l(struct double_metaphone *d, int i)
{
	if (dm_at(d, i + 1) != 'L') {
		dm_add(d, "L");
		return i + 1;
	}
	/* Spanish "-illo", "-illa", "-alle": no L in the alternate */
	if ((i == d->len - 3 && DM_IS(d, i - 1, "ILLO", "ILLA", "ALLE")) ||
	    ((DM_IS(d, d->len - 2, "AS", "OS") ||
	      DM_IS(d, d->len - 1, "A", "O")) &&
	     DM_IS(d, i - 1, "ALLE")))
		dm_add_primary(d, "L");
	else
		dm_add(d, "L");
	return i + 2;
}

static int dm_m(struct double_metaphone *d, int i)
{
	dm_add(d, "M");
	if (dm_at(d, i + 1) == 'M')
		return i + 2;
	/* "dumb", "thumb", "dumber" */
	if (DM_IS(d, i - 1, "UMB") &&
	    (i + 1 == d->len - 1 || DM_IS(d, i + 2, "ER")))
		return i + 2;
	return i + 1;
}

static int dm_p(struct double_metaphone *d, int i)
{
	if (dm_at(d, i + 1) == 'H') {
		dm_add(d, "F");
		return i + 2;
	}
	dm_add(d, "P");
	return DM_IS(d, i + 1, "P", "B") ? i + 2 : i + 1;
}

static int dm_r(struct double_metaphone *d, int i)
{
	/* French "Rogier": no R in the primary */
	if (i == d->len - 1 && !d->slavo_germanic && DM_IS(d, i - 2, "IE") &&
	    !DM_IS(d, i - 4, "ME", "MA"))
		dm_add_alternate(d, "R");
	else
		dm_add(d, "R");
	return dm_at(d, i + 1) == 'R' ? i + 2 : i + 1;
}

static int dm_sc(struct double_metaphone *d, int i)
{
	if (dm_at(d, i + 2) == 'H') { /* Schlesinger's rule */
		/* Dutch: "school", "schooner"; "schermerhorn", "schenker" */
		if (DM_IS(d, i + 3, "OO", "ER", "EN", "UY", "ED", "EM")) {
			if (DM_IS(d, i + 3, "ER", "EN"))
				dm_add2(d, "X", "SK");
			else
				dm_add(d, "SK");
		} else if (i == 0 && !dm_vowel(dm_at(d, 3)) &&
		           dm_at(d, 3) != 'W') {
			dm_add2(d, "X", "S");
		} else {
			dm_add(d, "X");
		}
	} else if (DM_IS(d, i + 2, "I", "E", "Y")) {
		dm_add(d, "S");
	} else {
		dm_add(d, "SK");
	}
	return i + 3;
}

static int dm_s(struct double_metaphone *d, int i)
{
	/* "island", "isle", "carlisle", "carlysle" */
	if (DM_IS(d, i - 1, "ISL", "YSL"))
		return i + 1;
	if (i == 0 && DM_IS(d, i, "SUGAR")) {
		dm_add2(d, "X", "S");
		return i + 1;
	}
	if (DM_IS(d, i, "SH")) { /* Germanic "-sheim", "-sholz" */
		if (DM_IS(d, i + 1, "HEIM", "HOEK", "HOLM", "HOLZ"))
			dm_add(d, "S");
		else
			dm_add(d, "X");
		return i + 2;
	}
	/* Italian and Armenian */
	if (DM_IS(d, i, "SIO", "SIA") || DM_IS(d, i, "SIAN")) {
		if (d->slavo_germanic)
			dm_add(d, "S");
		else
			dm_add2(d, "S", "X");
		return i + 3;
	}
	/* German and anglicised: "Smith" = "Schmidt", "Snider" =
	 * "Schneider"; -sz- in Slavic names */
	if ((i == 0 && DM_IS(d, i + 1, "M", "N", "L", "W")) ||
	    DM_IS(d, i + 1, "Z")) {
		dm_add2(d, "S", "X");
		return DM_IS(d, i + 1, "Z") ? i + 2 : i + 1;
	}
	if (DM_IS(d, i, "SC"))
		return dm_sc(d, i);
	/* French "Resnais", "Artois": no S in the primary */
	if (i == d->len - 1 && DM_IS(d, i - 2, "AI", "OI"))
		dm_add_alternate(d, "S");
	else
		dm_add(d, "S");
	return DM_IS(d, i + 1, "S", "Z") ? i + 2 : i + 1;
}

static int dm_t(struct double_metaphone *d, int i)
{
	if (DM_IS(d, i, "TION") || DM_IS(d, i, "TIA", "TCH")) {
		dm_add(d, "X");
		return i + 3;
	}
	if (DM_IS(d, i, "TH") || DM_IS(d, i, "TTH")) {
		/* "Thomas", "Thames", or Germanic */
		if (DM_IS(d, i + 2, "OM", "AM") || dm_germanic_start(d))
			dm_add(d, "T");
		else
			dm_add2(d, "0", "T");
		return i + 2;
	}
	dm_add(d, "T");
	return DM_IS(d, i + 1, "T", "D") ? i + 2 : i + 1;
}

static int dm_w(struct double_metaphone *d, int i)
{
	if (DM_IS(d, i, "WR")) { /* also in the middle of a word */
		dm_add(d, "R");
		return i + 2;
	}
	if (i == 0 && (dm_vowel(dm_at(d, i + 1)) || DM_IS(d, i, "WH"))) {
		/* "Wasserman" = "Vasserman"; "Uomo" = "Womo" */
		if (dm_vowel(dm_at(d, i + 1)))
			dm_add2(d, "A", "F");
		else
			dm_add(d, "A");
		return i + 1;
	}
	/* "Arnow" = "Arnoff"; Polish "-ewski" */
	if ((i == d->len - 1 && dm_vowel(dm_at(d, i - 1))) ||
	    DM_IS(d, i - 1, "EWSKI", "EWSKY", "OWSKI", "OWSKY") ||
	    DM_IS(d, 0, "SCH")) {
		dm_add_alternate(d, "F");
		return i + 1;
	}
	if (DM_IS(d, i, "WICZ", "WITZ")) { /* Polish "Filipowicz" */
		dm_add2(d, "TS", "FX");
		return i + 4;
	}
	return i + 1;
}

static int dm_x(struct double_metaphone *d, int i)
{
	if (i == 0) {
		dm_add(d, "S");
		return i + 1;
	}
	/* French "Breaux": silent */
	if (!(i == d->len - 1 &&
	      (DM_IS(d, i - 3, "IAU", "EAU") || DM_IS(d, i - 2, "AU", "OU"))))
		dm_add(d, "KS");
	return DM_IS(d, i + 1, "C", "X") ? i + 2 : i + 1;
}

static int dm_z(struct double_metaphone *d, int i)
{
	if (dm_at(d, i + 1) == 'H') { /* Chinese pinyin "Zhao", "Zhang" */
		dm_add(d, "J");
		return i + 2;
	}
	if (DM_IS(d, i + 1, "ZO", "ZI", "ZA") ||
	    (d->slavo_germanic && i > 0 && dm_at(d, i - 1) != 'T'))
		dm_add2(d, "S", "TS");
	else
		dm_add(d, "S");
	return dm_at(d, i + 1) == 'Z' ? i + 2 : i + 1;
}

/* A letter that doubles in "BB", "FF" ...: its code once, then skip the
 * second. */
static int dm_single(struct double_metaphone *d, int i, const char *code)
{
	unsigned char c = dm_at(d, i);
	dm_add(d, code);
	return dm_at(d, i + 1) == c ? i + 2 : i + 1;
}

static int dm_step(struct double_metaphone *d, int i)
{
	switch (d->s[i]) {
	case 'A':
	case 'E':
	case 'I':
	case 'O':
	case 'U':
	case 'Y':
		if (i == 0)
			dm_add(d, "A");
		return i + 1;
	case 'B': return dm_single(d, i, "P");
	case C_CEDILLA: dm_add(d, "S"); return i + 1;
	case 'C': return dm_c(d, i);
	case 'D': return dm_d(d, i);
	case 'F': return dm_single(d, i, "F");
	case 'G': return dm_g(d, i);
	case 'H': return dm_h(d, i);
	case 'J': return dm_j(d, i);
	case 'K': return dm_single(d, i, "K");
	case 'L': return dm_l(d, i);
	case 'M': return dm_m(d, i);
	case 'N': return dm_single(d, i, "N");
	case N_TILDE: dm_add(d, "N"); return i + 1;
	case 'P': return dm_p(d, i);
	case 'Q': return dm_single(d, i, "K");
	case 'R': return dm_r(d, i);
	case 'S': return dm_s(d, i);
	case 'T': return dm_t(d, i);
	case 'V': return dm_single(d, i, "F");
	case 'W': return dm_w(d, i);
	case 'X': return dm_x(d, i);
	case 'Z': return dm_z(d, i);
	default: return i + 1;
	}
}

static bool dm_contains(const struct double_metaphone *d, const char *lit)
{
	size_t n = strlen(lit);
	for (int i = 0; i + (int)n <= d->len; i++)
		if (memcmp(d->s + i, lit, n) == 0)
			return true;
	return false;
}

bool phonetic_double_metaphone(const char *in, char *primary, char *alternate,
                               size_t size)
{
	struct folded f;
	struct double_metaphone d;

	if (size == 0)
		return false;
	fold(in, &f, FOLD_DOUBLE);
	/* Java's String.trim(): white space and controls at both ends. */
	size_t start = 0, end = f.len;
	while (start < end && f.s[start] <= ' ')
		start++;
	while (end > start && f.s[end - 1] <= ' ')
		end--;

	memset(&d, 0, sizeof(d));
	d.s = f.s + start;
	d.len = (int)(end - start);
	d.slavo_germanic = dm_contains(&d, "W") || dm_contains(&d, "K") ||
	                   dm_contains(&d, "CZ") || dm_contains(&d, "WITZ");
	/* GN, KN, PN, WR and PS are silent at the start. */
	int i = DM_IS(&d, 0, "GN", "KN", "PN", "WR", "PS") ? 1 : 0;
	while (!dm_complete(&d) && i < d.len)
		i = dm_step(&d, i);

	bool fit = put_code(d.primary, (size_t)d.n_primary, primary, size);
	return put_code(d.alternate, (size_t)d.n_alternate, alternate, size) &&
	       fit;
}

/* ---- Metaphone -------------------------------------------------------- */

static inline bool mp_vowel(unsigned char c)
{
	return c == 'A' || c == 'E' || c == 'I' || c == 'O' || c == 'U';
}

static inline bool mp_iey(unsigned char c)
{
	return c == 'I' || c == 'E' || c == 'Y';
}

/* A Metaphone code under construction; it may outgrow the input ("X" is
 * "KS"), to at most twice its length. */
struct metaphone_code {
	char s[2 * PHONETIC_INPUT_MAX];
	size_t len;
};

static void mp_add(struct metaphone_code *c, char ch)
{
	if (c->len < sizeof(c->s))
		c->s[c->len++] = ch;
}

bool phonetic_metaphone(const char *in, char *out, size_t size)
{
	struct folded f;
	struct metaphone_code code = { .len = 0 };

	if (size == 0)
		return false;
	fold(in, &f, FOLD_ALL);
	const unsigned char *v = f.s;
	size_t n = f.len;
	/* Silent first letters: KN, GN, PN, WR; AE reads as E. */
	if (n >= 2 &&
	    ((v[0] == 'K' && v[1] == 'N') || (v[0] == 'G' && v[1] == 'N') ||
	     (v[0] == 'P' && v[1] == 'N') || (v[0] == 'W' && v[1] == 'R') ||
	     (v[0] == 'A' && v[1] == 'E'))) {
		v++;
		n--;
	}

	for (size_t i = 0; i < n; i++) {
		unsigned char c = v[i];
		unsigned char prev = i > 0 ? v[i - 1] : 0;
		unsigned char next = i + 1 < n ? v[i + 1] : 0;
		unsigned char after = i + 2 < n ? v[i + 2] : 0;

		/* A doubled letter reads once, except CC. */
		if (c == next && c != 'C')
			continue;
		switch (c) {
		case 'A':
		case 'E':
		case 'I':
		case 'O':
		case 'U':
			/* vowels count only at the start of a word */
			if (i == 0 || prev == ' ')
				mp_add(&code, (char)c);
			break;
		case 'B':
			/* silent in a final -MB */
			if (prev != 'M' || next != 0)
				mp_add(&code, 'B');
			break;
		case 'C':
			if ((next == 'I' && after == 'A') || next == 'H') {
				mp_add(&code, 'X');
				i++;
			} else if (mp_iey(next)) {
				mp_add(&code, 'S');
				i++;
			} else {
				mp_add(&code, 'K');
			}
			break;
		case 'D':
			if (next == 'G' && mp_iey(after)) {
				mp_add(&code, 'J');
				i += 2;
			} else {
				mp_add(&code, 'T');
			}
			break;
		case 'F':
		case 'J':
		case 'L':
		case 'M':
		case 'N':
		case 'R': mp_add(&code, (char)c); break;
		case 'G':
			if (mp_iey(next)) {
				mp_add(&code, 'J');
			} else if ((next == 'H' && after != 0 &&
			            !mp_vowel(after)) ||
			           (next == 'N' && after == 0)) {
				i++; /* silent: "night", "sign" */
			} else {
				mp_add(&code, 'K');
			}
			break;
		case 'H':
			if (i == 0 || mp_vowel(next) || !mp_vowel(prev))
				mp_add(&code, 'H');
			break;
		case 'K':
			if (prev != 'C')
				mp_add(&code, 'K');
			break;
		case 'P':
			if (next == 'H') {
				mp_add(&code, 'F');
				i++;
			} else {
				mp_add(&code, 'P');
			}
			break;
		case 'Q': mp_add(&code, 'K'); break;
		case 'S':
			if (next == 'H') {
				mp_add(&code, 'X');
				i++;
			} else if (next == 'I' &&
			           (after == 'O' || after == 'A')) {
				mp_add(&code, 'X');
				i += 2;
			} else {
				mp_add(&code, 'S');
			}
			break;
		case 'T':
			if (next == 'I' && (after == 'O' || after == 'A')) {
				mp_add(&code, 'X');
			} else if (next == 'H') {
				mp_add(&code, '0');
				i++;
			} else if (next != 'C' || after != 'H') {
				mp_add(&code, 'T');
			}
			break;
		case 'V': mp_add(&code, 'F'); break;
		case 'W':
			if (i == 0 && next == 'H') {
				mp_add(&code, 'W');
				i++;
			} else if (mp_vowel(next)) {
				mp_add(&code, 'W');
			}
			break;
		case 'X':
			if (i == 0) {
				if (next == 'H' ||
				    (next == 'I' &&
				     (after == 'O' || after == 'A')))
					mp_add(&code, 'X');
				else
					mp_add(&code, 'S');
			} else {
				mp_add(&code, 'K');
				mp_add(&code, 'S');
			}
			break;
		case 'Y':
			if (mp_vowel(next))
				mp_add(&code, 'Y');
			break;
		case 'Z': mp_add(&code, 'S'); break;
		case ' ':
			/* one space between words, none before the first */
			if (code.len > 0 && code.s[code.len - 1] != ' ')
				mp_add(&code, ' ');
			break;
		default: break;
		}
	}
	return put_code(code.s, code.len, out, size);
}
