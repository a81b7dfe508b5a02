/*
 * notify_send.c - makes one notify_send() attempt from the command line,
 * for the transport tests (notify.sh) against the sinks in tests/support:
 *   notify_send --transport webhook --url URL --secret file:PATH --key K ...
 * Prints the result as key=value lines (outcome, status, retry_after,
 * elapsed_ms, error) and exits 0 delivered, 1 retry, 2 permanent, 64 on a
 * usage error, so the script checks what a worker would see.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "notify/transport.h"
#include "util/clock.h"
#include "util/str.h"

static const char usage[] =
    "usage: notify_send --transport webhook|smtp|spool [--url URL]\n"
    "  [--allow-http] [--starttls] [--from A] [--to A]... [--username U]\n"
    "  [--secret file:PATH|env:NAME] [--dir DIR] [--timeout-ms N]\n"
    "  [--connect-timeout-ms N] [--ca-file F] [--key K] [--kind K]\n"
    "  [--content-type T] [--body TEXT | --body-file F] [--subject S]\n"
    "  [--created-ms N] [--now-ms N]\n";

static int usage_error(const char *why)
{
	fprintf(stderr, "notify_send: %s\n%s", why, usage);
	return 64;
}

/* Reads at most `max` bytes of `path` into *out (owned). */
static bool read_body(const char *path, size_t max, char **out, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return false;
	*out = malloc(max + 1);
	*len = *out ? fread(*out, 1, max + 1, f) : 0;
	fclose(f);
	return *out && *len <= max;
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "transport", required_argument, NULL, 'T' },
		{ "url", required_argument, NULL, 'u' },
		{ "allow-http", no_argument, NULL, 'H' },
		{ "starttls", no_argument, NULL, 'S' },
		{ "from", required_argument, NULL, 'f' },
		{ "to", required_argument, NULL, 't' },
		{ "username", required_argument, NULL, 'U' },
		{ "secret", required_argument, NULL, 's' },
		{ "dir", required_argument, NULL, 'd' },
		{ "timeout-ms", required_argument, NULL, 'o' },
		{ "connect-timeout-ms", required_argument, NULL, 'c' },
		{ "ca-file", required_argument, NULL, 'a' },
		{ "key", required_argument, NULL, 'k' },
		{ "kind", required_argument, NULL, 'K' },
		{ "content-type", required_argument, NULL, 'C' },
		{ "body", required_argument, NULL, 'b' },
		{ "body-file", required_argument, NULL, 'B' },
		{ "subject", required_argument, NULL, 'j' },
		{ "created-ms", required_argument, NULL, 'r' },
		{ "now-ms", required_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	static const char *to[NOTIFY_RECIPIENTS_MAX + 1];
	struct notify_target t = { 0 };
	struct notify_message m = { 0 };
	struct notify_secret secret = { NULL, 0 };
	struct notify_result r;
	struct htd_error err;
	const char *secret_ref = NULL;
	const char *body_file = NULL;
	char *body = NULL;
	int64_t now_ms = clock_now_ms(clock_system());
	int rc = 64;
	int c;

	t.kind = NOTIFY_TRANSPORT_WEBHOOK;
	while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
		switch (c) {
		case 'T':
			if (!notify_transport_kind_parse(optarg, &t.kind))
				return usage_error("unknown transport");
			break;
		case 'u': t.url = optarg; break;
		case 'H': t.allow_http = true; break;
		case 'S': t.starttls = true; break;
		case 'f': t.from = optarg; break;
		case 't':
			if (t.n_to >= NOTIFY_RECIPIENTS_MAX + 1)
				return usage_error("too many --to");
			to[t.n_to++] = optarg;
			break;
		case 'U': t.username = optarg; break;
		case 's': secret_ref = optarg; break;
		case 'd': t.spool_dir = optarg; break;
		case 'o':
			if (!str_to_i64(optarg, 0, INT64_MAX, &t.timeout_ms))
				return usage_error("bad --timeout-ms");
			break;
		case 'c':
			if (!str_to_i64(optarg, 0, INT64_MAX,
			                &t.connect_timeout_ms))
				return usage_error("bad --connect-timeout-ms");
			break;
		case 'a': t.ca_file = optarg; break;
		case 'k': m.idempotency_key = optarg; break;
		case 'K': m.kind = optarg; break;
		case 'C': m.content_type = optarg; break;
		case 'b':
			m.body = optarg;
			m.body_len = strlen(optarg);
			break;
		case 'B': body_file = optarg; break;
		case 'j': m.subject = optarg; break;
		case 'r':
			if (!str_to_i64(optarg, 0, INT64_MAX, &m.created_ms))
				return usage_error("bad --created-ms");
			break;
		case 'n':
			if (!str_to_i64(optarg, 0, INT64_MAX, &now_ms))
				return usage_error("bad --now-ms");
			break;
		default: return usage_error("unknown option");
		}
	}
	if (optind != argc)
		return usage_error("unexpected argument");
	t.to = to;

	if (notify_global_init(&err) != HTD_OK) {
		fprintf(stderr, "notify_send: %s\n", err.message);
		return 70;
	}
	if (body_file) {
		size_t len = 0;
		if (!read_body(body_file, 2 * NOTIFY_BODY_MAX, &body, &len)) {
			fprintf(stderr, "notify_send: cannot read %s\n",
			        body_file);
			goto out;
		}
		m.body = body;
		m.body_len = len;
	}
	if (secret_ref) {
		if (notify_secret_read(secret_ref, &secret, &err) != HTD_OK) {
			fprintf(stderr, "notify_send: %s\n", err.message);
			goto out;
		}
		t.secret = secret.data;
		t.secret_len = secret.len;
	}

	notify_send(&t, &m, now_ms, &r);
	printf("outcome=%s\nstatus=%d\nretry_after=%lld\nelapsed_ms=%lld\n"
	       "error=%s\n",
	       notify_outcome_name(r.outcome), r.status,
	       (long long)r.retry_after_s, (long long)r.elapsed_ms, r.error);
	rc = r.outcome == NOTIFY_DELIVERED ? 0
	     : r.outcome == NOTIFY_RETRY   ? 1
	                                   : 2;
out:
	notify_secret_free(&secret);
	free(body);
	notify_global_cleanup();
	return rc;
}
