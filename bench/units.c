/*
 * units.c - what a unit recommendation costs: units_recommend() on 1,000
 * generated units around Austin (the target: under 100 us), for
 * the ten best and for the whole board, next to its anchor: the naive way,
 * which estimates and explains every eligible unit, sorts them all with
 * qsort() and keeps the ten best. Both must give the same ten in the same
 * order, checked before timing.
 */
#include <jansson.h>
#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_util.h"
#include "core/units.h"
#include "util/str.h"
#include "version.h"

#define BENCH_NAME "units" /* the prefix of its messages */

/* The target: a recommendation over 1,000 units under this. */
#define TARGET_US 100.0
#define TOP 10
#define CALLS 16 /* call positions the runs cycle through */

/* Austin City Hall; units and calls within about 25 km of it. */
#define CENTER_LAT 30.2649
#define CENTER_LON (-97.7472)
#define NOW_MS INT64_C(1795942459000)

struct config {
	int64_t runs;
	int64_t rounds;
	int64_t units;
	bool quick;
	const char *out; /* NULL: no JSON */
};

enum bench_case { CASE_TOP, CASE_ALL, CASE_ANCHOR, CASE__COUNT };

static const char *const case_names[CASE__COUNT] = { "recommend_top10",
	                                             "recommend_all",
	                                             "anchor_naive_qsort" };
static const char *const case_labels[CASE__COUNT] = {
	"units_recommend, top 10",
	"units_recommend, whole board",
	"anchor: all, qsort, top 10",
};

struct workload {
	struct unit *units;
	size_t n;
	size_t eligible;
	struct units_request req[CALLS];
	struct units_ranked *out;   /* room for every unit */
	struct units_ranked *naive; /* the anchor's scratch */
};

/* ---- the workload ------------------------------------------------------ */

static uint64_t rng_state = 2026;

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
	return (double)(rng_next() >> 11) / (double)(UINT64_C(1) << 53);
}

/* About 0.23 degrees is 25 km. */
static double spread(void)
{
	return (rng_unit() * 2 - 1) * 0.23;
}

/*
 * A board like a large city's: 60% available, 10% cleared, the rest busy
 * or out of service; one in four speaks Spanish, one in twenty Vietnamese,
 * one in five HT-trained; one in twenty with a stale position, one in a
 * hundred with none.
 */
static void workload_init(struct workload *w, size_t n)
{
	static const enum unit_status busy[] = { UNIT_STATUS_DISPATCHED,
		                                 UNIT_STATUS_EN_ROUTE,
		                                 UNIT_STATUS_ON_SCENE,
		                                 UNIT_STATUS_OUT_OF_SERVICE };
	w->n = n;
	w->units = calloc(n, sizeof(*w->units));
	w->out = calloc(n, sizeof(*w->out));
	w->naive = calloc(n, sizeof(*w->naive));
	if (!w->units || !w->out || !w->naive) {
		fprintf(stderr, "units: out of memory\n");
		exit(1);
	}
	for (size_t i = 0; i < n; i++) {
		struct unit *u = &w->units[i];
		str_format(u->call_sign, sizeof(u->call_sign), "%zu%c%02zu",
		           1 + i / 260, (char)('A' + i / 10 % 26), i % 100);
		uint64_t r = rng_next() % 10;
		u->status = r < 6    ? UNIT_STATUS_AVAILABLE
		            : r == 6 ? UNIT_STATUS_CLEARED
		                     : busy[rng_next() % 4];
		u->has_position = rng_next() % 100 != 0;
		u->lat = CENTER_LAT + spread();
		u->lon = CENTER_LON + spread();
		u->position_ms = NOW_MS - (int64_t)(rng_next() % 60000);
		if (rng_next() % 20 == 0)
			u->position_ms -= 20 * 60 * 1000;
		if (rng_next() % 4 == 0)
			str_copy(u->languages[u->n_languages++], 3, "es");
		if (rng_next() % 20 == 0)
			str_copy(u->languages[u->n_languages++], 3, "vi");
		u->ht_trained = rng_next() % 5 == 0;
		str_copy(u->agency, sizeof(u->agency), "Austin PD");
		w->eligible += u->status == UNIT_STATUS_AVAILABLE ||
		               u->status == UNIT_STATUS_CLEARED;
	}
	for (size_t c = 0; c < CALLS; c++) {
		struct units_request *q = &w->req[c];
		memset(q, 0, sizeof(*q));
		q->lat = CENTER_LAT + spread() / 2;
		q->lon = CENTER_LON + spread() / 2;
		q->language = c % 2 ? "es" : NULL;
		q->now_ms = NOW_MS;
		q->language_bonus_s = 120;
		q->ht_bonus_s = 90;
		q->include_cleared = true;
	}
}

