/*
 * The bytes as the YAML file named with -c. config_load must return 0 or
 * EX_CONFIG, never crash or leak; a configuration it accepts must be one
 * the rest of the program can trust (valid regions, bounded lists).
 */
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "config.h"
#include "fuzz.h"

void
fuzz_target_init(void)
{
}

static void
check_config(const struct config *cfg, const char *path)
{
	size_t i;

	FUZZ_CHECK(cfg->path != NULL && strcmp(cfg->path, path) == 0, "path");
	for (i = 0; i < cfg->regions.n; i++)
		FUZZ_CHECK(config_region_valid(cfg->regions.v[i]),
		    "accepted an invalid region");
	FUZZ_CHECK(cfg->nextra_fields <=
		sizeof(cfg->extra_fields) / sizeof(cfg->extra_fields[0]),
	    "extra_fields overflow");
	for (i = 0; i < cfg->nextra_fields; i++)
		FUZZ_CHECK(cfg->extra_fields[i] <= EXTRA_INFERENCE_REGION,
		    "unknown extra field");
	FUZZ_CHECK(cfg->state_file != NULL && cfg->key_file != NULL &&
		cfg->credentials_file != NULL && cfg->output != NULL &&
		cfg->profile != NULL,
	    "a default went missing");
	FUZZ_CHECK(cfg->first_poll_lookback >= 0 && cfg->overlap >= 0 &&
		cfg->timeout >= 0,
	    "negative duration");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct config_overrides o = { 0 };
	struct config cfg;
	const char *path = fuzz_path("config.yaml");
	int rc;

	fuzz_setup();
	fuzz_write_file(path, data, len, 0600);
	o.config_path = path;
	memset(&cfg, 0, sizeof(cfg));
	rc = config_load(&cfg, &o);
	FUZZ_CHECK(rc == 0 || rc == EX_CONFIG, "config_load result");
	if (rc == 0)
		check_config(&cfg, path);
	config_free(&cfg);
	return 0;
}
