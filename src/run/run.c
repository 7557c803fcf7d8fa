/*
 * run.c - one run of a command: config -> policy -> directory -> backend
 * -> reconcile -> audit -> report.  Every stage fails before anything is
 * changed, and every run that got as far as the database is recorded.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "backend/backend.h"
#include "backend/jwt.h"
#include "conf/config.h"
#include "conf/country.h"
#include "conf/policy.h"
#include "conf/yamlwalk.h"
#include "directory/directory.h"
#include "reconcile/reconcile.h"
#include "report/html.h"
#include "report/saved.h"
#include "run/online.h"
#include "run/run.h"
#include "run/runstate.h"
#include "store/audit.h"
#include "util/lock.h"
#include "util/log.h"

static void
print_err(const struct err *e)
{
	log_error("%s", e->msg);
}

/* A secret file must be readable and private; its content is dropped. */
static int
check_secret(const char *path, struct err *e)
{
	char *secret = NULL;
	int r;

	if (path == NULL)
		return EXIT_OK;
	r = read_secret_file(path, &secret, e);
	if (secret != NULL) {
		explicit_bzero(secret, strlen(secret));
		free(secret);
	}
	return r;
}

/* Certificate credentials: sign a throwaway assertion, which checks both
 * files, the key's privacy and that the key matches the certificate. */
static int
check_certificate(const struct config_backend *b, struct err *e)
{
	char *jwt = NULL;
	int r;

	if (b->client_certificate_file == NULL)
		return EXIT_OK;
	r = jwt_client_assertion(b->client_certificate_file, b->client_key_file,
	    b->client_id, b->token_url, (int64_t)time(NULL), &jwt, e);
	free(jwt);
	return r;
}

int
run_check(const char *config_path, bool dump, bool online)
{
	struct config *cfg = NULL;
	struct policy *pol = NULL;
	struct err e;
	int r;

	if ((r = config_load(config_path, &cfg, &e)) != EXIT_OK)
		goto out;
	if ((r = policy_load(cfg->policy, &pol, &e)) != EXIT_OK)
		goto out;
	if ((r = check_secret(cfg->ldap.bind_password_file, &e)) != EXIT_OK ||
	    (r = check_secret(cfg->backend.client_secret_file, &e)) != EXIT_OK ||
	    (r = check_certificate(&cfg->backend, &e)) != EXIT_OK)
		goto out;
	if (dump) {
		config_dump(cfg, stdout);
	} else {
		printf("%s: OK\n%s: OK, %zu app%s\n", cfg->path, cfg->policy,
		    pol->napps, pol->napps == 1 ? "" : "s");
	}
	if (online && (r = online_check(cfg, pol, stdout, &e)) != EXIT_OK)
		goto out;
	r = EXIT_OK;
out:
	if (r != EXIT_OK)
		print_err(&e);
	policy_free(pol);
	config_free(cfg);
	return r;
}

/* ---- directory ---- */

static void
flatten_groups(struct plan_run *pr)
{
	size_t a, i, n = 0;

	for (a = 0; a < pr->pol->napps; a++)
		n += pr->pol->apps[a].groups.n +
		    pr->pol->apps[a].exclude_groups.n;
	pr->gdns = xcalloc(n, sizeof(*pr->gdns));
	for (a = 0; a < pr->pol->napps; a++) {
		const struct app_policy *ap = &pr->pol->apps[a];

		pr->apps[a].first_group = pr->ngdns;
		for (i = 0; i < ap->groups.n; i++)
			pr->gdns[pr->ngdns++] = ap->groups.v[i];
		pr->apps[a].first_excl = pr->ngdns;
		for (i = 0; i < ap->exclude_groups.n; i++)
			pr->gdns[pr->ngdns++] = ap->exclude_groups.v[i];
	}
	pr->members = xcalloc(n, sizeof(*pr->members));
}

/* The directory's usage location of user KEY: a code, or a value that
 * is none, kept to be named if it is ever needed. */
static void
on_location(void *ctx, uint32_t key, size_t attr, const char *value)
{
	struct locations *l = ctx;
	char code[3];

	(void)attr;
	if (key >= l->ndir) {
		size_t n = l->ndir ? l->ndir : 1024;

		while (n <= key)
			n *= 2;
		l->dir = xreallocarray(l->dir, n, sizeof(*l->dir));
		memset(l->dir + l->ndir, 0, (n - l->ndir) * sizeof(*l->dir));
		l->ndir = n;
	}
	if (country_code(value, code)) {
		memcpy(l->dir[key], code, sizeof(code));
		return;
	}
	l->bad = xreallocarray(l->bad, l->nbad + 1, sizeof(*l->bad));
	l->bad_value = xreallocarray(l->bad_value, l->nbad + 1,
	    sizeof(*l->bad_value));
	l->bad[l->nbad] = key;
	l->bad_value[l->nbad++] = xstrdup(value);
}

static int
read_directory(struct plan_run *pr, struct err *e)
{
	const char *loc_attr = pr->cfg->backend.location_attribute;
	struct dir_user_attrs extra = { &loc_attr, 1, on_location, &pr->loc };
	struct directory *d = NULL;
	int r;

	flatten_groups(pr);
	if ((r = directory_open(&pr->cfg->ldap, &d, e)) != EXIT_OK)
		return r;
	r = directory_read(d, pr->keys, pr->gdns, pr->ngdns,
	    loc_attr != NULL ? &extra : NULL, pr->members, &pr->dst, e);
	/* explain follows group paths through what was read */
	if (pr->inspect)
		pr->dir = d;
	else
		directory_close(d);
	return r;
}

/* ---- backend ---- */

static int
resolve_skus(struct plan_run *pr, struct err *e)
{
	size_t a, s, b;

	for (a = 0; a < pr->pol->napps; a++) {
		const struct app_policy *ap = &pr->pol->apps[a];
		struct app_state *as = &pr->apps[a];

		for (s = 0; s < pr->nskus; s++)
			if (ap->sku != NULL ? strcmp(pr->skus[s].id,
			    ap->sku) == 0 : str_ieq(pr->skus[s].part_number,
			    ap->sku_part_number))
				break;
		if (s == pr->nskus) {
			err_set(e, "app '%s': %s %s is not among the tenant's "
			    "subscribed SKUs", ap->name, ap->sku != NULL ?
			    "sku" : "sku_part_number", ap->sku != NULL ?
			    ap->sku : ap->sku_part_number);
			return EXIT_BACKEND;
		}
		as->sku = pr->skus[s].id;
		as->purchased = pr->skus[s].enabled;
		as->consumed = pr->skus[s].consumed;
		for (b = 0; b < a; b++)
			if (strcmp(pr->apps[b].sku, as->sku) == 0) {
				err_set(e, "apps '%s' and '%s' name the same "
				    "SKU %s", pr->pol->apps[b].name, ap->name,
				    as->sku);
				return EXIT_CONFIG;
			}
	}
	return EXIT_OK;
}

static void
set_backend_user(struct plan_run *pr, uint32_t id, uint8_t v)
{
	if (id >= pr->nbu) {
		size_t n = pr->nbu ? pr->nbu : 1024;

		while (n <= id)
			n *= 2;
		pr->bu = xreallocarray(pr->bu, n, 1);
		memset(pr->bu + pr->nbu, 0, n - pr->nbu);
		pr->nbu = n;
	}
	pr->bu[id] = v;
}

