/*
 * audit.h - the SQLite audit trail: runs, entitlement history, ownership,
 * every change with its outcome, and the hash chain over them.
 *
 * Transactions, one rule: every function here that writes is atomic by
 * itself, all of its writes or none.  Called outside a transaction it is
 * one (BEGIN IMMEDIATE ... COMMIT when it has several statements), durable
 * when it returns.  Called between audit_begin() and audit_commit() it
 * joins the caller's transaction: nothing of it is durable before that
 * commit, and when it fails it undoes its own writes only (a savepoint),
 * leaving the caller to commit what came before or to audit_rollback().
 * A caller opens a transaction only to make several writes durable
 * together, or with one fsync: a run's records of its plan, the outcomes
 * of one $batch answer.  So a run killed at any point leaves each change
 * pending or finished, never half-written, and audit_unresolved() on the
 * next run finds the pending ones.
 *
 * The store: audit.c opens and migrates, db.c holds the transactions,
 * changes.c runs and changes, chain.c the hash chain, records.c what a
 * run keeps for the next, listing.c what `licsync audit` lists.
 */
#ifndef LICSYNC_AUDIT_H
#define LICSYNC_AUDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backend/backend.h"
#include "reconcile/reconcile.h"
#include "reconcile/seats.h"
#include "util/util.h"

struct audit;

struct run_info {
	const char *command;
	const char *host;
	const char *config_sha256;
	const char *policy_sha256;
	int64_t started;
};

struct run_result {
	const char *outcome;    /* "ok", "config error", "directory error" ... */
	int exit_code;
	long assigns, unassigns, unfulfilled, skipped;
	long failed;            /* changes that failed (apply) */
	bool forced;            /* safety limits overridden (--force) */
	const char *message;    /* the error, or NULL */
	int64_t ended;
};

/* Open or create (mode 0600) and migrate the database.  EXIT_DATABASE. */
int audit_open(const char *path, struct audit **out, struct err *e);
/* For reading only: no file is created and nothing is migrated. */
int audit_open_readonly(const char *path, struct audit **out, struct err *e);
/* False only when PATH does not exist yet (no run has recorded anything);
 * any other trouble is left for audit_open_readonly() to report. */
bool audit_exists(const char *path);
void audit_close(struct audit *a);

int audit_run_begin(struct audit *a, const struct run_info *ri,
    int64_t *run_id, struct err *e);
int audit_run_end(struct audit *a, int64_t run_id,
    const struct run_result *rr, struct err *e);

/* Users whose license for SKU licsync assigned; sorted ids. */
int audit_owned(struct audit *a, const char *sku, struct intern *keys,
    uint32_t **ids, size_t *n, struct err *e);
/* When each user was first seen entitled to SKU. */
int audit_seen(struct audit *a, const char *sku, struct intern *keys,
    struct rc_seen **seen, size_t *n, struct err *e);
/*
 * Record that the sorted IDS are entitled to SKU now: new ones get NOW as
 * their first time, the recorded ones (SEEN) that are no longer entitled
 * are forgotten, so a returning user queues anew.
 */
int audit_record_entitled(struct audit *a, const char *sku,
    const struct intern *keys, const uint32_t *ids, size_t n,
    const struct rc_seen *seen, size_t nseen, int64_t now, struct err *e);

/* One planned change, recorded as pending before it is sent. */
struct change_row {
	const char *action;     /* "assign" or "unassign" */
	const char *app;
	const char *sku;
	const char *user;
	const char *reason;
};

/* What became of it. */
struct change_result {
	const char *result;     /* "ok", "failed" or "skipped" */
	const char *outcome;    /* outcome_name(): "ok", "no_seats" ... */
	const char *error_code; /* the backend's, or NULL */
	const char *error_message;
	const char *request_id;
	int attempts;
	int64_t finished;
};

/* Insert ROWS as pending for RUN_ID; IDS gets each row's id. */
int audit_pending(struct audit *a, int64_t run_id, const struct change_row *rows,
    size_t n, int64_t now, int64_t *ids, struct err *e);
/* Record an outcome and link the row into the hash chain.  Apply
 * groups these in a transaction per $batch answer: one fsync each. */
int audit_result(struct audit *a, int64_t id, const struct change_result *r,
    struct err *e);
/* licsync assigned SKU to USER (ownership starts), or it is gone (ends). */
int audit_own(struct audit *a, const char *sku, const char *user,
    int64_t since, int64_t run_id, struct err *e);
int audit_disown(struct audit *a, const char *sku, const char *user,
    struct err *e);

/* Change rows for `licsync audit`. */
struct audit_filter {
	int64_t run;            /* 0: any; -1: the last run with changes */
	int64_t since;          /* 0: any */
	const char *user;       /* NULL: any (compared case-insensitively) */
	const char *app;
	const char *result;
	int64_t until;          /* 0: any; else strictly before this time */
	const char *action;     /* NULL: any; "assign" or "unassign" */
};

struct audit_change {
	int64_t id, run, time;  /* time: finished, else created */
	const char *action, *app, *sku, *user, *reason, *result, *outcome;
	const char *error_code, *error_message, *request_id;
	int attempts;
};

