/*
 * metrics.c - counters and histograms as arrays of atomics, rendered on
 * demand. Buckets are stored per bucket and summed when rendered, so a
 * request touches three counters.
 */
#include "http/metrics.h"

#include <stdatomic.h>
#include <stdlib.h>

#include "util/mem.h"
#include "util/str.h"

/* The statuses the server sends; anything else counts as "other". */
static const int statuses[] = { 200, 201, 204, 400, 401, 403, 404, 405,
	                        409, 413, 415, 422, 423, 429, 500, 503 };
#define N_STATUS (sizeof(statuses) / sizeof(statuses[0]) + 1)
#define N_ROUTES (ACCESS_ROUTE__COUNT + 1)

/* Upper bounds in seconds: from half a millisecond (a cached read) to
 * seconds (a write waiting for the database lock). */
static const double bounds[] = { 0.0005, 0.001, 0.0025, 0.005, 0.01,
	                         0.025,  0.05,  0.1,    0.25,  0.5,
	                         1,      2.5,   5,      10 };
#define N_BUCKETS (sizeof(bounds) / sizeof(bounds[0]) + 1) /* + +Inf */

struct histogram {
	atomic_uint_fast64_t bucket[N_BUCKETS];
	atomic_uint_fast64_t sum_us;
	atomic_uint_fast64_t count;
};

struct metrics {
	atomic_uint_fast64_t requests[N_ROUTES][N_STATUS];
	struct histogram latency[N_ROUTES];
	struct histogram decision;
};

struct metrics *metrics_new(void)
{
	struct metrics *m = xcalloc(1, sizeof(*m));
	return m;
}

void metrics_free(struct metrics *m)
{
	free(m);
}

static size_t status_index(int status)
{
	for (size_t i = 0; i + 1 < N_STATUS; i++)
		if (statuses[i] == status)
			return i;
	return N_STATUS - 1;
}

static void observe(struct histogram *h, int64_t ns)
{
	double s = (double)ns / 1e9;
	size_t b = 0;
	while (b + 1 < N_BUCKETS && s > bounds[b])
		b++;
	atomic_fetch_add_explicit(&h->bucket[b], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&h->sum_us, (uint_fast64_t)(ns / 1000),
	                          memory_order_relaxed);
	atomic_fetch_add_explicit(&h->count, 1, memory_order_relaxed);
}

void metrics_request(struct metrics *m, unsigned route, int status,
                     int64_t duration_ns, bool timed)
{
	if (route >= N_ROUTES)
		route = METRICS_UNMATCHED;
	atomic_fetch_add_explicit(&m->requests[route][status_index(status)], 1,
	                          memory_order_relaxed);
	if (timed)
		observe(&m->latency[route], duration_ns < 0 ? 0 : duration_ns);
}

void metrics_decision(struct metrics *m, int64_t duration_ns)
{
	observe(&m->decision, duration_ns < 0 ? 0 : duration_ns);
}

static uint64_t load(atomic_uint_fast64_t *a)
{
	return (uint64_t)atomic_load_explicit(a, memory_order_relaxed);
}

static const char *route_label(unsigned r)
{
	return r == METRICS_UNMATCHED
	           ? "unmatched"
	           : access_route_pattern((enum access_route)r);
}

static const char *method_label(unsigned r)
{
	return r == METRICS_UNMATCHED
	           ? ""
	           : access_route_method((enum access_route)r);
}

/* Writes one histogram's series; `labels` are the series' own labels
 * followed by a comma, or "". */
static void render_histogram(struct buf *out, const char *name,
                             const char *labels, struct histogram *h)
{
	uint64_t cum = 0;
	for (size_t b = 0; b < N_BUCKETS; b++) {
		cum += load(&h->bucket[b]);
		if (b + 1 < N_BUCKETS)
			buf_printf(out, "%s_bucket{%sle=\"%g\"} %llu\n", name,
			           labels, bounds[b], (unsigned long long)cum);
		else
			buf_printf(out, "%s_bucket{%sle=\"+Inf\"} %llu\n", name,
			           labels, (unsigned long long)cum);
	}
	const char *plain = labels[0] ? labels : "";
	char trimmed[256];
	/* The labels without their trailing comma, for _sum and _count. */
	size_t len = 0;
	while (plain[len] && len + 1 < sizeof(trimmed)) {
		trimmed[len] = plain[len];
		len++;
	}
	if (len && trimmed[len - 1] == ',')
		len--;
	trimmed[len] = '\0';
	buf_printf(out, "%s_sum%s%s%s %.6f\n", name, len ? "{" : "", trimmed,
	           len ? "}" : "", (double)load(&h->sum_us) / 1e6);
	buf_printf(out, "%s_count%s%s%s %llu\n", name, len ? "{" : "", trimmed,
	           len ? "}" : "", (unsigned long long)load(&h->count));
}

void metrics_render(struct metrics *m, const int64_t *open, struct buf *out)
{
	buf_puts(out, "# HELP htd_http_requests_total HTTP requests answered, "
	              "by route and status.\n"
	              "# TYPE htd_http_requests_total counter\n");
	for (unsigned r = 0; r < N_ROUTES; r++) {
		for (size_t s = 0; s < N_STATUS; s++) {
			uint64_t v = load(&m->requests[r][s]);
			if (v == 0)
				continue;
			char status[8] = "other";
			if (s + 1 < N_STATUS)
				buf_printf(
				    out,
				    "htd_http_requests_total{method=\"%s\","
				    "route=\"%s\",status=\"%d\"} %llu\n",
				    method_label(r), route_label(r),
				    statuses[s], (unsigned long long)v);
			else
				buf_printf(
				    out,
				    "htd_http_requests_total{method=\"%s\","
				    "route=\"%s\",status=\"%s\"} %llu\n",
				    method_label(r), route_label(r), status,
				    (unsigned long long)v);
		}
	}
	buf_puts(out, "# HELP htd_http_request_duration_seconds Time from a "
	              "request's first byte to its response, by route.\n"
	              "# TYPE htd_http_request_duration_seconds histogram\n");
	for (unsigned r = 0; r < N_ROUTES; r++) {
		if (load(&m->latency[r].count) == 0)
			continue;
		char labels[192];
		str_format(labels, sizeof(labels),
		           "method=\"%s\",route=\"%s\",", method_label(r),
		           route_label(r));
		render_histogram(out, "htd_http_request_duration_seconds",
		                 labels, &m->latency[r]);
	}
	buf_puts(out, "# HELP htd_decision_seconds Time to store a change to a "
	              "call with the protocol's new decision.\n"
	              "# TYPE htd_decision_seconds histogram\n");
	render_histogram(out, "htd_decision_seconds", "", &m->decision);
	if (!open)
		return;
	buf_puts(out, "# HELP htd_calls_open Calls open now, by category.\n"
	              "# TYPE htd_calls_open gauge\n");
	for (int c = 0; c < CALL_CATEGORY__COUNT; c++)
		buf_printf(out, "htd_calls_open{category=\"%s\"} %lld\n",
		           call_category_name((enum call_category)c),
		           (long long)open[c]);
}
