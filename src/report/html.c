/*
 * html.c - the parts the HTML pages of licsync share: the CSS, escaping,
 * the head of the page, times, and an app's card with its bars of seats.
 * The pages themselves are html_plan.c (the plan, with html_lists.c)
 * and html_status.c (`licsync status`).
 *
 * A page stands alone: CSS in one <style> element, no scripts, no
 * images, fonts or links to anything outside the page, so it can be
 * mailed or archived as is.  Without CSS it is still headings, lists and
 * tables.  Text from the data (keys, DNs, names, errors) is always
 * escaped; it is never put in an attribute.  Like the other reports, the
 * output depends on nothing but its input.
 */
#include <string.h>

#include "report/html_page.h"
#include "util/util.h"

static const char style[] =
	":root{color-scheme:light}\n"
	"body{margin:0 auto;max-width:76rem;padding:1rem 1.5rem 2rem;"
	"font:15px/1.45 system-ui,-apple-system,\"Segoe UI\",Roboto,"
	"\"Noto Sans\",\"DejaVu Sans\",sans-serif;color:#1b1f24;"
	"background:#fff}\n"
	"h1{font-size:1.6rem;margin:.5rem 0 .25rem}\n"
	"h2{font-size:1.25rem;margin:2rem 0 .5rem;padding-bottom:.2rem;"
	"border-bottom:2px solid #d0d7de}\n"
	"h3{font-size:1.05rem;margin:0 0 .25rem}\n"
	"code{font:.9em/1.3 ui-monospace,\"DejaVu Sans Mono\",monospace}\n"
	".totals{font-size:1.1rem;margin:.25rem 0 .75rem}\n"
	".prov{display:grid;grid-template-columns:max-content 1fr;"
	"gap:.15rem 1rem;margin:0;padding:.6rem .9rem;background:#f6f8fa;"
	"border:1px solid #d0d7de;border-radius:6px}\n"
	".prov div{display:contents}\n"
	".prov dt{font-weight:600;color:#57606a}\n"
	".prov dd{margin:0;overflow-wrap:anywhere}\n"
	"nav ul{list-style:none;padding:0;margin:.75rem 0 0;display:flex;"
	"flex-wrap:wrap;gap:.25rem 1.25rem}\n"
	"a{color:#0550ae}\n"
	".apps{display:grid;grid-template-columns:repeat(auto-fit,"
	"minmax(22rem,1fr));gap:1rem}\n"
	".app{border:1px solid #d0d7de;border-radius:6px;padding:.75rem 1rem}\n"
	".sku{margin:0 0 .5rem;color:#57606a;font-size:.85rem;"
	"overflow-wrap:anywhere}\n"
	".bars{width:100%;border-collapse:collapse;table-layout:fixed}\n"
	".bars th{text-align:left;font-weight:normal;width:7.5rem;"
	"padding:.15rem .5rem .15rem 0}\n"
	".bars td{padding:.15rem 0}\n"
	".bars td.num{width:4.5rem;padding-right:.6rem}\n"
	".track{display:block;background:#eaeef2;border-radius:3px}\n"
	".fill{display:block;height:1.1rem;border-radius:3px;min-width:0}\n"
	".purchased .fill{background:#57606a}\n"
	".in-use .fill{background:#0969da}\n"
	".entitled .fill{background:#bc4c00}\n"
	".counts{margin:.5rem 0 0;font-size:.9rem;color:#3d444d}\n"
	".kinds{display:grid;grid-template-columns:1fr max-content;"
	"gap:.1rem 1rem;margin:.5rem 0 0;font-size:.9rem;color:#3d444d}\n"
	".kinds div{display:contents}\n"
	".kinds dd{margin:0}\n"
	".short{color:#a40e26;font-weight:600}\n"
	".free{color:#7d4e00;font-weight:600}\n"
	".num{text-align:right;font-variant-numeric:tabular-nums}\n"
	".list{border-collapse:collapse;width:100%;font-size:.92rem}\n"
	".list caption{text-align:left;color:#57606a;padding:.25rem 0}\n"
	".list th,.list td{border:1px solid #d0d7de;padding:.3rem .5rem;"
	"text-align:left;vertical-align:top;overflow-wrap:anywhere}\n"
	".list thead th{background:#f6f8fa}\n"
	".list th,.list .nw{white-space:nowrap;overflow-wrap:normal}\n"
	".list tbody tr:nth-child(even){background:#fafbfc}\n"
	".list .num{text-align:right}\n"
	".sum thead th{white-space:normal;vertical-align:bottom}\n"
	".wide{overflow-x:auto}\n"
	".assign .act{color:#116329;font-weight:600}\n"
	".unassign .act{color:#a40e26;font-weight:600}\n"
	".res{display:inline-block;padding:0 .4rem;border-radius:3px}\n"
	".res-ok{background:#dafbe1;color:#116329}\n"
	".res-failed{background:#ffebe9;color:#a40e26}\n"
	".res-skipped{background:#fff8c5;color:#7d4e00}\n"
	".res-pending{background:#eaeef2;color:#3d444d}\n"
	".none{color:#57606a;font-style:italic}\n"
	"ol.users{columns:16rem;margin:.25rem 0 1rem;"
	"padding-left:2.5rem}\n"
	"footer{margin-top:2.5rem;padding-top:.5rem;"
	"border-top:1px solid #d0d7de;color:#3d444d;font-size:.9rem}\n"
	"footer dl{margin:0}\n"
	"footer dt{font-weight:600}\n"
	"footer dd{margin:0 0 .4rem}\n"
	".vh{position:absolute;width:1px;height:1px;overflow:hidden;"
	"clip:rect(0 0 0 0);white-space:nowrap}\n"
	"@media print{nav{display:none}"
	"body{-webkit-print-color-adjust:exact;print-color-adjust:exact}"
	".app,tr{break-inside:avoid}}\n";

