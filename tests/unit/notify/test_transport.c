/*
 * test_transport.c - the notification transports without a receiver: the
 * webhook signature against a known value, idempotency keys, the e-mail as
 * built (headers, Message-ID from the key, RFC 2047 subjects, 7bit or
 * quoted-printable bodies, CRLF, line lengths), every refusal that must
 * happen before anything is contacted (a listening socket proves nothing
 * connected), connection refused as RETRY, the spool directory (atomic,
 * idempotent, no path traversal, which errors are permanent) and secrets
 * read from files and the environment, never echoed in a result. The
 * transports against real receivers are in tests/integration/notify.sh.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "notify/transport.h"
#include "testutil.h"
#include "util/str.h"

static const unsigned char key32[] = "0123456789abcdef0123456789abcdef";
static const char password[] = "Pa55-word-never-shown";
static char dir[512];

static void setup(void)
{
	struct htd_error err;
	cr_assert_eq(notify_global_init(&err), HTD_OK, "%s", err.message);
	str_copy(dir, sizeof(dir), tu_tmpdir());
}

static void teardown(void)
{
	tu_rmtree(dir);
	notify_global_cleanup();
}

TestSuite(notify_transport, .init = setup, .fini = teardown);

/* A listening loopback socket nobody accepts from: if a transport
 * connected, accept() finds the connection in the backlog. */
static int listener(int *port)
{
	struct sockaddr_in a = { 0 };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);

	cr_assert_geq(fd, 0);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	cr_assert_eq(listen(fd, 8), 0);
	cr_assert_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	*port = ntohs(a.sin_port);
	return fd;
}

static bool contacted(int fd)
{
	int c = accept(fd, NULL, NULL);
	if (c >= 0) {
		close(c);
		return true;
	}
	cr_assert(errno == EAGAIN || errno == EWOULDBLOCK);
	return false;
}

/* A loopback port nothing listens on. */
static int closed_port(void)
{
	int port;
	int fd = listener(&port);
	close(fd);
	return port;
}

static struct notify_message message(void)
{
	struct notify_message m = { 0 };
	m.idempotency_key = "ntf-000001-supervisor";
	m.kind = "supervisor_notice";
	m.body = "{\"call\":\"HT-2026-000001\"}";
	m.body_len = strlen(m.body);
	m.subject = "Trafficking call HT-2026-000001";
	m.created_ms = 1764406459000; /* 2025-11-29T08:54:19Z, a Saturday */
	return m;
}

static const char *const to_one[] = { "supervisor@agency.example" };

static struct notify_target smtp_target(const char *url)
{
	struct notify_target t = { 0 };
	t.kind = NOTIFY_TRANSPORT_SMTP;
	t.url = url;
	t.from = "htdispatch@agency.example";
	t.to = to_one;
	t.n_to = 1;
	return t;
}

static struct notify_target webhook_target(const char *url)
{
	struct notify_target t = { 0 };
	t.kind = NOTIFY_TRANSPORT_WEBHOOK;
	t.url = url;
	t.allow_http = true;
	t.secret = key32;
	t.secret_len = 32;
	t.timeout_ms = 2000;
	return t;
}

/* ---- names, keys, signature -------------------------------------------- */

Test(notify_transport, names)
{
	enum notify_transport_kind k = NOTIFY_TRANSPORT_WEBHOOK;
	cr_assert_str_eq(notify_outcome_name(NOTIFY_DELIVERED), "delivered");
	cr_assert_str_eq(notify_outcome_name(NOTIFY_RETRY), "retry");
	cr_assert_str_eq(notify_outcome_name(NOTIFY_PERMANENT), "permanent");
	cr_assert(notify_transport_kind_parse("spool", &k));
	cr_assert_eq(k, NOTIFY_TRANSPORT_SPOOL);
	cr_assert_str_eq(notify_transport_kind_name(k), "spool");
	cr_assert_not(notify_transport_kind_parse("fax", &k));
	cr_assert_eq(k, NOTIFY_TRANSPORT_SPOOL);
}

