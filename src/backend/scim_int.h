/*
 * scim_int.h - what scim.c (the bearer token, reads, check --online) and
 * scim_apply.c (the writes) share.  Internal to the SCIM backend.
 */
#ifndef LICSYNC_SCIM_INT_H
#define LICSYNC_SCIM_INT_H

#include <stdbool.h>

#include "backend/backend.h"
#include "backend/retry.h"

struct http;
struct http_response;

struct backend {
	const struct config_backend *cfg;
	struct http *http;
	char *auth;             /* "Authorization: Bearer ..." */
	/* every request of the run: reads and changes */
	struct retry_budget retry;
	/* apply: shared by all calls of one run */
	struct write_budget budget;
	bool budget_ready;
	/* the users of the run, by key: their ids, once known or created */
	struct intern *keys;
	char **ids;             /* per keys id, or NULL */
	size_t nids;
	bool *active;           /* per keys id: the account is active */
	size_t nactive;
};

/* The license id of the "active" seat, or of group GROUP_ID. */
char *scim_license_id(const struct backend *b, const char *group_id);
/* The group id in license id SKU, or NULL (the active seat). */
const char *scim_group_of(const struct backend *b, const char *sku);

/* "HTTP 409: uniqueness: detail" from an answer, into OUT. */
void scim_describe(const struct http_response *r, struct buf *out);
/* GET URL with the token, retried as http_request retries: R gets the
 * 200 answer (free it); any other status is EXIT_BACKEND. */
int scim_get(struct backend *b, const char *url, struct http_response *r,
    struct err *e);
/* A user's id, and whether it is active, by userName, as the run's list
 * said: false (*ID NULL) when it did not list the user. */
bool scim_known_user(struct backend *b, const char *user_name,
    const char **id, bool *active);
/* The same, and then a filter on userName: *ID NULL when there is none. */
int scim_find_user(struct backend *b, const char *user_name,
    const char **id, bool *active, struct err *e);
/* Note what the run knows of user KEY. */
void scim_know_user(struct backend *b, const char *key, const char *id,
    bool active);

/* apply (struct backend_ops). */
int scim_apply(struct backend *b, const struct backend_change *c, size_t n,
    const struct backend_sink *sink, struct err *e);

#endif
