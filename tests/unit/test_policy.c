/* test_policy.c - license policies: values, directories, every error */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "conf/policy.h"
#include "yamltest.h"

#define SKU1 "6fd2c87f-b296-42f0-b197-1e91e994b900"
#define SKU2 "c7df2760-2c81-4ef7-b578-5b5392b571df"

/* Lines 1-4: a valid app 'a'.  Tests append keys to it or add apps. */
#define APP_A "apps:\n  a:\n    sku: " SKU1 "\n    groups: [cn=g]\n"

/* Load PATH for the shared error helpers: nothing may come back. */
static int
try_load(const char *path, struct err *e)
{
	struct policy *x = (struct policy *)&x;
	int r = policy_load(path, &x, e);

	assert_null(x);
	return r;
}

static void
check_error_at(const char *path, const char *msg)
{
	yt_error_at(try_load, path, msg);
}

static void
check_error(const char *yaml, const char *msg)
{
	yt_error(try_load, "policy", yaml, msg);
}

static void
check_cases(const struct ecase *cases, size_t n)
{
	yt_cases(try_load, "policy", cases, n);
}

static char *
make_dir(void)
{
	char *path = xasprintf("%s/licsync-policy-XXXXXX", yt_tmp_dir());

	assert_non_null(mkdtemp(path));
	return path;
}

/* Write DIR/NAME; returns the path, to be freed. */
static char *
dir_file(const char *dir, const char *name, const char *text)
{
	char *path = xasprintf("%s/%s", dir, name);

	yt_write_file(path, text);
	return path;
}

static struct policy *
load_path_ok(const char *path)
{
	struct policy *p = NULL;
	struct err e = { "" };

	if (policy_load(path, &p, &e) != EXIT_OK)
		fail_msg("%s", e.msg);
	assert_non_null(p);
	return p;
}

static struct policy *
load_ok(const char *yaml)
{
	char *path = yt_write_tmp("policy", yaml);
	struct policy *p = load_path_ok(path);

	unlink(path);
	free(path);
	return p;
}

/* The source tree: $top_srcdir, else found from this file's name. */
static char *
source_file(const char *rel)
{
	const char *top = getenv("top_srcdir");
	const char *me = __FILE__, *end = strstr(me, "tests/unit/");

	if (top != NULL && *top != '\0')
		return xasprintf("%s/%s", top, rel);
	if (end == NULL || end == me)
		return xstrdup(rel);
	return xasprintf("%.*s%s", (int)(end - me), me, rel);
}

/* ---- successful loads ---- */

static void
test_defaults(void **state)
{
	const struct app_policy *a;
	struct policy *p;
	char *path;

	(void)state;
	path = yt_write_tmp("policy", APP_A);
	p = load_path_ok(path);
	assert_int_equal(p->napps, 1);
	assert_int_equal(p->protected_users.n, 0);
	a = &p->apps[0];
	assert_string_equal(a->name, "a");
	assert_string_equal(a->sku, SKU1);
	assert_null(a->sku_part_number);
	assert_int_equal(a->groups.n, 1);
	assert_string_equal(a->groups.v[0], "cn=g");
	assert_int_equal(a->exclude_groups.n, 0);
	assert_int_equal(a->exclude_users.n, 0);
	assert_int_equal(a->seats, -1);
	assert_int_equal(a->remove, REMOVE_OWNED);
	assert_int_equal(a->grace, 0);
	assert_int_equal(a->disabled_plans.n, 0);
	assert_string_equal(a->file, path);
	assert_int_equal(a->line, 2);
	assert_int_equal(p->files.n, 1);
	assert_string_equal(p->files.v[0], path);
	policy_free(p);
	unlink(path);
	free(path);
}

