/*
 * saved.h - reviewed plans: `plan -o FILE` writes the plan with where it
 * came from, signed; `apply --plan FILE` reads it back only if unedited.
 */
#ifndef LICSYNC_SAVED_H
#define LICSYNC_SAVED_H

#include <stddef.h>
#include <stdint.h>

#include "util/util.h"

struct report_ctx;

#define PLAN_KEY_LEN 32

/* What a plan was computed from: SHA-256 hex digests. */
struct provenance {
	char config[65];
	char policy[65];
	char directory[65];     /* entitled users per app */
	char backend[65];       /* holders per app */
	int64_t run;
	int64_t created;
};

/* One change of a saved plan. */
struct planned {
	char *action;           /* "assign" or "unassign" */
	char *app;
	char *user;
	char *usage_location;   /* set before assigning, or NULL */
};

/* Write the JSON plan of RC with PV, signed (HMAC-SHA-256) with KEY,
 * atomically (temporary file, then rename).  EXIT_USAGE on I/O errors. */
int saved_write(const char *path, const struct report_ctx *rc,
    const struct provenance *pv, const unsigned char key[PLAN_KEY_LEN],
    struct err *e);

/*
 * Read a saved plan.  EXIT_SAFETY when its signature does not match
 * (edited, or made with another database), EXIT_USAGE when it cannot be
 * read or is not a plan.
 */
int saved_read(const char *path, const unsigned char key[PLAN_KEY_LEN],
    struct provenance *pv, struct planned **changes, size_t *n,
    struct err *e);
void saved_free(struct planned *changes, size_t n);

#endif
