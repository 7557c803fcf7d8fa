/*
 * directory.c - libldap: connect, bind, paged search, group expansion.
 *
 * Users are read once with a paged search and kept as two interned maps
 * (normalised DN -> key, uid -> key).  Groups are read on demand with base
 * searches, starting from the policy groups and following nested groups;
 * each group is read once however many policy groups reach it, and cycles
 * end because a group is visited once per expansion.  Schema differences
 * (member attributes, what makes an entry a group) live in one flavour
 * table so that Active Directory and 389-ds variants slot in there.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <ldap.h>

#include "directory.h"
#include "dn.h"
#include "log.h"

#define NO_KEY UINT32_MAX

struct flavour {
	const char *name;
	const char *const *dn_member_attrs;   /* values are DNs */
	const char *uid_member_attr;          /* values are uids */
	const char *const *group_classes;
};

static const char *const rfc_dn_attrs[] = { "member", "uniqueMember", NULL };
static const char *const rfc_group_classes[] = {
	"groupOfNames", "groupOfUniqueNames", "posixGroup", "groupOfMembers",
	NULL
};

static const struct flavour flavour_rfc = {
	"rfc4519", rfc_dn_attrs, "memberUid", rfc_group_classes,
};

struct group {
	bool loaded;
	bool exists;            /* an entry that is a group */
	uint32_t *users;        /* key ids */
	size_t nusers;
	uint32_t *subs;         /* group ids */
	size_t nsubs;
	uint32_t stamp;         /* expansion that last visited it */
};

struct directory {
	LDAP *ld;
	const struct config_ldap *cfg;
	const struct flavour *fl;
	char *base;             /* as given */
	char *nbase;            /* normalised */
	struct timeval tv;
	/* users */
	struct intern *dns;     /* normalised user DN -> dn id */
	uint32_t *dn_key;       /* dn id -> key id or NO_KEY */
	size_t dn_cap;
	struct intern *uids;
	uint32_t *uid_key;
	size_t uid_cap;
	/* groups */
	struct intern *gdns;
	struct group *groups;
	size_t gcap;
	uint32_t cur_group;     /* group being read by group_entry */
	struct intern *keys;    /* user keys, during directory_read */
	int last_rc;            /* result code of the last search */
	struct dir_stats *st;
};

static void
set_ldap_err(struct directory *d, struct err *e, int rc, const char *what)
{
	char *diag = NULL;

	if (d->ld != NULL)
		ldap_get_option(d->ld, LDAP_OPT_DIAGNOSTIC_MESSAGE, &diag);
	if (diag != NULL && *diag != '\0')
		err_set(e, "%s: %s (%s)", what, ldap_err2string(rc), diag);
	else
		err_set(e, "%s: %s", what, ldap_err2string(rc));
	ldap_memfree(diag);
}

static int
set_opt(struct directory *d, int opt, const void *val, const char *name,
    struct err *e)
{
	int rc = ldap_set_option(d->ld, opt, val);

	if (rc != LDAP_OPT_SUCCESS) {
		set_ldap_err(d, e, rc, name);
		return EXIT_DIRECTORY;
	}
	log_debug("ldap option %s set", name);
	return EXIT_OK;
}

static int
setup_tls(struct directory *d, struct err *e)
{
	const struct config_ldap *c = d->cfg;
	int reqcert = c->tls_reqcert == TLS_REQCERT_NEVER ?
	    LDAP_OPT_X_TLS_NEVER : LDAP_OPT_X_TLS_DEMAND;
	int zero = 0, r;

	if (c->ca_file != NULL) {
		r = set_opt(d, LDAP_OPT_X_TLS_CACERTFILE, c->ca_file,
		    "LDAP_OPT_X_TLS_CACERTFILE", e);
		if (r != EXIT_OK)
			return r;
	}
	r = set_opt(d, LDAP_OPT_X_TLS_REQUIRE_CERT, &reqcert,
	    "LDAP_OPT_X_TLS_REQUIRE_CERT", e);
	if (r != EXIT_OK)
		return r;
	/* Options apply to a new TLS context only. */
	return set_opt(d, LDAP_OPT_X_TLS_NEWCTX, &zero,
	    "LDAP_OPT_X_TLS_NEWCTX", e);
}

