/* audit.h - the SQLite audit trail: runs, entitlement history, ownership */
#ifndef LICSYNC_AUDIT_H
#define LICSYNC_AUDIT_H

#include <stddef.h>
#include <stdint.h>

#include "reconcile.h"
#include "util.h"

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
	const char *message;    /* the error, or NULL */
	int64_t ended;
};

/* Open or create (mode 0600) and migrate the database.  EXIT_DATABASE. */
int audit_open(const char *path, struct audit **out, struct err *e);
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

int audit_begin(struct audit *a, struct err *e);
int audit_commit(struct audit *a, struct err *e);
void audit_rollback(struct audit *a);

#endif
