/* csv.c - one field of a CSV row, quoted only when it has to be */
#include <string.h>

#include "report/csv.h"

/* RFC 4180: quote fields holding a comma, quote or line break. */
void
csv_field(FILE *fp, const char *s, bool last)
{
	const char *p;

	if (strpbrk(s, ",\"\r\n") == NULL) {
		fputs(s, fp);
	} else {
		fputc('"', fp);
		for (p = s; *p; p++) {
			if (*p == '"')
				fputc('"', fp);
			fputc(*p, fp);
		}
		fputc('"', fp);
	}
	fputs(last ? "\r\n" : ",", fp);
}
