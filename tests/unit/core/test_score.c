/*
 * test_score.c - unit tests of core/score.c: records prepared for
 * matching, blocking keys of every kind (and the same for a record and a
 * query built from it), each field's comparator and its levels, the
 * explanation, partial queries, symmetry, top-k, and bounded work on one
 * letter and on 10 KB. The nickname table is built from pairs in this file.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "core/record.h"
#include "core/score.h"
#include "formats/nicknames_csv.h"
#include "util/str.h"

/* ---- helpers ----------------------------------------------------------- */

static const struct match_nickname_pair pairs[] = {
	{ "guadalupe", "lupe" }, { "william", "bill" }, { "william", "will" },
	{ "robert", "bob" },     { "jose", "pepe" },    { "margaret", "peggy" },
};

static struct match_nicknames *nick;

static void setup(void)
{
	nick = match_nicknames_new(pairs, sizeof(pairs) / sizeof(pairs[0]));
}

static void teardown(void)
{
	match_nicknames_free(nick);
	nick = NULL;
}

TestSuite(score, .init = setup, .fini = teardown);

/* Builds a record of kind `k` from "field", "value" pairs ending in NULL;
 * every value must be accepted. */
static void build(struct record *r, enum record_kind k, ...)
{
	va_list ap;
	const char *name;

	record_init(r, k);
	cr_assert_eq(record_set_source(r, "test", "1", NULL), HTD_OK);
	va_start(ap, k);
	while ((name = va_arg(ap, const char *)) != NULL) {
		const char *value = va_arg(ap, const char *);
		enum record_field f;
		struct htd_error err;
		cr_assert(record_field_parse(name, &f), "field %s", name);
		cr_assert_eq(record_set(r, f, value, &err), HTD_OK, "%s=%s: %s",
		             name, value, err.message);
	}
	va_end(ap);
}

/* Prepares `r` into `p` (and frees `r`). */
static void prepare(struct record *r, struct score_record *p)
{
	struct htd_error err;
	cr_assert_eq(score_prepare(r, nick, p, &err), HTD_OK, "%s",
	             err.message);
	record_free(r);
}

#define PREP(p, kind, ...)                                         \
	do {                                                       \
		struct record r_;                                  \
		build(&r_, kind, __VA_ARGS__, (const char *)NULL); \
		prepare(&r_, p);                                   \
	} while (0)

/* The level field `f` got in `ex`; MISSING when it is not there. */
static enum score_level level_of(const struct score_explain *ex,
                                 enum score_field f)
{
	for (size_t i = 0; i < ex->n; i++)
		if (ex->item[i].field == f)
			return ex->item[i].level;
	return SCORE_L_MISSING;
}

/* Compares two records on one field (with the default weights). */
static enum score_level compare_field(const struct score_record *a,
                                      const struct score_record *b,
                                      enum score_field f)
{
	struct score_explain ex;
	score_compare(a, b, NULL, &ex);
	return level_of(&ex, f);
}

static bool has_key(const struct match_keys *k, const char *key)
{
	for (size_t i = 0; i < k->n; i++)
		if (strcmp(k->key[i], key) == 0)
			return true;
	return false;
}

static bool has_prefix(const struct match_keys *k, const char *prefix)
{
	for (size_t i = 0; i < k->n; i++)
		if (strncmp(k->key[i], prefix, strlen(prefix)) == 0)
			return true;
	return false;
}

static void free2(struct score_record *a, struct score_record *b)
{
	score_record_free(a);
	score_record_free(b);
}

/* ---- prepare ----------------------------------------------------------- */

Test(score, prepare_person)
{
	struct score_record p;

	PREP(&p, RECORD_PERSON, "given_name", "Ma. Guadalupe", "family_name",
	     "Hernández López", "aliases", "Lupe Hernandes; ; La Güera",
	     "birth_date", "1985-03-07", "sex", "Female", "id_number",
	     "DL: tx-1234.567 ; ssn:123-45-6789", "phone",
	     "(512) 555-0142; 555-0142; +52 1 55 1234 5678", "address",
	     "123 North Main Street Apt. 4", "postcode", "78701-1234", "city",
	     "Austin");
	cr_assert_eq(p.kind, RECORD_PERSON);
	cr_assert_eq(p.n_names, 3);
	cr_assert_eq(p.names[0].n_given, 2);
	cr_assert_str_eq(p.names[0].given[0], "maria");
	cr_assert_str_eq(p.names[0].given[1], "guadalupe");
	cr_assert_str_eq(p.names[0].surname, "hernandez lopez");
	cr_assert_str_eq(p.names[1].given[0], "lupe");
	cr_assert_str_eq(p.names[1].surname, "hernandes");
	/* "lupe" is a nickname of "guadalupe": kept for comparisons. */
	cr_assert_eq(p.n_formal, 1);
	cr_assert_eq(p.formal[0].name, 1);
	cr_assert_str_eq(p.formal[0].text, "guadalupe");
	cr_assert_eq(p.birth.year, 1985);
	cr_assert_eq(p.birth.day, 7);
	cr_assert_eq(p.sex, 'f');
	cr_assert_eq(p.n_ids, 2);
	cr_assert_str_eq(p.ids[0], "dl:TX1234567");
	cr_assert_str_eq(p.ids[1], "ssn:123456789");
	/* The local number has no area code: dropped and counted. */
	cr_assert_eq(p.n_phones, 2);
	cr_assert_str_eq(p.phones[0], "+15125550142");
	cr_assert_str_eq(p.phones[1], "+525512345678");
	cr_assert_eq(p.bad_phones, 1);
	cr_assert(p.has_address);
	cr_assert_str_eq(p.address.number, "123");
	cr_assert_str_eq(p.address.street, "N MAIN ST");
	cr_assert_str_eq(p.address.unit, "4");
	cr_assert_str_eq(p.postcode, "787011234");
	cr_assert_str_eq(p.city, "AUSTIN");
	cr_assert_not(p.truncated);
	score_record_free(&p);
	cr_assert_null(p.names);
	score_record_free(&p); /* twice is harmless */
	score_record_free(NULL);
}

