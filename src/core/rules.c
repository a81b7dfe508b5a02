/*
 * rules.c - the condition language of protocol and policy files (rules.h):
 * a lexer and a recursive-descent parser that type-check as they build one
 * array of nodes, then the walks over that array: evaluate, explain, refs,
 * literals, format. The walks recurse at most RULE_DEPTH_MAX deep (the
 * parser refuses deeper trees) and never allocate.
 */
#include "core/rules.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/call.h"
#include "util/mem.h"
#include "util/str.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))
#define NONE UINT16_MAX

_Static_assert(INDICATOR__COUNT <= 64, "indicator ids fit a uint64_t mask");

/* How much of a token or value a message quotes. */
#define QUOTE_MAX 48
/* How much of an answer a fact quotes. */
#define FACT_VALUE_MAX 40

/* ---- answer kinds -------------------------------------------------------- */

static const char *const answer_kind_names[] = {
#define RULE_ANSWER_NAME(e, n) n,
	RULE_ANSWER_KINDS(RULE_ANSWER_NAME)
#undef RULE_ANSWER_NAME
};

const char *rule_answer_kind_name(enum rule_answer_kind k)
{
	return (unsigned)k < RULE_ANSWER__COUNT ? answer_kind_names[k] : "?";
}

bool rule_answer_kind_parse(const char *s, enum rule_answer_kind *out)
{
	for (size_t i = 0; s && i < COUNT(answer_kind_names); i++) {
		if (strcmp(s, answer_kind_names[i]) == 0) {
			*out = (enum rule_answer_kind)i;
			return true;
		}
	}
	return false;
}

/* ---- the compiled form --------------------------------------------------- */

enum op {
	OP_FALSE,
	OP_TRUE,
	OP_INT,
	OP_STRING,
	OP_ANSWER, /* answer.QID: text, or an int for NUMBER questions */
	OP_CHANNEL,
	OP_LANGUAGE,
	OP_CATEGORY,
	OP_FLAG,
	OP_ANSWERED,
	OP_INDICATOR,
	OP_CURRENT_INDICATOR,
	OP_ANY_INDICATOR,
	OP_ANY_CURRENT_INDICATOR,
	OP_COUNT,
	OP_NOT,
	OP_AND, /* n-ary */
	OP_OR,  /* n-ary */
	OP_COMPARE,
	OP_IN, /* first operand, then the list */
};

enum type { TYPE_BOOL, TYPE_INT, TYPE_STRING };

/* The values a string can take, to check the literals compared with it. */
enum domain {
	DOMAIN_ANY,
	DOMAIN_YES_NO,
	DOMAIN_CHOICE,
	DOMAIN_CHANNEL,
	DOMAIN_CATEGORY,
	DOMAIN_LANGUAGE, /* on a comparison: compare primary tags */
};

enum cmp { CMP_EQ, CMP_NE, CMP_LT, CMP_LE, CMP_GT, CMP_GE };

static const char *const cmp_text[] = { "==", "!=", "<", "<=", ">", ">=" };
/* What a comparison that came out false holds instead. */
static const enum cmp cmp_inverse[] = { CMP_NE, CMP_EQ, CMP_GE,
	                                CMP_GT, CMP_LE, CMP_LT };

/* One node: operands are a first-child / next-sibling list of indices. */
struct node {
	uint8_t op;     /* enum op */
	uint8_t type;   /* enum type of the value */
	uint8_t domain; /* enum domain */
	uint8_t cmp;    /* enum cmp, OP_COMPARE */
	uint16_t kid;   /* first operand, NONE */
	uint16_t next;  /* next operand of the parent, NONE */
	uint16_t pos;   /* source span, for messages */
	uint16_t len;
	uint32_t idx; /* question, flag or indicator index; AMP bits */
	union {
		int64_t num;       /* OP_INT */
		uint64_t matching; /* AMP ops: the indicator ids with that
		                    * element, one bit each */
		struct {
			uint32_t off, len;
		} str; /* in the pool: OP_STRING's value; the name of
		        * OP_ANSWER, OP_ANSWERED and OP_FLAG */
	} u;
};

struct rule_expr {
	uint16_t n_nodes;
	uint16_t root;
	const char *pool; /* NUL-terminated strings, after the nodes */
	struct node nodes[];
};

static const char *const amp_names[] = { "action",        "means",   "purpose",
	                                 "vulnerability", "context", "minor" };

static const char *amp_name(unsigned amp)
{
	if (amp == RULE_AMP_ANY)
		return "any";
	for (size_t i = 0; i < COUNT(amp_names); i++)
		if (amp == 1u << i)
			return amp_names[i];
	return "?";
}

/* ---- UTF-8 --------------------------------------------------------------- */

/* Returns the length of the well-formed UTF-8 sequence at `s` (with `n`
 * bytes available) and its code point, or 0 when it is not one. */
static size_t utf8_seq(const unsigned char *s, size_t n, uint32_t *cp)
{
	unsigned c = s[0];
	size_t len;
	uint32_t v, min;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		v = c & 0x1f;
		min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		v = c & 0x0f;
		min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		v = c & 0x07;
		min = 0x10000;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		v = (v << 6) | (s[i] & 0x3f);
	}
	if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*cp = v;
	return len;
}

/* Returns how many of the first `n` bytes of `s` to keep so that a cut
 * there does not split a UTF-8 sequence. */
static size_t utf8_cut(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = n, back = 0;

	while (i > 0 && back < 4 && (u[i - 1] & 0xc0) == 0x80) {
		i--;
		back++;
	}
	if (i == 0 || u[i - 1] < 0x80)
		return n; /* ends on ASCII (or stray continuation bytes) */
	unsigned lead = u[i - 1];
	size_t want = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : 2;
	return back + 1 >= want ? n : i - 1;
}

/* ---- a bounded writer ---------------------------------------------------- */

struct writer {
	char *buf;
	size_t size; /* >= 1 */
	size_t used;
	bool full; /* something did not fit */
};

static void w_init(struct writer *w, char *buf, size_t size)
{
	w->buf = buf;
	w->size = size;
	w->used = 0;
	w->full = false;
	buf[0] = '\0';
}

static void w_put(struct writer *w, const char *s, size_t n)
{
	if (w->full)
		return;
	size_t room = w->size - 1 - w->used;
	if (n > room) {
		n = room;
		w->full = true;
	}
	memcpy(w->buf + w->used, s, n);
	w->used += n;
	w->buf[w->used] = '\0';
}

static void w_str(struct writer *w, const char *s)
{
	w_put(w, s, strlen(s));
}

