/*
 * bench_util.h - what every benchmark in bench/ needs and should not write
 * again: a monotonic clock, the summary of a sample, the "machine" object
 * of the results JSON (host, CPU, load) so that a figure always says where
 * it was measured, the results file written aside and renamed, and the
 * option parsing every benchmark shares. Header-only: each benchmark is one
 * program. Functions that print an error take `prog`, the benchmark's name,
 * for the prefix ("units: ...").
 */
#ifndef HTD_BENCH_UTIL_H
#define HTD_BENCH_UTIL_H

#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "util/clock.h"
#include "util/mem.h"
#include "util/str.h"
#include "version.h"

/* Where results files go unless meson says (-DHTD_BENCH_RESULTS), and the
 * source tree the default inputs are read from. */
#ifndef HTD_BENCH_RESULTS
#define HTD_BENCH_RESULTS "bench/results"
#endif
#ifndef HTD_SOURCE_ROOT
#define HTD_SOURCE_ROOT "."
#endif

/* The longest path a benchmark builds (results file, data file). */
#define BENCH_PATH_MAX 1024

/* Seconds on the monotonic clock; exits if there is none (a benchmark
 * without a clock measures nothing). */
static inline double bench_now(void)
{
	struct timespec ts;
	if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0) {
		fprintf(stderr, "bench: clock_gettime: %s\n", strerror(errno));
		exit(1);
	}
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* The q-quantile (0..1, nearest rank) of `v`, which it sorts; 0 for none. */
static inline double bench_quantile(double *v, size_t n, double q)
{
	if (n == 0)
		return 0;
	qsort(v, n, sizeof(*v), bench_cmp_double);
	size_t i = (size_t)(q * (double)n + 0.999999);
	if (i > 0)
		i--;
	if (i >= n)
		i = n - 1;
	return v[i];
}

/* The CPU's model name from /proc/cpuinfo, or "unknown". */
static inline void bench_cpu_model(char *out, size_t size)
{
	snprintf(out, size, "unknown");
	FILE *f = fopen("/proc/cpuinfo", "r");
	if (!f)
		return;
	char line[512];
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, "model name", 10) == 0) {
			const char *colon = strchr(line, ':');
			if (colon) {
				colon++;
				while (*colon == ' ')
					colon++;
				snprintf(out, size, "%s", colon);
				out[strcspn(out, "\n")] = '\0';
			}
			break;
		}
	fclose(f);
}

/* The 1-minute load average, or -1. */
static inline double bench_load(void)
{
	double l = -1;
	if (getloadavg(&l, 1) != 1)
		l = -1;
	return l;
}

/* The "machine" object of a results file (new reference). */
static inline json_t *bench_machine_json(void)
{
	struct utsname u;
	char cpu[256];
	char host[256] = "unknown";
	if (uname(&u) != 0)
		memset(&u, 0, sizeof(u));
	gethostname(host, sizeof(host) - 1);
	bench_cpu_model(cpu, sizeof(cpu));
	return json_pack("{s:s,s:s,s:s,s:s,s:I,s:f,s:s}", "hostname", host,
	                 "kernel", u.release, "cpu", cpu, "arch", u.machine,
	                 "cpus", (json_int_t)sysconf(_SC_NPROCESSORS_ONLN),
	                 "load_1min", bench_load(), "htdispatch", HTD_VERSION);
}

/* The "machine" object of the in-process benchmarks' results (units,
 * decide, store_append, strsim, notify, febrl): hostname, os, kernel, arch,
 * cpu, cpus (new reference). A caller adds what else its run needs, such as
 * the load average before and after. */
static inline json_t *bench_machine_uname_json(void)
{
	struct utsname u;
	char cpu[256];
	if (uname(&u) != 0)
		memset(&u, 0, sizeof(u));
	bench_cpu_model(cpu, sizeof(cpu));
	return json_pack("{s:s,s:s,s:s,s:s,s:s,s:I}", "hostname", u.nodename,
	                 "os", u.sysname, "kernel", u.release, "arch",
	                 u.machine, "cpu", cpu, "cpus",
	                 (json_int_t)sysconf(_SC_NPROCESSORS_ONLN));
}

/* Now, UTC, as time_format_utc() writes it, into `out` (at least
 * TIME_TEXT_MAX bytes); "unknown" if it cannot be written. Returns `out`. */
