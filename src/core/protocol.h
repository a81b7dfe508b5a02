/*
 * protocol.h - the NENA trafficking protocol as data, and the engine that
 * turns a call's answers and indicators into a decision (NENA step 1,
 * domain.md sections 1-3).
 *
 * Two files describe what an agency does: the protocol (data/protocol/
 * nena-ht.yaml: the screening questions, their texts in every language,
 * when each applies) and the policy (etc/policy.yaml: category rules in
 * order, action rules, priorities, and the agency's settings). The loader
 * (formats/protocol_yaml.c) fills the structs below and compiles every
 * condition with core/rules; this module decides. protocol_decide() is a
 * pure function of its inputs, cheap enough to run after every keystroke
 * pause: a few dozen expression walks, no allocation beyond the result.
 *
 * Ownership: struct protocol and struct policy own everything they point
 * to (protocol_free(), policy_free()). A decision owns its arrays but
 * borrows ids and texts from the protocol and policy it was made with:
 * free the decision first (decision_free()). A policy borrows its
 * protocol's questions (policy.schema points into protocol.rule_questions):
 * the protocol must outlive every policy loaded against it.
 */
#ifndef HTD_CORE_PROTOCOL_H
#define HTD_CORE_PROTOCOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/call.h"
#include "core/indicators.h"
#include "core/rules.h"
#include "util/error.h"

/* ---- the model ---------------------------------------------------------- */

/* Where something was written, for lint messages. */
struct protocol_origin {
	int line;
	int column;
};

/* One text in several languages. */
struct protocol_text {
	char language[CALL_LANGUAGE_MAX + 1]; /* "en", "es" */
	char *text;                           /* owned */
};
struct protocol_texts {
	struct protocol_text *items; /* owned */
	size_t n;
};

/* Returns the text in `language` (primary tag compared), else English,
 * else the first; "" when there is none. Borrowed. */
const char *protocol_text_get(const struct protocol_texts *t,
                              const char *language);

struct protocol_question {
	char *id; /* stable: domain.md section 2 or the agency's own */
	enum rule_answer_kind kind;
	char **choices; /* CHOICE: allowed values (ids) */
	size_t n_choices;
	struct protocol_texts *choice_labels; /* [n_choices]; may be empty */
	struct protocol_texts text;           /* what the call-taker asks */
	struct protocol_texts why;    /* "why we ask", for the call-taker */
	struct protocol_texts covert; /* yes/no wording for a caller who
	                               * cannot talk freely; empty: use text */
	bool safety;                  /* asked before anything else */
	bool covert_ok;    /* asked when the caller cannot talk freely */
	char *show_if_src; /* owned; NULL: always applies */
	struct rule_expr *show_if; /* owned; NULL: always applies */
	int64_t min, max;          /* NUMBER: the range accepted */
	struct protocol_origin origin;
	struct protocol_origin show_if_origin;
};

struct protocol {
	char *file;    /* owned; for messages */
	char *id;      /* "nena-ht" */
	char *version; /* recorded with every decision */
	char *name;
	char **languages; /* languages every text must have */
	size_t n_languages;
	struct protocol_question *questions; /* in the order they are asked */
	size_t n_questions;
	/* The schema rules are compiled against (questions in the same
	 * order, the flags below); owned. */
	struct rule_question *rule_questions;
	struct rule_schema schema;
};

/* Flags (booleans) every policy rule may use, in this order. */
#define POLICY_FLAGS(X)                                                     \
	X(TIP_LINE, "agency.tip_line") /* the agency uses a tip line */     \
	X(LANGUAGE_SUPPORTED, "language_supported") /* caller's language is \
	                                             * one the agency works \
	                                             * in */
enum policy_flag {
/* An X-macro expansion is a list: */
/* clang-format off */
#define POLICY_FLAG_ENUM(e, n) POLICY_FLAG_##e,
	POLICY_FLAGS(POLICY_FLAG_ENUM)
#undef POLICY_FLAG_ENUM
	POLICY_FLAG__COUNT
	/* clang-format on */
};
extern const char *const policy_flag_names[POLICY_FLAG__COUNT];

/* The stable action ids of domain.md section 2; a policy may add more. */
#define PROTOCOL_ACTIONS(X)                                   \
	X(DISPATCH_OFFICER, "dispatch_officer")               \
	X(NOTIFY_HT_POC, "notify_ht_poc")                     \
	X(TRANSFER_CRIME_STOPPERS, "transfer_crime_stoppers") \
	X(REFER_NHTH, "refer_nhth")                           \
	X(NOTIFY_SUPERVISOR, "notify_supervisor")             \
	X(RADIO_ALERT, "radio_alert")                         \
	X(SEARCH_RECORDS, "search_records")                   \
	X(SAFEGUARD_RECORDS, "safeguard_records")             \
	X(LANGUAGE_SUPPORT, "language_support")               \
	X(NO_CALLBACK, "no_callback")
