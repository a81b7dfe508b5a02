/*
 * call.h - a trafficking call, its events, and how events build its state.
 *
 * A call's history is an append-only list of events; its current state (the
 * "projection", struct call) is what you get by applying them in order with
 * call_apply(). The store keeps both and must agree with this function: the
 * crash tests replay every call's events and compare. Pure: no I/O, no clock;
 * times come in on the events.
 *
 * Ownership: struct call owns all its strings (free with call_free()).
 * struct call_event only borrows: its strings belong to the caller.
 */
#ifndef HTD_CORE_CALL_H
#define HTD_CORE_CALL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

/* Limits on what a call may hold, in bytes of UTF-8. */
#define CALL_REF_MAX 32      /* "HT-2026-000123" and longer sequences */
#define CALL_LANGUAGE_MAX 35 /* BCP 47 tag */
#define CALL_LOCATION_MAX 1024
#define CALL_CALLBACK_MAX 32
#define CALL_CALLER_NAME_MAX 200
#define CALL_NOTE_MAX 16384
#define CALL_QUESTION_ID_MAX 64
#define CALL_ANSWER_MAX 1000
#define CALL_SUMMARY_MAX 4000
#define CALL_ACTOR_MAX 128
#define CALL_ANSWERS_MAX 256 /* distinct questions answered per call */

/* X(ENUM, name, what a dispatcher reads) */
#define CALL_CHANNELS(X)                                         \
	X(VOICE, "voice", "voice call (9-1-1 or 10-digit)")      \
	X(TEXT, "text", "text to 9-1-1")                         \
	X(TTY, "tty", "TTY/TDD")                                 \
	X(VIDEO, "video", "video / sign language")               \
	X(ADMIN, "admin", "administrative (non-emergency) line") \
	X(TRANSFER, "transfer", "transferred in from another agency or PSAP")

enum call_channel {
/* An X-macro expansion is a list: */
/* clang-format off */
#define CALL_CHANNEL_ENUM(e, n, d) CALL_CHANNEL_##e,
	CALL_CHANNELS(CALL_CHANNEL_ENUM)
#undef CALL_CHANNEL_ENUM
	CALL_CHANNEL__COUNT
	/* clang-format on */
};

enum call_status { CALL_STATUS_OPEN, CALL_STATUS_CLOSED, CALL_STATUS__COUNT };

/* domain.md section 2; "undetermined" until the protocol has decided. */
#define CALL_CATEGORIES(X)                \
	X(UNDETERMINED, "undetermined")   \
	X(VICTIM_ESCAPE, "victim_escape") \
	X(VICTIM_CALL, "victim_call")     \
	X(CREDIBLE_TIP, "credible_tip")   \
	X(OTHER, "other")

enum call_category {
/* An X-macro expansion is a list: */
/* clang-format off */
#define CALL_CATEGORY_ENUM(e, n) CALL_CATEGORY_##e,
	CALL_CATEGORIES(CALL_CATEGORY_ENUM)
#undef CALL_CATEGORY_ENUM
	CALL_CATEGORY__COUNT
	/* clang-format on */
};

/* How a call ended (NENA-STA-020.1: every call documented with one). */
#define CALL_DISPOSITIONS(X)                                      \
	X(OFFICER_HANDLED, "officer_handled",                     \
	  "officer dispatched; handled by law enforcement")       \
	X(TRANSFERRED_TIP_LINE, "transferred_tip_line",           \
	  "warm-transferred to the tip line (Crime Stoppers)")    \
	X(REFERRED_HOTLINE, "referred_hotline",                   \
	  "referred to the National Human Trafficking Hotline")   \
	X(REFERRED_OTHER_AGENCY, "referred_other_agency",         \
	  "referred to another agency (HSI, FBI, DOL...)")        \
	X(INFORMATION_ONLY, "information_only",                   \
	  "information given; no trafficking situation reported") \
	X(UNFOUNDED, "unfounded", "no trafficking found")         \
	X(DUPLICATE, "duplicate", "duplicate of another call")    \
	X(DISCONNECTED, "disconnected", "caller disconnected; could not reach")

