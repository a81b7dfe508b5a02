/*
 * record.c - the record shape shared by the importers, the store and the
 * matcher (core/record.h): kind and field names, which kind has which
 * field, and the checks every value passes before it is kept.
 */
#include "core/record.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/match.h"
#include "util/mem.h"
#include "util/str.h"

static const char *const kind_names[] = {
#define RECORD_KIND_NAME(e, n) n,
	RECORD_KINDS(RECORD_KIND_NAME)
#undef RECORD_KIND_NAME
};

static const char *const kind_plurals[] = {
	"persons", "locations", "phones", "vehicles", "businesses",
};

static const char *const field_names[] = {
#define RECORD_FIELD_NAME(e, n, k) n,
	RECORD_FIELDS(RECORD_FIELD_NAME)
#undef RECORD_FIELD_NAME
};

static const unsigned field_kinds[] = {
#define RECORD_FIELD_KINDS(e, n, k) (k),
	RECORD_FIELDS(RECORD_FIELD_KINDS)
#undef RECORD_FIELD_KINDS
};

_Static_assert(sizeof(kind_plurals) / sizeof(kind_plurals[0]) ==
                   RECORD_KIND__COUNT,
               "a plural for every record kind");

const char *record_kind_name(enum record_kind k)
{
	if ((unsigned)k >= RECORD_KIND__COUNT)
		return "unknown";
	return kind_names[k];
}

bool record_kind_parse(const char *s, enum record_kind *out)
{
	if (!s)
		return false;
	for (int k = 0; k < RECORD_KIND__COUNT; k++)
		if (strcmp(s, kind_names[k]) == 0 ||
		    strcmp(s, kind_plurals[k]) == 0) {
			*out = (enum record_kind)k;
			return true;
		}
	return false;
}

const char *record_field_name(enum record_field f)
{
	if ((unsigned)f >= RECORD_FIELD__COUNT)
		return "unknown";
	return field_names[f];
}

bool record_field_parse(const char *s, enum record_field *out)
{
	if (!s)
		return false;
	for (int f = 0; f < RECORD_FIELD__COUNT; f++)
		if (strcmp(s, field_names[f]) == 0) {
			*out = (enum record_field)f;
			return true;
		}
	return false;
}

bool record_field_allowed(enum record_kind k, enum record_field f)
{
	if ((unsigned)k >= RECORD_KIND__COUNT ||
	    (unsigned)f >= RECORD_FIELD__COUNT)
		return false;
	return (field_kinds[f] & (1u << k)) != 0;
}

void record_init(struct record *r, enum record_kind k)
{
	memset(r, 0, sizeof(*r));
	r->kind = k;
}

void record_free(struct record *r)
{
	if (!r)
		return;
	enum record_kind k = r->kind;
	for (int f = 0; f < RECORD_FIELD__COUNT; f++)
		free(r->field[f]);
	memset(r, 0, sizeof(*r));
	r->kind = k;
}

/* Parses a coordinate in [-limit, limit]; false for anything else. */
static bool coordinate(const char *s, size_t len, double limit)
{
	char text[64];
	if (len == 0 || len >= sizeof(text))
		return false;
	memcpy(text, s, len);
	text[len] = '\0';
	char *end = NULL;
	double v = strtod(text, &end);
	return end && *end == '\0' && isfinite(v) && v >= -limit && v <= limit;
}

