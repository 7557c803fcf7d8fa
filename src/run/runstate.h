/*
 * runstate.h - the state of one run, shared by the commands that read the
 * whole view (plan, apply, explain, status --live).  Internal to src/.
 */
#ifndef LICSYNC_RUNSTATE_H
#define LICSYNC_RUNSTATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backend/backend.h"
#include "conf/config.h"
#include "conf/policy.h"
#include "directory/directory.h"
#include "reconcile/reconcile.h"
#include "reconcile/seats.h"
#include "report/report.h"
#include "report/saved.h"
#include "run/run.h"
#include "store/audit.h"

/* Holders as read, before the backend's strings are final. */
struct holder_tmp {
	uint32_t user;
	bool direct;
	uint32_t group;         /* id in groups + 1; 0: none */
};

struct app_state {
	const char *sku;
	long purchased, consumed;
	struct holder_tmp *h;
	size_t nh, caph;
	struct rc_holder *holders;
	uint32_t *owned;
	size_t nowned;
	struct rc_seen *seen;
	size_t nseen;
	struct rc_seen *unentitled;     /* grace clocks as recorded */
	size_t nunentitled;
	uint32_t *exclude_users;
	size_t nexclude_users;
	/* indexes into the flattened group list */
	size_t first_group, first_excl;
};

/* backend.usage_location: what users without one get set first. */
struct locations {
	char (*dir)[3];         /* per key id: the directory's code, or "" */
	size_t ndir;
	uint32_t *bad;          /* keys whose directory value is no code */
	char **bad_value;       /* ... and that value */
	size_t nbad;
	char (*set)[3];         /* per key id: the code to set, or "" */
	size_t nset;
};

struct plan_run {
	struct config *cfg;
	struct policy *pol;
	struct audit *db;
	int64_t run_id;
	struct intern *keys;
	struct intern *bgroups;     /* backend group ids */
	uint8_t *bu;                /* enum rc_backend_user per key */
	size_t nbu;
	size_t backend_users;
	struct app_state *apps;
	const char **gdns;          /* flattened groups, then excludes */
	size_t ngdns;
	struct dir_members *members;
	struct dir_stats dst;
	struct locations loc;
	struct backend_sku *skus;
	size_t nskus;
	uint32_t *protected_ids;
	struct rc_plan plan;
	/* the backend stays open for apply */
	const struct backend_ops *ops;
	struct backend *be;
	struct intern *bids;        /* backend object ids */
	uint32_t *bid_of;           /* key id -> bids id + 1; 0: none */
	size_t nbid_of;
	/* apply: one outcome per plan change */
	struct change_outcome *results;
	size_t failed;
	int64_t now;                /* the run's clock: now_seconds() at its start */
	bool forced;                /* --force overrode a safety limit */
	bool stopped;               /* a safety stop */
	bool skip_record;           /* plan: the guard distrusts this view */
	bool guard;                 /* the group guard tripped */
	int lock_fd;
	struct provenance pv;       /* what the plan is computed from */
	/* explain: the directory stays open for group paths */
	bool inspect;               /* read-only: no lock, nothing recorded */
	struct directory *dir;
	double t0;                  /* monotonic start, for the duration */
	int64_t started;
};

enum run_mode {
	RUN_PLAN,
	RUN_APPLY,
	RUN_INSPECT,    /* explain, status --live: read, record nothing */
};

/*
 * Everything up to a reconciled plan.  PLAN and APPLY take the lock,
 * record the run and recover interrupted ones; INSPECT opens the
 * database read-only (a missing one reads as empty), takes no lock,
 * records nothing and keeps the directory open (pr->dir).  Call
 * run_free whatever it returns.
 */
int run_prepare(struct plan_run *pr, const struct plan_opts *o,
    enum run_mode mode, struct err *e);
void run_free(struct plan_run *pr);
/* The resolved SKU of each app; free the array. */
const char **run_app_skus(struct plan_run *pr);
void run_report_context(struct plan_run *pr, const char **skus,
    struct report_ctx *rc);
/* The seats of each app after the run, its changes that succeeded
 * counted in: OUT has one per policy app; app_status_free it. */
void run_seats(struct plan_run *pr, struct app_status *out);
/* Record run_seats with the run. */
int run_record_seats(struct plan_run *pr, struct err *e);
/* --metrics PATH for the run of COMMAND that ends with exit code R. */
int run_write_metrics(struct plan_run *pr, const char *path,
    const char *command, int r, struct err *e);

#endif
