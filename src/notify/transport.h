/*
 * transport.h - how one notification leaves htdispatch: one interface, three
 * back-ends as siblings (like curl's vtls): webhook.c (an HTTPS POST of JSON
 * signed with HMAC-SHA256), smtp.c (e-mail over SMTP, STARTTLS when
 * required) and spool.c (a JSON file written atomically into a directory
 * that radio consoles and paging systems pick up). docs/notify.md has the
 * wire formats, the signature scheme and what counts as retryable.
 *
 * A transport makes exactly one attempt and says how it went: delivered,
 * worth retrying, or failed for good. It never retries, sleeps or reads the
 * clock (the caller passes now_ms) and keeps no state between calls: the
 * outbox worker owns retries, back-off and failing loudly, so nothing is
 * ever dropped silently. Every attempt carries the message's idempotency
 * key (a header, the Message-ID, the file name) so receivers drop repeats.
 *
 * Secrets (webhook HMAC keys, SMTP passwords) come from a file or the
 * environment (notify_secret_read), never from the policy file, and never
 * appear in a result, a URL or a log line.
 *
 * Ownership: every pointer in a struct notify_target or notify_message is
 * borrowed for the duration of the call. Thread-safety: after
 * notify_global_init(), notify_send() may run in several threads at once.
 */
#ifndef HTD_NOTIFY_TRANSPORT_H
#define HTD_NOTIFY_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/error.h"

enum notify_transport_kind {
	NOTIFY_TRANSPORT_WEBHOOK,
	NOTIFY_TRANSPORT_SMTP,
	NOTIFY_TRANSPORT_SPOOL,
};

/*
 * What one attempt came to. RETRY is transient (the receiver is down, slow,
 * overloaded or hung up); PERMANENT needs a person (bad configuration, a
 * receiver that rejects the message, a certificate that does not verify):
 * the outbox fails it loudly at once instead of retrying.
 */
enum notify_outcome {
	NOTIFY_DELIVERED,
	NOTIFY_RETRY,
	NOTIFY_PERMANENT,
};

/* Limits. Bodies are made by htdispatch itself; the cap catches a bug, not
 * an attack. Responses come from outside: read at most this much. */
#define NOTIFY_KEY_MAX 128                      /* idempotency key, bytes */
#define NOTIFY_BODY_MAX ((size_t)1024 * 1024)   /* message body */
#define NOTIFY_RESPONSE_MAX ((size_t)64 * 1024) /* webhook response body */
#define NOTIFY_RECIPIENTS_MAX 100               /* e-mail recipients */
#define NOTIFY_SECRET_MAX 4096                  /* a secret, bytes */
#define NOTIFY_RETRY_AFTER_MAX 86400            /* Retry-After is capped */
#define NOTIFY_TIMEOUT_DEFAULT_MS 10000         /* a whole attempt */
#define NOTIFY_CONNECT_TIMEOUT_DEFAULT_MS 3000  /* the TCP + TLS connect */
/* SMTP: libcurl counts the greeting, EHLO and STARTTLS as connecting, and
 * some servers hold their greeting back for seconds (Postfix postscreen). */
#define NOTIFY_SMTP_TIMEOUT_DEFAULT_MS 30000
#define NOTIFY_SMTP_CONNECT_TIMEOUT_DEFAULT_MS 10000
#define NOTIFY_ERROR_MAX 256
/* "sha256=" + 64 hex digits + NUL */
#define NOTIFY_SIGNATURE_MAX 72

/*
 * One notification. The same message (same key, same body) is passed again
 * on every retry; receivers treat a repeated key as a repeat.
 */
struct notify_message {
	/* [A-Za-z0-9_-]{1,128}: the Idempotency-Key header, the e-mail's
	 * Message-ID <key@htdispatch>, the spool file's name. Required. */
	const char *idempotency_key;
	/* "supervisor_notice", "radio_alert", ...: [a-z0-9_.-]{1,64}, sent as
	 * X-Htdispatch-Kind (webhook, e-mail). Optional (NULL). */
	const char *kind;
	/* Webhook: the Content-Type (NULL: application/json). Spool: NULL or
	 * a JSON type (the file is <key>.json). Not used by e-mail (always
	 * text/plain; charset=utf-8). No CR, LF or other controls. */
	const char *content_type;
	/* Webhook and spool: the document, sent or written as is. E-mail: the
	 * text, UTF-8; line ends may be LF or CRLF. At most NOTIFY_BODY_MAX. */
	const char *body;
	size_t body_len;
	/* E-mail: the Subject, UTF-8 without controls (a CR or LF is refused,
	 * so no header can be injected); RFC 2047-encoded when not ASCII. */
	const char *subject;
	/* When the notification was created (ms since the epoch): the e-mail's
	 * Date header, the same on every retry. 0: now_ms is used. */
	int64_t created_ms;
};

/*
 * Where it goes. Zero-initialise, then set what the transport needs.
 */
