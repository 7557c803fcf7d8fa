/* report.h - the plan for people (text) and tools (json, csv) */
#ifndef LICSYNC_REPORT_H
#define LICSYNC_REPORT_H

#include <stdio.h>

#include "directory.h"
#include "policy.h"
#include "reconcile.h"

enum report_format { REPORT_TEXT, REPORT_JSON, REPORT_CSV };

struct report_ctx {
	const struct policy *policy;
	const char *const *skus;       /* resolved GUID per app */
	const struct intern *keys;
	const struct rc_plan *plan;
	const struct dir_stats *dir;
	const char *user_key;          /* the directory attribute */
	size_t backend_users;
};

/* "text", "json" or "csv"; returns -1 for anything else. */
int report_parse_format(const char *s, enum report_format *f);
/* Returns 0, or -1 when writing failed. */
int report_plan(FILE *fp, enum report_format f, const struct report_ctx *c);

#endif
