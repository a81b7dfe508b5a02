/*
 * test_links.c - links between records and to calls (migration 8): an
 * import's links column kept by the target's (kind, source, source_id) and
 * resolved when that record comes, whatever the order of the imports; a
 * re-import rewriting only what changed; a rejected line leaving no link
 * behind; a record confirmed on a call linked to it in the event's
 * transaction, and unlinked by a rejection; a record's view leaving out
 * sealed records for those who may not see them.
 */
#include <criterion/criterion.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "records/import.h"
#include "service/calls.h"
#include "service/related.h"
#include "service/search.h"
#include "store/sqlite.h"
#include "store/store.h"
#include "testutil.h"
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
	now = tu_local_ms("2026-03-14T10:00:00");
	clock_fixed(&fixed, &now);
	struct store_options o = { .path = db, .create = true };
	struct htd_error err;
	cr_assert_eq(store_open(&o, &store, &err), HTD_OK, "%s", err.message);
	memset(&svc, 0, sizeof(svc));
	svc.store = store;
	svc.clock = &fixed;
}

static void teardown(void)
{
	store_close(store);
	tu_rmtree(dir);
}

TestSuite(store_links, .init = setup, .fini = teardown);

/* Imports CSV `text` as records of `kind`; the result, with *report. */
static enum htd_err import(enum record_kind kind, const char *text,
                           bool skip_bad, struct records_import_report *report)
{
	FILE *in = fmemopen((void *)text, strlen(text), "r");
	cr_assert_not_null(in);
	struct records_import_options o = {
		.kind = kind,
		.format = RECORDS_CSV,
		.skip_bad = skip_bad,
		.in = in,
		.file = "t.csv",
	};
	struct records_import_report r;
	struct htd_error err;
	htd_error_clear(&err);
	enum htd_err e = records_import(&svc, "test", &o, &r, &err);
	fclose(in);
	if (report)
		*report = r;
	return e;
}

static void import_ok(enum record_kind kind, const char *text)
{
	cr_assert_eq(import(kind, text, false, NULL), HTD_OK);
}

static int64_t raw_count(const char *sql)
{
	sqlite3 *h;
	sqlite3_stmt *st;
	cr_assert_eq(sqlite3_open(db, &h), SQLITE_OK);
	cr_assert_eq(sqlite3_prepare_v2(h, sql, -1, &st, NULL), SQLITE_OK, "%s",
	             sql);
	cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
	int64_t n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(h);
	return n;
}

static int64_t id_of(enum record_kind kind, const char *source_id)
{
	struct store_record r;
	struct htd_error err;
	cr_assert_eq(store_record_find(store, kind, "rms", source_id, &r, &err),
	             HTD_OK, "%s", err.message);
	int64_t id = r.id;
	store_record_free(&r);
	return id;
}

/* The link of `l` of direction `d` and type `type`, or NULL. */
static const struct store_record_link *
find_link(const struct store_record_link_list *l, enum store_link_dir d,
          const char *type)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->links[i].dir == d && strcmp(l->links[i].type, type) == 0)
			return &l->links[i];
	return NULL;
}

static const char vehicles[] = "source_id,plate,links\n"
                               "V-1,ABC123,owner=person:P-1;driver=person:"
                               "P-2\n"
                               "V-2,XYZ987,\n";

Test(store_links, a_link_resolves_when_its_target_comes)
{
	import_ok(RECORD_VEHICLE, vehicles);
	int64_t v1 = id_of(RECORD_VEHICLE, "V-1");
	struct store_record_link_list l;
	struct htd_error err;
	cr_assert_eq(store_record_links(store, v1, &l, &err), HTD_OK);
	cr_assert_eq(l.n, 2);
	const struct store_record_link *owner =
	    find_link(&l, STORE_LINK_OUT, "owner");
	cr_assert_not_null(owner);
	cr_assert_eq(owner->other_id, 0, "P-1 is not imported yet");
	cr_assert_eq(owner->other_kind, RECORD_PERSON);
	cr_assert_str_eq(owner->other_source, "rms");
	cr_assert_str_eq(owner->other_source_id, "P-1");
	cr_assert_str_eq(owner->actor, STORE_LINK_ACTOR_IMPORT);
	store_record_link_list_free(&l);

	import_ok(RECORD_PERSON, "source_id,family_name\nP-1,Hernandez\n");
	int64_t p1 = id_of(RECORD_PERSON, "P-1");
	cr_assert_eq(store_record_links(store, v1, &l, &err), HTD_OK);
	owner = find_link(&l, STORE_LINK_OUT, "owner");
	cr_assert_eq(owner->other_id, p1, "resolved once P-1 is there");
	cr_assert_eq(find_link(&l, STORE_LINK_OUT, "driver")->other_id, 0);
	store_record_link_list_free(&l);
	/* And from the person's side: the vehicle's link to it. */
	cr_assert_eq(store_record_links(store, p1, &l, &err), HTD_OK);
	cr_assert_eq(l.n, 1);
	cr_assert_eq(l.links[0].dir, STORE_LINK_IN);
	cr_assert_str_eq(l.links[0].type, "owner");
	cr_assert_eq(l.links[0].other_id, v1);
	cr_assert_eq(l.links[0].other_kind, RECORD_VEHICLE);
	store_record_link_list_free(&l);
}

