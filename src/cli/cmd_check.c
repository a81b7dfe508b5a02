/*
 * cmd_check.c - `htdispatch check FILE...`: checks the data files an agency
 * edits without running anything (as `httpd -n` does), every error as
 * file:line:column. Each kind of file is one entry of `kinds`, recognised
 * by its directory or its top-level keys; lexicons are the first kind.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <libfyaml.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/indicators.h"
#include "formats/lexicon_yaml.h"
#include "util/mem.h"
#include "util/str.h"

const char cli_usage_check[] =
    "usage: htdispatch check [--json] FILE...\n"
    "\n"
    "Checks data files without running anything, and reports every error "
    "as\nFILE:LINE:COLUMN: message. Each FILE is recognised by its "
    "directory or\nits top-level keys:\n"
    "  lexicon   data/lexicon/<language>.yaml (docs/lexicon.md): the "
    "format,\n"
    "            that every pattern compiles, and that every indicator "
    "of\n"
    "            domain.md has a pattern\n"
    "\n"
    "Prints 'ok: FILE (...)' for a good file. With --json, one object per "
    "file:\n"
    "{\"file\", \"kind\", \"ok\", \"errors\": [{\"line\", \"column\", "
    "\"message\"}], ...}.\n"
    "\n"
    "Exit status: 0 every file is good, 1 a file has errors, 2 usage "
    "error.\n";

struct check_ctx {
	struct cli *cli;
	json_t *errors;  /* with --json: the current file's errors */
	size_t n_errors; /* of the current file */
};

/* One kind of data file htdispatch reads. */
struct check_kind {
	const char *name;
	const char *dir;         /* files in a directory of this name */
	const char *const *keys; /* top-level keys, any of which marks it */
	/* Checks `path`; reports errors through report(); fills `json` (with
	 * --json) or `ok_text` with what a good file holds. */
	void (*check)(struct check_ctx *ctx, const char *path, json_t *json,
	              char *ok_text, size_t size);
};

/* ---- reporting --------------------------------------------------------- */

static void report(void *vctx, const struct htd_error *e)
{
	struct check_ctx *ctx = vctx;
	ctx->n_errors++;
	if (ctx->errors) {
		json_t *o =
		    json_pack("{s:s,s:s}", "code", htd_err_name(e->code),
		              "message", e->message);
		if (e->file[0])
			json_object_set_new(o, "file", json_string(e->file));
		if (e->line > 0)
			json_object_set_new(o, "line", json_integer(e->line));
		if (e->column > 0)
			json_object_set_new(o, "column",
			                    json_integer(e->column));
		json_array_append_new(ctx->errors, o);
		return;
	}
	char msg[HTD_ERROR_MESSAGE_MAX + HTD_ERROR_FILE_MAX + 32];
	printf("%s\n", htd_error_format(e, msg, sizeof(msg)));
}

/* ---- lexicons ---------------------------------------------------------- */

static const char *const lexicon_keys[] = { "indicators", NULL };

static void check_lexicon(struct check_ctx *ctx, const char *path, json_t *json,
                          char *ok_text, size_t size)
{
	struct lexicon_yaml_options opts = {
		.coverage = true,
		.on_error = report,
		.ctx = ctx,
	};
	struct lexicon lx;
	struct htd_error err;
	struct indicators *m = NULL;

	if (lexicon_yaml_load(path, &opts, &lx, &err) != HTD_OK)
		return;
	htd_error_clear(&err);
	if (indicators_compile(&lx, 1, &m, &err) != HTD_OK) {
		if (!err.file[0])
			str_copy(err.file, sizeof(err.file), path);
		report(ctx, &err);
	}
	size_t n_patterns = lexicon_pattern_count(&lx);
	if (json) {
		json_object_set_new(json, "language", json_string(lx.language));
		json_object_set_new(json, "indicators",
		                    json_integer((json_int_t)lx.n_indicators));
		json_object_set_new(json, "patterns",
		                    json_integer((json_int_t)n_patterns));
		json_object_set_new(json, "triggers",
		                    json_integer((json_int_t)lx.n_triggers));
	}
	str_format(ok_text, size, "%zu indicators, %zu patterns, %zu triggers",
	           lx.n_indicators, n_patterns, lx.n_triggers);
	indicators_free(m);
	lexicon_free(&lx);
}

/* ---- kinds ------------------------------------------------------------- */

static const struct check_kind kinds[] = {
	{ "lexicon", "lexicon", lexicon_keys, check_lexicon },
};

#define KIND_COUNT (sizeof(kinds) / sizeof(kinds[0]))

