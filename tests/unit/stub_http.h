/*
 * A scripted HTTP server for unit tests of the code that talks to STS and
 * the credential endpoints: a child process on 127.0.0.1 that answers the
 * i-th connection with the i-th canned response (raw HTTP, sent as is)
 * and appends each request it read, headers and body, to a log file.
 * The response "HANG" accepts and answers nothing; "CLOSE" closes at once.
 */
#ifndef STUB_HTTP_H
#define STUB_HTTP_H

#include <sys/socket.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct stub {
	pid_t pid;
	int port;
	char log[64];
};

/* Reads one request (headers, then Content-Length bytes) into f. */
static inline void
stub_read_request(int fd, FILE *f)
{
	static char buf[1 << 16];
	size_t len = 0, want = 0;
	char *end = NULL, *cl;
	ssize_t n;

	while (len < sizeof(buf) - 1) {
		n = read(fd, buf + len, sizeof(buf) - 1 - len);
		if (n <= 0)
			break;
		len += (size_t)n;
		buf[len] = '\0';
		if (end == NULL && (end = strstr(buf, "\r\n\r\n")) != NULL) {
			cl = strstr(buf, "\r\nContent-Length:");
			want = (size_t)(end + 4 - buf) +
			    (cl != NULL && cl < end ? strtoul(cl + 17, NULL, 10)
			    : 0);
		}
		if (end != NULL && len >= want)
			break;
	}
	fwrite(buf, 1, len, f);
	fputs("\n=====\n", f);
	fflush(f);
}

static inline void
stub_serve(int ls, const char *const *responses, size_t n, FILE *log)
{
	for (size_t i = 0; i < n; i++) {
		int fd = accept(ls, NULL, NULL);

		if (fd == -1)
			_exit(1);
		if (strcmp(responses[i], "CLOSE") == 0) {
			close(fd);
			continue;
		}
		stub_read_request(fd, log);
		if (strcmp(responses[i], "HANG") == 0) {
			sleep(60);
			_exit(0);
		}
		if (write(fd, responses[i], strlen(responses[i])) < 0)
			_exit(1);
		shutdown(fd, SHUT_WR);
		close(fd);
	}
	_exit(0);
}

static inline void
stub_start(struct stub *s, const char *const *responses, size_t n)
{
	struct sockaddr_in a = { 0 };
	socklen_t alen = sizeof(a);
	int ls = socket(AF_INET, SOCK_STREAM, 0), one = 1;
	FILE *log;

	snprintf(s->log, sizeof(s->log), "/tmp/bt-stub-%d.log", (int)getpid());
	log = fopen(s->log, "w");
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (log == NULL || bind(ls, (struct sockaddr *)&a, sizeof(a)) == -1 ||
	    listen(ls, 8) == -1 ||
	    getsockname(ls, (struct sockaddr *)&a, &alen) == -1) {
		perror("stub");
		exit(2);
	}
	s->port = ntohs(a.sin_port);
	fflush(stdout);
	fflush(stderr);
	s->pid = fork();
	if (s->pid == 0)
		stub_serve(ls, responses, n, log);
	fclose(log);
	close(ls);
}

/* Stops the server; returns what it logged (static, until the next call). */
static inline const char *
stub_stop(struct stub *s)
{
	static char text[1 << 17];
	FILE *f;
	size_t n = 0;

	kill(s->pid, SIGKILL);
	waitpid(s->pid, NULL, 0);
	if ((f = fopen(s->log, "r")) != NULL) {
		n = fread(text, 1, sizeof(text) - 1, f);
		fclose(f);
	}
	text[n] = '\0';
	unlink(s->log);
	return text;
}

/* "http://127.0.0.1:PORT" + path, static until the next call. */
static inline const char *
stub_url(const struct stub *s, const char *path)
{
	static char url[128];

	snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", s->port, path);
	return url;
}

#endif
