/*
 * units.c - unit status, travel time and the recommendation of units.h.
 *
 * The recommendation is a bounded max-heap over the caller's `out` array:
 * the worst of the best `out_max` sits at the root, so most of 1,000 units
 * are turned away after one comparison; at the end the heap is sorted in
 * place and only the winners get a distance and an explanation. Entries
 * are moved by their numeric part only (the explanation is written last).
 */
#include "core/units.h"

#include <math.h>
#include <stddef.h>
#include <string.h>

#include "core/call.h"
#include "util/str.h"

/* ---- status -------------------------------------------------------------- */

static const char *const status_names[UNIT_STATUS__COUNT] = {
#define UNITS_STATUS_NAME(e, n) [UNIT_STATUS_##e] = n,
	UNITS_STATUSES(UNITS_STATUS_NAME)
#undef UNITS_STATUS_NAME
};

#define S(x) (1u << UNIT_STATUS_##x)

/* The state machine of units.h, one row per `from`: the allowed `to`. */
static const unsigned transitions[UNIT_STATUS__COUNT] = {
	[UNIT_STATUS_AVAILABLE] =
	    S(DISPATCHED) | S(ON_SCENE) | S(OUT_OF_SERVICE),
	[UNIT_STATUS_DISPATCHED] =
	    S(EN_ROUTE) | S(ON_SCENE) | S(CLEARED) | S(OUT_OF_SERVICE),
	[UNIT_STATUS_EN_ROUTE] =
	    S(ON_SCENE) | S(DISPATCHED) | S(CLEARED) | S(OUT_OF_SERVICE),
	[UNIT_STATUS_ON_SCENE] = S(CLEARED),
	[UNIT_STATUS_CLEARED] =
	    S(AVAILABLE) | S(DISPATCHED) | S(ON_SCENE) | S(OUT_OF_SERVICE),
	[UNIT_STATUS_OUT_OF_SERVICE] = S(AVAILABLE),
};

#undef S

const char *units_status_name(enum unit_status s)
{
	if ((unsigned)s >= UNIT_STATUS__COUNT)
		return "unknown";
	return status_names[s];
}

bool units_status_parse(const char *s, enum unit_status *out)
{
	if (!s)
		return false;
	for (int i = 0; i < UNIT_STATUS__COUNT; i++) {
		if (strcmp(s, status_names[i]) == 0) {
			*out = (enum unit_status)i;
			return true;
		}
	}
	return false;
}

bool units_status_transition_ok(enum unit_status from, enum unit_status to)
{
	if ((unsigned)from >= UNIT_STATUS__COUNT ||
	    (unsigned)to >= UNIT_STATUS__COUNT)
		return false;
	return (transitions[from] & (1u << to)) != 0;
}

/* ---- a unit -------------------------------------------------------------- */

bool units_call_sign_valid(const char *s)
{
	if (!s)
		return false;
	size_t n = 0;
	for (; s[n]; n++) {
		char c = s[n];
		if (n >= UNITS_CALL_SIGN_MAX)
			return false;
		if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-'))
			return false;
	}
	return n > 0;
}

bool units_coordinates_valid(double lat, double lon)
{
	/* Comparisons with NaN are false, so NaN fails here too. */
	return lat >= -90.0 && lat <= 90.0 && lon >= -180.0 && lon <= 180.0;
}

static bool lower_letter(char c)
{
	return c >= 'a' && c <= 'z';
}

