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
	"id",          "status",        "category",
	"channel",     "language",      "location",
	"callback",    "caller_name",   "opened_by",
	"opened_at",   "updated_at",    "closed_at",
	"disposition", "close_summary", "note_count",
	"version",     "answers",       "recommended_category",
	"priority",    "override",      "actions",
	"indicators",  "decided_with",
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
	/* Before any decision. */
	cr_assert_str_eq(member_str(o, "recommended_category"), "undetermined");
	cr_assert(json_is_null(json_object_get(o, "priority")));
	cr_assert(json_is_null(json_object_get(o, "override")));
	cr_assert(json_is_array(json_object_get(o, "actions")));
	cr_assert_eq(json_array_size(json_object_get(o, "actions")), 0);
	cr_assert(json_is_array(json_object_get(o, "indicators")));
	cr_assert_eq(json_array_size(json_object_get(o, "indicators")), 0);
	cr_assert_str_eq(member_str(o, "decided_with"), "");
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

/* ---- decision events ---------------------------------------------------- */

static struct call_hit hit(const char *indicator, uint32_t start, uint32_t end,
                           const char *subject)
{
	struct call_hit h;
	memset(&h, 0, sizeof(h));
	snprintf(h.indicator, sizeof(h.indicator), "%s", indicator);
	h.start = start;
	h.end = end;
	snprintf(h.subject, sizeof(h.subject), "%s", subject);
	return h;
}

static struct call_event indicators_event(int64_t note,
                                          const struct call_hit *hits, size_t n)
{
	struct call_event e;
	memset(&e, 0, sizeof(e));
	e.type = CALL_EVENT_INDICATORS_FOUND;
	e.at_ms = T0;
	e.actor = ACTOR;
	e.u.indicators.note = note;
	e.u.indicators.hits = hits;
	e.u.indicators.n_hits = n;
	return e;
}

static struct call_action action(const char *id, enum call_action_state state,
                                 int64_t since)
{
	struct call_action a;
	memset(&a, 0, sizeof(a));
	a.id = (char *)id;
	a.state = state;
	a.required_since_ms = since;
	return a;
}

static struct call_event decision_event(const struct call_action *actions,
                                        size_t n)
{
	struct call_event e;
	memset(&e, 0, sizeof(e));
	e.type = CALL_EVENT_DECISION_MADE;
	e.at_ms = T0;
	e.actor = ACTOR;
	e.u.decision.recommended = CALL_CATEGORY_VICTIM_ESCAPE;
	e.u.decision.category = CALL_CATEGORY_VICTIM_CALL;
	e.u.decision.priority = 2;
	e.u.decision.decided_with = "nena-ht 1.0.0; default 2026.11";
	e.u.decision.actions = actions;
	e.u.decision.n_actions = n;
	return e;
}

static struct call_event override_event(enum call_category c,
                                        const char *reason)
{
	struct call_event e;
	memset(&e, 0, sizeof(e));
	e.type = CALL_EVENT_CATEGORY_OVERRIDDEN;
	e.at_ms = T0;
	e.actor = ACTOR;
	e.u.override.category = c;
	e.u.override.reason = reason;
	return e;
}

static struct call_event
mark_event(const char *id, enum call_action_state state, const char *reason)
{
	struct call_event e;
	memset(&e, 0, sizeof(e));
	e.type = CALL_EVENT_ACTION_MARKED;
	e.at_ms = T0;
	e.actor = ACTOR;
	e.u.mark.action = id;
	e.u.mark.state = state;
	e.u.mark.reason = reason;
	return e;
}

#define HIT_THREATS                                                \
	"{\"end\":10,\"historical\":false,\"hypothetical\":false," \
	"\"indicator\":\"threats\",\"negated\":false,\"start\":0," \
	"\"subject\":\"caller\"}"
#define GOOD_INDICATORS "{\"hits\":[" HIT_THREATS "],\"note\":3}"
#define ACTION_DISPATCH                                    \
	"{\"id\":\"dispatch_officer\",\"required_since\":" \
	"\"2026-11-29T08:54:19.123Z\",\"state\":\"required\"}"
#define GOOD_DECISION                                                      \
	"{\"actions\":[" ACTION_DISPATCH "],\"category\":\"victim_call\"," \
	"\"decided_with\":\"nena-ht 1.0.0; default 2026.11\","             \
	"\"priority\":2,\"recommended\":\"victim_escape\"}"

