/*
 * directory.c - reading a directory: the users, then the policy groups
 * expanded through nested groups.  The libldap calls are in
 * ldap_session.c, explain's and check --online's queries in query.c.
 *
 * Users are read once with a paged search and kept as two interned maps
 * (normalised DN -> key, uid -> key).  Groups are read on demand with base
 * searches, starting from the policy groups and following nested groups;
 * each group is read once however many policy groups reach it, and cycles
 * end because a group is visited once per expansion.
 */
#include <stdlib.h>
#include <string.h>

#include "directory/directory.h"
#include "directory/dirstate.h"
#include "directory/dn.h"
#include "directory/flavour.h"
#include "directory/ldap_session.h"
#include "util/log.h"

/* Base searches in flight at once while resolving nodes. */
#define RESOLVE_WINDOW 64

int
directory_open(const struct config_ldap *cfg, struct directory **out,
    struct err *e)
{
	struct directory *d = xcalloc(1, sizeof(*d));
	int r;

	*out = NULL;
	d->cfg = cfg;
	if ((r = session_new(cfg, &d->s, e)) != EXIT_OK)
		goto out;
	log_debug("ldap_initialize(%s)", cfg->uri ? cfg->uri : "ldap.conf");
	if ((r = session_connect(d->s, e)) != EXIT_OK)
		goto out;
	if ((r = flavour_select(d->s, cfg, &d->sc, e)) != EXIT_OK)
		goto out;
	d->fl = d->sc.fl;
	d->user_key = flavour_user_key(d->fl, cfg);
	d->user_filter = flavour_user_filter(d->fl, cfg);
	*out = d;
	d = NULL;
	r = EXIT_OK;
out:
	directory_close(d);
	return r;
}

const char *
directory_schema(const struct directory *d)
{
	return d->fl->name;
}

