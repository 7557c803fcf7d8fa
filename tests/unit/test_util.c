/* test_util.c - reading licsync's own files: regular files only, sizes
 * capped, secrets private, whole and without NUL bytes */
#include <errno.h>
#include <fcntl.h>
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

#include "util/util.h"

/* A private directory per test. */
struct fixture {
	char *dir;
};

static int
setup(void **state)
{
	const char *tmp = getenv("TMPDIR");
	struct fixture *f = xcalloc(1, sizeof(*f));

	if (tmp == NULL || *tmp == '\0')
		tmp = "/tmp";
	f->dir = xasprintf("%s/licsync-util-XXXXXX", tmp);
	if (mkdtemp(f->dir) == NULL)
		return -1;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	char *cmd = xasprintf("rm -rf '%s'", f->dir);

	assert_int_equal(system(cmd), 0);
	free(cmd);
	free(f->dir);
	free(f);
	return 0;
}

/* DIR/NAME holding N bytes of DATA, with MODE; returns its path. */
static char *
put(const struct fixture *f, const char *name, const void *data, size_t n,
    mode_t mode)
{
	char *path = xasprintf("%s/%s", f->dir, name);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, n), (ssize_t)n);
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
	return path;
}

/* A file of SIZE bytes of 'x' (sparse files read as NULs; not wanted). */
static char *
put_size(const struct fixture *f, const char *name, size_t size, mode_t mode)
{
	char *data = xmalloc(size + 1), *path;

	memset(data, 'x', size);
	path = put(f, name, data, size, mode);
	free(data);
	return path;
}

static void
expect_error(const char *path, const char *what, size_t max, unsigned flags,
    const char *want)
{
	struct err e = { "" };
	char *data = (char *)1;
	size_t len = 1;

	assert_int_equal(read_file(path, what, max, flags, &data, &len, &e),
	    EXIT_CONFIG);
	assert_null(data);
	assert_int_equal(len, 0);
	assert_string_equal(e.msg, want);
}

static void
test_read_whole(void **state)
{
	struct fixture *f = *state;
	char *path = put(f, "a.yaml", "a: 1\nb: 2\n", 10, 0644), *data;
	struct err e = { "" };
	size_t len;

	assert_int_equal(read_file(path, NULL, 100, 0, &data, &len, &e),
	    EXIT_OK);
	assert_int_equal(len, 10);
	assert_string_equal(data, "a: 1\nb: 2\n");
	free(data);
	free(path);
	/* an empty file reads as an empty string */
	path = put(f, "empty", "", 0, 0644);
	assert_int_equal(read_file(path, NULL, 100, 0, &data, &len, &e),
	    EXIT_OK);
	assert_int_equal(len, 0);
	assert_string_equal(data, "");
	free(data);
	free(path);
}

static void
test_size_cap(void **state)
{
	struct fixture *f = *state;
	char *path, *want, *data;
	struct err e = { "" };
	size_t len;

	/* exactly the cap is fine, one byte more is not */
	path = put_size(f, "cap", 4096, 0644);
	assert_int_equal(read_file(path, NULL, 4096, 0, &data, &len, &e),
	    EXIT_OK);
	assert_int_equal(len, 4096);
	free(data);
	want = xasprintf("%s: larger than 4095 bytes, the most licsync reads "
	    "of policy file", path);
	expect_error(path, "policy file", 4095, 0, want);
	free(want);
	free(path);
}

static void
test_not_regular(void **state)
{
	struct fixture *f = *state;
	char *fifo = xasprintf("%s/fifo", f->dir), *want, *secret = NULL;
	struct err e = { "" };

	/* a FIFO nobody writes to: refused at once, not waited on */
	assert_int_equal(mkfifo(fifo, 0600), 0);
	want = xasprintf("%s: not a regular file", fifo);
	expect_error(fifo, NULL, 1024, 0, want);
	free(want);
	expect_error("/dev/zero", NULL, 1024, 0,
	    "/dev/zero: not a regular file");
	want = xasprintf("%s: not a regular file", f->dir);
	expect_error(f->dir, NULL, 1024, 0, want);
	free(want);
	/* a secret in a FIFO: the same, before its mode is looked at */
	want = xasprintf("%s: not a regular file", fifo);
	assert_int_equal(read_secret_file(fifo, &secret, &e), EXIT_CONFIG);
	assert_null(secret);
	assert_string_equal(e.msg, want);
	free(want);
	free(fifo);
}

static void
test_missing(void **state)
{
	struct fixture *f = *state;
	char *path = xasprintf("%s/none", f->dir), *want;

	want = xasprintf("%s: No such file or directory", path);
	expect_error(path, NULL, 10, 0, want);
	free(want);
	want = xasprintf("%s: cannot open secret file: No such file or "
	    "directory", path);
	expect_error(path, "secret file", 10, RF_PRIVATE, want);
	free(want);
	free(path);
}

static void
test_private(void **state)
{
	struct fixture *f = *state;
	char *path = put(f, "s", "pw\n", 3, 0640), *link, *want;

	want = xasprintf("%s: secret file is accessible by group or others "
	    "(mode 0640); chmod 600 it", path);
	expect_error(path, "secret file", 100, RF_PRIVATE, want);
	free(want);
	assert_int_equal(chmod(path, 0600), 0);
	link = xasprintf("%s/link", f->dir);
	assert_int_equal(symlink(path, link), 0);
	want = xasprintf("%s: cannot open secret file: Too many levels of "
	    "symbolic links", link);
	expect_error(link, "secret file", 100, RF_PRIVATE, want);
	free(want);
	free(link);
	free(path);
}

