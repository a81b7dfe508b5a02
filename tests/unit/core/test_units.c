/*
 * test_units.c - unit tests of core/units.c: the status state machine as a
 * grid written out by hand; haversine against known distances; the
 * recommendation on fixed unit sets around Austin City Hall, whose order
 * and explanations are worked out in the comments; a plugged-in router;
 * top-k against a full sort on generated sets; bad input refused.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/units.h"
#include "util/str.h"

/* ---- status -------------------------------------------------------------- */

Test(core_units, status_names_round_trip)
{
	static const char *const names[UNIT_STATUS__COUNT] = {
		"available", "dispatched", "en_route",
		"on_scene",  "cleared",    "out_of_service",
	};
	for (int i = 0; i < UNIT_STATUS__COUNT; i++) {
		enum unit_status s = UNIT_STATUS__COUNT;
		cr_assert_str_eq(units_status_name((enum unit_status)i),
		                 names[i]);
		cr_assert(units_status_parse(names[i], &s));
		cr_assert_eq(s, (enum unit_status)i);
	}
	enum unit_status s = UNIT_STATUS_CLEARED;
	cr_assert_not(units_status_parse("Available", &s));
	cr_assert_not(units_status_parse("en-route", &s));
	cr_assert_not(units_status_parse("", &s));
	cr_assert_not(units_status_parse(NULL, &s));
	cr_assert_eq(s, UNIT_STATUS_CLEARED, "untouched on failure");
	cr_assert_str_eq(units_status_name(UNIT_STATUS__COUNT), "unknown");
}

Test(core_units, status_transitions_grid)
{
	/* Rows: from; columns: to, in the order of the enum. */
	static const int grid[UNIT_STATUS__COUNT][UNIT_STATUS__COUNT] = {
		/* clang-format off */
		/*               AV DI ER OS CL OOS */
		/* available */ { 0, 1, 0, 1, 0, 1 },
		/* dispatched */{ 0, 0, 1, 1, 1, 1 },
		/* en_route */  { 0, 1, 0, 1, 1, 1 },
		/* on_scene */  { 0, 0, 0, 0, 1, 0 },
		/* cleared */   { 1, 1, 0, 1, 0, 1 },
		/* oos */       { 1, 0, 0, 0, 0, 0 },
		/* clang-format on */
	};
	for (int f = 0; f < UNIT_STATUS__COUNT; f++)
		for (int t = 0; t < UNIT_STATUS__COUNT; t++)
			cr_assert_eq(
			    units_status_transition_ok((enum unit_status)f,
			                               (enum unit_status)t),
			    grid[f][t] != 0, "%s -> %s",
			    units_status_name((enum unit_status)f),
			    units_status_name((enum unit_status)t));
	cr_assert_not(units_status_transition_ok(UNIT_STATUS__COUNT,
	                                         UNIT_STATUS_AVAILABLE));
	cr_assert_not(units_status_transition_ok(UNIT_STATUS_AVAILABLE,
	                                         UNIT_STATUS__COUNT));
}

/* ---- a unit -------------------------------------------------------------- */

Test(core_units, call_signs)
{
	cr_assert(units_call_sign_valid("1A10"));
	cr_assert(units_call_sign_valid("K9-4"));
	cr_assert(units_call_sign_valid("ABCDEFGHIJKLMNOP")); /* 16 */
	cr_assert_not(units_call_sign_valid("ABCDEFGHIJKLMNOPQ"));
	cr_assert_not(units_call_sign_valid(""));
	cr_assert_not(units_call_sign_valid(NULL));
	cr_assert_not(units_call_sign_valid("1a10"));
	cr_assert_not(units_call_sign_valid("1A 10"));
	cr_assert_not(units_call_sign_valid("1A_10"));
	cr_assert_not(units_call_sign_valid("Ä1"));
}

static struct unit make_unit(const char *call_sign)
{
	struct unit u;
	memset(&u, 0, sizeof(u));
	str_copy(u.call_sign, sizeof(u.call_sign), call_sign);
	u.status = UNIT_STATUS_AVAILABLE;
	return u;
}

