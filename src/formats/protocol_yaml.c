/*
 * protocol_yaml.c - the protocol and policy loaders: libfyaml's document
 * tree, walked by hand so that each thing that is wrong is reported where
 * it was typed, and every condition compiled (core/rules) with its errors
 * placed at the column of the expression in the file. Errors are gathered
 * (up to PROTOCOL_YAML_ERRORS_MAX), sorted into file order and reported
 * together; any error means nothing is returned.
 */
#include "formats/protocol_yaml.h"

#include <errno.h>
#include <fcntl.h>
#include <libfyaml.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <utf8proc.h>

#include "core/template.h"
#include "formats/yaml_util.h"
#include "util/file.h"
#include "util/mem.h"
#include "util/str.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* The range a number question accepts when min/max are not given. */
#define NUMBER_MIN_DEFAULT 0
#define NUMBER_MAX_DEFAULT 1000000000

/* Defaults of domain.md section 6. */
#define HOTLINE_NUMBER_DEFAULT "1-888-373-7888"
#define HOTLINE_TEXT_DEFAULT "233733"
#define HOTLINE_TTY_DEFAULT "711"
#define TIP_LINE_NAME_DEFAULT "Crime Stoppers"
#define PRIORITY_DEFAULT 3

/* A rule or question id as first seen, for the duplicate checks. */
struct seen_id {
	const char *id; /* borrowed */
	struct protocol_origin at;
};

struct loader {
	const char *file; /* for messages */
	const char *data; /* the file's bytes, to place errors in scalars */
	size_t len;
	struct htd_error errors[PROTOCOL_YAML_ERRORS_MAX];
	struct yaml_errors errs;      /* over errors[] */
	struct protocol *proto;       /* being built (protocol files) */
	struct policy *pol;           /* being built (policy files) */
	const struct protocol *using; /* policy files: the protocol */
	struct seen_id *rule_ids;     /* policy files: every rule id so far */
	size_t n_rule_ids;
	bool actions_read; /* actions: was a list (rules may be checked) */
};

/* ---- errors ------------------------------------------------------------ */

static struct yaml_pos to_yaml(struct protocol_origin at)
{
	return (struct yaml_pos){ at.line, at.column };
}

static struct protocol_origin from_yaml(struct yaml_pos at)
{
	return (struct protocol_origin){ at.line, at.column };
}

static void report(struct loader *ld, enum htd_err code,
                   struct protocol_origin at, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void report(struct loader *ld, enum htd_err code,
                   struct protocol_origin at, const char *fmt, ...)
{
	char msg[HTD_ERROR_MESSAGE_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	yaml_report(&ld->errs, code, to_yaml(at), "%s", msg);
}

static enum htd_err flush_errors(struct loader *ld,
                                 const struct protocol_yaml_options *opts,
                                 struct htd_error *err)
{
	return yaml_errors_flush(&ld->errs, opts ? opts->on_error : NULL,
	                         opts ? opts->ctx : NULL, err);
}

/* ---- nodes ------------------------------------------------------------- */

static struct protocol_origin node_pos(struct fy_node *fyn,
                                       struct protocol_origin fallback)
{
	return from_yaml(yaml_node_pos(fyn, to_yaml(fallback)));
}

static const char *scalar(struct loader *ld, struct fy_node *fyn,
                          struct protocol_origin at, const char *what,
                          size_t *len)
{
	return yaml_scalar(&ld->errs, fyn, to_yaml(at), what, len);
}

/*
 * Reads scalar `fyn` as one text: trimmed, not empty, at most `max` bytes,
 * no control characters (line breaks only when `multiline`). Returns an
 * owned copy, or NULL after reporting.
 */
static char *text_value(struct loader *ld, struct fy_node *fyn,
                        struct protocol_origin at, const char *what, size_t max,
                        bool multiline)
{
	size_t len, n;
	const char *s = scalar(ld, fyn, at, what, &len);
	if (!s)
		return NULL;
	char *copy = xstrndup(s, len);
	const char *t = str_trim(copy, &n);
	at = node_pos(fyn, at);
	if (n == 0) {
		report(ld, HTD_ERR_INVALID, at, "%s is empty", what);
	} else if (n > max) {
		report(ld, HTD_ERR_INVALID, at, "%s is longer than %zu bytes",
		       what, max);
	} else if (!str_no_controls(t, n, multiline)) {
		report(ld, HTD_ERR_INVALID, at,
		       multiline ? "%s contains a control character"
		                 : "%s must be one line of text",
		       what);
	} else {
		char *out = xstrndup(t, n);
		free(copy);
		return out;
	}
	free(copy);
	return NULL;
}

static bool expect_mapping(struct loader *ld, struct fy_node *fyn,
                           struct protocol_origin at, const char *what)
{
	return yaml_expect_mapping(&ld->errs, fyn, to_yaml(at), what);
}

static bool expect_sequence(struct loader *ld, struct fy_node *fyn,
                            struct protocol_origin at, const char *what)
{
	return yaml_expect_sequence(&ld->errs, fyn, to_yaml(at), what);
}

/* Checks a list's length against `max`; reports and returns false past
 * it. An empty list is reported when `nonempty`. */
static bool list_fits(struct loader *ld, struct fy_node *seq,
                      struct protocol_origin at, const char *what, size_t max,
                      bool nonempty)
{
	int n = fy_node_sequence_item_count(seq);
	if (n < 0 || (size_t)n > max) {
		report(ld, HTD_ERR_INVALID, node_pos(seq, at),
		       "%s has more than %zu items", what, max);
		return false;
	}
	if (n == 0 && nonempty) {
		report(ld, HTD_ERR_INVALID, at, "%s is empty", what);
		return false;
	}
	return true;
}

static bool pair_key(struct loader *ld, struct fy_node_pair *p,
                     struct protocol_origin parent, char *out, size_t size,
                     struct protocol_origin *at)
{
	struct yaml_pos y;
	bool ok = yaml_pair_key(&ld->errs, p, to_yaml(parent), out, size, &y);
	*at = from_yaml(y);
	return ok;
}

/* ---- keyed mappings ---------------------------------------------------- */

/* One key a mapping may have. */
struct field {
	const char *name;
	bool required;
	struct fy_node *value;     /* set by read_fields() when given */
	struct protocol_origin at; /* where the key is */
	bool given;
};

/*
 * Reads mapping `map` (at `at`, named `what` in messages) into `fields`:
 * every key not among them is reported (typos must not pass silently), as
 * is every required key that is missing. Returns false, after reporting,
 * when `map` is not a mapping.
 */
static bool read_fields(struct loader *ld, struct fy_node *map,
                        struct protocol_origin at, const char *what,
                        struct field *fields, size_t n)
{
	struct fy_node_pair *p;
	void *it = NULL;

	if (!expect_mapping(ld, map, at, what))
		return false;
	struct protocol_origin start = node_pos(map, at);
	while ((p = fy_node_mapping_iterate(map, &it))) {
		char key[64];
		struct protocol_origin kat;
		size_t k;
		if (!pair_key(ld, p, start, key, sizeof(key), &kat))
			continue;
		for (k = 0; k < n; k++)
			if (str_eq(key, fields[k].name))
				break;
		if (k < n) {
			fields[k].value = fy_node_pair_value(p);
			fields[k].at = kat;
			fields[k].given = true;
			continue;
		}
		char known[400] = "";
		size_t used = 0;
		for (k = 0; k < n; k++) {
			const char *sep = k == 0       ? ""
			                  : k + 1 == n ? " and "
			                               : ", ";
			str_format(known + used, sizeof(known) - used, "%s%s",
			           sep, fields[k].name);
			used += strlen(known + used);
		}
		report(ld, HTD_ERR_INVALID, kat,
		       "unknown key '%.60s' in %s; it has %s", key, what,
		       known);
	}
	for (size_t k = 0; k < n; k++)
		if (fields[k].required && !fields[k].given)
			report(ld, HTD_ERR_INVALID, start,
			       "missing required key '%s' in %s",
			       fields[k].name, what);
	return true;
}

/* ---- values ------------------------------------------------------------ */

enum id_kind {
	ID_PLAIN, /* questions, choices, actions: [a-z][a-z0-9_]* */
	ID_RULE,  /* rules: the same, with dots between parts */
	ID_NAME,  /* protocol and policy ids: nena-ht, default */
};

static bool id_valid(const char *s, enum id_kind kind)
{
	size_t n = strlen(s);
	size_t max = kind == ID_NAME ? PROTOCOL_ID_MAX : CALL_ACTION_ID_MAX - 1;

	if (n == 0 || n > max)
		return false;
	if (kind == ID_NAME ? !((s[0] >= 'a' && s[0] <= 'z') ||
	                        (s[0] >= '0' && s[0] <= '9'))
	                    : !(s[0] >= 'a' && s[0] <= 'z'))
		return false;
	for (size_t i = 1; i < n; i++) {
		char c = s[i];
		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '_')
			continue;
		if (kind == ID_NAME && (c == '-' || c == '.'))
			continue;
		/* A dot separates two parts of a rule id: never first,
		 * last or doubled. */
		if (kind == ID_RULE && c == '.' && i + 1 < n &&
		    s[i + 1] >= 'a' && s[i + 1] <= 'z')
			continue;
		return false;
	}
	return true;
}

static const char *id_rule_text(enum id_kind kind)
{
	switch (kind) {
	case ID_PLAIN:
		return "a lower-case letter, then lower-case letters, digits "
		       "or _ (at most 63)";
	case ID_RULE:
		return "parts of a lower-case letter, then lower-case "
		       "letters, digits or _, joined by dots "
		       "(victim_call.minor; at most 63)";
	case ID_NAME:
		return "lower-case letters, digits, _, - or . (at most 32)";
	}
	return "";
}

/* Reads an id; returns an owned copy or NULL after reporting. */
static char *id_value(struct loader *ld, struct fy_node *fyn,
                      struct protocol_origin at, const char *what,
                      enum id_kind kind)
{
	size_t len;
	const char *s = scalar(ld, fyn, at, what, &len);
	if (!s)
		return NULL;
	char *id = xstrndup(s, len);
	if (!id_valid(id, kind)) {
		report(ld, HTD_ERR_INVALID, node_pos(fyn, at),
		       "%s '%.60s' is not a valid id: use %s", what, id,
		       id_rule_text(kind));
		free(id);
		return NULL;
	}
	return id;
}

/* True/false, as YAML 1.2 writes them (plain, not quoted). */
static bool bool_value(struct loader *ld, struct fy_node *fyn,
                       struct protocol_origin at, const char *what, bool *out)
{
	size_t len;
	const char *s = scalar(ld, fyn, at, what, &len);
	if (!s)
		return false;
	if (fy_node_get_style(fyn) == FYNS_PLAIN) {
		static const char *const yes[] = { "true", "True", "TRUE" };
		static const char *const no[] = { "false", "False", "FALSE" };
		for (size_t i = 0; i < COUNT(yes); i++) {
			if (len == strlen(yes[i]) && !memcmp(s, yes[i], len)) {
				*out = true;
				return true;
			}
			if (len == strlen(no[i]) && !memcmp(s, no[i], len)) {
				*out = false;
				return true;
			}
		}
	}
	report(ld, HTD_ERR_INVALID, node_pos(fyn, at),
	       "%s must be true or false, not '%.*s'", what,
	       (int)(len > 40 ? 40 : len), s);
	return false;
}

/* A whole number in [min, max], plain (not quoted). */
static bool int_value(struct loader *ld, struct fy_node *fyn,
                      struct protocol_origin at, const char *what, int64_t min,
                      int64_t max, int64_t *out)
{
	size_t len;
	char buf[32];
	const char *s = scalar(ld, fyn, at, what, &len);
	if (!s)
		return false;
	if (fy_node_get_style(fyn) == FYNS_PLAIN && len < sizeof(buf)) {
		memcpy(buf, s, len);
		buf[len] = '\0';
		if (str_to_i64(buf, min, max, out))
			return true;
	}
	report(ld, HTD_ERR_INVALID, node_pos(fyn, at),
	       "%s must be a whole number from %lld to %lld, not '%.*s'", what,
	       (long long)min, (long long)max, (int)(len > 40 ? 40 : len), s);
	return false;
}

/* A telephone number as people write them: digits, spaces, + - ( ) . and
 * letters (1-800-222-TIPS), with at least one digit. */
static char *phone_value(struct loader *ld, struct fy_node *fyn,
                         struct protocol_origin at, const char *what)
{
	char *s = text_value(ld, fyn, at, what, CALL_CALLBACK_MAX, false);
	bool digit = false;
	if (!s)
		return NULL;
	for (const char *p = s; *p; p++) {
		char c = *p;
		if (c >= '0' && c <= '9') {
			digit = true;
			continue;
		}
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    strchr(" +-().", c))
			continue;
		report(ld, HTD_ERR_INVALID, node_pos(fyn, at),
		       "%s '%.40s' may hold only digits, letters, spaces and "
		       "+ - ( ) .",
		       what, s);
		free(s);
		return NULL;
	}
	if (!digit) {
		report(ld, HTD_ERR_INVALID, node_pos(fyn, at),
		       "%s '%.40s' has no digits", what, s);
		free(s);
		return NULL;
	}
	return s;
}

