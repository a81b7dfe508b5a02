/*
 * cap.h - an OASIS Common Alerting Protocol 1.2 alert, written as XML (NENA
 * step 6: "transmit the appropriate radio alerts"). One alert, one info
 * block, one area: what a trafficking call puts on the air for law
 * enforcement only. The output is valid against the OASIS schema
 * (../shared/data/interop/cap/schema/cap12.xsd), element order included;
 * the tests check it with xmllint.
 *
 * Every text field is checked (well-formed UTF-8, characters XML 1.0
 * allows, no control characters, a length cap) and escaped. Pure: the
 * sent time comes in the struct with the caller's UTC offset.
 *
 * Ownership: struct cap_alert borrows every string; cap_write() borrows
 * the alert and appends to the caller's buffer.
 */
#ifndef HTD_FORMATS_CAP_H
#define HTD_FORMATS_CAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/error.h"

/* The values of CAP's enumerations that htdispatch uses; X(ENUM, text). */
#define CAP_STATUSES(X)         \
	X(ACTUAL, "Actual")     \
	X(EXERCISE, "Exercise") \
	X(TEST, "Test")

#define CAP_MSG_TYPES(X)    \
	X(ALERT, "Alert")   \
	X(UPDATE, "Update") \
	X(CANCEL, "Cancel")

#define CAP_CATEGORIES(X)       \
	X(SECURITY, "Security") \
	X(RESCUE, "Rescue")

#define CAP_URGENCIES(X)          \
	X(IMMEDIATE, "Immediate") \
	X(EXPECTED, "Expected")   \
	X(FUTURE, "Future")       \
	X(PAST, "Past")           \
	X(UNKNOWN, "Unknown")

#define CAP_SEVERITIES(X)       \
	X(EXTREME, "Extreme")   \
	X(SEVERE, "Severe")     \
	X(MODERATE, "Moderate") \
	X(MINOR, "Minor")       \
	X(UNKNOWN, "Unknown")

#define CAP_CERTAINTIES(X)      \
	X(OBSERVED, "Observed") \
	X(LIKELY, "Likely")     \
	X(POSSIBLE, "Possible") \
	X(UNLIKELY, "Unlikely") \
	X(UNKNOWN, "Unknown")

/* An X-macro expansion is a list: */
/* clang-format off */
#define CAP_ENUM_STATUS(e, t) CAP_STATUS_##e,
#define CAP_ENUM_MSG_TYPE(e, t) CAP_MSG_TYPE_##e,
#define CAP_ENUM_CATEGORY(e, t) CAP_CATEGORY_##e,
#define CAP_ENUM_URGENCY(e, t) CAP_URGENCY_##e,
#define CAP_ENUM_SEVERITY(e, t) CAP_SEVERITY_##e,
#define CAP_ENUM_CERTAINTY(e, t) CAP_CERTAINTY_##e,
enum cap_status { CAP_STATUSES(CAP_ENUM_STATUS) CAP_STATUS__COUNT };
enum cap_msg_type { CAP_MSG_TYPES(CAP_ENUM_MSG_TYPE) CAP_MSG_TYPE__COUNT };
enum cap_category { CAP_CATEGORIES(CAP_ENUM_CATEGORY) CAP_CATEGORY__COUNT };
enum cap_urgency { CAP_URGENCIES(CAP_ENUM_URGENCY) CAP_URGENCY__COUNT };
enum cap_severity { CAP_SEVERITIES(CAP_ENUM_SEVERITY) CAP_SEVERITY__COUNT };
enum cap_certainty {
	CAP_CERTAINTIES(CAP_ENUM_CERTAINTY) CAP_CERTAINTY__COUNT
};
#undef CAP_ENUM_STATUS
#undef CAP_ENUM_MSG_TYPE
#undef CAP_ENUM_CATEGORY
#undef CAP_ENUM_URGENCY
#undef CAP_ENUM_SEVERITY
#undef CAP_ENUM_CERTAINTY
/* clang-format on */

/* Each returns CAP's text for the value ("Actual"); "" when out of range.
 * Static. */
const char *cap_status_text(enum cap_status v);
const char *cap_msg_type_text(enum cap_msg_type v);
const char *cap_category_text(enum cap_category v);
const char *cap_urgency_text(enum cap_urgency v);
const char *cap_severity_text(enum cap_severity v);
const char *cap_certainty_text(enum cap_certainty v);

/* Caps on the fields, in bytes of UTF-8. CAP says a headline SHOULD be
 * under 160 characters (text pagers); the rest are ours, generous. */
