/*
 * transport.c - the transport-neutral entry points: check the message,
 * dispatch to the back-end of the target (webhook.c, smtp.c, spool.c), and
 * make sure no result ever carries the secret. Also what the network
 * back-ends share (libcurl set-up, error classification) and the reading of
 * secrets from files and the environment.
 */
#include "notify/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <openssl/crypto.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/mem.h"
#include "util/str.h"
#include "version.h"

static pthread_mutex_t global_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned global_users;

enum htd_err notify_global_init(struct htd_error *err)
{
	enum htd_err rc = HTD_OK;

	pthread_mutex_lock(&global_lock);
	if (global_users == 0) {
		CURLcode c = curl_global_init(CURL_GLOBAL_DEFAULT);
		if (c != CURLE_OK) {
			rc = htd_error_set(err, HTD_ERR_INTERNAL,
			                   "cannot initialise libcurl: %s",
			                   curl_easy_strerror(c));
			goto out;
		}
	}
	global_users++;
out:
	pthread_mutex_unlock(&global_lock);
	return rc;
}

void notify_global_cleanup(void)
{
	pthread_mutex_lock(&global_lock);
	if (global_users > 0 && --global_users == 0)
		curl_global_cleanup();
	pthread_mutex_unlock(&global_lock);
}

const char *notify_outcome_name(enum notify_outcome o)
{
	switch (o) {
	case NOTIFY_DELIVERED: return "delivered";
	case NOTIFY_RETRY: return "retry";
	case NOTIFY_PERMANENT: return "permanent";
	}
	return "permanent";
}

static const char *const kind_names[] = {
	[NOTIFY_TRANSPORT_WEBHOOK] = "webhook",
	[NOTIFY_TRANSPORT_SMTP] = "smtp",
	[NOTIFY_TRANSPORT_SPOOL] = "spool",
};

static const struct notify_backend *const backends[] = {
	[NOTIFY_TRANSPORT_WEBHOOK] = &notify_webhook_backend,
	[NOTIFY_TRANSPORT_SMTP] = &notify_smtp_backend,
	[NOTIFY_TRANSPORT_SPOOL] = &notify_spool_backend,
};

#define KIND_COUNT (sizeof(kind_names) / sizeof(kind_names[0]))

const char *notify_transport_kind_name(enum notify_transport_kind k)
{
	if ((unsigned)k >= KIND_COUNT)
		return "unknown";
	return kind_names[k];
}

bool notify_transport_kind_parse(const char *s, enum notify_transport_kind *out)
{
	for (size_t i = 0; s && i < KIND_COUNT; i++) {
		if (strcmp(s, kind_names[i]) == 0) {
			*out = (enum notify_transport_kind)i;
			return true;
		}
	}
	return false;
}

bool notify_key_valid(const char *key)
{
	size_t n = 0;

	if (!key)
		return false;
	for (; key[n]; n++) {
		char c = key[n];
		bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		          (c >= '0' && c <= '9') || c == '_' || c == '-';
		if (!ok || n >= NOTIFY_KEY_MAX)
			return false;
	}
	return n > 0;
}

bool notify_kind_valid(const char *kind)
{
	size_t n = 0;

	if (!kind)
		return false;
	for (; kind[n]; n++) {
		char c = kind[n];
		bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		          c == '_' || c == '.' || c == '-';
		if (!ok || n >= 64)
			return false;
	}
	return n > 0;
}

enum notify_outcome notify_fail(struct notify_result *r, enum notify_outcome o,
                                const char *fmt, ...)
{
	va_list ap;

	r->outcome = o;
	va_start(ap, fmt);
	vsnprintf(r->error, sizeof(r->error), fmt, ap);
	va_end(ap);
	return o;
}

/* A defence in depth: libcurl's messages and ours never include the
 * secret, but if one ever did, the result (which is stored and shown) must
 * not. */
static void scrub_secret(const struct notify_target *t, struct notify_result *r)
{
	if (!t->secret || t->secret_len == 0)
		return;
	if (memmem(r->error, strlen(r->error), t->secret, t->secret_len))
		str_copy(
		    r->error, sizeof(r->error),
		    "the error text was withheld: it contained the secret");
}