/* A BCP 47 tag, written to `out` in canonical case. */
static bool language_value(struct loader *ld, struct fy_node *fyn,
                           struct protocol_origin at, const char *what,
                           char out[CALL_LANGUAGE_MAX + 1])
{
	size_t len;
	char buf[CALL_LANGUAGE_MAX + 1];
	const char *s = scalar(ld, fyn, at, what, &len);
	if (!s)
		return false;
	if (len < sizeof(buf)) {
		memcpy(buf, s, len);
		buf[len] = '\0';
		if (call_language_normalise(buf, out, CALL_LANGUAGE_MAX + 1))
			return true;
	}
	report(ld, HTD_ERR_INVALID, node_pos(fyn, at),
	       "%s '%.*s' is not a BCP 47 language tag (en, es, es-MX)", what,
	       (int)(len > 40 ? 40 : len), s);
	return false;
}

/* A list of language tags, none twice, at least one. */
static void languages_value(struct loader *ld, struct fy_node *seq,
                            struct protocol_origin at, const char *what,
                            char ***out, size_t *n)
{
	struct fy_node *item;
	void *it = NULL;
	struct protocol_origin first[PROTOCOL_LANGUAGES_MAX];

	if (!expect_sequence(ld, seq, at, what) ||
	    !list_fits(ld, seq, at, what, PROTOCOL_LANGUAGES_MAX, true))
		return;
	*out = xcalloc(PROTOCOL_LANGUAGES_MAX, sizeof(char *));
	while ((item = fy_node_sequence_iterate(seq, &it))) {
		char tag[CALL_LANGUAGE_MAX + 1];
		struct protocol_origin where = node_pos(item, at);
		if (!language_value(ld, item, at, "language", tag))
			continue;
		size_t k;
		for (k = 0; k < *n; k++)
			if (str_eq((*out)[k], tag))
				break;
		if (k < *n) {
			report(ld, HTD_ERR_INVALID, where,
			       "language '%s' is listed twice (first at line "
			       "%d)",
			       tag, first[k].line);
			continue;
		}
		first[*n] = where;
		(*out)[(*n)++] = xstrdup(tag);
	}
}

/*
 * A text in several languages: a mapping of BCP 47 tag to text. Which
 * languages must be there is the lint's business (protocol_lint()).
 */
static void texts_value(struct loader *ld, struct fy_node *map,
                        struct protocol_origin at, const char *what,
                        struct protocol_texts *out)
{
	struct fy_node_pair *p;
	void *it = NULL;

	if (!map || !fy_node_is_mapping(map)) {
		if (yaml_is_null(map))
			report(ld, HTD_ERR_INVALID, at, "%s has no value",
			       what);
		else
			report(ld, HTD_ERR_INVALID, node_pos(map, at),
			       "%s must be a mapping of language to text "
			       "({en: \"...\", es: \"...\"}), not %s",
			       what, yaml_node_kind(map));
		return;
	}
	int count = fy_node_mapping_item_count(map);
	if (count <= 0) {
		report(ld, HTD_ERR_INVALID, at, "%s has no text", what);
		return;
	}
	if ((size_t)count > PROTOCOL_LANGUAGES_MAX) {
		report(ld, HTD_ERR_INVALID, node_pos(map, at),
		       "%s has more than %d languages", what,
		       PROTOCOL_LANGUAGES_MAX);
		return;
	}
	out->items = xcalloc((size_t)count, sizeof(*out->items));
	while ((p = fy_node_mapping_iterate(map, &it))) {
		char key[64], tag[CALL_LANGUAGE_MAX + 1], inner[160];
		struct protocol_origin kat;
		if (!pair_key(ld, p, at, key, sizeof(key), &kat))
			continue;
		if (!call_language_normalise(key, tag, sizeof(tag))) {
			report(ld, HTD_ERR_INVALID, kat,
			       "%s: '%.40s' is not a BCP 47 language tag (en, "
			       "es, es-MX)",
			       what, key);
			continue;
		}
		size_t k;
		for (k = 0; k < out->n; k++)
			if (str_eq(out->items[k].language, tag))
				break;
		if (k < out->n) {
			report(ld, HTD_ERR_INVALID, kat,
			       "%s has language '%s' twice", what, tag);
			continue;
		}
		str_format(inner, sizeof(inner), "%s (%s)", what, tag);
		char *text = text_value(ld, fy_node_pair_value(p), kat, inner,
		                        PROTOCOL_TEXT_MAX, true);
		if (!text)
			continue;
		str_copy(out->items[out->n].language,
		         sizeof(out->items[out->n].language), tag);
		out->items[out->n++].text = text;
	}
}

/* ---- conditions -------------------------------------------------------- */

/* Steps one byte forward in the file, keeping line and column (libfyaml
 * counts columns in characters: a UTF-8 continuation byte adds none). */
static void step(const char *p, const char *end, size_t *r,
                 struct protocol_origin *at)
{
	if (p[*r] == '\n') {
		at->line++;
		at->column = 1;
		(*r)++;
		return;
	}
	(*r)++;
	if (p + *r < end && ((unsigned char)p[*r] & 0xc0) != 0x80)
		at->column++;
}

/*
 * Returns where byte `offset` of the value of scalar `fyn` was typed. The
 * value is lined up with the bytes of the file from the scalar's first
 * character: a byte of the value matches the same byte in the file, and a
 * space or line break also matches a line break (folding); bytes of the
 * file that match nothing (quotes, escapes, indentation) are passed over.
 * Exact for one-line scalars, plain or quoted, and for block scalars;
 * the scalar's start when the value cannot be lined up.
 */
static struct protocol_origin
scalar_offset_pos(struct loader *ld, struct fy_node *fyn, size_t offset)
{
	struct protocol_origin start =
	    node_pos(fyn, (struct protocol_origin){ 1, 1 });
	struct fy_token *t = fy_node_get_scalar_token(fyn);
	const struct fy_mark *sm = t ? fy_token_start_mark(t) : NULL;
	const struct fy_mark *em = t ? fy_token_end_mark(t) : NULL;
	size_t len;
	const char *v = fy_node_get_scalar(fyn, &len);

	if (!sm || !em || !v || sm->input_pos > em->input_pos ||
	    em->input_pos > ld->len)
		return start;
	const char *raw = ld->data + sm->input_pos;
	const char *end = ld->data + em->input_pos;
	struct protocol_origin at = { sm->line + 1, sm->column + 1 };
	size_t r = 0;
	if (offset > len)
		offset = len;
	for (size_t i = 0; i < offset; i++) {
		unsigned char want = (unsigned char)v[i];
		for (;;) {
			if (raw + r >= end)
				return start;
			unsigned char c = (unsigned char)raw[r];
			bool match =
			    c == want ||
			    (c == '\n' && (want == ' ' || want == '\n'));
			step(raw, end, &r, &at);
			if (match)
				break;
		}
	}
	/* Now past the value's first `offset` bytes: the next byte of the
	 * value is the next one of the file that matches it. */
	if (offset < len) {
		unsigned char want = (unsigned char)v[offset];
		while (raw + r < end && (unsigned char)raw[r] != want &&
		       !(raw[r] == '\n' && (want == ' ' || want == '\n')))
			step(raw, end, &r, &at);
		if (raw + r >= end)
			return start;
	}
	return at;
}

/*
 * Compiles condition `fyn` (the value of key `key` at `at`) against
 * `schema`; `owner` names the question or rule in messages. On success
 * *src gets the owned source and *origin its place; a compile error is
 * reported at the column the compiler gives, placed in the file.
 */
static struct rule_expr *condition(struct loader *ld, struct fy_node *fyn,
                                   struct protocol_origin at, const char *key,
                                   const char *owner,
                                   const struct rule_schema *schema, char **src,
                                   struct protocol_origin *origin)
{
	size_t len;
	char what[160];
	struct rule_expr *e = NULL;
	struct htd_error err;

	str_format(what, sizeof(what), "%s: %s", owner, key);
	const char *s = scalar(ld, fyn, at, what, &len);
	if (!s)
		return NULL;
	*origin = node_pos(fyn, at);
	/* Only trailing blanks go (a block scalar's line break): leading
	 * ones would move the compiler's columns. */
	while (len > 0 && strchr(" \t\r\n", s[len - 1]))
		len--;
	if (len == 0) {
		report(ld, HTD_ERR_INVALID, *origin, "%s is empty", what);
		return NULL;
	}
	if (len > RULE_SOURCE_MAX) {
		report(ld, HTD_ERR_INVALID, *origin,
		       "%s is longer than %d bytes", what, RULE_SOURCE_MAX);
		return NULL;
	}
	char *copy = xstrndup(s, len);
	htd_error_clear(&err);
	if (rule_compile(copy, schema, &e, &err) != HTD_OK) {
		size_t offset = err.column > 0 ? (size_t)err.column - 1 : 0;
		report(ld, err.code != HTD_OK ? err.code : HTD_ERR_INVALID,
		       scalar_offset_pos(ld, fyn, offset), "%s: %s", what,
		       err.message);
		rule_free(e);
		free(copy);
		return NULL;
	}
	*src = copy;
	return e;
}

