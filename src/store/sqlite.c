/*
 * sqlite.c - the SQLite back-end of store.h.
 *
 * Durability: WAL with synchronous=FULL, so a commit is on disk when
 * sqlite3_step(COMMIT) returns; every write is one BEGIN IMMEDIATE
 * transaction that holds the event and the projection together. Events are
 * append-only, enforced by triggers as well as by this code. The schema is a
 * list of numbered migrations compiled in; PRAGMA user_version records how
 * far a database has come, and a database from a newer htdispatch is refused
 * before anything is written to it. Users, sessions and the access audit
 * (migration 3) follow the same rules: a change and its audit entry are one
 * transaction, and audit entries, like events, are never updated or deleted.
 * Units (migration 4) keep their own append-only events; a dispatch writes
 * the call's events and the units it sends in one transaction.
 * The notification outbox (migration 5) is written in the transaction of
 * the events that queue its rows, and a row's outcome with the events it
 * causes; rows are never deleted. Migration 7 lets a row be cancelled
 * (withdrawn, in the transaction of the change that dropped its action).
 * Records (migration 6; 5 is the notification outbox) are the agency's
 * records with their blocking keys: an import is one transaction, put in
 * batches, and an identical record is not rewritten.
 * Links between records (migration 8) are kept by their target's (kind,
 * source, source_id) and resolved when read, so the order of imports does
 * not matter; a record's links are written with it, in the import's
 * transaction, and a record confirmed on a call is a link written with the
 * record_linked event. Migration 9 rebuilds records and record_links with
 * kind CHECKs that an insert evaluates without building a table.
 */
#include "store/sqlite.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "util/buf.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/str.h"

/* ---- schema ----------------------------------------------------------- */

struct migration {
	int version;
	const char *name;
	const char *sql;
};

static const struct migration migrations[] = {
	{ 1, "calls, their append-only events, answers, call-id sequences",
	  "CREATE TABLE schema_migrations (\n"
	  "  version INTEGER PRIMARY KEY,\n"
	  "  name TEXT NOT NULL,\n"
	  "  applied_at_ms INTEGER NOT NULL\n"
	  ");\n"
	  "CREATE TABLE call_sequences (\n"
	  "  year INTEGER PRIMARY KEY,\n"
	  "  last INTEGER NOT NULL CHECK (last > 0)\n"
	  ");\n"
	  "CREATE TABLE calls (\n"
	  "  id INTEGER PRIMARY KEY,\n"
	  "  ref TEXT NOT NULL UNIQUE,\n"
	  "  year INTEGER NOT NULL,\n"
	  "  seq INTEGER NOT NULL,\n"
	  "  status TEXT NOT NULL CHECK (status IN ('open', 'closed')),\n"
	  "  category TEXT NOT NULL,\n"
	  "  channel TEXT NOT NULL,\n"
	  "  language TEXT NOT NULL,\n"
	  "  location_text TEXT NOT NULL,\n"
	  "  callback_number TEXT NOT NULL,\n"
	  "  caller_name TEXT NOT NULL,\n"
	  "  opened_by TEXT NOT NULL,\n"
	  "  opened_at_ms INTEGER NOT NULL,\n"
	  "  updated_at_ms INTEGER NOT NULL,\n"
	  "  closed_at_ms INTEGER NOT NULL DEFAULT 0,\n"
	  "  disposition TEXT NOT NULL DEFAULT '',\n"
	  "  close_summary TEXT NOT NULL DEFAULT '',\n"
	  "  note_count INTEGER NOT NULL DEFAULT 0,\n"
	  "  version INTEGER NOT NULL CHECK (version > 0),\n"
	  "  UNIQUE (year, seq)\n"
	  ");\n"
	  "CREATE INDEX calls_by_opened ON calls (opened_at_ms, id);\n"
	  "CREATE INDEX calls_by_status ON calls (status, opened_at_ms);\n"
	  "CREATE TABLE call_answers (\n"
	  "  call_id INTEGER NOT NULL REFERENCES calls (id),\n"
	  "  question TEXT NOT NULL,\n"
	  "  value TEXT NOT NULL,\n"
	  "  at_ms INTEGER NOT NULL,\n"
	  "  ord INTEGER NOT NULL,\n"
	  "  PRIMARY KEY (call_id, question)\n"
	  ") WITHOUT ROWID;\n"
	  "CREATE TABLE call_events (\n"
	  "  id INTEGER PRIMARY KEY,\n"
	  "  call_id INTEGER NOT NULL REFERENCES calls (id),\n"
	  "  seq INTEGER NOT NULL CHECK (seq > 0),\n"
	  "  type TEXT NOT NULL,\n"
	  "  at_ms INTEGER NOT NULL,\n"
	  "  actor TEXT NOT NULL,\n"
	  "  payload TEXT NOT NULL,\n"
	  "  UNIQUE (call_id, seq)\n"
	  ");\n"
	  "CREATE TRIGGER call_events_no_update BEFORE UPDATE ON call_events\n"
	  "BEGIN SELECT RAISE(ABORT, 'call events are append-only'); END;\n"
	  "CREATE TRIGGER call_events_no_delete BEFORE DELETE ON call_events\n"
	  "BEGIN SELECT RAISE(ABORT, 'call events are append-only'); END;\n"
	  "CREATE TRIGGER calls_no_delete BEFORE DELETE ON calls\n"
	  "BEGIN SELECT RAISE(ABORT, 'calls are never deleted'); END;\n" },
	/* `state` holds the rest of the decision as JSON (see state_encode):
	 * read whole, with the call, never searched. */
	{ 2, "decisions: priority, overrides, checklist, indicator hits",
	  "ALTER TABLE calls ADD COLUMN recommended_category TEXT NOT NULL\n"
	  "  DEFAULT 'undetermined';\n"
	  "ALTER TABLE calls ADD COLUMN priority INTEGER NOT NULL DEFAULT 0\n"
	  "  CHECK (priority BETWEEN 0 AND 9);\n"
	  "ALTER TABLE calls ADD COLUMN state TEXT NOT NULL DEFAULT '{}';\n"
	  "CREATE INDEX IF NOT EXISTS calls_by_category ON calls\n"
	  "  (category, opened_at_ms);\n" },
	/* Users are disabled, never deleted, so that every audit entry keeps
	 * naming someone who existed. A session row keeps only the SHA-256
	 * of its token. */
	{ 3, "users, sessions, the access audit",
	  "CREATE TABLE users (\n"
	  "  id INTEGER PRIMARY KEY,\n"
	  "  name TEXT NOT NULL UNIQUE,\n"
	  "  display TEXT NOT NULL DEFAULT '',\n"
	  "  role TEXT NOT NULL,\n"
	  "  password_hash TEXT NOT NULL,\n"
	  "  disabled INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),\n"
	  "  locked_until_ms INTEGER NOT NULL DEFAULT 0,\n"
	  "  failed_logins INTEGER NOT NULL DEFAULT 0\n"
	  "    CHECK (failed_logins >= 0),\n"
	  "  created_at_ms INTEGER NOT NULL,\n"
	  "  updated_at_ms INTEGER NOT NULL,\n"
	  "  last_login_ms INTEGER NOT NULL DEFAULT 0,\n"
	  "  version INTEGER NOT NULL DEFAULT 1 CHECK (version > 0)\n"
	  ");\n"
	  "CREATE TRIGGER users_no_delete BEFORE DELETE ON users\n"
	  "BEGIN SELECT RAISE(ABORT, 'users are disabled, never deleted'); "
	  "END;\n"
	  "CREATE TABLE sessions (\n"
	  "  token_hash TEXT PRIMARY KEY,\n"
	  "  user_name TEXT NOT NULL REFERENCES users (name),\n"
	  "  created_at_ms INTEGER NOT NULL,\n"
	  "  last_seen_ms INTEGER NOT NULL,\n"
	  "  ended_at_ms INTEGER NOT NULL DEFAULT 0\n"
	  ") WITHOUT ROWID;\n"
	  "CREATE INDEX sessions_by_user ON sessions (user_name, "
	  "ended_at_ms);\n"
	  "CREATE TABLE audit (\n"
	  "  id INTEGER PRIMARY KEY,\n"
	  "  at_ms INTEGER NOT NULL,\n"
	  "  actor TEXT NOT NULL,\n"
	  "  action TEXT NOT NULL,\n"
	  "  object TEXT NOT NULL,\n"
	  "  address TEXT NOT NULL,\n"
	  "  outcome TEXT NOT NULL,\n"
	  "  detail TEXT NOT NULL\n"
	  ");\n"
	  "CREATE INDEX audit_by_object ON audit (object, id);\n"
	  "CREATE INDEX audit_by_actor ON audit (actor, id);\n"
	  "CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit\n"
	  "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;\n"
	  "CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit\n"
	  "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;\n" },
	/* Units are taken out of service, never deleted, so that every
	 * event and audit entry keeps naming one that existed. A position
	 * report changes the row only: AVL reports every few seconds. */
	{ 4, "units, their status events",
	  "CREATE TABLE units (\n"
	  "  id INTEGER PRIMARY KEY,\n"
	  "  call_sign TEXT NOT NULL UNIQUE,\n"
	  "  agency TEXT NOT NULL DEFAULT '',\n"
	  "  status TEXT NOT NULL CHECK (status IN ('available', "
	  "'dispatched',\n"
	  "    'en_route', 'on_scene', 'cleared', 'out_of_service')),\n"
	  "  has_position INTEGER NOT NULL DEFAULT 0\n"
	  "    CHECK (has_position IN (0, 1)),\n"
	  "  lat REAL NOT NULL DEFAULT 0,\n"
	  "  lon REAL NOT NULL DEFAULT 0,\n"
	  "  position_at_ms INTEGER NOT NULL DEFAULT 0,\n"
	  "  languages TEXT NOT NULL DEFAULT '',\n"
	  "  ht_trained INTEGER NOT NULL DEFAULT 0 CHECK (ht_trained IN (0, "
	  "1)),\n"
	  "  call_ref TEXT NOT NULL DEFAULT '',\n"
	  "  created_at_ms INTEGER NOT NULL,\n"
	  "  updated_at_ms INTEGER NOT NULL,\n"
	  "  version INTEGER NOT NULL DEFAULT 1 CHECK (version > 0)\n"
	  ");\n"
	  "CREATE TRIGGER units_no_delete BEFORE DELETE ON units\n"
	  "BEGIN SELECT RAISE(ABORT, 'units are taken out of service, never "
	  "deleted'); END;\n"
	  "CREATE TABLE unit_events (\n"
	  "  id INTEGER PRIMARY KEY,\n"
	  "  unit_id INTEGER NOT NULL REFERENCES units (id),\n"
	  "  at_ms INTEGER NOT NULL,\n"
	  "  actor TEXT NOT NULL,\n"
	  "  type TEXT NOT NULL CHECK (type IN ('unit_added', "
	  "'status_changed',\n"
	  "    'unit_updated')),\n"
	  "  payload TEXT NOT NULL\n"
	  ");\n"
	  "CREATE INDEX unit_events_by_unit ON unit_events (unit_id, id);\n"
	  "CREATE TRIGGER unit_events_no_update BEFORE UPDATE ON unit_events\n"
	  "BEGIN SELECT RAISE(ABORT, 'unit events are append-only'); END;\n"
	  "CREATE TRIGGER unit_events_no_delete BEFORE DELETE ON unit_events\n"
	  "BEGIN SELECT RAISE(ABORT, 'unit events are append-only'); END;\n" },
	/* The outbox: one row per notification and target, queued with the
	 * events that caused it; the key is what receivers drop repeats by,
	 * so it is unique and never changes. */
	{ 5, "the notification outbox",
	  "CREATE TABLE outbox (\n"
	  "  id INTEGER PRIMARY KEY,\n"
	  "  call_ref TEXT NOT NULL,\n"
	  "  kind TEXT NOT NULL,\n"
	  "  action TEXT NOT NULL,\n"
	  "  target TEXT NOT NULL,\n"
	  "  transport TEXT NOT NULL,\n"
	  "  idempotency_key TEXT NOT NULL UNIQUE,\n"
	  "  content_type TEXT NOT NULL,\n"
	  "  subject TEXT NOT NULL,\n"
	  "  body TEXT NOT NULL,\n"
	  "  state TEXT NOT NULL CHECK (state IN ('pending', 'delivered',\n"
	  "    'failed', 'task_open', 'task_confirmed')),\n"
	  "  attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),\n"
	  "  next_attempt_ms INTEGER NOT NULL,\n"
	  "  last_status INTEGER NOT NULL DEFAULT 0,\n"
	  "  last_error TEXT NOT NULL DEFAULT '',\n"
	  "  created_at_ms INTEGER NOT NULL,\n"
	  "  updated_at_ms INTEGER NOT NULL,\n"
	  "  delivered_at_ms INTEGER NOT NULL DEFAULT 0\n"
	  ");\n"
	  "CREATE INDEX outbox_due ON outbox (state, next_attempt_ms);\n"
	  "CREATE INDEX outbox_by_call ON outbox (call_ref, id);\n"
	  "CREATE TRIGGER outbox_no_delete BEFORE DELETE ON outbox\n"
	  "BEGIN SELECT RAISE(ABORT, 'outbox rows are kept'); END;\n" },
	/* `fields` is the record's fields as one JSON object, read whole,
	 * never searched: records are found through record_keys, the
	 * blocking index. `keys` repeats a record's keys ('\n' between
	 * them) so that a change can delete exactly the old ones through
	 * the primary key, without a second index on record_keys. In
	 * record_keys a key is kept as its 64-bit FNV-1a hash (key_hash()):
	 * an integer index is a third the size of the text one and several
	 * times faster to build, and a collision (one in 2^64 a pair) only
	 * adds a candidate, which the matcher then scores on its fields. And
	 * record_keys names its record without a foreign key, whose check
	 * would cost a look-up per key (the store writes a record's keys
	 * only with the record, in its transaction). Links
	 * join a record to another record or to a call. */
	{ 6, "records, their blocking keys, links",
	  "CREATE TABLE records (\n"
	  "  id INTEGER PRIMARY KEY,\n"
	  "  kind TEXT NOT NULL CHECK (kind IN ('person', 'location', "
	  "'phone',\n"
	  "    'vehicle', 'business')),\n"
	  "  source TEXT NOT NULL,\n"
	  "  source_id TEXT NOT NULL,\n"
	  "  fields TEXT NOT NULL,\n"
	  "  keys TEXT NOT NULL DEFAULT '',\n"
	  "  sealed INTEGER NOT NULL DEFAULT 0 CHECK (sealed IN (0, 1)),\n"
	  "  created_at_ms INTEGER NOT NULL,\n"
	  "  updated_at_ms INTEGER NOT NULL,\n"
	  "  version INTEGER NOT NULL DEFAULT 1 CHECK (version > 0),\n"
	  "  UNIQUE (kind, source, source_id)\n"
	  ");\n"
	  "CREATE TABLE record_keys (\n"
	  "  key INTEGER NOT NULL,\n"
	  "  record_id INTEGER NOT NULL,\n"
	  "  PRIMARY KEY (key, record_id)\n"
	  ") WITHOUT ROWID;\n"
	  "CREATE TABLE record_links (\n"
	  "  id INTEGER PRIMARY KEY,\n"
	  "  record_id INTEGER NOT NULL REFERENCES records (id),\n"
	  "  other_record_id INTEGER REFERENCES records (id),\n"
	  "  call_id INTEGER REFERENCES calls (id),\n"
	  "  type TEXT NOT NULL,\n"
	  "  created_at_ms INTEGER NOT NULL,\n"
	  "  actor TEXT NOT NULL,\n"
	  "  CHECK ((other_record_id IS NULL) <> (call_id IS NULL))\n"
	  ");\n"
	  "CREATE UNIQUE INDEX record_links_unique ON record_links\n"
	  "  (record_id, type, ifnull(other_record_id, 0), ifnull(call_id, "
	  "0));\n"
	  "CREATE INDEX record_links_by_other ON record_links "
	  "(other_record_id)\n"
	  "  WHERE other_record_id IS NOT NULL;\n"
	  "CREATE INDEX record_links_by_call ON record_links (call_id)\n"
	  "  WHERE call_id IS NOT NULL;\n" },
	/* 7: a row can be withdrawn (cancelled) when its action stops being
	 * required. SQLite cannot alter a CHECK: the table is rebuilt, its
	 * rows copied with their ids, and its indexes and trigger made
	 * again, in the migration's transaction. */
	{ 7, "outbox rows can be cancelled",
	  "DROP TRIGGER outbox_no_delete;\n"
	  "CREATE TABLE outbox_v7 (\n"
	  "  id INTEGER PRIMARY KEY,\n"
	  "  call_ref TEXT NOT NULL,\n"
	  "  kind TEXT NOT NULL,\n"
	  "  action TEXT NOT NULL,\n"
	  "  target TEXT NOT NULL,\n"
	  "  transport TEXT NOT NULL,\n"
	  "  idempotency_key TEXT NOT NULL UNIQUE,\n"
	  "  content_type TEXT NOT NULL,\n"
	  "  subject TEXT NOT NULL,\n"
	  "  body TEXT NOT NULL,\n"
	  "  state TEXT NOT NULL CHECK (state IN ('pending', 'delivered',\n"
	  "    'failed', 'task_open', 'task_confirmed', 'cancelled')),\n"
	  "  attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),\n"
	  "  next_attempt_ms INTEGER NOT NULL,\n"
	  "  last_status INTEGER NOT NULL DEFAULT 0,\n"
	  "  last_error TEXT NOT NULL DEFAULT '',\n"
	  "  created_at_ms INTEGER NOT NULL,\n"
	  "  updated_at_ms INTEGER NOT NULL,\n"
	  "  delivered_at_ms INTEGER NOT NULL DEFAULT 0\n"
	  ");\n"
	  "INSERT INTO outbox_v7 (id, call_ref, kind, action, target, "
	  "transport,\n"
	  "  idempotency_key, content_type, subject, body, state, attempts,\n"
	  "  next_attempt_ms, last_status, last_error, created_at_ms,\n"
	  "  updated_at_ms, delivered_at_ms)\n"
	  "  SELECT id, call_ref, kind, action, target, transport,\n"
	  "  idempotency_key, content_type, subject, body, state, attempts,\n"
	  "  next_attempt_ms, last_status, last_error, created_at_ms,\n"
	  "  updated_at_ms, delivered_at_ms FROM outbox ORDER BY id;\n"
	  "DROP TABLE outbox;\n"
	  "ALTER TABLE outbox_v7 RENAME TO outbox;\n"
	  "CREATE INDEX outbox_due ON outbox (state, next_attempt_ms);\n"
	  "CREATE INDEX outbox_by_call ON outbox (call_ref, id);\n"
	  "CREATE TRIGGER outbox_no_delete BEFORE DELETE ON outbox\n"
	  "BEGIN SELECT RAISE(ABORT, 'outbox rows are kept'); END;\n" },
	/*
	 * Links: record to record (from an import's "links" column) by the
	 * target's (kind, source, source_id), not its id, so that a link to
	 * a record imported later resolves when it comes (a join on the
	 * records' unique index when read); record to call ("confirmed",
	 * with the record_linked event). record_links is the current state:
	 * a rejection deletes the call's row, the events keep the history.
	 * Migration 6's table was written by nothing; its rows, if any, are
	 * carried over. */
	{ 8, "record links by target, confirmed links",
	  "ALTER TABLE record_links RENAME TO record_links_6;\n"
	  "DROP INDEX record_links_unique;\n"
	  "DROP INDEX record_links_by_other;\n"
	  "DROP INDEX record_links_by_call;\n"
	  "CREATE TABLE record_links (\n"
	  "  id INTEGER PRIMARY KEY,\n"
	  "  record_id INTEGER NOT NULL REFERENCES records (id),\n"
	  "  type TEXT NOT NULL,\n"
	  "  target_kind TEXT CHECK (target_kind IN ('person', 'location',\n"
	  "    'phone', 'vehicle', 'business')),\n"
	  "  target_source TEXT,\n"
	  "  target_source_id TEXT,\n"
	  "  call_id INTEGER REFERENCES calls (id),\n"
	  "  created_at_ms INTEGER NOT NULL,\n"
	  "  actor TEXT NOT NULL,\n"
	  "  CHECK ((call_id IS NULL) = (target_kind IS NOT NULL AND\n"
	  "    target_source IS NOT NULL AND target_source_id IS NOT NULL)),\n"
	  "  CHECK (call_id IS NULL OR (target_kind IS NULL AND\n"
	  "    target_source IS NULL AND target_source_id IS NULL))\n"
	  ");\n"
	  "CREATE UNIQUE INDEX record_links_unique ON record_links\n"
	  "  (record_id, type, ifnull(call_id, 0), ifnull(target_kind, ''),\n"
	  "   ifnull(target_source, ''), ifnull(target_source_id, ''));\n"
	  "CREATE INDEX record_links_by_target ON record_links\n"
	  "  (target_kind, target_source, target_source_id)\n"
	  "  WHERE call_id IS NULL;\n"
	  "CREATE INDEX record_links_by_call ON record_links (call_id)\n"
	  "  WHERE call_id IS NOT NULL;\n"
	  "INSERT INTO record_links (record_id, type, target_kind,\n"
	  "  target_source, target_source_id, call_id, created_at_ms, actor)\n"
	  "  SELECT l.record_id, l.type, r.kind, r.source, r.source_id,\n"
	  "    l.call_id, l.created_at_ms, l.actor FROM record_links_6 l\n"
	  "  LEFT JOIN records r ON r.id = l.other_record_id\n"
	  "  WHERE l.call_id IS NOT NULL OR r.id IS NOT NULL;\n"
	  "DROP TABLE record_links_6;\n" },
	/*
	 * 9: records and record_links as before, with their kind CHECKs
	 * written as equalities. SQLite checks `kind IN (five constants)`
	 * by building an ephemeral table of the five at every execution of
	 * the insert, so at every record of an import (a tenth of the
	 * record insert); a chain of `=` ORs needs none and refuses exactly
	 * the same values. SQLite cannot alter a CHECK: both tables are
	 * rebuilt with their rows and ids, the links (which refer to
	 * records, and foreign keys are on) set aside while records is
	 * dropped and put back once the new table has its name.
	 */
	{ 9, "record kind checks without an ephemeral table",
	  "CREATE TABLE records_9 (\n"
	  "  id INTEGER PRIMARY KEY,\n"
	  "  kind TEXT NOT NULL CHECK (kind = 'person' OR kind = "
	  "'location'\n"
	  "    OR kind = 'phone' OR kind = 'vehicle' OR kind = "
	  "'business'),\n"
	  "  source TEXT NOT NULL,\n"
	  "  source_id TEXT NOT NULL,\n"
	  "  fields TEXT NOT NULL,\n"
	  "  keys TEXT NOT NULL DEFAULT '',\n"
	  "  sealed INTEGER NOT NULL DEFAULT 0 CHECK (sealed IN (0, 1)),\n"
	  "  created_at_ms INTEGER NOT NULL,\n"
	  "  updated_at_ms INTEGER NOT NULL,\n"
	  "  version INTEGER NOT NULL DEFAULT 1 CHECK (version > 0),\n"
	  "  UNIQUE (kind, source, source_id)\n"
	  ");\n"
	  "INSERT INTO records_9 (id, kind, source, source_id, fields, keys,\n"
	  "  sealed, created_at_ms, updated_at_ms, version)\n"
	  "  SELECT id, kind, source, source_id, fields, keys, sealed,\n"
	  "  created_at_ms, updated_at_ms, version FROM records ORDER BY id;\n"
	  "CREATE TABLE record_links_9 AS SELECT * FROM record_links;\n"
	  "DROP TABLE record_links;\n"
	  "DROP TABLE records;\n"
	  "ALTER TABLE records_9 RENAME TO records;\n"
	  "CREATE TABLE record_links (\n"
	  "  id INTEGER PRIMARY KEY,\n"
	  "  record_id INTEGER NOT NULL REFERENCES records (id),\n"
	  "  type TEXT NOT NULL,\n"
	  "  target_kind TEXT CHECK (target_kind = 'person' OR\n"
	  "    target_kind = 'location' OR target_kind = 'phone' OR\n"
	  "    target_kind = 'vehicle' OR target_kind = 'business'),\n"
	  "  target_source TEXT,\n"
	  "  target_source_id TEXT,\n"
	  "  call_id INTEGER REFERENCES calls (id),\n"
	  "  created_at_ms INTEGER NOT NULL,\n"
	  "  actor TEXT NOT NULL,\n"
	  "  CHECK ((call_id IS NULL) = (target_kind IS NOT NULL AND\n"
	  "    target_source IS NOT NULL AND target_source_id IS NOT NULL)),\n"
	  "  CHECK (call_id IS NULL OR (target_kind IS NULL AND\n"
	  "    target_source IS NULL AND target_source_id IS NULL))\n"
	  ");\n"
	  "CREATE UNIQUE INDEX record_links_unique ON record_links\n"
	  "  (record_id, type, ifnull(call_id, 0), ifnull(target_kind, ''),\n"
	  "   ifnull(target_source, ''), ifnull(target_source_id, ''));\n"
	  "CREATE INDEX record_links_by_target ON record_links\n"
	  "  (target_kind, target_source, target_source_id)\n"
	  "  WHERE call_id IS NULL;\n"
	  "CREATE INDEX record_links_by_call ON record_links (call_id)\n"
	  "  WHERE call_id IS NOT NULL;\n"
	  "INSERT INTO record_links (id, record_id, type, target_kind,\n"
	  "  target_source, target_source_id, call_id, created_at_ms, actor)\n"
	  "  SELECT id, record_id, type, target_kind, target_source,\n"
	  "  target_source_id, call_id, created_at_ms, actor\n"
	  "  FROM record_links_9 ORDER BY id;\n"
	  "DROP TABLE record_links_9;\n" },
};

