/* yamlwalk.h - table-driven walk over YAML mappings, with positioned errors */
#ifndef LICSYNC_YAMLWALK_H
#define LICSYNC_YAMLWALK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <yaml.h>

#include "util/util.h"

/* What a key's value must be; the walker checks it before the handler. */
enum yw_type {
	YW_STRING,              /* a scalar that is not null nor empty */
	YW_BOOL,                /* plain true or false */
	YW_INT,                 /* a plain decimal integer */
	YW_LIST,                /* a sequence */
	YW_MAP,                 /* a mapping */
	YW_ANY,                 /* anything: the handler checks */
};

#define YW_REQUIRED 0x1u

struct yw;
struct yw_key;

/* Called with the object given to yw_walk(); the key's field is at
 * YW_FIELD(obj, k, type).  Returns EXIT_OK or EXIT_CONFIG. */
typedef int (*yw_handler)(struct yw *y, const struct yw_key *k,
    yaml_node_t *value, void *obj, struct err *e);

/* One entry of a *_keys[] table, ended by an entry whose name is NULL. */
struct yw_key {
	const char *name;
	enum yw_type type;
	yw_handler handler;     /* NULL: store a YW_STRING or YW_BOOL */
	size_t offset;          /* of the field in the object */
	unsigned flags;         /* YW_REQUIRED */
};

#define YW_FIELD(obj, k, type) ((type *)(void *)((char *)(obj) + (k)->offset))

/* One parsed file. */
struct yw {
	const char *file;       /* the name used in messages */
	char *text;             /* the file's content, for quoting lines */
	size_t len;
	yaml_document_t doc;
	bool loaded;
	void *user;             /* the caller's context, for handlers */
};

/* Read FILE, refuse anchors, aliases, tags and more than one document, and
 * load it; the top node must be a mapping.  yw_close() must be called in
 * every case. */
int yw_open(struct yw *y, const char *file, struct err *e);
void yw_close(struct yw *y);
yaml_node_t *yw_root(struct yw *y);
yaml_node_t *yw_node(struct yw *y, int index);

/* Read a whole file, at most MAX_YAML_FILE bytes of a regular file;
 * errors read "FILE: reason". */
int yw_read_file(const char *path, struct buf *b, struct err *e);

/*
 * Set e to "FILE:LINE:COL: message", the source line and a caret under the
 * column (the last two when the line exists).  Returns EXIT_CONFIG.
 */
int yw_error(struct yw *y, yaml_mark_t mark, struct err *e,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/*
 * Walk MAP with the table KEYS: unknown keys (with a suggestion), duplicate
 * keys, wrong types and missing required keys are errors.  WHERE names the
 * mapping in "missing required key 'x' in 'WHERE'"; NULL at the top.
 */
int yw_walk(struct yw *y, yaml_node_t *map, const struct yw_key *keys,
    void *obj, const char *where, struct err *e);

/* Call FN for each pair of MAP, whose keys must be distinct strings. */
typedef int (*yw_pair_fn)(struct yw *y, yaml_node_t *key, yaml_node_t *value,
    void *arg, struct err *e);
int yw_pairs(struct yw *y, yaml_node_t *map, yw_pair_fn fn, void *arg,
    struct err *e);

/* The value of KEY in MAP, or NULL. */
yaml_node_t *yw_lookup(struct yw *y, yaml_node_t *map, const char *key);

/* A scalar's value (never NULL for a scalar node). */
const char *yw_str(const yaml_node_t *n);
bool yw_is_null(const yaml_node_t *n);
/* A name of an app or a backend: [a-z0-9][a-z0-9._-]*. */
bool yw_name_ok(const char *s);
/* A plain decimal integer; false when it is not one or overflows. */
bool yw_long(const yaml_node_t *n, long *out);

/* A duration in seconds: "0", or one or more <digits><unit> with the units
 * s, m, h, d and w (72h, 7d, 1d12h, 90m); false when it is not one or
 * overflows. */
bool yw_duration(const char *s, int64_t *out);

/* Handler for a struct limit: a count (plain integer) or "N%". */
int yw_limit(struct yw *y, const struct yw_key *k, yaml_node_t *v, void *obj,
    struct err *e);

/* Each item of LIST (the value of key K) must be a non-empty string; each
 * is checked by CHECK when not NULL, then added to OUT. */
typedef int (*yw_item_check)(struct yw *y, const struct yw_key *k,
    yaml_node_t *item, struct err *e);
int yw_strings(struct yw *y, const struct yw_key *k, yaml_node_t *list,
    yw_item_check check, struct strv *out, struct err *e);

/* "invalid DN 'x': reason" unless N is an LDAPv3 DN. */
int yw_check_dn(struct yw *y, yaml_node_t *n, struct err *e);

/* Print S as a YAML scalar, double-quoted unless it is safe plain. */
void yw_print_scalar(FILE *fp, const char *s);

#endif
