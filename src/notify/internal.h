/*
 * internal.h - what the transports of src/notify share: the back-end table
 * transport.c dispatches through (one entry per sibling: webhook.c, smtp.c,
 * spool.c), and the libcurl set-up and error classification the two network
 * transports have in common. Not for use outside src/notify.
 */
#ifndef HTD_NOTIFY_INTERNAL_H
#define HTD_NOTIFY_INTERNAL_H

#include <curl/curl.h>

#include "notify/transport.h"

/* One transport. `send` may assume `t`, `m` and `r` are non-NULL, `r` is
 * reset (outcome PERMANENT, status 0, retry_after_s -1, error ""), the
 * idempotency key and the kind (if any) are valid and the body is within
 * NOTIFY_BODY_MAX. */
struct notify_backend {
	const char *name;
	enum notify_outcome (*send)(const struct notify_target *t,
	                            const struct notify_message *m,
	                            int64_t now_ms, struct notify_result *r);
};

extern const struct notify_backend notify_webhook_backend;
extern const struct notify_backend notify_smtp_backend;
extern const struct notify_backend notify_spool_backend;

/* Sets r->outcome to `o` and r->error to the formatted text (truncated to
 * fit); returns `o`. */
enum notify_outcome notify_fail(struct notify_result *r, enum notify_outcome o,
                                const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * Checks `url` for a network transport: a scheme among `schemes` (a
 * NULL-terminated list, lower case), a host, and no user name or password.
 * Copies the scheme into `scheme` (size bytes). Returns true, or false with
 * r filled in (PERMANENT).
 */
bool notify_url_check(const char *url, const char *const *schemes, char *scheme,
                      size_t size, struct notify_result *r);

/* Which protocols a handle may speak, and its default timeouts. */
struct notify_curl_profile {
	const char *protocols; /* a libcurl list: "http,https" */
	long timeout_ms;
	long connect_timeout_ms;
};

/*
 * Returns a new easy handle with what every attempt needs: `url`, no
 * signals, only the profile's protocols, no redirects, the timeouts of `t`
 * (or the profile's), TLS 1.2 or later with peer verification (against
 * t->ca_file when set), and `errbuf` (CURL_ERROR_SIZE bytes) as the error
 * buffer. Returns NULL with r filled in when libcurl fails. Free with
 * curl_easy_cleanup().
 */
CURL *notify_curl_new(const struct notify_target *t, const char *url,
                      const struct notify_curl_profile *profile, char *errbuf,
                      struct notify_result *r);

/* Classifies a libcurl failure that came with no usable answer from the
 * receiver (see docs/notify.md). */
enum notify_outcome notify_curl_outcome(CURLcode rc);

/*
 * Finishes `r` after curl_easy_perform() failed with `rc` and no status
 * decided the outcome: r->outcome from notify_curl_outcome(), r->error
 * "`what`: <libcurl's message>". Returns r->outcome.
 */
enum notify_outcome notify_curl_fail(struct notify_result *r, CURLcode rc,
                                     const char *errbuf, const char *what);

/* Stores libcurl's total time of `curl` in r->elapsed_ms. */
void notify_curl_elapsed(CURL *curl, struct notify_result *r);

#endif
