/*
 * The credential chain: store > environment > shared file, the shared
 * file's INI dialect, the errors and their exact messages, masking. Runs
 * with HOME and every AWS_* variable pointed into a fresh /tmp directory.
 */
#include <sys/stat.h>

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "credentials.h"
#include "credstore.h"
#include "t.h"

#define STORE_ID	"AKIASTORE00000000001"
#define STORE_SECRET	"storeSECRETstoreSECRETstoreSECRET0000001"
#define ENV_ID		"AKIAENVIRON000000002"
#define ENV_SECRET	"envSECRETenvSECRETenvSECRETenvSECRET0002"
#define ENV_TOKEN	"envTOKENenvTOKEN0002"
#define DEF_ID		"AKIADEFAULT000000003"
#define DEF_SECRET	"defSECRETdefSECRETdefSECRETdefSECRET0003"
#define WORK_ID		"AKIAWORKPROF00000004"
#define WORK_SECRET	"workSECRETworkSECRETworkSECRETwork000004"
#define WORK_TOKEN	"workTOKENworkTOKEN0004"

static const char *secrets[] = {
	STORE_SECRET, ENV_SECRET, ENV_TOKEN, DEF_SECRET, WORK_SECRET,
	WORK_TOKEN,
};

static char dir[64], home[128], store[128], key[128], shared[128];

static const char shared_text[] =
    "# comments and blank lines are ignored\n"
    "\n"
    "; so are these\n"
    "[default]\n"
    "aws_access_key_id=" DEF_ID "\n"
    "aws_secret_access_key = " DEF_SECRET "\n"
    "region = us-east-1\n"
    "\n"
    "  [ work ]  \r\n"
    "AWS_Access_Key_Id\t=\t" WORK_ID "   \r\n"
    "# aws_secret_access_key = commentedOUT\r\n"
    "  aws_secret_access_key =" WORK_SECRET "\r\n"
    "aws_session_token = " WORK_TOKEN "\r\n"
    "[partial]\n"
    "aws_access_key_id = AKIAPARTIAL000000005\n"
    "[sso]\n"
    "sso_start_url = https://example.awsapps.com/start\n";

static void
write_text(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	(void)!write(fd, text, strlen(text));
	close(fd);
}

/* A fresh directory; HOME inside it, no AWS_* variable set. */
static void
fresh_env(void)
{
	char cmd[128];

	if (dir[0] != '\0') {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		(void)!system(cmd);
	}
	snprintf(dir, sizeof(dir), "/tmp/bt-credentials-XXXXXX");
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		exit(2);
	}
	snprintf(home, sizeof(home), "%s/home", dir);
	snprintf(store, sizeof(store), "%s/state/credentials.enc", dir);
	snprintf(key, sizeof(key), "%s/master.key", dir);
	snprintf(shared, sizeof(shared), "%s/shared-credentials", dir);
	mkdir(home, 0700);
	setenv("HOME", home, 1);
	unsetenv("AWS_ACCESS_KEY_ID");
	unsetenv("AWS_SECRET_ACCESS_KEY");
	unsetenv("AWS_SESSION_TOKEN");
	unsetenv("AWS_SHARED_CREDENTIALS_FILE");
	unsetenv("AWS_CONFIG_FILE");
	unsetenv("AWS_PROFILE");
	unsetenv("AWS_WEB_IDENTITY_TOKEN_FILE");
	unsetenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
	unsetenv("AWS_CONTAINER_CREDENTIALS_FULL_URI");
	/* No instance metadata service to wait for here. */
	setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
}

static struct config
config_for(const char *profile)
{
	struct config cfg;

	memset(&cfg, 0, sizeof(cfg));
	cfg.credentials_file = store;
	cfg.key_file = key;
	cfg.profile = (char *)profile;
	return cfg;
}

/* stderr since t_capture_start, which must hold no secret (caller frees). */
static char *
capture_end(void)
{
	char *buf = strdup(t_capture_end());

	for (size_t i = 0; i < sizeof(secrets) / sizeof(secrets[0]); i++)
		if (strstr(buf, secrets[i]) != NULL)
			T_FAIL("a secret appears on stderr: %s", buf);
	return buf;
}

