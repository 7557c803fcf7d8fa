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

#include "audit.h"
#include "log.h"

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
	ST_PENDING,
	ST_RESULT,
	ST_OWN,
	ST_DISOWN,
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
	[ST_PENDING] = "INSERT INTO changes(run_id, action, app, sku, user, "
	    "reason, created) VALUES (?, ?, ?, ?, ?, ?, ?)",
	[ST_RESULT] = "UPDATE changes SET result = ?, outcome = ?, "
	    "error_code = ?, error_message = ?, request_id = ?, attempts = ?, "
	    "finished = ? WHERE id = ?",
	[ST_OWN] = "INSERT OR REPLACE INTO ownership(sku, user, since, run_id) "
	    "VALUES (?, ?, ?, ?)",
	[ST_DISOWN] = "DELETE FROM ownership WHERE sku = ? AND user = ?",
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
};

#define SCHEMA_VERSION ((int)(sizeof(schema_sql) / sizeof(schema_sql[0])))

struct audit {
	sqlite3 *db;
	char *path;
	sqlite3_stmt *st[ST_COUNT];
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
	}
	return exec(a, "COMMIT", "commit", e);
fail:
	sqlite3_exec(a->db, "ROLLBACK", NULL, NULL, NULL);
	return r;
}

int
audit_open(const char *path, struct audit **out, struct err *e)
{
	struct audit *a = xcalloc(1, sizeof(*a));
	int fd, i, r = EXIT_DATABASE;

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
	for (i = 0; i < ST_COUNT; i++)
		if (sqlite3_prepare_v3(a->db, stmt_sql[i], -1,
		    SQLITE_PREPARE_PERSISTENT, &a->st[i], NULL) != SQLITE_OK) {
			r = db_err(a, e, "cannot prepare a statement");
			goto out;
		}
	*out = a;
	a = NULL;
	r = EXIT_OK;
out:
	audit_close(a);
	return r;
}

int
audit_open_readonly(const char *path, struct audit **out, struct err *e)
{
	struct audit *a = xcalloc(1, sizeof(*a));
	int v, i, r = EXIT_DATABASE;

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
	for (i = 0; i < ST_COUNT; i++)
		a->st[i] = NULL;
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

static int
u32_cmp(const void *pa, const void *pb)
{
	uint32_t x = *(const uint32_t *)pa, y = *(const uint32_t *)pb;

	return (x > y) - (x < y);
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

static bool
in_sorted(const uint32_t *ids, size_t n, uint32_t id)
{
	return bsearch(&id, ids, n, sizeof(*ids), u32_cmp) != NULL;
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
		if (in_sorted(c, ncur, old[i].user))
			continue;
		bind_text(a->st[del], 1, sku);
		bind_text(a->st[del], 2, intern_str(keys, old[i].user));
		r = step_done(a, del, e);
	}
	for (i = 0; i < ncur && r == EXIT_OK; i++) {
		if (in_sorted(o, nold, cur[i].user))
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

int
audit_result(struct audit *a, int64_t id, const struct change_result *cr,
    struct err *e)
{
	sqlite3_stmt *st = a->st[ST_RESULT];

	bind_text(st, 1, cr->result);
	bind_text(st, 2, cr->outcome);
	bind_text(st, 3, cr->error_code);
	bind_text(st, 4, cr->error_message);
	bind_text(st, 5, cr->request_id);
	sqlite3_bind_int(st, 6, cr->attempts);
	sqlite3_bind_int64(st, 7, cr->finished);
	sqlite3_bind_int64(st, 8, id);
	return step_done(a, ST_RESULT, e);
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
