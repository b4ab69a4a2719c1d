/*
 * report: the aggregation (reportagg) and the three formats (reportfmt),
 * line by line and through a stream, including hostile lines.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "reportagg.h"
#include "reportfmt.h"
#include "t.h"

#define ALWAYS 0, (time_t)LLONG_MAX


static enum reportagg_status
add(struct reportagg *ra, const char *line)
{
	return reportagg_add_line(ra, line, strlen(line), NULL);
}

/* A record with the fields report reads; NULL leaves a field out. */
static enum reportagg_status
add_rec(struct reportagg *ra, const char *time, const char *model,
    const char *arn, const char *region, const char *error)
{
	char line[1024];

	snprintf(line, sizeof(line), "{\"eventTime\":\"%s\",\"modelName\":%s%s%s,"
	    "\"awsRegion\":\"%s\",\"userIdentity\":{\"type\":\"IAMUser\","
	    "\"arn\":\"%s\"},\"errorCode\":%s%s%s}", time,
	    model ? "\"" : "", model ? model : "null", model ? "\"" : "",
	    region, arn, error ? "\"" : "", error ? error : "null",
	    error ? "\"" : "");
	return add(ra, line);
}

/* The whole output of a format, as a string the caller frees. */
static char *
render(void (*fmt)(FILE *, const struct reportagg_result *),
    struct reportagg *ra)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	fmt(f, reportagg_result(ra));
	fclose(f);
	return buf;
}

static void
test_counts_per_model(void)
{
	struct reportagg *ra = reportagg_new(ALWAYS);
	const struct reportagg_result *r;

	add_rec(ra, "2026-11-24T07:00:00Z", "m.a", "arn:u1", "us-east-1", NULL);
	add_rec(ra, "2026-11-23T07:00:00Z", "m.a", "arn:u2", "eu-west-1",
	    "ThrottlingException");
	add_rec(ra, "2026-11-25T07:00:00Z", "m.a", "arn:u1", "us-east-1", NULL);
	add_rec(ra, "2026-11-20T00:00:00Z", "m.b", "arn:u1", "us-west-2", NULL);
	r = reportagg_result(ra);
	T_EQ_INT(r->records, 4);
	T_EQ_INT(r->malformed, 0);
	T_EQ_INT(r->nmodels, 2);
	T_EQ_STR(r->models[0].name, "m.a");
	T_EQ_INT(r->models[0].calls, 3);
	T_EQ_INT(r->models[0].errors, 1);
	T_EQ_INT(r->models[0].nprincipals, 2);
	T_EQ_INT(r->models[0].nregions, 2);
	T_EQ_STR(r->models[0].regions[0], "eu-west-1");
	T_EQ_STR(r->models[0].regions[1], "us-east-1");
	T_EQ_INT(r->models[0].first, 1795417200);	/* 2026-11-23T07:00:00Z */
	T_EQ_INT(r->models[0].last, 1795590000);	/* 2026-11-25T07:00:00Z */
	T_EQ_STR(r->models[1].name, "m.b");
	T_EQ_INT(r->models[1].calls, 1);
	T_EQ_INT(r->models[1].first, r->models[1].last);
	reportagg_free(ra);
}

static void
test_sorted_by_calls_then_name(void)
{
	struct reportagg *ra = reportagg_new(ALWAYS);
	const struct reportagg_result *r;
	const char *t = "2026-11-24T07:00:00Z";

	add_rec(ra, t, "z", "p", "r", NULL);
	add_rec(ra, t, "b", "p", "r", NULL);
	add_rec(ra, t, "a", "p", "r", NULL);
	add_rec(ra, t, "c", "p", "r", NULL);
	add_rec(ra, t, "c", "p", "r", NULL);
	r = reportagg_result(ra);
	T_EQ_INT(r->nmodels, 4);
	T_EQ_STR(r->models[0].name, "c");
	T_EQ_STR(r->models[1].name, "a");
	T_EQ_STR(r->models[2].name, "b");
	T_EQ_STR(r->models[3].name, "z");
	reportagg_free(ra);
}

