/*
 * match.c - the normalisers of record linkage (see match.h). Each one folds
 * its input with core/normalise.c, walks the folded text a code point at a
 * time into words, and reads those words against small tables written out
 * here: name particles, suffixes and abbreviations; USPS Publication 28
 * street suffixes (Appendix C1), directionals and unit designators (C2).
 */
#include "core/match.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "core/normalise.h"
#include "core/phonetic.h"
#include "util/mem.h"
#include "util/str.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* ---- folding ----------------------------------------------------------- */

/*
 * Folds at most `max` bytes of `in` (NULL reads as "") into `n`, which the
 * caller zeroed; a cut is made at a character boundary and reported in
 * *cut. Only the first max + 1 bytes of `in` are ever read.
 */
static void fold_bounded(const char *in, size_t max, struct normalised *n,
                         bool *cut)
{
	size_t len = in ? strnlen(in, max + 1) : 0;

	*cut = false;
	if (len > max) {
		len = max;
		while (len > 0 && ((unsigned char)in[len] & 0xC0) == 0x80)
			len--;
		*cut = true;
	}
	/* Under 4 GiB, normalise_text() cannot fail. */
	(void)normalise_text(in ? in : "", len, n);
}

/* Decodes the code point at s[i] (folded text is valid UTF-8); returns its
 * length in bytes, at least 1. */
static size_t next_char(const char *s, size_t len, size_t i, int32_t *cp)
{
	utf8proc_int32_t c;
	utf8proc_ssize_t k = utf8proc_iterate((const utf8proc_uint8_t *)s + i,
	                                      (utf8proc_ssize_t)(len - i), &c);
	if (k <= 0) {
		*cp = -1;
		return 1;
	}
	*cp = c;
	return (size_t)k;
}

enum char_class {
	CH_SEPARATOR,
	CH_WORD,       /* a letter, mark or digit of any script */
	CH_APOSTROPHE, /* joins: "O'Brien" is one word */
	CH_HYPHEN,
	CH_PERIOD,
	CH_COMMA,
	CH_HASH,
	CH_SLASH,
};

