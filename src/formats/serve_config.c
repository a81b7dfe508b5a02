/*
 * serve_config.c - reads the server's configuration file with libfyaml:
 * one document, one flat mapping, every value a scalar, every key known.
 */
#include "formats/serve_config.h"

#include <errno.h>
#include <fcntl.h>
#include <libfyaml.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/mem.h"
#include "util/str.h"

void serve_config_free(struct serve_config *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++) {
		free(c->entries[i].key);
		free(c->entries[i].value);
	}
	free(c->entries);
	c->entries = NULL;
	c->n = 0;
}

static enum htd_err fail_at(struct htd_error *err, enum htd_err code,
                            const char *file, int line, int column,
                            const char *field, const char *msg)
{
	htd_error_set(err, code, "%s", msg);
	if (err) {
		str_copy(err->file, sizeof(err->file), file);
		err->line = line > 0 ? line : 1;
		err->column = column > 0 ? column : 1;
		str_copy(err->field, sizeof(err->field), field ? field : "");
	}
	return code;
}

/* Where a node starts (its token's mark; libfyaml keeps marks on
 * tokens), or line 1 when it has none. */
static void node_mark(struct fy_node *n, int *line, int *column)
{
	struct fy_token *t =
	    n && fy_node_is_scalar(n) ? fy_node_get_scalar_token(n) : NULL;
	const struct fy_mark *m = t ? fy_token_start_mark(t) : NULL;
	*line = m ? m->line + 1 : 1;
	*column = m ? m->column + 1 : 1;
}

static bool key_known(const char *const *keys, const char *k)
{
	for (size_t i = 0; keys[i]; i++)
		if (strcmp(keys[i], k) == 0)
			return true;
	return false;
}

static enum htd_err walk(const char *file, struct fy_node *root,
                         const char *const *keys, struct serve_config *out,
                         struct htd_error *err)
{
	char msg[HTD_ERROR_MESSAGE_MAX];
	int line, column;
	if (!fy_node_is_mapping(root)) {
		node_mark(root, &line, &column);
		return fail_at(err, HTD_ERR_INVALID, file, line, column, NULL,
		               "the file must be a mapping of option names to "
		               "values (listen: 127.0.0.1:8080)");
	}
	void *it = NULL;
	struct fy_node_pair *p;
	while ((p = fy_node_mapping_iterate(root, &it))) {
		struct fy_node *k = fy_node_pair_key(p);
		struct fy_node *v = fy_node_pair_value(p);
		size_t klen = 0, vlen = 0;
		const char *ks = k && fy_node_is_scalar(k)
		                     ? fy_node_get_scalar(k, &klen)
		                     : NULL;
		node_mark(k, &line, &column);
		if (!ks || klen == 0 || klen > 64 || memchr(ks, '\0', klen))
			return fail_at(err, HTD_ERR_INVALID, file, line, column,
			               NULL,
			               "an option name must be a short word");
		char key[65];
		memcpy(key, ks, klen);
		key[klen] = '\0';
		if (!key_known(keys, key)) {
			str_format(msg, sizeof(msg),
			           "unknown option '%.64s' (see htdispatch "
			           "serve --help for the names)",
			           key);
			return fail_at(err, HTD_ERR_INVALID, file, line, column,
			               key, msg);
		}
		for (size_t i = 0; i < out->n; i++)
			if (strcmp(out->entries[i].key, key) == 0) {
				str_format(msg, sizeof(msg),
				           "'%s' is set twice (first at line "
				           "%d)",
				           key, out->entries[i].line);
				return fail_at(err, HTD_ERR_INVALID, file, line,
				               column, key, msg);
			}
		const char *vs =
		    v && fy_node_is_scalar(v) && !fy_node_is_alias(v)
		        ? fy_node_get_scalar(v, &vlen)
		        : NULL;
		if (!vs || vlen == 0 || vlen > SERVE_CONFIG_VALUE_MAX ||
		    memchr(vs, '\0', vlen)) {
			str_format(msg, sizeof(msg),
			           "'%s' needs one value (a word, a number or "
			           "a path of at most %d bytes)",
			           key, SERVE_CONFIG_VALUE_MAX);
			return fail_at(err, HTD_ERR_INVALID, file, line, column,
			               key, msg);
		}
		if (out->n == SERVE_CONFIG_ENTRIES_MAX)
			return fail_at(err, HTD_ERR_INVALID, file, line, column,
			               key, "too many options");
		out->entries = xrealloc(out->entries,
		                        (out->n + 1) * sizeof(*out->entries));
		struct serve_config_entry *e = &out->entries[out->n++];
		e->key = xstrdup(key);
		e->value = xstrndup(vs, vlen);
		e->line = line;
	}
	return HTD_OK;
}

