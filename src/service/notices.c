/*
 * notices.c - the notices a decision queues and their texts, rendered
 * from the call into outbox rows (notices.h; docs/notify.md).
 */
#include "service/notices.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "core/radio.h"
#include "core/template.h"
#include "formats/cap.h"
#include "formats/cap_radio.h"
#include "util/clock.h"
#include "util/mem.h"
#include "util/str.h"

/* The most a rendered field or text may hold. */
#define FIELD_MAX ((size_t)8192)
#define TEXT_MAX ((size_t)64 * 1024)

/* NENA step 4: what the caller is told about the hotline's languages. */
#define HOTLINE_LANGUAGES \
	"English and Spanish, and more than 200 others through interpreters"

/* ---- which notices ---------------------------------------------------- */

static bool first_required(const struct call *before, const struct call *after,
                           const char *action)
{
	const struct call_action *a = call_action_get(after, action);
	if (!a || a->state != CALL_ACTION_REQUIRED || a->required_since_ms == 0)
		return false;
	const struct call_action *b =
	    before ? call_action_get(before, action) : NULL;
	return !b || b->required_since_ms == 0;
}

/* The supervisor's or the POC's notice went out, and the category in
 * force moved from one decided category to another. */
static bool category_update(const struct policy_notice *n,
                            const struct call *before, const struct call *after)
{
	if (!before || (n->kind != POLICY_NOTICE_SUPERVISOR_NOTICE &&
	                n->kind != POLICY_NOTICE_POC_NOTICE))
		return false;
	const struct call_action *b = call_action_get(before, n->action);
	const struct call_action *a = call_action_get(after, n->action);
	return b && a && b->required_since_ms != 0 &&
	       (a->state == CALL_ACTION_REQUIRED ||
	        a->state == CALL_ACTION_DONE) &&
	       before->category != CALL_CATEGORY_UNDETERMINED &&
	       after->category != CALL_CATEGORY_UNDETERMINED &&
	       before->category != after->category;
}

void notices_plan(const struct policy *p, const struct call *before,
                  const struct call *after, struct notice_plan *out)
{
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; p && i < p->notify.n_notices; i++) {
		const struct policy_notice *n = &p->notify.notices[i];
		if (n->n_targets == 0 || out->n >= POLICY_NOTICE__COUNT)
			continue;
		if (first_required(before, after, n->action)) {
			out->notices[out->n++] = n;
		} else if (category_update(n, before, after)) {
			out->update[out->n] = true;
			out->notices[out->n++] = n;
		}
	}
}

/* The action is in force in `c`: required, or done. */
static bool in_force(const struct call *c, const char *action)
{
	const struct call_action *a = call_action_get(c, action);
	return a && (a->state == CALL_ACTION_REQUIRED ||
	             a->state == CALL_ACTION_DONE);
}

void notices_plan_again(const struct policy *p, const struct call *before,
                        const struct call *after,
                        const struct store_outbox_list *rows,
                        struct notice_plan *out)
{
	for (size_t i = 0; p && before && rows && i < p->notify.n_notices;
	     i++) {
		const struct policy_notice *n = &p->notify.notices[i];
		if (n->n_targets == 0 || out->n >= POLICY_NOTICE__COUNT)
			continue;
		const struct call_action *a = call_action_get(after, n->action);
		const struct call_action *b =
		    call_action_get(before, n->action);
		if (!a || a->state != CALL_ACTION_REQUIRED || !b ||
		    b->required_since_ms == 0 || in_force(before, n->action))
			continue;
		const char *kind = policy_notice_kind_name(n->kind);
		size_t seen = 0, cancelled = 0;
		for (size_t k = 0; k < rows->n; k++) {
			if (!str_eq(rows->rows[k].kind, kind))
				continue;
			seen++;
			if (rows->rows[k].state == STORE_OUTBOX_CANCELLED)
				cancelled++;
		}
		if (seen == 0 || cancelled != seen)
			continue;
		out->again[out->n] = true;
		out->notices[out->n++] = n;
	}
}

