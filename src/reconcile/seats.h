/* seats.h - seats per app: what licsync and the backend account for (a leaf) */
#ifndef LICSYNC_SEATS_H
#define LICSYNC_SEATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* The kinds of seat count, in the order every format shows them. */
enum seat_kind {
	SEAT_PURCHASED,         /* prepaidUnits.enabled */
	SEAT_CONSUMED,          /* consumedUnits */
	SEAT_ENTITLED,          /* users the policy entitles */
	SEAT_OWNED,             /* held directly, assigned by licsync */
	SEAT_OTHERS,            /* held, not assigned by licsync */
	SEAT_WAITING,           /* entitled, no seat left for them */
	SEAT_PENDING_REMOVAL,   /* not entitled, in their grace period */
	SEAT_FREEABLE,          /* held directly, not entitled, left alone
	                           by remove: owned or remove: never */
	SEAT_TO_ASSIGN,         /* planned assigns not carried out */
	SEAT_TO_UNASSIGN,       /* planned unassigns not carried out */
	SEAT_NKINDS
};

/* "purchased", "consumed", ... as in JSON keys, CSV columns, the
 * database and the licsync_seats metric's kind label. */
extern const char *const seat_kind_names[SEAT_NKINDS];

struct app_status {
	char *app;
	char *sku;
	long seats[SEAT_NKINDS];
};

/* Where the numbers come from: a recorded run, or read live. */
struct status_source {
	bool live;
	int64_t run;            /* the run (0 when live) */
	const char *command;    /* "plan" or "apply" (NULL when live) */
	const char *outcome;
	int64_t started, ended; /* the run's; when live, ended = now */
};

void app_status_free(struct app_status *s, size_t n);

#endif
