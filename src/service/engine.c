/*
 * engine.c - loads the lexicons, the protocol and the policy together and
 * refuses them unless all pass what `htdispatch check` checks.
 */
#include "service/engine.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "formats/nicknames_csv.h"
#include "formats/protocol_yaml.h"
#include "util/mem.h"
#include "util/str.h"

struct relay {
	const struct engine_options *opts;
	struct htd_error first;
	size_t n;
};

static void relay_error(void *vctx, const struct htd_error *e)
{
	struct relay *r = vctx;
	if (r->n++ == 0)
		r->first = *e;
	if (r->opts && r->opts->on_error)
		r->opts->on_error(r->opts->ctx, e);
}

enum htd_err engine_open(const struct engine_options *opts, struct engine **out,
                         struct htd_error *err)
{
	struct engine_options none = { 0 };
	struct relay relay = { .opts = opts ? opts : &none };
	struct engine *e = xcalloc(1, sizeof(*e));
	enum htd_err rc;
	atomic_init(&e->refs, 1);

	opts = relay.opts;
	*out = NULL;
	struct screen_options so = {
		.lexicon_dir = opts->lexicon_dir,
		.cache_dir = opts->cache_dir,
		.on_error = relay_error,
		.ctx = &relay,
	};
	rc = screen_open(&so, &e->screen, err);
	if (rc != HTD_OK)
		goto out;

	struct protocol_yaml_options po = {
		.on_error = relay_error,
		.ctx = &relay,
	};
	const char *pf =
	    opts->protocol_file ? opts->protocol_file : PROTOCOL_FILE_DEFAULT;
	const char *lf =
	    opts->policy_file ? opts->policy_file : POLICY_FILE_DEFAULT;
	rc = protocol_yaml_load(pf, &po, &e->protocol, err);
	if (rc != HTD_OK)
		goto out;
	rc = policy_yaml_load(lf, &e->protocol, &po, &e->policy, err);
	if (rc != HTD_OK)
		goto out;
	struct htd_error nerr;
	htd_error_clear(&nerr);
	if (opts->nicknames_dir && opts->nicknames_dir[0]) {
		rc = nicknames_csv_load_dir(opts->nicknames_dir, &e->nicknames,
		                            &nerr);
	} else if (!opts->nicknames_dir &&
	           access(NICKNAMES_DIR_DEFAULT, F_OK) == 0) {
		rc = nicknames_csv_load_dir(NULL, &e->nicknames, &nerr);
		if (rc == HTD_ERR_NOT_FOUND)
			rc = HTD_OK;
	}
	if (rc != HTD_OK) {
		relay_error(&relay, &nerr);
		if (err)
			*err = nerr;
		goto out;
	}
	size_t before = relay.n;
	if (protocol_lint(&e->protocol, &e->policy, relay_error, &relay) > 0) {
		if (err) {
			*err = relay.n > before ? relay.first : *err;
			err->code = HTD_ERR_INVALID;
		}
		rc = HTD_ERR_INVALID;
		goto out;
	}
	*out = e;
	e = NULL;
out:
	engine_close(e);
	return rc;
}

struct engine *engine_clone(struct engine *e)
{
	struct engine *o = e->origin ? e->origin : e;
	struct engine *c = xcalloc(1, sizeof(*c));
	if (o->screen) {
		c->screen = screen_clone(o->screen);
		if (!c->screen) {
			free(c);
			return NULL;
		}
	}
	/* Shallow copies: the clone reads them and never frees them. */
	c->protocol = o->protocol;
	c->policy = o->policy;
	c->nicknames = o->nicknames;
	c->origin = o;
	atomic_fetch_add(&o->refs, 1);
	return c;
}

void engine_close(struct engine *e)
{
	if (!e)
		return;
	screen_close(e->screen);
	e->screen = NULL;
	struct engine *o = e->origin ? e->origin : e;
	if (e != o)
		free(e);
	if (atomic_fetch_sub(&o->refs, 1) != 1)
		return;
	match_nicknames_free(o->nicknames);
	policy_free(&o->policy);
	protocol_free(&o->protocol);
	free(o);
}

enum htd_err engine_scan_note(struct engine *e, const char *text, int64_t note,
                              struct call_hit **hits, size_t *n,
                              struct htd_error *err)
{
	const struct indicator_result *r = NULL;
	*hits = NULL;
	*n = 0;
	if (!e || !e->screen || !text)
		return HTD_OK;
	enum htd_err rc = screen_note(e->screen, text, strlen(text), &r, err);
	if (rc != HTD_OK)
		return rc;
	size_t count =
	    r->n_hits < CALL_HITS_EVENT_MAX ? r->n_hits : CALL_HITS_EVENT_MAX;
	if (count == 0)
		return HTD_OK;
	*hits = xcalloc(count, sizeof(**hits));
	for (size_t i = 0; i < count; i++) {
		const struct indicator_hit *h = &r->hits[i];
		struct call_hit *o = &(*hits)[i];
		str_copy(o->indicator, sizeof(o->indicator),
		         indicator_name(h->id));
		o->note = note;
		o->start = (uint32_t)h->start;
		o->end = (uint32_t)h->end;
		o->negated = h->negated;
		o->hypothetical = h->hypothetical;
		o->historical = h->historical;
		str_copy(o->subject, sizeof(o->subject),
		         h->subject == SUBJECT_UNKNOWN
		             ? ""
		             : indicator_subject_name(h->subject));
	}
	*n = count;
	return HTD_OK;
}
