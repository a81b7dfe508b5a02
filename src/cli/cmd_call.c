/*
 * cmd_call.c - `htdispatch call`: the trafficking protocol in a terminal,
 * for a PSAP without the console, for training and for scripted tests.
 * Opens (or resumes) a call, shows the decision and asks the next question
 * until the call-taker closes or leaves the call. Every change is one use
 * case of service/calls.h, on disk before the next prompt; this file reads
 * lines and prints.
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cli/cli.h"
#include "formats/decision_json.h"
#include "formats/event_json.h"
#include "service/related.h"
#include "util/clock.h"
#include "util/mem.h"
#include "util/str.h"

/* Longest input line: the longest note with its command in front. */
#define CALL_LINE_MAX (CALL_NOTE_MAX + 64)
/* Indicator hits listed in the text display (the newest). */
#define CALL_HITS_SHOWN 20

/* The commands of the loop, for --help and :help alike. */
#define CALL_LOOP_HELP                                                       \
	"At the prompt:\n"                                                   \
	"  ANSWER               answer the question shown: yes, no or "      \
	"unknown\n"                                                          \
	"                       (also y, n, si, ?), a choice's number or "   \
	"id, a\n"                                                            \
	"                       number, a language tag or text, as the "     \
	"question\n"                                                         \
	"                       says\n"                                      \
	"  :note TEXT           add a note; the indicators in it are found " \
	"and shown\n"                                                        \
	"  :answer QID VALUE    answer any question, in any order\n"         \
	"  :skip                go on without answering; asked again "       \
	"later\n"                                                            \
	"  :lang TAG            show the questions in another language "     \
	"(es, en);\n"                                                        \
	"                       the caller's language is the question "      \
	"'language'\n"                                                       \
	"  :override CATEGORY REASON...\n"                                   \
	"                       set the category in force: victim_escape,\n" \
	"                       victim_call, credible_tip or other (none "   \
	"withdraws)\n"                                                       \
	"  :done ACTION [NOTE...]  mark an action of the checklist done\n"   \
	"  :na ACTION REASON...    mark an action not applicable\n"          \
	"  :show                show the decision again\n"                   \
	"  :help                this list\n"                                 \
	"  :close DISPOSITION [SUMMARY...]\n"                                \
	"                       close the call and end (dispositions: "      \
	"officer_handled,\n"                                                 \
	"                       transferred_tip_line, referred_hotline,\n"   \
	"                       referred_other_agency, information_only, "   \
	"unfounded,\n"                                                       \
	"                       duplicate, disconnected)\n"                  \
	"  :quit                end, leaving the call open (so does the "    \
	"end of input)\n"                                                    \
	"Checklist: [ ] required  [x] done  [-] not applicable  (no longer " \
	"required)\n"

const char cli_usage_call[] =
    "usage: htdispatch call [OPTIONS]\n"
    "\n"
    "Takes a trafficking call in the terminal. Opens a call (or resumes "
    "one\n"
    "with --call) and prints its id; then shows the protocol's decision "
    "(the\n"
    "category in force, priority, AMP elements, the action checklist, the\n"
    "indicators found in the notes) and asks the next screening question,\n"
    "until the call is closed or left open. Every answer, note and mark is\n"
    "saved before the next prompt. When the caller cannot talk freely\n"
    "(safe_to_talk = no) only yes/no questions are asked, with covert\n"
    "wording, and NO CALLBACK is shown.\n"
    "\n"
    "Options:\n"
    "  --language TAG   the call's language, and the questions' (default "
    "en)\n"
    "  --channel NAME   voice (default), text, tty, video, admin, transfer\n"
    "  --location TEXT  where it is happening, as told\n"
    "  --callback NUMBER  the number to call back\n"
    "  --caller NAME    the caller's name (leave out when anonymous)\n"
    "  --call ID        resume an open call instead of opening one\n"
    "                   (--language then sets only the questions' "
    "language)\n"
    "  --script FILE    read the session from FILE ('-': standard input):\n"
    "                   each line is echoed after '> ', lines starting "
    "with '#'\n"
    "                   are comments, and the first line that fails ends "
    "the\n"
    "                   session with FILE:LINE: message (what came before "
    "it\n"
    "                   is saved)\n" CLI_ENGINE_USAGE "\n" CALL_LOOP_HELP "\n"
    "Without --script, a prompt is shown when standard input is a "
    "terminal;\n"
    "otherwise lines are read and echoed as from a script, but a line "
    "that\n"
    "fails is reported and the session goes on. Lines are at most 16 KiB.\n"
    "With --json, each step is one JSON object on standard output:\n"
    "  {\"call\", \"status\", \"language\", \"asking\", \"skipped\", "
    "\"decision\"}\n"
    "(\"decision\" as `htdispatch assess` prints it), errors as\n"
    "{\"call\", \"error\"}, the end as {\"call\", \"status\", \"ended\"}: "
    "closed,\n"
    "quit, eof, failed or closed_elsewhere.\n"
    "\n"
    "Common options: --db PATH, --json, --busy-timeout MS, --help.\n"
    "Exit status: 0 the call was closed or left open; 1 the protocol,\n"
    "policy or lexicon cannot be loaded (each problem as FILE:LINE:COLUMN;\n"
    "no call is opened), the database or the call cannot be used (e.g. it\n"
    "was closed elsewhere), or a script line failed; 2 usage error.\n";

