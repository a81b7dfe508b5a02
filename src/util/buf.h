/*
 * buf.h - a growable byte buffer with a hard cap.
 *
 * Every buffer that holds input from outside has a maximum size; appending
 * past it fails with HTD_ERR_TOO_LARGE and leaves the buffer as it was. The
 * data is always NUL-terminated so it can be used as a C string.
 */
#ifndef HTD_UTIL_BUF_H
#define HTD_UTIL_BUF_H

#include <stddef.h>

#include "util/error.h"

struct buf {
	char *data; /* owned; NUL-terminated; NULL until the first append */
	size_t len; /* bytes used, not counting the NUL */
	size_t cap; /* bytes allocated */
	size_t max; /* hard cap on len; 0 means the default, BUF_DEFAULT_MAX */
};

#define BUF_DEFAULT_MAX ((size_t)64 * 1024 * 1024)

/* Initialises an empty buffer that may grow to `max` bytes (0: default). */
void buf_init(struct buf *b, size_t max);

/* Frees the data and empties the buffer; accepts NULL. */
void buf_free(struct buf *b);

/* Empties the buffer, keeping its memory. */
void buf_reset(struct buf *b);

/* Appends `n` bytes. HTD_ERR_TOO_LARGE (buffer unchanged) past the cap. */
enum htd_err buf_append(struct buf *b, const void *data, size_t n);

/* Appends a C string. */
enum htd_err buf_puts(struct buf *b, const char *s);

/* Appends formatted text. HTD_ERR_TOO_LARGE (buffer unchanged) past the cap. */
enum htd_err buf_printf(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Returns the contents as a C string ("" when empty); borrowed. */
const char *buf_str(const struct buf *b);

/* Takes the data out of the buffer (owned by the caller, free with free()) and
 * leaves the buffer empty. Never NULL. */
char *buf_steal(struct buf *b);

#endif
