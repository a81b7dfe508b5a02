/*
 * records_in.c - what the record readers share (records_in_internal.h):
 * the formats, the reader's life, the byte input and the setting of one
 * value with an error that names the line and the field.
 */
#include "formats/records_in.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "formats/records_in_internal.h"
#include "util/mem.h"
#include "util/str.h"

static const char *const format_names[] = {
#define RECORDS_FORMAT_NAME(e, n, x) n,
	RECORDS_FORMATS(RECORDS_FORMAT_NAME)
#undef RECORDS_FORMAT_NAME
};

static const char *const format_exts[] = {
#define RECORDS_FORMAT_EXT(e, n, x) x,
	RECORDS_FORMATS(RECORDS_FORMAT_EXT)
#undef RECORDS_FORMAT_EXT
};

const char *records_format_name(enum records_format f)
{
	if ((unsigned)f >= RECORDS_FORMAT__COUNT)
		return "unknown";
	return format_names[f];
}

bool records_format_parse(const char *s, enum records_format *out)
{
	for (int f = 0; s && f < RECORDS_FORMAT__COUNT; f++)
		if (strcmp(s, format_names[f]) == 0) {
			*out = (enum records_format)f;
			return true;
		}
	return false;
}

static bool ends_with(const char *s, const char *ext)
{
	size_t n = strlen(s), m = strlen(ext);
	return n > m && strcasecmp(s + n - m, ext) == 0;
}

bool records_format_of_path(const char *path, enum records_format *out)
{
	if (!path)
		return false;
	for (int f = 0; f < RECORDS_FORMAT__COUNT; f++)
		if (ends_with(path, format_exts[f])) {
			*out = (enum records_format)f;
			return true;
		}
	if (ends_with(path, ".ndjson")) {
		*out = RECORDS_JSONL;
		return true;
	}
	return false;
}

enum htd_err records_reader_new(FILE *in, const char *file,
                                enum records_format format,
                                enum record_kind kind, const char *source,
                                struct records_reader **out,
                                struct htd_error *err)
{
	*out = NULL;
	struct record probe;
	record_init(&probe, kind);
	enum htd_err e = record_set_source(&probe, source, "probe", err);
	if (e != HTD_OK)
		return e;
	if ((unsigned)format >= RECORDS_FORMAT__COUNT ||
	    (unsigned)kind >= RECORD_KIND__COUNT)
		return htd_error_set(err, HTD_ERR_INVALID,
		                     "no such format or kind");
	struct records_reader *rd = xcalloc(1, sizeof(*rd));
	rd->in = in;
	rd->file = file ? file : "-";
	rd->format = format;
	rd->kind = kind;
	rd->source = source;
	rd->line = 1;
	rd->at_start = true;
	rd->text = xmalloc(RECORDS_LINE_MAX + 1);
	*out = rd;
	return HTD_OK;
}

enum records_read records_reader_next(struct records_reader *rd,
                                      struct record *out, struct htd_error *err)
{
	record_init(out, rd->kind);
	if (rd->failed) {
		*err = rd->fatal;
		return RECORDS_READ_FATAL;
	}
	enum records_read r = rd->format == RECORDS_CSV
	                          ? records_csv_next(rd, out, err)
	                          : records_jsonl_next(rd, out, err);
	if (r != RECORDS_READ_RECORD)
		record_free(out);
	if (r == RECORDS_READ_FATAL) {
		rd->failed = true;
		rd->fatal = *err;
	}
	return r;
}

uint64_t records_reader_offset(const struct records_reader *rd)
{
	return rd->offset;
}

void records_reader_free(struct records_reader *rd)
{
	if (!rd)
		return;
	free(rd->text);
	free(rd);
}

