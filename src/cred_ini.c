/*
 * The shared config and credentials files' INI dialect: see cred_ini.h.
 */
#include "cred_ini.h"

#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "log.h"
#include "util.h"

/* Nobody's credentials file is this large; refuse rather than read it. */
#define INI_MAX	(1024 * 1024)

static char *
trim(char *s)
{
	char *end;

	while (*s == ' ' || *s == '\t')
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

/*
 * Reads the whole file into one buffer of the file's size, so that no
 * reallocation leaves a copy of a secret behind.
 */
static int
ini_slurp(const char *path, struct ini_file *f)
{
	struct stat st;
	size_t len = 0;
	int fd, rc = 0;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		if (errno == ENOENT || errno == ENOTDIR)
			return 1;
		log_error("%s: %s", path, strerror(errno));
		return EX_CONFIG;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_size > INI_MAX) {
		log_error("%s: not a readable credentials file", path);
		rc = EX_CONFIG;
		goto out;
	}
	f->size = (size_t)st.st_size + 1;
	f->buf = xmalloc(f->size);
	while (len + 1 < f->size) {
		ssize_t n = read(fd, f->buf + len, f->size - 1 - len);

		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			log_error("%s: %s", path, strerror(errno));
			rc = EX_CONFIG;
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	f->buf[len] = '\0';
out:
	close(fd);
	return rc;
}

/* "[profile NAME]", "[default]", "[sso-session NAME]", or another. */
static void
ini_name_section(char *name, bool config_syntax, struct ini_section *s)
{
	size_t n;

	s->kind = INI_PROFILE;
	s->name = name;
	if (!config_syntax || strcmp(name, "default") == 0)
		return;
	s->kind = INI_OTHER;
	if (strncmp(name, "profile", 7) == 0 && (name[7] == ' ' ||
	    name[7] == '\t'))
		n = 7, s->kind = INI_PROFILE;
	else if (strncmp(name, "sso-session", 11) == 0 && (name[11] == ' ' ||
	    name[11] == '\t'))
		n = 11, s->kind = INI_SSO_SESSION;
	else
		return;
	s->name = trim(name + n);
}

static void
ini_add_kv(struct ini_section *s, char *key, char *value)
{
	for (char *p = key; *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 8;
		s->kv = xrealloc(s->kv, s->cap * sizeof(*s->kv));
	}
	s->kv[s->n].key = key;
	s->kv[s->n].value = value;
	s->n++;
}

/* A repeated section adds to the first one of its name. */
static struct ini_section *
ini_open_section(struct ini_file *f, char *name, bool config_syntax)
{
	struct ini_section s = { 0 };

	ini_name_section(name, config_syntax, &s);
	for (size_t i = 0; i < f->n; i++)
		if (f->s[i].kind == s.kind && strcmp(f->s[i].name, s.name) == 0)
			return &f->s[i];
	if (f->n == f->cap) {
		f->cap = f->cap ? f->cap * 2 : 8;
		f->s = xrealloc(f->s, f->cap * sizeof(*f->s));
	}
	f->s[f->n] = s;
	return &f->s[f->n++];
}

/* One "key = value" line into s; returns whether it opens a nested block. */
static bool
ini_line(char *line, struct ini_section *s)
{
	size_t k = strcspn(line, "=:");
	char *key, *value;

	if (line[k] == '\0')
		return false;
	line[k] = '\0';
	key = trim(line);
	value = trim(line + k + 1);
	if (s != NULL && *key != '\0')
		ini_add_kv(s, key, value);
	return *value == '\0';
}

static void
ini_parse(struct ini_file *f, bool config_syntax)
{
	struct ini_section *cur = NULL;
	bool nested = false;
	char *line, *next;

	line = f->buf;
	if (strncmp(line, "\xef\xbb\xbf", 3) == 0)
		line += 3;
	for (; line != NULL; line = next) {
		bool indented = *line == ' ' || *line == '\t';

		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		line = trim(line);
		if (*line == '\0' || *line == '#' || *line == ';')
			continue;
		if (*line == '[') {
			char *end = strchr(line, ']');

			nested = false;
			cur = NULL;
			if (end == NULL)
				continue;
			*end = '\0';
			cur = ini_open_section(f, trim(line + 1),
			    config_syntax);
			continue;
		}
		if (nested && indented)
			continue;
		nested = ini_line(line, cur);
	}
}

int
ini_read(const char *path, bool config_syntax, struct ini_file *f)
{
	int rc;

	memset(f, 0, sizeof(*f));
	f->path = xstrdup(path);
	if ((rc = ini_slurp(path, f)) != 0)
		return rc;
	ini_parse(f, config_syntax);
	return 0;
}

const struct ini_section *
ini_section(const struct ini_file *f, enum ini_kind kind, const char *name)
{
	for (size_t i = 0; i < f->n; i++)
		if (f->s[i].kind == kind && strcmp(f->s[i].name, name) == 0)
			return &f->s[i];
	return NULL;
}

const char *
ini_get(const struct ini_section *s, const char *key)
{
	if (s == NULL)
		return NULL;
	for (size_t i = s->n; i > 0; i--)
		if (strcmp(s->kv[i - 1].key, key) == 0)
			return *s->kv[i - 1].value != '\0' ?
			    s->kv[i - 1].value : NULL;
	return NULL;
}

void
ini_free(struct ini_file *f)
{
	if (f == NULL)
		return;
	if (f->buf != NULL)
		OPENSSL_cleanse(f->buf, f->size);
	free(f->buf);
	for (size_t i = 0; i < f->n; i++)
		free(f->s[i].kv);
	free(f->s);
	free(f->path);
	memset(f, 0, sizeof(*f));
}
