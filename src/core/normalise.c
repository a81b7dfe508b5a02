/*
 * normalise.c - fold text for matching, keeping a byte map to the original.
 *
 * Each character is decomposed with compatibility mappings, case-folded,
 * its combining marks stripped and typographic variants lumped (curly
 * quotes to ', dashes to -, no-break space to space), through
 * utf8proc_decompose_char; ASCII, most notes, takes a table-free fast path.
 */
#include "core/normalise.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "util/mem.h"

#define NORMALISE_MAX ((size_t)UINT32_MAX - 64)

/* utf8proc's longest decomposition is 18 code points; room for more. */
#define DECOMPOSE_MAX 32

static const utf8proc_option_t fold_options =
    UTF8PROC_COMPAT | UTF8PROC_CASEFOLD | UTF8PROC_STRIPMARK |
    UTF8PROC_DECOMPOSE | UTF8PROC_LUMP | UTF8PROC_IGNORE;

void normalise_reset(struct normalised *n)
{
	n->len = 0;
	n->invalid_bytes = 0;
	if (n->text)
		n->text[0] = '\0';
}

void normalise_free(struct normalised *n)
{
	if (!n)
		return;
	free(n->text);
	free(n->from);
	free(n->to);
	memset(n, 0, sizeof(*n));
}

/* Makes room for `extra` more bytes plus the terminating NUL. */
static void reserve(struct normalised *n, size_t extra)
{
	size_t need = n->len + extra + 1;
	if (need <= n->cap)
		return;
	size_t cap = n->cap ? n->cap : 256;
	while (cap < need)
		cap *= 2;
	n->text = xrealloc(n->text, cap);
	n->from = xrealloc(n->from, cap * sizeof(*n->from));
	n->to = xrealloc(n->to, cap * sizeof(*n->to));
	n->cap = cap;
}

/* Appends one byte; a run of spaces and tabs becomes one space. */
static inline void put(struct normalised *n, char c, size_t from, size_t to)
{
	if (c == ' ' || c == '\t') {
		if (n->len > 0 && n->text[n->len - 1] == ' ') {
			n->to[n->len - 1] = (uint32_t)to;
			return;
		}
		c = ' ';
	}
	n->text[n->len] = c;
	n->from[n->len] = (uint32_t)from;
	n->to[n->len] = (uint32_t)to;
	n->len++;
}

/*
 * Punctuation, symbols and separators outside ASCII that utf8proc does not
 * lump to ASCII (“ ” « » ¿ ¡ • emoji) separate words, as their ASCII kin
 * do; otherwise "“boss" would be one word.
 */
static bool is_separator(utf8proc_int32_t cp)
{
	switch (utf8proc_category(cp)) {
	case UTF8PROC_CATEGORY_PC:
	case UTF8PROC_CATEGORY_PD:
	case UTF8PROC_CATEGORY_PS:
	case UTF8PROC_CATEGORY_PE:
	case UTF8PROC_CATEGORY_PI:
	case UTF8PROC_CATEGORY_PF:
	case UTF8PROC_CATEGORY_PO:
	case UTF8PROC_CATEGORY_SM:
	case UTF8PROC_CATEGORY_SC:
	case UTF8PROC_CATEGORY_SK:
	case UTF8PROC_CATEGORY_SO:
	case UTF8PROC_CATEGORY_ZS:
	case UTF8PROC_CATEGORY_ZL:
	case UTF8PROC_CATEGORY_ZP: return true;
	default: return false;
	}
}

/* Folds one non-ASCII code point `cp` that was bytes [from, to). */
static void fold_char(struct normalised *n, utf8proc_int32_t cp, size_t from,
                      size_t to)
{
	utf8proc_int32_t out[DECOMPOSE_MAX];
	int last_boundclass = 0;
	utf8proc_ssize_t k = utf8proc_decompose_char(
	    cp, out, DECOMPOSE_MAX, fold_options, &last_boundclass);
	if (k < 0 || k > DECOMPOSE_MAX) {
		/* Unassigned or too long: keep a separator in its place. */
		reserve(n, 1);
		put(n, ' ', from, to);
		return;
	}
	for (utf8proc_ssize_t i = 0; i < k; i++) {
		if (out[i] >= 0x80 && is_separator(out[i])) {
			reserve(n, 1);
			put(n, ' ', from, to);
			continue;
		}
		utf8proc_uint8_t buf[4];
		utf8proc_ssize_t b = utf8proc_encode_char(out[i], buf);
		reserve(n, (size_t)b);
		for (utf8proc_ssize_t j = 0; j < b; j++)
			put(n, (char)buf[j], from, to);
	}
}

int normalise_text(const char *in, size_t len, struct normalised *out)
{
	const unsigned char *p = (const unsigned char *)in;
	if (len > NORMALISE_MAX)
		return -1;
	normalise_reset(out);
	reserve(out, len);
	size_t i = 0;
	while (i < len) {
		unsigned char c = p[i];
		if (c < 0x80) {
			/* ASCII, most of any note: a run at a time, with room
			 * for all of it made once. */
			reserve(out, len - i);
			for (; i < len && (c = p[i]) < 0x80; i++) {
				if (c >= 'A' && c <= 'Z')
					c = (unsigned char)(c - 'A' + 'a');
				else if (c == 0)
					c = ' '; /* NUL is a separator */
				put(out, (char)c, i, i + 1);
			}
			continue;
		}
		utf8proc_int32_t cp;
		utf8proc_ssize_t k =
		    utf8proc_iterate(p + i, (utf8proc_ssize_t)(len - i), &cp);
		if (k <= 0 || cp < 0) {
			reserve(out, 1);
			put(out, ' ', i, i + 1);
			out->invalid_bytes++;
			i++;
			continue;
		}
		fold_char(out, cp, i, i + (size_t)k);
		i += (size_t)k;
	}
	reserve(out, 0);
	out->text[out->len] = '\0';
	out->from[out->len] = (uint32_t)len;
	out->to[out->len] = (uint32_t)len;
	return 0;
}

char *normalise_pattern(const char *in)
{
	size_t len = strlen(in);
	struct normalised n;
	memset(&n, 0, sizeof(n));
	const unsigned char *p = (const unsigned char *)in;
	size_t i = 0;
	bool escaped = false;
	reserve(&n, len);
	while (i < len) {
		unsigned char c = p[i];
		if (c < 0x80) {
			if (!escaped && c >= 'A' && c <= 'Z')
				c = (unsigned char)(c - 'A' + 'a');
			escaped = !escaped && c == '\\';
			reserve(&n, 1);
			put(&n, (char)c, i, i + 1);
			i++;
			continue;
		}
		utf8proc_int32_t cp;
		utf8proc_ssize_t k =
		    utf8proc_iterate(p + i, (utf8proc_ssize_t)(len - i), &cp);
		if (k <= 0 || cp < 0) {
			normalise_free(&n);
			return NULL;
		}
		fold_char(&n, cp, i, i + (size_t)k);
		escaped = false;
		i += (size_t)k;
	}
	reserve(&n, 0);
	n.text[n.len] = '\0';
	char *s = n.text;
	n.text = NULL;
	normalise_free(&n);
	return s;
}
