/* csv.h - one field of a CSV row (RFC 4180), for every CSV licsync writes */
#ifndef LICSYNC_REPORT_CSV_H
#define LICSYNC_REPORT_CSV_H

#include <stdbool.h>
#include <stdio.h>

/* One RFC 4180 field, then a comma, or CRLF when LAST. */
void csv_field(FILE *fp, const char *s, bool last);

#endif
