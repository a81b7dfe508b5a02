/*
 * search.c - records search (search.h): keys, candidates, scores, the best
 * k with their explanations; and the audited use case around it.
 */
#include "service/search.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "records/query.h"
#include "service/audit.h"
#include "util/mem.h"
#include "util/str.h"

void search_result_free(struct search_result *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++)
		store_record_free(&r->hits[i].record);
	free(r->hits);
	memset(r, 0, sizeof(*r));
}

enum htd_err search_run(struct store *store, const struct match_nicknames *nn,
                        const struct record *query, size_t limit,
                        size_t candidates, bool sealed_visible,
                        struct search_result *out, struct htd_error *err)
{
	struct score_record q;
	struct match_keys keys;
	struct store_candidate *cand = NULL;
	int64_t *ids = NULL;
	struct store_record_list list = { 0 };
	struct score_hit *slots = NULL;
	struct score_record *prepared = NULL;
	size_t n_prepared = 0;
	enum htd_err rc;

	memset(out, 0, sizeof(*out));
	memset(&q, 0, sizeof(q));
	out->threshold = score_weights_default()->threshold;
	if (limit < 1 || limit > SEARCH_LIMIT_MAX)
		return htd_error_field(err, HTD_ERR_INVALID, "limit",
		                       "limit must be 1 to %d",
		                       SEARCH_LIMIT_MAX);
	if (candidates == 0)
		candidates = SEARCH_CANDIDATES_DEFAULT;
	if (candidates > STORE_CANDIDATES_MAX)
		candidates = STORE_CANDIDATES_MAX;
	rc = score_prepare(query, nn, &q, err);
	if (rc != HTD_OK)
		goto out;
	score_keys(&q, nn, &keys);
	if (keys.n == 0)
		goto out; /* nothing to block on: nothing can be found */
	cand = xcalloc(candidates, sizeof(*cand));
	size_t nc = 0;
	rc = store_records_candidates(store, &keys, candidates, cand, &nc, err);
	if (rc != HTD_OK || nc == 0)
		goto out;
	ids = xcalloc(nc, sizeof(*ids));
	for (size_t i = 0; i < nc; i++)
		ids[i] = cand[i].record_id;
	rc = store_records_get_many(store, ids, nc, &list, err);
	if (rc != HTD_OK)
		goto out;

	struct score_topk top;
	slots = xcalloc(limit, sizeof(*slots));
	score_topk_init(&top, slots, limit);
	/* Each candidate prepared once, kept for the explanation of the
	 * ones kept. */
	prepared = list.n ? xcalloc(list.n, sizeof(*prepared)) : NULL;
	n_prepared = list.n;
	for (size_t i = 0; i < list.n; i++) {
		const struct record *r = &list.records[i].record;
		/* Sealed records are left out before they are counted. */
		if (r->kind != query->kind || (r->sealed && !sealed_visible))
			continue;
		if (score_prepare(r, nn, &prepared[i], NULL) != HTD_OK)
			continue;
		out->candidates++;
		score_topk_offer(
		    &top, score_compare(&q, &prepared[i], NULL, NULL), i);
	}
	size_t n = score_topk_sorted(&top);
	out->hits = xcalloc(n ? n : 1, sizeof(*out->hits));
	for (size_t k = 0; k < n; k++) {
		struct store_record *src = &list.records[slots[k].id];
		struct search_hit *h = &out->hits[out->n++];
		/* The explanation, for the k kept only. */
		h->weight = score_compare(&q, &prepared[slots[k].id], NULL,
		                          &h->explain);
		h->match = score_is_match(&h->explain, NULL);
		/* The hit takes the record; the list keeps an empty one. */
		h->record = *src;
		memset(&src->record, 0, sizeof(src->record));
		/* The links as imported are never shown: they may name a
		 * sealed record. search_record_show() shows them, checked. */
		free(h->record.record.field[RECORD_F_LINKS]);
		h->record.record.field[RECORD_F_LINKS] = NULL;
	}
out:
	score_record_free(&q);
	for (size_t i = 0; i < n_prepared; i++)
		score_record_free(&prepared[i]);
	free(prepared);
	store_record_list_free(&list);
	free(slots);
	free(ids);
	free(cand);
	if (rc != HTD_OK)
		search_result_free(out);
	return rc;
}

