/*
 * fuzz.h - what every libFuzzer driver in fuzz/ shares: the entry point's
 * prototype (-Wmissing-prototypes), a bounded, NUL-terminated copy of the
 * input, since the parsers under test take C strings, and the report of a
 * broken property that carries a struct htd_error.
 */
#ifndef HTD_FUZZ_FUZZ_H
#define HTD_FUZZ_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"
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

/* Prints "DRIVER: WHAT" and, when `e` is given, the error with its place
 * (file:line:column) and field, then aborts so that libFuzzer keeps the
 * input. */
static inline void fuzz_fail_error(const char *driver, const char *what,
                                   const struct htd_error *e)
{
	fprintf(stderr, "%s: %s\n", driver, what);
	if (e)
		fprintf(stderr, "error: %s:%d:%d: %s%s%s\n", e->file, e->line,
		        e->column, e->field, e->field[0] ? ": " : "",
		        e->message);
	abort();
}

#endif