static void
test_principals_grouped_by_model_order(void)
{
	struct reportagg *ra = reportagg_new(ALWAYS);
	const struct reportagg_result *r;
	const char *t = "2026-11-24T07:00:00Z";

	add_rec(ra, t, "few", "p9", "r", NULL);
	add_rec(ra, t, "many", "p1", "r", NULL);
	add_rec(ra, t, "many", "p2", "r", NULL);
	add_rec(ra, t, "many", "p3", "r", NULL);
	add_rec(ra, t, "many", "p3", "r", NULL);
	r = reportagg_result(ra);
	T_EQ_INT(r->nprincipals, 4);
	T_EQ_STR(r->principals[0].model, "many");
	T_EQ_STR(r->principals[0].principal, "p3");
	T_EQ_INT(r->principals[0].calls, 2);
	T_EQ_STR(r->principals[1].principal, "p1");
	T_EQ_STR(r->principals[2].principal, "p2");
	T_EQ_INT(r->principals[2].calls, 1);
	T_EQ_STR(r->principals[3].model, "few");
	T_EQ_STR(r->principals[3].principal, "p9");
	reportagg_free(ra);
}

static void
test_principal_falls_back_to_name_type_unknown(void)
{
	struct reportagg *ra = reportagg_new(ALWAYS);
	const struct reportagg_result *r;

	add(ra, "{\"eventTime\":\"2026-11-24T07:00:00Z\",\"modelName\":\"m\","
	    "\"userIdentity\":{\"type\":\"AWSService\",\"arn\":null,"
	    "\"userName\":\"bedrock.amazonaws.com\"}}");
	add(ra, "{\"eventTime\":\"2026-11-24T07:00:01Z\",\"modelName\":\"m\","
	    "\"userIdentity\":{\"type\":\"Root\",\"arn\":null,"
	    "\"userName\":null}}");
	add(ra, "{\"eventTime\":\"2026-11-24T07:00:02Z\",\"modelName\":\"m\","
	    "\"userIdentity\":null}");
	add(ra, "{\"eventTime\":\"2026-11-24T07:00:03Z\",\"modelName\":\"m\"}");
	r = reportagg_result(ra);
	T_EQ_INT(r->models[0].nprincipals, 3);
	T_EQ_INT(r->nprincipals, 3);
	T_EQ_STR(r->principals[0].principal, "(unknown)");
	T_EQ_INT(r->principals[0].calls, 2);
	T_EQ_STR(r->principals[1].principal, "Root");
	T_EQ_STR(r->principals[2].principal, "bedrock.amazonaws.com");
	reportagg_free(ra);
}

static void
test_null_or_missing_model_is_none(void)
{
	struct reportagg *ra = reportagg_new(ALWAYS);
	const struct reportagg_result *r;

	add(ra, "{\"eventTime\":\"2026-11-24T07:00:00Z\",\"modelName\":null}");
	add(ra, "{\"eventTime\":\"2026-11-24T07:00:00Z\"}");
	add(ra, "{\"eventTime\":\"2026-11-24T07:00:00Z\",\"modelName\":\"\"}");
	r = reportagg_result(ra);
	T_EQ_INT(r->nmodels, 1);
	T_EQ_STR(r->models[0].name, "(none)");
	T_EQ_INT(r->models[0].calls, 3);
	T_EQ_INT(r->models[0].nregions, 0);
	reportagg_free(ra);
}

static void
test_error_is_errorcode_not_null(void)
{
	struct reportagg *ra = reportagg_new(ALWAYS);

	add(ra, "{\"eventTime\":\"2026-11-24T07:00:00Z\",\"errorCode\":null}");
	add(ra, "{\"eventTime\":\"2026-11-24T07:00:00Z\"}");
	add(ra, "{\"eventTime\":\"2026-11-24T07:00:00Z\",\"errorCode\":"
	    "\"AccessDenied\"}");
	T_EQ_INT(reportagg_result(ra)->models[0].errors, 1);
	reportagg_free(ra);
}

