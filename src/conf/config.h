/* config.h - licsync.conf, the operator's file (YAML) */
#ifndef LICSYNC_CONFIG_H
#define LICSYNC_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "conf/config_backend.h"
#include "util/util.h"

enum tls_reqcert { TLS_REQCERT_DEMAND, TLS_REQCERT_NEVER };
/* Which schema the directory speaks; auto: its rootDSE says. */
enum ldap_schema { SCHEMA_AUTO, SCHEMA_RFC, SCHEMA_AD };
/* How nested groups are followed: by licsync, or by the server. */
enum ldap_nesting { NESTING_WALK, NESTING_IN_CHAIN };

struct config_ldap {
	char *uri;                /* NULL: libldap's ldap.conf URI */
	bool starttls;
	char *ca_file;            /* NULL: libldap's ldap.conf TLS_CACERT */
	enum tls_reqcert tls_reqcert;
	char *bind_dn;            /* NULL: anonymous, or SASL EXTERNAL on ldapi:// */
	char *bind_password_file;
	char *sasl_mech;          /* "GSSAPI", or NULL: simple or EXTERNAL */
	char *keytab;             /* GSSAPI: the client keytab, or NULL */
	char *base_dn;            /* NULL: libldap's ldap.conf BASE */
	enum ldap_schema schema;  /* default auto */
	enum ldap_nesting nesting; /* default walk */
	/* NULL: the schema's default (see directory/flavour.c) */
	char *user_filter;
	char *user_key;
	char *disabled_filter;    /* ... and "" (none): no user is disabled */
	int page_size;            /* default 500 */
	int timeout;              /* seconds, default 30 */
};

struct config {
	char *path;               /* the file it was read from */
	char sha256[65];          /* of what was read */
	struct config_ldap ldap;
	/* backend: (type NULL when there is none) and backends:, in file
	 * order; see config_backend_*() */
	struct config_backend backend;
	struct config_backend *backends;
	size_t nbackends;
	char *database;           /* default /var/lib/licsync/licsync.db */
	char *policy;             /* default $sysconfdir/licsync/policy.yaml */
	char *lock_file;          /* default /run/licsync/licsync.lock */
	struct {
		struct limit max_assign;
		struct limit max_unassign;
	} safety;
	struct {
		int facility;     /* syslog's LOG_DAEMON (default), ... */
	} log;
};

/* Parse PATH.  On error returns EXIT_CONFIG with "FILE:LINE:COL: what" in e. */
int config_load(const char *path, struct config **out, struct err *e);
void config_free(struct config *c);
/* The effective configuration as YAML that config_load reads back to the
 * same dump.  Secrets live in files and are shown by file name only. */
void config_dump(const struct config *c, FILE *fp);

/* Every backend, `backend:` first: I from 0 to config_backend_count(). */
size_t config_backend_count(const struct config *c);
const struct config_backend *config_backend_at(const struct config *c,
    size_t i);
/* The backend called NAME, or NULL; NULL NAME: the one an app that names
 * none uses (`backend:`, or the only entry of `backends:`), or NULL. */
const struct config_backend *config_backend_named(const struct config *c,
    const char *name);

#endif