/* ---- text ---- */

/* TEXT with & < > " ' escaped; NULL writes nothing. */
void
html_esc(FILE *fp, const char *text)
{
	const char *p = text;
	size_t n;

	if (p == NULL)
		return;
	while (*p != '\0') {
		n = strcspn(p, "&<>\"'");
		fwrite(p, 1, n, fp);
		p += n;
		switch (*p) {
		case '&':
			fputs("&amp;", fp);
			break;
		case '<':
			fputs("&lt;", fp);
			break;
		case '>':
			fputs("&gt;", fp);
			break;
		case '"':
			fputs("&quot;", fp);
			break;
		case '\'':
			fputs("&#39;", fp);
			break;
		default:
			return;     /* the end */
		}
		p++;
	}
}

/* <TAG>text</TAG>, TAG with its attributes (which are never data). */
void
html_el(FILE *fp, const char *tag, const char *attrs, const char *text)
{
	fprintf(fp, "<%s%s%s>", tag, attrs != NULL ? " " : "",
	    attrs != NULL ? attrs : "");
	html_esc(fp, text);
	fprintf(fp, "</%s>", tag);
}

void
html_time(FILE *fp, int64_t t)
{
	char when[21];

	format_utc(t, when);
	fprintf(fp, "<time datetime=\"%s\">%s</time>", when, when);
}

/* ---- page ---- */

void
html_head(FILE *fp, const char *title)
{
	int i;

	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
	    "<meta charset=\"utf-8\">\n"
	    "<meta name=\"viewport\" content=\"width=device-width, "
	    "initial-scale=1\">\n"
	    "<meta name=\"generator\" content=\"licsync\">\n", fp);
	html_el(fp, "title", NULL, title);
	fputs("\n<style>\n", fp);
	fputs(style, fp);
	/* bar lengths in whole percent, as classes: no style attributes */
	for (i = 0; i <= 100; i++)
		fprintf(fp, ".w%d{width:%d%%}%s", i, i,
		    i % 10 == 9 || i == 100 ? "\n" : "");
	fputs("</style>\n</head>\n<body>\n", fp);
}

/* ---- seats ---- */

/* V as a whole percentage of MAX; never 0 for a V above 0. */
static int
percent(long v, long max)
{
	long long p;

	if (v <= 0 || max <= 0)
		return 0;
	p = ((long long)v * 200 + max) / (2 * (long long)max);
	if (p < 1)
		p = 1;
	return p > 100 ? 100 : (int)p;
}

void
html_bar(FILE *fp, const char *cls, const char *label, long v, long max)
{
	fprintf(fp, "<tr class=\"%s\"><th scope=\"row\">%s</th>"
	    "<td class=\"num\">%ld</td><td><span class=\"track\" "
	    "aria-hidden=\"true\"><span class=\"fill w%d\"></span></span>"
	    "</td></tr>\n", cls, label, v, percent(v, max));
}

/* The app numbered A, up to the rows of its bars: name, SKU if known. */
void
html_app_open(FILE *fp, size_t a, const char *name, const char *sku)
{
	fprintf(fp, "<article class=\"app\" aria-labelledby=\"app-%zu\">\n"
	    "<h3 id=\"app-%zu\">", a, a);
	html_esc(fp, name);
	fputs("</h3>\n", fp);
	if (sku != NULL) {
		fputs("<p class=\"sku\">SKU <code>", fp);
		html_esc(fp, sku);
		fputs("</code></p>\n", fp);
	}
	fputs("<table class=\"bars\">\n<caption class=\"vh\">Seats of ", fp);
	html_esc(fp, name);
	fputs("</caption>\n", fp);
}
