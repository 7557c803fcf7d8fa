/*
 * online.c - check --online: the first thing an admin runs.  Binds to the
 * directory and reads each policy group once, then gets a token and lists
 * the backend's SKUs, and says what was found and what is missing.  A
 * problem does not stop the report: everything that can be checked is,
 * and the exit code is the first failing part's (directory, then backend).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "backend/backend.h"
#include "conf/policy.h"
#include "directory/directory.h"
#include "directory/dn.h"
#include "run/online.h"
#include "run/stages.h"

/* The first problem of one part: its exit code and message. */
struct problem {
	int code;
	struct err e;
};

static void
note(struct problem *p, int code, const struct err *e)
{
	if (p->code != EXIT_OK)
		return;
	p->code = code;
	p->e = *e;
}

/* An error message after "...: FAILED: " or "ERROR: ", and the newline.
 * Backends' messages can have several lines (Entra ID's trace and
 * correlation ids): the others are indented under the first. */
static void
print_msg(FILE *out, const char *msg)
{
	const char *p;

	for (p = msg; *p != '\0'; p++) {
		if (*p == '\r')
			continue;
		if (*p == '\n' && p[1] != '\0')
			fputs("\n      ", out);
		else if (*p != '\n')
			fputc(*p, out);
	}
	fputc('\n', out);
}

/* ---- directory ---- */

/* Every policy group, each DN once however it is spelled, in policy
 * order (an app's groups, then its exclude_groups). */
static void
policy_groups(const struct policy *pol, struct strv *out)
{
	struct strv seen = { 0 };
	size_t a, i, k;

	for (a = 0; a < pol->napps; a++) {
		const struct app_policy *ap = &pol->apps[a];

		for (i = 0; i < ap->groups.n + ap->exclude_groups.n; i++) {
			const char *dn = i < ap->groups.n ? ap->groups.v[i] :
			    ap->exclude_groups.v[i - ap->groups.n];
			char *ndn = dn_normalize(dn);
			const char *key = ndn != NULL ? ndn : dn;

			for (k = 0; k < seen.n; k++)
				if (strcmp(seen.v[k], key) == 0)
					break;
			if (k == seen.n) {
				strv_push(&seen, key);
				strv_push(out, dn);
			}
			free(ndn);
		}
	}
	strv_free(&seen);
}

static void
print_bound(const struct config_ldap *c, const char *uri, FILE *out)
{
	if (c->bind_dn != NULL)
		fprintf(out, "directory %s: bound as %s\n", uri, c->bind_dn);
	else if (c->sasl_mech != NULL)
		fprintf(out, "directory %s: bound with SASL %s\n", uri,
		    c->sasl_mech);
	else if (c->uri != NULL && strncasecmp(c->uri, "ldapi://", 8) == 0)
		fprintf(out, "directory %s: bound with SASL EXTERNAL\n", uri);
	else
		fprintf(out, "directory %s: bound anonymously\n", uri);
}

/* Read one group and report it. */
static void
check_group(struct directory *d, const char *dn, FILE *out,
    struct problem *p)
{
	struct err e;
	bool exists, is_group;
	size_t members;
	int r;

	r = directory_probe_group(d, dn, &exists, &is_group, &members, &e);
	if (r != EXIT_OK) {
		fprintf(out, "  group %s: ERROR: ", dn);
		print_msg(out, e.msg);
		note(p, r, &e);
	} else if (!exists) {
		fprintf(out, "  group %s: MISSING\n", dn);
		err_set(&e, "policy group '%s' does not exist in the "
		    "directory", dn);
		note(p, EXIT_DIRECTORY, &e);
	} else if (!is_group) {
		fprintf(out, "  group %s: NOT A GROUP\n", dn);
		err_set(&e, "policy group '%s' is not a group", dn);
		note(p, EXIT_DIRECTORY, &e);
	} else {
		fprintf(out, "  group %s: found, %zu member value%s\n", dn,
		    members, members == 1 ? "" : "s");
	}
}

/* Bind, then read each group; an error with one does not stop the others
 * (after a timeout, directory_probe_group fails the rest at once). */
static void
check_directory(const struct config *cfg, const struct policy *pol,
    FILE *out, struct problem *p)
{
	const struct config_ldap *c = &cfg->ldap;
	struct directory *d = NULL;
	struct strv groups = { 0 };
	const char *uri = c->uri != NULL ? c->uri : "(URI from ldap.conf)";
	struct err e;
	size_t i;
	int r;

	r = directory_open(c, &d, &e);
	if (r != EXIT_OK) {
		fprintf(out, "directory %s: FAILED: ", uri);
		print_msg(out, e.msg);
		note(p, r, &e);
		return;
	}
	print_bound(c, uri, out);
	fprintf(out, "  schema %s, nesting %s\n", directory_schema(d),
	    c->nesting == NESTING_IN_CHAIN ? "in-chain" : "walk");
	policy_groups(pol, &groups);
	for (i = 0; i < groups.n; i++)
		check_group(d, groups.v[i], out, p);
	directory_close(d);
	strv_free(&groups);
}

/* ---- backend ---- */

