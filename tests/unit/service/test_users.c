/*
 * test_users.c - users, passwords and sessions: adding users and the field
 * named for each refusal; the password rules; the scrypt hash format;
 * logins, the one message for a wrong name or password, lock-out on the
 * fifth failure and its end fifteen minutes later; idle expiry; sessions
 * ended by a new password or a lock; tokens never stored in clear; the
 * audit entry of every change, login and logout. Time is a fixed clock
 * the tests move, so nothing sleeps.
 */
#include <criterion/criterion.h>
#include <openssl/evp.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "service/audit.h"
#include "service/users.h"
#include "testutil.h"

static char dir[512];
static char db[600];
static int64_t now;
static struct htd_clock fixed;
static struct store *store;
static struct service svc;

static const char pw_ana[] = "correct horse battery";
static const char pw_new[] = "staple tuna 4 ever!";

static void setup(void)
{
	snprintf(dir, sizeof(dir), "%s", tu_tmpdir());
	tu_path(db, sizeof(db), dir, "t.db");
	now = tu_local_ms("2026-05-01T12:00:00");
	clock_fixed(&fixed, &now);
	struct store_options o = { .path = db, .create = true };
	struct htd_error err;
	cr_assert_eq(store_open(&o, &store, &err), HTD_OK, "%s", err.message);
	svc.store = store;
	svc.clock = &fixed;
	svc.address = "10.0.0.7";
	svc.actor = "user:admin";
}

static void teardown(void)
{
	store_close(store);
	tu_rmtree(dir);
}

TestSuite(service_users, .init = setup, .fini = teardown);

static void add_ana(void)
{
	struct htd_error err;
	cr_assert_eq(users_add(&svc, "user:admin", "ana", "Ana Ruiz",
	                       "calltaker", pw_ana, &err),
	             HTD_OK, "%s", err.message);
}

static void login_ok(const char *name, const char *password,
                     char token[SESSION_TOKEN_TEXT], struct session *s)
{
	struct htd_error err;
	cr_assert_eq(
	    sessions_login(&svc, name, password, "10.0.0.9", token, s, &err),
	    HTD_OK, "%s", err.message);
}

static enum htd_err login(const char *name, const char *password,
                          struct htd_error *err)
{
	char token[SESSION_TOKEN_TEXT];
	struct session s;
	enum htd_err rc =
	    sessions_login(&svc, name, password, "10.0.0.9", token, &s, err);
	if (rc != HTD_OK)
		cr_assert_str_eq(token, "", "no token on a refused login");
	return rc;
}

static struct user get(const char *name)
{
	struct user u;
	struct htd_error err;
	cr_assert_eq(users_get(&svc, name, &u, &err), HTD_OK, "%s",
	             err.message);
	return u;
}

/* Runs a one-value query on the database file, as another program would. */
static int64_t raw_count(const char *sql)
{
	sqlite3 *h;
	sqlite3_stmt *st;
	cr_assert_eq(sqlite3_open(db, &h), SQLITE_OK);
	cr_assert_eq(sqlite3_prepare_v2(h, sql, -1, &st, NULL), SQLITE_OK, "%s",
	             sqlite3_errmsg(h));
	cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
	int64_t n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(h);
	return n;
}

/* Counts audit rows that match, bound safely. */
static int64_t audit_count(const char *action, const char *outcome)
{
	sqlite3 *h;
	sqlite3_stmt *st;
	cr_assert_eq(sqlite3_open(db, &h), SQLITE_OK);
	cr_assert_eq(sqlite3_prepare_v2(h,
	                                "SELECT count(*) FROM audit WHERE "
	                                "action = ?1 AND outcome = ?2",
	                                -1, &st, NULL),
	             SQLITE_OK);
	sqlite3_bind_text(st, 1, action, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, outcome, -1, SQLITE_STATIC);
	cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
	int64_t n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(h);
	return n;
}

/* True when `text` appears in any column of any row of `table`. */
static bool table_holds(const char *table, const char *text)
{
	sqlite3 *h;
	sqlite3_stmt *st;
	char sql[128];
	bool found = false;
	snprintf(sql, sizeof(sql), "SELECT * FROM %s", table);
	cr_assert_eq(sqlite3_open(db, &h), SQLITE_OK);
	cr_assert_eq(sqlite3_prepare_v2(h, sql, -1, &st, NULL), SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW)
		for (int i = 0; i < sqlite3_column_count(st); i++) {
			const char *v =
			    (const char *)sqlite3_column_text(st, i);
			if (v && strstr(v, text))
				found = true;
		}
	sqlite3_finalize(st);
	sqlite3_close(h);
	return found;
}

