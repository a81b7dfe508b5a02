/*
 * screen.h - the screening use case: load the lexicons, get the compiled
 * matcher from the on-disk cache (or compile it and cache it), and scan
 * text for trafficking indicators: one note, a JSON Lines export of past
 * calls, or plain text of any size, in bounded memory.
 *
 * Ownership: struct screen owns the matcher, its scratch space and the
 * result of the last scan; results passed to callbacks are borrowed for the
 * duration of the call.
 */
#ifndef HTD_SERVICE_SCREEN_H
#define HTD_SERVICE_SCREEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/indicators.h"
#include "formats/lexicon_yaml.h"
#include "util/error.h"

/* Where the compiled lexicon is cached when no directory is given. */
#define SCREEN_CACHE_DIR_DEFAULT "./var/cache"

/* Largest cache file read back; a bigger one is ignored and replaced. */
#define SCREEN_CACHE_MAX ((size_t)256 * 1024 * 1024)

/* Longest JSON Lines record; a longer line is reported and skipped. */
#define SCREEN_LINE_MAX ((size_t)1024 * 1024)

/* Plain text is scanned in chunks of at most this many bytes, cut after a
 * line break (context never crosses one), else after white space. */
#define SCREEN_CHUNK_MAX ((size_t)1024 * 1024)

struct screen_options {
	const char *lexicon_dir; /* NULL: LEXICON_DIR_DEFAULT */
	const char *cache_dir;   /* NULL: SCREEN_CACHE_DIR_DEFAULT; "": none */
	/* Each error of the lexicon files, as lexicon_yaml_load_dir(). */
	lexicon_yaml_error_fn on_error;
	void *ctx;
};

/* What happened to the cache when the matcher was opened. */
enum screen_cache {
	SCREEN_CACHE_NONE,       /* no cache directory: compiled */
	SCREEN_CACHE_HIT,        /* read from the cache */
	SCREEN_CACHE_WRITTEN,    /* compiled and cached */
	SCREEN_CACHE_REPLACED,   /* the cached file was unusable: rewritten */
	SCREEN_CACHE_UNWRITABLE, /* compiled; the cache could not be written */
};

const char *screen_cache_name(enum screen_cache c);

struct screen; /* opaque */

/*
 * Loads the lexicons, then reads the matcher from the cache or compiles it
 * (and caches it, atomically: a temporary file in the same directory,
 * fsync, rename). A cache that cannot be written is logged as a warning
 * and screening goes on. Errors: those of the lexicon loader (every one
 * also passed to opts->on_error) and of compiling. Returns an owned
 * screen in *out (free with screen_close()), NULL on error.
 */
enum htd_err screen_open(const struct screen_options *opts, struct screen **out,
                         struct htd_error *err);

/*
 * Returns a new screen that shares `s`'s matcher (the compiled database,
 * read-only) and has its own scratch space, so that another thread can
 * scan with it while `s` is in use: one matcher in memory for all the
 * threads of a server. NULL when scratch space cannot be made. Close it
 * with screen_close(), in any order with `s`: the shared part goes with
 * the last. Must not run at the same time as closing `s`.
 */
struct screen *screen_clone(struct screen *s);

/* Frees a screen; accepts NULL. */
void screen_close(struct screen *s);

/* Returns what happened to the cache, and (for tests and messages) the
 * cache file's path ("" when there is none); borrowed. */
enum screen_cache screen_cache_state(const struct screen *s);
const char *screen_cache_path(const struct screen *s);

/* Returns the number of lexicons loaded, and the language of the i-th. */
size_t screen_language_count(const struct screen *s);
const char *screen_language(const struct screen *s, size_t i);

/* Counters over everything scanned since screen_open(). */
struct screen_stats {
	uint64_t bytes;         /* input bytes read */
	uint64_t notes;         /* notes (JSONL records) or chunks scanned */
	uint64_t hits;          /* all hits */
	uint64_t counting;      /* hits that count: not negated/hypothetical */
	uint64_t bad_lines;     /* JSONL lines skipped */
	uint64_t invalid_bytes; /* bytes of invalid UTF-8 read as spaces */
};

void screen_stats(const struct screen *s, struct screen_stats *out);

/*
 * Scans one note. *out (borrowed; valid until the next scan or
 * screen_close()) holds hits in byte offsets of `text`.
 */
enum htd_err screen_note(struct screen *s, const char *text, size_t len,
                         const struct indicator_result **out,
                         struct htd_error *err);

/* One scanned piece of input, as given to a sink. */
struct screen_item {
	const char *input;   /* the input's name: a file name or "-" */
	const char *id;      /* call id (JSONL) or the input's name */
	const char *id_json; /* the id as JSON (JSONL: the record's own
	                      * value); NULL for plain text */
	const char *text;    /* the note or chunk scanned */
	size_t len;
	uint64_t base; /* offset of `text` in the input (plain text); 0 for
	                * JSONL, whose offsets are into the note */
	uint64_t line; /* JSONL line number (1-based); 0 for plain text */
	const struct indicator_result *result; /* offsets into `text` */
};

/* Where results go. Every callback may be NULL. */
struct screen_sink {
	/* Each note or chunk scanned; a non-zero return stops the scan. */
	int (*on_item)(void *ctx, const struct screen_item *item);
	/* A JSONL line skipped, with why. */
	void (*on_bad_line)(void *ctx, const char *input, uint64_t line,
	                    const char *why);
	/* Bytes of this input read so far, after every read. */
	void (*on_progress)(void *ctx, uint64_t bytes);
	void *ctx;
};

/*
 * Scans a JSON Lines export read from `fd` (named `input` in reports): one
 * object per line with "id" (string or integer) and "notes" (string or
 * null); other members are ignored, empty lines skipped. A line that is
 * not such an object, or longer than SCREEN_LINE_MAX, is reported to the
 * sink with its number, counted and skipped. Memory stays bounded whatever
 * the input. Returns HTD_ERR_IO when reading fails, HTD_ERR_CONFLICT when
 * the sink stopped the scan; bad lines are not errors.
 */
enum htd_err screen_jsonl(struct screen *s, int fd, const char *input,
                          const struct screen_sink *sink,
                          struct htd_error *err);

/*
 * Scans plain text read from `fd` in chunks of at most SCREEN_CHUNK_MAX
 * bytes cut at line breaks; each chunk goes to the sink with its offset in
 * the input. Any bytes are accepted. Errors as screen_jsonl().
 */
enum htd_err screen_text(struct screen *s, int fd, const char *input,
                         const struct screen_sink *sink, struct htd_error *err);

#endif
