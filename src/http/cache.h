/*
 * cache.h - the rendered JSON of recently read calls, keyed by call id and
 * version, shared by the worker threads. A read that finds the call still
 * at the cached version (one indexed look-up, service/calls.h
 * calls_get_unless()) answers with a copy of the cached bytes instead of
 * loading, decoding and rendering the call again. The version changes with
 * every event, so a cached document is never stale; reads stay audited.
 *
 * Bounded: a fixed number of slots (a call hashes to one; a newer entry
 * replaces the older), documents up to HTTP_CACHE_DOC_MAX bytes.
 */
#ifndef HTD_HTTP_CACHE_H
#define HTD_HTTP_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HTTP_CACHE_SLOTS 256
#define HTTP_CACHE_DOC_MAX (64 * 1024)

struct http_cache;

/* Returns a new, empty cache (free with http_cache_free()). */
struct http_cache *http_cache_new(void);

/* Frees the cache and its documents; accepts NULL. */
void http_cache_free(struct http_cache *c);

/* When `key` is cached, returns true with an owned copy of its document
 * in *doc (free with free()), its length in *len and its version in
 * *version; otherwise false. */
bool http_cache_get(struct http_cache *c, const char *key, int64_t *version,
                    char **doc, size_t *len);

/* Caches a copy of `doc` as `key` at `version`, unless the slot holds the
 * same key at a newer version or the document is too large. */
void http_cache_put(struct http_cache *c, const char *key, int64_t version,
                    const char *doc, size_t len);

#endif
