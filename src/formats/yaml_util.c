/*
 * yaml_util.c - what the YAML loaders share (yaml_util.h).
 */
#include "formats/yaml_util.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <utf8proc.h>

#include "util/mem.h"

/* ---- errors ------------------------------------------------------------ */

void yaml_report(struct yaml_errors *e, enum htd_err code, struct yaml_pos at,
                 const char *fmt, ...)
{
	char msg[HTD_ERROR_MESSAGE_MAX];
	va_list ap;

	if (e->n >= e->max)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	htd_error_at(&e->list[e->n++], code, e->file, at.line > 0 ? at.line : 1,
	             at.column > 0 ? at.column : 1, "%s", msg);
}

static int error_order(const struct htd_error *x, const struct htd_error *y)
{
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	if (x->column != y->column)
		return x->column < y->column ? -1 : 1;
	return 0;
}

enum htd_err yaml_errors_flush(struct yaml_errors *e, yaml_error_fn on_error,
                               void *ctx, struct htd_error *err)
{
	/* Insertion sort: stable, and over at most e->max errors. */
	for (size_t i = 1; i < e->n; i++) {
		struct htd_error tmp = e->list[i];
		size_t j = i;
		while (j > 0 && error_order(&e->list[j - 1], &tmp) > 0) {
			e->list[j] = e->list[j - 1];
			j--;
		}
		e->list[j] = tmp;
	}
	for (size_t i = 0; on_error && i < e->n; i++)
		on_error(ctx, &e->list[i]);
	if (err)
		*err = e->list[0];
	return e->list[0].code;
}

/* ---- nodes ------------------------------------------------------------- */

struct yaml_pos yaml_node_pos(struct fy_node *fyn, struct yaml_pos fallback)
{
	for (int depth = 0; fyn && depth < 64; depth++) {
		if (fy_node_is_scalar(fyn)) {
			struct fy_token *t = fy_node_get_scalar_token(fyn);
			const struct fy_mark *m =
			    t ? fy_token_start_mark(t) : NULL;
			if (!m)
				break;
			/* The token of a quoted scalar or an alias starts
			 * after its quote or '*': point at that. */
			enum fy_node_style st = fy_node_get_style(fyn);
			int back =
			    (st == FYNS_SINGLE_QUOTED ||
			     st == FYNS_DOUBLE_QUOTED || st == FYNS_ALIAS) &&
			    m->column > 0;
			return (struct yaml_pos){ m->line + 1,
				                  m->column + 1 - back };
		}
		void *it = NULL;
		if (fy_node_is_mapping(fyn)) {
			struct fy_node_pair *p =
			    fy_node_mapping_iterate(fyn, &it);
			fyn = p ? fy_node_pair_key(p) : NULL;
		} else if (fy_node_is_sequence(fyn)) {
			fyn = fy_node_sequence_iterate(fyn, &it);
		} else {
			break;
		}
	}
	return fallback;
}

const char *yaml_node_kind(struct fy_node *fyn)
{
	if (fy_node_is_alias(fyn))
		return "an alias";
	if (fy_node_is_mapping(fyn))
		return "a mapping";
	if (fy_node_is_sequence(fyn))
		return "a list";
	return "text";
}

bool yaml_is_null(struct fy_node *fyn)
{
	size_t len;
	const char *s;

	if (!fyn)
		return true;
	if (!fy_node_is_scalar(fyn) || fy_node_is_alias(fyn) ||
	    fy_node_get_style(fyn) != FYNS_PLAIN)
		return false;
	s = fy_node_get_scalar(fyn, &len);
	if (!s || len == 0)
		return true;
	return (len == 1 && s[0] == '~') ||
	       (len == 4 &&
	        (memcmp(s, "null", 4) == 0 || memcmp(s, "Null", 4) == 0 ||
	         memcmp(s, "NULL", 4) == 0));
}

