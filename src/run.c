/*
 * run.c - one run of a command: config -> policy -> directory -> backend
 * -> reconcile -> audit -> report.  Every stage fails before anything is
 * changed, and every run that got as far as the database is recorded.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit.h"
#include "backend.h"
#include "config.h"
#include "directory.h"
#include "log.h"
#include "policy.h"
#include "reconcile.h"
#include "run.h"

/* Holders as read, before the backend's strings are final. */
struct holder_tmp {
	uint32_t user;
	bool direct;
	uint32_t group;         /* id in groups + 1; 0: none */
};

struct app_state {
	const char *sku;
	long purchased, consumed;
	struct holder_tmp *h;
	size_t nh, caph;
	struct rc_holder *holders;
	uint32_t *owned;
	size_t nowned;
	struct rc_seen *seen;
	size_t nseen;
	uint32_t *exclude_users;
	size_t nexclude_users;
	/* indexes into the flattened group list */
	size_t first_group, first_excl;
};

struct plan_run {
	struct config *cfg;
	struct policy *pol;
	struct audit *db;
	int64_t run_id;
	struct intern *keys;
	struct intern *bgroups;     /* backend group ids */
	uint8_t *bu;                /* enum rc_backend_user per key */
	size_t nbu;
	size_t backend_users;
	struct app_state *apps;
	const char **gdns;          /* flattened groups, then excludes */
	size_t ngdns;
	struct dir_members *members;
	struct dir_stats dst;
	struct backend_sku *skus;
	size_t nskus;
	uint32_t *protected_ids;
	struct rc_plan plan;
};

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

int
run_check(const char *config_path, bool dump)
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
	    (r = check_secret(cfg->backend.client_secret_file, &e)) != EXIT_OK)
		goto out;
	if (dump) {
		config_dump(cfg, stdout);
	} else {
		printf("%s: OK\n%s: OK, %zu app%s\n", cfg->path, cfg->policy,
		    pol->napps, pol->napps == 1 ? "" : "s");
	}
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

static int
read_directory(struct plan_run *pr, struct err *e)
{
	struct directory *d = NULL;
	int r;

	flatten_groups(pr);
	if ((r = directory_open(&pr->cfg->ldap, &d, e)) != EXIT_OK)
		return r;
	r = directory_read(d, pr->keys, pr->gdns, pr->ngdns, pr->members,
	    &pr->dst, e);
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
	uint32_t id = intern_add(pr->keys, u->key);
	size_t i, a;

	(void)e;
	pr->backend_users++;
	set_backend_user(pr, id, u->has_location ? RC_USER_OK :
	    RC_USER_NO_LOCATION);
	for (i = 0; i < u->nlicenses; i++)
		for (a = 0; a < pr->pol->napps; a++)
			if (str_ieq(u->licenses[i].sku, pr->apps[a].sku))
				add_holding(pr, &pr->apps[a], id,
				    u->licenses[i].group);
	return EXIT_OK;
}

static int
read_backend(struct plan_run *pr, struct err *e)
{
	const struct backend_ops *ops = backend_find(pr->cfg->backend.type);
	struct backend *b = NULL;
	int r;

	if (ops == NULL) {
		err_set(e, "unknown backend type '%s'", pr->cfg->backend.type);
		return EXIT_CONFIG;
	}
	if ((r = ops->open(&pr->cfg->backend, &b, e)) != EXIT_OK)
		return r;
	if ((r = ops->list_skus(b, &pr->skus, &pr->nskus, e)) != EXIT_OK)
		goto out;
	if ((r = resolve_skus(pr, e)) != EXIT_OK)
		goto out;
	r = ops->list_users(b, on_user, pr, e);
out:
	ops->close(b);
	return r;
}

/* ---- reconcile ---- */

static int
load_records(struct plan_run *pr, struct err *e)
{
	size_t a;
	int r;

	for (a = 0; a < pr->pol->napps; a++) {
		struct app_state *as = &pr->apps[a];

		if ((r = audit_owned(pr->db, as->sku, pr->keys, &as->owned,
		    &as->nowned, e)) != EXIT_OK)
			return r;
		if ((r = audit_seen(pr->db, as->sku, pr->keys, &as->seen,
		    &as->nseen, e)) != EXIT_OK)
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
	}
	memset(&rin, 0, sizeof(rin));
	rin.keys = pr->keys;
	rin.backend_user = pr->bu;
	rin.protected_users = pr->protected_ids;
	rin.nprotected = pr->pol->protected_users.n;
	rin.apps = in;
	rin.napps = napps;
	rin.now = now_seconds();
	reconcile(&rin, &pr->plan);
	free(in);
	free(gm);
	free(gn);
}

static int
record_plan(struct plan_run *pr, struct err *e)
{
	int64_t now = now_seconds();
	size_t a;
	int r;

	if ((r = audit_begin(pr->db, e)) != EXIT_OK)
		return r;
	for (a = 0; a < pr->pol->napps; a++) {
		const struct rc_app_summary *s = &pr->plan.apps[a];
		const struct app_state *as = &pr->apps[a];

		r = audit_record_entitled(pr->db, as->sku, pr->keys,
		    s->entitled_ids, s->entitled, as->seen, as->nseen, now, e);
		if (r != EXIT_OK) {
			audit_rollback(pr->db);
			return r;
		}
	}
	return audit_commit(pr->db, e);
}

/* ---- output ---- */

