/*
 * audit.c - SQLite done carefully: schema versioned by user_version, WAL,
 * synchronous=FULL, a busy timeout, statements prepared once from one
 * table and reset after use.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/rand.h>
#include <sqlite3.h>

#include "store/audit.h"
#include "util/log.h"

/* What a change row's hash covers, in this order. */
#define CHAIN_COLUMNS "id, run_id, action, app, sku, user, reason, result, " \
	"outcome, error_code, error_message, request_id, attempts, created, " \
	"finished"
#define CHAIN_NCOLUMNS 15
#define GENESIS "0000000000000000000000000000000000000000000000000000000000000000"

enum stmt {
	ST_RUN_BEGIN,
	ST_RUN_END,
	ST_OWNED,
	ST_SEEN,
	ST_SEEN_ADD,
	ST_SEEN_DEL,
	ST_UNENT,
	ST_UNENT_ADD,
	ST_UNENT_DEL,
	ST_GROUP_SIZE,
	ST_GROUP_SIZE_SET,
	ST_UNRESOLVED,
	ST_CRASHED,
	ST_KEY_GET,
	ST_KEY_SET,
	ST_ROW,
	ST_CHAIN,
	ST_HEAD,
	ST_CHECKPOINT,
	ST_PENDING,
	ST_RESULT,
	ST_OWN,
	ST_DISOWN,
	ST_SEATS_ADD,
	ST_SEATS_RUN,
	ST_SEATS_GET,
	ST_BEGIN,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_COUNT
};

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
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
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
};

#define SCHEMA_VERSION ((int)(sizeof(schema_sql) / sizeof(schema_sql[0])))

struct audit {
	sqlite3 *db;
	char *path;
	sqlite3_stmt *st[ST_COUNT];
	/* the head of the hash chain, once read */
	bool head_known;
	int64_t head_seq;
	char head_hash[65];
	bool chain_existing;    /* migrated to 4: chain the rows it had */
};

static int
db_err(struct audit *a, struct err *e, const char *what)
{
	err_set(e, "%s: %s: %s", a->path, what, sqlite3_errmsg(a->db));
	return EXIT_DATABASE;
}

static int
exec(struct audit *a, const char *sql, const char *what, struct err *e)
{
	char *msg = NULL;

	if (sqlite3_exec(a->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		err_set(e, "%s: %s: %s", a->path, what,
		    msg != NULL ? msg : sqlite3_errmsg(a->db));
		sqlite3_free(msg);
		return EXIT_DATABASE;
	}
	return EXIT_OK;
}

static int
user_version(struct audit *a, int *v, struct err *e)
{
	sqlite3_stmt *st = NULL;

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

	if ((r = exec(a, "BEGIN IMMEDIATE", "begin", e)) != EXIT_OK)
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
		if ((r = exec(a, schema_sql[v], "migration", e)) != EXIT_OK)
			goto fail;
		snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d",
		    v + 1);
		if ((r = exec(a, pragma, "migration", e)) != EXIT_OK)
			goto fail;
		log_debug("database schema migrated to version %d", v + 1);
		if (v + 1 == 4)
			a->chain_existing = true;
	}
	return exec(a, "COMMIT", "commit", e);
fail:
	sqlite3_exec(a->db, "ROLLBACK", NULL, NULL, NULL);
	return r;
}

static int chain_link(struct audit *a, int64_t id, struct err *e);

/* Schema 4 met rows finalised before the chain existed: chain them in the
 * order they were finalised. */
static int
chain_all(struct audit *a, struct err *e)
{
	sqlite3_stmt *st = NULL;
	int64_t *ids = NULL;
	size_t n = 0, cap = 0, i;
	int r;

	if (sqlite3_prepare_v2(a->db, "SELECT id FROM changes WHERE seq IS NULL "
	    "AND result <> 'pending' ORDER BY finished, id", -1, &st, NULL) !=
	    SQLITE_OK)
		return db_err(a, e, "cannot chain existing rows");
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? cap * 2 : 256;
			ids = xreallocarray(ids, cap, sizeof(*ids));
		}
		ids[n++] = sqlite3_column_int64(st, 0);
	}
	sqlite3_finalize(st);
	if ((r = audit_begin(a, e)) != EXIT_OK)
		goto out;
	for (i = 0; i < n && r == EXIT_OK; i++)
		r = chain_link(a, ids[i], e);
	if (r == EXIT_OK)
		r = audit_commit(a, e);
	else
		audit_rollback(a);
