/* config.h - licsync.conf, the operator's file (YAML) */
#ifndef LICSYNC_CONFIG_H
#define LICSYNC_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
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

struct config_backend {
	char *type;               /* "graph" */
	char *tenant_id;
	char *client_id;
	char *client_secret_file; /* either this ... */
	char *client_certificate_file; /* ... or these two (PEM) */
	char *client_key_file;
	char *graph_url;          /* default https://graph.microsoft.com/v1.0 */
	char *token_url;          /* "{tenant_id}" already substituted */
	char *proxy;              /* NULL: libcurl's *_proxy variables */
	int concurrency;          /* $batch requests in flight, default 4 */
	int max_retries;          /* per request or item, default 8 */
	int64_t max_retry_time;   /* seconds of retrying per run, default 600 */
	long write_budget;        /* writes per window, default 3000 ... */
	int64_t write_window;     /* ... per this many seconds, default 150 */
	/* usage_location: what a user without one gets before a license */
	char *location_attribute; /* a directory attribute, or NULL */
	char location_default[3]; /* an ISO 3166 code, or "" */
};

struct config {
	char *path;               /* the file it was read from */
	char sha256[65];          /* of what was read */
	struct config_ldap ldap;
	struct config_backend backend;
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

#endif