void notices_withdraw(const struct call *after,
                      const struct store_outbox_list *rows,
                      struct notice_withdrawal *out)
{
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; rows && i < rows->n; i++) {
		const struct store_outbox *o = &rows->rows[i];
		if (o->state != STORE_OUTBOX_PENDING &&
		    o->state != STORE_OUTBOX_TASK_OPEN)
			continue;
		if (str_eq(o->kind, "delivery_failed") ||
		    in_force(after, o->action))
			continue;
		if (out->n >= NOTICES_WITHDRAW_MAX)
			break;
		out->rows[out->n++] = o;
	}
}

void notice_rows_free(struct notice_rows *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++) {
		free(r->rows[i].subject);
		free(r->rows[i].body);
	}
	free(r->rows);
	r->rows = NULL;
	r->n = 0;
}

bool notices_key(const char *ref, const char *kind, const char *target,
                 char *out, size_t size)
{
	if (size > STORE_OUTBOX_KEY_MAX + 1)
		size = STORE_OUTBOX_KEY_MAX + 1;
	return str_format(out, size, "%s-%s-%s", ref, kind, target);
}

void notices_targets_text(const struct policy *p, const struct policy_notice *n,
                          char *out, size_t size)
{
	struct buf b;
	buf_init(&b, size > 1 ? size - 1 : 1);
	(void)buf_puts(&b, "to ");
	for (size_t i = 0; i < n->n_targets; i++)
		(void)buf_printf(&b, "%s%s", i ? ", " : "",
		                 p->notify.targets[n->targets[i]].id);
	if (n->confirm_call_taker)
		(void)buf_puts(&b, "; a call-taker task to confirm");
	str_copy(out, size, buf_str(&b));
	buf_free(&b);
}

/* ---- the values of the fields ----------------------------------------- */

static bool answer_is(const struct call *c, const char *q, const char *v)
{
	const struct call_answer *a = call_answer_get(c, q);
	return a && str_eq(a->value, v);
}

static bool action_in_force(const struct call *c, const char *id)
{
	const struct call_action *a = call_action_get(c, id);
	return a && (a->state == CALL_ACTION_REQUIRED ||
	             a->state == CALL_ACTION_DONE);
}

/* Current indicator hits (not negated, hypothetical or past). */
static bool hit_current(const struct call_hit *h)
{
	return !h->negated && !h->hypothetical && !h->historical;
}

static bool has_indicator(const struct call *c, const char *id)
{
	for (size_t i = 0; i < c->n_hits; i++)
		if (hit_current(&c->hits[i]) &&
		    str_eq(c->hits[i].indicator, id))
			return true;
	return false;
}

static bool weapons(const struct call *c)
{
	return answer_is(c, "weapons_present", "yes") ||
	       has_indicator(c, "weapons");
}

/* The caller agreed to be called back (NENA-STA-020.1), and nothing says
 * a call back would endanger them. */
static bool callback_agreed(const struct call *c)
{
	return !str_empty(c->callback_number) &&
	       answer_is(c, "callback_safe", "yes") &&
	       !answer_is(c, "safe_to_talk", "no") &&
	       !action_in_force(c, "no_callback");
}

static void indicators_text(const struct call *c, struct buf *out)
{
	size_t n = 0;
	for (size_t i = 0; i < c->n_hits; i++) {
		const struct call_hit *h = &c->hits[i];
		if (!hit_current(h))
			continue;
		bool seen = false;
		for (size_t k = 0; k < i && !seen; k++)
			seen = hit_current(&c->hits[k]) &&
			       str_eq(c->hits[k].indicator, h->indicator);
		if (!seen)
			(void)buf_printf(out, "%s%s", n++ ? ", " : "",
			                 h->indicator);
	}
	if (n == 0)
		(void)buf_puts(out, "none found");
}

static void safety_text(const struct call *c, struct buf *out)
{
	size_t n = 0;
	if (answer_is(c, "in_danger_now", "yes"))
		(void)buf_printf(out, "%sdanger now", n++ ? "; " : "");
	if (weapons(c))
		(void)buf_printf(out, "%sweapons reported", n++ ? "; " : "");
	if (action_in_force(c, "no_callback") ||
	    answer_is(c, "safe_to_talk", "no") ||
	    answer_is(c, "callback_safe", "no"))
		(void)buf_printf(out,
		                 "%sNO CALLBACK: someone controlling the "
		                 "caller may answer",
		                 n++ ? "; " : "");
	if (answer_is(c, "minor_involved", "yes"))
		(void)buf_printf(out, "%sminor involved", n++ ? "; " : "");
	if (n == 0)
		(void)buf_puts(out, "none known");
}

