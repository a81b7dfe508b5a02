/*
 * body.c - request bodies: jansson's strict parser (duplicates refused),
 * then a check against the route's members, naming the one at fault.
 */
#include "http/body.h"

#include <string.h>
#include <strings.h>

#include "util/str.h"

static const char *member_type_name(enum http_member_type t)
{
	return t == HTTP_STRING ? "a string"
	       : t == HTTP_BOOL ? "true or false"
	                        : "a value";
}

static enum htd_err check_members(json_t *doc,
                                  const struct http_member *members, size_t n,
                                  struct htd_error *err)
{
	const char *key;
	json_t *v;
	json_object_foreach(doc, key, v)
	{
		size_t i;
		for (i = 0; i < n; i++)
			if (str_eq(members[i].name, key))
				break;
		if (i == n)
			return htd_error_field(err, HTD_ERR_INVALID, key,
			                       "unknown member \"%s\"", key);
	}
	for (size_t i = 0; i < n; i++) {
		const struct http_member *m = &members[i];
		v = json_object_get(doc, m->name);
		if (json_is_null(v))
			v = NULL;
		bool ok = !v || m->type == HTTP_ANY ||
		          (m->type == HTTP_STRING && json_is_string(v)) ||
		          (m->type == HTTP_BOOL && json_is_boolean(v));
		if (!ok || (!v && m->required))
			return htd_error_field(err, HTD_ERR_INVALID, m->name,
			                       "\"%s\" must be %s", m->name,
			                       member_type_name(m->type));
		if (m->type == HTTP_STRING)
			*(const char **)m->out =
			    v ? json_string_value(v) : NULL;
		else if (m->type == HTTP_BOOL)
			*(int *)m->out = v ? json_is_true(v) : -1;
		else
			*(json_t **)m->out = v;
	}
	return HTD_OK;
}

enum htd_err http_body_parse(const char *data, size_t len,
                             const struct http_member *members, size_t n,
                             json_t **out, struct htd_error *err)
{
	json_t *doc;
	json_error_t je;
	*out = NULL;
	if (len == 0) {
		doc = json_object();
	} else {
		doc = json_loadb(data, len, JSON_REJECT_DUPLICATES, &je);
		if (!doc) {
			if (json_error_code(&je) == json_error_invalid_utf8)
				htd_error_set(
				    err, HTD_ERR_PARSE,
				    "the body is not valid UTF-8 (byte "
				    "%d)",
				    je.position);
			else
				htd_error_set(
				    err, HTD_ERR_PARSE,
				    "malformed JSON at line %d, column "
				    "%d (byte %d): %s",
				    je.line, je.column, je.position, je.text);
			if (err) {
				err->line = je.line > 0 ? je.line : 1;
				err->column = je.column > 0 ? je.column : 1;
			}
			return HTD_ERR_PARSE;
		}
	}
	if (!json_is_object(doc)) {
		json_decref(doc);
		return htd_error_set(err, HTD_ERR_INVALID,
		                     "the body must be a JSON object");
	}
	if (members) {
		enum htd_err rc = check_members(doc, members, n, err);
		if (rc != HTD_OK) {
			json_decref(doc);
			return rc;
		}
	}
	*out = doc;
	return HTD_OK;
}

bool http_content_type_json(const char *ct)
{
	static const char want[] = "application/json";
	if (!ct || strncasecmp(ct, want, sizeof(want) - 1) != 0)
		return false;
	const char *p = ct + sizeof(want) - 1;
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '\0')
		return true;
	if (*p != ';')
		return false;
	const char *cs = strcasestr(p, "charset=");
	if (!cs)
		return true;
	cs += 8;
	if (*cs == '"')
		cs++;
	return strncasecmp(cs, "utf-8", 5) == 0 &&
	       (cs[5] == '\0' || cs[5] == '"' || cs[5] == ';' || cs[5] == ' ');
}
