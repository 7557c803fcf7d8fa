/*
 * backend_graph.c - Microsoft Graph: client-credentials token,
 * subscribedSkus, and one paged read of the tenant's users.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "backend.h"
#include "http.h"
#include "log.h"

#define USERS_SELECT "id,userPrincipalName,usageLocation,assignedLicenses," \
	"licenseAssignmentStates"

struct backend {
	const struct config_backend *cfg;
	struct http *http;
	char *secret;
	char *token;
	int64_t token_expiry;
};

static void
scrub(struct backend *b, struct err *e)
{
	char *p;

	/* A server that echoes the secret back must not put it in a log. */
	if (b->secret == NULL || *b->secret == '\0')
		return;
	while ((p = strstr(e->msg, b->secret)) != NULL)
		memset(p, '*', strlen(b->secret));
}

/* "code: message" from a Graph or token error body, or the HTTP status. */
static void
describe_error(const struct http_response *r, struct buf *out)
{
	json_t *root = json_loadb(r->body.data, r->body.len, 0, NULL);
	json_t *err = json_object_get(root, "error");
	const char *code = NULL, *msg = NULL;

	if (json_is_object(err)) {
		code = json_string_value(json_object_get(err, "code"));
		msg = json_string_value(json_object_get(err, "message"));
	} else if (json_is_string(err)) {
		code = json_string_value(err);
		msg = json_string_value(json_object_get(root,
		    "error_description"));
	}
	buf_printf(out, "HTTP %ld", r->status);
	if (code != NULL)
		buf_printf(out, ": %s", code);
	if (msg != NULL)
		buf_printf(out, ": %.*s", 400, msg);
	if (r->request_id != NULL)
		buf_printf(out, " (request-id %s)", r->request_id);
	json_decref(root);
}

/* expires_in: a number, or a string holding one (older endpoints). */
static json_int_t
expires_in(json_t *v)
{
	json_int_t n = 0;

	if (json_is_integer(v))
		n = json_integer_value(v);
	else if (json_is_string(v))
		n = strtoll(json_string_value(v), NULL, 10);
	return n > 0 ? n : 3599;
}

static int
fetch_token(struct backend *b, struct err *e)
{
	const char *hdrs[] = {
		"Content-Type: application/x-www-form-urlencoded",
		"Accept: application/json", NULL
	};
	struct http_response r;
	struct buf body = { 0 }, why = { 0 };
	char *id = http_escape(b->http, b->cfg->client_id);
	char *sec = http_escape(b->http, b->secret);
	json_t *root = NULL;
	const char *tok;
	int rv = EXIT_BACKEND;
	json_int_t exp;

	buf_printf(&body, "grant_type=client_credentials&client_id=%s"
	    "&scope=https%%3A%%2F%%2Fgraph.microsoft.com%%2F.default"
	    "&client_secret=%s", id, sec);
	explicit_bzero(sec, strlen(sec));
	free(sec);
	free(id);
	rv = http_request(b->http, "POST", b->cfg->token_url, hdrs, body.data,
	    &r, e);
	explicit_bzero(body.data, body.len);
	buf_free(&body);
	if (rv != EXIT_OK)
		goto out;
	rv = EXIT_BACKEND;
	if (r.status != 200) {
		describe_error(&r, &why);
		err_set(e, "token request refused: %s", why.data);
		goto out;
	}
	root = json_loadb(r.body.data, r.body.len, 0, NULL);
	tok = json_string_value(json_object_get(root, "access_token"));
	exp = expires_in(json_object_get(root, "expires_in"));
	if (tok == NULL) {
		err_set(e, "token answer without access_token");
		goto out;
	}
	free(b->token);
	b->token = xasprintf("Authorization: Bearer %s", tok);
	/* Ask again five minutes before it runs out. */
	b->token_expiry = now_seconds() + (exp > 600 ? exp - 300 : exp / 2);
	log_debug("token obtained, valid %lld s", (long long)exp);
	rv = EXIT_OK;
out:
	json_decref(root);
	buf_free(&why);
	http_response_free(&r);
	scrub(b, e);
	return rv;
}

