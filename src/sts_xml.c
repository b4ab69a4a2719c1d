/*
 * STS's XML answers read with libexpat (see sts.h). The reader knows the
 * exact element paths it wants and nothing else: text is taken only from
 * an element at one of those paths, so a <Credentials> met anywhere else
 * (inside an error's <Message>, say) is never taken. A document type
 * declaration or an entity stops the parser: STS sends neither, and an
 * answer that does is hostile. Everything expat allocates is wiped before
 * it is freed, since the text it buffered holds the secret key.
 */
#include "sts.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <expat.h>
#include <openssl/crypto.h>

#include "log.h"
#include "util.h"

#define XML_MAX_DEPTH	16
#define XML_MAX_PATH	512
#define FIELD_MAX	8192	/* a session token is about 1 KiB */

enum xml_result {
	XML_OK,
	XML_NOT_STS,	/* not XML, or another root element */
	XML_HOSTILE,	/* DOCTYPE, entities, too deep, too large */
	XML_BAD_FIELD,	/* a wanted field missing, duplicated or nested */
};

struct xml_field {
	const char *path;	/* "Root/Result/Credentials/AccessKeyId" */
	int required;
	int mixed_ok;		/* child elements allowed (and skipped) */
	int seen;
	struct strbuf text;
};

struct xml_reader {
	XML_Parser parser;
	const char *root;
	struct xml_field *fields;
	size_t nfields;
	struct xml_field *cur;	/* the field being read, or NULL */
	size_t cur_depth;
	char path[XML_MAX_PATH];
	size_t pathlen[XML_MAX_DEPTH + 1];
	size_t depth;
	enum xml_result result;
	const char *why;	/* for the message */
};

/* expat's allocations carry their size, so that free can wipe them. */
union xml_block {
	size_t size;
	max_align_t align;
};

static void *
xml_malloc(size_t size)
{
	union xml_block *b = malloc(sizeof(*b) + size);

	if (b == NULL)
		return NULL;
	b->size = size;
	return b + 1;
}

static void
xml_free(void *p)
{
	union xml_block *b;

	if (p == NULL)
		return;
	b = (union xml_block *)p - 1;
	OPENSSL_cleanse(p, b->size);
	free(b);
}

static void *
xml_realloc(void *p, size_t size)
{
	void *q = xml_malloc(size);
	size_t old;

	if (q == NULL || p == NULL)
		return q;
	old = ((union xml_block *)p - 1)->size;
	memcpy(q, p, old < size ? old : size);
	xml_free(p);
	return q;
}

static const XML_Memory_Handling_Suite xml_memory = {
	xml_malloc, xml_realloc, xml_free
};

static void
xml_stop(struct xml_reader *r, enum xml_result result, const char *why)
{
	if (r->result == XML_OK) {
		r->result = result;
		r->why = why;
	}
	XML_StopParser(r->parser, XML_FALSE);
}

static void
on_start(void *arg, const XML_Char *name, const XML_Char **attrs)
{
	struct xml_reader *r = arg;
	size_t len = strlen(name), at = r->pathlen[r->depth];

	(void)attrs;
	if (r->depth == 0 && strcmp(name, r->root) != 0) {
		xml_stop(r, XML_NOT_STS, "another document");
		return;
	}
	if (r->depth == XML_MAX_DEPTH || at + len + 2 > sizeof(r->path)) {
		xml_stop(r, XML_HOSTILE, "nested too deeply");
		return;
	}
	if (r->cur != NULL && !r->cur->mixed_ok) {
		xml_stop(r, XML_BAD_FIELD, "an element inside a field");
		return;
	}
	if (r->depth > 0)
		r->path[at++] = '/';
	memcpy(r->path + at, name, len + 1);
	r->pathlen[++r->depth] = at + len;
	if (r->cur != NULL)
		return;
	for (size_t i = 0; i < r->nfields; i++) {
		if (strcmp(r->fields[i].path, r->path) != 0)
			continue;
		if (r->fields[i].seen++) {
			xml_stop(r, XML_BAD_FIELD, "a duplicated field");
			return;
		}
		r->cur = &r->fields[i];
		r->cur_depth = r->depth;
	}
}

