/*
 * api_load.c - an open-loop HTTP/1.1 load generator, a tool of the API
 * benchmark (bench/api.sh): it sends requests at a fixed rate over
 * keep-alive connections and times each one from the moment it was due,
 * not from when a free connection sent it (as wrk2 does), so a stalled
 * server shows in the percentiles instead of slowing the load down
 * ("coordinated omission"). Debian's wrk has no rate control.
 *
 * Usage: api_load --rate R --duration S [--warmup S] [--connections C]
 *            [--method M] [--header 'Name: value']... [--body TEXT]...
 *            http://HOST:PORT PATH...
 * Request k goes to PATH[k mod paths] with BODY[(k div paths) mod bodies]
 * (so each path sees the bodies in turn). Prints one JSON object.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "util/buf.h"
#include "util/mem.h"
#include "util/str.h"

#define ARGS_MAX 64
#define RESPONSE_MAX (4 * 1024 * 1024) /* larger responses are an error */
#define DRAIN_NS (5 * 1000000000LL)    /* wait for stragglers this long */

struct options {
	int64_t rate;        /* requests per second */
	int64_t duration_s;  /* measured seconds */
	int64_t warmup_s;    /* seconds sent but not measured, first */
	int64_t connections; /* keep-alive connections */
	const char *method;
	const char *headers[ARGS_MAX];
	size_t n_headers;
	const char *bodies[ARGS_MAX];
	size_t n_bodies;
	const char *paths[ARGS_MAX];
	size_t n_paths;
	char host[256];
	int port;
};

struct conn {
	int fd;
	bool busy;
	bool measured;  /* the request in flight counts */
	int64_t due_ns; /* when the request in flight was due */
	char *req;      /* owned; the request in flight */
	size_t req_len; /* its length */
	size_t sent;    /* bytes of it sent */
	char *in;       /* owned; response bytes read */
	size_t in_len, in_size;
};

struct stats {
	uint32_t *latency_us; /* owned; measured requests */
	size_t n, size;
	int64_t ok;         /* 2xx */
	int64_t status;     /* other statuses */
	int64_t errors;     /* connection errors, bad responses */
	int64_t sent;       /* requests sent (warm-up included) */
	int64_t late;       /* measured requests unfinished at the end */
	size_t backlog_max; /* requests due but waiting for a connection */
};

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void usage(void)
{
	fputs("usage: api_load --rate R --duration S [--warmup S] "
	      "[--connections C]\n"
	      "         [--method M] [--header 'Name: value']... "
	      "[--body TEXT]...\n"
	      "         http://HOST:PORT PATH...\n",
	      stderr);
	exit(2);
}

static int64_t number(const char *opt, const char *s, int64_t min, int64_t max)
{
	int64_t v;
	if (!s || !str_to_i64(s, min, max, &v)) {
		fprintf(stderr,
		        "api_load: %s needs a number from %lld to %lld\n", opt,
		        (long long)min, (long long)max);
		exit(2);
	}
	return v;
}

static void parse_target(const char *url, struct options *o)
{
	const char *p = url;
	if (strncmp(p, "http://", 7) != 0)
		usage();
	p += 7;
	const char *colon = strrchr(p, ':');
	if (!colon || (size_t)(colon - p) >= sizeof(o->host))
		usage();
	memcpy(o->host, p, (size_t)(colon - p));
	o->host[colon - p] = '\0';
	char port[16];
	if (!str_copy(port, sizeof(port), colon + 1))
		usage();
	port[strcspn(port, "/")] = '\0';
	o->port = (int)number("port", port, 1, 65535);
}

