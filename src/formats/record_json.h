/*
 * record_json.h - records as JSON, one shape for the API and the CLI's
 * --json: a search hit (the record, its match weight and why, field by
 * field) and a record shown with its links and the calls it was confirmed
 * on (docs/openapi.yaml: SearchHit, RecordView).
 *
 * The caller decides what may be shown: these functions write every field
 * they are given (the service has already left out a record's raw links
 * text and the links to sealed records the asker may not see).
 */
#ifndef HTD_FORMATS_RECORD_JSON_H
#define HTD_FORMATS_RECORD_JSON_H

#include <jansson.h>
#include <stdbool.h>

#include "core/score.h"
#include "store/store.h"

/* {"id","kind","source","source_id","sealed","weight","match","fields",
 * "why": [{"field","agreement","similarity","weight"}]} (new reference). */
json_t *record_hit_json(const struct store_record *rec, double weight,
                        bool match, const struct score_explain *why);

/* {"id","kind","source","source_id","sealed","version","fields",
 * "links": [{"type","direction","kind","source","source_id","sealed",
 * "record"}], "calls": [{"call","at","by"}], "truncated"} (new reference).
 * other_sealed[i] says whether links->links[i]'s record is sealed. */
json_t *record_view_json(const struct store_record *rec,
                         const struct store_record_link_list *links,
                         const bool *other_sealed);

#endif
