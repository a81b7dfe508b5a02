/*
 * test_event_json.c - unit tests of formats/event_json.c: payload encoding,
 * strict decoding (each malformed payload gives the right code and names the
 * field), and the JSON views of calls and stored events.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "formats/event_json.h"
#include "util/mem.h"

#define T0 INT64_C(1795942459123) /* 2026-11-29T08:54:19.123Z */
#define ACTOR "user:jsmith"

/* ---- helpers ----------------------------------------------------------- */

static struct call_event opened_event(void)
{
	struct call_event e;
	memset(&e, 0, sizeof(e));
	e.type = CALL_EVENT_OPENED;
	e.at_ms = T0;
	e.actor = ACTOR;
	e.u.opened.channel = CALL_CHANNEL_TEXT;
	e.u.opened.language = "es-MX";
	e.u.opened.location_text = "Motel 6, I-35 exit 12";
	e.u.opened.callback_number = "+1 (312) 555-0100";
	e.u.opened.caller_name = "Mar\xc3\xad"
	                         "a";
	return e;
}

static struct call_event note_event(const char *text)
{
	struct call_event e;
	memset(&e, 0, sizeof(e));
	e.type = CALL_EVENT_NOTE_ADDED;
	e.at_ms = T0;
	e.actor = ACTOR;
	e.u.note.text = text;
	return e;
}

static struct call_event answer_event(const char *question, const char *value)
{
	struct call_event e;
	memset(&e, 0, sizeof(e));
	e.type = CALL_EVENT_ANSWER_RECORDED;
	e.at_ms = T0;
	e.actor = ACTOR;
	e.u.answer.question = question;
	e.u.answer.value = value;
	return e;
}

static struct call_event closed_event(enum call_disposition d,
                                      const char *summary)
{
	struct call_event e;
	memset(&e, 0, sizeof(e));
	e.type = CALL_EVENT_CLOSED;
	e.at_ms = T0;
	e.actor = ACTOR;
	e.u.closed.disposition = d;
	e.u.closed.summary = summary;
	return e;
}

/* Encodes `e` and checks the exact text. */
static void encodes_as(const struct call_event *e, const char *want)
{
	char *text = event_json_encode(e);
	cr_assert_not_null(text);
	cr_assert_str_eq(text, want);
	free(text);
}

/* Encodes `e`, decodes the result, and returns the decoded event. */
static void round_trip(const struct call_event *e, struct event_decoded *d)
{
	struct htd_error err;
	htd_error_clear(&err);
	char *text = event_json_encode(e);
	enum htd_err rc = event_json_decode(call_event_type_name(e->type),
	                                    e->at_ms, e->actor, text, d, &err);
	free(text);
	cr_assert_eq(rc, HTD_OK, "decode: %s (%s)", err.message, err.field);
	cr_assert_not_null(d->doc);
	cr_assert_eq(d->event.type, e->type);
	cr_assert_eq(d->event.at_ms, e->at_ms);
	cr_assert_str_eq(d->event.actor, e->actor);
}

/* Decodes `payload` as an event of `type`, expecting `code` naming
 * `field`; returns the error message (valid until the next call). */
static const char *decode_fails(const char *type, const char *payload,
                                enum htd_err code, const char *field)
{
	static struct htd_error err;
	struct event_decoded d;
	memset(&d, 0x5a, sizeof(d));
	htd_error_clear(&err);
	enum htd_err rc = event_json_decode(type, T0, ACTOR, payload, &d, &err);
	cr_assert_eq(rc, code, "payload %.80s: want %s, got %s (%s)",
	             payload ? payload : "(null)", htd_err_name(code),
	             htd_err_name(rc), err.message);
	cr_assert_eq(err.code, code);
	cr_assert_str_eq(err.field, field, "payload %.80s: %s",
	                 payload ? payload : "(null)", err.message);
	/* Nothing to release on failure. */
	cr_assert_null(d.doc);
	return err.message;
}