Test(notify_transport, keys)
{
	char long_key[NOTIFY_KEY_MAX + 2];
	cr_assert(notify_key_valid("a"));
	cr_assert(notify_key_valid("HT-2026-000001_supervisor"));
	cr_assert_not(notify_key_valid(NULL));
	cr_assert_not(notify_key_valid(""));
	cr_assert_not(notify_key_valid("../etc/passwd"));
	cr_assert_not(notify_key_valid("a/b"));
	cr_assert_not(notify_key_valid("a.b"));
	cr_assert_not(notify_key_valid("a b"));
	cr_assert_not(notify_key_valid("a\r\nX-Evil: 1"));
	memset(long_key, 'k', sizeof(long_key));
	long_key[NOTIFY_KEY_MAX] = '\0';
	cr_assert(notify_key_valid(long_key));
	long_key[NOTIFY_KEY_MAX] = 'k';
	long_key[NOTIFY_KEY_MAX + 1] = '\0';
	cr_assert_not(notify_key_valid(long_key));

	cr_assert(notify_kind_valid("supervisor_notice"));
	cr_assert(notify_kind_valid("cap.alert-1"));
	cr_assert_not(notify_kind_valid(NULL));
	cr_assert_not(notify_kind_valid(""));
	cr_assert_not(notify_kind_valid("Radio"));
	cr_assert_not(notify_kind_valid("radio\r\nX-Evil: 1"));
}

/* The values are Python's hmac.new(key, b"1700000000." + body, sha256). */
Test(notify_transport, signature_known_value)
{
	char sig[NOTIFY_SIGNATURE_MAX];
	cr_assert(
	    notify_webhook_sign(key32, 32, 1700000000, "{\"a\":1}", 7, sig));
	cr_assert_str_eq(sig, "sha256=f05f2539e3ae1c49aec5f8cfdad75ef6b06480b1"
	                      "33973ffbb7ec9e18827af177");
	cr_assert(notify_webhook_sign(key32, 32, 1700000000, NULL, 0, sig));
	cr_assert_str_eq(sig, "sha256=6d033471ca61b72c721ec8c18ea70b31ea9ee2c7"
	                      "aab01ae0fa01bc68c1579648");
}

/* ---- refusals before anything is contacted ------------------------------ */

Test(notify_transport, bad_key_refused_by_every_transport)
{
	int port;
	int fd = listener(&port);
	char url[64];
	struct notify_result r;
	struct notify_message m = message();
	struct notify_target w, s, sp = { 0 };

	str_format(url, sizeof(url), "http://127.0.0.1:%d/hook", port);
	w = webhook_target(url);
	str_format(url, sizeof(url), "smtp://127.0.0.1:%d", port);
	s = smtp_target(url);
	sp.kind = NOTIFY_TRANSPORT_SPOOL;
	sp.spool_dir = dir;
	m.idempotency_key = "../../etc/cron.d/x";
	cr_assert_eq(notify_send(&w, &m, 1700000000000, &r), NOTIFY_PERMANENT);
	cr_assert(strstr(r.error, "idempotency key"), "%s", r.error);
	cr_assert_eq(notify_send(&s, &m, 1700000000000, &r), NOTIFY_PERMANENT);
	cr_assert_eq(notify_send(&sp, &m, 1700000000000, &r), NOTIFY_PERMANENT);
	cr_assert_eq(r.outcome, NOTIFY_PERMANENT);
	cr_assert_eq(r.status, 0);
	cr_assert_eq(r.retry_after_s, -1);
	cr_assert_not(contacted(fd));
	close(fd);
}

Test(notify_transport, smtp_header_injection_refused_without_contact)
{
	int port;
	int fd = listener(&port);
	char url[64];
	struct notify_result r;
	struct notify_message m = message();
	struct notify_target t;
	static const char *const evil_to[] = {
		"a@agency.example\r\nBcc: everyone@example.com"
	};

	str_format(url, sizeof(url), "smtp://127.0.0.1:%d", port);
	t = smtp_target(url);
	m.subject = "Call\r\nBcc: everyone@example.com";
	cr_assert_eq(notify_send(&t, &m, 1700000000000, &r), NOTIFY_PERMANENT);
	cr_assert(strstr(r.error, "subject"), "%s", r.error);
	m.subject = "Call\nBcc: x@example.com";
	cr_assert_eq(notify_send(&t, &m, 1700000000000, &r), NOTIFY_PERMANENT);
	m.subject = "Call\rX";
	cr_assert_eq(notify_send(&t, &m, 1700000000000, &r), NOTIFY_PERMANENT);
	m = message();
	t.to = evil_to;
	cr_assert_eq(notify_send(&t, &m, 1700000000000, &r), NOTIFY_PERMANENT);
	cr_assert(strstr(r.error, "recipient"), "%s", r.error);
	t.to = to_one;
	t.from = "me@agency.example>\r\nRCPT TO:<x@example.com";
	cr_assert_eq(notify_send(&t, &m, 1700000000000, &r), NOTIFY_PERMANENT);
	cr_assert(strstr(r.error, "From"), "%s", r.error);
	t.from = "htdispatch@agency.example";
	m.kind = "radio\r\nX-Evil: 1";
	cr_assert_eq(notify_send(&t, &m, 1700000000000, &r), NOTIFY_PERMANENT);
	cr_assert_not(contacted(fd));
	close(fd);
}

