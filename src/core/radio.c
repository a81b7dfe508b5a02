/*
 * radio.c - the radio script of radio.h, and the redaction that keeps a
 * caller's name and number off the air.
 *
 * The facts are checked, each free-text field collapsed to one line, the
 * parts composed, and every part built from free text redacted on its own
 * (so a match never spans two parts). Then the parts are fitted into
 * RADIO_SCRIPT_MAX by cutting the longest, and the finished script is
 * redacted once more as a whole, in case a cut or the joining made a new
 * match. Redaction matches on core/normalise's folded text and maps every
 * match back to the original bytes.
 */
#include "core/radio.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/normalise.h"
#include "core/units.h"
#include "util/mem.h"
#include "util/str.h"

/* ---- redaction ----------------------------------------------------------- */

#define PHONE_KEY_DIGITS 7 /* the subscriber number: what identifies it */
#define PHONE_MIN_DIGITS 7
#define PHONE_SEP_RUN_MAX 3 /* separators in a row inside one number */

struct pattern {
	bool phone;
	char key[PHONE_KEY_DIGITS + 1]; /* phone: its last seven digits */
	char *words; /* owned: folded words joined by one space; NULL none */
	size_t words_len;
};

struct span {
	size_t start, end; /* bytes of the original: [start, end) */
};

struct redactor {
	struct pattern patterns[RADIO_FORBIDDEN_MAX];
	size_t n;
	struct normalised norm; /* scratch */
	struct span *spans;
	size_t n_spans, cap_spans;
	char *digits; /* scratch: the digits of one run */
	size_t cap_digits;
};

static bool ascii_alnum(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	       (c >= 'A' && c <= 'Z');
}

static bool ascii_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

/* In folded text every byte outside ASCII belongs to a word (normalise
 * turned non-ASCII punctuation into spaces); ASCII separates unless it is
 * a letter or digit. */
static bool folded_sep(unsigned char c)
{
	return c < 0x80 && !ascii_alnum(c);
}

static void redactor_free(struct redactor *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->patterns[i].words);
	normalise_free(&r->norm);
	free(r->spans);
	free(r->digits);
	memset(r, 0, sizeof(*r));
}

/* Folds `s` and fills pattern `p` from it; false when it has nothing to
 * match (no words, fewer than seven digits). */
static bool pattern_make(struct redactor *r, const char *s, struct pattern *p)
{
	memset(p, 0, sizeof(*p));
	if (normalise_text(s, strlen(s), &r->norm) != 0)
		return false;
	const unsigned char *t = (const unsigned char *)r->norm.text;
	size_t len = r->norm.len, digits = 0;
	bool letters = false;
	for (size_t i = 0; i < len; i++) {
		if (ascii_digit(t[i]))
			digits++;
		else if (!folded_sep(t[i]))
			letters = true;
	}
	if (digits >= PHONE_MIN_DIGITS) {
		p->phone = true;
		size_t k = PHONE_KEY_DIGITS;
		p->key[k] = '\0';
		for (size_t i = len; i-- > 0 && k > 0;)
			if (ascii_digit(t[i]))
				p->key[--k] = (char)t[i];
	}
	if (letters || !p->phone) {
		char *w = xmalloc(len + 1);
		size_t n = 0;
		bool gap = false;
		for (size_t i = 0; i < len; i++) {
			if (folded_sep(t[i])) {
				gap = n > 0;
				continue;
			}
			if (gap)
				w[n++] = ' ';
			gap = false;
			w[n++] = (char)t[i];
		}
		w[n] = '\0';
		if (n > 0) {
			p->words = w;
			p->words_len = n;
		} else {
			free(w);
		}
	}
	return p->phone || p->words;
}

