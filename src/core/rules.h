/*
 * rules.h - the small, safe expression language of the protocol and policy
 * files: `when:` and `show_if:` conditions (docs/protocol.md).
 *
 * An expression is compiled once, at load time, against a schema (the
 * questions of the protocol and their answer types, the agency's flags):
 * syntax errors, unknown names, values an answer can never take and type
 * mismatches are load errors with the column, never surprises at run time.
 * Evaluation is a walk over a small tree: no loops, no I/O, no allocation,
 * bounded by the expression's size. Pure.
 *
 * Grammar (keywords are lower case; `#` starts nothing: there are no
 * comments inside an expression):
 *
 *   expr    := or
 *   or      := and ("or" and)*
 *   and     := unary ("and" unary)*
 *   unary   := "not" unary | compare
 *   compare := term (("==" | "!=" | "<" | "<=" | ">" | ">=") term)?
 *            | term "in" "[" term ("," term)* "]"
 *   term    := "(" expr ")" | "true" | "false" | STRING | INTEGER
 *            | "answer." QID          the answer's text, "" if not answered
 *            | "channel" | "language" | "category"
 *            | FLAG                   e.g. agency.tip_line, language_supported
 *            | "answered" "(" QID ")"
 *            | "indicator" "(" IID ")"          a hit that counts (not
 *            | "any_indicator" "(" AMP ")"      negated, not hypothetical)
 *            | "current_indicator" "(" IID ")"  ... and not historical
 *            | "any_current_indicator" "(" AMP ")"
 *            | "count" "(" AMP ")"    distinct indicators that count, with
 *                                     that AMP element (INTEGER)
 *   STRING  := '"' chars '"'  (\" and \\ escapes; UTF-8, no control
 *              characters)
 *   INTEGER := -?[0-9]+      (64-bit; no blank between "-" and the digits)
 *   AMP     := action | means | purpose | vulnerability | context | minor
 *            | any
 *   QID, IID := [a-z][a-z0-9_]*  (IID and AMP may also be written as a
 *              STRING)
 *
 * Types: bool, int and string. `and`/`or`/`not` take bools; `==`/`!=` take
 * two values of one type; `<`... take ints; a bare answer of a yes/no
 * question is not a bool (write answer.x == "yes"). Comparing a yes/no
 * answer with anything but "yes", "no", "unknown" or "" is a type error,
 * as is a choice answer with a value not among its choices, a channel that
 * is not a channel name, a category that is not a category name, or a
 * language that is not a well-formed BCP 47 tag.
 * Blanks (space, tab, line breaks) separate tokens.
 *
 * Values at run time: an answer that is NULL or "" is not answered:
 * answered(q) is false and answer.q is "". A number answer that is not
 * answered or not an integer satisfies NO comparison: answer.n > 3 and
 * answer.n <= 3 are both false (and `in` is false), so `not answer.n > 3`
 * holds. Languages (`language`, language answers) compare by primary tag,
 * case-insensitively: language == "es" holds for "es-MX", and so does
 * language == "es-MX" for "es". current_indicator() and
 * any_current_indicator() need both RULE_HIT_COUNTS and RULE_HIT_CURRENT.
 *
 * Ownership: a compiled expression is owned by the caller (rule_free());
 * the schema is borrowed during rule_compile() only.
 */
#ifndef HTD_CORE_RULES_H
#define HTD_CORE_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/indicators.h"
#include "util/error.h"

/* Longest expression source accepted, in bytes. */
#define RULE_SOURCE_MAX 4096
/* Deepest nesting of parentheses / operators accepted. */
#define RULE_DEPTH_MAX 32
/* Largest number of nodes in one compiled expression. */
#define RULE_NODES_MAX 512

/* What a question's answer is. */
#define RULE_ANSWER_KINDS(X)                                                 \
	X(YES_NO, "yes_no")     /* yes / no / unknown                    */  \
	X(CHOICE, "choice")     /* one of the question's choices          */ \
	X(TEXT, "text")         /* free text                              */ \
	X(NUMBER, "number")     /* an integer                             */ \
	X(LANGUAGE, "language") /* a BCP 47 tag                           */

enum rule_answer_kind {
/* An X-macro expansion is a list: */
/* clang-format off */
#define RULE_ANSWER_ENUM(e, n) RULE_ANSWER_##e,
	RULE_ANSWER_KINDS(RULE_ANSWER_ENUM)
#undef RULE_ANSWER_ENUM
	RULE_ANSWER__COUNT
	/* clang-format on */
};

const char *rule_answer_kind_name(enum rule_answer_kind k);
bool rule_answer_kind_parse(const char *s, enum rule_answer_kind *out);

