/*
 * server.c - the daemon and the path of every request through it: read
 * the body (capped), find the route (router.c), check the session and the
 * role (core/access.h), run the handler (routes.c), answer, count and log.
 * Also the one place where errors become HTTP statuses, and the worker
 * threads' own database handles and engines.
 */
#include "http/server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "http/internal.h"
#include "service/related.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/str.h"

/* How long a stop waits, after the drain, for suspended connections. */
#define HTTP_STOP_SUSPENDED_MS 30000

int64_t http_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ---- worker threads ---------------------------------------------------- */

/* Each MHD worker thread finds its own handles here; made on first use. */
static _Thread_local struct http_worker *tls_worker;

static struct http_worker *worker_get(struct http_server *s)
{
	if (tls_worker)
		return tls_worker;
	struct http_worker *w = xcalloc(1, sizeof(*w));
	pthread_mutex_lock(&s->lock);
	w->next = s->workers;
	s->workers = w;
	pthread_mutex_unlock(&s->lock);
	tls_worker = w;
	return w;
}

static enum htd_err worker_store(struct http_server *s, struct http_worker *w,
                                 struct htd_error *err)
{
	if (w->store)
		return HTD_OK;
	struct store_options so = {
		.path = s->db_path,
		.busy_timeout_ms = s->busy_timeout_ms,
	};
	return store_open(&so, &w->store, err);
}

enum htd_err http_engine(struct http_request *r, struct engine **out,
                         struct htd_error *err)
{
	struct http_server *s = r->server;
	struct http_worker *w = r->worker;
	*out = NULL;
	if (w->engine && w->generation == atomic_load(&s->generation)) {
		*out = w->engine;
		return HTD_OK;
	}
	/* A clone of the newest engine: the protocol, policy and matcher are
	 * shared by every worker (one copy in memory), the scratch space is
	 * the worker's own. The lock keeps a reload from closing the origin
	 * while it is cloned. */
	pthread_mutex_lock(&s->lock);
	struct http_spare *sp = atomic_load(&s->spare);
	struct engine *e = sp ? engine_clone(sp->engine) : NULL;
	if (e) {
		engine_close(w->engine);
		w->engine = e;
		w->generation = sp->generation;
	}
	pthread_mutex_unlock(&s->lock);
	if (!w->engine)
		return htd_error_set(
		    err, HTD_ERR_BUSY,
		    "the protocol, policy and lexicons are not "
		    "loaded");
	*out = w->engine;
	return HTD_OK;
}

static void worker_free(struct http_worker *w)
{
	store_close(w->store);
	engine_close(w->engine);
	free(w);
}

/* ---- answering --------------------------------------------------------- */

void http_header(struct http_request *r, const char *name, const char *value)
{
	if (r->n_headers == HTTP_HEADERS_MAX)
		return;
	r->headers[r->n_headers].name = arena_strdup(&r->arena, name);
	r->headers[r->n_headers].value = arena_strdup(&r->arena, value);
	r->n_headers++;
}

void http_text(struct http_request *r, int status, const char *content_type,
               char *data, size_t len)
{
	free(r->out);
	r->status = status;
	r->content_type = content_type;
	r->out = data;
	r->out_len = len;
}

char *http_json_dump(json_t *body, size_t *len)
{
	char *text = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	if (!text)
		mem_oom(0);
	size_t n = strlen(text);
	/* One line per document, for people reading with curl. */
	text = xrealloc(text, n + 2);
	text[n++] = '\n';
	text[n] = '\0';
	*len = n;
	return text;
}

void http_json(struct http_request *r, int status, json_t *body)
{
	size_t len;
	char *text = http_json_dump(body, &len);
	http_text(r, status, HTTP_JSON_TYPE, text, len);
}

/* A JSON string of `s`, cut back to valid UTF-8 (error messages quote
 * what was sent, and may have been truncated inside a character). */
static json_t *text_json(const char *s)
{
	size_t len = strlen(s);
	while (len > 0 && !str_utf8_valid(s, len))
		len--;
	return json_stringn(s, len);
}

static void render_error(struct http_request *r, int status, const char *code,
                         const char *message, const char *field, int line,
                         int column)
{
	json_t *e = json_object();
	json_object_set_new(e, "code", json_string(code));
	json_object_set_new(e, "message", text_json(message));
	json_object_set_new(e, "field",
	                    field && field[0] ? text_json(field) : json_null());
	if (line > 0) {
		json_object_set_new(e, "line", json_integer(line));
		json_object_set_new(e, "column", json_integer(column));
	}
	json_t *body = json_object();
	json_object_set_new(body, "error", e);
	http_json(r, status, body);
}

