/*
 * fuzz_nicknames_csv.c - fuzzes the nickname file loader
 * (formats/nicknames_csv.c), which reads files an agency may add to
 * data/linkage: CSV bytes in, rows or an error out.
 *
 * The input is the file's content, parsed as "nicknames.csv" after one
 * good file has been read. Properties: never a crash or leak; a rejection
 * names the file and a line and column >= 1 and leaves the rows of the
 * earlier file exactly as they were; accepted rows are non-empty UTF-8
 * names within the caps, on increasing lines after the header, and the
 * table built from them relates every nickname to its formal name.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/nicknames_csv.h"
#include "fuzz/fuzz.h"
#include "util/str.h"

static void fail(const char *what, const struct htd_error *e)
{
	fuzz_fail_error("nicknames_csv", what, e);
}

static bool name_ok(const char *s)
{
	size_t n = strlen(s);
	return n > 0 && n <= NICKNAMES_CSV_NAME_MAX && str_utf8_valid(s, n) &&
	       !strpbrk(s, ",\"\r\n") && s[0] != ' ' && s[n - 1] != ' ';
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char earlier[] = NICKNAMES_CSV_HEADER "\n"
	                                                   "guadalupe,"
	                                                   "has_nickname,"
	                                                   "lupe\n";
	struct nicknames_csv rows = { NULL, 0, 0 };
	struct htd_error err;
	enum htd_err rc;

	if (size > FUZZ_INPUT_MAX)
		return 0;
	if (nicknames_csv_parse("earlier.csv", earlier, strlen(earlier), &rows,
	                        &err) != HTD_OK ||
	    rows.n != 1)
		fail("the earlier file does not load", &err);
	rc = nicknames_csv_parse("nicknames.csv", (const char *)data, size,
	                         &rows, &err);
	if (rc != HTD_OK) {
		if (err.code != rc)
			fail("the error's code is not the one returned", &err);
		if (!str_eq(err.file, "nicknames.csv"))
			fail("an error without the file name", &err);
		if (err.line < 1 || err.column < 1)
			fail("an error without line and column", &err);
		if (rows.n != 1 || !str_eq(rows.rows[0].nickname, "lupe"))
			fail("a rejected file changed the rows", &err);
		nicknames_csv_free(&rows);
		return 0;
	}
	for (size_t i = 1; i < rows.n; i++) {
		const struct nicknames_csv_row *r = &rows.rows[i];
		if (!name_ok(r->formal) || !name_ok(r->nickname))
			fail("an accepted name is empty, too long or not text",
			     NULL);
		if (r->line < 2 || (i > 1 && r->line <= rows.rows[i - 1].line))
			fail(
			    "rows are not on increasing lines after the header",
			    NULL);
	}
	struct match_nicknames *t = nicknames_csv_table(&rows);
	if (match_nicknames_count(t) > rows.n)
		fail("the table has more pairs than rows", NULL);
	for (size_t i = 0; i < rows.n; i++)
		if (match_nicknames_known(t, rows.rows[i].nickname) &&
		    !match_nicknames_related(t, rows.rows[i].formal,
		                             rows.rows[i].nickname))
			fail("a nickname is not related to its formal name",
			     NULL);
	match_nicknames_free(t);
	nicknames_csv_free(&rows);
	return 0;
}
