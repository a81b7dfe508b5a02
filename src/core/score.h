/*
 * score.h - record linkage for NENA step 7 (search agency records): a
 * record (core/record.h) is brought once to a prepared, comparable form;
 * that form gives the blocking keys the index stores and looks up, and two
 * prepared records are compared field by field into a Fellegi-Sunter match
 * weight with an explanation an investigator can read. Issue 7: "Ma.
 * Guadalupe Hernández" must meet "Lupe Hernandes".
 *
 * Pure: no I/O, no clock, no mutable global state. The nickname table
 * (core/match.h) is the caller's and only read.
 *
 * Ownership: a struct score_record owns what score_prepare() allocates
 * (the parsed names); free it with score_record_free(). Everything else is
 * written into caller-owned structs of fixed size. Input is bounded by
 * record.h's caps (RECORD_VALUE_MAX per field) and by core/match.h's (names
 * and addresses are cut, not refused), so every function here runs in
 * bounded time whatever the record holds: a one-letter query or a 10 KB one
 * costs at most the same as a full record.
 */
#ifndef HTD_CORE_SCORE_H
#define HTD_CORE_SCORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/match.h"
#include "core/phonetic.h"
#include "core/record.h"
#include "util/error.h"

/* ---- the prepared record ----------------------------------------------- */

/* Name forms kept: the name (given_name + family_name, or name) and then
 * the aliases, in order; later aliases are dropped (`truncated` set). */
#define SCORE_NAMES_MAX 8
/* Identifiers ("type:value", record.h id_number) kept; later dropped. */
#define SCORE_IDS_MAX 4
#define SCORE_ID_SIZE 80
/* Phone numbers (record.h phone, separated by ";") kept. */
#define SCORE_PHONES_MAX 4
/* Folded short texts: city, state, country, make, model, color, types. */
#define SCORE_TEXT_SIZE 64
/* Postcodes: letters and digits, upper case ("78701", "SW1A1AA"). */
#define SCORE_POSTCODE_SIZE 16
/* A VIN: 17 characters, upper case, I/O/Q never valid (ISO 3779). */
#define SCORE_VIN_SIZE 18

/* Formal names kept per record (the first found; later dropped). */
#define SCORE_FORMAL_MAX 32

/* A formal name of given name names[name].given[given]. */
struct score_formal {
	unsigned char name;
	unsigned char given;
	char text[MATCH_NAME_WORD_MAX + 1];
};

/* A surname form as it is compared: the surname or one of its
 * alternatives (struct match_name) without spaces, and its Double
 * Metaphone codes, computed once at score_prepare(). */
struct score_surname {
	char text[MATCH_NAME_MAX + 1];
	char primary[PHONETIC_DOUBLE_METAPHONE_SIZE];
	char alternate[PHONETIC_DOUBLE_METAPHONE_SIZE];
};

#define SCORE_SURNAMES_MAX (MATCH_NAME_ALTS_MAX + 1)

/* Every surname form of one name: surname first, then surname_alt. */
struct score_surnames {
	struct score_surname form[SCORE_SURNAMES_MAX];
	size_t n;
};

/*
 * One record as the matcher compares it. Absent parts are "", 0 or false;
 * score_compare() counts a part absent on either side as no evidence.
 * Every string is NUL-terminated.
 */
struct score_record {
	enum record_kind kind;

	/* Persons (and a phone's subscriber): the name then the aliases,
	 * parsed by match_name_parse(). Owned array of n_names entries (NULL
	 * when none). Businesses keep their names in `business` instead. */
	struct match_name *names;
	size_t n_names;
	/* The surname forms of names[i], for i < n_names. Owned array. */
	struct score_surnames *surnames;
	/* The formal names of the given names that are nicknames in the
	 * table given to score_prepare() ("lupe" -> "guadalupe"), so that
	 * score_compare() needs no table. Owned array (NULL when none). */
	struct score_formal *formal;
	size_t n_formal;

	/* Businesses: the name then the aliases, folded as names are (lower
	 * case, no accents, single spaces), legal forms kept ("llc"). Owned
	 * array of SCORE_NAMES_MAX names, n_business of them used; NULL when
	 * none. */
	char (*business)[MATCH_NAME_MAX + 1];
	size_t n_business;
	char business_type[SCORE_TEXT_SIZE];

