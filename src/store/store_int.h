/*
 * store_int.h - internal to src/store/, included by its .c files only:
 * the connection, its table of prepared statements, and the helpers the
 * files of the store share.  The public interface is store/audit.h.
 */
#ifndef LICSYNC_STORE_INT_H
#define LICSYNC_STORE_INT_H

#include <stdbool.h>
#include <stdint.h>

#include <sqlite3.h>

#include "util/util.h"

/* What a change row's hash covers, in this order. */
#define CHAIN_COLUMNS "id, run_id, action, app, sku, user, reason, result, " \
	"outcome, error_code, error_message, request_id, attempts, created, " \
	"finished"
#define CHAIN_NCOLUMNS 15

/* The statements prepared once per connection (audit.c has their SQL). */
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
	ST_VIEW_SYNC,
	ST_VIEW_SYNC_SET,
	ST_VIEW_STALE,
	ST_VIEW_CLEAR,
	ST_VIEW_PUT,
	ST_VIEW_DEL,
	ST_VIEW_GET,
	ST_VIEW_EACH,
	ST_BEGIN,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_SAVEPOINT,
	ST_RELEASE,
	ST_ROLLBACK_TO,
	ST_COUNT
};

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

/* db.c: errors, statements, and the write transactions (see audit.h). */
int db_err(struct audit *a, struct err *e, const char *what);
int db_exec(struct audit *a, const char *sql, const char *what,
    struct err *e);
/* Step a write statement to its end and reset it. */
int step_done(struct audit *a, enum stmt s, struct err *e);
void bind_text(sqlite3_stmt *st, int i, const char *s);
const char *col_text(sqlite3_stmt *st, int i);
/*
 * The unit of a write function of more than one statement: tx_begin()
 * opens its own transaction when none is open (*OWN true), else a
 * savepoint in the caller's; tx_end() with the function's result R
 * commits or releases it when R is EXIT_OK, else undoes the function's
 * writes, and returns R (or the commit's error).
 */
int tx_begin(struct audit *a, bool *own, struct err *e);
int tx_end(struct audit *a, bool own, int r, struct err *e);

/* chain.c */
/* Link the finalised change row ID into the hash chain. */
int chain_link(struct audit *a, int64_t id, struct err *e);
/* Link the rows finalised before the chain existed (schema 4). */
int chain_unlinked(struct audit *a, struct err *e);

#endif
