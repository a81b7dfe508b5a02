/*
 * test_radio.c - unit tests of core/radio.c: scripts for fixed facts
 * written out in full; the order of the parts and the length cap; the
 * redaction, case by case; the property the issue asks for: over 10,000
 * generated calls whose free text carries the caller's name and number in
 * many forms, the script never does and always says it withheld them; and
 * the title (radio_title()). The CAP alert from the same facts is tested
 * in tests/unit/formats/test_cap_radio.c.
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/radio.h"
#include "util/buf.h"
#include "util/mem.h"
#include "util/str.h"

static const struct radio_vehicle two_vehicles[2] = {
	{ "ABC1234", "Ford", "F-150", "white" },
	{ "TX XYZ-987", NULL, NULL, "black" },
};

static struct radio_facts full_facts(void)
{
	struct radio_facts f;
	memset(&f, 0, sizeof(f));
	f.call_id = "ht-2026-123";
	f.category = CALL_CATEGORY_VICTIM_ESCAPE;
	f.priority = 1;
	f.location = "1200 E 6th St";
	f.cross_street = "Chicot St";
	f.has_position = true;
	f.lat = 30.2649;
	f.lon = -97.7272;
	f.nature = "possible labor trafficking, victim escaped.";
	f.people = 3;
	f.suspects = "two men in work clothes";
	f.vehicles = two_vehicles;
	f.n_vehicles = 2;
	f.weapons = true;
	f.weapons_text = "handgun";
	f.safety = "dogs on property";
	f.language = "es-MX";
	return f;
}

static struct radio_script script_of(const struct radio_facts *f,
                                     const char *const *forbidden, size_t n)
{
	struct radio_script s;
	struct htd_error err;
	htd_error_clear(&err);
	cr_assert_eq(radio_script(f, forbidden, n, &s, &err), HTD_OK, "%s",
	             err.message);
	cr_assert_eq(strlen(s.text), s.len);
	cr_assert_leq(s.len, RADIO_SCRIPT_MAX);
	return s;
}

/* ---- fixed facts --------------------------------------------------------- */

Test(core_radio, full_script)
{
	struct radio_facts f = full_facts();
	struct radio_script s = script_of(&f, NULL, 0);
	cr_assert_str_eq(
	    s.text,
	    "Priority 1, trafficking victim escape: possible labor "
	    "trafficking, victim escaped. Location: 1200 E 6th St at Chicot "
	    "St. 3 people. Suspects: two men in work clothes. Vehicles: white "
	    "Ford F-150, plate ABC1234; black, plate TX XYZ-987. Caution: "
	    "weapons reported: handgun; dogs on property. Spanish speaker "
	    "needed. Contact dispatch for details, HT-2026-000123.");
	cr_assert_eq(s.redactions, 0);
	cr_assert_not(s.shortened);
}

Test(core_radio, scripts_leave_out_what_is_not_known)
{
	struct radio_facts f;
	memset(&f, 0, sizeof(f));
	struct radio_script s = script_of(&f, NULL, 0);
	cr_assert_str_eq(s.text, "Possible trafficking. Location unknown. "
	                         "Contact dispatch for details.");

	/* Only an empty vehicle: no vehicle part at all. */
	static const struct radio_vehicle empty[1] = { { NULL, "", NULL,
		                                         " " } };
	f.vehicles = empty;
	f.n_vehicles = 1;
	s = script_of(&f, NULL, 0);
	cr_assert_str_eq(s.text, "Possible trafficking. Location unknown. "
	                         "Contact dispatch for details.");

	f.category = CALL_CATEGORY_CREDIBLE_TIP;
	f.cross_street = "  Rosewood Ave\n";
	f.people = 1;
	f.weapons = true;
	f.safety = "\t";
	f.language = "sw";
	f.call_id = "HT-2026-000777";
	static const struct radio_vehicle v[2] = {
		{ NULL, NULL, NULL, NULL },
		{ "KLM 555", NULL, NULL, NULL },
	};
	f.vehicles = v;
	f.n_vehicles = 2;
	s = script_of(&f, NULL, 0);
	cr_assert_str_eq(s.text,
	                 "Trafficking tip. Location: near Rosewood Ave. 1 "
	                 "person. Vehicle: plate KLM 555. Caution: weapons "
	                 "reported. Speaker of language sw needed. Contact "
	                 "dispatch for details, HT-2026-000777.");

	f.category = CALL_CATEGORY_OTHER;
	f.priority = 4;
	f.weapons = false;
	f.weapons_text = "knife"; /* only read when weapons are reported */
	f.n_vehicles = 0;
	f.people = 0;
	f.language = NULL;
	f.nature = "...";
	s = script_of(&f, NULL, 0);
	cr_assert_str_eq(s.text,
	                 "Priority 4, trafficking-related call. Location: "
	                 "near Rosewood Ave. Contact dispatch for details, "
	                 "HT-2026-000777.");
}

