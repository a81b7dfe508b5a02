/*
 * cmd_user.c - `htdispatch user ...`: add, lock, unlock and list the users
 * of the API, and set their passwords. Every action is one function of
 * service/users.h (which writes the audit entry); this file parses
 * arguments, reads a password without showing it, and prints. A password
 * never comes from the command line, where `ps` and shell history see it.
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "cli/cli.h"
#include "service/users.h"
#include "util/clock.h"
#include "util/str.h"

const char cli_usage_user[] =
    "usage: htdispatch user ACTION [OPTIONS] [NAME]\n"
    "\n"
    "Actions:\n"
    "  add NAME --role ROLE [--display TEXT]\n"
    "                     add a user\n"
    "  passwd NAME        set a new password; ends the user's sessions\n"
    "  lock NAME          disable a user; ends its sessions\n"
    "  unlock NAME        enable a user again (also ends a lock-out after\n"
    "                     failed logins)\n"
    "  list               list the users\n"
    "\n"
    "Passwords (add, passwd) are read from standard input, its first "
    "line,\n"
    "  when it is not a terminal; at a terminal they are asked for twice\n"
    "  without echo. Never on the command line. 12 to 256 bytes, not the\n"
    "  user name.\n"
    "Names: 2 to 64 characters: a-z, 0-9, '.', '_' and '-'.\n"
    "Roles: calltaker, dispatcher, supervisor, investigator, records,\n"
    "  auditor, admin.\n"
    "Every change is in the audit log, by cli:<your login name>\n"
    "  (htdispatch audit list).\n"
    "\n"
    "Common options: --db PATH, --json, --busy-timeout MS, --help.\n"
    "Exit status: 0 success, 1 failure (e.g. no such user, the name is\n"
    "taken), 2 usage error (what was typed is wrong).\n";

/* Room for the longest password, its newline and the NUL. */
#define PASSWORD_BUF (USER_PASSWORD_MAX + 2)

struct user_ctx {
	struct cli *cli;
	struct service svc;
	struct store *store;
};

static int ctx_open(struct user_ctx *ctx)
{
	struct htd_error err;
	htd_error_clear(&err);
	if (cli_open_store(ctx->cli, false, &ctx->store, &err) != HTD_OK)
		return cli_fail(ctx->cli, &err);
	ctx->svc.store = ctx->store;
	ctx->svc.clock = clock_system();
	ctx->svc.address = "cli";
	ctx->svc.actor = cli_actor();
	return -1;
}

static void print_json(json_t *o)
{
	json_dumpf(o, stdout, JSON_COMPACT);
	fputc('\n', stdout);
	json_decref(o);
}

/* Reads one line into `out` (the newline dropped); false at end of input
 * or when the line does not fit. */
static bool read_line(FILE *f, char *out, size_t size, bool *too_long)
{
	*too_long = false;
	if (!fgets(out, (int)size, f))
		return false;
	size_t n = strlen(out);
	if (n && out[n - 1] == '\n')
		out[--n] = '\0';
	else if (n == size - 1 && !feof(f))
		*too_long = true;
	if (n && out[n - 1] == '\r')
		out[--n] = '\0';
	return !*too_long;
}

/* Asks for a line at the terminal without echo. */
static bool prompt_hidden(const char *prompt, char *out, size_t size,
                          bool *too_long)
{
	struct termios old, quiet;
	bool restore = tcgetattr(STDIN_FILENO, &old) == 0;
	if (restore) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		quiet.c_lflag |= ECHONL;
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
	}
	fputs(prompt, stderr);
	fflush(stderr);
	bool ok = read_line(stdin, out, size, too_long);
	if (restore)
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
	return ok;
}

/* Reads the new password of `name`, as cli_usage_user says. */
static enum htd_err read_password(const char *name, char out[PASSWORD_BUF],
                                  struct htd_error *err)
{
	bool too_long = false;
	out[0] = '\0';
	if (!isatty(STDIN_FILENO)) {
		if (!read_line(stdin, out, PASSWORD_BUF, &too_long) &&
		    !too_long)
			return htd_error_field(err, HTD_ERR_INVALID, "password",
			                       "no password on standard "
			                       "input (its first line is "
			                       "the password)");
	} else {
		char again[PASSWORD_BUF];
		char prompt[USER_NAME_MAX + 32];
		str_format(prompt, sizeof(prompt),
		           "New password for %s: ", name);
		bool ok = prompt_hidden(prompt, out, PASSWORD_BUF, &too_long);
		if (ok && !too_long)
			ok = prompt_hidden("Again: ", again, sizeof(again),
			                   &too_long);
		bool same = ok && strcmp(out, again) == 0;
		explicit_bzero(again, sizeof(again));
		if (!ok && !too_long)
			return htd_error_field(err, HTD_ERR_INVALID, "password",
			                       "no password given");
		if (ok && !same) {
			explicit_bzero(out, PASSWORD_BUF);
			return htd_error_field(err, HTD_ERR_INVALID, "password",
			                       "the two passwords differ; "
			                       "nothing was changed");
		}
	}
	if (too_long) {
		explicit_bzero(out, PASSWORD_BUF);
		return htd_error_field(err, HTD_ERR_INVALID, "password",
		                       "a password is at most %d bytes",
		                       USER_PASSWORD_MAX);
	}
	return HTD_OK;
}

