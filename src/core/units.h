/*
 * units.h - patrol units and which one to send (NENA step 2: "dispatch an
 * officer to the victim promptly"). A unit's status and its state machine;
 * travel time behind a pluggable router (great circle by default, a
 * road-network service later, the same interface); and the recommendation:
 * the available units ranked by estimated travel time, preferring one that
 * speaks the caller's language and one with trafficking training when that
 * costs little time, each rank explained in words a dispatcher reads.
 *
 * Pure: no I/O, no clock ("now" comes in the request), no allocation.
 * units_recommend() keeps the best `out_max` units with a bounded heap, so
 * ranking 1,000 units for the top ten costs a few tens of microseconds.
 *
 * Ownership: struct unit holds its strings inline. A ranked entry borrows
 * the unit it names from the caller's array.
 */
#ifndef HTD_CORE_UNITS_H
#define HTD_CORE_UNITS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

/* ---- status -------------------------------------------------------------- */

/* X(ENUM, stable name) */
#define UNITS_STATUSES(X)           \
	X(AVAILABLE, "available")   \
	X(DISPATCHED, "dispatched") \
	X(EN_ROUTE, "en_route")     \
	X(ON_SCENE, "on_scene")     \
	X(CLEARED, "cleared")       \
	X(OUT_OF_SERVICE, "out_of_service")

enum unit_status {
/* An X-macro expansion is a list: */
/* clang-format off */
#define UNITS_STATUS_ENUM(e, n) UNIT_STATUS_##e,
	UNITS_STATUSES(UNITS_STATUS_ENUM)
#undef UNITS_STATUS_ENUM
	UNIT_STATUS__COUNT
	/* clang-format on */
};

/* Returns the stable name ("en_route"); "unknown" when out of range. */
const char *units_status_name(enum unit_status s);

/* Returns true and sets *out when `s` is a stable name (exact case);
 * *out is untouched otherwise. NULL gives false. */
bool units_status_parse(const char *s, enum unit_status *out);

/*
 * Returns true when a unit may go from `from` to `to`. The usual life of a
 * call is available -> dispatched -> en_route -> on_scene -> cleared ->
 * available; besides that:
 *
 *   available       -> dispatched, on_scene (on view: came upon it),
 *                      out_of_service
 *   dispatched      -> en_route, on_scene (arrived without reporting en
 *                      route), cleared (cancelled), out_of_service (broke
 *                      down: the call must be reassigned)
 *   en_route        -> on_scene, dispatched (diverted to another call),
 *                      cleared (cancelled), out_of_service (as above)
 *   on_scene        -> cleared only: a unit leaves a scene by clearing it
 *   cleared         -> available, dispatched (sent on straight from the
 *                      last call), on_scene (on view), out_of_service
 *   out_of_service  -> available only
 *
 * Staying in the same status is not a transition: false (a caller that
 * re-dispatches a dispatched unit records that as a dispatch, not a status
 * change). Out-of-range values give false.
 */
bool units_status_transition_ok(enum unit_status from, enum unit_status to);

/* ---- a unit -------------------------------------------------------------- */

#define UNITS_CALL_SIGN_MAX 16 /* "2A31", "K9-4", "APD-1234" */
#define UNITS_LANGUAGES_MAX 8  /* languages a unit lists */
#define UNITS_AGENCY_MAX 64    /* bytes of UTF-8 */

struct unit {
	char call_sign[UNITS_CALL_SIGN_MAX + 1]; /* [A-Z0-9-], 1..16 */
	enum unit_status status;
	bool has_position;   /* false: no AVL fix yet */
	double lat, lon;     /* WGS 84 degrees */
	int64_t position_ms; /* when the position was reported (epoch ms) */
	/* ISO 639-1 codes in lower case ("es"), beyond English when the
	 * agency works in English: see units_request.language. */
	char languages[UNITS_LANGUAGES_MAX][3];
	size_t n_languages;
	bool ht_trained; /* completed human-trafficking training */
	char agency[UNITS_AGENCY_MAX + 1]; /* "Austin PD"; may be "" */
};

