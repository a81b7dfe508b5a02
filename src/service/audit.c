/*
 * audit.c - the access audit's use cases: writing an entry on its own (a
 * read, a refusal), preparing one that a change carries into its own
 * transaction, and listing the log with the query checked field by field.
 * Reading the log is itself a read that leaves an entry ("audit.read").
 */
#include "service/audit.h"

#include <stdlib.h>
#include <string.h>

#include "util/log.h"
#include "util/mem.h"
#include "util/str.h"

#define AUDIT_LIST_DEFAULT 100

static const char *const outcome_names[AUDIT_OUTCOME__COUNT] = {
#define AUDIT_OUTCOME_NAME(e, n) [AUDIT_OUTCOME_##e] = n,
	AUDIT_OUTCOMES(AUDIT_OUTCOME_NAME)
#undef AUDIT_OUTCOME_NAME
};

const char *audit_outcome_name(enum audit_outcome o)
{
	if ((unsigned)o >= AUDIT_OUTCOME__COUNT)
		return "error";
	return outcome_names[o];
}

bool audit_outcome_parse(const char *s, enum audit_outcome *out)
{
	if (!s)
		return false;
	for (int i = 0; i < AUDIT_OUTCOME__COUNT; i++) {
		if (strcmp(s, outcome_names[i]) == 0) {
			*out = (enum audit_outcome)i;
			return true;
		}
	}
	return false;
}

enum audit_outcome audit_outcome_of(enum htd_err code)
{
	switch (code) {
	case HTD_OK: return AUDIT_OUTCOME_OK;
	case HTD_ERR_FORBIDDEN:
	case HTD_ERR_LOCKED: return AUDIT_OUTCOME_DENIED;
	case HTD_ERR_UNAUTHORIZED: return AUDIT_OUTCOME_UNAUTHORIZED;
	case HTD_ERR_NOT_FOUND: return AUDIT_OUTCOME_NOT_FOUND;
	case HTD_ERR_INVALID:
	case HTD_ERR_TOO_LARGE:
	case HTD_ERR_USAGE: return AUDIT_OUTCOME_INVALID;
	case HTD_ERR_CONFLICT: return AUDIT_OUTCOME_CONFLICT;
	default: return AUDIT_OUTCOME_ERROR;
	}
}

/*
 * Copies `in` into `out` for the log: cut to fit at a character boundary,
 * control characters (a forged line break in an actor, say) and, in text
 * that is not UTF-8, every non-ASCII byte replaced by '?'.
 */
static void clean_text(char *out, size_t size, const char *in)
{
	size_t n = in ? strlen(in) : 0;
	if (n > size - 1) {
		n = size - 1;
		while (n > 0 && ((unsigned char)in[n] & 0xc0) == 0x80)
			n--;
	}
	if (n)
		memcpy(out, in, n);
	out[n] = '\0';
	bool utf8 = str_utf8_valid(out, n);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)out[i];
		if (c < 0x20 || c == 0x7f || (!utf8 && c >= 0x80))
			out[i] = '?';
	}
}

void audit_prepare(const struct service *svc, const struct audit_entry *e,
                   struct audit_texts *t, struct store_audit *out)
{
	clean_text(t->actor, sizeof(t->actor),
	           str_empty(e->actor) ? "anonymous" : e->actor);
	clean_text(t->action, sizeof(t->action), e->action);
	clean_text(t->object, sizeof(t->object), e->object);
	clean_text(t->address, sizeof(t->address), e->address);
	clean_text(t->detail, sizeof(t->detail), e->detail);
	memset(out, 0, sizeof(*out));
	out->at_ms = e->at_ms ? e->at_ms : clock_now_ms(svc->clock);
	out->actor = t->actor;
	out->action = t->action;
	out->object = t->object;
	out->address = t->address;
	out->outcome = audit_outcome_name(e->outcome);
	out->detail = t->detail;
}