/* ---- protocol files ---------------------------------------------------- */

static void read_protocol_header(struct loader *ld, struct fy_node *map,
                                 struct protocol_origin at)
{
	struct field f[] = {
		{ .name = "id", .required = true },
		{ .name = "version", .required = true },
		{ .name = "name", .required = true },
		{ .name = "languages", .required = true },
	};
	struct protocol *p = ld->proto;

	if (!read_fields(ld, map, at, "protocol", f, COUNT(f)))
		return;
	if (f[0].given)
		p->id =
		    id_value(ld, f[0].value, f[0].at, "protocol id", ID_NAME);
	if (f[1].given)
		p->version =
		    text_value(ld, f[1].value, f[1].at, "protocol version",
		               PROTOCOL_VERSION_MAX, false);
	if (f[2].given)
		p->name = text_value(ld, f[2].value, f[2].at, "protocol name",
		                     200, false);
	if (f[3].given)
		languages_value(ld, f[3].value, f[3].at, "protocol languages",
		                &p->languages, &p->n_languages);
}

/* The choices of a choice question: each an id, or {id, label}. */
static void read_choices(struct loader *ld, struct protocol_question *q,
                         struct fy_node *seq, struct protocol_origin at)
{
	struct fy_node *item;
	void *it = NULL;
	struct protocol_origin first[PROTOCOL_CHOICES_MAX];
	char what[128];

	str_format(what, sizeof(what), "question %s: choices", q->id);
	if (!expect_sequence(ld, seq, at, what) ||
	    !list_fits(ld, seq, at, what, PROTOCOL_CHOICES_MAX, true))
		return;
	q->choices = xcalloc(PROTOCOL_CHOICES_MAX, sizeof(char *));
	q->choice_labels =
	    xcalloc(PROTOCOL_CHOICES_MAX, sizeof(*q->choice_labels));
	while ((item = fy_node_sequence_iterate(seq, &it))) {
		struct protocol_origin where = node_pos(item, at);
		struct fy_node *idn = item, *label = NULL;
		struct protocol_origin idat = where, labelat = where;
		if (item && fy_node_is_mapping(item)) {
			struct field f[] = {
				{ .name = "id", .required = true },
				{ .name = "label" },
			};
			if (!read_fields(ld, item, where, "a choice", f,
			                 COUNT(f)) ||
			    !f[0].given)
				continue;
			idn = f[0].value;
			idat = f[0].at;
			label = f[1].given ? f[1].value : NULL;
			labelat = f[1].at;
		}
		char *id = id_value(ld, idn, idat, "choice", ID_PLAIN);
		if (!id)
			continue;
		size_t k;
		for (k = 0; k < q->n_choices; k++)
			if (str_eq(q->choices[k], id))
				break;
		if (k < q->n_choices) {
			report(ld, HTD_ERR_INVALID, node_pos(idn, idat),
			       "question %s: duplicate choice '%s' (first at "
			       "line %d)",
			       q->id, id, first[k].line);
			free(id);
			continue;
		}
		first[q->n_choices] = node_pos(idn, idat);
		if (label) {
			char lwhat[160];
			str_format(lwhat, sizeof(lwhat),
			           "question %s: label of %s", q->id, id);
			texts_value(ld, label, labelat, lwhat,
			            &q->choice_labels[q->n_choices]);
		}
		q->choices[q->n_choices++] = id;
	}
}

enum question_key {
	QK_ID,
	QK_TYPE,
	QK_SAFETY,
	QK_COVERT_OK,
	QK_TEXT,
	QK_COVERT,
	QK_WHY,
	QK_SHOW_IF,
	QK_CHOICES,
	QK_MIN,
	QK_MAX,
	QK__COUNT
};

/* Per question, what the second pass (conditions) needs. */
struct question_extra {
	bool usable; /* id and type are good: the rules may name it */
	struct fy_node *show_if;
	struct protocol_origin show_if_at;
};

static void read_question(struct loader *ld, struct fy_node *item, size_t index,
                          struct protocol_origin at,
                          struct question_extra *extra)
{
	struct field f[QK__COUNT] = {
		[QK_ID] = { .name = "id", .required = true },
		[QK_TYPE] = { .name = "type", .required = true },
		[QK_SAFETY] = { .name = "safety" },
		[QK_COVERT_OK] = { .name = "covert_ok" },
		[QK_TEXT] = { .name = "text", .required = true },
		[QK_COVERT] = { .name = "covert" },
		[QK_WHY] = { .name = "why" },
		[QK_SHOW_IF] = { .name = "show_if" },
		[QK_CHOICES] = { .name = "choices" },
		[QK_MIN] = { .name = "min" },
		[QK_MAX] = { .name = "max" },
	};
	struct protocol *p = ld->proto;
	char what[128];
	bool kind_ok = false;

	/* Name the question by its id in messages when it has one. */
	str_format(what, sizeof(what), "question %zu", index + 1);
	if (item && fy_node_is_mapping(item)) {
		struct fy_node *idn =
		    fy_node_mapping_lookup_by_string(item, "id", 2);
		size_t len;
		const char *s = idn && fy_node_is_scalar(idn)
		                    ? fy_node_get_scalar(idn, &len)
		                    : NULL;
		if (s && len > 0 && len < 64 && !memchr(s, '\0', len))
			str_format(what, sizeof(what), "question %.*s",
			           (int)len, s);
	}
	if (!read_fields(ld, item, at, what, f, QK__COUNT))
		return;
	struct protocol_question *q = &p->questions[p->n_questions++];
	struct question_extra *x = &extra[p->n_questions - 1];
	q->origin = node_pos(item, at);
	if (f[QK_ID].given) {
		q->id = id_value(ld, f[QK_ID].value, f[QK_ID].at, "question id",
		                 ID_PLAIN);
		for (size_t k = 0; q->id && k + 1 < p->n_questions; k++) {
			if (!str_eq(p->questions[k].id, q->id))
				continue;
			report(ld, HTD_ERR_INVALID,
			       node_pos(f[QK_ID].value, f[QK_ID].at),
			       "duplicate question id '%s' (first at line %d)",
			       q->id, p->questions[k].origin.line);
			free(q->id);
			q->id = NULL;
			break;
		}
	}
	if (f[QK_TYPE].given) {
		size_t len;
		const char *s =
		    scalar(ld, f[QK_TYPE].value, f[QK_TYPE].at, "type", &len);
		char buf[32];
		if (s) {
			size_t n = len < sizeof(buf) ? len : 0;
			memcpy(buf, s, n);
			buf[n] = '\0';
			kind_ok = rule_answer_kind_parse(buf, &q->kind);
			if (!kind_ok)
				report(
				    ld, HTD_ERR_INVALID,
				    node_pos(f[QK_TYPE].value, f[QK_TYPE].at),
				    "%s: unknown answer type '%.*s'; use "
				    "yes_no, choice, text, number or "
				    "language",
				    what, (int)(len > 40 ? 40 : len), s);
		}
	}
	x->usable = q->id && kind_ok;
	if (f[QK_SAFETY].given)
		bool_value(ld, f[QK_SAFETY].value, f[QK_SAFETY].at, "safety",
		           &q->safety);
	if (f[QK_COVERT_OK].given)
		bool_value(ld, f[QK_COVERT_OK].value, f[QK_COVERT_OK].at,
		           "covert_ok", &q->covert_ok);
	if (f[QK_TEXT].given) {
		char t[160];
		str_format(t, sizeof(t), "%s: text", what);
		texts_value(ld, f[QK_TEXT].value, f[QK_TEXT].at, t, &q->text);
	}
	if (f[QK_COVERT].given) {
		char t[160];
		str_format(t, sizeof(t), "%s: covert", what);
		texts_value(ld, f[QK_COVERT].value, f[QK_COVERT].at, t,
		            &q->covert);
	}
	if (f[QK_WHY].given) {
		char t[160];
		str_format(t, sizeof(t), "%s: why", what);
		texts_value(ld, f[QK_WHY].value, f[QK_WHY].at, t, &q->why);
	}
	if (f[QK_SHOW_IF].given) {
		x->show_if = f[QK_SHOW_IF].value;
		x->show_if_at = f[QK_SHOW_IF].at;
	}
	if (!kind_ok)
		return;
	if (q->kind == RULE_ANSWER_CHOICE) {
		if (!f[QK_CHOICES].given)
			report(
			    ld, HTD_ERR_INVALID, q->origin,
			    "%s is a choice question: it needs choices:", what);
		else if (q->id)
			read_choices(ld, q, f[QK_CHOICES].value,
			             f[QK_CHOICES].at);
	} else if (f[QK_CHOICES].given) {
		report(ld, HTD_ERR_INVALID, f[QK_CHOICES].at,
		       "%s: choices apply to choice questions only, not to "
		       "a %s question",
		       what, rule_answer_kind_name(q->kind));
	}
	q->min = NUMBER_MIN_DEFAULT;
	q->max = NUMBER_MAX_DEFAULT;
	for (int k = QK_MIN; k <= QK_MAX; k++) {
		if (!f[k].given)
			continue;
		if (q->kind != RULE_ANSWER_NUMBER) {
			report(ld, HTD_ERR_INVALID, f[k].at,
			       "%s: %s applies to number questions only, not "
			       "to a %s question",
			       what, f[k].name, rule_answer_kind_name(q->kind));
			continue;
		}
		int_value(ld, f[k].value, f[k].at, f[k].name,
		          -NUMBER_MAX_DEFAULT, NUMBER_MAX_DEFAULT,
		          k == QK_MIN ? &q->min : &q->max);
	}
	if (q->kind == RULE_ANSWER_NUMBER && q->min > q->max)
		report(ld, HTD_ERR_INVALID,
		       f[QK_MAX].given
		           ? node_pos(f[QK_MAX].value, f[QK_MAX].at)
		           : node_pos(f[QK_MIN].value, f[QK_MIN].at),
		       "%s: min %lld is greater than max %lld", what,
		       (long long)q->min, (long long)q->max);
}

/* Builds p->rule_questions and p->schema from the usable questions. */
static void build_schema(struct protocol *p, const struct question_extra *x)
{
	size_t n = 0;
	p->rule_questions = xcalloc(p->n_questions ? p->n_questions : 1,
	                            sizeof(*p->rule_questions));
	for (size_t i = 0; i < p->n_questions; i++) {
		if (!x[i].usable)
			continue;
		struct rule_question *rq = &p->rule_questions[n++];
		rq->id = p->questions[i].id;
		rq->kind = p->questions[i].kind;
		rq->choices = (const char *const *)p->questions[i].choices;
		rq->n_choices = p->questions[i].n_choices;
	}
	p->schema = (struct rule_schema){
		.questions = p->rule_questions,
		.n_questions = n,
		.flags = policy_flag_names,
		.n_flags = POLICY_FLAG__COUNT,
		.allow_category = false,
	};
}