/* The labels, in the order a dispatcher reads them. */
static const char *const labels[] = {
	"Location", " people.",  " person.", "Suspects: ",
	"Vehicle",  "Caution: ", " needed.", "Contact dispatch for details",
};

static void check_order(const char *text)
{
	const char *last = text;
	for (size_t i = 0; i < sizeof(labels) / sizeof(*labels); i++) {
		const char *p = strstr(text, labels[i]);
		if (!p)
			continue;
		cr_assert_geq(p, last, "'%s' out of order in: %s", labels[i],
		              text);
		last = p;
	}
	cr_assert(strncmp(text, "Priority", 8) == 0 ||
	              strncmp(text, "Trafficking", 11) == 0 ||
	              strncmp(text, "Possible", 8) == 0,
	          "starts with the priority or nature: %s", text);
}

Test(core_radio, long_text_is_cut_to_fit_in_order)
{
	static char big[RADIO_FIELD_MAX + 1];
	for (size_t i = 0; i < RADIO_FIELD_MAX; i++)
		big[i] = i % 7 == 6 ? ' ' : (char)('a' + i % 7);
	big[RADIO_FIELD_MAX] = '\0';
	struct radio_facts f = full_facts();
	f.nature = big;
	f.suspects = big;
	f.safety = big;
	f.location = big;
	f.cross_street = big;
	static const struct radio_vehicle v[4] = {
		{ "AAA1111", "Toyota", "Corolla", "silver" },
		{ "BBB2222", "Honda", "Civic", "red" },
		{ "CCC3333", "Chevrolet", "Silverado", "blue" },
		{ "DDD4444", "Nissan", "Altima", "green" },
	};
	f.vehicles = v;
	f.n_vehicles = 4;
	struct radio_script s = script_of(&f, NULL, 0);
	cr_assert(s.shortened);
	check_order(s.text);
	cr_assert_not_null(strstr(s.text, "Location: abcdef abcdef abcdef "
	                                  "abcdef abcdef abcdef"),
	                   "the location keeps its first 48 bytes: %s", s.text);
	cr_assert_not_null(strstr(s.text, "Vehicles: silver Toyota Corolla, "
	                                  "plate AAA1111"));
	cr_assert_not_null(
	    strstr(s.text, "Contact dispatch for details, HT-2026-000123."));
	cr_assert_null(strstr(s.text, "...."), "no dot after the cut");

	/* UTF-8 is never cut inside a character. */
	static char wide[RADIO_FIELD_MAX + 1];
	size_t n = 0;
	while (n + 3 <= RADIO_FIELD_MAX) {
		memcpy(wide + n, "\xe6\x97\xa5", 3); /* 日, no spaces */
		n += 3;
	}
	wide[n] = '\0';
	f.nature = wide;
	f.suspects = wide;
	s = script_of(&f, NULL, 0);
	cr_assert(str_utf8_valid(s.text, s.len), "%s", s.text);
}

/* ---- bad facts ----------------------------------------------------------- */

static void refuse(const struct radio_facts *f, enum htd_err code,
                   const char *field)
{
	struct radio_script s;
	struct htd_error err;
	htd_error_clear(&err);
	memset(&s, 0x55, sizeof(s));
	cr_assert_eq(radio_script(f, NULL, 0, &s, &err), code, "%s: %s", field,
	             err.message);
	cr_assert_str_eq(err.field, field);
	cr_assert_eq(s.len, 0);
	cr_assert_str_eq(s.text, "");
}