static const char *const good_opened =
    "{\"callback\":\"\",\"caller_name\":\"\",\"channel\":\"voice\","
    "\"language\":\"en\",\"location\":\"\"}";

/* ---- encoding ---------------------------------------------------------- */

Test(event_encode, opened)
{
	struct call_event e = opened_event();
	encodes_as(&e, "{\"callback\":\"+1 (312) 555-0100\","
	               "\"caller_name\":\"Mar\xc3\xad"
	               "a\",\"channel\":\"text\","
	               "\"language\":\"es-MX\","
	               "\"location\":\"Motel 6, I-35 exit 12\"}");
	e.u.opened.location_text = NULL;
	e.u.opened.callback_number = NULL;
	e.u.opened.caller_name = NULL;
	e.u.opened.channel = CALL_CHANNEL_TRANSFER;
	encodes_as(&e, "{\"callback\":\"\",\"caller_name\":\"\","
	               "\"channel\":\"transfer\",\"language\":\"es-MX\","
	               "\"location\":\"\"}");
}

Test(event_encode, note_escapes_json)
{
	struct call_event e = note_event("She said \"help\"\nroom\t12 \\ back");
	encodes_as(&e, "{\"text\":\"She said \\\"help\\\"\\nroom\\t12 \\\\ "
	               "back\"}");
}

Test(event_encode, answer)
{
	struct call_event e = answer_event("free_to_leave", "no");
	encodes_as(&e, "{\"question\":\"free_to_leave\",\"value\":\"no\"}");
}

Test(event_encode, closed)
{
	struct call_event e =
	    closed_event(CALL_DISPOSITION_REFERRED_OTHER_AGENCY, "HSI");
	encodes_as(&e, "{\"disposition\":\"referred_other_agency\","
	               "\"summary\":\"HSI\"}");
	e.u.closed.summary = NULL;
	encodes_as(&e, "{\"disposition\":\"referred_other_agency\","
	               "\"summary\":\"\"}");
}

/* ---- round trips ------------------------------------------------------- */

Test(event_round_trip, opened)
{
	struct call_event e = opened_event();
	struct event_decoded d;
	round_trip(&e, &d);
	cr_assert_eq(d.event.u.opened.channel, CALL_CHANNEL_TEXT);
	cr_assert_str_eq(d.event.u.opened.language, "es-MX");
	cr_assert_str_eq(d.event.u.opened.location_text,
	                 "Motel 6, I-35 exit 12");
	cr_assert_str_eq(d.event.u.opened.callback_number, "+1 (312) 555-0100");
	cr_assert_str_eq(d.event.u.opened.caller_name, "Mar\xc3\xad"
	                                               "a");
	event_decoded_release(&d);
	cr_assert_null(d.doc);
}

Test(event_round_trip, every_channel)
{
	for (int c = 0; c < CALL_CHANNEL__COUNT; c++) {
		struct call_event e = opened_event();
		struct event_decoded d;
		e.u.opened.channel = (enum call_channel)c;
		round_trip(&e, &d);
		cr_assert_eq((int)d.event.u.opened.channel, c);
		event_decoded_release(&d);
	}
}

Test(event_round_trip, note)
{
	const char *text = "Line one \"quoted\"\r\nline two\t\\ \xe4\xb8\xad "
	                   "\xf0\x9f\x98\x80 </script>";
	struct call_event e = note_event(text);
	struct event_decoded d;
	round_trip(&e, &d);
	cr_assert_str_eq(d.event.u.note.text, text);
	event_decoded_release(&d);
}

Test(event_round_trip, answer)
{
	struct call_event e = answer_event("language", "zh-Hant-TW");
	struct event_decoded d;
	round_trip(&e, &d);
	cr_assert_str_eq(d.event.u.answer.question, "language");
	cr_assert_str_eq(d.event.u.answer.value, "zh-Hant-TW");
	event_decoded_release(&d);
}

