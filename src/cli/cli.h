/*
 * cli.h - the htdispatch command line: a table of subcommands, the options
 * they share, and the one place where errors become exit codes.
 *
 * Exit codes: 0 success; 1 the operation failed (not found, conflict,
 * database or disk problem); 2 usage error (what was typed is wrong: unknown
 * command or option, missing argument, a value that is not valid).
 */
#ifndef HTD_CLI_CLI_H
#define HTD_CLI_CLI_H

#include <getopt.h>
#include <stdbool.h>

#include "core/match.h"
#include "service/calls.h"
#include "service/engine.h"
#include "store/store.h"
#include "util/error.h"

#define CLI_EXIT_OK 0
#define CLI_EXIT_FAILURE 1
#define CLI_EXIT_USAGE 2

#define CLI_DEFAULT_DB "./var/htdispatch.db"

/* Options every subcommand takes, and where they were given. */
struct cli {
	const char *db_path;
	bool db_given; /* --db or HTDISPATCH_DB, not the default */
	bool json;
	int busy_timeout_ms;
	const char *prog;    /* how to call us again, for printed guides */
	const char *command; /* "calls list", for messages */
	const char *usage;   /* the running command's help text */
};

struct cli_command {
	const char *name;
	const char *summary;
	const char *usage; /* full help text, printed by --help */
	int (*run)(struct cli *cli, int argc, char **argv);
};

/* Entry point: parses argv and runs a subcommand; returns the exit code. */
int cli_main(int argc, char **argv);

/*
 * getopt_long() over the command's own `opts` (terminated by a zero entry)
 * plus the common options --db, --json, --busy-timeout and --help, which it
 * handles itself. Returns the next command-specific option, -1 at the end,
 * or -2 after it has printed help (*exit_code = 0) or a usage error
 * (*exit_code = 2): the caller returns *exit_code then.
 */
int cli_getopt(struct cli *cli, int argc, char **argv, const char *shortopts,
               const struct option *opts, int *exit_code);

/* Resets getopt for a new argument vector. */
void cli_getopt_reset(void);

