/*
 * reconcile.h - desired x current x recorded -> plan.  Pure: no I/O, no
 * clock, no globals; everything it knows comes in through rc_input.
 */
#ifndef LICSYNC_RECONCILE_H
#define LICSYNC_RECONCILE_H

#include <stddef.h>
#include <stdint.h>

#include "conf/policy.h"
#include "util/util.h"

/* What the backend says about a user key. */
enum rc_backend_user {
	RC_USER_UNKNOWN = 0,         /* the backend has no such user */
	RC_USER_OK = 1,
	RC_USER_NO_LOCATION = 2,     /* known, but without usageLocation */
	/* known without one, and licsync sets it first (usage_location) */
	RC_USER_SET_LOCATION = 3,
	/* known without one, and the directory's value is not a code */
	RC_USER_BAD_LOCATION = 4,
	/* not known, and the backend creates the user when it assigns */
	RC_USER_CREATE = 5,
};

/* One holder of an app's license. */
struct rc_holder {
	uint32_t user;
	bool direct;                 /* assigned to the user directly */
	const char *group;           /* inherited through this group id, or
	                                NULL when only direct */
};

struct rc_seen {
	uint32_t user;
	int64_t first;               /* first seen entitled */
};

struct rc_app_input {
	const struct app_policy *policy;
	const char *sku;             /* resolved GUID */
	long purchased;              /* prepaidUnits.enabled; -1: not
	                                counted (policy seats cap it) */
	long consumed;               /* consumedUnits */
	/* members of each policy group, in policy order; sorted ids */
	const uint32_t *const *groups;
	const size_t *ngroups;
	const uint32_t *const *excl_groups;
	const size_t *nexcl_groups;
	const uint32_t *exclude_users;   /* ids */
	size_t nexclude_users;
	const struct rc_holder *holders; /* one per user */
	size_t nholders;
	const uint32_t *owned;       /* licsync assigned these; sorted */
	size_t nowned;
	const struct rc_seen *seen;  /* recorded first entitlement */
	size_t nseen;
	/* grace: since when each holder has been recorded not entitled */
	const struct rc_seen *unentitled;
	size_t nunentitled;
	/* enum rc_backend_user per key id at the app's backend; NULL: the
	 * input's */
	const uint8_t *backend_user;
};

struct rc_input {
	const struct intern *keys;   /* names of the ids, for ordering */
	const uint8_t *backend_user; /* enum rc_backend_user per key id, for
	                                apps that give none */
	const uint32_t *protected_users;
	size_t nprotected;
	/* disabled in the directory: entitled to nothing, whatever their
	 * groups */
	const uint32_t *disabled_users;
	size_t ndisabled;
	const struct rc_app_input *apps;
	size_t napps;
	int64_t now;                 /* entitlement time of unrecorded users */
};

/* Why a user is not entitled. */
enum rc_cause {
	RC_NOT_IN_GROUPS,            /* in none of the app's groups */
	RC_EXCLUDED_GROUP,           /* arg: index in exclude_groups */
	RC_EXCLUDED_USER,            /* listed in exclude_users */
	RC_DISABLED,                 /* disabled in the directory */
};

enum rc_action { RC_UNASSIGN, RC_ASSIGN };

struct rc_change {
	uint32_t app;
	enum rc_action action;
	uint32_t user;
	/* assign: index of the policy group that entitles the user;
	 * unassign: the cause and its argument. */
	enum rc_cause cause;
	uint32_t arg;
};

enum rc_keep_reason {
	RC_KEEP_PROTECTED,           /* protected_users */
	RC_KEEP_INHERITED,           /* held through a group (group) */
	RC_KEEP_NOT_OWNED,           /* remove: owned, licsync did not assign */
	RC_KEEP_REMOVE_NEVER,        /* remove: never */
	RC_KEEP_GRACE,               /* removal due at `due` (policy grace) */
};

/* A user whose license is wrong by the policy but is left alone. */
struct rc_kept {
	uint32_t app;
	uint32_t user;
	enum rc_keep_reason reason;
	enum rc_cause cause;         /* why not entitled (not for PROTECTED) */
	uint32_t arg;
	bool entitled;               /* protected and entitled, not holding */
	const char *group;           /* RC_KEEP_INHERITED */
	int64_t due;                 /* RC_KEEP_GRACE: when it may go */
};

enum rc_skip_reason {
	RC_SKIP_UNKNOWN_USER,        /* the backend has no such user */
	RC_SKIP_NO_LOCATION,         /* the user has no usageLocation */
	RC_SKIP_BAD_LOCATION,        /* ... and the directory's is invalid */
};

struct rc_skip {
	uint32_t app;
	uint32_t user;
	enum rc_skip_reason reason;
};

struct rc_app_summary {
	long capacity;               /* min(purchased, seats); -1: none */
	long in_use;                 /* max(consumed, holders) */
	size_t entitled, holding, assign, unassign, unfulfilled, skipped, kept;
	size_t disabled;             /* members of its groups, disabled */
	uint32_t *entitled_ids;      /* sorted ids, for recording */
	uint32_t *waiting;           /* unfulfilled, in seat order */
	/* direct holders not entitled (not protected), with the time they
	 * were first seen so: the grace clock to record */
	struct rc_seen *unentitled;
	size_t nunentitled;
};

struct rc_plan {
	struct rc_change *changes;   /* by app, unassigns first, then key */
	size_t nchanges;
	struct rc_kept *kept;        /* by app, then key */
	size_t nkept;
	struct rc_skip *skipped;     /* by app, then key */
	size_t nskipped;
	struct rc_app_summary *apps; /* one per input app */
	size_t napps;
};

void reconcile(const struct rc_input *in, struct rc_plan *plan);
void rc_plan_free(struct rc_plan *plan);

#endif
