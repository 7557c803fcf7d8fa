/*
 * graph_apply.c - the changes of a run applied through Graph's $batch:
 * several requests in flight, paced by the write budget and Graph's
 * throttling answers, each item retried within the run's retry budget.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backend/backend.h"
#include "backend/batch.h"
#include "backend/graph_int.h"
#include "backend/http.h"
#include "backend/retry.h"
#include "conf/config.h"
#include "util/log.h"

/* x-ms-throttle-limit-percentage: from 80 % of the limit, pause sending
 * for a second, growing to this many at 100 % and beyond. */
#define MAX_THROTTLE_PAUSE 5.0

struct item {
	size_t index;           /* into the caller's changes */
	int attempts;
	bool reauthed;          /* got a new token for it once already */
	bool location_done;     /* its usage location is set */
	double not_before;      /* monotonic seconds */
};

/*
 * The items of one $batch in flight.  A plain batch holds up to
 * BATCH_MAX assignLicense requests, their ids the items' indexes; a pair
 * holds one item whose user needs a usage location first: PATCH
 * /users/{id} (id NCHANGES + index), then assignLicense depending on it.
 * Graph runs dependsOn only in a serial batch, so a pair travels alone.
 */
struct flight {
	struct item items[BATCH_MAX];
	size_t n;
	bool pair;
};

struct applier {
	struct backend *b;
	const struct backend_change *changes;
	size_t nchanges;
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

/* Does the item still need its usage location set first? */
static bool
needs_location(const struct applier *ap, const struct item *it)
{
	const struct backend_change *c = &ap->changes[it->index];

	return c->add && c->usage_location != NULL && !it->location_done;
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
	out.location_set = it->location_done;
	ap->sink->done(ap->sink->ctx, it->index, &out);
}

/*
 * Try ITEM again later, after what RETRY_AFTER says or a backoff; or give
 * up, with WHY, when it has had its retries or the wait would pass the
 * run's retry time.  Returns when it goes again, or -1 when it does not.
 */
static double
retry_item(struct applier *ap, struct item *it, long retry_after,
    enum outcome why, long status, const char *code, const char *message,
    const char *request_id)
{
	const struct config_backend *cfg = ap->b->cfg;
	double now = mono_seconds(), wait;
	char *text;

	wait = retry_backoff(it->attempts - 1, retry_after,
	    (double)(rand_r(&ap->seed) % 1000) / 1000.0);
	if (it->attempts > cfg->max_retries) {
		finish_item(ap, it, why, status, code, message != NULL ?
		    message : "gave up retrying", request_id);
		return -1;
	}
	if (!retry_budget_allows(&ap->b->retry, now, wait)) {
		text = xasprintf("%s; not retried: waiting %.0f s would pass "
		    "max_retry_time", message != NULL ? message : "no answer",
		    wait);
		finish_item(ap, it, why, status, code, text, request_id);
		free(text);
		return -1;
	}
	it->not_before = now + wait;
	push_delayed(ap, it);
	return it->not_before;
}

/* An item the answer does not confirm: sent again, as its outcome is
 * not known. */
static void
unanswered(struct applier *ap, struct item *it, const char *why,
    const char *request_id)
{
	retry_item(ap, it, -1, OUTCOME_ERROR, 0, NULL, why, request_id);
}

static void
plain_op(const struct applier *ap, const struct item *it,
    struct batch_op *op)
{
	const struct backend_change *c = &ap->changes[it->index];

	memset(op, 0, sizeof(*op));
	op->id = (unsigned long)it->index;
	op->user_id = c->user_id;
	op->sku = c->sku;
	op->add = c->add;
	op->disabled_plans = c->disabled_plans;
	op->ndisabled = c->ndisabled;
	op->kind = BATCH_ASSIGN_LICENSE;
}

/* Send the N items at the head of the ready queue as one $batch: N plain
 * items, or one pair. */
static int
send_batch(struct applier *ap, size_t n, bool pair, struct err *e)
{
	const char *hdrs[] = { NULL, "Content-Type: application/json",
		"Accept: application/json", NULL };
	struct batch_op ops[BATCH_MAX];
	struct flight *f = xcalloc(1, sizeof(*f));
	size_t i, nops = 0;
	char *body;
	int r;

	if (graph_wall_clock() >= ap->b->token_expiry &&
	    (r = graph_fetch_token(ap->b, e)) != EXIT_OK) {
		free(f);
		return r;
	}
	for (i = 0; i < n; i++) {
		f->items[i] = ap->ready[ap->ready_head++];
		f->items[i].attempts++;
	}
	f->n = n;
	f->pair = pair;
	if (pair) {
		const struct backend_change *c = &ap->changes[f->items[0].index];

		memset(&ops[0], 0, sizeof(ops[0]));
		ops[0].id = (unsigned long)(ap->nchanges + f->items[0].index);
		ops[0].user_id = c->user_id;
		ops[0].kind = BATCH_SET_LOCATION;
		ops[0].usage_location = c->usage_location;
		plain_op(ap, &f->items[0], &ops[1]);
		ops[1].has_dep = true;
		ops[1].dep = ops[0].id;
		nops = 2;
	} else {
		for (i = 0; i < n; i++)
			plain_op(ap, &f->items[i], &ops[nops++]);
	}
	body = batch_request(ops, nops);
	hdrs[0] = ap->b->token;
	http_multi_add(ap->m, "POST", ap->batch_url, hdrs, body, f);
	free(body);
	return EXIT_OK;
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
		if ((r = graph_fetch_token(ap->b, e)) != EXIT_OK)
			return r;
		*fetched = true;
	}
	it->reauthed = true;
	it->attempts--;         /* a stale token is not a try */
	push_ready(ap, it);
	return EXIT_OK;
}

