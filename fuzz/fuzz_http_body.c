/*
 * fuzz_http_body.c - fuzzes what the API reads from a request before any
 * use case sees it (src/http/body.c, src/http/router.c): the body against
 * the member tables of the routes (strings, booleans, any value), the
 * Content-Type, and the input again as a path for the router.
 *
 * Properties: never a crash or leak; a refused body has a message, and a
 * parse error a line and column from 1; an accepted one is an object whose
 * string members are valid UTF-8 without NUL; the router finds a route only
 * for a path its table has, and its parameters are non-empty segments.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz/fuzz.h"
#include "http/body.h"
#include "http/router.h"
#include "util/str.h"

static void fail(const char *what, const uint8_t *data, size_t size)
{
	fprintf(stderr, "http_body: %s (input of %zu bytes: %.120s)\n", what,
	        size, (const char *)data);
	abort();
}

static void check_string(const char *s, const uint8_t *data, size_t size)
{
	if (s && !str_utf8_valid(s, strlen(s)))
		fail("a member is not valid UTF-8", data, size);
}

static void body(const uint8_t *data, size_t size)
{
	const char *username = NULL, *password = NULL, *display = NULL;
	int disabled = -2;
	json_t *value = NULL, *doc = NULL;
	const struct http_member tables[3][3] = {
		{ { "username", HTTP_STRING, true, &username },
		  { "password", HTTP_STRING, true, &password },
		  { "display", HTTP_STRING, false, &display } },
		{ { "display", HTTP_STRING, false, &display },
		  { "disabled", HTTP_BOOL, false, &disabled },
		  { "password", HTTP_STRING, false, &password } },
		{ { "value", HTTP_ANY, true, &value },
		  { "username", HTTP_STRING, false, &username },
		  { "disabled", HTTP_BOOL, false, &disabled } },
	};
	for (int t = -1; t < 3; t++) {
		struct htd_error err;
		htd_error_clear(&err);
		enum htd_err rc = http_body_parse((const char *)data, size,
		                                  t < 0 ? NULL : tables[t],
		                                  t < 0 ? 0 : 3, &doc, &err);
		if (rc != HTD_OK) {
			if (doc)
				fail("an error with a body", data, size);
			if (!err.message[0])
				fail("an error without a message", data, size);
			if (rc == HTD_ERR_PARSE &&
			    (err.line < 1 || err.column < 1))
				fail("a parse error without a position", data,
				     size);
			if (rc != HTD_ERR_PARSE && rc != HTD_ERR_INVALID)
				fail("an unexpected error code", data, size);
			continue;
		}
		if (!json_is_object(doc))
			fail("accepted something that is not an object", data,
			     size);
		if (t == 1 && disabled < -1)
			fail("a boolean member not written", data, size);
		check_string(username, data, size);
		check_string(password, data, size);
		check_string(display, data, size);
		json_decref(doc);
		doc = NULL;
	}
}

static void path(const uint8_t *data, size_t size)
{
	char *text = fuzz_input_copy(data, size);
	char buf[ROUTER_PATH_MAX];
	struct router_match m;
	static const char *const methods[] = { "GET", "POST", "PUT", "PATCH",
		                               "DELETE" };
	if (!text)
		return;
	(void)http_content_type_json(text);
	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
		enum router_result r =
		    router_find(methods[i], text, buf, sizeof(buf), &m);
		if (r == ROUTER_FOUND) {
			if (strcmp(access_route_method(m.route), methods[i]))
				fail("found a route of another method", data,
				     size);
			for (size_t p = 0; p < m.n_params; p++)
				if (!m.values[p][0] || strchr(m.values[p], '/'))
					fail("a parameter that is not one "
					     "segment",
					     data, size);
		} else if (r == ROUTER_WRONG_METHOD && !m.allow[0]) {
			fail("405 without an Allow list", data, size);
		}
	}
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > FUZZ_INPUT_MAX)
		return 0;
	body(data, size);
	path(data, size);
	return 0;
}
