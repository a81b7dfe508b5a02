/*
 * fuzz_screen.c - fuzzes the indicator scan (core/indicators.c with
 * core/normalise.c) on notes, which are typed by people and imported from
 * other systems: any bytes, NULs and invalid UTF-8 included.
 *
 * The matcher is opened once, in LLVMFuzzerInitialize, from the real
 * lexicons: $HTD_LEXICON_DIR, else data/lexicon (scripts/fuzz.sh runs from
 * the source root), else tests/fixtures/lexicon; compiled, or read from the
 * cache in $HTD_CACHE_DIR (scripts/fuzz.sh sets it), through
 * service/screen.c, whose screen_note() is the scan under test. Properties:
 * never a crash or leak; every hit (and industry hit) lies in [0, len) with
 * start < end, in order of start; the invalid-byte count is at most the input
 * size; a hit that counts supports the AMP summary; scanning again with the
 * same scratch gives the same result.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz/fuzz.h"
#include "service/screen.h"
#include "util/log.h"
#include "util/mem.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);

static struct screen *screen;

static void fail(const char *what, const uint8_t *data, size_t size)
{
	fprintf(stderr, "screen: %s (input of %zu bytes: %.80s)\n", what, size,
	        (const char *)data);
	abort();
}

static void print_error(void *ctx, const struct htd_error *e)
{
	char msg[1024];
	(void)ctx;
	fprintf(stderr, "fuzz_screen: %s\n",
	        htd_error_format(e, msg, sizeof(msg)));
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const char *const dirs[] = { NULL, "data/lexicon",
		                            "tests/fixtures/lexicon" };
	const char *cache = getenv("HTD_CACHE_DIR");
	struct htd_error err;
	(void)argc;
	(void)argv;
	log_set_level(LOG_ERROR);
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		/* Compiling the shipped lexicons takes seconds (more when
		 * instrumented): the compiled database is cached. */
		struct screen_options opts = {
			.lexicon_dir =
			    i == 0 ? getenv("HTD_LEXICON_DIR") : dirs[i],
			.cache_dir = cache ? cache : "",
			.on_error = print_error,
		};
		if (!opts.lexicon_dir)
			continue;
		if (screen_open(&opts, &screen, &err) == HTD_OK) {
			fprintf(stderr,
			        "fuzz_screen: lexicons from %s (cache %s)\n",
			        opts.lexicon_dir,
			        screen_cache_name(screen_cache_state(screen)));
			return 0;
		}
		print_error(NULL, &err);
		if (i == 0)
			exit(1); /* asked for, and broken */
	}
	fprintf(stderr, "fuzz_screen: no lexicon; run from the source root or "
	                "set HTD_LEXICON_DIR\n");
	exit(1);
}

static void check(const struct indicator_result *r, const uint8_t *data,
                  size_t size)
{
	unsigned amp = 0;
	if (r->invalid_bytes > size)
		fail("more invalid bytes than bytes", data, size);
	for (size_t i = 0; i < r->n_hits; i++) {
		const struct indicator_hit *h = &r->hits[i];
		if (h->start >= h->end || h->end > size)
			fail("a hit outside the input or empty", data, size);
		if (i > 0 && h->start < r->hits[i - 1].start)
			fail("hits out of order", data, size);
		if ((unsigned)h->id >= INDICATOR__COUNT)
			fail("a hit of no indicator", data, size);
		if (indicator_hit_counts(h))
			amp |= h->amp;
	}
	if ((amp & r->amp) != amp)
		fail("a counting hit is missing from the AMP summary", data,
		     size);
	for (size_t i = 0; i < r->n_industries; i++)
		if (r->industries[i].start >= r->industries[i].end ||
		    r->industries[i].end > size)
			fail("an industry hit outside the input", data, size);
}

/* Field by field: padding bytes may differ. */
static bool hits_equal(const struct indicator_hit *x,
                       const struct indicator_hit *y)
{
	return x->id == y->id && x->start == y->start && x->end == y->end &&
	       strcmp(x->language, y->language) == 0 &&
	       x->negated == y->negated && x->hypothetical == y->hypothetical &&
	       x->historical == y->historical && x->subject == y->subject &&
	       x->amp == y->amp;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct indicator_result *r;
	struct indicator_hit *first = NULL;
	struct htd_error err;

	if (size > FUZZ_INPUT_MAX)
		return 0;
	if (screen_note(screen, (const char *)data, size, &r, &err) != HTD_OK)
		fail(err.message, data, size);
	check(r, data, size);
	size_t n = r->n_hits;
	unsigned amp = r->amp;
	if (n) {
		first = xmalloc(n * sizeof(*first));
		memcpy(first, r->hits, n * sizeof(*first));
	}
	if (screen_note(screen, (const char *)data, size, &r, &err) != HTD_OK)
		fail(err.message, data, size);
	if (r->n_hits != n || r->amp != amp)
		fail("a second scan differs", data, size);
	for (size_t i = 0; i < n; i++)
		if (!hits_equal(&first[i], &r->hits[i]))
			fail("a hit differs in a second scan", data, size);
	free(first);
	return 0;
}
