/*
 * graph.c - Microsoft Graph: the client-credentials token, subscribedSkus
 * and one paged read of the tenant's users.  The changes, applied through
 * $batch, are graph_apply.c's; what Graph's answers say is read by
 * graph_json.c; what a $batch holds and means, by batch.c.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backend/backend.h"
#include "backend/graph_int.h"
#include "backend/graph_json.h"
#include "backend/http.h"
#include "backend/jwt.h"
#include "conf/config.h"
#include "util/log.h"

#define USERS_SELECT "id,userPrincipalName,usageLocation,assignedLicenses," \
	"licenseAssignmentStates"

int64_t
graph_wall_clock(void)
{
	return (int64_t)time(NULL);
}

void
graph_scrub(struct backend *b, struct err *e)
{
	char *p;

	/* A server that echoes the secret back must not put it in a log. */
	if (b->secret == NULL || *b->secret == '\0')
		return;
	while ((p = strstr(e->msg, b->secret)) != NULL)
		memset(p, '*', strlen(b->secret));
}

/* "code: message" from a Graph or token error body, or the HTTP status,
 * and why a throttled request was not tried again. */
static void
describe_error(const struct http_response *r, struct buf *out)
{
	graph_describe_error(r->status, r->body.data, r->body.len,
	    r->request_id, out);
	if (r->not_retried != NULL)
		buf_printf(out, "; not retried: %s", r->not_retried);
}

/* The form fields proving who we are: the secret, or a signed assertion
 * for the certificate (../shared/GRAPH.md). */
static int
credential(struct backend *b, char **out, struct err *e)
{
	const struct config_backend *c = b->cfg;
	char *jwt = NULL, *esc;
	int r;

	*out = NULL;
	if (c->client_certificate_file == NULL) {
		esc = http_escape(b->http, b->secret);
		*out = xasprintf("client_secret=%s", esc);
		explicit_bzero(esc, strlen(esc));
		free(esc);
		return EXIT_OK;
	}
	r = jwt_client_assertion(c->client_certificate_file,
	    c->client_key_file, c->client_id, c->token_url, graph_wall_clock(), &jwt,
	    e);
	if (r != EXIT_OK)
		return r;
	*out = xasprintf("client_assertion_type=urn%%3Aietf%%3Aparams%%3Aoauth"
	    "%%3Aclient-assertion-type%%3Ajwt-bearer&client_assertion=%s", jwt);
	explicit_bzero(jwt, strlen(jwt));
	free(jwt);
	return EXIT_OK;
}

void
graph_clear_free(char *s)
{
	if (s == NULL)
		return;
	explicit_bzero(s, strlen(s));
	free(s);
}

int
graph_fetch_token(struct backend *b, struct err *e)
{
	const char *hdrs[] = {
		"Content-Type: application/x-www-form-urlencoded",
		"Accept: application/json", NULL
	};
	struct http_response r = { 0 };
	struct buf why = { 0 };
	char *id = http_escape(b->http, b->cfg->client_id), *cred = NULL;
	char *body = NULL, *tok = NULL;
	int rv = EXIT_BACKEND;
	long exp;

	if ((rv = credential(b, &cred, e)) != EXIT_OK)
		goto out;
	/* one allocation, cleared after use: the body holds the secret */
	body = xasprintf("grant_type=client_credentials&client_id=%s"
	    "&scope=https%%3A%%2F%%2Fgraph.microsoft.com%%2F.default&%s", id,
	    cred);
	rv = http_request(b->http, "POST", b->cfg->token_url, hdrs, body, &r,
	    e);
	if (rv != EXIT_OK)
		goto out;
	rv = EXIT_BACKEND;
	if (r.status != 200) {
		describe_error(&r, &why);
		err_set(e, "token request refused: %s", why.data);
		goto out;
	}
	if ((rv = graph_read_token(r.body.data, r.body.len, &tok, &exp, e)) !=
	    EXIT_OK)
		goto out;
	graph_clear_free(b->token);
	b->token = xasprintf("Authorization: Bearer %s", tok);
	/* Ask again five minutes before it runs out. */
	b->token_expiry = graph_wall_clock() + (exp > 600 ? exp - 300 : exp / 2);
	log_debug("token obtained, valid %ld s", exp);
	rv = EXIT_OK;
out:
	free(id);
	graph_clear_free(cred);
	graph_clear_free(body);
	graph_clear_free(tok);
	buf_free(&why);
	/* the answer holds the token */
	if (r.body.data != NULL)
		explicit_bzero(r.body.data, r.body.len);
	http_response_free(&r);
	graph_scrub(b, e);
	return rv;
}

