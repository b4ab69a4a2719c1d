/*
 * Carrying out a credential plan, and again before what it gave expires.
 *
 * Each temporary credential is one layer: the base provider's, then one per
 * role assumed on top, each layer holding the one below it. A layer keeps
 * its current keys behind a mutex; credentials_current hands out a copy,
 * and fetches the layer again first when it is stale. Fetching a role
 * layer again takes the current keys of the layer below, which refreshes
 * that one too when it is stale: re-running the provider, then
 * re-assuming every role on top. Locks are taken top down only.
 */
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

#include "cred_plan.h"
#include "log.h"
#include "sts.h"
#include "util.h"

/* Refreshed this long before expiry, or at half-life if that is sooner. */
#define REFRESH_MARGIN	300
/* A failed refresh keeps keys that still have this long to live... */
#define KEEP_MARGIN	60
/* ...and is tried again after this long, not at every request. */
#define RETRY_AFTER	15

struct cred_refresh {
	pthread_mutex_t lock;
	struct credentials cur;		/* keys, token, expiration */
	time_t obtained;
	bool warned;			/* about a failed refresh, once */
	time_t retry_at;		/* after a failed refresh */
	/* How to fetch again: a base provider... */
	struct cred_plan *plan;
	/* ...or a role assumed with the layer below. */
	const struct credentials *parent;
	struct credentials *owned_parent;	/* NULL when not ours */
	struct cred_role role;
	/* Where STS is. */
	char *region, *endpoint_url, *ca_bundle;
	struct sts_target sts;
};