enum htd_err serve_config_parse(const char *file, const char *data, size_t len,
                                const char *const *keys,
                                struct serve_config *out, struct htd_error *err)
{
	struct fy_diag_cfg dcfg;
	struct fy_diag *diag = NULL;
	struct fy_parser *fyp = NULL;
	struct fy_document *fyd = NULL;
	struct fy_diag_error *de;
	enum htd_err rc = HTD_OK;
	void *it = NULL;

	memset(out, 0, sizeof(*out));
	if (len > SERVE_CONFIG_MAX)
		return fail_at(err, HTD_ERR_TOO_LARGE, file, 1, 1, NULL,
		               "the configuration file is over 64 KiB");
	if (!str_utf8_valid(data, len) || memchr(data, '\0', len))
		return fail_at(err, HTD_ERR_PARSE, file, 1, 1, NULL,
		               "the file is not UTF-8 text");
	fy_diag_cfg_default(&dcfg);
	dcfg.fp = NULL;
	dcfg.output_fn = NULL;
	dcfg.level = FYET_ERROR;
	dcfg.colorize = false;
	diag = fy_diag_create(&dcfg);
	if (!diag)
		mem_oom(sizeof(dcfg));
	fy_diag_set_collect_errors(diag, true);
	struct fy_parse_cfg cfg = {
		.flags = FYPCF_QUIET | FYPCF_DEFAULT_VERSION_1_2 |
		         FYPCF_JSON_NONE | FYPCF_DISABLE_RECYCLING,
		.diag = diag,
	};
	fyp = fy_parser_create(&cfg);
	if (!fyp || fy_parser_set_string(fyp, data, len) != 0) {
		rc = fail_at(err, HTD_ERR_INTERNAL, file, 1, 1, NULL,
		             "cannot start the YAML parser");
		goto out;
	}
	fyd = fy_parse_load_document(fyp);
	if ((de = fy_diag_errors_iterate(diag, &it))) {
		char msg[HTD_ERROR_MESSAGE_MAX];
		str_format(msg, sizeof(msg), "YAML: %s",
		           de->msg ? de->msg : "syntax error");
		rc = fail_at(err, HTD_ERR_PARSE, file, de->line, de->column,
		             NULL, msg);
		goto out;
	}
	if (!fyd || !fy_document_root(fyd))
		goto out; /* only comments: no options, all defaults */
	rc = walk(file, fy_document_root(fyd), keys, out, err);
out:
	if (rc != HTD_OK)
		serve_config_free(out);
	if (fyd)
		fy_parse_document_destroy(fyp, fyd);
	fy_parser_destroy(fyp);
	fy_diag_destroy(diag);
	return rc;
}

enum htd_err serve_config_load(const char *path, const char *const *keys,
                               struct serve_config *out, struct htd_error *err)
{
	memset(out, 0, sizeof(*out));
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return htd_error_field(err, HTD_ERR_IO, "config", "%s: %s",
		                       path, strerror(errno));
	char *buf = xmalloc(SERVE_CONFIG_MAX + 1);
	size_t n = 0;
	for (;;) {
		ssize_t r = read(fd, buf + n, SERVE_CONFIG_MAX + 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
		if (n > SERVE_CONFIG_MAX)
			break;
	}
	close(fd);
	enum htd_err rc = serve_config_parse(path, buf, n, keys, out, err);
	free(buf);
	return rc;
}
