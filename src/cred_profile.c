/*
 * A profile of the shared config and credentials files, resolved as the
 * AWS CLI v2 (botocore's credentials.py) resolves it. A profile's keys are
 * those of both files, the credentials file's winning. Within a profile,
 * first found wins:
 *
 *   1. role_arn (without web_identity_token_file): assume that role with
 *      the credentials of exactly one of source_profile (another profile,
 *      itself resolved this way; loops refused) or credential_source
 *      (Environment, Ec2InstanceMetadata, EcsContainer);
 *   2. web_identity_token_file with role_arn;
 *   3. sso_session or sso_start_url: IAM Identity Center's cached token;
 *   4. static keys in the credentials file;
 *   5. credential_process;
 *   6. static keys in the config file.
 *
 * A source_profile with static keys gives those keys even when it also
 * names a role, as in the AWS CLI; that is also how a profile may name
 * itself as its source_profile.
 */
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "cred_ini.h"
#include "cred_plan.h"
#include "cred_providers.h"
#include "log.h"
#include "util.h"

struct profiles {
	struct ini_file config, creds;
	const char *visited[CRED_MAX_ROLES + 1];
	size_t nvisited;
};

static const char *
env_nonempty(const char *name)
{
	const char *v = getenv(name);

	return v != NULL && *v != '\0' ? v : NULL;
}

/* var (with ~/ expanded), else ~/.aws/NAME; NULL without either. */
static char *
aws_file_path(const char *var, const char *name)
{
	const char *file = env_nonempty(var);
	const char *home = env_nonempty("HOME");

	if (file != NULL && strncmp(file, "~/", 2) == 0 && home != NULL)
		return xasprintf("%s/%s", home, file + 2);
	if (file != NULL)
		return xstrdup(file);
	if (home != NULL)
		return xasprintf("%s/.aws/%s", home, name);
	return NULL;
}

static int
profiles_read(struct profiles *p)
{
	char *cpath = aws_file_path("AWS_CONFIG_FILE", "config");
	char *spath = aws_file_path("AWS_SHARED_CREDENTIALS_FILE",
	    "credentials");
	int rc = 0;

	memset(p, 0, sizeof(*p));
	if (cpath != NULL && ini_read(cpath, true, &p->config) == EX_CONFIG)
		rc = EX_CONFIG;
	if (spath != NULL && ini_read(spath, false, &p->creds) == EX_CONFIG)
		rc = EX_CONFIG;
	free(cpath);
	free(spath);
	return rc;
}

static const struct ini_section *
section_in(const struct ini_file *f, const char *profile)
{
	return f->path != NULL ? ini_section(f, INI_PROFILE, profile) : NULL;
}

/* The profile's value for key: the credentials file's, else the config's. */
static const char *
pget(const struct profiles *p, const char *profile, const char *key)
{
	const char *v = ini_get(section_in(&p->creds, profile), key);

	return v != NULL ? v : ini_get(section_in(&p->config, profile), key);
}

static bool
pexists(const struct profiles *p, const char *profile)
{
	return section_in(&p->creds, profile) != NULL ||
	    section_in(&p->config, profile) != NULL;
}

static bool
has_static(const struct profiles *p, const char *profile)
{
	return pget(p, profile, "aws_access_key_id") != NULL ||
	    pget(p, profile, "aws_secret_access_key") != NULL;
}

static bool
has_role(const struct profiles *p, const char *profile)
{
	return pget(p, profile, "role_arn") != NULL &&
	    pget(p, profile, "web_identity_token_file") == NULL;
}

