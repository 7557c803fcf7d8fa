/*
 * inchain.c - nesting: in-chain: the server walks the nested groups.
 * Active Directory's LDAP_MATCHING_RULE_IN_CHAIN gives every transitive
 * member of a group in one paged search; the users among them are
 * looked up in the users read before, the nested groups give their
 * primary-group members (AD lists those in no group's member).  The
 * same members as the walk of directory.c, with one search per policy
 * group instead of one read per nested group.
 */
#include <stdlib.h>
#include <string.h>

#include "directory/directory.h"
#include "directory/dirstate.h"
#include "directory/dn.h"
#include "directory/flavour.h"
#include "directory/ldap_session.h"
#include "util/log.h"

struct chain {
	struct directory *d;
	enum node_kind kind;
	uint32_t rid;
	bool has_rid;
	struct dir_members *out;
};

/* The policy group itself: whether it is a group, and its token. */
static int
group_entry(void *ctx, const struct session_entry *en, struct err *e)
{
	struct chain *c = ctx;
	char *token = NULL;
	bool group;
	int r;

	if ((r = dir_has_class(c->d, en, c->d->fl->group_classes, &group,
	    e)) != EXIT_OK)
		return r;
	c->kind = group ? NODE_GROUP : NODE_OTHER;
	if (!group)
		return EXIT_OK;
	if ((r = dir_first_value(c->d, en, c->d->fl->primary_group_token, &token,
	    e)) != EXIT_OK)
		return r;
	c->has_rid = token != NULL && dir_parse_rid(token, &c->rid);
	free(token);
	return EXIT_OK;
}

/* Whether NDN is counted for the first time: what several policy groups
 * reach counts once, as in the walk. */
static bool
first_seen(struct directory *d, const char *ndn)
{
	uint32_t id;

	if (ndn == NULL || intern_find(d->chain_seen, ndn, &id))
		return ndn == NULL;
	intern_add(d->chain_seen, ndn);
	return true;
}

/* A transitive member: a user, a nested group, a foreign principal or
 * something else, as the walk would count it. */
static int
member_entry(void *ctx, const struct session_entry *en, struct err *e)
{
	struct chain *c = ctx;
	struct directory *d = c->d;
	const char *foreign[2] = { d->fl->foreign_class, NULL };
	char *dn = session_entry_dn(en), *ndn = dn ? dn_normalize(dn) : NULL;
	char *sid = NULL, *dash;
	uint32_t id, rid;
	bool yes = false;
	int r = EXIT_OK;

	free(dn);
	if (ndn != NULL && intern_find(d->dns, ndn, &id)) {
		if (d->dn_key[id] == NO_KEY)
			d->st->members_without_key++;
		else
			dir_push(&c->out->ids, &c->out->n, d->dn_key[id]);
	} else if ((r = dir_has_class(d, en, d->fl->group_classes, &yes,
	    e)) == EXIT_OK && yes) {
		if (first_seen(d, ndn))
			d->st->groups++;
		r = dir_first_value(d, en, d->fl->rid_attr, &sid, e);
		dash = sid != NULL ? strrchr(sid, '-') : NULL;
		if (dash != NULL && dir_parse_rid(dash + 1, &rid))
			dir_primary_members(d, rid, &c->out->ids, &c->out->n);
		free(sid);
	} else if (r == EXIT_OK && (r = dir_has_class(d, en, foreign, &yes,
	    e)) == EXIT_OK && first_seen(d, ndn)) {
		if (yes)
			d->st->foreign++;
		else
			d->st->not_users++;
	}
	free(ndn);
	return r;
}

int
dir_in_chain(struct directory *d, const char *ndn, const char *what,
    enum node_kind *kind, struct dir_members *out, struct err *e)
{
	const char *gattrs[3] = { d->fl->class_attr,
		d->fl->primary_group_token, NULL };
	const char *mattrs[3] = { d->fl->class_attr, d->fl->rid_attr, NULL };
	struct chain c = { d, NODE_UNRESOLVED, 0, false, out };
	char *esc, *filter;
	bool missing, timed_out;
	int msgid, r;

	*kind = NODE_MISSING;
	if ((r = session_send_base(d->s, ndn, gattrs, what, &msgid, e)) !=
	    EXIT_OK)
		return r;
	r = session_wait_base(d->s, msgid, what, group_entry, &c, &missing,
	    &timed_out, e);
	if (timed_out)
		session_abandon(d->s, msgid);
	if (r != EXIT_OK || missing)
		return r;
	*kind = c.kind;
	if (c.kind != NODE_GROUP)
		return EXIT_OK;
	if (d->chain_seen == NULL)
		d->chain_seen = intern_new();
	if (first_seen(d, ndn))
		d->st->groups++;
	esc = session_filter_value(ndn);
	filter = xasprintf("(%s=%s)", d->fl->in_chain_attr, esc);
	free(esc);
	r = session_search(d->s, session_base(d->s), filter, mattrs,
	    member_entry, &c, e);
	free(filter);
	if (r != EXIT_OK)
		return r;
	if (c.has_rid)
		dir_primary_members(d, c.rid, &out->ids, &out->n);
	dir_sort_unique(out);
	log_debug("%s: %zu users, transitively (in-chain)", what, out->n);
	return EXIT_OK;
}
