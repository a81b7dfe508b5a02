/*
 * store.h - where calls and their events are kept: a back-end-neutral
 * interface.
 *
 * Back-ends are siblings behind this header (sqlite.c now; pg.c later), each
 * filling a struct store_ops. Nothing here names a database library or an SQL
 * dialect. The store persists what the service layer computed: an event and
 * the call's projection after it, together in one durable transaction, or
 * neither. Events are never updated or deleted. Payloads are opaque JSON
 * text written by formats/event_json.
 *
 * A struct store is used by one thread at a time.
 */
#ifndef HTD_STORE_STORE_H
#define HTD_STORE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/call.h"
#include "util/error.h"

struct store;

/* An event as stored. Strings are borrowed: from the caller when appending,
 * from the store (valid during the callback only) when reading. */
struct store_event {
	int64_t id;                  /* global order; set by the store */
	char call_ref[CALL_REF_MAX]; /* set by the store on read */
	int64_t seq;      /* 1-based position in the call's history */
	const char *type; /* call_event_type_name() */
	int64_t at_ms;
	const char *actor;
	const char *payload; /* JSON text */
};

/* One event to append to an existing call. */
struct store_append {
	const char *call_ref;
	/* The version the projection was computed from. The append fails with
	 * HTD_ERR_CONFLICT, writing nothing, when the call has moved on:
	 * re-read and re-apply (optimistic concurrency). */
	int64_t expected_version;
	const struct store_event *event; /* seq = expected_version + 1 */
	const struct call *projection;   /* the state after the event */
};

/* Which calls to list. Zero-initialise, then set what you need. */
struct call_filter {
	bool by_status;
	enum call_status status;
	bool by_category;
	enum call_category category;
	int64_t since_ms; /* opened at or after; 0: no bound */
	int64_t until_ms; /* opened before; 0: no bound */
	size_t limit;     /* 1..CALL_LIST_MAX; 0 means CALL_LIST_DEFAULT */
	char after[CALL_REF_MAX]; /* paging cursor: list calls after this one */
};

#define CALL_LIST_DEFAULT 50
#define CALL_LIST_MAX 1000

/* A page of calls, newest first. Calls in a page carry no answers. */
struct call_page {
	struct call *calls; /* owned */
	size_t n;
	bool more; /* another page follows; its cursor is calls[n-1].ref */
};

struct store_options {
	const char *path;    /* database file */
	int busy_timeout_ms; /* wait this long for a lock (0: 5000) */
	bool create;         /* create the database when it does not exist */
	bool read_only;      /* open without writing anything (no migrations) */
};

#define STORE_BUSY_TIMEOUT_DEFAULT 5000

struct store_ops {
	const char *name;
	void (*close)(struct store *s);
	enum htd_err (*call_create)(struct store *s, int year,
	                            const struct call *projection,
	                            const struct store_event *opened,
	                            char ref_out[CALL_REF_MAX],
	                            struct htd_error *err);
	enum htd_err (*append)(struct store *s,
	                       const struct store_append *items, size_t n,
	                       struct htd_error *err);
	enum htd_err (*call_get)(struct store *s, const char *ref,
	                         struct call *out, struct htd_error *err);
	enum htd_err (*call_list)(struct store *s,
	                          const struct call_filter *filter,
	                          struct call_page *out, struct htd_error *err);
	enum htd_err (*events_each)(struct store *s, const char *ref,
	                            int (*fn)(void *ctx,
	                                      const struct store_event *e),
	                            void *ctx, struct htd_error *err);
	enum htd_err (*calls_each)(struct store *s,
	                           int (*fn)(void *ctx, const char *ref),
	                           void *ctx, struct htd_error *err);
	enum htd_err (*integrity_check)(struct store *s, struct htd_error *err);
	int (*schema_version)(struct store *s);
};

/* The common head of every back-end's store object. */
struct store {
	const struct store_ops *ops;
	char path[1024];
};

/* The schema version this build creates and understands. */
int store_schema_latest(void);

/*
 * Opens the store at opts->path, creating it when opts->create is set, and
 * brings its schema up to date. Fails, leaving the file untouched, with:
 * HTD_ERR_NO_DATABASE (no file, create not set), HTD_ERR_NOT_DATABASE (not
 * a database, or another program's), HTD_ERR_SCHEMA_NEWER (written by a
 * newer htdispatch), HTD_ERR_CORRUPT, HTD_ERR_READONLY, HTD_ERR_BUSY.
 * On success *out is owned by the caller: close with store_close().
 */
enum htd_err store_open(const struct store_options *opts, struct store **out,
                        struct htd_error *err);

/* Closes the store; accepts NULL. */
void store_close(struct store *s);

/*
 * Creates a call: allocates the next sequence number of `year` (unique under
 * concurrency), writes its reference into `projection`'s copy and ref_out,
 * and stores the projection and its opened event (seq 1) in one
 * transaction. Durable when it returns HTD_OK.
 */
enum htd_err store_call_create(struct store *s, int year,
                               const struct call *projection,
                               const struct store_event *opened,
                               char ref_out[CALL_REF_MAX],
                               struct htd_error *err);

/* Appends `n` events (each with its projection) in one transaction: all are
 * durable when it returns HTD_OK; none is written otherwise. */
enum htd_err store_append(struct store *s, const struct store_append *items,
                          size_t n, struct htd_error *err);

/* Reads a call's projection into `out` (initialised; freed first). */
enum htd_err store_call_get(struct store *s, const char *ref, struct call *out,
                            struct htd_error *err);

/* Lists calls, newest first. Free the page with call_page_free(). */
enum htd_err store_call_list(struct store *s, const struct call_filter *filter,
                             struct call_page *out, struct htd_error *err);

/* Calls `fn` for each event of the call in order; a non-zero return from
 * `fn` stops the walk (the function then returns HTD_OK). */
enum htd_err store_events_each(struct store *s, const char *ref,
                               int (*fn)(void *ctx,
                                         const struct store_event *e),
                               void *ctx, struct htd_error *err);

/* Calls `fn` for every call reference, oldest first. */
enum htd_err store_calls_each(struct store *s,
                              int (*fn)(void *ctx, const char *ref), void *ctx,
                              struct htd_error *err);

/* Checks the database's own structures (not the projections). */
enum htd_err store_integrity_check(struct store *s, struct htd_error *err);

/* Returns the schema version of the open database. */
int store_schema_version(struct store *s);

/* Returns the name of the back-end ("sqlite"). */
const char *store_backend(const struct store *s);

/* Frees a page's calls and empties it; accepts NULL. */
void call_page_free(struct call_page *p);

#endif
