/*
 * records_csv.c - records from CSV (RFC 4180; docs/import.md): a header
 * row naming the columns, then one record per row. Quoted values may hold
 * commas, doubled quotes and line breaks; lines end in LF or CRLF; a UTF-8
 * byte order mark is skipped. The scanner is a small state machine over
 * the bytes, storing at most RECORDS_LINE_MAX of a record: a record that
 * is too long, or badly quoted, is scanned to its end and reported, never
 * held.
 */
#include <string.h>

#include "formats/records_in_internal.h"
#include "util/str.h"

enum scan_problem {
	SCAN_FINE,
	SCAN_TOO_LARGE,
	SCAN_TOO_MANY,
	SCAN_QUOTE,
	SCAN_AFTER_QUOTE,
	SCAN_UNCLOSED,
};

struct scan {
	int line; /* where the record begins */
	size_t n_values;
	bool blank;
	enum scan_problem problem;
	int problem_line;
};

/* Puts back the byte just read (one at most). A byte read from the
 * pending ones is still there: step back over it. */
static void unget(struct records_reader *rd, int c)
{
	if (rd->next_pending > 0) {
		rd->next_pending--;
	} else {
		rd->pending[0] = (unsigned char)c;
		rd->n_pending = 1;
		rd->next_pending = 0;
	}
	rd->offset--;
	if (c == '\n')
		rd->line--;
}

static void problem(struct records_reader *rd, struct scan *sc,
                    enum scan_problem p)
{
	if (sc->problem)
		return;
	sc->problem = p;
	sc->problem_line = rd->line;
}

static void store(struct records_reader *rd, struct scan *sc, char c)
{
	if (sc->problem)
		return;
	if (rd->len >= RECORDS_LINE_MAX) {
		problem(rd, sc, SCAN_TOO_LARGE);
		return;
	}
	rd->text[rd->len++] = c;
}

static void value_start(struct records_reader *rd, struct scan *sc)
{
	if (sc->n_values >= RECORDS_COLUMNS_MAX)
		problem(rd, sc, SCAN_TOO_MANY);
	else
		rd->value_at[sc->n_values] = rd->len;
}

static void value_end(struct records_reader *rd, struct scan *sc)
{
	store(rd, sc, '\0');
	sc->n_values++;
}

static void skip_line(struct records_reader *rd)
{
	int c;
	while ((c = records_in_getc(rd)) != EOF && c != '\n')
		;
}

/* A line end after a '\r' just read: true when it was CR LF (or CR at the
 * end of the input); otherwise the byte after it is put back. */
static bool crlf(struct records_reader *rd)
{
	int d = records_in_getc(rd);
	if (d == '\n' || d == EOF)
		return true;
	unget(rd, d);
	return false;
}

/* Scans one record; false at the end of the input. */
static bool scan_record(struct records_reader *rd, struct scan *sc)
{
	enum { START, UNQUOTED, QUOTED, AFTER_QUOTE } state = START;
	memset(sc, 0, sizeof(*sc));
	sc->line = rd->line;
	rd->len = 0;
	int c = records_in_getc(rd);
	if (c == EOF)
		return false;
	value_start(rd, sc);
	for (;; c = records_in_getc(rd)) {
		switch (state) {
		case START:
		case UNQUOTED:
			if (c == EOF || c == '\n' || (c == '\r' && crlf(rd))) {
				sc->blank = state == START &&
				            sc->n_values == 0 && rd->len == 0;
				value_end(rd, sc);
				return true;
			}
			if (c == ',') {
				value_end(rd, sc);
				value_start(rd, sc);
				state = START;
			} else if (c == '"') {
				if (state == UNQUOTED) {
					problem(rd, sc, SCAN_QUOTE);
					skip_line(rd);
					return true;
				}
				state = QUOTED;
			} else {
				store(rd, sc, (char)c);
				state = UNQUOTED;
			}
			break;
		case QUOTED:
			if (c == EOF) {
				problem(rd, sc, SCAN_UNCLOSED);
				return true;
			}
			if (c == '"')
				state = AFTER_QUOTE;
			else
				store(rd, sc, (char)c);
			break;
		case AFTER_QUOTE:
			if (c == '"') {
				store(rd, sc, '"');
				state = QUOTED;
			} else if (c == ',') {
				value_end(rd, sc);
				value_start(rd, sc);
				state = START;
			} else if (c == EOF || c == '\n' ||
			           (c == '\r' && crlf(rd))) {
				value_end(rd, sc);
				return true;
			} else {
				problem(rd, sc, SCAN_AFTER_QUOTE);
				if (c != '\n')
					skip_line(rd);
				return true;
			}
			break;
		}
	}
}

/* The problem of a scanned record as a rejection. */
static enum records_read scan_bad(struct records_reader *rd,
                                  const struct scan *sc, struct htd_error *err)
{
	switch (sc->problem) {
	case SCAN_TOO_LARGE:
		return records_in_bad(
		    rd, sc->line, NULL, HTD_ERR_TOO_LARGE, err,
		    "the record is over %zu bytes (a "
		    "value's limit is %d, notes %d)",
		    RECORDS_LINE_MAX, RECORD_VALUE_MAX, RECORD_NOTES_MAX);
	case SCAN_TOO_MANY:
		return records_in_bad(rd, sc->line, NULL, HTD_ERR_INVALID, err,
		                      "more than %d values",
		                      RECORDS_COLUMNS_MAX);
	case SCAN_QUOTE:
		return records_in_bad(rd, sc->line, NULL, HTD_ERR_PARSE, err,
		                      "a quote inside a value that does not "
		                      "start with one (line %d): quote the "
		                      "whole value and double the quote",
		                      sc->problem_line);
	case SCAN_AFTER_QUOTE:
		return records_in_bad(rd, sc->line, NULL, HTD_ERR_PARSE, err,
		                      "text after a closing quote (line %d): "
		                      "a quote inside a quoted value is "
		                      "written twice",
		                      sc->problem_line);
	case SCAN_UNCLOSED:
		return records_in_bad(rd, sc->line, NULL, HTD_ERR_PARSE, err,
		                      "a quoted value is never closed (the "
		                      "file ends inside it)");
	case SCAN_FINE: break;
	}
	return records_in_bad(rd, sc->line, NULL, HTD_ERR_INTERNAL, err,
	                      "no problem");
}

