/*
 * calls.h - the call use cases: open, note, answer, close, get, list,
 * history and verification.
 *
 * One function per use case; the CLI, the HTTP API and the tests call these
 * and nothing below them. Input arrives as text, as a person or a client
 * sent it, and is validated here with the offending field named, so every
 * face reports the same errors. Each change is one event appended with the
 * call's new projection in one durable transaction: when a function returns
 * HTD_OK the change is on disk.
 */
#ifndef HTD_SERVICE_CALLS_H
#define HTD_SERVICE_CALLS_H

#include "core/call.h"
#include "core/protocol.h"
#include "service/engine.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/error.h"

/* What the use cases need; borrowed, owned by the face that made it. */
struct audit_async; /* service/audit.h */

struct service {
	struct store *store;
	const struct htd_clock *clock; /* NULL: the system clock */
	/* The protocol, policy and lexicons; NULL: calls are stored but
	 * not screened or decided (tools that only read or repair). */
	struct engine *engine;
	/* Who acts and from where, for the access audit (service/audit.h):
	 * with `address` set, every use case below writes an audit entry
	 * (changes in the same transaction; reads on their own). NULL: not
	 * audited (tests of the core paths, db repair tools). */
	const char *address; /* "127.0.0.1", "cli" */
	/* Who reads, for the audit entries of reads (calls_get,
	 * calls_history, calls_decision, calls_list, audit_list), which take
	 * no actor argument: "user:jsmith", "cli:root". NULL: "anonymous".
	 * Changes name their actor in their own argument. */
	const char *actor;
	/* NULL: entries written on their own (reads, refusals) are written
	 * at once, each in its own transaction. Set (by the HTTP server):
	 * they go to a group commit, and the face waits for them before it
	 * answers (service/audit.h, struct audit_async). */
	struct audit_async *audit_async;
	/* How long a session may sit idle before it ends, in ms; 0: the
	 * default, SESSION_IDLE_MS (service/users.h). An agency may ask for
	 * less (`serve --session-idle`), never more. */
	int64_t session_idle_ms;
	/* NENA step 7: called once a change that gave the call a name, a
	 * phone or a place (its opening, the answers caller_name,
	 * callback_number, location, or a note: `note`, else NULL) is
	 * durable; service/related.h searches for what relates to it. NULL:
	 * nothing (the core tests). The CLI searches at once; the server
	 * hands the call to a background worker, so that no call-taker waits
	 * for a search. */
	void (*details_changed)(struct service *svc, const char *ref,
	                        const char *note);
};

/* A new call as entered; NULL or "" for what is not known. */
struct call_open_request {
	const char *channel;     /* call_channel name; default "voice" */
	const char *language;    /* BCP 47; default "en" */
	const char *location;    /* where it is happening, as told */
	const char *callback;    /* callback number */
	const char *caller_name; /* empty for anonymous */
};

/*
 * Each change below takes the acting user (`actor`, e.g. "user:jsmith") and
 * a call id as typed ("HT-2026-000123", "ht-2026-123"); on success it fills
 * `out` (initialised by the caller; freed first) with the call afterwards.
 * Errors: HTD_ERR_INVALID / HTD_ERR_TOO_LARGE naming the field,
 * HTD_ERR_NOT_FOUND, HTD_ERR_CONFLICT (e.g. the call is closed), and the
 * store's errors (HTD_ERR_BUSY, HTD_ERR_FULL, ...) with nothing saved.
 */
enum htd_err calls_open(struct service *svc, const char *actor,
                        const struct call_open_request *req, struct call *out,
                        struct htd_error *err);
enum htd_err calls_add_note(struct service *svc, const char *actor,
                            const char *ref, const char *text, struct call *out,
                            struct htd_error *err);
enum htd_err calls_record_answer(struct service *svc, const char *actor,
                                 const char *ref, const char *question,
                                 const char *value, struct call *out,
                                 struct htd_error *err);
enum htd_err calls_close(struct service *svc, const char *actor,
                         const char *ref, const char *disposition,
                         const char *summary, struct call *out,
                         struct htd_error *err);

/*
 * With an engine, every change above is followed, in the same transaction,
 * by what it implies: a note by the indicators found in it
 * (indicators_found), and any change by a new decision (decision_made)
 * when the protocol's answer moved. Answers must then be to a question of
 * the protocol, in the form it takes (protocol_answer_normalise()).
 */

/* Sets the category in force, overriding the protocol, with a reason (the
 * engine's recommendation stays on the record). `category` "none" or ""
 * withdraws the override. */
enum htd_err calls_override(struct service *svc, const char *actor,
                            const char *ref, const char *category,
                            const char *reason, struct call *out,
                            struct htd_error *err);