static void
set_backend_id(struct plan_run *pr, uint32_t key, uint32_t bid)
{
	if (key >= pr->nbid_of) {
		size_t n = pr->nbid_of ? pr->nbid_of : 1024;

		while (n <= key)
			n *= 2;
		pr->bid_of = xreallocarray(pr->bid_of, n, sizeof(*pr->bid_of));
		memset(pr->bid_of + pr->nbid_of, 0,
		    (n - pr->nbid_of) * sizeof(*pr->bid_of));
		pr->nbid_of = n;
	}
	pr->bid_of[key] = bid + 1;
}

static void
add_holding(struct plan_run *pr, struct app_state *as, uint32_t user,
    const char *group)
{
	struct holder_tmp *h;

	/* One user's licenses arrive together: merge with the last one. */
	if (as->nh > 0 && as->h[as->nh - 1].user == user)
		h = &as->h[as->nh - 1];
	else {
		if (as->nh == as->caph) {
			as->caph = as->caph ? as->caph * 2 : 64;
			as->h = xreallocarray(as->h, as->caph, sizeof(*as->h));
		}
		h = &as->h[as->nh++];
		memset(h, 0, sizeof(*h));
		h->user = user;
	}
	if (group == NULL)
		h->direct = true;
	else if (h->group == 0)
		h->group = intern_add(pr->bgroups, group) + 1;
}

static int
on_user(void *ctx, const struct backend_user *u, struct err *e)
{
	struct plan_run *pr = ctx;
	uint32_t id = intern_add(pr->keys, u->key), bid;
	uint32_t nbids = intern_count(pr->bids);
	size_t i, a;

	/* A list that names a user twice is not a list to count seats
	 * from: its paging is broken, and it may miss others. */
	if (id < pr->nbid_of && pr->bid_of[id] != 0) {
		err_set(e, "the backend listed user %s twice; refusing an "
		    "inconsistent list of users", u->key);
		return EXIT_BACKEND;
	}
	bid = intern_add(pr->bids, u->id);
	if (intern_count(pr->bids) == nbids) {
		err_set(e, "the backend listed the id %s for two users (%s is "
		    "the second); refusing an inconsistent list of users",
		    u->id, u->key);
		return EXIT_BACKEND;
	}
	pr->backend_users++;
	set_backend_user(pr, id, u->has_location ? RC_USER_OK :
	    RC_USER_NO_LOCATION);
	set_backend_id(pr, id, bid);
	for (i = 0; i < u->nlicenses; i++)
		for (a = 0; a < pr->pol->napps; a++)
			if (str_ieq(u->licenses[i].sku, pr->apps[a].sku))
				add_holding(pr, &pr->apps[a], id,
				    u->licenses[i].group);
	return EXIT_OK;
}

static ssize_t
bad_location(const struct locations *l, uint32_t key)
{
	size_t i;

	for (i = 0; i < l->nbad; i++)
		if (l->bad[i] == key)
			return (ssize_t)i;
	return -1;
}

/*
 * backend.usage_location: a user the backend knows without a usage
 * location gets the directory's code, else the default, set before the
 * license is assigned; a directory value that is not a code leaves the
 * user without (and named, if it is needed: check_locations).
 */
static void
resolve_locations(struct plan_run *pr)
{
	const struct config_backend *b = &pr->cfg->backend;
	struct locations *l = &pr->loc;
	uint32_t n = intern_count(pr->keys), k;

	if (b->location_attribute == NULL && b->location_default[0] == '\0')
		return;
	set_backend_user(pr, n, 0);
	l->set = xcalloc(n + 1, sizeof(*l->set));
	l->nset = n;
	for (k = 0; k < n; k++) {
		if (pr->bu[k] != RC_USER_NO_LOCATION)
			continue;
		if (bad_location(l, k) >= 0) {
			pr->bu[k] = RC_USER_BAD_LOCATION;
			continue;
		}
		if (k < l->ndir && l->dir[k][0] != '\0')
			memcpy(l->set[k], l->dir[k], 3);
		else if (b->location_default[0] != '\0')
			memcpy(l->set[k], b->location_default, 3);
		else
			continue;
		pr->bu[k] = RC_USER_SET_LOCATION;
	}
}

/* The usage location change C sets before assigning, or NULL. */
static const char *
change_location(const struct plan_run *pr, const struct rc_change *c)
{
	if (c->action != RC_ASSIGN || c->user >= pr->loc.nset ||
	    pr->loc.set[c->user][0] == '\0')
		return NULL;
	return pr->loc.set[c->user];
}

/* A user who needs a usage location whose directory value is not a code
 * stops the run: setting a wrong country, or the default in its place,
 * would be worse than waiting for the directory to be fixed. */
static int
check_locations(struct plan_run *pr, struct err *e)
{
	struct buf who = { 0 };
	size_t i, n = 0;
	ssize_t j;
	uint32_t last = UINT32_MAX;

	for (i = 0; i < pr->plan.nskipped; i++) {
		const struct rc_skip *k = &pr->plan.skipped[i];

		if (k->reason != RC_SKIP_BAD_LOCATION || k->user == last)
			continue;
		last = k->user;
		if (n++ >= 5)
			continue;
		j = bad_location(&pr->loc, k->user);
		buf_printf(&who, "%s%s '%.40s'", n > 1 ? ", " : "",
		    intern_str(pr->keys, k->user), j >= 0 ?
		    pr->loc.bad_value[j] : "?");
	}
	if (n == 0)
		return EXIT_OK;
	err_set(e, "directory attribute '%s' (backend.usage_location) holds no "
	    "ISO 3166 country code for %zu user%s who need%s one: %s%s; fix "
	    "it in the directory", pr->cfg->backend.location_attribute, n,
	    n == 1 ? "" : "s", n == 1 ? "s" : "", who.data,
	    n > 5 ? ", ..." : "");
	buf_free(&who);
	return EXIT_DIRECTORY;
}

/* Open the backend (kept open for apply) and read SKUs and users. */
static int
read_backend(struct plan_run *pr, struct err *e)
{
	int r;

	pr->ops = backend_find(pr->cfg->backend.type);
	if (pr->ops == NULL) {
		err_set(e, "unknown backend type '%s'", pr->cfg->backend.type);
		return EXIT_CONFIG;
	}
	if ((r = pr->ops->open(&pr->cfg->backend, &pr->be, e)) != EXIT_OK)
		return r;
	if ((r = pr->ops->list_skus(pr->be, &pr->skus, &pr->nskus, e)) !=
	    EXIT_OK)
		return r;
	if ((r = resolve_skus(pr, e)) != EXIT_OK)
		return r;
	return pr->ops->list_users(pr->be, on_user, pr, e);
}

/* ---- reconcile ---- */

static int
load_records(struct plan_run *pr, struct err *e)
{
	size_t a;
	int r;

	if (pr->db == NULL)     /* inspect, before any recorded run */
		return EXIT_OK;
	for (a = 0; a < pr->pol->napps; a++) {
		struct app_state *as = &pr->apps[a];

		if ((r = audit_owned(pr->db, as->sku, pr->keys, &as->owned,
		    &as->nowned, e)) != EXIT_OK)
			return r;
		if ((r = audit_seen(pr->db, as->sku, pr->keys, &as->seen,
		    &as->nseen, e)) != EXIT_OK)
			return r;
		if ((r = audit_unentitled(pr->db, as->sku, pr->keys,
		    &as->unentitled, &as->nunentitled, e)) != EXIT_OK)
			return r;
	}
	return EXIT_OK;
}

