/*
 * test_record.c - unit tests of core/record.c: kind and field names both
 * ways, which kind has which field, the checks on every value (trimmed,
 * UTF-8, no controls, dates, coordinates, caps), sources, and what a
 * record needs to be kept.
 */
#include <criterion/criterion.h>
#include <stdio.h>
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

/* ---- links ----------------------------------------------------------------
 */

static struct record_link links[RECORD_LINKS_MAX];

/* Parses `text` with default source "rms": the count, or -1 with `why`
 * (the message) when refused. */
static int parse_links(const char *text, char *why, size_t size)
{
	size_t n = 99;
	struct htd_error err;
	htd_error_clear(&err);
	enum htd_err e =
	    record_links_parse(text, strlen(text), "rms", links, &n, &err);
	if (e != HTD_OK) {
		cr_assert_str_eq(err.field, "links", "the field is named");
		snprintf(why, size, "%s", err.message);
		return -1;
	}
	return (int)n;
}

Test(record_links, types_round_trip)
{
	for (int t = 0; t < RECORD_LINK__COUNT; t++) {
		enum record_link_type out = RECORD_LINK__COUNT;
		cr_assert(
		    record_link_type_parse(record_link_type_name(t), &out));
		cr_assert_eq(out, t);
		cr_assert_leq(strlen(record_link_type_name(t)),
		              RECORD_LINK_TYPE_MAX);
	}
	enum record_link_type t = RECORD_LINK_OWNER;
	cr_assert(!record_link_type_parse("confirmed", &t));
	cr_assert(!record_link_type_parse("Owner", &t));
	cr_assert(!record_link_type_parse(NULL, &t));
	cr_assert_str_eq(record_link_type_name(RECORD_LINK__COUNT), "unknown");
}

Test(record_links, good_values)
{
	char why[HTD_ERROR_MESSAGE_MAX];
	cr_assert_eq(parse_links("", why, sizeof(why)), 0);
	cr_assert_eq(parse_links("   ", why, sizeof(why)), 0);
	cr_assert_eq(parse_links("owner=person:RMS-1042", why, sizeof(why)), 1);
	cr_assert_eq(links[0].type, RECORD_LINK_OWNER);
	cr_assert_eq(links[0].kind, RECORD_PERSON);
	cr_assert_str_eq(links[0].source, "rms");
	cr_assert_str_eq(links[0].source_id, "RMS-1042");
	cr_assert_eq(parse_links(" employer = businesses : B-7 ; "
	                         "address=location:dmv:L:9;phone=phones:P1",
	                         why, sizeof(why)),
	             3, "%s", why);
	cr_assert_eq(links[0].type, RECORD_LINK_EMPLOYER);
	cr_assert_eq(links[0].kind, RECORD_BUSINESS);
	cr_assert_str_eq(links[0].source_id, "B-7");
	/* A second ':' names the source; the id keeps the rest. */
	cr_assert_str_eq(links[1].source, "dmv");
	cr_assert_str_eq(links[1].source_id, "L:9");
	cr_assert_eq(links[2].kind, RECORD_PHONE);
	/* The same target under two types is two links. */
	cr_assert_eq(
	    parse_links("owner=person:P1;driver=person:P1", why, sizeof(why)),
	    2);
	/* The most there may be. */
	char many[RECORD_LINKS_TEXT_MAX];
	size_t o = 0;
	for (int i = 0; i < RECORD_LINKS_MAX; i++)
		o +=
		    (size_t)snprintf(many + o, sizeof(many) - o,
		                     "%sassociate=person:P%d", i ? ";" : "", i);
	cr_assert_eq(parse_links(many, why, sizeof(why)), RECORD_LINKS_MAX);
}

