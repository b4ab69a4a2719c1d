/*
 * The credential chain: see credentials.h. Each step only decides where
 * the credentials come from (a plan); cred_refresh.c fetches them. Secrets
 * are copied once into the struct, every buffer that held them is wiped,
 * and no message ever prints one: key ids are shown masked, secrets not
 * at all.
 */
#include "credentials.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include <openssl/crypto.h>

#include "cred_plan.h"
#include "cred_providers.h"
#include "credstore.h"
#include "sts.h"
#include "log.h"
#include "util.h"

static void
wipe_str(char *s)
{
	if (s == NULL)
		return;
	OPENSSL_cleanse(s, strlen(s));
	free(s);
}

void
credentials_clear(struct credentials *c)
{
	if (c == NULL)
		return;
	wipe_str(c->access_key_id);
	wipe_str(c->secret_access_key);
	wipe_str(c->session_token);
	free(c->origin);
	free(c->identity_arn);
	strlist_free(&c->regions);
	free(c->role_arn);
	free(c->external_id);
	cred_refresh_free(c->refresh);
	memset(c, 0, sizeof(*c));
}

const char *
credentials_source_name(enum credential_source s)
{
	switch (s) {
	case CRED_STORE:
		return "stored connection";
	case CRED_ENV:
		return "environment";
	case CRED_SHARED:
		return "shared credentials file";
	case CRED_PROCESS:
		return "credential_process";
	case CRED_SSO:
		return "IAM Identity Center (SSO)";
	case CRED_WEB_IDENTITY:
		return "web identity";
	case CRED_CONTAINER:
		return "container credentials";
	case CRED_IMDS:
		return "instance role";
	case CRED_ASSUMED_ROLE:
		return "assumed role";
	case CRED_NONE:
		break;
	}
	return "none";
}

/*
 * Ids shorter than 12 characters would show most of themselves, so they
 * are masked entirely.
 */
void
credentials_mask_key_id(const char *id, char *out, size_t outsize)
{
	size_t len = id == NULL ? 0 : strlen(id);

	if (outsize == 0)
		return;
	if (len < 12)
		snprintf(out, outsize, "****");
	else
		snprintf(out, outsize, "%.4s****%s", id, id + len - 4);
}

/* "08:12Z" today, else "2026-11-25T08:12Z". */
static void
format_expiry(time_t t, char *out, size_t outsize)
{
	char now[32], then[32];

	time_format_iso8601(time(NULL), now, sizeof(now));
	time_format_iso8601(t, then, sizeof(then));
	if (strncmp(now, then, 10) == 0)
		snprintf(out, outsize, "%.5sZ", then + 11);
	else
		snprintf(out, outsize, "%.16sZ", then);
}

char *
credentials_describe(const struct credentials *c)
{
	const char *name = credentials_source_name(c->source);
	struct strbuf sb = { 0 };
	char masked[32], when[32];

	credentials_mask_key_id(c->access_key_id, masked, sizeof(masked));
	if (c->source == CRED_ASSUMED_ROLE)
		strbuf_addf(&sb, "%s %s via %s", name, c->identity_arn ?
		    c->identity_arn : "(unknown)", c->origin ? c->origin :
		    "(unknown)");
	else if (c->source == CRED_IMDS && c->origin != NULL)
		strbuf_addf(&sb, "%s %s", name, c->origin);
	else if (c->identity_arn != NULL)
		strbuf_addf(&sb, "%s %s", name, c->identity_arn);
	else if (c->origin != NULL && strcmp(c->origin, name) != 0)
		strbuf_addf(&sb, "%s (%s), access key %s", name, c->origin,
		    masked);
	else
		strbuf_addf(&sb, "%s, access key %s", name, masked);
	if (c->expiration != 0) {
		format_expiry(c->expiration, when, sizeof(when));
		strbuf_addf(&sb, " (expires %s)", when);
	}
	return sb.buf;
}

static const char *
env_nonempty(const char *name)
{
	const char *v = getenv(name);

	return v != NULL && *v != '\0' ? v : NULL;
}

