/*
 * file.c - reading a whole, bounded file.
 */
#include "util/file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/mem.h"

enum htd_err file_read_all(const char *path, size_t max, char **data,
                           size_t *len, struct htd_error *err)
{
	struct stat sb;
	enum htd_err rc = HTD_OK;
	char *buf = NULL;
	size_t n = 0;
	int fd;

	*data = NULL;
	*len = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return htd_error_at(
		    err, errno == ENOENT ? HTD_ERR_NOT_FOUND : HTD_ERR_IO, path,
		    0, 0, "cannot open: %s", strerror(errno));
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		rc = htd_error_at(err, HTD_ERR_IO, path, 0, 0,
		                  "not a regular file");
		goto out;
	}
	if (sb.st_size < 0 || (size_t)sb.st_size > max) {
		rc = htd_error_at(err, HTD_ERR_TOO_LARGE, path, 0, 0,
		                  "the file is larger than %zu bytes", max);
		goto out;
	}
	buf = xmalloc(max + 2);
	for (;;) {
		ssize_t r = read(fd, buf + n, max + 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = htd_error_at(err, HTD_ERR_IO, path, 0, 0,
			                  "cannot read: %s", strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n > max) {
			rc = htd_error_at(err, HTD_ERR_TOO_LARGE, path, 0, 0,
			                  "the file is larger than %zu bytes",
			                  max);
			goto out;
		}
	}
	buf[n] = '\0';
	*data = buf;
	*len = n;
	buf = NULL;
out:
	free(buf);
	close(fd);
	return rc;
}
