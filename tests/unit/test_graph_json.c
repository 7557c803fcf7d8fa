/* test_graph_json.c - reading Graph's answers: tokens, SKUs, users, and
 * the guard that keeps paging finite */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "backend/graph_json.h"

#define SKU "6fd2c87f-b296-42f0-b197-1e91e994b900"
#define G "https://graph.example/v1.0/"

static void
test_token(void **state)
{
	static const struct {
		const char *body;
		long lifetime;          /* 0: refused */
	} cases[] = {
		{ "{\"access_token\":\"abc\",\"expires_in\":3599}", 3599 },
		{ "{\"access_token\":\"abc\",\"expires_in\":\"120\"}", 120 },
		{ "{\"access_token\":\"abc\"}", 3599 },
		{ "{\"access_token\":\"abc\",\"expires_in\":-5}", 3599 },
		/* a lifetime no token has: a day at most, never an overflow */
		{ "{\"access_token\":\"abc\",\"expires_in\":9223372036854775807}",
		  86400 },
		{ "{\"access_token\":\"abc\","
		  "\"expires_in\":\"99999999999999999999999\"}", 86400 },
		{ "{\"access_token\":\"\"}", 0 },
		{ "{\"access_token\":7}", 0 },
		{ "{\"token\":\"abc\"}", 0 },
		/* it goes into a header line */
		{ "{\"access_token\":\"abc\\r\\nX-Evil: 1\"}", 0 },
		{ "[]", 0 },
		{ "not json", 0 },
	};
	struct err e;
	char *tok;
	long life;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int r = graph_read_token(cases[i].body, strlen(cases[i].body),
		    &tok, &life, &e);

		if (cases[i].lifetime == 0) {
			assert_int_equal(r, EXIT_BACKEND);
			assert_null(tok);
			assert_string_equal(e.msg, "token answer without a "
			    "usable access_token");
			continue;
		}
		assert_int_equal(r, EXIT_OK);
		assert_string_equal(tok, "abc");
		assert_int_equal(life, cases[i].lifetime);
		free(tok);
	}
}

static void
test_skus(void **state)
{
	static const char good[] = "{\"value\":["
	    "{\"skuId\":\"" "6FD2C87F-B296-42F0-B197-1E91E994B900" "\","
	    "\"skuPartNumber\":\"ACME_CRM\",\"capabilityStatus\":\"Enabled\","
	    "\"consumedUnits\":12,\"prepaidUnits\":{\"enabled\":250,"
	    "\"warning\":5}},"
	    "{\"skuPartNumber\":\"NO_ID\"},"
	    "{\"skuId\":\"x\",\"prepaidUnits\":{\"enabled\":2147483647}}]}";
	static const struct {
		const char *body;
		const char *msg;
	} bad[] = {
		{ "{\"value\":[{\"skuId\":\"s\",\"consumedUnits\":-1}]}",
		  "subscribedSkus: SKU s: consumedUnits is not a count from 0 "
		  "to 2147483647" },
		{ "{\"value\":[{\"skuId\":\"s\",\"prepaidUnits\":{\"enabled\":"
		  "9223372036854775807}}]}",
		  "subscribedSkus: SKU s: prepaidUnits.enabled is not a count "
		  "from 0 to 2147483647" },
		{ "{\"value\":[{\"skuId\":\"s\",\"prepaidUnits\":{\"warning\":"
		  "2147483648}}]}",
		  "subscribedSkus: SKU s: prepaidUnits.warning is not a count "
		  "from 0 to 2147483647" },
		{ "{\"value\":[{\"skuId\":\"s\",\"consumedUnits\":\"12\"}]}",
		  "subscribedSkus: SKU s: consumedUnits is not a count from 0 "
		  "to 2147483647" },
		{ "{\"value\":[{\"skuId\":\"s\",\"consumedUnits\":1.5}]}",
		  "subscribedSkus: SKU s: consumedUnits is not a count from 0 "
		  "to 2147483647" },
		{ "{\"value\":{}}",
		  "subscribedSkus: the answer has no 'value' array" },
	};
	struct backend_sku *s;
	struct err e;
	size_t n, i;

	(void)state;
	assert_int_equal(graph_read_skus(good, strlen(good), &s, &n, &e),
	    EXIT_OK);
	assert_int_equal(n, 2);
	assert_string_equal(s[0].id, SKU);
	assert_string_equal(s[0].part_number, "ACME_CRM");
	assert_int_equal(s[0].enabled, 250);
	assert_int_equal(s[0].warning, 5);
	assert_int_equal(s[0].consumed, 12);
	assert_int_equal(s[1].enabled, 2147483647);
	assert_int_equal(s[1].consumed, 0);
	assert_string_equal(s[1].part_number, "");
	backend_skus_free(s, n);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(graph_read_skus(bad[i].body,
		    strlen(bad[i].body), &s, &n, &e), EXIT_BACKEND);
		assert_null(s);
		assert_int_equal(n, 0);
		assert_string_equal(e.msg, bad[i].msg);
	}
}

