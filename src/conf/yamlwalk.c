/* yamlwalk.c - table-driven walk over YAML mappings, with positioned errors */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ldap.h>

#include "conf/yamlwalk.h"

int
yw_read_file(const char *path, struct buf *b, struct err *e)
{
	char *data;
	size_t len;
	int r;

	r = read_file(path, NULL, MAX_YAML_FILE, 0, &data, &len, e);
	if (r != EXIT_OK)
		return r;
	buf_free(b);
	b->data = data;
	b->len = len;
	b->cap = len + 1;
	return EXIT_OK;
}

/* Find line LINE (0-based) of the text; false when the file has no such
 * line.  A final newline does not start a line. */
static bool
find_line(const struct yw *y, size_t line, const char **start, size_t *len)
{
	const char *p = y->text, *end = y->text + y->len, *nl;
	size_t i;

	for (i = 0; i < line; i++) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			return false;
		p = nl + 1;
	}
	if (p >= end)
		return false;
	nl = memchr(p, '\n', (size_t)(end - p));
	*start = p;
	*len = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
	if (*len > 0 && p[*len - 1] == '\r')
		(*len)--;
	return true;
}

int
yw_error(struct yw *y, yaml_mark_t mark, struct err *e, const char *fmt, ...)
{
	struct buf b = { 0 };
	char msg[2048];
	const char *line;
	size_t len, i;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	buf_printf(&b, "%s:%zu:%zu: %s", y->file, mark.line + 1,
	    mark.column + 1, msg);
	if (y->text != NULL && find_line(y, mark.line, &line, &len)) {
		buf_addstr(&b, "\n");
		buf_add(&b, line, len);
		buf_addstr(&b, "\n");
		for (i = 0; i < mark.column; i++)
			buf_addstr(&b, " ");
		buf_addstr(&b, "^");
	}
	err_set(e, "%s", b.data);
	buf_free(&b);
	return EXIT_CONFIG;
}

/* The position of a byte offset, for reader errors that give no mark. */
static yaml_mark_t
offset_mark(const struct yw *y, size_t off)
{
	yaml_mark_t m = { 0, 0, 0 };
	size_t i;

	for (i = 0; i < off && i < y->len; i++) {
		if (y->text[i] == '\n') {
			m.line++;
			m.column = 0;
		} else if (((unsigned char)y->text[i] & 0xc0) != 0x80) {
			m.column++;
		}
	}
	m.index = off;
	return m;
}

static int
syntax_error(struct yw *y, const yaml_parser_t *p, struct err *e)
{
	const char *problem = p->problem != NULL ? p->problem : "out of memory";
	yaml_mark_t mark = p->problem_mark;

	if (p->error == YAML_READER_ERROR)
		mark = offset_mark(y, p->problem_offset);
	if (p->context != NULL)
		return yw_error(y, mark, e, "YAML syntax error: %s (%s)",
		    problem, p->context);
	return yw_error(y, mark, e, "YAML syntax error: %s", problem);
}

/* Refuse what licsync's files never need and what hides their meaning. */
static int
check_event(struct yw *y, const yaml_event_t *ev, int *docs, struct err *e)
{
	const yaml_char_t *anchor = NULL, *tag = NULL;

	switch (ev->type) {
	case YAML_DOCUMENT_START_EVENT:
		if (++*docs > 1)
			return yw_error(y, ev->start_mark, e,
			    "only one YAML document is allowed");
		return EXIT_OK;
	case YAML_ALIAS_EVENT:
		return yw_error(y, ev->start_mark, e,
		    "aliases are not allowed");
	case YAML_SCALAR_EVENT:
		anchor = ev->data.scalar.anchor;
		tag = ev->data.scalar.tag;
		break;
	case YAML_SEQUENCE_START_EVENT:
		anchor = ev->data.sequence_start.anchor;
		tag = ev->data.sequence_start.tag;
		break;
	case YAML_MAPPING_START_EVENT:
		anchor = ev->data.mapping_start.anchor;
		tag = ev->data.mapping_start.tag;
		break;
	default:
		return EXIT_OK;
	}
	if (anchor != NULL)
		return yw_error(y, ev->start_mark, e,
		    "anchors are not allowed");
	if (tag != NULL)
		return yw_error(y, ev->start_mark, e, "tags are not allowed");
	if (ev->type == YAML_SCALAR_EVENT && memchr(ev->data.scalar.value,
	    '\0', ev->data.scalar.length) != NULL)
		return yw_error(y, ev->start_mark, e,
		    "NUL characters are not allowed");
	return EXIT_OK;
}