static void
on_end(void *arg, const XML_Char *name)
{
	struct xml_reader *r = arg;

	(void)name;
	/*
	 * Once stopped, expat may still end the element whose start was
	 * refused (an empty one, <X/>), which was never pushed.
	 */
	if (r->result != XML_OK || r->depth == 0)
		return;
	if (r->cur != NULL && r->depth == r->cur_depth)
		r->cur = NULL;
	r->depth--;
	r->path[r->pathlen[r->depth]] = '\0';
}

static void
on_text(void *arg, const XML_Char *s, int len)
{
	struct xml_reader *r = arg;

	if (r->cur == NULL || r->depth != r->cur_depth)
		return;
	if (r->cur->text.len + (size_t)len > FIELD_MAX) {
		xml_stop(r, XML_HOSTILE, "a field too large");
		return;
	}
	strbuf_add(&r->cur->text, s, (size_t)len);
}

static void
on_doctype(void *arg, const XML_Char *name, const XML_Char *sysid,
    const XML_Char *pubid, int internal)
{
	(void)name, (void)sysid, (void)pubid, (void)internal;
	xml_stop(arg, XML_HOSTILE, "a document type declaration");
}

static void
on_entity(void *arg, const XML_Char *name, int param, const XML_Char *value,
    int len, const XML_Char *base, const XML_Char *sysid,
    const XML_Char *pubid, const XML_Char *notation)
{
	(void)name, (void)param, (void)value, (void)len, (void)base;
	(void)sysid, (void)pubid, (void)notation;
	xml_stop(arg, XML_HOSTILE, "an entity declaration");
}

static bool
has_control(const struct strbuf *sb)
{
	for (size_t i = 0; i < sb->len; i++)
		if ((unsigned char)sb->buf[i] < 0x20 || sb->buf[i] == 0x7f)
			return true;
	return false;
}

/* Runs the reader over body; fields are filled or the result says why. */
static enum xml_result
xml_read(const char *body, size_t len, const char *root,
    struct xml_field *fields, size_t nfields, const char **why)
{
	struct xml_reader r = { 0 };

	r.root = root;
	r.fields = fields;
	r.nfields = nfields;
	*why = "too large";
	if (len > STS_MAX_BODY)
		return XML_HOSTILE;
	r.parser = XML_ParserCreate_MM("UTF-8", &xml_memory, NULL);
	if (r.parser == NULL) {
		log_error("out of memory");
		abort();
	}
	XML_SetUserData(r.parser, &r);
	XML_SetElementHandler(r.parser, on_start, on_end);
	XML_SetCharacterDataHandler(r.parser, on_text);
	XML_SetStartDoctypeDeclHandler(r.parser, on_doctype);
	XML_SetEntityDeclHandler(r.parser, on_entity);
	if (XML_Parse(r.parser, body, (int)len, XML_TRUE) != XML_STATUS_OK &&
	    r.result == XML_OK) {
		r.result = XML_NOT_STS;
		r.why = "not well-formed XML";
	}
	XML_ParserFree(r.parser);
	for (size_t i = 0; r.result == XML_OK && i < nfields; i++)
		if (fields[i].required && fields[i].text.len == 0) {
			r.result = XML_BAD_FIELD;
			r.why = "a field missing or empty";
		} else if (!fields[i].mixed_ok && has_control(&fields[i].text)) {
			/* A token with a line break would become a header. */
			r.result = XML_BAD_FIELD;
			r.why = "a control character in a field";
		}
	*why = r.why;
	return r.result;
}

static void
fields_free(struct xml_field *fields, size_t n)
{
	for (size_t i = 0; i < n; i++)
		strbuf_free(&fields[i].text);
}

static int
malformed(struct ct_error *err, const char *what, const char *why)
{
	memset(err, 0, sizeof(*err));
	err->kind = CT_MALFORMED;
	err->http_status = 200;
	snprintf(err->code, sizeof(err->code), "MalformedResponse");
	snprintf(err->message, sizeof(err->message),
	    "the answer is not an STS %s: %s", what, why);
	return -1;
}