static enum char_class classify(int32_t cp)
{
	if (cp < 0)
		return CH_SEPARATOR;
	if (cp < 0x80) {
		if ((cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') ||
		    (cp >= '0' && cp <= '9'))
			return CH_WORD;
		switch (cp) {
		case '\'':
		case '`': return CH_APOSTROPHE;
		case '-': return CH_HYPHEN;
		case '.': return CH_PERIOD;
		case ',': return CH_COMMA;
		case '#': return CH_HASH;
		case '/': return CH_SLASH;
		default: return CH_SEPARATOR;
		}
	}
	if (cp == 0x02BC) /* modifier letter apostrophe */
		return CH_APOSTROPHE;
	switch (utf8proc_category(cp)) {
	case UTF8PROC_CATEGORY_LU:
	case UTF8PROC_CATEGORY_LL:
	case UTF8PROC_CATEGORY_LT:
	case UTF8PROC_CATEGORY_LM:
	case UTF8PROC_CATEGORY_LO:
	case UTF8PROC_CATEGORY_MN:
	case UTF8PROC_CATEGORY_MC:
	case UTF8PROC_CATEGORY_ME:
	case UTF8PROC_CATEGORY_ND:
	case UTF8PROC_CATEGORY_NL:
	case UTF8PROC_CATEGORY_NO: return CH_WORD;
	default: return CH_SEPARATOR;
	}
}

/* The length of the longest prefix of s[0..len) that is at most `max`
 * bytes and ends at a character boundary. */
static size_t utf8_cut(const char *s, size_t len, size_t max)
{
	if (len <= max)
		return len;
	while (max > 0 && ((unsigned char)s[max] & 0xC0) == 0x80)
		max--;
	return max;
}

/*
 * Appends `len` bytes of `s` to the NUL-terminated text in dst[size],
 * after a space when dst is not empty and `space` is set. Returns false
 * (dst cut at a character) when it does not all fit.
 */
static bool append(char *dst, size_t size, const char *s, size_t len,
                   bool space)
{
	size_t n = strlen(dst);
	size_t gap = space && n > 0 ? 1 : 0;
	size_t fit = len;

	if (len == 0)
		return true;
	if (n + gap + len >= size)
		fit = n + gap + 1 < size ? utf8_cut(s, len, size - 1 - n - gap)
		                         : 0;
	if (fit == 0)
		return false; /* no separator without a character after it */
	if (gap)
		dst[n++] = ' ';
	memcpy(dst + n, s, fit);
	dst[n + fit] = '\0';
	return fit == len;
}

/*
 * Folds a name as written in a table or a look-up into dst[size]: words of
 * letters and digits, apostrophes dropped, anything else a single space.
 * Returns the length (0: nothing left).
 */
static size_t fold_name(const char *in, char *dst, size_t size)
{
	struct normalised n;
	bool cut;
	bool gap = false;

	memset(&n, 0, sizeof(n));
	fold_bounded(in, MATCH_NAME_MAX, &n, &cut);
	dst[0] = '\0';
	for (size_t i = 0; i < n.len;) {
		int32_t cp;
		size_t k = next_char(n.text, n.len, i, &cp);
		enum char_class c = classify(cp);
		if (c == CH_WORD) {
			if (!append(dst, size, n.text + i, k, gap))
				break;
			gap = false;
		} else if (c != CH_APOSTROPHE) {
			gap = true;
		}
		i += k;
	}
	normalise_free(&n);
	return strlen(dst);
}

/* ---- names: words ------------------------------------------------------ */

struct name_word {
	char text[MATCH_NAME_WORD_MAX + 1];
	size_t len;
	bool period; /* a period right after it: "Ma." */
	bool hyphen; /* joined to the next word by a hyphen */
	bool comma;  /* a comma after it */
};

struct name_words {
	struct name_word w[MATCH_NAME_WORDS_MAX];
	size_t n;
	bool truncated;
};

static void name_tokenise(const char *s, size_t len, struct name_words *out)
{
	struct name_word *cur = NULL; /* the word being read */

	for (size_t i = 0; i < len;) {
		int32_t cp;
		size_t k = next_char(s, len, i, &cp);
		enum char_class c = classify(cp);
		struct name_word *last = out->n ? &out->w[out->n - 1] : NULL;

		if (c == CH_WORD) {
			if (!cur) {
				if (out->n == MATCH_NAME_WORDS_MAX) {
					out->truncated = true;
					break;
				}
				cur = &out->w[out->n++];
			}
			if (cur->len + k <= MATCH_NAME_WORD_MAX) {
				memcpy(cur->text + cur->len, s + i, k);
				cur->len += k;
				cur->text[cur->len] = '\0';
			} else {
				out->truncated = true;
			}
		} else if (c == CH_APOSTROPHE) {
			/* Inside a word it joins; elsewhere it is a quote. */
		} else {
			if (c == CH_PERIOD && cur)
				cur->period = true;
			if (c == CH_HYPHEN && last && !last->comma)
				last->hyphen = true;
			if (c == CH_COMMA && last) {
				last->comma = true;
				last->hyphen = false;
			}
			cur = NULL;
		}
		i += k;
	}
	if (out->n)
		out->w[out->n - 1].hyphen = false;
}

/* Particles of surnames: they join the word after them ("de la cruz"). */
static const char *const particles[] = {
	"da", "das", "de",  "del", "della", "den", "der", "di",  "do",  "dos",
	"du", "la",  "las", "le",  "los",   "st",  "ste", "van", "von",
};

static bool is_particle(const char *w)
{
	for (size_t i = 0; i < COUNT(particles); i++)
		if (strcmp(w, particles[i]) == 0)
			return true;
	return false;
}

/* Generational suffixes, as written and as kept. */
static const struct {
	const char *word;
	const char *suffix;
} suffixes[] = {
	{ "jr", "jr" },   { "jnr", "jr" }, { "junior", "jr" },
	{ "sr", "sr" },   { "snr", "sr" }, { "senior", "sr" },
	{ "ii", "ii" },   { "2nd", "ii" }, { "iii", "iii" },
	{ "3rd", "iii" }, { "iv", "iv" },  { "4th", "iv" },
};

static const char *suffix_of(const char *w)
{
	for (size_t i = 0; i < COUNT(suffixes); i++)
		if (strcmp(w, suffixes[i].word) == 0)
			return suffixes[i].suffix;
	return NULL;
}

/*
 * Abbreviations of given names found in records: Spanish (Mexican civil
 * registry and church records write Ma., Fco., Gpe.) and the classic
 * English ones of older documents. Where the letters alone are also a
 * name ("Jos" is Dutch, "Geo" a name too), only the form with a period
 * is expanded.
 */
static const struct {
	const char *abbreviation;
	const char *name;
	bool needs_period;
} abbreviations[] = {
	{ "ma", "maria", false }, /* Ma., Mª, Ma */
	{ "fco", "francisco", false }, { "gpe", "guadalupe", false },
	{ "jos", "jose", true },       { "wm", "william", false },
	{ "chas", "charles", false },  { "thos", "thomas", false },
	{ "jas", "james", false },     { "jno", "john", true },
	{ "robt", "robert", false },   { "geo", "george", true },
	{ "benj", "benjamin", false }, { "saml", "samuel", false },
	{ "edw", "edward", true },
};

/* Returns the expansion of word `w`, or its own text. */
static const char *expand(const struct name_word *w)
{
	for (size_t i = 0; i < COUNT(abbreviations); i++)
		if (strcmp(w->text, abbreviations[i].abbreviation) == 0 &&
		    (w->period || !abbreviations[i].needs_period))
			return abbreviations[i].name;
	return w->text;
}

static bool is_expansion(const char *w)
{
	for (size_t i = 0; i < COUNT(abbreviations); i++)
		if (strcmp(w, abbreviations[i].name) == 0)
			return true;
	return false;
}

/*
 * The compound given names of Spanish: María, José or Juan and a devotion
 * ("María de la Luz", "José de Jesús"). The person usually goes by the
 * second part ("Carmen", "Chuy"), so it is kept as a given name. "de la
 * cruz" is left out: as often a surname as a name.
 */
static const char *const compound_given[] = {
	"de fatima",        "de guadalupe", "de jesus",       "de la asuncion",
	"de la concepcion", "de la luz",    "de la merced",   "de la paz",
	"de las mercedes",  "de lourdes",   "de los angeles", "de los dolores",
	"de los remedios",  "del carmen",   "del consuelo",   "del mar",
	"del pilar",        "del refugio",  "del rocio",      "del rosario",
	"del socorro",
};

static const char *const compound_heads[] = { "maria", "jose", "juan" };

/* A run of words read as one part of the name. */
struct name_unit {
	size_t start, end;  /* words [start, end) */
	size_t n_particles; /* leading particles */
};

/*
 * Groups words [b, e) into units: leading particles join the word after
 * them, hyphens join words. With `first_alone` the first word is never a
 * particle ("Van Morrison" is given "van").
 */
static size_t name_units(const struct name_words *w, size_t b, size_t e,
                         bool first_alone, struct name_unit *u)
{
	size_t n = 0;
	size_t i = b;

	while (i < e) {
		size_t start = i, np = 0;
		if (!(first_alone && i == b))
			while (i + 1 < e && !w->w[i].hyphen &&
			       is_particle(w->w[i].text)) {
				i++;
				np++;
			}
		i++;
		while (i < e && w->w[i - 1].hyphen)
			i++;
		u[n++] = (struct name_unit){ start, i, np };
	}
	return n;
}

/* Writes words [from, u->end) of the unit into dst, space-separated,
 * with no spaces when `compact`. Returns false when cut. */
static bool unit_text(const struct name_words *w, const struct name_unit *u,
                      size_t from, bool compact, char *dst, size_t size)
{
	bool fit = true;
	dst[0] = '\0';
	for (size_t i = from; i < u->end; i++)
		fit &= append(dst, size, w->w[i].text, w->w[i].len, !compact);
	return fit;
}

static bool unit_is_compound_given(const struct name_words *w,
                                   const struct name_unit *u)
{
	char text[MATCH_NAME_MAX + 1];

	if (u->n_particles == 0 || u->end - u->start != u->n_particles + 1)
		return false;
	unit_text(w, u, u->start, false, text, sizeof(text));
	for (size_t i = 0; i < COUNT(compound_given); i++)
		if (strcmp(text, compound_given[i]) == 0)
			return true;
	return false;
}

/* True when the unit is an initial or a name known to be a given name. */
static bool unit_is_given(const struct name_words *w, const struct name_unit *u,
                          const struct match_nicknames *nicknames)
{
	const struct name_word *first = &w->w[u->start];
	const char *name = expand(first);
	int32_t cp;

	if (u->n_particles > 0)
		return false;
	if (next_char(first->text, first->len, 0, &cp) == first->len)
		return true; /* one letter: an initial */
	return name != first->text || is_expansion(name) ||
	       match_nicknames_known(nicknames, name);
}

static void add_given(struct match_name *out, const struct name_words *w,
                      const struct name_unit *u)
{
	for (size_t i = u->start + u->n_particles; i < u->end; i++) {
		if (out->n_given == MATCH_NAME_WORDS_MAX)
			return;
		str_copy(out->given[out->n_given++], sizeof(out->given[0]),
		         expand(&w->w[i]));
	}
}

static void add_surname_alt(struct match_name *out, const char *text)
{
	if (!text[0] || strcmp(text, out->surname) == 0)
		return;
	for (size_t i = 0; i < out->n_surname_alt; i++)
		if (strcmp(text, out->surname_alt[i]) == 0)
			return;
	if (out->n_surname_alt == MATCH_NAME_ALTS_MAX)
		return;
	str_copy(out->surname_alt[out->n_surname_alt++],
	         sizeof(out->surname_alt[0]), text);
}

/* Fills surname and surname_alt from units u[0..n). */
static void set_surnames(struct match_name *out, const struct name_words *w,
                         const struct name_unit *u, size_t n)
{
	char text[MATCH_NAME_MAX + 1];

	for (size_t i = 0; i < n; i++)
		for (size_t j = u[i].start; j < u[i].end; j++)
			if (!append(out->surname, sizeof(out->surname),
			            w->w[j].text, w->w[j].len, true))
				out->truncated = true;
	if (n >= 2) {
		unit_text(w, &u[0], u[0].start, false, text, sizeof(text));
		add_surname_alt(out, text);
		unit_text(w, &u[n - 1], u[n - 1].start, false, text,
		          sizeof(text));
		add_surname_alt(out, text);
	}
	for (size_t i = 0; i < n; i++) {
		if (u[i].n_particles == 0)
			continue;
		unit_text(w, &u[i], u[i].start + u[i].n_particles, false, text,
		          sizeof(text));
		add_surname_alt(out, text);
		unit_text(w, &u[i], u[i].start, true, text, sizeof(text));
		add_surname_alt(out, text);
	}
	for (size_t i = 0; i < n; i++) {
		if (u[i].end - u[i].start - u[i].n_particles < 2)
			continue;
		for (size_t j = u[i].start + u[i].n_particles; j < u[i].end;
		     j++)
			add_surname_alt(out, w->w[j].text);
	}
}

/* ---- names: parse ------------------------------------------------------ */

/* If the last word of [b, *e) is a suffix and at least `keep` words stay,
 * removes it into out->suffix. */
static void strip_suffix(struct match_name *out, const struct name_words *w,
                         size_t b, size_t *e, size_t keep)
{
	const char *s;
	if (*e <= b || *e - b < keep + 1)
		return;
	s = suffix_of(w->w[*e - 1].text);
	if (!s)
		return;
	if (!out->suffix[0])
		str_copy(out->suffix, sizeof(out->suffix), s);
	(*e)--;
}

/* "Surname[ Surname2], Given...": the comma after word `comma`. */
static void parse_reversed(struct match_name *out, const struct name_words *w,
                           size_t comma)
{
	struct name_unit su[MATCH_NAME_WORDS_MAX], gu[MATCH_NAME_WORDS_MAX];
	size_t se = comma + 1, ge = w->n;
	size_t ns, ng;

	strip_suffix(out, w, comma + 1, &ge, 1);
	strip_suffix(out, w, 0, &se, 1);
	ns = name_units(w, 0, se, false, su);
	ng = name_units(w, comma + 1, ge, true, gu);
	for (size_t i = 0; i < ng; i++)
		add_given(out, w, &gu[i]);
	set_surnames(out, w, su, ns);
	out->reversed = true;
}

/* "Given[ Middle...] Surname[ Surname2]" (see match_name_parse()). */
static void parse_forward(struct match_name *out, const struct name_words *w,
                          const struct match_nicknames *nick)
{
	struct name_unit u[MATCH_NAME_WORDS_MAX];
	size_t e = w->n;
	size_t n, first_surname, k = 1;

	strip_suffix(out, w, 0, &e, 2);
	n = name_units(w, 0, e, true, u);
	if (n == 0)
		return;
	if (n == 1) {
		add_given(out, w, &u[0]);
		set_surnames(out, w, u, 1);
		out->one_word = true;
		return;
	}
	first_surname = n - 1;
	if (n >= 3 && unit_is_compound_given(w, &u[1])) {
		const char *head = expand(&w->w[u[0].start]);
		for (size_t i = 0; i < COUNT(compound_heads); i++)
			if (u[0].end - u[0].start == 1 &&
			    strcmp(head, compound_heads[i]) == 0)
				k = 2;
	}
	if (n - 1 > k && !unit_is_given(w, &u[n - 2], nick))
		first_surname = n - 2;
	for (size_t i = 0; i < first_surname; i++)
		add_given(out, w, &u[i]);
	set_surnames(out, w, u + first_surname, n - first_surname);
}

bool match_name_parse(const char *full, const struct match_nicknames *nicknames,
                      struct match_name *out)
{
	struct normalised n;
	struct name_words *w = xcalloc(1, sizeof(*w));
	bool cut;
	size_t comma = SIZE_MAX;

	memset(out, 0, sizeof(*out));
	memset(&n, 0, sizeof(n));
	fold_bounded(full, MATCH_NAME_MAX, &n, &cut);
	name_tokenise(n.text, n.len, w);
	normalise_free(&n);
	out->truncated = cut || w->truncated;

