/*
 * notices.h - what a decision sends (NENA steps 2 to 6): which notices of
 * the policy a change of the checklist queues, and their texts rendered
 * from the call into outbox rows, one per target (docs/notify.md).
 *
 * A notice is queued once per call, when its action first becomes
 * required (the first required_since of the action), so its idempotency
 * key "<call>-<kind>-<target>" is deterministic and never queued twice.
 * When the action stops being required its rows not yet delivered are
 * withdrawn (notices_withdraw); required again, a notice of which nothing
 * went out is queued again under keys of their own (notices_plan_again).
 * What a template may say is policy_notice_fields(): never the caller's
 * name; the callback number only in a tip hand-off, and only when the
 * caller agreed to be called back. As a second line of defence every
 * value is passed through radio_redact() with the caller's name, its
 * parts and the callback number (the callback field of an agreed tip
 * hand-off excepted), so a name typed into the location is withheld too.
 *
 * Pure: no I/O, no clock (the time comes in). Ownership: see each struct.
 */
#ifndef HTD_SERVICE_NOTICES_H
#define HTD_SERVICE_NOTICES_H

#include <stddef.h>
#include <stdint.h>

#include "core/call.h"
#include "core/protocol.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/error.h"

/* A notice with `confirm: call_taker` also queues a task row: target
 * "call_taker", transport "task", state task_open, key
 * "<call>-<kind>-call_taker"; the worker never sends it, and only its
 * confirmation (outbox_task_confirm) makes the action done. */
#define NOTICES_TASK_TARGET "call_taker"
#define NOTICES_TASK_TRANSPORT "task"

/* The notices one change queues: borrowed from the policy. */
struct notice_plan {
	const struct policy_notice *notices[POLICY_NOTICE__COUNT];
	/* An update of a notice already sent (the category changed): kind
	 * "<kind>_update", key "<call>-<kind>_update-<target>-<seq>". */
	bool update[POLICY_NOTICE__COUNT];
	/* Queued again after it was withdrawn (notices_plan_again). */
	bool again[POLICY_NOTICE__COUNT];
	size_t n;
};

/*
 * Fills `out` with the notices of `p` whose action is required in `after`
 * for the first time: not required before `before` (NULL: a new call).
 * And, as updates, the supervisor's and the point of contact's notices
 * already queued (their action required or done) when the category in
 * force changes from one decided category to another: screening moves a
 * call through categories, and who was told "other" must hear "victim
 * call". A notice without targets queues nothing.
 */
void notices_plan(const struct policy *p, const struct call *before,
                  const struct call *after, struct notice_plan *out);

/*
 * Appends to `out` the notices queued again: those whose action `after`
 * requires again after `before` had stopped requiring it (not required,
 * not applicable), when every row of the notice in `rows` (the call's
 * outbox) was cancelled: nothing of it went out, so the receivers never
 * heard it. A notice that went out (delivered, failed, pending, a task
 * open or confirmed) is not queued again: the receiver has it.
 */
void notices_plan_again(const struct policy *p, const struct call *before,
                        const struct call *after,
                        const struct store_outbox_list *rows,
                        struct notice_plan *out);

/* The rows one change withdraws: borrowed from the list given. */
#define NOTICES_WITHDRAW_MAX STORE_OUTBOX_APPEND_MAX
struct notice_withdrawal {
	const struct store_outbox *rows[NOTICES_WITHDRAW_MAX];
	size_t n;
};

/*
 * Fills `out` with the rows of `rows` (the call's outbox) that call
 * `after` no longer needs: pending or task_open rows (a notice, its
 * update or its task) whose action `after` neither requires nor has done:
 * not required, not applicable, or gone from the checklist. Rows already
 * delivered, failed or confirmed stay as they are (they happened), and so
 * does a raise of a failed delivery (kind "delivery_failed": a receiver
 * being down is news whatever the call became). Pure.
 */
void notices_withdraw(const struct call *after,
                      const struct store_outbox_list *rows,
                      struct notice_withdrawal *out);

/* Rows rendered for one change; each row's subject and body are owned. */
struct notice_rows {
	struct store_outbox *rows; /* owned */
	size_t n;
};

/* Frees the rows' texts and the array, and empties `r`; accepts NULL. */
void notice_rows_free(struct notice_rows *r);

/* What the call does not say but the notices need. */
struct notice_context {
	const char *ref;   /* the call's id */
	const char *units; /* units sent: "2A31, 2A32"; NULL or "": none */
	int64_t at_ms;     /* when it is queued; the first attempt's time */
	/* 0: the notice; else an update, numbered by the seq of the
	 * decision that made it (deterministic, so its key is stable). */
	int64_t update_seq;
	/* 0: the first time; else the notice queued again after it was
	 * withdrawn, numbered by the seq of the decision: keys
	 * "<call>-<kind>-<target>-<seq>" (task "<call>-<kind>-call_taker-
	 * <seq>"), so a receiver never drops it as a repeat. */
	int64_t again_seq;
};

/*
 * Appends to `out` one pending row per target of `n`, and a task row when
 * the notice needs the call-taker's confirmation (its transport's
 * body: JSON for webhook and spool, the text for e-mail; a radio alert
 * carries the radio script and a CAP 1.2 alert), rendered from `c`.
 * HTD_ERR_INVALID / HTD_ERR_TOO_LARGE when a text cannot be made (a
 * template rendering over its cap, radio facts out of bounds), with
 * nothing appended.
 */
enum htd_err notices_render(const struct policy *p,
                            const struct policy_notice *n, const struct call *c,
                            const struct notice_context *ctx,
                            struct notice_rows *out, struct htd_error *err);

/* Writes the idempotency key of a notice to a target. False when it does
 * not fit STORE_OUTBOX_KEY_MAX. */
bool notices_key(const char *ref, const char *kind, const char *target,
                 char *out, size_t size);

/* Writes "to a, b" (the targets of `n`) for the notice_queued event. */
void notices_targets_text(const struct policy *p, const struct policy_notice *n,
                          char *out, size_t size);

/*
 * The values a template of kind `kind` is rendered with, for tests and
 * previews: writes field `field`'s value for `c` into `out` (initialised
 * by the caller). The same redaction as notices_render().
 */
enum htd_err notices_field(const struct policy *p, enum policy_notice_kind kind,
                           const struct call *c,
                           const struct notice_context *ctx, const char *field,
                           struct buf *out, struct htd_error *err);

#endif