static void
test_full(void **state)
{
	static const char yaml[] =
	    "protected_users: [breakglass@example.com, \"root@example.com\"]\n"
	    "apps:\n"
	    "  acme-crm:\n"
	    "    sku: 6FD2C87F-B296-42F0-B197-1E91E994B900\n"
	    "    groups:\n"
	    "      - cn=sales,ou=groups,dc=example,dc=com\n"
	    "      - \"CN=Sales EU, OU=Groups, DC=example, DC=com\"\n"
	    "    exclude_groups:\n"
	    "      [\"cn=contractors,ou=groups,dc=example,dc=com\"]\n"
	    "    exclude_users: [ceo@example.com]\n"
	    "    seats: 250\n"
	    "    remove: all\n"
	    "    grace: 72h\n"
	    "    disabled_plans: [C7DF2760-2C81-4EF7-B578-5B5392B571DF]\n"
	    "  other_app.v2:\n"
	    "    sku_part_number: ACME_CRM\n"
	    "    groups: [cn=x]\n"
	    "    seats: 0\n"
	    "    remove: never\n"
	    "  9z:\n"
	    "    groups: [cn=y]\n"
	    "    sku_part_number: OTHER\n";
	const struct app_policy *a;
	struct policy *p;

	(void)state;
	p = load_ok(yaml);
	assert_int_equal(p->protected_users.n, 2);
	assert_string_equal(p->protected_users.v[0], "breakglass@example.com");
	assert_string_equal(p->protected_users.v[1], "root@example.com");
	assert_int_equal(p->napps, 3);
	a = &p->apps[0];
	assert_string_equal(a->name, "acme-crm");
	assert_string_equal(a->sku, SKU1);
	assert_int_equal(a->groups.n, 2);
	assert_string_equal(a->groups.v[1],
	    "CN=Sales EU, OU=Groups, DC=example, DC=com");
	assert_string_equal(a->exclude_groups.v[0],
	    "cn=contractors,ou=groups,dc=example,dc=com");
	assert_string_equal(a->exclude_users.v[0], "ceo@example.com");
	assert_int_equal(a->seats, 250);
	assert_int_equal(a->remove, REMOVE_ALL);
	assert_int_equal(a->grace, 72 * 3600);
	assert_int_equal(a->disabled_plans.n, 1);
	assert_string_equal(a->disabled_plans.v[0], SKU2);
	assert_int_equal(a->line, 3);
	a = &p->apps[1];
	assert_string_equal(a->name, "other_app.v2");
	assert_null(a->sku);
	assert_string_equal(a->sku_part_number, "ACME_CRM");
	assert_int_equal(a->seats, 0);
	assert_int_equal(a->remove, REMOVE_NEVER);
	assert_int_equal(a->line, 15);
	assert_string_equal(p->apps[2].name, "9z");
	assert_int_equal(p->apps[2].line, 20);
	policy_free(p);
}

static void
test_sample(void **state)
{
	const struct app_policy *a;
	struct policy *p;
	char *path;

	(void)state;
	path = source_file("conf/policy.yaml");
	p = load_path_ok(path);
	assert_int_equal(p->napps, 1);
	assert_string_equal(p->protected_users.v[0], "breakglass@example.com");
	a = &p->apps[0];
	assert_string_equal(a->name, "acme-crm");
	assert_string_equal(a->sku, SKU1);
	assert_string_equal(a->groups.v[0],
	    "cn=sales,ou=groups,dc=example,dc=com");
	assert_int_equal(a->exclude_groups.n, 1);
	assert_string_equal(a->exclude_groups.v[0],
	    "cn=contractors,ou=groups,dc=example,dc=com");
	assert_string_equal(a->exclude_users.v[0], "ceo@example.com");
	assert_int_equal(a->remove, REMOVE_OWNED);
	assert_int_equal(a->disabled_plans.n, 0);
	assert_int_equal(a->seats, 250);
	assert_int_equal(a->grace, 259200);
	policy_free(p);
	free(path);
}

static void
test_grace(void **state)
{
	static const struct {
		const char *text;
		int64_t seconds;
	} ok[] = {
		{ "72h", 72 * 3600 },
		{ "7d", 7 * 86400 },
		{ "1d12h", 86400 + 12 * 3600 },
		{ "0", 0 },
		{ "\"0\"", 0 },
		{ "0s", 0 },
		{ "90m", 90 * 60 },
		{ "45s", 45 },
		{ "2w", 14 * 86400 },
		{ "1w2d3h4m5s", 7 * 86400 + 2 * 86400 + 3 * 3600 + 4 * 60 + 5 },
		{ "36h30m", 36 * 3600 + 30 * 60 },
		{ "007d", 7 * 86400 },
	};
	static const char *const bad[] = {
		"72", "h", "1x", "-1h", "+1h", "1.5h", "1h30", "1H", "1 h",
		"\"1h \"", "1d12", "00", "99999999999999999999s",
		"9999999999999999d", "P1D", "[72h]",
	};
	struct policy *p;
	struct buf yaml = { 0 }, want = { 0 };
	size_t i;

	(void)state;
	for (i = 0; i < NCASES(ok); i++) {
		buf_printf(&yaml, "%s    grace: %s\n", APP_A, ok[i].text);
		p = load_ok(yaml.data);
		assert_int_equal(p->apps[0].grace, ok[i].seconds);
		policy_free(p);
		buf_free(&yaml);
	}
	for (i = 0; i < NCASES(bad); i++) {
		buf_printf(&yaml, "%s    grace: %s\n", APP_A, bad[i]);
		buf_printf(&want, "FILE:5:12: '%s' must be %s\n"
		    "    grace: %s\n           ^", "grace", bad[i][0] == '[' ?
		    "a string" : "a duration like 72h, 7d or 1d12h", bad[i]);
		check_error(yaml.data, want.data);
		buf_free(&yaml);
		buf_free(&want);
	}
}

