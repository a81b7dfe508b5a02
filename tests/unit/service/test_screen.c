/*
 * test_screen.c - unit tests of service/screen.c: the compiled lexicon's
 * disk cache (written, reused, a corrupt file replaced, an unwritable
 * directory tolerated), and the streaming scans: JSON Lines with bad lines
 * counted and skipped, plain text in chunks with offsets into the whole
 * input.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "service/screen.h"
#include "testutil.h"
#include "util/buf.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/str.h"

static char dir[512];     /* the test's own directory */
static char lexicon[600]; /* its copy of the fixture lexicon */
static char cache[600];

static char *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	cr_assert_not_null(f, "cannot open %s", path);
	struct buf b;
	buf_init(&b, 0);
	char chunk[4096];
	size_t n;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_append(&b, chunk, n);
	fclose(f);
	*len = b.len;
	return buf_steal(&b);
}

static void copy_fixture(const char *name)
{
	char from[1024], to[1024];
	const char *root = getenv("HTD_SOURCE_ROOT");
	cr_assert_not_null(root, "HTD_SOURCE_ROOT is not set");
	str_format(from, sizeof(from), "%s/tests/fixtures/lexicon/%s", root,
	           name);
	size_t len;
	char *data = read_all(from, &len);
	tu_write_file(tu_path(to, sizeof(to), lexicon, name), data, len);
	free(data);
}

static void setup(void)
{
	str_copy(dir, sizeof(dir), tu_tmpdir());
	tu_path(lexicon, sizeof(lexicon), dir, "lexicon");
	tu_path(cache, sizeof(cache), dir, "var/cache");
	cr_assert_eq(mkdir(lexicon, 0755), 0);
	copy_fixture("en.yaml");
	copy_fixture("es.yaml");
	log_set_level(LOG_OFF); /* cache warnings are expected here */
}

static void teardown(void)
{
	tu_rmtree(dir);
}

TestSuite(screen, .init = setup, .fini = teardown);

static struct screen *open_screen(const char *cache_dir)
{
	struct screen_options o = { .lexicon_dir = lexicon,
		                    .cache_dir = cache_dir };
	struct screen *s = NULL;
	struct htd_error err;
	cr_assert_eq(screen_open(&o, &s, &err), HTD_OK, "%s", err.message);
	cr_assert_not_null(s);
	return s;
}

/* Asserts that `s` finds documents_withheld in a note. */
static void assert_screens(struct screen *s)
{
	static const char note[] = "caller says boss keeps my passport";
	const struct indicator_result *r;
	struct htd_error err;
	cr_assert_eq(screen_note(s, note, strlen(note), &r, &err), HTD_OK);
	cr_assert_eq(r->n_hits, 1);
	cr_assert_eq(r->hits[0].id, INDICATOR_DOCUMENTS_WITHHELD);
	cr_assert_eq(r->hits[0].start, 12);
	cr_assert_eq(r->hits[0].end, strlen(note));
}

/* ---- the cache --------------------------------------------------------- */

Test(screen, cache_is_written_then_reused)
{
	struct screen *s = open_screen(cache);
	cr_assert_eq(screen_cache_state(s), SCREEN_CACHE_WRITTEN);
	const char *path = screen_cache_path(s);
	cr_assert(strstr(path, "/var/cache/lexicon-"), "%s", path);
	cr_assert(strstr(path, ".hsdb"));
	cr_assert(tu_exists(path));
	struct stat sb;
	cr_assert_eq(stat(cache, &sb), 0);
	cr_assert_eq(sb.st_mode & 0777, 0700, "cache dir mode %o",
	             sb.st_mode & 0777);
	cr_assert_eq(stat(path, &sb), 0);
	cr_assert_eq(sb.st_mode & 0077, 0, "cache file mode %o",
	             sb.st_mode & 0777);
	assert_screens(s);
	char first[1024];
	str_copy(first, sizeof(first), path);
	uint64_t hash = tu_file_hash(first);
	screen_close(s);

	s = open_screen(cache);
	cr_assert_eq(screen_cache_state(s), SCREEN_CACHE_HIT);
	cr_assert_str_eq(screen_cache_path(s), first);
	cr_assert_eq(tu_file_hash(first), hash, "a hit must not rewrite");
	assert_screens(s);
	cr_assert_eq(screen_language_count(s), 2);
	cr_assert_str_eq(screen_language(s, 0), "en");
	cr_assert_str_eq(screen_language(s, 1), "es");
	screen_close(s);
}

