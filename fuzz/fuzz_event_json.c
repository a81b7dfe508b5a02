/*
 * fuzz_event_json.c - fuzzes event_json_decode(), which reads the stored
 * payload of a call event (JSON from the database, which may have been
 * changed outside htdispatch).
 *
 * Input: the first byte picks the event type (call_opened, note_added,
 * answer_recorded, call_closed, indicators_found, decision_made,
 * category_overridden, action_marked, notice_queued, notice_delivered,
 * notice_failed, task_confirmed, records_suggested, record_linked); the
 * rest is the payload.
 * Properties: a rejection names a field; an accepted payload re-encodes
 * with event_json_encode() to text that decodes to an equal event and that
 * is canonical (encoding again gives the same text); a decoded (hence
 * valid) event applies to a call in the matching state (for
 * indicators_found: one whose notes include the one it names, when that is
 * a possible position; otherwise it is refused, unchanged), and the
 * projection copies equal. Everything is released: ASan's leak check runs
 * after each input.
 */
#include <stdio.h>
#include <stdlib.h>

#include "formats/event_json.h"
#include "fuzz/fuzz.h"
#include "util/str.h"

#define FUZZ_AT_MS INT64_C(1795000000000) /* 2026-11-18, any fixed time */
#define FUZZ_ACTOR "fuzz:event_json"

static const enum call_event_type fuzz_types[] = {
	CALL_EVENT_OPENED,
	CALL_EVENT_NOTE_ADDED,
	CALL_EVENT_ANSWER_RECORDED,
	CALL_EVENT_CLOSED,
	CALL_EVENT_INDICATORS_FOUND,
	CALL_EVENT_DECISION_MADE,
	CALL_EVENT_CATEGORY_OVERRIDDEN,
	CALL_EVENT_ACTION_MARKED,
	CALL_EVENT_NOTICE_QUEUED,
	CALL_EVENT_NOTICE_DELIVERED,
	CALL_EVENT_NOTICE_FAILED,
	CALL_EVENT_TASK_CONFIRMED,
	CALL_EVENT_NOTICE_CANCELLED,
};

/* indicators_found naming a note at most this far in gets a call with
 * that many events; further ones must be refused. */
#define FUZZ_NOTES_MAX 64

static void fail(const char *what, const char *payload, const char *detail)
{
	fprintf(stderr, "event_json: %s\npayload: %s\ndetail: %s\n", what,
	        payload, detail ? detail : "(none)");
	abort();
}

static bool hits_equal(const struct call_event *a, const struct call_event *b)
{
	if (a->u.indicators.note != b->u.indicators.note ||
	    a->u.indicators.n_hits != b->u.indicators.n_hits)
		return false;
	for (size_t i = 0; i < a->u.indicators.n_hits; i++) {
		const struct call_hit *x = &a->u.indicators.hits[i];
		const struct call_hit *y = &b->u.indicators.hits[i];
		if (strcmp(x->indicator, y->indicator) != 0 ||
		    x->note != y->note || x->start != y->start ||
		    x->end != y->end || x->negated != y->negated ||
		    x->hypothetical != y->hypothetical ||
		    x->historical != y->historical ||
		    strcmp(x->subject, y->subject) != 0)
			return false;
	}
	return true;
}

static bool decisions_equal(const struct call_event *a,
                            const struct call_event *b)
{
	if (a->u.decision.recommended != b->u.decision.recommended ||
	    a->u.decision.category != b->u.decision.category ||
	    a->u.decision.priority != b->u.decision.priority ||
	    !str_eq(a->u.decision.decided_with, b->u.decision.decided_with) ||
	    a->u.decision.n_actions != b->u.decision.n_actions)
		return false;
	for (size_t i = 0; i < a->u.decision.n_actions; i++) {
		const struct call_action *x = &a->u.decision.actions[i];
		const struct call_action *y = &b->u.decision.actions[i];
		if (!str_eq(x->id, y->id) || x->state != y->state ||
		    x->required_since_ms != y->required_since_ms)
			return false;
	}
	return true;
}

/* Returns true when the two events hold the same type, time, actor and
 * type-specific fields. */