Test(store_links, a_reimport_rewrites_only_what_changed)
{
	import_ok(RECORD_VEHICLE, vehicles);
	cr_assert_eq(raw_count("SELECT count(*) FROM record_links"), 2);
	int64_t first = raw_count("SELECT max(id) FROM record_links");
	now += 1000;
	struct records_import_report r;
	cr_assert_eq(import(RECORD_VEHICLE, vehicles, false, &r), HTD_OK);
	cr_assert_eq(r.unchanged, 2);
	cr_assert_eq(raw_count("SELECT count(*) FROM record_links"), 2);
	cr_assert_eq(raw_count("SELECT max(id) FROM record_links"), first,
	             "an unchanged record's links are not rewritten");

	/* The driver goes, an employer... of a vehicle? an associate comes;
	 * the owner stays as it was. */
	now += 1000;
	cr_assert_eq(import(RECORD_VEHICLE,
	                    "source_id,plate,links\n"
	                    "V-1,ABC123,owner=person:P-1;associate=person:"
	                    "P-3\n",
	                    false, &r),
	             HTD_OK);
	cr_assert_eq(r.updated, 1);
	cr_assert_eq(raw_count("SELECT count(*) FROM record_links"), 2);
	cr_assert_eq(raw_count("SELECT count(*) FROM record_links WHERE "
	                       "type = 'owner' AND target_source_id = 'P-1' "
	                       "AND id <= (SELECT min(id) FROM record_links)"),
	             1, "the owner's row is the first one still");
	cr_assert_eq(raw_count("SELECT count(*) FROM record_links WHERE "
	                       "type = 'driver'"),
	             0);
	cr_assert_eq(raw_count("SELECT count(*) FROM record_links WHERE "
	                       "type = 'associate' AND target_source_id = "
	                       "'P-3'"),
	             1);

	/* A changed field with the same links leaves them; no links column
	 * at all removes them. */
	cr_assert_eq(import(RECORD_VEHICLE,
	                    "source_id,plate,make,links\n"
	                    "V-1,ABC123,Ford,owner=person:P-1;associate="
	                    "person:P-3\n",
	                    false, &r),
	             HTD_OK);
	cr_assert_eq(r.updated, 1);
	cr_assert_eq(raw_count("SELECT count(*) FROM record_links"), 2);
	cr_assert_eq(
	    import(RECORD_VEHICLE, "source_id,plate\nV-1,ABC123\n", false, &r),
	    HTD_OK);
	cr_assert_eq(r.updated, 1);
	cr_assert_eq(raw_count("SELECT count(*) FROM record_links"), 0);
}

Test(store_links, a_bad_line_leaves_no_link)
{
	struct records_import_report r;
	/* All or nothing: one bad links value, nothing written. */
	cr_assert_eq(import(RECORD_VEHICLE,
	                    "source_id,plate,links\n"
	                    "V-1,ABC123,owner=person:P-1\n"
	                    "V-2,XYZ987,boss=person:P-2\n",
	                    false, &r),
	             HTD_ERR_INVALID);
	cr_assert_eq(r.rejected, 1);
	cr_assert_eq(raw_count("SELECT count(*) FROM records"), 0);
	cr_assert_eq(raw_count("SELECT count(*) FROM record_links"), 0);
	/* --skip-bad: the good line and its link. */
	cr_assert_eq(import(RECORD_VEHICLE,
	                    "source_id,plate,links\n"
	                    "V-1,ABC123,owner=person:P-1\n"
	                    "V-2,XYZ987,owner=person:V-2;owner=person:V-2\n",
	                    true, &r),
	             HTD_OK);
	cr_assert_eq(r.inserted, 1);
	cr_assert_eq(r.rejected, 1);
	cr_assert_eq(raw_count("SELECT count(*) FROM record_links"), 1);
}

