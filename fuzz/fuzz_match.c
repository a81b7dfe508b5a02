/*
 * fuzz_match.c - fuzzes the normalisers of record linkage (core/match.c),
 * which read names, dates, phones, addresses and plates typed by
 * call-takers or imported from agency records.
 *
 * The input is given to every normaliser whole; for dates it is also split
 * at the first newline into two dates to compare. Properties: never a
 * crash, leak or read past a cap; every result within its documented size;
 * names are folded words (no upper case ASCII, punctuation or stray
 * spaces) and alternatives are distinct; a parsed date is in range and
 * parses again from its ISO form; similarity is in [0, 1], symmetric, and
 * 1 for a complete date with itself; a phone number is E.164 and
 * normalises to itself; an address written without commas normalises to
 * itself from its parts;
 * a plate key is upper-case letters and digits with no foldable letter
 * left; blocking keys are distinct, prefixed and bounded.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/match.h"
#include "fuzz/fuzz.h"
#include "util/str.h"

static void fail(const char *what, const char *detail)
{
	fprintf(stderr, "match: %s%s%s\n", what, detail ? ": " : "",
	        detail ? detail : "");
	abort();
}

/* A table of a few pairs, built once: building it is not under test. */
static const struct match_nicknames *table(void)
{
	static const struct match_nickname_pair pairs[] = {
		{ "guadalupe", "lupe" }, { "josé", "pepe" },
		{ "francisco", "paco" }, { "alberto", "beto" },
		{ "roberto", "beto" },   { "william", "bill" },
	};
	static struct match_nicknames *t;
	if (!t)
		t = match_nicknames_new(pairs,
		                        sizeof(pairs) / sizeof(pairs[0]));
	return t;
}

/* A folded name part: words of non-punctuation, single spaces. */
static void check_folded(const char *s, size_t size, const char *what)
{
	size_t n = strnlen(s, size);
	if (n == size)
		fail("a name part is not terminated", what);
	if (!str_utf8_valid(s, n))
		fail("a name part is not UTF-8", what);
	if (n && (s[0] == ' ' || s[n - 1] == ' ' || strstr(s, "  ")))
		fail("a name part has stray spaces", s);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if ((c >= 'A' && c <= 'Z') ||
		    (c < 0x80 && c != ' ' && !(c >= 'a' && c <= 'z') &&
		     !(c >= '0' && c <= '9')))
			fail("a name part has upper case or punctuation", s);
	}
}

static void check_name(const char *text)
{
	struct match_name n;
	bool ok = match_name_parse(text, table(), &n);

	if (n.n_given > MATCH_NAME_WORDS_MAX ||
	    n.n_surname_alt > MATCH_NAME_ALTS_MAX)
		fail("too many name parts", text);
	if (!ok &&
	    (n.n_given || n.surname[0] || n.n_surname_alt || n.suffix[0]))
		fail("an empty name has parts", text);
	if (ok && !n.n_given && !n.surname[0])
		fail("a name without parts", text);
	for (size_t i = 0; i < n.n_given; i++) {
		check_folded(n.given[i], sizeof(n.given[i]), "given");
		if (!n.given[i][0])
			fail("an empty given name", text);
	}
	check_folded(n.surname, sizeof(n.surname), "surname");
	for (size_t i = 0; i < n.n_surname_alt; i++) {
		check_folded(n.surname_alt[i], sizeof(n.surname_alt[i]),
		             "alternative");
		if (!n.surname_alt[i][0] || str_eq(n.surname_alt[i], n.surname))
			fail("an empty or repeated alternative", text);
		for (size_t j = 0; j < i; j++)
			if (str_eq(n.surname_alt[i], n.surname_alt[j]))
				fail("a repeated alternative", text);
	}
	if (n.suffix[0] && !str_eq(n.suffix, "jr") && !str_eq(n.suffix, "sr") &&
	    !str_eq(n.suffix, "ii") && !str_eq(n.suffix, "iii") &&
	    !str_eq(n.suffix, "iv"))
		fail("an unknown suffix", n.suffix);

	struct match_date d = { 1985, 3, 7 };
	struct match_person p = { &n, &d, "+15125550142" };
	struct match_keys k;
	if (match_person_keys(&p, table(), &k) != k.n || k.n > MATCH_KEYS_MAX)
		fail("too many keys", text);
	for (size_t i = 0; i < k.n; i++) {
		size_t len = strnlen(k.key[i], MATCH_KEY_SIZE);
		if (len == MATCH_KEY_SIZE || !str_utf8_valid(k.key[i], len))
			fail("a key is not bounded UTF-8", text);
		if (strncmp(k.key[i], MATCH_KEY_PHONE, 3) &&
		    strncmp(k.key[i], MATCH_KEY_BIRTH, 4) &&
		    strncmp(k.key[i], MATCH_KEY_SURNAME_YEAR, 4) &&
		    strncmp(k.key[i], MATCH_KEY_SURNAME, 3) &&
		    strncmp(k.key[i], MATCH_KEY_SURNAME_PHONETIC, 4) &&
		    strncmp(k.key[i], MATCH_KEY_GIVEN_INITIAL, 3))
			fail("a key without a known prefix", k.key[i]);
		for (size_t j = 0; j < i; j++)
			if (str_eq(k.key[i], k.key[j]))
				fail("a repeated key", k.key[i]);
	}
}