/* The one mapping from our errors to HTTP statuses. */
static int status_of(const struct htd_error *e)
{
	switch (e->code) {
	case HTD_OK: return 200;
	case HTD_ERR_INVALID: return 422;
	/* A field too long is an invalid value; a body too long is 413. */
	case HTD_ERR_TOO_LARGE: return e->field[0] ? 422 : 413;
	case HTD_ERR_USAGE:
	case HTD_ERR_PARSE: return 400;
	case HTD_ERR_NOT_FOUND: return 404;
	case HTD_ERR_CONFLICT: return 409;
	case HTD_ERR_UNAUTHORIZED: return 401;
	case HTD_ERR_FORBIDDEN: return 403;
	case HTD_ERR_LOCKED: return 423;
	case HTD_ERR_BUSY: return 503;
	default: return 500;
	}
}

void http_error(struct http_request *r, const struct htd_error *e)
{
	int status = status_of(e);
	if (status == 503) {
		/* The database lock or an engine still loading: soon. */
		http_header(r, "Retry-After", "1");
		render_error(r, status, htd_err_name(e->code),
		             "the server is busy; try again", NULL, 0, 0);
		return;
	}
	if (status >= 500) {
		/* Paths, SQL and disk details stay in the log. */
		char msg[HTD_ERROR_MESSAGE_MAX + HTD_ERROR_FILE_MAX + 32];
		log_event(LOG_ERROR, "request_failed", "route",
		          r->found == ROUTER_FOUND
		              ? access_route_pattern(r->match.route)
		              : "",
		          "code", htd_err_name(e->code), "error",
		          htd_error_format(e, msg, sizeof(msg)), NULL);
		render_error(r, 500, "internal",
		             "the server could not do this; its log says why",
		             NULL, 0, 0);
		return;
	}
	if (status == 401)
		http_header(r, "WWW-Authenticate",
		            "Bearer realm=\"htdispatch\"");
	render_error(r, status, htd_err_name(e->code),
	             e->message[0] ? e->message : htd_err_message(e->code),
	             e->field, e->code == HTD_ERR_PARSE ? e->line : 0,
	             e->column);
}

void http_problem(struct http_request *r, int status, const char *code,
                  const char *field, const char *fmt, ...)
{
	char msg[HTD_ERROR_MESSAGE_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	render_error(r, status, code, msg, field, 0, 0);
}

/* ---- reading ----------------------------------------------------------- */

const char *http_request_header(struct http_request *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

const char *http_query(struct http_request *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND,
	                                   name);
}

struct query_check {
	const char *const *allowed;
	const char *unknown;
};

static enum MHD_Result check_query_key(void *cls, enum MHD_ValueKind kind,
                                       const char *key, const char *value)
{
	struct query_check *q = cls;
	(void)kind;
	(void)value;
	for (size_t i = 0; q->allowed && q->allowed[i]; i++)
		if (str_eq(q->allowed[i], key))
			return MHD_YES;
	q->unknown = key;
	return MHD_NO;
}

enum htd_err http_query_only(struct http_request *r, const char *const *allowed,
                             struct htd_error *err)
{
	struct query_check q = { allowed, NULL };
	MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND,
	                          check_query_key, &q);
	if (q.unknown)
		return htd_error_field(err, HTD_ERR_INVALID, q.unknown,
		                       "unknown query parameter \"%s\"",
		                       q.unknown);
	return HTD_OK;
}

enum htd_err http_body(struct http_request *r,
                       const struct http_member *members, size_t n,
                       json_t **out, struct htd_error *err)
{
	json_t *doc = NULL;
	if (out)
		*out = NULL;
	if (r->n_json == HTTP_JSON_MAX)
		return htd_error_set(err, HTD_ERR_INTERNAL,
		                     "the body was read too often");
	enum htd_err rc =
	    http_body_parse(r->body.data, r->body.len, members, n, &doc, err);
	if (rc != HTD_OK)
		return rc;
	/* Kept until the request ends: handlers borrow its strings. */
	r->json[r->n_json++] = doc;
	if (out)
		*out = doc;
	return HTD_OK;
}

/* ---- sessions ---------------------------------------------------------- */

void http_csrf(const char *token, char out[HTTP_CSRF_TEXT])
{
	static const char label[] = "htdispatch csrf v1\n";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	if (!ctx)
		mem_oom(0);
	EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
	EVP_DigestUpdate(ctx, label, sizeof(label) - 1);
	EVP_DigestUpdate(ctx, token, strlen(token));
	EVP_DigestFinal_ex(ctx, md, &md_len);
	EVP_MD_CTX_free(ctx);
	unsigned char b64[64];
	int n = EVP_EncodeBlock(b64, md, (int)md_len);
	size_t o = 0;
	for (int i = 0; i < n && o + 1 < HTTP_CSRF_TEXT; i++) {
		char c = (char)b64[i];
		if (c == '=')
			break;
		out[o++] = c == '+' ? '-' : c == '/' ? '_' : c;
	}
	out[o] = '\0';
}