static const char *category_words(enum call_category c)
{
	switch (c) {
	case CALL_CATEGORY_VICTIM_ESCAPE: return "victim escape";
	case CALL_CATEGORY_VICTIM_CALL: return "victim call";
	case CALL_CATEGORY_CREDIBLE_TIP: return "credible tip";
	case CALL_CATEGORY_OTHER: return "other";
	case CALL_CATEGORY_UNDETERMINED:
	case CALL_CATEGORY__COUNT: break;
	}
	return "undetermined";
}

static void nature_text(const struct policy *p, const struct call *c,
                        struct buf *out)
{
	const char *words = (unsigned)c->category < CALL_CATEGORY__COUNT
	                        ? p->radio_text[c->category]
	                        : NULL;
	if (!str_empty(words))
		(void)buf_puts(out, words);
	else
		(void)buf_printf(out, "possible human trafficking, %s",
		                 category_words(c->category));
}

/* The strings that must never go out: the caller's name, its parts, the
 * callback number. Returns how many; they point into `c` and `parts`. */
static size_t forbidden_of(const struct call *c, char *parts, size_t size,
                           const char **out)
{
	size_t n = 0;
	if (!str_empty(c->callback_number))
		out[n++] = c->callback_number;
	if (!str_empty(c->caller_name) &&
	    strlen(c->caller_name) <= RADIO_FORBIDDEN_LEN_MAX) {
		out[n++] = c->caller_name;
		str_copy(parts, size, c->caller_name);
		char *save = parts;
		while (*save && n < RADIO_FORBIDDEN_MAX) {
			while (*save == ' ' || *save == ',' || *save == '.')
				*save++ = '\0';
			if (!*save)
				break;
			char *word = save;
			while (*save && *save != ' ' && *save != ',' &&
			       *save != '.')
				save++;
			/* A one-letter initial alone would withhold every
			 * "a" of the text. */
			if (save - word > 1)
				out[n++] = word;
		}
	}
	return n;
}

static enum htd_err radio_facts_of(const struct policy *p, const struct call *c,
                                   const char *ref, struct buf *nature,
                                   struct radio_facts *f)
{
	memset(f, 0, sizeof(*f));
	nature_text(p, c, nature);
	f->call_id = ref;
	f->category = c->category;
	f->priority = c->priority;
	f->location = c->location_text;
	f->nature = buf_str(nature);
	f->weapons = weapons(c);
	bool works_in = p->n_languages == 0;
	for (size_t i = 0; i < p->n_languages; i++)
		works_in = works_in || str_eq(p->languages[i], c->language);
	if (!works_in)
		f->language = c->language;
	return HTD_OK;
}