static inline const char *bench_date(char *out, size_t size)
{
	if (!time_format_utc(clock_now_ms(clock_system()), out, size))
		str_copy(out, size, "unknown");
	return out;
}

/* A new results object (new reference) opening as every results file
 * does: "benchmark" (`name`), "htdispatch_version", "date" (bench_date())
 * and "machine" (bench_machine_uname_json()); the caller adds the rest. */
static inline json_t *bench_results_new(const char *name)
{
	char date[TIME_TEXT_MAX];
	return json_pack("{s:s,s:s,s:s,s:o}", "benchmark", name,
	                 "htdispatch_version", HTD_VERSION, "date",
	                 bench_date(date, sizeof(date)), "machine",
	                 bench_machine_uname_json());
}

/* Adds to the "machine" object of `root` (from bench_results_new()) the
 * 1-minute load average at the start (`before`, from bench_load()) and now:
 * other work on the machine inflates the times, so a reader can tell a
 * quiet run from a busy one. */
static inline void bench_results_add_load(json_t *root, double before)
{
	json_t *machine = json_object_get(root, "machine");
	json_object_set_new(machine, "load_average_1min_before",
	                    json_real(before));
	json_object_set_new(machine, "load_average_1min_after",
	                    json_real(bench_load()));
}

/* What a sample of timings comes to, in the sample's unit. */
struct bench_stats {
	double median, p99, mean, min, max;
};

/* Sorts `v` (n > 0 values) in place and summarises it: the median is the
 * mean of the middle two for an even n, p99 the value at index n * 0.99. */
static inline struct bench_stats bench_summarise(double *v, int64_t n)
{
	struct bench_stats s = { 0 };
	double sum = 0;
	qsort(v, (size_t)n, sizeof(*v), bench_cmp_double);
	for (int64_t i = 0; i < n; i++)
		sum += v[i];
	s.median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	int64_t p = (int64_t)((double)n * 0.99);
	s.p99 = v[p < n ? p : n - 1];
	s.mean = sum / (double)n;
	s.min = v[0];
	s.max = v[n - 1];
	return s;
}

/* Allocates the samples of `cases` cases, `n` timings each, zeroed
 * (out of memory aborts, as util/mem.h does); free with
 * bench_samples_free(). */
static inline void bench_samples_new(double **samples, int cases, size_t n)
{
	for (int k = 0; k < cases; k++)
		samples[k] = xcalloc(n, sizeof(double));
}

/* Frees what bench_samples_new() allocated; NULL entries are skipped. */
static inline void bench_samples_free(double **samples, int cases)
{
	for (int k = 0; k < cases; k++)
		free(samples[k]);
}

/* Summarises (bench_summarise()) each of the `cases` samples of `n`
 * timings into st[case]. */
static inline void bench_summarise_cases(double **samples, int cases, int64_t n,
                                         struct bench_stats *st)
{
	for (int k = 0; k < cases; k++)
		st[k] = bench_summarise(samples[k], n);
}

/* One run of case `k` of a benchmark, the `i`-th of that case (0-based;
 * warm-up runs count apart); `ctx` is the caller's. Returns 0, or -1 after
 * printing why. */
typedef int bench_run_fn(void *ctx, int k, int64_t i);

/*
 * Times `runs` runs of each of the `cases` cases, one run at a time, after
 * `warmup` untimed runs of each (caches, branch predictors, the
 * allocator's free lists). The runs are cut into `rounds` rounds (1..runs);
 * each round runs the cases in another order, so a change of machine speed
 * during the run hits all cases alike. samples[k] (room for `runs`) gets
 * the microseconds of each run of case k. Returns 0, or -1 when a run
 * failed.
 */
static inline int bench_measure_rounds(int cases, int64_t runs, int64_t rounds,
                                       int64_t warmup, bench_run_fn *run,
                                       void *ctx, double **samples)
{
	int64_t per_round = runs / rounds;
	for (int k = 0; k < cases; k++)
		for (int64_t i = 0; i < warmup; i++)
			if (run(ctx, k, i) != 0)
				return -1;
	for (int64_t r = 0; r < rounds; r++) {
		int64_t done = r * per_round; /* of each case, before this */
		int64_t n = r == rounds - 1 ? runs - done : per_round;
		for (int j = 0; j < cases; j++) {
			int k = (int)((j + r) % cases);
			for (int64_t i = done; i < done + n; i++) {
				double t0 = bench_now();
				if (run(ctx, k, i) != 0)
					return -1;
				samples[k][i] = (bench_now() - t0) * 1e6;
			}
		}
	}
	return 0;
}

