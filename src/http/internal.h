/*
 * internal.h - what the files of src/http share: the server's state, one
 * request's state, and the few helpers a handler uses to read a request
 * and answer it. Handlers (routes.c) parse, call one use case of
 * service/, and render; they never write SQL and never decide.
 *
 * Ownership: a request's memory lives in its arena (freed when the
 * response is sent); response bodies handed to http_json()/http_text() are
 * taken.
 */
#ifndef HTD_HTTP_INTERNAL_H
#define HTD_HTTP_INTERNAL_H

#include <jansson.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/access.h"
#include "http/body.h"
#include "http/cache.h"
#include "http/metrics.h"
#include "http/router.h"
#include "http/server.h"
#include "service/audit.h"
#include "service/calls.h"
#include "service/users.h"
#include "util/arena.h"
#include "util/buf.h"

/* The protocol, policy and lexicon as the API shows them, rendered once
 * per load (every worker's engine of a generation reads the same files). */
struct http_config {
	unsigned long generation;
	char *protocol_json; /* owned; compact JSON */
	char *policy_json;
	char *lexicon_json;
	struct http_config *older; /* kept until the server stops */
};

/* What one worker thread owns: a struct store and a struct engine are
 * used by one thread at a time. */
struct http_worker {
	struct store *store;
	struct engine *engine;
	unsigned long generation; /* of `engine` */
	struct http_worker *next; /* in the server's list */
};

/* The newest engine, opened at start or by a reload: the origin that every
 * worker clones (engine_clone()) when it sees a new generation. */
struct http_spare {
	struct engine *engine;
	unsigned long generation;
};

struct http_events; /* events.c */

struct http_server {
	/* Options, with strings copied. */
	char *listen;
	char *db_path;
	int busy_timeout_ms;
	unsigned threads;
	size_t body_limit;
	unsigned timeout_s;
	int64_t session_idle_ms;
	bool tls;
	struct engine_options engine_opts;
	char url[128];

	struct MHD_Daemon *daemon;
	struct metrics *metrics;
	atomic_ulong generation;            /* of the newest engine */
	_Atomic(struct http_spare *) spare; /* may be NULL */
	_Atomic(struct http_config *) config;
	pthread_mutex_t lock; /* workers list, config history, reload */
	struct http_worker *workers;
	atomic_bool stopping;
	atomic_long in_flight;       /* requests started, not yet answered */
	atomic_long audit_suspended; /* requests waiting for their audit */
	struct http_events *events;
	/* Group commit of the entries of reads and refusals. */
	struct audit_writer *audit;
	/* The rendered JSON of calls recently read. */
	struct http_cache *calls;
};

#define HTTP_HEADERS_MAX 8
#define HTTP_JSON_MAX 2
/* Bytes of a body past the limit read (and dropped) to answer 413. */
#define HTTP_DISCARD_MAX ((size_t)16 * 1024 * 1024)

/* One request, from its first byte to its response. */
struct http_request {
	struct http_server *server;
	struct MHD_Connection *conn;
	struct arena arena;
	int64_t started_ns; /* monotonic */
	const char *method; /* MHD's; valid for the request */
	char *path;         /* arena */
	enum router_result found;
	struct router_match match;
	char path_buf[ROUTER_PATH_MAX];
	char address[INET6_ADDRSTRLEN];

	/* The body, capped at the server's limit. */
	struct buf body;
	bool too_large;
	size_t discarded;            /* bytes dropped past the limit */
	json_t *json[HTTP_JSON_MAX]; /* parsed bodies (http_body()); owned */
	size_t n_json;

	/* Who: set when the route needs a session and it checked. */
	bool authenticated;
	bool via_cookie;
	struct session session;
	char token[SESSION_TOKEN_TEXT];
	char actor[CALL_ACTOR_MAX]; /* "user:jsmith" */
	struct service svc;
	struct http_worker *worker;

	/* The answer. */
	int status;
	const char *content_type; /* static */
	char *out;                /* owned (malloc) */
	size_t out_len;
	struct MHD_Response *stream; /* a stream's response (events.c) */
	bool streaming;              /* the stream was queued */
	struct {
		const char *name;
		const char *value;
	} headers[HTTP_HEADERS_MAX];
	size_t n_headers;
	bool decided; /* a change that was decided: timed as a decision */
	int64_t decide_ns;
	/* The audit entries this request handed to the group commit: the
	 * answer goes out only when all are durable (`durable` ==
	 * audit.submitted); the connection is suspended meanwhile. */
	struct audit_async audit;
	pthread_mutex_t audit_lock;
	unsigned audit_durable;
	bool audit_failed;  /* one could not be written: data is withheld */
	bool audit_waiting; /* suspended until the last one is durable */
};

