/*
 * body.h - what the API reads from a request besides its path: the body,
 * one JSON object checked against the members a route takes, and the
 * Content-Type. Pure (no HTTP library, no I/O), so it is fuzzed on its own
 * (fuzz/fuzz_http_body.c).
 *
 * Ownership: a parsed body is the caller's (json_decref()); the values
 * written through a member's `out` borrow from it.
 */
#ifndef HTD_HTTP_BODY_H
#define HTD_HTTP_BODY_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "util/error.h"

/* One member a body may hold. */
enum http_member_type { HTTP_STRING, HTTP_BOOL, HTTP_ANY };
struct http_member {
	const char *name;
	enum http_member_type type;
	bool required;
	/* Where the value goes: HTTP_STRING a `const char *` (NULL when
	 * absent), HTTP_BOOL an `int` (-1 absent, 0, 1), HTTP_ANY a
	 * `json_t *` (NULL when absent). JSON null counts as absent. */
	void *out;
};

/*
 * Parses `len` bytes of `data` as one JSON object (no bytes: {}) and, when
 * `members` is not NULL, checks it against the `n` members: an unknown
 * member, a missing required one or a wrong type is HTD_ERR_INVALID naming
 * it. JSON that does not parse (invalid UTF-8, duplicate members, NUL in a
 * string, nesting deeper than jansson's limit included) is HTD_ERR_PARSE
 * with err->line and err->column set (from 1) and the byte position in the
 * message; anything but an object is HTD_ERR_INVALID. On success *out is
 * the object (owned); on error *out is NULL.
 */
enum htd_err http_body_parse(const char *data, size_t len,
                             const struct http_member *members, size_t n,
                             json_t **out, struct htd_error *err);

/* True for a Content-Type of application/json whose charset, if named, is
 * UTF-8 (case does not matter). */
bool http_content_type_json(const char *content_type);

#endif
