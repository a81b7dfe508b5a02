/*
 * protocol.c - the decision engine of the NENA trafficking protocol: from a
 * call's answers, indicator hits, overrides and marks to its category,
 * priority, checklist, next questions and rationale (domain.md sections
 * 1-3). Also the model's names, answer checking and freeing.
 */
#include "core/protocol.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/template.h"
#include "util/mem.h"
#include "util/str.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

const char *const policy_flag_names[POLICY_FLAG__COUNT] = {
#define POLICY_FLAG_NAME(e, n) n,
	POLICY_FLAGS(POLICY_FLAG_NAME)
#undef POLICY_FLAG_NAME
};

const char *const protocol_action_ids[] = {
#define PROTOCOL_ACTION_NAME(e, n) n,
	PROTOCOL_ACTIONS(PROTOCOL_ACTION_NAME)
#undef PROTOCOL_ACTION_NAME
};
const size_t protocol_action_count = COUNT(protocol_action_ids);

static const char *const reason_kind_names[] = {
	"category", "action", "priority", "override", "mark",
};

const char *decision_reason_kind_name(enum decision_reason_kind k)
{
	return (unsigned)k < COUNT(reason_kind_names) ? reason_kind_names[k]
	                                              : "?";
}

/* ---- notifications ------------------------------------------------------ */

static const char *const transport_names[] = { "webhook", "smtp", "spool" };

const char *policy_transport_name(enum policy_transport t)
{
	return (unsigned)t < COUNT(transport_names) ? transport_names[t] : "?";
}

static const char *const notice_kind_names[POLICY_NOTICE__COUNT] = {
#define POLICY_NOTICE_NAME(e, n) n,
	POLICY_NOTICE_KINDS(POLICY_NOTICE_NAME)
#undef POLICY_NOTICE_NAME
};

const char *policy_notice_kind_name(enum policy_notice_kind k)
{
	return (unsigned)k < POLICY_NOTICE__COUNT ? notice_kind_names[k] : "";
}

bool policy_notice_kind_parse(const char *s, enum policy_notice_kind *out)
{
	for (size_t k = 0; s && k < POLICY_NOTICE__COUNT; k++) {
		if (strcmp(s, notice_kind_names[k]) == 0) {
			*out = (enum policy_notice_kind)k;
			return true;
		}
	}
	return false;
}

/* What each notice may say (issue 6). Never the caller's name; the
 * callback number only in the tip hand-off, which the service fills only
 * when the caller agreed (NENA-STA-020.1: a warm transfer hands over
 * location, nature, safety and callback; a tip line is anonymous). */
static const char *const notice_fields_call[] = {
	"call_id", "category", "priority", "location", "indicators",
	"safety",  "units",    "agency",   "time",     NULL,
};
static const char *const notice_fields_tip[] = {
	"call_id",  "location", "nature", "safety", "callback",
	"tip_line", "agency",   "time",   NULL,
};
static const char *const notice_fields_hotline[] = {
	"call_id",   "hotline_number", "hotline_text", "hotline_tty",
	"languages", "agency",         "time",         NULL,
};
static const char *const notice_fields_radio[] = {
	"call_id", "script", "agency", "time", NULL,
};

const char *const *policy_notice_fields(enum policy_notice_kind k)
{
	switch (k) {
	case POLICY_NOTICE_SUPERVISOR_NOTICE:
	case POLICY_NOTICE_POC_NOTICE: return notice_fields_call;
	case POLICY_NOTICE_TIP_HANDOFF: return notice_fields_tip;
	case POLICY_NOTICE_HOTLINE_REFERRAL: return notice_fields_hotline;
	case POLICY_NOTICE_RADIO_ALERT: return notice_fields_radio;
	case POLICY_NOTICE__COUNT: break;
	}
	return NULL;
}

/* ---- texts -------------------------------------------------------------- */

/* True when tags `a` and `b` have the same primary language subtag. */
static bool same_primary(const char *a, const char *b)
{
	size_t la = strcspn(a, "-_"), lb = strcspn(b, "-_");
	return la == lb && la > 0 && strncasecmp(a, b, la) == 0;
}

const char *protocol_text_get(const struct protocol_texts *t,
                              const char *language)
{
	if (!t || t->n == 0)
		return "";
	if (language) {
		for (size_t i = 0; i < t->n; i++)
			if (same_primary(t->items[i].language, language))
				return t->items[i].text;
	}
	for (size_t i = 0; i < t->n; i++)
		if (same_primary(t->items[i].language, "en"))
			return t->items[i].text;
	return t->items[0].text;
}

