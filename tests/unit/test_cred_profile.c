/*
 * A profile of the shared config and credentials files, resolved as the
 * AWS CLI v2 does: tests/fixtures/aws/config and credentials hold one
 * profile per case. Each test checks the plan (base provider and roles on
 * top, in order) or the exit code and the exact first line of stderr.
 */
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "cred_plan.h"
#include "t.h"

#define FIX "tests/fixtures/aws/"

static int
plan_of(const char *profile, bool named, struct cred_plan *plan, char **err)
{
	int rc;

	memset(plan, 0, sizeof(*plan));
	setenv("AWS_CONFIG_FILE", FIX "config", 1);
	setenv("AWS_SHARED_CREDENTIALS_FILE", FIX "credentials", 1);
	t_capture_start();
	rc = cred_profile_plan(profile, named, plan);
	*err = strdup(t_capture_end());
	return rc;
}

/* The first line of stderr, which the tests compare exactly. */
static const char *
first_line(char *err)
{
	char *nl = strchr(err, '\n');

	if (nl != NULL)
		*nl = '\0';
	return err;
}

static void
expect_error(const char *profile, int want, const char *line)
{
	struct cred_plan plan;
	char *err;

	T_EQ_INT(plan_of(profile, true, &plan, &err), want);
	T_EQ_STR(first_line(err), line);
	T_EQ_INT(plan.base, CRED_NONE);
	T_EQ_INT(plan.nroles, 0);
	free(err);
	cred_plan_free(&plan);
}

static void
test_static_keys_in_the_config_file(void)
{
	struct cred_plan plan;
	char *err;

	T_EQ_INT(plan_of("static-config", true, &plan, &err), 0);
	T_EQ_INT(plan.base, CRED_SHARED);
	/* The nested s3 block's lines are not the profile's keys. */
	T_EQ_STR(plan.keys.access_key_id, "AKIACONFIGSTATIC0001");
	T_EQ_STR(plan.keys.origin, FIX "config [profile static-config]");
	T_EQ_INT(plan.nroles, 0);
	T_EQ_STR(err, "");
	free(err);
	cred_plan_free(&plan);
}

static void
test_credentials_file_wins_over_config_file(void)
{
	struct cred_plan plan;
	char *err;

	T_EQ_INT(plan_of("both-files", true, &plan, &err), 0);
	T_EQ_STR(plan.keys.access_key_id, "AKIACREDSFILEWINS011");
	T_EQ_STR(plan.keys.origin, FIX "credentials [both-files]");
	free(err);
	cred_plan_free(&plan);
	T_EQ_INT(plan_of("only-in-credentials", true, &plan, &err), 0);
	T_EQ_STR(plan.keys.access_key_id, "AKIAONLYCREDSFILE013");
	free(err);
	cred_plan_free(&plan);
}

static void
test_source_profile_chain_of_two(void)
{
	struct cred_plan plan;
	char *err;

	T_EQ_INT(plan_of("chain2", true, &plan, &err), 0);
	T_EQ_INT(plan.base, CRED_SHARED);
	T_EQ_STR(plan.keys.access_key_id, "AKIABASESTATIC000010");
	T_EQ_INT(plan.nroles, 1);
	T_EQ_STR(plan.roles[0].role_arn, "arn:aws:iam::111122223333:role/Two");
	T_EQ_STR(plan.roles[0].external_id, "ext-two");
	T_EQ_STR(plan.roles[0].session_name, "two-session");
	T_EQ_INT(plan.roles[0].duration_seconds, 1800);
	free(err);
	cred_plan_free(&plan);
}

static void
test_source_profile_chain_of_three(void)
{
	struct cred_plan plan;
	char *err;

	T_EQ_INT(plan_of("chain3", true, &plan, &err), 0);
	T_EQ_STR(plan.keys.access_key_id, "AKIABASESTATIC000010");
	T_EQ_INT(plan.nroles, 2);
	T_EQ_STR(plan.roles[0].role_arn, "arn:aws:iam::111122223333:role/Two");
	T_EQ_STR(plan.roles[1].role_arn,
	    "arn:aws:iam::444455556666:role/Three");
	T_ASSERT(plan.roles[1].external_id == NULL);
	T_ASSERT(plan.roles[1].session_name == NULL);
	T_EQ_INT(plan.roles[1].duration_seconds, 0);
	free(err);
	cred_plan_free(&plan);
}