out:
	free(ids);
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
	if ((r = exec(a, "PRAGMA journal_mode = WAL; "
	    "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON",
	    "cannot set up the database", e)) != EXIT_OK)
		goto out;
	if ((r = migrate(a, e)) != EXIT_OK)
		goto out;
	if ((r = prepare_all(a, e)) != EXIT_OK)
		goto out;
	if (a->chain_existing && (r = chain_all(a, e)) != EXIT_OK)
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

/* Step a write statement to its end and reset it. */
static int
step_done(struct audit *a, enum stmt s, struct err *e)
{
	int rc = sqlite3_step(a->st[s]);

	sqlite3_reset(a->st[s]);
	sqlite3_clear_bindings(a->st[s]);
	if (rc != SQLITE_DONE)
		return db_err(a, e, "write failed");
	return EXIT_OK;
}

static void
bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s == NULL)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
}

int
audit_begin(struct audit *a, struct err *e)
{
	return step_done(a, ST_BEGIN, e);
}

int
audit_commit(struct audit *a, struct err *e)
{
	return step_done(a, ST_COMMIT, e);
}

void
audit_rollback(struct audit *a)
{
	a->head_known = false;
	if (!sqlite3_get_autocommit(a->db))
		step_done(a, ST_ROLLBACK, NULL);
}

int
audit_run_begin(struct audit *a, const struct run_info *ri, int64_t *run_id,
    struct err *e)
{
	sqlite3_stmt *st = a->st[ST_RUN_BEGIN];
	int r;

	sqlite3_bind_int64(st, 1, ri->started);
	bind_text(st, 2, ri->command);
	bind_text(st, 3, ri->host);
	bind_text(st, 4, ri->config_sha256);
	bind_text(st, 5, ri->policy_sha256);
	if ((r = step_done(a, ST_RUN_BEGIN, e)) != EXIT_OK)
		return r;
	*run_id = sqlite3_last_insert_rowid(a->db);
	return EXIT_OK;
}

int
audit_run_end(struct audit *a, int64_t run_id, const struct run_result *rr,
    struct err *e)
{
	sqlite3_stmt *st = a->st[ST_RUN_END];

	sqlite3_bind_int64(st, 1, rr->ended);
	bind_text(st, 2, rr->outcome);
	sqlite3_bind_int(st, 3, rr->exit_code);
	sqlite3_bind_int64(st, 4, rr->assigns);
	sqlite3_bind_int64(st, 5, rr->unassigns);
	sqlite3_bind_int64(st, 6, rr->unfulfilled);
	sqlite3_bind_int64(st, 7, rr->skipped);
	bind_text(st, 8, rr->message);
	sqlite3_bind_int64(st, 9, rr->failed);
	sqlite3_bind_int(st, 10, rr->forced ? 1 : 0);
	sqlite3_bind_int64(st, 11, run_id);
	return step_done(a, ST_RUN_END, e);
}

/* Rows of (user, time) for SKU from statement S, users interned. */
static int
user_times(struct audit *a, enum stmt s, const char *sku, struct intern *keys,
    struct rc_seen **rows, size_t *n, const char *what, struct err *e)
{
	sqlite3_stmt *st = a->st[s];
	size_t cap = 0;
	int rc;

	*rows = NULL;
	*n = 0;
	bind_text(st, 1, sku);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *u = (const char *)sqlite3_column_text(st, 0);

		if (u == NULL)
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 64;
			*rows = xreallocarray(*rows, cap, sizeof(**rows));
		}
		(*rows)[*n].user = intern_add(keys, u);
		(*rows)[*n].first = sqlite3_column_int64(st, 1);
		(*n)++;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		free(*rows);
		*rows = NULL;
		*n = 0;
		return db_err(a, e, what);
	}
	return EXIT_OK;
}

