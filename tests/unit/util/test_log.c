/*
 * test_log.c - unit tests of util/log.c: the key=value line format, quoting
 * and escaping (one event is always exactly one line), and level filtering.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "util/log.h"

static FILE *log_file;
static char text[256 * 1024];

static void capture(void)
{
	log_file = tmpfile();
	cr_assert_not_null(log_file);
	log_set_stream(log_file);
}

static void release(void)
{
	log_set_stream(NULL);
	if (log_file)
		fclose(log_file);
	log_file = NULL;
}

/* Returns everything logged so far. */
static const char *logged(void)
{
	cr_assert_eq(fseek(log_file, 0, SEEK_SET), 0);
	size_t n = fread(text, 1, sizeof(text) - 1, log_file);
	text[n] = '\0';
	return text;
}

static size_t count_lines(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		if (*s == '\n')
			n++;
	return n;
}

/* Returns what follows the timestamp and level of a single logged line,
 * checking that part on the way. */
static const char *after_prefix(const char *line, const char *level)
{
	/* ts=2026-11-29T08:54:19.123Z */
	cr_assert_eq(strncmp(line, "ts=", 3), 0, "line: %s", line);
	const char *ts = line + 3;
	cr_assert_eq(strlen(ts) > 24, true);
	cr_assert_eq(ts[4], '-');
	cr_assert_eq(ts[10], 'T');
	cr_assert_eq(ts[19], '.');
	cr_assert_eq(ts[23], 'Z');
	const char *rest = ts + 24;
	char want[32];
	snprintf(want, sizeof(want), " level=%s ", level);
	cr_assert_eq(strncmp(rest, want, strlen(want)), 0, "line: %s", line);
	return rest + strlen(want);
}

TestSuite(log, .init = capture, .fini = release);

Test(log, plain_values_are_written_as_key_equals_value)
{
	log_event(LOG_INFO, "call_opened", "call", "HT-2026-000001", "channel",
	          "voice", NULL);
	const char *s = logged();
	cr_assert_eq(count_lines(s), 1);
	cr_assert_str_eq(
	    after_prefix(s, "info"),
	    "event=call_opened call=HT-2026-000001 channel=voice\n");
}

Test(log, event_without_pairs)
{
	log_event(LOG_WARN, "disk_low", NULL);
	cr_assert_str_eq(after_prefix(logged(), "warn"), "event=disk_low\n");
}

Test(log, empty_null_and_missing_values)
{
	log_event(LOG_ERROR, NULL, "a", "", "b", NULL, NULL);
	cr_assert_str_eq(after_prefix(logged(), "error"),
	                 "event=unknown a=\"\" b=\"\"\n");
}

Test(log, values_with_spaces_quotes_and_equals_are_quoted)
{
	log_event(LOG_INFO, "e", "space", "a b", "quote", "say \"hi\"", "eq",
	          "k=v", "slash", "a\\b", "utf8", "se\xc3\xb1or", NULL);
	cr_assert_str_eq(after_prefix(logged(), "info"),
	                 "event=e space=\"a b\" quote=\"say \\\"hi\\\"\" "
	                 "eq=\"k=v\" slash=\"a\\\\b\" utf8=se\xc3\xb1or\n");
}

Test(log, control_characters_are_escaped_to_stay_on_one_line)
{
	log_event(LOG_INFO, "e", "nl", "line1\nline2", "cr", "a\rb", "tab",
	          "a\tb", "esc", "\x1b[2J", "del", "x\x7f", "bell", "\a", NULL);
	const char *s = logged();
	cr_assert_eq(count_lines(s), 1, "log: %s", s);
	cr_assert_str_eq(after_prefix(s, "info"),
	                 "event=e nl=\"line1\\nline2\" cr=\"a\\rb\" "
	                 "tab=\"a\\tb\" esc=\"\\x1b[2J\" del=\"x\\x7f\" "
	                 "bell=\"\\x07\"\n");
}

Test(log, c1_controls_are_escaped)
{
	/* U+0085 NEL ends a line for some readers; U+009B is CSI. */
	log_event(LOG_INFO, "e", "nel", "a\xc2\x85z", "csi",
	          "\xc2\x9b"
	          "2J",
	          "nbsp", "a\xc2\xa0z", NULL);
	const char *s = logged();
	cr_assert_eq(count_lines(s), 1);
	cr_assert_null(strstr(s, "\xc2\x85"));
	cr_assert_null(strstr(s, "\xc2\x9b"));
	cr_assert_str_eq(after_prefix(s, "info"),
	                 "event=e nel=\"a\\xc2\\x85z\" csi=\"\\xc2\\x9b2J\" "
	                 "nbsp=a\xc2\xa0z\n");
}

Test(log, a_forged_line_stays_inside_the_value)
{
	log_event(LOG_INFO, "login", "user",
	          "bob\nts=2026-01-01T00:00:00.000Z level=info event=admin",
	          NULL);
	const char *s = logged();
	cr_assert_eq(count_lines(s), 1);
	cr_assert_eq(s[strlen(s) - 1], '\n');
	cr_assert_not_null(strstr(s, "user=\"bob\\nts=2026"));
}