/* The raw value of `field`, before redaction. */
static enum htd_err
raw_field(const struct policy *p, enum policy_notice_kind kind,
          const struct call *c, const struct notice_context *ctx,
          const char *field, const char *const *forbidden, size_t n_forbidden,
          struct buf *out, struct htd_error *err)
{
	char t[64];
	if (str_eq(field, "call_id"))
		return buf_puts(out, ctx->ref);
	if (str_eq(field, "category"))
		return buf_puts(out, call_category_name(c->category));
	if (str_eq(field, "priority"))
		return buf_printf(out, "%d", c->priority);
	if (str_eq(field, "location"))
		return buf_puts(out, str_empty(c->location_text)
		                         ? "unknown"
		                         : c->location_text);
	if (str_eq(field, "indicators")) {
		indicators_text(c, out);
		return HTD_OK;
	}
	if (str_eq(field, "safety")) {
		safety_text(c, out);
		return HTD_OK;
	}
	if (str_eq(field, "units"))
		return buf_puts(out, str_empty(ctx->units) ? "none yet"
		                                           : ctx->units);
	if (str_eq(field, "agency"))
		return buf_puts(out, p->agency_name ? p->agency_name : "");
	if (str_eq(field, "time")) {
		if (!time_format_utc(ctx->at_ms, t, sizeof(t)))
			t[0] = '\0';
		return buf_puts(out, t);
	}
	if (str_eq(field, "nature")) {
		nature_text(p, c, out);
		return HTD_OK;
	}
	if (str_eq(field, "callback")) {
		/* NENA step 3: an anonymous caller stays anonymous. */
		if (kind == POLICY_NOTICE_TIP_HANDOFF && callback_agreed(c))
			return buf_puts(out, c->callback_number);
		return HTD_OK;
	}
	if (str_eq(field, "tip_line")) {
		(void)buf_puts(out, str_empty(p->tip_line_name)
		                        ? "the tip line"
		                        : p->tip_line_name);
		if (!str_empty(p->tip_line_number))
			(void)buf_printf(out, " (%s)", p->tip_line_number);
		return HTD_OK;
	}
	if (str_eq(field, "hotline_number"))
		return buf_puts(out, p->hotline_number ? p->hotline_number
		                                       : "1-888-373-7888");
	if (str_eq(field, "hotline_text"))
		return buf_puts(out,
		                p->hotline_text ? p->hotline_text : "233733");
	if (str_eq(field, "hotline_tty"))
		return buf_puts(out, p->hotline_tty ? p->hotline_tty : "711");
	if (str_eq(field, "languages"))
		return buf_puts(out, HOTLINE_LANGUAGES);
	if (str_eq(field, "script")) {
		struct buf nature;
		struct radio_facts f;
		struct radio_script s;
		buf_init(&nature, FIELD_MAX);
		radio_facts_of(p, c, ctx->ref, &nature, &f);
		enum htd_err rc =
		    radio_script(&f, forbidden, n_forbidden, &s, err);
		buf_free(&nature);
		if (rc == HTD_OK)
			rc = buf_puts(out, s.text);
		return rc;
	}
	return htd_error_field(err, HTD_ERR_INVALID, field,
	                       "no notice field '%.32s'", field);
}

enum htd_err notices_field(const struct policy *p, enum policy_notice_kind kind,
                           const struct call *c,
                           const struct notice_context *ctx, const char *field,
                           struct buf *out, struct htd_error *err)
{
	const char *forbidden[RADIO_FORBIDDEN_MAX];
	char parts[RADIO_FORBIDDEN_LEN_MAX + 1];
	size_t n_forbidden = forbidden_of(c, parts, sizeof(parts), forbidden);
	struct buf raw;
	buf_init(&raw, FIELD_MAX);
	enum htd_err rc = raw_field(p, kind, c, ctx, field, forbidden,
	                            n_forbidden, &raw, err);
	if (rc == HTD_OK) {
		if (str_eq(field, "callback"))
			rc = buf_puts(out, buf_str(&raw));
		else
			rc = radio_redact(buf_str(&raw), forbidden, n_forbidden,
			                  out, NULL, err);
	}
	buf_free(&raw);
	return rc;
}

/* ---- rendering -------------------------------------------------------- */

struct lookup {
	const struct policy *p;
	enum policy_notice_kind kind;
	const struct call *c;
	const struct notice_context *ctx;
	struct buf values[16];
	size_t n;
	enum htd_err rc;
	struct htd_error *err;
};

static const char *lookup_field(void *vctx, const char *field)
{
	struct lookup *l = vctx;
	if (l->n >= sizeof(l->values) / sizeof(l->values[0]))
		return "";
	struct buf *b = &l->values[l->n++];
	buf_init(b, FIELD_MAX);
	enum htd_err rc =
	    notices_field(l->p, l->kind, l->c, l->ctx, field, b, l->err);
	if (rc != HTD_OK && l->rc == HTD_OK)
		l->rc = rc;
	return buf_str(b);
}

static void lookup_free(struct lookup *l)
{
	for (size_t i = 0; i < l->n; i++)
		buf_free(&l->values[i]);
	l->n = 0;
}

static enum htd_err render(const struct template *t, struct lookup *l,
                           struct buf *out)
{
	if (!t)
		return HTD_OK;
	enum htd_err rc = template_render(t, lookup_field, l, out, l->err);
	lookup_free(l);
	if (rc == HTD_OK)
		rc = l->rc;
	return rc;
}