static int
setup_options(struct directory *d, struct err *e)
{
	int version = LDAP_VERSION3, r;
	struct timeval net = d->tv;

	if ((r = set_opt(d, LDAP_OPT_PROTOCOL_VERSION, &version,
	    "LDAP_OPT_PROTOCOL_VERSION", e)) != EXIT_OK)
		return r;
	/* Referrals would silently widen or narrow what is read. */
	if ((r = set_opt(d, LDAP_OPT_REFERRALS, LDAP_OPT_OFF,
	    "LDAP_OPT_REFERRALS", e)) != EXIT_OK)
		return r;
	if ((r = set_opt(d, LDAP_OPT_NETWORK_TIMEOUT, &net,
	    "LDAP_OPT_NETWORK_TIMEOUT", e)) != EXIT_OK)
		return r;
	if ((r = set_opt(d, LDAP_OPT_TIMEOUT, &net, "LDAP_OPT_TIMEOUT",
	    e)) != EXIT_OK)
		return r;
	return setup_tls(d, e);
}

static bool
uri_is_ldapi(const char *uri)
{
	return uri != NULL && strncasecmp(uri, "ldapi://", 8) == 0;
}

static int
do_bind(struct directory *d, struct err *e)
{
	const struct config_ldap *c = d->cfg;
	struct berval cred = { 0, NULL };
	char *pw = NULL;
	int rc, r;

	if (c->bind_dn != NULL) {
		r = read_secret_file(c->bind_password_file, &pw, e);
		if (r != EXIT_OK)
			return r;
		cred.bv_val = pw;
		cred.bv_len = strlen(pw);
		rc = ldap_sasl_bind_s(d->ld, c->bind_dn, LDAP_SASL_SIMPLE,
		    &cred, NULL, NULL, NULL);
		explicit_bzero(pw, cred.bv_len);
		free(pw);
		log_debug("simple bind as %s", c->bind_dn);
	} else if (uri_is_ldapi(c->uri)) {
		rc = ldap_sasl_bind_s(d->ld, NULL, "EXTERNAL", &cred, NULL,
		    NULL, NULL);
		log_debug("SASL EXTERNAL bind");
	} else {
		rc = ldap_sasl_bind_s(d->ld, "", LDAP_SASL_SIMPLE, &cred,
		    NULL, NULL, NULL);
		log_debug("anonymous bind");
	}
	if (rc != LDAP_SUCCESS) {
		set_ldap_err(d, e, rc, c->bind_dn != NULL ?
		    "LDAP bind failed" : "LDAP bind failed (no bind_dn)");
		return EXIT_DIRECTORY;
	}
	return EXIT_OK;
}

static int
find_base(struct directory *d, struct err *e)
{
	char *base = NULL;

	if (d->cfg->base_dn != NULL) {
		d->base = xstrdup(d->cfg->base_dn);
	} else {
		ldap_get_option(d->ld, LDAP_OPT_DEFBASE, &base);
		if (base == NULL || *base == '\0') {
			ldap_memfree(base);
			err_set(e, "no base_dn in the configuration and no "
			    "BASE in ldap.conf");
			return EXIT_CONFIG;
		}
		d->base = xstrdup(base);
		ldap_memfree(base);
	}
	d->nbase = dn_normalize(d->base);
	if (d->nbase == NULL) {
		err_set(e, "invalid base DN '%s'", d->base);
		return EXIT_CONFIG;
	}
	return EXIT_OK;
}

int
directory_open(const struct config_ldap *cfg, struct directory **out,
    struct err *e)
{
	struct directory *d = xcalloc(1, sizeof(*d));
	int rc, r;

