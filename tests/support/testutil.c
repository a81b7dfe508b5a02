/*
 * testutil.c - see testutil.h.
 */
#include "testutil.h"

#include <criterion/criterion.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/clock.h"
#include "util/str.h"

const char *tu_tmpdir(void)
{
	static char path[512];
	const char *base = getenv("TMPDIR");
	str_format(path, sizeof(path), "%s/htd-test-XXXXXX",
	           base && base[0] ? base : "/tmp");
	cr_assert_not_null(mkdtemp(path), "mkdtemp failed");
	return path;
}

static int rm_one(const char *p, const struct stat *sb, int flag,
                  struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(p);
}

void tu_rmtree(const char *path)
{
	nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

char *tu_path(char *buf, size_t size, const char *dir, const char *name)
{
	cr_assert(str_format(buf, size, "%s/%s", dir, name));
	return buf;
}

uint64_t tu_file_hash(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return 0;
	uint64_t h = 1469598103934665603ULL;
	int c;
	while ((c = fgetc(f)) != EOF) {
		h ^= (uint64_t)(unsigned char)c;
		h *= 1099511628211ULL;
	}
	fclose(f);
	return h;
}

bool tu_exists(const char *path)
{
	struct stat sb;
	return stat(path, &sb) == 0;
}

void tu_write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	cr_assert_not_null(f);
	cr_assert_eq(fwrite(data, 1, len, f), len);
	cr_assert_eq(fclose(f), 0);
}

int64_t tu_local_ms(const char *text)
{
	int64_t ms = 0;
	cr_assert_eq(time_parse(text, "test", &ms, NULL), HTD_OK, "bad time %s",
	             text);
	return ms;
}
