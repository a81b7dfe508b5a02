/*
 * screen.c - the screening use case over core/indicators: lexicons from
 * formats/lexicon_yaml, the compiled database cached on disk under its
 * lexicon hash, and streaming scans of notes, JSON Lines exports and plain
 * text in fixed-size buffers, so memory does not grow with the input.
 */
#include "service/screen.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/log.h"
#include "util/mem.h"
#include "util/str.h"

struct screen {
	struct indicators *matcher;
	struct indicators_scratch *scratch;
	struct indicator_result result;
	enum screen_cache cache;
	char cache_path[PATH_MAX];
	char (*languages)[8];
	size_t n_languages;
	struct screen_stats stats;
	char *buf; /* the I/O buffer, made on first use */
	void *map; /* the mapped cache the matcher uses in place */
	size_t map_size;
	/* Clones (screen_clone()) share the matcher and the mapping of the
	 * screen they come from, their origin, which counts its users
	 * (itself included) and is freed with the last of them. */
	struct screen *origin; /* NULL in an origin */
	atomic_int refs;       /* in an origin */
};

const char *screen_cache_name(enum screen_cache c)
{
	switch (c) {
	case SCREEN_CACHE_NONE: return "none";
	case SCREEN_CACHE_HIT: return "hit";
	case SCREEN_CACHE_WRITTEN: return "written";
	case SCREEN_CACHE_REPLACED: return "replaced";
	case SCREEN_CACHE_UNWRITABLE: return "unwritable";
	}
	return "?";
}

/* ---- the cache --------------------------------------------------------- */

/* Creates `dir` and its missing parents, each 0700 (the cache reveals
 * nothing secret, but nobody else should be able to plant one). */
static int make_dirs(const char *dir)
{
	char path[PATH_MAX];
	struct stat sb;

	if (!str_copy(path, sizeof(path), dir)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	for (char *p = path + 1;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char c = *p;
		*p = '\0';
		if (mkdir(path, 0700) != 0 && errno != EEXIST)
			return -1;
		*p = c;
		if (c == '\0')
			break;
	}
	if (stat(path, &sb) != 0)
		return -1;
	if (!S_ISDIR(sb.st_mode)) {
		errno = ENOTDIR;
		return -1;
	}
	return 0;
}

/*
 * Maps the cache file (read-only, private; unmap with munmap). Returns 1
 * when mapped, 0 when there is none, -1 when it is there but not to be
 * trusted or read (not a regular file of ours, writable by others, too
 * large, unreadable). A cache is only ever replaced by rename, never
 * rewritten in place, so a mapping stays valid.
 */
static int cache_map(const char *path, char **data, size_t *size)
{
	struct stat sb;
	size_t n = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

	*data = NULL;
	*size = 0;
	if (fd < 0)
		return errno == ENOENT ? 0 : -1;
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) ||
	    sb.st_uid != geteuid() || (sb.st_mode & (S_IWGRP | S_IWOTH)) ||
	    (uint64_t)sb.st_size > SCREEN_CACHE_MAX) {
		close(fd);
		return -1;
	}
	n = (size_t)sb.st_size;
	void *map =
	    n ? mmap(NULL, n, PROT_READ, MAP_PRIVATE, fd, 0) : MAP_FAILED;
	close(fd);
	if (map == MAP_FAILED)
		return -1;
	*data = map;
	*size = n;
	return 1;
}

/*
 * Writes the cache atomically: a private temporary file in the same
 * directory, fsync, rename over the old name, fsync the directory. On
 * failure the temporary file is removed and `why` says what failed.
 */