int
audit_owned(struct audit *a, const char *sku, struct intern *keys,
    uint32_t **ids, size_t *n, struct err *e)
{
	struct rc_seen *rows;
	size_t i;
	int r;

	*ids = NULL;
	r = user_times(a, ST_OWNED, sku, keys, &rows, n, "cannot read "
	    "ownership", e);
	if (r != EXIT_OK)
		return r;
	*ids = xcalloc(*n, sizeof(**ids));
	for (i = 0; i < *n; i++)
		(*ids)[i] = rows[i].user;
	free(rows);
	if (*n > 0)
		qsort(*ids, *n, sizeof(**ids), u32_cmp);
	return EXIT_OK;
}

int
audit_seen(struct audit *a, const char *sku, struct intern *keys,
    struct rc_seen **seen, size_t *n, struct err *e)
{
	return user_times(a, ST_SEEN, sku, keys, seen, n, "cannot read "
	    "entitlement history", e);
}

/*
 * Make the rows of SKU in one (sku, user, time) table be exactly CUR: rows
 * of OLD (what the table holds) not in CUR go, rows of CUR not in OLD come
 * with their time; rows in both keep their old time.
 */
static int
sync_set(struct audit *a, enum stmt add, enum stmt del, const char *sku,
    const struct intern *keys, const struct rc_seen *cur, size_t ncur,
    const struct rc_seen *old, size_t nold, struct err *e)
{
	uint32_t *o = xcalloc(nold, sizeof(*o)), *c = xcalloc(ncur, sizeof(*c));
	size_t i;
	int r = EXIT_OK;

	for (i = 0; i < nold; i++)
		o[i] = old[i].user;
	for (i = 0; i < ncur; i++)
		c[i] = cur[i].user;
	qsort(o, nold, sizeof(*o), u32_cmp);
	qsort(c, ncur, sizeof(*c), u32_cmp);
	for (i = 0; i < nold && r == EXIT_OK; i++) {
		if (u32_in_sorted(c, ncur, old[i].user))
			continue;
		bind_text(a->st[del], 1, sku);
		bind_text(a->st[del], 2, intern_str(keys, old[i].user));
		r = step_done(a, del, e);
	}
	for (i = 0; i < ncur && r == EXIT_OK; i++) {
		if (u32_in_sorted(o, nold, cur[i].user))
			continue;
		bind_text(a->st[add], 1, sku);
		bind_text(a->st[add], 2, intern_str(keys, cur[i].user));
		sqlite3_bind_int64(a->st[add], 3, cur[i].first);
		r = step_done(a, add, e);
	}
	free(o);
	free(c);
	return r;
}

int
audit_record_entitled(struct audit *a, const char *sku,
    const struct intern *keys, const uint32_t *ids, size_t n,
    const struct rc_seen *seen, size_t nseen, int64_t now, struct err *e)
{
	struct rc_seen *cur = xcalloc(n, sizeof(*cur));
	size_t i;
	int r;

	for (i = 0; i < n; i++) {
		cur[i].user = ids[i];
		cur[i].first = now;
	}
	r = sync_set(a, ST_SEEN_ADD, ST_SEEN_DEL, sku, keys, cur, n, seen,
	    nseen, e);
	free(cur);
	return r;
}

int
audit_unentitled(struct audit *a, const char *sku, struct intern *keys,
    struct rc_seen **rows, size_t *n, struct err *e)
{
	return user_times(a, ST_UNENT, sku, keys, rows, n, "cannot read "
	    "the grace clocks", e);
}

int
audit_record_unentitled(struct audit *a, const char *sku,
    const struct intern *keys, const struct rc_seen *cur, size_t ncur,
    const struct rc_seen *old, size_t nold, struct err *e)
{
	return sync_set(a, ST_UNENT_ADD, ST_UNENT_DEL, sku, keys, cur, ncur,
	    old, nold, e);
}

int
audit_pending(struct audit *a, int64_t run_id, const struct change_row *rows,
    size_t n, int64_t now, int64_t *ids, struct err *e)
{
	sqlite3_stmt *st = a->st[ST_PENDING];
	size_t i;
	int r;

	if ((r = audit_begin(a, e)) != EXIT_OK)
		return r;
	for (i = 0; i < n; i++) {
		sqlite3_bind_int64(st, 1, run_id);
		bind_text(st, 2, rows[i].action);
		bind_text(st, 3, rows[i].app);
		bind_text(st, 4, rows[i].sku);
		bind_text(st, 5, rows[i].user);
		bind_text(st, 6, rows[i].reason);
		sqlite3_bind_int64(st, 7, now);
		if ((r = step_done(a, ST_PENDING, e)) != EXIT_OK) {
			audit_rollback(a);
			return r;
		}
		ids[i] = sqlite3_last_insert_rowid(a->db);
	}
	return audit_commit(a, e);
}