/* GET a Graph URL and parse the JSON answer; one token refresh on 401. */
static int
graph_get(struct backend *b, const char *url, json_t **out, struct err *e)
{
	struct http_response r;
	struct buf why = { 0 };
	json_error_t jerr;
	int rv, tries;

	*out = NULL;
	for (tries = 0;; tries++) {
		const char *hdrs[] = { NULL, "Accept: application/json",
			NULL };

		if ((b->token == NULL || now_seconds() >= b->token_expiry) &&
		    (rv = fetch_token(b, e)) != EXIT_OK)
			return rv;
		hdrs[0] = b->token;
		rv = http_request(b->http, "GET", url, hdrs, NULL, &r, e);
		if (rv != EXIT_OK) {
			http_response_free(&r);
			return rv;
		}
		if (r.status == 401 && tries == 0) {
			http_response_free(&r);
			free(b->token);
			b->token = NULL;
			continue;
		}
		break;
	}
	rv = EXIT_BACKEND;
	if (r.status != 200) {
		describe_error(&r, &why);
		err_set(e, "GET %s: %s", url, why.data);
		goto out;
	}
	*out = json_loadb(r.body.data, r.body.len, 0, &jerr);
	if (*out == NULL) {
		err_set(e, "GET %s: invalid JSON: %s", url, jerr.text);
		goto out;
	}
	rv = EXIT_OK;
out:
	buf_free(&why);
	http_response_free(&r);
	return rv;
}

static int
graph_open(const struct config_backend *cfg, struct backend **out,
    struct err *e)
{
	struct http_options opt = { 120, 8, 60, NULL };
	struct backend *b = xcalloc(1, sizeof(*b));
	int r;

	*out = NULL;
	b->cfg = cfg;
	if ((r = read_secret_file(cfg->client_secret_file, &b->secret, e)) !=
	    EXIT_OK)
		goto fail;
	b->http = http_new(&opt);
	if (b->http == NULL) {
		err_set(e, "cannot initialise libcurl");
		r = EXIT_BACKEND;
		goto fail;
	}
	if ((r = fetch_token(b, e)) != EXIT_OK)
		goto fail;
	*out = b;
	return EXIT_OK;
fail:
	backend_graph_ops.close(b);
	return r;
}

static char *
lower_dup(const char *s)
{
	char *p = xstrdup(s);

	str_lower(p);
	return p;
}

static long
int_field(json_t *o, const char *key)
{
	return (long)json_integer_value(json_object_get(o, key));
}

static int
graph_list_skus(struct backend *b, struct backend_sku **skus, size_t *n,
    struct err *e)
{
	char *url = xasprintf("%s/subscribedSkus", b->cfg->graph_url);
	json_t *root = NULL, *val, *it;
	size_t i;
	int r;

	*skus = NULL;
	*n = 0;
	if ((r = graph_get(b, url, &root, e)) != EXIT_OK)
		goto out;
	val = json_object_get(root, "value");
	if (!json_is_array(val)) {
		err_set(e, "GET %s: answer has no 'value' array", url);
		r = EXIT_BACKEND;
		goto out;
	}
	*skus = xcalloc(json_array_size(val), sizeof(**skus));
	json_array_foreach(val, i, it) {
		struct backend_sku *s = &(*skus)[*n];
		const char *id = json_string_value(json_object_get(it, "skuId"));
		const char *pn = json_string_value(json_object_get(it,
		    "skuPartNumber"));
		const char *st = json_string_value(json_object_get(it,
		    "capabilityStatus"));
		json_t *pre = json_object_get(it, "prepaidUnits");

		if (id == NULL)
			continue;
		s->id = lower_dup(id);
		s->part_number = xstrdup(pn != NULL ? pn : "");
		s->status = xstrdup(st != NULL ? st : "");
		s->enabled = int_field(pre, "enabled");
		s->warning = int_field(pre, "warning");
		s->consumed = int_field(it, "consumedUnits");
		(*n)++;
	}
	r = EXIT_OK;
out:
	json_decref(root);
	free(url);
	return r;
}

struct lic_vec {
	struct backend_license *v;
	size_t n, cap;
};

static void
lic_push(struct lic_vec *lv, const char *sku, const char *group)
{
	if (lv->n == lv->cap) {
		lv->cap = lv->cap ? lv->cap * 2 : 8;
		lv->v = xreallocarray(lv->v, lv->cap, sizeof(*lv->v));
	}
	lv->v[lv->n].sku = sku;
	lv->v[lv->n].group = group;
	lv->n++;
}

static bool
in_assigned(json_t *assigned, const char *sku)
{
	json_t *it;
	size_t i;

	json_array_foreach(assigned, i, it) {
		const char *s = json_string_value(json_object_get(it, "skuId"));

		if (s != NULL && str_ieq(s, sku))
			return true;
	}
	return false;
}