Test(score, prepare_split_names)
{
	struct score_record g, f;

	/* A given name alone has no surname; a family name no given. */
	PREP(&g, RECORD_PERSON, "given_name", "Mary Ann");
	cr_assert_eq(g.n_names, 1);
	cr_assert_eq(g.names[0].n_given, 2);
	cr_assert_str_eq(g.names[0].given[1], "ann");
	cr_assert_str_eq(g.names[0].surname, "");
	PREP(&f, RECORD_PERSON, "family_name", "de la Cruz");
	cr_assert_eq(f.n_names, 1);
	cr_assert_eq(f.names[0].n_given, 0);
	cr_assert_str_eq(f.names[0].surname, "de la cruz");
	free2(&g, &f);
}

Test(score, prepare_other_kinds)
{
	struct score_record v, b, l;

	PREP(&v, RECORD_VEHICLE, "plate", "abo 123", "plate_state", "tx", "vin",
	     "1hg-cm82633a004352", "make", "Ford", "color", "White");
	cr_assert_str_eq(v.plate.exact, "ABO123");
	cr_assert_str_eq(v.plate.folded, "A80123");
	cr_assert_str_eq(v.plate_state, "TX");
	cr_assert_str_eq(v.vin, "1HGCM82633A004352");
	cr_assert_str_eq(v.make, "FORD");
	cr_assert_eq(v.n_names, 0);
	PREP(&b, RECORD_BUSINESS, "name", "Los Pinos Farms, L.L.C.", "aliases",
	     "Pinos Labor; ", "business_type", "Labor Contractor");
	cr_assert_eq(b.n_business, 2);
	cr_assert_str_eq(b.business[0], "los pinos farms l l c");
	cr_assert_str_eq(b.business[1], "pinos labor");
	cr_assert_str_eq(b.business_type, "labor contractor");
	cr_assert_eq(b.n_names, 0);
	PREP(&l, RECORD_LOCATION, "latitude", "30.2672", "longitude",
	     "-97.7431");
	cr_assert(l.has_coordinates);
	cr_assert_float_eq(l.latitude, 30.2672, 1e-9);
	cr_assert_not(l.has_address);
	free2(&v, &b);
	score_record_free(&l);
}

Test(score, prepare_refuses_bad_kind)
{
	struct record r;
	struct score_record p;
	struct htd_error err;

	record_init(&r, RECORD_PERSON);
	r.kind = (enum record_kind)99;
	cr_assert_eq(score_prepare(&r, nick, &p, &err), HTD_ERR_INVALID);
	cr_assert_str_eq(err.field, "kind");
	cr_assert_eq(score_prepare(NULL, nick, &p, &err), HTD_ERR_INVALID);
	score_record_free(&p);
}

/* ---- comparators, field by field ---------------------------------------- */

Test(score, given_name_levels)
{
	struct score_record a, b;
	static const struct {
		const char *x, *y;
		enum score_level want;
	} cases[] = {
		{ "William", "william", SCORE_L_EXACT },
		{ "Bill", "William", SCORE_L_EXACT }, /* nickname */
		{ "Bill", "Will", SCORE_L_EXACT },    /* one formal name */
		{ "Jon", "John", SCORE_L_CLOSE },     /* JW 0.93 */
		{ "M", "Margaret", SCORE_L_FAIR },    /* an initial */
		{ "M.", "M", SCORE_L_FAIR },          /* two initials */
		{ "J", "Margaret", SCORE_L_DIFFERENT },
		{ "Robert", "Susan", SCORE_L_DIFFERENT },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		PREP(&a, RECORD_PERSON, "given_name", cases[i].x, "family_name",
		     "Smith");
		PREP(&b, RECORD_PERSON, "given_name", cases[i].y, "family_name",
		     "Smith");
		cr_assert_eq(
		    compare_field(&a, &b, SCORE_F_GIVEN), cases[i].want,
		    "%s / %s: %s", cases[i].x, cases[i].y,
		    score_level_name(compare_field(&a, &b, SCORE_F_GIVEN)));
		free2(&a, &b);
	}
}

Test(score, surname_levels)
{
	struct score_record a, b;
	static const struct {
		const char *x, *y;
		enum score_level want;
	} cases[] = {
		{ "Hernández", "HERNANDEZ", SCORE_L_EXACT },
		/* A Spanish double surname meets either one alone. */
		{ "Hernández López", "López", SCORE_L_EXACT },
		{ "de la Cruz", "Cruz", SCORE_L_EXACT },
		{ "Hernández", "Hernandes", SCORE_L_CLOSE },
		{ "Smith", "Smyth", SCORE_L_CLOSE },
		{ "Nguyen", "Brown", SCORE_L_DIFFERENT },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		PREP(&a, RECORD_PERSON, "given_name", "Ana", "family_name",
		     cases[i].x);
		PREP(&b, RECORD_PERSON, "given_name", "Ana", "family_name",
		     cases[i].y);
		cr_assert_eq(compare_field(&a, &b, SCORE_F_SURNAME),
		             cases[i].want, "%s / %s", cases[i].x, cases[i].y);
		free2(&a, &b);
	}
}

Test(score, birth_date_levels)
{
	struct score_record a, b;
	static const struct {
		const char *x, *y;
		enum score_level want;
	} cases[] = {
		{ "1985-03-07", "03/07/1985", SCORE_L_EXACT },
		{ "1985-03-07", "1985-07-03", SCORE_L_CLOSE }, /* swapped */
		{ "1985-03-07", "1986-03-07", SCORE_L_CLOSE }, /* a typo */
		{ "1985-03-07", "1985-03", SCORE_L_CLOSE },    /* partial */
		{ "1985-03-07", "1985", SCORE_L_FAIR },
		{ "1985-03-07", "1962-11-20", SCORE_L_DIFFERENT },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		PREP(&a, RECORD_PERSON, "name", "Ana Ruiz", "birth_date",
		     cases[i].x);
		PREP(&b, RECORD_PERSON, "name", "Ana Ruiz", "birth_date",
		     cases[i].y);
		cr_assert_eq(compare_field(&a, &b, SCORE_F_BIRTH),
		             cases[i].want, "%s / %s", cases[i].x, cases[i].y);
		free2(&a, &b);
	}
}

