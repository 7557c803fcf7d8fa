/* html.h - the plan as one self-contained HTML page, for license managers */
#ifndef LICSYNC_HTML_H
#define LICSYNC_HTML_H

#include <stdint.h>
#include <stdio.h>

#include "report.h"

/*
 * Write the report of C as one HTML5 page headed TITLE: CSS inline, no
 * scripts, nothing loaded from elsewhere.  GENERATED (seconds since the
 * epoch) is shown as the time the page was made.  Every text taken from
 * the data is escaped; the same input gives the same bytes.  Returns 0,
 * or -1 when writing failed.
 */
int report_html(FILE *fp, const struct report_ctx *c, const char *title,
    int64_t generated);

#endif
