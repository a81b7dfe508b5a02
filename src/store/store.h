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
 * Beside calls, the store keeps users, their sessions and the access audit
 * (service/users.h, service/audit.h). Audit entries are append-only like
 * events; every write that takes a `const struct store_audit *` (optional)
 * writes that entry in the same transaction as the change, or neither.
 *
 * A struct store is used by one thread at a time.
 */
#ifndef HTD_STORE_STORE_H
#define HTD_STORE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/call.h"
#include "core/match.h"
#include "core/record.h"
#include "core/units.h"
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

/*
 * An entry of the access audit: who did what to which object, when, from
 * where, with what outcome. Strings are borrowed: from the caller when
 * writing, from the store (valid during the callback only) when reading.
 */
struct store_audit {
	int64_t id; /* global order; set by the store */
	int64_t at_ms;
	const char *actor;   /* "user:jsmith", "cli:root" */
	const char *action;  /* "call.read", "user.add" */
	const char *object;  /* "call:HT-2026-000001", "user:jsmith", "" */
	const char *address; /* "127.0.0.1", "cli", "" */
	const char *outcome; /* "ok", "denied", ... (service/audit.h) */
	const char *detail;
};

/* Which audit entries to list. Zero-initialise, then set what you need. */
struct store_audit_filter {
	const char *actor;  /* NULL: any */
	const char *object; /* NULL: any */
	int64_t since_ms;   /* at or after; 0: no bound */
	int64_t until_ms;   /* before; 0: no bound */
	size_t limit;       /* 1..STORE_AUDIT_LIST_MAX + 1 */
	int64_t after_id;   /* paging cursor: entries older than this id; 0 */
};

#define STORE_AUDIT_LIST_MAX 1000

/* ---- the notification outbox (docs/notify.md) -------------------------- */

/* X(ENUM, name): the state of an outbox row. A worker sends pending rows;
 * a task (warm transfer) is never sent, only confirmed by a person. A row
 * whose action stopped being required before it was delivered (or its
 * task confirmed) is cancelled: never sent, never confirmed. */
#define STORE_OUTBOX_STATES(X)              \
	X(PENDING, "pending")               \
	X(DELIVERED, "delivered")           \
	X(FAILED, "failed")                 \
	X(TASK_OPEN, "task_open")           \
	X(TASK_CONFIRMED, "task_confirmed") \
	X(CANCELLED, "cancelled")

enum store_outbox_state {
/* An X-macro expansion is a list: */
/* clang-format off */
#define STORE_OUTBOX_ENUM(e, n) STORE_OUTBOX_##e,
	STORE_OUTBOX_STATES(STORE_OUTBOX_ENUM)
#undef STORE_OUTBOX_ENUM
	STORE_OUTBOX__COUNT
	/* clang-format on */
};

/* Returns "pending", ...; "?" out of range. */
const char *store_outbox_state_name(enum store_outbox_state s);
/* Parses a state's name; false (and *out untouched) if none. */
bool store_outbox_state_parse(const char *s, enum store_outbox_state *out);

#define STORE_OUTBOX_KIND_MAX 64
#define STORE_OUTBOX_TARGET_MAX 48
#define STORE_OUTBOX_KEY_MAX 128
#define STORE_OUTBOX_TYPE_MAX 64
#define STORE_OUTBOX_ERROR_MAX 256

/*
 * One notification to one target. Fixed fields are copied; `subject` and
 * `body` are borrowed from the caller when writing, and owned by the list
 * when read (store_outbox_list_free). The idempotency key is unique: the
 * same notification is never queued twice.
 */
struct store_outbox {
	int64_t id; /* set by the store */
	char call_ref[CALL_REF_MAX];
	char kind[STORE_OUTBOX_KIND_MAX + 1];     /* policy notice kind */
	char action[CALL_ACTION_ID_MAX + 1];      /* the action it serves */
	char target[STORE_OUTBOX_TARGET_MAX + 1]; /* policy target id */
	char transport[16];                 /* webhook, smtp, spool, task */
	char key[STORE_OUTBOX_KEY_MAX + 1]; /* [A-Za-z0-9_-] */
	char content_type[STORE_OUTBOX_TYPE_MAX + 1];
	char *subject; /* "" when none */
	char *body;
	enum store_outbox_state state;
	int attempts;            /* attempts made so far */
	int64_t next_attempt_ms; /* pending: not before */
	int last_status;         /* HTTP status / SMTP reply; 0 */
	char last_error[STORE_OUTBOX_ERROR_MAX]; /* "" */
	int64_t created_at_ms;
	int64_t updated_at_ms;
	int64_t delivered_at_ms; /* delivered or confirmed; 0 */
};

