/*
 * test_cap.c - unit tests of formats/cap.c: a fixed alert against its
 * golden file (tests/fixtures/cap/), the times CAP wants, escaping, every
 * rejection, and validity: the golden alert and 200 alerts generated from
 * a seeded PRNG with hostile text are checked against the OASIS CAP 1.2
 * schema by xmllint (Debian: libxml2-utils; scripts/deps.sh installs it).
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/cap.h"
#include "testutil.h"
#include "util/buf.h"
#include "util/mem.h"
#include "util/str.h"

/* 2026-11-29T08:54:19Z */
#define SENT_MS INT64_C(1795942459000)

static struct cap_alert fixed_alert(void)
{
	struct cap_alert a;
	memset(&a, 0, sizeof(a));
	a.identifier = "HT-2026-000123-1";
	a.sender = "psap@austin.example.gov";
	a.sent_ms = SENT_MS;
	a.utc_offset_min = -360;
	a.status = CAP_STATUS_ACTUAL;
	a.msg_type = CAP_MSG_TYPE_ALERT;
	a.incidents = "HT-2026-000123";
	a.language = "en-US";
	a.categories = CAP_CATEGORY_BIT(CAP_CATEGORY_SECURITY) |
	               CAP_CATEGORY_BIT(CAP_CATEGORY_RESCUE);
	a.event = "Human trafficking - victim escape";
	a.urgency = CAP_URGENCY_IMMEDIATE;
	a.severity = CAP_SEVERITY_SEVERE;
	a.certainty = CAP_CERTAINTY_LIKELY;
	a.sender_name = "Austin 9-1-1";
	a.headline = "Priority 1, trafficking victim escape at 1200 E 6th St";
	a.description =
	    "Priority 1, trafficking victim escape: possible labor "
	    "trafficking, victim escaped. Location: 1200 E 6th St at Chicot "
	    "St. Suspects: two men, \"El Jefe\" & driver. Caution: weapons "
	    "reported: handgun.";
	a.instruction = "Law enforcement only. Contact dispatch for details "
	                "on HT-2026-000123.";
	a.contact = "Austin 9-1-1 dispatch, channel 3";
	a.area_desc = "1200 E 6th St at Chicot St";
	a.has_circle = true;
	a.circle.lat = 30.2649;
	a.circle.lon = -97.7272;
	a.circle.radius_km = 0.5;
	return a;
}

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	cr_assert_not_null(f, "cannot open %s", path);
	struct buf b;
	buf_init(&b, 0);
	char chunk[4096];
	size_t n;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_append(&b, chunk, n);
	fclose(f);
	return buf_steal(&b);
}

static const char *schema_path(void)
{
	static char path[1024];
	const char *shared = getenv("HTD_SHARED_DATA");
	cr_assert_not_null(shared, "HTD_SHARED_DATA is set by meson");
	str_format(path, sizeof(path), "%s/interop/cap/schema/cap12.xsd",
	           shared);
	cr_assert(tu_exists(path), "no CAP schema at %s", path);
	return path;
}

/*
 * Validates every file named `pattern` (a shell glob in `dir`) against the
 * CAP 1.2 schema; fails the test with xmllint's words when one is not.
 */
static void xmllint_validate(const char *dir, const char *pattern)
{
	char cmd[4096], log[1024];
	cr_assert_eq(system("command -v xmllint >/dev/null 2>&1"), 0,
	             "xmllint is not installed (Debian: libxml2-utils; run "
	             "scripts/deps.sh)");
	tu_path(log, sizeof(log), dir, "xmllint.log");
	str_format(cmd, sizeof(cmd),
	           "xmllint --nonet --noout --schema '%s' '%s'/%s >'%s' 2>&1",
	           schema_path(), dir, pattern, log);
	int rc = system(cmd);
	if (rc != 0) {
		char *text = read_file(log);
		cr_assert_fail("xmllint: exit %d\n%.4000s", rc, text);
		free(text);
	}
}

/* ---- the golden alert ---------------------------------------------------- */

