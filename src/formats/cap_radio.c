/*
 * cap_radio.c - the CAP alert of cap_radio.h, built on core/radio.h's
 * public functions: the description is radio_script(), the headline and
 * area come from radio_title(), and every other text that may carry free
 * text goes through radio_redact() with the same forbidden strings.
 */
#include "formats/cap_radio.h"

#include <string.h>

#include "core/call.h"
#include "util/buf.h"
#include "util/str.h"

#define ELLIPSIS "..."
#define ELLIPSIS_LEN 3

static const char *cap_event(enum call_category c)
{
	switch (c) {
	case CALL_CATEGORY_VICTIM_ESCAPE:
		return "Human trafficking - victim escape";
	case CALL_CATEGORY_VICTIM_CALL:
		return "Human trafficking - victim call";
	case CALL_CATEGORY_CREDIBLE_TIP: return "Human trafficking - tip";
	case CALL_CATEGORY_OTHER: return "Human trafficking - other";
	default: return "Possible human trafficking";
	}
}

/* Urgency, severity and certainty by category: a victim escaping or
 * calling needs a response now and is at risk (CAP "Severe": significant
 * threat to life); a tip is expected work on a possible situation. */
static void cap_grade(const struct radio_facts *f, struct cap_alert *a)
{
	switch (f->category) {
	case CALL_CATEGORY_VICTIM_ESCAPE:
	case CALL_CATEGORY_VICTIM_CALL:
		a->categories = CAP_CATEGORY_BIT(CAP_CATEGORY_SECURITY) |
		                CAP_CATEGORY_BIT(CAP_CATEGORY_RESCUE);
		a->urgency = CAP_URGENCY_IMMEDIATE;
		a->severity = CAP_SEVERITY_SEVERE;
		a->certainty = CAP_CERTAINTY_LIKELY;
		break;
	case CALL_CATEGORY_CREDIBLE_TIP:
		a->categories = CAP_CATEGORY_BIT(CAP_CATEGORY_SECURITY);
		a->urgency = CAP_URGENCY_EXPECTED;
		a->severity = CAP_SEVERITY_MODERATE;
		a->certainty = CAP_CERTAINTY_POSSIBLE;
		break;
	case CALL_CATEGORY_OTHER:
		a->categories = CAP_CATEGORY_BIT(CAP_CATEGORY_SECURITY);
		a->urgency = CAP_URGENCY_UNKNOWN;
		a->severity = CAP_SEVERITY_MINOR;
		a->certainty = CAP_CERTAINTY_UNKNOWN;
		break;
	default:
		a->categories = CAP_CATEGORY_BIT(CAP_CATEGORY_SECURITY);
		a->urgency = CAP_URGENCY_UNKNOWN;
		a->severity = CAP_SEVERITY_UNKNOWN;
		a->certainty = CAP_CERTAINTY_UNKNOWN;
		break;
	}
	if (f->weapons)
		a->severity = CAP_SEVERITY_SEVERE;
}

/* Copies `s` into dst[size]; when longer, cut at a word (and not inside a
 * UTF-8 character) so that it ends with "...". Cuts as radio_script()
 * does, so a cut headline reads like a cut script. */
static void copy_cut(char *dst, size_t size, const char *s)
{
	size_t len = strlen(s), max = size - 1;
	if (len <= max) {
		memcpy(dst, s, len + 1);
		return;
	}
	size_t n = max - ELLIPSIS_LEN;
	while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	size_t word = n;
	while (word > n / 2 && s[word] != ' ')
		word--;
	if (s[word] == ' ')
		n = word;
	memcpy(dst, s, n);
	memcpy(dst + n, ELLIPSIS, ELLIPSIS_LEN + 1);
}

/* Redacts `text` into dst[size] (cut to fit); adds the places withheld to
 * *count. On error dst and *count are left as they were. */
static enum htd_err redact_into(const char *text, const char *const *forbidden,
                                size_t n_forbidden, char *dst, size_t size,
                                size_t *count)
{
	struct buf b;
	size_t places = 0;
	buf_init(&b, 0);
	enum htd_err rc =
	    radio_redact(text, forbidden, n_forbidden, &b, &places, NULL);
	if (rc == HTD_OK) {
		copy_cut(dst, size, buf_str(&b));
		*count += places;
	}
	buf_free(&b);
	return rc;
}