enum notify_outcome notify_send(const struct notify_target *t,
                                const struct notify_message *m, int64_t now_ms,
                                struct notify_result *r)
{
	memset(r, 0, sizeof(*r));
	r->outcome = NOTIFY_PERMANENT;
	r->retry_after_s = -1;
	if (!t || !m)
		return notify_fail(r, NOTIFY_PERMANENT,
		                   "no target or no message");
	if ((unsigned)t->kind >= KIND_COUNT)
		return notify_fail(r, NOTIFY_PERMANENT, "unknown transport %d",
		                   (int)t->kind);
	if (!notify_key_valid(m->idempotency_key))
		return notify_fail(r, NOTIFY_PERMANENT,
		                   "invalid idempotency key (want 1 to %d of "
		                   "A-Z a-z 0-9 _ -)",
		                   NOTIFY_KEY_MAX);
	if (m->kind && !notify_kind_valid(m->kind))
		return notify_fail(r, NOTIFY_PERMANENT,
		                   "invalid message kind (want 1 to 64 of "
		                   "a-z 0-9 _ . -)");
	if (!m->body && m->body_len > 0)
		return notify_fail(r, NOTIFY_PERMANENT, "no message body");
	if (m->body_len > NOTIFY_BODY_MAX)
		return notify_fail(r, NOTIFY_PERMANENT,
		                   "message body of %zu bytes is over the "
		                   "limit of %zu",
		                   m->body_len, NOTIFY_BODY_MAX);
	backends[t->kind]->send(t, m, now_ms, r);
	if (r->outcome == NOTIFY_DELIVERED)
		r->error[0] = '\0';
	scrub_secret(t, r);
	return r->outcome;
}

bool notify_url_check(const char *url, const char *const *schemes, char *scheme,
                      size_t size, struct notify_result *r)
{
	CURLU *u = NULL;
	char *part = NULL;
	bool ok = false;

	if (str_empty(url)) {
		notify_fail(r, NOTIFY_PERMANENT, "no URL");
		goto out;
	}
	if (!str_no_controls(url, strlen(url), false)) {
		notify_fail(r, NOTIFY_PERMANENT,
		            "control characters in the URL");
		goto out;
	}
	u = curl_url();
	if (!u)
		mem_oom(sizeof(void *));
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK) {
		notify_fail(r, NOTIFY_PERMANENT, "malformed URL");
		goto out;
	}
	if (curl_url_get(u, CURLUPART_USER, &part, 0) == CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PASSWORD, &part, 0) == CURLUE_OK) {
		notify_fail(r, NOTIFY_PERMANENT,
		            "credentials inside the URL are refused: give the "
		            "user name apart and the secret from a file or the "
		            "environment");
		goto out;
	}
	if (curl_url_get(u, CURLUPART_SCHEME, &part, 0) != CURLUE_OK) {
		notify_fail(r, NOTIFY_PERMANENT, "the URL has no scheme");
		goto out;
	}
	str_ascii_lower(part);
	for (size_t i = 0; schemes[i]; i++)
		if (strcmp(part, schemes[i]) == 0)
			ok = true;
	if (!ok) {
		notify_fail(r, NOTIFY_PERMANENT,
		            "the URL scheme %.16s is not accepted here", part);
		goto out;
	}
	str_copy(scheme, size, part);
	curl_free(part);
	part = NULL;
	if (curl_url_get(u, CURLUPART_HOST, &part, 0) != CURLUE_OK ||
	    part[0] == '\0') {
		ok = false;
		notify_fail(r, NOTIFY_PERMANENT, "the URL has no host");
		goto out;
	}
out:
	curl_free(part);
	curl_url_cleanup(u);
	return ok;
}

#if LIBCURL_VERSION_NUM < 0x075500
/* Before curl 7.85 protocols are a bit mask; maps our list onto it. */
static long protocol_mask(const char *protocols)
{
	long mask = 0;
	char one[16];
	const char *p = protocols;

	while (*p) {
		size_t n = strcspn(p, ",");
		if (n < sizeof(one)) {
			memcpy(one, p, n);
			one[n] = '\0';
			if (strcmp(one, "http") == 0)
				mask |= CURLPROTO_HTTP;
			else if (strcmp(one, "https") == 0)
				mask |= CURLPROTO_HTTPS;
			else if (strcmp(one, "smtp") == 0)
				mask |= CURLPROTO_SMTP;
			else if (strcmp(one, "smtps") == 0)
				mask |= CURLPROTO_SMTPS;
		}
		p += n;
		if (*p == ',')
			p++;
	}
	return mask;
}
#endif

