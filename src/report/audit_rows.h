/*
 * audit_rows.h - `licsync audit`: the recorded changes, and with --runs
 * the recorded runs, as text, JSON or CSV, written one row at a time.
 */
#ifndef LICSYNC_REPORT_AUDIT_ROWS_H
#define LICSYNC_REPORT_AUDIT_ROWS_H

#include <stddef.h>
#include <stdio.h>

#include "report/context.h"

struct audit_change;
struct audit_run;
struct buf;

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

#endif
