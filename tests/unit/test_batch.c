/* test_batch.c - $batch building and parsing, outcomes, backoff, budget */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "backend/batch.h"
#include "backend/retry.h"

#define SKU "6fd2c87f-b296-42f0-b197-1e91e994b900"
#define PLAN "113feb6c-3fe4-4440-bddc-54d774bf0318"

static void
test_request(void **state)
{
	static const char *const plans[] = { PLAN };
	const struct batch_op ops[] = {
		{ .id = 7, .user_id = "u-1", .sku = SKU, .add = true,
		    .disabled_plans = plans, .ndisabled = 1 },
		{ .id = 9, .user_id = "u-2", .sku = SKU, .add = false },
	};
	char *s = batch_request(ops, 2);

	(void)state;
	assert_string_equal(s, "{\"requests\":["
	    "{\"id\":\"7\",\"method\":\"POST\","
	    "\"url\":\"/users/u-1/assignLicense\","
	    "\"headers\":{\"Content-Type\":\"application/json\"},"
	    "\"body\":{\"addLicenses\":[{\"skuId\":\"" SKU "\","
	    "\"disabledPlans\":[\"" PLAN "\"]}],\"removeLicenses\":[]}},"
	    "{\"id\":\"9\",\"method\":\"POST\","
	    "\"url\":\"/users/u-2/assignLicense\","
	    "\"headers\":{\"Content-Type\":\"application/json\"},"
	    "\"body\":{\"addLicenses\":[],\"removeLicenses\":[\"" SKU "\"]}}"
	    "]}");
	free(s);
	s = batch_item_body(&ops[1]);
	assert_string_equal(s, "{\"addLicenses\":[],\"removeLicenses\":[\""
	    SKU "\"]}");
	free(s);
}

/* A user without a usage location: PATCH it, then assign, in order. */
static void
test_request_location(void **state)
{
	const struct batch_op ops[] = {
		{ .id = 12, .user_id = "u-3", .kind = BATCH_SET_LOCATION,
		    .usage_location = "DE" },
		{ .id = 2, .user_id = "u-3", .sku = SKU, .add = true,
		    .has_dep = true, .dep = 12 },
	};
	char *s = batch_request(ops, 2);

	(void)state;
	assert_string_equal(s, "{\"requests\":["
	    "{\"id\":\"12\",\"method\":\"PATCH\",\"url\":\"/users/u-3\","
	    "\"headers\":{\"Content-Type\":\"application/json\"},"
	    "\"body\":{\"usageLocation\":\"DE\"}},"
	    "{\"id\":\"2\",\"method\":\"POST\","
	    "\"url\":\"/users/u-3/assignLicense\","
	    "\"headers\":{\"Content-Type\":\"application/json\"},"
	    "\"body\":{\"addLicenses\":[{\"skuId\":\"" SKU "\","
	    "\"disabledPlans\":[]}],\"removeLicenses\":[]},"
	    "\"dependsOn\":[\"12\"]}"
	    "]}");
	free(s);
}

/* Only an id that batch_request could have written names a request:
 * "0garbage" must never confirm request 0. */
static void
test_parse_ids(void **state)
{
	static const char *const bad[] = {
		"\"0garbage\"", "\"07\"", "\" 7\"", "\"7 \"", "\"+7\"",
		"\"-7\"", "\"\"", "7", "null", "\"0x7\"", "\"7.0\"",
		"\"99999999999999999999\"",
	};
	struct batch_reply *r;
	struct err e;
	size_t n, i;
	char *body;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		body = xasprintf("{\"responses\":[{\"id\":%s,\"status\":204},"
		    "{\"status\":204}]}", bad[i]);
		assert_int_equal(batch_parse(body, strlen(body), &r, &n, &e),
		    EXIT_OK);
		if (n != 0)
			fail_msg("id %s was taken as %lu", bad[i], r[0].id);
		batch_replies_free(r, n);
		free(body);
	}
	body = xstrdup("{\"responses\":[{\"id\":\"0\",\"status\":204},"
	    "{\"id\":\"10\",\"status\":\"200\"},"
	    "{\"id\":\"11\",\"status\":99},"
	    "{\"id\":\"12\",\"status\":600},"
	    "{\"id\":\"13\",\"status\":200.0}]}");
	assert_int_equal(batch_parse(body, strlen(body), &r, &n, &e), EXIT_OK);
	assert_int_equal(n, 5);
	assert_int_equal(r[0].id, 0);
	assert_int_equal(r[0].status, 204);
	/* a status that is not an HTTP status reads as none */
	for (i = 1; i < 5; i++) {
		assert_int_equal(r[i].id, 9 + i);
		assert_int_equal(r[i].status, 0);
	}
	batch_replies_free(r, n);
	free(body);
}