static enum htd_err redactor_init(struct redactor *r,
                                  const char *const *forbidden, size_t n,
                                  struct htd_error *err)
{
	memset(r, 0, sizeof(*r));
	if (n > 0 && !forbidden)
		return htd_error_field(err, HTD_ERR_INVALID, "forbidden",
		                       "a forbidden list of %zu is NULL", n);
	if (n > RADIO_FORBIDDEN_MAX)
		return htd_error_field(err, HTD_ERR_INVALID, "forbidden",
		                       "at most %d forbidden strings, not %zu",
		                       RADIO_FORBIDDEN_MAX, n);
	for (size_t i = 0; i < n; i++) {
		const char *s = forbidden[i];
		if (str_empty(s))
			continue;
		size_t len = strnlen(s, RADIO_FORBIDDEN_LEN_MAX + 1);
		if (len > RADIO_FORBIDDEN_LEN_MAX || !str_utf8_valid(s, len)) {
			/* Failing is safer than a name that goes out. */
			redactor_free(r);
			return htd_error_field(
			    err, HTD_ERR_INVALID, "forbidden",
			    "forbidden string %zu is over %d "
			    "bytes or not UTF-8",
			    i, RADIO_FORBIDDEN_LEN_MAX);
		}
		if (pattern_make(r, s, &r->patterns[r->n]))
			r->n++;
	}
	return HTD_OK;
}

static void span_add(struct redactor *r, size_t start, size_t end)
{
	if (r->n_spans == r->cap_spans) {
		r->cap_spans = r->cap_spans ? r->cap_spans * 2 : 16;
		r->spans = xrealloc(r->spans, r->cap_spans * sizeof(*r->spans));
	}
	r->spans[r->n_spans].start = start;
	r->spans[r->n_spans].end = end;
	r->n_spans++;
}

/* Adds a span for folded bytes [s, e) of the current text. */
static void span_folded(struct redactor *r, size_t s, size_t e)
{
	span_add(r, r->norm.from[s], r->norm.to[e - 1]);
}

static void find_phone(struct redactor *r, const struct pattern *p)
{
	const unsigned char *t = (const unsigned char *)r->norm.text;
	size_t len = r->norm.len;
	if (r->cap_digits < len + 1) {
		r->cap_digits = len + 1;
		r->digits = xrealloc(r->digits, r->cap_digits);
	}
	size_t i = 0;
	while (i < len) {
		if (!ascii_digit(t[i])) {
			i++;
			continue;
		}
		size_t start = i, last = i, nd = 0, k = i;
		for (;;) {
			while (k < len && ascii_digit(t[k])) {
				r->digits[nd++] = (char)t[k];
				last = k++;
			}
			size_t s = k;
			while (s < len && s - k <= PHONE_SEP_RUN_MAX &&
			       folded_sep(t[s]))
				s++;
			if (s > k && s - k <= PHONE_SEP_RUN_MAX && s < len &&
			    ascii_digit(t[s])) {
				k = s;
				continue;
			}
			break;
		}
		if (nd >= PHONE_KEY_DIGITS &&
		    memmem(r->digits, nd, p->key, PHONE_KEY_DIGITS)) {
			while (start > 0 &&
			       (t[start - 1] == '+' || t[start - 1] == '('))
				start--;
			span_folded(r, start, last + 1);
		}
		i = last + 1;
	}
}

static void find_words(struct redactor *r, const struct pattern *p)
{
	const unsigned char *t = (const unsigned char *)r->norm.text;
	const unsigned char *w = (const unsigned char *)p->words;
	size_t len = r->norm.len;
	for (size_t i = 0; i < len; i++) {
		if (folded_sep(t[i]) || (t[i] & 0xc0) == 0x80)
			continue;
		/* Not from inside a word of Latin letters or digits. */
		if (i > 0 && ascii_alnum(t[i - 1]) && ascii_alnum(t[i]))
			continue;
		size_t j = 0, k = i;
		while (j < p->words_len) {
			if (w[j] == ' ') {
				if (k >= len || !folded_sep(t[k]))
					break;
				while (k < len && folded_sep(t[k]))
					k++;
				j++;
			} else if (k < len && t[k] == w[j]) {
				k++;
				j++;
			} else {
				break;
			}
		}
		if (j < p->words_len)
			continue;
		if (k < len && ascii_alnum(t[k]) && ascii_alnum(t[k - 1]))
			continue;
		span_folded(r, i, k);
		i = k - 1;
	}
}