static void
expect_malformed(const char *line, size_t len, const char *want_why)
{
	struct reportagg *ra = reportagg_new(ALWAYS);
	const char *why = NULL;

	T_EQ_INT(reportagg_add_line(ra, line, len, &why), REPORTAGG_MALFORMED);
	T_EQ_STR(why, want_why);
	T_EQ_INT(reportagg_result(ra)->malformed, 1);
	T_EQ_INT(reportagg_result(ra)->records, 0);
	reportagg_free(ra);
}

static void
test_malformed_lines(void)
{
	static const char nul[] = "{\"eventTime\":\"2026-11-24T07:00:00Z\"}\0x";
	char *big;

	expect_malformed("not json", 8, "not JSON");
	expect_malformed("{\"eventTime\":\"2026-11-24T07:00:00Z\"", 35,
	    "not JSON");
	expect_malformed("{\"eventTime\":\"2026-11-24T07:00:00Z\"} x", 38,
	    "not JSON");
	expect_malformed("[{\"eventTime\":\"2026-11-24T07:00:00Z\"}]", 38,
	    "not a JSON object");
	expect_malformed("\"2026-11-24T07:00:00Z\"", 22, "not a JSON object");
	expect_malformed("{\"modelName\":\"m\"}", 17, "no eventTime");
	expect_malformed("{\"eventTime\":null}", 18, "no eventTime");
	expect_malformed("{\"eventTime\":1795503600}", 24, "no eventTime");
	expect_malformed("{\"eventTime\":\"yesterday\"}", 25,
	    "eventTime is not ISO 8601 UTC");
	expect_malformed("{\"eventTime\":\"2026-02-30T07:00:00Z\"}", 36,
	    "eventTime is not ISO 8601 UTC");
	expect_malformed(nul, sizeof(nul) - 1, "not UTF-8 text");
	expect_malformed("{\"eventTime\":\"2026-11-24T07:00:00Z\",\"m\":\"\xff\"}",
	    45, "not UTF-8 text");
	expect_malformed("{\"eventTime\":\"2026-11-24T07:00:00Z\",\"m\":\"\xc0\xaf\"}",
	    46, "not UTF-8 text");
	expect_malformed("{\"eventTime\":\"2026-11-24T07:00:00Z\",\"m\":\"\xed\xa0\x80\"}",
	    47, "not UTF-8 text");
	big = malloc(REPORTAGG_LINE_MAX + 2);
	memset(big, ' ', REPORTAGG_LINE_MAX + 1);
	memcpy(big, "{\"eventTime\":\"2026-11-24T07:00:00Z\"}", 36);
	big[REPORTAGG_LINE_MAX + 1] = '\0';
	expect_malformed(big, REPORTAGG_LINE_MAX + 1, "longer than 1 MiB");
	free(big);
}

static void
test_good_unicode_and_whitespace_accepted(void)
{
	struct reportagg *ra = reportagg_new(ALWAYS);
	const struct reportagg_result *r;

	T_EQ_INT(add(ra, "  {\"eventTime\":\"2026-11-24T07:00:00Z\","
	    "\"modelName\":\"mod\xc3\xa8le-\xf0\x9f\x98\x80\"}\r"),
	    REPORTAGG_COUNTED);
	T_EQ_INT(add(ra, "{\"eventTime\":\"2026-11-24T07:00:00.123Z\","
	    "\"modelName\":\"\\u00e9\"}"), REPORTAGG_COUNTED);
	r = reportagg_result(ra);
	T_EQ_INT(r->records, 2);
	T_EQ_STR(r->models[0].name, "mod\xc3\xa8le-\xf0\x9f\x98\x80");
	T_EQ_STR(r->models[1].name, "\xc3\xa9");
	reportagg_free(ra);
}