/* One note of the call, to show the words an indicator was found in. */
struct note_text {
	int64_t seq; /* of its note_added event */
	char *text;  /* owned */
};

struct session {
	struct cli *cli;
	struct service svc;
	struct call call;                     /* as the last change left it */
	struct decision decision;             /* on `call`, now */
	char language[CALL_LANGUAGE_MAX + 1]; /* of the questions shown */
	bool *skipped;                        /* [n_questions] */
	long asking; /* question index at the prompt; -1: none */
	struct note_text *notes;
	size_t n_notes;
	int64_t notes_of; /* the call's note_count when they were read */
	/* Input. */
	FILE *in;
	const char *in_name; /* for FILE:LINE messages */
	long line_no;
	bool script; /* --script: stop at the first line that fails */
	bool prompt; /* a person at a terminal */
};

/* What a line did, and so what to show next. */
enum step {
	STEP_QUESTION, /* nothing changed: show the question again */
	STEP_CHANGED,  /* the call changed: show the decision and question */
	STEP_QUIET,    /* show nothing (a blank line, a comment) */
	STEP_FAILED,   /* reported; the question is asked again */
	STEP_CLOSED,   /* the call was closed: end */
	STEP_QUIT,     /* the call-taker left: end */
};

static const struct protocol *proto_of(const struct session *s)
{
	return &s->svc.engine->protocol;
}

static const struct policy *policy_of(const struct session *s)
{
	return &s->svc.engine->policy;
}

/* True when tags `a` and `b` have the same primary language subtag. */
static bool same_language(const char *a, const char *b)
{
	size_t la = strcspn(a, "-"), lb = strcspn(b, "-");
	return la == lb && la > 0 && strncasecmp(a, b, la) == 0;
}

/* True when the protocol has texts in `language`. */
static bool protocol_speaks(const struct protocol *p, const char *language)
{
	for (size_t i = 0; i < p->n_languages; i++)
		if (same_language(p->languages[i], language))
			return true;
	return false;
}

/* ---- output ------------------------------------------------------------ */

static void print_json_line(json_t *o)
{
	json_dumpf(o, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER);
	fputc('\n', stdout);
	json_decref(o);
}

/* Human messages: to stdout, or to stderr when stdout carries JSON. */
static FILE *human(const struct session *s)
{
	return s->cli->json ? stderr : stdout;
}

/* Reports an error of the line being handled: "FILE:LINE: message" in a
 * script, "error: message" otherwise; also as JSON with --json. */
static void report(struct session *s, const struct htd_error *err)
{
	char msg[HTD_ERROR_MESSAGE_MAX + HTD_ERROR_FILE_MAX + 32];
	htd_error_format(err, msg, sizeof(msg));
	fflush(stdout);
	if (s->script && s->line_no > 0)
		fprintf(stderr, "%s:%ld: %s\n", s->in_name, s->line_no, msg);
	else
		fprintf(stderr, "error: %s\n", msg);
	if (s->cli->json) {
		json_t *e = json_pack(
		    "{s:s,s:s,s:s?}", "code", htd_err_name(err->code),
		    "message", msg, "field", err->field[0] ? err->field : NULL);
		if (s->line_no > 0)
			json_object_set_new(e, "line",
			                    json_integer(s->line_no));
		print_json_line(
		    json_pack("{s:s,s:o}", "call", s->call.ref, "error", e));
	}
	fflush(stderr);
}

/* Returns the text of the note with event seq `note`, or NULL. */
static const char *note_find(const struct session *s, int64_t note)
{
	for (size_t i = 0; i < s->n_notes; i++)
		if (s->notes[i].seq == note)
			return s->notes[i].text;
	return NULL;
}

/* note_find() for decision_json(). */
static const char *note_text_of(void *ctx, int64_t note)
{
	return note_find(ctx, note);
}

static void notes_free(struct session *s)
{
	for (size_t i = 0; i < s->n_notes; i++)
		free(s->notes[i].text);
	free(s->notes);
	s->notes = NULL;
	s->n_notes = 0;
}

static int collect_note(void *ctx, const struct store_event *e)
{
	struct session *s = ctx;
	if (strcmp(e->type, call_event_type_name(CALL_EVENT_NOTE_ADDED)) != 0)
		return 0;
	struct event_decoded d;
	if (event_json_decode(e->type, e->at_ms, e->actor, e->payload, &d,
	                      NULL) != HTD_OK)
		return 0; /* `calls verify` reports it; here it only shows */
	s->notes = xrealloc(s->notes, (s->n_notes + 1) * sizeof(*s->notes));
	s->notes[s->n_notes].seq = e->seq;
	s->notes[s->n_notes].text = xstrdup(d.event.u.note.text);
	s->n_notes++;
	event_decoded_release(&d);
	return 0;
}