enum call_disposition {
/* An X-macro expansion is a list: */
/* clang-format off */
#define CALL_DISPOSITION_ENUM(e, n, d) CALL_DISPOSITION_##e,
	CALL_DISPOSITIONS(CALL_DISPOSITION_ENUM)
#undef CALL_DISPOSITION_ENUM
	CALL_DISPOSITION__COUNT,
	CALL_DISPOSITION_NONE = CALL_DISPOSITION__COUNT
	/* clang-format on */
};

#define CALL_EVENT_TYPES(X)                           \
	X(OPENED, "call_opened")                      \
	X(NOTE_ADDED, "note_added")                   \
	X(ANSWER_RECORDED, "answer_recorded")         \
	X(CLOSED, "call_closed")                      \
	X(INDICATORS_FOUND, "indicators_found")       \
	X(DECISION_MADE, "decision_made")             \
	X(CATEGORY_OVERRIDDEN, "category_overridden") \
	X(ACTION_MARKED, "action_marked")             \
	X(NOTICE_QUEUED, "notice_queued")             \
	X(NOTICE_DELIVERED, "notice_delivered")       \
	X(NOTICE_FAILED, "notice_failed")             \
	X(NOTICE_CANCELLED, "notice_cancelled")       \
	X(TASK_CONFIRMED, "task_confirmed")           \
	X(RECORDS_SUGGESTED, "records_suggested")     \
	X(RECORD_LINKED, "record_linked")

enum call_event_type {
/* An X-macro expansion is a list: */
/* clang-format off */
#define CALL_EVENT_ENUM(e, n) CALL_EVENT_##e,
	CALL_EVENT_TYPES(CALL_EVENT_ENUM)
#undef CALL_EVENT_ENUM
	CALL_EVENT__COUNT
	/* clang-format on */
};

/* The state of one action of a call's checklist (domain.md section 2). */
#define CALL_ACTION_STATES(X)                                             \
	X(REQUIRED, "required")             /* policy asks for it now */  \
	X(DONE, "done")                     /* done, by whom and when */  \
	X(NOT_APPLICABLE, "not_applicable") /* a dispatcher says so    */ \
	X(NOT_REQUIRED, "not_required")     /* policy no longer asks   */

enum call_action_state {
/* An X-macro expansion is a list: */
/* clang-format off */
#define CALL_ACTION_STATE_ENUM(e, n) CALL_ACTION_##e,
	CALL_ACTION_STATES(CALL_ACTION_STATE_ENUM)
#undef CALL_ACTION_STATE_ENUM
	CALL_ACTION__COUNT
	/* clang-format on */
};

#define CALL_ACTION_ID_MAX 64
#define CALL_REASON_MAX 1000
#define CALL_ACTIONS_MAX 64 /* distinct actions on one call */
#define CALL_HITS_MAX 4096  /* indicator hits kept on one call */
/* Hits in one indicators_found event: 256 hits of the longest form take
 * 36 KiB of payload, within EVENT_PAYLOAD_MAX (formats/event_json.h). */
#define CALL_HITS_EVENT_MAX 256
#define CALL_VERSION_TEXT_MAX 128

/* NENA step 7: records a search found for a call's details. */
#define CALL_SUGGESTIONS_MAX 20       /* per records_suggested event */
#define CALL_SUGGESTION_LABEL_MAX 100 /* "rms:P-000123" */
#define CALL_SUGGESTION_WHY_MAX 300   /* the score explanation */

/* What of the call a suggestion was found from. */
#define CALL_SUGGESTION_FROM(X)                                      \
	X(CALLER, "caller")     /* the caller's name (and number) */ \
	X(CALLBACK, "callback") /* the callback number */            \
	X(LOCATION, "location") /* where it is happening */          \
	X(NOTE, "note")         /* a phone or plate in a note */