static void
test_source_profile_loop_is_refused(void)
{
	expect_error("loop-a", EX_CONFIG, "profile 'loop-a': "
	    "source_profile loop: loop-a -> loop-b -> loop-a");
	expect_error("self-nokeys", EX_CONFIG, "profile "
	    "'self-nokeys': source_profile loop: self-nokeys -> self-nokeys");
}

static void
test_profile_may_source_its_own_static_keys(void)
{
	struct cred_plan plan;
	char *err;

	T_EQ_INT(plan_of("self", true, &plan, &err), 0);
	T_EQ_STR(plan.keys.access_key_id, "AKIASELFSTATIC000003");
	T_EQ_INT(plan.nroles, 1);
	T_EQ_STR(plan.roles[0].role_arn,
	    "arn:aws:iam::111122223333:role/Self");
	free(err);
	cred_plan_free(&plan);
}

static void
test_both_or_neither_source_is_refused(void)
{
	expect_error("both", EX_CONFIG, "profile 'both' has "
	    "both source_profile and credential_source: keep one");
	expect_error("neither", EX_CONFIG, "profile 'neither' "
	    "has role_arn but neither source_profile nor credential_source");
	expect_error("bad-source", EX_CONFIG, "profile "
	    "'bad-source': credential_source 'Ec2Metadata' is not "
	    "Environment, Ec2InstanceMetadata or EcsContainer");
	expect_error("ghost-source", EX_CONFIG, "profile "
	    "'ghost-source': source_profile 'ghost' does not exist");
	expect_error("empty-source", EX_CONFIG, "profile "
	    "'empty-source': source_profile 'empty' has no credentials");
}

static void
test_credential_source_names_a_provider(void)
{
	static const struct {
		const char *profile;
		enum credential_source base;
	} cases[] = {
		{ "from-imds", CRED_IMDS },
		{ "from-env", CRED_ENV },
		{ "from-container", CRED_CONTAINER },
	};
	struct cred_plan plan;
	char *err;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		T_EQ_INT(plan_of(cases[i].profile, true, &plan, &err), 0);
		T_EQ_INT(plan.base, cases[i].base);
		T_EQ_STR(plan.profile, cases[i].profile);
		T_EQ_INT(plan.nroles, 1);
		free(err);
		cred_plan_free(&plan);
	}
}

static void
test_duration_out_of_range_is_refused(void)
{
	expect_error("short", EX_CONFIG, "profile 'short': "
	    "duration_seconds '899' must be a number of seconds between 900 "
	    "and 43200");
	expect_error("long", EX_CONFIG, "profile 'long': "
	    "duration_seconds '43201' must be a number of seconds between "
	    "900 and 43200");
	expect_error("not-a-number", EX_CONFIG, "profile "
	    "'not-a-number': duration_seconds '1h' must be a number of "
	    "seconds between 900 and 43200");
}

static void
test_mfa_serial_says_what_to_run(void)
{
	struct cred_plan plan;
	char *err;

	T_EQ_INT(plan_of("mfa", true, &plan, &err), EX_NOPERM);
	T_EQ_STR(err, "Invalid credentials or insufficient "
	    "permissions\n"
	    "profile 'mfa' needs an MFA code (mfa_serial "
	    "arn:aws:iam::111122223333:mfa/admin), which nobody can type "
	    "when bedrock-trail runs from cron\n"
	    "run: aws sts assume-role --profile base "
	    "--role-arn arn:aws:iam::111122223333:role/Admin "
	    "--role-session-name bedrock-trail --serial-number "
	    "arn:aws:iam::111122223333:mfa/admin --token-code CODE\n"
	    "and give the keys it prints in AWS_ACCESS_KEY_ID, "
	    "AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN, or trust a role "
	    "that does not require MFA\n");
	T_EQ_INT(plan.nroles, 0);
	free(err);
	cred_plan_free(&plan);
}

