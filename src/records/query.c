/*
 * query.c - free text and "field=value" into a query record (query.h).
 * Order matters: named fields are cut out first, then (persons) dates of
 * birth, then phones, and what is left is the name, address or plate.
 */
#include "records/query.h"

#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "core/match.h"
#include "util/str.h"

/* Words of a vehicle query that are its color rather than make or model. */
static const char *const colors[] = {
	"white",  "black",  "silver", "gray",   "grey",   "red",
	"blue",   "green",  "brown",  "tan",    "gold",   "yellow",
	"orange", "purple", "beige",  "maroon", "blanco", "negro",
	"rojo",   "azul",   "verde",  "gris",   "plata",  NULL,
};

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ',';
}

/*
 * When a "field=" or "field:" naming a field of record.h starts at `s`,
 * returns its length with the sign and sets *f; else 0.
 */
static size_t field_at(const char *s, enum record_field *f)
{
	size_t n = 0;
	while ((s[n] >= 'a' && s[n] <= 'z') || s[n] == '_')
		n++;
	if (n == 0 || n > 32 || (s[n] != '=' && s[n] != ':'))
		return 0;
	char name[33];
	memcpy(name, s, n);
	name[n] = '\0';
	/* A record's links are nothing to search by. */
	if (!record_field_parse(name, f) || *f == RECORD_F_LINKS)
		return 0;
	return n + 1;
}

/* Blanks `len` bytes at `s` (so positions stay put). */
static void blank(char *s, size_t len)
{
	memset(s, ' ', len);
}

/* Sets field `f` from `value` (trimmed by record_set), refusing a field
 * given twice. */
static enum htd_err set_once(struct record *r, enum record_field f,
                             const char *value, struct htd_error *err)
{
	if (r->field[f])
		return htd_error_field(
		    err, HTD_ERR_INVALID, record_field_name(f),
		    "the query gives %s twice", record_field_name(f));
	return record_set(r, f, value, err);
}

/* Cuts the "field=value" parts out of `buf` into `r`. */
static enum htd_err named_fields(char *buf, struct record *r,
                                 struct htd_error *err)
{
	size_t n = strlen(buf);
	size_t i = 0;
	while (i < n) {
		enum record_field f;
		size_t len = (i == 0 || is_space(buf[i - 1]))
		                 ? field_at(buf + i, &f)
		                 : 0;
		if (!len) {
			i++;
			continue;
		}
		/* The value runs to the next field or the end. */
		size_t start = i + len, end = start;
		while (end < n) {
			enum record_field g;
			if (end > start && is_space(buf[end - 1]) &&
			    field_at(buf + end, &g))
				break;
			end++;
		}
		char value[QUERY_TEXT_MAX + 1];
		memcpy(value, buf + start, end - start);
		value[end - start] = '\0';
		enum htd_err rc = set_once(r, f, value, err);
		if (rc != HTD_OK)
			return rc;
		blank(buf + i, end - i);
		i = end;
	}
	return HTD_OK;
}

/* A person's date of birth among the tokens of `buf`, cut out. */
static enum htd_err birth_dates(char *buf, struct record *r,
                                struct htd_error *err)
{
	size_t n = strlen(buf);
	for (size_t i = 0; i < n;) {
		while (i < n && is_space(buf[i]))
			i++;
		size_t start = i;
		while (i < n && !is_space(buf[i]))
			i++;
		size_t len = i - start;
		if (len < 4 || len > MATCH_DATE_MAX)
			continue;
		/* Digits and date separators only, starting with a digit. */
		bool datelike = buf[start] >= '0' && buf[start] <= '9';
		for (size_t k = start; datelike && k < i; k++)
			datelike = (buf[k] >= '0' && buf[k] <= '9') ||
			           buf[k] == '-' || buf[k] == '/' ||
			           buf[k] == '?';
		if (!datelike)
			continue;
		char token[MATCH_DATE_MAX + 1];
		memcpy(token, buf + start, len);
		token[len] = '\0';
		struct match_date d;
		if (match_date_parse(token, &d, NULL) != HTD_OK || !d.year)
			continue;
		enum htd_err rc = set_once(r, RECORD_F_BIRTH_DATE, token, err);
		if (rc != HTD_OK)
			return rc;
		blank(buf + start, len);
	}
	return HTD_OK;
}

static bool phone_char(char c)
{
	return (c >= '0' && c <= '9') || c == '+' || c == '(' || c == ')' ||
	       c == '-' || c == '.' || c == ' ';
}

/* The first run of phone characters with 7 to 15 digits that is a phone
 * number, cut out. */
static enum htd_err phones(char *buf, struct record *r, struct htd_error *err)
{
	size_t n = strlen(buf);
	for (size_t i = 0; i < n; i++) {
		if (!((buf[i] >= '0' && buf[i] <= '9') || buf[i] == '+' ||
		      buf[i] == '('))
			continue;
		if (i > 0 && !is_space(buf[i - 1]))
			continue;
		size_t end = i, digits = 0;
		while (end < n && phone_char(buf[end])) {
			digits += buf[end] >= '0' && buf[end] <= '9';
			end++;
		}
		while (end > i && buf[end - 1] == ' ')
			end--;
		/* The run must end at a word's end, not inside "12b". */
		if (end < n && !is_space(buf[end]))
			continue;
		if (digits < 7 || digits > 15 || end - i > MATCH_PHONE_MAX)
			continue;
		char token[MATCH_PHONE_MAX + 1];
		char e164[MATCH_PHONE_E164_SIZE];
		memcpy(token, buf + i, end - i);
		token[end - i] = '\0';
		if (match_phone_e164(token, NULL, e164, sizeof(e164), NULL, 0,
		                     NULL) != HTD_OK)
			continue;
		enum htd_err rc = set_once(r, RECORD_F_PHONE, token, err);
		if (rc != HTD_OK)
			return rc;
		blank(buf + i, end - i);
		return HTD_OK;
	}
	return HTD_OK;
}