static void
test_blank_lines_skipped_silently(void)
{
	struct reportagg *ra = reportagg_new(ALWAYS);

	T_EQ_INT(add(ra, ""), REPORTAGG_BLANK);
	T_EQ_INT(add(ra, " \t\r"), REPORTAGG_BLANK);
	T_EQ_INT(reportagg_result(ra)->records, 0);
	T_EQ_INT(reportagg_result(ra)->malformed, 0);
	reportagg_free(ra);
}

static void
test_window_is_since_inclusive_until_exclusive(void)
{
	/* 2026-11-24T07:00:00Z .. 2026-11-24T08:00:00Z */
	struct reportagg *ra = reportagg_new(1795503600, 1795507200);

	T_EQ_INT(add(ra, "{\"eventTime\":\"2026-11-24T06:59:59Z\"}"),
	    REPORTAGG_FILTERED);
	T_EQ_INT(add(ra, "{\"eventTime\":\"2026-11-24T07:00:00Z\"}"),
	    REPORTAGG_COUNTED);
	T_EQ_INT(add(ra, "{\"eventTime\":\"2026-11-24T07:59:59Z\"}"),
	    REPORTAGG_COUNTED);
	T_EQ_INT(add(ra, "{\"eventTime\":\"2026-11-24T08:00:00Z\"}"),
	    REPORTAGG_FILTERED);
	T_EQ_INT(reportagg_result(ra)->records, 2);
	reportagg_free(ra);
}

static void
test_read_names_file_and_line(void)
{
	static const char in[] =
	    "{\"eventTime\":\"2026-11-24T07:00:00Z\"}\n"
	    "\n"
	    "oops\n"
	    "{\"eventTime\":\"2026-11-24T07:00:00Z\"}\r\n"
	    "[]\n"
	    "{\"eventTime\":\"2026-11-24T07:00:00Z\"}";	/* no newline */
	struct reportagg *ra = reportagg_new(ALWAYS);
	FILE *f = fmemopen((void *)in, sizeof(in) - 1, "r");
	const char *err;

	t_capture_start();
	T_EQ_INT(reportagg_read(ra, f, "in.jsonl"), 0);
	err = t_capture_end();
	fclose(f);
	T_EQ_STR(err, "in.jsonl:3: malformed record: not JSON\n"
	    "in.jsonl:5: malformed record: not a JSON object\n");
	T_EQ_INT(reportagg_result(ra)->records, 3);
	T_EQ_INT(reportagg_result(ra)->malformed, 2);
	reportagg_free(ra);
}

/* A line of 3 MiB is read in bounded memory and skipped, the next is not. */
static void
test_read_overlong_line(void)
{
	size_t n = 3 * 1024 * 1024;
	char *in = malloc(n + 64);
	struct reportagg *ra = reportagg_new(ALWAYS);
	FILE *f;
	const char *err;

	memset(in, 'x', n);
	in[n] = '\n';
	strcpy(in + n + 1, "{\"eventTime\":\"2026-11-24T07:00:00Z\"}\n");
	f = fmemopen(in, strlen(in), "r");
	t_capture_start();
	T_EQ_INT(reportagg_read(ra, f, "-"), 0);
	err = t_capture_end();
	fclose(f);
	free(in);
	T_EQ_STR(err, "-:1: malformed record: longer than 1 MiB\n");
	T_EQ_INT(reportagg_result(ra)->records, 1);
	T_EQ_INT(reportagg_result(ra)->malformed, 1);
	reportagg_free(ra);
}