/* {"median_us", "p99_us", "mean_us", "min_us", "max_us"} of microsecond
 * stats (new reference). */
static inline json_t *bench_stats_json_us(const struct bench_stats *s)
{
	return json_pack("{s:f,s:f,s:f,s:f,s:f}", "median_us", s->median,
	                 "p99_us", s->p99, "mean_us", s->mean, "min_us", s->min,
	                 "max_us", s->max);
}

/* Writes `root` (borrowed) to `path` as the results files are written
 * (indented, keys in order, 6 significant digits): into PATH.tmp, then
 * renamed, so that a failed run leaves the last result; then prints
 * "  results: PATH". Returns 0, or -1 after printing why. */
static inline int bench_write_json(const char *prog, const json_t *root,
                                   const char *path)
{
	char tmp[BENCH_PATH_MAX];
	if (!str_format(tmp, sizeof(tmp), "%s.tmp", path)) {
		fprintf(stderr, "%s: %s: path too long\n", prog, path);
		return -1;
	}
	if (json_dump_file(root, tmp,
	                   JSON_INDENT(2) | JSON_PRESERVE_ORDER |
	                       JSON_REAL_PRECISION(6)) != 0) {
		fprintf(stderr, "%s: cannot write %s: %s\n", prog, tmp,
		        strerror(errno));
		return -1;
	}
	if (rename(tmp, path) != 0) {
		fprintf(stderr, "%s: cannot rename %s to %s: %s\n", prog, tmp,
		        path, strerror(errno));
		return -1;
	}
	printf("  results: %s\n", path);
	return 0;
}

/*
 * Ends the results of a benchmark of cases (units, decide, strsim) as
 * their files have it: adds "anchor" (`anchor`, in words), "params",
 * "cases" (an object of each case's figures), `ratio_key` (`ratio`) and
 * "target" to `root`, then writes it to `path` (bench_write_json()).
 * Takes `root`, `params`, `cases` and `target`, and frees them. Returns 0,
 * or -1 after printing why.
 */
static inline int bench_results_write_cases(const char *prog, json_t *root,
                                            const char *anchor, json_t *params,
                                            json_t *cases,
                                            const char *ratio_key, double ratio,
                                            json_t *target, const char *path)
{
	json_object_set_new(root, "anchor", json_string(anchor));
	json_object_set_new(root, "params", params);
	json_object_set_new(root, "cases", cases);
	json_object_set_new(root, ratio_key, json_real(ratio));
	json_object_set_new(root, "target", target);
	int rc = bench_write_json(prog, root, path);
	json_decref(root);
	return rc;
}

/* Fails early, before a long run, when the results file `out` could not be
 * written: 0 when its directory is writable, else -1 after printing why. */