static int span_cmp(const void *a, const void *b)
{
	const struct span *x = a, *y = b;
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return (x->end > y->end) - (x->end < y->end);
}

/*
 * Appends `text` (len bytes) to `out` with every match withheld; adds the
 * number of places to *count. Nothing is appended on error.
 */
static enum htd_err redact(struct redactor *r, const char *text, size_t len,
                           struct buf *out, size_t *count)
{
	r->n_spans = 0;
	if (r->n > 0 && len > 0) {
		if (normalise_text(text, len, &r->norm) != 0)
			return HTD_ERR_TOO_LARGE;
		for (size_t i = 0; i < r->n; i++) {
			if (r->patterns[i].phone)
				find_phone(r, &r->patterns[i]);
			if (r->patterns[i].words)
				find_words(r, &r->patterns[i]);
		}
	}
	if (r->n_spans > 1)
		qsort(r->spans, r->n_spans, sizeof(*r->spans), span_cmp);
	size_t start_len = out->len, pos = 0, places = 0;
	enum htd_err rc = HTD_OK;
	for (size_t i = 0; i < r->n_spans && rc == HTD_OK;) {
		size_t s = r->spans[i].start, e = r->spans[i].end;
		/* Merge what overlaps or touches. */
		for (i++; i < r->n_spans && r->spans[i].start <= e; i++)
			if (r->spans[i].end > e)
				e = r->spans[i].end;
		if (s < pos) /* cannot happen after the merge */
			s = pos;
		rc = buf_append(out, text + pos, s - pos);
		if (rc == HTD_OK)
			rc = buf_puts(out, RADIO_WITHHELD);
		pos = e;
		places++;
	}
	if (rc == HTD_OK)
		rc = buf_append(out, text + pos, len - pos);
	if (rc != HTD_OK) {
		out->len = start_len;
		if (out->data)
			out->data[start_len] = '\0';
		return rc;
	}
	*count += places;
	return HTD_OK;
}

enum htd_err radio_redact(const char *text, const char *const *forbidden,
                          size_t n_forbidden, struct buf *out, size_t *count,
                          struct htd_error *err)
{
	struct redactor r;
	size_t places = 0;
	if (count)
		*count = 0;
	if (!out)
		return htd_error_set(err, HTD_ERR_INVALID, "no buffer");
	enum htd_err rc = redactor_init(&r, forbidden, n_forbidden, err);
	if (rc != HTD_OK)
		return rc;
	if (text)
		rc = redact(&r, text, strlen(text), out, &places);
	redactor_free(&r);
	if (rc != HTD_OK)
		return htd_error_set(err, rc, "the redacted text is too large");
	if (count)
		*count = places;
	return HTD_OK;
}

/* ---- checking the facts -------------------------------------------------- */

static enum htd_err check_field(const char *s, const char *name,
                                struct htd_error *err)
{
	if (str_empty(s))
		return HTD_OK;
	size_t len = strnlen(s, RADIO_FIELD_MAX + 1);
	if (len > RADIO_FIELD_MAX)
		return htd_error_field(err, HTD_ERR_TOO_LARGE, name,
		                       "%s is longer than %d bytes", name,
		                       RADIO_FIELD_MAX);
	if (!str_utf8_valid(s, len))
		return htd_error_field(err, HTD_ERR_INVALID, name,
		                       "%s is not valid UTF-8", name);
	if (!str_no_controls(s, len, true))
		return htd_error_field(err, HTD_ERR_INVALID, name,
		                       "%s holds a control character", name);
	return HTD_OK;
}