Test(screen, no_temporary_files_are_left)
{
	screen_close(open_screen(cache));
	struct stat sb;
	char path[1024];
	int n = 0;
	FILE *p;
	str_format(path, sizeof(path), "ls -A '%s'", cache);
	p = popen(path, "r");
	cr_assert_not_null(p);
	while (fgets(path, sizeof(path), p)) {
		cr_assert(strstr(path, ".hsdb\n"), "left behind: %s", path);
		n++;
	}
	pclose(p);
	cr_assert_eq(n, 1);
	cr_assert_eq(stat(cache, &sb), 0);
}

Test(screen, corrupt_cache_is_replaced)
{
	struct screen *s = open_screen(cache);
	char path[1024];
	str_copy(path, sizeof(path), screen_cache_path(s));
	screen_close(s);

	/* Garbage of the right name. */
	tu_write_file(path, "not a database", 14);
	chmod(path, 0600);
	s = open_screen(cache);
	cr_assert_eq(screen_cache_state(s), SCREEN_CACHE_REPLACED);
	assert_screens(s);
	screen_close(s);
	s = open_screen(cache);
	cr_assert_eq(screen_cache_state(s), SCREEN_CACHE_HIT);
	screen_close(s);

	/* Truncated in the middle. */
	size_t len;
	char *data = read_all(path, &len);
	tu_write_file(path, data, len / 2);
	free(data);
	s = open_screen(cache);
	cr_assert_eq(screen_cache_state(s), SCREEN_CACHE_REPLACED);
	assert_screens(s);
	screen_close(s);

	/* One byte flipped. */
	data = read_all(path, &len);
	data[len / 3] ^= 0x55;
	tu_write_file(path, data, len);
	free(data);
	s = open_screen(cache);
	cr_assert_eq(screen_cache_state(s), SCREEN_CACHE_REPLACED);
	assert_screens(s);
	screen_close(s);

	/* Empty. */
	tu_write_file(path, "", 0);
	s = open_screen(cache);
	cr_assert_eq(screen_cache_state(s), SCREEN_CACHE_REPLACED);
	screen_close(s);
}

Test(screen, cache_writable_by_others_is_not_trusted)
{
	struct screen *s = open_screen(cache);
	char path[1024];
	str_copy(path, sizeof(path), screen_cache_path(s));
	screen_close(s);
	cr_assert_eq(chmod(path, 0666), 0);
	s = open_screen(cache);
	cr_assert_eq(screen_cache_state(s), SCREEN_CACHE_REPLACED);
	struct stat sb;
	cr_assert_eq(stat(path, &sb), 0);
	cr_assert_eq(sb.st_mode & 0077, 0);
	screen_close(s);
}

Test(screen, unwritable_cache_still_screens)
{
	/* A cache directory under a regular file can never be made, even
	 * by root (tests may run as root, where permissions do not stop
	 * writes). */
	char blocker[1024], under[1100];
	tu_path(blocker, sizeof(blocker), dir, "file");
	tu_write_file(blocker, "x", 1);
	str_format(under, sizeof(under), "%s/cache", blocker);
	struct screen *s = open_screen(under);
	cr_assert_eq(screen_cache_state(s), SCREEN_CACHE_UNWRITABLE);
	assert_screens(s);
	screen_close(s);
	s = open_screen(under);
	cr_assert_eq(screen_cache_state(s), SCREEN_CACHE_UNWRITABLE);
	screen_close(s);

	if (geteuid() != 0) {
		/* A read-only directory, for those who are not root. */
		cr_assert_eq(mkdir(cache, 0700) == 0 || tu_exists(cache), 1);
		char ro[1100];
		tu_path(ro, sizeof(ro), dir, "ro");
		cr_assert_eq(mkdir(ro, 0500), 0);
		s = open_screen(ro);
		cr_assert_eq(screen_cache_state(s), SCREEN_CACHE_UNWRITABLE);
		assert_screens(s);
		screen_close(s);
		chmod(ro, 0700);
	}
}

