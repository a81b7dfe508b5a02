/*
 * cache.c - a fixed table of slots, each with its own lock, so that
 * workers reading different calls do not wait for each other.
 */
#include "http/cache.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/call.h"
#include "util/mem.h"
#include "util/str.h"

struct slot {
	pthread_mutex_t lock;
	char key[CALL_REF_MAX];
	int64_t version;
	char *doc; /* owned */
	size_t len;
};

struct http_cache {
	struct slot slots[HTTP_CACHE_SLOTS];
};

/* FNV-1a: call ids differ in their last digits, which it spreads well. */
static struct slot *slot_of(struct http_cache *c, const char *key)
{
	uint32_t h = 2166136261u;
	for (const unsigned char *p = (const unsigned char *)key; *p; p++)
		h = (h ^ *p) * 16777619u;
	return &c->slots[h % HTTP_CACHE_SLOTS];
}

struct http_cache *http_cache_new(void)
{
	struct http_cache *c = xcalloc(1, sizeof(*c));
	for (size_t i = 0; i < HTTP_CACHE_SLOTS; i++)
		pthread_mutex_init(&c->slots[i].lock, NULL);
	return c;
}

void http_cache_free(struct http_cache *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < HTTP_CACHE_SLOTS; i++) {
		free(c->slots[i].doc);
		pthread_mutex_destroy(&c->slots[i].lock);
	}
	free(c);
}

bool http_cache_get(struct http_cache *c, const char *key, int64_t *version,
                    char **doc, size_t *len)
{
	struct slot *s = slot_of(c, key);
	bool hit = false;
	*doc = NULL;
	*len = 0;
	*version = 0;
	pthread_mutex_lock(&s->lock);
	if (s->doc && strcmp(s->key, key) == 0) {
		*doc = xmalloc(s->len ? s->len : 1);
		memcpy(*doc, s->doc, s->len);
		*len = s->len;
		*version = s->version;
		hit = true;
	}
	pthread_mutex_unlock(&s->lock);
	return hit;
}

void http_cache_put(struct http_cache *c, const char *key, int64_t version,
                    const char *doc, size_t len)
{
	if (len > HTTP_CACHE_DOC_MAX || strlen(key) >= CALL_REF_MAX)
		return;
	struct slot *s = slot_of(c, key);
	char *copy = xmalloc(len ? len : 1);
	memcpy(copy, doc, len);
	pthread_mutex_lock(&s->lock);
	if (s->doc && strcmp(s->key, key) == 0 && s->version >= version) {
		pthread_mutex_unlock(&s->lock);
		free(copy);
		return;
	}
	free(s->doc);
	s->doc = copy;
	s->len = len;
	s->version = version;
	str_copy(s->key, sizeof(s->key), key);
	pthread_mutex_unlock(&s->lock);
}