Test(formats_cap, golden_alert_is_exact_and_valid)
{
	struct cap_alert a = fixed_alert();
	struct buf b;
	struct htd_error err;
	buf_init(&b, 0);
	cr_assert_eq(cap_write(&a, &b, &err), HTD_OK, "%s", err.message);

	char path[1024];
	const char *root = getenv("HTD_SOURCE_ROOT");
	cr_assert_not_null(root, "HTD_SOURCE_ROOT is set by meson");
	str_format(path, sizeof(path),
	           "%s/tests/fixtures/cap/victim_escape.xml", root);
	char *want = read_file(path);
	cr_assert_str_eq(buf_str(&b), want,
	                 "the alert differs from %s; got:\n%s", path,
	                 buf_str(&b));
	free(want);

	const char *dir = tu_tmpdir();
	tu_path(path, sizeof(path), dir, "golden.xml");
	tu_write_file(path, b.data, b.len);
	xmllint_validate(dir, "golden.xml");
	tu_rmtree(dir);
	buf_free(&b);
}

Test(formats_cap, a_misordered_alert_fails_the_schema)
{
	/* The check itself must be able to fail. */
	const char *dir = tu_tmpdir();
	char path[1024];
	struct cap_alert a = fixed_alert();
	struct buf b;
	buf_init(&b, 0);
	cr_assert_eq(cap_write(&a, &b, NULL), HTD_OK);
	/* <urgency> before <event>: out of the schema's order. */
	char *text = buf_steal(&b);
	char *ev = strstr(text, "    <event>");
	char *ur = strstr(text, "    <urgency>");
	char *se = strstr(text, "    <severity>");
	cr_assert(ev && ur && se && ev < ur && ur < se);
	struct buf swapped;
	buf_init(&swapped, 0);
	buf_append(&swapped, text, (size_t)(ev - text));
	buf_append(&swapped, ur, (size_t)(se - ur));
	buf_append(&swapped, ev, (size_t)(ur - ev));
	buf_puts(&swapped, se);
	tu_path(path, sizeof(path), dir, "swapped.xml");
	tu_write_file(path, swapped.data, swapped.len);
	char cmd[2048];
	str_format(cmd, sizeof(cmd),
	           "xmllint --nonet --noout --schema '%s' '%s' >/dev/null "
	           "2>&1",
	           schema_path(), path);
	cr_assert_neq(system(cmd), 0, "xmllint accepted a misordered alert");
	free(text);
	buf_free(&swapped);
	tu_rmtree(dir);
}

/* ---- time ---------------------------------------------------------------- */

Test(formats_cap, times)
{
	char t[32];
	cr_assert(cap_time_format(0, 0, t, sizeof(t)));
	cr_assert_str_eq(t, "1970-01-01T00:00:00-00:00", "UTC is -00:00");
	cr_assert(cap_time_format(SENT_MS, -360, t, sizeof(t)));
	cr_assert_str_eq(t, "2026-11-29T02:54:19-06:00");
	cr_assert(cap_time_format(SENT_MS + 999, 330, t, sizeof(t)));
	cr_assert_str_eq(t, "2026-11-29T14:24:19+05:30");
	cr_assert(cap_time_format(INT64_C(1709251199000), 0, t, sizeof(t)));
	cr_assert_str_eq(t, "2024-02-29T23:59:59-00:00");
	cr_assert(cap_time_format(INT64_C(1709251199000), 60, t, sizeof(t)));
	cr_assert_str_eq(t, "2024-03-01T00:59:59+01:00");
	/* 2026-03-01T02:00:00Z at -06:00 is still February. */
	cr_assert(cap_time_format(INT64_C(1772330400000), -360, t, sizeof(t)));
	cr_assert_str_eq(t, "2026-02-28T20:00:00-06:00");
	cr_assert(cap_time_format(INT64_C(253402300799000), 0, t, sizeof(t)));
	cr_assert_str_eq(t, "9999-12-31T23:59:59-00:00");
	cr_assert(cap_time_format(INT64_C(3600000), -60, t, sizeof(t)));
	cr_assert_str_eq(t, "1970-01-01T00:00:00-01:00");

	cr_assert_not(cap_time_format(-1, 0, t, sizeof(t)));
	cr_assert_not(
	    cap_time_format(INT64_C(253402300800000), 0, t, sizeof(t)));
	cr_assert_not(
	    cap_time_format(INT64_C(253402300799000), 60, t, sizeof(t)),
	    "past 9999 in local time");
	cr_assert_not(cap_time_format(0, -60, t, sizeof(t)), "before 1970");
	cr_assert_not(cap_time_format(SENT_MS, -721, t, sizeof(t)));
	cr_assert_not(cap_time_format(SENT_MS, 841, t, sizeof(t)));
	cr_assert_not(cap_time_format(SENT_MS, 0, t, 25));
	cr_assert(cap_time_format(SENT_MS, 0, t, 26));
}

