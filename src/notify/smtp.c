/*
 * smtp.c - the e-mail transport: libcurl's SMTP client with a message we
 * build ourselves (RFC 5322 headers, MIME text/plain in UTF-8, CRLF, no line
 * over 998 octets). The Message-ID is made from the idempotency key, so a
 * retried message is recognisably the same message. Nothing that comes
 * from a caller can break out of its header: addresses and the subject
 * with a CR, LF or other control are refused before anything is sent.
 */
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "notify/internal.h"
#include "util/mem.h"
#include "util/str.h"

#define ADDRESS_MAX 254 /* RFC 5321 4.5.3.1.3, a path less its <> */
#define SUBJECT_MAX 1000
#define LINE_MAX_OCTETS 998 /* RFC 5322 2.1.1, without the CRLF */
#define QP_LINE 76          /* RFC 2045 6.7 (5) */

/*
 * Returns true for a plain addr-spec we can put in a header and an SMTP
 * command as is: local@domain in printable ASCII, no spaces, no quoting,
 * no brackets, commas or other specials. Anything fancier is refused
 * rather than escaped: an agency's notification addresses are plain.
 */
static bool address_valid(const char *a)
{
	const char *at = NULL;
	size_t n = 0;

	if (!a)
		return false;
	for (; a[n]; n++) {
		unsigned char c = (unsigned char)a[n];
		if (c <= 0x20 || c >= 0x7f || strchr("<>()[]\\,;:\"", c))
			return false;
		if (c == '@') {
			if (at)
				return false;
			at = a + n;
		}
	}
	return n <= ADDRESS_MAX && at && at > a && at[1] != '\0' &&
	       (size_t)(at - a) <= 64;
}

/* Appends `s`; the buffer's cap is sized so that this cannot fail for a
 * message that passed the checks, and a failure is caught at the end. */
static bool put(struct buf *b, const char *s)
{
	return buf_puts(b, s) == HTD_OK;
}

/* "Date: Thu, 29 Nov 2026 08:54:19 +0000" (RFC 5322 3.3), in UTC and in
 * English whatever the locale. */
static bool put_date(struct buf *b, int64_t ms)
{
	static const char *const days[] = { "Sun", "Mon", "Tue", "Wed",
		                            "Thu", "Fri", "Sat" };
	static const char *const months[] = { "Jan", "Feb", "Mar", "Apr",
		                              "May", "Jun", "Jul", "Aug",
		                              "Sep", "Oct", "Nov", "Dec" };
	time_t secs = (time_t)(ms / 1000);
	struct tm tm;

	if (!gmtime_r(&secs, &tm) || tm.tm_wday < 0 || tm.tm_wday > 6 ||
	    tm.tm_mon < 0 || tm.tm_mon > 11)
		return false;
	return buf_printf(b, "Date: %s, %02d %s %04d %02d:%02d:%02d +0000\r\n",
	                  days[tm.tm_wday], tm.tm_mday, months[tm.tm_mon],
	                  tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
	                  tm.tm_sec) == HTD_OK;
}

/* Returns the length of the UTF-8 sequence that starts with `c`. */
static size_t utf8_length(unsigned char c)
{
	if (c < 0x80)
		return 1;
	if ((c & 0xe0) == 0xc0)
		return 2;
	if ((c & 0xf0) == 0xe0)
		return 3;
	return 4;
}

/*
 * "Subject: ..." as is when it is short printable ASCII, else as RFC 2047
 * encoded words (=?UTF-8?B?...?=) of at most 75 characters, each on its own
 * folded line and never splitting a character.
 */
