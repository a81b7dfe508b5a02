/*
 * fuzz_cap.c - fuzzes cap_write(), which turns an alert's text (free text
 * typed by call-takers, among it) into CAP 1.2 XML for other agencies.
 *
 * Input: 16 control bytes (enumerations, UTC offset, sent time, circle),
 * then the text fields in the order of struct cap_alert, separated by
 * 0x1e (identifier, sender, restriction, references, incidents, language,
 * event, senderName, headline, description, instruction, contact,
 * areaDesc). Properties, checked without an XML library: a rejection names
 * a field and leaves the buffer as it was, and cap_validate() agrees; an
 * accepted alert is UTF-8 without control characters but line breaks and
 * tabs, its tags nest and come in the schema's order, every '&' starts one
 * of the entities we write, and each text element reads back, unescaped,
 * as exactly the field that went in.
 */
#include <stdio.h>
#include <stdlib.h>

#include "formats/cap.h"
#include "fuzz/fuzz.h"
#include "util/str.h"

#define FIELDS 13
#define CONTROL 16

/* The elements in the order of cap12.xsd (info's and area's inside). */
static const char *const order[] = {
	"alert",       "identifier", "sender",      "sent",       "status",
	"msgType",     "scope",      "restriction", "references", "incidents",
	"info",        "language",   "category",    "event",      "urgency",
	"severity",    "certainty",  "senderName",  "headline",   "description",
	"instruction", "contact",    "area",        "areaDesc",   "circle",
};
#define ORDER_N (sizeof(order) / sizeof(*order))

static const char *const field_names[FIELDS] = {
	"identifier",  "sender",  "restriction", "references", "incidents",
	"language",    "event",   "senderName",  "headline",   "description",
	"instruction", "contact", "areaDesc",
};

static void fail(const char *what, const char *xml)
{
	fprintf(stderr, "cap: %s\n--- output:\n%s\n", what, xml ? xml : "");
	abort();
}

static long order_index(const char *name, size_t len)
{
	for (size_t i = 0; i < ORDER_N; i++)
		if (strlen(order[i]) == len && memcmp(order[i], name, len) == 0)
			return (long)i;
	return -1;
}

/* Unescapes `s` [0, len) into `out` (a buffer); false on a bad '&'. */
static bool unescape(const char *s, size_t len, struct buf *out)
{
	static const struct {
		const char *entity;
		char c;
	} map[] = { { "&amp;", '&' },  { "&lt;", '<' },    { "&gt;", '>' },
		    { "&quot;", '"' }, { "&apos;", '\'' }, { "&#13;", '\r' } };
	buf_reset(out);
	for (size_t i = 0; i < len;) {
		if (s[i] != '&') {
			buf_append(out, s + i, 1);
			i++;
			continue;
		}
		bool ok = false;
		for (size_t k = 0; k < sizeof(map) / sizeof(*map); k++) {
			size_t n = strlen(map[k].entity);
			if (i + n <= len &&
			    memcmp(s + i, map[k].entity, n) == 0) {
				buf_append(out, &map[k].c, 1);
				i += n;
				ok = true;
				break;
			}
		}
		if (!ok)
			return false;
	}
	return true;
}

/*
 * Walks the document: declaration, then tags and text. Checks nesting and
 * order, and hands each leaf element's unescaped text to `check`.
 */
