/*
 * cli.c - argument parsing shared by all subcommands, the subcommand table,
 * --help, --version and the mapping from errors to exit codes.
 */
#include "cli/cli.h"

#include <jansson.h>
#include <pwd.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "formats/nicknames_csv.h"
#include "util/buf.h"
#include "util/log.h"
#include "util/str.h"
#include "version.h"

static int cmd_help(struct cli *cli, int argc, char **argv);
static int cmd_version(struct cli *cli, int argc, char **argv);

static const char usage_help[] =
    "usage: htdispatch help [COMMAND]\n"
    "\n"
    "Shows the help of htdispatch or of COMMAND.\n";
static const char usage_version[] =
    "usage: htdispatch version [--json]\n"
    "\n"
    "Shows the version of htdispatch, of its database schema and of the\n"
    "libraries it runs on.\n";

static const struct cli_command commands[] = {
	{ "init", "create or upgrade the database", cli_usage_init,
	  cli_cmd_init },
	{ "calls", "open, note, answer, close, list and show calls",
	  cli_usage_calls, cli_cmd_calls },
	{ "db", "check the database", cli_usage_db, cli_cmd_db },
	{ "screen", "find trafficking indicators in notes or past calls",
	  cli_usage_screen, cli_cmd_screen },
	{ "check", "check lexicon (and other data) files", cli_usage_check,
	  cli_cmd_check },
	{ "assess", "decide on one call given as JSON (no state)",
	  cli_usage_assess, cli_cmd_assess },
	{ "call", "take a call in the terminal, question by question",
	  cli_usage_call, cli_cmd_call },
	{ "user", "add, lock, unlock and list users; set passwords",
	  cli_usage_user, cli_cmd_user },
	{ "audit", "read the access audit log", cli_usage_audit,
	  cli_cmd_audit },
	{ "serve", "serve the HTTP API (and live events)", cli_usage_serve,
	  cli_cmd_serve },
	{ "units", "add units; set their status and position; recommend",
	  cli_usage_units, cli_cmd_units },
	{ "import", "import the agency's records (persons, vehicles...)",
	  cli_usage_import, cli_cmd_import },
	{ "search", "search the agency's records (a purpose is required)",
	  cli_usage_search, cli_cmd_search },
	{ "records", "show a record with its links and calls",
	  cli_usage_records, cli_cmd_records },
	{ "version", "show versions", usage_version, cmd_version },
	{ "help", "show help", usage_help, cmd_help },
};

#define COMMAND_COUNT (sizeof(commands) / sizeof(commands[0]))

static void print_main_usage(FILE *f)
{
	fprintf(f,
	        "usage: htdispatch [--db PATH] [--json] COMMAND [ARGS...]\n"
	        "\n"
	        "htdispatch handles 9-1-1 calls about human trafficking as the "
	        "NENA\nprotocol prescribes.\n\n"
	        "Commands:\n");
	for (size_t i = 0; i < COMMAND_COUNT; i++)
		fprintf(f, "  %-9s %s\n", commands[i].name,
		        commands[i].summary);
	fprintf(f,
	        "\n"
	        "Options (also accepted after the command):\n"
	        "  --db PATH            database file (default: $HTDISPATCH_DB "
	        "or\n"
	        "                       " CLI_DEFAULT_DB ")\n"
	        "  --json               write results as JSON for machines\n"
	        "  --busy-timeout MS    wait this long for a locked database "
	        "(default %d)\n"
	        "  --help, -h           show help; 'htdispatch COMMAND "
	        "--help' for a command\n"
	        "  --version            show the version\n"
	        "\n"
	        "Exit status: 0 success, 1 the operation failed, 2 usage error "
	        "(what was\ntyped is wrong).\n"
	        "Environment: HTDISPATCH_DB, HTDISPATCH_LOG "
	        "(debug|info|warn|error|off).\n"
	        "Documentation: README.md and docs/ in the source; man "
	        "htdispatch.\n",
	        STORE_BUSY_TIMEOUT_DEFAULT);
}