/*
 * Reads the call's decision afresh, and its notes when there are new ones
 * (to show where each indicator was found). Picks the question to ask:
 * the first next question not skipped; when every one was skipped, the
 * skip list starts over.
 */
static enum htd_err refresh(struct session *s, bool *restarted,
                            struct htd_error *err)
{
	decision_free(&s->decision);
	enum htd_err rc =
	    calls_decision(&s->svc, s->call.ref, &s->call, &s->decision, err);
	if (rc != HTD_OK)
		return rc;
	if (s->notes_of != s->call.note_count) {
		notes_free(s);
		rc = calls_history(&s->svc, s->call.ref, collect_note, s, err);
		if (rc != HTD_OK)
			return rc;
		s->notes_of = s->call.note_count;
	}
	const struct decision *d = &s->decision;
	*restarted = false;
	s->asking = -1;
	for (size_t i = 0; i < d->n_next && s->asking < 0; i++)
		if (!s->skipped[d->next[i]])
			s->asking = (long)d->next[i];
	if (s->asking < 0 && d->n_next > 0) {
		memset(s->skipped, 0,
		       proto_of(s)->n_questions * sizeof(*s->skipped));
		s->asking = (long)d->next[0];
		*restarted = true;
	}
	return HTD_OK;
}

static void print_no_callback(const struct session *s)
{
	if (same_language(s->language, "es"))
		printf("*** NO DEVOLVER LA LLAMADA - quien llama no puede "
		       "hablar libremente: solo preguntas de sí o no ***\n");
	else
		printf("*** NO CALLBACK - caller cannot talk freely: yes/no "
		       "questions only ***\n");
}

static void print_amp(unsigned amp)
{
	bool first = true;
	printf("  AMP elements: ");
	for (unsigned bit = 1; bit <= AMP_MINOR; bit <<= 1) {
		if (!(amp & bit))
			continue;
		char name[32];
		printf("%s%s", first ? "" : ", ",
		       amp_format(bit, name, sizeof(name)));
		first = false;
	}
	printf("%s\n", first ? "none yet" : "");
}

static void print_action(const struct session *s,
                         const struct decision_action *a)
{
	const struct policy *pol = policy_of(s);
	long ai = policy_action_index(pol, a->id);
	const char *label =
	    ai >= 0 ? protocol_text_get(&pol->actions[ai].label, s->language)
	            : "";
	const char *box = "[ ]";
	switch (a->state) {
	case CALL_ACTION_REQUIRED: box = "[ ]"; break;
	case CALL_ACTION_DONE: box = "[x]"; break;
	case CALL_ACTION_NOT_APPLICABLE: box = "[-]"; break;
	case CALL_ACTION_NOT_REQUIRED:
	case CALL_ACTION__COUNT: box = "   "; break;
	}
	printf("  %s %-24s %s", box, a->id, label);
	/* NENA steps 3 and 4: the number to hand the call to, unless the
	 * label says it already. */
	const char *number = NULL;
	if (str_eq(a->id, "refer_nhth"))
		number = pol->hotline_number;
	else if (str_eq(a->id, "transfer_crime_stoppers"))
		number = pol->tip_line_number;
	if (!str_empty(number) && !strstr(label, number))
		printf(" (%s)", number);
	if (a->state == CALL_ACTION_NOT_REQUIRED)
		printf(" (no longer required)");
	const struct call_action *ca = call_action_get(&s->call, a->id);
	if (ca && ca->marked) {
		printf("\n      %s by %s%s%s",
		       a->state == CALL_ACTION_DONE ? "done" : "not applicable",
		       ca->mark_by, str_empty(ca->mark_reason) ? "" : ": ",
		       ca->mark_reason);
	}
	fputc('\n', stdout);
}

static void print_hit(const struct session *s, const struct call_hit *h)
{
	const char *text = note_find(s, h->note);
	printf("  %-26s", h->indicator);
	if (text && h->start <= h->end && h->end <= strlen(text))
		printf(" \"%.*s\"", (int)(h->end - h->start), text + h->start);
	if (h->negated)
		printf("  (negated: not counted)");
	else if (h->hypothetical)
		printf("  (hypothetical: not counted)");
	else if (h->historical)
		printf("  (historical: in the past)");
	fputc('\n', stdout);
}