/* A show_if names answers only: the protocol does not know the agency's
 * flags, and what the notes say is for the policy to weigh. */
static bool refers_to_answers_only(const struct protocol *p,
                                   const struct rule_expr *e)
{
	bool flags[POLICY_FLAG__COUNT] = { false };
	struct rule_refs refs;
	bool only = true;

	memset(&refs, 0, sizeof(refs));
	refs.questions = xcalloc(
	    p->schema.n_questions ? p->schema.n_questions : 1, sizeof(bool));
	refs.flags = flags;
	rule_refs_collect(e, &refs);
	for (size_t i = 0; i < POLICY_FLAG__COUNT; i++)
		only = only && !flags[i];
	for (size_t i = 0; i < INDICATOR__COUNT; i++)
		only = only && !refs.indicators[i];
	only = only && !refs.amp && !refs.channel && !refs.language &&
	       !refs.category;
	free(refs.questions);
	return only;
}

static void read_protocol(struct loader *ld, struct fy_node *root)
{
	struct field f[] = {
		{ .name = "protocol", .required = true },
		{ .name = "questions", .required = true },
	};
	struct protocol *p = ld->proto;
	struct protocol_origin start =
	    node_pos(root, (struct protocol_origin){ 1, 1 });

	if (!root || !fy_node_is_mapping(root)) {
		report(ld, HTD_ERR_INVALID, start,
		       "a protocol is a mapping with protocol: and "
		       "questions: (see docs/protocol.md), not %s",
		       root ? yaml_node_kind(root) : "nothing");
		return;
	}
	read_fields(ld, root, start, "the protocol file", f, COUNT(f));
	if (f[0].given)
		read_protocol_header(ld, f[0].value, f[0].at);
	if (!f[1].given ||
	    !expect_sequence(ld, f[1].value, f[1].at, "questions") ||
	    !list_fits(ld, f[1].value, f[1].at, "questions",
	               PROTOCOL_QUESTIONS_MAX, true))
		return;

	size_t room = (size_t)fy_node_sequence_item_count(f[1].value);
	struct question_extra *extra = xcalloc(room, sizeof(*extra));
	struct fy_node *item;
	void *it = NULL;
	size_t index = 0;
	p->questions = xcalloc(room, sizeof(*p->questions));
	while ((item = fy_node_sequence_iterate(f[1].value, &it)))
		read_question(ld, item, index++, node_pos(item, f[1].at),
		              extra);
	build_schema(p, extra);

	/* Second pass: conditions may name any question, even a later
	 * one. */
	for (size_t i = 0; i < p->n_questions; i++) {
		struct protocol_question *q = &p->questions[i];
		char owner[96];
		if (!extra[i].show_if)
			continue;
		str_format(owner, sizeof(owner), "question %s",
		           q->id ? q->id : "?");
		q->show_if = condition(
		    ld, extra[i].show_if, extra[i].show_if_at, "show_if", owner,
		    &p->schema, &q->show_if_src, &q->show_if_origin);
		if (q->show_if && !refers_to_answers_only(p, q->show_if))
			report(ld, HTD_ERR_INVALID, q->show_if_origin,
			       "%s: show_if may refer only to answers "
			       "(answer.ID, answered(ID)), not to indicators, "
			       "flags, the channel, the language or the "
			       "category",
			       owner);
	}
	free(extra);
}

/* ---- policy files ------------------------------------------------------ */

/* Records a rule id; reports it when an earlier rule has it. */
static bool rule_id_new(struct loader *ld, const char *id,
                        struct protocol_origin at)
{
	for (size_t i = 0; i < ld->n_rule_ids; i++) {
		if (!str_eq(ld->rule_ids[i].id, id))
			continue;
		report(ld, HTD_ERR_INVALID, at,
		       "duplicate rule id '%s' (first at line %d)", id,
		       ld->rule_ids[i].at.line);
		return false;
	}
	ld->rule_ids[ld->n_rule_ids++] = (struct seen_id){ id, at };
	return true;
}

static void read_policy_header(struct loader *ld, struct fy_node *map,
                               struct protocol_origin at)
{
	struct field f[] = {
		{ .name = "id", .required = true },
		{ .name = "version", .required = true },
	};
	if (!read_fields(ld, map, at, "policy", f, COUNT(f)))
		return;
	if (f[0].given)
		ld->pol->id =
		    id_value(ld, f[0].value, f[0].at, "policy id", ID_NAME);
	if (f[1].given)
		ld->pol->version =
		    text_value(ld, f[1].value, f[1].at, "policy version",
		               PROTOCOL_VERSION_MAX, false);
}

static void read_tip_line(struct loader *ld, struct fy_node *map,
                          struct protocol_origin at)
{
	struct field f[] = {
		{ .name = "enabled", .required = true },
		{ .name = "name" },
		{ .name = "number" },
	};
	struct policy *pol = ld->pol;
	if (!read_fields(ld, map, at, "tip_line", f, COUNT(f)))
		return;
	if (f[0].given)
		bool_value(ld, f[0].value, f[0].at, "tip_line.enabled",
		           &pol->tip_line);
	if (f[1].given) {
		char *name = text_value(ld, f[1].value, f[1].at,
		                        "tip_line.name", 200, false);
		if (name) {
			free(pol->tip_line_name);
			pol->tip_line_name = name;
		}
	}
	if (f[2].given) {
		char *number =
		    phone_value(ld, f[2].value, f[2].at, "tip_line.number");
		if (number) {
			free(pol->tip_line_number);
			pol->tip_line_number = number;
		}
	} else if (pol->tip_line) {
		/* NENA step 3 hands a tip to this number: it must be
		 * there. */
		report(ld, HTD_ERR_INVALID, node_pos(map, at),
		       "tip_line is enabled but has no number");
	}
}

static void read_hotline(struct loader *ld, struct fy_node *map,
                         struct protocol_origin at)
{
	struct field f[] = {
		{ .name = "number" },
		{ .name = "text" },
		{ .name = "tty" },
	};
	char **dest[] = { &ld->pol->hotline_number, &ld->pol->hotline_text,
		          &ld->pol->hotline_tty };
	static const char *const names[] = { "hotline.number", "hotline.text",
		                             "hotline.tty" };
	if (!read_fields(ld, map, at, "hotline", f, COUNT(f)))
		return;
	for (size_t i = 0; i < COUNT(f); i++) {
		if (!f[i].given)
			continue;
		char *v = phone_value(ld, f[i].value, f[i].at, names[i]);
		if (v) {
			free(*dest[i]);
			*dest[i] = v;
		}
	}
}

/* Points of contact and supervisors: [{name, role, phone, email}]. */
static void read_contacts(struct loader *ld, struct fy_node *seq,
                          struct protocol_origin at, const char *what,
                          struct policy_contact **out, size_t *n)
{
	struct fy_node *item;
	void *it = NULL;

	if (!expect_sequence(ld, seq, at, what) ||
	    !list_fits(ld, seq, at, what, POLICY_CONTACTS_MAX, false))
		return;
	*out = xcalloc(POLICY_CONTACTS_MAX, sizeof(**out));
	while ((item = fy_node_sequence_iterate(seq, &it))) {
		struct field f[] = {
			{ .name = "name", .required = true },
			{ .name = "role" },
			{ .name = "phone" },
			{ .name = "email" },
		};
		struct protocol_origin where = node_pos(item, at);
		char cwhat[96];
		str_format(cwhat, sizeof(cwhat), "a contact of %s", what);
		if (!read_fields(ld, item, where, cwhat, f, COUNT(f)))
			continue;
		struct policy_contact *c = &(*out)[(*n)++];
		c->name = f[0].given ? text_value(ld, f[0].value, f[0].at,
		                                  "name", 200, false)
		                     : NULL;
		c->role = f[1].given ? text_value(ld, f[1].value, f[1].at,
		                                  "role", 200, false)
		                     : NULL;
		c->phone = f[2].given
		               ? phone_value(ld, f[2].value, f[2].at, "phone")
		               : NULL;
		c->email = f[3].given ? text_value(ld, f[3].value, f[3].at,
		                                   "email", 200, false)
		                      : NULL;
		if (!c->name)
			c->name = xstrdup("");
		if (!c->role)
			c->role = xstrdup("");
		if (!c->phone)
			c->phone = xstrdup("");
		if (!c->email)
			c->email = xstrdup("");
	}
}

/* radio: {category: wording}, one alert text per category. */
static void read_radio(struct loader *ld, struct fy_node *map,
                       struct protocol_origin at)
{
	struct fy_node_pair *p;
	void *it = NULL;

	if (!expect_mapping(ld, map, at, "radio"))
		return;
	while ((p = fy_node_mapping_iterate(map, &it))) {
		char key[64], what[96];
		struct protocol_origin kat;
		enum call_category c;
		if (!pair_key(ld, p, at, key, sizeof(key), &kat))
			continue;
		if (!call_category_parse(key, &c) ||
		    c == CALL_CATEGORY_UNDETERMINED) {
			report(ld, HTD_ERR_INVALID, kat,
			       "radio: unknown category '%.40s'; use "
			       "victim_escape, victim_call, credible_tip or "
			       "other",
			       key);
			continue;
		}
		str_format(what, sizeof(what), "radio.%s", key);
		char *text = text_value(ld, fy_node_pair_value(p), kat, what,
		                        PROTOCOL_TEXT_MAX, false);
		if (text) {
			free(ld->pol->radio_text[c]);
			ld->pol->radio_text[c] = text;
		}
	}
}

static void read_agency(struct loader *ld, struct fy_node *map,
                        struct protocol_origin at)
{
	struct field f[] = {
		{ .name = "name", .required = true },
		{ .name = "languages", .required = true },
		{ .name = "tip_line" },
		{ .name = "hotline" },
		{ .name = "points_of_contact" },
		{ .name = "supervisors" },
		{ .name = "radio" },
	};
	struct policy *pol = ld->pol;

	if (!read_fields(ld, map, at, "agency", f, COUNT(f)))
		return;
	if (f[0].given)
		pol->agency_name = text_value(ld, f[0].value, f[0].at,
		                              "agency name", 200, false);
	if (f[1].given)
		languages_value(ld, f[1].value, f[1].at, "agency languages",
		                &pol->languages, &pol->n_languages);
	if (f[2].given)
		read_tip_line(ld, f[2].value, f[2].at);
	if (f[3].given)
		read_hotline(ld, f[3].value, f[3].at);
	if (f[4].given)
		read_contacts(ld, f[4].value, f[4].at, "points_of_contact",
		              &pol->poc, &pol->n_poc);
	if (f[5].given)
		read_contacts(ld, f[5].value, f[5].at, "supervisors",
		              &pol->supervisors, &pol->n_supervisors);
	if (f[6].given)
		read_radio(ld, f[6].value, f[6].at);
}