static char *
dup_or_null(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

int
cred_plan_add_role(struct cred_plan *plan, const char *role_arn,
    const char *external_id, const char *session_name, int duration)
{
	struct cred_role *r;

	if (plan->nroles == CRED_MAX_ROLES)
		return -1;
	r = &plan->roles[plan->nroles++];
	r->role_arn = xstrdup(role_arn);
	r->external_id = dup_or_null(external_id);
	r->session_name = dup_or_null(session_name);
	r->duration_seconds = duration;
	return 0;
}

static void
role_free(struct cred_role *r)
{
	free(r->role_arn);
	free(r->external_id);
	free(r->session_name);
	memset(r, 0, sizeof(*r));
}

void
cred_plan_free(struct cred_plan *plan)
{
	if (plan == NULL)
		return;
	credentials_clear(&plan->keys);
	free(plan->profile);
	free(plan->process);
	free(plan->sso.start_url);
	free(plan->sso.region);
	free(plan->sso.account_id);
	free(plan->sso.role_name);
	free(plan->sso.session);
	free(plan->token_file);
	free(plan->token_role_arn);
	free(plan->token_session_name);
	for (size_t i = 0; i < plan->nroles; i++)
		role_free(&plan->roles[i]);
	memset(plan, 0, sizeof(*plan));
}

/* The keys alone, for signing: no origin, regions or refresher. */
static void
copy_keys(const struct credentials *c, struct credentials *out)
{
	memset(out, 0, sizeof(*out));
	out->access_key_id = dup_or_null(c->access_key_id);
	out->secret_access_key = dup_or_null(c->secret_access_key);
	out->session_token = dup_or_null(c->session_token);
	out->expiration = c->expiration;
	out->source = c->source;
}

static bool
stale(const struct credentials *c, time_t obtained, time_t now)
{
	time_t margin;

	if (c->expiration == 0)
		return false;
	margin = (c->expiration - obtained) / 2;
	if (margin > REFRESH_MARGIN)
		margin = REFRESH_MARGIN;
	return now >= c->expiration - margin;
}

static void
log_fetched(const struct credentials *c, time_t now)
{
	char masked[32], at[32], until[32];

	if (log_get_level() < LOG_VERBOSE)
		return;
	credentials_mask_key_id(c->access_key_id, masked, sizeof(masked));
	log_verbose("credentials: fetched %s %s at %s, expire %s",
	    credentials_source_name(c->source), masked,
	    time_format_iso8601(now, at, sizeof(at)), c->expiration == 0 ?
	    "never" : time_format_iso8601(c->expiration, until,
	    sizeof(until)));
}

/* The environment's keys for credential_source = Environment. */
static int
env_keys(const struct cred_plan *plan, struct credentials *out)
{
	const char *id = getenv("AWS_ACCESS_KEY_ID");
	const char *secret = getenv("AWS_SECRET_ACCESS_KEY");
	const char *token = getenv("AWS_SESSION_TOKEN");

	if (id == NULL || *id == '\0' || secret == NULL || *secret == '\0')
		return CRED_ABSENT;
	memset(out, 0, sizeof(*out));
	out->access_key_id = xstrdup(id);
	out->secret_access_key = xstrdup(secret);
	out->session_token = token && *token ? xstrdup(token) : NULL;
	out->source = CRED_ENV;
	out->origin = xasprintf("credential_source of profile %s",
	    plan->profile ? plan->profile : "default");
	return 0;
}

static int
base_fetch_provider(const struct cred_plan *plan, const struct sts_target *t,
    struct credentials *out)
{
	struct cred_sso sso = { plan->sso.start_url, plan->sso.region,
		plan->sso.account_id, plan->sso.role_name, plan->sso.session };

	memset(out, 0, sizeof(*out));
	/* Keys the chain already holds: the store, environment, a file. */
	if (plan->keys.access_key_id != NULL) {
		copy_keys(&plan->keys, out);
		out->origin = dup_or_null(plan->keys.origin);
		return 0;
	}
	switch (plan->base) {
	case CRED_ENV:
		return env_keys(plan, out);
	case CRED_PROCESS:
		return cred_process_fetch(plan->process, out);
	case CRED_SSO:
		return cred_sso_fetch(&sso, plan->profile, t->ca_bundle, out);
	case CRED_WEB_IDENTITY:
		return cred_web_identity_fetch(t, plan->token_file,
		    plan->token_role_arn, plan->token_session_name, out);
	case CRED_CONTAINER:
		return cred_container_fetch(t->ca_bundle, out);
	case CRED_IMDS:
		return cred_imds_fetch(out);
	case CRED_NONE:
	case CRED_STORE:
	case CRED_SHARED:
	case CRED_ASSUMED_ROLE:
		break;
	}
	return CRED_ABSENT;
}

/* A provider run for a profile says which profile, unless it said more. */
static int
base_fetch(const struct cred_plan *plan, const struct sts_target *t,
    struct credentials *out)
{
	int rc = base_fetch_provider(plan, t, out);

	if (rc == 0 && out->origin == NULL && plan->profile != NULL)
		out->origin = xasprintf("profile %s", plan->profile);
	return rc;
}

static int
role_fetch(const struct credentials *parent, const struct cred_role *role,
    const struct sts_target *t, struct credentials *out)
{
	struct sts_assume_role req = {
		.role_arn = role->role_arn,
		.session_name = role->session_name ?
		    role->session_name : CRED_SESSION_NAME,
		.external_id = role->external_id,
		.duration_seconds = role->duration_seconds,
	};
	struct credentials base = { 0 };
	struct ct_error err;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = credentials_current(parent, &base)) != 0)
		return rc;
	if (sts_assume_role(t, &base, &req, out, &err) == -1) {
		ct_report_error(t->region, &err, false);
		log_error("  - while assuming role %s%s: check its trust "
		    "policy%s", role->role_arn, role->external_id ?
		    " with an external id" : "", role->external_id ?
		    " and the external id" : "");
		rc = ct_exit_code(err.kind);
	} else
		out->source = CRED_ASSUMED_ROLE;
	credentials_clear(&base);
	return rc;
}

static void
layer_set_target(struct cred_refresh *r, const struct sts_target *t)
{
	r->region = dup_or_null(t->region);
	r->endpoint_url = dup_or_null(t->endpoint_url);
	r->ca_bundle = dup_or_null(t->ca_bundle);
	r->sts = *t;
	r->sts.region = r->region;
	r->sts.endpoint_url = r->endpoint_url;
	r->sts.ca_bundle = r->ca_bundle;
}

static struct cred_refresh *
layer_new(const struct sts_target *t, const struct credentials *first)
{
	struct cred_refresh *r = xcalloc(1, sizeof(*r));

	pthread_mutex_init(&r->lock, NULL);
	layer_set_target(r, t);
	copy_keys(first, &r->cur);
	r->obtained = time(NULL);
	return r;
}

void
cred_refresh_free(struct cred_refresh *r)
{
	if (r == NULL)
		return;
	pthread_mutex_destroy(&r->lock);
	credentials_clear(&r->cur);
	cred_plan_free(r->plan);
	free(r->plan);
	if (r->owned_parent != NULL) {
		credentials_clear(r->owned_parent);
		free(r->owned_parent);
	}
	role_free(&r->role);
	free(r->region);
	free(r->endpoint_url);
	free(r->ca_bundle);
	free(r);
}

