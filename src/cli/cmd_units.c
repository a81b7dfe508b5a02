/*
 * cmd_units.c - `htdispatch units ...`: add patrol units, set their status
 * and position, list them and rank them for a place. Every action is one
 * function of service/units.h (which writes the audit entry); this file
 * parses arguments and prints. Dispatching units to a call is
 * `htdispatch calls dispatch` (cmd_calls.c).
 */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "service/units.h"
#include "util/clock.h"
#include "util/str.h"

const char cli_usage_units[] =
    "usage: htdispatch units ACTION [OPTIONS] [ARGS]\n"
    "\n"
    "Actions:\n"
    "  add CALLSIGN [--agency A] [--languages es,vi] [--ht-trained]\n"
    "                     add a unit (available, no position yet)\n"
    "  status CALLSIGN STATUS\n"
    "                     set its status: available, en_route, on_scene,\n"
    "                     cleared, out_of_service (units are dispatched\n"
    "                     with htdispatch calls dispatch)\n"
    "  position CALLSIGN LAT LON\n"
    "                     record its position now (WGS 84 degrees)\n"
    "  list               list the units\n"
    "  recommend --lat LAT --lon LON [--language L]\n"
    "                     rank the available units for a place: travel\n"
    "                     time, preferring a speaker of L (up to 2 min\n"
    "                     further) and trafficking training (1.5 min)\n"
    "\n"
    "Call signs: 1 to 16 of A-Z, 0-9 and '-' (2A31, K9-4); any case.\n"
    "Languages: ISO 639-1 codes beyond the agency's own (es, vi, ht).\n"
    "Every change and read is in the audit log, by cli:<your login name>.\n"
    "\n"
    "Common options: --db PATH, --json, --busy-timeout MS, --help.\n"
    "Exit status: 0 success, 1 failure (e.g. no such unit, a status the\n"
    "unit cannot go to), 2 usage error (what was typed is wrong).\n";

struct units_ctx {
	struct cli *cli;
	struct service svc;
	struct store *store;
};

static int ctx_open(struct units_ctx *ctx)
{
	struct htd_error err;
	htd_error_clear(&err);
	if (cli_open_store(ctx->cli, false, &ctx->store, &err) != HTD_OK)
		return cli_fail(ctx->cli, &err);
	ctx->svc.store = ctx->store;
	ctx->svc.clock = clock_system();
	ctx->svc.address = "cli";
	ctx->svc.actor = cli_actor();
	return -1;
}

static void print_json(json_t *o)
{
	json_dumpf(o, stdout, JSON_COMPACT);
	fputc('\n', stdout);
	json_decref(o);
}

static json_t *time_json(int64_t ms)
{
	char t[TIME_TEXT_MAX];
	if (ms <= 0 || !time_format_utc(ms, t, sizeof(t)))
		return json_null();
	return json_string(t);
}

static json_t *unit_json(const struct store_unit *su)
{
	const struct unit *u = &su->unit;
	json_t *langs = json_array();
	for (size_t i = 0; i < u->n_languages; i++)
		json_array_append_new(langs, json_string(u->languages[i]));
	json_t *pos = json_null();
	if (u->has_position)
		pos = json_pack("{s:f,s:f,s:o}", "lat", u->lat, "lon", u->lon,
		                "at", time_json(u->position_ms));
	return json_pack(
	    "{s:s,s:s,s:s,s:o,s:o,s:b,s:o,s:o,s:I}", "call_sign", u->call_sign,
	    "agency", u->agency, "status", units_status_name(u->status),
	    "position", pos, "languages", langs, "ht_trained",
	    (int)u->ht_trained, "call",
	    su->call_ref[0] ? json_string(su->call_ref) : json_null(),
	    "updated_at", time_json(su->updated_at_ms), "version",
	    (json_int_t)su->version);
}

static void languages_text(const struct unit *u, char *out, size_t size)
{
	str_copy(out, size, u->n_languages ? "" : "-");
	for (size_t i = 0; i < u->n_languages; i++) {
		size_t used = strlen(out);
		str_format(out + used, size - used, "%s%s", i ? "," : "",
		           u->languages[i]);
	}
}

/* Prints one unit after a change. */
static int print_unit(struct units_ctx *ctx, const struct store_unit *su,
                      const char *what)
{
	if (ctx->cli->json) {
		print_json(unit_json(su));
		return CLI_EXIT_OK;
	}
	printf("Unit %s %s: %s%s%s\n", su->unit.call_sign, what,
	       units_status_name(su->unit.status),
	       su->call_ref[0] ? " on " : "", su->call_ref);
	return CLI_EXIT_OK;
}

