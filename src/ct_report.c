/*
 * What a user reads when CloudTrail refuses or cannot be reached: the
 * first line that SPEC section 5 fixes for each kind of failure, AWS's own
 * code and message, and the troubleshooting steps that match.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cloudtrail.h"
#include "log.h"

static const char *
first_line(const struct ct_error *err)
{
	switch (err->kind) {
	case CT_AUTH:
		return "Invalid credentials or insufficient permissions";
	case CT_CONNECT:
		return "Failed to connect to AWS CloudTrail";
	case CT_THROTTLED:
		return "throttled by AWS CloudTrail on every attempt";
	case CT_MALFORMED:
		return "malformed LookupEvents response";
	case CT_REQUEST:
		return "LookupEvents request rejected by AWS CloudTrail";
	case CT_SIGNING:
		return "cannot sign the LookupEvents request";
	case CT_LOCAL:
		return "cannot keep the fetched records";
	case CT_DEADLINE:
		return "poll stopped at max_run_time";
	case CT_OK:
		break;
	}
	return "LookupEvents failed";
}

static void
hint(const char *text)
{
	log_error("  - %s", text);
}

static void
auth_hints(const struct ct_error *err)
{
	const char *c = err->code;

	if (err->clock_skew) {
		hint("synchronise the system clock with NTP "
		    "(for example: timedatectl set-ntp true)");
		return;
	}
	if (strcmp(c, "ExpiredTokenException") == 0 ||
	    strcmp(c, "ExpiredToken") == 0) {
		hint("the session token has expired: get new temporary "
		    "credentials, or use a long-term access key");
		return;
	}
	if (strcmp(c, "AccessDeniedException") == 0 ||
	    strcmp(c, "AccessDenied") == 0) {
		hint("check that the IAM user has a policy allowing "
		    "cloudtrail:LookupEvents (see " IAM_POLICY_PATH ")");
		hint("check for SCPs that block CloudTrail in this account "
		    "or region");
		return;
	}
	/* The key id was found, so its secret is what is wrong. */
	if (strcmp(c, "InvalidSignatureException") == 0 ||
	    strcmp(c, "SignatureDoesNotMatch") == 0) {
		hint("the secret access key is wrong for this access key id: "
		    "check it for a copy-and-paste mistake, or create a new "
		    "access key and run connect again");
		return;
	}
	if (strcmp(c, "UnrecognizedClientException") == 0 ||
	    strcmp(c, "InvalidClientTokenId") == 0) {
		hint("AWS does not know this access key id: check it, and "
		    "that the key is active and not deleted in IAM");
		return;
	}
	hint("check the access key id and secret access key "
	    "(they must belong to an active IAM access key)");
	hint("check that the IAM user has a policy allowing "
	    "cloudtrail:LookupEvents");
	hint("check for SCPs that block CloudTrail");
}

/*
 * Event history is always on and the region was checked before any
 * request: what is left is the network, the proxy and the endpoint.
 */
static void
connect_hints(const char *region, const struct ct_error *err)
{
	if (!config_region_valid(region))
		hint("use a region code such as us-east-1");
	hint("check the network and the proxy (HTTPS_PROXY, NO_PROXY)");
	if (err->endpoint_from != NULL)
		log_error("  - check the endpoint set by %s",
		    err->endpoint_from);
	else if (err->endpoint[0] != '\0')
		log_error("  - check that this host resolves and reaches %s "
		    "(DNS, firewall)", err->endpoint);
}

/* Where the request went, and how long we kept trying. */
static void
report_endpoint(const char *region, const struct ct_error *err)
{
	if (err->endpoint[0] == '\0')
		return;
	if (err->endpoint_from != NULL)
		log_error("endpoint %s (from %s)", err->endpoint,
		    err->endpoint_from);
	else
		log_error("endpoint %s (the default for %s)", err->endpoint,
		    region);
	if (err->attempts > 1)
		log_error("gave up after %d attempts in %.0f s", err->attempts,
		    err->seconds);
}

static void
report_skew(const struct ct_error *err)
{
	long s = err->skew_seconds < 0 ? -err->skew_seconds : err->skew_seconds;

	if (err->skew_seconds == 0) {
		log_error("the local clock is wrong: AWS rejected the request "
		    "time");
		return;
	}
	log_error("the local clock is %ld min %ld s %s AWS's clock: fix NTP",
	    s / 60, s % 60, err->skew_seconds > 0 ? "behind" : "ahead of");
}

void
ct_report_error(const char *region, const struct ct_error *err, bool hints)
{
	log_error("%s", first_line(err));
	log_error("region %s: %s%s%s", region, err->code,
	    err->message[0] != '\0' ? ": " : "", err->message);
	if (err->kind == CT_THROTTLED)
		log_error("gave up after %d attempts", err->attempts);
	if (err->kind == CT_CONNECT)
		report_endpoint(region, err);
	if (err->clock_skew)
		report_skew(err);
	if (!hints)
		return;
	if (err->kind == CT_AUTH)
		auth_hints(err);
	else if (err->kind == CT_CONNECT)
		connect_hints(region, err);
}
