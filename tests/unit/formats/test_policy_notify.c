/*
 * test_policy_notify.c - unit tests of the policy's notifications: section
 * (formats/protocol_yaml.c, core/protocol.h struct policy_notify): policy
 * files written to a temporary directory and loaded, every validation
 * error at its exact file:line:column (template fields inside quoted,
 * plain, literal and folded scalars included), the caller's name refused
 * in every notice and the callback number outside the tip hand-off,
 * secrets named but never written in the policy (nor echoed in errors),
 * the defaults, a policy without the section, and the shipped
 * etc/policy.yaml with its five notices.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/template.h"
#include "formats/protocol_yaml.h"
#include "testutil.h"
#include "util/buf.h"
#include "util/mem.h"
#include "util/str.h"

/* ---- helpers ----------------------------------------------------------- */

#define MAX_ERRORS 200

struct errors {
	struct htd_error e[MAX_ERRORS];
	size_t n;
};

static struct errors errs;
static struct protocol base;
static struct policy pol;
static char dir[512];
static char path[600]; /* the policy file of the test */

static void collect(void *ctx, const struct htd_error *e)
{
	struct errors *x = ctx;
	if (x->n < MAX_ERRORS)
		x->e[x->n++] = *e;
}

static const char base_text[] =
    "protocol: {id: t, version: \"1\", name: T, languages: [en]}\n"
    "questions:\n"
    "  - {id: a, type: yes_no, text: {en: \"A?\"}}\n";

static void setup(void)
{
	struct htd_error err;
	str_copy(dir, sizeof(dir), tu_tmpdir());
	tu_path(path, sizeof(path), dir, "policy.yaml");
	cr_assert_eq(protocol_yaml_parse("base.yaml", base_text,
	                                 strlen(base_text), NULL, &base, &err),
	             HTD_OK, "%s", err.message);
}

static void teardown(void)
{
	policy_free(&pol);
	protocol_free(&base);
	tu_rmtree(dir);
}

TestSuite(policy_notify, .init = setup, .fini = teardown);

static bool all_zero(const void *p, size_t n)
{
	const unsigned char *b = p;
	for (size_t i = 0; i < n; i++)
		if (b[i])
			return false;
	return true;
}

/* The rest of a good policy, after `first` (so that `first` starts at
 * line 1 of the file). */
static char *policy_text(const char *first)
{
	struct buf b;
	buf_init(&b, 0);
	buf_puts(&b, first);
	buf_puts(&b, "policy: {id: test, version: \"1\"}\n"
	             "agency: {name: Test, languages: [en]}\n"
	             "actions:\n");
	for (size_t i = 0; i < protocol_action_count; i++)
		buf_printf(&b, "  - {id: %s, label: {en: L}}\n",
		           protocol_action_ids[i]);
	buf_puts(&b, "categories:\n"
	             "  - {id: c.victim, category: victim_call, why: w, "
	             "when: 'answer.a == \"yes\"'}\n"
	             "action_rules:\n"
	             "  - {id: r.officer, action: dispatch_officer, why: w, "
	             "when: 'category == \"victim_call\"'}\n");
	return buf_steal(&b);
}

/* Writes `text` as the test's policy file and loads it. */
static enum htd_err load_text(const char *text)
{
	struct protocol_yaml_options opts = { .on_error = collect,
		                              .ctx = &errs };
	struct htd_error err;

	memset(&errs, 0, sizeof(errs));
	policy_free(&pol);
	tu_write_file(path, text, strlen(text));
	enum htd_err rc = policy_yaml_load(path, &base, &opts, &pol, &err);
	if (rc != HTD_OK) {
		cr_assert_gt(errs.n, 0, "an error was returned, not reported");
		cr_assert_eq(err.code, errs.e[0].code);
		cr_assert_str_eq(err.message, errs.e[0].message);
		cr_assert(all_zero(&pol, sizeof(pol)),
		          "a rejected policy is not zeroed");
		for (size_t i = 0; i < errs.n; i++)
			cr_assert_str_eq(errs.e[i].file, path);
	} else {
		cr_assert_eq(errs.n, 0, "first error: %d:%d: %s",
		             errs.e[0].line, errs.e[0].column,
		             errs.e[0].message);
	}
	return rc;
}

/* Loads `notifications` (at line 1) followed by a good policy. */
static enum htd_err load(const char *notifications)
{
	char *text = policy_text(notifications);
	enum htd_err rc = load_text(text);
	free(text);
	return rc;
}

/* Asserts that an error is at line:column and mentions `needle`. */
static void assert_error(int line, int column, const char *needle)
{
	struct buf all;
	buf_init(&all, 0);
	for (size_t i = 0; i < errs.n; i++) {
		char msg[1024];
		if (errs.e[i].line == line && errs.e[i].column == column &&
		    strstr(errs.e[i].message, needle)) {
			buf_free(&all);
			return;
		}
		buf_printf(&all, "%s\n",
		           htd_error_format(&errs.e[i], msg, sizeof(msg)));
	}
	cr_assert_fail("no error at %d:%d mentioning '%s'; got:\n%s", line,
	               column, needle, buf_str(&all));
}

/* Asserts that no error message contains `s`. */
static void assert_not_echoed(const char *s)
{
	for (size_t i = 0; i < errs.n; i++)
		cr_assert_null(strstr(errs.e[i].message, s),
		               "an error repeats '%s': %s", s,
		               errs.e[i].message);
}

/* The action that sends each kind in these tests. */
static const char *const kind_action[POLICY_NOTICE__COUNT] = {
	[POLICY_NOTICE_SUPERVISOR_NOTICE] = "notify_supervisor",
	[POLICY_NOTICE_POC_NOTICE] = "notify_ht_poc",
	[POLICY_NOTICE_TIP_HANDOFF] = "transfer_crime_stoppers",
	[POLICY_NOTICE_HOTLINE_REFERRAL] = "refer_nhth",
	[POLICY_NOTICE_RADIO_ALERT] = "radio_alert",
};

/* A policy whose one notice of `kind` has `key` (line 8) = `value`, and
 * text "x" (line 9) when `key` is not text. */