const char *yaml_scalar(struct yaml_errors *e, struct fy_node *fyn,
                        struct yaml_pos at, const char *what, size_t *len)
{
	const char *s;

	at = yaml_node_pos(fyn, at);
	if (yaml_is_null(fyn)) {
		yaml_report(e, HTD_ERR_INVALID, at, "%s has no value", what);
		return NULL;
	}
	if (fy_node_is_alias(fyn)) {
		yaml_report(e, HTD_ERR_INVALID, at,
		            "%s is an alias; anchors and aliases are not "
		            "supported here",
		            what);
		return NULL;
	}
	if (!fy_node_is_scalar(fyn)) {
		yaml_report(e, HTD_ERR_INVALID, at, "%s must be text, not %s",
		            what, yaml_node_kind(fyn));
		return NULL;
	}
	s = fy_node_get_scalar(fyn, len);
	if (!s) {
		yaml_report(e, HTD_ERR_INVALID, at, "%s has no value", what);
		return NULL;
	}
	if (memchr(s, '\0', *len)) {
		yaml_report(e, HTD_ERR_INVALID, at,
		            "%s contains a NUL character", what);
		return NULL;
	}
	return s;
}

bool yaml_expect_mapping(struct yaml_errors *e, struct fy_node *fyn,
                         struct yaml_pos at, const char *what)
{
	if (fyn && fy_node_is_mapping(fyn))
		return true;
	if (yaml_is_null(fyn))
		yaml_report(e, HTD_ERR_INVALID, at, "%s has no value", what);
	else
		yaml_report(e, HTD_ERR_INVALID, yaml_node_pos(fyn, at),
		            "%s must be a mapping (key: value lines), not %s",
		            what, yaml_node_kind(fyn));
	return false;
}

bool yaml_expect_sequence(struct yaml_errors *e, struct fy_node *fyn,
                          struct yaml_pos at, const char *what)
{
	if (fyn && fy_node_is_sequence(fyn))
		return true;
	if (yaml_is_null(fyn))
		yaml_report(e, HTD_ERR_INVALID, at, "%s has no value", what);
	else
		yaml_report(e, HTD_ERR_INVALID, yaml_node_pos(fyn, at),
		            "%s must be a list ([a, b] or '- a' lines), not %s",
		            what, yaml_node_kind(fyn));
	return false;
}

bool yaml_pair_key(struct yaml_errors *e, struct fy_node_pair *p,
                   struct yaml_pos parent, char *out, size_t size,
                   struct yaml_pos *at)
{
	struct fy_node *k = fy_node_pair_key(p);
	size_t len;
	const char *s;

	*at = yaml_node_pos(k, yaml_node_pos(fy_node_pair_value(p), parent));
	if (!k || !fy_node_is_scalar(k) || fy_node_is_alias(k)) {
		yaml_report(e, HTD_ERR_INVALID, *at,
		            "a key must be plain text");
		return false;
	}
	s = fy_node_get_scalar(k, &len);
	if (!s || memchr(s, '\0', len)) {
		yaml_report(e, HTD_ERR_INVALID, *at,
		            "a key must be plain text");
		return false;
	}
	if (len >= size)
		len = size - 1;
	memcpy(out, s, len);
	out[len] = '\0';
	return true;
}

/* ---- bytes to document ------------------------------------------------- */

/* Places the first byte of invalid UTF-8 in `data`; false when valid. */
static bool find_invalid_utf8(const char *data, size_t len, struct yaml_pos *at)
{
	const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)data;
	size_t i = 0;
	int line = 1, column = 1;

	while (i < len) {
		utf8proc_ssize_t n = 1;
		if (p[i] >= 0x80) {
			utf8proc_int32_t cp;
			n = utf8proc_iterate(p + i, (utf8proc_ssize_t)(len - i),
			                     &cp);
			if (n <= 0 || cp < 0) {
				*at = (struct yaml_pos){ line, column };
				return true;
			}
		}
		if (p[i] == '\n') {
			line++;
			column = 1;
		} else {
			column++;
		}
		i += (size_t)n;
	}
	return false;
}