Test(core_units, validate)
{
	struct htd_error err;
	struct unit u = make_unit("2A31");
	u.has_position = true;
	u.lat = 30.2649;
	u.lon = -97.7472;
	str_copy(u.languages[0], 3, "es");
	str_copy(u.languages[1], 3, "vi");
	u.n_languages = 2;
	str_copy(u.agency, sizeof(u.agency), "Austin Police Department");
	cr_assert_eq(units_validate(&u, &err), HTD_OK);

	struct unit bad = u;
	bad.call_sign[0] = 'a';
	cr_assert_eq(units_validate(&bad, &err), HTD_ERR_INVALID);
	cr_assert_str_eq(err.field, "call_sign");

	bad = u;
	bad.status = UNIT_STATUS__COUNT;
	cr_assert_eq(units_validate(&bad, &err), HTD_ERR_INVALID);
	cr_assert_str_eq(err.field, "status");

	bad = u;
	bad.lat = 90.5;
	cr_assert_eq(units_validate(&bad, &err), HTD_ERR_INVALID);
	cr_assert_str_eq(err.field, "position");
	bad.has_position = false; /* no position: not checked */
	cr_assert_eq(units_validate(&bad, &err), HTD_OK);

	bad = u;
	bad.lon = NAN;
	cr_assert_eq(units_validate(&bad, &err), HTD_ERR_INVALID);

	bad = u;
	str_copy(bad.languages[1], 3, "ES");
	cr_assert_eq(units_validate(&bad, &err), HTD_ERR_INVALID);
	cr_assert_str_eq(err.field, "languages");

	bad = u;
	bad.n_languages = UNITS_LANGUAGES_MAX + 1;
	cr_assert_eq(units_validate(&bad, &err), HTD_ERR_INVALID);

	bad = u;
	str_copy(bad.agency, sizeof(bad.agency), "Austin\x01PD");
	cr_assert_eq(units_validate(&bad, &err), HTD_ERR_INVALID);
	cr_assert_str_eq(err.field, "agency");
	memset(bad.agency, 'A', sizeof(bad.agency)); /* no NUL */
	cr_assert_eq(units_validate(&bad, &err), HTD_ERR_INVALID);
}

Test(core_units, languages)
{
	struct unit u = make_unit("1A10");
	str_copy(u.languages[0], 3, "es");
	str_copy(u.languages[1], 3, "ht");
	u.n_languages = 2;
	cr_assert(units_speaks(&u, "es"));
	cr_assert(units_speaks(&u, "ES"));
	cr_assert(units_speaks(&u, "es-MX"));
	cr_assert(units_speaks(&u, "ht_HT"));
	cr_assert_not(units_speaks(&u, "en"));
	cr_assert_not(units_speaks(&u, "est")); /* a three-letter code */
	cr_assert_not(units_speaks(&u, ""));
	cr_assert_not(units_speaks(&u, NULL));

	cr_assert_str_eq(units_language_name("es"), "Spanish");
	cr_assert_str_eq(units_language_name("es-419"), "Spanish");
	cr_assert_str_eq(units_language_name("ht"), "Haitian Creole");
	cr_assert_str_eq(units_language_name("zh-Hant"), "Chinese");
	cr_assert_str_eq(units_language_name("tl"), "Tagalog");
	cr_assert_null(units_language_name("sw"));
	cr_assert_null(units_language_name(NULL));
}

/* ---- distance ------------------------------------------------------------ */

/* The spherical law of cosines: another formula for the same sphere. */
static double law_of_cosines_km(double lat1, double lon1, double lat2,
                                double lon2)
{
	const double r = 3.14159265358979323846 / 180.0;
	double c = sin(lat1 * r) * sin(lat2 * r) +
	           cos(lat1 * r) * cos(lat2 * r) * cos((lon2 - lon1) * r);
	return UNITS_EARTH_RADIUS_KM * acos(c > 1 ? 1 : c);
}

