/*
 * template.c - compiles a notice template into a list of parts (literal
 * text, field) once, when the policy is loaded, so that rendering is a
 * walk that cannot fail except at the buffer's cap. Literal text and field
 * names live in one pool; a field name is NUL-terminated there, so lookups
 * get a C string without a copy.
 */
#include "core/template.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/mem.h"
#include "util/str.h"

struct template_part {
	bool field;   /* a placeholder; else literal text */
	size_t start; /* in pool */
	size_t len;   /* bytes (a field: without its NUL) */
};

struct template
{
	char *source;                /* owned */
	char *pool;                  /* owned: literals, field names */
	size_t pool_len;             /* bytes used */
	struct template_part *parts; /* owned */
	size_t n_parts;
	size_t room; /* parts allocated */
};

static bool is_name_byte(char c)
{
	return (c >= 'a' && c <= 'z') || c == '_';
}

/*
 * Returns the offset of the first byte of `s` (`len` bytes) that is not
 * part of well-formed UTF-8 (no overlong forms, surrogates or code points
 * past U+10FFFF), or `len` when it is all well-formed.
 */
static size_t utf8_invalid_at(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	while (i < len) {
		unsigned c = p[i];
		size_t n;
		unsigned lo = 0x80, hi = 0xbf; /* range of the 2nd byte */
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			n = 2;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 3;
			if (c == 0xe0)
				lo = 0xa0; /* overlong */
			else if (c == 0xed)
				hi = 0x9f; /* surrogates */
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 4;
			if (c == 0xf0)
				lo = 0x90; /* overlong */
			else if (c == 0xf4)
				hi = 0x8f; /* past U+10FFFF */
		} else {
			return i;
		}
		if (len - i < n)
			return i;
		if (p[i + 1] < lo || p[i + 1] > hi)
			return i;
		for (size_t k = 2; k < n; k++)
			if ((p[i + k] & 0xc0) != 0x80)
				return i;
		i += n;
	}
	return len;
}

static struct template_part *part_new(struct template *t)
{
	if (t->n_parts == t->room) {
		t->room = t->room ? 2 * t->room : 8;
		t->parts = xrealloc(t->parts, t->room * sizeof(*t->parts));
	}
	return &t->parts[t->n_parts++];
}

/* Appends one literal byte, extending the last part when it is literal. */
static void add_literal(struct template *t, char c)
{
	struct template_part *last =
	    t->n_parts ? &t->parts[t->n_parts - 1] : NULL;
	if (!last || last->field || last->start + last->len != t->pool_len) {
		last = part_new(t);
		last->field = false;
		last->start = t->pool_len;
		last->len = 0;
	}
	t->pool[t->pool_len++] = c;
	last->len++;
}

static void add_field(struct template *t, const char *name, size_t len)
{
	struct template_part *p = part_new(t);
	p->field = true;
	p->start = t->pool_len;
	p->len = len;
	memcpy(t->pool + t->pool_len, name, len);
	t->pool_len += len;
	t->pool[t->pool_len++] = '\0';
}

static bool field_allowed(const char *const *fields, const char *name,
                          size_t len)
{
	for (size_t i = 0; fields && fields[i]; i++)
		if (strlen(fields[i]) == len &&
		    memcmp(fields[i], name, len) == 0)
			return true;
	return false;
}

/* Writes "a, b and c" (the allowed fields) into `out`. */
static void fields_list(const char *const *fields, char *out, size_t size)
{
	size_t n = 0, used = 0;

	while (fields && fields[n])
		n++;
	if (n == 0) {
		str_copy(out, size, "none");
		return;
	}
	out[0] = '\0';
	for (size_t i = 0; i < n && used < size; i++) {
		const char *sep = i == 0 ? "" : i + 1 == n ? " and " : ", ";
		str_format(out + used, size - used, "%s%s", sep, fields[i]);
		used += strlen(out + used);
	}
}

/* Fills `err` (may be NULL) with `code`, `message` and the column. */
static enum htd_err fail(struct htd_error *err, enum htd_err code,
                         size_t offset, const char *field, const char *message)
{
	if (!err)
		return code;
	htd_error_field(err, code, field, "%s", message);
	err->column =
	    offset + 1 > (size_t)INT32_MAX ? INT32_MAX : (int)(offset + 1);
	return code;
}

enum htd_err template_compile(const char *src, const char *const *fields,
                              struct template **out, struct htd_error *err)
{
	struct template *t = NULL;
	enum htd_err rc = HTD_OK;
	char msg[HTD_ERROR_MESSAGE_MAX];
	size_t len, bad, i = 0;

	*out = NULL;
	htd_error_clear(err);
	if (!src)
		return fail(err, HTD_ERR_INVALID, 0, NULL, "no template");
	len = strnlen(src, TEMPLATE_SOURCE_MAX + 1);
	if (len > TEMPLATE_SOURCE_MAX) {
		str_format(msg, sizeof(msg),
		           "a template is at most %d bytes long",
		           TEMPLATE_SOURCE_MAX);
		return fail(err, HTD_ERR_TOO_LARGE, TEMPLATE_SOURCE_MAX, NULL,
		            msg);
	}
	bad = utf8_invalid_at(src, len);
	if (bad < len)
		return fail(err, HTD_ERR_INVALID, bad, NULL,
		            "invalid UTF-8; a template is UTF-8 text");

