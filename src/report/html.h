/* html.h - the plan, and the seats, as self-contained HTML pages */
#ifndef LICSYNC_HTML_H
#define LICSYNC_HTML_H

#include <stdint.h>
#include <stdio.h>

#include "directory/directory.h"
#include "reconcile/seats.h"
#include "report/reason.h"

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
