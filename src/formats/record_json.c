/*
 * record_json.c - records as JSON (record_json.h).
 */
#include "formats/record_json.h"

#include "formats/event_json.h"

/* The record's fields that are set, by name. */
static json_t *fields_json(const struct record *r)
{
	json_t *fields = json_object();
	for (int f = 0; f < RECORD_FIELD__COUNT; f++)
		if (r->field[f])
			json_object_set_new(
			    fields, record_field_name((enum record_field)f),
			    json_string(r->field[f]));
	return fields;
}

json_t *record_hit_json(const struct store_record *rec, double weight,
                        bool match, const struct score_explain *why)
{
	const struct record *r = &rec->record;
	json_t *items = json_array();
	for (size_t i = 0; why && i < why->n; i++) {
		const struct score_explain_item *it = &why->item[i];
		json_array_append_new(
		    items, json_pack("{s:s,s:s,s:f,s:f}", "field",
		                     score_field_name(it->field), "agreement",
		                     score_level_name(it->level), "similarity",
		                     it->similarity, "weight", it->weight));
	}
	return json_pack("{s:I,s:s,s:s,s:s,s:b,s:f,s:b,s:o,s:o}", "id",
	                 (json_int_t)rec->id, "kind", record_kind_name(r->kind),
	                 "source", r->source, "source_id", r->source_id,
	                 "sealed", r->sealed, "weight", weight, "match", match,
	                 "fields", fields_json(r), "why", items);
}

json_t *record_view_json(const struct store_record *rec,
                         const struct store_record_link_list *links,
                         const bool *other_sealed)
{
	const struct record *r = &rec->record;
	json_t *out_links = json_array(), *calls = json_array();
	for (size_t i = 0; links && i < links->n; i++) {
		const struct store_record_link *l = &links->links[i];
		if (l->dir == STORE_LINK_CALL) {
			json_array_append_new(calls,
			                      json_pack("{s:s,s:o,s:s}", "call",
			                                l->call_ref, "at",
			                                time_json(l->at_ms),
			                                "by", l->actor));
			continue;
		}
		json_t *o = json_pack(
		    "{s:s,s:s,s:s,s:s,s:s,s:b}", "type", l->type, "direction",
		    l->dir == STORE_LINK_OUT ? "out" : "in", "kind",
		    record_kind_name(l->other_kind), "source", l->other_source,
		    "source_id", l->other_source_id, "sealed",
		    other_sealed && other_sealed[i]);
		json_object_set_new(o, "record",
		                    l->other_id > 0
		                        ? json_integer((json_int_t)l->other_id)
		                        : json_null());
		json_array_append_new(out_links, o);
	}
	return json_pack("{s:I,s:s,s:s,s:s,s:b,s:I,s:o,s:o,s:o,s:b}", "id",
	                 (json_int_t)rec->id, "kind", record_kind_name(r->kind),
	                 "source", r->source, "source_id", r->source_id,
	                 "sealed", r->sealed, "version",
	                 (json_int_t)rec->version, "fields", fields_json(r),
	                 "links", out_links, "calls", calls, "truncated",
	                 links && links->truncated);
}