static enum htd_err load_notice(enum policy_notice_kind kind, const char *key,
                                const char *value)
{
	struct buf b;
	buf_init(&b, 0);
	buf_printf(&b,
	           "notifications:\n"                          /* 1 */
	           "  targets:\n"                              /* 2 */
	           "    - {id: s, transport: spool, dir: d}\n" /* 3 */
	           "  notices:\n"                              /* 4 */
	           "    - kind: %s\n"                          /* 5 */
	           "      action: %s\n"                        /* 6 */
	           "      targets: [s]\n"                      /* 7 */
	           "      %s: %s\n",                           /* 8 */
	           policy_notice_kind_name(kind), kind_action[kind], key,
	           value);
	if (!str_eq(key, "text"))
		buf_puts(&b, "      text: \"x\"\n"); /* 9 */
	enum htd_err rc = load(buf_str(&b));
	buf_free(&b);
	return rc;
}

static void shipped_path(char *out, size_t size, const char *rel)
{
	const char *root = getenv("HTD_SOURCE_ROOT");
	cr_assert_not_null(root, "HTD_SOURCE_ROOT is not set");
	str_format(out, size, "%s/%s", root, rel);
}

/* Reads a whole file into an owned string. */
static char *slurp(const char *file)
{
	FILE *f = fopen(file, "rb");
	struct buf b;
	char chunk[4096];
	size_t n;

	cr_assert_not_null(f, "cannot open %s", file);
	buf_init(&b, 0);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		cr_assert_eq(buf_append(&b, chunk, n), HTD_OK);
	fclose(f);
	return buf_steal(&b);
}

/* Loads the shipped protocol into `proto` and returns the shipped policy's
 * text (owned). */
static char *shipped(struct protocol *proto)
{
	char pf[1024], lf[1024];
	struct htd_error err;
	shipped_path(pf, sizeof(pf), PROTOCOL_FILE_DEFAULT);
	shipped_path(lf, sizeof(lf), POLICY_FILE_DEFAULT);
	cr_assert_eq(protocol_yaml_load(pf, NULL, proto, &err), HTD_OK,
	             "%s:%d: %s", err.file, err.line, err.message);
	return slurp(lf);
}

struct kv {
	const char *const *pairs;
};

static const char *lookup(void *ctx, const char *field)
{
	const struct kv *k = ctx;
	for (size_t i = 0; k->pairs[i]; i += 2)
		if (str_eq(k->pairs[i], field))
			return k->pairs[i + 1];
	return NULL;
}

/* ---- the shipped policy ------------------------------------------------ */

Test(policy_notify, shipped_policy_has_its_notifications)
{
	struct protocol proto;
	struct htd_error err;
	char lf[1024];

	memset(&proto, 0, sizeof(proto));
	free(shipped(&proto));
	shipped_path(lf, sizeof(lf), POLICY_FILE_DEFAULT);
	cr_assert_eq(policy_yaml_load(lf, &proto, NULL, &pol, &err), HTD_OK,
	             "%s:%d:%d: %s", err.file, err.line, err.column,
	             err.message);
	cr_assert_eq(protocol_lint(&proto, &pol, NULL, NULL), 0);

	const struct policy_notify *n = &pol.notify;
	cr_assert_eq(n->attempts, 8);
	cr_assert_eq(n->first_delay_ms, 5000);
	cr_assert_eq(n->max_delay_ms, 600000);
	cr_assert_eq(n->n_targets, 5);
	cr_assert(policy_notice_find(&pol, POLICY_NOTICE_TIP_HANDOFF)
	              ->confirm_call_taker,
	          "the shipped tip hand-off is a warm transfer");
	static const char *const ids[] = { "supervisor_console", "ht_poc",
		                           "tip_line", "referrals",
		                           "radio_console" };
	for (size_t i = 0; i < 5; i++) {
		const struct policy_target *t = &n->targets[i];
		cr_assert_str_eq(t->id, ids[i]);
		/* Out of the box: spool directories under var/spool/. */
		cr_assert_eq(t->transport, POLICY_TRANSPORT_SPOOL);
		cr_assert_eq(strncmp(t->spool_dir, "var/spool/", 10), 0);
		cr_assert_null(t->url);
		cr_assert_null(t->secret_ref);
		cr_assert_gt(t->line, 190);
	}
	cr_assert_eq(n->n_notices, POLICY_NOTICE__COUNT);
	for (int k = 0; k < POLICY_NOTICE__COUNT; k++) {
		const struct policy_notice *x =
		    policy_notice_find(&pol, (enum policy_notice_kind)k);
		cr_assert_not_null(
		    x, "no %s",
		    policy_notice_kind_name((enum policy_notice_kind)k));
		cr_assert_str_eq(x->action, kind_action[k]);
		cr_assert_not_null(x->text);
		cr_assert_eq(x->n_targets, 1);
		cr_assert_eq(x->targets[0], (size_t)k);
		/* Never the caller's name; the callback only in the tip
		 * hand-off. */
		cr_assert_not(template_uses(x->text, "caller_name"));
		cr_assert_eq(template_uses(x->text, "callback"),
		             k == POLICY_NOTICE_TIP_HANDOFF);
		cr_assert_not(x->subject &&
		              template_uses(x->subject, "callback"));
	}
	const struct policy_notice *sup =
	    policy_notice_find(&pol, POLICY_NOTICE_SUPERVISOR_NOTICE);
	static const char *const want[] = { "location", "indicators", "safety",
		                            "units" };
	for (size_t i = 0; i < 4; i++)
		cr_assert(template_uses(sup->text, want[i]), "%s", want[i]);
	cr_assert_null(
	    policy_notice_find(&pol, POLICY_NOTICE_RADIO_ALERT)->subject);
	const struct policy_notice *hot =
	    policy_notice_find(&pol, POLICY_NOTICE_HOTLINE_REFERRAL);
	cr_assert(template_uses(hot->text, "hotline_number"));
	cr_assert(template_uses(hot->text, "hotline_text"));
	cr_assert(template_uses(hot->text, "hotline_tty"));
	cr_assert(template_uses(hot->text, "languages"));

	/* It renders. */
	static const char *const pairs[] = { "call_id",  "HT-2026-000042",
		                             "category", "victim_call",
		                             "priority", "1",
		                             NULL };
	struct kv k = { pairs };
	struct buf b;
	buf_init(&b, 0);
	cr_assert_eq(template_render(sup->subject, lookup, &k, &b, &err),
	             HTD_OK);
	cr_assert_str_eq(buf_str(&b),
	                 "HT call HT-2026-000042: victim_call, priority 1");
	buf_free(&b);
	policy_free(&pol);
	protocol_free(&proto);
}