Test(event_encode, indicators_found)
{
	struct call_hit h[2] = { hit("threats", 0, 10, "caller"),
		                 hit("minor", 20, 25, "") };
	h[1].negated = true;
	h[1].hypothetical = true;
	h[1].historical = true;
	struct call_event e = indicators_event(3, h, 2);
	encodes_as(&e, "{\"hits\":[" HIT_THREATS ",{\"end\":25,"
	               "\"historical\":true,\"hypothetical\":true,"
	               "\"indicator\":\"minor\",\"negated\":true,"
	               "\"start\":20,\"subject\":\"\"}],\"note\":3}");
	e.u.indicators.n_hits = 0;
	encodes_as(&e, "{\"hits\":[],\"note\":3}");
}

Test(event_encode, decision_made)
{
	struct call_action a[2] = {
		action("dispatch_officer", CALL_ACTION_REQUIRED, T0),
		action("notify_tip_line", CALL_ACTION_NOT_REQUIRED, 0),
	};
	struct call_event e = decision_event(a, 1);
	encodes_as(&e, GOOD_DECISION);
	e.u.decision.n_actions = 2;
	encodes_as(&e, "{\"actions\":[" ACTION_DISPATCH ",{\"id\":"
	               "\"notify_tip_line\",\"required_since\":null,"
	               "\"state\":\"not_required\"}],"
	               "\"category\":\"victim_call\","
	               "\"decided_with\":\"nena-ht 1.0.0; default 2026.11\","
	               "\"priority\":2,\"recommended\":\"victim_escape\"}");
}

Test(event_encode, category_overridden_and_action_marked)
{
	struct call_event e =
	    override_event(CALL_CATEGORY_CREDIBLE_TIP, "Neighbour calling");
	encodes_as(&e, "{\"category\":\"credible_tip\","
	               "\"reason\":\"Neighbour calling\"}");
	e = mark_event("dispatch_officer", CALL_ACTION_DONE, NULL);
	encodes_as(&e, "{\"action\":\"dispatch_officer\",\"reason\":\"\","
	               "\"state\":\"done\"}");
	e = mark_event("notify_hotline", CALL_ACTION_NOT_APPLICABLE, "No");
	encodes_as(&e, "{\"action\":\"notify_hotline\",\"reason\":\"No\","
	               "\"state\":\"not_applicable\"}");
}

Test(event_round_trip, indicators_found)
{
	struct call_hit h[3] = { hit("threats", 0, 10, "caller"),
		                 hit("documents_withheld", 11, 30, "other"),
		                 hit("minor", 40, 44, "") };
	h[1].negated = true;
	h[2].historical = true;
	struct call_event e = indicators_event(7, h, 3);
	struct event_decoded d;
	round_trip(&e, &d);
	cr_assert_eq(d.event.u.indicators.note, 7);
	cr_assert_eq(d.event.u.indicators.n_hits, 3);
	cr_assert_eq(d.event.u.indicators.hits, d.hits);
	for (size_t i = 0; i < 3; i++) {
		const struct call_hit *x = &d.event.u.indicators.hits[i];
		cr_assert_str_eq(x->indicator, h[i].indicator);
		cr_assert_eq(x->note, 7);
		cr_assert_eq(x->start, h[i].start);
		cr_assert_eq(x->end, h[i].end);
		cr_assert_eq(x->negated, h[i].negated);
		cr_assert_eq(x->hypothetical, h[i].hypothetical);
		cr_assert_eq(x->historical, h[i].historical);
		cr_assert_str_eq(x->subject, h[i].subject);
	}
	event_decoded_release(&d);
	cr_assert_null(d.hits);
	e.u.indicators.n_hits = 0;
	round_trip(&e, &d);
	cr_assert_eq(d.event.u.indicators.n_hits, 0);
	event_decoded_release(&d);
}

