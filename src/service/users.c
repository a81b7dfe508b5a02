/*
 * users.c - users, passwords and sessions over store/ (users.h says the
 * rules). Secrets are handled here and nowhere else: a password is hashed
 * with scrypt the moment it arrives and a session token is given out once
 * and kept only as its SHA-256; neither is ever logged, put in an error
 * message or in the audit log. Every change writes its audit entry in its
 * own transaction; a refused one is recorded on its own.
 */
#include "service/users.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "service/audit.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/str.h"

/* scrypt as users.h states it; what a stored hash may ask for is bounded
 * (a damaged row must not make a login allocate gigabytes). */
#define SCRYPT_N 8192
#define SCRYPT_R 8
#define SCRYPT_P 10
#define SCRYPT_SALT_BYTES 16
#define SCRYPT_KEY_BYTES 32
#define SCRYPT_N_MAX (1 << 20)
#define SCRYPT_R_MAX 32
#define SCRYPT_P_MAX 16
#define SCRYPT_MAXMEM (64ull * 1024 * 1024)
#define SCRYPT_BYTES_MAX 64 /* salt or key read from a stored hash */

#define TOKEN_BYTES 32
#define TOKEN_TEXT_LEN 43 /* base64url of 32 bytes, no padding */
#define CHANGE_RETRIES 8

_Static_assert(USER_NAME_MAX == STORE_USER_NAME_MAX, "user name sizes");
_Static_assert(USER_DISPLAY_MAX == STORE_USER_DISPLAY_MAX, "display sizes");
_Static_assert(SESSION_TOKEN_TEXT == TOKEN_TEXT_LEN + 1, "token size");

static const char wrong_login[] = "wrong user name or password";

/*
 * For a name that is no user: verifying against this costs what verifying
 * a real password costs, so the time a refusal takes does not tell which
 * names exist. It matches no password (its key is not scrypt's output).
 */
static const char dummy_hash[] = "scrypt$8192$8$10$AAAAAAAAAAAAAAAAAAAAAA==$"
                                 "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";

static int64_t now_ms(const struct service *svc)
{
	return clock_now_ms(svc->clock);
}

void user_list_free(struct user_list *l)
{
	if (!l)
		return;
	free(l->users);
	l->users = NULL;
	l->n = 0;
}

/* ---- passwords ---------------------------------------------------------- */

static bool scrypt_derive(const char *password, const unsigned char *salt,
                          size_t salt_len, uint64_t n, uint32_t r, uint32_t p,
                          unsigned char *key, size_t key_len)
{
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, OSSL_KDF_NAME_SCRYPT, NULL);
	EVP_KDF_CTX *ctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
	uint64_t maxmem = SCRYPT_MAXMEM;
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PASSWORD,
		                                  (void *)password,
		                                  strlen(password)),
		OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT,
		                                  (void *)salt, salt_len),
		OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_N, &n),
		OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_R, &r),
		OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_P, &p),
		OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_MAXMEM,
		                            &maxmem),
		OSSL_PARAM_construct_end(),
	};
	bool ok = ctx && EVP_KDF_derive(ctx, key, key_len, params) == 1;
	EVP_KDF_CTX_free(ctx);
	EVP_KDF_free(kdf);
	return ok;
}

/* Standard base64 with padding, as EVP_EncodeBlock writes it. */
static void base64_encode(const unsigned char *in, size_t n, char *out)
{
	EVP_EncodeBlock((unsigned char *)out, in, (int)n);
}

/* Decodes `len` bytes of padded base64 into `out` (room for `size`);
 * returns the byte count or -1. */
static int base64_decode(const char *in, size_t len, unsigned char *out,
                         size_t size)
{
	unsigned char buf[SCRYPT_BYTES_MAX + 3];
	if (len == 0 || len % 4 != 0 || len / 4 * 3 > sizeof(buf))
		return -1;
	int n = EVP_DecodeBlock(buf, (const unsigned char *)in, (int)len);
	if (n < 0)
		return -1;
	/* EVP_DecodeBlock counts the padding as zero bytes. */
	if (in[len - 1] == '=')
		n--;
	if (in[len - 2] == '=')
		n--;
	if (n <= 0 || (size_t)n > size)
		return -1;
	memcpy(out, buf, (size_t)n);
	OPENSSL_cleanse(buf, sizeof(buf));
	return n;
}

