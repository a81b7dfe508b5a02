/*
 * nicknames_csv.h - reads the nickname files of record linkage
 * (data/linkage/nicknames*.csv, format in data/linkage/README.md) into the
 * read-only table of core/match.h, strictly: any error is reported at
 * file:line:column and nothing is loaded.
 *
 * Ownership: rows read are the caller's (free with nicknames_csv_free());
 * a table is the caller's (free with match_nicknames_free()); errors are
 * reported by value.
 */
#ifndef HTD_FORMATS_NICKNAMES_CSV_H
#define HTD_FORMATS_NICKNAMES_CSV_H

#include <stddef.h>

#include "core/match.h"
#include "util/error.h"

/* Largest file read: 13 times the shipped English file; a wrong file (a
 * database, a log) is refused before it is read through. */
#define NICKNAMES_CSV_MAX ((size_t)1024 * 1024)
/* Longest line, without its line end, and longest name, in bytes. */
#define NICKNAMES_CSV_LINE_MAX 256
#define NICKNAMES_CSV_NAME_MAX 64
/* Most files a directory may hold. */
#define NICKNAMES_CSV_FILES_MAX 64

/* The first line of every file, and the one relationship. */
#define NICKNAMES_CSV_HEADER "name1,relationship,name2"
#define NICKNAMES_CSV_RELATIONSHIP "has_nickname"

/* Where the shipped files are when no directory is given. */
#define NICKNAMES_DIR_DEFAULT "data/linkage"

/* One row as written (validated, not folded). */
struct nicknames_csv_row {
	char *formal;   /* owned: name1 */
	char *nickname; /* owned: name2 */
	int line;
};

struct nicknames_csv {
	struct nicknames_csv_row *rows; /* owned */
	size_t n;
	size_t cap;
};

/*
 * Parses `len` bytes of `data` (borrowed, need not be NUL-terminated),
 * read from `file` (used in messages), and appends its rows to `out`
 * (zeroed, or holding rows of earlier files).
 *
 * The first line must be NICKNAMES_CSV_HEADER (a UTF-8 byte order mark
 * before it is skipped); each other line is name1,relationship,name2 with
 * relationship NICKNAMES_CSV_RELATIONSHIP. Lines end in LF or CRLF; blank
 * lines are skipped. A name is letters (any script, accents), with
 * spaces, '.', '\'' and '-' between them, at most NICKNAMES_CSV_NAME_MAX
 * bytes, and not the same name as the other one of its row.
 *
 * Returns HTD_OK; HTD_ERR_TOO_LARGE over NICKNAMES_CSV_MAX bytes or for a
 * line over NICKNAMES_CSV_LINE_MAX; HTD_ERR_PARSE for invalid UTF-8, a NUL
 * or a control character; HTD_ERR_INVALID for a missing or wrong header,
 * a wrong number of fields, an empty field, a quote, an unknown
 * relationship or a bad name. On error `err` (may be NULL) names
 * file:line:column of the first problem and `out` is as it was.
 */
enum htd_err nicknames_csv_parse(const char *file, const char *data, size_t len,
                                 struct nicknames_csv *out,
                                 struct htd_error *err);

/*
 * As nicknames_csv_parse(), for the file at `path`. HTD_ERR_NOT_FOUND or
 * HTD_ERR_IO (with the file named, line 0) when it cannot be read.
 */
enum htd_err nicknames_csv_load(const char *path, struct nicknames_csv *out,
                                struct htd_error *err);

/* Frees the rows; leaves `c` empty for reuse. Accepts NULL. */
void nicknames_csv_free(struct nicknames_csv *c);

/* Returns a new table of the rows of `c` (borrowed); free with
 * match_nicknames_free(). This cannot fail. */
struct match_nicknames *nicknames_csv_table(const struct nicknames_csv *c);

/*
 * Loads every "nicknames*.csv" of `dir` (NULL: NICKNAMES_DIR_DEFAULT), in
 * name order, into one new table (*out; free with match_nicknames_free()).
 * Stops at the first error, which `err` (may be NULL) holds, and returns
 * it with *out NULL. A directory without such files is
 * HTD_ERR_NOT_FOUND; one with over NICKNAMES_CSV_FILES_MAX is
 * HTD_ERR_TOO_LARGE.
 */
enum htd_err nicknames_csv_load_dir(const char *dir,
                                    struct match_nicknames **out,
                                    struct htd_error *err);

#endif