Test(event_round_trip, decision_made)
{
	struct call_action a[2] = {
		action("dispatch_officer", CALL_ACTION_REQUIRED, T0 - 5000),
		action("notify_tip_line", CALL_ACTION_NOT_REQUIRED, 0),
	};
	struct call_event e = decision_event(a, 2);
	struct event_decoded d;
	round_trip(&e, &d);
	cr_assert_eq(d.event.u.decision.recommended,
	             CALL_CATEGORY_VICTIM_ESCAPE);
	cr_assert_eq(d.event.u.decision.category, CALL_CATEGORY_VICTIM_CALL);
	cr_assert_eq(d.event.u.decision.priority, 2);
	cr_assert_str_eq(d.event.u.decision.decided_with,
	                 "nena-ht 1.0.0; default 2026.11");
	cr_assert_eq(d.event.u.decision.n_actions, 2);
	cr_assert_str_eq(d.event.u.decision.actions[0].id, "dispatch_officer");
	cr_assert_eq(d.event.u.decision.actions[0].state, CALL_ACTION_REQUIRED);
	cr_assert_eq(d.event.u.decision.actions[0].required_since_ms,
	             T0 - 5000);
	cr_assert_str_eq(d.event.u.decision.actions[1].id, "notify_tip_line");
	cr_assert_eq(d.event.u.decision.actions[1].state,
	             CALL_ACTION_NOT_REQUIRED);
	cr_assert_eq(d.event.u.decision.actions[1].required_since_ms, 0);
	event_decoded_release(&d);
	cr_assert_null(d.actions);

	/* Every category and action state. */
	for (int c = 0; c < CALL_CATEGORY__COUNT; c++) {
		for (int st = 0; st < CALL_ACTION__COUNT; st++) {
			a[0].state = (enum call_action_state)st;
			e = decision_event(a, 1);
			e.u.decision.recommended = (enum call_category)c;
			e.u.decision.category = (enum call_category)c;
			round_trip(&e, &d);
			cr_assert_eq((int)d.event.u.decision.category, c);
			cr_assert_eq((int)d.event.u.decision.recommended, c);
			cr_assert_eq((int)d.event.u.decision.actions[0].state,
			             st);
			event_decoded_release(&d);
		}
	}
}

Test(event_round_trip, category_overridden_and_action_marked)
{
	struct event_decoded d;
	for (int c = 0; c < CALL_CATEGORY__COUNT; c++) {
		struct call_event e =
		    override_event((enum call_category)c, "Why:\n\"this\"");
		round_trip(&e, &d);
		cr_assert_eq((int)d.event.u.override.category, c);
		cr_assert_str_eq(d.event.u.override.reason, "Why:\n\"this\"");
		event_decoded_release(&d);
	}
	static const enum call_action_state states[] = {
		CALL_ACTION_DONE, CALL_ACTION_NOT_APPLICABLE,
		CALL_ACTION_REQUIRED
	};
	for (size_t i = 0; i < 3; i++) {
		struct call_event e =
		    mark_event("notify_hotline", states[i], "Caller declined");
		round_trip(&e, &d);
		cr_assert_str_eq(d.event.u.mark.action, "notify_hotline");
		cr_assert_eq(d.event.u.mark.state, states[i]);
		cr_assert_str_eq(d.event.u.mark.reason, "Caller declined");
		event_decoded_release(&d);
	}
}

Test(event_round_trip, the_largest_events_fit_the_payload_limit)
{
	/* The longest indicator id, the largest offsets, every hit. */
	struct call_hit *h = xcalloc(CALL_HITS_EVENT_MAX, sizeof(*h));
	for (size_t i = 0; i < CALL_HITS_EVENT_MAX; i++)
		h[i] = hit("communication_controlled", CALL_NOTE_MAX,
		           CALL_NOTE_MAX, "caller");
	struct call_event e =
	    indicators_event(INT64_MAX, h, CALL_HITS_EVENT_MAX);
	struct event_decoded d;
	round_trip(&e, &d);
	cr_assert_eq(d.event.u.indicators.n_hits, CALL_HITS_EVENT_MAX);
	event_decoded_release(&d);
	free(h);

	struct call_action *a = xcalloc(CALL_ACTIONS_MAX, sizeof(*a));
	char(*ids)[CALL_ACTION_ID_MAX + 1] =
	    xcalloc(CALL_ACTIONS_MAX, sizeof(*ids));
	for (size_t i = 0; i < CALL_ACTIONS_MAX; i++) {
		memset(ids[i], 'a', CALL_ACTION_ID_MAX);
		snprintf(ids[i], 8, "a%05zu", i);
		ids[i][7] = 'a';
		a[i] = action(ids[i], CALL_ACTION_NOT_APPLICABLE, T0);
	}
	char *with = xmalloc(CALL_VERSION_TEXT_MAX + 1);
	memset(with, 'w', CALL_VERSION_TEXT_MAX);
	with[CALL_VERSION_TEXT_MAX] = '\0';
	e = decision_event(a, CALL_ACTIONS_MAX);
	e.u.decision.decided_with = with;
	round_trip(&e, &d);
	cr_assert_eq(d.event.u.decision.n_actions, CALL_ACTIONS_MAX);
	event_decoded_release(&d);
	free(with);
	free(ids);
	free(a);
}

/* ---- record-only members ------------------------------------------------ */