static enum htd_err check_facts(const struct radio_facts *f,
                                char call_id[CALL_REF_MAX],
                                struct htd_error *err)
{
	enum htd_err rc;
	call_id[0] = '\0';
	if (!f)
		return htd_error_set(err, HTD_ERR_INVALID, "no facts");
	if (!str_empty(f->call_id)) {
		int year;
		int64_t seq;
		if (!call_ref_parse(f->call_id, &year, &seq) ||
		    !call_ref_format(year, seq, call_id, CALL_REF_MAX))
			return htd_error_field(err, HTD_ERR_INVALID, "call_id",
			                       "call_id must be a call id such "
			                       "as HT-2026-000123");
	}
	if ((unsigned)f->category >= CALL_CATEGORY__COUNT)
		return htd_error_field(err, HTD_ERR_INVALID, "category",
		                       "unknown category %d", (int)f->category);
	if (f->priority < 0 || f->priority > 9)
		return htd_error_field(err, HTD_ERR_INVALID, "priority",
		                       "priority is 1 (highest) to 9, or 0 "
		                       "when not decided");
	if (f->people < 0 || f->people > RADIO_PEOPLE_MAX)
		return htd_error_field(err, HTD_ERR_INVALID, "people",
		                       "people is 0 (unknown) to %d",
		                       RADIO_PEOPLE_MAX);
	if (f->has_position && !units_coordinates_valid(f->lat, f->lon))
		return htd_error_field(err, HTD_ERR_INVALID, "position",
		                       "latitude must be in [-90, 90] and "
		                       "longitude in [-180, 180]");
	if (f->n_vehicles > RADIO_VEHICLES_MAX ||
	    (f->n_vehicles > 0 && !f->vehicles))
		return htd_error_field(err, HTD_ERR_INVALID, "vehicles",
		                       "at most %d vehicles",
		                       RADIO_VEHICLES_MAX);
	if (!str_empty(f->language)) {
		char tag[CALL_LANGUAGE_MAX + 1];
		if (!call_language_normalise(f->language, tag, sizeof(tag)))
			return htd_error_field(err, HTD_ERR_INVALID, "language",
			                       "language must be a BCP 47 tag "
			                       "such as 'es'");
	}
	const struct {
		const char *name;
		const char *value;
	} texts[] = {
		{ "location", f->location },
		{ "cross_street", f->cross_street },
		{ "nature", f->nature },
		{ "suspects", f->suspects },
		{ "weapons_text", f->weapons_text },
		{ "safety", f->safety },
	};
	for (size_t i = 0; i < sizeof(texts) / sizeof(*texts); i++)
		if ((rc = check_field(texts[i].value, texts[i].name, err)))
			return rc;
	for (size_t i = 0; i < f->n_vehicles; i++) {
		const struct radio_vehicle *v = &f->vehicles[i];
		const char *parts[] = { v->plate, v->make, v->model, v->color };
		const char *names[] = { "plate", "make", "model", "color" };
		for (size_t k = 0; k < 4; k++) {
			char name[32];
			str_format(name, sizeof(name), "vehicles[%zu].%s", i,
			           names[k]);
			if ((rc = check_field(parts[k], name, err)))
				return rc;
		}
	}
	return HTD_OK;
}

/* ---- the parts ----------------------------------------------------------- */

enum part_id {
	PART_HEAD,     /* priority, category: nature */
	PART_LOCATION, /* location at cross street */
	PART_PEOPLE,
	PART_SUSPECTS,
	PART_VEHICLES,
	PART_SAFETY, /* weapons; officer-safety notes */
	PART_LANGUAGE,
	PART_CONTACT,
	PART__COUNT
};

#define PART_PREFIX_MAX 96
/*
 * The bytes of content a part keeps however short the script must be: the
 * most for what an officer needs to find the place and stay safe. With
 * the longest labels (a long call id, an unnamed language) the parts at
 * these sizes still fit in RADIO_SCRIPT_MAX.
 */
static const size_t part_min[PART__COUNT] = {
	[PART_HEAD] = 24,     [PART_LOCATION] = 48, [PART_SUSPECTS] = 24,
	[PART_VEHICLES] = 40, [PART_SAFETY] = 40,
};

struct part {
	char prefix[PART_PREFIX_MAX];
	char *content;      /* owned; redacted, one line; NULL: none */
	size_t len;         /* of content */
	size_t keep;        /* bytes of content kept; < len: cut, "..." added */
	const char *suffix; /* "."; left out after a cut's "..." */
	size_t min;         /* part_min */
};

