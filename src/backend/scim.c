/*
 * scim.c - apps bought from the vendor, over SCIM 2.0 (RFC 7643/7644):
 * the bearer token, the vendor's groups as licenses (seat: group) or
 * its accounts' being active as one license (seat: active), and one
 * paged read of every user.  The writes are scim_apply.c's; the JSON is
 * scim_json.c's.
 */
#include <stdlib.h>
#include <string.h>

#include "backend/backend.h"
#include "backend/http.h"
#include "backend/scim_int.h"
#include "backend/scim_json.h"
#include "conf/config.h"
#include "util/log.h"

char *
scim_license_id(const struct backend *b, const char *group_id)
{
	if (group_id == NULL)
		return xasprintf("%s:active", b->cfg->name);
	return xasprintf("%s:group:%s", b->cfg->name, group_id);
}

const char *
scim_group_of(const struct backend *b, const char *sku)
{
	size_t n = strlen(b->cfg->name);

	if (strncmp(sku, b->cfg->name, n) != 0 ||
	    strncmp(sku + n, ":group:", 7) != 0)
		return NULL;
	return sku + n + 7;
}

void
scim_describe(const struct http_response *r, struct buf *out)
{
	char *type = NULL, *detail = NULL;

	scim_read_error(r->body.data, r->body.len, &type, &detail);
	buf_printf(out, "HTTP %ld", r->status);
	if (type != NULL)
		buf_printf(out, ": %s", type);
	if (detail != NULL)
		buf_printf(out, ": %s", detail);
	if (r->not_retried != NULL)
		buf_printf(out, "; not retried: %s", r->not_retried);
	free(type);
	free(detail);
}

/* Mask the token wherever a server echoed it into E. */
static void
scrub(struct backend *b, struct err *e)
{
	const char *tok = b->auth != NULL ? b->auth + 22 : NULL;
	char *p;

	if (tok == NULL || *tok == '\0')
		return;
	while ((p = strstr(e->msg, tok)) != NULL)
		memset(p, '*', strlen(tok));
}

int
scim_get(struct backend *b, const char *url, struct http_response *r,
    struct err *e)
{
	const char *hdrs[] = { b->auth, "Accept: application/scim+json",
		NULL };
	struct buf why = { 0 };
	int rv;

	memset(r, 0, sizeof(*r));
	rv = http_request(b->http, "GET", url, hdrs, NULL, r, e);
	if (rv != EXIT_OK) {
		http_response_free(r);
		scrub(b, e);
		return rv;
	}
	if (r->status == 200)
		return EXIT_OK;
	scim_describe(r, &why);
	err_set(e, "GET %s: %s%s", url, why.data, r->status == 401 ?
	    " (the token in token_file was refused)" : "");
	scrub(b, e);
	buf_free(&why);
	http_response_free(r);
	return EXIT_BACKEND;
}

static void
scim_close(struct backend *b)
{
	size_t i;

	if (b == NULL)
		return;
	http_free(b->http);
	if (b->budget_ready)
		budget_free(&b->budget);
	if (b->auth != NULL) {
		explicit_bzero(b->auth, strlen(b->auth));
		free(b->auth);
	}
	for (i = 0; i < b->nids; i++)
		free(b->ids[i]);
	free(b->ids);
	free(b->active);
	intern_free(b->keys);
	free(b);
}

/* The token, then one small read: a refused token fails here. */
static int
scim_open(const struct config_backend *cfg, struct backend **out,
    struct err *e)
{
	struct backend *b = xcalloc(1, sizeof(*b));
	struct http_options opt = { 120, cfg->max_retries, NULL, cfg->proxy };
	struct http_response r;
	char *token = NULL, *url;
	int rv;