/* ---- freeing ------------------------------------------------------------ */

static void texts_free(struct protocol_texts *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n; i++)
		free(t->items[i].text);
	free(t->items);
	t->items = NULL;
	t->n = 0;
}

static void strings_free(char **s, size_t n)
{
	for (size_t i = 0; s && i < n; i++)
		free(s[i]);
	free(s);
}

void protocol_free(struct protocol *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n_questions; i++) {
		struct protocol_question *q = &p->questions[i];
		free(q->id);
		for (size_t c = 0; q->choice_labels && c < q->n_choices; c++)
			texts_free(&q->choice_labels[c]);
		free(q->choice_labels);
		strings_free(q->choices, q->n_choices);
		texts_free(&q->text);
		texts_free(&q->why);
		texts_free(&q->covert);
		free(q->show_if_src);
		rule_free(q->show_if);
	}
	free(p->questions);
	free(p->rule_questions);
	strings_free(p->languages, p->n_languages);
	free(p->file);
	free(p->id);
	free(p->version);
	free(p->name);
	memset(p, 0, sizeof(*p));
}

static void rules_free(struct policy_rule *r, size_t n)
{
	for (size_t i = 0; r && i < n; i++) {
		free(r[i].id);
		free(r[i].why);
		free(r[i].when_src);
		rule_free(r[i].when);
	}
	free(r);
}

static void contacts_free(struct policy_contact *c, size_t n)
{
	for (size_t i = 0; c && i < n; i++) {
		free(c[i].name);
		free(c[i].role);
		free(c[i].phone);
		free(c[i].email);
	}
	free(c);
}

static void notify_free(struct policy_notify *n)
{
	for (size_t i = 0; n->targets && i < n->n_targets; i++) {
		struct policy_target *t = &n->targets[i];
		free(t->id);
		free(t->url);
		free(t->from);
		strings_free(t->to, t->n_to);
		free(t->username);
		free(t->secret_ref);
		free(t->spool_dir);
	}
	free(n->targets);
	for (size_t i = 0; n->notices && i < n->n_notices; i++) {
		struct policy_notice *x = &n->notices[i];
		free(x->action);
		template_free(x->subject);
		template_free(x->text);
		free(x->targets);
	}
	free(n->notices);
}

void policy_free(struct policy *p)
{
	if (!p)
		return;
	free(p->file);
	free(p->id);
	free(p->version);
	free(p->agency_name);
	strings_free(p->languages, p->n_languages);
	free(p->tip_line_name);
	free(p->tip_line_number);
	free(p->hotline_number);
	free(p->hotline_text);
	free(p->hotline_tty);
	contacts_free(p->poc, p->n_poc);
	contacts_free(p->supervisors, p->n_supervisors);
	for (size_t i = 0; i < CALL_CATEGORY__COUNT; i++)
		free(p->radio_text[i]);
	for (size_t i = 0; i < p->n_actions; i++) {
		free(p->actions[i].id);
		texts_free(&p->actions[i].label);
	}
	free(p->actions);
	rules_free(p->category_rules, p->n_category_rules);
	rules_free(p->action_rules, p->n_action_rules);
	rules_free(p->priority_rules, p->n_priority_rules);
	notify_free(&p->notify);
	memset(p, 0, sizeof(*p));
}

/* ---- look-ups ----------------------------------------------------------- */

long protocol_question_index(const struct protocol *p, const char *id)
{
	for (size_t i = 0; p && id && i < p->n_questions; i++)
		if (strcmp(p->questions[i].id, id) == 0)
			return (long)i;
	return -1;
}

long policy_action_index(const struct policy *pol, const char *id)
{
	for (size_t i = 0; pol && id && i < pol->n_actions; i++)
		if (strcmp(pol->actions[i].id, id) == 0)
			return (long)i;
	return -1;
}

const struct policy_notice *policy_notice_find(const struct policy *p,
                                               enum policy_notice_kind kind)
{
	for (size_t i = 0; p && i < p->notify.n_notices; i++)
		if (p->notify.notices[i].kind == kind)
			return &p->notify.notices[i];
	return NULL;
}

/* ---- answers ------------------------------------------------------------ */

/* Spellings a call-taker types for yes, no and unknown (English and
 * Spanish), all compared case-insensitively after trimming. */
