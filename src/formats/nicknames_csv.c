/*
 * nicknames_csv.c - the nickname file loader: a line at a time, each line
 * checked for its length, encoding and controls before it is split, so
 * that the first thing wrong is reported where it was typed. Rows are
 * gathered apart and appended only when the whole file is good.
 */
#include "formats/nicknames_csv.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <utf8proc.h>

#include "util/file.h"
#include "util/mem.h"
#include "util/str.h"

#define FIELDS 3

static const char *const field_names[FIELDS] = { "name1", "relationship",
	                                         "name2" };

/* The 1-based column, in characters, of byte `at` of `line`. */
static int column_of(const char *line, size_t at)
{
	int col = 1;
	for (size_t i = 0; i < at; i++)
		col += ((unsigned char)line[i] & 0xC0) != 0x80;
	return col;
}

/*
 * Checks that the `len` bytes of `line` are UTF-8 text without NUL or
 * control characters. Returns HTD_OK, or the error at its column.
 */
static enum htd_err check_text(const char *file, int line_no, const char *line,
                               size_t len, struct htd_error *err)
{
	size_t i = 0;
	while (i < len) {
		utf8proc_int32_t cp;
		utf8proc_ssize_t k =
		    utf8proc_iterate((const utf8proc_uint8_t *)line + i,
		                     (utf8proc_ssize_t)(len - i), &cp);
		if (k <= 0 || cp < 0)
			return htd_error_at(err, HTD_ERR_PARSE, file, line_no,
			                    column_of(line, i),
			                    "invalid UTF-8; the file must be "
			                    "UTF-8 text");
		if (cp == 0)
			return htd_error_at(err, HTD_ERR_PARSE, file, line_no,
			                    column_of(line, i), "a NUL byte");
		if (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F))
			return htd_error_at(err, HTD_ERR_PARSE, file, line_no,
			                    column_of(line, i),
			                    "a control character (U+%04X)",
			                    (unsigned)cp);
		i += (size_t)k;
	}
	return HTD_OK;
}

static bool is_letter(utf8proc_int32_t cp)
{
	switch (utf8proc_category(cp)) {
	case UTF8PROC_CATEGORY_LU:
	case UTF8PROC_CATEGORY_LL:
	case UTF8PROC_CATEGORY_LT:
	case UTF8PROC_CATEGORY_LM:
	case UTF8PROC_CATEGORY_LO: return true;
	default: return false;
	}
}

/* Combining marks: allowed in a name ("e" and U+0301), not letters. */
static bool is_mark(utf8proc_int32_t cp)
{
	utf8proc_category_t c = utf8proc_category(cp);
	return c == UTF8PROC_CATEGORY_MN || c == UTF8PROC_CATEGORY_MC ||
	       c == UTF8PROC_CATEGORY_ME;
}

/*
 * Checks name field `f` (bytes [at, at + len) of `line`, valid UTF-8):
 * letters, with spaces, '.', '\'' and '-' between them.
 */
static enum htd_err check_name(const char *file, int line_no, const char *line,
                               size_t at, size_t len, const char *what,
                               struct htd_error *err)
{
	const char *s = line + at;
	bool letter = false;

	if (len > NICKNAMES_CSV_NAME_MAX)
		return htd_error_at(
		    err, HTD_ERR_INVALID, file, line_no, column_of(line, at),
		    "%s is longer than %d bytes", what, NICKNAMES_CSV_NAME_MAX);
	if (s[0] == ' ' || s[len - 1] == ' ')
		return htd_error_at(
		    err, HTD_ERR_INVALID, file, line_no,
		    column_of(line, s[0] == ' ' ? at : at + len - 1),
		    "%s has a space before or after it", what);
	for (size_t i = 0; i < len;) {
		utf8proc_int32_t cp;
		utf8proc_ssize_t k =
		    utf8proc_iterate((const utf8proc_uint8_t *)s + i,
		                     (utf8proc_ssize_t)(len - i), &cp);
		if (is_letter(cp)) {
			letter = true;
		} else if (!is_mark(cp) && cp != ' ' && cp != '.' &&
		           cp != '\'' && cp != '-') {
			return htd_error_at(
			    err, HTD_ERR_INVALID, file, line_no,
			    column_of(line, at + i),
			    "'%.*s' is not allowed in a name: letters, with "
			    "spaces, '.', ''' or '-' between them",
			    (int)k, s + i);
		}
		i += (size_t)k;
	}
	if (!letter)
		return htd_error_at(err, HTD_ERR_INVALID, file, line_no,
		                    column_of(line, at), "%s has no letter",
		                    what);
	return HTD_OK;
}

