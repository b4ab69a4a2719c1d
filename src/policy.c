#include "policy.h"

#include <fnmatch.h>
#include <stddef.h>

/*
 * No flag: "*" also matches "/" and ":", which provisioned and imported
 * model ARNs contain, and a leading "." is an ordinary character.
 */
static bool
matches_any(const struct strlist *globs, const char *name)
{
	for (size_t i = 0; i < globs->n; i++)
		if (fnmatch(globs->v[i], name, 0) == 0)
			return true;
	return false;
}

bool
policy_configured(const struct strlist *allowed, const struct strlist *denied)
{
	return allowed->n > 0 || denied->n > 0;
}

enum policy_verdict
policy_check(const struct strlist *allowed, const struct strlist *denied,
    const char *model_name)
{
	if (matches_any(denied, model_name))
		return POLICY_DENIED;
	if (allowed->n == 0 || matches_any(allowed, model_name))
		return POLICY_ALLOWED;
	return POLICY_UNLISTED;
}

const char *
policy_verdict_name(enum policy_verdict v)
{
	switch (v) {
	case POLICY_DENIED:
		return "denied";
	case POLICY_UNLISTED:
		return "unlisted";
	case POLICY_ALLOWED:
		break;
	}
	return "allowed";
}