static const struct {
	const char *typed;
	const char *canonical;
} yes_no_words[] = {
	{ "yes", "yes" },
	{ "y", "yes" },
	{ "si", "yes" },
	{ "s\xc3\xad", "yes" },
	{ "S\xc3\x8d", "yes" },
	{ "no", "no" },
	{ "n", "no" },
	{ "unknown", "unknown" },
	{ "u", "unknown" },
	{ "?", "unknown" },
	{ "unk", "unknown" },
	{ "no se", "unknown" },
	{ "no s\xc3\xa9", "unknown" },
	{ "no s\xc3\x89", "unknown" },
	{ "desconocido", "unknown" },
};

enum htd_err protocol_answer_normalise(const struct protocol_question *q,
                                       const char *value, char *out,
                                       size_t size, struct htd_error *err)
{
	size_t len = 0;
	const char *v = str_trim(value ? value : "", &len);
	char buf[CALL_ANSWER_MAX + 1];

	if (len > CALL_ANSWER_MAX)
		return htd_error_field(err, HTD_ERR_TOO_LARGE, "value",
		                       "the answer to %s is longer than %d "
		                       "bytes",
		                       q->id, CALL_ANSWER_MAX);
	memcpy(buf, v, len);
	buf[len] = '\0';
	if (!str_utf8_valid(buf, len) || !str_no_controls(buf, len, false))
		return htd_error_field(err, HTD_ERR_INVALID, "value",
		                       "the answer to %s must be UTF-8 text on "
		                       "one line",
		                       q->id);
	if (len == 0)
		return htd_error_field(err, HTD_ERR_INVALID, "value",
		                       "the answer to %s is empty; answer "
		                       "\"unknown\" when it is not known",
		                       q->id);
	switch (q->kind) {
	case RULE_ANSWER_YES_NO:
		for (size_t i = 0; i < COUNT(yes_no_words); i++)
			if (strcasecmp(buf, yes_no_words[i].typed) == 0)
				return str_copy(out, size,
				                yes_no_words[i].canonical)
				           ? HTD_OK
				           : htd_error_field(
				                 err, HTD_ERR_INTERNAL, "value",
				                 "no room for the "
				                 "answer");
		return htd_error_field(err, HTD_ERR_INVALID, "value",
		                       "%s takes yes, no or unknown, not "
		                       "\"%.40s\"",
		                       q->id, buf);
	case RULE_ANSWER_CHOICE:
		if (strcasecmp(buf, "unknown") == 0)
			return str_copy(out, size, "unknown")
			           ? HTD_OK
			           : HTD_ERR_INTERNAL;
		for (size_t i = 0; i < q->n_choices; i++) {
			bool match = strcasecmp(buf, q->choices[i]) == 0;
			for (size_t l = 0; !match && q->choice_labels &&
			                   l < q->choice_labels[i].n;
			     l++)
				match =
				    strcasecmp(
				        buf,
				        q->choice_labels[i].items[l].text) == 0;
			if (match)
				return str_copy(out, size, q->choices[i])
				           ? HTD_OK
				           : HTD_ERR_INTERNAL;
		}
		{
			char list[512] = "";
			size_t used = 0;
			for (size_t i = 0; i < q->n_choices && used < 400;
			     i++) {
				size_t n = strlen(q->choices[i]);
				if (used + n + 3 >= sizeof(list))
					break;
				if (used) {
					memcpy(list + used, ", ", 2);
					used += 2;
				}
				memcpy(list + used, q->choices[i], n);
				used += n;
				list[used] = '\0';
			}
			return htd_error_field(err, HTD_ERR_INVALID, "value",
			                       "%s takes one of %s, or "
			                       "unknown; not \"%.40s\"",
			                       q->id, list, buf);
		}
	case RULE_ANSWER_NUMBER: {
		int64_t n;
		if (strcasecmp(buf, "unknown") == 0)
			return str_copy(out, size, "unknown")
			           ? HTD_OK
			           : HTD_ERR_INTERNAL;
		if (!str_to_i64(buf, q->min, q->max, &n))
			return htd_error_field(err, HTD_ERR_INVALID, "value",
			                       "%s takes a whole number from "
			                       "%lld to %lld, or unknown; not "
			                       "\"%.40s\"",
			                       q->id, (long long)q->min,
			                       (long long)q->max, buf);
		return str_format(out, size, "%lld", (long long)n)
		           ? HTD_OK
		           : HTD_ERR_INTERNAL;
	}
	case RULE_ANSWER_LANGUAGE:
		if (call_language_normalise(buf, out, size))
			return HTD_OK;
		return htd_error_field(err, HTD_ERR_INVALID, "value",
		                       "%s takes a BCP 47 language tag such "
		                       "as es or es-MX, not \"%.40s\"",
		                       q->id, buf);
	case RULE_ANSWER_TEXT:
	case RULE_ANSWER__COUNT: break;
	}
	if (!str_copy(out, size, buf))
		return htd_error_field(err, HTD_ERR_TOO_LARGE, "value",
		                       "the answer to %s is too long", q->id);
	return HTD_OK;
}

