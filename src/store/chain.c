/*
 * chain.c - tamper evidence: each finalised change row linked into a hash
 * chain as its outcome is recorded, the chain verified, and pruned from
 * its start with a checkpoint of the cut.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "store/audit.h"
#include "store/store_int.h"

#define GENESIS "0000000000000000000000000000000000000000000000000000000000000000"

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
int
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

/* Schema 4 met rows finalised before the chain existed: chain them in the
 * order they were finalised. */
int
chain_unlinked(struct audit *a, struct err *e)
{
	sqlite3_stmt *st = NULL;
	int64_t *ids = NULL;
	size_t n = 0, cap = 0, i;
	bool own;
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
	if ((r = tx_begin(a, &own, e)) != EXIT_OK)
		goto out;
	for (i = 0; i < n && r == EXIT_OK; i++)
		r = chain_link(a, ids[i], e);
	r = tx_end(a, own, r, e);
out:
	free(ids);
	return r;
}

/* Where verifying starts: after the checkpoint pruning left, if any. */
static void
chain_start(struct audit *a, int64_t *expect, char prev[65])
{
	sqlite3_stmt *st = a->st[ST_CHECKPOINT];

	*expect = 1;
	snprintf(prev, 65, "%s", GENESIS);
	if (sqlite3_step(st) == SQLITE_ROW) {
		*expect = sqlite3_column_int64(st, 0) + 1;
		snprintf(prev, 65, "%s", col_text(st, 1));
	}
	sqlite3_reset(st);
}

/* Walk the links in order; REP->what tells the first that does not hold,
 * and stays empty when all do. */
static int
verify_links(struct audit *a, struct chain_report *rep, struct err *e)
{
	sqlite3_stmt *st = NULL;
	int64_t expect, seq;
	char prev[65], hash[65];
	const char *stored;
	int rc, r = EXIT_OK;

	chain_start(a, &expect, prev);
	if (sqlite3_prepare_v2(a->db, "SELECT seq, hash, " CHAIN_COLUMNS
	    " FROM changes WHERE seq IS NOT NULL ORDER BY seq", -1, &st,
	    NULL) != SQLITE_OK)
		return db_err(a, e, "cannot read the hash chain");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		seq = sqlite3_column_int64(st, 0);
		stored = col_text(st, 1);
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
	if (rc != SQLITE_DONE)
		r = db_err(a, e, "cannot read the hash chain");
out:
	sqlite3_finalize(st);
	return r;
}

int
audit_verify(struct audit *a, struct chain_report *rep, struct err *e)
{
	sqlite3_stmt *st = NULL;
	int r;

	memset(rep, 0, sizeof(*rep));
	a->head_known = false;
	if ((r = chain_head(a, e)) != EXIT_OK)
		return r;
	if ((r = verify_links(a, rep, e)) != EXIT_OK || rep->what[0] != '\0')
		return r;
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
	} else {
		rep->bad_id = rep->bad_seq = 0;
		rep->intact = true;
	}
	sqlite3_finalize(st);
	return r;
}

/* Run SQL with the integer ?1 and, unless NULL, the text ?2 until STEP
 * (SQLITE_DONE: to its end; SQLITE_ROW: to its first row, left in *ST to
 * read).  *ST is finalised first, so one variable serves a sequence. */
static int
prune_sql(struct audit *a, const char *sql, int64_t i1, const char *t2,
    int step, sqlite3_stmt **st, struct err *e)
{
	sqlite3_finalize(*st);
	*st = NULL;
	if (sqlite3_prepare_v2(a->db, sql, -1, st, NULL) != SQLITE_OK ||
	    sqlite3_bind_int64(*st, 1, i1) != SQLITE_OK ||
	    (t2 != NULL && sqlite3_bind_text(*st, 2, t2, -1,
	    SQLITE_TRANSIENT) != SQLITE_OK) ||
	    sqlite3_step(*st) != step)
		return db_err(a, e, "cannot prune");
	return EXIT_OK;
}

/* Cut the chain after link CUT: a checkpoint of its hash, then the rows. */
static int
prune_to(struct audit *a, int64_t before, int64_t cut, int64_t *pruned,
    struct err *e)
{
	sqlite3_stmt *st = NULL;
	char hash[65] = "";
	int r;

	if ((r = prune_sql(a, "SELECT hash FROM changes WHERE seq = ?", cut,
	    NULL, SQLITE_ROW, &st, e)) != EXIT_OK)
		goto out;
	snprintf(hash, sizeof(hash), "%s", col_text(st, 0));
	if ((r = prune_sql(a, "INSERT OR REPLACE INTO chain_checkpoint"
	    "(id, seq, hash) VALUES (1, ?, ?)", cut, hash, SQLITE_DONE, &st,
	    e)) != EXIT_OK)
		goto out;
	if ((r = prune_sql(a, "DELETE FROM changes WHERE seq <= ?", cut, NULL,
	    SQLITE_DONE, &st, e)) != EXIT_OK)
		goto out;
	*pruned = sqlite3_changes64(a->db);
	/* seat history goes with it; the latest stays for status */
	r = prune_sql(a, "DELETE FROM seats WHERE run_id < "
	    "(SELECT max(run_id) FROM seats) AND run_id IN (SELECT id FROM "
	    "runs WHERE started < ?)", before, NULL, SQLITE_DONE, &st, e);
out:
	sqlite3_finalize(st);
	return r;
}

int
audit_prune(struct audit *a, int64_t before, int64_t *pruned, struct err *e)
{
	sqlite3_stmt *st = NULL;
	int64_t cut;
	bool own;
	int r;

	*pruned = 0;
	if ((r = tx_begin(a, &own, e)) != EXIT_OK)
		return r;
	/* the longest run of links from the start, all finished before */
	r = prune_sql(a, "SELECT coalesce((SELECT min(seq) FROM changes WHERE "
	    "seq IS NOT NULL AND finished >= ?1) - 1, (SELECT max(seq) FROM "
	    "changes), 0)", before, NULL, SQLITE_ROW, &st, e);
	if (r == EXIT_OK) {
		cut = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
		st = NULL;
		if (cut > 0)
			r = prune_to(a, before, cut, pruned, e);
	}
	sqlite3_finalize(st);
	return tx_end(a, own, r, e);
}