static bool cache_write(const char *dir, const char *path, const char *data,
                        size_t size, char *why, size_t why_size)
{
	char tmp[PATH_MAX + 16];
	size_t done = 0;
	int fd, dfd;

	if (!str_format(tmp, sizeof(tmp), "%s.XXXXXX", path)) {
		str_copy(why, why_size, "path too long");
		return false;
	}
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		str_format(why, why_size, "cannot create a file: %s",
		           strerror(errno));
		return false;
	}
	while (done < size) {
		ssize_t w = write(fd, data + done, size - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			str_format(why, why_size, "cannot write: %s",
			           w < 0 ? strerror(errno) : "no progress");
			goto fail;
		}
		done += (size_t)w;
	}
	if (fsync(fd) != 0) {
		str_format(why, why_size, "cannot sync: %s", strerror(errno));
		goto fail;
	}
	if (close(fd) != 0) {
		fd = -1;
		str_format(why, why_size, "cannot close: %s", strerror(errno));
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) != 0) {
		str_format(why, why_size, "cannot rename: %s", strerror(errno));
		goto fail;
	}
	/* The rename is durable once the directory is synced. */
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	return true;
fail:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	return false;
}

static void warn_cache(const char *event, const char *path, const char *why)
{
	log_event(LOG_WARN, event, "path", path, "error", why, NULL);
}

/*
 * Gets the matcher for `lexicons`: from the cache when it holds a good
 * one, else compiled (and cached when possible).
 */
static enum htd_err open_matcher(struct screen *s, const char *cache_dir,
                                 const struct lexicon *lexicons, size_t n,
                                 struct htd_error *err)
{
	char hash[65], why[256];
	char *data = NULL;
	size_t size = 0;
	bool stale = false;
	enum htd_err rc;

	s->cache = SCREEN_CACHE_NONE;
	if (cache_dir && cache_dir[0]) {
		indicators_lexicon_hash(lexicons, n, hash);
		if (!str_format(s->cache_path, sizeof(s->cache_path),
		                "%s/lexicon-%s.hsdb", cache_dir, hash)) {
			warn_cache("lexicon_cache_unwritable", cache_dir,
			           "path too long");
			s->cache_path[0] = '\0';
			s->cache = SCREEN_CACHE_UNWRITABLE;
		} else {
			int r = cache_map(s->cache_path, &data, &size);
			if (r > 0) {
				struct htd_error derr;
				htd_error_clear(&derr);
				rc = indicators_deserialize_in_place(
				    data, size, &s->matcher, &derr);
				if (rc == HTD_OK) {
					/* Used in place: unmapped at close. */
					s->map = data;
					s->map_size = size;
					s->cache = SCREEN_CACHE_HIT;
					return HTD_OK;
				}
				munmap(data, size);
				data = NULL;
				warn_cache("lexicon_cache_unusable",
				           s->cache_path, derr.message);
			} else if (r < 0) {
				warn_cache(
				    "lexicon_cache_unusable", s->cache_path,
				    "not a private regular file of ours");
			}
			free(data);
			data = NULL;
			stale = r != 0;
		}
	}
	rc = indicators_compile(lexicons, n, &s->matcher, err);
	if (rc != HTD_OK)
		return rc;
	if (!s->cache_path[0])
		return HTD_OK;
	s->cache = SCREEN_CACHE_UNWRITABLE;
	if (make_dirs(cache_dir) != 0) {
		str_format(why, sizeof(why), "cannot create the directory: %s",
		           strerror(errno));
		warn_cache("lexicon_cache_unwritable", cache_dir, why);
		return HTD_OK;
	}
	struct htd_error serr;
	htd_error_clear(&serr);
	if (indicators_serialize(s->matcher, &data, &size, &serr) != HTD_OK) {
		warn_cache("lexicon_cache_unwritable", s->cache_path,
		           serr.message);
		return HTD_OK;
	}
	if (stale)
		unlink(s->cache_path); /* not ours or a directory: make room */
	if (cache_write(cache_dir, s->cache_path, data, size, why, sizeof(why)))
		s->cache = stale ? SCREEN_CACHE_REPLACED : SCREEN_CACHE_WRITTEN;
	else
		warn_cache("lexicon_cache_unwritable", s->cache_path, why);
	free(data);
	return HTD_OK;
}

