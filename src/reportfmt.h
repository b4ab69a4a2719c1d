/*
 * report's three output formats, from the sorted figures of reportagg.
 * Write errors are left in the stream's error flag for the caller (main
 * flushes and checks stdout).
 *
 * table: at most REPORTFMT_WIDTH columns; a long name keeps its start
 *   and its end around "..." (a model in the Models section two thirds
 *   from its end); control characters become '?'.
 * json:  one compact object and a newline:
 *   {"models":[{"modelName","calls","errors","principals","regions":[..],
 *   "firstSeen","lastSeen"}],"principals":[{"principal","modelName",
 *   "calls"}],"accounts":[{"accountId","calls","errors","models",
 *   "principals","regions":[..],"firstSeen","lastSeen"}],"records":N,
 *   "malformed":N}  ("accounts" only when the records come from more
 *   than one account, as the table's Accounts section)
 * csv:   RFC 4180 (quoting, CRLF), one header and one row per model and
 *   per principal and model: section,modelName,principal,calls,errors,
 *   principals,regions,firstSeen,lastSeen; section is "model" or
 *   "principal", fields that do not apply are empty, regions are
 *   separated by spaces.
 */
#ifndef REPORTFMT_H
#define REPORTFMT_H

#include <stdbool.h>
#include <stdio.h>

#include "reportagg.h"
#include "util.h"

#define REPORTFMT_WIDTH 80

void reportfmt_table(FILE *, const struct reportagg_result *);
void reportfmt_json(FILE *, const struct reportagg_result *);
void reportfmt_csv(FILE *, const struct reportagg_result *);

/*
 * For the other tables (report --inventory): s in at most width columns
 * (cut in the middle, control characters as '?'), padded when pad; and
 * ",s" as an RFC 4180 field.
 */
void reportfmt_cell(struct strbuf *, const char *s, size_t width, bool pad);
void reportfmt_csv_field(struct strbuf *, const char *s);

#endif
