/*
 * score.c - record linkage (see score.h): a record is prepared with the
 * normalisers of core/match.c, keyed for blocking, and compared field by
 * field into Fellegi-Sunter weights (the table and how it was derived are
 * at score_weights_default() below).
 */
#include "core/score.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/normalise.h"
#include "core/phonetic.h"
#include "core/strsim.h"
#include "util/mem.h"
#include "util/str.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* ---- names of fields and levels ---------------------------------------- */

static const char *const field_names[SCORE_FIELD__COUNT] = {
#define SCORE_FIELD_NAME(e, n, l) n,
	SCORE_FIELDS(SCORE_FIELD_NAME)
#undef SCORE_FIELD_NAME
};

static const char *const field_labels[SCORE_FIELD__COUNT] = {
#define SCORE_FIELD_LABEL(e, n, l) l,
	SCORE_FIELDS(SCORE_FIELD_LABEL)
#undef SCORE_FIELD_LABEL
};

static const char *const level_names[SCORE_LEVEL__COUNT] = {
#define SCORE_LEVEL_NAME(e, n, l) n,
	SCORE_LEVELS(SCORE_LEVEL_NAME)
#undef SCORE_LEVEL_NAME
};

static const char *const level_labels[SCORE_LEVEL__COUNT] = {
#define SCORE_LEVEL_LABEL(e, n, l) l,
	SCORE_LEVELS(SCORE_LEVEL_LABEL)
#undef SCORE_LEVEL_LABEL
};

const char *score_field_name(enum score_field f)
{
	return (unsigned)f < SCORE_FIELD__COUNT ? field_names[f] : "unknown";
}

const char *score_field_label(enum score_field f)
{
	return (unsigned)f < SCORE_FIELD__COUNT ? field_labels[f] : "unknown";
}

const char *score_level_name(enum score_level l)
{
	return (unsigned)l < SCORE_LEVEL__COUNT ? level_names[l] : "unknown";
}

const char *score_level_label(enum score_level l)
{
	return (unsigned)l < SCORE_LEVEL__COUNT ? level_labels[l] : "unknown";
}

/* ---- folding ----------------------------------------------------------- */

/*
 * Folds at most RECORD_VALUE_MAX bytes of `in` (NULL reads as "") with
 * core/normalise (NFKC, case-folded, accents stripped) into dst[size]:
 * words of letters and digits separated by single spaces, ASCII letters
 * upper-cased when `upper`. Bytes of other scripts are kept as letters.
 * Returns the length; a result too long for dst is cut at a character.
 */
static size_t fold_text(const char *in, char *dst, size_t size, bool upper)
{
	struct normalised n;
	size_t len = in ? strnlen(in, RECORD_VALUE_MAX) : 0;
	size_t out = 0;
	bool gap = false;

	if (size == 0)
		return 0;
	dst[0] = '\0';
	memset(&n, 0, sizeof(n));
	/* A cut at the cap is moved back to a character boundary. */
	if (len == RECORD_VALUE_MAX) {
		while (len > 0 && ((unsigned char)in[len] & 0xC0) == 0x80)
			len--;
	}
	/* Under 4 GiB, normalise_text() cannot fail. */
	(void)normalise_text(in ? in : "", len, &n);
	for (size_t i = 0; i < n.len; i++) {
		unsigned char c = (unsigned char)n.text[i];
		bool word = c >= 0x80 || isalnum(c);
		if (!word) {
			if (c != '\'')
				gap = out > 0;
			continue;
		}
		/* A multi-byte character is written whole or not at all. */
		size_t k = 1;
		if (c >= 0x80) {
			while (i + k < n.len &&
			       ((unsigned char)n.text[i + k] & 0xC0) == 0x80)
				k++;
		}
		if (out + (gap ? 1 : 0) + k + 1 > size)
			break;
		if (gap)
			dst[out++] = ' ';
		gap = false;
		for (size_t j = 0; j < k; j++) {
			char ch = n.text[i + j];
			dst[out++] =
			    upper ? (char)toupper((unsigned char)ch) : ch;
		}
		i += k - 1;
	}
	dst[out] = '\0';
	normalise_free(&n);
	return out;
}

/* Copies `in` without its spaces into dst[size] (cut to fit). */
static void squeeze(const char *in, char *dst, size_t size)
{
	size_t o = 0;

	for (; *in && o + 1 < size; in++) {
		if (*in != ' ')
			dst[o++] = *in;
	}
	dst[o] = '\0';
}

/*
 * Calls `each` for every part of the ";"-separated list `in` (at most
 * RECORD_VALUE_MAX bytes read), trimmed, as a NUL-terminated copy of at
 * most part_max bytes (longer parts are skipped). Stops when `each`
 * returns false.
 */
typedef bool (*part_fn)(const char *part, void *ctx);

static void each_part(const char *in, size_t part_max, part_fn each, void *ctx)
{
	char part[RECORD_VALUE_MAX + 1];
	size_t len = in ? strnlen(in, RECORD_VALUE_MAX) : 0;
	size_t start = 0;

	for (size_t i = 0; i <= len; i++) {
		if (i < len && in[i] != ';')
			continue;
		size_t a = start, b = i;
		start = i + 1;
		while (a < b && isspace((unsigned char)in[a]))
			a++;
		while (b > a && isspace((unsigned char)in[b - 1]))
			b--;
		if (a == b || b - a > part_max)
			continue;
		memcpy(part, in + a, b - a);
		part[b - a] = '\0';
		if (!each(part, ctx))
			return;
	}
}

/* ---- prepare ----------------------------------------------------------- */

struct prepare_ctx {
	struct score_record *p;
	const struct match_nicknames *nn;
	struct match_name *names; /* SCORE_NAMES_MAX */
};

static void add_name(struct prepare_ctx *c, const char *full)
{
	struct score_record *p = c->p;

	if (p->n_names == SCORE_NAMES_MAX) {
		p->truncated = true;
		return;
	}
	if (!match_name_parse(full, c->nn, &c->names[p->n_names]))
		return;
	if (c->names[p->n_names].truncated)
		p->truncated = true;
	p->n_names++;
}

/*
 * A person recorded as given and family names: the family name is read as
 * surnames, the given as given names, whatever their count. Parsed as
 * "family, given" so match_name_parse() knows which is which; a given name
 * alone is parsed as given names with no surname.
 */