enum htd_err audit_record(struct service *svc, const struct audit_entry *e,
                          struct htd_error *err)
{
	if (str_empty(e->action))
		return htd_error_field(err, HTD_ERR_INVALID, "action",
		                       "an audit entry needs an action");
	struct audit_texts t;
	struct store_audit a;
	audit_prepare(svc, e, &t, &a);
	struct audit_async *as = svc->audit_async;
	if (as && as->writer) {
		audit_writer_submit(as->writer, &a, as->done, as->ctx);
		as->submitted++;
		return HTD_OK;
	}
	return store_audit_append(svc->store, &a, 1, err);
}

enum htd_err audit_result(struct service *svc, const struct audit_entry *e,
                          enum htd_err rc, struct htd_error *err)
{
	if (!svc->address)
		return rc;
	struct audit_entry entry = *e;
	entry.outcome = audit_outcome_of(rc);
	if (rc == HTD_OK)
		return audit_record(svc, &entry, err);
	struct htd_error aerr;
	if (audit_record(svc, &entry, &aerr) != HTD_OK)
		log_event(LOG_ERROR, "audit_unwritten", "action", entry.action,
		          "object", entry.object ? entry.object : "", "error",
		          aerr.message, NULL);
	return rc;
}

/* ---- listing ----------------------------------------------------------- */

void audit_list_free(struct audit_list *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n_strings; i++)
		free(l->strings[i]);
	free(l->strings);
	free(l->entries);
	memset(l, 0, sizeof(*l));
}

struct collect {
	struct audit_list *out;
	size_t cap_entries;
	size_t cap_strings;
};

static const char *keep(struct collect *c, const char *s)
{
	struct audit_list *l = c->out;
	if (l->n_strings == c->cap_strings) {
		c->cap_strings = c->cap_strings ? c->cap_strings * 2 : 64;
		l->strings =
		    xrealloc(l->strings, c->cap_strings * sizeof(*l->strings));
	}
	char *copy = xstrdup(s ? s : "");
	l->strings[l->n_strings++] = copy;
	return copy;
}

static int collect_one(void *ctx, const struct store_audit *a)
{
	struct collect *c = ctx;
	struct audit_list *l = c->out;
	if (l->n == c->cap_entries) {
		c->cap_entries = c->cap_entries ? c->cap_entries * 2 : 32;
		l->entries =
		    xrealloc(l->entries, c->cap_entries * sizeof(*l->entries));
	}
	struct audit_entry *e = &l->entries[l->n++];
	memset(e, 0, sizeof(*e));
	e->id = a->id;
	e->at_ms = a->at_ms;
	e->actor = keep(c, a->actor);
	e->action = keep(c, a->action);
	e->object = keep(c, a->object);
	e->address = keep(c, a->address);
	e->detail = keep(c, a->detail);
	if (!audit_outcome_parse(a->outcome, &e->outcome))
		e->outcome = AUDIT_OUTCOME_ERROR;
	return 0;
}

/* Checks a query and turns it into a filter (limit one more than asked,
 * to tell whether another page follows); the field at fault is named. */