extern const char *const protocol_action_ids[];
extern const size_t protocol_action_count;

struct policy_action {
	char *id;                    /* owned */
	struct protocol_texts label; /* what the checklist shows */
	struct protocol_origin origin;
};

/* A rule: when `when` holds, it gives its category, action or priority. */
struct policy_rule {
	char *id;                    /* owned; "victim_call.danger_now" */
	char *why;                   /* owned; one line for the rationale */
	char *when_src;              /* owned */
	struct rule_expr *when;      /* owned */
	enum call_category category; /* category rules */
	size_t action;               /* action rules: index in actions */
	int priority;                /* priority rules: 1 = highest */
	struct protocol_origin origin;
	struct protocol_origin when_origin;
};

struct policy_contact {
	char *name; /* owned; each "" when not given */
	char *role;
	char *phone;
	char *email;
};

/* ---- notifications (policy notifications:, docs/protocol.md) ----------- */

struct template; /* core/template.h */

/* How a target is reached (notify/transport.h has the back-ends). */
enum policy_transport {
	POLICY_TRANSPORT_WEBHOOK,
	POLICY_TRANSPORT_SMTP,
	POLICY_TRANSPORT_SPOOL,
};

/* Returns "webhook", "smtp" or "spool"; never NULL. */
const char *policy_transport_name(enum policy_transport t);

/* What is sent, one template each (NENA steps 2 to 6). */
#define POLICY_NOTICE_KINDS(X)                    \
	X(SUPERVISOR_NOTICE, "supervisor_notice") \
	X(POC_NOTICE, "poc_notice")               \
	X(TIP_HANDOFF, "tip_handoff")             \
	X(HOTLINE_REFERRAL, "hotline_referral")   \
	X(RADIO_ALERT, "radio_alert")
enum policy_notice_kind {
/* An X-macro expansion is a list: */
/* clang-format off */
#define POLICY_NOTICE_ENUM(e, n) POLICY_NOTICE_##e,
	POLICY_NOTICE_KINDS(POLICY_NOTICE_ENUM)
#undef POLICY_NOTICE_ENUM
	POLICY_NOTICE__COUNT
	/* clang-format on */
};

/* Returns "supervisor_notice", ...; "" for a value out of range. */
const char *policy_notice_kind_name(enum policy_notice_kind k);

/* Parses a kind's name; false (and *out untouched) if none. */
bool policy_notice_kind_parse(const char *s, enum policy_notice_kind *out);

/*
 * The fields a template of kind `k` may name, NULL-terminated (static;
 * NULL for a value out of range):
 *   supervisor_notice, poc_notice: call_id, category, priority, location,
 *     indicators, safety, units, agency, time
 *   tip_handoff: call_id, location, nature, safety, callback, tip_line,
 *     agency, time (callback: "" unless the caller agreed to be called
 *     back; an anonymous caller stays anonymous)
 *   hotline_referral: call_id, hotline_number, hotline_text, hotline_tty,
 *     languages, agency, time
 *   radio_alert: call_id, script, agency, time
 * The caller's name is never a field; the callback number only in a
 * tip_handoff.
 */
const char *const *policy_notice_fields(enum policy_notice_kind k);

/* One receiver of notices: policy notifications.targets. */
struct policy_target {
	char *id; /* owned; [a-z0-9_]{1,47}, unique */
	enum policy_transport transport;
	char *url; /* webhook, smtp; else NULL */
	bool allow_http, starttls;
	char *from; /* smtp */
	char **to;  /* smtp: 1..100 addresses */
	size_t n_to;
	char *username;     /* smtp, optional */
	char *secret_ref;   /* "env:NAME" / "file:/path"; NULL when none */
	char *spool_dir;    /* spool */
	int64_t timeout_ms; /* 0: the transport's default */
	int line;           /* where it is in the policy file */
};

/* One kind of notice: what is sent, to whom, when. */
struct policy_notice {
	enum policy_notice_kind kind;
	char *action;             /* owned: the action id that triggers it */
	struct template *subject; /* owned; NULL when none */
	struct template *text;    /* owned; required */
	size_t *targets;          /* owned: indexes into notify.targets */
	size_t n_targets;
	/* `confirm: call_taker` (tip_handoff, hotline_referral): the
	 * transfer is also a call-taker task (warm transfer, NENA-STA-020.1),
	 * and only its confirmation makes the action done. */
	bool confirm_call_taker;
	int line;
};