Test(score, identifiers_phones_sex)
{
	struct score_record a, b, c, d;

	PREP(&a, RECORD_PERSON, "name", "Ana Ruiz", "id_number",
	     "ssn:123456789", "phone", "512-555-0142", "sex", "F");
	PREP(&b, RECORD_PERSON, "name", "Ana Ruiz", "id_number",
	     "ssn:123456789", "phone", "+1 512 555 0142", "sex", "female");
	PREP(&c, RECORD_PERSON, "name", "Ana Ruiz", "id_number",
	     "ssn:123456798", "phone", "512-555-0143", "sex", "M");
	PREP(&d, RECORD_PERSON, "name", "Ana Ruiz", "id_number",
	     "dl:TX123456789", "phone", "212-555-9999");
	cr_assert_eq(compare_field(&a, &b, SCORE_F_ID), SCORE_L_EXACT);
	cr_assert_eq(compare_field(&a, &b, SCORE_F_PHONE), SCORE_L_EXACT);
	cr_assert_eq(compare_field(&a, &b, SCORE_F_SEX), SCORE_L_EXACT);
	/* One transposition or one digit off: close. */
	cr_assert_eq(compare_field(&a, &c, SCORE_F_ID), SCORE_L_CLOSE);
	cr_assert_eq(compare_field(&a, &c, SCORE_F_PHONE), SCORE_L_CLOSE);
	cr_assert_eq(compare_field(&a, &c, SCORE_F_SEX), SCORE_L_DIFFERENT);
	/* Identifiers of different types are not compared; sex unknown. */
	cr_assert_eq(compare_field(&a, &d, SCORE_F_ID), SCORE_L_MISSING);
	cr_assert_eq(compare_field(&a, &d, SCORE_F_PHONE), SCORE_L_DIFFERENT);
	cr_assert_eq(compare_field(&a, &d, SCORE_F_SEX), SCORE_L_MISSING);
	free2(&a, &b);
	free2(&c, &d);
}

Test(score, address_levels)
{
	struct score_record a, b, c;

	PREP(&a, RECORD_LOCATION, "address", "123 North Main Street, Apt 4",
	     "city", "Austin", "state", "TX", "postcode", "78701");
	PREP(&b, RECORD_LOCATION, "address", "123 n main st #4", "city",
	     "AUSTIN", "state", "tx", "postcode", "78710");
	PREP(&c, RECORD_LOCATION, "address", "9 Oak Avenue", "city", "Dallas",
	     "state", "TX", "postcode", "75201");
	cr_assert_eq(compare_field(&a, &b, SCORE_F_HOUSE_NUMBER),
	             SCORE_L_EXACT);
	cr_assert_eq(compare_field(&a, &b, SCORE_F_STREET), SCORE_L_EXACT);
	cr_assert_eq(compare_field(&a, &b, SCORE_F_ADDRESS_REST),
	             SCORE_L_EXACT);
	cr_assert_eq(compare_field(&a, &b, SCORE_F_CITY), SCORE_L_EXACT);
	cr_assert_eq(compare_field(&a, &b, SCORE_F_STATE), SCORE_L_EXACT);
	/* Two digits swapped in a postcode: close. */
	cr_assert_eq(compare_field(&a, &b, SCORE_F_POSTCODE), SCORE_L_CLOSE);
	cr_assert_eq(compare_field(&a, &c, SCORE_F_HOUSE_NUMBER),
	             SCORE_L_DIFFERENT);
	cr_assert_eq(compare_field(&a, &c, SCORE_F_STREET), SCORE_L_DIFFERENT);
	cr_assert_eq(compare_field(&a, &c, SCORE_F_CITY), SCORE_L_DIFFERENT);
	cr_assert_eq(compare_field(&a, &c, SCORE_F_POSTCODE),
	             SCORE_L_DIFFERENT);
	/* One side without a unit or locality: missing, not different. */
	cr_assert_eq(compare_field(&a, &c, SCORE_F_ADDRESS_REST),
	             SCORE_L_MISSING);
	score_record_free(&c);
	free2(&a, &b);
}

Test(score, coordinate_levels)
{
	struct score_record o, near, mid, far, away;

	PREP(&o, RECORD_LOCATION, "latitude", "30.0000", "longitude",
	     "-97.0000");
	PREP(&near, RECORD_LOCATION, "latitude", "30.0003", "longitude",
	     "-97.0000"); /* 33 m */
	PREP(&mid, RECORD_LOCATION, "latitude", "30.0015", "longitude",
	     "-97.0000"); /* 167 m */
	PREP(&far, RECORD_LOCATION, "latitude", "30.0060", "longitude",
	     "-97.0000"); /* 667 m */
	PREP(&away, RECORD_LOCATION, "latitude", "30.1000", "longitude",
	     "-97.0000"); /* 11 km */
	cr_assert_eq(compare_field(&o, &near, SCORE_F_COORDINATES),
	             SCORE_L_EXACT);
	cr_assert_eq(compare_field(&o, &mid, SCORE_F_COORDINATES),
	             SCORE_L_CLOSE);
	cr_assert_eq(compare_field(&o, &far, SCORE_F_COORDINATES),
	             SCORE_L_FAIR);
	cr_assert_eq(compare_field(&o, &away, SCORE_F_COORDINATES),
	             SCORE_L_DIFFERENT);
	free2(&o, &near);
	free2(&mid, &far);
	score_record_free(&away);
}

Test(score, vehicle_levels)
{
	struct score_record a, b, c, d, e;

	PREP(&a, RECORD_VEHICLE, "plate", "ABO123", "plate_state", "TX", "vin",
	     "1HGCM82633A004352", "make", "Ford", "model", "Transit", "color",
	     "white");
	PREP(&b, RECORD_VEHICLE, "plate", "AB0-123", "plate_state", "TX", "vin",
	     "1HGCM82633A004325", "make", "FORD", "model", "Transit", "color",
	     "White");
	PREP(&c, RECORD_VEHICLE, "plate", "ABO124", "plate_state", "TX", "make",
	     "Chevrolet", "color", "red");
	PREP(&d, RECORD_VEHICLE, "plate", "ABO123", "plate_state", "OK");
	PREP(&e, RECORD_VEHICLE, "plate", "XYZ987");
	cr_assert_eq(compare_field(&a, &a, SCORE_F_PLATE), SCORE_L_EXACT);
	/* O read as 0: close; one character off: fair. */
	cr_assert_eq(compare_field(&a, &b, SCORE_F_PLATE), SCORE_L_CLOSE);
	cr_assert_eq(compare_field(&a, &c, SCORE_F_PLATE), SCORE_L_FAIR);
	/* The same plate of another state: one level lower. */
	cr_assert_eq(compare_field(&a, &d, SCORE_F_PLATE), SCORE_L_CLOSE);
	cr_assert_eq(compare_field(&a, &e, SCORE_F_PLATE), SCORE_L_DIFFERENT);
	cr_assert_eq(compare_field(&a, &b, SCORE_F_VIN), SCORE_L_CLOSE);
	cr_assert_eq(compare_field(&a, &b, SCORE_F_MAKE), SCORE_L_EXACT);
	cr_assert_eq(compare_field(&a, &b, SCORE_F_MODEL), SCORE_L_EXACT);
	cr_assert_eq(compare_field(&a, &b, SCORE_F_COLOR), SCORE_L_EXACT);
	cr_assert_eq(compare_field(&a, &c, SCORE_F_MAKE), SCORE_L_DIFFERENT);
	cr_assert_eq(compare_field(&a, &c, SCORE_F_COLOR), SCORE_L_DIFFERENT);
	cr_assert_eq(compare_field(&a, &c, SCORE_F_VIN), SCORE_L_MISSING);
	free2(&a, &b);
	free2(&c, &d);
	score_record_free(&e);
}