static enum htd_err query_parse(const struct audit_query *q,
                                struct store_audit_filter *f, size_t *limit,
                                struct htd_error *err)
{
	memset(f, 0, sizeof(*f));
	*limit = AUDIT_LIST_DEFAULT;
	if (!str_empty(q->actor)) {
		if (strlen(q->actor) > AUDIT_TEXT_MAX)
			return htd_error_field(err, HTD_ERR_INVALID, "actor",
			                       "actor is longer than %d bytes",
			                       AUDIT_TEXT_MAX);
		f->actor = q->actor;
	}
	if (!str_empty(q->object)) {
		if (strlen(q->object) > AUDIT_TEXT_MAX)
			return htd_error_field(err, HTD_ERR_INVALID, "object",
			                       "object is longer than %d bytes",
			                       AUDIT_TEXT_MAX);
		f->object = q->object;
	}
	enum htd_err rc;
	if (q->since) {
		rc = time_parse(q->since, "since", &f->since_ms, err);
		if (rc != HTD_OK)
			return rc;
	}
	if (q->until) {
		rc = time_parse(q->until, "until", &f->until_ms, err);
		if (rc != HTD_OK)
			return rc;
		/* 0 means "no bound" in a filter. */
		if (f->until_ms == 0)
			return htd_error_field(err, HTD_ERR_INVALID, "until",
			                       "until must be after "
			                       "1970-01-01T00:00:00Z");
	}
	if (f->since_ms && f->until_ms && f->until_ms <= f->since_ms)
		return htd_error_field(err, HTD_ERR_INVALID, "until",
		                       "until must be later than since");
	if (q->limit) {
		int64_t n;
		if (!str_to_i64(q->limit, 1, STORE_AUDIT_LIST_MAX, &n))
			return htd_error_field(err, HTD_ERR_INVALID, "limit",
			                       "limit must be a whole number "
			                       "from 1 to %d, not '%.20s'",
			                       STORE_AUDIT_LIST_MAX, q->limit);
		*limit = (size_t)n;
	}
	if (q->after) {
		if (!str_to_i64(q->after, 1, INT64_MAX, &f->after_id))
			return htd_error_field(err, HTD_ERR_INVALID, "after",
			                       "after must be the id of an "
			                       "audit entry (a whole number "
			                       "from 1), not '%.20s'",
			                       q->after);
	}
	f->limit = *limit + 1;
	return HTD_OK;
}

/* What was asked, for the audit.read entry: the filters that were set. */
static void query_text(const struct store_audit_filter *f, size_t limit,
                       char *out, size_t size)
{
	char t[TIME_TEXT_MAX];
	size_t used = 0;
	out[0] = '\0';
#define QUERY_ADD(...)                                                    \
	do {                                                              \
		if (used < size)                                          \
			str_format(out + used, size - used, __VA_ARGS__); \
		used = strlen(out);                                       \
	} while (0)
	if (f->actor)
		QUERY_ADD("actor=%s ", f->actor);
	if (f->object)
		QUERY_ADD("object=%s ", f->object);
	if (f->since_ms && time_format_utc(f->since_ms, t, sizeof(t)))
		QUERY_ADD("since=%s ", t);
	if (f->until_ms && time_format_utc(f->until_ms, t, sizeof(t)))
		QUERY_ADD("until=%s ", t);
	if (f->after_id)
		QUERY_ADD("after=%lld ", (long long)f->after_id);
	QUERY_ADD("limit=%zu", limit);
#undef QUERY_ADD
}

enum htd_err audit_list(struct service *svc, const struct audit_query *q,
                        struct audit_list *out, struct htd_error *err)
{
	struct store_audit_filter f;
	struct collect c = { .out = out };
	char detail[AUDIT_TEXT_MAX + 1];
	size_t limit;
	memset(out, 0, sizeof(*out));
	struct audit_entry entry = {
		.actor = svc->actor,
		.action = "audit.read",
		.object = "",
		.address = svc->address,
		.detail = detail,
	};

	enum htd_err rc = query_parse(q, &f, &limit, err);
	if (rc != HTD_OK) {
		/* A refused read is on the record too, naming the field. */
		str_format(detail, sizeof(detail), "field=%s",
		           err ? err->field : "");
		entry.outcome = AUDIT_OUTCOME_INVALID;
		if (audit_record(svc, &entry, NULL) != HTD_OK)
			log_event(LOG_WARN, "audit_unwritten", "action",
			          entry.action, NULL);
		return rc;
	}
	rc = store_audit_list(svc->store, &f, collect_one, &c, err);
	if (rc == HTD_OK && out->n > limit) {
		out->more = true;
		out->n = limit;
	}
	query_text(&f, limit, detail, sizeof(detail));
	entry.outcome = audit_outcome_of(rc);
	/* No answer goes out unless its reading is on the record. */
	enum htd_err arc = audit_record(svc, &entry, rc == HTD_OK ? err : NULL);
	if (rc == HTD_OK)
		rc = arc;
	if (rc != HTD_OK)
		audit_list_free(out);
	return rc;
}