	*out = NULL;
	b->cfg = cfg;
	b->keys = intern_new();
	b->retry.limit = (double)cfg->max_retry_time;
	opt.budget = &b->retry;
	if ((rv = read_secret_file(cfg->token_file, &token, e)) != EXIT_OK)
		goto fail;
	b->auth = xasprintf("Authorization: Bearer %s", token);
	explicit_bzero(token, strlen(token));
	free(token);
	if ((b->http = http_new(&opt)) == NULL) {
		err_set(e, "cannot initialise libcurl");
		rv = EXIT_BACKEND;
		goto fail;
	}
	url = xasprintf("%s/Users?startIndex=1&count=1&attributes=userName",
	    cfg->url);
	rv = scim_get(b, url, &r, e);
	free(url);
	if (rv != EXIT_OK)
		goto fail;
	http_response_free(&r);
	*out = b;
	return EXIT_OK;
fail:
	scim_close(b);
	return rv;
}

/* ---- paging ---- */

struct pager {
	scim_resource_fn fn;
	void *ctx;
	size_t seen;
};

static int
count_resource(void *ctx, const struct scim_resource *r, struct err *e)
{
	struct pager *p = ctx;

	p->seen++;
	return p->fn(p->ctx, r, e);
}

/*
 * Every resource of PATH (Users or Groups) with QUERY, COUNT at a time:
 * both paging parameters always, the next startIndex after what the page
 * held (a server may cap count), until a page is empty or totalResults
 * is reached.  Fewer resources than totalResults said is a partial list:
 * EXIT_BACKEND.
 */
static int
read_all(struct backend *b, const char *path, const char *query,
    bool users, scim_resource_fn fn, void *ctx, struct err *e)
{
	struct pager p = { fn, ctx, 0 };
	struct http_response r;
	long start = 1, total = -1, last_total = -1;
	size_t n, skipped = 0;
	unsigned pages = 0;
	char *url;
	int rv;

	for (;;) {
		if (++pages > SCIM_MAX_PAGES) {
			err_set(e, "%s: more than %u pages; refusing a list "
			    "that does not end", path, SCIM_MAX_PAGES);
			return EXIT_BACKEND;
		}
		url = xasprintf("%s/%s?startIndex=%ld&count=%d%s%s", b->cfg->url,
		    path, start, b->cfg->page_size, *query ? "&" : "", query);
		rv = scim_get(b, url, &r, e);
		free(url);
		if (rv != EXIT_OK)
			return rv;
		rv = scim_read_page(r.body.data, r.body.len, users,
		    count_resource, &p, &total, &n, &skipped, e);
		http_response_free(&r);
		if (rv != EXIT_OK)
			return rv;
		if (total >= 0)
			last_total = total;
		if (n == 0)
			break;
		start += (long)n;
		if (total >= 0 && start > total)
			break;
	}
	if (last_total >= 0 && p.seen + skipped < (size_t)last_total) {
		err_set(e, "%s: the server listed %zu of the %ld it counts; "
		    "refusing a partial list", path, p.seen + skipped,
		    last_total);
		return EXIT_BACKEND;
	}
	if (skipped > 0)
		log_warning("%s: %zu resources without an id or a name "
		    "skipped", path, skipped);
	log_debug("%s: %zu read in %u pages", path, p.seen, pages);
	return EXIT_OK;
}

/* ---- licenses ---- */

struct sku_list {
	struct backend *b;
	struct backend_sku *v;
	size_t n;
};

static int
on_group(void *ctx, const struct scim_resource *r, struct err *e)
{
	struct sku_list *l = ctx;
	struct backend_sku *s;

	(void)e;
	l->v = xreallocarray(l->v, l->n + 1, sizeof(*l->v));
	s = &l->v[l->n++];
	memset(s, 0, sizeof(*s));
	/* the vendor's id as it is: it goes back into /Groups/{id} */
	s->id = scim_license_id(l->b, r->id);
	s->part_number = xstrdup(r->name);
	s->vendor_id = xstrdup(r->id);
	s->enabled = -1;
	return EXIT_OK;
}

/* seat: group: every group, without its members; seat: active: one. */
static int
scim_list_skus(struct backend *b, struct backend_sku **skus, size_t *n,
    struct err *e)
{
	struct sku_list l = { b, NULL, 0 };
	int rv;