typedef int (*audit_change_fn)(void *ctx, const struct audit_change *c);

/* A run, for `licsync audit --runs`. */
struct audit_run {
	int64_t id, started, ended;     /* ended 0: still running */
	const char *command, *host, *outcome, *message;
	int exit_code;
	long assigns, unassigns, unfulfilled, skipped, failed;
	bool forced;
};

typedef int (*audit_run_fn)(void *ctx, const struct audit_run *r);

/* Runs matching F's run, since and until (other fields ignored). */
int audit_runs(struct audit *a, const struct audit_filter *f,
    audit_run_fn fn, void *ctx, struct err *e);

int audit_changes(struct audit *a, const struct audit_filter *f,
    audit_change_fn fn, void *ctx, struct err *e);

/* Grace: since when each holder of SKU has been seen not entitled. */
int audit_unentitled(struct audit *a, const char *sku, struct intern *keys,
    struct rc_seen **rows, size_t *n, struct err *e);
/* Make the recorded grace clocks of SKU be CUR (OLD: what was read). */
int audit_record_unentitled(struct audit *a, const char *sku,
    const struct intern *keys, const struct rc_seen *cur, size_t ncur,
    const struct rc_seen *old, size_t nold, struct err *e);

/* The directory guard: users of a policy group on the last recorded run
 * (-1: never recorded), and recording them. */
int audit_group_size(struct audit *a, const char *dn, long *users,
    struct err *e);
int audit_set_group_size(struct audit *a, const char *dn, long users,
    int64_t run_id, struct err *e);

/*
 * Crash recovery: mark runs other than RUN_ID still 'running' as
 * 'interrupted', and call FN for every change still pending (its outcome
 * never recorded), oldest first.  FN's writes are part of the unit: one
 * FN failing undoes them all, and the marking.
 */
typedef int (*audit_pending_fn)(void *ctx, int64_t id, const char *action,
    const char *sku, const char *user);
int audit_unresolved(struct audit *a, int64_t run_id, audit_pending_fn fn,
    void *ctx, struct err *e);

/* The key that signs saved plans, made on first use; LEN bytes. */
int audit_plan_key(struct audit *a, unsigned char *key, size_t len,
    struct err *e);

/*
 * Tamper evidence: each finalised change row carries, in `hash`, the
 * SHA-256 of its content and the previous link's hash (`seq` orders the
 * links).  audit_verify walks the chain from the start or from the
 * checkpoint pruning left; REP tells the first row altered, inserted or
 * deleted.  Rows removed from the end leave no gap and are not caught.
 */
struct chain_report {
	bool intact;
	int64_t rows;           /* links verified */
	int64_t bad_id, bad_seq;
	char what[256];
};
int audit_verify(struct audit *a, struct chain_report *rep, struct err *e);
/* Remove the change rows finalised before BEFORE, from the start of the
 * chain, keeping a checkpoint of the cut so the rest still verifies. */
int audit_prune(struct audit *a, int64_t before, int64_t *pruned,
    struct err *e);

/* The seats of each app as run RUN_ID left them (status). */
int audit_record_seats(struct audit *a, int64_t run_id,
    const struct app_status *apps, size_t n, struct err *e);
/* Those of the last run that recorded any; *RUN_ID 0 when none did. */
int audit_last_seats(struct audit *a, int64_t *run_id,
    struct app_status **apps, size_t *n, struct err *e);

/* The caller's transaction (see the top of this file); they do not nest. */
int audit_begin(struct audit *a, struct err *e);
int audit_commit(struct audit *a, struct err *e);
void audit_rollback(struct audit *a);

/*
 * The tenant's users as a backend's last reads left them (view.c), for a
 * backend that reads only what changed since (Graph's delta query).
 * BACKEND is the backend's name.  The sync state: the link to read the
 * changes from (NULL: none, read every user), when every user was last
 * read, and how many changes since showed the view wrong (stale).
 */
struct view_sync {
	char *link;             /* free it */
	int64_t full_read;      /* 0: never */
	long stale;
};

int audit_view_sync(struct audit *a, const char *backend,
    struct view_sync *s, struct err *e);
/* After a read: LINK for next time; FULL_READ when every user was read
 * (it clears the stale count). */
int audit_view_set_sync(struct audit *a, const char *backend,
    const char *link, int64_t full_read, struct err *e);
/* A change failed in a way the view did not foresee: read all next time. */
int audit_view_stale(struct audit *a, const char *backend, struct err *e);
/* Forget every user (before a full read). */
int audit_view_clear(struct audit *a, const char *backend, struct err *e);
/* A user created or changed, as the backend lists it; or gone. */
int audit_view_put(struct audit *a, const char *backend,
    const struct backend_user *u, struct err *e);
int audit_view_remove(struct audit *a, const char *backend, const char *id,
    struct err *e);
/* A change the backend confirmed: user ID now holds SKU directly, or no
 * longer does. */
int audit_view_license(struct audit *a, const char *backend, const char *id,
    const char *sku, bool add, struct err *e);
/* Every user of the view, in id order. */
int audit_view_each(struct audit *a, const char *backend, backend_user_fn fn,
    void *ctx, struct err *e);

#endif
