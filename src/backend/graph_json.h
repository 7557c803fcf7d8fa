/*
 * graph_json.h - reading Microsoft Graph's answers: the token, the
 * subscribed SKUs, a page of users, an error body, and the guard that
 * keeps paging finite.  Pure: bytes in, values out, no I/O, so each is
 * unit-tested and fuzzed on its own (tests/fuzz/).  Used by
 * backend_graph.c only.
 */
#ifndef LICSYNC_GRAPH_JSON_H
#define LICSYNC_GRAPH_JSON_H

#include <stddef.h>

#include "backend/backend.h"
#include "util/util.h"

/* The most pages one read of the users may take: 99,900,000 users at
 * $top=999, far above any tenant; more means the paging loops. */
#define GRAPH_MAX_PAGES 100000u

/*
 * A token answer {"access_token", "expires_in", ...}: *TOKEN (free it,
 * cleared) and its lifetime in seconds (3599 when absent or invalid).
 * EXIT_BACKEND without an access_token.
 */
int graph_read_token(const char *body, size_t len, char **token,
    long *expires_in, struct err *e);

/*
 * GET /subscribedSkus: every SKU with a skuId, ids in lower case.  A
 * count that is not a whole number from 0 to 2147483647 is refused
 * (EXIT_BACKEND), so arithmetic on seats can never overflow.
 */
int graph_read_skus(const char *body, size_t len, struct backend_sku **skus,
    size_t *n, struct err *e);

/*
 * One page of GET /users: FN for each user that has an id and a
 * userPrincipalName, with its licenses in effect (direct or through a
 * group).  *NEXT gets the page's @odata.nextLink (free it) or NULL.
 */
int graph_read_users(const char *body, size_t len, backend_user_fn fn,
    void *ctx, char **next, struct err *e);

/*
 * One page of GET /users/delta: C->changed for each user (as
 * graph_read_users), C->removed for each entry with "@removed".  *NEXT
 * gets the page's @odata.nextLink, *DELTA its @odata.deltaLink (free
 * them; at most one is set).
 */
int graph_read_delta(const char *body, size_t len,
    const struct backend_changes *c, char **next, char **delta,
    struct err *e);

/* "HTTP 400: code: message (request-id R)" from a Graph or token error
 * body, appended to OUT; the message is cut at 400 characters. */
void graph_describe_error(long status, const char *body, size_t len,
    const char *request_id, struct buf *out);

/*
 * Paging: each @odata.nextLink must lie under PREFIX (the token goes
 * only where graph_url points), must not have been seen before (a link
 * to itself or to an earlier page loops), and there must be at most
 * MAX_PAGES pages.  Returns EXIT_OK, or EXIT_BACKEND saying which rule
 * the link broke.
 */
struct page_guard {
	const char *prefix;
	unsigned max_pages;
	unsigned pages;         /* followed so far, the first one counted */
	struct intern *seen;    /* SHA-256 of each link followed */
};

void page_guard_init(struct page_guard *g, const char *prefix,
    unsigned max_pages, const char *first);
int page_guard_next(struct page_guard *g, const char *link, struct err *e);
void page_guard_free(struct page_guard *g);

#endif
