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

/* Migration 9 undone: records and record_links with the kind CHECKs as
 * `IN` lists, their rows kept (foreign keys are off on a raw connection). */
#define TU_SCHEMA_V8_SQL                                                      \
	"CREATE TABLE records_8 (\n"                                          \
	"  id INTEGER PRIMARY KEY,\n"                                         \
	"  kind TEXT NOT NULL CHECK (kind IN ('person', 'location', "         \
	"'phone',\n"                                                          \
	"    'vehicle', 'business')),\n"                                      \
	"  source TEXT NOT NULL,\n"                                           \
	"  source_id TEXT NOT NULL,\n"                                        \
	"  fields TEXT NOT NULL,\n"                                           \
	"  keys TEXT NOT NULL DEFAULT '',\n"                                  \
	"  sealed INTEGER NOT NULL DEFAULT 0 CHECK (sealed IN (0, 1)),\n"     \
	"  created_at_ms INTEGER NOT NULL,\n"                                 \
	"  updated_at_ms INTEGER NOT NULL,\n"                                 \
	"  version INTEGER NOT NULL DEFAULT 1 CHECK (version > 0),\n"         \
	"  UNIQUE (kind, source, source_id)\n"                                \
	");\n"                                                                \
	"INSERT INTO records_8 (id, kind, source, source_id, fields, keys,\n" \
	"  sealed, created_at_ms, updated_at_ms, version)\n"                  \
	"  SELECT id, kind, source, source_id, fields, keys, sealed,\n"       \
	"  created_at_ms, updated_at_ms, version FROM records;\n"             \
	"DROP TABLE records;\n"                                               \
	"ALTER TABLE records_8 RENAME TO records;\n"                          \
	"CREATE TABLE record_links_8 (\n"                                     \
	"  id INTEGER PRIMARY KEY,\n"                                         \
	"  record_id INTEGER NOT NULL REFERENCES records (id),\n"             \
	"  type TEXT NOT NULL,\n"                                             \
	"  target_kind TEXT CHECK (target_kind IN ('person', 'location',\n"   \
	"    'phone', 'vehicle', 'business')),\n"                             \
	"  target_source TEXT,\n"                                             \
	"  target_source_id TEXT,\n"                                          \
	"  call_id INTEGER REFERENCES calls (id),\n"                          \
	"  created_at_ms INTEGER NOT NULL,\n"                                 \
	"  actor TEXT NOT NULL,\n"                                            \
	"  CHECK ((call_id IS NULL) = (target_kind IS NOT NULL AND\n"         \
	"    target_source IS NOT NULL AND target_source_id IS NOT NULL)),\n" \
	"  CHECK (call_id IS NULL OR (target_kind IS NULL AND\n"              \
	"    target_source IS NULL AND target_source_id IS NULL))\n"          \
	");\n"                                                                \
	"INSERT INTO record_links_8 SELECT id, record_id, type, "             \
	"target_kind,\n"                                                      \
	"  target_source, target_source_id, call_id, created_at_ms, actor\n"  \
	"  FROM record_links;\n"                                              \
	"DROP TABLE record_links;\n"                                          \
	"ALTER TABLE record_links_8 RENAME TO record_links;\n"                \
	"CREATE UNIQUE INDEX record_links_unique ON record_links\n"           \
	"  (record_id, type, ifnull(call_id, 0), ifnull(target_kind, ''),\n"  \
	"   ifnull(target_source, ''), ifnull(target_source_id, ''));\n"      \
	"CREATE INDEX record_links_by_target ON record_links\n"               \
	"  (target_kind, target_source, target_source_id)\n"                  \
	"  WHERE call_id IS NULL;\n"                                          \
	"CREATE INDEX record_links_by_call ON record_links (call_id)\n"       \
	"  WHERE call_id IS NOT NULL;\n"                                      \
	"DELETE FROM schema_migrations WHERE version > 8;\n"                  \
	"PRAGMA user_version = 8;\n"

const char tu_schema_v8_sql[] = TU_SCHEMA_V8_SQL;

const char tu_schema_v6_sql[] = TU_SCHEMA_V8_SQL
    /* migration 7: the outbox without 'cancelled' */
    "DROP TRIGGER outbox_no_delete;\n"
    "DROP TABLE outbox;\n"
    "CREATE TABLE outbox (\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  call_ref TEXT NOT NULL,\n"
    "  kind TEXT NOT NULL,\n"
    "  action TEXT NOT NULL,\n"
    "  target TEXT NOT NULL,\n"
    "  transport TEXT NOT NULL,\n"
    "  idempotency_key TEXT NOT NULL UNIQUE,\n"
    "  content_type TEXT NOT NULL,\n"
    "  subject TEXT NOT NULL,\n"
    "  body TEXT NOT NULL,\n"
    "  state TEXT NOT NULL CHECK (state IN ('pending', 'delivered',\n"
    "    'failed', 'task_open', 'task_confirmed')),\n"
    "  attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),\n"
    "  next_attempt_ms INTEGER NOT NULL,\n"
    "  last_status INTEGER NOT NULL DEFAULT 0,\n"
    "  last_error TEXT NOT NULL DEFAULT '',\n"
    "  created_at_ms INTEGER NOT NULL,\n"
    "  updated_at_ms INTEGER NOT NULL,\n"
    "  delivered_at_ms INTEGER NOT NULL DEFAULT 0\n"
    ");\n"
    "CREATE INDEX outbox_due ON outbox (state, next_attempt_ms);\n"
    "CREATE INDEX outbox_by_call ON outbox (call_ref, id);\n"
    "CREATE TRIGGER outbox_no_delete BEFORE DELETE ON outbox\n"
    "BEGIN SELECT RAISE(ABORT, 'outbox rows are kept'); END;\n"
    /* migration 8: record_links by record id */
    "DROP TABLE record_links;\n"
    "CREATE TABLE record_links (\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  record_id INTEGER NOT NULL REFERENCES records (id),\n"
    "  other_record_id INTEGER REFERENCES records (id),\n"
    "  call_id INTEGER REFERENCES calls (id),\n"
    "  type TEXT NOT NULL,\n"
    "  created_at_ms INTEGER NOT NULL,\n"
    "  actor TEXT NOT NULL,\n"
    "  CHECK ((other_record_id IS NULL) <> (call_id IS NULL))\n"
    ");\n"
    "CREATE UNIQUE INDEX record_links_unique ON record_links\n"
    "  (record_id, type, ifnull(other_record_id, 0), ifnull(call_id, 0));\n"
    "CREATE INDEX record_links_by_other ON record_links (other_record_id)\n"
    "  WHERE other_record_id IS NOT NULL;\n"
    "CREATE INDEX record_links_by_call ON record_links (call_id)\n"
    "  WHERE call_id IS NOT NULL;\n"
    "DELETE FROM schema_migrations WHERE version > 6;\n"
    "PRAGMA user_version = 6;\n";
