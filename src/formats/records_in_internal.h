/*
 * records_in_internal.h - what the CSV and JSON Lines readers of
 * records_in.h share: the reader, its bounded byte input, and the setting
 * of one named value into a record with the error a user can act on.
 * Not a public header.
 */
#ifndef HTD_FORMATS_RECORDS_IN_INTERNAL_H
#define HTD_FORMATS_RECORDS_IN_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "formats/records_in.h"

/* What a CSV column holds. */
enum records_column {
	RECORDS_COL_FIELD,
	RECORDS_COL_SOURCE_ID,
	RECORDS_COL_SEALED,
};

struct records_reader {
	FILE *in;
	const char *file;
	enum records_format format;
	enum record_kind kind;
	const char *source;
	uint64_t offset; /* bytes consumed */
	int line;        /* 1-based line of the next byte */
	bool at_start;   /* nothing read yet (a byte order mark may come) */
	unsigned char pending[3]; /* read while looking for the mark */
	int n_pending, next_pending;
	bool failed; /* FATAL once: `fatal` says why */
	struct htd_error fatal;
	/* The current record's text: values NUL-separated (CSV), or the
	 * line (JSON Lines); at most RECORDS_LINE_MAX bytes. */
	char *text;
	size_t len;
	/* CSV: the header, and where each value of a record starts. */
	bool have_header;
	size_t n_columns;
	enum records_column column[RECORDS_COLUMNS_MAX];
	enum record_field field[RECORDS_COLUMNS_MAX];
	size_t value_at[RECORDS_COLUMNS_MAX];
};

/* The next byte, or EOF; counts offset and lines. */
static inline int records_in_getc(struct records_reader *rd)
{
	int c;
	if (rd->next_pending < rd->n_pending) {
		c = rd->pending[rd->next_pending++];
	} else {
		/* Emptied: a byte put back now is one from the stream. */
		rd->n_pending = rd->next_pending = 0;
		c = getc_unlocked(rd->in);
	}
	if (c != EOF) {
		rd->offset++;
		if (c == '\n')
			rd->line++;
	}
	return c;
}

/* Skips a UTF-8 byte order mark at the very start of the input. */
void records_in_skip_bom(struct records_reader *rd);

/* EOF: FATAL when it was a read error (fills rd->fatal). */
bool records_in_read_error(struct records_reader *rd);

/* Sets the `len` bytes at `value` (not NUL-terminated) as the record's
 * field `f`, source_id or sealed flag. `name` is the column or key. On
 * error fills `err` with the line and field. */
enum htd_err records_in_set(struct records_reader *rd, struct record *r,
                            enum records_column col, enum record_field f,
                            const char *value, size_t len, int line,
                            struct htd_error *err);

/* Copies `name` into `out` for a message: at most 40 bytes, anything but
 * printable ASCII shown as '?'. */
void records_in_printable(const char *name, size_t len, char *out, size_t size);

/* The error of line `line` (file set), naming `field` (may be NULL). */
enum records_read records_in_bad(struct records_reader *rd, int line,
                                 const char *field, enum htd_err code,
                                 struct htd_error *err, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

enum records_read records_csv_next(struct records_reader *rd,
                                   struct record *out, struct htd_error *err);
enum records_read records_jsonl_next(struct records_reader *rd,
                                     struct record *out, struct htd_error *err);

#endif