Test(store_links, a_confirmation_is_a_link_until_rejected)
{
	import_ok(RECORD_PERSON, "source_id,family_name\nP-1,Hernandez\n");
	int64_t p1 = id_of(RECORD_PERSON, "P-1");
	struct call c;
	struct htd_error err;
	call_init(&c);
	struct call_open_request req = { .location = "1 Main St" };
	cr_assert_eq(calls_open(&svc, "test", &req, &c, &err), HTD_OK, "%s",
	             err.message);
	char ref[CALL_REF_MAX];
	snprintf(ref, sizeof(ref), "%s", c.ref);
	call_free(&c);

	cr_assert_eq(related_link(&svc, "user:inv", ref, p1, true, "same phone",
	                          false, NULL, &err),
	             HTD_OK, "%s", err.message);
	struct store_record_link_list l;
	cr_assert_eq(store_record_links(store, p1, &l, &err), HTD_OK);
	cr_assert_eq(l.n, 1);
	cr_assert_eq(l.links[0].dir, STORE_LINK_CALL);
	cr_assert_str_eq(l.links[0].type, "confirmed");
	cr_assert_str_eq(l.links[0].call_ref, ref);
	cr_assert_str_eq(l.links[0].actor, "user:inv");
	store_record_link_list_free(&l);
	/* Confirmed twice: one link, the first confirmation's. */
	cr_assert_eq(related_link(&svc, "user:inv2", ref, p1, true, NULL, false,
	                          NULL, &err),
	             HTD_OK);
	cr_assert_eq(raw_count("SELECT count(*) FROM record_links"), 1);
	cr_assert_eq(raw_count("SELECT count(*) FROM record_links WHERE "
	                       "actor = 'user:inv'"),
	             1);
	/* Rejected: the link goes, the history stays. */
	cr_assert_eq(related_link(&svc, "user:inv", ref, p1, false, "another",
	                          false, NULL, &err),
	             HTD_OK);
	cr_assert_eq(raw_count("SELECT count(*) FROM record_links"), 0);
	cr_assert_eq(raw_count("SELECT count(*) FROM call_events WHERE type = "
	                       "'record_linked'"),
	             3);
}

Test(store_links, a_view_hides_sealed_records)
{
	import_ok(RECORD_VEHICLE, vehicles);
	import_ok(RECORD_PERSON, "source_id,family_name,sealed\n"
	                         "P-1,Hernandez,\n"
	                         "P-2,Perez,true\n");
	int64_t v1 = id_of(RECORD_VEHICLE, "V-1");
	int64_t p2 = id_of(RECORD_PERSON, "P-2");
	struct record_view v;
	struct htd_error err;
	cr_assert_eq(search_record_show(&svc, "test", v1, false, &v, &err),
	             HTD_OK, "%s", err.message);
	cr_assert_eq(v.links.n, 1, "the link to the sealed driver is left out");
	cr_assert_str_eq(v.links.links[0].type, "owner");
	cr_assert_null(v.record.record.field[RECORD_F_LINKS],
	               "the links as imported, which name P-2, are not shown");
	record_view_free(&v);
	cr_assert_eq(search_record_show(&svc, "test", v1, true, &v, &err),
	             HTD_OK);
	cr_assert_eq(v.links.n, 2);
	const struct store_record_link *d =
	    find_link(&v.links, STORE_LINK_OUT, "driver");
	cr_assert_eq(d->other_id, p2);
	cr_assert(v.other_sealed[d - v.links.links]);
	record_view_free(&v);
	cr_assert_eq(search_record_show(&svc, "test", p2, false, &v, &err),
	             HTD_ERR_NOT_FOUND, "a sealed record is no record");
	cr_assert_eq(search_record_show(&svc, "test", 0, true, &v, &err),
	             HTD_ERR_INVALID);
	cr_assert_eq(search_record_show(&svc, "test", 999, true, &v, &err),
	             HTD_ERR_NOT_FOUND);
}