static void
test_guids(void **state)
{
	static const char *const ok[] = {
		SKU1, "6FD2C87F-B296-42F0-B197-1E91E994B900",
		"00000000-0000-0000-0000-000000000000",
		"\"abcdefab-cdef-abcd-efab-cdefabcdefab\"",
	};
	static const char *const bad[] = {
		"6fd2c87f-b296-42f0-b197-1e91e994b90",
		"6fd2c87f-b296-42f0-b197-1e91e994b9000",
		"6fd2c87fb29642f0b1971e91e994b900",
		"\"{6fd2c87f-b296-42f0-b197-1e91e994b900}\"",
		"6fd2c87f-b296-42f0-b197_1e91e994b900",
		"6fd2c87f-b296-42f0-b197-1e91e994b90g",
		"6fd2c87-fb296-42f0-b197-1e91e994b900",
		"ACME_CRM",
	};
	struct policy *p;
	struct buf yaml = { 0 }, want = { 0 };
	char *lower;
	size_t i;

	(void)state;
	for (i = 0; i < NCASES(ok); i++) {
		buf_printf(&yaml, "apps:\n  a:\n    sku: %s\n"
		    "    groups: [cn=g]\n    disabled_plans: [%s, %s]\n",
		    ok[i], ok[i], SKU2);
		p = load_ok(yaml.data);
		lower = xstrndup(ok[i] + (ok[i][0] == '"'), 36);
		str_lower(lower);
		assert_string_equal(p->apps[0].sku, lower);
		assert_string_equal(p->apps[0].disabled_plans.v[0], lower);
		assert_string_equal(p->apps[0].disabled_plans.v[1], SKU2);
		free(lower);
		policy_free(p);
		buf_free(&yaml);
	}
	for (i = 0; i < NCASES(bad); i++) {
		buf_printf(&yaml, "apps:\n  a:\n    sku: %s\n"
		    "    groups: [cn=g]\n", bad[i]);
		buf_printf(&want, "FILE:3:10: 'sku' must be a GUID\n"
		    "    sku: %s\n         ^", bad[i]);
		check_error(yaml.data, want.data);
		buf_free(&yaml);
		buf_free(&want);
		buf_printf(&yaml, "%s    disabled_plans:\n      - %s\n"
		    "      - %s\n", APP_A, SKU2, bad[i]);
		buf_printf(&want, "FILE:7:9: 'disabled_plans' must be a list "
		    "of GUIDs\n      - %s\n        ^", bad[i]);
		check_error(yaml.data, want.data);
		buf_free(&yaml);
		buf_free(&want);
	}
}

static void
test_remove_mode_name(void **state)
{
	(void)state;
	assert_string_equal(remove_mode_name(REMOVE_OWNED), "owned");
	assert_string_equal(remove_mode_name(REMOVE_ALL), "all");
	assert_string_equal(remove_mode_name(REMOVE_NEVER), "never");
}

/* ---- directories ---- */

struct tree {
	char *dir;
	struct strv paths;      /* to remove, deepest first when reversed */
};

static void
tree_add(struct tree *t, const char *name, const char *text)
{
	char *path = dir_file(t->dir, name, text);

	strv_push(&t->paths, path);
	free(path);
}

static void
tree_remove(struct tree *t)
{
	size_t i;

	for (i = t->paths.n; i > 0; i--)
		assert_int_equal(remove(t->paths.v[i - 1]), 0);
	assert_int_equal(rmdir(t->dir), 0);
	strv_free(&t->paths);
	free(t->dir);
}

