/*
 * fuzz_answer.c - fuzzes call_answer_normalise() and
 * call_language_normalise(), which check a dispatcher's answers to the
 * protocol's questions (yes/no, BCP 47 language tags, free text).
 *
 * Input: question and value, split at the first NUL or newline (no
 * separator: the value is NULL). Properties: normalising is idempotent (the
 * output normalises to itself); the output passes call_event_validate() as
 * an answer_recorded event, since the service records exactly that; an
 * output buffer of exactly the output's size suffices and one byte less
 * fails without writing past it (heap buffers, so ASan sees overruns). The
 * same for call_language_normalise() on the question and on the value.
 */
#include <stdio.h>
#include <stdlib.h>

#include "core/call.h"
#include "fuzz/fuzz.h"

static void fail(const char *what, const char *question, const char *value,
                 const char *out)
{
	fprintf(stderr, "answer: %s\nquestion: '%s'\nvalue: '%s'\nout: '%s'\n",
	        what, question ? question : "(null)", value ? value : "(null)",
	        out ? out : "(none)");
	abort();
}

static void check_language(const char *s)
{
	char out[CALL_ANSWER_MAX + 1];
	char again[CALL_ANSWER_MAX + 1];

	if (!call_language_normalise(s, out, sizeof(out)))
		return;
	if (!call_language_normalise(out, again, sizeof(again)) ||
	    strcmp(out, again) != 0)
		fail("language tag is not idempotent", s, NULL, out);

	size_t n = strlen(out);
	char *exact = xmalloc(n + 1);
	if (!call_language_normalise(s, exact, n + 1) || strcmp(exact, out))
		fail("language tag does not fit its own size", s, NULL, out);
	free(exact);
	char *small = xmalloc(n);
	if (call_language_normalise(s, small, n))
		fail("language tag fit one byte too few", s, NULL, out);
	free(small);
}

static void check_answer(const char *question, const char *value)
{
	char out[CALL_ANSWER_MAX + 1];
	char again[CALL_ANSWER_MAX + 1];
	struct htd_error err;

	htd_error_clear(&err);
	if (call_answer_normalise(question, value, out, sizeof(out), &err) !=
	    HTD_OK) {
		if (err.field[0] == '\0' || err.message[0] == '\0')
			fail("a rejection names no field", question, value,
			     NULL);
		return;
	}
	htd_error_clear(&err);
	if (call_answer_normalise(question, out, again, sizeof(again), &err) !=
	        HTD_OK ||
	    strcmp(out, again) != 0)
		fail("answer is not idempotent", question, value, again);

	struct call_event e;
	memset(&e, 0, sizeof(e));
	e.type = CALL_EVENT_ANSWER_RECORDED;
	e.at_ms = 1;
	e.actor = "fuzz:answer";
	e.u.answer.question = question;
	e.u.answer.value = out;
	htd_error_clear(&err);
	if (call_event_validate(&e, &err) != HTD_OK)
		fail(err.message, question, value, out);

	size_t n = strlen(out);
	char *exact = xmalloc(n + 1);
	if (call_answer_normalise(question, value, exact, n + 1, NULL) !=
	        HTD_OK ||
	    strcmp(exact, out) != 0)
		fail("answer does not fit its own size", question, value, out);
	free(exact);
	if (n > 0) {
		char *small = xmalloc(n);
		if (call_answer_normalise(question, value, small, n, NULL) ==
		    HTD_OK)
			fail("answer fit one byte too few", question, value,
			     out);
		free(small);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *question = fuzz_input_copy(data, size);
	const char *value = NULL;

	if (!question)
		return 0;
	for (size_t i = 0; i < size; i++) {
		if (question[i] == '\0' || question[i] == '\n') {
			question[i] = '\0';
			value = question + i + 1;
			break;
		}
	}
	check_answer(question, value);
	check_language(question);
	if (value)
		check_language(value);
	free(question);
	return 0;
}