static void add_split_name(struct prepare_ctx *c, const char *given,
                           const char *family)
{
	char full[2 * RECORD_VALUE_MAX + 3];
	struct score_record *p = c->p;

	if (str_empty(family)) {
		struct match_name *m;
		if (p->n_names == SCORE_NAMES_MAX)
			return;
		m = &c->names[p->n_names];
		if (!match_name_parse(given, c->nn, m))
			return;
		/* The parser takes the last word of a name without a comma
		 * for the surname; here there is none. */
		if (m->one_word) {
			if (m->n_given == 0 && m->surname[0]) {
				str_copy(m->given[0], sizeof(m->given[0]),
				         m->surname);
				m->n_given = 1;
			}
		} else if (m->surname[0] && m->n_given < MATCH_NAME_WORDS_MAX) {
			/* Every word of `surname` becomes a given name. */
			char *s = m->surname;
			while (*s && m->n_given < MATCH_NAME_WORDS_MAX) {
				size_t k = strcspn(s, " ");
				char *g = m->given[m->n_given++];
				size_t fit =
				    k < MATCH_NAME_MAX ? k : MATCH_NAME_MAX;
				memcpy(g, s, fit);
				g[fit] = '\0';
				s += k;
				while (*s == ' ')
					s++;
			}
		}
		m->surname[0] = '\0';
		m->n_surname_alt = 0;
		m->one_word = false;
		if (m->truncated)
			p->truncated = true;
		p->n_names++;
		return;
	}
	if (str_empty(given)) {
		size_t before = p->n_names;
		/* "Family," alone does not read as the reversed form; a
		 * stand-in given name does, and is then removed. */
		(void)str_format(full, sizeof(full), "%.*s, X",
		                 RECORD_VALUE_MAX, family);
		add_name(c, full);
		if (p->n_names > before) {
			/* A family name alone names no given name. */
			struct match_name *m = &c->names[before];
			m->n_given = 0;
			m->one_word = false;
		}
		return;
	}
	/* Only the capped part of each is read. */
	(void)str_format(full, sizeof(full), "%.*s, %.*s", RECORD_VALUE_MAX,
	                 family, RECORD_VALUE_MAX, given);
	add_name(c, full);
}

static bool alias_part(const char *part, void *ctx)
{
	struct prepare_ctx *c = ctx;

	if (c->p->n_names == SCORE_NAMES_MAX) {
		c->p->truncated = true;
		return false;
	}
	add_name(c, part);
	return true;
}

static bool business_part(const char *part, void *ctx)
{
	struct score_record *p = ctx;

	if (p->n_business == SCORE_NAMES_MAX) {
		p->truncated = true;
		return false;
	}
	if (!p->business)
		p->business = xcalloc(SCORE_NAMES_MAX, sizeof(*p->business));
	if (fold_text(part, p->business[p->n_business], sizeof(p->business[0]),
	              false) > 0)
		p->n_business++;
	return true;
}

static bool id_part(const char *part, void *ctx)
{
	struct score_record *p = ctx;
	char *dst;
	const char *colon = strchr(part, ':');
	size_t o = 0;

	if (p->n_ids == SCORE_IDS_MAX) {
		p->truncated = true;
		return false;
	}
	dst = p->ids[p->n_ids];
	if (colon) {
		for (const char *s = part; s < colon && o + 2 < SCORE_ID_SIZE;
		     s++) {
			if (isalnum((unsigned char)*s))
				dst[o++] = (char)tolower((unsigned char)*s);
		}
		part = colon + 1;
	}
	dst[o++] = ':';
	size_t type_len = o;
	for (const char *s = part; *s && o + 1 < SCORE_ID_SIZE; s++) {
		unsigned char ch = (unsigned char)*s;
		if (isalnum(ch))
			dst[o++] = (char)toupper(ch);
		else if (ch == ':' && o > type_len && dst[o - 1] != ':')
			dst[o++] = ':';
	}
	while (o > type_len && dst[o - 1] == ':')
		o--;
	dst[o] = '\0';
	if (o == type_len)
		return true; /* no value */
	for (size_t i = 0; i < p->n_ids; i++) {
		if (strcmp(p->ids[i], dst) == 0)
			return true;
	}
	p->n_ids++;
	return true;
}

static bool phone_part(const char *part, void *ctx)
{
	struct score_record *p = ctx;
	char e164[MATCH_PHONE_E164_SIZE];

	if (p->n_phones == SCORE_PHONES_MAX) {
		p->truncated = true;
		return false;
	}
	if (match_phone_e164(part, NULL, e164, sizeof(e164), NULL, 0, NULL) !=
	    HTD_OK) {
		p->bad_phones++;
		return true;
	}
	for (size_t i = 0; i < p->n_phones; i++) {
		if (strcmp(p->phones[i], e164) == 0)
			return true;
	}
	str_copy(p->phones[p->n_phones++], MATCH_PHONE_E164_SIZE, e164);
	return true;
}

/* Reads a decimal number in [min, max] (record_set() checked the text);
 * false when it is not one. */
static bool parse_degrees(const char *s, double min, double max, double *out)
{
	char *end;
	double v;

	if (str_empty(s) || strnlen(s, 64) == 64)
		return false;
	v = strtod(s, &end);
	while (*end == ' ')
		end++;
	if (end == s || *end != '\0' || !isfinite(v) || v < min || v > max)
		return false;
	*out = v;
	return true;
}

static void add_formal_names(struct score_record *p,
                             const struct match_nicknames *nn)
{
	const char *formal[8];

	if (!nn)
		return;
	for (size_t i = 0; i < p->n_names; i++) {
		const struct match_name *m = &p->names[i];
		for (size_t g = 0; g < m->n_given; g++) {
			size_t n = match_nicknames_formal(
			    nn, m->given[g], formal, COUNT(formal));
			if (n > COUNT(formal))
				n = COUNT(formal);
			for (size_t k = 0; k < n; k++) {
				struct score_formal *f;
				if (p->n_formal == SCORE_FORMAL_MAX)
					return;
				if (!p->formal)
					p->formal = xcalloc(SCORE_FORMAL_MAX,
					                    sizeof(*p->formal));
				f = &p->formal[p->n_formal++];
				f->name = (unsigned char)i;
				f->given = (unsigned char)g;
				str_copy(f->text, sizeof(f->text), formal[k]);
			}
		}
	}
}

static void prepare_sex(const char *s, struct score_record *p)
{
	char f[SCORE_TEXT_SIZE];

	if (fold_text(s, f, sizeof(f), false) == 0)
		return;
	if (f[0] == 'f' || f[0] == 'w')
		p->sex = 'f';
	else if (f[0] == 'm')
		p->sex = 'm';
	else if (f[0] == 'x' || strcmp(f, "nonbinary") == 0)
		p->sex = 'x';
}

static void prepare_vin(const char *s, struct score_record *p)
{
	size_t o = 0;

	if (!s)
		return;
	for (size_t i = 0; s[i] && i < RECORD_VALUE_MAX; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (!isalnum(ch))
			continue;
		if (o + 1 == SCORE_VIN_SIZE) {
			p->truncated = true;
			break;
		}
		p->vin[o++] = (char)toupper(ch);
	}
	p->vin[o] = '\0';
}

static void prepare_postcode(const char *s, struct score_record *p)
{
	char f[SCORE_TEXT_SIZE];

	fold_text(s, f, sizeof(f), true);
	squeeze(f, p->postcode, sizeof(p->postcode));
}