static inline int bench_check_out_dir(const char *prog, const char *out)
{
	char dir[BENCH_PATH_MAX];
	if (!str_copy(dir, sizeof(dir), out)) {
		fprintf(stderr, "%s: %s: path too long\n", prog, out);
		return -1;
	}
	char *slash = strrchr(dir, '/');
	if (!slash)
		str_copy(dir, sizeof(dir), ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	if (access(dir, W_OK) != 0) {
		fprintf(stderr, "%s: cannot write into %s: %s\n", prog, dir,
		        strerror(errno));
		return -1;
	}
	return 0;
}

/* Parses "--name VALUE" at argv[*i] as a whole number in [min, max] into
 * `out` and steps *i over VALUE. Returns 0, or -1 after printing why. */
static inline int bench_option_int(const char *prog, int argc, char **argv,
                                   int *i, int64_t min, int64_t max,
                                   int64_t *out)
{
	if (*i + 1 >= argc || !str_to_i64(argv[*i + 1], min, max, out)) {
		fprintf(stderr,
		        "%s: %s needs a whole number from %lld to %lld\n", prog,
		        argv[*i], (long long)min, (long long)max);
		return -1;
	}
	(*i)++;
	return 0;
}

/* Parses "--name VALUE" at argv[*i]: VALUE, not empty, into `out`, and
 * steps *i over it. Returns 0, or -1 after printing why. */
static inline int bench_option_text(const char *prog, int argc, char **argv,
                                    int *i, const char **out)
{
	if (*i + 1 >= argc || str_empty(argv[*i + 1])) {
		fprintf(stderr, "%s: %s needs a value\n", prog, argv[*i]);
		return -1;
	}
	*out = argv[++*i];
	return 0;
}

/* What an option of a benchmark's command line takes. */
enum bench_option_kind {
	BENCH_OPTION_FLAG, /* none: sets a bool */
	BENCH_OPTION_INT,  /* a whole number in [min, max]: an int64_t */
	BENCH_OPTION_TEXT, /* a value, not empty (a path): a const char * */
};

/* One option: `value` points to the bool, int64_t or const char * it
 * sets; NULL for one accepted and ignored (scripts/bench.sh passes --dir
 * to every benchmark). A value is left as it was when the option is not
 * given, so a caller tells "given" from its initial value (-1, NULL). */
struct bench_option {
	const char *name; /* "--runs" */
	enum bench_option_kind kind;
	void *value;
	int64_t min, max; /* BENCH_OPTION_INT */
};

/* The options every benchmark takes, for the top of its table: --quick
 * (sets *quick), --out PATH (sets *out) and --dir DIR (sets *dir; NULL:
 * accepted and ignored, for scripts/bench.sh passes it to every one). */
/* clang-format off */
#define BENCH_OPTIONS_COMMON(quick, out, dir)                 \
	{ "--quick", BENCH_OPTION_FLAG, (quick), 0, 0 },      \
	{ "--out", BENCH_OPTION_TEXT, (out), 0, 0 },          \
	{ "--dir", BENCH_OPTION_TEXT, (dir), 0, 0 }
/* clang-format on */

/* The number of elements of array `a`. */
#define BENCH_COUNT(a) (sizeof(a) / sizeof((a)[0]))

/*
 * Parses argv[1..] against the `n` options. "--help" and "-h" print
 * usage(stdout) and exit 0. Returns 0, or -1 after printing why (a value
 * missing or out of range; an unknown option, followed by usage(stderr)).
 */
static inline int bench_parse_options(const char *prog, int argc, char **argv,
                                      const struct bench_option *options,
                                      size_t n, void (*usage)(FILE *))
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const struct bench_option *o = NULL;
		for (size_t k = 0; k < n && !o; k++)
			if (str_eq(a, options[k].name))
				o = &options[k];
		if (!o && (str_eq(a, "--help") || str_eq(a, "-h"))) {
			usage(stdout);
			exit(0);
		}
		if (!o) {
			fprintf(stderr, "%s: unknown option '%s'\n", prog, a);
			usage(stderr);
			return -1;
		}
		int64_t number;
		const char *text;
		switch (o->kind) {
		case BENCH_OPTION_FLAG:
			if (o->value)
				*(bool *)o->value = true;
			break;
		case BENCH_OPTION_INT:
			if (bench_option_int(prog, argc, argv, &i, o->min,
			                     o->max, &number) != 0)
				return -1;
			if (o->value)
				*(int64_t *)o->value = number;
			break;
		case BENCH_OPTION_TEXT:
			if (bench_option_text(prog, argc, argv, &i, &text) != 0)
				return -1;
			if (o->value)
				*(const char **)o->value = text;
			break;
		}
	}
	return 0;
}

/* Writes into `out` the path `rel` under the shared data directory:
 * $HTD_SHARED_DATA, or HTD_SOURCE_ROOT/../shared/data when it is unset or
 * empty. Returns false, after printing why, when the path is too long. */
static inline bool bench_shared_data_path(const char *prog, const char *rel,
                                          char *out, size_t size)
{
	const char *shared = getenv("HTD_SHARED_DATA");
	if (!str_format(out, size, "%s/%s",
	                shared && *shared ? shared
	                                  : HTD_SOURCE_ROOT "/../shared/data",
	                rel)) {
		fprintf(stderr, "%s: HTD_SHARED_DATA: path too long\n", prog);
		return false;
	}
	return true;
}

#endif
