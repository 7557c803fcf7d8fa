/*
 * config_backend.h - a backend section of licsync.conf (`backend:`, each
 * entry of `backends:`): its keys, one table per type, and reading and
 * dumping it (for config.c).
 */
#ifndef LICSYNC_CONFIG_BACKEND_H
#define LICSYNC_CONFIG_BACKEND_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "conf/yamlwalk.h"

/* How a SCIM app's seat is held. */
enum scim_seat { SEAT_GROUP, SEAT_ACTIVE };

/* What the directory attributes of a user become at a SCIM vendor. */
struct scim_attributes {
	char *given_name;         /* name.givenName, default givenName */
	char *family_name;        /* name.familyName, default sn */
	char *display_name;       /* displayName, default displayName */
	char *email;              /* emails[primary], default mail */
	char *external_id;        /* externalId; NULL: the user key */
};

/* One backend: `backend:` (named "default") or an entry of `backends:`.
 * Which keys it has depends on its type (config_backend.c). */
struct config_backend {
	char *name;
	char *type;               /* "graph" or "scim" */
	/* every type */
	char *proxy;              /* NULL: libcurl's *_proxy variables */
	int concurrency;          /* requests in flight, default 4 */
	int max_retries;          /* per request or item, default 8 */
	int64_t max_retry_time;   /* seconds of retrying per run, default 600 */
	long write_budget;        /* writes per window ... */
	int64_t write_window;     /* ... per this many seconds */
	/* graph */
	char *tenant_id;
	char *client_id;
	char *client_secret_file; /* either this ... */
	char *client_certificate_file; /* ... or these two (PEM) */
	char *client_key_file;
	char *graph_url;          /* default https://graph.microsoft.com/v1.0 */
	char *token_url;          /* "{tenant_id}" already substituted */
	int64_t full_read_every;  /* seconds; default 1d; 0: every run */
	/* usage_location: what a user without one gets before a license */
	char *location_attribute; /* a directory attribute, or NULL */
	char location_default[3]; /* an ISO 3166 code, or "" */
	/* scim */
	char *url;                /* the SCIM base, no trailing slash */
	char *token_file;         /* the bearer token */
	enum scim_seat seat;      /* default group */
	char *user_name;          /* directory attribute; NULL: the user key */
	bool create_users;        /* default true */
	bool deprovision_delete;  /* deprovision: delete (default disable) */
	int page_size;            /* users per page, default 100 */
	int patch_members;        /* member changes per PATCH, default 100 */
	struct scim_attributes attrs;
};


/* Before reading: zero and the defaults every type shares. */
void config_backend_init(struct config_backend *b);
/* Read the mapping V as backend NAME (WHERE names it in messages): its
 * type chooses the keys; then the type's checks and defaults. */
int config_backend_read(struct yw *y, yaml_node_t *v, const char *name,
    const char *where, struct config_backend *b, struct err *e);
void config_backend_clear(struct config_backend *b);
/* The section's keys, each line starting with INDENT. */
void config_backend_dump(const struct config_backend *b, FILE *fp,
    const char *indent);

#endif
