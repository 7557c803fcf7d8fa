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

#include "directory/directory.h"
#include "directory/dn.h"
#include "util/log.h"

#define NO_KEY UINT32_MAX
#define AMBIGUOUS (UINT32_MAX - 1)  /* a uid that several users have */

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

/* What a member DN (or policy group) turned out to be. */
enum node_kind {
	NODE_UNRESOLVED,        /* not read yet */
	NODE_GROUP,
	NODE_USER,              /* a user spelled unlike its entry's DN */
	NODE_OTHER,             /* an entry that is neither */
	NODE_MISSING,           /* no such entry */
};

/* A DN that is not a known user's: read once, when first reached. */
struct node {
	enum node_kind kind;
	uint32_t key;           /* NODE_USER: its key id, or NO_KEY */
	uint32_t *users;        /* NODE_GROUP: key ids of user members */
	size_t nusers;
	uint32_t *subs;         /* NODE_GROUP: node ids of other members */
	size_t nsubs;
	uint32_t stamp;         /* expansion that last visited it */
};

/* Base searches in flight at once while resolving nodes. */
#define RESOLVE_WINDOW 64

struct directory {
	LDAP *ld;
	const struct config_ldap *cfg;
	const struct flavour *fl;
	char *base;             /* as given */
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
	struct node *nodes;     /* by id in gdns */
	size_t gcap;
	struct intern *keys;    /* user keys, during directory_read */
	const struct dir_user_attrs *attrs;     /* ... and what else */
	struct dir_stats *st;
	bool stalled;           /* a probe timed out: send no more */
};

/* The one shape of an LDAP error: "WHAT: libldap's words for RC (the
 * server's own words, DIAG)".  WHAT is kept short (long DNs go through
 * read_what), so the reason always fits. */
static void
ldap_msg(struct err *e, const char *what, int rc, const char *diag)
{
	if (diag != NULL && *diag != '\0')
		err_set(e, "%s: %s (%.1500s)", what, ldap_err2string(rc), diag);
	else
		err_set(e, "%s: %s", what, ldap_err2string(rc));
}

/* An error of an operation on the handle: its diagnostic message. */
static void
set_ldap_err(struct directory *d, struct err *e, int rc, const char *what)
{
	char *diag = NULL;

	if (d->ld != NULL)
		ldap_get_option(d->ld, LDAP_OPT_DIAGNOSTIC_MESSAGE, &diag);
	ldap_msg(e, what, rc, diag);
	ldap_memfree(diag);
}

