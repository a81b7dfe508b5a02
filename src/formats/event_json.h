/*
 * event_json.h - the stored form of a call event's payload, and the JSON
 * views of calls and events that the CLI (--json) and the HTTP API write.
 *
 * A payload holds only the type-specific fields of an event (the type, time
 * and actor are columns of their own). Decoding is strict: unknown or
 * missing members and wrong types are errors naming the member, since a
 * payload that does not decode means the store was changed outside
 * htdispatch.
 */
#ifndef HTD_FORMATS_EVENT_JSON_H
#define HTD_FORMATS_EVENT_JSON_H

#include <jansson.h>

#include "core/call.h"
#include "store/store.h"
#include "util/error.h"

/* Limit on a payload we accept to decode. */
#define EVENT_PAYLOAD_MAX (64 * 1024)

/* Returns the payload of `e` as compact JSON text (members sorted, so the
 * same event always gives the same text); owned, free with free(). The
 * payload of a valid event always fits EVENT_PAYLOAD_MAX. */
char *event_json_encode(const struct call_event *e);

/*
 * As event_json_encode(), with record-only members added: members kept in
 * the stored payload for people and audits, which struct call_event does
 * not hold and call_apply() ignores. Only decision_made has one so far:
 * "rationale", any JSON array (the answers, indicators and rules that led
 * to the decision). `extra` is borrowed: NULL or an object. Members of it
 * that are not record-only members of e's type are left out, with a
 * warning in the log, since the decoder would refuse them. When the
 * payload would exceed EVENT_PAYLOAD_MAX, each record-only member becomes
 * a one-string array saying it was omitted, so the event is always stored
 * and read back. Returns owned text (free with free()); never NULL.
 */
char *event_json_encode_with(const struct call_event *e, json_t *extra);

/* A decoded event: `event`'s strings borrow from `doc`; its arrays
 * (indicators_found's hits, decision_made's actions and their ids) are
 * owned here. Record-only members stay in `doc`. */
struct event_decoded {
	struct call_event event;
	json_t *doc;
	struct call_hit *hits;
	struct call_action *actions;
	size_t n_actions;                    /* actions whose id is allocated */
	struct call_suggestion *suggestions; /* records_suggested */
};

/*
 * Decodes a stored event into `out`, then checks it with
 * call_event_validate(). On success release `out` with
 * event_decoded_release(); on failure nothing needs releasing.
 */
enum htd_err event_json_decode(const char *type, int64_t at_ms,
                               const char *actor, const char *payload,
                               struct event_decoded *out,
                               struct htd_error *err);

/* Releases a decoded event; accepts NULL. */
void event_decoded_release(struct event_decoded *d);

/* Returns a new JSON object for a call (answers, decision, checklist and
 * indicator hits included); owned. */
json_t *call_json(const struct call *c);

/* Returns a new JSON object for a stored event: seq, type, at, actor and
 * the payload's members (or "payload" as text when it is not an object);
 * owned. */
json_t *event_json(const struct store_event *e);

/* Returns an RFC 3339 UTC JSON string for `ms`, or JSON null for 0. */
json_t *time_json(int64_t ms);

#endif