static void
test_read_reports_first_hundred_counts_all(void)
{
	char *in = NULL;
	size_t len = 0;
	FILE *w = open_memstream(&in, &len), *f;
	struct reportagg *ra = reportagg_new(ALWAYS);
	const char *err;
	int lines = 0;

	for (int i = 0; i < 250; i++)
		fputs("garbage\n", w);
	fclose(w);
	f = fmemopen(in, len, "r");
	t_capture_start();
	reportagg_read(ra, f, "g");
	err = t_capture_end();
	fclose(f);
	free(in);
	for (const char *p = err; (p = strchr(p, '\n')) != NULL; p++)
		lines++;
	T_EQ_INT(lines, REPORTAGG_REPORT_MAX + 1);
	T_ASSERT(strstr(err, "g:100: malformed record: not JSON\n") != NULL);
	T_ASSERT(strstr(err, "g:101:") == NULL);
	T_ASSERT(strstr(err, "further malformed records are counted but not "
	    "shown\n") != NULL);
	T_EQ_INT(reportagg_result(ra)->malformed, 250);
	reportagg_free(ra);
}

static void
test_json_exact(void)
{
	struct reportagg *ra = reportagg_new(ALWAYS);
	char *out;

	add_rec(ra, "2026-11-24T07:00:00Z", "m\\\"q", "arn:u1", "us-east-1",
	    "E");
	add_rec(ra, "2026-11-24T08:00:00Z", "m\\\"q", "arn:u1", "eu-west-1",
	    NULL);
	add(ra, "bad");
	out = render(reportfmt_json, ra);
	T_EQ_STR(out, "{\"models\":[{\"modelName\":\"m\\\"q\",\"calls\":2,"
	    "\"errors\":1,\"principals\":1,\"regions\":[\"eu-west-1\","
	    "\"us-east-1\"],\"firstSeen\":\"2026-11-24T07:00:00Z\","
	    "\"lastSeen\":\"2026-11-24T08:00:00Z\"}],\"principals\":"
	    "[{\"principal\":\"arn:u1\",\"modelName\":\"m\\\"q\",\"calls\":2}],"
	    "\"records\":2,\"malformed\":1}\n");
	free(out);
	reportagg_free(ra);
}

static void
test_csv_exact_with_quoting(void)
{
	struct reportagg *ra = reportagg_new(ALWAYS);
	char *out;

	add_rec(ra, "2026-11-24T07:00:00Z", "a,b", "say \\\"hi\\\"",
	    "us-east-1", NULL);
	add_rec(ra, "2026-11-24T07:00:00Z", "a,b", "p", "eu-west-1", NULL);
	out = render(reportfmt_csv, ra);
	T_EQ_STR(out, "section,modelName,principal,calls,errors,principals,"
	    "regions,firstSeen,lastSeen\r\n"
	    "model,\"a,b\",,2,0,2,eu-west-1 us-east-1,2026-11-24T07:00:00Z,"
	    "2026-11-24T07:00:00Z\r\n"
	    "principal,\"a,b\",p,1,,,,,\r\n"
	    "principal,\"a,b\",\"say \"\"hi\"\"\",1,,,,,\r\n");
	free(out);
	reportagg_free(ra);
}

static void
test_empty_report_in_every_format(void)
{
	struct reportagg *ra = reportagg_new(ALWAYS);
	char *out;

	out = render(reportfmt_json, ra);
	T_EQ_STR(out, "{\"models\":[],\"principals\":[],\"records\":0,"
	    "\"malformed\":0}\n");
	free(out);
	out = render(reportfmt_csv, ra);
	T_EQ_STR(out, "section,modelName,principal,calls,errors,principals,"
	    "regions,firstSeen,lastSeen\r\n");
	free(out);
	out = render(reportfmt_table, ra);
	T_EQ_STR(out, "Models\n"
	    "MODEL                                             CALLS     ERRORS"
	    "  PRINCIPALS\n"
	    "no records\n"
	    "\n"
	    "Principals by model\n"
	    "     CALLS  PRINCIPAL\n"
	    "no records\n"
	    "\n"
	    "0 records, 0 models\n");
	free(out);
	reportagg_free(ra);
}

/* Columns of a line, counting a UTF-8 sequence as one. */
static size_t
columns(const char *s, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++)
		n += ((unsigned char)s[i] & 0xc0) != 0x80;
	return n;
}

