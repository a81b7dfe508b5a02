/*
 * notify.c - what delivering a notification costs: the outbox's worker
 * (service/outbox.h, as `serve` runs it: its own database connection,
 * polling every OUTBOX_POLL_MS_DEFAULT ms) sending signed webhooks to a
 * receiver on loopback, next to its anchor: the same number of POSTs of
 * the same bodies by a plain libcurl loop (one easy handle per POST, as
 * notify_send makes) to the same receiver, in the same run.
 *
 * Two measures:
 *  - throughput: N rows queued at once (committed before the clock
 *    starts), the worker started, the time until the receiver has all N;
 *  - latency: rows committed one at a time at 1, 10 and 100 per second
 *    (each in its own durable transaction, with its notice_queued event,
 *    as a decision queues them), from the moment the commit returned to
 *    the moment the receiver read the request; p50, p99, max.
 *
 * The receiver is a minimal HTTP/1.1 server in a thread of this process
 * (accept, read the head and the body, answer 200, close), so both sides
 * are timed by the same clock and the receiver costs the same for both.
 */
#include <arpa/inet.h>
#include <curl/curl.h>
#include <jansson.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "bench_util.h"
#include "core/protocol.h"
#include "formats/event_json.h"
#include "notify/transport.h"
#include "service/outbox.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/str.h"
#include "version.h"

#define BENCH_NAME "notify" /* the prefix of its messages */

#define KEY_ENV "HTD_BENCH_NOTIFY_KEY"
#define MAX_ROWS 20000
/* Calls the rows go round: a call holds a few notices, and the worker
 * reads a call's rows to know whether a notice is complete. */
#define CALLS 64

struct config {
	int64_t throughput_n;
	int64_t latency_s; /* seconds per rate */
	bool quick;
	const char *out;
	const char *dir;
};

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ---- the receiver ---------------------------------------------------- */

struct sink {
	int fd;
	int port;
	pthread_t thread;
	atomic_bool stop;
	/* Receipt time of row i (the key's number), 0 until received. */
	_Atomic int64_t *received_ns;
	size_t cap;
	atomic_size_t count;
};

/* The row number at the end of "...-<n>" in the Idempotency-Key. */
static long key_number(const char *head)
{
	const char *k = strcasestr(head, "\r\nIdempotency-Key:");
	if (!k)
		return -1;
	const char *end = strstr(k + 2, "\r\n");
	const char *dash = NULL;
	for (const char *p = k + 2; p < end; p++)
		if (*p == '-')
			dash = p;
	return dash ? strtol(dash + 1, NULL, 10) : -1;
}

static void *sink_main(void *arg)
{
	struct sink *s = arg;
	static char buf[1 << 16];
	while (!atomic_load(&s->stop)) {
		int c = accept(s->fd, NULL, NULL);
		if (c < 0)
			continue;
		size_t used = 0;
		char *body = NULL;
		long want = -1;
		while (used < sizeof(buf) - 1) {
			ssize_t n = read(c, buf + used, sizeof(buf) - 1 - used);
			if (n <= 0)
				break;
			used += (size_t)n;
			buf[used] = '\0';
			if (!body && (body = strstr(buf, "\r\n\r\n"))) {
				body += 4;
				const char *cl =
				    strcasestr(buf, "\r\nContent-Length:");
				want = cl ? strtol(cl + 17, NULL, 10) : 0;
			}
			if (body && (long)(used - (size_t)(body - buf)) >= want)
				break;
		}
		int64_t t = now_ns();
		long k = body ? key_number(buf) : -1;
		if (k >= 0 && (size_t)k < s->cap) {
			int64_t zero = 0;
			atomic_compare_exchange_strong(&s->received_ns[k],
			                               &zero, t);
			atomic_fetch_add(&s->count, 1);
		}
		static const char ok[] = "HTTP/1.1 200 OK\r\nContent-Length: "
		                         "2\r\nConnection: close\r\n\r\n{}";
		ssize_t w = write(c, ok, sizeof(ok) - 1);
		(void)w;
		close(c);
	}
	return NULL;
}