enum htd_err screen_open(const struct screen_options *opts, struct screen **out,
                         struct htd_error *err)
{
	struct lexicon_yaml_options lopts = { 0 };
	struct lexicon *lexicons = NULL;
	size_t n = 0;
	struct screen *s;
	enum htd_err rc;

	*out = NULL;
	htd_error_clear(err);
	if (opts) {
		lopts.on_error = opts->on_error;
		lopts.ctx = opts->ctx;
	}
	rc = lexicon_yaml_load_dir(opts ? opts->lexicon_dir : NULL, &lopts,
	                           &lexicons, &n, err);
	if (rc != HTD_OK)
		return rc;
	s = xcalloc(1, sizeof(*s));
	atomic_init(&s->refs, 1);
	s->languages = xcalloc(n, sizeof(*s->languages));
	s->n_languages = n;
	for (size_t i = 0; i < n; i++)
		str_copy(s->languages[i], sizeof(s->languages[i]),
		         lexicons[i].language);
	const char *cache_dir = SCREEN_CACHE_DIR_DEFAULT;
	if (opts && opts->cache_dir)
		cache_dir = opts->cache_dir;
	rc = open_matcher(s, cache_dir, lexicons, n, err);
	lexicon_set_free(lexicons, n);
	if (rc != HTD_OK) {
		screen_close(s);
		return rc;
	}
	s->scratch = indicators_scratch_new(s->matcher);
	if (!s->scratch) {
		screen_close(s);
		return htd_error_set(err, HTD_ERR_INTERNAL,
		                     "cannot make scratch space for the "
		                     "matcher");
	}
	*out = s;
	return HTD_OK;
}

struct screen *screen_clone(struct screen *s)
{
	struct screen *o = s->origin ? s->origin : s;
	struct screen *c = xcalloc(1, sizeof(*c));
	if (o->matcher) {
		c->scratch = indicators_scratch_new(o->matcher);
		if (!c->scratch) {
			free(c);
			return NULL;
		}
	}
	c->matcher = o->matcher;
	c->cache = o->cache;
	str_copy(c->cache_path, sizeof(c->cache_path), o->cache_path);
	if (o->n_languages) {
		c->languages = xcalloc(o->n_languages, sizeof(*c->languages));
		memcpy(c->languages, o->languages,
		       o->n_languages * sizeof(*c->languages));
	}
	c->n_languages = o->n_languages;
	c->origin = o;
	atomic_fetch_add(&o->refs, 1);
	return c;
}

void screen_close(struct screen *s)
{
	if (!s)
		return;
	/* What is the closer's own. */
	indicator_result_free(&s->result);
	indicators_scratch_free(s->scratch);
	s->scratch = NULL;
	free(s->languages);
	s->languages = NULL;
	free(s->buf);
	s->buf = NULL;
	struct screen *o = s->origin ? s->origin : s;
	if (s != o)
		free(s);
	/* What is shared, with the last user. */
	if (atomic_fetch_sub(&o->refs, 1) != 1)
		return;
	indicators_free(o->matcher);
	if (o->map)
		munmap(o->map, o->map_size);
	free(o);
}

enum screen_cache screen_cache_state(const struct screen *s)
{
	return s->cache;
}

const char *screen_cache_path(const struct screen *s)
{
	return s->cache_path;
}

size_t screen_language_count(const struct screen *s)
{
	return s->n_languages;
}

const char *screen_language(const struct screen *s, size_t i)
{
	return i < s->n_languages ? s->languages[i] : "";
}

void screen_stats(const struct screen *s, struct screen_stats *out)
{
	*out = s->stats;
}

/* ---- scanning ---------------------------------------------------------- */

static void keep_window(struct indicator_result *r, size_t from, size_t to);

/* Scans `len` bytes, keeps the hits that start in [from, to) and counts
 * them. */