/* SHA-256 of PREV, a newline, and the row's columns (CHAIN_COLUMNS)
 * separated by 0x1f, NULL written as 0x1e. */
static void
row_hash(sqlite3_stmt *st, int first, const char *prev, char out[65])
{
	struct buf b = { 0 };
	int i;

	buf_addstr(&b, prev);
	buf_addstr(&b, "\n");
	for (i = 0; i < CHAIN_NCOLUMNS; i++) {
		const char *v = (const char *)sqlite3_column_text(st, first + i);

		if (i > 0)
			buf_add(&b, "\x1f", 1);
		if (v == NULL)
			buf_add(&b, "\x1e", 1);
		else
			buf_addstr(&b, v);
	}
	sha256_hex(b.data, b.len, out);
	buf_free(&b);
}

/* The seq and hash the next row chains to: the last row, else the
 * checkpoint pruning left, else the start. */
static int
chain_head(struct audit *a, struct err *e)
{
	sqlite3_stmt *st;
	int rc, pass;

	if (a->head_known)
		return EXIT_OK;
	a->head_seq = 0;
	snprintf(a->head_hash, sizeof(a->head_hash), "%s", GENESIS);
	for (pass = 0; pass < 2; pass++) {
		st = a->st[pass == 0 ? ST_HEAD : ST_CHECKPOINT];
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW && sqlite3_column_type(st, 0) !=
		    SQLITE_NULL) {
			a->head_seq = sqlite3_column_int64(st, 0);
			snprintf(a->head_hash, sizeof(a->head_hash), "%s",
			    (const char *)sqlite3_column_text(st, 1));
			sqlite3_reset(st);
			break;
		}
		sqlite3_reset(st);
		if (rc != SQLITE_ROW && rc != SQLITE_DONE)
			return db_err(a, e, "cannot read the hash chain");
	}
	a->head_known = true;
	return EXIT_OK;
}

/* Link the finalised row ID into the chain. */
static int
chain_link(struct audit *a, int64_t id, struct err *e)
{
	sqlite3_stmt *st = a->st[ST_ROW];
	char hash[65];
	int r;

	if ((r = chain_head(a, e)) != EXIT_OK)
		return r;
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_reset(st);
		return db_err(a, e, "cannot read a change row");
	}
	row_hash(st, 0, a->head_hash, hash);
	sqlite3_reset(st);
	sqlite3_bind_int64(a->st[ST_CHAIN], 1, a->head_seq + 1);
	sqlite3_bind_text(a->st[ST_CHAIN], 2, hash, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(a->st[ST_CHAIN], 3, id);
	if ((r = step_done(a, ST_CHAIN, e)) != EXIT_OK)
		return r;
	a->head_seq++;
	memcpy(a->head_hash, hash, sizeof(hash));
	return EXIT_OK;
}

int
audit_result(struct audit *a, int64_t id, const struct change_result *cr,
    struct err *e)
{
	sqlite3_stmt *st = a->st[ST_RESULT];
	int r;

	bind_text(st, 1, cr->result);
	bind_text(st, 2, cr->outcome);
	bind_text(st, 3, cr->error_code);
	bind_text(st, 4, cr->error_message);
	bind_text(st, 5, cr->request_id);
	sqlite3_bind_int(st, 6, cr->attempts);
	sqlite3_bind_int64(st, 7, cr->finished);
	sqlite3_bind_int64(st, 8, id);
	if ((r = step_done(a, ST_RESULT, e)) != EXIT_OK)
		return r;
	return chain_link(a, id, e);
}

int
audit_own(struct audit *a, const char *sku, const char *user, int64_t since,
    int64_t run_id, struct err *e)
{
	sqlite3_stmt *st = a->st[ST_OWN];

	bind_text(st, 1, sku);
	bind_text(st, 2, user);
	sqlite3_bind_int64(st, 3, since);
	sqlite3_bind_int64(st, 4, run_id);
	return step_done(a, ST_OWN, e);
}