/* Collapses white space (and commas) to single spaces, trimmed. */
static void collapse(char *s)
{
	size_t o = 0;
	bool space = false;
	for (size_t i = 0; s[i]; i++) {
		if (is_space(s[i])) {
			space = o > 0;
			continue;
		}
		if (space)
			s[o++] = ' ';
		space = false;
		s[o++] = s[i];
	}
	s[o] = '\0';
}

static bool has_alnum(const char *s)
{
	for (; *s; s++)
		if ((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'z') ||
		    (*s >= 'A' && *s <= 'Z') || (unsigned char)*s >= 0x80)
			return true;
	return false;
}

static bool is_color(const char *word, size_t len)
{
	for (size_t i = 0; colors[i]; i++)
		if (strlen(colors[i]) == len &&
		    strncasecmp(colors[i], word, len) == 0)
			return true;
	return false;
}

/* A vehicle's free words: those with a digit are the plate, a color word
 * the color, the first other word the make and the next the model. */
static enum htd_err vehicle_words(const char *rest, struct record *r,
                                  struct htd_error *err)
{
	char plate[QUERY_TEXT_MAX + 1] = "";
	size_t pn = 0;
	int other = 0;
	for (const char *p = rest; *p;) {
		while (*p == ' ')
			p++;
		const char *w = p;
		while (*p && *p != ' ')
			p++;
		size_t len = (size_t)(p - w);
		if (!len)
			break;
		bool digit = false;
		for (size_t k = 0; k < len; k++)
			digit |= w[k] >= '0' && w[k] <= '9';
		char word[QUERY_TEXT_MAX + 1];
		memcpy(word, w, len);
		word[len] = '\0';
		enum htd_err rc = HTD_OK;
		if (digit) {
			memcpy(plate + pn, w, len);
			pn += len;
			plate[pn] = '\0';
		} else if (is_color(w, len) && !r->field[RECORD_F_COLOR]) {
			rc = record_set(r, RECORD_F_COLOR, word, err);
		} else if (other == 0 && !r->field[RECORD_F_MAKE]) {
			other++;
			rc = record_set(r, RECORD_F_MAKE, word, err);
		} else if (other == 1 && !r->field[RECORD_F_MODEL]) {
			other++;
			rc = record_set(r, RECORD_F_MODEL, word, err);
		}
		if (rc != HTD_OK)
			return rc;
	}
	return pn ? set_once(r, RECORD_F_PLATE, plate, err) : HTD_OK;
}

enum htd_err records_query_parse(const char *text, enum record_kind kind,
                                 struct record *out, struct htd_error *err)
{
	char buf[QUERY_TEXT_MAX + 1];
	record_init(out, kind);
	if ((unsigned)kind >= RECORD_KIND__COUNT)
		return htd_error_set(err, HTD_ERR_INVALID,
		                     "no such record kind");
	size_t len = text ? strnlen(text, QUERY_TEXT_MAX + 1) : 0;
	if (len > QUERY_TEXT_MAX)
		return htd_error_field(err, HTD_ERR_TOO_LARGE, "query",
		                       "a query is at most %d bytes",
		                       QUERY_TEXT_MAX);
	if (!str_utf8_valid(text ? text : "", len))
		return htd_error_field(err, HTD_ERR_INVALID, "query",
		                       "the query is not valid UTF-8");
	if (!str_no_controls(text ? text : "", len, true))
		return htd_error_field(err, HTD_ERR_INVALID, "query",
		                       "the query holds a control character");
	memcpy(buf, text ? text : "", len);
	buf[len] = '\0';

	enum htd_err rc = named_fields(buf, out, err);
	if (rc == HTD_OK && kind == RECORD_PERSON)
		rc = birth_dates(buf, out, err);
	if (rc == HTD_OK && kind != RECORD_VEHICLE &&
	    record_field_allowed(kind, RECORD_F_PHONE))
		rc = phones(buf, out, err);
	if (rc != HTD_OK)
		return rc;
	collapse(buf);
	if (has_alnum(buf)) {
		switch (kind) {
		case RECORD_PERSON:
			if (out->field[RECORD_F_GIVEN_NAME] ||
			    out->field[RECORD_F_FAMILY_NAME])
				return htd_error_field(
				    err, HTD_ERR_INVALID, "name",
				    "\"%s\" and given_name= or family_name= "
				    "both name the person: use one or the "
				    "other",
				    buf);
			rc = set_once(out, RECORD_F_NAME, buf, err);
			break;
		case RECORD_LOCATION:
			rc = set_once(out, RECORD_F_ADDRESS, buf, err);
			break;
		case RECORD_VEHICLE: rc = vehicle_words(buf, out, err); break;
		default: rc = set_once(out, RECORD_F_NAME, buf, err); break;
		}
		if (rc != HTD_OK)
			return rc;
	}
	bool any = false;
	for (int f = 0; f < RECORD_FIELD__COUNT; f++)
		any |= out->field[f] != NULL && f != RECORD_F_NOTES;
	if (!any)
		return htd_error_field(err, HTD_ERR_INVALID, "query",
		                       "the query names nothing to search for");
	return record_set_source(out, "query", "-", err);
}