/* Resolves with stderr captured; returns the exit code and stderr. */
static int
resolve(const char *profile, struct credentials *out, char **err)
{
	struct config cfg = config_for(profile);
	int rc;

	t_capture_start();
	rc = credentials_resolve(&cfg, out);
	*err = capture_end();
	return rc;
}

static void
save_store(void)
{
	struct credentials c = { 0 };

	c.access_key_id = strdup(STORE_ID);
	c.secret_access_key = strdup(STORE_SECRET);
	strlist_add(&c.regions, "ap-south-1");
	T_EQ_INT(credstore_save(store, key, &c), 0);
	credentials_clear(&c);
}

static void
test_store_wins_over_env_and_shared_file(void)
{
	struct credentials c = { 0 };
	char *err;

	fresh_env();
	save_store();
	setenv("AWS_ACCESS_KEY_ID", ENV_ID, 1);
	setenv("AWS_SECRET_ACCESS_KEY", ENV_SECRET, 1);
	setenv("AWS_SHARED_CREDENTIALS_FILE", shared, 1);
	write_text(shared, shared_text);
	T_EQ_INT(resolve(NULL, &c, &err), 0);
	T_EQ_STR(err, "");
	T_EQ_INT(c.source, CRED_STORE);
	T_EQ_STR(c.access_key_id, STORE_ID);
	T_EQ_STR(c.secret_access_key, STORE_SECRET);
	T_EQ_STR(c.origin, store);
	T_EQ_INT(c.regions.n, 1);
	if (c.regions.n == 1)
		T_EQ_STR(c.regions.v[0], "ap-south-1");
	credentials_clear(&c);
	free(err);
}

static void
test_env_wins_over_shared_file(void)
{
	struct credentials c = { 0 };
	char *err;

	fresh_env();
	setenv("AWS_ACCESS_KEY_ID", ENV_ID, 1);
	setenv("AWS_SECRET_ACCESS_KEY", ENV_SECRET, 1);
	setenv("AWS_SESSION_TOKEN", ENV_TOKEN, 1);
	setenv("AWS_SHARED_CREDENTIALS_FILE", shared, 1);
	write_text(shared, shared_text);
	T_EQ_INT(resolve(NULL, &c, &err), 0);
	T_EQ_INT(c.source, CRED_ENV);
	T_EQ_STR(c.access_key_id, ENV_ID);
	T_EQ_STR(c.secret_access_key, ENV_SECRET);
	T_EQ_STR(c.session_token, ENV_TOKEN);
	T_EQ_INT(c.regions.n, 0);
	credentials_clear(&c);
	free(err);
	/* Without a token the credentials are long-term ones. */
	unsetenv("AWS_SESSION_TOKEN");
	T_EQ_INT(resolve(NULL, &c, &err), 0);
	T_EQ_INT(c.source, CRED_ENV);
	T_ASSERT(c.session_token == NULL);
	credentials_clear(&c);
	free(err);
}

static void
test_shared_file_default_profile(void)
{
	struct credentials c = { 0 };
	char *err, origin[192];

	fresh_env();
	setenv("AWS_SHARED_CREDENTIALS_FILE", shared, 1);
	write_text(shared, shared_text);
	T_EQ_INT(resolve(NULL, &c, &err), 0);
	T_EQ_INT(c.source, CRED_SHARED);
	T_EQ_STR(c.access_key_id, DEF_ID);
	T_EQ_STR(c.secret_access_key, DEF_SECRET);
	T_ASSERT(c.session_token == NULL);
	snprintf(origin, sizeof(origin), "%s [default]", shared);
	T_EQ_STR(c.origin, origin);
	credentials_clear(&c);
	free(err);
}

static void
test_shared_file_named_profile(void)
{
	struct credentials c = { 0 };
	char *err, origin[192];

	fresh_env();
	setenv("AWS_SHARED_CREDENTIALS_FILE", shared, 1);
	write_text(shared, shared_text);
	T_EQ_INT(resolve("work", &c, &err), 0);
	T_EQ_INT(c.source, CRED_SHARED);
	T_EQ_STR(c.access_key_id, WORK_ID);
	T_EQ_STR(c.secret_access_key, WORK_SECRET);
	T_EQ_STR(c.session_token, WORK_TOKEN);
	snprintf(origin, sizeof(origin), "%s [work]", shared);
	T_EQ_STR(c.origin, origin);
	credentials_clear(&c);
	free(err);
}

