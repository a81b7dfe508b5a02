/*
 * test_query.c - unit tests of records/query.c: free text and field=value
 * made into a query record for each kind, what is cut out first (named
 * fields, dates, phones), and the refusals (empty, too long, bad UTF-8,
 * a field twice, a field the kind lacks).
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "records/query.h"

#define F(r, f) ((r).field[RECORD_F_##f])

static void parse_ok(const char *text, enum record_kind k, struct record *r)
{
	struct htd_error err;
	enum htd_err rc = records_query_parse(text, k, r, &err);
	cr_assert_eq(rc, HTD_OK, "\"%s\": %s", text, err.message);
	cr_assert_str_eq(r->source, "query");
}

Test(query, a_person_by_name_date_and_phone)
{
	struct record r;
	parse_ok("Lupe Hernandes 1985-03-07 (512) 555-0142", RECORD_PERSON, &r);
	cr_assert_str_eq(F(r, NAME), "Lupe Hernandes");
	cr_assert_str_eq(F(r, BIRTH_DATE), "1985-03-07");
	cr_assert_str_eq(F(r, PHONE), "(512) 555-0142");
	record_free(&r);

	parse_ok("  Ma. Guadalupe Hernández López, 3/7/1985 ", RECORD_PERSON,
	         &r);
	cr_assert_str_eq(F(r, NAME), "Ma. Guadalupe Hernández López");
	cr_assert_str_eq(F(r, BIRTH_DATE), "3/7/1985");
	cr_assert_null(F(r, PHONE));
	record_free(&r);

	/* A year alone is a year of birth; a name alone is enough. */
	parse_ok("lupe 1985", RECORD_PERSON, &r);
	cr_assert_str_eq(F(r, BIRTH_DATE), "1985");
	cr_assert_str_eq(F(r, NAME), "lupe");
	record_free(&r);
	parse_ok("+1 512 555 0142", RECORD_PERSON, &r);
	cr_assert_str_eq(F(r, PHONE), "+1 512 555 0142");
	cr_assert_null(F(r, NAME));
	record_free(&r);
}

Test(query, named_fields_run_to_the_next_field)
{
	struct record r;
	parse_ok("family_name=Hernández López given_name=Ma. Guadalupe "
	         "birth_date:1985-03",
	         RECORD_PERSON, &r);
	cr_assert_str_eq(F(r, FAMILY_NAME), "Hernández López");
	cr_assert_str_eq(F(r, GIVEN_NAME), "Ma. Guadalupe");
	cr_assert_str_eq(F(r, BIRTH_DATE), "1985-03");
	cr_assert_null(F(r, NAME));
	record_free(&r);

	/* A word like "note=" that is no field stays in the text. */
	parse_ok("address=12 N Main St city=Immokalee", RECORD_LOCATION, &r);
	cr_assert_str_eq(F(r, ADDRESS), "12 N Main St");
	cr_assert_str_eq(F(r, CITY), "Immokalee");
	record_free(&r);
}

Test(query, each_kind_gets_its_free_text)
{
	struct record r;
	parse_ok("1200 Ranch Rd 5", RECORD_LOCATION, &r);
	cr_assert_str_eq(F(r, ADDRESS), "1200 Ranch Rd 5");
	cr_assert_null(F(r, BIRTH_DATE));
	record_free(&r);

	parse_ok("Sunrise Farm Labor LLC 956-555-0199", RECORD_BUSINESS, &r);
	cr_assert_str_eq(F(r, NAME), "Sunrise Farm Labor LLC");
	cr_assert_str_eq(F(r, PHONE), "956-555-0199");
	record_free(&r);

	parse_ok("white ford transit ABO123", RECORD_VEHICLE, &r);
	cr_assert_str_eq(F(r, PLATE), "ABO123");
	cr_assert_str_eq(F(r, COLOR), "white");
	cr_assert_str_eq(F(r, MAKE), "ford");
	cr_assert_str_eq(F(r, MODEL), "transit");
	record_free(&r);

	parse_ok("512-555-0142", RECORD_PHONE, &r);
	cr_assert_str_eq(F(r, PHONE), "512-555-0142");
	record_free(&r);
}

Test(query, refusals_name_the_problem)
{
	struct record r;
	struct htd_error err;
	cr_assert_eq(records_query_parse("", RECORD_PERSON, &r, &err),
	             HTD_ERR_INVALID);
	cr_assert(strstr(err.message, "nothing to search"));
	record_free(&r);
	cr_assert_eq(records_query_parse(" ,, -- ", RECORD_PERSON, &r, &err),
	             HTD_ERR_INVALID);
	record_free(&r);
	cr_assert_eq(records_query_parse(NULL, RECORD_PERSON, &r, &err),
	             HTD_ERR_INVALID);
	record_free(&r);

	char *big = malloc(QUERY_TEXT_MAX + 2);
	memset(big, 'a', QUERY_TEXT_MAX + 1);
	big[QUERY_TEXT_MAX + 1] = '\0';
	cr_assert_eq(records_query_parse(big, RECORD_PERSON, &r, &err),
	             HTD_ERR_TOO_LARGE);
	record_free(&r);
	big[QUERY_TEXT_MAX] = '\0';
	cr_assert_eq(records_query_parse(big, RECORD_PERSON, &r, &err), HTD_OK);
	record_free(&r);
	free(big);

	cr_assert_eq(records_query_parse("lu\xc3", RECORD_PERSON, &r, &err),
	             HTD_ERR_INVALID);
	cr_assert(strstr(err.message, "UTF-8"));
	record_free(&r);
	cr_assert_eq(
	    records_query_parse("plate=ABC123", RECORD_PERSON, &r, &err),
	    HTD_ERR_INVALID);
	cr_assert_str_eq(err.field, "plate");
	record_free(&r);
	cr_assert_eq(records_query_parse("phone=5125550142 phone=5125550143",
	                                 RECORD_PERSON, &r, &err),
	             HTD_ERR_INVALID);
	cr_assert(strstr(err.message, "twice"));
	record_free(&r);
	cr_assert_eq(records_query_parse("Lupe family_name=Hernandes",
	                                 RECORD_PERSON, &r, &err),
	             HTD_ERR_INVALID);
	cr_assert_str_eq(err.field, "name");
	record_free(&r);
}
