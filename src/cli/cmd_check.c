/*
 * cmd_check.c - `htdispatch check FILE...`: checks the data files an agency
 * edits without running anything (as `httpd -n` does), every error as
 * file:line:column. Each kind of file is one entry of `kinds`, recognised
 * by its directory, its name or its top-level keys: lexicons, the protocol
 * and the policy (checked against a protocol, --protocol).
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
#include "core/protocol.h"
#include "formats/lexicon_yaml.h"
#include "formats/protocol_yaml.h"
#include "util/mem.h"
#include "util/str.h"

const char cli_usage_check[] =
    "usage: htdispatch check [--json] [--protocol FILE] FILE...\n"
    "\n"
    "Checks data files without running anything, and reports every error "
    "as\nFILE:LINE:COLUMN: message. Each FILE is recognised by its "
    "directory, its\nname or its top-level keys:\n"
    "  lexicon   data/lexicon/<language>.yaml (docs/lexicon.md): the "
    "format,\n"
    "            that every pattern compiles, and that every indicator "
    "of\n"
    "            domain.md has a pattern\n"
    "  protocol  data/protocol/*.yaml, or questions: at the top "
    "(docs/protocol.md):\n"
    "            the format, every show_if, and the lint (texts missing "
    "in a\n"
    "            language, questions never asked)\n"
    "  policy    policy.yaml, or categories: or action_rules: at the "
    "top\n"
    "            (docs/protocol.md): the format, every rule against the "
    "protocol,\n"
    "            and the lint (rules that never fire or are shadowed, "
    "categories\n"
    "            without a rule or without actions)\n"
    "\n"
    "Options:\n"
    "  --protocol FILE  the protocol a policy is checked against "
    "(default:\n"
    "                   $HTDISPATCH_PROTOCOL, else " PROTOCOL_FILE_DEFAULT ")\n"
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
	const char *protocol_file; /* what policies are checked against */
	json_t *errors;            /* with --json: the current file's errors */
	size_t n_errors;           /* of the current file */
};

/* One kind of data file htdispatch reads. */
struct check_kind {
	const char *name;
	const char *dir;         /* files in a directory of this name */
	const char *file_name;   /* files of this name (NULL: none) */
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

/* ---- protocols and policies -------------------------------------------- */

static const char *const protocol_keys[] = { "questions", NULL };
static const char *const policy_keys[] = { "action_rules", "categories", NULL };

static void check_protocol(struct check_ctx *ctx, const char *path,
                           json_t *json, char *ok_text, size_t size)
{
	struct protocol_yaml_options opts = { .on_error = report, .ctx = ctx };
	struct protocol proto;
	struct htd_error err;

	if (protocol_yaml_load(path, &opts, &proto, &err) != HTD_OK)
		return;
	/* Lint findings are errors of the file they are in (the lint names
	 * it); one without a place names the file only. */
	protocol_lint(&proto, NULL, report, ctx);
	size_t n_show_if = 0;
	for (size_t i = 0; i < proto.n_questions; i++)
		n_show_if += proto.questions[i].show_if != NULL;
	if (json) {
		json_object_set_new(json, "id", json_string(proto.id));
		json_object_set_new(json, "version",
		                    json_string(proto.version));
		json_object_set_new(
		    json, "questions",
		    json_integer((json_int_t)proto.n_questions));
		json_object_set_new(json, "show_if",
		                    json_integer((json_int_t)n_show_if));
		json_object_set_new(
		    json, "languages",
		    json_integer((json_int_t)proto.n_languages));
	}
	str_format(ok_text, size,
	           "%zu questions, %zu with show_if, %zu languages",
	           proto.n_questions, n_show_if, proto.n_languages);
	protocol_free(&proto);
}

static void check_policy(struct check_ctx *ctx, const char *path, json_t *json,
                         char *ok_text, size_t size)
{
	struct protocol_yaml_options opts = { .on_error = report, .ctx = ctx };
	struct protocol proto;
	struct policy pol;
	struct htd_error err;

	/* The protocol's own errors are reported too, with its name: the
	 * policy cannot be checked without it. */
	if (protocol_yaml_load(ctx->protocol_file, &opts, &proto, &err) !=
	    HTD_OK) {
		if (err.code == HTD_ERR_NOT_FOUND) {
			struct htd_error e;
			htd_error_at(
			    &e, HTD_ERR_NOT_FOUND, path, 0, 0,
			    "a policy is checked against its protocol, "
			    "and %s is not there: give it with "
			    "--protocol FILE",
			    ctx->protocol_file);
			report(ctx, &e);
		}
		return;
	}
	if (policy_yaml_load(path, &proto, &opts, &pol, &err) != HTD_OK) {
		protocol_free(&proto);
		return;
	}
	/* The protocol's own lint is its file's business (check it too). */
	protocol_lint(NULL, &pol, report, ctx);
	if (json) {
		json_object_set_new(json, "id", json_string(pol.id));
		json_object_set_new(json, "version", json_string(pol.version));
		json_object_set_new(json, "protocol",
		                    json_string(ctx->protocol_file));
		json_object_set_new(
		    json, "category_rules",
		    json_integer((json_int_t)pol.n_category_rules));
		json_object_set_new(
		    json, "action_rules",
		    json_integer((json_int_t)pol.n_action_rules));
		json_object_set_new(
		    json, "priority_rules",
		    json_integer((json_int_t)pol.n_priority_rules));
		json_object_set_new(json, "actions",
		                    json_integer((json_int_t)pol.n_actions));
	}
	str_format(ok_text, size,
	           "%zu category rules, %zu action rules, %zu priority rules",
	           pol.n_category_rules, pol.n_action_rules,
	           pol.n_priority_rules);
	policy_free(&pol);
	protocol_free(&proto);
}

/* ---- kinds ------------------------------------------------------------- */

static const struct check_kind kinds[] = {
	{ "lexicon", "lexicon", NULL, lexicon_keys, check_lexicon },
	{ "protocol", "protocol", NULL, protocol_keys, check_protocol },
	{ "policy", NULL, "policy.yaml", policy_keys, check_policy },
};

#define KIND_COUNT (sizeof(kinds) / sizeof(kinds[0]))

/* Returns true when the directory holding `path` is named `dir`. */
static bool in_dir(const char *path, const char *dir)
{
	if (!dir)
		return false;
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
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	for (size_t i = 0; i < KIND_COUNT; i++)
		if (in_dir(path, kinds[i].dir) ||
		    (kinds[i].file_name && str_eq(base, kinds[i].file_name)))
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
			             "indicators: at the top; a protocol lives "
			             "in protocol/ or has questions:; a policy "
			             "is policy.yaml or has categories: or "
			             "action_rules:)");
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
	static const struct option opts[] = {
		{ "protocol", required_argument, NULL, 'p' },
		{ 0, 0, 0, 0 },
	};
	struct check_ctx ctx = { .cli = cli,
		                 .protocol_file = PROTOCOL_FILE_DEFAULT };
	const char *env = getenv("HTDISPATCH_PROTOCOL");
	int code, c;
	size_t bad = 0;

	/* The protocol the engine would use (cli_engine_init()). */
	if (env && env[0])
		ctx.protocol_file = env;

	while ((c = cli_getopt(cli, argc, argv, "", opts, &code)) != -1) {
		switch (c) {
		case -2: return code;
		case 'p':
			if (!optarg[0])
				return cli_usage_error(cli,
				                       "--protocol needs a "
				                       "file");
			ctx.protocol_file = optarg;
			break;
		default: return cli_usage_error(cli, "bad option");
		}
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
