/*
 * related.c - a call's related records (related.h): searching on a call's
 * details, its own records, the suggestions and links in its history, and
 * the link graph.
 */
#include "service/related.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/record.h"
#include "core/score.h"
#include "formats/event_json.h"
#include "records/query.h"
#include "service/audit.h"
#include "service/engine.h"
#include "service/search.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/str.h"

#define APPEND_RETRIES 5
/* Matches kept per search made for a call. */
#define SUGGEST_PER_SEARCH 5
/* Searches made for one refresh: the caller, the callback number (three
 * kinds), the place (two kinds), a note's phone (three kinds). */
#define QUERIES_MAX 9

const char *related_state_name(enum related_state s)
{
	switch (s) {
	case RELATED_SUGGESTED: return "suggested";
	case RELATED_CONFIRMED: return "confirmed";
	case RELATED_REJECTED: return "rejected";
	}
	return "?";
}

void related_list_free(struct related_list *l)
{
	if (!l)
		return;
	free(l->items);
	l->items = NULL;
	l->n = 0;
}

void related_graph_free(struct related_graph *g)
{
	if (!g)
		return;
	free(g->nodes);
	free(g->edges);
	memset(g, 0, sizeof(*g));
}

json_t *related_graph_json(const struct related_graph *g)
{
	json_t *nodes = json_array(), *edges = json_array();
	for (size_t i = 0; i < g->n_nodes; i++)
		json_array_append_new(
		    nodes,
		    json_pack("{s:s,s:s,s:s,s:i}", "id", g->nodes[i].id, "kind",
		              g->nodes[i].kind, "label", g->nodes[i].label,
		              "depth", g->nodes[i].depth));
	for (size_t i = 0; i < g->n_edges; i++)
		json_array_append_new(
		    edges, json_pack("{s:s,s:s,s:s}", "from",
		                     g->nodes[g->edges[i].from].id, "to",
		                     g->nodes[g->edges[i].to].id, "via",
		                     g->edges[i].via));
	return json_pack("{s:o,s:o,s:b}", "nodes", nodes, "edges", edges, "cut",
	                 g->cut);
}

static int64_t now_ms(const struct service *svc)
{
	return clock_now_ms(svc->clock);
}

/* The call's value for a detail: the answer when given, else the
 * projection's field from the call's opening. */
static const char *detail(const struct call *c, const char *question,
                          const char *opened)
{
	const struct call_answer *a = call_answer_get(c, question);
	if (a && !str_empty(a->value))
		return a->value;
	return opened ? opened : "";
}

/* ---- the history: what was suggested and decided ----------------------- */

struct history {
	struct related_item *items;
	size_t n, cap;
};

static struct related_item *history_find(struct history *h, int64_t record)
{
	for (size_t i = 0; i < h->n; i++)
		if (h->items[i].s.record == record)
			return &h->items[i];
	return NULL;
}

static struct related_item *history_add(struct history *h)
{
	if (h->n == h->cap) {
		h->cap = h->cap ? h->cap * 2 : 16;
		h->items = xrealloc(h->items, h->cap * sizeof(*h->items));
	}
	struct related_item *it = &h->items[h->n++];
	memset(it, 0, sizeof(*it));
	return it;
}

static int history_event(void *ctx, const struct store_event *se)
{
	struct history *h = ctx;
	if (strcmp(se->type, "records_suggested") != 0 &&
	    strcmp(se->type, "record_linked") != 0)
		return 0;
	struct event_decoded d;
	struct htd_error err;
	if (event_json_decode(se->type, se->at_ms, se->actor, se->payload, &d,
	                      &err) != HTD_OK)
		return 0; /* calls verify reports unreadable events */
	const struct call_event *e = &d.event;
	if (e->type == CALL_EVENT_RECORDS_SUGGESTED) {
		for (size_t i = 0; i < e->u.suggested.n; i++) {
			const struct call_suggestion *g =
			    &e->u.suggested.items[i];
			if (history_find(h, g->record))
				continue;
			struct related_item *it = history_add(h);
			it->s = *g;
			it->at_ms = se->at_ms;
		}
	} else {
		struct related_item *it = history_find(h, e->u.link.record);
		if (!it) {
			/* Linked by a person without a suggestion. */
			it = history_add(h);
			it->s.record = e->u.link.record;
			str_copy(it->s.from, sizeof(it->s.from), "note");
		}
		it->state =
		    e->u.link.confirmed ? RELATED_CONFIRMED : RELATED_REJECTED;
		str_copy(it->by, sizeof(it->by), se->actor);
		it->at_ms = se->at_ms;
		str_copy(it->reason, sizeof(it->reason),
		         e->u.link.reason ? e->u.link.reason : "");
	}
	event_decoded_release(&d);
	return 0;
}