	struct match_date birth; /* all zero when unknown */
	char sex;                /* 'f', 'm', 'x'; 0 unknown ("U" too) */

	/* Identifiers, "type:value" with the type folded to lower case and
	 * the value to upper-case letters and digits ("ssn:123456789",
	 * "dl:TX:12345"); a value without a type is kept as ":VALUE". */
	char ids[SCORE_IDS_MAX][SCORE_ID_SIZE];
	size_t n_ids;

	/* E.164 ("+15125550142"); numbers that do not normalise are dropped
	 * (`bad_phones` counts them). */
	char phones[SCORE_PHONES_MAX][MATCH_PHONE_E164_SIZE];
	size_t n_phones;
	size_t bad_phones;

	struct match_address address; /* USPS form; has_address when found */
	bool has_address;
	/* The unit and what follows the street, as one text compared:
	 * "4 AUSTIN TX 78701"; "" when neither. */
	char address_more[MATCH_ADDRESS_UNIT_SIZE + MATCH_ADDRESS_MAX + 2];
	char city[SCORE_TEXT_SIZE];  /* folded, upper case as addresses */
	char state[SCORE_TEXT_SIZE]; /* folded, upper case */
	char postcode[SCORE_POSTCODE_SIZE];
	char country[SCORE_TEXT_SIZE]; /* folded, upper case */
	double latitude, longitude;
	bool has_coordinates;

	/* Vehicles. */
	struct match_plate plate; /* "" when none */
	char plate_state[SCORE_TEXT_SIZE];
	char make[SCORE_TEXT_SIZE];
	char model[SCORE_TEXT_SIZE];
	char color[SCORE_TEXT_SIZE];
	char vin[SCORE_VIN_SIZE];

	/* Some input was cut or dropped (a name over its caps, more aliases,
	 * identifiers or phones than kept): the record is compared on what
	 * was kept. */
	bool truncated;
};

/*
 * Prepares `r` (borrowed) into `out` (which it first zeroes; free it with
 * score_record_free() after success or failure). `nn` (may be NULL) helps
 * tell given names from surnames in names of three words or more. Notes
 * are never read.
 *
 * A record with nothing to compare is valid (a query may be partial: a
 * name only, or a phone only); values that do not normalise (a phone with
 * too few digits, a plate of punctuation, a date out of range) are
 * dropped, as a record would be compared without them. Returns HTD_OK;
 * HTD_ERR_INVALID (err->field the field, may be NULL) only when `r` is
 * NULL or its kind is out of range.
 */
enum htd_err score_prepare(const struct record *r,
                           const struct match_nicknames *nn,
                           struct score_record *out, struct htd_error *err);

/* Frees what `p` owns and zeroes it; accepts NULL. */
void score_record_free(struct score_record *p);

/* ---- blocking keys ----------------------------------------------------- */

/*
 * Key families beyond core/match.h's person keys (sn:, sny:, snp:, dob:,
 * gi:, ph:). A family names what the key is made of, not the kind of the
 * record it came from, so the families never collide and a phone or an
 * address met on a person, a business and a phone record gives the same
 * key: that is how a call's phone finds the employer that uses it.
 */
#define SCORE_KEY_ID "id:"            /* an identifier, "id:ssn:123456789" */
#define SCORE_KEY_ADDRESS "ad:"       /* number and street: "ad:12|N MAIN ST" */
#define SCORE_KEY_POSTCODE_NAME "pn:" /* postcode, a name's first 4 letters */
#define SCORE_KEY_GIVEN_BIRTH "gb:"   /* given name, month and day of birth */
#define SCORE_KEY_PLATE "pl:"         /* folded plate, "pl:A80123" */
#define SCORE_KEY_VIN "vin:"          /* the whole VIN */
#define SCORE_KEY_BUSINESS "bn:"      /* a folded word of a business name */
#define SCORE_KEY_BUSINESS_PHONETIC "bnp:" /* its Double Metaphone */
#define SCORE_KEY_GEO "geo:" /* a ~1 km cell on one of four grids */