static char *
dup_or_null(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

/* Static keys of one file's section: 0, CRED_ABSENT or EX_CONFIG. */
static int
static_keys(const struct ini_file *f, bool config_file, const char *profile,
    struct credentials *out)
{
	const struct ini_section *s = section_in(f, profile);
	const char *id = ini_get(s, "aws_access_key_id");
	const char *secret = ini_get(s, "aws_secret_access_key");
	const char *token = ini_get(s, "aws_session_token");

	if (id == NULL && secret == NULL)
		return CRED_ABSENT;
	if (id == NULL || secret == NULL) {
		log_error("%s: profile [%s] has %s but no %s", f->path, profile,
		    id ? "aws_access_key_id" : "aws_secret_access_key",
		    id ? "aws_secret_access_key" : "aws_access_key_id");
		return EX_CONFIG;
	}
	memset(out, 0, sizeof(*out));
	out->access_key_id = xstrdup(id);
	out->secret_access_key = xstrdup(secret);
	out->session_token = dup_or_null(token);
	out->source = CRED_SHARED;
	out->origin = xasprintf("%s [%s%s]", f->path, config_file &&
	    strcmp(profile, "default") != 0 ? "profile " : "", profile);
	return 0;
}

int
credentials_from_shared_file(const char *path, const char *profile,
    struct credentials *out)
{
	struct ini_file f;
	int rc;

	if ((rc = ini_read(path, false, &f)) == 0)
		rc = static_keys(&f, false, profile, out);
	ini_free(&f);
	return rc;
}

/* sso_session's [sso-session NAME], else the profile's legacy keys. */
static int
plan_sso(const struct profiles *p, const char *profile,
    struct cred_plan *plan)
{
	const char *session = pget(p, profile, "sso_session");
	const struct ini_section *s = NULL;
	struct cred_plan_sso *o = &plan->sso;

	if (session != NULL &&
	    (s = ini_section(&p->config, INI_SSO_SESSION, session)) == NULL) {
		log_error("profile '%s': sso_session '%s' has no [sso-session "
		    "%s] section in %s", profile, session, session,
		    p->config.path ? p->config.path : "~/.aws/config");
		return EX_CONFIG;
	}
	o->session = dup_or_null(session);
	o->start_url = dup_or_null(s ? ini_get(s, "sso_start_url") :
	    pget(p, profile, "sso_start_url"));
	o->region = dup_or_null(s ? ini_get(s, "sso_region") :
	    pget(p, profile, "sso_region"));
	o->account_id = dup_or_null(pget(p, profile, "sso_account_id"));
	o->role_name = dup_or_null(pget(p, profile, "sso_role_name"));
	if (o->start_url == NULL || o->region == NULL ||
	    o->account_id == NULL || o->role_name == NULL) {
		log_error("profile '%s': IAM Identity Center needs "
		    "sso_start_url, sso_region, sso_account_id and "
		    "sso_role_name", profile);
		return EX_CONFIG;
	}
	plan->base = CRED_SSO;
	return 0;
}

/* Everything but a role, in the AWS CLI's order (steps 2 to 6). */
static int
plan_plain(const struct profiles *p, const char *profile,
    struct cred_plan *plan)
{
	const char *token_file = pget(p, profile, "web_identity_token_file");
	const char *process = pget(p, profile, "credential_process");
	int rc;

	free(plan->profile);
	plan->profile = xstrdup(profile);
	if (token_file != NULL) {
		if (pget(p, profile, "role_arn") == NULL) {
			log_error("profile '%s': web_identity_token_file needs "
			    "role_arn", profile);
			return EX_CONFIG;
		}
		plan->base = CRED_WEB_IDENTITY;
		plan->token_file = xstrdup(token_file);
		plan->token_role_arn = xstrdup(pget(p, profile, "role_arn"));
		plan->token_session_name = dup_or_null(pget(p, profile,
		    "role_session_name"));
		return 0;
	}
	if (pget(p, profile, "sso_session") != NULL ||
	    pget(p, profile, "sso_start_url") != NULL)
		return plan_sso(p, profile, plan);
	if ((rc = static_keys(&p->creds, false, profile, &plan->keys)) !=
	    CRED_ABSENT)
		goto keys;
	if (process != NULL) {
		plan->base = CRED_PROCESS;
		plan->process = xstrdup(process);
		return 0;
	}
	rc = static_keys(&p->config, true, profile, &plan->keys);
keys:
	if (rc == 0)
		plan->base = CRED_SHARED;
	return rc;
}

static int plan_profile(struct profiles *, const char *, struct cred_plan *);

/* credential_source: one of the chain's own providers. */
static int
plan_credential_source(const char *profile, const char *source,
    struct cred_plan *plan)
{
	if (strcmp(source, "Environment") == 0)
		plan->base = CRED_ENV;
	else if (strcmp(source, "Ec2InstanceMetadata") == 0)
		plan->base = CRED_IMDS;
	else if (strcmp(source, "EcsContainer") == 0)
		plan->base = CRED_CONTAINER;
	else {
		log_error("profile '%s': credential_source '%s' is not "
		    "Environment, Ec2InstanceMetadata or EcsContainer",
		    profile, source);
		return EX_CONFIG;
	}
	free(plan->profile);
	plan->profile = xstrdup(profile);
	return 0;
}

static bool
visited(const struct profiles *p, const char *profile)
{
	for (size_t i = 0; i < p->nvisited; i++)
		if (strcmp(p->visited[i], profile) == 0)
			return true;
	return false;
}

static void
report_loop(const struct profiles *p, const char *source)
{
	struct strbuf sb = { 0 };

	for (size_t i = 0; i < p->nvisited; i++)
		strbuf_addf(&sb, "%s -> ", p->visited[i]);
	strbuf_adds(&sb, source);
	log_error("profile '%s': source_profile loop: %s", p->visited[0],
	    sb.buf);
	strbuf_free(&sb);
}

/* The source_profile's credentials, itself a role or not. */
static int
plan_source_profile(struct profiles *p, const char *profile,
    const char *source, struct cred_plan *plan)
{
	int rc;

	if (!pexists(p, source)) {
		log_error("profile '%s': source_profile '%s' does not exist",
		    profile, source);
		return EX_CONFIG;
	}
	/* Naming itself is how a profile uses its own static keys. */
	if (visited(p, source) && (strcmp(source, profile) != 0 ||
	    !has_static(p, source))) {
		report_loop(p, source);
		return EX_CONFIG;
	}
	if (p->nvisited == CRED_MAX_ROLES) {
		log_error("profile '%s': source_profile chain longer than %d",
		    p->visited[0], CRED_MAX_ROLES);
		return EX_CONFIG;
	}
	p->visited[p->nvisited++] = source;
	if (has_static(p, source) || !has_role(p, source))
		rc = plan_plain(p, source, plan);
	else
		rc = plan_profile(p, source, plan);
	if (rc == CRED_ABSENT || (rc == 0 && plan->base == CRED_NONE)) {
		log_error("profile '%s': source_profile '%s' has no "
		    "credentials", profile, source);
		rc = EX_CONFIG;
	}
	return rc;
}

/* A person must type the code: say what to run instead of prompting. */
static int
report_mfa(const char *profile, const char *serial, const char *role_arn,
    const char *source)
{
	log_error(CRED_AUTH_FAILED);
	log_error("profile '%s' needs an MFA code (mfa_serial %s), which "
	    "nobody can type when bedrock-trail runs from cron", profile,
	    serial);
	log_error("run: aws sts assume-role%s%s --role-arn %s "
	    "--role-session-name %s --serial-number %s --token-code CODE",
	    source ? " --profile " : "", source ? source : "", role_arn,
	    CRED_SESSION_NAME, serial);
	log_error("and give the keys it prints in AWS_ACCESS_KEY_ID, "
	    "AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN, or trust a role "
	    "that does not require MFA");
	return EX_NOPERM;
}

static int
parse_duration(const char *profile, const char *text, int *out)
{
	char *end;
	long v;

	*out = 0;
	if (text == NULL)
		return 0;
	v = strtol(text, &end, 10);
	if (end == text || *end != '\0' || v < CRED_MIN_DURATION ||
	    v > CRED_MAX_DURATION) {
		log_error("profile '%s': duration_seconds '%s' must be a "
		    "number of seconds between %d and %d", profile, text,
		    CRED_MIN_DURATION, CRED_MAX_DURATION);
		return EX_CONFIG;
	}
	*out = (int)v;
	return 0;
}

/* Step 1: a role, on top of its source's plan. */
static int
plan_role(struct profiles *p, const char *profile, struct cred_plan *plan)
{
	const char *arn = pget(p, profile, "role_arn");
	const char *source = pget(p, profile, "source_profile");
	const char *named = pget(p, profile, "credential_source");
	const char *mfa = pget(p, profile, "mfa_serial");
	int duration, rc;

	if (source != NULL && named != NULL) {
		log_error("profile '%s' has both source_profile and "
		    "credential_source: keep one", profile);
		return EX_CONFIG;
	}
	if (source == NULL && named == NULL) {
		log_error("profile '%s' has role_arn but neither "
		    "source_profile nor credential_source", profile);
		return EX_CONFIG;
	}
	if ((rc = parse_duration(profile,
	    pget(p, profile, "duration_seconds"), &duration)) != 0)
		return rc;
	if (mfa != NULL)
		return report_mfa(profile, mfa, arn, source);
	rc = named != NULL ? plan_credential_source(profile, named, plan) :
	    plan_source_profile(p, profile, source, plan);
	if (rc != 0)
		return rc;
	if (cred_plan_add_role(plan, arn, pget(p, profile, "external_id"),
	    pget(p, profile, "role_session_name"), duration) == -1) {
		log_error("profile '%s': too many roles in a chain", profile);
		return EX_CONFIG;
	}
	return 0;
}

static int
plan_profile(struct profiles *p, const char *profile, struct cred_plan *plan)
{
	if (has_role(p, profile))
		return plan_role(p, profile, plan);
	return plan_plain(p, profile, plan);
}

int
cred_profile_plan(const char *profile, bool named, struct cred_plan *plan)
{
	struct profiles p;
	int rc;

	if ((rc = profiles_read(&p)) != 0)
		goto out;
	if (!pexists(&p, profile)) {
		if (named)
			log_error("profile '%s' is in neither %s nor %s",
			    profile, p.config.path ? p.config.path :
			    "~/.aws/config", p.creds.path ? p.creds.path :
			    "~/.aws/credentials");
		rc = named ? EX_CONFIG : CRED_ABSENT;
		goto out;
	}
	p.visited[p.nvisited++] = profile;
	rc = plan_profile(&p, profile, plan);
	if (rc == 0 && plan->base == CRED_NONE)
		rc = CRED_ABSENT;
out:
	if (rc != 0)
		cred_plan_free(plan);
	ini_free(&p.config);
	ini_free(&p.creds);
	return rc;
}