Test(notify_transport, smtp_password_never_in_clear)
{
	int port;
	int fd = listener(&port);
	char url[64];
	struct notify_result r;
	struct notify_message m = message();
	struct notify_target t;

	str_format(url, sizeof(url), "smtp://127.0.0.1:%d", port);
	t = smtp_target(url);
	t.username = "htdispatch";
	t.secret = (const unsigned char *)password;
	t.secret_len = strlen(password);
	cr_assert_eq(notify_send(&t, &m, 1700000000000, &r), NOTIFY_PERMANENT);
	cr_assert(strstr(r.error, "clear"), "%s", r.error);
	cr_assert_null(strstr(r.error, password));
	/* A user name without a password, and the other way round. */
	t.secret = NULL;
	t.secret_len = 0;
	cr_assert_eq(notify_send(&t, &m, 1700000000000, &r), NOTIFY_PERMANENT);
	t.username = NULL;
	t.secret = (const unsigned char *)password;
	t.secret_len = strlen(password);
	cr_assert_eq(notify_send(&t, &m, 1700000000000, &r), NOTIFY_PERMANENT);
	cr_assert_not(contacted(fd));
	close(fd);
}

Test(notify_transport, urls_checked)
{
	int port;
	int fd = listener(&port);
	char url[128];
	struct notify_result r;
	struct notify_message m = message();
	struct notify_target t;

	/* Credentials belong in a secret file, never in the URL (policy). */
	str_format(url, sizeof(url), "http://user:%s@127.0.0.1:%d/", password,
	           port);
	t = webhook_target(url);
	cr_assert_eq(notify_send(&t, &m, 1700000000000, &r), NOTIFY_PERMANENT);
	cr_assert(strstr(r.error, "credentials"), "%s", r.error);
	cr_assert_null(strstr(r.error, password));
	str_format(url, sizeof(url), "smtp://user@127.0.0.1:%d", port);
	t = smtp_target(url);
	cr_assert_eq(notify_send(&t, &m, 1700000000000, &r), NOTIFY_PERMANENT);

	/* Plain HTTP only when allowed; other schemes never. */
	str_format(url, sizeof(url), "http://127.0.0.1:%d/", port);
	t = webhook_target(url);
	t.allow_http = false;
	cr_assert_eq(notify_send(&t, &m, 1700000000000, &r), NOTIFY_PERMANENT);
	cr_assert(strstr(r.error, "https"), "%s", r.error);
	str_format(url, sizeof(url), "ftp://127.0.0.1:%d/", port);
	t = webhook_target(url);
	cr_assert_eq(notify_send(&t, &m, 1700000000000, &r), NOTIFY_PERMANENT);
	str_format(url, sizeof(url), "file:///etc/passwd");
	t = webhook_target(url);
	cr_assert_eq(notify_send(&t, &m, 1700000000000, &r), NOTIFY_PERMANENT);
	str_format(url, sizeof(url), "http://127.0.0.1:%d/", port);
	t = smtp_target(url);
	cr_assert_eq(notify_send(&t, &m, 1700000000000, &r), NOTIFY_PERMANENT);
	t = webhook_target("not a url");
	cr_assert_eq(notify_send(&t, &m, 1700000000000, &r), NOTIFY_PERMANENT);
	t = webhook_target(NULL);
	cr_assert_eq(notify_send(&t, &m, 1700000000000, &r), NOTIFY_PERMANENT);

	/* A webhook key must be there and not trivially short. */
	str_format(url, sizeof(url), "http://127.0.0.1:%d/", port);
	t = webhook_target(url);
	t.secret = (const unsigned char *)"short";
	t.secret_len = 5;
	cr_assert_eq(notify_send(&t, &m, 1700000000000, &r), NOTIFY_PERMANENT);
	cr_assert(strstr(r.error, "key"), "%s", r.error);
	t.secret = NULL;
	t.secret_len = 0;
	cr_assert_eq(notify_send(&t, &m, 1700000000000, &r), NOTIFY_PERMANENT);
	cr_assert_not(contacted(fd));
	close(fd);
}

