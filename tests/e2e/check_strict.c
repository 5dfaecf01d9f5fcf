/* Strict inputs (issue 14): every value of the wrong JSON type is a 422
 * naming the field and stores nothing; integral numbers (150, 150.0, 1.5e2)
 * are integers; RFC 3339 date-times with or without a fraction of a second.
 * One test walks the field table of incident/fields.h, so a field added
 * later is covered without a new test. Runs on the demo city. */
#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "core/buf.h"
#include "core/xalloc.h"
#include "incident/fields.h"
#include "support.h"

Suite *strict_suite(void);

static struct ts_server srv;
static int port;
static char *cookie, *hdr;

static void setup(void)
{
	ts_demo_server_start(&srv, "strict", NULL);
	port = srv.port;
	cookie = client_sign_in_demo(port, "sakai.haruto");
	char *csrf = client_page_csrf(port, "/my/reports", cookie);
	hdr = xasprintf("X-CSRF-Token: %s", csrf);
	free(csrf);
}

static void teardown(void)
{
	free(cookie);
	free(hdr);
	ts_demo_server_stop(&srv);
}

static long scalar(const char *q)
{
	return ts_scalar(srv.db, q);
}

/* A valid report; personal data involved. */
static json_t *base(void)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:[s], s:{s:s}}", "summary", "厳格な入力の試験",
			 "discovered_at", "2026-11-24T10:00:00+09:00", "category", "leak", "site",
			 "honchosha", "segments", "internet", "personal_data", "involved", "yes");
}

/* Posts body (taken), returns the status; the response body goes to out. */
static long post(json_t *body, char **out)
{
	char *s = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	struct resp r;
	client_json(port, "POST", "/api/v1/incidents", cookie, hdr, s, &r);
	free(s);
	long st = r.status;
	if (out)
		*out = xstrdup(buf_cstr(&r.body));
	resp_release(&r);
	return st;
}

/* Posts body text as sent (so 150.0 stays 150.0 on the wire). */
static long post_text(const char *s, char **out)
{
	struct resp r;
	client_json(port, "POST", "/api/v1/incidents", cookie, hdr, s, &r);
	long st = r.status;
	if (out)
		*out = xstrdup(buf_cstr(&r.body));
	resp_release(&r);
	return st;
}

/* Asserts a 422 naming field and that nothing was stored. */
static void refused(const char *body_text, const char *field)
{
	long before = scalar("SELECT count(*) FROM incident");
	char *b;
	long st = post_text(body_text, &b);
	char *want = xasprintf("\"field\":\"%s\"", field);
	ck_assert_msg(st == 422 && strstr(b, want), "%s -> %ld %s", body_text, st, b);
	ck_assert_int_eq(scalar("SELECT count(*) FROM incident"), before);
	free(want);
	free(b);
}

#define BODY(extra, pd)                                                                        \
	"{\"summary\": \"厳格な入力の試験\", \"discovered_at\": \"2026-11-24T10:00:00+09:00\", "  \
	"\"category\": \"leak\", \"site\": \"honchosha\", \"segments\": [\"internet\"], " extra \
	"\"personal_data\": {\"involved\": \"yes\"" pd "}}"

START_TEST(test_integral_numbers_are_integers)
{
	static const char *const ok[] = {BODY("", ", \"persons\": 150"), BODY("", ", \"persons\": 150.0"),
					 BODY("", ", \"persons\": 1.5e2"), NULL};
	for (int i = 0; ok[i]; i++) {
		char *b;
		long st = post_text(ok[i], &b);
		ck_assert_msg(st == 201, "%s -> %ld %s", ok[i], st, b);
		/* the PPC clock starts: 150 persons is more than 100 */
		ck_assert_msg(!strstr(b, "\"legal_deadlines\":[]"), "%s", b);
		json_t *j = json_loads(b, 0, NULL);
		char *q = xasprintf("SELECT pd_persons FROM incident WHERE ref = '%s'",
				    json_string_value(json_object_get(j, "ref")));
		ck_assert_int_eq(scalar(q), 150);
		char *q2 = xasprintf("SELECT count(*) FROM legal_deadline d JOIN incident i ON "
				     "i.id = d.incident_id WHERE i.ref = '%s'",
				     json_string_value(json_object_get(j, "ref")));
		ck_assert_int_gt(scalar(q2), 0);
		free(q2);
		free(q);
		json_decref(j);
		free(b);
	}
	refused(BODY("", ", \"persons\": 1.5"), "personal_data.persons");
	refused(BODY("", ", \"persons\": 1e100"), "personal_data.persons");
	refused(BODY("", ", \"persons\": \"百\""), "personal_data.persons");
	refused(BODY("", ", \"persons\": \"150\""), "personal_data.persons");
	refused(BODY("", ", \"persons\": [120]"), "personal_data.persons");
	refused(BODY("", ", \"persons\": -1"), "personal_data.persons");
	refused(BODY("", ", \"persons\": 100000001"), "personal_data.persons");
}
END_TEST