Test(score, business_levels)
{
	struct score_record a, b, c, d;

	PREP(&a, RECORD_BUSINESS, "name", "Los Pinos Farms LLC",
	     "business_type", "farm", "phone", "956-555-0100");
	PREP(&b, RECORD_BUSINESS, "name", "los pinos farms, llc",
	     "business_type", "Farm");
	PREP(&c, RECORD_BUSINESS, "name", "Los Pinos Farm LLC");
	PREP(&d, RECORD_BUSINESS, "name", "Rio Grande Staffing", "aliases",
	     "Los Pinos Farms LLC", "business_type", "labor contractor");
	cr_assert_eq(compare_field(&a, &b, SCORE_F_BUSINESS_NAME),
	             SCORE_L_EXACT);
	cr_assert_eq(compare_field(&a, &b, SCORE_F_BUSINESS_TYPE),
	             SCORE_L_EXACT);
	cr_assert_eq(compare_field(&a, &c, SCORE_F_BUSINESS_NAME),
	             SCORE_L_CLOSE);
	/* An alias that agrees is the name compared. */
	cr_assert_eq(compare_field(&a, &d, SCORE_F_BUSINESS_NAME),
	             SCORE_L_EXACT);
	cr_assert_eq(compare_field(&a, &d, SCORE_F_BUSINESS_TYPE),
	             SCORE_L_DIFFERENT);
	free2(&a, &b);
	free2(&c, &d);
}

Test(score, cross_kind_phone)
{
	struct score_record person, phone;

	/* A call's caller and a phone record share the number. */
	PREP(&person, RECORD_PERSON, "name", "Ana Ruiz", "phone",
	     "(956) 555-0100");
	PREP(&phone, RECORD_PHONE, "phone", "+19565550100", "name", "Ana Ruiz");
	cr_assert_eq(compare_field(&person, &phone, SCORE_F_PHONE),
	             SCORE_L_EXACT);
	cr_assert_eq(compare_field(&person, &phone, SCORE_F_SURNAME),
	             SCORE_L_EXACT);
	free2(&person, &phone);
}

/* ---- the issue's example, explanations, partial queries ----------------- */

Test(score, lupe_hernandes_matches_ma_guadalupe_hernandez)
{
	struct score_record rec, query, other;
	struct score_explain ex;
	double w, w_other;

	PREP(&rec, RECORD_PERSON, "name", "Ma. Guadalupe Hernández",
	     "birth_date", "1985-03-07", "phone", "512-555-0142");
	PREP(&query, RECORD_PERSON, "name", "Lupe Hernandes");
	PREP(&other, RECORD_PERSON, "name", "Luis Hernández", "birth_date",
	     "1985-03-07");
	w = score_compare(&query, &rec, NULL, &ex);
	cr_assert_eq(level_of(&ex, SCORE_F_GIVEN), SCORE_L_EXACT);
	cr_assert_eq(level_of(&ex, SCORE_F_SURNAME), SCORE_L_CLOSE);
	/* Only the names were compared: a partial query. */
	cr_assert_eq(ex.n, 2);
	cr_assert(score_is_match(&ex, NULL), "weight %.2f of %.2f", w,
	          ex.attainable);
	w_other = score_compare(&query, &other, NULL, &ex);
	cr_assert(w > w_other);
	cr_assert_not(score_is_match(&ex, NULL), "weight %.2f", w_other);
	score_record_free(&other);
	free2(&rec, &query);
}

/* The issue's example end to end with the shipped nickname lists: the
 * query's keys meet the record's, and it scores as a match. */
Test(score, issue_example_with_the_shipped_nicknames)
{
	const char *root = getenv("HTD_SOURCE_ROOT");
	char dir[1024];
	struct match_nicknames *shipped = NULL;
	struct htd_error err;
	struct record r;
	struct score_record rec, query;
	struct match_keys kr, kq;
	struct score_explain ex;
	bool shared = false;

	cr_assert_not_null(root, "HTD_SOURCE_ROOT is not set");
	cr_assert(str_format(dir, sizeof(dir), "%s/data/linkage", root));
	cr_assert_eq(nicknames_csv_load_dir(dir, &shipped, &err), HTD_OK, "%s",
	             err.message);
	build(&r, RECORD_PERSON, "name", "Ma. Guadalupe Hernández López",
	      "birth_date", "1985-03-07", (const char *)NULL);
	cr_assert_eq(score_prepare(&r, shipped, &rec, NULL), HTD_OK);
	record_free(&r);
	build(&r, RECORD_PERSON, "name", "Lupe Hernandes", (const char *)NULL);
	cr_assert_eq(score_prepare(&r, shipped, &query, NULL), HTD_OK);
	record_free(&r);
	score_keys(&rec, shipped, &kr);
	score_keys(&query, shipped, &kq);
	for (size_t i = 0; i < kq.n; i++)
		shared = shared || has_key(&kr, kq.key[i]);
	cr_assert(shared);
	cr_assert(has_key(&kq, "gi:guadalupe:h"));
	score_compare(&query, &rec, NULL, &ex);
	cr_assert_eq(level_of(&ex, SCORE_F_GIVEN), SCORE_L_EXACT);
	cr_assert(score_is_match(&ex, NULL));
	free2(&rec, &query);
	match_nicknames_free(shipped);
}