/* Every surname form of `m` (surname, then surname_alt) without spaces,
 * with its Double Metaphone codes, into `out`. */
static void surname_forms(const struct match_name *m,
                          struct score_surnames *out)
{
	out->n = 0;
	if (!m->surname[0])
		return;
	for (size_t k = 0; k <= m->n_surname_alt; k++) {
		struct score_surname *f = &out->form[out->n++];
		squeeze(k == 0 ? m->surname : m->surname_alt[k - 1], f->text,
		        sizeof(f->text));
		if (!phonetic_double_metaphone(
		        f->text, f->primary, f->alternate, sizeof(f->primary)))
			f->primary[0] = f->alternate[0] = '\0';
	}
}

enum htd_err score_prepare(const struct record *r,
                           const struct match_nicknames *nn,
                           struct score_record *out, struct htd_error *err)
{
	struct match_name names[SCORE_NAMES_MAX];
	struct prepare_ctx c;
	char *const *f;

	if (!out)
		return htd_error_set(err, HTD_ERR_INVALID,
		                     "no record to prepare into");
	memset(out, 0, sizeof(*out));
	if (!r)
		return htd_error_set(err, HTD_ERR_INVALID, "no record");
	if ((unsigned)r->kind >= RECORD_KIND__COUNT)
		return htd_error_field(err, HTD_ERR_INVALID, "kind",
		                       "unknown record kind %d", (int)r->kind);
	f = r->field;
	out->kind = r->kind;

	c.p = out;
	c.nn = nn;
	c.names = names;
	if (r->kind == RECORD_BUSINESS) {
		if (f[RECORD_F_NAME])
			business_part(f[RECORD_F_NAME], out);
		each_part(f[RECORD_F_ALIASES], MATCH_NAME_MAX, business_part,
		          out);
	} else {
		if (f[RECORD_F_GIVEN_NAME] || f[RECORD_F_FAMILY_NAME])
			add_split_name(&c, f[RECORD_F_GIVEN_NAME],
			               f[RECORD_F_FAMILY_NAME]);
		if (f[RECORD_F_NAME])
			add_name(&c, f[RECORD_F_NAME]);
		each_part(f[RECORD_F_ALIASES], RECORD_VALUE_MAX, alias_part,
		          &c);
	}
	if (out->n_names > 0) {
		out->names = xmalloc(out->n_names * sizeof(*out->names));
		memcpy(out->names, names, out->n_names * sizeof(*out->names));
		out->surnames = xmalloc(out->n_names * sizeof(*out->surnames));
		for (size_t i = 0; i < out->n_names; i++)
			surname_forms(&out->names[i], &out->surnames[i]);
		add_formal_names(out, nn);
	}
	fold_text(f[RECORD_F_BUSINESS_TYPE], out->business_type,
	          sizeof(out->business_type), false);

	if (f[RECORD_F_BIRTH_DATE] &&
	    match_date_parse(f[RECORD_F_BIRTH_DATE], &out->birth, NULL) !=
	        HTD_OK)
		memset(&out->birth, 0, sizeof(out->birth));
	prepare_sex(f[RECORD_F_SEX], out);
	each_part(f[RECORD_F_ID_NUMBER], SCORE_ID_SIZE * 2, id_part, out);
	each_part(f[RECORD_F_PHONE], MATCH_PHONE_MAX, phone_part, out);

	if (f[RECORD_F_ADDRESS] &&
	    match_address_normalise(f[RECORD_F_ADDRESS], &out->address))
		out->has_address = true;
	else
		memset(&out->address, 0, sizeof(out->address));
	if (out->address.truncated)
		out->truncated = true;
	(void)str_format(out->address_more, sizeof(out->address_more), "%s%s%s",
	                 out->address.unit,
	                 out->address.unit[0] && out->address.rest[0] ? " "
	                                                              : "",
	                 out->address.rest);
	fold_text(f[RECORD_F_CITY], out->city, sizeof(out->city), true);
	fold_text(f[RECORD_F_STATE], out->state, sizeof(out->state), true);
	prepare_postcode(f[RECORD_F_POSTCODE], out);
	fold_text(f[RECORD_F_COUNTRY], out->country, sizeof(out->country),
	          true);
	if (parse_degrees(f[RECORD_F_LATITUDE], -90, 90, &out->latitude) &&
	    parse_degrees(f[RECORD_F_LONGITUDE], -180, 180, &out->longitude))
		out->has_coordinates = true;
	else
		out->latitude = out->longitude = 0;

	if (f[RECORD_F_PLATE] &&
	    match_plate_key(f[RECORD_F_PLATE], &out->plate, NULL) != HTD_OK)
		memset(&out->plate, 0, sizeof(out->plate));
	fold_text(f[RECORD_F_PLATE_STATE], out->plate_state,
	          sizeof(out->plate_state), true);
	fold_text(f[RECORD_F_MAKE], out->make, sizeof(out->make), true);
	fold_text(f[RECORD_F_MODEL], out->model, sizeof(out->model), true);
	fold_text(f[RECORD_F_COLOR], out->color, sizeof(out->color), true);
	prepare_vin(f[RECORD_F_VIN], out);
	return HTD_OK;
}

void score_record_free(struct score_record *p)
{
	if (!p)
		return;
	free(p->names);
	free(p->surnames);
	free(p->business);
	free(p->formal);
	memset(p, 0, sizeof(*p));
}

/* ---- keys -------------------------------------------------------------- */

static void key_add(struct match_keys *out, const char *key)
{
	if (key[0] == '\0')
		return;
	for (size_t i = 0; i < out->n; i++) {
		if (strcmp(out->key[i], key) == 0)
			return;
	}
	if (out->n == MATCH_KEYS_MAX) {
		out->truncated = true;
		return;
	}
	/* A key cut to MATCH_KEY_SIZE is still the same key both ways. */
	str_copy(out->key[out->n++], MATCH_KEY_SIZE, key);
}

/* Appends `s` to key[MATCH_KEY_SIZE] holding `n` bytes, cut at a byte as
 * snprintf cuts; returns the new length. */
static size_t key_cat(char *key, size_t n, const char *s)
{
	size_t len = strlen(s);
	if (len > MATCH_KEY_SIZE - 1 - n)
		len = MATCH_KEY_SIZE - 1 - n;
	memcpy(key + n, s, len);
	key[n + len] = '\0';
	return n + len;
}

/* Adds prefix + a (+ ":" + b), the bytes "%s%s:%s" would give: without
 * printf, which was a twentieth of an import's CPU. */
static void key_addf(struct match_keys *out, const char *prefix, const char *a,
                     const char *b)
{
	char key[MATCH_KEY_SIZE];
	size_t n = key_cat(key, 0, prefix);

	n = key_cat(key, n, a);
	if (b) {
		n = key_cat(key, n, ":");
		(void)key_cat(key, n, b);
	}
	key_add(out, key);
}