Test(core_radio, bad_facts_are_refused)
{
	struct radio_script s;
	struct htd_error err;
	const struct radio_facts good = full_facts();
	struct radio_facts f;
	static char big[RADIO_FIELD_MAX + 2];
	memset(big, 'x', RADIO_FIELD_MAX + 1);

	f = good, f.call_id = "call 123";
	refuse(&f, HTD_ERR_INVALID, "call_id");
	f = good, f.priority = 10;
	refuse(&f, HTD_ERR_INVALID, "priority");
	f = good, f.people = -1;
	refuse(&f, HTD_ERR_INVALID, "people");
	f = good, f.category = CALL_CATEGORY__COUNT;
	refuse(&f, HTD_ERR_INVALID, "category");
	f = good, f.n_vehicles = RADIO_VEHICLES_MAX + 1;
	refuse(&f, HTD_ERR_INVALID, "vehicles");
	f = good, f.nature = "bell \a";
	refuse(&f, HTD_ERR_INVALID, "nature");
	f = good, f.safety = "bad \xc3";
	refuse(&f, HTD_ERR_INVALID, "safety");
	f = good, f.suspects = big;
	refuse(&f, HTD_ERR_TOO_LARGE, "suspects");
	f = good, f.language = "spanish";
	refuse(&f, HTD_ERR_INVALID, "language");
	f = good, f.lat = 123;
	refuse(&f, HTD_ERR_INVALID, "position");
	static const struct radio_vehicle bad_plate[2] = {
		{ "OK1", NULL, NULL, NULL },
		{ "\x1b[2J", NULL, NULL, NULL },
	};
	f = good, f.vehicles = bad_plate;
	refuse(&f, HTD_ERR_INVALID, "vehicles[1].plate");

	f = good;
	const char *too_many[RADIO_FORBIDDEN_MAX + 1];
	for (size_t i = 0; i <= RADIO_FORBIDDEN_MAX; i++)
		too_many[i] = "x";
	cr_assert_eq(
	    radio_script(&f, too_many, RADIO_FORBIDDEN_MAX + 1, &s, &err),
	    HTD_ERR_INVALID);
	cr_assert_str_eq(err.field, "forbidden");
	const char *bad_utf8[] = { "Maria \xff" };
	cr_assert_eq(radio_script(&f, bad_utf8, 1, &s, &err), HTD_ERR_INVALID,
	             "a name that cannot be matched fails, never leaks");
	cr_assert_eq(radio_script(&f, NULL, 2, &s, &err), HTD_ERR_INVALID);
	cr_assert_eq(radio_script(NULL, NULL, 0, &s, &err), HTD_ERR_INVALID);
	cr_assert_eq(radio_script(&f, NULL, 0, NULL, &err), HTD_ERR_INVALID);
	/* NULL and "" entries are skipped. */
	const char *sparse[] = { NULL, "", "Chicot" };
	cr_assert_eq(radio_script(&f, sparse, 3, &s, &err), HTD_OK);
	cr_assert_eq(s.redactions, 1);
}

/* ---- redaction, case by case --------------------------------------------- */

static const char *const maria[] = { "María López", "María", "López",
	                             "(512) 555-0142", "5125550142" };

static void expect_redacted(const char *text, const char *const *forbidden,
                            size_t n, const char *want, size_t places)
{
	struct buf b;
	size_t count = 99;
	struct htd_error err;
	buf_init(&b, 0);
	cr_assert_eq(radio_redact(text, forbidden, n, &b, &count, &err), HTD_OK,
	             "%s", err.message);
	cr_assert_str_eq(buf_str(&b), want, "from: %s", text);
	cr_assert_eq(count, places, "%s: %zu places, not %zu", text, count,
	             places);
	buf_free(&b);
}

