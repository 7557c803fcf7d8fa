/*
 * backend.h - where licenses live: a small vtable per backend type.
 * Nothing here is one backend's: a license is an opaque id the backend
 * lists (a Graph SKU, a SCIM group, a SCIM account's being active), a
 * user is a key and the backend's id, and an outcome is one of a fixed
 * set every backend reports in.
 */
#ifndef LICSYNC_BACKEND_H
#define LICSYNC_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "util/util.h"

struct config_backend;

/* One license the backend holds seats of. */
struct backend_sku {
	char *id;               /* unique among every backend's (Graph's in
	                           lower case) */
	char *part_number;      /* its name (Graph: skuPartNumber), or NULL */
	char *vendor_id;        /* the vendor's own id when id is not, or NULL */
	char *status;           /* capabilityStatus, or NULL */
	long enabled;           /* seats bought; -1: the backend has no count */
	long warning;           /* prepaidUnits.warning */
	long consumed;          /* seats in use as the backend counts them */
};

/* Which policy keys name a backend's licenses, and how. */
enum backend_match {
	MATCH_ID,               /* the id (Graph: sku) */
	MATCH_NAME,             /* the name, in any case (sku_part_number) */
	MATCH_ID_OR_NAME,       /* the vendor's id or the name (scim_group) */
};

struct backend_license_key {
	const char *key;        /* the policy key, e.g. "sku" */
	enum backend_match match;
};

struct backend_license {
	const char *sku;        /* a backend_sku id */
	const char *group;      /* inherited through this group; NULL: direct */
};

/* A user as the backend knows it; valid during the callback only. */
struct backend_user {
	const char *key;        /* e.g. userPrincipalName, userName */
	const char *id;
	/* why no license can be assigned to the user as it is, or NULL
	 * (Graph: it has no usage location, which licsync can set first) */
	const char *unlicensable;
	const struct backend_license *licenses;
	size_t nlicenses;
};

typedef int (*backend_user_fn)(void *ctx, const struct backend_user *u,
    struct err *e);
/* A user the backend no longer has, by its id (a read of changes). */
typedef int (*backend_removed_fn)(void *ctx, const char *id,
    struct err *e);

/* Where a read of changes goes: each user created or changed, whole, and
 * each one removed. */
struct backend_changes {
	backend_user_fn changed;
	backend_removed_fn removed;
	void *ctx;
};

/* Who to create when a license goes to a user the backend does not know
 * (backends that create users); strings may be NULL. */
struct backend_person {
	const char *user_name;
	const char *given_name;
	const char *family_name;
	const char *display_name;
	const char *email;
	const char *external_id;
};

/* One license change for one user. */
struct backend_change {
	const char *user_key;   /* the user's key, for messages */
	const char *user_id;    /* the backend's object id; NULL: create it */
	const struct backend_person *person;    /* user_id NULL: who */
	const char *sku;
	bool add;
	const char *const *disabled_plans;
	size_t ndisabled;
	/* add: set the user's usage location to this ISO 3166 code first,
	 * or NULL (Graph) */
	const char *usage_location;
};

/* What became of a change. */
enum outcome {
	OUTCOME_OK,
	OUTCOME_RETRY,          /* 429, 503, 504: try again later */
	OUTCOME_AUTH,           /* 401: get a new token, try again */
	OUTCOME_NO_SEATS,
	OUTCOME_NO_LOCATION,
	OUTCOME_USER_UNKNOWN,
	OUTCOME_INHERITED,      /* skipped: only the group can remove it */
	OUTCOME_NOT_HELD,       /* removed already: the user has none */
	OUTCOME_EXCLUSIVE,      /* mutually exclusive service plans */
	OUTCOME_DEPENDENCY,     /* a service plan depends on another */
	OUTCOME_LOCATION_REFUSED, /* setting the usage location failed */
	OUTCOME_CREATE_FAILED,  /* the user could not be created */
	OUTCOME_ERROR,          /* anything else */
};

/* "ok", "no_seats", ... as recorded in the audit trail. */
const char *outcome_name(enum outcome o);

/* What became of a change; valid during the callback only. */
struct backend_outcome {
	enum outcome outcome;   /* OUTCOME_OK, or why not */
	long status;            /* the HTTP status of the item, 0: none */
	const char *code;       /* the backend's error code, or NULL */
	const char *message;    /* its message, or ours, or NULL */
	const char *request_id; /* for the vendor's support, or NULL */
	int attempts;           /* times sent */
	bool location_set;      /* the usage location was set */
};

/* Where outcomes go. */
struct backend_sink {
	/* Exactly once per change, in any order. */
	void (*done)(void *ctx, size_t index, const struct backend_outcome *o);
	/* After the outcomes of each answer: the moment to make them
	 * durable, so a crash loses nothing the backend confirmed. */
	void (*checkpoint)(void *ctx);
	void *ctx;
};

struct backend;

struct backend_ops {
	const char *type;
	/* The policy keys that name its licenses, ended by a NULL key; an
	 * app that names none takes the backend's only license. */
	const struct backend_license_key *license_keys;
	/* It creates the users a license goes to that it does not know
	 * (backend_change.person), when the configuration lets it. */
	bool creates_users;
	/* check --online: what open achieved ("token obtained") */
	const char *opened;
	/* Connect and authenticate: a refused credential fails here. */
	int (*open)(const struct config_backend *cfg, struct backend **out,
	    struct err *e);
	int (*list_skus)(struct backend *b, struct backend_sku **skus,
	    size_t *n, struct err *e);
	/*
	 * Every user of the backend, once, streamed page by page, with what
	 * each holds of the licenses SKUS (ids from list_skus; the backend
	 * may report others too).
	 */
	int (*list_users)(struct backend *b, const char *const *skus,
	    size_t nskus, backend_user_fn fn, void *ctx, struct err *e);
	/*
	 * Optional (NULL: list_users every run): the users changed since
	 * SINCE, a link an earlier call gave, or every user when SINCE is
	 * NULL; *NEXT (free it) the link to give next time.  *REFUSED: the
	 * backend no longer knows SINCE, and nothing was reported; read
	 * again without it.
	 */
	int (*read_changes)(struct backend *b, const char *since,
	    const struct backend_changes *c, char **next, bool *refused,
	    struct err *e);
	/*
	 * Carry out N changes, reporting each outcome to SINK.  One failed
	 * change never stops the others; only an answer that names the
	 * change confirms it.  Returns EXIT_OK when every change has an
	 * outcome.  Calls in one run share the write budget, and every
	 * request of the run (reads too) shares the retry time.
	 */
	int (*apply)(struct backend *b, const struct backend_change *c,
	    size_t n, const struct backend_sink *sink, struct err *e);
	/* check --online: what the endpoint says of itself, one line per
	 * fact on OUT; NULL: nothing beyond open. */
	int (*describe)(struct backend *b, FILE *out, struct err *e);
	void (*close)(struct backend *b);
};

const struct backend_ops *backend_find(const char *type);
void backend_skus_free(struct backend_sku *skus, size_t n);

extern const struct backend_ops backend_graph_ops;
extern const struct backend_ops backend_scim_ops;

#endif
