/* yamltest.h - helpers shared by the config and policy parser tests */
#ifndef LICSYNC_YAMLTEST_H
#define LICSYNC_YAMLTEST_H

#include <stddef.h>

#include "util/util.h"

/* An input and the exact error it must give. */
struct ecase {
	const char *yaml;
	const char *msg;        /* "FILE" stands for the file's name */
};

#define NCASES(a) (sizeof(a) / sizeof((a)[0]))

/* Load PATH, assert nothing was returned, and give the exit code. */
typedef int (*yt_load_fn)(const char *path, struct err *e);

const char *yt_tmp_dir(void);
void yt_write_file(const char *path, const char *text);
/* TEXT in a new temporary file named licsync-PREFIX-XXXXXX; free it. */
char *yt_write_tmp(const char *prefix, const char *text);
/* S with every "FILE" replaced by PATH; free it. */
char *yt_expand(const char *s, const char *path);
/* Loading PATH fails with EXIT_CONFIG and exactly MSG. */
void yt_error_at(yt_load_fn load, const char *path, const char *msg);
/* The same for YAML written to a temporary file. */
void yt_error(yt_load_fn load, const char *prefix, const char *yaml,
    const char *msg);
void yt_cases(yt_load_fn load, const char *prefix, const struct ecase *cases,
    size_t n);

#endif