static enum htd_err scan_window(struct screen *s, const char *text, size_t len,
                                size_t from, size_t to, struct htd_error *err)
{
	indicator_result_reset(&s->result);
	enum htd_err rc =
	    indicators_scan(s->matcher, s->scratch, text, len, &s->result, err);
	if (rc != HTD_OK)
		return rc;
	if (from > 0 || to < len)
		keep_window(&s->result, from, to);
	s->stats.notes++;
	s->stats.hits += s->result.n_hits;
	s->stats.invalid_bytes += s->result.invalid_bytes;
	for (size_t i = 0; i < s->result.n_hits; i++)
		s->stats.counting += indicator_hit_counts(&s->result.hits[i]);
	return HTD_OK;
}

static enum htd_err scan(struct screen *s, const char *text, size_t len,
                         struct htd_error *err)
{
	return scan_window(s, text, len, 0, len, err);
}

enum htd_err screen_note(struct screen *s, const char *text, size_t len,
                         const struct indicator_result **out,
                         struct htd_error *err)
{
	enum htd_err rc = scan(s, text, len, err);
	*out = rc == HTD_OK ? &s->result : NULL;
	return rc;
}

/* The I/O buffer: room for a whole line or chunk and a NUL. */
static char *io_buffer(struct screen *s)
{
	size_t size = SCREEN_LINE_MAX > SCREEN_CHUNK_MAX ? SCREEN_LINE_MAX
	                                                 : SCREEN_CHUNK_MAX;
	if (!s->buf)
		s->buf = xmalloc(size + 1);
	return s->buf;
}

/* read(2) that retries on EINTR; returns bytes read, 0 at the end, -1. */
static ssize_t read_some(int fd, char *buf, size_t n)
{
	for (;;) {
		ssize_t r = read(fd, buf, n);
		if (r >= 0 || errno != EINTR)
			return r;
	}
}

static void progress(struct screen *s, const struct screen_sink *sink,
                     uint64_t *total, size_t got)
{
	*total += got;
	s->stats.bytes += got;
	if (sink && sink->on_progress)
		sink->on_progress(sink->ctx, *total);
}

static void bad_line(struct screen *s, const struct screen_sink *sink,
                     const char *input, uint64_t line, const char *why)
{
	s->stats.bad_lines++;
	if (sink && sink->on_bad_line)
		sink->on_bad_line(sink->ctx, input, line, why);
}

/* Hands an item to the sink; HTD_ERR_CONFLICT when it says stop. */
static enum htd_err deliver(const struct screen_sink *sink,
                            const struct screen_item *item,
                            struct htd_error *err)
{
	if (sink && sink->on_item && sink->on_item(sink->ctx, item) != 0)
		return htd_error_set(err, HTD_ERR_CONFLICT,
		                     "screening of %s stopped", item->input);
	return HTD_OK;
}

/* Scans one JSONL record (without its line break). Bad records are
 * reported and skipped; only scan errors and a stop are returned. */
static enum htd_err jsonl_record(struct screen *s, char *line, size_t len,
                                 const char *input, uint64_t lineno,
                                 const struct screen_sink *sink,
                                 struct htd_error *err)
{
	json_error_t jerr;
	json_t *doc = NULL, *id, *notes;
	char why[256], id_num[32];
	char *id_json = NULL;
	const char *id_text, *text;
	size_t text_len, blank;
	enum htd_err rc = HTD_OK;

