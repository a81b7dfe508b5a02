/*
 * error.h - the one error type of htdispatch.
 *
 * Every fallible function returns an enum htd_err (0 = HTD_OK) and, when the
 * caller passes one, fills a struct htd_error with a message for humans and,
 * for data files, the file:line:column where the problem is. The codes come
 * from one X-macro table; HTTP statuses and exit codes are derived from the
 * code in exactly one place each (http/, cli/).
 */
#ifndef HTD_UTIL_ERROR_H
#define HTD_UTIL_ERROR_H

#include <stddef.h>

/* X(CODE, name, default message) */
#define HTD_ERRORS(X)                                                          \
	X(OK, "ok", "success")                                                 \
	X(INVALID, "invalid", "invalid value")                                 \
	X(USAGE, "usage", "usage error")                                       \
	X(NOT_FOUND, "not_found", "not found")                                 \
	X(CONFLICT, "conflict", "conflicts with the current state")            \
	X(TOO_LARGE, "too_large", "larger than the limit")                     \
	X(PARSE, "parse", "could not parse")                                   \
	X(IO, "io", "input/output error")                                      \
	X(FULL, "disk_full", "the disk is full")                               \
	X(READONLY, "read_only", "cannot write: read-only or no permission")   \
	X(BUSY, "busy", "the database is locked by another process")           \
	X(NOT_DATABASE, "not_database", "not an htdispatch database")          \
	X(CORRUPT, "corrupt", "the database is corrupt")                       \
	X(SCHEMA_NEWER, "schema_newer",                                        \
	  "the database is from a newer htdispatch")                           \
	X(NO_DATABASE, "no_database", "no database: run 'htdispatch init'")    \
	X(UNAUTHORIZED, "unauthorized", "not logged in, or the session ended") \
	X(FORBIDDEN, "forbidden", "your role may not do this")                 \
	X(LOCKED, "locked", "the account is locked")                           \
	X(INTERNAL, "internal", "internal error")

enum htd_err {
/* An X-macro expansion is a list: */
/* clang-format off */
#define HTD_ERR_ENUM(code, name, msg) HTD_ERR_##code,
	HTD_ERRORS(HTD_ERR_ENUM)
#undef HTD_ERR_ENUM
	HTD_ERR__COUNT
	/* clang-format on */
};

#define HTD_OK HTD_ERR_OK

#define HTD_ERROR_MESSAGE_MAX 512
#define HTD_ERROR_FILE_MAX 256
#define HTD_ERROR_FIELD_MAX 64

/*
 * A filled-in error. `file`, `line` and `column` are set only for errors in
 * data files (line and column are 1-based; 0 means unknown); `field` names
 * the offending input field (a JSON member, a CLI option) when there is one.
 */
struct htd_error {
	enum htd_err code;
	char message[HTD_ERROR_MESSAGE_MAX];
	char field[HTD_ERROR_FIELD_MAX];
	char file[HTD_ERROR_FILE_MAX];
	int line;
	int column;
};

/* Returns the stable machine name of `code` ("not_found"); never NULL. */
const char *htd_err_name(enum htd_err code);

/* Returns the default human message of `code`; never NULL. */
const char *htd_err_message(enum htd_err code);

/* Resets `e` to HTD_OK with empty strings. Accepts NULL. */
void htd_error_clear(struct htd_error *e);

/*
 * Sets `e` (which may be NULL) to `code` with a printf-style message and
 * returns `code`, so that `return htd_error_set(e, HTD_ERR_INVALID, ...)`
 * reads naturally. A message that does not fit is truncated.
 */
enum htd_err htd_error_set(struct htd_error *e, enum htd_err code,
                           const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* As htd_error_set(), also naming the input field at fault. */
enum htd_err htd_error_field(struct htd_error *e, enum htd_err code,
                             const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* As htd_error_set(), for a position in a data file. */
enum htd_err htd_error_at(struct htd_error *e, enum htd_err code,
                          const char *file, int line, int column,
                          const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

/*
 * Writes "file:line:column: message" (or just the message when no file is
 * set) into `out`, truncating to `size`. Returns `out`.
 */
const char *htd_error_format(const struct htd_error *e, char *out, size_t size);

#endif