/* GET a Graph URL with header HDR (or NULL): R gets the 200 answer, or
 * one with status ALSO (free it); one token refresh on 401; any other
 * status is an error. */
static int
graph_get(struct backend *b, const char *url, const char *hdr, long also,
    struct http_response *r, struct err *e)
{
	struct buf why = { 0 };
	int rv, tries;

	memset(r, 0, sizeof(*r));
	for (tries = 0;; tries++) {
		const char *hdrs[] = { NULL, "Accept: application/json",
			hdr, NULL };

		if ((b->token == NULL || graph_wall_clock() >= b->token_expiry) &&
		    (rv = graph_fetch_token(b, e)) != EXIT_OK)
			return rv;
		hdrs[0] = b->token;
		rv = http_request(b->http, "GET", url, hdrs, NULL, r, e);
		if (rv != EXIT_OK) {
			http_response_free(r);
			return rv;
		}
		if (r->status == 401 && tries == 0) {
			http_response_free(r);
			graph_clear_free(b->token);
			b->token = NULL;
			continue;
		}
		break;
	}
	if (r->status == 200 || (also != 0 && r->status == also))
		return EXIT_OK;
	describe_error(r, &why);
	err_set(e, "GET %s: %s", url, why.data);
	buf_free(&why);
	http_response_free(r);
	return EXIT_BACKEND;
}

static int
graph_open(const struct config_backend *cfg, struct backend **out,
    struct err *e)
{
	struct backend *b = xcalloc(1, sizeof(*b));
	struct http_options opt = { 120, cfg->max_retries, NULL, cfg->proxy };
	int r;

	*out = NULL;
	b->cfg = cfg;
	b->retry.limit = (double)cfg->max_retry_time;
	opt.budget = &b->retry;
	if (cfg->client_secret_file != NULL &&
	    (r = read_secret_file(cfg->client_secret_file, &b->secret, e)) !=
	    EXIT_OK)
		goto fail;
	b->http = http_new(&opt);
	if (b->http == NULL) {
		err_set(e, "cannot initialise libcurl");
		r = EXIT_BACKEND;
		goto fail;
	}
	if ((r = graph_fetch_token(b, e)) != EXIT_OK)
		goto fail;
	*out = b;
	return EXIT_OK;
fail:
	backend_graph_ops.close(b);
	return r;
}

static int
graph_list_skus(struct backend *b, struct backend_sku **skus, size_t *n,
    struct err *e)
{
	char *url = xasprintf("%s/subscribedSkus", b->cfg->graph_url);
	struct http_response r;
	int rv;

	*skus = NULL;
	*n = 0;
	if ((rv = graph_get(b, url, NULL, 0, &r, e)) == EXIT_OK) {
		rv = graph_read_skus(r.body.data, r.body.len, skus, n, e);
		http_response_free(&r);
	}
	free(url);
	return rv;
}

