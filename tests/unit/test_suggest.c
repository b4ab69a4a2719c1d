/* Typo suggestions for commands and options. */
#include "suggest.h"
#include "t.h"

static const char *const commands[] = { "test-connection", "connect",
	"disconnect", "poll", "status", "report", "help" };
#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void
test_distance_counts_edits_and_swaps(void)
{
	T_EQ_INT(suggest_distance("poll", "poll"), 0);
	T_EQ_INT(suggest_distance("pol", "poll"), 1);
	T_EQ_INT(suggest_distance("plol", "poll"), 1);
	T_EQ_INT(suggest_distance("", "abc"), 3);
	T_EQ_INT(suggest_distance("kitten", "sitting"), 3);
}

static void
test_nearest_command_for_a_typo(void)
{
	T_EQ_STR(suggest_nearest("pol", commands, NCOMMANDS), "poll");
	T_EQ_STR(suggest_nearest("stauts", commands, NCOMMANDS), "status");
	T_EQ_STR(suggest_nearest("reprot", commands, NCOMMANDS), "report");
	T_EQ_STR(suggest_nearest("test-conection", commands, NCOMMANDS),
	    "test-connection");
	T_EQ_STR(suggest_nearest("conect", commands, NCOMMANDS), "connect");
}

static void
test_unique_prefix_is_suggested(void)
{
	T_EQ_STR(suggest_nearest("test", commands, NCOMMANDS),
	    "test-connection");
	T_EQ_STR(suggest_nearest("disc", commands, NCOMMANDS), "disconnect");
}

static void
test_nothing_near_suggests_nothing(void)
{
	T_EQ_STR(suggest_nearest("frobnicate", commands, NCOMMANDS), NULL);
	T_EQ_STR(suggest_nearest("x", commands, NCOMMANDS), NULL);
	T_EQ_STR(suggest_nearest("list", commands, NCOMMANDS), NULL);
}

int
main(void)
{
	T_RUN(test_distance_counts_edits_and_swaps);
	T_RUN(test_nearest_command_for_a_typo);
	T_RUN(test_unique_prefix_is_suggested);
	T_RUN(test_nothing_near_suggests_nothing);
	return T_DONE();
}