/*
 * The one reply of REP (N of them) with id ID, or NULL when there is none
 * or more than one: an answer that names a request twice confirms
 * neither.  A reply without a valid status is no answer either.
 */
static const struct batch_reply *
only_reply(const struct batch_reply *rep, size_t n, unsigned long id)
{
	const struct batch_reply *hit = NULL;
	size_t i;

	for (i = 0; i < n; i++) {
		if (rep[i].id != id)
			continue;
		if (hit != NULL)
			return NULL;
		hit = &rep[i];
	}
	return hit != NULL && hit->status != 0 ? hit : NULL;
}

/* One reply for item IT: OK (done with it), or it was retried, re-sent
 * or finished.  IS_PATCH: the reply to setting its usage location. */
static int
item_reply(struct applier *ap, struct item *it, const struct batch_reply *rp,
    const char *rid, bool is_patch, bool *fetched, bool *settled,
    struct err *e)
{
	enum outcome o = batch_classify(rp->status, rp->message);
	char *text = NULL;

	*settled = true;
	if (o == OUTCOME_RETRY) {
		retry_item(ap, it, rp->retry_after, o, rp->status, rp->code,
		    rp->message, rid);
		return EXIT_OK;
	}
	if (o == OUTCOME_AUTH)
		return reauth(ap, it, fetched, rp->status, rp->code,
		    rp->message, rid, e);
	if (is_patch && o == OUTCOME_OK) {
		it->location_done = true;
		*settled = false;
		return EXIT_OK;
	}
	if (is_patch) {
		text = xasprintf("setting usage location %s: %s",
		    ap->changes[it->index].usage_location, rp->message != NULL ?
		    rp->message : "refused");
		o = o == OUTCOME_USER_UNKNOWN ? o : OUTCOME_LOCATION_REFUSED;
	}
	finish_item(ap, it, o, rp->status, rp->code, text != NULL ? text :
	    rp->message, rid);
	free(text);
	return EXIT_OK;
}

static int
batch_answer(struct applier *ap, struct flight *f, struct http_done *d,
    struct err *e)
{
	struct batch_reply *rep = NULL;
	size_t nrep = 0, i;
	bool fetched = false, settled;
	int r = EXIT_OK;

	if (batch_parse(d->resp.body.data, d->resp.body.len, &rep, &nrep,
	    e) != EXIT_OK) {
		for (i = 0; i < f->n; i++)
			unanswered(ap, &f->items[i], e->msg,
			    d->resp.request_id);
		return EXIT_OK;
	}
	for (i = 0; i < f->n && r == EXIT_OK; i++) {
		struct item *it = &f->items[i];
		const struct batch_reply *rp;
		const char *rid;

		settled = false;
		if (f->pair) {
			rp = only_reply(rep, nrep, ap->nchanges + it->index);
			if (rp == NULL) {
				unanswered(ap, it, "no answer for setting the "
				    "usage location in the $batch response",
				    d->resp.request_id);
				continue;
			}
			rid = rp->request_id != NULL ? rp->request_id :
			    d->resp.request_id;
			r = item_reply(ap, it, rp, rid, true, &fetched,
			    &settled, e);
			if (settled || r != EXIT_OK)
				continue;
		}
		rp = only_reply(rep, nrep, it->index);
		if (rp == NULL) {
			unanswered(ap, it, "no answer for this item in the "
			    "$batch response", d->resp.request_id);
			continue;
		}
		rid = rp->request_id != NULL ? rp->request_id :
		    d->resp.request_id;
		r = item_reply(ap, it, rp, rid, false, &fetched, &settled, e);
	}
	batch_replies_free(rep, nrep);
	return r;
}

/* x-ms-throttle-limit-percentage: Graph's own measure of how close the
 * app is to being throttled. */
static void
throttle_pause(struct applier *ap, long percent)
{
	double p;

	if (percent < 80)
		return;
	p = ((double)(percent < 100 ? percent : 100) - 75.0) / 5.0;
	if (p > MAX_THROTTLE_PAUSE)
		p = MAX_THROTTLE_PAUSE;
	if (mono_seconds() + p > ap->pause_until)
		ap->pause_until = mono_seconds() + p;
}

