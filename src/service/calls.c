/*
 * calls.c - the call use cases over core/call and store/.
 *
 * Every change follows one path: read the call, build the event, apply it
 * to a copy of the projection (core decides whether it fits the call's
 * state), then append event and projection together. Another writer may
 * have appended meanwhile: the store refuses a stale version and we retry
 * on the fresh state, a few times.
 *
 * With svc->address set, every use case leaves an entry in the access audit
 * (service/audit.h): a change's entry rides in the change's own
 * transaction, so it is on the record exactly when the change is; a
 * refused or failed change, and every read, is recorded on its own.
 */
#include "service/calls.h"

#include <stdlib.h>
#include <string.h>

#include "formats/decision_json.h"
#include "formats/event_json.h"
#include "service/audit.h"
#include "service/notices.h"
#include "service/outbox.h"
#include "service/units.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/str.h"

#define APPEND_RETRIES 8

enum htd_err calls_ref_canonical(const char *ref, char out[CALL_REF_MAX],
                                 struct htd_error *err)
{
	int year;
	int64_t seq;
	if (!call_ref_parse(ref, &year, &seq) ||
	    !call_ref_format(year, seq, out, CALL_REF_MAX))
		return htd_error_field(err, HTD_ERR_INVALID, "id",
		                       "'%.40s' is not a call id; call ids "
		                       "look like HT-2026-000123",
		                       ref ? ref : "");
	return HTD_OK;
}

/* Copies `s` without surrounding white space; owned. */
static char *trimmed(const char *s)
{
	size_t n;
	const char *t = str_trim(s, &n);
	return xstrndup(t, n);
}

/* What a change writes in the audit when it succeeds. */
struct change_audit {
	const char *action; /* "call.note" */
	const char *detail; /* never a note, an answer's value or a name */
};

static enum htd_err append_event(struct service *svc, const char *ref_text,
                                 struct call_event *e,
                                 const struct change_audit *audit,
                                 struct call *out, struct htd_error *err);

/* What a dispatch writes with the call's events (see calls_dispatch()). */
struct dispatch_plan;
static enum htd_err dispatch_prepare(struct service *svc,
                                     struct dispatch_plan *plan,
                                     const struct call *c, int64_t at_ms,
                                     const char *actor, struct htd_error *err);
static enum htd_err dispatch_store(struct service *svc,
                                   struct dispatch_plan *plan,
                                   const struct store_append *items, size_t n,
                                   struct htd_error *err);

static int64_t now_ms(const struct service *svc)
{
	return clock_now_ms(svc->clock);
}

/* ---- the access audit -------------------------------------------------- */

/* Who reads: reads take no actor argument. */
static const char *reader(const struct service *svc)
{
	return str_empty(svc->actor) ? "anonymous" : svc->actor;
}

/* Who decides again when no one is named: the protocol. */
static const char *audit_decider(const struct service *svc)
{
	return str_empty(svc->actor) ? "system:protocol" : svc->actor;
}

/* Whether `q` looks like a question or action id (letters, digits, '_',
 * '.', '-'), so that it may go into the audit log. */
static bool question_id_like(const char *q)
{
	size_t n = q ? strlen(q) : 0;
	if (n == 0 || n > CALL_QUESTION_ID_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = q[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '_' || c == '.' ||
		      c == '-'))
			return false;
	}
	return true;
}

static enum htd_err get_call(struct service *svc, const char *ref_text,
                             struct call *out, struct htd_error *err);

/* "call:<id>" for the audit: the canonical id, or a placeholder when
 * `ref` is not a call id (what was typed could be anything, a name even). */
static void call_object(const char *ref, char *out, size_t size)
{
	char canonical[CALL_REF_MAX];
	if (ref && calls_ref_canonical(ref, canonical, NULL) == HTD_OK)
		str_format(out, size, "call:%s", canonical);
	else
		str_copy(out, size, "call:(not a call id)");
}

/*
 * Writes an entry on its own, when the service audits, for what ended
 * with `rc` (whose message is in `err`). A failure's entry names the field
 * at fault; if the entry cannot be written that is logged, and `rc` is
 * returned unchanged. A success's entry must be written: its error is
 * returned (no read goes out unrecorded).
 */
static enum htd_err audit_call(struct service *svc, const char *actor,
                               const char *action, const char *object,
                               const char *detail, enum htd_err rc,
                               struct htd_error *err)
{
	if (!svc->address)
		return rc;
	char text[AUDIT_TEXT_MAX + 1];
	str_copy(text, sizeof(text), detail ? detail : "");
	if (rc != HTD_OK && err && err->field[0]) {
		size_t used = strlen(text);
		str_format(text + used, sizeof(text) - used, "%sfield=%s",
		           used ? " " : "", err->field);
	}
	struct audit_entry e = {
		.actor = actor,
		.action = action,
		.object = object,
		.address = svc->address,
		.detail = text,
	};
	return audit_result(svc, &e, rc, err);
}

/* Ends a change: a success is on the record already (it rode in the
 * change's transaction); a refusal or failure is recorded on its own. */
static enum htd_err change_done(struct service *svc, const char *actor,
                                const char *action, const char *ref,
                                const char *detail, enum htd_err rc,
                                struct htd_error *err)
{
	if (rc == HTD_OK)
		return rc;
	char object[CALL_REF_MAX + 32];
	call_object(ref, object, sizeof(object));
	return audit_call(svc, actor, action, object, detail, rc, err);
}

/* Ends a read of one call: recorded on its own, whatever the outcome. */
static enum htd_err read_done(struct service *svc, const char *ref,
                              const char *detail, enum htd_err rc,
                              struct htd_error *err)
{
	char object[CALL_REF_MAX + 32];
	call_object(ref, object, sizeof(object));
	return audit_call(svc, reader(svc), "call.read", object, detail, rc,
	                  err);
}

static bool decision_event(struct service *svc, const struct call *c,
                           int64_t at_ms, const char *actor,
                           struct call_event *e, struct call_action **actions,
                           char **payload, char *decided_with, size_t size);

/* The notices a new call queues, rendered once the store has its id. */
struct open_queue {
	struct notice_plan plan;
	char targets[POLICY_NOTICE__COUNT][CALL_REASON_MAX];
	char *payloads[POLICY_NOTICE__COUNT]; /* owned */
	const struct policy *policy;
	const struct call *call;
	int64_t at_ms;
	struct notice_rows rows;
};

static enum htd_err open_outbox(void *vctx, const char *ref,
                                const struct store_outbox **rows, size_t *n,
                                struct htd_error *err)
{
	struct open_queue *q = vctx;
	struct notice_context nc = { .ref = ref,
		                     .units = "",
		                     .at_ms = q->at_ms };
	notice_rows_free(&q->rows);
	for (size_t i = 0; i < q->plan.n; i++) {
		enum htd_err rc = notices_render(q->policy, q->plan.notices[i],
		                                 q->call, &nc, &q->rows, err);
		if (rc != HTD_OK)
			return rc;
	}
	*rows = q->rows.rows;
	*n = q->rows.n;
	return HTD_OK;
}

