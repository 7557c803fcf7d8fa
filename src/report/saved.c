/* saved.c - reviewed plans, signed with a key kept in the database */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "report/report.h"
#include "report/saved.h"

/* HMAC-SHA-256 over the canonical form of DOC (without "signature"). */
static void
sign(json_t *doc, const unsigned char key[PLAN_KEY_LEN], char hex[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	char *canon = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);

	HMAC(EVP_sha256(), key, PLAN_KEY_LEN, (const unsigned char *)canon,
	    strlen(canon), md, &mdlen);
	hex_encode(md, mdlen < 32 ? mdlen : 32, hex);
	free(canon);
}

static json_t *
provenance_json(const struct provenance *pv)
{
	char when[21];

	format_utc(pv->created, when);
	return json_pack("{s:i, s:I, s:s, s:s, s:s, s:s, s:s}",
	    "version", 1, "run", (json_int_t)pv->run, "created", when,
	    "config_sha256", pv->config, "policy_sha256", pv->policy,
	    "directory_sha256", pv->directory, "backend_sha256", pv->backend);
}

/* The plan report, as JSON in memory. */
static json_t *
plan_json(const struct report_ctx *rc, struct err *e)
{
	char *text = NULL;
	size_t len = 0;
	json_error_t jerr;
	json_t *doc;
	FILE *fp = open_memstream(&text, &len);

	if (fp == NULL) {
		err_set(e, "cannot build the plan: %s", strerror(errno));
		return NULL;
	}
	report_plan(fp, REPORT_JSON, rc);
	fclose(fp);
	doc = json_loadb(text, len, 0, &jerr);
	free(text);
	if (doc == NULL)
		err_set(e, "cannot build the plan: %s", jerr.text);
	return doc;
}

/* atomic_write's callback: the signed plan DOC, indented. */
static int
write_plan(FILE *fp, void *doc)
{
	if (json_dumpf(doc, fp, JSON_INDENT(2) | JSON_PRESERVE_ORDER) != 0 ||
	    fputc('\n', fp) == EOF)
		return -1;
	return 0;
}

int
saved_write(const char *path, const struct report_ctx *rc,
    const struct provenance *pv, const unsigned char key[PLAN_KEY_LEN],
    struct err *e)
{
	char sig[65];
	json_t *doc = plan_json(rc, e);
	int r;

	if (doc == NULL)
		return EXIT_USAGE;
	json_object_set_new(doc, "provenance", provenance_json(pv));
	sign(doc, key, sig);
	json_object_set_new(doc, "signature", json_string(sig));
	r = atomic_write(path, 0600, write_plan, doc, e);
	json_decref(doc);
	return r;
}

static void
copy_hash(json_t *pv, const char *key, char out[65])
{
	const char *s = json_string_value(json_object_get(pv, key));

	snprintf(out, 65, "%s", s != NULL ? s : "");
}

static int
read_changes(json_t *arr, struct planned **changes, size_t *n,
    const char *path, struct err *e)
{
	json_t *it;
	size_t i;

	*changes = xcalloc(json_array_size(arr), sizeof(**changes));
	json_array_foreach(arr, i, it) {
		const char *a = json_string_value(json_object_get(it,
		    "action"));
		const char *app = json_string_value(json_object_get(it, "app"));
		const char *u = json_string_value(json_object_get(it, "user"));
		const char *loc;

		if (a == NULL || app == NULL || u == NULL) {
			err_set(e, "%s: change %zu lacks action, app or user",
			    path, i + 1);
			return EXIT_USAGE;
		}
		(*changes)[*n].action = xstrdup(a);
		(*changes)[*n].app = xstrdup(app);
		(*changes)[*n].user = xstrdup(u);
		loc = json_string_value(json_object_get(it, "usage_location"));
		(*changes)[*n].usage_location = loc != NULL ? xstrdup(loc) :
		    NULL;
		(*n)++;
	}
	return EXIT_OK;
}

int
saved_read(const char *path, const unsigned char key[PLAN_KEY_LEN],
    struct provenance *pv, struct planned **changes, size_t *n,
    struct err *e)
{
	json_error_t jerr;
	json_t *doc, *p, *arr;
	const char *given;
	char want[65], *text;
	size_t len;
	int r = EXIT_USAGE;

	*changes = NULL;
	*n = 0;
	memset(pv, 0, sizeof(*pv));
	if (read_file(path, NULL, MAX_PLAN_FILE, 0, &text, &len, e) != EXIT_OK)
		return EXIT_USAGE;
	doc = json_loadb(text, len, 0, &jerr);
	free(text);
	if (doc == NULL) {
		err_set(e, "%s: %s", path, jerr.text);
		return EXIT_USAGE;
	}
	given = json_string_value(json_object_get(doc, "signature"));
	p = json_object_get(doc, "provenance");
	arr = json_object_get(doc, "changes");
	if (given == NULL || !json_is_object(p) || !json_is_array(arr)) {
		err_set(e, "%s: not a plan saved by licsync plan -o", path);
		goto out;
	}
	given = xstrdup(given);
	json_object_del(doc, "signature");
	sign(doc, key, want);
	if (strlen(given) != 64 || CRYPTO_memcmp(given, want, 64) != 0) {
		err_set(e, "%s: the plan was edited, or saved with another "
		    "licsync database: its signature does not match", path);
		free((char *)given);
		r = EXIT_SAFETY;
		goto out;
	}
	free((char *)given);
	copy_hash(p, "config_sha256", pv->config);
	copy_hash(p, "policy_sha256", pv->policy);
	copy_hash(p, "directory_sha256", pv->directory);
	copy_hash(p, "backend_sha256", pv->backend);
	pv->run = json_integer_value(json_object_get(p, "run"));
	r = read_changes(arr, changes, n, path, e);
out:
	if (r != EXIT_OK) {
		saved_free(*changes, *n);
		*changes = NULL;
		*n = 0;
	}
	json_decref(doc);
	return r;
}

void
saved_free(struct planned *changes, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(changes[i].action);
		free(changes[i].app);
		free(changes[i].user);
		free(changes[i].usage_location);
	}
	free(changes);
}