Test(screen, no_cache)
{
	struct screen *s = open_screen("");
	cr_assert_eq(screen_cache_state(s), SCREEN_CACHE_NONE);
	cr_assert_str_eq(screen_cache_path(s), "");
	assert_screens(s);
	screen_close(s);
	cr_assert_not(tu_exists(cache));
}

Test(screen, changed_lexicon_gets_a_new_cache_file)
{
	struct screen *s = open_screen(cache);
	char first[1024];
	str_copy(first, sizeof(first), screen_cache_path(s));
	screen_close(s);
	char path[1024];
	size_t len;
	tu_path(path, sizeof(path), lexicon, "es.yaml");
	char *data = read_all(path, &len);
	struct buf b;
	buf_init(&b, 0);
	buf_append(&b, data, len);
	buf_puts(&b, "# a comment changes nothing\n");
	tu_write_file(path, b.data, b.len);
	s = open_screen(cache);
	cr_assert_eq(screen_cache_state(s), SCREEN_CACHE_HIT,
	             "a comment does not change what is compiled");
	screen_close(s);
	buf_reset(&b);
	buf_append(&b, data, len);
	buf_puts(&b, "\n# more stop words\n");
	char *p = strstr(b.data, "stopwords: [el,");
	cr_assert_not_null(p);
	memcpy(p, "stopwords: [al,", 15);
	tu_write_file(path, b.data, b.len);
	s = open_screen(cache);
	cr_assert_eq(screen_cache_state(s), SCREEN_CACHE_WRITTEN);
	cr_assert_str_neq(screen_cache_path(s), first);
	screen_close(s);
	buf_free(&b);
	free(data);
}

Test(screen, bad_lexicon_opens_nothing)
{
	char path[1024];
	static const char bad[] = "language: fr\nindicators: {nope: {}}\n";
	tu_write_file(tu_path(path, sizeof(path), lexicon, "fr.yaml"), bad,
	              strlen(bad));
	struct screen_options o = { .lexicon_dir = lexicon,
		                    .cache_dir = cache };
	struct screen *s = (struct screen *)1;
	struct htd_error err;
	cr_assert_eq(screen_open(&o, &s, &err), HTD_ERR_INVALID);
	cr_assert_null(s);
	cr_assert(strstr(err.file, "fr.yaml"));
	cr_assert_eq(err.line, 2);
	cr_assert_not(tu_exists(cache), "nothing is cached");
	o.lexicon_dir = dir; /* no *.yaml there */
	cr_assert_eq(screen_open(&o, &s, &err), HTD_ERR_NOT_FOUND);
}

Test(screen, pattern_that_does_not_compile)
{
	char path[1024];
	size_t len;
	tu_path(path, sizeof(path), lexicon, "en.yaml");
	char *data = read_all(path, &len);
	char *p = strstr(data, "\"no days off\"");
	cr_assert_not_null(p);
	memcpy(p, "\"no (ays off\"", 13); /* an unclosed ( */
	tu_write_file(path, data, len);
	free(data);
	struct screen_options o = { .lexicon_dir = lexicon,
		                    .cache_dir = cache };
	struct screen *s;
	struct htd_error err;
	cr_assert_neq(screen_open(&o, &s, &err), HTD_OK);
	cr_assert(strstr(err.file, "en.yaml"), "file: %s", err.file);
	cr_assert_gt(err.line, 1);
}

/* ---- JSON Lines -------------------------------------------------------- */

struct seen {
	int items, bad, progress;
	uint64_t last_progress;
	char ids[16][64];
	uint64_t lines[16];
	size_t hits[16];
	uint64_t bad_lines[16];
	char why[16][128];
	int stop_after;
};

static int on_item(void *ctx, const struct screen_item *it)
{
	struct seen *s = ctx;
	if (s->items < 16) {
		str_copy(s->ids[s->items], sizeof(s->ids[0]), it->id_json);
		s->lines[s->items] = it->line;
		s->hits[s->items] = it->result->n_hits;
		for (size_t i = 0; i < it->result->n_hits; i++) {
			cr_assert_leq(it->result->hits[i].end, it->len);
			cr_assert_lt(it->result->hits[i].start,
			             it->result->hits[i].end);
		}
	}
	s->items++;
	return s->stop_after && s->items >= s->stop_after;
}