/* Parses one row (not the header): `line` of `len` bytes. */
static enum htd_err parse_row(const char *file, int line_no, const char *line,
                              size_t len, struct nicknames_csv *rows,
                              struct htd_error *err)
{
	size_t at[FIELDS + 1], flen[FIELDS + 1], n = 0, start = 0;
	const char *quote = memchr(line, '"', len);
	enum htd_err rc;

	if (quote)
		return htd_error_at(err, HTD_ERR_INVALID, file, line_no,
		                    column_of(line, (size_t)(quote - line)),
		                    "quoted fields are not supported");
	for (size_t i = 0; i <= len; i++) {
		if (i < len && line[i] != ',')
			continue;
		if (n == FIELDS)
			return htd_error_at(err, HTD_ERR_INVALID, file, line_no,
			                    column_of(line, start - 1),
			                    "more than %d fields: "
			                    "expected " NICKNAMES_CSV_HEADER,
			                    FIELDS);
		at[n] = start;
		flen[n++] = i - start;
		start = i + 1;
	}
	if (n != FIELDS)
		return htd_error_at(
		    err, HTD_ERR_INVALID, file, line_no, column_of(line, len),
		    "%zu field%s: expected %d, " NICKNAMES_CSV_HEADER, n,
		    n == 1 ? "" : "s", FIELDS);
	for (size_t f = 0; f < FIELDS; f++)
		if (flen[f] == 0)
			return htd_error_at(err, HTD_ERR_INVALID, file, line_no,
			                    column_of(line, at[f]),
			                    "%s is empty", field_names[f]);
	if (flen[1] != strlen(NICKNAMES_CSV_RELATIONSHIP) ||
	    memcmp(line + at[1], NICKNAMES_CSV_RELATIONSHIP, flen[1]) != 0)
		return htd_error_at(err, HTD_ERR_INVALID, file, line_no,
		                    column_of(line, at[1]),
		                    "unknown relationship '%.*s': the only one "
		                    "is " NICKNAMES_CSV_RELATIONSHIP,
		                    (int)flen[1], line + at[1]);
	for (size_t f = 0; f < FIELDS; f += 2) {
		rc = check_name(file, line_no, line, at[f], flen[f],
		                field_names[f], err);
		if (rc != HTD_OK)
			return rc;
	}

	char *formal = xstrndup(line + at[0], flen[0]);
	char *nickname = xstrndup(line + at[2], flen[2]);
	if (match_nicknames_related(NULL, formal, nickname)) {
		free(formal);
		free(nickname);
		return htd_error_at(err, HTD_ERR_INVALID, file, line_no,
		                    column_of(line, at[2]),
		                    "a name cannot be its own nickname");
	}
	if (rows->n == rows->cap) {
		rows->cap = rows->cap ? 2 * rows->cap : 64;
		rows->rows =
		    xrealloc(rows->rows, rows->cap * sizeof(*rows->rows));
	}
	rows->rows[rows->n++] =
	    (struct nicknames_csv_row){ formal, nickname, line_no };
	return HTD_OK;
}

enum htd_err nicknames_csv_parse(const char *file, const char *data, size_t len,
                                 struct nicknames_csv *out,
                                 struct htd_error *err)
{
	struct nicknames_csv rows = { NULL, 0, 0 };
	enum htd_err rc = HTD_OK;
	size_t pos = 0;
	int line_no = 1;
	bool header = false;

	htd_error_clear(err);
	if (!file)
		file = "(nicknames)";
	if (len > NICKNAMES_CSV_MAX)
		return htd_error_at(err, HTD_ERR_TOO_LARGE, file, 0, 0,
		                    "the file is larger than %zu bytes",
		                    NICKNAMES_CSV_MAX);
	if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
		pos = 3; /* a byte order mark, as spreadsheets write */

