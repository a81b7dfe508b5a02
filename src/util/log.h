/*
 * log.h - structured logging: one line per event, key=value, to stderr.
 *
 *   ts=2026-11-29T08:54:19.123Z level=info event=call_opened
 * call=HT-2026-000001
 *
 * Values are quoted when they hold spaces, quotes or '='; control characters
 * are escaped, so a value can never forge a second line. Callers never pass
 * secrets, passwords, tokens or victim identity: log ids, not people.
 */
#ifndef HTD_UTIL_LOG_H
#define HTD_UTIL_LOG_H

#include <stdbool.h>
#include <stdio.h>

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR, LOG_OFF };

/* Sets the lowest level written (default LOG_INFO). */
void log_set_level(enum log_level level);

/* Parses "debug", "info", "warn", "error" or "off"; false if none. */
bool log_level_parse(const char *s, enum log_level *out);

/* Sends log lines to `f` instead of stderr (NULL restores stderr). */
void log_set_stream(FILE *f);

/* Returns true when `level` would be written. */
bool log_enabled(enum log_level level);

/*
 * Writes one line: the event name, then key/value string pairs ending with a
 * NULL key. A NULL value is written as the empty string. Thread-safe (one
 * write per line).
 *   log_event(LOG_INFO, "call_opened", "call", ref, "channel", "voice", NULL);
 */
void log_event(enum log_level level, const char *event, ...)
    __attribute__((sentinel));

#endif