Test(event_round_trip, every_disposition)
{
	for (int i = 0; i < CALL_DISPOSITION__COUNT; i++) {
		struct call_event e = closed_event((enum call_disposition)i,
		                                   "Closed.\nSee notes.");
		struct event_decoded d;
		round_trip(&e, &d);
		cr_assert_eq((int)d.event.u.closed.disposition, i);
		cr_assert_str_eq(d.event.u.closed.summary,
		                 "Closed.\nSee notes.");
		event_decoded_release(&d);
	}
}

Test(event_round_trip, decoded_strings_outlive_the_payload_text)
{
	struct event_decoded d;
	struct htd_error err;
	char *text = xstrdup("{\"text\":\"kept\"}");
	cr_assert_eq(event_json_decode("note_added", T0, ACTOR, text, &d, &err),
	             HTD_OK);
	memset(text, 'x', strlen(text));
	free(text);
	cr_assert_str_eq(d.event.u.note.text, "kept");
	event_decoded_release(&d);
	event_decoded_release(NULL);
}

Test(event_round_trip, member_order_and_whitespace_do_not_matter)
{
	struct event_decoded d;
	struct htd_error err;
	cr_assert_eq(event_json_decode("answer_recorded", T0, ACTOR,
	                               " { \"value\" : \"yes\" ,\n"
	                               "\"question\":\"escaped\" } ",
	                               &d, &err),
	             HTD_OK, "%s", err.message);
	cr_assert_str_eq(d.event.u.answer.question, "escaped");
	cr_assert_str_eq(d.event.u.answer.value, "yes");
	event_decoded_release(&d);
}

/* ---- strict decoding --------------------------------------------------- */

Test(event_decode, unknown_type)
{
	decode_fails("call_reopened", "{}", HTD_ERR_INVALID, "type");
	decode_fails("", "{}", HTD_ERR_INVALID, "type");
	decode_fails("CALL_OPENED", good_opened, HTD_ERR_INVALID, "type");
	decode_fails(NULL, "{}", HTD_ERR_INVALID, "type");
}

Test(event_decode, unknown_member)
{
	const char *msg =
	    decode_fails("note_added", "{\"text\":\"x\",\"victim_ssn\":\"1\"}",
	                 HTD_ERR_INVALID, "payload");
	cr_assert_not_null(strstr(msg, "victim_ssn"), "%s", msg);
	decode_fails("answer_recorded",
	             "{\"question\":\"escaped\",\"value\":\"yes\",\"x\":1}",
	             HTD_ERR_INVALID, "payload");
	/* A member of another event type is unknown here. */
	decode_fails("call_closed",
	             "{\"disposition\":\"unfounded\",\"summary\":\"\","
	             "\"text\":\"\"}",
	             HTD_ERR_INVALID, "payload");
}

Test(event_decode, missing_member)
{
	const char *msg =
	    decode_fails("note_added", "{}", HTD_ERR_INVALID, "text");
	cr_assert_not_null(strstr(msg, "missing"), "%s", msg);
	decode_fails("answer_recorded", "{\"question\":\"escaped\"}",
	             HTD_ERR_INVALID, "value");
	decode_fails("call_closed", "{\"summary\":\"\"}", HTD_ERR_INVALID,
	             "disposition");
	decode_fails("call_opened",
	             "{\"callback\":\"\",\"channel\":\"voice\","
	             "\"language\":\"en\",\"location\":\"\"}",
	             HTD_ERR_INVALID, "caller_name");
	/* Missing and unknown at once: the missing one is named. */
	decode_fails("note_added", "{\"txt\":\"x\"}", HTD_ERR_INVALID, "text");
}

