/*
 * stages.h - the stages of a run, one file each in run/, as
 * run_prepare() calls them.  Internal to run/.
 */
#ifndef LICSYNC_STAGES_H
#define LICSYNC_STAGES_H

#include <stdint.h>

#include "run/run.h"

struct app_policy;
struct backend_ops;
struct backend_person;
struct backend_sku;

/* backends.c: which backend each app uses (no I/O yet) ... */
int run_plan_backends(struct plan_run *pr, struct err *e);
/* read.c: the directory and every backend, read at the same time;
 * the backends stay open for apply. */
int run_read(struct plan_run *pr, struct err *e);
/* backends.c: every backend, its users keyed in pr->bkeys ... */
int run_read_backend(struct plan_run *pr, struct err *e);
/* ... then under the run's keys, once the directory is read. */
int run_merge_backends(struct plan_run *pr, struct err *e);
/* The backend state of key ID (enum rc_backend_user), growing the array. */
void run_set_backend_user(struct backend_view *bv, uint32_t id, uint8_t v);
/* Who to create for key ID at BV, or NULL when BV does not create. */
const struct backend_person *run_person(const struct backend_view *bv,
    uint32_t id, struct backend_person *out);
void run_free_backends(struct plan_run *pr);
/* The first of SKUS that app AP names at a backend of OPS, or NULL; *N:
 * how many it names (the only one, when AP names none). */
const struct backend_sku *run_match_license(const struct backend_ops *ops,
    const struct app_policy *ap, const struct backend_sku *skus,
    size_t nskus, size_t *n);
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
