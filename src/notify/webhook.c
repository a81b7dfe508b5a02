/*
 * webhook.c - the webhook transport: one HTTP POST of the message body with
 * an Idempotency-Key, a timestamp and an HMAC-SHA256 signature over both
 * the timestamp and the body, so that a receiver can prove who sent it and
 * refuse replays (docs/notify.md). The receiver's status decides the
 * outcome; its response body is read up to NOTIFY_RESPONSE_MAX and
 * ignored, because it is input from outside we have no use for.
 */
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "notify/internal.h"
#include "util/mem.h"
#include "util/str.h"

/* A webhook key must not be guessable; 16 bytes is the least we accept. */
#define WEBHOOK_KEY_MIN 16

bool notify_webhook_sign(const unsigned char *key, size_t key_len,
                         int64_t timestamp_s, const char *body, size_t body_len,
                         char out[NOTIFY_SIGNATURE_MAX])
{
	static char digest[] = "SHA256";
	static const char hex[] = "0123456789abcdef";
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *ctx = mac ? EVP_MAC_CTX_new(mac) : NULL;
	OSSL_PARAM params[2];
	unsigned char md[EVP_MAX_MD_SIZE];
	size_t md_len = 0;
	char stamp[24];
	bool ok = false;

	out[0] = '\0';
	if (!ctx)
		goto out;
	params[0] =
	    OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0);
	params[1] = OSSL_PARAM_construct_end();
	str_format(stamp, sizeof(stamp), "%lld.", (long long)timestamp_s);
	if (!EVP_MAC_init(ctx, key, key_len, params) ||
	    !EVP_MAC_update(ctx, (const unsigned char *)stamp, strlen(stamp)))
		goto out;
	if (body_len > 0 &&
	    !EVP_MAC_update(ctx, (const unsigned char *)body, body_len))
		goto out;
	if (!EVP_MAC_final(ctx, md, &md_len, sizeof(md)) || md_len != 32)
		goto out;
	memcpy(out, "sha256=", 7);
	for (size_t i = 0; i < md_len; i++) {
		out[7 + 2 * i] = hex[md[i] >> 4];
		out[7 + 2 * i + 1] = hex[md[i] & 0xf];
	}
	out[7 + 2 * md_len] = '\0';
	ok = true;
out:
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
	return ok;
}

/* What we keep of the response: its size so far and Retry-After. */
struct response {
	size_t body_bytes;
	int64_t retry_after_s;
	int64_t now_ms;
};

/* Reads the response body only to count it: past the cap the transfer is
 * ended (the status, already received, still decides the outcome). */
static size_t on_body(char *data, size_t size, size_t n, void *ctx)
{
	struct response *resp = ctx;
	size_t bytes = size * n;

	(void)data;
	if (bytes > NOTIFY_RESPONSE_MAX - resp->body_bytes)
		return 0;
	resp->body_bytes += bytes;
	return bytes;
}

/* Parses a Retry-After value: delay-seconds or an HTTP date (RFC 9110
 * 10.2.3). Returns the seconds from now, capped, or -1 when unreadable. */
static int64_t retry_after_parse(const char *value, size_t len, int64_t now_ms)
{
	char text[64];
	int64_t seconds = -1;

	if (len == 0 || len >= sizeof(text))
		return -1;
	memcpy(text, value, len);
	text[len] = '\0';
	if (text[0] >= '0' && text[0] <= '9') {
		if (!str_to_i64(text, 0, INT64_MAX, &seconds)) {
			/* All digits but too many: the most we accept. */
			if (strspn(text, "0123456789") != len)
				return -1;
			seconds = NOTIFY_RETRY_AFTER_MAX;
		}
	} else {
		time_t at = curl_getdate(text, NULL);
		if (at == (time_t)-1)
			return -1;
		seconds = (int64_t)at - now_ms / 1000;
		if (seconds < 0)
			seconds = 0;
	}
	return seconds > NOTIFY_RETRY_AFTER_MAX ? NOTIFY_RETRY_AFTER_MAX
	                                        : seconds;
}

/* Sees each header line of each response (curl caps their size). */
static size_t on_header(char *data, size_t size, size_t n, void *ctx)
{
	static const char name[] = "retry-after:";
	struct response *resp = ctx;
	size_t bytes = size * n;

	/* A new status line starts a new response (after a 100 Continue). */
	if (bytes >= 5 && memcmp(data, "HTTP/", 5) == 0) {
		resp->retry_after_s = -1;
	} else if (bytes > sizeof(name) - 1 &&
	           strncasecmp(data, name, sizeof(name) - 1) == 0) {
		const char *v = data + sizeof(name) - 1;
		size_t len = bytes - (sizeof(name) - 1);
		while (len > 0 && (*v == ' ' || *v == '\t')) {
			v++;
			len--;
		}
		while (len > 0 && (v[len - 1] == '\r' || v[len - 1] == '\n' ||
		                   v[len - 1] == ' ' || v[len - 1] == '\t'))
			len--;
		resp->retry_after_s = retry_after_parse(v, len, resp->now_ms);
	}
	return bytes;
}

/* Appends a header line (copied); out of memory aborts. */
static struct curl_slist *header_add(struct curl_slist *list, const char *line)
{
	struct curl_slist *longer = curl_slist_append(list, line);
	if (!longer)
		mem_oom(strlen(line));
	return longer;
}