static void
test_home_aws_credentials_is_the_default_file(void)
{
	struct credentials c = { 0 };
	char path[192], *err;

	fresh_env();
	snprintf(path, sizeof(path), "%s/.aws", home);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/.aws/credentials", home);
	write_text(path, shared_text);
	T_EQ_INT(resolve("work", &c, &err), 0);
	T_EQ_INT(c.source, CRED_SHARED);
	T_EQ_STR(c.access_key_id, WORK_ID);
	credentials_clear(&c);
	free(err);
	/* AWS_SHARED_CREDENTIALS_FILE replaces it, even when missing. */
	setenv("AWS_SHARED_CREDENTIALS_FILE", shared, 1);
	T_EQ_INT(resolve("work", &c, &err), EX_CONFIG);
	free(err);
}

static void
test_missing_profile_is_not_found(void)
{
	struct credentials c = { 0 };

	fresh_env();
	write_text(shared, shared_text);
	T_EQ_INT(credentials_from_shared_file(shared, "nope", &c), 1);
	T_EQ_INT(credentials_from_shared_file(shared, "sso", &c), 1);
	/* Key names are not sections, and sections match exactly. */
	T_EQ_INT(credentials_from_shared_file(shared, "region", &c), 1);
	T_EQ_INT(credentials_from_shared_file(shared, "Work", &c), 1);
	T_ASSERT(c.access_key_id == NULL);
	T_EQ_INT(credentials_from_shared_file("/nonexistent/credentials",
	    "default", &c), 1);
}

static void
test_profile_with_half_a_key_is_an_error(void)
{
	struct credentials c = { 0 };
	char *err;

	fresh_env();
	write_text(shared, shared_text);
	t_capture_start();
	T_EQ_INT(credentials_from_shared_file(shared, "partial", &c),
	    EX_CONFIG);
	err = capture_end();
	T_ASSERT(strstr(err, shared) != NULL);
	T_ASSERT(strstr(err, "[partial] has aws_access_key_id but no "
	    "aws_secret_access_key") != NULL);
	T_ASSERT(c.access_key_id == NULL);
	free(err);
}

static void
test_unreadable_shared_file_is_an_error(void)
{
	struct credentials c = { 0 };
	char *err;

	fresh_env();
	setenv("AWS_SHARED_CREDENTIALS_FILE", home, 1);	/* a directory */
	T_EQ_INT(resolve(NULL, &c, &err), EX_CONFIG);
	T_ASSERT(strstr(err, home) != NULL);
	free(err);
}

static void
test_env_half_set_is_an_error(void)
{
	struct credentials c = { 0 };
	char *err;

	fresh_env();
	setenv("AWS_SHARED_CREDENTIALS_FILE", shared, 1);
	write_text(shared, shared_text);
	setenv("AWS_ACCESS_KEY_ID", ENV_ID, 1);
	T_EQ_INT(resolve(NULL, &c, &err), EX_CONFIG);
	T_EQ_STR(err, "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY "
	    "is not\n");
	T_ASSERT(c.access_key_id == NULL);
	free(err);
	unsetenv("AWS_ACCESS_KEY_ID");
	setenv("AWS_SECRET_ACCESS_KEY", ENV_SECRET, 1);
	T_EQ_INT(resolve(NULL, &c, &err), EX_CONFIG);
	T_EQ_STR(err, "AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID "
	    "is not\n");
	free(err);
}

static void
test_nothing_found(void)
{
	struct credentials c = { 0 };
	char *err, want[512];

	fresh_env();
	T_EQ_INT(resolve(NULL, &c, &err), EX_NOPERM);
	T_EQ_STR(err, "Invalid credentials or insufficient permissions\n"
	    "no AWS credentials found: run 'bedrock-trail connect', or set "
	    "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or add a profile "
	    "to ~/.aws/credentials, or run where a role is available (web "
	    "identity, ECS/EKS, EC2)\n");
	T_EQ_INT(c.source, CRED_NONE);
	T_ASSERT(c.access_key_id == NULL);
	free(err);
	/* A file without the default profile finds nothing too... */
	setenv("AWS_SHARED_CREDENTIALS_FILE", shared, 1);
	write_text(shared, "[other]\nregion = us-east-1\n");
	T_EQ_INT(resolve(NULL, &c, &err), EX_NOPERM);
	free(err);
	/* ...but a profile asked for by name must exist, as in the AWS CLI. */
	T_EQ_INT(resolve("nope", &c, &err), EX_CONFIG);
	snprintf(want, sizeof(want), "profile 'nope' is in neither "
	    "%s/.aws/config nor %s\n", home, shared);
	T_EQ_STR(err, want);
	free(err);
}