static void
test_directory(void **state)
{
	static const char a[] =
	    "protected_users: [p1@example.com]\n"
	    "apps:\n"
	    "  acme-crm:\n"
	    "    sku: " SKU1 "\n"
	    "    groups: [cn=a]\n";
	static const char b[] =
	    "# only users here\n"
	    "protected_users: [p2@example.com]\n";
	static const char c[] =
	    "apps:\n"
	    "  beta:\n"
	    "    sku: " SKU2 "\n"
	    "    groups: [cn=b]\n"
	    "  gamma:\n"
	    "    sku_part_number: GAMMA\n"
	    "    groups: [cn=c]\n";
	struct tree t = { make_dir(), { 0 } };
	struct policy *p;
	char *sub, *want;

	(void)state;
	tree_add(&t, "20-b.yaml", b);
	tree_add(&t, "10-a.yaml", a);
	tree_add(&t, "30-c.yaml", c);
	tree_add(&t, ".hidden.yaml", "not: [valid");
	tree_add(&t, "README", "not yaml");
	tree_add(&t, "old.yml", "not: [valid");
	tree_add(&t, "x.yaml~", "not: [valid");
	sub = xasprintf("%s/sub.yaml", t.dir);
	assert_int_equal(mkdir(sub, 0700), 0);
	p = load_path_ok(t.dir);
	assert_int_equal(p->files.n, 3);
	want = xasprintf("%s/10-a.yaml", t.dir);
	assert_string_equal(p->files.v[0], want);
	assert_string_equal(p->apps[0].file, want);
	free(want);
	want = xasprintf("%s/20-b.yaml", t.dir);
	assert_string_equal(p->files.v[1], want);
	free(want);
	want = xasprintf("%s/30-c.yaml", t.dir);
	assert_string_equal(p->files.v[2], want);
	assert_string_equal(p->apps[1].file, want);
	assert_string_equal(p->apps[2].file, want);
	free(want);
	assert_int_equal(p->protected_users.n, 2);
	assert_string_equal(p->protected_users.v[0], "p1@example.com");
	assert_string_equal(p->protected_users.v[1], "p2@example.com");
	assert_int_equal(p->napps, 3);
	assert_string_equal(p->apps[0].name, "acme-crm");
	assert_int_equal(p->apps[0].line, 3);
	assert_string_equal(p->apps[1].name, "beta");
	assert_int_equal(p->apps[1].line, 2);
	assert_string_equal(p->apps[2].name, "gamma");
	assert_int_equal(p->apps[2].line, 5);
	policy_free(p);
	/* A trailing slash does not double the separator. */
	want = xasprintf("%s/", t.dir);
	p = load_path_ok(want);
	assert_non_null(strstr(p->files.v[0], "/10-a.yaml"));
	assert_null(strstr(p->files.v[0], "//"));
	policy_free(p);
	free(want);
	assert_int_equal(rmdir(sub), 0);
	free(sub);
	tree_remove(&t);
}

static void
test_directory_errors(void **state)
{
	static const char a[] =
	    "apps:\n"
	    "  acme-crm:\n"
	    "    sku: " SKU1 "\n"
	    "    groups: [cn=a]\n";
	static const char dup[] =
	    "# again\n"
	    "apps:\n"
	    "  acme-crm:\n"
	    "    sku: " SKU2 "\n"
	    "    groups: [cn=a]\n";
	static const char same_sku[] =
	    "apps:\n"
	    "  other:\n"
	    "    groups: [cn=a]\n"
	    "    sku: " SKU1 "\n";
	struct tree t = { make_dir(), { 0 } };
	char *msg, *f1, *f2;

	(void)state;
	msg = xasprintf("%s: no *.yaml policy files", t.dir);
	check_error_at(t.dir, msg);
	tree_add(&t, ".a.yaml", a);
	tree_add(&t, "a.yml", a);
	check_error_at(t.dir, msg);
	free(msg);
	tree_add(&t, "a.yaml", "protected_users: [x]\n");
	msg = xasprintf("%s: no apps defined in any of its 1 policy file",
	    t.dir);
	check_error_at(t.dir, msg);
	free(msg);
	tree_remove(&t);

	t.dir = make_dir();
	tree_add(&t, "1.yaml", a);
	tree_add(&t, "2.yaml", dup);
	f1 = xasprintf("%s/1.yaml", t.dir);
	f2 = xasprintf("%s/2.yaml", t.dir);
	msg = xasprintf("%s:3:3: app 'acme-crm' already defined at %s:2\n"
	    "  acme-crm:\n  ^", f2, f1);
	check_error_at(t.dir, msg);
	free(msg);
	yt_write_file(f2, same_sku);
	msg = xasprintf("%s:4:10: app 'other' uses the same sku as app "
	    "'acme-crm'\n    sku: " SKU1 "\n         ^", f2);
	check_error_at(t.dir, msg);
	free(msg);
	yt_write_file(f2, "apps: [x]\n");
	msg = xasprintf("%s:1:7: 'apps' must be a mapping\napps: [x]\n"
	    "      ^", f2);
	check_error_at(t.dir, msg);
	free(msg);
	free(f1);
	free(f2);
	tree_remove(&t);
}

