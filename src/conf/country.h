/* country.h - ISO 3166-1 alpha-2 country codes, for usage locations */
#ifndef LICSYNC_COUNTRY_H
#define LICSYNC_COUNTRY_H

#include <stdbool.h>

/* Is S an officially assigned ISO 3166-1 alpha-2 code, in either case?
 * OUT gets it in upper case ("de" -> "DE"). */
bool country_code(const char *s, char out[3]);

#endif
