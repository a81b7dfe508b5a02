/*
 * arena.c - bump allocator in a list of blocks.
 */
#include "util/arena.h"

#include <stdalign.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/mem.h"

struct arena_block {
	struct arena_block *next;
	size_t size; /* usable bytes in data[] */
	size_t off;  /* next free byte */
	alignas(max_align_t) unsigned char data[];
};

#define ARENA_ALIGN (alignof(max_align_t))

void arena_init(struct arena *a, size_t block_size)
{
	a->head = NULL;
	a->block_size = block_size ? block_size : 4096;
	a->used = 0;
}

void *arena_alloc(struct arena *a, size_t size)
{
	if (size > SIZE_MAX - ARENA_ALIGN - sizeof(struct arena_block))
		mem_oom(size);
	size_t rounded = (size + ARENA_ALIGN - 1) & ~(ARENA_ALIGN - 1);
	struct arena_block *b = a->head;
	if (!b || b->size - b->off < rounded) {
		size_t bsize =
		    rounded > a->block_size ? rounded : a->block_size;
		b = xmalloc(sizeof(*b) + bsize);
		b->size = bsize;
		b->off = 0;
		b->next = a->head;
		a->head = b;
	}
	void *p = b->data + b->off;
	b->off += rounded;
	a->used += size;
	memset(p, 0, size);
	return p;
}

char *arena_strndup(struct arena *a, const char *s, size_t n)
{
	if (!s)
		return NULL;
	char *p = arena_alloc(a, n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *arena_strdup(struct arena *a, const char *s)
{
	return s ? arena_strndup(a, s, strlen(s)) : NULL;
}

void arena_reset(struct arena *a)
{
	if (!a->head)
		return;
	struct arena_block *b = a->head;
	while (b->next) {
		struct arena_block *next = b->next;
		free(b);
		b = next;
	}
	b->off = 0;
	a->head = b;
	a->used = 0;
}

void arena_free(struct arena *a)
{
	if (!a)
		return;
	struct arena_block *b = a->head;
	while (b) {
		struct arena_block *next = b->next;
		free(b);
		b = next;
	}
	a->head = NULL;
	a->used = 0;
}