static void
test_sso_session_and_legacy_sso(void)
{
	struct cred_plan plan;
	char *err;

	T_EQ_INT(plan_of("sso-new", true, &plan, &err), 0);
	T_EQ_INT(plan.base, CRED_SSO);
	T_EQ_STR(plan.sso.session, "corp");
	T_EQ_STR(plan.sso.start_url, "https://corp.awsapps.com/start");
	T_EQ_STR(plan.sso.region, "eu-west-1");
	T_EQ_STR(plan.sso.account_id, "111122223333");
	T_EQ_STR(plan.sso.role_name, "BedrockTrailReader");
	T_EQ_STR(plan.profile, "sso-new");
	free(err);
	cred_plan_free(&plan);
	T_EQ_INT(plan_of("sso-legacy", true, &plan, &err), 0);
	T_EQ_INT(plan.base, CRED_SSO);
	T_ASSERT(plan.sso.session == NULL);
	T_EQ_STR(plan.sso.start_url, "https://legacy.awsapps.com/start");
	T_EQ_STR(plan.sso.region, "us-west-2");
	free(err);
	cred_plan_free(&plan);
	expect_error("sso-no-session", EX_CONFIG, "profile "
	    "'sso-no-session': sso_session 'nowhere' has no [sso-session "
	    "nowhere] section in " FIX "config");
	expect_error("sso-partial", EX_CONFIG, "profile "
	    "'sso-partial': IAM Identity Center needs sso_start_url, "
	    "sso_region, sso_account_id and sso_role_name");
}

static void
test_process_between_the_two_files_keys(void)
{
	struct cred_plan plan;
	char *err;

	T_EQ_INT(plan_of("process", true, &plan, &err), 0);
	T_EQ_INT(plan.base, CRED_PROCESS);
	T_EQ_STR(plan.process,
	    "/usr/local/bin/get-creds --profile \"two words\"");
	free(err);
	cred_plan_free(&plan);
	/* The credentials file's keys come before credential_process... */
	T_EQ_INT(plan_of("process-and-keys", true, &plan, &err), 0);
	T_EQ_INT(plan.base, CRED_SHARED);
	T_EQ_STR(plan.keys.access_key_id, "AKIAKEYSBEATPROCESS2");
	free(err);
	cred_plan_free(&plan);
	/* ...and credential_process before the config file's. */
	T_EQ_INT(plan_of("process-and-config-keys", true, &plan, &err), 0);
	T_EQ_INT(plan.base, CRED_PROCESS);
	T_EQ_STR(plan.process, "/usr/local/bin/wins");
	T_ASSERT(plan.keys.access_key_id == NULL);
	free(err);
	cred_plan_free(&plan);
}

static void
test_web_identity_profile(void)
{
	struct cred_plan plan;
	char *err;

	T_EQ_INT(plan_of("web", true, &plan, &err), 0);
	T_EQ_INT(plan.base, CRED_WEB_IDENTITY);
	T_EQ_STR(plan.token_file, "/var/run/secrets/token");
	T_EQ_STR(plan.token_role_arn, "arn:aws:iam::111122223333:role/Web");
	T_EQ_STR(plan.token_session_name, "web-session");
	/* A role with a token file is web identity's, not assumed on top. */
	T_EQ_INT(plan.nroles, 0);
	free(err);
	cred_plan_free(&plan);
	expect_error("web-no-role", EX_CONFIG, "profile "
	    "'web-no-role': web_identity_token_file needs role_arn");
}

static void
test_missing_and_empty_profiles(void)
{
	struct cred_plan plan;
	char *err;

	/* Named: an error. The default, unnamed: absent, the chain goes on. */
	expect_error("nope", EX_CONFIG, "profile 'nope' is in "
	    "neither " FIX "config nor " FIX "credentials");
	T_EQ_INT(plan_of("nope", false, &plan, &err), CRED_ABSENT);
	T_EQ_STR(err, "");
	free(err);
	T_EQ_INT(plan_of("default", false, &plan, &err), CRED_ABSENT);
	T_EQ_STR(err, "");
	free(err);
	expect_error("half", EX_CONFIG, "" FIX "config: "
	    "profile [half] has aws_access_key_id but no "
	    "aws_secret_access_key");
}

int
main(void)
{
	T_RUN(test_static_keys_in_the_config_file);
	T_RUN(test_credentials_file_wins_over_config_file);
	T_RUN(test_source_profile_chain_of_two);
	T_RUN(test_source_profile_chain_of_three);
	T_RUN(test_source_profile_loop_is_refused);
	T_RUN(test_profile_may_source_its_own_static_keys);
	T_RUN(test_both_or_neither_source_is_refused);
	T_RUN(test_credential_source_names_a_provider);
	T_RUN(test_duration_out_of_range_is_refused);
	T_RUN(test_mfa_serial_says_what_to_run);
	T_RUN(test_sso_session_and_legacy_sso);
	T_RUN(test_process_between_the_two_files_keys);
	T_RUN(test_web_identity_profile);
	T_RUN(test_missing_and_empty_profiles);
	return T_DONE();
}
