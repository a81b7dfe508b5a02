/*
 * units.h - the unit use cases: add and change patrol units, their status
 * and position, list them, and rank the available ones for a place
 * (core/units.h does the ranking). Dispatching units to a call is a call
 * use case, calls_dispatch() in service/calls.h, because the call's record
 * and the units change together.
 *
 * Like the call use cases: input arrives as text and is checked here with
 * the field named; a status change is a unit event, written with its audit
 * entry in one transaction; a position report changes the unit's row only
 * (AVL reports every few seconds) but is audited like any change; reads
 * are audited. Call signs are taken in any case and kept in upper case.
 */
#ifndef HTD_SERVICE_UNITS_H
#define HTD_SERVICE_UNITS_H

#include <stdbool.h>
#include <stdint.h>

#include "core/units.h"
#include "service/calls.h"
#include "store/store.h"
#include "util/error.h"

/* Policy defaults for the recommendation (core/units.h, units_request):
 * "prefer a unit that speaks the caller's language if it is no more than
 * two minutes further; one with trafficking training if no more than a
 * minute and a half". */
#define UNITS_LANGUAGE_BONUS_S 120.0
#define UNITS_HT_BONUS_S 90.0

/* How many ranked units a recommendation returns. */
#define UNITS_RECOMMEND_MAX 10

/* A new unit as entered; NULL or "" for what is not known. */
struct units_add_request {
	const char *call_sign; /* required: 1..16 of A-Z, 0-9, '-' */
	const char *agency;
	const char *languages; /* "es,vi": ISO 639-1 codes, comma-separated */
	bool ht_trained;
};

/* A change of a unit's details; NULL (or -1) leaves a field as it is. */
struct units_update_request {
	const char *agency;
	const char *languages; /* "" empties the list */
	int ht_trained;        /* -1, 0, 1 */
};

/*
 * Each change takes the acting user (`actor`) and fills `out` (may be
 * NULL) with the unit afterwards. Errors: HTD_ERR_INVALID naming the field
 * ("call_sign", "status", "lat", "lon", "languages", "agency"),
 * HTD_ERR_NOT_FOUND (no such unit), HTD_ERR_CONFLICT (call sign taken,
 * a transition the unit cannot make), and the store's errors, with nothing
 * saved. Audited: unit.add, unit.status, unit.position, unit.update.
 */
enum htd_err units_add(struct service *svc, const char *actor,
                       const struct units_add_request *req,
                       struct store_unit *out, struct htd_error *err);

/* Sets a unit's status (units_status_transition_ok()); "dispatched" is
 * refused (HTD_ERR_INVALID): units are dispatched to a call with
 * calls_dispatch(). Going available or clearing ends the assignment
 * (call_ref becomes ""). A status_changed event. */
enum htd_err units_set_status(struct service *svc, const char *actor,
                              const char *call_sign, const char *status,
                              struct store_unit *out, struct htd_error *err);

/* Records a position report: `lat`, `lon` (units_coordinates_valid()),
 * taken at `at_ms` (0: now). Not an event. */
enum htd_err units_report_position(struct service *svc, const char *actor,
                                   const char *call_sign, double lat,
                                   double lon, int64_t at_ms,
                                   struct store_unit *out,
                                   struct htd_error *err);

/* Changes agency, languages or training. A unit_updated event. */
enum htd_err units_update(struct service *svc, const char *actor,
                          const char *call_sign,
                          const struct units_update_request *req,
                          struct store_unit *out, struct htd_error *err);

/* Reads one unit (audited unit.read). */
enum htd_err units_get(struct service *svc, const char *call_sign,
                       struct store_unit *out, struct htd_error *err);

/* Lists every unit by call sign (audited unit.list); free with
 * store_unit_list_free(). */
enum htd_err units_list(struct service *svc, struct store_unit_list *out,
                        struct htd_error *err);

/* A recommendation: the units ranked, best first. `ranked[i].unit`
 * points into `units`. */
struct units_recommendation {
	struct store_unit_list stored; /* owned: every unit listed */
	struct unit *units;            /* owned: their core views */
	struct units_ranked ranked[UNITS_RECOMMEND_MAX];
	size_t n;
	/* The language the ranking favoured ("" none): the one asked for,
	 * unless the agency works in it (the policy's languages). */
	char language[36];
	int64_t now_ms;
};

/*
 * Ranks the available units for a place (lat, lon), favouring those that
 * speak `language` (BCP 47; NULL or "" none) when the agency does not work
 * in it (svc->engine's policy; without an engine, whenever given), and
 * those with trafficking training, by UNITS_LANGUAGE_BONUS_S and
 * UNITS_HT_BONUS_S. HTD_ERR_INVALID naming "lat", "lon" or "language".
 * Audited (unit.list, detail "recommend"). Free `out` with
 * units_recommendation_free().
 */
enum htd_err units_recommend_for(struct service *svc, double lat, double lon,
                                 const char *language,
                                 struct units_recommendation *out,
                                 struct htd_error *err);

/* The same for call `ref`: its language, the place given (calls carry
 * their location as text). The read of the call is audited (call.read). */
enum htd_err units_recommend_call(struct service *svc, const char *ref,
                                  double lat, double lon,
                                  struct units_recommendation *out,
                                  struct htd_error *err);

/* Frees a recommendation; accepts NULL. */
void units_recommendation_free(struct units_recommendation *r);

/* Turns a call sign as typed into its stored form (upper case) in `out`.
 * HTD_ERR_INVALID (field "call_sign") when it is not one. */
enum htd_err units_call_sign_canonical(const char *in,
                                       char out[UNITS_CALL_SIGN_MAX + 1],
                                       struct htd_error *err);

/* Reads degrees as typed ("30.2672") into *out: the whole text must be a
 * finite number. HTD_ERR_INVALID naming `field` otherwise (the range is
 * checked by the use cases). */
enum htd_err units_degrees_parse(const char *text, const char *field,
                                 double *out, struct htd_error *err);

/* The payload of a status_changed event: {"from", "to", "call" (when
 * assigned), "since_open_ms" (a dispatch: from the call's opening; -1
 * when not one)}. Owned JSON text (free()); NULL only for text that is
 * not UTF-8. */
char *units_status_payload(enum unit_status from, enum unit_status to,
                           const char *call_ref, int64_t since_open_ms);

#endif
