/* policy.c: models_allowed / models_denied globs on modelName. */
#include "policy.h"
#include "t.h"

static struct strlist
list(const char *a, const char *b)
{
	struct strlist l = { 0 };

	if (a != NULL)
		strlist_add(&l, a);
	if (b != NULL)
		strlist_add(&l, b);
	return l;
}

static enum policy_verdict
check(const char *allow, const char *deny, const char *model)
{
	struct strlist a = list(allow, NULL), d = list(deny, NULL);
	enum policy_verdict v = policy_check(&a, &d, model);

	strlist_free(&a);
	strlist_free(&d);
	return v;
}

static void
test_no_policy_allows_everything(void)
{
	struct strlist a = { 0 }, d = { 0 };

	T_ASSERT(!policy_configured(&a, &d));
	T_EQ_INT(policy_check(&a, &d, "meta.llama3-70b-instruct-v1:0"),
	    POLICY_ALLOWED);
}

static void
test_empty_allow_list_allows_what_is_not_denied(void)
{
	T_EQ_INT(check(NULL, "*llama*", "anthropic.claude-v2"),
	    POLICY_ALLOWED);
	T_EQ_INT(check(NULL, "*llama*", "meta.llama3-8b-instruct-v1:0"),
	    POLICY_DENIED);
}

static void
test_allow_list_leaves_others_unlisted(void)
{
	T_EQ_INT(check("anthropic.*", NULL, "anthropic.claude-v2"),
	    POLICY_ALLOWED);
	T_EQ_INT(check("anthropic.*", NULL, "amazon.titan-text-lite-v1"),
	    POLICY_UNLISTED);
}

static void
test_denied_wins_over_allowed(void)
{
	struct strlist a = list("anthropic.*", NULL);
	struct strlist d = list("anthropic.claude-v2*", NULL);

	T_ASSERT(policy_configured(&a, &d));
	T_EQ_INT(policy_check(&a, &d, "anthropic.claude-v2:1"),
	    POLICY_DENIED);
	T_EQ_INT(policy_check(&a, &d, "anthropic.claude-3-haiku"),
	    POLICY_ALLOWED);
	strlist_free(&a);
	strlist_free(&d);
}

static void
test_star_alone_matches_every_name(void)
{
	T_EQ_INT(check(NULL, "*", "anthropic.claude-v2"), POLICY_DENIED);
	T_EQ_INT(check(NULL, "*",
	    "arn:aws:bedrock:us-east-1:123456789012:provisioned-model/abc"),
	    POLICY_DENIED);
	T_EQ_INT(check("*", NULL, ".hidden"), POLICY_ALLOWED);
}

static void
test_dot_is_literal(void)
{
	T_EQ_INT(check("anthropic.*", NULL, "anthropicXclaude"),
	    POLICY_UNLISTED);
	T_EQ_INT(check("amazon.titan", NULL, "amazon.titan"), POLICY_ALLOWED);
	T_EQ_INT(check("amazon.titan", NULL, "amazon.titan2"),
	    POLICY_UNLISTED);
}

static void
test_question_mark_is_one_character(void)
{
	T_EQ_INT(check("meta.llama?-8b", NULL, "meta.llama3-8b"),
	    POLICY_ALLOWED);
	T_EQ_INT(check("meta.llama?-8b", NULL, "meta.llama-8b"),
	    POLICY_UNLISTED);
	T_EQ_INT(check("meta.llama?-8b", NULL, "meta.llama31-8b"),
	    POLICY_UNLISTED);
}

static void
test_match_is_whole_name_and_case_sensitive(void)
{
	T_EQ_INT(check("claude", NULL, "anthropic.claude-v2"),
	    POLICY_UNLISTED);
	T_EQ_INT(check("Anthropic.*", NULL, "anthropic.claude-v2"),
	    POLICY_UNLISTED);
}

static void
test_verdict_names(void)
{
	T_EQ_STR(policy_verdict_name(POLICY_ALLOWED), "allowed");
	T_EQ_STR(policy_verdict_name(POLICY_DENIED), "denied");
	T_EQ_STR(policy_verdict_name(POLICY_UNLISTED), "unlisted");
}

int
main(void)
{
	T_RUN(test_no_policy_allows_everything);
	T_RUN(test_empty_allow_list_allows_what_is_not_denied);
	T_RUN(test_allow_list_leaves_others_unlisted);
	T_RUN(test_denied_wins_over_allowed);
	T_RUN(test_star_alone_matches_every_name);
	T_RUN(test_dot_is_literal);
	T_RUN(test_question_mark_is_one_character);
	T_RUN(test_match_is_whole_name_and_case_sensitive);
	T_RUN(test_verdict_names);
	return T_DONE();
}