void records_in_skip_bom(struct records_reader *rd)
{
	if (!rd->at_start)
		return;
	rd->at_start = false;
	static const unsigned char bom[3] = { 0xEF, 0xBB, 0xBF };
	int n = 0;
	while (n < 3) {
		int c = getc_unlocked(rd->in);
		if (c == EOF)
			break;
		rd->pending[n++] = (unsigned char)c;
		if (rd->pending[n - 1] != bom[n - 1])
			break;
	}
	if (n == 3 && memcmp(rd->pending, bom, 3) == 0) {
		rd->offset += 3;
		return;
	}
	/* Not a mark: those bytes are the start of the text. */
	rd->n_pending = n;
	rd->next_pending = 0;
}

bool records_in_read_error(struct records_reader *rd)
{
	if (!ferror(rd->in))
		return false;
	htd_error_at(&rd->fatal, HTD_ERR_IO, rd->file, rd->line, 0,
	             "cannot read on: %s", strerror(errno ? errno : EIO));
	return true;
}

void records_in_printable(const char *name, size_t len, char *out, size_t size)
{
	size_t n = 0;
	for (size_t i = 0; i < len && n + 1 < size && n < 40; i++) {
		unsigned char c = (unsigned char)name[i];
		out[n++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	if (size)
		out[n] = '\0';
}

enum records_read records_in_bad(struct records_reader *rd, int line,
                                 const char *field, enum htd_err code,
                                 struct htd_error *err, const char *fmt, ...)
{
	char message[HTD_ERROR_MESSAGE_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	htd_error_at(err, code, rd->file, line, 0, "%s", message);
	if (field)
		str_copy(err->field, sizeof(err->field), field);
	return RECORDS_READ_BAD;
}

static bool sealed_value(const char *s, size_t len, bool *out)
{
	static const char *const yes[] = { "1", "true", "yes", "y", "t" };
	static const char *const no[] = { "", "0", "false", "no", "n", "f" };
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		if (strlen(yes[i]) == len && strncasecmp(s, yes[i], len) == 0) {
			*out = true;
			return true;
		}
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		if (strlen(no[i]) == len && strncasecmp(s, no[i], len) == 0) {
			*out = false;
			return true;
		}
	return false;
}

enum htd_err records_in_set(struct records_reader *rd, struct record *r,
                            enum records_column col, enum record_field f,
                            const char *value, size_t len, int line,
                            struct htd_error *err)
{
	if (memchr(value, '\0', len)) {
		records_in_bad(rd, line,
		               col == RECORDS_COL_FIELD ? record_field_name(f)
		               : col == RECORDS_COL_SEALED
		                   ? RECORDS_COLUMN_SEALED
		                   : RECORDS_COLUMN_SOURCE_ID,
		               HTD_ERR_PARSE, err, "a NUL byte");
		return HTD_ERR_PARSE;
	}
	enum htd_err e = HTD_OK;
	struct htd_error why;
	htd_error_clear(&why);
	switch (col) {
	case RECORDS_COL_SOURCE_ID: {
		size_t n = 0;
		char id[RECORD_SOURCE_ID_MAX + 2];
		const char *s = str_trim(value, &n);
		/* str_trim stops at the NUL; value is NUL-terminated here. */
		if (n > RECORD_SOURCE_ID_MAX)
			n = RECORD_SOURCE_ID_MAX + 1;
		memcpy(id, s, n);
		id[n] = '\0';
		e = record_set_source(r, rd->source, id, &why);
		break;
	}
	case RECORDS_COL_SEALED: {
		size_t n = 0;
		const char *s = str_trim(value, &n);
		if (!sealed_value(s, n, &r->sealed))
			e = htd_error_field(
			    &why, HTD_ERR_INVALID, RECORDS_COLUMN_SEALED,
			    "sealed must be true or false (also "
			    "1/0, yes/no, or empty)");
		break;
	}
	case RECORDS_COL_FIELD: e = record_set(r, f, value, &why); break;
	}
	if (e != HTD_OK) {
		htd_error_at(err, e, rd->file, line, 0, "%s", why.message);
		str_copy(err->field, sizeof(err->field), why.field);
	}
	return e;
}