static void
intern_policy_users(struct plan_run *pr)
{
	const struct policy *p = pr->pol;
	size_t a, i;

	pr->protected_ids = xcalloc(p->protected_users.n,
	    sizeof(*pr->protected_ids));
	for (i = 0; i < p->protected_users.n; i++)
		pr->protected_ids[i] = intern_add(pr->keys,
		    p->protected_users.v[i]);
	for (a = 0; a < p->napps; a++) {
		const struct strv *x = &p->apps[a].exclude_users;
		struct app_state *as = &pr->apps[a];

		as->exclude_users = xcalloc(x->n, sizeof(uint32_t));
		for (i = 0; i < x->n; i++)
			as->exclude_users[as->nexclude_users++] =
			    intern_add(pr->keys, x->v[i]);
	}
}

static void
do_reconcile(struct plan_run *pr)
{
	size_t napps = pr->pol->napps, a, i;
	struct rc_app_input *in = xcalloc(napps, sizeof(*in));
	const uint32_t **gm = xcalloc(pr->ngdns, sizeof(*gm));
	size_t *gn = xcalloc(pr->ngdns, sizeof(*gn));
	struct rc_input rin;

	for (i = 0; i < pr->ngdns; i++) {
		gm[i] = pr->members[i].ids;
		gn[i] = pr->members[i].n;
	}
	/* Every key needs a backend state, unknown by default. */
	set_backend_user(pr, intern_count(pr->keys), 0);
	for (a = 0; a < napps; a++) {
		struct app_state *as = &pr->apps[a];

		as->holders = xcalloc(as->nh, sizeof(*as->holders));
		for (i = 0; i < as->nh; i++) {
			as->holders[i].user = as->h[i].user;
			as->holders[i].direct = as->h[i].direct;
			as->holders[i].group = as->h[i].group == 0 ? NULL :
			    intern_str(pr->bgroups, as->h[i].group - 1);
		}
		in[a].policy = &pr->pol->apps[a];
		in[a].sku = as->sku;
		in[a].purchased = as->purchased;
		in[a].consumed = as->consumed;
		in[a].groups = gm + as->first_group;
		in[a].ngroups = gn + as->first_group;
		in[a].excl_groups = gm + as->first_excl;
		in[a].nexcl_groups = gn + as->first_excl;
		in[a].exclude_users = as->exclude_users;
		in[a].nexclude_users = as->nexclude_users;
		in[a].holders = as->holders;
		in[a].nholders = as->nh;
		in[a].owned = as->owned;
		in[a].nowned = as->nowned;
		in[a].seen = as->seen;
		in[a].nseen = as->nseen;
		in[a].unentitled = as->unentitled;
		in[a].nunentitled = as->nunentitled;
	}
	memset(&rin, 0, sizeof(rin));
	rin.keys = pr->keys;
	rin.backend_user = pr->bu;
	rin.protected_users = pr->protected_ids;
	rin.nprotected = pr->pol->protected_users.n;
	rin.apps = in;
	rin.napps = napps;
	rin.now = pr->now;
	reconcile(&rin, &pr->plan);
	free(in);
	free(gm);
	free(gn);
}

/* ---- safety ---- */

static void
limit_text(struct buf *b, const struct limit *l, size_t holders)
{
	if (l->percent)
		buf_printf(b, "%ld%% of %zu holders = %ld", l->value, holders,
		    limit_value(l, holders));
	else
		buf_printf(b, "%ld", l->value);
}

/* One limit of one app; appends to WHY when the plan exceeds it. */
static void
check_limit(const char *app, const char *what, const struct limit *own,
    const struct limit *global, size_t count, size_t holders,
    struct buf *why)
{
	const struct limit *l = own->set ? own : global;

	if (!l->set || (long)count <= limit_value(l, holders))
		return;
	buf_printf(why, "%sapp '%s' would %s %zu users, more than %s",
	    why->len > 0 ? "; " : "", app, what, count, own->set ?
	    "its max_" : "safety.max_");
	buf_addstr(why, strcmp(what, "assign") == 0 ? "assign " : "unassign ");
	limit_text(why, l, holders);
}

/*
 * The reasons this plan must not be applied without --force: safety
 * limits, and policy groups that were populated on the last recorded run
 * and are empty now (an outage or a renamed OU read as empty groups).
 */
static int
safety_reasons(struct plan_run *pr, struct buf *why, bool *guard,
    struct err *e)
{
	size_t a, i;
	long last;
	int r;

	*guard = false;
	for (a = 0; a < pr->pol->napps; a++) {
		const struct app_policy *ap = &pr->pol->apps[a];
		const struct rc_app_summary *s = &pr->plan.apps[a];

		check_limit(ap->name, "unassign", &ap->max_unassign,
		    &pr->cfg->safety.max_unassign, s->unassign, s->holding,
		    why);
		check_limit(ap->name, "assign", &ap->max_assign,
		    &pr->cfg->safety.max_assign, s->assign, s->holding, why);
	}
	for (i = 0; i < pr->ngdns; i++) {
		if (pr->members[i].n > 0)
			continue;
		if ((r = audit_group_size(pr->db, pr->gdns[i], &last, e)) !=
		    EXIT_OK)
			return r;
		if (last <= 0)
			continue;
		*guard = true;
		buf_printf(why, "%spolicy group '%s' had %ld users on the last "
		    "run and has none now", why->len > 0 ? "; " : "",
		    pr->gdns[i], last);
	}
	return EXIT_OK;
}

static int
record_group_sizes(struct plan_run *pr, struct err *e)
{
	size_t i;
	int r = EXIT_OK;

	for (i = 0; i < pr->ngdns && r == EXIT_OK; i++)
		r = audit_set_group_size(pr->db, pr->gdns[i],
		    (long)pr->members[i].n, pr->run_id, e);
	return r;
}

/* Ownership ends when the license is gone, however it went. */
static int
forget_gone(struct plan_run *pr, const struct app_state *as, struct err *e)
{
	uint8_t *held = xcalloc(intern_count(pr->keys), 1);
	size_t i;
	int r = EXIT_OK;

	for (i = 0; i < as->nh; i++)
		if (as->h[i].direct)
			held[as->h[i].user] = 1;
	for (i = 0; i < as->nowned && r == EXIT_OK; i++)
		if (!held[as->owned[i]])
			r = audit_disown(pr->db, as->sku,
			    intern_str(pr->keys, as->owned[i]), e);
	free(held);
	return r;
}

static int
record_plan(struct plan_run *pr, struct err *e)
{
	int64_t now = pr->now;
	size_t a;
	int r;

	if (pr->skip_record)
		return EXIT_OK;
	if ((r = audit_begin(pr->db, e)) != EXIT_OK)
		return r;
	if ((r = record_group_sizes(pr, e)) != EXIT_OK) {
		audit_rollback(pr->db);
		return r;
	}
	for (a = 0; a < pr->pol->napps; a++) {
		const struct rc_app_summary *s = &pr->plan.apps[a];
		const struct app_state *as = &pr->apps[a];

		r = audit_record_entitled(pr->db, as->sku, pr->keys,
		    s->entitled_ids, s->entitled, as->seen, as->nseen, now, e);
		if (r == EXIT_OK)
			r = audit_record_unentitled(pr->db, as->sku, pr->keys,
			    s->unentitled, s->nunentitled, as->unentitled,
			    as->nunentitled, e);
		if (r == EXIT_OK)
			r = forget_gone(pr, as, e);
		if (r != EXIT_OK) {
			audit_rollback(pr->db);
			return r;
		}
	}
	return audit_commit(pr->db, e);
}