Test(policy_notify, without_the_section_nothing_is_sent_and_lint_is_clean)
{
	struct protocol proto;
	struct htd_error err;

	memset(&proto, 0, sizeof(proto));
	char *text = shipped(&proto);
	/* The section and its comments, up to the next section. */
	char *cut = strstr(text, "\n# ---- notifications");
	cr_assert_not_null(cut, "the shipped policy's section moved");
	char *next = strstr(cut, "\npriorities:");
	cr_assert_not_null(next);
	memmove(cut + 1, next + 1, strlen(next + 1) + 1);
	cr_assert_null(strstr(text, "notifications:"));
	cr_assert_not_null(strstr(text, "priorities:"));
	tu_write_file(path, text, strlen(text));
	free(text);
	cr_assert_eq(policy_yaml_load(path, &proto, NULL, &pol, &err), HTD_OK,
	             "%s:%d: %s", err.file, err.line, err.message);
	cr_assert_eq(pol.n_priority_rules, 4);
	cr_assert_eq(pol.notify.n_targets, 0);
	cr_assert_null(pol.notify.targets);
	cr_assert_eq(pol.notify.n_notices, 0);
	cr_assert_null(pol.notify.notices);
	for (int k = 0; k < POLICY_NOTICE__COUNT; k++)
		cr_assert_null(
		    policy_notice_find(&pol, (enum policy_notice_kind)k));
	cr_assert_eq(pol.notify.attempts, 8);
	cr_assert_eq(pol.notify.first_delay_ms, 5000);
	cr_assert_eq(pol.notify.max_delay_ms, 600000);
	/* Not a lint finding: every finding refuses start-up. */
	cr_assert_eq(protocol_lint(&proto, &pol, NULL, NULL), 0);
	policy_free(&pol);
	protocol_free(&proto);
	cr_assert_null(policy_notice_find(NULL, POLICY_NOTICE_RADIO_ALERT));
}

/* ---- the model --------------------------------------------------------- */

Test(policy_notify, kinds_and_fields)
{
	enum policy_notice_kind k;
	cr_assert_str_eq(policy_notice_kind_name(POLICY_NOTICE_TIP_HANDOFF),
	                 "tip_handoff");
	cr_assert_str_eq(policy_notice_kind_name(POLICY_NOTICE__COUNT), "");
	cr_assert(policy_notice_kind_parse("hotline_referral", &k));
	cr_assert_eq(k, POLICY_NOTICE_HOTLINE_REFERRAL);
	cr_assert_not(policy_notice_kind_parse("Hotline_referral", &k));
	cr_assert_not(policy_notice_kind_parse(NULL, &k));
	cr_assert_eq(k, POLICY_NOTICE_HOTLINE_REFERRAL);
	cr_assert_str_eq(policy_transport_name(POLICY_TRANSPORT_SMTP), "smtp");
	cr_assert_null(policy_notice_fields(POLICY_NOTICE__COUNT));
	for (int i = 0; i < POLICY_NOTICE__COUNT; i++) {
		const char *const *f =
		    policy_notice_fields((enum policy_notice_kind)i);
		bool callback = false;
		for (size_t j = 0; f[j]; j++) {
			cr_assert_str_neq(f[j], "caller_name");
			callback |= str_eq(f[j], "callback");
		}
		cr_assert_eq(callback, i == POLICY_NOTICE_TIP_HANDOFF);
	}
}

/* ---- templates --------------------------------------------------------- */

Test(policy_notify, caller_name_is_refused_in_every_notice)
{
	for (int k = 0; k < POLICY_NOTICE__COUNT; k++) {
		enum policy_notice_kind kind = (enum policy_notice_kind)k;
		cr_assert_eq(
		    load_notice(kind, "text",
		                "\"Call {call_id} from {caller_name}\""),
		    HTD_ERR_INVALID, "%s", policy_notice_kind_name(kind));
		assert_error(8, 35, "the caller's name is never sent");
		cr_assert_eq(errs.n, 1);
		cr_assert_eq(
		    load_notice(kind, "subject",
		                "\"Call {call_id} from {caller_name}\""),
		    HTD_ERR_INVALID);
		assert_error(8, 38,
		             "{caller_name} is not a field of any notice");
		cr_assert_eq(errs.n, 1);
	}
}

Test(policy_notify, callback_only_in_the_tip_handoff)
{
	for (int k = 0; k < POLICY_NOTICE__COUNT; k++) {
		enum policy_notice_kind kind = (enum policy_notice_kind)k;
		char msg[160];
		if (kind == POLICY_NOTICE_TIP_HANDOFF) {
			cr_assert_eq(
			    load_notice(kind, "text",
			                "\"Call {call_id} at {callback}\""),
			    HTD_OK);
			cr_assert(template_uses(pol.notify.notices[0].text,
			                        "callback"));
			cr_assert_eq(
			    load_notice(kind, "subject", "\"CB {callback}\""),
			    HTD_OK);
			continue;
		}
		cr_assert_eq(load_notice(kind, "text",
		                         "\"Call {call_id} at {callback}\""),
		             HTD_ERR_INVALID, "%s",
		             policy_notice_kind_name(kind));
		str_format(msg, sizeof(msg),
		           "{callback} is not a field of a %s: the callback "
		           "number goes only in a tip_handoff",
		           policy_notice_kind_name(kind));
		/* `      text: "Call {call_id} at {` is 32 bytes. */
		assert_error(8, 33, msg);
		cr_assert_eq(errs.n, 1);
		cr_assert_eq(load_notice(kind, "subject", "\"CB {callback}\""),
		             HTD_ERR_INVALID);
		assert_error(8, 21, msg);
	}
}

Test(policy_notify, every_kind_takes_all_its_fields)
{
	for (int k = 0; k < POLICY_NOTICE__COUNT; k++) {
		enum policy_notice_kind kind = (enum policy_notice_kind)k;
		const char *const *f = policy_notice_fields(kind);
		struct buf v;
		buf_init(&v, 0);
		buf_puts(&v, "\"");
		for (size_t j = 0; f[j]; j++)
			buf_printf(&v, "%s: {%s}; ", f[j], f[j]);
		buf_puts(&v, "{{literal}}\"");
		cr_assert_eq(load_notice(kind, "text", buf_str(&v)), HTD_OK,
		             "%s", policy_notice_kind_name(kind));
		buf_free(&v);
		const struct policy_notice *x = policy_notice_find(&pol, kind);
		cr_assert_not_null(x);
		cr_assert_eq(x->kind, kind);
		cr_assert_null(x->subject);
		for (size_t j = 0; f[j]; j++)
			cr_assert(template_uses(x->text, f[j]));
		cr_assert_not(template_uses(x->text, "literal"));
	}
}