static void raw_exec(const char *sql)
{
	sqlite3 *h;
	cr_assert_eq(sqlite3_open(db, &h), SQLITE_OK);
	char *msg = NULL;
	cr_assert_eq(sqlite3_exec(h, sql, NULL, NULL, &msg), SQLITE_OK, "%s",
	             msg ? msg : "");
	sqlite3_close(h);
}

Test(store_links, migration_8_carries_the_old_rows_over)
{
	struct htd_error err;
	store_close(store);
	store = NULL;
	unlink(db);
	/* A database made by migrations 1 to 6, with two records, a call and
	 * a link of each kind as migration 6's table held them. */
	cr_assert_eq(sqlite_store_create_at(db, 6, &err), HTD_OK, "%s",
	             err.message);
	raw_exec(
	    "INSERT INTO records (id, kind, source, source_id, fields,"
	    " created_at_ms, updated_at_ms) VALUES"
	    " (1, 'person', 'rms', 'P-1', '{\"family_name\":\"Hernandez\"}',"
	    " 1, 1),"
	    " (2, 'person', 'rms', 'P-2', '{\"family_name\":\"Perez\"}',"
	    " 1, 1);"
	    "INSERT INTO calls (id, ref, year, seq, status, category, channel,"
	    " language, location_text, callback_number, caller_name,"
	    " opened_by, opened_at_ms, updated_at_ms, version) VALUES"
	    " (1, 'HT-2026-000001', 2026, 1, 'open', 'undetermined', 'voice',"
	    " 'en', '1 Main St', '', '', 'test', 1, 1, 1);"
	    "INSERT INTO record_links (record_id, other_record_id, call_id,"
	    " type, created_at_ms, actor) VALUES"
	    " (1, NULL, 1, 'confirmed', 5, 'user:inv'),"
	    " (1, 2, NULL, 'associate', 6, 'import');");
	struct store_options o = { .path = db };
	cr_assert_eq(store_open(&o, &store, &err), HTD_OK, "%s", err.message);
	svc.store = store;
	cr_assert_eq(store_schema_version(store), store_schema_latest());
	cr_assert_eq(raw_count("SELECT count(*) FROM record_links"), 2);
	struct store_record_link_list l;
	cr_assert_eq(store_record_links(store, 1, &l, &err), HTD_OK);
	cr_assert_eq(l.n, 2);
	const struct store_record_link *a =
	    find_link(&l, STORE_LINK_OUT, "associate");
	cr_assert_not_null(a);
	cr_assert_eq(a->other_id, 2);
	cr_assert_str_eq(a->other_source_id, "P-2");
	const struct store_record_link *k =
	    find_link(&l, STORE_LINK_CALL, "confirmed");
	cr_assert_not_null(k);
	cr_assert_str_eq(k->call_ref, "HT-2026-000001");
	cr_assert_str_eq(k->actor, "user:inv");
	store_record_link_list_free(&l);
}

/* ---- migration 9: kind CHECKs without an ephemeral table ---------------- */

/* The rows of one-column query `sql`, '\n' after each; owned, free(). */
static char *raw_text(const char *sql)
{
	sqlite3 *h;
	sqlite3_stmt *st;
	cr_assert_eq(sqlite3_open(db, &h), SQLITE_OK);
	cr_assert_eq(sqlite3_prepare_v2(h, sql, -1, &st, NULL), SQLITE_OK, "%s",
	             sql);
	size_t len = 0, cap = 256;
	char *out = malloc(cap);
	cr_assert_not_null(out);
	out[0] = '\0';
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *v = (const char *)sqlite3_column_text(st, 0);
		size_t n = strlen(v ? v : "");
		while (len + n + 2 > cap) {
			cap *= 2;
			out = realloc(out, cap);
			cr_assert_not_null(out);
		}
		memcpy(out + len, v ? v : "", n);
		len += n;
		out[len++] = '\n';
		out[len] = '\0';
	}
	sqlite3_finalize(st);
	sqlite3_close(h);
	return out;
}

/* How many ephemeral tables the program of `sql` opens. */
static int ephemeral_tables(const char *sql)
{
	char explain[1024];
	snprintf(explain, sizeof(explain), "EXPLAIN %s", sql);
	sqlite3 *h;
	sqlite3_stmt *st;
	cr_assert_eq(sqlite3_open(db, &h), SQLITE_OK);
	cr_assert_eq(sqlite3_prepare_v2(h, explain, -1, &st, NULL), SQLITE_OK,
	             "%s", explain);
	int n = 0;
	while (sqlite3_step(st) == SQLITE_ROW)
		if (strcmp((const char *)sqlite3_column_text(st, 1),
		           "OpenEphemeral") == 0)
			n++;
	sqlite3_finalize(st);
	sqlite3_close(h);
	return n;
}