/* ---- escaping and checks ------------------------------------------------- */

/* The text of the first <name> element of `xml`, as written (escaped). */
static char *element_text(const char *xml, const char *name)
{
	char open[64], close[64];
	str_format(open, sizeof(open), "<%s>", name);
	str_format(close, sizeof(close), "</%s>", name);
	const char *s = strstr(xml, open);
	cr_assert_not_null(s, "no <%s>", name);
	s += strlen(open);
	const char *e = strstr(s, close);
	cr_assert_not_null(e, "no </%s>", name);
	return xstrndup(s, (size_t)(e - s));
}

Test(formats_cap, text_is_escaped)
{
	struct cap_alert a = fixed_alert();
	a.headline = "Tom & Jerry's <b>\"bar\"</b>";
	a.description = "line one\nline two\r\n\tindented & done";
	a.identifier = "id'>\"x";
	struct buf b;
	buf_init(&b, 0);
	cr_assert_eq(cap_write(&a, &b, NULL), HTD_OK);
	char *h = element_text(b.data, "headline");
	cr_assert_str_eq(
	    h, "Tom &amp; Jerry&apos;s &lt;b&gt;&quot;bar&quot;&lt;/b&gt;");
	free(h);
	char *d = element_text(b.data, "description");
	cr_assert_str_eq(d, "line one\nline two&#13;\n\tindented &amp; done");
	free(d);
	char *i = element_text(b.data, "identifier");
	cr_assert_str_eq(i, "id&apos;&gt;&quot;x");
	free(i);
	/* Unicode goes through as it is. */
	buf_reset(&b);
	a.headline = "Señora Pérez, 日本語, 😀";
	cr_assert_eq(cap_write(&a, &b, NULL), HTD_OK);
	h = element_text(b.data, "headline");
	cr_assert_str_eq(h, "Señora Pérez, 日本語, 😀");
	free(h);
	buf_free(&b);
}

Test(formats_cap, optional_elements_are_left_out)
{
	struct cap_alert a = fixed_alert();
	a.incidents = NULL;
	a.sender_name = "";
	a.headline = NULL;
	a.description = NULL;
	a.instruction = NULL;
	a.contact = NULL;
	a.area_desc = NULL;
	a.has_circle = false;
	a.restriction = NULL;
	a.categories = CAP_CATEGORY_BIT(CAP_CATEGORY_SECURITY);
	struct buf b;
	buf_init(&b, 0);
	cr_assert_eq(cap_write(&a, &b, NULL), HTD_OK);
	const char *absent[] = { "<incidents>",   "<senderName>",  "<headline>",
		                 "<description>", "<instruction>", "<contact>",
		                 "<area>",        "<references>",  "Rescue" };
	for (size_t i = 0; i < sizeof(absent) / sizeof(*absent); i++)
		cr_assert_null(strstr(b.data, absent[i]), "%s", absent[i]);
	char *r = element_text(b.data, "restriction");
	cr_assert_str_eq(r, CAP_RESTRICTION_DEFAULT);
	free(r);
	cr_assert_not_null(strstr(b.data, "<scope>Restricted</scope>"));

	const char *dir = tu_tmpdir();
	char path[1024];
	tu_path(path, sizeof(path), dir, "minimal.xml");
	tu_write_file(path, b.data, b.len);
	xmllint_validate(dir, "minimal.xml");
	tu_rmtree(dir);
	buf_free(&b);
}

Test(formats_cap, update_needs_references)
{
	struct cap_alert a = fixed_alert();
	struct htd_error err;
	struct buf b;
	buf_init(&b, 0);
	a.msg_type = CAP_MSG_TYPE_UPDATE;
	cr_assert_eq(cap_write(&a, &b, &err), HTD_ERR_INVALID);
	cr_assert_str_eq(err.field, "references");
	a.msg_type = CAP_MSG_TYPE_CANCEL;
	a.references = "psap@austin.example.gov,HT-2026-000123-1,"
	               "2026-11-29T02:54:19-06:00";
	cr_assert_eq(cap_write(&a, &b, &err), HTD_OK, "%s", err.message);
	char *r = element_text(b.data, "references");
	cr_assert_str_eq(r, a.references);
	free(r);
	cr_assert_not_null(strstr(b.data, "<msgType>Cancel</msgType>"));
	buf_free(&b);
}

