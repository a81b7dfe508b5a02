/*
 * engine.h - everything a decision needs, loaded once: the lexicons and
 * their compiled matcher (service/screen), the protocol and the policy
 * (formats/protocol_yaml), all checked as `htdispatch check` checks them.
 * A file with an error or a lint finding refuses to load, so `call`,
 * `assess` and `serve` never run on a protocol that `check` rejects.
 *
 * Ownership: an engine owns what it loaded (engine_close()); the protocol
 * and policy it exposes are borrowed for the engine's lifetime. Not
 * thread-safe (the matcher's scratch space is per engine).
 */
#ifndef HTD_SERVICE_ENGINE_H
#define HTD_SERVICE_ENGINE_H

#include <stdatomic.h>
#include <stddef.h>

#include "core/call.h"
#include "core/match.h"
#include "core/protocol.h"
#include "service/screen.h"
#include "util/error.h"

struct engine_options {
	const char *protocol_file; /* NULL: PROTOCOL_FILE_DEFAULT */
	const char *policy_file;   /* NULL: POLICY_FILE_DEFAULT */
	const char *lexicon_dir;   /* NULL: LEXICON_DIR_DEFAULT */
	const char *cache_dir; /* NULL: SCREEN_CACHE_DIR_DEFAULT; "": none */
	/* The nickname tables of records search (every nicknames*.csv of
	 * the directory): given, they must load; NULL: NICKNAMES_DIR_DEFAULT
	 * when it exists, else none (names then meet only as written);
	 * "": none (a command that never searches records, like assess). */
	const char *nicknames_dir;
	/* Every error of every file, as `check` prints them; may be NULL. */
	void (*on_error)(void *ctx, const struct htd_error *e);
	void *ctx;
};

struct engine {
	struct protocol protocol;
	struct policy policy;
	struct screen *screen;
	/* Records search: the nickname tables, shared by clones like the
	 * protocol; NULL when none were found. */
	struct match_nicknames *nicknames;
	/* Clones share the protocol and policy of their origin (read-only)
	 * and its matcher; the origin counts its users, itself included. */
	struct engine *origin; /* NULL in an origin */
	atomic_int refs;       /* in an origin */
};

/*
 * Loads and checks the three kinds of file. On any error or lint finding
 * *out is NULL, every problem went to opts->on_error, and `err` holds the
 * first (HTD_ERR_INVALID for a finding, else the loader's code). Returns an
 * owned engine in *out (engine_close()).
 */
enum htd_err engine_open(const struct engine_options *opts, struct engine **out,
                         struct htd_error *err);

/*
 * Returns an engine for another thread: the same protocol, policy and
 * matcher as `e` (shared, never copied) with scratch space of its own.
 * NULL when scratch space cannot be made. Close it with engine_close(), in
 * any order with `e`; must not run at the same time as closing `e`.
 */
struct engine *engine_clone(struct engine *e);

/* Frees an engine (a clone: its own part, and what it shares when it is
 * the last user); accepts NULL. */
void engine_close(struct engine *e);

/*
 * Scans note `text` (seq `note` of its note_added event; 0 outside a
 * call) and writes its hits to a new array (*hits, *n; free with free()),
 * at most CALL_HITS_EVENT_MAX. An engine without a matcher finds nothing.
 */
enum htd_err engine_scan_note(struct engine *e, const char *text, int64_t note,
                              struct call_hit **hits, size_t *n,
                              struct htd_error *err);

#endif
