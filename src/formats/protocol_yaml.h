/*
 * protocol_yaml.h - reads the protocol file (data/protocol/nena-ht.yaml:
 * the screening questions) and the policy file (etc/policy.yaml: the
 * agency's rules and settings) into struct protocol and struct policy
 * (core/protocol.h), compiling every condition with core/rules. Formats in
 * docs/protocol.md. Every error is placed at file:line:column; a file with
 * any error yields nothing.
 *
 * Ownership: a loaded protocol or policy is the caller's (free with
 * protocol_free() / policy_free()). A policy borrows its protocol's
 * questions for its schema: free the policy before the protocol.
 */
#ifndef HTD_FORMATS_PROTOCOL_YAML_H
#define HTD_FORMATS_PROTOCOL_YAML_H

#include <stddef.h>

#include "core/protocol.h"
#include "util/error.h"

/* Where the files are looked for when none is given. */
#define PROTOCOL_FILE_DEFAULT "data/protocol/nena-ht.yaml"
#define POLICY_FILE_DEFAULT "etc/policy.yaml"

/* Largest protocol or policy file read: far above any real one, small
 * enough that a wrong file (a log, a database) is refused unparsed. */
#define PROTOCOL_YAML_MAX ((size_t)1024 * 1024)

/* A file stops being examined after this many errors. */
#define PROTOCOL_YAML_ERRORS_MAX 100

/* Bounds of what a file may declare (the lint's search and the call's
 * checklist are sized by them). */
#define PROTOCOL_QUESTIONS_MAX CALL_ANSWERS_MAX /* questions */
#define PROTOCOL_CHOICES_MAX 64                 /* choices per question */
#define PROTOCOL_LANGUAGES_MAX 16               /* languages per file */
#define POLICY_ACTIONS_MAX CALL_ACTIONS_MAX     /* actions */
#define POLICY_RULES_MAX 256                    /* rules per list */
#define POLICY_CONTACTS_MAX 64                  /* contacts per list */
#define PROTOCOL_ID_MAX 32                      /* protocol and policy ids */
#define PROTOCOL_VERSION_MAX 24 /* protocol and policy versions */
#define PROTOCOL_TEXT_MAX 2000  /* one text in one language */
/* Notifications (policy notifications:). */
#define POLICY_TARGETS_MAX 64        /* targets */
#define POLICY_TARGET_ID_MAX 47      /* [a-z0-9_] */
#define POLICY_NOTICES_MAX 16        /* notices (each kind once) */
#define POLICY_RECIPIENTS_MAX 100    /* e-mail recipients per target */
#define POLICY_URL_MAX 2048          /* a target's URL */
#define POLICY_PATH_MAX 4096         /* a spool directory, a secret file */
#define POLICY_TIMEOUT_MAX_S 120     /* a target's timeout_s */
#define POLICY_RETRY_ATTEMPTS_MAX 50 /* retry.attempts */
#define POLICY_RETRY_ATTEMPTS_DEFAULT 8
#define POLICY_RETRY_FIRST_DEFAULT_MS ((int64_t)5000)
#define POLICY_RETRY_MAX_DEFAULT_MS ((int64_t)600000)
#define POLICY_RETRY_FIRST_MAX_S 3600 /* retry.first_delay_s */
#define POLICY_RETRY_MAX_MAX_S 86400  /* retry.max_delay_s */

/* Called once per error, in the order of the file (line, then column). The
 * error is borrowed for the duration of the call. */
typedef void (*protocol_yaml_error_fn)(void *ctx, const struct htd_error *e);

struct protocol_yaml_options {
	protocol_yaml_error_fn on_error; /* NULL: only `err` is filled */
	void *ctx;
};

/*
 * Reads the protocol file at `path` into `out` (zeroed or freed by the
 * caller). `opts` may be NULL. Builds out->rule_questions and out->schema
 * (the questions and policy_flag_names, no `category`) and compiles every
 * show_if against it; a show_if may refer to any question, earlier or
 * later, and to nothing else. On error `out` is left zeroed, every error
 * is passed to opts->on_error, and `err` (may be NULL) holds the first
 * one. Returns HTD_OK; HTD_ERR_NOT_FOUND or HTD_ERR_IO when the file
 * cannot be read; HTD_ERR_TOO_LARGE past PROTOCOL_YAML_MAX; HTD_ERR_PARSE
 * for YAML that does not parse or is not UTF-8, or a condition that does
 * not parse; HTD_ERR_INVALID for what does not fit the format.
 *
 * Texts missing in one of the protocol's languages are not load errors:
 * protocol_lint() reports them.
 */
enum htd_err protocol_yaml_load(const char *path,
                                const struct protocol_yaml_options *opts,
                                struct protocol *out, struct htd_error *err);

/* As protocol_yaml_load(), for `len` bytes of `data` read from `file`
 * (used in messages). `data` is borrowed and need not be NUL-terminated. */
enum htd_err protocol_yaml_parse(const char *file, const char *data, size_t len,
                                 const struct protocol_yaml_options *opts,
                                 struct protocol *out, struct htd_error *err);

/*
 * Reads the policy file at `path` into `out` (zeroed or freed by the
 * caller), checked against `proto` (a loaded protocol, borrowed: out->schema
 * points into it, so it must outlive the policy). Category rules are
 * compiled without `category`, action and priority rules with it.
 * out->actions holds the stable actions (protocol_action_ids, all
 * required) first, in that order, then the agency's own in file order.
 * Absent settings take their defaults: hotline 1-888-373-7888, text
 * 233733, TTY 711; tip line "Crime Stoppers", disabled, no number;
 * priority 3. Errors and return values as protocol_yaml_load().
 *
 * notifications: (optional) fills out->notify: the targets in file order,
 * the notices in file order with their templates compiled against
 * policy_notice_fields() of their kind (a field not allowed there is an
 * error at its line and column), retry settings (defaults 8 attempts, 5 s,
 * 600 s). Secrets are only named (secret_ref: env:NAME or file:/path),
 * never read here. Without the section out->notify is empty apart from the
 * retry defaults: nothing is sent, and that is not an error.
 */
enum htd_err policy_yaml_load(const char *path, const struct protocol *proto,
                              const struct protocol_yaml_options *opts,
                              struct policy *out, struct htd_error *err);

/* As policy_yaml_load(), for `len` bytes of `data` read from `file`. */
enum htd_err policy_yaml_parse(const char *file, const char *data, size_t len,
                               const struct protocol *proto,
                               const struct protocol_yaml_options *opts,
                               struct policy *out, struct htd_error *err);

#endif
