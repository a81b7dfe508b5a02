/*
 * persons_gen.c - the deterministic person records of the records speed
 * benchmark (bench/records.sh): N people in the CSV of docs/import.md, and
 * Q search queries made from some of them with the errors real records
 * carry (FEBRL-like: typos, dropped accents, nicknames, a second surname
 * missing, day and month swapped, a field left out), each with the id of
 * the record it was made from, so recall can be counted.
 *
 * Usage: persons_gen N Q PERSONS.csv QUERIES.tsv [SEED]
 * The same arguments always write the same bytes.
 *
 * Names: common English and Spanish given names and surnames (US Census
 * and INE frequency lists' best-known entries), so that blocking keys see
 * the skew of real data: many Smiths and Garcías, few Zamudios.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const given[] = {
	"james",       "mary",      "john",    "patricia",  "robert",
	"jennifer",    "michael",   "linda",   "william",   "elizabeth",
	"david",       "barbara",   "richard", "susan",     "joseph",
	"jessica",     "thomas",    "sarah",   "charles",   "karen",
	"christopher", "nancy",     "daniel",  "lisa",      "matthew",
	"margaret",    "anthony",   "betty",   "mark",      "sandra",
	"donald",      "ashley",    "steven",  "dorothy",   "paul",
	"kimberly",    "andrew",    "emily",   "joshua",    "donna",
	"kenneth",     "michelle",  "kevin",   "carol",     "brian",
	"amanda",      "george",    "melissa", "edward",    "deborah",
	"josé",        "maría",     "juan",    "guadalupe", "luis",
	"carmen",      "carlos",    "rosa",    "jesús",     "ana",
	"francisco",   "margarita", "antonio", "verónica",  "miguel",
	"alejandra",   "manuel",    "leticia", "pedro",     "gabriela",
	"alejandro",   "patricia",  "ramón",   "elena",     "jorge",
	"sofía",       "ricardo",   "isabel",  "fernando",  "lucía",
	"nguyen",      "mei",       "wei",     "anh",       "olena",
	"dmitri",      "svetlana",  "oksana",  "tran",      "linh",
};

static const char *const family[] = {
	"smith",    "johnson",   "williams", "brown",     "jones",
	"miller",   "davis",     "wilson",   "anderson",  "taylor",
	"thomas",   "moore",     "martin",   "jackson",   "thompson",
	"white",    "harris",    "clark",    "lewis",     "robinson",
	"walker",   "young",     "allen",    "king",      "wright",
	"scott",    "hill",      "green",    "adams",     "baker",
	"nelson",   "carter",    "mitchell", "roberts",   "turner",
	"phillips", "campbell",  "parker",   "evans",     "edwards",
	"garcía",   "rodríguez", "martínez", "hernández", "lópez",
	"gonzález", "pérez",     "sánchez",  "ramírez",   "torres",
	"flores",   "rivera",    "gómez",    "díaz",      "reyes",
	"morales",  "cruz",      "ortiz",    "gutiérrez", "chávez",
	"ramos",    "ruiz",      "álvarez",  "mendoza",   "castillo",
	"jiménez",  "vásquez",   "moreno",   "herrera",   "medina",
	"aguilar",  "vargas",    "guzmán",   "castro",    "zamudio",
	"nguyen",   "tran",      "le",       "pham",      "huynh",
	"kowalski", "novak",     "petrov",   "ivanova",   "shevchenko",
	"okafor",   "mensah",    "abubakar", "haddad",    "khoury",
};

static const char *const streets[] = {
	"main",  "oak",     "pine",    "maple",  "cedar",  "elm",
	"lake",  "hill",    "church",  "park",   "river",  "mill",
	"ranch", "orchard", "harvest", "county", "valley", "farm",
};
static const char *const suffixes[] = { "st", "street", "ave", "avenue",
	                                "rd", "road",   "ln",  "dr" };
static const char *const cities[] = {
	"austin",    "san antonio", "houston", "el paso", "laredo",
	"mcallen",   "fresno",      "salinas", "yakima",  "immokalee",
	"homestead", "bakersfield", "tulare",  "visalia", "oxnard",
};
static const char *const states[] = { "tx", "tx", "tx", "tx", "tx",
	                              "tx", "ca", "ca", "wa", "fl",
	                              "fl", "ca", "ca", "ca", "ca" };

/* The nicknames a query may use instead of the formal name. */
static const char *const nick_formal[] = {
	"guadalupe", "william",   "robert",   "elizabeth", "margaret",
	"josé",      "francisco", "jesús",    "richard",   "jennifer",
	"joseph",    "alejandro", "patricia", "michael",   "thomas",
};
static const char *const nick_short[] = {
	"lupe", "bill",  "bob", "liz",  "peggy", "pepe", "paco", "chuy",
	"dick", "jenny", "joe", "alex", "patty", "mike", "tom",
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* splitmix64: the same stream for the same seed on every machine. */
static uint64_t rng_state;
static uint64_t rng(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}
static size_t pick(size_t n)
{
	return (size_t)(rng() % n);
}
/* Zipf-like skew: low indexes far more often (real surname frequencies). */
static size_t pick_skewed(size_t n)
{
	size_t a = pick(n), b = pick(n);
	return a < b ? a : b;
}
static int chance(int percent)
{
	return (int)(rng() % 100) < percent;
}

struct person {
	char given[64];
	char family[128];
	int year, month, day;
	char sex;
	char phone[32];
	char address[160];
	const char *city, *state;
	int postcode;
};

/*
 * The long tail: real lists hold a hundred thousand surnames, most of them
 * rare. Made from syllables, so that half the people share the common
 * names above and half are spread thin, as in a census.
 */
static const char *const syllables[] = {
	"ba",  "ker", "mo",   "ran", "ste", "vil", "dor", "ga",  "lin", "ro",
	"sa",  "ton", "quez", "na",  "bel", "chi", "fer", "hal", "mar", "den",
	"cas", "tel", "zu",   "ri",  "wen", "pol", "nik", "ov",  "ska", "er",
};

static void rare_name(char *out, size_t size)
{
	snprintf(out, size, "%s%s%s", syllables[pick(COUNT(syllables))],
	         syllables[pick(COUNT(syllables))],
	         syllables[pick(COUNT(syllables))]);
}

static void make_person(struct person *p)
{
	size_t g = pick_skewed(COUNT(given));
	if (chance(25))
		rare_name(p->given, sizeof(p->given));
	else
		snprintf(p->given, sizeof(p->given), "%s", given[g]);
	size_t f1 = pick_skewed(COUNT(family));
	char rare[32];
	if (chance(50)) {
		rare_name(rare, sizeof(rare));
		snprintf(p->family, sizeof(p->family), "%s", rare);
	} else if (f1 >= 40 && f1 < 75 && chance(40)) {
		/* Spanish double surname. */
		size_t f2 = 40 + pick(35);
		snprintf(p->family, sizeof(p->family), "%s %s", family[f1],
		         family[f2]);
	} else {
		snprintf(p->family, sizeof(p->family), "%s", family[f1]);
	}
	p->year = 1940 + (int)pick(66);
	p->month = 1 + (int)pick(12);
	p->day = 1 + (int)pick(28);
	p->sex = g % 2 ? 'F' : 'M';
	snprintf(p->phone, sizeof(p->phone), "512%03d%04d",
	         200 + (int)pick(800), (int)pick(10000));
	snprintf(p->address, sizeof(p->address), "%d %s %s",
	         1 + (int)pick(9999), streets[pick(COUNT(streets))],
	         suffixes[pick(COUNT(suffixes))]);
	size_t c = pick(COUNT(cities));
	p->city = cities[c];
	p->state = states[c];
	p->postcode = 70000 + (int)pick(29999);
}

/* Drops the accents of the Spanish letters used above, in place. */
static void strip_accents(char *s)
{
	static const char *const from[] = { "á", "é", "í", "ó", "ú", "ñ" };
	static const char to[] = "aeioun";
	char out[256];
	size_t o = 0;
	for (size_t i = 0; s[i] && o + 1 < sizeof(out);) {
		int hit = 0;
		for (size_t k = 0; k < COUNT(from); k++)
			if (strncmp(s + i, from[k], 2) == 0) {
				out[o++] = to[k];
				i += 2;
				hit = 1;
				break;
			}
		if (!hit)
			out[o++] = s[i++];
	}
	out[o] = '\0';
	memcpy(s, out, o + 1);
}

/* One keyboard slip in an ASCII letter: substitute, drop, double or swap. */
static void typo(char *s)
{
	size_t n = strlen(s);
	if (n < 3)
		return;
	size_t i = 1 + pick(n - 2);
	if ((unsigned char)s[i] >= 0x80 || (unsigned char)s[i - 1] >= 0x80 ||
	    (unsigned char)s[i + 1] >= 0x80)
		return;
	switch (pick(4)) {
	case 0: s[i] = (char)('a' + pick(26)); break;
	case 1: memmove(s + i, s + i + 1, n - i); break;
	case 2:
		if (n + 2 < 64) {
			memmove(s + i + 1, s + i, n - i + 1);
		}
		break;
	default: {
		char t = s[i];
		s[i] = s[i + 1];
		s[i + 1] = t;
	}
	}
}

static void nickname(char *given_name, size_t size)
{
	for (size_t k = 0; k < COUNT(nick_formal); k++)
		if (strcmp(given_name, nick_formal[k]) == 0) {
			snprintf(given_name, size, "%s", nick_short[k]);
			return;
		}
}

int main(int argc, char **argv)
{
	if (argc < 5 || argc > 6) {
		fprintf(stderr, "usage: persons_gen N Q PERSONS.csv "
		                "QUERIES.tsv [SEED]\n");
		return 2;
	}
	long n = strtol(argv[1], NULL, 10), q = strtol(argv[2], NULL, 10);
	rng_state = argc == 6 ? strtoull(argv[5], NULL, 10) : 20261129;
	if (n < 1 || n > 100000000 || q < 0 || q > n) {
		fprintf(stderr, "persons_gen: 1 <= N <= 1e8 and 0 <= Q <= N\n");
		return 2;
	}
	FILE *pf = fopen(argv[3], "w"), *qf = fopen(argv[4], "w");
	if (!pf || !qf) {
		perror("persons_gen");
		return 1;
	}
	fputs("source_id,given_name,family_name,birth_date,sex,phone,address,"
	      "city,state,postcode\n",
	      pf);
	/* Query every (n / q)th person, with errors. */
	long every = q ? n / q : 0;
	for (long i = 0; i < n; i++) {
		struct person p;
		make_person(&p);
		fprintf(pf, "P%08ld,%s,%s,%04d-%02d-%02d,%c,%s,%s,%s,%s,%05d\n",
		        i, p.given, p.family, p.year, p.month, p.day, p.sex,
		        p.phone, p.address, p.city, p.state, p.postcode);
		if (!every || i % every != 0 || i / every >= q)
			continue;
		char g[64], f[128], dob[48];
		snprintf(g, sizeof(g), "%s", p.given);
		snprintf(f, sizeof(f), "%s", p.family);
		if (chance(30))
			nickname(g, sizeof(g));
		if (chance(60))
			strip_accents(g), strip_accents(f);
		if (chance(30))
			typo(g);
		if (chance(30))
			typo(f);
		if (chance(30)) {
			char *space = strchr(f, ' ');
			if (space)
				*space = '\0';
		}
		if (p.day <= 12 && chance(20))
			snprintf(dob, sizeof(dob), "%04d-%02d-%02d", p.year,
			         p.day, p.month);
		else if (chance(20))
			snprintf(dob, sizeof(dob), "%04d", p.year);
		else if (chance(15))
			dob[0] = '\0';
		else
			snprintf(dob, sizeof(dob), "%04d-%02d-%02d", p.year,
			         p.month, p.day);
		fprintf(qf, "P%08ld\t%s\t%s\t%s\t%s\n", i, g, f, dob,
		        chance(50) ? p.phone : "");
	}
	if (fclose(pf) != 0 || fclose(qf) != 0) {
		perror("persons_gen");
		return 1;
	}
	return 0;
}
