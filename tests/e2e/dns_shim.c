/*
 * An LD_PRELOAD resolver for tests: names ending in BT_DNS_FAIL_SUFFIX
 * (default ".amazonaws.com") never resolve, so that no test reaches AWS;
 * BT_DNS_NAME resolves to 127.0.0.1 only once the file BT_DNS_FLAG
 * exists, as a resolver that comes up late at boot would. Every other
 * name goes to the C library.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef int (*gai_fn)(const char *, const char *, const struct addrinfo *,
    struct addrinfo **);

static int
ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

int
getaddrinfo(const char *node, const char *service,
    const struct addrinfo *hints, struct addrinfo **res)
{
	gai_fn real = (gai_fn)dlsym(RTLD_NEXT, "getaddrinfo");
	const char *fail = getenv("BT_DNS_FAIL_SUFFIX");
	const char *name = getenv("BT_DNS_NAME");
	const char *flag = getenv("BT_DNS_FLAG");

	if (node != NULL && ends_with(node, fail ? fail : ".amazonaws.com"))
		return EAI_NONAME;
	if (node != NULL && name != NULL && strcmp(node, name) == 0) {
		if (flag == NULL || access(flag, F_OK) != 0)
			return EAI_AGAIN;
		node = "127.0.0.1";
	}
	return real(node, service, hints, res);
}
