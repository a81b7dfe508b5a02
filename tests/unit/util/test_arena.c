/*
 * test_arena.c - unit tests of util/arena.c: aligned zeroed allocations,
 * allocations bigger than a block, reset and string copies.
 */
#include <criterion/criterion.h>
#include <stdalign.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "util/arena.h"

/* Counts the blocks. White-box: struct arena_block is private to arena.c
 * and starts with its `next` pointer. */
static size_t block_count(const struct arena *a)
{
	size_t n = 0;
	for (const struct arena_block *b = a->head; b;
	     b = *(struct arena_block *const *)b)
		n++;
	return n;
}

Test(arena, init_is_empty)
{
	struct arena a;
	arena_init(&a, 0);
	cr_assert_null(a.head);
	cr_assert_eq(a.block_size, 4096);
	cr_assert_eq(a.used, 0);
	arena_init(&a, 100);
	cr_assert_eq(a.block_size, 100);
	arena_free(&a);
}

Test(arena, allocations_are_aligned_zeroed_and_distinct)
{
	struct arena a;
	arena_init(&a, 256);
	unsigned char *prev = NULL;
	size_t prev_size = 0;
	for (size_t size = 1; size < 100; size += 7) {
		unsigned char *p = arena_alloc(&a, size);
		cr_assert_not_null(p);
		cr_assert_eq((uintptr_t)p % alignof(max_align_t), 0,
		             "size %zu not aligned", size);
		for (size_t i = 0; i < size; i++)
			cr_assert_eq(p[i], 0);
		memset(p, 0xab, size);
		if (prev)
			cr_assert(p >= prev + prev_size || p + size <= prev,
			          "overlapping allocations");
		prev = p;
		prev_size = size;
	}
	/* Earlier allocations were not overwritten by later ones. */
	cr_assert_eq(prev[0], 0xab);
	arena_free(&a);
}

Test(arena, memory_is_usable_for_any_type)
{
	struct arena a;
	arena_init(&a, 64);
	(void)arena_alloc(&a, 1);
	long double *ld = arena_alloc(&a, sizeof(*ld) * 4);
	for (int i = 0; i < 4; i++)
		ld[i] = (long double)i * 1.5L;
	cr_assert(ld[3] == 4.5L);
	int64_t *n = arena_alloc(&a, sizeof(*n));
	*n = INT64_MAX;
	cr_assert_eq(*n, INT64_MAX);
	arena_free(&a);
}

Test(arena, used_counts_requested_bytes)
{
	struct arena a;
	arena_init(&a, 0);
	arena_alloc(&a, 3);
	arena_alloc(&a, 10);
	cr_assert_eq(a.used, 13);
	arena_free(&a);
	cr_assert_eq(a.used, 0);
}

Test(arena, a_full_block_starts_a_new_one)
{
	struct arena a;
	arena_init(&a, 64);
	arena_alloc(&a, 64);
	cr_assert_eq(block_count(&a), 1);
	char *p = arena_alloc(&a, 1);
	cr_assert_eq(block_count(&a), 2);
	cr_assert_not_null(p);
	arena_free(&a);
}

Test(arena, allocation_bigger_than_a_block)
{
	struct arena a;
	arena_init(&a, 64);
	char *small = arena_alloc(&a, 8);
	memcpy(small, "before", 7);
	size_t big_size = 10000;
	unsigned char *big = arena_alloc(&a, big_size);
	cr_assert_eq((uintptr_t)big % alignof(max_align_t), 0);
	for (size_t i = 0; i < big_size; i++)
		cr_assert_eq(big[i], 0);
	memset(big, 0x5a, big_size); /* ASan: the whole range is ours */
	char *after = arena_alloc(&a, 16);
	memcpy(after, "after", 6);
	cr_assert_str_eq(small, "before");
	cr_assert_eq(big[0], 0x5a);
	cr_assert_eq(big[big_size - 1], 0x5a);
	cr_assert_str_eq(after, "after");
	cr_assert_eq(a.used, 8 + big_size + 16);
	arena_free(&a);
}

Test(arena, zero_size_allocation_returns_memory)
{
	struct arena a;
	arena_init(&a, 0);
	cr_assert_not_null(arena_alloc(&a, 0));
	arena_free(&a);
}

Test(arena, reset_keeps_one_block_and_reuses_it)
{
	struct arena a;
	arena_init(&a, 64);
	for (int i = 0; i < 10; i++)
		arena_alloc(&a, 48);
	arena_alloc(&a, 5000);
	cr_assert_gt(block_count(&a), 2);
	arena_reset(&a);
	cr_assert_eq(block_count(&a), 1);
	cr_assert_eq(a.used, 0);
	/* Reused memory is zeroed again. */
	unsigned char *p = arena_alloc(&a, 32);
	for (int i = 0; i < 32; i++)
		cr_assert_eq(p[i], 0);
	cr_assert_eq(block_count(&a), 1);
	arena_free(&a);

	arena_init(&a, 0);
	arena_reset(&a); /* empty arena */
	cr_assert_null(a.head);
	arena_free(&a);
}

Test(arena, free_accepts_null_and_allows_reuse)
{
	struct arena a;
	arena_free(NULL);
	arena_init(&a, 32);
	arena_alloc(&a, 100);
	arena_free(&a);
	cr_assert_null(a.head);
	arena_init(&a, 32);
	cr_assert_not_null(arena_alloc(&a, 10));
	arena_free(&a);
}

Test(arena, strdup_and_strndup)
{
	struct arena a;
	arena_init(&a, 16);
	char *s = arena_strdup(&a, "hello, arena");
	cr_assert_str_eq(s, "hello, arena");
	char *e = arena_strdup(&a, "");
	cr_assert_str_eq(e, "");
	cr_assert_null(arena_strdup(&a, NULL));
	cr_assert_null(arena_strndup(&a, NULL, 3));
	char *n = arena_strndup(&a, "abcdef", 3);
	cr_assert_str_eq(n, "abc");
	char *z = arena_strndup(&a, "a\0b", 3);
	cr_assert_eq(memcmp(z, "a\0b\0", 4), 0);
	/* A long string spans more than a block. */
	char big[500];
	memset(big, 'w', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	char *b = arena_strdup(&a, big);
	cr_assert_str_eq(b, big);
	cr_assert_neq(b, big);
	cr_assert_str_eq(s, "hello, arena");
	arena_free(&a);
}
