/*
 * test_record.c - unit tests of core/record.c: kind and field names both
 * ways, which kind has which field, the checks on every value (trimmed,
 * UTF-8, no controls, dates, coordinates, caps), sources, and what a
 * record needs to be kept.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "core/record.h"

Test(record, names_round_trip)
{
	for (int k = 0; k < RECORD_KIND__COUNT; k++) {
		enum record_kind out = RECORD_KIND__COUNT;
		cr_assert(record_kind_parse(record_kind_name(k), &out));
		cr_assert_eq(out, k);
	}
	enum record_kind k = RECORD_PERSON;
	cr_assert(record_kind_parse("businesses", &k));
	cr_assert_eq(k, RECORD_BUSINESS);
	cr_assert(!record_kind_parse("Person", &k));
	cr_assert(!record_kind_parse(NULL, &k));
	cr_assert_eq(k, RECORD_BUSINESS);
	for (int f = 0; f < RECORD_FIELD__COUNT; f++) {
		enum record_field out = RECORD_FIELD__COUNT;
		cr_assert(record_field_parse(record_field_name(f), &out));
		cr_assert_eq(out, f);
	}
	cr_assert_str_eq(record_field_name(RECORD_FIELD__COUNT), "unknown");
}

Test(record, fields_belong_to_kinds)
{
	cr_assert(record_field_allowed(RECORD_PERSON, RECORD_F_BIRTH_DATE));
	cr_assert(!record_field_allowed(RECORD_VEHICLE, RECORD_F_BIRTH_DATE));
	cr_assert(record_field_allowed(RECORD_VEHICLE, RECORD_F_PLATE));
	cr_assert(!record_field_allowed(RECORD_PERSON, RECORD_F_PLATE));
	cr_assert(record_field_allowed(RECORD_BUSINESS, RECORD_F_NAME));
	for (int k = 0; k < RECORD_KIND__COUNT; k++)
		cr_assert(record_field_allowed(k, RECORD_F_NOTES));

	struct record r;
	struct htd_error err;
	record_init(&r, RECORD_VEHICLE);
	cr_assert_eq(record_set(&r, RECORD_F_BIRTH_DATE, "1985", &err),
	             HTD_ERR_INVALID);
	cr_assert_str_eq(err.field, "birth_date");
	cr_assert_null(r.field[RECORD_F_BIRTH_DATE]);
	record_free(&r);
}

Test(record, values_are_trimmed_and_checked)
{
	struct record r;
	struct htd_error err;
	record_init(&r, RECORD_PERSON);
	cr_assert_eq(
	    record_set(&r, RECORD_F_FAMILY_NAME, "  Hernández López \t", &err),
	    HTD_OK);
	cr_assert_str_eq(r.field[RECORD_F_FAMILY_NAME], "Hernández López");
	/* An empty value clears the field. */
	cr_assert_eq(record_set(&r, RECORD_F_FAMILY_NAME, "   ", &err), HTD_OK);
	cr_assert_null(r.field[RECORD_F_FAMILY_NAME]);
	cr_assert_eq(record_set(&r, RECORD_F_GIVEN_NAME, "Lupe\x01", &err),
	             HTD_ERR_INVALID);
	cr_assert_eq(record_set(&r, RECORD_F_GIVEN_NAME, "Lu\xc3", &err),
	             HTD_ERR_INVALID);
	cr_assert(strstr(err.message, "UTF-8"));
	cr_assert_eq(record_set(&r, RECORD_F_NOTES, "line one\nline two", &err),
	             HTD_OK);
	cr_assert_eq(record_set(&r, RECORD_F_ADDRESS, "1 Main\nSt", &err),
	             HTD_ERR_INVALID);
	cr_assert_eq(record_set(&r, RECORD_F_BIRTH_DATE, "1985-02-30", &err),
	             HTD_ERR_INVALID);
	cr_assert_str_eq(err.field, "birth_date");
	cr_assert_eq(record_set(&r, RECORD_F_BIRTH_DATE, "1985-03", &err),
	             HTD_OK);

	char *big = malloc(RECORD_VALUE_MAX + 2);
	memset(big, 'a', RECORD_VALUE_MAX + 1);
	big[RECORD_VALUE_MAX + 1] = '\0';
	cr_assert_eq(record_set(&r, RECORD_F_ADDRESS, big, &err),
	             HTD_ERR_TOO_LARGE);
	big[RECORD_VALUE_MAX] = '\0';
	cr_assert_eq(record_set(&r, RECORD_F_ADDRESS, big, &err), HTD_OK);
	free(big);
	record_free(&r);
	cr_assert_eq(r.kind, RECORD_PERSON);
	cr_assert_null(r.field[RECORD_F_ADDRESS]);

	record_init(&r, RECORD_LOCATION);
	cr_assert_eq(record_set(&r, RECORD_F_LATITUDE, "30.2672", &err),
	             HTD_OK);
	cr_assert_eq(record_set(&r, RECORD_F_LATITUDE, "91", &err),
	             HTD_ERR_INVALID);
	cr_assert_eq(record_set(&r, RECORD_F_LONGITUDE, "-97.7x", &err),
	             HTD_ERR_INVALID);
	cr_assert_eq(record_set(&r, RECORD_F_LONGITUDE, "nan", &err),
	             HTD_ERR_INVALID);
	cr_assert_str_eq(r.field[RECORD_F_LATITUDE], "30.2672");
	record_free(&r);
}

Test(record, sources_and_completeness)
{
	struct record r;
	struct htd_error err;
	record_init(&r, RECORD_PERSON);
	cr_assert_eq(record_validate(&r, &err), HTD_ERR_INVALID);
	cr_assert_eq(record_set_source(&r, "RMS", "1", &err), HTD_ERR_INVALID);
	cr_assert_str_eq(err.field, "source");
	cr_assert_eq(record_set_source(&r, "rms", "a b", &err),
	             HTD_ERR_INVALID);
	cr_assert_str_eq(err.field, "source_id");
	cr_assert_eq(record_set_source(&r, "rms", "P-000123", &err), HTD_OK);
	cr_assert_eq(record_validate(&r, &err), HTD_ERR_INVALID);
	cr_assert_str_eq(err.field, "family_name");
	cr_assert_eq(record_set(&r, RECORD_F_NAME, "Lupe Hernandes", &err),
	             HTD_OK);
	cr_assert_eq(record_validate(&r, &err), HTD_OK);
	record_free(&r);

	record_init(&r, RECORD_LOCATION);
	record_set_source(&r, "rms", "L1", &err);
	record_set(&r, RECORD_F_LATITUDE, "30.1", &err);
	cr_assert_eq(record_validate(&r, &err), HTD_ERR_INVALID);
	record_set(&r, RECORD_F_LONGITUDE, "-97.1", &err);
	cr_assert_eq(record_validate(&r, &err), HTD_OK);
	record_free(&r);
}
