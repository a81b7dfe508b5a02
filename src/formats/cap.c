/*
 * cap.c - the CAP 1.2 writer of cap.h: checks every field, then writes the
 * elements in the order of the OASIS schema (cap12.xsd), escaping text.
 *
 * Text is checked by its own UTF-8 decoder rather than a library's, so the
 * rule is exactly XML 1.0's Char production minus the control characters
 * (C0 but tab and line breaks, DEL, C1): what passes here parses in every
 * XML reader, and what a radio console shows has no hidden controls.
 */
#include "formats/cap.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "util/str.h"

/* ---- enumerations -------------------------------------------------------- */

#define CAP_TEXT(e, t) t,
static const char *const status_texts[] = { CAP_STATUSES(CAP_TEXT) };
static const char *const msg_type_texts[] = { CAP_MSG_TYPES(CAP_TEXT) };
static const char *const category_texts[] = { CAP_CATEGORIES(CAP_TEXT) };
static const char *const urgency_texts[] = { CAP_URGENCIES(CAP_TEXT) };
static const char *const severity_texts[] = { CAP_SEVERITIES(CAP_TEXT) };
static const char *const certainty_texts[] = { CAP_CERTAINTIES(CAP_TEXT) };
#undef CAP_TEXT

const char *cap_status_text(enum cap_status v)
{
	return (unsigned)v < CAP_STATUS__COUNT ? status_texts[v] : "";
}

const char *cap_msg_type_text(enum cap_msg_type v)
{
	return (unsigned)v < CAP_MSG_TYPE__COUNT ? msg_type_texts[v] : "";
}

const char *cap_category_text(enum cap_category v)
{
	return (unsigned)v < CAP_CATEGORY__COUNT ? category_texts[v] : "";
}

const char *cap_urgency_text(enum cap_urgency v)
{
	return (unsigned)v < CAP_URGENCY__COUNT ? urgency_texts[v] : "";
}

const char *cap_severity_text(enum cap_severity v)
{
	return (unsigned)v < CAP_SEVERITY__COUNT ? severity_texts[v] : "";
}

const char *cap_certainty_text(enum cap_certainty v)
{
	return (unsigned)v < CAP_CERTAINTY__COUNT ? certainty_texts[v] : "";
}

/* ---- time ---------------------------------------------------------------- */

/* The civil date of day `z` since 1970-01-01 (H. Hinnant's algorithm,
 * "chrono-Compatible Low-Level Date Algorithms"). */
static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

/* 9999-12-31T23:59:59 UTC, in seconds. */
#define CAP_SECONDS_MAX INT64_C(253402300799)

bool cap_time_format(int64_t ms, int offset_min, char *out, size_t size)
{
	if (ms < 0 || ms / 1000 > CAP_SECONDS_MAX ||
	    offset_min < CAP_UTC_OFFSET_MIN ||
	    offset_min > CAP_UTC_OFFSET_MAX || size < 26)
		return false;
	int64_t local = ms / 1000 + (int64_t)offset_min * 60;
	if (local < 0 || local > CAP_SECONDS_MAX)
		return false;
	int64_t days = local / 86400, secs = local % 86400;
	int64_t y;
	int m, d;
	civil_from_days(days, &y, &m, &d);
	/* CAP 1.2, 3.3.2: UTC is "-00:00", never "Z" or "+00:00". */
	char sign = offset_min > 0 ? '+' : '-';
	int off = offset_min < 0 ? -offset_min : offset_min;
	return str_format(
	    out, size, "%04lld-%02d-%02dT%02d:%02d:%02d%c%02d:%02d",
	    (long long)y, m, d, (int)(secs / 3600), (int)(secs / 60 % 60),
	    (int)(secs % 60), sign, off / 60, off % 60);
}

/* ---- checks -------------------------------------------------------------- */

/*
 * Decodes one UTF-8 character at s[0..len) into *cp; returns its length,
 * or 0 when it is malformed (bad lead, missing continuation, overlong,
 * surrogate, past U+10FFFF).
 */
static size_t utf8_decode(const unsigned char *s, size_t len, uint32_t *cp)
{
	unsigned char c = s[0];
	size_t n;
	uint32_t v, min;
	if (c < 0x80) {
		*cp = c;
		return 1;
	} else if (c >= 0xc2 && c <= 0xdf) {
		n = 2, v = c & 0x1f, min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3, v = c & 0x0f, min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4, v = c & 0x07, min = 0x10000;
	} else {
		return 0;
	}
	if (len < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		v = (v << 6) | (s[i] & 0x3f);
	}
	if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*cp = v;
	return n;
}