	while (pos < len && rc == HTD_OK) {
		const char *line = data + pos;
		const char *nl = memchr(line, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - line) : len - pos;
		size_t next = pos + n + (nl ? 1 : 0);

		if (n > 0 && line[n - 1] == '\r')
			n--;
		if (n > NICKNAMES_CSV_LINE_MAX) {
			rc = htd_error_at(err, HTD_ERR_TOO_LARGE, file, line_no,
			                  NICKNAMES_CSV_LINE_MAX + 1,
			                  "the line is longer than %d bytes",
			                  NICKNAMES_CSV_LINE_MAX);
			break;
		}
		rc = check_text(file, line_no, line, n, err);
		if (rc != HTD_OK)
			break;
		if (!header) {
			if (n != strlen(NICKNAMES_CSV_HEADER) ||
			    memcmp(line, NICKNAMES_CSV_HEADER, n) != 0)
				rc = htd_error_at(
				    err, HTD_ERR_INVALID, file, line_no, 1,
				    "the first line must be the header "
				    "'" NICKNAMES_CSV_HEADER "'");
			header = true;
		} else if (n > 0) {
			rc = parse_row(file, line_no, line, n, &rows, err);
		}
		pos = next;
		line_no++; /* at most NICKNAMES_CSV_MAX: no overflow */
	}
	if (rc == HTD_OK && !header)
		rc = htd_error_at(err, HTD_ERR_INVALID, file, 1, 1,
		                  "the file is empty: the header "
		                  "'" NICKNAMES_CSV_HEADER "' is missing");
	if (rc != HTD_OK) {
		nicknames_csv_free(&rows);
		return rc;
	}
	if (out->n + rows.n > out->cap) {
		out->cap = out->n + rows.n;
		out->rows = xrealloc(out->rows, out->cap * sizeof(*out->rows));
	}
	if (rows.n)
		memcpy(out->rows + out->n, rows.rows,
		       rows.n * sizeof(*rows.rows));
	out->n += rows.n;
	free(rows.rows);
	return HTD_OK;
}

enum htd_err nicknames_csv_load(const char *path, struct nicknames_csv *out,
                                struct htd_error *err)
{
	char *data;
	size_t len;
	enum htd_err rc;

	htd_error_clear(err);
	rc = file_read_all(path, NICKNAMES_CSV_MAX, &data, &len, err);
	if (rc != HTD_OK)
		return rc;
	rc = nicknames_csv_parse(path, data, len, out, err);
	free(data);
	return rc;
}

void nicknames_csv_free(struct nicknames_csv *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++) {
		free(c->rows[i].formal);
		free(c->rows[i].nickname);
	}
	free(c->rows);
	memset(c, 0, sizeof(*c));
}

struct match_nicknames *nicknames_csv_table(const struct nicknames_csv *c)
{
	size_t n = c ? c->n : 0;
	struct match_nickname_pair *pairs = xcalloc(n ? n : 1, sizeof(*pairs));
	struct match_nicknames *t;

	for (size_t i = 0; i < n; i++)
		pairs[i] = (struct match_nickname_pair){ c->rows[i].formal,
			                                 c->rows[i].nickname };
	t = match_nicknames_new(pairs, n);
	free(pairs);
	return t;
}

static int name_order(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* True for "nicknames*.csv". */
static bool is_nickname_file(const char *name)
{
	size_t n = strlen(name);
	return strncmp(name, "nicknames", 9) == 0 && n >= 13 &&
	       strcmp(name + n - 4, ".csv") == 0;
}

enum htd_err nicknames_csv_load_dir(const char *dir,
                                    struct match_nicknames **out,
                                    struct htd_error *err)
{
	char *names[NICKNAMES_CSV_FILES_MAX];
	size_t n = 0;
	struct nicknames_csv rows = { NULL, 0, 0 };
	enum htd_err rc = HTD_OK;
	struct dirent *de;
	DIR *d;

	*out = NULL;
	htd_error_clear(err);
	if (!dir)
		dir = NICKNAMES_DIR_DEFAULT;
	d = opendir(dir);
	if (!d)
		return htd_error_at(
		    err, errno == ENOENT ? HTD_ERR_NOT_FOUND : HTD_ERR_IO, dir,
		    0, 0, "cannot open the nicknames directory: %s",
		    strerror(errno));
	while ((de = readdir(d)) != NULL) {
		if (!is_nickname_file(de->d_name))
			continue;
		if (n == NICKNAMES_CSV_FILES_MAX) {
			rc = htd_error_at(err, HTD_ERR_TOO_LARGE, dir, 0, 0,
			                  "more than %d nicknames*.csv files",
			                  NICKNAMES_CSV_FILES_MAX);
			goto out;
		}
		names[n++] = xstrdup(de->d_name);
	}
	if (n == 0) {
		rc = htd_error_at(err, HTD_ERR_NOT_FOUND, dir, 0, 0,
		                  "no nicknames*.csv files");
		goto out;
	}
	qsort(names, n, sizeof(*names), name_order);
	for (size_t i = 0; i < n; i++) {
		char path[4096];
		if (!str_format(path, sizeof(path), "%s/%s", dir, names[i])) {
			rc = htd_error_at(err, HTD_ERR_TOO_LARGE, dir, 0, 0,
			                  "the path of %s is too long",
			                  names[i]);
			goto out;
		}
		rc = nicknames_csv_load(path, &rows, err);
		if (rc != HTD_OK)
			goto out;
	}
	*out = nicknames_csv_table(&rows);
out:
	nicknames_csv_free(&rows);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	closedir(d);
	return rc;
}
