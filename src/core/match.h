/*
 * match.h - the normalisers of record linkage (NENA step 7: search agency
 * records): names, nicknames, dates of birth, phone numbers, addresses and
 * vehicle plates are brought to comparable forms, and a person is given a
 * few blocking keys to be looked up by. Issue 7: a search must find
 * "Ma. Guadalupe Hernández" when the record says "Lupe Hernandes".
 *
 * Pure: no I/O, no clock, no mutable state; the nickname table is built by
 * the caller from data files (formats/nicknames_csv.h) and only read here.
 * Every input is bounded: text over the documented caps is cut (names,
 * addresses: the result says so) or refused (phones, dates, plates), never
 * read past. Text is folded with core/normalise.h: NFKC, case-folded,
 * accents stripped ("Hernández" -> "hernandez"); invalid UTF-8 bytes act as
 * separators.
 *
 * Ownership: results are written into caller-owned structs and buffers of
 * fixed size; the nickname table is the only thing allocated (free with
 * match_nicknames_free()).
 */
#ifndef HTD_CORE_MATCH_H
#define HTD_CORE_MATCH_H

#include <stdbool.h>
#include <stddef.h>

#include "util/error.h"

/* ---- names ------------------------------------------------------------- */

/* Bytes of a name that are read (the rest is dropped, `truncated` set), and
 * the size bound of every folded part of the result. */
#define MATCH_NAME_MAX 256
/* Words of a name that are read; a ninth word and what follows are
 * dropped (`truncated` set). */
#define MATCH_NAME_WORDS_MAX 8
/* Bytes of one folded word; a longer word is cut at a character. */
#define MATCH_NAME_WORD_MAX 64
/* Alternative surnames kept (see struct match_name). */
#define MATCH_NAME_ALTS_MAX 6
#define MATCH_NAME_SUFFIX_SIZE 8

/* The nickname table (below); declared here for match_name_parse(). */
struct match_nicknames;

/*
 * A person's name as record linkage compares it. Every string is folded
 * lower-case text: letters and digits of any script, single spaces between
 * words, no punctuation ("O'Brien" -> "obrien"), NUL-terminated.
 */
struct match_name {
	/* Given names in order, one name each, abbreviations expanded
	 * ("Ma." -> "maria", "Fco." -> "francisco"), particles of compound
	 * given names dropped ("María del Carmen" -> "maria", "carmen"),
	 * hyphenated ones split ("Jean-Pierre" -> "jean", "pierre"). */
	char given[MATCH_NAME_WORDS_MAX][MATCH_NAME_MAX + 1];
	size_t n_given;
	/* Every surname, particles attached to the word they precede, words
	 * of a hyphenated surname separated by a space: "de la cruz",
	 * "hernandez lopez", "smith jones". */
	char surname[MATCH_NAME_MAX + 1];
	/* Other forms the surname may be recorded under, none equal to
	 * `surname` or to each other, in this order: for two surnames the
	 * first (paternal, "hernandez") and the last ("lopez", how US records
	 * often file a Spanish name); for a surname with particles, the rest
	 * ("cruz") and the run-together form ("delacruz"); for a hyphenated
	 * surname, each part ("smith", "jones"). At most MATCH_NAME_ALTS_MAX;
	 * later ones are dropped. */
	char surname_alt[MATCH_NAME_ALTS_MAX][MATCH_NAME_MAX + 1];
	size_t n_surname_alt;
	/* "jr", "sr", "ii", "iii" or "iv" ("Junior", "Jnr.", "3rd" are read as
	 * these), removed from the name; "" when none. */
	char suffix[MATCH_NAME_SUFFIX_SIZE];
	bool reversed;  /* written "Surname, Given" */
	bool one_word;  /* a single name (hyphenated parts count as one): it is
	                 * the surname, and its parts are the given names */
	bool truncated; /* over MATCH_NAME_MAX bytes or MATCH_NAME_WORDS_MAX
	                 * words, or a word over MATCH_NAME_WORD_MAX: some of
	                 * the name was dropped */
};