#define MIGRATION_COUNT ((int)(sizeof(migrations) / sizeof(migrations[0])))

int store_schema_latest(void)
{
	return migrations[MIGRATION_COUNT - 1].version;
}

/* ---- statements ------------------------------------------------------- */

#define CALL_COLUMNS                                                \
	"ref, status, category, channel, language, location_text, " \
	"callback_number, caller_name, opened_by, opened_at_ms, "   \
	"updated_at_ms, closed_at_ms, disposition, close_summary, " \
	"note_count, version, id, recommended_category, priority, state"

enum stmt_id {
	STMT_BEGIN,
	STMT_BEGIN_READ,
	STMT_COMMIT,
	STMT_ROLLBACK,
	STMT_SEQ_NEXT,
	STMT_CALL_INSERT,
	STMT_CALL_UPDATE,
	STMT_CALL_UPDATE_KEEP_STATUS,
	STMT_CALL_VERSION,
	STMT_EVENT_INSERT,
	STMT_ANSWER_UPSERT,
	STMT_CALL_GET,
	STMT_ANSWERS_GET,
	STMT_EVENTS,
	STMT_CALLS_EACH,
	STMT_CALL_LIST,
	STMT_EVENTS_AFTER,
	STMT_EVENTS_LAST,
	STMT_AUDIT_INSERT,
	STMT_AUDIT_LIST_ALL,
	STMT_AUDIT_LIST_ACTOR,
	STMT_AUDIT_LIST_OBJECT,
	STMT_USER_INSERT,
	STMT_USER_UPDATE,
	STMT_USER_GET,
	STMT_USER_LIST,
	STMT_SESSION_INSERT,
	STMT_SESSION_GET,
	STMT_SESSION_TOUCH,
	STMT_SESSION_END,
	STMT_SESSION_END_USER,
	STMT_UNIT_INSERT,
	STMT_UNIT_UPDATE,
	STMT_UNIT_GET,
	STMT_UNIT_ID,
	STMT_UNIT_LIST,
	STMT_UNIT_EVENT_INSERT,
	STMT_UNIT_EVENTS,
	STMT_OUTBOX_INSERT,
	STMT_OUTBOX_DUE,
	STMT_OUTBOX_LIST,
	STMT_OUTBOX_UPDATE,
	STMT_OUTBOX_COUNT,
	STMT_OUTBOX_CANCEL,
	STMT_RECORD_FIND,
	STMT_RECORD_INSERT,
	STMT_RECORD_UPDATE,
	STMT_RECORD_KEY_INSERT,
	STMT_RECORD_KEY_DELETE,
	STMT_RECORD_GET,
	STMT_RECORD_GET_SOURCE,
	STMT_RECORD_POSTINGS,
	STMT_RECORD_COUNT,
	STMT_RECORD_ID,
	STMT_LINK_INSERT,
	STMT_LINK_IMPORTED,
	STMT_LINK_DELETE,
	STMT_LINK_CONFIRM,
	STMT_LINK_UNCONFIRM,
	STMT_LINKS_OUT,
	STMT_LINKS_IN,
	STMT_LINKS_CALLS,
	STMT__COUNT
};

#define AUDIT_COLUMNS \
	"id, at_ms, actor, action, object, address, outcome, detail"
/* The filters every audit listing shares; the statements differ in the
 * index they walk (by object, by actor, or all), newest first. */
#define AUDIT_FILTERS                                                     \
	"(?1 IS NULL OR actor = ?1) AND (?2 IS NULL OR object = ?2) AND " \
	"(?3 IS NULL OR at_ms >= ?3) AND (?4 IS NULL OR at_ms < ?4) AND " \
	"id < ?5 ORDER BY id DESC LIMIT ?6"
#define USER_COLUMNS                                                      \
	"name, display, role, password_hash, disabled, locked_until_ms, " \
	"failed_logins, created_at_ms, updated_at_ms, last_login_ms, version"

#define UNIT_COLUMNS                                                          \
	"call_sign, agency, status, has_position, lat, lon, position_at_ms, " \
	"languages, ht_trained, call_ref, created_at_ms, updated_at_ms, "     \
	"version"

#define OUTBOX_COLUMNS                                                     \
	"id, call_ref, kind, action, target, transport, idempotency_key, " \
	"content_type, subject, body, state, attempts, next_attempt_ms, "  \
	"last_status, last_error, created_at_ms, updated_at_ms, "          \
	"delivered_at_ms"
#define RECORD_COLUMNS                                                 \
	"id, kind, source, source_id, fields, sealed, created_at_ms, " \
	"updated_at_ms, version"

static const char *const stmt_sql[STMT__COUNT] = {
	[STMT_BEGIN] = "BEGIN IMMEDIATE",
	[STMT_BEGIN_READ] = "BEGIN",
	[STMT_COMMIT] = "COMMIT",
	[STMT_ROLLBACK] = "ROLLBACK",
	[STMT_SEQ_NEXT] =
	    "INSERT INTO call_sequences (year, last) VALUES (?1, 1) "
	    "ON CONFLICT (year) DO UPDATE SET last = last + 1 "
	    "RETURNING last",
	[STMT_CALL_INSERT] =
	    "INSERT INTO calls (ref, year, seq, status, category, channel, "
	    "language, location_text, callback_number, caller_name, "
	    "opened_by, opened_at_ms, updated_at_ms, closed_at_ms, "
	    "disposition, close_summary, note_count, version, "
	    "recommended_category, priority, state) VALUES "
	    "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, "
	    "?15, ?16, ?17, ?18, ?19, ?20, ?21) RETURNING id",
	[STMT_CALL_UPDATE] =
	    "UPDATE calls SET status = ?1, category = ?2, channel = ?3, "
	    "language = ?4, location_text = ?5, callback_number = ?6, "
	    "caller_name = ?7, updated_at_ms = ?8, closed_at_ms = ?9, "
	    "disposition = ?10, close_summary = ?11, note_count = ?12, "
	    "version = ?13, recommended_category = ?16, priority = ?17, "
	    "state = ?18 WHERE id = ?14 AND version = ?15",
	/* Without status: setting it, even to the same value, makes SQLite
	 * rewrite the calls_by_status index, one more page per commit. */
	[STMT_CALL_UPDATE_KEEP_STATUS] =
	    "UPDATE calls SET category = ?2, channel = ?3, "
	    "language = ?4, location_text = ?5, callback_number = ?6, "
	    "caller_name = ?7, updated_at_ms = ?8, closed_at_ms = ?9, "
	    "disposition = ?10, close_summary = ?11, note_count = ?12, "
	    "version = ?13, recommended_category = ?16, priority = ?17, "
	    "state = ?18 WHERE id = ?14 AND version = ?15",
	[STMT_CALL_VERSION] =
	    "SELECT id, version, status FROM calls WHERE ref = ?1",
	[STMT_EVENT_INSERT] =
	    "INSERT INTO call_events (call_id, seq, type, at_ms, actor, "
	    "payload) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[STMT_ANSWER_UPSERT] =
	    "INSERT INTO call_answers (call_id, question, value, at_ms, ord) "
	    "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (call_id, question) DO "
	    "UPDATE SET value = excluded.value, at_ms = excluded.at_ms, "
	    "ord = excluded.ord "
	    "WHERE value IS NOT excluded.value OR at_ms IS NOT "
	    "excluded.at_ms OR ord IS NOT excluded.ord",
	[STMT_CALL_GET] = "SELECT " CALL_COLUMNS " FROM calls WHERE ref = ?1",
	[STMT_ANSWERS_GET] = "SELECT question, value, at_ms FROM call_answers "
	                     "WHERE call_id = ?1 ORDER BY ord",
	[STMT_EVENTS] = "SELECT id, seq, type, at_ms, actor, payload FROM "
	                "call_events WHERE call_id = ?1 ORDER BY seq",
	[STMT_CALLS_EACH] = "SELECT ref FROM calls ORDER BY id",
	[STMT_CALL_LIST] = "SELECT " CALL_COLUMNS " FROM calls WHERE "
	                   "(?1 IS NULL OR status = ?1) AND "
	                   "(?2 IS NULL OR category = ?2) AND "
	                   "(?3 IS NULL OR opened_at_ms >= ?3) AND "
	                   "(?4 IS NULL OR opened_at_ms < ?4) AND "
	                   "(?5 IS NULL OR (opened_at_ms, id) < (?5, ?6)) "
	                   "ORDER BY opened_at_ms DESC, id DESC LIMIT ?7",
	[STMT_EVENTS_AFTER] =
	    "SELECT e.id, c.ref, e.seq, e.type, e.at_ms, e.actor, e.payload "
	    "FROM call_events e JOIN calls c ON c.id = e.call_id "
	    "WHERE e.id > ?1 ORDER BY e.id LIMIT ?2",
	[STMT_EVENTS_LAST] = "SELECT coalesce(max(id), 0) FROM call_events",
	[STMT_AUDIT_INSERT] =
	    "INSERT INTO audit (at_ms, actor, action, object, address, "
	    "outcome, detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	[STMT_AUDIT_LIST_ALL] =
	    "SELECT " AUDIT_COLUMNS " FROM audit WHERE " AUDIT_FILTERS,
	[STMT_AUDIT_LIST_ACTOR] =
	    "SELECT " AUDIT_COLUMNS
	    " FROM audit WHERE actor = ?1 AND " AUDIT_FILTERS,
	[STMT_AUDIT_LIST_OBJECT] =
	    "SELECT " AUDIT_COLUMNS
	    " FROM audit WHERE object = ?2 AND " AUDIT_FILTERS,
	[STMT_USER_INSERT] =
	    "INSERT INTO users (" USER_COLUMNS ") VALUES (?1, ?2, ?3, ?4, ?5, "
	    "?6, ?7, ?8, ?9, ?10, 1)",
	[STMT_USER_UPDATE] =
	    "UPDATE users SET display = ?2, role = ?3, password_hash = ?4, "
	    "disabled = ?5, locked_until_ms = ?6, failed_logins = ?7, "
	    "updated_at_ms = ?9, last_login_ms = ?10, version = version + 1 "
	    "WHERE name = ?1 AND version = ?11",
	[STMT_USER_GET] = "SELECT " USER_COLUMNS " FROM users WHERE name = ?1",
	[STMT_USER_LIST] = "SELECT " USER_COLUMNS " FROM users ORDER BY name",
	[STMT_SESSION_INSERT] =
	    "INSERT INTO sessions (token_hash, user_name, created_at_ms, "
	    "last_seen_ms, ended_at_ms) VALUES (?1, ?2, ?3, ?4, 0)",
	[STMT_SESSION_GET] =
	    "SELECT token_hash, user_name, created_at_ms, last_seen_ms, "
	    "ended_at_ms FROM sessions WHERE token_hash = ?1",
	[STMT_SESSION_TOUCH] =
	    "UPDATE sessions SET last_seen_ms = max(last_seen_ms, ?2) WHERE "
	    "token_hash = ?1 AND ended_at_ms = 0",
	[STMT_SESSION_END] = "UPDATE sessions SET ended_at_ms = ?2 WHERE "
	                     "token_hash = ?1 AND ended_at_ms = 0",
	[STMT_SESSION_END_USER] = "UPDATE sessions SET ended_at_ms = ?2 WHERE "
	                          "user_name = ?1 AND ended_at_ms = 0",
	[STMT_UNIT_INSERT] =
	    "INSERT INTO units (" UNIT_COLUMNS ") VALUES (?1, ?2, ?3, ?4, ?5, "
	    "?6, ?7, ?8, ?9, ?10, ?11, ?12, 1) RETURNING id",
	[STMT_UNIT_UPDATE] =
	    "UPDATE units SET agency = ?2, status = ?3, has_position = ?4, "
	    "lat = ?5, lon = ?6, position_at_ms = ?7, languages = ?8, "
	    "ht_trained = ?9, call_ref = ?10, updated_at_ms = ?12, "
	    "version = version + 1 WHERE call_sign = ?1 AND version = ?13 "
	    "RETURNING id",
	[STMT_UNIT_GET] =
	    "SELECT " UNIT_COLUMNS " FROM units WHERE call_sign = ?1",
	[STMT_UNIT_ID] = "SELECT id FROM units WHERE call_sign = ?1",
	[STMT_UNIT_LIST] =
	    "SELECT " UNIT_COLUMNS " FROM units ORDER BY call_sign",
	[STMT_UNIT_EVENT_INSERT] =
	    "INSERT INTO unit_events (unit_id, at_ms, actor, type, payload) "
	    "VALUES (?1, ?2, ?3, ?4, ?5)",
	[STMT_UNIT_EVENTS] = "SELECT id, at_ms, actor, type, payload FROM "
	                     "unit_events WHERE unit_id = ?1 ORDER BY id",
	[STMT_OUTBOX_INSERT] =
	    "INSERT INTO outbox (call_ref, kind, action, target, transport, "
	    "idempotency_key, content_type, subject, body, state, attempts, "
	    "next_attempt_ms, last_status, last_error, created_at_ms, "
	    "updated_at_ms, delivered_at_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, "
	    "?7, ?8, ?9, ?10, 0, ?11, 0, '', ?12, ?12, 0)",
	[STMT_OUTBOX_DUE] = "SELECT " OUTBOX_COLUMNS " FROM outbox WHERE "
	                    "state = 'pending' AND next_attempt_ms <= ?1 "
	                    "AND (?3 IS NULL OR target = ?3) "
	                    "ORDER BY next_attempt_ms, id LIMIT ?2",
	[STMT_OUTBOX_LIST] = "SELECT " OUTBOX_COLUMNS " FROM outbox WHERE "
	                     "(?1 IS NULL OR call_ref = ?1) AND "
	                     "(?2 IS NULL OR state = ?2) "
	                     "ORDER BY id DESC LIMIT ?3",
	[STMT_OUTBOX_UPDATE] =
	    "UPDATE outbox SET state = ?2, attempts = ?3, next_attempt_ms = "
	    "?4, last_status = ?5, last_error = ?6, updated_at_ms = ?7, "
	    "delivered_at_ms = ?8 WHERE id = ?1 AND state = ?9",
	[STMT_OUTBOX_COUNT] = "SELECT count(*) FROM outbox WHERE state = ?1",
	[STMT_OUTBOX_CANCEL] =
	    "UPDATE outbox SET state = 'cancelled', updated_at_ms = ?3 "
	    "WHERE id = ?1 AND call_ref = ?2 AND state IN ('pending', "
	    "'task_open')",
	[STMT_RECORD_FIND] = "SELECT id, fields, keys, sealed FROM records "
	                     "WHERE kind = ?1 AND source = ?2 AND "
	                     "source_id = ?3",
	[STMT_RECORD_INSERT] =
	    "INSERT INTO records (kind, source, source_id, fields, keys, "
	    "sealed, created_at_ms, updated_at_ms) VALUES (?1, ?2, ?3, ?4, "
	    "?5, ?6, ?7, ?7) ON CONFLICT (kind, source, source_id) DO "
	    "NOTHING",
	[STMT_RECORD_UPDATE] =
	    "UPDATE records SET fields = ?2, keys = ?3, sealed = ?4, "
	    "updated_at_ms = ?5, version = version + 1 WHERE id = ?1",
	[STMT_RECORD_KEY_INSERT] = "INSERT OR IGNORE INTO record_keys (key, "
	                           "record_id) VALUES (?1, ?2)",
	[STMT_RECORD_KEY_DELETE] =
	    "DELETE FROM record_keys WHERE key = ?1 AND record_id = ?2",
	[STMT_RECORD_GET] =
	    "SELECT " RECORD_COLUMNS " FROM records WHERE id = ?1",
	[STMT_RECORD_GET_SOURCE] =
	    "SELECT " RECORD_COLUMNS " FROM records WHERE kind = ?1 AND "
	    "source = ?2 AND source_id = ?3",
	[STMT_RECORD_POSTINGS] = "SELECT record_id FROM record_keys WHERE "
	                         "key = ?1 ORDER BY record_id LIMIT ?2",
	[STMT_RECORD_COUNT] =
	    "SELECT kind, count(*) FROM records GROUP BY kind",
	[STMT_RECORD_ID] = "SELECT id FROM records WHERE kind = ?1 AND "
	                   "source = ?2 AND source_id = ?3",
	[STMT_LINK_INSERT] =
	    "INSERT OR IGNORE INTO record_links (record_id, type, "
	    "target_kind, target_source, target_source_id, created_at_ms, "
	    "actor) VALUES (?1, ?2, ?3, ?4, ?5, ?6, '" STORE_LINK_ACTOR_IMPORT
	    "')",
	[STMT_LINK_IMPORTED] =
	    "SELECT id, type, target_kind, target_source, target_source_id "
	    "FROM record_links WHERE record_id = ?1 AND call_id IS NULL",
	[STMT_LINK_DELETE] = "DELETE FROM record_links WHERE id = ?1",
	[STMT_LINK_CONFIRM] =
	    "INSERT OR IGNORE INTO record_links (record_id, type, call_id, "
	    "created_at_ms, actor) VALUES (?1, 'confirmed', ?2, ?3, ?4)",
	[STMT_LINK_UNCONFIRM] =
	    "DELETE FROM record_links WHERE record_id = ?1 AND call_id = ?2 "
	    "AND type = 'confirmed'",
	[STMT_LINKS_OUT] =
	    "SELECT l.type, l.target_kind, l.target_source, "
	    "l.target_source_id, coalesce(r.id, 0), l.created_at_ms, l.actor "
	    "FROM record_links l LEFT JOIN records r ON r.kind = "
	    "l.target_kind AND r.source = l.target_source AND r.source_id = "
	    "l.target_source_id WHERE l.record_id = ?1 AND l.call_id IS NULL "
	    "ORDER BY l.id LIMIT ?2",
	[STMT_LINKS_IN] =
	    "SELECT l.type, r.kind, r.source, r.source_id, r.id, "
	    "l.created_at_ms, l.actor FROM records t JOIN record_links l ON "
	    "l.target_kind = t.kind AND l.target_source = t.source AND "
	    "l.target_source_id = t.source_id AND l.call_id IS NULL "
	    "JOIN records r ON r.id = l.record_id WHERE t.id = ?1 "
	    "ORDER BY l.id LIMIT ?2",
	[STMT_LINKS_CALLS] =
	    "SELECT c.ref, l.created_at_ms, l.actor FROM record_links l "
	    "JOIN calls c ON c.id = l.call_id WHERE l.record_id = ?1 AND "
	    "l.call_id IS NOT NULL ORDER BY l.id LIMIT ?2",
};