Test(event_decode, non_string_member)
{
	static const char *const bad[] = {
		"{\"text\":5}",       "{\"text\":null}", "{\"text\":true}",
		"{\"text\":[\"x\"]}", "{\"text\":{}}",   "{\"text\":1.5}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *msg =
		    decode_fails("note_added", bad[i], HTD_ERR_INVALID, "text");
		cr_assert_not_null(strstr(msg, "not a string"), "%s", msg);
	}
	decode_fails("call_opened",
	             "{\"callback\":\"\",\"caller_name\":\"\",\"channel\":1,"
	             "\"language\":\"en\",\"location\":\"\"}",
	             HTD_ERR_INVALID, "channel");
}

Test(event_decode, embedded_nul)
{
	const char *msg = decode_fails("note_added", "{\"text\":\"a\\u0000b\"}",
	                               HTD_ERR_INVALID, "text");
	cr_assert_not_null(strstr(msg, "NUL"), "%s", msg);
	decode_fails("answer_recorded",
	             "{\"question\":\"escaped\",\"value\":\"yes\\u0000no\"}",
	             HTD_ERR_INVALID, "value");
	decode_fails("call_opened",
	             "{\"callback\":\"\",\"caller_name\":\"\","
	             "\"channel\":\"voice\",\"language\":\"en\\u0000\","
	             "\"location\":\"\"}",
	             HTD_ERR_INVALID, "language");
	/* A NUL in a member name never parses. */
	decode_fails("note_added", "{\"te\\u0000xt\":\"a\"}", HTD_ERR_PARSE,
	             "payload");
}

Test(event_decode, not_an_object)
{
	static const char *const arrays[] = { "[]", "[\"text\"]",
		                              "[{\"text\":\"x\"}]" };
	for (size_t i = 0; i < sizeof(arrays) / sizeof(arrays[0]); i++) {
		const char *msg = decode_fails("note_added", arrays[i],
		                               HTD_ERR_INVALID, "payload");
		cr_assert_not_null(strstr(msg, "not a JSON object"), "%s", msg);
	}
	/* jansson refuses a bare scalar as a document: a parse error. */
	static const char *const scalars[] = { "\"text\"", "1", "null",
		                               "true" };
	for (size_t i = 0; i < sizeof(scalars) / sizeof(scalars[0]); i++)
		decode_fails("note_added", scalars[i], HTD_ERR_PARSE,
		             "payload");
}

Test(event_decode, invalid_json)
{
	static const char *const bad[] = {
		"",
		"{",
		"{\"text\":\"x\",}",
		"{\"text\":\"x\"} trailing",
		"{\"text\":\"x\"}{}",
		"{text:\"x\"}",
		"{'text':'x'}",
		"{\"text\":\"\xff\"}",             /* not UTF-8 */
		"{\"text\":\"a\nb\"}",             /* raw control in a string */
		"{\"text\":\"a\",\"text\":\"b\"}", /* duplicate member */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *msg = decode_fails("note_added", bad[i],
		                               HTD_ERR_PARSE, "payload");
		cr_assert_not_null(strstr(msg, "not JSON"), "%s", msg);
	}
	decode_fails("note_added", NULL, HTD_ERR_PARSE, "payload");
}

Test(event_decode, oversized_payload)
{
	/* A valid note padded with spaces to exactly the limit decodes... */
	const char *core = "{\"text\":\"x\"}";
	size_t n = EVENT_PAYLOAD_MAX;
	char *p = xmalloc(n + 2);
	memset(p, ' ', n + 1);
	memcpy(p, core, strlen(core));
	p[n] = '\0';
	struct event_decoded d;
	struct htd_error err;
	cr_assert_eq(event_json_decode("note_added", T0, ACTOR, p, &d, &err),
	             HTD_OK, "%s", err.message);
	event_decoded_release(&d);
	/* ...one byte more is too large, before any parsing. */
	p[n] = ' ';
	p[n + 1] = '\0';
	const char *msg =
	    decode_fails("note_added", p, HTD_ERR_TOO_LARGE, "payload");
	cr_assert_not_null(strstr(msg, "65536"), "%s", msg);
	free(p);
}

