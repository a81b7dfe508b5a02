/*
 * record.h - one of the agency's records as htdispatch keeps it for NENA
 * step 7 ("search agency records for related information"): a person, a
 * location, a phone, a vehicle or a business, each from a source (the
 * agency's RMS, an earlier call) and named there by its own id. A record is
 * a kind and a set of named text fields, so the importers (CSV, JSON
 * Lines), the store (fields as JSON) and the matcher (core/score) share one
 * shape and one list of field names, the one docs/import.md documents.
 *
 * Pure: no I/O. Ownership: a record owns its field values; free them with
 * record_free(). Values are UTF-8 without control characters, at most
 * RECORD_VALUE_MAX bytes, trimmed (record_set checks all of it).
 */
#ifndef HTD_CORE_RECORD_H
#define HTD_CORE_RECORD_H

#include <stdbool.h>
#include <stddef.h>

#include "util/error.h"

/* X(ENUM, stable name) */
#define RECORD_KINDS(X)         \
	X(PERSON, "person")     \
	X(LOCATION, "location") \
	X(PHONE, "phone")       \
	X(VEHICLE, "vehicle")   \
	X(BUSINESS, "business")

enum record_kind {
/* An X-macro expansion is a list: */
/* clang-format off */
#define RECORD_KIND_ENUM(e, n) RECORD_##e,
	RECORD_KINDS(RECORD_KIND_ENUM)
#undef RECORD_KIND_ENUM
	RECORD_KIND__COUNT
	/* clang-format on */
};

/*
 * Every field any kind may have: X(ENUM, stable name, kinds), the kinds as
 * a bit set of (1 << RECORD_<KIND>). The names are the CSV column names and
 * JSON keys of docs/import.md.
 *
 *   given_name, family_name  a person's names as recorded; family_name may
 *                            hold two surnames ("Hernández López")
 *   name                     a person's whole name when the source does not
 *                            split it; a business's name
 *   aliases                  other names, separated by ";"
 *   birth_date               YYYY-MM-DD, or partial: YYYY-MM, YYYY
 *   sex                      as recorded (F, M, X, U)
 *   id_number                an identifier as "type:value" ("dl:TX:1234",
 *                            "ssn:123456789"); several separated by ";"
 *   phone                    as recorded; normalised to E.164 when matched
 *   address                  the civic address line(s)
 *   city, state, postcode, country
 *   latitude, longitude      decimal degrees (WGS 84)
 *   plate, plate_state, make, model, color, vin   vehicles
 *   business_type            "farm", "labor contractor", "restaurant"...
 *   notes                    free text from the source; never matched on
 *   links                    the record's links to other records of the
 *                            agency, "TYPE=KIND:SOURCE_ID" or
 *                            "TYPE=KIND:SOURCE:SOURCE_ID", ";" between
 *                            them (record_links_parse()); never matched on
 */
#define RECORD_P (1u << RECORD_PERSON)
#define RECORD_L (1u << RECORD_LOCATION)
#define RECORD_H (1u << RECORD_PHONE)
#define RECORD_V (1u << RECORD_VEHICLE)
#define RECORD_B (1u << RECORD_BUSINESS)
#define RECORD_ALL (RECORD_P | RECORD_L | RECORD_H | RECORD_V | RECORD_B)

