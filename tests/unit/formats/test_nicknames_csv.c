/*
 * test_nicknames_csv.c - unit tests of formats/nicknames_csv.c: the shipped
 * files in data/linkage load and connect the names issue 7 needs; every
 * kind of bad file, written to a temporary directory, fails at the right
 * file:line:column with its reason and loads nothing.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "formats/nicknames_csv.h"
#include "testutil.h"
#include "util/str.h"

/* ---- helpers ----------------------------------------------------------- */

static char dir[512];

static void setup(void)
{
	str_copy(dir, sizeof(dir), tu_tmpdir());
}

static void teardown(void)
{
	tu_rmtree(dir);
}

TestSuite(nicknames_csv, .init = setup, .fini = teardown);

static void shipped(char *out, size_t size, const char *rel)
{
	const char *root = getenv("HTD_SOURCE_ROOT");
	cr_assert_not_null(root, "HTD_SOURCE_ROOT is not set");
	cr_assert(str_format(out, size, "%s/%s", root, rel));
}

/* Writes `text` (len bytes) to dir/name; returns the path (static). */
static const char *write_file(const char *name, const char *text, size_t len)
{
	static char path[1024];
	tu_path(path, sizeof(path), dir, name);
	tu_write_file(path, text, len);
	return path;
}

/* Counts the lines of a file, less the header. */
static size_t data_lines(const char *path)
{
	FILE *f = fopen(path, "rb");
	size_t n = 0;
	int c, last = '\n';
	cr_assert_not_null(f, "%s", path);
	while ((c = fgetc(f)) != EOF) {
		n += c == '\n';
		last = c;
	}
	fclose(f);
	return n + (last != '\n') - 1;
}

/*
 * Loads `text` as a file and checks that it fails with `code` at
 * line:column with `needle` in the message, naming the file, and that
 * rows already held are untouched.
 */
static void check_bad(const char *text, size_t len, enum htd_err code, int line,
                      int column, const char *needle)
{
	struct nicknames_csv rows = { NULL, 0, 0 };
	struct htd_error err;
	const char *path = write_file("nicknames-bad.csv", text, len);
	static const char good[] = "name1,relationship,name2\n"
	                           "guadalupe,has_nickname,lupe\n";

	cr_assert_eq(
	    nicknames_csv_parse("earlier.csv", good, strlen(good), &rows, NULL),
	    HTD_OK);
	cr_assert_eq(rows.n, 1);
	cr_assert_eq(nicknames_csv_load(path, &rows, &err), code,
	             "%s: got %s: %s:%d:%d: %s", needle, htd_err_name(err.code),
	             err.file, err.line, err.column, err.message);
	cr_assert_eq(err.code, code);
	cr_assert_str_eq(err.file, path);
	cr_assert_eq(err.line, line, "%s: line %d, want %d", err.message,
	             err.line, line);
	cr_assert_eq(err.column, column, "%s: column %d, want %d", err.message,
	             err.column, column);
	cr_assert(strstr(err.message, needle), "'%s' lacks '%s'", err.message,
	          needle);
	/* Nothing of the bad file was loaded. */
	cr_assert_eq(rows.n, 1);
	cr_assert_str_eq(rows.rows[0].nickname, "lupe");
	nicknames_csv_free(&rows);
}