	for (size_t i = 0; i + 1 < w->n; i++)
		if (w->w[i].comma) {
			comma = i;
			break;
		}
	if (comma != SIZE_MAX) {
		/* "John Smith, Jr.": what follows the comma is a suffix. */
		bool all_suffixes = true;
		for (size_t i = comma + 1; i < w->n; i++)
			all_suffixes &= suffix_of(w->w[i].text) != NULL;
		if (all_suffixes) {
			str_copy(out->suffix, sizeof(out->suffix),
			         suffix_of(w->w[comma + 1].text));
			w->n = comma + 1;
			comma = SIZE_MAX;
		}
	}
	if (comma != SIZE_MAX)
		parse_reversed(out, w, comma);
	else
		parse_forward(out, w, nicknames);
	free(w);
	if (out->n_given == 0 && !out->surname[0]) {
		bool truncated = out->truncated;
		memset(out, 0, sizeof(*out));
		out->truncated = truncated;
		return false;
	}
	return true;
}

/* ---- nicknames --------------------------------------------------------- */

struct nickname_entry {
	char *nickname; /* owned, folded */
	char *formal;   /* owned, folded */
};

struct match_nicknames {
	struct nickname_entry *entries; /* sorted by nickname, then formal */
	size_t n;
	const char **names; /* every name once, sorted; borrowed from entries */
	size_t n_names;
};

static int entry_order(const void *a, const void *b)
{
	const struct nickname_entry *x = a, *y = b;
	int c = strcmp(x->nickname, y->nickname);
	return c ? c : strcmp(x->formal, y->formal);
}

static int name_order(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

struct match_nicknames *
match_nicknames_new(const struct match_nickname_pair *pairs, size_t n)
{
	struct match_nicknames *t = xcalloc(1, sizeof(*t));
	char formal[MATCH_NAME_MAX + 1], nick[MATCH_NAME_MAX + 1];
	size_t kept = 0;

	t->entries = xcalloc(n ? n : 1, sizeof(*t->entries));
	for (size_t i = 0; i < n; i++) {
		if (!pairs[i].formal || !pairs[i].nickname ||
		    !fold_name(pairs[i].formal, formal, sizeof(formal)) ||
		    !fold_name(pairs[i].nickname, nick, sizeof(nick)) ||
		    strcmp(formal, nick) == 0)
			continue;
		t->entries[t->n].formal = xstrdup(formal);
		t->entries[t->n].nickname = xstrdup(nick);
		t->n++;
	}
	if (t->n)
		qsort(t->entries, t->n, sizeof(*t->entries), entry_order);
	for (size_t i = 0; i < t->n; i++) {
		if (kept &&
		    entry_order(&t->entries[kept - 1], &t->entries[i]) == 0) {
			free(t->entries[i].formal);
			free(t->entries[i].nickname);
			continue;
		}
		t->entries[kept++] = t->entries[i];
	}
	t->n = kept;

	t->names = xcalloc(2 * t->n + 1, sizeof(*t->names));
	for (size_t i = 0; i < t->n; i++) {
		t->names[t->n_names++] = t->entries[i].nickname;
		t->names[t->n_names++] = t->entries[i].formal;
	}
	if (t->n_names)
		qsort(t->names, t->n_names, sizeof(*t->names), name_order);
	kept = 0;
	for (size_t i = 0; i < t->n_names; i++)
		if (!kept || strcmp(t->names[kept - 1], t->names[i]) != 0)
			t->names[kept++] = t->names[i];
	t->n_names = kept;
	return t;
}

void match_nicknames_free(struct match_nicknames *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n; i++) {
		free(t->entries[i].formal);
		free(t->entries[i].nickname);
	}
	free(t->entries);
	free(t->names);
	free(t);
}

size_t match_nicknames_count(const struct match_nicknames *t)
{
	return t ? t->n : 0;
}

/* The entries whose nickname is `folded`: [*first, return value). */
static size_t nickname_range(const struct match_nicknames *t,
                             const char *folded, size_t *first)
{
	size_t lo = 0, hi = t->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(t->entries[mid].nickname, folded) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*first = lo;
	while (hi < t->n && strcmp(t->entries[hi].nickname, folded) == 0)
		hi++;
	return hi;
}

size_t match_nicknames_formal(const struct match_nicknames *t, const char *name,
                              const char **out, size_t max)
{
	char folded[MATCH_NAME_MAX + 1];
	size_t first, end;

	if (!t || !name || !fold_name(name, folded, sizeof(folded)))
		return 0;
	end = nickname_range(t, folded, &first);
	for (size_t i = first; i < end && i - first < max; i++)
		out[i - first] = t->entries[i].formal;
	return end - first;
}

bool match_nicknames_known(const struct match_nicknames *t, const char *name)
{
	char folded[MATCH_NAME_MAX + 1];

	if (!t || !name || !fold_name(name, folded, sizeof(folded)))
		return false;
	return bsearch(&(const char *){ folded }, t->names, t->n_names,
	               sizeof(*t->names), name_order) != NULL;
}

/* True when `formal` is one of the formal names of entries [first, end). */
static bool has_formal(const struct match_nicknames *t, size_t first,
                       size_t end, const char *formal)
{
	for (size_t i = first; i < end; i++)
		if (strcmp(t->entries[i].formal, formal) == 0)
			return true;
	return false;
}

bool match_nicknames_related(const struct match_nicknames *t, const char *a,
                             const char *b)
{
	char fa[MATCH_NAME_MAX + 1], fb[MATCH_NAME_MAX + 1];
	size_t a0, a1, b0, b1;

	if (!a || !b || !fold_name(a, fa, sizeof(fa)) ||
	    !fold_name(b, fb, sizeof(fb)))
		return false;
	if (strcmp(fa, fb) == 0)
		return true;
	if (!t)
		return false;
	a1 = nickname_range(t, fa, &a0);
	b1 = nickname_range(t, fb, &b0);
	if (has_formal(t, a0, a1, fb) || has_formal(t, b0, b1, fa))
		return true;
	for (size_t i = a0; i < a1; i++)
		if (has_formal(t, b0, b1, t->entries[i].formal))
			return true;
	return false;
}

/* ---- dates of birth ---------------------------------------------------- */

static bool is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Days in `month` (known) of `year` (0: unknown, so February has 29). */
static int days_in_month(int month, int year)
{
	static const int days[12] = { 31, 29, 31, 30, 31, 30,
		                      31, 31, 30, 31, 30, 31 };
	if (month == 2 && year != 0 && !is_leap(year))
		return 28;
	return days[month - 1];
}

/*
 * Reads one part of a date: `len` digits (at most 4) into *v, or a run of
 * '?', 'x' or '0' as unknown (*v = 0). Returns false for anything else.
 */
static bool date_part(const char *s, size_t len, int *v)
{
	bool q = true, x = true, digits = true;
	int n = 0;

	if (len == 0 || len > 4)
		return false;
	for (size_t i = 0; i < len; i++) {
		q &= s[i] == '?';
		x &= s[i] == 'x' || s[i] == 'X';
		digits &= s[i] >= '0' && s[i] <= '9';
		if (s[i] >= '0' && s[i] <= '9')
			n = n * 10 + (s[i] - '0');
	}
	if (q || x) {
		*v = 0;
		return true;
	}
	if (!digits)
		return false;
	*v = n;
	return true;
}

static enum htd_err date_invalid(struct htd_error *err, struct match_date *out,
                                 const char *fmt, const char *detail)
{
	memset(out, 0, sizeof(*out));
	return htd_error_set(err, HTD_ERR_INVALID, fmt, detail);
}

enum htd_err match_date_parse(const char *in, struct match_date *out,
                              struct htd_error *err)
{
	char text[MATCH_DATE_MAX + 1];
	const char *part[3];
	size_t part_len[3], n_parts = 0, len;
	const char *s;
	char sep = 0;
	int v[3] = { 0, 0, 0 };
	struct match_date d = { 0, 0, 0 };

	memset(out, 0, sizeof(*out));
	if (!in)
		return date_invalid(err, out, "%s", "no date");
	if (strnlen(in, MATCH_DATE_MAX + 1) > MATCH_DATE_MAX)
		return htd_error_set(err, HTD_ERR_TOO_LARGE,
		                     "a date is at most %d bytes",
		                     MATCH_DATE_MAX);
	s = str_trim(in, &len);
	memcpy(text, s, len);
	text[len] = '\0';
	if (len == 0)
		return date_invalid(err, out, "%s", "no date");

	if (len == 8 && strspn(text, "0123456789") == 8) {
		/* YYYYMMDD, as NCIC and many exports write it */
		part[0] = text;
		part[1] = text + 4;
		part[2] = text + 6;
		part_len[0] = 4;
		part_len[1] = part_len[2] = 2;
		n_parts = 3;
	} else {
		size_t start = 0;
		for (size_t i = 0; i <= len; i++) {
			char c = text[i];
			if (c != '\0' && c != '-' && c != '/')
				continue;
			if (c != '\0') {
				if (sep && c != sep)
					return date_invalid(
					    err, out,
					    "mixed separators in '%s': use "
					    "YYYY-MM-DD or MM/DD/YYYY",
					    text);
				sep = c;
			}
			if (n_parts == 3)
				return date_invalid(
				    err, out, "too many parts in '%s'", text);
			part[n_parts] = text + start;
			part_len[n_parts++] = i - start;
			start = i + 1;
		}
	}
	for (size_t i = 0; i < n_parts; i++)
		if (!date_part(part[i], part_len[i], &v[i]))
			return date_invalid(
			    err, out,
			    "'%s' is not a date: use YYYY-MM-DD, MM/DD/YYYY "
			    "or YYYY",
			    text);