static void print_decision(const struct session *s)
{
	const struct decision *d = &s->decision;
	const struct call *c = &s->call;
	printf("\n== Call %s: %s, priority %d ==\n", c->ref,
	       call_category_name(d->category), d->priority);
	if (d->overridden)
		printf(
		    "  overridden by %s: %s\n  the protocol recommends: %s\n",
		    c->override_by, c->override_reason,
		    call_category_name(d->recommended));
	if (d->covert)
		print_no_callback(s);
	print_amp(d->amp);
	printf("Checklist\n");
	if (d->n_actions == 0)
		printf("  (nothing yet)\n");
	for (size_t i = 0; i < d->n_actions; i++)
		print_action(s, &d->actions[i]);
	if (c->n_hits > 0) {
		printf("Indicators in the notes\n");
		size_t first = c->n_hits > CALL_HITS_SHOWN
		                   ? c->n_hits - CALL_HITS_SHOWN
		                   : 0;
		if (first > 0)
			printf("  (%zu earlier ones not shown: htdispatch "
			       "calls show %s --json)\n",
			       first, c->ref);
		for (size_t i = first; i < c->n_hits; i++)
			print_hit(s, &c->hits[i]);
	}
}

static void print_answer_forms(const struct session *s,
                               const struct protocol_question *q)
{
	const struct protocol *p = proto_of(s);
	switch (q->kind) {
	case RULE_ANSWER_YES_NO:
		printf("  answer: yes / no / unknown\n");
		break;
	case RULE_ANSWER_CHOICE:
		printf("  answer: a number or id below, or unknown\n");
		for (size_t i = 0; i < q->n_choices; i++) {
			const char *label =
			    q->choice_labels
			        ? protocol_text_get(&q->choice_labels[i],
			                            s->language)
			        : "";
			printf("    %zu  %s%s%s%s\n", i + 1,
			       str_empty(label) ? q->choices[i] : label,
			       str_empty(label) ? "" : " (",
			       str_empty(label) ? "" : q->choices[i],
			       str_empty(label) ? "" : ")");
		}
		break;
	case RULE_ANSWER_NUMBER:
		printf("  answer: a number from %lld to %lld\n",
		       (long long)q->min, (long long)q->max);
		break;
	case RULE_ANSWER_LANGUAGE:
		printf("  answer: a language tag");
		for (size_t i = 0; i < p->n_languages; i++)
			printf("%s%s", i ? ", " : " (", p->languages[i]);
		printf("%s\n", p->n_languages ? ", ...)" : "");
		break;
	case RULE_ANSWER_TEXT:
	case RULE_ANSWER__COUNT: printf("  answer: text, on one line\n"); break;
	}
}

static void print_question(const struct session *s, bool with_flag,
                           bool restarted)
{
	const struct decision *d = &s->decision;
	if (with_flag && d->covert)
		print_no_callback(s);
	if (s->asking < 0) {
		printf("\nNo question left to ask. Work the checklist "
		       "(:done, :na), then :close DISPOSITION SUMMARY.\n");
		return;
	}
	if (restarted)
		printf("\nEvery question left was skipped: asking them "
		       "again.\n");
	const struct protocol_question *q = &proto_of(s)->questions[s->asking];
	const struct protocol_texts *text =
	    d->covert && q->covert.n ? &q->covert : &q->text;
	printf("\nQuestion %s%s (%zu to ask)\n", q->id,
	       q->safety ? " [safety]" : "", d->unanswered);
	printf("  %s\n", protocol_text_get(text, s->language));
	const char *why = protocol_text_get(&q->why, s->language);
	if (!str_empty(why))
		printf("  why: %s\n", why);
	print_answer_forms(s, q);
}

/* One JSON object for the state after a step. */
static void emit_step(struct session *s)
{
	const struct protocol *p = proto_of(s);
	json_t *skipped = json_array();
	for (size_t i = 0; i < p->n_questions; i++)
		if (s->skipped[i])
			json_array_append_new(skipped,
			                      json_string(p->questions[i].id));
	json_t *o = json_pack(
	    "{s:s,s:s,s:s,s:s?,s:o,s:o}", "call", s->call.ref, "status",
	    call_status_name(s->call.status), "language", s->language, "asking",
	    s->asking >= 0 ? p->questions[s->asking].id : NULL, "skipped",
	    skipped, "decision",
	    decision_json(&s->decision, p, policy_of(s), &s->call, s->language,
	                  note_text_of, s));
	print_json_line(o);
}

/* Shows the state after a step as `step` asks. */
static void show(struct session *s, enum step step, bool restarted)
{
	if (step == STEP_QUIET || step == STEP_CLOSED || step == STEP_QUIT)
		return;
	if (s->cli->json) {
		if (step != STEP_FAILED)
			emit_step(s);
		return;
	}
	if (step == STEP_CHANGED)
		print_decision(s);
	print_question(s, step != STEP_CHANGED, restarted);
}

static void show_prompt(const struct session *s)
{
	if (!s->prompt)
		return;
	FILE *f = human(s);
	if (s->asking >= 0)
		fprintf(f, "%s> ", proto_of(s)->questions[s->asking].id);
	else
		fprintf(f, "> ");
	fflush(f);
}

/* ---- input ------------------------------------------------------------- */