Test(core_radio, phone_numbers_in_every_format)
{
	const char *const phone[] = { "(512) 555-0142" };
	const struct {
		const char *text, *want;
	} cases[] = {
		{ "call 5125550142 now", "call [withheld] now" },
		{ "call (512) 555-0142", "call [withheld]" },
		{ "cell +1 512 555 0142.", "cell [withheld]." },
		{ "512.555.0142", "[withheld]" },
		{ "1-512-555-0142", "[withheld]" },
		{ "+15125550142", "[withheld]" },
		{ "(512)555-0142, anytime", "[withheld], anytime" },
		{ "local 555-0142 only", "local [withheld] only" },
		{ "tel:5125550142", "tel:[withheld]" },
		{ "x5125550142y", "x[withheld]y" },
		{ "\xef\xbc\x95\xef\xbc\x91\xef\xbc\x92 555 0142",
		  "[withheld]" }, /* full-width 512 */
		{ "512\xe2\x80\x93"
		  "555\xe2\x80\x93"
		  "0142",
		  "[withheld]" }, /* en dashes */
		{ "512\xc2\xa0"
		  "555\xc2\xa0"
		  "0142",
		  "[withheld]" }, /* NBSP */
		{ "512 / 555 - 0142", "[withheld]" },
		/* Not this number: left alone. */
		{ "512-555-0199", "512-555-0199" },
		{ "1200 E 6th St, unit 14", "1200 E 6th St, unit 14" },
		{ "555 01 42", "[withheld]" },
		{ "555-0 x 142", "555-0 x 142" }, /* split by a letter */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		bool same = strcmp(cases[i].text, cases[i].want) == 0;
		expect_redacted(cases[i].text, phone, 1, cases[i].want,
		                same ? 0 : 1);
	}
	/* Every format of the number finds every other. */
	const char *const formats[] = { "(512) 555-0142", "512.555.0142",
		                        "+1 512 555 0142", "5125550142",
		                        "1 (512) 555 0142" };
	for (size_t i = 0; i < 5; i++)
		for (size_t j = 0; j < 5; j++)
			expect_redacted(formats[j], &formats[i], 1,
			                "[withheld]", 1);
}

Test(core_radio, names_as_words)
{
	const char *const ana[] = { "Ana" };
	expect_redacted("Maria Lopez called", maria, 5, "[withheld] called", 1);
	expect_redacted("MARIA LOPEZ", maria, 5, "[withheld]", 1);
	expect_redacted("maría  lópez", maria, 5, "[withheld]", 1);
	expect_redacted("Maria-Lopez", maria, 5, "[withheld]", 1);
	expect_redacted("Lopez, Maria", maria, 5, "[withheld], [withheld]", 2);
	expect_redacted("ask for maria.", maria, 5, "ask for [withheld].", 1);
	expect_redacted("Maria Lopez at 512-555-0142", maria, 5,
	                "[withheld] at [withheld]", 2);
	expect_redacted("Ma\xe2\x80\x8bria", maria, 5, "[withheld]",
	                1); /* a zero-width space inside */
	expect_redacted("Ana's friend", ana, 1, "[withheld]'s friend", 1);
	expect_redacted("banana and Anabel", ana, 1, "banana and Anabel", 0);
	expect_redacted("(ANA)", ana, 1, "([withheld])", 1);
	const char *const wang[] = { "王伟" };
	expect_redacted("联系王伟先生", wang, 1, "联系[withheld]先生", 1);
	/* Overlapping matches are one place. */
	const char *const overlap[] = { "Maria Lopez", "Lopez Garcia" };
	expect_redacted("Maria Lopez Garcia", overlap, 2, "[withheld]", 1);
	/* Nothing to withhold. */
	expect_redacted("two men", NULL, 0, "two men", 0);
	expect_redacted("two men", (const char *const[]){ "", NULL }, 2,
	                "two men", 0);
	expect_redacted("", maria, 5, "", 0);
}

/* ---- 10,000 generated calls ---------------------------------------------- */

static uint64_t rng_state;

static uint64_t rng_next(void)
{
	/* splitmix64 */
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15u);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

static size_t pick(size_t n)
{
	return (size_t)(rng_next() % n);
}

/* A caller: the name as given, its parts, and the same without accents
 * (what a call-taker may type instead). */