/* ---- a receiver that is not there --------------------------------------- */

Test(notify_transport, connection_refused_is_retry)
{
	char url[64];
	struct notify_result r;
	struct notify_message m = message();
	struct notify_target t;
	int port = closed_port();

	str_format(url, sizeof(url), "http://127.0.0.1:%d/hook", port);
	t = webhook_target(url);
	cr_assert_eq(notify_send(&t, &m, 1700000000000, &r), NOTIFY_RETRY);
	cr_assert_eq(r.status, 0);
	cr_assert(strstr(r.error, "webhook"), "%s", r.error);
	cr_assert_null(strstr(r.error, (const char *)key32));

	str_format(url, sizeof(url), "smtps://127.0.0.1:%d", port);
	t = smtp_target(url);
	t.username = "htdispatch";
	t.secret = (const unsigned char *)password;
	t.secret_len = strlen(password);
	cr_assert_eq(notify_send(&t, &m, 1700000000000, &r), NOTIFY_RETRY);
	cr_assert_null(strstr(r.error, password), "%s", r.error);
	cr_assert_null(strstr(r.error, m.body), "%s", r.error);
}

/* ---- the e-mail as built ------------------------------------------------ */

/* Checks what every message must be: CRLF only, no line over 998. */
static void assert_wire_form(const char *msg, size_t len)
{
	size_t line = 0;
	for (size_t i = 0; i < len; i++) {
		if (msg[i] == '\r') {
			cr_assert(i + 1 < len && msg[i + 1] == '\n',
			          "bare CR at %zu", i);
			line = 0;
			i++;
			continue;
		}
		cr_assert_neq(msg[i], '\n', "bare LF at %zu", i);
		cr_assert_leq(++line, 998, "line over 998 octets at %zu", i);
	}
}

Test(notify_transport, smtp_message_headers)
{
	static const char *const to_two[] = { "a@agency.example",
		                              "b@agency.example" };
	struct buf b;
	struct notify_result r = { 0 };
	struct notify_message m = message();
	struct notify_target t = smtp_target("smtp://127.0.0.1:25");

	t.to = to_two;
	t.n_to = 2;
	m.body = "Caller reports workers locked in.\nCall HT-2026-000001.\n";
	m.body_len = strlen(m.body);
	buf_init(&b, 0);
	cr_assert(notify_smtp_format(&t, &m, 1800000000000, &b, &r), "%s",
	          r.error);
	const char *s = buf_str(&b);
	assert_wire_form(s, b.len);
	cr_assert(strstr(s, "Date: Sat, 29 Nov 2025 08:54:19 +0000\r\n"), "%s",
	          s);
	cr_assert(strstr(s, "From: htdispatch@agency.example\r\n"), "%s", s);
	cr_assert(strstr(s, "To: a@agency.example,\r\n b@agency.example\r\n"));
	cr_assert(strstr(s, "Subject: Trafficking call HT-2026-000001\r\n"));
	cr_assert(
	    strstr(s, "Message-ID: <ntf-000001-supervisor@htdispatch>\r\n"));
	cr_assert(strstr(s, "MIME-Version: 1.0\r\n"));
	cr_assert(strstr(s, "Content-Type: text/plain; charset=utf-8\r\n"));
	cr_assert(strstr(s, "Content-Transfer-Encoding: 7bit\r\n"));
	cr_assert(strstr(s, "Auto-Submitted: auto-generated\r\n"));
	cr_assert(strstr(s, "X-Htdispatch-Kind: supervisor_notice\r\n"));
	cr_assert(strstr(s, "\r\n\r\nCaller reports workers locked in.\r\n"
	                    "Call HT-2026-000001.\r\n"));
	cr_assert_eq(s[b.len - 1], '\n');
	buf_free(&b);

	/* Without created_ms the Date is now. */
	m.created_ms = 0;
	buf_init(&b, 0);
	cr_assert(notify_smtp_format(&t, &m, 1700000000000, &b, &r));
	cr_assert(strstr(buf_str(&b), "Date: Tue, 14 Nov 2023 22:13:20 +0000"));
	buf_free(&b);
}

