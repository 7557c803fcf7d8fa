/* test_scim_json.c - SCIM 2.0 pages, members, errors, and the bodies of
 * POST /Users and PATCH */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "backend/scim_json.h"

static int
collect(void *ctx, const struct scim_resource *r, struct err *e)
{
	struct buf *b = ctx;

	(void)e;
	buf_printf(b, "%s=%s%s;", r->id, r->name, r->active ? "" : "(off)");
	return EXIT_OK;
}

static int
stop_at_two(void *ctx, const struct scim_resource *r, struct err *e)
{
	int *n = ctx;

	(void)r;
	if (++*n < 2)
		return EXIT_OK;
	err_set(e, "enough");
	return EXIT_CONFIG;
}

static int
page(const char *body, bool users, struct buf *b, long *total, size_t *n,
    size_t *skipped, struct err *e)
{
	buf_add(b, "", 0);
	*skipped = 0;
	return scim_read_page(body, strlen(body), users, collect, b, total, n,
	    skipped, e);
}

static void
test_page(void **state)
{
	struct buf b = { 0 };
	struct err e = { "" };
	long total;
	size_t n, skipped;
	int count = 0;
	static const char users[] = "{\"schemas\":[\"urn:ietf:params:scim:"
	    "api:messages:2.0:ListResponse\"],\"totalResults\":7,"
	    "\"itemsPerPage\":100,\"startIndex\":1,\"Resources\":["
	    "{\"id\":\"u1\",\"userName\":\"alice@example.com\"},"
	    "{\"id\":\"u2\",\"userName\":\"bob\",\"active\":false},"
	    "{\"id\":\"u3\"},{\"userName\":\"x\"},"
	    "{\"id\":\"u4\",\"userName\":\"carol\",\"active\":true}]}";

	(void)state;
	assert_int_equal(page(users, true, &b, &total, &n, &skipped, &e),
	    EXIT_OK);
	assert_string_equal(b.data,
	    "u1=alice@example.com;u2=bob(off);u4=carol;");
	assert_int_equal(total, 7);
	/* itemsPerPage says 100: the page holds what it holds */
	assert_int_equal(n, 5);
	assert_int_equal(skipped, 2);
	buf_free(&b);

	/* groups by displayName */
	assert_int_equal(page("{\"totalResults\":1,\"Resources\":[{\"id\":"
	    "\"g1\",\"displayName\":\"Jira Users\",\"userName\":\"no\"}]}",
	    false, &b, &total, &n, &skipped, &e), EXIT_OK);
	assert_string_equal(b.data, "g1=Jira Users;");
	buf_free(&b);

	/* an empty page may leave Resources out; without totalResults it
	 * is no ListResponse */
	assert_int_equal(page("{\"totalResults\":300}", true, &b, &total, &n,
	    &skipped, &e), EXIT_OK);
	assert_int_equal(n, 0);
	assert_int_equal(total, 300);
	buf_free(&b);
	assert_int_equal(page("{\"Resources\":[]}", true, &b, &total, &n,
	    &skipped, &e), EXIT_OK);
	assert_int_equal(total, -1);
	buf_free(&b);
	assert_int_equal(page("{}", true, &b, &total, &n, &skipped, &e),
	    EXIT_BACKEND);
	assert_string_equal(e.msg, "ListResponse has no 'Resources' array");
	buf_free(&b);
	assert_int_equal(page("[1]", true, &b, &total, &n, &skipped, &e),
	    EXIT_BACKEND);
	assert_string_equal(e.msg, "ListResponse: not a JSON object");
	buf_free(&b);
	assert_int_equal(page("{\"totalResults\":-1,\"Resources\":[]}", true,
	    &b, &total, &n, &skipped, &e), EXIT_BACKEND);
	assert_string_equal(e.msg, "ListResponse: totalResults is not a "
	    "count");
	buf_free(&b);
	/* "False" is not a boolean: a seat count must not guess */
	assert_int_equal(page("{\"Resources\":[{\"id\":\"u1\",\"userName\":"
	    "\"a\",\"active\":\"False\"}]}", true, &b, &total, &n, &skipped,
	    &e), EXIT_BACKEND);
	assert_string_equal(e.msg, "user u1: 'active' is not a boolean");
	buf_free(&b);
	/* the callback's error stops the page */
	assert_int_equal(scim_read_page(users, strlen(users), true,
	    stop_at_two, &count, &total, &n, &skipped, &e), EXIT_CONFIG);
	assert_int_equal(count, 2);
	assert_string_equal(e.msg, "enough");
}

