/*
 * cmd_serve.c - `htdispatch serve`: load and check the protocol, policy
 * and lexicons (refusing to start on files `check` rejects), start the
 * HTTP API (http/server.h), then wait for signals: SIGHUP reloads the
 * files, SIGTERM and SIGINT drain and stop.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "formats/serve_config.h"
#include "http/server.h"
#include "notify/transport.h"
#include "service/outbox.h"
#include "service/related.h"
#include "service/users.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/str.h"

const char cli_usage_serve[] =
    "usage: htdispatch serve [OPTIONS]\n"
    "\n"
    "Serves the HTTP JSON API under /api/v1 (docs/openapi.yaml), live\n"
    "events (GET /api/v1/events), /healthz, /readyz and /metrics. Prints\n"
    "the address it listens on, then logs one line per request.\n"
    "\n"
    "Options:\n"
    "  --listen HOST:PORT   where to listen (default " HTTP_LISTEN_DEFAULT ";\n"
    "                       port 0 picks a free one; [::1]:8080 for IPv6)\n"
    "  --threads N          worker threads (default 4)\n"
    "  --body-limit BYTES   largest request body (default 1048576)\n"
    "  --timeout SECONDS    close connections idle this long (default 30)\n"
    "  --max-connections N  open connections at most (default 1024)\n"
    "  --per-ip N           connections per client address (default 64;\n"
    "                       0: no limit)\n"
    "  --tls-cert FILE      serve HTTPS with this PEM certificate chain\n"
    "  --tls-key FILE       and this PEM private key (both or neither)\n"
    "  --drain SECONDS      on SIGTERM, wait this long for requests in\n"
    "                       flight (default 10)\n"
    "  --session-idle SECONDS\n"
    "                       end sessions idle this long (default and\n"
    "                       most 1800: 30 minutes, CJIS; at least 1)\n"
    "  --config FILE        read options from FILE first "
    "(etc/htdispatch.yaml:\n"
    "                       'listen: 127.0.0.1:8080', one per line, the\n"
    "                       long option names above and db, busy-timeout,\n"
    "                       protocol, policy, lexicon, cache); options on\n"
    "                       the command line win\n" CLI_ENGINE_USAGE "\n"
    "Signals: SIGHUP reloads the protocol, policy and lexicons (a file\n"
    "that fails 'htdispatch check' keeps the running set, and the log says\n"
    "why); SIGTERM or SIGINT stop accepting, answer what is in flight and\n"
    "exit 0.\n"
    "Common options: --db PATH, --busy-timeout MS, --help.\n"
    "Environment: HTDISPATCH_LOG (default info for serve).\n"
    "Exit status: 0 stopped by a signal; 1 cannot start (no database, the\n"
    "address is in use, the protocol does not load); 2 usage error.\n";

#define OPT_LISTEN 0x201
#define OPT_THREADS 0x202
#define OPT_BODY_LIMIT 0x203
#define OPT_TIMEOUT 0x204
#define OPT_MAX_CONN 0x205
#define OPT_PER_IP 0x206
#define OPT_TLS_CERT 0x207
#define OPT_TLS_KEY 0x208
#define OPT_DRAIN 0x209
#define OPT_SESSION_IDLE 0x20a
#define OPT_CONFIG 0x20b

/* The options a configuration file may set: serve's own and the common
 * and engine ones, by their long names. */
static const char *const config_keys[] = {
	"listen", "threads",      "body-limit", "timeout", "max-connections",
	"per-ip", "tls-cert",     "tls-key",    "drain",   "session-idle",
	"db",     "busy-timeout", "protocol",   "policy",  "lexicon",
	"cache",  NULL,
};

/*
 * With --config FILE (or --config=FILE) in argv, returns a new argv: the
 * file's options as "--name value" pairs, then argv's own, so that the
 * command line wins; *from_file is how many elements (after argv[0]) came
 * from the file, and lines[i] the file line of element i + 1. Returns
 * NULL and prints the error when the file is bad; returns argv itself
 * when there is no --config.
 */