enum line_status { LINE_OK, LINE_EOF, LINE_TOO_LONG, LINE_NUL, LINE_ERROR };

/*
 * Reads one line (without its "\n" or "\r\n") into `buf` of `size` bytes.
 * A longer line is read to its end and refused, as is one holding a NUL
 * byte; a last line without "\n" counts.
 */
static enum line_status read_line(FILE *in, char *buf, size_t size)
{
	size_t n = 0;
	bool too_long = false, nul = false, any = false;
	int ch;
	for (;;) {
		ch = getc(in);
		if (ch == EOF && ferror(in) && errno == EINTR) {
			clearerr(in);
			continue;
		}
		if (ch == EOF || ch == '\n')
			break;
		any = true;
		if (ch == '\0')
			nul = true;
		if (n + 1 < size)
			buf[n++] = (char)ch;
		else
			too_long = true;
	}
	if (ch == EOF && ferror(in))
		return LINE_ERROR;
	if (ch == EOF && !any)
		return LINE_EOF;
	if (n > 0 && buf[n - 1] == '\r')
		n--;
	buf[n] = '\0';
	if (too_long)
		return LINE_TOO_LONG;
	return nul ? LINE_NUL : LINE_OK;
}

/* Splits the first word (up to a blank) off `s` into `word`; *rest gets
 * what follows, without leading blanks. False when there is no word or it
 * does not fit. */
static bool first_word(const char *s, char *word, size_t size,
                       const char **rest)
{
	size_t n = strcspn(s, " \t");
	if (n == 0 || n >= size)
		return false;
	memcpy(word, s, n);
	word[n] = '\0';
	s += n;
	*rest = s + strspn(s, " \t");
	return true;
}

/* ---- the commands ---------------------------------------------------------
 */

/* A choice question takes the number shown beside a choice, too. */
static const char *choice_by_number(const struct protocol_question *q,
                                    const char *value)
{
	int64_t n;
	if (q->kind != RULE_ANSWER_CHOICE ||
	    !str_to_i64(value, 1, (int64_t)q->n_choices, &n))
		return value;
	for (size_t i = 0; i < q->n_choices; i++)
		if (strcasecmp(q->choices[i], value) == 0)
			return value; /* a choice whose id is a number */
	return q->choices[n - 1];
}

static enum step answer(struct session *s, const char *qid, const char *value,
                        struct htd_error *err)
{
	long i = protocol_question_index(proto_of(s), qid);
	if (i >= 0)
		value = choice_by_number(&proto_of(s)->questions[i], value);
	if (calls_record_answer(&s->svc, cli_actor(), s->call.ref, qid, value,
	                        &s->call, err) != HTD_OK)
		return STEP_FAILED;
	if (i >= 0)
		s->skipped[i] = false;
	/* The caller's language is an answer; the questions' is the
	 * call-taker's choice. Say how to follow the caller. */
	const struct call_answer *a = call_answer_get(&s->call, qid);
	if (a && str_eq(qid, "language") &&
	    !same_language(a->value, s->language) &&
	    protocol_speaks(proto_of(s), a->value))
		fprintf(human(s),
		        "The caller speaks %s: type ':lang %s' to show the "
		        "questions in it.\n",
		        a->value, a->value);
	return STEP_CHANGED;
}

static enum step cmd_lang(struct session *s, const char *arg,
                          struct htd_error *err)
{
	char tag[CALL_LANGUAGE_MAX + 1];
	if (!call_language_normalise(arg, tag, sizeof(tag))) {
		htd_error_field(err, HTD_ERR_INVALID, "language",
		                ":lang takes a language tag such as es or en, "
		                "not '%.40s'",
		                arg);
		return STEP_FAILED;
	}
	str_copy(s->language, sizeof(s->language), tag);
	if (!protocol_speaks(proto_of(s), tag))
		fprintf(human(s),
		        "The protocol has no texts in %s: its questions are "
		        "shown in English.\n",
		        tag);
	else
		fprintf(human(s), "Questions in %s from now on.\n", tag);
	return STEP_QUESTION;
}

static enum step cmd_skip(struct session *s, struct htd_error *err)
{
	if (s->asking < 0) {
		htd_error_set(err, HTD_ERR_USAGE,
		              "there is no question to skip");
		return STEP_FAILED;
	}
	s->skipped[s->asking] = true;
	return STEP_QUESTION;
}

static enum step cmd_mark(struct session *s, const char *state, const char *arg,
                          struct htd_error *err)
{
	char action[CALL_ACTION_ID_MAX];
	const char *reason = "";
	if (!first_word(arg, action, sizeof(action), &reason)) {
		htd_error_set(err, HTD_ERR_USAGE, "%s",
		              str_eq(state, "done")
		                  ? "usage: :done ACTION [NOTE...]"
		                  : "usage: :na ACTION REASON...");
		return STEP_FAILED;
	}
	if (calls_mark_action(&s->svc, cli_actor(), s->call.ref, action, state,
	                      reason, &s->call, err) != HTD_OK)
		return STEP_FAILED;
	return STEP_CHANGED;
}

