/*
 * protocol_lint.c - what the loader cannot see one node at a time (the
 * checks of `htdispatch check`): texts missing in a language, questions
 * never asked, rules that never fire or are shadowed, categories no rule
 * gives or without actions, actions never required.
 *
 * Conditions are opaque here (core/rules): each one says what it refers to
 * and which literals it compares answers with. Every atom (an answer, a
 * flag, an indicator, a group of indicators of one AMP element, channel,
 * language, category) gets a small domain, one value per class of values
 * the rules cannot tell apart, and a check searches the product of the
 * domains exhaustively, split into parts that do not share atoms. A search
 * over PROTOCOL_LINT_SPACE_MAX is skipped (counted), never guessed. Pure.
 */
#include "core/protocol.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/buf.h"
#include "util/mem.h"
#include "util/str.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* Evaluations one search may make before it is given up: bounds the time
 * of a check whose parts are each small but many. */
#define LINT_EVALS_MAX ((uint64_t)1 << 23)

/* Room for one expression written back by rule_format(). */
#define LINT_FORMAT_MAX (4 * RULE_SOURCE_MAX)

/* Group atoms (indicators of one AMP element): value = count << 2 | bits. */
#define GROUP_BITS_MASK 3u
#define GROUP_COUNT_SHIFT 2

/* The categories a call can be given (domain.md section 2). */
static const enum call_category lint_categories[] = {
	CALL_CATEGORY_VICTIM_ESCAPE,
	CALL_CATEGORY_VICTIM_CALL,
	CALL_CATEGORY_CREDIBLE_TIP,
	CALL_CATEGORY_OTHER,
};

/* ---- small lists -------------------------------------------------------- */

/* Distinct strings, owned. */
struct strlist {
	char **items;
	size_t n;
};

static bool strlist_has(const struct strlist *l, const char *s)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->items[i], s) == 0)
			return true;
	return false;
}

static void strlist_add(struct strlist *l, const char *s)
{
	if (strlist_has(l, s))
		return;
	l->items = xrealloc(l->items, (l->n + 1) * sizeof(*l->items));
	l->items[l->n++] = xstrdup(s);
}

static void strlist_free(struct strlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->items[i]);
	free(l->items);
	l->items = NULL;
	l->n = 0;
}

static void strlist_add_cb(void *ctx, const char *literal)
{
	strlist_add(ctx, literal);
}

/* ---- the search space --------------------------------------------------- */

enum atom_kind {
	ATOM_QUESTION,  /* answers[index] */
	ATOM_FLAG,      /* flags[index] */
	ATOM_INDICATOR, /* indicators[index], referred to by its id */
	ATOM_GROUP,     /* indicators of one AMP element no rule names */
	ATOM_CHANNEL,
	ATOM_LANGUAGE,
	ATOM_CATEGORY,
};

struct atom_value {
	char *text;    /* owned; questions (NULL: unanswered), names */
	unsigned bits; /* flags 0/1, indicator bits, group count << 2 | bits */
};

struct atom {
	enum atom_kind kind;
	size_t index;
	struct atom_value *values; /* owned; never empty */
	size_t n_values;
	enum indicator_id members[INDICATOR__COUNT]; /* ATOM_GROUP */
	size_t n_members;
	size_t current; /* the value in the facts now */
};

/* The atoms a set of conditions reads, and which condition reads which. */
struct space {
	struct atom *atoms; /* owned */
	size_t n_atoms;
	const struct rule_expr *const *rules; /* borrowed; NULL: always true */
	size_t n_rules;
	bool *dep; /* owned; dep[r * n_atoms + a]: rule r reads atom a */
};

enum search_result { SEARCH_NONE, SEARCH_FOUND, SEARCH_SKIPPED };

struct lint {
	const struct protocol *proto;
	const struct policy *pol;
	protocol_lint_fn fn;
	void *ctx;
	size_t findings;
	struct protocol_lint_stats stats;
	/* The facts every search writes its assignments into. */
	const char **answers;
	size_t n_answers;
	bool *flags;
	size_t n_flags;
	struct rule_facts facts;
	const char *category; /* facts.category between assignments */
	uint64_t evals;       /* in the current search */
	char *format;         /* [LINT_FORMAT_MAX] */
};