START_TEST(test_booleans_strings_lists)
{
	refused(BODY("\"bcp\": \"false\", ", ""), "bcp");
	refused(BODY("\"bcp\": \"no\", ", ""), "bcp");
	refused(BODY("\"bcp\": 0, ", ""), "bcp");
	refused(BODY("\"description\": [\"USBメモリ\"], ", ""), "description");
	refused(BODY("\"summary2\": \"typo\", ", ""), "summary2");
	refused("{\"summary\": \"x\", \"discovered_at\": \"2026-11-24T10:00:00+09:00\", "
		"\"category\": \"leak\", \"site\": \"honchosha\", \"segments\": {}, "
		"\"personal_data\": {\"involved\": \"yes\"}}",
		"segments");
	refused("{\"summary\": \"x\", \"discovered_at\": \"2026-11-24T10:00:00+09:00\", "
		"\"category\": \"leak\", \"site\": \"honchosha\", \"personal_data\": \"yes\"}",
		"personal_data");
	refused(BODY("", ", \"sensitive\": \"maybe\""), "personal_data.sensitive");
	/* bcp false is false, the documented "no" of a yes/no/unknown field is no */
	char *b;
	ck_assert_int_eq(post_text(BODY("\"bcp\": false, ", ", \"sensitive\": \"no\", \"mynumber\": false"), &b),
			 201);
	json_t *j = json_loads(b, 0, NULL);
	char *q = xasprintf("SELECT (NOT bcp AND pd_sensitive = 'no' AND pd_mynumber = 'no')::int "
			    "FROM incident WHERE ref = '%s'",
			    json_string_value(json_object_get(j, "ref")));
	ck_assert_int_eq(scalar(q), 1);
	free(q);
	json_decref(j);
	free(b);
}
END_TEST

START_TEST(test_rfc3339_date_times)
{
	static const char *const ok[] = {"2026-11-24T01:00:00Z", "2026-11-24T01:00:00.000Z",
					 "2026-11-24T10:00:00.5+09:00", NULL};
	for (int i = 0; ok[i]; i++) {
		json_t *body = base();
		json_object_set_new(body, "discovered_at", json_string(ok[i]));
		char *b;
		long st = post(body, &b);
		ck_assert_msg(st == 201, "%s -> %ld %s", ok[i], st, b);
		json_t *j = json_loads(b, 0, NULL);
		char *q = xasprintf("SELECT extract(epoch FROM date_trunc('second', discovered_at))::bigint "
				    "FROM incident WHERE ref = '%s'",
				    json_string_value(json_object_get(j, "ref")));
		ck_assert_int_eq(scalar(q), 1795482000); /* 2026-11-24T01:00:00Z */
		free(q);
		json_decref(j);
		free(b);
	}
	static const char *const bad[] = {"2026-11-24T10:00:60+09:00", "2026-11-24T24:00:00+09:00",
					  "2026-11-24T10:60:00+09:00", "2026-11-24T10:00+09:00",
					  "2026-11-24 10:00:00+09:00", "2026-11-24T10:00:00",
					  "2026-11-24T10:00:00.Z", NULL};
	for (int i = 0; bad[i]; i++) {
		char *s = xasprintf("{\"summary\": \"x\", \"discovered_at\": \"%s\", \"category\": "
				    "\"leak\", \"site\": \"honchosha\", \"personal_data\": "
				    "{\"involved\": \"no\"}}",
				    bad[i]);
		refused(s, "discovered_at");
		free(s);
	}
}
END_TEST