static int
layer_fetch(struct cred_refresh *r, struct credentials *out)
{
	if (r->plan != NULL)
		return base_fetch(r->plan, &r->sts, out);
	return role_fetch(r->parent, &r->role, &r->sts, out);
}

int
credentials_current(const struct credentials *c, struct credentials *copy)
{
	struct cred_refresh *r = c->refresh;
	struct credentials fresh;
	time_t now;
	int rc = 0;

	if (r == NULL) {
		copy_keys(c, copy);
		return 0;
	}
	pthread_mutex_lock(&r->lock);
	now = time(NULL);
	if (stale(&r->cur, r->obtained, now) && (now >= r->retry_at ||
	    now >= r->cur.expiration - KEEP_MARGIN)) {
		if ((rc = layer_fetch(r, &fresh)) == 0) {
			log_fetched(&fresh, now);
			credentials_clear(&r->cur);
			copy_keys(&fresh, &r->cur);
			r->obtained = now;
			credentials_clear(&fresh);
			r->warned = false;
		} else if (now < r->cur.expiration - KEEP_MARGIN) {
			if (!r->warned)
				log_warn("cannot refresh the credentials: using "
				    "the current ones until they are about to "
				    "expire");
			r->warned = true;
			r->retry_at = now + RETRY_AFTER;
			rc = 0;
		}
	}
	if (rc == 0)
		copy_keys(&r->cur, copy);
	pthread_mutex_unlock(&r->lock);
	return rc;
}

/* "instance role web-01", without the expiry: what a role was assumed via. */
static char *
describe_via(const struct credentials *c)
{
	char *d = credentials_describe(c);
	char *paren = strstr(d, " (expires ");

	if (paren != NULL && c->expiration != 0)
		*paren = '\0';
	return d;
}

/* A role on top of parent; owned (may be NULL) is freed with out. */
static int
role_layer(const struct credentials *parent, struct credentials *owned,
    const struct sts_target *t, const struct cred_role *role,
    struct credentials *out)
{
	int rc;

	if ((rc = role_fetch(parent, role, t, out)) != 0) {
		if (owned != NULL) {
			credentials_clear(owned);
			free(owned);
		}
		return rc;
	}
	log_fetched(out, time(NULL));
	free(out->origin);
	out->origin = describe_via(parent);
	out->refresh = layer_new(t, out);
	out->refresh->parent = parent;
	out->refresh->owned_parent = owned;
	out->refresh->role.role_arn = xstrdup(role->role_arn);
	out->refresh->role.external_id = dup_or_null(role->external_id);
	out->refresh->role.session_name = dup_or_null(role->session_name);
	out->refresh->role.duration_seconds = role->duration_seconds;
	return 0;
}

int
credentials_assume_role(const struct credentials *base,
    const struct sts_target *target, const struct sts_assume_role *role,
    struct credentials *out)
{
	struct cred_role r = { (char *)role->role_arn,
		(char *)role->external_id, (char *)role->session_name,
		role->duration_seconds };

	return role_layer(base, NULL, target, &r, out);
}

/*
 * The base provider, then each role in turn; the plan's roles are taken
 * into the layers, the rest of it into the base's layer when that expires.
 */
int
cred_plan_run(struct cred_plan *plan, const struct sts_target *t,
    struct credentials *out)
{
	struct credentials cur;
	struct credentials *below;
	int rc;

	if ((rc = base_fetch(plan, t, &cur)) != 0)
		return rc;
	log_fetched(&cur, time(NULL));
	if (cur.expiration != 0) {
		cur.refresh = layer_new(t, &cur);
		cur.refresh->plan = xcalloc(1, sizeof(*plan));
		*cur.refresh->plan = *plan;
		/* The roles stay with the caller's plan, to be freed there. */
		cur.refresh->plan->nroles = 0;
		memset(plan, 0, offsetof(struct cred_plan, roles));
	}
	for (size_t i = 0; i < plan->nroles; i++) {
		below = xmalloc(sizeof(*below));
		*below = cur;
		if ((rc = role_layer(below, below, t, &plan->roles[i],
		    &cur)) != 0)
			return rc;
	}
	*out = cur;
	return 0;
}