static const struct cli_command *find_command(const char *name)
{
	for (size_t i = 0; i < COMMAND_COUNT; i++)
		if (str_eq(commands[i].name, name))
			return &commands[i];
	return NULL;
}

int cli_usage_error(struct cli *cli, const char *fmt, ...)
{
	va_list ap;
	const char *cmd = cli && cli->command ? cli->command : NULL;
	fprintf(stderr, "htdispatch%s%s: ", cmd ? " " : "", cmd ? cmd : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'htdispatch %s%s--help'.\n", cmd ? cmd : "",
	        cmd ? " " : "");
	return CLI_EXIT_USAGE;
}

/* "a, b or c" into `out` (cut to fit). */
static void list_names(const char *const *names, size_t n, char *out,
                       size_t size)
{
	struct buf b;
	buf_init(&b, size);
	for (size_t i = 0; i < n; i++)
		(void)buf_printf(&b, "%s%s",
		                 i == 0       ? ""
		                 : i == n - 1 ? " or "
		                              : ", ",
		                 names[i]);
	str_copy(out, size, buf_str(&b));
	buf_free(&b);
}

int cli_run_action(struct cli *cli, const char *group, const char *usage,
                   const char *const *names, size_t n, int argc, char **argv,
                   cli_action_fn run)
{
	char list[512];
	list_names(names, n, list, sizeof(list));
	if (argc < 2)
		return cli_usage_error(cli, "which action? %s", list);
	if (str_eq(argv[1], "--help") || str_eq(argv[1], "-h") ||
	    str_eq(argv[1], "help")) {
		fputs(usage, stdout);
		return CLI_EXIT_OK;
	}
	for (size_t i = 0; i < n; i++) {
		if (!str_eq(names[i], argv[1]))
			continue;
		char command[64];
		str_format(command, sizeof(command), "%s %s", group, argv[1]);
		const char *outer = cli->command;
		cli->command = command;
		cli_getopt_reset();
		int code = run(cli, i, argc - 1, argv + 1);
		cli->command = outer;
		return code;
	}
	return cli_usage_error(cli, "no action '%s'; use %s", argv[1], list);
}

int cli_fail(struct cli *cli, const struct htd_error *err)
{
	char msg[HTD_ERROR_MESSAGE_MAX + HTD_ERROR_FILE_MAX + 32];
	htd_error_format(err, msg, sizeof(msg));
	int code;
	switch (err->code) {
	case HTD_ERR_USAGE:
	case HTD_ERR_INVALID:
	case HTD_ERR_TOO_LARGE:
	case HTD_ERR_PARSE: code = CLI_EXIT_USAGE; break;
	case HTD_OK: code = CLI_EXIT_OK; break;
	default: code = CLI_EXIT_FAILURE; break;
	}
	const char *cmd = cli && cli->command ? cli->command : NULL;
	fprintf(stderr, "htdispatch%s%s: error: %s\n", cmd ? " " : "",
	        cmd ? cmd : "", msg);
	if (cli && cli->json) {
		json_t *e =
		    json_pack("{s:{s:s,s:s,s:s?}}", "error", "code",
		              htd_err_name(err->code), "message", msg, "field",
		              err->field[0] ? err->field : NULL);
		json_dumpf(e, stdout, JSON_COMPACT);
		fputc('\n', stdout);
		json_decref(e);
	}
	return code;
}

/* Sets *slot to `rel` under the source tree the program was built in, when
 * `rel` is not found from the current directory and is found there. */
static void default_near_program(const char **slot, char *buf, size_t size,
                                 const char *rel)
{
	char exe[1024];
	if (*slot || access(rel, F_OK) == 0)
		return;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return;
	exe[n] = '\0';
	char *slash = strrchr(exe, '/');
	if (!slash)
		return;
	*slash = '\0'; /* the program's directory: <tree>/build */
	if (str_format(buf, size, "%s/../%s", exe, rel) &&
	    access(buf, F_OK) == 0)
		*slot = buf;
}