/* Cache of the import's connection, in KiB. */
#define IMPORT_CACHE_KIB "262144"

/* Keys written by one statement of many rows. */
#define KEY_ROWS 64

/* Keys an import queues before it writes them (16 bytes each, 256 MB;
 * the sort needs as much again): sorted runs this long put dozens of keys
 * on each leaf page of record_keys one after the other, where a batch's
 * put one or two. A million people's 12.7 million keys are one run, and
 * record_keys is then written in order: the import took 10.0 s instead of
 * 11.1 s (8 M) and 12.5 s (2 M). Past it, only one batch's keys are added
 * before the flush: the queue then grows by KEY_PAIRS_STEP. */
#define KEY_PAIRS_QUEUED (1u << 24)
#define KEY_PAIRS_STEP (1u << 16)

struct key_pair {
	int64_t key; /* key_hash() */
	int64_t record_id;
};

struct sqlite_store {
	struct store base;
	sqlite3 *db;
	int busy_timeout_ms;
	sqlite3_stmt *stmt[STMT__COUNT];
	bool in_import; /* between records_begin and its commit/rollback */
	struct key_pair *pairs; /* the keys of a batch, to write in order */
	sqlite3_stmt *key_rows; /* inserts KEY_ROWS of them */
	size_t n_pairs, cap_pairs;
	struct buf fields; /* a record's fields as JSON, reused */
	struct buf keys;   /* its keys, reused */
};

/* ---- errors ----------------------------------------------------------- */

/*
 * Finds out why a database could not be opened or written, since SQLite's
 * last errno is often from a fallback attempt (ENOENT for a side file) rather
 * than the cause. Writes a reason to `out` and returns true when it finds
 * one: a read-only file system, a directory or file we may not write, a
 * missing directory.
 */
static bool diagnose_unwritable(const char *path, char *out, size_t size)
{
	char dir[1024];
	str_copy(dir, sizeof(dir), path);
	char *slash = strrchr(dir, '/');
	if (slash == dir)
		slash[1] = '\0';
	else if (slash)
		*slash = '\0';
	else
		str_copy(dir, sizeof(dir), ".");

	struct statvfs vfs;
	if (statvfs(dir, &vfs) != 0) {
		str_format(out, size, "directory %s: %s", dir, strerror(errno));
		return true;
	}
	if (vfs.f_flag & ST_RDONLY) {
		str_format(out, size,
		           "the directory %s is on a read-only file system",
		           dir);
		return true;
	}
	if (access(dir, W_OK) != 0) {
		str_format(out, size,
		           "the directory %s is read-only for this user (%s)",
		           dir, strerror(errno));
		return true;
	}
	if (access(path, F_OK) == 0 && access(path, R_OK | W_OK) != 0) {
		str_format(out, size,
		           "the file is read-only for this user (%s)",
		           strerror(errno));
		return true;
	}
	return false;
}

/*
 * Turns a SQLite result code into our error, naming the file and what we
 * were doing. The only place SQLite codes are interpreted.
 */
static enum htd_err sq_error(struct sqlite_store *s, int rc, const char *doing,
                             struct htd_error *err)
{
	const char *path = s->base.path;
	int primary = rc & 0xff;
	int sys = s->db ? sqlite3_system_errno(s->db) : 0;
	const char *detail = s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc);

	if (primary == SQLITE_FULL || sys == ENOSPC || sys == EDQUOT)
		return htd_error_set(err, HTD_ERR_FULL,
		                     "%s: the disk is full while %s; nothing "
		                     "of it was saved",
		                     path, doing);
	switch (primary) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return htd_error_set(err, HTD_ERR_BUSY,
		                     "%s: the database is locked by another "
		                     "process (waited %d ms) while %s; try "
		                     "again",
		                     path, s->busy_timeout_ms, doing);
	case SQLITE_NOTADB:
		return htd_error_set(err, HTD_ERR_NOT_DATABASE,
		                     "%s: not an htdispatch database (not an "
		                     "SQLite file); it was left untouched",
		                     path);
	case SQLITE_CORRUPT:
		return htd_error_set(err, HTD_ERR_CORRUPT,
		                     "%s: the database is corrupt (%s) while "
		                     "%s; restore the latest backup (see "
		                     "docs/operations.md)",
		                     path, detail, doing);
	case SQLITE_READONLY:
	case SQLITE_PERM:
	case SQLITE_CANTOPEN: {
		char why[1200];
		if (diagnose_unwritable(path, why, sizeof(why)))
			return htd_error_set(err, HTD_ERR_READONLY,
			                     "%s: cannot write while %s: %s "
			                     "(the database and its directory "
			                     "must be writable)",
			                     path, doing, why);
		if (primary != SQLITE_CANTOPEN)
			return htd_error_set(err, HTD_ERR_READONLY,
			                     "%s: cannot write while %s: %s",
			                     path, doing, detail);
		return htd_error_set(err, HTD_ERR_IO, "%s: cannot open: %s",
		                     path, sys ? strerror(sys) : detail);
	}
	case SQLITE_IOERR:
		if (sys == EROFS || sys == EACCES || sys == EPERM)
			return htd_error_set(err, HTD_ERR_READONLY,
			                     "%s: cannot write while %s: %s",
			                     path, doing, strerror(sys));
		return htd_error_set(err, HTD_ERR_IO,
		                     "%s: input/output error while %s: %s",
		                     path, doing, sys ? strerror(sys) : detail);
	case SQLITE_CONSTRAINT:
		return htd_error_set(err, HTD_ERR_CONFLICT, "%s: %s while %s",
		                     path, detail, doing);
	default:
		return htd_error_set(err, HTD_ERR_INTERNAL,
		                     "%s: database error while %s: %s", path,
		                     doing, detail);
	}
}

/* ---- helpers ---------------------------------------------------------- */

static sqlite3_stmt *stmt_get(struct sqlite_store *s, enum stmt_id id)
{
	sqlite3_stmt *st = s->stmt[id];
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return st;
}

/* Runs a statement that returns no rows. */
static int stmt_done(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? SQLITE_OK : rc;
}

static void bind_text(sqlite3_stmt *st, int i, const char *v)
{
	sqlite3_bind_text(st, i, v ? v : "", -1, SQLITE_STATIC);
}

static enum htd_err tx_begin(struct sqlite_store *s, struct htd_error *err)
{
	int rc = stmt_done(stmt_get(s, STMT_BEGIN));
	if (rc != SQLITE_OK)
		return sq_error(s, rc, "starting a transaction", err);
	return HTD_OK;
}

static enum htd_err tx_commit(struct sqlite_store *s, struct htd_error *err)
{
	int rc = stmt_done(stmt_get(s, STMT_COMMIT));
	if (rc != SQLITE_OK) {
		enum htd_err e = sq_error(s, rc, "committing", err);
		if (!sqlite3_get_autocommit(s->db))
			(void)stmt_done(stmt_get(s, STMT_ROLLBACK));
		return e;
	}
	return HTD_OK;
}

static void tx_rollback(struct sqlite_store *s)
{
	if (!sqlite3_get_autocommit(s->db))
		(void)stmt_done(stmt_get(s, STMT_ROLLBACK));
}

/* Writes the answers of a projection (insert or change; never delete). */
static int write_answers(struct sqlite_store *s, int64_t call_id,
                         const struct call *c)
{
	for (size_t i = 0; i < c->n_answers; i++) {
		sqlite3_stmt *st = stmt_get(s, STMT_ANSWER_UPSERT);
		sqlite3_bind_int64(st, 1, call_id);
		bind_text(st, 2, c->answers[i].question);
		bind_text(st, 3, c->answers[i].value);
		sqlite3_bind_int64(st, 4, c->answers[i].at_ms);
		sqlite3_bind_int64(st, 5, (sqlite3_int64)i);
		int rc = stmt_done(st);
		if (rc != SQLITE_OK)
			return rc;
	}
	return SQLITE_OK;
}

static int insert_event(struct sqlite_store *s, int64_t call_id,
                        const struct store_event *e)
{
	sqlite3_stmt *st = stmt_get(s, STMT_EVENT_INSERT);
	sqlite3_bind_int64(st, 1, call_id);
	sqlite3_bind_int64(st, 2, e->seq);
	bind_text(st, 3, e->type);
	sqlite3_bind_int64(st, 4, e->at_ms);
	bind_text(st, 5, e->actor);
	bind_text(st, 6, e->payload);
	return stmt_done(st);
}

/* Writes outbox rows inside the open transaction, each for call `ref`. */
static int insert_outbox(struct sqlite_store *s, const char *ref,
                         const struct store_outbox *rows, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct store_outbox *o = &rows[i];
		sqlite3_stmt *st = stmt_get(s, STMT_OUTBOX_INSERT);
		bind_text(st, 1, ref);
		bind_text(st, 2, o->kind);
		bind_text(st, 3, o->action);
		bind_text(st, 4, o->target);
		bind_text(st, 5, o->transport);
		bind_text(st, 6, o->key);
		bind_text(st, 7, o->content_type);
		bind_text(st, 8, o->subject);
		bind_text(st, 9, o->body);
		bind_text(st, 10, store_outbox_state_name(o->state));
		sqlite3_bind_int64(st, 11, o->next_attempt_ms);
		sqlite3_bind_int64(st, 12, o->created_at_ms);
		int rc = stmt_done(st);
		if (rc != SQLITE_OK)
			return rc;
	}
	return SQLITE_OK;
}

/* Writes an audit entry inside the open transaction; `object`, when not
 * NULL, replaces a->object (a call's entry, once its ref is known). */
static int insert_audit(struct sqlite_store *s, const struct store_audit *a,
                        const char *object)
{
	sqlite3_stmt *st = stmt_get(s, STMT_AUDIT_INSERT);
	sqlite3_bind_int64(st, 1, a->at_ms);
	bind_text(st, 2, a->actor);
	bind_text(st, 3, a->action);
	bind_text(st, 4, object ? object : a->object);
	bind_text(st, 5, a->address);
	bind_text(st, 6, a->outcome);
	bind_text(st, 7, a->detail);
	return stmt_done(st);
}

/* ---- the state column ------------------------------------------------- */

/*
 * What a call's projection holds beyond its columns, as one JSON object:
 *   {"decided_with": "...",
 *    "override": null | {"category", "reason", "by", "at"},
 *    "actions": [{"id", "state", "required_since", "marked",
 *                 "mark_reason", "mark_by", "mark_at"}],
 *    "hits": [{"indicator", "note", "start", "end", "negated",
 *              "hypothetical", "historical", "subject"}]}
 * Times are milliseconds. Every member is written; a missing one reads as
 * empty, which is what a call from schema version 1 ('{}') has. Reading is
 * strict: anything else means the database was changed outside htdispatch.
 */
static char *state_encode(const struct call *c)
{
	/* json_pack() and json_string() return NULL for text that is not
	 * UTF-8; setting NULL fails, and so does the whole encoding. */
	int failed = 0;
	json_t *o = json_object();
	failed |= json_object_set_new(
	    o, "decided_with",
	    json_string(c->decided_with ? c->decided_with : ""));
	json_t *ov = json_null();
	if (c->override_category != CALL_CATEGORY_UNDETERMINED)
		ov = json_pack("{s:s, s:s, s:s, s:I}", "category",
		               call_category_name(c->override_category),
		               "reason",
		               c->override_reason ? c->override_reason : "",
		               "by", c->override_by ? c->override_by : "", "at",
		               (json_int_t)c->override_at_ms);
	failed |= json_object_set_new(o, "override", ov);
	json_t *actions = json_array();
	for (size_t i = 0; i < c->n_actions; i++) {
		const struct call_action *a = &c->actions[i];
		json_t *v = json_pack(
		    "{s:s, s:s, s:I, s:b, s:s, s:s, s:I}", "id",
		    a->id ? a->id : "", "state",
		    call_action_state_name(a->state), "required_since",
		    (json_int_t)a->required_since_ms, "marked", (int)a->marked,
		    "mark_reason", a->mark_reason ? a->mark_reason : "",
		    "mark_by", a->mark_by ? a->mark_by : "", "mark_at",
		    (json_int_t)a->mark_at_ms);
		failed |= json_array_append_new(actions, v);
	}
	failed |= json_object_set_new(o, "actions", actions);
	json_t *hits = json_array();
	for (size_t i = 0; i < c->n_hits; i++) {
		const struct call_hit *h = &c->hits[i];
		json_t *v = json_pack(
		    "{s:s, s:I, s:I, s:I, s:b, s:b, s:b, s:s}", "indicator",
		    h->indicator, "note", (json_int_t)h->note, "start",
		    (json_int_t)h->start, "end", (json_int_t)h->end, "negated",
		    (int)h->negated, "hypothetical", (int)h->hypothetical,
		    "historical", (int)h->historical, "subject", h->subject);
		failed |= json_array_append_new(hits, v);
	}
	failed |= json_object_set_new(o, "hits", hits);
	char *text = failed ? NULL : json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return text;
}

static enum htd_err state_unencodable(const char *ref, struct htd_error *err)
{
	return htd_error_set(err, HTD_ERR_INVALID,
	                     "call %s: its decision holds text that is not "
	                     "UTF-8; nothing was saved",
	                     ref);
}

/* Reading the state: the first problem found, as "actions[2].state". */
struct state_reader {
	char bad[64];
};

static bool state_bad(struct state_reader *r, const char *prefix,
                      const char *key)
{
	if (!r->bad[0])
		str_format(r->bad, sizeof(r->bad), "%s%s", prefix, key);
	return false;
}

static bool state_members(struct state_reader *r, json_t *o,
                          const char *const *allowed, size_t n,
                          const char *prefix)
{
	const char *key;
	json_t *v;
	if (!json_is_object(o))
		return state_bad(r, prefix, "(not an object)");
	json_object_foreach(o, key, v)
	{
		bool known = false;
		for (size_t i = 0; i < n; i++)
			known = known || strcmp(key, allowed[i]) == 0;
		if (!known)
			return state_bad(r, prefix, key);
	}
	return true;
}

/* A string member (missing reads as ""); *out is borrowed from `o`. */
static bool state_string(struct state_reader *r, json_t *o, const char *prefix,
                         const char *key, size_t max, const char **out)
{
	json_t *v = json_object_get(o, key);
	*out = "";
	if (!v)
		return true;
	if (!json_is_string(v) ||
	    strlen(json_string_value(v)) != json_string_length(v) ||
	    json_string_length(v) > max)
		return state_bad(r, prefix, key);
	*out = json_string_value(v);
	return true;
}

static bool state_int(struct state_reader *r, json_t *o, const char *prefix,
                      const char *key, int64_t min, int64_t max, int64_t *out)
{
	json_t *v = json_object_get(o, key);
	*out = 0;
	if (!v)
		return true;
	if (!json_is_integer(v) || json_integer_value(v) < min ||
	    json_integer_value(v) > max)
		return state_bad(r, prefix, key);
	*out = json_integer_value(v);
	return true;
}

static bool state_bool(struct state_reader *r, json_t *o, const char *prefix,
                       const char *key, bool *out)
{
	json_t *v = json_object_get(o, key);
	*out = false;
	if (!v)
		return true;
	if (!json_is_boolean(v))
		return state_bad(r, prefix, key);
	*out = json_is_true(v);
	return true;
}

/* An array member (missing reads as empty); *out borrowed, may be NULL. */
static bool state_array(struct state_reader *r, json_t *o, const char *key,
                        size_t max, json_t **out)
{
	json_t *v = json_object_get(o, key);
	*out = NULL;
	if (!v)
		return true;
	if (!json_is_array(v) || json_array_size(v) > max)
		return state_bad(r, "", key);
	*out = v;
	return true;
}

static bool state_override(struct state_reader *r, json_t *doc, struct call *c)
{
	static const char *const members[] = { "category", "reason", "by",
		                               "at" };
	json_t *o = json_object_get(doc, "override");
	const char *category, *reason, *by;
	if (!o || json_is_null(o))
		return true;
	if (!state_members(r, o, members, 4, "override.") ||
	    !state_string(r, o, "override.", "category", 64, &category) ||
	    !state_string(r, o, "override.", "reason", CALL_REASON_MAX,
	                  &reason) ||
	    !state_string(r, o, "override.", "by", CALL_ACTOR_MAX, &by) ||
	    !state_int(r, o, "override.", "at", 0, INT64_MAX,
	               &c->override_at_ms))
		return false;
	if (!call_category_parse(category, &c->override_category) ||
	    c->override_category == CALL_CATEGORY_UNDETERMINED)
		return state_bad(r, "override.", "category");
	free(c->override_reason);
	c->override_reason = xstrdup(reason);
	free(c->override_by);
	c->override_by = xstrdup(by);
	return true;
}