Test(score, explanation_adds_up_and_reads)
{
	struct score_record a, b;
	struct score_explain ex;
	char line[512], small[24];
	double w, sum = 0;
	const struct score_weights *dw = score_weights_default();

	PREP(&a, RECORD_PERSON, "given_name", "Robert", "family_name", "Smith",
	     "birth_date", "1970-01-02", "phone", "512-555-0142");
	PREP(&b, RECORD_PERSON, "given_name", "Bob", "family_name", "Smyth",
	     "birth_date", "1970-02-01", "phone", "212-555-0199");
	w = score_compare(&a, &b, NULL, &ex);
	cr_assert_eq(ex.n, 4);
	for (size_t i = 0; i < ex.n; i++) {
		cr_assert_float_eq(ex.item[i].weight,
		                   dw->w[ex.item[i].field][ex.item[i].level],
		                   1e-12);
		if (i)
			cr_assert(ex.item[i - 1].field < ex.item[i].field);
		sum += ex.item[i].weight;
	}
	cr_assert_float_eq(sum, w, 1e-9);
	cr_assert_float_eq(ex.total, w, 1e-12);
	cr_assert_eq(level_of(&ex, SCORE_F_PHONE), SCORE_L_DIFFERENT);
	cr_assert(ex.item[3].weight < 0);
	cr_assert(score_explain_format(&ex, line, sizeof(line)));
	cr_assert(strstr(line, "given name exact (+7.1)"), "%s", line);
	cr_assert(strstr(line, "surname close"), "%s", line);
	cr_assert(strstr(line, "date of birth close"), "%s", line);
	cr_assert(strstr(line, "phone different (-3.8)"), "%s", line);
	/* Too small: cut, said so, still a string. */
	cr_assert_not(score_explain_format(&ex, small, sizeof(small)));
	cr_assert_lt(strlen(small), sizeof(small));
	cr_assert_str_eq(score_field_name(SCORE_F_BIRTH), "birth_date");
	cr_assert_str_eq(score_field_label(SCORE_FIELD__COUNT), "unknown");
	cr_assert_str_eq(score_level_label(SCORE_L_FAIR), "somewhat alike");
	cr_assert_str_eq(score_level_name((enum score_level) - 1), "unknown");
	free2(&a, &b);
}

Test(score, missing_fields_weigh_nothing)
{
	struct score_record full, name_only, name_phone, empty;
	struct score_explain ex;
	double w_names, w;

	PREP(&full, RECORD_PERSON, "name", "Ana María Ruiz", "birth_date",
	     "1990-05-06", "phone", "512-555-0142", "address", "5 Elm St",
	     "postcode", "78701", "sex", "F");
	PREP(&name_only, RECORD_PERSON, "name", "Ana Ruiz");
	PREP(&name_phone, RECORD_PERSON, "name", "Ana Ruiz", "phone",
	     "5125550142");
	PREP(&empty, RECORD_PERSON, "notes", "nothing to compare");
	w_names = score_compare(&name_only, &full, NULL, &ex);
	cr_assert_eq(ex.n, 2);
	cr_assert_float_eq(
	    w_names,
	    score_weights_default()->w[SCORE_F_GIVEN][SCORE_L_EXACT] +
	        score_weights_default()->w[SCORE_F_SURNAME][SCORE_L_EXACT],
	    1e-9);
	/* A phone that agrees adds its weight and nothing else changes. */
	w = score_compare(&name_phone, &full, NULL, &ex);
	cr_assert_eq(ex.n, 3);
	cr_assert_float_eq(
	    w - w_names,
	    score_weights_default()->w[SCORE_F_PHONE][SCORE_L_EXACT], 1e-9);
	cr_assert(score_is_match(&ex, NULL));
	/* Nothing compared: weight 0, never a match. */
	cr_assert_float_eq(score_compare(&empty, &full, NULL, &ex), 0, 1e-12);
	cr_assert_eq(ex.n, 0);
	cr_assert_not(score_is_match(&ex, NULL));
	cr_assert_not(score_is_match(NULL, NULL));
	free2(&full, &name_only);
	free2(&name_phone, &empty);
}

Test(score, full_record_needs_the_threshold)
{
	struct score_record a, b;
	struct score_explain ex;

	/* Names agree, everything else disagrees: not a match, though the
	 * names alone would be. */
	PREP(&a, RECORD_PERSON, "name", "Ana Ruiz", "birth_date", "1990-05-06",
	     "address", "5 Elm St", "postcode", "78701", "id_number",
	     "ssn:111223333");
	PREP(&b, RECORD_PERSON, "name", "Ana Ruiz", "birth_date", "1961-12-30",
	     "address", "77 Oak Ave", "postcode", "10001", "id_number",
	     "ssn:999887777");
	score_compare(&a, &b, NULL, &ex);
	cr_assert_lt(ex.total, 0);
	cr_assert_not(score_is_match(&ex, NULL));
	free2(&a, &b);
}

Test(score, threshold_follows_the_index_size)
{
	const struct score_weights *w = score_weights_default();

	cr_assert_float_eq(score_threshold_for(1000), 9.9658, 1e-4);
	cr_assert_float_eq(score_threshold_for((size_t)1 << 20), 20.0, 1e-12);
	cr_assert_float_eq(score_threshold_for(0), 1.0, 1e-12);
	cr_assert_float_eq(w->threshold, 20.0, 1e-12);
	cr_assert(w->partial > 0 && w->partial <= 1);
	/* MISSING never weighs anything. */
	for (size_t f = 0; f < SCORE_FIELD__COUNT; f++) {
		cr_assert_eq(w->w[f][SCORE_L_MISSING], 0);
		/* More agreement never weighs less. */
		for (size_t l = SCORE_L_EXACT; l + 1 < SCORE_LEVEL__COUNT; l++)
			cr_assert_geq(w->w[f][l], w->w[f][l + 1], "%s %zu",
			              score_field_name((enum score_field)f), l);
	}
}

