/*
 * str.h - safe string helpers: bounded copies and formatting that report
 * truncation, strict number parsing (instead of atoi), trimming, UTF-8 and
 * control-character checks for text that comes from outside.
 */
#ifndef HTD_UTIL_STR_H
#define HTD_UTIL_STR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Copies `src` into `dst` of `size` bytes, always NUL-terminating when
 * size > 0. Returns true when all of `src` fit, false when it was truncated.
 */
bool str_copy(char *dst, size_t size, const char *src);

/* snprintf that returns true only when the whole result fit. */
bool str_format(char *dst, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Returns true when both are NULL or both are equal strings. */
bool str_eq(const char *a, const char *b);

/* Returns true when `s` is NULL or "". */
bool str_empty(const char *s);

/*
 * Parses all of `s` as a base-10 integer in [min, max]. Leading or trailing
 * junk, an empty string or overflow fail. Returns true and sets *out on
 * success; *out is untouched on failure.
 */
bool str_to_i64(const char *s, int64_t min, int64_t max, int64_t *out);

/*
 * Returns a pointer into `s` past leading ASCII whitespace, and writes the
 * length without trailing whitespace into *len. Borrows `s`.
 */
const char *str_trim(const char *s, size_t *len);

/* Returns true when the `len` bytes at `s` are well-formed UTF-8. */
bool str_utf8_valid(const char *s, size_t len);

/*
 * Returns true when the text contains no control characters (C0, DEL, C1),
 * allowing '\n', '\r' and '\t' only when `multiline` is true.
 */
bool str_no_controls(const char *s, size_t len, bool multiline);

/* Lower-cases ASCII letters of `s` in place; returns `s`. */
char *str_ascii_lower(char *s);

#endif
