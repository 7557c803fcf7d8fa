/* yamltest.c - helpers shared by the config and policy parser tests */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "yamltest.h"

const char *
yt_tmp_dir(void)
{
	const char *t = getenv("TMPDIR");

	return t != NULL && *t != '\0' ? t : "/tmp";
}

void
yt_write_file(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	assert_int_equal(fputs(text, fp) >= 0, 1);
	assert_int_equal(fclose(fp), 0);
}

char *
yt_write_tmp(const char *prefix, const char *text)
{
	char *path = xasprintf("%s/licsync-%s-XXXXXX", yt_tmp_dir(), prefix);
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	close(fd);
	yt_write_file(path, text);
	return path;
}

char *
yt_expand(const char *s, const char *path)
{
	struct buf b = { 0 };
	const char *hit;

	buf_add(&b, "", 0);
	for (hit = strstr(s, "FILE"); hit != NULL; hit = strstr(s, "FILE")) {
		buf_add(&b, s, (size_t)(hit - s));
		buf_addstr(&b, path);
		s = hit + 4;
	}
	buf_addstr(&b, s);
	return b.data;
}

void
yt_error_at(yt_load_fn load, const char *path, const char *msg)
{
	struct err e = { "" };
	char *want = yt_expand(msg, path);

	assert_int_equal(load(path, &e), EXIT_CONFIG);
	assert_string_equal(e.msg, want);
	free(want);
}

void
yt_error(yt_load_fn load, const char *prefix, const char *yaml,
    const char *msg)
{
	char *path = yt_write_tmp(prefix, yaml);

	yt_error_at(load, path, msg);
	unlink(path);
	free(path);
}

void
yt_cases(yt_load_fn load, const char *prefix, const struct ecase *cases,
    size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		yt_error(load, prefix, cases[i].yaml, cases[i].msg);
}
