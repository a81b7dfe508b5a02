/*
 * audit_writer.h - group commit for the audit entries that are written on
 * their own (reads of calls, refusals). A server that audits every read
 * with its own durable transaction spends its time waiting for the disk,
 * one read at a time; here one thread takes every entry queued while the
 * previous commit was on the disk and commits them together, so the cost
 * of a flush is shared by all the reads that arrived during it.
 *
 * Nothing is weaker than one commit per read: a face (http/) hands its
 * answer out only after `done` has reported the entry durable, and refuses
 * to answer with the data when the entry could not be written. A crash
 * loses only entries whose reads have not been answered yet.
 */
#ifndef HTD_SERVICE_AUDIT_WRITER_H
#define HTD_SERVICE_AUDIT_WRITER_H

#include <stddef.h>

#include "store/store.h"
#include "util/error.h"

/* At most this many entries wait; a submit beyond it waits for room
 * (back-pressure on the readers, never an entry dropped). */
#define AUDIT_WRITER_QUEUE_MAX 4096
/* At most this many entries go in one transaction. */
#define AUDIT_WRITER_BATCH_MAX 512

struct audit_writer;

/* Called once per submitted entry, from the writer's thread, when the
 * entry is durable (HTD_OK) or could not be written (the store's error). It
 * must not block and must not submit. */
typedef void audit_writer_done_fn(void *ctx, enum htd_err rc);

/*
 * Starts the writer's thread on `store` (taken: the writer closes it), a
 * connection of its own. HTD_ERR_INTERNAL when the thread cannot start
 * (the store is closed then). On success *out is owned: stop it with
 * audit_writer_stop().
 */
enum htd_err audit_writer_start(struct store *store, struct audit_writer **out,
                                struct htd_error *err);

/*
 * Queues a copy of `a` (its strings are copied; `a` is borrowed) and
 * returns at once, or when the queue is full, as soon as there is room.
 * `done(ctx, rc)` is called exactly once for the entry. After
 * audit_writer_stop() has begun, `done` is called at once with
 * HTD_ERR_INTERNAL.
 */
void audit_writer_submit(struct audit_writer *w, const struct store_audit *a,
                         audit_writer_done_fn *done, void *ctx);

/* Writes what is queued, stops the thread and closes the store. Accepts
 * NULL. */
void audit_writer_stop(struct audit_writer *w);

/* How many commits and entries so far (for /metrics and tests). */
void audit_writer_counts(struct audit_writer *w, unsigned long long *commits,
                         unsigned long long *entries);

#endif