#define BAD(text, code, line, column, needle) \
	check_bad(text, sizeof(text) - 1, HTD_ERR_##code, line, column, needle)

#define HEADER "name1,relationship,name2\n"

/* ---- the shipped files ------------------------------------------------- */

Test(nicknames_csv, shipped_files_load)
{
	static const char *const files[] = {
		"data/linkage/nicknames.csv",
		"data/linkage/nicknames-es.csv",
	};
	for (size_t i = 0; i < 2; i++) {
		char path[1024];
		struct nicknames_csv rows = { NULL, 0, 0 };
		struct htd_error err;
		shipped(path, sizeof(path), files[i]);
		cr_assert_eq(nicknames_csv_load(path, &rows, &err), HTD_OK,
		             "%s:%d:%d: %s", err.file, err.line, err.column,
		             err.message);
		cr_assert_eq(rows.n, data_lines(path), "%s", files[i]);
		cr_assert_gt(rows.n, 50);
		cr_assert_eq(rows.rows[0].line, 2);
		nicknames_csv_free(&rows);
	}
}

Test(nicknames_csv, shipped_directory_connects_names)
{
	char path[1024];
	struct match_nicknames *t;
	struct htd_error err;
	const char *f[16];

	shipped(path, sizeof(path), NICKNAMES_DIR_DEFAULT);
	cr_assert_eq(nicknames_csv_load_dir(path, &t, &err), HTD_OK,
	             "%s:%d:%d: %s", err.file, err.line, err.column,
	             err.message);
	cr_assert_gt(match_nicknames_count(t), 2700);
	/* Issue 7, and the Spanish names the English list lacks. */
	cr_assert_eq(match_nicknames_formal(t, "Lupe", f, 16), 1);
	cr_assert_str_eq(f[0], "guadalupe");
	cr_assert(match_nicknames_related(t, "chuy", "Jesús"));
	cr_assert(match_nicknames_related(t, "pepe", "José"));
	cr_assert(match_nicknames_related(t, "paco", "pancho"));
	cr_assert(match_nicknames_related(t, "Toño", "antonio"));
	cr_assert(match_nicknames_related(t, "chema", "jose maria"));
	/* The English list. */
	cr_assert(match_nicknames_related(t, "bill", "William"));
	cr_assert(match_nicknames_related(t, "peggy", "margaret"));
	cr_assert_geq(match_nicknames_formal(t, "beto", f, 16), 3);

	struct match_name n;
	cr_assert(match_name_parse("Lupe Hernandes", t, &n));
	struct match_person p = { &n, NULL, NULL };
	struct match_keys k;
	match_person_keys(&p, t, &k);
	bool found = false;
	for (size_t i = 0; i < k.n; i++)
		found |= strcmp(k.key[i], "gi:guadalupe:h") == 0;
	cr_assert(found);
	match_nicknames_free(t);
}

/* ---- good variants ----------------------------------------------------- */

Test(nicknames_csv, accepted_variants)
{
	/* A byte order mark, CRLF, blank lines, no final line end. */
	static const char text[] = "\xEF\xBB\xBF"
	                           "name1,relationship,name2\r\n"
	                           "\r\n"
	                           "guadalupe,has_nickname,lupe\r\n"
	                           "\n"
	                           "josé maría,has_nickname,chema\n"
	                           "mary-ann,has_nickname,m.a.\n"
	                           "o'neil,has_nickname,neil\n"
	                           "antonio,has_nickname,toño";
	struct nicknames_csv rows = { NULL, 0, 0 };
	struct htd_error err;
	cr_assert_eq(
	    nicknames_csv_parse("x.csv", text, sizeof(text) - 1, &rows, &err),
	    HTD_OK, "%d:%d: %s", err.line, err.column, err.message);
	cr_assert_eq(rows.n, 5);
	cr_assert_str_eq(rows.rows[0].formal, "guadalupe");
	cr_assert_eq(rows.rows[0].line, 3);
	cr_assert_str_eq(rows.rows[1].formal, "josé maría");
	cr_assert_str_eq(rows.rows[4].nickname, "toño");
	cr_assert_eq(rows.rows[4].line, 8);

	struct match_nicknames *t = nicknames_csv_table(&rows);
	const char *f[2];
	cr_assert_eq(match_nicknames_formal(t, "TOÑO", f, 2), 1);
	cr_assert_str_eq(f[0], "antonio");
	match_nicknames_free(t);
	nicknames_csv_free(&rows);
	nicknames_csv_free(NULL);

	/* A header alone is an empty, valid file. */
	cr_assert_eq(
	    nicknames_csv_parse("x.csv", HEADER, strlen(HEADER), &rows, &err),
	    HTD_OK);
	cr_assert_eq(rows.n, 0);
	t = nicknames_csv_table(&rows);
	cr_assert_eq(match_nicknames_count(t), 0);
	match_nicknames_free(t);
}

/* ---- bad files --------------------------------------------------------- */

Test(nicknames_csv, bad_header)
{
	BAD("", INVALID, 1, 1, "header");
	BAD("\xEF\xBB\xBF", INVALID, 1, 1, "header");
	BAD("name,relationship,nickname\n", INVALID, 1, 1, "header");
	BAD("guadalupe,has_nickname,lupe\n", INVALID, 1, 1, "header");
	BAD("\n" HEADER, INVALID, 1, 1, "header");
	BAD("NAME1,RELATIONSHIP,NAME2\n", INVALID, 1, 1, "header");
}

Test(nicknames_csv, wrong_column_count)
{
	BAD(HEADER "guadalupe,has_nickname\n", INVALID, 2, 23,
	    "2 fields: expected 3");
	BAD(HEADER "a,b\nguadalupe\n", INVALID, 2, 4, "2 fields");
	BAD(HEADER "guadalupe\n", INVALID, 2, 10, "1 field:");
	BAD(HEADER "guadalupe,has_nickname,lupe,x\n", INVALID, 2, 28,
	    "more than 3 fields");
	BAD(HEADER "guadalupe,has_nickname,lupe,\n", INVALID, 2, 28,
	    "more than 3 fields");
}

Test(nicknames_csv, empty_fields)
{
	BAD(HEADER ",has_nickname,lupe\n", INVALID, 2, 1, "name1 is empty");
	BAD(HEADER "guadalupe,,lupe\n", INVALID, 2, 11,
	    "relationship is empty");
	BAD(HEADER "guadalupe,has_nickname,\n", INVALID, 2, 24,
	    "name2 is empty");
	BAD(HEADER ",,\n", INVALID, 2, 1, "name1 is empty");
}

Test(nicknames_csv, unknown_relationship)
{
	BAD(HEADER "guadalupe,has_nickname,lupe\n"
	           "guadalupe,nickname_of,lupe\n",
	    INVALID, 3, 11, "unknown relationship 'nickname_of'");
	BAD(HEADER "guadalupe,Has_Nickname,lupe\n", INVALID, 2, 11,
	    "unknown relationship");
	BAD(HEADER "guadalupe, has_nickname,lupe\n", INVALID, 2, 11,
	    "unknown relationship");
}

Test(nicknames_csv, bad_names)
{
	BAD(HEADER "\"guadalupe\",has_nickname,lupe\n", INVALID, 2, 1,
	    "quoted fields");
	BAD(HEADER "guadalupe,has_nickname, lupe\n", INVALID, 2, 24,
	    "space before or after");
	BAD(HEADER "guadalupe ,has_nickname,lupe\n", INVALID, 2, 10,
	    "space before or after");
	BAD(HEADER "guadalupe,has_nickname,lupe2\n", INVALID, 2, 28,
	    "'2' is not allowed");
	BAD(HEADER "josé,has_nickname,pe;pe\n", INVALID, 2, 21,
	    "';' is not allowed");
	BAD(HEADER "guadalupe,has_nickname,...\n", INVALID, 2, 24,
	    "name2 has no letter");
	BAD(HEADER "Lupe,has_nickname,lupe\n", INVALID, 2, 19,
	    "its own nickname");
	BAD(HEADER "José,has_nickname,jose\n", INVALID, 2, 19,
	    "its own nickname");
	BAD(HEADER "guadalupe,has_nickname,"
	           "lupelupelupelupelupelupelupelupelupelupelupelupelupelupe"
	           "lupelupelupe\n",
	    INVALID, 2, 24, "longer than 64 bytes");
}

Test(nicknames_csv, bad_text)
{
	BAD(HEADER "guadalupe,has_nickname,lup\xC3\n", PARSE, 2, 27,
	    "invalid UTF-8");
	BAD(HEADER "jos\xE9,has_nickname,pepe\n", PARSE, 2, 4, "invalid UTF-8");
	BAD("name1,relationship,name2\xFF\n", PARSE, 1, 25, "invalid UTF-8");
	BAD(HEADER "guada\0lupe,has_nickname,lupe\n", PARSE, 2, 6, "NUL");
	BAD(HEADER "guadalupe,has_nickname,lu\tpe\n", PARSE, 2, 26,
	    "control character");
	BAD(HEADER "guadalupe,has_nickname,lupe\rx\n", PARSE, 2, 28,
	    "control character");
	BAD(HEADER "guadalupe,has_nickname,lupe\xC2\x85\n", PARSE, 2, 28,
	    "control character");
}

Test(nicknames_csv, long_lines_and_files)
{
	char line[NICKNAMES_CSV_LINE_MAX + 64];
	size_t n = (size_t)snprintf(line, sizeof(line), HEADER "a,b,");
	while (n < strlen(HEADER) + NICKNAMES_CSV_LINE_MAX + 1)
		line[n++] = 'x';
	line[n++] = '\n';
	check_bad(line, n, HTD_ERR_TOO_LARGE, 2, NICKNAMES_CSV_LINE_MAX + 1,
	          "longer than 256 bytes");

	/* Exactly at the cap, with CRLF: the length is checked first. */
	n = strlen(HEADER) + NICKNAMES_CSV_LINE_MAX;
	line[n++] = '\r';
	line[n++] = '\n';
	struct nicknames_csv rows = { NULL, 0, 0 };
	struct htd_error err;
	cr_assert_eq(nicknames_csv_parse("x.csv", line, n, &rows, &err),
	             HTD_ERR_INVALID);
	cr_assert_eq(err.line, 2);
	cr_assert(strstr(err.message, "relationship"), "%s", err.message);

	size_t big = NICKNAMES_CSV_MAX + 1;
	char *text = malloc(big);
	cr_assert_not_null(text);
	memset(text, '\n', big);
	memcpy(text, HEADER, strlen(HEADER));
	const char *path = write_file("nicknames-big.csv", text, big);
	cr_assert_eq(nicknames_csv_load(path, &rows, &err), HTD_ERR_TOO_LARGE);
	cr_assert_str_eq(err.file, path);
	cr_assert_eq(nicknames_csv_parse("x.csv", text, big, &rows, &err),
	             HTD_ERR_TOO_LARGE);
	cr_assert_eq(rows.n, 0);
	free(text);
}

/* ---- files and directories --------------------------------------------- */

Test(nicknames_csv, missing_files)
{
	struct nicknames_csv rows = { NULL, 0, 0 };
	struct match_nicknames *t = (struct match_nicknames *)&rows;
	struct htd_error err;
	char path[1024];

	tu_path(path, sizeof(path), dir, "absent.csv");
	cr_assert_eq(nicknames_csv_load(path, &rows, &err), HTD_ERR_NOT_FOUND);
	cr_assert_str_eq(err.file, path);
	cr_assert_eq(nicknames_csv_load(dir, &rows, &err), HTD_ERR_IO);

	/* A directory with no nickname files, and one that is absent. */
	write_file("names.csv", HEADER, strlen(HEADER));
	cr_assert_eq(nicknames_csv_load_dir(dir, &t, &err), HTD_ERR_NOT_FOUND);
	cr_assert_null(t);
	cr_assert(strstr(err.message, "no nicknames"));
	cr_assert_eq(nicknames_csv_load_dir(path, &t, &err), HTD_ERR_NOT_FOUND);
	cr_assert_null(t);
}

Test(nicknames_csv, directory_loads_in_order_and_stops_at_an_error)
{
	struct match_nicknames *t;
	struct htd_error err;
	const char *f[4];

	write_file("nicknames.csv", HEADER "guadalupe,has_nickname,lupe\n",
	           strlen(HEADER) + 28);
	write_file("nicknames-local.csv", HEADER "jesús,has_nickname,chuy\n",
	           strlen(HEADER) + strlen("jesús,has_nickname,chuy\n"));
	write_file("README.md", "not a csv", 9);
	cr_assert_eq(nicknames_csv_load_dir(dir, &t, &err), HTD_OK, "%s",
	             err.message);
	cr_assert_eq(match_nicknames_count(t), 2);
	cr_assert_eq(match_nicknames_formal(t, "chuy", f, 4), 1);
	cr_assert_str_eq(f[0], "jesus");
	match_nicknames_free(t);

	const char *bad =
	    write_file("nicknames-zz.csv",
	               HEADER "guadalupe,has_nickname,lupe\n"
	                      "jesús,is,chuy\n",
	               strlen(HEADER) + 28 + strlen("jesús,is,chuy\n"));
	cr_assert_eq(nicknames_csv_load_dir(dir, &t, &err), HTD_ERR_INVALID);
	cr_assert_null(t);
	cr_assert_str_eq(err.file, bad);
	cr_assert_eq(err.line, 3);
	cr_assert_eq(err.column, 7);
	char msg[1024];
	htd_error_format(&err, msg, sizeof(msg));
	cr_assert(strstr(msg, "nicknames-zz.csv:3:7: unknown relationship"),
	          "%s", msg);
}