/* Takes no options but the common ones and exactly `n` arguments. */
static int args_only(struct units_ctx *ctx, int argc, char **argv, int n,
                     const char *usage)
{
	int code, c;
	while ((c = cli_getopt(ctx->cli, argc, argv, "", NULL, &code)) != -1) {
		if (c == -2)
			return code;
		return cli_usage_error(ctx->cli, "bad option");
	}
	if (argc - optind != n)
		return cli_usage_error(ctx->cli, "usage: %s", usage);
	return -1;
}

static int act_add(struct units_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "agency", required_argument, NULL, 'a' },
		{ "languages", required_argument, NULL, 'l' },
		{ "ht-trained", no_argument, NULL, 't' },
		{ 0, 0, 0, 0 },
	};
	struct units_add_request req = { 0 };
	int code, c;
	while ((c = cli_getopt(ctx->cli, argc, argv, "", opts, &code)) != -1) {
		switch (c) {
		case -2: return code;
		case 'a': req.agency = optarg; break;
		case 'l': req.languages = optarg; break;
		case 't': req.ht_trained = true; break;
		default: return cli_usage_error(ctx->cli, "bad option");
		}
	}
	if (argc - optind != 1)
		return cli_usage_error(ctx->cli,
		                       "usage: units add CALLSIGN [--agency A] "
		                       "[--languages es,vi] [--ht-trained]");
	req.call_sign = argv[optind];
	if ((code = ctx_open(ctx)) >= 0)
		return code;
	struct store_unit u;
	struct htd_error err;
	htd_error_clear(&err);
	if (units_add(&ctx->svc, cli_actor(), &req, &u, &err) != HTD_OK)
		return cli_fail(ctx->cli, &err);
	return print_unit(ctx, &u, "added");
}

static int act_status(struct units_ctx *ctx, int argc, char **argv)
{
	int code =
	    args_only(ctx, argc, argv, 2, "units status CALLSIGN STATUS");
	if (code >= 0)
		return code;
	if ((code = ctx_open(ctx)) >= 0)
		return code;
	struct store_unit u;
	struct htd_error err;
	htd_error_clear(&err);
	if (units_set_status(&ctx->svc, cli_actor(), argv[optind],
	                     argv[optind + 1], &u, &err) != HTD_OK)
		return cli_fail(ctx->cli, &err);
	return print_unit(ctx, &u, "is now");
}

static int act_position(struct units_ctx *ctx, int argc, char **argv)
{
	int code =
	    args_only(ctx, argc, argv, 3, "units position CALLSIGN LAT LON");
	if (code >= 0)
		return code;
	double lat, lon;
	struct htd_error err;
	htd_error_clear(&err);
	if (units_degrees_parse(argv[optind + 1], "lat", &lat, &err) !=
	        HTD_OK ||
	    units_degrees_parse(argv[optind + 2], "lon", &lon, &err) != HTD_OK)
		return cli_fail(ctx->cli, &err);
	if ((code = ctx_open(ctx)) >= 0)
		return code;
	struct store_unit u;
	if (units_report_position(&ctx->svc, cli_actor(), argv[optind], lat,
	                          lon, 0, &u, &err) != HTD_OK)
		return cli_fail(ctx->cli, &err);
	if (ctx->cli->json) {
		print_json(unit_json(&u));
		return CLI_EXIT_OK;
	}
	printf("Unit %s at %.6f, %.6f\n", u.unit.call_sign, u.unit.lat,
	       u.unit.lon);
	return CLI_EXIT_OK;
}

