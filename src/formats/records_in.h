/*
 * records_in.h - reads the agency's records (core/record.h) from the two
 * documented import formats (docs/import.md): CSV (RFC 4180) with a header
 * row, and JSON Lines. A stream is read a record at a time, in bounded
 * memory, so an import of millions of records never holds the file: the
 * importer (records/import.h) decides what to do with each record and
 * each rejected line.
 *
 * Every problem of a line is reported with the file, the line where its
 * record begins, the field at fault (when there is one) and why; the
 * reader then goes on with the next record. Only a problem of the whole
 * file (its header, a read error) stops it.
 *
 * Ownership: a reader borrows its FILE and strings; free it with
 * records_reader_free(). A record read is the caller's (record_free()).
 */
#ifndef HTD_FORMATS_RECORDS_IN_H
#define HTD_FORMATS_RECORDS_IN_H

#include <stdint.h>
#include <stdio.h>

#include "core/record.h"
#include "util/error.h"

/* X(ENUM, name, file name extension) */
#define RECORDS_FORMATS(X)    \
	X(CSV, "csv", ".csv") \
	X(JSONL, "jsonl", ".jsonl")

enum records_format {
/* An X-macro expansion is a list: */
/* clang-format off */
#define RECORDS_FORMAT_ENUM(e, n, x) RECORDS_##e,
	RECORDS_FORMATS(RECORDS_FORMAT_ENUM)
#undef RECORDS_FORMAT_ENUM
	RECORDS_FORMAT__COUNT
	/* clang-format on */
};

/* Returns "csv" or "jsonl"; "unknown" out of range. */
const char *records_format_name(enum records_format f);
/* Parses "csv" or "jsonl"; false, *out untouched, for anything else. */
bool records_format_parse(const char *s, enum records_format *out);
/* The format a file name says by its extension (".csv", ".jsonl", also
 * ".ndjson"; any case); false when it says none. */
bool records_format_of_path(const char *path, enum records_format *out);

/* Longest record, in bytes of the file: a JSON line without its line
 * end, a CSV record with all the lines its quoted fields span. */
#define RECORDS_LINE_MAX ((size_t)1024 * 1024)
/* Most columns of a CSV header. */
#define RECORDS_COLUMNS_MAX 64

/* The columns and keys beside the field names of core/record.h. */
#define RECORDS_COLUMN_SOURCE_ID "source_id"
#define RECORDS_COLUMN_SEALED "sealed"

struct records_reader;

/*
 * Starts reading `in` (borrowed; read from where it is) as `format`
 * records of `kind` from `source` (record_set_source() rules; borrowed).
 * `file` names the input in messages ("-" for standard input). A CSV
 * header is read by the first records_reader_next(). HTD_ERR_INVALID
 * (field "source") for a bad source.
 */
enum htd_err records_reader_new(FILE *in, const char *file,
                                enum records_format format,
                                enum record_kind kind, const char *source,
                                struct records_reader **out,
                                struct htd_error *err);

enum records_read {
	RECORDS_READ_RECORD, /* *out holds a complete record */
	RECORDS_READ_BAD,    /* a rejected record: *err says where and why;
	                      * call again for the next one */
	RECORDS_READ_END,    /* no more records */
	RECORDS_READ_FATAL,  /* the file cannot be read on (a bad header, a
	                      * read error): *err says why; every later call
	                      * says the same */
};

/*
 * Reads the next record into `out` (initialised here; free it with
 * record_free() after RECORDS_READ_RECORD; nothing to free otherwise).
 * `err` (required) gets file, line, field and reason for BAD and FATAL:
 *   HTD_ERR_TOO_LARGE  a record over RECORDS_LINE_MAX, a value over its
 *                      limit (core/record.h)
 *   HTD_ERR_PARSE      CSV quoting, JSON syntax, a NUL byte
 *   HTD_ERR_INVALID    wrong columns or keys, a wrong number of fields,
 *                      a value record_set() refuses (bad UTF-8, control
 *                      characters, a bad date), an incomplete record
 *   HTD_ERR_IO         a read error (FATAL)
 */
enum records_read records_reader_next(struct records_reader *rd,
                                      struct record *out,
                                      struct htd_error *err);

/* Bytes of the input consumed so far (for a progress bar). */
uint64_t records_reader_offset(const struct records_reader *rd);

/* Frees the reader (not its FILE); accepts NULL. */
void records_reader_free(struct records_reader *rd);

#endif