enum htd_err record_set(struct record *r, enum record_field f,
                        const char *value, struct htd_error *err)
{
	const char *name = record_field_name(f);
	if ((unsigned)f >= RECORD_FIELD__COUNT)
		return htd_error_set(err, HTD_ERR_INVALID,
		                     "no such record field");
	if (!record_field_allowed(r->kind, f))
		return htd_error_field(err, HTD_ERR_INVALID, name,
		                       "a %s record has no field %s",
		                       record_kind_name(r->kind), name);
	size_t len = 0;
	const char *s = value ? str_trim(value, &len) : "";
	bool notes = f == RECORD_F_NOTES;
	int limit = notes                 ? RECORD_NOTES_MAX
	            : f == RECORD_F_LINKS ? RECORD_LINKS_TEXT_MAX
	                                  : RECORD_VALUE_MAX;
	if (len > (size_t)limit)
		return htd_error_field(err, HTD_ERR_TOO_LARGE, name,
		                       "%s is %zu bytes, over the limit of %d",
		                       name, len, limit);
	if (!str_utf8_valid(s, len))
		return htd_error_field(err, HTD_ERR_INVALID, name,
		                       "%s is not valid UTF-8", name);
	if (!str_no_controls(s, len, notes))
		return htd_error_field(err, HTD_ERR_INVALID, name,
		                       "%s holds a control character", name);
	if (len > 0 && f == RECORD_F_BIRTH_DATE) {
		char text[MATCH_DATE_MAX + 1];
		struct match_date d;
		struct htd_error why;
		if (len > MATCH_DATE_MAX)
			return htd_error_field(err, HTD_ERR_INVALID, name,
			                       "birth_date is too long for a "
			                       "date");
		memcpy(text, s, len);
		text[len] = '\0';
		if (match_date_parse(text, &d, &why) != HTD_OK)
			return htd_error_field(err, HTD_ERR_INVALID, name,
			                       "birth_date \"%s\": %s", text,
			                       why.message);
	}
	if (len > 0 && (f == RECORD_F_LATITUDE || f == RECORD_F_LONGITUDE) &&
	    !coordinate(s, len, f == RECORD_F_LATITUDE ? 90.0 : 180.0))
		return htd_error_field(err, HTD_ERR_INVALID, name,
		                       "%s must be decimal degrees within "
		                       "+/-%d",
		                       name, f == RECORD_F_LATITUDE ? 90 : 180);
	if (len > 0 && f == RECORD_F_LINKS) {
		/* The syntax now; the targets' source (the record's, which may
		 * come in a later column) in record_validate(). */
		struct record_link *links =
		    xcalloc(RECORD_LINKS_MAX, sizeof(*links));
		size_t n = 0;
		enum htd_err e =
		    record_links_parse(s, len, "rms", links, &n, err);
		free(links);
		if (e != HTD_OK)
			return e;
	}
	free(r->field[f]);
	r->field[f] = len ? xstrndup(s, len) : NULL;
	return HTD_OK;
}

static bool source_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
	       c == '.' || c == '-';
}

enum htd_err record_set_source(struct record *r, const char *source,
                               const char *source_id, struct htd_error *err)
{
	size_t n = source ? strlen(source) : 0;
	if (n == 0 || n > RECORD_SOURCE_MAX)
		return htd_error_field(err, HTD_ERR_INVALID, "source",
		                       "source must be 1 to %d characters",
		                       RECORD_SOURCE_MAX);
	for (size_t i = 0; i < n; i++)
		if (!source_char((unsigned char)source[i]))
			return htd_error_field(
			    err, HTD_ERR_INVALID, "source",
			    "source may hold only a-z, 0-9, '_', '.' and '-'");
	size_t m = source_id ? strlen(source_id) : 0;
	if (m == 0 || m > RECORD_SOURCE_ID_MAX)
		return htd_error_field(err, HTD_ERR_INVALID, "source_id",
		                       "source_id must be 1 to %d characters",
		                       RECORD_SOURCE_ID_MAX);
	for (size_t i = 0; i < m; i++) {
		unsigned char c = (unsigned char)source_id[i];
		if (c <= ' ' || c >= 0x7f)
			return htd_error_field(
			    err, HTD_ERR_INVALID, "source_id",
			    "source_id may hold only "
			    "printable ASCII without spaces");
	}
	memcpy(r->source, source, n + 1);
	memcpy(r->source_id, source_id, m + 1);
	return HTD_OK;
}