static bool put_subject(struct buf *b, const char *s)
{
	size_t len = strlen(s);
	bool plain = len <= 900 && !strstr(s, "=?");

	for (size_t i = 0; plain && i < len; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x7f)
			plain = false;
	if (plain)
		return buf_printf(b, "Subject: %s\r\n", s) == HTD_OK;
	bool ok = put(b, "Subject:");
	size_t i = 0;
	while (ok && i < len) {
		/* 39 bytes make 52 base64 characters, 64 with =?UTF-8?B??=:
		 * every folded line stays within 76 characters. */
		unsigned char chunk[39];
		unsigned char encoded[56];
		size_t n = 0;
		while (i + n < len) {
			size_t cl = utf8_length((unsigned char)s[i + n]);
			if (n + cl > sizeof(chunk))
				break;
			n += cl;
		}
		memcpy(chunk, s + i, n);
		EVP_EncodeBlock(encoded, chunk, (int)n);
		ok = buf_printf(b, "%s=?UTF-8?B?%s?=", i == 0 ? " " : "\r\n ",
		                (const char *)encoded) == HTD_OK;
		i += n;
	}
	return ok && put(b, "\r\n");
}

/* Returns true when the body can go as 7bit: ASCII, no NUL, no CR but in
 * CRLF, lines of at most 998 octets. */
static bool body_is_7bit(const char *body, size_t len)
{
	size_t line = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)body[i];
		if (c == '\n') {
			line = 0;
			continue;
		}
		if (c == '\r' && i + 1 < len && body[i + 1] == '\n')
			continue;
		if (c == 0 || c == '\r' || c >= 0x80 ||
		    ++line > LINE_MAX_OCTETS)
			return false;
	}
	return true;
}

/* Appends the body with every line end made CRLF. */
static bool put_body_7bit(struct buf *b, const char *body, size_t len)
{
	bool ok = true;
	size_t start = 0;

	for (size_t i = 0; ok && i <= len; i++) {
		if (i < len && body[i] != '\n')
			continue;
		size_t end = i;
		if (end > start && body[end - 1] == '\r')
			end--;
		ok = buf_append(b, body + start, end - start) == HTD_OK;
		if (ok && (i < len || end > start))
			ok = put(b, "\r\n");
		start = i + 1;
	}
	return ok;
}

/* Appends the body quoted-printable (RFC 2045 6.7): line ends CRLF, soft
 * breaks keep lines within 76 characters. */
static bool put_body_qp(struct buf *b, const char *body, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	bool ok = true;
	size_t col = 0;

	for (size_t i = 0; ok && i < len; i++) {
		unsigned char c = (unsigned char)body[i];
		char token[4];
		bool line_end =
		    i + 1 == len || body[i + 1] == '\n' ||
		    (body[i + 1] == '\r' && i + 2 < len && body[i + 2] == '\n');
		if (c == '\n') {
			ok = put(b, "\r\n");
			col = 0;
			continue;
		}
		if (c == '\r' && i + 1 < len && body[i + 1] == '\n')
			continue;
		if ((c >= 33 && c <= 126 && c != '=') ||
		    ((c == ' ' || c == '\t') && !line_end)) {
			token[0] = (char)c;
			token[1] = '\0';
		} else {
			token[0] = '=';
			token[1] = hex[c >> 4];
			token[2] = hex[c & 0xf];
			token[3] = '\0';
		}
		size_t tl = strlen(token);
		/* Room for the token and, unless the line ends here, a '='. */
		if (col + tl > QP_LINE - (line_end ? 0 : 1)) {
			ok = put(b, "=\r\n");
			col = 0;
		}
		ok = ok && put(b, token);
		col += tl;
	}
	return ok && (col == 0 || put(b, "\r\n"));
}

bool notify_smtp_format(const struct notify_target *t,
                        const struct notify_message *m, int64_t now_ms,
                        struct buf *out, struct notify_result *r)
{
	const char *body = m->body ? m->body : "";
	bool seven_bit;
	bool ok;