/* Returns true when the directory holding `path` is named `dir`. */
static bool in_dir(const char *path, const char *dir)
{
	const char *slash = strrchr(path, '/');
	if (!slash)
		return false;
	size_t n = strlen(dir);
	const char *start = slash;
	while (start > path && start[-1] != '/')
		start--;
	return (size_t)(slash - start) == n && memcmp(start, dir, n) == 0;
}

/* Returns true when `path` is YAML whose top-level mapping has any of
 * `keys`. Bounded: a file over LEXICON_YAML_MAX is not looked into. */
static bool has_top_key(const char *path, const char *const *keys)
{
	struct stat sb;
	bool found = false;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) ||
	    (size_t)sb.st_size > LEXICON_YAML_MAX) {
		close(fd);
		return false;
	}
	size_t size = (size_t)sb.st_size, n = 0;
	char *data = xmalloc(size + 1);
	while (n < size) {
		ssize_t r = read(fd, data + n, size - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	/* Errors are collected (and dropped) rather than printed: a file
	 * that does not parse is simply not of this kind. */
	struct fy_diag_cfg dcfg;
	fy_diag_cfg_default(&dcfg);
	dcfg.fp = NULL;
	struct fy_diag *diag = fy_diag_create(&dcfg);
	if (!diag)
		mem_oom(sizeof(dcfg));
	fy_diag_set_collect_errors(diag, true);
	struct fy_parse_cfg cfg = { .flags = FYPCF_QUIET | FYPCF_JSON_NONE,
		                    .diag = diag };
	struct fy_document *fyd = fy_document_build_from_string(&cfg, data, n);
	struct fy_node *root = fyd ? fy_document_root(fyd) : NULL;
	for (size_t i = 0; root && fy_node_is_mapping(root) && keys[i]; i++)
		if (fy_node_mapping_lookup_by_string(root, keys[i],
		                                     strlen(keys[i])))
			found = true;
	fy_document_destroy(fyd);
	fy_diag_destroy(diag);
	free(data);
	return found;
}

static const struct check_kind *kind_of(const char *path)
{
	for (size_t i = 0; i < KIND_COUNT; i++)
		if (in_dir(path, kinds[i].dir))
			return &kinds[i];
	for (size_t i = 0; i < KIND_COUNT; i++)
		if (has_top_key(path, kinds[i].keys))
			return &kinds[i];
	return NULL;
}

/* Checks one file; returns true when it is good. */
static bool check_file(struct check_ctx *ctx, const char *path)
{
	const struct check_kind *kind = kind_of(path);
	json_t *json = ctx->cli->json ? json_object() : NULL;
	char ok_text[256] = "";

	ctx->n_errors = 0;
	ctx->errors = json ? json_array() : NULL;
	if (json) {
		json_object_set_new(json, "file", json_string(path));
		json_object_set_new(
		    json, "kind", kind ? json_string(kind->name) : json_null());
	}
	if (!kind) {
		struct htd_error e;
		struct stat sb;
		if (stat(path, &sb) != 0)
			htd_error_at(&e, HTD_ERR_NOT_FOUND, path, 0, 0, "%s",
			             strerror(errno));
		else
			htd_error_at(&e, HTD_ERR_INVALID, path, 0, 0,
			             "not a kind of file htdispatch checks (a "
			             "lexicon lives in lexicon/ or has "
			             "indicators: at the top)");
		report(ctx, &e);
	} else {
		kind->check(ctx, path, json, ok_text, sizeof(ok_text));
	}
	bool ok = ctx->n_errors == 0;
	if (json) {
		json_object_set_new(json, "ok", json_boolean(ok));
		json_object_set_new(json, "errors", ctx->errors);
		json_dumpf(json, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER);
		fputc('\n', stdout);
		json_decref(json);
	} else if (ok) {
		printf("ok: %s (%s)\n", path, ok_text);
	}
	ctx->errors = NULL;
	return ok;
}

int cli_cmd_check(struct cli *cli, int argc, char **argv)
{
	struct check_ctx ctx = { .cli = cli };
	int code, c;
	size_t bad = 0;

	while ((c = cli_getopt(cli, argc, argv, "", NULL, &code)) != -1) {
		if (c == -2)
			return code;
		return cli_usage_error(cli, "bad option");
	}
	if (optind >= argc)
		return cli_usage_error(cli, "which files? e.g. htdispatch "
		                            "check data/lexicon/*.yaml");
	for (int i = optind; i < argc; i++)
		bad += !check_file(&ctx, argv[i]);
	fflush(stdout);
	if (bad && !cli->json)
		fprintf(stderr,
		        "htdispatch check: %zu of %d file%s with "
		        "errors\n",
		        bad, argc - optind, argc - optind == 1 ? "" : "s");
	return bad ? CLI_EXIT_FAILURE : CLI_EXIT_OK;
}