struct store_outbox_list {
	struct store_outbox *rows; /* owned */
	size_t n;
};

/* Which rows to list. Zero-initialise, then set what you need. */
struct store_outbox_filter {
	const char *call_ref; /* NULL: any */
	bool by_state;
	enum store_outbox_state state;
	size_t limit; /* 1..STORE_OUTBOX_LIST_MAX */
};

#define STORE_OUTBOX_LIST_MAX 1000
/* Rows one change may queue (5 notice kinds, each to a few targets). */
#define STORE_OUTBOX_APPEND_MAX 64

/* One event to append to an existing call. */
struct store_append {
	const char *call_ref;
	/* The version the projection was computed from. The append fails with
	 * HTD_ERR_CONFLICT, writing nothing, when the call has moved on:
	 * re-read and re-apply (optimistic concurrency). */
	int64_t expected_version;
	const struct store_event *event; /* seq = expected_version + 1 */
	const struct call *projection;   /* the state after the event */
	/* Optional: written in the same transaction (the service sets it on
	 * the first item of a change). */
	const struct store_audit *audit;
	/* Optional: outbox rows queued by this event, in the same
	 * transaction (0..STORE_OUTBOX_APPEND_MAX; their call_ref is
	 * this item's). */
	const struct store_outbox *outbox;
	size_t n_outbox;
	/* Optional: the ids of outbox rows of this item's call withdrawn
	 * by this event (0..STORE_OUTBOX_APPEND_MAX): each becomes
	 * cancelled at the event's time, in the same transaction. Each
	 * must still be pending or task_open: otherwise (a delivery or a
	 * confirmation won the race) the whole append fails with
	 * HTD_ERR_CONFLICT, writing nothing: re-read and re-decide. */
	const int64_t *cancel;
	size_t n_cancel;
	/* Optional: a record_linked event's record (0: none). Confirmed, a
	 * "confirmed" link of the record to this call is kept in
	 * record_links; not, the link is removed. In the same transaction
	 * as the event, which stays the history. */
	int64_t link_record;
	bool link_confirmed;
};

/*
 * The outbox rows of a new call: called by store_call_create() inside its
 * transaction once the call's reference is known (the rows name it, in
 * their keys and texts). Sets *rows (borrowed from ctx until
 * store_call_create returns) and *n (0..STORE_OUTBOX_APPEND_MAX). An error
 * rolls the creation back.
 */
typedef enum htd_err store_outbox_fn(void *ctx, const char *ref,
                                     const struct store_outbox **rows,
                                     size_t *n, struct htd_error *err);

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

/* Field sizes of users and sessions as stored (bytes, NUL excluded). */
#define STORE_USER_NAME_MAX 64
#define STORE_USER_DISPLAY_MAX 128
#define STORE_USER_ROLE_MAX 32
#define STORE_PASSWORD_HASH_MAX 192
#define STORE_TOKEN_HASH_MAX 64

/* A user as stored. `version` counts the changes: an update names the
 * version it read and fails with HTD_ERR_CONFLICT, writing nothing, when
 * the user changed meanwhile (optimistic concurrency, as for calls). */
struct store_user {
	char name[STORE_USER_NAME_MAX + 1];
	char display[STORE_USER_DISPLAY_MAX + 1];
	char role[STORE_USER_ROLE_MAX + 1]; /* access_role_name() */
	char password_hash[STORE_PASSWORD_HASH_MAX + 1];
	bool disabled;
	int64_t locked_until_ms; /* 0: not locked out */
	int failed_logins;
	int64_t created_at_ms;
	int64_t updated_at_ms;
	int64_t last_login_ms; /* 0: never */
	int64_t version;       /* set by the store */
};

struct store_user_list {
	struct store_user *users; /* owned, by name */
	size_t n;
};

/* A session as stored: only the hash of its token, never the token. */
struct store_session {
	char token_hash[STORE_TOKEN_HASH_MAX + 1]; /* hex SHA-256 */
	char user[STORE_USER_NAME_MAX + 1];
	int64_t created_at_ms;
	int64_t last_seen_ms;
	int64_t ended_at_ms; /* 0: live */
};