	*out = NULL;
	d->cfg = cfg;
	d->fl = &flavour_rfc;
	d->tv.tv_sec = cfg->timeout;
	rc = ldap_initialize(&d->ld, cfg->uri);
	if (rc != LDAP_SUCCESS) {
		set_ldap_err(d, e, rc, "cannot initialise LDAP");
		r = EXIT_DIRECTORY;
		goto out;
	}
	log_debug("ldap_initialize(%s)", cfg->uri ? cfg->uri : "ldap.conf");
	if ((r = setup_options(d, e)) != EXIT_OK)
		goto out;
	if ((r = find_base(d, e)) != EXIT_OK)
		goto out;
	if (cfg->starttls) {
		rc = ldap_start_tls_s(d->ld, NULL, NULL);
		if (rc != LDAP_SUCCESS) {
			set_ldap_err(d, e, rc, "StartTLS failed");
			r = EXIT_DIRECTORY;
			goto out;
		}
		log_debug("StartTLS done");
	}
	if ((r = do_bind(d, e)) != EXIT_OK)
		goto out;
	*out = d;
	d = NULL;
	r = EXIT_OK;
out:
	directory_close(d);
	return r;
}

void
directory_close(struct directory *d)
{
	size_t i;

	if (d == NULL)
		return;
	if (d->ld != NULL)
		ldap_unbind_ext_s(d->ld, NULL, NULL);
	free(d->base);
	free(d->nbase);
	intern_free(d->dns);
	free(d->dn_key);
	intern_free(d->uids);
	free(d->uid_key);
	if (d->gdns != NULL)
		for (i = 0; i < intern_count(d->gdns); i++) {
			free(d->groups[i].users);
			free(d->groups[i].subs);
		}
	intern_free(d->gdns);
	free(d->groups);
	free(d);
}

void
dir_members_free(struct dir_members *m, size_t n)
{
	size_t i;

	if (m == NULL)
		return;
	for (i = 0; i < n; i++)
		free(m[i].ids);
}

/* ---- searching ---- */

typedef int (*entry_fn)(struct directory *d, LDAPMessage *entry,
    struct err *e);

/* Check a search's final result; anything but success is an error. */
static int
check_result(struct directory *d, LDAPMessage *res, const char *what,
    struct berval **cookie, struct err *e)
{
	LDAPControl **sctrls = NULL, *pctrl;
	char *errmsg = NULL;
	int rc, err = LDAP_SUCCESS, r = EXIT_DIRECTORY;
	ber_int_t count;
	struct berval ck = { 0, NULL };

	rc = ldap_parse_result(d->ld, res, &err, NULL, &errmsg, NULL,
	    &sctrls, 0);
	if (rc != LDAP_SUCCESS) {
		set_ldap_err(d, e, rc, what);
		goto out;
	}
	d->last_rc = err;
	if (err != LDAP_SUCCESS) {
		if (errmsg != NULL && *errmsg != '\0')
			err_set(e, "%s: %s (%s)", what, ldap_err2string(err),
			    errmsg);
		else
			err_set(e, "%s: %s", what, ldap_err2string(err));
		goto out;
	}
	if (cookie != NULL) {
		pctrl = ldap_control_find(LDAP_CONTROL_PAGEDRESULTS, sctrls,
		    NULL);
		if (pctrl == NULL) {
			err_set(e, "%s: the server ignored the paged results "
			    "control", what);
			goto out;
		}
		rc = ldap_parse_pageresponse_control(d->ld, pctrl, &count,
		    &ck);
		if (rc != LDAP_SUCCESS) {
			set_ldap_err(d, e, rc, what);
			goto out;
		}
		ber_bvfree(*cookie);
		*cookie = NULL;
		if (ck.bv_len > 0) {
			*cookie = ber_bvdup(&ck);
		}
		ber_memfree(ck.bv_val);
	}
	r = EXIT_OK;
out:
	ldap_memfree(errmsg);
	ldap_controls_free(sctrls);
	return r;
}

/*
 * Run one search and call FN per entry.  With PAGED, repeat with the
 * server's cookie until it is empty (RFC 2696).  Search references
 * (referrals) make the view partial, so they are errors.
 */
