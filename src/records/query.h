/*
 * query.h - what a person types into a records search, made into a record
 * (core/record.h) that the matcher compares with the stored ones (NENA
 * step 7). `htdispatch search` and POST /api/v1/search both come here, so
 * the same words find the same records through every path.
 *
 * A query is free text, optionally with fields named in it:
 *
 *   Lupe Hernandes 1985-03-07 (512) 555-0142      a person: the name, a
 *                                                 date of birth, a phone
 *   family_name=Hernández López given_name=Ma. Guadalupe
 *   plate=ABO 123 color=white                     a vehicle
 *   Sunrise Farm Labor LLC 956-555-0199           a business
 *   address=1200 Ranch Rd 5 city=Immokalee        a location
 *
 * "field=value" (or "field:value") sets that field of record.h, the value
 * running to the next "field=" or the end. In the free part a run of
 * phone characters holding 7 to 15 digits is the phone; for a person a
 * token that is a date with a year ("1985-03-07", "3/7/1985", "1985-03")
 * is the date of birth; what is left is the name (persons, businesses,
 * phones), the address (locations) or the plate (vehicles).
 *
 * Pure: no I/O. Bounded: at most QUERY_TEXT_MAX bytes are read.
 */
#ifndef HTD_RECORDS_QUERY_H
#define HTD_RECORDS_QUERY_H

#include "core/record.h"
#include "util/error.h"

/* Longest query text, in bytes. */
#define QUERY_TEXT_MAX 1024

/*
 * Parses `text` as a query for records of kind `kind` into `out`, which it
 * initialises (free it with record_free() whatever the result). Its source
 * is "query", its id "-". Returns HTD_OK; HTD_ERR_TOO_LARGE over
 * QUERY_TEXT_MAX bytes; HTD_ERR_INVALID with the reason in `err` (may be
 * NULL; err->field names the field when one is at fault) for text that is
 * not UTF-8, holds control characters, names a field the kind does not
 * have, gives a field twice, or leaves nothing to search for (empty, or
 * only punctuation).
 */
enum htd_err records_query_parse(const char *text, enum record_kind kind,
                                 struct record *out, struct htd_error *err);

#endif