enum htd_err record_validate(const struct record *r, struct htd_error *err)
{
	if (!r->source[0] || !r->source_id[0])
		return htd_error_field(err, HTD_ERR_INVALID, "source_id",
		                       "a record needs its source and id");
	char *const *v = r->field;
	switch (r->kind) {
	case RECORD_PERSON:
		if (!v[RECORD_F_GIVEN_NAME] && !v[RECORD_F_FAMILY_NAME] &&
		    !v[RECORD_F_NAME])
			return htd_error_field(err, HTD_ERR_INVALID,
			                       "family_name",
			                       "a person needs a name "
			                       "(given_name, family_name or "
			                       "name)");
		break;
	case RECORD_LOCATION:
		if (!v[RECORD_F_ADDRESS] &&
		    !(v[RECORD_F_LATITUDE] && v[RECORD_F_LONGITUDE]))
			return htd_error_field(err, HTD_ERR_INVALID, "address",
			                       "a location needs an address "
			                       "or both latitude and "
			                       "longitude");
		break;
	case RECORD_PHONE:
		if (!v[RECORD_F_PHONE])
			return htd_error_field(err, HTD_ERR_INVALID, "phone",
			                       "a phone record needs a phone");
		break;
	case RECORD_VEHICLE:
		if (!v[RECORD_F_PLATE] && !v[RECORD_F_VIN])
			return htd_error_field(err, HTD_ERR_INVALID, "plate",
			                       "a vehicle needs a plate or a "
			                       "VIN");
		break;
	case RECORD_BUSINESS:
		if (!v[RECORD_F_NAME])
			return htd_error_field(err, HTD_ERR_INVALID, "name",
			                       "a business needs a name");
		break;
	default:
		return htd_error_set(err, HTD_ERR_INVALID,
		                     "no such record kind");
	}
	const char *links = v[RECORD_F_LINKS];
	if (links) {
		struct record_link *l = xcalloc(RECORD_LINKS_MAX, sizeof(*l));
		size_t n = 0;
		enum htd_err e = record_links_parse(links, strlen(links),
		                                    r->source, l, &n, err);
		for (size_t i = 0; e == HTD_OK && i < n; i++)
			if (l[i].kind == r->kind &&
			    strcmp(l[i].source, r->source) == 0 &&
			    strcmp(l[i].source_id, r->source_id) == 0)
				e = htd_error_field(
				    err, HTD_ERR_INVALID, "links",
				    "link %zu (%s) names the "
				    "record itself",
				    i + 1, record_link_type_name(l[i].type));
		free(l);
		if (e != HTD_OK)
			return e;
	}
	return HTD_OK;
}

/* ---- links ------------------------------------------------------------ */

static const char *const link_type_names[] = {
#define RECORD_LINK_TYPE_NAME(e, n) n,
	RECORD_LINK_TYPES(RECORD_LINK_TYPE_NAME)
#undef RECORD_LINK_TYPE_NAME
};

const char *record_link_type_name(enum record_link_type t)
{
	if ((unsigned)t >= RECORD_LINK__COUNT)
		return "unknown";
	return link_type_names[t];
}

bool record_link_type_parse(const char *s, enum record_link_type *out)
{
	if (!s)
		return false;
	for (int t = 0; t < RECORD_LINK__COUNT; t++)
		if (strcmp(s, link_type_names[t]) == 0) {
			*out = (enum record_link_type)t;
			return true;
		}
	return false;
}

static bool blank_char(char c)
{
	return c == ' ' || c == '\t';
}

/* Trims [*s, *s + *len) of blanks on both sides. */
static void trim_span(const char **s, size_t *len)
{
	while (*len && blank_char(**s)) {
		(*s)++;
		(*len)--;
	}
	while (*len && blank_char((*s)[*len - 1]))
		(*len)--;
}

/* Copies a span into `out` (size bytes) when it fits; false otherwise. */
static bool span_copy(const char *s, size_t len, char *out, size_t size)
{
	if (len >= size)
		return false;
	memcpy(out, s, len);
	out[len] = '\0';
	return true;
}

