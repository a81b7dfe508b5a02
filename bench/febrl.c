/*
 * febrl.c - the quality of records search (issue 7, benchmark "Quality"):
 * the FEBRL data sets are loaded into struct record, prepared and keyed by
 * core/score.h, indexed in an in-memory hash of blocking keys, and every
 * candidate pair is scored. Reported for linking dataset4a to dataset4b
 * (5,000 true pairs) and deduplicating dataset3 (6,538 true pairs):
 * precision, recall and F1 at the default threshold, the recall of the
 * true match within the 10 best candidates, pairs compared and time, next
 * to the published anchors (the recordlinkage guide; Splink's EM model).
 *
 * --train counts the weights of score.c on datasets 1 and 2 instead (the
 * training split; the reported sets are never used for it) and prints the
 * table to paste there.
 */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_util.h"
#include "core/record.h"
#include "core/score.h"
#include "formats/nicknames_csv.h"
#include "util/clock.h"
#include "util/mem.h"
#include "util/str.h"
#include "version.h"

#define BENCH_NAME "febrl" /* the prefix of its messages */
#define LINE_MAX_BYTES 1024
#define FEBRL_FIELDS 11
#define TOP_K 10

/* Targets of issue 7 on dataset 4. */
#define TARGET_PRECISION 0.99
#define TARGET_RECALL 0.99
#define TARGET_TOP10 0.995

/* ---- the data ---------------------------------------------------------- */

/* One FEBRL file: its records, prepared, and the entity each stands for
 * (the N of rec-N-org and rec-N-dup-K). */
struct dataset {
	const char *path;
	struct record *rec;
	struct score_record *prep;
	long *entity;
	size_t n;
	size_t bad_dates; /* dates of birth that are not dates, dropped */
};

static void die(const char *what)
{
	fprintf(stderr, "febrl: %s\n", what);
	exit(1);
}

/* Splits a FEBRL line at its commas, fields trimmed of spaces and the line
 * end, in place; returns the number of fields (at most `max`). */
static size_t split_line(char *line, char **field, size_t max)
{
	size_t n = 0;
	char *p = line;

	line[strcspn(line, "\r\n")] = '\0';
	while (n < max) {
		char *comma = strchr(p, ',');
		char *end = comma ? comma : p + strlen(p);
		while (*p == ' ')
			p++;
		char *q = end;
		while (q > p && q[-1] == ' ')
			q--;
		*q = '\0';
		field[n++] = p;
		if (!comma)
			break;
		p = comma + 1;
	}
	return n;
}

/* The N of "rec-N-org" / "rec-N-dup-K"; -1 when it is not one. */
static long entity_of(const char *rec_id)
{
	int64_t v;
	char num[24];
	const char *s, *dash;

	if (strncmp(rec_id, "rec-", 4) != 0)
		return -1;
	s = rec_id + 4;
	dash = strchr(s, '-');
	if (!dash || (size_t)(dash - s) >= sizeof(num))
		return -1;
	memcpy(num, s, (size_t)(dash - s));
	num[dash - s] = '\0';
	if (!str_to_i64(num, 0, 100000000, &v))
		return -1;
	return (long)v;
}

static void set_field(struct record *r, enum record_field f, const char *v,
                      const char *path, int line)
{
	struct htd_error err;

	if (v[0] == '\0')
		return;
	if (record_set(r, f, v, &err) != HTD_OK) {
		fprintf(stderr, "febrl: %s:%d: %s: %s\n", path, line,
		        record_field_name(f), err.message);
		exit(1);
	}
}

/*
 * Loads a FEBRL CSV: rec_id, given_name, surname, street_number,
 * address_1, address_2, suburb, postcode, state, date_of_birth,
 * soc_sec_id. The address is "street_number address_1, address_2"; the
 * date YYYYMMDD as YYYY-MM-DD (dropped, and counted, when it is not a
 * date: FEBRL's corruptions make some); soc_sec_id an "ssn:" identifier.
 */