/* ---- answering ------------------------------------------------------- */

#define HTTP_JSON_TYPE "application/json; charset=utf-8"

/* Answers `status` with `body` (taken) as JSON. */
void http_json(struct http_request *r, int status, json_t *body);

/* The bytes http_json() sends for `body` (taken): compact JSON and a
 * newline. Returns owned text (free()), its length in *len. */
char *http_json_dump(json_t *body, size_t *len);

/* Answers `status` with `len` bytes of `data` (taken; malloc'd). */
void http_text(struct http_request *r, int status, const char *content_type,
               char *data, size_t len);

/* Adds a response header; both strings are copied. At most
 * HTTP_HEADERS_MAX; more are dropped. */
void http_header(struct http_request *r, const char *name, const char *value);

/*
 * Answers with the error `e`: the one place where an htd_err becomes an
 * HTTP status and the body {"error": {"code", "message", "field"}}.
 */
void http_error(struct http_request *r, const struct htd_error *e);

/* Answers with a problem of HTTP itself (404 no such route, 405, 415),
 * which has no htd_err: same body shape, `code` given. */
void http_problem(struct http_request *r, int status, const char *code,
                  const char *field, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* ---- reading --------------------------------------------------------- */

/* Parses the request's body with http_body_parse() (body.h); on success
 * *out (may be NULL) is the object, owned by the request, so the member
 * values stay valid until the answer is sent. */
enum htd_err http_body(struct http_request *r,
                       const struct http_member *members, size_t n,
                       json_t **out, struct htd_error *err);

/* Returns query parameter `name`, or NULL. */
const char *http_query(struct http_request *r, const char *name);

/* HTD_ERR_INVALID naming the first query parameter not in `allowed`
 * (NULL-terminated). */
enum htd_err http_query_only(struct http_request *r, const char *const *allowed,
                             struct htd_error *err);

/* Returns request header `name` (case-insensitive), or NULL. */
const char *http_request_header(struct http_request *r, const char *name);

/* The worker's engine, opened or moved to the newest generation on
 * demand. HTD_ERR_BUSY ("not ready") when none can be opened. */
enum htd_err http_engine(struct http_request *r, struct engine **out,
                         struct htd_error *err);

/* Writes an audit entry for this request (actor: the user, else
 * "anonymous"); a failure to write is logged, not answered. */
void http_audit(struct http_request *r, const char *action, const char *object,
                enum audit_outcome outcome, const char *detail);

/* The CSRF value of a session token: base64url of SHA-256 over a label
 * and the token; 43 characters and a NUL. */
#define HTTP_CSRF_TEXT 44
void http_csrf(const char *token, char out[HTTP_CSRF_TEXT]);

/* Nanoseconds on the monotonic clock. */
int64_t http_now_ns(void);

/* ---- routes.c -------------------------------------------------------- */

/* Answers a request whose route was found and whose caller may use it. */
void http_route(struct http_request *r);

/* The audit action and object of a request to `route` ("call.read",
 * "call:HT-2026-000001"); object written to `obj`. */
const char *http_route_action(const struct http_request *r, char *obj,
                              size_t size);

/* The API's view of the protocol, policy and lexicons loaded in `en`
 * (never secrets: no contact numbers, no radio texts). */
struct http_config *http_config_render(const struct engine *en,
                                       const struct engine_options *opts,
                                       unsigned long generation);
void http_config_free(struct http_config *c); /* one; accepts NULL */

/* ---- events.c -------------------------------------------------------- */

/* Starts the poller thread that feeds live event streams. */
struct http_events *http_events_start(struct http_server *s);

/* Answers GET /api/v1/events with a stream starting after event id
 * `after` (-1: from now). */
void http_events_stream(struct http_request *r, int64_t after);

/* Ends every stream (they finish sending what they hold); new ones are
 * refused. Call before stopping the daemon. */
void http_events_close(struct http_events *ev);

/* Returns the number of streams MHD still holds. */
size_t http_events_open(struct http_events *ev);

/* How many streams are suspended (waiting for events); a stop waits for
 * none to be, since libmicrohttpd cannot stop with one suspended. */
size_t http_events_suspended(struct http_events *ev);

/* Joins the poller and frees everything; after the daemon stopped. */
void http_events_free(struct http_events *ev);

#endif