static bool state_actions(struct state_reader *r, json_t *doc, struct call *c)
{
	static const char *const members[] = {
		"id",          "state",   "required_since", "marked",
		"mark_reason", "mark_by", "mark_at",
	};
	json_t *arr;
	if (!state_array(r, doc, "actions", CALL_ACTIONS_MAX, &arr))
		return false;
	size_t n = json_array_size(arr);
	if (n == 0)
		return true;
	c->actions = xcalloc(n, sizeof(*c->actions));
	for (size_t i = 0; i < n; i++) {
		json_t *o = json_array_get(arr, i);
		struct call_action *a = &c->actions[i];
		char prefix[32];
		const char *id, *state, *reason, *by;
		str_format(prefix, sizeof(prefix), "actions[%zu].", i);
		if (!state_members(r, o, members, 7, prefix) ||
		    !state_string(r, o, prefix, "id", CALL_ACTION_ID_MAX,
		                  &id) ||
		    !state_string(r, o, prefix, "state", 32, &state) ||
		    !state_int(r, o, prefix, "required_since", 0, INT64_MAX,
		               &a->required_since_ms) ||
		    !state_bool(r, o, prefix, "marked", &a->marked) ||
		    !state_string(r, o, prefix, "mark_reason", CALL_REASON_MAX,
		                  &reason) ||
		    !state_string(r, o, prefix, "mark_by", CALL_ACTOR_MAX,
		                  &by) ||
		    !state_int(r, o, prefix, "mark_at", 0, INT64_MAX,
		               &a->mark_at_ms))
			return false;
		if (!id[0])
			return state_bad(r, prefix, "id");
		if (!call_action_state_parse(state, &a->state))
			return state_bad(r, prefix, "state");
		a->id = xstrdup(id);
		a->mark_reason = xstrdup(reason);
		a->mark_by = xstrdup(by);
		c->n_actions = i + 1;
	}
	return true;
}

static bool state_hits(struct state_reader *r, json_t *doc, struct call *c)
{
	static const char *const members[] = {
		"indicator", "note",         "start",      "end",
		"negated",   "hypothetical", "historical", "subject",
	};
	json_t *arr;
	if (!state_array(r, doc, "hits", CALL_HITS_MAX, &arr))
		return false;
	size_t n = json_array_size(arr);
	if (n == 0)
		return true;
	c->hits = xcalloc(n, sizeof(*c->hits));
	c->n_hits = n;
	for (size_t i = 0; i < n; i++) {
		json_t *o = json_array_get(arr, i);
		struct call_hit *h = &c->hits[i];
		char prefix[32];
		const char *indicator, *subject;
		int64_t start, end;
		str_format(prefix, sizeof(prefix), "hits[%zu].", i);
		if (!state_members(r, o, members, 8, prefix) ||
		    !state_string(r, o, prefix, "indicator",
		                  sizeof(h->indicator) - 1, &indicator) ||
		    !state_int(r, o, prefix, "note", 1, INT64_MAX, &h->note) ||
		    !state_int(r, o, prefix, "start", 0, UINT32_MAX, &start) ||
		    !state_int(r, o, prefix, "end", 0, UINT32_MAX, &end) ||
		    !state_bool(r, o, prefix, "negated", &h->negated) ||
		    !state_bool(r, o, prefix, "hypothetical",
		                &h->hypothetical) ||
		    !state_bool(r, o, prefix, "historical", &h->historical) ||
		    !state_string(r, o, prefix, "subject",
		                  sizeof(h->subject) - 1, &subject))
			return false;
		if (!indicator[0])
			return state_bad(r, prefix, "indicator");
		str_copy(h->indicator, sizeof(h->indicator), indicator);
		str_copy(h->subject, sizeof(h->subject), subject);
		h->start = (uint32_t)start;
		h->end = (uint32_t)end;
	}
	return true;
}

/* Reads the state column into `c` (its other fields already read). */
static enum htd_err state_decode(struct sqlite_store *s, const char *text,
                                 struct call *c, struct htd_error *err)
{
	static const char *const members[] = { "decided_with", "override",
		                               "actions", "hits" };
	struct state_reader r;
	const char *decided_with = "";
	memset(&r, 0, sizeof(r));
	free(c->override_reason);
	free(c->override_by);
	c->override_reason = xstrdup("");
	c->override_by = xstrdup("");
	json_t *doc =
	    json_loads(text ? text : "", JSON_REJECT_DUPLICATES, NULL);
	if (!doc)
		state_bad(&r, "", "(not JSON)");
	else if (state_members(&r, doc, members, 4, "") &&
	         state_string(&r, doc, "", "decided_with",
	                      CALL_VERSION_TEXT_MAX, &decided_with)) {
		free(c->decided_with);
		c->decided_with = xstrdup(decided_with);
		if (state_override(&r, doc, c) && state_actions(&r, doc, c))
			state_hits(&r, doc, c);
	}
	json_decref(doc);
	if (!r.bad[0])
		return HTD_OK;
	return htd_error_set(err, HTD_ERR_CORRUPT,
	                     "%s: call %s has a bad state value %s; the "
	                     "database was changed outside htdispatch",
	                     s->base.path, c->ref, r.bad);
}

/* ---- operations ------------------------------------------------------- */

static enum htd_err
sq_call_create(struct store *base, int year, const struct call *c,
               const struct store_event *events, size_t n_events,
               const struct store_audit *audit, store_outbox_fn *outbox,
               void *outbox_ctx, char ref_out[CALL_REF_MAX],
               struct htd_error *err)
{
	struct sqlite_store *s = (struct sqlite_store *)base;
	const char *doing = "opening a call";
	char ref[CALL_REF_MAX];
	char *state = NULL;
	int rc;
	enum htd_err e = tx_begin(s, err);
	if (e != HTD_OK)
		return e;

	sqlite3_stmt *st = stmt_get(s, STMT_SEQ_NEXT);
	sqlite3_bind_int(st, 1, year);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW)
		goto fail;
	int64_t seq = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (!call_ref_format(year, seq, ref, sizeof(ref))) {
		tx_rollback(s);
		e = htd_error_set(err, HTD_ERR_INTERNAL,
		                  "call number %lld of %d is out of range",
		                  (long long)seq, year);
		goto out;
	}

	state = state_encode(c);
	if (!state) {
		tx_rollback(s);
		e = state_unencodable(ref, err);
		goto out;
	}
	st = stmt_get(s, STMT_CALL_INSERT);
	bind_text(st, 1, ref);
	sqlite3_bind_int(st, 2, year);
	sqlite3_bind_int64(st, 3, seq);
	bind_text(st, 4, call_status_name(c->status));
	bind_text(st, 5, call_category_name(c->category));
	bind_text(st, 6, call_channel_name(c->channel));
	bind_text(st, 7, c->language);
	bind_text(st, 8, c->location_text);
	bind_text(st, 9, c->callback_number);
	bind_text(st, 10, c->caller_name);
	bind_text(st, 11, c->opened_by);
	sqlite3_bind_int64(st, 12, c->opened_at_ms);
	sqlite3_bind_int64(st, 13, c->updated_at_ms);
	sqlite3_bind_int64(st, 14, c->closed_at_ms);
	bind_text(st, 15, call_disposition_name(c->disposition));
	bind_text(st, 16, c->close_summary);
	sqlite3_bind_int64(st, 17, c->note_count);
	sqlite3_bind_int64(st, 18, c->version);
	bind_text(st, 19, call_category_name(c->recommended_category));
	sqlite3_bind_int(st, 20, c->priority);
	bind_text(st, 21, state);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW)
		goto fail;
	int64_t call_id = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);

	rc = SQLITE_OK;
	for (size_t i = 0; i < n_events && rc == SQLITE_OK; i++)
		rc = insert_event(s, call_id, &events[i]);
	if (rc == SQLITE_OK)
		rc = write_answers(s, call_id, c);
	if (rc == SQLITE_OK && audit) {
		char object[CALL_REF_MAX + 8];
		str_format(object, sizeof(object), "call:%s", ref);
		rc = insert_audit(s, audit, audit->object ? NULL : object);
	}
	if (rc == SQLITE_OK && outbox) {
		const struct store_outbox *rows = NULL;
		size_t n_rows = 0;
		e = outbox(outbox_ctx, ref, &rows, &n_rows, err);
		if (e != HTD_OK) {
			tx_rollback(s);
			goto out;
		}
		rc = insert_outbox(s, ref, rows, n_rows);
	}
	if (rc != SQLITE_OK)
		goto fail;
	e = tx_commit(s, err);
	if (e == HTD_OK)
		str_copy(ref_out, CALL_REF_MAX, ref);
	goto out;
fail:
	e = sq_error(s, rc, doing, err);
	tx_rollback(s);
out:
	free(state);
	return e;
}

/* A record confirmed on call `call_id` (a row of record_links; the first
 * confirmation's time and actor kept), or no longer (the row deleted: the
 * events keep who confirmed and who rejected, and when). */
static int link_call(struct sqlite_store *s, const struct store_append *a,
                     int64_t call_id)
{
	sqlite3_stmt *st = stmt_get(s, a->link_confirmed ? STMT_LINK_CONFIRM
	                                                 : STMT_LINK_UNCONFIRM);
	sqlite3_bind_int64(st, 1, a->link_record);
	sqlite3_bind_int64(st, 2, call_id);
	if (a->link_confirmed) {
		sqlite3_bind_int64(st, 3, a->event->at_ms);
		bind_text(st, 4, a->event->actor);
	}
	return stmt_done(st);
}

/* Appends one item inside the open transaction. */
static enum htd_err append_one(struct sqlite_store *s,
                               const struct store_append *a,
                               struct htd_error *err)
{
	const struct call *c = a->projection;
	sqlite3_stmt *st = stmt_get(s, STMT_CALL_VERSION);
	bind_text(st, 1, a->call_ref);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		sqlite3_reset(st);
		return htd_error_set(err, HTD_ERR_NOT_FOUND, "no call %s",
		                     a->call_ref);
	}
	if (rc != SQLITE_ROW)
		return sq_error(s, rc, "recording an event", err);
	int64_t call_id = sqlite3_column_int64(st, 0);
	int64_t version = sqlite3_column_int64(st, 1);
	bool same_status = str_eq((const char *)sqlite3_column_text(st, 2),
	                          call_status_name(c->status));
	sqlite3_reset(st);
	if (version != a->expected_version ||
	    a->event->seq != a->expected_version + 1 ||
	    c->version != a->event->seq)
		return htd_error_set(err, HTD_ERR_CONFLICT,
		                     "call %s changed meanwhile (version %lld, "
		                     "expected %lld)",
		                     a->call_ref, (long long)version,
		                     (long long)a->expected_version);

	char *state = state_encode(c);
	if (!state)
		return state_unencodable(a->call_ref, err);
	st = stmt_get(s, same_status ? STMT_CALL_UPDATE_KEEP_STATUS
	                             : STMT_CALL_UPDATE);
	if (!same_status)
		bind_text(st, 1, call_status_name(c->status));
	bind_text(st, 2, call_category_name(c->category));
	bind_text(st, 3, call_channel_name(c->channel));
	bind_text(st, 4, c->language);
	bind_text(st, 5, c->location_text);
	bind_text(st, 6, c->callback_number);
	bind_text(st, 7, c->caller_name);
	sqlite3_bind_int64(st, 8, c->updated_at_ms);
	sqlite3_bind_int64(st, 9, c->closed_at_ms);
	bind_text(st, 10, call_disposition_name(c->disposition));
	bind_text(st, 11, c->close_summary);
	sqlite3_bind_int64(st, 12, c->note_count);
	sqlite3_bind_int64(st, 13, c->version);
	sqlite3_bind_int64(st, 14, call_id);
	sqlite3_bind_int64(st, 15, a->expected_version);
	bind_text(st, 16, call_category_name(c->recommended_category));
	sqlite3_bind_int(st, 17, c->priority);
	bind_text(st, 18, state);
	rc = stmt_done(st);
	free(state);
	if (rc == SQLITE_OK && sqlite3_changes(s->db) != 1)
		return htd_error_set(err, HTD_ERR_CONFLICT,
		                     "call %s changed meanwhile", a->call_ref);
	if (rc == SQLITE_OK)
		rc = insert_event(s, call_id, a->event);
	if (rc == SQLITE_OK)
		rc = write_answers(s, call_id, c);
	if (rc == SQLITE_OK && a->audit)
		rc = insert_audit(s, a->audit, NULL);
	if (rc == SQLITE_OK && a->n_outbox)
		rc = insert_outbox(s, a->call_ref, a->outbox, a->n_outbox);
	for (size_t i = 0; rc == SQLITE_OK && i < a->n_cancel; i++) {
		st = stmt_get(s, STMT_OUTBOX_CANCEL);
		sqlite3_bind_int64(st, 1, a->cancel[i]);
		bind_text(st, 2, a->call_ref);
		sqlite3_bind_int64(st, 3, a->event->at_ms);
		rc = stmt_done(st);
		if (rc == SQLITE_OK && sqlite3_changes(s->db) != 1)
			return htd_error_set(err, HTD_ERR_CONFLICT,
			                     "outbox row %lld of call %s is no "
			                     "longer pending (delivered or "
			                     "confirmed meanwhile)",
			                     (long long)a->cancel[i],
			                     a->call_ref);
	}
	if (rc == SQLITE_OK && a->link_record > 0)
		rc = link_call(s, a, call_id);
	if (rc != SQLITE_OK)
		return sq_error(s, rc, "recording an event", err);
	return HTD_OK;
}

static enum htd_err sq_append(struct store *base,
                              const struct store_append *items, size_t n,
                              struct htd_error *err)
{
	struct sqlite_store *s = (struct sqlite_store *)base;
	if (n == 0)
		return HTD_OK;
	enum htd_err e = tx_begin(s, err);
	if (e != HTD_OK)
		return e;
	for (size_t i = 0; i < n; i++) {
		e = append_one(s, &items[i], err);
		if (e != HTD_OK) {
			tx_rollback(s);
			return e;
		}
	}
	return tx_commit(s, err);
}

static char *column_dup(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	return xstrdup(t ? (const char *)t : "");
}

/* Reads a row of CALL_COLUMNS into `c`; *call_id gets the row id. */
static enum htd_err read_call_row(struct sqlite_store *s, sqlite3_stmt *st,
                                  struct call *c, int64_t *call_id,
                                  struct htd_error *err)
{
	const char *bad = NULL;
	call_init(c);
	str_copy(c->ref, sizeof(c->ref),
	         (const char *)sqlite3_column_text(st, 0));
	if (!call_status_parse((const char *)sqlite3_column_text(st, 1),
	                       &c->status))
		bad = "status";
	if (!call_category_parse((const char *)sqlite3_column_text(st, 2),
	                         &c->category))
		bad = "category";
	if (!call_channel_parse((const char *)sqlite3_column_text(st, 3),
	                        &c->channel))
		bad = "channel";
	c->language = column_dup(st, 4);
	c->location_text = column_dup(st, 5);
	c->callback_number = column_dup(st, 6);
	c->caller_name = column_dup(st, 7);
	c->opened_by = column_dup(st, 8);
	c->opened_at_ms = sqlite3_column_int64(st, 9);
	c->updated_at_ms = sqlite3_column_int64(st, 10);
	c->closed_at_ms = sqlite3_column_int64(st, 11);
	const char *disp = (const char *)sqlite3_column_text(st, 12);
	if (disp && disp[0]) {
		if (!call_disposition_parse(disp, &c->disposition))
			bad = "disposition";
	}
	c->close_summary = column_dup(st, 13);
	c->note_count = sqlite3_column_int64(st, 14);
	c->version = sqlite3_column_int64(st, 15);
	*call_id = sqlite3_column_int64(st, 16);
	if (!call_category_parse((const char *)sqlite3_column_text(st, 17),
	                         &c->recommended_category))
		bad = "recommended_category";
	c->priority = sqlite3_column_int(st, 18);
	if (c->priority < 0 || c->priority > 9)
		bad = "priority";
	if (bad) {
		call_free(c);
		return htd_error_set(err, HTD_ERR_CORRUPT,
		                     "%s: call %s has an unknown %s; the "
		                     "database was changed outside htdispatch",
		                     s->base.path,
		                     (const char *)sqlite3_column_text(st, 0),
		                     bad);
	}
	enum htd_err e =
	    state_decode(s, (const char *)sqlite3_column_text(st, 19), c, err);
	if (e != HTD_OK)
		call_free(c);
	return e;
}

static enum htd_err sq_call_version(struct store *base, const char *ref,
                                    int64_t *out, struct htd_error *err)
{
	struct sqlite_store *s = (struct sqlite_store *)base;
	sqlite3_stmt *st = stmt_get(s, STMT_CALL_VERSION);
	bind_text(st, 1, ref);
	int rc = sqlite3_step(st);
	enum htd_err e = HTD_OK;
	if (rc == SQLITE_ROW) /* id, version, status */
		*out = sqlite3_column_int64(st, 1);
	else if (rc == SQLITE_DONE)
		e = htd_error_set(err, HTD_ERR_NOT_FOUND, "no call %s", ref);
	else
		e = sq_error(s, rc, "reading a call", err);
	sqlite3_reset(st);
	return e;
}

static enum htd_err sq_call_get(struct store *base, const char *ref,
                                struct call *out, struct htd_error *err)
{
	struct sqlite_store *s = (struct sqlite_store *)base;
	int64_t call_id;
	call_free(out);
	sqlite3_stmt *st = stmt_get(s, STMT_CALL_GET);
	bind_text(st, 1, ref);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		sqlite3_reset(st);
		return htd_error_set(err, HTD_ERR_NOT_FOUND, "no call %s", ref);
	}
	if (rc != SQLITE_ROW) {
		sqlite3_reset(st);
		return sq_error(s, rc, "reading a call", err);
	}
	enum htd_err e = read_call_row(s, st, out, &call_id, err);
	sqlite3_reset(st);
	if (e != HTD_OK)
		return e;

	st = stmt_get(s, STMT_ANSWERS_GET);
	sqlite3_bind_int64(st, 1, call_id);
	size_t cap = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (out->n_answers == cap) {
			cap = cap ? cap * 2 : 8;
			out->answers =
			    xrealloc(out->answers, cap * sizeof(*out->answers));
		}
		struct call_answer *a = &out->answers[out->n_answers++];
		a->question = column_dup(st, 0);
		a->value = column_dup(st, 1);
		a->at_ms = sqlite3_column_int64(st, 2);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		call_free(out);
		return sq_error(s, rc, "reading a call's answers", err);
	}
	return HTD_OK;
}

static enum htd_err sq_call_list(struct store *base,
                                 const struct call_filter *f,
                                 struct call_page *out, struct htd_error *err)
{
	struct sqlite_store *s = (struct sqlite_store *)base;
	memset(out, 0, sizeof(*out));
	size_t limit = f->limit ? f->limit : CALL_LIST_DEFAULT;
	if (limit > CALL_LIST_MAX)
		return htd_error_field(err, HTD_ERR_INVALID, "limit",
		                       "limit must be 1..%d", CALL_LIST_MAX);

	int64_t after_opened = 0, after_id = 0;
	if (f->after[0]) {
		sqlite3_stmt *st = stmt_get(s, STMT_CALL_GET);
		bind_text(st, 1, f->after);
		int rc = sqlite3_step(st);
		if (rc == SQLITE_DONE) {
			sqlite3_reset(st);
			return htd_error_field(err, HTD_ERR_NOT_FOUND, "after",
			                       "paging cursor %s is not a call",
			                       f->after);
		}
		if (rc != SQLITE_ROW) {
			sqlite3_reset(st);
			return sq_error(s, rc, "listing calls", err);
		}
		after_opened = sqlite3_column_int64(st, 9);
		after_id = sqlite3_column_int64(st, 16);
		sqlite3_reset(st);
	}

	sqlite3_stmt *st = stmt_get(s, STMT_CALL_LIST);
	if (f->by_status)
		bind_text(st, 1, call_status_name(f->status));
	if (f->by_category)
		bind_text(st, 2, call_category_name(f->category));
	if (f->since_ms)
		sqlite3_bind_int64(st, 3, f->since_ms);
	if (f->until_ms)
		sqlite3_bind_int64(st, 4, f->until_ms);
	if (f->after[0]) {
		sqlite3_bind_int64(st, 5, after_opened);
		sqlite3_bind_int64(st, 6, after_id);
	}
	/* One row more than asked tells whether another page follows. */
	sqlite3_bind_int64(st, 7, (sqlite3_int64)limit + 1);

	int rc;
	out->calls = xcalloc(limit + 1, sizeof(*out->calls));
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (out->n == limit) {
			out->more = true;
			break;
		}
		int64_t id;
		enum htd_err e =
		    read_call_row(s, st, &out->calls[out->n], &id, err);
		if (e != HTD_OK) {
			sqlite3_reset(st);
			call_page_free(out);
			return e;
		}
		out->n++;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		call_page_free(out);
		return sq_error(s, rc, "listing calls", err);
	}
	return HTD_OK;
}