Test(event_decode, unknown_channel_and_disposition)
{
	const char *msg = decode_fails(
	    "call_opened",
	    "{\"callback\":\"\",\"caller_name\":\"\",\"channel\":\"fax\","
	    "\"language\":\"en\",\"location\":\"\"}",
	    HTD_ERR_INVALID, "channel");
	cr_assert_not_null(strstr(msg, "fax"), "%s", msg);
	decode_fails("call_opened",
	             "{\"callback\":\"\",\"caller_name\":\"\","
	             "\"channel\":\"Voice\",\"language\":\"en\","
	             "\"location\":\"\"}",
	             HTD_ERR_INVALID, "channel");
	msg = decode_fails("call_closed",
	                   "{\"disposition\":\"arrested\",\"summary\":\"\"}",
	                   HTD_ERR_INVALID, "disposition");
	cr_assert_not_null(strstr(msg, "arrested"), "%s", msg);
	decode_fails("call_closed", "{\"disposition\":\"\",\"summary\":\"\"}",
	             HTD_ERR_INVALID, "disposition");
}

Test(event_decode, decoded_events_are_validated)
{
	decode_fails("call_opened",
	             "{\"callback\":\"\",\"caller_name\":\"\","
	             "\"channel\":\"voice\",\"language\":\"es-mx\","
	             "\"location\":\"\"}",
	             HTD_ERR_INVALID, "language");
	decode_fails("call_opened",
	             "{\"callback\":\"call me\",\"caller_name\":\"\","
	             "\"channel\":\"voice\",\"language\":\"en\","
	             "\"location\":\"\"}",
	             HTD_ERR_INVALID, "callback");
	decode_fails("note_added", "{\"text\":\"\"}", HTD_ERR_INVALID, "text");
	decode_fails("note_added", "{\"text\":\"\\u001b[2J\"}", HTD_ERR_INVALID,
	             "text");
	decode_fails("answer_recorded",
	             "{\"question\":\"escaped\",\"value\":\"YES\"}",
	             HTD_ERR_INVALID, "value");
	decode_fails("answer_recorded",
	             "{\"question\":\"Escaped\",\"value\":\"yes\"}",
	             HTD_ERR_INVALID, "question");

	/* Type, time and actor come from the columns and are checked too. */
	struct event_decoded d;
	struct htd_error err;
	cr_assert_eq(
	    event_json_decode("call_opened", 0, ACTOR, good_opened, &d, &err),
	    HTD_ERR_INVALID);
	cr_assert_str_eq(err.field, "at");
	cr_assert_null(d.doc);
	cr_assert_eq(
	    event_json_decode("call_opened", T0, "", good_opened, &d, &err),
	    HTD_ERR_INVALID);
	cr_assert_str_eq(err.field, "actor");
	cr_assert_eq(
	    event_json_decode("call_opened", T0, NULL, good_opened, &d, &err),
	    HTD_ERR_INVALID);
	cr_assert_str_eq(err.field, "actor");
	cr_assert_eq(
	    event_json_decode("call_opened", T0, ACTOR, good_opened, &d, NULL),
	    HTD_OK);
	event_decoded_release(&d);
}

/* ---- JSON views -------------------------------------------------------- */

Test(event_views, time_json)
{
	json_t *j = time_json(T0);
	cr_assert(json_is_string(j));
	cr_assert_str_eq(json_string_value(j), "2026-11-29T08:54:19.123Z");
	json_decref(j);
	j = time_json(0);
	cr_assert(json_is_null(j));
	json_decref(j);
	j = time_json(-1);
	cr_assert(json_is_null(j));
	json_decref(j);
	j = time_json(INT64_MAX);
	cr_assert(json_is_null(j));
	json_decref(j);
}

static void apply(struct call *c, const struct call_event *e)
{
	struct htd_error err;
	cr_assert_eq(call_apply(c, e, &err), HTD_OK, "%s", err.message);
}