/* Values of each JSON type that a field of type t does not take. */
static const char *const *wrong_values(enum field_type t)
{
	static const char *const text[] = {"1", "1.5", "true", "[\"a\"]", "{}", NULL};
	static const char *const codes[] = {"\"internet\"", "1", "true", "{}", "[1]", NULL};
	static const char *const integer[] = {"\"1\"", "1.5", "true", "[1]", "{}", NULL};
	static const char *const flag[] = {"\"false\"", "\"true\"", "1", "[]", "{}", NULL};
	static const char *const tri[] = {"\"maybe\"", "1", "[]", "{}", NULL};
	switch (t) {
	case FIELD_TEXT:
	case FIELD_CODE:
	case FIELD_DATETIME:
		return text;
	case FIELD_CODES:
		return codes;
	case FIELD_INT:
		return integer;
	case FIELD_FLAG:
		return flag;
	case FIELD_TRI:
		return tri;
	}
	return text;
}

START_TEST(test_every_field_every_wrong_type)
{
	int n = 0;
	for (const struct incident_field *f = incident_fields; f->name; f++) {
		if (!(f->where & FIELD_API))
			continue;
		for (const char *const *w = wrong_values(f->type); *w; w++) {
			json_t *body = base();
			json_t *v = json_loads(*w, JSON_DECODE_ANY, NULL);
			ck_assert(v != NULL);
			if (strncmp(f->json, "personal_data.", 14) == 0)
				json_object_set_new(json_object_get(body, "personal_data"), f->json + 14, v);
			else
				json_object_set_new(body, f->json, v);
			char *s = json_dumps(body, JSON_COMPACT);
			json_decref(body);
			refused(s, f->json);
			free(s);
			n++;
		}
	}
	ck_assert_int_gt(n, 80);
}
END_TEST

/* The web form: a value that is not UTF-8 comes back as the form (422) with
 * that field marked and named, everything else as typed; nothing stored. */
static void form_not_utf8(const char *cookies, int multipart, const char *want_msg)
{
	char *csrf = client_page_csrf(port, "/report", cookie);
	long before = scalar("SELECT count(*) FROM incident");
	struct resp r;
	if (multipart) {
		/* 「申請書」 in Shift_JIS, pasted from an old file */
		const char *fields[] = {"csrf", csrf, "summary", "文字化けの試験", "description",
					"\x90\x5c\x90\xbf\x8f\x91 を紛失", "discovered_at",
					"2026-11-24T10:00", "category", "loss_theft", "site", "honchosha",
					"pd_involved", "no", NULL};
		client_multipart(port, "/report", cookies, fields, NULL, NULL, 0, &r);
	} else {
		char *form = xasprintf("csrf=%s&summary=%%E6%%96%%87%%E5%%AD%%97%%E5%%8C%%96%%E3%%81%%91"
				       "%%E3%%81%%AE%%E8%%A9%%A6%%E9%%A8%%93&description=%%90%%5C%%90"
				       "%%BF%%8F%%91+%%E3%%82%%92&discovered_at=2026-11-24T10%%3A00"
				       "&category=loss_theft&site=honchosha&pd_involved=no",
				       csrf);
		client_request(port, "POST", "/report", form, cookies, &r);
		free(form);
	}
	const char *b = buf_cstr(&r.body);
	ck_assert_msg(r.status == 422, "%ld %s", r.status, b);
	ck_assert_msg(strstr(b, "<textarea id=\"description\" name=\"description\" rows=\"6\" "
				"aria-invalid=\"true\" aria-describedby=\"description-error\">"),
		      "%s", b);
	ck_assert_msg(strstr(b, want_msg), "%s", b);
	ck_assert(strstr(b, "value=\"文字化けの試験\"")); /* the summary as typed */
	ck_assert(strstr(b, "<option value=\"loss_theft\" selected>"));
	ck_assert(strstr(b, "\xef\xbf\xbd")); /* the bad bytes shown as U+FFFD */
	ck_assert(!strstr(b, "reload"));
	resp_release(&r);
	ck_assert_int_eq(scalar("SELECT count(*) FROM incident"), before);
	free(csrf);
}

START_TEST(test_form_not_utf8_marks_the_field)
{
	const char *ja = "「詳しい状況」に文字として読めないバイト";
	form_not_utf8(cookie, 1, ja);
	form_not_utf8(cookie, 0, ja);
	char *en = xasprintf("%s; sokuho_lang=en", cookie);
	form_not_utf8(en, 1, "&#39;Details&#39; contains bytes that are not text");
	free(en);
	/* Elsewhere a value that is not UTF-8 is still a malformed form. */
	struct resp r;
	client_request(port, "POST", "/login", "login=%82%A0&password=x", NULL, &r);
	ck_assert_int_eq(r.status, 400);
	resp_release(&r);
}
END_TEST