static void workload_free(struct workload *w)
{
	free(w->units);
	free(w->out);
	free(w->naive);
}

/* ---- the anchor: every unit estimated, explained and sorted ----------- */

struct naive_ctx {
	double language_bonus_s, ht_bonus_s;
};

static struct naive_ctx naive_ctx; /* qsort() has no context argument */

static int naive_tier(const struct units_ranked *r)
{
	if (r->flags & (UNITS_RANK_NO_POSITION | UNITS_RANK_NO_ROUTE))
		return 2;
	return (r->flags & UNITS_RANK_STALE) ? 1 : 0;
}

static double naive_bonus(const struct units_ranked *r)
{
	return ((r->flags & UNITS_RANK_LANGUAGE) ? naive_ctx.language_bonus_s
	                                         : 0) +
	       ((r->flags & UNITS_RANK_HT_TRAINED) ? naive_ctx.ht_bonus_s : 0);
}

/* The order of units_recommend(), written out again. */
static int naive_compare(const void *pa, const void *pb)
{
	const struct units_ranked *a = pa, *b = pb;
	int ta = naive_tier(a), tb = naive_tier(b);
	if (ta != tb)
		return ta - tb;
	if (ta < 2) {
		if (a->score_s != b->score_s)
			return a->score_s < b->score_s ? -1 : 1;
		double ba = naive_bonus(a), bb = naive_bonus(b);
		if (ba != bb)
			return ba > bb ? -1 : 1;
	}
	int c = strcmp(a->unit->call_sign, b->unit->call_sign);
	if (c)
		return c;
	return (a->index > b->index) - (a->index < b->index);
}

static size_t naive_recommend(struct workload *w, const struct units_request *q,
                              struct units_ranked *top, size_t k)
{
	size_t m = 0;
	naive_ctx.language_bonus_s = q->language_bonus_s;
	naive_ctx.ht_bonus_s = q->ht_bonus_s;
	for (size_t i = 0; i < w->n; i++) {
		const struct unit *u = &w->units[i];
		if (u->status != UNIT_STATUS_AVAILABLE &&
		    !(q->include_cleared && u->status == UNIT_STATUS_CLEARED))
			continue;
		struct units_ranked *r = &w->naive[m++];
		memset(r, 0, sizeof(*r));
		r->unit = u;
		r->index = i;
		r->travel_s = -1;
		r->distance_km = -1;
		r->score_s = INFINITY;
		if (q->language && units_speaks(u, q->language))
			r->flags |= UNITS_RANK_LANGUAGE;
		if (u->ht_trained)
			r->flags |= UNITS_RANK_HT_TRAINED;
		if (!u->has_position) {
			r->flags |= UNITS_RANK_NO_POSITION;
			str_copy(r->explanation, sizeof(r->explanation),
			         "no position");
			continue;
		}
		r->position_age_ms =
		    q->now_ms > u->position_ms ? q->now_ms - u->position_ms : 0;
		if (r->position_age_ms > UNITS_POSITION_AGE_DEFAULT_MS)
			r->flags |= UNITS_RANK_STALE;
		r->distance_km =
		    units_haversine_km(u->lat, u->lon, q->lat, q->lon);
		r->travel_s = r->distance_km * UNITS_ROAD_FACTOR_DEFAULT /
		              UNITS_SPEED_KMH_DEFAULT * 3600.0;
		r->score_s = r->travel_s - naive_bonus(r);
		str_format(
		    r->explanation, sizeof(r->explanation),
		    "%.1f km, ~%.0f min%s%s", r->distance_km,
		    floor(r->travel_s / 60 + 0.5),
		    (r->flags & UNITS_RANK_LANGUAGE) ? ", speaks Spanish" : "",
		    (r->flags & UNITS_RANK_HT_TRAINED) ? ", HT-trained" : "");
	}
	qsort(w->naive, m, sizeof(*w->naive), naive_compare);
	if (k > m)
		k = m;
	memcpy(top, w->naive, k * sizeof(*top));
	return k;
}