/* The first `n` characters (not bytes) of `s` into dst[size]. */
static void first_chars(const char *s, size_t n, char *dst, size_t size)
{
	size_t i = 0, chars = 0;

	while (s[i] && chars < n && i + 1 < size) {
		size_t k = 1;
		while (((unsigned char)s[i + k] & 0xC0) == 0x80)
			k++;
		if (i + k + 1 > size)
			break;
		i += k;
		chars++;
	}
	memcpy(dst, s, i);
	dst[i] = '\0';
}

/* Words of business names too common to block on. */
static const char *const business_fillers[] = {
	"and", "the", "of",  "de",   "del", "la",   "los",         "las",
	"el",  "y",   "llc", "inc",  "co",  "corp", "corporation", "company",
	"ltd", "lp",  "llp", "pllc", "sa",  "cv",   "srl",
};

static bool business_filler(const char *w)
{
	for (size_t i = 0; i < COUNT(business_fillers); i++) {
		if (strcmp(w, business_fillers[i]) == 0)
			return true;
	}
	return false;
}

static void business_keys(const struct score_record *p, struct match_keys *out)
{
	for (size_t i = 0; i < p->n_business; i++) {
		const char *s = p->business[i];
		while (*s) {
			char word[MATCH_NAME_WORD_MAX + 1];
			char primary[PHONETIC_DOUBLE_METAPHONE_SIZE];
			char alternate[PHONETIC_DOUBLE_METAPHONE_SIZE];
			size_t k = strcspn(s, " ");
			size_t fit =
			    k < MATCH_NAME_WORD_MAX ? k : MATCH_NAME_WORD_MAX;
			memcpy(word, s, fit);
			word[fit] = '\0';
			s += k;
			while (*s == ' ')
				s++;
			if (fit < 3 || business_filler(word))
				continue;
			key_addf(out, SCORE_KEY_BUSINESS, word, NULL);
			if (phonetic_double_metaphone(word, primary, alternate,
			                              sizeof(primary)) &&
			    primary[0]) {
				key_addf(out, SCORE_KEY_BUSINESS_PHONETIC,
				         primary, NULL);
			}
		}
	}
}

static void address_key(const struct score_record *p, struct match_keys *out)
{
	char key[MATCH_KEY_SIZE];

	if (!p->has_address || !p->address.street[0])
		return;
	size_t n = key_cat(key, 0, SCORE_KEY_ADDRESS);
	n = key_cat(key, n, p->address.number);
	n = key_cat(key, n, "|");
	(void)key_cat(key, n, p->address.street);
	key_add(out, key);
}

/*
 * geo: cells of 0.01 degree (about 1.1 km north-south) on four grids, each
 * shifted by half a cell in latitude, longitude or both ("geo:0:3026:-9775"
 * .. "geo:3:..."): two points closer than half a cell on each axis share a
 * cell on at least one grid, whatever boundary lies between them.
 */
static void geo_key(const struct score_record *p, struct match_keys *out)
{
	char key[MATCH_KEY_SIZE];

	if (!p->has_coordinates)
		return;
	for (int grid = 0; grid < 4; grid++) {
		double lat = p->latitude * 100.0 + (grid & 1 ? 0.5 : 0.0);
		double lon = p->longitude * 100.0 + (grid & 2 ? 0.5 : 0.0);
		(void)str_format(key, sizeof(key), "%s%d:%ld:%ld",
		                 SCORE_KEY_GEO, grid, (long)floor(lat),
		                 (long)floor(lon));
		key_add(out, key);
	}
}

/*
 * pn: the postcode with the first 4 letters of the first given name, and
 * with those of the surname: one family for both, so a record whose given
 * name and surname were entered the other way round still meets.
 */
static void postcode_keys(const struct score_record *p, struct match_keys *out)
{
	char head[4 * 4 + 1];
	char squeezed[MATCH_NAME_MAX + 1];

	if (!p->postcode[0])
		return;
	for (size_t i = 0; i < p->n_names; i++) {
		const struct match_name *m = &p->names[i];
		if (m->n_given > 0 && !m->one_word) {
			first_chars(m->given[0], 4, head, sizeof(head));
			key_addf(out, SCORE_KEY_POSTCODE_NAME, p->postcode,
			         head);
		}
		if (m->surname[0]) {
			squeeze(m->surname, squeezed, sizeof(squeezed));
			first_chars(squeezed, 4, head, sizeof(head));
			key_addf(out, SCORE_KEY_POSTCODE_NAME, p->postcode,
			         head);
		}
	}
}

/*
 * gb: each given name of each name form (not an initial), and each of its
 * formal names, with the month and day of birth when both are known: a
 * person whose surname is missing, misspelt at its start or changed (by
 * marriage, or as a victim's papers were taken) still meets.
 */
static void given_birth_keys(const struct score_record *p,
                             struct match_keys *out)
{
	char md[8];

	if (p->birth.month == 0 || p->birth.day == 0)
		return;
	(void)str_format(md, sizeof(md), "%02d-%02d", p->birth.month,
	                 p->birth.day);
	for (size_t i = 0; i < p->n_names; i++) {
		const struct match_name *m = &p->names[i];
		if (m->one_word)
			continue;
		for (size_t g = 0; g < m->n_given; g++) {
			if (m->given[g][1] == '\0')
				continue;
			key_addf(out, SCORE_KEY_GIVEN_BIRTH, m->given[g], md);
			for (size_t k = 0; k < p->n_formal; k++) {
				const struct score_formal *f = &p->formal[k];
				if (f->name == i && f->given == g)
					key_addf(out, SCORE_KEY_GIVEN_BIRTH,
					         f->text, md);
			}
		}
	}
}

size_t score_keys(const struct score_record *p,
                  const struct match_nicknames *nn, struct match_keys *out)
{
	struct match_keys k;

	out->n = 0;
	out->truncated = false;
	if (!p)
		return 0;
	for (size_t i = 0; i < p->n_phones; i++)
		key_addf(out, MATCH_KEY_PHONE, p->phones[i], NULL);
	for (size_t i = 0; i < p->n_ids; i++)
		key_addf(out, SCORE_KEY_ID, p->ids[i], NULL);
	if (p->vin[0])
		key_addf(out, SCORE_KEY_VIN, p->vin, NULL);
	if (p->plate.folded[0])
		key_addf(out, SCORE_KEY_PLATE, p->plate.folded, NULL);
	address_key(p, out);
	given_birth_keys(p, out);
	if (p->n_names == 0 && match_date_known(&p->birth)) {
		/* No name: the date of birth is still a key (dob:). */
		struct match_person person = { .birth = &p->birth };
		match_person_keys(&person, nn, &k);
		for (size_t j = 0; j < k.n; j++)
			key_add(out, k.key[j]);
	}
	for (size_t i = 0; i < p->n_names; i++) {
		struct match_person person = {
			.name = &p->names[i],
			.birth = match_date_known(&p->birth) ? &p->birth : NULL,
			.phone = NULL,
		};
		match_person_keys(&person, nn, &k);
		for (size_t j = 0; j < k.n; j++)
			key_add(out, k.key[j]);
		if (k.truncated)
			out->truncated = true;
	}
	business_keys(p, out);
	postcode_keys(p, out);
	geo_key(p, out);
	return out->n;
}

