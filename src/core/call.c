/*
 * call.c - names, validation and the event -> projection function of a call.
 */
#include "core/call.h"

#include <stdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/indicators.h"
#include "util/mem.h"
#include "util/str.h"

/* ---- names ------------------------------------------------------------ */

static const char *const channel_names[] = {
#define X(e, n, d) n,
	CALL_CHANNELS(X)
#undef X
};
static const char *const channel_descriptions[] = {
#define X(e, n, d) d,
	CALL_CHANNELS(X)
#undef X
};
static const char *const status_names[] = { "open", "closed" };
static const char *const category_names[] = {
#define X(e, n) n,
	CALL_CATEGORIES(X)
#undef X
};
static const char *const disposition_names[] = {
#define X(e, n, d) n,
	CALL_DISPOSITIONS(X)
#undef X
};
static const char *const disposition_descriptions[] = {
#define X(e, n, d) d,
	CALL_DISPOSITIONS(X)
#undef X
};
static const char *const event_type_names[] = {
#define X(e, n) n,
	CALL_EVENT_TYPES(X)
#undef X
};
static const char *const action_state_names[] = {
#define X(e, n) n,
	CALL_ACTION_STATES(X)
#undef X
};

static const char *name_of(const char *const *names, size_t count, int v)
{
	if (v < 0 || (size_t)v >= count)
		return "?";
	return names[v];
}

static bool parse_name(const char *const *names, size_t count, const char *s,
                       int *out)
{
	if (!s)
		return false;
	for (size_t i = 0; i < count; i++) {
		if (strcmp(names[i], s) == 0) {
			*out = (int)i;
			return true;
		}
	}
	return false;
}

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

const char *call_channel_name(enum call_channel c)
{
	return name_of(channel_names, COUNT(channel_names), (int)c);
}

const char *call_channel_description(enum call_channel c)
{
	return name_of(channel_descriptions, COUNT(channel_descriptions),
	               (int)c);
}

bool call_channel_parse(const char *s, enum call_channel *out)
{
	int v;
	if (!parse_name(channel_names, COUNT(channel_names), s, &v))
		return false;
	*out = (enum call_channel)v;
	return true;
}

const char *call_status_name(enum call_status s)
{
	return name_of(status_names, COUNT(status_names), (int)s);
}

bool call_status_parse(const char *s, enum call_status *out)
{
	int v;
	if (!parse_name(status_names, COUNT(status_names), s, &v))
		return false;
	*out = (enum call_status)v;
	return true;
}

const char *call_category_name(enum call_category c)
{
	return name_of(category_names, COUNT(category_names), (int)c);
}

bool call_category_parse(const char *s, enum call_category *out)
{
	int v;
	if (!parse_name(category_names, COUNT(category_names), s, &v))
		return false;
	*out = (enum call_category)v;
	return true;
}

const char *call_disposition_name(enum call_disposition d)
{
	if (d == CALL_DISPOSITION_NONE)
		return "";
	return name_of(disposition_names, COUNT(disposition_names), (int)d);
}

const char *call_disposition_description(enum call_disposition d)
{
	if (d == CALL_DISPOSITION_NONE)
		return "";
	return name_of(disposition_descriptions,
	               COUNT(disposition_descriptions), (int)d);
}

bool call_disposition_parse(const char *s, enum call_disposition *out)
{
	int v;
	if (!parse_name(disposition_names, COUNT(disposition_names), s, &v))
		return false;
	*out = (enum call_disposition)v;
	return true;
}

const char *call_event_type_name(enum call_event_type t)
{
	return name_of(event_type_names, COUNT(event_type_names), (int)t);
}

bool call_event_type_parse(const char *s, enum call_event_type *out)
{
	int v;
	if (!parse_name(event_type_names, COUNT(event_type_names), s, &v))
		return false;
	*out = (enum call_event_type)v;
	return true;
}

const char *call_action_state_name(enum call_action_state s)
{
	return name_of(action_state_names, COUNT(action_state_names), (int)s);
}

bool call_action_state_parse(const char *s, enum call_action_state *out)
{
	int v;
	if (!parse_name(action_state_names, COUNT(action_state_names), s, &v))
		return false;
	*out = (enum call_action_state)v;
	return true;
}

/* ---- call references -------------------------------------------------- */

#define CALL_SEQ_MAX INT64_C(999999999999)