	if (part_len[0] == 4) {
		/* Year first: YYYY, YYYY-MM, YYYY-MM-DD */
		d.year = v[0];
		d.month = n_parts > 1 ? v[1] : 0;
		d.day = n_parts > 2 ? v[2] : 0;
		if (n_parts > 1 && part_len[1] > 2)
			return date_invalid(err, out, "bad month in '%s'",
			                    text);
		if (n_parts > 2 && part_len[2] > 2)
			return date_invalid(err, out, "bad day in '%s'", text);
	} else if (part_len[0] <= 2 && n_parts >= 2) {
		/* Month first (US): MM/YYYY, MM/DD/YYYY */
		size_t y = n_parts - 1;
		if (part_len[y] != 4)
			return date_invalid(
			    err, out,
			    part_len[y] == 2
			        ? "'%s' has a two-digit year: write all four "
			          "digits"
			        : "'%s' has no four-digit year at the end",
			    text);
		if (n_parts == 3 && part_len[1] > 2)
			return date_invalid(err, out, "bad day in '%s'", text);
		d.month = v[0];
		d.day = n_parts == 3 ? v[1] : 0;
		d.year = v[y];
	} else {
		return date_invalid(
		    err, out,
		    "'%s' is not a date: use YYYY-MM-DD, MM/DD/YYYY or YYYY",
		    text);
	}

	if (d.year == 0 && d.month == 0 && d.day == 0)
		return date_invalid(err, out, "no part of '%s' is known", text);
	if (d.year != 0 &&
	    (d.year < MATCH_DATE_YEAR_MIN || d.year > MATCH_DATE_YEAR_MAX))
		return date_invalid(err, out,
		                    "the year of '%s' is out of range", text);
	if (d.month > 12)
		return date_invalid(err, out, "the month of '%s' is over 12",
		                    text);
	if (d.day > 31 || (d.month && d.day > days_in_month(d.month, d.year)))
		return date_invalid(err, out,
		                    "the month of '%s' has no such day", text);
	*out = d;
	return HTD_OK;
}

bool match_date_known(const struct match_date *d)
{
	return d && (d->year || d->month || d->day);
}

/*
 * True when `a` and `b` (both known, different) differ by one digit, or by
 * two adjacent digits swapped, written with `width` digits.
 */
static bool digit_typo(int a, int b, int width)
{
	char x[4], y[4];
	int diff[4], n = 0;

	for (int i = width - 1; i >= 0; i--) {
		x[i] = (char)('0' + a % 10);
		y[i] = (char)('0' + b % 10);
		a /= 10;
		b /= 10;
	}
	for (int i = 0; i < width; i++)
		if (x[i] != y[i])
			diff[n++] = i;
	if (n == 1)
		return true;
	return n == 2 && diff[1] == diff[0] + 1 && x[diff[0]] == y[diff[1]] &&
	       x[diff[1]] == y[diff[0]];
}

double match_date_similarity(const struct match_date *a,
                             const struct match_date *b)
{
	static const struct match_date unknown = { 0, 0, 0 };
	bool ky, km, kd;
	int typos = 0, diffs = 0;

	if (!a)
		a = &unknown;
	if (!b)
		b = &unknown;
	ky = a->year && b->year;
	km = a->month && b->month;
	kd = a->day && b->day;
	if (!ky && !km && !kd)
		return 0.0;
	if (ky && km && kd && a->year == b->year && a->day == b->month &&
	    a->month == b->day && a->day != a->month)
		return 0.8;
	if (ky && a->year != b->year)
		digit_typo(a->year, b->year, 4) ? typos++ : diffs++;
	if (km && a->month != b->month)
		digit_typo(a->month, b->month, 2) ? typos++ : diffs++;
	if (kd && a->day != b->day)
		digit_typo(a->day, b->day, 2) ? typos++ : diffs++;
	if (diffs || typos > 1)
		return 0.0;
	if (typos == 0) {
		if (ky && km && kd)
			return 1.0;
		if (ky && km)
			return 0.9;
		if (ky)
			return 0.6;
		return km && kd ? 0.4 : 0.0;
	}
	if (ky && km && kd)
		return 0.7;
	if (ky + km + kd >= 2)
		return 0.5;
	return ky ? 0.3 : 0.0;
}

/* ---- phone numbers ----------------------------------------------------- */

/* Extension markers, longest first so "extension" is not read as "ext". */
static const char *const extension_markers[] = { "extension", "ext", "x" };

/* True for a NANP number (10 digits after the 1) that can exist: area
 * code and exchange start with 2-9, the area code is not N11. */
static bool nanp_valid(const char *d, const char **why)
{
	if (d[0] < '2')
		*why = "a North American area code cannot start with 0 or 1";
	else if (d[1] == '1' && d[2] == '1')
		*why = "N11 codes (211-911) are not area codes";
	else if (d[3] < '2')
		*why = "a North American exchange cannot start with 0 or 1";
	else
		return true;
	return false;
}

static enum htd_err phone_invalid(struct htd_error *err, const char *why)
{
	return htd_error_set(err, HTD_ERR_INVALID, "%s", why);
}

/*
 * Reads the extension that starts at text[i] (after its marker) into ext.
 * Returns NULL, or why it is wrong.
 */
static const char *phone_extension(const char *text, size_t i, char *ext,
                                   size_t ext_size)
{
	size_t n = 0;
	while (text[i] && strchr(".: -\t#,;", text[i]))
		i++;
	for (; text[i] >= '0' && text[i] <= '9'; i++) {
		if (n + 1 >= ext_size)
			return "the extension is too long";
		ext[n++] = text[i];
	}
	ext[n] = '\0';
	while (text[i] == ' ' || text[i] == '\t')
		i++;
	return text[i] ? "unexpected text after the extension" : NULL;
}

enum htd_err match_phone_e164(const char *in, const char *default_country,
                              char *out, size_t size, char *extension,
                              size_t extension_size, struct htd_error *err)
{
	char text[MATCH_PHONE_MAX + 1];
	char digits[MATCH_PHONE_MAX + 8];
	char ext[MATCH_PHONE_EXTENSION_SIZE] = "";
	char result[MATCH_PHONE_E164_SIZE];
	const char *cc = default_country ? default_country : "1";
	const char *why = NULL;
	size_t len, n = 0, cc_len = strlen(cc);
	bool plus = false, seen_digit = false;

	if (out && size)
		out[0] = '\0';
	if (extension && extension_size)
		extension[0] = '\0';
	if (!in)
		return phone_invalid(err, "no phone number");
	len = strnlen(in, MATCH_PHONE_MAX + 1);
	if (len > MATCH_PHONE_MAX)
		return htd_error_set(err, HTD_ERR_TOO_LARGE,
		                     "a phone number is at most %d bytes",
		                     MATCH_PHONE_MAX);
	if (cc_len < 1 || cc_len > 3 || strspn(cc, "0123456789") != cc_len ||
	    cc[0] == '0')
		return phone_invalid(err, "the default country code must be "
		                          "1 to 3 digits, not starting with 0");
	memcpy(text, in, len);
	text[len] = '\0';
	str_ascii_lower(text);

	for (size_t i = 0; i < len && !why; i++) {
		char c = text[i];
		if (c >= '0' && c <= '9') {
			digits[n++] = c;
			seen_digit = true;
		} else if (c == '+' && !seen_digit && !plus) {
			plus = true;
		} else if (strchr(" \t-.()/", c)) {
			continue;
		} else if (seen_digit && strchr("#,;", c)) {
			why = phone_extension(text, i + 1, ext, sizeof(ext));
			break;
		} else if (seen_digit && c >= 'a' && c <= 'z') {
			size_t k;
			for (k = 0; k < COUNT(extension_markers); k++) {
				size_t m = strlen(extension_markers[k]);
				if (strncmp(text + i, extension_markers[k],
				            m) == 0) {
					why = phone_extension(text, i + m, ext,
					                      sizeof(ext));
					break;
				}
			}
			if (k == COUNT(extension_markers))
				why = "letters in a phone number";
			break;
		} else {
			why = c >= 'a' && c <= 'z'
			          ? "letters in a phone number"
			          : "a character that is not part of a phone "
			            "number";
		}
	}
	digits[n] = '\0';
	if (why)
		return phone_invalid(err, why);
	if (n == 0)
		return phone_invalid(err, "no digits in the phone number");

	result[0] = '+';
	if (!plus && strcmp(cc, "1") == 0 && n > 3 &&
	    strncmp(digits, "011", 3) == 0) {
		/* NANP international prefix: a country code follows. */
		memmove(digits, digits + 3, n - 3 + 1);
		n -= 3;
		plus = true;
	}
	if (!plus) {
		if (strcmp(cc, "1") == 0) {
			if (n == 11 && digits[0] == '1') {
				memmove(digits, digits + 1, n);
				n--;
			}
			if (n == 7)
				return phone_invalid(
				    err, "too short: 7 digits is a local "
				         "number without its area code");
			if (n < 10)
				return phone_invalid(
				    err, "too short for a North American "
				         "number (10 digits)");
			if (n > 10)
				return phone_invalid(
				    err, "too long for a North American "
				         "number (10 digits)");
		} else if (digits[0] == '0') {
			/* The national trunk prefix. */
			memmove(digits, digits + 1, n);
			n--;
		}
		memmove(digits + cc_len, digits, n + 1);
		memcpy(digits, cc, cc_len);
		n += cc_len;
	}
	if (digits[0] == '0')
		return phone_invalid(err, "a country code cannot start with 0");
	if (digits[0] == '1') {
		if (n < 11)
			return phone_invalid(
			    err, "too short for a North American number "
			         "(+1 and 10 digits)");
		if (n > 11)
			return phone_invalid(
			    err, "too long for a North American number "
			         "(+1 and 10 digits)");
		if (!nanp_valid(digits + 1, &why))
			return phone_invalid(err, why);
	}
	if (n == 13 && strncmp(digits, "521", 3) == 0) {
		/* Mexico: the mobile "1" after +52, gone since 2019. */
		memmove(digits + 2, digits + 3, n - 2);
		n--;
	}
	if (n < 7)
		return phone_invalid(err, "too short for a phone number");
	if (n > 15)
		return phone_invalid(err, "too long: E.164 numbers have at "
		                          "most 15 digits");
	memcpy(result + 1, digits, n + 1);
	if (!out || size < n + 2)
		return htd_error_set(err, HTD_ERR_TOO_LARGE,
		                     "the phone number does not fit");
	if (ext[0] && extension && extension_size <= strlen(ext))
		return htd_error_set(err, HTD_ERR_TOO_LARGE,
		                     "the extension does not fit");
	memcpy(out, result, n + 2);
	if (extension && extension_size)
		str_copy(extension, extension_size, ext);
	return HTD_OK;
}

/* ---- addresses --------------------------------------------------------- */

/* Tokens of an address read; the rest is dropped (`truncated`). */
#define ADDRESS_TOKENS_MAX 48

struct address_token {
	const char *text; /* in the scratch buffer, NUL-terminated */
	bool comma_before;
};

struct address_tokens {
	struct address_token t[ADDRESS_TOKENS_MAX];
	size_t n;
	char *scratch; /* owned */
	bool truncated;
};

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Splits folded `s` into upper-case tokens (see match_address_normalise). */
static void address_tokenise(const char *s, size_t len,
                             struct address_tokens *out)
{
	char *w = out->scratch = xmalloc(2 * len + 2);
	char *start = w;
	bool comma = false;