/*
 * Parses the full name `full` (UTF-8; NULL reads as "") into `out`,
 * replacing its contents. Two forms are read:
 *
 *   "Surname[ Surname2], Given[ Middle...]"   (a comma: surnames first)
 *   "Given[ Middle...] Surname[ Surname2]"    (no comma)
 *
 * "Smith, Jr." style commas before a suffix do not make the reversed form.
 * Particles (de, de la, del, los, van, von, da, di, le, st, ...) join the
 * word after them. Suffixes are removed when at least two words remain
 * (so "Santos Junior" keeps its surname). Without a comma, the first name
 * is given and the last a surname; of three or more, the one before the
 * last is taken as a second surname (Spanish: paternal, then maternal)
 * unless it is an initial or a known given name: an expanded
 * abbreviation, one of the compound given names of Spanish ("María de la
 * Luz", "José de Jesús"), or any name of `nicknames` (may be NULL). So
 * "Ma. Guadalupe Hernández López" is given "maria", "guadalupe", surname
 * "hernandez lopez", but "Juan Carlos Pérez" reads "carlos perez" as the
 * surnames when `nicknames` does not know "carlos" (both surnames are then
 * offered alone in surname_alt, so "Juan Pérez" still meets it).
 *
 * Returns true when there is at least one name in `full`, false for an
 * empty result (out is then empty too). This cannot fail otherwise; over
 * the caps the rest is dropped and out->truncated set.
 */
bool match_name_parse(const char *full, const struct match_nicknames *nicknames,
                      struct match_name *out);

/* ---- nicknames --------------------------------------------------------- */

/*
 * A read-only table from nicknames and diminutives to the formal names
 * they stand for ("lupe" -> "guadalupe"; "beto" -> "alberto", "roberto").
 * Built once from pairs (formats/nicknames_csv.h reads them from
 * data/linkage/nicknames*.csv); every name is folded as match_name_parse()
 * folds it, so look-ups take names as written or as parsed.
 */
struct match_nickname_pair {
	const char *formal;   /* "guadalupe" */
	const char *nickname; /* "lupe" */
};

/*
 * Returns a new table holding folded copies of the `n` pairs (borrowed).
 * Pairs whose names fold to nothing, or to the same name, are skipped;
 * repeated pairs are kept once. Free with match_nicknames_free(). This
 * cannot fail (out of memory aborts).
 */
struct match_nicknames *
match_nicknames_new(const struct match_nickname_pair *pairs, size_t n);

/* Frees the table; accepts NULL. */
void match_nicknames_free(struct match_nicknames *t);

/* Returns the number of distinct (formal, nickname) pairs in `t`. */
size_t match_nicknames_count(const struct match_nicknames *t);

/*
 * Finds the formal names of which `name` is a nickname ("lupe" ->
 * "guadalupe"), in byte order, without `name` itself. Writes up to `max`
 * of them into `out` (pointers borrowed from `t`, valid until it is freed)
 * and returns how many there are in all, which may be more than `max`.
 * `t` may be NULL (returns 0).
 */
size_t match_nicknames_formal(const struct match_nicknames *t, const char *name,
                              const char **out, size_t max);

/* True when `name` appears in `t` as a formal name or as a nickname. */
bool match_nicknames_known(const struct match_nicknames *t, const char *name);

/*
 * True when given names `a` and `b` may name the same person: they fold
 * to the same text, one is a nickname of the other, or both are nicknames
 * of one formal name ("bill" and "will": "william"). `t` may be NULL
 * (only equality counts).
 */
bool match_nicknames_related(const struct match_nicknames *t, const char *a,
                             const char *b);

/* ---- dates of birth ---------------------------------------------------- */

/* Bytes of date text read; longer text is refused. */
#define MATCH_DATE_MAX 32
/* Years accepted: records hold the living and the recently dead. */
#define MATCH_DATE_YEAR_MIN 1800
#define MATCH_DATE_YEAR_MAX 2199