struct draft {
	struct part parts[PART__COUNT];
	size_t redactions;
	char call_id[CALL_REF_MAX];
	const char *location; /* the location part's content, or "" */
};

static void draft_free(struct draft *d)
{
	for (int i = 0; i < PART__COUNT; i++)
		free(d->parts[i].content);
	memset(d, 0, sizeof(*d));
}

/* Appends `s` to `b` on one line: white space runs become one space. */
static void put_line(struct buf *b, const char *s)
{
	bool space = b->len > 0 && b->data[b->len - 1] != ' ';
	bool pending = false;
	if (!s)
		return;
	for (; *s; s++) {
		if (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r') {
			pending = space;
			continue;
		}
		if (pending)
			buf_append(b, " ", 1);
		pending = false;
		space = true;
		buf_append(b, s, 1);
	}
}

/* Drops trailing spaces and punctuation that would double the part's own
 * (". " ",;:"); keeps closing brackets and quotes. */
static void trim_end(struct buf *b)
{
	while (b->len > 0 && strchr(" .,;:", b->data[b->len - 1]))
		b->data[--b->len] = '\0';
}

static const char *category_phrase(enum call_category c)
{
	switch (c) {
	case CALL_CATEGORY_VICTIM_ESCAPE: return "trafficking victim escape";
	case CALL_CATEGORY_VICTIM_CALL: return "trafficking victim call";
	case CALL_CATEGORY_CREDIBLE_TIP: return "trafficking tip";
	case CALL_CATEGORY_OTHER: return "trafficking-related call";
	default: return "possible trafficking";
	}
}

/* Redacts `raw` (the part's text before redaction) into the part. */
static enum htd_err part_set(struct redactor *r, struct draft *d,
                             enum part_id id, struct buf *raw)
{
	struct buf red;
	struct part *p = &d->parts[id];
	trim_end(raw);
	if (raw->len == 0)
		return HTD_OK;
	buf_init(&red, 0);
	enum htd_err rc = redact(r, raw->data, raw->len, &red, &d->redactions);
	if (rc != HTD_OK) {
		buf_free(&red);
		return rc;
	}
	p->len = red.len;
	p->keep = red.len;
	p->content = buf_steal(&red);
	return HTD_OK;
}

static void put_vehicle(struct buf *b, const struct radio_vehicle *v)
{
	size_t start = b->len;
	const char *desc[] = { v->color, v->make, v->model };
	for (size_t i = 0; i < 3; i++) {
		if (str_empty(desc[i]))
			continue;
		if (b->len > start)
			buf_puts(b, " ");
		put_line(b, desc[i]);
	}
	if (!str_empty(v->plate)) {
		if (b->len > start)
			buf_puts(b, ", ");
		buf_puts(b, "plate ");
		put_line(b, v->plate);
	}
}

/* Builds and redacts every part of the script for checked facts. */
static enum htd_err draft_build(const struct radio_facts *f, struct redactor *r,
                                struct draft *d, struct htd_error *err)
{
	struct buf raw;
	enum htd_err rc = HTD_OK;
	struct part *p = d->parts;
	buf_init(&raw, 0);

	const char *phrase = category_phrase(f->category);
	if (f->priority > 0)
		str_format(p[PART_HEAD].prefix, PART_PREFIX_MAX,
		           "Priority %d, %s", f->priority, phrase);
	else
		str_format(p[PART_HEAD].prefix, PART_PREFIX_MAX, "%c%s",
		           phrase[0] - 'a' + 'A', phrase + 1);
	put_line(&raw, f->nature);
	rc = part_set(r, d, PART_HEAD, &raw);
	if (rc == HTD_OK && p[PART_HEAD].content)
		strncat(p[PART_HEAD].prefix, ": ",
		        PART_PREFIX_MAX - strlen(p[PART_HEAD].prefix) - 1);