static enum htd_err history_read(struct service *svc, const char *ref,
                                 struct history *h, struct htd_error *err)
{
	memset(h, 0, sizeof(*h));
	return store_events_each(svc->store, ref, history_event, h, err);
}

/* ---- appending one event ------------------------------------------------ */

static enum htd_err append_one(struct service *svc, const char *ref,
                               struct call_event *e,
                               const struct store_audit *audit,
                               struct call *out, struct htd_error *err)
{
	enum htd_err rc = call_event_validate(e, err);
	for (int attempt = 0; rc == HTD_OK; attempt++) {
		struct call c;
		call_init(&c);
		rc = store_call_get(svc->store, ref, &c, err);
		if (rc != HTD_OK) {
			call_free(&c);
			break;
		}
		int64_t version = c.version;
		rc = call_apply(&c, e, err);
		char *payload = rc == HTD_OK ? event_json_encode(e) : NULL;
		if (rc == HTD_OK) {
			struct store_event se = {
				.seq = version + 1,
				.type = call_event_type_name(e->type),
				.at_ms = e->at_ms,
				.actor = e->actor,
				.payload = payload,
			};
			struct store_append item = {
				.call_ref = ref,
				.expected_version = version,
				.event = &se,
				.projection = &c,
				.audit = audit,
			};
			/* A confirmation is a link of the record to the call,
			 * kept with its event. */
			if (e->type == CALL_EVENT_RECORD_LINKED) {
				item.link_record = e->u.link.record;
				item.link_confirmed = e->u.link.confirmed;
			}
			rc = store_append(svc->store, &item, 1, err);
		}
		free(payload);
		if (rc == HTD_OK && out) {
			call_free(out);
			*out = c;
		} else {
			call_free(&c);
		}
		if (rc != HTD_ERR_CONFLICT || attempt + 1 >= APPEND_RETRIES)
			break;
		rc = HTD_OK;
	}
	return rc;
}

/* ---- refreshing a call's suggestions ---------------------------------- */

struct query {
	struct record r;
	const char *from;
};

/* Adds a query of `kind` with `f1`=`v1` (and `f2`=`v2`, when both are
 * given). Values a record refuses are left out. */
static void query_add(struct query *q, size_t *n, enum record_kind kind,
                      const char *from, enum record_field f1, const char *v1,
                      enum record_field f2, const char *v2)
{
	if (*n >= QUERIES_MAX || str_empty(v1))
		return;
	struct query *o = &q[*n];
	record_init(&o->r, kind);
	o->from = from;
	if (record_set(&o->r, f1, v1, NULL) != HTD_OK || !o->r.field[f1]) {
		record_free(&o->r);
		return;
	}
	if (!str_empty(v2))
		record_set(&o->r, f2, v2, NULL);
	record_set_source(&o->r, "query", "-", NULL);
	(*n)++;
}

/* The first phone number in a note, as records/query.c finds one. */
static bool note_phone(const char *note, char *out, size_t size)
{
	char text[QUERY_TEXT_MAX + 1];
	if (str_empty(note))
		return false;
	/* Look at the note in windows the query parser accepts. */
	size_t len = strlen(note);
	for (size_t at = 0; at < len; at += QUERY_TEXT_MAX / 2) {
		size_t n =
		    len - at < QUERY_TEXT_MAX ? len - at : QUERY_TEXT_MAX;
		memcpy(text, note + at, n);
		text[n] = '\0';
		/* Controls (a note's line breaks) become spaces. */
		for (size_t i = 0; i < n; i++)
			if ((unsigned char)text[i] < 0x20)
				text[i] = ' ';
		struct record r;
		if (records_query_parse(text, RECORD_PHONE, &r, NULL) ==
		        HTD_OK &&
		    r.field[RECORD_F_PHONE]) {
			str_copy(out, size, r.field[RECORD_F_PHONE]);
			record_free(&r);
			return true;
		}
		record_free(&r);
	}
	return false;
}

/* Keeps the call's details as records of source "calls", so that later
 * calls find this one. */