static const char *const call_members[] = {
	"id",         "status",    "category",    "channel",       "language",
	"location",   "callback",  "caller_name", "opened_by",     "opened_at",
	"updated_at", "closed_at", "disposition", "close_summary", "note_count",
	"version",    "answers",
};

static void check_member_set(json_t *o)
{
	size_t n = sizeof(call_members) / sizeof(call_members[0]);
	cr_assert_eq(json_object_size(o), n);
	for (size_t i = 0; i < n; i++)
		cr_assert_not_null(json_object_get(o, call_members[i]),
		                   "missing %s", call_members[i]);
}

static const char *member_str(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	cr_assert(json_is_string(v), "%s is not a string", key);
	return json_string_value(v);
}

Test(event_views, call_json_of_an_open_call)
{
	struct call c;
	call_init(&c);
	memcpy(c.ref, "HT-2026-000001", 15);
	struct call_event e = opened_event();
	apply(&c, &e);
	e = answer_event("free_to_leave", "no");
	e.at_ms = T0 + 1000;
	apply(&c, &e);
	e = answer_event("escaped", "unknown");
	e.at_ms = T0 + 2000;
	apply(&c, &e);
	e = note_event("n");
	e.at_ms = T0 + 3000;
	apply(&c, &e);

	json_t *o = call_json(&c);
	check_member_set(o);
	cr_assert_str_eq(member_str(o, "id"), "HT-2026-000001");
	cr_assert_str_eq(member_str(o, "status"), "open");
	cr_assert_str_eq(member_str(o, "category"), "undetermined");
	cr_assert_str_eq(member_str(o, "channel"), "text");
	cr_assert_str_eq(member_str(o, "language"), "es-MX");
	cr_assert_str_eq(member_str(o, "location"), "Motel 6, I-35 exit 12");
	cr_assert_str_eq(member_str(o, "callback"), "+1 (312) 555-0100");
	cr_assert_str_eq(member_str(o, "caller_name"), "Mar\xc3\xad"
	                                               "a");
	cr_assert_str_eq(member_str(o, "opened_by"), ACTOR);
	cr_assert_str_eq(member_str(o, "opened_at"),
	                 "2026-11-29T08:54:19.123Z");
	cr_assert_str_eq(member_str(o, "updated_at"),
	                 "2026-11-29T08:54:22.123Z");
	cr_assert(json_is_null(json_object_get(o, "closed_at")));
	cr_assert(json_is_null(json_object_get(o, "disposition")));
	cr_assert_str_eq(member_str(o, "close_summary"), "");
	cr_assert(json_is_integer(json_object_get(o, "note_count")));
	cr_assert_eq(json_integer_value(json_object_get(o, "note_count")), 1);
	cr_assert_eq(json_integer_value(json_object_get(o, "version")), 4);

	/* Answers: an object, question -> value, in first-answered order. */
	json_t *a = json_object_get(o, "answers");
	cr_assert(json_is_object(a));
	cr_assert_eq(json_object_size(a), 2);
	cr_assert_str_eq(member_str(a, "free_to_leave"), "no");
	cr_assert_str_eq(member_str(a, "escaped"), "unknown");
	char *text = json_dumps(a, JSON_COMPACT);
	cr_assert_str_eq(text, "{\"free_to_leave\":\"no\","
	                       "\"escaped\":\"unknown\"}");
	free(text);
	json_decref(o);
	call_free(&c);
}

Test(event_views, call_json_of_a_closed_call)
{
	struct call c;
	call_init(&c);
	memcpy(c.ref, "HT-2026-000002", 15);
	struct call_event e = opened_event();
	apply(&c, &e);
	e = closed_event(CALL_DISPOSITION_UNFOUNDED, "Nothing found.");
	e.at_ms = T0 + 60000;
	apply(&c, &e);
	c.category = CALL_CATEGORY_CREDIBLE_TIP;

	json_t *o = call_json(&c);
	check_member_set(o);
	cr_assert_str_eq(member_str(o, "status"), "closed");
	cr_assert_str_eq(member_str(o, "category"), "credible_tip");
	cr_assert_str_eq(member_str(o, "disposition"), "unfounded");
	cr_assert_str_eq(member_str(o, "closed_at"),
	                 "2026-11-29T08:55:19.123Z");
	cr_assert_str_eq(member_str(o, "close_summary"), "Nothing found.");
	cr_assert_eq(json_object_size(json_object_get(o, "answers")), 0);
	json_decref(o);
	call_free(&c);
}