Test(core_units, haversine_known_distances)
{
	/* Texas State Capitol, Austin -> the Alamo, San Antonio: about
	 * 118.9 km as the crow flies. */
	double d = units_haversine_km(30.2747, -97.7404, 29.4260, -98.4861);
	cr_assert(fabs(d - 118.9) < 0.5, "Austin-San Antonio: %f km", d);
	cr_assert(fabs(d - law_of_cosines_km(30.2747, -97.7404, 29.4260,
	                                     -98.4861)) < 1e-6);
	/* One degree of latitude on this sphere: pi R / 180. */
	d = units_haversine_km(30.0, -97.0, 31.0, -97.0);
	cr_assert(fabs(d - 111.19508) < 1e-4, "1 degree: %f", d);
	/* Half way round the Earth, and no distance at all. */
	d = units_haversine_km(0, 0, 0, 180);
	cr_assert(fabs(d - 20015.114) < 1e-2, "antipode: %f", d);
	cr_assert_eq(units_haversine_km(30.2649, -97.7472, 30.2649, -97.7472),
	             0.0);
	/* Across the antimeridian: 0.2 degrees of longitude at the equator. */
	d = units_haversine_km(0, 179.9, 0, -179.9);
	cr_assert(fabs(d - 22.239) < 1e-3, "antimeridian: %f", d);
	/* Symmetric. */
	cr_assert_eq(units_haversine_km(30.1, -97.1, 29.9, -98.2),
	             units_haversine_km(29.9, -98.2, 30.1, -97.1));
}

Test(core_units, great_circle_router)
{
	struct units_great_circle gc;
	units_great_circle_init(&gc, 0, 0);
	cr_assert_eq(gc.speed_kmh, 50.0);
	cr_assert_eq(gc.road_factor, 1.3);
	units_great_circle_init(&gc, NAN, 0.5);
	cr_assert_eq(gc.speed_kmh, 50.0);
	cr_assert_eq(gc.road_factor, 1.0, "roads are never shorter");
	units_great_circle_init(&gc, 60, 1.0);
	struct units_router r = units_router_great_circle(&gc);
	/* 111.195 km at 60 km/h straight: 6671.7 s. */
	double s = r.seconds(r.ctx, 30.0, -97.0, 31.0, -97.0);
	cr_assert(fabs(s - 111.19508 * 60) < 0.01, "%f", s);
}

/* ---- recommendation: Austin ---------------------------------------------- */

/* Austin City Hall, where the calls are. */
#define CALL_LAT 30.2649
#define CALL_LON (-97.7472)
#define NOW_MS INT64_C(1795000000000)

/* The latitude `km` due north of the call: along a meridian the haversine
 * distance is exactly R times the angle. */
static double north(double km)
{
	return CALL_LAT +
	       km / UNITS_EARTH_RADIUS_KM * 180.0 / 3.14159265358979323846;
}

static struct unit at(const char *call_sign, double km, const char *lang,
                      bool ht, enum unit_status status)
{
	struct unit u = make_unit(call_sign);
	u.status = status;
	u.has_position = true;
	u.lat = north(km);
	u.lon = CALL_LON;
	u.position_ms = NOW_MS - 10 * 1000;
	if (lang) {
		str_copy(u.languages[0], 3, lang);
		u.n_languages = 1;
	}
	u.ht_trained = ht;
	str_copy(u.agency, sizeof(u.agency), "Austin PD");
	return u;
}

/*
 * At the defaults (50 km/h, road factor 1.3) a kilometre takes 93.6 s.
 * With a 120 s language bonus and a 90 s training bonus, for a Spanish
 * caller:
 *
 *   unit  km   status          travel   earns        score
 *   1A20  1.5  available       140.4    Spanish      20.4
 *   1A30  1.2  available       112.32   HT           22.32
 *   1A10  1.0  available        93.6    -            93.6
 *   1A11  1.0  available        93.6    -            93.6  (tie: 1A10 first)
 *   2B40  8.0  available       748.8    Spanish     628.8  (11 min further)
 *   3C70  0.2  available, position 20 min old: stale, after every fresh one
 *   3C80  -    available, no position: last
 *   2B50  0.5  out of service: never
 *   2B60  0.3  dispatched: never
 *   2B70  0.4  cleared: only with include_cleared
 */
static struct unit fleet[10];

