/*
 * fuzz_score.c - fuzzes core/score.c, which prepares, keys and compares
 * records imported from agency files and queries typed during calls.
 *
 * The input is two records, split at the first newline; in each, the
 * values of the fields in record.h's order are separated by '|' and set
 * as they are, unchecked (a query built in code may skip record_set()),
 * with the kind taken from the first byte. Properties: never a crash,
 * leak or read past a cap; the prepared parts within their sizes; keys
 * distinct, of a known family, bounded and the same when made twice; the
 * comparison finite, the same both ways bit for bit, its explanation in
 * field order adding up to its total; the top-k best first.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/score.h"
#include "fuzz/fuzz.h"

static void fail(const char *what, const char *detail)
{
	fprintf(stderr, "score: %s%s%s\n", what, detail ? ": " : "",
	        detail ? detail : "");
	abort();
}

static const struct match_nicknames *table(void)
{
	static const struct match_nickname_pair pairs[] = {
		{ "guadalupe", "lupe" },
		{ "william", "bill" },
		{ "jose", "pepe" },
	};
	static struct match_nicknames *t;
	if (!t)
		t = match_nicknames_new(pairs,
		                        sizeof(pairs) / sizeof(pairs[0]));
	return t;
}

/* Fills `r` from `s` (modified: '|' become NULs); values borrowed. */
static void fill(struct record *r, char *s)
{
	size_t f = 0;

	memset(r, 0, sizeof(*r));
	r->kind = (enum record_kind)((unsigned char)s[0] % RECORD_KIND__COUNT);
	if (s[0])
		s++;
	while (s && f < RECORD_FIELD__COUNT) {
		char *bar = strchr(s, '|');
		if (bar)
			*bar = '\0';
		if (*s)
			r->field[f] = s;
		f++;
		s = bar ? bar + 1 : NULL;
	}
}

static const char *const families[] = {
	"ph:", "dob:", "sny:", "sn:",  "gi:", "snp:", "id:",  "ad:",
	"pn:", "gb:",  "pl:",  "vin:", "bn:", "bnp:", "geo:",
};

static void check_keys(const struct score_record *p)
{
	struct match_keys k, again;

	score_keys(p, table(), &k);
	score_keys(p, table(), &again);
	if (k.n > MATCH_KEYS_MAX || k.n != again.n)
		fail("key count", NULL);
	for (size_t i = 0; i < k.n; i++) {
		bool known = false;
		if (strnlen(k.key[i], MATCH_KEY_SIZE) == MATCH_KEY_SIZE)
			fail("a key is not terminated", NULL);
		if (strcmp(k.key[i], again.key[i]) != 0)
			fail("keys differ when made twice", k.key[i]);
		for (size_t f = 0; f < sizeof(families) / sizeof(families[0]);
		     f++)
			known = known || strncmp(k.key[i], families[f],
			                         strlen(families[f])) == 0;
		if (!known)
			fail("a key of no known family", k.key[i]);
		for (size_t j = 0; j < i; j++)
			if (strcmp(k.key[i], k.key[j]) == 0)
				fail("a key twice", k.key[i]);
	}
}

static void check_prepared(const struct score_record *p)
{
	if (p->n_names > SCORE_NAMES_MAX || p->n_business > SCORE_NAMES_MAX ||
	    p->n_ids > SCORE_IDS_MAX || p->n_phones > SCORE_PHONES_MAX ||
	    p->n_formal > SCORE_FORMAL_MAX)
		fail("a count over its cap", NULL);
	for (size_t i = 0; i < p->n_ids; i++)
		if (!strchr(p->ids[i], ':'))
			fail("an identifier without its ':'", p->ids[i]);
	for (size_t i = 0; i < p->n_phones; i++)
		if (p->phones[i][0] != '+')
			fail("a phone not in E.164", p->phones[i]);
	if (strnlen(p->vin, SCORE_VIN_SIZE) == SCORE_VIN_SIZE ||
	    strnlen(p->postcode, SCORE_POSTCODE_SIZE) == SCORE_POSTCODE_SIZE)
		fail("a part is not terminated", NULL);
}

static void check_compare(const struct score_record *a,
                          const struct score_record *b)
{
	struct score_explain x, y;
	double wa = score_compare(a, b, NULL, &x);
	double wb = score_compare(b, a, NULL, &y);
	double sum = 0;

	if (!isfinite(wa) || wa != wb || x.total != wa || x.n != y.n)
		fail("not the same both ways", NULL);
	for (size_t i = 0; i < x.n; i++) {
		if (i && x.item[i - 1].field >= x.item[i].field)
			fail("explanation out of field order", NULL);
		if (x.item[i].level == SCORE_L_MISSING ||
		    x.item[i].level >= SCORE_LEVEL__COUNT)
			fail("a bad level in the explanation", NULL);
		if (x.item[i].similarity < 0 || x.item[i].similarity > 1)
			fail("a similarity out of [0, 1]", NULL);
		sum += x.item[i].weight;
	}
	if (fabs(sum - wa) > 1e-9)
		fail("the explanation does not add up", NULL);
	(void)score_is_match(&x, NULL);
	char line[64];
	(void)score_explain_format(&x, line, sizeof(line));
	if (strnlen(line, sizeof(line)) == sizeof(line))
		fail("the explanation line is not terminated", NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_input_copy(data, size);
	struct record r[2];
	struct score_record p[2];
	struct score_hit slot[3];
	struct score_topk top;

	if (!s)
		return 0;
	char *nl = strchr(s, '\n');
	if (nl)
		*nl = '\0';
	fill(&r[0], s);
	fill(&r[1], nl ? nl + 1 : s);
	for (int i = 0; i < 2; i++) {
		if (score_prepare(&r[i], table(), &p[i], NULL) != HTD_OK)
			fail("prepare refused a record of a known kind", NULL);
		check_prepared(&p[i]);
		check_keys(&p[i]);
	}
	check_compare(&p[0], &p[1]);
	check_compare(&p[0], &p[0]);
	score_topk_init(&top, slot, 3);
	for (uint64_t i = 0; i < size && i < 64; i++)
		score_topk_offer(&top, (double)(data[i] % 7), i);
	size_t n = score_topk_sorted(&top);
	for (size_t i = 1; i < n; i++)
		if (slot[i - 1].weight < slot[i].weight)
			fail("top-k out of order", NULL);
	score_record_free(&p[0]);
	score_record_free(&p[1]);
	free(s);
	return 0;
}
