/* backend.c - the backends by type, and what the interface names */
#include <stdlib.h>
#include <string.h>

#include "backend/backend.h"
#include "conf/config.h"

static const struct backend_ops *const backends[] = {
	&backend_graph_ops,
	&backend_scim_ops,
};

const struct backend_ops *
backend_find(const char *type)
{
	size_t i;

	for (i = 0; i < sizeof(backends) / sizeof(backends[0]); i++)
		if (strcmp(backends[i]->type, type) == 0)
			return backends[i];
	return NULL;
}

void
backend_skus_free(struct backend_sku *skus, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(skus[i].id);
		free(skus[i].part_number);
		free(skus[i].vendor_id);
		free(skus[i].status);
	}
	free(skus);
}

const char *
outcome_name(enum outcome o)
{
	static const char *const names[] = {
		[OUTCOME_OK] = "ok",
		[OUTCOME_RETRY] = "throttled",
		[OUTCOME_AUTH] = "unauthorized",
		[OUTCOME_NO_SEATS] = "no_seats",
		[OUTCOME_NO_LOCATION] = "no_usage_location",
		[OUTCOME_USER_UNKNOWN] = "user_unknown",
		[OUTCOME_INHERITED] = "inherited",
		[OUTCOME_NOT_HELD] = "not_held",
		[OUTCOME_EXCLUSIVE] = "mutually_exclusive",
		[OUTCOME_DEPENDENCY] = "dependency",
		[OUTCOME_LOCATION_REFUSED] = "usage_location_refused",
		[OUTCOME_CREATE_FAILED] = "create_failed",
		[OUTCOME_ERROR] = "error",
	};

	return names[o];
}
