/*
 * The regions table. A region is added here when AWS opens it; the test
 * compares each partition with botocore's endpoints.json and lists the
 * regions newer than the botocore the test machine ships.
 */
#include "regions.h"

#include <string.h>

/* Commercial regions; the opt-in ones are marked in opt_in below. */
static const char *const aws[] = {
	"us-east-1", "us-east-2", "us-west-1", "us-west-2",
	"af-south-1",
	"ap-east-1", "ap-east-2", "ap-south-1", "ap-south-2",
	"ap-southeast-1", "ap-southeast-2", "ap-southeast-3",
	"ap-southeast-4", "ap-southeast-5", "ap-southeast-6",
	"ap-southeast-7",
	"ap-northeast-1", "ap-northeast-2", "ap-northeast-3",
	"ca-central-1", "ca-west-1",
	"eu-central-1", "eu-central-2", "eu-north-1", "eu-south-1",
	"eu-south-2", "eu-west-1", "eu-west-2", "eu-west-3",
	"il-central-1",
	"me-central-1", "me-south-1",
	"mx-central-1",
	"sa-east-1",
	NULL
};

static const char *const aws_cn[] = {
	"cn-north-1", "cn-northwest-1",
	NULL
};

static const char *const aws_us_gov[] = {
	"us-gov-east-1", "us-gov-west-1",
	NULL
};

/* Regions launched since March 2019 are disabled until the account opts in. */
static const char *const opt_in[] = {
	"af-south-1", "ap-east-1", "ap-east-2", "ap-south-2",
	"ap-southeast-3", "ap-southeast-4", "ap-southeast-5",
	"ap-southeast-6", "ap-southeast-7", "ca-west-1", "eu-central-2",
	"eu-south-1", "eu-south-2", "il-central-1", "me-central-1",
	"me-south-1", "mx-central-1",
	NULL
};

static const struct {
	const char *name;
	const char *const *regions;
} partitions[] = {
	{ "aws", aws },
	{ "aws-cn", aws_cn },
	{ "aws-us-gov", aws_us_gov },
};

static bool
in(const char *const *list, const char *s)
{
	for (; *list != NULL; list++)
		if (strcmp(*list, s) == 0)
			return true;
	return false;
}

const char *
regions_partition(const char *region)
{
	if (strncmp(region, "cn-", 3) == 0)
		return "aws-cn";
	if (strncmp(region, "us-gov-", 7) == 0)
		return "aws-us-gov";
	return "aws";
}

int
regions_all(const char *partition, struct strlist *out)
{
	for (size_t i = 0; i < sizeof(partitions) / sizeof(partitions[0]);
	    i++) {
		if (strcmp(partitions[i].name, partition) != 0)
			continue;
		for (const char *const *r = partitions[i].regions; *r; r++)
			strlist_add(out, *r);
		return 0;
	}
	return -1;
}

bool
regions_opt_in(const char *region)
{
	return in(opt_in, region);
}

bool
regions_not_enabled(const char *region, const char *code)
{
	static const char *const codes[] = { "UnrecognizedClientException",
		"InvalidClientTokenId", "AuthFailure", "OptInRequired", NULL };

	return regions_opt_in(region) && in(codes, code);
}