static void parse_args(int argc, char **argv, struct options *o)
{
	memset(o, 0, sizeof(*o));
	o->connections = 16;
	o->warmup_s = 1;
	o->method = "GET";
	bool target = false;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(a, "--rate") == 0)
			o->rate = number(a, v, 1, 1000000), i++;
		else if (strcmp(a, "--duration") == 0)
			o->duration_s = number(a, v, 1, 3600), i++;
		else if (strcmp(a, "--warmup") == 0)
			o->warmup_s = number(a, v, 0, 3600), i++;
		else if (strcmp(a, "--connections") == 0)
			o->connections = number(a, v, 1, 10000), i++;
		else if (strcmp(a, "--method") == 0 && v)
			o->method = v, i++;
		else if (strcmp(a, "--header") == 0 && v &&
		         o->n_headers < ARGS_MAX)
			o->headers[o->n_headers++] = v, i++;
		else if (strcmp(a, "--body") == 0 && v &&
		         o->n_bodies < ARGS_MAX)
			o->bodies[o->n_bodies++] = v, i++;
		else if (a[0] == '-')
			usage();
		else if (!target && strncmp(a, "http://", 7) == 0)
			parse_target(a, o), target = true;
		else if (a[0] == '/' && o->n_paths < ARGS_MAX)
			o->paths[o->n_paths++] = a;
		else
			usage();
	}
	if (!target || o->n_paths == 0 || o->rate == 0 || o->duration_s == 0)
		usage();
}

static int connect_to(const struct options *o)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
		                  .sin_port = htons((uint16_t)o->port) };
	if (inet_pton(AF_INET, o->host, &sa.sin_addr) != 1) {
		fprintf(stderr, "api_load: '%s' is not an IPv4 address\n",
		        o->host);
		exit(2);
	}
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		fprintf(stderr, "api_load: connect %s:%d: %s\n", o->host,
		        o->port, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	/* Blocking sends are fine: a request is far smaller than the socket
	 * buffer. Reads are non-blocking, driven by epoll. */
	struct timeval tv = { .tv_sec = 5 };
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	return fd;
}

static char *build_request(const struct options *o, int64_t k, size_t *len)
{
	const char *path = o->paths[(size_t)(k % (int64_t)o->n_paths)];
	const char *body = o->n_bodies
	                       ? o->bodies[(size_t)((k / (int64_t)o->n_paths) %
	                                            (int64_t)o->n_bodies)]
	                       : NULL;
	struct buf b;
	buf_init(&b, 0);
	buf_printf(&b, "%s %s HTTP/1.1\r\nHost: %s:%d\r\n", o->method, path,
	           o->host, o->port);
	for (size_t i = 0; i < o->n_headers; i++)
		buf_printf(&b, "%s\r\n", o->headers[i]);
	if (body)
		buf_printf(&b, "Content-Length: %zu\r\n\r\n%s", strlen(body),
		           body);
	else
		buf_printf(&b, "\r\n");
	*len = b.len;
	return buf_steal(&b);
}

/* Returns the length of a complete response at the start of `c->in`, 0 when
 * more bytes are needed, -1 when it cannot be parsed; *status gets the
 * status and *close whether the server closes the connection. */
static long response_length(const struct conn *c, int *status, bool *close_)
{
	const char *in = c->in;
	const char *end = memmem(in, c->in_len, "\r\n\r\n", 4);
	if (!end)
		return c->in_len > 65536 ? -1 : 0;
	size_t head = (size_t)(end - in) + 4;
	if (c->in_len < 12 || strncmp(in, "HTTP/1.", 7) != 0)
		return -1;
	*status = (in[9] - '0') * 100 + (in[10] - '0') * 10 + (in[11] - '0');
	*close_ = false;
	long length = -1;
	bool chunked = false;
	const char *line = memchr(in, '\n', head);
	while (line && line + 1 < in + head) {
		line++;
		const char *eol =
		    memchr(line, '\n', (size_t)(in + head - line));
		if (!eol)
			break;
		size_t n = (size_t)(eol - line);
		if (n > 15 && strncasecmp(line, "Content-Length:", 15) == 0)
			length = strtol(line + 15, NULL, 10);
		else if (n > 18 &&
		         strncasecmp(line, "Transfer-Encoding:", 18) == 0 &&
		         memmem(line, n, "chunked", 7))
			chunked = true;
		else if (n > 11 && strncasecmp(line, "Connection:", 11) == 0 &&
		         memmem(line, n, "close", 5))
			*close_ = true;
		line = eol;
	}
	if (chunked) {
		/* The last chunk: "0\r\n\r\n" (no trailers from our servers).
		 */
		const char *last =
		    memmem(in + head, c->in_len - head, "0\r\n\r\n", 5);
		if (!last)
			return 0;
		return (long)(last - in) + 5;
	}
	if (length < 0)
		length = 0;
	if (head + (size_t)length > RESPONSE_MAX)
		return -1;
	return c->in_len >= head + (size_t)length ? (long)(head + length) : 0;
}