/*
 * actions: [{id, label}]. pol->actions gets the stable ids first, in the
 * order of protocol_action_ids, then the agency's own in file order; a
 * stable id that is missing is an error.
 */
static void read_actions(struct loader *ld, struct fy_node *seq,
                         struct protocol_origin at)
{
	struct policy *pol = ld->pol;
	struct policy_action read[POLICY_ACTIONS_MAX];
	size_t n_read = 0;
	struct fy_node *item;
	void *it = NULL;

	if (!expect_sequence(ld, seq, at, "actions") ||
	    !list_fits(ld, seq, at, "actions", POLICY_ACTIONS_MAX, true))
		return;
	memset(read, 0, sizeof(read));
	ld->actions_read = true;
	while ((item = fy_node_sequence_iterate(seq, &it))) {
		struct field f[] = {
			{ .name = "id", .required = true },
			{ .name = "label", .required = true },
		};
		struct protocol_origin where = node_pos(item, at);
		if (!read_fields(ld, item, where, "an action", f, COUNT(f)) ||
		    !f[0].given)
			continue;
		char *id =
		    id_value(ld, f[0].value, f[0].at, "action id", ID_PLAIN);
		if (!id)
			continue;
		struct protocol_origin idat = node_pos(f[0].value, f[0].at);
		size_t k;
		for (k = 0; k < n_read; k++)
			if (str_eq(read[k].id, id))
				break;
		if (k < n_read) {
			report(ld, HTD_ERR_INVALID, idat,
			       "duplicate action id '%s' (first at line %d)",
			       id, read[k].origin.line);
			free(id);
			continue;
		}
		struct policy_action *a = &read[n_read++];
		a->id = id;
		a->origin = idat;
		if (f[1].given) {
			char what[128];
			str_format(what, sizeof(what), "action %s: label", id);
			texts_value(ld, f[1].value, f[1].at, what, &a->label);
		}
	}
	/* Reorder: the stable ones first. */
	bool taken[POLICY_ACTIONS_MAX] = { false };
	pol->actions = xcalloc(POLICY_ACTIONS_MAX, sizeof(*pol->actions));
	for (size_t s = 0; s < protocol_action_count; s++) {
		size_t k;
		for (k = 0; k < n_read; k++)
			if (str_eq(read[k].id, protocol_action_ids[s]))
				break;
		if (k == n_read) {
			report(ld, HTD_ERR_INVALID, at,
			       "actions: the stable action '%s' is missing; "
			       "every action of domain.md section 2 must be "
			       "declared (an agency may add its own)",
			       protocol_action_ids[s]);
			continue;
		}
		pol->actions[pol->n_actions++] = read[k];
		taken[k] = true;
	}
	for (size_t k = 0; k < n_read; k++)
		if (!taken[k])
			pol->actions[pol->n_actions++] = read[k];
}

enum rule_list { LIST_CATEGORIES, LIST_ACTIONS, LIST_PRIORITIES };

/* Reads one rule of list `list`: {id, why, when} plus category, action
 * or priority. Returns true when it was added to `out`. */
static bool read_rule(struct loader *ld, struct fy_node *item,
                      struct protocol_origin at, enum rule_list list,
                      const struct rule_schema *schema, struct policy_rule *r)
{
	static const char *const extra_key[] = { "category", "action",
		                                 "priority" };
	static const char *const list_name[] = { "categories", "action_rules",
		                                 "priorities.rules" };
	struct field f[] = {
		{ .name = "id", .required = true },
		{ .name = extra_key[list], .required = true },
		{ .name = "why", .required = true },
		{ .name = "when", .required = true },
	};
	char what[128];

	str_format(what, sizeof(what), "a rule of %s", list_name[list]);
	if (!read_fields(ld, item, at, what, f, COUNT(f)))
		return false;
	r->origin = node_pos(item, at);
	if (f[0].given) {
		r->id = id_value(ld, f[0].value, f[0].at, "rule id", ID_RULE);
		if (r->id &&
		    !rule_id_new(ld, r->id, node_pos(f[0].value, f[0].at))) {
			free(r->id);
			r->id = NULL;
		}
	}
	const char *owner = r->id ? r->id : what;
	if (f[1].given) {
		size_t len;
		char buf[CALL_ACTION_ID_MAX];
		const char *s;
		struct protocol_origin vat = node_pos(f[1].value, f[1].at);
		int64_t prio;
		switch (list) {
		case LIST_CATEGORIES:
			s = scalar(ld, f[1].value, f[1].at, "category", &len);
			if (!s)
				break;
			memcpy(buf, s, len < sizeof(buf) ? len : 0);
			buf[len < sizeof(buf) ? len : 0] = '\0';
			if (!call_category_parse(buf, &r->category) ||
			    r->category == CALL_CATEGORY_UNDETERMINED)
				report(ld, HTD_ERR_INVALID, vat,
				       "%s: unknown category '%.*s'; use "
				       "victim_escape, victim_call, "
				       "credible_tip or other",
				       owner, (int)(len > 40 ? 40 : len), s);
			break;
		case LIST_ACTIONS:
			s = scalar(ld, f[1].value, f[1].at, "action", &len);
			if (!s || !ld->actions_read)
				break;
			memcpy(buf, s, len < sizeof(buf) ? len : 0);
			buf[len < sizeof(buf) ? len : 0] = '\0';
			long k = policy_action_index(ld->pol, buf);
			if (k < 0)
				report(ld, HTD_ERR_INVALID, vat,
				       "%s: action '%.*s' is not declared "
				       "under actions:",
				       owner, (int)(len > 60 ? 60 : len), s);
			else
				r->action = (size_t)k;
			break;
		case LIST_PRIORITIES:
			if (int_value(ld, f[1].value, f[1].at, "priority", 1, 9,
			              &prio))
				r->priority = (int)prio;
			break;
		}
	}
	if (f[2].given) {
		char wwhat[96];
		str_format(wwhat, sizeof(wwhat), "%s: why", owner);
		r->why = text_value(ld, f[2].value, f[2].at, wwhat,
		                    PROTOCOL_TEXT_MAX, false);
	}
	if (f[3].given) {
		struct protocol_origin origin = { 0, 0 };
		r->when = condition(ld, f[3].value, f[3].at, "when", owner,
		                    schema, &r->when_src, &origin);
		r->when_origin = origin;
	}
	return true;
}

static void read_rules(struct loader *ld, struct fy_node *seq,
                       struct protocol_origin at, const char *what,
                       enum rule_list list, const struct rule_schema *schema,
                       struct policy_rule **out, size_t *n)
{
	struct fy_node *item;
	void *it = NULL;

	if (!expect_sequence(ld, seq, at, what) ||
	    !list_fits(ld, seq, at, what, POLICY_RULES_MAX,
	               list != LIST_PRIORITIES))
		return;
	*out = xcalloc(POLICY_RULES_MAX, sizeof(**out));
	while ((item = fy_node_sequence_iterate(seq, &it)))
		if (read_rule(ld, item, node_pos(item, at), list, schema,
		              &(*out)[*n]))
			(*n)++;
}

static void read_priorities(struct loader *ld, struct fy_node *map,
                            struct protocol_origin at,
                            const struct rule_schema *schema)
{
	struct field f[] = {
		{ .name = "default" },
		{ .name = "rules" },
	};
	struct policy *pol = ld->pol;
	if (!read_fields(ld, map, at, "priorities", f, COUNT(f)))
		return;
	if (f[0].given) {
		int64_t v;
		if (int_value(ld, f[0].value, f[0].at, "priorities.default", 1,
		              9, &v))
			pol->priority_default = (int)v;
	}
	if (f[1].given)
		read_rules(ld, f[1].value, f[1].at, "priorities.rules",
		           LIST_PRIORITIES, schema, &pol->priority_rules,
		           &pol->n_priority_rules);
}

/* ---- notifications ----------------------------------------------------- */

