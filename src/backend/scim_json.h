/*
 * scim_json.h - SCIM 2.0 (RFC 7643/7644) as JSON: reading ListResponse
 * pages of users and groups, a group's members and an error body;
 * writing the bodies of POST /Users and of the PATCH operations.  Pure:
 * bytes in, values out, no I/O, so each is unit-tested on its own.  Used
 * by the SCIM backend only.
 */
#ifndef LICSYNC_SCIM_JSON_H
#define LICSYNC_SCIM_JSON_H

#include <stdbool.h>
#include <stddef.h>

#include "backend/backend.h"
#include "util/util.h"

/* The most pages one read may take: 100,000,000 users at count=1000;
 * more means the server's paging loops. */
#define SCIM_MAX_PAGES 100000u

/* One resource of a page: valid during the callback only. */
struct scim_resource {
	const char *id;
	const char *name;       /* userName, or a group's displayName */
	bool active;            /* users: "active" (true when absent) */
};

typedef int (*scim_resource_fn)(void *ctx, const struct scim_resource *r,
    struct err *e);

/*
 * One ListResponse page: FN for each resource with an id and a name (a
 * resource without is skipped and counted in *SKIPPED).  *TOTAL gets
 * totalResults (-1 when absent) and *COUNT the resources on the page.
 * A body that is no ListResponse, or an "active" that is not a boolean,
 * is EXIT_BACKEND.
 */
int scim_read_page(const char *body, size_t len, bool users,
    scim_resource_fn fn, void *ctx, long *total, size_t *count,
    size_t *skipped, struct err *e);

/* A group resource's members: *IDS (each a user id; strv_free it). */
int scim_read_members(const char *body, size_t len, struct strv *ids,
    struct err *e);

/* A user resource (the answer of POST /Users): its id, to free. */
int scim_read_id(const char *body, size_t len, char **id, struct err *e);

/* An error body {"schemas": [...Error], "status", "scimType", "detail"}:
 * *SCIM_TYPE and *DETAIL (free them; NULL when absent; the detail is cut
 * at 400 characters). */
void scim_read_error(const char *body, size_t len, char **scim_type,
    char **detail);

/* The body of POST /Users for P (userName USER_NAME), active. */
char *scim_user_body(const struct backend_person *p, const char *user_name);
/* PATCH /Users/{id}: replace active with ACTIVE (a boolean). */
char *scim_active_body(bool active);
/* PATCH /Groups/{id}: add the N user ids, or remove each of them. */
char *scim_members_body(const char *const *ids, size_t n, bool add);

/* What /ServiceProviderConfig says the server supports, in words:
 * "patch yes, filter yes (at most 200 results), bulk no, ...". */
void scim_describe_config(const char *body, size_t len, struct buf *out);

/* A SCIM filter value: S quoted, with '"' and '\' escaped; to free. */
char *scim_filter_string(const char *s);

#endif