static void
test_table_fits_80_columns_and_cuts_in_the_middle(void)
{
	struct reportagg *ra = reportagg_new(ALWAYS);
	char model[200], arn[200], line[2048];
	char *out, *p, *nl;

	memset(model, 'M', 150);
	model[150] = '\0';
	snprintf(arn, sizeof(arn), "arn:aws:sts::123456789012:assumed-role/"
	    "%0100d/session-end", 7);
	for (int i = 0; i < 12; i++) {
		char region[64];

		snprintf(region, sizeof(region), "region-number-%02d", i);
		add_rec(ra, "2026-11-24T07:00:00Z", model, arn, region, NULL);
	}
	snprintf(line, sizeof(line), "{\"eventTime\":\"2026-11-24T07:00:00Z\","
	    "\"modelName\":\"%s\xc3\xa9\",\"awsRegion\":\"%s\"}", model, model);
	add(ra, line);
	out = render(reportfmt_table, ra);
	for (p = out; (nl = strchr(p, '\n')) != NULL; p = nl + 1)
		if (columns(p, (size_t)(nl - p)) > REPORTFMT_WIDTH)
			T_FAIL("line over 80 columns: %.*s", (int)(nl - p), p);
	/* The end of an ARN names the session: it survives the cut. */
	T_ASSERT(strstr(out, "\n        12  arn:aws:sts::123456789012:assumed"
	    "...00000000000000000007/session-end\n") != NULL);
	T_ASSERT(strstr(out, "\n    regions region-number-00, region-number-01,"
	    " region-number-02,\n            region-number-03,") != NULL);
	/* The model column keeps two thirds from the end. */
	T_ASSERT(strstr(out, "\nMMMMMMMMMMMMMM...MMMMMMMMMMMMMMMMMMMMMMMMMMM"
	    "         12          0           1\n") != NULL);
	T_ASSERT(strstr(out, "\nMMMMMMMMMMMMMM...MMMMMMMMMMMMMMMMMMMMMMMMMM"
	    "\xc3\xa9          1          0           1\n") != NULL);
	/* Elsewhere the cut is in the middle. */
	T_ASSERT(strstr(out, "\nMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMM...MMMMM"
	    "MMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMM\n") != NULL);
	free(out);
	reportagg_free(ra);
}

static void
test_table_hides_control_characters(void)
{
	struct reportagg *ra = reportagg_new(ALWAYS);
	char *out;

	add(ra, "{\"eventTime\":\"2026-11-24T07:00:00Z\",\"modelName\":"
	    "\"a\\u001b[2Jb\\u0085c\\u202ed\\u007f\",\"userIdentity\":"
	    "{\"arn\":\"x\\ny\"}}");
	out = render(reportfmt_table, ra);
	T_ASSERT(strchr(out, '\x1b') == NULL);
	T_ASSERT(strstr(out, "\na?[2Jb?c?d? ") != NULL);
	T_ASSERT(strstr(out, "  x?y\n") != NULL);
	free(out);
	reportagg_free(ra);
}

int
main(void)
{
	T_RUN(test_counts_per_model);
	T_RUN(test_sorted_by_calls_then_name);
	T_RUN(test_principals_grouped_by_model_order);
	T_RUN(test_principal_falls_back_to_name_type_unknown);
	T_RUN(test_null_or_missing_model_is_none);
	T_RUN(test_error_is_errorcode_not_null);
	T_RUN(test_malformed_lines);
	T_RUN(test_good_unicode_and_whitespace_accepted);
	T_RUN(test_blank_lines_skipped_silently);
	T_RUN(test_window_is_since_inclusive_until_exclusive);
	T_RUN(test_read_names_file_and_line);
	T_RUN(test_read_overlong_line);
	T_RUN(test_read_reports_first_hundred_counts_all);
	T_RUN(test_json_exact);
	T_RUN(test_csv_exact_with_quoting);
	T_RUN(test_empty_report_in_every_format);
	T_RUN(test_table_fits_80_columns_and_cuts_in_the_middle);
	T_RUN(test_table_hides_control_characters);
	return T_DONE();
}