/* Sets one field of a fixed alert to a bad value; expects `code` naming
 * `field`, with the buffer untouched. */
static void expect_refused(void (*set)(struct cap_alert *), enum htd_err code,
                           const char *field)
{
	struct cap_alert a = fixed_alert();
	struct htd_error err;
	struct buf b;
	buf_init(&b, 0);
	buf_puts(&b, "before");
	set(&a);
	htd_error_clear(&err);
	cr_assert_eq(cap_write(&a, &b, &err), code, "%s: got %s (%s)", field,
	             htd_err_name(err.code), err.message);
	cr_assert_str_eq(err.field, field);
	cr_assert_str_eq(buf_str(&b), "before");
	cr_assert_eq(cap_validate(&a, NULL), code);
	buf_free(&b);
}

static char long_text[CAP_DESCRIPTION_MAX + 2];

static void set_no_identifier(struct cap_alert *a)
{
	a->identifier = "";
}
static void set_identifier_space(struct cap_alert *a)
{
	a->identifier = "HT 2026";
}
static void set_identifier_comma(struct cap_alert *a)
{
	a->identifier = "HT,2026";
}
static void set_sender_amp(struct cap_alert *a)
{
	a->sender = "a&b";
}
static void set_sender_lt(struct cap_alert *a)
{
	a->sender = "a<b";
}
static void set_sent(struct cap_alert *a)
{
	a->sent_ms = -5;
}
static void set_offset(struct cap_alert *a)
{
	a->utc_offset_min = 15 * 60;
}
static void set_status(struct cap_alert *a)
{
	a->status = CAP_STATUS__COUNT;
}
static void set_msg_type(struct cap_alert *a)
{
	a->msg_type = (enum cap_msg_type) - 1;
}
static void set_language(struct cap_alert *a)
{
	a->language = "en US";
}
static void set_language_digit(struct cap_alert *a)
{
	a->language = "1en";
}
static void set_language_long(struct cap_alert *a)
{
	a->language = "en-abcdefghi";
}
static void set_no_category(struct cap_alert *a)
{
	a->categories = 0;
}
static void set_bad_category(struct cap_alert *a)
{
	a->categories = 1u << CAP_CATEGORY__COUNT;
}
static void set_no_event(struct cap_alert *a)
{
	a->event = NULL;
}
static void set_urgency(struct cap_alert *a)
{
	a->urgency = CAP_URGENCY__COUNT;
}
static void set_severity(struct cap_alert *a)
{
	a->severity = CAP_SEVERITY__COUNT;
}
static void set_certainty(struct cap_alert *a)
{
	a->certainty = CAP_CERTAINTY__COUNT;
}
static void set_headline_newline(struct cap_alert *a)
{
	a->headline = "two\nlines";
}
static void set_headline_control(struct cap_alert *a)
{
	a->headline = "bell\a";
}
static void set_headline_del(struct cap_alert *a)
{
	a->headline = "del\x7f";
}
static void set_headline_c1(struct cap_alert *a)
{
	a->headline = "c1 \xc2\x85";
}
static void set_headline_fffe(struct cap_alert *a)
{
	a->headline = "not a char \xef\xbf\xbe";
}
static void set_headline_long(struct cap_alert *a)
{
	memset(long_text, 'h', CAP_HEADLINE_MAX + 1);
	long_text[CAP_HEADLINE_MAX + 1] = '\0';
	a->headline = long_text;
}
static void set_description_overlong(struct cap_alert *a)
{
	a->description = "overlong \xc0\xaf slash";
}
static void set_description_surrogate(struct cap_alert *a)
{
	a->description = "surrogate \xed\xa0\x80";
}
static void set_description_truncated(struct cap_alert *a)
{
	a->description = "cut \xe6\x97";
}
static void set_description_high(struct cap_alert *a)
{
	a->description = "past U+10FFFF \xf4\x90\x80\x80";
}
static void set_description_vt(struct cap_alert *a)
{
	a->description = "vertical\vtab";
}
static void set_description_long(struct cap_alert *a)
{
	memset(long_text, 'd', CAP_DESCRIPTION_MAX + 1);
	long_text[CAP_DESCRIPTION_MAX + 1] = '\0';
	a->description = long_text;
}
static void set_instruction_nul_free(struct cap_alert *a)
{
	a->instruction = "esc \x1b[31m";
}
static void set_contact(struct cap_alert *a)
{
	a->contact = "tab\there";
}
static void set_area_desc(struct cap_alert *a)
{
	a->area_desc = "\x01";
}
static void set_circle_no_area(struct cap_alert *a)
{
	a->area_desc = NULL;
}
static void set_circle_lat(struct cap_alert *a)
{
	a->circle.lat = 91;
}
static void set_circle_radius(struct cap_alert *a)
{
	a->circle.radius_km = -1;
}
static void set_circle_nan(struct cap_alert *a)
{
	a->circle.lon = NAN;
}
static void set_restriction(struct cap_alert *a)
{
	a->restriction = "\x7f";
}
static void set_incidents(struct cap_alert *a)
{
	a->incidents = "\xff";
}