static enum step cmd_override(struct session *s, const char *arg,
                              struct htd_error *err)
{
	char category[32];
	const char *reason = "";
	if (!first_word(arg, category, sizeof(category), &reason)) {
		htd_error_set(
		    err, HTD_ERR_USAGE,
		    "usage: :override CATEGORY REASON... (victim_escape, "
		    "victim_call, credible_tip, other; none "
		    "withdraws)");
		return STEP_FAILED;
	}
	if (calls_override(&s->svc, cli_actor(), s->call.ref, category, reason,
	                   &s->call, err) != HTD_OK)
		return STEP_FAILED;
	return STEP_CHANGED;
}

static enum step cmd_close(struct session *s, const char *arg,
                           struct htd_error *err)
{
	char disposition[64];
	const char *summary = "";
	if (!first_word(arg, disposition, sizeof(disposition), &summary)) {
		htd_error_set(err, HTD_ERR_USAGE,
		              "usage: :close DISPOSITION [SUMMARY...]; "
		              ":help lists the dispositions");
		return STEP_FAILED;
	}
	if (calls_close(&s->svc, cli_actor(), s->call.ref, disposition, summary,
	                &s->call, err) != HTD_OK)
		return STEP_FAILED;
	return STEP_CLOSED;
}

/* Handles one line of input. */
static enum step run_line(struct session *s, const char *line,
                          struct htd_error *err)
{
	size_t len;
	const char *t = str_trim(line, &len);
	char buf[CALL_LINE_MAX + 1];
	memcpy(buf, t, len);
	buf[len] = '\0';

	if (len == 0 || (s->script && buf[0] == '#'))
		return STEP_QUIET;
	if (buf[0] != ':') {
		if (s->asking < 0) {
			htd_error_set(err, HTD_ERR_USAGE,
			              "no question is waiting for an answer; "
			              "use :answer QID VALUE, :note TEXT or "
			              ":close (:help lists the commands)");
			return STEP_FAILED;
		}
		return answer(s, proto_of(s)->questions[s->asking].id, buf,
		              err);
	}
	char cmd[16];
	const char *arg = "";
	if (!first_word(buf, cmd, sizeof(cmd), &arg))
		str_copy(cmd, sizeof(cmd), "?");
	if (str_eq(cmd, ":note")) {
		if (str_empty(arg)) {
			htd_error_set(err, HTD_ERR_USAGE, "usage: :note TEXT");
			return STEP_FAILED;
		}
		if (calls_add_note(&s->svc, cli_actor(), s->call.ref, arg,
		                   &s->call, err) != HTD_OK)
			return STEP_FAILED;
		return STEP_CHANGED;
	}
	if (str_eq(cmd, ":answer")) {
		char qid[CALL_QUESTION_ID_MAX];
		const char *value = "";
		if (!first_word(arg, qid, sizeof(qid), &value)) {
			htd_error_set(err, HTD_ERR_USAGE,
			              "usage: :answer QID VALUE");
			return STEP_FAILED;
		}
		return answer(s, qid, value, err);
	}
	if (str_eq(cmd, ":lang"))
		return cmd_lang(s, arg, err);
	if (str_eq(cmd, ":skip"))
		return cmd_skip(s, err);
	if (str_eq(cmd, ":override"))
		return cmd_override(s, arg, err);
	if (str_eq(cmd, ":done"))
		return cmd_mark(s, "done", arg, err);
	if (str_eq(cmd, ":na"))
		return cmd_mark(s, "not_applicable", arg, err);
	if (str_eq(cmd, ":show"))
		return STEP_CHANGED;
	if (str_eq(cmd, ":help")) {
		fputs(CALL_LOOP_HELP, human(s));
		return STEP_QUESTION;
	}
	if (str_eq(cmd, ":close"))
		return cmd_close(s, arg, err);
	if (str_eq(cmd, ":quit"))
		return STEP_QUIT;
	htd_error_set(err, HTD_ERR_USAGE,
	              "unknown command '%.20s'; :help lists the commands", cmd);
	return STEP_FAILED;
}

/* ---- the session ----------------------------------------------------------
 */

static void print_left_open(const struct session *s, const char *how)
{
	if (s->cli->json) {
		print_json_line(
		    json_pack("{s:s,s:s,s:s}", "call", s->call.ref, "status",
		              call_status_name(s->call.status), "ended", how));
		return;
	}
	printf("\nCall %s is still open. Show it: %s calls show %s\n"
	       "Take it up again: %s call --call %s\n",
	       s->call.ref, s->cli->prog, s->call.ref, s->cli->prog,
	       s->call.ref);
}

/* Says the call is closed: by this session (`how` "closed") or by someone
 * else ("closed_elsewhere"). */
