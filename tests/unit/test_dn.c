/* test_dn.c - DN normalisation */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "directory/dn.h"

static void
assert_norm(const char *in, const char *want)
{
	char *got = dn_normalize(in);

	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
}

static void
assert_same(const char *a, const char *b)
{
	char *x = dn_normalize(a), *y = dn_normalize(b);

	assert_non_null(x);
	assert_non_null(y);
	assert_string_equal(x, y);
	free(x);
	free(y);
}

static void
test_case_and_spaces(void **state)
{
	(void)state;
	assert_norm("CN=Bob , OU=People,DC=Example, DC=com",
	    "cn=bob,ou=people,dc=example,dc=com");
	assert_norm("cn=alice,ou=people,dc=example,dc=com",
	    "cn=alice,ou=people,dc=example,dc=com");
	assert_same("uid=Ivan,ou=People,dc=example,dc=com",
	    "UID = ivan , ou = people , dc = example , dc = com");
}

static void
test_escapes(void **state)
{
	(void)state;
	assert_same("cn=Smith\\, John,ou=people,dc=example,dc=com",
	    "cn=Smith\\2C John,ou=people,dc=example,dc=com");
	assert_same("cn=Smith\\, John,ou=people,dc=example,dc=com",
	    "CN=smith\\2c john,OU=people,DC=example,DC=com");
	assert_same("cn=a\\+b,dc=example", "cn=a\\2Bb,dc=example");
	assert_same("cn=\\#hash,dc=example", "cn=\\23hash,dc=example");
}

static void
test_multivalued_rdn(void **state)
{
	(void)state;
	assert_same("cn=a+uid=b,dc=example,dc=com",
	    "uid=b+cn=a,dc=example,dc=com");
	/* empty values have no buffer: sorting them must not memcmp NULL
	 * (found by tests/fuzz/fuzz_dn; UBSan in the sanitizer suite) */
	assert_same("cn=x+cn=,dc=example,dc=com", "cn=+cn=x,dc=example,dc=com");
	assert_norm("cn=+cn=,dc=example,dc=com", "cn=+cn=,dc=example,dc=com");
}

static void
test_distinct(void **state)
{
	char *x = dn_normalize("cn=a,dc=example,dc=com");
	char *y = dn_normalize("cn=a,dc=example,dc=org");

	(void)state;
	assert_string_not_equal(x, y);
	free(x);
	free(y);
}

static void
test_invalid(void **state)
{
	(void)state;
	assert_null(dn_normalize("not a dn"));
	assert_null(dn_normalize("cn=x,,dc=y"));
	assert_null(dn_normalize("cn"));
	/* an empty BER value: libldap reads "s=#" before '+' or ',' but
	 * not at the end, so its normal form could not be read back
	 * (found by tests/fuzz/fuzz_dn) */
	assert_null(dn_normalize("s=#+d=,dc=example,dc=com"));
	assert_null(dn_normalize("sn=#,dc=example,dc=com"));
	assert_norm("sn=#04024869,dc=example,dc=com",
	    "sn=#04024869,dc=example,dc=com");
	assert_norm("", "");
}

static void
test_strip_uid(void **state)
{
	char *s;

	(void)state;
	s = dn_strip_uid("cn=x,dc=y#'0101'B");
	assert_string_equal(s, "cn=x,dc=y");
	free(s);
	s = dn_strip_uid("cn=x,dc=y");
	assert_string_equal(s, "cn=x,dc=y");
	free(s);
	s = dn_strip_uid("cn=x\\#'01'B,dc=y");
	assert_string_equal(s, "cn=x\\#'01'B,dc=y");
	free(s);
	s = dn_strip_uid("cn=x,dc=y#'012'B");
	assert_string_equal(s, "cn=x,dc=y#'012'B");
	free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_case_and_spaces),
		cmocka_unit_test(test_escapes),
		cmocka_unit_test(test_multivalued_rdn),
		cmocka_unit_test(test_distinct),
		cmocka_unit_test(test_invalid),
		cmocka_unit_test(test_strip_uid),
	};

	return cmocka_run_group_tests_name("dn", tests, NULL, NULL);
}
