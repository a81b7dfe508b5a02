/*
 * clock.h - an injectable clock and the time formats htdispatch reads and
 * writes.
 *
 * Nothing outside util/ and main reads the system clock: use cases take a
 * struct htd_clock, so tests run on fixed time. Times are milliseconds since
 * the Unix epoch, UTC, in an int64_t.
 */
#ifndef HTD_UTIL_CLOCK_H
#define HTD_UTIL_CLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

struct htd_clock {
	int64_t (*now_ms)(void *ctx);
	void *ctx;
};

/* Returns the real clock (CLOCK_REALTIME); a static object, never NULL. */
const struct htd_clock *clock_system(void);

/* Makes `c` a clock that always reads *ms (the caller may change *ms). */
void clock_fixed(struct htd_clock *c, int64_t *ms);

/* Returns the time of `c` in milliseconds since the epoch. */
int64_t clock_now_ms(const struct htd_clock *c);

/* Room for any time this module formats, NUL included. */
#define TIME_TEXT_MAX 40

/* Writes `ms` as RFC 3339 UTC with milliseconds: 2026-11-29T08:54:19.123Z.
 * Returns false when `ms` is out of range or `out` too small. */
bool time_format_utc(int64_t ms, char *out, size_t size);

/* Writes `ms` in local time for people: 2026-11-29 03:54:19. */
bool time_format_local(int64_t ms, char *out, size_t size);

/* Returns the year of `ms` in the local time zone (what a dispatcher reads
 * in a call id), or -1 when out of range. */
int time_local_year(int64_t ms);

/*
 * Parses a date or time given on a command line or in a query:
 *   YYYY-MM-DD                         local midnight of that day
 *   YYYY-MM-DDTHH:MM[:SS[.fff]]        local time ('T' or ' ')
 *   ... followed by Z or +HH:MM/-HH:MM UTC or that offset
 * Years 1970..9999. Fails with HTD_ERR_INVALID and a message saying what is
 * wrong. `what` names the value in the message (e.g. "--since").
 */
enum htd_err time_parse(const char *s, const char *what, int64_t *ms_out,
                        struct htd_error *err);

#endif
