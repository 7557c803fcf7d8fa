/*
 * html_page.h - internal to the HTML pages (html*.c): the shared parts
 * html.c holds, and the lists of the plan's page html_lists.c holds for
 * html_plan.c.  The pages themselves are declared in html.h.
 */
#ifndef LICSYNC_REPORT_HTML_PAGE_H
#define LICSYNC_REPORT_HTML_PAGE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct report_ctx;

/* html.c */
/* TEXT with & < > " ' escaped; NULL writes nothing. */
void html_esc(FILE *fp, const char *text);
/* <TAG>text</TAG>, TAG with its attributes (which are never data). */
void html_el(FILE *fp, const char *tag, const char *attrs, const char *text);
/* T as a <time> element, in UTC. */
void html_time(FILE *fp, int64_t t);
/* From the doctype to <body>: the title, the CSS. */
void html_head(FILE *fp, const char *title);
/* One row of an app's bars: CLS, LABEL, V drawn against MAX. */
void html_bar(FILE *fp, const char *cls, const char *label, long v,
    long max);
/* The app numbered A, up to the rows of its bars: name, SKU if known. */
void html_app_open(FILE *fp, size_t a, const char *name, const char *sku);

/* html_lists.c: the sections of the plan's page after the seats */
void html_changes(FILE *fp, const struct report_ctx *c);
void html_waiting(FILE *fp, const struct report_ctx *c);
/* Pending removals (GRACE of them) and the other users kept. */
void html_kept(FILE *fp, const struct report_ctx *c, size_t grace);
void html_skipped(FILE *fp, const struct report_ctx *c);

#endif
