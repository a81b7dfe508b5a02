/*
 * clock.c - system and fixed clocks, time formatting and strict parsing.
 */
#include "util/clock.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static int64_t system_now_ms(void *ctx)
{
	(void)ctx;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const struct htd_clock system_clock = { system_now_ms, NULL };

const struct htd_clock *clock_system(void)
{
	return &system_clock;
}

static int64_t fixed_now_ms(void *ctx)
{
	return *(const int64_t *)ctx;
}

void clock_fixed(struct htd_clock *c, int64_t *ms)
{
	c->now_ms = fixed_now_ms;
	c->ctx = ms;
}

int64_t clock_now_ms(const struct htd_clock *c)
{
	if (!c)
		c = &system_clock;
	return c->now_ms(c->ctx);
}

/* Largest time we format: 9999-12-31T23:59:59.999Z. */
#define TIME_MAX_MS INT64_C(253402300799999)

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	if ((a % b != 0) && ((a < 0) != (b < 0)))
		q--;
	return q;
}

bool time_format_utc(int64_t ms, char *out, size_t size)
{
	if (ms < 0 || ms > TIME_MAX_MS)
		return false;
	time_t secs = (time_t)floor_div(ms, 1000);
	int millis = (int)(ms - (int64_t)secs * 1000);
	struct tm tm;
	if (!gmtime_r(&secs, &tm))
		return false;
	int n = snprintf(out, size, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
	                 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
	                 tm.tm_hour, tm.tm_min, tm.tm_sec, millis);
	return n > 0 && (size_t)n < size;
}

bool time_format_local(int64_t ms, char *out, size_t size)
{
	if (ms < 0 || ms > TIME_MAX_MS)
		return false;
	time_t secs = (time_t)floor_div(ms, 1000);
	struct tm tm;
	if (!localtime_r(&secs, &tm))
		return false;
	int n = snprintf(out, size, "%04d-%02d-%02d %02d:%02d:%02d",
	                 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
	                 tm.tm_hour, tm.tm_min, tm.tm_sec);
	return n > 0 && (size_t)n < size;
}

int time_local_year(int64_t ms)
{
	if (ms < 0 || ms > TIME_MAX_MS)
		return -1;
	time_t secs = (time_t)floor_div(ms, 1000);
	struct tm tm;
	if (!localtime_r(&secs, &tm))
		return -1;
	return tm.tm_year + 1900;
}

/* Reads exactly `n` digits at *p into *out and advances *p. */
static bool read_digits(const char **p, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		char c = (*p)[i];
		if (c < '0' || c > '9')
			return false;
		v = v * 10 + (c - '0');
	}
	*p += n;
	*out = v;
	return true;
}

static bool is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30,
		                    31, 31, 30, 31, 30, 31 };
	return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar. */
static int64_t days_from_civil(int y, int m, int d)
{
	y -= m <= 2;
	int64_t era = floor_div(y, 400);
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

enum htd_err time_parse(const char *s, const char *what, int64_t *ms_out,
                        struct htd_error *err)
{
	const char *p = s;
	int y, mo, d, h = 0, mi = 0, sec = 0, frac = 0;
	bool has_time = false, has_zone = false;
	int zone_min = 0;

	if (!what)
		what = "time";
	if (!s || strlen(s) > 40)
		goto bad;
	if (!read_digits(&p, 4, &y) || *p++ != '-' ||
	    !read_digits(&p, 2, &mo) || *p++ != '-' || !read_digits(&p, 2, &d))
		goto bad;
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo))
		return htd_error_field(err, HTD_ERR_INVALID, what,
		                       "%s: '%s' is not a real date", what, s);
	if (*p == 'T' || *p == 't' || *p == ' ') {
		p++;
		has_time = true;
		if (!read_digits(&p, 2, &h) || *p++ != ':' ||
		    !read_digits(&p, 2, &mi))
			goto bad;
		if (*p == ':') {
			p++;
			if (!read_digits(&p, 2, &sec))
				goto bad;
			if (*p == '.') {
				p++;
				int digits = 0;
				while (*p >= '0' && *p <= '9') {
					if (digits < 3)
						frac = frac * 10 + (*p - '0');
					digits++;
					p++;
				}
				if (digits == 0 || digits > 9)
					goto bad;
				for (; digits < 3; digits++)
					frac *= 10;
			}
		}
		if (h > 23 || mi > 59 || sec > 59)
			return htd_error_field(err, HTD_ERR_INVALID, what,
			                       "%s: '%s' is not a real time "
			                       "of day",
			                       what, s);
		if (*p == 'Z' || *p == 'z') {
			p++;
			has_zone = true;
		} else if (*p == '+' || *p == '-') {
			int sign = *p++ == '-' ? -1 : 1, zh, zm;
			if (!read_digits(&p, 2, &zh) || *p++ != ':' ||
			    !read_digits(&p, 2, &zm) || zh > 23 || zm > 59)
				goto bad;
			has_zone = true;
			zone_min = sign * (zh * 60 + zm);
		}
	}
	if (*p != '\0')
		goto bad;

	int64_t days = days_from_civil(y, mo, d);
	int64_t secs;
	if (has_zone) {
		secs = days * 86400 + h * 3600 + mi * 60 + sec -
		       (int64_t)zone_min * 60;
	} else {
		struct tm tm;
		memset(&tm, 0, sizeof(tm));
		tm.tm_year = y - 1900;
		tm.tm_mon = mo - 1;
		tm.tm_mday = d;
		tm.tm_hour = h;
		tm.tm_min = mi;
		tm.tm_sec = sec;
		tm.tm_isdst = -1;
		time_t t = mktime(&tm);
		if (t == (time_t)-1)
			goto bad;
		secs = (int64_t)t;
	}
	(void)has_time;
	if (secs < 0)
		return htd_error_field(err, HTD_ERR_INVALID, what,
		                       "%s: '%s' is before 1970", what, s);
	if (secs * 1000 + frac > TIME_MAX_MS)
		return htd_error_field(err, HTD_ERR_INVALID, what,
		                       "%s: '%s' is after the year 9999", what,
		                       s);
	*ms_out = secs * 1000 + frac;
	return HTD_OK;
bad:
	return htd_error_field(err, HTD_ERR_INVALID, what,
	                       "%s: '%s' is not a date or time; use "
	                       "YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS][Z|+HH:MM]",
	                       what, s ? s : "");
}