static void end_closed(const struct session *s, const char *how)
{
	const char *disposition = call_disposition_name(s->call.disposition);
	if (s->cli->json) {
		print_json_line(
		    json_pack("{s:s,s:s,s:s,s:s}", "call", s->call.ref,
		              "status", call_status_name(s->call.status),
		              "disposition", disposition, "ended", how));
	} else if (str_eq(how, "closed")) {
		printf("\nCall %s closed: %s.\n", s->call.ref, disposition);
	} else {
		fflush(stdout);
		fprintf(stderr,
		        "Call %s was closed elsewhere (%s): nothing more can "
		        "be recorded; see '%s calls show %s'.\n",
		        s->call.ref, disposition, s->cli->prog, s->call.ref);
	}
}

/* Runs the loop until the call is closed or left; returns the exit code. */
static int session_run(struct session *s)
{
	char *line = xmalloc(CALL_LINE_MAX + 1);
	struct htd_error err;
	enum step step = STEP_CHANGED;
	bool restarted = false;
	int code = CLI_EXIT_OK;

	htd_error_clear(&err);
	if (refresh(s, &restarted, &err) != HTD_OK) {
		report(s, &err);
		code = CLI_EXIT_FAILURE;
		goto out;
	}
	for (;;) {
		show(s, step, restarted);
		show_prompt(s);
		enum line_status ls = read_line(s->in, line, CALL_LINE_MAX + 1);
		if (ls == LINE_EOF) {
			print_left_open(s, "eof");
			goto out;
		}
		if (ls == LINE_ERROR) {
			htd_error_set(&err, HTD_ERR_IO, "cannot read %s: %s",
			              s->in_name, strerror(errno));
			report(s, &err);
			print_left_open(s, "eof");
			code = CLI_EXIT_FAILURE;
			goto out;
		}
		s->line_no++;
		htd_error_clear(&err);
		if (ls == LINE_TOO_LONG) {
			htd_error_set(&err, HTD_ERR_TOO_LARGE,
			              "the line is longer than %d bytes; not "
			              "used",
			              CALL_LINE_MAX);
			step = STEP_FAILED;
		} else if (ls == LINE_NUL) {
			htd_error_set(&err, HTD_ERR_INVALID,
			              "the line holds a NUL byte; not used");
			step = STEP_FAILED;
		} else {
			if (!s->prompt && !s->cli->json && line[0])
				printf("> %s\n", line);
			step = run_line(s, line, &err);
		}
		if (step == STEP_FAILED) {
			report(s, &err);
			if (s->script) {
				print_left_open(s, "failed");
				code = CLI_EXIT_FAILURE;
				goto out;
			}
		}
		if (step == STEP_CLOSED) {
			end_closed(s, "closed");
			goto out;
		}
		if (step == STEP_QUIT) {
			print_left_open(s, "quit");
			goto out;
		}
		if (refresh(s, &restarted, &err) != HTD_OK) {
			/* The change is saved; only reading it back failed
			 * (e.g. the database is busy): say so, go on. */
			report(s, &err);
			if (s->script) {
				code = CLI_EXIT_FAILURE;
				goto out;
			}
			step = STEP_FAILED;
		}
		if (s->call.status != CALL_STATUS_OPEN) {
			/* Closed elsewhere (the console, `calls close`):
			 * nothing more can be recorded here. */
			end_closed(s, "closed_elsewhere");
			code = CLI_EXIT_FAILURE;
			goto out;
		}
	}
out:
	fflush(stdout);
	free(line);
	return code;
}

struct call_options {
	struct call_open_request req;
	const char *language; /* --language, or NULL */
	const char *resume;   /* --call */
	const char *script;   /* --script */
};

static int parse_options(struct cli *cli, struct cli_engine *ce,
                         struct call_options *o, int argc, char **argv)
{
	static const struct option opts[] = {
		CLI_ENGINE_OPTIONS,
		{ "language", required_argument, NULL, 'l' },
		{ "channel", required_argument, NULL, 'c' },
		{ "location", required_argument, NULL, 'L' },
		{ "callback", required_argument, NULL, 'b' },
		{ "caller", required_argument, NULL, 'n' },
		{ "call", required_argument, NULL, 'i' },
		{ "script", required_argument, NULL, 's' },
		{ 0, 0, 0, 0 },
	};
	int code, c;
	bool new_call_option = false;
	while ((c = cli_getopt(cli, argc, argv, "", opts, &code)) != -1) {
		if (c == -2)
			return code;
		int r = cli_engine_option(cli, ce, c, optarg);
		if (r == 2)
			return CLI_EXIT_USAGE;
		if (r == 0)
			continue;
		switch (c) {
		case 'l': o->language = optarg; break;
		case 'c':
			o->req.channel = optarg;
			new_call_option = true;
			break;
		case 'L':
			o->req.location = optarg;
			new_call_option = true;
			break;
		case 'b':
			o->req.callback = optarg;
			new_call_option = true;
			break;
		case 'n':
			o->req.caller_name = optarg;
			new_call_option = true;
			break;
		case 'i': o->resume = optarg; break;
		case 's':
			if (!optarg[0])
				return cli_usage_error(cli,
				                       "--script needs a file "
				                       "(or - for stdin)");
			o->script = optarg;
			break;
		default: return cli_usage_error(cli, "bad option");
		}
	}
	if (optind < argc)
		return cli_usage_error(cli, "unexpected argument '%s'",
		                       argv[optind]);
	if (o->resume && new_call_option)
		return cli_usage_error(cli,
		                       "--call takes up a call as it is; "
		                       "--channel, --location, --callback and "
		                       "--caller are for a new call");
	o->req.language = o->language;
	return -1;
}

