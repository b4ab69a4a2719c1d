/*
 * endpoint_url, from any source, checked once while the configuration is
 * read, with libcurl's URL parser (the one that will send the requests):
 * a bad endpoint is then a configuration error before any lock is taken
 * or any request is sent, not a connection failure inside a poll.
 */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "config_file.h"

/* 127.0.0.0/8, ::1 and localhost: traffic that never leaves the machine. */
static bool
config_url_loopback(const char *host)
{
	struct in_addr a4;

	if (strcasecmp(host, "localhost") == 0 || strcmp(host, "[::1]") == 0)
		return true;
	return inet_pton(AF_INET, host, &a4) == 1 &&
	    (ntohl(a4.s_addr) >> 24) == 127;
}

/* libcurl's reason, in our lower case: "Bad hostname" -> "bad hostname". */
static const char *
config_url_curl_reason(CURLUcode rc, char *buf, size_t size)
{
	snprintf(buf, size, "%s", curl_url_strerror(rc));
	if (buf[0] >= 'A' && buf[0] <= 'Z')
		buf[0] = (char)(buf[0] - 'A' + 'a');
	return buf;
}

static const char *
config_url_check(CURLU *u, const char *url, char *buf, size_t size)
{
	char *scheme = NULL, *host = NULL, *extra = NULL;
	const char *why = NULL;
	CURLUcode rc;

	rc = curl_url_set(u, CURLUPART_URL, url, 0);
	if (rc == CURLUE_BAD_SCHEME || rc == CURLUE_UNSUPPORTED_SCHEME)
		return URL_HINT;
	if (rc != CURLUE_OK)
		return config_url_curl_reason(rc, buf, size);
	if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
	    (strcmp(scheme, "https") != 0 && strcmp(scheme, "http") != 0))
		why = URL_HINT;
	else if (strcmp(scheme, "http") == 0 && !config_url_loopback(host))
		why = "plain http:// would send the credentials in clear: use "
		    "https://, or http:// only for a loopback host (127.0.0.1, "
		    "::1, localhost)";
	else if (curl_url_get(u, CURLUPART_USER, &extra, 0) == CURLUE_OK ||
	    curl_url_get(u, CURLUPART_QUERY, &extra, 0) == CURLUE_OK ||
	    curl_url_get(u, CURLUPART_FRAGMENT, &extra, 0) == CURLUE_OK)
		why = "an endpoint has no user name, query or fragment";
	curl_free(scheme);
	curl_free(host);
	curl_free(extra);
	return why;
}

const char *
config_url_problem(const char *url, char *buf, size_t size)
{
	CURLU *u = curl_url();
	const char *why;

	if (u == NULL)
		return "out of memory";
	why = config_url_check(u, url, buf, size);
	curl_url_cleanup(u);
	return why;
}

bool
config_url_valid(const char *url)
{
	char why[128];

	return config_url_problem(url, why, sizeof(why)) == NULL;
}