/* Parses the options of an action that takes one NAME and nothing else;
 * returns -1 to go on or an exit code. */
static int name_only(struct user_ctx *ctx, int argc, char **argv,
                     const char *usage)
{
	int code, c;
	while ((c = cli_getopt(ctx->cli, argc, argv, "", NULL, &code)) != -1) {
		if (c == -2)
			return code;
		return cli_usage_error(ctx->cli, "bad option");
	}
	if (argc - optind != 1)
		return cli_usage_error(ctx->cli, "usage: %s", usage);
	return -1;
}

static int print_done(struct user_ctx *ctx, const char *name, const char *what,
                      const char *text)
{
	if (ctx->cli->json)
		print_json(json_pack("{s:s,s:s}", "name", name, "done", what));
	else
		printf("%s\n", text);
	return CLI_EXIT_OK;
}

static int act_add(struct user_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "role", required_argument, NULL, 'r' },
		{ "display", required_argument, NULL, 'd' },
		{ 0, 0, 0, 0 },
	};
	const char *role = NULL, *display = NULL;
	int code, c;
	while ((c = cli_getopt(ctx->cli, argc, argv, "", opts, &code)) != -1) {
		switch (c) {
		case -2: return code;
		case 'r': role = optarg; break;
		case 'd': display = optarg; break;
		default: return cli_usage_error(ctx->cli, "bad option");
		}
	}
	if (argc - optind != 1)
		return cli_usage_error(ctx->cli, "usage: user add NAME --role "
		                                 "ROLE [--display TEXT]");
	if (!role)
		return cli_usage_error(ctx->cli,
		                       "a user needs --role: calltaker, "
		                       "dispatcher, supervisor, investigator, "
		                       "records, auditor or admin");
	const char *name = argv[optind];
	if ((code = ctx_open(ctx)) >= 0)
		return code;
	char password[PASSWORD_BUF];
	char text[USER_NAME_MAX + 64];
	struct htd_error err;
	htd_error_clear(&err);
	enum htd_err rc = read_password(name, password, &err);
	if (rc == HTD_OK)
		rc = users_add(&ctx->svc, cli_actor(), name, display, role,
		               password, &err);
	explicit_bzero(password, sizeof(password));
	if (rc != HTD_OK)
		return cli_fail(ctx->cli, &err);
	str_format(text, sizeof(text), "User %s added (%s).", name, role);
	return print_done(ctx, name, "added", text);
}

static int act_passwd(struct user_ctx *ctx, int argc, char **argv)
{
	int code = name_only(ctx, argc, argv, "user passwd NAME");
	if (code >= 0)
		return code;
	const char *name = argv[optind];
	if ((code = ctx_open(ctx)) >= 0)
		return code;
	char password[PASSWORD_BUF];
	char text[USER_NAME_MAX + 64];
	struct htd_error err;
	htd_error_clear(&err);
	enum htd_err rc = read_password(name, password, &err);
	if (rc == HTD_OK)
		rc = users_passwd(&ctx->svc, cli_actor(), name, password, &err);
	explicit_bzero(password, sizeof(password));
	if (rc != HTD_OK)
		return cli_fail(ctx->cli, &err);
	str_format(text, sizeof(text),
	           "Password of %s changed; its sessions were ended.", name);
	return print_done(ctx, name, "password changed", text);
}

static int lock_or_unlock(struct user_ctx *ctx, int argc, char **argv,
                          bool lock)
{
	int code = name_only(ctx, argc, argv,
	                     lock ? "user lock NAME" : "user unlock NAME");
	if (code >= 0)
		return code;
	const char *name = argv[optind];
	if ((code = ctx_open(ctx)) >= 0)
		return code;
	char text[USER_NAME_MAX + 64];
	struct htd_error err;
	htd_error_clear(&err);
	if (users_lock(&ctx->svc, cli_actor(), name, lock, &err) != HTD_OK)
		return cli_fail(ctx->cli, &err);
	str_format(text, sizeof(text), "%s %s.", name,
	           lock ? "locked; its sessions were ended" : "unlocked");
	return print_done(ctx, name, lock ? "locked" : "unlocked", text);
}