/* Target ids: [a-z0-9_]{1,47}. */
static bool target_id_valid(const char *s, size_t n)
{
	if (n == 0 || n > POLICY_TARGET_ID_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return false;
	return true;
}

/* Returns the index of target `id` (`n` bytes) in the policy, or -1. */
static long target_index(const struct policy *pol, const char *id, size_t n)
{
	for (size_t i = 0; i < pol->notify.n_targets; i++)
		if (strlen(pol->notify.targets[i].id) == n &&
		    memcmp(pol->notify.targets[i].id, id, n) == 0)
			return (long)i;
	return -1;
}

/*
 * A URL of one of `schemes` ("https://", NULL-terminated): one line, no
 * blanks, a host, and no user name or password (secrets never live in the
 * policy). libcurl checks it fully before each attempt; this catches what
 * a person typed wrong. Returns an owned copy or NULL after reporting.
 */
static char *url_value(struct loader *ld, struct fy_node *fyn,
                       struct protocol_origin at, const char *what,
                       const char *const *schemes, const char *expect)
{
	char *url = text_value(ld, fyn, at, what, POLICY_URL_MAX, false);
	struct protocol_origin vat = node_pos(fyn, at);
	size_t scheme = 0;

	if (!url)
		return NULL;
	for (size_t i = 0; schemes[i] && !scheme; i++)
		if (strncasecmp(url, schemes[i], strlen(schemes[i])) == 0)
			scheme = strlen(schemes[i]);
	const char *host = url + scheme;
	size_t authority = strcspn(host, "/?#");
	if (!scheme) {
		report(ld, HTD_ERR_INVALID, vat, "%s must be %s", what, expect);
	} else if (strpbrk(url, " \t")) {
		report(ld, HTD_ERR_INVALID, vat, "%s contains a blank", what);
	} else if (memchr(host, '@', authority)) {
		report(ld, HTD_ERR_INVALID, vat,
		       "%s holds a user name or password: secrets never live "
		       "in the policy file; give secret: env:NAME or "
		       "file:/path (and username: for e-mail)",
		       what);
	} else if (authority == 0 || host[0] == ':') {
		report(ld, HTD_ERR_INVALID, vat, "%s has no host", what);
	} else {
		return url;
	}
	free(url);
	return NULL;
}

/*
 * Where a secret is kept: "env:NAME" (NAME a shell variable name) or
 * "file:/absolute/path". The value is never quoted in a message: a person
 * who typed the secret itself here must not find it in a log as well.
 */
static char *secret_ref_value(struct loader *ld, struct fy_node *fyn,
                              struct protocol_origin at, const char *what)
{
	size_t len;
	const char *s = scalar(ld, fyn, at, what, &len);
	struct protocol_origin vat = node_pos(fyn, at);
	bool ok = false;

	if (!s)
		return NULL;
	if (len > 4 && memcmp(s, "env:", 4) == 0 && len - 4 <= 255) {
		ok = (s[4] >= 'A' && s[4] <= 'Z') ||
		     (s[4] >= 'a' && s[4] <= 'z') || s[4] == '_';
		for (size_t i = 5; ok && i < len; i++)
			ok = (s[i] >= 'A' && s[i] <= 'Z') ||
			     (s[i] >= 'a' && s[i] <= 'z') ||
			     (s[i] >= '0' && s[i] <= '9') || s[i] == '_';
	} else if (len > 5 && memcmp(s, "file:", 5) == 0) {
		ok = s[5] == '/' && len - 5 <= POLICY_PATH_MAX &&
		     str_no_controls(s + 5, len - 5, false);
	}
	if (!ok) {
		report(ld, HTD_ERR_INVALID, vat,
		       "%s must say where the secret is kept, as env:NAME or "
		       "file:/absolute/path: secrets never live in the policy "
		       "file",
		       what);
		return NULL;
	}
	return xstrndup(s, len);
}

/* A plain e-mail address (local@domain, printable ASCII, no specials), as
 * notify/smtp.c accepts it. */
static char *address_value(struct loader *ld, struct fy_node *fyn,
                           struct protocol_origin at, const char *what)
{
	char *a = text_value(ld, fyn, at, what, 254, false);
	const char *sign = NULL;
	bool ok = a != NULL;

	for (size_t i = 0; ok && a[i]; i++) {
		unsigned char c = (unsigned char)a[i];
		if (c <= 0x20 || c >= 0x7f || strchr("<>()[]\\,;:\"", c))
			ok = false;
		else if (c == '@')
			ok = !sign && (sign = a + i) != NULL;
	}
	if (ok && sign && sign > a && sign[1] && sign - a <= 64)
		return a;
	if (a)
		report(ld, HTD_ERR_INVALID, node_pos(fyn, at),
		       "%s '%.60s' is not a plain e-mail address "
		       "(name@example.org)",
		       what, a);
	free(a);
	return NULL;
}

static void read_retry(struct loader *ld, struct fy_node *map,
                       struct protocol_origin at)
{
	struct field f[] = {
		{ .name = "attempts" },
		{ .name = "first_delay_s" },
		{ .name = "max_delay_s" },
	};
	struct policy_notify *n = &ld->pol->notify;
	int64_t v, first = n->first_delay_ms / 1000;
	int64_t max = n->max_delay_ms / 1000;

	if (!read_fields(ld, map, at, "notifications.retry", f, COUNT(f)))
		return;
	if (f[0].given && int_value(ld, f[0].value, f[0].at, "retry.attempts",
	                            1, POLICY_RETRY_ATTEMPTS_MAX, &v))
		n->attempts = (int)v;
	if (f[1].given &&
	    int_value(ld, f[1].value, f[1].at, "retry.first_delay_s", 1,
	              POLICY_RETRY_FIRST_MAX_S, &v))
		first = v;
	if (f[2].given &&
	    int_value(ld, f[2].value, f[2].at, "retry.max_delay_s", 1,
	              POLICY_RETRY_MAX_MAX_S, &v))
		max = v;
	if (first > max) {
		report(ld, HTD_ERR_INVALID,
		       f[1].given ? node_pos(f[1].value, f[1].at)
		                  : node_pos(f[2].value, f[2].at),
		       "retry.first_delay_s (%lld) is greater than "
		       "retry.max_delay_s (%lld)",
		       (long long)first, (long long)max);
		return;
	}
	n->first_delay_ms = first * 1000;
	n->max_delay_ms = max * 1000;
}

enum target_key {
	TK_ID,
	TK_TRANSPORT,
	TK_URL,
	TK_ALLOW_HTTP,
	TK_STARTTLS,
	TK_FROM,
	TK_TO,
	TK_USERNAME,
	TK_SECRET,
	TK_DIR,
	TK_TIMEOUT,
	TK__COUNT
};

#define TK_BIT(k) (1u << (k))
/* The keys each transport takes (id and transport: all of them), and the
 * ones it needs; smtp needs secret when it has username. */
static const unsigned target_keys[] = {
	[POLICY_TRANSPORT_WEBHOOK] = TK_BIT(TK_URL) | TK_BIT(TK_ALLOW_HTTP) |
	                             TK_BIT(TK_SECRET) | TK_BIT(TK_TIMEOUT),
	[POLICY_TRANSPORT_SMTP] = TK_BIT(TK_URL) | TK_BIT(TK_STARTTLS) |
	                          TK_BIT(TK_FROM) | TK_BIT(TK_TO) |
	                          TK_BIT(TK_USERNAME) | TK_BIT(TK_SECRET) |
	                          TK_BIT(TK_TIMEOUT),
	[POLICY_TRANSPORT_SPOOL] = TK_BIT(TK_DIR),
};
static const unsigned target_needs[] = {
	[POLICY_TRANSPORT_WEBHOOK] = TK_BIT(TK_URL) | TK_BIT(TK_SECRET),
	[POLICY_TRANSPORT_SMTP] =
	    TK_BIT(TK_URL) | TK_BIT(TK_FROM) | TK_BIT(TK_TO),
	[POLICY_TRANSPORT_SPOOL] = TK_BIT(TK_DIR),
};

/* The e-mail recipients of an smtp target: 1..POLICY_RECIPIENTS_MAX. */
static void read_recipients(struct loader *ld, struct policy_target *t,
                            struct fy_node *seq, struct protocol_origin at,
                            const char *owner)
{
	struct fy_node *item;
	void *it = NULL;
	char what[96];

	str_format(what, sizeof(what), "%s: to", owner);
	if (!expect_sequence(ld, seq, at, what) ||
	    !list_fits(ld, seq, at, what, POLICY_RECIPIENTS_MAX, true))
		return;
	t->to = xcalloc(POLICY_RECIPIENTS_MAX, sizeof(*t->to));
	while ((item = fy_node_sequence_iterate(seq, &it))) {
		char *a = address_value(ld, item, at, what);
		if (a)
			t->to[t->n_to++] = a;
	}
}

static void read_target(struct loader *ld, struct fy_node *item,
                        struct protocol_origin at)
{
	struct field f[TK__COUNT] = {
		[TK_ID] = { .name = "id", .required = true },
		[TK_TRANSPORT] = { .name = "transport", .required = true },
		[TK_URL] = { .name = "url" },
		[TK_ALLOW_HTTP] = { .name = "allow_http" },
		[TK_STARTTLS] = { .name = "starttls" },
		[TK_FROM] = { .name = "from" },
		[TK_TO] = { .name = "to" },
		[TK_USERNAME] = { .name = "username" },
		[TK_SECRET] = { .name = "secret" },
		[TK_DIR] = { .name = "dir" },
		[TK_TIMEOUT] = { .name = "timeout_s" },
	};
	struct policy_notify *n = &ld->pol->notify;
	struct policy_target *t = NULL;
	char owner[96];
	size_t len;
	const char *s;
	bool kind_ok = false;

	if (!read_fields(ld, item, at, "a notification target", f, TK__COUNT))
		return;
	at = node_pos(item, at);
	str_copy(owner, sizeof(owner), "a notification target");
	if (f[TK_ID].given) {
		s = scalar(ld, f[TK_ID].value, f[TK_ID].at, "target id", &len);
		struct protocol_origin idat =
		    node_pos(f[TK_ID].value, f[TK_ID].at);
		long dup = s ? target_index(ld->pol, s, len) : -1;
		if (s && !target_id_valid(s, len)) {
			report(ld, HTD_ERR_INVALID, idat,
			       "target id '%.*s' is not valid: use lower-case "
			       "letters, digits and _ (at most %d)",
			       (int)(len > 60 ? 60 : len), s,
			       POLICY_TARGET_ID_MAX);
		} else if (s && dup >= 0) {
			report(ld, HTD_ERR_INVALID, idat,
			       "duplicate target id '%.*s' (first at line %d)",
			       (int)len, s, n->targets[dup].line);
		} else if (s) {
			t = &n->targets[n->n_targets++];
			t->id = xstrndup(s, len);
			t->line = at.line;
			str_format(owner, sizeof(owner), "target %s", t->id);
		}
	}
	/* Checked even when the id is bad, so that one pass shows all. */
	struct policy_target scratch;
	memset(&scratch, 0, sizeof(scratch));
	if (!t)
		t = &scratch;
	if (f[TK_TRANSPORT].given) {
		s = scalar(ld, f[TK_TRANSPORT].value, f[TK_TRANSPORT].at,
		           "transport", &len);
		for (size_t k = 0; s && k < COUNT(target_keys); k++) {
			const char *name =
			    policy_transport_name((enum policy_transport)k);
			if (strlen(name) == len && !memcmp(name, s, len)) {
				t->transport = (enum policy_transport)k;
				kind_ok = true;
			}
		}
		if (s && !kind_ok)
			report(
			    ld, HTD_ERR_INVALID,
			    node_pos(f[TK_TRANSPORT].value, f[TK_TRANSPORT].at),
			    "%s: unknown transport '%.*s'; use webhook, smtp "
			    "or spool",
			    owner, (int)(len > 40 ? 40 : len), s);
	}
	if (!kind_ok)
		goto out;
	const char *tname = policy_transport_name(t->transport);
	unsigned takes = target_keys[t->transport];
	unsigned needs = target_needs[t->transport];
	for (int k = TK_URL; k < TK__COUNT; k++) {
		if (f[k].given && !(takes & TK_BIT(k)))
			report(ld, HTD_ERR_INVALID, f[k].at,
			       "%s: %s does not apply to a %s target", owner,
			       f[k].name, tname);
		else if (!f[k].given && (needs & TK_BIT(k)))
			report(ld, HTD_ERR_INVALID, at,
			       "%s: a %s target needs %s", owner, tname,
			       f[k].name);
	}
	if (f[TK_ALLOW_HTTP].given && (takes & TK_BIT(TK_ALLOW_HTTP)))
		bool_value(ld, f[TK_ALLOW_HTTP].value, f[TK_ALLOW_HTTP].at,
		           "allow_http", &t->allow_http);
	if (f[TK_STARTTLS].given && (takes & TK_BIT(TK_STARTTLS)))
		bool_value(ld, f[TK_STARTTLS].value, f[TK_STARTTLS].at,
		           "starttls", &t->starttls);
	if (f[TK_URL].given && (takes & TK_BIT(TK_URL))) {
		static const char *const https[] = { "https://", NULL };
		static const char *const http[] = { "https://", "http://",
			                            NULL };
		static const char *const smtp[] = { "smtp://", "smtps://",
			                            NULL };
		char what[128];
		str_format(what, sizeof(what), "%s: url", owner);
		if (t->transport == POLICY_TRANSPORT_SMTP)
			t->url = url_value(ld, f[TK_URL].value, f[TK_URL].at,
			                   what, smtp,
			                   "smtp://host[:port] or "
			                   "smtps://host[:port]");
		else
			t->url = url_value(
			    ld, f[TK_URL].value, f[TK_URL].at, what,
			    t->allow_http ? http : https,
			    t->allow_http
			        ? "https:// or http://"
			        : "https:// (allow_http: true accepts http://, "
			          "for a receiver on this host)");
	}
	if (f[TK_FROM].given && (takes & TK_BIT(TK_FROM))) {
		char what[128];
		str_format(what, sizeof(what), "%s: from", owner);
		t->from =
		    address_value(ld, f[TK_FROM].value, f[TK_FROM].at, what);
	}
	if (f[TK_TO].given && (takes & TK_BIT(TK_TO)))
		read_recipients(ld, t, f[TK_TO].value, f[TK_TO].at, owner);
	if (f[TK_USERNAME].given && (takes & TK_BIT(TK_USERNAME))) {
		t->username =
		    text_value(ld, f[TK_USERNAME].value, f[TK_USERNAME].at,
		               "username", 255, false);
		if (!f[TK_SECRET].given)
			report(ld, HTD_ERR_INVALID, f[TK_USERNAME].at,
			       "%s: username needs secret (the SMTP password, "
			       "as env:NAME or file:/path)",
			       owner);
	}
	if (f[TK_SECRET].given && (takes & TK_BIT(TK_SECRET))) {
		char what[128];
		str_format(what, sizeof(what), "%s: secret", owner);
		t->secret_ref = secret_ref_value(ld, f[TK_SECRET].value,
		                                 f[TK_SECRET].at, what);
		if (t->transport == POLICY_TRANSPORT_SMTP &&
		    !f[TK_USERNAME].given)
			report(ld, HTD_ERR_INVALID, f[TK_SECRET].at,
			       "%s: secret is the SMTP password and needs "
			       "username",
			       owner);
	}
	if (f[TK_DIR].given && (takes & TK_BIT(TK_DIR)))
		t->spool_dir = text_value(ld, f[TK_DIR].value, f[TK_DIR].at,
		                          "dir", POLICY_PATH_MAX, false);
	if (f[TK_TIMEOUT].given && (takes & TK_BIT(TK_TIMEOUT))) {
		int64_t v;
		if (int_value(ld, f[TK_TIMEOUT].value, f[TK_TIMEOUT].at,
		              "timeout_s", 1, POLICY_TIMEOUT_MAX_S, &v))
			t->timeout_ms = v * 1000;
	}
out:
	if (t == &scratch) {
		free(scratch.url);
		free(scratch.from);
		for (size_t i = 0; i < scratch.n_to; i++)
			free(scratch.to[i]);
		free(scratch.to);
		free(scratch.username);
		free(scratch.secret_ref);
		free(scratch.spool_dir);
	}
}

static void read_targets(struct loader *ld, struct fy_node *seq,
                         struct protocol_origin at)
{
	struct fy_node *item;
	void *it = NULL;

	if (!expect_sequence(ld, seq, at, "notifications.targets") ||
	    !list_fits(ld, seq, at, "notifications.targets", POLICY_TARGETS_MAX,
	               true))
		return;
	ld->pol->notify.targets =
	    xcalloc(POLICY_TARGETS_MAX, sizeof(*ld->pol->notify.targets));
	while ((item = fy_node_sequence_iterate(seq, &it)))
		read_target(ld, item, node_pos(item, at));
}

/*
 * Compiles template `fyn` of a notice of `kind` (`what`: "notice
 * poc_notice: text"). Leading blanks are kept so that the compiler's
 * columns line up with the file; trailing ones (a block's last line break)
 * go. A subject is one line. Returns the template or NULL after reporting.
 */
static struct template *template_value(struct loader *ld, struct fy_node *fyn,
                                       struct protocol_origin at,
                                       const char *what,
                                       enum policy_notice_kind kind,
                                       bool one_line)
{
	size_t len;
	const char *s;
	struct template *t = NULL;
	struct htd_error err;

	if (fyn && fy_node_is_mapping(fyn)) {
		report(ld, HTD_ERR_INVALID, node_pos(fyn, at),
		       "%s must be text, not a mapping: put a template that "
		       "starts with { in quotes (\"{call_id} ...\") or in a "
		       "block (|)",
		       what);
		return NULL;
	}
	s = scalar(ld, fyn, at, what, &len);
	if (!s)
		return NULL;
	/* A block scalar's token starts at its indentation: point at its
	 * first character instead. */
	enum fy_node_style style = fy_node_get_style(fyn);
	struct protocol_origin vat =
	    style == FYNS_LITERAL || style == FYNS_FOLDED
	        ? scalar_offset_pos(ld, fyn, 0)
	        : node_pos(fyn, at);
	while (len > 0 && strchr(" \t\r\n", s[len - 1]))
		len--;
	if (len == 0) {
		report(ld, HTD_ERR_INVALID, vat, "%s is empty", what);
		return NULL;
	}
	if (len > TEMPLATE_SOURCE_MAX) {
		report(ld, HTD_ERR_INVALID, vat, "%s is longer than %d bytes",
		       what, TEMPLATE_SOURCE_MAX);
		return NULL;
	}
	if (!str_no_controls(s, len, !one_line)) {
		report(ld, HTD_ERR_INVALID, vat,
		       one_line ? "%s must be one line of text"
		                : "%s contains a control character",
		       what);
		return NULL;
	}
	char *copy = xstrndup(s, len);
	if (template_compile(copy, policy_notice_fields(kind), &t, &err) !=
	    HTD_OK) {
		struct protocol_origin eat = scalar_offset_pos(
		    ld, fyn, err.column > 0 ? (size_t)err.column - 1 : 0);
		if (str_eq(err.field, "caller_name"))
			report(ld, HTD_ERR_INVALID, eat,
			       "%s: {caller_name} is not a field of any "
			       "notice: the caller's name is never sent",
			       what);
		else if (str_eq(err.field, "callback"))
			report(ld, HTD_ERR_INVALID, eat,
			       "%s: {callback} is not a field of a %s: the "
			       "callback number goes only in a tip_handoff, "
			       "and only when the caller agreed",
			       what, policy_notice_kind_name(kind));
		else
			report(ld, HTD_ERR_INVALID, eat, "%s: %s", what,
			       err.message);
	}
	free(copy);
	return t;
}

enum notice_key {
	NK_KIND,
	NK_ACTION,
	NK_TARGETS,
	NK_SUBJECT,
	NK_TEXT,
	NK_CONFIRM
};

static void read_notice_targets(struct loader *ld, struct policy_notice *x,
                                struct fy_node *seq, struct protocol_origin at,
                                const char *owner)
{
	struct fy_node *item;
	void *it = NULL;
	char what[96];

	str_format(what, sizeof(what), "%s: targets", owner);
	if (!expect_sequence(ld, seq, at, what) ||
	    !list_fits(ld, seq, at, what, POLICY_TARGETS_MAX, true))
		return;
	x->targets = xcalloc(POLICY_TARGETS_MAX, sizeof(*x->targets));
	while ((item = fy_node_sequence_iterate(seq, &it))) {
		size_t len;
		const char *s = scalar(ld, item, at, "target", &len);
		struct protocol_origin iat = node_pos(item, at);
		if (!s)
			continue;
		long k = target_index(ld->pol, s, len);
		if (k < 0) {
			report(ld, HTD_ERR_INVALID, iat,
			       "%s: target '%.*s' is not declared under "
			       "notifications.targets",
			       owner, (int)(len > 60 ? 60 : len), s);
			continue;
		}
		size_t j;
		for (j = 0; j < x->n_targets; j++)
			if (x->targets[j] == (size_t)k)
				break;
		if (j < x->n_targets) {
			report(ld, HTD_ERR_INVALID, iat,
			       "%s: target '%.*s' is listed twice", owner,
			       (int)len, s);
			continue;
		}
		x->targets[x->n_targets++] = (size_t)k;
	}
}

static void read_notice(struct loader *ld, struct fy_node *item,
                        struct protocol_origin at,
                        struct protocol_origin *first_of_kind)
{
	struct field f[] = {
		[NK_KIND] = { .name = "kind", .required = true },
		[NK_ACTION] = { .name = "action", .required = true },
		[NK_TARGETS] = { .name = "targets", .required = true },
		[NK_SUBJECT] = { .name = "subject" },
		[NK_TEXT] = { .name = "text", .required = true },
		[NK_CONFIRM] = { .name = "confirm" },
	};
	struct policy_notify *n = &ld->pol->notify;
	struct policy_notice *x;
	char owner[96];
	size_t len;
	const char *s;
	bool kind_ok = false;

	if (!read_fields(ld, item, at, "a notice", f, COUNT(f)))
		return;
	x = &n->notices[n->n_notices++];
	x->line = node_pos(item, at).line;
	str_copy(owner, sizeof(owner), "a notice");
	if (f[NK_KIND].given) {
		s = scalar(ld, f[NK_KIND].value, f[NK_KIND].at, "kind", &len);
		char buf[32];
		struct protocol_origin kat =
		    node_pos(f[NK_KIND].value, f[NK_KIND].at);
		if (s && len < sizeof(buf)) {
			memcpy(buf, s, len);
			buf[len] = '\0';
			kind_ok = policy_notice_kind_parse(buf, &x->kind);
		}
		if (s && !kind_ok) {
			report(ld, HTD_ERR_INVALID, kat,
			       "unknown notice kind '%.*s'; use "
			       "supervisor_notice, poc_notice, tip_handoff, "
			       "hotline_referral or radio_alert",
			       (int)(len > 40 ? 40 : len), s);
		} else if (kind_ok && first_of_kind[x->kind].line > 0) {
			report(ld, HTD_ERR_INVALID, kat,
			       "notice %s is given twice (first at line %d)",
			       buf, first_of_kind[x->kind].line);
			kind_ok = false;
		} else if (kind_ok) {
			first_of_kind[x->kind] = kat;
			str_format(owner, sizeof(owner), "notice %s", buf);
		}
	}
	if (f[NK_ACTION].given) {
		s = scalar(ld, f[NK_ACTION].value, f[NK_ACTION].at, "action",
		           &len);
		if (s) {
			x->action = xstrndup(s, len);
			if (ld->actions_read &&
			    policy_action_index(ld->pol, x->action) < 0)
				report(ld, HTD_ERR_INVALID,
				       node_pos(f[NK_ACTION].value,
				                f[NK_ACTION].at),
				       "%s: action '%.60s' is not declared "
				       "under actions:",
				       owner, x->action);
		}
	}
	if (f[NK_TARGETS].given)
		read_notice_targets(ld, x, f[NK_TARGETS].value,
		                    f[NK_TARGETS].at, owner);
	/* Which fields a template may use depends on the kind. */
	if (!kind_ok)
		return;
	if (f[NK_CONFIRM].given) {
		struct protocol_origin cat =
		    node_pos(f[NK_CONFIRM].value, f[NK_CONFIRM].at);
		s = scalar(ld, f[NK_CONFIRM].value, f[NK_CONFIRM].at, "confirm",
		           &len);
		/* NENA-STA-020.1: a warm transfer is made by the call-taker
		 * on the phone; only hand-offs and referrals are transfers. */
		if (s && !(len == 10 && memcmp(s, "call_taker", 10) == 0))
			report(ld, HTD_ERR_INVALID, cat,
			       "%s: confirm takes call_taker, not '%.*s'",
			       owner, (int)(len > 40 ? 40 : len), s);
		else if (s && x->kind != POLICY_NOTICE_TIP_HANDOFF &&
		         x->kind != POLICY_NOTICE_HOTLINE_REFERRAL)
			report(ld, HTD_ERR_INVALID, cat,
			       "%s: only tip_handoff and hotline_referral are "
			       "transfers a call-taker confirms",
			       owner);
		else if (s)
			x->confirm_call_taker = true;
	}
	if (f[NK_SUBJECT].given) {
		char what[128];
		str_format(what, sizeof(what), "%s: subject", owner);
		x->subject =
		    template_value(ld, f[NK_SUBJECT].value, f[NK_SUBJECT].at,
		                   what, x->kind, true);
	}
	if (f[NK_TEXT].given) {
		char what[128];
		str_format(what, sizeof(what), "%s: text", owner);
		x->text = template_value(ld, f[NK_TEXT].value, f[NK_TEXT].at,
		                         what, x->kind, false);
	}
}

static void read_notices(struct loader *ld, struct fy_node *seq,
                         struct protocol_origin at)
{
	struct protocol_origin first_of_kind[POLICY_NOTICE__COUNT];
	struct fy_node *item;
	void *it = NULL;

	memset(first_of_kind, 0, sizeof(first_of_kind));
	if (!expect_sequence(ld, seq, at, "notifications.notices") ||
	    !list_fits(ld, seq, at, "notifications.notices", POLICY_NOTICES_MAX,
	               true))
		return;
	ld->pol->notify.notices =
	    xcalloc(POLICY_NOTICES_MAX, sizeof(*ld->pol->notify.notices));
	while ((item = fy_node_sequence_iterate(seq, &it)))
		read_notice(ld, item, node_pos(item, at), first_of_kind);
}

/* notifications: {retry, targets, notices}. Targets first, whatever the
 * order in the file: notices name them. */
static void read_notifications(struct loader *ld, struct fy_node *map,
                               struct protocol_origin at)
{
	struct field f[] = {
		{ .name = "retry" },
		{ .name = "targets", .required = true },
		{ .name = "notices", .required = true },
	};
	if (!read_fields(ld, map, at, "notifications", f, COUNT(f)))
		return;
	if (f[0].given)
		read_retry(ld, f[0].value, f[0].at);
	if (f[1].given)
		read_targets(ld, f[1].value, f[1].at);
	if (f[2].given)
		read_notices(ld, f[2].value, f[2].at);
}

static void read_policy(struct loader *ld, struct fy_node *root)
{
	enum {
		P_POLICY,
		P_AGENCY,
		P_ACTIONS,
		P_CATEGORIES,
		P_RULES,
		P_PRIO,
		P_NOTIFY
	};
	struct field f[] = {
		[P_POLICY] = { .name = "policy", .required = true },
		[P_AGENCY] = { .name = "agency", .required = true },
		[P_ACTIONS] = { .name = "actions", .required = true },
		[P_CATEGORIES] = { .name = "categories", .required = true },
		[P_RULES] = { .name = "action_rules", .required = true },
		[P_PRIO] = { .name = "priorities" },
		[P_NOTIFY] = { .name = "notifications" },
	};
	struct policy *pol = ld->pol;
	const struct protocol *proto = ld->using;
	struct protocol_origin start =
	    node_pos(root, (struct protocol_origin){ 1, 1 });

	pol->hotline_number = xstrdup(HOTLINE_NUMBER_DEFAULT);
	pol->hotline_text = xstrdup(HOTLINE_TEXT_DEFAULT);
	pol->hotline_tty = xstrdup(HOTLINE_TTY_DEFAULT);
	pol->tip_line_name = xstrdup(TIP_LINE_NAME_DEFAULT);
	pol->tip_line_number = xstrdup("");
	pol->priority_default = PRIORITY_DEFAULT;
	pol->notify.attempts = POLICY_RETRY_ATTEMPTS_DEFAULT;
	pol->notify.first_delay_ms = POLICY_RETRY_FIRST_DEFAULT_MS;
	pol->notify.max_delay_ms = POLICY_RETRY_MAX_DEFAULT_MS;
	pol->schema = (struct rule_schema){
		.questions = proto->rule_questions,
		.n_questions = proto->schema.n_questions,
		.flags = policy_flag_names,
		.n_flags = POLICY_FLAG__COUNT,
		.allow_category = true,
	};
	/* Category rules decide the category: they cannot use it. */
	struct rule_schema no_category = pol->schema;
	no_category.allow_category = false;

	if (!root || !fy_node_is_mapping(root)) {
		report(ld, HTD_ERR_INVALID, start,
		       "a policy is a mapping with policy:, agency:, "
		       "actions:, categories: and action_rules: (see "
		       "docs/protocol.md), not %s",
		       root ? yaml_node_kind(root) : "nothing");
		return;
	}
	read_fields(ld, root, start, "the policy file", f, COUNT(f));
	ld->rule_ids = xcalloc(3 * POLICY_RULES_MAX, sizeof(*ld->rule_ids));
	if (f[P_POLICY].given)
		read_policy_header(ld, f[P_POLICY].value, f[P_POLICY].at);
	if (f[P_AGENCY].given)
		read_agency(ld, f[P_AGENCY].value, f[P_AGENCY].at);
	if (f[P_ACTIONS].given)
		read_actions(ld, f[P_ACTIONS].value, f[P_ACTIONS].at);
	pol->categories_origin = f[P_CATEGORIES].at;
	pol->action_rules_origin = f[P_RULES].at;
	if (f[P_CATEGORIES].given)
		read_rules(ld, f[P_CATEGORIES].value, f[P_CATEGORIES].at,
		           "categories", LIST_CATEGORIES, &no_category,
		           &pol->category_rules, &pol->n_category_rules);
	if (f[P_RULES].given)
		read_rules(ld, f[P_RULES].value, f[P_RULES].at, "action_rules",
		           LIST_ACTIONS, &pol->schema, &pol->action_rules,
		           &pol->n_action_rules);
	if (f[P_PRIO].given)
		read_priorities(ld, f[P_PRIO].value, f[P_PRIO].at,
		                &pol->schema);
	/* After actions: a notice names the action that sends it. */
	if (f[P_NOTIFY].given)
		read_notifications(ld, f[P_NOTIFY].value, f[P_NOTIFY].at);
}

/* ---- bytes to document ------------------------------------------------- */

typedef void (*walk_fn)(struct loader *ld, struct fy_node *root);

/* Checks the bytes (size, UTF-8, no NUL), parses them as one YAML
 * document and walks it; `what` ("a protocol") names the file. */
static void load_bytes(struct loader *ld, const char *data, size_t len,
                       const char *what, walk_fn walk)
{
	char empty[HTD_ERROR_MESSAGE_MAX];

	ld->data = data;
	ld->len = len;
	if (!yaml_check_bytes(&ld->errs, data, len, PROTOCOL_YAML_MAX, what))
		return;
	str_format(empty, sizeof(empty),
	           "the file is empty; see docs/protocol.md for what %s holds",
	           what);
	struct yaml_doc doc;
	struct fy_node *root =
	    yaml_doc_parse(&doc, &ld->errs, data, len, what, empty);
	if (root)
		walk(ld, root);
	yaml_doc_free(&doc);
}

enum htd_err protocol_yaml_parse(const char *file, const char *data, size_t len,
                                 const struct protocol_yaml_options *opts,
                                 struct protocol *out, struct htd_error *err)
{
	struct loader *ld = xcalloc(1, sizeof(*ld));
	enum htd_err rc = HTD_OK;

	memset(out, 0, sizeof(*out));
	htd_error_clear(err);
	ld->file = file ? file : "(protocol)";
	ld->errs = (struct yaml_errors){ ld->file, ld->errors,
		                         PROTOCOL_YAML_ERRORS_MAX, 0 };
	ld->proto = out;
	out->file = xstrdup(ld->file);
	load_bytes(ld, data, len, "a protocol", read_protocol);
	if (ld->errs.n) {
		rc = flush_errors(ld, opts, err);
		protocol_free(out);
	}
	free(ld);
	return rc;
}

enum htd_err policy_yaml_parse(const char *file, const char *data, size_t len,
                               const struct protocol *proto,
                               const struct protocol_yaml_options *opts,
                               struct policy *out, struct htd_error *err)
{
	struct loader *ld;
	enum htd_err rc = HTD_OK;

	memset(out, 0, sizeof(*out));
	htd_error_clear(err);
	if (!proto || !proto->questions) {
		struct htd_error e;
		htd_error_at(&e, HTD_ERR_USAGE, file ? file : "(policy)", 0, 0,
		             "a policy is checked against a protocol: load "
		             "the protocol first");
		if (opts && opts->on_error)
			opts->on_error(opts->ctx, &e);
		if (err)
			*err = e;
		return HTD_ERR_USAGE;
	}
	ld = xcalloc(1, sizeof(*ld));
	ld->file = file ? file : "(policy)";
	ld->errs = (struct yaml_errors){ ld->file, ld->errors,
		                         PROTOCOL_YAML_ERRORS_MAX, 0 };
	ld->pol = out;
	ld->using = proto;
	out->file = xstrdup(ld->file);
	load_bytes(ld, data, len, "a policy", read_policy);
	if (ld->errs.n) {
		rc = flush_errors(ld, opts, err);
		policy_free(out);
	}
	free(ld->rule_ids);
	free(ld);
	return rc;
}

/* ---- files ------------------------------------------------------------- */

/* Reads a whole file of at most PROTOCOL_YAML_MAX bytes into an owned
 * buffer; an error is passed to the caller as the loaders' are. */
static enum htd_err read_file(const char *path, char **data, size_t *len,
                              const struct protocol_yaml_options *opts,
                              struct htd_error *err)
{
	struct htd_error e;
	enum htd_err rc = file_read_all(path, PROTOCOL_YAML_MAX, data, len, &e);
	if (rc != HTD_OK) {
		if (opts && opts->on_error)
			opts->on_error(opts->ctx, &e);
		if (err)
			*err = e;
	}
	return rc;
}

enum htd_err protocol_yaml_load(const char *path,
                                const struct protocol_yaml_options *opts,
                                struct protocol *out, struct htd_error *err)
{
	char *data;
	size_t len;
	enum htd_err rc;

	memset(out, 0, sizeof(*out));
	htd_error_clear(err);
	rc = read_file(path, &data, &len, opts, err);
	if (rc != HTD_OK)
		return rc;
	rc = protocol_yaml_parse(path, data, len, opts, out, err);
	free(data);
	return rc;
}

enum htd_err policy_yaml_load(const char *path, const struct protocol *proto,
                              const struct protocol_yaml_options *opts,
                              struct policy *out, struct htd_error *err)
{
	char *data;
	size_t len;
	enum htd_err rc;

	memset(out, 0, sizeof(*out));
	htd_error_clear(err);
	rc = read_file(path, &data, &len, opts, err);
	if (rc != HTD_OK)
		return rc;
	rc = policy_yaml_parse(path, data, len, proto, opts, out, err);
	free(data);
	return rc;
}
