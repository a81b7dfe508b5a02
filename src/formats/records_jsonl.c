/*
 * records_jsonl.c - records from JSON Lines (docs/import.md): one JSON
 * object per line, its keys the CSV columns (the field names, source_id,
 * sealed). A line is read whole, up to RECORDS_LINE_MAX bytes (a longer
 * one is skipped to its end and reported), then parsed by jansson, which
 * checks the syntax and the UTF-8.
 */
#include <jansson.h>
#include <string.h>

#include "formats/records_in_internal.h"
#include "util/str.h"

/* Reads one line into rd->text; false at the end. *too_long when it was
 * over the limit (its end skipped). */
static bool read_line(struct records_reader *rd, bool *too_long)
{
	int c = records_in_getc(rd);
	*too_long = false;
	rd->len = 0;
	if (c == EOF)
		return false;
	for (; c != EOF && c != '\n'; c = records_in_getc(rd)) {
		if (rd->len < RECORDS_LINE_MAX)
			rd->text[rd->len++] = (char)c;
		else
			*too_long = true;
	}
	if (rd->len && rd->text[rd->len - 1] == '\r' && !*too_long)
		rd->len--;
	rd->text[rd->len] = '\0';
	return true;
}

static bool blank(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
			return false;
	return true;
}

static const char *json_type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: return "an object";
	case JSON_ARRAY: return "an array";
	case JSON_STRING: return "a string";
	case JSON_INTEGER: return "an integer";
	case JSON_REAL: return "a number";
	case JSON_TRUE:
	case JSON_FALSE: return "a boolean";
	case JSON_NULL: return "null";
	}
	return "a value";
}

/* One member of a line's object into the record. */
static enum htd_err member(struct records_reader *rd, struct record *r,
                           const char *key, json_t *v, int line,
                           struct htd_error *err)
{
	char shown[48];
	records_in_printable(key, strlen(key), shown, sizeof(shown));
	char text[64];
	enum record_field f = RECORD_F_NOTES;
	if (strcmp(key, RECORDS_COLUMN_SEALED) == 0) {
		if (json_is_null(v))
			return HTD_OK;
		if (!json_is_boolean(v)) {
			records_in_bad(rd, line, RECORDS_COLUMN_SEALED,
			               HTD_ERR_INVALID, err,
			               "sealed must be true or false, not %s",
			               json_type_name(v));
			return HTD_ERR_INVALID;
		}
		r->sealed = json_is_true(v);
		return HTD_OK;
	}
	if (strcmp(key, RECORDS_COLUMN_SOURCE_ID) == 0) {
		const char *id = NULL;
		if (json_is_string(v)) {
			id = json_string_value(v);
		} else if (json_is_integer(v)) {
			str_format(text, sizeof(text), "%lld",
			           (long long)json_integer_value(v));
			id = text;
		} else {
			records_in_bad(rd, line, RECORDS_COLUMN_SOURCE_ID,
			               HTD_ERR_INVALID, err,
			               "source_id must be a string or an "
			               "integer, not %s",
			               json_type_name(v));
			return HTD_ERR_INVALID;
		}
		return records_in_set(rd, r, RECORDS_COL_SOURCE_ID, f, id,
		                      strlen(id), line, err);
	}
	if (!record_field_parse(key, &f)) {
		records_in_bad(rd, line, shown, HTD_ERR_INVALID, err,
		               "unknown key \"%s\" (docs/import.md lists the "
		               "fields)",
		               shown);
		return HTD_ERR_INVALID;
	}
	if (!record_field_allowed(rd->kind, f)) {
		records_in_bad(rd, line, shown, HTD_ERR_INVALID, err,
		               "a %s record has no field \"%s\"",
		               record_kind_name(rd->kind), shown);
		return HTD_ERR_INVALID;
	}
	if (json_is_null(v))
		return HTD_OK;
	const char *value = NULL;
	size_t len = 0;
	if (json_is_string(v)) {
		value = json_string_value(v);
		len = json_string_length(v);
	} else if (json_is_number(v) &&
	           (f == RECORD_F_LATITUDE || f == RECORD_F_LONGITUDE)) {
		str_format(text, sizeof(text), "%.10g", json_number_value(v));
		value = text;
		len = strlen(text);
	} else {
		records_in_bad(rd, line, shown, HTD_ERR_INVALID, err,
		               "%s must be a string, not %s", shown,
		               json_type_name(v));
		return HTD_ERR_INVALID;
	}
	return records_in_set(rd, r, RECORDS_COL_FIELD, f, value, len, line,
	                      err);
}

enum records_read records_jsonl_next(struct records_reader *rd,
                                     struct record *out, struct htd_error *err)
{
	bool too_long = false;
	int line;
	records_in_skip_bom(rd);
	do {
		line = rd->line;
		if (!read_line(rd, &too_long)) {
			if (records_in_read_error(rd)) {
				*err = rd->fatal;
				return RECORDS_READ_FATAL;
			}
			return RECORDS_READ_END;
		}
	} while (!too_long && blank(rd->text, rd->len));
	if (too_long)
		return records_in_bad(rd, line, NULL, HTD_ERR_TOO_LARGE, err,
		                      "the line is over %zu bytes",
		                      RECORDS_LINE_MAX);
	json_error_t jerr;
	json_t *o =
	    json_loadb(rd->text, rd->len, JSON_REJECT_DUPLICATES, &jerr);
	if (!o)
		return records_in_bad(rd, line, NULL, HTD_ERR_PARSE, err,
		                      "not JSON: %s (column %d)", jerr.text,
		                      jerr.column);
	enum records_read result = RECORDS_READ_RECORD;
	if (!json_is_object(o)) {
		result = records_in_bad(rd, line, NULL, HTD_ERR_INVALID, err,
		                        "a line must be a JSON object, not %s",
		                        json_type_name(o));
		goto out;
	}
	const char *key;
	json_t *v;
	json_object_foreach(o, key, v)
	{
		if (member(rd, out, key, v, line, err) != HTD_OK) {
			result = RECORDS_READ_BAD;
			goto out;
		}
	}
	struct htd_error why;
	if (record_validate(out, &why) != HTD_OK)
		result = records_in_bad(rd, line, why.field, why.code, err,
		                        "%s", why.message);
out:
	json_decref(o);
	return result;
}
