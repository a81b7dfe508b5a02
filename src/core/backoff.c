/*
 * backoff.c - exponential back-off with full jitter (backoff.h). The cap
 * doubles by comparison against max_ms / 2, never by shifting, so no
 * attempt number can overflow it.
 */
#include "core/backoff.h"

int64_t backoff_cap_ms(int attempt, int64_t first_ms, int64_t max_ms)
{
	int64_t cap;

	if (max_ms < 0)
		max_ms = 0;
	cap = first_ms < 0 ? 0 : first_ms;
	if (cap > max_ms)
		cap = max_ms;
	for (int i = 1; i < attempt && cap > 0 && cap < max_ms; i++)
		cap = cap > max_ms / 2 ? max_ms : cap * 2;
	return cap;
}

int64_t backoff_delay_ms(int attempt, int64_t first_ms, int64_t max_ms,
                         uint64_t random)
{
	int64_t cap = backoff_cap_ms(attempt, first_ms, max_ms);
	/* cap + 1 fits: cap is at most INT64_MAX. */
	return (int64_t)(random % ((uint64_t)cap + 1));
}