static const struct {
	const char *full, *given, *family, *ascii;
} callers[] = {
	{ "Maria Lopez", "Maria", "Lopez", "Maria Lopez" },
	{ "José Hernández", "José", "Hernández", "Jose Hernandez" },
	{ "Nguyen Thi Lan", "Nguyen", "Lan", "Nguyen Thi Lan" },
	{ "Olga Ivanova", "Olga", "Ivanova", "Olga Ivanova" },
	{ "Jean-Baptiste Pierre", "Jean-Baptiste", "Pierre",
	  "Jean-Baptiste Pierre" },
	{ "Fatima Al-Sayed", "Fatima", "Al-Sayed", "Fatima Al-Sayed" },
	{ "Wei Zhang", "Wei", "Zhang", "Wei Zhang" },
	{ "Siobhán O'Connor", "Siobhán", "O'Connor", "Siobhan O'Connor" },
	{ "Kim Min-jun", "Kim", "Min-jun", "Kim Min-jun" },
	{ "Ana Sofía Reyes", "Ana", "Reyes", "Ana Sofia Reyes" },
};

/* Ordinary free text; none of it holds a caller's name or number. */
static const char *const words[] = {
	"possible", "labor",  "trafficking", "victim",    "escaped",  "two",
	"men",      "in",     "a",           "red",       "pickup",   "workers",
	"locked",   "inside", "the",         "warehouse", "near",     "loading",
	"dock",     "boss",   "took",        "passport",  "she",      "says",
	"they",     "armed",  "dogs",        "on",        "property", "cameras",
	"over",     "door",   "crew",        "leader",    "tall",     "beard",
	"tattoo",   "hat",    "speaks",      "only",      "Spanish",  "mobile",
	"home",     "unit",   "14",          "gate",      "code",     "2380",
	"#",        "back",   "entrance",    "(",         ")",        "--",
	";",        "señor",  "jefe",        "dueño",     "über",     "1200",
};

/* Writes the number `area` 555 `line` in format `k`. */
static void phone_format(char *out, size_t size, int k, const char *area,
                         const char *line)
{
	switch (k) {
	case 0: str_format(out, size, "(%s) 555-%s", area, line); break;
	case 1: str_format(out, size, "%s.555.%s", area, line); break;
	case 2: str_format(out, size, "+1 %s 555 %s", area, line); break;
	case 3: str_format(out, size, "%s555%s", area, line); break;
	case 4: str_format(out, size, "%s-555-%s", area, line); break;
	case 5: str_format(out, size, "1-%s-555-%s", area, line); break;
	case 6: str_format(out, size, "+1%s555%s", area, line); break;
	case 7: str_format(out, size, "%s 555 %s", area, line); break;
	case 8: str_format(out, size, "555-%s", line); break;
	case 9: str_format(out, size, "(%s)555-%s", area, line); break;
	default: str_format(out, size, "+1 (%s) 555-%s", area, line); break;
	}
}

#define PHONE_FORMATS 11

struct call_case {
	size_t caller;
	char area[4], line[5];
	char digits[11]; /* the ten digits */
	char forbidden[5][64];
	const char *forbidden_list[5];
	bool leaked; /* the generator put name or number into the text */
};

/* Upper-cases ASCII letters; leaves others. */
static void ascii_upper(char *s)
{
	for (; *s; s++)
		if (*s >= 'a' && *s <= 'z')
			*s = (char)(*s - 'a' + 'A');
}

/* Appends one leak of the caller's name or number to `b`. */
static void put_leak(struct buf *b, struct call_case *c)
{
	char text[96];
	static const char *const before[] = {
		" ", " (", " call ", " named ", "\n", ", ", "\t", " ask for "
	};
	static const char *const after[] = { " ",  ") ", "'s ", ". ",
		                             ", ", "\n", "! ",  "; " };
	buf_puts(b, before[pick(8)]);
	switch (pick(8)) {
	case 0: str_copy(text, sizeof(text), callers[c->caller].full); break;
	case 1: str_copy(text, sizeof(text), callers[c->caller].ascii); break;
	case 2:
		str_copy(text, sizeof(text), callers[c->caller].full);
		ascii_upper(text);
		break;
	case 3: str_copy(text, sizeof(text), callers[c->caller].given); break;
	case 4:
		str_format(text, sizeof(text), "%s, %s",
		           callers[c->caller].family, callers[c->caller].given);
		break;
	default:
		phone_format(text, sizeof(text), (int)pick(PHONE_FORMATS),
		             c->area, c->line);
		break;
	}
	buf_puts(b, text);
	buf_puts(b, after[pick(8)]);
	c->leaked = true;
}

