/*
 * users.h - users, roles and sessions: who may use htdispatch, how they
 * prove it, and for how long (CJIS Security Policy practice: unique
 * accounts, hashed secrets, session timeout, lock-out after failed logins).
 *
 * Passwords are hashed with scrypt (OpenSSL EVP_KDF "SCRYPT"; N=2^13, r=8,
 * p=10: one of the settings OWASP's Password Storage Cheat Sheet gives as
 * equal in strength to its N=2^17, p=1 minimum, and the one that needs
 * least memory, 8 MiB, so that logins do not swell a server's footprint;
 * 16-byte random salt, 32-byte key), stored as
 * "scrypt$N$r$p$<salt base64>$<hash base64>" and compared in constant
 * time. A session token is 32 random bytes (RAND_bytes), given to the
 * client once as 43 base64url characters; only its SHA-256 is stored.
 * Every change to a user, every login (good or bad) and every logout writes
 * an audit entry (service/audit.h) in the same transaction.
 *
 * Ownership: out-structs are filled by value; lists are owned by the caller
 * (user_list_free()).
 */
#ifndef HTD_SERVICE_USERS_H
#define HTD_SERVICE_USERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/access.h"
#include "service/calls.h"
#include "util/error.h"

#define USER_NAME_MAX 64     /* [a-z0-9._-], 2..64 */
#define USER_DISPLAY_MAX 128 /* UTF-8, one line */
#define USER_PASSWORD_MIN 12 /* bytes; CJIS asks for at least 8 */
#define USER_PASSWORD_MAX 256
#define SESSION_TOKEN_TEXT 44            /* 43 base64url characters + NUL */
#define SESSION_IDLE_MS (30 * 60 * 1000) /* idle sessions expire, at most */
#define SESSION_IDLE_MIN_MS 1000
/* A session's last-seen time is refreshed at most every 1/60 of the idle
 * limit (a durable write per refresh; 30 s for 30 minutes): an idle
 * session ends between 59/60 of the limit and the limit after its last
 * request. */
#define SESSION_TOUCH_DIVISOR 60
#define LOGIN_FAILURES_MAX 5           /* then the account locks */
#define LOGIN_LOCK_MS (15 * 60 * 1000) /* for this long */

struct user {
	char name[USER_NAME_MAX + 1];
	char display[USER_DISPLAY_MAX + 1];
	enum access_role role;
	bool disabled;           /* locked by an admin until unlocked */
	int64_t locked_until_ms; /* lock-out after failed logins; 0 none */
	int failed_logins;       /* since the last good login */
	int64_t created_at_ms;
	int64_t last_login_ms; /* 0 never */
};

struct user_list {
	struct user *users; /* owned */
	size_t n;
};
void user_list_free(struct user_list *l);

/* A logged-in user, as a request sees it. */
struct session {
	struct user user;
	char token_hash[65]; /* hex SHA-256 of the token: the session's id */
	int64_t created_at_ms;
	int64_t last_seen_ms;
};

/*
 * Adds a user. HTD_ERR_INVALID naming the field (name, role, password:
 * too short, too long, or equal to the name), HTD_ERR_CONFLICT when the
 * name is taken. `actor` is who does it ("cli:root", "user:admin").
 */
enum htd_err users_add(struct service *svc, const char *actor, const char *name,
                       const char *display, const char *role,
                       const char *password, struct htd_error *err);

/* Sets a new password (same rules) and ends the user's sessions. */
enum htd_err users_passwd(struct service *svc, const char *actor,
                          const char *name, const char *password,
                          struct htd_error *err);

/* Disables (lock true) or enables a user; disabling ends its sessions.
 * Enabling also clears a lock-out. */
enum htd_err users_lock(struct service *svc, const char *actor,
                        const char *name, bool lock, struct htd_error *err);

/* Changes a user's role or display name (NULL: unchanged). */
enum htd_err users_update(struct service *svc, const char *actor,
                          const char *name, const char *display,
                          const char *role, struct htd_error *err);

/* Reads one user, or all of them by name. With svc->address set these
 * reads are audited too ("user.read", "user.list"; actor svc->actor). */
enum htd_err users_get(struct service *svc, const char *name, struct user *out,
                       struct htd_error *err);
enum htd_err users_list(struct service *svc, struct user_list *out,
                        struct htd_error *err);

/*
 * Logs in from `address`. On success writes the new token to `token`
 * (NUL-terminated, SESSION_TOKEN_TEXT) and the session to `out`. A wrong
 * name or password is HTD_ERR_UNAUTHORIZED with the same message for both
 * ("wrong user name or password"); the 5th failure in a row locks the
 * account for 15 minutes, during which even the right password is refused
 * (HTD_ERR_LOCKED, saying until when). A disabled user is HTD_ERR_LOCKED.
 */
enum htd_err sessions_login(struct service *svc, const char *name,
                            const char *password, const char *address,
                            char token[SESSION_TOKEN_TEXT], struct session *out,
                            struct htd_error *err);

/*
 * Finds the session of `token` and refreshes its last-seen time.
 * HTD_ERR_UNAUTHORIZED when the token is unknown, ended, idle for more
 * than SESSION_IDLE_MS (it is then ended), or its user is disabled.
 */
enum htd_err sessions_check(struct service *svc, const char *token,
                            struct session *out, struct htd_error *err);

/*
 * Checks again, for something long-lived opened with `token` (a stream of
 * live events), that its session still stands: as sessions_check(), but
 * without refreshing the session's last-seen time, since a stream left
 * open is not someone using htdispatch. HTD_ERR_UNAUTHORIZED when the
 * session ended (logout, idle, the account disabled).
 */
enum htd_err sessions_recheck(struct service *svc, const char *token,
                              struct htd_error *err);

/* Ends the session of `token` (logout). */
enum htd_err sessions_end(struct service *svc, const char *token,
                          const char *address, struct htd_error *err);

/* Hashes `password` (for tests and the demo users); `out` gets the
 * "scrypt$..." text. And checks one. Exposed for tests. */
enum htd_err password_hash(const char *password, char *out, size_t size,
                           struct htd_error *err);
bool password_verify(const char *password, const char *stored);

#endif