Test(formats_cap, bad_fields_are_refused)
{
	expect_refused(set_no_identifier, HTD_ERR_INVALID, "identifier");
	expect_refused(set_identifier_space, HTD_ERR_INVALID, "identifier");
	expect_refused(set_identifier_comma, HTD_ERR_INVALID, "identifier");
	expect_refused(set_sender_amp, HTD_ERR_INVALID, "sender");
	expect_refused(set_sender_lt, HTD_ERR_INVALID, "sender");
	expect_refused(set_sent, HTD_ERR_INVALID, "sent");
	expect_refused(set_offset, HTD_ERR_INVALID, "sent");
	expect_refused(set_status, HTD_ERR_INVALID, "status");
	expect_refused(set_msg_type, HTD_ERR_INVALID, "msgType");
	expect_refused(set_language, HTD_ERR_INVALID, "language");
	expect_refused(set_language_digit, HTD_ERR_INVALID, "language");
	expect_refused(set_language_long, HTD_ERR_INVALID, "language");
	expect_refused(set_no_category, HTD_ERR_INVALID, "category");
	expect_refused(set_bad_category, HTD_ERR_INVALID, "category");
	expect_refused(set_no_event, HTD_ERR_INVALID, "event");
	expect_refused(set_urgency, HTD_ERR_INVALID, "urgency");
	expect_refused(set_severity, HTD_ERR_INVALID, "severity");
	expect_refused(set_certainty, HTD_ERR_INVALID, "certainty");
	expect_refused(set_headline_newline, HTD_ERR_INVALID, "headline");
	expect_refused(set_headline_control, HTD_ERR_INVALID, "headline");
	expect_refused(set_headline_del, HTD_ERR_INVALID, "headline");
	expect_refused(set_headline_c1, HTD_ERR_INVALID, "headline");
	expect_refused(set_headline_fffe, HTD_ERR_INVALID, "headline");
	expect_refused(set_headline_long, HTD_ERR_TOO_LARGE, "headline");
	expect_refused(set_description_overlong, HTD_ERR_INVALID,
	               "description");
	expect_refused(set_description_surrogate, HTD_ERR_INVALID,
	               "description");
	expect_refused(set_description_truncated, HTD_ERR_INVALID,
	               "description");
	expect_refused(set_description_high, HTD_ERR_INVALID, "description");
	expect_refused(set_description_vt, HTD_ERR_INVALID, "description");
	expect_refused(set_description_long, HTD_ERR_TOO_LARGE, "description");
	expect_refused(set_instruction_nul_free, HTD_ERR_INVALID,
	               "instruction");
	expect_refused(set_contact, HTD_ERR_INVALID, "contact");
	expect_refused(set_area_desc, HTD_ERR_INVALID, "areaDesc");
	expect_refused(set_circle_no_area, HTD_ERR_INVALID, "areaDesc");
	expect_refused(set_circle_lat, HTD_ERR_INVALID, "circle");
	expect_refused(set_circle_radius, HTD_ERR_INVALID, "circle");
	expect_refused(set_circle_nan, HTD_ERR_INVALID, "circle");
	expect_refused(set_restriction, HTD_ERR_INVALID, "restriction");
	expect_refused(set_incidents, HTD_ERR_INVALID, "incidents");
}