/* One record found for a call: which, how well, from what, and why (the
 * explanation names fields and agreement, never their values). */
struct call_suggestion {
	int64_t record; /* the record's id in the store */
	char kind[16];  /* record_kind_name(): "person"... */
	char label[CALL_SUGGESTION_LABEL_MAX + 1]; /* "<source>:<source_id>" */
	double weight;
	bool match;
	char from[16]; /* a CALL_SUGGESTION_FROM name */
	char why[CALL_SUGGESTION_WHY_MAX + 1];
};

/* One action of the call's checklist as the events left it. */
struct call_action {
	char *id;                     /* owned; "dispatch_officer" */
	enum call_action_state state; /* from the last decision or mark */
	int64_t required_since_ms; /* first time it became required; 0 never */
	bool marked;               /* a person marked it (done / n.a.) */
	char *mark_reason;         /* owned; "" unless marked */
	char *mark_by;             /* owned; "" unless marked */
	int64_t mark_at_ms;
};

/* One indicator hit found in a note (core/indicators), as recorded. */
struct call_hit {
	char indicator[CALL_QUESTION_ID_MAX]; /* indicator id */
	int64_t note;   /* the seq of the note_added event it was found in */
	uint32_t start; /* byte offsets in that note: [start, end) */
	uint32_t end;
	bool negated, hypothetical, historical;
	char subject[8]; /* "caller", "other", "" */
};

struct call_answer {
	char *question; /* owned; a question id */
	char *value;    /* owned */
	int64_t at_ms;  /* when this value was recorded */
};

/* The projection of a call's events. */
struct call {
	char ref[CALL_REF_MAX]; /* "HT-2026-000123"; set by the store */
	enum call_status status;
	enum call_category category;
	enum call_channel channel;
	char *language;        /* owned; BCP 47 */
	char *location_text;   /* owned; "" when unknown */
	char *callback_number; /* owned; "" when unknown */
	char *caller_name;     /* owned; "" when unknown or anonymous */
	char *opened_by;       /* owned; actor of the opened event */
	int64_t opened_at_ms;
	int64_t updated_at_ms;
	int64_t closed_at_ms; /* 0 while open */
	enum call_disposition
	    disposition;             /* CALL_DISPOSITION_NONE while open */
	char *close_summary;         /* owned; "" while open */
	struct call_answer *answers; /* owned; in first-answered order */
	size_t n_answers;
	int64_t note_count;
	/* What the protocol decided (decision_made) and what people said
	 * (category_overridden, action_marked). */
	enum call_category recommended_category; /* the engine's */
	int priority; /* 1 = highest; 0 before a decision */
	enum call_category override_category; /* UNDETERMINED: none */
	char *override_reason;                /* owned; "" when none */
	char *override_by;                    /* owned; "" when none */
	int64_t override_at_ms;
	struct call_action *actions; /* owned; in first-seen order */
	size_t n_actions;
	struct call_hit *hits; /* owned; in the order found */
	size_t n_hits;
	char *decided_with; /* owned; "nena-ht 1.0; default 2026.11"; "" */
	int64_t
	    version; /* number of events applied; the next event is version+1 */
};