Test(policy_notify, template_errors_placed_in_every_scalar_style)
{
	cr_assert_eq(load("notifications:\n"                             /* 1 */
	                  "  targets:\n"                                 /* 2 */
	                  "    - {id: s, transport: spool, dir: d}\n"    /* 3 */
	                  "  notices:\n"                                 /* 4 */
	                  "    - kind: supervisor_notice\n"              /* 5 */
	                  "      action: notify_supervisor\n"            /* 6 */
	                  "      targets: [s]\n"                         /* 7 */
	                  "      subject: \"HT {call_id} {callback}\"\n" /* 8 */
	                  "      text: |\n"                              /* 9 */
	                  "        Call {call_id} at {location}.\n" /* 10 */
	                  "          Indented: {indicators}\n"      /* 11 */
	                  "        Units: {unit}\n"                 /* 12 */
	                  "    - kind: poc_notice\n"                /* 13 */
	                  "      action: notify_ht_poc\n"           /* 14 */
	                  "      targets: [s]\n"                    /* 15 */
	                  "      text: >\n"                         /* 16 */
	                  "        Folded {call_id}\n"              /* 17 */
	                  "        and {script}\n"                  /* 18 */
	                  "    - kind: radio_alert\n"               /* 19 */
	                  "      action: radio_alert\n"             /* 20 */
	                  "      targets: [s]\n"                    /* 21 */
	                  "      text: Plain {script} then {time} and "
	                  "{nature}\n"                     /* 22 */
	                  "    - kind: hotline_referral\n" /* 23 */
	                  "      action: refer_nhth\n"     /* 24 */
	                  "      targets: [s]\n"           /* 25 */
	                  "      subject: 'single {languages} ''quoted'' "
	                  "{units}'\n" /* 26 */
	                  "      text: \"double \\\"esc\\\" {hotline_tty} "
	                  "{units}\"\n"                             /* 27 */
	                  "    - kind: tip_handoff\n"               /* 28 */
	                  "      action: transfer_crime_stoppers\n" /* 29 */
	                  "      targets: [s]\n"                    /* 30 */
	                  "      subject: |\n"                      /* 31 */
	                  "        two\n"                           /* 32 */
	                  "        lines\n"                         /* 33 */
	                  "      text: {call_id}\n"),               /* 34 */
	             HTD_ERR_INVALID);
	assert_error(8, 31,
	             "notice supervisor_notice: subject: {callback} is not a "
	             "field of a supervisor_notice");
	assert_error(12, 17,
	             "notice supervisor_notice: text: unknown field 'unit'; "
	             "this template may use call_id, category, priority, "
	             "location, indicators, safety, units, agency and time");
	assert_error(18, 14, "notice poc_notice: text: unknown field 'script'");
	assert_error(22, 45,
	             "notice radio_alert: text: unknown field 'nature'; this "
	             "template may use call_id, script, agency and time");
	assert_error(26, 48,
	             "notice hotline_referral: subject: unknown field 'units'");
	assert_error(27, 44,
	             "notice hotline_referral: text: unknown field 'units'");
	assert_error(32, 9,
	             "notice tip_handoff: subject must be one line of text");
	assert_error(34, 14,
	             "notice tip_handoff: text must be text, not a mapping: "
	             "put a template that starts with { in quotes");
	cr_assert_eq(errs.n, 8);
}

Test(policy_notify, template_syntax_errors)
{
	cr_assert_eq(load_notice(POLICY_NOTICE_RADIO_ALERT, "text",
	                         "\"{script} {call_id\""),
	             HTD_ERR_INVALID);
	assert_error(8, 23, "'{' is never closed");
	cr_assert_eq(
	    load_notice(POLICY_NOTICE_RADIO_ALERT, "text", "\"{script} }\""),
	    HTD_ERR_INVALID);
	assert_error(8, 23, "a lone '}'");
	cr_assert_eq(
	    load_notice(POLICY_NOTICE_RADIO_ALERT, "text", "\"{Script}\""),
	    HTD_ERR_INVALID);
	assert_error(8, 15, "'S' cannot be in a field name");
	cr_assert_eq(load_notice(POLICY_NOTICE_RADIO_ALERT, "text", "\"  \""),
	             HTD_ERR_INVALID);
	assert_error(8, 13, "notice radio_alert: text is empty");
	cr_assert_eq(
	    load_notice(POLICY_NOTICE_RADIO_ALERT, "text", "\"a\\u0007b\""),
	    HTD_ERR_INVALID);
	assert_error(8, 13, "contains a control character");
	/* Literal braces are fine. */
	cr_assert_eq(
	    load_notice(POLICY_NOTICE_RADIO_ALERT, "text", "\"{{{script}}}\""),
	    HTD_OK);
	cr_assert_str_eq(template_source(pol.notify.notices[0].text),
	                 "{{{script}}}");
}

Test(policy_notify, template_too_long)
{
	struct buf v;
	buf_init(&v, 0);
	buf_puts(&v, "\"");
	for (int i = 0; i < TEMPLATE_SOURCE_MAX; i++)
		buf_puts(&v, "x");
	buf_puts(&v, "\"");
	cr_assert_eq(
	    load_notice(POLICY_NOTICE_RADIO_ALERT, "text", buf_str(&v)),
	    HTD_OK);
	buf_reset(&v);
	buf_puts(&v, "\"");
	for (int i = 0; i <= TEMPLATE_SOURCE_MAX; i++)
		buf_puts(&v, "x");
	buf_puts(&v, "\"");
	cr_assert_eq(
	    load_notice(POLICY_NOTICE_RADIO_ALERT, "text", buf_str(&v)),
	    HTD_ERR_INVALID);
	assert_error(8, 13, "is longer than 8192 bytes");
	buf_free(&v);
}

/* ---- notices ----------------------------------------------------------- */