int
audit_disown(struct audit *a, const char *sku, const char *user,
    struct err *e)
{
	bind_text(a->st[ST_DISOWN], 1, sku);
	bind_text(a->st[ST_DISOWN], 2, user);
	return step_done(a, ST_DISOWN, e);
}

static const char *
col_text(sqlite3_stmt *st, int i)
{
	return (const char *)sqlite3_column_text(st, i);
}

/* The filters become bound parameters of one ad-hoc statement. */
static void
filter_sql(const struct audit_filter *f, struct buf *sql)
{
	buf_addstr(sql, "SELECT id, run_id, coalesce(finished, created), "
	    "action, app, sku, user, reason, result, outcome, error_code, "
	    "error_message, request_id, attempts FROM changes WHERE 1");
	if (f->run > 0)
		buf_addstr(sql, " AND run_id = ?1");
	if (f->run < 0)
		buf_addstr(sql, " AND run_id = (SELECT max(run_id) FROM "
		    "changes)");
	if (f->since > 0)
		buf_addstr(sql, " AND coalesce(finished, created) >= ?2");
	if (f->user != NULL)
		buf_addstr(sql, " AND user = lower(?3)");
	if (f->app != NULL)
		buf_addstr(sql, " AND app = ?4");
	if (f->result != NULL)
		buf_addstr(sql, " AND result = ?5");
	if (f->until > 0)
		buf_addstr(sql, " AND coalesce(finished, created) < ?6");
	if (f->action != NULL)
		buf_addstr(sql, " AND action = ?7");
	buf_addstr(sql, " ORDER BY id");
}

int
audit_changes(struct audit *a, const struct audit_filter *f,
    audit_change_fn fn, void *ctx, struct err *e)
{
	struct buf sql = { 0 };
	sqlite3_stmt *st = NULL;
	struct audit_change c;
	int rc = SQLITE_DONE, r = EXIT_OK;

	filter_sql(f, &sql);
	if (sqlite3_prepare_v2(a->db, sql.data, -1, &st, NULL) != SQLITE_OK) {
		r = db_err(a, e, "cannot query changes");
		goto out;
	}
	if (f->run > 0)
		sqlite3_bind_int64(st, 1, f->run);
	sqlite3_bind_int64(st, 2, f->since);
	bind_text(st, 3, f->user);
	bind_text(st, 4, f->app);
	bind_text(st, 5, f->result);
	sqlite3_bind_int64(st, 6, f->until);
	bind_text(st, 7, f->action);
	for (;;) {
		rc = sqlite3_step(st);
		if (rc != SQLITE_ROW)
			break;
		c.id = sqlite3_column_int64(st, 0);
		c.run = sqlite3_column_int64(st, 1);
		c.time = sqlite3_column_int64(st, 2);
		c.action = col_text(st, 3);
		c.app = col_text(st, 4);
		c.sku = col_text(st, 5);
		c.user = col_text(st, 6);
		c.reason = col_text(st, 7);
		c.result = col_text(st, 8);
		c.outcome = col_text(st, 9);
		c.error_code = col_text(st, 10);
		c.error_message = col_text(st, 11);
		c.request_id = col_text(st, 12);
		c.attempts = sqlite3_column_int(st, 13);
		if ((r = fn(ctx, &c)) != EXIT_OK)
			break;
	}
	if (r == EXIT_OK && rc != SQLITE_DONE)
		r = db_err(a, e, "cannot query changes");
out:
	sqlite3_finalize(st);
	buf_free(&sql);
	return r;
}

int
audit_group_size(struct audit *a, const char *dn, long *users, struct err *e)
{
	sqlite3_stmt *st = a->st[ST_GROUP_SIZE];
	int rc;

	*users = -1;
	bind_text(st, 1, dn);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*users = (long)sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_err(a, e, "cannot read group sizes");
	return EXIT_OK;
}

int
audit_set_group_size(struct audit *a, const char *dn, long users,
    int64_t run_id, struct err *e)
{
	sqlite3_stmt *st = a->st[ST_GROUP_SIZE_SET];

	bind_text(st, 1, dn);
	sqlite3_bind_int64(st, 2, users);
	sqlite3_bind_int64(st, 3, run_id);
	return step_done(a, ST_GROUP_SIZE_SET, e);
}

