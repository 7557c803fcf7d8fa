/*
 * cmd_check.c - `licsync check`: the configuration, the policy and the
 * secret files offline, and that every app's backend exists and takes
 * its license key; with --online also the directory and the backends.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backend/jwt.h"
#include "cli/commands.h"
#include "conf/config.h"
#include "conf/policy.h"
#include "run/online.h"
#include "run/run.h"
#include "util/log.h"

/* A secret file must be readable and private; its content is dropped. */
static int
check_secret(const char *path, struct err *e)
{
	char *secret = NULL;
	int r;

	if (path == NULL)
		return EXIT_OK;
	r = read_secret_file(path, &secret, e);
	if (secret != NULL) {
		explicit_bzero(secret, strlen(secret));
		free(secret);
	}
	return r;
}

/* Certificate credentials: sign a throwaway assertion, which checks both
 * files, the key's privacy and that the key matches the certificate. */
static int
check_certificate(const struct config_backend *b, struct err *e)
{
	char *jwt = NULL;
	int r;

	if (b->client_certificate_file == NULL)
		return EXIT_OK;
	r = jwt_client_assertion(b->client_certificate_file, b->client_key_file,
	    b->client_id, b->token_url, (int64_t)time(NULL), &jwt, e);
	free(jwt);
	return r;
}

int
run_check(const char *config_path, bool dump, bool online)
{
	struct config *cfg = NULL;
	struct policy *pol = NULL;
	struct err e;
	size_t i;
	int r;

	if ((r = config_load(config_path, &cfg, &e)) != EXIT_OK)
		goto out;
	if ((r = policy_load(cfg->policy, &pol, &e)) != EXIT_OK)
		goto out;
	if ((r = check_secret(cfg->ldap.bind_password_file, &e)) != EXIT_OK)
		goto out;
	for (i = 0; i < config_backend_count(cfg); i++) {
		const struct config_backend *b = config_backend_at(cfg, i);

		if ((r = check_secret(b->client_secret_file, &e)) != EXIT_OK ||
		    (r = check_secret(b->token_file, &e)) != EXIT_OK ||
		    (r = check_certificate(b, &e)) != EXIT_OK)
			goto out;
	}
	if ((r = run_check_policy(cfg, pol, &e)) != EXIT_OK)
		goto out;
	if (dump) {
		config_dump(cfg, stdout);
	} else {
		printf("%s: OK\n%s: OK, %zu app%s\n", cfg->path, cfg->policy,
		    pol->napps, pol->napps == 1 ? "" : "s");
	}
	if (online && (r = online_check(cfg, pol, stdout, &e)) != EXIT_OK)
		goto out;
	r = EXIT_OK;
out:
	if (r != EXIT_OK)
		log_err(&e);
	policy_free(pol);
	config_free(cfg);
	return r;
}