	if (!notify_key_valid(m->idempotency_key) ||
	    (m->kind && !notify_kind_valid(m->kind))) {
		notify_fail(r, NOTIFY_PERMANENT,
		            "invalid idempotency key or message kind");
		return false;
	}
	if (!address_valid(t->from)) {
		notify_fail(r, NOTIFY_PERMANENT, "invalid From address");
		return false;
	}
	if (t->n_to == 0 || !t->to || t->n_to > NOTIFY_RECIPIENTS_MAX) {
		notify_fail(r, NOTIFY_PERMANENT,
		            "an e-mail needs 1 to %d recipients",
		            NOTIFY_RECIPIENTS_MAX);
		return false;
	}
	for (size_t i = 0; i < t->n_to; i++) {
		if (!address_valid(t->to[i])) {
			notify_fail(r, NOTIFY_PERMANENT,
			            "invalid recipient address (number %zu)",
			            i + 1);
			return false;
		}
	}
	if (str_empty(m->subject) || strlen(m->subject) > SUBJECT_MAX ||
	    !str_utf8_valid(m->subject, strlen(m->subject)) ||
	    !str_no_controls(m->subject, strlen(m->subject), false)) {
		notify_fail(r, NOTIFY_PERMANENT,
		            "invalid subject: it must be 1 to %d bytes of "
		            "UTF-8 without line breaks or other controls",
		            SUBJECT_MAX);
		return false;
	}
	if (!str_utf8_valid(body, m->body_len)) {
		notify_fail(r, NOTIFY_PERMANENT, "the body is not UTF-8");
		return false;
	}
	seven_bit = body_is_7bit(body, m->body_len);
	ok = put_date(out, m->created_ms > 0 ? m->created_ms : now_ms) &&
	     buf_printf(out, "From: %s\r\nTo: ", t->from) == HTD_OK;
	for (size_t i = 0; ok && i < t->n_to; i++)
		ok = buf_printf(out, "%s%s", i ? ",\r\n " : "", t->to[i]) ==
		     HTD_OK;
	ok = ok && put(out, "\r\n") && put_subject(out, m->subject) &&
	     buf_printf(out,
	                "Message-ID: <%s@htdispatch>\r\n"
	                "MIME-Version: 1.0\r\n"
	                "Content-Type: text/plain; charset=utf-8\r\n"
	                "Content-Transfer-Encoding: %s\r\n"
	                /* RFC 3834: no auto-replies to a machine. */
	                "Auto-Submitted: auto-generated\r\n",
	                m->idempotency_key,
	                seven_bit ? "7bit" : "quoted-printable") == HTD_OK;
	if (ok && m->kind)
		ok = buf_printf(out, "X-Htdispatch-Kind: %s\r\n", m->kind) ==
		     HTD_OK;
	ok = ok && put(out, "\r\n") &&
	     (seven_bit ? put_body_7bit(out, body, m->body_len)
	                : put_body_qp(out, body, m->body_len));
	if (!ok) {
		notify_fail(r, NOTIFY_PERMANENT,
		            "cannot build the e-mail: too large, or the "
		            "date out of range");
		return false;
	}
	return true;
}

/* The upload: libcurl reads the message from here (and dot-stuffs it). */
struct upload {
	const char *data;
	size_t len;
	size_t off;
};

static size_t on_read(char *dst, size_t size, size_t n, void *ctx)
{
	struct upload *u = ctx;
	size_t room = size * n;
	size_t left = u->len - u->off;
	size_t take = left < room ? left : room;

	memcpy(dst, u->data + u->off, take);
	u->off += take;
	return take;
}

/* Appends "<address>" to an SMTP envelope list; out of memory aborts. */
static struct curl_slist *recipient_add(struct curl_slist *list,
                                        const char *address)
{
	char line[ADDRESS_MAX + 3];
	struct curl_slist *longer;

	str_format(line, sizeof(line), "<%s>", address);
	longer = curl_slist_append(list, line);
	if (!longer)
		mem_oom(sizeof(line));
	return longer;
}

/* The outcome of a failed SMTP transfer: a 4xx reply is transient and a
 * 5xx reply final (RFC 5321 4.2.1); without one, libcurl's error says. */
static enum notify_outcome smtp_fail(struct notify_result *r, CURLcode rc,
                                     long code, const char *errbuf)
{
	const char *why = errbuf[0] ? errbuf : curl_easy_strerror(rc);

	if (code >= 400 && code <= 499)
		return notify_fail(r, NOTIFY_RETRY, "SMTP %ld: %s", code, why);
	if (code >= 500 && code <= 599)
		return notify_fail(r, NOTIFY_PERMANENT, "SMTP %ld: %s", code,
		                   why);
	return notify_curl_fail(r, rc, errbuf, "smtp");
}