static enum htd_err sq_events_each(struct store *base, const char *ref,
                                   int (*fn)(void *,
                                             const struct store_event *),
                                   void *ctx, struct htd_error *err)
{
	struct sqlite_store *s = (struct sqlite_store *)base;
	sqlite3_stmt *st = stmt_get(s, STMT_CALL_VERSION);
	bind_text(st, 1, ref);
	int rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		sqlite3_reset(st);
		if (rc == SQLITE_DONE)
			return htd_error_set(err, HTD_ERR_NOT_FOUND,
			                     "no call %s", ref);
		return sq_error(s, rc, "reading a call's events", err);
	}
	int64_t call_id = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);

	/* The statement is held during callbacks: a callback must not use
	 * this store's events statement (none does: it is private). */
	st = stmt_get(s, STMT_EVENTS);
	sqlite3_bind_int64(st, 1, call_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_event e;
		memset(&e, 0, sizeof(e));
		e.id = sqlite3_column_int64(st, 0);
		str_copy(e.call_ref, sizeof(e.call_ref), ref);
		e.seq = sqlite3_column_int64(st, 1);
		e.type = (const char *)sqlite3_column_text(st, 2);
		e.at_ms = sqlite3_column_int64(st, 3);
		e.actor = (const char *)sqlite3_column_text(st, 4);
		e.payload = (const char *)sqlite3_column_text(st, 5);
		if (fn(ctx, &e) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return sq_error(s, rc, "reading a call's events", err);
	return HTD_OK;
}

static enum htd_err sq_calls_each(struct store *base,
                                  int (*fn)(void *, const char *), void *ctx,
                                  struct htd_error *err)
{
	struct sqlite_store *s = (struct sqlite_store *)base;
	/* A separate statement, so the callback may read calls and events. */
	sqlite3_stmt *st = NULL;
	int rc =
	    sqlite3_prepare_v2(s->db, stmt_sql[STMT_CALLS_EACH], -1, &st, NULL);
	if (rc != SQLITE_OK)
		return sq_error(s, rc, "listing calls", err);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (fn(ctx, (const char *)sqlite3_column_text(st, 0)) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return sq_error(s, rc, "listing calls", err);
	return HTD_OK;
}

static enum htd_err
sq_events_after(struct store *base, int64_t after, size_t limit,
                int (*fn)(void *, const struct store_event *), void *ctx,
                struct htd_error *err)
{
	struct sqlite_store *s = (struct sqlite_store *)base;
	/* The statement is held during callbacks: a callback must not read
	 * the feed of this store again (the API's poller does not). */
	sqlite3_stmt *st = stmt_get(s, STMT_EVENTS_AFTER);
	sqlite3_bind_int64(st, 1, after);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)limit);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_event e;
		memset(&e, 0, sizeof(e));
		e.id = sqlite3_column_int64(st, 0);
		str_copy(e.call_ref, sizeof(e.call_ref),
		         (const char *)sqlite3_column_text(st, 1));
		e.seq = sqlite3_column_int64(st, 2);
		e.type = (const char *)sqlite3_column_text(st, 3);
		e.at_ms = sqlite3_column_int64(st, 4);
		e.actor = (const char *)sqlite3_column_text(st, 5);
		e.payload = (const char *)sqlite3_column_text(st, 6);
		if (fn(ctx, &e) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return sq_error(s, rc, "reading new events", err);
	return HTD_OK;
}

static enum htd_err sq_events_last(struct store *base, int64_t *out,
                                   struct htd_error *err)
{
	struct sqlite_store *s = (struct sqlite_store *)base;
	sqlite3_stmt *st = stmt_get(s, STMT_EVENTS_LAST);
	int rc = sqlite3_step(st);
	*out = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	if (rc != SQLITE_ROW)
		return sq_error(s, rc, "reading the newest event", err);
	return HTD_OK;
}

static enum htd_err sq_integrity_check(struct store *base,
                                       struct htd_error *err)
{
	struct sqlite_store *s = (struct sqlite_store *)base;
	sqlite3_stmt *st = NULL;
	int rc =
	    sqlite3_prepare_v2(s->db, "PRAGMA integrity_check", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return sq_error(s, rc, "checking integrity", err);
	enum htd_err e = HTD_OK;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const char *r = (const char *)sqlite3_column_text(st, 0);
		if (!str_eq(r, "ok"))
			e = htd_error_set(err, HTD_ERR_CORRUPT,
			                  "%s: integrity check failed: %s",
			                  s->base.path, r ? r : "");
	} else {
		e = sq_error(s, rc, "checking integrity", err);
	}
	sqlite3_finalize(st);
	if (e != HTD_OK)
		return e;

	rc = sqlite3_prepare_v2(s->db, "PRAGMA foreign_key_check", -1, &st,
	                        NULL);
	if (rc != SQLITE_OK)
		return sq_error(s, rc, "checking integrity", err);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		e = htd_error_set(err, HTD_ERR_CORRUPT,
		                  "%s: a row of %s refers to a missing row",
		                  s->base.path,
		                  (const char *)sqlite3_column_text(st, 0));
	else if (rc != SQLITE_DONE)
		e = sq_error(s, rc, "checking integrity", err);
	sqlite3_finalize(st);
	return e;
}

static int sq_schema_version(struct store *base)
{
	struct sqlite_store *s = (struct sqlite_store *)base;
	sqlite3_stmt *st = NULL;
	int v = -1;
	if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL) ==
	        SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* ---- the access audit ------------------------------------------------- */

static enum htd_err sq_audit_append(struct store *base,
                                    const struct store_audit *a, size_t n,
                                    struct htd_error *err)
{
	struct sqlite_store *s = (struct sqlite_store *)base;
	enum htd_err e = tx_begin(s, err);
	if (e != HTD_OK)
		return e;
	for (size_t i = 0; i < n; i++) {
		int rc = insert_audit(s, &a[i], NULL);
		if (rc != SQLITE_OK) {
			e = sq_error(s, rc, "writing the audit log", err);
			tx_rollback(s);
			return e;
		}
	}
	return tx_commit(s, err);
}

static enum htd_err sq_audit_list(struct store *base,
                                  const struct store_audit_filter *f,
                                  int (*fn)(void *, const struct store_audit *),
                                  void *ctx, struct htd_error *err)
{
	struct sqlite_store *s = (struct sqlite_store *)base;
	if (f->limit < 1 || f->limit > STORE_AUDIT_LIST_MAX + 1)
		return htd_error_field(err, HTD_ERR_INVALID, "limit",
		                       "limit must be 1..%d",
		                       STORE_AUDIT_LIST_MAX);
	enum stmt_id id = f->object  ? STMT_AUDIT_LIST_OBJECT
	                  : f->actor ? STMT_AUDIT_LIST_ACTOR
	                             : STMT_AUDIT_LIST_ALL;
	/* The statement is held during callbacks, which must not use the
	 * store (documented in store.h). */
	sqlite3_stmt *st = stmt_get(s, id);
	if (f->actor)
		bind_text(st, 1, f->actor);
	if (f->object)
		bind_text(st, 2, f->object);
	if (f->since_ms)
		sqlite3_bind_int64(st, 3, f->since_ms);
	if (f->until_ms)
		sqlite3_bind_int64(st, 4, f->until_ms);
	sqlite3_bind_int64(st, 5, f->after_id > 0 ? f->after_id : INT64_MAX);
	sqlite3_bind_int64(st, 6, (sqlite3_int64)f->limit);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_audit a = {
			.id = sqlite3_column_int64(st, 0),
			.at_ms = sqlite3_column_int64(st, 1),
			.actor = (const char *)sqlite3_column_text(st, 2),
			.action = (const char *)sqlite3_column_text(st, 3),
			.object = (const char *)sqlite3_column_text(st, 4),
			.address = (const char *)sqlite3_column_text(st, 5),
			.outcome = (const char *)sqlite3_column_text(st, 6),
			.detail = (const char *)sqlite3_column_text(st, 7),
		};
		if (fn(ctx, &a) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return sq_error(s, rc, "reading the audit log", err);
	return HTD_OK;
}

/* ---- users and sessions ----------------------------------------------- */

/* Copies a text column into a fixed field; false when it does not fit. */
static bool column_copy(sqlite3_stmt *st, int i, char *out, size_t size)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	return str_copy(out, size, t ? (const char *)t : "");
}

/* Reads a row of USER_COLUMNS into `u`. */
static enum htd_err read_user_row(struct sqlite_store *s, sqlite3_stmt *st,
                                  struct store_user *u, struct htd_error *err)
{
	memset(u, 0, sizeof(*u));
	const char *bad = NULL;
	if (!column_copy(st, 0, u->name, sizeof(u->name)))
		bad = "name";
	if (!column_copy(st, 1, u->display, sizeof(u->display)))
		bad = "display";
	if (!column_copy(st, 2, u->role, sizeof(u->role)))
		bad = "role";
	if (!column_copy(st, 3, u->password_hash, sizeof(u->password_hash)))
		bad = "password_hash";
	u->disabled = sqlite3_column_int(st, 4) != 0;
	u->locked_until_ms = sqlite3_column_int64(st, 5);
	u->failed_logins = sqlite3_column_int(st, 6);
	u->created_at_ms = sqlite3_column_int64(st, 7);
	u->updated_at_ms = sqlite3_column_int64(st, 8);
	u->last_login_ms = sqlite3_column_int64(st, 9);
	u->version = sqlite3_column_int64(st, 10);
	if (!bad)
		return HTD_OK;
	return htd_error_set(err, HTD_ERR_CORRUPT,
	                     "%s: a user has a %s longer than htdispatch "
	                     "writes; the database was changed outside "
	                     "htdispatch",
	                     s->base.path, bad);
}

static void bind_user(sqlite3_stmt *st, const struct store_user *u)
{
	bind_text(st, 1, u->name);
	bind_text(st, 2, u->display);
	bind_text(st, 3, u->role);
	bind_text(st, 4, u->password_hash);
	sqlite3_bind_int(st, 5, u->disabled ? 1 : 0);
	sqlite3_bind_int64(st, 6, u->locked_until_ms);
	sqlite3_bind_int(st, 7, u->failed_logins);
	sqlite3_bind_int64(st, 8, u->created_at_ms);
	sqlite3_bind_int64(st, 9, u->updated_at_ms);
	sqlite3_bind_int64(st, 10, u->last_login_ms);
}

/* Whether user `name` exists (inside or outside a transaction). */
static int user_exists(struct sqlite_store *s, const char *name, bool *found)
{
	sqlite3_stmt *st = stmt_get(s, STMT_USER_GET);
	bind_text(st, 1, name);
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	*found = rc == SQLITE_ROW;
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* Ends every live session of `user` inside the open transaction. */
static int end_user_sessions(struct sqlite_store *s, const char *user,
                             int64_t at_ms)
{
	sqlite3_stmt *st = stmt_get(s, STMT_SESSION_END_USER);
	bind_text(st, 1, user);
	sqlite3_bind_int64(st, 2, at_ms);
	return stmt_done(st);
}

/* Writes user `u` at its version inside the open transaction. */
static enum htd_err update_user(struct sqlite_store *s,
                                const struct store_user *u,
                                struct htd_error *err)
{
	sqlite3_stmt *st = stmt_get(s, STMT_USER_UPDATE);
	bind_user(st, u);
	sqlite3_bind_int64(st, 11, u->version);
	int rc = stmt_done(st);
	if (rc != SQLITE_OK)
		return sq_error(s, rc, "changing a user", err);
	if (sqlite3_changes(s->db) == 1)
		return HTD_OK;
	bool found = false;
	rc = user_exists(s, u->name, &found);
	if (rc != SQLITE_OK)
		return sq_error(s, rc, "changing a user", err);
	if (!found)
		return htd_error_set(err, HTD_ERR_NOT_FOUND, "no user %s",
		                     u->name);
	return htd_error_set(err, HTD_ERR_CONFLICT,
	                     "user %s changed meanwhile; try again", u->name);
}

static enum htd_err sq_user_insert(struct store *base,
                                   const struct store_user *u,
                                   const struct store_audit *audit,
                                   struct htd_error *err)
{
	struct sqlite_store *s = (struct sqlite_store *)base;
	enum htd_err e = tx_begin(s, err);
	if (e != HTD_OK)
		return e;
	bool found = false;
	int rc = user_exists(s, u->name, &found);
	if (rc == SQLITE_OK && found) {
		tx_rollback(s);
		return htd_error_field(err, HTD_ERR_CONFLICT, "name",
		                       "there is a user %s already", u->name);
	}
	if (rc == SQLITE_OK) {
		sqlite3_stmt *st = stmt_get(s, STMT_USER_INSERT);
		bind_user(st, u);
		rc = stmt_done(st);
	}
	if (rc == SQLITE_OK && audit)
		rc = insert_audit(s, audit, NULL);
	if (rc != SQLITE_OK) {
		e = sq_error(s, rc, "adding a user", err);
		tx_rollback(s);
		return e;
	}
	return tx_commit(s, err);
}

static enum htd_err sq_user_update(struct store *base,
                                   const struct store_user *u,
                                   int64_t end_sessions_at_ms,
                                   const struct store_audit *audit,
                                   struct htd_error *err)
{
	struct sqlite_store *s = (struct sqlite_store *)base;
	enum htd_err e = tx_begin(s, err);
	if (e != HTD_OK)
		return e;
	e = update_user(s, u, err);
	int rc = SQLITE_OK;
	if (e == HTD_OK && end_sessions_at_ms)
		rc = end_user_sessions(s, u->name, end_sessions_at_ms);
	if (e == HTD_OK && rc == SQLITE_OK && audit)
		rc = insert_audit(s, audit, NULL);
	if (e == HTD_OK && rc != SQLITE_OK)
		e = sq_error(s, rc, "changing a user", err);
	if (e != HTD_OK) {
		tx_rollback(s);
		return e;
	}
	return tx_commit(s, err);
}

static enum htd_err sq_user_get(struct store *base, const char *name,
                                struct store_user *out, struct htd_error *err)
{
	struct sqlite_store *s = (struct sqlite_store *)base;
	sqlite3_stmt *st = stmt_get(s, STMT_USER_GET);
	bind_text(st, 1, name);
	int rc = sqlite3_step(st);
	enum htd_err e;
	if (rc == SQLITE_ROW)
		e = read_user_row(s, st, out, err);
	else if (rc == SQLITE_DONE)
		e = htd_error_set(err, HTD_ERR_NOT_FOUND, "no user %s", name);
	else
		e = sq_error(s, rc, "reading a user", err);
	sqlite3_reset(st);
	return e;
}

static enum htd_err sq_user_list(struct store *base,
                                 struct store_user_list *out,
                                 struct htd_error *err)
{
	struct sqlite_store *s = (struct sqlite_store *)base;
	memset(out, 0, sizeof(*out));
	sqlite3_stmt *st = stmt_get(s, STMT_USER_LIST);
	size_t cap = 0;
	enum htd_err e = HTD_OK;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (out->n == cap) {
			cap = cap ? cap * 2 : 16;
			out->users =
			    xrealloc(out->users, cap * sizeof(*out->users));
		}
		e = read_user_row(s, st, &out->users[out->n], err);
		if (e != HTD_OK)
			break;
		out->n++;
	}
	sqlite3_reset(st);
	if (e == HTD_OK && rc != SQLITE_DONE)
		e = sq_error(s, rc, "listing users", err);
	if (e != HTD_OK)
		store_user_list_free(out);
	return e;
}

static enum htd_err sq_session_insert(struct store *base,
                                      const struct store_session *sess,
                                      const struct store_user *user,
                                      const struct store_audit *audit,
                                      struct htd_error *err)
{
	struct sqlite_store *s = (struct sqlite_store *)base;
	enum htd_err e = tx_begin(s, err);
	if (e != HTD_OK)
		return e;
	if (user)
		e = update_user(s, user, err);
	int rc = SQLITE_OK;
	if (e == HTD_OK) {
		sqlite3_stmt *st = stmt_get(s, STMT_SESSION_INSERT);
		bind_text(st, 1, sess->token_hash);
		bind_text(st, 2, sess->user);
		sqlite3_bind_int64(st, 3, sess->created_at_ms);
		sqlite3_bind_int64(st, 4, sess->last_seen_ms);
		rc = stmt_done(st);
	}
	if (e == HTD_OK && rc == SQLITE_OK && audit)
		rc = insert_audit(s, audit, NULL);
	if (e == HTD_OK && rc != SQLITE_OK)
		e = sq_error(s, rc, "starting a session", err);
	if (e != HTD_OK) {
		tx_rollback(s);
		return e;
	}
	return tx_commit(s, err);
}

static enum htd_err sq_session_get(struct store *base, const char *token_hash,
                                   struct store_session *out,
                                   struct htd_error *err)
{
	struct sqlite_store *s = (struct sqlite_store *)base;
	memset(out, 0, sizeof(*out));
	sqlite3_stmt *st = stmt_get(s, STMT_SESSION_GET);
	bind_text(st, 1, token_hash);
	int rc = sqlite3_step(st);
	enum htd_err e = HTD_OK;
	if (rc == SQLITE_ROW) {
		if (!column_copy(st, 0, out->token_hash,
		                 sizeof(out->token_hash)) ||
		    !column_copy(st, 1, out->user, sizeof(out->user)))
			e = htd_error_set(err, HTD_ERR_CORRUPT,
			                  "%s: a session has a field longer "
			                  "than htdispatch writes",
			                  s->base.path);
		out->created_at_ms = sqlite3_column_int64(st, 2);
		out->last_seen_ms = sqlite3_column_int64(st, 3);
		out->ended_at_ms = sqlite3_column_int64(st, 4);
	} else if (rc == SQLITE_DONE) {
		/* Never the hash in a message: it identifies a session. */
		e = htd_error_set(err, HTD_ERR_NOT_FOUND, "no such session");
	} else {
		e = sq_error(s, rc, "reading a session", err);
	}
	sqlite3_reset(st);
	return e;
}

/* Runs a one-session update (touch, end) and its audit entry in one
 * transaction; HTD_ERR_NOT_FOUND when it changed no live session. */
static enum htd_err session_change(struct sqlite_store *s, enum stmt_id id,
                                   const char *key, int64_t at_ms,
                                   const struct store_audit *audit,
                                   bool must_change, const char *doing,
                                   struct htd_error *err)
{
	enum htd_err e = tx_begin(s, err);
	if (e != HTD_OK)
		return e;
	sqlite3_stmt *st = stmt_get(s, id);
	bind_text(st, 1, key);
	sqlite3_bind_int64(st, 2, at_ms);
	int rc = stmt_done(st);
	if (rc == SQLITE_OK && must_change && sqlite3_changes(s->db) == 0) {
		tx_rollback(s);
		return htd_error_set(err, HTD_ERR_NOT_FOUND,
		                     "no such session, or it has ended");
	}
	if (rc == SQLITE_OK && audit)
		rc = insert_audit(s, audit, NULL);
	if (rc != SQLITE_OK) {
		e = sq_error(s, rc, doing, err);
		tx_rollback(s);
		return e;
	}
	return tx_commit(s, err);
}

static enum htd_err sq_session_touch(struct store *base, const char *token_hash,
                                     int64_t at_ms,
                                     const struct store_audit *audit,
                                     struct htd_error *err)
{
	return session_change((struct sqlite_store *)base, STMT_SESSION_TOUCH,
	                      token_hash, at_ms, audit, true,
	                      "refreshing a session", err);
}

static enum htd_err sq_session_end(struct store *base, const char *token_hash,
                                   int64_t at_ms,
                                   const struct store_audit *audit,
                                   struct htd_error *err)
{
	return session_change((struct sqlite_store *)base, STMT_SESSION_END,
	                      token_hash, at_ms, audit, true,
	                      "ending a session", err);
}

static enum htd_err sq_session_end_all_for_user(struct store *base,
                                                const char *user, int64_t at_ms,
                                                const struct store_audit *audit,
                                                struct htd_error *err)
{
	return session_change((struct sqlite_store *)base,
	                      STMT_SESSION_END_USER, user, at_ms, audit, false,
	                      "ending sessions", err);
}

/* ---- units ------------------------------------------------------------ */

/* Writes a unit's languages as stored: "es,vi". */
static void languages_join(const struct unit *u, char *out, size_t size)
{
	out[0] = '\0';
	for (size_t i = 0; i < u->n_languages && i < UNITS_LANGUAGES_MAX; i++) {
		size_t used = strlen(out);
		str_format(out + used, size - used, "%s%s", i ? "," : "",
		           u->languages[i]);
	}
}

/* Reads "es,vi" into `u`; false when it is not such a list. */
static bool languages_split(const char *text, struct unit *u)
{
	u->n_languages = 0;
	if (!text || !text[0])
		return true;
	const char *p = text;
	for (;;) {
		const char *comma = strchr(p, ',');
		size_t n = comma ? (size_t)(comma - p) : strlen(p);
		if (n != 2 || u->n_languages >= UNITS_LANGUAGES_MAX)
			return false;
		memcpy(u->languages[u->n_languages], p, 2);
		u->languages[u->n_languages][2] = '\0';
		u->n_languages++;
		if (!comma)
			return true;
		p = comma + 1;
	}
}

/* Reads a row of UNIT_COLUMNS into `u`. */
static enum htd_err read_unit_row(struct sqlite_store *s, sqlite3_stmt *st,
                                  struct store_unit *u, struct htd_error *err)
{
	memset(u, 0, sizeof(*u));
	const char *bad = NULL;
	if (!column_copy(st, 0, u->unit.call_sign, sizeof(u->unit.call_sign)))
		bad = "call_sign";
	if (!column_copy(st, 1, u->unit.agency, sizeof(u->unit.agency)))
		bad = "agency";
	if (!units_status_parse((const char *)sqlite3_column_text(st, 2),
	                        &u->unit.status))
		bad = "status";
	u->unit.has_position = sqlite3_column_int(st, 3) != 0;
	u->unit.lat = sqlite3_column_double(st, 4);
	u->unit.lon = sqlite3_column_double(st, 5);
	u->unit.position_ms = sqlite3_column_int64(st, 6);
	if (!languages_split((const char *)sqlite3_column_text(st, 7),
	                     &u->unit))
		bad = "languages";
	u->unit.ht_trained = sqlite3_column_int(st, 8) != 0;
	if (!column_copy(st, 9, u->call_ref, sizeof(u->call_ref)))
		bad = "call_ref";
	u->created_at_ms = sqlite3_column_int64(st, 10);
	u->updated_at_ms = sqlite3_column_int64(st, 11);
	u->version = sqlite3_column_int64(st, 12);
	if (!bad)
		return HTD_OK;
	return htd_error_set(err, HTD_ERR_CORRUPT,
	                     "%s: a unit has a %s htdispatch does not write; "
	                     "the database was changed outside htdispatch",
	                     s->base.path, bad);
}

/* Binds UNIT_COLUMNS but the version; `langs` holds the joined list. */
static void bind_unit(sqlite3_stmt *st, const struct store_unit *u,
                      const char *langs)
{
	bind_text(st, 1, u->unit.call_sign);
	bind_text(st, 2, u->unit.agency);
	bind_text(st, 3, units_status_name(u->unit.status));
	sqlite3_bind_int(st, 4, u->unit.has_position ? 1 : 0);
	sqlite3_bind_double(st, 5, u->unit.has_position ? u->unit.lat : 0);
	sqlite3_bind_double(st, 6, u->unit.has_position ? u->unit.lon : 0);
	sqlite3_bind_int64(st, 7, u->unit.position_ms);
	bind_text(st, 8, langs);
	sqlite3_bind_int(st, 9, u->unit.ht_trained ? 1 : 0);
	bind_text(st, 10, u->call_ref);
	sqlite3_bind_int64(st, 11, u->created_at_ms);
	sqlite3_bind_int64(st, 12, u->updated_at_ms);
}

/* The row id of unit `call_sign`: *id 0 when there is none. */
static int unit_id(struct sqlite_store *s, const char *call_sign, int64_t *id)
{
	sqlite3_stmt *st = stmt_get(s, STMT_UNIT_ID);
	bind_text(st, 1, call_sign);
	int rc = sqlite3_step(st);
	*id = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static int insert_unit_event(struct sqlite_store *s, int64_t id,
                             const struct store_unit_event *e)
{
	sqlite3_stmt *st = stmt_get(s, STMT_UNIT_EVENT_INSERT);
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, e->at_ms);
	bind_text(st, 3, e->actor);
	bind_text(st, 4, e->type);
	bind_text(st, 5, e->payload);
	return stmt_done(st);
}

/* Writes one unit at its version, and its event, inside the open
 * transaction. */
static enum htd_err update_unit(struct sqlite_store *s,
                                const struct store_unit_change *c,
                                struct htd_error *err)
{
	const struct store_unit *u = c->unit;
	char langs[UNITS_LANGUAGES_MAX * 3 + 1];
	languages_join(&u->unit, langs, sizeof(langs));
	sqlite3_stmt *st = stmt_get(s, STMT_UNIT_UPDATE);
	bind_unit(st, u, langs);
	sqlite3_bind_int64(st, 13, u->version);
	int rc = sqlite3_step(st);
	int64_t id = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return sq_error(s, rc, "changing a unit", err);
	if (id == 0) {
		rc = unit_id(s, u->unit.call_sign, &id);
		if (rc != SQLITE_OK)
			return sq_error(s, rc, "changing a unit", err);
		if (id == 0)
			return htd_error_field(err, HTD_ERR_NOT_FOUND,
			                       "call_sign", "no unit %s",
			                       u->unit.call_sign);
		return htd_error_set(err, HTD_ERR_CONFLICT,
		                     "unit %s changed meanwhile; try again",
		                     u->unit.call_sign);
	}
	if (c->event) {
		rc = insert_unit_event(s, id, c->event);
		if (rc != SQLITE_OK)
			return sq_error(s, rc, "recording a unit's event", err);
	}
	return HTD_OK;
}

static enum htd_err sq_unit_insert(struct store *base,
                                   const struct store_unit *u,
                                   const struct store_unit_event *event,
                                   const struct store_audit *audit,
                                   struct htd_error *err)
{
	struct sqlite_store *s = (struct sqlite_store *)base;
	char langs[UNITS_LANGUAGES_MAX * 3 + 1];
	languages_join(&u->unit, langs, sizeof(langs));
	enum htd_err e = tx_begin(s, err);
	if (e != HTD_OK)
		return e;
	int64_t id = 0;
	int rc = unit_id(s, u->unit.call_sign, &id);
	if (rc == SQLITE_OK && id) {
		tx_rollback(s);
		return htd_error_field(err, HTD_ERR_CONFLICT, "call_sign",
		                       "there is a unit %s already",
		                       u->unit.call_sign);
	}
	if (rc == SQLITE_OK) {
		sqlite3_stmt *st = stmt_get(s, STMT_UNIT_INSERT);
		bind_unit(st, u, langs);
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			id = sqlite3_column_int64(st, 0);
			rc = SQLITE_OK;
		}
		sqlite3_reset(st);
	}
	if (rc == SQLITE_OK && event)
		rc = insert_unit_event(s, id, event);
	if (rc == SQLITE_OK && audit)
		rc = insert_audit(s, audit, NULL);
	if (rc != SQLITE_OK) {
		e = sq_error(s, rc, "adding a unit", err);
		tx_rollback(s);
		return e;
	}
	return tx_commit(s, err);
}