/* The table in score.h, which documents the defaults: the same numbers. */
Test(score, default_weights_are_the_documented_ones)
{
	static const double doc[SCORE_FIELD__COUNT][4] = {
		[SCORE_F_GIVEN] = { 7.13, 6.84, 1.20, -3.03 },
		[SCORE_F_SURNAME] = { 7.47, 6.99, -0.09, -3.74 },
		[SCORE_F_BIRTH] = { 14.80, 3.66, 3.66, -3.96 },
		[SCORE_F_ID] = { 21.74, 14.63, 14.63, -4.24 },
		[SCORE_F_HOUSE_NUMBER] = { 5.95, -1.48, -1.48, -2.85 },
		[SCORE_F_STREET] = { 10.78, 10.54, -0.45, -3.21 },
		[SCORE_F_ADDRESS_REST] = { 9.82, 9.80, 1.34, -3.69 },
		[SCORE_F_CITY] = { 9.47, 9.28, -0.15, -3.79 },
		[SCORE_F_POSTCODE] = { 9.52, 3.83, 3.83, -4.86 },
		[SCORE_F_STATE] = { 2.05, 2.05, 2.05, -4.11 },
		[SCORE_F_SEX] = { 0.97, 0.97, 0.97, -4.64 },
		[SCORE_F_PHONE] = { 19.78, 11.55, 11.55, -3.84 },
		[SCORE_F_COORDINATES] = { 12.55, 8.64, 3.32, -3.31 },
		[SCORE_F_PLATE] = { 19.78, 12.29, 8.23, -5.63 },
		[SCORE_F_VIN] = { 23.18, 14.87, 14.87, -5.64 },
		[SCORE_F_MAKE] = { 3.17, 1.32, 1.32, -4.14 },
		[SCORE_F_MODEL] = { 5.41, 2.32, 2.32, -3.28 },
		[SCORE_F_COLOR] = { 2.42, 0, 0, -2.42 },
		[SCORE_F_BUSINESS_NAME] = { 12.77, 8.64, 3.32, -4.32 },
		[SCORE_F_BUSINESS_TYPE] = { 2.00, 1.00, 1.00, -2.91 },
	};
	const struct score_weights *w = score_weights_default();

	for (size_t f = 0; f < SCORE_FIELD__COUNT; f++)
		for (size_t l = 0; l < 4; l++)
			cr_assert_float_eq(
			    w->w[f][l + 1], doc[f][l], 1e-9, "%s level %zu",
			    score_field_name((enum score_field)f), l + 1);
	cr_assert_float_eq(w->partial, 0.75, 1e-12);
}

Test(score, symmetric)
{
	struct score_record r[6];
	struct score_explain x, y;

	PREP(&r[0], RECORD_PERSON, "name", "Ma. Guadalupe Hernández López",
	     "aliases", "Lupita", "birth_date", "1985-03", "phone",
	     "512-555-0142");
	PREP(&r[1], RECORD_PERSON, "given_name", "Lupe", "family_name",
	     "Hernandes", "birth_date", "1985-03-07", "phone",
	     "512-555-0124; 956 555 0100");
	PREP(&r[2], RECORD_PERSON, "name", "Bill Smith", "address",
	     "12 Main St", "sex", "M");
	PREP(&r[3], RECORD_PHONE, "phone", "956-555-0100", "name",
	     "William Smythe");
	PREP(&r[4], RECORD_BUSINESS, "name", "Smith Farms", "phone",
	     "956-555-0100", "address", "12 Main Street");
	PREP(&r[5], RECORD_VEHICLE, "plate", "ABO123");
	for (size_t i = 0; i < 6; i++) {
		for (size_t j = 0; j < 6; j++) {
			double a = score_compare(&r[i], &r[j], NULL, &x);
			double b = score_compare(&r[j], &r[i], NULL, &y);
			cr_assert_eq(a, b, "%zu %zu: %f %f", i, j, a, b);
			cr_assert_eq(x.n, y.n);
			for (size_t k = 0; k < x.n; k++) {
				cr_assert_eq(x.item[k].field, y.item[k].field);
				cr_assert_eq(x.item[k].level, y.item[k].level);
			}
		}
	}
	for (size_t i = 0; i < 6; i++)
		score_record_free(&r[i]);
}

Test(score, names_entered_the_other_way_round)
{
	struct score_record a, b;
	struct score_explain x, y;
	struct match_keys ka, kb;
	char line[256];
	bool shared = false;

	PREP(&a, RECORD_PERSON, "given_name", "Lucy", "family_name",
	     "Fitzpatrick", "postcode", "3500");
	PREP(&b, RECORD_PERSON, "given_name", "Fitzpatrick", "family_name",
	     "Lucey", "postcode", "3500");
	score_compare(&a, &b, NULL, &x);
	score_compare(&b, &a, NULL, &y);
	cr_assert(x.names_swapped);
	cr_assert(y.names_swapped);
	cr_assert_eq(x.total, y.total);
	cr_assert_eq(level_of(&x, SCORE_F_SURNAME), SCORE_L_EXACT);
	cr_assert_eq(level_of(&x, SCORE_F_GIVEN), SCORE_L_CLOSE);
	cr_assert_eq(level_of(&y, SCORE_F_GIVEN), SCORE_L_CLOSE);
	cr_assert(score_is_match(&x, NULL));
	score_explain_format(&x, line, sizeof(line));
	cr_assert(strstr(line, "(names swapped):"), "%s", line);
	/* They meet through the postcode and name keys. */
	score_keys(&a, nick, &ka);
	score_keys(&b, nick, &kb);
	for (size_t i = 0; i < ka.n; i++)
		shared = shared || has_key(&kb, ka.key[i]);
	cr_assert(shared);
	cr_assert(has_key(&kb, "pn:3500:fitz"));
	/* In the right order, nothing is swapped. */
	score_compare(&a, &a, NULL, &x);
	cr_assert_not(x.names_swapped);
	free2(&a, &b);
}

/* ---- top k ------------------------------------------------------------- */

Test(score, topk_keeps_the_best_in_order)
{
	struct score_hit slot[5];
	struct score_topk t;
	double all[200];
	size_t n;

	score_topk_init(&t, slot, 5);
	/* A fixed pseudo-random sequence with ties. */
	for (size_t i = 0; i < 200; i++) {
		all[i] = (double)((i * 7919) % 101) / 4.0;
		score_topk_offer(&t, all[i], i);
	}
	n = score_topk_sorted(&t);
	cr_assert_eq(n, 5);
	/* The best: 100/4 = 25.0 reached by the i with i*7919 % 101 == 100,
	 * twice in 200 (ids in order); then 99/4 twice, then 98/4. */
	for (size_t k = 0; k + 1 < n; k++) {
		cr_assert(slot[k].weight > slot[k + 1].weight ||
		          (slot[k].weight == slot[k + 1].weight &&
		           slot[k].id < slot[k + 1].id));
	}
	cr_assert_float_eq(slot[0].weight, 25.0, 1e-12);
	cr_assert_float_eq(slot[1].weight, 25.0, 1e-12);
	cr_assert_float_eq(slot[4].weight, 24.5, 1e-12);
	for (size_t k = 0; k < n; k++)
		cr_assert_float_eq(all[slot[k].id], slot[k].weight, 1e-12);
	/* Nothing better was left out. */
	size_t better = 0;
	for (size_t i = 0; i < 200; i++)
		better += all[i] > slot[4].weight;
	cr_assert_leq(better, 4);
}