static void
secret_ok(const struct fixture *f, const void *content, size_t n,
    const char *want)
{
	char *path = put(f, "secret", content, n, 0600), *s = NULL;
	struct err e = { "" };

	assert_int_equal(read_secret_file(path, &s, &e), EXIT_OK);
	assert_string_equal(s, want);
	free(s);
	free(path);
}

static void
secret_bad(const struct fixture *f, const void *content, size_t n,
    const char *msg)
{
	char *path = put(f, "secret", content, n, 0600), *s = (char *)1;
	char *want = xasprintf("%s: %s", path, msg);
	struct err e = { "" };

	assert_int_equal(read_secret_file(path, &s, &e), EXIT_CONFIG);
	assert_null(s);
	assert_string_equal(e.msg, want);
	free(want);
	free(path);
}

static void
test_secret(void **state)
{
	struct fixture *f = *state;
	size_t big = 20000, i;
	char *text = xmalloc(MAX_SECRET_FILE + 2);

	secret_ok(f, "s3cret\n", 7, "s3cret");
	secret_ok(f, "s3cret", 6, "s3cret");
	secret_ok(f, "s3cret\r\nsecond line\n", 20, "s3cret");
	secret_bad(f, "", 0, "secret file is empty");
	secret_bad(f, "\nrest\n", 6, "secret file is empty");
	/* a NUL would cut the secret short without anyone noticing */
	secret_bad(f, "abc\0def\n", 8, "the secret holds a NUL byte");
	/* a NUL after the first line is not part of the secret */
	secret_ok(f, "abc\n\0\n", 6, "abc");
	/* a secret longer than any fixed buffer arrives whole */
	for (i = 0; i < big; i++)
		text[i] = (char)('a' + i % 26);
	text[big] = '\0';
	{
		char *path = put(f, "long", text, big, 0600), *s = NULL;
		struct err e = { "" };

		assert_int_equal(read_secret_file(path, &s, &e), EXIT_OK);
		assert_int_equal(strlen(s), big);
		assert_memory_equal(s, text, big);
		free(s);
		free(path);
	}
	/* and one larger than the file cap is refused, not cut */
	memset(text, 'k', MAX_SECRET_FILE + 1);
	{
		char *path = put(f, "huge", text, MAX_SECRET_FILE + 1, 0600);
		char *want = xasprintf("%s: larger than %u bytes, the most "
		    "licsync reads of secret file", path, MAX_SECRET_FILE);
		struct err e = { "" };
		char *s = (char *)1;

		assert_int_equal(read_secret_file(path, &s, &e), EXIT_CONFIG);
		assert_null(s);
		assert_string_equal(e.msg, want);
		free(want);
		free(path);
	}
	free(text);
}

static void
test_hex(void **state)
{
	static const unsigned char bytes[] = { 0x00, 0x0f, 0xa5, 0xff };
	char hex[2 * sizeof(bytes) + 1];
	char sha[65];

	(void)state;
	memset(hex, 'x', sizeof(hex));
	hex_encode(bytes, sizeof(bytes), hex);
	assert_string_equal(hex, "000fa5ff");
	hex_encode(bytes, 0, hex);
	assert_string_equal(hex, "");
	sha256_hex("abc", 3, sha);
	assert_string_equal(sha, "ba7816bf8f01cfea414140de5dae2223"
	    "b00361a396177a9cb410ff61f20015ad");
}

/* Interned keys: folded, one id each, stable through growth. */
static void
test_intern(void **state)
{
	struct intern *in = intern_new();
	char key[64];
	uint32_t i, id;

	(void)state;
	assert_int_equal(intern_add(in, "Alice@Example.com"), 0);
	assert_int_equal(intern_add(in, "alice@example.COM"), 0);
	assert_string_equal(intern_str(in, 0), "alice@example.com");
	assert_false(intern_find(in, "bob@example.com", &id));
	/* many keys alike but for a few characters: through several
	 * growths, every id stays and every key finds its own */
	for (i = 0; i < 200000; i++) {
		snprintf(key, sizeof(key), "user%07u@example.com", i);
		assert_int_equal(intern_add(in, key), i + 1);
	}
	assert_int_equal(intern_count(in), 200001);
	for (i = 0; i < 200000; i += 997) {
		snprintf(key, sizeof(key), "USER%07u@EXAMPLE.COM", i);
		assert_true(intern_find(in, key, &id));
		assert_int_equal(id, i + 1);
		snprintf(key, sizeof(key), "user%07u@example.com", i);
		assert_string_equal(intern_str(in, id), key);
	}
	snprintf(key, sizeof(key), "user%07u@example.com", 200000u);
	assert_false(intern_find(in, key, &id));
	assert_true(intern_find(in, "ALICE@example.com", &id));
	assert_int_equal(id, 0);
	intern_free(in);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_read_whole, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_size_cap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_regular, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_missing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_private, setup, teardown),
		cmocka_unit_test_setup_teardown(test_secret, setup, teardown),
		cmocka_unit_test(test_hex),
		cmocka_unit_test(test_intern),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