enum htd_err calls_open(struct service *svc, const char *actor,
                        const struct call_open_request *req, struct call *out,
                        struct htd_error *err)
{
	struct call_event e;
	char language[CALL_LANGUAGE_MAX + 1];
	char ref[CALL_REF_MAX];
	char *location = trimmed(req->location);
	char *callback = trimmed(req->callback);
	char *caller = trimmed(req->caller_name);
	char *payload = NULL;
	char *decision_payload = NULL;
	struct call_action *decision_actions = NULL;
	struct call_event de;
	char decided_with[CALL_VERSION_TEXT_MAX];
	struct open_queue queue;
	struct call c;
	enum htd_err rc;

	call_init(&c);
	memset(&e, 0, sizeof(e));
	memset(&de, 0, sizeof(de));
	memset(&queue, 0, sizeof(queue));
	e.type = CALL_EVENT_OPENED;
	e.at_ms = now_ms(svc);
	e.actor = actor;
	e.u.opened.channel = CALL_CHANNEL_VOICE;
	if (!str_empty(req->channel) &&
	    !call_channel_parse(req->channel, &e.u.opened.channel)) {
		rc = htd_error_field(err, HTD_ERR_INVALID, "channel",
		                     "unknown channel '%.40s'; use voice, "
		                     "text, tty, video, admin or transfer",
		                     req->channel);
		goto out;
	}
	const char *lang = str_empty(req->language) ? "en" : req->language;
	if (!call_language_normalise(lang, language, sizeof(language))) {
		rc = htd_error_field(err, HTD_ERR_INVALID, "language",
		                     "language must be a BCP 47 tag such as "
		                     "'en', 'es' or 'es-MX', not '%.40s'",
		                     lang);
		goto out;
	}
	e.u.opened.language = language;
	e.u.opened.location_text = location;
	e.u.opened.callback_number = callback;
	e.u.opened.caller_name = caller;
	rc = call_event_validate(&e, err);
	if (rc == HTD_OK)
		rc = call_apply(&c, &e, err);
	if (rc != HTD_OK)
		goto out;

	int year = time_local_year(e.at_ms);
	payload = event_json_encode(&e);
	struct store_event se[STORE_CREATE_EVENTS_MAX] = { {
	    .seq = 1,
	    .type = call_event_type_name(e.type),
	    .at_ms = e.at_ms,
	    .actor = actor,
	    .payload = payload,
	} };
	size_t n_events = 1;
	/* The first checklist (safeguarding, language support) and the first
	 * questions, stored with the opening: a call is never on record
	 * undecided. */
	if (svc->engine && decision_event(svc, &c, e.at_ms, actor, &de,
	                                  &decision_actions, &decision_payload,
	                                  decided_with, sizeof(decided_with))) {
		rc = call_event_validate(&de, err);
		if (rc == HTD_OK)
			rc = call_apply(&c, &de, err);
		if (rc != HTD_OK)
			goto out;
		se[1] = (struct store_event){
			.seq = 2,
			.type = call_event_type_name(de.type),
			.at_ms = de.at_ms,
			.actor = actor,
			.payload = decision_payload,
		};
		n_events = 2;
		/* What the first checklist sends: one notice_queued event
		 * each here, their rows rendered by the store once the
		 * call has its id (open_outbox), in the same transaction. */
		notices_plan(&svc->engine->policy, NULL, &c, &queue.plan);
		for (size_t i = 0;
		     i < queue.plan.n && n_events < STORE_CREATE_EVENTS_MAX;
		     i++) {
			const struct policy_notice *pn = queue.plan.notices[i];
			struct call_event qe = {
				.type = CALL_EVENT_NOTICE_QUEUED,
				.at_ms = e.at_ms,
				.actor = "system:notify",
			};
			qe.u.notice.kind = policy_notice_kind_name(pn->kind);
			qe.u.notice.action = pn->action;
			qe.u.notice.target = "";
			qe.u.notice.key = "";
			notices_targets_text(&svc->engine->policy, pn,
			                     queue.targets[i],
			                     sizeof(queue.targets[i]));
			qe.u.notice.detail = queue.targets[i];
			rc = call_event_validate(&qe, err);
			if (rc == HTD_OK)
				rc = call_apply(&c, &qe, err);
			if (rc != HTD_OK)
				goto out;
			queue.payloads[i] = event_json_encode(&qe);
			se[n_events] = (struct store_event){
				.seq = (int64_t)n_events + 1,
				.type = call_event_type_name(qe.type),
				.at_ms = qe.at_ms,
				.actor = qe.actor,
				.payload = queue.payloads[i],
			};
			n_events++;
		}
		queue.policy = &svc->engine->policy;
		queue.call = &c;
		queue.at_ms = e.at_ms;
	}
	struct audit_texts texts;
	struct store_audit sa;
	char detail[64];
	str_format(detail, sizeof(detail), "channel=%s",
	           call_channel_name(c.channel));
	if (svc->address) {
		struct audit_entry ae = {
			.at_ms = e.at_ms,
			.actor = actor,
			.action = "call.open",
			.address = svc->address,
			.detail = detail,
		};
		audit_prepare(svc, &ae, &texts, &sa);
		sa.object = NULL; /* the store names the new call */
	}
	rc = store_call_create(
	    svc->store, year, &c, se, n_events, svc->address ? &sa : NULL,
	    queue.plan.n ? open_outbox : NULL, &queue, ref, err);
	if (rc != HTD_OK)
		goto out;
	str_copy(c.ref, sizeof(c.ref), ref);
	if (queue.rows.n)
		outbox_doorbell();
	log_event(LOG_INFO, "call_opened", "call", ref, "channel",
	          call_channel_name(c.channel), "language", c.language, "actor",
	          actor, NULL);
	call_free(out);
	*out = c;
	call_init(&c);
out:
	call_free(&c);
	free(payload);
	free(decision_payload);
	free(decision_actions);
	for (size_t i = 0; i < queue.plan.n; i++)
		free(queue.payloads[i]);
	notice_rows_free(&queue.rows);
	free(location);
	free(callback);
	free(caller);
	if (rc != HTD_OK)
		rc = audit_call(svc, actor, "call.open", "", "", rc, err);
	else if (svc->details_changed && (!str_empty(out->location_text) ||
	                                  !str_empty(out->callback_number) ||
	                                  !str_empty(out->caller_name)))
		svc->details_changed(svc, out->ref, NULL);
	return rc;
}

/* ---- deciding ---------------------------------------------------------- */

/* True when `d` says something the call's last decision did not. */
static bool decision_differs(const struct call *c, const struct decision *d,
                             const char *decided_with)
{
	if (c->recommended_category != d->recommended ||
	    c->category != d->category || c->priority != d->priority ||
	    strcmp(c->decided_with ? c->decided_with : "", decided_with) != 0)
		return true;
	size_t listed = 0;
	for (size_t i = 0; i < c->n_actions; i++)
		if (c->actions[i].state != CALL_ACTION_NOT_REQUIRED ||
		    c->actions[i].marked)
			listed++;
	size_t shown = 0;
	for (size_t i = 0; i < d->n_actions; i++) {
		const struct decision_action *a = &d->actions[i];
		const struct call_action *ca = call_action_get(c, a->id);
		if (!ca || ca->state != a->state ||
		    ca->required_since_ms != a->required_since_ms)
			return true;
		if (a->state != CALL_ACTION_NOT_REQUIRED || ca->marked)
			shown++;
	}
	return shown != listed;
}

/* What decision_made keeps: the protocol and policy it was made with. */
static void decided_with_text(const struct engine *en, char *out, size_t size)
{
	str_format(out, size, "%s %s; %s %s", en->protocol.id,
	           en->protocol.version, en->policy.id, en->policy.version);
}

