/*
 * listing.c - the change rows and the runs `licsync audit` lists (status
 * and explain read them too): one filtered query, read row by row into
 * the caller's callback, for both tables.
 */
#include <stdbool.h>
#include <stddef.h>

#include <sqlite3.h>

#include "store/audit.h"
#include "store/store_int.h"

/* The caller's callback, for whichever table is listed. */
struct each {
	audit_change_fn change;
	audit_run_fn run;
	void *ctx;
};

/* What a listing reads and how the filter applies to it. */
struct listing {
	const char *select;     /* the columns and table, up to "WHERE 1" */
	const char *run;        /* compared with the filter's run */
	const char *last;       /* the last run, for run -1 */
	const char *time;       /* compared with since and until */
	bool by_change;         /* user, app, result and action apply */
	const char *what;       /* the error */
	int (*row)(sqlite3_stmt *st, const struct each *x);
};

static int
change_row(sqlite3_stmt *st, const struct each *x)
{
	struct audit_change c;

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
	return x->change(x->ctx, &c);
}

static int
run_row(sqlite3_stmt *st, const struct each *x)
{
	struct audit_run run;

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
	return x->run(x->ctx, &run);
}

static const struct listing changes_listing = {
	"SELECT id, run_id, coalesce(finished, created), action, app, sku, "
	    "user, reason, result, outcome, error_code, error_message, "
	    "request_id, attempts FROM changes WHERE 1",
	"run_id", "(SELECT max(run_id) FROM changes)",
	"coalesce(finished, created)", true, "cannot query changes", change_row
};

static const struct listing runs_listing = {
	"SELECT id, started, coalesce(ended, 0), command, host, outcome, "
	    "message, coalesce(exit_code, -1), assigns, unassigns, unfulfilled, "
	    "skipped, failed, forced FROM runs WHERE 1",
	"id", "(SELECT max(id) FROM runs)",
	"started", false, "cannot query runs", run_row
};

/* The filters become the bound parameters ?1 to ?7 of one ad-hoc
 * statement. */
static void
filter_sql(const struct listing *l, const struct audit_filter *f,
    struct buf *sql)
{
	buf_addstr(sql, l->select);
	if (f->run > 0)
		buf_printf(sql, " AND %s = ?1", l->run);
	if (f->run < 0)
		buf_printf(sql, " AND %s = %s", l->run, l->last);
	if (f->since > 0)
		buf_printf(sql, " AND %s >= ?2", l->time);
	if (l->by_change && f->user != NULL)
		buf_addstr(sql, " AND user = lower(?3)");
	if (l->by_change && f->app != NULL)
		buf_addstr(sql, " AND app = ?4");
	if (l->by_change && f->result != NULL)
		buf_addstr(sql, " AND result = ?5");
	if (f->until > 0)
		buf_printf(sql, " AND %s < ?6", l->time);
	if (l->by_change && f->action != NULL)
		buf_addstr(sql, " AND action = ?7");
	buf_addstr(sql, " ORDER BY id");
}

/* Parameters the statement does not have are refused (SQLITE_RANGE), and
 * that is all. */
static void
filter_bind(sqlite3_stmt *st, const struct audit_filter *f)
{
	sqlite3_bind_int64(st, 1, f->run);
	sqlite3_bind_int64(st, 2, f->since);
	bind_text(st, 3, f->user);
	bind_text(st, 4, f->app);
	bind_text(st, 5, f->result);
	sqlite3_bind_int64(st, 6, f->until);
	bind_text(st, 7, f->action);
}

static int
list(struct audit *a, const struct listing *l, const struct audit_filter *f,
    const struct each *x, struct err *e)
{
	struct buf sql = { 0 };
	sqlite3_stmt *st = NULL;
	int rc, r = EXIT_OK;

	filter_sql(l, f, &sql);
	if (sqlite3_prepare_v2(a->db, sql.data, -1, &st, NULL) != SQLITE_OK) {
		r = db_err(a, e, l->what);
		goto out;
	}
	filter_bind(st, f);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if ((r = l->row(st, x)) != EXIT_OK)
			break;
	if (r == EXIT_OK && rc != SQLITE_DONE)
		r = db_err(a, e, l->what);
out:
	sqlite3_finalize(st);
	buf_free(&sql);
	return r;
}

int
audit_changes(struct audit *a, const struct audit_filter *f,
    audit_change_fn fn, void *ctx, struct err *e)
{
	struct each x = { fn, NULL, ctx };

	return list(a, &changes_listing, f, &x, e);
}

int
audit_runs(struct audit *a, const struct audit_filter *f, audit_run_fn fn,
    void *ctx, struct err *e)
{
	struct each x = { NULL, fn, ctx };

	return list(a, &runs_listing, f, &x, e);
}