	*skus = NULL;
	*n = 0;
	if (b->cfg->seat == SEAT_ACTIVE) {
		l.v = xcalloc(1, sizeof(*l.v));
		l.v[0].id = scim_license_id(b, NULL);
		l.v[0].part_number = xstrdup("active");
		l.v[0].enabled = -1;
		l.n = 1;
	} else if ((rv = read_all(b, "Groups", "excludedAttributes=members",
	    false, on_group, &l, e)) != EXIT_OK) {
		backend_skus_free(l.v, l.n);
		return rv;
	}
	*skus = l.v;
	*n = l.n;
	return EXIT_OK;
}

/* ---- users ---- */

struct user_read {
	struct backend *b;
	const char *const *skus;        /* group licenses asked for */
	struct intern **members;        /* ... their members' ids */
	size_t ngroups;
	const char *active_sku;         /* seat: active */
	struct backend_license *lv;
	backend_user_fn fn;
	void *ctx;
	struct intern *listed;          /* user ids seen */
};

static void
grow_ids(struct backend *b, uint32_t id)
{
	size_t n;

	if (id >= b->nids) {
		n = b->nids ? b->nids * 2 : 1024;
		while (n <= id)
			n *= 2;
		b->ids = xreallocarray(b->ids, n, sizeof(*b->ids));
		memset(b->ids + b->nids, 0, (n - b->nids) * sizeof(*b->ids));
		b->active = xreallocarray(b->active, n, sizeof(*b->active));
		memset(b->active + b->nids, 0,
		    (n - b->nids) * sizeof(*b->active));
		b->nids = b->nactive = n;
	}
}

void
scim_know_user(struct backend *b, const char *key, const char *id,
    bool active)
{
	uint32_t k = intern_add(b->keys, key);

	grow_ids(b, k);
	free(b->ids[k]);
	b->ids[k] = xstrdup(id);
	b->active[k] = active;
}

static int
on_scim_user(void *ctx, const struct scim_resource *r, struct err *e)
{
	struct user_read *u = ctx;
	struct backend_user bu;
	size_t g, n = 0;
	uint32_t id;

	intern_add(u->listed, r->id);
	scim_know_user(u->b, r->name, r->id, r->active);
	for (g = 0; g < u->ngroups; g++)
		if (intern_find(u->members[g], r->id, &id)) {
			u->lv[n].sku = u->skus[g];
			u->lv[n++].group = NULL;
		}
	if (u->active_sku != NULL && r->active) {
		u->lv[n].sku = u->active_sku;
		u->lv[n++].group = NULL;
	}
	memset(&bu, 0, sizeof(bu));
	bu.key = r->name;
	bu.id = r->id;
	bu.licenses = u->lv;
	bu.nlicenses = n;
	return u->fn(u->ctx, &bu, e);
}

/* The members of group license SKU into *OUT. */
static int
read_members(struct backend *b, const char *sku, struct intern **out,
    struct err *e)
{
	const char *gid = scim_group_of(b, sku);
	struct http_response r;
	struct strv ids = { 0 };
	char *url;
	size_t i;
	int rv;

	*out = intern_new();
	if (gid == NULL)
		return EXIT_OK;
	url = xasprintf("%s/Groups/%s?attributes=members", b->cfg->url, gid);
	rv = scim_get(b, url, &r, e);
	free(url);
	if (rv != EXIT_OK)
		return rv;
	rv = scim_read_members(r.body.data, r.body.len, &ids, e);
	http_response_free(&r);
	for (i = 0; i < ids.n; i++)
		intern_add(*out, ids.v[i]);
	strv_free(&ids);
	return rv;
}

