/*
 * sqlite.h - the SQLite back-end of store.h: the embedded default.
 */
#ifndef HTD_STORE_SQLITE_H
#define HTD_STORE_SQLITE_H

#include "store/store.h"

/* Opens a SQLite store; see store_open() for the contract. */
enum htd_err sqlite_store_open(const struct store_options *opts,
                               struct store **out, struct htd_error *err);

/* The application_id written into every htdispatch database ("HTDP"). */
#define SQLITE_STORE_APPLICATION_ID 0x48544450

#endif