/* Every user with every license: Graph has no cheaper read of a few. */
static int
graph_list_users(struct backend *b, const char *const *skus, size_t nskus,
    backend_user_fn fn, void *ctx, struct err *e)
{
	char *url = xasprintf("%s/users?$select=" USERS_SELECT "&$top=999",
	    b->cfg->graph_url);
	char *prefix = xasprintf("%s/", b->cfg->graph_url), *next = NULL;
	struct page_guard guard;
	struct http_response r;
	int rv;

	(void)skus;
	(void)nskus;
	page_guard_init(&guard, prefix, GRAPH_MAX_PAGES, url);
	for (;;) {
		if ((rv = graph_get(b, url, NULL, 0, &r, e)) != EXIT_OK)
			goto out;
		rv = graph_read_users(r.body.data, r.body.len, fn, ctx, &next,
		    e);
		http_response_free(&r);
		if (rv != EXIT_OK || next == NULL)
			break;
		if ((rv = page_guard_next(&guard, next, e)) != EXIT_OK)
			goto out;
		free(url);
		url = next;
		next = NULL;
	}
	if (rv == EXIT_OK)
		log_debug("read users in %u pages", guard.pages);
out:
	page_guard_free(&guard);
	free(next);
	free(url);
	free(prefix);
	return rv;
}

/*
 * The delta query: every user with a first round (SINCE NULL), or those
 * changed since the deltaLink SINCE; either way to the round's last page,
 * whose deltaLink is *NEXT.  410 (the token is gone: resyncRequired,
 * syncStateNotFound) is *REFUSED; so is a SINCE outside graph_url, which
 * the token must never be sent to.
 */
static int
graph_read_changes(struct backend *b, const char *since,
    const struct backend_changes *c, char **next, bool *refused,
    struct err *e)
{
	char *prefix = xasprintf("%s/", b->cfg->graph_url), *url, *more = NULL;
	char *delta = NULL;
	struct page_guard guard;
	struct http_response r;
	int rv;

	*next = NULL;
	*refused = false;
	if (since != NULL && strncmp(since, prefix, strlen(prefix)) != 0) {
		log_info("the stored delta link is not under graph_url; "
		    "reading every user");
		*refused = true;
		free(prefix);
		return EXIT_OK;
	}
	url = since != NULL ? xstrdup(since) : xasprintf("%s/users/delta?"
	    "$select=" USERS_SELECT, b->cfg->graph_url);
	page_guard_init(&guard, prefix, GRAPH_MAX_PAGES, url);
	for (;;) {
		rv = graph_get(b, url, "Prefer: odata.maxpagesize=999",
		    guard.pages == 1 && since != NULL ? 410 : 0, &r, e);
		if (rv != EXIT_OK)
			break;
		if (r.status == 410) {
			http_response_free(&r);
			*refused = true;
			break;
		}
		rv = graph_read_delta(r.body.data, r.body.len, c, &more, &delta,
		    e);
		http_response_free(&r);
		if (rv != EXIT_OK || more == NULL)
			break;
		if ((rv = page_guard_next(&guard, more, e)) != EXIT_OK)
			break;
		free(url);
		url = more;
		more = NULL;
	}
	if (rv == EXIT_OK && !*refused && delta == NULL) {
		err_set(e, "GET %s: the last page has no @odata.deltaLink",
		    url);
		rv = EXIT_BACKEND;
	}
	if (rv == EXIT_OK && !*refused) {
		*next = delta;
		delta = NULL;
		log_debug("read %s in %u pages", since != NULL ? "the changes" :
		    "every user", guard.pages);
	}
	page_guard_free(&guard);
	free(more);
	free(delta);
	free(url);
	free(prefix);
	return rv;
}

static void
graph_close(struct backend *b)
{
	if (b == NULL)
		return;
	http_free(b->http);
	if (b->budget_ready)
		budget_free(&b->budget);
	graph_clear_free(b->secret);
	graph_clear_free(b->token);
	free(b);
}

static const struct backend_license_key graph_license_keys[] = {
	{ "sku", MATCH_ID },
	{ "sku_part_number", MATCH_NAME },
	{ NULL, MATCH_ID },
};

const struct backend_ops backend_graph_ops = {
	.type = "graph",
	.license_keys = graph_license_keys,
	.opened = "token obtained",
	.open = graph_open,
	.list_skus = graph_list_skus,
	.list_users = graph_list_users,
	.read_changes = graph_read_changes,
	.apply = graph_apply,
	.close = graph_close,
};