enum htd_err password_hash(const char *password, char *out, size_t size,
                           struct htd_error *err)
{
	unsigned char salt[SCRYPT_SALT_BYTES];
	unsigned char key[SCRYPT_KEY_BYTES];
	char salt64[4 * ((SCRYPT_SALT_BYTES + 2) / 3) + 1];
	char key64[4 * ((SCRYPT_KEY_BYTES + 2) / 3) + 1];
	enum htd_err rc = HTD_OK;

	if (size)
		out[0] = '\0';
	if (RAND_bytes(salt, sizeof(salt)) != 1)
		return htd_error_set(err, HTD_ERR_INTERNAL,
		                     "no random bytes for a password salt");
	if (!scrypt_derive(password ? password : "", salt, sizeof(salt),
	                   SCRYPT_N, SCRYPT_R, SCRYPT_P, key, sizeof(key))) {
		rc = htd_error_set(err, HTD_ERR_INTERNAL,
		                   "scrypt is not available in this OpenSSL");
		goto out;
	}
	base64_encode(salt, sizeof(salt), salt64);
	base64_encode(key, sizeof(key), key64);
	if (!str_format(out, size, "scrypt$%d$%d$%d$%s$%s", SCRYPT_N, SCRYPT_R,
	                SCRYPT_P, salt64, key64)) {
		if (size)
			out[0] = '\0';
		rc = htd_error_set(err, HTD_ERR_INTERNAL,
		                   "no room for a password hash");
	}
out:
	OPENSSL_cleanse(key, sizeof(key));
	OPENSSL_cleanse(key64, sizeof(key64));
	return rc;
}

/* Splits "scrypt$N$r$p$salt$key" in place into its six fields. */
static bool split_hash(char *text, char *field[6])
{
	char *p = text;
	for (int i = 0; i < 6; i++) {
		field[i] = p;
		char *dollar = strchr(p, '$');
		if (i < 5) {
			if (!dollar)
				return false;
			*dollar = '\0';
			p = dollar + 1;
		} else if (dollar) {
			return false;
		}
	}
	return true;
}

bool password_verify(const char *password, const char *stored)
{
	char text[STORE_PASSWORD_HASH_MAX + 1];
	char *f[6];
	int64_t n, r, p;
	unsigned char salt[SCRYPT_BYTES_MAX], want[SCRYPT_BYTES_MAX];
	unsigned char got[SCRYPT_BYTES_MAX];
	bool ok = false;

	if (!password || !stored || !str_copy(text, sizeof(text), stored) ||
	    !split_hash(text, f) || strcmp(f[0], "scrypt") != 0 ||
	    !str_to_i64(f[1], 2, SCRYPT_N_MAX, &n) || (n & (n - 1)) != 0 ||
	    !str_to_i64(f[2], 1, SCRYPT_R_MAX, &r) ||
	    !str_to_i64(f[3], 1, SCRYPT_P_MAX, &p))
		return false;
	int salt_len = base64_decode(f[4], strlen(f[4]), salt, sizeof(salt));
	int key_len = base64_decode(f[5], strlen(f[5]), want, sizeof(want));
	if (salt_len < 8 || key_len < 16)
		goto out;
	if (scrypt_derive(password, salt, (size_t)salt_len, (uint64_t)n,
	                  (uint32_t)r, (uint32_t)p, got, (size_t)key_len))
		ok = CRYPTO_memcmp(got, want, (size_t)key_len) == 0;
out:
	OPENSSL_cleanse(got, sizeof(got));
	OPENSSL_cleanse(want, sizeof(want));
	OPENSSL_cleanse(text, sizeof(text));
	return ok;
}

/* ---- tokens ------------------------------------------------------------- */

/* Writes a new token (base64url, no padding) to `token`. */
static bool token_new(char token[SESSION_TOKEN_TEXT])
{
	unsigned char raw[TOKEN_BYTES];
	char b64[4 * ((TOKEN_BYTES + 2) / 3) + 1];
	if (RAND_bytes(raw, sizeof(raw)) != 1)
		return false;
	base64_encode(raw, sizeof(raw), b64);
	for (size_t i = 0; i < TOKEN_TEXT_LEN; i++)
		token[i] = b64[i] == '+' ? '-' : b64[i] == '/' ? '_' : b64[i];
	token[TOKEN_TEXT_LEN] = '\0';
	OPENSSL_cleanse(raw, sizeof(raw));
	OPENSSL_cleanse(b64, sizeof(b64));
	return true;
}

/* Whether `token` has the form of one we give out; anything else is
 * refused before it reaches the store. */