static void on_bad(void *ctx, const char *input, uint64_t line, const char *why)
{
	struct seen *s = ctx;
	cr_assert_str_eq(input, "calls.jsonl");
	if (s->bad < 16) {
		s->bad_lines[s->bad] = line;
		str_copy(s->why[s->bad], sizeof(s->why[0]), why);
	}
	s->bad++;
}

static void on_progress(void *ctx, uint64_t bytes)
{
	struct seen *s = ctx;
	cr_assert_geq(bytes, s->last_progress);
	s->last_progress = bytes;
	s->progress++;
}

static int open_text(const char *text, size_t len)
{
	char path[1024];
	tu_path(path, sizeof(path), dir, "input");
	tu_write_file(path, text, len);
	int fd = open(path, O_RDONLY);
	cr_assert_geq(fd, 0);
	return fd;
}

Test(screen, jsonl_bad_lines_are_counted_and_skipped)
{
	struct buf in;
	buf_init(&in, 0);
	buf_puts(&in, "{\"id\": \"HT-2026-000001\", \"notes\": \"boss keeps "
	              "my passport\"}\n");                           /* 1 */
	buf_puts(&in, "not json\n");                                 /* 2 */
	buf_puts(&in, "\n");                                         /* 3 */
	buf_puts(&in, "[1, 2]\n");                                   /* 4 */
	buf_puts(&in, "{\"notes\": \"x\"}\n");                       /* 5 */
	buf_puts(&in, "{\"id\": 7, \"notes\": null, \"x\": 1}\r\n"); /* 6 */
	buf_puts(&in, "{\"id\": 8}\n");                              /* 7 */
	buf_puts(&in, "{\"id\": 9, \"notes\": 3}\n");                /* 8 */
	buf_puts(&in, "{\"id\": \"a\", \"id\": \"b\", \"notes\": \"\"}\n");
	buf_puts(&in, "{\"id\": {}, \"notes\": \"\"}\n");          /* 10 */
	buf_puts(&in, "{\"id\": 11, \"notes\": \"a\\u0000b\"}\n"); /* 11 */
	buf_puts(&in, "   \t \n");                                 /* 12 */
	/* 13: longer than the cap */
	buf_puts(&in, "{\"id\": 13, \"notes\": \"");
	for (size_t i = 0; i < SCREEN_LINE_MAX / 16 + 10; i++)
		buf_puts(&in, "boss keeps my pp");
	buf_puts(&in, "\"}\n");
	buf_puts(&in, "{\"id\": 14, \"notes\": \"el patr\xc3\xb3n tiene su "
	              "pasaporte\"}"); /* 14, no final newline */

	struct screen *s = open_screen(cache);
	struct seen seen = { 0 };
	struct screen_sink sink = { on_item, on_bad, on_progress, &seen };
	struct htd_error err;
	int fd = open_text(in.data, in.len);
	cr_assert_eq(screen_jsonl(s, fd, "calls.jsonl", &sink, &err), HTD_OK,
	             "%s", err.message);
	close(fd);

	cr_assert_eq(seen.items, 4);
	cr_assert_str_eq(seen.ids[0], "\"HT-2026-000001\"");
	cr_assert_eq(seen.lines[0], 1);
	cr_assert_eq(seen.hits[0], 1);
	cr_assert_str_eq(seen.ids[1], "7");
	cr_assert_eq(seen.lines[1], 6);
	cr_assert_eq(seen.hits[1], 0);
	cr_assert_str_eq(seen.ids[2], "11");
	cr_assert_str_eq(seen.ids[3], "14");
	cr_assert_eq(seen.lines[3], 14);
	cr_assert_eq(seen.hits[3], 1);

	uint64_t want[] = { 2, 4, 5, 7, 8, 9, 10, 13 };
	cr_assert_eq(seen.bad, 8);
	for (size_t i = 0; i < 8; i++)
		cr_assert_eq(seen.bad_lines[i], want[i], "bad line %zu: %llu",
		             i, (unsigned long long)seen.bad_lines[i]);
	cr_assert(strstr(seen.why[0], "not JSON"));
	cr_assert(strstr(seen.why[1], "not a JSON object"));
	cr_assert(strstr(seen.why[2], "no \"id\""));
	cr_assert(strstr(seen.why[3], "no \"notes\""));
	cr_assert(strstr(seen.why[4], "\"notes\" must be"));
	cr_assert(strstr(seen.why[5], "duplicate"), "%s", seen.why[5]);
	cr_assert(strstr(seen.why[6], "\"id\" must be"));
	cr_assert(strstr(seen.why[7], "longer than 1048576 bytes"));

	struct screen_stats st;
	screen_stats(s, &st);
	cr_assert_eq(st.bad_lines, 8);
	cr_assert_eq(st.notes, 4);
	cr_assert_eq(st.bytes, in.len);
	cr_assert_eq(seen.last_progress, in.len);
	cr_assert_gt(seen.progress, 0);
	screen_close(s);
	buf_free(&in);
}