#define CAP_IDENTIFIER_MAX 128
#define CAP_SENDER_MAX 128
#define CAP_RESTRICTION_MAX 256
#define CAP_REFERENCES_MAX 1024
#define CAP_INCIDENTS_MAX 256
#define CAP_LANGUAGE_MAX 35
#define CAP_EVENT_MAX 128
#define CAP_SENDER_NAME_MAX 128
#define CAP_HEADLINE_MAX 160
#define CAP_DESCRIPTION_MAX 4000
#define CAP_INSTRUCTION_MAX 1000
#define CAP_CONTACT_MAX 256
#define CAP_AREA_DESC_MAX 512
#define CAP_RADIUS_KM_MAX 1000.0

/* The restriction written when the alert gives none. */
#define CAP_RESTRICTION_DEFAULT "Law enforcement only. Not for public release."

/* The UTC offsets CAP times may carry: -12:00 to +14:00, in minutes. */
#define CAP_UTC_OFFSET_MIN (-12 * 60)
#define CAP_UTC_OFFSET_MAX (14 * 60)

/* A <circle>: "lat,lon radius" in WGS 84 degrees and kilometres. */
struct cap_circle {
	double lat, lon;  /* checked: [-90, 90], [-180, 180] */
	double radius_km; /* checked: 0 .. CAP_RADIUS_KM_MAX */
};

/*
 * The alert. Required strings must be non-empty; optional ones may be
 * NULL or "" (then the element is left out). Single-line fields may not
 * hold line breaks; description and instruction may ('\n', '\t', '\r').
 */
struct cap_alert {
	/* <alert> */
	const char *identifier; /* required; unique per sender; no spaces,
	                         * commas, '<' or '&' (CAP 3.2.1) */
	const char *sender;     /* required; same characters as identifier */
	int64_t sent_ms;        /* epoch ms, years 1970..9999; to seconds */
	int utc_offset_min;     /* local offset of `sent`; 0 is "-00:00" */
	enum cap_status status;
	enum cap_msg_type msg_type;
	/* Scope is always Restricted; NULL or "": CAP_RESTRICTION_DEFAULT. */
	const char *restriction;
	/* Earlier alerts this one updates or cancels: "sender,identifier,sent"
	 * entries separated by spaces; required for Update and Cancel. */
	const char *references;
	const char *incidents; /* optional: the call id ("HT-2026-000123") */

	/* <info> */
	const char *language; /* required: an RFC 3066 / BCP 47 tag, "en-US" */
	unsigned categories;  /* required: bits (1u << CAP_CATEGORY_x) */
	const char *event; /* required: "Human trafficking - victim escape" */
	enum cap_urgency urgency;
	enum cap_severity severity;
	enum cap_certainty certainty;
	const char *sender_name; /* optional: the agency's name */
	const char *headline;    /* optional */
	const char *description; /* optional; may span lines */
	const char *instruction; /* optional; may span lines */
	const char *contact;     /* optional: the agency's contact, never a
	                          * caller's */

	/* <area>: written when area_desc is given */
	const char *area_desc; /* "1200 E 6th St at Chicot St" */
	bool has_circle;
	struct cap_circle circle;
};

/* CAP's category bit for `c`. */
#define CAP_CATEGORY_BIT(c) (1u << (c))

/*
 * Checks `a` without writing anything: every rule above. HTD_ERR_INVALID
 * (bad characters, bad value, missing field) or HTD_ERR_TOO_LARGE (over a
 * cap), naming the field by its CAP element name ("identifier",
 * "headline", "circle").
 */
enum htd_err cap_validate(const struct cap_alert *a, struct htd_error *err);

/*
 * Checks `a` (as cap_validate()) and appends the alert as an XML document
 * to `out`: an XML declaration, then <alert> in the CAP 1.2 namespace with
 * two-space indentation, one element per line, a final newline. On any
 * error nothing is appended (`out` is as it was), including
 * HTD_ERR_TOO_LARGE when the buffer's cap is reached.
 */
enum htd_err cap_write(const struct cap_alert *a, struct buf *out,
                       struct htd_error *err);

/*
 * Writes `ms` at UTC offset `offset_min` as CAP's dateTime,
 * "2026-11-29T03:54:19-06:00" (seconds, no fraction; UTC is "-00:00", as
 * CAP 1.2 asks). Returns false when out of range (before 1970, after
 * 9999, an offset outside CAP_UTC_OFFSET_MIN..MAX) or `size` under 26.
 */
bool cap_time_format(int64_t ms, int offset_min, char *out, size_t size);

#endif
