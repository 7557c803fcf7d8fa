/* online.h - check --online: what the directory and backend say */
#ifndef LICSYNC_ONLINE_H
#define LICSYNC_ONLINE_H

#include <stdio.h>

struct config;
struct err;
struct policy;

/*
 * Bind to the directory and report each policy group (groups and
 * exclude_groups of every app, each DN once): found with its number of
 * direct member values, not a group, or missing.  Then get a token from
 * the backend, list its SKUs with their seats, and report each app's SKU
 * found or missing.  The report goes to OUT; secrets never do.
 *
 * Everything is checked before returning.  Returns EXIT_OK when all was
 * found, else the code of the first failing part, the directory's before
 * the backend's: EXIT_DIRECTORY (no bind, an LDAP error, a group missing
 * or not a group), EXIT_BACKEND (token refused, SKUs unreadable, a SKU
 * missing), or EXIT_CONFIG; E then holds that part's first problem.
 */
int online_check(const struct config *cfg, const struct policy *pol,
    FILE *out, struct err *e);

#endif