/* Runs `sql` on a raw connection with foreign keys on; SQLite's result. */
static int raw_try(const char *sql)
{
	sqlite3 *h;
	cr_assert_eq(sqlite3_open(db, &h), SQLITE_OK);
	cr_assert_eq(
	    sqlite3_exec(h, "PRAGMA foreign_keys = ON", NULL, NULL, NULL),
	    SQLITE_OK);
	int rc = sqlite3_exec(h, sql, NULL, NULL, NULL);
	sqlite3_close(h);
	return rc;
}

/* The store's record insert and the link insert, as sqlite.c has them. */
static const char record_insert[] =
    "INSERT INTO records (kind, source, source_id, fields, keys, sealed, "
    "created_at_ms, updated_at_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7) "
    "ON CONFLICT (kind, source, source_id) DO NOTHING";
static const char link_insert[] =
    "INSERT OR IGNORE INTO record_links (record_id, type, target_kind, "
    "target_source, target_source_id, created_at_ms, actor) VALUES (?1, "
    "?2, ?3, ?4, ?5, ?6, 'import')";

static const char records_rows[] =
    "SELECT id || '|' || kind || '|' || source || '|' || source_id || '|' "
    "|| fields || '|' || keys || '|' || sealed || '|' || created_at_ms || "
    "'|' || updated_at_ms || '|' || version FROM records ORDER BY id";
static const char links_rows[] =
    "SELECT id || '|' || record_id || '|' || type || '|' || "
    "ifnull(target_kind, '-') || '|' || ifnull(target_source, '-') || '|' "
    "|| ifnull(target_source_id, '-') || '|' || ifnull(call_id, '-') || "
    "'|' || created_at_ms || '|' || actor FROM record_links ORDER BY id";