Test(event_views, call_json_of_an_empty_call)
{
	struct call c;
	call_init(&c);
	json_t *o = call_json(&c);
	check_member_set(o);
	cr_assert_str_eq(member_str(o, "id"), "");
	cr_assert_str_eq(member_str(o, "language"), "");
	cr_assert(json_is_null(json_object_get(o, "opened_at")));
	cr_assert_eq(json_integer_value(json_object_get(o, "version")), 0);
	json_decref(o);
	call_free(&c);
}

Test(event_views, event_json_merges_the_payload)
{
	struct call_event ce = answer_event("escaped", "yes");
	char *payload = event_json_encode(&ce);
	struct store_event se;
	memset(&se, 0, sizeof(se));
	se.seq = 3;
	se.type = "answer_recorded";
	se.at_ms = T0;
	se.actor = ACTOR;
	se.payload = payload;
	json_t *o = event_json(&se);
	cr_assert_eq(json_object_size(o), 6);
	cr_assert_eq(json_integer_value(json_object_get(o, "seq")), 3);
	cr_assert_str_eq(member_str(o, "type"), "answer_recorded");
	cr_assert_str_eq(member_str(o, "at"), "2026-11-29T08:54:19.123Z");
	cr_assert_str_eq(member_str(o, "actor"), ACTOR);
	cr_assert_str_eq(member_str(o, "question"), "escaped");
	cr_assert_str_eq(member_str(o, "value"), "yes");
	cr_assert_null(json_object_get(o, "payload"));
	json_decref(o);
	free(payload);
}

Test(event_views, event_json_payload_cannot_override_columns)
{
	struct store_event se;
	memset(&se, 0, sizeof(se));
	se.seq = 1;
	se.type = "note_added";
	se.at_ms = T0;
	se.actor = ACTOR;
	se.payload = "{\"text\":\"t\",\"seq\":99,\"actor\":\"forged\","
	             "\"type\":\"call_closed\"}";
	json_t *o = event_json(&se);
	cr_assert_eq(json_integer_value(json_object_get(o, "seq")), 1);
	cr_assert_str_eq(member_str(o, "actor"), ACTOR);
	cr_assert_str_eq(member_str(o, "type"), "note_added");
	cr_assert_str_eq(member_str(o, "text"), "t");
	json_decref(o);
}

Test(event_views, event_json_keeps_a_non_object_payload_as_text)
{
	static const char *const payloads[] = { "not json", "[1,2]", "\"s\"",
		                                "" };
	for (size_t i = 0; i < sizeof(payloads) / sizeof(payloads[0]); i++) {
		struct store_event se;
		memset(&se, 0, sizeof(se));
		se.seq = 2;
		se.type = "note_added";
		se.at_ms = T0;
		se.actor = ACTOR;
		se.payload = payloads[i];
		json_t *o = event_json(&se);
		cr_assert_eq(json_object_size(o), 5);
		cr_assert_str_eq(member_str(o, "payload"), payloads[i]);
		json_decref(o);
	}
	struct store_event se;
	memset(&se, 0, sizeof(se));
	json_t *o = event_json(&se);
	cr_assert_str_eq(member_str(o, "payload"), "");
	cr_assert_str_eq(member_str(o, "type"), "");
	cr_assert_str_eq(member_str(o, "actor"), "");
	cr_assert(json_is_null(json_object_get(o, "at")));
	json_decref(o);
}