Test(screen, jsonl_sink_can_stop)
{
	const char *in =
	    "{\"id\":1,\"notes\":\"a\"}\n{\"id\":2,\"notes\":\"b\"}\n"
	    "{\"id\":3,\"notes\":\"c\"}\n";
	struct screen *s = open_screen(cache);
	struct seen seen = { .stop_after = 2 };
	struct screen_sink sink = { on_item, NULL, NULL, &seen };
	struct htd_error err;
	int fd = open_text(in, strlen(in));
	cr_assert_eq(screen_jsonl(s, fd, "calls.jsonl", &sink, &err),
	             HTD_ERR_CONFLICT);
	close(fd);
	cr_assert_eq(seen.items, 2);
	screen_close(s);
}

Test(screen, unreadable_input)
{
	struct screen *s = open_screen(cache);
	struct htd_error err;
	int fd = open(dir, O_RDONLY); /* read(2) of a directory fails */
	cr_assert_eq(screen_text(s, fd, "dir", NULL, &err), HTD_ERR_IO);
	cr_assert(strstr(err.message, "cannot read dir"));
	cr_assert_eq(screen_jsonl(s, fd, "dir", NULL, &err), HTD_ERR_IO);
	close(fd);
	screen_close(s);
}

/* ---- plain text -------------------------------------------------------- */

struct chunks {
	const char *input; /* the whole input, to check spans against */
	size_t input_len;
	int n;
	uint64_t next_base;
	size_t hits;
	size_t found_at[8];
	bool lines_fit; /* no line is longer than a chunk */
};

static int on_chunk(void *ctx, const struct screen_item *it)
{
	struct chunks *c = ctx;
	/* Chunks leave no gap; they overlap only where a line is longer
	 * than a chunk. */
	cr_assert_leq(it->base, c->next_base, "a gap before %llu",
	              (unsigned long long)it->base);
	if (c->lines_fit)
		cr_assert_eq(it->base, c->next_base, "chunks are contiguous");
	cr_assert_leq(it->len, SCREEN_CHUNK_MAX);
	cr_assert_eq(it->line, 0);
	cr_assert_null(it->id_json);
	cr_assert_str_eq(it->id, "notes.txt");
	cr_assert_eq(memcmp(it->text, c->input + it->base, it->len), 0);
	c->next_base = it->base + it->len;
	c->n++;
	for (size_t i = 0; i < it->result->n_hits; i++) {
		const struct indicator_hit *h = &it->result->hits[i];
		static const char phrase[] = "boss keeps my passport";
		cr_assert_eq(h->end - h->start, strlen(phrase));
		cr_assert_eq(memcmp(c->input + it->base + h->start, phrase,
		                    strlen(phrase)),
		             0);
		if (c->hits < 8)
			c->found_at[c->hits] = (size_t)(it->base + h->start);
		c->hits++;
	}
	return 0;
}

