/*
 * test_file.c - unit tests of util/file.c: a whole file read up to its cap,
 * and each refusal (missing, a directory, one byte over the cap) named.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/file.h"

static char dir[] = "/tmp/htd-test-file-XXXXXX";

static void setup(void)
{
	cr_assert_not_null(mkdtemp(dir));
}

static void teardown(void)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}

static void write_file(const char *path, const char *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	cr_assert_not_null(f);
	cr_assert_eq(fwrite(data, 1, len, f), len);
	cr_assert_eq(fclose(f), 0);
}

TestSuite(file, .init = setup, .fini = teardown);

Test(file, reads_whole_file_up_to_the_cap)
{
	char path[256], *data = (char *)1;
	size_t len = 99;
	struct htd_error e;
	snprintf(path, sizeof(path), "%s/a", dir);
	write_file(path, "abc\0def", 7);
	cr_assert_eq(file_read_all(path, 7, &data, &len, &e), HTD_OK);
	cr_assert_eq(len, 7);
	cr_assert_eq(memcmp(data, "abc\0def", 7), 0);
	cr_assert_eq(data[7], '\0', "NUL-terminated");
	free(data);
}

Test(file, empty_file)
{
	char path[256], *data;
	size_t len;
	struct htd_error e;
	snprintf(path, sizeof(path), "%s/empty", dir);
	write_file(path, "", 0);
	cr_assert_eq(file_read_all(path, 10, &data, &len, &e), HTD_OK);
	cr_assert_eq(len, 0);
	cr_assert_str_eq(data, "");
	free(data);
}

Test(file, one_byte_over_the_cap_is_refused)
{
	char path[256], *data = (char *)1;
	size_t len = 99;
	struct htd_error e;
	snprintf(path, sizeof(path), "%s/big", dir);
	write_file(path, "12345678", 8);
	cr_assert_eq(file_read_all(path, 7, &data, &len, &e),
	             HTD_ERR_TOO_LARGE);
	cr_assert_null(data);
	cr_assert_eq(len, 0);
	cr_assert_str_eq(e.file, path);
	cr_assert_not_null(strstr(e.message, "larger than 7 bytes"),
	                   "message: %s", e.message);
}

Test(file, missing_file_is_not_found)
{
	char path[256], *data;
	size_t len;
	struct htd_error e;
	snprintf(path, sizeof(path), "%s/none", dir);
	cr_assert_eq(file_read_all(path, 10, &data, &len, &e),
	             HTD_ERR_NOT_FOUND);
	cr_assert_null(data);
	cr_assert_not_null(strstr(e.message, "cannot open"));
}

Test(file, directory_is_not_a_regular_file)
{
	char *data;
	size_t len;
	struct htd_error e;
	cr_assert_eq(file_read_all(dir, 10, &data, &len, &e), HTD_ERR_IO);
	cr_assert_null(data);
	cr_assert_not_null(strstr(e.message, "not a regular file"));
}