static bool token_well_formed(const char *token)
{
	if (!token)
		return false;
	size_t i = 0;
	for (; token[i] && i <= TOKEN_TEXT_LEN; i++) {
		char c = token[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		      (c >= '0' && c <= '9') || c == '-' || c == '_'))
			return false;
	}
	return i == TOKEN_TEXT_LEN;
}

/* The session's id: the hex SHA-256 of its token text. */
static bool token_hash(const char *token, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	if (EVP_Digest(token, strlen(token), md, &len, EVP_sha256(), NULL) !=
	        1 ||
	    len != 32)
		return false;
	static const char hex[] = "0123456789abcdef";
	for (unsigned int i = 0; i < len; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[64] = '\0';
	return true;
}

/* ---- checking what is entered ------------------------------------------- */

static bool name_valid(const char *name)
{
	size_t n = name ? strlen(name) : 0;
	if (n < 2 || n > USER_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return false;
	}
	return true;
}

static enum htd_err check_name(const char *name, struct htd_error *err)
{
	if (name_valid(name))
		return HTD_OK;
	return htd_error_field(err, HTD_ERR_INVALID, "name",
	                       "a user name is 2 to %d characters: a-z, "
	                       "0-9, '.', '_' and '-'",
	                       USER_NAME_MAX);
}

static enum htd_err check_display(const char *display, struct htd_error *err)
{
	size_t n = display ? strlen(display) : 0;
	if (n > USER_DISPLAY_MAX)
		return htd_error_field(err, HTD_ERR_INVALID, "display",
		                       "a display name is at most %d bytes",
		                       USER_DISPLAY_MAX);
	if (!str_utf8_valid(display ? display : "", n) ||
	    !str_no_controls(display ? display : "", n, false))
		return htd_error_field(err, HTD_ERR_INVALID, "display",
		                       "a display name is one line of UTF-8 "
		                       "text");
	return HTD_OK;
}

static enum htd_err check_role(const char *role, enum access_role *out,
                               struct htd_error *err)
{
	if (access_role_parse(role, out))
		return HTD_OK;
	return htd_error_field(err, HTD_ERR_INVALID, "role",
	                       "role must be calltaker, dispatcher, "
	                       "supervisor, investigator, records, auditor "
	                       "or admin, not '%.32s'",
	                       role ? role : "");
}

/* The password rules. The password itself never goes into a message. */
static enum htd_err check_password(const char *password, const char *name,
                                   struct htd_error *err)
{
	size_t n = password ? strlen(password) : 0;
	if (n < USER_PASSWORD_MIN)
		return htd_error_field(err, HTD_ERR_INVALID, "password",
		                       "a password needs at least %d bytes",
		                       USER_PASSWORD_MIN);
	if (n > USER_PASSWORD_MAX)
		return htd_error_field(err, HTD_ERR_INVALID, "password",
		                       "a password is at most %d bytes",
		                       USER_PASSWORD_MAX);
	if (name && strcasecmp(password, name) == 0)
		return htd_error_field(err, HTD_ERR_INVALID, "password",
		                       "the password must not be the user "
		                       "name");
	return HTD_OK;
}

/* A stored user as the service shows it. */
static enum htd_err user_from_store(const struct store_user *s,
                                    struct user *out, struct htd_error *err)
{
	memset(out, 0, sizeof(*out));
	if (!access_role_parse(s->role, &out->role))
		return htd_error_set(err, HTD_ERR_CORRUPT,
		                     "user %s has an unknown role '%.32s'; the "
		                     "database was changed outside htdispatch",
		                     s->name, s->role);
	str_copy(out->name, sizeof(out->name), s->name);
	str_copy(out->display, sizeof(out->display), s->display);
	out->disabled = s->disabled;
	out->locked_until_ms = s->locked_until_ms;
	out->failed_logins = s->failed_logins;
	out->created_at_ms = s->created_at_ms;
	out->last_login_ms = s->last_login_ms;
	return HTD_OK;
}

/* ---- the audit ---------------------------------------------------------- */

/* An entry about user `name` (a placeholder when it is not a user name:
 * what was typed could be a password). */
struct user_audit {
	char object[USER_NAME_MAX + 32];
	struct audit_texts texts;
	struct store_audit stored;
};

static const struct store_audit *
user_audit(struct service *svc, struct user_audit *ua, int64_t at_ms,
           const char *actor, const char *action, const char *name,
           const char *address, enum audit_outcome outcome, const char *detail)
{
	if (name_valid(name))
		str_format(ua->object, sizeof(ua->object), "user:%s", name);
	else
		str_copy(ua->object, sizeof(ua->object),
		         "user:(not a user name)");
	struct audit_entry e = {
		.at_ms = at_ms,
		.actor = actor,
		.action = action,
		.object = ua->object,
		.address = address ? address : svc->address,
		.outcome = outcome,
		.detail = detail,
	};
	audit_prepare(svc, &e, &ua->texts, &ua->stored);
	return &ua->stored;
}

/* Records a refused or failed change on its own (its success rode in its
 * transaction), naming the field at fault; returns `rc`. */
static enum htd_err refused(struct service *svc, const char *actor,
                            const char *action, const char *name,
                            const char *address, enum htd_err rc,
                            const char *why, struct htd_error *err)
{
	if (rc == HTD_OK)
		return rc;
	char detail[AUDIT_TEXT_MAX + 1];
	if (why)
		str_copy(detail, sizeof(detail), why);
	else
		str_format(detail, sizeof(detail), "%s%s",
		           err && err->field[0] ? "field=" : "",
		           err && err->field[0] ? err->field : "");
	struct user_audit ua;
	struct htd_error aerr;
	user_audit(svc, &ua, now_ms(svc), actor, action, name, address,
	           audit_outcome_of(rc), detail);
	if (store_audit_append(svc->store, &ua.stored, 1, &aerr) != HTD_OK)
		log_event(LOG_ERROR, "audit_unwritten", "action", action,
		          "object", ua.object, "error", aerr.message, NULL);
	return rc;
}

/* ---- users -------------------------------------------------------------- */

enum htd_err users_add(struct service *svc, const char *actor, const char *name,
                       const char *display, const char *role,
                       const char *password, struct htd_error *err)
{
	static const char action[] = "user.add";
	struct store_user u;
	enum access_role r;
	char detail[64];
	memset(&u, 0, sizeof(u));
	enum htd_err rc = check_name(name, err);
	if (rc == HTD_OK)
		rc = check_display(display, err);
	if (rc == HTD_OK)
		rc = check_role(role, &r, err);
	if (rc == HTD_OK)
		rc = check_password(password, name, err);
	if (rc == HTD_OK)
		rc = password_hash(password, u.password_hash,
		                   sizeof(u.password_hash), err);
	if (rc != HTD_OK)
		goto out;
	int64_t now = now_ms(svc);
	str_copy(u.name, sizeof(u.name), name);
	str_copy(u.display, sizeof(u.display), display ? display : "");
	str_copy(u.role, sizeof(u.role), access_role_name(r));
	u.created_at_ms = now;
	u.updated_at_ms = now;
	str_format(detail, sizeof(detail), "role=%s", access_role_name(r));
	struct user_audit ua;
	rc = store_user_insert(svc->store, &u,
	                       user_audit(svc, &ua, now, actor, action, name,
	                                  NULL, AUDIT_OUTCOME_OK, detail),
	                       err);
	if (rc == HTD_OK)
		log_event(LOG_INFO, "user_added", "user", name, "role",
		          access_role_name(r), "actor", actor, NULL);
out:
	OPENSSL_cleanse(u.password_hash, sizeof(u.password_hash));
	return refused(svc, actor, action, name, NULL, rc, NULL, err);
}

/*
 * Reads user `name`, lets `edit` change it, and writes it with its audit
 * entry (ending its sessions when `end_sessions`), re-reading and editing
 * again when another writer got there first.
 */
static enum htd_err user_change(struct service *svc, const char *actor,
                                const char *action, const char *name,
                                bool end_sessions, const char *detail,
                                void (*edit)(struct store_user *u, void *ctx),
                                void *ctx, struct htd_error *err)
{
	struct store_user u;
	enum htd_err rc = HTD_OK;
	for (int attempt = 0; attempt < CHANGE_RETRIES; attempt++) {
		rc = store_user_get(svc->store, name, &u, err);
		if (rc != HTD_OK)
			break;
		int64_t now = now_ms(svc);
		edit(&u, ctx);
		u.updated_at_ms = now;
		struct user_audit ua;
		rc = store_user_update(svc->store, &u, end_sessions ? now : 0,
		                       user_audit(svc, &ua, now, actor, action,
		                                  name, NULL, AUDIT_OUTCOME_OK,
		                                  detail),
		                       err);
		if (rc != HTD_ERR_CONFLICT)
			break;
	}
	OPENSSL_cleanse(u.password_hash, sizeof(u.password_hash));
	if (rc == HTD_OK)
		log_event(LOG_INFO, "user_changed", "user", name, "change",
		          action, "actor", actor, NULL);
	return rc;
}

static void edit_password(struct store_user *u, void *ctx)
{
	str_copy(u->password_hash, sizeof(u->password_hash), ctx);
}

enum htd_err users_passwd(struct service *svc, const char *actor,
                          const char *name, const char *password,
                          struct htd_error *err)
{
	static const char action[] = "user.passwd";
	char hash[STORE_PASSWORD_HASH_MAX + 1] = "";
	struct store_user u;
	enum htd_err rc = check_name(name, err);
	/* The user first: no hashing for a name that is no one. */
	if (rc == HTD_OK)
		rc = store_user_get(svc->store, name, &u, err);
	if (rc == HTD_OK)
		rc = check_password(password, name, err);
	if (rc == HTD_OK)
		rc = password_hash(password, hash, sizeof(hash), err);
	if (rc == HTD_OK)
		rc = user_change(svc, actor, action, name, true,
		                 "sessions ended", edit_password, hash, err);
	OPENSSL_cleanse(hash, sizeof(hash));
	OPENSSL_cleanse(&u, sizeof(u));
	return refused(svc, actor, action, name, NULL, rc, NULL, err);
}

static void edit_lock(struct store_user *u, void *ctx)
{
	bool lock = *(bool *)ctx;
	u->disabled = lock;
	if (!lock) {
		u->locked_until_ms = 0;
		u->failed_logins = 0;
	}
}

enum htd_err users_lock(struct service *svc, const char *actor,
                        const char *name, bool lock, struct htd_error *err)
{
	const char *action = lock ? "user.lock" : "user.unlock";
	enum htd_err rc = check_name(name, err);
	if (rc == HTD_OK)
		rc = user_change(svc, actor, action, name, lock,
		                 lock ? "sessions ended" : "", edit_lock, &lock,
		                 err);
	return refused(svc, actor, action, name, NULL, rc, NULL, err);
}

struct update_edit {
	const char *display;
	const char *role; /* canonical */
};

static void edit_update(struct store_user *u, void *ctx)
{
	const struct update_edit *ue = ctx;
	if (ue->display)
		str_copy(u->display, sizeof(u->display), ue->display);
	if (ue->role)
		str_copy(u->role, sizeof(u->role), ue->role);
}

enum htd_err users_update(struct service *svc, const char *actor,
                          const char *name, const char *display,
                          const char *role, struct htd_error *err)
{
	static const char action[] = "user.update";
	struct update_edit ue = { display, NULL };
	enum access_role r;
	char detail[64] = "";
	enum htd_err rc = check_name(name, err);
	if (rc == HTD_OK && !display && !role)
		rc = htd_error_set(err, HTD_ERR_INVALID,
		                   "nothing to change: give a role or a "
		                   "display name");
	if (rc == HTD_OK && display)
		rc = check_display(display, err);
	if (rc == HTD_OK && role) {
		rc = check_role(role, &r, err);
		if (rc == HTD_OK)
			ue.role = access_role_name(r);
	}
	if (rc == HTD_OK) {
		/* The new role is worth the record; a display name is not
		 * (it is a person's name). */
		str_format(detail, sizeof(detail), "%s%s%s",
		           role ? "role=" : "", role ? ue.role : "",
		           display ? (role ? " display" : "display") : "");
		rc = user_change(svc, actor, action, name, false, detail,
		                 edit_update, &ue, err);
	}
	return refused(svc, actor, action, name, NULL, rc, NULL, err);
}

enum htd_err users_get(struct service *svc, const char *name, struct user *out,
                       struct htd_error *err)
{
	struct store_user u;
	memset(out, 0, sizeof(*out));
	enum htd_err rc = check_name(name, err);
	if (rc == HTD_OK)
		rc = store_user_get(svc->store, name, &u, err);
	if (rc == HTD_OK)
		rc = user_from_store(&u, out, err);
	if (rc == HTD_OK)
		OPENSSL_cleanse(u.password_hash, sizeof(u.password_hash));
	if (svc->address) {
		/* A read of a user, like any other, is on the record. */
		struct user_audit ua;
		struct htd_error aerr;
		user_audit(svc, &ua, now_ms(svc), svc->actor, "user.read", name,
		           NULL, audit_outcome_of(rc), "");
		enum htd_err arc =
		    store_audit_append(svc->store, &ua.stored, 1, &aerr);
		if (arc != HTD_OK && rc == HTD_OK) {
			if (err)
				*err = aerr;
			rc = arc;
		}
	}
	return rc;
}

enum htd_err users_list(struct service *svc, struct user_list *out,
                        struct htd_error *err)
{
	struct store_user_list sl;
	memset(out, 0, sizeof(*out));
	enum htd_err rc = store_user_list(svc->store, &sl, err);
	if (rc != HTD_OK)
		return rc;
	out->users = xcalloc(sl.n ? sl.n : 1, sizeof(*out->users));
	for (size_t i = 0; i < sl.n && rc == HTD_OK; i++) {
		rc = user_from_store(&sl.users[i], &out->users[i], err);
		out->n = i + 1;
	}
	OPENSSL_cleanse(sl.users, sl.n * sizeof(*sl.users));
	store_user_list_free(&sl);
	if (rc == HTD_OK && svc->address) {
		struct audit_entry e = {
			.actor = svc->actor,
			.action = "user.list",
			.object = "",
			.address = svc->address,
			.outcome = AUDIT_OUTCOME_OK,
		};
		rc = audit_record(svc, &e, err);
	}
	if (rc != HTD_OK)
		user_list_free(out);
	return rc;
}

/* ---- sessions ----------------------------------------------------------- */

/* "session 1a2b3c4d": enough of the id to match a login with its logout;
 * the hash cannot be turned back into the token. */
static void session_label(const char *hash, char *out, size_t size)
{
	str_format(out, size, "session %.8s", hash);
}

static void session_fill(struct session *out, const struct user *u,
                         const char *hash, int64_t created, int64_t seen)
{
	memset(out, 0, sizeof(*out));
	out->user = *u;
	str_copy(out->token_hash, sizeof(out->token_hash), hash);
	out->created_at_ms = created;
	out->last_seen_ms = seen;
}

/* The refusal of a login, on its own (an unknown name; a locked or
 * disabled account), and the error the client sees. */
static enum htd_err login_refused(struct service *svc, const char *name,
                                  bool known, const char *address,
                                  enum htd_err rc, const char *detail)
{
	char actor[USER_NAME_MAX + 8];
	if (known)
		str_format(actor, sizeof(actor), "user:%s", name);
	else
		str_copy(actor, sizeof(actor), "anonymous");
	struct user_audit ua;
	struct htd_error aerr;
	user_audit(svc, &ua, now_ms(svc), actor, "session.login",
	           known ? name : NULL, address,
	           rc == HTD_ERR_LOCKED ? AUDIT_OUTCOME_DENIED
	                                : AUDIT_OUTCOME_UNAUTHORIZED,
	           detail);
	if (!known)
		str_copy(ua.texts.object, sizeof(ua.texts.object),
		         "user:(unknown)");
	if (store_audit_append(svc->store, &ua.stored, 1, &aerr) != HTD_OK)
		log_event(LOG_ERROR, "audit_unwritten", "action",
		          "session.login", "error", aerr.message, NULL);
	return rc;
}

enum htd_err sessions_login(struct service *svc, const char *name,
                            const char *password, const char *address,
                            char token[SESSION_TOKEN_TEXT], struct session *out,
                            struct htd_error *err)
{
	struct store_user u;
	struct user view;
	struct store_session sess;
	char actor[USER_NAME_MAX + 8];
	char detail[AUDIT_TEXT_MAX + 1];
	char until[TIME_TEXT_MAX];
	char verified_for[STORE_PASSWORD_HASH_MAX + 1] = "";
	bool verified = false;
	enum htd_err rc;

	token[0] = '\0';
	memset(out, 0, sizeof(*out));
	memset(&u, 0, sizeof(u));
	rc = name_valid(name) ? store_user_get(svc->store, name, &u, err)
	                      : HTD_ERR_NOT_FOUND;
	if (rc == HTD_ERR_NOT_FOUND) {
		/* As long as a wrong password takes; the same answer. */
		(void)password_verify(password ? password : "", dummy_hash);
		login_refused(svc, name, false, address, HTD_ERR_UNAUTHORIZED,
		              "unknown user");
		return htd_error_set(err, HTD_ERR_UNAUTHORIZED, "%s",
		                     wrong_login);
	}
	if (rc != HTD_OK)
		return rc;
	str_format(actor, sizeof(actor), "user:%s", u.name);

	for (int attempt = 0; attempt < CHANGE_RETRIES; attempt++) {
		int64_t now = now_ms(svc);
		if (u.disabled) {
			rc = login_refused(svc, name, true, address,
			                   HTD_ERR_LOCKED, "disabled");
			htd_error_set(err, rc,
			              "the account is disabled; an "
			              "administrator can enable it");
			break;
		}
		if (u.locked_until_ms > now) {
			/* Refused without looking at the password, and
			 * without extending the lock. */
			if (!time_format_utc(u.locked_until_ms, until,
			                     sizeof(until)))
				str_copy(until, sizeof(until), "later");
			rc = login_refused(svc, name, true, address,
			                   HTD_ERR_LOCKED, "locked out");
			htd_error_set(err, rc,
			              "the account is locked after too many "
			              "failed logins, until %s",
			              until);
			break;
		}
		if (u.locked_until_ms) {
			/* The lock has run out: counting starts again. */
			u.locked_until_ms = 0;
			u.failed_logins = 0;
		}
		if (strcmp(verified_for, u.password_hash) != 0) {
			verified = password_verify(password ? password : "",
			                           u.password_hash);
			str_copy(verified_for, sizeof(verified_for),
			         u.password_hash);
		}
		struct user_audit ua;
		u.updated_at_ms = now;
		if (!verified) {
			u.failed_logins++;
			bool locks = u.failed_logins >= LOGIN_FAILURES_MAX;
			if (locks)
				u.locked_until_ms = now + LOGIN_LOCK_MS;
			if (!locks || !time_format_utc(u.locked_until_ms, until,
			                               sizeof(until)))
				str_copy(until, sizeof(until), "");
			str_format(detail, sizeof(detail),
			           "wrong password (%d in a row)%s%s",
			           u.failed_logins,
			           locks ? "; locked until " : "", until);
			rc = store_user_update(
			    svc->store, &u, 0,
			    user_audit(svc, &ua, now, actor, "session.login",
			               name, address,
			               AUDIT_OUTCOME_UNAUTHORIZED, detail),
			    err);
			if (rc == HTD_OK && locks)
				rc = htd_error_set(
				    err, HTD_ERR_LOCKED,
				    "%s; after %d failures in a row the "
				    "account is locked until %s",
				    wrong_login, LOGIN_FAILURES_MAX, until);
			else if (rc == HTD_OK)
				rc = htd_error_set(err, HTD_ERR_UNAUTHORIZED,
				                   "%s", wrong_login);
		} else {
			char label[32];
			memset(&sess, 0, sizeof(sess));
			if (!token_new(token) ||
			    !token_hash(token, sess.token_hash)) {
				token[0] = '\0';
				rc = htd_error_set(err, HTD_ERR_INTERNAL,
				                   "no random bytes for a "
				                   "session");
				break;
			}
			str_copy(sess.user, sizeof(sess.user), u.name);
			sess.created_at_ms = now;
			sess.last_seen_ms = now;
			u.failed_logins = 0;
			u.locked_until_ms = 0;
			u.last_login_ms = now;
			session_label(sess.token_hash, label, sizeof(label));
			rc = store_session_insert(
			    svc->store, &sess, &u,
			    user_audit(svc, &ua, now, actor, "session.login",
			               name, address, AUDIT_OUTCOME_OK, label),
			    err);
			if (rc == HTD_OK) {
				rc = user_from_store(&u, &view, err);
				if (rc == HTD_OK)
					session_fill(out, &view,
					             sess.token_hash, now, now);
			}
			if (rc != HTD_OK) {
				OPENSSL_cleanse(token, SESSION_TOKEN_TEXT);
				token[0] = '\0';
			}
		}
		if (rc != HTD_ERR_CONFLICT)
			break;
		/* Another login or change got there first: count again. */
		rc = store_user_get(svc->store, name, &u, err);
		if (rc != HTD_OK)
			break;
	}
	if (rc == HTD_OK)
		log_event(LOG_INFO, "login", "user", name, NULL);
	OPENSSL_cleanse(&u, sizeof(u));
	OPENSSL_cleanse(verified_for, sizeof(verified_for));
	return rc;
}

static enum htd_err session_gone(struct htd_error *err, const char *why)
{
	return htd_error_set(err, HTD_ERR_UNAUTHORIZED, "%s", why);
}

static enum htd_err session_check(struct service *svc, const char *token,
                                  bool touch, struct session *out,
                                  struct htd_error *err)
{
	static const char ended[] = "not logged in, or the session ended";
	struct store_session sess;
	struct store_user u;
	struct user view;
	char hash[65];
	memset(out, 0, sizeof(*out));
	if (!token_well_formed(token) || !token_hash(token, hash))
		return session_gone(err, ended);
	enum htd_err rc = store_session_get(svc->store, hash, &sess, err);
	if (rc == HTD_ERR_NOT_FOUND)
		return session_gone(err, ended);
	if (rc != HTD_OK)
		return rc;
	if (sess.ended_at_ms)
		return session_gone(err, ended);
	int64_t now = now_ms(svc);
	int64_t idle = svc->session_idle_ms >= SESSION_IDLE_MIN_MS &&
	                       svc->session_idle_ms < SESSION_IDLE_MS
	                   ? svc->session_idle_ms
	                   : SESSION_IDLE_MS;
	if (now - sess.last_seen_ms > idle) {
		char actor[USER_NAME_MAX + 8], label[64];
		struct user_audit ua;
		struct htd_error eerr;
		str_format(actor, sizeof(actor), "user:%s", sess.user);
		session_label(hash, label, sizeof(label));
		str_format(label + strlen(label), sizeof(label) - strlen(label),
		           " idle %lld s", (long long)(idle / 1000));
		rc = store_session_end(
		    svc->store, hash, now,
		    user_audit(svc, &ua, now, actor, "session.end", sess.user,
		               NULL, AUDIT_OUTCOME_OK, label),
		    &eerr);
		if (rc != HTD_OK && rc != HTD_ERR_NOT_FOUND)
			log_event(LOG_WARN, "session_not_ended", "user",
			          sess.user, "error", eerr.message, NULL);
		return session_gone(err, idle == SESSION_IDLE_MS
		                             ? "the session ended after 30 "
		                               "minutes without use; log in "
		                               "again"
		                             : "the session ended after the "
		                               "agency's idle limit; log in "
		                               "again");
	}
	rc = store_user_get(svc->store, sess.user, &u, err);
	if (rc == HTD_OK)
		OPENSSL_cleanse(u.password_hash, sizeof(u.password_hash));
	if (rc == HTD_OK && u.disabled)
		return session_gone(err, "the account is disabled");
	/* Refreshing last-seen is a durable write: done at most every
	 * 1/SESSION_TOUCH_DIVISOR of the idle limit, so reads do not pay an
	 * fsync each (the limit is then met to within that much). */
	if (rc == HTD_OK && touch &&
	    now - sess.last_seen_ms >= idle / SESSION_TOUCH_DIVISOR) {
		rc = store_session_touch(svc->store, hash, now, NULL, err);
		if (rc == HTD_ERR_NOT_FOUND)
			return session_gone(err, ended);
		sess.last_seen_ms = now;
	}
	if (rc == HTD_OK)
		rc = user_from_store(&u, &view, err);
	if (rc != HTD_OK)
		return rc;
	session_fill(out, &view, hash, sess.created_at_ms, sess.last_seen_ms);
	return HTD_OK;
}

enum htd_err sessions_check(struct service *svc, const char *token,
                            struct session *out, struct htd_error *err)
{
	return session_check(svc, token, true, out, err);
}

enum htd_err sessions_recheck(struct service *svc, const char *token,
                              struct htd_error *err)
{
	struct session s;
	return session_check(svc, token, false, &s, err);
}

enum htd_err sessions_end(struct service *svc, const char *token,
                          const char *address, struct htd_error *err)
{
	static const char ended[] = "not logged in, or the session ended";
	struct store_session sess;
	char hash[65], actor[USER_NAME_MAX + 8], label[32];
	if (!token_well_formed(token) || !token_hash(token, hash))
		return session_gone(err, ended);
	enum htd_err rc = store_session_get(svc->store, hash, &sess, err);
	if (rc == HTD_ERR_NOT_FOUND || (rc == HTD_OK && sess.ended_at_ms))
		return session_gone(err, ended);
	if (rc != HTD_OK)
		return rc;
	int64_t now = now_ms(svc);
	struct user_audit ua;
	str_format(actor, sizeof(actor), "user:%s", sess.user);
	session_label(hash, label, sizeof(label));
	rc = store_session_end(svc->store, hash, now,
	                       user_audit(svc, &ua, now, actor, "session.end",
	                                  sess.user, address, AUDIT_OUTCOME_OK,
	                                  label),
	                       err);
	if (rc == HTD_ERR_NOT_FOUND)
		return session_gone(err, ended);
	if (rc == HTD_OK)
		log_event(LOG_INFO, "logout", "user", sess.user, NULL);
	return rc;
}
