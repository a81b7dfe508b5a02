/*
 * serve_config.h - the server's configuration file (`htdispatch serve
 * --config FILE`, e.g. etc/htdispatch.yaml): a flat YAML mapping of option
 * names to scalar values, the same names as serve's long options
 * ("listen: 127.0.0.1:8080", "threads: 4"). The file says which options;
 * the command (cli/cmd_serve.c) checks each value as it checks its
 * command line, and the command line wins over the file.
 */
#ifndef HTD_FORMATS_SERVE_CONFIG_H
#define HTD_FORMATS_SERVE_CONFIG_H

#include <stddef.h>

#include "util/error.h"

#define SERVE_CONFIG_MAX (64 * 1024) /* bytes */
#define SERVE_CONFIG_ENTRIES_MAX 64
#define SERVE_CONFIG_VALUE_MAX 4096

struct serve_config_entry {
	char *key;   /* owned */
	char *value; /* owned; the scalar as written */
	int line;    /* 1-based */
};

struct serve_config {
	struct serve_config_entry *entries; /* owned, in file order */
	size_t n;
};

/* Frees the entries; accepts NULL. */
void serve_config_free(struct serve_config *c);

/*
 * Parses `len` bytes of `data` (named `file` in errors); a file of only
 * comments sets nothing. `keys` is the
 * NULL-terminated list of names allowed. Errors (HTD_ERR_PARSE for YAML,
 * HTD_ERR_INVALID for an unknown or repeated key, a value that is not a
 * scalar, or one over SERVE_CONFIG_VALUE_MAX) carry file, line and column
 * and the key in `field`; `out` is then empty. On success `out` is owned.
 */
enum htd_err serve_config_parse(const char *file, const char *data, size_t len,
                                const char *const *keys,
                                struct serve_config *out,
                                struct htd_error *err);

/* Reads `path` (at most SERVE_CONFIG_MAX bytes) and parses it. */
enum htd_err serve_config_load(const char *path, const char *const *keys,
                               struct serve_config *out, struct htd_error *err);

#endif