/* A patrol unit as stored (core/units.h holds what the recommendation
 * reads). `version` counts the changes, as a user's does: an update names
 * the version it read and fails with HTD_ERR_CONFLICT when the unit
 * changed meanwhile. */
struct store_unit {
	struct unit unit;
	char call_ref[CALL_REF_MAX]; /* the call it is assigned to; "" none */
	int64_t created_at_ms;
	int64_t updated_at_ms;
	int64_t version; /* set by the store */
};

struct store_unit_list {
	struct store_unit *units; /* owned, by call sign */
	size_t n;
};

/* Types of the events of a unit (its own append-only history). Position
 * reports are not events: AVL sends one every few seconds; the unit's row
 * keeps the latest. */
#define STORE_UNIT_ADDED "unit_added"
#define STORE_UNIT_STATUS_CHANGED "status_changed"
#define STORE_UNIT_UPDATED "unit_updated"

/* An event of a unit. Strings are borrowed: from the caller when writing,
 * from the store (valid during the callback only) when reading. */
struct store_unit_event {
	int64_t id;            /* global order; set by the store */
	const char *call_sign; /* set by the store on read */
	const char *type;      /* STORE_UNIT_* */
	int64_t at_ms;
	const char *actor;
	const char *payload; /* JSON text */
};

/* One unit written by a change: `unit` as it is to be, provided the
 * stored one is still at unit->version; with `event` (optional). */
struct store_unit_change {
	const struct store_unit *unit;
	const struct store_unit_event *event;
};

#define STORE_DISPATCH_UNITS_MAX 8

/*
 * Records (NENA step 7: the agency's records, searched for what is related
 * to a call). A record is kept once per (kind, source, source_id): putting
 * it again replaces its fields, its sealed flag and its blocking keys, and
 * leaves an identical one untouched. Records are never deleted by an
 * import. The blocking keys (core/score.h: score_keys) are what candidates
 * are found by.
 */
struct store_record_put {
	const struct record *record;   /* complete (record_validate()) */
	const struct match_keys *keys; /* its blocking keys */
};

/* What a put did; store_records_put() adds to these. */
struct store_record_counts {
	uint64_t inserted;
	uint64_t updated;
	uint64_t unchanged;
};

/* A record as stored. `record` owns its values: free with
 * store_record_free(). */
struct store_record {
	int64_t id;
	struct record record;
	int64_t created_at_ms;
	int64_t updated_at_ms;
	int64_t version; /* 1, then one more for every change */
};

struct store_record_list {
	struct store_record *records; /* owned */
	size_t n;
};

/* A record found by its keys: how many of the keys asked for it has. */
struct store_candidate {
	int64_t record_id;
	unsigned shared;
	/* The sum over the shared keys of 1 + log2(STORE_KEY_POSTINGS_MAX /
	 * postings of the key): a key few records hold says more than one
	 * thousands hold (inverse document frequency). */
	double weight;
};

/* Most records put in one store_records_put() call. */
#define STORE_RECORDS_PUT_MAX 65536
/* Most records read by one store_records_get_many(), and most candidates. */
#define STORE_RECORDS_GET_MAX 1000
#define STORE_CANDIDATES_MAX 1000
/* A key held by more records than this is too common to block on: only
 * the first this-many records (lowest ids) holding it are counted. 2,500:
 * reading a common surname's postings was most of a search at a million
 * people; top-10 recall there is the same at 2,000 to 5,000 (0.949) and
 * drops at 1,000 (0.936). */
#define STORE_KEY_POSTINGS_MAX 2500
/*
 * A record's links (store_record_links()): the links its import gave it
 * (to records of (kind, source, source_id), resolved when that record is
 * there, whatever the order of the imports), the links other records'
 * imports gave to it, and the calls it was confirmed on.
 */
enum store_link_dir {
	STORE_LINK_OUT,  /* this record's link to another record */
	STORE_LINK_IN,   /* another record's link to this one */
	STORE_LINK_CALL, /* confirmed on a call ("confirmed") */
};

