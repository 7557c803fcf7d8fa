/* backend.c - backend lookup by type */
#include <stdlib.h>
#include <string.h>

#include "backend/backend.h"
#include "conf/config.h"

static const struct backend_ops *const backends[] = {
	&backend_graph_ops,
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
		free(skus[i].status);
	}
	free(skus);
}