/* ---- comparators ------------------------------------------------------- */

/* A field's outcome: its level and the similarity behind it. */
struct outcome {
	enum score_level level;
	double similarity;
};

static struct outcome outcome(enum score_level level, double similarity)
{
	struct outcome o = { level, similarity };
	return o;
}

/* Levels from a similarity in [0, 1]: 1 exact, then two bands. */
static struct outcome banded(double sim, double close, double fair)
{
	if (sim >= 1.0)
		return outcome(SCORE_L_EXACT, sim);
	if (sim >= close)
		return outcome(SCORE_L_CLOSE, sim);
	if (sim >= fair)
		return outcome(SCORE_L_FAIR, sim);
	return outcome(SCORE_L_DIFFERENT, sim);
}

/* The best outcome of a list against a list (lower level is better). */
static void keep_best(struct outcome *best, struct outcome o)
{
	if (o.level == SCORE_L_MISSING)
		return;
	if (best->level == SCORE_L_MISSING || o.level < best->level ||
	    (o.level == best->level && o.similarity > best->similarity))
		*best = o;
}

/* True when the formal names of a's given name (i, g) include `w`. */
static bool formal_has(const struct score_record *a, size_t i, size_t g,
                       const char *w)
{
	for (size_t k = 0; k < a->n_formal; k++) {
		const struct score_formal *f = &a->formal[k];
		if (f->name == i && f->given == g && strcmp(f->text, w) == 0)
			return true;
	}
	return false;
}

/* True when a's given (i, g) and b's given (j, h) share a formal name. */
static bool formal_shared(const struct score_record *a, size_t i, size_t g,
                          const struct score_record *b, size_t j, size_t h)
{
	for (size_t k = 0; k < a->n_formal; k++) {
		const struct score_formal *f = &a->formal[k];
		if (f->name == i && f->given == g &&
		    formal_has(b, j, h, f->text))
			return true;
	}
	return false;
}

/*
 * Given names: the best pair of given names of names a[i] and b[j]. Equal
 * or nickname-related (one is a formal name of the other, or both of one
 * formal name): exact. Jaro-Winkler 0.90 or more: close; 0.75 or more, or
 * an initial that agrees with the other's name: fair.
 */
static struct outcome compare_given(const struct score_record *a, size_t i,
                                    const struct score_record *b, size_t j)
{
	const struct match_name *x = &a->names[i], *y = &b->names[j];
	double best = -1;

	if (x->n_given == 0 || y->n_given == 0)
		return outcome(SCORE_L_MISSING, 0);
	for (size_t g = 0; g < x->n_given; g++) {
		for (size_t h = 0; h < y->n_given; h++) {
			const char *s = x->given[g], *t = y->given[h];
			double sim;
			if (s[1] == '\0' || t[1] == '\0') {
				/* An initial ("m") that agrees, with a name
				 * or another initial, is fair evidence only. */
				sim = s[0] == t[0] ? 0.75 : 0.0;
			} else if (strcmp(s, t) == 0 ||
			           formal_has(a, i, g, t) ||
			           formal_has(b, j, h, s) ||
			           formal_shared(a, i, g, b, j, h)) {
				return outcome(SCORE_L_EXACT, 1.0);
			} else {
				sim = strsim_jaro_winkler(s, t);
			}
			if (sim > best)
				best = sim;
		}
	}
	return banded(best >= 1.0 ? 0.999 : best, 0.90, 0.75);
}

/*
 * Surnames: the best pair of surname forms (a Spanish double surname
 * meets either surname alone). Equal: exact. Jaro-Winkler 0.90 or more,
 * or the same Double Metaphone code and 0.80 or more: close; 0.75 or
 * more, or the same Double Metaphone code: fair.
 */
static struct outcome compare_surname(const struct score_record *a, size_t i,
                                      const struct score_record *b, size_t j)
{
	const struct score_surnames *fa = &a->surnames[i];
	const struct score_surnames *fb = &b->surnames[j];
	struct outcome best = outcome(SCORE_L_MISSING, 0);

	for (size_t g = 0; g < fa->n; g++) {
		for (size_t h = 0; h < fb->n; h++) {
			const struct score_surname *x = &fa->form[g];
			const struct score_surname *y = &fb->form[h];
			struct outcome o;
			double sim;
			if (strcmp(x->text, y->text) == 0)
				return outcome(SCORE_L_EXACT, 1.0);
			sim = strsim_jaro_winkler(x->text, y->text);
			o = banded(sim >= 1.0 ? 0.999 : sim, 0.90, 0.75);
			if (o.level > SCORE_L_CLOSE && x->primary[0] &&
			    (strcmp(x->primary, y->primary) == 0 ||
			     strcmp(x->primary, y->alternate) == 0 ||
			     strcmp(x->alternate, y->primary) == 0))
				o.level =
				    sim >= 0.80 ? SCORE_L_CLOSE : SCORE_L_FAIR;
			keep_best(&best, o);
		}
	}
	return best;
}

/*
 * True when the different texts a[la] and b[lb] are one edit apart, byte
 * by byte (codes are ASCII): one character changed, added or dropped, or
 * two adjacent characters swapped. O(length), no allocation.
 */
static bool one_edit(const char *a, size_t la, const char *b, size_t lb)
{
	size_t i = 0;

	if (la > lb) {
		const char *t = a;
		size_t tl = la;
		a = b;
		la = lb;
		b = t;
		lb = tl;
	}
	if (lb - la > 1)
		return false;
	while (i < la && a[i] == b[i])
		i++;
	if (la < lb)
		return strcmp(a + i, b + i + 1) == 0;
	if (i == la)
		return false; /* equal */
	if (strcmp(a + i + 1, b + i + 1) == 0)
		return true;
	return i + 1 < la && a[i] == b[i + 1] && a[i + 1] == b[i] &&
	       strcmp(a + i + 2, b + i + 2) == 0;
}

/* Codes (identifiers, phones, postcodes, house numbers, VINs): equal,
 * exact; one edit apart (a typo) and both of `min_len` bytes or more,
 * close (similarity 1 - 1/length); else different (similarity 0). */
static struct outcome compare_code(const char *a, const char *b, size_t min_len)
{
	size_t la, lb;

