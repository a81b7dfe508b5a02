/*
 * fuzz_time_parse.c - fuzzes time_parse(), which reads the dates and times
 * of --since/--until and query strings (local time, 'Z' or +HH:MM offsets).
 *
 * Properties: an accepted time is not before the epoch; when it falls before
 * the year 10000 (UTC), time_format_utc() must succeed, and its RFC 3339
 * text must parse back to the same millisecond. A rejection must say why.
 * Run under a time zone with daylight saving time (scripts/fuzz.sh sets
 * TZ=America/Chicago) so the local-time path meets gaps and overlaps.
 */
#include <stdio.h>
#include <stdlib.h>

#include "fuzz/fuzz.h"
#include "util/clock.h"

/* 9999-12-31T23:59:59.999Z, the last time time_format_utc() writes. */
#define FUZZ_TIME_MAX_MS INT64_C(253402300799999)

static void check_accepted(const char *input, int64_t ms)
{
	char text[TIME_TEXT_MAX];
	struct htd_error err;
	int64_t again = -1;

	if (ms < 0) {
		fprintf(stderr, "'%s' was accepted as %lld, before 1970\n",
		        input, (long long)ms);
		abort();
	}
	if (ms > FUZZ_TIME_MAX_MS)
		return; /* in the year 10000 UTC: nothing formats it */
	if (!time_format_utc(ms, text, sizeof(text))) {
		fprintf(stderr,
		        "'%s' was accepted as %lld, which does not "
		        "format\n",
		        input, (long long)ms);
		abort();
	}
	htd_error_clear(&err);
	if (time_parse(text, "fuzz", &again, &err) != HTD_OK || again != ms) {
		fprintf(stderr, "'%s' -> %lld -> '%s' -> %lld (%s)\n", input,
		        (long long)ms, text, (long long)again, err.message);
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_input_copy(data, size);
	struct htd_error err;
	int64_t ms = -1;

	if (!s)
		return 0;
	htd_error_clear(&err);
	enum htd_err rc = time_parse(s, "fuzz", &ms, &err);
	if (rc == HTD_OK) {
		check_accepted(s, ms);
	} else if (rc != HTD_ERR_INVALID || err.code != rc ||
	           err.message[0] == '\0') {
		fprintf(stderr, "'%s' was rejected with %s and no message\n", s,
		        htd_err_name(rc));
		abort();
	}
	free(s);
	return 0;
}