int
audit_unresolved(struct audit *a, int64_t run_id, audit_pending_fn fn,
    void *ctx, struct err *e)
{
	sqlite3_stmt *st = a->st[ST_UNRESOLVED];
	int rc, r = EXIT_OK;

	sqlite3_bind_int64(a->st[ST_CRASHED], 1, run_id);
	if ((r = step_done(a, ST_CRASHED, e)) != EXIT_OK)
		return r;
	for (;;) {
		rc = sqlite3_step(st);
		if (rc != SQLITE_ROW)
			break;
		r = fn(ctx, sqlite3_column_int64(st, 0), col_text(st, 1),
		    col_text(st, 2), col_text(st, 3));
		if (r != EXIT_OK)
			break;
	}
	sqlite3_reset(st);
	if (r == EXIT_OK && rc != SQLITE_DONE)
		r = db_err(a, e, "cannot read pending changes");
	return r;
}

int
audit_plan_key(struct audit *a, unsigned char *key, size_t len, struct err *e)
{
	sqlite3_stmt *get = a->st[ST_KEY_GET], *set = a->st[ST_KEY_SET];
	int rc, r;

	rc = sqlite3_step(get);
	if (rc == SQLITE_ROW && (size_t)sqlite3_column_bytes(get, 0) == len) {
		memcpy(key, sqlite3_column_blob(get, 0), len);
		sqlite3_reset(get);
		return EXIT_OK;
	}
	sqlite3_reset(get);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_err(a, e, "cannot read the plan key");
	if (RAND_bytes(key, (int)len) != 1) {
		err_set(e, "cannot make a plan key: no randomness");
		return EXIT_DATABASE;
	}
	sqlite3_bind_blob(set, 1, key, (int)len, SQLITE_TRANSIENT);
	r = step_done(a, ST_KEY_SET, e);
	return r;
}

int
audit_runs(struct audit *a, const struct audit_filter *f, audit_run_fn fn,
    void *ctx, struct err *e)
{
	struct buf sql = { 0 };
	sqlite3_stmt *st = NULL;
	struct audit_run run;
	int rc = SQLITE_DONE, r = EXIT_OK;

	buf_addstr(&sql, "SELECT id, started, coalesce(ended, 0), command, "
	    "host, outcome, message, coalesce(exit_code, -1), assigns, "
	    "unassigns, unfulfilled, skipped, failed, forced FROM runs "
	    "WHERE 1");
	if (f->run > 0)
		buf_addstr(&sql, " AND id = ?1");
	if (f->run < 0)
		buf_addstr(&sql, " AND id = (SELECT max(id) FROM runs)");
	if (f->since > 0)
		buf_addstr(&sql, " AND started >= ?2");
	if (f->until > 0)
		buf_addstr(&sql, " AND started < ?3");
	buf_addstr(&sql, " ORDER BY id");
	if (sqlite3_prepare_v2(a->db, sql.data, -1, &st, NULL) != SQLITE_OK) {
		r = db_err(a, e, "cannot query runs");
		goto out;
	}
	sqlite3_bind_int64(st, 1, f->run);
	sqlite3_bind_int64(st, 2, f->since);
	sqlite3_bind_int64(st, 3, f->until);
	for (;;) {
		rc = sqlite3_step(st);
		if (rc != SQLITE_ROW)
			break;
		run.id = sqlite3_column_int64(st, 0);
		run.started = sqlite3_column_int64(st, 1);
		run.ended = sqlite3_column_int64(st, 2);
		run.command = col_text(st, 3);
		run.host = col_text(st, 4);
		run.outcome = col_text(st, 5);
		run.message = col_text(st, 6);
		run.exit_code = sqlite3_column_int(st, 7);
		run.assigns = (long)sqlite3_column_int64(st, 8);
		run.unassigns = (long)sqlite3_column_int64(st, 9);
		run.unfulfilled = (long)sqlite3_column_int64(st, 10);
		run.skipped = (long)sqlite3_column_int64(st, 11);
		run.failed = (long)sqlite3_column_int64(st, 12);
		run.forced = sqlite3_column_int(st, 13) != 0;
		if ((r = fn(ctx, &run)) != EXIT_OK)
			break;
	}
	if (r == EXIT_OK && rc != SQLITE_DONE)
		r = db_err(a, e, "cannot query runs");
out:
	sqlite3_finalize(st);
	buf_free(&sql);
	return r;
}