/* Opens the call, or takes up the one named by --call; prints its id. */
static int start_call(struct session *s, const struct call_options *o)
{
	struct htd_error err;
	htd_error_clear(&err);
	if (o->resume) {
		if (calls_get(&s->svc, o->resume, &s->call, &err) != HTD_OK)
			return cli_fail(s->cli, &err);
		if (s->call.status != CALL_STATUS_OPEN) {
			htd_error_set(&err, HTD_ERR_CONFLICT,
			              "call %s is closed; see '%s calls show "
			              "%s'",
			              s->call.ref, s->cli->prog, s->call.ref);
			return cli_fail(s->cli, &err);
		}
	} else if (calls_open(&s->svc, cli_actor(), &o->req, &s->call, &err) !=
	           HTD_OK) {
		return cli_fail(s->cli, &err);
	}
	/* The questions' language: --language, else the call's. */
	char tag[CALL_LANGUAGE_MAX + 1];
	if (!o->language ||
	    !call_language_normalise(o->language, tag, sizeof(tag)))
		str_copy(tag, sizeof(tag), s->call.language);
	str_copy(s->language, sizeof(s->language), tag);
	if (!s->cli->json)
		printf("Call %s %s (%s, %s).\n", s->call.ref,
		       o->resume ? "taken up" : "opened",
		       call_channel_name(s->call.channel), s->call.language);
	return -1;
}

int cli_cmd_call(struct cli *cli, int argc, char **argv)
{
	struct cli_engine ce;
	struct call_options o;
	struct session s;
	struct engine *en = NULL;
	struct store *store = NULL;
	FILE *script = NULL;
	int code;

	memset(&o, 0, sizeof(o));
	memset(&s, 0, sizeof(s));
	call_init(&s.call);
	s.cli = cli;
	s.asking = -1;
	cli_engine_init(&ce);
	code = parse_options(cli, &ce, &o, argc, argv);
	if (code >= 0)
		goto out;
	if (o.language) {
		char tag[CALL_LANGUAGE_MAX + 1];
		if (!call_language_normalise(o.language, tag, sizeof(tag))) {
			code =
			    cli_usage_error(cli,
			                    "--language takes a language tag "
			                    "such as en or es-MX, not '%s'",
			                    o.language);
			goto out;
		}
	}

	/* The input first, the protocol next: neither opens a call when
	 * it cannot be used. */
	s.in = stdin;
	s.in_name = "stdin";
	if (o.script) {
		s.script = true;
		if (!str_eq(o.script, "-")) {
			script = fopen(o.script, "re");
			if (!script) {
				struct htd_error err;
				htd_error_set(
				    &err,
				    errno == ENOENT ? HTD_ERR_NOT_FOUND
				                    : HTD_ERR_IO,
				    "%s: %s", o.script, strerror(errno));
				code = cli_fail(cli, &err);
				goto out;
			}
			s.in = script;
			s.in_name = o.script;
		}
	} else {
		s.prompt = isatty(STDIN_FILENO) == 1;
	}
	code = cli_open_engine(cli, &ce, &en);
	if (code != CLI_EXIT_OK)
		goto out;
	struct htd_error err;
	htd_error_clear(&err);
	if (cli_open_store(cli, false, &store, &err) != HTD_OK) {
		code = cli_fail(cli, &err);
		goto out;
	}
	s.svc.store = store;
	s.svc.clock = clock_system();
	s.svc.engine = en;
	/* The terminal intake is a face too: what it reads and changes is
	 * audited, as `calls` is. */
	s.svc.address = "cli";
	s.svc.actor = cli_actor();
	s.svc.details_changed = related_refresh_now;
	s.skipped =
	    xcalloc(en->protocol.n_questions ? en->protocol.n_questions : 1,
	            sizeof(*s.skipped));
	code = start_call(&s, &o);
	if (code >= 0)
		goto out;
	if (s.prompt && !cli->json)
		printf("Answer the question shown, or type a command (:help "
		       "lists them).\n");
	code = session_run(&s);
out:
	decision_free(&s.decision);
	notes_free(&s);
	free(s.skipped);
	call_free(&s.call);
	store_close(store);
	engine_close(en);
	if (script)
		fclose(script);
	return code;
}