static void keep_own_records(struct service *svc,
                             const struct match_nicknames *nn, const char *ref,
                             const char *name, const char *phone,
                             const char *place)
{
	struct record own[2];
	struct match_keys keys[2];
	struct store_record_put items[2];
	size_t n = 0;
	if (!str_empty(name) || !str_empty(phone)) {
		record_init(&own[n], RECORD_PERSON);
		record_set_source(&own[n], RELATED_CALLS_SOURCE, ref, NULL);
		record_set(&own[n], RECORD_F_NAME,
		           str_empty(name) ? "(unknown caller)" : name, NULL);
		record_set(&own[n], RECORD_F_PHONE, phone, NULL);
		n++;
	}
	if (!str_empty(place)) {
		record_init(&own[n], RECORD_LOCATION);
		record_set_source(&own[n], RELATED_CALLS_SOURCE, ref, NULL);
		record_set(&own[n], RECORD_F_ADDRESS, place, NULL);
		n++;
	}
	size_t kept = 0;
	for (size_t i = 0; i < n; i++) {
		struct score_record p;
		if (record_validate(&own[i], NULL) != HTD_OK ||
		    score_prepare(&own[i], nn, &p, NULL) != HTD_OK) {
			score_record_free(&p);
			continue;
		}
		score_keys(&p, nn, &keys[kept]);
		score_record_free(&p);
		items[kept] = (struct store_record_put){ &own[i], &keys[kept] };
		kept++;
	}
	struct store_record_counts counts = { 0 };
	struct htd_error err;
	if (kept && store_records_upsert(svc->store, items, kept, now_ms(svc),
	                                 NULL, &counts, &err) != HTD_OK)
		log_event(LOG_WARN, "call_records_unkept", "call", ref, "error",
		          err.message, NULL);
	for (size_t i = 0; i < n; i++)
		record_free(&own[i]);
}

enum htd_err related_refresh(struct service *svc, const char *ref_text,
                             const char *note, struct htd_error *err)
{
	char ref[CALL_REF_MAX];
	struct call c;
	struct history h = { 0 };
	struct query q[QUERIES_MAX];
	size_t nq = 0;
	struct call_suggestion found[CALL_SUGGESTIONS_MAX];
	size_t nf = 0;
	enum htd_err rc;

	if (!svc->engine)
		return HTD_OK;
	const struct match_nicknames *nn = svc->engine->nicknames;
	call_init(&c);
	rc = calls_ref_canonical(ref_text, ref, err);
	if (rc == HTD_OK)
		rc = store_call_get(svc->store, ref, &c, err);
	if (rc != HTD_OK)
		goto out;
	const char *name = detail(&c, "caller_name", c.caller_name);
	const char *phone = detail(&c, "callback_number", c.callback_number);
	const char *place = detail(&c, "location", c.location_text);
	char in_note[MATCH_PHONE_MAX + 1] = "";
	note_phone(note, in_note, sizeof(in_note));

	query_add(q, &nq, RECORD_PERSON, "caller", RECORD_F_NAME, name,
	          RECORD_F_PHONE, phone);
	static const enum record_kind phone_kinds[] = { RECORD_PERSON,
		                                        RECORD_PHONE,
		                                        RECORD_BUSINESS };
	for (size_t k = 0; k < 3; k++) {
		query_add(q, &nq, phone_kinds[k], "callback", RECORD_F_PHONE,
		          phone, RECORD_F_PHONE, NULL);
		query_add(q, &nq, phone_kinds[k], "note", RECORD_F_PHONE,
		          in_note, RECORD_F_PHONE, NULL);
	}
	query_add(q, &nq, RECORD_LOCATION, "location", RECORD_F_ADDRESS, place,
	          RECORD_F_ADDRESS, NULL);
	query_add(q, &nq, RECORD_BUSINESS, "location", RECORD_F_ADDRESS, place,
	          RECORD_F_ADDRESS, NULL);
	if (nq == 0)
		goto out;

	keep_own_records(svc, nn, ref, name, phone, place);
	rc = history_read(svc, ref, &h, err);
	if (rc != HTD_OK)
		goto out;
	for (size_t i = 0; i < nq && rc == HTD_OK; i++) {
		struct search_result res;
		rc = search_run(svc->store, nn, &q[i].r, SUGGEST_PER_SEARCH, 0,
		                false, &res, err);
		for (size_t k = 0; rc == HTD_OK && k < res.n; k++) {
			const struct search_hit *hit = &res.hits[k];
			const struct record *r = &hit->record.record;
			bool dup = history_find(&h, hit->record.id) != NULL;
			for (size_t j = 0; j < nf && !dup; j++)
				dup = found[j].record == hit->record.id;
			/* Not itself, not twice, matches only. */
			if (!hit->match || dup || nf >= CALL_SUGGESTIONS_MAX ||
			    (strcmp(r->source, RELATED_CALLS_SOURCE) == 0 &&
			     strcmp(r->source_id, ref) == 0))
				continue;
			struct call_suggestion *g = &found[nf++];
			memset(g, 0, sizeof(*g));
			g->record = hit->record.id;
			str_copy(g->kind, sizeof(g->kind),
			         record_kind_name(r->kind));
			str_format(g->label, sizeof(g->label), "%s:%s",
			           r->source, r->source_id);
			g->weight = hit->weight;
			g->match = hit->match;
			str_copy(g->from, sizeof(g->from), q[i].from);
			score_explain_format(&hit->explain, g->why,
			                     sizeof(g->why));
		}
		search_result_free(&res);
	}
	if (rc == HTD_OK && nf > 0) {
		struct call_event e = {
			.type = CALL_EVENT_RECORDS_SUGGESTED,
			.at_ms = now_ms(svc),
			.actor = "system:records",
		};
		e.u.suggested.items = found;
		e.u.suggested.n = nf;
		rc = append_one(svc, ref, &e, NULL, &c, err);
		if (rc == HTD_OK)
			log_event(LOG_INFO, "records_suggested", "call", ref,
			          NULL);
	}
	/* The records were searched: the checklist says so, by whom (the
	 * system), when and with what result. A person may still search
	 * further; the mark is theirs to withdraw. */
	const struct call_action *a = call_action_get(&c, "search_records");
	if (rc == HTD_OK && c.status == CALL_STATUS_OPEN && a &&
	    a->state == CALL_ACTION_REQUIRED && !a->marked) {
		char reason[128];
		str_format(reason, sizeof(reason),
		           "records searched (%zu searches); %zu related "
		           "record%s suggested",
		           nq, h.n + nf, h.n + nf == 1 ? "" : "s");
		struct call_event m = {
			.type = CALL_EVENT_ACTION_MARKED,
			.at_ms = now_ms(svc),
			.actor = "system:records",
		};
		m.u.mark.action = "search_records";
		m.u.mark.state = CALL_ACTION_DONE;
		m.u.mark.reason = reason;
		rc = append_one(svc, ref, &m, NULL, NULL, err);
	}
out:
	for (size_t i = 0; i < nq; i++)
		record_free(&q[i].r);
	free(h.items);
	call_free(&c);
	return rc;
}