static enum htd_err sq_unit_update(struct store *base,
                                   const struct store_unit_change *change,
                                   const struct store_audit *audit,
                                   struct htd_error *err)
{
	struct sqlite_store *s = (struct sqlite_store *)base;
	enum htd_err e = tx_begin(s, err);
	if (e != HTD_OK)
		return e;
	e = update_unit(s, change, err);
	if (e == HTD_OK && audit) {
		int rc = insert_audit(s, audit, NULL);
		if (rc != SQLITE_OK)
			e = sq_error(s, rc, "changing a unit", err);
	}
	if (e != HTD_OK) {
		tx_rollback(s);
		return e;
	}
	return tx_commit(s, err);
}

static enum htd_err sq_unit_get(struct store *base, const char *call_sign,
                                struct store_unit *out, struct htd_error *err)
{
	struct sqlite_store *s = (struct sqlite_store *)base;
	sqlite3_stmt *st = stmt_get(s, STMT_UNIT_GET);
	bind_text(st, 1, call_sign);
	int rc = sqlite3_step(st);
	enum htd_err e;
	if (rc == SQLITE_ROW)
		e = read_unit_row(s, st, out, err);
	else if (rc == SQLITE_DONE)
		e = htd_error_field(err, HTD_ERR_NOT_FOUND, "call_sign",
		                    "no unit %s", call_sign);
	else
		e = sq_error(s, rc, "reading a unit", err);
	sqlite3_reset(st);
	return e;
}

static enum htd_err sq_unit_list(struct store *base,
                                 struct store_unit_list *out,
                                 struct htd_error *err)
{
	struct sqlite_store *s = (struct sqlite_store *)base;
	memset(out, 0, sizeof(*out));
	sqlite3_stmt *st = stmt_get(s, STMT_UNIT_LIST);
	size_t cap = 0;
	enum htd_err e = HTD_OK;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (out->n == cap) {
			cap = cap ? cap * 2 : 16;
			out->units =
			    xrealloc(out->units, cap * sizeof(*out->units));
		}
		e = read_unit_row(s, st, &out->units[out->n], err);
		if (e != HTD_OK)
			break;
		out->n++;
	}
	sqlite3_reset(st);
	if (e == HTD_OK && rc != SQLITE_DONE)
		e = sq_error(s, rc, "listing units", err);
	if (e != HTD_OK)
		store_unit_list_free(out);
	return e;
}

static enum htd_err
sq_unit_events_each(struct store *base, const char *call_sign,
                    int (*fn)(void *ctx, const struct store_unit_event *e),
                    void *ctx, struct htd_error *err)
{
	struct sqlite_store *s = (struct sqlite_store *)base;
	int64_t id = 0;
	int rc = unit_id(s, call_sign, &id);
	if (rc != SQLITE_OK)
		return sq_error(s, rc, "reading a unit's events", err);
	if (id == 0)
		return htd_error_field(err, HTD_ERR_NOT_FOUND, "call_sign",
		                       "no unit %s", call_sign);
	sqlite3_stmt *st = stmt_get(s, STMT_UNIT_EVENTS);
	sqlite3_bind_int64(st, 1, id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_unit_event e = {
			.id = sqlite3_column_int64(st, 0),
			.call_sign = call_sign,
			.at_ms = sqlite3_column_int64(st, 1),
			.actor = (const char *)sqlite3_column_text(st, 2),
			.type = (const char *)sqlite3_column_text(st, 3),
			.payload = (const char *)sqlite3_column_text(st, 4),
		};
		if (fn(ctx, &e) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return sq_error(s, rc, "reading a unit's events", err);
	return HTD_OK;
}

static enum htd_err sq_dispatch(struct store *base,
                                const struct store_append *items, size_t n,
                                const struct store_unit_change *units,
                                size_t n_units, struct htd_error *err)
{
	struct sqlite_store *s = (struct sqlite_store *)base;
	enum htd_err e = tx_begin(s, err);
	if (e != HTD_OK)
		return e;
	for (size_t i = 0; i < n && e == HTD_OK; i++)
		e = append_one(s, &items[i], err);
	for (size_t i = 0; i < n_units && e == HTD_OK; i++)
		e = update_unit(s, &units[i], err);
	if (e != HTD_OK) {
		tx_rollback(s);
		return e;
	}
	return tx_commit(s, err);
}

/* ---- records ---------------------------------------------------------- */

/* Appends `v` as a JSON string. Values are UTF-8 already (record_set()
 * checked); only quotes, backslashes and control characters (a line break
 * in notes) need escaping. */
static void json_string_append(struct buf *b, const char *v)
{
	static const char hex[] = "0123456789abcdef";
	const char *run = v;
	(void)buf_append(b, "\"", 1);
	for (const char *p = v; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		(void)buf_append(b, run, (size_t)(p - run));
		char esc[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };
		if (c == '"' || c == '\\') {
			esc[1] = (char)c;
			(void)buf_append(b, esc, 2);
		} else {
			(void)buf_append(b, esc, 6);
		}
		run = p + 1;
	}
	(void)buf_append(b, run, strlen(run));
	(void)buf_append(b, "\"", 1);
}

/* A record's fields as one JSON object, in field order: the same record
 * always gives the same text, so an unchanged one is found by comparing. */
static void fields_encode(struct buf *b, const struct record *r)
{
	buf_reset(b);
	(void)buf_append(b, "{", 1);
	bool first = true;
	for (int f = 0; f < RECORD_FIELD__COUNT; f++) {
		if (!r->field[f])
			continue;
		if (!first)
			(void)buf_append(b, ",", 1);
		first = false;
		json_string_append(b, record_field_name((enum record_field)f));
		(void)buf_append(b, ":", 1);
		json_string_append(b, r->field[f]);
	}
	(void)buf_append(b, "}", 1);
}

/* A key to sort: its first 8 bytes big-endian (zeros after its end), so
 * that comparing heads orders as strcmp() does, and strcmp() is only
 * needed between keys that begin alike. */
struct sort_key {
	uint64_t head;
	const char *key;
	size_t len;
};

static int sort_key_cmp(const void *a, const void *b)
{
	const struct sort_key *x = a, *y = b;
	if (x->head != y->head)
		return x->head < y->head ? -1 : 1;
	return strcmp(x->key, y->key);
}

/* The keys, sorted and without repeats, '\n' between them. */
static void keys_encode(struct buf *b, const struct match_keys *k)
{
	struct sort_key sorted[MATCH_KEYS_MAX];
	size_t n = 0;
	buf_reset(b);
	for (size_t i = 0; k && i < k->n && i < MATCH_KEYS_MAX; i++) {
		const char *key = k->key[i];
		size_t len = strnlen(key, MATCH_KEY_SIZE);
		if (len == 0 || len == MATCH_KEY_SIZE || memchr(key, '\n', len))
			continue;
		uint64_t head = 0;
		for (size_t j = 0; j < 8; j++)
			head =
			    head << 8 | (j < len ? (unsigned char)key[j] : 0u);
		sorted[n++] = (struct sort_key){ head, key, len };
	}
	qsort(sorted, n, sizeof(sorted[0]), sort_key_cmp);
	for (size_t i = 0; i < n; i++) {
		if (i > 0 && sort_key_cmp(&sorted[i], &sorted[i - 1]) == 0)
			continue;
		if (b->len)
			(void)buf_append(b, "\n", 1);
		(void)buf_append(b, sorted[i].key, sorted[i].len);
	}
	(void)buf_append(b, "", 0); /* a NUL even when empty */
}

/* Inserts (insert true) or deletes the keys of `text` for record `id`. */
/* The index's form of a key: FNV-1a, 64 bits, as a signed integer.
 * Stable: changing it means rebuilding record_keys. */
static int64_t key_hash(const char *key, size_t len)
{
	uint64_t h = 0xcbf29ce484222325u;
	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)key[i];
		h *= 0x100000001b3u;
	}
	int64_t v;
	memcpy(&v, &h, sizeof(v));
	return v;
}

static int keys_write(struct sqlite_store *s, int64_t id, const char *text,
                      bool insert)
{
	const char *p = text;
	while (*p) {
		const char *end = strchr(p, '\n');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		sqlite3_stmt *st = stmt_get(s, insert ? STMT_RECORD_KEY_INSERT
		                                      : STMT_RECORD_KEY_DELETE);
		sqlite3_bind_int64(st, 1, key_hash(p, len));
		sqlite3_bind_int64(st, 2, id);
		int rc = stmt_done(st);
		if (rc != SQLITE_OK)
			return rc;
		p += len + (end ? 1 : 0);
	}
	return SQLITE_OK;
}

/* Queues the keys of record `id`. */
static void pairs_add(struct sqlite_store *s, const struct match_keys *k,
                      int64_t id)
{
	for (size_t i = 0; k && i < k->n && i < MATCH_KEYS_MAX; i++) {
		const char *key = k->key[i];
		size_t len = strnlen(key, MATCH_KEY_SIZE);
		if (len == 0 || len == MATCH_KEY_SIZE || memchr(key, '\n', len))
			continue;
		if (s->n_pairs == s->cap_pairs) {
			size_t cap = s->cap_pairs ? s->cap_pairs * 2 : 4096;
			if (cap > KEY_PAIRS_QUEUED)
				cap = s->cap_pairs < KEY_PAIRS_QUEUED
				          ? KEY_PAIRS_QUEUED
				          : s->cap_pairs + KEY_PAIRS_STEP;
			s->cap_pairs = cap;
			s->pairs = xrealloc(s->pairs,
			                    s->cap_pairs * sizeof(*s->pairs));
		}
		s->pairs[s->n_pairs++] =
		    (struct key_pair){ key_hash(key, len), id };
	}
}

/* Sorts the queued keys by key, stably: a radix sort, 8 bits a pass on
 * the key with its sign bit flipped (so the order is the index's), a
 * fraction of the time of qsort() on the millions of keys of an import. */
static void pairs_sort(struct sqlite_store *s)
{
	size_t n = s->n_pairs;
	if (n < 2)
		return;
	struct key_pair *tmp = xmalloc(n * sizeof(*tmp));
	struct key_pair *from = s->pairs, *to = tmp;
	for (int shift = 0; shift < 64; shift += 8) {
		size_t count[257] = { 0 };
		for (size_t i = 0; i < n; i++) {
			uint64_t k = (uint64_t)from[i].key ^ (1ull << 63);
			count[((k >> shift) & 0xff) + 1]++;
		}
		for (int b = 0; b < 256; b++)
			count[b + 1] += count[b];
		for (size_t i = 0; i < n; i++) {
			uint64_t k = (uint64_t)from[i].key ^ (1ull << 63);
			to[count[(k >> shift) & 0xff]++] = from[i];
		}
		struct key_pair *t = from;
		from = to;
		to = t;
	}
	/* Eight passes: the sorted keys are back in s->pairs. */
	free(tmp);
}

/* Writes the queued keys in index order, KEY_ROWS to a statement: each
 * insert then lands next to the one before, on a page in the cache, and
 * the cost of a statement is shared. */
static int pairs_flush(struct sqlite_store *s)
{
	pairs_sort(s);
	int rc = SQLITE_OK;
	size_t i = 0;
	for (; i + KEY_ROWS <= s->n_pairs && rc == SQLITE_OK; i += KEY_ROWS) {
		sqlite3_stmt *st = s->key_rows;
		for (int j = 0; j < KEY_ROWS; j++) {
			const struct key_pair *p = &s->pairs[i + (size_t)j];
			sqlite3_bind_int64(st, 2 * j + 1, p->key);
			sqlite3_bind_int64(st, 2 * j + 2, p->record_id);
		}
		rc = stmt_done(st);
	}
	for (; i < s->n_pairs && rc == SQLITE_OK; i++) {
		sqlite3_stmt *st = stmt_get(s, STMT_RECORD_KEY_INSERT);
		sqlite3_bind_int64(st, 1, s->pairs[i].key);
		sqlite3_bind_int64(st, 2, s->pairs[i].record_id);
		rc = stmt_done(st);
	}
	s->n_pairs = 0;
	return rc;
}

static enum htd_err sq_records_begin(struct store *base, struct htd_error *err)
{
	struct sqlite_store *s = (struct sqlite_store *)base;
	if (s->in_import || !sqlite3_get_autocommit(s->db))
		return htd_error_set(err, HTD_ERR_CONFLICT,
		                     "%s: an import is under way on this "
		                     "connection",
		                     base->path);
	/* An import writes its whole transaction before it commits: with
	 * SQLite's default 2 MB cache, pages of the key index spill to the
	 * WAL and are read back over and over. Room for the index's hot
	 * pages makes an import several times faster; the default comes
	 * back at its end. */
	(void)sqlite3_exec(s->db, "PRAGMA cache_size = -" IMPORT_CACHE_KIB,
	                   NULL, NULL, NULL);
	enum htd_err e = tx_begin(s, err);
	if (e == HTD_OK)
		s->in_import = true;
	return e;
}

static void import_end(struct sqlite_store *s)
{
	s->in_import = false;
	free(s->pairs);
	s->pairs = NULL;
	s->n_pairs = s->cap_pairs = 0;
	(void)sqlite3_exec(s->db, "PRAGMA cache_size = -2000", NULL, NULL,
	                   NULL);
}

/* Puts one record; `what` says which count to add to. */
static int record_put(struct sqlite_store *s, const struct store_record_put *p,
                      int64_t at_ms, uint64_t **what,
                      struct store_record_counts *c)
{
	const struct record *r = p->record;
	const char *kind = record_kind_name(r->kind);
	fields_encode(&s->fields, r);
	keys_encode(&s->keys, p->keys);