/* Users as one line each: "key id loc: sku/group sku/-". */
static int
collect(void *ctx, const struct backend_user *u, struct err *e)
{
	struct buf *b = ctx;
	size_t i;

	(void)e;
	buf_printf(b, "%s %s %s:", u->key, u->id,
	    u->unlicensable == NULL ? "loc" : "noloc");
	for (i = 0; i < u->nlicenses; i++)
		buf_printf(b, " %s/%s", u->licenses[i].sku,
		    u->licenses[i].group != NULL ? u->licenses[i].group : "-");
	buf_addstr(b, "\n");
	return EXIT_OK;
}

static void
test_users(void **state)
{
	static const char page[] = "{\"value\":["
	    "{\"id\":\"1\",\"userPrincipalName\":\"a@x\",\"usageLocation\":"
	    "\"DE\",\"assignedLicenses\":[{\"skuId\":\"s1\"},{\"skuId\":"
	    "\"s2\"}],\"licenseAssignmentStates\":["
	    "{\"skuId\":\"s1\",\"assignedByGroup\":null,\"state\":\"Active\"},"
	    "{\"skuId\":\"s2\",\"assignedByGroup\":\"g\",\"state\":"
	    "\"ActiveWithError\"},"
	    "{\"skuId\":\"s3\",\"assignedByGroup\":\"g\",\"state\":\"Error\"}]},"
	    "{\"id\":\"2\",\"userPrincipalName\":\"b@x\",\"usageLocation\":\"\","
	    "\"assignedLicenses\":[{\"skuId\":\"s1\"}]},"
	    "{\"id\":\"\",\"userPrincipalName\":\"c@x\"},"
	    "{\"id\":\"4\"},"
	    "{\"id\":\"5\",\"userPrincipalName\":\"e@x\",\"usageLocation\":null}"
	    "],\"@odata.nextLink\":\"" G "users?$skiptoken=X\"}";
	struct buf b = { 0 };
	struct err e;
	char *next;

	(void)state;
	buf_addstr(&b, "");
	assert_int_equal(graph_read_users(page, strlen(page), collect, &b,
	    &next, &e), EXIT_OK);
	assert_string_equal(b.data, "a@x 1 loc: s1/- s2/g\n"
	    "b@x 2 noloc: s1/-\n"
	    "e@x 5 noloc:\n");
	assert_string_equal(next, G "users?$skiptoken=X");
	free(next);
	buf_free(&b);
	assert_int_equal(graph_read_users("{\"value\":[]}", 12, collect, &b,
	    &next, &e), EXIT_OK);
	assert_null(next);
	assert_int_equal(graph_read_users("{}", 2, collect, &b, &next, &e),
	    EXIT_BACKEND);
	assert_string_equal(e.msg, "users answer has no 'value' array");
	buf_free(&b);
}