static bool sink_start(struct sink *s, size_t cap)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	memset(s, 0, sizeof(*s));
	s->cap = cap;
	s->received_ns = xcalloc(cap, sizeof(*s->received_ns));
	s->fd = socket(AF_INET, SOCK_STREAM, 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (s->fd < 0 || bind(s->fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
	    listen(s->fd, 512) != 0 ||
	    getsockname(s->fd, (struct sockaddr *)&a, &len) != 0)
		return false;
	s->port = ntohs(a.sin_port);
	return pthread_create(&s->thread, NULL, sink_main, s) == 0;
}

static void sink_reset(struct sink *s)
{
	for (size_t i = 0; i < s->cap; i++)
		atomic_store(&s->received_ns[i], 0);
	atomic_store(&s->count, 0);
}

static void sink_stop(struct sink *s)
{
	atomic_store(&s->stop, true);
	/* Wake accept() with one last connection. */
	int c = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET,
		                 .sin_port = htons((uint16_t)s->port) };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (c >= 0) {
		(void)connect(c, (struct sockaddr *)&a, sizeof(a));
		close(c);
	}
	pthread_join(s->thread, NULL);
	close(s->fd);
	free(s->received_ns);
}

static bool wait_count(struct sink *s, size_t n, int64_t timeout_ns)
{
	int64_t until = now_ns() + timeout_ns;
	while (atomic_load(&s->count) < n) {
		if (now_ns() > until)
			return false;
		struct timespec ts = { 0, 200000 };
		nanosleep(&ts, NULL);
	}
	return true;
}

/* ---- queueing rows ----------------------------------------------------- */

struct bench {
	struct store *store;
	char ref[CALLS][CALL_REF_MAX];
	struct call call[CALLS];
	char body[1024];
	char url[64];
};

static void body_of(struct bench *b, long i, char *key, size_t key_size,
                    char *body, size_t body_size)
{
	const char *ref = b->ref[i % CALLS];
	str_format(key, key_size, "%s-supervisor_notice-bench-%ld", ref, i);
	str_format(body, body_size,
	           "{\"action\":\"notify_supervisor\",\"agency\":\"Example "
	           "County 9-1-1\",\"call_id\":\"%s\",\"key\":\"%s\","
	           "\"kind\":\"supervisor_notice\",\"subject\":\"HT call %s: "
	           "victim_call, priority 2\",\"target\":\"sink\",\"text\":"
	           "\"Human trafficking call %s at Example County 9-1-1, "
	           "2026-05-01T17:00:00.000Z.\\nCategory: victim_call. "
	           "Priority: 2.\\nLocation: 1200 E 6th St\\nIndicators: "
	           "documents_withheld, debt_bondage\\nSafety: NO CALLBACK: "
	           "someone controlling the caller may answer\\nUnits sent: "
	           "none yet\\nThe rationale and the record are on the call "
	           "in htdispatch.\\n\"}",
	           ref, key, ref, ref);
}

/* Queues rows [from, to), each on call (row % CALLS): per call, batches
 * of up to STORE_OUTBOX_APPEND_MAX rows in one transaction with one
 * notice_queued event (as a decision queues its notices). */
static bool queue_rows(struct bench *b, long from, long to, int64_t at_ms)
{
	struct store_outbox rows[STORE_OUTBOX_APPEND_MAX];
	static char bodies[STORE_OUTBOX_APPEND_MAX][1024];
	struct call_event e = { .type = CALL_EVENT_NOTICE_QUEUED,
		                .at_ms = at_ms,
		                .actor = "system:notify" };
	e.u.notice.kind = "supervisor_notice";
	e.u.notice.action = "notify_supervisor";
	e.u.notice.target = "";
	e.u.notice.key = "";
	e.u.notice.detail = "to sink";
	struct htd_error err;
	for (long c = 0; c < CALLS; c++) {
		long i = from + ((c - from % CALLS) % CALLS + CALLS) % CALLS;
		while (i < to) {
			size_t k = 0;
			memset(rows, 0, sizeof(rows));
			for (; i < to && k < STORE_OUTBOX_APPEND_MAX;
			     i += CALLS, k++) {
				struct store_outbox *r = &rows[k];
				body_of(b, i, r->key, sizeof(r->key), bodies[k],
				        sizeof(bodies[k]));
				str_copy(r->call_ref, sizeof(r->call_ref),
				         b->ref[c]);
				str_copy(r->kind, sizeof(r->kind),
				         "supervisor_notice");
				str_copy(r->action, sizeof(r->action),
				         "notify_supervisor");
				str_copy(r->target, sizeof(r->target), "sink");
				str_copy(r->transport, sizeof(r->transport),
				         "webhook");
				str_copy(r->content_type,
				         sizeof(r->content_type),
				         "application/json");
				r->subject = (char *)"HT call";
				r->body = bodies[k];
				r->state = STORE_OUTBOX_PENDING;
				r->next_attempt_ms = at_ms;
				r->created_at_ms = at_ms;
				r->updated_at_ms = at_ms;
			}
			/* The worker appends to the call too: read it, as
			 * the service does before every change. */
			struct call *call = &b->call[c];
			if (store_call_get(b->store, b->ref[c], call, &err) !=
			    HTD_OK)
				return false;
			int64_t version = call->version;
			if (call_apply(call, &e, &err) != HTD_OK)
				return false;
			char *payload = event_json_encode(&e);
			struct store_event se = { .seq = version + 1,
				                  .type = "notice_queued",
				                  .at_ms = at_ms,
				                  .actor = e.actor,
				                  .payload = payload };
			struct store_append item = {
				.call_ref = b->ref[c],
				.expected_version = version,
				.event = &se,
				.projection = call,
				.outbox = rows,
				.n_outbox = k,
			};
			enum htd_err rc =
			    store_append(b->store, &item, 1, &err);
			free(payload);
			if (rc != HTD_OK) {
				fprintf(stderr, "notify: queueing: %s\n",
				        err.message);
				return false;
			}
		}
	}
	return true;
}

