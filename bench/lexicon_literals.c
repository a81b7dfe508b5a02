/*
 * lexicon_literals.c - the indicator phrases of the lexicons as fixed
 * strings, one a line, for the screen benchmark's anchors (`rg -F -f`,
 * `grep -F -f`): loads the YAML files of data/lexicon/ through the project's
 * loader and expands each pattern's regular expression (already normalised:
 * lower case, no accents) into the literal strings it matches, for the subset
 * lexicons use. What cannot be expanded is counted and, with --verbose,
 * listed. With --regex it writes the patterns themselves, for `rg -f`
 * without -F. See bench/README.md.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/indicators.h"
#include "formats/lexicon_yaml.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/mem.h"
#include "util/str.h"

/* Literals per pattern. One by default: a lexicon pattern stands for
 * thousands of spellings, and rg/grep -i -F slow down by orders of
 * magnitude past a thousand or so strings (bench/README.md). */
#define CAP_DEFAULT 1
#define WORK_MIN 4096   /* strings a set may hold while expanding */
#define CLASS_MAX 3     /* members of a character class kept */
#define LITERAL_MAX 256 /* longest literal produced */
#define MIN_LENGTH 3    /* shorter ones would match inside most words */

/* A set of strings under construction; `capped` when some were dropped. */
struct strset {
	char **v;
	size_t n, cap_alloc;
};

/* The state of one expansion. `why` is set on the first unsupported
 * construct, and the pattern is then skipped. */
struct expander {
	const char *p; /* next byte of the regex */
	size_t limit;  /* most strings a set may hold while expanding */
	bool capped;
	const char *why;
};

static void set_add(struct strset *s, const char *str, size_t len)
{
	if (s->n == s->cap_alloc) {
		s->cap_alloc = s->cap_alloc ? 2 * s->cap_alloc : 8;
		s->v = xrealloc(s->v, s->cap_alloc * sizeof(*s->v));
	}
	s->v[s->n++] = xstrndup(str, len);
}

static void set_free(struct strset *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	memset(s, 0, sizeof(*s));
}

/* Moves every string of `from` into `to`, up to the limit. */
static void set_union(struct expander *x, struct strset *to,
                      struct strset *from)
{
	for (size_t i = 0; i < from->n; i++) {
		if (to->n < x->limit)
			set_add(to, from->v[i], strlen(from->v[i]));
		else
			x->capped = true;
	}
	set_free(from);
}

/*
 * Replaces `a` by every a_i b_j (in that order). Past the limit, the
 * combinations kept are spread evenly over all of them, so every
 * alternative of the first factor still appears.
 */
static void set_product(struct expander *x, struct strset *a,
                        const struct strset *b)
{
	struct strset out = { NULL, 0, 0 };
	char tmp[2 * LITERAL_MAX + 1];
	size_t total = a->n * b->n, keep = total;
	if (b->n && total / b->n != a->n)
		total = SIZE_MAX; /* cannot happen below the limits */
	if (keep > x->limit) {
		keep = x->limit;
		x->capped = true;
	}
	for (size_t k = 0; k < keep; k++) {
		size_t idx =
		    keep == total
		        ? k
		        : (size_t)((double)k * (double)total / (double)keep);
		const char *sa = a->v[idx / b->n], *sb = b->v[idx % b->n];
		size_t la = strlen(sa), lb = strlen(sb);
		if (la + lb > LITERAL_MAX) {
			x->why = "a literal longer than 256 bytes";
			break;
		}
		memcpy(tmp, sa, la);
		memcpy(tmp + la, sb, lb);
		set_add(&out, tmp, la + lb);
	}
	set_free(a);
	*a = out;
}

/* Keeps `cap` strings of `s`, spread evenly over it. */
static void set_sample(struct expander *x, struct strset *s, size_t cap)
{
	if (s->n <= cap)
		return;
	x->capped = true;
	struct strset out = { NULL, 0, 0 };
	for (size_t k = 0; k < cap; k++) {
		size_t idx = (size_t)((double)k * (double)s->n / (double)cap);
		set_add(&out, s->v[idx], strlen(s->v[idx]));
	}
	set_free(s);
	*s = out;
}

static struct strset expand_alternation(struct expander *x);

/* Length of the UTF-8 character starting with byte `c` (1 if invalid). */
static size_t utf8_length(unsigned char c)
{
	if (c >= 0xf0 && c < 0xf8)
		return 4;
	if (c >= 0xe0)
		return 3;
	if (c >= 0xc0)
		return 2;
	return 1;
}