static void
test_store_errors_are_not_skipped(void)
{
	struct credentials c = { 0 };
	char *err;

	fresh_env();
	save_store();
	setenv("AWS_ACCESS_KEY_ID", ENV_ID, 1);
	setenv("AWS_SECRET_ACCESS_KEY", ENV_SECRET, 1);
	chmod(store, 0644);
	T_EQ_INT(resolve(NULL, &c, &err), EX_CONFIG);
	T_ASSERT(strstr(err, "store file has mode 0644") != NULL);
	T_ASSERT(c.access_key_id == NULL);
	free(err);
	chmod(store, 0600);
	write_text(store, "BTCS\x01 this is not a sealed store at all");
	T_EQ_INT(resolve(NULL, &c, &err), EX_DATAERR);
	T_ASSERT(strstr(err, "credential store is corrupt") != NULL);
	T_ASSERT(c.access_key_id == NULL);
	free(err);
}

static void
test_mask_key_id(void)
{
	char buf[32];

	credentials_mask_key_id("AKIAIOSFODNN7EXAMPLE", buf, sizeof(buf));
	T_EQ_STR(buf, "AKIA****MPLE");
	credentials_mask_key_id("ASIAXXXXXXXXXXXXWXYZ", buf, sizeof(buf));
	T_EQ_STR(buf, "ASIA****WXYZ");
	credentials_mask_key_id("AKIA1234", buf, sizeof(buf));
	T_EQ_STR(buf, "****");
	credentials_mask_key_id("AKIA12345XY", buf, sizeof(buf));
	T_EQ_STR(buf, "****");
	credentials_mask_key_id("", buf, sizeof(buf));
	T_EQ_STR(buf, "****");
	credentials_mask_key_id(NULL, buf, sizeof(buf));
	T_EQ_STR(buf, "****");
	credentials_mask_key_id("AKIAIOSFODNN7EXAMPLE", buf, 6);
	T_EQ_STR(buf, "AKIA*");
}

static void
test_clear_wipes_and_accepts_null(void)
{
	struct credentials c = { 0 };

	credentials_clear(NULL);
	c.access_key_id = strdup(ENV_ID);
	c.secret_access_key = strdup(ENV_SECRET);
	c.origin = strdup("environment");
	c.source = CRED_ENV;
	strlist_add(&c.regions, "us-east-1");
	credentials_clear(&c);
	T_ASSERT(c.access_key_id == NULL && c.secret_access_key == NULL);
	T_ASSERT(c.origin == NULL && c.regions.n == 0);
	T_EQ_INT(c.source, CRED_NONE);
	credentials_clear(&c);	/* twice is harmless */
}

static void
test_source_names(void)
{
	T_EQ_STR(credentials_source_name(CRED_STORE), "stored connection");
	T_EQ_STR(credentials_source_name(CRED_ENV), "environment");
	T_EQ_STR(credentials_source_name(CRED_SHARED),
	    "shared credentials file");
}

int
main(void)
{
	char cmd[128];

	T_RUN(test_store_wins_over_env_and_shared_file);
	T_RUN(test_env_wins_over_shared_file);
	T_RUN(test_shared_file_default_profile);
	T_RUN(test_shared_file_named_profile);
	T_RUN(test_home_aws_credentials_is_the_default_file);
	T_RUN(test_missing_profile_is_not_found);
	T_RUN(test_profile_with_half_a_key_is_an_error);
	T_RUN(test_unreadable_shared_file_is_an_error);
	T_RUN(test_env_half_set_is_an_error);
	T_RUN(test_nothing_found);
	T_RUN(test_store_errors_are_not_skipped);
	T_RUN(test_mask_key_id);
	T_RUN(test_clear_wipes_and_accepts_null);
	T_RUN(test_source_names);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	(void)!system(cmd);
	return T_DONE();
}