bool yaml_check_bytes(struct yaml_errors *e, const char *data, size_t len,
                      size_t max, const char *what)
{
	struct yaml_pos bad;
	const char *nul;

	if (len > max) {
		yaml_report(e, HTD_ERR_TOO_LARGE, (struct yaml_pos){ 1, 1 },
		            "the file is larger than %zu bytes", max);
		return false;
	}
	if (find_invalid_utf8(data, len, &bad)) {
		yaml_report(e, HTD_ERR_PARSE, bad,
		            "invalid UTF-8; %s file is UTF-8 text", what);
		return false;
	}
	nul = memchr(data, '\0', len);
	if (nul) {
		int line = 1;
		for (const char *c = data; c < nul; c++)
			line += *c == '\n';
		yaml_report(e, HTD_ERR_PARSE, (struct yaml_pos){ line, 1 },
		            "a NUL byte; %s file is UTF-8 text", what);
		return false;
	}
	return true;
}

struct fy_node *yaml_doc_parse(struct yaml_doc *d, struct yaml_errors *e,
                               const char *data, size_t len, const char *what,
                               const char *empty)
{
	struct fy_diag_cfg dcfg;
	struct fy_document *extra = NULL;
	struct fy_diag_error *de;
	void *it = NULL;
	size_t before = e->n;

	memset(d, 0, sizeof(*d));
	fy_diag_cfg_default(&dcfg);
	dcfg.fp = NULL;
	dcfg.output_fn = NULL;
	dcfg.level = FYET_ERROR;
	dcfg.colorize = false;
	d->diag = fy_diag_create(&dcfg);
	if (!d->diag)
		mem_oom(sizeof(dcfg));
	fy_diag_set_collect_errors(d->diag, true);
	struct fy_parse_cfg cfg = {
		.flags = FYPCF_QUIET | FYPCF_DEFAULT_VERSION_1_2 |
		         FYPCF_JSON_NONE | FYPCF_DISABLE_RECYCLING,
		.diag = d->diag,
	};
	d->fyp = fy_parser_create(&cfg);
	if (!d->fyp || fy_parser_set_string(d->fyp, data, len) != 0) {
		yaml_report(e, HTD_ERR_INTERNAL, (struct yaml_pos){ 1, 1 },
		            "cannot start the YAML parser");
		return NULL;
	}
	d->fyd = fy_parse_load_document(d->fyp);
	if (d->fyd && !fy_diag_got_error(d->diag)) {
		extra = fy_parse_load_document(d->fyp);
		if (extra) {
			yaml_report(e, HTD_ERR_PARSE,
			            yaml_node_pos(fy_document_root(extra),
			                          (struct yaml_pos){ 0, 0 }),
			            "%s file holds one YAML document; remove "
			            "the second one (after ---)",
			            what);
			fy_parse_document_destroy(d->fyp, extra);
		}
	}
	while ((de = fy_diag_errors_iterate(d->diag, &it)))
		yaml_report(
		    e, HTD_ERR_PARSE,
		    (struct yaml_pos){ de->line > 0 ? de->line : 1,
		                       de->column > 0 ? de->column : 1 },
		    "YAML: %s", de->msg ? de->msg : "syntax error");
	if (e->n > before)
		return NULL;
	if (!d->fyd || !fy_document_root(d->fyd)) {
		yaml_report(e, HTD_ERR_PARSE, (struct yaml_pos){ 1, 1 }, "%s",
		            empty);
		return NULL;
	}
	return fy_document_root(d->fyd);
}

void yaml_doc_free(struct yaml_doc *d)
{
	if (d->fyd)
		fy_parse_document_destroy(d->fyp, d->fyd);
	fy_parser_destroy(d->fyp);
	fy_diag_destroy(d->diag);
	memset(d, 0, sizeof(*d));
}