bool call_ref_format(int year, int64_t seq, char *out, size_t size)
{
	if (year < 1970 || year > 9999 || seq < 1 || seq > CALL_SEQ_MAX)
		return false;
	return str_format(out, size, "HT-%04d-%06lld", year, (long long)seq);
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

bool call_ref_parse(const char *s, int *year, int64_t *seq)
{
	if (!s || (s[0] != 'H' && s[0] != 'h') ||
	    (s[1] != 'T' && s[1] != 't') || s[2] != '-')
		return false;
	const char *p = s + 3;
	int y = 0;
	for (int i = 0; i < 4; i++, p++) {
		if (!is_digit(*p))
			return false;
		y = y * 10 + (*p - '0');
	}
	if (*p++ != '-')
		return false;
	int64_t n = 0;
	int digits = 0;
	for (; is_digit(*p); p++) {
		if (++digits > 12)
			return false;
		n = n * 10 + (*p - '0');
	}
	if (*p != '\0' || digits == 0 || y < 1970 || n < 1)
		return false;
	*year = y;
	*seq = n;
	return true;
}

/* ---- language tags ---------------------------------------------------- */

bool call_language_normalise(const char *s, char *out, size_t size)
{
	if (!s)
		return false;
	size_t len = strlen(s);
	if (len < 2 || len > CALL_LANGUAGE_MAX || len >= size)
		return false;
	size_t i = 0, sub = 0;
	while (i < len) {
		size_t start = i;
		while (i < len && s[i] != '-' && s[i] != '_')
			i++;
		size_t n = i - start;
		if (n == 0 || n > 8)
			return false;
		bool alpha = true;
		for (size_t k = start; k < i; k++) {
			if (!is_alpha(s[k]) && !is_digit(s[k]))
				return false;
			if (!is_alpha(s[k]))
				alpha = false;
		}
		/* Primary language: 2-3 letters (ISO 639). */
		if (sub == 0 && (!alpha || n < 2 || n > 3))
			return false;
		for (size_t k = start; k < i; k++) {
			char c = s[k];
			bool upper = (sub > 0 && n == 2 && alpha) ||
			             (sub > 0 && n == 4 && alpha && k == start);
			if (upper && c >= 'a' && c <= 'z')
				c = (char)(c - 'a' + 'A');
			else if (!upper && c >= 'A' && c <= 'Z')
				c = (char)(c - 'A' + 'a');
			out[k] = c;
		}
		if (i < len) {
			out[i] = '-'; /* "es_MX" is accepted as "es-MX" */
			i++;
			if (i == len)
				return false; /* trailing separator */
		}
		sub++;
	}
	out[len] = '\0';
	return true;
}

/* ---- answers ---------------------------------------------------------- */

/* The question ids of domain.md section 2 and what they take. */
static const struct {
	const char *id;
	enum call_answer_kind kind;
} known_questions[] = {
	{ "caller_is_victim", CALL_ANSWER_YES_NO },
	{ "victim_present", CALL_ANSWER_YES_NO },
	{ "escaped", CALL_ANSWER_YES_NO },
	{ "in_danger_now", CALL_ANSWER_YES_NO },
	{ "happening_now", CALL_ANSWER_YES_NO },
	{ "safe_to_talk", CALL_ANSWER_YES_NO },
	{ "free_to_leave", CALL_ANSWER_YES_NO },
	{ "has_own_documents", CALL_ANSWER_YES_NO },
	{ "minor_involved", CALL_ANSWER_YES_NO },
	{ "specific_location", CALL_ANSWER_YES_NO },
	{ "first_hand", CALL_ANSWER_YES_NO },
	{ "language", CALL_ANSWER_LANGUAGE },
};

enum call_answer_kind call_answer_kind(const char *question)
{
	for (size_t i = 0; i < COUNT(known_questions); i++)
		if (str_eq(known_questions[i].id, question))
			return known_questions[i].kind;
	return CALL_ANSWER_FREE;
}

/* A question or action id: a lower-case letter, then lower-case letters,
 * digits or '_', at most `max` bytes. */
static bool id_valid(const char *q, size_t max)
{
	size_t n = q ? strlen(q) : 0;
	if (n == 0 || n > max || q[0] < 'a' || q[0] > 'z')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((q[i] >= 'a' && q[i] <= 'z') || is_digit(q[i]) ||
		      q[i] == '_'))
			return false;
	return true;
}

/* Checks a free text field: bounded, UTF-8, no control characters. */
static enum htd_err check_text(const char *field, const char *s, size_t max,
                               bool required, bool multiline,
                               struct htd_error *err)
{
	size_t n = s ? strlen(s) : 0;
	if (n == 0) {
		if (required)
			return htd_error_field(err, HTD_ERR_INVALID, field,
			                       "%s must not be empty", field);
		return HTD_OK;
	}
	if (n > max)
		return htd_error_field(err, HTD_ERR_TOO_LARGE, field,
		                       "%s is %zu bytes; the limit is %zu",
		                       field, n, max);
	if (!str_utf8_valid(s, n))
		return htd_error_field(err, HTD_ERR_INVALID, field,
		                       "%s is not valid UTF-8 text", field);
	if (!str_no_controls(s, n, multiline))
		return htd_error_field(err, HTD_ERR_INVALID, field,
		                       multiline
		                           ? "%s contains control characters"
		                           : "%s must be one line without "
		                             "control characters",
		                       field);
	return HTD_OK;
}

enum htd_err call_answer_normalise(const char *question, const char *value,
                                   char *out, size_t size,
                                   struct htd_error *err)
{
	if (!id_valid(question, CALL_QUESTION_ID_MAX))
		return htd_error_field(
		    err, HTD_ERR_INVALID, "question",
		    "question id '%.64s' is not valid: use lower-case "
		    "letters, digits and '_' (at most %d), e.g. "
		    "free_to_leave",
		    question ? question : "", CALL_QUESTION_ID_MAX);
	enum htd_err rc =
	    check_text("value", value, CALL_ANSWER_MAX, true, false, err);
	if (rc != HTD_OK)
		return rc;
	switch (call_answer_kind(question)) {
	case CALL_ANSWER_YES_NO: {
		static const char *const allowed[] = { "yes", "no", "unknown" };
		for (size_t i = 0; i < COUNT(allowed); i++) {
			if (strcasecmp(value, allowed[i]) == 0) {
				if (!str_copy(out, size, allowed[i]))
					break;
				return HTD_OK;
			}
		}
		return htd_error_field(err, HTD_ERR_INVALID, "value",
		                       "%s takes yes, no or unknown, not "
		                       "'%.40s'",
		                       question, value);
	}
	case CALL_ANSWER_LANGUAGE:
		if (call_language_normalise(value, out, size))
			return HTD_OK;
		return htd_error_field(err, HTD_ERR_INVALID, "value",
		                       "language takes a BCP 47 tag such as "
		                       "'es' or 'es-MX', not '%.40s'",
		                       value);
	case CALL_ANSWER_FREE: break;
	}
	if (!str_copy(out, size, value))
		return htd_error_field(err, HTD_ERR_TOO_LARGE, "value",
		                       "value is too long");
	return HTD_OK;
}

