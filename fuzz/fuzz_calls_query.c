/*
 * fuzz_calls_query.c - fuzzes calls_query_parse(), which turns the filters
 * of a call list (command-line options or an HTTP query string) into a
 * struct call_filter. Pure: no store is involved.
 *
 * Input: up to six lines, in order status, category, since, until, limit,
 * after; a missing or empty line leaves that field NULL (not given).
 * Properties: it never crashes; a rejection names one of the six fields; an
 * accepted query gives a limit of 0 (default) or 1..CALL_LIST_MAX, known
 * status and category values set only when given, times not before 1970
 * with until later than since, and an "after" cursor that is "" when not
 * given and otherwise a canonical call id.
 */
#include <stdio.h>
#include <stdlib.h>

#include "fuzz/fuzz.h"
#include "service/calls.h"

#define FUZZ_QUERY_FIELDS 6

static void fail(const char *what, const char *const *fields)
{
	static const char *const names[FUZZ_QUERY_FIELDS] = {
		"status", "category", "since", "until", "limit", "after"
	};
	fprintf(stderr, "calls_query: %s\n", what);
	for (int i = 0; i < FUZZ_QUERY_FIELDS; i++)
		fprintf(stderr, "  %s: %s%s%s\n", names[i],
		        fields[i] ? "'" : "", fields[i] ? fields[i] : "NULL",
		        fields[i] ? "'" : "");
	abort();
}

static bool field_known(const char *field)
{
	static const char *const names[] = { "status", "category", "since",
		                             "until",  "limit",    "after" };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(field, names[i]) == 0)
			return true;
	return false;
}

static void check_accepted(const struct call_filter *f,
                           const char *const *fields)
{
	if (f->limit > CALL_LIST_MAX)
		fail("limit out of range", fields);
	if (f->by_status != (fields[0] != NULL) ||
	    (unsigned)f->status >= CALL_STATUS__COUNT)
		fail("status filter does not match the query", fields);
	if (f->by_category != (fields[1] != NULL) ||
	    (unsigned)f->category >= CALL_CATEGORY__COUNT)
		fail("category filter does not match the query", fields);
	if (f->since_ms < 0 || f->until_ms < 0)
		fail("a time before 1970 was accepted", fields);
	if (f->since_ms && f->until_ms && f->until_ms <= f->since_ms)
		fail("until is not later than since", fields);
	if (memchr(f->after, '\0', sizeof(f->after)) == NULL)
		fail("after is not NUL-terminated", fields);
	if (!fields[5]) {
		if (f->after[0] != '\0')
			fail("after is set but was not given", fields);
		return;
	}
	int year;
	int64_t seq;
	char canonical[CALL_REF_MAX];
	if (!call_ref_parse(f->after, &year, &seq) ||
	    !call_ref_format(year, seq, canonical, sizeof(canonical)) ||
	    strcmp(canonical, f->after) != 0)
		fail("after is not a canonical call id", fields);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_input_copy(data, size);
	const char *fields[FUZZ_QUERY_FIELDS] = { 0 };
	struct calls_query q;
	struct call_filter f;
	struct htd_error err;

	if (!text)
		return 0;
	char *line = text;
	for (int i = 0; i < FUZZ_QUERY_FIELDS && line; i++) {
		char *nl = memchr(line, '\n', strlen(line));
		if (nl)
			*nl = '\0';
		fields[i] = line[0] ? line : NULL;
		line = nl ? nl + 1 : NULL;
	}
	q.status = fields[0];
	q.category = fields[1];
	q.since = fields[2];
	q.until = fields[3];
	q.limit = fields[4];
	q.after = fields[5];

	htd_error_clear(&err);
	if (calls_query_parse(&q, &f, &err) == HTD_OK) {
		check_accepted(&f, fields);
	} else if (err.code == HTD_OK || !field_known(err.field) ||
	           err.message[0] == '\0') {
		fail("a rejection does not name a field of the query", fields);
	}
	/* Without an error to fill in it must not crash either. */
	calls_query_parse(&q, &f, NULL);
	free(text);
	return 0;
}
