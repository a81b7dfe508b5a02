/*
 * fuzz_event_json.c - fuzzes event_json_decode(), which reads the stored
 * payload of a call event (JSON from the database, which may have been
 * changed outside htdispatch).
 *
 * Input: the first byte picks the event type (call_opened, note_added,
 * answer_recorded, call_closed); the rest is the payload. Properties: a
 * rejection names a field; an accepted payload re-encodes with
 * event_json_encode() to text that decodes to an equal event and that is
 * canonical (encoding again gives the same text); a decoded (hence valid)
 * event applies to a call in the matching state, and the projection copies
 * equal. Everything is released: ASan's leak check runs after each input.
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
};

static void fail(const char *what, const char *payload, const char *detail)
{
	fprintf(stderr, "event_json: %s\npayload: %s\ndetail: %s\n", what,
	        payload, detail ? detail : "(none)");
	abort();
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