static void finding(struct lint *L, const char *file,
                    struct protocol_origin origin, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void finding(struct lint *L, const char *file,
                    struct protocol_origin origin, const char *fmt, ...)
{
	char message[HTD_ERROR_MESSAGE_MAX];
	va_list ap;
	struct htd_error e;

	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	htd_error_at(&e, HTD_ERR_INVALID, file, origin.line, origin.column,
	             "%s", message);
	L->findings++;
	if (L->fn)
		L->fn(L->ctx, &e);
}

/* An answer's text as the rules see it ("" when not answered) compared
 * with a literal; language tags compare by primary subtag, as core/rules
 * does. */
static bool text_equals(const char *value, const char *literal, bool language)
{
	const char *v = value ? value : "";
	if (!language)
		return strcmp(v, literal) == 0;
	size_t lv = strcspn(v, "-_"), ll = strcspn(literal, "-_");
	return lv == ll && strncasecmp(v, literal, lv) == 0;
}

/* How a domain's values are told apart. */
struct classes {
	const struct strlist *literals; /* what the rules compare with */
	bool null_distinct;             /* answered() is used */
	bool language;                  /* compared as language tags */
};

/* True when no rule can tell `a` from `b`: they compare alike with every
 * literal, and answered() sees them alike. */
static bool same_class(const char *a, const char *b, const struct classes *c)
{
	if (c->null_distinct && (a == NULL) != (b == NULL))
		return false;
	for (size_t i = 0; i < c->literals->n; i++)
		if (text_equals(a, c->literals->items[i], c->language) !=
		    text_equals(b, c->literals->items[i], c->language))
			return false;
	return true;
}

static void atom_add_value(struct atom *a, const char *text, unsigned bits)
{
	a->values = xrealloc(a->values, (a->n_values + 1) * sizeof(*a->values));
	a->values[a->n_values].text = text ? xstrdup(text) : NULL;
	a->values[a->n_values].bits = bits;
	a->n_values++;
}

/* Keeps one candidate per class (see same_class()). */
static void atom_add_classes(struct atom *a, const char *const *cands, size_t n,
                             const struct classes *c)
{
	for (size_t i = 0; i < n; i++) {
		bool seen = false;
		for (size_t k = 0; k < a->n_values && !seen; k++)
			seen = same_class(cands[i], a->values[k].text, c);
		if (!seen)
			atom_add_value(a, cands[i], 0);
	}
}

/* Skips blanks in formatted rule text. */
static const char *skip_blanks(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\n')
		p++;
	return p;
}

/* True when `text` has answered(ID) (blanks and quotes allowed). */
static bool text_has_answered(const char *text, const char *id)
{
	size_t len = strlen(id);
	for (const char *p = strstr(text, "answered"); p;
	     p = strstr(p + 1, "answered")) {
		const char *q = skip_blanks(p + strlen("answered"));
		if (*q++ != '(')
			continue;
		q = skip_blanks(q);
		bool quoted = *q == '"';
		q += quoted;
		if (strncmp(q, id, len) != 0)
			continue;
		q += len;
		if (quoted && *q++ != '"')
			continue;
		if (*skip_blanks(q) == ')')
			return true;
	}
	return false;
}

/* Adds to `strings` every string literal of formatted rule text, and to
 * `integers` every integer literal (as written). */
static void text_literals(const char *text, struct strlist *strings,
                          struct strlist *integers)
{
	struct buf b;
	buf_init(&b, 0);
	for (const char *p = text; *p;) {
		if (*p == '"') {
			buf_reset(&b);
			for (p++; *p && *p != '"'; p++) {
				if (*p == '\\' && p[1])
					p++;
				buf_append(&b, p, 1);
			}
			if (*p)
				p++;
			strlist_add(strings, buf_str(&b));
			continue;
		}
		bool word = p > text && (p[-1] == '_' || p[-1] == '.' ||
		                         (p[-1] >= 'a' && p[-1] <= 'z') ||
		                         (p[-1] >= 'A' && p[-1] <= 'Z') ||
		                         (p[-1] >= '0' && p[-1] <= '9'));
		if (*p >= '0' && *p <= '9' && !word) {
			const char *start = p;
			while (*p >= '0' && *p <= '9')
				p++;
			buf_reset(&b);
			buf_append(&b, start, (size_t)(p - start));
			strlist_add(integers, buf_str(&b));
			continue;
		}
		p++;
	}
	buf_free(&b);
}

static void number_add(struct atom *a, int64_t v, int64_t min, int64_t max)
{
	char text[32];
	if (min < max && (v < min || v > max))
		return;
	str_format(text, sizeof(text), "%lld", (long long)v);
	for (size_t i = 0; i < a->n_values; i++)
		if (a->values[i].text && strcmp(a->values[i].text, text) == 0)
			return;
	atom_add_value(a, text, 0);
}

/* The domain of question `q`'s answer: unanswered, the values the rules
 * compare it with, and one value they do not (numbers: around each). */
static void question_domain(const struct lint *L,
                            const struct rule_schema *schema,
                            const struct rule_expr *const *rules,
                            const struct rule_refs *refs, size_t n_rules,
                            const char *text, size_t q, struct atom *a)
{
	static const char *const yes_no[] = { NULL, "yes", "no", "unknown" };
	const struct rule_question *rq = &schema->questions[q];
	struct strlist lits = { 0 };
	struct classes c = { &lits, text_has_answered(text, rq->id),
		             rq->kind == RULE_ANSWER_LANGUAGE };

	for (size_t r = 0; r < n_rules; r++)
		if (rules[r] && refs[r].questions[q])
			rule_literals_each(rules[r], q, strlist_add_cb, &lits);

	switch (rq->kind) {
	case RULE_ANSWER_YES_NO:
		atom_add_classes(a, yes_no, COUNT(yes_no), &c);
		break;
	case RULE_ANSWER_CHOICE: {
		atom_add_classes(a, (const char *const[]){ NULL }, 1, &c);
		atom_add_classes(a, rq->choices, rq->n_choices, &c);
		break;
	}
	case RULE_ANSWER_NUMBER: {
		int64_t min = 0, max = 0;
		if (L->proto && q < L->proto->n_questions) {
			min = L->proto->questions[q].min;
			max = L->proto->questions[q].max;
		}
		atom_add_value(a, NULL, 0);
		for (size_t i = 0; i < lits.n; i++) {
			int64_t v;
			if (!str_to_i64(lits.items[i], INT64_MIN, INT64_MAX,
			                &v))
				continue;
			if (v > INT64_MIN)
				number_add(a, v - 1, min, max);
			number_add(a, v, min, max);
			if (v < INT64_MAX)
				number_add(a, v + 1, min, max);
		}
		if (a->n_values == 1)
			number_add(a, min < max && min > 0 ? min : 0, min, max);
		if (a->n_values == 1)
			number_add(a, max, min, max);
		break;
	}
	case RULE_ANSWER_TEXT:
	case RULE_ANSWER_LANGUAGE:
	default: {
		/* A value no literal equals: "x", "xx", ... */
		char fresh[64] = "x";
		for (size_t len = 1;
		     strlist_has(&lits, fresh) && len + 1 < sizeof(fresh);
		     len++)
			fresh[len] = 'x';
		atom_add_classes(a, (const char *const[]){ NULL }, 1, &c);
		atom_add_classes(a, (const char *const *)lits.items, lits.n,
		                 &c);
		if (rq->kind == RULE_ANSWER_LANGUAGE)
			atom_add_classes(a, (const char *const[]){ "en", "zz" },
			                 2, &c);
		atom_add_classes(a, (const char *const[]){ fresh }, 1, &c);
		break;
	}
	}
	strlist_free(&lits);
}

/* Rule `refs` reads an indicator with AMP elements `amp` through
 * any_indicator(), any_current_indicator() or count(). */
static bool amp_reads(unsigned refs_amp, unsigned amp)
{
	return (refs_amp & RULE_AMP_ANY) || (refs_amp & amp);
}

static bool rule_reads(const struct rule_refs *r, const struct atom *a)
{
	switch (a->kind) {
	case ATOM_QUESTION: return r->questions[a->index];
	case ATOM_FLAG: return r->flags[a->index];
	case ATOM_INDICATOR:
		return r->indicators[a->index] ||
		       amp_reads(r->amp,
		                 indicator_amp((enum indicator_id)a->index));
	case ATOM_GROUP:
		for (size_t m = 0; m < a->n_members; m++)
			if (amp_reads(r->amp, indicator_amp(a->members[m])))
				return true;
		return false;
	case ATOM_CHANNEL: return r->channel;
	case ATOM_LANGUAGE: return r->language;
	case ATOM_CATEGORY: return r->category;
	}
	return false;
}

static struct atom *space_atom(struct space *s, enum atom_kind kind,
                               size_t index)
{
	s->atoms = xrealloc(s->atoms, (s->n_atoms + 1) * sizeof(*s->atoms));
	struct atom *a = &s->atoms[s->n_atoms++];
	memset(a, 0, sizeof(*a));
	a->kind = kind;
	a->index = index;
	return a;
}

static unsigned popcount(unsigned v)
{
	unsigned n = 0;
	for (; v; v &= v - 1)
		n++;
	return n;
}

/* The indicators no rule names but some rule reads through its AMP element,
 * one atom per element (the lowest of theirs that is read; "any" for the
 * rest). Values: none, one (counting, current or not), and as many as the
 * integer literals suggest when count() is used. */
static void space_groups(struct space *s, const bool *named, unsigned amp,
                         const char *text, const struct strlist *integers)
{
	bool current = strstr(text, "current") != NULL;
	bool counted = strstr(text, "count") != NULL;
	unsigned elements = amp & ~RULE_AMP_ANY;
	unsigned keys[8] = { 0 };
	size_t n_keys = 0;

	for (unsigned bit = 1; bit && bit <= AMP_MINOR; bit <<= 1)
		if (elements & bit)
			keys[n_keys++] = bit;
	if (amp & RULE_AMP_ANY)
		keys[n_keys++] = RULE_AMP_ANY;

	for (size_t k = 0; k < n_keys; k++) {
		struct atom g = { .kind = ATOM_GROUP, .index = keys[k] };
		/* Indicators of this element alone first, so that one of
		 * them does not also stand for another element. */
		for (unsigned width = 0; width <= 6; width++) {
			for (size_t id = 0; id < INDICATOR__COUNT; id++) {
				unsigned ia = indicator_amp(id);
				unsigned mine = ia & elements;
				unsigned key =
				    mine ? mine & -mine : RULE_AMP_ANY;
				if (named[id] || key != keys[k] ||
				    popcount(mine) != width)
					continue;
				g.members[g.n_members++] = id;
			}
		}
		if (g.n_members == 0)
			continue;
		struct atom *a = space_atom(s, ATOM_GROUP, keys[k]);
		memcpy(a->members, g.members, sizeof(g.members));
		a->n_members = g.n_members;
		atom_add_value(a, NULL, 0);
		for (size_t n = 1; n <= a->n_members; n++) {
			bool wanted = n == 1;
			for (size_t i = 0; counted && i < integers->n; i++) {
				int64_t v;
				if (str_to_i64(integers->items[i], 0,
				               INDICATOR__COUNT + 1, &v) &&
				    (int64_t)n >= v - 1 && (int64_t)n <= v + 1)
					wanted = true;
			}
			if (!wanted)
				continue;
			unsigned count = (unsigned)n << GROUP_COUNT_SHIFT;
			atom_add_value(a, NULL,
			               count | RULE_HIT_COUNTS |
			                   RULE_HIT_CURRENT);
			if (current)
				atom_add_value(a, NULL,
				               count | RULE_HIT_COUNTS);
		}
	}
}

static void space_free(struct space *s)
{
	for (size_t i = 0; i < s->n_atoms; i++) {
		for (size_t v = 0; v < s->atoms[i].n_values; v++)
			free(s->atoms[i].values[v].text);
		free(s->atoms[i].values);
	}
	free(s->atoms);
	free(s->dep);
	memset(s, 0, sizeof(*s));
}

/*
 * Builds the atoms `n` conditions read (compiled against `schema`), with
 * their domains. `category_atom`: `category` ranges over the categories
 * (else it stays what L->category says).
 */
static void space_build(struct lint *L, const struct rule_schema *schema,
                        const struct rule_expr *const *rules, size_t n,
                        bool category_atom, struct space *s)
{
	struct rule_refs *refs = xcalloc(n ? n : 1, sizeof(*refs));
	struct rule_refs all = { 0 };
	struct strlist strings = { 0 }, integers = { 0 };
	struct buf text;
	bool named[INDICATOR__COUNT] = { false };

	memset(s, 0, sizeof(*s));
	s->rules = rules;
	s->n_rules = n;
	buf_init(&text, 0);
	all.questions = xcalloc(schema->n_questions + 1, sizeof(bool));
	all.flags = xcalloc(schema->n_flags + 1, sizeof(bool));
	for (size_t r = 0; r < n; r++) {
		refs[r].questions =
		    xcalloc(schema->n_questions + 1, sizeof(bool));
		refs[r].flags = xcalloc(schema->n_flags + 1, sizeof(bool));
		if (!rules[r])
			continue;
		rule_refs_collect(rules[r], &refs[r]);
		for (size_t q = 0; q < schema->n_questions; q++)
			all.questions[q] |= refs[r].questions[q];
		for (size_t f = 0; f < schema->n_flags; f++)
			all.flags[f] |= refs[r].flags[f];
		for (size_t i = 0; i < INDICATOR__COUNT; i++)
			all.indicators[i] |= refs[r].indicators[i];
		all.amp |= refs[r].amp;
		all.channel |= refs[r].channel;
		all.language |= refs[r].language;
		all.category |= refs[r].category;
		buf_puts(&text,
		         rule_format(rules[r], L->format, LINT_FORMAT_MAX));
		buf_puts(&text, "\n");
	}
	text_literals(buf_str(&text), &strings, &integers);

	for (size_t q = 0; q < schema->n_questions; q++)
		if (all.questions[q])
			question_domain(L, schema, rules, refs, n,
			                buf_str(&text), q,
			                space_atom(s, ATOM_QUESTION, q));
	for (size_t f = 0; f < schema->n_flags; f++) {
		if (!all.flags[f])
			continue;
		struct atom *a = space_atom(s, ATOM_FLAG, f);
		atom_add_value(a, NULL, 0);
		atom_add_value(a, NULL, 1);
	}
	bool current = strstr(buf_str(&text), "current") != NULL;
	for (size_t i = 0; i < INDICATOR__COUNT; i++) {
		if (!all.indicators[i])
			continue;
		named[i] = true;
		struct atom *a = space_atom(s, ATOM_INDICATOR, i);
		atom_add_value(a, NULL, 0);
		atom_add_value(a, NULL, RULE_HIT_COUNTS | RULE_HIT_CURRENT);
		if (current)
			atom_add_value(a, NULL, RULE_HIT_COUNTS);
	}
	space_groups(s, named, all.amp, buf_str(&text), &integers);
	struct classes names_classes = { &strings, false, false };
	struct classes tag_classes = { &strings, false, true };
	if (all.channel) {
		const char *names[CALL_CHANNEL__COUNT];
		for (size_t c = 0; c < CALL_CHANNEL__COUNT; c++)
			names[c] = call_channel_name((enum call_channel)c);
		atom_add_classes(space_atom(s, ATOM_CHANNEL, 0), names,
		                 COUNT(names), &names_classes);
	}
	if (all.language) {
		struct atom *a = space_atom(s, ATOM_LANGUAGE, 0);
		atom_add_classes(a, (const char *const *)strings.items,
		                 strings.n, &tag_classes);
		atom_add_classes(a, (const char *const[]){ "en", "zz" }, 2,
		                 &tag_classes);
	}
	if (all.category && category_atom) {
		const char *names[CALL_CATEGORY__COUNT];
		for (size_t c = 0; c < CALL_CATEGORY__COUNT; c++)
			names[c] = call_category_name((enum call_category)c);
		atom_add_classes(space_atom(s, ATOM_CATEGORY, 0), names,
		                 COUNT(names), &names_classes);
	}

	s->dep = xcalloc(n * s->n_atoms + 1, sizeof(bool));
	for (size_t r = 0; r < n; r++)
		for (size_t a = 0; a < s->n_atoms; a++)
			s->dep[r * s->n_atoms + a] =
			    rules[r] && rule_reads(&refs[r], &s->atoms[a]);

	for (size_t r = 0; r < n; r++) {
		free(refs[r].questions);
		free(refs[r].flags);
	}
	free(refs);
	free(all.questions);
	free(all.flags);
	strlist_free(&strings);
	strlist_free(&integers);
	buf_free(&text);
}

/* ---- searching ---------------------------------------------------------- */

static void atom_apply(struct lint *L, const struct atom *a)
{
	const struct atom_value *v = &a->values[a->current];
	switch (a->kind) {
	case ATOM_QUESTION: L->answers[a->index] = v->text; break;
	case ATOM_FLAG: L->flags[a->index] = v->bits != 0; break;
	case ATOM_INDICATOR:
		L->facts.indicators[a->index] = (unsigned char)v->bits;
		break;
	case ATOM_GROUP: {
		size_t count = v->bits >> GROUP_COUNT_SHIFT;
		for (size_t m = 0; m < a->n_members; m++)
			L->facts.indicators[a->members[m]] =
			    m < count
			        ? (unsigned char)(v->bits & GROUP_BITS_MASK)
			        : 0;
		break;
	}
	case ATOM_CHANNEL: L->facts.channel = v->text; break;
	case ATOM_LANGUAGE: L->facts.language = v->text; break;
	case ATOM_CATEGORY: L->facts.category = v->text; break;
	}
}

static void facts_reset(struct lint *L)
{
	for (size_t i = 0; i < L->n_answers; i++)
		L->answers[i] = NULL;
	memset(L->flags, 0, L->n_flags * sizeof(*L->flags));
	memset(&L->facts, 0, sizeof(L->facts));
	L->facts.answers = L->answers;
	L->facts.flags = L->flags;
	L->facts.channel = call_channel_name(CALL_CHANNEL_VOICE);
	L->facts.language = "en";
	L->facts.category = L->category;
}

static bool holds(struct lint *L, const struct rule_expr *e)
{
	L->evals++;
	return !e || rule_eval(e, &L->facts);
}

/* A part of a search: rules that must all fail, over atoms only they (of
 * the rules searched) read besides the target's. */
struct part {
	size_t *rules; /* indices in the space */
	size_t n_rules;
	size_t *atoms;
	size_t n_atoms;
};

struct search {
	struct lint *L;
	struct space *s;
	size_t target;
	struct part *parts;
	size_t n_parts;
};

/* Returns 1 when the assignment is a witness, 0 when not, -1 to give up. */
typedef int (*visit_fn)(struct search *S, const struct part *p);

/* Tries every value of `atoms` (odometer order), calling `visit` after
 * each; stops at the first witness. */
static int odometer(struct search *S, const size_t *atoms, size_t n,
                    visit_fn visit, const struct part *p)
{
	for (size_t i = 0; i < n; i++) {
		S->s->atoms[atoms[i]].current = 0;
		atom_apply(S->L, &S->s->atoms[atoms[i]]);
	}
	for (;;) {
		if (S->L->evals > LINT_EVALS_MAX)
			return -1;
		int r = visit(S, p);
		if (r != 0)
			return r;
		size_t i = 0;
		for (; i < n; i++) {
			struct atom *a = &S->s->atoms[atoms[i]];
			bool carry = ++a->current == a->n_values;
			if (carry)
				a->current = 0;
			atom_apply(S->L, a);
			if (!carry)
				break;
		}
		if (i == n)
			return 0;
	}
}

/* Every rule of the part fails. */
static int part_visit(struct search *S, const struct part *p)
{
	for (size_t i = 0; i < p->n_rules; i++)
		if (holds(S->L, S->s->rules[p->rules[i]]))
			return 0;
	return 1;
}

/* The target holds, and each part can be made to fail. */
static int target_visit(struct search *S, const struct part *unused)
{
	(void)unused;
	if (!holds(S->L, S->s->rules[S->target]))
		return 0;
	for (size_t i = 0; i < S->n_parts; i++) {
		const struct part *p = &S->parts[i];
		int r = odometer(S, p->atoms, p->n_atoms, part_visit, p);
		if (r != 1)
			return r;
	}
	return 1;
}

static bool space_small(const struct space *s, const size_t *atoms, size_t n)
{
	uint64_t size = 1;
	for (size_t i = 0; i < n; i++) {
		size *= s->atoms[atoms[i]].n_values;
		if (size > PROTOCOL_LINT_SPACE_MAX)
			return false;
	}
	return true;
}

static size_t find_root(size_t *parent, size_t i)
{
	while (parent[i] != i)
		i = parent[i] = parent[parent[i]];
	return i;
}

/*
 * Is there an assignment that makes rule `target` of `s` hold and every
 * rule in `avoid` fail? The atoms the target reads are enumerated; for
 * each assignment where it holds, the other rules are split into parts
 * that share no other atom, each searched on its own.
 */
static enum search_result space_search(struct lint *L, struct space *s,
                                       size_t target, const size_t *avoid,
                                       size_t n_avoid)
{
	size_t na = s->n_atoms;
	size_t *outer = xcalloc(na + 1, sizeof(*outer));
	size_t *parent = xcalloc(n_avoid + 1, sizeof(*parent));
	struct part *parts = xcalloc(n_avoid + 1, sizeof(*parts));
	size_t n_outer = 0, n_parts = 0;
	enum search_result result = SEARCH_SKIPPED;
	bool small;

	for (size_t a = 0; a < na; a++)
		if (s->dep[target * na + a])
			outer[n_outer++] = a;
	/* Rules that read a common atom (not the target's) are one part. */
	for (size_t k = 0; k < n_avoid; k++)
		parent[k] = k;
	for (size_t a = 0; a < na; a++) {
		if (s->dep[target * na + a])
			continue;
		size_t first = SIZE_MAX;
		for (size_t k = 0; k < n_avoid; k++) {
			if (!s->dep[avoid[k] * na + a])
				continue;
			if (first == SIZE_MAX)
				first = k;
			else
				parent[find_root(parent, k)] =
				    find_root(parent, first);
		}
	}
	for (size_t k = 0; k < n_avoid; k++) {
		size_t root = find_root(parent, k);
		size_t p = 0;
		while (p < n_parts && parts[p].rules[0] != avoid[root])
			p++;
		if (p == n_parts) {
			parts[p].rules = xcalloc(n_avoid, sizeof(size_t));
			parts[p].atoms = xcalloc(na + 1, sizeof(size_t));
			parts[p].rules[parts[p].n_rules++] = avoid[root];
			n_parts++;
		}
		if (k != root)
			parts[p].rules[parts[p].n_rules++] = avoid[k];
	}
	for (size_t p = 0; p < n_parts; p++)
		for (size_t a = 0; a < na; a++) {
			bool reads = false;
			if (s->dep[target * na + a])
				continue;
			for (size_t i = 0; i < parts[p].n_rules && !reads; i++)
				reads = s->dep[parts[p].rules[i] * na + a];
			if (reads)
				parts[p].atoms[parts[p].n_atoms++] = a;
		}

	small = space_small(s, outer, n_outer);
	for (size_t p = 0; p < n_parts && small; p++)
		small = space_small(s, parts[p].atoms, parts[p].n_atoms);
	if (small) {
		struct search S = { L, s, target, parts, n_parts };
		facts_reset(L);
		for (size_t a = 0; a < na; a++) {
			s->atoms[a].current = 0;
			atom_apply(L, &s->atoms[a]);
		}
		L->evals = 0;
		int r = odometer(&S, outer, n_outer, target_visit, NULL);
		result = r == 1   ? SEARCH_FOUND
		         : r == 0 ? SEARCH_NONE
		                  : SEARCH_SKIPPED;
	}

	for (size_t p = 0; p < n_parts; p++) {
		free(parts[p].rules);
		free(parts[p].atoms);
	}
	free(parts);
	free(parent);
	free(outer);
	return result;
}

/*
 * Searches for an assignment where `target` holds and each of `avoid`
 * fails (conditions compiled against `schema`); counts the check.
 */
static enum search_result
check(struct lint *L, const struct rule_schema *schema,
      const struct rule_expr *target, const struct rule_expr *const *avoid,
      size_t n_avoid, bool category_atom, bool counted)
{
	const struct rule_expr **rules = xcalloc(n_avoid + 1, sizeof(*rules));
	size_t *indices = xcalloc(n_avoid + 1, sizeof(*indices));
	struct space s;

	rules[0] = target;
	for (size_t i = 0; i < n_avoid; i++) {
		rules[i + 1] = avoid[i];
		indices[i] = i + 1;
	}
	space_build(L, schema, rules, n_avoid + 1, category_atom, &s);
	enum search_result r = space_search(L, &s, 0, indices, n_avoid);
	space_free(&s);
	free(indices);
	free(rules);
	if (counted) {
		L->stats.checks++;
		if (r == SEARCH_SKIPPED)
			L->stats.skipped++;
	}
	return r;
}

/* ---- texts -------------------------------------------------------------- */

static bool same_primary(const char *a, const char *b)
{
	size_t la = strcspn(a, "-_"), lb = strcspn(b, "-_");
	return la == lb && la > 0 && strncasecmp(a, b, la) == 0;
}

static bool texts_have(const struct protocol_texts *t, const char *language)
{
	for (size_t i = 0; t && i < t->n; i++)
		if (same_primary(t->items[i].language, language) &&
		    !str_empty(t->items[i].text))
			return true;
	return false;
}

static bool texts_any(const struct protocol_texts *t)
{
	for (size_t i = 0; t && i < t->n; i++)
		if (!str_empty(t->items[i].text))
			return true;
	return false;
}

static void question_texts(struct lint *L, const struct protocol_question *q)
{
	const struct protocol *p = L->proto;
	bool labels = false;

	for (size_t c = 0; q->choice_labels && c < q->n_choices; c++)
		labels |= texts_any(&q->choice_labels[c]);
	for (size_t l = 0; l < p->n_languages; l++) {
		const char *lang = p->languages[l];
		if (!texts_have(&q->text, lang))
			finding(L, p->file, q->origin,
			        "question %s: no \"%s\" text", q->id, lang);
		if (!texts_have(&q->why, lang))
			finding(L, p->file, q->origin,
			        "question %s: no \"%s\" why", q->id, lang);
		/* Covert wording is optional; once given, in every language. */
		if (texts_any(&q->covert) && !texts_have(&q->covert, lang))
			finding(L, p->file, q->origin,
			        "question %s: no \"%s\" covert text", q->id,
			        lang);
		for (size_t c = 0; labels && c < q->n_choices; c++)
			if (!texts_have(&q->choice_labels[c], lang))
				finding(L, p->file, q->origin,
				        "question %s, choice %s: no \"%s\" "
				        "label",
				        q->id, q->choices[c], lang);
	}
}

static void action_texts(struct lint *L)
{
	const struct policy *pol = L->pol;
	for (size_t a = 0; a < pol->n_actions; a++)
		for (size_t l = 0; l < pol->n_languages; l++)
			if (!texts_have(&pol->actions[a].label,
			                pol->languages[l]))
				finding(L, pol->file, pol->actions[a].origin,
				        "action %s: no \"%s\" label",
				        pol->actions[a].id, pol->languages[l]);
}

/* ---- questions and rules ------------------------------------------------ */

static struct protocol_origin where(struct protocol_origin expr,
                                    struct protocol_origin node)
{
	return expr.line > 0 ? expr : node;
}

static void questions_reachable(struct lint *L)
{
	const struct protocol *p = L->proto;
	L->category = "";
	for (size_t i = 0; i < p->n_questions; i++) {
		const struct protocol_question *q = &p->questions[i];
		if (!q->show_if)
			continue;
		if (check(L, &p->schema, q->show_if, NULL, 0, false, true) ==
		    SEARCH_NONE)
			finding(L, p->file, where(q->show_if_origin, q->origin),
			        "question %s is never asked: no answers make "
			        "its show_if true",
			        q->id);
	}
}

/*
 * First-match rule lists (category, priority rules): each rule must hold
 * for some assignment where every rule before it fails. `decides[i]` gets
 * whether rule i can decide (SEARCH_FOUND), cannot (SEARCH_NONE), or was
 * not searched (SEARCH_SKIPPED).
 */
static void first_match_rules(struct lint *L, const char *kind,
                              const struct policy_rule *rules, size_t n,
                              bool category_atom, enum search_result *decides)
{
	const struct policy *pol = L->pol;
	const struct rule_expr **earlier = xcalloc(n + 1, sizeof(*earlier));
	size_t n_earlier = 0; /* the rules before i that can decide */

	for (size_t i = 0; i < n; i++) {
		const struct policy_rule *r = &rules[i];
		struct protocol_origin at = where(r->when_origin, r->origin);
		decides[i] = check(L, &pol->schema, r->when, NULL, 0,
		                   category_atom, true);
		if (decides[i] == SEARCH_NONE) {
			finding(L, pol->file, at,
			        "%s rule %s never fires: no answers make its "
			        "condition true",
			        kind, r->id);
			continue;
		}
		if (decides[i] == SEARCH_FOUND && n_earlier > 0)
			decides[i] = check(L, &pol->schema, r->when, earlier,
			                   n_earlier, category_atom, true);
		if (decides[i] == SEARCH_NONE) {
			/* Name one earlier rule that covers it alone, if any.
			 */
			const struct policy_rule *cover = NULL;
			for (size_t j = 0; j < i && !cover; j++) {
				const struct rule_expr *one = rules[j].when;
				if (check(L, &pol->schema, r->when, &one, 1,
				          category_atom, false) == SEARCH_NONE)
					cover = &rules[j];
			}
			if (cover)
				finding(L, pol->file, at,
				        "%s rule %s is shadowed by %s (line "
				        "%d): it can never decide",
				        kind, r->id, cover->id,
				        cover->origin.line);
			else
				finding(L, pol->file, at,
				        "%s rule %s is shadowed by the rules "
				        "before it together: it can never "
				        "decide",
				        kind, r->id);
		}
		/* A rule that never decides changes nothing after it. */
		if (decides[i] != SEARCH_NONE)
			earlier[n_earlier++] = r->when;
	}
	free(earlier);
}

static void category_rules(struct lint *L)
{
	const struct policy *pol = L->pol;
	enum search_result *decides =
	    xcalloc(pol->n_category_rules + 1, sizeof(*decides));

	L->category = "";
	first_match_rules(L, "category", pol->category_rules,
	                  pol->n_category_rules, false, decides);
	for (size_t c = 0; c < COUNT(lint_categories); c++) {
		bool given = false;
		for (size_t i = 0; i < pol->n_category_rules && !given; i++)
			given = pol->category_rules[i].category ==
			            lint_categories[c] &&
			        decides[i] != SEARCH_NONE;
		if (!given)
			finding(L, pol->file, pol->categories_origin,
			        "no rule gives category %s",
			        call_category_name(lint_categories[c]));
	}
	free(decides);
}

static void priority_rules(struct lint *L)
{
	const struct policy *pol = L->pol;
	enum search_result *decides =
	    xcalloc(pol->n_priority_rules + 1, sizeof(*decides));
	L->category = "";
	first_match_rules(L, "priority", pol->priority_rules,
	                  pol->n_priority_rules, true, decides);
	free(decides);
}

static void action_rules(struct lint *L)
{
	const struct policy *pol = L->pol;

	L->category = "";
	for (size_t i = 0; i < pol->n_action_rules; i++) {
		const struct policy_rule *r = &pol->action_rules[i];
		if (check(L, &pol->schema, r->when, NULL, 0, true, true) ==
		    SEARCH_NONE)
			finding(L, pol->file, where(r->when_origin, r->origin),
			        "action rule %s never fires: no answers make "
			        "its condition true",
			        r->id);
	}
	/* With the category fixed, some action rule must hold. */
	for (size_t c = 0; c < COUNT(lint_categories); c++) {
		bool some = false, skipped = false;
		L->category = call_category_name(lint_categories[c]);
		for (size_t i = 0; i < pol->n_action_rules && !some; i++) {
			enum search_result r =
			    check(L, &pol->schema, pol->action_rules[i].when,
			          NULL, 0, false, true);
			some = r == SEARCH_FOUND;
			skipped |= r == SEARCH_SKIPPED;
		}
		if (!some && !skipped)
			finding(L, pol->file, pol->action_rules_origin,
			        "category %s has no actions", L->category);
	}
	L->category = "";
	/* Warning: declared, and no rule asks for it. */
	for (size_t a = 0; a < pol->n_actions; a++) {
		bool named = false;
		for (size_t i = 0; i < pol->n_action_rules && !named; i++)
			named = pol->action_rules[i].action == a;
		if (!named)
			finding(L, pol->file, pol->actions[a].origin,
			        "action %s is never required",
			        pol->actions[a].id);
	}
}

/* ---- entry points ------------------------------------------------------- */

size_t protocol_lint_ex(const struct protocol *proto, const struct policy *pol,
                        protocol_lint_fn fn, void *ctx,
                        struct protocol_lint_stats *stats)
{
	struct lint L = { .proto = proto, .pol = pol, .fn = fn, .ctx = ctx };

	L.n_answers = 1;
	L.n_flags = POLICY_FLAG__COUNT;
	if (proto) {
		if (proto->n_questions > L.n_answers)
			L.n_answers = proto->n_questions;
		if (proto->schema.n_questions > L.n_answers)
			L.n_answers = proto->schema.n_questions;
		if (proto->schema.n_flags > L.n_flags)
			L.n_flags = proto->schema.n_flags;
	}
	if (pol) {
		if (pol->schema.n_questions > L.n_answers)
			L.n_answers = pol->schema.n_questions;
		if (pol->schema.n_flags > L.n_flags)
			L.n_flags = pol->schema.n_flags;
	}
	L.answers = xcalloc(L.n_answers, sizeof(*L.answers));
	L.flags = xcalloc(L.n_flags, sizeof(*L.flags));
	L.format = xmalloc(LINT_FORMAT_MAX);
	L.category = "";

	if (proto) {
		for (size_t i = 0; i < proto->n_questions; i++)
			question_texts(&L, &proto->questions[i]);
		questions_reachable(&L);
	}
	if (pol) {
		action_texts(&L);
		category_rules(&L);
		priority_rules(&L);
		action_rules(&L);
	}

	free(L.format);
	free(L.flags);
	free(L.answers);
	if (stats)
		*stats = L.stats;
	return L.findings;
}

size_t protocol_lint(const struct protocol *proto, const struct policy *pol,
                     protocol_lint_fn fn, void *ctx)
{
	return protocol_lint_ex(proto, pol, fn, ctx, NULL);
}
