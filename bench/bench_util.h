/*
 * bench_util.h - what every benchmark in bench/ needs and should not write
 * again: a monotonic clock, percentiles of a sample, and the "machine"
 * object of the results JSON (host, CPU, load) so that a figure always says
 * where it was measured. Header-only: each benchmark is one program.
 */
#ifndef HTD_BENCH_UTIL_H
#define HTD_BENCH_UTIL_H

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "version.h"

/* Seconds on the monotonic clock. */
static inline double bench_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
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
	FILE *f = fopen("/proc/loadavg", "r");
	if (f) {
		if (fscanf(f, "%lf", &l) != 1)
			l = -1;
		fclose(f);
	}
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

#endif