static int
search(struct directory *d, const char *base, int scope, const char *filter,
    const char *const *attrs, bool paged, entry_fn fn, struct err *e)
{
	struct berval *cookie = NULL;
	LDAPControl *ctrls[2] = { NULL, NULL };
	LDAPMessage *res = NULL;
	struct timeval tv;
	char what[512];
	int rc, msgid, r = EXIT_DIRECTORY;
	bool more = true;

	d->last_rc = LDAP_OTHER;
	snprintf(what, sizeof(what), "LDAP search of '%s' %s", base, filter);
	while (more) {
		more = false;
		if (paged) {
			rc = ldap_create_page_control(d->ld,
			    (ber_int_t)d->cfg->page_size, cookie, 1, &ctrls[0]);
			if (rc != LDAP_SUCCESS) {
				set_ldap_err(d, e, rc, what);
				goto out;
			}
		}
		tv = d->tv;
		rc = ldap_search_ext(d->ld, base, scope, filter,
		    (char **)(uintptr_t)attrs, 0, ctrls, NULL, &tv,
		    LDAP_NO_LIMIT, &msgid);
		ldap_control_free(ctrls[0]);
		ctrls[0] = NULL;
		if (rc != LDAP_SUCCESS) {
			set_ldap_err(d, e, rc, what);
			goto out;
		}
		for (;;) {
			tv = d->tv;
			rc = ldap_result(d->ld, msgid, LDAP_MSG_ONE, &tv, &res);
			if (rc == 0) {
				ldap_abandon_ext(d->ld, msgid, NULL, NULL);
				err_set(e, "%s: timed out after %d s", what,
				    d->cfg->timeout);
				goto out;
			}
			if (rc < 0) {
				ldap_get_option(d->ld, LDAP_OPT_RESULT_CODE,
				    &rc);
				set_ldap_err(d, e, rc, what);
				goto out;
			}
			if (rc == LDAP_RES_SEARCH_ENTRY) {
				r = fn(d, res, e);
				ldap_msgfree(res);
				res = NULL;
				if (r != EXIT_OK) {
					ldap_abandon_ext(d->ld, msgid, NULL,
					    NULL);
					goto out;
				}
				r = EXIT_DIRECTORY;
				continue;
			}
			if (rc == LDAP_RES_SEARCH_REFERENCE) {
				ldap_abandon_ext(d->ld, msgid, NULL, NULL);
				err_set(e, "%s: the server returned a referral; "
				    "refusing a partial result", what);
				goto out;
			}
			if (rc == LDAP_RES_SEARCH_RESULT)
				break;
			ldap_msgfree(res);
			res = NULL;
		}
		if (check_result(d, res, what, paged ? &cookie : NULL, e) !=
		    EXIT_OK)
			goto out;
		ldap_msgfree(res);
		res = NULL;
		more = paged && cookie != NULL;
	}
	r = EXIT_OK;
out:
	ldap_msgfree(res);
	ber_bvfree(cookie);
	return r;
}

/* First value of ATTR in ENTRY, or NULL; malloc'd. */
static char *
first_value(struct directory *d, LDAPMessage *entry, const char *attr)
{
	struct berval **vals = ldap_get_values_len(d->ld, entry, attr);
	char *v = NULL;

	if (vals != NULL && vals[0] != NULL && vals[0]->bv_len > 0)
		v = xstrndup(vals[0]->bv_val, vals[0]->bv_len);
	ldap_value_free_len(vals);
	return v;
}

static void
map_set(uint32_t **arr, size_t *cap, uint32_t idx, uint32_t val)
{
	if (idx >= *cap) {
		size_t n = *cap ? *cap : 1024, i;

		while (n <= idx)
			n *= 2;
		*arr = xreallocarray(*arr, n, sizeof(**arr));
		for (i = *cap; i < n; i++)
			(*arr)[i] = NO_KEY;
		*cap = n;
	}
	(*arr)[idx] = val;
}

static int
user_entry(struct directory *d, LDAPMessage *entry, struct err *e)
{
	char *dn = ldap_get_dn(d->ld, entry), *ndn, *key, *uid;
	uint32_t dnid, kid = NO_KEY;

	if (dn == NULL) {
		err_set(e, "cannot read the DN of a user entry");
		return EXIT_DIRECTORY;
	}
	ndn = dn_normalize(dn);
	ldap_memfree(dn);
	if (ndn == NULL)
		return EXIT_OK;
	d->st->users++;
	key = first_value(d, entry, d->cfg->user_key);
	if (key != NULL)
		kid = intern_add(d->keys, key);
	else
		d->st->users_without_key++;
	dnid = intern_add(d->dns, ndn);
	map_set(&d->dn_key, &d->dn_cap, dnid, kid);
	uid = first_value(d, entry, "uid");
	if (uid != NULL) {
		map_set(&d->uid_key, &d->uid_cap, intern_add(d->uids, uid),
		    kid);
		free(uid);
	}
	free(key);
	free(ndn);
	return EXIT_OK;
}