/* An event; every string is borrowed from the caller. */
struct call_event {
	enum call_event_type type;
	int64_t at_ms;
	const char *actor; /* who: "user:jsmith", "cli:root" */
	union {
		struct {
			enum call_channel channel;
			const char *language;
			const char *location_text;
			const char *callback_number;
			const char *caller_name;
		} opened;
		struct {
			const char *text;
		} note;
		struct {
			const char *question;
			const char *value;
		} answer;
		struct {
			enum call_disposition disposition;
			const char *summary;
		} closed;
		struct {
			int64_t note; /* seq of the note_added event */
			const struct call_hit *hits;
			size_t n_hits; /* 0..CALL_HITS_EVENT_MAX */
		} indicators;
		struct {
			enum call_category recommended;
			enum call_category category; /* in force */
			int priority;                /* 1..9 */
			const char *decided_with;    /* protocol and policy */
			/* The checklist after this decision; each action's
			 * state and required_since_ms. Marks are not here. */
			const struct call_action *actions;
			size_t n_actions;
		} decision;
		struct {
			/* UNDETERMINED withdraws the override. */
			enum call_category category;
			const char *reason; /* required */
		} override;
		struct {
			const char *action;
			/* DONE or NOT_APPLICABLE; REQUIRED withdraws a
			 * mark. */
			enum call_action_state state;
			const char *reason; /* required for NOT_APPLICABLE */
		} mark;
		/* notice_queued, notice_delivered, notice_failed,
		 * task_confirmed: the outbox's record on the call. */
		struct {
			const char *kind;   /* policy notice kind */
			const char *action; /* the action it serves */
			const char *target; /* target id; "" when queued */
			const char *key;    /* idempotency key; "" queued */
			/* queued: the targets; delivered: where; failed:
			 * the reason; confirmed: the call-taker's words. */
			const char *detail;
			/* delivered / confirmed: the last target of the
			 * notice is done: the action is marked done by the
			 * event's actor at its time. */
			bool completes;
		} notice;
		/* records_suggested: the records found (NENA step 7),
		 * by "system:records". */
		struct {
			const struct call_suggestion *items;
			size_t n; /* 1..CALL_SUGGESTIONS_MAX */
		} suggested;
		/* record_linked: a person confirms a record is related to
		 * the call, or rejects a suggestion. */
		struct {
			int64_t record;
			bool confirmed;
			const char *reason; /* optional */
		} link;
	} u;
};

/* Names. Each *_name() returns a static string ("?" when out of range);
 * each *_parse() returns true and sets *out when `s` is a known name. */
const char *call_channel_name(enum call_channel c);
const char *call_channel_description(enum call_channel c);
bool call_channel_parse(const char *s, enum call_channel *out);
const char *call_status_name(enum call_status s);
bool call_status_parse(const char *s, enum call_status *out);
const char *call_category_name(enum call_category c);
bool call_category_parse(const char *s, enum call_category *out);
const char *call_disposition_name(enum call_disposition d);
const char *call_disposition_description(enum call_disposition d);
bool call_disposition_parse(const char *s, enum call_disposition *out);
const char *call_event_type_name(enum call_event_type t);
const char *call_action_state_name(enum call_action_state s);
bool call_action_state_parse(const char *s, enum call_action_state *out);
bool call_event_type_parse(const char *s, enum call_event_type *out);

/*
 * Call references. call_ref_format() writes "HT-<year>-<seq, at least six
 * digits>" and returns false when it does not fit or is out of range
 * (year 1970..9999, seq 1..999999999999). call_ref_parse() accepts what a
 * dispatcher might type: any case, with or without leading zeros
 * ("ht-2026-123"), and returns the parts; false when it is not a call id.
 */
bool call_ref_format(int year, int64_t seq, char *out, size_t size);
bool call_ref_parse(const char *s, int *year, int64_t *seq);

/*
 * BCP 47 language tags: call_language_normalise() checks the syntax
 * (2-3 letter language, then subtags of 1-8 letters or digits) and writes
 * the tag in canonical case ("es-MX", "zh-Hant-TW") to `out`. Returns false
 * when `s` is not a well-formed tag.
 */
bool call_language_normalise(const char *s, char *out, size_t size);

/* The kind of value a well-known question (domain.md section 2) takes. */
enum call_answer_kind {
	CALL_ANSWER_FREE,    /* not a well-known question: any short text */
	CALL_ANSWER_YES_NO,  /* yes / no / unknown */
	CALL_ANSWER_LANGUAGE /* a BCP 47 tag */
};