Test(formats_cap, a_full_buffer_is_left_as_it_was)
{
	struct cap_alert a = fixed_alert();
	struct htd_error err;
	struct buf b;
	buf_init(&b, 600);
	buf_puts(&b, "kept");
	cr_assert_eq(cap_write(&a, &b, &err), HTD_ERR_TOO_LARGE);
	cr_assert_str_eq(buf_str(&b), "kept");
	cr_assert_eq(b.len, 4);
	buf_free(&b);
	cr_assert_eq(cap_write(NULL, &b, &err), HTD_ERR_INVALID);
	cr_assert_eq(cap_write(&a, NULL, &err), HTD_ERR_INVALID);
	cr_assert_str_eq(cap_status_text(CAP_STATUS__COUNT), "");
	cr_assert_str_eq(cap_category_text(CAP_CATEGORY_RESCUE), "Rescue");
}

/* ---- 200 hostile alerts -------------------------------------------------- */

static uint64_t rng_state;

static uint64_t rng_next(void)
{
	/* splitmix64 */
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15u);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

static const char *const hostile[] = {
	"&",       "<",        ">",          "\"",         "'",
	"&amp;",   "&#x26;",   "]]>",        "<![CDATA[",  "<!--",
	"-->",     "</alert>", "<?xml ?>",   "&lt;",       " ",
	"é",       "ñ",        "日本語",     "😀",          "\xc2\xa0",
	"\u202e",  "\ufdd0",   "\ufffd",     "Ω",          "x",
	"Señora ", "O'Brien",  "\"quoted\"", "a&b<c>d",    "%s%n",
	"\\",      "${x}",     "\u0301",     "\U0010fffd", "𝔘",
};
static const char *const hostile_multiline[] = { "\n", "\t", "\r", "\r\n" };
static const char *const token_parts[] = { "A",  "z", "9", "-", ".", "'",
	                                   "\"", ">", "é", "@", "_", ":" };

/* Fills `b` with hostile text of at most `max` bytes (never cut inside a
 * character). */
static void hostile_text(struct buf *b, size_t max, bool multiline)
{
	buf_reset(b);
	size_t want = rng_next() % 4 == 0 ? max : rng_next() % (max / 4 + 2);
	while (b->len < want) {
		const char *piece;
		if (multiline && rng_next() % 8 == 0)
			piece = hostile_multiline[rng_next() % 4];
		else
			piece = hostile[rng_next() %
			                (sizeof(hostile) / sizeof(*hostile))];
		if (b->len + strlen(piece) > max)
			break;
		buf_puts(b, piece);
	}
}

static void token_text(struct buf *b, size_t max)
{
	buf_reset(b);
	size_t want = 1 + rng_next() % max;
	while (b->len < want) {
		const char *piece =
		    token_parts[rng_next() %
		                (sizeof(token_parts) / sizeof(*token_parts))];
		if (b->len + strlen(piece) > max)
			break;
		buf_puts(b, piece);
	}
	if (b->len == 0)
		buf_puts(b, "A");
}

/* Undoes put_escaped(). */
static char *unescape(const char *s)
{
	struct buf b;
	buf_init(&b, 0);
	static const struct {
		const char *entity;
		char c;
	} map[] = { { "&amp;", '&' },  { "&lt;", '<' },    { "&gt;", '>' },
		    { "&quot;", '"' }, { "&apos;", '\'' }, { "&#13;", '\r' } };
	while (*s) {
		bool done = false;
		if (*s == '&') {
			for (size_t i = 0; i < 6; i++) {
				size_t n = strlen(map[i].entity);
				if (strncmp(s, map[i].entity, n) == 0) {
					buf_append(&b, &map[i].c, 1);
					s += n;
					done = true;
					break;
				}
			}
			cr_assert(done, "a bare '&' in the output: %.20s", s);
		}
		if (!done) {
			cr_assert_neq(*s, '<', "a bare '<' in text");
			buf_append(&b, s++, 1);
		}
	}
	return buf_steal(&b);
}