	if (len && line[len - 1] == '\r')
		len--;
	for (blank = 0; blank < len; blank++)
		if (line[blank] != ' ' && line[blank] != '\t' &&
		    line[blank] != '\r')
			break;
	if (blank == len)
		return HTD_OK; /* an empty line */
	doc = json_loadb(line, len, JSON_ALLOW_NUL | JSON_REJECT_DUPLICATES,
	                 &jerr);
	if (!doc) {
		str_format(why, sizeof(why), "not JSON: %s (column %d)",
		           jerr.text, jerr.column);
		bad_line(s, sink, input, lineno, why);
		return HTD_OK;
	}
	if (!json_is_object(doc)) {
		bad_line(s, sink, input, lineno,
		         "not a JSON object {\"id\": ..., \"notes\": ...}");
		goto out;
	}
	id = json_object_get(doc, "id");
	notes = json_object_get(doc, "notes");
	if (json_is_string(id) && json_string_length(id) > 0 &&
	    !memchr(json_string_value(id), '\0', json_string_length(id))) {
		id_text = json_string_value(id);
	} else if (json_is_integer(id)) {
		str_format(id_num, sizeof(id_num), "%" JSON_INTEGER_FORMAT,
		           json_integer_value(id));
		id_text = id_num;
	} else {
		bad_line(s, sink, input, lineno,
		         id ? "\"id\" must be a non-empty string or an integer"
		            : "no \"id\"");
		goto out;
	}
	if (json_is_string(notes)) {
		text = json_string_value(notes);
		text_len = json_string_length(notes);
	} else if (json_is_null(notes)) {
		text = "";
		text_len = 0;
	} else {
		bad_line(s, sink, input, lineno,
		         notes ? "\"notes\" must be a string or null"
		               : "no \"notes\"");
		goto out;
	}
	id_json = json_dumps(id, JSON_ENCODE_ANY | JSON_COMPACT);
	if (!id_json)
		mem_oom(len);
	rc = scan(s, text, text_len, err);
	if (rc == HTD_OK) {
		struct screen_item item = {
			.input = input,
			.id = id_text,
			.id_json = id_json,
			.text = text,
			.len = text_len,
			.line = lineno,
			.result = &s->result,
		};
		rc = deliver(sink, &item, err);
	}
out:
	free(id_json);
	json_decref(doc);
	return rc;
}

enum htd_err screen_jsonl(struct screen *s, int fd, const char *input,
                          const struct screen_sink *sink, struct htd_error *err)
{
	char *buf = io_buffer(s);
	const size_t cap = SCREEN_LINE_MAX;
	size_t len = 0;
	uint64_t total = 0, lineno = 0;
	bool skipping = false, eof = false;
	enum htd_err rc = HTD_OK;

	htd_error_clear(err);
	while (!eof) {
		ssize_t r = read_some(fd, buf + len, cap - len);
		if (r < 0)
			return htd_error_set(err, HTD_ERR_IO,
			                     "cannot read %s: %s", input,
			                     strerror(errno));
		if (r == 0)
			eof = true;
		else
			progress(s, sink, &total, (size_t)r);
		len += (size_t)r;
		size_t start = 0;
		for (;;) {
			char *nl = memchr(buf + start, '\n', len - start);
			if (!nl)
				break;
			size_t end = (size_t)(nl - buf);
			lineno++;
			if (skipping) {
				skipping = false;
			} else {
				*nl = '\0';
				rc = jsonl_record(s, buf + start, end - start,
				                  input, lineno, sink, err);
				if (rc != HTD_OK)
					return rc;
			}
			start = end + 1;
		}
		memmove(buf, buf + start, len - start);
		len -= start;
		if (len == cap) {
			/* A line longer than the cap: report it once, then
			 * drop bytes until its end. */
			if (!skipping) {
				char why[96];
				str_format(why, sizeof(why),
				           "longer than %zu bytes; skipped",
				           SCREEN_LINE_MAX);
				bad_line(s, sink, input, lineno + 1, why);
			}
			skipping = true;
			len = 0;
		}
	}
	if (len > 0) {
		lineno++;
		if (!skipping) {
			buf[len] = '\0';
			rc =
			    jsonl_record(s, buf, len, input, lineno, sink, err);
		}
	}
	return rc;
}

/* Bytes scanned twice around a cut that is not at a line break, so that
 * a phrase across it is found whole and every hit keeps at least half of
 * this as context on either side. */
