/*
 * strsim.c - what a name comparison costs: strsim_jaro_winkler() and the
 * other comparators of core/strsim.h, and the encoders of core/phonetic.h,
 * over the given names and surnames of FEBRL dataset 4a (5,000 records),
 * next to its anchor: the classic Jaro-Winkler as the literature writes it
 * (bytes, two flag arrays from calloc() per call), since jellyfish, the
 * library a user would otherwise reach for, is not installed here.
 */
#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench_util.h"
#include "core/phonetic.h"
#include "core/strsim.h"
#include "util/clock.h"
#include "util/str.h"
#include "version.h"

/* The target: a Jaro-Winkler comparison of two names, median per pass. */
#define TARGET_JW_NS 100.0

#define NAME_MAX_BYTES 64
#define BENCH_NAME "strsim" /* the prefix of its messages */

struct config {
	int64_t window; /* each name is compared with the next `window` */
	int64_t rounds; /* timed passes of each case */
	bool quick;
	const char *out; /* NULL: no JSON */
	const char *data;
	char data_default[BENCH_PATH_MAX];
	double load_before; /* 1-minute load average at the start; -1 unknown */
};

enum bench_case {
	CASE_JW,          /* strsim_jaro_winkler() */
	CASE_JW_NAIVE,    /* the anchor */
	CASE_JW_UTF8,     /* strsim_jaro_winkler(), 'a' written as 'é' */
	CASE_JARO,        /* strsim_jaro() */
	CASE_LEVENSHTEIN, /* strsim_levenshtein() */
	CASE_DAMERAU,     /* strsim_damerau_levenshtein() */
	CASE_DOUBLE_META, /* phonetic_double_metaphone() */
	CASE_SOUNDEX,     /* phonetic_soundex() */
	CASE_NYSIIS,      /* phonetic_nysiis(), strict */
	CASE__COUNT
};

static const char *const case_names[CASE__COUNT] = {
	"jaro_winkler",
	"anchor_naive_jaro_winkler",
	"jaro_winkler_decoded",
	"jaro",
	"levenshtein",
	"damerau_levenshtein",
	"double_metaphone",
	"soundex",
	"nysiis",
};

static const char *const case_labels[CASE__COUNT] = {
	"strsim_jaro_winkler()",       "anchor: naive Jaro-Winkler",
	"  same, 'a' as 'é' (UTF-8)",  "strsim_jaro()",
	"strsim_levenshtein()",        "strsim_damerau_lev...()",
	"phonetic_double_metaphone()", "phonetic_soundex()",
	"phonetic_nysiis(strict)",
};

/* Comparators run on pairs; encoders once per name. */
static bool case_is_pairwise(enum bench_case k)
{
	return k <= CASE_DAMERAU;
}

/* The names: given names and surnames, in file order. */
struct names {
	char (*name)[NAME_MAX_BYTES];
	char (*utf8)[2 * NAME_MAX_BYTES]; /* the same, every 'a' as "é" */
	size_t n;
	size_t records;
	size_t empty; /* empty fields skipped */
	size_t ascii; /* names that are pure ASCII */
};

/* ---- the anchor --------------------------------------------------------- */

/*
 * Jaro-Winkler as the literature gives it (Winkler 1990; the C of most
 * tutorials): byte by byte, the two match flag arrays allocated per call.
 * Same definition as strsim_jaro_winkler() on ASCII, which is checked
 * before timing.
 */