static void w_printf(struct writer *w, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void w_printf(struct writer *w, const char *fmt, ...)
{
	char tmp[64];
	va_list ap;

	va_start(ap, fmt);
	int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n > 0)
		w_put(w, tmp,
		      (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

/* Ends the text: when something did not fit, cuts at a character
 * boundary and marks the cut with "...". */
static void w_finish(struct writer *w)
{
	if (!w->full)
		return;
	size_t keep = w->used;
	if (w->size >= 4 && keep > w->size - 4)
		keep = w->size - 4;
	keep = utf8_cut(w->buf, keep);
	w->used = keep;
	w->buf[keep] = '\0';
	if (w->size >= 4) {
		memcpy(w->buf + keep, "...", 4);
		w->used += 3;
	}
}

/* Writes `n` bytes of `s` as a string literal of the language: quoted, with
 * \" and \\, control bytes shown as '?'; past `max` bytes, "...". */
static void w_quoted(struct writer *w, const char *s, size_t n, size_t max)
{
	bool cut = false;

	if (n > max) {
		n = utf8_cut(s, max);
		cut = true;
	}
	w_put(w, "\"", 1);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\') {
			char esc[2] = { '\\', (char)c };
			w_put(w, esc, 2);
		} else if (c < 0x20 || c == 0x7f) {
			w_put(w, "?", 1);
		} else {
			w_put(w, s + i, 1);
		}
	}
	if (cut)
		w_put(w, "...", 3);
	w_put(w, "\"", 1);
}

/* ---- the parser ---------------------------------------------------------- */

enum tok_kind {
	TOK_END,
	TOK_ERROR, /* a lexical error was reported */
	TOK_LPAREN,
	TOK_RPAREN,
	TOK_LBRACKET,
	TOK_RBRACKET,
	TOK_COMMA,
	TOK_CMP,
	TOK_STRING,
	TOK_INT,
	TOK_NAME,
};

struct token {
	enum tok_kind kind;
	size_t pos, len;
	enum cmp cmp; /* TOK_CMP */
	int64_t num;  /* TOK_INT */
};

struct parser {
	const char *src;
	size_t len;
	size_t at;         /* where the lexer goes on */
	struct token tok;  /* the current token */
	struct token prev; /* the one before, for messages */
	bool has_prev;
	const struct rule_schema *schema;
	struct htd_error *err;
	enum htd_err code;
	bool failed;
	int nesting; /* open "(", "[" and "not" */
	uint16_t n_nodes;
	struct node nodes[RULE_NODES_MAX];
	uint8_t height[RULE_NODES_MAX];
	size_t pool_len;
	/* Every pool string comes from the source (a literal, a name as
	 * written), plus a NUL per node. */
	char pool[RULE_SOURCE_MAX + RULE_NODES_MAX + 1];
};

static void fail(struct parser *p, enum htd_err code, size_t pos,
                 const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void fail(struct parser *p, enum htd_err code, size_t pos,
                 const char *fmt, ...)
{
	char msg[HTD_ERROR_MESSAGE_MAX];
	va_list ap;

	if (p->failed)
		return;
	p->failed = true;
	p->code = code;
	p->tok.kind = TOK_ERROR;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	msg[utf8_cut(msg, strlen(msg))] = '\0';
	htd_error_at(p->err, code, NULL, 1, (int)pos + 1, "%s", msg);
}

/* Copies source bytes [pos, pos+len) for a message, white space as
 * spaces, at most QUOTE_MAX bytes ("..." past that), in quotes when
 * `quoted`. */
static const char *span_text(const struct parser *p, size_t pos, size_t len,
                             bool quoted, char *buf, size_t size)
{
	struct writer w;
	bool cut = false;

	w_init(&w, buf, size);
	if (len > QUOTE_MAX) {
		len = utf8_cut(p->src + pos, QUOTE_MAX);
		cut = true;
	}
	if (quoted)
		w_put(&w, "\"", 1);
	for (size_t i = 0; i < len; i++) {
		char c = p->src[pos + i];
		w_put(&w, c == '\t' || c == '\n' || c == '\r' ? " " : &c, 1);
	}
	if (cut)
		w_put(&w, "...", 3);
	if (quoted)
		w_put(&w, "\"", 1);
	w_finish(&w);
	return buf;
}

/* The source from `from` to the end of the previous token, its last
 * QUOTE_MAX bytes only: what an "expected X after ..." follows. In quotes,
 * unless it holds a string (quotes in quotes read badly). */
static const char *tail_text(const struct parser *p, size_t from, char *buf,
                             size_t size)
{
	size_t to = p->has_prev ? p->prev.pos + p->prev.len : from;
	struct writer w;

	if (to < from)
		to = from;
	bool cut = to - from > QUOTE_MAX;
	if (cut) {
		from = to - QUOTE_MAX;
		while (from < to &&
		       ((unsigned char)p->src[from] & 0xc0) == 0x80)
			from++;
	}
	bool quoted = !memchr(p->src + from, '"', to - from);
	w_init(&w, buf, size);
	if (quoted)
		w_put(&w, "\"", 1);
	if (cut)
		w_put(&w, "...", 3);
	for (size_t i = from; i < to; i++) {
		char c = p->src[i];
		w_put(&w, c == '\t' || c == '\n' || c == '\r' ? " " : &c, 1);
	}
	if (quoted)
		w_put(&w, "\"", 1);
	w_finish(&w);
	return buf;
}

/* A token as a message quotes it. */
static const char *tok_text(const struct parser *p, const struct token *t,
                            char *buf, size_t size)
{
	if (t->kind == TOK_END || t->kind == TOK_ERROR)
		return "the end of the expression";
	return span_text(p, t->pos, t->len, t->kind != TOK_STRING, buf, size);
}

/* A node's source as a message quotes it: unquoted. */
static const char *node_text(const struct parser *p, uint16_t i, char *buf,
                             size_t size)
{
	return span_text(p, p->nodes[i].pos, p->nodes[i].len, false, buf, size);
}

/* ---- the lexer ----------------------------------------------------------- */

static bool is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static bool is_name_start(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool is_name_char(unsigned char c)
{
	return is_name_start(c) || is_digit(c) || c == '.';
}

static bool is_c1(uint32_t cp)
{
	return cp >= 0x80 && cp <= 0x9f;
}

/* Checks a string literal starting at the quote at `start`; sets its
 * length (quotes included). */
static void lex_string(struct parser *p, size_t start, struct token *t)
{
	const unsigned char *s = (const unsigned char *)p->src;
	size_t i = start + 1;

	for (;;) {
		if (i >= p->len) {
			fail(p, HTD_ERR_PARSE, start,
			     "unterminated string: expected a closing \"");
			return;
		}
		unsigned char c = s[i];
		if (c == '"')
			break;
		if (c == '\\') {
			if (s[i + 1] == '"' || s[i + 1] == '\\') {
				i += 2;
				continue;
			}
			if (i + 1 >= p->len) {
				fail(p, HTD_ERR_PARSE, start,
				     "unterminated string: expected a closing "
				     "\"");
				return;
			}
			fail(p, HTD_ERR_PARSE, i,
			     "unknown escape in a string: only \\\" and \\\\ "
			     "are escapes");
			return;
		}
		uint32_t cp = c;
		size_t n = 1;
		if (c >= 0x80) {
			n = utf8_seq(s + i, p->len - i, &cp);
			if (n == 0) {
				fail(p, HTD_ERR_PARSE, i,
				     "invalid UTF-8 in a string (byte 0x%02X)",
				     c);
				return;
			}
		}
		if (cp < 0x20 || cp == 0x7f || is_c1(cp)) {
			fail(p, HTD_ERR_PARSE, i,
			     "a string cannot hold a line break or other "
			     "control character (U+%04" PRIX32 ")",
			     cp);
			return;
		}
		i += n;
	}
	t->kind = TOK_STRING;
	t->len = i + 1 - start;
}

static void lex_int(struct parser *p, size_t start, struct token *t)
{
	const unsigned char *s = (const unsigned char *)p->src;
	char buf[32];
	char q[QUOTE_MAX + 8];
	size_t i = start;

	if (s[i] == '-')
		i++;
	while (i < p->len && is_digit(s[i]))
		i++;
	if (i < p->len && is_name_char(s[i])) {
		while (i < p->len && is_name_char(s[i]))
			i++;
		fail(p, HTD_ERR_PARSE, start, "%s is not a number",
		     span_text(p, start, i - start, true, q, sizeof(q)));
		return;
	}
	t->kind = TOK_INT;
	t->len = i - start;
	bool ok = false;
	if (t->len < sizeof(buf)) {
		memcpy(buf, s + start, t->len);
		buf[t->len] = '\0';
		ok = str_to_i64(buf, INT64_MIN, INT64_MAX, &t->num);
	}
	if (!ok)
		fail(p, HTD_ERR_INVALID, start,
		     "%s is too large for a number (at most %" PRId64 ")",
		     span_text(p, start, t->len, true, q, sizeof(q)),
		     INT64_MAX);
}

/* Reads the next token into p->tok. */
static void lex(struct parser *p)
{
	const unsigned char *s = (const unsigned char *)p->src;
	size_t i = p->at;
	struct token t = { 0 };

	while (i < p->len &&
	       (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
		i++;
	t.pos = i;
	t.len = 1;
	if (i >= p->len) {
		t.kind = TOK_END;
		t.len = 0;
		goto done;
	}
	unsigned char c = s[i];
	switch (c) {
	case '(': t.kind = TOK_LPAREN; break;
	case ')': t.kind = TOK_RPAREN; break;
	case '[': t.kind = TOK_LBRACKET; break;
	case ']': t.kind = TOK_RBRACKET; break;
	case ',': t.kind = TOK_COMMA; break;
	case '=':
		if (s[i + 1] != '=') {
			fail(p, HTD_ERR_PARSE, i,
			     "\"=\" is not an operator: write \"==\" to "
			     "compare");
			return;
		}
		t.kind = TOK_CMP;
		t.cmp = CMP_EQ;
		t.len = 2;
		break;
	case '!':
		if (s[i + 1] != '=') {
			fail(p, HTD_ERR_PARSE, i,
			     "\"!\" is not an operator: write \"not\"");
			return;
		}
		t.kind = TOK_CMP;
		t.cmp = CMP_NE;
		t.len = 2;
		break;
	case '<':
	case '>':
		if (c == '<' && s[i + 1] == '>') {
			fail(p, HTD_ERR_PARSE, i,
			     "\"<>\" is not an operator: write \"!=\"");
			return;
		}
		t.kind = TOK_CMP;
		t.cmp = c == '<' ? CMP_LT : CMP_GT;
		if (s[i + 1] == '=') {
			t.cmp = c == '<' ? CMP_LE : CMP_GE;
			t.len = 2;
		}
		break;
	case '&':
		fail(p, HTD_ERR_PARSE, i,
		     "\"%s\" is not an operator: write \"and\"",
		     s[i + 1] == '&' ? "&&" : "&");
		return;
	case '|':
		fail(p, HTD_ERR_PARSE, i,
		     "\"%s\" is not an operator: write \"or\"",
		     s[i + 1] == '|' ? "||" : "|");
		return;
	case '"': lex_string(p, i, &t); break;
	case '\'':
		fail(p, HTD_ERR_PARSE, i,
		     "strings take double quotes: write \"...\", not '...'");
		return;
	default:
		if (is_digit(c) || (c == '-' && is_digit(s[i + 1]))) {
			lex_int(p, i, &t);
		} else if (is_name_start(c)) {
			while (i + t.len < p->len && is_name_char(s[i + t.len]))
				t.len++;
			t.kind = TOK_NAME;
		} else if (c < 0x20 || c == 0x7f) {
			fail(p, HTD_ERR_PARSE, i,
			     "control character (byte 0x%02X) in the "
			     "expression",
			     c);
		} else if (c >= 0x80) {
			uint32_t cp;
			size_t n = utf8_seq(s + i, p->len - i, &cp);
			if (n == 0)
				fail(p, HTD_ERR_PARSE, i,
				     "invalid UTF-8 (byte 0x%02X)", c);
			else if (is_c1(cp))
				fail(p, HTD_ERR_PARSE, i,
				     "control character (U+%04" PRIX32
				     ") in the expression",
				     cp);
			else
				fail(p, HTD_ERR_PARSE, i,
				     "unexpected \"%.*s\": names are written "
				     "in ASCII and text goes in quotes",
				     (int)n, (const char *)s + i);
		} else {
			fail(p, HTD_ERR_PARSE, i, "unexpected \"%c\"", c);
		}
		break;
	}
	if (p->failed)
		return;
done:
	p->tok = t;
	p->at = t.pos + t.len;
}

static void advance(struct parser *p)
{
	if (p->failed)
		return;
	p->prev = p->tok;
	p->has_prev = true;
	lex(p);
}

static bool span_is(const struct parser *p, size_t pos, size_t len,
                    const char *word)
{
	size_t n = strlen(word);
	return len == n && memcmp(p->src + pos, word, n) == 0;
}

static bool tok_is(const struct parser *p, const char *word)
{
	return p->tok.kind == TOK_NAME &&
	       span_is(p, p->tok.pos, p->tok.len, word);
}

/* ---- names and suggestions ----------------------------------------------- */

/* Optimal string alignment distance, for "did you mean". */
static size_t edit_distance(const char *a, size_t n, const char *b, size_t m)
{
	size_t d[3][65];

	if (n > 64 || m > 64)
		return SIZE_MAX;
	for (size_t j = 0; j <= m; j++)
		d[0][j] = j;
	for (size_t i = 1; i <= n; i++) {
		size_t *row = d[i % 3], *up = d[(i - 1) % 3],
		       *up2 = d[(i + 1) % 3];
		row[0] = i;
		for (size_t j = 1; j <= m; j++) {
			size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
			size_t v = up[j] + 1;
			if (row[j - 1] + 1 < v)
				v = row[j - 1] + 1;
			if (up[j - 1] + cost < v)
				v = up[j - 1] + cost;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] &&
			    a[i - 2] == b[j - 1] && up2[j - 2] + 1 < v)
				v = up2[j - 2] + 1;
			row[j] = v;
		}
	}
	return d[n % 3][m];
}

struct suggestion {
	const char *typed;
	size_t n;
	const char *prefix; /* written before the best name */
	const char *best;
	size_t best_distance;
};

static void suggest_init(struct suggestion *s, const char *typed, size_t n)
{
	s->typed = typed;
	s->n = n;
	s->prefix = "";
	s->best = NULL;
	s->best_distance = SIZE_MAX;
}

static void suggest_try(struct suggestion *s, const char *prefix,
                        const char *name)
{
	if (!name)
		return;
	size_t limit = s->n / 4;
	limit = limit < 1 ? 1 : limit > 3 ? 3 : limit;
	size_t d = edit_distance(s->typed, s->n, name, strlen(name));
	if (d <= limit && d < s->best_distance) {
		s->best = name;
		s->prefix = prefix;
		s->best_distance = d;
	}
}

/* " (did you mean X?)" or "". */
static const char *suggest_text(const struct suggestion *s, char *buf,
                                size_t size)
{
	if (!s->best)
		return "";
	snprintf(buf, size, " (did you mean %s%s?)", s->prefix, s->best);
	return buf;
}

static long find_question(const struct parser *p, const char *s, size_t n)
{
	for (size_t i = 0; i < p->schema->n_questions; i++) {
		const char *id = p->schema->questions[i].id;
		if (id && strlen(id) == n && memcmp(id, s, n) == 0)
			return (long)i;
	}
	return -1;
}

static long find_flag(const struct parser *p, const char *s, size_t n)
{
	for (size_t i = 0; i < p->schema->n_flags; i++) {
		const char *f = p->schema->flags[i];
		if (f && strlen(f) == n && memcmp(f, s, n) == 0)
			return (long)i;
	}
	return -1;
}

static bool find_indicator(const char *s, size_t n, enum indicator_id *out)
{
	char buf[64];
	if (n >= sizeof(buf))
		return false;
	memcpy(buf, s, n);
	buf[n] = '\0';
	return indicator_parse(buf, out);
}

static bool find_amp(const char *s, size_t n, unsigned *out)
{
	char buf[32];
	enum amp_element a;

	if (n >= sizeof(buf))
		return false;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (strcmp(buf, "any") == 0) {
		*out = RULE_AMP_ANY;
		return true;
	}
	if (!amp_element_parse(buf, &a))
		return false;
	*out = (unsigned)a;
	return true;
}

/* ---- building nodes ------------------------------------------------------ */

static uint16_t new_node(struct parser *p, enum op op, enum type type,
                         size_t pos, size_t len)
{
	if (p->failed)
		return NONE;
	if (p->n_nodes >= RULE_NODES_MAX) {
		fail(p, HTD_ERR_INVALID, pos,
		     "the expression is too long: more than %d names, values "
		     "and operators",
		     RULE_NODES_MAX);
		return NONE;
	}
	uint16_t i = p->n_nodes++;
	struct node *n = &p->nodes[i];
	memset(n, 0, sizeof(*n));
	n->op = (uint8_t)op;
	n->type = (uint8_t)type;
	n->kid = NONE;
	n->next = NONE;
	n->pos = (uint16_t)pos;
	n->len = (uint16_t)len;
	p->height[i] = 1;
	return i;
}

static size_t node_end(const struct parser *p, uint16_t i)
{
	return (size_t)p->nodes[i].pos + p->nodes[i].len;
}

/* Appends operand `k` to `parent`; `op_pos` is where the operator is, for
 * the message when the tree gets too deep. */
static void add_kid(struct parser *p, uint16_t parent, uint16_t k,
                    size_t op_pos)
{
	if (p->failed)
		return;
	struct node *n = &p->nodes[parent];
	if (n->kid == NONE) {
		n->kid = k;
	} else {
		uint16_t last = n->kid;
		while (p->nodes[last].next != NONE)
			last = p->nodes[last].next;
		p->nodes[last].next = k;
	}
	size_t start = n->pos < p->nodes[k].pos ? n->pos : p->nodes[k].pos;
	size_t end = node_end(p, parent) > node_end(p, k) ? node_end(p, parent)
	                                                  : node_end(p, k);
	n->pos = (uint16_t)start;
	n->len = (uint16_t)(end - start);
	if (p->height[k] + 1 > p->height[parent])
		p->height[parent] = (uint8_t)(p->height[k] + 1);
	if (p->height[parent] > RULE_DEPTH_MAX)
		fail(p, HTD_ERR_INVALID, op_pos,
		     "the expression nests too deeply: at most %d levels",
		     RULE_DEPTH_MAX);
}

/* Stores `n` bytes of `s` (unescaping \" and \\ when `escaped`) in the
 * pool; sets the node's string. */
static void pool_set(struct parser *p, uint16_t i, const char *s, size_t n,
                     bool escaped)
{
	size_t off = p->pool_len, len = 0;

	if (p->failed)
		return;
	if (off + n + 1 > sizeof(p->pool)) { /* cannot happen: see pool */
		fail(p, HTD_ERR_INTERNAL, p->nodes[i].pos,
		     "internal error: the string pool is full");
		return;
	}
	for (size_t k = 0; k < n; k++) {
		if (escaped && s[k] == '\\')
			k++;
		p->pool[off + len++] = s[k];
	}
	p->pool[off + len] = '\0';
	p->pool_len = off + len + 1;
	p->nodes[i].u.str.off = (uint32_t)off;
	p->nodes[i].u.str.len = (uint32_t)len;
}

static const char *pool_str(const struct parser *p, uint16_t i)
{
	return p->pool + p->nodes[i].u.str.off;
}

static bool nest_in(struct parser *p, size_t pos)
{
	if (++p->nesting > RULE_DEPTH_MAX) {
		fail(p, HTD_ERR_INVALID, pos,
		     "the expression nests too deeply: at most %d levels of "
		     "parentheses, lists and \"not\"",
		     RULE_DEPTH_MAX);
		return false;
	}
	return true;
}

/* ---- type checks --------------------------------------------------------- */

static const char *type_name(uint8_t t)
{
	switch (t) {
	case TYPE_BOOL: return "true/false";
	case TYPE_INT: return "a number";
	default: return "text";
	}
}

static bool is_literal(const struct node *n)
{
	return n->op == OP_FALSE || n->op == OP_TRUE || n->op == OP_INT ||
	       n->op == OP_STRING;
}

/* How to make value `i` a condition: ": write X == \"yes\"", or "". */
static const char *bool_hint(const struct parser *p, uint16_t i, char *buf,
                             size_t size)
{
	const struct node *n = &p->nodes[i];
	char t[QUOTE_MAX + 8];
	const char *v = NULL;

	node_text(p, i, t, sizeof(t));
	if (n->type == TYPE_INT && n->op != OP_INT) {
		snprintf(buf, size, ": write %s > 0", t);
		return buf;
	}
	if (n->type != TYPE_STRING || n->op == OP_STRING)
		return "";
	switch (n->domain) {
	case DOMAIN_YES_NO: v = "yes"; break;
	case DOMAIN_CHOICE: {
		const struct rule_question *q = &p->schema->questions[n->idx];
		v = q->n_choices > 0 && q->choices[0] ? q->choices[0] : "";
		break;
	}
	case DOMAIN_CHANNEL: v = call_channel_name(CALL_CHANNEL_VOICE); break;
	case DOMAIN_CATEGORY:
		v = call_category_name(CALL_CATEGORY_VICTIM_CALL);
		break;
	case DOMAIN_LANGUAGE: v = "es"; break;
	default: break;
	}
	if (v) {
		snprintf(buf, size, ": write %s == \"%s\"", t, v);
	} else if (n->op == OP_ANSWER) {
		snprintf(buf, size, ": write answered(%s)", pool_str(p, i));
	} else {
		return "";
	}
	return buf;
}

/* `i` must be a bool; `what` says who wants it. */
static bool check_bool(struct parser *p, uint16_t i, const char *what)
{
	char t[QUOTE_MAX + 8], hint[2 * QUOTE_MAX + 64];

	if (p->failed)
		return false;
	if (p->nodes[i].type == TYPE_BOOL)
		return true;
	fail(p, HTD_ERR_INVALID, p->nodes[i].pos, "%s; %s is %s%s", what,
	     node_text(p, i, t, sizeof(t)), type_name(p->nodes[i].type),
	     bool_hint(p, i, hint, sizeof(hint)));
	return false;
}

/* Joins names for a message: "a, b, c". */
static const char *join_names(const char *(*name)(size_t, const void *),
                              const void *ctx, size_t n, char *buf, size_t size)
{
	struct writer w;

	w_init(&w, buf, size);
	for (size_t i = 0; i < n; i++) {
		if (i)
			w_str(&w, ", ");
		w_str(&w, name(i, ctx));
	}
	w_finish(&w);
	return buf;
}

static const char *channel_at(size_t i, const void *ctx)
{
	(void)ctx;
	return call_channel_name((enum call_channel)i);
}

static const char *category_at(size_t i, const void *ctx)
{
	(void)ctx;
	return call_category_name((enum call_category)i);
}

static const char *choice_at(size_t i, const void *ctx)
{
	const struct rule_question *q = ctx;
	return q->choices[i] ? q->choices[i] : "";
}

/* String literal `lit` is compared with `target`: a value it can take? */
static bool check_literal(struct parser *p, uint16_t target, uint16_t lit)
{
	const struct node *t = &p->nodes[target];
	const char *v = pool_str(p, lit);
	char q[QUOTE_MAX + 8], names[256], tag[CALL_LANGUAGE_MAX + 1];

	node_text(p, lit, q, sizeof(q));
	switch (t->domain) {
	case DOMAIN_YES_NO:
		if (!strcmp(v, "yes") || !strcmp(v, "no") ||
		    !strcmp(v, "unknown") || !strcmp(v, ""))
			return true;
		fail(p, HTD_ERR_INVALID, p->nodes[lit].pos,
		     "%s is not an answer to %s (yes, no, unknown)", q,
		     pool_str(p, target));
		return false;
	case DOMAIN_CHOICE: {
		const struct rule_question *qn = &p->schema->questions[t->idx];
		if (!*v)
			return true;
		for (size_t i = 0; i < qn->n_choices; i++)
			if (qn->choices[i] && !strcmp(v, qn->choices[i]))
				return true;
		fail(p, HTD_ERR_INVALID, p->nodes[lit].pos,
		     "%s is not a choice of %s (%s)", q, pool_str(p, target),
		     join_names(choice_at, qn, qn->n_choices, names,
		                sizeof(names)));
		return false;
	}
	case DOMAIN_CHANNEL: {
		enum call_channel c;
		if (call_channel_parse(v, &c))
			return true;
		fail(p, HTD_ERR_INVALID, p->nodes[lit].pos,
		     "%s is not a channel (%s)", q,
		     join_names(channel_at, NULL, CALL_CHANNEL__COUNT, names,
		                sizeof(names)));
		return false;
	}
	case DOMAIN_CATEGORY: {
		enum call_category c;
		if (call_category_parse(v, &c))
			return true;
		fail(p, HTD_ERR_INVALID, p->nodes[lit].pos,
		     "%s is not a category (%s)", q,
		     join_names(category_at, NULL, CALL_CATEGORY__COUNT, names,
		                sizeof(names)));
		return false;
	}
	case DOMAIN_LANGUAGE:
		if (call_language_normalise(v, tag, sizeof(tag)))
			return true;
		fail(p, HTD_ERR_INVALID, p->nodes[lit].pos,
		     "%s is not a language tag: write one such as \"es\" or "
		     "\"es-MX\"",
		     q);
		return false;
	default: return true;
	}
}

/* A hint for two values of different types: ": write ..." or "". */
static const char *mismatch_hint(const struct parser *p, uint16_t value,
                                 uint16_t lit, char *buf, size_t size)
{
	const struct node *v = &p->nodes[value], *l = &p->nodes[lit];
	int64_t num;

	if (!is_literal(l))
		return "";
	if (v->type == TYPE_STRING && l->type == TYPE_BOOL)
		return bool_hint(p, value, buf, size);
	if (v->type == TYPE_INT && l->op == OP_STRING &&
	    str_to_i64(pool_str(p, lit), INT64_MIN, INT64_MAX, &num)) {
		snprintf(buf, size, ": write %" PRId64 " without quotes", num);
		return buf;
	}
	if (v->type == TYPE_STRING && l->op == OP_INT) {
		snprintf(buf, size, ": write \"%" PRId64 "\" in quotes",
		         l->u.num);
		return buf;
	}
	return "";
}

/* `l` and `r` are compared with `op` ("==", "<", "in"). */
static bool check_compare(struct parser *p, const char *op, bool ordering,
                          uint16_t l, uint16_t r)
{
	char ta[QUOTE_MAX + 8], tb[QUOTE_MAX + 8], hint[2 * QUOTE_MAX + 64];

	if (p->failed)
		return false;
	const struct node *a = &p->nodes[l], *b = &p->nodes[r];
	if (ordering) {
		uint16_t bad = a->type != TYPE_INT ? l : r;
		if (p->nodes[bad].type == TYPE_INT)
			return true;
		uint16_t other = bad == l ? r : l;
		const char *h = "";
		if (p->nodes[bad].op == OP_STRING)
			h = mismatch_hint(p, other, bad, hint, sizeof(hint));
		fail(p, HTD_ERR_INVALID, p->nodes[bad].pos,
		     "\"%s\" compares numbers; %s is %s%s", op,
		     node_text(p, bad, ta, sizeof(ta)),
		     type_name(p->nodes[bad].type), h);
		return false;
	}
	if (a->type != b->type) {
		/* Point at the literal when there is one: it is what to fix. */
		uint16_t bad = is_literal(a) && !is_literal(b) ? l : r;
		uint16_t other = bad == l ? r : l;
		fail(p, HTD_ERR_INVALID, p->nodes[bad].pos,
		     "\"%s\" compares values of one type; %s is %s and %s is "
		     "%s%s",
		     op, node_text(p, l, ta, sizeof(ta)), type_name(a->type),
		     node_text(p, r, tb, sizeof(tb)), type_name(b->type),
		     mismatch_hint(p, other, bad, hint, sizeof(hint)));
		return false;
	}
	if (a->type != TYPE_STRING)
		return true;
	if (b->op == OP_STRING && a->op != OP_STRING)
		return check_literal(p, l, r);
	if (a->op == OP_STRING && b->op != OP_STRING)
		return check_literal(p, r, l);
	return true;
}

/* ---- the grammar --------------------------------------------------------- */

static uint16_t parse_or(struct parser *p);

/* The current token cannot follow what was parsed since `from`. */
static void unexpected_after(struct parser *p, size_t from,
                             const char *expected)
{
	char after[QUOTE_MAX + 16], got[QUOTE_MAX + 8], tip[64] = "";
	static const char *const words[] = { "and", "or",   "not",
		                             "in",  "true", "false" };

	if (p->tok.kind == TOK_NAME) {
		for (size_t i = 0; i < COUNT(words); i++) {
			if (p->tok.len == strlen(words[i]) &&
			    strncasecmp(p->src + p->tok.pos, words[i],
			                p->tok.len) == 0)
				snprintf(tip, sizeof(tip),
				         "; keywords are lower case: write "
				         "\"%s\"",
				         words[i]);
		}
	}
	fail(p, HTD_ERR_PARSE, p->tok.pos, "expected %s after %s, not %s%s",
	     expected, tail_text(p, from, after, sizeof(after)),
	     tok_text(p, &p->tok, got, sizeof(got)), tip);
}

/* A term was expected and the current token is not one. */
static void expected_term(struct parser *p)
{
	char got[QUOTE_MAX + 8], prev[QUOTE_MAX + 8];

	if (!p->has_prev) {
		fail(p, HTD_ERR_PARSE, p->tok.pos,
		     "expected a condition such as answer.free_to_leave == "
		     "\"no\", not %s",
		     tok_text(p, &p->tok, got, sizeof(got)));
		return;
	}
	if (p->prev.kind == TOK_LBRACKET && p->tok.kind == TOK_RBRACKET) {
		fail(p, HTD_ERR_PARSE, p->tok.pos,
		     "empty list: write at least one value between \"[\" and "
		     "\"]\"");
		return;
	}
	fail(p, HTD_ERR_PARSE, p->tok.pos,
	     "expected a condition or a value after %s, not %s",
	     tok_text(p, &p->prev, prev, sizeof(prev)),
	     tok_text(p, &p->tok, got, sizeof(got)));
}

/* answer.QID */
static uint16_t parse_answer(struct parser *p)
{
	struct token t = p->tok;
	const char *qid = p->src + t.pos + 7;
	size_t n = t.len >= 7 ? t.len - 7 : 0;
	char q[QUOTE_MAX + 8], sug[128];

	if (t.len <= 7) {
		fail(p, HTD_ERR_PARSE, t.pos,
		     "expected a question after \"answer.\", as in "
		     "answer.free_to_leave");
		return NONE;
	}
	long i = find_question(p, qid, n);
	if (i < 0) {
		struct suggestion s;
		suggest_init(&s, qid, n);
		for (size_t k = 0; k < p->schema->n_questions; k++)
			suggest_try(&s, "", p->schema->questions[k].id);
		fail(p, HTD_ERR_INVALID, t.pos, "unknown question %s%s",
		     span_text(p, t.pos + 7, n, true, q, sizeof(q)),
		     suggest_text(&s, sug, sizeof(sug)));
		return NONE;
	}
	const struct rule_question *rq = &p->schema->questions[i];
	bool number = rq->kind == RULE_ANSWER_NUMBER;
	uint16_t k = new_node(p, OP_ANSWER, number ? TYPE_INT : TYPE_STRING,
	                      t.pos, t.len);
	if (k == NONE)
		return NONE;
	p->nodes[k].idx = (uint32_t)i;
	switch (rq->kind) {
	case RULE_ANSWER_YES_NO: p->nodes[k].domain = DOMAIN_YES_NO; break;
	case RULE_ANSWER_CHOICE: p->nodes[k].domain = DOMAIN_CHOICE; break;
	case RULE_ANSWER_LANGUAGE: p->nodes[k].domain = DOMAIN_LANGUAGE; break;
	default: p->nodes[k].domain = DOMAIN_ANY; break;
	}
	pool_set(p, k, qid, n, false);
	advance(p);
	return k;
}

/* The argument of a builtin: a question, an indicator or an AMP element. */
static uint16_t parse_call(struct parser *p, enum op op)
{
	struct token name = p->tok;
	char fn[32], q[QUOTE_MAX + 8], got[QUOTE_MAX + 8], sug[128];
	uint16_t k = NONE;

	span_text(p, name.pos, name.len, false, fn, sizeof(fn));
	advance(p);
	if (p->failed)
		return NONE;
	if (p->tok.kind != TOK_LPAREN) {
		fail(p, HTD_ERR_PARSE, p->tok.pos,
		     "expected \"(\" after \"%s\", not %s", fn,
		     tok_text(p, &p->tok, got, sizeof(got)));
		return NONE;
	}
	advance(p);
	if (p->failed)
		return NONE;
	struct token arg = p->tok;
	const char *s = p->src + arg.pos;
	size_t n = arg.len;
	char unescaped[64];
	if (arg.kind == TOK_STRING && op != OP_ANSWERED) {
		/* IID and AMP may be quoted; no id holds an escape. */
		s = p->src + arg.pos + 1;
		n = arg.len - 2;
		if (n < sizeof(unescaped) && !memchr(s, '\\', n)) {
			memcpy(unescaped, s, n);
			s = unescaped;
		} else {
			n = sizeof(unescaped); /* matches no id */
			memset(unescaped, '?', n);
			s = unescaped;
		}
	} else if (arg.kind != TOK_NAME) {
		fail(p, HTD_ERR_PARSE, arg.pos,
		     "expected %s after \"%s(\", not %s",
		     op == OP_ANSWERED ? "a question id"
		     : op == OP_INDICATOR || op == OP_CURRENT_INDICATOR
		         ? "an indicator id"
		         : "an AMP element (action, means, purpose, "
		           "vulnerability, context, minor or any)",
		     fn, tok_text(p, &arg, got, sizeof(got)));
		return NONE;
	}
	struct suggestion sg;
	suggest_init(&sg, s, n);
	switch (op) {
	case OP_ANSWERED: {
		long i = find_question(p, s, n);
		if (i < 0) {
			if (n > 7 && !memcmp(s, "answer.", 7) &&
			    find_question(p, s + 7, n - 7) >= 0) {
				fail(p, HTD_ERR_INVALID, arg.pos,
				     "write answered(%.*s), without "
				     "\"answer.\"",
				     (int)(n - 7), s + 7);
				return NONE;
			}
			for (size_t j = 0; j < p->schema->n_questions; j++)
				suggest_try(&sg, "",
				            p->schema->questions[j].id);
			fail(p, HTD_ERR_INVALID, arg.pos,
			     "unknown question %s%s",
			     tok_text(p, &arg, q, sizeof(q)),
			     suggest_text(&sg, sug, sizeof(sug)));
			return NONE;
		}
		k = new_node(p, OP_ANSWERED, TYPE_BOOL, name.pos, name.len);
		if (k == NONE)
			return NONE;
		p->nodes[k].idx = (uint32_t)i;
		pool_set(p, k, s, n, false);
		break;
	}
	case OP_INDICATOR:
	case OP_CURRENT_INDICATOR: {
		enum indicator_id id;
		if (!find_indicator(s, n, &id)) {
			for (size_t j = 0; j < INDICATOR__COUNT; j++)
				suggest_try(
				    &sg, "",
				    indicator_name((enum indicator_id)j));
			fail(p, HTD_ERR_INVALID, arg.pos,
			     "unknown indicator %s%s",
			     tok_text(p, &arg, q, sizeof(q)),
			     suggest_text(&sg, sug, sizeof(sug)));
			return NONE;
		}
		k = new_node(p, op, TYPE_BOOL, name.pos, name.len);
		if (k == NONE)
			return NONE;
		p->nodes[k].idx = (uint32_t)id;
		break;
	}
	default: { /* OP_ANY_INDICATOR, OP_ANY_CURRENT_INDICATOR, OP_COUNT */
		unsigned amp;
		if (!find_amp(s, n, &amp)) {
			fail(p, HTD_ERR_INVALID, arg.pos,
			     "unknown AMP element %s: write action, means, "
			     "purpose, vulnerability, context, minor or any",
			     tok_text(p, &arg, q, sizeof(q)));
			return NONE;
		}
		k = new_node(p, op, op == OP_COUNT ? TYPE_INT : TYPE_BOOL,
		             name.pos, name.len);
		if (k == NONE)
			return NONE;
		p->nodes[k].idx = amp;
		for (size_t j = 0; j < INDICATOR__COUNT; j++)
			if (amp == RULE_AMP_ANY ||
			    (indicator_amp((enum indicator_id)j) & amp))
				p->nodes[k].u.matching |= UINT64_C(1) << j;
		break;
	}
	}
	advance(p);
	if (p->failed)
		return NONE;
	if (p->tok.kind != TOK_RPAREN) {
		unexpected_after(p, name.pos, "\")\"");
		return NONE;
	}
	p->nodes[k].len = (uint16_t)(p->tok.pos + 1 - name.pos);
	advance(p);
	return p->failed ? NONE : k;
}

/* A name that is none of the language's: say what it might be. */
static void unknown_name(struct parser *p)
{
	struct token t = p->tok;
	const char *s = p->src + t.pos;
	char q[QUOTE_MAX + 8], sug[160];
	enum indicator_id id;
	unsigned amp;

	span_text(p, t.pos, t.len, true, q, sizeof(q));
	if (find_question(p, s, t.len) >= 0) {
		fail(p, HTD_ERR_INVALID, t.pos,
		     "unknown name %s: a question's answer is written "
		     "answer.%.*s",
		     q, (int)t.len, s);
		return;
	}
	if (find_indicator(s, t.len, &id)) {
		fail(p, HTD_ERR_INVALID, t.pos,
		     "unknown name %s: an indicator is written indicator(%s)",
		     q, indicator_name(id));
		return;
	}
	if (find_amp(s, t.len, &amp)) {
		fail(p, HTD_ERR_INVALID, t.pos,
		     "unknown name %s: write any_indicator(%s) or count(%s)", q,
		     amp_name(amp), amp_name(amp));
		return;
	}
	static const char *const keywords[] = { "and", "or",   "not",
		                                "in",  "true", "false" };
	static const char *const names[] = {
		"channel",           "language",
		"answered",          "indicator",
		"current_indicator", "count",
		"any_indicator",     "any_current_indicator",
	};
	for (size_t i = 0; i < COUNT(keywords); i++) {
		if (t.len == strlen(keywords[i]) &&
		    strncasecmp(s, keywords[i], t.len) == 0) {
			fail(p, HTD_ERR_INVALID, t.pos,
			     "unknown name %s: keywords are lower case: write "
			     "\"%s\"",
			     q, keywords[i]);
			return;
		}
	}
	struct suggestion sg;
	suggest_init(&sg, s, t.len);
	for (size_t i = 0; i < COUNT(keywords); i++)
		suggest_try(&sg, "", keywords[i]);
	for (size_t i = 0; i < COUNT(names); i++)
		suggest_try(&sg, "", names[i]);
	if (p->schema->allow_category)
		suggest_try(&sg, "", "category");
	for (size_t i = 0; i < p->schema->n_flags; i++)
		suggest_try(&sg, "", p->schema->flags[i]);
	size_t skip = 6;
	if (t.len > skip && !memcmp(s, "answer", 6) && s[skip] == 's')
		skip++;
	if (t.len > skip + 1 && !memcmp(s, "answer", 6) &&
	    (s[skip] == '.' || s[skip] == '_')) {
		/* "answers.x", "answer_x": the question after the dot. */
		struct suggestion sq;
		skip++;
		suggest_init(&sq, s + skip, t.len - skip);
		for (size_t i = 0; i < p->schema->n_questions; i++)
			suggest_try(&sq, "answer.", p->schema->questions[i].id);
		if (sq.best)
			sg = sq;
	}
	fail(p, HTD_ERR_INVALID, t.pos, "unknown name %s%s", q,
	     suggest_text(&sg, sug, sizeof(sug)));
}

static uint16_t parse_name(struct parser *p)
{
	struct token t = p->tok;
	uint16_t k;
	static const struct {
		const char *name;
		enum op op;
	} calls[] = {
		{ "answered", OP_ANSWERED },
		{ "indicator", OP_INDICATOR },
		{ "current_indicator", OP_CURRENT_INDICATOR },
		{ "any_indicator", OP_ANY_INDICATOR },
		{ "any_current_indicator", OP_ANY_CURRENT_INDICATOR },
		{ "count", OP_COUNT },
	};

	if (tok_is(p, "true") || tok_is(p, "false")) {
		k = new_node(p, tok_is(p, "true") ? OP_TRUE : OP_FALSE,
		             TYPE_BOOL, t.pos, t.len);
		advance(p);
		return k;
	}
	if (tok_is(p, "and") || tok_is(p, "or") || tok_is(p, "not") ||
	    tok_is(p, "in")) {
		expected_term(p);
		return NONE;
	}
	if (t.len >= 6 && !memcmp(p->src + t.pos, "answer", 6) &&
	    (t.len == 6 || p->src[t.pos + 6] == '.'))
		return parse_answer(p);
	if (tok_is(p, "channel") || tok_is(p, "language") ||
	    tok_is(p, "category")) {
		enum op op = tok_is(p, "channel")    ? OP_CHANNEL
		             : tok_is(p, "language") ? OP_LANGUAGE
		                                     : OP_CATEGORY;
		if (op == OP_CATEGORY && !p->schema->allow_category) {
			fail(p, HTD_ERR_INVALID, t.pos,
			     "\"category\" is not known here: only action and "
			     "priority rules can use it");
			return NONE;
		}
		k = new_node(p, op, TYPE_STRING, t.pos, t.len);
		if (k != NONE)
			p->nodes[k].domain = op == OP_CHANNEL ? DOMAIN_CHANNEL
			                     : op == OP_LANGUAGE
			                         ? DOMAIN_LANGUAGE
			                         : DOMAIN_CATEGORY;
		advance(p);
		return k;
	}
	for (size_t i = 0; i < COUNT(calls); i++)
		if (tok_is(p, calls[i].name))
			return parse_call(p, calls[i].op);
	long f = find_flag(p, p->src + t.pos, t.len);
	if (f >= 0) {
		k = new_node(p, OP_FLAG, TYPE_BOOL, t.pos, t.len);
		if (k == NONE)
			return NONE;
		p->nodes[k].idx = (uint32_t)f;
		pool_set(p, k, p->src + t.pos, t.len, false);
		advance(p);
		return k;
	}
	unknown_name(p);
	return NONE;
}

static uint16_t parse_term(struct parser *p)
{
	struct token t = p->tok;
	uint16_t k;

	if (p->failed)
		return NONE;
	switch (t.kind) {
	case TOK_LPAREN:
		if (!nest_in(p, t.pos))
			return NONE;
		advance(p);
		k = parse_or(p);
		if (p->failed)
			return NONE;
		if (p->tok.kind != TOK_RPAREN) {
			unexpected_after(p, t.pos, "\")\"");
			return NONE;
		}
		p->nesting--;
		advance(p);
		return p->failed ? NONE : k;
	case TOK_STRING:
		k = new_node(p, OP_STRING, TYPE_STRING, t.pos, t.len);
		if (k != NONE)
			pool_set(p, k, p->src + t.pos + 1, t.len - 2, true);
		advance(p);
		return p->failed ? NONE : k;
	case TOK_INT:
		k = new_node(p, OP_INT, TYPE_INT, t.pos, t.len);
		if (k != NONE)
			p->nodes[k].u.num = t.num;
		advance(p);
		return p->failed ? NONE : k;
	case TOK_NAME: k = parse_name(p); return p->failed ? NONE : k;
	default: expected_term(p); return NONE;
	}
}

/* A comparison was just parsed: another comparison operator cannot
 * follow. */
static void no_chain(struct parser *p, uint16_t cmp)
{
	char t[QUOTE_MAX + 8], got[QUOTE_MAX + 8];

	if (p->failed || (p->tok.kind != TOK_CMP && !tok_is(p, "in")))
		return;
	fail(p, HTD_ERR_PARSE, p->tok.pos,
	     "%s cannot follow the comparison \"%s\": comparisons do not "
	     "chain; join two with \"and\"",
	     tok_text(p, &p->tok, got, sizeof(got)),
	     node_text(p, cmp, t, sizeof(t)));
}

static uint16_t parse_compare(struct parser *p)
{
	uint16_t l = parse_term(p);
	char op[4];

	if (p->failed)
		return NONE;
	if (p->tok.kind == TOK_CMP) {
		struct token t = p->tok;
		span_text(p, t.pos, t.len, false, op, sizeof(op));
		advance(p);
		uint16_t r = parse_term(p);
		if (!check_compare(p, op, t.cmp >= CMP_LT, l, r))
			return NONE;
		uint16_t k = new_node(p, OP_COMPARE, TYPE_BOOL, t.pos, t.len);
		if (k == NONE)
			return NONE;
		p->nodes[k].cmp = (uint8_t)t.cmp;
		if (p->nodes[l].domain == DOMAIN_LANGUAGE ||
		    p->nodes[r].domain == DOMAIN_LANGUAGE)
			p->nodes[k].domain = DOMAIN_LANGUAGE;
		add_kid(p, k, l, t.pos);
		add_kid(p, k, r, t.pos);
		no_chain(p, k);
		return p->failed ? NONE : k;
	}
	if (tok_is(p, "in")) {
		struct token t = p->tok;
		char got[QUOTE_MAX + 8];
		advance(p);
		if (p->failed)
			return NONE;
		if (p->tok.kind != TOK_LBRACKET) {
			fail(p, HTD_ERR_PARSE, p->tok.pos,
			     "expected \"[\" after \"in\", not %s",
			     tok_text(p, &p->tok, got, sizeof(got)));
			return NONE;
		}
		size_t open = p->tok.pos;
		if (!nest_in(p, open))
			return NONE;
		advance(p);
		uint16_t k = new_node(p, OP_IN, TYPE_BOOL, t.pos, t.len);
		add_kid(p, k, l, t.pos);
		for (;;) {
			uint16_t e = parse_term(p);
			if (!check_compare(p, "in", false, l, e))
				return NONE;
			if (p->nodes[e].domain == DOMAIN_LANGUAGE)
				p->nodes[k].domain = DOMAIN_LANGUAGE;
			add_kid(p, k, e, t.pos);
			if (p->failed)
				return NONE;
			if (p->tok.kind == TOK_COMMA) {
				advance(p);
				continue;
			}
			if (p->tok.kind == TOK_RBRACKET)
				break;
			unexpected_after(p, open, "\",\" or \"]\"");
			return NONE;
		}
		if (p->nodes[l].domain == DOMAIN_LANGUAGE)
			p->nodes[k].domain = DOMAIN_LANGUAGE;
		p->nodes[k].len = (uint16_t)(p->tok.pos + 1 - p->nodes[k].pos);
		p->nesting--;
		advance(p);
		no_chain(p, k);
		return p->failed ? NONE : k;
	}
	return l;
}

static uint16_t parse_unary(struct parser *p)
{
	if (p->failed)
		return NONE;
	if (!tok_is(p, "not"))
		return parse_compare(p);
	struct token t = p->tok;
	if (!nest_in(p, t.pos))
		return NONE;
	advance(p);
	uint16_t k = parse_unary(p);
	p->nesting--;
	if (!check_bool(p, k, "\"not\" needs true/false after it"))
		return NONE;
	uint16_t n = new_node(p, OP_NOT, TYPE_BOOL, t.pos, t.len);
	add_kid(p, n, k, t.pos);
	return p->failed ? NONE : n;
}

/* and := unary ("and" unary)*, or := and ("or" and)*: one n-ary node. */
static uint16_t parse_chain(struct parser *p, enum op op)
{
	const char *word = op == OP_AND ? "and" : "or";
	const char *need = op == OP_AND
	                       ? "\"and\" needs true/false on both sides"
	                       : "\"or\" needs true/false on both sides";
	uint16_t first = op == OP_AND ? parse_unary(p) : parse_chain(p, OP_AND);

	if (p->failed || !tok_is(p, word))
		return p->failed ? NONE : first;
	size_t op_pos = p->tok.pos;
	if (!check_bool(p, first, need))
		return NONE;
	uint16_t n = new_node(p, op, TYPE_BOOL, op_pos, p->tok.len);
	add_kid(p, n, first, op_pos);
	while (!p->failed && tok_is(p, word)) {
		advance(p);
		uint16_t k =
		    op == OP_AND ? parse_unary(p) : parse_chain(p, OP_AND);
		if (!check_bool(p, k, need))
			return NONE;
		add_kid(p, n, k, op_pos);
	}
	return p->failed ? NONE : n;
}

static uint16_t parse_or(struct parser *p)
{
	return parse_chain(p, OP_OR);
}

/* ---- compile ------------------------------------------------------------- */

enum htd_err rule_compile(const char *src, const struct rule_schema *schema,
                          struct rule_expr **out, struct htd_error *err)
{
	static const struct rule_schema empty = { 0 };
	enum htd_err rc = HTD_OK;

	*out = NULL;
	if (!src)
		return htd_error_at(err, HTD_ERR_INVALID, NULL, 1, 1,
		                    "no expression");
	size_t len = strnlen(src, RULE_SOURCE_MAX + 1);
	if (len > RULE_SOURCE_MAX)
		return htd_error_at(
		    err, HTD_ERR_INVALID, NULL, 1, RULE_SOURCE_MAX + 1,
		    "the expression is longer than %d bytes", RULE_SOURCE_MAX);

	struct parser *p = xcalloc(1, sizeof(*p));
	p->src = src;
	p->len = len;
	p->schema = schema ? schema : &empty;
	p->err = err;
	lex(p);
	if (!p->failed && p->tok.kind == TOK_END)
		fail(p, HTD_ERR_PARSE, 0,
		     "empty expression: write a condition such as "
		     "answer.free_to_leave == \"no\"");
	uint16_t root = parse_or(p);
	if (!p->failed && p->tok.kind != TOK_END) {
		char got[QUOTE_MAX + 8];
		if (p->tok.kind == TOK_RPAREN)
			fail(p, HTD_ERR_PARSE, p->tok.pos,
			     "unexpected \")\": there is no \"(\" to close");
		else if (p->tok.kind == TOK_RBRACKET ||
		         p->tok.kind == TOK_COMMA)
			fail(p, HTD_ERR_PARSE, p->tok.pos,
			     "unexpected %s outside a list",
			     tok_text(p, &p->tok, got, sizeof(got)));
		else
			unexpected_after(p, p->nodes[root].pos,
			                 "\"and\", \"or\" or the end of the "
			                 "expression");
	}
	if (!p->failed)
		check_bool(p, root, "the condition must be true or false");
	if (p->failed) {
		rc = p->code;
		goto out;
	}

	size_t nodes = (size_t)p->n_nodes * sizeof(struct node);
	struct rule_expr *e =
	    xmalloc(sizeof(struct rule_expr) + nodes + p->pool_len);
	e->n_nodes = p->n_nodes;
	e->root = root;
	memcpy(e->nodes, p->nodes, nodes);
	char *pool = (char *)e->nodes + nodes;
	if (p->pool_len)
		memcpy(pool, p->pool, p->pool_len);
	e->pool = pool;
	*out = e;
out:
	free(p);
	return rc;
}

void rule_free(struct rule_expr *e)
{
	free(e);
}

/* ---- evaluation ---------------------------------------------------------- */

/* A value: a number (or bool), or a string. */
struct value {
	bool known; /* a number that is there; a string that is answered */
	int64_t num;
	const char *s;
	size_t len;
};

static const char *fact_answer(const struct rule_facts *f, uint32_t q)
{
	const char *a = f->answers ? f->answers[q] : NULL;
	return a && *a ? a : NULL;
}

static bool hit_has(const struct rule_facts *f, size_t id, unsigned bits)
{
	return (f->indicators[id] & bits) == bits;
}

/* Distinct indicators among `matching` whose hits have `bits`; with
 * `any`, stops at the first. */
static int64_t count_hits(const struct rule_facts *f, uint64_t matching,
                          unsigned bits, bool any)
{
	int64_t n = 0;
	for (uint64_t m = matching; m; m &= m - 1) {
		if (!hit_has(f, (size_t)__builtin_ctzll(m), bits))
			continue;
		n++;
		if (any)
			break;
	}
	return n;
}

static bool eval_bool(const struct rule_expr *e, uint16_t i,
                      const struct rule_facts *f);

/* The text of string node `n`; "" for what is not there. */
static const char *eval_string(const struct rule_expr *e, const struct node *n,
                               const struct rule_facts *f)
{
	const char *s;

	switch (n->op) {
	case OP_STRING: return e->pool + n->u.str.off;
	case OP_ANSWER: s = f->answers ? f->answers[n->idx] : NULL; break;
	case OP_CHANNEL: s = f->channel; break;
	case OP_LANGUAGE: s = f->language; break;
	default: s = f->category; break;
	}
	return s ? s : "";
}

static struct value eval_value(const struct rule_expr *e, uint16_t i,
                               const struct rule_facts *f)
{
	const struct node *n = &e->nodes[i];
	struct value v = { .known = true, .s = "" };

	switch (n->type) {
	case TYPE_STRING:
		v.s = eval_string(e, n, f);
		v.len = strlen(v.s);
		v.known = n->op == OP_STRING || v.len > 0;
		break;
	case TYPE_INT:
		if (n->op == OP_INT) {
			v.num = n->u.num;
		} else if (n->op == OP_COUNT) {
			v.num = count_hits(f, n->u.matching, RULE_HIT_COUNTS,
			                   false);
		} else { /* a number answer */
			const char *a = fact_answer(f, n->idx);
			v.known =
			    a && str_to_i64(a, INT64_MIN, INT64_MAX, &v.num);
		}
		break;
	default: v.num = eval_bool(e, i, f); break;
	}
	return v;
}

/* The length of the primary language subtag: 2 for "es-MX". */
static size_t primary_tag(const char *s)
{
	size_t n = 0;
	while (s[n] && s[n] != '-' && s[n] != '_')
		n++;
	return n;
}

/* Strings hold no NUL (literals cannot, facts are C strings). */
static bool strings_equal(const struct node *c, const char *a, const char *b)
{
	if (c->domain == DOMAIN_LANGUAGE) {
		size_t n = primary_tag(a);
		return n == primary_tag(b) && strncasecmp(a, b, n) == 0;
	}
	return strcmp(a, b) == 0;
}

/* OP_COMPARE and OP_IN. A number that is not there (not answered, not a
 * number) satisfies no comparison. */
static bool eval_compare(const struct rule_expr *e, const struct node *c,
                         const struct rule_facts *f)
{
	const struct node *l = &e->nodes[c->kid];

	if (l->type == TYPE_STRING) {
		const char *a = eval_string(e, l, f);
		if (c->op == OP_IN) {
			for (uint16_t k = l->next; k != NONE;
			     k = e->nodes[k].next)
				if (strings_equal(
				        c, a, eval_string(e, &e->nodes[k], f)))
					return true;
			return false;
		}
		bool eq =
		    strings_equal(c, a, eval_string(e, &e->nodes[l->next], f));
		return c->cmp == CMP_EQ ? eq : !eq;
	}
	struct value a = eval_value(e, c->kid, f);
	if (!a.known)
		return false;
	if (c->op == OP_IN) {
		for (uint16_t k = l->next; k != NONE; k = e->nodes[k].next) {
			struct value b = eval_value(e, k, f);
			if (b.known && a.num == b.num)
				return true;
		}
		return false;
	}
	struct value b = eval_value(e, l->next, f);
	if (!b.known)
		return false;
	switch (c->cmp) {
	case CMP_EQ: return a.num == b.num;
	case CMP_NE: return a.num != b.num;
	case CMP_LT: return a.num < b.num;
	case CMP_LE: return a.num <= b.num;
	case CMP_GT: return a.num > b.num;
	default: return a.num >= b.num;
	}
}

static bool eval_bool(const struct rule_expr *e, uint16_t i,
                      const struct rule_facts *f)
{
	const struct node *n = &e->nodes[i];

	switch (n->op) {
	case OP_TRUE: return true;
	case OP_FLAG: return f->flags && f->flags[n->idx];
	case OP_ANSWERED: return fact_answer(f, n->idx) != NULL;
	case OP_INDICATOR: return hit_has(f, n->idx, RULE_HIT_COUNTS);
	case OP_CURRENT_INDICATOR:
		return hit_has(f, n->idx, RULE_HIT_COUNTS | RULE_HIT_CURRENT);
	case OP_ANY_INDICATOR:
		return count_hits(f, n->u.matching, RULE_HIT_COUNTS, true) > 0;
	case OP_ANY_CURRENT_INDICATOR:
		return count_hits(f, n->u.matching,
		                  RULE_HIT_COUNTS | RULE_HIT_CURRENT, true) > 0;
	case OP_NOT: return !eval_bool(e, n->kid, f);
	case OP_AND:
		for (uint16_t k = n->kid; k != NONE; k = e->nodes[k].next)
			if (!eval_bool(e, k, f))
				return false;
		return true;
	case OP_OR:
		for (uint16_t k = n->kid; k != NONE; k = e->nodes[k].next)
			if (eval_bool(e, k, f))
				return true;
		return false;
	case OP_COMPARE:
	case OP_IN: return eval_compare(e, n, f);
	default: return false;
	}
}

bool rule_eval(const struct rule_expr *e, const struct rule_facts *f)
{
	if (!e || !f)
		return false;
	return eval_bool(e, e->root, f);
}

/* ---- format -------------------------------------------------------------- */

static int precedence(const struct node *n)
{
	switch (n->op) {
	case OP_OR: return 1;
	case OP_AND: return 2;
	case OP_NOT: return 3;
	case OP_COMPARE:
	case OP_IN: return 4;
	default: return 5;
	}
}

static void format_node(const struct rule_expr *e, uint16_t i, struct writer *w,
                        int min)
{
	const struct node *n = &e->nodes[i];
	const char *name = e->pool + n->u.str.off;
	bool paren = precedence(n) < min;

	if (paren)
		w_str(w, "(");
	switch (n->op) {
	case OP_FALSE: w_str(w, "false"); break;
	case OP_TRUE: w_str(w, "true"); break;
	case OP_INT: w_printf(w, "%" PRId64, n->u.num); break;
	case OP_STRING:
		w_put(w, "\"", 1);
		for (uint32_t k = 0; k < n->u.str.len; k++) {
			if (name[k] == '"' || name[k] == '\\')
				w_put(w, "\\", 1);
			w_put(w, name + k, 1);
		}
		w_put(w, "\"", 1);
		break;
	case OP_ANSWER:
		w_str(w, "answer.");
		w_str(w, name);
		break;
	case OP_CHANNEL: w_str(w, "channel"); break;
	case OP_LANGUAGE: w_str(w, "language"); break;
	case OP_CATEGORY: w_str(w, "category"); break;
	case OP_FLAG: w_str(w, name); break;
	case OP_ANSWERED:
		w_str(w, "answered(");
		w_str(w, name);
		w_str(w, ")");
		break;
	case OP_INDICATOR:
	case OP_CURRENT_INDICATOR:
		w_str(w, n->op == OP_INDICATOR ? "indicator("
		                               : "current_indicator(");
		w_str(w, indicator_name((enum indicator_id)n->idx));
		w_str(w, ")");
		break;
	case OP_ANY_INDICATOR:
	case OP_ANY_CURRENT_INDICATOR:
	case OP_COUNT:
		w_str(w, n->op == OP_ANY_INDICATOR ? "any_indicator("
		         : n->op == OP_COUNT       ? "count("
		                                   : "any_current_indicator(");
		w_str(w, amp_name(n->idx));
		w_str(w, ")");
		break;
	case OP_NOT:
		w_str(w, "not ");
		format_node(e, n->kid, w, 3);
		break;
	case OP_AND:
	case OP_OR:
		for (uint16_t k = n->kid; k != NONE; k = e->nodes[k].next) {
			if (k != n->kid)
				w_str(w, n->op == OP_AND ? " and " : " or ");
			format_node(e, k, w, n->op == OP_AND ? 2 : 1);
		}
		break;
	case OP_COMPARE:
		format_node(e, n->kid, w, 5);
		w_str(w, " ");
		w_str(w, cmp_text[n->cmp]);
		w_str(w, " ");
		format_node(e, e->nodes[n->kid].next, w, 5);
		break;
	case OP_IN:
		format_node(e, n->kid, w, 5);
		w_str(w, " in [");
		for (uint16_t k = e->nodes[n->kid].next; k != NONE;
		     k = e->nodes[k].next) {
			if (k != e->nodes[n->kid].next)
				w_str(w, ", ");
			format_node(e, k, w, 5);
		}
		w_str(w, "]");
		break;
	default: break;
	}
	if (paren)
		w_str(w, ")");
}

const char *rule_format(const struct rule_expr *e, char *out, size_t size)
{
	struct writer w;

	if (!out || size == 0)
		return out;
	w_init(&w, out, size);
	if (e)
		format_node(e, e->root, &w, 0);
	w_finish(&w);
	return out;
}

/* ---- explain ------------------------------------------------------------- */

struct fact_list {
	struct rule_fact *out;
	size_t max, n;
};

/* Describes the value of non-literal operand `i`: "is \"yes\"", "not
 * answered", "not known". */
static void describe_value(const struct rule_expr *e, uint16_t i,
                           const struct rule_facts *f, struct writer *w)
{
	const struct node *n = &e->nodes[i];
	struct value v = eval_value(e, i, f);

	if (n->type == TYPE_INT) {
		const char *a = fact_answer(f, n->idx);
		if (!a) {
			w_str(w, "not answered");
			return;
		}
		w_str(w, "is ");
		w_quoted(w, a, strlen(a), FACT_VALUE_MAX);
		w_str(w, ", not a number");
		return;
	}
	if (!v.known) {
		w_str(w, n->op == OP_ANSWER ? "not answered" : "not known");
		return;
	}
	w_str(w, "is ");
	w_quoted(w, v.s, v.len, FACT_VALUE_MAX);
}

/* "answer.x != \"no\" (is \"yes\")", "count(means) = 2 >= 2". */
static void fact_compare(const struct rule_expr *e, const struct node *c,
                         const struct rule_facts *f, bool result,
                         struct writer *w)
{
	uint16_t l = c->kid, r = e->nodes[l].next;
	const struct node *ln = &e->nodes[l];
	uint8_t type = ln->type;
	uint16_t sides[2] = { l, c->op == OP_COMPARE ? r : NONE };
	bool unknown = false;

	if (type == TYPE_INT) {
		/* A number that is not there: no comparison holds. */
		for (int s = 0; s < 2; s++)
			if (sides[s] != NONE &&
			    !eval_value(e, sides[s], f).known)
				unknown = true;
		if (unknown) {
			w_str(w, "not ");
			format_node(e, (uint16_t)(c - e->nodes), w, 3);
			w_str(w, " (");
			for (int s = 0, first = 1; s < 2; s++) {
				if (sides[s] == NONE ||
				    eval_value(e, sides[s], f).known)
					continue;
				if (!first)
					w_str(w, "; ");
				first = 0;
				format_node(e, sides[s], w, 5);
				w_str(w, " ");
				describe_value(e, sides[s], f, w);
			}
			w_str(w, ")");
			return;
		}
	}

	if (c->op == OP_IN) {
		format_node(e, l, w, 5);
		if (type == TYPE_INT && !is_literal(ln))
			w_printf(w, " = %" PRId64, eval_value(e, l, f).num);
		w_str(w, result ? " in [" : " not in [");
		for (uint16_t k = r; k != NONE; k = e->nodes[k].next) {
			if (k != r)
				w_str(w, ", ");
			format_node(e, k, w, 5);
		}
		w_str(w, "]");
		if (type == TYPE_STRING && !is_literal(ln)) {
			w_str(w, " (");
			describe_value(e, l, f, w);
			w_str(w, ")");
		}
		return;
	}

	enum cmp op = result ? (enum cmp)c->cmp : cmp_inverse[c->cmp];
	const struct node *rn = &e->nodes[r];
	bool has_literal = is_literal(ln) || is_literal(rn);
	bool evident = false;
	if (op == CMP_EQ && has_literal && is_literal(ln) != is_literal(rn)) {
		/* x == "no" that holds says the value, unless a language
		 * matched by its primary tag only. */
		struct value a = eval_value(e, l, f), b = eval_value(e, r, f);
		evident = type != TYPE_STRING ||
		          (a.len == b.len && memcmp(a.s, b.s, a.len) == 0);
	}
	for (int s = 0; s < 2; s++) {
		if (s) {
			w_str(w, " ");
			w_str(w, cmp_text[op]);
			w_str(w, " ");
		}
		format_node(e, sides[s], w, 5);
		if (type == TYPE_INT && !evident &&
		    !is_literal(&e->nodes[sides[s]]))
			w_printf(w, " = %" PRId64,
			         eval_value(e, sides[s], f).num);
	}
	if (type != TYPE_STRING || evident)
		return;
	bool both = !is_literal(ln) && !is_literal(rn);
	bool any = false;
	for (int s = 0; s < 2; s++) {
		if (is_literal(&e->nodes[sides[s]]))
			continue;
		w_str(w, any ? ", " : " (");
		any = true;
		if (both) {
			format_node(e, sides[s], w, 5);
			w_str(w, " ");
		}
		describe_value(e, sides[s], f, w);
	}
	if (any)
		w_str(w, ")");
}

/* Writes the fact of atom `i`, whose value is `result`. */
static void add_fact(const struct rule_expr *e, uint16_t i,
                     const struct rule_facts *f, bool result,
                     struct fact_list *fl)
{
	const struct node *n = &e->nodes[i];
	struct writer w;

	if (fl->n >= fl->max)
		return;
	w_init(&w, fl->out[fl->n].text, RULE_FACT_MAX);
	fl->n++;
	switch (n->op) {
	case OP_COMPARE:
	case OP_IN: fact_compare(e, n, f, result, &w); break;
	case OP_ANY_INDICATOR:
	case OP_ANY_CURRENT_INDICATOR:
		if (!result) {
			w_str(&w, "not ");
			format_node(e, i, &w, 5);
			break;
		}
		format_node(e, i, &w, 5);
		w_str(&w, ":");
		unsigned bits = RULE_HIT_COUNTS;
		if (n->op == OP_ANY_CURRENT_INDICATOR)
			bits |= RULE_HIT_CURRENT;
		for (size_t k = 0, first = 1; k < INDICATOR__COUNT; k++) {
			if (!(n->u.matching & (UINT64_C(1) << k)) ||
			    !hit_has(f, k, bits))
				continue;
			w_str(&w, first ? " " : ", ");
			first = 0;
			w_str(&w, indicator_name((enum indicator_id)k));
		}
		break;
	default:
		if (!result)
			w_str(&w, "not ");
		format_node(e, i, &w, 5);
		break;
	}
	w_finish(&w);
}

/* Explains node `i`; returns its value. */
static bool explain_node(const struct rule_expr *e, uint16_t i,
                         const struct rule_facts *f, struct fact_list *fl)
{
	const struct node *n = &e->nodes[i];

	switch (n->op) {
	case OP_TRUE: return true;
	case OP_FALSE: return false;
	case OP_NOT: return !explain_node(e, n->kid, f, fl);
	case OP_AND:
	case OP_OR: {
		/* The operand that decides (a false one for "and", a true
		 * one for "or") alone; else all of them. */
		bool decides = n->op == OP_OR;
		for (uint16_t k = n->kid; k != NONE; k = e->nodes[k].next) {
			if (eval_bool(e, k, f) == decides) {
				explain_node(e, k, f, fl);
				return decides;
			}
		}
		for (uint16_t k = n->kid; k != NONE; k = e->nodes[k].next)
			explain_node(e, k, f, fl);
		return !decides;
	}
	default: {
		bool v = eval_bool(e, i, f);
		add_fact(e, i, f, v, fl);
		return v;
	}
	}
}

size_t rule_explain(const struct rule_expr *e, const struct rule_facts *f,
                    bool *result, struct rule_fact *out, size_t max)
{
	struct fact_list fl = { out, out ? max : 0, 0 };
	bool v = false;

	if (e && f)
		v = explain_node(e, e->root, f, &fl);
	if (result)
		*result = v;
	return fl.n;
}

/* ---- refs and literals --------------------------------------------------- */

void rule_refs_collect(const struct rule_expr *e, struct rule_refs *refs)
{
	if (!e || !refs)
		return;
	for (uint16_t i = 0; i < e->n_nodes; i++) {
		const struct node *n = &e->nodes[i];
		switch (n->op) {
		case OP_ANSWER:
		case OP_ANSWERED:
			if (refs->questions)
				refs->questions[n->idx] = true;
			break;
		case OP_FLAG:
			if (refs->flags)
				refs->flags[n->idx] = true;
			break;
		case OP_INDICATOR:
		case OP_CURRENT_INDICATOR:
			refs->indicators[n->idx] = true;
			break;
		case OP_ANY_INDICATOR:
		case OP_ANY_CURRENT_INDICATOR:
		case OP_COUNT: refs->amp |= n->idx; break;
		case OP_CHANNEL: refs->channel = true; break;
		case OP_LANGUAGE: refs->language = true; break;
		case OP_CATEGORY: refs->category = true; break;
		default: break;
		}
	}
}

static bool is_question(const struct rule_expr *e, uint16_t i, size_t q)
{
	return e->nodes[i].op == OP_ANSWER && e->nodes[i].idx == q;
}

static void literal_call(const struct rule_expr *e, uint16_t i,
                         void (*fn)(void *ctx, const char *literal), void *ctx)
{
	const struct node *n = &e->nodes[i];
	char num[24];

	if (n->op == OP_STRING) {
		fn(ctx, e->pool + n->u.str.off);
	} else if (n->op == OP_INT) {
		snprintf(num, sizeof(num), "%" PRId64, n->u.num);
		fn(ctx, num);
	}
}

void rule_literals_each(const struct rule_expr *e, size_t question,
                        void (*fn)(void *ctx, const char *literal), void *ctx)
{
	if (!e || !fn)
		return;
	for (uint16_t i = 0; i < e->n_nodes; i++) {
		const struct node *n = &e->nodes[i];
		if (n->op != OP_COMPARE && n->op != OP_IN)
			continue;
		uint16_t l = n->kid, first = e->nodes[l].next;
		if (is_question(e, l, question)) {
			for (uint16_t k = first; k != NONE;
			     k = e->nodes[k].next)
				literal_call(e, k, fn, ctx);
			continue;
		}
		for (uint16_t k = first; k != NONE; k = e->nodes[k].next) {
			if (is_question(e, k, question)) {
				literal_call(e, l, fn, ctx);
				break;
			}
		}
	}
}