Test(policy_notify, notice_errors)
{
	cr_assert_eq(
	    load("notifications:\n"                          /* 1 */
	         "  targets:\n"                              /* 2 */
	         "    - {id: s, transport: spool, dir: d}\n" /* 3 */
	         "  notices:\n"                              /* 4 */
	         "    - {kind: supervisor_notice, action: notify_supervisor, "
	         "targets: [s], text: a}\n" /* 5 */
	         "    - {kind: supervisor_notice, action: notify_supervisor, "
	         "targets: [s], text: b}\n" /* 6 */
	         "    - {kind: weather_report, action: notify_supervisor, "
	         "targets: [s], text: c}\n" /* 7 */
	         "    - {kind: poc_notice, action: notify_everyone, "
	         "targets: [s, nowhere, s], text: d}\n" /* 8 */
	         "    - {kind: radio_alert, action: radio_alert, targets: [], "
	         "subject: x}\n" /* 9 */
	         "    - {kind: tip_handoff, action: transfer_crime_stoppers, "
	         "targets: [s], text: \"\", colour: red}\n" /* 10 */
	         "    - {kind: hotline_referral, action: refer_nhth, "
	         "targets: s, text: x}\n"), /* 11 */
	    HTD_ERR_INVALID);
	assert_error(6, 14,
	             "notice supervisor_notice is given twice (first at line "
	             "5)");
	assert_error(7, 14,
	             "unknown notice kind 'weather_report'; use "
	             "supervisor_notice, poc_notice, tip_handoff, "
	             "hotline_referral or radio_alert");
	assert_error(8, 34,
	             "notice poc_notice: action 'notify_everyone' is not "
	             "declared under actions:");
	assert_error(8, 64,
	             "notice poc_notice: target 'nowhere' is not declared "
	             "under notifications.targets");
	assert_error(8, 73, "notice poc_notice: target 's' is listed twice");
	assert_error(9, 8, "missing required key 'text' in a notice");
	assert_error(9, 48, "notice radio_alert: targets is empty");
	assert_error(10, 80, "notice tip_handoff: text is empty");
	assert_error(10, 84,
	             "unknown key 'colour' in a notice; it has kind, "
	             "action, targets, subject, text and confirm");
	assert_error(11, 61, "notice hotline_referral: targets must be a list");
	cr_assert_eq(errs.n, 10);
}

/* NENA-STA-020.1: only transfers are confirmed by the call-taker. */
Test(policy_notify, confirm_call_taker)
{
	cr_assert_eq(
	    load("notifications:\n"
	         "  targets:\n"
	         "    - {id: s, transport: spool, dir: d}\n"
	         "  notices:\n"
	         "    - {kind: tip_handoff, action: transfer_crime_stoppers, "
	         "targets: [s], text: t, confirm: call_taker}\n"
	         "    - {kind: hotline_referral, action: refer_nhth, "
	         "targets: [s], text: t}\n"),
	    HTD_OK);
	cr_assert(policy_notice_find(&pol, POLICY_NOTICE_TIP_HANDOFF)
	              ->confirm_call_taker);
	cr_assert_not(policy_notice_find(&pol, POLICY_NOTICE_HOTLINE_REFERRAL)
	                  ->confirm_call_taker);
	cr_assert_eq(
	    load("notifications:\n"                          /* 1 */
	         "  targets:\n"                              /* 2 */
	         "    - {id: s, transport: spool, dir: d}\n" /* 3 */
	         "  notices:\n"                              /* 4 */
	         "    - {kind: radio_alert, action: radio_alert, "
	         "targets: [s], text: t, confirm: call_taker}\n" /* 5 */
	         "    - {kind: tip_handoff, action: transfer_crime_stoppers, "
	         "targets: [s], text: t, confirm: dispatcher}\n"), /* 6 */
	    HTD_ERR_INVALID);
	assert_error(5, 80,
	             "notice radio_alert: only tip_handoff and "
	             "hotline_referral are transfers a call-taker confirms");
	assert_error(6, 92,
	             "notice tip_handoff: confirm takes call_taker, "
	             "not 'dispatcher'");
}

Test(policy_notify, notices_resolve_their_targets)
{
	cr_assert_eq(
	    load("notifications:\n"
	         "  notices:\n" /* before targets: still resolved */
	         "    - {kind: radio_alert, action: radio_alert, "
	         "targets: [c, a], subject: \"S {call_id}\", text: \"T\"}\n"
	         "    - {kind: poc_notice, action: notify_ht_poc, "
	         "targets: [b], text: \"{units}\"}\n"
	         "  targets:\n"
	         "    - {id: a, transport: spool, dir: /var/spool/a}\n"
	         "    - {id: b, transport: spool, dir: b}\n"
	         "    - {id: c, transport: spool, dir: c}\n"),
	    HTD_OK);
	cr_assert_eq(pol.notify.n_notices, 2);
	const struct policy_notice *r =
	    policy_notice_find(&pol, POLICY_NOTICE_RADIO_ALERT);
	cr_assert_eq(r, &pol.notify.notices[0]);
	cr_assert_eq(r->line, 3);
	cr_assert_str_eq(r->action, "radio_alert");
	cr_assert_eq(r->n_targets, 2);
	cr_assert_eq(r->targets[0], 2);
	cr_assert_eq(r->targets[1], 0);
	cr_assert_str_eq(template_source(r->subject), "S {call_id}");
	cr_assert_str_eq(template_source(r->text), "T");
	cr_assert_eq(pol.notify.notices[1].targets[0], 1);
	cr_assert_str_eq(pol.notify.targets[0].spool_dir, "/var/spool/a");
	cr_assert_eq(pol.notify.targets[1].line, 7);
	cr_assert_null(policy_notice_find(&pol, POLICY_NOTICE_TIP_HANDOFF));
}

Test(policy_notify, section_shape)
{
	cr_assert_eq(load("notifications: []\n"), HTD_ERR_INVALID);
	assert_error(1, 1, "notifications must be a mapping");
	cr_assert_eq(load("notifications:\n  retry: {}\n"), HTD_ERR_INVALID);
	assert_error(2, 3, "missing required key 'targets' in notifications");
	assert_error(2, 3, "missing required key 'notices' in notifications");
	cr_assert_eq(load("notifications: {targets: [], notices: []}\n"),
	             HTD_ERR_INVALID);
	assert_error(1, 17, "notifications.targets is empty");
	assert_error(1, 30, "notifications.notices is empty");
	cr_assert_eq(
	    load("notifications:\n"
	         "  targets: [{id: s, transport: spool, dir: d}]\n"
	         "  notices: [{kind: radio_alert, action: radio_alert, "
	         "targets: [s], text: t}]\n"
	         "  templates: {}\n"),
	    HTD_ERR_INVALID);
	assert_error(4, 3,
	             "unknown key 'templates' in notifications; it has retry, "
	             "targets and notices");
	cr_assert_eq(load("notifications:\n"), HTD_ERR_INVALID);
	assert_error(1, 1, "notifications has no value");
}

