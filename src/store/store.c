/*
 * store.c - the back-end-neutral entry points: pick the back-end at open,
 * then forward every call through its ops table.
 */
#include "store/store.h"

#include <stdlib.h>
#include <string.h>

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
                               const struct store_event *events,
                               size_t n_events, const struct store_audit *audit,
                               store_outbox_fn *outbox, void *outbox_ctx,
                               char ref_out[CALL_REF_MAX],
                               struct htd_error *err)
{
	if (n_events < 1 || n_events > STORE_CREATE_EVENTS_MAX)
		return htd_error_set(err, HTD_ERR_INVALID,
		                     "a call is created with 1..%d events, not "
		                     "%zu",
		                     STORE_CREATE_EVENTS_MAX, n_events);
	return s->ops->call_create(s, year, projection, events, n_events, audit,
	                           outbox, outbox_ctx, ref_out, err);
}

enum htd_err store_append(struct store *s, const struct store_append *items,
                          size_t n, struct htd_error *err)
{
	return s->ops->append(s, items, n, err);
}

enum htd_err store_call_version(struct store *s, const char *ref, int64_t *out,
                                struct htd_error *err)
{
	return s->ops->call_version(s, ref, out, err);
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

enum htd_err store_events_after(struct store *s, int64_t after, size_t limit,
                                int (*fn)(void *ctx,
                                          const struct store_event *e),
                                void *ctx, struct htd_error *err)
{
	return s->ops->events_after(s, after, limit, fn, ctx, err);
}

enum htd_err store_events_last(struct store *s, int64_t *out,
                               struct htd_error *err)
{
	return s->ops->events_last(s, out, err);
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

enum htd_err store_audit_append(struct store *s, const struct store_audit *a,
                                size_t n, struct htd_error *err)
{
	if (n < 1 || n > STORE_AUDIT_APPEND_MAX)
		return htd_error_set(err, HTD_ERR_INVALID,
		                     "%zu audit entries at once (1..%d)", n,
		                     STORE_AUDIT_APPEND_MAX);
	return s->ops->audit_append(s, a, n, err);
}

enum htd_err store_audit_list(struct store *s,
                              const struct store_audit_filter *f,
                              int (*fn)(void *ctx, const struct store_audit *a),
                              void *ctx, struct htd_error *err)
{
	return s->ops->audit_list(s, f, fn, ctx, err);
}

enum htd_err store_user_insert(struct store *s, const struct store_user *u,
                               const struct store_audit *audit,
                               struct htd_error *err)
{
	return s->ops->user_insert(s, u, audit, err);
}

enum htd_err store_user_update(struct store *s, const struct store_user *u,
                               int64_t end_sessions_at_ms,
                               const struct store_audit *audit,
                               struct htd_error *err)
{
	return s->ops->user_update(s, u, end_sessions_at_ms, audit, err);
}

enum htd_err store_user_get(struct store *s, const char *name,
                            struct store_user *out, struct htd_error *err)
{
	return s->ops->user_get(s, name, out, err);
}

enum htd_err store_user_list(struct store *s, struct store_user_list *out,
                             struct htd_error *err)
{
	return s->ops->user_list(s, out, err);
}

void store_user_list_free(struct store_user_list *l)
{
	if (!l)
		return;
	free(l->users);
	l->users = NULL;
	l->n = 0;
}

enum htd_err store_session_insert(struct store *s,
                                  const struct store_session *sess,
                                  const struct store_user *user,
                                  const struct store_audit *audit,
                                  struct htd_error *err)
{
	return s->ops->session_insert(s, sess, user, audit, err);
}

enum htd_err store_session_get(struct store *s, const char *token_hash,
                               struct store_session *out, struct htd_error *err)
{
	return s->ops->session_get(s, token_hash, out, err);
}

enum htd_err store_session_touch(struct store *s, const char *token_hash,
                                 int64_t at_ms, const struct store_audit *audit,
                                 struct htd_error *err)
{
	return s->ops->session_touch(s, token_hash, at_ms, audit, err);
}

enum htd_err store_session_end(struct store *s, const char *token_hash,
                               int64_t at_ms, const struct store_audit *audit,
                               struct htd_error *err)
{
	return s->ops->session_end(s, token_hash, at_ms, audit, err);
}

enum htd_err store_session_end_all_for_user(struct store *s, const char *user,
                                            int64_t at_ms,
                                            const struct store_audit *audit,
                                            struct htd_error *err)
{
	return s->ops->session_end_all_for_user(s, user, at_ms, audit, err);
}

enum htd_err store_unit_insert(struct store *s, const struct store_unit *u,
                               const struct store_unit_event *event,
                               const struct store_audit *audit,
                               struct htd_error *err)
{
	return s->ops->unit_insert(s, u, event, audit, err);
}

enum htd_err store_unit_update(struct store *s,
                               const struct store_unit_change *change,
                               const struct store_audit *audit,
                               struct htd_error *err)
{
	return s->ops->unit_update(s, change, audit, err);
}

enum htd_err store_unit_get(struct store *s, const char *call_sign,
                            struct store_unit *out, struct htd_error *err)
{
	return s->ops->unit_get(s, call_sign, out, err);
}

enum htd_err store_unit_list(struct store *s, struct store_unit_list *out,
                             struct htd_error *err)
{
	return s->ops->unit_list(s, out, err);
}

void store_unit_list_free(struct store_unit_list *l)
{
	if (!l)
		return;
	free(l->units);
	l->units = NULL;
	l->n = 0;
}

enum htd_err store_unit_events_each(struct store *s, const char *call_sign,
                                    int (*fn)(void *ctx,
                                              const struct store_unit_event *e),
                                    void *ctx, struct htd_error *err)
{
	return s->ops->unit_events_each(s, call_sign, fn, ctx, err);
}

enum htd_err store_dispatch(struct store *s, const struct store_append *items,
                            size_t n, const struct store_unit_change *units,
                            size_t n_units, struct htd_error *err)
{
	if (n_units < 1 || n_units > STORE_DISPATCH_UNITS_MAX)
		return htd_error_field(err, HTD_ERR_INVALID, "units",
		                       "a dispatch sends 1..%d units, not %zu",
		                       STORE_DISPATCH_UNITS_MAX, n_units);
	return s->ops->dispatch(s, items, n, units, n_units, err);
}

/* ---- the notification outbox ------------------------------------------ */

static const char *const outbox_state_names[] = {
#define STORE_OUTBOX_NAME(e, n) n,
	STORE_OUTBOX_STATES(STORE_OUTBOX_NAME)
#undef STORE_OUTBOX_NAME
};

const char *store_outbox_state_name(enum store_outbox_state s)
{
	return (unsigned)s < STORE_OUTBOX__COUNT ? outbox_state_names[s] : "?";
}

bool store_outbox_state_parse(const char *s, enum store_outbox_state *out)
{
	for (size_t i = 0; s && i < STORE_OUTBOX__COUNT; i++) {
		if (strcmp(s, outbox_state_names[i]) == 0) {
			*out = (enum store_outbox_state)i;
			return true;
		}
	}
	return false;
}

enum htd_err store_outbox_due(struct store *s, int64_t now_ms,
                              const char *target, size_t limit,
                              struct store_outbox_list *out,
                              struct htd_error *err)
{
	store_outbox_list_free(out);
	if (limit < 1 || limit > STORE_OUTBOX_LIST_MAX)
		return htd_error_field(err, HTD_ERR_INVALID, "limit",
		                       "limit must be 1..%d",
		                       STORE_OUTBOX_LIST_MAX);
	return s->ops->outbox_due(s, now_ms, target, limit, out, err);
}

enum htd_err store_outbox_list(struct store *s,
                               const struct store_outbox_filter *f,
                               struct store_outbox_list *out,
                               struct htd_error *err)
{
	store_outbox_list_free(out);
	if (f->limit < 1 || f->limit > STORE_OUTBOX_LIST_MAX)
		return htd_error_field(err, HTD_ERR_INVALID, "limit",
		                       "limit must be 1..%d",
		                       STORE_OUTBOX_LIST_MAX);
	if (f->by_state && (unsigned)f->state >= STORE_OUTBOX__COUNT)
		return htd_error_field(err, HTD_ERR_INVALID, "state",
		                       "unknown outbox state");
	return s->ops->outbox_list(s, f, out, err);
}

enum htd_err store_outbox_record(struct store *s,
                                 const struct store_outbox *row,
                                 enum store_outbox_state from,
                                 const struct store_append *items, size_t n,
                                 struct htd_error *err)
{
	return s->ops->outbox_record(s, row, from, items, n, err);
}

enum htd_err store_outbox_count(struct store *s, enum store_outbox_state state,
                                int64_t *out, struct htd_error *err)
{
	*out = 0;
	if ((unsigned)state >= STORE_OUTBOX__COUNT)
		return htd_error_field(err, HTD_ERR_INVALID, "state",
		                       "unknown outbox state");
	return s->ops->outbox_count(s, state, out, err);
}

void store_outbox_list_free(struct store_outbox_list *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++) {
		free(l->rows[i].subject);
		free(l->rows[i].body);
	}
	free(l->rows);
	l->rows = NULL;
	l->n = 0;
}

/* ---- records ---------------------------------------------------------- */

enum htd_err store_records_begin(struct store *s, struct htd_error *err)
{
	return s->ops->records_begin(s, err);
}

enum htd_err store_records_put(struct store *s,
                               const struct store_record_put *items, size_t n,
                               int64_t at_ms,
                               struct store_record_counts *counts,
                               struct htd_error *err)
{
	if (n > STORE_RECORDS_PUT_MAX)
		return htd_error_set(err, HTD_ERR_INVALID,
		                     "%zu records at once (at most %d)", n,
		                     STORE_RECORDS_PUT_MAX);
	for (size_t i = 0; i < n; i++) {
		enum htd_err e = record_validate(items[i].record, err);
		if (e != HTD_OK)
			return e;
	}
	return s->ops->records_put(s, items, n, at_ms, counts, err);
}

enum htd_err store_records_commit(struct store *s,
                                  const struct store_audit *audit,
                                  struct htd_error *err)
{
	return s->ops->records_commit(s, audit, err);
}

void store_records_rollback(struct store *s)
{
	s->ops->records_rollback(s);
}

enum htd_err
store_records_upsert(struct store *s, const struct store_record_put *items,
                     size_t n, int64_t at_ms, const struct store_audit *audit,
                     struct store_record_counts *counts, struct htd_error *err)
{
	enum htd_err e = store_records_begin(s, err);
	if (e != HTD_OK)
		return e;
	e = store_records_put(s, items, n, at_ms, counts, err);
	if (e != HTD_OK) {
		store_records_rollback(s);
		return e;
	}
	return store_records_commit(s, audit, err);
}

enum htd_err store_record_get(struct store *s, int64_t id,
                              struct store_record *out, struct htd_error *err)
{
	return s->ops->record_get(s, id, out, err);
}

enum htd_err store_record_find(struct store *s, enum record_kind kind,
                               const char *source, const char *source_id,
                               struct store_record *out, struct htd_error *err)
{
	return s->ops->record_find(s, kind, source, source_id, out, err);
}

enum htd_err store_records_candidates(struct store *s,
                                      const struct match_keys *keys,
                                      size_t limit, struct store_candidate *out,
                                      size_t *n_out, struct htd_error *err)
{
	*n_out = 0;
	if (limit < 1 || limit > STORE_CANDIDATES_MAX)
		return htd_error_field(err, HTD_ERR_INVALID, "limit",
		                       "limit must be 1 to %d, not %zu",
		                       STORE_CANDIDATES_MAX, limit);
	return s->ops->records_candidates(s, keys, limit, out, n_out, err);
}

enum htd_err store_records_get_many(struct store *s, const int64_t *ids,
                                    size_t n, struct store_record_list *out,
                                    struct htd_error *err)
{
	out->records = NULL;
	out->n = 0;
	if (n > STORE_RECORDS_GET_MAX)
		return htd_error_set(err, HTD_ERR_INVALID,
		                     "%zu records at once (at most %d)", n,
		                     STORE_RECORDS_GET_MAX);
	return s->ops->records_get_many(s, ids, n, out, err);
}

enum htd_err store_records_count(struct store *s,
                                 uint64_t counts[RECORD_KIND__COUNT],
                                 struct htd_error *err)
{
	return s->ops->records_count(s, counts, err);
}

enum htd_err store_record_links(struct store *s, int64_t id,
                                struct store_record_link_list *out,
                                struct htd_error *err)
{
	memset(out, 0, sizeof(*out));
	return s->ops->record_links(s, id, out, err);
}

void store_record_link_list_free(struct store_record_link_list *l)
{
	if (!l)
		return;
	free(l->links);
	memset(l, 0, sizeof(*l));
}

void store_record_free(struct store_record *r)
{
	if (!r)
		return;
	record_free(&r->record);
	r->id = 0;
	r->created_at_ms = r->updated_at_ms = r->version = 0;
}

void store_record_list_free(struct store_record_list *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++)
		store_record_free(&l->records[i]);
	free(l->records);
	l->records = NULL;
	l->n = 0;
}