void http_audit(struct http_request *r, const char *action, const char *object,
                enum audit_outcome outcome, const char *detail)
{
	struct audit_entry e = {
		.actor = r->actor[0] ? r->actor : "anonymous",
		.action = action,
		.object = object ? object : "",
		.address = r->address,
		.outcome = outcome,
		.detail = detail ? detail : "",
	};
	struct htd_error err;
	htd_error_clear(&err);
	if (audit_record(&r->svc, &e, &err) != HTD_OK) {
		char msg[HTD_ERROR_MESSAGE_MAX + HTD_ERROR_FILE_MAX + 32];
		log_event(LOG_ERROR, "audit_failed", "action", action, "error",
		          htd_error_format(&err, msg, sizeof(msg)), NULL);
	}
}

/* Audits a refused request when its route reads or changes a call, a
 * user or the configuration. */
static void audit_refusal(struct http_request *r, enum audit_outcome o,
                          const char *detail)
{
	char obj[CALL_ACTOR_MAX + 16];
	const char *action = http_route_action(r, obj, sizeof(obj));
	if (action)
		http_audit(r, action, obj, o, detail);
}

/* The session token: the Authorization header's Bearer token, else the
 * session cookie. */
static const char *find_token(struct http_request *r, bool *via_cookie)
{
	const char *h = http_request_header(r, MHD_HTTP_HEADER_AUTHORIZATION);
	*via_cookie = false;
	if (h) {
		if (strncasecmp(h, "Bearer ", 7) != 0)
			return NULL;
		h += 7;
		while (*h == ' ')
			h++;
		return h;
	}
	h = MHD_lookup_connection_value(r->conn, MHD_COOKIE_KIND,
	                                "htd_session");
	*via_cookie = h != NULL;
	return h;
}

static bool method_changes(const char *m)
{
	return str_eq(m, "POST") || str_eq(m, "PUT") || str_eq(m, "PATCH") ||
	       str_eq(m, "DELETE");
}

/* Checks the session, the CSRF header and the role. Returns true when
 * the request may go on; otherwise it has been answered (and audited). */
static bool authorise(struct http_request *r)
{
	struct htd_error err;
	htd_error_clear(&err);
	const char *token = find_token(r, &r->via_cookie);
	if (!token || !token[0] ||
	    !str_copy(r->token, sizeof(r->token), token)) {
		htd_error_set(&err, HTD_ERR_UNAUTHORIZED,
		              "log in first: POST /api/v1/sessions, then send "
		              "the token as 'Authorization: Bearer TOKEN'");
		audit_refusal(r, AUDIT_OUTCOME_UNAUTHORIZED, "no session");
		http_error(r, &err);
		return false;
	}
	if (sessions_check(&r->svc, r->token, &r->session, &err) != HTD_OK) {
		if (err.code == HTD_ERR_UNAUTHORIZED)
			audit_refusal(r, AUDIT_OUTCOME_UNAUTHORIZED,
			              "session unknown or ended");
		http_error(r, &err);
		return false;
	}
	r->authenticated = true;
	str_format(r->actor, sizeof(r->actor), "user:%s", r->session.user.name);
	r->svc.actor = r->actor; /* who reads, for the audit */
	if (r->via_cookie && method_changes(r->method)) {
		char want[HTTP_CSRF_TEXT];
		const char *got = http_request_header(r, "X-CSRF-Token");
		http_csrf(r->token, want);
		if (!got || strlen(got) != strlen(want) ||
		    CRYPTO_memcmp(got, want, strlen(want)) != 0) {
			htd_error_field(&err, HTD_ERR_FORBIDDEN, "X-CSRF-Token",
			                "a change made with the session cookie "
			                "needs the header X-CSRF-Token (the "
			                "\"csrf\" value of the login)");
			audit_refusal(r, AUDIT_OUTCOME_DENIED, "no CSRF token");
			http_error(r, &err);
			return false;
		}
	}
	if (!access_allowed(r->session.user.role, r->match.route)) {
		htd_error_set(&err, HTD_ERR_FORBIDDEN,
		              "the role %s may not use %s %s",
		              access_role_name(r->session.user.role),
		              access_route_method(r->match.route),
		              access_route_pattern(r->match.route));
		audit_refusal(r, AUDIT_OUTCOME_DENIED, "role");
		http_error(r, &err);
		return false;
	}
	return true;
}

/* ---- one request ------------------------------------------------------- */

