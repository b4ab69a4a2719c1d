/*
 * report --inventory: what the state's inventory holds, per account, as
 * a table, JSON or CSV (see bedrock-trail(1)). Write errors are left in
 * the stream's error flag for main to find.
 */
#ifndef INVENTORY_REPORT_H
#define INVENTORY_REPORT_H

#include <stdio.h>

#include "config.h"
#include "inventory.h"

enum inventory_format { INVENTORY_TABLE, INVENTORY_JSON, INVENTORY_CSV };

/* cfg gives the policy: models and pairs get its verdict when set. */
void inventory_report(FILE *, const struct inventory *,
    const struct config *cfg, enum inventory_format);

#endif