/* 0 with out filled, CRED_ABSENT when neither variable is set, EX_CONFIG. */
static int
credentials_from_env(struct credentials *out)
{
	const char *id = env_nonempty("AWS_ACCESS_KEY_ID");
	const char *secret = env_nonempty("AWS_SECRET_ACCESS_KEY");
	const char *token = env_nonempty("AWS_SESSION_TOKEN");

	if (id == NULL && secret == NULL)
		return CRED_ABSENT;
	if (id == NULL || secret == NULL) {
		log_error("%s is set but %s is not",
		    id ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY",
		    id ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID");
		return EX_CONFIG;
	}
	memset(out, 0, sizeof(*out));
	out->access_key_id = xstrdup(id);
	out->secret_access_key = xstrdup(secret);
	if (token != NULL)
		out->session_token = xstrdup(token);
	out->source = CRED_ENV;
	out->origin = xstrdup("environment");
	return 0;
}

/* Steps 1 and 2: keys the process already has. */
static int
chain_static(const struct config *cfg, struct cred_plan *plan)
{
	bool found = false;
	int rc;

	if (cfg->credentials_file != NULL) {
		rc = credstore_load(cfg->credentials_file, cfg->key_file,
		    &plan->keys, &found);
		if (rc != 0)
			return rc;
		if (found) {
			plan->base = CRED_STORE;
			return 0;
		}
	}
	if ((rc = credentials_from_env(&plan->keys)) == 0)
		plan->base = CRED_ENV;
	return rc;
}

/* The configuration's role, else the stored connection's, goes on top. */
static void
chain_add_role(const struct config *cfg, struct cred_plan *plan)
{
	const struct credentials *k = &plan->keys;

	if (cfg->role_arn != NULL)
		cred_plan_add_role(plan, cfg->role_arn, cfg->external_id,
		    cfg->role_session_name, 0);
	else if (plan->base == CRED_STORE && k->role_arn != NULL)
		cred_plan_add_role(plan, k->role_arn, k->external_id,
		    cfg->role_session_name, 0);
}

void
credentials_sts_target(const struct config *cfg, const char *region,
    struct sts_target *t)
{
	memset(t, 0, sizeof(*t));
	t->region = region;
	t->ca_bundle = cfg->ca_bundle;
	t->timeout = cfg->timeout;
	t->max_attempts = cfg->max_attempts;
}

/* STS is called in the first region polled, which the store may name. */
static int
chain_target(const struct config *cfg, const struct cred_plan *plan,
    struct sts_target *t)
{
	credentials_sts_target(cfg, cfg->regions.n > 0 ? cfg->regions.v[0] :
	    plan->keys.regions.n > 0 ? plan->keys.regions.v[0] : NULL, t);
	if (t->region != NULL ||
	    (plan->nroles == 0 && plan->base != CRED_WEB_IDENTITY))
		return 0;
	log_error("no region configured, and STS needs one: use -r REGION "
	    "(a region code such as us-east-1), 'regions' in %s, AWS_REGION, "
	    "or bedrock-trail connect", cfg->path ? cfg->path :
	    "the config file");
	return EX_CONFIG;
}

static int
chain_run(const struct config *cfg, struct cred_plan *plan,
    struct credentials *out)
{
	struct sts_target t;
	int rc;

	chain_add_role(cfg, plan);
	if ((rc = chain_target(cfg, plan, &t)) != 0)
		return rc;
	if ((rc = cred_plan_run(plan, &t, out)) != CRED_ABSENT ||
	    plan->profile == NULL)
		return rc;
	log_error(CRED_AUTH_FAILED);
	log_error("profile '%s': its credential_source found no credentials",
	    plan->profile);
	return EX_NOPERM;
}

/* The stored connection's regions, for config_default_regions. */
static void
chain_done(const struct cred_plan *plan, struct credentials *out)
{
	char *d;

	if (plan->base == CRED_STORE)
		for (size_t i = 0; i < plan->keys.regions.n; i++)
			strlist_add(&out->regions, plan->keys.regions.v[i]);
	d = credentials_describe(out);
	log_verbose("credentials: %s", d);
	free(d);
}

static void
report_none(void)
{
	log_error(CRED_AUTH_FAILED);
	log_error("no AWS credentials found: run 'bedrock-trail connect', or "
	    "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or add a "
	    "profile to ~/.aws/credentials, or run where a role is "
	    "available (web identity, ECS/EKS, EC2)");
}

int
credentials_resolve(const struct config *cfg, struct credentials *out)
{
	static const enum credential_source probes[] = {
		CRED_WEB_IDENTITY, CRED_CONTAINER, CRED_IMDS,
	};
	struct cred_plan plan = { 0 };
	/* A profile other than "default" must exist, as in the AWS CLI. */
	bool named = cfg->profile != NULL && *cfg->profile != '\0' &&
	    strcmp(cfg->profile, "default") != 0;
	int rc;

	memset(out, 0, sizeof(*out));
	/* A credential_process may take as long as one request, no longer. */
	cred_process_set_timeout((double)cfg->timeout);
	if ((rc = chain_static(cfg, &plan)) != CRED_ABSENT)
		goto run;
	if ((rc = cred_profile_plan(named ? cfg->profile : "default", named,
	    &plan)) != CRED_ABSENT)
		goto run;
	for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
		/* Without its variable it is absent: no region needed. */
		if (probes[i] == CRED_WEB_IDENTITY &&
		    env_nonempty("AWS_WEB_IDENTITY_TOKEN_FILE") == NULL)
			continue;
		cred_plan_free(&plan);
		plan.base = probes[i];
		if ((rc = chain_run(cfg, &plan, out)) != CRED_ABSENT)
			goto out;
	}
	report_none();
	rc = EX_NOPERM;
	goto out;
run:
	if (rc == 0)
		rc = chain_run(cfg, &plan, out);
out:
	if (rc == 0)
		chain_done(&plan, out);
	cred_plan_free(&plan);
	return rc;
}