/* Takes the field's text, leaving nothing behind. */
static char *
take(struct xml_field *f)
{
	char *s = f->text.buf;

	memset(&f->text, 0, sizeof(f->text));
	return s;
}

int
sts_parse_credentials(const char *body, size_t len, const char *result,
    struct credentials *out, struct ct_error *err)
{
	enum { KEY, SECRET, TOKEN, EXPIRES, ARN, NFIELDS };
	static const char *const names[NFIELDS] = {
		"Credentials/AccessKeyId", "Credentials/SecretAccessKey",
		"Credentials/SessionToken", "Credentials/Expiration",
		"AssumedRoleUser/Arn",
	};
	struct xml_field f[NFIELDS] = { 0 };
	char *paths[NFIELDS], root[128];
	size_t n = strlen(result);
	const char *why;
	time_t expires;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	/* "AssumeRoleResult" is the child of "AssumeRoleResponse". */
	if (n < 6 || n > 64 || strcmp(result + n - 6, "Result") != 0)
		return malformed(err, result, "unknown result element");
	snprintf(root, sizeof(root), "%.*sResponse", (int)(n - 6), result);
	for (size_t i = 0; i < NFIELDS; i++) {
		paths[i] = xasprintf("%s/%s/%s", root, result, names[i]);
		f[i] = (struct xml_field){ .path = paths[i], .required = 1 };
	}
	if (xml_read(body, len, root, f, NFIELDS, &why) != XML_OK)
		malformed(err, result, why);
	else if (time_parse_iso8601(f[EXPIRES].text.buf, &expires) == -1)
		malformed(err, result, "an Expiration that is not a time");
	else if (strncmp(f[ARN].text.buf, "arn:", 4) != 0)
		malformed(err, result, "an AssumedRoleUser that is not an ARN");
	else {
		out->access_key_id = take(&f[KEY]);
		out->secret_access_key = take(&f[SECRET]);
		out->session_token = take(&f[TOKEN]);
		out->identity_arn = take(&f[ARN]);
		out->expiration = expires;
		rc = 0;
	}
	fields_free(f, NFIELDS);
	for (size_t i = 0; i < NFIELDS; i++)
		free(paths[i]);
	return rc;
}

int
sts_parse_caller_identity(const char *body, size_t len, char **account,
    char **arn, struct ct_error *err)
{
	struct xml_field f[2] = {
		{ "GetCallerIdentityResponse/GetCallerIdentityResult/Account",
		    1, 0, 0, { 0 } },
		{ "GetCallerIdentityResponse/GetCallerIdentityResult/Arn",
		    1, 0, 0, { 0 } },
	};
	const char *why;
	int rc = -1;

	*account = *arn = NULL;
	if (xml_read(body, len, "GetCallerIdentityResponse", f, 2, &why) !=
	    XML_OK)
		malformed(err, "GetCallerIdentityResult", why);
	else {
		*account = take(&f[0]);
		*arn = take(&f[1]);
		rc = 0;
	}
	fields_free(f, 2);
	return rc;
}

/*
 * Returns 0 for an ErrorResponse (err classified by its code), -1 with
 * err CT_MALFORMED otherwise; sts.c tells a body that is not STS's (a
 * proxy's page) from a hostile one by err->code.
 */
int
sts_parse_error(const char *body, size_t len, struct ct_error *err)
{
	struct xml_field f[2] = {
		{ "ErrorResponse/Error/Code", 1, 0, 0, { 0 } },
		{ "ErrorResponse/Error/Message", 0, 1, 0, { 0 } },
	};
	enum xml_result res;
	const char *why;
	int rc = -1;

	res = xml_read(body, len, "ErrorResponse", f, 2, &why);
	if (res != XML_OK) {
		malformed(err, "ErrorResponse", why);
		if (res == XML_NOT_STS)
			snprintf(err->code, sizeof(err->code), "NotSTS");
	} else {
		memset(err, 0, sizeof(*err));
		log_clean(err->code, sizeof(err->code), f[0].text.buf);
		if (f[1].text.buf != NULL)
			log_clean(err->message, sizeof(err->message),
			    f[1].text.buf);
		ct_classify_code(400, NULL, 0, err);
		rc = 0;
	}
	fields_free(f, 2);
	return rc;
}