static char **with_config(struct cli *cli, int argc, char **argv, int *new_argc,
                          struct serve_config *cfg, int **lines, int *from_file,
                          const char **file, int *code)
{
	const char *path = NULL;
	*new_argc = argc;
	*from_file = 0;
	*lines = NULL;
	*file = NULL;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
		if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
			path = argv[i + 1];
		else if (strncmp(argv[i], "--config=", 9) == 0)
			path = argv[i] + 9;
	}
	if (!path)
		return argv;
	struct htd_error err;
	htd_error_clear(&err);
	if (serve_config_load(path, config_keys, cfg, &err) != HTD_OK) {
		*code = cli_fail(cli, &err);
		return NULL;
	}
	char **nv = xcalloc((size_t)argc + 2 * cfg->n + 1, sizeof(*nv));
	*lines = xcalloc(2 * cfg->n + 1, sizeof(**lines));
	int k = 0;
	nv[k++] = argv[0];
	for (size_t i = 0; i < cfg->n; i++) {
		/* "--name": the key is one of config_keys, so this fits. */
		char *opt = xmalloc(strlen(cfg->entries[i].key) + 3);
		opt[0] = opt[1] = '-';
		memcpy(opt + 2, cfg->entries[i].key,
		       strlen(cfg->entries[i].key) + 1);
		free(cfg->entries[i].key);
		cfg->entries[i].key = opt; /* freed with cfg */
		(*lines)[k - 1] = cfg->entries[i].line;
		nv[k++] = opt;
		(*lines)[k - 1] = cfg->entries[i].line;
		nv[k++] = cfg->entries[i].value;
	}
	*from_file = k - 1;
	for (int i = 1; i < argc; i++)
		nv[k++] = argv[i];
	nv[k] = NULL;
	*new_argc = k;
	*file = path;
	return nv;
}

/* Largest PEM file read. */
#define PEM_MAX ((size_t)1024 * 1024)

/* Reads a PEM file into an owned string; prints and returns an exit code
 * on failure, -1 on success. */
static int read_pem(struct cli *cli, const char *path, char **out)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct htd_error err;
	if (fd < 0) {
		htd_error_set(&err, HTD_ERR_IO, "%s: %s", path,
		              strerror(errno));
		return cli_fail(cli, &err);
	}
	char *buf = xmalloc(PEM_MAX + 1);
	size_t n = 0;
	for (;;) {
		ssize_t r = read(fd, buf + n, PEM_MAX + 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
		if (n > PEM_MAX)
			break;
	}
	close(fd);
	if (n == 0 || n > PEM_MAX) {
		free(buf);
		htd_error_set(&err, HTD_ERR_INVALID,
		              "%s: empty, or larger than %zu bytes", path,
		              PEM_MAX);
		return cli_fail(cli, &err);
	}
	buf[n] = '\0';
	*out = buf;
	return -1;
}

static bool parse_count(const char *s, int64_t min, int64_t max, int64_t *out)
{
	return s && str_to_i64(s, min, max, out);
}

static int serve_args(struct cli *cli, int argc, char **argv, const int *lines,
                      int from_file, const char *file);

int cli_cmd_serve(struct cli *cli, int argc, char **argv)
{
	int code = CLI_EXIT_OK;
	struct serve_config cfg = { 0 };
	int *lines = NULL, from_file = 0, nargc = argc;
	const char *cfg_file = NULL;
	char **nargv = with_config(cli, argc, argv, &nargc, &cfg, &lines,
	                           &from_file, &cfg_file, &code);
	if (!nargv)
		return code;
	if (nargv != argv) {
		code =
		    serve_args(cli, nargc, nargv, lines, from_file, cfg_file);
		free(nargv);
		free(lines);
		serve_config_free(&cfg);
		return code;
	}
	return serve_args(cli, argc, argv, NULL, 0, NULL);
}

/* Says where a bad value came from when the configuration file gave it
 * (the message itself has been printed); passes `code` through. */
static int from_where(int code, int index, const int *lines, int from_file,
                      const char *file)
{
	if (code != -1 && lines && index >= 1 && index <= from_file)
		fprintf(stderr, "htdispatch serve: that value is from %s:%d\n",
		        file, lines[index - 1]);
	return code;
}

/* A bad value: the message, and where it came from. */
#define BAD(...)                                                         \
	from_where(cli_usage_error(cli, __VA_ARGS__), optind - 1, lines, \
	           from_file, file)

/*
 * After a successful reload: the delivery worker moves to the new
 * policy's targets and secrets (service/outbox.h), and the engine it used
 * is closed. When the new targets cannot be opened (a secret unreadable,
 * a spool directory that cannot be made) the worker keeps the old ones
 * and it is logged: queuing follows the new policy, delivery the old.
 */