/*
 * Decides on `c` as it stands and, when the decision changed, fills `e`
 * (a decision_made event; its actions in *actions, owned) and *payload
 * (owned), and returns true.
 */
static bool decision_event(struct service *svc, const struct call *c,
                           int64_t at_ms, const char *actor,
                           struct call_event *e, struct call_action **actions,
                           char **payload, char *decided_with, size_t size)
{
	const struct engine *en = svc->engine;
	struct decision d;
	struct decision_input in = { .call = c, .now_ms = at_ms };

	protocol_decide(&en->protocol, &en->policy, &in, &d);
	decided_with_text(en, decided_with, size);
	bool changed = decision_differs(c, &d, decided_with);
	if (changed) {
		*actions =
		    xcalloc(d.n_actions ? d.n_actions : 1, sizeof(**actions));
		for (size_t i = 0; i < d.n_actions; i++) {
			(*actions)[i].id = (char *)d.actions[i].id;
			(*actions)[i].state = d.actions[i].state;
			(*actions)[i].required_since_ms =
			    d.actions[i].required_since_ms;
		}
		memset(e, 0, sizeof(*e));
		e->type = CALL_EVENT_DECISION_MADE;
		e->at_ms = at_ms;
		e->actor = actor;
		e->u.decision.recommended = d.recommended;
		e->u.decision.category = d.category;
		e->u.decision.priority = d.priority;
		e->u.decision.decided_with = decided_with;
		e->u.decision.actions = *actions;
		e->u.decision.n_actions = d.n_actions;
		json_t *extra = json_pack("{s:o}", "rationale",
		                          decision_rationale_json(&d));
		*payload = event_json_encode_with(e, extra);
		json_decref(extra);
	}
	decision_free(&d);
	return changed;
}

/* The events of one change, with the state after each: the event, the
 * indicators found, the decision, a notice_queued per notice, and a
 * notice_cancelled per outbox row withdrawn. */
#define CHANGE_EVENTS_MAX (3 + POLICY_NOTICE__COUNT + NOTICES_WITHDRAW_MAX)
/* Why a row was withdrawn: "refer_nhth no longer required: ...". */
#define CHANGE_WHY_MAX 200

struct change {
	struct call_event events[CHANGE_EVENTS_MAX];
	char *payloads[CHANGE_EVENTS_MAX]; /* owned */
	struct call states[CHANGE_EVENTS_MAX];
	struct store_event stored[CHANGE_EVENTS_MAX];
	struct store_append items[CHANGE_EVENTS_MAX];
	size_t n;
	struct call_action *actions; /* owned: of the decision event */
	char decided_with[CALL_VERSION_TEXT_MAX];
	struct notice_rows rows[CHANGE_EVENTS_MAX]; /* of each item */
	char targets[POLICY_NOTICE__COUNT][CALL_REASON_MAX];
	/* The call's outbox, read when a row may be withdrawn or queued
	 * again; the rows withdrawn, and why. */
	struct store_outbox_list outbox;
	int64_t cancel[NOTICES_WITHDRAW_MAX];
	char why[NOTICES_WITHDRAW_MAX][CHANGE_WHY_MAX];
	size_t n_cancel;
};

static void change_reset(struct change *ch)
{
	for (size_t i = 0; i < ch->n; i++) {
		free(ch->payloads[i]);
		call_free(&ch->states[i]);
		notice_rows_free(&ch->rows[i]);
	}
	free(ch->actions);
	ch->actions = NULL;
	ch->n = 0;
	store_outbox_list_free(&ch->outbox);
	ch->n_cancel = 0;
}

/* Applies event `e` (payload owned by the change) to `c` and keeps it. */
static enum htd_err change_add(struct change *ch, struct call *c,
                               const char *ref, const struct call_event *e,
                               char *payload, struct htd_error *err)
{
	int64_t version = c->version;
	enum htd_err rc = call_event_validate(e, err);
	if (rc == HTD_OK)
		rc = call_apply(c, e, err);
	if (rc != HTD_OK) {
		free(payload);
		return rc;
	}
	size_t i = ch->n++;
	ch->events[i] = *e;
	ch->payloads[i] = payload;
	call_init(&ch->states[i]);
	call_copy(&ch->states[i], c);
	ch->stored[i] = (struct store_event){
		.seq = version + 1,
		.type = call_event_type_name(e->type),
		.at_ms = e->at_ms,
		.actor = e->actor,
		.payload = payload,
	};
	ch->items[i] = (struct store_append){
		.call_ref = ref,
		.expected_version = version,
		.event = &ch->stored[i],
		.projection = &ch->states[i],
	};
	return HTD_OK;
}

/* The call signs of the units sent to call `ref`, for the notices. */
static void units_text(struct service *svc, const char *ref, char *out,
                       size_t size)
{
	struct store_unit_list l = { 0 };
	struct htd_error err;
	struct buf b;
	size_t n = 0;
	out[0] = '\0';
	if (store_unit_list(svc->store, &l, &err) != HTD_OK)
		return;
	buf_init(&b, size > 1 ? size - 1 : 1);
	for (size_t i = 0; i < l.n; i++)
		if (str_eq(l.units[i].call_ref, ref))
			(void)buf_printf(&b, "%s%s", n++ ? ", " : "",
			                 l.units[i].unit.call_sign);
	str_copy(out, size, buf_str(&b));
	buf_free(&b);
	store_unit_list_free(&l);
}

/*
 * Appends a notice_queued event for each notice `before` -> `c` makes due,
 * with its outbox rows on the event's item (notices.h).
 */
static enum htd_err change_queue_notices(struct service *svc, struct change *ch,
                                         const struct call *before,
                                         struct call *c, const char *ref,
                                         int64_t at_ms, struct htd_error *err)
{
	const struct policy *pol = &svc->engine->policy;
	struct notice_plan plan;
	char units[256];
	notices_plan(pol, before, c, &plan);
	notices_plan_again(pol, before, c, &ch->outbox, &plan);
	if (plan.n == 0)
		return HTD_OK;
	units_text(svc, ref, units, sizeof(units));
	for (size_t i = 0; i < plan.n && ch->n < CHANGE_EVENTS_MAX; i++) {
		const struct policy_notice *pn = plan.notices[i];
		struct notice_context nc = {
			.ref = ref,
			.units = units,
			.at_ms = at_ms,
			/* The seq of the decision this follows. */
			.update_seq = plan.update[i] ? c->version : 0,
			.again_seq = plan.again[i] ? c->version : 0,
		};
		struct notice_rows rows = { 0 };
		enum htd_err rc = notices_render(pol, pn, c, &nc, &rows, err);
		if (rc != HTD_OK)
			return rc;
		struct call_event qe = {
			.type = CALL_EVENT_NOTICE_QUEUED,
			.at_ms = at_ms,
			.actor = "system:notify",
		};
		char kind[STORE_OUTBOX_KIND_MAX + 1];
		str_format(kind, sizeof(kind), "%s%s",
		           policy_notice_kind_name(pn->kind),
		           plan.update[i] ? "_update" : "");
		qe.u.notice.kind = kind;
		qe.u.notice.action = pn->action;
		qe.u.notice.target = "";
		qe.u.notice.key = "";
		notices_targets_text(pol, pn, ch->targets[i],
		                     sizeof(ch->targets[i]));
		qe.u.notice.detail = ch->targets[i];
		rc = change_add(ch, c, ref, &qe, event_json_encode(&qe), err);
		if (rc != HTD_OK) {
			notice_rows_free(&rows);
			return rc;
		}
		size_t k = ch->n - 1;
		ch->rows[k] = rows;
		ch->items[k].outbox = rows.rows;
		ch->items[k].n_outbox = rows.n;
	}
	return HTD_OK;
}

