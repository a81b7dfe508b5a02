/*
 * radio.h - what a dispatcher reads over the air about a trafficking call
 * (NENA step 6). Short, in the order a dispatcher reads it: priority and
 * nature, location, suspects, vehicles, officer safety, "contact dispatch
 * for details". Adapters outside the core put the same facts into other
 * shapes (an alert's headline and area: see radio_title()).
 *
 * Never a victim's name or the callback number: struct radio_facts has no
 * field for either, so the script cannot say what it never receives. As a
 * second line of defence the caller passes the strings that must not go
 * out (the caller's name, the callback number in any format); where one
 * turns up in free text anyway (a call-taker typed it into the nature or
 * the safety notes) it is replaced by RADIO_WITHHELD and counted.
 *
 * Pure: no I/O, no clock. Allocates working memory and frees it.
 * Ownership: facts and forbidden strings are borrowed; results are written
 * into the caller's structs and buffers.
 */
#ifndef HTD_CORE_RADIO_H
#define HTD_CORE_RADIO_H

#include <stdbool.h>
#include <stddef.h>

#include "core/call.h"
#include "util/buf.h"
#include "util/error.h"

#define RADIO_SCRIPT_MAX 400   /* bytes of the script (so characters too) */
#define RADIO_FIELD_MAX 1024   /* bytes of one text field of the facts */
#define RADIO_VEHICLES_MAX 4   /* vehicles in one alert */
#define RADIO_PEOPLE_MAX 9999  /* people counted */
#define RADIO_FORBIDDEN_MAX 16 /* strings that must not go out */
#define RADIO_FORBIDDEN_LEN_MAX 256
#define RADIO_WITHHELD "[withheld]"

/* A vehicle; each field optional (NULL or ""). */
struct radio_vehicle {
	const char *plate; /* "ABC1234", "TX ABC1234" */
	const char *make;  /* "Ford" */
	const char *model; /* "F-150" */
	const char *color; /* "white" */
};

/*
 * What the air may hear about a call. Text fields are optional (NULL or
 * ""), at most RADIO_FIELD_MAX bytes of UTF-8 without control characters
 * (line breaks and tabs allowed; they read as spaces).
 */
struct radio_facts {
	const char *call_id; /* a call id ("HT-2026-000123"); checked */
	enum call_category category;
	int priority;             /* 1 = highest .. 9; 0: not decided */
	const char *location;     /* "1200 E 6th St" */
	const char *cross_street; /* "Chicot St" */
	bool has_position;        /* lat and lon are known */
	double lat, lon;
	const char *nature; /* "possible labor trafficking, victim escaped" */
	int people;         /* people involved; 0: unknown */
	const char *suspects;
	const struct radio_vehicle *vehicles; /* borrowed; n_vehicles */
	size_t n_vehicles;                    /* 0..RADIO_VEHICLES_MAX */
	bool weapons;                         /* weapons reported */
	const char *weapons_text; /* "handgun"; read only when weapons */
	const char *safety;       /* officer-safety notes: "dogs on property" */
	/* A language officers will need (BCP 47), or NULL / "": pass it only
	 * when it is not the agency's working language. */
	const char *language;
};

/* The script. */
struct radio_script {
	char text[RADIO_SCRIPT_MAX + 1];
	size_t len;
	size_t redactions; /* forbidden strings withheld */
	bool shortened;    /* free text was cut ("...") to fit */
};

/*
 * Writes the script for `f` to `out`, one line of at most
 * RADIO_SCRIPT_MAX bytes:
 *
 *   Priority 1, trafficking victim escape: possible labor trafficking,
 *   victim escaped. Location: 1200 E 6th St at Chicot St. 3 people.
 *   Suspects: two men in a red pickup. Vehicle: white Ford F-150, plate
 *   ABC1234. Caution: weapons reported: handgun; dogs on property.
 *   Spanish speaker needed. Contact dispatch for details, HT-2026-000123.
 *
 * Parts without facts are left out. When it would be longer, free text
 * is cut (at a word, with "...") until it fits, the part longest over its
 * minimum first; the location keeps at least 48 bytes, vehicles and the
 * safety notes 40, the nature and suspects 24.
 *
 * `forbidden` (n_forbidden strings, at most RADIO_FORBIDDEN_MAX, each at
 * most RADIO_FORBIDDEN_LEN_MAX bytes; NULL entries and "" are skipped)
 * are withheld wherever they appear, see radio_redact(); out->redactions
 * counts them. HTD_ERR_INVALID naming the field ("call_id", "priority",
 * "nature", "vehicles[1].plate", "forbidden") when the facts break a rule
 * above; HTD_ERR_TOO_LARGE for a field over its cap. `out` is zeroed on
 * error.
 */
enum htd_err radio_script(const struct radio_facts *f,
                          const char *const *forbidden, size_t n_forbidden,
                          struct radio_script *out, struct htd_error *err);

/*
 * Appends `text` to `out` with every forbidden string replaced by
 * RADIO_WITHHELD.
 *
 * A forbidden string with seven or more digits is a phone number: any run
 * of digits in `text` joined by up to three spaces or punctuation marks in
 * a row (dashes, dots, parentheses, slashes, '+'...) that contains its
 * last seven digits is withheld whole, with a '+' or '(' before it, after
 * NFKC (so full-width digits and no-break spaces count). "(512) 555-0142",
 * "512.555.0142", "+1 512 555 0142", "5125550142" and "555-0142" all go
 * for any one of them. (Digits split by letters are not one run.)
 * Any other forbidden string, and a phone entry with letters, also matches
 * as words: compared after NFKC, case folding and accent stripping, any run
 * of spaces or punctuation matching any other, not inside a longer word
 * of Latin letters or digits ("Ana" is withheld in "Ana's", not in
 * "banana"). Pass the parts of a name too ("Maria", "Lopez") to withhold
 * them alone.
 *
 * `text` NULL appends nothing. *count (may be NULL) gets the number of
 * places replaced. HTD_ERR_INVALID ("forbidden") when the list breaks the
 * limits of radio_script(); HTD_ERR_TOO_LARGE past the buffer's cap.
 * On error nothing is appended and *count is 0.
 */
enum htd_err radio_redact(const char *text, const char *const *forbidden,
                          size_t n_forbidden, struct buf *out, size_t *count,
                          struct htd_error *err);

/*
 * The script's opening words and its location, for a one-line title of
 * the call (an alert's headline and area): appends to `what` the opening
 * without the nature ("Priority 1, trafficking victim escape"; "Trafficking
 * tip" without a priority) and to `where` the location as radio_script()
 * words and redacts it, before any cut ("1200 E 6th St at Chicot St",
 * "near Chicot St"; nothing when the facts have no location). The places
 * withheld are the ones radio_script() counts, so they are not counted
 * again here. Neither text is cut to a size.
 *
 * The same checks and errors as radio_script(); HTD_ERR_INVALID when
 * `what` or `where` is NULL; HTD_ERR_TOO_LARGE past a buffer's cap. On
 * error nothing is appended to either buffer.
 */
enum htd_err radio_title(const struct radio_facts *f,
                         const char *const *forbidden, size_t n_forbidden,
                         struct buf *what, struct buf *where,
                         struct htd_error *err);

#endif