/* Returns true when `s` is a call sign: 1..16 of A-Z, 0-9 and '-'. */
bool units_call_sign_valid(const char *s);

/* Returns true when lat is in [-90, 90] and lon in [-180, 180]; NaN and
 * infinities give false. */
bool units_coordinates_valid(double lat, double lon);

/*
 * Checks a unit: call sign, status in range, coordinates when it has a
 * position, each language two lower-case letters (n_languages at most
 * UNITS_LANGUAGES_MAX), agency NUL-terminated in its array, well-formed
 * UTF-8 without control characters. HTD_ERR_INVALID naming the field
 * ("call_sign", "status", "position", "languages", "agency") otherwise.
 */
enum htd_err units_validate(const struct unit *u, struct htd_error *err);

/* Returns true when `u` speaks the language of BCP 47 tag `tag`: its
 * primary subtag, compared without case ("es-MX" matches "es"). NULL or ""
 * gives false. */
bool units_speaks(const struct unit *u, const char *tag);

/* Returns the English name of a common language for the explanations
 * ("es" -> "Spanish", "ht" -> "Haitian Creole"; the primary subtag of a
 * tag counts), or NULL when it is not in the table. Static. */
const char *units_language_name(const char *tag);

/* ---- travel time --------------------------------------------------------- */

/*
 * A router estimates the seconds a unit needs to drive from (lat1, lon1)
 * to (lat2, lon2). A negative, infinite or NaN result means "no route":
 * the unit is ranked after every unit with a route. The great-circle
 * router below is the default; a road-network service plugs in here with
 * its own ctx (it must be pure of side effects the ranking would notice,
 * and fast: it is called once per eligible unit).
 */
struct units_router {
	double (*seconds)(void *ctx, double lat1, double lon1, double lat2,
	                  double lon2);
	void *ctx;
};

/*
 * Defaults of the great-circle router. 50 km/h is an average urban
 * emergency response speed over a whole trip (faster on arterials, slower
 * through junctions and the last block). 1.3 is the road-circuity factor:
 * the distance driven over the straight line, typically 1.2 to 1.4 in US
 * cities (Ballou, Rahardja and Sakai, "Selected country circuity factors
 * for road travel distance estimation", Transportation Research A 36,
 * 2002). An agency tunes both from its own dispatch-to-arrival records.
 */
#define UNITS_SPEED_KMH_DEFAULT 50.0
#define UNITS_ROAD_FACTOR_DEFAULT 1.3

/* The mean Earth radius (IUGG), used by the haversine formula. */
#define UNITS_EARTH_RADIUS_KM 6371.0088

struct units_great_circle {
	double speed_kmh;   /* > 0 */
	double road_factor; /* >= 1 */
};

/* Returns the great-circle distance in km by the haversine formula, on a
 * sphere of UNITS_EARTH_RADIUS_KM (within 0.5% of the ellipsoid). The
 * coordinates are not checked: call units_coordinates_valid() first. */
double units_haversine_km(double lat1, double lon1, double lat2, double lon2);

/*
 * Sets `gc` to `speed_kmh` and `road_factor`, where a value <= 0 or not
 * finite takes the default (and a road factor below 1 takes 1: roads are
 * never shorter than the straight line).
 */
void units_great_circle_init(struct units_great_circle *gc, double speed_kmh,
                             double road_factor);

/* Returns a router that borrows `gc` (which must outlive it): seconds =
 * haversine km * road_factor / speed_kmh * 3600. */
struct units_router units_router_great_circle(struct units_great_circle *gc);

/* ---- recommendation ------------------------------------------------------ */

#define UNITS_BONUS_MAX_S 3600.0 /* a preference may cost at most an hour */
#define UNITS_POSITION_AGE_DEFAULT_MS ((int64_t)5 * 60 * 1000)
#define UNITS_EXPLANATION_MAX 128

