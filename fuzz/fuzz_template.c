/*
 * fuzz_template.c - fuzzes the notice templates (core/template.c): an
 * agency writes them by hand in the policy, and they are rendered with
 * values from calls.
 *
 * Input: byte 0 picks the fields allowed (the fields of one notice kind,
 * none, or a few short names), byte 1 the cap of a render buffer (x 8
 * bytes), the rest up to the first NUL is the template. Properties: never
 * a crash or leak; a rejection leaves *out NULL, is invalid or too_large
 * (too_large exactly when over TEMPLATE_SOURCE_MAX), has a message and a
 * column in 1..len+1, names an unknown field that is not allowed and sits
 * at that column, and invalid UTF-8 (as utf8proc sees it) is always
 * rejected; an accepted template is valid UTF-8, keeps its source, and
 * renders exactly as an independent reading of the grammar says, with an
 * identity lookup (each field renders as its own name, so every literal is
 * there) and with no lookup; template_uses() agrees with that reading; a
 * rendering that does not fit a capped buffer fails and leaves the buffer
 * as it was.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/protocol.h"
#include "core/template.h"
#include "fuzz/fuzz.h"
#include "util/buf.h"
#include "util/str.h"

static const char *const short_fields[] = { "a", "b_c", "call_id", "_", NULL };

static void fail(const char *what, const char *src)
{
	fprintf(stderr, "template: %s\nsource: '%.200s'\n", what, src);
	abort();
}

static const char *const *pick_fields(uint8_t b)
{
	int k = b % (POLICY_NOTICE__COUNT + 2);
	if (k < POLICY_NOTICE__COUNT)
		return policy_notice_fields((enum policy_notice_kind)k);
	return k == POLICY_NOTICE__COUNT ? NULL : short_fields;
}

static bool allowed(const char *const *fields, const char *name, size_t n)
{
	for (size_t i = 0; fields && fields[i]; i++)
		if (strlen(fields[i]) == n && !memcmp(fields[i], name, n))
			return true;
	return false;
}

static const char *identity(void *ctx, const char *field)
{
	(void)ctx;
	return field;
}

/*
 * The rendering of an accepted template read independently: {{ and }} are
 * braces, {name} the name itself (`names`) or nothing; every other byte is
 * itself. Marks the allowed fields used in `used`.
 */
static void expected(const char *src, size_t len, bool names,
                     const char *const *fields, bool *used, struct buf *out)
{
	for (size_t i = 0; i < len;) {
		if ((src[i] == '{' || src[i] == '}') && i + 1 < len &&
		    src[i + 1] == src[i]) {
			buf_append(out, src + i, 1);
			i += 2;
			continue;
		}
		if (src[i] == '{') {
			const char *end = memchr(src + i, '}', len - i);
			if (!end)
				fail("accepted with an unclosed brace", src);
			size_t n = (size_t)(end - src) - i - 1;
			for (size_t k = 0; fields && fields[k]; k++)
				if (strlen(fields[k]) == n &&
				    !memcmp(fields[k], src + i + 1, n))
					used[k] = true;
			if (names)
				buf_append(out, src + i + 1, n);
			i += n + 2;
			continue;
		}
		buf_append(out, src + i, 1);
		i++;
	}
}

static void check_rejection(const char *src, size_t len,
                            const char *const *fields, enum htd_err rc,
                            const struct htd_error *err)
{
	if (rc != HTD_ERR_INVALID && rc != HTD_ERR_TOO_LARGE)
		fail("a rejection that is neither invalid nor too_large", src);
	if ((rc == HTD_ERR_TOO_LARGE) != (len > TEMPLATE_SOURCE_MAX))
		fail("too_large does not match the length", src);
	if (err->code != rc || !err->message[0])
		fail("a rejection without its message", src);
	if (err->column < 1 || (size_t)err->column > len + 1)
		fail("a rejection without a column in the source", src);
	if (err->field[0]) {
		size_t n = strlen(err->field);
		size_t at = (size_t)err->column - 1;
		if (allowed(fields, err->field, n))
			fail("an allowed field refused", src);
		if (at + n >= len || memcmp(src + at, err->field, n) != 0 ||
		    src[at + n] != '}' || at == 0 || src[at - 1] != '{')
			fail("the unknown field is not at its column", src);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct template *t = (struct template *)&t;
	struct htd_error err;
	struct buf got, want;
	bool used[64] = { false };

	if (size < 2 || size > FUZZ_INPUT_MAX)
		return 0;
	const char *const *fields = pick_fields(data[0]);
	size_t cap = (size_t)data[1] * 8;
	char *src = fuzz_input_copy(data + 2, size - 2);
	size_t len = strlen(src);

	enum htd_err rc = template_compile(src, fields, &t, &err);
	if (rc != HTD_OK) {
		if (t)
			fail("a rejection returned a template", src);
		check_rejection(src, len, fields, rc, &err);
		free(src);
		return 0;
	}
	if (!t || len > TEMPLATE_SOURCE_MAX || !str_utf8_valid(src, len))
		fail("accepted what is not a template", src);
	if (strcmp(template_source(t), src) != 0)
		fail("the source is not kept", src);

	/* Identity lookup: every literal and every name is there. */
	buf_init(&got, 0);
	buf_init(&want, 0);
	if (template_render(t, identity, NULL, &got, &err) != HTD_OK)
		fail("an accepted template does not render", src);
	expected(src, len, true, fields, used, &want);
	if (got.len != want.len ||
	    memcmp(buf_str(&got), buf_str(&want), got.len) != 0)
		fail("the rendering differs from the grammar", src);
	for (size_t k = 0; fields && fields[k]; k++)
		if (template_uses(t, fields[k]) != used[k])
			fail("template_uses disagrees", src);
	if (template_uses(t, "not_a_field_here"))
		fail("template_uses finds a field not allowed", src);

	/* No lookup: fields render empty. */
	buf_reset(&got);
	buf_reset(&want);
	if (template_render(t, NULL, NULL, &got, &err) != HTD_OK)
		fail("does not render without a lookup", src);
	expected(src, len, false, fields, used, &want);
	if (got.len != want.len ||
	    memcmp(buf_str(&got), buf_str(&want), got.len) != 0)
		fail("the empty rendering differs from the grammar", src);
	buf_free(&got);

	/* A capped buffer: all or nothing. */
	buf_reset(&want);
	expected(src, len, true, fields, used, &want);
	struct buf small;
	buf_init(&small, cap ? cap : 1);
	buf_puts(&small, "p");
	size_t before = small.len;
	rc = template_render(t, identity, NULL, &small, &err);
	if (before + want.len <= small.max) {
		if (rc != HTD_OK || small.len != before + want.len ||
		    memcmp(buf_str(&small) + before, buf_str(&want),
		           want.len) != 0)
			fail("a rendering that fits failed", src);
	} else if (rc != HTD_ERR_TOO_LARGE || small.len != before ||
	           (small.data && small.data[before] != '\0')) {
		fail("a rendering over the cap changed the buffer", src);
	}
	buf_free(&small);
	buf_free(&want);
	template_free(t);
	free(src);
	return 0;
}