/* One question as the rules see it. Borrowed. */
struct rule_question {
	const char *id;
	enum rule_answer_kind kind;
	const char *const *choices; /* CHOICE only */
	size_t n_choices;
};

/* The names an expression may use. Borrowed during rule_compile(). */
struct rule_schema {
	const struct rule_question *questions;
	size_t n_questions;
	const char *const *flags; /* boolean facts: "agency.tip_line" ... */
	size_t n_flags;
	bool allow_category; /* `category` is known (action, priority rules) */
};

/* The facts an expression is evaluated against. Borrowed. */
struct rule_facts {
	/* answers[i] is the answer to schema question i, NULL when it has
	 * not been answered. Values are canonical (call_answer_normalise). */
	const char *const *answers;
	const bool *flags;    /* flags[i] for schema flag i */
	const char *channel;  /* call_channel_name() */
	const char *language; /* the caller's language, primary tag: "es" */
	const char *category; /* call_category_name(); "" when not known */
	/* Per indicator id, RULE_HIT_* bits over all the call's hits. */
	unsigned char indicators[INDICATOR__COUNT];
};

/* Bits of rule_facts.indicators[]. */
enum {
	RULE_HIT_COUNTS = 1 << 0,  /* a hit neither negated nor hypothetical */
	RULE_HIT_CURRENT = 1 << 1, /* ... and not historical */
};

struct rule_expr; /* opaque: a compiled, type-checked expression */

/*
 * Compiles `src` (NUL-terminated, at most RULE_SOURCE_MAX bytes) against
 * `schema`. The expression must be a bool. On error *out is NULL and `err`
 * holds HTD_ERR_PARSE (syntax) or HTD_ERR_INVALID (names, types, values),
 * a message quoting the offending token, and err->column set to its
 * 1-based byte column in `src` (err->line 1). The caller adds the file and
 * shifts the position to where the expression sits in the file. A source
 * longer than RULE_SOURCE_MAX, deeper than RULE_DEPTH_MAX or with more
 * than RULE_NODES_MAX nodes is HTD_ERR_INVALID. `schema` NULL is the
 * empty schema.
 */
enum htd_err rule_compile(const char *src, const struct rule_schema *schema,
                          struct rule_expr **out, struct htd_error *err);

/* Frees a compiled expression; accepts NULL. */
void rule_free(struct rule_expr *e);

/* Evaluates `e` against `f`. Cannot fail. */
bool rule_eval(const struct rule_expr *e, const struct rule_facts *f);

/* A fact that made an expression come out as it did, as text a
 * supervisor reads: `answer.free_to_leave == "no"`, `indicator(weapons)`,
 * `not answered(escaped)`. */
#define RULE_FACT_MAX 160
struct rule_fact {
	char text[RULE_FACT_MAX];
};

/*
 * Evaluates `e` against `f` and writes to `out` (room for `max`) the atoms
 * that decided the result: for a true `and`, the facts of every operand;
 * for a true `or`, those of the first true operand; for `not`, the facts of
 * its operand, each prefixed with "not ". Likewise a false `and` gives the
 * facts of its first false operand and a false `or` those of every
 * operand. An atom that is false reads negated: "not indicator(weapons)",
 * a comparison with the opposite operator (`answer.x != "no" (is
 * "yes")`). Returns the number written (at most `max`; the rest are
 * dropped); *result gets the value (either may be NULL / 0).
 */
size_t rule_explain(const struct rule_expr *e, const struct rule_facts *f,
                    bool *result, struct rule_fact *out, size_t max);

/* What an expression refers to, for the protocol lint. */
struct rule_refs {
	bool *questions; /* [schema n_questions]: answer.QID or answered(QID) */
	bool *flags;     /* [schema n_flags] */
	bool indicators[INDICATOR__COUNT]; /* indicator(IID) */
	unsigned amp; /* AMP bits of any_indicator/count; RULE_AMP_ANY = any */
	bool channel, language, category;
};
#define RULE_AMP_ANY (1u << 15)

/* Marks in `refs` (arrays sized by the caller from the schema, zeroed by
 * the caller) what `e` refers to. Cannot fail. */
void rule_refs_collect(const struct rule_expr *e, struct rule_refs *refs);

/* The literals an expression compares question `q` with (strings and
 * integers as text), so a lint can try values around them. Calls `fn`
 * once per literal. */
void rule_literals_each(const struct rule_expr *e, size_t question,
                        void (*fn)(void *ctx, const char *literal), void *ctx);

/* Writes the expression back as canonical source text (for messages and
 * round-trip tests); returns `out`. */
const char *rule_format(const struct rule_expr *e, char *out, size_t size);

#endif