	/* A new record is the common case of an import: insert first, and
	 * look the record up only when it is there already. */
	sqlite3_stmt *st = stmt_get(s, STMT_RECORD_INSERT);
	bind_text(st, 1, kind);
	bind_text(st, 2, r->source);
	bind_text(st, 3, r->source_id);
	sqlite3_bind_text(st, 4, s->fields.data, (int)s->fields.len,
	                  SQLITE_STATIC);
	sqlite3_bind_text(st, 5, buf_str(&s->keys), (int)s->keys.len,
	                  SQLITE_STATIC);
	sqlite3_bind_int(st, 6, r->sealed ? 1 : 0);
	sqlite3_bind_int64(st, 7, at_ms);
	/* Without RETURNING, whose rows SQLite collects in a temporary
	 * table opened and closed at each statement (a tenth of an
	 * import): a row was inserted when the statement changed one, and
	 * its id is then the last inserted rowid (this connection's
	 * transaction is the only writer). */
	int rc = stmt_done(st);
	if (rc != SQLITE_OK)
		return rc;
	if (sqlite3_changes(s->db) == 1) {
		*what = &c->inserted;
		pairs_add(s, p->keys, sqlite3_last_insert_rowid(s->db));
		return SQLITE_OK;
	}

	st = stmt_get(s, STMT_RECORD_FIND);
	bind_text(st, 1, kind);
	bind_text(st, 2, r->source);
	bind_text(st, 3, r->source_id);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		sqlite3_reset(st);
		return rc;
	}
	int64_t id = sqlite3_column_int64(st, 0);
	const char *old_fields = (const char *)sqlite3_column_text(st, 1);
	const char *old_keys = (const char *)sqlite3_column_text(st, 2);
	bool old_sealed = sqlite3_column_int(st, 3) != 0;
	if (old_sealed == r->sealed &&
	    str_eq(old_fields, buf_str(&s->fields)) &&
	    str_eq(old_keys, buf_str(&s->keys))) {
		sqlite3_reset(st);
		*what = &c->unchanged;
		return SQLITE_OK;
	}
	char *stale = xstrdup(old_keys ? old_keys : "");
	sqlite3_reset(st);
	/* The keys queued so far first: this record may be one of them (a
	 * source that names a record twice), whose keys must be in the
	 * table to be replaced. */
	rc = pairs_flush(s);
	if (rc == SQLITE_OK)
		rc = keys_write(s, id, stale, false);
	free(stale);
	if (rc != SQLITE_OK)
		return rc;
	st = stmt_get(s, STMT_RECORD_UPDATE);
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, s->fields.data, (int)s->fields.len,
	                  SQLITE_STATIC);
	sqlite3_bind_text(st, 3, buf_str(&s->keys), (int)s->keys.len,
	                  SQLITE_STATIC);
	sqlite3_bind_int(st, 4, r->sealed ? 1 : 0);
	sqlite3_bind_int64(st, 5, at_ms);
	rc = stmt_done(st);
	if (rc != SQLITE_OK)
		return rc;
	*what = &c->updated;
	pairs_add(s, p->keys, id);
	return SQLITE_OK;
}

/* True when link `l` is the one of row `st` (STMT_LINK_IMPORTED). */
static bool link_is_row(const struct record_link *l, sqlite3_stmt *st)
{
	return str_eq((const char *)sqlite3_column_text(st, 1),
	              record_link_type_name(l->type)) &&
	       str_eq((const char *)sqlite3_column_text(st, 2),
	              record_kind_name(l->kind)) &&
	       str_eq((const char *)sqlite3_column_text(st, 3), l->source) &&
	       str_eq((const char *)sqlite3_column_text(st, 4), l->source_id);
}

/*
 * Writes the links of record `r` (just inserted when `is_new`, or just
 * changed): those it no longer has are deleted, new ones inserted, the
 * ones it kept left as they were (their time too). A record's import
 * links are only ever written here, so they are what its links field
 * says. Inside the import's transaction.
 */
static int links_write(struct sqlite_store *s, const struct record *r,
                       int64_t at_ms, bool is_new)
{
	struct record_link links[RECORD_LINKS_MAX];
	size_t n = 0;
	const char *text = r->field[RECORD_F_LINKS];
	if (text && record_links_parse(text, strlen(text), r->source, links, &n,
	                               NULL) != HTD_OK)
		return SQLITE_CONSTRAINT; /* record_validate() let it by */
	sqlite3_stmt *st = stmt_get(s, STMT_RECORD_ID);
	bind_text(st, 1, record_kind_name(r->kind));
	bind_text(st, 2, r->source);
	bind_text(st, 3, r->source_id);
	int rc = sqlite3_step(st);
	int64_t id = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	if (rc != SQLITE_ROW)
		return rc == SQLITE_DONE ? SQLITE_NOTFOUND : rc;
	/* Only import links are read here, at most RECORD_LINKS_MAX of them
	 * (what one links field holds); more would be a database changed
	 * outside htdispatch, and are deleted as stale all the same. */
	bool kept[RECORD_LINKS_MAX] = { false };
	int64_t stale[RECORD_LINKS_MAX];
	size_t n_stale = 0;
	while (!is_new) {
		st = stmt_get(s, STMT_LINK_IMPORTED);
		sqlite3_bind_int64(st, 1, id);
		n_stale = 0;
		bool more = false;
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			size_t i = 0;
			while (i < n && !link_is_row(&links[i], st))
				i++;
			if (i < n) {
				kept[i] = true;
			} else if (n_stale < RECORD_LINKS_MAX) {
				stale[n_stale++] = sqlite3_column_int64(st, 0);
			} else {
				more = true;
			}
		}
		sqlite3_reset(st);
		if (rc != SQLITE_DONE)
			return rc;
		for (size_t i = 0; i < n_stale; i++) {
			st = stmt_get(s, STMT_LINK_DELETE);
			sqlite3_bind_int64(st, 1, stale[i]);
			rc = stmt_done(st);
			if (rc != SQLITE_OK)
				return rc;
		}
		if (!more)
			break;
		memset(kept, 0, sizeof(kept));
	}
	for (size_t i = 0; i < n; i++) {
		if (kept[i])
			continue;
		st = stmt_get(s, STMT_LINK_INSERT);
		sqlite3_bind_int64(st, 1, id);
		bind_text(st, 2, record_link_type_name(links[i].type));
		bind_text(st, 3, record_kind_name(links[i].kind));
		bind_text(st, 4, links[i].source);
		bind_text(st, 5, links[i].source_id);
		sqlite3_bind_int64(st, 6, at_ms);
		rc = stmt_done(st);
		if (rc != SQLITE_OK)
			return rc;
	}
	return SQLITE_OK;
}

static enum htd_err sq_records_put(struct store *base,
                                   const struct store_record_put *items,
                                   size_t n, int64_t at_ms,
                                   struct store_record_counts *counts,
                                   struct htd_error *err)
{
	struct sqlite_store *s = (struct sqlite_store *)base;
	if (!s->in_import)
		return htd_error_set(err, HTD_ERR_INTERNAL,
		                     "records put outside an import");
	/* Counted only once all of the batch is written: on error the
	 * caller rolls back, and the counts stay as they were. */
	struct store_record_counts c = { 0 };
	for (size_t i = 0; i < n; i++) {
		uint64_t *what = NULL;
		int rc = record_put(s, &items[i], at_ms, &what, &c);
		if (rc == SQLITE_OK &&
		    (what == &c.updated ||
		     (what == &c.inserted &&
		      items[i].record->field[RECORD_F_LINKS])))
			rc = links_write(s, items[i].record, at_ms,
			                 what == &c.inserted);
		if (rc != SQLITE_OK) {
			const struct record *r = items[i].record;
			char doing[160];
			str_format(
			    doing, sizeof(doing), "writing %s record %s:%s",
			    record_kind_name(r->kind), r->source, r->source_id);
			return sq_error(s, rc, doing, err);
		}
		(*what)++;
	}
	/* The keys wait for the next batches (or the commit) until
	 * KEY_PAIRS_QUEUED of them are queued. */
	int rc = s->n_pairs >= KEY_PAIRS_QUEUED ? pairs_flush(s) : SQLITE_OK;
	if (rc != SQLITE_OK)
		return sq_error(s, rc, "writing the keys of records", err);
	if (counts) {
		counts->inserted += c.inserted;
		counts->updated += c.updated;
		counts->unchanged += c.unchanged;
	}
	return HTD_OK;
}

static enum htd_err sq_records_commit(struct store *base,
                                      const struct store_audit *audit,
                                      struct htd_error *err)
{
	struct sqlite_store *s = (struct sqlite_store *)base;
	if (!s->in_import)
		return htd_error_set(err, HTD_ERR_INTERNAL,
		                     "records commit outside an import");
	/* The keys still queued, in the transaction. */
	int qrc = pairs_flush(s);
	import_end(s);
	if (qrc != SQLITE_OK) {
		enum htd_err e =
		    sq_error(s, qrc, "writing the keys of records", err);
		tx_rollback(s);
		return e;
	}
	if (audit) {
		int rc = insert_audit(s, audit, NULL);
		if (rc != SQLITE_OK) {
			enum htd_err e =
			    sq_error(s, rc, "auditing an import", err);
			tx_rollback(s);
			return e;
		}
	}
	return tx_commit(s, err);
}

static void sq_records_rollback(struct store *base)
{
	struct sqlite_store *s = (struct sqlite_store *)base;
	if (!s->in_import)
		return;
	import_end(s);
	tx_rollback(s);
}

/* Reads a row of RECORD_COLUMNS; strict, as the state column is. */
static enum htd_err read_record_row(struct sqlite_store *s, sqlite3_stmt *st,
                                    struct store_record *out,
                                    struct htd_error *err)
{
	memset(out, 0, sizeof(*out));
	out->id = sqlite3_column_int64(st, 0);
	enum record_kind kind;
	if (!record_kind_parse((const char *)sqlite3_column_text(st, 1), &kind))
		return htd_error_set(err, HTD_ERR_CORRUPT,
		                     "%s: record %lld has an unknown kind",
		                     s->base.path, (long long)out->id);
	record_init(&out->record, kind);
	struct htd_error why;
	htd_error_clear(&why);
	enum htd_err e = record_set_source(
	    &out->record, (const char *)sqlite3_column_text(st, 2),
	    (const char *)sqlite3_column_text(st, 3), &why);
	out->record.sealed = sqlite3_column_int(st, 5) != 0;
	out->created_at_ms = sqlite3_column_int64(st, 6);
	out->updated_at_ms = sqlite3_column_int64(st, 7);
	out->version = sqlite3_column_int64(st, 8);
	json_error_t jerr;
	json_t *o = NULL;
	if (e == HTD_OK) {
		o = json_loads((const char *)sqlite3_column_text(st, 4), 0,
		               &jerr);
		if (!json_is_object(o))
			e = htd_error_set(&why, HTD_ERR_CORRUPT,
			                  "fields are not a JSON object");
	}
	const char *key;
	json_t *v;
	if (e == HTD_OK) {
		json_object_foreach(o, key, v)
		{
			enum record_field f;
			if (!record_field_parse(key, &f) ||
			    !json_is_string(v)) {
				e = htd_error_set(&why, HTD_ERR_CORRUPT,
				                  "field %s is unknown or not "
				                  "text",
				                  key);
				break;
			}
			e = record_set(&out->record, f, json_string_value(v),
			               &why);
			if (e != HTD_OK)
				break;
		}
	}
	json_decref(o);
	if (e != HTD_OK) {
		record_free(&out->record);
		return htd_error_set(err, HTD_ERR_CORRUPT,
		                     "%s: record %lld was changed outside "
		                     "htdispatch: %s",
		                     s->base.path, (long long)out->id,
		                     why.message);
	}
	return HTD_OK;
}

/* Steps `st` (bound) for one record row into `out`. */
static enum htd_err record_read_one(struct sqlite_store *s, sqlite3_stmt *st,
                                    const char *what, struct store_record *out,
                                    struct htd_error *err)
{
	int rc = sqlite3_step(st);
	enum htd_err e;
	if (rc == SQLITE_ROW)
		e = read_record_row(s, st, out, err);
	else if (rc == SQLITE_DONE)
		e = htd_error_set(err, HTD_ERR_NOT_FOUND, "no record %s", what);
	else
		e = sq_error(s, rc, "reading a record", err);
	sqlite3_reset(st);
	return e;
}

static enum htd_err sq_record_get(struct store *base, int64_t id,
                                  struct store_record *out,
                                  struct htd_error *err)
{
	struct sqlite_store *s = (struct sqlite_store *)base;
	sqlite3_stmt *st = stmt_get(s, STMT_RECORD_GET);
	sqlite3_bind_int64(st, 1, id);
	char what[32];
	str_format(what, sizeof(what), "%lld", (long long)id);
	return record_read_one(s, st, what, out, err);
}

static enum htd_err sq_record_find(struct store *base, enum record_kind kind,
                                   const char *source, const char *source_id,
                                   struct store_record *out,
                                   struct htd_error *err)
{
	struct sqlite_store *s = (struct sqlite_store *)base;
	sqlite3_stmt *st = stmt_get(s, STMT_RECORD_GET_SOURCE);
	bind_text(st, 1, record_kind_name(kind));
	bind_text(st, 2, source);
	bind_text(st, 3, source_id);
	char what[RECORD_SOURCE_MAX + RECORD_SOURCE_ID_MAX + 32];
	str_format(what, sizeof(what), "%s %s:%s", record_kind_name(kind),
	           source ? source : "", source_id ? source_id : "");
	return record_read_one(s, st, what, out, err);
}

/*
 * A search reads the postings of its keys and then its candidates' rows:
 * one read transaction for all of them, not one a statement (each takes
 * and drops the file's shared lock and a WAL read mark). Returns whether
 * it began one (not when the caller's transaction is open already).
 */
static bool read_begin(struct sqlite_store *s)
{
	if (!sqlite3_get_autocommit(s->db))
		return false;
	return stmt_done(stmt_get(s, STMT_BEGIN_READ)) == SQLITE_OK;
}

static void read_end(struct sqlite_store *s, bool began)
{
	if (began && !sqlite3_get_autocommit(s->db) &&
	    stmt_done(stmt_get(s, STMT_COMMIT)) != SQLITE_OK)
		tx_rollback(s);
}

static int candidate_cmp(const void *a, const void *b)
{
	const struct store_candidate *x = a, *y = b;
	if (x->weight != y->weight)
		return x->weight < y->weight ? 1 : -1;
	if (x->shared != y->shared)
		return x->shared < y->shared ? 1 : -1;
	return (x->record_id > y->record_id) - (x->record_id < y->record_id);
}

/*
 * Keeps `c` among the best `limit` candidates in heap[0..*n) (a heap with
 * the worst, by candidate_cmp, at the root).
 */
static void candidates_keep(struct store_candidate *heap, size_t *n,
                            size_t limit, const struct store_candidate *c)
{
	size_t i;
	if (*n < limit) {
		i = (*n)++;
		while (i > 0 && candidate_cmp(&heap[(i - 1) / 2], c) < 0) {
			heap[i] = heap[(i - 1) / 2];
			i = (i - 1) / 2;
		}
		heap[i] = *c;
		return;
	}
	if (limit == 0 || candidate_cmp(c, &heap[0]) >= 0)
		return; /* no better than the worst kept */
	i = 0;
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, worst = i;
		const struct store_candidate *w = c;
		if (l < *n && candidate_cmp(&heap[l], w) > 0) {
			worst = l;
			w = &heap[l];
		}
		if (r < *n && candidate_cmp(&heap[r], w) > 0)
			worst = r;
		if (worst == i)
			break;
		heap[i] = heap[worst];
		i = worst;
	}
	heap[i] = *c;
}

/*
 * Every posting of every key, sorted, so that a record's count is the
 * length of its run: bounded by MATCH_KEYS_MAX * STORE_KEY_POSTINGS_MAX
 * ids, with no hash table to size.
 */
static enum htd_err sq_records_candidates(struct store *base,
                                          const struct match_keys *keys,
                                          size_t limit,
                                          struct store_candidate *out,
                                          size_t *n_out, struct htd_error *err)
{
	struct sqlite_store *s = (struct sqlite_store *)base;
	size_t n_keys = keys ? keys->n : 0;
	if (n_keys > MATCH_KEYS_MAX)
		n_keys = MATCH_KEYS_MAX;
	struct posting {
		int64_t id;
		double weight; /* of the key it came from */
	} *ids = NULL;
	size_t n = 0, cap = 0;
	enum htd_err e = HTD_OK;
	bool began = read_begin(s);
	for (size_t k = 0; k < n_keys && e == HTD_OK; k++) {
		/* A key asked for twice counts once. */
		bool seen = false;
		for (size_t j = 0; j < k && !seen; j++)
			seen = strcmp(keys->key[j], keys->key[k]) == 0;
		if (seen || !keys->key[k][0])
			continue;
		sqlite3_stmt *st = stmt_get(s, STMT_RECORD_POSTINGS);
		sqlite3_bind_int64(
		    st, 1,
		    key_hash(keys->key[k],
		             strnlen(keys->key[k], MATCH_KEY_SIZE)));
		sqlite3_bind_int(st, 2, STORE_KEY_POSTINGS_MAX);
		int rc;
		size_t first = n;
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			if (n == cap) {
				cap = cap ? cap * 2 : 256;
				ids = xrealloc(ids, cap * sizeof(*ids));
			}
			ids[n++].id = sqlite3_column_int64(st, 0);
		}
		sqlite3_reset(st);
		/* 1 for a key at the cap, up to 12.3 for a key of one
		 * record. */
		double w = n > first
		               ? 1.0 + log2((double)STORE_KEY_POSTINGS_MAX /
		                            (double)(n - first))
		               : 0;
		for (size_t i = first; i < n; i++)
			ids[i].weight = w;
		if (rc != SQLITE_DONE)
			e = sq_error(s, rc, "finding candidate records", err);
	}
	read_end(s, began);
	if (e == HTD_OK && n > 0) {
		/* Each record's postings summed in an open-addressing table
		 * (record ids are positive: 0 marks a free slot), then the
		 * best `limit` kept in a bounded heap: no sort of every
		 * candidate, which at a million records was a fifth of a
		 * search. */
		size_t hcap = 16;
		while (hcap < 2 * n)
			hcap <<= 1;
		struct store_candidate *tab = xcalloc(hcap, sizeof(*tab));
		for (size_t i = 0; i < n; i++) {
			uint64_t h =
			    (uint64_t)ids[i].id * 0x9e3779b97f4a7c15ULL;
			size_t at = (size_t)(h >> 17) & (hcap - 1);
			while (tab[at].record_id != 0 &&
			       tab[at].record_id != ids[i].id)
				at = (at + 1) & (hcap - 1);
			tab[at].record_id = ids[i].id;
			tab[at].shared++;
			tab[at].weight += ids[i].weight;
		}
		size_t m = 0;
		for (size_t i = 0; i < hcap; i++)
			if (tab[i].record_id != 0)
				candidates_keep(out, &m, limit, &tab[i]);
		qsort(out, m, sizeof(*out), candidate_cmp);
		*n_out = m;
		free(tab);
	}
	free(ids);
	return e;
}

static enum htd_err sq_records_get_many(struct store *base, const int64_t *ids,
                                        size_t n, struct store_record_list *out,
                                        struct htd_error *err)
{
	struct sqlite_store *s = (struct sqlite_store *)base;
	out->records = n ? xcalloc(n, sizeof(*out->records)) : NULL;
	out->n = 0;
	bool began = read_begin(s);
	for (size_t i = 0; i < n; i++) {
		sqlite3_stmt *st = stmt_get(s, STMT_RECORD_GET);
		sqlite3_bind_int64(st, 1, ids[i]);
		struct htd_error why;
		enum htd_err e =
		    record_read_one(s, st, "", &out->records[out->n], &why);
		if (e == HTD_ERR_NOT_FOUND)
			continue;
		if (e != HTD_OK) {
			if (err)
				*err = why;
			store_record_list_free(out);
			read_end(s, began);
			return e;
		}
		out->n++;
	}
	read_end(s, began);
	return HTD_OK;
}

static enum htd_err sq_records_count(struct store *base,
                                     uint64_t counts[RECORD_KIND__COUNT],
                                     struct htd_error *err)
{
	struct sqlite_store *s = (struct sqlite_store *)base;
	for (int k = 0; k < RECORD_KIND__COUNT; k++)
		counts[k] = 0;
	sqlite3_stmt *st = stmt_get(s, STMT_RECORD_COUNT);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		enum record_kind k;
		if (record_kind_parse((const char *)sqlite3_column_text(st, 0),
		                      &k))
			counts[k] = (uint64_t)sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return sq_error(s, rc, "counting records", err);
	return HTD_OK;
}

/* Adds a link to `out` (room checked by the caller). */
static struct store_record_link *link_next(struct store_record_link_list *out)
{
	struct store_record_link *l = &out->links[out->n++];
	memset(l, 0, sizeof(*l));
	return l;
}

