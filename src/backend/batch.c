/* batch.c - $batch requests and answers, and what their items' outcomes are */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "backend/batch.h"

static json_t *
item_body(const struct batch_op *op)
{
	json_t *add, *remove, *plans;
	size_t i;

	if (op->kind == BATCH_SET_LOCATION)
		return json_pack("{s:s}", "usageLocation", op->usage_location);
	add = json_array();
	remove = json_array();

	/* Graph wants both arrays, even when one is empty. */
	if (op->add) {
		plans = json_array();
		for (i = 0; i < op->ndisabled; i++)
			json_array_append_new(plans,
			    json_string(op->disabled_plans[i]));
		json_array_append_new(add, json_pack("{s:s, s:o}",
		    "skuId", op->sku, "disabledPlans", plans));
	} else {
		json_array_append_new(remove, json_string(op->sku));
	}
	return json_pack("{s:o, s:o}", "addLicenses", add,
	    "removeLicenses", remove);
}

char *
batch_item_body(const struct batch_op *op)
{
	json_t *b = item_body(op);
	char *s = json_dumps(b, JSON_COMPACT | JSON_PRESERVE_ORDER);

	json_decref(b);
	return s;
}

char *
batch_request(const struct batch_op *ops, size_t n)
{
	json_t *reqs = json_array(), *root;
	char id[32], *url, *s;
	size_t i;

	for (i = 0; i < n; i++) {
		bool patch = ops[i].kind == BATCH_SET_LOCATION;
		json_t *req;

		snprintf(id, sizeof(id), "%lu", ops[i].id);
		url = xasprintf(patch ? "/users/%s" : "/users/%s/assignLicense",
		    ops[i].user_id);
		req = json_pack("{s:s, s:s, s:s, s:{s:s}, s:o}", "id", id,
		    "method", patch ? "PATCH" : "POST", "url", url,
		    "headers", "Content-Type", "application/json",
		    "body", item_body(&ops[i]));
		if (ops[i].has_dep) {
			snprintf(id, sizeof(id), "%lu", ops[i].dep);
			json_object_set_new(req, "dependsOn",
			    json_pack("[s]", id));
		}
		json_array_append_new(reqs, req);
		free(url);
	}
	root = json_pack("{s:o}", "requests", reqs);
	s = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(root);
	return s;
}

static void
error_fields(json_t *body, char **code, char **message, char **request_id)
{
	json_t *err = json_object_get(body, "error");
	json_t *inner = json_object_get(err, "innerError");

	*code = xstrdup_printable(json_string_value(json_object_get(err,
	    "code")));
	*message = xstrdup_printable(json_string_value(json_object_get(err,
	    "message")));
	*request_id = xstrdup_printable(json_string_value(json_object_get(inner,
	    "request-id")));
}

void
batch_error_body(const char *body, size_t len, char **code, char **message,
    char **request_id)
{
	json_t *root = json_loadb(body, len, 0, NULL);

	error_fields(root, code, message, request_id);
	json_decref(root);
}

/* A header of a $batch item, case-insensitively. */
static const char *
item_header(json_t *headers, const char *name)
{
	const char *k;
	json_t *v;

	json_object_foreach(headers, k, v)
		if (str_ieq(k, name))
			return json_string_value(v);
	return NULL;
}

/*
 * The id of a request as batch_request wrote it: decimal digits, no sign,
 * space or leading zero.  Anything else ("0garbage", "07", " 7", 7 as a
 * number) names no request, so it confirms nothing.
 */
static bool
parse_id(const char *s, unsigned long *out)
{
	size_t n = s != NULL ? strlen(s) : 0;

	if (n == 0 || n > 19 || strspn(s, "0123456789") != n ||
	    (s[0] == '0' && n > 1))
		return false;
	*out = strtoul(s, NULL, 10);
	return true;
}

static void
read_reply(json_t *it, unsigned long id, struct batch_reply *r)
{
	json_t *headers = json_object_get(it, "headers");
	const char *ra = item_header(headers, "Retry-After");
	const char *rid = item_header(headers, "request-id");
	json_t *status = json_object_get(it, "status");
	char *end;

	memset(r, 0, sizeof(*r));
	r->id = id;
	/* a status that is not an HTTP status is no answer either */
	r->status = json_is_integer(status) && json_integer_value(status) >=
	    100 && json_integer_value(status) <= 599 ?
	    (long)json_integer_value(status) : 0;
	r->retry_after = -1;
	if (ra != NULL) {
		long v = strtol(ra, &end, 10);

		if (end != ra && *end == '\0' && v >= 0)
			r->retry_after = v;
	}
	error_fields(json_object_get(it, "body"), &r->code, &r->message,
	    &r->request_id);
	if (r->request_id == NULL && rid != NULL)
		r->request_id = xstrdup_printable(rid);
}

int
batch_parse(const char *body, size_t len, struct batch_reply **replies,
    size_t *nreplies, struct err *e)
{
	json_t *root = json_loadb(body, len, 0, NULL), *arr, *it;
	size_t i;

	*replies = NULL;
	*nreplies = 0;
	arr = json_object_get(root, "responses");
	if (!json_is_array(arr)) {
		err_set(e, "$batch answer without a 'responses' array");
		json_decref(root);
		return EXIT_BACKEND;
	}
	*replies = xcalloc(json_array_size(arr), sizeof(**replies));
	json_array_foreach(arr, i, it) {
		unsigned long id;

		if (!parse_id(json_string_value(json_object_get(it, "id")),
		    &id))
			continue;
		read_reply(it, id, &(*replies)[(*nreplies)++]);
	}
	json_decref(root);
	return EXIT_OK;
}

void
batch_replies_free(struct batch_reply *r, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(r[i].code);
		free(r[i].message);
		free(r[i].request_id);
	}
	free(r);
}

/* The documented messages of assignLicense failures (../shared/GRAPH.md). */
static const struct {
	const char *text;
	enum outcome outcome;
} known_failures[] = {
	{ "does not have any available licenses", OUTCOME_NO_SEATS },
	{ "invalid usage location", OUTCOME_NO_LOCATION },
	{ "inherited from a group membership", OUTCOME_INHERITED },
	{ "does not have a corresponding license", OUTCOME_NOT_HELD },
	{ "are mutually exclusive", OUTCOME_EXCLUSIVE },
	{ "depends on the service plan", OUTCOME_DEPENDENCY },
};

enum outcome
batch_classify(long status, const char *message)
{
	size_t i;

	if (status >= 200 && status < 300)
		return OUTCOME_OK;
	if (status == 429 || status == 503 || status == 504)
		return OUTCOME_RETRY;
	if (status == 401)
		return OUTCOME_AUTH;
	if (status == 404)
		return OUTCOME_USER_UNKNOWN;
	for (i = 0; message != NULL && i < sizeof(known_failures) /
	    sizeof(known_failures[0]); i++)
		if (strstr(message, known_failures[i].text) != NULL)
			return known_failures[i].outcome;
	return OUTCOME_ERROR;
}