static int
read_users(struct directory *d, struct err *e)
{
	const char *attrs[] = { d->cfg->user_key, "uid", NULL };

	d->dns = intern_new();
	d->uids = intern_new();
	return search(d, d->base, LDAP_SCOPE_SUBTREE, d->cfg->user_filter,
	    attrs, true, user_entry, e);
}

/* ---- groups ---- */

static uint32_t
group_id(struct directory *d, const char *ndn)
{
	uint32_t id = intern_add(d->gdns, ndn);

	if (id >= d->gcap) {
		size_t n = d->gcap ? d->gcap * 2 : 64;

		d->groups = xreallocarray(d->groups, n, sizeof(*d->groups));
		memset(d->groups + d->gcap, 0,
		    (n - d->gcap) * sizeof(*d->groups));
		d->gcap = n;
	}
	return id;
}

static void
push_u32(uint32_t **arr, size_t *n, uint32_t v)
{
	/* grow at powers of two */
	if ((*n & (*n - 1)) == 0 && (*n == 0 || *n >= 8))
		*arr = xreallocarray(*arr, *n ? *n * 2 : 8, sizeof(**arr));
	(*arr)[(*n)++] = v;
}

static bool
is_group_entry(struct directory *d, LDAPMessage *entry)
{
	struct berval **oc = ldap_get_values_len(d->ld, entry, "objectClass");
	bool yes = false;
	size_t i, j;

	for (i = 0; oc != NULL && oc[i] != NULL && !yes; i++)
		for (j = 0; d->fl->group_classes[j] != NULL; j++)
			if (oc[i]->bv_len == strlen(d->fl->group_classes[j]) &&
			    strncasecmp(oc[i]->bv_val,
			    d->fl->group_classes[j], oc[i]->bv_len) == 0)
				yes = true;
	ldap_value_free_len(oc);
	return yes;
}

static void
add_dn_member(struct directory *d, struct group *g, const char *value)
{
	char *raw = dn_strip_uid(value), *ndn = dn_normalize(raw);
	uint32_t id;

	free(raw);
	if (ndn == NULL) {
		d->st->not_users++;
		return;
	}
	if (!dn_is_under(ndn, d->nbase)) {
		/* Outside base_dn: neither a user nor a group we follow. */
		d->st->not_users++;
	} else if (intern_find(d->dns, ndn, &id)) {
		if (d->dn_key[id] == NO_KEY)
			d->st->members_without_key++;
		else
			push_u32(&g->users, &g->nusers, d->dn_key[id]);
	} else {
		/* Not a user: maybe a nested group, read when visited. */
		id = group_id(d, ndn);
		g = &d->groups[d->cur_group];   /* group_id may move groups */
		push_u32(&g->subs, &g->nsubs, id);
	}
	free(ndn);
}

static int
group_entry(struct directory *d, LDAPMessage *entry, struct err *e)
{
	struct group *g = &d->groups[d->cur_group];
	struct berval **vals;
	size_t a, i;
	uint32_t id;

	(void)e;
	if (!is_group_entry(d, entry))
		return EXIT_OK;
	g->exists = true;
	for (a = 0; d->fl->dn_member_attrs[a] != NULL; a++) {
		vals = ldap_get_values_len(d->ld, entry,
		    d->fl->dn_member_attrs[a]);
		for (i = 0; vals != NULL && vals[i] != NULL; i++) {
			char *v = xstrndup(vals[i]->bv_val, vals[i]->bv_len);

			add_dn_member(d, &d->groups[d->cur_group], v);
			free(v);
		}
		ldap_value_free_len(vals);
	}
	vals = ldap_get_values_len(d->ld, entry, d->fl->uid_member_attr);
	g = &d->groups[d->cur_group];
	for (i = 0; vals != NULL && vals[i] != NULL; i++) {
		char *v = xstrndup(vals[i]->bv_val, vals[i]->bv_len);

		if (!intern_find(d->uids, v, &id))
			d->st->not_users++;
		else if (d->uid_key[id] == NO_KEY)
			d->st->members_without_key++;
		else
			push_u32(&g->users, &g->nusers, d->uid_key[id]);
		free(v);
	}
	ldap_value_free_len(vals);
	return EXIT_OK;
}