static double naive_jaro_winkler(const char *s1, const char *s2)
{
	int len1 = (int)strlen(s1), len2 = (int)strlen(s2);
	if (len1 == 0 || len2 == 0)
		return 0.0;
	int range = (len1 > len2 ? len1 : len2) / 2 - 1;
	if (range < 0)
		range = 0;
	int *m1 = calloc((size_t)len1, sizeof(int));
	int *m2 = calloc((size_t)len2, sizeof(int));
	if (!m1 || !m2) {
		fprintf(stderr, "strsim: out of memory\n");
		exit(1);
	}
	int matches = 0;
	for (int i = 0; i < len1; i++) {
		int lo = i - range > 0 ? i - range : 0;
		int hi = i + range < len2 - 1 ? i + range : len2 - 1;
		for (int j = lo; j <= hi; j++) {
			if (!m2[j] && s1[i] == s2[j]) {
				m1[i] = m2[j] = 1;
				matches++;
				break;
			}
		}
	}
	double jaro = 0.0;
	if (matches > 0) {
		int k = 0, half = 0;
		for (int i = 0; i < len1; i++) {
			if (!m1[i])
				continue;
			while (!m2[k])
				k++;
			if (s1[i] != s2[k])
				half++;
			k++;
		}
		double m = matches;
		jaro = (m / len1 + m / len2 + (m - half / 2) / m) / 3.0;
	}
	free(m1);
	free(m2);
	if (jaro <= 0.7)
		return jaro;
	int prefix = 0;
	while (prefix < 4 && prefix < len1 && prefix < len2 &&
	       s1[prefix] == s2[prefix])
		prefix++;
	return jaro + prefix * 0.1 * (1.0 - jaro);
}

/* ---- the names ---------------------------------------------------------- */

/* Copies field `want` of a FEBRL line (", "-separated) into `out`; false
 * when the line has no such field. */
static bool febrl_field(const char *line, int want, char *out, size_t size)
{
	const char *p = line;
	for (int f = 0; f < want; f++) {
		p = strchr(p, ',');
		if (!p)
			return false;
		p++;
	}
	while (*p == ' ')
		p++;
	size_t n = strcspn(p, ",\r\n");
	while (n > 0 && p[n - 1] == ' ')
		n--;
	if (n >= size)
		n = size - 1;
	memcpy(out, p, n);
	out[n] = '\0';
	return true;
}

static bool is_ascii(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s >= 0x80)
			return false;
	return true;
}

/* Writes `s` with every 'a' as "é" into `out` (twice its size): the same
 * comparisons, through the decoding path. */
static void spell_a_as_e_acute(const char *s, char *out)
{
	for (; *s; s++) {
		if (*s == 'a') {
			memcpy(out, "\xc3\xa9", 2);
			out += 2;
		} else {
			*out++ = *s;
		}
	}
	*out = '\0';
}

static int names_load(const char *path, struct names *nm)
{
	FILE *f = fopen(path, "rb");
	char line[1024];
	size_t cap = 0;

	if (!f) {
		fprintf(stderr, "strsim: %s: %s\n", path, strerror(errno));
		return -1;
	}
	/* The header: rec_id, given_name, surname, ... */
	if (!fgets(line, sizeof(line), f) || !strstr(line, "given_name") ||
	    !strstr(line, "surname")) {
		fprintf(stderr, "strsim: %s: not a FEBRL file\n", path);
		fclose(f);
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		nm->records++;
		for (int field = 1; field <= 2; field++) {
			char v[NAME_MAX_BYTES];
			if (!febrl_field(line, field, v, sizeof(v)) ||
			    v[0] == '\0') {
				nm->empty++;
				continue;
			}
			if (nm->n == cap) {
				cap = cap ? cap * 2 : 1024;
				nm->name =
				    realloc(nm->name, cap * sizeof(*nm->name));
				nm->utf8 =
				    realloc(nm->utf8, cap * sizeof(*nm->utf8));
				if (!nm->name || !nm->utf8) {
					fprintf(stderr,
					        "strsim: out of memory\n");
					exit(1);
				}
			}
			memcpy(nm->name[nm->n], v, sizeof(v));
			spell_a_as_e_acute(v, nm->utf8[nm->n]);
			nm->ascii += is_ascii(v);
			nm->n++;
		}
	}
	fclose(f);
	if (nm->n < 2) {
		fprintf(stderr, "strsim: %s: fewer than two names\n", path);
		return -1;
	}
	return 0;
}

/* ---- one pass of each case ---------------------------------------------- */

static volatile double sink_d;
static volatile size_t sink_z;