/* ---- events ----------------------------------------------------------- */

static bool callback_valid(const char *s)
{
	int digits = 0;
	for (const char *p = s; *p; p++) {
		if (is_digit(*p))
			digits++;
		else if (!strchr(" +-().x", *p))
			return false;
	}
	return digits >= 3;
}

/* A reason a person gives: required, and more than white space. */
static enum htd_err check_reason(const char *field, const char *s,
                                 bool required, struct htd_error *err)
{
	enum htd_err rc =
	    check_text(field, s, CALL_REASON_MAX, required, true, err);
	if (rc != HTD_OK)
		return rc;
	size_t len;
	str_trim(s, &len);
	if (required && len == 0)
		return htd_error_field(err, HTD_ERR_INVALID, field,
		                       "%s must say why, not only white "
		                       "space",
		                       field);
	return HTD_OK;
}

static enum htd_err check_action_id(const char *field, const char *id,
                                    struct htd_error *err)
{
	if (id_valid(id, CALL_ACTION_ID_MAX))
		return HTD_OK;
	return htd_error_field(err, HTD_ERR_INVALID, field,
	                       "action id '%.64s' is not valid: use "
	                       "lower-case letters, digits and '_' (at most "
	                       "%d), e.g. dispatch_officer",
	                       id ? id : "", CALL_ACTION_ID_MAX);
}

/* A fixed-size text member of a hit: NUL-terminated inside its array. */
static bool fixed_text(const char *s, size_t size)
{
	return memchr(s, '\0', size) != NULL;
}

static enum htd_err validate_hits(const struct call_event *e,
                                  struct htd_error *err)
{
	char field[HTD_ERROR_FIELD_MAX];
	enum indicator_id id;
	if (e->u.indicators.note < 1)
		return htd_error_field(err, HTD_ERR_INVALID, "note",
		                       "note must be the position of a "
		                       "note_added event (1 or more)");
	if (e->u.indicators.n_hits > CALL_HITS_EVENT_MAX)
		return htd_error_field(err, HTD_ERR_TOO_LARGE, "hits",
		                       "%zu hits in one event; the limit is %d",
		                       e->u.indicators.n_hits,
		                       CALL_HITS_EVENT_MAX);
	if (e->u.indicators.n_hits > 0 && !e->u.indicators.hits)
		return htd_error_field(err, HTD_ERR_INVALID, "hits",
		                       "hits are missing");
	for (size_t i = 0; i < e->u.indicators.n_hits; i++) {
		const struct call_hit *h = &e->u.indicators.hits[i];
		if (!fixed_text(h->indicator, sizeof(h->indicator)) ||
		    !indicator_parse(h->indicator, &id)) {
			str_format(field, sizeof(field), "hits[%zu].indicator",
			           i);
			return htd_error_field(
			    err, HTD_ERR_INVALID, field,
			    "'%.64s' is not an indicator id (domain.md "
			    "section 4)",
			    fixed_text(h->indicator, sizeof(h->indicator))
			        ? h->indicator
			        : "");
		}
		if (h->start > h->end || h->end > CALL_NOTE_MAX) {
			str_format(field, sizeof(field), "hits[%zu].end", i);
			return htd_error_field(
			    err, HTD_ERR_INVALID, field,
			    "hit [%u, %u) is not a span of a note (start <= "
			    "end <= %d)",
			    (unsigned)h->start, (unsigned)h->end,
			    CALL_NOTE_MAX);
		}
		if (!fixed_text(h->subject, sizeof(h->subject)) ||
		    !(str_eq(h->subject, "caller") ||
		      str_eq(h->subject, "other") || h->subject[0] == '\0')) {
			str_format(field, sizeof(field), "hits[%zu].subject",
			           i);
			return htd_error_field(err, HTD_ERR_INVALID, field,
			                       "a hit's subject is \"caller\", "
			                       "\"other\" or \"\" (unknown)");
		}
	}
	return HTD_OK;
}

static enum htd_err validate_decision(const struct call_event *e,
                                      struct htd_error *err)
{
	char field[HTD_ERROR_FIELD_MAX];
	if ((unsigned)e->u.decision.recommended >= CALL_CATEGORY__COUNT)
		return htd_error_field(err, HTD_ERR_INVALID, "recommended",
		                       "unknown category");
	if ((unsigned)e->u.decision.category >= CALL_CATEGORY__COUNT)
		return htd_error_field(err, HTD_ERR_INVALID, "category",
		                       "unknown category");
	if (e->u.decision.priority < 1 || e->u.decision.priority > 9)
		return htd_error_field(err, HTD_ERR_INVALID, "priority",
		                       "priority is 1 (highest) to 9, not %d",
		                       e->u.decision.priority);
	enum htd_err rc = check_text("decided_with", e->u.decision.decided_with,
	                             CALL_VERSION_TEXT_MAX, true, false, err);
	if (rc != HTD_OK)
		return rc;
	size_t n = e->u.decision.n_actions;
	if (n > CALL_ACTIONS_MAX)
		return htd_error_field(err, HTD_ERR_TOO_LARGE, "actions",
		                       "%zu actions in one decision; the "
		                       "limit is %d",
		                       n, CALL_ACTIONS_MAX);
	if (n > 0 && !e->u.decision.actions)
		return htd_error_field(err, HTD_ERR_INVALID, "actions",
		                       "actions are missing");
	for (size_t i = 0; i < n; i++) {
		const struct call_action *a = &e->u.decision.actions[i];
		str_format(field, sizeof(field), "actions[%zu].id", i);
		rc = check_action_id(field, a->id, err);
		if (rc != HTD_OK)
			return rc;
		for (size_t k = 0; k < i; k++)
			if (str_eq(e->u.decision.actions[k].id, a->id))
				return htd_error_field(
				    err, HTD_ERR_INVALID, field,
				    "action %s is listed twice", a->id);
		if ((unsigned)a->state >= CALL_ACTION__COUNT) {
			str_format(field, sizeof(field), "actions[%zu].state",
			           i);
			return htd_error_field(err, HTD_ERR_INVALID, field,
			                       "unknown action state");
		}
		if (a->required_since_ms < 0) {
			str_format(field, sizeof(field),
			           "actions[%zu].required_since", i);
			return htd_error_field(err, HTD_ERR_INVALID, field,
			                       "required_since is before 1970");
		}
	}
	return HTD_OK;
}

