/*
 * fuzz_records_query.c - fuzzes the records search query (records/query.c):
 * the text a person types into `htdispatch search` or POST /api/v1/search.
 *
 * Input: byte 0 picks the record kind, the rest up to the first NUL is the
 * query. Properties: never a crash or leak; an accepted query has its
 * source "query" and at least one field besides notes, every field passes
 * record_set() again unchanged (trimmed, UTF-8, within its cap), and only
 * fields its kind has; a refusal is invalid or too_large (too_large exactly
 * over QUERY_TEXT_MAX) with a message.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/record.h"
#include "fuzz/fuzz.h"
#include "records/query.h"

static void fail(const char *what, const char *q)
{
	fprintf(stderr, "records query: %s\nquery: '%.200s'\n", what, q);
	abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	enum record_kind kind =
	    (enum record_kind)(data[0] % RECORD_KIND__COUNT);
	char *q = fuzz_input_copy(data + 1, size - 1);
	if (!q)
		return 0;
	struct record r;
	struct htd_error err;
	enum htd_err rc = records_query_parse(q, kind, &r, &err);
	size_t len = strlen(q);
	if (rc == HTD_OK) {
		if (strcmp(r.source, "query") != 0)
			fail("accepted without its source", q);
		bool any = false;
		for (int f = 0; f < RECORD_FIELD__COUNT; f++) {
			if (!r.field[f])
				continue;
			if (!record_field_allowed(kind, (enum record_field)f))
				fail("a field the kind does not have", q);
			any |= f != RECORD_F_NOTES;
			struct record again;
			record_init(&again, kind);
			if (record_set(&again, (enum record_field)f, r.field[f],
			               NULL) != HTD_OK ||
			    !again.field[f] ||
			    strcmp(again.field[f], r.field[f]) != 0)
				fail("a field that does not pass record_set",
				     q);
			record_free(&again);
		}
		if (!any)
			fail("accepted with nothing to search for", q);
	} else {
		if (rc != HTD_ERR_INVALID && rc != HTD_ERR_TOO_LARGE)
			fail("an unexpected error code", q);
		if ((rc == HTD_ERR_TOO_LARGE) != (len > QUERY_TEXT_MAX))
			fail("too_large does not match the length", q);
		if (!err.message[0])
			fail("a refusal without a message", q);
	}
	record_free(&r);
	free(q);
	return 0;
}