/* ---- users ----------------------------------------------------------------
 */

Test(service_users, add_get_and_list)
{
	add_ana();
	struct htd_error err;
	cr_assert_eq(users_add(&svc, "user:admin", "bo.k-9_x", "", "auditor",
	                       "another long pass", &err),
	             HTD_OK, "%s", err.message);
	struct user u = get("ana");
	cr_assert_str_eq(u.name, "ana");
	cr_assert_str_eq(u.display, "Ana Ruiz");
	cr_assert_eq(u.role, ACCESS_ROLE_CALLTAKER);
	cr_assert_not(u.disabled);
	cr_assert_eq(u.locked_until_ms, 0);
	cr_assert_eq(u.failed_logins, 0);
	cr_assert_eq(u.created_at_ms, now);
	cr_assert_eq(u.last_login_ms, 0);

	struct user_list l;
	cr_assert_eq(users_list(&svc, &l, &err), HTD_OK);
	cr_assert_eq(l.n, 2);
	cr_assert_str_eq(l.users[0].name, "ana");
	cr_assert_str_eq(l.users[1].name, "bo.k-9_x");
	cr_assert_eq(l.users[1].role, ACCESS_ROLE_AUDITOR);
	user_list_free(&l);
	user_list_free(&l);
	user_list_free(NULL);

	cr_assert_eq(users_get(&svc, "nobody", &u, &err), HTD_ERR_NOT_FOUND);
	cr_assert_eq(audit_count("user.add", "ok"), 2);
	cr_assert_eq(audit_count("user.list", "ok"), 1);
	cr_assert_eq(audit_count("user.read", "ok"), 1);
	cr_assert_eq(audit_count("user.read", "not_found"), 1);
}

static void expect_add_error(const char *name, const char *display,
                             const char *role, const char *password,
                             enum htd_err code, const char *field)
{
	struct htd_error err;
	htd_error_clear(&err);
	cr_assert_eq(
	    users_add(&svc, "user:admin", name, display, role, password, &err),
	    code, "%s/%s: %s", name, field, err.message);
	cr_assert_str_eq(err.field, field, "%s", err.message);
	if (password && password[0])
		cr_assert_null(strstr(err.message, password),
		               "the password is in the message: %s",
		               err.message);
}