/* True when call `c` has an action that was required once and no longer
 * is in force: its outbox rows may have to be withdrawn (or, required
 * again, queued again). */
static bool outbox_may_change(const struct call *c, const struct call *before)
{
	for (size_t i = 0; i < c->n_actions; i++) {
		const struct call_action *a = &c->actions[i];
		bool in_force = a->state == CALL_ACTION_REQUIRED ||
		                a->state == CALL_ACTION_DONE;
		if (a->required_since_ms != 0 && !in_force)
			return true;
	}
	for (size_t i = 0; i < before->n_actions; i++) {
		const struct call_action *a = &before->actions[i];
		if (a->required_since_ms != 0 &&
		    a->state != CALL_ACTION_REQUIRED &&
		    a->state != CALL_ACTION_DONE)
			return true;
	}
	return false;
}

/*
 * Appends a notice_cancelled event for each outbox row of the call that
 * `c` no longer needs (notices_withdraw), the row's withdrawal riding on
 * its event's item: the store cancels it in the change's transaction,
 * provided it is still pending or task_open (else HTD_ERR_CONFLICT: a
 * delivery won the race; the change is re-read and decided again).
 * `decision` is the seq of this change's decision_made (0: none).
 */
static enum htd_err change_withdraw(struct change *ch, struct call *c,
                                    const char *ref, int64_t at_ms,
                                    int64_t decision, struct htd_error *err)
{
	struct notice_withdrawal w;
	notices_withdraw(c, &ch->outbox, &w);
	for (size_t i = 0; i < w.n && ch->n < CHANGE_EVENTS_MAX; i++) {
		const struct store_outbox *o = w.rows[i];
		const struct call_action *a = call_action_get(c, o->action);
		char *why = ch->why[ch->n_cancel];
		if (a && a->state == CALL_ACTION_NOT_APPLICABLE && a->marked)
			str_format(why, CHANGE_WHY_MAX,
			           "%s marked not applicable by %s", o->action,
			           a->mark_by);
		else if (decision)
			str_format(why, CHANGE_WHY_MAX,
			           "%s no longer required: the call is %s "
			           "(decision %lld)",
			           o->action, call_category_name(c->category),
			           (long long)decision);
		else
			str_format(why, CHANGE_WHY_MAX, "%s no longer required",
			           o->action);
		struct call_event ce = {
			.type = CALL_EVENT_NOTICE_CANCELLED,
			.at_ms = at_ms,
			.actor = OUTBOX_ACTOR,
		};
		ce.u.notice.kind = o->kind;
		ce.u.notice.action = o->action;
		ce.u.notice.target = o->target;
		ce.u.notice.key = o->key;
		ce.u.notice.detail = why;
		enum htd_err rc =
		    change_add(ch, c, ref, &ce, event_json_encode(&ce), err);
		if (rc != HTD_OK)
			return rc;
		ch->cancel[ch->n_cancel] = o->id;
		ch->items[ch->n - 1].cancel = &ch->cancel[ch->n_cancel];
		ch->items[ch->n - 1].n_cancel = 1;
		ch->n_cancel++;
	}
	return HTD_OK;
}

/*
 * NENA step 7: after a change, the records are searched (through the
 * service's hook) when it gave the call a name, a phone or a place, or
 * while search_records is required and not yet done (related.c marks it
 * done once it searched on something).
 */
static void search_when_due(struct service *svc, const struct call *c,
                            const struct call_event *e)
{
	if (!svc->details_changed)
		return;
	const char *note =
	    e && e->type == CALL_EVENT_NOTE_ADDED ? e->u.note.text : NULL;
	bool details =
	    note || (e && e->type == CALL_EVENT_ANSWER_RECORDED &&
	             (str_eq(e->u.answer.question, "caller_name") ||
	              str_eq(e->u.answer.question, "callback_number") ||
	              str_eq(e->u.answer.question, "location")));
	const struct call_action *a = call_action_get(c, "search_records");
	bool due = a && a->state == CALL_ACTION_REQUIRED && !a->marked;
	if (details || due)
		svc->details_changed(svc, c->ref, note);
}

/*
 * Reads the call, applies `e` and what follows from it (the indicators a
 * note holds, the new decision), and appends them in one transaction,
 * retrying on a stale version. `e` NULL: only decide again. With `plan`
 * (a dispatch), the units it sends are read and checked against the call
 * at each attempt and written in the same transaction.
 */
static enum htd_err append_change(struct service *svc, const char *ref_text,
                                  struct call_event *e,
                                  const struct change_audit *audit,
                                  struct dispatch_plan *plan, struct call *out,
                                  struct htd_error *err)
{
	char ref[CALL_REF_MAX];
	char object[CALL_REF_MAX + 8];
	struct audit_texts texts;
	struct store_audit sa = { 0 };
	struct audit_entry ae = { 0 };
	struct call_hit *hits = NULL;
	size_t n_hits = 0;
	struct change ch;
	struct call c, before;
	enum htd_err rc = calls_ref_canonical(ref_text, ref, err);

