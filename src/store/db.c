/*
 * db.c - the SQLite helpers every file of the store uses: errors, prepared
 * statements stepped and bound, and the write transactions: the callers'
 * (audit_begin, audit_commit, audit_rollback) and the one each write
 * function of several statements runs in (tx_begin, tx_end).
 */
#include <stdbool.h>
#include <stddef.h>

#include <sqlite3.h>

#include "store/audit.h"
#include "store/store_int.h"

int
db_err(struct audit *a, struct err *e, const char *what)
{
	err_set(e, "%s: %s: %s", a->path, what, sqlite3_errmsg(a->db));
	return EXIT_DATABASE;
}

int
db_exec(struct audit *a, const char *sql, const char *what, struct err *e)
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

int
step_done(struct audit *a, enum stmt s, struct err *e)
{
	int rc = sqlite3_step(a->st[s]);

	sqlite3_reset(a->st[s]);
	sqlite3_clear_bindings(a->st[s]);
	if (rc != SQLITE_DONE)
		return db_err(a, e, "write failed");
	return EXIT_OK;
}

void
bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s == NULL)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
}

const char *
col_text(sqlite3_stmt *st, int i)
{
	return (const char *)sqlite3_column_text(st, i);
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

/*
 * Its own transaction is BEGIN IMMEDIATE, as the callers' is, so that a
 * write never waits for the lock half-way.  A savepoint inside the
 * callers' makes the function's writes one unit within it: its error
 * leaves the callers' earlier writes as they were.
 */
int
tx_begin(struct audit *a, bool *own, struct err *e)
{
	*own = sqlite3_get_autocommit(a->db) != 0;
	return step_done(a, *own ? ST_BEGIN : ST_SAVEPOINT, e);
}

int
tx_end(struct audit *a, bool own, int r, struct err *e)
{
	if (r == EXIT_OK)
		return step_done(a, own ? ST_COMMIT : ST_RELEASE, e);
	/* the chain head read in the undone writes is undone too */
	a->head_known = false;
	if (own) {
		audit_rollback(a);
		return r;
	}
	/* SQLite may have rolled back the whole transaction already */
	if (!sqlite3_get_autocommit(a->db)) {
		step_done(a, ST_ROLLBACK_TO, NULL);
		step_done(a, ST_RELEASE, NULL);
	}
	return r;
}
