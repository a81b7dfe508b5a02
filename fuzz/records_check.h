/*
 * records_check.h - the properties fuzz_records_csv.c and
 * fuzz_records_jsonl.c check of formats/records_in.h, written once: the two
 * drivers differ only in the format and the file name they give the reader.
 *
 * The first byte picks the kind of record; the rest is the file.
 * Properties: never a crash, leak or endless loop (a file of N bytes gives
 * at most N + 1 results); every record read is complete (record_validate),
 * of the kind asked, from source "rms"; every rejection names the file, a
 * line >= 1 that never goes back and is within the file, a code and a
 * message; a fatal error stays fatal; the bytes consumed never exceed the
 * input.
 */
#ifndef HTD_FUZZ_RECORDS_CHECK_H
#define HTD_FUZZ_RECORDS_CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/records_in.h"
#include "fuzz/fuzz.h"
#include "util/str.h"

/* Reads the input as a file `file` of `format` and checks the properties
 * above; aborts, naming `driver`, when one does not hold. Returns 0. */
static inline int records_check(const uint8_t *data, size_t size,
                                enum records_format format, const char *file,
                                const char *driver)
{
	if (size < 1 || size > FUZZ_INPUT_MAX)
		return 0;
	enum record_kind kind =
	    (enum record_kind)(data[0] % RECORD_KIND__COUNT);
	data++;
	size--;
	int lines = 1;
	for (size_t i = 0; i < size; i++)
		lines += data[i] == '\n';
	FILE *in = fmemopen(size ? (void *)data : (void *)"", size, "rb");
	if (!in)
		return 0;
	struct records_reader *rd = NULL;
	struct htd_error err;
	if (records_reader_new(in, file, format, kind, "rms", &rd, &err) !=
	    HTD_OK)
		fuzz_fail_error(driver, "a good source is refused", &err);
	int last_line = 0;
	for (size_t results = 0;; results++) {
		if (results > size + 1)
			fuzz_fail_error(
			    driver, "more results than bytes: an endless loop",
			    NULL);
		struct record r;
		enum records_read got = records_reader_next(rd, &r, &err);
		if (got == RECORDS_READ_END)
			break;
		if (got == RECORDS_READ_RECORD) {
			if (r.kind != kind || !str_eq(r.source, "rms"))
				fuzz_fail_error(
				    driver,
				    "a record of another kind or source", NULL);
			if (record_validate(&r, &err) != HTD_OK)
				fuzz_fail_error(driver, "an incomplete record",
				                &err);
			record_free(&r);
			continue;
		}
		if (!str_eq(err.file, file) || err.line < 1 ||
		    err.line > lines || err.code == HTD_OK || !err.message[0])
			fuzz_fail_error(
			    driver, "a rejection without file, line or reason",
			    &err);
		if (got == RECORDS_READ_FATAL) {
			if (records_reader_next(rd, &r, &err) !=
			    RECORDS_READ_FATAL)
				fuzz_fail_error(
				    driver, "a fatal error did not stay", &err);
			break;
		}
		if (err.line < last_line)
			fuzz_fail_error(
			    driver, "rejections went back in the file", &err);
		last_line = err.line;
	}
	if (records_reader_offset(rd) > size)
		fuzz_fail_error(driver, "more bytes consumed than given", NULL);
	records_reader_free(rd);
	fclose(in);
	return 0;
}

#endif