static enum notify_outcome smtp_send(const struct notify_target *t,
                                     const struct notify_message *m,
                                     int64_t now_ms, struct notify_result *r)
{
	static const char *const schemes[] = { "smtp", "smtps", NULL };
	static const struct notify_curl_profile profile = {
		"smtp,smtps", NOTIFY_SMTP_TIMEOUT_DEFAULT_MS,
		NOTIFY_SMTP_CONNECT_TIMEOUT_DEFAULT_MS
	};
	char scheme[16];
	char errbuf[CURL_ERROR_SIZE];
	char mail_from[ADDRESS_MAX + 3];
	char *password = NULL;
	struct buf message;
	struct upload upload = { NULL, 0, 0 };
	struct curl_slist *rcpt = NULL;
	CURL *curl = NULL;
	CURLcode rc;
	long code = 0;
	bool tls;

	buf_init(&message, NOTIFY_BODY_MAX * 3 + 64 * 1024);
	if (!notify_url_check(t->url, schemes, scheme, sizeof(scheme), r))
		goto out;
	tls = strcmp(scheme, "smtps") == 0 || t->starttls;
	if (!str_empty(t->username) != (t->secret && t->secret_len > 0)) {
		notify_fail(r, NOTIFY_PERMANENT,
		            "SMTP AUTH needs both a user name and a password");
		goto out;
	}
	if (!str_empty(t->username) && !tls) {
		notify_fail(r, NOTIFY_PERMANENT,
		            "refusing to send the SMTP password in clear: use "
		            "smtps:// or require STARTTLS");
		goto out;
	}
	if (!str_empty(t->username) &&
	    (memchr(t->secret, '\0', t->secret_len) ||
	     !str_no_controls(t->username, strlen(t->username), false))) {
		notify_fail(r, NOTIFY_PERMANENT,
		            "the SMTP user name or password holds a control "
		            "character");
		goto out;
	}
	if (!notify_smtp_format(t, m, now_ms, &message, r))
		goto out;
	upload.data = message.data;
	upload.len = message.len;
	str_format(mail_from, sizeof(mail_from), "<%s>", t->from);
	for (size_t i = 0; i < t->n_to; i++)
		rcpt = recipient_add(rcpt, t->to[i]);

	curl = notify_curl_new(t, t->url, &profile, errbuf, r);
	if (!curl)
		goto out;
	if ((rc = curl_easy_setopt(curl, CURLOPT_MAIL_FROM, mail_from)) ||
	    (rc = curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, rcpt)) ||
	    (rc = curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L)) ||
	    (rc = curl_easy_setopt(curl, CURLOPT_READFUNCTION, on_read)) ||
	    (rc = curl_easy_setopt(curl, CURLOPT_READDATA, &upload)) ||
	    (rc = curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE,
	                           (curl_off_t)upload.len)) ||
	    (rc = curl_easy_setopt(curl, CURLOPT_USE_SSL,
	                           t->starttls ? (long)CURLUSESSL_ALL
	                                       : (long)CURLUSESSL_NONE)))
		goto setopt_failed;
	if (!str_empty(t->username)) {
		password = xmalloc(t->secret_len + 1);
		memcpy(password, t->secret, t->secret_len);
		password[t->secret_len] = '\0';
		if ((rc = curl_easy_setopt(curl, CURLOPT_USERNAME,
		                           t->username)) ||
		    (rc = curl_easy_setopt(curl, CURLOPT_PASSWORD, password)))
			goto setopt_failed;
	}

	rc = curl_easy_perform(curl);
	notify_curl_elapsed(curl, r);
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
	r->status = (int)code;
	if (rc == CURLE_OK)
		r->outcome = NOTIFY_DELIVERED;
	else
		smtp_fail(r, rc, code, errbuf);
	goto out;
setopt_failed:
	notify_fail(r, NOTIFY_PERMANENT, "libcurl: %s", curl_easy_strerror(rc));
out:
	curl_easy_cleanup(curl);
	if (password) {
		OPENSSL_cleanse(password, t->secret_len);
		free(password);
	}
	curl_slist_free_all(rcpt);
	buf_free(&message);
	return r->outcome;
}

const struct notify_backend notify_smtp_backend = {
	.name = "smtp",
	.send = smtp_send,
};
