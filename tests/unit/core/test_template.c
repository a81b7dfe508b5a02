/*
 * test_template.c - unit tests of core/template.c: compiling and rendering
 * notice templates, literal braces, every compile error with its byte
 * column (unknown fields named in err->field), UTF-8, the source cap, an
 * 8 KiB template, the buffer's cap, and NULL lookups.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "core/template.h"
#include "util/buf.h"
#include "util/mem.h"
#include "util/str.h"

static const char *const fields[] = { "call_id", "category", "location", NULL };

/* A lookup from a table of name=value pairs; NULL for the rest. */
struct pairs {
	const char *const *kv; /* name, value, name, value, ..., NULL */
	int calls;
};

static const char *lookup_pairs(void *ctx, const char *field)
{
	struct pairs *p = ctx;
	p->calls++;
	for (size_t i = 0; p->kv[i]; i += 2)
		if (strcmp(p->kv[i], field) == 0)
			return p->kv[i + 1];
	return NULL;
}

static const char *lookup_null(void *ctx, const char *field)
{
	(void)ctx;
	(void)field;
	return NULL;
}

/* Compiles `src` with `allowed`; asserts success; renders with `kv` into a
 * fresh string (owned). */
static char *render(const char *src, const char *const *allowed,
                    const char *const *kv)
{
	struct template *t = NULL;
	struct htd_error err;
	struct buf b;
	struct pairs p = { kv, 0 };

	cr_assert_eq(template_compile(src, allowed, &t, &err), HTD_OK,
	             "'%s': %d: %s", src, err.column, err.message);
	cr_assert_not_null(t);
	buf_init(&b, 0);
	cr_assert_eq(template_render(t, lookup_pairs, &p, &b, &err), HTD_OK);
	template_free(t);
	return buf_steal(&b);
}

/* Asserts that `src` fails with `code` at `column`, mentioning `needle`. */
static void assert_fails(const char *src, const char *const *allowed,
                         enum htd_err code, int column, const char *needle)
{
	struct template *t = (struct template *)&t; /* not NULL */
	struct htd_error err;

	cr_assert_eq(template_compile(src, allowed, &t, &err), code, "'%s'",
	             src);
	cr_assert_null(t, "a rejected template is returned");
	cr_assert_eq(err.code, code);
	cr_assert_eq(err.column, column, "'%s': column %d, not %d: %s", src,
	             err.column, column, err.message);
	cr_assert(strstr(err.message, needle), "'%s': '%s' lacks '%s'", src,
	          err.message, needle);
}

Test(template, renders_fields_and_literals)
{
	static const char *const kv[] = { "call_id", "HT-2026-000042",
		                          "category", "victim_call", NULL };
	char *s =
	    render("Call {call_id}: {category}, at {location}.", fields, kv);
	/* location has no value: "" */
	cr_assert_str_eq(s, "Call HT-2026-000042: victim_call, at .");
	free(s);
	s = render("", fields, kv);
	cr_assert_str_eq(s, "");
	free(s);
	s = render("{call_id}{call_id}", fields, kv);
	cr_assert_str_eq(s, "HT-2026-000042HT-2026-000042");
	free(s);
	s = render("no fields at all\n\tsecond line", NULL, kv);
	cr_assert_str_eq(s, "no fields at all\n\tsecond line");
	free(s);
}

Test(template, literal_braces)
{
	static const char *const kv[] = { "call_id", "C1", NULL };
	char *s = render("{{x}} {{{call_id}}} }}{{ {{}}", fields, kv);
	cr_assert_str_eq(s, "{x} {C1} }{ {}");
	free(s);
	/* {{call_id}} is the literal text {call_id}, not a field. */
	struct template *t;
	struct htd_error err;
	cr_assert_eq(template_compile("{{call_id}}", fields, &t, &err), HTD_OK);
	cr_assert_not(template_uses(t, "call_id"));
	template_free(t);
}

Test(template, values_are_not_expanded)
{
	static const char *const kv[] = { "call_id", "{category} }{ {{",
		                          "category", "X", NULL };
	char *s = render("[{call_id}]", fields, kv);
	cr_assert_str_eq(s, "[{category} }{ {{]");
	free(s);
}

Test(template, source_and_uses)
{
	struct template *t;
	struct htd_error err;
	static const char src[] = "At {location}: {call_id}";

	cr_assert_eq(template_compile(src, fields, &t, &err), HTD_OK);
	cr_assert_str_eq(template_source(t), src);
	cr_assert_neq(template_source(t), src, "the source is not copied");
	cr_assert(template_uses(t, "location"));
	cr_assert(template_uses(t, "call_id"));
	cr_assert_not(template_uses(t, "category"));
	cr_assert_not(template_uses(t, "call"));
	cr_assert_not(template_uses(t, NULL));
	cr_assert_not(template_uses(NULL, "call_id"));
	template_free(t);
	template_free(NULL);
}

