/*
 * str.c - safe string helpers. UTF-8 decoding is utf8proc's, so that every
 * part of htdispatch agrees on what well-formed text is.
 */
#include "util/str.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

bool str_copy(char *dst, size_t size, const char *src)
{
	if (!dst || size == 0)
		return false;
	if (!src) {
		dst[0] = '\0';
		return true;
	}
	size_t n = strlen(src);
	if (n < size) {
		memcpy(dst, src, n + 1);
		return true;
	}
	memcpy(dst, src, size - 1);
	dst[size - 1] = '\0';
	return false;
}

bool str_format(char *dst, size_t size, const char *fmt, ...)
{
	va_list ap;
	if (!dst || size == 0)
		return false;
	va_start(ap, fmt);
	int n = vsnprintf(dst, size, fmt, ap);
	va_end(ap);
	return n >= 0 && (size_t)n < size;
}

bool str_eq(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return strcmp(a, b) == 0;
}

bool str_empty(const char *s)
{
	return !s || !*s;
}

bool str_to_i64(const char *s, int64_t min, int64_t max, int64_t *out)
{
	if (!s || !*s)
		return false;
	/* strtoll accepts leading space and '+'; we do not. */
	if (!(s[0] == '-' || (s[0] >= '0' && s[0] <= '9')))
		return false;
	char *end = NULL;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno != 0 || !end || *end != '\0' || end == s)
		return false;
	if (v < min || v > max)
		return false;
	*out = (int64_t)v;
	return true;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
	       c == '\v';
}

const char *str_trim(const char *s, size_t *len)
{
	if (!s) {
		*len = 0;
		return "";
	}
	while (is_space(*s))
		s++;
	size_t n = strlen(s);
	while (n > 0 && is_space(s[n - 1]))
		n--;
	*len = n;
	return s;
}

bool str_utf8_valid(const char *s, size_t len)
{
	const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)s;
	size_t i = 0;
	while (i < len) {
		utf8proc_int32_t cp;
		utf8proc_ssize_t n =
		    utf8proc_iterate(p + i, (utf8proc_ssize_t)(len - i), &cp);
		if (n <= 0 || cp < 0)
			return false;
		i += (size_t)n;
	}
	return true;
}

bool str_no_controls(const char *s, size_t len, bool multiline)
{
	const unsigned char *p = (const unsigned char *)s;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = p[i];
		if (c == '\n' || c == '\t' || c == '\r') {
			if (!multiline)
				return false;
			continue;
		}
		if (c < 0x20 || c == 0x7f)
			return false;
		/* C1 controls U+0080..U+009F are encoded as C2 80..C2 9F. */
		if (c == 0xc2 && i + 1 < len && p[i + 1] >= 0x80 &&
		    p[i + 1] <= 0x9f)
			return false;
	}
	return true;
}

char *str_ascii_lower(char *s)
{
	if (!s)
		return s;
	for (char *p = s; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	return s;
}