/*
 * A character class: literal members and ranges, of which the first
 * CLASS_MAX characters are kept ("[0-9]" gives 0, 1, 2): enough for the
 * anchor to look for the phrase, not every spelling of it. Negated
 * classes and escapes other than \d \s \- \] \\ are not expanded.
 */
static struct strset expand_class(struct expander *x)
{
	struct strset s = { NULL, 0, 0 };
	const char *p = x->p; /* just after '[' */
	if (*p == '^') {
		x->why = "a negated character class";
		return s;
	}
	bool first = true;
	while (*p && (*p != ']' || first)) {
		first = false;
		char lo = *p, hi;
		if ((unsigned char)lo >= 0x80) {
			size_t n = utf8_length((unsigned char)lo);
			if (s.n < CLASS_MAX)
				set_add(&s, p, n);
			p += strnlen(p, n);
			continue;
		}
		if (lo == '\\') {
			char e = p[1];
			if (!e)
				break;
			p += 2;
			if (e == 'd') {
				for (char d = '0'; d <= '9' && s.n < CLASS_MAX;
				     d++)
					set_add(&s, &d, 1);
				continue;
			}
			if (e == 's') {
				if (s.n < CLASS_MAX)
					set_add(&s, " ", 1);
				continue;
			}
			if (e != '-' && e != ']' && e != '\\' && e != '.' &&
			    e != '\'') {
				x->why = "an escape in a character class";
				return s;
			}
			lo = e;
		} else {
			p++;
		}
		hi = lo;
		if (p[0] == '-' && p[1] && p[1] != ']') {
			hi = p[1];
			p += 2;
		}
		for (int c = (unsigned char)lo;
		     c <= (unsigned char)hi && s.n < CLASS_MAX; c++) {
			char ch = (char)c;
			set_add(&s, &ch, 1);
		}
	}
	if (*p != ']') {
		x->why = "an unterminated character class";
		return s;
	}
	x->p = p + 1;
	return s;
}

/* One atom: a character, an escape, a class or a group. */
static struct strset expand_atom(struct expander *x)
{
	struct strset s = { NULL, 0, 0 };
	const char *p = x->p;
	char c = *p;
	if (c == '(') {
		p++;
		if (p[0] == '?') {
			if (p[1] != ':') {
				x->why = "a look-around or flag group";
				return s;
			}
			p += 2;
		}
		x->p = p;
		s = expand_alternation(x);
		if (x->why)
			return s;
		if (*x->p != ')') {
			x->why = "an unbalanced group";
			return s;
		}
		x->p++;
		return s;
	}
	if (c == '[') {
		x->p = p + 1;
		return expand_class(x);
	}
	if (c == '.') {
		x->why = "'.' (any character)";
		return s;
	}
	if (c == '^' || c == '$') {
		set_add(&s, "", 0); /* an assertion: matches no text */
		x->p = p + 1;
		return s;
	}
	if (c == '\\') {
		char e = p[1];
		x->p = e ? p + 2 : p + 1;
		if (e == 'b' || e == 'B') {
			set_add(&s, "", 0);
		} else if (e == 'd') {
			for (char d = '0'; d < '0' + CLASS_MAX; d++)
				set_add(&s, &d, 1);
		} else if (e == 's') {
			set_add(&s, " ", 1);
		} else if (e == 'w' || e == 'W' || e == 'D' || e == 'S' ||
		           (e >= '0' && e <= '9') || e == 'x' || e == 'p' ||
		           e == 'P' || e == 'Q' || e == 'E' || !e) {
			x->why = "an escape standing for a class or a code";
		} else {
			set_add(&s, &e, 1); /* \. \$ \( ... : the character */
		}
		return s;
	}
	size_t n = c == ' ' ? 1 : utf8_length((unsigned char)c);
	n = strnlen(p, n);
	set_add(&s, p, n);
	x->p = p + n;
	return s;
}

/*
 * A quantifier after an atom: `?` and `*` add the empty string, `+` and
 * {m,n} keep m copies (at least one). A lazy or possessive mark after it
 * changes nothing here.
 */