/*
 * Writes the blocking keys of `p` into `out` (replacing its contents),
 * distinct, most selective first, and returns out->n. Cannot fail; over
 * MATCH_KEYS_MAX keys the rest are dropped and out->truncated set.
 *
 * THE SAME FUNCTION MAKES THE KEYS OF A STORED RECORD (at import) AND OF A
 * QUERY (at search): a query is a record built from what is known (kind
 * and the fields given), prepared with score_prepare(). A query built from
 * a record's fields gets that record's keys, and a stored index stays
 * valid only as long as this function gives the same keys: changing it
 * means re-indexing. A given name alone makes no key (every "Maria" would
 * be a candidate): it is searched with a surname, a date of birth, a
 * phone or a postcode.
 *
 *   persons   id: for each identifier; gb: each given name (and its
 *             formal names) with the month and day of birth
 *             ("gb:maria:03-07": a surname missing, misspelt or changed
 *             still meets); match_person_keys() of each name form with
 *             the date of birth (sn:, sny:, snp:, dob:, gi:; dob: also
 *             without a name); pn: the postcode with the first 4
 *             letters of the first given name, and with those of the
 *             surname (one family, so given name and surname entered
 *             the other way round still meet)
 *   all kinds ph: for each phone, ad: for the address, geo: for the
 *             coordinates (four keys: cells of 0.01 degree on grids
 *             shifted by half a cell, so points within about 500 m always
 *             share one)
 *   vehicles  pl: the folded plate (O/0, I/1, B/8 confusions meet), vin:
 *   business  bn: each word of each name of 3 letters or more that is not
 *             a legal form or a filler ("llc", "inc", "the", "and"), and
 *             bnp: its Double Metaphone; id: for identifiers (a tax id)
 *
 * Keys differ in selectivity: a phone, identifier or VIN names one record;
 * snp: of a common surname or pn: of a large postcode may name thousands.
 * An index should look keys up in this order and cap the candidates it
 * takes from one key.
 *
 * `nn` (may be NULL) adds the formal names of nicknames to gi: keys
 * ("lupe" -> gi:guadalupe:h); it must be the same table at import and at
 * search.
 */
size_t score_keys(const struct score_record *p,
                  const struct match_nicknames *nn, struct match_keys *out);

/* ---- comparison -------------------------------------------------------- */

/*
 * The fields compared: X(ENUM, stable name, label for a person to read).
 */
#define SCORE_FIELDS(X)                                      \
	X(GIVEN, "given_name", "given name")                 \
	X(SURNAME, "surname", "surname")                     \
	X(BIRTH, "birth_date", "date of birth")              \
	X(SEX, "sex", "sex")                                 \
	X(ID, "id_number", "identifier")                     \
	X(PHONE, "phone", "phone")                           \
	X(HOUSE_NUMBER, "house_number", "house number")      \
	X(STREET, "street", "street")                        \
	X(ADDRESS_REST, "address_rest", "unit and locality") \
	X(CITY, "city", "city")                              \
	X(POSTCODE, "postcode", "postcode")                  \
	X(STATE, "state", "state")                           \
	X(COORDINATES, "coordinates", "coordinates")         \
	X(PLATE, "plate", "plate")                           \
	X(VIN, "vin", "VIN")                                 \
	X(MAKE, "make", "make")                              \
	X(MODEL, "model", "model")                           \
	X(COLOR, "color", "color")                           \
	X(BUSINESS_NAME, "business_name", "business name")   \
	X(BUSINESS_TYPE, "business_type", "business type")

enum score_field {
/* clang-format off */
#define SCORE_FIELD_ENUM(e, n, l) SCORE_F_##e,
	SCORE_FIELDS(SCORE_FIELD_ENUM)
#undef SCORE_FIELD_ENUM
	SCORE_FIELD__COUNT
	/* clang-format on */
};