/* ---- output ---- */

static int
compare_key(const void *pa, const void *pb, void *keys)
{
	return strcmp(intern_str(keys, *(const uint32_t *)pa),
	    intern_str(keys, *(const uint32_t *)pb));
}

/* SHA-256 over what the run saw, in key order: the entitled users of each
 * app (DIRECTORY) and the holders of each app (BACKEND). */
static void
view_hashes(struct plan_run *pr)
{
	struct buf d = { 0 }, b = { 0 };
	uint32_t *ids;
	size_t a, i;

	buf_add(&d, "", 0);
	buf_add(&b, "", 0);
	for (a = 0; a < pr->pol->napps; a++) {
		const struct rc_app_summary *s = &pr->plan.apps[a];
		const struct app_state *as = &pr->apps[a];

		ids = xcalloc(s->entitled + 1, sizeof(*ids));
		memcpy(ids, s->entitled_ids, s->entitled * sizeof(*ids));
		qsort_r(ids, s->entitled, sizeof(*ids), compare_key, pr->keys);
		buf_printf(&d, "%s\n", as->sku);
		for (i = 0; i < s->entitled; i++)
			buf_printf(&d, "%s\n", intern_str(pr->keys, ids[i]));
		free(ids);
		ids = xcalloc(as->nh + 1, sizeof(*ids));
		for (i = 0; i < as->nh; i++)
			ids[i] = as->h[i].user;
		qsort_r(ids, as->nh, sizeof(*ids), compare_key, pr->keys);
		buf_printf(&b, "%s\n", as->sku);
		for (i = 0; i < as->nh; i++)
			buf_printf(&b, "%s\n", intern_str(pr->keys, ids[i]));
		free(ids);
	}
	sha256_hex(d.data, d.len, pr->pv.directory);
	sha256_hex(b.data, b.len, pr->pv.backend);
	buf_free(&d);
	buf_free(&b);
}

static int
save_plan(struct plan_run *pr, const char *path, const struct report_ctx *rc,
    struct err *e)
{
	unsigned char key[PLAN_KEY_LEN];
	int r;

	if ((r = audit_plan_key(pr->db, key, sizeof(key), e)) != EXIT_OK)
		return r;
	view_hashes(pr);
	pr->pv.run = pr->run_id;
	r = saved_write(path, rc, &pr->pv, key, e);
	OPENSSL_cleanse(key, sizeof(key));
	return r;
}

const char **
run_app_skus(struct plan_run *pr)
{
	const char **skus = xcalloc(pr->pol->napps, sizeof(*skus));
	size_t a;

	for (a = 0; a < pr->pol->napps; a++)
		skus[a] = pr->apps[a].sku;
	return skus;
}

void
run_report_context(struct plan_run *pr, const char **skus, struct report_ctx *rc)
{
	memset(rc, 0, sizeof(*rc));
	rc->policy = pr->pol;
	rc->skus = skus;
	rc->keys = pr->keys;
	rc->plan = &pr->plan;
	rc->dir = &pr->dst;
	rc->user_key = pr->cfg->ldap.user_key;
	rc->backend_users = pr->backend_users;
	rc->results = pr->results;
	rc->now = pr->now;
	rc->locations = (const char (*)[3])pr->loc.set;
	rc->nlocations = pr->loc.nset;
}

/* -q: nothing when there is no news, else one line, so that cron mails
 * only when something changed or failed. */
static void
quiet_summary(struct plan_run *pr)
{
	size_t a, assign = 0, unassign = 0, waiting = 0;

	for (a = 0; a < pr->plan.napps; a++) {
		assign += pr->plan.apps[a].assign;
		unassign += pr->plan.apps[a].unassign;
		waiting += pr->plan.apps[a].unfulfilled;
	}
	if (pr->plan.nchanges == 0)
		return;
	if (pr->results == NULL)
		printf("licsync run %lld: %zu to assign, %zu to unassign, %zu "
		    "waiting for a seat%s\n", (long long)pr->run_id, assign,
		    unassign, waiting, pr->stopped ? "; safety stop" : "");
	else
		printf("licsync run %lld: %zu assigned or unassigned, %zu "
		    "failed, %zu waiting for a seat\n", (long long)pr->run_id,
		    pr->plan.nchanges - pr->failed, pr->failed, waiting);
	fflush(stdout);
}

static int
output(struct plan_run *pr, const struct plan_opts *o, struct err *e)
{
	const char **skus = run_app_skus(pr);
	struct report_ctx rc;
	int r = EXIT_OK;

	run_report_context(pr, skus, &rc);
	if (o->out_file != NULL)
		r = save_plan(pr, o->out_file, &rc, e);
	if (r == EXIT_OK && o->quiet) {
		quiet_summary(pr);
	} else if (r == EXIT_OK && (o->format == REPORT_HTML ?
	    report_html(stdout, &rc, rc.results != NULL ? "licsync apply" :
	    "licsync plan", now_seconds()) :
	    report_plan(stdout, o->format, &rc)) != 0) {
		err_set(e, "cannot write the report: %s", strerror(errno));
		r = EXIT_USAGE;
	}
	free(skus);
	return r;
}

/* ---- the run ---- */

static int
begin_run(struct plan_run *pr, const char *command, struct err *e)
{
	char chash[65], phash[65], host[256];
	struct run_info ri;
	int r;

	memcpy(chash, pr->cfg->sha256, sizeof(chash));
	if ((r = policy_hash(pr->pol, phash, e)) != EXIT_OK)
		return r;
	memcpy(pr->pv.config, chash, sizeof(chash));
	memcpy(pr->pv.policy, phash, sizeof(phash));
	pr->pv.created = pr->now;
	if (gethostname(host, sizeof(host)) != 0)
		snprintf(host, sizeof(host), "unknown");
	host[sizeof(host) - 1] = '\0';
	if ((r = audit_open(pr->cfg->database, &pr->db, e)) != EXIT_OK)
		return r;
	ri.command = command;
	ri.host = host;
	ri.config_sha256 = chash;
	ri.policy_sha256 = phash;
	ri.started = now_seconds();
	return audit_run_begin(pr->db, &ri, &pr->run_id, e);
}

static void
end_run(struct plan_run *pr, int r, const struct err *e)
{
	struct run_result rr;
	struct err e2;
	size_t a;

	memset(&rr, 0, sizeof(rr));
	rr.outcome = run_outcome(r);
	rr.exit_code = r;
	rr.message = r != EXIT_OK ? e->msg : NULL;
	rr.failed = (long)pr->failed;
	rr.forced = pr->forced;
	rr.ended = now_seconds();
	for (a = 0; pr->plan.apps != NULL && a < pr->plan.napps; a++) {
		rr.assigns += (long)pr->plan.apps[a].assign;
		rr.unassigns += (long)pr->plan.apps[a].unassign;
		rr.unfulfilled += (long)pr->plan.apps[a].unfulfilled;
		rr.skipped += (long)pr->plan.apps[a].skipped;
	}
	if (audit_run_end(pr->db, pr->run_id, &rr, &e2) != EXIT_OK)
		print_err(&e2);
	log_summary("run %lld: %s (exit %d): %ld to assign, %ld to unassign, "
	    "%ld failed, %ld waiting, %ld skipped%s", (long long)pr->run_id,
	    rr.outcome, r, rr.assigns, rr.unassigns, rr.failed, rr.unfulfilled,
	    rr.skipped, rr.forced ? ", forced" : "");
}

