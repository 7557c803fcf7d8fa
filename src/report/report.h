/* report.h - the plan for people (text) and tools (json, csv) */
#ifndef LICSYNC_REPORT_H
#define LICSYNC_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "conf/policy.h"
#include "directory/directory.h"
#include "reconcile/reconcile.h"
#include "reconcile/seats.h"
#include "store/audit.h"

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
	/* per key id: the usage location set before assigning, or "" */
	const char (*locations)[3];
	size_t nlocations;
};

/* The usage location C sets for user KEY before assigning, or NULL. */
const char *report_location(const struct report_ctx *c, uint32_t key);

/* "text", "json" or "csv"; returns -1 for anything else. */
int report_parse_format(const char *s, enum report_format *f);
/* Why CHANGE is in the plan, in words; free it. */
char *report_reason(const struct report_ctx *c, const struct rc_change *ch);
/* Why the kept user K is kept, in words; free it. */
char *report_kept_reason(const struct report_ctx *c, const struct rc_kept *k);
/* Why a user was skipped, in words. */
const char *report_skip_reason(enum rc_skip_reason r);
/* Returns 0, or -1 when writing failed. */
int report_plan(FILE *fp, enum report_format f, const struct report_ctx *c);

/* The backend's error of C, "code: message", into B (empty: none). */
void report_audit_error(const struct audit_change *c, struct buf *b);
/* `licsync audit`: the header, rows one by one (N counts them from 0),
 * then the end with the number of rows; it returns -1 when writing
 * failed. */
void report_audit_begin(FILE *fp, enum report_format f);
void report_audit_row(FILE *fp, enum report_format f,
    const struct audit_change *c, size_t n);
int report_audit_end(FILE *fp, enum report_format f, size_t n);
/* `licsync audit --runs`: the same for runs (ended by report_audit_end). */
void report_run_begin(FILE *fp, enum report_format f);
void report_run_row(FILE *fp, enum report_format f,
    const struct audit_run *run, size_t n);

/* One RFC 4180 field, then a comma, or CRLF when LAST. */
void csv_field(FILE *fp, const char *s, bool last);

/* `licsync status` as text, json or csv; -1 when writing failed. */
int report_status(FILE *fp, enum report_format f,
    const struct app_status *apps, size_t napps,
    const struct status_source *src);

#endif