static int act_list(struct units_ctx *ctx, int argc, char **argv)
{
	int code = args_only(ctx, argc, argv, 0, "units list [--json]");
	if (code >= 0)
		return code;
	if ((code = ctx_open(ctx)) >= 0)
		return code;
	struct store_unit_list l;
	struct htd_error err;
	htd_error_clear(&err);
	if (units_list(&ctx->svc, &l, &err) != HTD_OK)
		return cli_fail(ctx->cli, &err);
	if (ctx->cli->json) {
		json_t *arr = json_array();
		for (size_t i = 0; i < l.n; i++)
			json_array_append_new(arr, unit_json(&l.units[i]));
		print_json(json_pack("{s:o}", "units", arr));
	} else if (l.n == 0) {
		printf("No units yet: htdispatch units add CALLSIGN\n");
	} else {
		printf("%-16s %-14s %-16s %-22s %-8s %-3s %s\n", "CALL SIGN",
		       "STATUS", "CALL", "POSITION", "LANG", "HT", "AGENCY");
		for (size_t i = 0; i < l.n; i++) {
			const struct store_unit *su = &l.units[i];
			char pos[64], langs[32];
			if (su->unit.has_position)
				str_format(pos, sizeof(pos), "%.5f,%.5f",
				           su->unit.lat, su->unit.lon);
			else
				str_copy(pos, sizeof(pos), "-");
			languages_text(&su->unit, langs, sizeof(langs));
			printf("%-16s %-14s %-16s %-22s %-8s %-3s %s\n",
			       su->unit.call_sign,
			       units_status_name(su->unit.status),
			       su->call_ref[0] ? su->call_ref : "-", pos, langs,
			       su->unit.ht_trained ? "yes" : "-",
			       su->unit.agency[0] ? su->unit.agency : "-");
		}
	}
	store_unit_list_free(&l);
	return CLI_EXIT_OK;
}

static int act_recommend(struct units_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "lat", required_argument, NULL, 'y' },
		{ "lon", required_argument, NULL, 'x' },
		{ "language", required_argument, NULL, 'l' },
		{ 0, 0, 0, 0 },
	};
	const char *lat_text = NULL, *lon_text = NULL, *language = NULL;
	int code, c;
	while ((c = cli_getopt(ctx->cli, argc, argv, "", opts, &code)) != -1) {
		switch (c) {
		case -2: return code;
		case 'y': lat_text = optarg; break;
		case 'x': lon_text = optarg; break;
		case 'l': language = optarg; break;
		default: return cli_usage_error(ctx->cli, "bad option");
		}
	}
	if (optind < argc || !lat_text || !lon_text)
		return cli_usage_error(ctx->cli,
		                       "usage: units recommend --lat LAT --lon "
		                       "LON [--language L]");
	double lat, lon;
	struct htd_error err;
	htd_error_clear(&err);
	if (units_degrees_parse(lat_text, "lat", &lat, &err) != HTD_OK ||
	    units_degrees_parse(lon_text, "lon", &lon, &err) != HTD_OK)
		return cli_fail(ctx->cli, &err);
	if ((code = ctx_open(ctx)) >= 0)
		return code;
	struct units_recommendation r;
	if (units_recommend_for(&ctx->svc, lat, lon, language, &r, &err) !=
	    HTD_OK)
		return cli_fail(ctx->cli, &err);
	if (ctx->cli->json) {
		json_t *arr = json_array();
		for (size_t i = 0; i < r.n; i++) {
			const struct units_ranked *k = &r.ranked[i];
			json_array_append_new(
			    arr, json_pack("{s:i,s:s,s:f,s:f,s:s}", "rank",
			                   (int)(i + 1), "call_sign",
			                   k->unit->call_sign, "travel_s",
			                   k->travel_s, "distance_km",
			                   k->distance_km, "explanation",
			                   k->explanation));
		}
		print_json(json_pack("{s:o}", "units", arr));
	} else if (r.n == 0) {
		printf("No unit is available.\n");
	} else {
		for (size_t i = 0; i < r.n; i++)
			printf("%2zu. %-16s %s\n", i + 1,
			       r.ranked[i].unit->call_sign,
			       r.ranked[i].explanation);
	}
	units_recommendation_free(&r);
	return CLI_EXIT_OK;
}

static const struct {
	const char *name;
	int (*run)(struct units_ctx *ctx, int argc, char **argv);
} actions[] = {
	{ "add", act_add },
	{ "status", act_status },
	{ "position", act_position },
	{ "list", act_list },
	{ "recommend", act_recommend },
};

static int run_action(struct cli *cli, size_t action, int argc, char **argv)
{
	struct units_ctx ctx = { .cli = cli };
	int code = actions[action].run(&ctx, argc, argv);
	store_close(ctx.store);
	return code;
}

int cli_cmd_units(struct cli *cli, int argc, char **argv)
{
	const char *names[sizeof(actions) / sizeof(actions[0])];
	for (size_t i = 0; i < sizeof(actions) / sizeof(actions[0]); i++)
		names[i] = actions[i].name;
	return cli_run_action(cli, "units", cli_usage_units, names,
	                      sizeof(actions) / sizeof(actions[0]), argc, argv,
	                      run_action);
}