/* Policy notifications. Without a notifications: section, no targets and
 * no notices (the loader still sets the retry defaults; a policy built by
 * hand and zeroed has attempts 0). */
struct policy_notify {
	struct policy_target *targets; /* owned */
	size_t n_targets;
	struct policy_notice *notices; /* owned; each kind at most once */
	size_t n_notices;
	int attempts;           /* default 8 */
	int64_t first_delay_ms; /* default 5000 */
	int64_t max_delay_ms;   /* default 600000 */
};

struct policy {
	char *file; /* owned */
	char *id;
	char *version;
	char *agency_name;
	char **languages; /* the languages the agency works in */
	size_t n_languages;
	bool tip_line;         /* uses Crime Stoppers or another tip line */
	char *tip_line_name;   /* "Crime Stoppers" */
	char *tip_line_number; /* "" when none */
	char *hotline_number;  /* default 1-888-373-7888 */
	char *hotline_text;    /* 233733 */
	char *hotline_tty;     /* 711 */
	struct policy_contact *poc; /* trafficking points of contact */
	size_t n_poc;
	struct policy_contact *supervisors;
	size_t n_supervisors;
	/* Radio alert wording per category (index call_category); owned;
	 * NULL when the policy has none for that category. */
	char *radio_text[CALL_CATEGORY__COUNT];
	struct policy_action *actions; /* the stable ones first */
	size_t n_actions;
	struct policy_rule *category_rules; /* in order: first match wins */
	size_t n_category_rules;
	struct policy_rule *action_rules; /* all that match apply */
	size_t n_action_rules;
	struct policy_rule *priority_rules; /* first match wins */
	size_t n_priority_rules;
	int priority_default; /* when no priority rule matches */
	/* Where the categories: and action_rules: keys are (for findings
	 * about a list as a whole); { 0, 0 } when not from a file. */
	struct protocol_origin categories_origin;
	struct protocol_origin action_rules_origin;
	/* Targets, notice templates and retries; without a notifications:
	 * section, no targets and no notices: nothing is sent. */
	struct policy_notify notify;
	/* The schema policy rules are compiled against: the protocol's
	 * questions, the flags, and `category`. The struct is the policy's;
	 * its questions are BORROWED from the protocol the policy was loaded
	 * against, which must outlive the policy. */
	struct rule_schema schema;
};

void protocol_free(struct protocol *p); /* accepts NULL; zeroes */
void policy_free(struct policy *p);     /* accepts NULL; zeroes */

/* Returns the index of question `id` in `p`, or -1. */
long protocol_question_index(const struct protocol *p, const char *id);
/* Returns the index of action `id` in `pol`, or -1. */
long policy_action_index(const struct policy *pol, const char *id);
/* The notice of `kind`, or NULL (none, or `p` NULL). Borrowed from `p`. */
const struct policy_notice *policy_notice_find(const struct policy *p,
                                               enum policy_notice_kind kind);

/*
 * Checks an answer to question `q` and writes its canonical form to `out`:
 * yes/no/unknown in lower case (also "y", "n", "si", "sí", "?"), a choice
 * id, a number in range, a language tag in canonical case, text trimmed.
 * HTD_ERR_INVALID naming the question ("free_to_leave takes yes, no or
 * unknown, not \"maybe\"") otherwise.
 */
enum htd_err protocol_answer_normalise(const struct protocol_question *q,
                                       const char *value, char *out,
                                       size_t size, struct htd_error *err);

/* ---- the engine --------------------------------------------------------- */

/* Bounds of one decision. */
#define DECISION_NEXT_MAX 8       /* next questions returned */
#define DECISION_FACTS_MAX 8      /* facts kept per rationale entry */
#define DECISION_RATIONALE_MAX 64 /* rationale entries */

/* What the engine knows about a call: its projection and the moment. */
struct decision_input {
	const struct call *call; /* answers, hits, overrides, action marks */
	int64_t now_ms;          /* stamps actions that become required */
};

enum decision_reason_kind {
	DECISION_REASON_CATEGORY, /* the category rule that matched */
	DECISION_REASON_ACTION,   /* an action rule that matched */
	DECISION_REASON_PRIORITY, /* the priority rule that matched */
	DECISION_REASON_OVERRIDE, /* a dispatcher's override */
	DECISION_REASON_MARK,     /* an action marked done / not applicable */
};
const char *decision_reason_kind_name(enum decision_reason_kind k);