struct store_record_link {
	enum store_link_dir dir;
	char type[RECORD_LINK_TYPE_MAX + 1]; /* "owner", ..., "confirmed" */
	/* The other record: its id (0 while it is not imported, only for
	 * STORE_LINK_OUT) and its (kind, source, source_id). */
	int64_t other_id;
	enum record_kind other_kind;
	char other_source[RECORD_SOURCE_MAX + 1];
	char other_source_id[RECORD_SOURCE_ID_MAX + 1];
	char call_ref[CALL_REF_MAX]; /* STORE_LINK_CALL */
	int64_t at_ms;
	char actor[CALL_ACTOR_MAX]; /* who confirmed; "import" */
};

struct store_record_link_list {
	struct store_record_link *links; /* owned */
	size_t n;
	bool truncated; /* more than STORE_RECORD_LINKS_READ_MAX */
};

/* Most links store_record_links() reads of one record. */
#define STORE_RECORD_LINKS_READ_MAX 500
/* The actor of links written by an import. */
#define STORE_LINK_ACTOR_IMPORT "import"

/* Longest blocking key stored, in bytes. */
#define STORE_RECORD_KEY_MAX (MATCH_KEY_SIZE - 1)

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
	                            const struct store_event *events,
	                            size_t n_events,
	                            const struct store_audit *audit,
	                            store_outbox_fn *outbox, void *outbox_ctx,
	                            char ref_out[CALL_REF_MAX],
	                            struct htd_error *err);
	enum htd_err (*append)(struct store *s,
	                       const struct store_append *items, size_t n,
	                       struct htd_error *err);
	enum htd_err (*call_get)(struct store *s, const char *ref,
	                         struct call *out, struct htd_error *err);
	enum htd_err (*call_version)(struct store *s, const char *ref,
	                             int64_t *out, struct htd_error *err);
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
	enum htd_err (*events_after)(struct store *s, int64_t after,
	                             size_t limit,
	                             int (*fn)(void *ctx,
	                                       const struct store_event *e),
	                             void *ctx, struct htd_error *err);
	enum htd_err (*events_last)(struct store *s, int64_t *out,
	                            struct htd_error *err);
	enum htd_err (*integrity_check)(struct store *s, struct htd_error *err);
	int (*schema_version)(struct store *s);
	enum htd_err (*audit_append)(struct store *s,
	                             const struct store_audit *a, size_t n,
	                             struct htd_error *err);
	enum htd_err (*audit_list)(struct store *s,
	                           const struct store_audit_filter *f,
	                           int (*fn)(void *ctx,
	                                     const struct store_audit *a),
	                           void *ctx, struct htd_error *err);
	enum htd_err (*user_insert)(struct store *s, const struct store_user *u,
	                            const struct store_audit *audit,
	                            struct htd_error *err);
	enum htd_err (*user_update)(struct store *s, const struct store_user *u,
	                            int64_t end_sessions_at_ms,
	                            const struct store_audit *audit,
	                            struct htd_error *err);
	enum htd_err (*user_get)(struct store *s, const char *name,
	                         struct store_user *out, struct htd_error *err);
	enum htd_err (*user_list)(struct store *s, struct store_user_list *out,
	                          struct htd_error *err);
	enum htd_err (*session_insert)(struct store *s,
	                               const struct store_session *sess,
	                               const struct store_user *user,
	                               const struct store_audit *audit,
	                               struct htd_error *err);
	enum htd_err (*session_get)(struct store *s, const char *token_hash,
	                            struct store_session *out,
	                            struct htd_error *err);
	enum htd_err (*session_touch)(struct store *s, const char *token_hash,
	                              int64_t at_ms,
	                              const struct store_audit *audit,
	                              struct htd_error *err);
	enum htd_err (*session_end)(struct store *s, const char *token_hash,
	                            int64_t at_ms,
	                            const struct store_audit *audit,
	                            struct htd_error *err);
	enum htd_err (*session_end_all_for_user)(
	    struct store *s, const char *user, int64_t at_ms,
	    const struct store_audit *audit, struct htd_error *err);
	enum htd_err (*unit_insert)(struct store *s, const struct store_unit *u,
	                            const struct store_unit_event *event,
	                            const struct store_audit *audit,
	                            struct htd_error *err);
	enum htd_err (*unit_update)(struct store *s,
	                            const struct store_unit_change *change,
	                            const struct store_audit *audit,
	                            struct htd_error *err);
	enum htd_err (*unit_get)(struct store *s, const char *call_sign,
	                         struct store_unit *out, struct htd_error *err);
	enum htd_err (*unit_list)(struct store *s, struct store_unit_list *out,
	                          struct htd_error *err);
	enum htd_err (*unit_events_each)(
	    struct store *s, const char *call_sign,
	    int (*fn)(void *ctx, const struct store_unit_event *e), void *ctx,
	    struct htd_error *err);
	enum htd_err (*dispatch)(struct store *s,
	                         const struct store_append *items, size_t n,
	                         const struct store_unit_change *units,
	                         size_t n_units, struct htd_error *err);
	enum htd_err (*outbox_due)(struct store *s, int64_t now_ms,
	                           const char *target, size_t limit,
	                           struct store_outbox_list *out,
	                           struct htd_error *err);
	enum htd_err (*outbox_list)(struct store *s,
	                            const struct store_outbox_filter *f,
	                            struct store_outbox_list *out,
	                            struct htd_error *err);
	enum htd_err (*outbox_record)(struct store *s,
	                              const struct store_outbox *row,
	                              enum store_outbox_state from,
	                              const struct store_append *items,
	                              size_t n, struct htd_error *err);
	enum htd_err (*outbox_count)(struct store *s,
	                             enum store_outbox_state state,
	                             int64_t *out, struct htd_error *err);
	enum htd_err (*records_begin)(struct store *s, struct htd_error *err);
	enum htd_err (*records_put)(struct store *s,
	                            const struct store_record_put *items,
	                            size_t n, int64_t at_ms,
	                            struct store_record_counts *counts,
	                            struct htd_error *err);
	enum htd_err (*records_commit)(struct store *s,
	                               const struct store_audit *audit,
	                               struct htd_error *err);
	void (*records_rollback)(struct store *s);
	enum htd_err (*record_get)(struct store *s, int64_t id,
	                           struct store_record *out,
	                           struct htd_error *err);
	enum htd_err (*record_find)(struct store *s, enum record_kind kind,
	                            const char *source, const char *source_id,
	                            struct store_record *out,
	                            struct htd_error *err);
	enum htd_err (*records_candidates)(
	    struct store *s, const struct match_keys *keys, size_t limit,
	    struct store_candidate *out, size_t *n_out, struct htd_error *err);
	enum htd_err (*records_get_many)(struct store *s, const int64_t *ids,
	                                 size_t n,
	                                 struct store_record_list *out,
	                                 struct htd_error *err);
	enum htd_err (*records_count)(struct store *s,
	                              uint64_t counts[RECORD_KIND__COUNT],
	                              struct htd_error *err);
	enum htd_err (*record_links)(struct store *s, int64_t id,
	                             struct store_record_link_list *out,
	                             struct htd_error *err);
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
 * and stores the projection and its first `n_events` events (1..
 * STORE_CREATE_EVENTS_MAX: call_opened as seq 1, then what followed from
 * it, such as the first decision, as seq 2...) in one transaction, with `audit`
 * (optional) when given: its object, when NULL, is written as "call:<the new
 * ref>". Durable when it returns HTD_OK.
 */