static void reload_worker(struct http_server *srv, struct outbox_worker *w,
                          struct engine **engine)
{
	struct htd_error err;
	htd_error_clear(&err);
	struct engine *e = http_server_engine_clone(srv);
	if (!e) {
		log_event(LOG_ERROR, "worker_reload_failed", "error",
		          "no memory for the delivery worker's engine", NULL);
		return;
	}
	if (outbox_worker_reload(w, &e->policy, &err) != HTD_OK) {
		log_event(LOG_ERROR, "worker_reload_failed", "error",
		          err.message, "kept", "the previous targets", NULL);
		engine_close(e);
		return;
	}
	engine_close(*engine);
	*engine = e;
	log_event(LOG_INFO, "worker_reloaded", "policy", e->policy.id,
	          "version", e->policy.version, NULL);
}

static int serve_args(struct cli *cli, int argc, char **argv, const int *lines,
                      int from_file, const char *file)
{
	static const struct option opts[] = {
		{ "listen", required_argument, NULL, OPT_LISTEN },
		{ "threads", required_argument, NULL, OPT_THREADS },
		{ "body-limit", required_argument, NULL, OPT_BODY_LIMIT },
		{ "timeout", required_argument, NULL, OPT_TIMEOUT },
		{ "max-connections", required_argument, NULL, OPT_MAX_CONN },
		{ "per-ip", required_argument, NULL, OPT_PER_IP },
		{ "tls-cert", required_argument, NULL, OPT_TLS_CERT },
		{ "tls-key", required_argument, NULL, OPT_TLS_KEY },
		{ "drain", required_argument, NULL, OPT_DRAIN },
		{ "session-idle", required_argument, NULL, OPT_SESSION_IDLE },
		{ "config", required_argument, NULL, OPT_CONFIG },
		CLI_ENGINE_OPTIONS,
		{ 0, 0, 0, 0 },
	};
	struct http_server_options so = {
		.listen = HTTP_LISTEN_DEFAULT,
		.per_ip = HTTP_PER_IP_DEFAULT,
	};
	struct cli_engine ce;
	const char *cert_file = NULL, *key_file = NULL;
	char *cert = NULL, *key = NULL;
	struct engine *engine = NULL;
	struct engine *worker_engine = NULL;
	struct engine *outbox_engine = NULL; /* the delivery worker's */
	struct outbox_worker *worker = NULL;
	struct related_worker *related = NULL;
	bool notify_ready = false;
	struct http_server *srv = NULL;
	int64_t v, drain_s = 10;
	int code, c;

	/* A server logs each request unless told otherwise. */
	const char *env_log = getenv("HTDISPATCH_LOG");
	if (!env_log || !env_log[0])
		log_set_level(LOG_INFO);
	cli_engine_init(&ce);
	while ((c = cli_getopt(cli, argc, argv, "", opts, &code)) != -1) {
		if (c == -2)
			return code;
		int r = cli_engine_option(cli, &ce, c, optarg);
		if (r == 2)
			return from_where(CLI_EXIT_USAGE, optind - 1, lines,
			                  from_file, file);
		if (r == 0)
			continue;
		switch (c) {
		case OPT_LISTEN: so.listen = optarg; break;
		case OPT_THREADS:
			if (!parse_count(optarg, 1, HTTP_THREADS_MAX, &v))
				return BAD("--threads takes 1 to %d",
				           HTTP_THREADS_MAX);
			so.threads = (unsigned)v;
			break;
		case OPT_BODY_LIMIT:
			if (!parse_count(optarg, 1024,
			                 (int64_t)HTTP_BODY_LIMIT_MAX, &v))
				return BAD(
				    "--body-limit takes 1024 to %zu bytes",
				    HTTP_BODY_LIMIT_MAX);
			so.body_limit = (size_t)v;
			break;
		case OPT_TIMEOUT:
			if (!parse_count(optarg, 1, 3600, &v))
				return BAD("--timeout takes 1 to 3600 seconds");
			so.timeout_s = (unsigned)v;
			break;
		case OPT_MAX_CONN:
			if (!parse_count(optarg, 1, 100000, &v))
				return BAD(
				    "--max-connections takes 1 to 100000");
			so.max_connections = (unsigned)v;
			break;
		case OPT_PER_IP:
			if (!parse_count(optarg, 0, 100000, &v))
				return BAD("--per-ip takes 0 (no limit) to "
				           "100000");
			so.per_ip = (unsigned)v;
			break;
		case OPT_TLS_CERT: cert_file = optarg; break;
		case OPT_TLS_KEY: key_file = optarg; break;
		case OPT_CONFIG: break; /* read before the command line */
		case OPT_SESSION_IDLE:
			if (!parse_count(optarg, 1, SESSION_IDLE_MS / 1000, &v))
				return BAD(
				    "--session-idle takes 1 to %d seconds",
				    SESSION_IDLE_MS / 1000);
			so.session_idle_ms = v * 1000;
			break;
		case OPT_DRAIN:
			if (!parse_count(optarg, 0, 3600, &drain_s))
				return BAD("--drain takes 0 to 3600 seconds");
			break;
		default: return BAD("bad option");
		}
	}
	if (optind < argc)
		return cli_usage_error(cli, "unexpected argument '%s'",
		                       argv[optind]);
	if (!cert_file != !key_file)
		return cli_usage_error(cli, "TLS needs both --tls-cert FILE "
		                            "and --tls-key FILE");
	if (cert_file && ((code = read_pem(cli, cert_file, &cert)) >= 0 ||
	                  (code = read_pem(cli, key_file, &key)) >= 0))
		goto out;

	code = cli_open_engine(cli, &ce, &engine);
	if (code != CLI_EXIT_OK)
		goto out;

	/* Every thread the server starts inherits this mask: the signals
	 * are taken here, by sigwait(), and nowhere else. */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	so.db_path = cli->db_path;
	so.busy_timeout_ms = cli->busy_timeout_ms;
	so.tls_cert_pem = cert;
	so.tls_key_pem = key;
	so.engine = ce.opts;
	struct htd_error err;
	htd_error_clear(&err);
	/* libcurl is initialised once, before any thread may send. */
	if (notify_global_init(&err) != HTD_OK) {
		code = cli_fail(cli, &err);
		goto out;
	}
	notify_ready = true;
	/* The delivery worker reads the policy the server starts with, and
	 * the policy of each successful reload (its own clone). */
	worker_engine = engine_clone(engine);
	outbox_engine = engine_clone(engine);
	if (!worker_engine || !outbox_engine) {
		htd_error_set(&err, HTD_ERR_INTERNAL,
		              "no memory for the delivery worker");
		code = cli_fail(cli, &err);
		goto out;
	}
	enum htd_err rc = http_server_start(&so, engine, &srv, &err);
	engine = NULL; /* taken */
	if (cert)
		memset(cert, 0, strlen(cert));
	if (key)
		memset(key, 0, strlen(key));
	if (rc != HTD_OK) {
		code = cli_fail(cli, &err);
		goto out;
	}
	struct outbox_worker_options wo = {
		.db_path = cli->db_path,
		.busy_timeout_ms = cli->busy_timeout_ms,
		.engine = outbox_engine,
	};
	rc = outbox_worker_start(&wo, &worker, &err);
	if (rc != HTD_OK) {
		/* A spool directory that cannot be made, a secret that
		 * cannot be read: nothing would be delivered; refuse. */
		http_server_stop(srv, 0);
		srv = NULL;
		code = cli_fail(cli, &err);
		goto out;
	}
	rc = related_worker_start(cli->db_path, cli->busy_timeout_ms,
	                          worker_engine, &related, &err);
	if (rc != HTD_OK) {
		http_server_stop(srv, 0);
		srv = NULL;
		code = cli_fail(cli, &err);
		goto out;
	}
	printf("htdispatch serve: listening on %s\n", http_server_url(srv));
	fflush(stdout);
	log_event(LOG_INFO, "listening", "url", http_server_url(srv), NULL);

	for (;;) {
		int sig = 0;
		if (sigwait(&set, &sig) != 0)
			continue;
		if (sig == SIGHUP) {
			log_event(LOG_INFO, "reload_requested", NULL);
			htd_error_clear(&err);
			/* logs either way; a failed reload keeps the old
			 * policy, here and in the worker */
			if (http_server_reload(srv, &err) == HTD_OK)
				reload_worker(srv, worker, &outbox_engine);
			continue;
		}
		log_event(LOG_INFO, "stopping", "signal",
		          sig == SIGINT ? "SIGINT" : "SIGTERM", NULL);
		break;
	}
	http_server_stop(srv, (int)drain_s * 1000);
	srv = NULL;
	/* After the server: what it queued while draining is attempted
	 * now or, pending, after the restart. */
	related_worker_stop(related);
	related = NULL;
	outbox_worker_stop(worker);
	worker = NULL;
	log_event(LOG_INFO, "stopped", NULL);
	code = CLI_EXIT_OK;
out:
	related_worker_stop(related);
	outbox_worker_stop(worker);
	engine_close(worker_engine);
	engine_close(outbox_engine);
	if (notify_ready)
		notify_global_cleanup();
	engine_close(engine);
	free(cert);
	free(key);
	return code;
}