Test(event_encode, with_a_rationale)
{
	struct call_action a =
	    action("dispatch_officer", CALL_ACTION_REQUIRED, T0);
	struct call_event e = decision_event(&a, 1);
	json_t *extra = json_pack("{s:[{s:s,s:s}]}", "rationale", "rule",
	                          "escaped_now", "why", "answer escaped=yes");
	char *text = event_json_encode_with(&e, extra);
	cr_assert_str_eq(text, "{\"actions\":[" ACTION_DISPATCH "],"
	                       "\"category\":\"victim_call\","
	                       "\"decided_with\":\"nena-ht 1.0.0; default "
	                       "2026.11\",\"priority\":2,"
	                       "\"rationale\":[{\"rule\":\"escaped_now\","
	                       "\"why\":\"answer escaped=yes\"}],"
	                       "\"recommended\":\"victim_escape\"}");
	/* The decoder accepts it and the event is the same. */
	struct event_decoded d;
	struct htd_error err;
	cr_assert_eq(
	    event_json_decode("decision_made", T0, ACTOR, text, &d, &err),
	    HTD_OK, "%s", err.message);
	cr_assert_eq(d.event.u.decision.n_actions, 1);
	cr_assert(json_is_array(json_object_get(d.doc, "rationale")));
	event_decoded_release(&d);
	free(text);
	/* `extra` was borrowed. */
	cr_assert_eq(extra->refcount, 1);
	json_decref(extra);
}

Test(event_encode, with_nothing_extra_is_the_plain_payload)
{
	struct call_event e = decision_event(NULL, 0);
	char *plain = event_json_encode(&e);
	char *text = event_json_encode_with(&e, NULL);
	cr_assert_str_eq(text, plain);
	free(text);
	json_t *extra = json_object();
	text = event_json_encode_with(&e, extra);
	cr_assert_str_eq(text, plain);
	free(text);
	json_decref(extra);
	/* Not an object: nothing is added. */
	extra = json_array();
	text = event_json_encode_with(&e, extra);
	cr_assert_str_eq(text, plain);
	free(text);
	json_decref(extra);
	free(plain);
}

Test(event_encode, with_members_the_decoder_refuses_leaves_them_out)
{
	struct call_event e = decision_event(NULL, 0);
	char *plain = event_json_encode(&e);
	/* Not record-only, a rationale that is not an array, a member that
	 * would replace a field of the event. */
	json_t *extra = json_pack("{s:i, s:s, s:i}", "victim_ssn", 1,
	                          "rationale", "text", "priority", 9);
	char *text = event_json_encode_with(&e, extra);
	cr_assert_str_eq(text, plain);
	free(text);
	json_decref(extra);
	/* A rationale on another event type. */
	struct call_event o = override_event(CALL_CATEGORY_OTHER, "r");
	extra = json_pack("{s:[]}", "rationale");
	text = event_json_encode_with(&o, extra);
	cr_assert_str_eq(text, "{\"category\":\"other\",\"reason\":\"r\"}");
	free(text);
	json_decref(extra);
	free(plain);
}

Test(event_encode, an_oversized_rationale_is_replaced_by_a_note)
{
	struct call_event e = decision_event(NULL, 0);
	char *big = xmalloc(EVENT_PAYLOAD_MAX + 1);
	memset(big, 'r', EVENT_PAYLOAD_MAX);
	big[EVENT_PAYLOAD_MAX] = '\0';
	json_t *extra = json_pack("{s:[s]}", "rationale", big);
	char *text = event_json_encode_with(&e, extra);
	cr_assert_leq(strlen(text), EVENT_PAYLOAD_MAX);
	struct event_decoded d;
	struct htd_error err;
	cr_assert_eq(
	    event_json_decode("decision_made", T0, ACTOR, text, &d, &err),
	    HTD_OK, "%s", err.message);
	json_t *r = json_object_get(d.doc, "rationale");
	cr_assert(json_is_array(r));
	cr_assert_eq(json_array_size(r), 1);
	cr_assert_not_null(
	    strstr(json_string_value(json_array_get(r, 0)), "omitted"));
	cr_assert_eq(d.event.u.decision.priority, 2);
	event_decoded_release(&d);
	free(text);
	json_decref(extra);
	free(big);
}

/* ---- strict decoding of decision events --------------------------------- */

