/*
 * assess.h - the stateless decision use case behind `htdispatch assess`
 * (and, later, the API's dry run): one call described as JSON in, the
 * protocol's decision as JSON out. Nothing is stored.
 *
 * The call is built from the input by the same events and core/call rules
 * as a stored call, so a decision here is the decision a stored call with
 * the same answers and notes gets.
 */
#ifndef HTD_SERVICE_ASSESS_H
#define HTD_SERVICE_ASSESS_H

#include <jansson.h>
#include <stdint.h>

#include "service/engine.h"
#include "util/error.h"

/* Largest input document accepted, in bytes. */
#define ASSESS_INPUT_MAX ((size_t)1024 * 1024)
/* Most notes in one input. */
#define ASSESS_NOTES_MAX 64

/*
 * Input (docs/protocol.md, "assess"):
 *   {"channel": "voice", "language": "en",
 *    "notes": "..." | ["...", ...],
 *    "answers": {"free_to_leave": "no", ...},
 *    "override": {"category": "credible_tip", "reason": "..."},
 *    "actions": [{"action": "radio_alert", "state": "not_applicable",
 *                 "reason": "..."}],
 *    "id": "any text, echoed"}
 * Every member is optional; unknown members are an error naming the
 * member. Answers to questions the protocol does not have are not an
 * error: each becomes a line of "warnings" in the output. An answer of the
 * wrong type is HTD_ERR_INVALID with field "answers.<id>".
 *
 * On success *out is the decision (decision_json.h) plus "warnings" (and
 * "id" when given); a new reference.
 */
enum htd_err assess_json(struct engine *en, const json_t *input, int64_t now_ms,
                         json_t **out, struct htd_error *err);

#endif
