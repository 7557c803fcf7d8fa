/*
 * backend_graph.c - Microsoft Graph: client-credentials token,
 * subscribedSkus, and one paged read of the tenant's users.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "backend.h"
#include "batch.h"
#include "http.h"
#include "jwt.h"
#include "log.h"

#define USERS_SELECT "id,userPrincipalName,usageLocation,assignedLicenses," \
	"licenseAssignmentStates"

/* Tokens and assertions live in the real world's time, whatever clock
 * the rest of the run is told to use (LICSYNC_TEST_NOW). */
static int64_t
wall_clock(void)
{
	return (int64_t)time(NULL);
}

struct backend {
	const struct config_backend *cfg;
	struct http *http;
	char *secret;
	char *token;
	int64_t token_expiry;
	/* apply: shared by all calls of one run */
	struct write_budget budget;
	double retry_deadline;  /* monotonic; 0: not started */
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
	    c->client_key_file, c->client_id, c->token_url, wall_clock(), &jwt,
	    e);
	if (r != EXIT_OK)
		return r;
	*out = xasprintf("client_assertion_type=urn%%3Aietf%%3Aparams%%3Aoauth"
	    "%%3Aclient-assertion-type%%3Ajwt-bearer&client_assertion=%s", jwt);
	free(jwt);
	return EXIT_OK;
}

