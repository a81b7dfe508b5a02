/*
 * config.c - the API's read-only view of what the decision engine runs
 * on (GET /api/v1/protocol, /policy, /lexicon): rendered once per load,
 * so every reader of one generation sees the same document. Ids,
 * versions, texts and conditions; never the agency's contact numbers or
 * radio wording (those go to people through the checklist, not to every
 * reader of the API).
 */
#include <stdlib.h>

#include "formats/lexicon_yaml.h"
#include "http/internal.h"
#include "util/mem.h"

static json_t *texts_json(const struct protocol_texts *t)
{
	json_t *o = json_object();
	for (size_t i = 0; i < t->n; i++)
		json_object_set_new(o, t->items[i].language,
		                    json_string(t->items[i].text));
	return o;
}

static json_t *strings_json(char *const *s, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_string(s[i]));
	return a;
}

static json_t *protocol_json(const struct protocol *p)
{
	json_t *qs = json_array();
	for (size_t i = 0; i < p->n_questions; i++) {
		const struct protocol_question *q = &p->questions[i];
		json_t *o = json_object();
		json_object_set_new(o, "id", json_string(q->id));
		json_object_set_new(
		    o, "type", json_string(rule_answer_kind_name(q->kind)));
		json_object_set_new(o, "safety", json_boolean(q->safety));
		json_object_set_new(o, "covert_ok", json_boolean(q->covert_ok));
		json_object_set_new(o, "show_if",
		                    q->show_if_src ? json_string(q->show_if_src)
		                                   : json_null());
		json_object_set_new(o, "text", texts_json(&q->text));
		json_object_set_new(o, "why", texts_json(&q->why));
		json_object_set_new(o, "covert", texts_json(&q->covert));
		if (q->kind == RULE_ANSWER_CHOICE) {
			json_t *cs = json_array();
			for (size_t c = 0; c < q->n_choices; c++)
				json_array_append_new(
				    cs,
				    json_pack(
				        "{s:s,s:o}", "id", q->choices[c],
				        "label",
				        q->choice_labels
				            ? texts_json(&q->choice_labels[c])
				            : json_object()));
			json_object_set_new(o, "choices", cs);
		}
		if (q->kind == RULE_ANSWER_NUMBER) {
			json_object_set_new(o, "min", json_integer(q->min));
			json_object_set_new(o, "max", json_integer(q->max));
		}
		json_array_append_new(qs, o);
	}
	return json_pack("{s:s,s:s,s:s,s:o,s:o}", "id", p->id, "version",
	                 p->version, "name", p->name, "languages",
	                 strings_json(p->languages, p->n_languages),
	                 "questions", qs);
}

static json_t *rules_json(const struct policy *pol,
                          const struct policy_rule *rules, size_t n, int kind)
{
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++) {
		const struct policy_rule *r = &rules[i];
		json_t *o = json_pack("{s:s,s:s,s:s}", "id", r->id, "why",
		                      r->why ? r->why : "", "when",
		                      r->when_src ? r->when_src : "");
		if (kind == 0)
			json_object_set_new(
			    o, "category",
			    json_string(call_category_name(r->category)));
		else if (kind == 1 && r->action < pol->n_actions)
			json_object_set_new(
			    o, "action",
			    json_string(pol->actions[r->action].id));
		else if (kind == 2)
			json_object_set_new(o, "priority",
			                    json_integer(r->priority));
		json_array_append_new(a, o);
	}
	return a;
}

static json_t *policy_json(const struct policy *p)
{
	json_t *actions = json_array();
	for (size_t i = 0; i < p->n_actions; i++)
		json_array_append_new(
		    actions,
		    json_pack("{s:s,s:o}", "id", p->actions[i].id, "label",
		              texts_json(&p->actions[i].label)));
	/* Public numbers only: the tip line and the national hotline. */
	json_t *agency = json_pack(
	    "{s:s,s:o,s:{s:b,s:s,s:s},s:{s:s,s:s,s:s}}", "name",
	    p->agency_name ? p->agency_name : "", "languages",
	    strings_json(p->languages, p->n_languages), "tip_line", "enabled",
	    p->tip_line, "name", p->tip_line_name ? p->tip_line_name : "",
	    "number", p->tip_line_number ? p->tip_line_number : "", "hotline",
	    "number", p->hotline_number ? p->hotline_number : "", "text",
	    p->hotline_text ? p->hotline_text : "", "tty",
	    p->hotline_tty ? p->hotline_tty : "");
	return json_pack(
	    "{s:s,s:s,s:o,s:o,s:o,s:o,s:{s:i,s:o}}", "id", p->id, "version",
	    p->version, "agency", agency, "actions", actions, "categories",
	    rules_json(p, p->category_rules, p->n_category_rules, 0),
	    "action_rules",
	    rules_json(p, p->action_rules, p->n_action_rules, 1), "priorities",
	    "default", p->priority_default, "rules",
	    rules_json(p, p->priority_rules, p->n_priority_rules, 2));
}

/* The lexicons' names, versions and sizes. The engine keeps only the
 * compiled matcher, so the files are read again (a few milliseconds, once
 * per load); should that fail, the languages alone are shown. */
static json_t *lexicon_json(const struct engine *en, const char *dir)
{
	struct lexicon *lx = NULL;
	size_t n = 0;
	json_t *a = json_array();
	if (lexicon_yaml_load_dir(dir, NULL, &lx, &n, NULL) == HTD_OK) {
		for (size_t i = 0; i < n; i++) {
			size_t patterns = lexicon_pattern_count(&lx[i]);
			json_array_append_new(
			    a, json_pack(
			           "{s:s,s:s,s:s,s:I,s:I,s:I,s:I}", "language",
			           lx[i].language, "name",
			           lx[i].name ? lx[i].name : "", "version",
			           lx[i].version ? lx[i].version : "",
			           "indicators", (json_int_t)lx[i].n_indicators,
			           "patterns", (json_int_t)patterns, "triggers",
			           (json_int_t)lx[i].n_triggers, "industries",
			           (json_int_t)lx[i].n_industries));
		}
		lexicon_set_free(lx, n);
	} else {
		for (size_t i = 0; i < screen_language_count(en->screen); i++)
			json_array_append_new(
			    a, json_pack("{s:s}", "language",
			                 screen_language(en->screen, i)));
	}
	return json_pack("{s:o}", "lexicons", a);
}

static char *dump(json_t *o)
{
	char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (!s)
		mem_oom(0);
	return s;
}

struct http_config *http_config_render(const struct engine *en,
                                       const struct engine_options *opts,
                                       unsigned long generation)
{
	struct http_config *c = xcalloc(1, sizeof(*c));
	c->generation = generation;
	c->protocol_json = dump(protocol_json(&en->protocol));
	c->policy_json = dump(policy_json(&en->policy));
	c->lexicon_json = dump(lexicon_json(
	    en, opts->lexicon_dir ? opts->lexicon_dir : LEXICON_DIR_DEFAULT));
	return c;
}

void http_config_free(struct http_config *c)
{
	if (!c)
		return;
	free(c->protocol_json);
	free(c->policy_json);
	free(c->lexicon_json);
	free(c);
}