static int
scan(struct yw *y, struct err *e)
{
	yaml_parser_t p;
	yaml_event_t ev;
	int r = EXIT_CONFIG, docs = 0;
	bool end = false;

	yaml_parser_initialize(&p);
	yaml_parser_set_input_string(&p, (const unsigned char *)y->text,
	    y->len);
	while (!end) {
		if (!yaml_parser_parse(&p, &ev)) {
			syntax_error(y, &p, e);
			goto out;
		}
		r = check_event(y, &ev, &docs, e);
		end = ev.type == YAML_STREAM_END_EVENT;
		yaml_event_delete(&ev);
		if (r != EXIT_OK)
			goto out;
	}
	r = EXIT_OK;
out:
	yaml_parser_delete(&p);
	return r;
}

static int
load(struct yw *y, struct err *e)
{
	yaml_parser_t p;
	int r = EXIT_OK;

	yaml_parser_initialize(&p);
	yaml_parser_set_input_string(&p, (const unsigned char *)y->text,
	    y->len);
	if (!yaml_parser_load(&p, &y->doc))
		r = syntax_error(y, &p, e);
	else
		y->loaded = true;
	yaml_parser_delete(&p);
	return r;
}

int
yw_open(struct yw *y, const char *file, struct err *e)
{
	struct buf b = { 0 };
	yaml_node_t *root;
	yaml_mark_t start = { 0, 0, 0 };
	int r;

	y->file = file;
	y->text = NULL;
	y->len = 0;
	y->loaded = false;
	r = yw_read_file(file, &b, e);
	if (r != EXIT_OK) {
		buf_free(&b);
		return r;
	}
	y->text = b.data;
	y->len = b.len;
	r = scan(y, e);
	if (r == EXIT_OK)
		r = load(y, e);
	if (r != EXIT_OK)
		return r;
	root = yw_root(y);
	if (root == NULL)
		return yw_error(y, start, e, "the file must be a mapping");
	if (root->type != YAML_MAPPING_NODE)
		return yw_error(y, root->start_mark, e,
		    "the file must be a mapping");
	return EXIT_OK;
}

void
yw_close(struct yw *y)
{
	if (y->loaded)
		yaml_document_delete(&y->doc);
	y->loaded = false;
	free(y->text);
	y->text = NULL;
	y->len = 0;
}

yaml_node_t *
yw_root(struct yw *y)
{
	if (!y->loaded)
		return NULL;
	return yaml_document_get_root_node(&y->doc);
}

yaml_node_t *
yw_node(struct yw *y, int index)
{
	return yaml_document_get_node(&y->doc, index);
}

const char *
yw_str(const yaml_node_t *n)
{
	if (n == NULL || n->type != YAML_SCALAR_NODE)
		return "";
	return (const char *)n->data.scalar.value;
}

static bool
is_plain(const yaml_node_t *n)
{
	return n->type == YAML_SCALAR_NODE &&
	    n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
}