/* ---- runs -------------------------------------------------------------- */

static volatile size_t sink;

static int run_once(struct workload *w, enum bench_case k, size_t call)
{
	struct units_ranked top[TOP];
	size_t n = 0;
	struct htd_error err;
	const struct units_request *q = &w->req[call % CALLS];
	switch (k) {
	case CASE_TOP:
		if (units_recommend(w->units, w->n, q, w->out, TOP, &n, &err))
			goto fail;
		sink += n + w->out[0].index;
		break;
	case CASE_ALL:
		if (units_recommend(w->units, w->n, q, w->out, w->n, &n, &err))
			goto fail;
		sink += n + w->out[0].index;
		break;
	case CASE_ANCHOR:
		n = naive_recommend(w, q, top, TOP);
		sink += n + top[0].index;
		break;
	default: break;
	}
	return 0;
fail:
	fprintf(stderr, "units: units_recommend: %s\n", err.message);
	return -1;
}

/* The anchor and units_recommend() agree on the ten, in order. */
static int check_workload(struct workload *w)
{
	struct units_ranked top[TOP];
	for (size_t c = 0; c < CALLS; c++) {
		size_t n = 0;
		struct htd_error err;
		if (units_recommend(w->units, w->n, &w->req[c], w->out, TOP, &n,
		                    &err) != HTD_OK) {
			fprintf(stderr, "units: %s\n", err.message);
			return -1;
		}
		size_t m = naive_recommend(w, &w->req[c], top, TOP);
		if (m != n) {
			fprintf(stderr, "units: %zu ranked, the anchor %zu\n",
			        n, m);
			return -1;
		}
		for (size_t i = 0; i < n; i++) {
			if (top[i].index != w->out[i].index) {
				fprintf(stderr,
				        "units: call %zu rank %zu: %s, the "
				        "anchor %s\n",
				        c, i + 1, w->out[i].unit->call_sign,
				        top[i].unit->call_sign);
				return -1;
			}
		}
	}
	return 0;
}

/* bench_run_fn over the workload: run `i` of case `k` takes call position
 * i (mod CALLS). */
static int run_case(void *ctx, int k, int64_t i)
{
	return run_once(ctx, (enum bench_case)k, (size_t)i);
}

/* ---- output ------------------------------------------------------------ */

static int write_json(const struct config *cfg, const struct workload *w,
                      const struct bench_stats *st, double ratio, bool met)
{
	json_t *params = json_pack(
	    "{s:I,s:I,s:I,s:I,s:I,s:I,s:f,s:f,s:b}", "runs",
	    (json_int_t)cfg->runs, "rounds", (json_int_t)cfg->rounds, "units",
	    (json_int_t)w->n, "eligible", (json_int_t)w->eligible, "top",
	    (json_int_t)TOP, "call_positions", (json_int_t)CALLS,
	    "language_bonus_s", 120.0, "ht_bonus_s", 90.0, "quick", cfg->quick);
	json_t *cases = json_object();
	for (int k = 0; k < CASE__COUNT; k++)
		json_object_set_new(cases, case_names[k],
		                    bench_stats_json_us(&st[k]));
	json_t *target =
	    json_pack("{s:f,s:f,s:f,s:b}", "recommend_median_us_max", TARGET_US,
	              "recommend_median_us", st[CASE_TOP].median,
	              "recommend_p99_us", st[CASE_TOP].p99, "met", met);
	json_t *root = bench_results_new("units");
	return bench_results_write_cases(
	    BENCH_NAME, root,
	    "naive: estimate and explain every eligible unit, qsort() them "
	    "all, keep the ten best",
	    params, cases, "ratio_anchor_top10", ratio, target, cfg->out);
}