static int act_lock(struct user_ctx *ctx, int argc, char **argv)
{
	return lock_or_unlock(ctx, argc, argv, true);
}

static int act_unlock(struct user_ctx *ctx, int argc, char **argv)
{
	return lock_or_unlock(ctx, argc, argv, false);
}

static json_t *time_json(int64_t ms)
{
	char t[TIME_TEXT_MAX];
	if (ms <= 0 || !time_format_utc(ms, t, sizeof(t)))
		return json_null();
	return json_string(t);
}

static const char *local_time(int64_t ms, char *buf, size_t size)
{
	if (ms <= 0 || !time_format_local(ms, buf, size))
		str_copy(buf, size, "-");
	return buf;
}

static int act_list(struct user_ctx *ctx, int argc, char **argv)
{
	int code, c;
	while ((c = cli_getopt(ctx->cli, argc, argv, "", NULL, &code)) != -1) {
		if (c == -2)
			return code;
		return cli_usage_error(ctx->cli, "bad option");
	}
	if (optind < argc)
		return cli_usage_error(ctx->cli, "unexpected argument '%s'",
		                       argv[optind]);
	if ((code = ctx_open(ctx)) >= 0)
		return code;
	struct user_list l;
	struct htd_error err;
	htd_error_clear(&err);
	if (users_list(&ctx->svc, &l, &err) != HTD_OK)
		return cli_fail(ctx->cli, &err);
	int64_t now = clock_now_ms(ctx->svc.clock);
	if (ctx->cli->json) {
		json_t *arr = json_array();
		for (size_t i = 0; i < l.n; i++) {
			const struct user *u = &l.users[i];
			json_array_append_new(
			    arr,
			    json_pack("{s:s,s:s,s:s,s:b,s:o,s:i,s:o,s:o}",
			              "name", u->name, "display", u->display,
			              "role", access_role_name(u->role),
			              "disabled", u->disabled, "locked_until",
			              time_json(u->locked_until_ms > now
			                            ? u->locked_until_ms
			                            : 0),
			              "failed_logins", u->failed_logins,
			              "created_at", time_json(u->created_at_ms),
			              "last_login",
			              time_json(u->last_login_ms)));
		}
		print_json(json_pack("{s:o}", "users", arr));
	} else if (l.n == 0) {
		printf("No users yet: htdispatch user add NAME --role ROLE\n");
	} else {
		printf("%-20s %-12s %-28s %-19s %s\n", "NAME", "ROLE", "STATUS",
		       "LAST LOGIN", "DISPLAY");
		for (size_t i = 0; i < l.n; i++) {
			const struct user *u = &l.users[i];
			char status[64], t[TIME_TEXT_MAX], t2[TIME_TEXT_MAX];
			if (u->disabled)
				str_copy(status, sizeof(status), "disabled");
			else if (u->locked_until_ms > now)
				str_format(status, sizeof(status),
				           "locked until %s",
				           local_time(u->locked_until_ms, t2,
				                      sizeof(t2)));
			else
				str_copy(status, sizeof(status), "active");
			printf("%-20s %-12s %-28s %-19s %s\n", u->name,
			       access_role_name(u->role), status,
			       local_time(u->last_login_ms, t, sizeof(t)),
			       u->display[0] ? u->display : "-");
		}
	}
	user_list_free(&l);
	return CLI_EXIT_OK;
}

static const struct {
	const char *name;
	int (*run)(struct user_ctx *ctx, int argc, char **argv);
} actions[] = {
	{ "add", act_add },   { "passwd", act_passwd },
	{ "lock", act_lock }, { "unlock", act_unlock },
	{ "list", act_list },
};

static int run_action(struct cli *cli, size_t action, int argc, char **argv)
{
	struct user_ctx ctx = { .cli = cli };
	int code = actions[action].run(&ctx, argc, argv);
	store_close(ctx.store);
	return code;
}

int cli_cmd_user(struct cli *cli, int argc, char **argv)
{
	const char *names[sizeof(actions) / sizeof(actions[0])];
	for (size_t i = 0; i < sizeof(actions) / sizeof(actions[0]); i++)
		names[i] = actions[i].name;
	return cli_run_action(cli, "user", cli_usage_user, names,
	                      sizeof(actions) / sizeof(actions[0]), argc, argv,
	                      run_action);
}