static void dataset_load(struct dataset *d, const char *path,
                         const struct match_nicknames *nn)
{
	FILE *f = fopen(path, "rb");
	char line[LINE_MAX_BYTES];
	size_t cap = 0;
	int lineno = 1;

	memset(d, 0, sizeof(*d));
	d->path = path;
	if (!f) {
		fprintf(stderr, "febrl: %s: %s\n", path, strerror(errno));
		exit(1);
	}
	if (!fgets(line, sizeof(line), f) ||
	    strncmp(line, "rec_id, given_name, surname", 27) != 0) {
		fprintf(stderr, "febrl: %s:1: not a FEBRL file\n", path);
		exit(1);
	}
	while (fgets(line, sizeof(line), f)) {
		char *v[FEBRL_FIELDS + 1];
		char buf[3 * LINE_MAX_BYTES];
		struct record *r;
		struct htd_error err;

		lineno++;
		if (!strchr(line, '\n') && !feof(f)) {
			fprintf(stderr, "febrl: %s:%d: line too long\n", path,
			        lineno);
			exit(1);
		}
		if (line[strspn(line, " \r\n")] == '\0')
			continue;
		if (split_line(line, v, FEBRL_FIELDS + 1) != FEBRL_FIELDS) {
			fprintf(stderr, "febrl: %s:%d: not %d fields\n", path,
			        lineno, FEBRL_FIELDS);
			exit(1);
		}
		if (d->n == cap) {
			cap = cap ? cap * 2 : 1024;
			d->rec = xrealloc(d->rec, cap * sizeof(*d->rec));
			d->entity =
			    xrealloc(d->entity, cap * sizeof(*d->entity));
		}
		r = &d->rec[d->n];
		record_init(r, RECORD_PERSON);
		d->entity[d->n] = entity_of(v[0]);
		if (d->entity[d->n] < 0 ||
		    record_set_source(r, "febrl", v[0], &err) != HTD_OK) {
			fprintf(stderr, "febrl: %s:%d: bad rec_id '%s'\n", path,
			        lineno, v[0]);
			exit(1);
		}
		set_field(r, RECORD_F_GIVEN_NAME, v[1], path, lineno);
		set_field(r, RECORD_F_FAMILY_NAME, v[2], path, lineno);
		(void)str_format(buf, sizeof(buf), "%s%s%s%s%s", v[3],
		                 v[3][0] && v[4][0] ? " " : "", v[4],
		                 v[5][0] ? ", " : "", v[5]);
		set_field(r, RECORD_F_ADDRESS, buf, path, lineno);
		set_field(r, RECORD_F_CITY, v[6], path, lineno);
		set_field(r, RECORD_F_POSTCODE, v[7], path, lineno);
		set_field(r, RECORD_F_STATE, v[8], path, lineno);
		if (strlen(v[9]) == 8) {
			(void)str_format(buf, sizeof(buf), "%.4s-%.2s-%.2s",
			                 v[9], v[9] + 4, v[9] + 6);
			if (record_set(r, RECORD_F_BIRTH_DATE, buf, NULL) !=
			    HTD_OK)
				d->bad_dates++;
		} else if (v[9][0]) {
			d->bad_dates++;
		}
		if (v[10][0]) {
			(void)str_format(buf, sizeof(buf), "ssn:%s", v[10]);
			set_field(r, RECORD_F_ID_NUMBER, buf, path, lineno);
		}
		d->n++;
	}
	fclose(f);
	d->prep = xcalloc(d->n ? d->n : 1, sizeof(*d->prep));
	for (size_t i = 0; i < d->n; i++) {
		struct htd_error err;
		if (score_prepare(&d->rec[i], nn, &d->prep[i], &err) != HTD_OK)
			die(err.message);
	}
}

/*
 * Loads Splink's fake_1000.csv (unique_id, first_name, surname, dob, city,
 * email, cluster): a check outside FEBRL, with other errors (nicknames,
 * one-letter typos, missing values). The cluster is the entity; the email
 * is left out (a record has no such field). Returns false, `d` empty,
 * when the file is not there.
 */
static bool splink_load(struct dataset *d, const char *path,
                        const struct match_nicknames *nn)
{
	FILE *f = fopen(path, "rb");
	char line[LINE_MAX_BYTES];
	size_t cap = 0;
	int lineno = 1;

	memset(d, 0, sizeof(*d));
	d->path = path;
	if (!f)
		return false;
	if (!fgets(line, sizeof(line), f) ||
	    strncmp(line, "unique_id,first_name,surname,dob,city,email,cluster",
	            51) != 0) {
		fprintf(stderr, "febrl: %s:1: not Splink's fake_1000\n", path);
		exit(1);
	}
	while (fgets(line, sizeof(line), f)) {
		char *v[8];
		int64_t cluster;
		struct record *r;

		lineno++;
		if (line[strspn(line, " \r\n")] == '\0')
			continue;
		if (split_line(line, v, 8) != 7 ||
		    !str_to_i64(v[6], 0, 100000000, &cluster)) {
			fprintf(stderr, "febrl: %s:%d: not 7 fields\n", path,
			        lineno);
			exit(1);
		}
		if (d->n == cap) {
			cap = cap ? cap * 2 : 1024;
			d->rec = xrealloc(d->rec, cap * sizeof(*d->rec));
			d->entity =
			    xrealloc(d->entity, cap * sizeof(*d->entity));
		}
		r = &d->rec[d->n];
		record_init(r, RECORD_PERSON);
		d->entity[d->n] = (long)cluster;
		if (record_set_source(r, "splink", v[0], NULL) != HTD_OK) {
			fprintf(stderr, "febrl: %s:%d: bad unique_id\n", path,
			        lineno);
			exit(1);
		}
		set_field(r, RECORD_F_GIVEN_NAME, v[1], path, lineno);
		set_field(r, RECORD_F_FAMILY_NAME, v[2], path, lineno);
		if (v[3][0] &&
		    record_set(r, RECORD_F_BIRTH_DATE, v[3], NULL) != HTD_OK)
			d->bad_dates++;
		set_field(r, RECORD_F_CITY, v[4], path, lineno);
		d->n++;
	}
	fclose(f);
	d->prep = xcalloc(d->n ? d->n : 1, sizeof(*d->prep));
	for (size_t i = 0; i < d->n; i++) {
		struct htd_error err;
		if (score_prepare(&d->rec[i], nn, &d->prep[i], &err) != HTD_OK)
			die(err.message);
	}
	return true;
}