/* An empty (0-byte) evidence file is refused, naming it; nothing stored. */
START_TEST(test_form_empty_file_refused)
{
	char *csrf = client_page_csrf(port, "/report", cookie);
	long before = scalar("SELECT count(*) FROM incident");
	long files = scalar("SELECT count(*) FROM attachment");
	const char *fields[] = {"csrf", csrf, "summary", "空ファイルの試験", "discovered_at",
				"2026-11-24T10:00", "category", "loss_theft", "site", "honchosha",
				"pd_involved", "no", NULL};
	struct resp r;
	client_multipart(port, "/report", cookie, fields, "画面写真.png", "", 0, &r);
	const char *b = buf_cstr(&r.body);
	ck_assert_msg(r.status == 422, "%ld %s", r.status, b);
	ck_assert_msg(strstr(b, "「画面写真.png」は空のファイル（0バイト）です"), "%s", b);
	ck_assert(strstr(b, "id=\"evidence\" name=\"evidence\" type=\"file\" multiple "
			    "aria-invalid=\"true\""));
	ck_assert(strstr(b, "value=\"空ファイルの試験\""));
	resp_release(&r);
	ck_assert_int_eq(scalar("SELECT count(*) FROM incident"), before);
	ck_assert_int_eq(scalar("SELECT count(*) FROM attachment"), files);
	/* The same report with a file that has contents is filed. */
	client_multipart(port, "/report", cookie, fields, "画面写真.png", "PNG", 3, &r);
	ck_assert_int_eq(r.status, 303);
	resp_release(&r);
	ck_assert_int_eq(scalar("SELECT count(*) FROM incident"), before + 1);
	ck_assert_int_eq(scalar("SELECT count(*) FROM attachment"), files + 1);
	free(csrf);
}
END_TEST

/* Files a report through the API that starts no legal clock (50 persons,
 * nothing sensitive, not encrypted) and returns its reference. */
static char *file_small_leak(void)
{
	char *b;
	long st = post_text(BODY("\"section\": \"zeimu\", \"description\": \"名簿の誤送付\", ",
				 ", \"persons\": 50, \"sensitive\": false, \"financial\": false, "
				 "\"malicious\": false, \"mynumber\": false, \"encrypted\": false"),
			    &b);
	ck_assert_msg(st == 201 && strstr(b, "\"legal_deadlines\":[]"), "%ld %s", st, b);
	json_t *j = json_loads(b, 0, NULL);
	char *ref = xstrdup(json_string_value(json_object_get(j, "ref")));
	json_decref(j);
	free(b);
	return ref;
}

/* Posts a correction of ref as the CISO; fields is the urlencoded rest. */
static long correct(const char *ciso, const char *ref, const char *fields, char **out)
{
	char path[64];
	snprintf(path, sizeof path, "/incidents/%s", ref);
	char *csrf = client_page_csrf(port, path, ciso);
	char *form = xasprintf("csrf=%s&%s", csrf, fields);
	snprintf(path, sizeof path, "/incidents/%s/facts", ref);
	struct resp r;
	client_request(port, "POST", path, form, ciso, &r);
	long st = r.status;
	if (out)
		*out = xstrdup(buf_cstr(&r.body));
	resp_release(&r);
	free(form);
	free(csrf);
	return st;
}

/* A correction goes through the checks of filing: control characters,
 * lengths, whole numbers; refused, it changes nothing and keeps what was
 * typed. */