Test(policy_notify, action_must_be_declared_even_an_agency_one)
{
	char *text =
	    policy_text("notifications:\n"
	                "  targets: [{id: s, transport: spool, dir: d}]\n"
	                "  notices: [{kind: radio_alert, action: notify_dol, "
	                "targets: [s], text: t}]\n");
	cr_assert_eq(load_text(text), HTD_ERR_INVALID);
	assert_error(3, 41,
	             "notice radio_alert: action 'notify_dol' is not declared");
	/* The agency's own action, once declared, is fine. */
	struct buf c;
	buf_init(&c, 0);
	const char *at = strstr(text, "actions:\n") + strlen("actions:\n");
	buf_append(&c, text, (size_t)(at - text));
	buf_puts(&c, "  - {id: notify_dol, label: {en: DOL}}\n");
	buf_puts(&c, at);
	cr_assert_eq(load_text(buf_str(&c)), HTD_OK);
	cr_assert_str_eq(pol.notify.notices[0].action, "notify_dol");
	buf_free(&c);
	free(text);
}

/* ---- targets ----------------------------------------------------------- */

static const char notice_s[] =
    "  notices:\n"
    "    - {kind: radio_alert, action: radio_alert, targets: [s], text: t}\n";

Test(policy_notify, target_ids_and_spool)
{
	char *text = NULL;
	struct buf b;
	buf_init(&b, 0);
	buf_puts(&b,
	         "notifications:\n"                               /* 1 */
	         "  targets:\n"                                   /* 2 */
	         "    - {id: Bad-Id, transport: spool, dir: d}\n" /* 3 */
	         "    - {id: s, transport: spool, dir: d}\n"      /* 4 */
	         "    - {id: s, transport: spool, dir: e}\n"      /* 5 */
	         "    - {id: p, transport: pigeon}\n"             /* 6 */
	         "    - {id: q, transport: spool}\n"              /* 7 */
	         "    - {id: r, transport: spool, dir: d, url: "
	         "\"https://x.example\", timeout_s: 5}\n" /* 8 */
	         "    - {id: abcdefghijklmnopqrstuvwxyz_abcdefghijklmnopqrstu, "
	         "transport: spool, dir: d}\n"        /* 9 */
	         "    - {transport: spool, dir: d}\n" /* 10 */
	         "    - {id: abcdefghijklmnopqrstuvwxyz_abcdefghijklmnopqrst, "
	         "transport: spool, dir: \"\"}\n"); /* 11 */
	buf_puts(&b, notice_s);
	text = buf_steal(&b);
	cr_assert_eq(load(text), HTD_ERR_INVALID);
	assert_error(3, 12,
	             "target id 'Bad-Id' is not valid: use lower-case "
	             "letters, digits and _ (at most 47)");
	assert_error(5, 12, "duplicate target id 's' (first at line 4)");
	assert_error(6, 26,
	             "target p: unknown transport 'pigeon'; use webhook, smtp "
	             "or spool");
	assert_error(7, 8, "target q: a spool target needs dir");
	assert_error(8, 41, "target r: url does not apply to a spool target");
	assert_error(8, 67,
	             "target r: timeout_s does not apply to a spool target");
	assert_error(9, 12, "target id 'abcdefghijklmnopqrstuvwxyz_abcdefghij");
	assert_error(10, 8,
	             "missing required key 'id' in a notification target");
	/* 47 characters is a good id; an empty dir is not. */
	assert_error(11, 84, "dir is empty");
	cr_assert_eq(errs.n, 9);
	free(text);
}

Test(policy_notify, webhook_targets)
{
	struct buf b;
	buf_init(&b, 0);
	buf_puts(&b,
	         "notifications:\n" /* 1 */
	         "  targets:\n"     /* 2 */
	         "    - {id: w1, transport: webhook, url: "
	         "\"http://h.example/x\", secret: \"env:K\"}\n" /* 3 */
	         "    - {id: w2, transport: webhook, url: "
	         "\"ftp://h.example/x\", secret: \"env:K\"}\n" /* 4 */
	         "    - {id: w3, transport: webhook, url: "
	         "\"https://u:pw@h.example/x\", secret: \"env:K\"}\n" /* 5 */
	         "    - {id: w4, transport: webhook, url: "
	         "\"https://h.example/x\"}\n" /* 6 */
	         "    - {id: w5, transport: webhook, url: \"https:///x\", "
	         "secret: \"env:K\"}\n" /* 7 */
	         "    - {id: w6, transport: webhook, secret: \"env:K\", "
	         "timeout_s: 0}\n" /* 8 */
	         "    - {id: w7, transport: webhook, url: "
	         "\"https://h.example/x\", secret: \"env:K\", timeout_s: "
	         "121}\n" /* 9 */
	         "    - {id: w8, transport: webhook, url: "
	         "\"https://h.example/x\", secret: \"env:K\", starttls: "
	         "true}\n" /* 10 */
	         "    - {id: w9, transport: webhook, url: \"https://h.ex "
	         "ample/\", secret: \"env:K\", allow_http: yes}\n" /* 11 */
	         "    - {id: s, transport: spool, dir: d}\n");     /* 12 */
	buf_puts(&b, notice_s);
	cr_assert_eq(load(buf_str(&b)), HTD_ERR_INVALID);
	buf_free(&b);
	assert_error(3, 41,
	             "target w1: url must be https:// (allow_http: true "
	             "accepts http://, for a receiver on this host)");
	assert_error(4, 41, "target w2: url must be https://");
	assert_error(5, 41,
	             "target w3: url holds a user name or password: secrets "
	             "never live in the policy file");
	assert_error(6, 8, "target w4: a webhook target needs secret");
	assert_error(7, 41, "target w5: url has no host");
	assert_error(8, 8, "target w6: a webhook target needs url");
	assert_error(8, 64, "timeout_s must be a whole number from 1 to 120");
	assert_error(9, 92, "timeout_s must be a whole number from 1 to 120");
	assert_error(10, 81,
	             "target w8: starttls does not apply to a webhook target");
	assert_error(11, 41, "target w9: url contains a blank");
	assert_error(11, 93, "allow_http must be true or false, not 'yes'");
	cr_assert_eq(errs.n, 11);
}

