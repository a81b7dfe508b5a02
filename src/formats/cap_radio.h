/*
 * cap_radio.h - the radio facts of core/radio.h as a CAP alert (NENA step
 * 6: "transmit the appropriate radio alerts"): the same script, the same
 * checks and the same redaction, in the fields of formats/cap.h. The
 * mapping lives here, not in the core, because the core knows no formats.
 *
 * Pure: no I/O, no clock. Ownership: facts, options and forbidden strings
 * are borrowed; the alert is written into the caller's struct radio_cap
 * (see it for its one rule).
 */
#ifndef HTD_FORMATS_CAP_RADIO_H
#define HTD_FORMATS_CAP_RADIO_H

#include <stddef.h>
#include <stdint.h>

#include "core/radio.h"
#include "formats/cap.h"
#include "util/error.h"

/* What radio_cap_alert() needs that the facts do not say. */
struct radio_cap_options {
	const char *identifier;  /* CAP identifier, unique per sender */
	const char *sender;      /* "psap@austintexas.gov" */
	const char *sender_name; /* "Austin 9-1-1"; optional */
	const char *contact;     /* the agency's desk; optional; never a
	                          * caller's number */
	int64_t sent_ms;
	int utc_offset_min; /* the PSAP's offset at sent_ms */
	enum cap_status status;
	enum cap_msg_type msg_type;
	const char *references; /* for Update and Cancel */
	double radius_km;       /* the circle around the position; 0: 0.5 */
};

/*
 * The CAP alert for the facts, and the text it points to.
 * out->alert's strings point into *out: use it where it is (a copy of the
 * struct still points into the original).
 */
struct radio_cap {
	struct cap_alert alert;
	char event[CAP_EVENT_MAX + 1];
	char headline[CAP_HEADLINE_MAX + 1];
	char description[RADIO_SCRIPT_MAX + 1];
	char instruction[CAP_INSTRUCTION_MAX + 1];
	char area_desc[CAP_AREA_DESC_MAX + 1];
	char incidents[CAP_INCIDENTS_MAX + 1];
	char contact[CAP_CONTACT_MAX + 1];
	size_t redactions; /* as in struct radio_script */
};

/*
 * Fills `out` with a CAP alert for `f`: restricted to law enforcement,
 * language en-US; category Security (and Rescue for a victim escape or
 * victim call); event "Human trafficking - victim escape" and so on;
 * urgency, severity and certainty from the category (weapons make it
 * Severe); the headline from priority, category and location (see
 * radio_title()); the description is the radio script; the instruction
 * says to contact dispatch; the area is the location (and a circle when
 * the facts have a position); incidents is the call id. The same checks
 * and redaction as radio_script(); then cap_validate() on the result (so
 * the options are checked too). `out` is zeroed on error.
 */
enum htd_err radio_cap_alert(const struct radio_facts *f,
                             const struct radio_cap_options *o,
                             const char *const *forbidden, size_t n_forbidden,
                             struct radio_cap *out, struct htd_error *err);

#endif
