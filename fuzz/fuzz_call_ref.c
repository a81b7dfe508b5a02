/*
 * fuzz_call_ref.c - fuzzes call_ref_parse(), which reads call ids as a
 * dispatcher types them ("HT-2026-000123", "ht-2026-123").
 *
 * Property: when the parser accepts, call_ref_format() of the parts must
 * succeed within CALL_REF_MAX and parse back to the same year and sequence
 * number (the canonical id is a fixed point). Any difference aborts.
 */
#include <stdio.h>
#include <stdlib.h>

#include "core/call.h"
#include "fuzz/fuzz.h"

static void check_round_trip(const char *input, int year, int64_t seq)
{
	char ref[CALL_REF_MAX];
	char again[CALL_REF_MAX];
	int year2;
	int64_t seq2;

	if (!call_ref_format(year, seq, ref, sizeof(ref))) {
		fprintf(stderr,
		        "'%s' parsed to %d/%lld, which does not "
		        "format\n",
		        input, year, (long long)seq);
		abort();
	}
	if (!call_ref_parse(ref, &year2, &seq2) || year2 != year ||
	    seq2 != seq) {
		fprintf(stderr, "'%s' -> %d/%lld -> '%s' does not parse back\n",
		        input, year, (long long)seq, ref);
		abort();
	}
	if (!call_ref_format(year2, seq2, again, sizeof(again)) ||
	    strcmp(again, ref) != 0) {
		fprintf(stderr, "canonical id '%s' is not stable ('%s')\n", ref,
		        again);
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_input_copy(data, size);
	int year = 0;
	int64_t seq = 0;

	if (!s)
		return 0;
	if (call_ref_parse(s, &year, &seq))
		check_round_trip(s, year, seq);
	free(s);
	return 0;
}