void cli_default_path(const char **slot, char *buf, size_t size,
                      const char *rel)
{
	if (!*slot && access(rel, F_OK) == 0) {
		*slot = rel;
		return;
	}
	default_near_program(slot, buf, size, rel);
}

void cli_engine_init(struct cli_engine *e)
{
	memset(e, 0, sizeof(*e));
	const char *p = getenv("HTDISPATCH_PROTOCOL");
	if (p && p[0])
		e->opts.protocol_file = p;
	p = getenv("HTDISPATCH_POLICY");
	if (p && p[0])
		e->opts.policy_file = p;
	p = getenv("HTDISPATCH_LEXICON");
	if (p && p[0])
		e->opts.lexicon_dir = p;
	p = getenv("HTDISPATCH_CACHE");
	if (p && p[0])
		e->opts.cache_dir = p;
	default_near_program(&e->opts.protocol_file, e->protocol,
	                     sizeof(e->protocol), "data/protocol/nena-ht.yaml");
	default_near_program(&e->opts.policy_file, e->policy, sizeof(e->policy),
	                     "etc/policy.yaml");
	default_near_program(&e->opts.lexicon_dir, e->lexicon,
	                     sizeof(e->lexicon), "data/lexicon");
	p = getenv("HTDISPATCH_NICKNAMES");
	if (p && p[0])
		e->opts.nicknames_dir = p;
	default_near_program(&e->opts.nicknames_dir, e->nicknames,
	                     sizeof(e->nicknames), NICKNAMES_DIR_DEFAULT);
}

enum htd_err cli_nicknames_load(const char *dir, struct match_nicknames **out,
                                struct htd_error *err)
{
	char near[1024];
	if (!dir || !dir[0]) {
		const char *env = getenv("HTDISPATCH_NICKNAMES");
		dir = env && env[0] ? env : NULL;
	}
	default_near_program(&dir, near, sizeof(near), NICKNAMES_DIR_DEFAULT);
	return nicknames_csv_load_dir(dir, out, err);
}

int cli_engine_option(struct cli *cli, struct cli_engine *e, int c,
                      const char *arg)
{
	const char **slot = NULL;
	const char *what = NULL;
	switch (c) {
	case CLI_OPT_PROTOCOL:
		slot = &e->opts.protocol_file;
		what = "--protocol needs a file";
		break;
	case CLI_OPT_POLICY:
		slot = &e->opts.policy_file;
		what = "--policy needs a file";
		break;
	case CLI_OPT_LEXICON:
		slot = &e->opts.lexicon_dir;
		what = "--lexicon needs a directory";
		break;
	case CLI_OPT_CACHE:
		slot = &e->opts.cache_dir;
		what = "--cache needs a directory";
		break;
	case CLI_OPT_NO_CACHE: e->opts.cache_dir = ""; return 0;
	default: return 1;
	}
	if (!arg || !arg[0]) {
		cli_usage_error(cli, "%s", what);
		return 2;
	}
	*slot = arg;
	return 0;
}

static void print_engine_error(void *ctx, const struct htd_error *e)
{
	struct cli_engine *ce = ctx;
	char msg[HTD_ERROR_MESSAGE_MAX + HTD_ERROR_FILE_MAX + 32];
	ce->n_errors++;
	fprintf(stderr, "%s\n", htd_error_format(e, msg, sizeof(msg)));
}