Test(policy_notify, webhook_target_read)
{
	cr_assert_eq(
	    load("notifications:\n"
	         "  targets:\n"
	         "    - id: local\n"
	         "      transport: webhook\n"
	         "      url: \"http://127.0.0.1:8089/hook\"\n"
	         "      allow_http: true\n"
	         "      secret: \"env:HTD_HOOK_KEY\"\n"
	         "      timeout_s: 120\n"
	         "    - {id: cad, transport: webhook, url: "
	         "\"HTTPS://cad.example.org/h?x=1\", secret: "
	         "\"file:/etc/htdispatch/cad.key\"}\n"
	         "  notices:\n"
	         "    - {kind: supervisor_notice, action: notify_supervisor, "
	         "targets: [local, cad], text: \"{call_id}\"}\n"),
	    HTD_OK);
	const struct policy_target *t = &pol.notify.targets[0];
	cr_assert_str_eq(t->id, "local");
	cr_assert_eq(t->transport, POLICY_TRANSPORT_WEBHOOK);
	cr_assert_str_eq(t->url, "http://127.0.0.1:8089/hook");
	cr_assert(t->allow_http);
	cr_assert_not(t->starttls);
	cr_assert_str_eq(t->secret_ref, "env:HTD_HOOK_KEY");
	cr_assert_eq(t->timeout_ms, 120000);
	cr_assert_eq(t->line, 3);
	cr_assert_null(t->from);
	cr_assert_null(t->to);
	cr_assert_null(t->spool_dir);
	t = &pol.notify.targets[1];
	cr_assert_str_eq(t->url, "HTTPS://cad.example.org/h?x=1");
	cr_assert_not(t->allow_http);
	cr_assert_str_eq(t->secret_ref, "file:/etc/htdispatch/cad.key");
	cr_assert_eq(t->timeout_ms, 0);
	cr_assert_eq(t->line, 9);
}

Test(policy_notify, secrets_are_named_never_written)
{
	struct buf b;
	buf_init(&b, 0);
	buf_puts(&b,
	         "notifications:\n" /* 1 */
	         "  targets:\n"     /* 2 */
	         "    - {id: a, transport: webhook, url: "
	         "\"https://h.example\", "
	         "secret: \"hunter2-literal\"}\n" /* 3 */
	         "    - {id: b, transport: webhook, url: "
	         "\"https://h.example\", "
	         "secret: \"file:relative/key\"}\n" /* 4 */
	         "    - {id: c, transport: webhook, url: "
	         "\"https://h.example\", "
	         "secret: \"env:1BAD\"}\n" /* 5 */
	         "    - {id: d, transport: webhook, url: "
	         "\"https://h.example\", "
	         "secret: \"env:\"}\n" /* 6 */
	         "    - {id: e, transport: webhook, url: "
	         "\"https://h.example\", "
	         "secret: [env:K]}\n" /* 7 */
	         "    - {id: f, transport: smtp, url: \"smtps://m.example\", "
	         "from: a@example.org, to: [b@example.org], username: u, "
	         "secret: s3cr3t-pass}\n" /* 8 */
	         "    - {id: g, transport: webhook, url: "
	         "\"https://h.example\", "
	         "secret: \"ENV:K\"}\n" /* 9 */
	         "    - {id: s, transport: spool, dir: d, secret: "
	         "\"env:K\"}\n"); /* 10 */
	buf_puts(&b, notice_s);
	cr_assert_eq(load(buf_str(&b)), HTD_ERR_INVALID);
	buf_free(&b);
	static const char msg[] = "secret must say where the secret is kept, "
	                          "as env:NAME or file:/absolute/path: secrets "
	                          "never live in the policy file";
	assert_error(3, 69, msg);
	assert_error(4, 69, msg);
	assert_error(5, 69, msg);
	assert_error(6, 69, msg);
	assert_error(7, 70, "secret must be text, not a list");
	assert_error(8, 121, msg);
	assert_error(9, 69, msg);
	assert_error(10, 41,
	             "target s: secret does not apply to a spool target");
	cr_assert_eq(errs.n, 8);
	assert_not_echoed("hunter2");
	assert_not_echoed("s3cr3t");
	assert_not_echoed("relative/key");
}

Test(policy_notify, smtp_targets)
{
	struct buf b;
	buf_init(&b, 0);
	buf_puts(
	    &b,
	    "notifications:\n" /* 1 */
	    "  targets:\n"     /* 2 */
	    "    - {id: m1, transport: smtp, url: "
	    "\"https://mail.example.org\", from: a@example.org, to: "
	    "[b@example.org]}\n" /* 3 */
	    "    - {id: m2, transport: smtp, url: "
	    "\"smtp://mail.example.org\"}\n" /* 4 */
	    "    - {id: m3, transport: smtp, url: \"smtp://m.example\", "
	    "from: \"not an address\", to: []}\n" /* 5 */
	    "    - {id: m4, transport: smtp, url: \"smtp://m.example\", "
	    "from: a@example.org, to: [b@example.org, c@@example.org, "
	    "\"<d@example.org>\"]}\n" /* 6 */
	    "    - {id: m5, transport: smtp, url: \"smtp://m.example\", "
	    "from: a@example.org, to: [b@example.org], username: htd}\n" /* 7 */
	    "    - {id: m6, transport: smtp, url: \"smtp://m.example\", "
	    "from: a@example.org, to: [b@example.org], secret: "
	    "\"env:PW\"}\n" /* 8 */
	    "    - {id: m7, transport: smtp, url: \"smtp://m.example\", "
	    "from: a@example.org, to: [b@example.org], dir: d, "
	    "allow_http: true}\n" /* 9 */
	    "    - {id: m8, transport: smtp, url: \"smtp://m.example\", "
	    "from: a@example.org, to: b@example.org}\n"   /* 10 */
	    "    - {id: s, transport: spool, dir: d}\n"); /* 11 */
	buf_puts(&b, notice_s);
	cr_assert_eq(load(buf_str(&b)), HTD_ERR_INVALID);
	buf_free(&b);
	assert_error(3, 38,
	             "target m1: url must be smtp://host[:port] or "
	             "smtps://host[:port]");
	assert_error(4, 8, "target m2: a smtp target needs from");
	assert_error(4, 8, "target m2: a smtp target needs to");
	assert_error(5, 64,
	             "target m3: from 'not an address' is not a plain e-mail "
	             "address");
	assert_error(5, 82, "target m3: to is empty");
	assert_error(6, 99, "target m4: to 'c@@example.org' is not a plain");
	assert_error(6, 115, "target m4: to '<d@example.org>' is not a plain");
	assert_error(7, 100,
	             "target m5: username needs secret (the SMTP password, as "
	             "env:NAME or file:/path)");
	assert_error(8, 100,
	             "target m6: secret is the SMTP password and needs "
	             "username");
	assert_error(9, 100, "target m7: dir does not apply to a smtp target");
	assert_error(9, 108,
	             "target m7: allow_http does not apply to a smtp target");
	assert_error(10, 83, "target m8: to must be a list");
	cr_assert_eq(errs.n, 12);
}

