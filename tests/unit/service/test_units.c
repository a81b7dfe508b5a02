/*
 * test_units.c - the unit use cases: adding, the status machine with its
 * refusals named, position reports, the recommendation over the board,
 * and dispatch: the call's checklist says who sent which units and when,
 * the units follow, a busy unit is refused, and every step is audited.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "service/audit.h"
#include "service/units.h"
#include "testutil.h"
#include "util/mem.h"
#include "util/str.h"

static char dir[512];
static char db[600];
static int64_t now;
static struct htd_clock fixed;
static struct store *store;
static struct service svc;

static void setup(void)
{
	snprintf(dir, sizeof(dir), "%s", tu_tmpdir());
	tu_path(db, sizeof(db), dir, "t.db");
	now = tu_local_ms("2026-05-01T12:00:00");
	clock_fixed(&fixed, &now);
	struct store_options o = { .path = db, .create = true };
	struct htd_error err;
	cr_assert_eq(store_open(&o, &store, &err), HTD_OK, "%s", err.message);
	svc.store = store;
	svc.clock = &fixed;
	svc.address = "test";
	svc.actor = "user:dana";
}

static void teardown(void)
{
	store_close(store);
	tu_rmtree(dir);
}

TestSuite(service_units, .init = setup, .fini = teardown);

static void add(const char *cs, const char *langs, bool ht, double lat,
                double lon)
{
	struct units_add_request req = { .call_sign = cs,
		                         .languages = langs,
		                         .ht_trained = ht };
	struct htd_error err;
	cr_assert_eq(units_add(&svc, "user:dana", &req, NULL, &err), HTD_OK,
	             "%s", err.message);
	cr_assert_eq(units_report_position(&svc, "user:dana", cs, lat, lon, 0,
	                                   NULL, &err),
	             HTD_OK, "%s", err.message);
}

static void open_call(char ref[CALL_REF_MAX])
{
	struct call c;
	struct call_open_request req = { .language = "vi" };
	struct htd_error err;
	call_init(&c);
	cr_assert_eq(calls_open(&svc, "user:ana", &req, &c, &err), HTD_OK, "%s",
	             err.message);
	str_copy(ref, CALL_REF_MAX, c.ref);
	call_free(&c);
}

/* How many audit entries of `action` with `outcome` there are. */
struct count_ctx {
	const char *action, *outcome;
	int n;
};

static int count_entry(void *vctx, const struct store_audit *a)
{
	struct count_ctx *c = vctx;
	if (strcmp(a->action, c->action) == 0 &&
	    strcmp(a->outcome, c->outcome) == 0)
		c->n++;
	return 0;
}

static int audited(const char *action, const char *outcome)
{
	struct count_ctx c = { action, outcome, 0 };
	struct store_audit_filter f = { .limit = 1000 };
	cr_assert_eq(store_audit_list(store, &f, count_entry, &c, NULL),
	             HTD_OK);
	return c.n;
}

Test(service_units, add_keeps_the_call_sign_in_upper_case)
{
	struct units_add_request req = { .call_sign = "2a31",
		                         .agency = " Austin PD ",
		                         .languages = "ES, vi",
		                         .ht_trained = true };
	struct store_unit u;
	struct htd_error err;
	cr_assert_eq(units_add(&svc, "user:dana", &req, &u, &err), HTD_OK, "%s",
	             err.message);
	cr_assert_str_eq(u.unit.call_sign, "2A31");
	cr_assert_str_eq(u.unit.agency, "Austin PD");
	cr_assert_eq(u.unit.n_languages, 2);
	cr_assert_str_eq(u.unit.languages[0], "es");
	cr_assert_str_eq(u.unit.languages[1], "vi");
	cr_assert_eq(u.unit.status, UNIT_STATUS_AVAILABLE);
	cr_assert(u.unit.ht_trained);
	cr_assert_eq(units_add(&svc, "user:dana", &req, NULL, &err),
	             HTD_ERR_CONFLICT);
	req.call_sign = "2A 31";
	cr_assert_eq(units_add(&svc, "user:dana", &req, NULL, &err),
	             HTD_ERR_INVALID);
	cr_assert_str_eq(err.field, "call_sign");
	req.call_sign = "2A34";
	req.languages = "spanish";
	cr_assert_eq(units_add(&svc, "user:dana", &req, NULL, &err),
	             HTD_ERR_INVALID);
	cr_assert_str_eq(err.field, "languages");
	cr_assert_eq(audited("unit.add", "ok"), 1);
	cr_assert_eq(audited("unit.add", "conflict"), 1);
	cr_assert_eq(audited("unit.add", "invalid"), 2);
}