#define RECORD_FIELDS(X)                                        \
	X(GIVEN_NAME, "given_name", RECORD_P)                   \
	X(FAMILY_NAME, "family_name", RECORD_P)                 \
	X(NAME, "name", RECORD_P | RECORD_B | RECORD_H)         \
	X(ALIASES, "aliases", RECORD_P | RECORD_B)              \
	X(BIRTH_DATE, "birth_date", RECORD_P)                   \
	X(SEX, "sex", RECORD_P)                                 \
	X(ID_NUMBER, "id_number", RECORD_P | RECORD_B)          \
	X(PHONE, "phone", RECORD_P | RECORD_H | RECORD_B)       \
	X(ADDRESS, "address", RECORD_P | RECORD_L | RECORD_B)   \
	X(CITY, "city", RECORD_P | RECORD_L | RECORD_B)         \
	X(STATE, "state", RECORD_P | RECORD_L | RECORD_B)       \
	X(POSTCODE, "postcode", RECORD_P | RECORD_L | RECORD_B) \
	X(COUNTRY, "country", RECORD_P | RECORD_L | RECORD_B)   \
	X(LATITUDE, "latitude", RECORD_L)                       \
	X(LONGITUDE, "longitude", RECORD_L)                     \
	X(PLATE, "plate", RECORD_V)                             \
	X(PLATE_STATE, "plate_state", RECORD_V)                 \
	X(MAKE, "make", RECORD_V)                               \
	X(MODEL, "model", RECORD_V)                             \
	X(COLOR, "color", RECORD_V)                             \
	X(VIN, "vin", RECORD_V)                                 \
	X(BUSINESS_TYPE, "business_type", RECORD_B)             \
	X(NOTES, "notes", RECORD_ALL)                           \
	X(LINKS, "links", RECORD_ALL)

enum record_field {
/* clang-format off */
#define RECORD_FIELD_ENUM(e, n, k) RECORD_F_##e,
	RECORD_FIELDS(RECORD_FIELD_ENUM)
#undef RECORD_FIELD_ENUM
	RECORD_FIELD__COUNT
	/* clang-format on */
};

/* Limits (bytes, NUL excluded). */
#define RECORD_SOURCE_MAX 32       /* [a-z0-9_.-]{1,32}: "rms", "calls" */
#define RECORD_SOURCE_ID_MAX 64    /* printable ASCII, no spaces */
#define RECORD_VALUE_MAX 1024      /* one field's value */
#define RECORD_NOTES_MAX 8192      /* the notes field */
#define RECORD_LINKS_TEXT_MAX 8192 /* the links field */

struct record {
	enum record_kind kind;
	char source[RECORD_SOURCE_MAX + 1];
	char source_id[RECORD_SOURCE_ID_MAX + 1];
	/* Sealed by court order or policy: shown only to roles that may see
	 * sealed records, through every search path. */
	bool sealed;
	/* Owned; NULL when absent. Indexed by enum record_field. */
	char *field[RECORD_FIELD__COUNT];
};

/* Returns "person", ...; "unknown" when out of range. */
const char *record_kind_name(enum record_kind k);
/* Parses a kind's name, also the plural ("persons"); false, *out untouched,
 * when it is none. NULL gives false. */
bool record_kind_parse(const char *s, enum record_kind *out);

/* Returns "given_name", ...; "unknown" when out of range. */
const char *record_field_name(enum record_field f);
/* Parses a field's name (exact case); false, *out untouched, when none. */
bool record_field_parse(const char *s, enum record_field *out);
/* True when a record of kind `k` may have field `f`. */
bool record_field_allowed(enum record_kind k, enum record_field f);

/* Zeroes `r` and sets its kind. */
void record_init(struct record *r, enum record_kind k);
/* Frees the values and zeroes `r` (its kind kept); accepts NULL. */
void record_free(struct record *r);

/*
 * Sets field `f` of `r` to `value` trimmed of surrounding white space (a
 * copy; an empty value clears the field). HTD_ERR_INVALID, with err->field
 * the field's name and a message saying why, when the kind has no such
 * field, the value is not UTF-8, holds a control character (a tab or line
 * break inside notes is allowed), or is not a valid date, latitude or
 * longitude; HTD_ERR_TOO_LARGE when it is longer than RECORD_VALUE_MAX
 * (RECORD_NOTES_MAX for notes). On error `r` is unchanged.
 */
enum htd_err record_set(struct record *r, enum record_field f,
                        const char *value, struct htd_error *err);

