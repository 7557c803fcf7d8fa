/*
 * scim_apply.c - SCIM writes: users created where a license goes to one
 * the vendor does not know (POST /Users; 409 means it exists: looked up,
 * not created twice), then the seats: group members added or removed
 * many to a PATCH, or accounts made active or not.  Requests go in
 * waves, `concurrency` at a time, paced by the write budget; 429, 503
 * and 504 wait for Retry-After (or a backoff) and go again, within
 * max_retries and the run's retry time.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backend/backend.h"
#include "backend/http.h"
#include "backend/retry.h"
#include "backend/scim_int.h"
#include "backend/scim_json.h"
#include "conf/config.h"
#include "util/log.h"

/* One HTTP request of a wave and, once done, its answer. */
struct req {
	const char *method;
	char *url;
	char *body;
	int attempts;
	double not_before;      /* monotonic: not sent again before */
	bool running, done;
	bool failed;            /* transport failure: msg */
	char msg[1024];
	struct http_response resp;
	/* what it is for */
	size_t *items;          /* indexes of the changes it carries */
	size_t nitems;
	const char *user_name;  /* a create */
};

static bool
retryable(long status)
{
	return status == 429 || status == 503 || status == 504;
}

static void
sleep_for(double w)
{
	struct timespec ts;

	if (w <= 0)
		return;
	if (w > 1.0)
		w = 1.0;
	ts.tv_sec = (time_t)w;
	ts.tv_nsec = (long)((w - (double)ts.tv_sec) * 1e9);
	nanosleep(&ts, NULL);
}

/* A finished answer: kept, or the request is set to go again. */
static void
answered(struct backend *b, struct req *q, struct http_done *d,
    unsigned *seed)
{
	double now = mono_seconds(), wait;

	q->running = false;
	if (!d->failed && retryable(d->resp.status) &&
	    q->attempts <= b->cfg->max_retries) {
		wait = retry_backoff(q->attempts - 1, d->resp.retry_after,
		    (double)(rand_r(seed) % 1000) / 1000.0);
		if (retry_budget_allows(&b->retry, now, wait)) {
			log_debug("%s %s: HTTP %ld, again in %.1f s", q->method,
			    q->url, d->resp.status, wait);
			q->not_before = now + wait;
			http_response_free(&d->resp);
			return;
		}
		d->resp.not_retried = "waiting would pass max_retry_time";
	} else if (!d->failed && retryable(d->resp.status)) {
		d->resp.not_retried = "max_retries reached";
	}
	q->done = true;
	q->failed = d->failed;
	memcpy(q->msg, d->msg, sizeof(q->msg));
	q->resp = d->resp;
	memset(&d->resp, 0, sizeof(d->resp));
}

/* Send every request of Q to the end: an answer, or given up. */
static int
wave(struct backend *b, struct req *q, size_t n, struct err *e)
{
	struct http_options opt = { 120, 0, NULL, b->cfg->proxy };
	const char *hdrs[] = { b->auth, "Accept: application/scim+json",
		"Content-Type: application/scim+json", NULL };
	struct http_multi *m;
	struct http_done *done;
	size_t left = n, i, ndone, j;
	unsigned seed = (unsigned)time(NULL);
	double now, w;

	if (n == 0)
		return EXIT_OK;
	if ((m = http_multi_new(&opt)) == NULL) {
		err_set(e, "cannot initialise libcurl");
		return EXIT_BACKEND;
	}
	while (left > 0) {
		now = mono_seconds();
		w = 1.0;
		for (i = 0; i < n; i++) {
			if (q[i].done || q[i].running)
				continue;
			if (q[i].not_before > now) {
				if (q[i].not_before - now < w)
					w = q[i].not_before - now;
				continue;
			}
			if (http_multi_running(m) >=
			    (size_t)b->cfg->concurrency)
				break;
			if (!budget_take(&b->budget, 1, now)) {
				double bw = budget_wait(&b->budget, 1, now);

				if (bw < w)
					w = bw;
				break;
			}
			q[i].attempts++;
			q[i].running = true;
			http_multi_add(m, q[i].method, q[i].url, hdrs, q[i].body,
			    &q[i]);
		}
		if (http_multi_running(m) == 0) {
			sleep_for(w);
			continue;
		}
		http_multi_wait(m, (long)(w * 1000) + 1, &done, &ndone);
		for (j = 0; j < ndone; j++) {
			struct req *r = done[j].tag;

			answered(b, r, &done[j], &seed);
			if (r->done)
				left--;
		}
		http_done_free(done, ndone);
	}
	http_multi_free(m);
	return EXIT_OK;
}