static void
test_not_found(void **state)
{
	char *path, *msg;

	(void)state;
	path = yt_write_tmp("policy", "");
	unlink(path);
	msg = xasprintf("%s: No such file or directory", path);
	check_error_at(path, msg);
	free(msg);
	free(path);
}

/* ---- hash ---- */

static void
add_part(struct buf *b, const char *name, const char *content)
{
	buf_add(b, name, strlen(name) + 1);
	buf_addstr(b, content);
}

static void
test_hash(void **state)
{
	static const char a[] = APP_A;
	static const char b[] = "protected_users: [x]\n";
	struct tree t = { make_dir(), { 0 } };
	struct buf want = { 0 };
	char hex[65], expect[65];
	struct policy *p;
	struct err e = { "" };

	(void)state;
	tree_add(&t, "b.yaml", b);
	tree_add(&t, "a.yaml", a);
	p = load_path_ok(t.dir);
	assert_int_equal(policy_hash(p, hex, &e), EXIT_OK);
	add_part(&want, "a.yaml", a);
	add_part(&want, "b.yaml", b);
	sha256_hex(want.data, want.len, expect);
	assert_string_equal(hex, expect);
	assert_int_equal(strlen(hex), 64);
	policy_free(p);
	buf_free(&want);

	/* One file: its base name, a NUL, its content. */
	p = load_path_ok(t.paths.v[1]);
	assert_int_equal(policy_hash(p, hex, &e), EXIT_OK);
	add_part(&want, "a.yaml", a);
	sha256_hex(want.data, want.len, expect);
	assert_string_equal(hex, expect);
	buf_free(&want);

	/* The hash names what was parsed, even if the file changes since. */
	yt_write_file(t.paths.v[1], b);
	assert_int_equal(policy_hash(p, hex, &e), EXIT_OK);
	assert_string_equal(hex, expect);
	policy_free(p);
	yt_write_file(t.paths.v[1], a);
	tree_remove(&t);
}

/* ---- errors ---- */

static void
test_top_level_errors(void **state)
{
	static const struct ecase cases[] = {
		{ "", "FILE:1:1: the file must be a mapping" },
		{ "- a\n",
		  "FILE:1:1: the file must be a mapping\n"
		  "- a\n"
		  "^" },
		{ "apps: {}\n", "FILE:1:7: no apps defined\n"
		  "apps: {}\n"
		  "      ^" },
		{ "protected_users: []\n",
		  "FILE:1:1: no apps defined: the file has no 'apps'\n"
		  "protected_users: []\n"
		  "^" },
		{ "# the apps\napps: {}\n", "FILE:2:7: no apps defined\n"
		  "apps: {}\n"
		  "      ^" },
		{ "app:\n  a: {}\n",
		  "FILE:1:1: unknown key 'app' (did you mean 'apps'?)\n"
		  "app:\n"
		  "^" },
		{ "protected_user: []\n",
		  "FILE:1:1: unknown key 'protected_user' (did you mean "
		  "'protected_users'?)\n"
		  "protected_user: []\n"
		  "^" },
		{ "users: []\n",
		  "FILE:1:1: unknown key 'users'\n"
		  "users: []\n"
		  "^" },
		{ "apps:\n  - a\n",
		  "FILE:2:3: 'apps' must be a mapping\n"
		  "  - a\n"
		  "  ^" },
		{ "protected_users: x@example.com\n",
		  "FILE:1:18: 'protected_users' must be a list\n"
		  "protected_users: x@example.com\n"
		  "                 ^" },
		{ "protected_users: [a, [b]]\n",
		  "FILE:1:22: 'protected_users' must be a list of strings\n"
		  "protected_users: [a, [b]]\n"
		  "                     ^" },
		{ "protected_users: [a, ~]\n",
		  "FILE:1:22: 'protected_users' must be a list of strings\n"
		  "protected_users: [a, ~]\n"
		  "                     ^" },
		{ "protected_users: [a, \"\"]\n",
		  "FILE:1:22: 'protected_users' must not contain empty "
		  "strings\n"
		  "protected_users: [a, \"\"]\n"
		  "                     ^" },
		{ APP_A "protected_users: &p [a]\n",
		  "FILE:5:18: anchors are not allowed\n"
		  "protected_users: &p [a]\n"
		  "                 ^" },
		{ APP_A "apps: {}\n",
		  "FILE:5:1: duplicate key 'apps' (first at line 1)\n"
		  "apps: {}\n"
		  "^" },
		{ "apps:\n  a:\n    sku: x\n   groups: []\n",
		  "FILE:4:4: YAML syntax error: did not find expected key "
		  "(while parsing a block mapping)\n"
		  "   groups: []\n"
		  "   ^" },
	};

	(void)state;
	check_cases(cases, NCASES(cases));
}

