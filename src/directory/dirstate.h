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
#include "util/util.h"

struct dir_stats;
struct dir_user_attrs;
struct session;
struct session_entry;

#define NO_KEY UINT32_MAX
#define AMBIGUOUS (UINT32_MAX - 1)  /* a uid that several users have */

/* Schema differences (member attributes, what makes an entry a group)
 * live in one flavour table so that Active Directory and 389-ds variants
 * slot in there. */
struct flavour {
	const char *name;
	const char *const *dn_member_attrs;   /* values are DNs */
	const char *uid_member_attr;          /* values are uids */
	const char *const *group_classes;
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

struct directory {
	struct session *s;
	const struct config_ldap *cfg;
	const struct flavour *fl;
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

/* The attributes a base search of a group reads. */
extern const char *const dir_group_attrs[];

/* "LDAP read of 'DN'", the DN shortened when it is very long. */
void dir_read_what(char *what, size_t size, const char *dn);
/* Whether EN has an objectClass of D's flavour's groups. */
bool dir_is_group(const struct directory *d, const struct session_entry *en);

#endif