static void
req_free(struct req *q, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(q[i].url);
		if (q[i].body != NULL)
			explicit_bzero(q[i].body, strlen(q[i].body));
		free(q[i].body);
		free(q[i].items);
		http_response_free(&q[i].resp);
	}
	free(q);
}

/* ---- the changes ---- */

struct change_state {
	const char *user_name;
	const char *id;         /* the user's id once known */
	bool active;
	bool created;           /* by this run */
	bool finished;
	int attempts;
};

struct applier {
	struct backend *b;
	const struct backend_change *c;
	struct change_state *st;
	size_t n;
	const struct backend_sink *sink;
};

static void
finish(struct applier *ap, size_t i, enum outcome o, long status,
    const char *code, const char *message)
{
	struct backend_outcome out;

	if (ap->st[i].finished)
		return;
	ap->st[i].finished = true;
	memset(&out, 0, sizeof(out));
	out.outcome = o;
	out.status = status;
	out.code = code;
	out.message = message;
	out.attempts = ap->st[i].attempts;
	ap->sink->done(ap->sink->ctx, i, &out);
}

/* The outcome of answer Q for change I: SCIM's scimType and detail. */
static void
finish_answer(struct applier *ap, size_t i, const struct req *q,
    enum outcome fail)
{
	char *type = NULL, *detail = NULL;
	struct buf why = { 0 };
	long st = q->failed ? 0 : q->resp.status;

	ap->st[i].attempts += q->attempts;
	if (!q->failed && st >= 200 && st < 300) {
		finish(ap, i, OUTCOME_OK, st, NULL, NULL);
		return;
	}
	if (q->failed) {
		finish(ap, i, fail, 0, NULL, q->msg);
		return;
	}
	scim_read_error(q->resp.body.data, q->resp.body.len, &type, &detail);
	buf_printf(&why, "%s", detail != NULL ? detail : "");
	if (q->resp.not_retried != NULL)
		buf_printf(&why, "%snot retried: %s", why.len > 0 ? "; " : "",
		    q->resp.not_retried);
	finish(ap, i, retryable(st) ? OUTCOME_RETRY : st == 404 &&
	    fail == OUTCOME_ERROR ? OUTCOME_USER_UNKNOWN : fail, st, type,
	    why.len > 0 ? why.data : NULL);
	free(type);
	free(detail);
	buf_free(&why);
}

static const char *
user_name_of(const struct backend_change *c)
{
	if (c->person != NULL && c->person->user_name != NULL)
		return c->person->user_name;
	return c->user_key;
}

/* Step 1a: each change's user id where it is known; a create (one per
 * user, whatever the number of its changes) where it is not. */
static void
plan_creates(struct applier *ap, struct req *q, size_t *nq)
{
	static const struct backend_person none = { 0 };
	struct backend *b = ap->b;
	size_t i, j;

	for (i = 0; i < ap->n; i++) {
		const struct backend_change *c = &ap->c[i];
		struct change_state *s = &ap->st[i];

		s->user_name = user_name_of(c);
		if (c->user_id != NULL) {
			s->id = c->user_id;
			s->active = true;
			continue;
		}
		/* unknown to the list: created, and looked up only if the
		 * vendor says it exists (409) */
		if (scim_known_user(b, s->user_name, &s->id, &s->active) ||
		    !c->add)
			continue;
		for (j = 0; j < *nq; j++)
			if (str_ieq(q[j].user_name, s->user_name))
				break;
		if (j == *nq) {
			q[j].method = "POST";
			q[j].url = xasprintf("%s/Users", b->cfg->url);
			q[j].body = scim_user_body(c->person != NULL ?
			    c->person : &none, s->user_name);
			q[j].user_name = s->user_name;
			(*nq)++;
		}
		q[j].items = xreallocarray(q[j].items, q[j].nitems + 1,
		    sizeof(*q[j].items));
		q[j].items[q[j].nitems++] = i;
	}
}