	for (size_t i = 0; i < len;) {
		int32_t cp, next_cp = -1;
		size_t k = next_char(s, len, i, &cp);
		enum char_class c = classify(cp);
		bool in_token = w > start;
		bool prev_digit = in_token && is_digit(w[-1]);

		if (i + k < len)
			next_char(s, len, i + k, &next_cp);
		if ((c == CH_HYPHEN && in_token &&
		     classify(next_cp) == CH_WORD &&
		     (prev_digit || (next_cp >= '0' && next_cp <= '9'))) ||
		    (c == CH_SLASH && prev_digit && next_cp >= '0' &&
		     next_cp <= '9'))
			c = CH_WORD;
		if (c == CH_WORD) {
			if (!in_token && out->n == ADDRESS_TOKENS_MAX) {
				out->truncated = true;
				break;
			}
			for (size_t j = 0; j < k; j++) {
				char b = s[i + j];
				*w++ = b >= 'a' && b <= 'z'
				           ? (char)(b - 'a' + 'A')
				           : b;
			}
		} else if (c != CH_APOSTROPHE) {
			if (in_token) {
				*w++ = '\0';
				out->t[out->n++] =
				    (struct address_token){ start, comma };
				comma = false;
				start = w;
			}
			if (c == CH_COMMA)
				comma = true;
			if (c == CH_HASH && out->n > 0 && !comma &&
			    strcmp(out->t[out->n - 1].text, "#") == 0)
				c = CH_SEPARATOR; /* "##4" is "#4" */
			if (c == CH_HASH) {
				if (out->n == ADDRESS_TOKENS_MAX) {
					out->truncated = true;
					break;
				}
				*w++ = '#';
				*w++ = '\0';
				out->t[out->n++] =
				    (struct address_token){ start, comma };
				comma = false;
				start = w;
			}
		}
		i += k;
	}
	if (w > start && out->n < ADDRESS_TOKENS_MAX) {
		*w = '\0';
		out->t[out->n++] = (struct address_token){ start, comma };
	}
}

/* USPS Publication 28, Appendix C1: street suffixes, each written form
 * with its standard abbreviation. The common ones and their variants. */
static const struct {
	const char *written;
	const char *abbreviation;
} street_suffixes[] = {
	{ "ALLEY", "ALY" },     { "ALLEE", "ALY" },
	{ "ALLY", "ALY" },      { "ALY", "ALY" },
	{ "ANNEX", "ANX" },     { "ANEX", "ANX" },
	{ "ANX", "ANX" },       { "ARCADE", "ARC" },
	{ "ARC", "ARC" },       { "AVENUE", "AVE" },
	{ "AV", "AVE" },        { "AVE", "AVE" },
	{ "AVEN", "AVE" },      { "AVENU", "AVE" },
	{ "AVN", "AVE" },       { "AVNUE", "AVE" },
	{ "BAYOU", "BYU" },     { "BEACH", "BCH" },
	{ "BCH", "BCH" },       { "BEND", "BND" },
	{ "BND", "BND" },       { "BLUFF", "BLF" },
	{ "BLF", "BLF" },       { "BOULEVARD", "BLVD" },
	{ "BLVD", "BLVD" },     { "BOUL", "BLVD" },
	{ "BOULV", "BLVD" },    { "BRANCH", "BR" },
	{ "BR", "BR" },         { "BRIDGE", "BRG" },
	{ "BRG", "BRG" },       { "BROOK", "BRK" },
	{ "BRK", "BRK" },       { "BYPASS", "BYP" },
	{ "BYP", "BYP" },       { "BYPS", "BYP" },
	{ "CANYON", "CYN" },    { "CYN", "CYN" },
	{ "CAUSEWAY", "CSWY" }, { "CSWY", "CSWY" },
	{ "CENTER", "CTR" },    { "CENTRE", "CTR" },
	{ "CENT", "CTR" },      { "CNTR", "CTR" },
	{ "CTR", "CTR" },       { "CIRCLE", "CIR" },
	{ "CIR", "CIR" },       { "CIRC", "CIR" },
	{ "CRCL", "CIR" },      { "CRCLE", "CIR" },
	{ "CLIFF", "CLF" },     { "CLF", "CLF" },
	{ "CLUB", "CLB" },      { "CLB", "CLB" },
	{ "COMMON", "CMN" },    { "CMN", "CMN" },
	{ "CORNER", "COR" },    { "COR", "COR" },
	{ "CORNERS", "CORS" },  { "CORS", "CORS" },
	{ "COURSE", "CRSE" },   { "CRSE", "CRSE" },
	{ "COURT", "CT" },      { "CT", "CT" },
	{ "CRT", "CT" },        { "COURTS", "CTS" },
	{ "CTS", "CTS" },       { "COVE", "CV" },
	{ "CV", "CV" },         { "CREEK", "CRK" },
	{ "CRK", "CRK" },       { "CRESCENT", "CRES" },
	{ "CRES", "CRES" },     { "CRSNT", "CRES" },
	{ "CROSSING", "XING" }, { "CRSSNG", "XING" },
	{ "XING", "XING" },     { "DALE", "DL" },
	{ "DL", "DL" },         { "DAM", "DM" },
	{ "DM", "DM" },         { "DRIVE", "DR" },
	{ "DR", "DR" },         { "DRIV", "DR" },
	{ "DRV", "DR" },        { "ESTATE", "EST" },
	{ "EST", "EST" },       { "ESTATES", "ESTS" },
	{ "ESTS", "ESTS" },     { "EXPRESSWAY", "EXPY" },
	{ "EXPY", "EXPY" },     { "EXPW", "EXPY" },
	{ "EXPR", "EXPY" },     { "EXTENSION", "EXT" },
	{ "EXT", "EXT" },       { "FALLS", "FLS" },
	{ "FLS", "FLS" },       { "FERRY", "FRY" },
	{ "FRY", "FRY" },       { "FIELD", "FLD" },
	{ "FLD", "FLD" },       { "FIELDS", "FLDS" },
	{ "FLDS", "FLDS" },     { "FLAT", "FLT" },
	{ "FLT", "FLT" },       { "FORD", "FRD" },
	{ "FRD", "FRD" },       { "FOREST", "FRST" },
	{ "FRST", "FRST" },     { "FORGE", "FRG" },
	{ "FRG", "FRG" },       { "FORK", "FRK" },
	{ "FRK", "FRK" },       { "FORT", "FT" },
	{ "FT", "FT" },         { "FRT", "FT" },
	{ "FREEWAY", "FWY" },   { "FWY", "FWY" },
	{ "FRWY", "FWY" },      { "FREEWY", "FWY" },
	{ "GARDEN", "GDN" },    { "GDN", "GDN" },
	{ "GARDENS", "GDNS" },  { "GDNS", "GDNS" },
	{ "GATEWAY", "GTWY" },  { "GTWY", "GTWY" },
	{ "GLEN", "GLN" },      { "GLN", "GLN" },
	{ "GREEN", "GRN" },     { "GRN", "GRN" },
	{ "GROVE", "GRV" },     { "GRV", "GRV" },
	{ "HARBOR", "HBR" },    { "HBR", "HBR" },
	{ "HAVEN", "HVN" },     { "HVN", "HVN" },
	{ "HEIGHTS", "HTS" },   { "HTS", "HTS" },
	{ "HT", "HTS" },        { "HIGHWAY", "HWY" },
	{ "HWY", "HWY" },       { "HIGHWY", "HWY" },
	{ "HIWAY", "HWY" },     { "HIWY", "HWY" },
	{ "HWAY", "HWY" },      { "HILL", "HL" },
	{ "HL", "HL" },         { "HILLS", "HLS" },
	{ "HLS", "HLS" },       { "HOLLOW", "HOLW" },
	{ "HOLW", "HOLW" },     { "ISLAND", "IS" },
	{ "IS", "IS" },         { "JUNCTION", "JCT" },
	{ "JCT", "JCT" },       { "KNOLL", "KNL" },
	{ "KNL", "KNL" },       { "LAKE", "LK" },
	{ "LK", "LK" },         { "LAKES", "LKS" },
	{ "LKS", "LKS" },       { "LANDING", "LNDG" },
	{ "LNDG", "LNDG" },     { "LANE", "LN" },
	{ "LN", "LN" },         { "LOOP", "LOOP" },
	{ "LOOPS", "LOOP" },    { "MALL", "MALL" },
	{ "MANOR", "MNR" },     { "MNR", "MNR" },
	{ "MEADOW", "MDW" },    { "MDW", "MDW" },
	{ "MEADOWS", "MDWS" },  { "MDWS", "MDWS" },
	{ "MILL", "ML" },       { "ML", "ML" },
	{ "MOTORWAY", "MTWY" }, { "MTWY", "MTWY" },
	{ "MOUNT", "MT" },      { "MT", "MT" },
	{ "MOUNTAIN", "MTN" },  { "MTN", "MTN" },
	{ "ORCHARD", "ORCH" },  { "ORCH", "ORCH" },
	{ "OVAL", "OVAL" },     { "OVERPASS", "OPAS" },
	{ "PARK", "PARK" },     { "PRK", "PARK" },
	{ "PARKWAY", "PKWY" },  { "PKWY", "PKWY" },
	{ "PARKWY", "PKWY" },   { "PKWAY", "PKWY" },
	{ "PKY", "PKWY" },      { "PASS", "PASS" },
	{ "PATH", "PATH" },     { "PIKE", "PIKE" },
	{ "PINES", "PNES" },    { "PNES", "PNES" },
	{ "PLACE", "PL" },      { "PL", "PL" },
	{ "PLAIN", "PLN" },     { "PLN", "PLN" },
	{ "PLAINS", "PLNS" },   { "PLNS", "PLNS" },
	{ "PLAZA", "PLZ" },     { "PLZ", "PLZ" },
	{ "PLZA", "PLZ" },      { "POINT", "PT" },
	{ "PT", "PT" },         { "PORT", "PRT" },
	{ "PRT", "PRT" },       { "PRAIRIE", "PR" },
	{ "PR", "PR" },         { "RANCH", "RNCH" },
	{ "RNCH", "RNCH" },     { "RIDGE", "RDG" },
	{ "RDG", "RDG" },       { "RIVER", "RIV" },
	{ "RIV", "RIV" },       { "ROAD", "RD" },
	{ "RD", "RD" },         { "ROADS", "RDS" },
	{ "RDS", "RDS" },       { "ROUTE", "RTE" },
	{ "RTE", "RTE" },       { "ROW", "ROW" },
	{ "RUN", "RUN" },       { "SHORE", "SHR" },
	{ "SHR", "SHR" },       { "SKYWAY", "SKWY" },
	{ "SPRING", "SPG" },    { "SPG", "SPG" },
	{ "SPRINGS", "SPGS" },  { "SPGS", "SPGS" },
	{ "SQUARE", "SQ" },     { "SQ", "SQ" },
	{ "SQR", "SQ" },        { "STATION", "STA" },
	{ "STA", "STA" },       { "STREET", "ST" },
	{ "ST", "ST" },         { "STR", "ST" },
	{ "STRT", "ST" },       { "STREETS", "STS" },
	{ "STS", "STS" },       { "SUMMIT", "SMT" },
	{ "SMT", "SMT" },       { "TERRACE", "TER" },
	{ "TER", "TER" },       { "TERR", "TER" },
	{ "TRACE", "TRCE" },    { "TRCE", "TRCE" },
	{ "TRACK", "TRAK" },    { "TRAK", "TRAK" },
	{ "TRAIL", "TRL" },     { "TRL", "TRL" },
	{ "TRAILS", "TRL" },    { "TUNNEL", "TUNL" },
	{ "TUNL", "TUNL" },     { "TURNPIKE", "TPKE" },
	{ "TPKE", "TPKE" },     { "UNDERPASS", "UPAS" },
	{ "VALLEY", "VLY" },    { "VLY", "VLY" },
	{ "VIADUCT", "VIA" },   { "VIEW", "VW" },
	{ "VW", "VW" },         { "VILLAGE", "VLG" },
	{ "VLG", "VLG" },       { "VILLE", "VL" },
	{ "VISTA", "VIS" },     { "VIS", "VIS" },
	{ "VST", "VIS" },       { "WALK", "WALK" },
	{ "WAY", "WAY" },       { "WY", "WAY" },
	{ "WELL", "WL" },       { "WELLS", "WLS" },
};

/* Directionals (Publication 28, section 233). */
static const struct {
	const char *written;
	const char *abbreviation;
} directionals[] = {
	{ "NORTH", "N" },      { "N", "N" },          { "SOUTH", "S" },
	{ "S", "S" },          { "EAST", "E" },       { "E", "E" },
	{ "WEST", "W" },       { "W", "W" },          { "NORTHEAST", "NE" },
	{ "NE", "NE" },        { "NORTHWEST", "NW" }, { "NW", "NW" },
	{ "SOUTHEAST", "SE" }, { "SE", "SE" },        { "SOUTHWEST", "SW" },
	{ "SW", "SW" },
};

/* Spelled ordinals, as numbers: "First St" is "1st St" is "1ST ST". */
static const struct {
	const char *written;
	const char *number;
} ordinals[] = {
	{ "FIRST", "1ST" },   { "SECOND", "2ND" },    { "THIRD", "3RD" },
	{ "FOURTH", "4TH" },  { "FIFTH", "5TH" },     { "SIXTH", "6TH" },
	{ "SEVENTH", "7TH" }, { "EIGHTH", "8TH" },    { "NINTH", "9TH" },
	{ "TENTH", "10TH" },  { "ELEVENTH", "11TH" }, { "TWELFTH", "12TH" },
};

/* Publication 28, Appendix C2: secondary unit designators; `id` when one
 * must follow ("APT 4"), not for those that stand alone ("REAR"). */
static const struct {
	const char *written;
	const char *abbreviation;
	bool id;
} designators[] = {
	{ "APARTMENT", "APT", true },   { "APT", "APT", true },
	{ "BUILDING", "BLDG", true },   { "BLDG", "BLDG", true },
	{ "DEPARTMENT", "DEPT", true }, { "DEPT", "DEPT", true },
	{ "FLOOR", "FL", true },        { "FL", "FL", true },
	{ "HANGAR", "HNGR", true },     { "HNGR", "HNGR", true },
	{ "KEY", "KEY", true },         { "LOT", "LOT", true },
	{ "PIER", "PIER", true },       { "ROOM", "RM", true },
	{ "RM", "RM", true },           { "SLIP", "SLIP", true },
	{ "SPACE", "SPC", true },       { "SPC", "SPC", true },
	{ "STOP", "STOP", true },       { "SUITE", "STE", true },
	{ "STE", "STE", true },         { "TRAILER", "TRLR", true },
	{ "TRLR", "TRLR", true },       { "UNIT", "UNIT", true },
	{ "BASEMENT", "BSMT", false },  { "BSMT", "BSMT", false },
	{ "FRONT", "FRNT", false },     { "FRNT", "FRNT", false },
	{ "LOBBY", "LBBY", false },     { "LBBY", "LBBY", false },
	{ "LOWER", "LOWR", false },     { "LOWR", "LOWR", false },
	{ "OFFICE", "OFC", false },     { "OFC", "OFC", false },
	{ "PENTHOUSE", "PH", false },   { "PH", "PH", false },
	{ "REAR", "REAR", false },      { "SIDE", "SIDE", false },
	{ "UPPER", "UPPR", false },     { "UPPR", "UPPR", false },
};

/* The standard abbreviation of suffix `w`, written out or already
 * abbreviated ("BAYOU" or "BYU"), or NULL. */
static const char *street_suffix(const char *w)
{
	/* The first letters compared first: this runs for every word of
	 * every address a search or an import prepares, and a call of
	 * strcmp() per entry was a twentieth of a search. */
	for (size_t i = 0; i < COUNT(street_suffixes); i++)
		if ((w[0] == street_suffixes[i].written[0] &&
		     strcmp(w, street_suffixes[i].written) == 0) ||
		    (w[0] == street_suffixes[i].abbreviation[0] &&
		     strcmp(w, street_suffixes[i].abbreviation) == 0))
			return street_suffixes[i].abbreviation;
	return NULL;
}

static const char *directional(const char *w)
{
	for (size_t i = 0; i < COUNT(directionals); i++)
		if (w[0] == directionals[i].written[0] &&
		    strcmp(w, directionals[i].written) == 0)
			return directionals[i].abbreviation;
	return NULL;
}

static const char *ordinal(const char *w)
{
	for (size_t i = 0; i < COUNT(ordinals); i++)
		if (w[0] == ordinals[i].written[0] &&
		    strcmp(w, ordinals[i].written) == 0)
			return ordinals[i].number;
	return w;
}

/* The designator `w` is, if any; *id says whether an identifier follows. */
static const char *designator(const char *w, bool *id)
{
	for (size_t i = 0; i < COUNT(designators); i++)
		if (w[0] == designators[i].written[0] &&
		    strcmp(w, designators[i].written) == 0) {
			*id = designators[i].id;
			return designators[i].abbreviation;
		}
	return NULL;
}

/* A unit identifier as it is written out: directionals and ordinals in
 * the street's forms ("North" -> "N", "First" -> "1ST"), so that an
 * address read back from its own parts is read the same. */
static const char *unit_id(const char *w)
{
	const char *d = directional(w);
	return d ? d : ordinal(w);
}

/* An identifier as written looks like one: it has a digit, or is at most
 * three characters and neither a street suffix nor a designator that
 * takes an identifier ("4", "4B", "E", "PH"); so "Old Pier Rd" is not
 * pier "RD". */
static bool id_text(const char *w)
{
	bool id = false;
	if (strpbrk(w, "0123456789"))
		return true;
	return strlen(w) <= 3 && !street_suffix(w) &&
	       !(designator(w, &id) && id);
}

/* True when token `w` is read as an identifier (in its unit_id() form). */
static bool looks_like_id(const char *w)
{
	return id_text(unit_id(w));
}

/* "APT4", "STE100B": a designator glued to its identifier. Returns the
 * designator and sets *id_at to where the identifier starts. */
static const char *glued_designator(const char *w, const char **id_at)
{
	static const char *const glued[] = { "APT", "STE", "UNIT", "RM",
		                             "SPC", "LOT", "BLDG", "TRLR" };
	for (size_t i = 0; i < COUNT(glued); i++) {
		size_t m = strlen(glued[i]);
		if (strncmp(w, glued[i], m) == 0 && is_digit(w[m])) {
			*id_at = w + m;
			return glued[i];
		}
	}
	return NULL;
}

/* Appends an identifier token to out->unit, without dashes, a whole
 * character at a time. */
static void unit_append(struct match_address *out, const char *w)
{
	size_t n = strlen(out->unit);
	while (*w) {
		size_t k = 1;
		if (*w == '-' || *w == '#') {
			w++;
			continue;
		}
		while (((unsigned char)w[k] & 0xC0) == 0x80)
			k++;
		if (n + k >= sizeof(out->unit)) {
			out->truncated = true;
			return;
		}
		memcpy(out->unit + n, w, k);
		n += k;
		out->unit[n] = '\0';
		w += k;
	}
}

/* The index after the last token of the comma part that holds token i. */
static size_t part_end(const struct address_tokens *tk, size_t i)
{
	for (size_t j = i + 1; j < tk->n; j++)
		if (tk->t[j].comma_before)
			return j;
	return tk->n;
}

/* True when tokens [from, end) are all "#" (or there are none). */
static bool only_marks(const struct address_tokens *tk, size_t from, size_t end)
{
	for (size_t k = from; k < end; k++)
		if (strcmp(tk->t[k].text, "#") != 0)
			return false;
	return true;
}

/* True when token k (before `end`) is a designator that takes an id. */
static bool id_designator_at(const struct address_tokens *tk, size_t k,
                             size_t end)
{
	bool id = false;
	return k < end && (strcmp(tk->t[k].text, "#") == 0 ||
	                   (designator(tk->t[k].text, &id) && id));
}

/*
 * Reads a unit whose designator is token j, within its comma part (ending
 * at `end`): the designator, one identifier, and the identifiers of
 * further levels ("Bldg C Room 210" is unit "C210"). A designator that
 * stands alone ("REAR") must end the street that starts at `street`,
 * after its suffix ("Main St Rear", not "Park Side"). Returns the index
 * after the unit, or 0 when token j opens none. The identifier written
 * looks like one itself, so a unit reads back the same.
 */
static size_t address_unit(struct match_address *out,
                           const struct address_tokens *tk, size_t street,
                           size_t j, size_t end, bool last_of_street)
{
	const char *w = tk->t[j].text, *d, *id_at = NULL;
	bool id = false;
	size_t k = j + 1, first_end, first_len;

	if ((d = glued_designator(w, &id_at)) != NULL) {
		id = true;
	} else if (strcmp(w, "#") == 0) {
		d = "#";
		id = true;
	} else if ((d = designator(w, &id)) == NULL) {
		return 0;
	}
	if (!id) {
		size_t before = j;
		while (before > street + 1 &&
		       strcmp(tk->t[before - 1].text, "#") == 0)
			before--;
		if (!last_of_street || before < street + 2 ||
		    !street_suffix(tk->t[before - 1].text))
			return 0;
		str_copy(out->designator, sizeof(out->designator), d);
		return j + 1;
	}
	if (!id_at) {
		if (k < end && strcmp(tk->t[k].text, "#") == 0 &&
		    strcmp(d, "#") != 0)
			k++; /* "Apt # 4" */
		if (k >= end || strcmp(tk->t[k].text, "#") == 0 ||
		    !looks_like_id(tk->t[k].text))
			return 0;
		id_at = unit_id(tk->t[k++].text);
	}
	str_copy(out->designator, sizeof(out->designator), d);
	unit_append(out, id_at);
	first_end = k;
	first_len = strlen(out->unit);
	while (id_designator_at(tk, k, end) && k + 1 < end &&
	       strcmp(tk->t[k + 1].text, "#") != 0 &&
	       looks_like_id(tk->t[k + 1].text)) {
		unit_append(out, unit_id(tk->t[k + 1].text));
		k += 2;
	}
	if (!id_text(out->unit)) {
		out->unit[first_len] = '\0';
		k = first_end;
	}
	return k;
}

/* Writes street tokens [a, b) into out->street, abbreviated. */
static void address_street(struct match_address *out,
                           const struct address_tokens *tk, size_t a, size_t b)
{
	const char *w[ADDRESS_TOKENS_MAX];
	size_t m = 0, suffix = SIZE_MAX, post = SIZE_MAX, pre_len = 0;
	size_t names = 0;
	char pre[3] = "";

	for (size_t i = a; i < b; i++)
		if (strcmp(tk->t[i].text, "#") != 0)
			w[m++] = ordinal(tk->t[i].text);
	if (m >= 3 && directional(w[m - 1]) && street_suffix(w[m - 2])) {
		post = m - 1;
		suffix = m - 2;
	} else if (m >= 2 && street_suffix(w[m - 1])) {
		suffix = m - 1;
	} else if (m >= 2 && directional(w[m - 1]) && !directional(w[m - 2])) {
		post = m - 1;
	}
	/* A leading directional is one only when a name follows it. */
	for (size_t i = 1; i < m; i++)
		names += i != suffix && i != post;
	if (m >= 3 && names >= 2 && directional(w[0]) && directional(w[1]) &&
	    strlen(directional(w[0])) == 1 && strlen(directional(w[1])) == 1 &&
	    strchr("NS", directional(w[0])[0]) &&
	    strchr("EW", directional(w[1])[0])) {
		pre[0] = directional(w[0])[0];
		pre[1] = directional(w[1])[0];
		pre_len = 2;
	} else if (names >= 1 && directional(w[0])) {
		str_copy(pre, sizeof(pre), directional(w[0]));
		pre_len = 1;
	}
	if (pre_len)
		append(out->street, sizeof(out->street), pre, strlen(pre),
		       true);
	for (size_t i = pre_len; i < m; i++) {
		const char *s = i == suffix ? street_suffix(w[i])
		                : i == post ? directional(w[i])
		                            : w[i];
		if (!append(out->street, sizeof(out->street), s, strlen(s),
		            true))
			out->truncated = true;
	}
}

/* "1ST", "22ND", "3RD", "4TH": a street name ("1st Ave"), not a house
 * number. */
static bool is_ordinal_number(const char *w)
{
	size_t d = strspn(w, "0123456789");
	return d > 0 && strlen(w) == d + 2 &&
	       (strcmp(w + d, "ST") == 0 || strcmp(w + d, "ND") == 0 ||
	        strcmp(w + d, "RD") == 0 || strcmp(w + d, "TH") == 0);
}

/* True when tokens from `i` spell a post office box; *after is the index
 * of the box number (past a "#": "PO Box #12"). */
static bool po_box(const struct address_tokens *tk, size_t i, size_t *after)
{
	static const char *const forms[][3] = {
		{ "PO", "BOX", NULL },
		{ "P", "O", "BOX" },
		{ "POST", "OFFICE", "BOX" },
		{ "POB", NULL, NULL },
	};
	for (size_t f = 0; f < COUNT(forms); f++) {
		size_t k = 0;
		while (k < 3 && forms[f][k] && i + k < tk->n &&
		       strcmp(tk->t[i + k].text, forms[f][k]) == 0)
			k++;
		if (k < 3 && forms[f][k])
			continue;
		k += i;
		while (k < tk->n && strcmp(tk->t[k].text, "#") == 0)
			k++;
		*after = k;
		return true;
	}
	return false;
}

static void address_rest(struct match_address *out,
                         const struct address_tokens *tk, size_t from)
{
	for (size_t i = from; i < tk->n; i++)
		if (!append(out->rest, sizeof(out->rest), tk->t[i].text,
		            strlen(tk->t[i].text), true))
			out->truncated = true;
}

static void set_number(struct match_address *out, const char *text)
{
	if (!append(out->number, sizeof(out->number), text, strlen(text), true))
		out->truncated = true;
}

bool match_address_normalise(const char *in, struct match_address *out)
{
	struct normalised n;
	struct address_tokens *tk = xcalloc(1, sizeof(*tk));
	bool cut;
	size_t i = 0, end, next, j, box;

	memset(out, 0, sizeof(*out));
	memset(&n, 0, sizeof(n));
	fold_bounded(in, MATCH_ADDRESS_MAX, &n, &cut);
	address_tokenise(n.text, n.len, tk);
	normalise_free(&n);
	out->truncated = cut || tk->truncated;
	if (tk->n == 0)
		goto out;

	while (i < tk->n && strcmp(tk->t[i].text, "#") == 0)
		i++; /* "#77 Elm St": the mark is not part of the address */
	if (po_box(tk, i, &box)) {
		str_copy(out->street, sizeof(out->street), "PO BOX");
		if (box < tk->n && !tk->t[box].comma_before)
			set_number(out, tk->t[box++].text);
		if (box < tk->n) {
			size_t after = address_unit(out, tk, box, box,
			                            part_end(tk, box), false);
			if (after)
				box = after;
		}
		address_rest(out, tk, box);
		goto out;
	}
	if (i < tk->n && is_digit(tk->t[i].text[0]) &&
	    !is_ordinal_number(tk->t[i].text)) {
		set_number(out, tk->t[i++].text);
		while (i < tk->n && strcmp(tk->t[i].text, "#") == 0)
			i++;
		if (i < tk->n && strchr(tk->t[i].text, '/') &&
		    is_digit(tk->t[i].text[0]))
			set_number(out, tk->t[i++].text); /* "123 1/2" */
		while (i < tk->n && strcmp(tk->t[i].text, "#") == 0)
			i++;
	}
	end = part_end(tk, i);
	next = end;
	/* A street needs a name before its unit: start after one token. */
	for (j = i + 1; j < end; j++) {
		size_t after = address_unit(out, tk, i, j, end,
		                            only_marks(tk, j + 1, end));
		if (after) {
			next = after;
			break;
		}
	}
	address_street(out, tk, i, j < end ? j : end);
	if (next == end && !out->designator[0] && end < tk->n) {
		/* "123 Main St, Apt 4" */
		size_t after =
		    address_unit(out, tk, end, end, part_end(tk, end), false);
		if (after)
			next = after;
	}
	address_rest(out, tk, next);
out:
	free(tk->scratch);
	free(tk);
	return out->number[0] || out->street[0];
}

bool match_address_equal(const struct match_address *a,
                         const struct match_address *b)
{
	return strcmp(a->number, b->number) == 0 &&
	       strcmp(a->street, b->street) == 0 &&
	       strcmp(a->unit, b->unit) == 0;
}

/* ---- vehicle plates ---------------------------------------------------- */

/* Read-for-digit letters (see match.h for why these and no others). */
static char plate_fold(char c)
{
	switch (c) {
	case 'O':
	case 'Q': return '0';
	case 'I': return '1';
	case 'B': return '8';
	case 'S': return '5';
	case 'Z': return '2';
	default: return c;
	}
}

enum htd_err match_plate_key(const char *in, struct match_plate *out,
                             struct htd_error *err)
{
	struct normalised n;
	bool cut;
	size_t k = 0;
	enum htd_err rc = HTD_OK;