static void client_address(struct MHD_Connection *c, char *out, size_t size)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	str_copy(out, size, "unknown");
	if (!ci || !ci->client_addr)
		return;
	const struct sockaddr *sa = ci->client_addr;
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr,
		          out, (socklen_t)size);
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6,
		          &((const struct sockaddr_in6 *)sa)->sin6_addr, out,
		          (socklen_t)size);
}

/* The group commit's report on one of a request's entries (called on the
 * writer's thread): the last one resumes the suspended request. */
static void audit_durable(void *ctx, enum htd_err rc)
{
	struct http_request *r = ctx;
	pthread_mutex_lock(&r->audit_lock);
	if (rc != HTD_OK)
		r->audit_failed = true;
	r->audit_durable++;
	bool resume =
	    r->audit_waiting && r->audit_durable == r->audit.submitted;
	pthread_mutex_unlock(&r->audit_lock);
	/* After the unlock nothing else touches r: it is suspended, and
	 * only this call resumes it. */
	if (resume)
		MHD_resume_connection(r->conn);
}

static struct http_request *request_new(struct http_server *s,
                                        struct MHD_Connection *c,
                                        const char *url, const char *method)
{
	struct http_request *r = xcalloc(1, sizeof(*r));
	r->server = s;
	r->conn = c;
	r->started_ns = http_now_ns();
	arena_init(&r->arena, 0);
	r->method = arena_strdup(&r->arena, method);
	r->path = arena_strdup(&r->arena, url);
	buf_init(&r->body, s->body_limit);
	client_address(c, r->address, sizeof(r->address));
	r->found = router_find(method, url, r->path_buf, sizeof(r->path_buf),
	                       &r->match);
	pthread_mutex_init(&r->audit_lock, NULL);
	r->audit.writer = s->audit;
	r->audit.done = audit_durable;
	r->audit.ctx = r;
	r->svc.audit_async = &r->audit;
	atomic_fetch_add(&s->in_flight, 1);
	return r;
}

static void request_free(struct http_request *r)
{
	for (size_t i = 0; i < r->n_json; i++)
		json_decref(r->json[i]);
	free(r->out);
	buf_free(&r->body);
	arena_free(&r->arena);
	pthread_mutex_destroy(&r->audit_lock);
	free(r);
}

/* Routes a complete request to its answer. */
static void handle(struct http_request *r)
{
	struct http_server *s = r->server;
	struct htd_error err;
	htd_error_clear(&err);
	if (r->found == ROUTER_NOT_FOUND) {
		http_problem(r, 404, "not_found", NULL, "no route %s %s",
		             r->method, r->path);
		return;
	}
	if (r->found == ROUTER_WRONG_METHOD) {
		http_header(r, "Allow", r->match.allow);
		http_problem(r, 405, "method_not_allowed", NULL,
		             "%s takes %s, not %s", r->path, r->match.allow,
		             r->method);
		return;
	}
	if (r->too_large) {
		htd_error_set(&err, HTD_ERR_TOO_LARGE,
		              "the request body is larger than %zu bytes",
		              s->body_limit);
		http_error(r, &err);
		return;
	}
	if (r->body.len > 0 && !http_content_type_json(http_request_header(
	                           r, MHD_HTTP_HEADER_CONTENT_TYPE))) {
		http_problem(r, 415, "unsupported_media_type", "Content-Type",
		             "send the body as application/json (UTF-8)");
		return;
	}
	r->worker = worker_get(s);
	if (r->match.route != ACCESS_ROUTE_HEALTHZ &&
	    worker_store(s, r->worker, &err) != HTD_OK) {
		if (r->match.route == ACCESS_ROUTE_READYZ) {
			htd_error_set(&err, HTD_ERR_BUSY, "no database");
			http_error(r, &err);
			return;
		}
		http_error(r, &err);
		return;
	}
	r->svc.store = r->worker->store;
	r->svc.clock = clock_system();
	r->svc.address = r->address;
	r->svc.session_idle_ms = s->session_idle_ms;
	/* NENA step 7: searched by the background worker (serve runs it). */
	r->svc.details_changed = related_worker_hook;
	if (!access_route_public(r->match.route) && !authorise(r))
		return;
	http_route(r);
}