enum htd_err units_validate(const struct unit *u, struct htd_error *err)
{
	if (!u)
		return htd_error_set(err, HTD_ERR_INVALID, "no unit");
	if (memchr(u->call_sign, '\0', sizeof(u->call_sign)) == NULL ||
	    !units_call_sign_valid(u->call_sign))
		return htd_error_field(err, HTD_ERR_INVALID, "call_sign",
		                       "a call sign is 1 to %d of A-Z, 0-9 "
		                       "and '-'",
		                       UNITS_CALL_SIGN_MAX);
	if ((unsigned)u->status >= UNIT_STATUS__COUNT)
		return htd_error_field(err, HTD_ERR_INVALID, "status",
		                       "unit %s: unknown status %d",
		                       u->call_sign, (int)u->status);
	if (u->has_position && !units_coordinates_valid(u->lat, u->lon))
		return htd_error_field(err, HTD_ERR_INVALID, "position",
		                       "unit %s: latitude must be in [-90, "
		                       "90] and longitude in [-180, 180]",
		                       u->call_sign);
	if (u->n_languages > UNITS_LANGUAGES_MAX)
		return htd_error_field(err, HTD_ERR_INVALID, "languages",
		                       "unit %s: at most %d languages",
		                       u->call_sign, UNITS_LANGUAGES_MAX);
	for (size_t i = 0; i < u->n_languages; i++) {
		const char *l = u->languages[i];
		if (!lower_letter(l[0]) || !lower_letter(l[1]) || l[2] != '\0')
			return htd_error_field(err, HTD_ERR_INVALID,
			                       "languages",
			                       "unit %s: a language is an ISO "
			                       "639-1 code in lower case, such "
			                       "as 'es'",
			                       u->call_sign);
	}
	const char *nul = memchr(u->agency, '\0', sizeof(u->agency));
	if (!nul || !str_utf8_valid(u->agency, (size_t)(nul - u->agency)) ||
	    !str_no_controls(u->agency, (size_t)(nul - u->agency), false))
		return htd_error_field(err, HTD_ERR_INVALID, "agency",
		                       "unit %s: the agency must be UTF-8 "
		                       "text without control characters, at "
		                       "most %d bytes",
		                       u->call_sign, UNITS_AGENCY_MAX);
	return HTD_OK;
}

/* Writes the primary subtag of `tag` in lower case to out[3] when it is
 * two letters; returns false otherwise (three-letter codes never match a
 * unit's ISO 639-1 list). */
static bool primary_subtag2(const char *tag, char out[3])
{
	if (!tag)
		return false;
	for (int i = 0; i < 2; i++) {
		char c = tag[i];
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (!lower_letter(c))
			return false;
		out[i] = c;
	}
	out[2] = '\0';
	return tag[2] == '\0' || tag[2] == '-' || tag[2] == '_';
}

static bool speaks_code(const struct unit *u, const char code[3])
{
	size_t n = u->n_languages < UNITS_LANGUAGES_MAX ? u->n_languages
	                                                : UNITS_LANGUAGES_MAX;
	for (size_t i = 0; i < n; i++)
		if (u->languages[i][0] == code[0] &&
		    u->languages[i][1] == code[1])
			return true;
	return false;
}

bool units_speaks(const struct unit *u, const char *tag)
{
	char code[3];
	if (!u || !primary_subtag2(tag, code))
		return false;
	return speaks_code(u, code);
}

/* Common languages of 9-1-1 interpretation in the US, in English. */
static const struct {
	char code[3];
	const char *name;
} language_names[] = {
	{ "es", "Spanish" }, { "en", "English" },        { "vi", "Vietnamese" },
	{ "zh", "Chinese" }, { "ht", "Haitian Creole" }, { "pt", "Portuguese" },
	{ "fr", "French" },  { "ko", "Korean" },         { "tl", "Tagalog" },
	{ "ar", "Arabic" },  { "ru", "Russian" },
};

const char *units_language_name(const char *tag)
{
	char code[3];
	if (!primary_subtag2(tag, code))
		return NULL;
	for (size_t i = 0; i < sizeof(language_names) / sizeof(*language_names);
	     i++)
		if (strcmp(language_names[i].code, code) == 0)
			return language_names[i].name;
	return NULL;
}

/* ---- travel time --------------------------------------------------------- */

#define DEG_TO_RAD (3.14159265358979323846 / 180.0)

double units_haversine_km(double lat1, double lon1, double lat2, double lon2)
{
	double a = sin((lat2 - lat1) * DEG_TO_RAD / 2);
	double b = sin((lon2 - lon1) * DEG_TO_RAD / 2);
	double h =
	    a * a + cos(lat1 * DEG_TO_RAD) * cos(lat2 * DEG_TO_RAD) * b * b;
	if (h > 1.0) /* rounding, near the antipode */
		h = 1.0;
	return 2.0 * UNITS_EARTH_RADIUS_KM * asin(sqrt(h));
}