Test(formats_cap, hostile_alerts_are_valid_cap, .timeout = 60)
{
	enum { ALERTS = 200 };
	const char *dir = tu_tmpdir();
	struct buf f[13], out;
	for (size_t i = 0; i < 13; i++)
		buf_init(&f[i], 0);
	buf_init(&out, 0);
	rng_state = 1225; /* seeded: the same 200 alerts every run */
	for (int n = 0; n < ALERTS; n++) {
		struct cap_alert a;
		memset(&a, 0, sizeof(a));
		token_text(&f[0], 40);
		token_text(&f[1], 60);
		hostile_text(&f[2], CAP_RESTRICTION_MAX, false);
		hostile_text(&f[3], CAP_INCIDENTS_MAX, false);
		hostile_text(&f[4], CAP_EVENT_MAX, false);
		hostile_text(&f[5], CAP_SENDER_NAME_MAX, false);
		hostile_text(&f[6], CAP_HEADLINE_MAX, false);
		hostile_text(&f[7], CAP_DESCRIPTION_MAX, true);
		hostile_text(&f[8], CAP_INSTRUCTION_MAX, true);
		hostile_text(&f[9], CAP_CONTACT_MAX, false);
		hostile_text(&f[10], CAP_AREA_DESC_MAX, false);
		hostile_text(&f[11], CAP_REFERENCES_MAX, false);
		a.identifier = f[0].data;
		a.sender = f[1].data;
		a.restriction = f[2].data;
		a.incidents = f[3].data;
		a.event = f[4].len ? f[4].data : "Human trafficking";
		a.sender_name = f[5].data;
		a.headline = f[6].data;
		a.description = f[7].data;
		a.instruction = f[8].data;
		a.contact = f[9].data;
		a.area_desc = f[10].len ? f[10].data : "somewhere";
		a.sent_ms = (int64_t)(rng_next() % INT64_C(253402300799000));
		a.utc_offset_min =
		    (int)(rng_next() % (14 * 60 + 12 * 60 + 1)) - 12 * 60;
		if (a.sent_ms / 1000 + a.utc_offset_min * 60 < 0 ||
		    a.sent_ms / 1000 + a.utc_offset_min * 60 >
		        INT64_C(253402300799))
			a.utc_offset_min = 0;
		a.status = (enum cap_status)(rng_next() % CAP_STATUS__COUNT);
		a.msg_type =
		    (enum cap_msg_type)(rng_next() % CAP_MSG_TYPE__COUNT);
		a.references = f[11].len ? f[11].data : "x,y,z";
		a.language = (const char *[]){ "en-US", "es", "en",
			                       "zh-Hant-TW" }[rng_next() % 4];
		a.categories = 1 + (unsigned)(rng_next() % 3);
		a.urgency = (enum cap_urgency)(rng_next() % CAP_URGENCY__COUNT);
		a.severity =
		    (enum cap_severity)(rng_next() % CAP_SEVERITY__COUNT);
		a.certainty =
		    (enum cap_certainty)(rng_next() % CAP_CERTAINTY__COUNT);
		a.has_circle = rng_next() % 2;
		a.circle.lat = (double)(rng_next() % 180001) / 1000 - 90;
		a.circle.lon = (double)(rng_next() % 360001) / 1000 - 180;
		a.circle.radius_km = (double)(rng_next() % 1000001) / 1000;

		struct htd_error err;
		buf_reset(&out);
		cr_assert_eq(cap_write(&a, &out, &err), HTD_OK, "alert %d: %s",
		             n, err.message);
		/* The text comes back as it went in. */
		char *d = element_text(out.data, "description");
		char *back = unescape(d);
		cr_assert_str_eq(back, a.description, "alert %d", n);
		free(back);
		free(d);
		char name[64], path[1024];
		str_format(name, sizeof(name), "alert_%03d.xml", n);
		tu_path(path, sizeof(path), dir, name);
		tu_write_file(path, out.data, out.len);

		/* The same alert with one control character is refused. */
		buf_puts(&f[6], "\x02");
		a.headline = f[6].data;
		buf_reset(&out);
		cr_assert_neq(cap_write(&a, &out, &err), HTD_OK);
		cr_assert_eq(out.len, 0);
	}
	xmllint_validate(dir, "alert_*.xml");
	for (size_t i = 0; i < 13; i++)
		buf_free(&f[i]);
	buf_free(&out);
	tu_rmtree(dir);
}