static void print_table(const struct config *cfg, const struct workload *w,
                        const struct bench_stats *st, double ratio, bool met)
{
	printf("units: recommending units for a call, %zu units (%zu "
	       "available or cleared), %d call positions\n",
	       w->n, w->eligible, CALLS);
	printf("  %lld runs of each case in %lld rounds (CLOCK_MONOTONIC)%s\n",
	       (long long)cfg->runs, (long long)cfg->rounds,
	       cfg->quick ? " (--quick: a smoke run, not a measurement)" : "");
	printf("\n  %-30s %10s %10s %10s %10s\n", "microseconds", "median",
	       "p99", "mean", "min");
	for (int k = 0; k < CASE__COUNT; k++)
		printf("  %-30s %10.2f %10.2f %10.2f %10.2f\n", case_labels[k],
		       st[k].median, st[k].p99, st[k].mean, st[k].min);
	printf("\n  anchor / top 10 (medians): %.2f\n", ratio);
	printf("\n  target: units_recommend median < %.0f us over %zu units: "
	       "%s (%.2f us, p99 %.2f us)\n",
	       TARGET_US, w->n, met ? "met" : "MISSED", st[CASE_TOP].median,
	       st[CASE_TOP].p99);
}

/* ---- main -------------------------------------------------------------- */

static void usage(FILE *f)
{
	fprintf(f,
	        "usage: bench_units [--quick] [--out PATH] [--runs N] "
	        "[--rounds R] [--units N]\n"
	        "  --quick      2,000 runs, a smoke run\n"
	        "  --out PATH   where to write the JSON (default "
	        "%s/units.json,\n"
	        "               and none with --quick or other sizes)\n"
	        "  --runs N     timed runs of each case (default 20000)\n"
	        "  --rounds R   rounds the runs are cut into (default 20)\n"
	        "  --units N    units on the board (default 1000)\n"
	        "  --dir DIR    accepted and ignored (scripts/bench.sh passes "
	        "it)\n",
	        HTD_BENCH_RESULTS);
}

static int parse_args(int argc, char **argv, struct config *cfg)
{
	int64_t runs = -1, rounds = -1, units = -1;
	const struct bench_option options[] = {
		BENCH_OPTIONS_COMMON(&cfg->quick, &cfg->out, NULL),
		{ "--runs", BENCH_OPTION_INT, &runs, 100, 10000000 },
		{ "--rounds", BENCH_OPTION_INT, &rounds, 1, 1000 },
		{ "--units", BENCH_OPTION_INT, &units, 1, 1000000 },
	};
	if (bench_parse_options(BENCH_NAME, argc, argv, options,
	                        BENCH_COUNT(options), usage) != 0)
		return -1;
	cfg->runs = runs > 0 ? runs : cfg->quick ? 2000 : 20000;
	cfg->rounds = rounds > 0 ? rounds : 20;
	cfg->units = units > 0 ? units : 1000;
	if (cfg->rounds > cfg->runs)
		cfg->rounds = cfg->runs;
	bool standard = !cfg->quick && runs < 0 && rounds < 0 && units < 0;
	if (!cfg->out && standard)
		cfg->out = HTD_BENCH_RESULTS "/units.json";
	return 0;
}

int main(int argc, char **argv)
{
	struct config cfg;
	struct workload w;
	double *samples[CASE__COUNT] = { 0 };
	struct bench_stats st[CASE__COUNT];
	int rc = 1;

	memset(&cfg, 0, sizeof(cfg));
	memset(&w, 0, sizeof(w));
	if (parse_args(argc, argv, &cfg) != 0)
		return 2;
	if (cfg.out && bench_check_out_dir(BENCH_NAME, cfg.out) != 0)
		return 1;
	workload_init(&w, (size_t)cfg.units);
	if (check_workload(&w) != 0)
		goto out;
	bench_samples_new(samples, CASE__COUNT, (size_t)cfg.runs);
	if (bench_measure_rounds(CASE__COUNT, cfg.runs, cfg.rounds, 200,
	                         run_case, &w, samples) != 0)
		goto out;
	bench_summarise_cases(samples, CASE__COUNT, cfg.runs, st);
	double ratio = st[CASE_ANCHOR].median / st[CASE_TOP].median;
	bool met = st[CASE_TOP].median < TARGET_US;
	print_table(&cfg, &w, st, ratio, met);
	if (cfg.out && write_json(&cfg, &w, st, ratio, met) != 0)
		goto out;
	rc = 0;
out:
	bench_samples_free(samples, CASE__COUNT);
	workload_free(&w);
	return rc;
}