/*
 * Licenses of one user.  assignedLicenses says what the user holds (only
 * licenses in effect are there); licenseAssignmentStates tells direct from
 * inherited.  A group assignment in state Error (a CountViolation, say) is
 * not a license the user has.
 */
static void
user_licenses(json_t *u, struct lic_vec *lv)
{
	json_t *assigned = json_object_get(u, "assignedLicenses");
	json_t *states = json_object_get(u, "licenseAssignmentStates");
	json_t *it;
	size_t i;

	lv->n = 0;
	json_array_foreach(states, i, it) {
		const char *sku = json_string_value(json_object_get(it,
		    "skuId"));
		const char *grp = json_string_value(json_object_get(it,
		    "assignedByGroup"));
		const char *state = json_string_value(json_object_get(it,
		    "state"));

		if (sku == NULL || !in_assigned(assigned, sku))
			continue;
		if (state != NULL && strcmp(state, "Active") != 0 &&
		    strcmp(state, "ActiveWithError") != 0)
			continue;
		lic_push(lv, sku, grp);
	}
	if (json_is_array(states) && json_array_size(states) > 0)
		return;
	json_array_foreach(assigned, i, it) {
		const char *sku = json_string_value(json_object_get(it,
		    "skuId"));

		if (sku != NULL)
			lic_push(lv, sku, NULL);
	}
}

static int
users_page(json_t *root, backend_user_fn fn, void *ctx, struct lic_vec *lv,
    struct err *e)
{
	json_t *val = json_object_get(root, "value"), *u;
	size_t i;
	int r;

	if (!json_is_array(val)) {
		err_set(e, "users answer has no 'value' array");
		return EXIT_BACKEND;
	}
	json_array_foreach(val, i, u) {
		struct backend_user bu;
		const char *loc = json_string_value(json_object_get(u,
		    "usageLocation"));

		bu.key = json_string_value(json_object_get(u,
		    "userPrincipalName"));
		bu.id = json_string_value(json_object_get(u, "id"));
		if (bu.key == NULL || bu.id == NULL)
			continue;
		bu.has_location = loc != NULL && *loc != '\0';
		user_licenses(u, lv);
		bu.licenses = lv->v;
		bu.nlicenses = lv->n;
		if ((r = fn(ctx, &bu, e)) != EXIT_OK)
			return r;
	}
	return EXIT_OK;
}

static int
graph_list_users(struct backend *b, backend_user_fn fn, void *ctx,
    struct err *e)
{
	char *url = xasprintf("%s/users?$select=" USERS_SELECT "&$top=999",
	    b->cfg->graph_url);
	char *prefix = xasprintf("%s/", b->cfg->graph_url);
	struct lic_vec lv = { 0 };
	json_t *root = NULL;
	const char *next;
	unsigned pages = 0;
	int r;

	for (;;) {
		if ((r = graph_get(b, url, &root, e)) != EXIT_OK)
			goto out;
		if ((r = users_page(root, fn, ctx, &lv, e)) != EXIT_OK)
			goto out;
		pages++;
		next = json_string_value(json_object_get(root,
		    "@odata.nextLink"));
		if (next == NULL)
			break;
		/* The token goes only where graph_url points. */
		if (strncmp(next, prefix, strlen(prefix)) != 0) {
			err_set(e, "refusing @odata.nextLink outside "
			    "graph_url: %s", next);
			r = EXIT_BACKEND;
			goto out;
		}
		free(url);
		url = xstrdup(next);
		json_decref(root);
		root = NULL;
	}
	log_debug("read users in %u pages", pages);
	r = EXIT_OK;
out:
	json_decref(root);
	free(lv.v);
	free(url);
	free(prefix);
	return r;
}

static void
graph_close(struct backend *b)
{
	if (b == NULL)
		return;
	http_free(b->http);
	if (b->secret != NULL) {
		explicit_bzero(b->secret, strlen(b->secret));
		free(b->secret);
	}
	if (b->token != NULL) {
		explicit_bzero(b->token, strlen(b->token));
		free(b->token);
	}
	free(b);
}

const struct backend_ops backend_graph_ops = {
	.type = "graph",
	.open = graph_open,
	.list_skus = graph_list_skus,
	.list_users = graph_list_users,
	.close = graph_close,
};
