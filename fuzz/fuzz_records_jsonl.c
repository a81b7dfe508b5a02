/*
 * fuzz_records_jsonl.c - fuzzes the record reader for JSONL imports
 * (formats/records_jsonl.c), which reads files an agency exports from its
 * records system: bytes in, records and rejections out.
 *
 * The first byte picks the kind of record; the rest is the file.
 * Properties: never a crash, leak or endless loop (a file of N bytes gives
 * at most N + 1 results); every record read is complete (record_validate),
 * of the kind asked, from source "rms"; every rejection names the file, a
 * line >= 1 that never goes back and is within the file, a code and a
 * message; a fatal error stays fatal; the bytes consumed never exceed the
 * input.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/records_in.h"
#include "fuzz/fuzz.h"
#include "util/str.h"

static void fail(const char *what, const struct htd_error *e)
{
	fprintf(stderr, "records_jsonl: %s\n", what);
	if (e)
		fprintf(stderr, "error: %s:%d: %s: %s\n", e->file, e->line,
		        e->field, e->message);
	abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
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
	if (records_reader_new(in, "fuzz.jsonl", RECORDS_JSONL, kind, "rms",
	                       &rd, &err) != HTD_OK)
		fail("a good source is refused", &err);
	int last_line = 0;
	for (size_t results = 0;; results++) {
		if (results > size + 1)
			fail("more results than bytes: an endless loop", NULL);
		struct record r;
		enum records_read got = records_reader_next(rd, &r, &err);
		if (got == RECORDS_READ_END)
			break;
		if (got == RECORDS_READ_RECORD) {
			if (r.kind != kind || !str_eq(r.source, "rms"))
				fail("a record of another kind or source",
				     NULL);
			if (record_validate(&r, &err) != HTD_OK)
				fail("an incomplete record", &err);
			record_free(&r);
			continue;
		}
		if (!str_eq(err.file, "fuzz.jsonl") || err.line < 1 ||
		    err.line > lines || err.code == HTD_OK || !err.message[0])
			fail("a rejection without file, line or reason", &err);
		if (got == RECORDS_READ_FATAL) {
			if (records_reader_next(rd, &r, &err) !=
			    RECORDS_READ_FATAL)
				fail("a fatal error did not stay", &err);
			break;
		}
		if (err.line < last_line)
			fail("rejections went back in the file", &err);
		last_line = err.line;
	}
	if (records_reader_offset(rd) > size)
		fail("more bytes consumed than given", NULL);
	records_reader_free(rd);
	fclose(in);
	return 0;
}
