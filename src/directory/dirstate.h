/*
 * dirstate.h - what directory.c and query.c share: the state of one
 * directory (users, the group graph, the schema flavour) and what both
 * ask of an entry.  Internal to directory/.
 */
#ifndef LICSYNC_DIRSTATE_H
#define LICSYNC_DIRSTATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf/config.h"
#include "directory/flavour.h"
#include "util/util.h"

struct dir_members;
struct dir_stats;
struct dir_user_attrs;
struct session;
struct session_entry;

#define NO_KEY UINT32_MAX
#define AMBIGUOUS (UINT32_MAX - 1)  /* a uid that several users have */

/* What a member DN (or policy group) turned out to be. */
enum node_kind {
	NODE_UNRESOLVED,        /* not read yet */
	NODE_GROUP,
	NODE_USER,              /* a user spelled unlike its entry's DN */
	NODE_OTHER,             /* an entry that is neither */
	NODE_FOREIGN,           /* a member from another forest */
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

/* A user's primary group (Active Directory): not in the group's member. */
struct primary {
	uint32_t rid;           /* primaryGroupID = the group's token */
	uint32_t key;
};

struct directory {
	struct session *s;
	const struct config_ldap *cfg;
	struct dir_schema sc;
	const struct flavour *fl;       /* sc.fl */
	const char *user_key, *user_filter;     /* in effect */
	/* users */
	struct intern *dns;     /* normalised user DN -> dn id */
	uint32_t *dn_key;       /* dn id -> key id or NO_KEY */
	size_t dn_cap;
	struct intern *uids;
	uint32_t *uid_key;
	size_t uid_cap;
	struct primary *primary;        /* sorted by rid after the read */
	size_t nprimary;
	/* groups */
	struct intern *gdns;
	struct node *nodes;     /* by id in gdns */
	size_t gcap;
	struct intern *keys;    /* user keys, during directory_read */
	const struct dir_user_attrs *attrs;     /* ... and what else */
	struct dir_stats *st;
	uint32_t stamps;        /* walks so far: each marks its nodes */
	struct intern *chain_seen;      /* in-chain: non-users counted */
	bool stalled;           /* a probe timed out: send no more */
};

/* "LDAP read of 'DN'", the DN shortened when it is very long. */
void dir_read_what(char *what, size_t size, const char *dn);
/* Whether EN has one of the object CLASSES (in *YES); EXIT_OK or
 * EXIT_DIRECTORY. */
int dir_has_class(const struct directory *d, const struct session_entry *en,
    const char *const *classes, bool *yes, struct err *e);
/* The first value of ATTR (NULL: none) in EN as text (flavour_value),
 * malloc'd in *OUT, or NULL.  EXIT_OK or EXIT_DIRECTORY. */
int dir_first_value(const struct directory *d, const struct session_entry *en,
    const char *attr, char **out, struct err *e);
/* A relative identifier (a primaryGroupID, a token, a SID's last part). */
bool dir_parse_rid(const char *s, uint32_t *rid);
/* The key ids of the users whose primary group has the token RID. */
void dir_primary_members(const struct directory *d, uint32_t rid,
    uint32_t **ids, size_t *n);
/* Node id of the normalised DN NDN, added when new. */
uint32_t dir_node(struct directory *d, const char *ndn);
/* Walk the group node ROOT (breadth first, cycles end): its users to
 * OUT, sorted and unique.  STAMP marks the nodes of this walk. */
int dir_walk(struct directory *d, uint32_t root, uint32_t stamp,
    struct dir_members *out, struct err *e);
/* nesting: in-chain: the members of the policy group NDN (WHAT names it
 * in errors), by the server's LDAP_MATCHING_RULE_IN_CHAIN; *KIND says
 * whether it exists and is a group (inchain.c). */
int dir_in_chain(struct directory *d, const char *ndn, const char *what,
    enum node_kind *kind, struct dir_members *out, struct err *e);
void dir_push(uint32_t **arr, size_t *n, uint32_t v);
void dir_sort_unique(struct dir_members *out);

#endif