static void
test_members_and_id(void **state)
{
	struct strv ids = { 0 };
	struct err e = { "" };
	char *id = NULL;
	static const char group[] = "{\"id\":\"g1\",\"displayName\":\"x\","
	    "\"members\":[{\"value\":\"u1\",\"display\":\"a\"},"
	    "{\"value\":\"u2\"}]}";

	(void)state;
	assert_int_equal(scim_read_members(group, strlen(group), &ids, &e),
	    EXIT_OK);
	assert_int_equal(ids.n, 2);
	assert_string_equal(ids.v[0], "u1");
	assert_string_equal(ids.v[1], "u2");
	strv_free(&ids);
	/* no members: none */
	assert_int_equal(scim_read_members("{\"id\":\"g\"}", 10, &ids, &e),
	    EXIT_OK);
	assert_int_equal(ids.n, 0);
	assert_int_equal(scim_read_members("{\"members\":[{\"display\":"
	    "\"a\"}]}", 29, &ids, &e), EXIT_BACKEND);
	assert_string_equal(e.msg, "group: a member without a 'value'");
	strv_free(&ids);
	assert_int_equal(scim_read_members("{\"members\":{}}", 14, &ids, &e),
	    EXIT_BACKEND);
	strv_free(&ids);

	assert_int_equal(scim_read_id("{\"id\":\"u9\",\"userName\":\"a\"}", 26,
	    &id, &e), EXIT_OK);
	assert_string_equal(id, "u9");
	free(id);
	assert_int_equal(scim_read_id("{\"id\":\"\"}", 9, &id, &e),
	    EXIT_BACKEND);
	assert_null(id);
	assert_string_equal(e.msg, "the user's answer has no 'id'");
}

static void
test_error(void **state)
{
	char *type, *detail;
	static const char body[] = "{\"schemas\":[\"urn:ietf:params:scim:api:"
	    "messages:2.0:Error\"],\"status\":\"409\",\"scimType\":"
	    "\"uniqueness\",\"detail\":\"userName\\nalready taken\"}";

	(void)state;
	scim_read_error(body, strlen(body), &type, &detail);
	assert_string_equal(type, "uniqueness");
	/* control characters blanked: the detail goes into the audit */
	assert_string_equal(detail, "userName already taken");
	free(type);
	free(detail);
	scim_read_error("<html>", 6, &type, &detail);
	assert_null(type);
	assert_null(detail);
}

static void
test_bodies(void **state)
{
	struct backend_person p = { "ignored", "Alice", "Liddell",
		"Alice Liddell", "alice@example.com", "e-1" };
	struct backend_person none = { 0 };
	const char *ids[] = { "u1", "u\"2\\" };
	char *s;

	(void)state;
	s = scim_user_body(&p, "alice@example.com");
	assert_string_equal(s, "{\"schemas\":[\"urn:ietf:params:scim:"
	    "schemas:core:2.0:User\"],\"userName\":\"alice@example.com\","
	    "\"active\":true,\"name\":{\"givenName\":\"Alice\","
	    "\"familyName\":\"Liddell\"},\"displayName\":\"Alice Liddell\","
	    "\"externalId\":\"e-1\",\"emails\":[{\"value\":"
	    "\"alice@example.com\",\"type\":\"work\",\"primary\":true}]}");
	free(s);
	s = scim_user_body(&none, "bob");
	assert_string_equal(s, "{\"schemas\":[\"urn:ietf:params:scim:"
	    "schemas:core:2.0:User\"],\"userName\":\"bob\",\"active\":true}");
	free(s);
	/* a boolean, never the string "False" */
	s = scim_active_body(false);
	assert_string_equal(s, "{\"schemas\":[\"urn:ietf:params:scim:api:"
	    "messages:2.0:PatchOp\"],\"Operations\":[{\"op\":\"replace\","
	    "\"path\":\"active\",\"value\":false}]}");
	free(s);
	s = scim_members_body(ids, 2, true);
	assert_string_equal(s, "{\"schemas\":[\"urn:ietf:params:scim:api:"
	    "messages:2.0:PatchOp\"],\"Operations\":[{\"op\":\"add\","
	    "\"path\":\"members\",\"value\":[{\"value\":\"u1\"},"
	    "{\"value\":\"u\\\"2\\\\\"}]}]}");
	free(s);
	/* one remove per member, the id quoted in the filter */
	s = scim_members_body(ids, 2, false);
	assert_string_equal(s, "{\"schemas\":[\"urn:ietf:params:scim:api:"
	    "messages:2.0:PatchOp\"],\"Operations\":[{\"op\":\"remove\","
	    "\"path\":\"members[value eq \\\"u1\\\"]\"},{\"op\":\"remove\","
	    "\"path\":\"members[value eq \\\"u\\\\\\\"2\\\\\\\\\\\"]\"}]}");
	free(s);
	s = scim_filter_string("a\"b\\c");
	assert_string_equal(s, "\"a\\\"b\\\\c\"");
	free(s);
}

static void
test_config(void **state)
{
	struct buf b = { 0 };
	static const char spc[] = "{\"patch\":{\"supported\":true},"
	    "\"filter\":{\"supported\":true,\"maxResults\":200},"
	    "\"bulk\":{\"supported\":false},\"authenticationSchemes\":"
	    "[{\"type\":\"oauthbearertoken\",\"name\":\"Bearer\"}]}";

	(void)state;
	scim_describe_config(spc, strlen(spc), &b);
	assert_string_equal(b.data, "patch yes, filter yes (at most 200 "
	    "results), bulk no, authentication oauthbearertoken");
	buf_free(&b);
	scim_describe_config("{}", 2, &b);
	assert_string_equal(b.data, "patch unknown, filter unknown, bulk "
	    "unknown");
	buf_free(&b);
	scim_describe_config("nope", 4, &b);
	assert_string_equal(b.data, "not a JSON object");
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_page),
		cmocka_unit_test(test_members_and_id),
		cmocka_unit_test(test_error),
		cmocka_unit_test(test_bodies),
		cmocka_unit_test(test_config),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
