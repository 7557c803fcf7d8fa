/*
 * audit.c - opening the audit database, SQLite done carefully: schema
 * versioned by user_version and migrated in one transaction, WAL,
 * synchronous=FULL, a busy timeout, statements prepared once from one
 * table and reset after use.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "store/audit.h"
#include "store/store_int.h"
#include "util/log.h"

static const char *const stmt_sql[ST_COUNT] = {
	[ST_RUN_BEGIN] = "INSERT INTO runs(started, command, host, "
	    "config_sha256, policy_sha256) VALUES (?, ?, ?, ?, ?)",
	[ST_RUN_END] = "UPDATE runs SET ended = ?, outcome = ?, exit_code = ?, "
	    "assigns = ?, unassigns = ?, unfulfilled = ?, skipped = ?, "
	    "message = ?, failed = ?, forced = ? WHERE id = ?",
	[ST_OWNED] = "SELECT user, since FROM ownership WHERE sku = ?",
	[ST_SEEN] = "SELECT user, first_seen FROM entitlements WHERE sku = ?",
	[ST_SEEN_ADD] = "INSERT OR IGNORE INTO entitlements(sku, user, "
	    "first_seen) VALUES (?, ?, ?)",
	[ST_SEEN_DEL] = "DELETE FROM entitlements WHERE sku = ? AND user = ?",
	[ST_UNENT] = "SELECT user, since FROM unentitled WHERE sku = ?",
	[ST_UNENT_ADD] = "INSERT OR IGNORE INTO unentitled(sku, user, since) "
	    "VALUES (?, ?, ?)",
	[ST_UNENT_DEL] = "DELETE FROM unentitled WHERE sku = ? AND user = ?",
	[ST_GROUP_SIZE] = "SELECT users FROM group_sizes WHERE dn = ?",
	[ST_GROUP_SIZE_SET] = "INSERT OR REPLACE INTO group_sizes(dn, users, "
	    "run_id) VALUES (?, ?, ?)",
	[ST_UNRESOLVED] = "SELECT id, action, sku, user FROM changes WHERE "
	    "result = 'pending' ORDER BY id",
	[ST_CRASHED] = "UPDATE runs SET outcome = 'interrupted' WHERE "
	    "outcome = 'running' AND id <> ?",
	[ST_KEY_GET] = "SELECT key FROM plan_key WHERE id = 1",
	[ST_KEY_SET] = "INSERT INTO plan_key(id, key) VALUES (1, ?)",
	[ST_ROW] = "SELECT " CHAIN_COLUMNS " FROM changes WHERE id = ?",
	[ST_CHAIN] = "UPDATE changes SET seq = ?, hash = ? WHERE id = ?",
	[ST_HEAD] = "SELECT seq, hash FROM changes WHERE seq = "
	    "(SELECT max(seq) FROM changes)",
	[ST_CHECKPOINT] = "SELECT seq, hash FROM chain_checkpoint WHERE id = 1",
	[ST_PENDING] = "INSERT INTO changes(run_id, action, app, sku, user, "
	    "reason, created) VALUES (?, ?, ?, ?, ?, ?, ?)",
	[ST_RESULT] = "UPDATE changes SET result = ?, outcome = ?, "
	    "error_code = ?, error_message = ?, request_id = ?, attempts = ?, "
	    "finished = ? WHERE id = ?",
	[ST_OWN] = "INSERT OR REPLACE INTO ownership(sku, user, since, run_id) "
	    "VALUES (?, ?, ?, ?)",
	[ST_DISOWN] = "DELETE FROM ownership WHERE sku = ? AND user = ?",
	[ST_SEATS_ADD] = "INSERT OR REPLACE INTO seats(run_id, pos, app, sku, "
	    "kind, value) VALUES (?, ?, ?, ?, ?, ?)",
	[ST_SEATS_RUN] = "SELECT max(run_id) FROM seats",
	[ST_SEATS_GET] = "SELECT pos, app, sku, kind, value FROM seats WHERE "
	    "run_id = ? ORDER BY pos",
	[ST_VIEW_SYNC] = "SELECT delta_link, full_read, stale FROM "
	    "tenant_sync WHERE backend = ?",
	[ST_VIEW_SYNC_SET] = "INSERT OR REPLACE INTO tenant_sync(backend, "
	    "delta_link, full_read, stale) VALUES (?, ?, ?, 0)",
	[ST_VIEW_STALE] = "UPDATE tenant_sync SET stale = stale + 1 WHERE "
	    "backend = ?",
	[ST_VIEW_CLEAR] = "DELETE FROM tenant_users WHERE backend = ?",
	[ST_VIEW_PUT] = "INSERT OR REPLACE INTO tenant_users(backend, id, "
	    "user, unlicensable, licenses) VALUES (?, ?, ?, ?, ?)",
	[ST_VIEW_DEL] = "DELETE FROM tenant_users WHERE backend = ? AND id = ?",
	[ST_VIEW_GET] = "SELECT user, unlicensable, licenses FROM tenant_users "
	    "WHERE backend = ? AND id = ?",
	[ST_VIEW_EACH] = "SELECT id, user, unlicensable, licenses FROM "
	    "tenant_users WHERE backend = ? ORDER BY id",
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	[ST_SAVEPOINT] = "SAVEPOINT audit_write",
	[ST_RELEASE] = "RELEASE audit_write",
	[ST_ROLLBACK_TO] = "ROLLBACK TO audit_write",
};

/* Migrations: schema_sql[i] brings user_version i to i + 1. */
static const char *const schema_sql[] = {
	"CREATE TABLE runs ("
	"  id INTEGER PRIMARY KEY,"
	"  started INTEGER NOT NULL,"
	"  ended INTEGER,"
	"  command TEXT NOT NULL,"
	"  host TEXT NOT NULL,"
	"  config_sha256 TEXT NOT NULL,"
	"  policy_sha256 TEXT NOT NULL,"
	"  outcome TEXT NOT NULL DEFAULT 'running',"
	"  exit_code INTEGER,"
	"  assigns INTEGER NOT NULL DEFAULT 0,"
	"  unassigns INTEGER NOT NULL DEFAULT 0,"
	"  unfulfilled INTEGER NOT NULL DEFAULT 0,"
	"  skipped INTEGER NOT NULL DEFAULT 0,"
	"  message TEXT);"
	"CREATE TABLE entitlements ("
	"  sku TEXT NOT NULL,"
	"  user TEXT NOT NULL,"
	"  first_seen INTEGER NOT NULL,"
	"  PRIMARY KEY (sku, user)) WITHOUT ROWID;"
	"CREATE TABLE ownership ("
	"  sku TEXT NOT NULL,"
	"  user TEXT NOT NULL,"
	"  since INTEGER NOT NULL,"
	"  run_id INTEGER REFERENCES runs(id),"
	"  PRIMARY KEY (sku, user)) WITHOUT ROWID;",
	/* 2: every change and its outcome */
	"ALTER TABLE runs ADD COLUMN failed INTEGER NOT NULL DEFAULT 0;"
	"CREATE TABLE changes ("
	"  id INTEGER PRIMARY KEY,"
	"  run_id INTEGER NOT NULL REFERENCES runs(id),"
	"  action TEXT NOT NULL,"
	"  app TEXT NOT NULL,"
	"  sku TEXT NOT NULL,"
	"  user TEXT NOT NULL,"
	"  reason TEXT NOT NULL,"
	"  result TEXT NOT NULL DEFAULT 'pending',"
	"  outcome TEXT,"
	"  error_code TEXT,"
	"  error_message TEXT,"
	"  request_id TEXT,"
	"  attempts INTEGER NOT NULL DEFAULT 0,"
	"  created INTEGER NOT NULL,"
	"  finished INTEGER);"
	"CREATE INDEX changes_run ON changes(run_id);"
	"CREATE INDEX changes_user ON changes(user);",
	/* 3: grace clocks, group sizes for the guard, run flags, the key
	 * that signs saved plans */
	"CREATE TABLE unentitled ("
	"  sku TEXT NOT NULL,"
	"  user TEXT NOT NULL,"
	"  since INTEGER NOT NULL,"
	"  PRIMARY KEY (sku, user)) WITHOUT ROWID;"
	"CREATE TABLE group_sizes ("
	"  dn TEXT PRIMARY KEY,"
	"  users INTEGER NOT NULL,"
	"  run_id INTEGER NOT NULL) WITHOUT ROWID;"
	"ALTER TABLE runs ADD COLUMN forced INTEGER NOT NULL DEFAULT 0;"
	"CREATE TABLE plan_key (id INTEGER PRIMARY KEY CHECK (id = 1),"
	"  key BLOB NOT NULL);",
	/* 4: the hash chain over change rows, and where pruning cut it */
	"ALTER TABLE changes ADD COLUMN seq INTEGER;"
	"ALTER TABLE changes ADD COLUMN hash TEXT;"
	"CREATE UNIQUE INDEX changes_seq ON changes(seq);"
	"CREATE TABLE chain_checkpoint (id INTEGER PRIMARY KEY CHECK (id = 1),"
	"  seq INTEGER NOT NULL, hash TEXT NOT NULL);",
	/* 5: the seats of each app as each run left them, for status */
	"CREATE TABLE seats ("
	"  run_id INTEGER NOT NULL REFERENCES runs(id),"
	"  pos INTEGER NOT NULL,"
	"  app TEXT NOT NULL,"
	"  sku TEXT NOT NULL,"
	"  kind TEXT NOT NULL,"
	"  value INTEGER NOT NULL,"
	"  PRIMARY KEY (run_id, pos, kind)) WITHOUT ROWID;",
	/* 6: the tenant's users as a backend's delta reads last left them */
	"CREATE TABLE tenant_users ("
	"  backend TEXT NOT NULL,"
	"  id TEXT NOT NULL,"
	"  user TEXT NOT NULL,"
	"  unlicensable TEXT,"
	"  licenses TEXT NOT NULL,"
	"  PRIMARY KEY (backend, id)) WITHOUT ROWID;"
	"CREATE TABLE tenant_sync ("
	"  backend TEXT PRIMARY KEY,"
	"  delta_link TEXT,"
	"  full_read INTEGER NOT NULL,"
	"  stale INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;",
};