static int
whole_answer(struct applier *ap, struct flight *f, struct http_done *d,
    struct err *e)
{
	char *code = NULL, *msg = NULL, *rid = NULL;
	const char *why;
	enum outcome o;
	bool fetched = false;
	double until;
	size_t i;
	int r = EXIT_OK;

	if (d->failed) {
		for (i = 0; i < f->n; i++)
			unanswered(ap, &f->items[i], d->msg, NULL);
		return EXIT_OK;
	}
	throttle_pause(ap, d->resp.throttle_percent);
	if (d->resp.status == 200)
		return batch_answer(ap, f, d, e);
	batch_error_body(d->resp.body.data, d->resp.body.len, &code, &msg,
	    &rid);
	why = rid != NULL ? rid : d->resp.request_id;
	o = batch_classify(d->resp.status, msg);
	for (i = 0; i < f->n && r == EXIT_OK; i++) {
		if (o == OUTCOME_RETRY) {
			/* the whole answer throttled: nobody sends until then */
			until = retry_item(ap, &f->items[i],
			    d->resp.retry_after, o, d->resp.status, code, msg,
			    why);
			if (d->resp.retry_after >= 0 && until > ap->pause_until)
				ap->pause_until = until;
		} else if (o == OUTCOME_AUTH) {
			r = reauth(ap, &f->items[i], &fetched, d->resp.status,
			    code, msg, why, e);
		} else {
			finish_item(ap, &f->items[i], OUTCOME_ERROR,
			    d->resp.status, code, msg, why);
		}
	}
	free(code);
	free(msg);
	free(rid);
	return r;
}

/*
 * The next $batch from the head of the ready queue: a pair alone, or up
 * to BATCH_MAX plain items before the next pair.  *WRITES is what it
 * takes of the write budget (a budget smaller than a batch still lets
 * batches through).
 */
static size_t
batch_size(const struct applier *ap, bool *pair, size_t *writes)
{
	size_t n = 0, avail = ap->nready - ap->ready_head;

	*pair = avail > 0 && needs_location(ap, &ap->ready[ap->ready_head]);
	if (*pair) {
		n = 1;
		*writes = 2;
	} else {
		while (n < avail && n < BATCH_MAX &&
		    !needs_location(ap, &ap->ready[ap->ready_head + n]))
			n++;
		*writes = n;
	}
	if (*writes > ap->b->budget.cap) {
		*writes = ap->b->budget.cap;
		if (!*pair)
			n = *writes;
	}
	return n;
}

/* Seconds until something can be sent: a delayed item, the budget. */
static double
idle_wait(struct applier *ap, double now)
{
	double w = 1.0;
	size_t i, writes;
	bool pair;

	for (i = 0; i < ap->ndelayed; i++)
		if (ap->delayed[i].not_before - now < w)
			w = ap->delayed[i].not_before - now;
	if (ap->nready > ap->ready_head) {
		double bw;

		batch_size(ap, &pair, &writes);
		bw = budget_wait(&ap->b->budget, writes, now);
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
	size_t ndone, i, n, writes;
	double now = mono_seconds();
	bool pair;
	int r;

	wake(ap, now);
	/* Full batches only: a spent budget waits for room for a whole
	 * batch rather than trickling one write per request. */
	while (now >= ap->pause_until &&
	    http_multi_running(ap->m) < (size_t)cfg->concurrency &&
	    ap->nready > ap->ready_head) {
		n = batch_size(ap, &pair, &writes);
		if (!budget_take(&ap->b->budget, writes, now))
			break;
		if ((r = send_batch(ap, n, pair, e)) != EXIT_OK)
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

int
graph_apply(struct backend *b, const struct backend_change *c, size_t n,
    const struct backend_sink *sink, struct err *e)
{
	const struct config_backend *cfg = b->cfg;
	struct http_options opt = { 120, 0, NULL, cfg->proxy };
	struct applier ap;
	size_t i;
	int r = EXIT_OK;

	if (n == 0)
		return EXIT_OK;
	memset(&ap, 0, sizeof(ap));
	ap.b = b;
	ap.changes = c;
	ap.nchanges = n;
	ap.sink = sink;
	ap.seed = (unsigned)time(NULL);
	ap.batch_url = xasprintf("%s/$batch", cfg->graph_url);
	if (!b->budget_ready) {
		budget_init(&b->budget, cfg->write_budget,
		    (double)cfg->write_window);
		b->budget_ready = true;
	}
	ap.m = http_multi_new(&opt);
	if (ap.m == NULL) {
		err_set(e, "cannot initialise libcurl");
		r = EXIT_BACKEND;
		goto out;
	}
	for (i = 0; i < n; i++) {
		struct item it = { i, 0, false, false, 0 };

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