/* "LDAP read of 'DN'", the DN shortened when it is very long. */
static void
read_what(char *what, size_t size, const char *dn)
{
	char brief[300];

	snprintf(what, size, "LDAP read of '%s'",
	    str_brief(dn, 240, brief, sizeof(brief)));
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

/*
 * TLS options go on the handle and take effect in a new TLS context.  A
 * new context starts empty, so the CA that libldap read from ldap.conf
 * (TLS_CACERT, TLS_CACERTDIR) is copied over when ca_file is not set.
 * Certificate checking is demand unless tls_reqcert says never, whatever
 * ldap.conf says.
 */
static int
setup_tls(struct directory *d, struct err *e)
{
	static const struct { int opt; const char *name; } ca_opts[] = {
		{ LDAP_OPT_X_TLS_CACERTFILE, "LDAP_OPT_X_TLS_CACERTFILE" },
		{ LDAP_OPT_X_TLS_CACERTDIR, "LDAP_OPT_X_TLS_CACERTDIR" },
	};
	const struct config_ldap *c = d->cfg;
	int reqcert = c->tls_reqcert == TLS_REQCERT_NEVER ?
	    LDAP_OPT_X_TLS_NEVER : LDAP_OPT_X_TLS_DEMAND;
	int zero = 0, r = EXIT_OK;
	size_t i;

	if (c->ca_file != NULL)
		r = set_opt(d, LDAP_OPT_X_TLS_CACERTFILE, c->ca_file,
		    "LDAP_OPT_X_TLS_CACERTFILE", e);
	for (i = 0; c->ca_file == NULL && r == EXIT_OK && i < 2; i++) {
		char *v = NULL;

		ldap_get_option(NULL, ca_opts[i].opt, &v);
		if (v != NULL)
			r = set_opt(d, ca_opts[i].opt, v, ca_opts[i].name, e);
		ldap_memfree(v);
	}
	if (r != EXIT_OK)
		return r;
	r = set_opt(d, LDAP_OPT_X_TLS_REQUIRE_CERT, &reqcert,
	    "LDAP_OPT_X_TLS_REQUIRE_CERT", e);
	if (r != EXIT_OK)
		return r;
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

/* True when a URI of the list is plain ldap:// (or, unset, ldap.conf's). */
static bool
cleartext_uri(const char *uris)
{
	const char *p;

	if (uris == NULL)
		return false;
	for (p = uris; p != NULL && *p != '\0'; p = strchr(p, ' ')) {
		p += strspn(p, " ");
		if (strncasecmp(p, "ldap://", 7) == 0)
			return true;
	}
	return false;
}

static int
do_bind(struct directory *d, struct err *e)
{
	const struct config_ldap *c = d->cfg;
	struct berval cred = { 0, NULL };
	char *pw = NULL;
	int rc, r;

	if (c->bind_dn != NULL) {
		if (!c->starttls && cleartext_uri(c->uri))
			log_warning("the bind password goes to %s without "
			    "TLS; use ldaps://, ldapi:// or starttls: true",
			    c->uri);
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
	char *base = NULL, *nbase;

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
	nbase = dn_normalize(d->base);
	if (nbase == NULL) {
		err_set(e, "invalid base DN '%s'", d->base);
		return EXIT_CONFIG;
	}
	free(nbase);
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
	log_debug("ldap_initialize(%s), schema %s", cfg->uri ? cfg->uri :
	    "ldap.conf", d->fl->name);
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
	intern_free(d->dns);
	free(d->dn_key);
	intern_free(d->uids);
	free(d->uid_key);
	if (d->gdns != NULL)
		for (i = 0; i < intern_count(d->gdns); i++) {
			free(d->nodes[i].users);
			free(d->nodes[i].subs);
		}
	intern_free(d->gdns);
	free(d->nodes);
	free(d);
}

void
dir_members_free(struct dir_members *m, size_t n)
{
	size_t i;

	if (m == NULL)
		return;
	for (i = 0; i < n; i++) {
		free(m[i].ids);
		m[i].ids = NULL;
		m[i].n = 0;
	}
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
	if (err != LDAP_SUCCESS) {
		ldap_msg(e, what, err, errmsg);
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

	{
		char brief[300];

		snprintf(what, sizeof(what), "LDAP search of '%s' %s",
		    str_brief(base, 240, brief, sizeof(brief)), filter);
	}
	while (more) {
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

static void
map_uid(struct directory *d, const char *uid, uint32_t kid)
{
	uint32_t id;

	if (intern_find(d->uids, uid, &id)) {
		/* memberUid must not pick one of several users at random */
		if (d->uid_key[id] != kid && d->uid_key[id] != AMBIGUOUS) {
			log_warning("uid '%s' belongs to more than one user; "
			    "memberUid values naming it are skipped", uid);
			d->uid_key[id] = AMBIGUOUS;
		}
		return;
	}
	map_set(&d->uid_key, &d->uid_cap, intern_add(d->uids, uid), kid);
}

static int
user_entry(struct directory *d, LDAPMessage *entry, struct err *e)
{
	char *dn = ldap_get_dn(d->ld, entry), *ndn, *key, *uid;
	uint32_t dnid, kid = NO_KEY;
	size_t i;

	if (dn == NULL) {
		err_set(e, "cannot read the DN of a user entry");
		return EXIT_DIRECTORY;
	}
	ndn = dn_normalize(dn);
	if (ndn == NULL) {
		err_set(e, "the directory returned a user entry with an "
		    "invalid DN '%s'", dn);
		ldap_memfree(dn);
		return EXIT_DIRECTORY;
	}
	ldap_memfree(dn);
	d->st->users++;
	key = first_value(d, entry, d->cfg->user_key);
	if (key != NULL)
		kid = intern_add(d->keys, key);
	else
		d->st->users_without_key++;
	dnid = intern_add(d->dns, ndn);
	map_set(&d->dn_key, &d->dn_cap, dnid, kid);
	uid = first_value(d, entry, "uid");
	if (uid != NULL)
		map_uid(d, uid, kid);
	free(uid);
	for (i = 0; kid != NO_KEY && d->attrs != NULL && i < d->attrs->n;
	    i++) {
		char *v = first_value(d, entry, d->attrs->names[i]);

		if (v != NULL)
			d->attrs->fn(d->attrs->ctx, kid, i, v);
		free(v);
	}
	free(key);
	free(ndn);
	return EXIT_OK;
}

static int
read_users(struct directory *d, struct err *e)
{
	size_t n = d->attrs != NULL ? d->attrs->n : 0, i;
	const char **attrs = xcalloc(n + 3, sizeof(*attrs));
	int r;

	attrs[0] = d->cfg->user_key;
	attrs[1] = "uid";
	for (i = 0; i < n; i++)
		attrs[2 + i] = d->attrs->names[i];
	d->dns = intern_new();
	d->uids = intern_new();
	r = search(d, d->base, LDAP_SCOPE_SUBTREE, d->cfg->user_filter,
	    attrs, true, user_entry, e);
	free(attrs);
	return r;
}

/* ---- groups ---- */

static uint32_t
node_id(struct directory *d, const char *ndn)
{
	uint32_t id = intern_add(d->gdns, ndn);

	if (id >= d->gcap) {
		size_t n = d->gcap ? d->gcap * 2 : 64;

		d->nodes = xreallocarray(d->nodes, n, sizeof(*d->nodes));
		memset(d->nodes + d->gcap, 0, (n - d->gcap) * sizeof(*d->nodes));
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

/* A member DN of group G: a known user, or a node read later. */
static void
add_dn_member(struct directory *d, uint32_t g, const char *value)
{
	char *raw = dn_strip_uid(value), *ndn = dn_normalize(raw);
	uint32_t id;

	free(raw);
	if (ndn == NULL) {
		d->st->not_users++;
	} else if (intern_find(d->dns, ndn, &id)) {
		if (d->dn_key[id] == NO_KEY)
			d->st->members_without_key++;
		else
			push_u32(&d->nodes[g].users, &d->nodes[g].nusers,
			    d->dn_key[id]);
	} else {
		/* A nested group, a user spelled another way (attribute
		 * alias, OID, non-ASCII case), or no user: read it. */
		id = node_id(d, ndn);
		push_u32(&d->nodes[g].subs, &d->nodes[g].nsubs, id);
	}
	free(ndn);
}

static void
add_uid_member(struct directory *d, uint32_t g, const char *uid)
{
	uint32_t id;

	if (!intern_find(d->uids, uid, &id) || d->uid_key[id] == AMBIGUOUS)
		d->st->not_users++;
	else if (d->uid_key[id] == NO_KEY)
		d->st->members_without_key++;
	else
		push_u32(&d->nodes[g].users, &d->nodes[g].nusers,
		    d->uid_key[id]);
}

static void
read_group_members(struct directory *d, uint32_t g, LDAPMessage *entry)
{
	struct berval **vals;
	size_t a, i;

	for (a = 0; d->fl->dn_member_attrs[a] != NULL; a++) {
		vals = ldap_get_values_len(d->ld, entry,
		    d->fl->dn_member_attrs[a]);
		for (i = 0; vals != NULL && vals[i] != NULL; i++) {
			char *v = xstrndup(vals[i]->bv_val, vals[i]->bv_len);

			add_dn_member(d, g, v);
			free(v);
		}
		ldap_value_free_len(vals);
	}
	vals = ldap_get_values_len(d->ld, entry, d->fl->uid_member_attr);
	for (i = 0; vals != NULL && vals[i] != NULL; i++) {
		char *v = xstrndup(vals[i]->bv_val, vals[i]->bv_len);

		add_uid_member(d, g, v);
		free(v);
	}
	ldap_value_free_len(vals);
}

/* The entry read for node ID: a user under another spelling, a group, or
 * something else.  The server's own DN decides the first. */
static void
node_entry(struct directory *d, uint32_t id, LDAPMessage *entry)
{
	char *dn = ldap_get_dn(d->ld, entry), *ndn;
	uint32_t u;

	ndn = dn != NULL ? dn_normalize(dn) : NULL;
	ldap_memfree(dn);
	if (ndn != NULL && intern_find(d->dns, ndn, &u)) {
		d->nodes[id].kind = NODE_USER;
		d->nodes[id].key = d->dn_key[u];
		if (d->dn_key[u] == NO_KEY)
			d->st->members_without_key++;
	} else if (is_group_entry(d, entry)) {
		d->nodes[id].kind = NODE_GROUP;
		d->st->groups++;
		read_group_members(d, id, entry);
	} else {
		d->nodes[id].kind = NODE_OTHER;
		d->st->not_users++;
	}
	free(ndn);
}

typedef void (*base_entry_fn)(struct directory *d, LDAPMessage *entry,
    void *ctx);

/*
 * The messages of one finished base search (WHAT names it): FN for the
 * entry.  EXIT_OK when the entry was read or does not exist (*MISSING);
 * a referral or any other result is EXIT_DIRECTORY with the server's
 * words.
 */
static int
base_reply(struct directory *d, LDAPMessage *chain, const char *what,
    base_entry_fn fn, void *ctx, bool *missing, struct err *e)
{
	LDAPMessage *m;
	char *errmsg = NULL;
	int err = LDAP_OTHER, rc;

	*missing = false;
	for (m = ldap_first_message(d->ld, chain); m != NULL;
	    m = ldap_next_message(d->ld, m)) {
		switch (ldap_msgtype(m)) {
		case LDAP_RES_SEARCH_ENTRY:
			fn(d, m, ctx);
			break;
		case LDAP_RES_SEARCH_REFERENCE:
			ldap_memfree(errmsg);
			err_set(e, "%s: the server returned a referral; "
			    "refusing a partial result", what);
			return EXIT_DIRECTORY;
		case LDAP_RES_SEARCH_RESULT:
			ldap_memfree(errmsg);
			errmsg = NULL;
			rc = ldap_parse_result(d->ld, m, &err, NULL, &errmsg,
			    NULL, NULL, 0);
			if (rc != LDAP_SUCCESS)
				err = rc;
			break;
		}
	}
	if (err == LDAP_NO_SUCH_OBJECT) {
		*missing = true;
		err = LDAP_SUCCESS;
	}
	if (err != LDAP_SUCCESS)
		ldap_msg(e, what, err, errmsg);
	ldap_memfree(errmsg);
	return err == LDAP_SUCCESS ? EXIT_OK : EXIT_DIRECTORY;
}

static void
node_entry_fn(struct directory *d, LDAPMessage *entry, void *ctx)
{
	node_entry(d, *(const uint32_t *)ctx, entry);
}

/* The messages of one finished base search for node ID. */
static int
node_result(struct directory *d, uint32_t id, LDAPMessage *chain,
    struct err *e)
{
	char what[400];
	bool missing;

	read_what(what, sizeof(what), intern_str(d->gdns, id));
	if (base_reply(d, chain, what, node_entry_fn, &id, &missing, e) !=
	    EXIT_OK)
		return EXIT_DIRECTORY;
	if (missing) {
		d->nodes[id].kind = NODE_MISSING;
		d->st->not_users++;
	}
	if (d->nodes[id].kind == NODE_UNRESOLVED) {
		d->nodes[id].kind = NODE_OTHER;
		d->st->not_users++;
	}
	return EXIT_OK;
}

static int
send_read(struct directory *d, uint32_t id, int *msgid, struct err *e)
{
	const char *attrs[] = { "objectClass", "member", "uniqueMember",
		"memberUid", NULL };
	const char *ndn = intern_str(d->gdns, id);
	struct timeval tv = d->tv;
	int rc;

	rc = ldap_search_ext(d->ld, ndn, LDAP_SCOPE_BASE, "(objectClass=*)",
	    (char **)(uintptr_t)attrs, 0, NULL, NULL, &tv, LDAP_NO_LIMIT,
	    msgid);
	if (rc != LDAP_SUCCESS) {
		char what[400];

		read_what(what, sizeof(what), ndn);
		set_ldap_err(d, e, rc, what);
		return EXIT_DIRECTORY;
	}
	return EXIT_OK;
}

static int
wait_read(struct directory *d, int msgid, uint32_t id, struct err *e)
{
	struct timeval tv = d->tv;
	LDAPMessage *res = NULL;
	char what[400];
	int rc, r;

	rc = ldap_result(d->ld, msgid, LDAP_MSG_ALL, &tv, &res);
	if (rc <= 0)
		read_what(what, sizeof(what), intern_str(d->gdns, id));
	if (rc == 0) {
		err_set(e, "%s: timed out after %d s", what, d->cfg->timeout);
		return EXIT_DIRECTORY;
	}
	if (rc < 0) {
		ldap_get_option(d->ld, LDAP_OPT_RESULT_CODE, &rc);
		set_ldap_err(d, e, rc, what);
		return EXIT_DIRECTORY;
	}
	r = node_result(d, id, res, e);
	ldap_msgfree(res);
	return r;
}

/*
 * Read the unresolved nodes among IDS with base searches, up to
 * RESOLVE_WINDOW of them in flight at once: a group with thousands of
 * members that are not plain users costs round trips in parallel, not in
 * series.
 */
static int
resolve(struct directory *d, const uint32_t *ids, size_t n, struct err *e)
{
	int msgids[RESOLVE_WINDOW];
	uint32_t which[RESOLVE_WINDOW];
	size_t next = 0, head = 0, inflight = 0, i;
	int r = EXIT_OK;

	while (next < n || inflight > 0) {
		while (next < n && inflight < RESOLVE_WINDOW) {
			uint32_t id = ids[next++];
			size_t slot = (head + inflight) % RESOLVE_WINDOW;

			if (d->nodes[id].kind != NODE_UNRESOLVED)
				continue;
			if ((r = send_read(d, id, &msgids[slot], e)) != EXIT_OK)
				goto out;
			which[slot] = id;
			inflight++;
		}
		if (inflight == 0)
			break;
		r = wait_read(d, msgids[head], which[head], e);
		head = (head + 1) % RESOLVE_WINDOW;
		inflight--;
		if (r != EXIT_OK)
			goto out;
	}
out:
	for (i = 0; i < inflight; i++)
		ldap_abandon_ext(d->ld, msgids[(head + i) % RESOLVE_WINDOW],
		    NULL, NULL);
	return r;
}

static void
sort_unique(struct dir_members *out)
{
	size_t i, j;

	if (out->n == 0)
		return;
	qsort(out->ids, out->n, sizeof(*out->ids), u32_cmp);
	for (i = 1, j = 1; i < out->n; i++)
		if (out->ids[i] != out->ids[j - 1])
			out->ids[j++] = out->ids[i];
	out->n = j;
}

/*
 * All users reachable from node ROOT, breadth first: each level's unread
 * nodes are read together, then followed.  A node is visited once per
 * expansion, so cycles end.
 */
static int
expand(struct directory *d, uint32_t root, uint32_t stamp,
    struct dir_members *out, struct err *e)
{
	uint32_t *level = NULL, *next = NULL, *tmp;
	size_t nlevel = 0, nnext = 0, i, k;
	int r = EXIT_OK;

	push_u32(&level, &nlevel, root);
	d->nodes[root].stamp = stamp;
	while (nlevel > 0) {
		if ((r = resolve(d, level, nlevel, e)) != EXIT_OK)
			goto out;
		nnext = 0;
		for (i = 0; i < nlevel; i++) {
			const struct node *g = &d->nodes[level[i]];

			if (g->kind == NODE_USER && g->key != NO_KEY)
				push_u32(&out->ids, &out->n, g->key);
			if (g->kind != NODE_GROUP)
				continue;
			for (k = 0; k < g->nusers; k++)
				push_u32(&out->ids, &out->n, g->users[k]);
			for (k = 0; k < g->nsubs; k++) {
				uint32_t s = g->subs[k];

				if (d->nodes[s].stamp == stamp)
					continue;
				d->nodes[s].stamp = stamp;
				push_u32(&next, &nnext, s);
			}
		}
		tmp = level;
		level = next;
		next = tmp;
		nlevel = nnext;
		/* push_u32 sizes by count: start the spare array afresh */
		free(next);
		next = NULL;
	}
	sort_unique(out);
out:
	free(level);
	free(next);
	return r;
}

int
directory_read(struct directory *d, struct intern *keys,
    const char *const *groups, size_t ngroups,
    const struct dir_user_attrs *attrs, struct dir_members *out,
    struct dir_stats *st, struct err *e)
{
	size_t i;
	int r;

	memset(st, 0, sizeof(*st));
	memset(out, 0, ngroups * sizeof(*out));
	d->st = st;
	d->keys = keys;
	d->attrs = attrs;
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
		id = node_id(d, ndn);
		free(ndn);
		if ((r = expand(d, id, (uint32_t)i + 1, &out[i], e)) != EXIT_OK)
			goto out;
		if (d->nodes[id].kind == NODE_MISSING) {
			err_set(e, "policy group '%s' does not exist in the "
			    "directory", groups[i]);
			r = EXIT_DIRECTORY;
			goto out;
		}
		if (d->nodes[id].kind != NODE_GROUP) {
			err_set(e, "policy group '%s' is not a group",
			    groups[i]);
			r = EXIT_DIRECTORY;
			goto out;
		}
	}
	r = EXIT_OK;
out:
	d->keys = NULL;
	d->attrs = NULL;
	if (r != EXIT_OK)
		dir_members_free(out, ngroups);
	return r;
}

/* ---- explain ---- */

/* Is KEY a direct member of node ID? */
static bool
node_has_user(const struct directory *d, uint32_t id, uint32_t key)
{
	const struct node *g = &d->nodes[id];
	size_t k;

	if (g->kind == NODE_USER)
		return g->key == key;
	for (k = 0; g->kind == NODE_GROUP && k < g->nusers; k++)
		if (g->users[k] == key)
			return true;
	return false;
}

size_t
directory_path(struct directory *d, const char *group, uint32_t key,
    const char ***path)
{
	char *ndn = dn_normalize(group);
	uint32_t root, n, *from, *queue, id = 0, s;
	size_t head = 0, tail = 0, len = 0, k;
	bool found = false;

	*path = NULL;
	if (ndn == NULL || d->gdns == NULL || !intern_find(d->gdns, ndn,
	    &root)) {
		free(ndn);
		return 0;
	}
	free(ndn);
	/* breadth first from the policy group: the shortest chain */
	n = intern_count(d->gdns);
	from = xcalloc(n, sizeof(*from));       /* parent + 1; 0: unseen */
	queue = xcalloc(n, sizeof(*queue));
	from[root] = root + 1;
	queue[tail++] = root;
	while (head < tail && !found) {
		id = queue[head++];
		if (node_has_user(d, id, key)) {
			found = true;
			break;
		}
		for (k = 0; d->nodes[id].kind == NODE_GROUP &&
		    k < d->nodes[id].nsubs; k++) {
			s = d->nodes[id].subs[k];
			if (from[s] != 0)
				continue;
			from[s] = id + 1;
			queue[tail++] = s;
		}
	}
	/* a user node is the user spelled another way: not a group */
	if (found && d->nodes[id].kind == NODE_USER)
		id = from[id] - 1;
	for (s = id; found; s = from[s] - 1) {
		*path = xreallocarray(*path, len + 1, sizeof(**path));
		(*path)[len++] = intern_str(d->gdns, s);
		if (s == root)
			break;
	}
	free(from);
	free(queue);
	return len;
}

const char *
directory_user_dn(struct directory *d, uint32_t key)
{
	uint32_t i, n = d->dns != NULL ? intern_count(d->dns) : 0;

	for (i = 0; i < n && i < d->dn_cap; i++)
		if (d->dn_key[i] == key)
			return intern_str(d->dns, i);
	return NULL;
}

/* ---- probing one group (check --online) ---- */

static size_t
count_member_values(struct directory *d, LDAPMessage *entry)
{
	struct berval **vals;
	size_t a, n = 0;

	for (a = 0; d->fl->dn_member_attrs[a] != NULL; a++) {
		vals = ldap_get_values_len(d->ld, entry,
		    d->fl->dn_member_attrs[a]);
		n += (size_t)ldap_count_values_len(vals);
		ldap_value_free_len(vals);
	}
	vals = ldap_get_values_len(d->ld, entry, d->fl->uid_member_attr);
	n += (size_t)ldap_count_values_len(vals);
	ldap_value_free_len(vals);
	return n;
}

struct probe {
	bool exists, is_group;
	size_t members;
};

static void
probe_entry_fn(struct directory *d, LDAPMessage *entry, void *ctx)
{
	struct probe *p = ctx;

	p->exists = true;
	p->is_group = is_group_entry(d, entry);
	p->members += count_member_values(d, entry);
}

int
directory_probe_group(struct directory *d, const char *dn, bool *exists,
    bool *is_group, size_t *members, struct err *e)
{
	const char *attrs[] = { "objectClass", "member", "uniqueMember",
		"memberUid", NULL };
	LDAPMessage *res = NULL;
	struct timeval tv = d->tv;
	char *ndn, what[400];
	int rc, msgid, r = EXIT_DIRECTORY;

	*exists = false;
	*is_group = false;
	*members = 0;
	read_what(what, sizeof(what), dn);
	/* One timeout is enough: the next reads would each wait as long. */
	if (d->stalled) {
		err_set(e, "%s: not sent, an earlier read timed out", what);
		return EXIT_DIRECTORY;
	}
	/* the spelling directory_read searches for */
	ndn = dn_normalize(dn);
	if (ndn == NULL) {
		err_set(e, "invalid group DN '%s'", dn);
		return EXIT_CONFIG;
	}
	rc = ldap_search_ext(d->ld, ndn, LDAP_SCOPE_BASE, "(objectClass=*)",
	    (char **)(uintptr_t)attrs, 0, NULL, NULL, &tv, LDAP_NO_LIMIT,
	    &msgid);
	if (rc != LDAP_SUCCESS) {
		set_ldap_err(d, e, rc, what);
		goto out;
	}
	tv = d->tv;
	rc = ldap_result(d->ld, msgid, LDAP_MSG_ALL, &tv, &res);
	if (rc == 0) {
		ldap_abandon_ext(d->ld, msgid, NULL, NULL);
		err_set(e, "%s: timed out after %d s", what, d->cfg->timeout);
		d->stalled = true;
		goto out;
	}
	if (rc < 0) {
		ldap_get_option(d->ld, LDAP_OPT_RESULT_CODE, &rc);
		set_ldap_err(d, e, rc, what);
		goto out;
	}
	{
		struct probe p = { false, false, 0 };
		bool missing;

		r = base_reply(d, res, what, probe_entry_fn, &p, &missing, e);
		*exists = p.exists && !missing;
		*is_group = p.is_group;
		*members = p.members;
	}
	if (r == EXIT_OK && !*exists)
		log_debug("%s: no such entry", what);
	else if (r == EXIT_OK)
		log_debug("%s: %s, %zu member values", what,
		    *is_group ? "a group" : "not a group", *members);
out:
	if (r != EXIT_OK) {
		*exists = false;
		*is_group = false;
		*members = 0;
	}
	ldap_msgfree(res);
	free(ndn);
	return r;
}