static void check_date_range(const struct match_date *d, const char *text)
{
	if ((d->year && (d->year < MATCH_DATE_YEAR_MIN ||
	                 d->year > MATCH_DATE_YEAR_MAX)) ||
	    d->month < 0 || d->month > 12 || d->day < 0 || d->day > 31 ||
	    !match_date_known(d))
		fail("a parsed date out of range", text);
}

static void check_dates(const char *text)
{
	char first[MATCH_DATE_MAX * 2];
	const char *nl = strchr(text, '\n');
	struct match_date a, b, again;
	bool ok_a, ok_b;

	ok_a = match_date_parse(text, &a, NULL) == HTD_OK;
	if (ok_a) {
		char iso[32];
		check_date_range(&a, text);
		str_format(iso, sizeof(iso), "%04d-%02d-%02d", a.year, a.month,
		           a.day);
		if (match_date_parse(iso, &again, NULL) != HTD_OK ||
		    again.year != a.year || again.month != a.month ||
		    again.day != a.day)
			fail("a date does not parse again from its ISO form",
			     iso);
		double self = match_date_similarity(&a, &a);
		if (a.year && a.month && a.day && self != 1.0)
			fail("a complete date is not 1.0 with itself", text);
	} else if (a.year || a.month || a.day) {
		fail("a refused date is not zero", text);
	}
	if (!nl || (size_t)(nl - text) >= sizeof(first))
		return;
	memcpy(first, text, (size_t)(nl - text));
	first[nl - text] = '\0';
	ok_a = match_date_parse(first, &a, NULL) == HTD_OK;
	ok_b = match_date_parse(nl + 1, &b, NULL) == HTD_OK;
	double s = match_date_similarity(ok_a ? &a : NULL, ok_b ? &b : NULL);
	double t = match_date_similarity(ok_b ? &b : NULL, ok_a ? &a : NULL);
	if (!(s >= 0.0 && s <= 1.0) || s != t)
		fail("date similarity out of [0, 1] or not symmetric", text);
}