static enum htd_err validate_mark(const struct call_event *e,
                                  struct htd_error *err)
{
	enum htd_err rc = check_action_id("action", e->u.mark.action, err);
	if (rc != HTD_OK)
		return rc;
	switch (e->u.mark.state) {
	case CALL_ACTION_DONE:
	case CALL_ACTION_REQUIRED:
		return check_reason("reason", e->u.mark.reason, false, err);
	case CALL_ACTION_NOT_APPLICABLE:
		/* NENA-STA-020.1: a skipped step is documented with why. */
		return check_reason("reason", e->u.mark.reason, true, err);
	case CALL_ACTION_NOT_REQUIRED:
	case CALL_ACTION__COUNT: break;
	}
	return htd_error_field(err, HTD_ERR_INVALID, "state",
	                       "a person marks an action done or "
	                       "not_applicable, or withdraws a mark with "
	                       "required");
}

static const char *const suggestion_from[] = {
#define CALL_SUGGESTION_FROM_NAME(e, n) n,
	CALL_SUGGESTION_FROM(CALL_SUGGESTION_FROM_NAME)
#undef CALL_SUGGESTION_FROM_NAME
};

/* A short printable label or kind: ASCII without controls, 1..max. */
static bool label_valid(const char *s, size_t max)
{
	size_t n = strnlen(s, max + 1);
	if (n == 0 || n > max)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x7f)
			return false;
	return true;
}

/* NENA step 7: suggestions and links name records by id. */
static enum htd_err validate_related(const struct call_event *e,
                                     struct htd_error *err)
{
	if (e->type == CALL_EVENT_RECORD_LINKED) {
		if (e->u.link.record <= 0)
			return htd_error_field(err, HTD_ERR_INVALID, "record",
			                       "a record id is a positive "
			                       "number");
		return check_reason("reason", e->u.link.reason, false, err);
	}
	if (e->u.suggested.n == 0 || e->u.suggested.n > CALL_SUGGESTIONS_MAX ||
	    !e->u.suggested.items)
		return htd_error_field(err, HTD_ERR_INVALID, "records",
		                       "a suggestion names 1 to %d records",
		                       CALL_SUGGESTIONS_MAX);
	for (size_t i = 0; i < e->u.suggested.n; i++) {
		const struct call_suggestion *g = &e->u.suggested.items[i];
		bool from = false;
		for (size_t k = 0;
		     k < sizeof(suggestion_from) / sizeof(suggestion_from[0]);
		     k++)
			from |= strcmp(g->from, suggestion_from[k]) == 0;
		if (g->record <= 0 || !id_valid(g->kind, sizeof(g->kind) - 1) ||
		    !label_valid(g->label, CALL_SUGGESTION_LABEL_MAX) ||
		    !isfinite(g->weight) || !from ||
		    (g->why[0] &&
		     !label_valid(g->why, CALL_SUGGESTION_WHY_MAX) &&
		     !str_utf8_valid(g->why, strlen(g->why))))
			return htd_error_field(err, HTD_ERR_INVALID, "records",
			                       "suggestion %zu is not valid",
			                       i + 1);
	}
	return HTD_OK;
}

/* The outbox's events: ids as the policy and the outbox write them. */
static enum htd_err validate_notice(const struct call_event *e,
                                    struct htd_error *err)
{
	enum htd_err rc;
	if (!id_valid(e->u.notice.kind, 64))
		return htd_error_field(err, HTD_ERR_INVALID, "kind",
		                       "notice kind '%.64s' is not valid",
		                       e->u.notice.kind ? e->u.notice.kind
		                                        : "");
	rc = check_action_id("action", e->u.notice.action, err);
	if (rc == HTD_OK && !str_empty(e->u.notice.target) &&
	    !id_valid(e->u.notice.target, 64))
		rc = htd_error_field(err, HTD_ERR_INVALID, "target",
		                     "target id '%.64s' is not valid",
		                     e->u.notice.target);
	if (rc == HTD_OK)
		rc =
		    check_text("key", e->u.notice.key, 128,
		               e->type != CALL_EVENT_NOTICE_QUEUED, false, err);
	if (rc == HTD_OK)
		rc = check_reason("detail", e->u.notice.detail, false, err);
	if (rc == HTD_OK && e->u.notice.completes &&
	    e->type != CALL_EVENT_NOTICE_DELIVERED &&
	    e->type != CALL_EVENT_TASK_CONFIRMED)
		rc = htd_error_field(err, HTD_ERR_INVALID, "completes",
		                     "only a delivery or a confirmation "
		                     "completes an action");
	return rc;
}

enum htd_err call_event_validate(const struct call_event *e,
                                 struct htd_error *err)
{
	enum htd_err rc;
	char tmp[CALL_ANSWER_MAX + 1];

	if ((unsigned)e->type >= CALL_EVENT__COUNT)
		return htd_error_field(err, HTD_ERR_INVALID, "type",
		                       "unknown event type");
	if (e->at_ms <= 0)
		return htd_error_field(err, HTD_ERR_INVALID, "at",
		                       "event time is missing");
	rc = check_text("actor", e->actor, CALL_ACTOR_MAX, true, false, err);
	if (rc != HTD_OK)
		return rc;