/* Clamps a configured time to what libcurl takes; <= 0 gives `fallback`. */
static long timeout_ms(int64_t configured, long fallback)
{
	if (configured <= 0)
		return fallback;
	if (configured > (int64_t)3600 * 1000)
		return 3600L * 1000;
	return (long)configured;
}

CURL *notify_curl_new(const struct notify_target *t, const char *url,
                      const struct notify_curl_profile *profile, char *errbuf,
                      struct notify_result *r)
{
	CURL *c = curl_easy_init();
	CURLcode rc = CURLE_OK;

	errbuf[0] = '\0';
	if (!c) {
		notify_fail(r, NOTIFY_RETRY, "libcurl: cannot make a handle");
		return NULL;
	}
	/* Each setopt below is checked: an option this libcurl does not know
	 * must not be ignored silently (a protocol limit, a CA file). */
	if ((rc = curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf)) ||
	    (rc = curl_easy_setopt(c, CURLOPT_URL, url)) ||
	    (rc = curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L)) ||
#if LIBCURL_VERSION_NUM >= 0x075500
	    (rc = curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR,
	                           profile->protocols)) ||
#else
	    (rc = curl_easy_setopt(c, CURLOPT_PROTOCOLS,
	                           protocol_mask(profile->protocols))) ||
#endif
	    (rc = curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L)) ||
	    (rc = curl_easy_setopt(
	         c, CURLOPT_TIMEOUT_MS,
	         timeout_ms(t->timeout_ms, profile->timeout_ms))) ||
	    (rc = curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
	                           timeout_ms(t->connect_timeout_ms,
	                                      profile->connect_timeout_ms))) ||
	    (rc = curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L)) ||
	    (rc = curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L)) ||
	    (rc = curl_easy_setopt(c, CURLOPT_SSLVERSION,
	                           (long)CURL_SSLVERSION_TLSv1_2)) ||
	    (rc = curl_easy_setopt(c, CURLOPT_USERAGENT,
	                           "htdispatch/" HTD_VERSION)))
		goto fail;
	if (t->ca_file &&
	    (rc = curl_easy_setopt(c, CURLOPT_CAINFO, t->ca_file)) != CURLE_OK)
		goto fail;
	return c;
fail:
	curl_easy_cleanup(c);
	notify_fail(r, NOTIFY_PERMANENT, "libcurl: %s", curl_easy_strerror(rc));
	return NULL;
}

enum notify_outcome notify_curl_outcome(CURLcode rc)
{
	switch (rc) {
	case CURLE_OK: return NOTIFY_DELIVERED;
	/* Needs a person: the configuration or the receiver's certificate is
	 * wrong, or someone is in the middle. Retrying cannot fix it, and
	 * failing loudly now gets it fixed sooner. */
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
	case CURLE_NOT_BUILT_IN:
	case CURLE_FAILED_INIT:
	case CURLE_UNKNOWN_OPTION:
	case CURLE_BAD_FUNCTION_ARGUMENT:
	case CURLE_TOO_MANY_REDIRECTS:
	case CURLE_LOGIN_DENIED:
	case CURLE_USE_SSL_FAILED:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_SSL_CRL_BADFILE:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_ENGINE_NOTFOUND:
	case CURLE_SSL_ENGINE_SETFAILED:
	case CURLE_SSL_ENGINE_INITFAILED:
	case CURLE_FILESIZE_EXCEEDED: return NOTIFY_PERMANENT;
	/* Everything else is worth another try: connection refused or reset,
	 * timeouts, a name that did not resolve, a TLS handshake cut short,
	 * a receiver that hung up mid-request, out of memory. A failure we
	 * did not foresee is retried too: the outbox fails it loudly once the
	 * retries are spent, so it is never lost. */
	default: return NOTIFY_RETRY;
	}
}