Test(notify_transport, smtp_subject_rfc2047)
{
	struct buf b;
	struct notify_result r = { 0 };
	struct notify_message m = message();
	struct notify_target t = smtp_target("smtp://127.0.0.1:25");
	char subject[400];

	m.subject = "Llamada: víctima en Niño Perdido";
	buf_init(&b, 0);
	cr_assert(notify_smtp_format(&t, &m, 1700000000000, &b, &r));
	/* base64("Llamada: víctima en Niño Perdido") */
	cr_assert(strstr(buf_str(&b), "Subject: =?UTF-8?B?TGxhbWFkYTogdsOtY3R"
	                              "pbWEgZW4gTmnDsW8gUGVyZGlkbw==?=\r\n"),
	          "%s", buf_str(&b));
	buf_free(&b);

	/* Long, multi-byte: folded encoded words, none over 75 characters,
	 * each of whole characters, together the subject again. */
	for (size_t i = 0; i < 40; i++)
		memcpy(subject + 7 * i, "ñé€", 7);
	subject[280] = '\0';
	m.subject = subject;
	buf_init(&b, 0);
	cr_assert(notify_smtp_format(&t, &m, 1700000000000, &b, &r));
	const char *s = strstr(buf_str(&b), "Subject:");
	const char *end = strstr(s, "\r\nMessage-ID:");
	char decoded[400];
	size_t decoded_len = 0;
	int words = 0;
	for (const char *w = strstr(s, "=?UTF-8?B?"); w && w < end;
	     w = strstr(w + 1, "=?UTF-8?B?")) {
		const char *close = strstr(w + 10, "?=");
		unsigned char part[64];
		int n = EVP_DecodeBlock(part, (const unsigned char *)w + 10,
		                        (int)(close - w - 10));
		cr_assert_leq(close + 2 - w, 75);
		cr_assert_gt(n, 0);
		/* EVP_DecodeBlock counts the padding as zero bytes. */
		while (n > 0 && close[-1] == '=' && part[n - 1] == 0) {
			n--;
			close--;
		}
		cr_assert(str_utf8_valid((const char *)part, (size_t)n));
		memcpy(decoded + decoded_len, part, (size_t)n);
		decoded_len += (size_t)n;
		words++;
	}
	cr_assert_geq(words, 7);
	cr_assert_eq(decoded_len, 280);
	cr_assert_eq(memcmp(decoded, subject, 280), 0);
	assert_wire_form(buf_str(&b), b.len);
	buf_free(&b);

	/* An ASCII subject that looks like an encoded word is encoded. */
	m.subject = "=?UTF-8?B?SGk=?=";
	buf_init(&b, 0);
	cr_assert(notify_smtp_format(&t, &m, 1700000000000, &b, &r));
	cr_assert_null(strstr(buf_str(&b), "Subject: =?UTF-8?B?SGk=?=\r\n"));
	buf_free(&b);
}