void
run_free(struct plan_run *pr)
{
	size_t a;

	if (pr->apps != NULL)
		for (a = 0; a < pr->pol->napps; a++) {
			free(pr->apps[a].h);
			free(pr->apps[a].holders);
			free(pr->apps[a].owned);
			free(pr->apps[a].seen);
			free(pr->apps[a].unentitled);
			free(pr->apps[a].exclude_users);
		}
	free(pr->apps);
	if (pr->results != NULL)
		for (a = 0; a < pr->plan.nchanges; a++) {
			free(pr->results[a].error);
			free(pr->results[a].request_id);
		}
	free(pr->results);
	rc_plan_free(&pr->plan);
	dir_members_free(pr->members, pr->ngdns);
	free(pr->members);
	free(pr->gdns);
	backend_skus_free(pr->skus, pr->nskus);
	free(pr->protected_ids);
	free(pr->bu);
	free(pr->loc.dir);
	free(pr->loc.bad);
	for (a = 0; a < pr->loc.nbad; a++)
		free(pr->loc.bad_value[a]);
	free(pr->loc.bad_value);
	free(pr->loc.set);
	if (pr->be != NULL)
		pr->ops->close(pr->be);
	directory_close(pr->dir);
	intern_free(pr->bids);
	free(pr->bid_of);
	intern_free(pr->keys);
	intern_free(pr->bgroups);
	audit_close(pr->db);
	lock_release(pr->lock_fd);
	policy_free(pr->pol);
	config_free(pr->cfg);
}

/* ---- crash recovery ---- */

struct recovery {
	struct plan_run *pr;
	struct err *e;
	size_t resolved;
};

/* Does the backend show USER holding SKU directly, as read this run? */
static bool
holds_direct(struct plan_run *pr, const struct app_state *as, uint32_t user)
{
	size_t i;

	(void)pr;
	for (i = 0; i < as->nh; i++)
		if (as->h[i].user == user)
			return as->h[i].direct;
	return false;
}

static int
resolve_pending(void *ctx, int64_t id, const char *action, const char *sku,
    const char *user)
{
	struct recovery *rv = ctx;
	struct plan_run *pr = rv->pr;
	struct change_result cr;
	bool assign = strcmp(action, "assign") == 0, done;
	const struct app_state *as = NULL;
	uint32_t u = 0;
	size_t a;
	int r;

	for (a = 0; a < pr->pol->napps; a++)
		if (str_ieq(pr->apps[a].sku, sku))
			as = &pr->apps[a];
	memset(&cr, 0, sizeof(cr));
	cr.finished = pr->now;
	if (as == NULL) {
		cr.result = "failed";
		cr.outcome = "unknown";
		cr.error_message = "interrupted run; the SKU is no longer in "
		    "the policy, so the outcome was not checked";
		return audit_result(pr->db, id, &cr, rv->e);
	}
	done = intern_find(pr->keys, user, &u) && holds_direct(pr, as, u);
	if (!assign)
		done = !done;
	cr.result = done ? "ok" : "failed";
	cr.outcome = done ? "recovered" : "not_applied";
	cr.error_message = done ? NULL : "interrupted run; the backend shows "
	    "the change was not made";
	if ((r = audit_result(pr->db, id, &cr, rv->e)) != EXIT_OK)
		return r;
	rv->resolved++;
	if (done && assign)
		return audit_own(pr->db, as->sku, user, pr->now, pr->run_id,
		    rv->e);
	if (done)
		return audit_disown(pr->db, as->sku, user, rv->e);
	return EXIT_OK;
}

/* Changes a killed run left pending get their true outcome from what the
 * backend holds now, before ownership is read for this run's plan. */
static int
recover(struct plan_run *pr, struct err *e)
{
	struct recovery rv = { pr, e, 0 };
	int r;

	if ((r = audit_begin(pr->db, e)) != EXIT_OK)
		return r;
	r = audit_unresolved(pr->db, pr->run_id, resolve_pending, &rv, e);
	if (r != EXIT_OK) {
		audit_rollback(pr->db);
		return r;
	}
	if (rv.resolved > 0)
		log_warning("resolved %zu change%s left pending by an "
		    "interrupted run", rv.resolved, rv.resolved == 1 ? "" :
		    "s");
	return audit_commit(pr->db, e);
}

/* Everything up to a recorded plan: shared by plan and apply. */
static int safety(struct plan_run *pr, const struct plan_opts *o, bool apply,
    struct err *e);
static int reviewed(struct plan_run *pr, const struct plan_opts *o,
    struct err *e);

/* explain and status --live read what was recorded, if anything was. */
static int
open_records(struct plan_run *pr, struct err *e)
{
	if (!audit_exists(pr->cfg->database)) {
		log_info("%s: no database yet; nothing recorded to read",
		    pr->cfg->database);
		return EXIT_OK;
	}
	return audit_open_readonly(pr->cfg->database, &pr->db, e);
}

/* Config and policy, logging, and the lock (not for inspect). */
static int
start(struct plan_run *pr, const struct plan_opts *o, enum run_mode mode,
    struct err *e)
{
	int r;

	memset(pr, 0, sizeof(*pr));
	pr->t0 = mono_seconds();
	pr->started = now_seconds();
	pr->now = pr->started;
	pr->lock_fd = -1;
	pr->inspect = mode == RUN_INSPECT;
	if ((r = config_load(o->config_path, &pr->cfg, e)) != EXIT_OK)
		return r;
	/* Unattended (stdout not a terminal, as under cron or systemd):
	 * diagnostics go to syslog.  LICSYNC_LOG_STDERR keeps them here. */
	log_open(!isatty(STDOUT_FILENO) && getenv("LICSYNC_LOG_STDERR") == NULL,
	    pr->cfg->log.facility);
	if ((r = policy_load(pr->cfg->policy, &pr->pol, e)) != EXIT_OK)
		return r;
	if (pr->inspect)
		return open_records(pr, e);
	/* One run at a time: both write the database. */
	if ((r = lock_take(pr->cfg->lock_file, o->wait, &pr->lock_fd, e)) !=
	    EXIT_OK)
		return r;
	return begin_run(pr, mode == RUN_APPLY ? "apply" : "plan", e);
}

int
run_prepare(struct plan_run *pr, const struct plan_opts *o,
    enum run_mode mode, struct err *e)
{
	bool apply = mode == RUN_APPLY;
	int r;

	if ((r = start(pr, o, mode, e)) != EXIT_OK)
		return r;
	pr->keys = intern_new();
	pr->bgroups = intern_new();
	pr->bids = intern_new();
	pr->apps = xcalloc(pr->pol->napps, sizeof(*pr->apps));
	intern_policy_users(pr);
	if ((r = read_directory(pr, e)) != EXIT_OK)
		return r;
	if ((r = read_backend(pr, e)) != EXIT_OK)
		return r;
	if (!pr->inspect && (r = recover(pr, e)) != EXIT_OK)
		return r;
	if ((r = load_records(pr, e)) != EXIT_OK)
		return r;
	resolve_locations(pr);
	do_reconcile(pr);
	if (pr->inspect)
		return EXIT_OK;
	if ((r = check_locations(pr, e)) != EXIT_OK)
		return r;
	if (apply && o->plan_file != NULL &&
	    (r = reviewed(pr, o, e)) != EXIT_OK)
		return r;
	if ((r = safety(pr, o, apply, e)) != EXIT_OK)
		return r;
	return record_plan(pr, e);
}

