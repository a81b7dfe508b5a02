/*
 * fuzz_records_csv.c - fuzzes the record reader for CSV imports
 * (formats/records_csv.c), which reads files an agency exports from its
 * records system: bytes in, records and rejections out. The first byte
 * picks the kind of record, the rest is the file; the properties checked
 * are those of fuzz/records_check.h, shared with the other format.
 */
#include "fuzz/fuzz.h"
#include "fuzz/records_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return records_check(data, size, RECORDS_CSV, "fuzz.csv",
	                     "records_csv");
}
