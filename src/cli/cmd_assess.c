/*
 * cmd_assess.c - `htdispatch assess [FILE|-]`: one call as JSON in, the
 * protocol's decision as JSON out, nothing stored (service/assess).
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "service/assess.h"
#include "util/clock.h"
#include "util/mem.h"
#include "util/str.h"

const char cli_usage_assess[] =
    "usage: htdispatch assess [OPTIONS] [FILE|-]\n"
    "\n"
    "Reads one call as JSON (from FILE, or standard input) and prints the\n"
    "protocol's decision as JSON: category, priority, the indicators found\n"
    "in the notes, the action checklist, the next questions and the\n"
    "rationale. Nothing is stored. The input:\n"
    "  {\"channel\": \"voice\", \"language\": \"en\", \"notes\": \"...\",\n"
    "   \"answers\": {\"free_to_leave\": \"no\", ...},\n"
    "   \"override\": {\"category\": \"...\", \"reason\": \"...\"},\n"
    "   \"actions\": [{\"action\": \"...\", \"state\": \"done\", "
    "\"reason\": \"...\"}]}\n"
    "Every member is optional; answers to questions the protocol does not\n"
    "have are listed in \"warnings\". See docs/protocol.md.\n"
    "\n"
    "Options:\n" CLI_ENGINE_USAGE
    "  --compact        one line of JSON instead of indented\n"
    "\n"
    "Exit status: 0 decided; 1 the protocol, policy or lexicon cannot be\n"
    "loaded, or the file cannot be read; 2 the input is not valid (the\n"
    "message gives the position or the member at fault).\n";

/* Reads all of `fd`, at most ASSESS_INPUT_MAX bytes. */
static int read_input(struct cli *cli, const char *name, int fd, char **out,
                      size_t *len)
{
	size_t cap = 64 * 1024, n = 0;
	char *buf = xmalloc(cap);
	for (;;) {
		if (n == cap) {
			if (cap >= ASSESS_INPUT_MAX + 1)
				break;
			cap *= 2;
			buf = xrealloc(buf, cap);
		}
		ssize_t r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			struct htd_error err;
			htd_error_set(&err, HTD_ERR_IO, "%s: %s", name,
			              strerror(errno));
			free(buf);
			return cli_fail(cli, &err);
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	if (n > ASSESS_INPUT_MAX) {
		struct htd_error err;
		htd_error_set(
		    &err, HTD_ERR_TOO_LARGE,
		    "%s: larger than %zu bytes; assess takes one call", name,
		    ASSESS_INPUT_MAX);
		free(buf);
		return cli_fail(cli, &err);
	}
	*out = buf;
	*len = n;
	return CLI_EXIT_OK;
}

int cli_cmd_assess(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		CLI_ENGINE_OPTIONS,
		{ "compact", no_argument, NULL, 'C' },
		{ 0, 0, 0, 0 },
	};
	struct cli_engine ce;
	struct engine *en = NULL;
	bool compact = false;
	char *data = NULL;
	size_t len = 0;
	json_t *input = NULL, *out = NULL;
	int code, c, fd = -1;

	cli_engine_init(&ce);
	/* assess never searches records: no nickname tables to load. */
	ce.opts.nicknames_dir = "";
	while ((c = cli_getopt(cli, argc, argv, "", opts, &code)) != -1) {
		if (c == -2)
			return code;
		int r = cli_engine_option(cli, &ce, c, optarg);
		if (r == 2)
			return CLI_EXIT_USAGE;
		if (r == 0)
			continue;
		if (c == 'C')
			compact = true;
		else
			return cli_usage_error(cli, "bad option");
	}
	if (argc - optind > 1)
		return cli_usage_error(cli, "assess takes one FILE (or -)");
	const char *name = optind < argc ? argv[optind] : "-";
	if (strcmp(name, "-") == 0) {
		fd = STDIN_FILENO;
	} else {
		fd = open(name, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			struct htd_error err;
			htd_error_set(&err,
			              errno == ENOENT ? HTD_ERR_NOT_FOUND
			                              : HTD_ERR_IO,
			              "%s: %s", name, strerror(errno));
			return cli_fail(cli, &err);
		}
	}
	code = read_input(cli, name, fd, &data, &len);
	if (fd != STDIN_FILENO)
		close(fd);
	if (code != CLI_EXIT_OK)
		goto out;

	json_error_t jerr;
	input = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!input) {
		struct htd_error err;
		htd_error_at(&err, HTD_ERR_PARSE, name, jerr.line, jerr.column,
		             "malformed JSON at byte %d: %s", jerr.position,
		             jerr.text);
		code = cli_fail(cli, &err);
		goto out;
	}
	code = cli_open_engine(cli, &ce, &en);
	if (code != CLI_EXIT_OK)
		goto out;
	struct htd_error err;
	htd_error_clear(&err);
	if (assess_json(en, input, clock_now_ms(NULL), &out, &err) != HTD_OK) {
		code = cli_fail(cli, &err);
		goto out;
	}
	json_dumpf(out, stdout,
	           (compact ? JSON_COMPACT : JSON_INDENT(2)) |
	               JSON_PRESERVE_ORDER);
	fputc('\n', stdout);
	code = fflush(stdout) == 0 ? CLI_EXIT_OK : CLI_EXIT_FAILURE;
out:
	json_decref(out);
	json_decref(input);
	engine_close(en);
	free(data);
	return code;
}