	switch (e->type) {
	case CALL_EVENT_OPENED:
		if ((unsigned)e->u.opened.channel >= CALL_CHANNEL__COUNT)
			return htd_error_field(err, HTD_ERR_INVALID, "channel",
			                       "unknown channel");
		if (!call_language_normalise(e->u.opened.language, tmp,
		                             sizeof(tmp)) ||
		    strcmp(tmp, e->u.opened.language) != 0)
			return htd_error_field(
			    err, HTD_ERR_INVALID, "language",
			    "language must be a BCP 47 tag such as 'en', "
			    "'es' or 'es-MX', not '%.40s'",
			    e->u.opened.language ? e->u.opened.language : "");
		rc = check_text("location", e->u.opened.location_text,
		                CALL_LOCATION_MAX, false, false, err);
		if (rc == HTD_OK)
			rc = check_text("callback", e->u.opened.callback_number,
			                CALL_CALLBACK_MAX, false, false, err);
		if (rc == HTD_OK && !str_empty(e->u.opened.callback_number) &&
		    !callback_valid(e->u.opened.callback_number))
			rc = htd_error_field(
			    err, HTD_ERR_INVALID, "callback",
			    "callback number '%.32s' must hold digits and "
			    "only '+', '-', '(', ')', '.', ' ' or 'x'",
			    e->u.opened.callback_number);
		if (rc == HTD_OK)
			rc =
			    check_text("caller_name", e->u.opened.caller_name,
			               CALL_CALLER_NAME_MAX, false, false, err);
		return rc;
	case CALL_EVENT_NOTE_ADDED:
		return check_text("text", e->u.note.text, CALL_NOTE_MAX, true,
		                  true, err);
	case CALL_EVENT_ANSWER_RECORDED:
		rc = call_answer_normalise(e->u.answer.question,
		                           e->u.answer.value, tmp, sizeof(tmp),
		                           err);
		if (rc == HTD_OK && strcmp(tmp, e->u.answer.value) != 0)
			rc = htd_error_field(err, HTD_ERR_INVALID, "value",
			                     "answer is not in canonical form "
			                     "('%s')",
			                     tmp);
		return rc;
	case CALL_EVENT_CLOSED:
		if ((unsigned)e->u.closed.disposition >=
		    CALL_DISPOSITION__COUNT)
			return htd_error_field(err, HTD_ERR_INVALID,
			                       "disposition",
			                       "unknown disposition");
		return check_text("summary", e->u.closed.summary,
		                  CALL_SUMMARY_MAX, false, true, err);
	case CALL_EVENT_INDICATORS_FOUND: return validate_hits(e, err);
	case CALL_EVENT_DECISION_MADE: return validate_decision(e, err);
	case CALL_EVENT_CATEGORY_OVERRIDDEN:
		if ((unsigned)e->u.override.category >= CALL_CATEGORY__COUNT)
			return htd_error_field(err, HTD_ERR_INVALID, "category",
			                       "unknown category");
		return check_reason("reason", e->u.override.reason, true, err);
	case CALL_EVENT_ACTION_MARKED: return validate_mark(e, err);
	case CALL_EVENT_NOTICE_QUEUED:
	case CALL_EVENT_NOTICE_DELIVERED:
	case CALL_EVENT_NOTICE_FAILED:
	case CALL_EVENT_NOTICE_CANCELLED:
	case CALL_EVENT_TASK_CONFIRMED: return validate_notice(e, err);
	case CALL_EVENT_RECORDS_SUGGESTED:
	case CALL_EVENT_RECORD_LINKED: return validate_related(e, err);
	case CALL_EVENT__COUNT: break;
	}
	return htd_error_field(err, HTD_ERR_INVALID, "type",
	                       "unknown event type");
}

/* ---- projection ------------------------------------------------------- */

void call_init(struct call *c)
{
	memset(c, 0, sizeof(*c));
	c->status = CALL_STATUS_OPEN;
	c->category = CALL_CATEGORY_UNDETERMINED;
	c->channel = CALL_CHANNEL_VOICE;
	c->disposition = CALL_DISPOSITION_NONE;
	c->recommended_category = CALL_CATEGORY_UNDETERMINED;
	c->override_category = CALL_CATEGORY_UNDETERMINED;
}

static void actions_free(struct call_action *a, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(a[i].id);
		free(a[i].mark_reason);
		free(a[i].mark_by);
	}
	free(a);
}

void call_free(struct call *c)
{
	if (!c)
		return;
	free(c->language);
	free(c->location_text);
	free(c->callback_number);
	free(c->caller_name);
	free(c->opened_by);
	free(c->close_summary);
	for (size_t i = 0; i < c->n_answers; i++) {
		free(c->answers[i].question);
		free(c->answers[i].value);
	}
	free(c->answers);
	free(c->override_reason);
	free(c->override_by);
	actions_free(c->actions, c->n_actions);
	free(c->hits);
	free(c->decided_with);
	call_init(c);
}

static char *dup_or_empty(const char *s)
{
	return xstrdup(s ? s : "");
}