	/* Location: "1200 E 6th St at Chicot St"; "near Chicot St". */
	buf_reset(&raw);
	put_line(&raw, f->location);
	trim_end(&raw);
	if (!str_empty(f->cross_street)) {
		buf_puts(&raw, raw.len ? " at " : "near ");
		put_line(&raw, f->cross_street);
	}
	if (rc == HTD_OK)
		rc = part_set(r, d, PART_LOCATION, &raw);
	str_copy(p[PART_LOCATION].prefix, PART_PREFIX_MAX, "Location: ");
	if (rc == HTD_OK && !p[PART_LOCATION].content)
		str_copy(p[PART_LOCATION].prefix, PART_PREFIX_MAX,
		         "Location unknown");
	d->location = p[PART_LOCATION].content ? p[PART_LOCATION].content : "";

	if (f->people > 0)
		str_format(p[PART_PEOPLE].prefix, PART_PREFIX_MAX, "%d %s",
		           f->people, f->people == 1 ? "person" : "people");

	buf_reset(&raw);
	put_line(&raw, f->suspects);
	if (rc == HTD_OK)
		rc = part_set(r, d, PART_SUSPECTS, &raw);
	str_copy(p[PART_SUSPECTS].prefix, PART_PREFIX_MAX, "Suspects: ");

	buf_reset(&raw);
	size_t shown = 0;
	for (size_t i = 0; i < f->n_vehicles; i++) {
		size_t before = raw.len;
		if (shown)
			buf_puts(&raw, "; ");
		size_t mark = raw.len;
		put_vehicle(&raw, &f->vehicles[i]);
		if (raw.len == mark) { /* an empty vehicle */
			raw.len = before;
			if (raw.data)
				raw.data[before] = '\0';
			continue;
		}
		shown++;
	}
	if (rc == HTD_OK)
		rc = part_set(r, d, PART_VEHICLES, &raw);
	str_copy(p[PART_VEHICLES].prefix, PART_PREFIX_MAX,
	         shown > 1 ? "Vehicles: " : "Vehicle: ");

	buf_reset(&raw);
	if (f->weapons) {
		buf_puts(&raw, "weapons reported");
		if (!str_empty(f->weapons_text)) {
			buf_puts(&raw, ": ");
			put_line(&raw, f->weapons_text);
			trim_end(&raw);
		}
	}
	if (!str_empty(f->safety)) {
		size_t before = raw.len;
		if (raw.len)
			buf_puts(&raw, "; ");
		size_t mark = raw.len;
		put_line(&raw, f->safety);
		if (raw.len == mark) {
			raw.len = before;
			if (raw.data)
				raw.data[before] = '\0';
		}
	}
	if (rc == HTD_OK)
		rc = part_set(r, d, PART_SAFETY, &raw);
	str_copy(p[PART_SAFETY].prefix, PART_PREFIX_MAX, "Caution: ");
	buf_free(&raw);

	if (!str_empty(f->language)) {
		const char *name = units_language_name(f->language);
		char tag[CALL_LANGUAGE_MAX + 1];
		if (name)
			str_format(p[PART_LANGUAGE].prefix, PART_PREFIX_MAX,
			           "%s speaker needed", name);
		else if (call_language_normalise(f->language, tag, sizeof(tag)))
			str_format(p[PART_LANGUAGE].prefix, PART_PREFIX_MAX,
			           "Speaker of language %s needed", tag);
	}

	/* A part with no content and only its label says nothing. */
	for (int i = PART_SUSPECTS; i <= PART_SAFETY; i++)
		if (!p[i].content)
			p[i].prefix[0] = '\0';
	for (int i = 0; i < PART__COUNT; i++) {
		p[i].suffix = ".";
		p[i].min = part_min[i];
	}

	if (d->call_id[0])
		str_format(p[PART_CONTACT].prefix, PART_PREFIX_MAX,
		           "Contact dispatch for details, %s", d->call_id);
	else
		str_copy(p[PART_CONTACT].prefix, PART_PREFIX_MAX,
		         "Contact dispatch for details");
	if (rc != HTD_OK)
		return htd_error_set(err, rc, "could not build the script");
	return HTD_OK;
}

/* ---- fitting ------------------------------------------------------------- */

#define ELLIPSIS "..."
#define ELLIPSIS_LEN 3