static void apply_quantifier(struct expander *x, struct strset *atom)
{
	char q = *x->p;
	if (q == '?' || q == '*') {
		x->p++;
		struct strset both = { NULL, 0, 0 };
		set_add(&both, "", 0);
		set_union(x, &both, atom);
		*atom = both;
	} else if (q == '+') {
		x->p++;
	} else if (q == '{') {
		const char *p = x->p + 1;
		unsigned m = 0;
		while (*p >= '0' && *p <= '9' && m < 100)
			m = m * 10 + (unsigned)(*p++ - '0');
		while (*p && *p != '}')
			p++;
		if (*p != '}') {
			x->why = "an unterminated {m,n}";
			return;
		}
		x->p = p + 1;
		if (m == 0) {
			struct strset both = { NULL, 0, 0 };
			set_add(&both, "", 0);
			set_union(x, &both, atom);
			*atom = both;
		} else if (m > 1) {
			struct strset rep = { NULL, 0, 0 };
			set_add(&rep, "", 0);
			for (unsigned i = 0; i < m && !x->why; i++)
				set_product(x, &rep, atom);
			set_free(atom);
			*atom = rep;
		}
	} else {
		return;
	}
	if (*x->p == '?' || *x->p == '+')
		x->p++;
}

static struct strset expand_sequence(struct expander *x)
{
	struct strset s = { NULL, 0, 0 };
	set_add(&s, "", 0);
	while (*x->p && *x->p != '|' && *x->p != ')' && !x->why) {
		struct strset atom = expand_atom(x);
		if (!x->why)
			apply_quantifier(x, &atom);
		if (!x->why)
			set_product(x, &s, &atom);
		set_free(&atom);
	}
	return s;
}

static struct strset expand_alternation(struct expander *x)
{
	struct strset s = expand_sequence(x);
	while (*x->p == '|' && !x->why) {
		x->p++;
		struct strset more = expand_sequence(x);
		set_union(x, &s, &more);
	}
	return s;
}

/* ---- the phrase list -------------------------------------------------- */

struct phrases {
	struct strset all;
	size_t patterns, expanded, capped, skipped, short_dropped;
};

/* Collapses runs of spaces and trims; keeps phrases of MIN_LENGTH bytes
 * or more (an empty line in `-f` would match every line). */
static void keep_phrase(struct phrases *ph, const char *s)
{
	char tmp[LITERAL_MAX + 1];
	size_t n = 0;
	for (const char *p = s; *p && n < LITERAL_MAX; p++) {
		if (*p == ' ' && (n == 0 || tmp[n - 1] == ' '))
			continue;
		tmp[n++] = *p;
	}
	while (n > 0 && tmp[n - 1] == ' ')
		n--;
	if (n < MIN_LENGTH) {
		ph->short_dropped++;
		return;
	}
	set_add(&ph->all, tmp, n);
}

static void expand_pattern(struct phrases *ph, const struct lexicon *lx,
                           const struct lexicon_pattern *pat, size_t cap,
                           bool verbose)
{
	struct expander x = { pat->regex, cap > WORK_MIN ? cap : WORK_MIN,
		              false, NULL };
	struct strset s = expand_alternation(&x);
	if (!x.why && *x.p)
		x.why = "an unbalanced ')'";
	if (!x.why)
		set_sample(&x, &s, cap);
	ph->patterns++;
	if (x.why) {
		ph->skipped++;
		if (verbose)
			fprintf(stderr,
			        "lexicon_literals: %s:%d: skipped \"%s\": %s\n",
			        lx->file, pat->origin.line, pat->regex, x.why);
	} else {
		if (x.capped) {
			ph->capped++;
			if (verbose)
				fprintf(stderr,
				        "lexicon_literals: %s:%d: \"%s\": "
				        "%zu literals kept\n",
				        lx->file, pat->origin.line, pat->regex,
				        cap);
		} else {
			ph->expanded++;
		}
		for (size_t i = 0; i < s.n; i++)
			keep_phrase(ph, s.v[i]);
	}
	set_free(&s);
}

/*
 * --regex: the pattern itself, for `rg -f` without -F, with every space
 * outside a character class written as the matcher compiles it: a run of
 * spaces or tabs (core/indicators.c).
 */
static void keep_regex(struct phrases *ph, const char *regex)
{
	struct buf b;
	bool in_class = false, escaped = false;
	buf_init(&b, 0);
	for (const char *p = regex; *p; p++) {
		if (escaped)
			escaped = false;
		else if (*p == '\\')
			escaped = true;
		else if (*p == '[')
			in_class = true;
		else if (*p == ']')
			in_class = false;
		if (*p == ' ' && !in_class && !escaped) {
			while (p[1] == ' ')
				p++;
			(void)buf_puts(&b, "[ \\t]+");
		} else {
			(void)buf_append(&b, p, 1);
		}
	}
	ph->patterns++;
	ph->expanded++;
	set_add(&ph->all, buf_str(&b), b.len);
	buf_free(&b);
}