Test(store_links, migration_9_keeps_records_and_links_and_their_checks)
{
	import_ok(RECORD_PERSON, "source_id,family_name,given_name\n"
	                         "P-1,Hernandez,Maria\n"
	                         "P-2,Perez,Jose\n"
	                         "P-3,Garcia,Ana\n");
	import_ok(RECORD_VEHICLE, vehicles);
	int64_t p1 = id_of(RECORD_PERSON, "P-1");
	int64_t v1 = id_of(RECORD_VEHICLE, "V-1");
	struct call c;
	struct htd_error err;
	call_init(&c);
	struct call_open_request req = { .location = "1 Main St" };
	cr_assert_eq(calls_open(&svc, "test", &req, &c, &err), HTD_OK, "%s",
	             err.message);
	cr_assert_eq(related_link(&svc, "user:inv", c.ref, p1, true, NULL,
	                          false, NULL, &err),
	             HTD_OK, "%s", err.message);
	call_free(&c);
	store_close(store);
	store = NULL;
	char *records_before = raw_text(records_rows);
	char *links_before = raw_text(links_rows);
	cr_assert_eq(raw_count("SELECT count(*) FROM record_links"), 3);

	/* The same rows in a database made by migrations 1 to 8, whose IN
	 * lists build their ephemeral tables. */
	char latest[700];
	str_format(latest, sizeof(latest), "%s.latest", db);
	cr_assert_eq(rename(db, latest), 0);
	cr_assert_eq(sqlite_store_create_at(db, 8, &err), HTD_OK, "%s",
	             err.message);
	char copy[1200];
	str_format(copy, sizeof(copy),
	           "ATTACH '%s' AS l;"
	           "INSERT INTO calls SELECT * FROM l.calls;"
	           "INSERT INTO records SELECT * FROM l.records;"
	           "INSERT INTO record_keys SELECT * FROM l.record_keys;"
	           "INSERT INTO record_links SELECT * FROM l.record_links;"
	           "DETACH l;",
	           latest);
	raw_exec(copy);
	cr_assert_eq(raw_count("PRAGMA user_version"), 8);
	cr_assert_gt(ephemeral_tables(record_insert), 0);
	cr_assert_gt(ephemeral_tables(link_insert), 0);
	char *records_v8 = raw_text(records_rows);
	cr_assert_str_eq(records_v8, records_before);
	free(records_v8);

	struct store_options o = { .path = db };
	cr_assert_eq(store_open(&o, &store, &err), HTD_OK, "%s", err.message);
	svc.store = store;
	cr_assert_eq(store_schema_version(store), store_schema_latest());
	cr_assert_eq(raw_count("SELECT count(*) FROM schema_migrations WHERE "
	                       "version = 9"),
	             1);
	/* The same rows with the same ids; the same indexes; no leftovers. */
	char *records_after = raw_text(records_rows);
	char *links_after = raw_text(links_rows);
	cr_assert_str_eq(records_after, records_before);
	cr_assert_str_eq(links_after, links_before);
	free(records_before);
	free(records_after);
	free(links_before);
	free(links_after);
	cr_assert_eq(raw_count("SELECT count(*) FROM sqlite_schema WHERE name "
	                       "IN ('sqlite_autoindex_records_1', "
	                       "'record_links_unique', "
	                       "'record_links_by_target', "
	                       "'record_links_by_call')"),
	             4);
	cr_assert_eq(raw_count("SELECT count(*) FROM sqlite_schema WHERE name "
	                       "LIKE '%\\_9' ESCAPE '\\'"),
	             0);
	cr_assert_eq(raw_count("SELECT count(*) FROM pragma_foreign_key_check"),
	             0, "no row");
	/* No ephemeral table any more, and the checks refuse as before. */
	cr_assert_eq(ephemeral_tables(record_insert), 0);
	cr_assert_eq(ephemeral_tables(link_insert), 0);
	cr_assert_eq(raw_try("INSERT INTO records (kind, source, source_id, "
	                     "fields, created_at_ms, updated_at_ms) VALUES "
	                     "('people', 'rms', 'X-1', '{}', 1, 1)"),
	             SQLITE_CONSTRAINT);
	cr_assert_eq(raw_try("INSERT INTO records (kind, source, source_id, "
	                     "fields, created_at_ms, updated_at_ms) VALUES "
	                     "(NULL, 'rms', 'X-1', '{}', 1, 1)"),
	             SQLITE_CONSTRAINT);
	cr_assert_eq(raw_try("INSERT INTO records (kind, source, source_id, "
	                     "fields, created_at_ms, updated_at_ms) VALUES "
	                     "('person', 'rms', 'P-1', '{}', 1, 1)"),
	             SQLITE_CONSTRAINT, "(kind, source, source_id) unique");
	cr_assert_eq(raw_try("INSERT INTO record_links (record_id, type, "
	                     "target_kind, target_source, target_source_id, "
	                     "created_at_ms, actor) VALUES (1, 'owner', "
	                     "'people', 'rms', 'P-9', 1, 'import')"),
	             SQLITE_CONSTRAINT);
	cr_assert_eq(raw_try("INSERT INTO record_links (record_id, type, "
	                     "target_kind, target_source, target_source_id, "
	                     "created_at_ms, actor) VALUES (999, 'owner', "
	                     "'person', 'rms', 'P-9', 1, 'import')"),
	             SQLITE_CONSTRAINT, "the foreign key to records holds");
	cr_assert_eq(raw_try("INSERT INTO record_links (record_id, type, "
	                     "target_kind, target_source, target_source_id, "
	                     "created_at_ms, actor) VALUES (1, 'owner', "
	                     "'location', 'rms', 'L-9', 1, 'import')"),
	             SQLITE_OK);

	/* The store reads and writes them: the links resolve, a re-import
	 * finds every record unchanged, a new record takes the next id. */
	struct store_record_link_list l;
	cr_assert_eq(store_record_links(store, v1, &l, &err), HTD_OK);
	const struct store_record_link *owner =
	    find_link(&l, STORE_LINK_OUT, "owner");
	cr_assert_not_null(owner);
	cr_assert_eq(owner->other_id, p1);
	store_record_link_list_free(&l);
	struct records_import_report r;
	cr_assert_eq(import(RECORD_VEHICLE, vehicles, false, &r), HTD_OK);
	cr_assert_eq(r.unchanged, 2);
	cr_assert_eq(r.inserted + r.updated, 0);
	int64_t last = raw_count("SELECT max(id) FROM records");
	import_ok(RECORD_PERSON, "source_id,family_name\nP-4,Lopez\n");
	cr_assert_eq(id_of(RECORD_PERSON, "P-4"), last + 1);
}