	if (!a[0] || !b[0])
		return outcome(SCORE_L_MISSING, 0);
	if (strcmp(a, b) == 0)
		return outcome(SCORE_L_EXACT, 1.0);
	la = strlen(a);
	lb = strlen(b);
	if (la >= min_len && lb >= min_len && one_edit(a, la, b, lb))
		return outcome(SCORE_L_CLOSE,
		               1.0 - 1.0 / (double)(la > lb ? la : lb));
	return outcome(SCORE_L_DIFFERENT, 0);
}

/* Text compared by Jaro-Winkler: equal exact, then the two bands. */
static struct outcome compare_text(const char *a, const char *b, double close,
                                   double fair)
{
	double sim;

	if (!a[0] || !b[0])
		return outcome(SCORE_L_MISSING, 0);
	if (strcmp(a, b) == 0)
		return outcome(SCORE_L_EXACT, 1.0);
	sim = strsim_jaro_winkler(a, b);
	return banded(sim >= 1.0 ? 0.999 : sim, close, fair);
}

/*
 * Dates of birth, by match_date_similarity(): 1.0 exact; 0.7 to 0.9 (a
 * part unknown on one side, day and month swapped, one typo) close; 0.4
 * to 0.6 fair; else different. Unknown on either side: missing.
 */
static struct outcome compare_birth(const struct score_record *a,
                                    const struct score_record *b)
{
	double sim;

	if (!match_date_known(&a->birth) || !match_date_known(&b->birth))
		return outcome(SCORE_L_MISSING, 0);
	sim = match_date_similarity(&a->birth, &b->birth);
	if (sim >= 1.0)
		return outcome(SCORE_L_EXACT, sim);
	if (sim >= 0.7)
		return outcome(SCORE_L_CLOSE, sim);
	if (sim >= 0.4)
		return outcome(SCORE_L_FAIR, sim);
	return outcome(SCORE_L_DIFFERENT, sim);
}

/* Identifiers of the same type (or untyped): equal exact, one typo in
 * five characters or more close, else different. Only identifiers of
 * types the other side lacks: missing. */
static struct outcome compare_ids(const struct score_record *a,
                                  const struct score_record *b)
{
	struct outcome best = outcome(SCORE_L_MISSING, 0);

	for (size_t i = 0; i < a->n_ids; i++) {
		const char *x = a->ids[i], *xv = strchr(x, ':') + 1;
		size_t xt = (size_t)(xv - x);
		for (size_t j = 0; j < b->n_ids; j++) {
			const char *y = b->ids[j], *yv = strchr(y, ':') + 1;
			size_t yt = (size_t)(yv - y);
			bool untyped = xt == 1 || yt == 1;
			if (!untyped && (xt != yt || memcmp(x, y, xt) != 0))
				continue;
			keep_best(&best, compare_code(xv, yv, 5));
		}
	}
	return best;
}

/* Phones: the same E.164 number exact; one digit off close (a misheard
 * digit); else different. */
static struct outcome compare_phones(const struct score_record *a,
                                     const struct score_record *b)
{
	struct outcome best = outcome(SCORE_L_MISSING, 0);

	for (size_t i = 0; i < a->n_phones; i++) {
		for (size_t j = 0; j < b->n_phones; j++)
			keep_best(&best,
			          compare_code(a->phones[i], b->phones[j], 8));
	}
	return best;
}

static struct outcome compare_address_rest(const struct score_record *a,
                                           const struct score_record *b)
{
	if (!a->has_address || !b->has_address)
		return outcome(SCORE_L_MISSING, 0);
	return compare_text(a->address_more, b->address_more, 0.90, 0.75);
}

/* Great-circle distance in metres (haversine; the Earth as a sphere). */
static double distance_m(double lat1, double lon1, double lat2, double lon2)
{
	const double r = 6371008.8, rad = 3.14159265358979323846 / 180.0;
	double dlat = (lat2 - lat1) * rad, dlon = (lon2 - lon1) * rad;
	double h =
	    sin(dlat / 2) * sin(dlat / 2) +
	    cos(lat1 * rad) * cos(lat2 * rad) * sin(dlon / 2) * sin(dlon / 2);
	if (h > 1)
		h = 1;
	return 2 * r * asin(sqrt(h));
}

/* Coordinates: within 50 m exact, 250 m close, 1 km fair. */
static struct outcome compare_coordinates(const struct score_record *a,
                                          const struct score_record *b)
{
	double d;

	if (!a->has_coordinates || !b->has_coordinates)
		return outcome(SCORE_L_MISSING, 0);
	d = distance_m(a->latitude, a->longitude, b->latitude, b->longitude);
	if (d <= 50)
		return outcome(SCORE_L_EXACT, 1.0 - d / 1000.0);
	if (d <= 250)
		return outcome(SCORE_L_CLOSE, 1.0 - d / 1000.0);
	if (d <= 1000)
		return outcome(SCORE_L_FAIR, 1.0 - d / 1000.0);
	return outcome(SCORE_L_DIFFERENT, 0);
}

/* Plates: the same characters exact; the same once O/0, I/1, B/8, S/5,
 * Z/2 are folded close; one character off fair. A different plate state
 * lowers a match by one level. */
static struct outcome compare_plate(const struct score_record *a,
                                    const struct score_record *b)
{
	struct outcome o;

	if (!a->plate.exact[0] || !b->plate.exact[0])
		return outcome(SCORE_L_MISSING, 0);
	if (strcmp(a->plate.exact, b->plate.exact) == 0)
		o = outcome(SCORE_L_EXACT, 1.0);
	else if (strcmp(a->plate.folded, b->plate.folded) == 0)
		o = outcome(SCORE_L_CLOSE, 0.95);
	else if (strsim_damerau_levenshtein(a->plate.folded, b->plate.folded) <=
	         1)
		o = outcome(SCORE_L_FAIR, 0.8);
	else
		return outcome(SCORE_L_DIFFERENT, 0);
	if (a->plate_state[0] && b->plate_state[0] &&
	    strcmp(a->plate_state, b->plate_state) != 0)
		o.level =
		    o.level == SCORE_L_FAIR ? SCORE_L_DIFFERENT : o.level + 1;
	return o;
}

/* Business names: the best pair of names, by Jaro-Winkler. */
static struct outcome compare_business(const struct score_record *a,
                                       const struct score_record *b)
{
	struct outcome best = outcome(SCORE_L_MISSING, 0);

	for (size_t i = 0; i < a->n_business; i++) {
		for (size_t j = 0; j < b->n_business; j++)
			keep_best(&best,
			          compare_text(a->business[i], b->business[j],
			                       0.92, 0.80));
	}
	return best;
}

/* ---- the weights ------------------------------------------------------- */