static void record(struct stats *s, int64_t latency_ns)
{
	if (s->n == s->size) {
		s->size = s->size ? s->size * 2 : 65536;
		s->latency_us =
		    xrealloc(s->latency_us, s->size * sizeof(*s->latency_us));
	}
	int64_t us = latency_ns / 1000;
	s->latency_us[s->n++] = us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
}

static void conn_reset(struct conn *c, int epfd, const struct options *o)
{
	if (c->fd >= 0) {
		epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
		close(c->fd);
	}
	c->busy = false;
	c->in_len = 0;
	c->fd = connect_to(o);
	if (c->fd >= 0) {
		struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };
		epoll_ctl(epfd, EPOLL_CTL_ADD, c->fd, &ev);
	}
}

/* A request failed on `c`: count it and start a fresh connection. */
static void conn_fail(struct conn *c, int epfd, const struct options *o,
                      struct stats *s)
{
	if (c->busy && c->measured)
		s->errors++;
	conn_reset(c, epfd, o);
}

static void conn_send(struct conn *c, int64_t k, int64_t due, bool measured,
                      int epfd, const struct options *o, struct stats *s)
{
	free(c->req);
	c->req = build_request(o, k, &c->req_len);
	c->busy = true;
	c->measured = measured;
	c->due_ns = due;
	c->sent = 0;
	s->sent++;
	while (c->sent < c->req_len) {
		ssize_t n = send(c->fd, c->req + c->sent, c->req_len - c->sent,
		                 MSG_NOSIGNAL);
		if (n <= 0) {
			conn_fail(c, epfd, o, s);
			return;
		}
		c->sent += (size_t)n;
	}
}

/* Reads what `c` has; finishes its request when the response is whole. */
static void conn_read(struct conn *c, int epfd, const struct options *o,
                      struct stats *s)
{
	for (;;) {
		if (c->in_size - c->in_len < 16384) {
			c->in_size = c->in_size ? c->in_size * 2 : 65536;
			c->in = xrealloc(c->in, c->in_size);
		}
		ssize_t n = recv(c->fd, c->in + c->in_len,
		                 c->in_size - c->in_len, MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0) {
			conn_fail(c, epfd, o, s);
			return;
		}
		c->in_len += (size_t)n;
	}
	if (!c->busy)
		return;
	int status = 0;
	bool close_ = false;
	long len = response_length(c, &status, &close_);
	if (len == 0)
		return;
	if (len < 0) {
		conn_fail(c, epfd, o, s);
		return;
	}
	if (c->measured) {
		record(s, now_ns() - c->due_ns);
		if (status >= 200 && status < 300)
			s->ok++;
		else
			s->status++;
	}
	memmove(c->in, c->in + len, c->in_len - (size_t)len);
	c->in_len -= (size_t)len;
	c->busy = false;
	if (close_)
		conn_reset(c, epfd, o);
}

static int compare_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return (x > y) - (x < y);
}

static uint32_t percentile(const struct stats *s, double p)
{
	if (s->n == 0)
		return 0;
	size_t i = (size_t)(p / 100.0 * (double)(s->n - 1) + 0.5);
	return s->latency_us[i < s->n ? i : s->n - 1];
}