int cli_open_engine(struct cli *cli, struct cli_engine *e, struct engine **out)
{
	struct htd_error err;
	htd_error_clear(&err);
	e->opts.on_error = print_engine_error;
	e->opts.ctx = e;
	e->n_errors = 0;
	if (engine_open(&e->opts, out, &err) == HTD_OK)
		return CLI_EXIT_OK;
	if (e->n_errors == 0)
		return cli_fail(cli, &err);
	fprintf(stderr,
	        "htdispatch %s: the protocol, policy or lexicon has %zu "
	        "problem%s (above); fix them and run 'htdispatch check'\n",
	        cli->command ? cli->command : "", e->n_errors,
	        e->n_errors == 1 ? "" : "s");
	return CLI_EXIT_FAILURE;
}

enum htd_err cli_open_store(struct cli *cli, bool create, struct store **out,
                            struct htd_error *err)
{
	struct store_options opts = {
		.path = cli->db_path,
		.busy_timeout_ms = cli->busy_timeout_ms,
		.create = create,
	};
	return store_open(&opts, out, err);
}

const char *cli_actor(void)
{
	static char actor[CALL_ACTOR_MAX];
	if (!actor[0]) {
		struct passwd pw, *res = NULL;
		char pwbuf[1024];
		const char *name = NULL;
		if (getpwuid_r(getuid(), &pw, pwbuf, sizeof(pwbuf), &res) ==
		        0 &&
		    res)
			name = res->pw_name;
		if (name)
			str_format(actor, sizeof(actor), "cli:%s", name);
		else
			str_format(actor, sizeof(actor), "cli:uid%u",
			           (unsigned)getuid());
	}
	return actor;
}

void cli_getopt_reset(void)
{
	optind = 0; /* GNU getopt: 0 re-initialises, for a new argv */
	opterr = 0;
}

enum { OPT_DB = 0x1000, OPT_JSON, OPT_BUSY, OPT_HELP };

int cli_getopt(struct cli *cli, int argc, char **argv, const char *shortopts,
               const struct option *opts, int *exit_code)
{
	struct option all[32];
	size_t n = 0;
	for (; opts && opts[n].name && n < 27; n++)
		all[n] = opts[n];
	all[n++] = (struct option){ "db", required_argument, NULL, OPT_DB };
	all[n++] = (struct option){ "json", no_argument, NULL, OPT_JSON };
	all[n++] = (struct option){ "busy-timeout", required_argument, NULL,
		                    OPT_BUSY };
	all[n++] = (struct option){ "help", no_argument, NULL, OPT_HELP };
	all[n] = (struct option){ 0, 0, 0, 0 };

	/* GNU getopt wants '+' (stop at the first operand) before ':'. */
	char optstring[64];
	bool stop = shortopts && shortopts[0] == '+';
	str_format(optstring, sizeof(optstring), "%s:%sh", stop ? "+" : "",
	           shortopts ? shortopts + stop : "");

	for (;;) {
		int c = getopt_long(argc, argv, optstring, all, NULL);
		switch (c) {
		case OPT_DB:
			if (!optarg[0]) {
				*exit_code = cli_usage_error(
				    cli, "--db needs a file name");
				return -2;
			}
			cli->db_path = optarg;
			cli->db_given = true;
			continue;
		case OPT_JSON: cli->json = true; continue;
		case OPT_BUSY: {
			int64_t ms;
			if (!str_to_i64(optarg, 1, 600000, &ms)) {
				*exit_code = cli_usage_error(
				    cli,
				    "--busy-timeout takes milliseconds, "
				    "1 to 600000, not '%s'",
				    optarg);
				return -2;
			}
			cli->busy_timeout_ms = (int)ms;
			continue;
		}
		case 'h':
		case OPT_HELP:
			fputs(cli->usage, stdout);
			*exit_code = CLI_EXIT_OK;
			return -2;
		case ':':
			*exit_code = cli_usage_error(
			    cli, "option '%s' needs a value", argv[optind - 1]);
			return -2;
		case '?':
			if (optopt)
				*exit_code = cli_usage_error(
				    cli, "unknown option '-%c'", optopt);
			else
				*exit_code =
				    cli_usage_error(cli, "unknown option '%s'",
				                    argv[optind - 1]);
			return -2;
		default: return c;
		}
	}
}