/* A date of birth with unknown parts: 0 means unknown. */
struct match_date {
	int year;  /* MATCH_DATE_YEAR_MIN..MATCH_DATE_YEAR_MAX, or 0 */
	int month; /* 1..12, or 0 */
	int day;   /* 1..31 (valid for the month when known), or 0 */
};

/*
 * Parses `in` into `out`. Accepted, with surrounding white space:
 *
 *   1985-03-07  1985/03/07  19850307   year first (ISO 8601)
 *   1985-03  1985                      year and month, year alone
 *   03/07/1985  3/7/1985  03-07-1985   month first (US order)
 *   03/1985                            month and year
 *
 * A part written "?", "??", "x", "xx", "xxxx", "0", "00" or "0000" (any
 * run of ? or x, or zeros) is unknown: "1985-00-00", "??/07/1985". Two-digit
 * years are refused: without a clock the century cannot be told.
 * Returns HTD_OK; HTD_ERR_TOO_LARGE over MATCH_DATE_MAX bytes;
 * HTD_ERR_INVALID for anything else, with the reason in `err` (may be
 * NULL): no known part, a month or day out of range, a day the month does
 * not have (29 February is kept when the year is unknown). On error `out`
 * is all zero.
 */
enum htd_err match_date_parse(const char *in, struct match_date *out,
                              struct htd_error *err);

/* True when `d` is not NULL and some part of it is known. */
bool match_date_known(const struct match_date *d);

/*
 * How alike two dates of birth are, in [0, 1], the same both ways:
 *
 *   1.0  the same year, month and day, all known
 *   0.9  no disagreement; year and month known on both, the day on one
 *        side only or neither ("1985-03" and "1985-03-07")
 *   0.8  all known, same year, day and month swapped (03/07 and 07/03)
 *   0.7  all known, one part off by a one-digit typo or a transposition
 *        of two adjacent digits (1985/1986, 1985/1958, 07/17, 12/21),
 *        the other two the same
 *   0.6  no disagreement; only the year known on both ("1985" and
 *        "1985-03-07")
 *   0.5  as 0.7, with a part unknown on one side but at least two parts
 *        known on both ("1985-03" and "1985-08-07")
 *   0.4  no disagreement; the year unknown on a side, month and day known
 *        on both and the same
 *   0.3  only the year known on both, and off by a typo ("1985" and
 *        "1986-03-07")
 *   0.0  anything else: a real difference, two typos, or nothing known
 *        on both sides (an unknown date is no evidence either way: check
 *        match_date_known() before counting a 0 against a pair)
 *
 * NULL reads as an unknown date.
 */
double match_date_similarity(const struct match_date *a,
                             const struct match_date *b);

/* ---- phone numbers ----------------------------------------------------- */

/* Bytes of phone text read; longer text is refused. */
#define MATCH_PHONE_MAX 64
/* "+" and up to 15 digits (ITU-T E.164), and the NUL. */
#define MATCH_PHONE_E164_SIZE 17
/* Digits of an extension kept, and the NUL. */
#define MATCH_PHONE_EXTENSION_SIZE 11