struct decision_reason {
	enum decision_reason_kind kind;
	const char *rule;  /* borrowed: rule id, or the action id for marks */
	const char *why;   /* borrowed: the rule's why, or the mark's reason */
	const char *actor; /* overrides and marks: who; else NULL */
	struct rule_fact facts[DECISION_FACTS_MAX];
	size_t n_facts;
};

struct decision_action {
	const char *id; /* borrowed from the policy */
	enum call_action_state state;
	bool required_by_policy;   /* an action rule asks for it now */
	int64_t required_since_ms; /* first time it became required; 0 never */
	const char *rule;          /* borrowed: the first rule asking for it */
};

struct decision {
	enum call_category category;    /* in force: override, else engine */
	enum call_category recommended; /* what the engine says */
	bool overridden;
	int priority; /* 1 = highest; of the category in force */
	bool covert;  /* safe_to_talk = no: yes/no questions only */
	struct decision_action *actions; /* owned; the checklist */
	size_t n_actions;
	size_t next[DECISION_NEXT_MAX]; /* question indices, in asking order */
	size_t n_next;
	size_t unanswered; /* questions that apply and are not answered */
	struct decision_reason *rationale; /* owned */
	size_t n_rationale;
	unsigned amp;            /* AMP elements supported by counting hits */
	const char *protocol_id; /* borrowed */
	const char *protocol_version; /* borrowed */
	const char *policy_id;        /* borrowed */
	const char *policy_version;   /* borrowed */
};

/*
 * Decides. `out` is zeroed by the caller or a decision freed before; on
 * return it holds the decision (owned arrays; free with decision_free()).
 *
 * Category: the first category rule whose condition holds, else
 * "undetermined". The dispatcher's override (call->override_category)
 * replaces it in `category`; `recommended` keeps the engine's. Actions:
 * every action rule that holds (with `category` being the category in
 * force) makes its action required; an action the call marked done or not
 * applicable keeps that state; an action done earlier stays on the list.
 * required_since_ms is the call's stored time for the action, else
 * `now_ms` for an action that becomes required now. Next questions: those
 * whose show_if holds and are not answered, safety questions first, then
 * in file order; when covert, only covert_ok questions. Cannot fail.
 */
void protocol_decide(const struct protocol *proto, const struct policy *pol,
                     const struct decision_input *in, struct decision *out);

/* Frees what a decision owns and zeroes it; accepts NULL. */
void decision_free(struct decision *d);

/* Fills `f` (with `answers` and `flags` arrays the caller provides, sized
 * proto->n_questions and POLICY_FLAG__COUNT) from a call, for tools that
 * evaluate rules themselves (the lint, the benchmarks). */
void protocol_facts_fill(const struct protocol *proto, const struct policy *pol,
                         const struct call *c, const char **answers,
                         bool *flags, struct rule_facts *f);

/* ---- the lint (htdispatch check) ----------------------------------------- */

/* Called once per finding; `e` carries line and column (file left to the
 * caller) and HTD_ERR_INVALID. Borrowed during the call. */
typedef void (*protocol_lint_fn)(void *ctx, const struct htd_error *e);

/*
 * Checks what the loader cannot see one node at a time: questions that no
 * answer can ever make reachable (show_if never true), category and
 * priority rules that never fire or are shadowed by an earlier rule (every
 * case where they hold, an earlier one holds too), categories no rule can
 * give, categories without actions, and texts missing in one of the
 * protocol's languages. The search tries every combination of the values
 * the rules compare with, so it is exact for rules over yes/no and choice
 * questions and a sound approximation beyond. Returns the number of
 * findings.
 */
size_t protocol_lint(const struct protocol *proto, const struct policy *pol,
                     protocol_lint_fn fn, void *ctx);

/* Largest number of assignments one search of the lint tries (per part of
 * a check that it can search on its own); a check that would need more is
 * skipped, and counted in protocol_lint_stats.skipped. */
#define PROTOCOL_LINT_SPACE_MAX ((uint64_t)1 << 20)

/* What the lint's searches did. */
struct protocol_lint_stats {
	size_t checks;  /* searches run (each rule, question, category) */
	size_t skipped; /* of those, given up: space or time over the caps */
};

/*
 * As protocol_lint(), and fills `stats` (may be NULL). Either `proto` or
 * `pol` may be NULL: its checks are then not run (the policy's need its
 * protocol only through pol->schema). Each finding's err.file is the file
 * it is in (proto->file or pol->file). Returns the number of findings.
 */
size_t protocol_lint_ex(const struct protocol *proto, const struct policy *pol,
                        protocol_lint_fn fn, void *ctx,
                        struct protocol_lint_stats *stats);

#endif