	memset(&ch, 0, sizeof(ch));
	call_init(&c);
	call_init(&before);
	if (rc != HTD_OK)
		return rc;
	int64_t at_ms = now_ms(svc);
	if (audit && svc->address) {
		str_format(object, sizeof(object), "call:%s", ref);
		ae = (struct audit_entry){
			.at_ms = at_ms,
			.actor = e ? e->actor : audit_decider(svc),
			.action = audit->action,
			.object = object,
			.address = svc->address,
			.outcome = AUDIT_OUTCOME_OK,
			.detail = audit->detail,
		};
		audit_prepare(svc, &ae, &texts, &sa);
	} else {
		audit = NULL;
	}
	if (e) {
		e->at_ms = at_ms;
		rc = call_event_validate(e, err);
		if (rc != HTD_OK)
			return rc;
		if (e->type == CALL_EVENT_NOTE_ADDED && svc->engine) {
			rc = engine_scan_note(svc->engine, e->u.note.text, 0,
			                      &hits, &n_hits, err);
			if (rc != HTD_OK)
				return rc;
		}
	}
	for (int attempt = 0;; attempt++) {
		change_reset(&ch);
		rc = store_call_get(svc->store, ref, &c, err);
		if (rc != HTD_OK)
			break;
		call_free(&before);
		call_copy(&before, &c);
		if (plan) {
			rc = dispatch_prepare(svc, plan, &c, at_ms,
			                      e ? e->actor : "", err);
			if (rc != HTD_OK)
				break;
		}
		if (e) {
			int64_t note = c.version + 1;
			rc = change_add(&ch, &c, ref, e, event_json_encode(e),
			                err);
			if (rc != HTD_OK)
				break;
			if (n_hits) {
				for (size_t i = 0; i < n_hits; i++)
					hits[i].note = note;
				struct call_event ie = {
					.type = CALL_EVENT_INDICATORS_FOUND,
					.at_ms = at_ms,
					.actor = e->actor,
				};
				ie.u.indicators.note = note;
				ie.u.indicators.hits = hits;
				ie.u.indicators.n_hits = n_hits;
				rc = change_add(&ch, &c, ref, &ie,
				                event_json_encode(&ie), err);
				if (rc != HTD_OK)
					break;
			}
		}
		int64_t decision = 0;
		if (svc->engine) {
			struct call_event de;
			char *payload = NULL;
			if (decision_event(svc, &c, at_ms,
			                   e ? e->actor : "system:protocol",
			                   &de, &ch.actions, &payload,
			                   ch.decided_with,
			                   sizeof(ch.decided_with))) {
				de.u.decision.decided_with = ch.decided_with;
				rc =
				    change_add(&ch, &c, ref, &de, payload, err);
				if (rc != HTD_OK)
					break;
				decision = c.version;
			}
		}
		/* The call's outbox, when this change may withdraw rows or
		 * queue a withdrawn notice again (read at each attempt: a
		 * delivery may have moved a row on). */
		if (ch.n && outbox_may_change(&c, &before)) {
			struct store_outbox_filter of = {
				.call_ref = ref,
				.limit = STORE_OUTBOX_LIST_MAX,
			};
			rc =
			    store_outbox_list(svc->store, &of, &ch.outbox, err);
			if (rc != HTD_OK)
				break;
		}
		if (decision) {
			rc = change_queue_notices(svc, &ch, &before, &c, ref,
			                          at_ms, err);
			if (rc != HTD_OK)
				break;
		}
		if (ch.outbox.n) {
			rc =
			    change_withdraw(&ch, &c, ref, at_ms, decision, err);
			if (rc != HTD_OK)
				break;
		}
		if (ch.n == 0) {
			/* Nothing changed (deciding again): the request is on
			 * the record all the same. */
			if (audit) {
				ae.detail = "unchanged";
				rc = audit_record(svc, &ae, err);
			}
			break;
		}
		/* The entry commits with the change or not at all. */
		ch.items[0].audit = audit ? &sa : NULL;
		if (plan)
			rc = dispatch_store(svc, plan, ch.items, ch.n, err);
		else
			rc = store_append(svc->store, ch.items, ch.n, err);
		if (rc != HTD_ERR_CONFLICT || attempt + 1 >= APPEND_RETRIES)
			break;
	}
	if (rc == HTD_OK) {
		for (size_t i = 0; i < ch.n; i++)
			if (ch.items[i].n_outbox)
				outbox_doorbell();
		if (ch.n_cancel)
			outbox_counts_cancelled(ch.n_cancel);
		for (size_t i = 0; i < ch.n; i++)
			if (ch.events[i].type == CALL_EVENT_NOTICE_CANCELLED)
				log_event(LOG_INFO, "notice_cancelled", "call",
				          ref, "kind",
				          ch.events[i].u.notice.kind, "target",
				          ch.events[i].u.notice.target, "key",
				          ch.events[i].u.notice.key, "why",
				          ch.events[i].u.notice.detail, NULL);
		for (size_t i = 0; i < ch.n; i++)
			log_event(
			    LOG_INFO, call_event_type_name(ch.events[i].type),
			    "call", ref, "actor", ch.events[i].actor, NULL);
		call_free(out);
		*out = c;
		call_init(&c);
		search_when_due(svc, out, e);
	}
	change_reset(&ch);
	call_free(&c);
	call_free(&before);
	free(hits);
	return rc;
}

static enum htd_err append_event(struct service *svc, const char *ref_text,
                                 struct call_event *e,
                                 const struct change_audit *audit,
                                 struct call *out, struct htd_error *err)
{
	return append_change(svc, ref_text, e, audit, NULL, out, err);
}

enum htd_err calls_decide(struct service *svc, const char *ref,
                          struct call *out, struct htd_error *err)
{
	if (!svc->engine)
		return htd_error_set(err, HTD_ERR_USAGE,
		                     "no protocol is loaded");
	static const struct change_audit audit = { "call.decide", "" };
	enum htd_err rc = append_event(svc, ref, NULL, &audit, out, err);
	return change_done(svc, audit_decider(svc), audit.action, ref, "", rc,
	                   err);
}

enum htd_err calls_override(struct service *svc, const char *actor,
                            const char *ref, const char *category,
                            const char *reason, struct call *out,
                            struct htd_error *err)
{
	struct call_event e;
	memset(&e, 0, sizeof(e));
	e.type = CALL_EVENT_CATEGORY_OVERRIDDEN;
	e.actor = actor;
	if (str_empty(category) || strcmp(category, "none") == 0)
		e.u.override.category = CALL_CATEGORY_UNDETERMINED;
	else if (!call_category_parse(category, &e.u.override.category) ||
	         e.u.override.category == CALL_CATEGORY_UNDETERMINED)
		return change_done(
		    svc, actor, "call.override", ref, "",
		    htd_error_field(err, HTD_ERR_INVALID, "category",
		                    "category must be victim_escape, "
		                    "victim_call, credible_tip or other "
		                    "(none withdraws an override), not "
		                    "'%.40s'",
		                    category),
		    err);
	/* The category, never the reason (it may tell about the caller). */
	struct change_audit audit = {
		"call.override",
		e.u.override.category == CALL_CATEGORY_UNDETERMINED
		    ? "withdrawn"
		    : call_category_name(e.u.override.category),
	};
	char *r = trimmed(reason);
	e.u.override.reason = r;
	enum htd_err rc = HTD_OK;
	if (str_empty(r))
		rc = htd_error_field(err, HTD_ERR_INVALID, "reason",
		                     "an override needs a reason, for the "
		                     "record");
	if (rc == HTD_OK)
		rc = append_event(svc, ref, &e, &audit, out, err);
	free(r);
	return change_done(svc, actor, audit.action, ref, audit.detail, rc,
	                   err);
}

enum htd_err calls_mark_action(struct service *svc, const char *actor,
                               const char *ref, const char *action,
                               const char *state, const char *reason,
                               struct call *out, struct htd_error *err)
{
	struct call_event e;
	enum htd_err rc = HTD_OK;
	char *r = NULL;
	char detail[CALL_ACTION_ID_MAX + 40] = "";
	struct change_audit audit = { "call.mark", detail };
	memset(&e, 0, sizeof(e));
	e.type = CALL_EVENT_ACTION_MARKED;
	e.actor = actor;
	if (!call_action_state_parse(state ? state : "", &e.u.mark.state) ||
	    e.u.mark.state == CALL_ACTION_NOT_REQUIRED) {
		rc = htd_error_field(err, HTD_ERR_INVALID, "state",
		                     "state must be done, not_applicable or "
		                     "required (withdraws a mark), not "
		                     "'%.40s'",
		                     state ? state : "");
		goto out;
	}
	if (svc->engine &&
	    policy_action_index(&svc->engine->policy, action) < 0) {
		rc = htd_error_field(err, HTD_ERR_INVALID, "action",
		                     "'%.40s' is not an action of the "
		                     "policy (%s)",
		                     action ? action : "",
		                     svc->engine->policy.file);
		goto out;
	}
	/* The action and its state, never the reason; and the action only
	 * when it looks like an id (without a policy it is as typed). */
	str_format(detail, sizeof(detail), "%.64s %s",
	           question_id_like(action) ? action : "(not an action id)",
	           call_action_state_name(e.u.mark.state));
	r = trimmed(reason);
	e.u.mark.action = action;
	e.u.mark.reason = r;
	if (e.u.mark.state == CALL_ACTION_NOT_APPLICABLE && str_empty(r))
		rc = htd_error_field(err, HTD_ERR_INVALID, "reason",
		                     "marking an action not applicable needs "
		                     "a reason, for the record");
	if (rc == HTD_OK)
		rc = append_event(svc, ref, &e, &audit, out, err);
out:
	free(r);
	return change_done(svc, actor, audit.action, ref, detail, rc, err);
}