/* Fills `b` with up to `n` words, leaking now and then when `leak`. */
static void free_text(struct buf *b, size_t n, struct call_case *c, bool leak)
{
	buf_reset(b);
	size_t count = pick(n + 1);
	for (size_t i = 0; i < count; i++) {
		if (leak && pick(6) == 0)
			put_leak(b, c);
		if (b->len)
			buf_puts(b, " ");
		buf_puts(b, words[pick(sizeof(words) / sizeof(*words))]);
	}
	if (leak && pick(3) == 0)
		put_leak(b, c);
}

/*
 * Folds for the checks, by hand (not the module's own folding): ASCII and
 * the accented letters of the names to lower-case ASCII, and every
 * character that is not a letter or digit to one space.
 */
static void fold(const char *s, char *out, size_t size)
{
	static const struct {
		const char *from;
		char to;
	} accents[] = { { "á", 'a' }, { "Á", 'a' }, { "é", 'e' }, { "É", 'e' },
		        { "í", 'i' }, { "Í", 'i' }, { "ó", 'o' }, { "Ó", 'o' },
		        { "ú", 'u' }, { "Ú", 'u' }, { "ñ", 'n' }, { "Ñ", 'n' },
		        { "ü", 'u' }, { "Ü", 'u' } };
	size_t n = 0;
	while (*s && n + 2 < size) {
		char c = *s;
		bool done = false;
		for (size_t i = 0; i < sizeof(accents) / sizeof(*accents);
		     i++) {
			size_t k = strlen(accents[i].from);
			if (strncmp(s, accents[i].from, k) == 0) {
				out[n++] = accents[i].to;
				s += k;
				done = true;
				break;
			}
		}
		if (done)
			continue;
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		             (unsigned char)c >= 0x80;
		if (!alnum) {
			if (n > 0 && out[n - 1] != ' ')
				out[n++] = ' ';
		} else {
			out[n++] = c;
		}
		s++;
	}
	out[n] = '\0';
}

static bool word_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* True when folded `needle` is in folded `hay` as whole words. */
static bool has_words(const char *hay, const char *needle)
{
	size_t n = strlen(needle);
	if (n == 0)
		return false;
	for (const char *p = strstr(hay, needle); p;
	     p = strstr(p + 1, needle)) {
		bool start = p == hay || !word_char(p[-1]);
		bool end = !word_char(p[n]);
		if (start && end)
			return true;
	}
	return false;
}

/* Every digit of `s`, in order. */
static void digits_of(const char *s, char *out, size_t size)
{
	size_t n = 0;
	for (; *s && n + 1 < size; s++)
		if (*s >= '0' && *s <= '9')
			out[n++] = *s;
	out[n] = '\0';
}

static void check_no_leak(const char *script, const struct call_case *c,
                          int call)
{
	char folded[RADIO_SCRIPT_MAX * 2 + 1], name[128], digits[512];
	fold(script, folded, sizeof(folded));
	const char *names[] = { callers[c->caller].full,
		                callers[c->caller].given,
		                callers[c->caller].family,
		                callers[c->caller].ascii };
	for (size_t i = 0; i < 4; i++) {
		fold(names[i], name, sizeof(name));
		cr_assert_not(has_words(folded, name),
		              "call %d: '%s' went out: %s", call, names[i],
		              script);
	}
	digits_of(script, digits, sizeof(digits));
	cr_assert_null(strstr(digits, c->digits),
	               "call %d: the number's digits went out: %s", call,
	               script);
	char local[16];
	str_format(local, sizeof(local), "555 %s", c->line);
	cr_assert_not(has_words(folded, local), "call %d: %s", call, script);
	str_format(local, sizeof(local), "555%s", c->line);
	cr_assert_not(has_words(folded, local), "call %d: %s", call, script);
}