static void check_phone(const char *text)
{
	char out[MATCH_PHONE_E164_SIZE], ext[MATCH_PHONE_EXTENSION_SIZE];
	char again[MATCH_PHONE_E164_SIZE], ext2[MATCH_PHONE_EXTENSION_SIZE];
	static const char *const countries[] = { NULL, "52", "44" };

	for (size_t c = 0; c < 3; c++) {
		enum htd_err rc =
		    match_phone_e164(text, countries[c], out, sizeof(out), ext,
		                     sizeof(ext), NULL);
		if (rc != HTD_OK) {
			if (out[0] || ext[0])
				fail("a refused phone left output", text);
			continue;
		}
		size_t n = strlen(out);
		if (out[0] != '+' || out[1] < '1' || out[1] > '9' || n < 8 ||
		    n > 16 || strspn(out + 1, "0123456789") != n - 1)
			fail("not E.164", out);
		if (strspn(ext, "0123456789") != strlen(ext))
			fail("an extension that is not digits", ext);
		if (match_phone_e164(out, countries[c], again, sizeof(again),
		                     ext2, sizeof(ext2), NULL) != HTD_OK ||
		    !str_eq(out, again) || ext2[0])
			fail("an E.164 number does not normalise to itself",
			     out);
	}
}

static void check_address_text(const char *s, size_t size, const char *what)
{
	size_t n = strnlen(s, size);
	if (n == size || !str_utf8_valid(s, n))
		fail("an address part is not bounded UTF-8", what);
	if (n && (s[0] == ' ' || s[n - 1] == ' ' || strstr(s, "  ")))
		fail("an address part has stray spaces", s);
	for (size_t i = 0; i < n; i++)
		if (s[i] >= 'a' && s[i] <= 'z')
			fail("an address part has lower case", s);
}

static void check_address(const char *text)
{
	struct match_address a, b;
	char line[4 * MATCH_ADDRESS_MAX];

	bool ok = match_address_normalise(text, &a);
	check_address_text(a.number, sizeof(a.number), "number");
	check_address_text(a.street, sizeof(a.street), "street");
	check_address_text(a.designator, sizeof(a.designator), "designator");
	check_address_text(a.unit, sizeof(a.unit), "unit");
	check_address_text(a.rest, sizeof(a.rest), "rest");
	if (ok != (a.number[0] || a.street[0]))
		fail("the result does not say whether an address was found",
		     text);
	if (!match_address_equal(&a, &a))
		fail("an address is not equal to itself", text);
	/* A comma ends the street ("Apt, #4"): a rebuilt line has none, so
	 * only addresses written without one must read back the same. */
	if (!ok || a.truncated || a.rest[0] || strchr(a.unit, ' ') ||
	    strchr(text, ','))
		return;
	/* Its own parts, written as one line, give the same address (a
	 * box number is written after the box). */
	if (str_eq(a.street, "PO BOX"))
		str_format(line, sizeof(line), "PO BOX %s %s %s", a.number,
		           a.designator, a.unit);
	else
		str_format(line, sizeof(line), "%s %s %s %s", a.number,
		           a.street, a.designator, a.unit);
	/* Folding may lengthen text ("\uFDFA" is a phrase): a rebuilt line
	 * over the cap is cut when read back, so it proves nothing. */
	if (strlen(line) > MATCH_ADDRESS_MAX)
		return;
	match_address_normalise(line, &b);
	if (!match_address_equal(&a, &b) || !str_eq(a.designator, b.designator))
		fail("an address does not normalise to itself", line);
}

static void check_plate(const char *text)
{
	struct match_plate p, q;
	if (match_plate_key(text, &p, NULL) != HTD_OK) {
		if (p.exact[0] || p.folded[0])
			fail("a refused plate left output", text);
		return;
	}
	size_t n = strlen(p.exact);
	if (n == 0 || n > MATCH_PLATE_CHARS_MAX || strlen(p.folded) != n ||
	    strspn(p.exact, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") != n ||
	    strpbrk(p.folded, "OQIBSZ"))
		fail("a bad plate key", p.exact);
	if (match_plate_key(p.exact, &q, NULL) != HTD_OK ||
	    !str_eq(p.exact, q.exact) || !str_eq(p.folded, q.folded))
		fail("a plate does not normalise to itself", p.exact);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_input_copy(data, size);
	if (!text)
		return 0;
	check_name(text);
	check_dates(text);
	check_phone(text);
	check_address(text);
	check_plate(text);
	free(text);
	return 0;
}