static void fleet_init(void)
{
	size_t i = 0;
	fleet[i++] = at("2B60", 0.3, NULL, true, UNIT_STATUS_DISPATCHED);
	fleet[i++] = at("1A11", 1.0, "vi", false, UNIT_STATUS_AVAILABLE);
	fleet[i++] = at("2B40", 8.0, "es", false, UNIT_STATUS_AVAILABLE);
	fleet[i++] = at("3C70", 0.2, NULL, false, UNIT_STATUS_AVAILABLE);
	fleet[i++] = at("1A30", 1.2, NULL, true, UNIT_STATUS_AVAILABLE);
	fleet[i++] = at("2B50", 0.5, "es", true, UNIT_STATUS_OUT_OF_SERVICE);
	fleet[i++] = at("1A10", 1.0, NULL, false, UNIT_STATUS_AVAILABLE);
	fleet[i++] = at("3C80", 0, "es", true, UNIT_STATUS_AVAILABLE);
	fleet[i++] = at("1A20", 1.5, "es", false, UNIT_STATUS_AVAILABLE);
	fleet[i++] = at("2B70", 0.4, NULL, false, UNIT_STATUS_CLEARED);
	fleet[3].position_ms = NOW_MS - 20 * 60 * 1000;
	fleet[7].has_position = false;
}

static struct units_request request(const char *language)
{
	struct units_request req;
	memset(&req, 0, sizeof(req));
	req.lat = CALL_LAT;
	req.lon = CALL_LON;
	req.language = language;
	req.now_ms = NOW_MS;
	req.language_bonus_s = 120;
	req.ht_bonus_s = 90;
	return req;
}

struct want {
	const char *call_sign;
	const char *explanation;
};

static void expect(const struct units_ranked *got, size_t n_got,
                   const struct want *want, size_t n_want)
{
	for (size_t i = 0; i < n_got && i < n_want; i++) {
		cr_expect_str_eq(got[i].unit->call_sign, want[i].call_sign,
		                 "rank %zu", i + 1);
		cr_expect_str_eq(got[i].explanation, want[i].explanation,
		                 "rank %zu (%s)", i + 1, want[i].call_sign);
		cr_expect_eq(got[i].unit, &fleet[got[i].index]);
	}
	cr_assert_eq(n_got, n_want);
}

Test(core_units, spanish_caller, .init = fleet_init)
{
	struct units_request req = request("es-MX");
	struct units_ranked out[10];
	size_t n = 99;
	struct htd_error err;
	cr_assert_eq(units_recommend(fleet, 10, &req, out, 10, &n, &err),
	             HTD_OK, "%s", err.message);
	static const struct want want[] = {
		{ "1A20", "1.5 km, ~2 min, speaks Spanish" },
		{ "1A30", "1.2 km, ~2 min, HT-trained" },
		{ "1A10", "1.0 km, ~2 min" },
		{ "1A11", "1.0 km, ~2 min" },
		{ "2B40", "8.0 km, ~12 min, speaks Spanish" },
		{ "3C70", "0.2 km, <1 min, position 20 min old" },
		{ "3C80", "no position, speaks Spanish, HT-trained" },
	};
	expect(out, n, want, sizeof(want) / sizeof(*want));
	cr_assert_eq(out[0].flags, UNITS_RANK_LANGUAGE);
	cr_assert(fabs(out[0].travel_s - 140.4) < 1e-6);
	cr_assert(fabs(out[0].score_s - 20.4) < 1e-6);
	cr_assert(fabs(out[0].distance_km - 1.5) < 1e-9);
	cr_assert_eq(out[5].flags, UNITS_RANK_STALE);
	cr_assert_eq(out[5].position_age_ms, 20 * 60 * 1000);
	cr_assert_eq(out[6].flags, UNITS_RANK_NO_POSITION |
	                               UNITS_RANK_LANGUAGE |
	                               UNITS_RANK_HT_TRAINED);
	cr_assert_eq(out[6].travel_s, -1);
	cr_assert_eq(out[6].distance_km, -1);
}