/* The first 16 hex digits of the query's SHA-256: enough to check a claim
 * of what was asked, without keeping the words. */
static void query_digest(const char *text, char out[17])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	out[0] = '\0';
	if (EVP_Digest(text, strlen(text), md, &len, EVP_sha256(), NULL) != 1 ||
	    len < 8)
		return;
	for (int i = 0; i < 8; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

/* "name,birth_date": the fields a query asked, never their values. */
static void fields_asked(const struct record *q, char *out, size_t size)
{
	size_t o = 0;
	out[0] = '\0';
	for (int f = 0; f < RECORD_FIELD__COUNT; f++) {
		if (!q->field[f])
			continue;
		int w = snprintf(out + o, size - o, "%s%s", o ? "," : "",
		                 record_field_name((enum record_field)f));
		if (w < 0 || (size_t)w >= size - o)
			break;
		o += (size_t)w;
	}
}

/* Checks the purpose: trimmed, SEARCH_PURPOSE_MIN..MAX bytes, one line. */
static enum htd_err purpose_check(const char *purpose, char *out, size_t size,
                                  struct htd_error *err)
{
	size_t len = 0;
	const char *p = purpose ? str_trim(purpose, &len) : "";
	if (len < SEARCH_PURPOSE_MIN)
		return htd_error_field(err, HTD_ERR_INVALID, "purpose",
		                       "every search needs its purpose (why "
		                       "you search: a call id, a case), at "
		                       "least %d characters",
		                       SEARCH_PURPOSE_MIN);
	if (len > SEARCH_PURPOSE_MAX || len >= size)
		return htd_error_field(err, HTD_ERR_INVALID, "purpose",
		                       "the purpose is at most %d bytes",
		                       SEARCH_PURPOSE_MAX);
	if (!str_utf8_valid(p, len) || !str_no_controls(p, len, false))
		return htd_error_field(err, HTD_ERR_INVALID, "purpose",
		                       "the purpose must be one line of "
		                       "UTF-8 text");
	memcpy(out, p, len);
	out[len] = '\0';
	return HTD_OK;
}

enum htd_err search_records(struct service *svc, const char *actor,
                            const struct match_nicknames *nn,
                            const struct search_request *req,
                            struct search_result *out, struct htd_error *err)
{
	char purpose[SEARCH_PURPOSE_MAX + 1] = "";
	char asked[256] = "";
	char digest[17] = "";
	char detail[AUDIT_TEXT_MAX + 1];
	enum record_kind kind = RECORD_PERSON;
	struct record q;
	enum htd_err rc;

	memset(out, 0, sizeof(*out));
	record_init(&q, RECORD_PERSON);
	rc = purpose_check(req->purpose, purpose, sizeof(purpose), err);
	if (rc == HTD_OK && req->kind && !record_kind_parse(req->kind, &kind))
		rc = htd_error_field(err, HTD_ERR_INVALID, "kind",
		                     "no record kind \"%.40s\": persons, "
		                     "locations, phones, vehicles or "
		                     "businesses",
		                     req->kind);
	size_t limit = req->limit ? req->limit : SEARCH_LIMIT_DEFAULT;
	if (rc == HTD_OK && limit > SEARCH_LIMIT_MAX)
		rc = htd_error_field(err, HTD_ERR_INVALID, "limit",
		                     "limit must be 1 to %d", SEARCH_LIMIT_MAX);
	if (rc == HTD_OK) {
		rc = records_query_parse(req->query, kind, &q, err);
		if (rc == HTD_OK) {
			fields_asked(&q, asked, sizeof(asked));
			query_digest(req->query, digest);
		}
	}
	if (rc == HTD_OK)
		rc = search_run(svc->store, nn, &q, limit, 0,
		                req->sealed_visible, out, err);
	record_free(&q);

	if (svc->address) {
		if (rc == HTD_OK)
			str_format(detail, sizeof(detail),
			           "kind=%s fields=%s hits=%zu q=%s purpose=%s",
			           record_kind_name(kind), asked, out->n,
			           digest, purpose);
		else
			/* The reason by its name and field only: a message
			 * may quote the query. */
			str_format(detail, sizeof(detail),
			           "kind=%s refused=%s field=%s purpose=%s",
			           record_kind_name(kind), htd_err_name(rc),
			           err && err->field[0] ? err->field : "-",
			           purpose[0] ? purpose : "(none)");
		struct audit_entry ae = {
			.actor = actor,
			.action = "records.search",
			.object = "records",
			.address = svc->address,
			.detail = detail,
		};
		bool answered = rc == HTD_OK;
		rc = audit_result(svc, &ae, rc, err);
		if (answered && rc != HTD_OK)
			search_result_free(out); /* not without its entry */
	}
	return rc;
}

void record_view_free(struct record_view *v)
{
	if (!v)
		return;
	store_record_free(&v->record);
	store_record_link_list_free(&v->links);
	free(v->other_sealed);
	memset(v, 0, sizeof(*v));
}

/* Marks the other records' sealed flags and leaves out the links to
 * those the asker may not see. */
static enum htd_err view_filter(struct store *store, bool sealed_visible,
                                struct record_view *v, struct htd_error *err)
{
	struct store_record_link_list *ls = &v->links;
	int64_t *ids = xcalloc(ls->n ? ls->n : 1, sizeof(*ids));
	size_t n = 0;
	for (size_t i = 0; i < ls->n; i++)
		if (ls->links[i].other_id > 0)
			ids[n++] = ls->links[i].other_id;
	struct store_record_list others = { 0 };
	enum htd_err rc = store_records_get_many(store, ids, n, &others, err);
	free(ids);
	if (rc != HTD_OK)
		return rc;
	v->other_sealed = xcalloc(ls->n ? ls->n : 1, sizeof(bool));
	size_t kept = 0;
	for (size_t i = 0; i < ls->n; i++) {
		bool sealed = false;
		for (size_t k = 0; k < others.n; k++)
			if (others.records[k].id == ls->links[i].other_id)
				sealed = others.records[k].record.sealed;
		if (sealed && !sealed_visible)
			continue;
		ls->links[kept] = ls->links[i];
		v->other_sealed[kept++] = sealed;
	}
	ls->n = kept;
	store_record_list_free(&others);
	return HTD_OK;
}

enum htd_err search_record_show(struct service *svc, const char *actor,
                                int64_t id, bool sealed_visible,
                                struct record_view *out, struct htd_error *err)
{
	memset(out, 0, sizeof(*out));
	enum htd_err rc = HTD_OK;
	if (id <= 0)
		rc = htd_error_field(err, HTD_ERR_INVALID, "id",
		                     "a record id is a positive number");
	if (rc == HTD_OK) {
		rc = store_record_get(svc->store, id, &out->record, err);
		/* A sealed record the asker may not see is no record for
		 * them: the same answer as for an id never used. */
		if (rc == HTD_OK && out->record.record.sealed &&
		    !sealed_visible)
			rc = HTD_ERR_NOT_FOUND;
		if (rc == HTD_ERR_NOT_FOUND)
			htd_error_field(err, HTD_ERR_NOT_FOUND, "id",
			                "no record %lld", (long long)id);
	}
	if (rc == HTD_OK)
		rc = store_record_links(svc->store, id, &out->links, err);
	if (rc == HTD_OK)
		rc = view_filter(svc->store, sealed_visible, out, err);
	if (rc == HTD_OK) {
		/* As imported, they may name a sealed record: the links,
		 * checked, are shown instead. */
		free(out->record.record.field[RECORD_F_LINKS]);
		out->record.record.field[RECORD_F_LINKS] = NULL;
	}
	if (svc->address) {
		char object[32], detail[96];
		str_format(object, sizeof(object), "record:%lld",
		           (long long)id);
		if (rc == HTD_OK)
			str_format(detail, sizeof(detail), "links=%zu%s",
			           out->links.n,
			           sealed_visible ? " sealed_visible" : "");
		else
			str_format(detail, sizeof(detail), "refused=%s",
			           htd_err_name(rc));
		struct audit_entry ae = {
			.actor = actor,
			.action = "records.show",
			.object = object,
			.address = svc->address,
			.detail = detail,
		};
		/* No answer without its audit entry: a failure frees `out`
		 * below. */
		rc = audit_result(svc, &ae, rc, err);
	}
	if (rc != HTD_OK)
		record_view_free(out);
	return rc;
}
