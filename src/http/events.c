/*
 * events.c - live call events as server-sent events (GET /api/v1/events).
 *
 * One poller thread reads the store's feed of new events every
 * EVENTS_POLL_MS and fans each one out to every stream's buffer. A stream
 * never holds a worker thread: its content reader sends what its buffer
 * holds and, when the buffer is empty, suspends the connection until the
 * poller has more (libmicrohttpd's suspend/resume). Buffers are capped: a
 * client that reads slowly falls behind and is fed from the store, in
 * order, as its buffer drains; one that stops reading is closed by the
 * connection timeout and resumes with Last-Event-ID.
 *
 * A stream lives only as long as the session it was opened with: every
 * EVENTS_RECHECK_MS the poller checks each stream's session again (without
 * counting the stream as activity) and ends the stream, with a last
 * "session_ended" event, after a logout, the idle limit or a lock.
 *
 * Locks: the registry lock, then a client's lock, then (inside MHD)
 * MHD's own. MHD's free callback takes none: it only marks the client
 * gone, and the poller frees it.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "formats/event_json.h"
#include "http/internal.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/str.h"

#define EVENTS_POLL_MS 200
#define EVENTS_KEEPALIVE_MS 15000
#define EVENTS_RECHECK_MS 1000
#define EVENTS_BATCH 512               /* new events read per query */
#define EVENTS_BACKLOG 256             /* a lagging client's events per query */
#define EVENTS_BUFFER_MAX (256 * 1024) /* bytes queued per client */
#define EVENTS_BLOCK 16384             /* what MHD asks for at most */

struct client {
	pthread_mutex_t lock;
	struct MHD_Connection *conn;
	char *data; /* queued bytes: [head, head + len) */
	size_t head, len, cap;
	int64_t cursor;   /* id of the last event queued */
	bool suspended;   /* waiting for the poller to resume it */
	bool closed;      /* send what is queued, then end */
	atomic_bool gone; /* MHD is done with it: the poller frees it */
	char token[SESSION_TOKEN_TEXT]; /* of the session it was opened with */
	struct client *next;
};

struct http_events {
	struct http_server *server;
	pthread_t thread;
	bool started;
	pthread_mutex_t lock; /* clients, stop, closed */
	pthread_cond_t wake;
	struct client *clients;
	bool stop;
	bool closed; /* no new streams */
};

/* One event as the stream carries it. */
struct item {
	int64_t id;
	char *text;
	size_t len;
};

struct batch {
	struct item *items;
	size_t n, cap;
};

/* ---- a client's buffer ------------------------------------------------- */

static bool client_room(const struct client *c, size_t n)
{
	return c->len + n <= EVENTS_BUFFER_MAX;
}

static void client_push(struct client *c, const char *s, size_t n)
{
	if (c->head + c->len + n > c->cap) {
		if (c->len)
			memmove(c->data, c->data + c->head, c->len);
		c->head = 0;
		if (c->len + n > c->cap) {
			size_t cap = c->cap ? c->cap : 4096;
			while (cap < c->len + n)
				cap *= 2;
			c->data = xrealloc(c->data, cap);
			c->cap = cap;
		}
	}
	memcpy(c->data + c->head + c->len, s, n);
	c->len += n;
}

/* Wakes a suspended stream after its buffer got bytes or was closed. */
static void client_wake(struct client *c)
{
	if (c->suspended) {
		c->suspended = false;
		MHD_resume_connection(c->conn);
	}
}

static void client_free(struct client *c)
{
	pthread_mutex_destroy(&c->lock);
	free(c->data);
	free(c);
}

/* MHD's content reader: what is queued, else wait (suspended). */
static ssize_t client_read(void *cls, uint64_t pos, char *out, size_t max)
{
	struct client *c = cls;
	(void)pos;
	pthread_mutex_lock(&c->lock);
	if (c->len > 0) {
		size_t n = c->len < max ? c->len : max;
		memcpy(out, c->data + c->head, n);
		c->head += n;
		c->len -= n;
		if (c->len == 0)
			c->head = 0;
		pthread_mutex_unlock(&c->lock);
		return (ssize_t)n;
	}
	if (c->closed) {
		pthread_mutex_unlock(&c->lock);
		return MHD_CONTENT_READER_END_OF_STREAM;
	}
	c->suspended = true;
	MHD_suspend_connection(c->conn);
	pthread_mutex_unlock(&c->lock);
	return 0;
}

static void client_done(void *cls)
{
	struct client *c = cls;
	atomic_store(&c->gone, true);
}

/* ---- the stream -------------------------------------------------------- */