Test(core_radio, ten_thousand_calls_never_leak, .timeout = 120)
{
	static const char *const areas[] = { "512", "737", "210", "713",
		                             "832" };
	static const char *const languages[] = { NULL, "es", "vi", "sw",
		                                 "zh-Hant" };
	struct buf nature, suspects, safety, location, cross, weapons, make;
	buf_init(&nature, 0);
	buf_init(&suspects, 0);
	buf_init(&safety, 0);
	buf_init(&location, 0);
	buf_init(&cross, 0);
	buf_init(&weapons, 0);
	buf_init(&make, 0);
	size_t leaks = 0, clean = 0, shortened = 0;
	rng_state = 911;
	for (int call = 0; call < 10000; call++) {
		struct call_case c;
		memset(&c, 0, sizeof(c));
		c.caller = pick(sizeof(callers) / sizeof(*callers));
		str_copy(c.area, sizeof(c.area), areas[pick(5)]);
		str_format(c.line, sizeof(c.line), "01%02d", (int)pick(100));
		str_format(c.digits, sizeof(c.digits), "%s555%s", c.area,
		           c.line);
		/* What the service passes: the name, its parts, and the
		 * callback number as stored and as digits. */
		str_copy(c.forbidden[0], 64, callers[c.caller].full);
		str_copy(c.forbidden[1], 64, callers[c.caller].given);
		str_copy(c.forbidden[2], 64, callers[c.caller].family);
		phone_format(c.forbidden[3], 64, (int)pick(PHONE_FORMATS - 1),
		             c.area, c.line);
		str_copy(c.forbidden[4], 64, c.digits);
		for (size_t i = 0; i < 5; i++)
			c.forbidden_list[i] = c.forbidden[i];

		bool leak = pick(5) != 0;
		free_text(&nature, 12, &c, leak);
		free_text(&suspects, 25, &c, leak);
		free_text(&safety, 20, &c, leak);
		free_text(&location, 6, &c, leak && pick(4) == 0);
		free_text(&cross, 3, &c, leak && pick(4) == 0);
		/* Leaks only where the script reads: weapons text when
		 * weapons are reported, a make when there is a vehicle. */
		bool armed = pick(3) == 0;
		size_t nv = pick(RADIO_VEHICLES_MAX + 1);
		free_text(&weapons, 3, &c, armed && leak && pick(4) == 0);
		free_text(&make, 2, &c, nv > 0 && leak && pick(4) == 0);

		struct radio_vehicle v[RADIO_VEHICLES_MAX];
		char plates[RADIO_VEHICLES_MAX][16];
		for (size_t i = 0; i < nv; i++) {
			str_format(plates[i], 16, "%c%c%c %04d",
			           (char)('A' + pick(26)),
			           (char)('A' + pick(26)),
			           (char)('A' + pick(26)), (int)pick(10000));
			v[i].plate = plates[i];
			v[i].make = i == 0 ? make.data : "Ford";
			v[i].model = pick(2) ? "Transit" : NULL;
			v[i].color = pick(2) ? "white" : NULL;
		}
		struct radio_facts f;
		memset(&f, 0, sizeof(f));
		f.call_id = "HT-2026-000417";
		f.category = (enum call_category)pick(CALL_CATEGORY__COUNT);
		f.priority = (int)pick(10);
		f.location = location.data;
		f.cross_street = cross.data;
		f.nature = nature.data;
		f.people = (int)pick(12);
		f.suspects = suspects.data;
		f.vehicles = v;
		f.n_vehicles = nv;
		f.weapons = armed;
		f.weapons_text = weapons.data;
		f.safety = safety.data;
		f.language = languages[pick(5)];

		struct radio_script s;
		struct htd_error err;
		cr_assert_eq(radio_script(&f, c.forbidden_list, 5, &s, &err),
		             HTD_OK, "call %d: %s", call, err.message);
		cr_assert_leq(s.len, RADIO_SCRIPT_MAX, "call %d", call);
		cr_assert_eq(strlen(s.text), s.len);
		check_no_leak(s.text, &c, call);
		check_order(s.text);
		cr_assert_not_null(strstr(s.text, "Contact dispatch for "
		                                  "details, HT-2026-000417."),
		                   "call %d: %s", call, s.text);
		if (c.leaked) {
			cr_assert_gt(s.redactions, 0,
			             "call %d: a leak not reported: %s", call,
			             s.text);
			leaks++;
		} else {
			cr_assert_eq(s.redactions, 0, "call %d: %s", call,
			             s.text);
			cr_assert_null(strstr(s.text, RADIO_WITHHELD));
			clean++;
		}
		shortened += s.shortened;
	}
	/* The generator did what it says: mostly leaks, some clean calls,
	 * some long enough to be cut. */
	cr_assert_gt(leaks, 7000);
	cr_assert_gt(clean, 1000);
	cr_assert_gt(shortened, 100);
	buf_free(&nature);
	buf_free(&suspects);
	buf_free(&safety);
	buf_free(&location);
	buf_free(&cross);
	buf_free(&weapons);
	buf_free(&make);
}