#define SCREEN_OVERLAP ((size_t)4096)

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/*
 * Where to cut a full buffer of plain text: after the last line break;
 * else after the last blank in the second half; else before the last
 * (maybe partial) UTF-8 character. Never in the first half, so that every
 * chunk makes progress. Sets *at_break when the cut follows a line break
 * (context never crosses one, so no overlap is needed).
 */
static size_t cut_point(const char *buf, size_t len, bool *at_break)
{
	const char *p = memrchr(buf, '\n', len);
	*at_break = p != NULL;
	if (p)
		return (size_t)(p - buf) + 1;
	for (size_t i = len; i > len / 2; i--)
		if (is_blank(buf[i - 1]))
			return i;
	size_t i = len - 1, k = 0;
	while (i > 0 && k < 3 && ((unsigned char)buf[i] & 0xc0) == 0x80) {
		i--;
		k++;
	}
	if ((unsigned char)buf[i] >= 0xc0 && i > len / 2)
		return i;
	return len;
}

/* Where the next chunk starts after a cut inside a line: at a blank about
 * SCREEN_OVERLAP before the cut, or at the cut when there is none. */
static size_t overlap_start(const char *buf, size_t cut)
{
	if (cut < 2 * SCREEN_OVERLAP)
		return cut;
	for (size_t i = cut - SCREEN_OVERLAP; i > cut / 2; i--)
		if (is_blank(buf[i - 1]))
			return i;
	return cut;
}

/* Keeps the hits (and industries) that start in [from, to) and recomputes
 * the AMP summary from what is left. */
static void keep_window(struct indicator_result *r, size_t from, size_t to)
{
	size_t n = 0;
	r->amp = 0;
	for (size_t i = 0; i < r->n_hits; i++) {
		if (r->hits[i].start < from || r->hits[i].start >= to)
			continue;
		r->hits[n++] = r->hits[i];
		if (indicator_hit_counts(&r->hits[i]))
			r->amp |= r->hits[i].amp;
	}
	r->n_hits = n;
	n = 0;
	for (size_t i = 0; i < r->n_industries; i++)
		if (r->industries[i].start >= from &&
		    r->industries[i].start < to)
			r->industries[n++] = r->industries[i];
	r->n_industries = n;
}

enum htd_err screen_text(struct screen *s, int fd, const char *input,
                         const struct screen_sink *sink, struct htd_error *err)
{
	char *buf = io_buffer(s);
	const size_t cap = SCREEN_CHUNK_MAX;
	size_t len = 0, report_from = 0;
	uint64_t total = 0, base = 0;
	bool eof = false;
	enum htd_err rc;

	htd_error_clear(err);
	for (;;) {
		while (!eof && len < cap) {
			ssize_t r = read_some(fd, buf + len, cap - len);
			if (r < 0)
				return htd_error_set(err, HTD_ERR_IO,
				                     "cannot read %s: %s",
				                     input, strerror(errno));
			if (r == 0)
				eof = true;
			else
				progress(s, sink, &total, (size_t)r);
			len += (size_t)r;
		}
		if (len == 0 || (eof && len <= report_from))
			return HTD_OK;
		bool at_break = true;
		size_t cut = eof ? len : cut_point(buf, len, &at_break);
		size_t next = at_break ? cut : overlap_start(buf, cut);
		/* Hits before report_from were reported with the previous
		 * chunk; those from report_to on will be with the next. */
		size_t report_to = next == cut ? cut : next + (cut - next) / 2;
		rc = scan_window(s, buf, cut, report_from, report_to, err);
		if (rc != HTD_OK)
			return rc;
		struct screen_item item = {
			.input = input,
			.id = input,
			.text = buf,
			.len = cut,
			.base = base,
			.result = &s->result,
		};
		rc = deliver(sink, &item, err);
		if (rc != HTD_OK)
			return rc;
		memmove(buf, buf + next, len - next);
		len -= next;
		base += next;
		report_from = report_to - next;
		if (eof && len == 0)
			return HTD_OK;
	}
}
