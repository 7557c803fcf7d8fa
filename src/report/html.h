/*
 * html.h - the plan (html_plan.c), and the seats (html_status.c), as
 * self-contained HTML pages.  The commands choose them for --format html:
 * report_plan and report_status write text, JSON and CSV only.
 *
 * Only pointers pass in, but the headers below come along: whoever calls
 * these fills in a report_ctx, the plan and directory counts it points
 * to, or the seats of each app, and needs their types (the unit tests
 * include this header alone).
 */
#ifndef LICSYNC_HTML_H
#define LICSYNC_HTML_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "directory/directory.h"
#include "reconcile/reconcile.h"
#include "reconcile/seats.h"
#include "report/context.h"

/*
 * Write the report of C as one HTML5 page headed TITLE: CSS inline, no
 * scripts, nothing loaded from elsewhere.  GENERATED (seconds since the
 * epoch) is shown as the time the page was made.  Every text taken from
 * the data is escaped; the same input gives the same bytes.  Returns 0,
 * or -1 when writing failed.
 */
int report_html(FILE *fp, const struct report_ctx *c, const char *title,
    int64_t generated);

/*
 * `licsync status --format html`: the seats of each app (NAPPS of them
 * in APPS) as one page, self-contained like report_html.  SRC tells
 * where the numbers come from (a recorded run, or live).  GENERATED is
 * shown as the time the page was made.  Returns 0, or -1 when writing
 * failed.
 */
int report_status_html(FILE *fp, const struct app_status *apps,
    size_t napps, const struct status_source *src, int64_t generated);

#endif
