/*
 * normalise.h - text as the matcher sees it: NFKC compatibility forms,
 * case-folded, accents stripped ("Patrón" -> "patron", "ＩＤ" -> "id"),
 * with a map from every byte of the result back to the original bytes, so
 * a hit found in normalised text points at exactly what was typed.
 *
 * A run of spaces and tabs becomes one space (patterns then match a
 * space with a plain space, which Hyperscan scans many times faster than
 * a class with a repeat); line breaks stay, they end sentences.
 *
 * Punctuation and symbols outside ASCII that have no ASCII equivalent
 * (“ ” « » ¿ ¡ • emoji) become spaces: they separate words.
 *
 * Invalid UTF-8 is tolerated: each invalid byte becomes one space (a
 * separator) and is counted. NUL bytes are separators too. Pure; uses
 * utf8proc. ASCII takes a fast path.
 */
#ifndef HTD_CORE_NORMALISE_H
#define HTD_CORE_NORMALISE_H

#include <stddef.h>
#include <stdint.h>

struct normalised {
	char *text; /* owned; NUL-terminated; `len` bytes */
	size_t len;
	uint32_t *from; /* owned; from[i] = offset in the original of the
	                 * character that produced text[i]; from[len] = the
	                 * original length */
	uint32_t *to;   /* owned; to[i] = end offset (exclusive) in the
	                 * original of that character */
	size_t cap;     /* allocated entries of text/from/to */
	size_t invalid_bytes;
};

/* Empties `n` for reuse (keeps its memory). */
void normalise_reset(struct normalised *n);

/* Frees what `n` owns; accepts NULL. */
void normalise_free(struct normalised *n);

/*
 * Normalises `len` bytes of `in` into `out` (zeroed or reset), replacing
 * its contents. Texts over 4 GiB are refused (returns -1); otherwise 0.
 */
int normalise_text(const char *in, size_t len, struct normalised *out);

/*
 * Normalises a pattern or trigger written by a person in a lexicon: the
 * same folding, except that a character after a backslash is kept as
 * written (so "\B" stays "\B"). Returns an owned string, or NULL when `in`
 * is not valid UTF-8.
 */
char *normalise_pattern(const char *in);

#endif
