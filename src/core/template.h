/*
 * template.h - the notice templates of the policy (etc/policy.yaml,
 * notifications.notices): literal text with {field} placeholders, and
 * nothing else, so that an agency can word what is sent without being able
 * to write a program. No loops, conditionals, expressions or escapes
 * beyond {{ and }} (a literal brace). Which fields a template may name is
 * the caller's list, checked when it is compiled: a typo or a field that
 * must never be sent (a victim's name) fails `htdispatch check`, not a
 * notification at 3 a.m. Pure: no I/O.
 *
 * Ownership: a compiled template owns a copy of its source and of every
 * field name; free it with template_free().
 */
#ifndef HTD_CORE_TEMPLATE_H
#define HTD_CORE_TEMPLATE_H

#include <stdbool.h>
#include <stddef.h>

#include "util/buf.h"
#include "util/error.h"

/* Largest source accepted, in bytes. */
#define TEMPLATE_SOURCE_MAX 8192
/* A field name is [a-z_]{1,TEMPLATE_FIELD_MAX}. */
#define TEMPLATE_FIELD_MAX 32

struct template; /* opaque, compiled */

/*
 * Compiles `src` (UTF-8, at most TEMPLATE_SOURCE_MAX bytes), allowing only
 * the fields named in `fields` (NULL-terminated; NULL allows none). On
 * success sets *out (owned; free with template_free()) and returns HTD_OK.
 * On error *out is NULL and `err` (may be NULL) has the message and, in
 * err->column, the 1-based byte offset in `src` where the problem is:
 * HTD_ERR_INVALID for an unknown field (err->field = its name; the column
 * of its first letter), a '{' never closed (the column of the '{'), a bad
 * name or a lone '}' (the column of the offending byte), or invalid UTF-8
 * (the column of the first bad byte); HTD_ERR_TOO_LARGE for a source over
 * the cap (column TEMPLATE_SOURCE_MAX + 1). `src` NULL is HTD_ERR_INVALID.
 */
enum htd_err template_compile(const char *src, const char *const *fields,
                              struct template **out, struct htd_error *err);

/*
 * The value of `field` for one rendering, or NULL for "". The string is
 * borrowed until template_render() returns. It is copied as is: a value
 * holding "{x}" is never expanded.
 */
typedef const char *template_lookup_fn(void *ctx, const char *field);

/*
 * Appends the rendering of `t` to `out` (initialised by the caller), each
 * placeholder replaced by lookup(ctx, name); `lookup` NULL renders every
 * field as "". Returns HTD_OK, or HTD_ERR_TOO_LARGE (with `err` filled; may
 * be NULL) when the rendering does not fit the buffer's cap: then nothing
 * is appended and `out` holds what it held before.
 */
enum htd_err template_render(const struct template *t,
                             template_lookup_fn *lookup, void *ctx,
                             struct buf *out, struct htd_error *err);

/* Returns the source `t` was compiled from; borrowed from `t`. */
const char *template_source(const struct template *t);

/* Returns true when `t` has a placeholder for `field`. False for NULL. */
bool template_uses(const struct template *t, const char *field);

/* Frees `t`; accepts NULL. */
void template_free(struct template *t);

#endif