/* The radio alert's CAP document. */
static enum htd_err cap_of(const struct policy *p, const struct call *c,
                           const struct notice_context *ctx, struct buf *out,
                           struct htd_error *err)
{
	const char *forbidden[RADIO_FORBIDDEN_MAX];
	char parts[RADIO_FORBIDDEN_LEN_MAX + 1];
	size_t n_forbidden = forbidden_of(c, parts, sizeof(parts), forbidden);
	struct buf nature;
	struct radio_facts f;
	char identifier[CALL_REF_MAX + 16];
	struct radio_cap *rc_cap = xcalloc(1, sizeof(*rc_cap));
	buf_init(&nature, FIELD_MAX);
	radio_facts_of(p, c, ctx->ref, &nature, &f);
	str_format(identifier, sizeof(identifier), "%s-radio", ctx->ref);
	struct radio_cap_options o = {
		.identifier = identifier,
		.sender = "htdispatch",
		.sender_name = p->agency_name,
		.sent_ms = ctx->at_ms,
		.utc_offset_min = 0,
		.status = CAP_STATUS_ACTUAL,
		.msg_type = CAP_MSG_TYPE_ALERT,
	};
	enum htd_err rc =
	    radio_cap_alert(&f, &o, forbidden, n_forbidden, rc_cap, err);
	if (rc == HTD_OK)
		rc = cap_write(&rc_cap->alert, out, err);
	buf_free(&nature);
	free(rc_cap);
	return rc;
}

enum htd_err notices_render(const struct policy *p,
                            const struct policy_notice *n, const struct call *c,
                            const struct notice_context *ctx,
                            struct notice_rows *out, struct htd_error *err)
{
	struct lookup l = {
		.p = p, .kind = n->kind, .c = c, .ctx = ctx, .err = err
	};
	struct buf subject, text, cap, script;
	json_t *doc = NULL;
	size_t first = out->n;
	buf_init(&subject, FIELD_MAX);
	buf_init(&text, TEXT_MAX);
	buf_init(&cap, TEXT_MAX);
	buf_init(&script, FIELD_MAX);
	char kind[STORE_OUTBOX_KIND_MAX + 1];
	char target_key[STORE_OUTBOX_TARGET_MAX + 32];
	if (ctx->update_seq) {
		str_format(kind, sizeof(kind), "%s_update",
		           policy_notice_kind_name(n->kind));
		(void)buf_puts(&subject, "Update: ");
	} else {
		str_copy(kind, sizeof(kind), policy_notice_kind_name(n->kind));
	}
	enum htd_err rc = render(n->subject, &l, &subject);
	if (rc == HTD_OK)
		rc = render(n->text, &l, &text);
	if (rc == HTD_OK && n->kind == POLICY_NOTICE_RADIO_ALERT) {
		rc = notices_field(p, n->kind, c, ctx, "script", &script, err);
		if (rc == HTD_OK)
			rc = cap_of(p, c, ctx, &cap, err);
	}
	if (rc != HTD_OK)
		goto out;

