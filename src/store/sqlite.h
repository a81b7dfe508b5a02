/*
 * sqlite.h - the SQLite back-end of store.h: the embedded default.
 */
#ifndef HTD_STORE_SQLITE_H
#define HTD_STORE_SQLITE_H

#include "store/store.h"

/* Opens a SQLite store; see store_open() for the contract. */
enum htd_err sqlite_store_open(const struct store_options *opts,
                               struct store **out, struct htd_error *err);

/*
 * Creates the database at `path` (or upgrades an older one) to schema
 * `version` exactly, no further, and closes it: for tests of the
 * migrations, which write an older version's rows and then open the file
 * with store_open() to see them carried over. HTD_ERR_SCHEMA_NEWER when
 * the file is already past `version`.
 */
enum htd_err sqlite_store_create_at(const char *path, int version,
                                    struct htd_error *err);

/* The application_id written into every htdispatch database ("HTDP"). */
#define SQLITE_STORE_APPLICATION_ID 0x48544450

#endif