void call_copy(struct call *dst, const struct call *src)
{
	*dst = *src;
	/* xstrdup keeps NULL as NULL, so that the copy is call_equal(). */
	dst->language = xstrdup(src->language);
	dst->location_text = xstrdup(src->location_text);
	dst->callback_number = xstrdup(src->callback_number);
	dst->caller_name = xstrdup(src->caller_name);
	dst->opened_by = xstrdup(src->opened_by);
	dst->close_summary = xstrdup(src->close_summary);
	dst->answers = NULL;
	if (src->n_answers) {
		dst->answers = xcalloc(src->n_answers, sizeof(*dst->answers));
		for (size_t i = 0; i < src->n_answers; i++) {
			dst->answers[i].question =
			    xstrdup(src->answers[i].question);
			dst->answers[i].value = xstrdup(src->answers[i].value);
			dst->answers[i].at_ms = src->answers[i].at_ms;
		}
	}
	dst->override_reason = xstrdup(src->override_reason);
	dst->override_by = xstrdup(src->override_by);
	dst->decided_with = xstrdup(src->decided_with);
	dst->actions = NULL;
	if (src->n_actions) {
		dst->actions = xcalloc(src->n_actions, sizeof(*dst->actions));
		for (size_t i = 0; i < src->n_actions; i++) {
			struct call_action *d = &dst->actions[i];
			*d = src->actions[i];
			d->id = xstrdup(src->actions[i].id);
			d->mark_reason = xstrdup(src->actions[i].mark_reason);
			d->mark_by = xstrdup(src->actions[i].mark_by);
		}
	}
	dst->hits = NULL;
	if (src->n_hits) {
		dst->hits = xcalloc(src->n_hits, sizeof(*dst->hits));
		memcpy(dst->hits, src->hits, src->n_hits * sizeof(*dst->hits));
	}
}

const struct call_action *call_action_get(const struct call *c, const char *id)
{
	for (size_t i = 0; i < c->n_actions; i++)
		if (str_eq(c->actions[i].id, id))
			return &c->actions[i];
	return NULL;
}

const struct call_answer *call_answer_get(const struct call *c,
                                          const char *question)
{
	for (size_t i = 0; i < c->n_answers; i++)
		if (str_eq(c->answers[i].question, question))
			return &c->answers[i];
	return NULL;
}

static void replace(char **field, const char *value)
{
	free(*field);
	*field = dup_or_empty(value);
}

/* call_action_get() for a call we may change (as strchr() does). */
static struct call_action *action_find(struct call *c, const char *id)
{
	return (struct call_action *)call_action_get(c, id);
}

/* Adds an action not yet on the checklist; the caller checked the room. */
static struct call_action *action_add(struct call *c, const char *id)
{
	c->actions =
	    xrealloc(c->actions, (c->n_actions + 1) * sizeof(*c->actions));
	struct call_action *a = &c->actions[c->n_actions++];
	memset(a, 0, sizeof(*a));
	a->id = xstrdup(id);
	a->state = CALL_ACTION_NOT_REQUIRED;
	a->mark_reason = xstrdup("");
	a->mark_by = xstrdup("");
	return a;
}

static enum htd_err apply_indicators(struct call *c, const struct call_event *e,
                                     struct htd_error *err)
{
	/* The projection does not keep which events were notes: this checks
	 * the reference points into the history before this event, past the
	 * opened event; calls_verify() checks it is a note_added event. */
	int64_t note = e->u.indicators.note;
	if (note < 2 || note > c->version || c->note_count == 0)
		return htd_error_field(err, HTD_ERR_CONFLICT, "note",
		                       "call %s has no note at position %lld",
		                       c->ref, (long long)note);
	/* Hits beyond CALL_HITS_MAX are dropped, the later ones first, so the
	 * projection stays bounded and replays to the same state. */
	size_t room = CALL_HITS_MAX - c->n_hits;
	size_t n =
	    e->u.indicators.n_hits < room ? e->u.indicators.n_hits : room;
	if (n == 0)
		return HTD_OK;
	c->hits = xrealloc(c->hits, (c->n_hits + n) * sizeof(*c->hits));
	for (size_t i = 0; i < n; i++) {
		const struct call_hit *from = &e->u.indicators.hits[i];
		struct call_hit *h = &c->hits[c->n_hits + i];
		memset(h, 0, sizeof(*h));
		str_copy(h->indicator, sizeof(h->indicator), from->indicator);
		h->note = note;
		h->start = from->start;
		h->end = from->end;
		h->negated = from->negated;
		h->hypothetical = from->hypothetical;
		h->historical = from->historical;
		str_copy(h->subject, sizeof(h->subject), from->subject);
	}
	c->n_hits += n;
	return HTD_OK;
}

static enum htd_err apply_decision(struct call *c, const struct call_event *e,
                                   struct htd_error *err)
{
	const struct call_action *ev = e->u.decision.actions;
	size_t n = e->u.decision.n_actions, added = 0;
	for (size_t i = 0; i < n; i++)
		if (!action_find(c, ev[i].id))
			added++;
	if (c->n_actions + added > CALL_ACTIONS_MAX)
		return htd_error_field(err, HTD_ERR_TOO_LARGE, "actions",
		                       "call %s would have more than %d "
		                       "actions",
		                       c->ref, CALL_ACTIONS_MAX);

	c->recommended_category = e->u.decision.recommended;
	c->category = e->u.decision.category;
	c->priority = e->u.decision.priority;
	replace(&c->decided_with, e->u.decision.decided_with);
	/* What the policy no longer lists is no longer required, unless a
	 * person marked it. */
	for (size_t i = 0; i < c->n_actions; i++) {
		bool listed = false;
		for (size_t k = 0; k < n && !listed; k++)
			listed = str_eq(c->actions[i].id, ev[k].id);
		if (!listed && !c->actions[i].marked)
			c->actions[i].state = CALL_ACTION_NOT_REQUIRED;
	}
	for (size_t k = 0; k < n; k++) {
		struct call_action *a = action_find(c, ev[k].id);
		if (!a)
			a = action_add(c, ev[k].id);
		/* A person's mark wins over the policy until withdrawn. */
		if (!a->marked)
			a->state = ev[k].state;
		/* domain.md: the first moment an action became required is
		 * kept, so time-to-dispatch is measurable. */
		if (a->required_since_ms == 0)
			a->required_since_ms = ev[k].required_since_ms;
	}
	return HTD_OK;
}

