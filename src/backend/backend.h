/* backend.h - where licenses live: a small vtable per backend type */
#ifndef LICSYNC_BACKEND_H
#define LICSYNC_BACKEND_H

#include <stdbool.h>
#include <stddef.h>

#include "backend/batch.h"
#include "util/util.h"

struct config_backend;

struct backend_sku {
	char *id;               /* GUID, lower-case */
	char *part_number;
	char *status;           /* capabilityStatus */
	long enabled;           /* prepaidUnits.enabled */
	long warning;           /* prepaidUnits.warning */
	long consumed;          /* consumedUnits */
};

struct backend_license {
	const char *sku;        /* GUID, lower-case */
	const char *group;      /* inherited through this group; NULL: direct */
};

/* A user as the backend knows it; valid during the callback only. */
struct backend_user {
	const char *key;        /* e.g. userPrincipalName */
	const char *id;
	bool has_location;      /* usageLocation set */
	const struct backend_license *licenses;
	size_t nlicenses;
};

typedef int (*backend_user_fn)(void *ctx, const struct backend_user *u,
    struct err *e);

/* One license change for one user. */
struct backend_change {
	const char *user_id;    /* the backend's object id */
	const char *sku;
	bool add;
	const char *const *disabled_plans;
	size_t ndisabled;
	/* add: set the user's usage location to this ISO 3166 code first,
	 * or NULL */
	const char *usage_location;
};

/* What became of a change; valid during the callback only. */
struct backend_outcome {
	enum outcome outcome;   /* OUTCOME_OK, or why not (batch.h) */
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
	/* Connect and authenticate: a refused credential fails here. */
	int (*open)(const struct config_backend *cfg, struct backend **out,
	    struct err *e);
	int (*list_skus)(struct backend *b, struct backend_sku **skus,
	    size_t *n, struct err *e);
	/* Every user of the tenant, once, streamed page by page. */
	int (*list_users)(struct backend *b, backend_user_fn fn, void *ctx,
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
	void (*close)(struct backend *b);
};

const struct backend_ops *backend_find(const char *type);
void backend_skus_free(struct backend_sku *skus, size_t n);

extern const struct backend_ops backend_graph_ops;

#endif
