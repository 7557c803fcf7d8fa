/*
 * session_int.h - what the two files of the session layer share:
 * ldap_session.c (connecting, searching) and ldap_values.c (reading
 * entries, ranged retrieval).  Nothing else includes it.
 */
#ifndef LICSYNC_SESSION_INT_H
#define LICSYNC_SESSION_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/time.h>

#include <ldap.h>

#include "conf/config.h"
#include "util/util.h"

struct session {
	LDAP *ld;
	const struct config_ldap *cfg;
	char *base;             /* as given */
	struct timeval tv;
	char **skip_refs;       /* normalised DNs of partitions passed over */
	size_t nskip_refs;
};

struct session_entry {
	struct session *s;
	LDAPMessage *msg;
};

/*
 * The one shape of an LDAP error: "WHAT: libldap's words for RC (the
 * server's own words)".  The server's words are DIAG, from a result the
 * caller parsed, or else (LD set) the handle's diagnostic message.
 */
void ldap_error(struct err *e, const char *what, int rc, LDAP *ld,
    const char *diag);

#endif