static void
print_sku(const struct backend_sku *s, FILE *out)
{
	long free_seats = s->enabled + s->warning - s->consumed;

	fprintf(out, "  SKU %s %s %s: %ld enabled, ", s->id,
	    *s->part_number != '\0' ? s->part_number : "-",
	    *s->status != '\0' ? s->status : "-", s->enabled);
	if (s->warning != 0)
		fprintf(out, "%ld in warning, ", s->warning);
	fprintf(out, "%ld consumed, %ld free\n", s->consumed, free_seats);
}

/* Each app of backend B: its license found once, missing, or named by
 * another app too. */
static void
check_apps(const struct config *cfg, const struct policy *pol,
    const struct config_backend *b, const struct backend_ops *ops,
    const struct backend_sku *skus, size_t nskus, FILE *out,
    struct problem *p)
{
	const struct backend_sku **found;
	struct problem dup = { EXIT_OK, { "" } };
	struct err e;
	size_t a, c, n;

	found = xcalloc(pol->napps + 1, sizeof(*found));
	for (a = 0; a < pol->napps; a++) {
		const struct app_policy *ap = &pol->apps[a];
		const char *value, *how = policy_license_key(ap, &value);

		if (config_backend_named(cfg, ap->backend) != b)
			continue;
		found[a] = run_match_license(ops, ap, skus, nskus, &n);
		if (how == NULL) {
			how = "license";
			value = found[a] != NULL && n == 1 ? found[a]->id :
			    "(the only one)";
		}
		if (found[a] == NULL || n != 1) {
			fprintf(out, "  app %s: %s %s %s\n", ap->name, how,
			    value, n == 0 ? "MISSING" : "AMBIGUOUS");
			if (strcmp(how, "sku") == 0 ||
			    strcmp(how, "sku_part_number") == 0)
				err_set(&e, "app '%s': %s %s is not among the "
				    "tenant's subscribed SKUs", ap->name, how,
				    value);
			else
				err_set(&e, "app '%s': backend '%s' has %zu "
				    "licenses for %s %s", ap->name, b->name, n,
				    how, value);
			note(p, EXIT_BACKEND, &e);
			found[a] = NULL;
			continue;
		}
		fprintf(out, "  app %s: %s %s found (%s)", ap->name, how, value,
		    ap->sku != NULL && found[a]->part_number != NULL ?
		    found[a]->part_number : found[a]->id);
		for (c = 0; c < a && found[c] != found[a]; c++)
			;
		if (c < a) {
			fprintf(out, ", but app %s names the same SKU",
			    pol->apps[c].name);
			err_set(&e, "apps '%s' and '%s' name the same SKU %s",
			    pol->apps[c].name, ap->name, found[a]->id);
			note(&dup, EXIT_CONFIG, &e);
		}
		fputc('\n', out);
	}
	/* a missing SKU is the backend's answer: it comes first */
	if (dup.code != EXIT_OK)
		note(p, dup.code, &dup.e);
	free(found);
}

/* Open (a token, a first answer), what the backend says of itself, its
 * licenses, then each app's. */
static void
check_backend(const struct config *cfg, const struct config_backend *b,
    const struct policy *pol, FILE *out, struct problem *p)
{
	const struct backend_ops *ops = backend_find(b->type);
	struct backend *be = NULL;
	struct backend_sku *skus = NULL;
	size_t nskus = 0, i;
	char name[160];
	struct err e;
	int r;

	if (strcmp(b->name, "default") == 0)
		snprintf(name, sizeof(name), "%s", b->type);
	else
		snprintf(name, sizeof(name), "%s (%s)", b->name, b->type);
	if (ops == NULL) {
		err_set(&e, "unknown backend type '%s'", b->type);
		r = EXIT_CONFIG;
	} else {
		r = ops->open(b, &be, &e);
	}
	if (r == EXIT_OK && ops->describe != NULL) {
		fprintf(out, "backend %s: %s\n", name, ops->opened);
		r = ops->describe(be, out, &e);
	}
	if (r != EXIT_OK) {
		fprintf(out, "backend %s: FAILED: ", name);
		print_msg(out, e.msg);
		note(p, r, &e);
		if (ops != NULL)
			ops->close(be);
		return;
	}
	if (ops->describe == NULL)
		fprintf(out, "backend %s: %s\n", name, ops->opened);
	r = ops->list_skus(be, &skus, &nskus, &e);
	if (r != EXIT_OK) {
		fprintf(out, "  subscribed SKUs: ERROR: ");
		print_msg(out, e.msg);
		note(p, r, &e);
		goto out;
	}
	/* seats bought, where the backend counts them */
	for (i = 0; i < nskus; i++)
		if (skus[i].enabled >= 0)
			print_sku(&skus[i], out);
	if (nskus == 0)
		fprintf(out, "  no subscribed SKUs\n");
	check_apps(cfg, pol, b, ops, skus, nskus, out, p);
out:
	backend_skus_free(skus, nskus);
	ops->close(be);
}

int
online_check(const struct config *cfg, const struct policy *pol,
    FILE *out, struct err *e)
{
	struct problem dir = { EXIT_OK, { "" } }, be = { EXIT_OK, { "" } };
	const struct problem *first;

	size_t i;

	check_directory(cfg, pol, out, &dir);
	for (i = 0; i < config_backend_count(cfg); i++)
		check_backend(cfg, config_backend_at(cfg, i), pol, out, &be);
	fflush(out);
	first = dir.code != EXIT_OK ? &dir : &be;
	if (first->code != EXIT_OK)
		*e = first->e;
	return first->code;
}
