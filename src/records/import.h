/*
 * import.h - `htdispatch import`: the agency's records (persons,
 * locations, phones, vehicles, businesses) from a CSV or JSON Lines file
 * into the store, with the blocking keys NENA step 7's search finds them
 * by (core/score.h). docs/import.md is the user's side of this contract.
 *
 * All or nothing by default: every record is read and checked; when any
 * is rejected, each rejection is reported and nothing is written. With
 * skip_bad the good records are written and the bad reported. Either way
 * an import is one store transaction, written in batches, so a reader
 * never sees half of one; re-importing a source updates its records
 * (same kind, source and source_id), never duplicates them, and leaves
 * unchanged ones unwritten. Records absent from a later import stay.
 * Every import written is audited (action "records.import", with its
 * counts) in its transaction; one that wrote nothing leaves the database
 * as it was, byte for byte, and is not audited (it changed and read
 * nothing of the store).
 */
#ifndef HTD_RECORDS_IMPORT_H
#define HTD_RECORDS_IMPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "core/match.h"
#include "core/record.h"
#include "formats/records_in.h"
#include "service/calls.h"
#include "util/error.h"

#define RECORDS_SOURCE_DEFAULT "rms"
/* Records written per store_records_put(). */
#define RECORDS_IMPORT_BATCH 8192
/* How often the progress callback runs, in records read. */
#define RECORDS_PROGRESS_EVERY 16384

struct records_import_report {
	uint64_t read; /* records read, good and rejected */
	uint64_t inserted;
	uint64_t updated;
	uint64_t unchanged;
	uint64_t rejected;
	int64_t elapsed_ms; /* reading, checking and writing */
	bool written;       /* the store was changed (committed) */
};

struct records_import_options {
	enum record_kind kind;
	enum records_format format;
	const char *source; /* NULL: RECORDS_SOURCE_DEFAULT */
	bool skip_bad;
	FILE *in;         /* borrowed; read to its end */
	const char *file; /* its name in messages and the audit ("-") */
	/* The nickname table of the search (the same one: core/score.h); NULL
	 * makes keys without formal names. Borrowed. */
	const struct match_nicknames *nicknames;
	/* Callbacks are called from the thread that reads the input, one
	 * at a time, never after records_import() returns. */
	/* Optional: each rejected record, in file order (`err` borrowed:
	 * file, line, field, message). */
	void (*rejected)(void *ctx, const struct htd_error *err);
	/* Optional: every RECORDS_PROGRESS_EVERY records (so_far: read and
	 * rejected), and at the end (all of it, from the calling thread),
	 * with the bytes of `in` consumed. */
	void (*progress)(void *ctx, const struct records_import_report *so_far,
	                 uint64_t bytes);
	void *ctx;
};

/*
 * Imports the records of o->in as `actor` (audited from svc->address when
 * set). Fills `out` whatever happens. Returns HTD_OK when the import was
 * written (with skip_bad, perhaps with rejections); HTD_ERR_INVALID when
 * records were rejected without skip_bad (nothing written; each went to
 * o->rejected); the reader's error when the file cannot be read at all (a
 * bad header: nothing written); a store error (nothing written).
 */
enum htd_err records_import(struct service *svc, const char *actor,
                            const struct records_import_options *o,
                            struct records_import_report *out,
                            struct htd_error *err);

#endif
