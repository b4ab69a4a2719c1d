/*
 * Discoveries (SPEC section 8): a batch's records, oldest first, checked
 * against the inventory. Each thing never seen before in its account
 * gives one line, in this order per record: new_model, new_principal,
 * new_principal_model, new_region, then unapproved_model (once per
 * principal and model) when the model is outside the policy:
 *   {"discovery":"new_model","accountId":"...","awsRegion":"...",
 *    "modelName":"...","principal":"...","firstSeen":"...",
 *    "eventID":"..."[,"baseline":true]}
 * Only calls that name a model count. The principal is the record's
 * userIdentity.arn, else userName, else type, as report has it.
 */
#ifndef DISCOVERIES_H
#define DISCOVERIES_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "config.h"
#include "inventory.h"
#include "util.h"

struct discoveries {
	const struct config *cfg;	/* the policy lists */
	bool baseline;			/* the unit's first batch */
	struct inventory after;		/* the inventory after the batch */
	struct strbuf lines;		/* each ends with a newline */
	size_t nlines;
	unsigned long outside;		/* calls outside the policy */
};

/*
 * Starts a batch of unit (the polled region) from the committed
 * inventory now: after is a copy of it that the batch updates.
 */
void discoveries_begin(struct discoveries *, const struct config *,
    const struct inventory *now, const char *unit);

/* One record line of the batch; -1 when it is not a JSON object. */
int discoveries_add(struct discoveries *, const char *line, size_t len);

void discoveries_free(struct discoveries *);

#endif