	memset(out, 0, sizeof(*out));
	if (in &&
	    strnlen(in, MATCH_PLATE_INPUT_MAX + 1) > MATCH_PLATE_INPUT_MAX)
		return htd_error_set(err, HTD_ERR_TOO_LARGE,
		                     "a plate is at most %d bytes",
		                     MATCH_PLATE_INPUT_MAX);
	memset(&n, 0, sizeof(n));
	fold_bounded(in, MATCH_PLATE_INPUT_MAX, &n, &cut);
	for (size_t i = 0; i < n.len; i++) {
		char c = n.text[i];
		if (c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		else if (!is_digit(c))
			continue;
		if (k == MATCH_PLATE_CHARS_MAX) {
			rc = htd_error_set(err, HTD_ERR_INVALID,
			                   "a plate has at most %d letters "
			                   "and digits",
			                   MATCH_PLATE_CHARS_MAX);
			break;
		}
		out->exact[k] = c;
		out->folded[k] = plate_fold(c);
		k++;
	}
	normalise_free(&n);
	if (rc == HTD_OK && k == 0)
		rc = htd_error_set(err, HTD_ERR_INVALID,
		                   "a plate needs letters or digits");
	if (rc != HTD_OK)
		memset(out, 0, sizeof(*out));
	return rc;
}

/* ---- blocking keys ----------------------------------------------------- */

/* Adds prefix + a (+ ":" + b) to the keys, cut at a character, once. */
static void add_key(struct match_keys *out, const char *prefix, const char *a,
                    const char *b)
{
	char key[MATCH_KEY_SIZE] = "";

	append(key, sizeof(key), prefix, strlen(prefix), false);
	append(key, sizeof(key), a, strlen(a), false);
	if (b) {
		append(key, sizeof(key), ":", 1, false);
		append(key, sizeof(key), b, strlen(b), false);
	}
	for (size_t i = 0; i < out->n; i++)
		if (strcmp(out->key[i], key) == 0)
			return;
	if (out->n == MATCH_KEYS_MAX) {
		out->truncated = true;
		return;
	}
	memcpy(out->key[out->n++], key, sizeof(key));
}

/* Copies `s` without spaces into dst. */
static void compact(const char *s, char *dst, size_t size)
{
	size_t n = 0;
	for (; *s && n + 1 < size; s++)
		if (*s != ' ')
			dst[n++] = *s;
	dst[n] = '\0';
}

/* Copies the first `chars` characters of `s` into dst. */
static void first_chars(const char *s, size_t chars, char *dst, size_t size)
{
	size_t len = strlen(s), i = 0;
	for (size_t c = 0; c < chars && i < len; c++) {
		int32_t cp;
		i += next_char(s, len, i, &cp);
	}
	dst[0] = '\0';
	append(dst, size, s, i, false);
}

/*
 * The Double Metaphone codes of a surname form (primary, and alternate when
 * it differs), one "snp:" key each, so that spellings that sound alike
 * meet: "hernandez" and "hernandes" are both HRNN.
 */
static void add_phonetic_surname_keys(struct match_keys *out, const char *form)
{
	char primary[PHONETIC_DOUBLE_METAPHONE_SIZE];
	char alternate[PHONETIC_DOUBLE_METAPHONE_SIZE];
	phonetic_double_metaphone(form, primary, alternate, sizeof(primary));
	if (primary[0])
		add_key(out, MATCH_KEY_SURNAME_PHONETIC, primary, NULL);
	/* commons-codec leaves a trailing space in some alternates. */
	size_t n = strlen(alternate);
	while (n > 0 && alternate[n - 1] == ' ')
		alternate[--n] = '\0';
	if (alternate[0] && strcmp(alternate, primary) != 0)
		add_key(out, MATCH_KEY_SURNAME_PHONETIC, alternate, NULL);
}

size_t match_person_keys(const struct match_person *p,
                         const struct match_nicknames *nicknames,
                         struct match_keys *out)
{
	char forms[MATCH_NAME_ALTS_MAX + 1][MATCH_NAME_MAX + 1];
	size_t n_forms = 0;
	char year[8] = "";
	const struct match_name *name = p ? p->name : NULL;
	const struct match_date *birth = p ? p->birth : NULL;