static bool part_present(const struct part *p)
{
	return p->prefix[0] || p->content;
}

/* Bytes the part takes as it stands (an upper bound when cut). */
static size_t part_size(const struct part *p)
{
	size_t n = strlen(p->prefix) + strlen(p->suffix);
	if (p->content)
		n += p->keep < p->len ? p->keep + ELLIPSIS_LEN : p->len;
	return n;
}

static size_t draft_size(const struct draft *d)
{
	size_t n = 0, k = 0;
	for (int i = 0; i < PART__COUNT; i++) {
		if (!part_present(&d->parts[i]))
			continue;
		n += part_size(&d->parts[i]);
		k++;
	}
	return k ? n + k - 1 : 0; /* one space between parts */
}

/* The shown length of a part's content: what the fitting trades. */
static size_t shown(const struct part *p)
{
	return p->keep < p->len ? p->keep + ELLIPSIS_LEN : p->len;
}

/*
 * Cuts the content that is longest over its minimum, a step at a time,
 * down to the next longest, until the draft fits: a long suspect
 * description gives way before the location or the safety notes do.
 * Returns true when anything was cut.
 */
static bool draft_fit(struct draft *d, size_t max)
{
	bool cut = false;
	size_t size;
	while ((size = draft_size(d)) > max) {
		struct part *longest = NULL;
		size_t first = 0, second = 0;
		for (int i = 0; i < PART__COUNT; i++) {
			struct part *p = &d->parts[i];
			size_t s = p->content ? shown(p) : 0;
			if (!p->content || p->keep <= p->min ||
			    s <= p->min + ELLIPSIS_LEN)
				continue;
			size_t over = s - p->min;
			if (over > first) {
				second = first;
				first = over;
				longest = p;
			} else if (over > second) {
				second = over;
			}
		}
		if (!longest)
			break; /* every part at its minimum: the caller cuts */
		/* Down to the next longest; a byte at a time on a tie, so
		 * equal parts shrink together. */
		size_t step = size - max, gap = first - second;
		if (gap == 0)
			gap = 1;
		if (gap < step)
			step = gap;
		size_t want = shown(longest) - step; /* shown length wanted */
		size_t keep = want > ELLIPSIS_LEN ? want - ELLIPSIS_LEN : 0;
		if (keep < longest->min)
			keep = longest->min;
		if (keep >= longest->keep)
			keep = longest->keep - 1;
		longest->keep = keep;
		cut = true;
	}
	return cut;
}

/* Appends the first `keep` bytes of `s`, cut at a word where one is near,
 * and "...". */
static void put_cut(struct buf *b, const char *s, size_t keep)
{
	size_t n = keep;
	while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--; /* not inside a UTF-8 character */
	size_t word = n;
	while (word > keep / 2 && s[word] != ' ')
		word--;
	if (s[word] == ' ')
		n = word;
	while (n > 0 && strchr(" ,;:-.", s[n - 1]))
		n--;
	buf_append(b, s, n);
	buf_puts(b, ELLIPSIS);
}

/* Writes the fitted draft into `b`. */
static void draft_write(const struct draft *d, struct buf *b)
{
	for (int i = 0; i < PART__COUNT; i++) {
		const struct part *p = &d->parts[i];
		if (!part_present(p))
			continue;
		if (b->len)
			buf_puts(b, " ");
		buf_puts(b, p->prefix);
		if (p->content && p->keep < p->len) {
			put_cut(b, p->content, p->keep);
			continue; /* "..." ends it */
		}
		if (p->content)
			buf_puts(b, p->content);
		buf_puts(b, p->suffix);
	}
}

/* Cuts `b` to at most `max` bytes at a word, ending with "...". */
static void hard_cut(struct buf *b, size_t max)
{
	if (b->len <= max)
		return;
	size_t n = max - ELLIPSIS_LEN;
	while (n > 0 && ((unsigned char)b->data[n] & 0xc0) == 0x80)
		n--;
	size_t word = n;
	while (word > n / 2 && b->data[word] != ' ')
		word--;
	if (b->data[word] == ' ')
		n = word;
	b->len = n;
	b->data[n] = '\0';
	buf_puts(b, ELLIPSIS);
}