Test(screen, text_in_chunks_with_whole_input_offsets)
{
	/* 3.5 MiB of filler lines with the phrase at known places: near the
	 * start, right across the first chunk boundary, and at the end. */
	struct buf in;
	buf_init(&in, 0);
	size_t at[3];
	buf_puts(&in, "intro. ");
	at[0] = in.len;
	buf_puts(&in, "boss keeps my passport\n");
	while (in.len < SCREEN_CHUNK_MAX - 10)
		buf_puts(&in, "nothing to see here, a quiet call.\n");
	at[1] = in.len;
	buf_puts(&in, "boss keeps my passport\n");
	while (in.len < SCREEN_CHUNK_MAX * 7 / 2)
		buf_puts(&in, "caller hung up. no further information.\n");
	buf_puts(&in, "caf\xc3\xa9 \xe2\x80\x94 ");
	at[2] = in.len;
	buf_puts(&in, "boss keeps my passport"); /* no final newline */

	struct screen *s = open_screen(cache);
	struct chunks c = { .input = in.data,
		            .input_len = in.len,
		            .lines_fit = true };
	struct screen_sink sink = { .on_item = on_chunk, .ctx = &c };
	struct htd_error err;
	int fd = open_text(in.data, in.len);
	cr_assert_eq(screen_text(s, fd, "notes.txt", &sink, &err), HTD_OK);
	close(fd);
	cr_assert_eq(c.next_base, in.len, "every byte was scanned once");
	cr_assert_geq(c.n, 4);
	cr_assert_eq(c.hits, 3);
	for (int i = 0; i < 3; i++)
		cr_assert_eq(c.found_at[i], at[i], "hit %d at %zu, not %zu", i,
		             c.found_at[i], at[i]);
	struct screen_stats st;
	screen_stats(s, &st);
	cr_assert_eq(st.bytes, in.len);
	cr_assert_eq(st.hits, 3);
	cr_assert_eq(st.counting, 3);
	screen_close(s);
	buf_free(&in);
}

Test(screen, text_without_line_breaks_is_cut_between_words)
{
	/* 2.5 MiB on one line: cut at spaces with an overlap, so that no
	 * phrase is split and none is reported twice. */
	struct buf in;
	buf_init(&in, 0);
	size_t n = 0;
	while (in.len < SCREEN_CHUNK_MAX * 5 / 2) {
		buf_puts(&in, "boss keeps my passport ");
		n++;
	}
	struct screen *s = open_screen(cache);
	struct chunks c = { .input = in.data, .input_len = in.len };
	struct screen_sink sink = { .on_item = on_chunk, .ctx = &c };
	struct htd_error err;
	int fd = open_text(in.data, in.len);
	cr_assert_eq(screen_text(s, fd, "notes.txt", &sink, &err), HTD_OK);
	close(fd);
	cr_assert_eq(c.next_base, in.len);
	cr_assert_eq(c.hits, n, "found %zu of %zu", c.hits, n);
	screen_close(s);
	buf_free(&in);
}

Test(screen, text_of_one_huge_word_is_cut_between_characters)
{
	/* 1.5 MiB of 'é' with no space: cut at a character boundary. */
	size_t len = SCREEN_CHUNK_MAX * 3 / 2;
	char *in = xmalloc(len);
	for (size_t i = 0; i + 1 < len; i += 2) {
		in[i] = '\xc3';
		in[i + 1] = '\xa9';
	}
	struct screen *s = open_screen(cache);
	struct chunks c = { .input = in, .input_len = len };
	struct screen_sink sink = { .on_item = on_chunk, .ctx = &c };
	struct htd_error err;
	int fd = open_text(in, len);
	cr_assert_eq(screen_text(s, fd, "notes.txt", &sink, &err), HTD_OK);
	close(fd);
	cr_assert_eq(c.next_base, len);
	struct screen_stats st;
	screen_stats(s, &st);
	cr_assert_eq(st.invalid_bytes, 0, "no character was split");
	screen_close(s);
	free(in);
}

Test(screen, empty_input)
{
	struct screen *s = open_screen(cache);
	struct chunks c = { .input = "" };
	struct screen_sink sink = { .on_item = on_chunk, .ctx = &c };
	struct htd_error err;
	int fd = open_text("", 0);
	cr_assert_eq(screen_text(s, fd, "notes.txt", &sink, &err), HTD_OK);
	close(fd);
	cr_assert_eq(c.n, 0);
	fd = open_text("", 0);
	cr_assert_eq(screen_jsonl(s, fd, "calls.jsonl", NULL, &err), HTD_OK);
	close(fd);
	screen_close(s);
}

Test(screen, cache_state_names)
{
	cr_assert_str_eq(screen_cache_name(SCREEN_CACHE_HIT), "hit");
	cr_assert_str_eq(screen_cache_name(SCREEN_CACHE_UNWRITABLE),
	                 "unwritable");
	screen_close(NULL);
}
