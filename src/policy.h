/*
 * The model policy (SPEC section 8): models_allowed and models_denied,
 * fnmatch(3) globs on modelName ("anthropic.*", "*llama*", "?" for one
 * character, "." literal). A denied match wins; an empty allow list
 * allows every model that is not denied.
 */
#ifndef POLICY_H
#define POLICY_H

#include <stdbool.h>

#include "util.h"

enum policy_verdict {
	POLICY_ALLOWED,
	POLICY_DENIED,		/* matches models_denied */
	POLICY_UNLISTED,	/* models_allowed is set and does not match */
};

/* True when either list has an entry: report then shows the column. */
bool policy_configured(const struct strlist *allowed,
    const struct strlist *denied);

enum policy_verdict policy_check(const struct strlist *allowed,
    const struct strlist *denied, const char *model_name);

/* "allowed", "denied" or "unlisted". */
const char *policy_verdict_name(enum policy_verdict);

#endif
