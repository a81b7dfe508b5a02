/*
 * related.h - NENA step 7 on every call: the moment a call gains a name, a
 * phone, a place (when it is opened, from the answers caller_name,
 * callback_number and location, or a phone number in a note), the agency's
 * records and its earlier calls are searched, and what matches is attached
 * to the call as a records_suggested event; an investigator confirms or
 * rejects each (record_linked). The call's own details are kept as records
 * of source "calls" (source_id: the call's id), which is how a later call
 * with the same phone or place finds this one.
 *
 * The link graph starts at a call and follows what connects records and
 * calls: the same phone, address, plate, VIN, identifier or business name
 * (the selective blocking keys of core/score.h), and the call's
 * suggestions and links, to a chosen depth.
 *
 * Sealed records are never suggested, and a record sealed later is left
 * out of a call's list and graph for every role that may not see sealed
 * records.
 */
#ifndef HTD_SERVICE_RELATED_H
#define HTD_SERVICE_RELATED_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/call.h"
#include "service/calls.h"
#include "service/engine.h"
#include "util/error.h"

/* The source of the records made from calls. */
#define RELATED_CALLS_SOURCE "calls"
/* Graph limits: depth 1..RELATED_DEPTH_MAX, at most RELATED_NODES_MAX
 * nodes (the graph is cut, and says so, beyond). */
#define RELATED_DEPTH_MAX 3
#define RELATED_NODES_MAX 200

/*
 * Searches for what relates to call `ref` as it stands now, keeps its
 * details as records of source "calls", and appends a records_suggested
 * event with the matches not suggested before (none: no event). `note`
 * (may be NULL) is a note just added: a phone number in it is searched
 * too. Needs svc->engine (its nickname tables); without one it does
 * nothing. The call's change is already durable when this runs: an error
 * here loses no part of it (the caller logs it; the next change searches
 * again).
 */
enum htd_err related_refresh(struct service *svc, const char *ref,
                             const char *note, struct htd_error *err);

enum related_state {
	RELATED_SUGGESTED,
	RELATED_CONFIRMED,
	RELATED_REJECTED,
};

/* Returns "suggested", "confirmed" or "rejected". */
const char *related_state_name(enum related_state s);

/* One record related to a call, with what people decided about it. */
struct related_item {
	struct call_suggestion s; /* as suggested (or linked by a person) */
	enum related_state state;
	char by[CALL_ACTOR_MAX]; /* who confirmed or rejected; "" */
	int64_t at_ms;           /* when suggested, or decided */
	char reason[CALL_REASON_MAX + 1];
	bool sealed; /* the record is sealed now */
};

struct related_list {
	struct related_item *items; /* owned; first suggested first */
	size_t n;
};

void related_list_free(struct related_list *l); /* accepts NULL */

/*
 * The records related to call `ref`, from its history, with each one's
 * state. Sealed records are left out unless `sealed_visible`. Audited as a
 * read of the call ("call.related"). HTD_ERR_NOT_FOUND for no such call.
 */
enum htd_err related_list(struct service *svc, const char *ref,
                          bool sealed_visible, struct related_list *out,
                          struct htd_error *err);

/*
 * Records `actor`'s decision that record `record` is (confirmed) or is not
 * (rejected) related to call `ref`, with `reason` (optional, one line up to
 * CALL_REASON_MAX). The record must exist, and be visible to the actor
 * (`sealed_visible`) when sealed. A record_linked event, audited in its
 * transaction ("call.link"). HTD_ERR_NOT_FOUND for no such call or record.
 */
enum htd_err related_link(struct service *svc, const char *actor,
                          const char *ref, int64_t record, bool confirmed,
                          const char *reason, bool sealed_visible,
                          struct call *out, struct htd_error *err);

/* A node of the link graph: a call or a record. */
struct related_node {
	char id[48];   /* "call:HT-2026-000001", "record:42" */
	char kind[16]; /* "call", "person", "phone", ... */
	char label[CALL_SUGGESTION_LABEL_MAX + 1];
	int depth; /* 0 for the call the graph starts at */
};

/* An edge: two nodes and what connects them. */
struct related_edge {
	int from, to; /* node indexes */
	char via[24]; /* "phone", "address", "plate", "vin", "id", a link's
	               * type ("owner", "employer"... core/record.h),
	               * "business", "suggested", "confirmed", "details" */
};

struct related_graph {
	struct related_node *nodes; /* owned */
	size_t n_nodes;
	struct related_edge *edges; /* owned */
	size_t n_edges;
	bool cut; /* RELATED_NODES_MAX reached: some nodes left out */
};

void related_graph_free(struct related_graph *g); /* accepts NULL */

/* {"nodes": [{"id","kind","label","depth"}], "edges": [{"from","to",
 * "via"}], "cut"}: the API's and the CLI's one shape (new reference). */
json_t *related_graph_json(const struct related_graph *g);

/*
 * The link graph of call `ref` to `depth` (1..RELATED_DEPTH_MAX) steps.
 * Sealed records (and what is reached only through them) are left out
 * unless `sealed_visible`; rejected suggestions are not followed. Audited
 * as a read of the call ("call.graph"). HTD_ERR_INVALID (field "depth")
 * for a depth out of range.
 */
enum htd_err related_graph(struct service *svc, const char *ref, int depth,
                           bool sealed_visible, struct related_graph *out,
                           struct htd_error *err);

/*
 * The hook of struct service's details_changed that searches at once
 * (the CLI): related_refresh(), an error logged, never returned (the
 * call's change is durable already).
 */
void related_refresh_now(struct service *svc, const char *ref,
                         const char *note);

/*
 * The server's: one background thread, with its own store handle and a
 * clone of the engine, takes the calls whose details changed from a
 * bounded queue (RELATED_QUEUE_MAX; when full, the change is logged and
 * skipped: the call's next change searches again) so that no request
 * waits for a search. related_worker_start() runs one per process;
 * related_worker_hook() (the hook every request's service gets) queues to
 * it, and does nothing while none runs. Stop drains what is queued.
 */
#define RELATED_QUEUE_MAX 1024

struct related_worker; /* opaque */

enum htd_err related_worker_start(const char *db_path, int busy_timeout_ms,
                                  struct engine *engine,
                                  struct related_worker **out,
                                  struct htd_error *err);
void related_worker_stop(struct related_worker *w); /* accepts NULL */
void related_worker_hook(struct service *svc, const char *ref,
                         const char *note);

#endif
