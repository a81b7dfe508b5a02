/*
 * decision_json.h - a protocol decision as JSON: what `htdispatch assess`
 * prints, what the API returns and what decision_made events keep as their
 * rationale. One shape everywhere (docs/protocol.md, "The decision").
 *
 * Ownership: every function returns a new reference (json_decref()); its
 * arguments are borrowed.
 */
#ifndef HTD_FORMATS_DECISION_JSON_H
#define HTD_FORMATS_DECISION_JSON_H

#include <jansson.h>
#include <stdint.h>

#include "core/call.h"
#include "core/protocol.h"

/* Returns the text of note `note` (the seq of its note_added event, or 0
 * for the notes of `assess`), or NULL when it is not at hand. */
typedef const char *(*decision_note_fn)(void *ctx, int64_t note);

/*
 * The whole decision:
 *   {"category", "recommended_category", "overridden", "priority",
 *    "covert", "amp": [...], "indicators": [...], "actions": [...],
 *    "next_questions": [...], "unanswered", "rationale": [...],
 *    "protocol": {"id", "version"}, "policy": {"id", "version"}}
 * Texts (action labels, questions) are in `language` (falling back to
 * English). `c` is the call decided on (its hits); `note_text` (may be
 * NULL) gives the notes so each indicator carries its text.
 */
json_t *decision_json(const struct decision *d, const struct protocol *proto,
                      const struct policy *pol, const struct call *c,
                      const char *language, decision_note_fn note_text,
                      void *ctx);

/* The rationale alone: [{"kind", "rule", "why", "by"?, "facts": [...]}]. */
json_t *decision_rationale_json(const struct decision *d);

/* The call's indicator hits: [{"id", "note", "start", "end", "text"?,
 * "negated", "hypothetical", "historical", "subject", "amp": [...]}]. */
json_t *decision_indicators_json(const struct call *c,
                                 decision_note_fn note_text, void *ctx);

/* AMP bits as an array of names: ["means", "purpose"]. */
json_t *decision_amp_json(unsigned amp);

#endif