/* ---- dispatch ----------------------------------------------------------- */

/* The units of a dispatch as they will be written, rebuilt at each
 * attempt from what the store holds then. */
struct dispatch_plan {
	char call_signs[STORE_DISPATCH_UNITS_MAX][UNITS_CALL_SIGN_MAX + 1];
	size_t n;
	struct store_unit units[STORE_DISPATCH_UNITS_MAX];
	struct store_unit_event events[STORE_DISPATCH_UNITS_MAX];
	char *payloads[STORE_DISPATCH_UNITS_MAX]; /* owned */
	struct store_unit_change changes[STORE_DISPATCH_UNITS_MAX];
	int64_t since_open_ms;
};

static void dispatch_plan_reset(struct dispatch_plan *plan)
{
	for (size_t i = 0; i < plan->n; i++) {
		free(plan->payloads[i]);
		plan->payloads[i] = NULL;
	}
}

static enum htd_err dispatch_prepare(struct service *svc,
                                     struct dispatch_plan *plan,
                                     const struct call *c, int64_t at_ms,
                                     const char *actor, struct htd_error *err)
{
	dispatch_plan_reset(plan);
	if (c->status != CALL_STATUS_OPEN)
		return htd_error_set(err, HTD_ERR_CONFLICT,
		                     "call %s is closed; no unit is dispatched "
		                     "to a closed call",
		                     c->ref);
	plan->since_open_ms =
	    at_ms > c->opened_at_ms ? at_ms - c->opened_at_ms : 0;
	for (size_t i = 0; i < plan->n; i++) {
		struct store_unit *u = &plan->units[i];
		enum htd_err rc =
		    store_unit_get(svc->store, plan->call_signs[i], u, err);
		if (rc != HTD_OK)
			return rc;
		enum unit_status from = u->unit.status;
		/* Only a free unit is sent; one on another call is
		 * reassigned by clearing it first (on the record). */
		if (from != UNIT_STATUS_AVAILABLE &&
		    from != UNIT_STATUS_CLEARED)
			return htd_error_field(
			    err, HTD_ERR_CONFLICT, "units",
			    "unit %s is %s%s%s; only available or cleared "
			    "units are dispatched",
			    u->unit.call_sign, units_status_name(from),
			    u->call_ref[0] ? " on " : "", u->call_ref);
		plan->payloads[i] = units_status_payload(
		    from, UNIT_STATUS_DISPATCHED, c->ref, plan->since_open_ms);
		u->unit.status = UNIT_STATUS_DISPATCHED;
		str_copy(u->call_ref, sizeof(u->call_ref), c->ref);
		u->updated_at_ms = at_ms;
		plan->events[i] = (struct store_unit_event){
			.type = STORE_UNIT_STATUS_CHANGED,
			.at_ms = at_ms,
			.actor = actor,
			.payload = plan->payloads[i],
		};
		plan->changes[i] =
		    (struct store_unit_change){ u, &plan->events[i] };
	}
	return HTD_OK;
}

static enum htd_err dispatch_store(struct service *svc,
                                   struct dispatch_plan *plan,
                                   const struct store_append *items, size_t n,
                                   struct htd_error *err)
{
	return store_dispatch(svc->store, items, n, plan->changes, plan->n,
	                      err);
}

enum htd_err calls_dispatch(struct service *svc, const char *actor,
                            const char *ref, const char *const *call_signs,
                            size_t n, struct call *out,
                            struct store_unit *units_out,
                            int64_t *since_open_ms, struct htd_error *err)
{
	struct dispatch_plan plan;
	struct call_event e;
	enum htd_err rc = HTD_OK;
	char reason[16 + STORE_DISPATCH_UNITS_MAX * (UNITS_CALL_SIGN_MAX + 2)];
	char detail[sizeof(reason)] = "";
	struct change_audit audit = { "call.dispatch", detail };
	memset(&plan, 0, sizeof(plan));
	memset(&e, 0, sizeof(e));
	if (n < 1 || n > STORE_DISPATCH_UNITS_MAX || !call_signs) {
		rc = htd_error_field(err, HTD_ERR_INVALID, "units",
		                     "a dispatch sends 1 to %d units, not %zu",
		                     STORE_DISPATCH_UNITS_MAX,
		                     call_signs ? n : 0);
		goto out;
	}
	str_copy(reason, sizeof(reason), "dispatched ");
	for (size_t i = 0; i < n && rc == HTD_OK; i++) {
		rc = units_call_sign_canonical(call_signs[i],
		                               plan.call_signs[i], err);
		for (size_t j = 0; j < i && rc == HTD_OK; j++)
			if (strcmp(plan.call_signs[i], plan.call_signs[j]) == 0)
				rc = htd_error_field(err, HTD_ERR_INVALID,
				                     "units",
				                     "unit %s is named twice",
				                     plan.call_signs[i]);
		if (rc == HTD_OK) {
			size_t used = strlen(reason);
			str_format(reason + used, sizeof(reason) - used, "%s%s",
			           i ? ", " : "", plan.call_signs[i]);
		}
	}
	if (rc != HTD_OK)
		goto out;
	plan.n = n;
	/* The call signs, for the audit: "units=2A31,2A32". */
	str_format(detail, sizeof(detail), "units=");
	for (size_t i = 0; i < n; i++) {
		size_t used = strlen(detail);
		str_format(detail + used, sizeof(detail) - used, "%s%s",
		           i ? "," : "", plan.call_signs[i]);
	}
	/* NENA step 2, "dispatch an officer": the checklist says who sent
	 * which units and when (the mark's author and time). */
	e.type = CALL_EVENT_ACTION_MARKED;
	e.actor = actor;
	e.u.mark.action = "dispatch_officer";
	e.u.mark.state = CALL_ACTION_DONE;
	e.u.mark.reason = reason;
	rc = append_change(svc, ref, &e, &audit, &plan, out, err);
	if (rc == HTD_OK) {
		char ms[32];
		str_format(ms, sizeof(ms), "%lld",
		           (long long)plan.since_open_ms);
		log_event(LOG_INFO, "dispatched", "call", out->ref, "units",
		          detail + 6, "since_open_ms", ms, NULL);
		if (since_open_ms)
			*since_open_ms = plan.since_open_ms;
		for (size_t i = 0; units_out && i < n; i++) {
			units_out[i] = plan.units[i];
			units_out[i].version++; /* as the store wrote it */
		}
	}
out:
	dispatch_plan_reset(&plan);
	return change_done(svc, actor, audit.action, ref, detail, rc, err);
}

enum htd_err calls_decision(struct service *svc, const char *ref,
                            struct call *call, struct decision *out,
                            struct htd_error *err)
{
	if (!svc->engine)
		return htd_error_set(err, HTD_ERR_USAGE,
		                     "no protocol is loaded");
	enum htd_err rc =
	    read_done(svc, ref, "decision", get_call(svc, ref, call, err), err);
	if (rc != HTD_OK) {
		call_free(call);
		return rc;
	}
	struct decision_input in = { .call = call, .now_ms = now_ms(svc) };
	protocol_decide(&svc->engine->protocol, &svc->engine->policy, &in, out);
	return HTD_OK;
}