static void dataset_free(struct dataset *d)
{
	for (size_t i = 0; i < d->n; i++) {
		record_free(&d->rec[i]);
		score_record_free(&d->prep[i]);
	}
	free(d->rec);
	free(d->prep);
	free(d->entity);
	memset(d, 0, sizeof(*d));
}

/* ---- the index: blocking key -> records -------------------------------- */

struct posting {
	char *key; /* owned; NULL: an empty slot */
	uint32_t *ids;
	size_t n, cap;
};

struct index {
	struct posting *slot;
	size_t cap; /* a power of two */
	size_t n;
};

static uint64_t hash_key(const char *s)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h;
}

static struct posting *index_find(const struct index *ix, const char *key)
{
	size_t mask = ix->cap - 1;
	for (size_t i = hash_key(key) & mask;; i = (i + 1) & mask) {
		if (!ix->slot[i].key || strcmp(ix->slot[i].key, key) == 0)
			return &ix->slot[i];
	}
}

static void index_add(struct index *ix, const char *key, uint32_t id)
{
	struct posting *p;

	if (2 * (ix->n + 1) > ix->cap) {
		struct index bigger = { 0 };
		bigger.cap = ix->cap ? ix->cap * 2 : 1024;
		bigger.slot = xcalloc(bigger.cap, sizeof(*bigger.slot));
		for (size_t i = 0; i < ix->cap; i++) {
			if (ix->slot[i].key)
				*index_find(&bigger, ix->slot[i].key) =
				    ix->slot[i];
		}
		bigger.n = ix->n;
		free(ix->slot);
		*ix = bigger;
	}
	p = index_find(ix, key);
	if (!p->key) {
		p->key = xstrdup(key);
		ix->n++;
	}
	if (p->n && p->ids[p->n - 1] == id)
		return;
	if (p->n == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 4;
		p->ids = xrealloc(p->ids, p->cap * sizeof(*p->ids));
	}
	p->ids[p->n++] = id;
}

static void index_free(struct index *ix)
{
	for (size_t i = 0; i < ix->cap; i++) {
		free(ix->slot[i].key);
		free(ix->slot[i].ids);
	}
	free(ix->slot);
	memset(ix, 0, sizeof(*ix));
}

static void index_build(struct index *ix, const struct dataset *d,
                        const struct match_nicknames *nn, size_t *keys)
{
	struct match_keys k;

	memset(ix, 0, sizeof(*ix));
	*keys = 0;
	for (size_t i = 0; i < d->n; i++) {
		score_keys(&d->prep[i], nn, &k);
		*keys += k.n;
		for (size_t j = 0; j < k.n; j++)
			index_add(ix, k.key[j], (uint32_t)i);
	}
}

/*
 * The candidates of query `q`: every indexed record sharing a key, once
 * (stamp[] marks those seen in query number `round`). Writes them into
 * out[] (room for all indexed records) and returns how many.
 */
static size_t candidates(const struct index *ix, const struct score_record *q,
                         const struct match_nicknames *nn, uint32_t *stamp,
                         uint32_t round, uint32_t *out)
{
	struct match_keys k;
	size_t n = 0;

	score_keys(q, nn, &k);
	for (size_t j = 0; j < k.n; j++) {
		const struct posting *p = index_find(ix, k.key[j]);
		if (!p->key)
			continue;
		for (size_t i = 0; i < p->n; i++) {
			if (stamp[p->ids[i]] == round)
				continue;
			stamp[p->ids[i]] = round;
			out[n++] = p->ids[i];
		}
	}
	return n;
}

/* ---- one evaluation ---------------------------------------------------- */

struct result {
	const char *name;
	size_t records_a, records_b;
	size_t true_pairs;
	size_t true_pairs_blocked; /* true pairs among the candidates */
	size_t pairs_compared;     /* distinct candidate pairs scored */
	size_t predicted, true_positives;
	/* The same at score_threshold_for() the index's size. */
	double size_threshold;
	size_t predicted_size, true_positives_size;
	double precision_size, recall_size, f1_size;
	size_t queries_with_match, top10_hits;
	size_t index_keys, index_postings;
	double precision, recall, f1, top10_recall, blocking_recall;
	double seconds_prepare_index; /* keys and index */
	double seconds_search;        /* candidates, scores, top 10 */
};

static void finish(struct result *r)
{
	r->precision =
	    r->predicted ? (double)r->true_positives / (double)r->predicted : 0;
	r->recall = r->true_pairs
	                ? (double)r->true_positives / (double)r->true_pairs
	                : 0;
	r->f1 = r->precision + r->recall > 0
	            ? 2 * r->precision * r->recall / (r->precision + r->recall)
	            : 0;
	r->top10_recall =
	    r->queries_with_match
	        ? (double)r->top10_hits / (double)r->queries_with_match
	        : 0;
	r->precision_size = r->predicted_size ? (double)r->true_positives_size /
	                                            (double)r->predicted_size
	                                      : 0;
	r->recall_size = r->true_pairs ? (double)r->true_positives_size /
	                                     (double)r->true_pairs
	                               : 0;
	r->f1_size = r->precision_size + r->recall_size > 0
	                 ? 2 * r->precision_size * r->recall_size /
	                       (r->precision_size + r->recall_size)
	                 : 0;
	r->blocking_recall = r->true_pairs ? (double)r->true_pairs_blocked /
	                                         (double)r->true_pairs
	                                   : 0;
}

