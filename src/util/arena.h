/*
 * arena.h - a bump allocator for request- and command-scoped memory.
 *
 * Allocations live until arena_free() (or arena_reset()); there is no
 * per-object free. Out of memory aborts, as everywhere (util/mem.h).
 */
#ifndef HTD_UTIL_ARENA_H
#define HTD_UTIL_ARENA_H

#include <stddef.h>

struct arena_block;

struct arena {
	struct arena_block *head; /* newest block first; owned */
	size_t block_size;        /* default size of a new block */
	size_t used;              /* total bytes handed out, for tests */
};

/* Initialises an empty arena whose blocks are `block_size` bytes (0: 4 KiB). */
void arena_init(struct arena *a, size_t block_size);

/* Returns `size` bytes aligned for any type, zeroed; never NULL. */
void *arena_alloc(struct arena *a, size_t size);

/* Returns an arena copy of `s` (NULL gives NULL). */
char *arena_strdup(struct arena *a, const char *s);

/* Returns an arena copy of `n` bytes of `s`, NUL-terminated. */
char *arena_strndup(struct arena *a, const char *s, size_t n);

/* Releases everything but the first block, for reuse. */
void arena_reset(struct arena *a);

/* Releases all memory; accepts NULL. The arena may be reused after init. */
void arena_free(struct arena *a);

#endif