/* Read group ID with a base search.  A missing entry is not an error here:
 * the caller decides (a policy group must exist; a member need not). */
static int
load_group(struct directory *d, uint32_t id, struct err *e)
{
	const char *attrs[] = { "objectClass", "member", "uniqueMember",
		"memberUid", NULL };
	char *ndn = xstrdup(intern_str(d->gdns, id));
	struct err sub;
	int r;

	d->groups[id].loaded = true;
	d->cur_group = id;
	r = search(d, ndn, LDAP_SCOPE_BASE, "(objectClass=*)", attrs, false,
	    group_entry, &sub);
	if (r != EXIT_OK && d->last_rc != LDAP_NO_SUCH_OBJECT) {
		*e = sub;
		free(ndn);
		return r;
	}
	if (d->groups[id].exists)
		d->st->groups++;
	free(ndn);
	return EXIT_OK;
}

static int
u32_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

/* All users reachable from group ROOT, depth first, each group once. */
static int
expand(struct directory *d, uint32_t root, uint32_t stamp,
    struct dir_members *out, struct err *e)
{
	uint32_t *stack = NULL;
	size_t nstack = 0, i, j;
	int r = EXIT_OK;

	push_u32(&stack, &nstack, root);
	d->groups[root].stamp = stamp;
	while (nstack > 0) {
		uint32_t g = stack[--nstack];

		if (!d->groups[g].loaded &&
		    (r = load_group(d, g, e)) != EXIT_OK)
			goto out;
		if (!d->groups[g].exists) {
			if (g != root)
				d->st->not_users++;
			continue;
		}
		for (i = 0; i < d->groups[g].nusers; i++)
			push_u32(&out->ids, &out->n, d->groups[g].users[i]);
		for (i = 0; i < d->groups[g].nsubs; i++) {
			uint32_t s = d->groups[g].subs[i];

			if (d->groups[s].stamp == stamp)
				continue;
			d->groups[s].stamp = stamp;
			push_u32(&stack, &nstack, s);
		}
	}
	if (out->n > 0) {
		qsort(out->ids, out->n, sizeof(*out->ids), u32_cmp);
		for (i = 1, j = 1; i < out->n; i++)
			if (out->ids[i] != out->ids[j - 1])
				out->ids[j++] = out->ids[i];
		out->n = j;
	}
out:
	free(stack);
	return r;
}

int
directory_read(struct directory *d, struct intern *keys,
    const char *const *groups, size_t ngroups, struct dir_members *out,
    struct dir_stats *st, struct err *e)
{
	size_t i;
	int r;

	memset(st, 0, sizeof(*st));
	memset(out, 0, ngroups * sizeof(*out));
	d->st = st;
	d->keys = keys;
	if ((r = read_users(d, e)) != EXIT_OK)
		goto out;
	log_debug("read %llu users (%llu without %s)",
	    (unsigned long long)st->users,
	    (unsigned long long)st->users_without_key, d->cfg->user_key);
	d->gdns = intern_new();
	for (i = 0; i < ngroups; i++) {
		char *ndn = dn_normalize(groups[i]);
		uint32_t id;

		if (ndn == NULL) {
			err_set(e, "invalid group DN '%s'", groups[i]);
			r = EXIT_CONFIG;
			goto out;
		}
		id = group_id(d, ndn);
		free(ndn);
		if ((r = expand(d, id, (uint32_t)i + 1, &out[i], e)) != EXIT_OK)
			goto out;
		if (!d->groups[id].exists) {
			err_set(e, "policy group '%s' does not exist in the "
			    "directory (or is not a group)", groups[i]);
			r = EXIT_DIRECTORY;
			goto out;
		}
	}
	r = EXIT_OK;
out:
	d->keys = NULL;
	if (r != EXIT_OK)
		dir_members_free(out, ngroups);
	return r;
}
