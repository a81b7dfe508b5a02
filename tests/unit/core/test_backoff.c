/*
 * test_backoff.c - unit tests of core/backoff.c: the cap doubles from the
 * first delay up to the maximum, the delay stays within [0, cap] for any
 * randomness, spreads over it, and nothing overflows however many attempts
 * (60, 1000, INT_MAX) or however large the delays.
 */
#include <criterion/criterion.h>
#include <limits.h>
#include <stdint.h>

#include "core/backoff.h"

/* splitmix64: a stream of test randomness, the same on every run. */
static uint64_t next_random(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

Test(backoff, the_cap_doubles_to_the_maximum)
{
	static const int64_t want[] = {
		5000,   10000,  20000,  40000,  80000,
		160000, 320000, 600000, 600000, 600000
	};
	for (int a = 1; a <= 10; a++)
		cr_assert_eq(backoff_cap_ms(a, 5000, 600000), want[a - 1],
		             "attempt %d", a);
	/* Attempts below 1 count as the first. */
	cr_assert_eq(backoff_cap_ms(0, 5000, 600000), 5000);
	cr_assert_eq(backoff_cap_ms(-7, 5000, 600000), 5000);
	cr_assert_eq(backoff_cap_ms(INT_MIN, 5000, 600000), 5000);
	/* first above max, negatives, zero. */
	cr_assert_eq(backoff_cap_ms(1, 9000, 600), 600);
	cr_assert_eq(backoff_cap_ms(3, -5, 600), 0);
	cr_assert_eq(backoff_cap_ms(3, 5, -600), 0);
	cr_assert_eq(backoff_cap_ms(3, 0, 600), 0);
}

Test(backoff, bounds_inclusive)
{
	/* random picks the point: 0 .. cap, then wraps. */
	cr_assert_eq(backoff_delay_ms(1, 5000, 600000, 0), 0);
	cr_assert_eq(backoff_delay_ms(1, 5000, 600000, 5000), 5000);
	cr_assert_eq(backoff_delay_ms(1, 5000, 600000, 5001), 0);
	cr_assert_eq(backoff_delay_ms(2, 5000, 600000, 10000), 10000);
	cr_assert_eq(backoff_delay_ms(9, 5000, 600000, 600000), 600000);
	cr_assert_eq(backoff_delay_ms(9, 5000, 600000, 600001), 0);
	cr_assert_eq(backoff_delay_ms(3, 0, 600000, UINT64_MAX), 0);

	uint64_t state = 42;
	for (int a = 1; a <= 20; a++) {
		int64_t cap = backoff_cap_ms(a, 5000, 600000);
		for (int i = 0; i < 2000; i++) {
			int64_t d = backoff_delay_ms(a, 5000, 600000,
			                             next_random(&state));
			cr_assert(d >= 0 && d <= cap, "attempt %d: %lld", a,
			          (long long)d);
		}
	}
}

Test(backoff, full_jitter_spreads)
{
	/* Uniform over [0, cap]: the mean is near cap / 2, and both ends
	 * of the range are reached. */
	uint64_t state = 7;
	const int n = 100000;
	double sum = 0;
	int64_t lo = INT64_MAX, hi = 0;
	for (int i = 0; i < n; i++) {
		int64_t d =
		    backoff_delay_ms(4, 5000, 600000, next_random(&state));
		sum += (double)d;
		lo = d < lo ? d : lo;
		hi = d > hi ? d : hi;
	}
	double mean = sum / n;
	cr_assert(mean > 19000 && mean < 21000, "mean %f", mean);
	cr_assert_lt(lo, 100);
	cr_assert_gt(hi, 39900);
}

Test(backoff, no_overflow)
{
	/* Attempt 60 with the defaults: 5000 * 2^59 would overflow int64. */
	cr_assert_eq(backoff_cap_ms(60, 5000, 600000), 600000);
	cr_assert_leq(backoff_delay_ms(60, 5000, 600000, UINT64_MAX), 600000);
	cr_assert_eq(backoff_cap_ms(1000, 5000, 600000), 600000);
	cr_assert_eq(backoff_cap_ms(INT_MAX, 5000, 600000), 600000);
	cr_assert_eq(backoff_cap_ms(INT_MAX, 0, 600000), 0);

	/* With no maximum to speak of, the cap saturates at INT64_MAX. */
	cr_assert_eq(backoff_cap_ms(60, 5000, INT64_MAX), INT64_MAX);
	cr_assert_eq(backoff_cap_ms(64, 1, INT64_MAX), INT64_MAX);
	cr_assert_eq(backoff_cap_ms(63, 1, INT64_MAX), (int64_t)1 << 62);
	cr_assert_eq(backoff_cap_ms(2, INT64_MAX / 2 + 1, INT64_MAX),
	             INT64_MAX);
	cr_assert_eq(backoff_cap_ms(INT_MAX, INT64_MAX, INT64_MAX), INT64_MAX);
	int64_t d = backoff_delay_ms(60, 5000, INT64_MAX, UINT64_MAX);
	cr_assert(d >= 0, "%lld", (long long)d);
	cr_assert_eq(backoff_delay_ms(60, 5000, INT64_MAX, UINT64_MAX >> 1),
	             INT64_MAX);
	cr_assert_eq(backoff_delay_ms(60, 5000, INT64_MAX, (uint64_t)1 << 63),
	             0);
}