/* Parses one link [s, s + len) (trimmed, not empty), link number `at`. */
static enum htd_err link_parse(const char *s, size_t len, size_t at,
                               const char *default_source,
                               struct record_link *out, struct htd_error *err)
{
	char part[RECORD_SOURCE_ID_MAX + 2];
	const char *eq = memchr(s, '=', len);
	if (!eq)
		return htd_error_field(
		    err, HTD_ERR_INVALID, "links",
		    "link %zu has no '=' (TYPE=KIND:SOURCE_ID)", at);
	const char *t = s;
	size_t tn = (size_t)(eq - s);
	trim_span(&t, &tn);
	if (!span_copy(t, tn, part, RECORD_LINK_TYPE_MAX + 1) ||
	    !record_link_type_parse(part, &out->type)) {
		char shown[48];
		size_t k = 0;
		for (size_t i = 0; i < tn && k < 40; i++)
			shown[k++] = t[i] > ' ' && t[i] < 0x7f ? t[i] : '?';
		shown[k] = '\0';
		return htd_error_field(err, HTD_ERR_INVALID, "links",
		                       "link %zu: unknown type \"%s\" (owner, "
		                       "driver, vehicle, employer, employee, "
		                       "contractor, resident, address, phone, "
		                       "subscriber, family, associate)",
		                       at, shown);
	}
	const char *rest = eq + 1;
	size_t rn = (size_t)(s + len - rest);
	trim_span(&rest, &rn);
	const char *colon = memchr(rest, ':', rn);
	if (!colon)
		return htd_error_field(
		    err, HTD_ERR_INVALID, "links",
		    "link %zu has no ':' between the kind and "
		    "the source_id",
		    at);
	const char *k = rest;
	size_t kn = (size_t)(colon - rest);
	trim_span(&k, &kn);
	if (!span_copy(k, kn, part, 16) || !record_kind_parse(part, &out->kind))
		return htd_error_field(err, HTD_ERR_INVALID, "links",
		                       "link %zu: unknown kind (person, "
		                       "location, phone, vehicle, business)",
		                       at);
	const char *id = colon + 1;
	size_t idn = (size_t)(rest + rn - id);
	char source[RECORD_SOURCE_MAX + 2];
	const char *second = memchr(id, ':', idn);
	if (second) {
		const char *src = id;
		size_t sn = (size_t)(second - id);
		trim_span(&src, &sn);
		bool fits = span_copy(src, sn, source, sizeof(source));
		idn = (size_t)(id + idn - second - 1);
		id = second + 1;
		if (sn == 0 || !fits)
			return htd_error_field(err, HTD_ERR_INVALID, "links",
			                       "link %zu: the source must be 1 "
			                       "to %d of a-z, 0-9, '_', '.', "
			                       "'-'",
			                       at, RECORD_SOURCE_MAX);
	} else {
		if (!default_source ||
		    !span_copy(default_source, strlen(default_source), source,
		               sizeof(source)))
			source[0] = '\0';
	}
	trim_span(&id, &idn);
	if (idn > RECORD_SOURCE_ID_MAX)
		idn = RECORD_SOURCE_ID_MAX + 1;
	char sid[RECORD_SOURCE_ID_MAX + 2];
	memcpy(sid, id, idn);
	sid[idn] = '\0';
	struct record probe;
	struct htd_error why;
	record_init(&probe, out->kind);
	if (record_set_source(&probe, source, sid, &why) != HTD_OK)
		return htd_error_field(err, HTD_ERR_INVALID, "links",
		                       "link %zu: %s", at, why.message);
	memcpy(out->source, probe.source, sizeof(out->source));
	memcpy(out->source_id, probe.source_id, sizeof(out->source_id));
	return HTD_OK;
}

enum htd_err record_links_parse(const char *text, size_t len,
                                const char *default_source,
                                struct record_link *out, size_t *n,
                                struct htd_error *err)
{
	*n = 0;
	if (!text)
		return HTD_OK;
	if (len > RECORD_LINKS_TEXT_MAX)
		return htd_error_field(err, HTD_ERR_TOO_LARGE, "links",
		                       "links is %zu bytes, over the limit of "
		                       "%d",
		                       len, RECORD_LINKS_TEXT_MAX);
	if (memchr(text, '\0', len))
		return htd_error_field(err, HTD_ERR_INVALID, "links",
		                       "links holds a NUL byte");
	const char *all = text;
	size_t all_n = len;
	trim_span(&all, &all_n);
	if (all_n == 0)
		return HTD_OK;
	const char *p = all, *end = all + all_n;
	for (size_t at = 1;; at++) {
		const char *semi = memchr(p, ';', (size_t)(end - p));
		const char *s = p;
		size_t sn = (size_t)((semi ? semi : end) - p);
		trim_span(&s, &sn);
		if (sn == 0)
			return htd_error_field(
			    err, HTD_ERR_INVALID, "links",
			    "link %zu is empty (two ';' in a "
			    "row, or one at an end)",
			    at);
		if (*n >= RECORD_LINKS_MAX)
			return htd_error_field(err, HTD_ERR_INVALID, "links",
			                       "more than %d links",
			                       RECORD_LINKS_MAX);
		struct record_link *l = &out[*n];
		memset(l, 0, sizeof(*l));
		enum htd_err e = link_parse(s, sn, at, default_source, l, err);
		if (e != HTD_OK)
			return e;
		for (size_t i = 0; i < *n; i++)
			if (out[i].type == l->type && out[i].kind == l->kind &&
			    strcmp(out[i].source, l->source) == 0 &&
			    strcmp(out[i].source_id, l->source_id) == 0)
				return htd_error_field(
				    err, HTD_ERR_INVALID, "links",
				    "link %zu repeats link %zu", at, i + 1);
		(*n)++;
		if (!semi)
			break;
		p = semi + 1;
	}
	return HTD_OK;
}
