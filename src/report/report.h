/*
 * report.h - the plan for people (text) and tools (json, csv); the HTML
 * page is report_html (html.h), which the caller picks for REPORT_HTML.
 * The wording of the reasons is reason.h's.
 */
#ifndef LICSYNC_REPORT_H
#define LICSYNC_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "conf/policy.h"
#include "directory/directory.h"
#include "reconcile/reconcile.h"
#include "reconcile/seats.h"
#include "report/reason.h"
#include "store/audit.h"

/* "text", "json" or "csv"; returns -1 for anything else. */
int report_parse_format(const char *s, enum report_format *f);
/* Returns 0, or -1 when writing failed; REPORT_HTML is report_html's, and
 * here fails with EINVAL. */
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
