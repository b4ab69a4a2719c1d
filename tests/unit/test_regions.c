/* regions.c: the partitions and the opt-in regions of `regions: all`. */
#include <string.h>

#include "regions.h"
#include "t.h"

static void
test_partition_of_a_region_code(void)
{
	T_EQ_STR(regions_partition("us-east-1"), "aws");
	T_EQ_STR(regions_partition("cn-northwest-1"), "aws-cn");
	T_EQ_STR(regions_partition("us-gov-west-1"), "aws-us-gov");
	T_EQ_STR(regions_partition("eu-central-2"), "aws");
}

static void
test_all_regions_of_each_partition(void)
{
	struct strlist l = { 0 };

	T_EQ_INT(regions_all("aws-cn", &l), 0);
	T_EQ_INT(l.n, 2);
	T_EQ_STR(l.v[0], "cn-north-1");
	strlist_free(&l);
	T_EQ_INT(regions_all("aws", &l), 0);
	T_ASSERT(strlist_contains(&l, "us-east-1"));
	T_ASSERT(strlist_contains(&l, "mx-central-1"));
	T_ASSERT(!strlist_contains(&l, "cn-north-1"));
	T_ASSERT(!strlist_contains(&l, "us-gov-west-1"));
	strlist_free(&l);
	T_EQ_INT(regions_all("aws-iso", &l), -1);
	T_EQ_INT(l.n, 0);
}

static void
test_not_enabled_only_for_opt_in_regions_and_their_codes(void)
{
	T_ASSERT(regions_opt_in("af-south-1"));
	T_ASSERT(!regions_opt_in("us-east-1"));
	T_ASSERT(regions_not_enabled("af-south-1",
	    "UnrecognizedClientException"));
	T_ASSERT(regions_not_enabled("me-south-1", "InvalidClientTokenId"));
	T_ASSERT(regions_not_enabled("il-central-1", "OptInRequired"));
	T_ASSERT(!regions_not_enabled("us-east-1",
	    "UnrecognizedClientException"));
	T_ASSERT(!regions_not_enabled("af-south-1", "AccessDeniedException"));
}

int
main(void)
{
	T_RUN(test_partition_of_a_region_code);
	T_RUN(test_all_regions_of_each_partition);
	T_RUN(test_not_enabled_only_for_opt_in_regions_and_their_codes);
	return T_DONE();
}