void units_great_circle_init(struct units_great_circle *gc, double speed_kmh,
                             double road_factor)
{
	gc->speed_kmh = isfinite(speed_kmh) && speed_kmh > 0
	                    ? speed_kmh
	                    : UNITS_SPEED_KMH_DEFAULT;
	if (!isfinite(road_factor) || road_factor <= 0)
		road_factor = UNITS_ROAD_FACTOR_DEFAULT;
	gc->road_factor = road_factor < 1.0 ? 1.0 : road_factor;
}

static double great_circle_seconds(void *ctx, double lat1, double lon1,
                                   double lat2, double lon2)
{
	const struct units_great_circle *gc = ctx;
	return units_haversine_km(lat1, lon1, lat2, lon2) * gc->road_factor /
	       gc->speed_kmh * 3600.0;
}

struct units_router units_router_great_circle(struct units_great_circle *gc)
{
	struct units_router r = { great_circle_seconds, gc };
	return r;
}

/* ---- recommendation ------------------------------------------------------ */

/* What the comparisons need besides the entries. */
struct ranking {
	const struct units_request *req;
	double language_bonus_s;
	double ht_bonus_s;
	char language[3]; /* the caller's primary subtag; "" none */
};

/* The part of an entry the heap moves: everything before the text. */
#define RANK_KEY_BYTES offsetof(struct units_ranked, explanation)

static void swap_keys(struct units_ranked *a, struct units_ranked *b)
{
	unsigned char t[RANK_KEY_BYTES];
	memcpy(t, a, RANK_KEY_BYTES);
	memcpy(a, b, RANK_KEY_BYTES);
	memcpy(b, t, RANK_KEY_BYTES);
}

/* 0: fresh with a route; 1: stale with a route; 2: no position or route. */
static int tier(const struct units_ranked *r)
{
	if (r->flags & (UNITS_RANK_NO_POSITION | UNITS_RANK_NO_ROUTE))
		return 2;
	return (r->flags & UNITS_RANK_STALE) ? 1 : 0;
}

static double bonus(const struct ranking *k, const struct units_ranked *r)
{
	return ((r->flags & UNITS_RANK_LANGUAGE) ? k->language_bonus_s : 0) +
	       ((r->flags & UNITS_RANK_HT_TRAINED) ? k->ht_bonus_s : 0);
}

/* True when `a` ranks ahead of `b` (the order of units_recommend()). */
static bool ranks_before(const struct ranking *k, const struct units_ranked *a,
                         const struct units_ranked *b)
{
	int ta = tier(a), tb = tier(b);
	if (ta != tb)
		return ta < tb;
	if (ta < 2) {
		if (a->score_s != b->score_s)
			return a->score_s < b->score_s;
		double ba = bonus(k, a), bb = bonus(k, b);
		if (ba != bb)
			return ba > bb;
	}
	int c = strncmp(a->unit->call_sign, b->unit->call_sign,
	                sizeof(a->unit->call_sign));
	if (c != 0)
		return c < 0;
	return a->index < b->index;
}

/* Restores the heap below `i` (root: the entry ranked last). */
static void sift_down(const struct ranking *k, struct units_ranked *h, size_t n,
                      size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, worst = i;
		if (l < n && ranks_before(k, &h[worst], &h[l]))
			worst = l;
		if (r < n && ranks_before(k, &h[worst], &h[r]))
			worst = r;
		if (worst == i)
			return;
		swap_keys(&h[i], &h[worst]);
		i = worst;
	}
}

static void sift_up(const struct ranking *k, struct units_ranked *h, size_t i)
{
	while (i > 0) {
		size_t parent = (i - 1) / 2;
		if (!ranks_before(k, &h[parent], &h[i]))
			return;
		swap_keys(&h[parent], &h[i]);
		i = parent;
	}
}

/* Milliseconds from `then` to `now`, 0 when `then` is later, capped. */
static int64_t age_ms(int64_t now, int64_t then)
{
	if (then >= now)
		return 0;
	uint64_t d = (uint64_t)now - (uint64_t)then;
	return d > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)d;
}

static bool eligible(const struct unit *u, const struct units_request *req)
{
	return u->status == UNIT_STATUS_AVAILABLE ||
	       (req->include_cleared && u->status == UNIT_STATUS_CLEARED);
}