/*
 * How far two values agree: X(ENUM, stable name, label). Each field's
 * comparator maps its similarity onto these ordered levels. MISSING (absent
 * on either side) always weighs 0: a partial query is neither helped nor
 * hurt by what it does not say. JW is Jaro-Winkler (core/strsim.h); "one
 * edit" is one character changed, added, dropped or two swapped.
 *
 *   given_name    the best pair of given names of the best pair of name
 *                 forms: equal or nickname-related exact, JW >= 0.90
 *                 close, >= 0.75 or an agreeing initial fair
 *   surname       the best pair of surname forms (a double surname meets
 *                 either one): equal exact, JW >= 0.90 close (or >= 0.80
 *                 with the same Double Metaphone), >= 0.75 or the same
 *                 Double Metaphone fair. Given name and surname are also
 *                 compared crosswise for names entered the other way round
 *                 (score_explain.names_swapped)
 *   birth_date    match_date_similarity(): 1 exact, 0.7-0.9 (a part
 *                 unknown on one side, day and month swapped, one typo)
 *                 close, 0.4-0.6 fair
 *   id_number     of the same type: equal exact, one edit (5 characters
 *                 or more) close; types the other side lacks are missing
 *   phone         any pair: equal exact, one edit close
 *   house_number, postcode, vin   equal exact, one edit close
 *   street, address_rest, city    equal exact, then JW 0.90 / 0.75
 *   state, sex    equal exact, else different
 *   coordinates   within 50 m exact, 250 m close, 1 km fair
 *   plate         equal exact, equal once O/0, I/1, B/8, S/5, Z/2 are
 *                 folded close, one edit fair; a different plate state
 *                 lowers it a level
 *   make, model, color   equal exact, JW >= 0.85 close
 *   business_type equal exact, JW >= 0.90 close
 *   business_name the best pair of names: equal exact, JW 0.92 / 0.80
 */
#define SCORE_LEVELS(X)                                  \
	X(MISSING, "missing", "not known on both sides") \
	X(EXACT, "exact", "the same")                    \
	X(CLOSE, "close", "nearly the same")             \
	X(FAIR, "fair", "somewhat alike")                \
	X(DIFFERENT, "different", "different")

enum score_level {
/* clang-format off */
#define SCORE_LEVEL_ENUM(e, n, l) SCORE_L_##e,
	SCORE_LEVELS(SCORE_LEVEL_ENUM)
#undef SCORE_LEVEL_ENUM
	SCORE_LEVEL__COUNT
	/* clang-format on */
};

/*
 * Fellegi-Sunter weights: w[f][l] = log2(m / u), m the share of true
 * matches whose field f agrees at level l, u the share of non-matches.
 * w[f][SCORE_L_MISSING] is 0. A pair's weight is the sum over its fields.
 *
 * It is a match (score_is_match()) when the sum reaches `threshold`, or,
 * for a pair compared on few fields (a partial query: a name only), when
 * it reaches `partial` times the most those fields could give (the sum of
 * their exact weights), whichever is lower: a name-only query cannot
 * reach a threshold set for whole records, yet "Lupe Hernandes" does
 * match "Ma. Guadalupe Hernández" as far as a name can.
 */
struct score_weights {
	double w[SCORE_FIELD__COUNT][SCORE_LEVEL__COUNT];
	double threshold;
	double partial; /* in (0, 1] */
};

/*
 * The default weights and threshold. Returns a static table; never NULL.
 *
 *   field          exact  close   fair  different   derived from
 *   given_name      7.13   6.84   1.20   -3.03      counted on FEBRL
 *   surname         7.47   6.99  -0.09   -3.74      datasets 1 and 2
 *   birth_date     14.80   3.66   3.66   -3.96      (bench_febrl --train):
 *   id_number      21.74  14.63  14.63   -4.24      m over their 2,434 true
 *   house_number    5.95  -1.48  -1.48   -2.85      pairs, u over 2,000,000
 *   street         10.78  10.54  -0.45   -3.21      random other pairs,
 *   address_rest    9.82   9.80   1.34   -3.69      levels pooled to be
 *   city            9.47   9.28  -0.15   -3.79      monotone; never on
 *   postcode        9.52   3.83   3.83   -4.86      datasets 3, 4a, 4b
 *   state           2.05   2.05   2.05   -4.11
 *   sex             0.97   0.97   0.97   -4.64      assumed m and u, each
 *   phone          19.78  11.55  11.55   -3.84      written beside it in
 *   coordinates    12.55   8.64   3.32   -3.31      score.c (a phone: m 0.9
 *   plate          19.78  12.29   8.23   -5.63      the same, u 1e-6)
 *   vin            23.18  14.87  14.87   -5.64
 *   make            3.17   1.32   1.32   -4.14
 *   model           5.41   2.32   2.32   -3.28
 *   color           2.42   0      0      -2.42
 *   business_name  12.77   8.64   3.32   -4.32
 *   business_type   2.00   1.00   1.00   -2.91
 *
 * A level a field's comparator cannot give carries the weight of the one
 * before. threshold 20 = score_threshold_for() an index of about a million
 * records (FEBRL cannot set it: on its training pairs F1 is within 0.001
 * of the best from 3.2 to 24.9); partial 0.75.
 */