static void
test_parse(void **state)
{
	/* answers come in any order; ids match them */
	static const char body[] = "{\"responses\":["
	    "{\"id\":\"9\",\"status\":429,\"headers\":{\"retry-after\":\"3\"},"
	    "\"body\":{\"error\":{\"code\":\"TooManyRequests\","
	    "\"message\":\"slow down\"}}},"
	    "{\"id\":\"7\",\"status\":200,\"headers\":{\"request-id\":\"r-7\"},"
	    "\"body\":{\"id\":\"u-1\"}},"
	    "{\"id\":\"8\",\"status\":400,\"body\":{\"error\":{"
	    "\"code\":\"Request_BadRequest\",\"message\":\"License assignment "
	    "cannot be done for user with invalid usage location.\","
	    "\"innerError\":{\"request-id\":\"r-8\"}}}}]}";
	struct batch_reply *r;
	struct err e;
	size_t n;

	(void)state;
	assert_int_equal(batch_parse(body, strlen(body), &r, &n, &e), EXIT_OK);
	assert_int_equal(n, 3);
	assert_int_equal(r[0].id, 9);
	assert_int_equal(r[0].status, 429);
	assert_int_equal(r[0].retry_after, 3);
	assert_string_equal(r[0].code, "TooManyRequests");
	assert_int_equal(r[1].id, 7);
	assert_int_equal(r[1].retry_after, -1);
	assert_null(r[1].code);
	assert_string_equal(r[1].request_id, "r-7");
	assert_int_equal(r[2].id, 8);
	assert_string_equal(r[2].request_id, "r-8");
	assert_int_equal(batch_classify(r[2].status, r[2].message),
	    OUTCOME_NO_LOCATION);
	batch_replies_free(r, n);

	/* a server's words cannot forge log lines or reach a terminal raw */
	{
		static const char evil[] = "{\"responses\":[{\"id\":\"1\","
		    "\"status\":400,\"headers\":{\"request-id\":\"r\\u001b1\"},"
		    "\"body\":{\"error\":{\"code\":\"Bad\\tCode\","
		    "\"message\":\"no\\nlicsync: error: forged\\u001b[2J\"}}}]}";

		assert_int_equal(batch_parse(evil, strlen(evil), &r, &n, &e),
		    EXIT_OK);
		assert_int_equal(n, 1);
		assert_string_equal(r[0].code, "Bad Code");
		assert_string_equal(r[0].message,
		    "no licsync: error: forged [2J");
		assert_string_equal(r[0].request_id, "r 1");
		batch_replies_free(r, n);
	}

	assert_int_equal(batch_parse("{}", 2, &r, &n, &e), EXIT_BACKEND);
	assert_string_equal(e.msg, "$batch answer without a 'responses' array");
	assert_int_equal(batch_parse("nonsense", 8, &r, &n, &e), EXIT_BACKEND);
}

