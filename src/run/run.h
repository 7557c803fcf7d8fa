/*
 * run.h - one run of the pipeline: config -> policy -> directory ->
 * backend -> reconcile -> audit -> report, for the commands that read the
 * whole view (plan, apply, explain, status --live).  Every read fails
 * before anything is changed, and every run that got as far as the
 * database is recorded.  Layer: run; it may call every layer below it
 * (src/LAYERS) and is called only by cli/.
 */
#ifndef LICSYNC_RUN_H
#define LICSYNC_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "directory/directory.h"
#include "reconcile/reconcile.h"
#include "report/context.h"
#include "report/saved.h"

struct app_status;
struct audit;
struct backend;
struct backend_ops;
struct backend_sku;
struct config;
struct policy;

/* How a command runs the pipeline. */
struct plan_opts {
	const char *config_path;
	enum report_format format;
	const char *out_file;   /* -o: also write the JSON plan here */
	bool quiet;             /* -q: print only when there is news */
	bool force;             /* apply --force: override safety limits */
	int wait;               /* --wait: seconds to wait for the lock */
	const char *plan_file;  /* apply --plan: a reviewed plan */
	bool prune;             /* apply --prune: drop drifted changes */
	bool full_read;         /* --full-read: every backend user, not the
	                           changes since the last read */
	const char *metrics_file; /* --metrics: Prometheus text here */
};

/* Holders as read, before the backend's strings are final. */
struct holder_tmp {
	uint32_t user;
	bool direct;
	uint32_t group;         /* id in groups + 1; 0: none */
};

struct app_state {
	size_t backend;         /* index into plan_run.bv */
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

/* backend.usage_location: the directory's codes; what users without one
 * get set first is per backend (backend_view.set). */
struct locations {
	char (*dir)[3];         /* per key id: the directory's code, or "" */
	size_t ndir;
	uint32_t *bad;          /* keys whose directory value is no code */
	char **bad_value;       /* ... and that value */
	size_t nbad;
	const char *attribute;  /* the directory attribute, or NULL */
};

/* What a backend needs the directory to say of each user: the userName
 * it knows the user by, and who to create (struct backend_person). */
enum user_attr {
	UA_USER_NAME, UA_GIVEN_NAME, UA_FAMILY_NAME, UA_DISPLAY_NAME,
	UA_EMAIL, UA_EXTERNAL_ID, UA_COUNT
};

/* The run itself: its inputs, its records, its clock. */
struct run_base {
	struct config *cfg;
	struct policy *pol;
	struct audit *db;           /* NULL: inspect, no database yet */
	int64_t run_id;
	int64_t now;                /* now_seconds() at the run's start */
	int64_t started;
	double t0;                  /* monotonic start, for the duration */
	int lock_fd;
	bool inspect;               /* read-only: no lock, nothing recorded */
	bool full_read;             /* plan_opts.full_read */
	struct provenance pv;       /* what the plan is computed from */
};

/* What the directory said: the members of every policy group. */
struct dir_view {
	const char **gdns;          /* flattened groups, then excludes */
	size_t ngdns;
	struct dir_members *members;
	struct dir_members disabled;  /* users the directory says are */
	struct dir_stats dst;
	struct locations loc;
	/* the user attributes read for backends: name, and its target */
	const char **attrs;
	struct attr_target {
		size_t view;        /* index into plan_run.bv ... */
		int slot;           /* ... enum user_attr; -1: location */
	} *targets;
	size_t nattrs;
	struct directory *dir;      /* explain: kept open for group paths */
};

/* What one backend said; it stays open for apply. */
struct backend_view {
	const struct config_backend *cfg;
	const struct backend_ops *ops;
	struct backend *be;
	struct backend_sku *skus;
	size_t nskus;
	struct intern *bgroups;     /* backend group ids */
	struct intern *bids;        /* backend object ids */
	uint8_t *bu;                /* enum rc_backend_user per key */
	size_t nbu;
	size_t backend_users;
	uint32_t *bid_of;           /* key id -> bids id + 1; 0: none */
	size_t nbid_of;
	char (*set)[3];             /* per key: the usage location to set */
	size_t nset;
	char **ua[UA_COUNT];        /* per key: the directory's value */
	size_t nua;
	struct intern *names;       /* user_name values, lower-case ... */
	uint32_t *name_key;         /* ... names id -> key id + 1 */
	size_t nname_key;
};

/* What the safety checks decided. */
struct safety_state {
	bool forced;                /* --force overrode a safety limit */
	bool stopped;               /* a safety stop */
	bool skip_record;           /* plan: the guard distrusts this view */
	bool guard;                 /* the group guard tripped */
};

/* apply: one outcome per plan change. */
struct apply_state {
	struct change_outcome *results;
	size_t failed;
};

/*
 * One run, by stage.  keys, apps and plan are what every stage shares:
 * the user keys seen anywhere, each policy app's state, and the plan.
 */
struct plan_run {
	struct run_base base;
	struct intern *keys;
	struct app_state *apps;     /* one per policy app */
	uint32_t *protected_ids;
	struct dir_view dv;
	struct backend_view *bv;    /* the backends the policy's apps use */
	size_t nbv;
	struct intern *bkeys;       /* backend users' keys, while reading */
	struct rc_plan plan;
	struct safety_state sf;
	struct apply_state ap;
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
/* The usage location user ID gets set before a license, at the first
 * backend that sets one, or NULL. */
const char *run_user_location(const struct plan_run *pr, uint32_t id);
/* The policy against the configuration: every app's backend exists and
 * takes the app's license key; apps of backends without seat counts
 * give `seats`.  EXIT_CONFIG with the app's position. */
int run_check_policy(const struct config *cfg, const struct policy *pol,
    struct err *e);
/* The seats of each app after the run, its changes that succeeded
 * counted in: OUT has one per policy app; app_status_free it. */
void run_seats(struct plan_run *pr, struct app_status *out);
/* Record run_seats with the run. */
int run_record_seats(struct plan_run *pr, struct err *e);
/* --metrics PATH for the run of COMMAND that ends with exit code R. */
int run_write_metrics(struct plan_run *pr, const char *path,
    const char *command, int r, struct err *e);

/* The report of the plan (or of what apply did) on stdout in O's format,
 * the line of -q instead, and the saved plan of -o.  E may be NULL. */
int run_output(struct plan_run *pr, const struct plan_opts *o,
    struct err *e);
/* apply: carry out the plan through the backend; exit 6 when some
 * changes failed. */
int run_execute(struct plan_run *pr, struct err *e);
/* The end of plan and apply (COMMAND): the seats the run leaves, the
 * run's outcome R recorded, the error logged, --metrics.  Returns the
 * exit code. */
int run_finish(struct plan_run *pr, const struct plan_opts *o,
    const char *command, int r, struct err *e);

#endif