START_TEST(test_correction_checks)
{
	char *ref = file_small_leak();
	char *ciso = client_sign_in_demo(port, "sato.kenichi");
	char *q = xasprintf("SELECT count(*) FROM incident WHERE ref = '%s' AND summary = "
			    "'厳格な入力の試験' AND description = '名簿の誤送付' AND pd_persons = 50 "
			    "AND updated_at IS NOT DISTINCT FROM reported_at",
			    ref);
	char *qa = xasprintf("SELECT count(*) FROM audit_event a JOIN incident i ON i.id = "
			     "a.incident_id WHERE i.ref = '%s' AND a.kind = 'incident.corrected'",
			     ref);
	long unchanged = scalar(q);
	ck_assert_int_eq(unchanged, 1);
	static const struct {
		const char *fields, *field, *msg;
	} bad[] = {
		{"summary=%E4%BB%B6%E5%90%8D%01&category=leak&pd_persons=50", "summary", "制御文字"},
		{"summary=ok&description=a%07b&category=leak&pd_persons=50", "description", "制御文字"},
		{"summary=ok&category=leak&pd_persons=50&contractor=%1B%5B31m", "contractor", "制御文字"},
		{"summary=ok&category=leak&pd_persons=1e3", "pd_persons", "整数"},
		{"summary=ok&category=leak&pd_persons=%2B1000", "pd_persons", "整数"},
		{"summary=ok&category=leak&pd_persons=100000001", "pd_persons", "整数"},
		{"summary=ok&category=no-such&pd_persons=50", "category", "一覧から種別"},
		{"summary=ok&category=leak&severity=4", "severity", "0〜3"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char *b;
		long st = correct(ciso, ref, bad[i].fields, &b);
		char *id = xasprintf("fix-%s-error", strcmp(bad[i].field, "pd_persons") == 0
							 ? "persons"
							 : bad[i].field);
		ck_assert_msg(st == 422 && strstr(b, id) && strstr(b, bad[i].msg), "%s -> %ld %s",
			      bad[i].fields, st, b);
		free(id);
		free(b);
		ck_assert_int_eq(scalar(q), unchanged);
		ck_assert_int_eq(scalar(qa), 0);
	}
	/* The values come back as typed. */
	char *b;
	correct(ciso, ref, "summary=%E6%96%B0%E3%81%97%E3%81%84%E4%BB%B6%E5%90%8D&category=leak"
			   "&pd_persons=1e3&contractor=%E5%A7%94%E8%A8%97%E5%85%88",
		&b);
	ck_assert_msg(strstr(b, "value=\"新しい件名\"") && strstr(b, "value=\"1e3\"") &&
			      strstr(b, "value=\"委託先\""),
		      "%s", b);
	free(b);
	/* 20,001 characters of details are too many, as when filing. */
	buf big = BUF_INIT;
	buf_puts(&big, "summary=ok&category=leak&description=");
	for (int i = 0; i < 20001; i++)
		buf_puts(&big, "a");
	ck_assert_int_eq(correct(ciso, ref, buf_cstr(&big), NULL), 422);
	buf_release(&big);
	ck_assert_int_eq(scalar(q), unchanged);
	ck_assert_int_eq(scalar(qa), 0);
	free(qa);
	free(q);
	free(ciso);
	free(ref);
}
END_TEST

/* A correction that makes a legal clock apply writes its deadlines as
 * filing does: they show on the incident page and the dashboard. */
START_TEST(test_correction_starts_legal_clock)
{
	char *ref = file_small_leak();
	char *ciso = client_sign_in_demo(port, "sato.kenichi");
	char *qd = xasprintf("SELECT count(*) FROM legal_deadline d JOIN incident i ON i.id = "
			     "d.incident_id WHERE i.ref = '%s'",
			     ref);
	ck_assert_int_eq(scalar(qd), 0);
	ck_assert_int_eq(correct(ciso, ref,
				 "summary=%E5%90%8D%E7%B0%BF%E3%81%AE%E8%AA%A4%E9%80%81%E4%BB%98"
				 "&description=%E5%90%8D%E7%B0%BF%E3%81%AE%E8%AA%A4%E9%80%81%E4%BB%98"
				 "&category=leak&severity=3&pd_persons=1000&contractor=",
				 NULL),
			 303);
	ck_assert_int_eq(scalar(qd), 2);
	char *q = xasprintf("SELECT count(*) FROM legal_deadline d JOIN incident i ON i.id = "
			    "d.incident_id WHERE i.ref = '%s' AND d.key = 'ppc_preliminary' AND "
			    "d.due_at = i.discovered_at + interval '3 days' AND d.met_at IS NULL",
			    ref);
	ck_assert_int_eq(scalar(q), 1);
	free(q);
	q = xasprintf("SELECT count(*) FROM incident i WHERE i.ref = '%s' AND pd_persons = 1000 AND "
		      "(facts->'personal_data'->>'persons')::int = 1000",
		      ref);
	ck_assert_int_eq(scalar(q), 1);
	free(q);
	q = xasprintf("SELECT count(*) FROM audit_event a JOIN incident i ON i.id = a.incident_id "
		      "WHERE i.ref = '%s' AND a.kind = 'incident.corrected' AND "
		      "a.detail->'deadlines' = '[\"ppc_preliminary\", \"ppc_final\"]'::jsonb",
		      ref);
	ck_assert_int_eq(scalar(q), 1);
	free(q);
	/* The clock on the incident page ... */
	char path[64];
	snprintf(path, sizeof path, "/incidents/%s", ref);
	struct resp r;
	client_request(port, "GET", path, NULL, ciso, &r);
	const char *b = buf_cstr(&r.body);
	ck_assert_msg(strstr(b, "<section class=\"deadlines\">") &&
			      strstr(b, "速報（個人情報保護委員会）"),
		      "%s", b);
	resp_release(&r);
	/* ... and on the dashboard. */
	client_request(port, "GET", "/dashboard", NULL, ciso, &r);
	b = buf_cstr(&r.body);
	char *row = xasprintf("<a class=\"ref\" href=\"/incidents/%s\">%s</a>", ref, ref);
	ck_assert_msg(r.status == 200 && strstr(b, row), "%s", b);
	free(row);
	resp_release(&r);
	/* A later correction neither doubles nor moves them. */
	char *due = xasprintf("SELECT count(*) FROM legal_deadline d JOIN incident i ON i.id = "
			      "d.incident_id WHERE i.ref = '%s' AND (d.due_at = i.discovered_at + "
			      "interval '3 days' OR d.due_at = (d.last_day + 1)::timestamp AT TIME "
			      "ZONE 'Asia/Tokyo' - interval '1 microsecond')",
			      ref);
	ck_assert_int_eq(correct(ciso, ref, "summary=x&category=leak&pd_persons=2000", NULL), 303);
	ck_assert_int_eq(scalar(qd), 2);
	ck_assert_int_eq(scalar(due), 2);
	free(due);
	free(qd);
	free(ciso);
	free(ref);
}
END_TEST

/* Setting My Number on a correction starts the My Number clock; an answer
 * that is not yes / no / unknown is refused and changes nothing. */
START_TEST(test_correction_sets_my_number)
{
	char *ref = file_small_leak();
	char *ciso = client_sign_in_demo(port, "sato.kenichi");
	const char *rest = "summary=%E5%8E%B3%E6%A0%BC%E3%81%AA%E5%85%A5%E5%8A%9B%E3%81%AE%E8%A9%A6"
			   "%E9%A8%93&description=%E5%90%8D%E7%B0%BF%E3%81%AE%E8%AA%A4%E9%80%81%E4%BB%98"
			   "&category=leak&pd_persons=50&pd_sensitive=no"
			   "&pd_encrypted=no&pd_financial=no";
	char *qd = xasprintf("SELECT count(*) FROM legal_deadline d JOIN incident i ON i.id = "
			     "d.incident_id WHERE i.ref = '%s' AND d.key LIKE 'mynumber_%%'",
			     ref);
	char *qn = xasprintf("SELECT count(*) FROM incident WHERE ref = '%s' AND pd_mynumber = 'no' "
			     "AND facts->'personal_data'->'mynumber' = 'false'::jsonb",
			     ref);
	ck_assert_int_eq(scalar(qn), 1);
	static const char *const bad[] = {"pd_involved=yes&pd_mynumber=maybe&pd_malicious=no",
					  "pd_involved=yes&pd_mynumber=yes&pd_malicious=",
					  "pd_mynumber=yes&pd_malicious=unknown&pd_involved=",
					  NULL};
	for (int i = 0; bad[i]; i++) {
		char *f = xasprintf("%s&%s", rest, bad[i]), *b;
		long st = correct(ciso, ref, f, &b);
		ck_assert_msg(st == 422 && strstr(b, "「はい」「いいえ」「わからない」から選んでください"),
			      "%s -> %ld %s", bad[i], st, b);
		free(b);
		free(f);
		ck_assert_int_eq(scalar(qn), 1);
		ck_assert_int_eq(scalar(qd), 0);
	}
	/* The form shows the stored answers checked. */
	char path[64];
	snprintf(path, sizeof path, "/incidents/%s", ref);
	struct resp r;
	client_request(port, "GET", path, NULL, ciso, &r);
	ck_assert(strstr(buf_cstr(&r.body), "name=\"pd_mynumber\" value=\"no\" checked"));
	resp_release(&r);
	char *f = xasprintf("%s&pd_involved=yes&pd_mynumber=yes&pd_malicious=unknown", rest);
	ck_assert_int_eq(correct(ciso, ref, f, NULL), 303);
	free(f);
	ck_assert_int_eq(scalar(qd), 2);
	char *q = xasprintf("SELECT count(*) FROM incident WHERE ref = '%s' AND pd_mynumber = 'yes' "
			    "AND pd_malicious = 'unknown' AND facts->'personal_data'->'mynumber' = "
			    "'true'::jsonb AND facts->'personal_data'->>'malicious' = 'unknown'",
			    ref);
	ck_assert_int_eq(scalar(q), 1);
	free(q);
	client_request(port, "GET", path, NULL, ciso, &r);
	const char *b = buf_cstr(&r.body);
	ck_assert_msg(strstr(b, "番号法第29条の4") && strstr(b, "name=\"pd_mynumber\" value=\"yes\" checked"),
		      "%s", b);
	resp_release(&r);
	free(qn);
	free(qd);
	free(ciso);
	free(ref);
}
END_TEST

/* On the incident page too: a correction or a note that is not UTF-8 comes
 * back with the field marked and named, as typed; nothing changed. A
 * workflow action (no field to mark) stays a 400. */
START_TEST(test_incident_forms_not_utf8)
{
	char *ref = file_small_leak();
	char *ciso = client_sign_in_demo(port, "sato.kenichi");
	char *q = xasprintf("SELECT count(*) FROM incident WHERE ref = '%s' AND summary = "
			    "'厳格な入力の試験' AND updated_at IS NOT DISTINCT FROM reported_at",
			    ref);
	char *b;
	long st = correct(ciso, ref, "summary=%82%A0%E4%BB%B6%E5%90%8D&category=leak&pd_persons=50"
				     "&contractor=%E5%A7%94%E8%A8%97",
			  &b);
	ck_assert_msg(st == 422 && strstr(b, "fix-summary-error") &&
			      strstr(b, "「概要」に文字として読めないバイト") &&
			      strstr(b, "value=\"\xef\xbf\xbd\xef\xbf\xbd件名\"") &&
			      strstr(b, "value=\"委託\""),
		      "%ld %s", st, b);
	free(b);
	ck_assert_int_eq(scalar(q), 1);
	char path[64];
	snprintf(path, sizeof path, "/incidents/%s", ref);
	char *csrf = client_page_csrf(port, path, ciso);
	char *form = xasprintf("csrf=%s&note=%%E5%%AE%%9B%%E5%%85%%88%%82%%A0", csrf);
	snprintf(path, sizeof path, "/incidents/%s/notes", ref);
	struct resp r;
	client_request(port, "POST", path, form, ciso, &r);
	const char *nb = buf_cstr(&r.body);
	ck_assert_msg(r.status == 422 && strstr(nb, "note-error") && strstr(nb, "「メモ") &&
			      strstr(nb, ">宛先\xef\xbf\xbd\xef\xbf\xbd</textarea>"),
		      "%ld %s", r.status, nb);
	resp_release(&r);
	free(form);
	char *qn = xasprintf("SELECT count(*) FROM incident_note n JOIN incident i ON i.id = "
			     "n.incident_id WHERE i.ref = '%s'",
			     ref);
	ck_assert_int_eq(scalar(qn), 0);
	free(qn);
	form = xasprintf("csrf=%s&fence=%%82", csrf);
	snprintf(path, sizeof path, "/incidents/%s/workflow/1/acknowledge", ref);
	client_request(port, "POST", path, form, ciso, &r);
	ck_assert_int_eq(r.status, 400);
	resp_release(&r);
	free(form);
	free(csrf);
	free(q);
	free(ciso);
	free(ref);
}
END_TEST

Suite *strict_suite(void)
{
	Suite *s = suite_create("strict");
	TCase *tc = tcase_create("api");
	tcase_set_timeout(tc, 120);
	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_integral_numbers_are_integers);
	tcase_add_test(tc, test_booleans_strings_lists);
	tcase_add_test(tc, test_rfc3339_date_times);
	tcase_add_test(tc, test_every_field_every_wrong_type);
	tcase_add_test(tc, test_form_not_utf8_marks_the_field);
	tcase_add_test(tc, test_form_empty_file_refused);
	tcase_add_test(tc, test_correction_checks);
	tcase_add_test(tc, test_correction_starts_legal_clock);
	tcase_add_test(tc, test_correction_sets_my_number);
	tcase_add_test(tc, test_incident_forms_not_utf8);
	suite_add_tcase(s, tc);
	return s;
}
