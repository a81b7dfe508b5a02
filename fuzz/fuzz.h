/*
 * fuzz.h - what every libFuzzer driver in fuzz/ shares: the entry point's
 * prototype (-Wmissing-prototypes) and a bounded, NUL-terminated copy of the
 * input, since the parsers under test take C strings.
 */
#ifndef HTD_FUZZ_FUZZ_H
#define HTD_FUZZ_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "util/mem.h"

/* Inputs larger than this are ignored: every parser here caps its input
 * well below it (EVENT_PAYLOAD_MAX is 64 KiB), so larger ones only slow the
 * fuzzer down. */
#define FUZZ_INPUT_MAX (64 * 1024)

/* Called by libFuzzer once per input; returns 0 (the input is kept or not by
 * coverage alone). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Returns an owned, NUL-terminated copy of the input (free with free()), or
 * NULL when it is larger than FUZZ_INPUT_MAX. Embedded NULs stay; a C-string
 * parser sees the text up to the first one. */
static inline char *fuzz_input_copy(const uint8_t *data, size_t size)
{
	if (size > FUZZ_INPUT_MAX)
		return NULL;
	char *s = xmalloc(size + 1);
	if (size)
		memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

#endif