static int
write_plan_file(const char *path, const struct report_ctx *rc, struct err *e)
{
	char *tmp = xasprintf("%s.tmpXXXXXX", path);
	FILE *fp = NULL;
	int fd, r = EXIT_USAGE;

	fd = mkstemp(tmp);
	if (fd < 0 || (fp = fdopen(fd, "w")) == NULL) {
		err_set(e, "%s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		goto out;
	}
	if (report_plan(fp, REPORT_JSON, rc) != 0 || fsync(fd) != 0) {
		err_set(e, "%s: write failed: %s", path, strerror(errno));
		fclose(fp);
		goto out;
	}
	if (fclose(fp) != 0 || rename(tmp, path) != 0) {
		err_set(e, "%s: %s", path, strerror(errno));
		goto out;
	}
	r = EXIT_OK;
out:
	if (r != EXIT_OK)
		unlink(tmp);
	free(tmp);
	return r;
}

static int
output(struct plan_run *pr, const struct plan_opts *o, struct err *e)
{
	const char **skus = xcalloc(pr->pol->napps, sizeof(*skus));
	struct report_ctx rc;
	size_t a;
	int r = EXIT_OK;

	for (a = 0; a < pr->pol->napps; a++)
		skus[a] = pr->apps[a].sku;
	rc.policy = pr->pol;
	rc.skus = skus;
	rc.keys = pr->keys;
	rc.plan = &pr->plan;
	rc.dir = &pr->dst;
	rc.user_key = pr->cfg->ldap.user_key;
	rc.backend_users = pr->backend_users;
	if (o->out_file != NULL)
		r = write_plan_file(o->out_file, &rc, e);
	if (r == EXIT_OK && report_plan(stdout, o->format, &rc) != 0) {
		err_set(e, "cannot write the report: %s", strerror(errno));
		r = EXIT_USAGE;
	}
	free(skus);
	return r;
}

/* ---- the run ---- */

static const char *
outcome_name(int r)
{
	switch (r) {
	case EXIT_OK:
		return "ok";
	case EXIT_CONFIG:
		return "config error";
	case EXIT_DIRECTORY:
		return "directory error";
	case EXIT_BACKEND:
		return "backend error";
	case EXIT_DATABASE:
		return "database error";
	default:
		return "error";
	}
}

static int
begin_run(struct plan_run *pr, const char *command, struct err *e)
{
	char chash[65], phash[65], host[256];
	struct run_info ri;
	int r;

	if ((r = sha256_file(pr->cfg->path, chash, e)) != EXIT_OK)
		return r;
	if ((r = policy_hash(pr->pol, phash, e)) != EXIT_OK)
		return r;
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
	rr.outcome = outcome_name(r);
	rr.exit_code = r;
	rr.message = r != EXIT_OK ? e->msg : NULL;
	rr.ended = now_seconds();
	for (a = 0; a < pr->plan.napps; a++) {
		rr.assigns += (long)pr->plan.apps[a].assign;
		rr.unassigns += (long)pr->plan.apps[a].unassign;
		rr.unfulfilled += (long)pr->plan.apps[a].unfulfilled;
		rr.skipped += (long)pr->plan.apps[a].skipped;
	}
	if (audit_run_end(pr->db, pr->run_id, &rr, &e2) != EXIT_OK)
		print_err(&e2);
}

static void
plan_run_free(struct plan_run *pr)
{
	size_t a;

	if (pr->apps != NULL)
		for (a = 0; a < pr->pol->napps; a++) {
			free(pr->apps[a].h);
			free(pr->apps[a].holders);
			free(pr->apps[a].owned);
			free(pr->apps[a].seen);
			free(pr->apps[a].exclude_users);
		}
	free(pr->apps);
	rc_plan_free(&pr->plan);
	dir_members_free(pr->members, pr->ngdns);
	free(pr->members);
	free(pr->gdns);
	backend_skus_free(pr->skus, pr->nskus);
	free(pr->protected_ids);
	free(pr->bu);
	intern_free(pr->keys);
	intern_free(pr->bgroups);
	audit_close(pr->db);
	policy_free(pr->pol);
	config_free(pr->cfg);
}

int
run_plan(const struct plan_opts *o)
{
	struct plan_run pr;
	struct err e;
	int r;

	memset(&pr, 0, sizeof(pr));
	if ((r = config_load(o->config_path, &pr.cfg, &e)) != EXIT_OK)
		goto out;
	if ((r = policy_load(pr.cfg->policy, &pr.pol, &e)) != EXIT_OK)
		goto out;
	if ((r = begin_run(&pr, "plan", &e)) != EXIT_OK)
		goto out;
	pr.keys = intern_new();
	pr.bgroups = intern_new();
	pr.apps = xcalloc(pr.pol->napps, sizeof(*pr.apps));
	intern_policy_users(&pr);
	if ((r = read_directory(&pr, &e)) != EXIT_OK)
		goto end;
	if ((r = read_backend(&pr, &e)) != EXIT_OK)
		goto end;
	if ((r = load_records(&pr, &e)) != EXIT_OK)
		goto end;
	do_reconcile(&pr);
	if ((r = record_plan(&pr, &e)) != EXIT_OK)
		goto end;
	r = output(&pr, o, &e);
end:
	end_run(&pr, r, &e);
out:
	if (r != EXIT_OK)
		print_err(&e);
	plan_run_free(&pr);
	return r;
}