#define SCHEMA_VERSION ((int)(sizeof(schema_sql) / sizeof(schema_sql[0])))

static int
user_version(struct audit *a, int *v, struct err *e)
{
	sqlite3_stmt *st = NULL;

	*v = 0;
	if (sqlite3_prepare_v2(a->db, "PRAGMA user_version", -1, &st, NULL) !=
	    SQLITE_OK || sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_finalize(st);
		return db_err(a, e, "cannot read the schema version");
	}
	*v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return EXIT_OK;
}

static int
migrate(struct audit *a, struct err *e)
{
	char pragma[64];
	int v, r;

	if ((r = db_exec(a, "BEGIN IMMEDIATE", "begin", e)) != EXIT_OK)
		return r;
	if ((r = user_version(a, &v, e)) != EXIT_OK)
		goto fail;
	if (v > SCHEMA_VERSION) {
		err_set(e, "%s: schema version %d is newer than this licsync "
		    "knows (%d)", a->path, v, SCHEMA_VERSION);
		r = EXIT_DATABASE;
		goto fail;
	}
	for (; v < SCHEMA_VERSION; v++) {
		if ((r = db_exec(a, schema_sql[v], "migration", e)) != EXIT_OK)
			goto fail;
		snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d",
		    v + 1);
		if ((r = db_exec(a, pragma, "migration", e)) != EXIT_OK)
			goto fail;
		log_debug("database schema migrated to version %d", v + 1);
		if (v + 1 == 4)
			a->chain_existing = true;
	}
	return db_exec(a, "COMMIT", "commit", e);
