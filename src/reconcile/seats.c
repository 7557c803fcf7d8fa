/*
 * seats.c - the kinds of seat count and the per-app seat record: a leaf
 * data model shared by the store, the reports and the commands.
 */
#include <stdlib.h>

#include "reconcile/seats.h"

const char *const seat_kind_names[SEAT_NKINDS] = {
	[SEAT_PURCHASED] = "purchased",
	[SEAT_CONSUMED] = "consumed",
	[SEAT_ENTITLED] = "entitled",
	[SEAT_OWNED] = "owned",
	[SEAT_OTHERS] = "held_by_others",
	[SEAT_WAITING] = "waiting",
	[SEAT_PENDING_REMOVAL] = "pending_removal",
	[SEAT_FREEABLE] = "freeable",
	[SEAT_TO_ASSIGN] = "to_assign",
	[SEAT_TO_UNASSIGN] = "to_unassign",
};

void
app_status_free(struct app_status *s, size_t n)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < n; i++) {
		free(s[i].app);
		free(s[i].sku);
	}
	free(s);
}