static enum records_read header_fatal(struct records_reader *rd, int line,
                                      enum htd_err code, struct htd_error *err,
                                      const char *message, const char *name)
{
	htd_error_at(err, code, rd->file, line, 0, "header: %s%s%s%s", message,
	             name ? " \"" : "", name ? name : "", name ? "\"" : "");
	if (name)
		str_copy(err->field, sizeof(err->field), name);
	return RECORDS_READ_FATAL;
}

static enum records_read read_header(struct records_reader *rd,
                                     struct htd_error *err)
{
	struct scan sc;
	records_in_skip_bom(rd);
	do {
		if (!scan_record(rd, &sc)) {
			if (records_in_read_error(rd)) {
				*err = rd->fatal;
				return RECORDS_READ_FATAL;
			}
			return header_fatal(
			    rd, rd->line, HTD_ERR_INVALID, err,
			    "the file is empty: the first line "
			    "names the columns (docs/import.md)",
			    NULL);
		}
	} while (sc.blank && !sc.problem);
	if (sc.problem) {
		scan_bad(rd, &sc, err);
		return RECORDS_READ_FATAL;
	}
	bool seen_id = false;
	for (size_t i = 0; i < sc.n_values; i++) {
		const char *raw = rd->text + rd->value_at[i];
		size_t len = 0;
		const char *name = str_trim(raw, &len);
		char shown[48];
		records_in_printable(name, len, shown, sizeof(shown));
		char exact[64];
		if (len >= sizeof(exact))
			return header_fatal(rd, sc.line, HTD_ERR_INVALID, err,
			                    "unknown column", shown);
		memcpy(exact, name, len);
		exact[len] = '\0';
		enum record_field f = RECORD_F_NOTES;
		enum records_column col;
		if (strcmp(exact, RECORDS_COLUMN_SOURCE_ID) == 0) {
			col = RECORDS_COL_SOURCE_ID;
			seen_id = true;
		} else if (strcmp(exact, RECORDS_COLUMN_SEALED) == 0) {
			col = RECORDS_COL_SEALED;
		} else if (record_field_parse(exact, &f)) {
			col = RECORDS_COL_FIELD;
			if (!record_field_allowed(rd->kind, f)) {
				char why[96];
				str_format(why, sizeof(why),
				           "a %s record has no column",
				           record_kind_name(rd->kind));
				return header_fatal(rd, sc.line,
				                    HTD_ERR_INVALID, err, why,
				                    shown);
			}
		} else {
			return header_fatal(rd, sc.line, HTD_ERR_INVALID, err,
			                    "unknown column", shown);
		}
		for (size_t j = 0; j < i; j++)
			if (rd->column[j] == col &&
			    (col != RECORDS_COL_FIELD || rd->field[j] == f))
				return header_fatal(
				    rd, sc.line, HTD_ERR_INVALID, err,
				    "a column named twice", shown);
		rd->column[i] = col;
		rd->field[i] = f;
	}
	if (!seen_id)
		return header_fatal(rd, sc.line, HTD_ERR_INVALID, err,
		                    "no source_id column (every record needs "
		                    "its id in the source)",
		                    NULL);
	rd->n_columns = sc.n_values;
	rd->have_header = true;
	return RECORDS_READ_RECORD;
}

enum records_read records_csv_next(struct records_reader *rd,
                                   struct record *out, struct htd_error *err)
{
	if (!rd->have_header) {
		enum records_read h = read_header(rd, err);
		if (h != RECORDS_READ_RECORD)
			return h;
	}
	struct scan sc;
	do {
		if (!scan_record(rd, &sc)) {
			if (records_in_read_error(rd)) {
				*err = rd->fatal;
				return RECORDS_READ_FATAL;
			}
			return RECORDS_READ_END;
		}
	} while (sc.blank && !sc.problem);
	if (sc.problem)
		return scan_bad(rd, &sc, err);
	if (sc.n_values != rd->n_columns)
		return records_in_bad(rd, sc.line, NULL, HTD_ERR_INVALID, err,
		                      "%zu values where the header names %zu "
		                      "columns",
		                      sc.n_values, rd->n_columns);
	for (size_t i = 0; i < sc.n_values; i++) {
		size_t end =
		    i + 1 < sc.n_values ? rd->value_at[i + 1] - 1 : rd->len - 1;
		const char *v = rd->text + rd->value_at[i];
		if (records_in_set(rd, out, rd->column[i], rd->field[i], v,
		                   end - rd->value_at[i], sc.line,
		                   err) != HTD_OK)
			return RECORDS_READ_BAD;
	}
	struct htd_error why;
	if (record_validate(out, &why) != HTD_OK)
		return records_in_bad(rd, sc.line, why.field, why.code, err,
		                      "%s", why.message);
	return RECORDS_READ_RECORD;
}