/* ---- reviewed plans ---- */

/* A change as the reviewer saw it: setting another usage location first
 * is another change. */
static char *
change_key(const char *action, const char *app, const char *user,
    const char *location)
{
	return xasprintf("%s\n%s\n%s\n%s", action, app, user,
	    location != NULL ? location : "");
}

/* Keep only the live changes that the reviewed plan has; recount. */
static void
keep_reviewed(struct plan_run *pr, const bool *keep)
{
	struct rc_plan *p = &pr->plan;
	size_t i, n = 0, a;

	for (a = 0; a < p->napps; a++)
		p->apps[a].assign = p->apps[a].unassign = 0;
	for (i = 0; i < p->nchanges; i++) {
		if (!keep[i])
			continue;
		p->changes[n] = p->changes[i];
		if (p->changes[n].action == RC_ASSIGN)
			p->apps[p->changes[n].app].assign++;
		else
			p->apps[p->changes[n].app].unassign++;
		n++;
	}
	p->nchanges = n;
}

/*
 * apply --plan: carry out exactly the reviewed changes that are still
 * right.  A planned change the live state no longer calls for is drift:
 * refused (exit 5) unless --prune drops it.  Changes the live state calls
 * for that were not reviewed are left for the next run.
 */
static int
reviewed(struct plan_run *pr, const struct plan_opts *o, struct err *e)
{
	unsigned char key[PLAN_KEY_LEN];
	struct provenance pv;
	struct planned *pl = NULL;
	struct intern *want = intern_new();
	struct buf drift = { 0 };
	bool *keep = NULL, *found = NULL;
	size_t n = 0, i, ndrift = 0;
	uint32_t id;
	int r;

	if ((r = audit_plan_key(pr->db, key, sizeof(key), e)) != EXIT_OK)
		goto out;
	r = saved_read(o->plan_file, key, &pv, &pl, &n, e);
	OPENSSL_cleanse(key, sizeof(key));
	if (r != EXIT_OK)
		goto out;
	r = EXIT_SAFETY;
	if (strcmp(pv.config, pr->pv.config) != 0 ||
	    strcmp(pv.policy, pr->pv.policy) != 0) {
		err_set(e, "%s: the %s changed since the plan was saved; make "
		    "and review a new plan", o->plan_file,
		    strcmp(pv.config, pr->pv.config) != 0 ? "configuration" :
		    "policy");
		goto out;
	}
	for (i = 0; i < n; i++) {
		char *k = change_key(pl[i].action, pl[i].app, pl[i].user,
		    pl[i].usage_location);

		intern_add(want, k);
		free(k);
	}
	keep = xcalloc(pr->plan.nchanges + 1, sizeof(*keep));
	found = xcalloc(n + 1, sizeof(*found));
	for (i = 0; i < pr->plan.nchanges; i++) {
		const struct rc_change *c = &pr->plan.changes[i];
		char *k = change_key(c->action == RC_ASSIGN ? "assign" :
		    "unassign", pr->pol->apps[c->app].name,
		    intern_str(pr->keys, c->user), change_location(pr, c));

		if (intern_find(want, k, &id)) {
			keep[i] = true;
			found[id] = true;
		}
		free(k);
	}
	for (i = 0; i < n; i++) {
		char *k = change_key(pl[i].action, pl[i].app, pl[i].user,
		    pl[i].usage_location);
		bool hit = intern_find(want, k, &id) && found[id];

		free(k);
		if (hit)
			continue;
		if (ndrift++ < 20)
			buf_printf(&drift, "%s%s %s %s", ndrift > 1 ? ", " : "",
			    pl[i].action, pl[i].app, pl[i].user);
	}
	if (ndrift > 0 && !o->prune) {
		err_set(e, "%s: %zu planned change%s no longer right (%s%s); "
		    "nothing applied (--prune applies the rest)", o->plan_file,
		    ndrift, ndrift == 1 ? " is" : "s are", drift.data,
		    ndrift > 20 ? ", ..." : "");
		pr->stopped = true;
		goto out;
	}
	if (ndrift > 0)
		log_warning("%s: pruned %zu change%s no longer right: %s%s",
		    o->plan_file, ndrift, ndrift == 1 ? "" : "s", drift.data,
		    ndrift > 20 ? ", ..." : "");
	keep_reviewed(pr, keep);
	r = EXIT_OK;
out:
	free(keep);
	free(found);
	buf_free(&drift);
	intern_free(want);
	saved_free(pl, n);
	return r;
}

/*
 * A plan that trips a safety limit or the group guard: apply stops with
 * exit 5 unless forced; plan warns.  Nothing is recorded from a view the
 * guard distrusts, so an outage cannot reset entitlement history.
 */
static int
safety(struct plan_run *pr, const struct plan_opts *o, bool apply,
    struct err *e)
{
	struct buf why = { 0 };
	bool guard;
	int r;

	if ((r = safety_reasons(pr, &why, &guard, e)) != EXIT_OK)
		goto out;
	pr->guard = guard;
	if (why.len == 0)
		goto out;
	if (o->force) {
		log_warning("safety limits overridden by --force: %s",
		    why.data);
		pr->forced = true;
	} else if (apply) {
		err_set(e, "safety stop, nothing applied: %s (apply --force "
		    "overrides)", why.data);
		pr->stopped = true;
		r = EXIT_SAFETY;
	} else {
		log_warning("apply would stop: %s", why.data);
		pr->skip_record = guard;
	}
out:
	buf_free(&why);
	return r;
}

/*
 * The end of plan and apply: the seats the run leaves (from a whole view
 * the guard trusts), the run's outcome, then --metrics, which tells the
 * outcome whatever it was.
 */
static int
finish(struct plan_run *pr, const struct plan_opts *o, const char *command,
    int r, struct err *e)
{
	struct err e2;

	if (pr->db != NULL && pr->plan.apps != NULL &&
	    (!pr->guard || pr->forced) &&
	    run_record_seats(pr, &e2) != EXIT_OK) {
		if (r == EXIT_OK) {
			r = EXIT_DATABASE;
			*e = e2;
		} else
			print_err(&e2);
	}
	if (pr->db != NULL)
		end_run(pr, r, e);
	if (r != EXIT_OK)
		print_err(e);
	if (o->metrics_file != NULL &&
	    run_write_metrics(pr, o->metrics_file, command, r, &e2) !=
	    EXIT_OK) {
		print_err(&e2);
		if (r == EXIT_OK)
			r = EXIT_USAGE;
	}
	return r;
}

int
run_plan(const struct plan_opts *o)
{
	struct plan_run pr;
	struct err e;
	int r;

	r = run_prepare(&pr, o, RUN_PLAN, &e);
	if (r == EXIT_OK)
		r = output(&pr, o, &e);
	r = finish(&pr, o, "plan", r, &e);
	run_free(&pr);
	return r;
}

/* ---- apply ---- */

struct exec {
	struct plan_run *pr;
	const size_t *plan_index;   /* backend change -> plan change */
	const int64_t *row;         /* plan change -> audit row id */
	size_t uncommitted;
	int db_r;                   /* first database error */
	struct err db_e;
};

static const char *
result_of(enum outcome o)
{
	if (o == OUTCOME_OK)
		return "ok";
	if (o == OUTCOME_INHERITED)
		return "skipped";
	return "failed";
}

