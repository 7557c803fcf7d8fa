/* policy.h - license policies (YAML), edited by admins */
#ifndef LICSYNC_POLICY_H
#define LICSYNC_POLICY_H

#include <stdbool.h>
#include <stdint.h>
#include "util/util.h"

enum remove_mode { REMOVE_OWNED, REMOVE_ALL, REMOVE_NEVER };

struct app_policy {
	char *name;               /* the mapping key under apps: */
	char *backend;            /* a backend's name; NULL: the default */
	/* The license, an id the backend resolves: at most one of these
	 * (none: the backend's only license) */
	char *sku;                /* Graph: GUID, lower-case */
	char *sku_part_number;    /* Graph */
	char *scim_group;         /* SCIM seat: group, its id or displayName */
	struct strv groups;       /* DNs as written */
	struct strv exclude_groups;
	struct strv exclude_users;/* keys as written */
	long seats;               /* -1: no cap */
	bool seats_set;           /* seats given, a number or unlimited */
	enum remove_mode remove;
	int64_t grace;            /* seconds; 0: none */
	struct strv disabled_plans; /* GUIDs, lower-case */
	struct limit max_assign;  /* unset: the configuration's */
	struct limit max_unassign;
	char *file;               /* where it was defined */
	unsigned line, col;
};

struct policy {
	struct strv protected_users;
	struct app_policy *apps;  /* in file order; files in name order */
	size_t napps;
	struct strv files;        /* files read, in order */
	char sha256[65];          /* of what was read; see policy_hash() */
};

/*
 * Parse PATH: a file, or a directory whose *.yaml files are read in name
 * order and merged (an app defined twice is an error).  Errors read
 * "FILE:LINE:COL: what", then the line and a caret.  Returns EXIT_OK or
 * EXIT_CONFIG.
 */
int policy_load(const char *path, struct policy **out, struct err *e);
void policy_free(struct policy *p);
/* SHA-256 over the files as they were read (base name, NUL, content, in
 * order), so it names exactly the policy that was parsed. */
int policy_hash(const struct policy *p, char hex[65], struct err *e);
const char *remove_mode_name(enum remove_mode m);
/* The policy key naming A's license ("sku", ...) and its value; NULL
 * for both when A names none. */
const char *policy_license_key(const struct app_policy *a,
    const char **value);

#endif