static int cmd_help(struct cli *cli, int argc, char **argv)
{
	int code, c;
	while ((c = cli_getopt(cli, argc, argv, "", NULL, &code)) != -1)
		if (c == -2)
			return code;
	if (optind >= argc) {
		print_main_usage(stdout);
		return CLI_EXIT_OK;
	}
	const struct cli_command *cmd = find_command(argv[optind]);
	if (!cmd)
		return cli_usage_error(cli, "no command '%s'", argv[optind]);
	fputs(cmd->usage, stdout);
	return CLI_EXIT_OK;
}

static int cmd_version(struct cli *cli, int argc, char **argv)
{
	int code, c;
	while ((c = cli_getopt(cli, argc, argv, "", NULL, &code)) != -1)
		if (c == -2)
			return code;
	if (optind < argc)
		return cli_usage_error(cli, "unexpected argument '%s'",
		                       argv[optind]);
	if (cli->json) {
		json_t *o = json_pack(
		    "{s:s,s:i,s:s,s:s}", "version", HTD_VERSION, "schema",
		    store_schema_latest(), "sqlite", sqlite3_libversion(),
		    "jansson", jansson_version_str());
		json_dumpf(o, stdout, JSON_COMPACT);
		fputc('\n', stdout);
		json_decref(o);
	} else {
		printf("htdispatch %s (database schema %d; SQLite %s, jansson "
		       "%s)\n",
		       HTD_VERSION, store_schema_latest(), sqlite3_libversion(),
		       jansson_version_str());
	}
	return CLI_EXIT_OK;
}

int cli_main(int argc, char **argv)
{
	struct cli cli = {
		.prog =
		    argc > 0 && strchr(argv[0], '/') ? argv[0] : "htdispatch",
		.db_path = CLI_DEFAULT_DB,
		.busy_timeout_ms = STORE_BUSY_TIMEOUT_DEFAULT,
	};
	const char *env_db = getenv("HTDISPATCH_DB");
	if (env_db && env_db[0]) {
		cli.db_path = env_db;
		cli.db_given = true;
	}
	const char *env_log = getenv("HTDISPATCH_LOG");
	enum log_level level = LOG_WARN;
	if (env_log && env_log[0] && !log_level_parse(env_log, &level)) {
		fprintf(stderr,
		        "htdispatch: HTDISPATCH_LOG must be debug, info, warn, "
		        "error or off, not '%s'\n",
		        env_log);
		return CLI_EXIT_USAGE;
	}
	log_set_level(level);

	/* Options before the command; '+' stops at the command name. */
	static const char main_usage_marker[] = "";
	cli.usage = main_usage_marker;
	static const struct option main_opts[] = {
		{ "version", no_argument, NULL, 'V' },
		{ 0, 0, 0, 0 },
	};
	cli_getopt_reset();
	int code, c;
	while ((c = cli_getopt(&cli, argc, argv, "+", main_opts, &code)) !=
	       -1) {
		if (c == -2) {
			if (code == CLI_EXIT_OK)
				print_main_usage(stdout);
			return code;
		}
		if (c == 'V') {
			cli_getopt_reset();
			return cmd_version(&cli, 1, argv);
		}
	}
	if (optind >= argc) {
		print_main_usage(stderr);
		return CLI_EXIT_USAGE;
	}
	const struct cli_command *cmd = find_command(argv[optind]);
	if (!cmd)
		return cli_usage_error(&cli, "no command '%s'", argv[optind]);
	cli.command = cmd->name;
	cli.usage = cmd->usage;
	int sub_argc = argc - optind;
	char **sub_argv = argv + optind;
	cli_getopt_reset();
	return cmd->run(&cli, sub_argc, sub_argv);
}