static int compare_strings(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void print_error(void *ctx, const struct htd_error *e)
{
	char msg[HTD_ERROR_MESSAGE_MAX + HTD_ERROR_FILE_MAX + 64];
	(void)ctx;
	fprintf(stderr, "lexicon_literals: %s\n",
	        htd_error_format(e, msg, sizeof(msg)));
}

static void usage(FILE *f)
{
	fputs("usage: lexicon_literals [--lexicon DIR] [--cap N] [--out FILE] "
	      "[--verbose] [--regex]\n"
	      "  --lexicon DIR  the lexicons (default data/lexicon)\n"
	      "  --cap N        literals kept per pattern, spread over its "
	      "spellings\n"
	      "                 (default 1)\n"
	      "  --out FILE     write the phrases there (default standard "
	      "output)\n"
	      "  --verbose      list the patterns skipped or capped\n"
	      "  --regex        write the patterns as regular expressions "
	      "instead,\n"
	      "                 for `rg -f` without -F\n"
	      "Writes the indicator patterns (plain and inverted) of every "
	      "lexicon as\n"
	      "fixed strings, one a line, sorted and unique: input for "
	      "`rg -F -f`.\n",
	      f);
}

int main(int argc, char **argv)
{
	const char *dir = NULL, *path = NULL;
	int64_t cap = CAP_DEFAULT;
	bool verbose = false, regex = false;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (str_eq(a, "--verbose")) {
			verbose = true;
		} else if (str_eq(a, "--regex")) {
			regex = true;
		} else if (str_eq(a, "-h") || str_eq(a, "--help")) {
			usage(stdout);
			return 0;
		} else if ((str_eq(a, "--lexicon") || str_eq(a, "--cap") ||
		            str_eq(a, "--out")) &&
		           i + 1 < argc) {
			const char *v = argv[++i];
			if (str_eq(a, "--lexicon")) {
				dir = v;
			} else if (str_eq(a, "--out")) {
				path = v;
			} else if (!str_to_i64(v, 1, 100000, &cap)) {
				fprintf(stderr,
				        "lexicon_literals: bad --cap "
				        "'%s'\n",
				        v);
				return 2;
			}
		} else {
			fprintf(stderr,
			        "lexicon_literals: unknown option '%s'\n", a);
			usage(stderr);
			return 2;
		}
	}

	struct lexicon *lexicons = NULL;
	size_t n = 0;
	struct htd_error err;
	struct lexicon_yaml_options opts = { true, print_error, NULL };
	if (lexicon_yaml_load_dir(dir, &opts, &lexicons, &n, &err) != HTD_OK) {
		print_error(NULL, &err);
		return 1;
	}

	struct phrases ph;
	memset(&ph, 0, sizeof(ph));
	for (size_t li = 0; li < n; li++) {
		const struct lexicon *lx = &lexicons[li];
		for (size_t i = 0; i < lx->n_indicators; i++) {
			const struct lexicon_indicator *ind =
			    &lx->indicators[i];
			for (size_t k = 0; k < ind->n_patterns; k++) {
				if (regex)
					keep_regex(&ph, ind->patterns[k].regex);
				else
					expand_pattern(&ph, lx,
					               &ind->patterns[k],
					               (size_t)cap, verbose);
			}
		}
	}
	if (ph.all.n)
		qsort(ph.all.v, ph.all.n, sizeof(*ph.all.v), compare_strings);

	int rc = 0;
	FILE *f = path ? fopen(path, "w") : stdout;
	if (!f) {
		fprintf(stderr, "lexicon_literals: cannot write %s: %s\n", path,
		        strerror(errno));
		rc = 1;
		goto out;
	}
	size_t unique = 0;
	for (size_t i = 0; i < ph.all.n; i++) {
		if (i > 0 && strcmp(ph.all.v[i], ph.all.v[i - 1]) == 0)
			continue;
		fprintf(f, "%s\n", ph.all.v[i]);
		unique++;
	}
	if (f != stdout ? fclose(f) != 0 : fflush(f) != 0) {
		fprintf(stderr, "lexicon_literals: write failed: %s\n",
		        strerror(errno));
		rc = 1;
		goto out;
	}
	fprintf(stderr,
	        "lexicon_literals: %zu lexicon%s, %zu patterns: %zu expanded, "
	        "%zu capped at %lld literal%s, %zu skipped; %zu literals "
	        "under %d bytes dropped; %zu phrases\n",
	        n, n == 1 ? "" : "s", ph.patterns, ph.expanded, ph.capped,
	        (long long)cap, cap == 1 ? "" : "s", ph.skipped,
	        ph.short_dropped, MIN_LENGTH, unique);
out:
	set_free(&ph.all);
	lexicon_set_free(lexicons, n);
	return rc;
}