/* ---- reading and deciding --------------------------------------------- */

/* Marks which of `h`'s records are sealed now, from the store. */
static enum htd_err mark_sealed(struct service *svc, struct history *h,
                                struct htd_error *err)
{
	for (size_t i = 0; i < h->n; i += STORE_RECORDS_GET_MAX) {
		size_t n = h->n - i < STORE_RECORDS_GET_MAX
		               ? h->n - i
		               : STORE_RECORDS_GET_MAX;
		int64_t *ids = xcalloc(n, sizeof(*ids));
		for (size_t k = 0; k < n; k++)
			ids[k] = h->items[i + k].s.record;
		struct store_record_list l = { 0 };
		enum htd_err rc =
		    store_records_get_many(svc->store, ids, n, &l, err);
		for (size_t k = 0; rc == HTD_OK && k < l.n; k++)
			for (size_t j = 0; j < n; j++)
				if (h->items[i + j].s.record == l.records[k].id)
					h->items[i + j].sealed =
					    l.records[k].record.sealed;
		store_record_list_free(&l);
		free(ids);
		if (rc != HTD_OK)
			return rc;
	}
	return HTD_OK;
}

static enum htd_err audit_read(struct service *svc, const char *action,
                               const char *ref, const char *detail_text,
                               enum htd_err rc, struct htd_error *err)
{
	if (!svc->address)
		return rc;
	char object[CALL_REF_MAX + 8];
	str_format(object, sizeof(object), "call:%s", ref);
	struct audit_entry e = {
		.actor = svc->actor,
		.action = action,
		.object = object,
		.address = svc->address,
		.detail = detail_text,
	};
	return audit_result(svc, &e, rc, err);
}

enum htd_err related_list(struct service *svc, const char *ref_text,
                          bool sealed_visible, struct related_list *out,
                          struct htd_error *err)
{
	char ref[CALL_REF_MAX] = "";
	struct history h = { 0 };
	struct call c;
	call_init(&c);
	memset(out, 0, sizeof(*out));
	enum htd_err rc = calls_ref_canonical(ref_text, ref, err);
	if (rc == HTD_OK)
		rc = store_call_get(svc->store, ref, &c, err);
	if (rc == HTD_OK)
		rc = history_read(svc, ref, &h, err);
	if (rc == HTD_OK)
		rc = mark_sealed(svc, &h, err);
	if (rc == HTD_OK) {
		out->items = xcalloc(h.n ? h.n : 1, sizeof(*out->items));
		for (size_t i = 0; i < h.n; i++)
			if (!h.items[i].sealed || sealed_visible)
				out->items[out->n++] = h.items[i];
	}
	free(h.items);
	call_free(&c);
	char text[64];
	str_format(text, sizeof(text), "records=%zu", out->n);
	rc = audit_read(svc, "call.related", ref[0] ? ref : "?", text, rc, err);
	if (rc != HTD_OK)
		related_list_free(out);
	return rc;
}