/* ---- tamper evidence ---- */

int
audit_verify(struct audit *a, struct chain_report *rep, struct err *e)
{
	sqlite3_stmt *st = NULL;
	int64_t expect;
	char prev[65], hash[65];
	int rc, r = EXIT_OK;

	memset(rep, 0, sizeof(*rep));
	a->head_known = false;
	if ((r = chain_head(a, e)) != EXIT_OK)
		return r;
	/* start from the checkpoint, if pruning left one */
	expect = 1;
	snprintf(prev, sizeof(prev), "%s", GENESIS);
	rc = sqlite3_step(a->st[ST_CHECKPOINT]);
	if (rc == SQLITE_ROW) {
		expect = sqlite3_column_int64(a->st[ST_CHECKPOINT], 0) + 1;
		snprintf(prev, sizeof(prev), "%s", (const char *)
		    sqlite3_column_text(a->st[ST_CHECKPOINT], 1));
	}
	sqlite3_reset(a->st[ST_CHECKPOINT]);
	if (sqlite3_prepare_v2(a->db, "SELECT seq, hash, " CHAIN_COLUMNS
	    " FROM changes WHERE seq IS NOT NULL ORDER BY seq", -1, &st,
	    NULL) != SQLITE_OK)
		return db_err(a, e, "cannot read the hash chain");
	for (;;) {
		int64_t seq;
		const char *stored;

		rc = sqlite3_step(st);
		if (rc != SQLITE_ROW)
			break;
		seq = sqlite3_column_int64(st, 0);
		stored = (const char *)sqlite3_column_text(st, 1);
		rep->bad_id = sqlite3_column_int64(st, 2);
		rep->bad_seq = seq;
		if (seq != expect) {
			snprintf(rep->what, sizeof(rep->what), "row %lld "
			    "(link %lld) follows link %lld: rows were deleted "
			    "before it", (long long)rep->bad_id, (long long)seq,
			    (long long)expect - 1);
			goto out;
		}
		row_hash(st, 2, prev, hash);
		if (stored == NULL || strcmp(stored, hash) != 0) {
			snprintf(rep->what, sizeof(rep->what), "row %lld "
			    "(link %lld) was altered: its hash does not match "
			    "its content and the row before it",
			    (long long)rep->bad_id, (long long)seq);
			goto out;
		}
		memcpy(prev, hash, sizeof(prev));
		expect++;
		rep->rows++;
	}
	if (rc != SQLITE_DONE) {
		r = db_err(a, e, "cannot read the hash chain");
		goto out;
	}
	sqlite3_finalize(st);
	st = NULL;
	/* finalised rows outside the chain were written around licsync */
	if (sqlite3_prepare_v2(a->db, "SELECT id FROM changes WHERE seq IS "
	    "NULL AND (result <> 'pending' OR finished IS NOT NULL) ORDER BY id "
	    "LIMIT 1", -1, &st, NULL) != SQLITE_OK)
		return db_err(a, e, "cannot read the hash chain");
	if (sqlite3_step(st) == SQLITE_ROW) {
		rep->bad_id = sqlite3_column_int64(st, 0);
		rep->bad_seq = 0;
		snprintf(rep->what, sizeof(rep->what), "row %lld is not in the "
		    "chain: inserted, or finalised outside licsync",
		    (long long)rep->bad_id);
		goto out;
	}
	rep->bad_id = rep->bad_seq = 0;
	rep->intact = true;
out:
	sqlite3_finalize(st);
	return r;
}