void http_events_stream(struct http_request *r, int64_t after)
{
	struct http_events *ev = r->server->events;
	struct htd_error err;
	htd_error_clear(&err);
	if (after < 0 && calls_events_last(&r->svc, &after, &err) != HTD_OK) {
		http_error(r, &err);
		return;
	}
	struct client *c = xcalloc(1, sizeof(*c));
	pthread_mutex_init(&c->lock, NULL);
	c->conn = r->conn;
	c->cursor = after;
	str_copy(c->token, sizeof(c->token), r->token);
	/* Reconnect after 3 s; the comment makes the headers go out now. */
	static const char hello[] = "retry: 3000\n: connected\n\n";
	client_push(c, hello, sizeof(hello) - 1);
	struct MHD_Response *resp = MHD_create_response_from_callback(
	    MHD_SIZE_UNKNOWN, EVENTS_BLOCK, client_read, c, client_done);
	if (!resp) {
		client_free(c);
		htd_error_set(&err, HTD_ERR_INTERNAL, "cannot make a stream");
		http_error(r, &err);
		return;
	}
	pthread_mutex_lock(&ev->lock);
	if (ev->closed) {
		pthread_mutex_unlock(&ev->lock);
		MHD_destroy_response(resp); /* client_done marks it gone */
		client_free(c);
		htd_error_set(&err, HTD_ERR_BUSY, "the server is stopping");
		http_error(r, &err);
		return;
	}
	c->next = ev->clients;
	ev->clients = c;
	pthread_mutex_unlock(&ev->lock);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
	                        "text/event-stream; charset=utf-8");
	MHD_add_response_header(resp, "X-Accel-Buffering", "no");
	r->stream = resp;
	r->status = 200;
}

/* ---- the poller -------------------------------------------------------- */

