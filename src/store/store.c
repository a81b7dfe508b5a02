/*
 * store.c - the back-end-neutral entry points: pick the back-end at open,
 * then forward every call through its ops table.
 */
#include "store/store.h"

#include <stdlib.h>

#include "store/sqlite.h"

enum htd_err store_open(const struct store_options *opts, struct store **out,
                        struct htd_error *err)
{
	*out = NULL;
	if (!opts || !opts->path || !opts->path[0])
		return htd_error_field(err, HTD_ERR_USAGE, "db",
		                       "no database path given");
	return sqlite_store_open(opts, out, err);
}

void store_close(struct store *s)
{
	if (s)
		s->ops->close(s);
}

enum htd_err store_call_create(struct store *s, int year,
                               const struct call *projection,
                               const struct store_event *opened,
                               char ref_out[CALL_REF_MAX],
                               struct htd_error *err)
{
	return s->ops->call_create(s, year, projection, opened, ref_out, err);
}

enum htd_err store_append(struct store *s, const struct store_append *items,
                          size_t n, struct htd_error *err)
{
	return s->ops->append(s, items, n, err);
}

enum htd_err store_call_get(struct store *s, const char *ref, struct call *out,
                            struct htd_error *err)
{
	return s->ops->call_get(s, ref, out, err);
}

enum htd_err store_call_list(struct store *s, const struct call_filter *filter,
                             struct call_page *out, struct htd_error *err)
{
	return s->ops->call_list(s, filter, out, err);
}

enum htd_err store_events_each(struct store *s, const char *ref,
                               int (*fn)(void *ctx,
                                         const struct store_event *e),
                               void *ctx, struct htd_error *err)
{
	return s->ops->events_each(s, ref, fn, ctx, err);
}

enum htd_err store_calls_each(struct store *s,
                              int (*fn)(void *ctx, const char *ref), void *ctx,
                              struct htd_error *err)
{
	return s->ops->calls_each(s, fn, ctx, err);
}

enum htd_err store_integrity_check(struct store *s, struct htd_error *err)
{
	return s->ops->integrity_check(s, err);
}

int store_schema_version(struct store *s)
{
	return s->ops->schema_version(s);
}

const char *store_backend(const struct store *s)
{
	return s->ops->name;
}

void call_page_free(struct call_page *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n; i++)
		call_free(&p->calls[i]);
	free(p->calls);
	p->calls = NULL;
	p->n = 0;
	p->more = false;
}