Test(record_links, every_rejection_says_why)
{
	static const struct {
		const char *text, *why;
	} bad[] = {
		{ "owner=person:P1;", "link 2 is empty" },
		{ ";owner=person:P1", "link 1 is empty" },
		{ "owner=person:P1;;driver=person:P2", "link 2 is empty" },
		{ "owner person:P1", "link 1 has no '='" },
		{ "boss=person:P1", "unknown type \"boss\"" },
		{ "=person:P1", "unknown type" },
		{ "confirmed=person:P1", "unknown type \"confirmed\"" },
		{ "owner=P1", "has no ':'" },
		{ "owner=boat:P1", "unknown kind" },
		{ "owner=:P1", "unknown kind" },
		{ "owner=person:", "source_id must be 1 to" },
		{ "owner=person:rms:", "source_id must be 1 to" },
		{ "owner=person:P 1", "printable ASCII without spaces" },
		{ "owner=person:P\x01", "printable ASCII" },
		{ "owner=person:RMS:P1", "source may hold only" },
		{ "owner=person::P1", "the source must be 1 to" },
		{ "owner=person:P1;driver=person:P2;owner=person:P1",
		  "link 3 repeats link 1" },
		{ "owner=person:rms:P1;owner=person:P1",
		  "link 2 repeats link 1" },
	};
	char why[HTD_ERROR_MESSAGE_MAX];
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_assert_eq(parse_links(bad[i].text, why, sizeof(why)), -1,
		             "%s was accepted", bad[i].text);
		cr_assert(strstr(why, bad[i].why), "%s: \"%s\", wanted \"%s\"",
		          bad[i].text, why, bad[i].why);
	}
	/* A source_id over 64 characters, a source over 32. */
	char text[256];
	snprintf(text, sizeof(text), "owner=person:%0*d", 65, 7);
	cr_assert_eq(parse_links(text, why, sizeof(why)), -1);
	cr_assert(strstr(why, "source_id must be 1 to 64"), "%s", why);
	snprintf(text, sizeof(text), "owner=person:%0*d:P1", 33, 7);
	cr_assert_eq(parse_links(text, why, sizeof(why)), -1);
	cr_assert(strstr(why, "source must be 1 to 32"), "%s", why);
	/* One link too many. */
	char many[RECORD_LINKS_TEXT_MAX + 64];
	size_t o = 0;
	for (int i = 0; i <= RECORD_LINKS_MAX; i++)
		o +=
		    (size_t)snprintf(many + o, sizeof(many) - o,
		                     "%sassociate=person:P%d", i ? ";" : "", i);
	cr_assert_eq(parse_links(many, why, sizeof(why)), -1);
	cr_assert(strstr(why, "more than 32 links"), "%s", why);
	/* Over the byte limit, and a NUL inside. */
	char *big = malloc(RECORD_LINKS_TEXT_MAX + 2);
	memset(big, 'a', RECORD_LINKS_TEXT_MAX + 1);
	big[RECORD_LINKS_TEXT_MAX + 1] = '\0';
	size_t n = 0;
	struct htd_error err;
	cr_assert_eq(
	    record_links_parse(big, strlen(big), "rms", links, &n, &err),
	    HTD_ERR_TOO_LARGE);
	free(big);
	cr_assert_eq(record_links_parse("owner=person:P1\0x", 17, "rms", links,
	                                &n, &err),
	             HTD_ERR_INVALID);
	cr_assert(strstr(err.message, "NUL"), "%s", err.message);
}

Test(record_links, a_record_checks_its_links)
{
	struct record r;
	struct htd_error err;
	record_init(&r, RECORD_VEHICLE);
	cr_assert_eq(record_set(&r, RECORD_F_PLATE, "ABC123", &err), HTD_OK);
	/* The syntax at once, whatever the column order. */
	cr_assert_eq(record_set(&r, RECORD_F_LINKS, "owner=boat:P1", &err),
	             HTD_ERR_INVALID);
	cr_assert_str_eq(err.field, "links");
	cr_assert_null(r.field[RECORD_F_LINKS]);
	cr_assert_eq(record_set(&r, RECORD_F_LINKS,
	                        "owner=person:P1; driver=vehicle:V-1", &err),
	             HTD_OK, "%s", err.message);
	cr_assert_eq(record_set_source(&r, "rms", "V-2", &err), HTD_OK);
	cr_assert_eq(record_validate(&r, &err), HTD_OK, "%s", err.message);
	/* A link to the record itself, in its own source. */
	cr_assert_eq(record_set_source(&r, "rms", "V-1", &err), HTD_OK);
	cr_assert_eq(record_validate(&r, &err), HTD_ERR_INVALID);
	cr_assert_str_eq(err.field, "links");
	cr_assert(strstr(err.message, "link 2 (driver) names the record "
	                              "itself"),
	          "%s", err.message);
	/* The same id in another source is another record (a link without
	 * a source is to the record's own). */
	cr_assert_eq(
	    record_set(&r, RECORD_F_LINKS, "driver=vehicle:dmv:V-1", &err),
	    HTD_OK);
	cr_assert_eq(record_validate(&r, &err), HTD_OK, "%s", err.message);
	cr_assert_eq(record_set_source(&r, "dmv", "V-1", &err), HTD_OK);
	cr_assert_eq(record_validate(&r, &err), HTD_ERR_INVALID);
	cr_assert_eq(
	    record_set(&r, RECORD_F_LINKS, "driver=vehicle:rms:V-1", &err),
	    HTD_OK);
	cr_assert_eq(record_validate(&r, &err), HTD_OK, "%s", err.message);
	/* Every kind may have links. */
	for (int k = 0; k < RECORD_KIND__COUNT; k++)
		cr_assert(record_field_allowed(k, RECORD_F_LINKS));
	record_free(&r);
}