/* ---- the anchor: a plain libcurl loop ---------------------------------- */

static size_t discard(char *p, size_t size, size_t n, void *ctx)
{
	(void)p;
	(void)ctx;
	return size * n;
}

static double anchor_rate(struct bench *b, long n)
{
	int64_t t0 = now_ns();
	for (long i = 0; i < n; i++) {
		char key[160], hdr[200];
		body_of(b, i, key, sizeof(key), b->body, sizeof(b->body));
		CURL *c = curl_easy_init();
		struct curl_slist *h = NULL;
		str_format(hdr, sizeof(hdr), "Idempotency-Key: %s", key);
		h = curl_slist_append(h, hdr);
		h = curl_slist_append(h, "Content-Type: application/json");
		curl_easy_setopt(c, CURLOPT_URL, b->url);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, b->body);
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
		curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
		curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
		CURLcode rc = curl_easy_perform(c);
		curl_slist_free_all(h);
		curl_easy_cleanup(c);
		if (rc != CURLE_OK) {
			fprintf(stderr, "notify: anchor POST: %s\n",
			        curl_easy_strerror(rc));
			return 0;
		}
	}
	return (double)n / ((double)(now_ns() - t0) / 1e9);
}

/* ---- statistics -------------------------------------------------------- */

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

struct latency {
	double rate;
	size_t n, lost;
	double p50_ms, p99_ms, max_ms;
};

static void latency_of(const int64_t *committed, struct sink *s, size_t base,
                       size_t n, struct latency *out)
{
	int64_t *d = xcalloc(n ? n : 1, sizeof(*d));
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		int64_t r = atomic_load(&s->received_ns[base + i]);
		if (r)
			d[k++] = r - committed[i];
	}
	qsort(d, k, sizeof(*d), cmp_i64);
	out->n = k;
	out->lost = n - k;
	if (k) {
		out->p50_ms = (double)d[(k - 1) / 2] / 1e6;
		out->p99_ms = (double)d[(size_t)((double)(k - 1) * 0.99)] / 1e6;
		out->max_ms = (double)d[k - 1] / 1e6;
	}
	free(d);
}

/* ---- main -------------------------------------------------------------- */

static void usage(FILE *f)
{
	fprintf(f,
	        "usage: bench_notify [--quick] [--out PATH] [--dir DIR] "
	        "[--n N] [--seconds S]\n"
	        "  --quick      a smoke run (300 rows, 2 s per rate); no JSON "
	        "unless --out\n"
	        "  --out PATH   where to write the JSON (default "
	        "%s/notify.json\n"
	        "               for a standard run)\n"
	        "  --dir DIR    where the database goes (default $TMPDIR or "
	        "/tmp)\n"
	        "  --n N        rows of the throughput run (2000)\n"
	        "  --seconds S  seconds of each latency rate (10)\n",
	        HTD_BENCH_RESULTS);
}