Test(event_decode, indicators_found_errors_name_the_member)
{
	const char *t = "indicators_found";
	decode_fails(t, "{\"hits\":[]}", HTD_ERR_INVALID, "note");
	decode_fails(t, "{\"hits\":[],\"note\":\"3\"}", HTD_ERR_INVALID,
	             "note");
	decode_fails(t, "{\"hits\":[],\"note\":3.0}", HTD_ERR_INVALID, "note");
	decode_fails(t, "{\"hits\":[],\"note\":0}", HTD_ERR_INVALID, "note");
	decode_fails(t, "{\"hits\":[],\"note\":-2}", HTD_ERR_INVALID, "note");
	decode_fails(t, "{\"note\":3}", HTD_ERR_INVALID, "hits");
	decode_fails(t, "{\"hits\":{},\"note\":3}", HTD_ERR_INVALID, "hits");
	decode_fails(t, "{\"hits\":null,\"note\":3}", HTD_ERR_INVALID, "hits");
	const char *msg = decode_fails(t, "{\"hits\":[],\"note\":3,\"x\":1}",
	                               HTD_ERR_INVALID, "payload");
	cr_assert_not_null(strstr(msg, "'x'"), "%s", msg);
	decode_fails(t, "{\"hits\":[" HIT_THREATS ",5],\"note\":3}",
	             HTD_ERR_INVALID, "hits[1]");
	msg = decode_fails(t,
	                   "{\"hits\":[{\"end\":10,\"historical\":false,"
	                   "\"hypothetical\":false,\"indicator\":\"threats\","
	                   "\"negated\":false,\"start\":0,\"subject\":"
	                   "\"caller\",\"note\":3}],\"note\":3}",
	                   HTD_ERR_INVALID, "hits[0]");
	cr_assert_not_null(strstr(msg, "'note'"), "%s", msg);

	/* Each member of a hit, replaced by something wrong. */
	static const struct {
		const char *from, *to, *field;
	} cases[] = {
		{ "\"end\":10", "\"end\":\"10\"", "hits[0].end" },
		{ "\"end\":10", "\"end\":-1", "hits[0].end" },
		{ "\"end\":10", "\"end\":4294967296", "hits[0].end" },
		{ "\"end\":10", "\"end\":16385", "hits[0].end" },
		{ "\"start\":0", "\"start\":11", "hits[0].end" },
		{ "\"start\":0", "\"start\":null", "hits[0].start" },
		{ "\"start\":0,", "", "hits[0].start" },
		{ "\"negated\":false", "\"negated\":0", "hits[0].negated" },
		{ "\"hypothetical\":false", "\"hypothetical\":\"no\"",
		  "hits[0].hypothetical" },
		{ "\"historical\":false,", "", "hits[0].historical" },
		{ "\"threats\"", "\"Threats\"", "hits[0].indicator" },
		{ "\"threats\"", "\"\"", "hits[0].indicator" },
		{ "\"threats\"", "7", "hits[0].indicator" },
		{ "\"threats\"", "\"threats\\u0000x\"", "hits[0].indicator" },
		{ "\"threats\"",
		  "\"threats_threats_threats_threats_threats_threats_threats_"
		  "threats_\"",
		  "hits[0].indicator" },
		{ "\"caller\"", "\"unknown\"", "hits[0].subject" },
		{ "\"caller\"", "\"caller-and-more\"", "hits[0].subject" },
		{ "\"caller\"", "null", "hits[0].subject" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char payload[512];
		const char *at = strstr(GOOD_INDICATORS, cases[i].from);
		cr_assert_not_null(at, "%s", cases[i].from);
		snprintf(payload, sizeof(payload), "%.*s%s%s",
		         (int)(at - GOOD_INDICATORS), GOOD_INDICATORS,
		         cases[i].to, at + strlen(cases[i].from));
		decode_fails(t, payload, HTD_ERR_INVALID, cases[i].field);
	}

	/* Too many hits. */
	size_t n = CALL_HITS_EVENT_MAX + 1;
	size_t len = strlen(HIT_THREATS) + 1;
	char *p = xmalloc(n * len + 32);
	size_t off = 0;
	memcpy(p, "{\"note\":3,\"hits\":[", 18);
	off = 18;
	for (size_t i = 0; i < n; i++) {
		memcpy(p + off, HIT_THREATS, len - 1);
		off += len - 1;
		p[off++] = i + 1 < n ? ',' : ']';
	}
	p[off++] = '}';
	p[off] = '\0';
	decode_fails(t, p, HTD_ERR_TOO_LARGE, "hits");
	free(p);
}

Test(event_decode, decision_made_errors_name_the_member)
{
	const char *t = "decision_made";
	static const struct {
		const char *from, *to, *field;
	} cases[] = {
		{ "\"victim_escape\"", "\"escape\"", "recommended" },
		{ "\"recommended\":\"victim_escape\"", "\"recommended\":1",
		  "recommended" },
		{ ",\"recommended\":\"victim_escape\"", "", "recommended" },
		{ "\"victim_call\"", "\"Victim_call\"", "category" },
		{ "\"victim_call\"", "null", "category" },
		{ "\"priority\":2", "\"priority\":0", "priority" },
		{ "\"priority\":2", "\"priority\":10", "priority" },
		{ "\"priority\":2", "\"priority\":2.5", "priority" },
		{ "\"priority\":2", "\"priority\":\"2\"", "priority" },
		{ "\"priority\":2", "\"priority\":99999999999", "priority" },
		{ "\"priority\":2,", "", "priority" },
		{ "\"nena-ht 1.0.0; default 2026.11\"", "\"\"",
		  "decided_with" },
		{ "\"nena-ht 1.0.0; default 2026.11\"", "\"a\\nb\"",
		  "decided_with" },
		{ "\"nena-ht 1.0.0; default 2026.11\"", "[]", "decided_with" },
		{ "[" ACTION_DISPATCH "]", "{}", "actions" },
		{ "[" ACTION_DISPATCH "]", "[\"dispatch_officer\"]",
		  "actions[0]" },
		{ "\"state\":\"required\"}",
		  "\"state\":\"required\",\"by\":\"x\"}", "actions[0]" },
		{ "\"id\":\"dispatch_officer\",", "", "actions[0].id" },
		{ "\"dispatch_officer\"", "\"Dispatch\"", "actions[0].id" },
		{ "\"dispatch_officer\"", "5", "actions[0].id" },
		{ "\"required\"", "\"pending\"", "actions[0].state" },
		{ "\"required\"", "\"Required\"", "actions[0].state" },
		{ "\"2026-11-29T08:54:19.123Z\"", "1795942459123",
		  "actions[0].required_since" },
		{ "\"2026-11-29T08:54:19.123Z\"", "\"2026-11-29\"",
		  "actions[0].required_since" },
		{ "\"2026-11-29T08:54:19.123Z\"", "\"2026-11-29T08:54:19.123\"",
		  "actions[0].required_since" },
		{ "\"2026-11-29T08:54:19.123Z\"", "\"2026-11-29T08:54:19Z\"",
		  "actions[0].required_since" },
		{ "\"2026-11-29T08:54:19.123Z\"",
		  "\"2026-11-29T09:54:19.123+01:00\"",
		  "actions[0].required_since" },
		{ "\"2026-11-29T08:54:19.123Z\"", "\"yesterday\"",
		  "actions[0].required_since" },
		{ "\"required_since\":\"2026-11-29T08:54:19.123Z\",", "",
		  "actions[0].required_since" },
		{ "\"priority\":2", "\"priority\":2,\"rationale\":{}",
		  "rationale" },
		{ "\"priority\":2", "\"priority\":2,\"rationale\":\"x\"",
		  "rationale" },
		{ "\"priority\":2", "\"priority\":2,\"why\":[]", "payload" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char payload[512];
		const char *at = strstr(GOOD_DECISION, cases[i].from);
		cr_assert_not_null(at, "%s", cases[i].from);
		snprintf(payload, sizeof(payload), "%.*s%s%s",
		         (int)(at - GOOD_DECISION), GOOD_DECISION, cases[i].to,
		         at + strlen(cases[i].from));
		decode_fails(t, payload, HTD_ERR_INVALID, cases[i].field);
	}
	/* The same action twice. */
	decode_fails(t,
	             "{\"actions\":[" ACTION_DISPATCH "," ACTION_DISPATCH
	             "],\"category\":\"victim_call\",\"decided_with\":\"v\","
	             "\"priority\":2,\"recommended\":\"victim_call\"}",
	             HTD_ERR_INVALID, "actions[1].id");
	/* Any rationale array is accepted, and required_since may be null. */
	struct event_decoded d;
	struct htd_error err;
	cr_assert_eq(
	    event_json_decode(t, T0, ACTOR,
	                      "{\"actions\":[{\"id\":\"a\",\"required_since\":"
	                      "null,\"state\":\"done\"}],\"category\":"
	                      "\"undetermined\",\"decided_with\":\"v\","
	                      "\"priority\":9,\"rationale\":[1,\"two\",{},[]],"
	                      "\"recommended\":\"undetermined\"}",
	                      &d, &err),
	    HTD_OK, "%s", err.message);
	cr_assert_eq(d.event.u.decision.actions[0].required_since_ms, 0);
	cr_assert_eq(d.event.u.decision.category, CALL_CATEGORY_UNDETERMINED);
	event_decoded_release(&d);
}

Test(event_decode, override_and_mark_errors_name_the_member)
{
	const char *o = "category_overridden";
	decode_fails(o, "{\"reason\":\"r\"}", HTD_ERR_INVALID, "category");
	decode_fails(o, "{\"category\":\"tip\",\"reason\":\"r\"}",
	             HTD_ERR_INVALID, "category");
	decode_fails(o, "{\"category\":\"other\"}", HTD_ERR_INVALID, "reason");
	decode_fails(o, "{\"category\":\"other\",\"reason\":\" \"}",
	             HTD_ERR_INVALID, "reason");
	decode_fails(o, "{\"category\":\"other\",\"reason\":[\"r\"]}",
	             HTD_ERR_INVALID, "reason");
	decode_fails(o,
	             "{\"category\":\"other\",\"reason\":\"r\",\"by\":\"x\"}",
	             HTD_ERR_INVALID, "payload");

	const char *m = "action_marked";
	decode_fails(m, "{\"reason\":\"\",\"state\":\"done\"}", HTD_ERR_INVALID,
	             "action");
	decode_fails(m,
	             "{\"action\":\"a b\",\"reason\":\"\",\"state\":\"done\"}",
	             HTD_ERR_INVALID, "action");
	decode_fails(m, "{\"action\":\"a\",\"reason\":\"\"}", HTD_ERR_INVALID,
	             "state");
	decode_fails(m, "{\"action\":\"a\",\"reason\":\"\",\"state\":\"ok\"}",
	             HTD_ERR_INVALID, "state");
	decode_fails(m,
	             "{\"action\":\"a\",\"reason\":\"\",\"state\":"
	             "\"not_required\"}",
	             HTD_ERR_INVALID, "state");
	decode_fails(m, "{\"action\":\"a\",\"state\":\"done\"}",
	             HTD_ERR_INVALID, "reason");
	decode_fails(m,
	             "{\"action\":\"a\",\"reason\":\"\",\"state\":"
	             "\"not_applicable\"}",
	             HTD_ERR_INVALID, "reason");
	decode_fails(m,
	             "{\"action\":\"a\",\"reason\":\"\",\"state\":\"done\","
	             "\"at\":1}",
	             HTD_ERR_INVALID, "payload");
}

/* ---- JSON views of decisions -------------------------------------------- */

Test(event_views, call_json_of_a_decided_call)
{
	struct call c;
	call_init(&c);
	memcpy(c.ref, "HT-2026-000003", 15);
	struct call_event e = opened_event();
	apply(&c, &e);
	e = note_event("He has my passport");
	e.at_ms = T0 + 1000;
	apply(&c, &e);
	struct call_hit h = hit("documents_withheld", 3, 18, "caller");
	e = indicators_event(2, &h, 1);
	e.at_ms = T0 + 1000;
	apply(&c, &e);
	struct call_action a[2] = {
		action("dispatch_officer", CALL_ACTION_REQUIRED, T0 + 1000),
		action("notify_hotline", CALL_ACTION_REQUIRED, T0 + 1000),
	};
	e = decision_event(a, 2);
	e.at_ms = T0 + 1000;
	apply(&c, &e);
	e = override_event(CALL_CATEGORY_VICTIM_ESCAPE, "She got out");
	e.at_ms = T0 + 2000;
	apply(&c, &e);
	e = mark_event("notify_hotline", CALL_ACTION_NOT_APPLICABLE,
	               "Declined");
	e.at_ms = T0 + 3000;
	apply(&c, &e);

	json_t *o = call_json(&c);
	check_member_set(o);
	cr_assert_str_eq(member_str(o, "category"), "victim_call");
	cr_assert_str_eq(member_str(o, "recommended_category"),
	                 "victim_escape");
	cr_assert_eq(json_integer_value(json_object_get(o, "priority")), 2);
	cr_assert_str_eq(member_str(o, "decided_with"),
	                 "nena-ht 1.0.0; default 2026.11");
	char *text = json_dumps(json_object_get(o, "override"),
	                        JSON_COMPACT | JSON_SORT_KEYS);
	cr_assert_str_eq(text, "{\"at\":\"2026-11-29T08:54:21.123Z\","
	                       "\"by\":\"user:jsmith\",\"category\":"
	                       "\"victim_escape\",\"reason\":\"She got out\"}");
	free(text);
	text = json_dumps(json_object_get(o, "actions"),
	                  JSON_COMPACT | JSON_SORT_KEYS);
	cr_assert_str_eq(text, "[{\"id\":\"dispatch_officer\",\"mark\":null,"
	                       "\"required_since\":"
	                       "\"2026-11-29T08:54:20.123Z\",\"state\":"
	                       "\"required\"},{\"id\":\"notify_hotline\","
	                       "\"mark\":{\"at\":\"2026-11-29T08:54:22.123Z\","
	                       "\"by\":\"user:jsmith\",\"reason\":"
	                       "\"Declined\"},\"required_since\":"
	                       "\"2026-11-29T08:54:20.123Z\",\"state\":"
	                       "\"not_applicable\"}]");
	free(text);
	text = json_dumps(json_object_get(o, "indicators"),
	                  JSON_COMPACT | JSON_SORT_KEYS);
	cr_assert_str_eq(text, "[{\"end\":18,\"historical\":false,"
	                       "\"hypothetical\":false,\"indicator\":"
	                       "\"documents_withheld\",\"negated\":false,"
	                       "\"note\":2,\"start\":3,\"subject\":"
	                       "\"caller\"}]");
	free(text);
	json_decref(o);
	call_free(&c);
}

Test(event_views, event_json_of_a_decision_keeps_the_rationale)
{
	struct call_event ce = decision_event(NULL, 0);
	json_t *extra = json_pack("{s:[s]}", "rationale", "escaped=yes");
	char *payload = event_json_encode_with(&ce, extra);
	json_decref(extra);
	struct store_event se;
	memset(&se, 0, sizeof(se));
	se.seq = 4;
	se.type = "decision_made";
	se.at_ms = T0;
	se.actor = ACTOR;
	se.payload = payload;
	json_t *o = event_json(&se);
	cr_assert_str_eq(member_str(o, "category"), "victim_call");
	json_t *r = json_object_get(o, "rationale");
	cr_assert(json_is_array(r));
	cr_assert_str_eq(json_string_value(json_array_get(r, 0)),
	                 "escaped=yes");
	json_decref(o);
	free(payload);
}

/* ---- NENA step 7: suggestions and links -------------------------------- */

Test(event_round_trip, records_suggested_and_record_linked)
{
	struct call_suggestion g[2] = {
		{ .record = 7,
		  .kind = "person",
		  .label = "rms:P-1",
		  .weight = 29.4,
		  .match = true,
		  .from = "callback",
		  .why = "29.4: phone exact (+19.8)" },
		{ .record = 9,
		  .kind = "business",
		  .label = "calls:HT-2026-000001",
		  .weight = 21.0,
		  .match = true,
		  .from = "note",
		  .why = "" },
	};
	struct call_event e = { .type = CALL_EVENT_RECORDS_SUGGESTED,
		                .at_ms = T0,
		                .actor = "system:records" };
	e.u.suggested.items = g;
	e.u.suggested.n = 2;
	struct event_decoded d;
	round_trip(&e, &d);
	cr_assert_eq(d.event.u.suggested.n, 2);
	cr_assert_eq(d.event.u.suggested.items[1].record, 9);
	cr_assert_str_eq(d.event.u.suggested.items[0].label, "rms:P-1");
	cr_assert_str_eq(d.event.u.suggested.items[1].from, "note");
	cr_assert_float_eq(d.event.u.suggested.items[0].weight, 29.4, 1e-9);
	cr_assert(d.event.u.suggested.items[0].match);
	event_decoded_release(&d);

	struct call_event l = { .type = CALL_EVENT_RECORD_LINKED,
		                .at_ms = T0,
		                .actor = ACTOR };
	l.u.link.record = 7;
	l.u.link.confirmed = true;
	l.u.link.reason = "same phone";
	round_trip(&l, &d);
	cr_assert_eq(d.event.u.link.record, 7);
	cr_assert(d.event.u.link.confirmed);
	cr_assert_str_eq(d.event.u.link.reason, "same phone");
	event_decoded_release(&d);
}

Test(event_decode, bad_suggestions_are_refused)
{
	struct event_decoded d;
	struct htd_error err;
	cr_assert_eq(event_json_decode("records_suggested", T0, ACTOR,
	                               "{\"records\":[]}", &d, &err),
	             HTD_ERR_INVALID);
	cr_assert_eq(
	    event_json_decode("records_suggested", T0, ACTOR,
	                      "{\"records\":[{\"record\":0,\"kind\":\"person\","
	                      "\"label\":\"rms:1\",\"weight\":1,\"match\":true,"
	                      "\"from\":\"note\",\"why\":\"\"}]}",
	                      &d, &err),
	    HTD_ERR_INVALID);
	cr_assert_eq(
	    event_json_decode("records_suggested", T0, ACTOR,
	                      "{\"records\":[{\"record\":3,\"kind\":\"person\","
	                      "\"label\":\"rms:1\",\"weight\":1,\"match\":true,"
	                      "\"from\":\"gossip\",\"why\":\"\"}]}",
	                      &d, &err),
	    HTD_ERR_INVALID);
	cr_assert_eq(event_json_decode("record_linked", T0, ACTOR,
	                               "{\"record\":-1,\"confirmed\":true,"
	                               "\"reason\":\"\"}",
	                               &d, &err),
	             HTD_ERR_INVALID);
}