enum htd_err related_link(struct service *svc, const char *actor,
                          const char *ref_text, int64_t record, bool confirmed,
                          const char *reason, bool sealed_visible,
                          struct call *out, struct htd_error *err)
{
	char ref[CALL_REF_MAX] = "";
	char object[CALL_REF_MAX + 8];
	char text[64];
	struct store_record r = { 0 };
	enum htd_err rc = calls_ref_canonical(ref_text, ref, err);
	if (rc == HTD_OK && record <= 0)
		rc = htd_error_field(err, HTD_ERR_INVALID, "record",
		                     "a record id is a positive number");
	if (rc == HTD_OK) {
		rc = store_record_get(svc->store, record, &r, err);
		/* A sealed record the actor may not see does not exist for
		 * them. */
		if (rc == HTD_OK && r.record.sealed && !sealed_visible)
			rc = HTD_ERR_NOT_FOUND;
		if (rc == HTD_ERR_NOT_FOUND)
			htd_error_field(err, HTD_ERR_NOT_FOUND, "record",
			                "no record %lld", (long long)record);
	}
	store_record_free(&r);
	str_format(object, sizeof(object), "call:%s", ref[0] ? ref : "?");
	str_format(text, sizeof(text), "record=%lld %s", (long long)record,
	           confirmed ? "confirmed" : "rejected");
	struct audit_entry ae = {
		.at_ms = now_ms(svc),
		.actor = actor,
		.action = "call.link",
		.object = object,
		.address = svc->address,
		.outcome = audit_outcome_of(rc),
		.detail = text,
	};
	if (rc == HTD_OK) {
		struct audit_texts texts;
		struct store_audit sa;
		struct call_event e = {
			.type = CALL_EVENT_RECORD_LINKED,
			.at_ms = ae.at_ms,
			.actor = actor,
		};
		e.u.link.record = record;
		e.u.link.confirmed = confirmed;
		e.u.link.reason = reason ? reason : "";
		if (svc->address)
			audit_prepare(svc, &ae, &texts, &sa);
		rc = append_one(svc, ref, &e, svc->address ? &sa : NULL, out,
		                err);
		if (rc == HTD_OK)
			return rc;
		ae.outcome = audit_outcome_of(rc);
	}
	if (svc->address) {
		struct htd_error aerr;
		if (audit_record(svc, &ae, &aerr) != HTD_OK)
			log_event(LOG_ERROR, "audit_unwritten", "action",
			          "call.link", "object", object, "error",
			          aerr.message, NULL);
	}
	return rc;
}

/* ---- the link graph ----------------------------------------------------- */

struct graph_build {
	struct service *svc;
	const struct match_nicknames *nn;
	struct related_graph *g;
	size_t cap_nodes, cap_edges;
	bool sealed_visible;
};

static int node_find(const struct related_graph *g, const char *id)
{
	for (size_t i = 0; i < g->n_nodes; i++)
		if (strcmp(g->nodes[i].id, id) == 0)
			return (int)i;
	return -1;
}

/* Adds node `id` (or finds it); -1 when the graph is full. */
static int node_add(struct graph_build *b, const char *id, const char *kind,
                    const char *label, int depth)
{
	struct related_graph *g = b->g;
	int at = node_find(g, id);
	if (at >= 0)
		return at;
	if (g->n_nodes >= RELATED_NODES_MAX) {
		g->cut = true;
		return -1;
	}
	if (g->n_nodes == b->cap_nodes) {
		b->cap_nodes = b->cap_nodes ? b->cap_nodes * 2 : 16;
		g->nodes = xrealloc(g->nodes, b->cap_nodes * sizeof(*g->nodes));
	}
	struct related_node *n = &g->nodes[g->n_nodes];
	memset(n, 0, sizeof(*n));
	str_copy(n->id, sizeof(n->id), id);
	str_copy(n->kind, sizeof(n->kind), kind);
	str_copy(n->label, sizeof(n->label), label);
	n->depth = depth;
	return (int)g->n_nodes++;
}