/* Counts of each entity in `d`, indexed by entity (max entity + 1). */
static size_t *entity_counts(const struct dataset *d, size_t *n_entities)
{
	long max = -1;
	size_t *c;

	for (size_t i = 0; i < d->n; i++)
		if (d->entity[i] > max)
			max = d->entity[i];
	*n_entities = (size_t)(max + 1);
	c = xcalloc(*n_entities + 1, sizeof(*c));
	for (size_t i = 0; i < d->n; i++)
		c[d->entity[i]]++;
	return c;
}

/* --misses: print the true pairs missed, to see why. */
static bool show_misses;

static void print_record(const struct record *r)
{
	printf("      %s:", r->source_id);
	for (size_t f = 0; f < RECORD_FIELD__COUNT; f++)
		if (r->field[f])
			printf(" %s=%s",
			       record_field_name((enum record_field)f),
			       r->field[f]);
	printf("\n");
}

static void print_miss(const char *why, const struct record *x,
                       const struct record *y, const struct score_explain *ex)
{
	char line[1024];

	printf("    %s", why);
	if (ex) {
		score_explain_format(ex, line, sizeof(line));
		printf(": %s", line);
	}
	printf("\n");
	print_record(x);
	print_record(y);
}

/*
 * Searches every record of `a` among the records of `b` (indexed). When
 * `a` == `b` it is deduplication: a record is not its own candidate and
 * each pair counts once. A pair is predicted a match by score_is_match()
 * under `weights`.
 */
static void evaluate(const char *name, const struct dataset *a,
                     const struct dataset *b, const struct match_nicknames *nn,
                     const struct score_weights *weights, struct result *r)
{
	bool dedup = a == b;
	struct score_weights sized;
	struct index ix;
	uint32_t *stamp = xcalloc(b->n + 1, sizeof(*stamp));
	uint32_t *cand = xmalloc((b->n + 1) * sizeof(*cand));
	size_t n_entities_b, *count_b = entity_counts(b, &n_entities_b);
	double t0, t1;

	memset(r, 0, sizeof(*r));
	r->name = name;
	sized = *weights;
	sized.threshold = score_threshold_for(b->n);
	r->size_threshold = sized.threshold;
	r->records_a = a->n;
	r->records_b = b->n;
	t0 = bench_now();
	index_build(&ix, b, nn, &r->index_postings);
	r->index_keys = ix.n;
	t1 = bench_now();
	r->seconds_prepare_index = t1 - t0;

	if (dedup) {
		for (size_t e = 0; e < n_entities_b; e++)
			r->true_pairs += count_b[e] * (count_b[e] - 1) / 2;
	} else {
		for (size_t i = 0; i < a->n; i++) {
			long e = a->entity[i];
			if (e >= 0 && (size_t)e < n_entities_b)
				r->true_pairs += count_b[e];
		}
	}

	for (size_t i = 0; i < a->n; i++) {
		struct score_hit slot[TOP_K];
		struct score_topk top;
		long e = a->entity[i];
		size_t n, others;
		bool hit = false;

		stamp[dedup ? i : b->n] = (uint32_t)(i + 1); /* not itself */
		n = candidates(&ix, &a->prep[i], nn, stamp, (uint32_t)(i + 1),
		               cand);
		score_topk_init(&top, slot, TOP_K);
		for (size_t c = 0; c < n; c++) {
			uint32_t j = cand[c];
			bool same = b->entity[j] == e;
			bool counted = !dedup || j > i;
			struct score_explain ex;
			double w = score_compare(&a->prep[i], &b->prep[j],
			                         weights, &ex);
			score_topk_offer(&top, w, j);
			if (!counted)
				continue;
			r->pairs_compared++;
			if (same)
				r->true_pairs_blocked++;
			if (score_is_match(&ex, &sized)) {
				r->predicted_size++;
				if (same)
					r->true_positives_size++;
			}
			if (score_is_match(&ex, weights)) {
				r->predicted++;
				if (same)
					r->true_positives++;
			} else if (same && show_misses) {
				print_miss("below the threshold", &a->rec[i],
				           &b->rec[j], &ex);
			}
		}
		for (size_t j = 0; show_misses && j < b->n; j++) {
			if (b->entity[j] == e && (!dedup || j > i) &&
			    stamp[j] != (uint32_t)(i + 1))
				print_miss("not blocked", &a->rec[i],
				           &b->rec[j], NULL);
		}
		others = (e >= 0 && (size_t)e < n_entities_b) ? count_b[e] : 0;
		if (dedup && others > 0)
			others--;
		if (others == 0)
			continue;
		r->queries_with_match++;
		n = score_topk_sorted(&top);
		for (size_t k = 0; k < n; k++)
			if (b->entity[slot[k].id] == e)
				hit = true;
		r->top10_hits += hit;
	}
	r->seconds_search = bench_now() - t1;
	finish(r);
	index_free(&ix);
	free(stamp);
	free(cand);
	free(count_b);
}

/* ---- training: counting m and u on datasets 1 and 2 --------------------- */

struct counts {
	double m[SCORE_FIELD__COUNT][SCORE_LEVEL__COUNT];
	double u[SCORE_FIELD__COUNT][SCORE_LEVEL__COUNT];
	size_t matches, non_matches;
};