Test(notify_transport, smtp_body_quoted_printable)
{
	struct buf b;
	struct notify_result r = { 0 };
	struct notify_message m = message();
	struct notify_target t = smtp_target("smtp://127.0.0.1:25");
	char body[3000];

	/* Non-ASCII text goes quoted-printable. */
	m.body = "Víctima = 2 \nfin";
	m.body_len = strlen(m.body);
	buf_init(&b, 0);
	cr_assert(notify_smtp_format(&t, &m, 1700000000000, &b, &r));
	cr_assert(strstr(buf_str(&b),
	                 "Content-Transfer-Encoding: quoted-printable\r\n"));
	cr_assert(
	    strstr(buf_str(&b), "\r\n\r\nV=C3=ADctima =3D 2=20\r\nfin\r\n"),
	    "%s", buf_str(&b));
	buf_free(&b);

	/* So does an ASCII line over 998 octets, with soft breaks. */
	memset(body, 'x', 2500);
	body[2500] = '\0';
	m.body = body;
	m.body_len = 2500;
	buf_init(&b, 0);
	cr_assert(notify_smtp_format(&t, &m, 1700000000000, &b, &r));
	cr_assert(strstr(buf_str(&b),
	                 "Content-Transfer-Encoding: quoted-printable\r\n"));
	const char *s = strstr(buf_str(&b), "\r\n\r\n") + 4;
	size_t xs = 0;
	for (const char *line = s; *line;) {
		const char *eol = strstr(line, "\r\n");
		cr_assert_not_null(eol);
		cr_assert_leq(eol - line, 76);
		for (const char *p = line; p < eol; p++)
			xs += *p == 'x';
		line = eol + 2;
	}
	cr_assert_eq(xs, 2500);
	assert_wire_form(buf_str(&b), b.len);
	buf_free(&b);

	/* Bodies must be UTF-8. */
	m.body = "\xff\xfe";
	m.body_len = 2;
	buf_init(&b, 0);
	cr_assert_not(notify_smtp_format(&t, &m, 1700000000000, &b, &r));
	cr_assert_eq(r.outcome, NOTIFY_PERMANENT);
	buf_free(&b);
}

/* ---- spool -------------------------------------------------------------- */

static struct notify_target spool_target(const char *d)
{
	struct notify_target t = { 0 };
	t.kind = NOTIFY_TRANSPORT_SPOOL;
	t.spool_dir = d;
	return t;
}

static char *read_file(const char *path)
{
	static char data[4096];
	FILE *f = fopen(path, "rb");
	cr_assert_not_null(f, "%s", path);
	size_t n = fread(data, 1, sizeof(data) - 1, f);
	data[n] = '\0';
	fclose(f);
	return data;
}

static int count_entries(const char *d)
{
	char cmd[600];
	str_format(cmd, sizeof(cmd), "test $(ls -A '%s' | wc -l) -eq 1", d);
	return system(cmd) == 0 ? 1 : 0;
}

Test(notify_transport, spool_writes_one_file_atomically)
{
	char path[700];
	struct stat sb;
	struct notify_result r;
	struct notify_message m = message();
	struct notify_target t = spool_target(dir);

	cr_assert_eq(notify_send(&t, &m, 1700000000000, &r), NOTIFY_DELIVERED,
	             "%s", r.error);
	cr_assert_str_eq(r.error, "");
	tu_path(path, sizeof(path), dir, "ntf-000001-supervisor.json");
	cr_assert_str_eq(read_file(path), m.body);
	cr_assert_eq(stat(path, &sb), 0);
	cr_assert_eq(sb.st_mode & 0777, 0640, "mode %o", sb.st_mode & 0777);
	/* No temporary file is left behind. */
	cr_assert_eq(count_entries(dir), 1);
}

Test(notify_transport, spool_same_key_twice_is_delivered_once)
{
	char path[700];
	struct notify_result r;
	struct notify_message m = message();
	struct notify_target t = spool_target(dir);

	cr_assert_eq(notify_send(&t, &m, 1700000000000, &r), NOTIFY_DELIVERED);
	tu_path(path, sizeof(path), dir, "ntf-000001-supervisor.json");
	uint64_t first = tu_file_hash(path);
	m.body = "{\"changed\":true}";
	m.body_len = strlen(m.body);
	cr_assert_eq(notify_send(&t, &m, 1700000000000, &r), NOTIFY_DELIVERED);
	cr_assert_eq(tu_file_hash(path), first, "the first file is kept");
	cr_assert_eq(count_entries(dir), 1);
}