/*
 * The default weights, log2(m/u) per level (missing, exact, close, fair,
 * different).
 *
 * Person and address fields: counted by `bench_febrl --train` on FEBRL
 * datasets 1 and 2, the training split (6,000 records, 2,434 true pairs):
 * m over every true pair, u over 2,000,000 random pairs that are not (as
 * Splink estimates u; pairs met through the blocking keys would make u
 * depend on the keys), each share smoothed by half a pair, and adjacent
 * levels pooled where a level of more agreement would weigh less than one
 * of less (pool-adjacent-violators; a level no pair reached, which that
 * field's comparator cannot give, takes the weight of the level before).
 * Datasets 3, 4a and 4b, on which bench/febrl.c reports, were not used.
 *
 * The threshold is where a pair becomes more likely a match than not
 * (Fellegi-Sunter): u was counted over random pairs, so the prior odds of
 * a match are about one in the number of records, and the weight must
 * reach log2 of it; 20 is an index of about a million records (see
 * score_threshold_for()). FEBRL cannot set it: on the blocked pairs of
 * datasets 1 and 2, F1 is within 0.001 of its best (0.99996) for every
 * threshold from 3.2 to 24.9.
 *
 * Fields FEBRL lacks carry weights from assumed m and u, written next to
 * them (m: how often a true pair agrees so; u: how often two different
 * records do).
 */
static const struct score_weights default_weights = {
	.w = {
		/* Counted on FEBRL datasets 1 and 2. */
		[SCORE_F_GIVEN] = { 0, 7.13, 6.84, 1.20, -3.03 },
		[SCORE_F_SURNAME] = { 0, 7.47, 6.99, -0.09, -3.74 },
		[SCORE_F_BIRTH] = { 0, 14.80, 3.66, 3.66, -3.96 },
		[SCORE_F_ID] = { 0, 21.74, 14.63, 14.63, -4.24 },
		[SCORE_F_HOUSE_NUMBER] = { 0, 5.95, -1.48, -1.48, -2.85 },
		[SCORE_F_STREET] = { 0, 10.78, 10.54, -0.45, -3.21 },
		[SCORE_F_ADDRESS_REST] = { 0, 9.82, 9.80, 1.34, -3.69 },
		[SCORE_F_CITY] = { 0, 9.47, 9.28, -0.15, -3.79 },
		[SCORE_F_POSTCODE] = { 0, 9.52, 3.83, 3.83, -4.86 },
		[SCORE_F_STATE] = { 0, 2.05, 2.05, 2.05, -4.11 },
		/* Assumed: m 0.98 the same, u 0.5. */
		[SCORE_F_SEX] = { 0, 0.97, 0.97, 0.97, -4.64 },
		/* m 0.9 the same, u 1e-6; one digit off m 0.03, u 1e-5. */
		[SCORE_F_PHONE] = { 0, 19.78, 11.55, 11.55, -3.84 },
		/* Within 50 m m 0.6, u 1e-4; 250 m 0.2, 5e-4; 1 km 0.1,
		 * 1e-2. */
		[SCORE_F_COORDINATES] = { 0, 12.55, 8.64, 3.32, -3.31 },
		/* m 0.9 the same, u 1e-6; folded the same 0.05, 1e-5; one
		 * character off 0.03, 1e-4. */
		[SCORE_F_PLATE] = { 0, 19.78, 12.29, 8.23, -5.63 },
		/* m 0.95 the same, u 1e-7; one character off 0.03, 1e-6. */
		[SCORE_F_VIN] = { 0, 23.18, 14.87, 14.87, -5.64 },
		/* m 0.9, u 0.1; alike 0.05, 0.02. */
		[SCORE_F_MAKE] = { 0, 3.17, 1.32, 1.32, -4.14 },
		/* m 0.85, u 0.02; alike 0.05, 0.01. */
		[SCORE_F_MODEL] = { 0, 5.41, 2.32, 2.32, -3.28 },
		/* m 0.8, u 0.15 (colours are misreported). */
		[SCORE_F_COLOR] = { 0, 2.42, 0, 0, -2.42 },
		/* m 0.7, u 1e-4; close 0.2, 5e-4; fair 0.05, 5e-3. */
		[SCORE_F_BUSINESS_NAME] = { 0, 12.77, 8.64, 3.32, -4.32 },
		/* m 0.8, u 0.2; alike 0.1, 0.05. */
		[SCORE_F_BUSINESS_TYPE] = { 0, 2.0, 1.0, 1.0, -2.91 },
	},
	.threshold = 20.0,
	.partial = 0.75,
};

const struct score_weights *score_weights_default(void)
{
	return &default_weights;
}

/* ---- compare ----------------------------------------------------------- */

/* The better of two outcomes: the lower level, then the higher
 * similarity. */
static bool better(struct outcome x, struct outcome y)
{
	return x.level < y.level ||
	       (x.level == y.level && x.similarity > y.similarity);
}

/*
 * Given names of a[i] against the surname forms of b[j], by Jaro-Winkler
 * as compare_surname() bands them: for names entered the other way round
 * ("Fitzpatrick Lucy" for "Lucy Fitzpatrick").
 */
static struct outcome compare_cross(const struct match_name *x,
                                    const struct score_surnames *y)
{
	struct outcome best = outcome(SCORE_L_MISSING, 0);

	for (size_t g = 0; g < x->n_given; g++)
		for (size_t k = 0; k < y->n; k++)
			keep_best(&best,
			          compare_text(x->given[g], y->form[k].text,
			                       0.90, 0.75));
	return best;
}

/*
 * Names: the pair of name forms (name and aliases on each side) whose
 * given name and surname weigh the most together, so an alias that agrees
 * is used and the others do not count against the pair. Each pair is
 * also compared crosswise (a's given names with b's surname, a's surname
 * with b's given names), for names entered the other way round; when that
 * weighs more it is used, the better of the two cross outcomes counted as
 * the surname and the other as the given name (the same both ways), and
 * *swapped is set.
 */
static void compare_names(const struct score_record *a,
                          const struct score_record *b,
                          const struct score_weights *w, struct outcome *given,
                          struct outcome *surname, bool *swapped)
{
	double best = -1e300;

	*given = outcome(SCORE_L_MISSING, 0);
	*surname = outcome(SCORE_L_MISSING, 0);
	*swapped = false;
	for (size_t i = 0; i < a->n_names; i++) {
		for (size_t j = 0; j < b->n_names; j++) {
			const struct match_name *x = &a->names[i];
			const struct match_name *y = &b->names[j];
			struct outcome g = compare_given(a, i, b, j);
			struct outcome s = compare_surname(a, i, b, j);
			double sum = w->w[SCORE_F_GIVEN][g.level] +
			             w->w[SCORE_F_SURNAME][s.level];
			if (sum > best) {
				best = sum;
				*given = g;
				*surname = s;
				*swapped = false;
			}
			if (x->n_given == 0 || y->n_given == 0 ||
			    !x->surname[0] || !y->surname[0])
				continue;
			struct outcome c1 = compare_cross(x, &b->surnames[j]);
			struct outcome c2 = compare_cross(y, &a->surnames[i]);
			if (better(c2, c1)) {
				struct outcome t = c1;
				c1 = c2;
				c2 = t;
			}
			sum = w->w[SCORE_F_GIVEN][c2.level] +
			      w->w[SCORE_F_SURNAME][c1.level];
			if (sum > best) {
				best = sum;
				*given = c2;
				*surname = c1;
				*swapped = true;
			}
		}
	}
}