Test(template, errors_with_columns)
{
	assert_fails("a } b", fields, HTD_ERR_INVALID, 3, "a lone '}'");
	assert_fails("}", fields, HTD_ERR_INVALID, 1, "write }} for");
	assert_fails("ab {", fields, HTD_ERR_INVALID, 4, "never closed");
	assert_fails("{call_id", fields, HTD_ERR_INVALID, 1, "never closed");
	assert_fails("x {call_id\n}", fields, HTD_ERR_INVALID, 3,
	             "never closed");
	assert_fails("x {call_{id}", fields, HTD_ERR_INVALID, 3,
	             "never closed");
	assert_fails("x {}", fields, HTD_ERR_INVALID, 3, "empty placeholder");
	assert_fails("{Call_id}", fields, HTD_ERR_INVALID, 2,
	             "'C' cannot be in a field name");
	assert_fails("ab {call-id}", fields, HTD_ERR_INVALID, 9,
	             "'-' cannot be in a field name");
	assert_fails("{ call_id }", fields, HTD_ERR_INVALID, 2,
	             "without spaces");
	assert_fails("{call_id2}", fields, HTD_ERR_INVALID, 9, "'2' cannot be");
	assert_fails("{caf\xc3\xa9}", fields, HTD_ERR_INVALID, 5,
	             "lower-case letters");
}

Test(template, unknown_field_named)
{
	struct template *t;
	struct htd_error err;

	cr_assert_eq(template_compile("Call {call_id} by {caller_name}.",
	                              fields, &t, &err),
	             HTD_ERR_INVALID);
	cr_assert_null(t);
	cr_assert_str_eq(err.field, "caller_name");
	cr_assert_eq(err.column, 20);
	cr_assert_str_eq(err.message,
	                 "unknown field 'caller_name'; this template may use "
	                 "call_id, category and location");
	/* No fields allowed at all. */
	cr_assert_eq(template_compile("{call_id}", NULL, &t, &err),
	             HTD_ERR_INVALID);
	cr_assert_str_eq(err.field, "call_id");
	cr_assert_eq(err.column, 2);
	cr_assert(strstr(err.message, "may use none"));
	/* The column counts bytes, not characters. */
	cr_assert_eq(template_compile("\xc3\xa9 {nope}", fields, &t, &err),
	             HTD_ERR_INVALID);
	cr_assert_eq(err.column, 5);
	cr_assert_str_eq(err.field, "nope");
	/* err may be NULL. */
	cr_assert_eq(template_compile("{nope}", fields, &t, NULL),
	             HTD_ERR_INVALID);
	cr_assert_null(t);
	cr_assert_eq(template_compile(NULL, fields, &t, &err), HTD_ERR_INVALID);
	cr_assert_null(t);
}

Test(template, field_name_length)
{
	static const char name32[] = "abcdefghijklmnopqrstuvwxyz_abcde";
	static const char name33[] = "abcdefghijklmnopqrstuvwxyz_abcdef";
	const char *const allowed[] = { name32, name33, NULL };
	char src[64];
	struct template *t;
	struct htd_error err;

	cr_assert_eq(strlen(name32), TEMPLATE_FIELD_MAX);
	str_format(src, sizeof(src), "{%s}", name32);
	cr_assert_eq(template_compile(src, allowed, &t, &err), HTD_OK);
	cr_assert(template_uses(t, name32));
	template_free(t);
	str_format(src, sizeof(src), "{%s}", name33);
	assert_fails(src, allowed, HTD_ERR_INVALID, 34, "at most 32 letters");
}

Test(template, bad_utf8)
{
	assert_fails("ab\xff", fields, HTD_ERR_INVALID, 3, "invalid UTF-8");
	assert_fails("\xc0\xaf", fields, HTD_ERR_INVALID, 1, "UTF-8");
	assert_fails("x\xed\xa0\x80", fields, HTD_ERR_INVALID, 2, "UTF-8");
	assert_fails("xy\xe2\x82", fields, HTD_ERR_INVALID, 3, "UTF-8");
	assert_fails("\xf4\x90\x80\x80", fields, HTD_ERR_INVALID, 1, "UTF-8");
	assert_fails("\xe0\x80\xaf", fields, HTD_ERR_INVALID, 1, "UTF-8");
	assert_fails("ok {call_id} \xc3\x28", fields, HTD_ERR_INVALID, 14,
	             "UTF-8");
	static const char *const kv[] = { "call_id", "\xe2\x82\xac", NULL };
	char *s = render("\xc3\xa9 {call_id} \xf0\x9f\x98\x80 \xed\x9f\xbf",
	                 fields, kv);
	cr_assert_str_eq(s, "\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 "
	                    "\xed\x9f\xbf");
	free(s);
}