/* True when `cp` may appear in our text: XML 1.0 Char, no controls. */
static bool char_allowed(uint32_t cp, bool multiline)
{
	if (cp == '\n' || cp == '\t' || cp == '\r')
		return multiline;
	if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f))
		return false;
	return cp != 0xfffe && cp != 0xffff;
}

/* What a field must be. */
struct field_rule {
	const char *name; /* the CAP element, for messages */
	size_t max;       /* bytes */
	bool required;
	bool multiline;
	bool token; /* identifier, sender: no space, comma (CAP 3.2.1) */
};

static enum htd_err check_text(const char *s, const struct field_rule *r,
                               struct htd_error *err)
{
	if (str_empty(s)) {
		if (r->required)
			return htd_error_field(err, HTD_ERR_INVALID, r->name,
			                       "%s is required", r->name);
		return HTD_OK;
	}
	size_t len = strnlen(s, r->max + 1);
	if (len > r->max)
		return htd_error_field(err, HTD_ERR_TOO_LARGE, r->name,
		                       "%s is longer than %zu bytes", r->name,
		                       r->max);
	const unsigned char *p = (const unsigned char *)s;
	for (size_t i = 0; i < len;) {
		uint32_t cp;
		size_t n = utf8_decode(p + i, len - i, &cp);
		if (n == 0)
			return htd_error_field(err, HTD_ERR_INVALID, r->name,
			                       "%s is not valid UTF-8 (byte "
			                       "%zu)",
			                       r->name, i);
		if (!char_allowed(cp, r->multiline))
			return htd_error_field(
			    err, HTD_ERR_INVALID, r->name,
			    "%s holds a control character (U+%04X at byte %zu)",
			    r->name, (unsigned)cp, i);
		if (r->token && (cp == ' ' || cp == ',' || cp == '<' ||
		                 cp == '&' || cp == '\t'))
			return htd_error_field(
			    err, HTD_ERR_INVALID, r->name,
			    "%s may not hold spaces, commas, "
			    "'<' or '&' (CAP 1.2, 3.2.1)",
			    r->name);
		i += n;
	}
	return HTD_OK;
}

/* xs:language: [a-zA-Z]{1,8}(-[a-zA-Z0-9]{1,8})*; CAP wants RFC 3066. */
static bool language_ok(const char *s)
{
	size_t n = 0, part = 0;
	bool first = true;
	for (;; n++) {
		char c = s[n];
		bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
		bool digit = c >= '0' && c <= '9';
		if (c == '-' || c == '\0') {
			if (part == 0 || part > 8)
				return false;
			if (c == '\0')
				return true;
			part = 0;
			first = false;
			continue;
		}
		if (!alpha && !(digit && !first))
			return false;
		part++;
	}
}

static const struct field_rule rule_identifier = { "identifier",
	                                           CAP_IDENTIFIER_MAX, true,
	                                           false, true };
static const struct field_rule rule_sender = { "sender", CAP_SENDER_MAX, true,
	                                       false, true };
static const struct field_rule rule_restriction = { "restriction",
	                                            CAP_RESTRICTION_MAX, false,
	                                            false, false };
static const struct field_rule rule_references = { "references",
	                                           CAP_REFERENCES_MAX, false,
	                                           false, false };
static const struct field_rule rule_incidents = { "incidents",
	                                          CAP_INCIDENTS_MAX, false,
	                                          false, false };
static const struct field_rule rule_language = { "language", CAP_LANGUAGE_MAX,
	                                         true, false, true };
static const struct field_rule rule_event = { "event", CAP_EVENT_MAX, true,
	                                      false, false };
static const struct field_rule rule_sender_name = { "senderName",
	                                            CAP_SENDER_NAME_MAX, false,
	                                            false, false };
static const struct field_rule rule_headline = { "headline", CAP_HEADLINE_MAX,
	                                         false, false, false };
static const struct field_rule rule_description = { "description",
	                                            CAP_DESCRIPTION_MAX, false,
	                                            true, false };
static const struct field_rule rule_instruction = { "instruction",
	                                            CAP_INSTRUCTION_MAX, false,
	                                            true, false };
static const struct field_rule rule_contact = { "contact", CAP_CONTACT_MAX,
	                                        false, false, false };
static const struct field_rule rule_area_desc = { "areaDesc", CAP_AREA_DESC_MAX,
	                                          false, false, false };