static void
test_classify(void **state)
{
	static const struct {
		long status;
		const char *message;
		enum outcome want;
	} cases[] = {
		{ 200, NULL, OUTCOME_OK },
		{ 204, NULL, OUTCOME_OK },
		{ 429, NULL, OUTCOME_RETRY },
		{ 503, NULL, OUTCOME_RETRY },
		{ 504, NULL, OUTCOME_RETRY },
		{ 401, NULL, OUTCOME_AUTH },
		{ 404, "Resource 'x' does not exist or one of its queried "
		  "reference-property objects are not present.",
		  OUTCOME_USER_UNKNOWN },
		{ 400, "Subscription with SKU " SKU " does not have any "
		  "available licenses.", OUTCOME_NO_SEATS },
		{ 400, "License assignment cannot be done for user with "
		  "invalid usage location.", OUTCOME_NO_LOCATION },
		{ 400, "User license is inherited from a group membership and "
		  "it cannot be removed directly from the user.",
		  OUTCOME_INHERITED },
		{ 400, "License assignment failed because service plans a, b "
		  "are mutually exclusive.", OUTCOME_EXCLUSIVE },
		{ 400, "License assignment failed because service plan a "
		  "depends on the service plan(s) b.", OUTCOME_DEPENDENCY },
		{ 400, "One or more parameters of the operation "
		  "'assignLicense' are missing", OUTCOME_ERROR },
		{ 403, NULL, OUTCOME_ERROR },
		{ 500, NULL, OUTCOME_ERROR },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_int_equal(batch_classify(cases[i].status,
		    cases[i].message), cases[i].want);
	assert_string_equal(outcome_name(OUTCOME_NO_SEATS), "no_seats");
	assert_string_equal(outcome_name(OUTCOME_OK), "ok");
}

static void
test_backoff(void **state)
{
	(void)state;
	/* Retry-After wins, capped at RETRY_MAX_WAIT */
	assert_true(retry_backoff(0, 7, 0.9) == 7.0);
	assert_true(retry_backoff(5, 0, 0.9) == 0.0);
	assert_true(retry_backoff(0, 600, 0.5) == RETRY_MAX_WAIT);
	assert_true(retry_backoff(0, 100000, 0.5) == RETRY_MAX_WAIT);
	/* exponential with jitter between half and 1.5 times */
	assert_true(retry_backoff(0, -1, 0.5) == 1.0);
	assert_true(retry_backoff(3, -1, 0.5) == 8.0);
	assert_true(retry_backoff(3, -1, 0.0) == 4.0);
	assert_true(retry_backoff(3, -1, 0.999) < 12.0);
	assert_true(retry_backoff(40, -1, 0.5) == RETRY_MAX_WAIT);
	assert_true(retry_backoff(-3, -1, 0.5) == 1.0);
}

static void
test_retry_budget(void **state)
{
	struct retry_budget b = { 30, 0 };

	(void)state;
	/* the clock starts at the first retry, whatever it waits */
	assert_false(retry_budget_allows(&b, 1000, 100000));
	assert_true(b.started == 1000);
	assert_true(retry_budget_allows(&b, 1000, 30));
	assert_true(retry_budget_allows(&b, 1010, 20));
	assert_false(retry_budget_allows(&b, 1010, 20.5));
	/* used up: not even a wait of nothing once the time is past */
	assert_false(retry_budget_allows(&b, 1031, 0));
	assert_true(b.started == 1000);
}

static void
test_budget(void **state)
{
	struct write_budget b;
	size_t sent, k;

	(void)state;
	budget_init(&b, 3000, 150);
	/* the whole budget may go at once, all or nothing per request */
	assert_true(budget_take(&b, 2990, 1000.0));
	assert_false(budget_take(&b, 20, 1000.0));
	assert_true(budget_take(&b, 10, 1000.0));
	assert_false(budget_take(&b, 1, 1100.0));
	/* then nothing until the first writes leave the window */
	assert_true(budget_wait(&b, 20, 1000.0) == 150.0);
	assert_true(budget_wait(&b, 20, 1149.5) == 0.5);
	assert_true(budget_take(&b, 20, 1150.0));
	budget_free(&b);

	/* never more than the capacity in any window, whatever the pattern */
	budget_init(&b, 100, 10);
	sent = 0;
	for (k = 0; k < 120; k++)
		if (budget_take(&b, 7, (double)k * 0.25))
			sent += 7;
	/* three windows of at most 98 (14 requests of 7) each */
	assert_true(sent <= 3 * 98);
	assert_true(sent >= 2 * 98);
	budget_free(&b);

	/* the wait for more than the capacity is the wait for all of it */
	budget_init(&b, 5, 10);
	assert_true(budget_take(&b, 5, 0.0));
	assert_true(budget_wait(&b, 50, 1.0) == 9.0);
	budget_free(&b);
}

/* A sliding window of send times holds at most the capacity in any
 * window, checked against every window of a long random pattern. */
static void
test_budget_windows(void **state)
{
	struct write_budget b;
	double times[4000];
	size_t n = 0, i, j, in_window;
	unsigned seed = 42;
	double t = 0;

	(void)state;
	budget_init(&b, 200, 5);
	while (n + 20 <= 4000) {
		size_t want = 1 + (size_t)(rand_r(&seed) % 20);

		if (budget_take(&b, want, t))
			for (i = 0; i < want; i++)
				times[n++] = t;
		t += (double)(rand_r(&seed) % 100) / 1000.0;
	}
	for (i = 0; i < n; i++) {
		in_window = 0;
		for (j = i; j < n && times[j] < times[i] + 5; j++)
			in_window++;
		assert_true(in_window <= 200);
	}
	budget_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request),
		cmocka_unit_test(test_request_location),
		cmocka_unit_test(test_parse_ids),
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_classify),
		cmocka_unit_test(test_backoff),
		cmocka_unit_test(test_retry_budget),
		cmocka_unit_test(test_budget),
		cmocka_unit_test(test_budget_windows),
	};

	return cmocka_run_group_tests_name("batch", tests, NULL, NULL);
}