/* ---- facts -------------------------------------------------------------- */

/* The caller's language: the answer to a `language` question when there
 * is one, else the language the call was opened in. */
static const char *caller_language(const struct protocol *proto,
                                   const struct call *c)
{
	for (size_t i = 0; i < proto->n_questions; i++) {
		if (proto->questions[i].kind != RULE_ANSWER_LANGUAGE)
			continue;
		const struct call_answer *a =
		    call_answer_get(c, proto->questions[i].id);
		if (a && strcmp(a->value, "unknown") != 0)
			return a->value;
	}
	return c->language && c->language[0] ? c->language : "en";
}

void protocol_facts_fill(const struct protocol *proto, const struct policy *pol,
                         const struct call *c, const char **answers,
                         bool *flags, struct rule_facts *f)
{
	memset(f, 0, sizeof(*f));
	for (size_t i = 0; i < proto->n_questions; i++) {
		const struct call_answer *a =
		    call_answer_get(c, proto->questions[i].id);
		answers[i] = a ? a->value : NULL;
	}
	const char *language = caller_language(proto, c);
	bool supported = pol->n_languages == 0;
	for (size_t i = 0; i < pol->n_languages && !supported; i++)
		supported = same_primary(pol->languages[i], language);
	flags[POLICY_FLAG_TIP_LINE] = pol->tip_line;
	flags[POLICY_FLAG_LANGUAGE_SUPPORTED] = supported;
	for (size_t i = 0; i < c->n_hits; i++) {
		const struct call_hit *h = &c->hits[i];
		enum indicator_id id;
		if (h->negated || h->hypothetical ||
		    !indicator_parse(h->indicator, &id))
			continue;
		f->indicators[id] |= RULE_HIT_COUNTS;
		if (!h->historical)
			f->indicators[id] |= RULE_HIT_CURRENT;
	}
	f->answers = answers;
	f->flags = flags;
	f->channel = call_channel_name(c->channel);
	f->language = language;
	f->category = "";
}

/* ---- deciding ----------------------------------------------------------- */

static struct decision_reason *reason_add(struct decision *d,
                                          enum decision_reason_kind kind,
                                          const char *rule, const char *why)
{
	if (d->n_rationale >= DECISION_RATIONALE_MAX)
		return NULL;
	struct decision_reason *r = &d->rationale[d->n_rationale++];
	memset(r, 0, sizeof(*r));
	r->kind = kind;
	r->rule = rule;
	r->why = why ? why : "";
	return r;
}

/* Evaluates a rule; when it holds and there is room, records it with the
 * facts that made it hold. */
static bool rule_fires(struct decision *d, enum decision_reason_kind kind,
                       const struct policy_rule *rule,
                       const struct rule_facts *f)
{
	if (!rule_eval(rule->when, f))
		return false;
	struct decision_reason *r = reason_add(d, kind, rule->id, rule->why);
	if (r) {
		bool v;
		r->n_facts = rule_explain(rule->when, f, &v, r->facts,
		                          DECISION_FACTS_MAX);
	}
	return true;
}

static unsigned amp_of(const struct rule_facts *f)
{
	unsigned amp = 0;
	for (size_t i = 0; i < INDICATOR__COUNT; i++)
		if (f->indicators[i] & RULE_HIT_COUNTS)
			amp |= indicator_amp((enum indicator_id)i);
	return amp;
}

static void checklist(const struct policy *pol, const struct call *c,
                      const struct rule_facts *f, int64_t now_ms,
                      struct decision *d)
{
	const char *by_rule[CALL_ACTIONS_MAX] = { 0 };
	size_t n = pol->n_actions < CALL_ACTIONS_MAX ? pol->n_actions
	                                             : CALL_ACTIONS_MAX;