#define STORE_CREATE_EVENTS_MAX 8
enum htd_err store_call_create(struct store *s, int year,
                               const struct call *projection,
                               const struct store_event *events,
                               size_t n_events, const struct store_audit *audit,
                               store_outbox_fn *outbox, void *outbox_ctx,
                               char ref_out[CALL_REF_MAX],
                               struct htd_error *err);

/* Appends `n` events (each with its projection) in one transaction: all are
 * durable when it returns HTD_OK; none is written otherwise. */
enum htd_err store_append(struct store *s, const struct store_append *items,
                          size_t n, struct htd_error *err);

/* Reads a call's projection into `out` (initialised; freed first). */
enum htd_err store_call_get(struct store *s, const char *ref, struct call *out,
                            struct htd_error *err);

/* Reads a call's version alone (the number of its events): what changes
 * whenever anything about the call does. HTD_ERR_NOT_FOUND for no call. */
enum htd_err store_call_version(struct store *s, const char *ref, int64_t *out,
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

/*
 * The live feed (the API's server-sent events): calls `fn` for at most
 * `limit` events of any call whose global id is above `after`, in id
 * order, each with its call_ref set. Ids only grow, and an event is
 * visible only once its transaction committed, so a reader that remembers
 * the last id it saw misses nothing. A non-zero return from `fn` stops
 * the walk (HTD_OK).
 */
enum htd_err store_events_after(struct store *s, int64_t after, size_t limit,
                                int (*fn)(void *ctx,
                                          const struct store_event *e),
                                void *ctx, struct htd_error *err);

/* Writes the global id of the newest event (0 when there is none). */
enum htd_err store_events_last(struct store *s, int64_t *out,
                               struct htd_error *err);

/* Checks the database's own structures (not the projections). */
enum htd_err store_integrity_check(struct store *s, struct htd_error *err);

/* Returns the schema version of the open database. */
int store_schema_version(struct store *s);

/* Returns the name of the back-end ("sqlite"). */
const char *store_backend(const struct store *s);

/* Frees a page's calls and empties it; accepts NULL. */
void call_page_free(struct call_page *p);

/* ---- the access audit ------------------------------------------------- */

/* Appends `n` (1..STORE_AUDIT_APPEND_MAX) entries on their own (reads,
 * refusals) in one transaction: all or none, durable when it returns
 * HTD_OK; `id`s are ignored. One commit for many entries is what lets a
 * busy server audit every read (service/audit_writer.h). */
#define STORE_AUDIT_APPEND_MAX 1024
enum htd_err store_audit_append(struct store *s, const struct store_audit *a,
                                size_t n, struct htd_error *err);

/* Calls `fn` for each entry that `f` selects, newest (highest id) first,
 * at most f->limit; a non-zero return from `fn` stops the walk. `fn` must
 * not use the store. HTD_ERR_INVALID when the limit is out of range. */
enum htd_err store_audit_list(struct store *s,
                              const struct store_audit_filter *f,
                              int (*fn)(void *ctx, const struct store_audit *a),
                              void *ctx, struct htd_error *err);

/* ---- users and sessions ----------------------------------------------- */

/* Adds a user (u->version is ignored; the user starts at version 1).
 * HTD_ERR_CONFLICT when the name is taken. */
enum htd_err store_user_insert(struct store *s, const struct store_user *u,
                               const struct store_audit *audit,
                               struct htd_error *err);

/*
 * Writes every field of user u->name, provided it is still at u->version
 * (else HTD_ERR_CONFLICT; HTD_ERR_NOT_FOUND when there is no such user).
 * With `end_sessions_at_ms` non-zero, also ends the user's live sessions at
 * that time, in the same transaction.
 */
enum htd_err store_user_update(struct store *s, const struct store_user *u,
                               int64_t end_sessions_at_ms,
                               const struct store_audit *audit,
                               struct htd_error *err);

/* Reads a user into `out`; HTD_ERR_NOT_FOUND. */
enum htd_err store_user_get(struct store *s, const char *name,
                            struct store_user *out, struct htd_error *err);

/* Lists every user, by name; free with store_user_list_free(). */
enum htd_err store_user_list(struct store *s, struct store_user_list *out,
                             struct htd_error *err);

/* Frees a list and empties it; accepts NULL. */
void store_user_list_free(struct store_user_list *l);

/* Adds a session and, with `user` (optional), writes that user as
 * store_user_update() does (a login: the counters and the session
 * together). HTD_ERR_CONFLICT when the token hash exists. */
enum htd_err store_session_insert(struct store *s,
                                  const struct store_session *sess,
                                  const struct store_user *user,
                                  const struct store_audit *audit,
                                  struct htd_error *err);

/* Reads a session, live or ended; HTD_ERR_NOT_FOUND. */
enum htd_err store_session_get(struct store *s, const char *token_hash,
                               struct store_session *out,
                               struct htd_error *err);

/* Moves a live session's last-seen time forward to `at_ms` (never back).
 * HTD_ERR_NOT_FOUND when there is no live session of that hash. */
enum htd_err store_session_touch(struct store *s, const char *token_hash,
                                 int64_t at_ms, const struct store_audit *audit,
                                 struct htd_error *err);

/* Ends a live session at `at_ms`; HTD_ERR_NOT_FOUND when there is no live
 * session of that hash (unknown or ended already). */
enum htd_err store_session_end(struct store *s, const char *token_hash,
                               int64_t at_ms, const struct store_audit *audit,
                               struct htd_error *err);

/* Ends every live session of `user` at `at_ms` (none is not an error). */
enum htd_err store_session_end_all_for_user(struct store *s, const char *user,
                                            int64_t at_ms,
                                            const struct store_audit *audit,
                                            struct htd_error *err);

/* ---- units ------------------------------------------------------------ */

/* Adds a unit (u->version is ignored; it starts at version 1) with its
 * first event and `audit` (optional), in one transaction.
 * HTD_ERR_CONFLICT (field "call_sign") when the call sign is taken. */
enum htd_err store_unit_insert(struct store *s, const struct store_unit *u,
                               const struct store_unit_event *event,
                               const struct store_audit *audit,
                               struct htd_error *err);

/*
 * Writes every field of unit change->unit, provided it is still at its
 * version (else HTD_ERR_CONFLICT; HTD_ERR_NOT_FOUND when there is no such
 * unit), with change->event and `audit` when given, in one transaction.
 */
enum htd_err store_unit_update(struct store *s,
                               const struct store_unit_change *change,
                               const struct store_audit *audit,
                               struct htd_error *err);

/* Reads a unit into `out`; HTD_ERR_NOT_FOUND. */
enum htd_err store_unit_get(struct store *s, const char *call_sign,
                            struct store_unit *out, struct htd_error *err);

/* Lists every unit, by call sign; free with store_unit_list_free(). */
enum htd_err store_unit_list(struct store *s, struct store_unit_list *out,
                             struct htd_error *err);

/* Frees a list and empties it; accepts NULL. */
void store_unit_list_free(struct store_unit_list *l);

/* Calls `fn` for each event of a unit, oldest first; a non-zero return
 * stops the walk (HTD_OK). HTD_ERR_NOT_FOUND when there is no such unit. */
enum htd_err store_unit_events_each(struct store *s, const char *call_sign,
                                    int (*fn)(void *ctx,
                                              const struct store_unit_event *e),
                                    void *ctx, struct htd_error *err);

/*
 * A dispatch: appends the call's `n` items (as store_append(), the audit
 * entry riding on the first) and writes the `n_units` units (1..
 * STORE_DISPATCH_UNITS_MAX, each at its version, with its event) in ONE
 * transaction, so a unit is never dispatched without the call saying so,
 * nor the reverse. Any stale version (call or unit) is HTD_ERR_CONFLICT
 * and nothing is written.
 */
enum htd_err store_dispatch(struct store *s, const struct store_append *items,
                            size_t n, const struct store_unit_change *units,
                            size_t n_units, struct htd_error *err);

/* ---- the notification outbox ------------------------------------------ */

/* Lists up to `limit` (1..STORE_OUTBOX_LIST_MAX) pending rows due at
 * `now_ms` (next_attempt_ms <= now_ms), of target `target` (NULL: any),
 * oldest due first. `out` is emptied first; free with
 * store_outbox_list_free(). */
enum htd_err store_outbox_due(struct store *s, int64_t now_ms,
                              const char *target, size_t limit,
                              struct store_outbox_list *out,
                              struct htd_error *err);

/* Lists the rows `f` selects, newest first (the board, a call's
 * notifications). HTD_ERR_INVALID when the limit is out of range. */
enum htd_err store_outbox_list(struct store *s,
                               const struct store_outbox_filter *f,
                               struct store_outbox_list *out,
                               struct htd_error *err);

/*
 * Records what became of row row->id: writes its state, attempts,
 * next_attempt_ms, last_status, last_error, updated_at_ms and
 * delivered_at_ms, provided it is still in state `from` (else
 * HTD_ERR_CONFLICT; HTD_ERR_NOT_FOUND for no such row), and appends the
 * `n` items (0..; the events the outcome causes, with the rows they queue)
 * as store_append() does: all in one transaction, or nothing.
 */
enum htd_err store_outbox_record(struct store *s,
                                 const struct store_outbox *row,
                                 enum store_outbox_state from,
                                 const struct store_append *items, size_t n,
                                 struct htd_error *err);

/* Counts the rows in `state` (the board's totals, the pending gauge). */
enum htd_err store_outbox_count(struct store *s, enum store_outbox_state state,
                                int64_t *out, struct htd_error *err);

/* Frees a list's rows and empties it; accepts NULL. */
void store_outbox_list_free(struct store_outbox_list *l);
/* ---- records ---------------------------------------------------------- */

/*
 * An import is one transaction: store_records_begin(), any number of
 * store_records_put(), then store_records_commit() (durable when it
 * returns HTD_OK, with `audit`, optional, in the same transaction) or
 * store_records_rollback() (nothing written). Between begin and the end
 * no other write may be made through `s`. HTD_ERR_CONFLICT from begin when
 * a transaction is open already.
 */
enum htd_err store_records_begin(struct store *s, struct htd_error *err);

/*
 * Inside an import's transaction, puts `n` (0..STORE_RECORDS_PUT_MAX)
 * records, each with its keys, at time `at_ms`: a new (kind, source,
 * source_id) is inserted (version 1); a known one whose fields, sealed
 * flag or keys differ is updated (version + 1, keys replaced); an
 * identical one is not written. Adds what it did to `counts`. Two items
 * of one call naming the same record: the later wins. On error the
 * transaction is still open; roll it back.
 */
enum htd_err store_records_put(struct store *s,
                               const struct store_record_put *items, size_t n,
                               int64_t at_ms,
                               struct store_record_counts *counts,
                               struct htd_error *err);

/* Commits the import's transaction with `audit` (optional). On error
 * nothing was written. */
enum htd_err store_records_commit(struct store *s,
                                  const struct store_audit *audit,
                                  struct htd_error *err);

/* Abandons the import's transaction: nothing of it is written. Does
 * nothing outside one. */
void store_records_rollback(struct store *s);

/* begin + put + commit: `n` records in one transaction, all or none. */
enum htd_err
store_records_upsert(struct store *s, const struct store_record_put *items,
                     size_t n, int64_t at_ms, const struct store_audit *audit,
                     struct store_record_counts *counts, struct htd_error *err);

/* Reads record `id` into `out` (overwritten; free with
 * store_record_free()); HTD_ERR_NOT_FOUND. */
enum htd_err store_record_get(struct store *s, int64_t id,
                              struct store_record *out, struct htd_error *err);

/* Reads the record of (kind, source, source_id); HTD_ERR_NOT_FOUND. */
enum htd_err store_record_find(struct store *s, enum record_kind kind,
                               const char *source, const char *source_id,
                               struct store_record *out, struct htd_error *err);

/*
 * The records that hold any of `keys`, with how many of the keys each
 * holds and their weight (struct store_candidate), heaviest first, then
 * most shared, then lowest id; at most `limit`
 * (1..STORE_CANDIDATES_MAX) written to `out` (room for `limit`), their
 * number to *n_out. Each key counts at most STORE_KEY_POSTINGS_MAX
 * records. HTD_ERR_INVALID for a limit out of range.
 */
enum htd_err store_records_candidates(struct store *s,
                                      const struct match_keys *keys,
                                      size_t limit, struct store_candidate *out,
                                      size_t *n_out, struct htd_error *err);

/* Reads the records of `ids` (0..STORE_RECORDS_GET_MAX) into `out`, in
 * the order of `ids`, skipping ids that name no record. Free with
 * store_record_list_free(). */
enum htd_err store_records_get_many(struct store *s, const int64_t *ids,
                                    size_t n, struct store_record_list *out,
                                    struct htd_error *err);

/* Writes how many records of each kind there are. */
enum htd_err store_records_count(struct store *s,
                                 uint64_t counts[RECORD_KIND__COUNT],
                                 struct htd_error *err);

/*
 * The links of record `id` (struct store_record_link), at most
 * STORE_RECORD_LINKS_READ_MAX: its own first (in the order of its links
 * field), then other records' links to it, then the calls it is confirmed
 * on, oldest first. Links to records not imported yet are listed with
 * other_id 0. `out` is overwritten (free with
 * store_record_link_list_free()). The caller checks the other records'
 * sealed flags: the store does not know who asks.
 */
enum htd_err store_record_links(struct store *s, int64_t id,
                                struct store_record_link_list *out,
                                struct htd_error *err);

/* Frees a link list and empties it; accepts NULL. */
void store_record_link_list_free(struct store_record_link_list *l);

/* Frees a record's values and zeroes it; accepts NULL. */
void store_record_free(struct store_record *r);

/* Frees a list and empties it; accepts NULL. */
void store_record_list_free(struct store_record_list *l);

#endif