/* ---- the title ----------------------------------------------------------- */

Test(core_radio, title_is_the_opening_and_the_location)
{
	struct radio_facts f = full_facts();
	struct buf what, where;
	struct htd_error err;
	buf_init(&what, 0);
	buf_init(&where, 0);
	cr_assert_eq(radio_title(&f, NULL, 0, &what, &where, &err), HTD_OK,
	             "%s", err.message);
	cr_assert_str_eq(buf_str(&what),
	                 "Priority 1, trafficking victim escape");
	cr_assert_str_eq(buf_str(&where), "1200 E 6th St at Chicot St");

	/* Redacted as in the script; no nature, no priority, no location. */
	buf_reset(&what);
	buf_reset(&where);
	f.location = "María López's apartment.";
	cr_assert_eq(radio_title(&f, maria, 5, &what, &where, &err), HTD_OK);
	cr_assert_str_eq(buf_str(&where),
	                 "[withheld]'s apartment at Chicot St");
	buf_reset(&what);
	buf_reset(&where);
	memset(&f, 0, sizeof(f));
	f.category = CALL_CATEGORY_CREDIBLE_TIP;
	f.cross_street = "Chicot St";
	cr_assert_eq(radio_title(&f, NULL, 0, &what, &where, &err), HTD_OK);
	cr_assert_str_eq(buf_str(&what), "Trafficking tip");
	cr_assert_str_eq(buf_str(&where), "near Chicot St");
	buf_reset(&what);
	buf_reset(&where);
	f.cross_street = NULL;
	cr_assert_eq(radio_title(&f, NULL, 0, &what, &where, &err), HTD_OK);
	cr_assert_str_eq(buf_str(&where), "");

	/* The checks of radio_script(); nothing appended on error. */
	buf_reset(&what);
	buf_reset(&where);
	buf_puts(&what, "kept");
	f.priority = 10;
	cr_assert_eq(radio_title(&f, NULL, 0, &what, &where, &err),
	             HTD_ERR_INVALID);
	cr_assert_str_eq(err.field, "priority");
	cr_assert_str_eq(buf_str(&what), "kept");
	cr_assert_str_eq(buf_str(&where), "");
	f.priority = 0;
	cr_assert_eq(radio_title(&f, NULL, 0, NULL, &where, &err),
	             HTD_ERR_INVALID);
	cr_assert_eq(radio_title(NULL, NULL, 0, &what, &where, &err),
	             HTD_ERR_INVALID);
	/* Past a buffer's cap: neither buffer changes. */
	struct buf small;
	buf_init(&small, 4);
	f.location = "1200 E 6th St";
	cr_assert_eq(radio_title(&f, NULL, 0, &what, &small, &err),
	             HTD_ERR_TOO_LARGE);
	cr_assert_str_eq(buf_str(&what), "kept");
	cr_assert_eq(small.len, 0);
	buf_free(&small);
	buf_free(&what);
	buf_free(&where);
}