Test(core_units, caller_needing_no_language, .init = fleet_init)
{
	struct units_request req = request(NULL);
	struct units_ranked out[10];
	size_t n;
	cr_assert_eq(units_recommend(fleet, 10, &req, out, 10, &n, NULL),
	             HTD_OK);
	static const struct want want[] = {
		{ "1A30", "1.2 km, ~2 min, HT-trained" }, /* 22.32 */
		{ "1A10", "1.0 km, ~2 min" },             /* 93.6 */
		{ "1A11", "1.0 km, ~2 min" },
		{ "1A20", "1.5 km, ~2 min" }, /* 140.4 */
		{ "2B40", "8.0 km, ~12 min" },
		{ "3C70", "0.2 km, <1 min, position 20 min old" },
		{ "3C80", "no position, HT-trained" },
	};
	expect(out, n, want, sizeof(want) / sizeof(*want));
}

Test(core_units, top_three_and_cleared_units, .init = fleet_init)
{
	struct units_request req = request("es");
	struct units_ranked out[3];
	size_t n;
	cr_assert_eq(units_recommend(fleet, 10, &req, out, 3, &n, NULL),
	             HTD_OK);
	static const struct want top[] = {
		{ "1A20", "1.5 km, ~2 min, speaks Spanish" },
		{ "1A30", "1.2 km, ~2 min, HT-trained" },
		{ "1A10", "1.0 km, ~2 min" },
	};
	expect(out, n, top, 3);

	/* 2B70, cleared, 0.4 km: 37.44 s, between 1A30 and 1A10. */
	req.include_cleared = true;
	cr_assert_eq(units_recommend(fleet, 10, &req, out, 3, &n, NULL),
	             HTD_OK);
	static const struct want with_cleared[] = {
		{ "1A20", "1.5 km, ~2 min, speaks Spanish" },
		{ "1A30", "1.2 km, ~2 min, HT-trained" },
		{ "2B70", "0.4 km, ~1 min" },
	};
	expect(out, n, with_cleared, 3);

	cr_assert_eq(units_recommend(fleet, 10, &req, NULL, 0, &n, NULL),
	             HTD_OK);
	cr_assert_eq(n, 0);
	cr_assert_eq(units_recommend(NULL, 0, &req, out, 3, &n, NULL), HTD_OK);
	cr_assert_eq(n, 0);
}

/* The policy in the words of the issue: a Spanish speaker a minute further
 * wins, ten minutes further does not; the same for training. */
Test(core_units, preference_costs_little_time)
{
	const double km_per_s = 1.0 / 93.6;
	struct unit near = at("1A10", 1.0, NULL, false, UNIT_STATUS_AVAILABLE);
	struct unit es_60 =
	    at("1A20", 1.0 + 60 * km_per_s, "es", false, UNIT_STATUS_AVAILABLE);
	struct unit es_600 = at("1A30", 1.0 + 600 * km_per_s, "es", false,
	                        UNIT_STATUS_AVAILABLE);
	struct unit ht_60 =
	    at("1A40", 1.0 + 60 * km_per_s, NULL, true, UNIT_STATUS_AVAILABLE);
	struct unit ht_600 =
	    at("1A50", 1.0 + 600 * km_per_s, NULL, true, UNIT_STATUS_AVAILABLE);
	struct units_request req = request("es");
	struct units_ranked out[2];
	size_t n;

	struct unit a[2] = { near, es_60 };
	cr_assert_eq(units_recommend(a, 2, &req, out, 2, &n, NULL), HTD_OK);
	cr_assert_str_eq(out[0].unit->call_sign, "1A20");
	cr_assert_str_eq(out[0].explanation, "1.6 km, ~3 min, speaks Spanish");

	struct unit b[2] = { near, es_600 };
	cr_assert_eq(units_recommend(b, 2, &req, out, 2, &n, NULL), HTD_OK);
	cr_assert_str_eq(out[0].unit->call_sign, "1A10");
	cr_assert_str_eq(out[1].explanation, "7.4 km, ~12 min, speaks Spanish");

	struct unit c[2] = { near, ht_60 };
	cr_assert_eq(units_recommend(c, 2, &req, out, 2, &n, NULL), HTD_OK);
	cr_assert_str_eq(out[0].unit->call_sign, "1A40");
	cr_assert_str_eq(out[0].explanation, "1.6 km, ~3 min, HT-trained");

	struct unit d[2] = { near, ht_600 };
	cr_assert_eq(units_recommend(d, 2, &req, out, 2, &n, NULL), HTD_OK);
	cr_assert_str_eq(out[0].unit->call_sign, "1A10");

	/* With no bonus, nearest first whatever the unit speaks. */
	req.language_bonus_s = 0;
	cr_assert_eq(units_recommend(a, 2, &req, out, 2, &n, NULL), HTD_OK);
	cr_assert_str_eq(out[0].unit->call_sign, "1A10");
	cr_assert_str_eq(out[1].explanation, "1.6 km, ~3 min, speaks Spanish");
}