Test(notify_transport, spool_refusals)
{
	char path[700];
	struct notify_result r;
	struct notify_message m = message();
	struct notify_target t = spool_target(dir);

	/* Path traversal in the key. */
	m.idempotency_key = "../escaped";
	cr_assert_eq(notify_send(&t, &m, 1700000000000, &r), NOTIFY_PERMANENT);
	cr_assert_eq(count_entries(dir), 0);
	m = message();

	/* Not JSON. */
	m.content_type = "text/plain";
	cr_assert_eq(notify_send(&t, &m, 1700000000000, &r), NOTIFY_PERMANENT);
	m.content_type = "application/cap+json; charset=utf-8";
	cr_assert_eq(notify_send(&t, &m, 1700000000000, &r), NOTIFY_DELIVERED,
	             "%s", r.error);
	m = message();
	m.idempotency_key = "second";

	/* No directory, or a file where the directory should be: a person
	 * must fix the configuration. */
	tu_path(path, sizeof(path), dir, "missing");
	t = spool_target(path);
	cr_assert_eq(notify_send(&t, &m, 1700000000000, &r), NOTIFY_PERMANENT);
	cr_assert(strstr(r.error, "missing"), "%s", r.error);
	tu_path(path, sizeof(path), dir, "plain-file");
	tu_write_file(path, "x", 1);
	t = spool_target(path);
	cr_assert_eq(notify_send(&t, &m, 1700000000000, &r), NOTIFY_PERMANENT);
	t = spool_target("");
	cr_assert_eq(notify_send(&t, &m, 1700000000000, &r), NOTIFY_PERMANENT);

	/* A directory where the file should be. */
	tu_path(path, sizeof(path), dir, "second.json");
	cr_assert_eq(mkdir(path, 0700), 0);
	t = spool_target(dir);
	cr_assert_eq(notify_send(&t, &m, 1700000000000, &r), NOTIFY_PERMANENT);
	cr_assert(strstr(r.error, "in the way"), "%s", r.error);
}

Test(notify_transport, spool_unwritable_directory_is_permanent)
{
	char path[700];
	struct notify_result r;
	struct notify_message m = message();
	struct notify_target t;

	if (geteuid() == 0)
		cr_skip_test("root writes to any directory");
	tu_path(path, sizeof(path), dir, "ro");
	cr_assert_eq(mkdir(path, 0500), 0);
	t = spool_target(path);
	cr_assert_eq(notify_send(&t, &m, 1700000000000, &r), NOTIFY_PERMANENT);
	cr_assert(strstr(r.error, "Permission denied"), "%s", r.error);
	chmod(path, 0700);
}

/* ---- secrets ------------------------------------------------------------ */

Test(notify_transport, secret_from_file_and_environment)
{
	char path[700];
	char ref[720];
	struct notify_secret s;
	struct htd_error err;

	tu_path(path, sizeof(path), dir, "key");
	tu_write_file(path, "s3cret-value\n", 13);
	cr_assert_eq(chmod(path, 0600), 0);
	str_format(ref, sizeof(ref), "file:%s", path);
	cr_assert_eq(notify_secret_read(ref, &s, &err), HTD_OK, "%s",
	             err.message);
	cr_assert_eq(s.len, 12);
	cr_assert_str_eq((const char *)s.data, "s3cret-value");
	notify_secret_free(&s);
	cr_assert_null(s.data);
	notify_secret_free(NULL);

	/* Open to others: refused, and the message does not quote it. */
	cr_assert_eq(chmod(path, 0644), 0);
	cr_assert_eq(notify_secret_read(ref, &s, &err), HTD_ERR_INVALID);
	cr_assert(strstr(err.message, "other users"), "%s", err.message);
	cr_assert_null(strstr(err.message, "s3cret"));
	cr_assert_null(s.data);

	tu_path(path, sizeof(path), dir, "nothing");
	str_format(ref, sizeof(ref), "file:%s", path);
	cr_assert_eq(notify_secret_read(ref, &s, &err), HTD_ERR_NOT_FOUND);

	tu_path(path, sizeof(path), dir, "empty");
	tu_write_file(path, "\r\n", 2);
	cr_assert_eq(chmod(path, 0600), 0);
	str_format(ref, sizeof(ref), "file:%s", path);
	cr_assert_eq(notify_secret_read(ref, &s, &err), HTD_ERR_INVALID);

	setenv("HTD_TEST_SECRET", "from-the-environment", 1);
	cr_assert_eq(notify_secret_read("env:HTD_TEST_SECRET", &s, &err),
	             HTD_OK);
	cr_assert_eq(s.len, 20);
	notify_secret_free(&s);
	unsetenv("HTD_TEST_SECRET");
	cr_assert_eq(notify_secret_read("env:HTD_TEST_SECRET", &s, &err),
	             HTD_ERR_NOT_FOUND);
	cr_assert_eq(notify_secret_read("s3cret-inline", &s, &err),
	             HTD_ERR_INVALID);
	cr_assert_null(strstr(err.message, "s3cret"));
	cr_assert_eq(notify_secret_read(NULL, &s, &err), HTD_ERR_INVALID);
}