bool
yw_name_ok(const char *s)
{
	static const char first[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	static const char rest[] = "abcdefghijklmnopqrstuvwxyz0123456789._-";

	return s[0] != '\0' && strchr(first, s[0]) != NULL &&
	    strspn(s, rest) == strlen(s);
}

bool
yw_is_null(const yaml_node_t *n)
{
	const char *s = yw_str(n);

	if (!is_plain(n))
		return false;
	return strcmp(s, "") == 0 || strcmp(s, "~") == 0 ||
	    strcmp(s, "null") == 0 || strcmp(s, "Null") == 0 ||
	    strcmp(s, "NULL") == 0;
}

static int
bool_value(const yaml_node_t *n)
{
	const char *s = yw_str(n);

	if (!is_plain(n))
		return -1;
	if (strcmp(s, "true") == 0 || strcmp(s, "True") == 0 ||
	    strcmp(s, "TRUE") == 0)
		return 1;
	if (strcmp(s, "false") == 0 || strcmp(s, "False") == 0 ||
	    strcmp(s, "FALSE") == 0)
		return 0;
	return -1;
}

/* A plain [-+]?[0-9]+, whatever its size. */
static bool
is_int(const yaml_node_t *n)
{
	const char *p = yw_str(n);

	if (!is_plain(n))
		return false;
	if (*p == '-' || *p == '+')
		p++;
	return *p != '\0' && strspn(p, "0123456789") == strlen(p);
}

bool
yw_long(const yaml_node_t *n, long *out)
{
	const char *s = yw_str(n);
	char *end;
	long v;

	if (!is_int(n))
		return false;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return false;
	*out = v;
	return true;
}

static int64_t
unit_seconds(char u)
{
	switch (u) {
	case 's':
		return 1;
	case 'm':
		return 60;
	case 'h':
		return 3600;
	case 'd':
		return 86400;
	case 'w':
		return 7 * 86400;
	}
	return 0;
}

bool
yw_duration(const char *s, int64_t *out)
{
	int64_t total = 0, n, unit;

	if (strcmp(s, "0") == 0) {
		*out = 0;
		return true;
	}
	if (*s == '\0')
		return false;
	while (*s != '\0') {
		if (*s < '0' || *s > '9')
			return false;
		for (n = 0; *s >= '0' && *s <= '9'; s++) {
			if (n > (INT64_MAX - 9) / 10)
				return false;
			n = n * 10 + (*s - '0');
		}
		unit = unit_seconds(*s);
		if (unit == 0 || n > (INT64_MAX - total) / unit)
			return false;
		total += n * unit;
		s++;
	}
	*out = total;
	return true;
}

/* ---- the walker ---- */

static size_t
min3(size_t a, size_t b, size_t c)
{
	size_t m = a < b ? a : b;

	return m < c ? m : c;
}

/* Levenshtein distance, capped: names longer than 64 are "far". */
static size_t
distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), row[65], i, j, diag, up;

	if (la > 64 || lb > 64)
		return SIZE_MAX;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		diag = row[0];
		row[0] = i;
		for (j = 1; j <= lb; j++) {
			up = row[j];
			row[j] = min3(row[j] + 1, row[j - 1] + 1,
			    diag + (a[i - 1] == b[j - 1] ? 0 : 1));
			diag = up;
		}
	}
	return row[lb];
}

/* The key of KEYS nearest to NAME, if near enough to be a typo. */
static const char *
suggest(const struct yw_key *keys, const char *name)
{
	const char *best = NULL;
	size_t d, bestd = 3;
	const struct yw_key *k;

	for (k = keys; k->name != NULL; k++) {
		if (str_ieq(k->name, name))
			return k->name;
		d = distance(k->name, name);
		if (d < bestd) {
			bestd = d;
			best = k->name;
		}
	}
	return best;
}

static const char *
type_name(enum yw_type t)
{
	switch (t) {
	case YW_STRING:
		return "a string";
	case YW_BOOL:
		return "true or false";
	case YW_INT:
		return "an integer";
	case YW_LIST:
		return "a list";
	case YW_MAP:
		return "a mapping";
	case YW_ANY:
		break;
	}
	return "a value";
}

static bool
type_ok(const yaml_node_t *n, enum yw_type t)
{
	switch (t) {
	case YW_STRING:
		return n->type == YAML_SCALAR_NODE && !yw_is_null(n);
	case YW_BOOL:
		return bool_value(n) >= 0;
	case YW_INT:
		return is_int(n);
	case YW_LIST:
		return n->type == YAML_SEQUENCE_NODE;
	case YW_MAP:
		return n->type == YAML_MAPPING_NODE;
	case YW_ANY:
		break;
	}
	return true;
}

static int
store(const struct yw_key *k, yaml_node_t *v, void *obj)
{
	char **sp;

	switch (k->type) {
	case YW_STRING:
		sp = YW_FIELD(obj, k, char *);
		free(*sp);
		*sp = xstrdup(yw_str(v));
		break;
	case YW_BOOL:
		*YW_FIELD(obj, k, bool) = bool_value(v) == 1;
		break;
	default:
		abort();        /* a table entry without its handler */
	}
	return EXIT_OK;
}