/* Hands the answer to MHD. */
static enum MHD_Result respond(struct http_request *r)
{
	struct MHD_Response *resp = r->stream;
	if (!resp) {
		if (!r->status) {
			struct htd_error err;
			htd_error_set(&err, HTD_ERR_INTERNAL,
			              "the handler gave no answer");
			http_error(r, &err);
		}
		resp = MHD_create_response_from_buffer(
		    r->out_len, r->out ? r->out : (char *)"",
		    r->out ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
		if (!resp)
			return MHD_NO;
		r->out = NULL; /* MHD frees it */
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
		                        r->content_type);
	} else {
		/* A stream is not a request in flight: shutdown ends it. */
		r->streaming = true;
		atomic_fetch_sub(&r->server->in_flight, 1);
	}
	/* Victim data: never cached, never sniffed, never framed. */
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL,
	                        "no-store");
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "X-Frame-Options", "DENY");
	MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
	for (size_t i = 0; i < r->n_headers; i++)
		MHD_add_response_header(resp, r->headers[i].name,
		                        r->headers[i].value);
	if (atomic_load(&r->server->stopping))
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION,
		                        "close");
	enum MHD_Result rc =
	    MHD_queue_response(r->conn, (unsigned)r->status, resp);
	MHD_destroy_response(resp);
	r->stream = NULL;
	return rc;
}

/*
 * Answers once every audit entry of the request is durable: until then the
 * connection is suspended (its thread serves others) and audit_durable()
 * resumes it, which calls on_request() again. A read whose entry could not
 * be written is not answered with its data (CJIS: no unaudited access).
 */
static enum MHD_Result answer(struct http_request *r)
{
	if (r->audit.submitted) {
		pthread_mutex_lock(&r->audit_lock);
		if (r->audit_durable < r->audit.submitted) {
			r->audit_waiting = true;
			atomic_fetch_add(&r->server->audit_suspended, 1);
			MHD_suspend_connection(r->conn);
			pthread_mutex_unlock(&r->audit_lock);
			return MHD_YES;
		}
		pthread_mutex_unlock(&r->audit_lock);
	}
	if (r->audit_failed) {
		struct htd_error err;
		if (r->stream) {
			MHD_destroy_response(r->stream);
			r->stream = NULL;
		}
		free(r->out);
		r->out = NULL;
		r->out_len = 0;
		r->n_headers = 0;
		htd_error_set(&err, HTD_ERR_BUSY,
		              "the access audit could not be written, so "
		              "nothing is shown; try again");
		http_error(r, &err);
	}
	return respond(r);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
                                  const char *url, const char *method,
                                  const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls)
{
	struct http_server *s = cls;
	struct http_request *r = *con_cls;
	(void)version;
	if (!r) {
		r = request_new(s, conn, url, method);
		*con_cls = r;
		/* A declared length over the limit is refused before the
		 * body is read (the client gets no 100 Continue). */
		const char *cl = MHD_lookup_connection_value(
		    conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
		int64_t n;
		if (cl && str_to_i64(cl, 0, INT64_MAX, &n) &&
		    (uint64_t)n > s->body_limit) {
			r->too_large = true;
			handle(r);
			return answer(r);
		}
		return MHD_YES;
	}
	if (*upload_size) {
		/* Past the limit, a body of unknown length is read and
		 * dropped so the client can be told 413 (MHD cannot answer
		 * in the middle of a body); a client that goes on much
		 * longer is cut off. */
		if (r->too_large) {
			r->discarded += *upload_size;
			*upload_size = 0;
			return r->discarded > HTTP_DISCARD_MAX ? MHD_NO
			                                       : MHD_YES;
		}
		if (buf_append(&r->body, upload, *upload_size) != HTD_OK) {
			r->too_large = true;
			r->discarded = r->body.len + *upload_size;
			buf_free(&r->body);
		}
		*upload_size = 0;
		return MHD_YES;
	}
	if (r->audit_waiting) { /* resumed: the audit is durable */
		r->audit_waiting = false;
		atomic_fetch_sub(&s->audit_suspended, 1);
		return answer(r);
	}
	if (r->status || r->stream) /* answered early */
		return MHD_YES;
	handle(r);
	return answer(r);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
	struct http_server *s = cls;
	struct http_request *r = *con_cls;
	(void)conn;
	if (!r)
		return;
	*con_cls = NULL;
	int64_t ns = http_now_ns() - r->started_ns;
	bool streamed = r->streaming;
	unsigned route = r->found == ROUTER_FOUND ? (unsigned)r->match.route
	                                          : METRICS_UNMATCHED;
	if (!streamed)
		atomic_fetch_sub(&s->in_flight, 1);
	metrics_request(s->metrics, route, r->status, ns, !streamed);
	if (r->decided)
		metrics_decision(s->metrics, r->decide_ns);
	char status[16], ms[32];
	str_format(status, sizeof(status), "%d", r->status);
	str_format(ms, sizeof(ms), "%.3f", (double)ns / 1e6);
	log_event(LOG_INFO, "http_request", "method", r->method, "route",
	          route == METRICS_UNMATCHED
	              ? "-"
	              : access_route_pattern((enum access_route)route),
	          "status", status, "ms", ms, "user",
	          r->authenticated ? r->session.user.name : "", "address",
	          r->address, "end",
	          toe == MHD_REQUEST_TERMINATED_COMPLETED_OK      ? "ok"
	          : toe == MHD_REQUEST_TERMINATED_TIMEOUT_REACHED ? "timeout"
	                                                          : "aborted",
	          NULL);
	request_free(r);
}

static void on_daemon_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];
	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	size_t len = strlen(msg);
	while (len > 0 && (msg[len - 1] == '\n' || msg[len - 1] == '\r'))
		msg[--len] = '\0';
	/* Clients that go away or stall are routine (and an attacker could
	 * flood the log with them): debug. Anything else is worth a look. */
	static const char *const routine[] = {
		"closed by remote", "incomplete request", "forcibly closed",
		"timed out",        "reset by peer",
	};
	enum log_level level = LOG_WARN;
	for (size_t i = 0; i < sizeof(routine) / sizeof(routine[0]); i++)
		if (strstr(msg, routine[i]))
			level = LOG_DEBUG;
	log_event(level, "http_daemon", "message", msg, NULL);
}

