/*
 * file.h - reading a whole, bounded file.
 *
 * The data files htdispatch loads at start (lexicons, the protocol, the
 * policy, nickname tables) are read whole into memory, and each has a
 * cap: a file over it is refused, never read in part.
 */
#ifndef HTD_UTIL_FILE_H
#define HTD_UTIL_FILE_H

#include <stddef.h>

#include "util/error.h"

/*
 * Reads the regular file at `path`, at most `max` bytes, into an owned,
 * NUL-terminated buffer (*data, *len; NULL and 0 on failure). It reads to
 * the cap, not to the size fstat gives, so a file that grows while it is
 * read is still refused. Errors name the file (line 0):
 * HTD_ERR_NOT_FOUND (no such file), HTD_ERR_IO (cannot open or read, not
 * a regular file), HTD_ERR_TOO_LARGE (over `max` bytes).
 */
enum htd_err file_read_all(const char *path, size_t max, char **data,
                           size_t *len, struct htd_error *err);

#endif