static void count_pair(struct counts *c, const struct score_record *x,
                       const struct score_record *y, bool match)
{
	struct score_explain ex;
	bool seen[SCORE_FIELD__COUNT] = { false };

	score_compare(x, y, NULL, &ex);
	for (size_t k = 0; k < ex.n; k++) {
		double(*t)[SCORE_LEVEL__COUNT] = match ? c->m : c->u;
		t[ex.item[k].field][ex.item[k].level] += 1;
		seen[ex.item[k].field] = true;
	}
	for (size_t f = 0; f < SCORE_FIELD__COUNT; f++) {
		if (!seen[f])
			(match ? c->m : c->u)[f][SCORE_L_MISSING] += 1;
	}
	if (match)
		c->matches++;
	else
		c->non_matches++;
}

/* Random pairs drawn for u, a data set: deterministic (a fixed seed). */
#define TRAIN_RANDOM_PAIRS 1000000

static uint64_t xorshift(uint64_t *s)
{
	uint64_t x = *s;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

/*
 * m over every true pair of `d`; u over TRAIN_RANDOM_PAIRS random pairs
 * that are not true pairs (as Splink estimates u): pairs met through the
 * blocking keys would make u depend on the keys, so that agreeing on a
 * surname, which most blocked pairs do, would count for nothing.
 */
static void count_dataset(struct counts *c, const struct dataset *d)
{
	uint64_t seed = 0x9E3779B97F4A7C15ULL;

	for (size_t i = 0; i < d->n; i++)
		for (size_t j = i + 1; j < d->n; j++)
			if (d->entity[i] == d->entity[j])
				count_pair(c, &d->prep[i], &d->prep[j], true);
	for (size_t k = 0; k < TRAIN_RANDOM_PAIRS && d->n > 1; k++) {
		size_t i = (size_t)(xorshift(&seed) % d->n);
		size_t j = (size_t)(xorshift(&seed) % d->n);
		if (i == j || d->entity[i] == d->entity[j])
			continue;
		count_pair(c, &d->prep[i], &d->prep[j], false);
	}
}

/* The fields FEBRL has (the others keep their assumed weights). */
static bool febrl_has(enum score_field f)
{
	switch (f) {
	case SCORE_F_GIVEN:
	case SCORE_F_SURNAME:
	case SCORE_F_BIRTH:
	case SCORE_F_ID:
	case SCORE_F_HOUSE_NUMBER:
	case SCORE_F_STREET:
	case SCORE_F_ADDRESS_REST:
	case SCORE_F_CITY:
	case SCORE_F_POSTCODE:
	case SCORE_F_STATE: return true;
	default: return false;
	}
}

static const char *const field_enum[SCORE_FIELD__COUNT] = {
#define FIELD_ENUM_NAME(e, n, l) #e,
	SCORE_FIELDS(FIELD_ENUM_NAME)
#undef FIELD_ENUM_NAME
};

/* log2(m / u) of counts m of `mt` pairs and u of `ut`, smoothed by half a
 * pair. */
static double weight_of(double m, double mt, double u, double ut)
{
	return log2(((m + 0.5) / (mt + 1.0)) / ((u + 0.5) / (ut + 1.0)));
}

/*
 * The weights of one field's levels (exact, close, fair, different),
 * made monotone by pooling adjacent levels (pool-adjacent-violators): a
 * level of more agreement never weighs less than one of less, and a level
 * no pair reached takes the weight of the better level next to it.
 */
static void field_weights(const double *m, const double *u, double mt,
                          double ut, double *w)
{
	size_t first[SCORE_LEVEL__COUNT], nb = 0;
	double bm[SCORE_LEVEL__COUNT], bu[SCORE_LEVEL__COUNT];

	for (size_t l = SCORE_L_EXACT; l < SCORE_LEVEL__COUNT; l++) {
		if (nb > 0 && m[l] + u[l] == 0)
			continue; /* empty: pooled with the level before */
		first[nb] = l;
		bm[nb] = m[l];
		bu[nb] = u[l];
		nb++;
		/* Pool while the new block outweighs the one before. */
		while (nb > 1 &&
		       weight_of(bm[nb - 1], mt, bu[nb - 1], ut) >
		           weight_of(bm[nb - 2], mt, bu[nb - 2], ut)) {
			bm[nb - 2] += bm[nb - 1];
			bu[nb - 2] += bu[nb - 1];
			nb--;
		}
	}
	for (size_t b = 0; b < nb; b++) {
		size_t end = b + 1 < nb ? first[b + 1] : SCORE_LEVEL__COUNT;
		for (size_t l = first[b]; l < end; l++)
			w[l] = weight_of(bm[b], mt, bu[b], ut);
	}
}

/* The threshold of the best F1 over the pairs the blocking keys bring
 * together in `d` under weights `w`, written into *best_f1. */
struct scored {
	double w;
	bool match;
};

static int scored_order(const void *x, const void *y)
{
	const struct scored *a = x, *b = y;
	return (a->w < b->w) - (a->w > b->w); /* highest first */
}

static void collect_scores(const struct dataset *d,
                           const struct match_nicknames *nn,
                           const struct score_weights *w, struct scored **v,
                           size_t *n, size_t *cap, size_t *true_pairs)
{
	struct index ix;
	size_t postings, n_entities, *count = entity_counts(d, &n_entities);
	uint32_t *stamp = xcalloc(d->n + 1, sizeof(*stamp));
	uint32_t *cand = xmalloc((d->n + 1) * sizeof(*cand));

	for (size_t e = 0; e < n_entities; e++)
		*true_pairs += count[e] * (count[e] - 1) / 2;
	index_build(&ix, d, nn, &postings);
	for (size_t i = 0; i < d->n; i++) {
		size_t nc;
		stamp[i] = (uint32_t)(i + 1);
		nc = candidates(&ix, &d->prep[i], nn, stamp, (uint32_t)(i + 1),
		                cand);
		for (size_t k = 0; k < nc; k++) {
			uint32_t j = cand[k];
			if (j <= i)
				continue;
			if (*n == *cap) {
				*cap = *cap ? *cap * 2 : 4096;
				*v = xrealloc(*v, *cap * sizeof(**v));
			}
			(*v)[*n].w =
			    score_compare(&d->prep[i], &d->prep[j], w, NULL);
			(*v)[*n].match = d->entity[i] == d->entity[j];
			(*n)++;
		}
	}
	index_free(&ix);
	free(stamp);
	free(cand);
	free(count);
}

static int train(const char *dir, const struct match_nicknames *nn)
{
	static const char *const files[] = { "dataset1.csv", "dataset2.csv" };
	struct dataset d[2];
	struct counts c;
	struct score_weights w = *score_weights_default();
	struct scored *v = NULL;
	size_t n = 0, cap = 0, true_pairs = 0, tp = 0;
	double best_f1 = -1, best_t = 0;

	memset(&c, 0, sizeof(c));
	for (size_t k = 0; k < 2; k++) {
		char path[BENCH_PATH_MAX];
		if (!str_format(path, sizeof(path), "%s/%s", dir, files[k]))
			die("path too long");
		dataset_load(&d[k], path, nn);
		count_dataset(&c, &d[k]);
	}
	printf("\t\t/* Counted by bench_febrl --train on FEBRL datasets 1 "
	       "and 2: %zu true\n\t\t * pairs (m), %zu random other pairs "
	       "(u). */\n",
	       c.matches, c.non_matches);
	for (size_t f = 0; f < SCORE_FIELD__COUNT; f++) {
		double mt = 0, ut = 0;
		if (!febrl_has((enum score_field)f))
			continue;
		for (size_t l = SCORE_L_EXACT; l < SCORE_LEVEL__COUNT; l++) {
			mt += c.m[f][l];
			ut += c.u[f][l];
		}
		field_weights(c.m[f], c.u[f], mt, ut, w.w[f]);
		printf("\t\t[SCORE_F_%s] = { 0", field_enum[f]);
		for (size_t l = SCORE_L_EXACT; l < SCORE_LEVEL__COUNT; l++)
			printf(", %.2f", w.w[f][l]);
		printf(" },\n\t\t/* m");
		for (size_t l = SCORE_L_EXACT; l < SCORE_LEVEL__COUNT; l++)
			printf(" %.0f", c.m[f][l]);
		printf(", u");
		for (size_t l = SCORE_L_EXACT; l < SCORE_LEVEL__COUNT; l++)
			printf(" %.0f", c.u[f][l]);
		printf(" */\n");
	}
	for (size_t k = 0; k < 2; k++)
		collect_scores(&d[k], nn, &w, &v, &n, &cap, &true_pairs);
	qsort(v, n, sizeof(*v), scored_order);
	for (size_t i = 0; i < n; i++) {
		tp += v[i].match;
		if (i + 1 < n && v[i + 1].w == v[i].w)
			continue;
		double p = (double)tp / (double)(i + 1);
		double r = (double)tp / (double)true_pairs;
		double f1 = p + r > 0 ? 2 * p * r / (p + r) : 0;
		if (f1 > best_f1) {
			best_f1 = f1;
			best_t = v[i].w;
		}
	}
	/* How flat the optimum is: the weights whose F1 is within 0.001 of
	 * the best. */
	double lo = best_t, hi = best_t;
	tp = 0;
	for (size_t i = 0; i < n; i++) {
		tp += v[i].match;
		if (i + 1 < n && v[i + 1].w == v[i].w)
			continue;
		double p = (double)tp / (double)(i + 1);
		double r = (double)tp / (double)true_pairs;
		double f1 = p + r > 0 ? 2 * p * r / (p + r) : 0;
		if (f1 >= best_f1 - 0.001) {
			lo = v[i].w < lo ? v[i].w : lo;
			hi = v[i].w > hi ? v[i].w : hi;
		}
	}
	printf("\t/* F1 within 0.001 of the best for thresholds from %.2f to "
	       "%.2f */\n",
	       lo, hi);
	printf("\t/* the best F1 (%.5f) on the blocked pairs at threshold "
	       "%.2f */\n",
	       best_f1, best_t);
	free(v);
	dataset_free(&d[0]);
	dataset_free(&d[1]);
	return 0;
}

/* ---- output ------------------------------------------------------------ */

static const char *const anchor_text =
    "recordlinkage (Python) guide, FEBRL dataset 4a-4b: precision 1.000, "
    "recall 0.648, F1 0.787; Splink EM model on FEBRL: about 0.99";

static void print_result(const struct result *r)
{
	printf("\n  %s: %zu x %zu records, %zu true pairs\n", r->name,
	       r->records_a, r->records_b, r->true_pairs);
	printf("    blocking: %zu keys, %zu postings; %zu pairs compared, "
	       "%zu of the true pairs among them (%.4f)\n",
	       r->index_keys, r->index_postings, r->pairs_compared,
	       r->true_pairs_blocked, r->blocking_recall);
	printf("    at the threshold: %zu predicted, %zu true: precision "
	       "%.4f, recall %.4f, F1 %.4f\n",
	       r->predicted, r->true_positives, r->precision, r->recall, r->f1);
	printf("    at log2(%zu) = %.2f: %zu predicted, %zu true: precision "
	       "%.4f, recall %.4f, F1 %.4f\n",
	       r->records_b, r->size_threshold, r->predicted_size,
	       r->true_positives_size, r->precision_size, r->recall_size,
	       r->f1_size);
	printf("    top-10 recall: %.4f (%zu of %zu queries with a true "
	       "match)\n",
	       r->top10_recall, r->top10_hits, r->queries_with_match);
	printf("    time: %.3f s keys and index, %.3f s search (%.1f us a "
	       "query)\n",
	       r->seconds_prepare_index, r->seconds_search,
	       r->records_a ? 1e6 * r->seconds_search / (double)r->records_a
	                    : 0);
}

static json_t *result_json(const struct result *r)
{
	json_t *o = json_pack(
	    "{s:s,s:I,s:I,s:I,s:I,s:I,s:f,s:I,s:I,s:f,s:f,s:f,s:I,s:I,s:f,"
	    "s:f,s:f,s:I,s:I}",
	    "task", r->name, "records_a", (json_int_t)r->records_a, "records_b",
	    (json_int_t)r->records_b, "true_pairs", (json_int_t)r->true_pairs,
	    "pairs_compared", (json_int_t)r->pairs_compared,
	    "true_pairs_blocked", (json_int_t)r->true_pairs_blocked,
	    "blocking_recall", r->blocking_recall, "predicted",
	    (json_int_t)r->predicted, "true_positives",
	    (json_int_t)r->true_positives, "precision", r->precision, "recall",
	    r->recall, "f1", r->f1, "queries_with_match",
	    (json_int_t)r->queries_with_match, "top10_hits",
	    (json_int_t)r->top10_hits, "top10_recall", r->top10_recall,
	    "seconds_keys_index", r->seconds_prepare_index, "seconds_search",
	    r->seconds_search, "index_keys", (json_int_t)r->index_keys,
	    "index_postings", (json_int_t)r->index_postings);
	json_object_set_new(
	    o, "at_index_size",
	    json_pack(
	        "{s:f,s:I,s:I,s:f,s:f,s:f}", "threshold", r->size_threshold,
	        "predicted", (json_int_t)r->predicted_size, "true_positives",
	        (json_int_t)r->true_positives_size, "precision",
	        r->precision_size, "recall", r->recall_size, "f1", r->f1_size));
	return o;
}

static int write_json(const char *out, const char *dir, double threshold,
                      const struct result *link, const struct result *dedup,
                      const struct result *other, bool met, double load_before)
{
	json_t *root = bench_results_new("febrl");
	bench_results_add_load(root, load_before);
	json_object_set_new(root, "data", json_string(dir));
	json_object_set_new(root, "threshold", json_real(threshold));
	json_object_set_new(
	    root, "weights",
	    json_string("score_weights_default(): weights and threshold "
	                "counted on FEBRL datasets 1 and 2 (bench_febrl "
	                "--train), never on 3, 4a, 4b; the handling of swapped "
	                "names and the pn: key were added after reading the "
	                "pairs missed on dataset 3 (--misses)"));
	json_object_set_new(root, "anchor", json_string(anchor_text));
	json_object_set_new(root, "link_4a_4b", result_json(link));
	json_object_set_new(root, "dedup_3", result_json(dedup));
	if (other)
		json_object_set_new(root, "dedup_splink_fake_1000",
		                    result_json(other));
	json_object_set_new(root, "target",
	                    json_pack("{s:f,s:f,s:f,s:b}", "precision_min",
	                              TARGET_PRECISION, "recall_min",
	                              TARGET_RECALL, "top10_recall_min",
	                              TARGET_TOP10, "met", met));
	int rc = bench_write_json(BENCH_NAME, root, out);
	json_decref(root);
	return rc;
}

/* ---- main -------------------------------------------------------------- */

static void usage(FILE *f)
{
	fprintf(f,
	        "usage: bench_febrl [--out PATH] [--data DIR] [--threshold W] "
	        "[--train]\n"
	        "  --out PATH      where to write the JSON (default "
	        "%s/febrl.json;\n"
	        "                  none with --quick or --threshold)\n"
	        "  --data DIR      the FEBRL CSVs (default "
	        "$HTD_SHARED_DATA/linkage/febrl,\n"
	        "                  $HTD_SHARED_DATA defaulting to "
	        "%s/../shared/data)\n"
	        "  --threshold W   a match weight other than the default\n"
	        "  --train         print the weights counted on datasets 1 "
	        "and 2, and exit\n"
	        "  --misses        print the true pairs missed, and why; no "
	        "JSON\n"
	        "  --quick         the same run (it takes seconds); no JSON\n"
	        "  --dir DIR       accepted and ignored (scripts/bench.sh "
	        "passes it)\n",
	        HTD_BENCH_RESULTS, HTD_SOURCE_ROOT);
}

int main(int argc, char **argv)
{
	char dir[BENCH_PATH_MAX], path_a[BENCH_PATH_MAX],
	    path_b[BENCH_PATH_MAX];
	const char *out = NULL;
	const char *data = NULL;
	double threshold = score_weights_default()->threshold;
	double load_before = -1;
	bool training = false;
	struct match_nicknames *nn = NULL;
	struct htd_error err;
	struct dataset a, b, three, splink;
	struct result link, dedup, other;
	struct score_weights weights;
	int rc = 1;

	bool quick = false;
	const char *threshold_text = NULL;
	const struct bench_option options[] = {
		{ "--out", BENCH_OPTION_TEXT, &out, 0, 0 },
		{ "--data", BENCH_OPTION_TEXT, &data, 0, 0 },
		{ "--dir", BENCH_OPTION_TEXT, NULL, 0, 0 },
		{ "--threshold", BENCH_OPTION_TEXT, &threshold_text, 0, 0 },
		{ "--quick", BENCH_OPTION_FLAG, &quick, 0, 0 },
		{ "--misses", BENCH_OPTION_FLAG, &show_misses, 0, 0 },
		{ "--train", BENCH_OPTION_FLAG, &training, 0, 0 },
	};
	if (bench_parse_options(BENCH_NAME, argc, argv, options,
	                        BENCH_COUNT(options), usage) != 0)
		return 2;
	if (threshold_text) {
		char *end;
		threshold = strtod(threshold_text, &end);
		if (*end || !isfinite(threshold)) {
			fprintf(stderr, "febrl: --threshold needs a number\n");
			return 2;
		}
	}
	/* Only the standard run replaces the recorded result. */
	if (!out && !quick && !show_misses && !threshold_text)
		out = HTD_BENCH_RESULTS "/febrl.json";
	if (data ? !str_copy(dir, sizeof(dir), data)
	         : !bench_shared_data_path(BENCH_NAME, "linkage/febrl", dir,
	                                   sizeof(dir)))
		die("data path too long");
	load_before = bench_load();
	if (nicknames_csv_load_dir(HTD_SOURCE_ROOT "/data/linkage", &nn,
	                           &err) != HTD_OK) {
		fprintf(stderr, "febrl: nicknames: %s\n", err.message);
		return 1;
	}
	if (training) {
		rc = train(dir, nn);
		match_nicknames_free(nn);
		return rc;
	}
	if (!str_format(path_a, sizeof(path_a), "%s/dataset4a.csv", dir) ||
	    !str_format(path_b, sizeof(path_b), "%s/dataset4b.csv", dir))
		die("data path too long");
	double t0 = bench_now();
	dataset_load(&a, path_a, nn);
	dataset_load(&b, path_b, nn);
	if (!str_format(path_a, sizeof(path_a), "%s/dataset3.csv", dir))
		die("data path too long");
	dataset_load(&three, path_a, nn);
	if (!str_format(path_a, sizeof(path_a), "%s/../splink/fake_1000.csv",
	                dir))
		die("data path too long");
	bool have_splink = splink_load(&splink, path_a, nn);
	double t_load = bench_now() - t0;

	weights = *score_weights_default();
	weights.threshold = threshold;
	evaluate("link dataset4a -> dataset4b", &a, &b, nn, &weights, &link);
	evaluate("dedup dataset3", &three, &three, nn, &weights, &dedup);
	if (have_splink)
		evaluate("dedup splink fake_1000 (outside FEBRL; no email)",
		         &splink, &splink, nn, &weights, &other);

	bool met = link.precision >= TARGET_PRECISION &&
	           link.recall >= TARGET_RECALL &&
	           link.top10_recall >= TARGET_TOP10;
	printf("febrl: record linkage quality, %s (threshold %.2f)\n", dir,
	       threshold);
	printf("  loaded and prepared %zu + %zu + %zu records in %.3f s "
	       "(%zu + %zu + %zu dates dropped as invalid)\n",
	       a.n, b.n, three.n, t_load, a.bad_dates, b.bad_dates,
	       three.bad_dates);
	print_result(&link);
	print_result(&dedup);
	if (have_splink)
		print_result(&other);
	else
		printf("\n  (%s not found: the check outside FEBRL is "
		       "skipped)\n",
		       path_a);
	printf("\n  anchors: %s\n", anchor_text);
	printf("  target: dataset 4 precision >= %.2f, recall >= %.2f, "
	       "top-10 recall >= %.3f: %s\n",
	       TARGET_PRECISION, TARGET_RECALL, TARGET_TOP10,
	       met ? "met" : "MISSED");
	rc = 0;
	if (out) {
		if (write_json(out, dir, threshold, &link, &dedup,
		               have_splink ? &other : NULL, met,
		               load_before) != 0)
			rc = 1;
	}
	dataset_free(&a);
	dataset_free(&b);
	dataset_free(&three);
	dataset_free(&splink);
	match_nicknames_free(nn);
	return rc;
}
