/*
 * audit.h - the access audit: every request that reads or changes a call,
 * a user or the configuration leaves an entry — who, what, which object,
 * when, from which address, with what outcome (issue [api]; CJIS
 * auditing). A change's entry is written in the same transaction as the
 * change (the store takes it with the events); a read's entry, or a
 * refused request's, is written on its own before the answer goes out.
 * Entries are append-only (triggers refuse UPDATE and DELETE); the hash
 * chain and signed checkpoints come with safeguarding.
 */
#ifndef HTD_SERVICE_AUDIT_H
#define HTD_SERVICE_AUDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "service/audit_writer.h"
#include "service/calls.h"
#include "util/error.h"

#define AUDIT_TEXT_MAX 256

/* What happened to the request. */
#define AUDIT_OUTCOMES(X)                                       \
	X(OK, "ok")                                             \
	X(DENIED, "denied")             /* role not allowed  */ \
	X(UNAUTHORIZED, "unauthorized") /* no valid session */  \
	X(NOT_FOUND, "not_found")                               \
	X(INVALID, "invalid")                                   \
	X(CONFLICT, "conflict")                                 \
	X(ERROR, "error")

enum audit_outcome {
/* An X-macro expansion is a list: */
/* clang-format off */
#define AUDIT_OUTCOME_ENUM(e, n) AUDIT_OUTCOME_##e,
	AUDIT_OUTCOMES(AUDIT_OUTCOME_ENUM)
#undef AUDIT_OUTCOME_ENUM
	AUDIT_OUTCOME__COUNT
	/* clang-format on */
};
const char *audit_outcome_name(enum audit_outcome o);
bool audit_outcome_parse(const char *s, enum audit_outcome *out);

/* The outcome a use case's error stands for: HTD_OK ok, FORBIDDEN denied,
 * UNAUTHORIZED unauthorized, LOCKED denied, NOT_FOUND not_found, INVALID /
 * TOO_LARGE / USAGE invalid, CONFLICT conflict, anything else error. */
enum audit_outcome audit_outcome_of(enum htd_err code);

/* One entry; strings borrowed when writing, owned by the list when read. */
struct audit_entry {
	int64_t id;          /* set by the store */
	int64_t at_ms;       /* set by the service from its clock */
	const char *actor;   /* "user:jsmith", "cli:root", "anonymous" */
	const char *action;  /* "call.read", "call.answer", "user.add",
	                      * "session.login", "config.read" ... */
	const char *object;  /* "call:HT-2026-000001", "user:jsmith", "" */
	const char *address; /* "127.0.0.1", "cli" */
	enum audit_outcome outcome;
	const char *detail; /* short, never victim identity or notes */
};

/*
 * Where a service's entries written on their own go when it has one
 * (struct service's audit_async): the writer's group commit, `done(ctx,
 * rc)` called from the writer's thread once each is durable. `submitted`
 * counts the entries handed over, so the face knows how many `done`s to
 * wait for before it answers.
 */
struct audit_async {
	struct audit_writer *writer;
	audit_writer_done_fn *done;
	void *ctx;
	unsigned submitted;
};

/* Writes one entry on its own (reads, refusals) — or, when svc has an
 * audit_async, hands it to the writer (returns HTD_OK; the outcome comes
 * through its `done`). Texts are cleaned
 * (control characters and bad UTF-8 become '?') and cut to AUDIT_TEXT_MAX
 * bytes; at_ms 0 means now (svc's clock); NULL texts are "" (actor
 * "anonymous"). HTD_ERR_INVALID (field "action") without an action. */
enum htd_err audit_record(struct service *svc, const struct audit_entry *e,
                          struct htd_error *err);

/*
 * Audits what ended with `rc` — a read, or a refusal — when the service
 * audits (svc->address set; else returns `rc`). The entry is `e` with the
 * outcome of `rc`. A success's entry must be written: its error is
 * returned, in `err` (no answer goes out unrecorded). A failure's is
 * written if it can be, logged (audit_unwritten) if not, and `rc` is
 * returned unchanged, `err` untouched.
 */
enum htd_err audit_result(struct service *svc, const struct audit_entry *e,
                          enum htd_err rc, struct htd_error *err);

/* Room for one entry's cleaned texts (see audit_prepare()). */
struct audit_texts {
	char actor[AUDIT_TEXT_MAX + 1];
	char action[AUDIT_TEXT_MAX + 1];
	char object[AUDIT_TEXT_MAX + 1];
	char address[AUDIT_TEXT_MAX + 1];
	char detail[AUDIT_TEXT_MAX + 1];
};

/*
 * For use cases that write their entry with a change (the store takes it
 * in the same transaction): fills `out` from `e` as audit_record() would
 * write it, its texts held in `texts`. `out` borrows from `texts`.
 */
void audit_prepare(const struct service *svc, const struct audit_entry *e,
                   struct audit_texts *texts, struct store_audit *out);

struct audit_query {
	const char *actor;  /* NULL: any */
	const char *object; /* NULL: any */
	const char *since;  /* time_parse() syntax; NULL: no bound */
	const char *until;
	const char *limit; /* 1..1000; default 100 */
	const char *after; /* id of the last entry of the previous page */
};

struct audit_list {
	struct audit_entry *entries; /* owned, newest first */
	size_t n;
	char **strings; /* owned backing store of the entries' strings */
	size_t n_strings;
	bool more; /* another page follows: list again with after =
	            * entries[n-1].id */
};
void audit_list_free(struct audit_list *l);

/* Lists entries; HTD_ERR_INVALID naming the query field at fault. Listing
 * is itself audited (action "audit.read"). */
enum htd_err audit_list(struct service *svc, const struct audit_query *q,
                        struct audit_list *out, struct htd_error *err);

#endif