fail:
	sqlite3_exec(a->db, "ROLLBACK", NULL, NULL, NULL);
	return r;
}

/* Every statement of the table, prepared once for the connection. */
static int
prepare_all(struct audit *a, struct err *e)
{
	int i;

	for (i = 0; i < ST_COUNT; i++)
		if (sqlite3_prepare_v3(a->db, stmt_sql[i], -1,
		    SQLITE_PREPARE_PERSISTENT, &a->st[i], NULL) != SQLITE_OK)
			return db_err(a, e, "cannot prepare a statement");
	return EXIT_OK;
}

int
audit_open(const char *path, struct audit **out, struct err *e)
{
	struct audit *a = xcalloc(1, sizeof(*a));
	int fd, r = EXIT_DATABASE;

	*out = NULL;
	a->path = xstrdup(path);
	/* Create it private before SQLite does (its -wal and -shm files
	 * take the database file's mode). */
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		err_set(e, "%s: cannot open the database: %s", path,
		    strerror(errno));
		goto out;
	}
	close(fd);
	if (sqlite3_open_v2(path, &a->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_NOFOLLOW, NULL) != SQLITE_OK) {
		r = db_err(a, e, "cannot open the database");
		goto out;
	}
	sqlite3_busy_timeout(a->db, 10000);
	if ((r = db_exec(a, "PRAGMA journal_mode = WAL; "
	    "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON",
	    "cannot set up the database", e)) != EXIT_OK)
		goto out;
	if ((r = migrate(a, e)) != EXIT_OK)
		goto out;
	if ((r = prepare_all(a, e)) != EXIT_OK)
		goto out;
	if (a->chain_existing && (r = chain_unlinked(a, e)) != EXIT_OK)
		goto out;
	*out = a;
	a = NULL;
	r = EXIT_OK;
out:
	audit_close(a);
	return r;
}

bool
audit_exists(const char *path)
{
	return access(path, F_OK) == 0 || errno != ENOENT;
}

int
audit_open_readonly(const char *path, struct audit **out, struct err *e)
{
	struct audit *a = xcalloc(1, sizeof(*a));
	int v, r = EXIT_DATABASE;

	*out = NULL;
	a->path = xstrdup(path);
	if (sqlite3_open_v2(path, &a->db, SQLITE_OPEN_READONLY |
	    SQLITE_OPEN_NOFOLLOW, NULL) != SQLITE_OK) {
		r = db_err(a, e, "cannot open the database");
		goto out;
	}
	sqlite3_busy_timeout(a->db, 10000);
	if ((r = user_version(a, &v, e)) != EXIT_OK)
		goto out;
	if (v != SCHEMA_VERSION) {
		err_set(e, "%s: schema version %d, this licsync reads %d; run "
		    "licsync plan once to migrate it", path, v, SCHEMA_VERSION);
		r = EXIT_DATABASE;
		goto out;
	}
	/* Write statements prepare on a read-only connection too; they
	 * just cannot run. */
	if ((r = prepare_all(a, e)) != EXIT_OK)
		goto out;
	*out = a;
	a = NULL;
	r = EXIT_OK;
out:
	audit_close(a);
	return r;
}

void
audit_close(struct audit *a)
{
	int i;

	if (a == NULL)
		return;
	for (i = 0; i < ST_COUNT; i++)
		sqlite3_finalize(a->st[i]);
	sqlite3_close(a->db);
	free(a->path);
	free(a);
}
