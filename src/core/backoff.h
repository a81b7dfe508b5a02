/*
 * backoff.h - how long the outbox waits before the next attempt at a
 * notification: exponential back-off with full jitter (AWS Architecture
 * Blog, "Exponential Backoff and Jitter", 2015), so that many notices held
 * back by one receiver's outage do not all come back at the same moment.
 * Pure: the caller passes the randomness.
 */
#ifndef HTD_CORE_BACKOFF_H
#define HTD_CORE_BACKOFF_H

#include <stdint.h>

/*
 * Returns the delay before the next attempt, in milliseconds: uniform in
 * [0, min(max_ms, first_ms * 2^(attempt - 1))], picked by `random` (the
 * caller's 64 random bits; the modulo bias, at most cap / 2^64, is
 * negligible). `attempt` is the number of attempts made so far, from 1; below
 * 1 it counts as 1. Computed without overflow for any attempt. A negative
 * first_ms or max_ms counts as 0, and first_ms above max_ms as max_ms.
 * Cannot fail.
 */
int64_t backoff_delay_ms(int attempt, int64_t first_ms, int64_t max_ms,
                         uint64_t random);

/* The cap the delay of `attempt` is drawn below (inclusive), with the same
 * rules: min(max_ms, first_ms * 2^(attempt - 1)). */
int64_t backoff_cap_ms(int attempt, int64_t first_ms, int64_t max_ms);

#endif
