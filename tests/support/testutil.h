/*
 * testutil.h - helpers shared by the tests: temporary directories, file
 * hashes to prove a file was left untouched, and building calls through
 * the service layer on a fixed clock.
 */
#ifndef HTD_TESTS_TESTUTIL_H
#define HTD_TESTS_TESTUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Creates a fresh directory under $TMPDIR (or /tmp); returns a static path
 * valid until the next call. Aborts the test on failure. */
const char *tu_tmpdir(void);

/* Removes a directory tree (best effort). */
void tu_rmtree(const char *path);

/* Joins dir and name into buf; returns buf. */
char *tu_path(char *buf, size_t size, const char *dir, const char *name);

/* Returns a 64-bit FNV-1a hash of a file's bytes, or 0 when unreadable. */
uint64_t tu_file_hash(const char *path);

/* Returns true when `path` exists. */
bool tu_exists(const char *path);

/* Writes `len` bytes to a new file. */
void tu_write_file(const char *path, const void *data, size_t len);

/* Milliseconds for a local time given as YYYY-MM-DDTHH:MM:SS (TZ applies). */
int64_t tu_local_ms(const char *text);

/*
 * SQL that takes a database of the latest schema back to version 8:
 * records and record_links rebuilt as migration 6 and 8 made them (their
 * kind CHECKs as IN lists), their rows kept, so that a test can open the
 * file to see migration 9 carry them over.
 */
extern const char tu_schema_v8_sql[];

/*
 * SQL that takes a database of the latest schema back to version 6 for the
 * tables later migrations rebuilt (outbox: 7; record_links: 8; records: 9),
 * emptying outbox and record_links, so that a test can write version 6
 * rows and open the file to see them migrated. A migration that rebuilds a
 * table adds its undoing here.
 */
extern const char tu_schema_v6_sql[];

#endif