static void apply_override(struct call *c, const struct call_event *e)
{
	c->override_category = e->u.override.category;
	if (e->u.override.category == CALL_CATEGORY_UNDETERMINED) {
		replace(&c->override_reason, "");
		replace(&c->override_by, "");
		c->override_at_ms = 0;
		return;
	}
	replace(&c->override_reason, e->u.override.reason);
	replace(&c->override_by, e->actor);
	c->override_at_ms = e->at_ms;
}

static enum htd_err apply_mark(struct call *c, const struct call_event *e,
                               struct htd_error *err)
{
	struct call_action *a = action_find(c, e->u.mark.action);
	if (!a) {
		if (c->n_actions >= CALL_ACTIONS_MAX)
			return htd_error_field(err, HTD_ERR_TOO_LARGE, "action",
			                       "call %s already has %d actions",
			                       c->ref, CALL_ACTIONS_MAX);
		a = action_add(c, e->u.mark.action);
	}
	a->state = e->u.mark.state;
	if (e->u.mark.state == CALL_ACTION_REQUIRED) {
		/* Withdrawn: required until the next decision says. */
		a->marked = false;
		replace(&a->mark_reason, "");
		replace(&a->mark_by, "");
		a->mark_at_ms = 0;
		return HTD_OK;
	}
	a->marked = true;
	replace(&a->mark_reason, e->u.mark.reason);
	replace(&a->mark_by, e->actor);
	a->mark_at_ms = e->at_ms;
	return HTD_OK;
}

enum htd_err call_apply(struct call *c, const struct call_event *e,
                        struct htd_error *err)
{
	if (e->type == CALL_EVENT_OPENED) {
		if (c->version != 0)
			return htd_error_set(err, HTD_ERR_CONFLICT,
			                     "call %s is already open", c->ref);
	} else if (c->version == 0) {
		return htd_error_set(err, HTD_ERR_CONFLICT,
		                     "a call must be opened before anything "
		                     "else is recorded");
	}
	if (c->status == CALL_STATUS_CLOSED) {
		/* Notes (supplements), their indicators and the decision
		 * they lead to are still recorded after closing. */
		const char *why = NULL;
		switch (e->type) {
		case CALL_EVENT_CLOSED:
			why = "it cannot be closed again";
			break;
		case CALL_EVENT_ANSWER_RECORDED:
			why = "answers can no longer change (add a note "
			      "instead)";
			break;
		case CALL_EVENT_CATEGORY_OVERRIDDEN:
			why = "its category can no longer be overridden";
			break;
		case CALL_EVENT_ACTION_MARKED:
			why = "its actions can no longer be marked";
			break;
		case CALL_EVENT_OPENED:
		case CALL_EVENT_NOTE_ADDED:
		case CALL_EVENT_INDICATORS_FOUND:
		case CALL_EVENT_DECISION_MADE:
		case CALL_EVENT_NOTICE_QUEUED:
		case CALL_EVENT_NOTICE_DELIVERED:
		case CALL_EVENT_NOTICE_FAILED:
		case CALL_EVENT_NOTICE_CANCELLED:
		case CALL_EVENT_TASK_CONFIRMED:
		case CALL_EVENT_RECORDS_SUGGESTED:
		case CALL_EVENT_RECORD_LINKED:
		case CALL_EVENT__COUNT: break;
		}
		if (why)
			return htd_error_set(err, HTD_ERR_CONFLICT,
			                     "call %s is closed; %s", c->ref,
			                     why);
	}

	switch (e->type) {
	case CALL_EVENT_OPENED:
		c->status = CALL_STATUS_OPEN;
		c->channel = e->u.opened.channel;
		replace(&c->language, e->u.opened.language);
		replace(&c->location_text, e->u.opened.location_text);
		replace(&c->callback_number, e->u.opened.callback_number);
		replace(&c->caller_name, e->u.opened.caller_name);
		replace(&c->opened_by, e->actor);
		replace(&c->close_summary, "");
		replace(&c->override_reason, "");
		replace(&c->override_by, "");
		replace(&c->decided_with, "");
		c->opened_at_ms = e->at_ms;
		break;
	case CALL_EVENT_NOTE_ADDED: c->note_count++; break;
	case CALL_EVENT_ANSWER_RECORDED: {
		struct call_answer *a = NULL;
		for (size_t i = 0; i < c->n_answers; i++)
			if (str_eq(c->answers[i].question,
			           e->u.answer.question))
				a = &c->answers[i];
		if (!a) {
			if (c->n_answers >= CALL_ANSWERS_MAX)
				return htd_error_field(
				    err, HTD_ERR_TOO_LARGE, "question",
				    "call %s already has answers to %d "
				    "questions",
				    c->ref, CALL_ANSWERS_MAX);
			c->answers =
			    xrealloc(c->answers,
			             (c->n_answers + 1) * sizeof(*c->answers));
			a = &c->answers[c->n_answers++];
			a->question = xstrdup(e->u.answer.question);
			a->value = NULL;
		}
		replace(&a->value, e->u.answer.value);
		a->at_ms = e->at_ms;
		if (str_eq(e->u.answer.question, "language"))
			replace(&c->language, e->u.answer.value);
		break;
	}
	case CALL_EVENT_CLOSED:
		c->status = CALL_STATUS_CLOSED;
		c->disposition = e->u.closed.disposition;
		c->closed_at_ms = e->at_ms;
		replace(&c->close_summary, e->u.closed.summary);
		break;
	case CALL_EVENT_INDICATORS_FOUND: {
		enum htd_err rc = apply_indicators(c, e, err);
		if (rc != HTD_OK)
			return rc;
		break;
	}
	case CALL_EVENT_DECISION_MADE: {
		enum htd_err rc = apply_decision(c, e, err);
		if (rc != HTD_OK)
			return rc;
		break;
	}
	case CALL_EVENT_CATEGORY_OVERRIDDEN: apply_override(c, e); break;
	case CALL_EVENT_ACTION_MARKED: {
		enum htd_err rc = apply_mark(c, e, err);
		if (rc != HTD_OK)
			return rc;
		break;
	}
	case CALL_EVENT_NOTICE_QUEUED:
	case CALL_EVENT_NOTICE_FAILED:
	case CALL_EVENT_NOTICE_CANCELLED:
	case CALL_EVENT_RECORDS_SUGGESTED:
	case CALL_EVENT_RECORD_LINKED: break;
	case CALL_EVENT_NOTICE_DELIVERED:
	case CALL_EVENT_TASK_CONFIRMED:
		if (e->u.notice.completes) {
			struct call_event m = {
				.type = CALL_EVENT_ACTION_MARKED,
				.at_ms = e->at_ms,
				.actor = e->actor,
			};
			m.u.mark.action = e->u.notice.action;
			m.u.mark.state = CALL_ACTION_DONE;
			m.u.mark.reason = e->u.notice.detail;
			enum htd_err rc = apply_mark(c, &m, err);
			if (rc != HTD_OK)
				return rc;
		}
		break;
	case CALL_EVENT__COUNT:
		return htd_error_set(err, HTD_ERR_INVALID,
		                     "unknown event type");
	}
	if (e->at_ms > c->updated_at_ms)
		c->updated_at_ms = e->at_ms;
	c->version++;
	return HTD_OK;
}