/* Checks, builds, fits and redacts; `text` gets the script. */
static enum htd_err script_make(const struct radio_facts *f, struct redactor *r,
                                struct draft *d, struct radio_script *out,
                                struct htd_error *err)
{
	struct buf b, again;
	enum htd_err rc = draft_build(f, r, d, err);
	if (rc != HTD_OK)
		return rc;
	out->shortened = draft_fit(d, RADIO_SCRIPT_MAX);
	buf_init(&b, 0);
	draft_write(d, &b);
	/* Once more over the whole: a cut or a join may make a new match. */
	buf_init(&again, 0);
	size_t late = 0;
	rc = redact(r, b.data ? b.data : "", b.len, &again, &late);
	if (rc == HTD_OK) {
		if (again.len > RADIO_SCRIPT_MAX) {
			hard_cut(&again, RADIO_SCRIPT_MAX);
			out->shortened = true;
		}
		memcpy(out->text, again.data ? again.data : "", again.len);
		out->text[again.len] = '\0';
		out->len = again.len;
		out->redactions = d->redactions + late;
	}
	buf_free(&again);
	buf_free(&b);
	if (rc != HTD_OK)
		return htd_error_set(err, rc, "could not build the script");
	return HTD_OK;
}

enum htd_err radio_script(const struct radio_facts *f,
                          const char *const *forbidden, size_t n_forbidden,
                          struct radio_script *out, struct htd_error *err)
{
	struct redactor r;
	struct draft d;
	if (!out)
		return htd_error_set(err, HTD_ERR_INVALID, "no script");
	memset(out, 0, sizeof(*out));
	memset(&d, 0, sizeof(d));
	enum htd_err rc = check_facts(f, d.call_id, err);
	if (rc != HTD_OK)
		return rc;
	rc = redactor_init(&r, forbidden, n_forbidden, err);
	if (rc != HTD_OK)
		return rc;
	rc = script_make(f, &r, &d, out, err);
	draft_free(&d);
	redactor_free(&r);
	if (rc != HTD_OK)
		memset(out, 0, sizeof(*out));
	return rc;
}

/* ---- the title ----------------------------------------------------------- */

/* Appends the built draft's title to `what` and `where`; on error to
 * neither. */
static enum htd_err title_put(const struct draft *d, struct buf *what,
                              struct buf *where, struct htd_error *err)
{
	/* The head's words without the nature: draft_build() ends the
	 * prefix with ": " only when a nature follows. */
	const char *head = d->parts[PART_HEAD].prefix;
	size_t head_len = strlen(head), what_len = what->len;
	if (head_len >= 2 && strcmp(head + head_len - 2, ": ") == 0)
		head_len -= 2;
	enum htd_err rc = buf_append(what, head, head_len);
	if (rc == HTD_OK) {
		rc = buf_puts(where, d->location);
		if (rc != HTD_OK) {
			what->len = what_len;
			if (what->data)
				what->data[what_len] = '\0';
		}
	}
	if (rc != HTD_OK)
		return htd_error_set(err, rc, "the title is too large");
	return HTD_OK;
}

enum htd_err radio_title(const struct radio_facts *f,
                         const char *const *forbidden, size_t n_forbidden,
                         struct buf *what, struct buf *where,
                         struct htd_error *err)
{
	struct redactor r;
	struct draft d;
	if (!what || !where)
		return htd_error_set(err, HTD_ERR_INVALID, "no buffer");
	memset(&d, 0, sizeof(d));
	enum htd_err rc = check_facts(f, d.call_id, err);
	if (rc != HTD_OK)
		return rc;
	rc = redactor_init(&r, forbidden, n_forbidden, err);
	if (rc != HTD_OK)
		return rc;
	rc = draft_build(f, &r, &d, err);
	if (rc == HTD_OK)
		rc = title_put(&d, what, where, err);
	draft_free(&d);
	redactor_free(&r);
	return rc;
}