/* Fills the numeric part of `r` for unit `i`. */
static void rank_one(const struct ranking *k, const struct units_router *rt,
                     int64_t max_age, const struct unit *units, size_t i,
                     struct units_ranked *r)
{
	const struct unit *u = &units[i];
	const struct units_request *req = k->req;
	r->unit = u;
	r->index = i;
	r->travel_s = -1;
	r->distance_km = -1;
	r->score_s = INFINITY;
	r->position_age_ms = 0;
	r->flags = 0;
	if (k->language[0] && speaks_code(u, k->language))
		r->flags |= UNITS_RANK_LANGUAGE;
	if (u->ht_trained)
		r->flags |= UNITS_RANK_HT_TRAINED;
	if (!u->has_position || !units_coordinates_valid(u->lat, u->lon)) {
		r->flags |= UNITS_RANK_NO_POSITION;
		return;
	}
	r->position_age_ms = age_ms(req->now_ms, u->position_ms);
	if (r->position_age_ms > max_age)
		r->flags |= UNITS_RANK_STALE;
	double t = rt->seconds(rt->ctx, u->lat, u->lon, req->lat, req->lon);
	if (!isfinite(t) || t < 0) {
		r->flags |= UNITS_RANK_NO_ROUTE;
		return;
	}
	r->travel_s = t;
	r->score_s = t - bonus(k, r);
}

/*
 * The explanation, written by hand: it is formatted for every ranked unit,
 * and printf's floating point would cost more than the ranking itself
 * when the whole board is ranked.
 */
struct text {
	char *s;
	size_t len;
};

static void text_puts(struct text *t, const char *s)
{
	while (*s && t->len + 1 < UNITS_EXPLANATION_MAX)
		t->s[t->len++] = *s++;
	t->s[t->len] = '\0';
}

static void text_uint(struct text *t, uint64_t v)
{
	char digits[24];
	size_t n = 0;
	do
		digits[n++] = (char)('0' + v % 10);
	while ((v /= 10) > 0);
	while (n > 0 && t->len + 1 < UNITS_EXPLANATION_MAX)
		t->s[t->len++] = digits[--n];
	t->s[t->len] = '\0';
}

/* Starts an item: ", " after the first. */
static void text_item(struct text *t)
{
	if (t->len > 0)
		text_puts(t, ", ");
}

static void explain(const struct ranking *k, struct units_ranked *r)
{
	struct text t = { r->explanation, 0 };
	r->explanation[0] = '\0';
	if (r->flags & UNITS_RANK_NO_POSITION) {
		text_puts(&t, "no position");
	} else {
		/* "2.1 km" under 100 km, "118 km" from there */
		double km = r->distance_km;
		if (km < 99.95) {
			uint64_t tenths = (uint64_t)(km * 10 + 0.5);
			text_uint(&t, tenths / 10);
			text_puts(&t, ".");
			text_uint(&t, tenths % 10);
		} else {
			text_uint(&t, (uint64_t)(km + 0.5));
		}
		text_puts(&t, " km, ");
		double min = floor(r->travel_s / 60.0 + 0.5);
		if (r->flags & UNITS_RANK_NO_ROUTE) {
			text_puts(&t, "no route");
		} else if (r->travel_s < 30.0) {
			text_puts(&t, "<1 min");
		} else if (min > 99999) {
			text_puts(&t, ">99999 min");
		} else {
			text_puts(&t, "~");
			text_uint(&t, (uint64_t)min);
			text_puts(&t, " min");
		}
	}
	if (r->flags & UNITS_RANK_LANGUAGE) {
		const char *name = units_language_name(k->language);
		text_item(&t);
		text_puts(&t, "speaks ");
		text_puts(&t, name ? name : k->language);
	}
	if (r->flags & UNITS_RANK_HT_TRAINED) {
		text_item(&t);
		text_puts(&t, "HT-trained");
	}
	if ((r->flags & UNITS_RANK_STALE) &&
	    !(r->flags & UNITS_RANK_NO_POSITION)) {
		int64_t m = r->position_age_ms / 60000;
		text_item(&t);
		if (m < 1) {
			text_puts(&t, "position under 1 min old");
		} else {
			text_puts(&t, "position ");
			text_uint(&t, (uint64_t)m);
			text_puts(&t, " min old");
		}
	}
}

static bool bonus_ok(double b)
{
	return b >= 0 && b <= UNITS_BONUS_MAX_S; /* NaN fails */
}

