/*
 * batch.h - the pure parts of applying changes through Graph: building a
 * $batch request, reading its answer, classifying each item's outcome,
 * the retry delay and the write budget.  No I/O, no clock: callers pass
 * the time in, so all of it is unit-tested.
 */
#ifndef LICSYNC_BATCH_H
#define LICSYNC_BATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backend/backend.h"
#include "util/util.h"

#define BATCH_MAX 20            /* Graph's limit of requests per $batch */

enum batch_kind {
	BATCH_ASSIGN_LICENSE,   /* POST /users/{id}/assignLicense */
	BATCH_SET_LOCATION,     /* PATCH /users/{id} {"usageLocation"} */
};

/* One request of a $batch: add or remove one SKU for one user, or set
 * the user's usage location first. */
struct batch_op {
	unsigned long id;       /* unique in the run; the $batch item id */
	const char *user_id;    /* the backend's object id */
	const char *sku;
	bool add;
	const char *const *disabled_plans;
	size_t ndisabled;
	enum batch_kind kind;
	const char *usage_location;     /* BATCH_SET_LOCATION: "DE" */
	bool has_dep;           /* runs after request DEP (dependsOn) */
	unsigned long dep;
};

struct batch_reply {
	unsigned long id;
	long status;
	long retry_after;       /* seconds, or -1 */
	char *code;             /* Graph's error code, or NULL */
	char *message;
	char *request_id;       /* of the item, or NULL */
};

/* The JSON body of POST /$batch for N (1..BATCH_MAX) operations.  Graph
 * runs a batch with dependsOn only when it is serial: every request but
 * the first depends on the one before it. */
char *batch_request(const struct batch_op *ops, size_t n);
/* The JSON body of one operation's request. */
char *batch_item_body(const struct batch_op *op);

/*
 * Parse a $batch answer.  Fills REPLIES (allocated, *NREPLIES entries) in
 * the answer's order; the caller matches them by id.  Only responses
 * whose id is exactly one batch_request writes are kept: any other id
 * confirms nothing.  A status outside 100..599 reads as 0.  EXIT_BACKEND
 * when the answer is not a $batch answer.
 */
int batch_parse(const char *body, size_t len, struct batch_reply **replies,
    size_t *nreplies, struct err *e);
void batch_replies_free(struct batch_reply *r, size_t n);

/* Read Graph's error body {"error": {"code", "message", "innerError"}}. */
void batch_error_body(const char *body, size_t len, char **code,
    char **message, char **request_id);

enum outcome batch_classify(long status, const char *message);

#endif