/* Record one outcome; on_checkpoint commits them per answer, so a run
 * fsyncs once per $batch answer, not per change. */
static void
on_done(void *ctx, size_t idx, const struct backend_outcome *o)
{
	struct exec *x = ctx;
	struct plan_run *pr = x->pr;
	size_t pi = x->plan_index[idx];
	const struct rc_change *ch = &pr->plan.changes[pi];
	const char *sku = pr->apps[ch->app].sku;
	const char *user = intern_str(pr->keys, ch->user);
	struct change_outcome *co = &pr->results[pi];
	struct change_result cr;
	char *noted = NULL;
	const char *msg = o->message;

	/* a refused assignment may leave the location set: say so */
	if (o->outcome != OUTCOME_OK && o->location_set) {
		noted = xasprintf("%s (the usage location was set to %s)",
		    msg != NULL ? msg : "refused", pr->loc.set[ch->user]);
		msg = noted;
	}
	co->result = result_of(o->outcome);
	co->outcome = outcome_name(o->outcome);
	co->attempts = o->attempts;
	if (o->outcome != OUTCOME_OK)
		co->error = xasprintf("%s%s%s", o->code != NULL ? o->code : "",
		    o->code != NULL && msg != NULL ? ": " : "",
		    msg != NULL ? msg : "");
	co->request_id = o->request_id != NULL ? xstrdup(o->request_id) :
	    NULL;
	if (strcmp(co->result, "failed") == 0)
		pr->failed++;
	if (x->db_r != EXIT_OK) {
		free(noted);
		return;
	}
	memset(&cr, 0, sizeof(cr));
	cr.result = co->result;
	cr.outcome = co->outcome;
	cr.error_code = o->code;
	cr.error_message = msg;
	cr.request_id = o->request_id;
	cr.attempts = o->attempts;
	cr.finished = now_seconds();
	x->db_r = audit_result(pr->db, x->row[pi], &cr, &x->db_e);
	if (x->db_r == EXIT_OK && o->outcome == OUTCOME_OK)
		x->db_r = ch->action == RC_ASSIGN ?
		    audit_own(pr->db, sku, user, cr.finished, pr->run_id,
		    &x->db_e) : audit_disown(pr->db, sku, user, &x->db_e);
	if (x->db_r == EXIT_OK)
		x->uncommitted++;
	free(noted);
}

/* The outcomes of one answer are durable before more is sent. */
static void
on_checkpoint(void *ctx)
{
	struct exec *x = ctx;

	if (x->db_r != EXIT_OK || x->uncommitted == 0)
		return;
	x->db_r = audit_commit(x->pr->db, &x->db_e);
	if (x->db_r == EXIT_OK)
		x->db_r = audit_begin(x->pr->db, &x->db_e);
	x->uncommitted = 0;
}

/* Every change of the plan as pending audit rows, before any is sent. */
static int
record_pending(struct plan_run *pr, int64_t *rows, struct err *e)
{
	const struct rc_plan *p = &pr->plan;
	struct change_row *cr = xcalloc(p->nchanges, sizeof(*cr));
	char **why = xcalloc(p->nchanges, sizeof(*why));
	const char **skus = run_app_skus(pr);
	struct report_ctx rc;
	size_t i;
	int r;

	run_report_context(pr, skus, &rc);
	for (i = 0; i < p->nchanges; i++) {
		const struct rc_change *ch = &p->changes[i];

		why[i] = report_reason(&rc, ch);
		cr[i].action = ch->action == RC_ASSIGN ? "assign" : "unassign";
		cr[i].app = pr->pol->apps[ch->app].name;
		cr[i].sku = pr->apps[ch->app].sku;
		cr[i].user = intern_str(pr->keys, ch->user);
		cr[i].reason = why[i];
	}
	r = audit_pending(pr->db, pr->run_id, cr, p->nchanges, now_seconds(),
	    rows, e);
	for (i = 0; i < p->nchanges; i++)
		free(why[i]);
	free(why);
	free(cr);
	free(skus);
	return r;
}

/* The backend's view of the changes with ACTION, in plan order. */
static size_t
backend_changes(struct plan_run *pr, enum rc_action action,
    struct backend_change *bc, size_t *plan_index)
{
	const struct rc_plan *p = &pr->plan;
	size_t i, n = 0;

	for (i = 0; i < p->nchanges; i++) {
		const struct rc_change *ch = &p->changes[i];
		const struct app_policy *ap = &pr->pol->apps[ch->app];

		if (ch->action != action)
			continue;
		bc[n].user_id = intern_str(pr->bids, pr->bid_of[ch->user] - 1);
		bc[n].sku = pr->apps[ch->app].sku;
		bc[n].add = action == RC_ASSIGN;
		bc[n].disabled_plans = (const char *const *)ap->disabled_plans.v;
		bc[n].ndisabled = ap->disabled_plans.n;
		bc[n].usage_location = change_location(pr, ch);
		plan_index[n++] = i;
	}
	return n;
}

/* Unassigns first: they free the seats that assigns take. */
static int
execute(struct plan_run *pr, struct err *e)
{
	const struct rc_plan *p = &pr->plan;
	struct backend_change *bc = xcalloc(p->nchanges, sizeof(*bc));
	size_t *plan_index = xcalloc(p->nchanges, sizeof(*plan_index));
	int64_t *rows = xcalloc(p->nchanges, sizeof(*rows));
	static const enum rc_action order[] = { RC_UNASSIGN, RC_ASSIGN };
	struct exec x;
	struct backend_sink sink = { on_done, on_checkpoint, NULL };
	size_t i, n;
	int r;

	pr->results = xcalloc(p->nchanges, sizeof(*pr->results));
	if ((r = record_pending(pr, rows, e)) != EXIT_OK)
		goto out;
	memset(&x, 0, sizeof(x));
	x.pr = pr;
	x.plan_index = plan_index;
	x.row = rows;
	sink.ctx = &x;
	for (i = 0; i < 2; i++) {
		n = backend_changes(pr, order[i], bc, plan_index);
		if ((r = audit_begin(pr->db, e)) != EXIT_OK)
			goto out;
		r = pr->ops->apply(pr->be, bc, n, &sink, e);
		if (x.db_r == EXIT_OK)
			x.db_r = audit_commit(pr->db, &x.db_e);
		else
			audit_rollback(pr->db);
		x.uncommitted = 0;
		if (x.db_r != EXIT_OK) {
			*e = x.db_e;
			r = x.db_r;
		}
		if (r != EXIT_OK)
			goto out;
	}
	r = pr->failed > 0 ? EXIT_PARTIAL : EXIT_OK;
	if (r == EXIT_PARTIAL)
		err_set(e, "%zu change%s failed; see the report and `licsync "
		    "audit --run %lld --result failed`", pr->failed,
		    pr->failed == 1 ? "" : "s", (long long)pr->run_id);
out:
	free(bc);
	free(plan_index);
	free(rows);
	return r;
}