enum htd_err cap_validate(const struct cap_alert *a, struct htd_error *err)
{
	enum htd_err rc;
	char sent[32];
	if (!a)
		return htd_error_set(err, HTD_ERR_INVALID, "no alert");
#define CHECK(field, rule)                                     \
	do {                                                   \
		if ((rc = check_text(a->field, &(rule), err))) \
			return rc;                             \
	} while (0)
	CHECK(identifier, rule_identifier);
	CHECK(sender, rule_sender);
	if (!cap_time_format(a->sent_ms, a->utc_offset_min, sent, sizeof(sent)))
		return htd_error_field(err, HTD_ERR_INVALID, "sent",
		                       "sent must be from 1970 to 9999 with a "
		                       "UTC offset from -12:00 to +14:00");
	if ((unsigned)a->status >= CAP_STATUS__COUNT)
		return htd_error_field(err, HTD_ERR_INVALID, "status",
		                       "unknown status %d", (int)a->status);
	if ((unsigned)a->msg_type >= CAP_MSG_TYPE__COUNT)
		return htd_error_field(err, HTD_ERR_INVALID, "msgType",
		                       "unknown msgType %d", (int)a->msg_type);
	CHECK(restriction, rule_restriction);
	CHECK(references, rule_references);
	if (a->msg_type != CAP_MSG_TYPE_ALERT && str_empty(a->references))
		return htd_error_field(err, HTD_ERR_INVALID, "references",
		                       "an %s names the alerts it replaces in "
		                       "references",
		                       cap_msg_type_text(a->msg_type));
	CHECK(incidents, rule_incidents);
	CHECK(language, rule_language);
	if (!language_ok(a->language))
		return htd_error_field(err, HTD_ERR_INVALID, "language",
		                       "language must be a tag such as "
		                       "'en-US'");
	if (a->categories == 0 || (a->categories >> CAP_CATEGORY__COUNT) != 0)
		return htd_error_field(err, HTD_ERR_INVALID, "category",
		                       "at least one known category is "
		                       "required");
	CHECK(event, rule_event);
	if ((unsigned)a->urgency >= CAP_URGENCY__COUNT)
		return htd_error_field(err, HTD_ERR_INVALID, "urgency",
		                       "unknown urgency %d", (int)a->urgency);
	if ((unsigned)a->severity >= CAP_SEVERITY__COUNT)
		return htd_error_field(err, HTD_ERR_INVALID, "severity",
		                       "unknown severity %d", (int)a->severity);
	if ((unsigned)a->certainty >= CAP_CERTAINTY__COUNT)
		return htd_error_field(err, HTD_ERR_INVALID, "certainty",
		                       "unknown certainty %d",
		                       (int)a->certainty);
	CHECK(sender_name, rule_sender_name);
	CHECK(headline, rule_headline);
	CHECK(description, rule_description);
	CHECK(instruction, rule_instruction);
	CHECK(contact, rule_contact);
	CHECK(area_desc, rule_area_desc);
#undef CHECK
	if (a->has_circle) {
		const struct cap_circle *c = &a->circle;
		if (str_empty(a->area_desc))
			return htd_error_field(err, HTD_ERR_INVALID, "areaDesc",
			                       "a circle needs an areaDesc");
		if (!(c->lat >= -90.0 && c->lat <= 90.0 && c->lon >= -180.0 &&
		      c->lon <= 180.0 && c->radius_km >= 0 &&
		      c->radius_km <= CAP_RADIUS_KM_MAX))
			return htd_error_field(
			    err, HTD_ERR_INVALID, "circle",
			    "a circle is a latitude in [-90, "
			    "90], a longitude in [-180, 180] "
			    "and a radius of 0 to %.0f km",
			    CAP_RADIUS_KM_MAX);
	}
	return HTD_OK;
}

/* ---- writing ------------------------------------------------------------- */

/* Appends `s` escaped for XML text. */
static enum htd_err put_escaped(struct buf *b, const char *s)
{
	enum htd_err rc = HTD_OK;
	const char *run = s;
	for (const char *p = s; *p && rc == HTD_OK; p++) {
		const char *esc;
		switch (*p) {
		case '&': esc = "&amp;"; break;
		case '<': esc = "&lt;"; break;
		case '>': esc = "&gt;"; break;
		case '"': esc = "&quot;"; break;
		case '\'': esc = "&apos;"; break;
		/* A raw CR would be read back as LF (XML 1.0, 2.11). */
		case '\r': esc = "&#13;"; break;
		default: continue;
		}
		rc = buf_append(b, run, (size_t)(p - run));
		if (rc == HTD_OK)
			rc = buf_puts(b, esc);
		run = p + 1;
	}
	if (rc == HTD_OK)
		rc = buf_puts(b, run);
	return rc;
}