/* Members of the groups the run needs, then every user once. */
static int
scim_list_users(struct backend *b, const char *const *skus, size_t nskus,
    backend_user_fn fn, void *ctx, struct err *e)
{
	struct user_read u;
	size_t g, dangling = 0;
	uint32_t i, n, id;
	int rv = EXIT_OK;

	memset(&u, 0, sizeof(u));
	u.b = b;
	u.fn = fn;
	u.ctx = ctx;
	u.listed = intern_new();
	u.lv = xcalloc(nskus + 1, sizeof(*u.lv));
	if (b->cfg->seat == SEAT_ACTIVE) {
		u.active_sku = nskus > 0 ? skus[0] : NULL;
	} else {
		u.skus = skus;
		u.members = xcalloc(nskus + 1, sizeof(*u.members));
		for (g = 0; g < nskus && rv == EXIT_OK; g++, u.ngroups++)
			rv = read_members(b, skus[g], &u.members[g], e);
	}
	if (rv == EXIT_OK)
		rv = read_all(b, "Users", "attributes=userName,active", true,
		    on_scim_user, &u, e);
	/* members the list of users did not name hold nothing licsync can
	 * see: said, not silently dropped */
	for (g = 0; rv == EXIT_OK && g < u.ngroups; g++)
		for (i = 0, n = intern_count(u.members[g]); i < n; i++)
			if (!intern_find(u.listed, intern_str(u.members[g], i),
			    &id))
				dangling++;
	if (dangling > 0)
		log_warning("%s: %zu group members are not among the users "
		    "listed; they are left alone", b->cfg->name, dangling);
	for (g = 0; g < u.ngroups; g++)
		intern_free(u.members[g]);
	free(u.members);
	free(u.lv);
	intern_free(u.listed);
	return rv;
}

static int
on_found(void *ctx, const struct scim_resource *r, struct err *e)
{
	(void)e;
	scim_know_user(ctx, r->name, r->id, r->active);
	return EXIT_OK;
}

bool
scim_known_user(struct backend *b, const char *user_name, const char **id,
    bool *active)
{
	uint32_t k;

	*id = NULL;
	*active = false;
	if (!intern_find(b->keys, user_name, &k) || b->ids[k] == NULL)
		return false;
	*id = b->ids[k];
	*active = b->active[k];
	return true;
}

int
scim_find_user(struct backend *b, const char *user_name, const char **id,
    bool *active, struct err *e)
{
	struct http_response r;
	char *q, *esc, *url;
	size_t n, skipped = 0;
	long total;
	uint32_t k;
	int rv;

	*id = NULL;
	*active = false;
	if (!intern_find(b->keys, user_name, &k) || b->ids[k] == NULL) {
		q = scim_filter_string(user_name);
		esc = http_escape(b->http, q);
		url = xasprintf("%s/Users?filter=userName%%20eq%%20%s"
		    "&startIndex=1&count=1", b->cfg->url, esc);
		free(q);
		free(esc);
		rv = scim_get(b, url, &r, e);
		free(url);
		if (rv != EXIT_OK)
			return rv;
		rv = scim_read_page(r.body.data, r.body.len, true, on_found,
		    b, &total, &n, &skipped, e);
		http_response_free(&r);
		if (rv != EXIT_OK)
			return rv;
	}
	if (intern_find(b->keys, user_name, &k) && b->ids[k] != NULL) {
		*id = b->ids[k];
		*active = b->active[k];
	}
	return EXIT_OK;
}

static int
scim_describe_endpoint(struct backend *b, FILE *out, struct err *e)
{
	struct http_response r;
	char *url = xasprintf("%s/ServiceProviderConfig", b->cfg->url);
	struct buf what = { 0 };
	int rv;

	rv = scim_get(b, url, &r, e);
	free(url);
	if (rv != EXIT_OK)
		return rv;
	scim_describe_config(r.body.data, r.body.len, &what);
	fprintf(out, "  ServiceProviderConfig: %s\n", what.data);
	buf_free(&what);
	http_response_free(&r);
	return EXIT_OK;
}

static const struct backend_license_key scim_license_keys[] = {
	{ "scim_group", MATCH_ID_OR_NAME },
	{ NULL, MATCH_ID },
};

const struct backend_ops backend_scim_ops = {
	.type = "scim",
	.license_keys = scim_license_keys,
	.creates_users = true,
	.opened = "token accepted",
	.open = scim_open,
	.list_skus = scim_list_skus,
	.list_users = scim_list_users,
	.apply = scim_apply,
	.describe = scim_describe_endpoint,
	.close = scim_close,
};