/*
 * Writes phone number `in` as E.164 ("+15125550142") into `out` of `size`
 * bytes (MATCH_PHONE_E164_SIZE is always enough). `default_country` is
 * the calling code for numbers written without one (NULL: "1", the North
 * American Numbering Plan).
 *
 * Formatting (spaces, dots, dashes, parentheses, slashes) is ignored. A
 * leading "+" starts a country code, as does "011" (the NANP
 * international prefix) when the default country is 1. NANP numbers must
 * have 10 digits after the 1, with an area code and exchange that do not
 * start with 0 or 1; "1" before 10 digits is the trunk prefix. Other
 * countries' national numbers lose a leading trunk 0. Mexico's old mobile
 * "1" after +52 (dropped from the numbering plan in 2019) is removed, so
 * both forms of one number meet. Whole numbers have 7 to 15 digits.
 *
 * An extension ("x123", "ext. 123", "extension 123", "#123", or after a
 * dial pause "," or ";") is not part of the number: its digits (at most
 * MATCH_PHONE_EXTENSION_SIZE - 1) are written to `extension` of
 * `extension_size` bytes (may be NULL), "" when there is none.
 *
 * Returns HTD_OK; HTD_ERR_TOO_LARGE for input over MATCH_PHONE_MAX bytes,
 * or an `out` or `extension` too small for the result; HTD_ERR_INVALID
 * with the reason in `err` (may be NULL) for no digits, letters, too few
 * or too many digits ("555-0142": a local number without its area code),
 * a NANP area code or exchange that cannot exist, text after the
 * extension, or a bad default country. On error `out` and `extension`
 * are "".
 */
enum htd_err match_phone_e164(const char *in, const char *default_country,
                              char *out, size_t size, char *extension,
                              size_t extension_size, struct htd_error *err);

/* ---- addresses --------------------------------------------------------- */

/* Bytes of an address read; the rest is dropped (`truncated` set). */
#define MATCH_ADDRESS_MAX 256
#define MATCH_ADDRESS_NUMBER_SIZE 32
#define MATCH_ADDRESS_UNIT_SIZE 32
#define MATCH_ADDRESS_DESIGNATOR_SIZE 8

/*
 * A street address in USPS Publication 28 form: upper case, street suffix,
 * directionals and unit designators abbreviated. Every string is
 * NUL-terminated and "" when absent.
 */
struct match_address {
	char number[MATCH_ADDRESS_NUMBER_SIZE]; /* "123", "123 1/2", "12-14" */
	char street[MATCH_ADDRESS_MAX + 1];     /* "N MAIN ST", "PO BOX" */
	char designator[MATCH_ADDRESS_DESIGNATOR_SIZE]; /* "APT", "STE", "#" */
	char unit[MATCH_ADDRESS_UNIT_SIZE]; /* "4", "4B", "C210" (no spaces,
	                                     * dashes) */
	char rest[MATCH_ADDRESS_MAX + 1];   /* what follows, e.g. the city:
	                                     * "AUSTIN TX 78701" */
	bool truncated;
};

/*
 * Normalises the one-line address `in` (NULL reads as "") into `out`:
 * folded and upper-cased; street suffixes as Publication 28 Appendix C1
 * ("Street" -> "ST", "Avenue"/"Av" -> "AVE", "Boulevard" -> "BLVD"),
 * directionals before or after the name as C1's ("North" -> "N",
 * "Southwest" -> "SW"; not when the direction is the name itself: "North
 * St"), spelled ordinals as numbers ("First" -> "1ST"), and secondary unit
 * designators as Appendix C2 ("Apartment" -> "APT", "Suite" -> "STE",
 * "#"). The house number is the first word when it starts with a digit
 * and is not an ordinal ("1st Ave" has none), with a fraction after it
 * ("123 1/2"). The street ends at a designator, a comma or the end; a unit
 * may also open the next comma part ("123 Main St, Apt 4"). A unit is a
 * designator and one identifier that looks like one (it has a digit, or
 * is at most three letters and no suffix or designator: "Apt E", not "Old
 * Pier Rd"), with the identifiers of further levels ("Bldg C Room 210" is
 * "C210"); what follows goes to `rest`. "P.O. Box #12" is street "PO BOX",
 * number "12". A "#" before the number is dropped. So "123 N. Main Street
 * Apt. 4" and "123 north main st #4" both give number "123", street "N
 * MAIN ST", unit "4". Write the city after a comma: without one, "Main St
 * Miami FL 33101" cannot be told from a street with a unit.
 *
 * Returns true when a number or street was found. Cannot fail otherwise:
 * over MATCH_ADDRESS_MAX bytes, or a part over its size, the rest is
 * dropped and out->truncated set.
 */
bool match_address_normalise(const char *in, struct match_address *out);

