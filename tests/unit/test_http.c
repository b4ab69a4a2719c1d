/*
 * http.c against a local server (tserver.h): what is sent, what comes
 * back, and each way a response can fail, classified as cloudtrail.c
 * needs it (retry a drop or a timeout, never a refused connection).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "t.h"
#include "tserver.h"
#include "util.h"

static char *
canned(size_t i, const char *request, void *arg)
{
	return arg != NULL ? xstrdup(arg) : NULL;
}

/* One request to a server that answers with raw (NULL: never). */
static enum http_failure
exchange(const char *raw, const char *method, long timeout, size_t max,
    struct http_response *resp, struct tserver *s)
{
	const char *headers[] = { "X-Amz-Target: test.Op", "Host: example" };
	struct http_client *c = http_client_new(NULL, timeout);
	enum http_failure f;
	char url[64];

	T_EQ_INT(tserver_start(s, canned, (void *)raw), 0);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/p", s->port);
	f = http_request(c, method, url, headers, 2,
	    strcmp(method, "GET") == 0 ? NULL : "{\"a\":1}", 7, max, resp);
	http_client_free(c);
	tserver_stop(s);
	return f;
}

static void
test_a_post_sends_headers_and_body_and_reads_the_answer(void)
{
	struct http_response r;
	struct tserver s;

	T_EQ_INT(exchange("HTTP/1.1 400 Bad Request\r\n"
	    "x-amzn-ErrorType: ThrottlingException:http://x/\r\n"
	    "Date: Tue, 24 Nov 2026 07:00:00 GMT\r\nContent-Length: 4\r\n\r\n"
	    "oops", "POST", 5, 0, &r, &s), HTTP_OK);
	T_EQ_INT(r.status, 400);
	T_EQ_STR(r.body, "oops");
	T_EQ_INT(r.len, 4);
	T_EQ_STR(r.error_type, "ThrottlingException:http://x/");
	T_EQ_STR(r.date, "Tue, 24 Nov 2026 07:00:00 GMT");
	T_ASSERT(strncmp(s.last_request, "POST /p HTTP/1.1\r\n", 18) == 0);
	T_ASSERT(strstr(s.last_request, "\r\nX-Amz-Target: test.Op\r\n"));
	T_ASSERT(strstr(s.last_request, "\r\n\r\n{\"a\":1}") != NULL);
	T_ASSERT(strstr(s.last_request, "Expect:") == NULL);
	http_response_free(&r);
}

static void
test_a_get_sends_no_body(void)
{
	struct http_response r;
	struct tserver s;

	T_EQ_INT(exchange("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
	    "GET", 5, 0, &r, &s), HTTP_OK);
	T_EQ_INT(r.status, 200);
	T_EQ_STR(r.body, "");
	T_ASSERT(strncmp(s.last_request, "GET /p HTTP/1.1\r\n", 17) == 0);
	T_ASSERT(strstr(s.last_request, "Content-Length") == NULL);
	http_response_free(&r);
}

static void
test_a_body_over_the_cap_is_too_large(void)
{
	struct http_response r;
	struct tserver s;

	T_EQ_INT(exchange("HTTP/1.1 200 OK\r\nContent-Length: 3000\r\n\r\n",
	    "POST", 5, 2048, &r, &s), HTTP_TOO_LARGE);
	T_EQ_STR(r.error, "response body larger than 2 KiB");
	T_ASSERT(r.body == NULL);
}

static void
test_a_short_body_is_a_dropped_connection(void)
{
	struct http_response r;
	struct tserver s;

	T_EQ_INT(exchange("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n"
	    "{\"Events\":", "POST", 5, 0, &r, &s), HTTP_DROPPED);
	T_ASSERT(r.error[0] != '\0');
	T_EQ_INT(exchange("", "POST", 5, 0, &r, &s), HTTP_DROPPED);
}

static void
test_a_silent_server_times_out(void)
{
	struct http_response r;
	struct tserver s;
	double t = monotonic_now();

	T_EQ_INT(exchange(NULL, "POST", 1, 0, &r, &s), HTTP_TIMEOUT);
	T_ASSERT(monotonic_now() - t < 3);
}

static void
test_the_deadline_cuts_a_request_short(void)
{
	struct http_client *c = http_client_new(NULL, 60);
	struct http_response r;
	struct tserver s;
	double t = monotonic_now();
	char url[64];

	T_EQ_INT(tserver_start(&s, canned, NULL), 0);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/", s.port);
	http_client_set_deadline(c, t + 0.5);
	T_EQ_INT(http_post(c, url, NULL, 0, "{}", 2, &r), HTTP_TIMEOUT);
	T_ASSERT(monotonic_now() - t < 2);
	http_client_free(c);
	tserver_stop(&s);
}

/* Refused: transient (a service not up yet), retried like a timeout. */
static void
test_a_refused_connection_is_a_connect_failure(void)
{
	struct http_client *c = http_client_new(NULL, 5);
	struct http_response r;
	struct tserver s;
	char url[64];

	/* A port that was just free: nothing listens there now. */
	T_EQ_INT(tserver_start(&s, canned, NULL), 0);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/", s.port);
	tserver_stop(&s);
	T_EQ_INT(http_post(c, url, NULL, 0, "{}", 2, &r), HTTP_UNREACHABLE);
	T_ASSERT(strstr(r.error, "127.0.0.1") != NULL);
	http_client_free(c);
}

static void
test_url_split(void)
{
	char *host = NULL, *path = NULL;

	T_EQ_INT(http_url_split("https://ct.example:8443", &host, &path), 0);
	T_EQ_STR(host, "ct.example:8443");
	T_EQ_STR(path, "/");
	free(host);
	free(path);
	T_EQ_INT(http_url_split("http://127.0.0.1/a/b", &host, &path), 0);
	T_EQ_STR(host, "127.0.0.1");
	T_EQ_STR(path, "/a/b");
	free(host);
	free(path);
	T_EQ_INT(http_url_split("https://bad host", &host, &path), -1);
}

int
main(void)
{
	if (http_global_init() != 0)
		return 1;
	T_RUN(test_a_post_sends_headers_and_body_and_reads_the_answer);
	T_RUN(test_a_get_sends_no_body);
	T_RUN(test_a_body_over_the_cap_is_too_large);
	T_RUN(test_a_short_body_is_a_dropped_connection);
	T_RUN(test_a_silent_server_times_out);
	T_RUN(test_the_deadline_cuts_a_request_short);
	T_RUN(test_a_refused_connection_is_a_connect_failure);
	T_RUN(test_url_split);
	http_global_cleanup();
	return T_DONE();
}