/* Runs case `k` once over the workload; returns the operations done. */
static size_t run_pass(const struct names *nm, size_t window, enum bench_case k)
{
	size_t ops = 0;
	double acc = 0;
	size_t acz = 0;

	if (case_is_pairwise(k)) {
		for (size_t i = 0; i < nm->n; i++) {
			const char *a = nm->name[i];
			for (size_t w = 1; w <= window; w++) {
				const char *b = nm->name[(i + w) % nm->n];
				switch (k) {
				case CASE_JW:
					acc += strsim_jaro_winkler(a, b);
					break;
				case CASE_JW_NAIVE:
					acc += naive_jaro_winkler(a, b);
					break;
				case CASE_JW_UTF8:
					acc += strsim_jaro_winkler(
					    nm->utf8[i],
					    nm->utf8[(i + w) % nm->n]);
					break;
				case CASE_JARO: acc += strsim_jaro(a, b); break;
				case CASE_LEVENSHTEIN:
					acz += strsim_levenshtein(a, b);
					break;
				case CASE_DAMERAU:
					acz += strsim_damerau_levenshtein(a, b);
					break;
				default: break;
				}
			}
			ops += window;
		}
	} else {
		char p[PHONETIC_DOUBLE_METAPHONE_SIZE];
		char alt[PHONETIC_DOUBLE_METAPHONE_SIZE];
		char code[NAME_MAX_BYTES * 4];
		for (size_t i = 0; i < nm->n; i++) {
			const char *a = nm->name[i];
			switch (k) {
			case CASE_DOUBLE_META:
				phonetic_double_metaphone(a, p, alt, sizeof(p));
				acz += (size_t)p[0] + (size_t)alt[0];
				break;
			case CASE_SOUNDEX:
				phonetic_soundex(a, code);
				acz += (size_t)code[0];
				break;
			case CASE_NYSIIS:
				phonetic_nysiis(a, code, sizeof(code), true);
				acz += (size_t)code[0];
				break;
			default: break;
			}
		}
		ops = nm->n;
	}
	sink_d += acc;
	sink_z += acz;
	return ops;
}

/*
 * Checks, before timing, that the anchor computes what strsim does on
 * these (ASCII) names: a comparison of different functions measures
 * nothing. Returns the pairs compared, or 0 on a difference.
 */
static size_t check_anchor(const struct names *nm, size_t window)
{
	size_t pairs = 0;
	for (size_t i = 0; i < nm->n; i++) {
		const char *a = nm->name[i];
		if (!is_ascii(a))
			continue;
		for (size_t w = 1; w <= window; w++) {
			const char *b = nm->name[(i + w) % nm->n];
			if (!is_ascii(b))
				continue;
			double x = strsim_jaro_winkler(a, b);
			double y = naive_jaro_winkler(a, b);
			if (strsim_jaro_winkler(
			        nm->utf8[i], nm->utf8[(i + w) % nm->n]) != x) {
				fprintf(stderr,
				        "strsim: '%s' vs '%s': the UTF-8 "
				        "spelling compares differently\n",
				        a, b);
				return 0;
			}
			if (x - y > 1e-12 || y - x > 1e-12) {
				fprintf(stderr,
				        "strsim: '%s' vs '%s': strsim %.15f, "
				        "anchor %.15f\n",
				        a, b, x, y);
				return 0;
			}
			pairs++;
		}
	}
	return pairs;
}

/* Times every case `rounds` times, each round in another order of cases,
 * so a change of machine speed hits all alike; samples[k][r] is the mean
 * nanoseconds per operation of round r. */
static void measure(const struct names *nm, const struct config *cfg,
                    double *samples[CASE__COUNT])
{
	size_t window = (size_t)cfg->window;
	for (int k = 0; k < CASE__COUNT; k++)
		run_pass(nm, window, (enum bench_case)k); /* warm-up */
	for (int64_t r = 0; r < cfg->rounds; r++) {
		for (int j = 0; j < CASE__COUNT; j++) {
			enum bench_case k =
			    (enum bench_case)((j + r) % CASE__COUNT);
			double t0 = bench_now();
			size_t ops = run_pass(nm, window, k);
			double t1 = bench_now();
			samples[k][r] = (t1 - t0) * 1e9 / (double)ops;
		}
	}
}