int
audit_prune(struct audit *a, int64_t before, int64_t *pruned, struct err *e)
{
	sqlite3_stmt *st = NULL;
	int64_t cut = 0;
	char hash[65] = "";
	int r;

	*pruned = 0;
	if ((r = audit_begin(a, e)) != EXIT_OK)
		return r;
	/* the longest run of links from the start, all finished before */
	if (sqlite3_prepare_v2(a->db, "SELECT coalesce((SELECT min(seq) FROM "
	    "changes WHERE seq IS NOT NULL AND finished >= ?1) - 1, "
	    "(SELECT max(seq) FROM changes), 0)", -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 1, before) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW) {
		r = db_err(a, e, "cannot prune");
		goto fail;
	}
	cut = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	st = NULL;
	if (cut <= 0)
		return audit_commit(a, e);
	if (sqlite3_prepare_v2(a->db, "SELECT hash FROM changes WHERE seq = ?",
	    -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 1, cut) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW) {
		r = db_err(a, e, "cannot prune");
		goto fail;
	}
	snprintf(hash, sizeof(hash), "%s", (const char *)
	    sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	st = NULL;
	if (sqlite3_prepare_v2(a->db, "INSERT OR REPLACE INTO chain_checkpoint"
	    "(id, seq, hash) VALUES (1, ?, ?)", -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 1, cut) != SQLITE_OK ||
	    sqlite3_bind_text(st, 2, hash, -1, SQLITE_TRANSIENT) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_DONE) {
		r = db_err(a, e, "cannot prune");
		goto fail;
	}
	sqlite3_finalize(st);
	st = NULL;
	if (sqlite3_prepare_v2(a->db, "DELETE FROM changes WHERE seq <= ?", -1,
	    &st, NULL) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 1, cut) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_DONE) {
		r = db_err(a, e, "cannot prune");
		goto fail;
	}
	*pruned = sqlite3_changes64(a->db);
	sqlite3_finalize(st);
	st = NULL;
	/* seat history goes with it; the latest stays for status */
	if (sqlite3_prepare_v2(a->db, "DELETE FROM seats WHERE run_id < "
	    "(SELECT max(run_id) FROM seats) AND run_id IN (SELECT id FROM "
	    "runs WHERE started < ?)", -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 1, before) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_DONE) {
		r = db_err(a, e, "cannot prune");
		goto fail;
	}
	sqlite3_finalize(st);
	return audit_commit(a, e);
fail:
	sqlite3_finalize(st);
	audit_rollback(a);
	return r;
}

/* ---- seats ---- */

int
audit_record_seats(struct audit *a, int64_t run_id,
    const struct app_status *apps, size_t n, struct err *e)
{
	sqlite3_stmt *st = a->st[ST_SEATS_ADD];
	size_t i, k;
	int r;

	if ((r = audit_begin(a, e)) != EXIT_OK)
		return r;
	for (i = 0; i < n; i++)
		for (k = 0; k < SEAT_NKINDS; k++) {
			sqlite3_bind_int64(st, 1, run_id);
			sqlite3_bind_int64(st, 2, (sqlite3_int64)i);
			bind_text(st, 3, apps[i].app);
			bind_text(st, 4, apps[i].sku);
			bind_text(st, 5, seat_kind_names[k]);
			sqlite3_bind_int64(st, 6, apps[i].seats[k]);
			if ((r = step_done(a, ST_SEATS_ADD, e)) != EXIT_OK) {
				audit_rollback(a);
				return r;
			}
		}
	return audit_commit(a, e);
}

static int
seat_kind(const char *name)
{
	int k;

	for (k = 0; k < SEAT_NKINDS; k++)
		if (strcmp(name, seat_kind_names[k]) == 0)
			return k;
	return -1;
}

int
audit_last_seats(struct audit *a, int64_t *run_id, struct app_status **apps,
    size_t *n, struct err *e)
{
	sqlite3_stmt *st = a->st[ST_SEATS_RUN];
	struct app_status *v = NULL;
	size_t nv = 0;
	int rc, k;

	*run_id = 0;
	*apps = NULL;
	*n = 0;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*run_id = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_err(a, e, "cannot read seats");
	if (*run_id == 0)
		return EXIT_OK;
	st = a->st[ST_SEATS_GET];
	sqlite3_bind_int64(st, 1, *run_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		size_t pos = (size_t)sqlite3_column_int64(st, 0);

		if (pos >= nv) {
			v = xreallocarray(v, pos + 1, sizeof(*v));
			memset(v + nv, 0, (pos + 1 - nv) * sizeof(*v));
			nv = pos + 1;
		}
		if (v[pos].app == NULL) {
			v[pos].app = xstrdup(col_text(st, 1));
			v[pos].sku = xstrdup(col_text(st, 2));
		}
		if ((k = seat_kind(col_text(st, 3))) >= 0)
			v[pos].seats[k] = (long)sqlite3_column_int64(st, 4);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		app_status_free(v, nv);
		return db_err(a, e, "cannot read seats");
	}
	*apps = v;
	*n = nv;
	return EXIT_OK;
}