static void edge_add(struct graph_build *b, int from, int to, const char *via)
{
	struct related_graph *g = b->g;
	if (from < 0 || to < 0 || from == to)
		return;
	for (size_t i = 0; i < g->n_edges; i++)
		if (((g->edges[i].from == from && g->edges[i].to == to) ||
		     (g->edges[i].from == to && g->edges[i].to == from)) &&
		    strcmp(g->edges[i].via, via) == 0)
			return;
	if (g->n_edges == b->cap_edges) {
		b->cap_edges = b->cap_edges ? b->cap_edges * 2 : 16;
		g->edges = xrealloc(g->edges, b->cap_edges * sizeof(*g->edges));
	}
	struct related_edge *e = &g->edges[g->n_edges++];
	e->from = from;
	e->to = to;
	str_copy(e->via, sizeof(e->via), via);
}

/* Adds record `r` as a node; -1 when it may not be shown or the graph is
 * full. */
static int record_node(struct graph_build *b, const struct store_record *r,
                       int depth)
{
	if (r->record.sealed && !b->sealed_visible)
		return -1;
	char id[48], label[CALL_SUGGESTION_LABEL_MAX + 1];
	str_format(id, sizeof(id), "record:%lld", (long long)r->id);
	str_format(label, sizeof(label), "%s:%s", r->record.source,
	           r->record.source_id);
	return node_add(b, id, record_kind_name(r->record.kind), label, depth);
}

static int call_node(struct graph_build *b, const char *ref, int depth)
{
	char id[48];
	str_format(id, sizeof(id), "call:%s", ref);
	return node_add(b, id, "call", ref, depth);
}

/* What a key family says when two records share it. */
static const char *key_via(const char *key)
{
	static const struct {
		const char *prefix, *via;
	} strong[] = {
		{ MATCH_KEY_PHONE, "phone" }, { SCORE_KEY_ADDRESS, "address" },
		{ SCORE_KEY_PLATE, "plate" }, { SCORE_KEY_VIN, "vin" },
		{ SCORE_KEY_ID, "id" },
	};
	for (size_t i = 0; i < sizeof(strong) / sizeof(strong[0]); i++)
		if (strncmp(key, strong[i].prefix, strlen(strong[i].prefix)) ==
		    0)
			return strong[i].via;
	return NULL;
}

/* Expands record node `at` (record `r`) along its links: to the records
 * its import linked it to and that linked to it (the edge is the link's
 * type), and to the calls it was confirmed on ("confirmed"). A sealed
 * record the caller may not see is no node, so nothing is reached
 * through it. */
static enum htd_err expand_links(struct graph_build *b, int at,
                                 const struct store_record *r, int depth,
                                 struct htd_error *err)
{
	struct store_record_link_list links = { 0 };
	enum htd_err rc = store_record_links(b->svc->store, r->id, &links, err);
	if (rc != HTD_OK)
		return rc;
	int64_t ids[STORE_RECORD_LINKS_READ_MAX];
	size_t n = 0;
	for (size_t i = 0; i < links.n; i++) {
		const struct store_record_link *l = &links.links[i];
		if (l->dir == STORE_LINK_CALL) {
			char ref[CALL_REF_MAX];
			if (calls_ref_canonical(l->call_ref, ref, NULL) ==
			    HTD_OK)
				edge_add(b, at, call_node(b, ref, depth + 1),
				         "confirmed");
		} else if (l->other_id > 0 && l->other_id != r->id) {
			ids[n++] = l->other_id;
		}
	}
	struct store_record_list l = { 0 };
	for (size_t i = 0; rc == HTD_OK && i < n; i += STORE_RECORDS_GET_MAX) {
		size_t m = n - i < STORE_RECORDS_GET_MAX
		               ? n - i
		               : STORE_RECORDS_GET_MAX;
		rc = store_records_get_many(b->svc->store, ids + i, m, &l, err);
		for (size_t k = 0; rc == HTD_OK && k < l.n; k++)
			for (size_t j = 0; j < links.n; j++)
				if (links.links[j].dir != STORE_LINK_CALL &&
				    links.links[j].other_id == l.records[k].id)
					edge_add(b, at,
					         record_node(b, &l.records[k],
					                     depth + 1),
					         links.links[j].type);
		store_record_list_free(&l);
	}
	store_record_link_list_free(&links);
	return rc;
}

/* Expands record node `at` (record `r`): its call when it is one, its
 * links, and the records sharing a selective key with it. */