Test(policy_notify, smtp_target_read_and_recipient_cap)
{
	cr_assert_eq(
	    load("notifications:\n"
	         "  targets:\n"
	         "    - id: poc_mail\n"
	         "      transport: smtp\n"
	         "      url: \"smtp://mail.example.org:587\"\n"
	         "      starttls: true\n"
	         "      from: \"htdispatch@example.org\"\n"
	         "      to: [\"ht-poc@example.org\", oncall@example.org]\n"
	         "      username: htdispatch\n"
	         "      secret: \"file:/etc/htdispatch/smtp.password\"\n"
	         "      timeout_s: 30\n"
	         "    - {id: plain, transport: smtp, url: "
	         "\"smtps://mail.example.org\", from: a@example.org, to: "
	         "[b@example.org]}\n"
	         "  notices:\n"
	         "    - {kind: poc_notice, action: notify_ht_poc, targets: "
	         "[poc_mail, plain], text: \"{call_id}\"}\n"),
	    HTD_OK);
	const struct policy_target *t = &pol.notify.targets[0];
	cr_assert_eq(t->transport, POLICY_TRANSPORT_SMTP);
	cr_assert_str_eq(t->url, "smtp://mail.example.org:587");
	cr_assert(t->starttls);
	cr_assert_str_eq(t->from, "htdispatch@example.org");
	cr_assert_eq(t->n_to, 2);
	cr_assert_str_eq(t->to[0], "ht-poc@example.org");
	cr_assert_str_eq(t->to[1], "oncall@example.org");
	cr_assert_str_eq(t->username, "htdispatch");
	cr_assert_str_eq(t->secret_ref, "file:/etc/htdispatch/smtp.password");
	cr_assert_eq(t->timeout_ms, 30000);
	t = &pol.notify.targets[1];
	cr_assert_null(t->username);
	cr_assert_null(t->secret_ref);
	cr_assert_not(t->starttls);

	/* 100 recipients, then 101. */
	for (int n = 100; n <= 101; n++) {
		struct buf b;
		buf_init(&b, 0);
		buf_puts(&b, "notifications:\n"
		             "  targets:\n"
		             "    - id: m\n"
		             "      transport: smtp\n"
		             "      url: \"smtp://m.example\"\n"
		             "      from: a@example.org\n"
		             "      to:\n");
		for (int i = 0; i < n; i++)
			buf_printf(&b, "        - r%d@example.org\n", i);
		buf_puts(&b, "  notices:\n"
		             "    - {kind: radio_alert, action: radio_alert, "
		             "targets: [m], text: t}\n");
		cr_assert_eq(load(buf_str(&b)),
		             n == 100 ? HTD_OK : HTD_ERR_INVALID);
		if (n == 100)
			cr_assert_eq(pol.notify.targets[0].n_to, 100);
		else
			assert_error(8, 11,
			             "target m: to has more than 100 "
			             "items");
		buf_free(&b);
	}
}

Test(policy_notify, too_many_targets)
{
	struct buf b;
	buf_init(&b, 0);
	buf_puts(&b, "notifications:\n  targets:\n");
	for (int i = 0; i <= POLICY_TARGETS_MAX; i++)
		buf_printf(&b, "    - {id: t%d, transport: spool, dir: d}\n",
		           i);
	buf_puts(&b, "  notices:\n"
	             "    - {kind: radio_alert, action: radio_alert, "
	             "targets: [t0], text: t}\n");
	cr_assert_eq(load(buf_str(&b)), HTD_ERR_INVALID);
	assert_error(3, 8, "notifications.targets has more than 64 items");
	buf_free(&b);
}

/* ---- retry ------------------------------------------------------------- */

static enum htd_err load_retry(const char *retry)
{
	struct buf b;
	buf_init(&b, 0);
	buf_printf(&b,
	           "notifications:\n"
	           "  retry: %s\n"
	           "  targets: [{id: s, transport: spool, dir: d}]\n"
	           "  notices: [{kind: radio_alert, action: radio_alert, "
	           "targets: [s], text: t}]\n",
	           retry);
	enum htd_err rc = load(buf_str(&b));
	buf_free(&b);
	return rc;
}

Test(policy_notify, retry)
{
	cr_assert_eq(load_retry("{attempts: 3, first_delay_s: 1, "
	                        "max_delay_s: 60}"),
	             HTD_OK);
	cr_assert_eq(pol.notify.attempts, 3);
	cr_assert_eq(pol.notify.first_delay_ms, 1000);
	cr_assert_eq(pol.notify.max_delay_ms, 60000);
	cr_assert_eq(load_retry("{attempts: 50}"), HTD_OK);
	cr_assert_eq(pol.notify.attempts, 50);
	cr_assert_eq(pol.notify.first_delay_ms, 5000);
	cr_assert_eq(pol.notify.max_delay_ms, 600000);
	cr_assert_eq(load_retry("{first_delay_s: 3600, max_delay_s: 86400}"),
	             HTD_OK);
	cr_assert_eq(pol.notify.max_delay_ms, 86400000);

	/* `  retry: {` is 10 bytes. */
	cr_assert_eq(load_retry("{attempts: 0, first_delay_s: 700, "
	                        "max_delay_s: 600}"),
	             HTD_ERR_INVALID);
	assert_error(2, 21,
	             "retry.attempts must be a whole number from 1 to 50, not "
	             "'0'");
	assert_error(2, 39,
	             "retry.first_delay_s (700) is greater than "
	             "retry.max_delay_s (600)");
	cr_assert_eq(errs.n, 2);
	cr_assert_eq(load_retry("{attempts: 51}"), HTD_ERR_INVALID);
	assert_error(2, 21, "retry.attempts must be a whole number");
	cr_assert_eq(load_retry("{max_delay_s: 4}"), HTD_ERR_INVALID);
	assert_error(2, 24,
	             "retry.first_delay_s (5) is greater than "
	             "retry.max_delay_s (4)");
	cr_assert_eq(load_retry("{first_delay_s: 0, max_delay_s: 86401}"),
	             HTD_ERR_INVALID);
	assert_error(2, 26,
	             "retry.first_delay_s must be a whole number from "
	             "1 to 3600");
	assert_error(2, 42,
	             "retry.max_delay_s must be a whole number from 1 "
	             "to 86400");
	cr_assert_eq(load_retry("{attempt: 3}"), HTD_ERR_INVALID);
	assert_error(2, 11,
	             "unknown key 'attempt' in notifications.retry; it has "
	             "attempts, first_delay_s and max_delay_s");
}