/* The texts of the alert, redacted and cut to CAP's sizes. */
static enum htd_err cap_texts(const struct radio_facts *f,
                              const struct radio_cap_options *o,
                              const char *const *forbidden, size_t n_forbidden,
                              struct radio_cap *out, struct htd_error *err)
{
	struct radio_script script;
	struct buf what, where;
	char text[CAP_INSTRUCTION_MAX + 1];
	const char *location;
	int year;
	int64_t seq;
	enum htd_err rc = radio_script(f, forbidden, n_forbidden, &script, err);
	if (rc != HTD_OK)
		return rc;
	out->redactions = script.redactions;
	str_copy(out->description, sizeof(out->description), script.text);
	str_copy(out->event, sizeof(out->event), cap_event(f->category));
	/* radio_script() accepted the call id, so it parses; written in its
	 * canonical form, as the script says it. */
	if (!str_empty(f->call_id) && call_ref_parse(f->call_id, &year, &seq))
		call_ref_format(year, seq, out->incidents,
		                sizeof(out->incidents));

	buf_init(&what, 0);
	buf_init(&where, 0);
	rc = radio_title(f, forbidden, n_forbidden, &what, &where, err);
	if (rc != HTD_OK)
		goto out;
	location = buf_str(&where);
	if (location[0])
		str_format(text, sizeof(text), "%s at %s", buf_str(&what),
		           location);
	else
		str_copy(text, sizeof(text), buf_str(&what));
	rc = redact_into(text, forbidden, n_forbidden, out->headline,
	                 sizeof(out->headline), &out->redactions);
	if (rc == HTD_OK && location[0])
		rc = redact_into(location, forbidden, n_forbidden,
		                 out->area_desc, sizeof(out->area_desc),
		                 &out->redactions);
	if (rc == HTD_OK && !location[0] && f->has_position)
		str_copy(out->area_desc, sizeof(out->area_desc),
		         "Location of the call (position only)");
	if (rc == HTD_OK && !str_empty(o->contact))
		rc = redact_into(o->contact, forbidden, n_forbidden,
		                 out->contact, sizeof(out->contact),
		                 &out->redactions);
	if (rc != HTD_OK) {
		htd_error_set(err, rc, "could not build the alert");
		goto out;
	}
	/* NENA/domain: never confront or alert a suspected trafficker. */
	str_format(out->instruction, sizeof(out->instruction),
	           "Law enforcement only. Do not alert or confront suspects "
	           "in front of the victim. Contact dispatch for details%s%s.",
	           out->incidents[0] ? " on " : "", out->incidents);
out:
	buf_free(&where);
	buf_free(&what);
	return rc;
}

static enum htd_err cap_fill(const struct radio_facts *f,
                             const struct radio_cap_options *o,
                             const char *const *forbidden, size_t n_forbidden,
                             struct radio_cap *out, struct htd_error *err)
{
	struct cap_alert *a = &out->alert;
	enum htd_err rc = cap_texts(f, o, forbidden, n_forbidden, out, err);
	if (rc != HTD_OK)
		return rc;
	a->identifier = o->identifier;
	a->sender = o->sender;
	a->sent_ms = o->sent_ms;
	a->utc_offset_min = o->utc_offset_min;
	a->status = o->status;
	a->msg_type = o->msg_type;
	a->restriction = CAP_RESTRICTION_DEFAULT;
	a->references = o->references;
	a->incidents = out->incidents;
	a->language = "en-US";
	cap_grade(f, a);
	a->event = out->event;
	a->sender_name = o->sender_name;
	a->headline = out->headline;
	a->description = out->description;
	a->instruction = out->instruction;
	a->contact = out->contact;
	a->area_desc = out->area_desc;
	if (f->has_position && out->area_desc[0]) {
		a->has_circle = true;
		a->circle.lat = f->lat;
		a->circle.lon = f->lon;
		a->circle.radius_km = o->radius_km > 0 ? o->radius_km : 0.5;
	}
	return cap_validate(a, err);
}

enum htd_err radio_cap_alert(const struct radio_facts *f,
                             const struct radio_cap_options *o,
                             const char *const *forbidden, size_t n_forbidden,
                             struct radio_cap *out, struct htd_error *err)
{
	if (!out)
		return htd_error_set(err, HTD_ERR_INVALID, "no alert");
	memset(out, 0, sizeof(*out));
	if (!o)
		return htd_error_set(err, HTD_ERR_INVALID, "no options");
	enum htd_err rc = cap_fill(f, o, forbidden, n_forbidden, out, err);
	if (rc != HTD_OK)
		memset(out, 0, sizeof(*out));
	return rc;
}