/* Prints "htdispatch COMMAND: message" and a hint; returns 2. */
int cli_usage_error(struct cli *cli, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Runs one action of a command that has several ("calls open"). */
typedef int (*cli_action_fn)(struct cli *cli, size_t action, int argc,
                             char **argv);

/*
 * Runs action argv[1] of command `group` ("calls"): "--help", "-h" or
 * "help" prints `usage`; a missing or unknown action is a usage error that
 * lists `names`. Otherwise it names the command "group action" in
 * messages, resets getopt and returns run(cli, i, argc - 1, argv + 1) for
 * names[i] == argv[1].
 */
int cli_run_action(struct cli *cli, const char *group, const char *usage,
                   const char *const *names, size_t n, int argc, char **argv,
                   cli_action_fn run);

/* Reports `err` (on stderr; also as JSON on stdout with --json) and returns
 * the exit code its code maps to. */
int cli_fail(struct cli *cli, const struct htd_error *err);

/* Opens the store named by the options. */
enum htd_err cli_open_store(struct cli *cli, bool create, struct store **out,
                            struct htd_error *err);

/*
 * The options of every command that loads the protocol (assess, call,
 * calls): --protocol FILE, --policy FILE, --lexicon DIR, --cache DIR,
 * --no-cache. Put CLI_ENGINE_OPTIONS in the command's option table and
 * pass every option cli_getopt() returns to cli_engine_option() first.
 */
#define CLI_OPT_PROTOCOL 0x101
#define CLI_OPT_POLICY 0x102
#define CLI_OPT_LEXICON 0x103
#define CLI_OPT_CACHE 0x104
#define CLI_OPT_NO_CACHE 0x105
#define CLI_ENGINE_OPTIONS                                           \
	{ "protocol", required_argument, NULL, CLI_OPT_PROTOCOL },   \
	    { "policy", required_argument, NULL, CLI_OPT_POLICY },   \
	    { "lexicon", required_argument, NULL, CLI_OPT_LEXICON }, \
	    { "cache", required_argument, NULL, CLI_OPT_CACHE },     \
	{                                                            \
		"no-cache", no_argument, NULL, CLI_OPT_NO_CACHE      \
	}
/* Help text for those options. */
#define CLI_ENGINE_USAGE                                                       \
	"  --protocol FILE  the protocol (default "                            \
	"data/protocol/nena-ht.yaml;\n"                                        \
	"                   env HTDISPATCH_PROTOCOL)\n"                        \
	"  --policy FILE    the agency policy (default etc/policy.yaml;\n"     \
	"                   env HTDISPATCH_POLICY)\n"                          \
	"  --lexicon DIR    the indicator lexicons (default data/lexicon;\n"   \
	"                   env HTDISPATCH_LEXICON)\n"                         \
	"  --cache DIR      where the compiled lexicon is kept (default\n"     \
	"                   ./var/cache; env HTDISPATCH_CACHE); --no-cache:\n" \
	"                   compile every time\n"

struct cli_engine {
	struct engine_options opts;
	size_t n_errors; /* printed while loading */
	/* Defaults found next to the program (see cli_engine_init()). */
	char protocol[1024];
	char policy[1024];
	char lexicon[1024];
	char nicknames[1024];
};

/*
 * Sets `e` from the environment; call before the option loop. What the
 * environment does not name is looked for where `make run` puts it: in the
 * current directory (data/protocol/nena-ht.yaml, etc/policy.yaml,
 * data/lexicon), else in the source tree the program was built in (the
 * directory above the program's), so ./build/htdispatch works from any
 * directory.
 */
void cli_engine_init(struct cli_engine *e);

/* Handles option `c` when it is an engine option: returns 0 when it was
 * one, 1 when it was not, 2 after a usage error (printed). */
int cli_engine_option(struct cli *cli, struct cli_engine *e, int c,
                      const char *arg);

/* Loads protocol, policy and lexicons, printing every problem as
 * FILE:LINE:COLUMN: message (the same messages as `htdispatch check`).
 * Returns 0 and an owned engine, or the exit code. */
int cli_open_engine(struct cli *cli, struct cli_engine *e, struct engine **out);

/* Sets *slot, when it is NULL, to `rel` (a data file or directory of the
 * source tree, such as "data/linkage") under the current directory when
 * it is there, else under the source tree the program was built in when
 * it is there (written into `buf`); leaves *slot alone otherwise. */
void cli_default_path(const char **slot, char *buf, size_t size,
                      const char *rel);

/* Returns who is acting, for the record: "cli:<login name>". Static. */
const char *cli_actor(void);

/*
 * Loads the nickname tables (every nicknames*.csv of `dir`; NULL or "":
 * env HTDISPATCH_NICKNAMES, else data/linkage, found next to the program
 * when not in the current directory) into *out (free with
 * match_nicknames_free()). Import and search must use the same tables:
 * the blocking keys of names depend on them.
 */
enum htd_err cli_nicknames_load(const char *dir, struct match_nicknames **out,
                                struct htd_error *err);

/* The subcommands, defined in their own files. */
int cli_cmd_init(struct cli *cli, int argc, char **argv);
int cli_cmd_calls(struct cli *cli, int argc, char **argv);
int cli_cmd_db(struct cli *cli, int argc, char **argv);
int cli_cmd_screen(struct cli *cli, int argc, char **argv);
int cli_cmd_check(struct cli *cli, int argc, char **argv);
int cli_cmd_assess(struct cli *cli, int argc, char **argv);
int cli_cmd_call(struct cli *cli, int argc, char **argv);
int cli_cmd_user(struct cli *cli, int argc, char **argv);
int cli_cmd_audit(struct cli *cli, int argc, char **argv);
int cli_cmd_serve(struct cli *cli, int argc, char **argv);
int cli_cmd_units(struct cli *cli, int argc, char **argv);
int cli_cmd_import(struct cli *cli, int argc, char **argv);
int cli_cmd_search(struct cli *cli, int argc, char **argv);
int cli_cmd_records(struct cli *cli, int argc, char **argv);
extern const char cli_usage_init[];
extern const char cli_usage_calls[];
extern const char cli_usage_db[];
extern const char cli_usage_screen[];
extern const char cli_usage_check[];
extern const char cli_usage_assess[];
extern const char cli_usage_call[];
extern const char cli_usage_user[];
extern const char cli_usage_audit[];
extern const char cli_usage_serve[];
extern const char cli_usage_units[];
extern const char cli_usage_import[];
extern const char cli_usage_search[];
extern const char cli_usage_records[];

#endif