/* ---- output ------------------------------------------------------------- */

static int write_json(const struct config *cfg, const struct names *nm,
                      size_t checked, const struct bench_stats *st,
                      double ratio, bool met)
{
	json_t *params = json_pack(
	    "{s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:b}", "data",
	    "linkage/febrl/dataset4a.csv (given_name, surname)", "records",
	    (json_int_t)nm->records, "names", (json_int_t)nm->n, "ascii_names",
	    (json_int_t)nm->ascii, "empty_fields", (json_int_t)nm->empty,
	    "window", (json_int_t)cfg->window, "comparisons_per_pass",
	    (json_int_t)(nm->n * (size_t)cfg->window), "rounds",
	    (json_int_t)cfg->rounds, "anchor_pairs_checked",
	    (json_int_t)checked, "quick", cfg->quick);
	json_t *cases = json_object();
	for (int k = 0; k < CASE__COUNT; k++)
		json_object_set_new(
		    cases, case_names[k],
		    json_pack("{s:s,s:f,s:f,s:f,s:f}", "per",
		              case_is_pairwise((enum bench_case)k)
		                  ? "comparison"
		                  : "name",
		              "median_ns", st[k].median, "min_ns", st[k].min,
		              "mean_ns", st[k].mean, "max_ns", st[k].max));
	json_t *target = json_pack(
	    "{s:f,s:f,s:b}", "jaro_winkler_median_ns_max", TARGET_JW_NS,
	    "jaro_winkler_median_ns", st[CASE_JW].median, "met", met);
	json_t *root = bench_results_new("strsim");
	bench_results_add_load(root, cfg->load_before);
	return bench_results_write_cases(
	    BENCH_NAME, root,
	    "naive Jaro-Winkler as the literature writes it (bytes, calloc'd "
	    "flag arrays per call), in this file; jellyfish (Python) is not "
	    "installed",
	    params, cases, "ratio_anchor_jaro_winkler", ratio, target,
	    cfg->out);
}

static void print_table(const struct config *cfg, const struct names *nm,
                        size_t checked, const struct bench_stats *st,
                        double ratio, bool met)
{
	printf("strsim: name comparison and encoding, %s\n", cfg->data);
	printf("  %zu names (given names and surnames of %zu records; %zu "
	       "ASCII), each compared\n  with the next %lld: %zu "
	       "comparisons a pass; %lld passes of each case%s\n",
	       nm->n, nm->records, nm->ascii, (long long)cfg->window,
	       nm->n * (size_t)cfg->window, (long long)cfg->rounds,
	       cfg->quick ? " (--quick: a smoke run, not a measurement)" : "");
	printf("  anchor checked equal to strsim on %zu pairs\n", checked);
	if (cfg->load_before > (double)sysconf(_SC_NPROCESSORS_ONLN))
		printf("  load average %.1f on %ld CPUs at the start: the "
		       "times are inflated\n",
		       cfg->load_before, sysconf(_SC_NPROCESSORS_ONLN));
	printf("\n  %-30s %10s %10s %10s %12s\n", "nanoseconds per", "median",
	       "min", "mean", "");
	for (int k = 0; k < CASE__COUNT; k++)
		printf("  %-30s %10.1f %10.1f %10.1f %12s\n", case_labels[k],
		       st[k].median, st[k].min, st[k].mean,
		       case_is_pairwise((enum bench_case)k) ? "comparison"
		                                            : "name");
	printf("\n  anchor / strsim_jaro_winkler (medians): %.2f\n", ratio);
	printf("\n  target: Jaro-Winkler median < %.0f ns: %s (%.1f ns)\n",
	       TARGET_JW_NS, met ? "met" : "MISSED", st[CASE_JW].median);
}

/* ---- main --------------------------------------------------------------- */

