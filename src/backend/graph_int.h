/*
 * graph_int.h - what graph.c (token and reads) and graph_apply.c (the
 * $batch writes) share.  Internal to the Graph backend.
 */
#ifndef LICSYNC_GRAPH_INT_H
#define LICSYNC_GRAPH_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "backend/backend.h"
#include "backend/retry.h"

struct http;

struct backend {
	const struct config_backend *cfg;
	struct http *http;
	char *secret;
	char *token;            /* "Authorization: Bearer ..." */
	int64_t token_expiry;
	/* every request of the run: reads, the token, changes */
	struct retry_budget retry;
	/* apply: shared by all calls of one run */
	struct write_budget budget;
	bool budget_ready;
};

/* Tokens and assertions live in the real world's time, whatever clock
 * the rest of the run is told to use. */
int64_t graph_wall_clock(void);
/* Mask the secret wherever a server echoed it into E. */
void graph_scrub(struct backend *b, struct err *e);
/* A new token for the run, into b->token. */
int graph_fetch_token(struct backend *b, struct err *e);
/* explicit_bzero then free a string. */
void graph_clear_free(char *s);
/* apply (struct backend_ops): the changes through $batch. */
int graph_apply(struct backend *b, const struct backend_change *c, size_t n,
    const struct backend_sink *sink, struct err *e);

#endif
