/*
 * fuzz_serve_config.c - fuzzes the server's configuration file reader
 * (formats/serve_config.c): YAML bytes in, options or one error out.
 *
 * Properties: never a crash or leak; a rejection names the file with a
 * line and column >= 1 and leaves no entries; an accepted file has at most
 * SERVE_CONFIG_ENTRIES_MAX entries, each a known key, no key twice, a
 * non-empty value within SERVE_CONFIG_VALUE_MAX, and a line >= 1.
 */
#include <stdio.h>
#include <stdlib.h>

#include "formats/serve_config.h"
#include "fuzz/fuzz.h"
#include "util/str.h"

static const char *const keys[] = { "listen",       "threads",  "db",
	                            "session-idle", "tls-cert", NULL };

static void fail(const char *what)
{
	fprintf(stderr, "serve_config: %s\n", what);
	abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct serve_config cfg;
	struct htd_error err;
	if (size > FUZZ_INPUT_MAX)
		return 0;
	htd_error_clear(&err);
	enum htd_err rc = serve_config_parse("c.yaml", (const char *)data, size,
	                                     keys, &cfg, &err);
	if (rc != HTD_OK) {
		if (cfg.n || cfg.entries)
			fail("a rejection that left entries");
		if (!str_eq(err.file, "c.yaml") || err.line < 1 ||
		    err.column < 1 || err.code != rc)
			fail("a rejection without file, line and column");
		return 0;
	}
	if (cfg.n > SERVE_CONFIG_ENTRIES_MAX)
		fail("too many entries");
	for (size_t i = 0; i < cfg.n; i++) {
		const struct serve_config_entry *e = &cfg.entries[i];
		bool known = false;
		for (size_t k = 0; keys[k]; k++)
			known |= str_eq(keys[k], e->key);
		if (!known || !e->value[0] || e->line < 1 ||
		    strlen(e->value) > SERVE_CONFIG_VALUE_MAX)
			fail("a bad entry");
		for (size_t j = 0; j < i; j++)
			if (str_eq(cfg.entries[j].key, e->key))
				fail("a key twice");
	}
	serve_config_free(&cfg);
	return 0;
}
