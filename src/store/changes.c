/*
 * changes.c - the record of each run and of every change it makes: a run
 * begun and ended, its changes pending before they are sent and their
 * outcomes after, and what a killed run left pending.
 */
#include <stddef.h>

#include <sqlite3.h>

#include "store/audit.h"
#include "store/store_int.h"

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

int
audit_pending(struct audit *a, int64_t run_id, const struct change_row *rows,
    size_t n, int64_t now, int64_t *ids, struct err *e)
{
	sqlite3_stmt *st = a->st[ST_PENDING];
	size_t i;
	bool own;
	int r;

	if ((r = tx_begin(a, &own, e)) != EXIT_OK)
		return r;
	for (i = 0; i < n && r == EXIT_OK; i++) {
		sqlite3_bind_int64(st, 1, run_id);
		bind_text(st, 2, rows[i].action);
		bind_text(st, 3, rows[i].app);
		bind_text(st, 4, rows[i].sku);
		bind_text(st, 5, rows[i].user);
		bind_text(st, 6, rows[i].reason);
		sqlite3_bind_int64(st, 7, now);
		if ((r = step_done(a, ST_PENDING, e)) == EXIT_OK)
			ids[i] = sqlite3_last_insert_rowid(a->db);
	}
	return tx_end(a, own, r, e);
}

int
audit_result(struct audit *a, int64_t id, const struct change_result *cr,
    struct err *e)
{
	sqlite3_stmt *st = a->st[ST_RESULT];
	bool own;
	int r;

	if ((r = tx_begin(a, &own, e)) != EXIT_OK)
		return r;
	bind_text(st, 1, cr->result);
	bind_text(st, 2, cr->outcome);
	bind_text(st, 3, cr->error_code);
	bind_text(st, 4, cr->error_message);
	bind_text(st, 5, cr->request_id);
	sqlite3_bind_int(st, 6, cr->attempts);
	sqlite3_bind_int64(st, 7, cr->finished);
	sqlite3_bind_int64(st, 8, id);
	if ((r = step_done(a, ST_RESULT, e)) == EXIT_OK)
		r = chain_link(a, id, e);
	return tx_end(a, own, r, e);
}

int
audit_unresolved(struct audit *a, int64_t run_id, audit_pending_fn fn,
    void *ctx, struct err *e)
{
	sqlite3_stmt *st = a->st[ST_UNRESOLVED];
	bool own;
	int rc, r;

	if ((r = tx_begin(a, &own, e)) != EXIT_OK)
		return r;
	sqlite3_bind_int64(a->st[ST_CRASHED], 1, run_id);
	if ((r = step_done(a, ST_CRASHED, e)) != EXIT_OK)
		return tx_end(a, own, r, e);
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
	return tx_end(a, own, r, e);
}