Test(score, topk_small_and_empty)
{
	struct score_hit slot[3];
	struct score_topk t;

	score_topk_init(&t, slot, 3);
	cr_assert(score_topk_offer(&t, 1.0, 7));
	cr_assert(score_topk_offer(&t, 2.0, 9));
	cr_assert_not(score_topk_offer(&t, NAN, 1));
	cr_assert_eq(score_topk_sorted(&t), 2);
	cr_assert_eq(slot[0].id, 9);
	cr_assert_eq(slot[1].id, 7);
	/* Equal weights: the lower id wins, whatever the order. */
	score_topk_init(&t, slot, 1);
	score_topk_offer(&t, 5.0, 30);
	cr_assert(score_topk_offer(&t, 5.0, 20));
	cr_assert_not(score_topk_offer(&t, 5.0, 25));
	cr_assert_eq(score_topk_sorted(&t), 1);
	cr_assert_eq(slot[0].id, 20);
	score_topk_init(&t, slot, 0);
	cr_assert_not(score_topk_offer(&t, 1.0, 1));
	cr_assert_eq(score_topk_sorted(&t), 0);
}

Test(score, topk_ranks_the_true_record_first)
{
	struct score_record query, recs[4];
	struct score_hit slot[2];
	struct score_topk t;

	PREP(&query, RECORD_PERSON, "name", "Lupe Hernandes", "phone",
	     "512 555 0142");
	PREP(&recs[0], RECORD_PERSON, "name", "Luis Hernández");
	PREP(&recs[1], RECORD_PERSON, "name", "Guadalupe Fernández");
	PREP(&recs[2], RECORD_PERSON, "name", "Ma. Guadalupe Hernández López",
	     "phone", "(512) 555-0142");
	PREP(&recs[3], RECORD_PERSON, "name", "Lupe Hernandes", "phone",
	     "212 555 0199");
	score_topk_init(&t, slot, 2);
	for (size_t i = 0; i < 4; i++)
		score_topk_offer(
		    &t, score_compare(&query, &recs[i], NULL, NULL), i);
	cr_assert_eq(score_topk_sorted(&t), 2);
	cr_assert_eq(slot[0].id, 2);
	cr_assert_eq(slot[1].id, 3);
	score_record_free(&query);
	for (size_t i = 0; i < 4; i++)
		score_record_free(&recs[i]);
}

/* ---- keys -------------------------------------------------------------- */

Test(score, keys_person)
{
	struct score_record p;
	struct match_keys k;

	PREP(&p, RECORD_PERSON, "given_name", "Lupe", "family_name",
	     "Hernández", "birth_date", "1985-03-07", "phone", "512-555-0142",
	     "id_number", "ssn:123-45-6789", "postcode", "78701", "address",
	     "12 Main Street");
	score_keys(&p, nick, &k);
	cr_assert(has_key(&k, "ph:+15125550142"));
	cr_assert(has_key(&k, "id:ssn:123456789"));
	cr_assert(has_key(&k, "ad:12|MAIN ST"));
	cr_assert(has_key(&k, "dob:1985-03-07"));
	cr_assert(has_key(&k, "sny:hernandez:1985"));
	cr_assert(has_key(&k, "sn:hern"));
	cr_assert(has_key(&k, "snp:HRNN"));
	cr_assert(has_key(&k, "gi:lupe:h"));
	cr_assert(has_key(&k, "gi:guadalupe:h")); /* nickname's formal */
	cr_assert(has_key(&k, "gb:lupe:03-07"));
	cr_assert(has_key(&k, "gb:guadalupe:03-07"));
	cr_assert(has_key(&k, "pn:78701:lupe"));
	cr_assert(has_key(&k, "pn:78701:hern"));
	cr_assert_not(k.truncated);
	/* The most selective first: the phone. */
	cr_assert_str_eq(k.key[0], "ph:+15125550142");
	for (size_t i = 0; i < k.n; i++)
		for (size_t j = i + 1; j < k.n; j++)
			cr_assert_str_neq(k.key[i], k.key[j]);
	score_record_free(&p);
}

Test(score, keys_without_a_surname_or_a_name)
{
	struct score_record a, b, c;
	struct match_keys ka, kb, kc;

	/* The surname missing on one side: given name and birthday meet. */
	PREP(&a, RECORD_PERSON, "given_name", "Grace", "birth_date",
	     "1997-04-26", "city", "Hull");
	PREP(&b, RECORD_PERSON, "given_name", "Grace", "family_name", "Kelly",
	     "birth_date", "1991-04-26");
	score_keys(&a, nick, &ka);
	score_keys(&b, nick, &kb);
	cr_assert(has_key(&ka, "gb:grace:04-26"));
	cr_assert(has_key(&kb, "gb:grace:04-26"));
	/* No name at all: the date of birth is still a key. */
	PREP(&c, RECORD_PERSON, "birth_date", "2015-03-03", "city",
	     "Portsmouth");
	score_keys(&c, nick, &kc);
	cr_assert_eq(kc.n, 1);
	cr_assert_str_eq(kc.key[0], "dob:2015-03-03");
	free2(&a, &b);
	score_record_free(&c);
}

/* Two points 30 m apart across a cell boundary still share a cell. */
Test(score, geo_keys_meet_across_a_boundary)
{
	struct score_record a, b, far;
	struct match_keys ka, kb, kf;
	size_t shared = 0;

	PREP(&a, RECORD_LOCATION, "latitude", "30.26999", "longitude",
	     "-97.74001");
	PREP(&b, RECORD_LOCATION, "latitude", "30.27001", "longitude",
	     "-97.73999");
	PREP(&far, RECORD_LOCATION, "latitude", "30.30000", "longitude",
	     "-97.74000");
	score_keys(&a, nick, &ka);
	score_keys(&b, nick, &kb);
	score_keys(&far, nick, &kf);
	cr_assert_eq(ka.n, 4);
	for (size_t i = 0; i < ka.n; i++)
		shared += has_key(&kb, ka.key[i]);
	cr_assert_geq(shared, 1);
	cr_assert_str_neq(ka.key[0], kb.key[0]); /* grid 0 splits them */
	for (size_t i = 0; i < ka.n; i++)
		cr_assert_not(has_key(&kf, ka.key[i]), "%s", ka.key[i]);
	free2(&a, &b);
	score_record_free(&far);
}

