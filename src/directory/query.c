/*
 * query.c - what the other commands ask of a directory besides
 * directory_read: explain's chain of groups, a user's DN, and check
 * --online's probe of one policy group.
 */
#include <stdlib.h>

#include "directory/directory.h"
#include "directory/dirstate.h"
#include "directory/dn.h"
#include "directory/ldap_session.h"
#include "util/log.h"

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

/*
 * With nesting: in-chain the server walked the groups and licsync has no
 * chain: walk each group now, as nesting: walk would have, into the
 * graph.
 */
int
directory_walk_groups(struct directory *d, const char *const *groups,
    size_t n, struct err *e)
{
	struct dir_members m = { NULL, 0 };
	uint32_t root;
	size_t i;
	int r = EXIT_OK;

	if (d->cfg->nesting != NESTING_IN_CHAIN || d->gdns == NULL)
		return EXIT_OK;
	for (i = 0; r == EXIT_OK && i < n; i++) {
		char *ndn = dn_normalize(groups[i]);

		if (ndn == NULL)
			continue;
		root = dir_node(d, ndn);
		free(ndn);
		if (d->nodes[root].kind != NODE_UNRESOLVED)
			continue;
		r = dir_walk(d, root, ++d->stamps, &m, e);
		free(m.ids);
		m.ids = NULL;
		m.n = 0;
	}
	return r;
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

struct probe {
	struct directory *d;
	bool exists, is_group;
	size_t members;
};

static int
probe_entry_fn(void *ctx, const struct session_entry *en, struct err *e)
{
	struct probe *p = ctx;
	const struct flavour *fl = p->d->fl;
	size_t a, n;
	int r;

	p->exists = true;
	if ((r = dir_has_class(p->d, en, fl->group_classes, &p->is_group,
	    e)) != EXIT_OK)
		return r;
	for (a = 0; fl->dn_member_attrs[a] != NULL; a++) {
		if ((r = session_values(en, fl->dn_member_attrs[a], NULL, NULL,
		    &n, e)) != EXIT_OK)
			return r;
		p->members += n;
	}
	if (fl->uid_member_attr != NULL) {
		if ((r = session_values(en, fl->uid_member_attr, NULL, NULL,
		    &n, e)) != EXIT_OK)
			return r;
		p->members += n;
	}
	return EXIT_OK;
}

int
directory_probe_group(struct directory *d, const char *dn, bool *exists,
    bool *is_group, size_t *members, struct err *e)
{
	struct probe p = { d, false, false, 0 };
	char *ndn, what[400];
	int msgid, r;
	bool missing, timed_out;

	*exists = false;
	*is_group = false;
	*members = 0;
	dir_read_what(what, sizeof(what), dn);
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
	r = session_send_base(d->s, ndn, d->fl->group_attrs, what, &msgid, e);
	free(ndn);
	if (r != EXIT_OK)
		return r;
	r = session_wait_base(d->s, msgid, what, probe_entry_fn, &p,
	    &missing, &timed_out, e);
	if (timed_out) {
		session_abandon(d->s, msgid);
		d->stalled = true;
	}
	if (r != EXIT_OK)
		return r;
	*exists = p.exists && !missing;
	*is_group = p.is_group;
	*members = p.members;
	if (!*exists)
		log_debug("%s: no such entry", what);
	else
		log_debug("%s: %s, %zu member values", what,
		    *is_group ? "a group" : "not a group", *members);
	return EXIT_OK;
}

