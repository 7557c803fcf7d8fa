/*
 * flavour.h - what differs between directory schemas: RFC 4519 servers
 * (OpenLDAP, 389-ds) and Active Directory.  Every attribute and class
 * name that one schema has and another has not lives in flavour.c's
 * table; the rest of directory/ asks the flavour.  Internal to
 * directory/.
 */
#ifndef LICSYNC_FLAVOUR_H
#define LICSYNC_FLAVOUR_H

#include <stdbool.h>
#include <stddef.h>

#include "conf/config.h"
#include "util/util.h"

struct session;

/* How the values of a binary attribute are written: never raw. */
enum binary_form { BINARY_GUID, BINARY_SID };

struct binary_attr {
	const char *name;
	enum binary_form form;
};

struct flavour {
	const char *name;                     /* "rfc", "ad" */
	/* defaults of the configuration's keys */
	const char *user_filter;
	const char *user_key;
	const char *disabled_filter;          /* NULL: none */
	/* users */
	const char *uid_attr;                 /* what memberUid names */
	const char *primary_group_id;         /* the RID of a user's primary
	                                         group, or NULL */
	/* groups */
	const char *class_attr;
	const char *const *group_classes;
	const char *const *dn_member_attrs;   /* values are DNs */
	const char *uid_member_attr;          /* values are uids, or NULL */
	const char *primary_group_token;      /* a group's RID, or NULL */
	const char *const *group_attrs;       /* what a group read asks for */
	const char *foreign_class;            /* members from other forests */
	/* nesting: the server-side walk's filter attribute, or NULL when
	 * there is none, and the attribute whose last part is a group's
	 * RID in a subtree search (the token is only read by base) */
	const char *in_chain_attr;
	const char *rid_attr;
	/* references to these partitions are ignored: the values of the
	 * rootDSE attributes, and naming contexts of these first RDNs */
	const char *const *skip_partition_attrs;
	const char *const *skip_partition_rdns;
	const struct binary_attr *binary;     /* ends with a NULL name */
};

/* What a directory is: its flavour, and the naming contexts (normalised)
 * whose continuation references hold no users. */
struct dir_schema {
	const struct flavour *fl;
	char **skip_refs;
	size_t nskip_refs;
};

/* The flavour of SCHEMA (rfc for auto, before the rootDSE is read). */
const struct flavour *flavour_of(enum ldap_schema schema);
/*
 * Read the rootDSE once and pick the flavour: CFG's schema, or with
 * auto, Active Directory when supportedCapabilities holds
 * LDAP_CAP_ACTIVE_DIRECTORY_OID, else rfc.  EXIT_OK, EXIT_CONFIG (a
 * nesting the flavour cannot do) or EXIT_DIRECTORY.
 */
int flavour_select(struct session *s, const struct config_ldap *cfg,
    struct dir_schema *out, struct err *e);
void dir_schema_free(struct dir_schema *sc);

/* The configured value or the flavour's default. */
const char *flavour_user_filter(const struct flavour *fl,
    const struct config_ldap *cfg);
const char *flavour_user_key(const struct flavour *fl,
    const struct config_ldap *cfg);
/* NULL when no user counts as disabled. */
const char *flavour_disabled_filter(const struct flavour *fl,
    const struct config_ldap *cfg);

/*
 * The value V (LEN bytes) of ATTR as text, malloc'd: binary attributes
 * of the flavour in their usual form (objectGUID as a GUID string,
 * objectSid as S-1-...), other values as they are.  NULL when the value
 * is not printable text (control bytes, a malformed binary value), so
 * that nothing raw reaches a report.
 */
char *flavour_value(const struct flavour *fl, const char *attr,
    const char *v, size_t len);

#endif