struct walk {
	const struct yw_key *keys;
	void *obj;
};

static int
walk_pair(struct yw *y, yaml_node_t *key, yaml_node_t *v, void *arg,
    struct err *e)
{
	const struct walk *w = arg;
	const char *name = yw_str(key), *near;
	const struct yw_key *k;

	for (k = w->keys; k->name != NULL; k++)
		if (strcmp(k->name, name) == 0)
			break;
	if (k->name == NULL) {
		near = suggest(w->keys, name);
		if (near != NULL)
			return yw_error(y, key->start_mark, e,
			    "unknown key '%s' (did you mean '%s'?)",
			    name, near);
		return yw_error(y, key->start_mark, e, "unknown key '%s'",
		    name);
	}
	if (!type_ok(v, k->type))
		return yw_error(y, v->start_mark, e, "'%s' must be %s",
		    k->name, type_name(k->type));
	if (k->type == YW_STRING && *yw_str(v) == '\0')
		return yw_error(y, v->start_mark, e,
		    "'%s' must not be empty", k->name);
	if (k->handler != NULL)
		return k->handler(y, k, v, w->obj, e);
	return store(k, v, w->obj);
}

int
yw_walk(struct yw *y, yaml_node_t *map, const struct yw_key *keys,
    void *obj, const char *where, struct err *e)
{
	struct walk w = { keys, obj };
	const struct yw_key *k;
	int r;

	r = yw_pairs(y, map, walk_pair, &w, e);
	if (r != EXIT_OK)
		return r;
	for (k = keys; k->name != NULL; k++) {
		if ((k->flags & YW_REQUIRED) == 0 ||
		    yw_lookup(y, map, k->name) != NULL)
			continue;
		if (where == NULL)
			return yw_error(y, map->start_mark, e,
			    "missing required key '%s'", k->name);
		return yw_error(y, map->start_mark, e,
		    "missing required key '%s' in '%s'", k->name, where);
	}
	return EXIT_OK;
}

static int
check_key(struct yw *y, yaml_node_t *map, yaml_node_pair_t *pair,
    struct err *e)
{
	yaml_node_t *key = yw_node(y, pair->key), *prev;
	yaml_node_pair_t *q;

	if (key->type != YAML_SCALAR_NODE)
		return yw_error(y, key->start_mark, e,
		    "mapping keys must be strings");
	for (q = map->data.mapping.pairs.start; q < pair; q++) {
		prev = yw_node(y, q->key);
		if (strcmp(yw_str(prev), yw_str(key)) == 0)
			return yw_error(y, key->start_mark, e,
			    "duplicate key '%s' (first at line %zu)",
			    yw_str(key), prev->start_mark.line + 1);
	}
	return EXIT_OK;
}

int
yw_pairs(struct yw *y, yaml_node_t *map, yw_pair_fn fn, void *arg,
    struct err *e)
{
	yaml_node_pair_t *pair;
	int r;

	for (pair = map->data.mapping.pairs.start;
	    pair < map->data.mapping.pairs.top; pair++) {
		r = check_key(y, map, pair, e);
		if (r != EXIT_OK)
			return r;
		r = fn(y, yw_node(y, pair->key), yw_node(y, pair->value),
		    arg, e);
		if (r != EXIT_OK)
			return r;
	}
	return EXIT_OK;
}

yaml_node_t *
yw_lookup(struct yw *y, yaml_node_t *map, const char *key)
{
	yaml_node_pair_t *pair;
	yaml_node_t *k;

	for (pair = map->data.mapping.pairs.start;
	    pair < map->data.mapping.pairs.top; pair++) {
		k = yw_node(y, pair->key);
		if (k->type == YAML_SCALAR_NODE && strcmp(yw_str(k), key) == 0)
			return yw_node(y, pair->value);
	}
	return NULL;
}