enum notify_outcome notify_curl_fail(struct notify_result *r, CURLcode rc,
                                     const char *errbuf, const char *what)
{
	return notify_fail(r, notify_curl_outcome(rc), "%s: %s", what,
	                   errbuf && errbuf[0] ? errbuf
	                                       : curl_easy_strerror(rc));
}

void notify_curl_elapsed(CURL *curl, struct notify_result *r)
{
	curl_off_t us = 0;

	if (curl_easy_getinfo(curl, CURLINFO_TOTAL_TIME_T, &us) == CURLE_OK)
		r->elapsed_ms = (int64_t)(us / 1000);
}

/* ---- secrets ------------------------------------------------------------ */

void notify_secret_free(struct notify_secret *s)
{
	if (!s)
		return;
	if (s->data) {
		OPENSSL_cleanse(s->data, s->len);
		free(s->data);
	}
	s->data = NULL;
	s->len = 0;
}

/* Drops one trailing "\n" or "\r\n" and NUL-terminates. */
static void secret_trim(struct notify_secret *s)
{
	if (s->len > 0 && s->data[s->len - 1] == '\n') {
		s->len--;
		if (s->len > 0 && s->data[s->len - 1] == '\r')
			s->len--;
	}
	s->data[s->len] = '\0';
}

static enum htd_err secret_from_file(const char *path,
                                     struct notify_secret *out,
                                     struct htd_error *err)
{
	enum htd_err rc = HTD_OK;
	struct stat sb;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return htd_error_set(
		    err, errno == ENOENT ? HTD_ERR_NOT_FOUND : HTD_ERR_IO,
		    "secret file %s: %s", path, strerror(errno));
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		rc =
		    htd_error_set(err, HTD_ERR_INVALID,
		                  "secret file %s is not a regular file", path);
		goto out;
	}
	if (sb.st_mode & (S_IRWXO)) {
		rc = htd_error_set(err, HTD_ERR_INVALID,
		                   "secret file %s is open to other users "
		                   "(chmod o-rwx %s)",
		                   path, path);
		goto out;
	}
	out->data = xmalloc(NOTIFY_SECRET_MAX + 2);
	while (out->len < NOTIFY_SECRET_MAX + 1) {
		ssize_t n = read(fd, out->data + out->len,
		                 NOTIFY_SECRET_MAX + 1 - out->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc =
			    htd_error_set(err, HTD_ERR_IO, "secret file %s: %s",
			                  path, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		out->len += (size_t)n;
	}
	if (out->len > NOTIFY_SECRET_MAX) {
		rc = htd_error_set(err, HTD_ERR_TOO_LARGE,
		                   "secret file %s is over %d bytes", path,
		                   NOTIFY_SECRET_MAX);
		goto out;
	}
	secret_trim(out);
out:
	close(fd);
	if (rc != HTD_OK)
		notify_secret_free(out);
	return rc;
}

enum htd_err notify_secret_read(const char *ref, struct notify_secret *out,
                                struct htd_error *err)
{
	enum htd_err rc;

	out->data = NULL;
	out->len = 0;
	if (ref && strncmp(ref, "file:", 5) == 0 && ref[5]) {
		rc = secret_from_file(ref + 5, out, err);
	} else if (ref && strncmp(ref, "env:", 4) == 0 && ref[4]) {
		const char *v = getenv(ref + 4);
		if (!v)
			return htd_error_set(err, HTD_ERR_NOT_FOUND,
			                     "secret variable %s is not set",
			                     ref + 4);
		size_t n = strlen(v);
		if (n > NOTIFY_SECRET_MAX)
			return htd_error_set(err, HTD_ERR_TOO_LARGE,
			                     "secret variable %s is over %d "
			                     "bytes",
			                     ref + 4, NOTIFY_SECRET_MAX);
		out->data = xmalloc(n + 1);
		memcpy(out->data, v, n);
		out->len = n;
		secret_trim(out);
		rc = HTD_OK;
	} else {
		return htd_error_set(err, HTD_ERR_INVALID,
		                     "a secret is named as file:/path or "
		                     "env:NAME");
	}
	if (rc == HTD_OK && out->len == 0) {
		notify_secret_free(out);
		rc = htd_error_set(err, HTD_ERR_INVALID,
		                   "the secret %s is empty", ref);
	}
	return rc;
}