static void
test_app_errors(void **state)
{
	static const struct ecase cases[] = {
		{ "apps:\n  Acme:\n    sku: " SKU1 "\n",
		  "FILE:2:3: invalid app name 'Acme': use lower-case letters, "
		  "digits, '.', '_' and '-'\n"
		  "  Acme:\n"
		  "  ^" },
		{ "apps:\n  -acme: {}\n",
		  "FILE:2:3: invalid app name '-acme': use lower-case letters, "
		  "digits, '.', '_' and '-'\n"
		  "  -acme: {}\n"
		  "  ^" },
		{ "apps:\n  \"acme crm\": {}\n",
		  "FILE:2:3: invalid app name 'acme crm': use lower-case "
		  "letters, digits, '.', '_' and '-'\n"
		  "  \"acme crm\": {}\n"
		  "  ^" },
		{ "apps:\n  \"\": {}\n",
		  "FILE:2:3: invalid app name '': use lower-case letters, "
		  "digits, '.', '_' and '-'\n"
		  "  \"\": {}\n"
		  "  ^" },
		{ "apps:\n  ? [a]\n  : {}\n",
		  "FILE:2:5: mapping keys must be strings\n"
		  "  ? [a]\n"
		  "    ^" },
		{ APP_A "  a:\n    sku: " SKU2 "\n",
		  "FILE:5:3: duplicate key 'a' (first at line 2)\n"
		  "  a:\n"
		  "  ^" },
		{ "apps:\n  a: " SKU1 "\n",
		  "FILE:2:6: 'a' must be a mapping\n"
		  "  a: " SKU1 "\n"
		  "     ^" },
		{ "apps:\n  a:\n",
		  "FILE:2:5: 'a' must be a mapping\n"
		  "  a:\n"
		  "    ^" },
		{ "apps:\n  a:\n    groups: [cn=g]\n",
		  "FILE:3:5: app 'a' needs 'sku' or 'sku_part_number'\n"
		  "    groups: [cn=g]\n"
		  "    ^" },
		{ APP_A "    sku_part_number: X\n",
		  "FILE:3:5: app 'a' has both 'sku' and 'sku_part_number'\n"
		  "    sku: " SKU1 "\n"
		  "    ^" },
		{ "apps:\n  a:\n    sku: " SKU1 "\n",
		  "FILE:3:5: missing required key 'groups' in 'a'\n"
		  "    sku: " SKU1 "\n"
		  "    ^" },
		{ "apps:\n  a: {sku: " SKU1 "}\n",
		  "FILE:2:6: missing required key 'groups' in 'a'\n"
		  "  a: {sku: " SKU1 "}\n"
		  "     ^" },
		{ APP_A "  b:\n    sku: " SKU1 "\n    groups: [cn=h]\n",
		  "FILE:6:10: app 'b' uses the same sku as app 'a'\n"
		  "    sku: " SKU1 "\n"
		  "         ^" },
		{ APP_A "  b:\n    sku: 6FD2C87F-B296-42F0-B197-1E91E994B900\n",
		  "FILE:6:10: app 'b' uses the same sku as app 'a'\n"
		  "    sku: 6FD2C87F-B296-42F0-B197-1E91E994B900\n"
		  "         ^" },
		{ "apps:\n  a: {sku_part_number: X_Y, groups: [cn=g]}\n"
		  "  b: {sku_part_number: x_y, groups: [cn=g]}\n",
		  "FILE:3:24: app 'b' uses the same sku_part_number as "
		  "app 'a'\n"
		  "  b: {sku_part_number: x_y, groups: [cn=g]}\n"
		  "                       ^" },
		{ APP_A "    exlude_groups: [cn=x]\n",
		  "FILE:5:5: unknown key 'exlude_groups' (did you mean "
		  "'exclude_groups'?)\n"
		  "    exlude_groups: [cn=x]\n"
		  "    ^" },
		{ APP_A "    SKU: x\n",
		  "FILE:5:5: unknown key 'SKU' (did you mean 'sku'?)\n"
		  "    SKU: x\n"
		  "    ^" },
		{ APP_A "    members: [cn=x]\n",
		  "FILE:5:5: unknown key 'members'\n"
		  "    members: [cn=x]\n"
		  "    ^" },
		{ APP_A "    seats: 1\n    seats: 2\n",
		  "FILE:6:5: duplicate key 'seats' (first at line 5)\n"
		  "    seats: 2\n"
		  "    ^" },
	};

	(void)state;
	check_cases(cases, NCASES(cases));
}

