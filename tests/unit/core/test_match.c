/*
 * test_match.c - unit tests of core/match.c, the normalisers of record
 * linkage: names as records and callers write them, the nickname table,
 * dates of birth with typos and swaps, phone numbers to E.164, USPS
 * addresses, plates and blocking keys; and every one of them bounded on
 * 10 KB inputs and invalid UTF-8. The nickname table here is built from
 * pairs in this file, so the core is tested without the data files
 * (tests/unit/formats/test_nicknames_csv.c loads those).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/match.h"
#include "util/str.h"

/* ---- helpers ----------------------------------------------------------- */

static const struct match_nickname_pair pairs[] = {
	{ "guadalupe", "lupe" },
	{ "guadalupe", "lupita" },
	{ "josé", "pepe" },
	{ "francisco", "paco" },
	{ "francisco", "pancho" },
	{ "jesús", "chuy" },
	{ "alberto", "beto" },
	{ "roberto", "beto" },
	{ "william", "bill" },
	{ "william", "will" },
	{ "antonio", "toño" },
	{ "Robert", "Bob" },
	{ "carlos", "carlitos" },
	{ "guadalupe", "lupe" }, /* repeated */
	{ "ann", "ANN" },        /* its own nickname: skipped */
	{ "", "x" },             /* folds to nothing: skipped */
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

TestSuite(match, .init = setup, .fini = teardown);

/* Returns a "a|b|c" view of the given names, in a static buffer. */
static const char *given_list(const struct match_name *n)
{
	static char buf[4096];
	buf[0] = '\0';
	for (size_t i = 0; i < n->n_given; i++) {
		if (i)
			strncat(buf, "|", sizeof(buf) - strlen(buf) - 1);
		strncat(buf, n->given[i], sizeof(buf) - strlen(buf) - 1);
	}
	return buf;
}

static const char *alt_list(const struct match_name *n)
{
	static char buf[4096];
	buf[0] = '\0';
	for (size_t i = 0; i < n->n_surname_alt; i++) {
		if (i)
			strncat(buf, "|", sizeof(buf) - strlen(buf) - 1);
		strncat(buf, n->surname_alt[i], sizeof(buf) - strlen(buf) - 1);
	}
	return buf;
}

/* Parses `full` and checks given names, surname and alternatives. */
static struct match_name check_name(const char *full, const char *given,
                                    const char *surname, const char *alts)
{
	struct match_name n;
	cr_assert(match_name_parse(full, nick, &n), "%s", full);
	cr_assert_str_eq(given_list(&n), given, "%s", full);
	cr_assert_str_eq(n.surname, surname, "%s", full);
	cr_assert_str_eq(alt_list(&n), alts, "%s", full);
	cr_assert_not(n.truncated, "%s", full);
	return n;
}

static bool has_alt(const struct match_name *n, const char *alt)
{
	for (size_t i = 0; i < n->n_surname_alt; i++)
		if (strcmp(n->surname_alt[i], alt) == 0)
			return true;
	return false;
}

/* A buffer of `n` bytes of `fill`, NUL-terminated; free with free(). */
static char *big(size_t n, const char *fill)
{
	size_t k = strlen(fill);
	char *s = malloc(n + 1);
	cr_assert_not_null(s);
	for (size_t i = 0; i < n; i++)
		s[i] = fill[i % k];
	s[n] = '\0';
	return s;
}

/* ---- names ------------------------------------------------------------- */

Test(match, issue_7_guadalupe_and_lupe)
{
	/* Issue 7: a search must find "Ma. Guadalupe Hernández" when the
	 * record says "Lupe Hernandes". */
	struct match_name a = check_name("Ma. Guadalupe Hernández",
	                                 "maria|guadalupe", "hernandez", "");
	struct match_name b =
	    check_name("Lupe Hernandes", "lupe", "hernandes", "");
	bool related = false;
	for (size_t i = 0; i < a.n_given; i++)
		related |=
		    match_nicknames_related(nick, a.given[i], b.given[0]);
	cr_assert(related, "lupe must connect to guadalupe");
	cr_assert_not(match_nicknames_related(nick, "maria", "lupe"));
	/* The surnames differ by one letter; the phonetic key (later)
	 * joins them. Both start "hern". */
	cr_assert_str_neq(a.surname, b.surname);
	cr_assert_eq(strncmp(a.surname, b.surname, 4), 0);
}

Test(match, particles_and_suffix)
{
	struct match_name n = check_name("José de la Cruz Jr.", "jose",
	                                 "de la cruz", "cruz|delacruz");
	cr_assert_str_eq(n.suffix, "jr");
	cr_assert_not(n.reversed);
	check_name("Ludwig van Beethoven", "ludwig", "van beethoven",
	           "beethoven|vanbeethoven");
	check_name("Oscar de los Santos", "oscar", "de los santos",
	           "santos|delossantos");
	check_name("Anna St. John", "anna", "st john", "john|stjohn");
	/* A particle first is a given name ("Van Morrison"); a particle
	 * last stands alone. */
	check_name("Van Morrison", "van", "morrison", "");
	check_name("Juan De", "juan", "de", "");
}

Test(match, reversed_with_two_surnames)
{
	struct match_name n = check_name("Hernández López, María", "maria",
	                                 "hernandez lopez", "hernandez|lopez");
	cr_assert(n.reversed);
	/* The paternal surname alone is the first alternative. */
	cr_assert_str_eq(n.surname_alt[0], "hernandez");
	check_name("HERNANDEZ LOPEZ, MA. GUADALUPE", "maria|guadalupe",
	           "hernandez lopez", "hernandez|lopez");
	n = check_name("de la Cruz, José", "jose", "de la cruz",
	               "cruz|delacruz");
	cr_assert(n.reversed);
}

Test(match, forward_two_surnames)
{
	/* Spanish: Given Paternal Maternal. */
	check_name("María Hernández López", "maria", "hernandez lopez",
	           "hernandez|lopez");
	check_name("Ma. Guadalupe Hernández López", "maria|guadalupe",
	           "hernandez lopez", "hernandez|lopez");
	/* An initial or a known given name before the last is a middle
	 * name. */
	check_name("John Q. Public", "john|q", "public", "");
	check_name("Juan Carlos Pérez", "juan|carlos", "perez", "");
	check_name("Francisco Javier Pancho Ruiz", "francisco|javier|pancho",
	           "ruiz", "");
}

Test(match, forward_unknown_middle_without_table)
{
	/* Without a table "carlos" is not known: read as a surname, and
	 * each surname is offered alone, so "Juan Pérez" still meets it. */
	struct match_name n;
	cr_assert(match_name_parse("Juan Carlos Pérez", NULL, &n));
	cr_assert_str_eq(given_list(&n), "juan");
	cr_assert_str_eq(n.surname, "carlos perez");
	cr_assert(has_alt(&n, "perez"));
	/* The built-in abbreviations are known without a table. */
	cr_assert(match_name_parse("Ma. Guadalupe Hernández", NULL, &n));
	cr_assert_str_eq(given_list(&n), "maria|guadalupe");
	cr_assert_str_eq(n.surname, "hernandez");
}

Test(match, compound_given_names)
{
	check_name("María de la Luz Hernández", "maria|luz", "hernandez", "");
	check_name("María del Carmen López García", "maria|carmen",
	           "lopez garcia", "lopez|garcia");
	check_name("José de Jesús Hernández", "jose|jesus", "hernandez", "");
	check_name("Hernández, Ma. de Jesús", "maria|jesus", "hernandez", "");
	/* Two words: "de Jesús" is the surname. */
	check_name("José de Jesús", "jose", "de jesus", "jesus|dejesus");
}

Test(match, apostrophes_and_hyphens)
{
	struct match_name n = check_name("O'Brien", "obrien", "obrien", "");
	cr_assert(n.one_word);
	check_name("Patrick O’Brien", "patrick", "obrien", ""); /* ’ */
	n = check_name("Smith-Jones", "smith|jones", "smith jones",
	               "smith|jones");
	cr_assert(n.one_word);
	check_name("Mary Smith-Jones", "mary", "smith jones", "smith|jones");
	check_name("Jean-Pierre Dupont", "jean|pierre", "dupont", "");
	check_name("Ana García-Márquez López", "ana", "garcia marquez lopez",
	           "garcia marquez|lopez|garcia|marquez");
}

Test(match, suffixes)
{
	struct match_name n;
	n = check_name("John Smith, Jr.", "john", "smith", "");
	cr_assert_str_eq(n.suffix, "jr");
	cr_assert_not(n.reversed);
	n = check_name("Smith Jr., John", "john", "smith", "");
	cr_assert_str_eq(n.suffix, "jr");
	cr_assert(n.reversed);
	n = check_name("Wm. H. Gates III", "william|h", "gates", "");
	cr_assert_str_eq(n.suffix, "iii");
	n = check_name("Robert Lee Senior", "robert", "lee", "");
	cr_assert_str_eq(n.suffix, "sr");
	n = check_name("Juan Carlos Ruiz Sr", "juan|carlos", "ruiz", "");
	cr_assert_str_eq(n.suffix, "sr");
	n = check_name("Martin L. King 3rd", "martin|l", "king", "");
	cr_assert_str_eq(n.suffix, "iii");
	/* "Junior" needs two words left: a surname stays a surname. */
	n = check_name("Santos Junior", "santos", "junior", "");
	cr_assert_str_eq(n.suffix, "");
	n = check_name("Smith, John IV", "john", "smith", "");
	cr_assert_str_eq(n.suffix, "iv");
}

Test(match, abbreviations)
{
	check_name("Mª Gpe. Fco. Sánchez", "maria|guadalupe|francisco",
	           "sanchez", "");
	check_name("Ma Lupita Ruiz", "maria|lupita", "ruiz", "");
	check_name("Jos. Smith", "jose", "smith", "");
	/* Without a period "Jos" is a name (Dutch). */
	check_name("Jos Smith", "jos", "smith", "");
	check_name("Chas. Thos. Brown", "charles|thomas", "brown", "");
	/* Only given names are expanded: "Ma" is also a surname. */
	check_name("Jack Ma", "jack", "ma", "");
	check_name("Ma, Jack", "jack", "ma", "");
}

Test(match, folding)
{
	check_name("  JOSÉ   MARÍA   ÁLVAREZ  ", "jose|maria", "alvarez", "");
	check_name("Ｊｕａｎ　Ｐéｒｅｚ", "juan", "perez", ""); /* full width */
	check_name("Straße", "strasse", "strasse", "");
	check_name("\"Chuy\" Ramírez", "chuy", "ramirez", "");
}

Test(match, empty_names)
{
	struct match_name n;
	cr_assert_not(match_name_parse(NULL, nick, &n));
	cr_assert_not(match_name_parse("", nick, &n));
	cr_assert_not(match_name_parse("  ,,, .. -- '' ", nick, &n));
	cr_assert_eq(n.n_given, 0);
	cr_assert_str_eq(n.surname, "");
	cr_assert_not(match_name_parse("\xFF\xFE\x80", nick, &n));
}

Test(match, names_bounded)
{
	struct match_name n;
	char *s = big(10 * 1024, "Guadalupe ");
	cr_assert(match_name_parse(s, nick, &n));
	cr_assert(n.truncated);
	cr_assert_leq(n.n_given, MATCH_NAME_WORDS_MAX);
	free(s);

	/* One very long word: cut at MATCH_NAME_WORD_MAX bytes. */
	s = big(10 * 1024, "á");
	cr_assert(match_name_parse(s, nick, &n));
	cr_assert(n.truncated);
	cr_assert_leq(strlen(n.surname), MATCH_NAME_WORD_MAX);
	cr_assert(str_utf8_valid(n.surname, strlen(n.surname)),
	          "cut inside a character");
	free(s);

	/* Nine words: the ninth and later are dropped. */
	cr_assert(match_name_parse("a b c d e f g h i j", nick, &n));
	cr_assert(n.truncated);
	cr_assert_str_eq(n.surname, "h");

	/* Text that folds to many bytes per byte (U+FDFA is 18 letters). */
	s = big(255, "\xEF\xB7\xBA ");
	cr_assert(match_name_parse(s, nick, &n));
	cr_assert_leq(strlen(n.surname), MATCH_NAME_MAX);
	free(s);
}

Test(match, names_invalid_utf8)
{
	struct match_name n;
	/* Invalid bytes separate words, as core/normalise does. */
	cr_assert(match_name_parse("Jos\xC3 Hern\xFF"
	                           "andez",
	                           nick, &n));
	cr_assert_str_eq(given_list(&n), "jos");
	cr_assert_str_eq(n.surname, "hern andez");
	/* A cut in the middle of a character at the cap. */
	char s[MATCH_NAME_MAX + 8];
	memset(s, 'a', sizeof(s));
	s[MATCH_NAME_MAX - 1] = '\xC3';
	s[MATCH_NAME_MAX] = '\xA1';
	s[sizeof(s) - 1] = '\0';
	cr_assert(match_name_parse(s, nick, &n));
	cr_assert(n.truncated);
}

/* ---- nicknames --------------------------------------------------------- */

Test(match, nickname_lookups)
{
	const char *f[4];
	cr_assert_eq(match_nicknames_count(nick), 13);
	cr_assert_eq(match_nicknames_formal(nick, "Lupe", f, 4), 1);
	cr_assert_str_eq(f[0], "guadalupe");
	cr_assert_eq(match_nicknames_formal(nick, "BETO", f, 4), 2);
	cr_assert_str_eq(f[0], "alberto");
	cr_assert_str_eq(f[1], "roberto");
	/* More than fit: the count is still all of them. */
	cr_assert_eq(match_nicknames_formal(nick, "beto", f, 1), 2);
	cr_assert_str_eq(f[0], "alberto");
	cr_assert_eq(match_nicknames_formal(nick, "toño", f, 4), 1);
	cr_assert_str_eq(f[0], "antonio");
	cr_assert_eq(match_nicknames_formal(nick, "tono", f, 4), 1);
	cr_assert_eq(match_nicknames_formal(nick, "bob", f, 4), 1);
	cr_assert_str_eq(f[0], "robert");
	cr_assert_eq(match_nicknames_formal(nick, "guadalupe", f, 4), 0);
	cr_assert_eq(match_nicknames_formal(nick, "nobody", f, 4), 0);
	cr_assert_eq(match_nicknames_formal(nick, "", f, 4), 0);
	cr_assert_eq(match_nicknames_formal(NULL, "lupe", f, 4), 0);
	cr_assert_eq(match_nicknames_formal(nick, "ann", f, 4), 0);
}

Test(match, nickname_known_and_related)
{
	cr_assert(match_nicknames_known(nick, "Guadalupe"));
	cr_assert(match_nicknames_known(nick, "lupe"));
	cr_assert(match_nicknames_known(nick, "Jesús"));
	cr_assert_not(match_nicknames_known(nick, "hernandez"));
	cr_assert_not(match_nicknames_known(NULL, "lupe"));
	cr_assert(match_nicknames_related(nick, "lupe", "Guadalupe"));
	cr_assert(match_nicknames_related(nick, "Guadalupe", "lupita"));
	cr_assert(match_nicknames_related(nick, "lupe", "lupita"));
	cr_assert(match_nicknames_related(nick, "bill", "will"));
	cr_assert(match_nicknames_related(nick, "chuy", "jesus"));
	cr_assert(match_nicknames_related(nick, "paco", "pancho"));
	cr_assert_not(match_nicknames_related(nick, "paco", "pepe"));
	cr_assert(match_nicknames_related(NULL, "José", "jose"));
	cr_assert_not(match_nicknames_related(NULL, "lupe", "guadalupe"));
	cr_assert_not(match_nicknames_related(nick, "", ""));
	cr_assert_not(match_nicknames_related(nick, NULL, "x"));
}

Test(match, nickname_table_empty_and_free_null)
{
	struct match_nicknames *t = match_nicknames_new(NULL, 0);
	const char *f[1];
	cr_assert_eq(match_nicknames_count(t), 0);
	cr_assert_eq(match_nicknames_formal(t, "lupe", f, 1), 0);
	cr_assert_not(match_nicknames_known(t, "lupe"));
	match_nicknames_free(t);
	match_nicknames_free(NULL);
}

Test(match, nickname_formal_names_with_spaces)
{
	static const struct match_nickname_pair p[] = {
		{ "josé maría", "chema" },
		{ "maria  luisa", "marisa" },
	};
	struct match_nicknames *t = match_nicknames_new(p, 2);
	const char *f[2];
	cr_assert_eq(match_nicknames_formal(t, "Chema", f, 2), 1);
	cr_assert_str_eq(f[0], "jose maria");
	cr_assert_eq(match_nicknames_formal(t, "marisa", f, 2), 1);
	cr_assert_str_eq(f[0], "maria luisa");
	match_nicknames_free(t);
}

/* ---- dates ------------------------------------------------------------- */

static struct match_date date(const char *s)
{
	struct match_date d;
	struct htd_error err;
	cr_assert_eq(match_date_parse(s, &d, &err), HTD_OK, "%s: %s", s,
	             err.message);
	return d;
}

static void check_date(const char *s, int y, int m, int d)
{
	struct match_date v = date(s);
	cr_assert_eq(v.year, y, "%s", s);
	cr_assert_eq(v.month, m, "%s", s);
	cr_assert_eq(v.day, d, "%s", s);
}

static void check_bad_date(const char *s, enum htd_err code, const char *needle)
{
	struct match_date d = { 1, 1, 1 };
	struct htd_error err;
	cr_assert_eq(match_date_parse(s, &d, &err), code, "%s", s);
	cr_assert_eq(err.code, code);
	cr_assert(strstr(err.message, needle), "%s: '%s' lacks '%s'", s,
	          err.message, needle);
	cr_assert_eq(d.year + d.month + d.day, 0, "%s", s);
}

Test(match, dates_parse)
{
	check_date("1985-03-07", 1985, 3, 7);
	check_date("1985/03/07", 1985, 3, 7);
	check_date("19850307", 1985, 3, 7);
	check_date("03/07/1985", 1985, 3, 7);
	check_date("3/7/1985", 1985, 3, 7);
	check_date("03-07-1985", 1985, 3, 7);
	check_date(" 1985-03-07\n", 1985, 3, 7);
	check_date("1985", 1985, 0, 0);
	check_date("1985-03", 1985, 3, 0);
	check_date("03/1985", 1985, 3, 0);
	/* Unknown parts. The ?\? stops C reading a trigraph. */
	check_date("?\?/07/1985", 1985, 0, 7);
	check_date("XX/XX/1985", 1985, 0, 0);
	check_date("1985-00-00", 1985, 0, 0);
	check_date("03/07/????", 0, 3, 7);
	check_date("xxxx-03-07", 0, 3, 7);
	check_date("02/29/????", 0, 2, 29);
	check_date("1984-02-29", 1984, 2, 29);
	check_date("2000-02-29", 2000, 2, 29);
}

Test(match, dates_refused)
{
	check_bad_date("03/07/85", HTD_ERR_INVALID, "two-digit year");
	check_bad_date("1985-02-29", HTD_ERR_INVALID, "no such day");
	check_bad_date("1900-02-29", HTD_ERR_INVALID, "no such day");
	check_bad_date("1985-04-31", HTD_ERR_INVALID, "no such day");
	check_bad_date("13/01/1985", HTD_ERR_INVALID, "over 12");
	check_bad_date("1985-13", HTD_ERR_INVALID, "over 12");
	check_bad_date("0000", HTD_ERR_INVALID, "no part");
	check_bad_date("?\?/?\?/????", HTD_ERR_INVALID, "no part");
	check_bad_date("1985/03-07", HTD_ERR_INVALID, "mixed separators");
	check_bad_date("1985-03-07-01", HTD_ERR_INVALID, "too many parts");
	check_bad_date("March 7, 1985", HTD_ERR_INVALID, "not a date");
	check_bad_date("1985--07", HTD_ERR_INVALID, "not a date");
	check_bad_date("1799-01-01", HTD_ERR_INVALID, "out of range");
	check_bad_date("", HTD_ERR_INVALID, "no date");
	check_bad_date(NULL, HTD_ERR_INVALID, "no date");
	check_bad_date("1985-\xC3\xA1", HTD_ERR_INVALID, "not a date");
	char *s = big(10 * 1024, "1985-03-07 ");
	check_bad_date(s, HTD_ERR_TOO_LARGE, "at most");
	free(s);
}

static double sim(const char *a, const char *b)
{
	struct match_date x = date(a), y = date(b);
	double s = match_date_similarity(&x, &y);
	cr_assert_float_eq(s, match_date_similarity(&y, &x), 1e-9,
	                   "not symmetric: %s %s", a, b);
	return s;
}

Test(match, date_similarity_scale)
{
	cr_assert_float_eq(sim("1985-03-07", "03/07/1985"), 1.0, 1e-9);
	cr_assert_float_eq(sim("1985-03", "1985-03-07"), 0.9, 1e-9);
	cr_assert_float_eq(sim("1985-03", "1985-03"), 0.9, 1e-9);
	/* Day and month swapped: a European writing a US form. */
	cr_assert_float_eq(sim("1985-03-07", "1985-07-03"), 0.8, 1e-9);
	cr_assert_float_eq(sim("1985-03-07", "1958-03-07"), 0.7, 1e-9);
	cr_assert_float_eq(sim("1985-03-07", "1986-03-07"), 0.7, 1e-9);
	cr_assert_float_eq(sim("1985-03-07", "1985-03-17"), 0.7, 1e-9);
	cr_assert_float_eq(sim("1985-12-12", "1985-12-21"), 0.7, 1e-9);
	cr_assert_float_eq(sim("1985-03-07", "1985-08-07"), 0.7, 1e-9);
	cr_assert_float_eq(sim("1985", "1985-03-07"), 0.6, 1e-9);
	cr_assert_float_eq(sim("1985-03", "1985-08-07"), 0.5, 1e-9);
	cr_assert_float_eq(sim("03/07/????", "1985-03-07"), 0.4, 1e-9);
	cr_assert_float_eq(sim("1985", "1986-03-07"), 0.3, 1e-9);
	/* Real differences, two typos, nothing in common. */
	cr_assert_float_eq(sim("1985-03-07", "1990-03-07"), 0.0, 1e-9);
	cr_assert_float_eq(sim("1985-03-07", "1986-03-08"), 0.0, 1e-9);
	cr_assert_float_eq(sim("1985-03-07", "1985-05-09"), 0.0, 1e-9);
	cr_assert_float_eq(sim("?\?/07/????", "1985-03-07"), 0.0, 1e-9);
	/* Swapped and equal day and month is simply the same date. */
	cr_assert_float_eq(sim("1985-03-03", "1985-03-03"), 1.0, 1e-9);
	/* Unknown is no evidence. */
	struct match_date d = date("1985-03-07"), none = { 0, 0, 0 };
	cr_assert_float_eq(match_date_similarity(&d, NULL), 0.0, 1e-9);
	cr_assert_float_eq(match_date_similarity(&none, &d), 0.0, 1e-9);
	cr_assert(match_date_known(&d));
	cr_assert_not(match_date_known(&none));
	cr_assert_not(match_date_known(NULL));
}

/* ---- phones ------------------------------------------------------------ */

static void check_phone(const char *in, const char *country, const char *want,
                        const char *want_ext)
{
	char out[MATCH_PHONE_E164_SIZE], ext[MATCH_PHONE_EXTENSION_SIZE];
	struct htd_error err;
	cr_assert_eq(match_phone_e164(in, country, out, sizeof(out), ext,
	                              sizeof(ext), &err),
	             HTD_OK, "%s: %s", in, err.message);
	cr_assert_str_eq(out, want, "%s", in);
	cr_assert_str_eq(ext, want_ext, "%s", in);
}

static void check_bad_phone(const char *in, enum htd_err code,
                            const char *needle)
{
	char out[MATCH_PHONE_E164_SIZE] = "x", ext[4] = "x";
	struct htd_error err;
	cr_assert_eq(match_phone_e164(in, NULL, out, sizeof(out), ext,
	                              sizeof(ext), &err),
	             code, "%s", in);
	cr_assert(strstr(err.message, needle), "%s: '%s' lacks '%s'", in,
	          err.message, needle);
	cr_assert_str_eq(out, "");
	cr_assert_str_eq(ext, "");
}

Test(match, phones_nanp)
{
	check_phone("(512) 555-0142 ext 9", NULL, "+15125550142", "9");
	check_phone("(512) 555-0142", "1", "+15125550142", "");
	check_phone("512.555.0142", NULL, "+15125550142", "");
	check_phone("512/555-0142", NULL, "+15125550142", "");
	check_phone("1-512-555-0142", NULL, "+15125550142", "");
	check_phone("+1 (512) 555-0142 x123", NULL, "+15125550142", "123");
	check_phone("512-555-0142 EXT. 77", NULL, "+15125550142", "77");
	check_phone("512-555-0142 Extension: 4", NULL, "+15125550142", "4");
	check_phone("5125550142#77", NULL, "+15125550142", "77");
	check_phone("5125550142,,9", NULL, "+15125550142", "9");
	check_phone("5125550142 ext.", NULL, "+15125550142", "");
	/* The hotline. */
	check_phone("1-888-373-7888", NULL, "+18883737888", "");
}

Test(match, phones_international)
{
	check_phone("+52 55 1234 5678", NULL, "+525512345678", "");
	/* Mexico's old mobile "1", and the NANP international prefix. */
	check_phone("+52 1 55 1234 5678", NULL, "+525512345678", "");
	check_phone("011 52 55 1234 5678", NULL, "+525512345678", "");
	check_phone("+502 2345 6789", NULL, "+50223456789", "");
	check_phone("+44 20 7946 0958", NULL, "+442079460958", "");
	/* Another default country: its trunk 0 goes. */
	check_phone("55 1234 5678", "52", "+525512345678", "");
	check_phone("020 7946 0958", "44", "+442079460958", "");
}

Test(match, phones_refused)
{
	check_bad_phone("555-0142", HTD_ERR_INVALID, "too short");
	check_bad_phone("512-555-014", HTD_ERR_INVALID, "too short");
	check_bad_phone("512-555-01420", HTD_ERR_INVALID, "too long");
	check_bad_phone("+1 512 555 014", HTD_ERR_INVALID, "too short");
	check_bad_phone("+123 4567 8901 2345 67", HTD_ERR_INVALID, "too long");
	check_bad_phone("+49 12", HTD_ERR_INVALID, "too short");
	check_bad_phone("(012) 555-0142", HTD_ERR_INVALID, "area code");
	check_bad_phone("(911) 555-0142", HTD_ERR_INVALID, "N11");
	check_bad_phone("512-155-0142", HTD_ERR_INVALID, "exchange");
	check_bad_phone("1-800-FLOWERS", HTD_ERR_INVALID, "letters");
	check_bad_phone("tel 5125550142", HTD_ERR_INVALID, "letters");
	check_bad_phone("5125550142 x 12 more", HTD_ERR_INVALID,
	                "after the extension");
	check_bad_phone("5125550142 x12345678901", HTD_ERR_INVALID,
	                "extension is too long");
	check_bad_phone("5125550142 x12345", HTD_ERR_TOO_LARGE,
	                "extension does not fit");
	check_bad_phone("+0 123 4567", HTD_ERR_INVALID, "country code");
	check_bad_phone("512+555", HTD_ERR_INVALID, "not part of");
	check_bad_phone("", HTD_ERR_INVALID, "no digits");
	check_bad_phone("() -", HTD_ERR_INVALID, "no digits");
	check_bad_phone(NULL, HTD_ERR_INVALID, "no phone");
	check_bad_phone("512\xC3\xA1", HTD_ERR_INVALID, "not part of");
	check_bad_phone("512\xFF", HTD_ERR_INVALID, "not part of");
	char *s = big(10 * 1024, "5");
	check_bad_phone(s, HTD_ERR_TOO_LARGE, "at most");
	free(s);
}

Test(match, phones_arguments)
{
	char out[8], big_out[MATCH_PHONE_E164_SIZE];
	struct htd_error err;
	cr_assert_eq(match_phone_e164("5125550142", NULL, out, sizeof(out),
	                              NULL, 0, &err),
	             HTD_ERR_TOO_LARGE);
	cr_assert_str_eq(out, "");
	cr_assert_eq(match_phone_e164("5125550142", "01", big_out,
	                              sizeof(big_out), NULL, 0, &err),
	             HTD_ERR_INVALID);
	cr_assert_eq(match_phone_e164("5125550142", "1234", big_out,
	                              sizeof(big_out), NULL, 0, &err),
	             HTD_ERR_INVALID);
	/* No extension buffer: the extension is dropped. */
	cr_assert_eq(match_phone_e164("5125550142 x9", NULL, big_out,
	                              sizeof(big_out), NULL, 0, NULL),
	             HTD_OK);
	cr_assert_str_eq(big_out, "+15125550142");
}

/* ---- addresses --------------------------------------------------------- */

static struct match_address check_address(const char *in, const char *number,
                                          const char *street, const char *unit)
{
	struct match_address a;
	match_address_normalise(in, &a);
	cr_assert_str_eq(a.number, number, "%s", in);
	cr_assert_str_eq(a.street, street, "%s", in);
	cr_assert_str_eq(a.unit, unit, "%s", in);
	cr_assert_not(a.truncated, "%s", in);
	return a;
}

Test(match, addresses_equal_forms)
{
	struct match_address a =
	    check_address("123 N. Main Street Apt. 4", "123", "N MAIN ST", "4");
	struct match_address b =
	    check_address("123 north main st #4", "123", "N MAIN ST", "4");
	cr_assert_str_eq(a.designator, "APT");
	cr_assert_str_eq(b.designator, "#");
	cr_assert(match_address_equal(&a, &b));
	b = check_address("123 NORTH MAIN STR., APARTMENT 4", "123",
	                  "N MAIN ST", "4");
	cr_assert(match_address_equal(&a, &b));
	b = check_address("123 N Main St Apt 5", "123", "N MAIN ST", "5");
	cr_assert_not(match_address_equal(&a, &b));
}

Test(match, addresses_suffixes)
{
	static const char *const cases[][2] = {
		{ "Avenue", "AVE" },      { "Av", "AVE" },
		{ "Road", "RD" },         { "Boulevard", "BLVD" },
		{ "Boul", "BLVD" },       { "Drive", "DR" },
		{ "Lane", "LN" },         { "Court", "CT" },
		{ "Highway", "HWY" },     { "Parkway", "PKWY" },
		{ "Pkwy", "PKWY" },       { "Place", "PL" },
		{ "Circle", "CIR" },      { "Trail", "TRL" },
		{ "Way", "WAY" },         { "Terrace", "TER" },
		{ "Expressway", "EXPY" }, { "Freeway", "FWY" },
		{ "Crossing", "XING" },   { "Square", "SQ" },
		{ "Center", "CTR" },      { "Centre", "CTR" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char in[64], want[64];
		snprintf(in, sizeof(in), "10 Oak %s", cases[i][0]);
		snprintf(want, sizeof(want), "OAK %s", cases[i][1]);
		check_address(in, "10", want, "");
	}
}

Test(match, addresses_directionals)
{
	check_address("100 S.W. Broadway Ave.", "100", "SW BROADWAY AVE", "");
	check_address("100 Southwest Broadway Avenue", "100", "SW BROADWAY AVE",
	              "");
	check_address("100 North East Broadway", "100", "NE BROADWAY", "");
	check_address("1600 Pennsylvania Avenue Northwest", "1600",
	              "PENNSYLVANIA AVE NW", "");
	check_address("1600 Pennsylvania Ave NW", "1600", "PENNSYLVANIA AVE NW",
	              "");
	/* The direction is the name itself. */
	check_address("789 North St", "789", "NORTH ST", "");
	check_address("789 West Ave", "789", "WEST AVE", "");
	check_address("456 Avenue B", "456", "AVENUE B", "");
}

Test(match, addresses_units)
{
	struct match_address a;
	a = check_address("12 First Avenue Suite 100", "12", "1ST AVE", "100");
	cr_assert_str_eq(a.designator, "STE");
	a = check_address("350 Fifth Avenue Fl 34", "350", "5TH AVE", "34");
	cr_assert_str_eq(a.designator, "FL");
	a = check_address("7 West End Ave Apt 4-B", "7", "W END AVE", "4B");
	a = check_address("123 Main St APT4B", "123", "MAIN ST", "4B");
	cr_assert_str_eq(a.designator, "APT");
	a = check_address("999 County Road 12 Trailer 5", "999",
	                  "COUNTY ROAD 12", "5");
	cr_assert_str_eq(a.designator, "TRLR");
	a = check_address("40 Ranch Rd Lot 7", "40", "RANCH RD", "7");
	cr_assert_str_eq(a.designator, "LOT");
	a = check_address("40 Ranch Rd Space 7", "40", "RANCH RD", "7");
	cr_assert_str_eq(a.designator, "SPC");
	a = check_address("1 Plaza Bldg C Room 210", "1", "PLAZA", "C210");
	cr_assert_str_eq(a.designator, "BLDG");
	a = check_address("55 Main St Rear", "55", "MAIN ST", "");
	cr_assert_str_eq(a.designator, "REAR");
	a = check_address("55 Main St Rear #", "55", "MAIN ST", "");
	cr_assert_str_eq(a.designator, "REAR");
	/* Street words that are designators elsewhere. */
	check_address("55 Old Pier Road", "55", "OLD PIER RD", "");
	check_address("55 Park Side", "55", "PARK SIDE", "");
	check_address("55 Front St", "55", "FRONT ST", "");
	a = check_address("123 Main St #", "123", "MAIN ST", "");
	cr_assert_str_eq(a.designator, "");
	/* Short letter identifiers; one identifier per level, the rest is
	 * kept apart (found by fuzz_match: "Suite H C"). */
	check_address("123 Main St Apt E", "123", "MAIN ST", "E");
	a = check_address("9 Elm St Ste PH", "9", "ELM ST", "PH");
	cr_assert_str_eq(a.designator, "STE");
	a = check_address("9 Elm St Suite H C", "9", "ELM ST", "H");
	cr_assert_str_eq(a.rest, "C");
	a = check_address("9 Elm St Apt ## 4 Austin", "9", "ELM ST", "4");
	cr_assert_str_eq(a.rest, "AUSTIN");
	a = check_address("9 Elm St Bldg A Rm B Fl C Unit D", "9", "ELM ST",
	                  "A");
	cr_assert_str_eq(a.rest, "RM B FL C UNIT D");
	/* Levels that would join into a word are not joined ("E" and "AST"
	 * are not unit "EAST", which reads back as "E"). */
	a = check_address("9 Elm St Apt E # AST", "9", "ELM ST", "E");
	cr_assert_str_eq(a.rest, "# AST");
	check_address("9 Elm St Apt North", "9", "ELM ST", "N");
}

Test(match, addresses_parts)
{
	struct match_address a = check_address(
	    "123 Main St, Apt 4, Austin, TX 78701", "123", "MAIN ST", "4");
	cr_assert_str_eq(a.rest, "AUSTIN TX 78701");
	a = check_address("123 Main St, Austin TX", "123", "MAIN ST", "");
	cr_assert_str_eq(a.rest, "AUSTIN TX");
	a = check_address("P.O. Box 123", "123", "PO BOX", "");
	a = check_address("PO BOX 9, Laredo", "9", "PO BOX", "");
	cr_assert_str_eq(a.rest, "LAREDO");
	a = check_address("#P.O. Box #12 Apt 3", "12", "PO BOX", "3");
	cr_assert_str_eq(a.rest, "");
	check_address("123 1/2 Elm Ct", "123 1/2", "ELM CT", "");
	check_address("12-14 Calle O'Donnell", "12-14", "CALLE ODONNELL", "");
	check_address("Main Street", "", "MAIN ST", "");
	/* An ordinal names a street; "#" before a number is dropped. */
	check_address("First Avenue", "", "1ST AVE", "");
	check_address("1st Avenue", "", "1ST AVE", "");
	check_address("#77 Elm St", "77", "ELM ST", "");
	check_address("1500 Calle Peña", "1500", "CALLE PENA", "");
}

Test(match, addresses_empty_and_bounded)
{
	struct match_address a;
	cr_assert_not(match_address_normalise(NULL, &a));
	cr_assert_not(match_address_normalise("", &a));
	cr_assert_not(match_address_normalise(" ,,. ", &a));
	cr_assert_not(match_address_normalise("\xFF\xFE", &a));
	char *s = big(10 * 1024, "123 Main St Apt 4 ");
	cr_assert(match_address_normalise(s, &a));
	cr_assert(a.truncated);
	cr_assert_str_eq(a.number, "123");
	free(s);
	s = big(10 * 1024, "#");
	match_address_normalise(s, &a);
	cr_assert(a.truncated);
	free(s);
	s = big(10 * 1024, "9");
	match_address_normalise(s, &a);
	cr_assert(a.truncated);
	cr_assert_lt(strlen(a.number), MATCH_ADDRESS_NUMBER_SIZE);
	free(s);
	/* A long identifier of two-byte letters is cut at a character. */
	match_address_normalise("1 Elm St Apt 94жжжжжжжжжжжжжжжжжжжж", &a);
	cr_assert(a.truncated);
	cr_assert(str_utf8_valid(a.unit, strlen(a.unit)), "%s", a.unit);
	cr_assert_eq(a.unit[0], '9');
	cr_assert(match_address_normalise("12 Ma\xFFin St", &a));
	cr_assert_str_eq(a.street, "MA IN ST");
}

/* ---- plates ------------------------------------------------------------ */

static struct match_plate plate(const char *in)
{
	struct match_plate p;
	struct htd_error err;
	cr_assert_eq(match_plate_key(in, &p, &err), HTD_OK, "%s: %s", in,
	             err.message);
	return p;
}

Test(match, plates)
{
	struct match_plate a = plate("ABO 123"), b = plate("AB0-I23");
	cr_assert_str_eq(a.exact, "ABO123");
	cr_assert_str_eq(b.exact, "AB0I23");
	cr_assert_str_eq(a.folded, "A80123");
	cr_assert_str_eq(a.folded, b.folded);
	cr_assert_str_neq(a.exact, b.exact);
	a = plate("5ZQ 8S1");
	cr_assert_str_eq(a.folded, "520851");
	a = plate("ｔｘ·ｋ９１");
	cr_assert_str_eq(a.exact, "TXK91");
	/* D, G and L are kept. */
	a = plate("DGL 001");
	cr_assert_str_eq(a.folded, "DGL001");
	a = plate("ÑAB-123");
	cr_assert_str_eq(a.exact, "NAB123");
}

Test(match, plates_refused)
{
	struct match_plate p;
	struct htd_error err;
	cr_assert_eq(match_plate_key("--- ", &p, &err), HTD_ERR_INVALID);
	cr_assert_eq(match_plate_key(NULL, &p, &err), HTD_ERR_INVALID);
	cr_assert_eq(match_plate_key("ABCDEFGHIJKLM", &p, &err),
	             HTD_ERR_INVALID);
	cr_assert_str_eq(p.exact, "");
	cr_assert_str_eq(p.folded, "");
	char *s = big(10 * 1024, "A");
	cr_assert_eq(match_plate_key(s, &p, &err), HTD_ERR_TOO_LARGE);
	free(s);
	cr_assert_eq(match_plate_key("AB\xFF"
	                             "12",
	                             &p, &err),
	             HTD_OK);
	cr_assert_str_eq(p.exact, "AB12");
}

/* ---- blocking keys ----------------------------------------------------- */

static bool has_key(const struct match_keys *k, const char *key)
{
	for (size_t i = 0; i < k->n; i++)
		if (strcmp(k->key[i], key) == 0)
			return true;
	return false;
}

Test(match, keys_of_a_person)
{
	struct match_name n;
	struct match_date d = date("1985-03-07");
	struct match_keys k;
	cr_assert(match_name_parse("Ma. Guadalupe Hernández López", nick, &n));
	struct match_person p = { &n, &d, "+15125550142" };
	cr_assert_eq(match_person_keys(&p, nick, &k), k.n);
	cr_assert_str_eq(k.key[0], "ph:+15125550142");
	cr_assert_str_eq(k.key[1], "dob:1985-03-07");
	cr_assert_str_eq(k.key[2], "sny:hernandezlopez:1985");
	cr_assert(has_key(&k, "sny:hernandez:1985"));
	cr_assert(has_key(&k, "sny:lopez:1985"));
	cr_assert(has_key(&k, "sn:hern"));
	cr_assert(has_key(&k, "sn:lope"));
	cr_assert(has_key(&k, "snp:HRNN"), "Double Metaphone of hernandez");
	cr_assert(has_key(&k, "snp:LPS"), "Double Metaphone of lopez");
	cr_assert(has_key(&k, "gi:maria:h"));
	cr_assert(has_key(&k, "gi:guadalupe:h"));
	cr_assert(has_key(&k, "gi:guadalupe:l"));
	cr_assert_not(k.truncated);
	for (size_t i = 0; i < k.n; i++) {
		for (size_t j = 0; j < i; j++)
			cr_assert_str_neq(k.key[i], k.key[j]);
		cr_assert(strncmp(k.key[i], "ph:", 3) == 0 ||
		              strncmp(k.key[i], "dob:", 4) == 0 ||
		              strncmp(k.key[i], "sny:", 4) == 0 ||
		              strncmp(k.key[i], "sn:", 3) == 0 ||
		              strncmp(k.key[i], "snp:", 4) == 0 ||
		              strncmp(k.key[i], "gi:", 3) == 0,
		          "%s", k.key[i]);
	}
}

Test(match, keys_meet_for_issue_7)
{
	struct match_name a, b;
	struct match_keys ka, kb;
	size_t shared = 0;
	match_name_parse("Ma. Guadalupe Hernández", nick, &a);
	match_name_parse("Lupe Hernandes", nick, &b);
	struct match_person pa = { &a, NULL, NULL }, pb = { &b, NULL, NULL };
	match_person_keys(&pa, nick, &ka);
	match_person_keys(&pb, nick, &kb);
	cr_assert(has_key(&kb, "gi:lupe:h"));
	cr_assert(has_key(&kb, "gi:guadalupe:h"));
	for (size_t i = 0; i < ka.n; i++)
		shared += has_key(&kb, ka.key[i]);
	/* gi:guadalupe:h, sn:hern, and the sound of the surname: snp:HRNN
	 * ("hernandez" and "hernandes" spelled apart, said alike) */
	cr_assert(has_key(&ka, "snp:HRNN"));
	cr_assert(has_key(&kb, "snp:HRNN"));
	cr_assert_eq(shared, 3);
}

Test(match, keys_partial_and_empty)
{
	struct match_keys k;
	struct match_name n;
	struct match_date y = date("1985");
	cr_assert_eq(match_person_keys(NULL, nick, &k), 0);
	struct match_person none = { NULL, NULL, NULL };
	cr_assert_eq(match_person_keys(&none, NULL, &k), 0);
	/* One word: no given-name keys; a partial date: year keys only. */
	match_name_parse("O'Brien", nick, &n);
	struct match_person p = { &n, &y, "" };
	match_person_keys(&p, nick, &k);
	cr_assert_eq(k.n, 3);
	cr_assert_str_eq(k.key[0], "sny:obrien:1985");
	cr_assert_str_eq(k.key[1], "sn:obri");
	cr_assert_str_eq(k.key[2], "snp:APRN");
	/* Particles: keys under both forms. */
	match_name_parse("José de la Cruz Jr.", nick, &n);
	p = (struct match_person){ &n, NULL, NULL };
	match_person_keys(&p, nick, &k);
	cr_assert(has_key(&k, "sn:dela"));
	cr_assert(has_key(&k, "sn:cruz"));
	cr_assert(has_key(&k, "gi:jose:d"));
	cr_assert(has_key(&k, "gi:jose:c"));
	/* Short and non-ASCII surnames: whole characters. */
	match_name_parse("Lee Ñú", nick, &n);
	match_person_keys(&p, nick, &k);
	cr_assert(has_key(&k, "sn:nu"));
	match_name_parse("Wei 王", nick, &n);
	match_person_keys(&p, nick, &k);
	cr_assert(has_key(&k, "sn:王"));
	cr_assert(has_key(&k, "gi:wei:王"));
}

Test(match, keys_bounded)
{
	struct match_name n;
	struct match_keys k;
	struct match_date d = date("1985-03-07");
	char *s = big(10 * 1024, "Beto Bill ");
	match_name_parse("Beto Bill Beto-Bill Lupe, Smith-Jones de la Cruz "
	                 "Van-Dyke López",
	                 nick, &n);
	struct match_person p = { &n, &d, "+15125550142" };
	match_person_keys(&p, nick, &k);
	cr_assert_leq(k.n, MATCH_KEYS_MAX);
	for (size_t i = 0; i < k.n; i++)
		cr_assert_lt(strlen(k.key[i]), MATCH_KEY_SIZE);
	match_name_parse(s, nick, &n);
	match_person_keys(&p, nick, &k);
	cr_assert_leq(k.n, MATCH_KEYS_MAX);
	free(s);
	/* A long surname: the key is cut at a character. */
	s = big(200, "é");
	match_name_parse(s, nick, &n);
	p = (struct match_person){ &n, &d, NULL };
	match_person_keys(&p, nick, &k);
	cr_assert_gt(k.n, 0);
	for (size_t i = 0; i < k.n; i++)
		cr_assert_lt(strlen(k.key[i]), MATCH_KEY_SIZE);
	free(s);
}
