/*
 * context.h - what every report is made from: the output formats, the
 * plan with what it needs to be put in words (struct report_ctx), and
 * what became of each change (struct change_outcome).  Types only.
 */
#ifndef LICSYNC_REPORT_CONTEXT_H
#define LICSYNC_REPORT_CONTEXT_H

#include <stddef.h>
#include <stdint.h>

struct dir_stats;
struct intern;
struct policy;
struct rc_plan;
struct rc_change;

enum report_format { REPORT_TEXT, REPORT_JSON, REPORT_CSV, REPORT_HTML };

/* What became of a change (apply); result NULL: not known (pending). */
struct change_outcome {
	const char *result;            /* "ok", "failed", "skipped" */
	const char *outcome;           /* "ok", "no_seats", ... */
	char *error;                   /* "code: message", or NULL */
	char *request_id;
	int attempts;
};

struct report_ctx {
	const struct policy *policy;
	const char *const *skus;       /* resolved GUID per app */
	const struct intern *keys;
	const struct rc_plan *plan;
	const struct dir_stats *dir;
	const char *user_key;          /* the directory attribute */
	size_t backend_users;
	const struct change_outcome *results; /* per change, or NULL */
	int64_t now;                   /* for "removal due in ..." */
	/* the usage location a change sets before assigning, or NULL */
	const char *(*change_location)(const void *ctx,
	    const struct rc_change *c);
	const void *change_location_ctx;
};

#endif
