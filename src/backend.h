/* backend.h - where licenses live: a small vtable per backend type */
#ifndef LICSYNC_BACKEND_H
#define LICSYNC_BACKEND_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "util.h"

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
	void (*close)(struct backend *b);
};

const struct backend_ops *backend_find(const char *type);
void backend_skus_free(struct backend_sku *skus, size_t n);

extern const struct backend_ops backend_graph_ops;

#endif