static char *event_text(const struct store_event *e, size_t *len)
{
	json_t *data = json_pack("{s:s,s:I,s:s,s:o}", "call", e->call_ref,
	                         "seq", (json_int_t)e->seq, "type", e->type,
	                         "at", time_json(e->at_ms));
	char *d = json_dumps(data, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(data);
	if (!d)
		mem_oom(0);
	struct buf b;
	buf_init(&b, 0);
	buf_printf(&b, "id: %lld\nevent: %s\ndata: %s\n\n", (long long)e->id,
	           e->type, d);
	free(d);
	*len = b.len;
	return buf_steal(&b);
}

static int batch_add(void *ctx, const struct store_event *e)
{
	struct batch *b = ctx;
	if (b->n == b->cap) {
		b->cap = b->cap ? b->cap * 2 : 64;
		b->items = xrealloc(b->items, b->cap * sizeof(*b->items));
	}
	b->items[b->n].id = e->id;
	b->items[b->n].text = event_text(e, &b->items[b->n].len);
	b->n++;
	return 0;
}

static void batch_free(struct batch *b)
{
	for (size_t i = 0; i < b->n; i++)
		free(b->items[i].text);
	free(b->items);
	memset(b, 0, sizeof(*b));
}

/* Feeds a lagging client from the store, while its buffer has room. */
static int backlog_add(void *ctx, const struct store_event *e)
{
	struct client *c = ctx;
	size_t len;
	char *t = event_text(e, &len);
	bool room = client_room(c, len);
	if (room) {
		client_push(c, t, len);
		c->cursor = e->id;
	}
	free(t);
	return room ? 0 : 1;
}

static void feed(struct client *c, const struct batch *b, int64_t before,
                 struct service *svc, bool keepalive)
{
	struct htd_error err;
	size_t was = c->len;
	if (c->cursor < before) {
		htd_error_clear(&err);
		if (calls_events_after(svc, c->cursor, EVENTS_BACKLOG,
		                       backlog_add, c, &err) != HTD_OK)
			log_event(LOG_WARN, "events_backlog_failed", "error",
			          err.message, NULL);
	}
	if (c->cursor >= before) {
		for (size_t i = 0; i < b->n; i++) {
			const struct item *it = &b->items[i];
			if (it->id <= c->cursor)
				continue;
			if (!client_room(c, it->len))
				break; /* behind: fed from the store later */
			client_push(c, it->text, it->len);
			c->cursor = it->id;
		}
	}
	if (keepalive && c->len == 0) {
		static const char ping[] = ": keep-alive\n\n";
		client_push(c, ping, sizeof(ping) - 1);
	}
	if (c->len > was)
		client_wake(c);
}

/* Ends the stream, after what it holds and a last event saying why, when
 * its session no longer stands. A store error leaves it be (the next
 * check tries again). */
static void recheck_session(struct client *c, struct service *svc)
{
	struct htd_error err;
	htd_error_clear(&err);
	if (sessions_recheck(svc, c->token, &err) != HTD_ERR_UNAUTHORIZED)
		return;
	static const char bye[] = "event: session_ended\n"
	                          "data: {\"reason\": \"the session ended; "
	                          "log in again\"}\n\n";
	client_push(c, bye, sizeof(bye) - 1);
	c->closed = true;
	client_wake(c);
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void *poller(void *arg)
{
	struct http_events *ev = arg;
	struct http_server *s = ev->server;
	struct store *store = NULL;
	struct service svc = { 0 };
	int64_t last = -1;
	int64_t keepalive_at = now_ms() + EVENTS_KEEPALIVE_MS;
	int64_t recheck_at = now_ms() + EVENTS_RECHECK_MS;
	struct htd_error err;

	svc.clock = clock_system();
	svc.session_idle_ms = s->session_idle_ms;
	pthread_mutex_lock(&ev->lock);
	while (!ev->stop) {
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += (long)EVENTS_POLL_MS * 1000000;
		if (until.tv_nsec >= 1000000000) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&ev->wake, &ev->lock, &until);
		if (ev->stop)
			break;
		pthread_mutex_unlock(&ev->lock);

		struct batch b = { 0 };
		htd_error_clear(&err);
		if (!store) {
			struct store_options so = {
				.path = s->db_path,
				.busy_timeout_ms = s->busy_timeout_ms,
			};
			if (store_open(&so, &store, &err) == HTD_OK) {
				svc.store = store;
				if (calls_events_last(&svc, &last, &err) !=
				    HTD_OK)
					last = -1;
			}
		}
		int64_t before = last;
		if (store && last >= 0) {
			/* Everything new, in batches. */
			for (int q = 0; q < 16; q++) {
				size_t had = b.n;
				if (calls_events_after(
				        &svc, b.n ? b.items[b.n - 1].id : last,
				        EVENTS_BATCH, batch_add, &b,
				        &err) != HTD_OK) {
					log_event(LOG_WARN,
					          "events_poll_failed", "error",
					          err.message, NULL);
					break;
				}
				if (b.n - had < EVENTS_BATCH)
					break;
			}
			if (b.n)
				last = b.items[b.n - 1].id;
		}
		bool keepalive = now_ms() >= keepalive_at;
		if (keepalive)
			keepalive_at = now_ms() + EVENTS_KEEPALIVE_MS;
		bool recheck = store && now_ms() >= recheck_at;
		if (recheck)
			recheck_at = now_ms() + EVENTS_RECHECK_MS;

		pthread_mutex_lock(&ev->lock);
		struct client **pp = &ev->clients;
		while (*pp) {
			struct client *c = *pp;
			if (atomic_load(&c->gone)) {
				*pp = c->next;
				client_free(c);
				continue;
			}
			pthread_mutex_lock(&c->lock);
			if (!c->closed && store && before >= 0)
				feed(c, &b, before, &svc, keepalive);
			if (!c->closed && recheck)
				recheck_session(c, &svc);
			pthread_mutex_unlock(&c->lock);
			pp = &c->next;
		}
		batch_free(&b);
	}
	pthread_mutex_unlock(&ev->lock);
	store_close(store);
	return NULL;
}

struct http_events *http_events_start(struct http_server *s)
{
	struct http_events *ev = xcalloc(1, sizeof(*ev));
	ev->server = s;
	pthread_mutex_init(&ev->lock, NULL);
	pthread_cond_init(&ev->wake, NULL);
	if (pthread_create(&ev->thread, NULL, poller, ev) == 0)
		ev->started = true;
	else
		log_event(LOG_ERROR, "events_unavailable", "error",
		          "cannot start the event poller thread", NULL);
	return ev;
}

void http_events_close(struct http_events *ev)
{
	if (!ev)
		return;
	pthread_mutex_lock(&ev->lock);
	ev->closed = true;
	for (struct client *c = ev->clients; c; c = c->next) {
		pthread_mutex_lock(&c->lock);
		c->closed = true;
		if (!atomic_load(&c->gone))
			client_wake(c);
		pthread_mutex_unlock(&c->lock);
	}
	pthread_mutex_unlock(&ev->lock);
}

size_t http_events_suspended(struct http_events *ev)
{
	size_t n = 0;
	if (!ev)
		return 0;
	pthread_mutex_lock(&ev->lock);
	for (struct client *c = ev->clients; c; c = c->next) {
		pthread_mutex_lock(&c->lock);
		n += c->suspended && !atomic_load(&c->gone);
		pthread_mutex_unlock(&c->lock);
	}
	pthread_mutex_unlock(&ev->lock);
	return n;
}

size_t http_events_open(struct http_events *ev)
{
	size_t n = 0;
	if (!ev)
		return 0;
	pthread_mutex_lock(&ev->lock);
	for (struct client *c = ev->clients; c; c = c->next)
		n += !atomic_load(&c->gone);
	pthread_mutex_unlock(&ev->lock);
	return n;
}

void http_events_free(struct http_events *ev)
{
	if (!ev)
		return;
	pthread_mutex_lock(&ev->lock);
	ev->stop = true;
	pthread_cond_signal(&ev->wake);
	pthread_mutex_unlock(&ev->lock);
	if (ev->started)
		pthread_join(ev->thread, NULL);
	/* The daemon has stopped: MHD is done with every client. */
	struct client *c = ev->clients;
	while (c) {
		struct client *next = c->next;
		client_free(c);
		c = next;
	}
	pthread_cond_destroy(&ev->wake);
	pthread_mutex_destroy(&ev->lock);
	free(ev);
}
