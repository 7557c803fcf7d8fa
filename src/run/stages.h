/*
 * stages.h - the stages of a run, one file each in run/, as
 * run_prepare() calls them.  Internal to run/.
 */
#ifndef LICSYNC_STAGES_H
#define LICSYNC_STAGES_H

#include <stdint.h>

#include "run/run.h"

/* read.c: the directory, then the backend (left open for apply). */
int run_read_directory(struct plan_run *pr, struct err *e);
int run_read_backend(struct plan_run *pr, struct err *e);
/* The backend state of key ID (enum rc_backend_user), growing the array. */
void run_set_backend_user(struct plan_run *pr, uint32_t id, uint8_t v);
/* backend.usage_location: the code each user without one gets. */
void run_resolve_locations(struct plan_run *pr);
/* The usage location change C sets before assigning, or NULL. */
const char *run_change_location(const struct plan_run *pr,
    const struct rc_change *c);
/* Exit 3 when a user who needs a usage location has a bad one. */
int run_check_locations(struct plan_run *pr, struct err *e);

/* prepare.c */
int run_load_records(struct plan_run *pr, struct err *e);
void run_intern_policy_users(struct plan_run *pr);
void run_reconcile(struct plan_run *pr);

/* recover.c: resolve what an interrupted run left pending. */
int run_recover(struct plan_run *pr, struct err *e);
/* reviewed.c: apply --plan FILE. */
int run_reviewed(struct plan_run *pr, const struct plan_opts *o,
    struct err *e);
/* safety.c: limits and the group guard; exit 5 for apply. */
int run_safety(struct plan_run *pr, const struct plan_opts *o, bool apply,
    struct err *e);
/* record.c: the run's row, and what its plan leaves recorded. */
int run_begin(struct plan_run *pr, const char *command, struct err *e);
void run_end(struct plan_run *pr, int r, const struct err *e);
int run_record_plan(struct plan_run *pr, struct err *e);

#endif
