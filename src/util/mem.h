/*
 * mem.h - allocation that never returns NULL.
 *
 * Out of memory is not recoverable in a dispatch system that must not lose a
 * half-handled call silently: we log one line and abort, in one place, so the
 * supervisor process (systemd) restarts us with a consistent store.
 */
#ifndef HTD_UTIL_MEM_H
#define HTD_UTIL_MEM_H

#include <stddef.h>

/* Each returns memory or aborts the process with a message; never NULL. */
void *xmalloc(size_t size);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *ptr, size_t size);
/* Returns an owned copy of `s` (NULL gives NULL); free with free(). */
char *xstrdup(const char *s);
/* Returns an owned, NUL-terminated copy of the first `n` bytes of `s`. */
char *xstrndup(const char *s, size_t n);

/* Prints "htdispatch: out of memory (N bytes)" to stderr and aborts. */
void mem_oom(size_t size) __attribute__((noreturn));

#endif
