/*
 * A one-thread HTTP/1.1 server on 127.0.0.1 for the unit tests of http.c
 * and fetch.c: "server sends this, client runs this, expect exactly
 * this", as in curl's tests/data. Each connection carries one request and
 * one answer, then closes.
 *
 * respond(i, request, arg) returns the raw bytes to send for the i-th
 * request (0-based), status line and headers included, as a malloc'd
 * string; NULL sends nothing and holds the connection open until the
 * client hangs up (a server that never answers).
 */
#ifndef TSERVER_H
#define TSERVER_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

struct tserver {
	int fd;
	int port;
	pthread_t thread;
	char *(*respond)(size_t i, const char *request, void *arg);
	void *arg;
	size_t nrequests;
	char last_request[1 << 16];
};

/* The Content-Length of the request whose headers end at end. */
static inline long
tserver_body_length(const char *buf, const char *end)
{
	for (const char *p = buf; p != NULL && p < end; p = strstr(p, "\r\n")) {
		p += p == buf ? 0 : 2;
		if (strncasecmp(p, "Content-Length:", 15) == 0)
			return atol(p + 15);
	}
	return 0;
}

/* Reads one request (headers and Content-Length body) into buf. */
static inline ssize_t
tserver_read_request(int c, char *buf, size_t size)
{
	size_t len = 0;
	char *end = NULL;
	ssize_t n;
	long body = 0;

	while (len + 1 < size) {
		if ((n = read(c, buf + len, size - len - 1)) <= 0)
			return -1;
		len += (size_t)n;
		buf[len] = '\0';
		if (end == NULL && (end = strstr(buf, "\r\n\r\n")) != NULL)
			body = tserver_body_length(buf, end);
		if (end != NULL && (long)(len - (size_t)(end + 4 - buf)) >= body)
			return (ssize_t)len;
	}
	return (ssize_t)len;
}

static inline void *
tserver_main(void *arg)
{
	struct tserver *s = arg;
	char buf[sizeof(s->last_request)], *resp;
	int c;

	while ((c = accept(s->fd, NULL, NULL)) >= 0) {
		if (tserver_read_request(c, buf, sizeof(buf)) < 0) {
			close(c);
			continue;
		}
		memcpy(s->last_request, buf, sizeof(buf));
		resp = s->respond(s->nrequests++, buf, s->arg);
		if (resp == NULL) {
			while (read(c, buf, sizeof(buf)) > 0)
				;
		} else {
			(void)!write(c, resp, strlen(resp));
			free(resp);
		}
		close(c);
	}
	return NULL;
}

/* Starts s listening; returns 0, or -1. "http://127.0.0.1:PORT/" is s's URL. */
static inline int
tserver_start(struct tserver *s,
    char *(*respond)(size_t, const char *, void *), void *arg)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t alen = sizeof(a);

	memset(s, 0, sizeof(*s));
	s->respond = respond;
	s->arg = arg;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((s->fd = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
	    bind(s->fd, (struct sockaddr *)&a, sizeof(a)) == -1 ||
	    listen(s->fd, 16) == -1 ||
	    getsockname(s->fd, (struct sockaddr *)&a, &alen) == -1)
		return -1;
	s->port = ntohs(a.sin_port);
	return pthread_create(&s->thread, NULL, tserver_main, s) == 0 ? 0 : -1;
}

static inline void
tserver_stop(struct tserver *s)
{
	shutdown(s->fd, SHUT_RDWR);
	close(s->fd);
	pthread_join(s->thread, NULL);
}

#endif
