/*
 * test_buf.c - unit tests of util/buf.c: growth, the hard cap (appending
 * past it fails and leaves the buffer as it was), formatting and stealing.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"

Test(buf, init_is_empty)
{
	struct buf b;
	buf_init(&b, 0);
	cr_assert_null(b.data);
	cr_assert_eq(b.len, 0);
	cr_assert_eq(b.max, BUF_DEFAULT_MAX);
	cr_assert_str_eq(buf_str(&b), "");
	buf_free(&b);
	buf_init(&b, 10);
	cr_assert_eq(b.max, 10);
	buf_free(&b);
}

Test(buf, append_grows_and_terminates)
{
	struct buf b;
	buf_init(&b, 0);
	cr_assert_eq(buf_append(&b, "abc", 3), HTD_OK);
	cr_assert_eq(b.len, 3);
	cr_assert_str_eq(buf_str(&b), "abc");
	cr_assert_eq(buf_puts(&b, "def"), HTD_OK);
	cr_assert_str_eq(buf_str(&b), "abcdef");
	cr_assert_eq(buf_append(&b, "", 0), HTD_OK);
	cr_assert_eq(b.len, 6);
	/* Many appends across several reallocations. */
	for (int i = 0; i < 1000; i++)
		cr_assert_eq(buf_append(&b, "0123456789", 10), HTD_OK);
	cr_assert_eq(b.len, 10006);
	cr_assert_eq(strlen(buf_str(&b)), 10006);
	cr_assert_geq(b.cap, b.len + 1);
	cr_assert_eq(memcmp(b.data + 9996, "0123456789", 10), 0);
	buf_free(&b);
}

Test(buf, append_binary_keeps_nul_bytes)
{
	struct buf b;
	buf_init(&b, 0);
	cr_assert_eq(buf_append(&b, "a\0b", 3), HTD_OK);
	cr_assert_eq(b.len, 3);
	cr_assert_eq(memcmp(b.data, "a\0b", 4), 0);
	buf_free(&b);
}

Test(buf, append_up_to_the_cap_succeeds)
{
	struct buf b;
	buf_init(&b, 8);
	cr_assert_eq(buf_append(&b, "12345678", 8), HTD_OK);
	cr_assert_str_eq(buf_str(&b), "12345678");
	cr_assert_eq(buf_append(&b, "", 0), HTD_OK);
	buf_free(&b);
}

Test(buf, append_past_the_cap_fails_and_leaves_buffer_unchanged)
{
	struct buf b;
	buf_init(&b, 8);
	cr_assert_eq(buf_append(&b, "12345", 5), HTD_OK);
	char *data = b.data;
	size_t cap = b.cap;
	cr_assert_eq(buf_append(&b, "6789", 4), HTD_ERR_TOO_LARGE);
	cr_assert_eq(b.len, 5);
	cr_assert_eq(b.data, data);
	cr_assert_eq(b.cap, cap);
	cr_assert_str_eq(buf_str(&b), "12345");
	cr_assert_eq(buf_puts(&b, "6789"), HTD_ERR_TOO_LARGE);
	cr_assert_str_eq(buf_str(&b), "12345");
	/* What still fits does. */
	cr_assert_eq(buf_append(&b, "678", 3), HTD_OK);
	cr_assert_str_eq(buf_str(&b), "12345678");
	cr_assert_eq(buf_append(&b, "9", 1), HTD_ERR_TOO_LARGE);
	cr_assert_str_eq(buf_str(&b), "12345678");
	buf_free(&b);
}

Test(buf, a_single_append_bigger_than_the_cap_fails_on_empty_buffer)
{
	struct buf b;
	buf_init(&b, 4);
	cr_assert_eq(buf_append(&b, "12345", 5), HTD_ERR_TOO_LARGE);
	cr_assert_eq(b.len, 0);
	cr_assert_str_eq(buf_str(&b), "");
	/* A length that would overflow size_t arithmetic is refused too. */
	cr_assert_eq(buf_append(&b, "x", (size_t)-1), HTD_ERR_TOO_LARGE);
	cr_assert_eq(b.len, 0);
	buf_free(&b);
}