static enum htd_err expand_record(struct graph_build *b, int at,
                                  const struct store_record *r, int depth,
                                  struct htd_error *err)
{
	if (strcmp(r->record.source, RELATED_CALLS_SOURCE) == 0) {
		char ref[CALL_REF_MAX];
		if (calls_ref_canonical(r->record.source_id, ref, NULL) ==
		    HTD_OK)
			edge_add(b, at, call_node(b, ref, depth + 1),
			         "details");
	}
	enum htd_err lrc = expand_links(b, at, r, depth, err);
	if (lrc != HTD_OK)
		return lrc;
	struct score_record p;
	struct match_keys all, strong;
	if (score_prepare(&r->record, b->nn, &p, NULL) != HTD_OK) {
		score_record_free(&p);
		return HTD_OK;
	}
	score_keys(&p, b->nn, &all);
	score_record_free(&p);
	memset(&strong, 0, sizeof(strong));
	for (size_t i = 0; i < all.n; i++)
		if (key_via(all.key[i]))
			memcpy(strong.key[strong.n++], all.key[i],
			       MATCH_KEY_SIZE);
	if (strong.n == 0)
		return HTD_OK;
	struct store_candidate cand[50];
	size_t nc = 0;
	enum htd_err rc = store_records_candidates(b->svc->store, &strong, 50,
	                                           cand, &nc, err);
	if (rc != HTD_OK || nc == 0)
		return rc;
	int64_t ids[50];
	for (size_t i = 0; i < nc; i++)
		ids[i] = cand[i].record_id;
	struct store_record_list l = { 0 };
	rc = store_records_get_many(b->svc->store, ids, nc, &l, err);
	for (size_t i = 0; rc == HTD_OK && i < l.n; i++) {
		const struct store_record *o = &l.records[i];
		if (o->id == r->id)
			continue;
		/* Which selective key they share, by the other's keys. */
		struct score_record op;
		struct match_keys ok;
		const char *via = NULL;
		if (score_prepare(&o->record, b->nn, &op, NULL) == HTD_OK) {
			score_keys(&op, b->nn, &ok);
			for (size_t x = 0; x < ok.n && !via; x++)
				for (size_t y = 0; y < strong.n && !via; y++)
					if (strcmp(ok.key[x], strong.key[y]) ==
					    0)
						via = key_via(strong.key[y]);
		}
		score_record_free(&op);
		if (!via)
			continue;
		edge_add(b, at, record_node(b, o, depth + 1), via);
	}
	store_record_list_free(&l);
	return rc;
}

enum htd_err related_graph(struct service *svc, const char *ref_text, int depth,
                           bool sealed_visible, struct related_graph *out,
                           struct htd_error *err)
{
	char ref[CALL_REF_MAX] = "";
	struct graph_build b = { .svc = svc,
		                 .g = out,
		                 .sealed_visible = sealed_visible };
	struct call c;
	call_init(&c);
	memset(out, 0, sizeof(*out));
	b.nn = svc->engine ? svc->engine->nicknames : NULL;
	enum htd_err rc = calls_ref_canonical(ref_text, ref, err);
	if (rc == HTD_OK && (depth < 1 || depth > RELATED_DEPTH_MAX))
		rc =
		    htd_error_field(err, HTD_ERR_INVALID, "depth",
		                    "depth must be 1 to %d", RELATED_DEPTH_MAX);
	if (rc == HTD_OK)
		rc = store_call_get(svc->store, ref, &c, err);
	if (rc == HTD_OK)
		call_node(&b, ref, 0);
	/* Breadth first: the nodes of each depth in the order found. */
	for (size_t next = 0; rc == HTD_OK && next < out->n_nodes; next++) {
		struct related_node node = out->nodes[next];
		if (node.depth >= depth)
			continue;
		if (strcmp(node.kind, "call") == 0) {
			struct history h = { 0 };
			rc = history_read(svc, node.label, &h, err);
			if (rc == HTD_OK)
				rc = mark_sealed(svc, &h, err);
			for (size_t i = 0; rc == HTD_OK && i < h.n; i++) {
				const struct related_item *it = &h.items[i];
				struct store_record r = { 0 };
				if (it->state == RELATED_REJECTED ||
				    store_record_get(svc->store, it->s.record,
				                     &r, NULL) != HTD_OK) {
					store_record_free(&r);
					continue;
				}
				edge_add(&b, (int)next,
				         record_node(&b, &r, node.depth + 1),
				         it->state == RELATED_CONFIRMED
				             ? "confirmed"
				             : "suggested");
				store_record_free(&r);
			}
			free(h.items);
			/* The call's own records. */
			for (int k = 0; rc == HTD_OK && k < 2; k++) {
				struct store_record r = { 0 };
				if (store_record_find(
				        svc->store,
				        k ? RECORD_LOCATION : RECORD_PERSON,
				        RELATED_CALLS_SOURCE, node.label, &r,
				        NULL) == HTD_OK)
					edge_add(
					    &b, (int)next,
					    record_node(&b, &r, node.depth + 1),
					    "details");
				store_record_free(&r);
			}
		} else {
			struct store_record r = { 0 };
			long long id = strtoll(node.id + 7, NULL, 10);
			if (store_record_get(svc->store, id, &r, NULL) ==
			    HTD_OK)
				rc = expand_record(&b, (int)next, &r,
				                   node.depth, err);
			store_record_free(&r);
		}
	}
	call_free(&c);
	char text[64];
	str_format(text, sizeof(text), "depth=%d nodes=%zu", depth,
	           out->n_nodes);
	rc = audit_read(svc, "call.graph", ref[0] ? ref : "?", text, rc, err);
	if (rc != HTD_OK)
		related_graph_free(out);
	return rc;
}

