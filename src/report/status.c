/*
 * status.c - `licsync status` as text, JSON or CSV: the seats of each
 * app counted every way, and where the numbers come from.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "reconcile/seats.h"
#include "report/csv.h"
#include "report/status.h"
#include "util/util.h"

static json_t *
source_json(const struct status_source *src)
{
	char started[21], ended[21];

	format_utc(src->started, started);
	format_utc(src->ended, ended);
	if (src->live)
		return json_pack("{s:b, s:s}", "live", 1, "read", ended);
	return json_pack("{s:b, s:I, s:s, s:s, s:s, s:o}", "live", 0,
	    "run", (json_int_t)src->run, "command", src->command,
	    "outcome", src->outcome, "started", started, "ended",
	    src->ended > 0 ? json_string(ended) : json_null());
}

static void
status_json(FILE *fp, const struct app_status *apps, size_t napps,
    const struct status_source *src)
{
	json_t *o;
	char *text;
	size_t i, k;

	o = source_json(src);
	text = json_dumps(o, JSON_PRESERVE_ORDER);
	fprintf(fp, "{\n  \"source\": %s,\n  \"apps\": [", text);
	free(text);
	json_decref(o);
	for (i = 0; i < napps; i++) {
		o = json_pack("{s:s, s:s}", "app", apps[i].app, "sku",
		    apps[i].sku);
		/* -1 (no limit) is null */
		for (k = 0; k < SEAT_NKINDS; k++)
			json_object_set_new(o, seat_kind_names[k],
			    apps[i].seats[k] >= 0 ?
			    json_integer(apps[i].seats[k]) : json_null());
		text = json_dumps(o, JSON_PRESERVE_ORDER);
		fprintf(fp, "%s\n    %s", i > 0 ? "," : "", text);
		free(text);
		json_decref(o);
	}
	fputs(napps > 0 ? "\n  ]\n}\n" : "]\n}\n", fp);
}

static void
status_csv(FILE *fp, const struct app_status *apps, size_t napps)
{
	size_t i, k;

	fputs("app,sku", fp);
	for (k = 0; k < SEAT_NKINDS; k++)
		fprintf(fp, ",%s", seat_kind_names[k]);
	fputs("\r\n", fp);
	for (i = 0; i < napps; i++) {
		csv_field(fp, apps[i].app, false);
		csv_field(fp, apps[i].sku, false);
		/* -1 (no limit) is an empty field */
		for (k = 0; k < SEAT_NKINDS; k++) {
			if (apps[i].seats[k] >= 0)
				fprintf(fp, "%ld", apps[i].seats[k]);
			fputs(k + 1 < SEAT_NKINDS ? "," : "\r\n", fp);
		}
	}
}

/* "held_by_others" as the column head "HELD-BY-OTHERS" */
static void
column_head(char *out, size_t len, const char *name)
{
	size_t i;

	for (i = 0; name[i] != '\0' && i + 1 < len; i++)
		out[i] = name[i] == '_' ? '-' : (char)(name[i] >= 'a' &&
		    name[i] <= 'z' ? name[i] - 'a' + 'A' : name[i]);
	out[i] = '\0';
}

static void
status_text(FILE *fp, const struct app_status *apps, size_t napps,
    const struct status_source *src)
{
	char when[21], head[SEAT_NKINDS][32];
	int w = 3, cw[SEAT_NKINDS];
	size_t i, k;

	format_utc(src->live ? src->ended : src->ended > 0 ? src->ended :
	    src->started, when);
	if (src->live)
		fprintf(fp, "Seats read live at %s\n\n", when);
	else
		fprintf(fp, "Seats as of run %lld (%s, %s), ended %s\n\n",
		    (long long)src->run, src->command, src->outcome, when);
	for (i = 0; i < napps; i++)
		if ((int)strlen(apps[i].app) > w)
			w = (int)strlen(apps[i].app);
	fprintf(fp, "%-*s", w, "APP");
	for (k = 0; k < SEAT_NKINDS; k++) {
		column_head(head[k], sizeof(head[k]), seat_kind_names[k]);
		cw[k] = strlen(head[k]) > 9 ? (int)strlen(head[k]) : 9;
		fprintf(fp, " %*s", cw[k], head[k]);
	}
	fputc('\n', fp);
	for (i = 0; i < napps; i++) {
		fprintf(fp, "%-*s", w, apps[i].app);
		for (k = 0; k < SEAT_NKINDS; k++)
			if (apps[i].seats[k] >= 0)
				fprintf(fp, " %*ld", cw[k], apps[i].seats[k]);
			else
				fprintf(fp, " %*s", cw[k], "-");
		fputc('\n', fp);
	}
	if (napps == 0)
		fputs("(no apps)\n", fp);
}

int
report_status(FILE *fp, enum report_format f, const struct app_status *apps,
    size_t napps, const struct status_source *src)
{
	switch (f) {
	case REPORT_TEXT:
	case REPORT_HTML:       /* status.c renders it */
		status_text(fp, apps, napps, src);
		break;
	case REPORT_JSON:
		status_json(fp, apps, napps, src);
		break;
	case REPORT_CSV:
		status_csv(fp, apps, napps);
		break;
	}
	fflush(fp);
	return ferror(fp) ? -1 : 0;
}
