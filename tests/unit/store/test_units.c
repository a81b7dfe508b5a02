/*
 * test_units.c - the units of the SQLite store: insert with its event, the
 * call-sign conflict, updates at a version, the append-only events, and a
 * dispatch that writes the call and the units in one transaction or not
 * at all.
 */
#include <criterion/criterion.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "store/store.h"
#include "testutil.h"
#include "util/mem.h"
#include "util/str.h"

static char dir[512];
static char db[600];
static struct store *store;

static void setup(void)
{
	snprintf(dir, sizeof(dir), "%s", tu_tmpdir());
	tu_path(db, sizeof(db), dir, "t.db");
	struct store_options o = { .path = db, .create = true };
	struct htd_error err;
	cr_assert_eq(store_open(&o, &store, &err), HTD_OK, "%s", err.message);
}

static void teardown(void)
{
	store_close(store);
	tu_rmtree(dir);
}

TestSuite(store_units, .init = setup, .fini = teardown);

static struct store_unit unit_of(const char *cs)
{
	struct store_unit u;
	memset(&u, 0, sizeof(u));
	str_copy(u.unit.call_sign, sizeof(u.unit.call_sign), cs);
	u.unit.status = UNIT_STATUS_AVAILABLE;
	u.unit.n_languages = 1;
	memcpy(u.unit.languages[0], "es", 3);
	u.created_at_ms = u.updated_at_ms = 1000;
	return u;
}

static const struct store_unit_event added = {
	.type = STORE_UNIT_ADDED, .at_ms = 1000, .actor = "t", .payload = "{}"
};

static int count_event(void *ctx, const struct store_unit_event *e)
{
	(void)e;
	(*(int *)ctx)++;
	return 0;
}

static int events_of(const char *cs)
{
	int n = 0;
	cr_assert_eq(store_unit_events_each(store, cs, count_event, &n, NULL),
	             HTD_OK);
	return n;
}

/* A call with one event, opened at 1000. */
static void make_call(char ref[CALL_REF_MAX])
{
	struct call c;
	call_init(&c);
	c.status = CALL_STATUS_OPEN;
	c.language = xstrdup("en");
	c.location_text = xstrdup("");
	c.callback_number = xstrdup("");
	c.caller_name = xstrdup("");
	c.opened_by = xstrdup("t");
	c.close_summary = xstrdup("");
	c.opened_at_ms = c.updated_at_ms = 1000;
	c.version = 1;
	struct store_event e = { .seq = 1,
		                 .type = "call_opened",
		                 .at_ms = 1000,
		                 .actor = "t",
		                 .payload = "{}" };
	struct htd_error err;
	cr_assert_eq(store_call_create(store, 2026, &c, &e, 1, NULL, NULL, NULL,
	                               ref, &err),
	             HTD_OK, "%s", err.message);
	call_free(&c);
}

Test(store_units, insert_get_list_and_the_conflict)
{
	struct store_unit u = unit_of("2A32"), v = unit_of("2A31"), got;
	struct store_audit a = { .at_ms = 1,
		                 .actor = "t",
		                 .action = "unit.add",
		                 .object = "unit:2A32",
		                 .address = "cli",
		                 .outcome = "ok",
		                 .detail = "" };
	struct htd_error err;
	cr_assert_eq(store_unit_insert(store, &u, &added, &a, &err), HTD_OK,
	             "%s", err.message);
	cr_assert_eq(store_unit_insert(store, &v, &added, NULL, &err), HTD_OK);
	cr_assert_eq(store_unit_insert(store, &u, &added, NULL, &err),
	             HTD_ERR_CONFLICT);
	cr_assert_str_eq(err.field, "call_sign");
	cr_assert_eq(store_unit_get(store, "2A32", &got, &err), HTD_OK);
	cr_assert_eq(got.version, 1);
	cr_assert_str_eq(got.unit.languages[0], "es");
	cr_assert_eq(store_unit_get(store, "2A99", &got, &err),
	             HTD_ERR_NOT_FOUND);
	struct store_unit_list l;
	cr_assert_eq(store_unit_list(store, &l, &err), HTD_OK);
	cr_assert_eq(l.n, 2);
	cr_assert_str_eq(l.units[0].unit.call_sign, "2A31");
	store_unit_list_free(&l);
	cr_assert_eq(events_of("2A32"), 1);
}