static void walk(const char *xml, const struct cap_alert *a)
{
	const char *decl = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
	if (strncmp(xml, decl, strlen(decl)) != 0)
		fail("no XML declaration", xml);
	const char *p = xml + strlen(decl);
	const char *stack[8];
	size_t stack_len[8], depth = 0;
	long last = -1;
	const char *text = NULL;
	struct buf got;
	buf_init(&got, 0);
	while (*p) {
		if (*p != '<') {
			if (*p == '>')
				fail("a bare '>'", xml);
			p++;
			continue;
		}
		bool closing = p[1] == '/';
		const char *name = p + (closing ? 2 : 1);
		size_t len = strcspn(name, " >");
		const char *end = strchr(name, '>');
		if (!end)
			fail("an unclosed tag", xml);
		long at = order_index(name, len);
		if (at < 0)
			fail("an element not in the schema", xml);
		if (!closing) {
			if (depth == 8)
				fail("too deep", xml);
			/* Category may repeat; everything else moves on. */
			if (at < last ||
			    (at == last && strcmp(order[at], "category") != 0))
				fail("elements out of the schema's order", xml);
			last = at;
			stack[depth] = name;
			stack_len[depth++] = len;
			text = end + 1;
		} else {
			if (depth == 0 || stack_len[depth - 1] != len ||
			    memcmp(stack[depth - 1], name, len) != 0)
				fail("tags do not nest", xml);
			depth--;
			if (text) {
				if (!unescape(text, (size_t)(p - text), &got))
					fail("a bare '&'", xml);
				for (size_t f = 0; f < FIELDS; f++) {
					if (!str_eq(field_names[f], order[at]))
						continue;
					const char *want = NULL;
					switch (f) {
					case 0: want = a->identifier; break;
					case 1: want = a->sender; break;
					case 2:
						want =
						    str_empty(a->restriction)
						        ? CAP_RESTRICTION_DEFAULT
						        : a->restriction;
						break;
					case 3: want = a->references; break;
					case 4: want = a->incidents; break;
					case 5: want = a->language; break;
					case 6: want = a->event; break;
					case 7: want = a->sender_name; break;
					case 8: want = a->headline; break;
					case 9: want = a->description; break;
					case 10: want = a->instruction; break;
					case 11: want = a->contact; break;
					default: want = a->area_desc; break;
					}
					if (!str_eq(buf_str(&got), want))
						fail("a field does not read "
						     "back",
						     xml);
				}
			}
			text = NULL;
		}
		p = end + 1;
	}
	if (depth != 0)
		fail("unclosed elements", xml);
	buf_free(&got);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < CONTROL || size > FUZZ_INPUT_MAX)
		return 0;
	char *text = fuzz_input_copy(data + CONTROL, size - CONTROL);
	const char *fields[FIELDS] = { 0 };
	size_t nf = 0;
	fields[nf++] = text;
	for (size_t i = 0; i < size - CONTROL && nf < FIELDS; i++) {
		if (text[i] == '\x1e') {
			text[i] = '\0';
			fields[nf++] = text + i + 1;
		}
	}

	struct cap_alert a;
	memset(&a, 0, sizeof(a));
	a.identifier = fields[0];
	a.sender = fields[1];
	a.restriction = fields[2];
	a.references = fields[3];
	a.incidents = fields[4];
	a.language = fields[5];
	a.event = fields[6];
	a.sender_name = fields[7];
	a.headline = fields[8];
	a.description = fields[9];
	a.instruction = fields[10];
	a.contact = fields[11];
	a.area_desc = fields[12];
	/* Out-of-range values on purpose, now and then. */
	a.status = (enum cap_status)(data[0] % (CAP_STATUS__COUNT + 1));
	a.msg_type = (enum cap_msg_type)(data[1] % (CAP_MSG_TYPE__COUNT + 1));
	a.categories = data[2] & 7u;
	a.urgency = (enum cap_urgency)(data[3] % (CAP_URGENCY__COUNT + 1));
	a.severity = (enum cap_severity)(data[4] % (CAP_SEVERITY__COUNT + 1));
	a.certainty =
	    (enum cap_certainty)(data[5] % (CAP_CERTAINTY__COUNT + 1));
	a.utc_offset_min = (int)(int16_t)(data[6] | data[7] << 8) % 1000;
	int64_t sent = 0;
	for (int i = 0; i < 6; i++)
		sent = sent << 8 | data[8 + i];
	a.sent_ms = sent - (data[8] & 0x80 ? INT64_C(1) << 46 : 0);
	a.has_circle = data[14] & 1;
	a.circle.lat = (double)(int8_t)data[15];
	a.circle.lon = (double)(int8_t)data[14] * 1.5;
	a.circle.radius_km = (double)(data[15] & 0x3f) / 4;

	struct buf out;
	struct htd_error err;
	buf_init(&out, 0);
	buf_puts(&out, "kept");
	htd_error_clear(&err);
	enum htd_err rc = cap_write(&a, &out, &err);
	if (cap_validate(&a, NULL) != rc)
		fail("cap_validate() and cap_write() disagree", out.data);
	if (rc != HTD_OK) {
		if (err.field[0] == '\0' || err.message[0] == '\0')
			fail("a rejection names no field", NULL);
		if (!str_eq(buf_str(&out), "kept"))
			fail("a rejection changed the buffer", out.data);
	} else {
		const char *xml = out.data + 4;
		size_t len = out.len - 4;
		if (strncmp(out.data, "kept", 4) != 0)
			fail("the buffer's start changed", out.data);
		if (!str_utf8_valid(xml, len))
			fail("the output is not UTF-8", xml);
		for (size_t i = 0; i < len; i++) {
			unsigned char c = (unsigned char)xml[i];
			if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f)
				fail("a control character in the output", xml);
		}
		walk(xml, &a);
	}
	buf_free(&out);
	free(text);
	return 0;
}
