/* status.h - `licsync status` as text, JSON or CSV */
#ifndef LICSYNC_REPORT_STATUS_H
#define LICSYNC_REPORT_STATUS_H

#include <stddef.h>
#include <stdio.h>

#include "report/context.h"

struct app_status;
struct status_source;

/* The seats of NAPPS apps in APPS, from SRC; -1 when writing failed.
 * REPORT_HTML writes text: html.h has the page (report_status_html). */
int report_status(FILE *fp, enum report_format f,
    const struct app_status *apps, size_t napps,
    const struct status_source *src);

#endif
