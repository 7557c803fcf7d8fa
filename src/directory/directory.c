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
#include "directory/ldap_session.h"
#include "util/log.h"

static const char *const rfc_dn_attrs[] = { "member", "uniqueMember", NULL };
static const char *const rfc_group_classes[] = {
	"groupOfNames", "groupOfUniqueNames", "posixGroup", "groupOfMembers",
	NULL
};

static const struct flavour flavour_rfc = {
	"rfc4519", rfc_dn_attrs, "memberUid", rfc_group_classes,
};

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
	d->fl = &flavour_rfc;
	if ((r = session_new(cfg, &d->s, e)) != EXIT_OK)
		goto out;
	log_debug("ldap_initialize(%s), schema %s", cfg->uri ? cfg->uri :
	    "ldap.conf", d->fl->name);
	if ((r = session_connect(d->s, e)) != EXIT_OK)
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
	session_close(d->s);
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

static bool
take_first(void *ctx, const char *v, size_t len)
{
	char **out = ctx;

	if (len > 0)
		*out = xstrndup(v, len);
	return false;
}

/* First value of ATTR in EN, or NULL; malloc'd. */
static char *
first_value(const struct session_entry *en, const char *attr)
{
	char *v = NULL;

	session_values(en, attr, take_first, &v);
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
user_entry(void *ctx, const struct session_entry *en, struct err *e)
{
	struct directory *d = ctx;
	char *dn = session_entry_dn(en), *ndn, *key, *uid;
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
		free(dn);
		return EXIT_DIRECTORY;
	}
	free(dn);
	d->st->users++;
	key = first_value(en, d->cfg->user_key);
	if (key != NULL)
		kid = intern_add(d->keys, key);
	else
		d->st->users_without_key++;
	dnid = intern_add(d->dns, ndn);
	map_set(&d->dn_key, &d->dn_cap, dnid, kid);
	uid = first_value(en, "uid");
	if (uid != NULL)
		map_uid(d, uid, kid);
	free(uid);
	for (i = 0; kid != NO_KEY && d->attrs != NULL && i < d->attrs->n;
	    i++) {
		char *v = first_value(en, d->attrs->names[i]);

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
	r = session_search(d->s, session_base(d->s), d->cfg->user_filter,
	    attrs, user_entry, d, e);
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

static void
read_group_members(struct directory *d, uint32_t g,
    const struct session_entry *en)
{
	struct member_ctx m = { d, g };
	size_t a;

	for (a = 0; d->fl->dn_member_attrs[a] != NULL; a++)
		session_values(en, d->fl->dn_member_attrs[a], dn_member, &m);
	session_values(en, d->fl->uid_member_attr, uid_member, &m);
}

/* The entry read for node ID: a user under another spelling, a group, or
 * something else.  The server's own DN decides the first. */
static void
node_entry(struct directory *d, uint32_t id, const struct session_entry *en)
{
	char *dn = session_entry_dn(en), *ndn;
	uint32_t u;

	ndn = dn != NULL ? dn_normalize(dn) : NULL;
	free(dn);
	if (ndn != NULL && intern_find(d->dns, ndn, &u)) {
		d->nodes[id].kind = NODE_USER;
		d->nodes[id].key = d->dn_key[u];
		if (d->dn_key[u] == NO_KEY)
			d->st->members_without_key++;
	} else if (dir_is_group(d, en)) {
		d->nodes[id].kind = NODE_GROUP;
		d->st->groups++;
		read_group_members(d, id, en);
	} else {
		d->nodes[id].kind = NODE_OTHER;
		d->st->not_users++;
	}
	free(ndn);
}

static void
node_entry_fn(void *ctx, const struct session_entry *en)
{
	struct member_ctx *m = ctx;

	node_entry(m->d, m->g, en);
}

static int
send_read(struct directory *d, uint32_t id, int *msgid, struct err *e)
{
	const char *ndn = intern_str(d->gdns, id);
	char what[400];

	dir_read_what(what, sizeof(what), ndn);
	return session_send_base(d->s, ndn, dir_group_attrs, what, msgid, e);
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
