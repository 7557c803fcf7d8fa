/*
 * html_status.c - `licsync status` as one HTML5 page: where the numbers
 * come from, the seats of each app counted every way (with bars like the
 * plan's page), and a summary table of all apps.
 */
#include "reconcile/seats.h"
#include "report/html.h"
#include "report/html_page.h"

/* What each kind of seat count is called on the page. */
static const char *const seat_labels[] = {
	[SEAT_PURCHASED] = "Purchased",
	[SEAT_CONSUMED] = "Consumed",
	[SEAT_ENTITLED] = "Entitled",
	[SEAT_OWNED] = "Held, assigned by licsync",
	[SEAT_OTHERS] = "Held, assigned by others",
	[SEAT_WAITING] = "Waiting for a seat",
	[SEAT_PENDING_REMOVAL] = "Pending removal (grace)",
	[SEAT_FREEABLE] = "Could be freed",
	[SEAT_TO_ASSIGN] = "To assign",
	[SEAT_TO_UNASSIGN] = "To unassign",
};

_Static_assert(sizeof(seat_labels) / sizeof(seat_labels[0]) == SEAT_NKINDS,
    "a label for every kind of seat count");

/* The label of K; a kind added without one shows its key. */
static const char *
seat_label(size_t k)
{
	return seat_labels[k] != NULL ? seat_labels[k] : seat_kind_names[k];
}

/* The class that flags V seats of kind K, or NULL. */
static const char *
seat_flag(size_t k, long v)
{
	if (v <= 0)
		return NULL;
	if (k == SEAT_WAITING)
		return "short";
	if (k == SEAT_FREEABLE)
		return "free";
	return NULL;
}

/* " (plan, ok)": what the run was and how it ended, as far as known. */
static void
run_what(FILE *fp, const struct status_source *src)
{
	if (src->command == NULL && src->outcome == NULL)
		return;
	fputs(" (", fp);
	html_esc(fp, src->command);
	if (src->command != NULL && src->outcome != NULL)
		fputs(", ", fp);
	html_esc(fp, src->outcome);
	fputc(')', fp);
}

static void
status_source_line(FILE *fp, const struct status_source *src)
{
	if (src == NULL)
		return;
	if (src->live) {
		fputs("<p class=\"totals\">Read live from the directory and "
		    "the backend at ", fp);
		html_time(fp, src->ended);
		fputs(".</p>\n", fp);
		return;
	}
	fprintf(fp, "<p class=\"totals\">As of run %lld",
	    (long long)src->run);
	run_what(fp, src);
	/* a run that never ended has only its start */
	fputs(src->ended != 0 ? ", ended " : ", started ", fp);
	html_time(fp, src->ended != 0 ? src->ended : src->started);
	fputs(".</p>\n", fp);
}

/* Every count of S, the ones that need a look flagged. */
static void
seat_kinds(FILE *fp, const struct app_status *s)
{
	const char *flag;
	size_t k;

	fputs("<dl class=\"kinds\">\n", fp);
	for (k = 0; k < SEAT_NKINDS; k++) {
		flag = seat_flag(k, s->seats[k]);
		if (flag != NULL)
			fprintf(fp, "<div class=\"%s\">", flag);
		else
			fputs("<div>", fp);
		fprintf(fp, "<dt>%s</dt><dd class=\"num\">%ld</dd></div>\n",
		    seat_label(k), s->seats[k]);
	}
	fputs("</dl>\n", fp);
}

static void
status_app(FILE *fp, const struct app_status *s, size_t a)
{
	const long *n = s->seats;
	long max = n[SEAT_PURCHASED];

	if (n[SEAT_CONSUMED] > max)
		max = n[SEAT_CONSUMED];
	if (n[SEAT_ENTITLED] > max)
		max = n[SEAT_ENTITLED];
	html_app_open(fp, a, s->app, s->sku);
	if (n[SEAT_PURCHASED] < 0)
		html_bar(fp, "purchased", "Purchased (unlimited)", max, max);
	else
		html_bar(fp, "purchased", seat_label(SEAT_PURCHASED),
		    n[SEAT_PURCHASED], max);
	html_bar(fp, "in-use", seat_label(SEAT_CONSUMED), n[SEAT_CONSUMED],
	    max);
	html_bar(fp, "entitled", seat_label(SEAT_ENTITLED), n[SEAT_ENTITLED],
	    max);
	fputs("</table>\n", fp);
	seat_kinds(fp, s);
	fputs("</article>\n", fp);
}

static void
status_seats(FILE *fp, const struct app_status *apps, size_t napps)
{
	size_t a;

	fputs("<section id=\"seats\" aria-labelledby=\"seats-h\">\n"
	    "<h2 id=\"seats-h\">Seats</h2>\n", fp);
	if (napps == 0) {
		fputs("<p class=\"none\">No apps.</p>\n</section>\n", fp);
		return;
	}
	fputs("<p>Per app: the seats purchased and consumed, as the backend "
	    "counts them, and the users the policy entitles; then who holds "
	    "the seats and what is left to do.</p>\n"
	    "<div class=\"apps\">\n", fp);
	for (a = 0; a < napps; a++)
		status_app(fp, &apps[a], a);
	fputs("</div>\n</section>\n", fp);
}

static void
summary_row(FILE *fp, const struct app_status *s)
{
	const char *flag;
	size_t k;

	fputs("<tr><th scope=\"row\">", fp);
	html_esc(fp, s->app);
	fputs("</th>", fp);
	for (k = 0; k < SEAT_NKINDS; k++) {
		flag = seat_flag(k, s->seats[k]);
		fprintf(fp, "<td class=\"num%s%s\">%ld</td>",
		    flag != NULL ? " " : "", flag != NULL ? flag : "",
		    s->seats[k]);
	}
	fputs("</tr>\n", fp);
}

static void
status_summary(FILE *fp, const struct app_status *apps, size_t napps)
{
	size_t a, k;

	fprintf(fp, "<section id=\"summary\" aria-labelledby=\"summary-h\">"
	    "\n<h2 id=\"summary-h\">Summary</h2>\n<div class=\"wide\">\n"
	    "<table class=\"list sum\">\n<caption>The seats of %zu %s, by "
	    "kind</caption>\n<thead><tr><th scope=\"col\">App</th>", napps,
	    napps == 1 ? "app" : "apps");
	for (k = 0; k < SEAT_NKINDS; k++)
		fprintf(fp, "<th scope=\"col\" class=\"num\">%s</th>",
		    seat_label(k));
	fputs("</tr></thead>\n<tbody>\n", fp);
	for (a = 0; a < napps; a++)
		summary_row(fp, &apps[a]);
	fputs("</tbody>\n</table>\n</div>\n</section>\n", fp);
}

int
report_status_html(FILE *fp, const struct app_status *apps, size_t napps,
    const struct status_source *src, int64_t generated)
{
	static const char title[] = "licsync status";

	html_head(fp, title);
	fputs("<header>\n", fp);
	html_el(fp, "h1", NULL, title);
	fputc('\n', fp);
	status_source_line(fp, src);
	fputs("</header>\n<main>\n", fp);
	status_seats(fp, apps, napps);
	if (napps > 0)
		status_summary(fp, apps, napps);
	fputs("</main>\n<footer>\n<p>Made by licsync.</p>\n<p>Generated ",
	    fp);
	html_time(fp, generated);
	fputs(".</p>\n</footer>\n</body>\n</html>\n", fp);
	fflush(fp);
	return ferror(fp) ? -1 : 0;
}