static enum htd_err check_request(const struct unit *units, size_t n,
                                  const struct units_request *req,
                                  const struct units_ranked *out,
                                  size_t out_max, const size_t *n_out,
                                  struct htd_error *err)
{
	if (!req || !n_out || (n > 0 && !units) || (out_max > 0 && !out))
		return htd_error_set(err, HTD_ERR_INVALID,
		                     "units_recommend: a required argument is "
		                     "NULL");
	if (!(req->lat >= -90.0 && req->lat <= 90.0))
		return htd_error_field(err, HTD_ERR_INVALID, "lat",
		                       "the call's latitude must be a number "
		                       "in [-90, 90]");
	if (!(req->lon >= -180.0 && req->lon <= 180.0))
		return htd_error_field(err, HTD_ERR_INVALID, "lon",
		                       "the call's longitude must be a number "
		                       "in [-180, 180]");
	if (!bonus_ok(req->language_bonus_s))
		return htd_error_field(err, HTD_ERR_INVALID, "language_bonus_s",
		                       "the language bonus must be 0 to %.0f "
		                       "seconds",
		                       UNITS_BONUS_MAX_S);
	if (!bonus_ok(req->ht_bonus_s))
		return htd_error_field(err, HTD_ERR_INVALID, "ht_bonus_s",
		                       "the HT-training bonus must be 0 to "
		                       "%.0f seconds",
		                       UNITS_BONUS_MAX_S);
	if (req->max_position_age_ms < 0)
		return htd_error_field(err, HTD_ERR_INVALID,
		                       "max_position_age_ms",
		                       "the maximum position age cannot be "
		                       "negative");
	if (!str_empty(req->language)) {
		char canonical[CALL_LANGUAGE_MAX + 1];
		if (!call_language_normalise(req->language, canonical,
		                             sizeof(canonical)))
			return htd_error_field(
			    err, HTD_ERR_INVALID, "language",
			    "the caller's language must be a "
			    "BCP 47 tag such as 'es'");
	}
	return HTD_OK;
}

enum htd_err units_recommend(const struct unit *units, size_t n,
                             const struct units_request *req,
                             struct units_ranked *out, size_t out_max,
                             size_t *n_out, struct htd_error *err)
{
	enum htd_err rc =
	    check_request(units, n, req, out, out_max, n_out, err);
	if (rc != HTD_OK)
		return rc;
	*n_out = 0;
	if (out_max == 0)
		return HTD_OK;

	struct ranking k = { .req = req,
		             .language_bonus_s = req->language_bonus_s,
		             .ht_bonus_s = req->ht_bonus_s };
	if (!primary_subtag2(req->language, k.language))
		k.language[0] = '\0';
	struct units_great_circle gc;
	struct units_router default_router;
	const struct units_router *rt = req->router;
	if (!rt || !rt->seconds) {
		units_great_circle_init(&gc, 0, 0);
		default_router = units_router_great_circle(&gc);
		rt = &default_router;
	}
	int64_t max_age = req->max_position_age_ms
	                      ? req->max_position_age_ms
	                      : UNITS_POSITION_AGE_DEFAULT_MS;

	/* Select: a heap of the best out_max, the worst at its root. */
	size_t heap = 0;
	for (size_t i = 0; i < n; i++) {
		if (!eligible(&units[i], req))
			continue;
		if (heap < out_max) {
			rank_one(&k, rt, max_age, units, i, &out[heap]);
			sift_up(&k, out, heap);
			heap++;
			continue;
		}
		struct units_ranked cand;
		rank_one(&k, rt, max_age, units, i, &cand);
		if (!ranks_before(&k, &cand, &out[0]))
			continue;
		memcpy(&out[0], &cand, RANK_KEY_BYTES);
		sift_down(&k, out, heap, 0);
	}

	/* Sort: heapsort leaves the best first. */
	for (size_t end = heap; end > 1; end--) {
		swap_keys(&out[0], &out[end - 1]);
		sift_down(&k, out, end - 1, 0);
	}

	/* Explain the winners only. */
	for (size_t i = 0; i < heap; i++) {
		struct units_ranked *r = &out[i];
		if (!(r->flags & UNITS_RANK_NO_POSITION))
			r->distance_km = units_haversine_km(
			    r->unit->lat, r->unit->lon, req->lat, req->lon);
		explain(&k, r);
	}
	*n_out = heap;
	return HTD_OK;
}