/* Step 1b: what create Q came to.  201: the new id; 409: the user
 * exists, so it is looked up and used, never created twice; else each
 * of its changes fails with the vendor's words. */
static int
take_created(struct applier *ap, struct req *q, struct err *e)
{
	struct backend *b = ap->b;
	const char *id = NULL;
	char *made = NULL;
	bool active = true, created = false;
	struct err ce;
	uint32_t k;
	size_t i;
	int r;

	if (!q->failed && q->resp.status == 201 &&
	    scim_read_id(q->resp.body.data, q->resp.body.len, &made, &ce) ==
	    EXIT_OK) {
		scim_know_user(b, q->user_name, made, true);
		free(made);
		intern_find(b->keys, q->user_name, &k);
		id = b->ids[k];
		created = true;
	} else if (!q->failed && q->resp.status == 409) {
		log_info("%s: user %s exists; using it", b->cfg->name,
		    q->user_name);
		if ((r = scim_find_user(b, q->user_name, &id, &active, e)) !=
		    EXIT_OK)
			return r;
	}
	for (i = 0; i < q->nitems; i++) {
		struct change_state *s = &ap->st[q->items[i]];

		if (id == NULL && !q->failed && (q->resp.status / 100 == 2 ||
		    q->resp.status == 409)) {
			s->attempts += q->attempts;
			finish(ap, q->items[i], OUTCOME_CREATE_FAILED,
			    q->resp.status, NULL, q->resp.status == 409 ?
			    "the user exists but cannot be found by userName" :
			    "the answer to the create names no user id");
			continue;
		}
		if (id == NULL) {
			finish_answer(ap, q->items[i], q,
			    OUTCOME_CREATE_FAILED);
			continue;
		}
		s->attempts += q->attempts;
		s->id = id;
		s->active = active;
		s->created = created;
	}
	return EXIT_OK;
}

/* Step 1: the id of every change's user, creating those that need it. */
static int
create_users(struct applier *ap, struct err *e)
{
	struct req *q = xcalloc(ap->n + 1, sizeof(*q));
	size_t j, nq = 0;
	int r;

	plan_creates(ap, q, &nq);
	r = wave(ap->b, q, nq, e);
	for (j = 0; r == EXIT_OK && j < nq; j++)
		r = take_created(ap, &q[j], e);
	req_free(q, nq);
	return r;
}

static void
add_item(struct req *q, size_t i)
{
	q->items = xreallocarray(q->items, q->nitems + 1, sizeof(*q->items));
	q->items[q->nitems++] = i;
}

/* Step 2, seat: active: an account made active, or not (or deleted). */
static size_t
active_requests(struct applier *ap, struct req *q)
{
	const struct config_backend *cfg = ap->b->cfg;
	size_t i, nq = 0;

	for (i = 0; i < ap->n; i++) {
		struct change_state *s = &ap->st[i];

		if (s->finished)
			continue;
		if (s->id == NULL) {
			finish(ap, i, OUTCOME_USER_UNKNOWN, 0, NULL,
			    "the vendor has no such user");
			continue;
		}
		/* created active: the seat is taken */
		if (ap->c[i].add && s->created) {
			finish(ap, i, OUTCOME_OK, 201, NULL, NULL);
			continue;
		}
		if (!ap->c[i].add && cfg->deprovision_delete) {
			q[nq].method = "DELETE";
			q[nq].body = NULL;
		} else {
			q[nq].method = "PATCH";
			q[nq].body = scim_active_body(ap->c[i].add);
		}
		q[nq].url = xasprintf("%s/Users/%s", cfg->url, s->id);
		add_item(&q[nq++], i);
	}
	return nq;
}

/* Step 2, seat: group: members added or removed, patch_members to a
 * PATCH of one group. */