static bool events_equal(const struct call_event *a, const struct call_event *b)
{
	if (a->type != b->type || a->at_ms != b->at_ms ||
	    !str_eq(a->actor, b->actor))
		return false;
	switch (a->type) {
	case CALL_EVENT_OPENED:
		return a->u.opened.channel == b->u.opened.channel &&
		       str_eq(a->u.opened.language, b->u.opened.language) &&
		       str_eq(a->u.opened.location_text,
		              b->u.opened.location_text) &&
		       str_eq(a->u.opened.callback_number,
		              b->u.opened.callback_number) &&
		       str_eq(a->u.opened.caller_name, b->u.opened.caller_name);
	case CALL_EVENT_NOTE_ADDED:
		return str_eq(a->u.note.text, b->u.note.text);
	case CALL_EVENT_ANSWER_RECORDED:
		return str_eq(a->u.answer.question, b->u.answer.question) &&
		       str_eq(a->u.answer.value, b->u.answer.value);
	case CALL_EVENT_CLOSED:
		return a->u.closed.disposition == b->u.closed.disposition &&
		       str_eq(a->u.closed.summary, b->u.closed.summary);
	case CALL_EVENT_INDICATORS_FOUND: return hits_equal(a, b);
	case CALL_EVENT_DECISION_MADE: return decisions_equal(a, b);
	case CALL_EVENT_CATEGORY_OVERRIDDEN:
		return a->u.override.category == b->u.override.category &&
		       str_eq(a->u.override.reason, b->u.override.reason);
	case CALL_EVENT_ACTION_MARKED:
		return str_eq(a->u.mark.action, b->u.mark.action) &&
		       a->u.mark.state == b->u.mark.state &&
		       str_eq(a->u.mark.reason, b->u.mark.reason);
	case CALL_EVENT_NOTICE_QUEUED:
	case CALL_EVENT_NOTICE_DELIVERED:
	case CALL_EVENT_NOTICE_FAILED:
	case CALL_EVENT_NOTICE_CANCELLED:
	case CALL_EVENT_TASK_CONFIRMED:
		return str_eq(a->u.notice.kind, b->u.notice.kind) &&
		       str_eq(a->u.notice.action, b->u.notice.action) &&
		       str_eq(a->u.notice.target, b->u.notice.target) &&
		       str_eq(a->u.notice.key, b->u.notice.key) &&
		       str_eq(a->u.notice.detail, b->u.notice.detail) &&
		       a->u.notice.completes == b->u.notice.completes;
	case CALL_EVENT_RECORDS_SUGGESTED:
		if (a->u.suggested.n != b->u.suggested.n)
			return false;
		for (size_t i = 0; i < a->u.suggested.n; i++) {
			const struct call_suggestion *x =
			    &a->u.suggested.items[i];
			const struct call_suggestion *y =
			    &b->u.suggested.items[i];
			if (x->record != y->record || x->weight != y->weight ||
			    x->match != y->match || !str_eq(x->kind, y->kind) ||
			    !str_eq(x->label, y->label) ||
			    !str_eq(x->from, y->from) ||
			    !str_eq(x->why, y->why))
				return false;
		}
		return true;
	case CALL_EVENT_RECORD_LINKED:
		return a->u.link.record == b->u.link.record &&
		       a->u.link.confirmed == b->u.link.confirmed &&
		       str_eq(a->u.link.reason, b->u.link.reason);
	case CALL_EVENT__COUNT: break;
	}
	return false;
}

/* A valid event must apply to a call in the state it expects: a new call
 * for call_opened, an open call for the others. */
static void check_apply(const struct call_event *e, const char *payload)
{
	struct call c, copy;
	struct htd_error err;
	struct call_event opened;

	call_init(&c);
	call_init(&copy);
	htd_error_clear(&err);
	if (e->type != CALL_EVENT_OPENED) {
		memset(&opened, 0, sizeof(opened));
		opened.type = CALL_EVENT_OPENED;
		opened.at_ms = FUZZ_AT_MS - 1000;
		opened.actor = FUZZ_ACTOR;
		opened.u.opened.channel = CALL_CHANNEL_VOICE;
		opened.u.opened.language = "en";
		if (call_apply(&c, &opened, &err) != HTD_OK)
			fail("the fixed open event does not apply", payload,
			     err.message);
	}
	if (e->type == CALL_EVENT_INDICATORS_FOUND) {
		/* Notes at positions 2 .. min(note, FUZZ_NOTES_MAX + 1). */
		int64_t note = e->u.indicators.note;
		struct call_event n;
		memset(&n, 0, sizeof(n));
		n.type = CALL_EVENT_NOTE_ADDED;
		n.at_ms = FUZZ_AT_MS - 500;
		n.actor = FUZZ_ACTOR;
		n.u.note.text = "note";
		for (int64_t seq = 2; seq <= note && seq <= FUZZ_NOTES_MAX + 1;
		     seq++)
			if (call_apply(&c, &n, &err) != HTD_OK)
				fail("a note does not apply", payload,
				     err.message);
		if (note < 2 || note > FUZZ_NOTES_MAX + 1) {
			call_copy(&copy, &c);
			if (call_apply(&c, e, &err) != HTD_ERR_CONFLICT)
				fail("indicators of no note were accepted",
				     payload, NULL);
			if (!call_equal(&c, &copy, NULL, 0))
				fail("a refused event changed the call",
				     payload, NULL);
			call_free(&copy);
			call_free(&c);
			return;
		}
	}
	if (call_apply(&c, e, &err) != HTD_OK)
		fail("a decoded event does not apply", payload, err.message);
	call_copy(&copy, &c);
	if (!call_equal(&c, &copy, NULL, 0))
		fail("a call differs from its copy", payload, NULL);
	call_free(&copy);
	call_free(&c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct event_decoded first, second;
	struct htd_error err;
	char *payload, *text = NULL, *text2 = NULL;

	if (size < 1)
		return 0;
	size_t n_types = sizeof(fuzz_types) / sizeof(fuzz_types[0]);
	const char *type = call_event_type_name(fuzz_types[data[0] % n_types]);
	payload = fuzz_input_copy(data + 1, size - 1);
	if (!payload)
		return 0;

	htd_error_clear(&err);
	if (event_json_decode(type, FUZZ_AT_MS, FUZZ_ACTOR, payload, &first,
	                      &err) != HTD_OK) {
		if (err.code == HTD_OK || err.field[0] == '\0')
			fail("a rejection names no field", payload,
			     err.message);
		if (first.doc)
			fail("a failed decode left a document", payload, NULL);
		goto out;
	}

	text = event_json_encode(&first.event);
	htd_error_clear(&err);
	if (event_json_decode(type, FUZZ_AT_MS, FUZZ_ACTOR, text, &second,
	                      &err) != HTD_OK)
		fail(err.message, payload, text);
	if (!events_equal(&first.event, &second.event))
		fail("the re-encoded event differs", payload, text);
	text2 = event_json_encode(&second.event);
	if (strcmp(text, text2) != 0)
		fail("encoding is not canonical", payload, text2);
	check_apply(&second.event, payload);
	event_decoded_release(&second);
	event_decoded_release(&first);
out:
	free(text2);
	free(text);
	free(payload);
	return 0;
}