	memset(out, 0, sizeof(*out));
	if (!p)
		return 0;
	if (name && name->surname[0]) {
		compact(name->surname, forms[n_forms++], sizeof(forms[0]));
		for (size_t i = 0; i < name->n_surname_alt; i++)
			compact(name->surname_alt[i], forms[n_forms++],
			        sizeof(forms[0]));
	}
	if (birth && birth->year)
		str_format(year, sizeof(year), "%04d", birth->year);

	if (p->phone && p->phone[0])
		add_key(out, MATCH_KEY_PHONE, p->phone, NULL);
	if (birth && birth->year && birth->month && birth->day) {
		char date[16];
		str_format(date, sizeof(date), "%04d-%02d-%02d", birth->year,
		           birth->month, birth->day);
		add_key(out, MATCH_KEY_BIRTH, date, NULL);
	}
	for (size_t i = 0; year[0] && i < n_forms; i++)
		add_key(out, MATCH_KEY_SURNAME_YEAR, forms[i], year);
	for (size_t i = 0; i < n_forms; i++) {
		char head[32];
		first_chars(forms[i], 4, head, sizeof(head));
		add_key(out, MATCH_KEY_SURNAME, head, NULL);
		add_phonetic_surname_keys(out, forms[i]);
	}
	for (size_t g = 0; name && !name->one_word && g < name->n_given; g++) {
		const char *formal[8];
		size_t nf = match_nicknames_formal(nicknames, name->given[g],
		                                   formal, COUNT(formal));
		if (nf > COUNT(formal))
			nf = COUNT(formal);
		for (size_t f = 0; f <= nf; f++) {
			const char *given =
			    f == 0 ? name->given[g] : formal[f - 1];
			for (size_t i = 0; i < n_forms; i++) {
				char initial[8];
				first_chars(forms[i], 1, initial,
				            sizeof(initial));
				add_key(out, MATCH_KEY_GIVEN_INITIAL, given,
				        initial);
			}
		}
	}
	return out->n;
}