Test(service_units, transitions_are_refused_with_a_clear_error)
{
	struct htd_error err;
	struct store_unit u;
	add("2A31", "", false, 30.27, -97.74);
	cr_assert_eq(
	    units_set_status(&svc, "user:dana", "2A31", "on_scene", &u, &err),
	    HTD_OK, "%s", err.message);
	cr_assert_eq(
	    units_set_status(&svc, "user:dana", "2A31", "available", &u, &err),
	    HTD_ERR_CONFLICT);
	cr_assert_str_eq(err.field, "status");
	cr_assert(strstr(err.message, "on_scene"), "%s", err.message);
	cr_assert_eq(
	    units_set_status(&svc, "user:dana", "2A31", "dispatched", &u, &err),
	    HTD_ERR_INVALID);
	cr_assert(strstr(err.message, "calls dispatch"), "%s", err.message);
	cr_assert_eq(
	    units_set_status(&svc, "user:dana", "2A31", "lunch", &u, &err),
	    HTD_ERR_INVALID);
	cr_assert_eq(
	    units_set_status(&svc, "user:dana", "2A99", "cleared", &u, &err),
	    HTD_ERR_NOT_FOUND);
	cr_assert_eq(units_get(&svc, "2a31", &u, &err), HTD_OK);
	cr_assert_eq(u.unit.status, UNIT_STATUS_ON_SCENE, "unchanged");
	cr_assert_eq(audited("unit.status", "conflict"), 1);
	cr_assert_eq(audited("unit.read", "ok"), 1);
}

Test(service_units, positions_are_checked)
{
	struct htd_error err;
	struct store_unit u;
	add("2A31", "", false, 30.27, -97.74);
	cr_assert_eq(units_report_position(&svc, "user:dana", "2A31", 91, 0, 0,
	                                   &u, &err),
	             HTD_ERR_INVALID);
	cr_assert_str_eq(err.field, "lat");
	cr_assert_eq(units_report_position(&svc, "user:dana", "2A31", 0, 181, 0,
	                                   &u, &err),
	             HTD_ERR_INVALID);
	cr_assert_str_eq(err.field, "lon");
	cr_assert_eq(units_get(&svc, "2A31", &u, &err), HTD_OK);
	cr_assert(u.unit.has_position);
	cr_assert_float_eq(u.unit.lat, 30.27, 1e-9);
	cr_assert_eq(u.unit.position_ms, now);
	double v;
	cr_assert_eq(units_degrees_parse("-97.5", "lon", &v, &err), HTD_OK);
	cr_assert_float_eq(v, -97.5, 1e-12);
	cr_assert_eq(units_degrees_parse("12x", "lon", &v, &err),
	             HTD_ERR_INVALID);
	cr_assert_eq(units_degrees_parse("nan", "lon", &v, &err),
	             HTD_ERR_INVALID);
}

Test(service_units, recommendation_prefers_a_speaker_when_close)
{
	struct units_recommendation r;
	struct htd_error err;
	/* 2A31 is about 1.1 km away, 2A32 at the door; 2A33 is out. */
	add("2A31", "vi", false, 30.2772, -97.7431);
	add("2A32", "", false, 30.2672, -97.7431);
	add("2A33", "vi", true, 30.2672, -97.7431);
	cr_assert_eq(units_set_status(&svc, "user:dana", "2A33",
	                              "out_of_service", NULL, &err),
	             HTD_OK);
	cr_assert_eq(
	    units_recommend_for(&svc, 30.2672, -97.7431, "vi", &r, &err),
	    HTD_OK, "%s", err.message);
	cr_assert_eq(r.n, 2);
	cr_assert_str_eq(r.ranked[0].unit->call_sign, "2A31");
	cr_assert(strstr(r.ranked[0].explanation, "Vietnamese"), "%s",
	          r.ranked[0].explanation);
	cr_assert_str_eq(r.language, "vi");
	units_recommendation_free(&r);
	cr_assert_eq(
	    units_recommend_for(&svc, 30.2672, -97.7431, NULL, &r, &err),
	    HTD_OK);
	cr_assert_str_eq(r.ranked[0].unit->call_sign, "2A32");
	units_recommendation_free(&r);
	cr_assert_eq(units_recommend_for(&svc, 95, 0, NULL, &r, &err),
	             HTD_ERR_INVALID);
}