Test(service_users, add_refuses_duplicates_and_bad_fields)
{
	add_ana();
	char long_name[USER_NAME_MAX + 2];
	memset(long_name, 'a', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	char long_display[USER_DISPLAY_MAX + 2];
	memset(long_display, 'd', sizeof(long_display) - 1);
	long_display[sizeof(long_display) - 1] = '\0';
	char long_pw[USER_PASSWORD_MAX + 2];
	memset(long_pw, 'p', sizeof(long_pw) - 1);
	long_pw[sizeof(long_pw) - 1] = '\0';

	expect_add_error("ana", "", "admin", "some other password",
	                 HTD_ERR_CONFLICT, "name");
	expect_add_error("a", "", "admin", pw_ana, HTD_ERR_INVALID, "name");
	expect_add_error("Ana", "", "admin", pw_ana, HTD_ERR_INVALID, "name");
	expect_add_error("an a", "", "admin", pw_ana, HTD_ERR_INVALID, "name");
	expect_add_error("ana;--", "", "admin", pw_ana, HTD_ERR_INVALID,
	                 "name");
	expect_add_error(long_name, "", "admin", pw_ana, HTD_ERR_INVALID,
	                 "name");
	expect_add_error(NULL, "", "admin", pw_ana, HTD_ERR_INVALID, "name");
	expect_add_error("cy", "two\nlines", "admin", pw_ana, HTD_ERR_INVALID,
	                 "display");
	expect_add_error("cy", long_display, "admin", pw_ana, HTD_ERR_INVALID,
	                 "display");
	expect_add_error("cy", "\xff", "admin", pw_ana, HTD_ERR_INVALID,
	                 "display");
	expect_add_error("cy", "", "root", pw_ana, HTD_ERR_INVALID, "role");
	expect_add_error("cy", "", "Admin", pw_ana, HTD_ERR_INVALID, "role");
	expect_add_error("cy", "", NULL, pw_ana, HTD_ERR_INVALID, "role");
	/* Password rules: 12..256 bytes, not the user name. */
	expect_add_error("cy", "", "admin", "short pw 11", HTD_ERR_INVALID,
	                 "password");
	expect_add_error("cy", "", "admin", "", HTD_ERR_INVALID, "password");
	expect_add_error("cy", "", "admin", NULL, HTD_ERR_INVALID, "password");
	expect_add_error("cy", "", "admin", long_pw, HTD_ERR_INVALID,
	                 "password");
	expect_add_error("cyrus.smith12", "", "admin", "Cyrus.Smith12",
	                 HTD_ERR_INVALID, "password");
	struct htd_error err;
	cr_assert_eq(users_add(&svc, "user:admin", "cy", "", "admin",
	                       "exactly12byt", &err),
	             HTD_OK, "12 bytes is enough: %s", err.message);

	/* Each refusal is on the record, naming the field, never the
	 * password. */
	cr_assert_eq(audit_count("user.add", "conflict"), 1);
	cr_assert_eq(audit_count("user.add", "invalid"), 17);
	cr_assert_eq(raw_count("SELECT count(*) FROM audit WHERE action = "
	                       "'user.add' AND detail = 'field=password'"),
	             5);
	cr_assert_not(table_holds("audit", "short pw 11"));
	cr_assert_not(table_holds("audit", "Cyrus.Smith12"));
	cr_assert_eq(raw_count("SELECT count(*) FROM users"), 2);
}

Test(service_users, update_role_and_display)
{
	add_ana();
	struct htd_error err;
	cr_assert_eq(
	    users_update(&svc, "user:admin", "ana", NULL, "supervisor", &err),
	    HTD_OK, "%s", err.message);
	struct user u = get("ana");
	cr_assert_eq(u.role, ACCESS_ROLE_SUPERVISOR);
	cr_assert_str_eq(u.display, "Ana Ruiz");
	cr_assert_eq(
	    users_update(&svc, "user:admin", "ana", "Ana R.", NULL, &err),
	    HTD_OK);
	u = get("ana");
	cr_assert_str_eq(u.display, "Ana R.");
	cr_assert_eq(u.role, ACCESS_ROLE_SUPERVISOR);
	cr_assert_eq(users_update(&svc, "user:admin", "ana", NULL, NULL, &err),
	             HTD_ERR_INVALID);
	cr_assert_eq(
	    users_update(&svc, "user:admin", "ana", NULL, "boss", &err),
	    HTD_ERR_INVALID);
	cr_assert_str_eq(err.field, "role");
	cr_assert_eq(
	    users_update(&svc, "user:admin", "zed", NULL, "admin", &err),
	    HTD_ERR_NOT_FOUND);
	cr_assert_eq(raw_count("SELECT count(*) FROM audit WHERE action = "
	                       "'user.update' AND outcome = 'ok' AND detail = "
	                       "'role=supervisor'"),
	             1);
	cr_assert_eq(audit_count("user.update", "ok"), 2);
	cr_assert_eq(audit_count("user.update", "invalid"), 2);
	cr_assert_eq(audit_count("user.update", "not_found"), 1);
	/* A person's name is not worth the audit log. */
	cr_assert_not(table_holds("audit", "Ana R."));
}

/* ---- passwords ------------------------------------------------------------
 */

Test(service_users, hash_format_and_verify)
{
	char h1[256], h2[256];
	struct htd_error err;
	cr_assert_eq(password_hash(pw_ana, h1, sizeof(h1), &err), HTD_OK);
	cr_assert_eq(password_hash(pw_ana, h2, sizeof(h2), &err), HTD_OK);
	cr_assert_eq(strncmp(h1, "scrypt$8192$8$10$", 17), 0, "%s", h1);
	/* scrypt$N$r$p$<16-byte salt: 24 base64>$<32-byte key: 44>. */
	cr_assert_eq(strlen(h1), 17 + 24 + 1 + 44, "%s", h1);
	cr_assert_eq(h1[17 + 24], '$');
	cr_assert_str_neq(h1, h2, "every hash has its own salt");
	cr_assert(password_verify(pw_ana, h1));
	cr_assert(password_verify(pw_ana, h2));
	cr_assert_not(password_verify("correct horse batterY", h1));
	cr_assert_not(password_verify("", h1));
	cr_assert_not(password_verify(NULL, h1));
	cr_assert_not(password_verify(pw_ana, NULL));
	cr_assert_null(strstr(h1, pw_ana));

	/* A known answer, from Python's hashlib.scrypt (OpenSSL too, but
	 * another code path): n=32768, r=8, p=1, dklen=32. */
	cr_assert(
	    password_verify("correct horse battery",
	                    "scrypt$32768$8$1$euL+3rwQXoop2C2Q2K7W9g==$"
	                    "j0rRZYRL5TviApk0NIuNICfFaQridIsgk5MLq9t8qH8="));

	/* Damaged or foreign hashes verify nothing. */
	static const char *const bad[] = {
		"",
		"scrypt",
		"bcrypt$32768$8$1$euL+3rwQXoop2C2Q2K7W9g==$"
		"j0rRZYRL5TviApk0NIuNICfFaQridIsgk5MLq9t8qH8=",
		"scrypt$32767$8$1$euL+3rwQXoop2C2Q2K7W9g==$"
		"j0rRZYRL5TviApk0NIuNICfFaQridIsgk5MLq9t8qH8=",
		"scrypt$1073741824$8$1$euL+3rwQXoop2C2Q2K7W9g==$"
		"j0rRZYRL5TviApk0NIuNICfFaQridIsgk5MLq9t8qH8=",
		"scrypt$32768$8$1$euL+3rwQXoop2C2Q2K7W9g==$j0rRZYRL5Tvi",
		"scrypt$32768$8$1$!!!!$"
		"j0rRZYRL5TviApk0NIuNICfFaQridIsgk5MLq9t8qH8=",
		"scrypt$32768$8$1$euL+3rwQXoop2C2Q2K7W9g==$"
		"j0rRZYRL5TviApk0NIuNICfFaQridIsgk5MLq9t8qH8=$x",
		"scrypt$32768$x$1$euL+3rwQXoop2C2Q2K7W9g==$"
		"j0rRZYRL5TviApk0NIuNICfFaQridIsgk5MLq9t8qH8=",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_not(password_verify(pw_ana, bad[i]), "case %zu", i);

	char small[32];
	cr_assert_eq(password_hash(pw_ana, small, sizeof(small), &err),
	             HTD_ERR_INTERNAL);
	cr_assert_str_eq(small, "");
}

Test(service_users, the_stored_hash_is_scrypt_not_the_password)
{
	add_ana();
	cr_assert_not(table_holds("users", pw_ana));
	cr_assert_eq(raw_count("SELECT count(*) FROM users WHERE "
	                       "password_hash LIKE 'scrypt$8192$8$10$%'"),
	             1);
}

/* ---- logins ----------------------------------------------------------------
 */

Test(service_users, login_and_check)
{
	add_ana();
	char token[SESSION_TOKEN_TEXT];
	struct session s, c;
	struct htd_error err;
	now += 1000;
	login_ok("ana", pw_ana, token, &s);
	cr_assert_eq(strlen(token), 43);
	cr_assert_eq(strspn(token, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmno"
	                           "pqrstuvwxyz0123456789-_"),
	             43, "base64url: %s", token);
	cr_assert_str_eq(s.user.name, "ana");
	cr_assert_eq(s.user.role, ACCESS_ROLE_CALLTAKER);
	cr_assert_eq(s.user.last_login_ms, now);
	cr_assert_eq(s.created_at_ms, now);
	cr_assert_eq(strlen(s.token_hash), 64);

	now += 5000;
	cr_assert_eq(sessions_check(&svc, token, &c, &err), HTD_OK, "%s",
	             err.message);
	cr_assert_str_eq(c.user.name, "ana");
	cr_assert_str_eq(c.token_hash, s.token_hash);
	/* Last-seen is refreshed at most every 1/60 of the idle limit. */
	cr_assert_eq(c.last_seen_ms, now - 5000);
	cr_assert_eq(c.created_at_ms, now - 5000);
	cr_assert_eq(get("ana").last_login_ms, now - 5000);
	now += (SESSION_IDLE_MS / SESSION_TOUCH_DIVISOR);
	cr_assert_eq(sessions_check(&svc, token, &c, &err), HTD_OK, "%s",
	             err.message);
	cr_assert_eq(c.last_seen_ms, now);
	now -= (SESSION_IDLE_MS / SESSION_TOUCH_DIVISOR);

	/* A second login is a second session. */
	char token2[SESSION_TOKEN_TEXT];
	struct session s2;
	login_ok("ana", pw_ana, token2, &s2);
	cr_assert_str_neq(token, token2);
	cr_assert_str_neq(s.token_hash, s2.token_hash);

	/* Tokens of the wrong form never reach the store. */
	static const char *const bad[] = {
		"",
		"abc",
		"not a token at all, but of length forty-three",
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_eq(sessions_check(&svc, bad[i], &c, &err),
		             HTD_ERR_UNAUTHORIZED, "case %zu", i);
	cr_assert_eq(sessions_check(&svc, NULL, &c, &err),
	             HTD_ERR_UNAUTHORIZED);
}

Test(service_users, wrong_password_and_unknown_user_look_the_same)
{
	add_ana();
	struct htd_error e1, e2, e3;
	cr_assert_eq(login("ana", "wrong password!", &e1),
	             HTD_ERR_UNAUTHORIZED);
	cr_assert_eq(login("nobody", pw_ana, &e2), HTD_ERR_UNAUTHORIZED);
	cr_assert_eq(login("Not A Name", pw_ana, &e3), HTD_ERR_UNAUTHORIZED);
	cr_assert_str_eq(e1.message, "wrong user name or password");
	cr_assert_str_eq(e2.message, e1.message);
	cr_assert_str_eq(e3.message, e1.message);
	cr_assert_eq(get("ana").failed_logins, 1);
	cr_assert_eq(audit_count("session.login", "unauthorized"), 3);
	/* Neither a password nor the name typed for an unknown user (it
	 * might be a password typed in the wrong box) is on the record. */
	cr_assert_not(table_holds("audit", "wrong password!"));
	cr_assert_not(table_holds("audit", pw_ana));
	cr_assert_not(table_holds("audit", "nobody"));
	cr_assert_eq(raw_count("SELECT count(*) FROM audit WHERE object = "
	                       "'user:(unknown)' AND actor = 'anonymous' "
	                       "AND address = '10.0.0.9'"),
	             2);
	cr_assert_eq(raw_count("SELECT count(*) FROM audit WHERE object = "
	                       "'user:ana' AND detail = 'wrong password (1 "
	                       "in a row)'"),
	             1);
}

Test(service_users, lock_out_on_the_fifth_failure_for_fifteen_minutes)
{
	add_ana();
	struct htd_error err;
	for (int i = 1; i <= 4; i++) {
		now += 1000;
		cr_assert_eq(login("ana", "not the password", &err),
		             HTD_ERR_UNAUTHORIZED, "failure %d", i);
		cr_assert_eq(get("ana").failed_logins, i);
		cr_assert_eq(get("ana").locked_until_ms, 0);
	}
	now += 1000;
	int64_t fifth = now;
	cr_assert_eq(login("ana", "not the password", &err), HTD_ERR_LOCKED);
	cr_assert(strstr(err.message, "wrong user name or password"), "%s",
	          err.message);
	cr_assert(strstr(err.message, "locked until"), "%s", err.message);
	struct user u = get("ana");
	cr_assert_eq(u.locked_until_ms, fifth + LOGIN_LOCK_MS);
	cr_assert_eq(u.failed_logins, 5);

	/* During the lock even the right password is refused, and trying
	 * does not extend it. */
	now += 60 * 1000;
	cr_assert_eq(login("ana", pw_ana, &err), HTD_ERR_LOCKED);
	cr_assert(strstr(err.message, "locked"), "%s", err.message);
	now = fifth + LOGIN_LOCK_MS - 1;
	cr_assert_eq(login("ana", pw_ana, &err), HTD_ERR_LOCKED);
	cr_assert_eq(login("ana", "not the password", &err), HTD_ERR_LOCKED);
	cr_assert_eq(get("ana").locked_until_ms, fifth + LOGIN_LOCK_MS);
	cr_assert_eq(get("ana").failed_logins, 5);

	/* Fifteen minutes after the fifth failure it opens again. */
	now = fifth + LOGIN_LOCK_MS;
	char token[SESSION_TOKEN_TEXT];
	struct session s;
	login_ok("ana", pw_ana, token, &s);
	u = get("ana");
	cr_assert_eq(u.failed_logins, 0);
	cr_assert_eq(u.locked_until_ms, 0);

	cr_assert_eq(audit_count("session.login", "unauthorized"), 5);
	cr_assert_eq(audit_count("session.login", "denied"), 3);
	cr_assert_eq(audit_count("session.login", "ok"), 1);
	cr_assert_eq(raw_count("SELECT count(*) FROM audit WHERE outcome = "
	                       "'denied' AND detail = 'locked out'"),
	             3);
}

Test(service_users, a_good_login_resets_the_count)
{
	add_ana();
	struct htd_error err;
	char token[SESSION_TOKEN_TEXT];
	struct session s;
	for (int i = 0; i < 4; i++)
		cr_assert_eq(login("ana", "not the password", &err),
		             HTD_ERR_UNAUTHORIZED);
	login_ok("ana", pw_ana, token, &s);
	cr_assert_eq(get("ana").failed_logins, 0);
	for (int i = 0; i < 4; i++)
		cr_assert_eq(login("ana", "not the password", &err),
		             HTD_ERR_UNAUTHORIZED, "count started again");
	cr_assert_eq(get("ana").locked_until_ms, 0);
}

Test(service_users, unlocking_clears_a_lock_out)
{
	add_ana();
	struct htd_error err;
	for (int i = 0; i < LOGIN_FAILURES_MAX; i++)
		login("ana", "not the password", &err);
	cr_assert_eq(login("ana", pw_ana, &err), HTD_ERR_LOCKED);
	cr_assert_eq(users_lock(&svc, "user:admin", "ana", false, &err),
	             HTD_OK);
	cr_assert_eq(get("ana").failed_logins, 0);
	cr_assert_eq(login("ana", pw_ana, &err), HTD_OK, "%s", err.message);
	cr_assert_eq(audit_count("user.unlock", "ok"), 1);
}

/* ---- sessions ---------------------------------------------------------------
 */

Test(service_users, idle_sessions_expire_after_thirty_minutes)
{
	add_ana();
	char token[SESSION_TOKEN_TEXT];
	struct session s, c;
	struct htd_error err;
	login_ok("ana", pw_ana, token, &s);
	now += SESSION_IDLE_MS; /* exactly 30 minutes: still alive */
	cr_assert_eq(sessions_check(&svc, token, &c, &err), HTD_OK, "%s",
	             err.message);
	cr_assert_eq(c.last_seen_ms, now);
	now += SESSION_IDLE_MS; /* 30 minutes since the check */
	cr_assert_eq(sessions_check(&svc, token, &c, &err), HTD_OK);
	now += SESSION_IDLE_MS + 1;
	cr_assert_eq(sessions_check(&svc, token, &c, &err),
	             HTD_ERR_UNAUTHORIZED);
	cr_assert(strstr(err.message, "30 minutes"), "%s", err.message);
	int64_t ended = now;
	/* It has ended for good. */
	now += 1;
	cr_assert_eq(sessions_check(&svc, token, &c, &err),
	             HTD_ERR_UNAUTHORIZED);
	cr_assert_eq(sessions_end(&svc, token, "10.0.0.9", &err),
	             HTD_ERR_UNAUTHORIZED);
	char sql[256];
	snprintf(sql, sizeof(sql),
	         "SELECT ended_at_ms FROM sessions WHERE token_hash = '%s'",
	         s.token_hash);
	cr_assert_eq(raw_count(sql), ended);
	cr_assert_eq(raw_count("SELECT count(*) FROM audit WHERE action = "
	                       "'session.end' AND actor = 'user:ana' AND "
	                       "detail LIKE '%idle 1800 s'"),
	             1);
}

Test(service_users, logout_ends_the_session)
{
	add_ana();
	char token[SESSION_TOKEN_TEXT], other[SESSION_TOKEN_TEXT];
	struct session s, c;
	struct htd_error err;
	login_ok("ana", pw_ana, token, &s);
	login_ok("ana", pw_ana, other, &s);
	cr_assert_eq(sessions_end(&svc, token, "10.0.0.9", &err), HTD_OK, "%s",
	             err.message);
	cr_assert_eq(sessions_check(&svc, token, &c, &err),
	             HTD_ERR_UNAUTHORIZED);
	cr_assert_eq(sessions_end(&svc, token, "10.0.0.9", &err),
	             HTD_ERR_UNAUTHORIZED);
	cr_assert_eq(sessions_check(&svc, other, &c, &err), HTD_OK,
	             "the other session lives on");
	cr_assert_eq(raw_count("SELECT count(*) FROM audit WHERE action = "
	                       "'session.end' AND address = '10.0.0.9' AND "
	                       "outcome = 'ok'"),
	             1);
}

Test(service_users, a_new_password_ends_the_sessions)
{
	add_ana();
	char token[SESSION_TOKEN_TEXT];
	struct session s, c;
	struct htd_error err;
	login_ok("ana", pw_ana, token, &s);
	cr_assert_eq(users_passwd(&svc, "user:admin", "ana", "ana", &err),
	             HTD_ERR_INVALID);
	cr_assert_str_eq(err.field, "password");
	cr_assert_eq(sessions_check(&svc, token, &c, &err), HTD_OK,
	             "a refused change ends nothing");
	cr_assert_eq(users_passwd(&svc, "user:admin", "ana", pw_new, &err),
	             HTD_OK, "%s", err.message);
	cr_assert_eq(sessions_check(&svc, token, &c, &err),
	             HTD_ERR_UNAUTHORIZED);
	cr_assert_eq(login("ana", pw_ana, &err), HTD_ERR_UNAUTHORIZED);
	cr_assert_eq(login("ana", pw_new, &err), HTD_OK, "%s", err.message);
	cr_assert_eq(users_passwd(&svc, "user:admin", "zed", pw_new, &err),
	             HTD_ERR_NOT_FOUND);
	cr_assert_eq(audit_count("user.passwd", "ok"), 1);
	cr_assert_eq(audit_count("user.passwd", "invalid"), 1);
	cr_assert_eq(audit_count("user.passwd", "not_found"), 1);
	cr_assert_not(table_holds("audit", pw_new));
}

Test(service_users, a_lock_ends_the_sessions_and_refuses_logins)
{
	add_ana();
	char token[SESSION_TOKEN_TEXT];
	struct session s, c;
	struct htd_error err;
	login_ok("ana", pw_ana, token, &s);
	cr_assert_eq(users_lock(&svc, "user:admin", "ana", true, &err), HTD_OK);
	cr_assert(get("ana").disabled);
	cr_assert_eq(sessions_check(&svc, token, &c, &err),
	             HTD_ERR_UNAUTHORIZED);
	cr_assert_eq(login("ana", pw_ana, &err), HTD_ERR_LOCKED);
	cr_assert(strstr(err.message, "disabled"), "%s", err.message);
	cr_assert_eq(login("ana", "wrong password!", &err), HTD_ERR_LOCKED);
	cr_assert_eq(users_lock(&svc, "user:admin", "ana", false, &err),
	             HTD_OK);
	cr_assert_not(get("ana").disabled);
	login_ok("ana", pw_ana, token, &s);
	cr_assert_eq(users_lock(&svc, "user:admin", "nobody", true, &err),
	             HTD_ERR_NOT_FOUND);
	cr_assert_eq(audit_count("user.lock", "ok"), 1);
	cr_assert_eq(audit_count("user.lock", "not_found"), 1);
	cr_assert_eq(raw_count("SELECT count(*) FROM audit WHERE action = "
	                       "'session.login' AND outcome = 'denied' AND "
	                       "detail = 'disabled'"),
	             2);
}

static void sha256_hex(const char *text, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	cr_assert_eq(
	    EVP_Digest(text, strlen(text), md, &len, EVP_sha256(), NULL), 1);
	for (unsigned int i = 0; i < len; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

Test(service_users, tokens_are_never_stored_in_clear)
{
	add_ana();
	char token[SESSION_TOKEN_TEXT], hex[65];
	struct session s;
	struct htd_error err;
	login_ok("ana", pw_ana, token, &s);
	sha256_hex(token, hex);
	cr_assert_str_eq(s.token_hash, hex);
	sqlite3 *h;
	sqlite3_stmt *st;
	cr_assert_eq(sqlite3_open(db, &h), SQLITE_OK);
	cr_assert_eq(sqlite3_prepare_v2(h,
	                                "SELECT token_hash, user_name FROM "
	                                "sessions",
	                                -1, &st, NULL),
	             SQLITE_OK);
	cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
	cr_assert_str_eq((const char *)sqlite3_column_text(st, 0), hex);
	cr_assert_str_eq((const char *)sqlite3_column_text(st, 1), "ana");
	cr_assert_eq(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);
	sqlite3_close(h);
	/* Nowhere in the database, not even a piece of it. */
	char piece[17];
	snprintf(piece, sizeof(piece), "%.16s", token);
	cr_assert_not(table_holds("sessions", piece));
	cr_assert_not(table_holds("audit", piece));
	cr_assert_not(table_holds("users", piece));
	cr_assert_eq(sessions_end(&svc, token, NULL, &err), HTD_OK);
	cr_assert_not(table_holds("audit", piece));
}

Test(service_users, every_change_login_and_logout_is_audited_in_order)
{
	struct htd_error err;
	char token[SESSION_TOKEN_TEXT];
	struct session s;
	add_ana();
	login_ok("ana", pw_ana, token, &s);
	login("ana", "wrong password!", &err);
	cr_assert_eq(sessions_end(&svc, token, "10.0.0.9", &err), HTD_OK);
	users_update(&svc, "user:admin", "ana", NULL, "dispatcher", &err);
	users_passwd(&svc, "user:admin", "ana", pw_new, &err);
	users_lock(&svc, "user:admin", "ana", true, &err);
	login("ana", pw_new, &err);
	users_lock(&svc, "user:admin", "ana", false, &err);

	struct audit_list l;
	struct audit_query q = { .object = "user:ana" };
	svc.actor = "user:auditor";
	cr_assert_eq(audit_list(&svc, &q, &l, &err), HTD_OK, "%s", err.message);
	static const struct {
		const char *action, *actor, *address;
		enum audit_outcome outcome;
	} want[] = {
		/* newest first */
		{ "user.unlock", "user:admin", "10.0.0.7", AUDIT_OUTCOME_OK },
		{ "session.login", "user:ana", "10.0.0.9",
		  AUDIT_OUTCOME_DENIED },
		{ "user.lock", "user:admin", "10.0.0.7", AUDIT_OUTCOME_OK },
		{ "user.passwd", "user:admin", "10.0.0.7", AUDIT_OUTCOME_OK },
		{ "user.update", "user:admin", "10.0.0.7", AUDIT_OUTCOME_OK },
		{ "session.end", "user:ana", "10.0.0.9", AUDIT_OUTCOME_OK },
		{ "session.login", "user:ana", "10.0.0.9",
		  AUDIT_OUTCOME_UNAUTHORIZED },
		{ "session.login", "user:ana", "10.0.0.9", AUDIT_OUTCOME_OK },
		{ "user.add", "user:admin", "10.0.0.7", AUDIT_OUTCOME_OK },
	};
	cr_assert_eq(l.n, sizeof(want) / sizeof(want[0]));
	for (size_t i = 0; i < l.n; i++) {
		cr_assert_str_eq(l.entries[i].action, want[i].action, "%zu", i);
		cr_assert_str_eq(l.entries[i].actor, want[i].actor, "%zu", i);
		cr_assert_str_eq(l.entries[i].address, want[i].address, "%zu",
		                 i);
		cr_assert_eq(l.entries[i].outcome, want[i].outcome, "%zu", i);
		cr_assert_str_eq(l.entries[i].object, "user:ana");
		cr_assert_eq(l.entries[i].at_ms, now);
	}
	/* login and logout name the same session, by a piece of its hash. */
	cr_assert_str_eq(l.entries[5].detail, l.entries[7].detail);
	cr_assert_eq(strncmp(l.entries[7].detail, "session ", 8), 0);
	cr_assert_eq(strncmp(l.entries[7].detail + 8, s.token_hash, 8), 0);
	audit_list_free(&l);
	cr_assert_not(table_holds("audit", pw_ana));
	cr_assert_not(table_holds("audit", pw_new));
}

Test(service_users, users_are_never_deleted)
{
	add_ana();
	sqlite3 *h;
	cr_assert_eq(sqlite3_open(db, &h), SQLITE_OK);
	cr_assert_neq(sqlite3_exec(h, "DELETE FROM users", NULL, NULL, NULL),
	              SQLITE_OK);
	sqlite3_close(h);
	cr_assert_eq(raw_count("SELECT count(*) FROM users"), 1);
}