int main(int argc, char **argv)
{
	struct options o;
	struct stats s = { 0 };
	parse_args(argc, argv, &o);

	int epfd = epoll_create1(EPOLL_CLOEXEC);
	if (epfd < 0) {
		perror("api_load: epoll_create1");
		return 1;
	}
	struct conn *conns = xcalloc((size_t)o.connections, sizeof(*conns));
	for (int64_t i = 0; i < o.connections; i++) {
		conns[i].fd = -1;
		conn_reset(&conns[i], epfd, &o);
		if (conns[i].fd < 0)
			return 1;
	}

	/* Request k is due at start + k / rate. Due requests wait in a
	 * backlog (a count: they are due in order) for a free connection. */
	const int64_t total = o.rate * (o.warmup_s + o.duration_s);
	const int64_t measured_from = o.rate * o.warmup_s;
	const int64_t start = now_ns();
	int64_t next = 0;    /* the next request to fall due */
	int64_t backlog = 0; /* due, not sent: next - backlog is the first */
	int64_t deadline = -1;
	struct epoll_event ev[64];

	for (;;) {
		int64_t now = now_ns();
		while (next < total &&
		       start + next * 1000000000LL / o.rate <= now)
			next++, backlog++;
		if ((size_t)backlog > s.backlog_max)
			s.backlog_max = (size_t)backlog;
		for (int64_t i = 0; i < o.connections && backlog > 0; i++) {
			struct conn *c = &conns[i];
			if (c->busy || c->fd < 0)
				continue;
			int64_t k = next - backlog;
			conn_send(c, k, start + k * 1000000000LL / o.rate,
			          k >= measured_from, epfd, &o, &s);
			backlog--;
		}
		bool in_flight = false;
		for (int64_t i = 0; i < o.connections; i++)
			in_flight = in_flight || conns[i].busy;
		if (next == total && backlog == 0) {
			if (!in_flight)
				break;
			if (deadline < 0)
				deadline = now + DRAIN_NS;
			if (now > deadline)
				break;
		}
		/* Sleep until the next request is due (or a response comes). */
		int64_t wait_ns = 100000000; /* 100 ms */
		if (next < total)
			wait_ns = start + next * 1000000000LL / o.rate - now;
		if (wait_ns < 0)
			wait_ns = 0;
		struct timespec ts = { .tv_sec = wait_ns / 1000000000LL,
			               .tv_nsec = wait_ns % 1000000000LL };
		int n = epoll_pwait2(epfd, ev, 64, &ts, NULL);
		for (int i = 0; i < n; i++)
			conn_read(ev[i].data.ptr, epfd, &o, &s);
	}
	const int64_t end = now_ns();

	for (int64_t i = 0; i < o.connections; i++) {
		if (conns[i].busy && conns[i].measured)
			s.late++;
		if (conns[i].fd >= 0)
			close(conns[i].fd);
		free(conns[i].req);
		free(conns[i].in);
	}
	s.late += backlog;
	free(conns);
	close(epfd);

	qsort(s.latency_us, s.n, sizeof(*s.latency_us), compare_u32);
	double sum = 0;
	for (size_t i = 0; i < s.n; i++)
		sum += s.latency_us[i];
	double measured_s = (double)(end - start) / 1e9 - (double)o.warmup_s;
	printf("{\"rate\": %lld, \"duration_s\": %lld, \"warmup_s\": %lld, "
	       "\"connections\": %lld, \"sent\": %lld, \"measured\": %zu, "
	       "\"ok\": %lld, \"other_status\": %lld, \"errors\": %lld, "
	       "\"unfinished\": %lld, \"backlog_max\": %zu, "
	       "\"achieved_per_second\": %.1f, \"latency_us\": {\"p50\": %u, "
	       "\"p90\": %u, \"p99\": %u, \"p999\": %u, \"max\": %u, "
	       "\"mean\": %.1f}}\n",
	       (long long)o.rate, (long long)o.duration_s,
	       (long long)o.warmup_s, (long long)o.connections,
	       (long long)s.sent, s.n, (long long)s.ok, (long long)s.status,
	       (long long)s.errors, (long long)s.late, s.backlog_max,
	       measured_s > 0 ? (double)s.n / measured_s : 0.0,
	       percentile(&s, 50), percentile(&s, 90), percentile(&s, 99),
	       percentile(&s, 99.9), s.n ? s.latency_us[s.n - 1] : 0,
	       s.n ? sum / (double)s.n : 0.0);
	free(s.latency_us);
	return 0;
}
