/*
 * Secrets never reach freed memory (SPEC section 5, issue 10 defect 5):
 * this test replaces free(3) and realloc(3) for the whole process, libcurl
 * included, and counts the blocks that still hold the session token when
 * they are freed. realloc is a copy and a free here, so that the block a
 * growing buffer leaves behind is seen too.
 *
 * The replacement needs glibc's own allocator: under AddressSanitizer or
 * valgrind, which bring their own, the test says so and checks nothing.
 */
#define _GNU_SOURCE	/* memmem */
#include <malloc.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "http.h"
#include "sigv4.h"
#include "t.h"
#include "tserver.h"
#include "util.h"

#if defined(__SANITIZE_ADDRESS__)
#define OWN_ALLOCATOR 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define OWN_ALLOCATOR 1
#endif
#endif

#define TOKEN "IQoJb3JpZ2luX2VjEXAMPLESESSIONTOKENsecret0123456789"

static const char *needle;	/* counted while set */
static int leaks;

#ifndef OWN_ALLOCATOR
extern void __libc_free(void *);

void
free(void *p)
{
	if (p != NULL && needle != NULL &&
	    memmem(p, malloc_usable_size(p), needle, strlen(needle)) != NULL)
		leaks++;
	__libc_free(p);
}

void *
realloc(void *p, size_t n)
{
	size_t old;
	void *q;

	if (p == NULL)
		return malloc(n);
	old = malloc_usable_size(p);
	if ((q = malloc(n ? n : 1)) == NULL)
		return NULL;
	memcpy(q, p, old < n ? old : n);
	free(p);
	return q;
}
#endif

static void
watch(void)
{
	leaks = 0;
	needle = TOKEN;
}

static int
unwatch(void)
{
	needle = NULL;
	return leaks;
}

static void
test_strbuf_growth_leaves_no_copy(void)
{
	struct strbuf sb = { 0 };

	watch();
	strbuf_adds(&sb, TOKEN);
	for (int i = 0; i < 1000; i++)
		strbuf_adds(&sb, "more bytes to make the buffer grow ");
	strbuf_free(&sb);
	T_EQ_INT(unwatch(), 0);
}

static void
test_signer_leaves_no_copy(void)
{
	struct sigv4_header h[] = { { "Host", "cloudtrail.example" },
		{ "X-Amz-Date", "20261124T070000Z" },
		{ "X-Amz-Security-Token", "  " TOKEN "  " } };
	struct sigv4_request req = { .method = "POST", .path = "/",
		.query = "", .headers = h, .nheaders = 3, .payload = "{}",
		.payload_len = 2 };
	struct sigv4_signer s = { .access_key_id = "AKIDEXAMPLE",
		.secret_access_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
		.region = "us-east-1", .service = "cloudtrail",
		.time = 1795503600 };
	char *auth;

	watch();
	auth = sigv4_authorization(&s, &req);
	T_ASSERT(auth != NULL);
	free(auth);
	T_EQ_INT(unwatch(), 0);
}

static char *
answer(size_t i, const char *request, void *arg)
{
	return xstrdup("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}");
}

static void
test_http_leaves_no_copy(void)
{
	const char *headers[] = { "X-Amz-Security-Token: " TOKEN };
	struct http_response resp;
	struct http_client *c;
	struct tserver s;
	char url[64];

	T_EQ_INT(tserver_start(&s, answer, NULL), 0);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/", s.port);
	watch();
	c = http_client_new(NULL, 10);
	T_EQ_INT(http_post(c, url, headers, 1, "{}", 2, &resp), HTTP_OK);
	T_EQ_INT(resp.status, 200);
	http_response_free(&resp);
	http_client_free(c);
	T_EQ_INT(unwatch(), 0);
	T_ASSERT(strstr(s.last_request, TOKEN) != NULL);
	tserver_stop(&s);
}

int
main(void)
{
	const char *preload = getenv("LD_PRELOAD");

#ifdef OWN_ALLOCATOR
	bool glibc_allocator = false;
#else
	bool glibc_allocator = preload == NULL ||
	    strstr(preload, "vgpreload") == NULL;
#endif
	(void)preload;
	if (!glibc_allocator) {
		printf("%s: not run: the allocator is not glibc's\n", __FILE__);
		return T_DONE();
	}
	if (http_global_init() != 0)
		return 1;
	T_RUN(test_strbuf_growth_leaves_no_copy);
	T_RUN(test_signer_leaves_no_copy);
	T_RUN(test_http_leaves_no_copy);
	http_global_cleanup();
	return T_DONE();
}
