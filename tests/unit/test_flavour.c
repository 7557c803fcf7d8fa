/* test_flavour.c - the schema flavours: defaults, and values as text */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "directory/flavour.h"

static void
assert_value(const struct flavour *fl, const char *attr, const char *v,
    size_t len, const char *want)
{
	char *got = flavour_value(fl, attr, v, len);

	if (want == NULL) {
		assert_null(got);
		return;
	}
	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
}

static void
test_defaults(void **state)
{
	const struct flavour *rfc = flavour_of(SCHEMA_RFC);
	const struct flavour *ad = flavour_of(SCHEMA_AD);
	struct config_ldap cfg;

	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	assert_ptr_equal(flavour_of(SCHEMA_AUTO), rfc);
	assert_string_equal(flavour_user_filter(rfc, &cfg),
	    "(objectClass=inetOrgPerson)");
	assert_string_equal(flavour_user_key(rfc, &cfg), "mail");
	assert_null(flavour_disabled_filter(rfc, &cfg));
	assert_string_equal(flavour_user_filter(ad, &cfg),
	    "(&(objectCategory=person)(objectClass=user))");
	assert_string_equal(flavour_user_key(ad, &cfg), "userPrincipalName");
	assert_string_equal(flavour_disabled_filter(ad, &cfg),
	    "(userAccountControl:1.2.840.113556.1.4.803:=2)");
	assert_null(rfc->in_chain_attr);
	assert_non_null(ad->in_chain_attr);
	/* what is configured wins; "" turns the disabled test off */
	cfg.user_filter = "(objectClass=person)";
	cfg.user_key = "mail";
	cfg.disabled_filter = "";
	assert_string_equal(flavour_user_filter(ad, &cfg),
	    "(objectClass=person)");
	assert_string_equal(flavour_user_key(ad, &cfg), "mail");
	assert_null(flavour_disabled_filter(ad, &cfg));
	cfg.disabled_filter = "(nsAccountLock=TRUE)";
	assert_string_equal(flavour_disabled_filter(rfc, &cfg),
	    "(nsAccountLock=TRUE)");
}

static void
test_binary_values(void **state)
{
	/* {6F9619FF-8B86-D011-B42D-00C04FC964FF} as AD stores it */
	static const char guid[16] = {
		'\xff', '\x19', '\x96', '\x6f', '\x86', '\x8b', '\x11', '\xd0',
		'\xb4', '\x2d', '\x00', '\xc0', '\x4f', '\xc9', '\x64', '\xff'
	};
	/* S-1-5-21-1004336348-1177238915-682003330-512 */
	static const char sid[28] = {
		1, 5, 0, 0, 0, 0, 0, 5,
		21, 0, 0, 0,
		'\xdc', '\xf4', '\xdc', '\x3b',
		'\x83', '\x3d', '\x2b', '\x46',
		'\x82', '\x8b', '\xa6', '\x28',
		0, 2, 0, 0
	};
	const struct flavour *ad = flavour_of(SCHEMA_AD);
	const struct flavour *rfc = flavour_of(SCHEMA_RFC);

	(void)state;
	assert_value(ad, "objectGUID", guid, sizeof(guid),
	    "6f9619ff-8b86-d011-b42d-00c04fc964ff");
	assert_value(ad, "objectguid", guid, sizeof(guid),
	    "6f9619ff-8b86-d011-b42d-00c04fc964ff");
	assert_value(ad, "objectSid", sid, sizeof(sid),
	    "S-1-5-21-1004336348-1177238915-682003330-512");
	/* malformed binary values are no values */
	assert_value(ad, "objectGUID", guid, 15, NULL);
	assert_value(ad, "objectSid", sid, 27, NULL);
	assert_value(ad, "objectSid", "\x02\x00\x00\x00\x00\x00\x00\x05", 8,
	    NULL);
	/* no raw bytes anywhere: rfc does not know objectGUID */
	assert_value(rfc, "objectGUID", guid, sizeof(guid), NULL);
	assert_value(ad, "mail", "a\nb@example.com", 15, NULL);
	assert_value(ad, "mail", "a\x7f" "b", 3, NULL);
	assert_value(rfc, "mail", "alice@example.com", 17,
	    "alice@example.com");
	/* UTF-8 is text */
	assert_value(rfc, "cn", "J\xc3\xa9r\xc3\xb4me", 8, "J\xc3\xa9r\xc3\xb4me");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_binary_values),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