static void
test_app_values(void **state)
{
	static const struct ecase cases[] = {
		{ "apps:\n  a:\n    sku: " SKU1 "\n    groups: []\n",
		  "FILE:4:13: 'groups' must not be empty\n"
		  "    groups: []\n"
		  "            ^" },
		{ "apps:\n  a:\n    sku: " SKU1 "\n    groups: cn=g\n",
		  "FILE:4:13: 'groups' must be a list\n"
		  "    groups: cn=g\n"
		  "            ^" },
		{ "apps:\n  a:\n    sku: " SKU1 "\n    groups:\n"
		  "      - cn=g\n      - [cn=h]\n",
		  "FILE:6:9: 'groups' must be a list of strings\n"
		  "      - [cn=h]\n"
		  "        ^" },
		{ "apps:\n  a:\n    sku: " SKU1 "\n    groups:\n"
		  "      - cn=g\n      - \"cn=x,,\"\n",
		  "FILE:6:9: invalid DN 'cn=x,,': Decoding error\n"
		  "      - \"cn=x,,\"\n"
		  "        ^" },
		{ "apps:\n  a:\n    sku: " SKU1 "\n    groups:\n"
		  "      - sales\n",
		  "FILE:5:9: invalid DN 'sales': Decoding error\n"
		  "      - sales\n"
		  "        ^" },
		{ "apps:\n  a:\n    sku: " SKU1 "\n    groups: [\"\"]\n",
		  "FILE:4:14: 'groups' must not contain empty strings\n"
		  "    groups: [\"\"]\n"
		  "             ^" },
		{ APP_A "    exclude_groups: [cn=ok, \"cn=x,,\"]\n",
		  "FILE:5:29: invalid DN 'cn=x,,': Decoding error\n"
		  "    exclude_groups: [cn=ok, \"cn=x,,\"]\n"
		  "                            ^" },
		{ APP_A
		  "    exclude_groups: [cn=contractors,ou=groups, cn=x]\n",
		  "FILE:5:22: DN split at ',' after 'cn=contractors': quote "
		  "DNs inside [ ] or { }\n"
		  "    exclude_groups: [cn=contractors,ou=groups, cn=x]\n"
		  "                     ^" },
		{ APP_A "    exclude_groups: cn=x\n",
		  "FILE:5:21: 'exclude_groups' must be a list\n"
		  "    exclude_groups: cn=x\n"
		  "                    ^" },
		{ APP_A "    exclude_users: [{a: b}]\n",
		  "FILE:5:21: 'exclude_users' must be a list of strings\n"
		  "    exclude_users: [{a: b}]\n"
		  "                    ^" },
		{ APP_A "    exclude_users: ceo@example.com\n",
		  "FILE:5:20: 'exclude_users' must be a list\n"
		  "    exclude_users: ceo@example.com\n"
		  "                   ^" },
		{ APP_A "    seats: -1\n",
		  "FILE:5:12: 'seats' must be 0 or more\n"
		  "    seats: -1\n"
		  "           ^" },
		{ APP_A "    seats: \"10\"\n",
		  "FILE:5:12: 'seats' must be an integer or 'unlimited'\n"
		  "    seats: \"10\"\n"
		  "           ^" },
		{ APP_A "    seats: ten\n",
		  "FILE:5:12: 'seats' must be an integer or 'unlimited'\n"
		  "    seats: ten\n"
		  "           ^" },
		{ APP_A "    remove: some\n",
		  "FILE:5:13: 'remove' must be 'owned', 'all' or 'never'\n"
		  "    remove: some\n"
		  "            ^" },
		{ APP_A "    remove: Owned\n",
		  "FILE:5:13: 'remove' must be 'owned', 'all' or 'never'\n"
		  "    remove: Owned\n"
		  "            ^" },
		{ APP_A "    remove: true\n",
		  "FILE:5:13: 'remove' must be 'owned', 'all' or 'never'\n"
		  "    remove: true\n"
		  "            ^" },
		{ APP_A "    disabled_plans: " SKU2 "\n",
		  "FILE:5:21: 'disabled_plans' must be a list\n"
		  "    disabled_plans: " SKU2 "\n"
		  "                    ^" },
		{ APP_A "    sku_part_number: [X]\n",
		  "FILE:5:22: 'sku_part_number' must be a string\n"
		  "    sku_part_number: [X]\n"
		  "                     ^" },
		{ "apps:\n  a:\n    sku:\n    groups: [cn=g]\n",
		  "FILE:3:9: 'sku' must be a string\n"
		  "    sku:\n"
		  "        ^" },
		{ APP_A "    grace: \"\"\n",
		  "FILE:5:12: 'grace' must not be empty\n"
		  "    grace: \"\"\n"
		  "           ^" },
	};

	(void)state;
	check_cases(cases, NCASES(cases));
}

