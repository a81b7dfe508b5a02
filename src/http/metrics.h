/*
 * metrics.h - what `GET /metrics` reports, in the Prometheus text format
 * 0.0.4: requests by route and status, request latency per route, decision
 * time, and (given by the caller at render time) open calls by category.
 * Updated with relaxed atomics: no lock on the request path.
 */
#ifndef HTD_HTTP_METRICS_H
#define HTD_HTTP_METRICS_H

#include <stdbool.h>
#include <stdint.h>

#include "core/access.h"
#include "core/call.h"
#include "util/buf.h"

/* The route index of requests that matched no route. */
#define METRICS_UNMATCHED ACCESS_ROUTE__COUNT

struct metrics; /* opaque */

/* Returns new, zeroed metrics (free with metrics_free()); never NULL. */
struct metrics *metrics_new(void);
void metrics_free(struct metrics *m); /* accepts NULL */

/* Counts one finished request: `route` an enum access_route or
 * METRICS_UNMATCHED, its status, and how long it took (`timed` false for
 * streams, whose length says nothing about the server). */
void metrics_request(struct metrics *m, unsigned route, int status,
                     int64_t duration_ns, bool timed);

/* Counts one change that was decided (stored with its new decision). */
void metrics_decision(struct metrics *m, int64_t duration_ns);

/* Appends the text exposition to `out`. `open` holds the open calls per
 * category; NULL when they could not be counted (then left out). */
void metrics_render(struct metrics *m, const int64_t *open, struct buf *out);

#endif
