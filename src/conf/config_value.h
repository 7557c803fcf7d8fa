/*
 * config_value.h - the handlers of licsync.conf's keys (yw_handler, see
 * conf/yamlwalk.h): each checks one value, stores it in its field and
 * returns EXIT_OK, or EXIT_CONFIG with the file position in E.  Used by
 * the key tables of config.c; none needs conf/config.h's types, so that
 * this module stays below conf/config.
 */
#ifndef LICSYNC_CONFIG_VALUE_H
#define LICSYNC_CONFIG_VALUE_H

#include "conf/yamlwalk.h"

/* A file name, resolved against the configuration file's directory. */
int path_key(struct yw *y, const struct yw_key *k, yaml_node_t *v,
    void *obj, struct err *e);

/* ldap: ldap://, ldaps:// and ldapi:// URLs; an LDAPv3 DN; a filter in
 * parentheses; an attribute name or OID; page_size and timeout within
 * their ranges. */
int uri_key(struct yw *y, const struct yw_key *k, yaml_node_t *v,
    void *obj, struct err *e);
int dn_key(struct yw *y, const struct yw_key *k, yaml_node_t *v,
    void *obj, struct err *e);
/* ldap.bind_dn: a DN (checked as one), a UPN or DOMAIN\user, as Active
 * Directory takes for a simple bind. */
int bind_name_key(struct yw *y, const struct yw_key *k, yaml_node_t *v,
    void *obj, struct err *e);
int filter_key(struct yw *y, const struct yw_key *k, yaml_node_t *v,
    void *obj, struct err *e);
int attr_key(struct yw *y, const struct yw_key *k, yaml_node_t *v,
    void *obj, struct err *e);
int page_size_key(struct yw *y, const struct yw_key *k, yaml_node_t *v,
    void *obj, struct err *e);
int timeout_key(struct yw *y, const struct yw_key *k, yaml_node_t *v,
    void *obj, struct err *e);

/* backend: concurrency and max_retries within their ranges; a duration
 * from 1s to 1d; an ISO 3166 country code; the tenant, a GUID or a domain name; https:// URLs (http://
 * only to loopback); a proxy URL without credentials. */
int concurrency_key(struct yw *y, const struct yw_key *k, yaml_node_t *v,
    void *obj, struct err *e);
int max_retries_key(struct yw *y, const struct yw_key *k, yaml_node_t *v,
    void *obj, struct err *e);
int retry_time_key(struct yw *y, const struct yw_key *k, yaml_node_t *v,
    void *obj, struct err *e);
int country_key(struct yw *y, const struct yw_key *k, yaml_node_t *v,
    void *obj, struct err *e);
int tenant_key(struct yw *y, const struct yw_key *k, yaml_node_t *v,
    void *obj, struct err *e);
int url_key(struct yw *y, const struct yw_key *k, yaml_node_t *v,
    void *obj, struct err *e);
int proxy_key(struct yw *y, const struct yw_key *k, yaml_node_t *v,
    void *obj, struct err *e);

/* backend write_budget, "N/DURATION": N to *WRITES, DURATION to *WINDOW
 * (seconds). */
int write_budget_value(struct yw *y, const struct yw_key *k, yaml_node_t *v,
    long *writes, int64_t *window, struct err *e);

/* log: a syslog facility by its name. */
int facility_key(struct yw *y, const struct yw_key *k, yaml_node_t *v,
    void *obj, struct err *e);

/* The name of a syslog facility value, "daemon" for one not known. */
const char *facility_name(int value);

/* The dump: "INDENT KEY: VALUE" unless VALUE is NULL; seconds in the
 * largest unit that divides them (600 as 10m, 150 as 150s). */
void config_put_str(FILE *fp, const char *indent, const char *key,
    const char *value);
void config_format_duration(int64_t t, char *out, size_t size);

#endif