static bool link_row_other(sqlite3_stmt *st, struct store_record_link *l)
{
	column_copy(st, 0, l->type, sizeof(l->type));
	bool ok = record_kind_parse((const char *)sqlite3_column_text(st, 1),
	                            &l->other_kind);
	column_copy(st, 2, l->other_source, sizeof(l->other_source));
	column_copy(st, 3, l->other_source_id, sizeof(l->other_source_id));
	l->other_id = sqlite3_column_int64(st, 4);
	l->at_ms = sqlite3_column_int64(st, 5);
	column_copy(st, 6, l->actor, sizeof(l->actor));
	return ok;
}

static enum htd_err sq_record_links(struct store *base, int64_t id,
                                    struct store_record_link_list *out,
                                    struct htd_error *err)
{
	struct sqlite_store *s = (struct sqlite_store *)base;
	static const enum stmt_id which[] = { STMT_LINKS_OUT, STMT_LINKS_IN,
		                              STMT_LINKS_CALLS };
	static const enum store_link_dir dirs[] = { STORE_LINK_OUT,
		                                    STORE_LINK_IN,
		                                    STORE_LINK_CALL };
	out->links =
	    xcalloc(STORE_RECORD_LINKS_READ_MAX + 1, sizeof(*out->links));
	int rc = SQLITE_OK;
	bool corrupt = false;
	for (size_t w = 0; w < 3 && rc == SQLITE_OK; w++) {
		size_t room = STORE_RECORD_LINKS_READ_MAX + 1 - out->n;
		if (room == 0)
			break;
		sqlite3_stmt *st = stmt_get(s, which[w]);
		sqlite3_bind_int64(st, 1, id);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)room);
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			struct store_record_link *l = link_next(out);
			l->dir = dirs[w];
			if (dirs[w] == STORE_LINK_CALL) {
				str_copy(l->type, sizeof(l->type), "confirmed");
				column_copy(st, 0, l->call_ref,
				            sizeof(l->call_ref));
				l->at_ms = sqlite3_column_int64(st, 1);
				column_copy(st, 2, l->actor, sizeof(l->actor));
			} else if (!link_row_other(st, l)) {
				corrupt = true;
			}
		}
		sqlite3_reset(st);
		if (rc == SQLITE_DONE)
			rc = SQLITE_OK;
	}
	if (rc != SQLITE_OK) {
		store_record_link_list_free(out);
		return sq_error(s, rc, "reading a record's links", err);
	}
	if (corrupt) {
		store_record_link_list_free(out);
		return htd_error_set(err, HTD_ERR_CORRUPT,
		                     "%s: a link of record %lld has an unknown "
		                     "kind",
		                     base->path, (long long)id);
	}
	if (out->n > STORE_RECORD_LINKS_READ_MAX) {
		out->n = STORE_RECORD_LINKS_READ_MAX;
		out->truncated = true;
	}
	return HTD_OK;
}

static void sq_close(struct store *base)
{
	struct sqlite_store *s = (struct sqlite_store *)base;
	for (int i = 0; i < STMT__COUNT; i++)
		sqlite3_finalize(s->stmt[i]);
	sqlite3_finalize(s->key_rows);
	if (s->db)
		sqlite3_close(s->db);
	buf_free(&s->fields);
	buf_free(&s->keys);
	free(s->pairs);
	free(s);
}

/* ---- the notification outbox ------------------------------------------ */

/* Reads the rows of a statement over OUTBOX_COLUMNS into `out`. */
static enum htd_err read_outbox(struct sqlite_store *s, sqlite3_stmt *st,
                                struct store_outbox_list *out,
                                struct htd_error *err)
{
	size_t cap = 0;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (out->n == cap) {
			cap = cap ? cap * 2 : 16;
			out->rows =
			    xrealloc(out->rows, cap * sizeof(*out->rows));
		}
		struct store_outbox *o = &out->rows[out->n];
		memset(o, 0, sizeof(*o));
		o->id = sqlite3_column_int64(st, 0);
		column_copy(st, 1, o->call_ref, sizeof(o->call_ref));
		column_copy(st, 2, o->kind, sizeof(o->kind));
		column_copy(st, 3, o->action, sizeof(o->action));
		column_copy(st, 4, o->target, sizeof(o->target));
		column_copy(st, 5, o->transport, sizeof(o->transport));
		column_copy(st, 6, o->key, sizeof(o->key));
		column_copy(st, 7, o->content_type, sizeof(o->content_type));
		o->subject = column_dup(st, 8);
		o->body = column_dup(st, 9);
		out->n++;
		if (!store_outbox_state_parse(
		        (const char *)sqlite3_column_text(st, 10), &o->state)) {
			sqlite3_reset(st);
			store_outbox_list_free(out);
			return htd_error_set(err, HTD_ERR_CORRUPT,
			                     "%s: an outbox row has an unknown "
			                     "state; the database was changed "
			                     "outside htdispatch",
			                     s->base.path);
		}
		o->attempts = sqlite3_column_int(st, 11);
		o->next_attempt_ms = sqlite3_column_int64(st, 12);
		o->last_status = sqlite3_column_int(st, 13);
		column_copy(st, 14, o->last_error, sizeof(o->last_error));
		o->created_at_ms = sqlite3_column_int64(st, 15);
		o->updated_at_ms = sqlite3_column_int64(st, 16);
		o->delivered_at_ms = sqlite3_column_int64(st, 17);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		store_outbox_list_free(out);
		return sq_error(s, rc, "reading the outbox", err);
	}
	return HTD_OK;
}

static enum htd_err sq_outbox_due(struct store *base, int64_t now_ms,
                                  const char *target, size_t limit,
                                  struct store_outbox_list *out,
                                  struct htd_error *err)
{
	struct sqlite_store *s = (struct sqlite_store *)base;
	sqlite3_stmt *st = stmt_get(s, STMT_OUTBOX_DUE);
	sqlite3_bind_int64(st, 1, now_ms);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)limit);
	if (target)
		bind_text(st, 3, target);
	return read_outbox(s, st, out, err);
}

static enum htd_err sq_outbox_list(struct store *base,
                                   const struct store_outbox_filter *f,
                                   struct store_outbox_list *out,
                                   struct htd_error *err)
{
	struct sqlite_store *s = (struct sqlite_store *)base;
	sqlite3_stmt *st = stmt_get(s, STMT_OUTBOX_LIST);
	if (f->call_ref)
		bind_text(st, 1, f->call_ref);
	if (f->by_state)
		bind_text(st, 2, store_outbox_state_name(f->state));
	sqlite3_bind_int64(st, 3, (sqlite3_int64)f->limit);
	return read_outbox(s, st, out, err);
}

static enum htd_err sq_outbox_record(struct store *base,
                                     const struct store_outbox *row,
                                     enum store_outbox_state from,
                                     const struct store_append *items, size_t n,
                                     struct htd_error *err)
{
	struct sqlite_store *s = (struct sqlite_store *)base;
	enum htd_err e = tx_begin(s, err);
	if (e != HTD_OK)
		return e;
	sqlite3_stmt *st = stmt_get(s, STMT_OUTBOX_UPDATE);
	sqlite3_bind_int64(st, 1, row->id);
	bind_text(st, 2, store_outbox_state_name(row->state));
	sqlite3_bind_int(st, 3, row->attempts);
	sqlite3_bind_int64(st, 4, row->next_attempt_ms);
	sqlite3_bind_int(st, 5, row->last_status);
	bind_text(st, 6, row->last_error);
	sqlite3_bind_int64(st, 7, row->updated_at_ms);
	sqlite3_bind_int64(st, 8, row->delivered_at_ms);
	bind_text(st, 9, store_outbox_state_name(from));
	int rc = stmt_done(st);
	if (rc != SQLITE_OK) {
		e = sq_error(s, rc, "recording a delivery", err);
		goto fail;
	}
	if (sqlite3_changes(s->db) != 1) {
		e = htd_error_set(err, HTD_ERR_CONFLICT,
		                  "outbox row %lld is not %s (gone or changed "
		                  "meanwhile)",
		                  (long long)row->id,
		                  store_outbox_state_name(from));
		goto fail;
	}
	for (size_t i = 0; i < n; i++) {
		e = append_one(s, &items[i], err);
		if (e != HTD_OK)
			goto fail;
	}
	return tx_commit(s, err);
fail:
	tx_rollback(s);
	return e;
}

static enum htd_err sq_outbox_count(struct store *base,
                                    enum store_outbox_state state, int64_t *out,
                                    struct htd_error *err)
{
	struct sqlite_store *s = (struct sqlite_store *)base;
	sqlite3_stmt *st = stmt_get(s, STMT_OUTBOX_COUNT);
	bind_text(st, 1, store_outbox_state_name(state));
	int rc = sqlite3_step(st);
	enum htd_err e = HTD_OK;
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int64(st, 0);
	else
		e = sq_error(s, rc, "counting the outbox", err);
	sqlite3_reset(st);
	return e;
}

static const struct store_ops sqlite_ops = {
	.name = "sqlite",
	.close = sq_close,
	.call_create = sq_call_create,
	.append = sq_append,
	.call_get = sq_call_get,
	.call_version = sq_call_version,
	.call_list = sq_call_list,
	.events_each = sq_events_each,
	.calls_each = sq_calls_each,
	.events_after = sq_events_after,
	.events_last = sq_events_last,
	.integrity_check = sq_integrity_check,
	.schema_version = sq_schema_version,
	.audit_append = sq_audit_append,
	.audit_list = sq_audit_list,
	.user_insert = sq_user_insert,
	.user_update = sq_user_update,
	.user_get = sq_user_get,
	.user_list = sq_user_list,
	.session_insert = sq_session_insert,
	.session_get = sq_session_get,
	.session_touch = sq_session_touch,
	.session_end = sq_session_end,
	.session_end_all_for_user = sq_session_end_all_for_user,
	.unit_insert = sq_unit_insert,
	.unit_update = sq_unit_update,
	.unit_get = sq_unit_get,
	.unit_list = sq_unit_list,
	.unit_events_each = sq_unit_events_each,
	.dispatch = sq_dispatch,
	.outbox_due = sq_outbox_due,
	.outbox_list = sq_outbox_list,
	.outbox_record = sq_outbox_record,
	.outbox_count = sq_outbox_count,
	.records_begin = sq_records_begin,
	.records_put = sq_records_put,
	.records_commit = sq_records_commit,
	.records_rollback = sq_records_rollback,
	.record_get = sq_record_get,
	.record_find = sq_record_find,
	.records_candidates = sq_records_candidates,
	.records_get_many = sq_records_get_many,
	.records_count = sq_records_count,
	.record_links = sq_record_links,
};

/* ---- opening ---------------------------------------------------------- */

/* Runs a one-row integer query such as a PRAGMA. */
static int query_int(struct sqlite_store *s, const char *sql, int64_t *out)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
	if (rc == SQLITE_OK) {
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			*out = sqlite3_column_int64(st, 0);
			rc = SQLITE_OK;
		}
	}
	sqlite3_finalize(st);
	return rc;
}

/* Runs the migrations after version `from`, up to and including `to`. */
static enum htd_err migrate(struct sqlite_store *s, int from, int to,
                            struct htd_error *err)
{
	for (int i = 0; i < MIGRATION_COUNT; i++) {
		const struct migration *m = &migrations[i];
		if (m->version <= from || m->version > to)
			continue;
		int rc =
		    sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
		if (rc != SQLITE_OK)
			return sq_error(s, rc, "upgrading the schema", err);
		/* Another process may have migrated while we waited. */
		int64_t now_at = 0;
		rc = query_int(s, "PRAGMA user_version", &now_at);
		if (rc == SQLITE_OK && now_at >= m->version) {
			sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
			continue;
		}
		char pragma[96];
		str_format(pragma, sizeof(pragma),
		           "PRAGMA user_version = %d; PRAGMA application_id = "
		           "%d;",
		           m->version, SQLITE_STORE_APPLICATION_ID);
		if (rc == SQLITE_OK)
			rc = sqlite3_exec(s->db, m->sql, NULL, NULL, NULL);
		if (rc == SQLITE_OK)
			rc = sqlite3_exec(s->db, pragma, NULL, NULL, NULL);
		if (rc == SQLITE_OK) {
			sqlite3_stmt *st = NULL;
			rc = sqlite3_prepare_v2(
			    s->db,
			    "INSERT INTO schema_migrations (version, name, "
			    "applied_at_ms) VALUES (?1, ?2, "
			    "CAST((julianday('now') - 2440587.5) * "
			    "86400000 AS INTEGER))",
			    -1, &st, NULL);
			if (rc == SQLITE_OK) {
				sqlite3_bind_int(st, 1, m->version);
				sqlite3_bind_text(st, 2, m->name, -1,
				                  SQLITE_STATIC);
				rc = stmt_done(st);
			}
			sqlite3_finalize(st);
		}
		if (rc == SQLITE_OK)
			rc = sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
		if (rc != SQLITE_OK) {
			enum htd_err e =
			    sq_error(s, rc, "upgrading the schema", err);
			if (!sqlite3_get_autocommit(s->db))
				sqlite3_exec(s->db, "ROLLBACK", NULL, NULL,
				             NULL);
			return e;
		}
		char v[16];
		str_format(v, sizeof(v), "%d", m->version);
		log_event(LOG_INFO, "schema_migrated", "db", s->base.path,
		          "version", v, "name", m->name, NULL);
	}
	return HTD_OK;
}

/* Checks what kind of file we opened before writing anything to it. */
static enum htd_err check_file(struct sqlite_store *s, bool create,
                               int *version, struct htd_error *err)
{
	int64_t tables = 0, app_id = 0, user_version = 0;
	int rc = query_int(s, "SELECT count(*) FROM sqlite_schema", &tables);
	if (rc == SQLITE_OK)
		rc = query_int(s, "PRAGMA application_id", &app_id);
	if (rc == SQLITE_OK)
		rc = query_int(s, "PRAGMA user_version", &user_version);
	if (rc != SQLITE_OK)
		return sq_error(s, rc, "opening the database", err);

	if (tables == 0 && app_id == 0 && user_version == 0) {
		if (!create)
			return htd_error_set(err, HTD_ERR_NO_DATABASE,
			                     "%s is empty, not an htdispatch "
			                     "database; run 'htdispatch init "
			                     "--db %s'",
			                     s->base.path, s->base.path);
		*version = 0;
		return HTD_OK;
	}
	if (app_id != SQLITE_STORE_APPLICATION_ID)
		return htd_error_set(err, HTD_ERR_NOT_DATABASE,
		                     "%s is an SQLite database of another "
		                     "program (application_id 0x%08llx), not "
		                     "htdispatch's; it was left untouched",
		                     s->base.path, (unsigned long long)app_id);
	if (user_version > store_schema_latest())
		return htd_error_set(
		    err, HTD_ERR_SCHEMA_NEWER,
		    "%s has schema version %lld, from a newer "
		    "htdispatch; this one knows versions up to "
		    "%d. Run the newer htdispatch (the file "
		    "was left untouched)",
		    s->base.path, (long long)user_version,
		    store_schema_latest());
	*version = (int)user_version;
	return HTD_OK;
}

/*
 * Opens the store and migrates it to schema version `to`; only at the
 * latest version are its statements prepared (*out is then usable), else
 * *out may only be closed.
 */
static enum htd_err open_at(const struct store_options *opts, int to,
                            struct store **out, struct htd_error *err)
{
	struct sqlite_store *s = xcalloc(1, sizeof(*s));
	enum htd_err e = HTD_OK;
	int rc, version = 0;
	struct stat sb;

	s->base.ops = &sqlite_ops;
	buf_init(&s->fields, 0);
	buf_init(&s->keys, 0);
	if (!str_copy(s->base.path, sizeof(s->base.path), opts->path)) {
		e = htd_error_field(err, HTD_ERR_INVALID, "db",
		                    "database path is too long");
		goto fail;
	}
	s->busy_timeout_ms = opts->busy_timeout_ms > 0
	                         ? opts->busy_timeout_ms
	                         : STORE_BUSY_TIMEOUT_DEFAULT;

	if (stat(opts->path, &sb) != 0) {
		if (errno != ENOENT) {
			e = htd_error_set(err, HTD_ERR_IO, "%s: %s", opts->path,
			                  strerror(errno));
			goto fail;
		}
		if (!opts->create) {
			e = htd_error_set(err, HTD_ERR_NO_DATABASE,
			                  "no database at %s; run 'htdispatch "
			                  "init' (or pass --db PATH)",
			                  opts->path);
			goto fail;
		}
	} else if (!S_ISREG(sb.st_mode)) {
		e = htd_error_set(err, HTD_ERR_NOT_DATABASE,
		                  "%s is not a regular file", opts->path);
		goto fail;
	}

	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX |
	            (opts->create ? SQLITE_OPEN_CREATE : 0);
	rc = sqlite3_open_v2(opts->path, &s->db, flags, NULL);
	if (rc != SQLITE_OK) {
		e = sq_error(s, rc, "opening the database", err);
		goto fail;
	}
	sqlite3_extended_result_codes(s->db, 1);
	sqlite3_busy_timeout(s->db, s->busy_timeout_ms);

	e = check_file(s, opts->create, &version, err);
	if (e != HTD_OK)
		goto fail;

	/* WAL + synchronous=FULL: a commit is durable when it returns. */
	sqlite3_stmt *st = NULL;
	rc = sqlite3_prepare_v2(s->db, "PRAGMA journal_mode = WAL", -1, &st,
	                        NULL);
	if (rc == SQLITE_OK) {
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			const char *mode =
			    (const char *)sqlite3_column_text(st, 0);
			rc = str_eq(mode, "wal") ? SQLITE_OK : SQLITE_CANTOPEN;
		}
	}
	sqlite3_finalize(st);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(s->db,
		                  "PRAGMA synchronous = FULL; "
		                  "PRAGMA foreign_keys = ON; "
		                  /* Reads from the mapped file, not a
		                   * pread per page: a records search touches
		                   * hundreds of pages. Writes still go
		                   * through the WAL; only touched pages are
		                   * resident. */
		                  "PRAGMA mmap_size = 268435456;",
		                  NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		e = sq_error(s, rc, "setting up the database", err);
		goto fail;
	}

	if (version < to) {
		e = migrate(s, version, to, err);
		if (e != HTD_OK)
			goto fail;
	}
	if (to < store_schema_latest()) {
		*out = &s->base;
		return HTD_OK;
	}

	for (int i = 0; i < STMT__COUNT; i++) {
		rc = sqlite3_prepare_v3(s->db, stmt_sql[i], -1,
		                        SQLITE_PREPARE_PERSISTENT, &s->stmt[i],
		                        NULL);
		if (rc != SQLITE_OK) {
			e = sq_error(s, rc, "preparing statements", err);
			goto fail;
		}
	}
	struct buf sql;
	buf_init(&sql, 0);
	(void)buf_puts(&sql, "INSERT OR IGNORE INTO record_keys (key, "
	                     "record_id) VALUES ");
	for (int i = 0; i < KEY_ROWS; i++)
		(void)buf_printf(&sql, "%s(?%d, ?%d)", i ? ", " : "", 2 * i + 1,
		                 2 * i + 2);
	rc = sqlite3_prepare_v3(s->db, buf_str(&sql), -1,
	                        SQLITE_PREPARE_PERSISTENT, &s->key_rows, NULL);
	buf_free(&sql);
	if (rc != SQLITE_OK) {
		e = sq_error(s, rc, "preparing statements", err);
		goto fail;
	}
	*out = &s->base;
	return HTD_OK;
fail:
	sq_close(&s->base);
	*out = NULL;
	return e;
}

enum htd_err sqlite_store_open(const struct store_options *opts,
                               struct store **out, struct htd_error *err)
{
	return open_at(opts, store_schema_latest(), out, err);
}

enum htd_err sqlite_store_create_at(const char *path, int version,
                                    struct htd_error *err)
{
	if (version < 1 || version > store_schema_latest())
		return htd_error_set(err, HTD_ERR_INVALID,
		                     "no schema version %d (1 to %d)", version,
		                     store_schema_latest());
	struct store_options o = { .path = path, .create = true };
	struct store *s = NULL;
	enum htd_err e = open_at(&o, version, &s, err);
	if (e == HTD_OK && store_schema_version(s) > version)
		e = htd_error_set(err, HTD_ERR_SCHEMA_NEWER,
		                  "%s is already at schema version %d", path,
		                  store_schema_version(s));
	if (s)
		sq_close(s);
	return e;
}