enum htd_err calls_add_note(struct service *svc, const char *actor,
                            const char *ref, const char *text, struct call *out,
                            struct htd_error *err)
{
	struct call_event e;
	memset(&e, 0, sizeof(e));
	e.type = CALL_EVENT_NOTE_ADDED;
	e.actor = actor;
	char *t = trimmed(text);
	e.u.note.text = t;
	static const struct change_audit audit = { "call.note", "" };
	enum htd_err rc = append_event(svc, ref, &e, &audit, out, err);
	free(t);
	return change_done(svc, actor, audit.action, ref, "", rc, err);
}

enum htd_err calls_record_answer(struct service *svc, const char *actor,
                                 const char *ref, const char *question,
                                 const char *value, struct call *out,
                                 struct htd_error *err)
{
	char canonical[CALL_ANSWER_MAX + 1];
	char *q = trimmed(question);
	char *v = trimmed(value);
	enum htd_err rc;
	if (svc->engine) {
		/* The protocol says which questions exist and what each
		 * takes. */
		long i = protocol_question_index(&svc->engine->protocol, q);
		rc = i < 0 ? htd_error_field(err, HTD_ERR_INVALID, "question",
		                             "'%.64s' is not a question of "
		                             "the protocol (%s)",
		                             q, svc->engine->protocol.file)
		           : protocol_answer_normalise(
		                 &svc->engine->protocol.questions[i], v,
		                 canonical, sizeof(canonical), err);
	} else {
		rc = call_answer_normalise(q, v, canonical, sizeof(canonical),
		                           err);
	}
	if (rc == HTD_OK) {
		struct call_event e;
		memset(&e, 0, sizeof(e));
		e.type = CALL_EVENT_ANSWER_RECORDED;
		e.actor = actor;
		e.u.answer.question = q;
		e.u.answer.value = canonical;
		struct change_audit audit = { "call.answer", q };
		rc = append_event(svc, ref, &e, &audit, out, err);
	}
	/* The question's id only, never the value; and only when it looks
	 * like an id (what was typed in its place could be anything). */
	rc = change_done(svc, actor, "call.answer", ref,
	                 question_id_like(q) ? q : "(not a question id)", rc,
	                 err);
	free(q);
	free(v);
	return rc;
}

enum htd_err calls_close(struct service *svc, const char *actor,
                         const char *ref, const char *disposition,
                         const char *summary, struct call *out,
                         struct htd_error *err)
{
	struct call_event e;
	memset(&e, 0, sizeof(e));
	e.type = CALL_EVENT_CLOSED;
	e.actor = actor;
	if (!call_disposition_parse(disposition, &e.u.closed.disposition))
		return change_done(
		    svc, actor, "call.close", ref, "",
		    htd_error_field(err, HTD_ERR_INVALID, "disposition",
		                    "unknown disposition '%.40s'; see "
		                    "'htdispatch calls close --help'",
		                    disposition ? disposition : ""),
		    err);
	/* The disposition, never the summary. */
	struct change_audit audit = {
		"call.close", call_disposition_name(e.u.closed.disposition)
	};
	char *s = trimmed(summary);
	e.u.closed.summary = s;
	enum htd_err rc = append_event(svc, ref, &e, &audit, out, err);
	free(s);
	return change_done(svc, actor, audit.action, ref, audit.detail, rc,
	                   err);
}

/* Reads a call, unaudited: for the use cases that audit it their way. */
static enum htd_err get_call(struct service *svc, const char *ref_text,
                             struct call *out, struct htd_error *err)
{
	char ref[CALL_REF_MAX];
	enum htd_err rc = calls_ref_canonical(ref_text, ref, err);
	if (rc != HTD_OK)
		return rc;
	return store_call_get(svc->store, ref, out, err);
}

enum htd_err calls_get_unless(struct service *svc, const char *ref_text,
                              int64_t have, struct call *out, bool *unchanged,
                              struct htd_error *err)
{
	char ref[CALL_REF_MAX];
	int64_t version = 0;
	*unchanged = false;
	enum htd_err rc = calls_ref_canonical(ref_text, ref, err);
	if (rc == HTD_OK && have > 0)
		rc = store_call_version(svc->store, ref, &version, err);
	if (rc == HTD_OK && have > 0 && version == have)
		*unchanged = true;
	else if (rc == HTD_OK)
		rc = store_call_get(svc->store, ref, out, err);
	rc = read_done(svc, ref_text, "call", rc, err);
	if (rc != HTD_OK)
		call_free(out);
	return rc;
}

enum htd_err calls_get(struct service *svc, const char *ref_text,
                       struct call *out, struct htd_error *err)
{
	enum htd_err rc = read_done(svc, ref_text, "call",
	                            get_call(svc, ref_text, out, err), err);
	if (rc != HTD_OK)
		call_free(out);
	return rc;
}

enum htd_err calls_query_parse(const struct calls_query *q,
                               struct call_filter *f, struct htd_error *err)
{
	memset(f, 0, sizeof(*f));
	if (q->status) {
		if (!call_status_parse(q->status, &f->status))
			return htd_error_field(err, HTD_ERR_INVALID, "status",
			                       "status must be open or closed, "
			                       "not '%.40s'",
			                       q->status);
		f->by_status = true;
	}
	if (q->category) {
		if (!call_category_parse(q->category, &f->category))
			return htd_error_field(
			    err, HTD_ERR_INVALID, "category",
			    "category must be one of undetermined, "
			    "victim_escape, victim_call, credible_tip, "
			    "other; not '%.40s'",
			    q->category);
		f->by_category = true;
	}
	enum htd_err rc;
	if (q->since) {
		rc = time_parse(q->since, "since", &f->since_ms, err);
		if (rc != HTD_OK)
			return rc;
	}
	if (q->until) {
		rc = time_parse(q->until, "until", &f->until_ms, err);
		if (rc != HTD_OK)
			return rc;
	}
	/* 0 means "no bound" in a filter; no call is older than 1970. */
	if (q->until && f->until_ms == 0)
		return htd_error_field(err, HTD_ERR_INVALID, "until",
		                       "until must be after "
		                       "1970-01-01T00:00:00Z");
	if (f->since_ms && f->until_ms && f->until_ms <= f->since_ms)
		return htd_error_field(err, HTD_ERR_INVALID, "until",
		                       "until must be later than since");
	if (q->limit) {
		int64_t n;
		if (!str_to_i64(q->limit, 1, CALL_LIST_MAX, &n))
			return htd_error_field(err, HTD_ERR_INVALID, "limit",
			                       "limit must be a whole number "
			                       "from 1 to %d, not '%.20s'",
			                       CALL_LIST_MAX, q->limit);
		f->limit = (size_t)n;
	}
	if (q->after) {
		rc = calls_ref_canonical(q->after, f->after, err);
		if (rc != HTD_OK) {
			str_copy(err ? err->field : NULL,
			         err ? sizeof(err->field) : 0, "after");
			return rc;
		}
	}
	return HTD_OK;
}