/*
 * Sets the source and its id. HTD_ERR_INVALID (err->field "source" or
 * "source_id") when either is empty, too long or has a character outside
 * its set. On error `r` is unchanged.
 */
enum htd_err record_set_source(struct record *r, const char *source,
                               const char *source_id, struct htd_error *err);

/*
 * Checks that `r` is complete enough to keep: a source and id, and for a
 * person a name (given_name, family_name or name), a location an address
 * or both coordinates, a phone a phone, a vehicle a plate or a VIN, a
 * business a name. HTD_ERR_INVALID naming the missing field otherwise.
 */
enum htd_err record_validate(const struct record *r, struct htd_error *err);

/*
 * Links between records (docs/import.md, "links"): what another record is
 * to this one. X(ENUM, stable name). "owner=person:RMS-1042" on a vehicle:
 * person RMS-1042 owns it; "employer=business:RMS-77" on a person: that
 * business employs them. The names are the links' types in the store and
 * the edges of the link graph; "confirmed" is not one of them (it is the
 * link of a record to a call).
 */
#define RECORD_LINK_TYPES(X)        \
	X(OWNER, "owner")           \
	X(DRIVER, "driver")         \
	X(VEHICLE, "vehicle")       \
	X(EMPLOYER, "employer")     \
	X(EMPLOYEE, "employee")     \
	X(CONTRACTOR, "contractor") \
	X(RESIDENT, "resident")     \
	X(ADDRESS, "address")       \
	X(PHONE, "phone")           \
	X(SUBSCRIBER, "subscriber") \
	X(FAMILY, "family")         \
	X(ASSOCIATE, "associate")

enum record_link_type {
/* clang-format off */
#define RECORD_LINK_TYPE_ENUM(e, n) RECORD_LINK_##e,
	RECORD_LINK_TYPES(RECORD_LINK_TYPE_ENUM)
#undef RECORD_LINK_TYPE_ENUM
	RECORD_LINK__COUNT
	/* clang-format on */
};

/* Most links one record may hold. */
#define RECORD_LINKS_MAX 32
/* The longest type name, NUL excluded. */
#define RECORD_LINK_TYPE_MAX 15

/* One link: its type and the (kind, source, source_id) of its target. */
struct record_link {
	enum record_link_type type;
	enum record_kind kind;
	char source[RECORD_SOURCE_MAX + 1];
	char source_id[RECORD_SOURCE_ID_MAX + 1];
};

/* Returns "owner", ...; "unknown" when out of range. */
const char *record_link_type_name(enum record_link_type t);
/* Parses a type's name (exact case); false, *out untouched, when none. */
bool record_link_type_parse(const char *s, enum record_link_type *out);

/*
 * Parses a links value: up to RECORD_LINKS_MAX links separated by ";",
 * each "TYPE=KIND:SOURCE_ID" (the target in `default_source`, the
 * importing source) or "TYPE=KIND:SOURCE:SOURCE_ID". A SOURCE_ID holding
 * ':' needs the second form (the source is what comes before the second
 * ':'). White space around a link and its parts is ignored. KIND is a
 * record kind, singular or plural; SOURCE and SOURCE_ID follow
 * record_set_source()'s rules. `text` of `len` bytes (no NUL needed);
 * `out` has room for RECORD_LINKS_MAX links; *n gets the count (0 for an
 * empty or blank value). HTD_ERR_INVALID (err->field "links", the message
 * naming the link by its position and why) for an empty link, a missing
 * '=' or ':', an unknown type or kind, a bad source or source_id, a link
 * named twice, or more than RECORD_LINKS_MAX; HTD_ERR_TOO_LARGE over
 * RECORD_LINKS_TEXT_MAX bytes.
 */
enum htd_err record_links_parse(const char *text, size_t len,
                                const char *default_source,
                                struct record_link *out, size_t *n,
                                struct htd_error *err);

#endif