Test(core_units, stale_units_keep_their_order_among_themselves)
{
	struct unit u[3] = {
		at("9Z1", 3.0, NULL, false, UNIT_STATUS_AVAILABLE),
		at("9Z2", 2.0, NULL, false, UNIT_STATUS_AVAILABLE),
		at("9Z3", 9.0, NULL, false, UNIT_STATUS_AVAILABLE),
	};
	u[0].position_ms = NOW_MS - 6 * 60 * 1000; /* just stale */
	u[1].position_ms = NOW_MS - 45 * 1000 * 60;
	u[2].position_ms = NOW_MS + 5000; /* a clock ahead: fresh */
	struct units_request req = request("");
	struct units_ranked out[3];
	size_t n;
	cr_assert_eq(units_recommend(u, 3, &req, out, 3, &n, NULL), HTD_OK);
	cr_assert_str_eq(out[0].unit->call_sign, "9Z3");
	cr_assert_eq(out[0].position_age_ms, 0);
	cr_assert_str_eq(out[1].unit->call_sign, "9Z2");
	cr_assert_str_eq(out[1].explanation,
	                 "2.0 km, ~3 min, position 45 min old");
	cr_assert_str_eq(out[2].unit->call_sign, "9Z1");

	/* A longer allowed age: all fresh, nearest first. */
	req.max_position_age_ms = INT64_C(60) * 60 * 1000;
	cr_assert_eq(units_recommend(u, 3, &req, out, 3, &n, NULL), HTD_OK);
	cr_assert_str_eq(out[0].unit->call_sign, "9Z2");
	cr_assert_str_eq(out[0].explanation, "2.0 km, ~3 min");
}

/* ---- a plugged-in router ------------------------------------------------- */

/* Seconds written into the unit's latitude (64 s per degree, so the
 * numbers are exact); a latitude of 50 or more has no route. */
static double table_seconds(void *ctx, double lat1, double lon1, double lat2,
                            double lon2)
{
	int *calls = ctx;
	(void)lon1, (void)lat2, (void)lon2;
	(*calls)++;
	return lat1 >= 50 ? -1 : lat1 * 64;
}

static struct unit routed(const char *call_sign, double seconds,
                          const char *lang, bool ht)
{
	struct unit u = make_unit(call_sign);
	u.has_position = true;
	u.lat = seconds / 64;
	u.lon = 0;
	u.position_ms = NOW_MS;
	if (lang) {
		str_copy(u.languages[0], 3, lang);
		u.n_languages = 1;
	}
	u.ht_trained = ht;
	return u;
}

Test(core_units, router_plugs_in_and_ties_are_deterministic)
{
	int calls = 0;
	struct units_router router = { table_seconds, &calls };
	struct unit u[6] = {
		routed("B1", 100, NULL, false),
		/* exactly the language bonus further: the speaker wins */
		routed("A2", 220, "es", false),
		/* the same score, less bonus earned: after A2, before the
		 * two that earned none */
		routed("C3", 190, NULL, true),
		routed("A1", 100, NULL, false), /* a tie with B1: A1 first */
		routed("Z9", 0, "es", true),    /* no route */
		routed("Y8", 0, NULL, false),   /* no route */
	};
	u[4].lat = 60;
	u[5].lat = 55;
	struct units_request req = request("es");
	req.lat = 0;
	req.lon = 0;
	req.router = &router;
	struct units_ranked out[6];
	size_t n;
	cr_assert_eq(units_recommend(u, 6, &req, out, 6, &n, NULL), HTD_OK);
	cr_assert_eq(n, 6);
	cr_assert_eq(calls, 6);
	/* Scores: A2 100 (bonus 120), C3 100 (bonus 90), A1 100, B1 100. */
	const char *order[] = { "A2", "C3", "A1", "B1", "Y8", "Z9" };
	for (size_t i = 0; i < 6; i++)
		cr_assert_str_eq(out[i].unit->call_sign, order[i], "rank %zu",
		                 i + 1);
	cr_assert_eq(out[4].flags, UNITS_RANK_NO_ROUTE);
	cr_assert_str_eq(out[4].explanation, "6116 km, no route");
	cr_assert_eq(out[0].score_s, 100.0);
	/* 3.4375 degrees of latitude away; the router says 220 s. */
	cr_assert_str_eq(out[0].explanation, "382 km, ~4 min, speaks Spanish");
}

