/*
 * listing.c - the change rows and the runs `licsync audit` lists (status
 * and explain read them too), filtered and read row by row into the
 * caller's callback.
 */
#include <stddef.h>

#include <sqlite3.h>

#include "store/audit.h"
#include "store/store_int.h"

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