const struct score_weights *score_weights_default(void);

/*
 * The threshold at which a pair is more likely a match than not when the
 * index holds `records` records (each person in it about once): the
 * weights are log2 likelihood ratios against a random pair, whose prior
 * odds of being the same person are about 1 in `records`, so the weight
 * must reach log2(records). 1,000 gives 10.0; 1,000,000 gives 19.9.
 * Counts under 2 are read as 2 (1.0). Copy the defaults and set
 * .threshold to it to fit a smaller or larger index.
 */
double score_threshold_for(size_t records);

/* One field's part of a pair's weight. */
struct score_explain_item {
	enum score_field field;
	enum score_level level;
	double similarity; /* the comparator's similarity in [0, 1] */
	double weight;     /* w[field][level] */
};

/* Why a pair weighs what it does: every field compared, in field order
 * (fields missing on both sides are left out). */
struct score_explain {
	struct score_explain_item item[SCORE_FIELD__COUNT];
	size_t n;
	double total;
	double attainable; /* the sum of w[field][EXACT] of those fields */
	/* The names agreed best crosswise: one side's given name was the
	 * other's surname ("Fitzpatrick Lucy" for "Lucy Fitzpatrick"). */
	bool names_swapped;
};

/*
 * Compares prepared records `a` and `b` (borrowed) under weights `w` (NULL:
 * the defaults) and returns the match weight: the sum over the fields of
 * w[field][level]. The same both ways: score_compare(a, b) ==
 * score_compare(b, a). Fills `ex` (may be NULL) with the per-field
 * explanation. Records of different kinds are compared on the fields
 * they share (a person's phone and a phone record's). Cannot fail; bounded
 * time (every part is capped).
 */
double score_compare(const struct score_record *a, const struct score_record *b,
                     const struct score_weights *w, struct score_explain *ex);

/*
 * True when the pair `ex` explains is a match under weights `w` (NULL: the
 * defaults): its total reaches the lower of w->threshold and w->partial x
 * ex->attainable (see struct score_weights). A pair with no field compared
 * is never a match. NULL `ex` gives false.
 */
bool score_is_match(const struct score_explain *ex,
                    const struct score_weights *w);

/* Returns "given_name", ...; "unknown" when out of range. */
const char *score_field_name(enum score_field f);
/* Returns "given name", ... for a person to read; "unknown" out of range. */
const char *score_field_label(enum score_field f);
/* Returns "exact", ...; "unknown" when out of range. */
const char *score_level_name(enum score_level l);
/* Returns "the same", ...; "unknown" when out of range. */
const char *score_level_label(enum score_level l);

/*
 * Writes `ex` as one line a person can read into out[size], cut to fit
 * (always NUL-terminated when size > 0):
 * "23.4: given name exact (+7.0), surname close (+7.6), phone different
 * (-3.8)", with " (names swapped)" after the total when they were.
 * Returns false when it was cut.
 */
bool score_explain_format(const struct score_explain *ex, char *out,
                          size_t size);

/* ---- top k ------------------------------------------------------------- */

/* A candidate: its weight and the caller's id for it (a row id, an index). */
struct score_hit {
	double weight;
	uint64_t id;
};

/*
 * The best k candidates of a search, in a min-heap over caller-owned
 * storage: offering a candidate costs O(log k) and never allocates. Better
 * is a higher weight; of equal weights the lower id (so results do not
 * depend on the order candidates arrive in).
 */
struct score_topk {
	struct score_hit *slot; /* borrowed, k entries */
	size_t k;
	size_t n;
};

/* Starts an empty top-k over `slot` (borrowed, `k` entries; k may be 0). */
void score_topk_init(struct score_topk *t, struct score_hit *slot, size_t k);

/* Offers a candidate; returns true when it is among the best k so far. */
bool score_topk_offer(struct score_topk *t, double weight, uint64_t id);

/* Sorts the kept candidates best first in place (t->slot) and returns how
 * many there are; the heap is then spent: init again before offering. */
size_t score_topk_sorted(struct score_topk *t);

#endif