/* Apps of other backends: a SCIM group, the backend's only license,
 * seats unlimited. */
static void
test_vendor_apps(void **state)
{
	static const char yaml[] =
	    "apps:\n"
	    "  jira:\n"
	    "    backend: atlassian\n"
	    "    scim_group: Jira Users\n"
	    "    groups: [cn=x]\n"
	    "    seats: 50\n"
	    "  slack:\n"
	    "    backend: slack\n"
	    "    groups: [cn=y]\n"
	    "    seats: unlimited\n"
	    "  crm:\n"
	    "    sku: " SKU1 "\n"
	    "    groups: [cn=z]\n";
	const char *value;
	struct policy *p;

	(void)state;
	p = load_ok(yaml);
	assert_string_equal(p->apps[0].backend, "atlassian");
	assert_string_equal(p->apps[0].scim_group, "Jira Users");
	assert_int_equal(p->apps[0].seats, 50);
	assert_true(p->apps[0].seats_set);
	assert_string_equal(policy_license_key(&p->apps[0], &value),
	    "scim_group");
	assert_string_equal(value, "Jira Users");
	assert_int_equal(p->apps[0].line, 2);
	assert_int_equal(p->apps[0].col, 3);
	assert_string_equal(p->apps[1].backend, "slack");
	assert_null(policy_license_key(&p->apps[1], &value));
	assert_null(value);
	assert_int_equal(p->apps[1].seats, -1);
	assert_true(p->apps[1].seats_set);
	assert_null(p->apps[2].backend);
	assert_false(p->apps[2].seats_set);
	assert_string_equal(policy_license_key(&p->apps[2], &value), "sku");
	assert_string_equal(value, SKU1);
	policy_free(p);
}

static void
test_vendor_errors(void **state)
{
	static const struct ecase cases[] = {
		{ "apps:\n  a:\n    groups: [cn=g]\n    seats: 1\n",
		  "FILE:3:5: app 'a' needs 'sku' or 'sku_part_number'\n"
		  "    groups: [cn=g]\n"
		  "    ^" },
		{ APP_A "    scim_group: Jira\n",
		  "FILE:3:5: app 'a' names its license twice: give one of "
		  "'sku', 'sku_part_number' and 'scim_group'\n"
		  "    sku: " SKU1 "\n"
		  "    ^" },
		{ APP_A "    backend: Slack\n",
		  "FILE:5:14: 'backend' must name a backend of licsync.conf\n"
		  "    backend: Slack\n"
		  "             ^" },
		{ APP_A "    seats: [1]\n",
		  "FILE:5:12: 'seats' must be an integer or 'unlimited'\n"
		  "    seats: [1]\n"
		  "           ^" },
	};

	(void)state;
	check_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_vendor_apps),
		cmocka_unit_test(test_vendor_errors),
		cmocka_unit_test(test_sample),
		cmocka_unit_test(test_grace),
		cmocka_unit_test(test_guids),
		cmocka_unit_test(test_remove_mode_name),
		cmocka_unit_test(test_directory),
		cmocka_unit_test(test_directory_errors),
		cmocka_unit_test(test_not_found),
		cmocka_unit_test(test_hash),
		cmocka_unit_test(test_top_level_errors),
		cmocka_unit_test(test_app_errors),
		cmocka_unit_test(test_app_values),
	};

	/* make check runs these under the TAP driver. */
	setenv("CMOCKA_MESSAGE_OUTPUT", "TAP", 0);
	return cmocka_run_group_tests_name("policy", tests, NULL, NULL);
}