void
directory_close(struct directory *d)
{
	size_t i;

	if (d == NULL)
		return;
	session_close(d->s);
	dir_schema_free(&d->sc);
	free(d->primary);
	intern_free(d->chain_seen);
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

/* A user's primary group: its RID, kept to be matched with groups'
 * tokens. */
static void
add_primary(struct directory *d, const char *value, uint32_t kid)
{
	uint32_t rid;

	if (!dir_parse_rid(value, &rid))
		return;
	/* grow at powers of two from 64 */
	if (d->nprimary == 0 || (d->nprimary >= 64 &&
	    (d->nprimary & (d->nprimary - 1)) == 0))
		d->primary = xreallocarray(d->primary, d->nprimary ?
		    d->nprimary * 2 : 64, sizeof(*d->primary));
	d->primary[d->nprimary].rid = rid;
	d->primary[d->nprimary++].key = kid;
}

static int
primary_cmp(const void *pa, const void *pb)
{
	const struct primary *a = pa, *b = pb;

	if (a->rid != b->rid)
		return a->rid < b->rid ? -1 : 1;
	return a->key < b->key ? -1 : a->key > b->key;
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

/* The values of the user entry EN beyond its DN, for the key id KID. */
static int
user_values(struct directory *d, const struct session_entry *en,
    uint32_t kid, struct err *e)
{
	char *v = NULL;
	size_t i;
	int r;

	if ((r = dir_first_value(d, en, d->fl->uid_attr, &v, e)) != EXIT_OK)
		return r;
	if (v != NULL)
		map_uid(d, v, kid);
	free(v);
	if (kid == NO_KEY)
		return EXIT_OK;
	if ((r = dir_first_value(d, en, d->fl->primary_group_id, &v, e)) !=
	    EXIT_OK)
		return r;
	if (v != NULL)
		add_primary(d, v, kid);
	free(v);
	for (i = 0; d->attrs != NULL && i < d->attrs->n; i++) {
		if ((r = dir_first_value(d, en, d->attrs->names[i], &v, e)) !=
		    EXIT_OK)
			return r;
		if (v != NULL)
			d->attrs->fn(d->attrs->ctx, kid, i, v);
		free(v);
	}
	return EXIT_OK;
}

static int
user_entry(void *ctx, const struct session_entry *en, struct err *e)
{
	struct directory *d = ctx;
	char *dn = session_entry_dn(en), *ndn, *key;
	uint32_t dnid, kid = NO_KEY;
	int r;

	if (dn == NULL) {
		err_set(e, "cannot read the DN of a user entry");
		return EXIT_DIRECTORY;
	}
	ndn = dn_normalize(dn);
	if (ndn == NULL) {
		err_set(e, "the directory returned a user entry with an "
		    "invalid DN '%s'", dn);
		free(dn);
		return EXIT_DIRECTORY;
	}
	free(dn);
	d->st->users++;
	if ((r = dir_first_value(d, en, d->user_key, &key, e)) != EXIT_OK) {
		free(ndn);
		return r;
	}
	if (key != NULL)
		kid = intern_add(d->keys, key);
	else
		d->st->users_without_key++;
	dnid = intern_add(d->dns, ndn);
	map_set(&d->dn_key, &d->dn_cap, dnid, kid);
	r = user_values(d, en, kid, e);
	free(key);
	free(ndn);
	return r;
}

static int
read_users(struct directory *d, struct err *e)
{
	size_t n = d->attrs != NULL ? d->attrs->n : 0, i, k = 0;
	const char **attrs = xcalloc(n + 4, sizeof(*attrs));
	int r;

	attrs[k++] = d->user_key;
	if (d->fl->uid_attr != NULL)
		attrs[k++] = d->fl->uid_attr;
	if (d->fl->primary_group_id != NULL)
		attrs[k++] = d->fl->primary_group_id;
	for (i = 0; i < n; i++)
		attrs[k++] = d->attrs->names[i];
	d->dns = intern_new();
	d->uids = intern_new();
	r = session_search(d->s, session_base(d->s), d->user_filter, attrs,
	    user_entry, d, e);
	free(attrs);
	if (d->nprimary > 0)
		qsort(d->primary, d->nprimary, sizeof(*d->primary),
		    primary_cmp);
	return r;
}

/* ---- disabled users ---- */

struct disabled_ctx {
	struct directory *d;
	struct dir_members *out;
};

static int
disabled_entry(void *ctx, const struct session_entry *en, struct err *e)
{
	struct disabled_ctx *c = ctx;
	char *dn = session_entry_dn(en), *ndn = dn ? dn_normalize(dn) : NULL;
	uint32_t id;

	(void)e;
	/* only users: the filter is joined to user_filter */
	if (ndn != NULL && intern_find(c->d->dns, ndn, &id)) {
		c->d->st->disabled++;
		if (c->d->dn_key[id] != NO_KEY)
			dir_push(&c->out->ids, &c->out->n, c->d->dn_key[id]);
	}
	free(ndn);
	free(dn);
	return EXIT_OK;
}

/* The users matching the disabled filter: a second search, of DNs
 * only, so that any directory's test works (AD's bit, 389-ds's
 * nsAccountLock, an attribute of one's own). */
static int
read_disabled(struct directory *d, struct dir_members *out, struct err *e)
{
	static const char *const no_attrs[] = { "1.1", NULL };
	const char *f = flavour_disabled_filter(d->fl, d->cfg);
	struct disabled_ctx c = { d, out };
	char *filter;
	int r;

	if (f == NULL)
		return EXIT_OK;
	filter = xasprintf("(&%s%s)", d->user_filter, f);
	r = session_search(d->s, session_base(d->s), filter, no_attrs,
	    disabled_entry, &c, e);
	free(filter);
	dir_sort_unique(out);
	return r;
}

void
dir_sort_unique(struct dir_members *out)
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

/* ---- groups ---- */

uint32_t
dir_node(struct directory *d, const char *ndn)
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
			dir_push(&d->nodes[g].users, &d->nodes[g].nusers,
			    d->dn_key[id]);
	} else {
		/* A nested group, a user spelled another way (attribute
		 * alias, OID, non-ASCII case), or no user: read it. */
		id = dir_node(d, ndn);
		dir_push(&d->nodes[g].subs, &d->nodes[g].nsubs, id);
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
		dir_push(&d->nodes[g].users, &d->nodes[g].nusers,
		    d->uid_key[id]);
}

/* Where the member values of group G go. */
struct member_ctx {
	struct directory *d;
	uint32_t g;
};

static bool
dn_member(void *ctx, const char *value, size_t len)
{
	struct member_ctx *m = ctx;
	char *v = xstrndup(value, len);

	add_dn_member(m->d, m->g, v);
	free(v);
	return true;
}

static bool
uid_member(void *ctx, const char *value, size_t len)
{
	struct member_ctx *m = ctx;
	char *v = xstrndup(value, len);

	add_uid_member(m->d, m->g, v);
	free(v);
	return true;
}

static int
read_group_members(struct directory *d, uint32_t g,
    const struct session_entry *en, struct err *e)
{
	struct member_ctx m = { d, g };
	char *token = NULL;
	uint32_t rid;
	size_t a;
	int r;

	for (a = 0; d->fl->dn_member_attrs[a] != NULL; a++)
		if ((r = session_values(en, d->fl->dn_member_attrs[a],
		    dn_member, &m, NULL, e)) != EXIT_OK)
			return r;
	if (d->fl->uid_member_attr != NULL && (r = session_values(en,
	    d->fl->uid_member_attr, uid_member, &m, NULL, e)) != EXIT_OK)
		return r;
	/* the users whose primary group this is are not in member */
	if ((r = dir_first_value(d, en, d->fl->primary_group_token, &token, e)) !=
	    EXIT_OK)
		return r;
	if (token != NULL && dir_parse_rid(token, &rid))
		dir_primary_members(d, rid, &d->nodes[g].users,
		    &d->nodes[g].nusers);
	free(token);
	return EXIT_OK;
}

/* The entry read for node ID: a user under another spelling, a group, a
 * foreign security principal or something else.  The server's own DN
 * decides the first. */
static int
node_entry(struct directory *d, uint32_t id, const struct session_entry *en,
    struct err *e)
{
	const char *foreign[2] = { d->fl->foreign_class, NULL };
	char *dn = session_entry_dn(en), *ndn;
	bool group = false, fsp = false;
	uint32_t u;
	int r = EXIT_OK;

	ndn = dn != NULL ? dn_normalize(dn) : NULL;
	free(dn);
	if (ndn != NULL && intern_find(d->dns, ndn, &u)) {
		d->nodes[id].kind = NODE_USER;
		d->nodes[id].key = d->dn_key[u];
		if (d->dn_key[u] == NO_KEY)
			d->st->members_without_key++;
	} else if ((r = dir_has_class(d, en, d->fl->group_classes, &group,
	    e)) != EXIT_OK) {
		/* the error is in e */
	} else if (group) {
		d->nodes[id].kind = NODE_GROUP;
		d->st->groups++;
		r = read_group_members(d, id, en, e);
	} else if (foreign[0] != NULL && (r = dir_has_class(d, en, foreign,
	    &fsp, e)) == EXIT_OK && fsp) {
		d->nodes[id].kind = NODE_FOREIGN;
		d->st->foreign++;
	} else if (r == EXIT_OK) {
		d->nodes[id].kind = NODE_OTHER;
		d->st->not_users++;
	}
	free(ndn);
	return r;
}

static int
node_entry_fn(void *ctx, const struct session_entry *en, struct err *e)
{
	struct member_ctx *m = ctx;

	return node_entry(m->d, m->g, en, e);
}

static int
send_read(struct directory *d, uint32_t id, int *msgid, struct err *e)
{
	const char *ndn = intern_str(d->gdns, id);
	char what[400];

	dir_read_what(what, sizeof(what), ndn);
	return session_send_base(d->s, ndn, d->fl->group_attrs, what, msgid,
	    e);
}

/* The reply to the base search for node ID. */
static int
wait_read(struct directory *d, int msgid, uint32_t id, struct err *e)
{
	struct member_ctx m = { d, id };
	char what[400];
	bool missing, timed_out;

	dir_read_what(what, sizeof(what), intern_str(d->gdns, id));
	if (session_wait_base(d->s, msgid, what, node_entry_fn, &m, &missing,
	    &timed_out, e) != EXIT_OK)
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
		session_abandon(d->s, msgids[(head + i) % RESOLVE_WINDOW]);
	return r;
}

/*
 * All users reachable from node ROOT, breadth first: each level's unread
 * nodes are read together, then followed.  A node is visited once per
 * expansion, so cycles end.
 */
int
dir_walk(struct directory *d, uint32_t root, uint32_t stamp,
    struct dir_members *out, struct err *e)
{
	uint32_t *level = NULL, *next = NULL, *tmp;
	size_t nlevel = 0, nnext = 0, i, k;
	int r = EXIT_OK;

	dir_push(&level, &nlevel, root);
	d->nodes[root].stamp = stamp;
	while (nlevel > 0) {
		if ((r = resolve(d, level, nlevel, e)) != EXIT_OK)
			goto out;
		nnext = 0;
		for (i = 0; i < nlevel; i++) {
			const struct node *g = &d->nodes[level[i]];

			if (g->kind == NODE_USER && g->key != NO_KEY)
				dir_push(&out->ids, &out->n, g->key);
			if (g->kind != NODE_GROUP)
				continue;
			for (k = 0; k < g->nusers; k++)
				dir_push(&out->ids, &out->n, g->users[k]);
			for (k = 0; k < g->nsubs; k++) {
				uint32_t s = g->subs[k];

				if (d->nodes[s].stamp == stamp)
					continue;
				d->nodes[s].stamp = stamp;
				dir_push(&next, &nnext, s);
			}
		}
		tmp = level;
		level = next;
		next = tmp;
		nlevel = nnext;
		/* dir_push sizes by count: start the spare array afresh */
		free(next);
		next = NULL;
	}
	dir_sort_unique(out);
out:
	free(level);
	free(next);
	return r;
}

/* The members of the policy group GROUP (as written) into OUT. */
static int
read_policy_group(struct directory *d, const char *group,
    struct dir_members *out, struct err *e)
{
	char *ndn = dn_normalize(group), what[400];
	enum node_kind kind;
	uint32_t id;
	int r;

	if (ndn == NULL) {
		err_set(e, "invalid group DN '%s'", group);
		return EXIT_CONFIG;
	}
	if (d->cfg->nesting == NESTING_IN_CHAIN) {
		dir_read_what(what, sizeof(what), ndn);
		r = dir_in_chain(d, ndn, what, &kind, out, e);
	} else {
		id = dir_node(d, ndn);
		r = dir_walk(d, id, ++d->stamps, out, e);
		kind = d->nodes[id].kind;
	}
	free(ndn);
	if (r != EXIT_OK)
		return r;
	if (kind == NODE_MISSING) {
		err_set(e, "policy group '%s' does not exist in the "
		    "directory", group);
		return EXIT_DIRECTORY;
	}
	if (kind != NODE_GROUP) {
		err_set(e, "policy group '%s' is not a group", group);
		return EXIT_DIRECTORY;
	}
	return EXIT_OK;
}

int
directory_read(struct directory *d, struct intern *keys,
    const char *const *groups, size_t ngroups,
    const struct dir_user_attrs *attrs, struct dir_members *out,
    struct dir_members *disabled, struct dir_stats *st, struct err *e)
{
	size_t i;
	int r;

	memset(st, 0, sizeof(*st));
	memset(out, 0, ngroups * sizeof(*out));
	memset(disabled, 0, sizeof(*disabled));
	st->schema = d->fl->name;
	st->user_key = d->user_key;
	d->st = st;
	d->keys = keys;
	d->attrs = attrs;
	if ((r = read_users(d, e)) != EXIT_OK)
		goto out;
	log_debug("read %llu users (%llu without %s)",
	    (unsigned long long)st->users,
	    (unsigned long long)st->users_without_key, d->user_key);
	if ((r = read_disabled(d, disabled, e)) != EXIT_OK)
		goto out;
	d->gdns = intern_new();
	for (i = 0; i < ngroups; i++)
		if ((r = read_policy_group(d, groups[i], &out[i], e)) !=
		    EXIT_OK)
			goto out;
	r = EXIT_OK;
out:
	d->keys = NULL;
	d->attrs = NULL;
	if (r != EXIT_OK) {
		dir_members_free(out, ngroups);
		dir_members_free(disabled, 1);
	}
	return r;
}