/* ---- start, reload, stop ----------------------------------------------- */

/* Parses "HOST:PORT" or "[V6]:PORT" into `ss`. */
static enum htd_err parse_listen(const char *listen,
                                 struct sockaddr_storage *ss, bool *v6,
                                 char *host, size_t host_size, int *port,
                                 struct htd_error *err)
{
	char buf[256];
	const char *colon;
	if (!str_copy(buf, sizeof(buf), listen))
		goto bad;
	if (buf[0] == '[') {
		char *close = strchr(buf, ']');
		if (!close || close[1] != ':')
			goto bad;
		*close = '\0';
		str_copy(host, host_size, buf + 1);
		colon = close + 1;
	} else {
		char *c = strrchr(buf, ':');
		if (!c)
			goto bad;
		*c = '\0';
		str_copy(host, host_size, buf);
		colon = c;
	}
	int64_t p;
	if (!host[0] || !str_to_i64(colon + 1, 0, 65535, &p))
		goto bad;
	*port = (int)p;
	struct addrinfo hints = { .ai_flags = AI_PASSIVE | AI_NUMERICSERV,
		                  .ai_socktype = SOCK_STREAM };
	struct addrinfo *ai = NULL;
	int gai = getaddrinfo(host, colon + 1, &hints, &ai);
	if (gai != 0 || !ai)
		return htd_error_field(err, HTD_ERR_USAGE, "listen",
		                       "--listen %s: %s", listen,
		                       gai ? gai_strerror(gai) : "no address");
	memset(ss, 0, sizeof(*ss));
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	*v6 = ai->ai_family == AF_INET6;
	freeaddrinfo(ai);
	return HTD_OK;
bad:
	return htd_error_field(err, HTD_ERR_USAGE, "listen",
	                       "--listen takes HOST:PORT (127.0.0.1:8080, "
	                       "[::1]:8080), not '%s'",
	                       listen);
}

static void copy_engine_options(struct engine_options *dst,
                                const struct engine_options *src)
{
	memset(dst, 0, sizeof(*dst));
	dst->protocol_file = xstrdup(src->protocol_file);
	dst->policy_file = xstrdup(src->policy_file);
	dst->lexicon_dir = xstrdup(src->lexicon_dir);
	dst->cache_dir = xstrdup(src->cache_dir);
}