int
yw_strings(struct yw *y, const struct yw_key *k, yaml_node_t *list,
    yw_item_check check, struct strv *out, struct err *e)
{
	yaml_node_item_t *it;
	yaml_node_t *n;
	int r;

	for (it = list->data.sequence.items.start;
	    it < list->data.sequence.items.top; it++) {
		n = yw_node(y, *it);
		if (n->type != YAML_SCALAR_NODE || yw_is_null(n))
			return yw_error(y, n->start_mark, e,
			    "'%s' must be a list of strings", k->name);
		if (*yw_str(n) == '\0')
			return yw_error(y, n->start_mark, e,
			    "'%s' must not contain empty strings", k->name);
		if (check != NULL) {
			r = check(y, k, n, e);
			if (r != EXIT_OK)
				return r;
		}
		strv_push(out, yw_str(n));
	}
	return EXIT_OK;
}

/* Where MARK points in the text, or NULL. */
static const char *
mark_ptr(const struct yw *y, yaml_mark_t mark)
{
	const char *line, *p;
	size_t len, col = 0;

	if (y->text == NULL || !find_line(y, mark.line, &line, &len))
		return NULL;
	for (p = line; p < line + len; p++) {
		if (((unsigned char)*p & 0xc0) == 0x80)
			continue;
		if (col++ == mark.column)
			return p;
	}
	return NULL;
}

/* In [cn=a,ou=b] the commas end plain scalars: two DNs, not one. */
static bool
split_in_flow(const struct yw *y, const yaml_node_t *n)
{
	const char *p;

	if (n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	p = mark_ptr(y, n->end_mark);
	return p != NULL && p[0] == ',' && p[1] != ' ' && p[1] != '\t' &&
	    p[1] != '\r' && p[1] != '\n' && p[1] != '\0';
}

int
yw_check_dn(struct yw *y, yaml_node_t *n, struct err *e)
{
	const char *s = yw_str(n);
	LDAPDN dn = NULL;
	int rc = LDAP_INVALID_DN_SYNTAX;

	if (split_in_flow(y, n))
		return yw_error(y, n->start_mark, e, "DN split at ',' after "
		    "'%s': quote DNs inside [ ] or { }", s);
	if (*s != '\0')
		rc = ldap_str2dn(s, &dn, LDAP_DN_FORMAT_LDAPV3);
	if (dn != NULL)
		ldap_dnfree(dn);
	if (rc != LDAP_SUCCESS)
		return yw_error(y, n->start_mark, e, "invalid DN '%s': %s", s,
		    ldap_err2string(rc));
	return EXIT_OK;
}

/* ---- output ---- */

static bool
reserved_word(const char *s)
{
	static const char *const words[] = {
		"true", "false", "yes", "no", "on", "off", "y", "n",
		"null", NULL
	};
	size_t i;

	for (i = 0; words[i] != NULL; i++)
		if (str_ieq(s, words[i]))
			return true;
	return false;
}

static bool
safe_plain(const char *s)
{
	static const char alpha[] =
	    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
	static const char safe[] =
	    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789._/@:=,+-";
	size_t n = strlen(s);

	if (n == 0 || (strchr(alpha, s[0]) == NULL && s[0] != '/'))
		return false;
	if (strspn(s, safe) != n || s[n - 1] == ':')
		return false;
	return !reserved_word(s);
}

void
yw_print_scalar(FILE *fp, const char *s)
{
	const unsigned char *p;

	if (safe_plain(s)) {
		fputs(s, fp);
		return;
	}
	fputc('"', fp);
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(fp, "\\%c", *p);
		else if (*p == '\n')
			fputs("\\n", fp);
		else if (*p == '\t')
			fputs("\\t", fp);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(fp, "\\x%02x", *p);
		else
			fputc(*p, fp);
	}
	fputc('"', fp);
}

int
yw_limit(struct yw *y, const struct yw_key *k, yaml_node_t *v, void *obj,
    struct err *e)
{
	struct limit *l = YW_FIELD(obj, k, struct limit);
	const char *s = v->type == YAML_SCALAR_NODE ? yw_str(v) : "";
	size_t n = strlen(s), i;
	bool percent = n > 0 && s[n - 1] == '%';
	long val;

	if (percent)
		n--;
	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			break;
	if (n == 0 || i != n || n > 9)
		goto bad;
	val = strtol(s, NULL, 10);
	if (percent && val > 100)
		goto bad;
	l->set = true;
	l->percent = percent;
	l->value = val;
	return EXIT_OK;
bad:
	return yw_error(y, v->start_mark, e,
	    "'%s' must be a count or a percentage like 10%%", k->name);
}