Test(buf, allocation_never_exceeds_cap_plus_nul)
{
	struct buf b;
	buf_init(&b, 100);
	for (int i = 0; i < 100; i++)
		cr_assert_eq(buf_append(&b, "x", 1), HTD_OK);
	cr_assert_eq(b.len, 100);
	cr_assert_leq(b.cap, 101);
	cr_assert_eq(buf_append(&b, "x", 1), HTD_ERR_TOO_LARGE);
	buf_free(&b);
}

Test(buf, printf_appends_formatted_text)
{
	struct buf b;
	buf_init(&b, 0);
	cr_assert_eq(buf_printf(&b, "n=%d", 42), HTD_OK);
	cr_assert_eq(buf_printf(&b, " s=%s", "abc"), HTD_OK);
	cr_assert_str_eq(buf_str(&b), "n=42 s=abc");
	cr_assert_eq(b.len, strlen("n=42 s=abc"));
	cr_assert_eq(buf_printf(&b, "%s", ""), HTD_OK);
	cr_assert_eq(b.len, 10);

	/* Longer than the initial allocation. */
	char big[3000];
	memset(big, 'q', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	cr_assert_eq(buf_printf(&b, "[%s]", big), HTD_OK);
	cr_assert_eq(b.len, 10 + 2 + 2999);
	cr_assert_eq(b.data[b.len - 1], ']');
	cr_assert_eq(b.data[b.len], '\0');
	buf_free(&b);
}

Test(buf, printf_past_the_cap_fails_and_leaves_buffer_unchanged)
{
	struct buf b;
	buf_init(&b, 10);
	cr_assert_eq(buf_printf(&b, "%s", "abcdef"), HTD_OK);
	cr_assert_eq(buf_printf(&b, "%d", 12345), HTD_ERR_TOO_LARGE);
	cr_assert_eq(b.len, 6);
	cr_assert_str_eq(buf_str(&b), "abcdef");
	cr_assert_eq(buf_printf(&b, "%d", 1234), HTD_OK);
	cr_assert_str_eq(buf_str(&b), "abcdef1234");
	buf_free(&b);
}

Test(buf, reset_empties_but_keeps_memory)
{
	struct buf b;
	buf_init(&b, 0);
	buf_puts(&b, "hello");
	char *data = b.data;
	buf_reset(&b);
	cr_assert_eq(b.len, 0);
	cr_assert_eq(b.data, data);
	cr_assert_str_eq(buf_str(&b), "");
	buf_puts(&b, "x");
	cr_assert_str_eq(buf_str(&b), "x");
	buf_free(&b);

	buf_init(&b, 0);
	buf_reset(&b); /* before any append */
	cr_assert_str_eq(buf_str(&b), "");
	buf_free(&b);
}

Test(buf, steal_takes_the_data_and_empties_the_buffer)
{
	struct buf b;
	buf_init(&b, 32);
	buf_puts(&b, "owned text");
	char *s = buf_steal(&b);
	cr_assert_str_eq(s, "owned text");
	cr_assert_null(b.data);
	cr_assert_eq(b.len, 0);
	cr_assert_eq(b.cap, 0);
	cr_assert_str_eq(buf_str(&b), "");
	/* The buffer is usable again, with the same cap. */
	cr_assert_eq(buf_puts(&b, "again"), HTD_OK);
	cr_assert_str_eq(buf_str(&b), "again");
	cr_assert_neq(b.data, s);
	free(s);
	buf_free(&b);
}

Test(buf, steal_from_empty_buffer_returns_empty_string)
{
	struct buf b;
	buf_init(&b, 0);
	char *s = buf_steal(&b);
	cr_assert_not_null(s);
	cr_assert_str_eq(s, "");
	free(s);
	buf_free(&b);
}

Test(buf, free_accepts_null_and_is_idempotent)
{
	struct buf b;
	buf_free(NULL);
	buf_init(&b, 0);
	buf_puts(&b, "x");
	buf_free(&b);
	cr_assert_null(b.data);
	cr_assert_eq(b.len, 0);
	buf_free(&b);
}