static void
test_page_guard(void **state)
{
	struct page_guard g;
	struct err e;
	char link[64];
	unsigned i;

	(void)state;
	page_guard_init(&g, G, 5, G "users?$top=999");
	/* a link to itself, to the first page, or off graph_url */
	assert_int_equal(page_guard_next(&g, G "users?$top=999", &e),
	    EXIT_BACKEND);
	assert_string_equal(e.msg, "@odata.nextLink of page 1 leads back to a "
	    "page already read (" G "users?$top=999); refusing to page in a "
	    "loop");
	assert_int_equal(page_guard_next(&g, G "users?$skiptoken=a", &e),
	    EXIT_OK);
	assert_int_equal(page_guard_next(&g, G "users?$skiptoken=b", &e),
	    EXIT_OK);
	/* a cycle two pages back; links differing in case are different */
	assert_int_equal(page_guard_next(&g, G "users?$skiptoken=a", &e),
	    EXIT_BACKEND);
	assert_int_equal(page_guard_next(&g, G "users?$skiptoken=A", &e),
	    EXIT_OK);
	assert_int_equal(page_guard_next(&g, "https://evil.example/v1.0/x",
	    &e), EXIT_BACKEND);
	assert_string_equal(e.msg, "refusing @odata.nextLink outside "
	    "graph_url: https://evil.example/v1.0/x");
	assert_int_equal(g.pages, 4);
	/* the fifth page is the last one */
	assert_int_equal(page_guard_next(&g, G "users?$skiptoken=c", &e),
	    EXIT_OK);
	assert_int_equal(page_guard_next(&g, G "users?$skiptoken=d", &e),
	    EXIT_BACKEND);
	assert_string_equal(e.msg, "more than 5 pages of users; refusing to "
	    "page on (the answer keeps linking to more)");
	page_guard_free(&g);
	/* links that are all new: the cap alone ends them */
	page_guard_init(&g, G, GRAPH_MAX_PAGES, G "users");
	for (i = 1; i < GRAPH_MAX_PAGES; i++) {
		snprintf(link, sizeof(link), G "users?p=%u", i);
		if (page_guard_next(&g, link, &e) != EXIT_OK)
			fail_msg("page %u refused: %s", i + 1, e.msg);
	}
	assert_int_equal(page_guard_next(&g, G "users?p=last", &e),
	    EXIT_BACKEND);
	assert_int_equal(g.pages, GRAPH_MAX_PAGES);
	page_guard_free(&g);
}

static void
test_describe_error(void **state)
{
	struct buf b = { 0 };
	static const char e400[] = "{\"error\":{\"code\":"
	    "\"Request_BadRequest\",\"message\":\"bad\"}}";
	static const char e401[] = "{\"error\":\"invalid_client\","
	    "\"error_description\":\"AADSTS7000215: Invalid client secret\"}";

	(void)state;
	graph_describe_error(400, e400, strlen(e400), "r-1", &b);
	assert_string_equal(b.data, "HTTP 400: Request_BadRequest: bad "
	    "(request-id r-1)");
	buf_free(&b);
	graph_describe_error(401, e401, strlen(e401), NULL, &b);
	assert_string_equal(b.data, "HTTP 401: invalid_client: AADSTS7000215: "
	    "Invalid client secret");
	buf_free(&b);
	graph_describe_error(502, "<html>", 6, NULL, &b);
	assert_string_equal(b.data, "HTTP 502");
	buf_free(&b);
	/* control characters in a server's words are blanked */
	{
		static const char evil[] = "{\"error\":{\"code\":\"a\\rb\","
		    "\"message\":\"x\\n\\u007fy\\u001b[31m\"}}";

		graph_describe_error(400, evil, strlen(evil), "r\n2", &b);
		assert_string_equal(b.data, "HTTP 400: a b: x  y [31m "
		    "(request-id r 2)");
		buf_free(&b);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_token),
		cmocka_unit_test(test_skus),
		cmocka_unit_test(test_users),
		cmocka_unit_test(test_page_guard),
		cmocka_unit_test(test_describe_error),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