	t = xcalloc(1, sizeof(*t));
	t->source = xstrndup(src, len);
	/* Every literal or name takes no more room in the pool than it did in
	 * the source ({x} is 3 bytes, x and its NUL 2). */
	t->pool = xmalloc(len + 1);
	while (i < len) {
		char c = src[i];
		if (c == '}') {
			if (i + 1 < len && src[i + 1] == '}') {
				add_literal(t, '}');
				i += 2;
				continue;
			}
			rc = fail(err, HTD_ERR_INVALID, i, NULL,
			          "a lone '}'; write }} for a literal brace");
			goto out;
		}
		if (c != '{') {
			add_literal(t, c);
			i++;
			continue;
		}
		if (i + 1 < len && src[i + 1] == '{') {
			add_literal(t, '{');
			i += 2;
			continue;
		}
		/* A placeholder ends at the first '}' on its line. */
		size_t end = i + 1;
		while (end < len && src[end] != '}' && src[end] != '{' &&
		       src[end] != '\n')
			end++;
		if (end == len || src[end] != '}') {
			rc = fail(err, HTD_ERR_INVALID, i, NULL,
			          "'{' is never closed; a placeholder is "
			          "{field}, and {{ is a literal brace");
			goto out;
		}
		const char *name = src + i + 1;
		size_t n = end - i - 1;
		if (n == 0) {
			rc = fail(err, HTD_ERR_INVALID, i, NULL,
			          "an empty placeholder {}; write {{}} for "
			          "literal braces");
			goto out;
		}
		for (size_t k = 0; k < n; k++) {
			if (is_name_byte(name[k]))
				continue;
			unsigned char b = (unsigned char)name[k];
			if (b >= 0x21 && b < 0x7f)
				str_format(msg, sizeof(msg),
				           "'%c' cannot be in a field name: a "
				           "field is lower-case letters and _ "
				           "({call_id})",
				           b);
			else
				str_copy(msg, sizeof(msg),
				         "a field name is lower-case letters "
				         "and _ ({call_id}), without spaces");
			rc = fail(err, HTD_ERR_INVALID, i + 1 + k, NULL, msg);
			goto out;
		}
		if (n > TEMPLATE_FIELD_MAX) {
			str_format(msg, sizeof(msg),
			           "a field name is at most %d letters",
			           TEMPLATE_FIELD_MAX);
			rc = fail(err, HTD_ERR_INVALID,
			          i + 1 + TEMPLATE_FIELD_MAX, NULL, msg);
			goto out;
		}
		if (!field_allowed(fields, name, n)) {
			char field[TEMPLATE_FIELD_MAX + 1], known[400];
			memcpy(field, name, n);
			field[n] = '\0';
			fields_list(fields, known, sizeof(known));
			str_format(msg, sizeof(msg),
			           "unknown field '%s'; this template may use "
			           "%s",
			           field, known);
			rc = fail(err, HTD_ERR_INVALID, i + 1, field, msg);
			goto out;
		}
		add_field(t, name, n);
		i = end + 1;
	}
	*out = t;
	t = NULL;
out:
	template_free(t);
	return rc;
}

enum htd_err template_render(const struct template *t,
                             template_lookup_fn *lookup, void *ctx,
                             struct buf *out, struct htd_error *err)
{
	size_t start = out->len;

	htd_error_clear(err);
	for (size_t i = 0; i < t->n_parts; i++) {
		const struct template_part *p = &t->parts[i];
		const char *s = t->pool + p->start;
		size_t n = p->len;
		if (p->field) {
			s = lookup ? lookup(ctx, s) : NULL;
			n = s ? strlen(s) : 0;
		}
		if (n == 0)
			continue;
		if (buf_append(out, s, n) != HTD_OK) {
			/* Nothing appended: back to where it was. */
			out->len = start;
			if (out->data)
				out->data[start] = '\0';
			return htd_error_set(
			    err, HTD_ERR_TOO_LARGE,
			    "the rendering does not fit: the buffer holds at "
			    "most %zu bytes",
			    out->max ? out->max : BUF_DEFAULT_MAX);
		}
	}
	return HTD_OK;
}

const char *template_source(const struct template *t)
{
	return t->source;
}

bool template_uses(const struct template *t, const char *field)
{
	for (size_t i = 0; t && field && i < t->n_parts; i++)
		if (t->parts[i].field &&
		    strcmp(t->pool + t->parts[i].start, field) == 0)
			return true;
	return false;
}

void template_free(struct template *t)
{
	if (!t)
		return;
	free(t->source);
	free(t->pool);
	free(t->parts);
	free(t);
}