int
run_apply(const struct plan_opts *o)
{
	struct plan_run pr;
	struct err e;
	int r, ro;

	r = run_prepare(&pr, o, RUN_APPLY, &e);
	if (r == EXIT_OK)
		r = execute(&pr, &e);
	/* A safety stop shows the plan it refused to apply. */
	if (r == EXIT_SAFETY && pr.stopped)
		output(&pr, o, NULL);
	/* Once changes were sent, report them, whatever stopped the run. */
	if (pr.results != NULL) {
		struct err eo;

		ro = output(&pr, o, &eo);
		if (ro != EXIT_OK && (r == EXIT_OK || r == EXIT_PARTIAL)) {
			r = ro;
			e = eo;
		}
	}
	if (pr.results != NULL && r != EXIT_OK && r != EXIT_PARTIAL)
		err_prefix(&e, "apply stopped (see `licsync audit --run %lld` "
		    "for what was done)", (long long)pr.run_id);
	r = finish(&pr, o, "apply", r, &e);
	run_free(&pr);
	return r;
}

/* ---- audit ---- */

/* True when TM names a day that exists (not 2026-02-30). */
static bool
real_date(const struct tm *tm)
{
	struct tm copy = *tm, back;
	time_t t = timegm(&copy);

	return gmtime_r(&t, &back) != NULL && back.tm_mday == tm->tm_mday &&
	    back.tm_mon == tm->tm_mon && back.tm_year == tm->tm_year;
}

/* "2026-11-28", "2026-11-28T05:07:19Z", or a duration ago ("7d"). */
static int
parse_since(const char *opt, const char *s, int64_t *out, struct err *e)
{
	static const char *const formats[] = {
		"%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S",
		"%Y-%m-%d",
	};
	struct tm tm;
	int64_t ago;
	size_t i;

	if (yw_duration(s, &ago)) {
		*out = now_seconds() - ago;
		return EXIT_OK;
	}
	for (i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
		const char *end;

		memset(&tm, 0, sizeof(tm));
		end = strptime(s, formats[i], &tm);
		if (end != NULL && *end == '\0' && real_date(&tm)) {
			*out = (int64_t)timegm(&tm);
			return EXIT_OK;
		}
	}
	err_set(e, "%s '%s': use a date (2026-11-28), a UTC time "
	    "(2026-11-28T05:00:00Z) or a duration ago (7d, 12h)", opt, s);
	return EXIT_USAGE;
}

static int
audit_filter_from(const struct audit_opts *o, struct audit_filter *f,
    struct err *e)
{
	static const char *const results[] = { "ok", "failed", "skipped",
		"pending" };
	size_t i;
	char *end;

	memset(f, 0, sizeof(*f));
	if (o->run != NULL && strcmp(o->run, "last") == 0) {
		f->run = -1;
	} else if (o->run != NULL) {
		long long v;

		errno = 0;
		v = strtoll(o->run, &end, 10);
		if (end == o->run || *end != '\0' || v <= 0 || errno != 0) {
			err_set(e, "--run '%s': use a run number or 'last'",
			    o->run);
			return EXIT_USAGE;
		}
		f->run = (int64_t)v;
	}
	if (o->since != NULL &&
	    parse_since("--since", o->since, &f->since, e) != EXIT_OK)
		return EXIT_USAGE;
	if (o->until != NULL &&
	    parse_since("--until", o->until, &f->until, e) != EXIT_OK)
		return EXIT_USAGE;
	if (o->action != NULL && strcmp(o->action, "assign") != 0 &&
	    strcmp(o->action, "unassign") != 0) {
		err_set(e, "--action '%s': use assign or unassign", o->action);
		return EXIT_USAGE;
	}
	if (o->runs && (o->user != NULL || o->app != NULL ||
	    o->result != NULL || o->action != NULL)) {
		err_set(e, "--runs lists runs: --user, --app, --result and "
		    "--action filter changes");
		return EXIT_USAGE;
	}
	f->action = o->action;
	for (i = 0; o->result != NULL && i < 4; i++)
		if (strcmp(o->result, results[i]) == 0)
			break;
	if (i == 4) {
		err_set(e, "--result '%s': use ok, failed, skipped or pending",
		    o->result);
		return EXIT_USAGE;
	}
	f->user = o->user;
	f->app = o->app;
	f->result = o->result;
	return EXIT_OK;
}

struct audit_print {
	enum report_format format;
	size_t n;
};

static int
print_run(void *ctx, const struct audit_run *run)
{
	struct audit_print *p = ctx;

	report_run_row(stdout, p->format, run, p->n++);
	return EXIT_OK;
}

static int
print_change(void *ctx, const struct audit_change *c)
{
	struct audit_print *p = ctx;

	report_audit_row(stdout, p->format, c, p->n++);
	return EXIT_OK;
}

/* --verify: walk the hash chain; exit 9 at the first broken link. */
static int
verify_chain(struct audit *db, struct err *e)
{
	struct chain_report rep;
	int r;

	if ((r = audit_verify(db, &rep, e)) != EXIT_OK)
		return r;
	if (rep.intact) {
		printf("audit trail intact: %lld change rows verified\n",
		    (long long)rep.rows);
		return EXIT_OK;
	}
	printf("audit trail NOT intact after %lld rows: %s\n",
	    (long long)rep.rows, rep.what);
	err_set(e, "audit trail altered: %s", rep.what);
	return EXIT_TAMPERED;
}

/* Pruning writes the database: it takes the run lock first, so it never
 * meets an apply's transaction (and waits for the run with --wait). */
static int
prune(const struct config *cfg, int64_t before, int wait, struct err *e)
{
	struct audit *db = NULL;
	int64_t n = 0;
	char when[21];
	int r, fd = -1;

	if ((r = lock_take(cfg->lock_file, wait, &fd, e)) != EXIT_OK) {
		if (r == EXIT_LOCKED)
			err_prefix(e, "a licsync run is in progress; prune when "
			    "it has ended (or with --wait SECONDS)");
		return r;
	}
	if ((r = audit_open(cfg->database, &db, e)) != EXIT_OK) {
		lock_release(fd);
		return r;
	}
	if ((r = audit_prune(db, before, &n, e)) == EXIT_OK) {
		format_utc(before, when);
		printf("removed %lld change rows finished before %s; the rest "
		    "still verifies from the checkpoint\n", (long long)n, when);
	}
	audit_close(db);
	lock_release(fd);
	return r;
}

int
run_audit(const struct audit_opts *o)
{
	struct config *cfg = NULL;
	struct audit *db = NULL;
	struct audit_filter f;
	struct audit_print p = { o->format, 0 };
	struct err e;
	int r;

	int64_t before;

	if ((r = audit_filter_from(o, &f, &e)) != EXIT_OK)
		goto out;
	if ((r = config_load(o->config_path, &cfg, &e)) != EXIT_OK)
		goto out;
	if (o->prune_before != NULL) {
		if ((r = parse_since("--prune-before", o->prune_before, &before,
		    &e)) != EXIT_OK)
			goto out;
		r = prune(cfg, before, o->wait, &e);
		goto out;
	}
	if ((r = audit_open_readonly(cfg->database, &db, &e)) != EXIT_OK)
		goto out;
	if (o->verify) {
		r = verify_chain(db, &e);
		goto out;
	}
	if (o->runs) {
		report_run_begin(stdout, o->format);
		r = audit_runs(db, &f, print_run, &p, &e);
	} else {
		report_audit_begin(stdout, o->format);
		r = audit_changes(db, &f, print_change, &p, &e);
	}
	if (r == EXIT_OK && report_audit_end(stdout, o->format, p.n) != 0) {
		err_set(&e, "cannot write the report: %s",
		    strerror(errno));
		r = EXIT_USAGE;
	}
out:
	if (r != EXIT_OK)
		print_err(&e);
	audit_close(db);
	config_free(cfg);
	return r;
}