/*
 * True when `a` and `b` are the same place: the same number, street and
 * unit (the designator is not compared: "#4" is "APT 4").
 */
bool match_address_equal(const struct match_address *a,
                         const struct match_address *b);

/* ---- vehicle plates ---------------------------------------------------- */

/* Letters and digits of a plate kept (US plates have at most 8), and the
 * longest text read. */
#define MATCH_PLATE_CHARS_MAX 12
#define MATCH_PLATE_SIZE (MATCH_PLATE_CHARS_MAX + 1)
#define MATCH_PLATE_INPUT_MAX 64

struct match_plate {
	char exact[MATCH_PLATE_SIZE];  /* "ABO123": upper-case A-Z and 0-9 */
	char folded[MATCH_PLATE_SIZE]; /* "A80123": exact, with the letters
	                                * read for digits folded */
};

/*
 * Reduces plate text `in` to its letters and digits, upper case
 * (accents and full-width forms folded), in `exact`, and to a key that
 * survives the misreadings witnesses and plate readers make most, in
 * `folded`: O and Q -> 0, I -> 1, B -> 8, S -> 5, Z -> 2. So "ABO 123" and
 * "AB0-I23" share "A80123" while exact matches still tell them apart. D
 * (for 0), G (for 6) and L (for 1) are not folded: they are common on
 * plates and misread less, and each fold merges more distinct plates.
 *
 * Returns HTD_OK; HTD_ERR_TOO_LARGE over MATCH_PLATE_INPUT_MAX bytes;
 * HTD_ERR_INVALID (reason in `err`, may be NULL) when there is no letter
 * or digit, or more than MATCH_PLATE_CHARS_MAX. On error both are "".
 */
enum htd_err match_plate_key(const char *in, struct match_plate *out,
                             struct htd_error *err);

/* ---- blocking keys ----------------------------------------------------- */

/* Key kinds: each key starts with one of these. */
#define MATCH_KEY_SURNAME "sn:"       /* first 4 letters of a surname */
#define MATCH_KEY_SURNAME_YEAR "sny:" /* surname and year of birth */
#define MATCH_KEY_BIRTH "dob:"        /* full date of birth */
#define MATCH_KEY_GIVEN_INITIAL "gi:" /* formal given name, surname initial */
#define MATCH_KEY_PHONE "ph:"         /* E.164 number */
#define MATCH_KEY_SURNAME_PHONETIC "snp:" /* Double Metaphone of a surname */

#define MATCH_KEYS_MAX 32
#define MATCH_KEY_SIZE 96

/* What a person is indexed by; any field may be NULL. */
struct match_person {
	const struct match_name *name;
	const struct match_date *birth;
	const char *phone; /* E.164, as match_phone_e164() writes it */
};

struct match_keys {
	char key[MATCH_KEYS_MAX][MATCH_KEY_SIZE];
	size_t n;
	bool truncated; /* more keys than MATCH_KEYS_MAX: the last dropped */
};

/*
 * Writes the blocking keys of `p` into `out`, distinct, in this order:
 *
 *   ph:+15125550142        the phone
 *   dob:1985-03-07         the date of birth, when it is complete
 *   sny:hernandez:1985     each surname form (surname, then surname_alt,
 *                          spaces removed) with the year of birth
 *   sn:hern                the first 4 letters of each surname form
 *   gi:guadalupe:h         each given name, and each formal name it is a
 *                          nickname of in `nicknames` (may be NULL; the
 *                          first 8), with the initial of each surname
 *                          form; not for one-word names
 *
 *   snp:HRNN               after each sn:, the Double Metaphone codes of
 *                          the surname form (primary; alternate when it
 *                          differs)
 *
 * Keys longer than MATCH_KEY_SIZE - 1 are cut at
 * a character. Returns out->n. Cannot fail.
 */
size_t match_person_keys(const struct match_person *p,
                         const struct match_nicknames *nicknames,
                         struct match_keys *out);

#endif
