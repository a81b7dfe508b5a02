/*
 * test_error.c - unit tests of util/error.c: the X-macro table of codes, the
 * filling of struct htd_error and its formatting for humans.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "util/error.h"

Test(error, names_and_messages_follow_the_table)
{
	cr_assert_str_eq(htd_err_name(HTD_OK), "ok");
	cr_assert_str_eq(htd_err_message(HTD_OK), "success");
	cr_assert_str_eq(htd_err_name(HTD_ERR_INVALID), "invalid");
	cr_assert_str_eq(htd_err_name(HTD_ERR_NOT_FOUND), "not_found");
	cr_assert_str_eq(htd_err_name(HTD_ERR_CONFLICT), "conflict");
	cr_assert_str_eq(htd_err_name(HTD_ERR_TOO_LARGE), "too_large");
	cr_assert_str_eq(htd_err_name(HTD_ERR_FULL), "disk_full");
	cr_assert_str_eq(htd_err_name(HTD_ERR_READONLY), "read_only");
	cr_assert_str_eq(htd_err_name(HTD_ERR_SCHEMA_NEWER), "schema_newer");
	cr_assert_str_eq(htd_err_name(HTD_ERR_INTERNAL), "internal");
	cr_assert_str_eq(htd_err_message(HTD_ERR_NO_DATABASE),
	                 "no database: run 'htdispatch init'");
	cr_assert_str_eq(htd_err_message(HTD_ERR_BUSY),
	                 "the database is locked by another process");
	cr_assert_eq(HTD_OK, 0);
	cr_assert_eq((int)HTD_ERR_INTERNAL, (int)HTD_ERR__COUNT - 1);
}

Test(error, every_code_has_a_distinct_nonempty_name_and_message)
{
	for (int i = 0; i < HTD_ERR__COUNT; i++) {
		const char *name = htd_err_name((enum htd_err)i);
		const char *msg = htd_err_message((enum htd_err)i);
		cr_assert_not_null(name);
		cr_assert_not_null(msg);
		cr_assert_gt(strlen(name), 0, "code %d has no name", i);
		cr_assert_gt(strlen(msg), 0, "code %d has no message", i);
		cr_assert_str_neq(name, "unknown");
		/* Machine names are snake_case. */
		for (const char *p = name; *p; p++)
			cr_assert((*p >= 'a' && *p <= 'z') || *p == '_',
			          "name '%s' is not snake_case", name);
		for (int j = 0; j < i; j++)
			cr_assert_str_neq(name, htd_err_name((enum htd_err)j),
			                  "codes %d and %d share a name", i, j);
	}
}

Test(error, out_of_range_codes_are_named_unknown)
{
	cr_assert_str_eq(htd_err_name(HTD_ERR__COUNT), "unknown");
	cr_assert_str_eq(htd_err_name((enum htd_err) - 1), "unknown");
	cr_assert_str_eq(htd_err_name((enum htd_err)1000), "unknown");
	cr_assert_str_eq(htd_err_message(HTD_ERR__COUNT), "unknown error");
	cr_assert_str_eq(htd_err_message((enum htd_err) - 1), "unknown error");
}

Test(error, clear_resets_everything)
{
	struct htd_error e;
	memset(&e, 'x', sizeof(e));
	htd_error_clear(&e);
	cr_assert_eq(e.code, HTD_OK);
	cr_assert_str_eq(e.message, "");
	cr_assert_str_eq(e.field, "");
	cr_assert_str_eq(e.file, "");
	cr_assert_eq(e.line, 0);
	cr_assert_eq(e.column, 0);
	htd_error_clear(NULL); /* must not crash */
}

Test(error, set_returns_the_code_and_formats_the_message)
{
	struct htd_error e;
	enum htd_err rc = htd_error_set(&e, HTD_ERR_NOT_FOUND, "call %s (%d)",
	                                "HT-2026-000001", 7);
	cr_assert_eq(rc, HTD_ERR_NOT_FOUND);
	cr_assert_eq(e.code, HTD_ERR_NOT_FOUND);
	cr_assert_str_eq(e.message, "call HT-2026-000001 (7)");
	cr_assert_str_eq(e.field, "");
	cr_assert_str_eq(e.file, "");
	cr_assert_eq(e.line, 0);
}

Test(error, set_clears_what_an_earlier_error_left)
{
	struct htd_error e;
	htd_error_at(&e, HTD_ERR_PARSE, "a.toml", 3, 4, "first");
	htd_error_field(&e, HTD_ERR_USAGE, "--since", "second");
	cr_assert_str_eq(e.file, "");
	cr_assert_eq(e.line, 0);
	cr_assert_eq(e.column, 0);
	cr_assert_str_eq(e.field, "--since");
	htd_error_set(&e, HTD_ERR_IO, "third");
	cr_assert_str_eq(e.field, "");
	cr_assert_str_eq(e.message, "third");
	cr_assert_eq(e.code, HTD_ERR_IO);
}

Test(error, null_error_still_returns_the_code)
{
	cr_assert_eq(htd_error_set(NULL, HTD_ERR_IO, "x"), HTD_ERR_IO);
	cr_assert_eq(htd_error_field(NULL, HTD_ERR_USAGE, "f", "x"),
	             HTD_ERR_USAGE);
	cr_assert_eq(htd_error_at(NULL, HTD_ERR_PARSE, "f", 1, 2, "x"),
	             HTD_ERR_PARSE);
}