Test(score, keys_of_every_kind)
{
	struct score_record v, b, l, h, person;
	struct match_keys k;

	PREP(&v, RECORD_VEHICLE, "plate", "ABO 123", "vin",
	     "1HGCM82633A004352");
	score_keys(&v, nick, &k);
	cr_assert(has_key(&k, "pl:A80123"));
	cr_assert(has_key(&k, "vin:1HGCM82633A004352"));
	cr_assert_eq(k.n, 2);

	PREP(&b, RECORD_BUSINESS, "name", "The García Farms, LLC", "phone",
	     "956-555-0100", "address", "400 FM 1015");
	score_keys(&b, nick, &k);
	cr_assert(has_key(&k, "bn:garcia"));
	cr_assert(has_key(&k, "bn:farms"));
	cr_assert(has_prefix(&k, "bnp:"));
	cr_assert(has_key(&k, "ph:+19565550100"));
	cr_assert(has_prefix(&k, "ad:400|"));
	/* Fillers and legal forms are not keys; no person keys. */
	cr_assert_not(has_key(&k, "bn:the"));
	cr_assert_not(has_key(&k, "bn:llc"));
	cr_assert_not(has_prefix(&k, "sn:"));

	PREP(&l, RECORD_LOCATION, "address", "5 Elm St", "latitude", "30.267",
	     "longitude", "-97.743");
	score_keys(&l, nick, &k);
	cr_assert(has_key(&k, "ad:5|ELM ST"));
	cr_assert(has_key(&k, "geo:0:3026:-9775"));
	cr_assert(has_key(&k, "geo:3:3027:-9774"));
	cr_assert_eq(k.n, 5);

	PREP(&h, RECORD_PHONE, "phone", "956.555.0100");
	score_keys(&h, nick, &k);
	cr_assert_eq(k.n, 1);
	cr_assert_str_eq(k.key[0], "ph:+19565550100");

	/* A person named García and the business: families never meet. */
	PREP(&person, RECORD_PERSON, "name", "Ana García");
	score_keys(&person, nick, &k);
	cr_assert(has_key(&k, "sn:garc"));
	cr_assert_not(has_prefix(&k, "bn:"));

	free2(&v, &b);
	free2(&l, &h);
	score_record_free(&person);
}

/* A query built from the fields of a record gets the record's keys. */
Test(score, keys_same_for_record_and_query)
{
	struct record stored, query;
	struct score_record ps, pq;
	struct match_keys ks, kq;

	build(&stored, RECORD_PERSON, "given_name", "Ma. Guadalupe",
	      "family_name", "Hernández López", "aliases", "Lupe Hernandes",
	      "birth_date", "1985-03-07", "phone", "512-555-0142", "postcode",
	      "78701", "notes", "seen at the farm", (const char *)NULL);
	record_init(&query, RECORD_PERSON);
	for (size_t f = 0; f < RECORD_FIELD__COUNT; f++) {
		if (f == RECORD_F_NOTES || !stored.field[f])
			continue;
		cr_assert_eq(record_set(&query, (enum record_field)f,
		                        stored.field[f], NULL),
		             HTD_OK);
	}
	prepare(&stored, &ps);
	prepare(&query, &pq);
	score_keys(&ps, nick, &ks);
	score_keys(&pq, nick, &kq);
	cr_assert_eq(ks.n, kq.n);
	cr_assert_gt(ks.n, 10);
	for (size_t i = 0; i < ks.n; i++)
		cr_assert_str_eq(ks.key[i], kq.key[i]);

	/* A partial query (the issue's) shares a key with the record. */
	struct score_record part;
	struct match_keys kp;
	bool shared = false;
	PREP(&part, RECORD_PERSON, "name", "Lupe Hernandes");
	score_keys(&part, nick, &kp);
	for (size_t i = 0; i < kp.n; i++)
		shared = shared || has_key(&ks, kp.key[i]);
	cr_assert(shared);
	free2(&ps, &pq);
	score_record_free(&part);
}

/* ---- bounded ----------------------------------------------------------- */

Test(score, one_letter_and_ten_kilobytes)
{
	struct record r;
	struct score_record one, big, full;
	struct score_explain ex;
	struct match_keys k;
	size_t size = 10 * 1024;
	char *huge = malloc(size + 1);

	cr_assert_not_null(huge);
	PREP(&one, RECORD_PERSON, "name", "a");
	score_keys(&one, nick, &k);
	cr_assert_leq(k.n, MATCH_KEYS_MAX);

	/* record_set() refuses 10 KB; a query built in code may not go
	 * through it, so the field is set directly. */
	for (size_t i = 0; i < size; i++)
		huge[i] = "Guadalupe Hernández ;"[i % 22];
	huge[size] = '\0';
	record_init(&r, RECORD_PERSON);
	r.field[RECORD_F_NAME] = huge;
	r.field[RECORD_F_ALIASES] = huge;
	r.field[RECORD_F_PHONE] = huge;
	r.field[RECORD_F_ID_NUMBER] = huge;
	r.field[RECORD_F_ADDRESS] = huge;
	r.field[RECORD_F_CITY] = huge;
	cr_assert_eq(score_prepare(&r, nick, &big, NULL), HTD_OK);
	cr_assert(big.truncated);
	cr_assert_leq(big.n_names, SCORE_NAMES_MAX);
	cr_assert_eq(big.n_phones, 0);
	cr_assert_lt(strlen(big.city), SCORE_TEXT_SIZE);
	score_keys(&big, nick, &k);
	cr_assert_leq(k.n, MATCH_KEYS_MAX);
	for (size_t i = 0; i < k.n; i++)
		cr_assert_lt(strlen(k.key[i]), MATCH_KEY_SIZE);
	PREP(&full, RECORD_PERSON, "name", "Guadalupe Hernández");
	score_compare(&big, &full, NULL, &ex);
	cr_assert_eq(level_of(&ex, SCORE_F_GIVEN), SCORE_L_EXACT);
	score_compare(&one, &full, NULL, &ex);
	cr_assert_not(score_is_match(&ex, NULL));
	free(huge);
	free2(&one, &big);
	score_record_free(&full);
}