Test(store_units, update_at_a_stale_version_writes_nothing)
{
	struct store_unit u = unit_of("2A31"), got;
	struct htd_error err;
	cr_assert_eq(store_unit_insert(store, &u, &added, NULL, &err), HTD_OK);
	cr_assert_eq(store_unit_get(store, "2A31", &got, &err), HTD_OK);
	got.unit.status = UNIT_STATUS_OUT_OF_SERVICE;
	struct store_unit_event ev = { .type = STORE_UNIT_STATUS_CHANGED,
		                       .at_ms = 2000,
		                       .actor = "t",
		                       .payload = "{}" };
	struct store_unit_change ch = { &got, &ev };
	cr_assert_eq(store_unit_update(store, &ch, NULL, &err), HTD_OK);
	cr_assert_eq(store_unit_update(store, &ch, NULL, &err),
	             HTD_ERR_CONFLICT, "version 1 is stale now");
	cr_assert_eq(events_of("2A31"), 2);
	cr_assert_eq(store_unit_get(store, "2A31", &got, &err), HTD_OK);
	cr_assert_eq(got.version, 2);
	cr_assert_eq(got.unit.status, UNIT_STATUS_OUT_OF_SERVICE);
}

Test(store_units, unit_events_are_append_only)
{
	struct store_unit u = unit_of("2A31");
	cr_assert_eq(store_unit_insert(store, &u, &added, NULL, NULL), HTD_OK);
	sqlite3 *h;
	cr_assert_eq(sqlite3_open(db, &h), SQLITE_OK);
	cr_assert_neq(sqlite3_exec(h, "UPDATE unit_events SET actor = 'x'",
	                           NULL, NULL, NULL),
	              SQLITE_OK);
	cr_assert_neq(
	    sqlite3_exec(h, "DELETE FROM unit_events", NULL, NULL, NULL),
	    SQLITE_OK);
	cr_assert_neq(sqlite3_exec(h, "DELETE FROM units", NULL, NULL, NULL),
	              SQLITE_OK);
	sqlite3_close(h);
}

/* The call part fails (a stale expected version): no unit changed. */
Test(store_units, dispatch_is_one_transaction)
{
	char ref[CALL_REF_MAX];
	struct store_unit u = unit_of("2A31"), got;
	struct htd_error err;
	cr_assert_eq(store_unit_insert(store, &u, &added, NULL, &err), HTD_OK);
	make_call(ref);
	struct call c;
	call_init(&c);
	cr_assert_eq(store_call_get(store, ref, &c, &err), HTD_OK);
	c.version = 2;
	c.updated_at_ms = 3000;
	struct store_event e = { .seq = 2,
		                 .type = "note_added",
		                 .at_ms = 3000,
		                 .actor = "t",
		                 .payload = "{}" };
	struct store_append item = { .call_ref = ref,
		                     .expected_version = 7, /* stale */
		                     .event = &e,
		                     .projection = &c };
	cr_assert_eq(store_unit_get(store, "2A31", &got, &err), HTD_OK);
	got.unit.status = UNIT_STATUS_DISPATCHED;
	str_copy(got.call_ref, sizeof(got.call_ref), ref);
	struct store_unit_event ev = { .type = STORE_UNIT_STATUS_CHANGED,
		                       .at_ms = 3000,
		                       .actor = "t",
		                       .payload = "{}" };
	struct store_unit_change ch = { &got, &ev };
	cr_assert_eq(store_dispatch(store, &item, 1, &ch, 1, &err),
	             HTD_ERR_CONFLICT);
	struct store_unit after;
	cr_assert_eq(store_unit_get(store, "2A31", &after, &err), HTD_OK);
	cr_assert_eq(after.unit.status, UNIT_STATUS_AVAILABLE);
	cr_assert_eq(after.version, 1);
	cr_assert_eq(events_of("2A31"), 1);

	/* A stale unit: the call's event is not written either. */
	item.expected_version = 1;
	got.version = 5;
	cr_assert_eq(store_dispatch(store, &item, 1, &ch, 1, &err),
	             HTD_ERR_CONFLICT);
	int64_t version = 0;
	cr_assert_eq(store_call_version(store, ref, &version, &err), HTD_OK);
	cr_assert_eq(version, 1);

	got.version = 1;
	cr_assert_eq(store_dispatch(store, &item, 1, &ch, 1, &err), HTD_OK,
	             "%s", err.message);
	cr_assert_eq(store_unit_get(store, "2A31", &after, &err), HTD_OK);
	cr_assert_eq(after.unit.status, UNIT_STATUS_DISPATCHED);
	cr_assert_str_eq(after.call_ref, ref);
	cr_assert_eq(store_call_version(store, ref, &version, &err), HTD_OK);
	cr_assert_eq(version, 2);
	call_free(&c);
}