	for (size_t i = 0; i < pol->n_action_rules; i++) {
		const struct policy_rule *r = &pol->action_rules[i];
		if (r->action >= n)
			continue;
		if (rule_fires(d, DECISION_REASON_ACTION, r, f) &&
		    !by_rule[r->action])
			by_rule[r->action] = r->id;
	}
	d->actions = xcalloc(n ? n : 1, sizeof(*d->actions));
	for (size_t i = 0; i < n; i++) {
		const char *id = pol->actions[i].id;
		const struct call_action *ca = call_action_get(c, id);
		struct decision_action a = {
			.id = id,
			.required_by_policy = by_rule[i] != NULL,
			.rule = by_rule[i],
			.required_since_ms = ca ? ca->required_since_ms : 0,
		};
		if (ca && ca->marked) {
			/* A person's mark wins over the policy. */
			a.state = ca->state;
			struct decision_reason *r = reason_add(
			    d, DECISION_REASON_MARK, id, ca->mark_reason);
			if (r) {
				r->actor = ca->mark_by;
				str_format(r->facts[0].text,
				           sizeof(r->facts[0].text), "%s: %s",
				           id,
				           call_action_state_name(ca->state));
				r->n_facts = 1;
			}
		} else if (a.required_by_policy) {
			a.state = CALL_ACTION_REQUIRED;
		} else if (a.required_since_ms) {
			a.state = CALL_ACTION_NOT_REQUIRED;
		} else {
			continue; /* never asked for: not on the list */
		}
		if (a.required_by_policy && a.required_since_ms == 0)
			a.required_since_ms = now_ms;
		d->actions[d->n_actions++] = a;
	}
}

static void next_questions(const struct protocol *proto,
                           const struct rule_facts *f, struct decision *d)
{
	/* Safety questions first (NENA-STA-020.1: officer and caller safety
	 * before anything else), then the rest in file order. */
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < proto->n_questions; i++) {
			const struct protocol_question *q =
			    &proto->questions[i];
			if (q->safety != (pass == 0) || f->answers[i])
				continue;
			if (d->covert && !q->covert_ok)
				continue;
			if (q->show_if && !rule_eval(q->show_if, f))
				continue;
			d->unanswered++;
			if (d->n_next < DECISION_NEXT_MAX)
				d->next[d->n_next++] = i;
		}
	}
}

void protocol_decide(const struct protocol *proto, const struct policy *pol,
                     const struct decision_input *in, struct decision *out)
{
	const struct call *c = in->call;
	const char **answers = xcalloc(
	    proto->n_questions ? proto->n_questions : 1, sizeof(*answers));
	bool flags[POLICY_FLAG__COUNT];
	struct rule_facts f;

	memset(out, 0, sizeof(*out));
	out->rationale =
	    xcalloc(DECISION_RATIONALE_MAX, sizeof(*out->rationale));
	out->protocol_id = proto->id;
	out->protocol_version = proto->version;
	out->policy_id = pol->id;
	out->policy_version = pol->version;
	protocol_facts_fill(proto, pol, c, answers, flags, &f);
	out->amp = amp_of(&f);

	long safe = protocol_question_index(proto, "safe_to_talk");
	out->covert =
	    safe >= 0 && answers[safe] && strcmp(answers[safe], "no") == 0;

	/* NENA step 1: the first category rule that holds decides. */
	out->recommended = CALL_CATEGORY_UNDETERMINED;
	for (size_t i = 0; i < pol->n_category_rules; i++) {
		const struct policy_rule *r = &pol->category_rules[i];
		if (rule_fires(out, DECISION_REASON_CATEGORY, r, &f)) {
			out->recommended = r->category;
			break;
		}
	}
	out->category = out->recommended;
	if (c->override_category != CALL_CATEGORY_UNDETERMINED) {
		/* The dispatcher decides; the engine's view stays beside. */
		out->category = c->override_category;
		out->overridden = true;
		struct decision_reason *r =
		    reason_add(out, DECISION_REASON_OVERRIDE, "override",
		               c->override_reason);
		if (r) {
			r->actor = c->override_by;
			str_format(r->facts[0].text, sizeof(r->facts[0].text),
			           "category set to %s; the protocol "
			           "recommends %s",
			           call_category_name(out->category),
			           call_category_name(out->recommended));
			r->n_facts = 1;
		}
	}
	f.category = call_category_name(out->category);

	checklist(pol, c, &f, in->now_ms, out);

	out->priority = pol->priority_default;
	for (size_t i = 0; i < pol->n_priority_rules; i++) {
		const struct policy_rule *r = &pol->priority_rules[i];
		if (rule_fires(out, DECISION_REASON_PRIORITY, r, &f)) {
			out->priority = r->priority;
			break;
		}
	}
	next_questions(proto, &f, out);
	free(answers);
}

void decision_free(struct decision *d)
{
	if (!d)
		return;
	free(d->actions);
	free(d->rationale);
	memset(d, 0, sizeof(*d));
}