Test(log, event_name_is_escaped_too)
{
	log_event(LOG_INFO, "bad event\n", NULL);
	cr_assert_str_eq(after_prefix(logged(), "info"),
	                 "event=\"bad event\\n\"\n");
}

Test(log, long_values_are_cut)
{
	static char big[5000];
	memset(big, 'a', sizeof(big) - 1);
	big[1] = ' ';
	log_event(LOG_INFO, "e", "v", big, NULL);
	const char *s = logged();
	cr_assert_eq(count_lines(s), 1);
	const char *v = strstr(s, " v=\"");
	cr_assert_not_null(v);
	v += 4;
	/* 1024 bytes of the value, then "..." and the closing quote. */
	cr_assert_eq(strlen(v), 1024 + 3 + 2);
	cr_assert_eq(strcmp(v + 1024, "...\"\n"), 0);
}

Test(log, long_plain_values_are_cut_and_the_line_still_ends)
{
	/* Bigger than the 64 KiB line buffer, with nothing to quote. */
	static char big[70000];
	memset(big, 'b', sizeof(big) - 1);
	log_event(LOG_INFO, "e", "v", big, "after", "yes", NULL);
	log_event(LOG_INFO, "next", NULL);
	const char *s = logged();
	cr_assert_eq(count_lines(s), 2);
	const char *second = strchr(s, '\n') + 1;
	cr_assert_str_eq(after_prefix(second, "info"), "event=next\n");
	cr_assert_not_null(strstr(s, "...\" after=yes\n"));
	cr_assert_lt(strlen(s), 4096);
}

Test(log, a_value_of_exactly_the_limit_is_kept_whole)
{
	static char v[1025];
	memset(v, 'c', sizeof(v) - 1);
	log_event(LOG_INFO, "e", "v", v, NULL);
	const char *s = logged();
	const char *p = strstr(s, " v=");
	cr_assert_not_null(p);
	cr_assert_eq(strlen(p + 3), 1024 + 1);
	cr_assert_null(strstr(s, "..."));
}

Test(log, many_events_are_many_lines)
{
	for (int i = 0; i < 50; i++)
		log_event(LOG_INFO, "tick", "note", "a\nb\r\nc", NULL);
	cr_assert_eq(count_lines(logged()), 50);
}

Test(log, default_level_is_info)
{
	cr_assert_not(log_enabled(LOG_DEBUG));
	cr_assert(log_enabled(LOG_INFO));
	cr_assert(log_enabled(LOG_ERROR));
	cr_assert_not(log_enabled(LOG_OFF));
	log_event(LOG_DEBUG, "hidden", NULL);
	cr_assert_str_eq(logged(), "");
}

Test(log, level_filtering)
{
	log_set_level(LOG_WARN);
	cr_assert_not(log_enabled(LOG_INFO));
	cr_assert(log_enabled(LOG_WARN));
	log_event(LOG_DEBUG, "d", NULL);
	log_event(LOG_INFO, "i", NULL);
	log_event(LOG_WARN, "w", NULL);
	log_event(LOG_ERROR, "e", NULL);
	const char *s = logged();
	cr_assert_eq(count_lines(s), 2);
	cr_assert_null(strstr(s, "event=d"));
	cr_assert_null(strstr(s, "event=i"));
	cr_assert_not_null(strstr(s, "level=warn event=w\n"));
	cr_assert_not_null(strstr(s, "level=error event=e\n"));

	log_set_level(LOG_DEBUG);
	log_event(LOG_DEBUG, "d2", NULL);
	cr_assert_not_null(strstr(logged(), "level=debug event=d2\n"));

	log_set_level(LOG_OFF);
	for (int l = LOG_DEBUG; l <= LOG_OFF; l++)
		cr_assert_not(log_enabled((enum log_level)l));
	log_event(LOG_ERROR, "silenced", NULL);
	/* Writing at LOG_OFF itself never logs. */
	log_set_level(LOG_DEBUG);
	log_event(LOG_OFF, "off", NULL);
	cr_assert_eq(count_lines(logged()), 3);
}

Test(log, level_parse)
{
	enum log_level l = LOG_INFO;
	cr_assert(log_level_parse("debug", &l));
	cr_assert_eq(l, LOG_DEBUG);
	cr_assert(log_level_parse("warn", &l));
	cr_assert_eq(l, LOG_WARN);
	cr_assert(log_level_parse("error", &l));
	cr_assert_eq(l, LOG_ERROR);
	cr_assert(log_level_parse("off", &l));
	cr_assert_eq(l, LOG_OFF);
	cr_assert(log_level_parse("info", &l));
	cr_assert_eq(l, LOG_INFO);
	cr_assert_not(log_level_parse("INFO", &l));
	cr_assert_not(log_level_parse("warning", &l));
	cr_assert_not(log_level_parse("", &l));
	cr_assert_not(log_level_parse(NULL, &l));
	cr_assert_eq(l, LOG_INFO);
}

Test(log, timestamp_is_now)
{
	log_event(LOG_INFO, "e", NULL);
	const char *s = logged();
	/* The year of the timestamp is this year in UTC. */
	char year[5];
	memcpy(year, s + 3, 4);
	year[4] = '\0';
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	char want[16];
	snprintf(want, sizeof(want), "%04d", tm.tm_year + 1900);
	cr_assert_str_eq(year, want);
}