/* A filter as text, for the audit entry of a list. */
static void filter_text(const struct call_filter *f, char *out, size_t size)
{
	char t[TIME_TEXT_MAX];
	size_t used = 0;
	out[0] = '\0';
#define FILTER_ADD(...)                                                   \
	do {                                                              \
		if (used < size)                                          \
			str_format(out + used, size - used, __VA_ARGS__); \
		used = strlen(out);                                       \
	} while (0)
	if (f->by_status)
		FILTER_ADD("status=%s ", call_status_name(f->status));
	if (f->by_category)
		FILTER_ADD("category=%s ", call_category_name(f->category));
	if (f->since_ms && time_format_utc(f->since_ms, t, sizeof(t)))
		FILTER_ADD("since=%s ", t);
	if (f->until_ms && time_format_utc(f->until_ms, t, sizeof(t)))
		FILTER_ADD("until=%s ", t);
	if (f->after[0])
		FILTER_ADD("after=%.*s ", CALL_REF_MAX, f->after);
	FILTER_ADD("limit=%zu", f->limit ? f->limit : CALL_LIST_DEFAULT);
#undef FILTER_ADD
}

enum htd_err calls_list(struct service *svc, const struct call_filter *filter,
                        struct call_page *out, struct htd_error *err)
{
	enum htd_err rc = store_call_list(svc->store, filter, out, err);
	char detail[AUDIT_TEXT_MAX + 1];
	filter_text(filter, detail, sizeof(detail));
	rc = audit_call(svc, reader(svc), "call.list", "", detail, rc, err);
	if (rc != HTD_OK)
		call_page_free(out);
	return rc;
}

enum htd_err calls_history(struct service *svc, const char *ref_text,
                           int (*fn)(void *ctx, const struct store_event *e),
                           void *ctx, struct htd_error *err)
{
	char ref[CALL_REF_MAX];
	enum htd_err rc = calls_ref_canonical(ref_text, ref, err);
	if (rc == HTD_OK)
		rc = store_events_each(svc->store, ref, fn, ctx, err);
	return read_done(svc, ref_text, "history", rc, err);
}

struct replay {
	struct call call;
	enum htd_err rc;
	struct htd_error err;
	int64_t expected_seq;
	const char *ref;
	int64_t *notes; /* owned: seqs of the note_added events, ascending */
	size_t n_notes;
};

/* Whether event `seq` of the replayed history was a note_added event:
 * call_apply() cannot tell indicators_found that, the projection does not
 * keep event types. */
static bool replay_is_note(const struct replay *r, int64_t seq)
{
	size_t lo = 0, hi = r->n_notes;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (r->notes[mid] == seq)
			return true;
		if (r->notes[mid] < seq)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

static int replay_event(void *ctx, const struct store_event *se)
{
	struct replay *r = ctx;
	struct event_decoded d;
	if (se->seq != r->expected_seq) {
		r->rc = htd_error_set(&r->err, HTD_ERR_CORRUPT,
		                      "call %s: event %lld follows event %lld",
		                      r->ref, (long long)se->seq,
		                      (long long)r->expected_seq - 1);
		return 1;
	}
	r->rc = event_json_decode(se->type, se->at_ms, se->actor, se->payload,
	                          &d, &r->err);
	if (r->rc != HTD_OK) {
		char msg[HTD_ERROR_MESSAGE_MAX];
		str_copy(msg, sizeof(msg), r->err.message);
		r->rc = htd_error_set(&r->err, HTD_ERR_CORRUPT,
		                      "call %s: event %lld does not decode: %s",
		                      r->ref, (long long)se->seq, msg);
		return 1;
	}
	if (d.event.type == CALL_EVENT_INDICATORS_FOUND &&
	    !replay_is_note(r, d.event.u.indicators.note)) {
		r->rc = htd_error_set(&r->err, HTD_ERR_CORRUPT,
		                      "call %s: event %lld finds indicators in "
		                      "event %lld, which is not a note",
		                      r->ref, (long long)se->seq,
		                      (long long)d.event.u.indicators.note);
		event_decoded_release(&d);
		return 1;
	}
	enum call_event_type type = d.event.type;
	r->rc = call_apply(&r->call, &d.event, &r->err);
	event_decoded_release(&d);
	if (r->rc != HTD_OK) {
		char msg[HTD_ERROR_MESSAGE_MAX];
		str_copy(msg, sizeof(msg), r->err.message);
		r->rc = htd_error_set(&r->err, HTD_ERR_CORRUPT,
		                      "call %s: event %lld does not apply: %s",
		                      r->ref, (long long)se->seq, msg);
		return 1;
	}
	if (type == CALL_EVENT_NOTE_ADDED) {
		r->notes =
		    xrealloc(r->notes, (r->n_notes + 1) * sizeof(*r->notes));
		r->notes[r->n_notes++] = se->seq;
	}
	r->expected_seq++;
	return 0;
}

enum htd_err calls_verify(struct service *svc, const char *ref_text,
                          struct htd_error *err)
{
	char ref[CALL_REF_MAX];
	enum htd_err rc = calls_ref_canonical(ref_text, ref, err);
	if (rc != HTD_OK)
		return rc;

	struct replay r;
	memset(&r, 0, sizeof(r));
	call_init(&r.call);
	r.expected_seq = 1;
	r.ref = ref;
	struct call stored;
	call_init(&stored);

	rc = store_call_get(svc->store, ref, &stored, err);
	if (rc == HTD_OK)
		rc = store_events_each(svc->store, ref, replay_event, &r, err);
	if (rc == HTD_OK && r.rc != HTD_OK) {
		if (err)
			*err = r.err;
		rc = r.rc;
	}
	if (rc == HTD_OK) {
		char field[64];
		str_copy(r.call.ref, sizeof(r.call.ref), ref);
		if (!call_equal(&stored, &r.call, field, sizeof(field)))
			rc = htd_error_set(err, HTD_ERR_CORRUPT,
			                   "call %s: the stored %s disagrees "
			                   "with its %lld events",
			                   ref, field,
			                   (long long)r.expected_seq - 1);
	}
	call_free(&stored);
	call_free(&r.call);
	free(r.notes);
	return rc;
}

struct verify_all {
	struct service *svc;
	long checked;
	enum htd_err rc;
	struct htd_error err;
};

static int verify_one(void *ctx, const char *ref)
{
	struct verify_all *v = ctx;
	v->rc = calls_verify(v->svc, ref, &v->err);
	if (v->rc != HTD_OK)
		return 1;
	v->checked++;
	return 0;
}

enum htd_err calls_verify_all(struct service *svc, long *checked,
                              struct htd_error *err)
{
	struct verify_all v;
	memset(&v, 0, sizeof(v));
	v.svc = svc;
	enum htd_err rc = store_calls_each(svc->store, verify_one, &v, err);
	if (rc == HTD_OK && v.rc != HTD_OK) {
		if (err)
			*err = v.err;
		rc = v.rc;
	}
	if (checked)
		*checked = v.checked;
	return rc;
}

enum htd_err
calls_events_after(struct service *svc, int64_t after, size_t limit,
                   int (*fn)(void *ctx, const struct store_event *e), void *ctx,
                   struct htd_error *err)
{
	if (after < 0 || limit == 0)
		return htd_error_field(err, HTD_ERR_INVALID, "after",
		                       "an event id is a whole number from 0");
	return store_events_after(svc->store, after, limit, fn, ctx, err);
}

enum htd_err calls_events_last(struct service *svc, int64_t *out,
                               struct htd_error *err)
{
	return store_events_last(svc->store, out, err);
}
