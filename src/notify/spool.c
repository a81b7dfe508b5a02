/*
 * spool.c - the spool transport: each notification becomes one file,
 * <dir>/<key>.json, for radio consoles and paging systems that pick files
 * up from a directory. The file appears whole or not at all (written to a
 * hidden temporary name in the same directory, synced, renamed, and the
 * directory synced), and a file that is already there means the message
 * was delivered before: writing the same key twice is harmless.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "notify/internal.h"
#include "util/str.h"

/* Group-readable: the consumer runs as another user in the spool's group. */
#define SPOOL_FILE_MODE 0640

static atomic_ulong spool_sequence;

/*
 * What a failed system call means for the message. A missing directory or
 * one we may not write to needs a person (PERMANENT: loud at once); a full
 * disk, an I/O error or a shortage of descriptors may pass (RETRY).
 */
static enum notify_outcome errno_outcome(int e)
{
	switch (e) {
	case EACCES:
	case EPERM:
	case EROFS:
	case ENOENT:
	case ENOTDIR:
	case ELOOP:
	case ENAMETOOLONG:
	case EISDIR: return NOTIFY_PERMANENT;
	default: return NOTIFY_RETRY;
	}
}

static enum notify_outcome spool_errno(struct notify_result *r, const char *dir,
                                       const char *what, int e)
{
	char text[128];

	/* The GNU strerror_r (we build with _GNU_SOURCE): workers run in
	 * threads, and strerror() may share its buffer between them. */
	return notify_fail(r, errno_outcome(e), "spool %s: %s: %s", dir, what,
	                   strerror_r(e, text, sizeof(text)));
}

/* Returns true for no content type or a JSON one ("application/json",
 * "application/foo+json", with or without parameters). */
static bool json_content_type(const char *ct)
{
	size_t n;

	if (!ct)
		return true;
	n = strcspn(ct, "; \t");
	if (n == 16 && strncasecmp(ct, "application/json", 16) == 0)
		return true;
	return n > 5 && strncasecmp(ct + n - 5, "+json", 5) == 0;
}

/* Writes all `len` bytes; false with errno set on failure. */
static bool write_all(int fd, const char *data, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, data, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return false;
		data += n;
		len -= (size_t)n;
	}
	return true;
}

static enum notify_outcome spool_send(const struct notify_target *t,
                                      const struct notify_message *m,
                                      int64_t now_ms, struct notify_result *r)
{
	const char *dir = t->spool_dir;
	char final[NOTIFY_KEY_MAX + 8];
	char temp[NOTIFY_KEY_MAX + 64];
	struct stat sb;
	int dir_fd = -1;
	int fd = -1;
	bool temp_made = false;

	(void)now_ms;
	if (str_empty(dir)) {
		notify_fail(r, NOTIFY_PERMANENT, "no spool directory");
		goto out;
	}
	if (!json_content_type(m->content_type)) {
		notify_fail(r, NOTIFY_PERMANENT,
		            "the spool takes JSON documents only");
		goto out;
	}
	dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir_fd < 0) {
		spool_errno(r, dir, "cannot open the directory", errno);
		goto out;
	}
	/* The key is [A-Za-z0-9_-]+ (checked by notify_send): no '/', no
	 * "..", so the file is in this directory. */
	str_format(final, sizeof(final), "%s.json", m->idempotency_key);
	if (fstatat(dir_fd, final, &sb, AT_SYMLINK_NOFOLLOW) == 0) {
		if (S_ISREG(sb.st_mode))
			r->outcome = NOTIFY_DELIVERED; /* written before */
		else
			notify_fail(r, NOTIFY_PERMANENT,
			            "spool %s: %s is in the way (not a file)",
			            dir, final);
		goto out;
	}
	if (errno != ENOENT) {
		spool_errno(r, dir, "cannot look for the file", errno);
		goto out;
	}

	/* A dot-name without .json: consumers ignore it until the rename. */
	for (int attempt = 0; fd < 0 && attempt < 100; attempt++) {
		str_format(temp, sizeof(temp), ".%s.%ld-%lu.tmp",
		           m->idempotency_key, (long)getpid(),
		           atomic_fetch_add(&spool_sequence, 1));
		fd =
		    openat(dir_fd, temp,
		           O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
		           SPOOL_FILE_MODE);
		if (fd < 0 && errno != EEXIST)
			break;
	}
	if (fd < 0) {
		spool_errno(r, dir, "cannot create a file", errno);
		goto out;
	}
	temp_made = true;
	/* Whatever the umask: the consumer's group must be able to read. */
	if (fchmod(fd, SPOOL_FILE_MODE) != 0 ||
	    !write_all(fd, m->body ? m->body : "", m->body_len) ||
	    fsync(fd) != 0) {
		spool_errno(r, dir, "cannot write", errno);
		goto out;
	}
	if (close(fd) != 0) {
		fd = -1;
		spool_errno(r, dir, "cannot write", errno);
		goto out;
	}
	fd = -1;
	if (renameat(dir_fd, temp, dir_fd, final) != 0) {
		spool_errno(r, dir, "cannot rename", errno);
		goto out;
	}
	temp_made = false;
	/* The rename is durable only once the directory is synced. */
	if (fsync(dir_fd) != 0) {
		spool_errno(r, dir, "cannot sync the directory", errno);
		goto out;
	}
	r->outcome = NOTIFY_DELIVERED;
out:
	if (fd >= 0)
		close(fd);
	if (temp_made)
		unlinkat(dir_fd, temp, 0);
	if (dir_fd >= 0)
		close(dir_fd);
	return r->outcome;
}

const struct notify_backend notify_spool_backend = {
	.name = "spool",
	.send = spool_send,
};