	/* What a webhook receives and a spool file holds. */
	doc = json_pack(
	    "{s:s, s:s, s:s, s:s, s:s, s:s}", "kind", kind, "call_id", ctx->ref,
	    "agency", p->agency_name ? p->agency_name : "", "action", n->action,
	    "subject", buf_str(&subject), "text", buf_str(&text));
	if (!doc) {
		rc = htd_error_set(err, HTD_ERR_INVALID,
		                   "notice %s for call %s: a text is not UTF-8",
		                   policy_notice_kind_name(n->kind), ctx->ref);
		goto out;
	}
	if (n->kind == POLICY_NOTICE_RADIO_ALERT) {
		json_object_set_new(doc, "script",
		                    json_string(buf_str(&script)));
		json_object_set_new(doc, "cap", json_string(buf_str(&cap)));
	}
	for (size_t i = 0; i < n->n_targets; i++) {
		const struct policy_target *t =
		    &p->notify.targets[n->targets[i]];
		struct store_outbox row;
		memset(&row, 0, sizeof(row));
		str_copy(row.call_ref, sizeof(row.call_ref), ctx->ref);
		str_copy(row.kind, sizeof(row.kind), kind);
		str_copy(row.action, sizeof(row.action), n->action);
		str_copy(row.target, sizeof(row.target), t->id);
		if (ctx->update_seq || ctx->again_seq)
			str_format(
			    target_key, sizeof(target_key), "%s-%lld", t->id,
			    (long long)(ctx->update_seq ? ctx->update_seq
			                                : ctx->again_seq));
		else
			str_copy(target_key, sizeof(target_key), t->id);
		str_copy(row.transport, sizeof(row.transport),
		         policy_transport_name(t->transport));
		if (!notices_key(ctx->ref, row.kind, target_key, row.key,
		                 sizeof(row.key))) {
			rc = htd_error_set(err, HTD_ERR_TOO_LARGE,
			                   "the key of notice %s to %s is too "
			                   "long",
			                   row.kind, t->id);
			goto out;
		}
		json_object_set_new(doc, "key", json_string(row.key));
		json_object_set_new(doc, "target", json_string(t->id));
		row.subject = xstrdup(buf_str(&subject));
		if (t->transport == POLICY_TRANSPORT_SMTP) {
			str_copy(row.content_type, sizeof(row.content_type),
			         "text/plain; charset=utf-8");
			row.body = xstrdup(buf_str(&text));
		} else {
			str_copy(row.content_type, sizeof(row.content_type),
			         "application/json");
			row.body =
			    json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
			if (!row.body)
				abort(); /* jansson fails only on memory */
		}
		row.state = STORE_OUTBOX_PENDING;
		row.next_attempt_ms = ctx->at_ms;
		row.created_at_ms = ctx->at_ms;
		row.updated_at_ms = ctx->at_ms;
		out->rows =
		    xrealloc(out->rows, (out->n + 1) * sizeof(*out->rows));
		out->rows[out->n++] = row;
	}
	if (n->confirm_call_taker && !ctx->update_seq) {
		/* The warm transfer the call-taker makes and confirms
		 * (NENA-STA-020.1): a row the worker never sends. */
		struct store_outbox row;
		memset(&row, 0, sizeof(row));
		str_copy(row.call_ref, sizeof(row.call_ref), ctx->ref);
		str_copy(row.kind, sizeof(row.kind),
		         policy_notice_kind_name(n->kind));
		str_copy(row.action, sizeof(row.action), n->action);
		str_copy(row.target, sizeof(row.target), NOTICES_TASK_TARGET);
		str_copy(row.transport, sizeof(row.transport),
		         NOTICES_TASK_TRANSPORT);
		if (ctx->again_seq)
			str_format(target_key, sizeof(target_key), "%s-%lld",
			           NOTICES_TASK_TARGET,
			           (long long)ctx->again_seq);
		else
			str_copy(target_key, sizeof(target_key),
			         NOTICES_TASK_TARGET);
		if (!notices_key(ctx->ref, row.kind, target_key, row.key,
		                 sizeof(row.key))) {
			rc = htd_error_set(err, HTD_ERR_TOO_LARGE,
			                   "the key of the %s task is too long",
			                   row.kind);
			goto out;
		}
		json_object_set_new(doc, "key", json_string(row.key));
		json_object_set_new(doc, "target",
		                    json_string(NOTICES_TASK_TARGET));
		str_copy(row.content_type, sizeof(row.content_type),
		         "application/json");
		row.subject = xstrdup(buf_str(&subject));
		row.body = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
		if (!row.body)
			abort(); /* jansson fails only on memory */
		row.state = STORE_OUTBOX_TASK_OPEN;
		row.next_attempt_ms = ctx->at_ms;
		row.created_at_ms = ctx->at_ms;
		row.updated_at_ms = ctx->at_ms;
		out->rows =
		    xrealloc(out->rows, (out->n + 1) * sizeof(*out->rows));
		out->rows[out->n++] = row;
	}
out:
	if (rc != HTD_OK) {
		for (size_t i = first; i < out->n; i++) {
			free(out->rows[i].subject);
			free(out->rows[i].body);
		}
		out->n = first;
	}
	json_decref(doc);
	buf_free(&subject);
	buf_free(&text);
	buf_free(&cap);
	buf_free(&script);
	return rc;
}
