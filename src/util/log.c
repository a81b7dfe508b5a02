/*
 * log.c - key=value log lines, each written with one fwrite under the stream
 * lock so that lines from threads never interleave.
 */
#include "util/log.h"

#include <stdarg.h>
#include <string.h>

#include "util/buf.h"
#include "util/clock.h"

static enum log_level log_min = LOG_INFO;
static FILE *log_stream;

static const char *const level_names[] = { "debug", "info", "warn", "error",
	                                   "off" };

void log_set_level(enum log_level level)
{
	log_min = level;
}

bool log_level_parse(const char *s, enum log_level *out)
{
	for (int i = LOG_DEBUG; i <= LOG_OFF; i++) {
		if (s && strcmp(s, level_names[i]) == 0) {
			*out = (enum log_level)i;
			return true;
		}
	}
	return false;
}

void log_set_stream(FILE *f)
{
	log_stream = f;
}

bool log_enabled(enum log_level level)
{
	return level >= log_min && level < LOG_OFF;
}

/* Values longer than this are cut, so that a line stays bounded. */
#define LOG_VALUE_MAX 1024

/* A C1 control (U+0080..U+009F; NEL is one) is encoded as C2 80..C2 9F. */
static bool is_c1(const unsigned char *p)
{
	return p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f;
}

static bool needs_quotes(const char *v)
{
	if (!*v)
		return true;
	size_t n = 0;
	for (const unsigned char *p = (const unsigned char *)v; *p; p++, n++)
		if (*p <= ' ' || *p == '"' || *p == '=' || *p == '\\' ||
		    *p == 0x7f || is_c1(p) || n >= LOG_VALUE_MAX)
			return true;
	return false;
}

/* Appends `v`, quoted and escaped as needed. Long values are cut at 1 KiB. */
static void append_value(struct buf *b, const char *v)
{
	if (!needs_quotes(v)) {
		(void)buf_puts(b, v);
		return;
	}
	(void)buf_puts(b, "\"");
	size_t n = 0;
	for (const unsigned char *p = (const unsigned char *)v; *p; p++, n++) {
		if (n >= LOG_VALUE_MAX) {
			(void)buf_puts(b, "...");
			break;
		}
		switch (*p) {
		case '"': (void)buf_puts(b, "\\\""); break;
		case '\\': (void)buf_puts(b, "\\\\"); break;
		case '\n': (void)buf_puts(b, "\\n"); break;
		case '\r': (void)buf_puts(b, "\\r"); break;
		case '\t': (void)buf_puts(b, "\\t"); break;
		default:
			if (*p < 0x20 || *p == 0x7f) {
				(void)buf_printf(b, "\\x%02x", *p);
			} else if (is_c1(p)) {
				(void)buf_printf(b, "\\x%02x\\x%02x", p[0],
				                 p[1]);
				p++;
				n++;
			} else {
				(void)buf_append(b, p, 1);
			}
		}
	}
	(void)buf_puts(b, "\"");
}

void log_event(enum log_level level, const char *event, ...)
{
	if (!log_enabled(level))
		return;
	char ts[TIME_TEXT_MAX];
	if (!time_format_utc(clock_now_ms(clock_system()), ts, sizeof(ts)))
		ts[0] = '\0';

	struct buf b;
	buf_init(&b, 64 * 1024);
	(void)buf_printf(&b, "ts=%s level=%s event=", ts, level_names[level]);
	append_value(&b, event ? event : "unknown");

	va_list ap;
	va_start(ap, event);
	for (;;) {
		const char *key = va_arg(ap, const char *);
		if (!key)
			break;
		const char *value = va_arg(ap, const char *);
		(void)buf_printf(&b, " %s=", key);
		append_value(&b, value ? value : "");
	}
	va_end(ap);
	(void)buf_puts(&b, "\n");

	FILE *f = log_stream ? log_stream : stderr;
	flockfile(f);
	fwrite(buf_str(&b), 1, b.len, f);
	fflush(f);
	funlockfile(f);
	buf_free(&b);
}
