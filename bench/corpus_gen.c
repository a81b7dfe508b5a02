/*
 * corpus_gen.c - a deterministic corpus of 911 call-taker notes for the
 * screen benchmark: English, Spanish and both mixed in one note, typed
 * fast (fragments, dispatcher shorthand, typos, missing accents, all caps),
 * with addresses, times, plates and phone numbers; about 2% of the notes
 * carry a trafficking indicator phrase, some of them negated, hypothetical
 * or historical. Same --size and --seed, same bytes, on every machine.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/str.h"

#define DEFAULT_SIZE ((int64_t)1 << 30)
#define DEFAULT_SEED 2026
#define NOTE_MAX 16384     /* a note never grows past this */
#define OUT_BUF (1u << 20) /* written in blocks of this size */

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* ---- the random stream: xoshiro256**, seeded by splitmix64 ------------- */

struct rng {
	uint64_t s[4];
};

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15u);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

static void rng_seed(struct rng *r, uint64_t seed)
{
	for (int i = 0; i < 4; i++)
		r->s[i] = splitmix64(&seed);
}

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static uint64_t rng_next(struct rng *r)
{
	uint64_t *s = r->s;
	uint64_t result = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

/* A number in [0, n): Lemire's multiply-shift (the tiny bias is harmless
 * here and, unlike a rejection loop, the stream stays fixed). */
static uint32_t rng_below(struct rng *r, uint32_t n)
{
	return (uint32_t)(((rng_next(r) >> 32) * (uint64_t)n) >> 32);
}

/* True with probability per_mille / 1000. */
static bool rng_chance(struct rng *r, uint32_t per_mille)
{
	return rng_below(r, 1000) < per_mille;
}

#define PICK(r, list) ((list)[rng_below((r), (uint32_t)COUNT(list))])

/* ---- what notes are made of ------------------------------------------- */

/*
 * Sentence templates. A slot {x} is filled by fill_slot(); everything else
 * is copied. English templates use dispatcher shorthand (RP = reporting
 * party, c/o = complains of, enrt = en route, adv = advised, unk =
 * unknown, juv = juvenile, susp = suspect, veh = vehicle, cb = callback).
 */
static const char *const en_routine[] = {
	"RP states neighbor yelling and banging on the walls since {t}",
	"caller reports MVA at {s} and {s}, {n} veh, no inj reported",
	"c/o chest pain, {g} yo male, conscious and breathing",
	"RP adv loud music at {a}, ongoing since {t}",
	"susp veh {v} lic {l} last seen EB on {s}",
	"caller hung up, cb no answer, vm full",
	"RP is the homeowner, states back door was forced open",
	"advised units enrt, ETA {n} min",
	"subj wearing {c}, approx {g}, thin build",
	"caller req welfare check on her mother at {a}",
	"smoke showing from 2nd floor, unk if occupied",
	"per RP {r} took the car keys and left on foot",
	"xfer to EMS, pt is diabetic, sugar low per family",
	"caller very upset, crying, hard to understand",
	"lang line used, spanish interp #{N}{n}{n}",
	"no weapons seen per RP",
	"dog loose in the yard, aggressive, bit the mail carrier",
	"male passed out in veh at the gas station on {s}",
	"alarm co calling, zone {n} front door, no keyholder",
	"juv runaway, last seen {t} wearing {c}",
	"fight in the parking lot of {w} approx {N} subjs",
	"poss intox driver weaving across lanes on {h}",
	"RP can hear screaming from apt {n}{n}",
	"caller is at work, wants officer to call back at {p}",
	"power lines down across the road near {a}",
	"ref prior call {k}",
	"elderly female fell, unable to get up, on blood thinners",
	"RP found a wallet with ID in it, wants to turn it in",
	"shoplifter detained by security at {w}",
	"caller lost her passport at the airport, needs a report number",
	"boss called, employee did not show up for shift and not answering",
	"tree on the house, no one hurt, gas smell unk",
	"{f} {z} called back, says {r} is ok now, cancel",
	"RP adv {n} kids home alone at {a}",
	"suspicious person checking car door handles on {s}",
	"pt breathing but not responsive, CPR instructions given",
	"vehicle broken into overnight, window smashed, laptop taken",
	"caller states her ex keeps driving by the house",
	"noise complaint, party with approx {N} ppl",
	"disabled veh blocking the right lane {h} mm {N}{n}",
	"RP thinks someone is living in the vacant house at {a}",
	"smell of gas in the kitchen, advised to leave the house",
	"male on the bridge, talking about jumping, CIT requested",
	"caller wants to report a scam call, lost ${d} in gift cards",
	"road rage, other driver showed middle finger, no contact",
	"OD, narcan given by family, pt now awake",
	"fireworks complaint, kids in the street",
	"water main break flooding {s}",
	"stolen bike from the rack at {w}, red trek",
	"{r} hasn't been seen since {t}, phone goes to vm",
};

static const char *const es_routine[] = {
	"llamante reporta pelea entre vecinos en {a}",
	"se escucha música muy fuerte desde las {t}",
	"hay un carro sospechoso estacionado enfrente, {v}",
	"señora de {g} años con dolor de pecho, consciente",
	"el niño se cayó de la bicicleta, sangra de la cabeza",
	"pide patrulla, alguien intentó abrir la puerta",
	"no habla inglés, se usó intérprete",
	"reporta accidente en {s} y {s}, dos vehículos",
	"dice que hay humo saliendo de la casa de al lado",
	"llamó y colgó, se devolvió la llamada sin respuesta",
	"perro suelto, muy agresivo, mordió a un vecino",
	"su mamá no contesta el teléfono desde ayer, pide chequeo",
	"el sospechoso lleva {C}, huyó a pie hacia el norte",
	"está muy nerviosa, llorando, difícil de entender",
	"hombre tirado en la banqueta, no responde",
	"unidades en camino, llegan en {n} minutos",
	"le robaron la cartera en la parada del autobús",
	"quiere hablar con un oficial en persona",
	"{R} no ha llegado a la casa desde las {t}",
	"se metieron a robar a la casa en {a}",
	"hay un señor borracho gritando en la calle",
	"la estufa prendió fuego, ya lo apagaron, mucho humo",
	"su hijo de {g} años tiene fiebre y convulsiones",
	"choque leve en el estacionamiento de {w}",
	"perdió su pasaporte en el aeropuerto, necesita número de reporte",
	"el patrón del rancho reporta ganado suelto en la carretera",
	"dice que {R} la está amenazando por mensajes",
	"hay unos muchachos rompiendo vidrios de carros en {s}",
	"pide ambulancia para su papá, se desmayó",
	"la luz se fue en toda la cuadra, cables en el suelo",
	"dice que alguien le está llamando para pedirle dinero, estafa",
	"mujer embarazada con dolores, {g} semanas",
	"reporta a una persona sospechosa mirando las casas",
	"el vecino tiene la música a todo volumen otra vez",
	"llamante no sabe la dirección exacta, cerca de {w}",
};

/* English with Spanish inside: what a bilingual call-taker writes. */
static const char *const mixed_routine[] = {
	"RP states \"{Q}\"",
	"caller says {R} rompió la ventana, RP is outside",
	"per caller, \"{Q}\", units enrt",
	"spanish spkr, dice que {Q}",
	"RP hablando con interp, states {r} left in {v}",
	"caller adv que hay un accidente on {s}",
	"\"{Q}\" per RP, no further info",
};

/* What goes inside quotes in a mixed note: short Spanish statements. */
static const char *const es_quotes[] = {
	"no sé dónde estoy",
	"mi esposo me pegó",
	"hay un hombre en mi casa",
	"ayúdenme por favor",
	"se lo llevaron en una camioneta blanca",
	"mi hijo no respira",
	"están peleando afuera",
	"me robaron el celular",
	"ya se fueron",
	"tengo miedo",
};

/*
 * Indicator sentences (domain.md section 4): what a caller says and a
 * call-taker writes down. Plain ones are indicators; the others are the
 * look-alikes the matcher must qualify.
 */
static const char *const en_indicator[] = {
	"caller states boss keeps her passport",
	"RP says employer took his pp and ID when they arrived",
	"she is not allowed to leave the house",
	"they lock the door from the outside at night",
	"owes ${d} for the trip, debt keeps growing",
	"works 7 days a week, {N} hrs a day, no days off",
	"hasn't been paid in {n} months",
	"boss threatened to call immigration on them",
	"they took her phone, cant call family",
	"lives at the {w}, sleeps in the back room with {N} others",
	"the man drives them to work and back every day",
	"job was supposed to be cleaning but now forced to do dates",
	"she is 16, a guy posts ads online for her",
	"afraid of police, man next to her answering for her",
	"windows are boarded up and cameras everywhere",
	"guards with guns at the farm",
	"they said they would hurt her family back home",
	"free to leave? NO",
	"can't leave, the boss has the keys",
	"they make him pay rent to the boss, takes it out of his check",
	"was promised a job at a hotel, when she got here it was different",
	"keeps saying she owes them money, cant leave until its paid",
};

static const char *const en_not_indicator[] = {
	"says she has her own passport and ID",
	"denies anyone took his documents",
	"states she is free to leave whenever she wants",
	"nobody threatened him, just wants info",
	"no one is holding her passport",
	"free to leave: yes",
	"asks whether employer can keep his passport",
	"wants to know if it is legal to not pay overtime",
	"asking if they would be deported if they call police",
	"years ago was forced to work to pay off a debt, now ok",
	"used to live at the job site, has own apt now",
};

static const char *const es_indicator[] = {
	"el patrón le quitó el pasaporte",
	"no la dejan salir de la casa",
	"el jefe tiene sus papeles",
	"debe {d} dólares por el viaje y la deuda sigue creciendo",
	"trabaja todos los días sin descanso, {N} horas",
	"no le pagan desde hace {n} meses",
	"amenazaron con llamar a inmigración",
	"le quitaron el celular, no puede hablar con su familia",
	"viven en la obra, duermen {N} en un cuarto",
	"el mayordomo los lleva y los trae del trabajo",
	"le prometieron trabajo de mesera pero la obligan a estar con hombres",
	"tiene 15 años y la ponen a trabajar en la cantina",
	"tiene miedo de la policía, no levanta la mirada",
	"amenazaron a su familia en {x}",
	"las ventanas tienen rejas y cerraron la puerta con candado por fuera",
	"el capataz anda armado",
	"le cobran la renta y la comida, no le queda nada",
};

static const char *const es_not_indicator[] = {
	"dice que ella tiene su propio pasaporte",
	"niega que le hayan quitado los papeles",
	"dice que es libre de salir cuando quiera",
	"no le han quitado el pasaporte",
	"pregunta si el patrón puede quedarse con su pasaporte",
	"quiere saber si la pueden deportar si llama a la policía",
	"antes el patrón le quitaba los papeles, ya no",
	"hace años trabajó para pagar una deuda, ahora está bien",
};

static const char *const first_names[] = {
	"Maria",  "Jose",    "John",   "Keisha",    "Luis",    "Ana",
	"Mike",   "Sarah",   "Carlos", "Guadalupe", "Jesús",   "Tyler",
	"Rosa",   "DeShawn", "Emily",  "Juan",      "Yesenia", "Brian",
	"Lupita", "Kevin",   "Nguyen", "Fatima",    "Raúl",    "Ashley",
};

static const char *const surnames[] = {
	"Garcia", "Smith",    "Hernández", "Johnson", "Martinez", "Lopez",
	"Brown",  "González", "Williams",  "Pérez",   "Davis",    "Ramírez",
	"Miller", "Torres",   "Nguyen",    "Flores",  "Wilson",   "Rivera",
};

static const char *const streets[] = {
	"Maple Ave",       "W 5th St",     "Main St",      "Oak Ln",
	"MLK Blvd",        "Calle Ocho",   "Riverside Dr", "E Cesar Chavez",
	"Lamar Blvd",      "Pecan St",     "Airport Rd",   "N Loop",
	"Rundberg Ln",     "S Congress",   "Burnet Rd",    "Elm Ct",
	"Industrial Pkwy", "County Rd 12", "FM 969",       "Slaughter Ln",
};

static const char *const apts[] = { "",         "",       "",        " apt 3B",
	                            " apt 112", " #4",    " unit C", " apt 2",
	                            " lot 17",  " trlr 9" };

static const char *const vehicles[] = {
	"blk Honda Civic",   "white F150",         "silver minivan",
	"red Nissan Altima", "gray Tahoe",         "white cargo van no windows",
	"blue Corolla",      "maroon Impala",      "dark SUV unk make",
	"green Silverado",   "white Sprinter van",
};

static const char *const states[] = { "TX", "TX", "TX", "OK",
	                              "LA", "NM", "MX", "CA" };

static const char *const clothes_en[] = {
	"red hoodie",   "blue jeans and white tshirt",
	"black jacket", "gray sweatpants",
	"green scrubs", "orange vest, work boots",
	"camo hat",     "yellow dress",
};

static const char *const clothes_es[] = {
	"sudadera roja",    "pantalón de mezclilla y camisa blanca",
	"chamarra negra",   "gorra de camuflaje",
	"vestido amarillo", "chaleco naranja y botas",
};

static const char *const relations_en[] = {
	"her husband", "bf",           "the neighbor", "roommate",
	"her son",     "his brother",  "the landlord", "her ex",
	"a coworker",  "the daughter",
};

static const char *const relations_es[] = {
	"su esposo", "su novio",  "el vecino", "su hermano",
	"su hija",   "el casero", "su cuñado", "su compañero de cuarto",
};

static const char *const workplaces[] = {
	"taqueria",      "nail salon",
	"car wash",      "motel",
	"restaurant",    "construction site",
	"dairy farm",    "massage parlor",
	"HEB",           "Walmart",
	"chicken plant", "landscaping co",
	"cantina",       "bar",
	"laundromat",    "warehouse",
};

static const char *const highways[] = { "I-35", "183",    "MoPac",   "290 W",
	                                "71 E", "SH 130", "Loop 360" };

static const char *const countries[] = { "Guatemala", "Honduras", "México",
	                                 "El Salvador", "Venezuela" };

static const char *const openers[] = {
	"", "", "", "", "", "** ", "UPDATE: ", "CB: ", "ADD'L: ", "per CT: ",
};

static const char *const separators[] = { ". ", ". ",  ". ",  ", ",  " / ",
	                                  "; ", " - ", ".. ", " ** " };

/* ---- building a note --------------------------------------------------- */

struct text {
	char data[NOTE_MAX];
	size_t len;
};

static void put(struct text *t, const char *s, size_t n)
{
	if (n > NOTE_MAX - 1 - t->len)
		n = NOTE_MAX - 1 - t->len;
	memcpy(t->data + t->len, s, n);
	t->len += n;
}

static void puts_text(struct text *t, const char *s)
{
	put(t, s, strlen(s));
}

static void put_uint(struct text *t, uint32_t v, int width)
{
	char digits[16];
	int n = 0;
	do {
		digits[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v && n < (int)sizeof(digits));
	while (n < width && n < (int)sizeof(digits))
		digits[n++] = '0';
	while (n > 0)
		put(t, &digits[--n], 1);
}

static void put_time(struct rng *r, struct text *t)
{
	uint32_t h = rng_below(r, 24), m = rng_below(r, 60);
	switch (rng_below(r, 5)) {
	case 0: /* 24-hour clock as CAD writes it: 0230 */
		put_uint(t, h * 100 + m, 4);
		break;
	case 1:
		put_uint(t, h, 2);
		put(t, ":", 1);
		put_uint(t, m, 2);
		break;
	case 2:
		put_uint(t, h % 12 ? h % 12 : 12, 1);
		put(t, ":", 1);
		put_uint(t, m, 2);
		puts_text(t, h < 12 ? "am" : "pm");
		break;
	case 3:
		puts_text(t, "approx ");
		put_uint(t, 1 + rng_below(r, 50), 1);
		puts_text(t, " min ago");
		break;
	default: puts_text(t, h < 12 ? "this morning" : "last night"); break;
	}
}

static void put_address(struct rng *r, struct text *t)
{
	put_uint(t, 100 + rng_below(r, 19900), 1);
	put(t, " ", 1);
	puts_text(t, PICK(r, streets));
	puts_text(t, PICK(r, apts));
}

static void put_plate(struct rng *r, struct text *t)
{
	puts_text(t, PICK(r, states));
	put(t, " ", 1);
	for (int i = 0; i < 3; i++) {
		char c = (char)('A' + rng_below(r, 26));
		put(t, &c, 1);
	}
	put(t, "-", 1);
	put_uint(t, rng_below(r, 10000), 4);
}

static void put_phone(struct rng *r, struct text *t)
{
	static const char *const areas[] = { "512", "737", "210", "(512) " };
	const char *a = PICK(r, areas);
	puts_text(t, a);
	if (a[0] != '(')
		put(t, "-", 1);
	puts_text(t, "555-");
	put_uint(t, 100 + rng_below(r, 100), 4);
}

static void expand(struct rng *r, struct text *t, const char *tmpl);

/* Fills one {x} slot of a template. */
static void fill_slot(struct rng *r, struct text *t, char slot)
{
	switch (slot) {
	case 'a': put_address(r, t); break;
	case 't': put_time(r, t); break;
	case 'n': put_uint(t, 1 + rng_below(r, 9), 1); break;
	case 'N': put_uint(t, 2 + rng_below(r, 19), 1); break;
	case 'g': put_uint(t, 2 + rng_below(r, 88), 1); break;
	case 'p': put_phone(r, t); break;
	case 's': puts_text(t, PICK(r, streets)); break;
	case 'v': puts_text(t, PICK(r, vehicles)); break;
	case 'l': put_plate(r, t); break;
	case 'c': puts_text(t, PICK(r, clothes_en)); break;
	case 'C': puts_text(t, PICK(r, clothes_es)); break;
	case 'r': puts_text(t, PICK(r, relations_en)); break;
	case 'R': puts_text(t, PICK(r, relations_es)); break;
	case 'w': puts_text(t, PICK(r, workplaces)); break;
	case 'h': puts_text(t, PICK(r, highways)); break;
	case 'x': puts_text(t, PICK(r, countries)); break;
	case 'f': puts_text(t, PICK(r, first_names)); break;
	case 'z': puts_text(t, PICK(r, surnames)); break;
	case 'Q': expand(r, t, PICK(r, es_quotes)); break;
	case 'd':
		/* 4000, 4,000 or 4k: how amounts get typed */
		switch (rng_below(r, 3)) {
		case 0: put_uint(t, 500 * (1 + rng_below(r, 40)), 1); break;
		case 1:
			put_uint(t, 1 + rng_below(r, 20), 1);
			puts_text(t, ",000");
			break;
		default:
			put_uint(t, 1 + rng_below(r, 20), 1);
			put(t, "k", 1);
			break;
		}
		break;
	case 'k':
		puts_text(t, "#26-");
		put_uint(t, rng_below(r, 1000000), 6);
		break;
	default: put(t, &slot, 1); break;
	}
}

static void expand(struct rng *r, struct text *t, const char *tmpl)
{
	for (const char *p = tmpl; *p; p++) {
		if (p[0] == '{' && p[1] && p[2] == '}') {
			fill_slot(r, t, p[1]);
			p += 2;
		} else {
			put(t, p, 1);
		}
	}
}

/* ---- how it gets typed ------------------------------------------------- */

/* Spanish typed on an English keyboard: á -> a, ñ -> n, ¿ and ¡ dropped. */
static void strip_accents(struct text *t)
{
	size_t w = 0;
	for (size_t i = 0; i < t->len; i++) {
		unsigned char c = (unsigned char)t->data[i];
		if (c == 0xc2 && i + 1 < t->len &&
		    ((unsigned char)t->data[i + 1] == 0xbf ||
		     (unsigned char)t->data[i + 1] == 0xa1)) {
			i++; /* ¿ ¡ */
			continue;
		}
		if (c == 0xc3 && i + 1 < t->len) {
			static const char base[] = "aaaaaaaceeeeiiiidnooooo/"
			                           "ouuuuyty";
			unsigned char d = (unsigned char)t->data[i + 1];
			if (d >= 0xa0 && d <= 0xbf) {
				t->data[w++] = base[d - 0xa0];
				i++;
				continue;
			}
			if (d >= 0x80 && d <= 0x9f) {
				t->data[w++] = (char)(base[d - 0x80] - 32);
				i++;
				continue;
			}
		}
		t->data[w++] = (char)c;
	}
	t->len = w;
}

/* ALL CAPS, as some call-takers type: ASCII and the Latin-1 letters. */
static void upper_case(struct text *t)
{
	for (size_t i = 0; i < t->len; i++) {
		unsigned char c = (unsigned char)t->data[i];
		if (c >= 'a' && c <= 'z') {
			t->data[i] = (char)(c - 32);
		} else if (c == 0xc3 && i + 1 < t->len) {
			unsigned char d = (unsigned char)t->data[i + 1];
			if (d >= 0xa0 && d <= 0xbe && d != 0xb7)
				t->data[i + 1] = (char)(d - 0x20);
			i++;
		}
	}
}

static bool is_letter(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/*
 * Typos, about one word in `per_mille`/1000: two letters swapped, one
 * dropped, one doubled. Only inside runs of ASCII letters, so UTF-8 stays
 * valid and numbers stay numbers.
 */
static void add_typos(struct rng *r, struct text *t, uint32_t per_mille)
{
	size_t i = 0;
	while (i < t->len) {
		if (!is_letter(t->data[i])) {
			i++;
			continue;
		}
		size_t start = i;
		while (i < t->len && is_letter(t->data[i]))
			i++;
		size_t n = i - start;
		if (n < 4 || !rng_chance(r, per_mille))
			continue;
		size_t at = start + 1 + rng_below(r, (uint32_t)(n - 2));
		char *d = t->data;
		switch (rng_below(r, 3)) {
		case 0: { /* swap */
			char c = d[at];
			d[at] = d[at + 1];
			d[at + 1] = c;
			break;
		}
		case 1: /* drop */
			memmove(d + at, d + at + 1, t->len - at - 1);
			t->len--;
			i--;
			break;
		default: /* double */
			if (t->len + 1 < NOTE_MAX) {
				memmove(d + at + 1, d + at, t->len - at);
				t->len++;
				i++;
			}
			break;
		}
	}
}

/* ---- notes ------------------------------------------------------------- */

enum language { LANG_EN, LANG_ES, LANG_MIXED };

/* What make_note() put in a note, for the counts printed at the end. */
struct note_kind {
	enum language lang;
	bool indicator;  /* an indicator sentence */
	bool look_alike; /* a negated, hypothetical or historical one */
};

struct stats {
	uint64_t notes, bytes;
	uint64_t by_language[3];
	uint64_t indicator, look_alike;
};

static const char *routine_sentence(struct rng *r, enum language lang)
{
	if (lang == LANG_ES)
		return PICK(r, es_routine);
	if (lang == LANG_MIXED && rng_chance(r, 350))
		return rng_chance(r, 500) ? PICK(r, mixed_routine)
		                          : PICK(r, es_routine);
	return PICK(r, en_routine);
}

/*
 * One note: 1 to 7 sentences (a few long narratives of up to 30), with
 * an indicator sentence in about 2% of the notes (a quarter of those are
 * look-alikes: negated, hypothetical, historical) and a typing style.
 */
static struct note_kind make_note(struct rng *r, struct text *t)
{
	uint32_t roll = rng_below(r, 1000);
	enum language lang = roll < 550   ? LANG_EN
	                     : roll < 850 ? LANG_ES
	                                  : LANG_MIXED;
	uint32_t n = 1 + rng_below(r, 4) + rng_below(r, 4);
	if (rng_chance(r, 10))
		n = 10 + rng_below(r, 21);
	int ind_at = -1;
	bool look_alike = false;
	if (rng_chance(r, 20)) {
		ind_at = (int)rng_below(r, n);
		look_alike = rng_chance(r, 250);
	}

	t->len = 0;
	if (rng_chance(r, 300)) {
		put(t, "[", 1);
		put_time(r, t);
		put(t, "] ", 2);
	}
	puts_text(t, PICK(r, openers));
	for (uint32_t i = 0; i < n; i++) {
		if (i > 0)
			puts_text(t, PICK(r, separators));
		const char *s;
		if ((int)i == ind_at) {
			bool es = lang == LANG_ES ||
			          (lang == LANG_MIXED && rng_chance(r, 500));
			if (es)
				s = look_alike ? PICK(r, es_not_indicator)
				               : PICK(r, es_indicator);
			else
				s = look_alike ? PICK(r, en_not_indicator)
				               : PICK(r, en_indicator);
		} else {
			s = routine_sentence(r, lang);
		}
		expand(r, t, s);
	}
	if (rng_chance(r, 400))
		put(t, ".", 1);

	if (lang != LANG_EN && rng_chance(r, 450))
		strip_accents(t);
	add_typos(r, t, 15);
	if (rng_chance(r, 80))
		upper_case(t);
	else if (rng_chance(r, 200) && t->len && is_letter(t->data[0]))
		t->data[0] = (char)(t->data[0] & ~0x20);
	struct note_kind k = { lang, ind_at >= 0 && !look_alike,
		               ind_at >= 0 && look_alike };
	return k;
}

/* ---- output ------------------------------------------------------------ */

struct out {
	FILE *f;
	char *buf;
	size_t len;
	bool failed;
};

static void out_flush(struct out *o)
{
	if (o->len && !o->failed && fwrite(o->buf, 1, o->len, o->f) != o->len)
		o->failed = true;
	o->len = 0;
}

static void out_put(struct out *o, const char *s, size_t n)
{
	if (o->len + n > OUT_BUF)
		out_flush(o);
	memcpy(o->buf + o->len, s, n);
	o->len += n;
}

/* Appends `t` to `line` as the body of a JSON string. */
static void json_escape(const struct text *t, struct text *line)
{
	for (size_t i = 0; i < t->len; i++) {
		char c = t->data[i];
		if (c == '"' || c == '\\') {
			put(line, "\\", 1);
			put(line, &c, 1);
		} else if ((unsigned char)c < 0x20) {
			static const char hex[] = "0123456789abcdef";
			char e[6] = {
				'\\',       'u', '0', '0', hex[(c >> 4) & 15],
				hex[c & 15]
			};
			put(line, e, sizeof(e));
		} else {
			put(line, &c, 1);
		}
	}
}

static void usage(FILE *f)
{
	fputs(
	    "usage: corpus_gen [--size BYTES] [--seed N] [--jsonl] "
	    "[--out FILE]\n"
	    "  --size BYTES  at most this much (suffix K, M or G: KiB, "
	    "MiB, GiB;\n"
	    "                default 1G); whole notes only\n"
	    "  --seed N      the random stream (default 2026): same size "
	    "and seed,\n"
	    "                same bytes\n"
	    "  --jsonl       one {\"id\":\"HT-2026-000123\",\"notes\":\"...\"} "
	    "per line\n"
	    "                (default: plain text, one note per line)\n"
	    "  --out FILE    write there (default standard output)\n"
	    "Prints what it wrote (notes, languages, indicator notes) on "
	    "stderr.\n",
	    f);
}

static bool parse_size(const char *s, int64_t *out)
{
	char digits[32];
	size_t n = strlen(s);
	int64_t mult = 1;
	if (n == 0 || n >= sizeof(digits))
		return false;
	memcpy(digits, s, n + 1);
	switch (digits[n - 1]) {
	case 'K':
	case 'k': mult = (int64_t)1 << 10; break;
	case 'M':
	case 'm': mult = (int64_t)1 << 20; break;
	case 'G':
	case 'g': mult = (int64_t)1 << 30; break;
	default: break;
	}
	if (mult > 1)
		digits[n - 1] = '\0';
	int64_t v;
	if (!str_to_i64(digits, 1, ((int64_t)1 << 50) / mult, &v))
		return false;
	*out = v * mult;
	return true;
}

int main(int argc, char **argv)
{
	int64_t size = DEFAULT_SIZE, seed = DEFAULT_SEED;
	bool jsonl = false;
	const char *path = NULL;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (str_eq(a, "--jsonl")) {
			jsonl = true;
		} else if (str_eq(a, "-h") || str_eq(a, "--help")) {
			usage(stdout);
			return 0;
		} else if ((str_eq(a, "--size") || str_eq(a, "--seed") ||
		            str_eq(a, "--out")) &&
		           i + 1 < argc) {
			const char *v = argv[++i];
			bool ok = true;
			if (str_eq(a, "--size"))
				ok = parse_size(v, &size);
			else if (str_eq(a, "--seed"))
				ok = str_to_i64(v, 0, INT64_MAX, &seed);
			else
				path = v;
			if (!ok) {
				fprintf(stderr, "corpus_gen: bad %s '%s'\n", a,
				        v);
				return 2;
			}
		} else {
			fprintf(stderr, "corpus_gen: unknown option '%s'\n", a);
			usage(stderr);
			return 2;
		}
	}

	struct out o = { stdout, malloc(OUT_BUF), 0, false };
	if (!o.buf) {
		fputs("corpus_gen: out of memory\n", stderr);
		return 1;
	}
	if (path && !(o.f = fopen(path, "wb"))) {
		fprintf(stderr, "corpus_gen: cannot write %s: %s\n", path,
		        strerror(errno));
		free(o.buf);
		return 1;
	}

	static struct text note, line;
	struct stats st;
	struct rng r;
	memset(&st, 0, sizeof(st));
	rng_seed(&r, (uint64_t)seed);
	for (;;) {
		struct note_kind k = make_note(&r, &note);
		line.len = 0;
		if (jsonl) {
			puts_text(&line, "{\"id\":\"HT-2026-");
			put_uint(&line, (uint32_t)(st.notes + 1), 6);
			puts_text(&line, "\",\"notes\":\"");
			json_escape(&note, &line);
			puts_text(&line, "\"}");
		} else {
			put(&line, note.data, note.len);
		}
		put(&line, "\n", 1);
		if (st.bytes + line.len > (uint64_t)size)
			break;
		out_put(&o, line.data, line.len);
		st.bytes += line.len;
		st.notes++;
		st.by_language[k.lang]++;
		st.indicator += k.indicator;
		st.look_alike += k.look_alike;
		if (o.failed)
			break;
	}
	out_flush(&o);
	if (o.f != stdout ? fclose(o.f) != 0 : fflush(o.f) != 0)
		o.failed = true;
	free(o.buf);
	if (o.failed) {
		fprintf(stderr, "corpus_gen: write failed: %s\n",
		        strerror(errno));
		return 1;
	}
	uint64_t total =
	    st.by_language[0] + st.by_language[1] + st.by_language[2];
	fprintf(stderr,
	        "corpus_gen: %llu bytes, %llu notes (en %.0f%%, es %.0f%%, "
	        "mixed %.0f%%), %llu with an indicator, %llu with a "
	        "negated/hypothetical/historical look-alike\n",
	        (unsigned long long)st.bytes, (unsigned long long)st.notes,
	        total ? 100.0 * (double)st.by_language[0] / (double)total : 0,
	        total ? 100.0 * (double)st.by_language[1] / (double)total : 0,
	        total ? 100.0 * (double)st.by_language[2] / (double)total : 0,
	        (unsigned long long)st.indicator,
	        (unsigned long long)st.look_alike);
	return 0;
}
