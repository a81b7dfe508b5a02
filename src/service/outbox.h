/*
 * outbox.h - the delivery of the notification outbox (docs/notify.md): a
 * sender that takes the rows that are due, makes one attempt each through
 * notify/transport.h, and records what came of it on the row and on the
 * call, in one transaction; and a worker thread that runs the sender
 * while `serve` runs.
 *
 * At least once: a row is marked delivered only after the receiver said
 * so, so a crash between the two sends it again after a restart, with the
 * same idempotency key. A transient failure is retried with exponential
 * back-off and full jitter (core/backoff), never sooner than a receiver's
 * Retry-After; when the policy's attempts are spent, or at once for a
 * permanent failure, the row fails loudly: a notice_failed event, an
 * ERROR log line, the board (GET /api/v1/outbox?state=failed), and a
 * "delivery_failed" notice to the supervisor's targets (unless it was the
 * supervisor's own notice that failed). When every target of a notice is
 * delivered its action is done, by "system:notify", at the delivery time.
 *
 * Secrets are read when the sender opens (notify_secret_read; again on a
 * reload: outbox_worker_reload), and never logged. Tasks (state task_open) are
 * never sent.
 */
#ifndef HTD_SERVICE_OUTBOX_H
#define HTD_SERVICE_OUTBOX_H

#include <stddef.h>
#include <stdint.h>

#include "core/protocol.h"
#include "service/calls.h"
#include "service/engine.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/error.h"

/* The actor of the outbox's events. */
#define OUTBOX_ACTOR "system:notify"
/* The kind of the notice that raises a failed delivery. */
#define OUTBOX_KIND_FAILED "delivery_failed"

struct outbox_sender; /* opaque */

/*
 * Opens a sender over `store` (borrowed; used by the sender's thread only)
 * for the targets of `policy` (borrowed; must outlive the sender): reads
 * every target's secret and checks that every spool directory exists,
 * creating a missing one (mode 0700). Fails, with a message naming the
 * target, the secret reference or the directory (never a secret):
 * HTD_ERR_NOT_FOUND, HTD_ERR_IO, HTD_ERR_INVALID. On success *out is
 * owned: close with outbox_sender_close().
 */
enum htd_err outbox_sender_open(struct store *store,
                                const struct policy *policy,
                                struct outbox_sender **out,
                                struct htd_error *err);

/* Closes the sender, wiping its secrets; accepts NULL. */
void outbox_sender_close(struct outbox_sender *s);

/*
 * One pass: takes up to `limit` rows due at `now_ms`, attempts each and
 * records the outcome (now_ms is the time of the attempt and of its
 * events; `random` seeds the jitter). *attempted (may be NULL) gets the
 * number of rows attempted. An error of the store stops the pass; the
 * rows not recorded are attempted again at the next pass (at least once).
 */
enum htd_err outbox_sender_pass(struct outbox_sender *s, int64_t now_ms,
                                uint64_t random, size_t limit,
                                size_t *attempted, struct htd_error *err);

/* Process-wide counts, for /metrics. */
struct outbox_counts {
	uint64_t delivered; /* rows delivered */
	uint64_t retries;   /* attempts that will be retried */
	uint64_t failed;    /* rows that failed for good */
	uint64_t cancelled; /* rows withdrawn (their action dropped) */
};

/* Reads the counts (relaxed atomics); cannot fail. */
void outbox_counts_get(struct outbox_counts *out);

/* Adds `n` rows withdrawn by a change this process committed (the
 * service calls it after the commit); cannot fail. */
void outbox_counts_cancelled(size_t n);

/*
 * The board: the outbox rows in `state` ("pending", "delivered", "failed",
 * "task_open", "task_confirmed", "cancelled"; NULL or "": all) of call `call`
 * (an id as typed; NULL or "": all calls), newest first, at most `limit` (text;
 * NULL: 100; 1..1000). HTD_ERR_INVALID naming the field. Audited as
 * outbox.read when svc->address is set. Free with
 * store_outbox_list_free().
 */
enum htd_err outbox_list(struct service *svc, const char *state,
                         const char *call, const char *limit,
                         struct store_outbox_list *out, struct htd_error *err);

/*
 * A call-taker confirms the warm transfer of task `key` on call `call`
 * (NENA-STA-020.1): the task row becomes task_confirmed and a
 * task_confirmed event (by `actor`, now, with `note`, optional, at most
 * 500 bytes) marks the notice's action done, in one transaction, with its
 * audit entry (call.task_confirm). `out` (may be NULL; initialised) gets
 * the call afterwards. HTD_ERR_NOT_FOUND (field "key") for no such task,
 * HTD_ERR_CONFLICT when it is confirmed already or was withdrawn
 * (cancelled: its action is no longer required).
 */
enum htd_err outbox_task_confirm(struct service *svc, const char *actor,
                                 const char *call, const char *key,
                                 const char *note, struct call *out,
                                 struct htd_error *err);

/* ---- the worker thread ------------------------------------------------- */

struct outbox_worker; /* opaque */

struct outbox_worker_options {
	const char *db_path;
	int busy_timeout_ms;
	struct engine *engine; /* borrowed: its policy; must outlive it */
	/* Without an engine: this policy (borrowed; must outlive it). */
	const struct policy *policy;
	const struct htd_clock *clock; /* NULL: the system clock */
	int64_t poll_ms;               /* 0: OUTBOX_POLL_MS_DEFAULT */
};

#define OUTBOX_POLL_MS_DEFAULT 100
#define OUTBOX_BATCH 16

/*
 * Starts the worker: one lane per target of the policy, each a thread
 * with its own database connection and sender (see outbox_sender_open()
 * for the errors), delivering only that target's rows, so a receiver that
 * hangs delays only its own notices; and one lane for rows of targets the
 * policy no longer has (they fail loudly). On success *out is owned: stop
 * it with outbox_worker_stop().
 */
enum htd_err outbox_worker_start(const struct outbox_worker_options *o,
                                 struct outbox_worker **out,
                                 struct htd_error *err);

/*
 * Follows a policy reload (SIGHUP): opens lanes for the targets and
 * secrets of `policy` (borrowed; must outlive the worker or the next
 * reload) and, only when every one opened, stops the old lanes after the
 * attempts in progress are recorded and starts the new ones. Rows queued
 * before keep their rendered content and are delivered to the new
 * policy's target of the same id (its URL, secret, spool directory); a
 * row whose target the new policy no longer has fails at once, loudly
 * (notice_failed, raised). On an error (a secret that cannot be read, a
 * spool directory that cannot be made) the old lanes go on unchanged.
 * To be called from one thread (the one that started the worker).
 */
enum htd_err outbox_worker_reload(struct outbox_worker *w,
                                  const struct policy *policy,
                                  struct htd_error *err);

/* Asks the lanes to stop, waits for the attempts in progress to be
 * recorded, and frees the worker; accepts NULL. */
void outbox_worker_stop(struct outbox_worker *w);

/* Wakes the worker now (a notice was queued); accepts NULL. */
void outbox_worker_wake(struct outbox_worker *w);

/*
 * Rings the process's doorbell: wakes the worker this process runs, if
 * any, so a notice just committed goes out at once rather than at the
 * next poll (another process's commits wait for the poll). The service
 * rings it after every change that queued rows. Cannot fail.
 */
void outbox_doorbell(void);

#endif
