/* directory.h - group membership from an LDAP directory */
#ifndef LICSYNC_DIRECTORY_H
#define LICSYNC_DIRECTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf/config.h"
#include "util/util.h"

/* The users of one requested group: interned key ids, sorted, unique. */
struct dir_members {
	uint32_t *ids;
	size_t n;
};

struct dir_stats {
	uint64_t users;              /* entries matching user_filter */
	uint64_t users_without_key;  /* ... of which lack the key attribute */
	uint64_t groups;             /* groups read, nested ones included */
	uint64_t not_users;          /* member values naming no user: missing,
	                                outside base_dn, not matching
	                                user_filter, unknown memberUid */
	uint64_t members_without_key;/* member values naming a user without
	                                the key attribute */
	uint64_t disabled;           /* users matching disabled_filter */
	uint64_t foreign;            /* members from other forests (foreign
	                                security principals) */
	const char *schema;          /* the flavour read: "rfc", "ad" */
	const char *user_key;        /* the key attribute in effect */
};

struct directory;

/* More of each user to read: the first value of each attribute NAMES
 * (N of them) of a user with a key goes to FN, with the attribute's
 * index; a user without the attribute is not reported. */
struct dir_user_attrs {
	const char *const *names;
	size_t n;
	void (*fn)(void *ctx, uint32_t key, size_t attr, const char *value);
	void *ctx;
};

/* Connect and bind.  Returns EXIT_OK, EXIT_CONFIG (e.g. unreadable secret)
 * or EXIT_DIRECTORY, with the server's own words in e. */
int directory_open(const struct config_ldap *cfg, struct directory **out,
    struct err *e);

/*
 * Read the users (streamed, paged), then expand each of GROUPS (DNs as
 * written in the policy) through nested groups (walked by licsync, or
 * with nesting: in-chain by the server), groupOfUniqueNames, posixGroup
 * memberUid and Active Directory's primary groups.  OUT has NGROUPS
 * entries; *DISABLED gets the users that match the disabled filter (they
 * stay members: what that means is the reconciler's).  Any LDAP error,
 * limit, reference to a partition with users, values broken off, or a
 * group that does not exist is EXIT_DIRECTORY: a partial view is never
 * returned.  User keys are interned into KEYS; ATTRS (or NULL) says what
 * else to read of each user.
 */
int directory_read(struct directory *d, struct intern *keys,
    const char *const *groups, size_t ngroups,
    const struct dir_user_attrs *attrs, struct dir_members *out,
    struct dir_members *disabled, struct dir_stats *st, struct err *e);

/*
 * Read the entry DN (as written in the policy) with one base search:
 * whether it exists, whether it is a group, and how many member values
 * (member, uniqueMember, memberUid) it has, nested groups not followed.
 * A missing entry is not an error (*EXISTS false); any LDAP error,
 * timeout or referral is EXIT_DIRECTORY, an invalid DN EXIT_CONFIG.
 * After a timeout, later probes fail at once rather than each waiting.
 */
int directory_probe_group(struct directory *d, const char *dn, bool *exists,
    bool *is_group, size_t *members, struct err *e);

/*
 * explain, with nesting: in-chain: walk the nested groups of GROUPS (N
 * DNs as written in the policy) now, for directory_path's chains.
 * Nothing to do with nesting: walk.  EXIT_OK or EXIT_DIRECTORY.
 */
int directory_walk_groups(struct directory *d, const char *const *groups,
    size_t n, struct err *e);
/*
 * explain: how the user KEY (an id directory_read interned) is a member
 * of GROUP (a DN as written in the policy), through what directory_read
 * (and directory_walk_groups) saw.  *PATH gets the shortest chain of
 * groups, the one holding the user first and GROUP last (normalised
 * DNs, valid until directory_close; free the array); returns its length,
 * 0 when the user is not a member.
 */
size_t directory_path(struct directory *d, const char *group, uint32_t key,
    const char ***path);
/* The normalised DN of the user KEY, or NULL. */
const char *directory_user_dn(struct directory *d, uint32_t key);

/* The schema flavour in use: "rfc" or "ad". */
const char *directory_schema(const struct directory *d);
void directory_close(struct directory *d);
void dir_members_free(struct dir_members *m, size_t n);

#endif