static void server_free(struct http_server *s)
{
	if (!s)
		return;
	struct http_worker *w = s->workers;
	while (w) {
		struct http_worker *next = w->next;
		worker_free(w);
		w = next;
	}
	struct http_spare *sp = atomic_load(&s->spare);
	if (sp) {
		engine_close(sp->engine);
		free(sp);
	}
	struct http_config *c = atomic_load(&s->config);
	while (c) {
		struct http_config *older = c->older;
		http_config_free(c);
		c = older;
	}
	audit_writer_stop(s->audit);
	metrics_free(s->metrics);
	http_cache_free(s->calls);
	free((char *)s->engine_opts.protocol_file);
	free((char *)s->engine_opts.policy_file);
	free((char *)s->engine_opts.lexicon_dir);
	free((char *)s->engine_opts.cache_dir);
	free(s->listen);
	free(s->db_path);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

enum htd_err http_server_start(const struct http_server_options *o,
                               struct engine *engine, struct http_server **out,
                               struct htd_error *err)
{
	struct http_server *s = xcalloc(1, sizeof(*s));
	struct sockaddr_storage ss;
	char host[128];
	int port = 0;
	bool v6 = false;
	enum htd_err rc;

	*out = NULL;
	pthread_mutex_init(&s->lock, NULL);
	s->listen = xstrdup(o->listen ? o->listen : HTTP_LISTEN_DEFAULT);
	s->db_path = xstrdup(o->db_path);
	s->busy_timeout_ms = o->busy_timeout_ms;
	s->threads = o->threads ? o->threads : HTTP_THREADS_DEFAULT;
	s->body_limit = o->body_limit ? o->body_limit : HTTP_BODY_LIMIT_DEFAULT;
	s->timeout_s = o->timeout_s ? o->timeout_s : HTTP_TIMEOUT_DEFAULT;
	s->session_idle_ms = o->session_idle_ms;
	copy_engine_options(&s->engine_opts, &o->engine);
	s->metrics = metrics_new();
	s->calls = http_cache_new();

	rc = parse_listen(s->listen, &ss, &v6, host, sizeof(host), &port, err);
	if (rc != HTD_OK)
		goto fail;
	if (!o->tls_cert_pem != !o->tls_key_pem) {
		rc = htd_error_set(err, HTD_ERR_USAGE,
		                   "TLS needs both --tls-cert and --tls-key");
		goto fail;
	}
	s->tls = o->tls_cert_pem != NULL;
	if (s->tls && MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
		rc = htd_error_set(err, HTD_ERR_USAGE,
		                   "this libmicrohttpd was built without TLS; "
		                   "serve plain HTTP behind a TLS proxy, or "
		                   "install one built with GnuTLS");
		goto fail;
	}
	/* The database must be there before anyone is told we listen. */
	struct store *probe = NULL;
	struct store_options so = { .path = s->db_path,
		                    .busy_timeout_ms = s->busy_timeout_ms };
	rc = store_open(&so, &probe, err);
	if (rc != HTD_OK)
		goto fail;
	rc = audit_writer_start(probe, &s->audit, err);
	if (rc != HTD_OK)
		goto fail;

	atomic_store(&s->generation, 1);
	struct http_spare *sp = xcalloc(1, sizeof(*sp));
	sp->engine = engine;
	sp->generation = 1;
	engine = NULL;
	atomic_store(&s->spare, sp);
	atomic_store(&s->config,
	             http_config_render(sp->engine, &s->engine_opts, 1));
	s->events = http_events_start(s);

	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD |
	                 MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
	if (MHD_is_feature_supported(MHD_FEATURE_EPOLL) == MHD_YES)
		flags |= MHD_USE_EPOLL;
	if (v6)
		flags |= MHD_USE_IPv6;
	if (s->tls)
		flags |= MHD_USE_TLS;
	struct MHD_OptionItem tls_opts[] = {
		{ MHD_OPTION_HTTPS_MEM_CERT, 0, (void *)o->tls_cert_pem },
		{ MHD_OPTION_HTTPS_MEM_KEY, 0, (void *)o->tls_key_pem },
		{ MHD_OPTION_END, 0, NULL },
	};
	struct MHD_OptionItem none[] = { { MHD_OPTION_END, 0, NULL } };
	s->daemon = MHD_start_daemon(
	    flags, (uint16_t)port, NULL, NULL, on_request, s,
	    MHD_OPTION_EXTERNAL_LOGGER, on_daemon_log, NULL,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
	    MHD_OPTION_THREAD_POOL_SIZE, s->threads,
	    MHD_OPTION_CONNECTION_TIMEOUT, s->timeout_s,
	    MHD_OPTION_CONNECTION_LIMIT,
	    o->max_connections ? o->max_connections : HTTP_CONNECTIONS_DEFAULT,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT, o->per_ip,
	    MHD_OPTION_NOTIFY_COMPLETED, on_completed, s, MHD_OPTION_ARRAY,
	    s->tls ? tls_opts : none, MHD_OPTION_END);
	if (!s->daemon) {
		rc = htd_error_set(err, HTD_ERR_IO,
		                   "cannot listen on %s (in use, or not an "
		                   "address of this machine)%s",
		                   s->listen,
		                   s->tls ? "; or the TLS certificate or key "
		                            "is not valid PEM"
		                          : "");
		goto fail;
	}
	const union MHD_DaemonInfo *di =
	    MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
	if (di && di->port)
		port = di->port;
	str_format(s->url, sizeof(s->url), "%s://%s%s%s:%d",
	           s->tls ? "https" : "http", v6 ? "[" : "", host,
	           v6 ? "]" : "", port);
	*out = s;
	return HTD_OK;
fail:
	if (s->events) {
		http_events_close(s->events);
		http_events_free(s->events);
	}
	engine_close(engine);
	server_free(s);
	return rc;
}

const char *http_server_url(const struct http_server *s)
{
	return s->url;
}

struct reload_log {
	size_t n;
};

static void log_reload_error(void *ctx, const struct htd_error *e)
{
	struct reload_log *rl = ctx;
	char line[16], column[16];
	rl->n++;
	str_format(line, sizeof(line), "%d", e->line);
	str_format(column, sizeof(column), "%d", e->column);
	log_event(LOG_ERROR, "reload_error", "file", e->file, "line", line,
	          "column", column, "error", e->message, NULL);
}

struct engine *http_server_engine_clone(struct http_server *s)
{
	pthread_mutex_lock(&s->lock);
	struct http_spare *sp = atomic_load(&s->spare);
	struct engine *e = sp ? engine_clone(sp->engine) : NULL;
	pthread_mutex_unlock(&s->lock);
	return e;
}

enum htd_err http_server_reload(struct http_server *s, struct htd_error *err)
{
	struct reload_log rl = { 0 };
	struct engine_options o = s->engine_opts;
	struct engine *e = NULL;
	o.on_error = log_reload_error;
	o.ctx = &rl;
	pthread_mutex_lock(&s->lock);
	enum htd_err rc = engine_open(&o, &e, err);
	if (rc != HTD_OK) {
		char msg[HTD_ERROR_MESSAGE_MAX + HTD_ERROR_FILE_MAX + 32];
		char gen[24];
		str_format(gen, sizeof(gen), "%lu",
		           atomic_load(&s->generation));
		log_event(LOG_ERROR, "reload_failed", "error",
		          htd_error_format(err, msg, sizeof(msg)), "kept", gen,
		          NULL);
		pthread_mutex_unlock(&s->lock);
		return rc;
	}
	unsigned long gen = atomic_load(&s->generation) + 1;
	struct http_config *c = http_config_render(e, &s->engine_opts, gen);
	c->older = atomic_load(&s->config);
	atomic_store(&s->config, c);
	struct http_spare *sp = xcalloc(1, sizeof(*sp));
	sp->engine = e;
	sp->generation = gen;
	/* Workers still using the old engine keep it alive through their
	 * clones; the last to move on frees it. */
	struct http_spare *old = atomic_exchange(&s->spare, sp);
	if (old) {
		engine_close(old->engine);
		free(old);
	}
	atomic_store(&s->generation, gen);
	char g[24], proto[128], pol[128];
	str_format(g, sizeof(g), "%lu", gen);
	str_format(proto, sizeof(proto), "%s %s", e->protocol.id,
	           e->protocol.version);
	str_format(pol, sizeof(pol), "%s %s", e->policy.id, e->policy.version);
	log_event(LOG_INFO, "reloaded", "generation", g, "protocol", proto,
	          "policy", pol, NULL);
	pthread_mutex_unlock(&s->lock);
	return HTD_OK;
}

void http_server_stop(struct http_server *s, int drain_ms)
{
	if (!s)
		return;
	atomic_store(&s->stopping, true);
	MHD_socket listen_fd = MHD_quiesce_daemon(s->daemon);
	http_events_close(s->events);
	int64_t deadline = http_now_ns() + (int64_t)drain_ms * 1000000;
	/* Requests in flight are answered; streams send what they hold and
	 * end cleanly (the client resumes elsewhere with Last-Event-ID). */
	while ((atomic_load(&s->in_flight) > 0 ||
	        http_events_open(s->events) > 0) &&
	       http_now_ns() < deadline) {
		struct timespec ts = { 0, 10 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	/* libmicrohttpd must not be stopped with a connection suspended (it
	 * aborts): past the deadline, keep waking the streams and let the
	 * audit's group commit finish the reads it holds, for a while more. */
	deadline = http_now_ns() + (int64_t)HTTP_STOP_SUSPENDED_MS * 1000000;
	while ((atomic_load(&s->audit_suspended) > 0 ||
	        http_events_suspended(s->events) > 0) &&
	       http_now_ns() < deadline) {
		http_events_close(s->events);
		struct timespec ts = { 0, 10 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	long suspended = atomic_load(&s->audit_suspended) +
	                 (long)http_events_suspended(s->events);
	if (suspended > 0) {
		char n[24];
		str_format(n, sizeof(n), "%ld", suspended);
		log_event(LOG_ERROR, "stop_with_suspended", "connections", n,
		          NULL);
	}
	long left = atomic_load(&s->in_flight);
	MHD_stop_daemon(s->daemon);
	if (listen_fd != MHD_INVALID_SOCKET)
		close(listen_fd);
	audit_writer_stop(s->audit);
	s->audit = NULL;
	http_events_free(s->events);
	if (left > 0) {
		char n[24];
		str_format(n, sizeof(n), "%ld", left);
		log_event(LOG_WARN, "drain_incomplete", "requests", n, NULL);
	}
	server_free(s);
}