/* ---- hooks and the background worker ------------------------------------ */

void related_refresh_now(struct service *svc, const char *ref, const char *note)
{
	struct htd_error err;
	htd_error_clear(&err);
	if (related_refresh(svc, ref, note, &err) != HTD_OK)
		log_event(LOG_WARN, "related_unsearched", "call", ref, "error",
		          err.message, NULL);
}

struct related_job {
	char ref[CALL_REF_MAX];
	char *note; /* owned; NULL */
};

struct related_worker {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	struct related_job jobs[RELATED_QUEUE_MAX];
	size_t head, n;
	bool stopping;
	struct store *store;
	struct engine *engine; /* a clone: the worker's own scratch */
};

/* The one worker of the process (NULL: none runs). */
static struct related_worker *running;
static pthread_mutex_t running_lock = PTHREAD_MUTEX_INITIALIZER;

static void *worker_main(void *arg)
{
	struct related_worker *w = arg;
	struct service svc = {
		.store = w->store,
		.clock = clock_system(),
		.engine = w->engine,
	};
	pthread_mutex_lock(&w->lock);
	for (;;) {
		while (w->n == 0 && !w->stopping)
			pthread_cond_wait(&w->wake, &w->lock);
		if (w->n == 0)
			break; /* stopping, and drained */
		struct related_job job = w->jobs[w->head];
		w->head = (w->head + 1) % RELATED_QUEUE_MAX;
		w->n--;
		pthread_mutex_unlock(&w->lock);
		related_refresh_now(&svc, job.ref, job.note);
		free(job.note);
		pthread_mutex_lock(&w->lock);
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

enum htd_err related_worker_start(const char *db_path, int busy_timeout_ms,
                                  struct engine *engine,
                                  struct related_worker **out,
                                  struct htd_error *err)
{
	*out = NULL;
	struct related_worker *w = xcalloc(1, sizeof(*w));
	struct store_options o = { .path = db_path,
		                   .busy_timeout_ms = busy_timeout_ms };
	enum htd_err rc = store_open(&o, &w->store, err);
	if (rc != HTD_OK) {
		free(w);
		return rc;
	}
	w->engine = engine ? engine_clone(engine) : NULL;
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->wake, NULL);
	if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
		engine_close(w->engine);
		store_close(w->store);
		free(w);
		return htd_error_set(err, HTD_ERR_INTERNAL,
		                     "cannot start the related-records worker");
	}
	pthread_mutex_lock(&running_lock);
	running = w;
	pthread_mutex_unlock(&running_lock);
	*out = w;
	return HTD_OK;
}

void related_worker_stop(struct related_worker *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&running_lock);
	if (running == w)
		running = NULL;
	pthread_mutex_unlock(&running_lock);
	pthread_mutex_lock(&w->lock);
	w->stopping = true;
	pthread_cond_signal(&w->wake);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	pthread_cond_destroy(&w->wake);
	pthread_mutex_destroy(&w->lock);
	engine_close(w->engine);
	store_close(w->store);
	free(w);
}

void related_worker_hook(struct service *svc, const char *ref, const char *note)
{
	(void)svc;
	pthread_mutex_lock(&running_lock);
	struct related_worker *w = running;
	if (w) {
		pthread_mutex_lock(&w->lock);
		if (w->n < RELATED_QUEUE_MAX && !w->stopping) {
			struct related_job *j =
			    &w->jobs[(w->head + w->n) % RELATED_QUEUE_MAX];
			str_copy(j->ref, sizeof(j->ref), ref);
			j->note = note ? xstrdup(note) : NULL;
			w->n++;
			pthread_cond_signal(&w->wake);
		} else {
			log_event(LOG_WARN, "related_queue_full", "call", ref,
			          NULL);
		}
		pthread_mutex_unlock(&w->lock);
	}
	pthread_mutex_unlock(&running_lock);
}