static void usage(FILE *f)
{
	fprintf(f,
	        "usage: bench_strsim [--quick] [--out PATH] [--window W] "
	        "[--rounds R]\n"
	        "                    [--data FILE]\n"
	        "  --quick       window 10, 3 rounds: a smoke run\n"
	        "  --out PATH    where to write the JSON (default "
	        "%s/strsim.json,\n"
	        "                and none with --quick or other sizes)\n"
	        "  --window W    compare each name with the next W (default "
	        "100)\n"
	        "  --rounds R    timed passes of each case (default 20)\n"
	        "  --data FILE   a FEBRL CSV (default "
	        "$HTD_SHARED_DATA/linkage/febrl/dataset4a.csv,\n"
	        "                $HTD_SHARED_DATA defaulting to %s/../shared/"
	        "data)\n"
	        "  --dir DIR     accepted and ignored (scripts/bench.sh "
	        "passes it)\n",
	        HTD_BENCH_RESULTS, HTD_SOURCE_ROOT);
}

static int parse_args(int argc, char **argv, struct config *cfg)
{
	int64_t window = -1, rounds = -1;

	if (!bench_shared_data_path(BENCH_NAME, "linkage/febrl/dataset4a.csv",
	                            cfg->data_default,
	                            sizeof(cfg->data_default)))
		return -1;
	cfg->data = cfg->data_default;
	const struct bench_option options[] = {
		BENCH_OPTIONS_COMMON(&cfg->quick, &cfg->out, NULL),
		{ "--data", BENCH_OPTION_TEXT, &cfg->data, 0, 0 },
		{ "--window", BENCH_OPTION_INT, &window, 1, 10000 },
		{ "--rounds", BENCH_OPTION_INT, &rounds, 1, 1000 },
	};
	if (bench_parse_options(BENCH_NAME, argc, argv, options,
	                        BENCH_COUNT(options), usage) != 0)
		return -1;
	cfg->window = window > 0 ? window : cfg->quick ? 10 : 100;
	cfg->rounds = rounds > 0 ? rounds : cfg->quick ? 3 : 20;
	bool standard = !cfg->quick && window < 0 && rounds < 0 &&
	                cfg->data == cfg->data_default;
	if (!cfg->out && standard)
		cfg->out = HTD_BENCH_RESULTS "/strsim.json";
	return 0;
}

int main(int argc, char **argv)
{
	struct config cfg;
	struct names nm;
	double *samples[CASE__COUNT] = { 0 };
	struct bench_stats st[CASE__COUNT];
	int rc = 1;

	memset(&cfg, 0, sizeof(cfg));
	memset(&nm, 0, sizeof(nm));
	if (parse_args(argc, argv, &cfg) != 0)
		return 2;
	if (cfg.out && bench_check_out_dir(BENCH_NAME, cfg.out) != 0)
		return 1;
	cfg.load_before = bench_load();
	if (names_load(cfg.data, &nm) != 0)
		goto out;
	if ((size_t)cfg.window >= nm.n)
		cfg.window = (int64_t)nm.n - 1;
	size_t checked = check_anchor(&nm, (size_t)cfg.window);
	if (checked == 0) {
		fprintf(stderr, "strsim: the anchor does not compute what "
		                "strsim does, or no ASCII pair to check\n");
		goto out;
	}
	bench_samples_new(samples, CASE__COUNT, (size_t)cfg.rounds);
	measure(&nm, &cfg, samples);
	bench_summarise_cases(samples, CASE__COUNT, cfg.rounds, st);
	double ratio = st[CASE_JW_NAIVE].median / st[CASE_JW].median;
	bool met = st[CASE_JW].median < TARGET_JW_NS;
	print_table(&cfg, &nm, checked, st, ratio, met);
	if (cfg.out && write_json(&cfg, &nm, checked, st, ratio, met) != 0)
		goto out;
	rc = 0;
out:
	bench_samples_free(samples, CASE__COUNT);
	free(nm.name);
	free(nm.utf8);
	return rc;
}