double score_compare(const struct score_record *a, const struct score_record *b,
                     const struct score_weights *w, struct score_explain *ex)
{
	struct outcome o[SCORE_FIELD__COUNT];
	double total = 0;
	bool swapped;

	if (!w)
		w = &default_weights;
	if (ex) {
		ex->n = 0;
		ex->total = 0;
		ex->attainable = 0;
		ex->names_swapped = false;
	}
	if (!a || !b)
		return 0;
	/* Each comparator is symmetric and the fields are summed in one
	 * order, so the weight is the same bit for bit both ways. */
	compare_names(a, b, w, &o[SCORE_F_GIVEN], &o[SCORE_F_SURNAME],
	              &swapped);
	o[SCORE_F_BIRTH] = compare_birth(a, b);
	o[SCORE_F_SEX] = !a->sex || !b->sex ? outcome(SCORE_L_MISSING, 0)
	                 : a->sex == b->sex ? outcome(SCORE_L_EXACT, 1)
	                                    : outcome(SCORE_L_DIFFERENT, 0);
	o[SCORE_F_ID] = compare_ids(a, b);
	o[SCORE_F_PHONE] = compare_phones(a, b);
	o[SCORE_F_HOUSE_NUMBER] =
	    a->has_address && b->has_address
	        ? compare_code(a->address.number, b->address.number, 2)
	        : outcome(SCORE_L_MISSING, 0);
	o[SCORE_F_STREET] =
	    a->has_address && b->has_address
	        ? compare_text(a->address.street, b->address.street, 0.90, 0.75)
	        : outcome(SCORE_L_MISSING, 0);
	o[SCORE_F_ADDRESS_REST] = compare_address_rest(a, b);
	o[SCORE_F_CITY] = compare_text(a->city, b->city, 0.90, 0.75);
	o[SCORE_F_POSTCODE] = compare_code(a->postcode, b->postcode, 4);
	o[SCORE_F_STATE] = compare_code(a->state, b->state, 100);
	o[SCORE_F_COORDINATES] = compare_coordinates(a, b);
	o[SCORE_F_PLATE] = compare_plate(a, b);
	o[SCORE_F_VIN] = compare_code(a->vin, b->vin, 11);
	o[SCORE_F_MAKE] = compare_text(a->make, b->make, 0.85, 2);
	o[SCORE_F_MODEL] = compare_text(a->model, b->model, 0.85, 2);
	o[SCORE_F_COLOR] = compare_text(a->color, b->color, 0.85, 2);
	o[SCORE_F_BUSINESS_NAME] = compare_business(a, b);
	o[SCORE_F_BUSINESS_TYPE] =
	    compare_text(a->business_type, b->business_type, 0.90, 2);

	for (size_t f = 0; f < SCORE_FIELD__COUNT; f++) {
		double weight;
		if (o[f].level == SCORE_L_MISSING)
			continue;
		weight = w->w[f][o[f].level];
		total += weight;
		if (ex) {
			struct score_explain_item *it = &ex->item[ex->n++];
			it->field = (enum score_field)f;
			it->level = o[f].level;
			it->similarity = o[f].similarity;
			it->weight = weight;
			ex->attainable += w->w[f][SCORE_L_EXACT];
		}
	}
	if (ex) {
		ex->total = total;
		ex->names_swapped = swapped;
	}
	return total;
}

double score_threshold_for(size_t records)
{
	return log2(records > 2 ? (double)records : 2.0);
}

bool score_is_match(const struct score_explain *ex,
                    const struct score_weights *w)
{
	double bar;

	if (!w)
		w = &default_weights;
	if (!ex || ex->n == 0)
		return false;
	bar = w->partial * ex->attainable;
	if (bar > w->threshold)
		bar = w->threshold;
	return ex->total >= bar;
}

bool score_explain_format(const struct score_explain *ex, char *out,
                          size_t size)
{
	size_t used;
	bool fit;

	if (size == 0)
		return false;
	fit = str_format(out, size, "%.1f%s:", ex ? ex->total : 0.0,
	                 ex && ex->names_swapped ? " (names swapped)" : "");
	if (!ex || !fit)
		return fit;
	for (size_t i = 0; i < ex->n; i++) {
		const struct score_explain_item *it = &ex->item[i];
		used = strlen(out);
		if (!str_format(out + used, size - used, "%s %s %s (%+.1f)",
		                i ? "," : "", score_field_label(it->field),
		                score_level_name(it->level), it->weight))
			return false;
	}
	return true;
}

/* ---- top k ------------------------------------------------------------- */

/* True when x ranks below y: a lower weight, or equal and a higher id. */
static bool worse(const struct score_hit *x, const struct score_hit *y)
{
	return x->weight < y->weight ||
	       (x->weight == y->weight && x->id > y->id);
}

void score_topk_init(struct score_topk *t, struct score_hit *slot, size_t k)
{
	t->slot = slot;
	t->k = slot ? k : 0;
	t->n = 0;
}

static void sift_down(struct score_hit *h, size_t n, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < n && worse(&h[l], &h[m]))
			m = l;
		if (r < n && worse(&h[r], &h[m]))
			m = r;
		if (m == i)
			return;
		struct score_hit tmp = h[i];
		h[i] = h[m];
		h[m] = tmp;
		i = m;
	}
}

bool score_topk_offer(struct score_topk *t, double weight, uint64_t id)
{
	struct score_hit hit = { weight, id };
	struct score_hit *h = t->slot;

	if (t->k == 0 || isnan(weight))
		return false;
	if (t->n < t->k) {
		size_t i = t->n++;
		h[i] = hit;
		while (i > 0) {
			size_t parent = (i - 1) / 2;
			if (!worse(&h[i], &h[parent]))
				break;
			struct score_hit tmp = h[i];
			h[i] = h[parent];
			h[parent] = tmp;
			i = parent;
		}
		return true;
	}
	if (!worse(&h[0], &hit))
		return false;
	h[0] = hit;
	sift_down(h, t->n, 0);
	return true;
}

size_t score_topk_sorted(struct score_topk *t)
{
	size_t n = t->n;

	/* Heap sort: the worst goes to the end each time, best first. */
	for (size_t end = n; end > 1; end--) {
		struct score_hit tmp = t->slot[0];
		t->slot[0] = t->slot[end - 1];
		t->slot[end - 1] = tmp;
		sift_down(t->slot, end - 1, 0);
	}
	t->n = 0;
	t->k = 0;
	return n;
}