struct notify_target {
	enum notify_transport_kind kind;
	/* Webhook: "https://host[:port]/path" ("http://" only with
	 * allow_http). E-mail: "smtp://host[:port]" or "smtps://host[:port]"
	 * (implicit TLS); a path, if any, is the EHLO name. A user name or
	 * password inside the URL is refused: secrets are never in policy. */
	const char *url;
	/* Webhook: accept a plain http:// URL (a receiver on this host, tests).
	 * Without it only https:// is accepted. */
	bool allow_http;
	/* E-mail over smtp://: require STARTTLS; a server that does not offer
	 * it fails the attempt (PERMANENT) and nothing is sent in clear. */
	bool starttls;
	const char *from;      /* e-mail: the envelope and From address */
	const char *const *to; /* e-mail: 1..NOTIFY_RECIPIENTS_MAX addresses */
	size_t n_to;
	/* E-mail: the SMTP AUTH user; with it `secret` is the password. A
	 * password is only sent over TLS (smtps://, or smtp:// + starttls). */
	const char *username;
	const char *spool_dir; /* spool: an existing directory */
	/* Webhook: the HMAC-SHA256 key (required, at least 16 bytes). E-mail:
	 * the password (no NUL bytes). Resolved by the caller. */
	const unsigned char *secret;
	size_t secret_len;
	/* The whole attempt, and its connecting part; 0: the defaults above
	 * (10 s and 3 s; e-mail 30 s and 10 s). */
	int64_t timeout_ms;
	int64_t connect_timeout_ms;
	/* A PEM file of CA certificates to verify the receiver with instead of
	 * the system's (a private CA, tests). Verification is never off. */
	const char *ca_file;
};

/* The outcome of one attempt, with what a person needs to act on it. */
struct notify_result {
	enum notify_outcome outcome;
	/* The HTTP status, or the last SMTP reply code; 0 when the receiver
	 * never answered (or for the spool). */
	int status;
	/* Seconds the receiver asked us to wait (HTTP Retry-After, as seconds
	 * or as a date relative to now_ms; capped at NOTIFY_RETRY_AFTER_MAX);
	 * -1 when it did not say. */
	int64_t retry_after_s;
	/* How long the attempt took (libcurl's total time), for metrics. */
	int64_t elapsed_ms;
	/* "" when delivered; else one short line for people and the outbox's
	 * last_error: "HTTP 503 from the receiver", "webhook: Failed to
	 * connect to 10.1.2.3 port 443 ...: Connection refused". Never the
	 * secret, never the body. */
	char error[NOTIFY_ERROR_MAX];
};

/*
 * Initialises libcurl once for the process; call it at start, before any
 * thread sends (curl_global_init is not thread-safe before curl 7.84).
 * Calls nest: each successful call needs one notify_global_cleanup().
 * Returns HTD_OK, or HTD_ERR_INTERNAL with a message in `err`.
 */
enum htd_err notify_global_init(struct htd_error *err);

/* Undoes one notify_global_init(); the last one releases libcurl. */
void notify_global_cleanup(void);

/*
 * Makes one attempt to deliver `m` to `t` and returns its outcome, which is
 * also stored in r->outcome (`r` is always filled in). `now_ms` is the
 * current time: the webhook's signed timestamp, the base of a Retry-After
 * date. Invalid input (a bad key, a bad address, a CR in the subject, a
 * missing secret) is PERMANENT and nothing is contacted. Which failures
 * are RETRY and which PERMANENT is listed in docs/notify.md.
 */
enum notify_outcome notify_send(const struct notify_target *t,
                                const struct notify_message *m, int64_t now_ms,
                                struct notify_result *r);

/* Returns "delivered", "retry" or "permanent"; never NULL. */
const char *notify_outcome_name(enum notify_outcome o);

/* Returns "webhook", "smtp" or "spool"; never NULL. */
const char *notify_transport_kind_name(enum notify_transport_kind k);

/* Parses "webhook", "smtp" or "spool"; false (and *out untouched) if none. */
bool notify_transport_kind_parse(const char *s,
                                 enum notify_transport_kind *out);

/* Returns true when `key` is a valid idempotency key: [A-Za-z0-9_-]{1,128}.
 * NULL is not. */
bool notify_key_valid(const char *key);

/* Returns true when `kind` is a valid message kind: [a-z0-9_.-]{1,64}.
 * NULL is not. */
bool notify_kind_valid(const char *kind);

/*
 * Writes the webhook signature of `body` sent at `timestamp_s` (Unix
 * seconds) with `key`: "sha256=" and the lower-case hex HMAC-SHA256 of
 * "<timestamp_s>.<body>". Returns false only if OpenSSL fails.
 */
bool notify_webhook_sign(const unsigned char *key, size_t key_len,
                         int64_t timestamp_s, const char *body, size_t body_len,
                         char out[NOTIFY_SIGNATURE_MAX]);

/*
 * Builds the e-mail smtp.c sends for `m` to `t` (headers, a blank line, the
 * body; CRLF line ends, no line over 998 octets) into `out`, which the
 * caller initialised. Returns true; on invalid input (the key and kind
 * included) returns false with r->outcome PERMANENT and r->error saying
 * why. Exposed for tests and previews; notify_send() uses it.
 */
bool notify_smtp_format(const struct notify_target *t,
                        const struct notify_message *m, int64_t now_ms,
                        struct buf *out, struct notify_result *r);

/* A secret read by notify_secret_read(). */
struct notify_secret {
	unsigned char *data; /* owned; NUL-terminated for convenience */
	size_t len;
};

/*
 * Reads a secret named by `ref`: "file:/path" (the file's bytes; it must
 * not be readable or writable by others) or "env:NAME" (the variable's
 * value). One trailing "\n" or "\r\n" is not part of the secret. Fills
 * `out` (free with notify_secret_free) and returns HTD_OK; on error
 * returns HTD_ERR_INVALID, HTD_ERR_NOT_FOUND, HTD_ERR_TOO_LARGE or
 * HTD_ERR_IO with a message naming the file or variable (never the
 * secret) and leaves `out` empty.
 */
enum htd_err notify_secret_read(const char *ref, struct notify_secret *out,
                                struct htd_error *err);

/* Wipes and frees the secret and empties `s`; accepts NULL. */
void notify_secret_free(struct notify_secret *s);

#endif
