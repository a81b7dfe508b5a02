/*
 * search.h - NENA step 7, "search agency records for related information":
 * a query (records/query.h) is prepared like a stored record, its blocking
 * keys (core/score.h) find the candidates in the store, each candidate is
 * scored field by field, and the best come back with the reason for their
 * weight. The CLI (`htdispatch search`), the API (POST /api/v1/search) and
 * the related-records suggestions of a call all come here.
 *
 * Every search a person makes names its purpose and is audited, as LInX
 * and N-DEx require: who, when, why, which kind, which fields were asked
 * (and a SHA-256 of the query text, never the text: it may name a victim),
 * how many results. A sealed record is left out before anything is
 * counted or ranked unless the caller may see sealed records, so no search
 * path shows one, or betrays it by a count, to a user without access.
 */
#ifndef HTD_SERVICE_SEARCH_H
#define HTD_SERVICE_SEARCH_H

#include <stdbool.h>
#include <stddef.h>

#include "core/match.h"
#include "core/record.h"
#include "core/score.h"
#include "service/calls.h"
#include "store/store.h"
#include "util/error.h"

/* A purpose is a short reason a person writes: "HT-2026-000123 follow-up". */
#define SEARCH_PURPOSE_MIN 3
#define SEARCH_PURPOSE_MAX 160
#define SEARCH_LIMIT_DEFAULT 10
#define SEARCH_LIMIT_MAX 50
/* Candidates read and scored per search, at most: the best by the number
 * of blocking keys they share with the query. */
#define SEARCH_CANDIDATES_DEFAULT 50

/* One record found. */
struct search_hit {
	struct store_record record; /* owned */
	double weight;              /* the Fellegi-Sunter match weight */
	bool match; /* score_is_match(): the threshold, or for a partial
	             * query as far as its fields can */
	struct score_explain explain;
};

struct search_result {
	struct search_hit *hits; /* owned, best first */
	size_t n;
	size_t candidates; /* visible records of the kind that were scored */
	double threshold;  /* the weight from which a whole record matches */
};

/* Frees the hits and zeroes `r`; accepts NULL. */
void search_result_free(struct search_result *r);

/*
 * The search itself, without purpose or audit (for the service below, the
 * call suggestions and the benchmark): finds the records of `query`'s kind
 * that best match it, at most `limit` (1..SEARCH_LIMIT_MAX), scoring at
 * most `candidates` of them (0: SEARCH_CANDIDATES_DEFAULT; at most
 * STORE_CANDIDATES_MAX). Sealed records are skipped unless
 * `sealed_visible`. `nn` (may be NULL) must be the nickname table the
 * records were imported with. `out` is overwritten (free with
 * search_result_free()). Returns HTD_OK (with no hits when nothing
 * matched), HTD_ERR_INVALID for a limit out of range, or the store's
 * error.
 */
enum htd_err search_run(struct store *store, const struct match_nicknames *nn,
                        const struct record *query, size_t limit,
                        size_t candidates, bool sealed_visible,
                        struct search_result *out, struct htd_error *err);

/* What a person asks. */
struct search_request {
	const char *kind;    /* "person" (default when NULL), "vehicles"... */
	const char *query;   /* records_query_parse() text */
	const char *purpose; /* why: required, SEARCH_PURPOSE_MIN..MAX bytes */
	size_t limit;        /* 0: SEARCH_LIMIT_DEFAULT */
	/* The asker's role may see sealed records (core/access.h). */
	bool sealed_visible;
};

/*
 * Runs a person's search as `actor` and audits it ("records.search", with
 * the purpose, the kind, the fields asked, the query's SHA-256 and the
 * number of hits; a refused search is audited too, with its outcome).
 * `nn` as for search_run(). HTD_ERR_INVALID (err->field "purpose",
 * "kind", "query" or "limit") for a missing or bad purpose, an unknown
 * kind, a query records_query_parse() refuses, a limit out of range;
 * HTD_ERR_TOO_LARGE for a query over QUERY_TEXT_MAX.
 */
enum htd_err search_records(struct service *svc, const char *actor,
                            const struct match_nicknames *nn,
                            const struct search_request *req,
                            struct search_result *out, struct htd_error *err);

/* A record with its links, as one person may see it. */
struct record_view {
	struct store_record record; /* owned */
	/* Its links (store_record_links()), those to a sealed record left
	 * out unless the asker may see sealed records. */
	struct store_record_link_list links;
	/* Per link: the other record is sealed (only ever true for an asker
	 * who may see it). */
	bool *other_sealed; /* owned, links.n of them */
};

/* Frees the view and zeroes it; accepts NULL. */
void record_view_free(struct record_view *v);

/*
 * Record `id` with its links (to and from other records, to the calls it
 * was confirmed on) as `actor` may see it: a sealed record is there only
 * when `sealed_visible`, otherwise HTD_ERR_NOT_FOUND, as for no record at
 * all; links to sealed records are left out in the same way, without a
 * count. Audited as a read ("records.show", object "record:ID", with the
 * number of links shown), a refusal too. HTD_ERR_INVALID (field "id") for
 * an id that is not positive.
 */
enum htd_err search_record_show(struct service *svc, const char *actor,
                                int64_t id, bool sealed_visible,
                                struct record_view *out, struct htd_error *err);

#endif
