/*
 * lexicon_yaml.h - reads lexicon files (data/lexicon/<language>.yaml, format
 * in docs/lexicon.md) into struct lexicon (core/indicators.h), with every
 * error placed at file:line:column. A file with any error yields nothing.
 *
 * Ownership: a loaded lexicon is the caller's (free with lexicon_free(), or
 * lexicon_set_free() for a directory's worth); errors are reported by value.
 */
#ifndef HTD_FORMATS_LEXICON_YAML_H
#define HTD_FORMATS_LEXICON_YAML_H

#include <stdbool.h>
#include <stddef.h>

#include "core/indicators.h"
#include "util/error.h"

/* Largest lexicon file read: far above any real one, small enough that a
 * wrong file (a log, a database) is refused before it is parsed. */
#define LEXICON_YAML_MAX ((size_t)4 * 1024 * 1024)

/* A file stops being examined after this many errors. */
#define LEXICON_YAML_ERRORS_MAX 100

/* Where lexicons are looked for when no directory is given. */
#define LEXICON_DIR_DEFAULT "data/lexicon"

/* Called once per error, in the order of the file (line, then column). The
 * error is borrowed for the duration of the call. */
typedef void (*lexicon_yaml_error_fn)(void *ctx, const struct htd_error *e);

struct lexicon_yaml_options {
	/* Every indicator of domain.md must have a pattern (docs/lexicon.md:
	 * a language that misses one is an error); `check` and the
	 * directory loader ask for this. */
	bool coverage;
	lexicon_yaml_error_fn on_error; /* NULL: only `err` is filled */
	void *ctx;
};

/*
 * Reads the lexicon file at `path` into `out` (zeroed or freed by the
 * caller). `opts` may be NULL (no coverage, no callback). On error `out` is
 * left empty, every error is passed to opts->on_error, and `err` (may be
 * NULL) holds the first one. Returns HTD_OK; HTD_ERR_NOT_FOUND or
 * HTD_ERR_IO when the file cannot be read; HTD_ERR_TOO_LARGE past
 * LEXICON_YAML_MAX; HTD_ERR_PARSE for YAML that does not parse or is not
 * UTF-8; HTD_ERR_INVALID for what does not fit the format.
 */
enum htd_err lexicon_yaml_load(const char *path,
                               const struct lexicon_yaml_options *opts,
                               struct lexicon *out, struct htd_error *err);

/*
 * As lexicon_yaml_load(), for `len` bytes of `data` that were read from
 * `file` (used in messages, and its name must be "<language>.yaml").
 * `data` is borrowed and need not be NUL-terminated.
 */
enum htd_err lexicon_yaml_parse(const char *file, const char *data, size_t len,
                                const struct lexicon_yaml_options *opts,
                                struct lexicon *out, struct htd_error *err);

/*
 * Marks in `missing` the indicators of domain.md for which `lx` has no
 * pattern (plain or inverted) and returns how many there are. This cannot
 * fail.
 */
size_t lexicon_missing_indicators(const struct lexicon *lx,
                                  bool missing[INDICATOR__COUNT]);

/* Returns the number of patterns (plain and inverted) over all indicators. */
size_t lexicon_pattern_count(const struct lexicon *lx);

/*
 * Loads every "*.yaml" file of `dir` (NULL: LEXICON_DIR_DEFAULT), sorted by
 * name, with coverage required, into a new array (*out, *n; free with
 * lexicon_set_free()). Every file is examined and all errors are reported
 * through `opts` (its `coverage` is ignored); when any file has an error,
 * nothing is returned (*out NULL, *n 0) and `err` holds the first error.
 * A directory without lexicons is HTD_ERR_NOT_FOUND.
 */
enum htd_err lexicon_yaml_load_dir(const char *dir,
                                   const struct lexicon_yaml_options *opts,
                                   struct lexicon **out, size_t *n,
                                   struct htd_error *err);

/* Frees `n` lexicons and the array; accepts NULL. */
void lexicon_set_free(struct lexicon *lexicons, size_t n);

#endif