/* ---- top-k against a full sort ------------------------------------------- */

static uint64_t rng_state;

static uint64_t rng_next(void)
{
	/* splitmix64 */
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15u);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

static double rng_unit(void)
{
	return (double)(rng_next() >> 11) / (double)(1ull << 53);
}

Test(core_units, top_k_is_the_head_of_the_full_ranking)
{
	enum { N = 300 };
	static struct unit u[N];
	static struct units_ranked all[N], top[N];
	rng_state = 20261129;
	for (int round = 0; round < 40; round++) {
		for (int i = 0; i < N; i++) {
			char cs[UNITS_CALL_SIGN_MAX + 1];
			/* Few distinct call signs and positions: many ties. */
			str_format(cs, sizeof(cs), "U%d",
			           (int)(rng_next() % 50));
			u[i] = make_unit(cs);
			u[i].status = (enum unit_status)(rng_next() % 6);
			u[i].has_position = rng_next() % 10 != 0;
			u[i].lat = CALL_LAT + (double)(rng_next() % 20) / 100;
			u[i].lon = CALL_LON;
			u[i].position_ms =
			    NOW_MS - (int64_t)(rng_next() % 600000);
			if (rng_next() % 3 == 0) {
				str_copy(u[i].languages[0], 3, "es");
				u[i].n_languages = 1;
			}
			u[i].ht_trained = rng_next() % 4 == 0;
		}
		struct units_request req = request("es");
		req.include_cleared = round % 2;
		req.language_bonus_s = rng_unit() * 300;
		req.ht_bonus_s = rng_unit() * 300;
		size_t n_all, n_top, k = 1 + rng_next() % 40;
		cr_assert_eq(units_recommend(u, N, &req, all, N, &n_all, NULL),
		             HTD_OK);
		cr_assert_eq(units_recommend(u, N, &req, top, k, &n_top, NULL),
		             HTD_OK);
		cr_assert_eq(n_top, k < n_all ? k : n_all);
		for (size_t i = 0; i < n_top; i++) {
			cr_assert_eq(top[i].index, all[i].index,
			             "round %d rank %zu", round, i);
			cr_assert_str_eq(top[i].explanation,
			                 all[i].explanation);
		}
		/* The full ranking is ordered and holds every eligible unit
		 * once. */
		size_t eligible = 0;
		for (int i = 0; i < N; i++)
			eligible += u[i].status == UNIT_STATUS_AVAILABLE ||
			            (req.include_cleared &&
			             u[i].status == UNIT_STATUS_CLEARED);
		cr_assert_eq(n_all, eligible);
		for (size_t i = 1; i < n_all; i++) {
			int ta = (all[i - 1].flags & (UNITS_RANK_NO_POSITION |
			                              UNITS_RANK_NO_ROUTE))
			             ? 2
			         : (all[i - 1].flags & UNITS_RANK_STALE) ? 1
			                                                 : 0;
			int tb = (all[i].flags & (UNITS_RANK_NO_POSITION |
			                          UNITS_RANK_NO_ROUTE))
			             ? 2
			         : (all[i].flags & UNITS_RANK_STALE) ? 1
			                                             : 0;
			cr_assert(ta <= tb);
			if (ta == tb && ta < 2)
				cr_assert(all[i - 1].score_s <= all[i].score_s);
			cr_assert_neq(all[i - 1].index, all[i].index);
		}
	}
}

/* ---- bad input ----------------------------------------------------------- */