struct units_request {
	double lat, lon; /* where the unit is needed; checked */
	/* The caller's language (BCP 47) when the call needs someone who
	 * speaks it, else NULL or "". Pass it only when language support is
	 * needed (the caller's language is not one the agency works in):
	 * units do not list the agency's own language, so an English call in
	 * an English-speaking agency would otherwise favour the few that do. */
	const char *language;
	int64_t now_ms; /* the moment positions are aged against */
	/* A position older than this is stale: ranked after the fresh ones
	 * and flagged. 0 takes UNITS_POSITION_AGE_DEFAULT_MS (5 minutes: AVL
	 * reports every few seconds, so a silent unit has a problem);
	 * negative is invalid; INT64_MAX never ages. */
	int64_t max_position_age_ms;
	/* Policy: the travel seconds a preference may cost. A unit that
	 * speaks the caller's language ranks ahead of one that does not if it
	 * is no more than language_bonus_s further (120: "prefer a Spanish
	 * speaker if no more than two minutes further"); likewise ht_bonus_s
	 * for trafficking training; the two add up. 0..UNITS_BONUS_MAX_S. */
	double language_bonus_s;
	double ht_bonus_s;
	bool include_cleared; /* rank `cleared` units as well as `available` */
	/* NULL: the great-circle router with the defaults above. */
	const struct units_router *router;
};

/* Why a unit ranks where it does; bits of units_ranked.flags. */
#define UNITS_RANK_LANGUAGE (1u << 0)    /* speaks the caller's language */
#define UNITS_RANK_HT_TRAINED (1u << 1)  /* trafficking training */
#define UNITS_RANK_STALE (1u << 2)       /* position older than the max */
#define UNITS_RANK_NO_POSITION (1u << 3) /* no (valid) position at all */
#define UNITS_RANK_NO_ROUTE (1u << 4)    /* the router found no route */

struct units_ranked {
	const struct unit *unit; /* borrowed: &units[index] */
	size_t index;            /* in the caller's array */
	double travel_s;         /* the router's estimate; -1 when unknown */
	double distance_km;      /* straight line; -1 when no position */
	double score_s; /* travel_s minus the bonuses earned: the order */
	int64_t position_age_ms; /* now - position time (0 if in the future) */
	unsigned flags;          /* UNITS_RANK_* */
	/* "2.1 km, ~3 min, speaks Spanish, HT-trained"; for a stale
	 * position "..., position 14 min old"; "no position"; English. */
	char explanation[UNITS_EXPLANATION_MAX];
};

/*
 * Ranks the units that can take the call and writes the best `out_max`
 * to `out`, best first; *n_out is how many were written (min(out_max,
 * eligible)). Eligible: status available (and cleared when
 * req->include_cleared); dispatched, en route, on scene and out of service
 * never. The order:
 *
 *   1. units with a fresh position and a route, by score: travel seconds
 *      minus language_bonus_s if the unit speaks req->language, minus
 *      ht_bonus_s if it is HT-trained;
 *   2. then units whose position is stale, by the same score;
 *   3. then units with no usable position or no route;
 *
 * and within each, equal scores go to the unit that earned more bonus (so
 * a Spanish speaker exactly language_bonus_s further still wins), then by
 * call sign (bytewise), so the order is deterministic. A unit whose
 * position fails units_coordinates_valid() counts as having none.
 *
 * HTD_ERR_INVALID naming the field when the request's coordinates are out
 * of range or NaN ("lat", "lon"), a bonus is negative, over the maximum or
 * NaN, the age is negative, the language is not a BCP 47 tag, or `units`
 * (with n > 0), `out` (with out_max > 0), `req` or `n_out` is NULL;
 * nothing is written then. Borrows everything; allocates nothing.
 */
enum htd_err units_recommend(const struct unit *units, size_t n,
                             const struct units_request *req,
                             struct units_ranked *out, size_t out_max,
                             size_t *n_out, struct htd_error *err);

#endif