static bool differs(const char *field, char *what, size_t size)
{
	if (what)
		str_copy(what, size, field);
	return false;
}

/* Actions are kept in first-seen order; the order is compared. */
static bool actions_equal(const struct call *a, const struct call *b)
{
	if (a->n_actions != b->n_actions)
		return false;
	for (size_t i = 0; i < a->n_actions; i++) {
		const struct call_action *x = &a->actions[i];
		const struct call_action *y = &b->actions[i];
		if (!str_eq(x->id, y->id) || x->state != y->state ||
		    x->required_since_ms != y->required_since_ms ||
		    x->marked != y->marked ||
		    !str_eq(x->mark_reason, y->mark_reason) ||
		    !str_eq(x->mark_by, y->mark_by) ||
		    x->mark_at_ms != y->mark_at_ms)
			return false;
	}
	return true;
}

static bool hits_equal(const struct call *a, const struct call *b)
{
	if (a->n_hits != b->n_hits)
		return false;
	for (size_t i = 0; i < a->n_hits; i++) {
		const struct call_hit *x = &a->hits[i];
		const struct call_hit *y = &b->hits[i];
		if (strcmp(x->indicator, y->indicator) != 0 ||
		    x->note != y->note || x->start != y->start ||
		    x->end != y->end || x->negated != y->negated ||
		    x->hypothetical != y->hypothetical ||
		    x->historical != y->historical ||
		    strcmp(x->subject, y->subject) != 0)
			return false;
	}
	return true;
}

bool call_equal(const struct call *a, const struct call *b, char *what,
                size_t size)
{
	if (strcmp(a->ref, b->ref) != 0)
		return differs("ref", what, size);
	if (a->status != b->status)
		return differs("status", what, size);
	if (a->category != b->category)
		return differs("category", what, size);
	if (a->channel != b->channel)
		return differs("channel", what, size);
	if (!str_eq(a->language, b->language))
		return differs("language", what, size);
	if (!str_eq(a->location_text, b->location_text))
		return differs("location", what, size);
	if (!str_eq(a->callback_number, b->callback_number))
		return differs("callback", what, size);
	if (!str_eq(a->caller_name, b->caller_name))
		return differs("caller_name", what, size);
	if (!str_eq(a->opened_by, b->opened_by))
		return differs("opened_by", what, size);
	if (a->opened_at_ms != b->opened_at_ms)
		return differs("opened_at", what, size);
	if (a->updated_at_ms != b->updated_at_ms)
		return differs("updated_at", what, size);
	if (a->closed_at_ms != b->closed_at_ms)
		return differs("closed_at", what, size);
	if (a->disposition != b->disposition)
		return differs("disposition", what, size);
	if (!str_eq(a->close_summary, b->close_summary))
		return differs("close_summary", what, size);
	if (a->note_count != b->note_count)
		return differs("note_count", what, size);
	if (a->recommended_category != b->recommended_category)
		return differs("recommended_category", what, size);
	if (a->priority != b->priority)
		return differs("priority", what, size);
	if (a->override_category != b->override_category)
		return differs("override_category", what, size);
	if (!str_eq(a->override_reason, b->override_reason))
		return differs("override_reason", what, size);
	if (!str_eq(a->override_by, b->override_by))
		return differs("override_by", what, size);
	if (a->override_at_ms != b->override_at_ms)
		return differs("override_at", what, size);
	if (!actions_equal(a, b))
		return differs("actions", what, size);
	if (!hits_equal(a, b))
		return differs("hits", what, size);
	if (!str_eq(a->decided_with, b->decided_with))
		return differs("decided_with", what, size);
	if (a->version != b->version)
		return differs("version", what, size);
	if (a->n_answers != b->n_answers)
		return differs("answers", what, size);
	/* Answers are kept in first-answered order; the order is compared. */
	for (size_t i = 0; i < a->n_answers; i++) {
		const struct call_answer *x = &a->answers[i];
		const struct call_answer *y = &b->answers[i];
		if (!str_eq(x->question, y->question) ||
		    !str_eq(x->value, y->value) || x->at_ms != y->at_ms)
			return differs("answers", what, size);
	}
	return true;
}