static size_t
group_requests(struct applier *ap, struct req *q)
{
	const struct config_backend *cfg = ap->b->cfg;
	const char **ids = xcalloc(ap->n + 1, sizeof(*ids));
	bool *taken = xcalloc(ap->n + 1, sizeof(*taken));
	size_t i, j, nq = 0, k;

	for (i = 0; i < ap->n; i++) {
		const char *gid = scim_group_of(ap->b, ap->c[i].sku);

		if (ap->st[i].finished || taken[i])
			continue;
		if (ap->st[i].id == NULL) {
			finish(ap, i, OUTCOME_USER_UNKNOWN, 0, NULL,
			    "the vendor has no such user");
			continue;
		}
		if (gid == NULL) {
			finish(ap, i, OUTCOME_ERROR, 0, NULL,
			    "not a license of this backend");
			continue;
		}
		/* this change and the next ones of the same group and way */
		k = 0;
		for (j = i; j < ap->n && k < (size_t)cfg->patch_members; j++) {
			if (taken[j] || ap->st[j].finished ||
			    ap->st[j].id == NULL ||
			    ap->c[j].add != ap->c[i].add ||
			    strcmp(ap->c[j].sku, ap->c[i].sku) != 0)
				continue;
			taken[j] = true;
			ids[k++] = ap->st[j].id;
			add_item(&q[nq], j);
		}
		q[nq].method = "PATCH";
		q[nq].url = xasprintf("%s/Groups/%s", cfg->url, gid);
		q[nq].body = scim_members_body(ids, k, ap->c[i].add);
		nq++;
	}
	free(ids);
	free(taken);
	return nq;
}

/* A PATCH of several members refused as a whole (400: one member's
 * fault, say): each member again on its own, so one does not fail the
 * others. */
static size_t
split_refused(struct applier *ap, struct req *q, size_t nq, struct req *out)
{
	size_t i, j, n = 0;

	for (i = 0; i < nq; i++) {
		long st = q[i].resp.status;

		if (q[i].nitems < 2 || q[i].failed || st < 400 || st >= 500 ||
		    retryable(st) || st == 401 || st == 403)
			continue;
		for (j = 0; j < q[i].nitems; j++) {
			size_t it = q[i].items[j];
			const char *id = ap->st[it].id;

			ap->st[it].attempts += q[i].attempts;
			out[n].method = "PATCH";
			out[n].url = xstrdup(q[i].url);
			out[n].body = scim_members_body(&id, 1, ap->c[it].add);
			add_item(&out[n++], it);
		}
		q[i].nitems = 0;
	}
	return n;
}

static void
finish_wave(struct applier *ap, struct req *q, size_t nq)
{
	size_t i, j;

	for (i = 0; i < nq; i++)
		for (j = 0; j < q[i].nitems; j++)
			finish_answer(ap, q[i].items[j], &q[i], OUTCOME_ERROR);
}

int
scim_apply(struct backend *b, const struct backend_change *c, size_t n,
    const struct backend_sink *sink, struct err *e)
{
	struct applier ap = { b, c, NULL, n, sink };
	struct req *q = NULL, *q2 = NULL;
	size_t nq = 0, nq2 = 0, i;
	int r;

	if (n == 0)
		return EXIT_OK;
	if (!b->budget_ready) {
		budget_init(&b->budget, b->cfg->write_budget,
		    (double)b->cfg->write_window);
		b->budget_ready = true;
	}
	ap.st = xcalloc(n, sizeof(*ap.st));
	if ((r = create_users(&ap, e)) != EXIT_OK)
		goto out;
	sink->checkpoint(sink->ctx);
	q = xcalloc(n + 1, sizeof(*q));
	nq = b->cfg->seat == SEAT_ACTIVE ? active_requests(&ap, q) :
	    group_requests(&ap, q);
	if ((r = wave(b, q, nq, e)) != EXIT_OK)
		goto out;
	q2 = xcalloc(n + 1, sizeof(*q2));
	nq2 = split_refused(&ap, q, nq, q2);
	finish_wave(&ap, q, nq);
	sink->checkpoint(sink->ctx);
	if ((r = wave(b, q2, nq2, e)) != EXIT_OK)
		goto out;
	finish_wave(&ap, q2, nq2);
	sink->checkpoint(sink->ctx);
	r = EXIT_OK;
out:
	/* every change has an outcome, whatever happened */
	for (i = 0; i < n; i++)
		if (!ap.st[i].finished)
			finish(&ap, i, OUTCOME_ERROR, 0, NULL, e->msg[0] != '\0' ?
			    e->msg : "not sent");
	if (q != NULL)
		req_free(q, nq);
	if (q2 != NULL)
		req_free(q2, nq2);
	free(ap.st);
	return r;
}