/* Returns the kind of answer `question` takes. */
enum call_answer_kind call_answer_kind(const char *question);

/*
 * Checks an answer and writes its canonical form to `out` (yes/no/unknown in
 * lower case, language tags in canonical case, other text as given).
 * HTD_ERR_INVALID with the field named ("question" or "value") otherwise.
 */
enum htd_err call_answer_normalise(const char *question, const char *value,
                                   char *out, size_t size,
                                   struct htd_error *err);

/* Checks every field of `e` against the limits above: well-formed UTF-8, no
 * control characters (notes and summaries may hold line breaks), known enum
 * values, syntax of ids and tags. Names the field in `err`. */
enum htd_err call_event_validate(const struct call_event *e,
                                 struct htd_error *err);

/* Initialises an empty call (version 0). */
void call_init(struct call *c);

/* Frees what `c` owns and re-initialises it; accepts NULL. */
void call_free(struct call *c);

/* Makes `dst` (initialised or freed) a deep copy of `src`. */
void call_copy(struct call *dst, const struct call *src);

/*
 * Applies one event to the projection. The event must be valid
 * (call_event_validate). Fails with HTD_ERR_CONFLICT, leaving `c` unchanged,
 * when the event does not fit the call's state: an open event on a call
 * that exists, anything before the open event, an answer, a second close,
 * an override or a mark on a closed call. Notes, the indicators found in
 * them and the decision they lead to are accepted after closing
 * (supplements).
 *
 * indicators_found appends its hits (CONFLICT unless `note` is a position
 * after the opened event and not after this call's last event; that it is
 * a note_added event is checked by calls_verify(), since the projection
 * does not keep event types). At most CALL_HITS_MAX hits are kept: later
 * ones are dropped, so the projection stays bounded and replays the same.
 *
 * decision_made sets recommended_category, priority, decided_with and
 * `category` (the category in force, which list filters use), and merges
 * the checklist: each listed action is added (first-seen order) or
 * updated to the listed state, unless a person marked it (a mark wins
 * until withdrawn); an action not listed becomes NOT_REQUIRED unless
 * marked. required_since_ms is set once, from the first decision that
 * gives it, and then kept: the first moment an action became required.
 * HTD_ERR_TOO_LARGE when the checklist would exceed CALL_ACTIONS_MAX.
 *
 * category_overridden records the override (category, reason, actor,
 * time); UNDETERMINED withdraws it. `category` changes only with the next
 * decision_made, which the service appends in the same transaction.
 *
 * records_suggested and record_linked change nothing but the version:
 * they are the call's record of its related records, read from its
 * history (service/related.h); accepted after closing, since an
 * investigation goes on.
 *
 * notice_queued and notice_failed change nothing but the version (they
 * are the call's record of its outbox). notice_delivered and
 * task_confirmed with `completes` mark the action done (as action_marked
 * DONE would, by the event's actor, with `detail` as the reason); they are
 * accepted after closing, since a delivery may complete later.
 *
 * action_marked adds the action when new; DONE or NOT_APPLICABLE marks it
 * (state, reason, actor, time); REQUIRED withdraws the mark, leaving the
 * action required until the next decision. HTD_ERR_TOO_LARGE when a new
 * action would exceed CALL_ACTIONS_MAX.
 */
enum htd_err call_apply(struct call *c, const struct call_event *e,
                        struct htd_error *err);

/* Returns the action `id` of the call's checklist, or NULL; borrowed. */
const struct call_action *call_action_get(const struct call *c, const char *id);

/* Returns the answer to `question`, or NULL; borrowed from `c`. */
const struct call_answer *call_answer_get(const struct call *c,
                                          const char *question);

/*
 * Compares two projections field by field. Returns true when equal; when
 * not, and `what` is not NULL, writes the first differing field's name.
 */
bool call_equal(const struct call *a, const struct call *b, char *what,
                size_t size);

#endif