Test(template, eight_kib_template)
{
	/* Exactly TEMPLATE_SOURCE_MAX bytes: literals and fields. */
	char *src = xmalloc(TEMPLATE_SOURCE_MAX + 2);
	size_t n = 0, fields_in = 0;
	while (n + 10 <= TEMPLATE_SOURCE_MAX) {
		memcpy(src + n, "{call_id}-", 10);
		n += 10;
		fields_in++;
	}
	while (n < TEMPLATE_SOURCE_MAX)
		src[n++] = 'x';
	src[n] = '\0';
	cr_assert_eq(strlen(src), TEMPLATE_SOURCE_MAX);

	static const char *const kv[] = { "call_id", "HT-1", NULL };
	struct template *t;
	struct htd_error err;
	struct buf b;
	struct pairs p = { kv, 0 };
	cr_assert_eq(template_compile(src, fields, &t, &err), HTD_OK, "%s",
	             err.message);
	buf_init(&b, 0);
	cr_assert_eq(template_render(t, lookup_pairs, &p, &b, &err), HTD_OK);
	cr_assert_eq(p.calls, (int)fields_in);
	cr_assert_eq(b.len,
	             TEMPLATE_SOURCE_MAX - fields_in * 9 + fields_in * 4);
	cr_assert_eq(strncmp(b.data, "HT-1-HT-1-", 10), 0);
	buf_free(&b);
	template_free(t);

	/* One byte more is too large, at the byte past the cap. */
	src[n++] = 'x';
	src[n] = '\0';
	assert_fails(src, fields, HTD_ERR_TOO_LARGE, TEMPLATE_SOURCE_MAX + 1,
	             "at most 8192 bytes");
	free(src);
}

Test(template, render_respects_the_cap)
{
	static const char *const kv[] = { "call_id", "0123456789", NULL };
	struct template *t;
	struct htd_error err;
	struct buf b;
	struct pairs p = { kv, 0 };

	cr_assert_eq(template_compile("<{call_id}>", fields, &t, &err), HTD_OK);
	buf_init(&b, 16);
	cr_assert_eq(buf_puts(&b, "ab"), HTD_OK);
	/* 2 + 12 = 14 fits; twice does not, and leaves the first. */
	cr_assert_eq(template_render(t, lookup_pairs, &p, &b, &err), HTD_OK);
	cr_assert_str_eq(b.data, "ab<0123456789>");
	cr_assert_eq(template_render(t, lookup_pairs, &p, &b, &err),
	             HTD_ERR_TOO_LARGE);
	cr_assert_eq(err.code, HTD_ERR_TOO_LARGE);
	cr_assert(strstr(err.message, "16 bytes"), "%s", err.message);
	cr_assert_eq(b.len, 14);
	cr_assert_str_eq(b.data, "ab<0123456789>");
	cr_assert_eq(template_render(t, lookup_pairs, &p, &b, NULL),
	             HTD_ERR_TOO_LARGE);
	cr_assert_str_eq(b.data, "ab<0123456789>");
	buf_free(&b);

	/* Exactly at the cap is fine; an empty buffer stays empty. */
	buf_init(&b, 12);
	cr_assert_eq(template_render(t, lookup_pairs, &p, &b, &err), HTD_OK);
	cr_assert_eq(b.len, 12);
	buf_free(&b);
	buf_init(&b, 11);
	cr_assert_eq(template_render(t, lookup_pairs, &p, &b, &err),
	             HTD_ERR_TOO_LARGE);
	cr_assert_eq(b.len, 0);
	cr_assert_str_eq(buf_str(&b), "");
	buf_free(&b);
	template_free(t);
}

Test(template, null_lookups)
{
	struct template *t;
	struct htd_error err;
	struct buf b;

	cr_assert_eq(
	    template_compile("a{call_id}b{{{location}}}c", fields, &t, &err),
	    HTD_OK);
	buf_init(&b, 0);
	cr_assert_eq(template_render(t, lookup_null, NULL, &b, &err), HTD_OK);
	cr_assert_str_eq(buf_str(&b), "ab{}c");
	buf_reset(&b);
	cr_assert_eq(template_render(t, NULL, NULL, &b, &err), HTD_OK);
	cr_assert_str_eq(buf_str(&b), "ab{}c");
	buf_free(&b);
	template_free(t);

	/* Only fields: nothing at all, and nothing allocated. */
	cr_assert_eq(template_compile("{call_id}{location}", fields, &t, &err),
	             HTD_OK);
	buf_init(&b, 0);
	cr_assert_eq(template_render(t, NULL, NULL, &b, &err), HTD_OK);
	cr_assert_eq(b.len, 0);
	cr_assert_null(b.data);
	buf_free(&b);
	template_free(t);
}