Test(error, field_names_the_field)
{
	struct htd_error e;
	enum htd_err rc = htd_error_field(&e, HTD_ERR_INVALID, "language",
	                                  "bad tag '%s'", "e");
	cr_assert_eq(rc, HTD_ERR_INVALID);
	cr_assert_str_eq(e.field, "language");
	cr_assert_str_eq(e.message, "bad tag 'e'");

	htd_error_field(&e, HTD_ERR_INVALID, NULL, "no field");
	cr_assert_str_eq(e.field, "");
}

Test(error, long_field_is_truncated)
{
	char field[200];
	memset(field, 'f', sizeof(field) - 1);
	field[sizeof(field) - 1] = '\0';
	struct htd_error e;
	htd_error_field(&e, HTD_ERR_INVALID, field, "m");
	cr_assert_eq(strlen(e.field), HTD_ERROR_FIELD_MAX - 1);
	cr_assert_eq(strncmp(e.field, field, HTD_ERROR_FIELD_MAX - 1), 0);
}

Test(error, at_records_file_line_and_column)
{
	struct htd_error e;
	htd_error_at(&e, HTD_ERR_PARSE, "protocol.toml", 12, 5, "expected '%c'",
	             '=');
	cr_assert_eq(e.code, HTD_ERR_PARSE);
	cr_assert_str_eq(e.file, "protocol.toml");
	cr_assert_eq(e.line, 12);
	cr_assert_eq(e.column, 5);
	cr_assert_str_eq(e.message, "expected '='");
}

Test(error, long_message_is_truncated_and_terminated)
{
	char big[2000];
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	struct htd_error e;
	htd_error_set(&e, HTD_ERR_INVALID, "%s", big);
	cr_assert_eq(strlen(e.message), HTD_ERROR_MESSAGE_MAX - 1);
	cr_assert_eq(e.message[0], 'a');
	cr_assert_eq(e.message[HTD_ERROR_MESSAGE_MAX - 2], 'a');
	/* The neighbouring members are intact. */
	cr_assert_str_eq(e.field, "");
	cr_assert_eq(e.code, HTD_ERR_INVALID);
}

Test(error, long_file_name_is_truncated)
{
	char file[600];
	memset(file, 'p', sizeof(file) - 1);
	file[sizeof(file) - 1] = '\0';
	struct htd_error e;
	htd_error_at(&e, HTD_ERR_PARSE, file, 1, 1, "m");
	cr_assert_eq(strlen(e.file), HTD_ERROR_FILE_MAX - 1);
	cr_assert_eq(e.line, 1);
}

Test(error, format_without_file_is_the_message)
{
	struct htd_error e;
	char out[256];
	htd_error_set(&e, HTD_ERR_INVALID, "bad value");
	cr_assert_str_eq(htd_error_format(&e, out, sizeof(out)), "bad value");
	/* A field is not part of the text. */
	htd_error_field(&e, HTD_ERR_INVALID, "x", "bad x");
	cr_assert_str_eq(htd_error_format(&e, out, sizeof(out)), "bad x");
}

Test(error, format_with_file_line_and_column)
{
	struct htd_error e;
	char out[256];
	htd_error_at(&e, HTD_ERR_PARSE, "p.toml", 3, 9, "oops");
	cr_assert_str_eq(htd_error_format(&e, out, sizeof(out)),
	                 "p.toml:3:9: oops");
	htd_error_at(&e, HTD_ERR_PARSE, "p.toml", 3, 0, "oops");
	cr_assert_str_eq(htd_error_format(&e, out, sizeof(out)),
	                 "p.toml:3: oops");
	htd_error_at(&e, HTD_ERR_PARSE, "p.toml", 0, 0, "oops");
	cr_assert_str_eq(htd_error_format(&e, out, sizeof(out)),
	                 "p.toml: oops");
	/* A column without a line is not shown. */
	htd_error_at(&e, HTD_ERR_PARSE, "p.toml", 0, 4, "oops");
	cr_assert_str_eq(htd_error_format(&e, out, sizeof(out)),
	                 "p.toml: oops");
	htd_error_at(&e, HTD_ERR_PARSE, NULL, 3, 9, "oops");
	cr_assert_str_eq(htd_error_format(&e, out, sizeof(out)), "oops");
}

Test(error, format_falls_back_to_the_default_message)
{
	struct htd_error e;
	char out[256];
	htd_error_clear(&e);
	e.code = HTD_ERR_NOT_FOUND;
	cr_assert_str_eq(htd_error_format(&e, out, sizeof(out)), "not found");
	htd_error_clear(&e);
	cr_assert_str_eq(htd_error_format(&e, out, sizeof(out)), "success");
}

Test(error, format_truncates_to_the_output_size)
{
	struct htd_error e;
	char out[16];
	memset(out, 'z', sizeof(out));
	htd_error_at(&e, HTD_ERR_PARSE, "protocol.toml", 123, 45,
	             "a long message that does not fit");
	const char *r = htd_error_format(&e, out, 10);
	cr_assert_eq(r, out);
	cr_assert_str_eq(out, "protocol.");
	cr_assert_eq(out[10], 'z', "wrote past the given size");

	htd_error_set(&e, HTD_ERR_INVALID, "0123456789");
	htd_error_format(&e, out, 5);
	cr_assert_str_eq(out, "0123");
}

Test(error, format_handles_null_and_zero_size)
{
	char out[8] = "keep";
	cr_assert_eq(htd_error_format(NULL, out, sizeof(out)), out);
	cr_assert_str_eq(out, "");
	memcpy(out, "keep", 5);
	struct htd_error e;
	htd_error_set(&e, HTD_ERR_IO, "x");
	htd_error_format(&e, out, 0);
	cr_assert_str_eq(out, "keep");
	cr_assert_null(htd_error_format(&e, NULL, 10));
}