Test(core_units, bad_requests_are_refused, .init = fleet_init)
{
	struct units_ranked out[4];
	size_t n = 77;
	struct htd_error err;
	const struct {
		const char *field;
		double lat, lon, lang_bonus, ht_bonus;
		int64_t age;
		const char *language;
	} cases[] = {
		{ "lat", 90.0001, 0, 0, 0, 0, NULL },
		{ "lat", -91, 0, 0, 0, 0, NULL },
		{ "lat", NAN, 0, 0, 0, 0, NULL },
		{ "lat", INFINITY, 0, 0, 0, 0, NULL },
		{ "lon", 0, 180.5, 0, 0, 0, NULL },
		{ "lon", 0, -181, 0, 0, 0, NULL },
		{ "lon", 0, NAN, 0, 0, 0, NULL },
		{ "language_bonus_s", 0, 0, -1, 0, 0, NULL },
		{ "language_bonus_s", 0, 0, NAN, 0, 0, NULL },
		{ "language_bonus_s", 0, 0, 3601, 0, 0, NULL },
		{ "ht_bonus_s", 0, 0, 0, -0.5, 0, NULL },
		{ "ht_bonus_s", 0, 0, 0, INFINITY, 0, NULL },
		{ "max_position_age_ms", 0, 0, 0, 0, -1, NULL },
		{ "language", 0, 0, 0, 0, 0, "e" },
		{ "language", 0, 0, 0, 0, 0, "spanish" },
		{ "language", 0, 0, 0, 0, 0, "es-" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct units_request req = request(cases[i].language);
		req.lat = cases[i].lat;
		req.lon = cases[i].lon;
		req.language_bonus_s = cases[i].lang_bonus;
		req.ht_bonus_s = cases[i].ht_bonus;
		req.max_position_age_ms = cases[i].age;
		htd_error_clear(&err);
		cr_assert_eq(units_recommend(fleet, 10, &req, out, 4, &n, &err),
		             HTD_ERR_INVALID, "case %zu", i);
		cr_assert_str_eq(err.field, cases[i].field, "case %zu", i);
		cr_assert_eq(n, 77, "nothing written");
	}
	/* The edges are fine. */
	struct units_request req = request(NULL);
	req.lat = -90;
	req.lon = 180;
	req.language_bonus_s = UNITS_BONUS_MAX_S;
	cr_assert_eq(units_recommend(fleet, 10, &req, out, 4, &n, &err),
	             HTD_OK);
	req = request(NULL);
	cr_assert_eq(units_recommend(NULL, 3, &req, out, 4, &n, &err),
	             HTD_ERR_INVALID);
	cr_assert_eq(units_recommend(fleet, 10, &req, NULL, 4, &n, &err),
	             HTD_ERR_INVALID);
	cr_assert_eq(units_recommend(fleet, 10, NULL, out, 4, &n, &err),
	             HTD_ERR_INVALID);
	cr_assert_eq(units_recommend(fleet, 10, &req, out, 4, NULL, &err),
	             HTD_ERR_INVALID);
}

Test(core_units, bad_unit_positions_rank_as_none)
{
	struct unit u[2] = {
		at("1A10", 1.0, NULL, false, UNIT_STATUS_AVAILABLE),
		at("1A20", 1.0, NULL, false, UNIT_STATUS_AVAILABLE),
	};
	u[0].lat = NAN;
	u[1].lon = 200;
	struct units_request req = request(NULL);
	struct units_ranked out[2];
	size_t n;
	cr_assert_eq(units_recommend(u, 2, &req, out, 2, &n, NULL), HTD_OK);
	cr_assert_eq(n, 2);
	cr_assert_str_eq(out[0].explanation, "no position");
	cr_assert_str_eq(out[0].unit->call_sign, "1A10");
	cr_assert_eq(out[1].flags, UNITS_RANK_NO_POSITION);
}

Test(core_units, unknown_language_names_show_the_code)
{
	struct unit u = at("1A10", 2.0, "sw", false, UNIT_STATUS_AVAILABLE);
	struct units_request req = request("sw-KE");
	struct units_ranked out[1];
	size_t n;
	cr_assert_eq(units_recommend(&u, 1, &req, out, 1, &n, NULL), HTD_OK);
	cr_assert_str_eq(out[0].explanation, "2.0 km, ~3 min, speaks sw");
}
