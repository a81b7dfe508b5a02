/*
 * server.h - the HTTP JSON API (`htdispatch serve`): a libmicrohttpd
 * daemon with a pool of worker threads, each with its own database handle
 * and its own decision engine, routing requests to the use cases of
 * service/ (docs/openapi.yaml describes the routes).
 *
 * Life cycle: http_server_start() -> (http_server_reload() on SIGHUP)* ->
 * http_server_stop(). One server per process. Signals are the caller's:
 * block them in every thread before starting (the server's threads inherit
 * the mask) and wait for them in the main thread.
 */
#ifndef HTD_HTTP_SERVER_H
#define HTD_HTTP_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include "service/engine.h"
#include "util/error.h"

#define HTTP_LISTEN_DEFAULT "127.0.0.1:8080"
#define HTTP_THREADS_DEFAULT 4
#define HTTP_THREADS_MAX 256
#define HTTP_BODY_LIMIT_DEFAULT ((size_t)1024 * 1024)
#define HTTP_BODY_LIMIT_MAX ((size_t)64 * 1024 * 1024)
#define HTTP_TIMEOUT_DEFAULT 30 /* seconds without traffic: slow-loris */
#define HTTP_CONNECTIONS_DEFAULT 1024
#define HTTP_PER_IP_DEFAULT 64 /* connections per client address */

struct http_server_options {
	const char *listen;       /* "HOST:PORT", "[::1]:PORT"; port 0: any */
	const char *db_path;      /* the database (must exist: `init` first) */
	int busy_timeout_ms;      /* 0: STORE_BUSY_TIMEOUT_DEFAULT */
	unsigned threads;         /* worker threads; 0: HTTP_THREADS_DEFAULT */
	size_t body_limit;        /* largest request body; 0: default */
	unsigned timeout_s;       /* idle connection timeout; 0: default */
	unsigned max_connections; /* 0: HTTP_CONNECTIONS_DEFAULT */
	unsigned per_ip;          /* connections per client address; 0: no limit
	                           * (the command line defaults to
	                           * HTTP_PER_IP_DEFAULT) */
	/* TLS: PEM text of the certificate chain and the private key (both
	 * or neither); borrowed during http_server_start() only. */
	const char *tls_cert_pem;
	const char *tls_key_pem;
	/* Idle limit of sessions, ms; 0: SESSION_IDLE_MS (30 minutes). */
	int64_t session_idle_ms;
	/* Where the protocol, policy and lexicons are: the server opens one
	 * engine from these (its workers share it), and a reload reads them
	 * again.
	 * Strings are copied. on_error/ctx are ignored. */
	struct engine_options engine;
};

struct http_server; /* opaque */

/*
 * Starts listening and serving. `engine` (taken, even on error) is an
 * engine already opened from opts->engine, so that a server never starts
 * on files `check` rejects; the first worker to need one uses it. Errors:
 * HTD_ERR_USAGE (a bad --listen, TLS without support in libmicrohttpd,
 * half of a TLS pair), HTD_ERR_IO (cannot listen: the address is in use,
 * no permission), and the store's errors when the database cannot be
 * opened. On success *out is owned (http_server_stop()).
 */
enum htd_err http_server_start(const struct http_server_options *opts,
                               struct engine *engine, struct http_server **out,
                               struct htd_error *err);

/* Returns the URL the server listens on ("http://127.0.0.1:40321"), with
 * the real port when port 0 was asked for; borrowed. */
const char *http_server_url(const struct http_server *s);

/*
 * Reloads the protocol, policy and lexicons: opens a new engine from the
 * same files first; only when that succeeds do the workers move to it
 * (each on its next request), and the running set is kept otherwise.
 * Every problem found is logged (event=reload_error, file, line, column)
 * and the first is returned in `err`.
 */
enum htd_err http_server_reload(struct http_server *s, struct htd_error *err);

/*
 * Returns an engine for another thread over the server's newest protocol,
 * policy and lexicons (the last successful load or reload): the delivery
 * worker follows a reload with it. NULL when none is loaded or scratch
 * space cannot be made. Owned: engine_close().
 */
struct engine *http_server_engine_clone(struct http_server *s);

/*
 * Stops: no new connections, live event streams end, requests in flight
 * are answered (waiting at most `drain_ms`), then every thread is joined
 * and everything freed. Accepts NULL.
 */
void http_server_stop(struct http_server *s, int drain_ms);

#endif