/* Marks an action of the checklist done or not_applicable (reason
 * required), or required again (withdraws the mark). */
enum htd_err calls_mark_action(struct service *svc, const char *actor,
                               const char *ref, const char *action,
                               const char *state, const char *reason,
                               struct call *out, struct htd_error *err);

/*
 * Dispatches units to the call (NENA step 2): `n` (1..8) call signs as
 * typed, each of a unit that is available or cleared (else
 * HTD_ERR_CONFLICT naming it; HTD_ERR_NOT_FOUND for no such unit), to an
 * open call. Marks `dispatch_officer` done by `actor` now, with the reason
 * "dispatched 2A31, 2A32", decides again as any change does, and sets each
 * unit dispatched to the call with a status_changed event carrying
 * "since_open_ms": all in one transaction. *since_open_ms (may be NULL)
 * gets the time from the call's opening to the dispatch; `units_out` (may
 * be NULL; room for `n`) the units as written. Audited
 * (call.dispatch).
 */
enum htd_err calls_dispatch(struct service *svc, const char *actor,
                            const char *ref, const char *const *call_signs,
                            size_t n, struct call *out,
                            struct store_unit *units_out,
                            int64_t *since_open_ms, struct htd_error *err);

/* Decides again (e.g. after the policy was reloaded) and records the
 * decision when it changed. Needs an engine (HTD_ERR_USAGE). */
enum htd_err calls_decide(struct service *svc, const char *ref,
                          struct call *out, struct htd_error *err);

/* Reads a call into `call` and the decision on it now into `out` (free
 * with decision_free(), before the engine goes). Writes nothing. */
enum htd_err calls_decision(struct service *svc, const char *ref,
                            struct call *call, struct decision *out,
                            struct htd_error *err);

/*
 * A read for a caller that already holds the call as it was at version
 * `have` (a cache, a client's ETag): when the call is still at `have`,
 * sets *unchanged and leaves `out` alone; otherwise reads it into `out`
 * (initialised by the caller) as calls_get() does. Either way the read is
 * audited, as calls_get()'s is: the holder shows the call to someone.
 */
enum htd_err calls_get_unless(struct service *svc, const char *ref,
                              int64_t have, struct call *out, bool *unchanged,
                              struct htd_error *err);

/* Reads one call into `out` (initialised by the caller). */
enum htd_err calls_get(struct service *svc, const char *ref, struct call *out,
                       struct htd_error *err);

/* A list query as text (from options or a query string); NULL = not set. */
struct calls_query {
	const char *status;   /* open | closed */
	const char *category; /* undetermined | victim_escape | ... */
	const char *since;    /* time_parse() syntax */
	const char *until;
	const char *limit; /* 1..CALL_LIST_MAX */
	const char *after; /* call id: the last one of the previous page */
};

/* Checks a query and turns it into a filter, naming the field at fault. */
enum htd_err calls_query_parse(const struct calls_query *q,
                               struct call_filter *out, struct htd_error *err);

/* Lists calls, newest first; free the page with call_page_free(). */
enum htd_err calls_list(struct service *svc, const struct call_filter *filter,
                        struct call_page *out, struct htd_error *err);

/* Calls `fn` for each event of a call, in order. */
enum htd_err calls_history(struct service *svc, const char *ref,
                           int (*fn)(void *ctx, const struct store_event *e),
                           void *ctx, struct htd_error *err);

/*
 * The live feed of every call's changes (the API's server-sent events):
 * calls `fn` for at most `limit` events with a global id above `after`, in
 * id order (store_events_after()); and the id of the newest event, where
 * a new listener starts. Reads only what the feed carries (call id, seq,
 * type, time); not audited (the listener's subscription is).
 */
enum htd_err
calls_events_after(struct service *svc, int64_t after, size_t limit,
                   int (*fn)(void *ctx, const struct store_event *e), void *ctx,
                   struct htd_error *err);
enum htd_err calls_events_last(struct service *svc, int64_t *out,
                               struct htd_error *err);

/*
 * Replays a call's events through call_apply() and compares the result with
 * the stored projection. HTD_ERR_CORRUPT, naming the call and the field, when
 * they disagree or an event does not decode.
 */
enum htd_err calls_verify(struct service *svc, const char *ref,
                          struct htd_error *err);

/* Verifies every call; *checked gets the number verified. Stops at the
 * first disagreement. */
enum htd_err calls_verify_all(struct service *svc, long *checked,
                              struct htd_error *err);

/*
 * Turns a call id as typed into its canonical form in `out`.
 * HTD_ERR_INVALID (field "id") when it is not a call id.
 */
enum htd_err calls_ref_canonical(const char *ref, char out[CALL_REF_MAX],
                                 struct htd_error *err);

#endif