/* Appends `<name>text</name>` on its own line at `indent` spaces. */
static enum htd_err put_element(struct buf *b, int indent, const char *name,
                                const char *text)
{
	enum htd_err rc = buf_printf(b, "%*s<%s>", indent, "", name);
	if (rc == HTD_OK)
		rc = put_escaped(b, text);
	if (rc == HTD_OK)
		rc = buf_printf(b, "</%s>\n", name);
	return rc;
}

/* As put_element(), leaving out an empty optional element. */
static enum htd_err put_optional(struct buf *b, int indent, const char *name,
                                 const char *text)
{
	return str_empty(text) ? HTD_OK : put_element(b, indent, name, text);
}

static enum htd_err put_area(struct buf *b, const struct cap_alert *a)
{
	char circle[96];
	enum htd_err rc = buf_puts(b, "    <area>\n");
	if (rc == HTD_OK)
		rc = put_element(b, 6, "areaDesc", a->area_desc);
	/* CAP 3.2.4: "a WGS 84 coordinate pair followed by a space character
	 * and a radius value in kilometers". */
	if (rc == HTD_OK && a->has_circle) {
		if (!str_format(circle, sizeof(circle), "%.6f,%.6f %.3f",
		                a->circle.lat, a->circle.lon,
		                a->circle.radius_km))
			return HTD_ERR_INTERNAL;
		rc = put_element(b, 6, "circle", circle);
	}
	if (rc == HTD_OK)
		rc = buf_puts(b, "    </area>\n");
	return rc;
}

/* The elements in the schema's order: alert, then info, then area. */
static enum htd_err put_alert(struct buf *b, const struct cap_alert *a)
{
	char sent[32];
	enum htd_err rc = HTD_OK;
	if (!cap_time_format(a->sent_ms, a->utc_offset_min, sent, sizeof(sent)))
		return HTD_ERR_INTERNAL; /* cap_validate() passed */
	const char *restriction = str_empty(a->restriction)
	                              ? CAP_RESTRICTION_DEFAULT
	                              : a->restriction;

#define PUT(call)                            \
	do {                                 \
		if ((rc = (call)) != HTD_OK) \
			return rc;           \
	} while (0)
	PUT(buf_puts(b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	                "<alert xmlns=\"urn:oasis:names:tc:emergency:cap:1.2\">"
	                "\n"));
	PUT(put_element(b, 2, "identifier", a->identifier));
	PUT(put_element(b, 2, "sender", a->sender));
	PUT(put_element(b, 2, "sent", sent));
	PUT(put_element(b, 2, "status", cap_status_text(a->status)));
	PUT(put_element(b, 2, "msgType", cap_msg_type_text(a->msg_type)));
	PUT(put_element(b, 2, "scope", "Restricted"));
	PUT(put_element(b, 2, "restriction", restriction));
	PUT(put_optional(b, 2, "references", a->references));
	PUT(put_optional(b, 2, "incidents", a->incidents));
	PUT(buf_puts(b, "  <info>\n"));
	PUT(put_element(b, 4, "language", a->language));
	for (int c = 0; c < CAP_CATEGORY__COUNT; c++)
		if (a->categories & CAP_CATEGORY_BIT(c))
			PUT(put_element(
			    b, 4, "category",
			    cap_category_text((enum cap_category)c)));
	PUT(put_element(b, 4, "event", a->event));
	PUT(put_element(b, 4, "urgency", cap_urgency_text(a->urgency)));
	PUT(put_element(b, 4, "severity", cap_severity_text(a->severity)));
	PUT(put_element(b, 4, "certainty", cap_certainty_text(a->certainty)));
	PUT(put_optional(b, 4, "senderName", a->sender_name));
	PUT(put_optional(b, 4, "headline", a->headline));
	PUT(put_optional(b, 4, "description", a->description));
	PUT(put_optional(b, 4, "instruction", a->instruction));
	PUT(put_optional(b, 4, "contact", a->contact));
	if (!str_empty(a->area_desc))
		PUT(put_area(b, a));
	PUT(buf_puts(b, "  </info>\n</alert>\n"));
#undef PUT
	return rc;
}

enum htd_err cap_write(const struct cap_alert *a, struct buf *out,
                       struct htd_error *err)
{
	enum htd_err rc = cap_validate(a, err);
	if (rc != HTD_OK)
		return rc;
	if (!out)
		return htd_error_set(err, HTD_ERR_INVALID, "no buffer");
	size_t start = out->len;
	rc = put_alert(out, a);
	if (rc != HTD_OK) {
		/* Leave the buffer as it was. */
		out->len = start;
		if (out->data)
			out->data[start] = '\0';
		return htd_error_set(err, rc,
		                     rc == HTD_ERR_TOO_LARGE
		                         ? "the alert does not fit the buffer"
		                         : "could not write the alert");
	}
	return HTD_OK;
}
