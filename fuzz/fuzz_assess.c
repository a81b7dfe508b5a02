/*
 * fuzz_assess.c - fuzzes the input of `htdispatch assess` (and the API's
 * dry run): JSON from integrations, parsed with jansson and turned into a
 * call by service/assess.c, then decided on with the shipped protocol and
 * policy.
 *
 * The engine is opened once from the source tree (scripts/fuzz.sh runs from
 * the source root), with the compiled lexicon cached in $HTD_CACHE_DIR.
 * Properties: never a crash or leak; a refused input has a message and is
 * INVALID or TOO_LARGE; a decided one has a known category, a priority of
 * 1..9, and every checklist state is a known one.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz/fuzz.h"
#include "service/assess.h"
#include "util/log.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);

static struct engine *engine;

static void fail(const char *what, const uint8_t *data, size_t size)
{
	fprintf(stderr, "assess: %s (input of %zu bytes: %.120s)\n", what, size,
	        (const char *)data);
	abort();
}

static void print_error(void *ctx, const struct htd_error *e)
{
	char msg[1024];
	(void)ctx;
	fprintf(stderr, "fuzz_assess: %s\n",
	        htd_error_format(e, msg, sizeof(msg)));
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *cache = getenv("HTD_CACHE_DIR");
	struct engine_options opts = {
		.cache_dir = cache ? cache : "",
		.on_error = print_error,
	};
	struct htd_error err;
	(void)argc;
	(void)argv;
	log_set_level(LOG_ERROR);
	if (engine_open(&opts, &engine, &err) != HTD_OK) {
		print_error(NULL, &err);
		fprintf(stderr, "fuzz_assess: run from the source root\n");
		exit(1);
	}
	return 0;
}

static void check(const json_t *out, const uint8_t *data, size_t size)
{
	enum call_category cat;
	const char *c = json_string_value(json_object_get(out, "category"));
	if (!c || !call_category_parse(c, &cat))
		fail("no known category", data, size);
	json_int_t p = json_integer_value(json_object_get(out, "priority"));
	if (p < 1 || p > 9)
		fail("priority out of 1..9", data, size);
	size_t i;
	json_t *a;
	json_array_foreach(json_object_get(out, "actions"), i, a)
	{
		enum call_action_state s;
		const char *st = json_string_value(json_object_get(a, "state"));
		if (!st || !call_action_state_parse(st, &s))
			fail("an action of no known state", data, size);
	}
	if (!json_is_array(json_object_get(out, "warnings")))
		fail("no warnings array", data, size);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_error_t jerr;
	if (size > FUZZ_INPUT_MAX)
		return 0;
	json_t *in =
	    json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &jerr);
	if (!in)
		return 0; /* jansson's own parser is fuzzed upstream */
	json_t *out = NULL;
	struct htd_error err;
	htd_error_clear(&err);
	enum htd_err rc = assess_json(engine, in, 1764417600000, &out, &err);
	if (rc == HTD_OK) {
		if (!out)
			fail("decided without output", data, size);
		check(out, data, size);
	} else {
		if (out)
			fail("output on error", data, size);
		if (rc != HTD_ERR_INVALID && rc != HTD_ERR_TOO_LARGE)
			fail("an error other than invalid input", data, size);
		if (!err.message[0])
			fail("an error without a message", data, size);
	}
	json_decref(out);
	json_decref(in);
	return 0;
}