/* The outcome the receiver's HTTP status gives (docs/notify.md). */
static enum notify_outcome status_outcome(long status, struct notify_result *r)
{
	if (status >= 200 && status <= 299)
		return r->outcome = NOTIFY_DELIVERED;
	if (status >= 300 && status <= 399)
		return notify_fail(r, NOTIFY_PERMANENT,
		                   "HTTP %ld from the receiver: redirects are "
		                   "not followed (fix the URL)",
		                   status);
	/* 408 Request Timeout, 425 Too Early, 429 Too Many Requests and the
	 * server errors are the receiver's trouble, not the message's. */
	if (status == 408 || status == 425 || status == 429 || status >= 500) {
		if (r->retry_after_s >= 0)
			return notify_fail(r, NOTIFY_RETRY,
			                   "HTTP %ld from the receiver (retry "
			                   "after %lld s)",
			                   status, (long long)r->retry_after_s);
		return notify_fail(r, NOTIFY_RETRY,
		                   "HTTP %ld from the receiver", status);
	}
	return notify_fail(r, NOTIFY_PERMANENT,
	                   "HTTP %ld from the receiver: the message was "
	                   "refused",
	                   status);
}

static enum notify_outcome webhook_send(const struct notify_target *t,
                                        const struct notify_message *m,
                                        int64_t now_ms, struct notify_result *r)
{
	static const char *const https_only[] = { "https", NULL };
	static const char *const http_too[] = { "http", "https", NULL };
	char scheme[16];
	char errbuf[CURL_ERROR_SIZE];
	char signature[NOTIFY_SIGNATURE_MAX];
	char line[256];
	struct curl_slist *headers = NULL;
	struct response resp = { 0, -1, now_ms };
	struct notify_curl_profile profile = {
		NULL, NOTIFY_TIMEOUT_DEFAULT_MS,
		NOTIFY_CONNECT_TIMEOUT_DEFAULT_MS
	};
	const char *content_type =
	    m->content_type ? m->content_type : "application/json";
	int64_t timestamp_s = now_ms / 1000;
	CURL *curl = NULL;
	CURLcode rc;
	long status = 0;

	if (!notify_url_check(t->url, t->allow_http ? http_too : https_only,
	                      scheme, sizeof(scheme), r)) {
		if (!t->allow_http && t->url &&
		    strncasecmp(t->url, "http:", 5) == 0 &&
		    strncmp(r->error, "the URL scheme", 14) == 0)
			notify_fail(r, NOTIFY_PERMANENT,
			            "a webhook URL must be https:// (http:// "
			            "only when allowed for this target)");
		goto out;
	}
	if (!t->secret || t->secret_len < WEBHOOK_KEY_MIN) {
		notify_fail(r, NOTIFY_PERMANENT,
		            "a webhook needs a signing key of at least %d "
		            "bytes",
		            WEBHOOK_KEY_MIN);
		goto out;
	}
	if (strlen(content_type) > 128 ||
	    !str_no_controls(content_type, strlen(content_type), false)) {
		notify_fail(r, NOTIFY_PERMANENT, "invalid content type");
		goto out;
	}
	if (!notify_webhook_sign(t->secret, t->secret_len, timestamp_s, m->body,
	                         m->body_len, signature)) {
		notify_fail(r, NOTIFY_RETRY, "cannot compute the signature");
		goto out;
	}

	str_format(line, sizeof(line), "Content-Type: %s", content_type);
	headers = header_add(headers, line);
	str_format(line, sizeof(line), "Idempotency-Key: %s",
	           m->idempotency_key);
	headers = header_add(headers, line);
	str_format(line, sizeof(line), "X-Htdispatch-Timestamp: %lld",
	           (long long)timestamp_s);
	headers = header_add(headers, line);
	str_format(line, sizeof(line), "X-Htdispatch-Signature: %s", signature);
	headers = header_add(headers, line);
	if (m->kind) {
		str_format(line, sizeof(line), "X-Htdispatch-Kind: %s",
		           m->kind);
		headers = header_add(headers, line);
	}
	/* No "Expect: 100-continue" round trip for large bodies. */
	headers = header_add(headers, "Expect:");

	profile.protocols = strcmp(scheme, "http") == 0 ? "http" : "https";
	curl = notify_curl_new(t, t->url, &profile, errbuf, r);
	if (!curl)
		goto out;
	if ((rc = curl_easy_setopt(curl, CURLOPT_POST, 1L)) ||
	    (rc = curl_easy_setopt(curl, CURLOPT_POSTFIELDS,
	                           m->body ? m->body : "")) ||
	    (rc = curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
	                           (curl_off_t)m->body_len)) ||
	    (rc = curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers)) ||
	    (rc = curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body)) ||
	    (rc = curl_easy_setopt(curl, CURLOPT_WRITEDATA, &resp)) ||
	    (rc = curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header)) ||
	    (rc = curl_easy_setopt(curl, CURLOPT_HEADERDATA, &resp))) {
		notify_fail(r, NOTIFY_PERMANENT, "libcurl: %s",
		            curl_easy_strerror(rc));
		goto out;
	}

	rc = curl_easy_perform(curl);
	notify_curl_elapsed(curl, r);
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
	r->status = (int)status;
	r->retry_after_s = resp.retry_after_s;
	/* A final status means the receiver decided, even if the transfer
	 * failed after it (the response body cut off at our cap, or late). */
	if (status >= 200)
		status_outcome(status, r);
	else if (rc != CURLE_OK)
		notify_curl_fail(r, rc, errbuf, "webhook");
	else
		notify_fail(r, NOTIFY_RETRY, "webhook: no HTTP status");
out:
	curl_easy_cleanup(curl);
	curl_slist_free_all(headers);
	return r->outcome;
}

const struct notify_backend notify_webhook_backend = {
	.name = "webhook",
	.send = webhook_send,
};