int main(int argc, char **argv)
{
	struct config cfg = { 0 };
	int64_t rows = -1, seconds = -1;
	const struct bench_option options[] = {
		BENCH_OPTIONS_COMMON(&cfg.quick, &cfg.out, &cfg.dir),
		{ "--n", BENCH_OPTION_INT, &rows, 10, MAX_ROWS / 2 },
		{ "--seconds", BENCH_OPTION_INT, &seconds, 1, 60 },
	};
	if (bench_parse_options(BENCH_NAME, argc, argv, options,
	                        BENCH_COUNT(options), usage) != 0)
		return 2;
	cfg.throughput_n = rows > 0 ? rows : cfg.quick ? 300 : 2000;
	cfg.latency_s = seconds > 0 ? seconds : cfg.quick ? 2 : 10;
	bool standard = !cfg.quick && rows < 0 && seconds < 0;
	if (!cfg.out && standard)
		cfg.out = HTD_BENCH_RESULTS "/notify.json";
	if (cfg.out && bench_check_out_dir(BENCH_NAME, cfg.out) != 0)
		return 1;
	const char *tmp = cfg.dir ? cfg.dir : getenv("TMPDIR");
	char dir[1024], db[1100];
	str_format(dir, sizeof(dir), "%s/htd-bench-notify-XXXXXX",
	           tmp && tmp[0] ? tmp : "/tmp");
	if (!mkdtemp(dir)) {
		perror("notify: mkdtemp");
		return 1;
	}
	str_format(db, sizeof(db), "%s/bench.db", dir);
	setenv(KEY_ENV, "benchmark-webhook-key-0123456789", 1);
	log_set_level(LOG_WARN);

	struct htd_error err;
	struct bench b;
	struct sink sink;
	memset(&b, 0, sizeof(b));
	if (notify_global_init(&err) != HTD_OK || !sink_start(&sink, MAX_ROWS))
		return fprintf(stderr, "notify: cannot start\n"), 1;
	str_format(b.url, sizeof(b.url), "http://127.0.0.1:%d/hook", sink.port);
	struct store_options so = { .path = db, .create = true };
	if (store_open(&so, &b.store, &err) != HTD_OK)
		return fprintf(stderr, "notify: %s\n", err.message), 1;

	/* The calls the rows are queued on. */
	int64_t t_ms = clock_now_ms(NULL);
	for (int c = 0; c < CALLS; c++) {
		struct call_event oe = { .type = CALL_EVENT_OPENED,
			                 .at_ms = t_ms,
			                 .actor = "bench" };
		oe.u.opened.language = "en";
		oe.u.opened.location_text = "1200 E 6th St";
		oe.u.opened.callback_number = "";
		oe.u.opened.caller_name = "";
		call_init(&b.call[c]);
		call_apply(&b.call[c], &oe, &err);
		char *payload = event_json_encode(&oe);
		struct store_event se = { .seq = 1,
			                  .type = "call_opened",
			                  .at_ms = t_ms,
			                  .actor = "bench",
			                  .payload = payload };
		enum htd_err rc =
		    store_call_create(b.store, 2026, &b.call[c], &se, 1, NULL,
		                      NULL, NULL, b.ref[c], &err);
		free(payload);
		if (rc != HTD_OK)
			return fprintf(stderr, "notify: %s\n", err.message), 1;
		str_copy(b.call[c].ref, sizeof(b.call[c].ref), b.ref[c]);
	}

	/* The policy: one webhook target, the shipped retry limits. */
	struct policy_target target = { .id = (char *)"sink",
		                        .transport = POLICY_TRANSPORT_WEBHOOK,
		                        .url = b.url,
		                        .allow_http = true,
		                        .secret_ref = (char *)"env:" KEY_ENV };
	struct policy pol;
	memset(&pol, 0, sizeof(pol));
	pol.notify.targets = &target;
	pol.notify.n_targets = 1;
	pol.notify.attempts = 8;
	pol.notify.first_delay_ms = 5000;
	pol.notify.max_delay_ms = 600000;

	/* Throughput: N rows committed, then the worker started. */
	long n = (long)cfg.throughput_n;
	if (!queue_rows(&b, 0, n, clock_now_ms(NULL)))
		return 1;
	struct outbox_worker *w = NULL;
	struct outbox_worker_options wo = { .db_path = db, .policy = &pol };
	int64_t t0 = now_ns();
	if (outbox_worker_start(&wo, &w, &err) != HTD_OK)
		return fprintf(stderr, "notify: %s\n", err.message), 1;
	if (!wait_count(&sink, (size_t)n, INT64_C(600) * 1000000000))
		return fprintf(stderr, "notify: not all delivered\n"), 1;
	double worker_rate = (double)n / ((double)(now_ns() - t0) / 1e9);
	outbox_worker_stop(w);
	sink_reset(&sink);
	double curl_rate = anchor_rate(&b, n);
	sink_reset(&sink);

	/* Latency at 1, 10 and 100 committed per second. */
	static const double rates[] = { 1, 10, 100 };
	struct latency lat[3];
	long base = n;
	if (outbox_worker_start(&wo, &w, &err) != HTD_OK)
		return fprintf(stderr, "notify: %s\n", err.message), 1;
	for (size_t r = 0; r < 3; r++) {
		size_t count = (size_t)(rates[r] * (double)cfg.latency_s);
		int64_t *committed = xcalloc(count, sizeof(*committed));
		int64_t period = (int64_t)(1e9 / rates[r]);
		int64_t next = now_ns();
		sink_reset(&sink);
		for (size_t i = 0; i < count; i++) {
			while (now_ns() < next) {
				struct timespec ts = { 0, 100000 };
				nanosleep(&ts, NULL);
			}
			next += period;
			if (!queue_rows(&b, base + (long)i, base + (long)i + 1,
			                clock_now_ms(NULL)))
				return 1;
			committed[i] = now_ns();
			outbox_doorbell(); /* as the service does */
		}
		wait_count(&sink, count, INT64_C(30) * 1000000000);
		latency_of(committed, &sink, (size_t)base, count, &lat[r]);
		lat[r].rate = rates[r];
		free(committed);
		base += (long)count;
	}
	outbox_worker_stop(w);
	sink_stop(&sink);
	store_close(b.store);
	for (int c = 0; c < CALLS; c++)
		call_free(&b.call[c]);
	notify_global_cleanup();

	double ratio = curl_rate > 0 ? worker_rate / curl_rate : 0;
	printf("notify: %ld webhooks to a loopback receiver%s\n", n,
	       cfg.quick ? " (--quick: a smoke run, not a measurement)" : "");
	printf("  %-44s %10.0f /s\n", "outbox worker (committed rows -> sink)",
	       worker_rate);
	printf("  %-44s %10.0f /s\n", "anchor: plain libcurl POST loop",
	       curl_rate);
	printf("  %-44s %10.2f\n", "ratio worker / anchor", ratio);
	printf("  latency, commit -> receipt (poll every %d ms):\n",
	       OUTBOX_POLL_MS_DEFAULT);
	for (size_t r = 0; r < 3; r++)
		printf("    %5.0f /s: n=%zu lost=%zu p50 %.1f ms, p99 %.1f ms, "
		       "max %.1f ms\n",
		       lat[r].rate, lat[r].n, lat[r].lost, lat[r].p50_ms,
		       lat[r].p99_ms, lat[r].max_ms);
	printf("  target: every row delivered at every rate: %s\n",
	       lat[0].lost + lat[1].lost + lat[2].lost == 0 ? "met" : "MISSED");

	bool written = true;
	if (cfg.out) {
		json_t *latj = json_array();
		for (size_t r = 0; r < 3; r++)
			json_array_append_new(
			    latj,
			    json_pack("{s:f,s:I,s:I,s:f,s:f,s:f}", "rate",
			              lat[r].rate, "n", (json_int_t)lat[r].n,
			              "lost", (json_int_t)lat[r].lost, "p50_ms",
			              lat[r].p50_ms, "p99_ms", lat[r].p99_ms,
			              "max_ms", lat[r].max_ms));
		json_t *root = bench_results_new("notify");
		json_object_update_new(
		    root,
		    json_pack("{s:s,s:{s:I,s:I,s:I},s:f,s:f,s:f,s:o}", "anchor",
		              "plain libcurl POST loop, one easy handle per "
		              "POST, same bodies, same receiver",
		              "params", "rows", (json_int_t)n,
		              "latency_seconds", (json_int_t)cfg.latency_s,
		              "poll_ms", (json_int_t)OUTBOX_POLL_MS_DEFAULT,
		              "worker_per_s", worker_rate, "anchor_per_s",
		              curl_rate, "ratio_worker_anchor", ratio,
		              "latency", latj));
		written = bench_write_json(BENCH_NAME, root, cfg.out) == 0;
		json_decref(root);
	}
	char cmd[1200];
	str_format(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "notify: could not remove %s\n", dir);
	return written ? 0 : 1;
}