Test(service_units, dispatch_marks_the_checklist_and_moves_the_units)
{
	char ref[CALL_REF_MAX];
	struct call c;
	struct store_unit sent[2];
	int64_t since = -1;
	struct htd_error err;
	add("2A31", "", false, 30.27, -97.74);
	add("2A32", "", false, 30.28, -97.75);
	open_call(ref);
	now += 95 * 1000;
	call_init(&c);
	const char *signs[] = { "2a31", "2A32" };
	cr_assert_eq(calls_dispatch(&svc, "user:dana", ref, signs, 2, &c, sent,
	                            &since, &err),
	             HTD_OK, "%s", err.message);
	cr_assert_eq(since, 95 * 1000);
	const struct call_action *a = NULL;
	for (size_t i = 0; i < c.n_actions; i++)
		if (strcmp(c.actions[i].id, "dispatch_officer") == 0)
			a = &c.actions[i];
	cr_assert_not_null(a);
	cr_assert_eq(a->state, CALL_ACTION_DONE);
	cr_assert_str_eq(a->mark_by, "user:dana");
	cr_assert_eq(a->mark_at_ms, now);
	cr_assert_str_eq(a->mark_reason, "dispatched 2A31, 2A32");
	call_free(&c);
	struct store_unit u;
	cr_assert_eq(units_get(&svc, "2A32", &u, &err), HTD_OK);
	cr_assert_eq(u.unit.status, UNIT_STATUS_DISPATCHED);
	cr_assert_str_eq(u.call_ref, ref);
	cr_assert_eq(u.version, sent[1].version);
	cr_assert_eq(audited("call.dispatch", "ok"), 1);

	/* A dispatched unit is not sent again, and nothing changes. */
	int64_t version = 0;
	cr_assert_eq(store_call_version(store, ref, &version, NULL), HTD_OK);
	call_init(&c);
	cr_assert_eq(calls_dispatch(&svc, "user:dana", ref, signs + 1, 1, &c,
	                            NULL, NULL, &err),
	             HTD_ERR_CONFLICT);
	cr_assert(strstr(err.message, "2A32"), "%s", err.message);
	int64_t after = 0;
	cr_assert_eq(store_call_version(store, ref, &after, NULL), HTD_OK);
	cr_assert_eq(after, version);
	cr_assert_eq(audited("call.dispatch", "conflict"), 1);

	/* Clearing ends the assignment; a cleared unit may be sent on. */
	cr_assert_eq(
	    units_set_status(&svc, "user:dana", "2A32", "cleared", &u, &err),
	    HTD_OK);
	cr_assert_str_eq(u.call_ref, "");
	cr_assert_eq(calls_dispatch(&svc, "user:dana", ref, signs + 1, 1, &c,
	                            NULL, NULL, &err),
	             HTD_OK, "%s", err.message);
	call_free(&c);
}

Test(service_units, dispatch_refuses_bad_requests)
{
	char ref[CALL_REF_MAX];
	struct call c;
	struct htd_error err;
	add("2A31", "", false, 30.27, -97.74);
	open_call(ref);
	call_init(&c);
	const char *twice[] = { "2A31", "2a31" };
	cr_assert_eq(calls_dispatch(&svc, "user:dana", ref, twice, 2, &c, NULL,
	                            NULL, &err),
	             HTD_ERR_INVALID);
	const char *none[] = { "2A99" };
	cr_assert_eq(calls_dispatch(&svc, "user:dana", ref, none, 1, &c, NULL,
	                            NULL, &err),
	             HTD_ERR_NOT_FOUND);
	cr_assert_eq(calls_dispatch(&svc, "user:dana", ref, none, 0, &c, NULL,
	                            NULL, &err),
	             HTD_ERR_INVALID);
	cr_assert_eq(
	    calls_close(&svc, "user:ana", ref, "unfounded", "", &c, &err),
	    HTD_OK, "%s", err.message);
	const char *one[] = { "2A31" };
	cr_assert_eq(calls_dispatch(&svc, "user:dana", ref, one, 1, &c, NULL,
	                            NULL, &err),
	             HTD_ERR_CONFLICT);
	struct store_unit u;
	cr_assert_eq(units_get(&svc, "2A31", &u, &err), HTD_OK);
	cr_assert_eq(u.unit.status, UNIT_STATUS_AVAILABLE);
	call_free(&c);
}