static int
fetch_token(struct backend *b, struct err *e)
{
	const char *hdrs[] = {
		"Content-Type: application/x-www-form-urlencoded",
		"Accept: application/json", NULL
	};
	struct http_response r = { 0 };
	struct buf body = { 0 }, why = { 0 };
	char *id = http_escape(b->http, b->cfg->client_id), *cred = NULL;
	json_t *root = NULL;
	const char *tok;
	int rv = EXIT_BACKEND;
	json_int_t exp;

	if ((rv = credential(b, &cred, e)) != EXIT_OK)
		goto out;
	buf_printf(&body, "grant_type=client_credentials&client_id=%s"
	    "&scope=https%%3A%%2F%%2Fgraph.microsoft.com%%2F.default&%s", id,
	    cred);
	explicit_bzero(cred, strlen(cred));
	free(cred);
	cred = NULL;
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
	b->token_expiry = wall_clock() + (exp > 600 ? exp - 300 : exp / 2);
	log_debug("token obtained, valid %lld s", (long long)exp);
	rv = EXIT_OK;
out:
	free(id);
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

		if ((b->token == NULL || wall_clock() >= b->token_expiry) &&
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
	struct http_options opt = { 120, cfg->max_retries, 60, cfg->proxy };
	struct backend *b = xcalloc(1, sizeof(*b));
	int r;

	*out = NULL;
	b->cfg = cfg;
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

/* ---- applying changes: $batch, several in flight, paced, retried ---- */

struct item {
	size_t index;           /* into the caller's changes */
	int attempts;
	bool reauthed;          /* got a new token for it once already */
	double not_before;      /* monotonic seconds */
};

struct flight {
	struct item items[BATCH_MAX];
	size_t n;
};

struct applier {
	struct backend *b;
	const struct backend_change *changes;
	const struct backend_sink *sink;
	struct http_multi *m;
	struct item *ready;     /* FIFO */
	size_t nready, ready_head, ready_cap;
	struct item *delayed;   /* waiting for their not_before */
	size_t ndelayed, delayed_cap;
	double pause_until;     /* the server asked everyone to wait */
	unsigned seed;
	char *batch_url;
};

static double
mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
push_ready(struct applier *ap, const struct item *it)
{
	if (ap->ready_head > 0 && ap->ready_head == ap->nready) {
		ap->nready = ap->ready_head = 0;
	}
	if (ap->nready == ap->ready_cap) {
		ap->ready_cap = ap->ready_cap ? ap->ready_cap * 2 : 256;
		ap->ready = xreallocarray(ap->ready, ap->ready_cap,
		    sizeof(*ap->ready));
	}
	ap->ready[ap->nready++] = *it;
}

static void
push_delayed(struct applier *ap, const struct item *it)
{
	if (ap->ndelayed == ap->delayed_cap) {
		ap->delayed_cap = ap->delayed_cap ? ap->delayed_cap * 2 : 64;
		ap->delayed = xreallocarray(ap->delayed, ap->delayed_cap,
		    sizeof(*ap->delayed));
	}
	ap->delayed[ap->ndelayed++] = *it;
}

/* Move delayed items whose time has come to the ready queue. */
static void
wake(struct applier *ap, double now)
{
	size_t i = 0;

	while (i < ap->ndelayed) {
		if (ap->delayed[i].not_before <= now) {
			push_ready(ap, &ap->delayed[i]);
			ap->delayed[i] = ap->delayed[--ap->ndelayed];
		} else {
			i++;
		}
	}
}

static void
finish_item(struct applier *ap, const struct item *it, enum outcome o,
    long status, const char *code, const char *message,
    const char *request_id)
{
	struct backend_outcome out;

	out.outcome = o;
	out.status = status;
	out.code = code;
	out.message = message;
	out.request_id = request_id;
	out.attempts = it->attempts;
	ap->sink->done(ap->sink->ctx, it->index, &out);
}

/* Try ITEM again later, or give up when it has had its retries. */
static void
retry_item(struct applier *ap, struct item *it, long retry_after,
    enum outcome why, long status, const char *code, const char *message,
    const char *request_id)
{
	const struct config_backend *cfg = ap->b->cfg;
	double now = mono_now(), wait;

	wait = batch_backoff(it->attempts - 1, retry_after,
	    (double)(rand_r(&ap->seed) % 1000) / 1000.0, 300.0);
	if (it->attempts > cfg->max_retries ||
	    now + wait > ap->b->retry_deadline) {
		finish_item(ap, it, why, status, code, message != NULL ?
		    message : "gave up retrying", request_id);
		return;
	}
	it->not_before = now + wait;
	push_delayed(ap, it);
}

static int
send_batch(struct applier *ap, size_t n, struct err *e)
{
	const char *hdrs[] = { NULL, "Content-Type: application/json",
		"Accept: application/json", NULL };
	struct batch_op ops[BATCH_MAX];
	struct flight *f = xcalloc(1, sizeof(*f));
	char *body;
	size_t i;
	int r;

	if (wall_clock() >= ap->b->token_expiry &&
	    (r = fetch_token(ap->b, e)) != EXIT_OK) {
		free(f);
		return r;
	}
	for (i = 0; i < n; i++) {
		const struct backend_change *c;

		f->items[i] = ap->ready[ap->ready_head++];
		f->items[i].attempts++;
		c = &ap->changes[f->items[i].index];
		ops[i].id = (unsigned long)f->items[i].index;
		ops[i].user_id = c->user_id;
		ops[i].sku = c->sku;
		ops[i].add = c->add;
		ops[i].disabled_plans = c->disabled_plans;
		ops[i].ndisabled = c->ndisabled;
	}
	f->n = n;
	body = batch_request(ops, n);
	hdrs[0] = ap->b->token;
	http_multi_add(ap->m, "POST", ap->batch_url, hdrs, body, f);
	free(body);
	return EXIT_OK;
}

static struct item *
flight_item(struct flight *f, unsigned long id)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		if (f->items[i].index == id)
			return &f->items[i];
	return NULL;
}

/* A 401: get a new token once per item, then send it again. */
static int
reauth(struct applier *ap, struct item *it, bool *fetched, long status,
    const char *code, const char *message, const char *request_id,
    struct err *e)
{
	int r;

	if (it->reauthed) {
		finish_item(ap, it, OUTCOME_AUTH, status, code, message,
		    request_id);
		return EXIT_OK;
	}
	if (!*fetched) {
		if ((r = fetch_token(ap->b, e)) != EXIT_OK)
			return r;
		*fetched = true;
	}
	it->reauthed = true;
	it->attempts--;         /* a stale token is not a try */
	push_ready(ap, it);
	return EXIT_OK;
}

static int
batch_answer(struct applier *ap, struct flight *f, struct http_done *d,
    struct err *e)
{
	struct batch_reply *rep = NULL;
	size_t nrep = 0, i;
	bool fetched = false;
	int r = EXIT_OK;

	if (batch_parse(d->resp.body.data, d->resp.body.len, &rep, &nrep,
	    e) != EXIT_OK) {
		for (i = 0; i < f->n; i++)
			finish_item(ap, &f->items[i], OUTCOME_ERROR,
			    d->resp.status, NULL, e->msg, d->resp.request_id);
		return EXIT_OK;
	}
	for (i = 0; i < nrep && r == EXIT_OK; i++) {
		struct item *it = flight_item(f, rep[i].id);
		const char *rid = rep[i].request_id != NULL ?
		    rep[i].request_id : d->resp.request_id;
		enum outcome o;

		if (it == NULL || it->attempts == 0)
			continue;
		o = batch_classify(rep[i].status, rep[i].message);
		if (o == OUTCOME_RETRY)
			retry_item(ap, it, rep[i].retry_after, o,
			    rep[i].status, rep[i].code, rep[i].message, rid);
		else if (o == OUTCOME_AUTH)
			r = reauth(ap, it, &fetched, rep[i].status,
			    rep[i].code, rep[i].message, rid, e);
		else
			finish_item(ap, it, o, rep[i].status, rep[i].code,
			    rep[i].message, rid);
		it->attempts = 0;       /* answered */
	}
	for (i = 0; i < f->n; i++)
		if (f->items[i].attempts != 0)
			finish_item(ap, &f->items[i], OUTCOME_ERROR,
			    d->resp.status, NULL, "no answer for this item "
			    "in the $batch response", d->resp.request_id);
	batch_replies_free(rep, nrep);
	return r;
}

static int
whole_answer(struct applier *ap, struct flight *f, struct http_done *d,
    struct err *e)
{
	char *code = NULL, *msg = NULL, *rid = NULL;
	const char *why;
	enum outcome o;
	bool fetched = false;
	size_t i;
	int r = EXIT_OK;

	if (d->failed) {
		for (i = 0; i < f->n; i++)
			retry_item(ap, &f->items[i], -1, OUTCOME_ERROR, 0,
			    NULL, d->msg, NULL);
		return EXIT_OK;
	}
	if (d->resp.throttle_percent >= 80)
		ap->pause_until = mono_now() +
		    (double)(d->resp.throttle_percent - 75) / 5.0;
	if (d->resp.status == 200)
		return batch_answer(ap, f, d, e);
	batch_error_body(d->resp.body.data, d->resp.body.len, &code, &msg,
	    &rid);
	why = rid != NULL ? rid : d->resp.request_id;
	o = batch_classify(d->resp.status, msg);
	if (o == OUTCOME_RETRY && d->resp.retry_after > 0)
		ap->pause_until = mono_now() + (double)d->resp.retry_after;
	for (i = 0; i < f->n && r == EXIT_OK; i++) {
		if (o == OUTCOME_RETRY)
			retry_item(ap, &f->items[i], d->resp.retry_after, o,
			    d->resp.status, code, msg, why);
		else if (o == OUTCOME_AUTH)
			r = reauth(ap, &f->items[i], &fetched, d->resp.status,
			    code, msg, why, e);
		else
			finish_item(ap, &f->items[i], OUTCOME_ERROR,
			    d->resp.status, code, msg, why);
	}
	free(code);
	free(msg);
	free(rid);
	return r;
}

/* The next $batch: up to BATCH_MAX of the ready items. */
static size_t
batch_size(const struct applier *ap)
{
	size_t n = ap->nready - ap->ready_head;

	if (n > BATCH_MAX)
		n = BATCH_MAX;
	/* a budget smaller than a batch still lets batches through */
	return n < ap->b->budget.cap ? n : ap->b->budget.cap;
}

/* Seconds until something can be sent: a delayed item, the budget. */
static double
idle_wait(struct applier *ap, double now)
{
	double w = 1.0;
	size_t i;

	for (i = 0; i < ap->ndelayed; i++)
		if (ap->delayed[i].not_before - now < w)
			w = ap->delayed[i].not_before - now;
	if (ap->nready > ap->ready_head) {
		double bw = budget_wait(&ap->b->budget, batch_size(ap), now);

		if (bw < w)
			w = bw;
	}
	if (ap->pause_until - now > w)
		w = ap->pause_until - now;
	return w > 0 ? w : 0;
}

static int
pump(struct applier *ap, struct err *e)
{
	const struct config_backend *cfg = ap->b->cfg;
	struct http_done *done;
	size_t ndone, i, want;
	double now = mono_now();
	int r;

	wake(ap, now);
	/* Full batches only: a spent budget waits for room for a whole
	 * batch rather than trickling one write per request. */
	while (now >= ap->pause_until &&
	    http_multi_running(ap->m) < (size_t)cfg->concurrency &&
	    ap->nready > ap->ready_head) {
		want = batch_size(ap);
		if (!budget_take(&ap->b->budget, want, now))
			break;
		if ((r = send_batch(ap, want, e)) != EXIT_OK)
			return r;
	}
	if (http_multi_running(ap->m) == 0) {
		double w = idle_wait(ap, now);
		struct timespec ts = { (time_t)w,
			(long)((w - (double)(time_t)w) * 1e9) };

		nanosleep(&ts, NULL);
		return EXIT_OK;
	}
	http_multi_wait(ap->m, (long)(idle_wait(ap, now) * 1000) + 1, &done,
	    &ndone);
	r = EXIT_OK;
	for (i = 0; i < ndone; i++) {
		struct flight *f = done[i].tag;

		if (r == EXIT_OK)
			r = whole_answer(ap, f, &done[i], e);
		free(f);
	}
	http_done_free(done, ndone);
	if (ndone > 0)
		ap->sink->checkpoint(ap->sink->ctx);
	return r;
}

static int
graph_apply(struct backend *b, const struct backend_change *c, size_t n,
    const struct backend_sink *sink, struct err *e)
{
	const struct config_backend *cfg = b->cfg;
	struct http_options opt = { 120, 0, 60, cfg->proxy };
	struct applier ap;
	size_t i;
	int r = EXIT_OK;

	if (n == 0)
		return EXIT_OK;
	memset(&ap, 0, sizeof(ap));
	ap.b = b;
	ap.changes = c;
	ap.sink = sink;
	ap.seed = (unsigned)time(NULL);
	ap.batch_url = xasprintf("%s/$batch", cfg->graph_url);
	if (b->retry_deadline == 0) {
		b->retry_deadline = mono_now() + (double)cfg->max_retry_time;
		budget_init(&b->budget, cfg->write_budget,
		    (double)cfg->write_window);
	}
	ap.m = http_multi_new(&opt);
	if (ap.m == NULL) {
		err_set(e, "cannot initialise libcurl");
		r = EXIT_BACKEND;
		goto out;
	}
	for (i = 0; i < n; i++) {
		struct item it = { i, 0, false, 0 };

		push_ready(&ap, &it);
	}
	while (r == EXIT_OK && (ap.nready > ap.ready_head || ap.ndelayed > 0 ||
	    http_multi_running(ap.m) > 0))
		r = pump(&ap, e);
out:
	http_multi_free(ap.m);
	free(ap.ready);
	free(ap.delayed);
	free(ap.batch_url);
	return r;
}

static void
graph_close(struct backend *b)
{
	if (b == NULL)
		return;
	http_free(b->http);
	budget_free(&b->budget);
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
	.apply = graph_apply,
	.close = graph_close,
};
