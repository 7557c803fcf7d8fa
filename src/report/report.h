/*
 * report.h - the plan for people (text) and tools (json, csv); the
 * formats by name.  The HTML page of a plan is report_html (html.h): the
 * caller picks it for REPORT_HTML.  Included with it: the wording of the
 * reasons (reason.h) and the rows of `licsync audit` (audit_rows.h), which
 * the commands that render a plan use as well.
 */
#ifndef LICSYNC_REPORT_H
#define LICSYNC_REPORT_H

#include <stdio.h>

#include "report/audit_rows.h"
#include "report/context.h"
#include "report/reason.h"

/* "text", "json", "csv" or "html"; returns -1 for anything else. */
int report_parse_format(const char *s, enum report_format *f);
/* Returns 0, or -1 when writing failed; REPORT_HTML is report_html's, and
 * here fails with EINVAL. */
int report_plan(FILE *fp, enum report_format f, const struct report_ctx *c);

#endif
