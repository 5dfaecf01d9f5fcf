/* Filing reports end to end: the form with evidence, validation that keeps
 * what was typed, escaping, the legal clocks on the confirmation, the
 * incident page and who may see it, the JSON API, 50 reports at once and
 * `sokuho audit verify` (the residents' form and its limit: check_resident.c).
 * Runs on the demo city. */
#include <check.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "core/xalloc.h"
#include "db/db.h"
#include "support.h"

Suite *report_suite(void);


static struct ts_server srv;
static char *db;
static int port;

static long scalar(const char *q)
{
	return ts_scalar(db, q);
}

static char *text(const char *q)
{
	char err[256];
	PGconn *c = db_connect(db, err, sizeof err);
	ck_assert(c != NULL);
	PGresult *r = PQexec(c, q);
	ck_assert_msg(db_ok(r) && PQntuples(r) == 1, "%s: %s", q, PQresultErrorMessage(r));
	char *v = xstrdup(PQgetvalue(r, 0, 0));
	PQclear(r);
	PQfinish(c);
	return v;
}

static void sql(const char *q)
{
	ts_sql(db, q);
}

static void setup(void)
{
	const char *extra[] = {"--attachment_max", "64K", "--max_body", "2M", NULL};
	ts_demo_server_start(&srv, "report", extra);
	db = srv.db;
	port = srv.port;
}

static void teardown(void)
{
	ts_demo_server_stop(&srv);
}

/* A complete, valid report form with the given CSRF token; callers change
 * single fields by overriding pairs. */
#define REPORT_FIELDS(csrf, summary)                                                       \
	"csrf", csrf, "summary", summary, "description", "税務課の窓口でUSBメモリが見当たらない", \
		"discovered_at", "2026-11-20T09:30", "category", "loss_theft", "site",          \
		"honchosha", "section", "zeimu", "segments", "lgwan", "pd_involved", "yes",    \
		"pd_persons", "120"

static char *ref_from_location(const struct resp *r)
{
	const char *loc = strstr(buf_cstr(&r->headers), "Location: /report/filed/");
	ck_assert_msg(loc != NULL, "%ld %s", r->status, buf_cstr(&r->headers));
	loc += strlen("Location: /report/filed/");
	return xstrndup(loc, strcspn(loc, "\r\n"));
}

START_TEST(test_form_needs_sign_in)
{
	struct resp r;
	client_request(port, "GET", "/report", NULL, NULL, &r);
	ck_assert_int_eq(r.status, 303);
	ck_assert(strstr(buf_cstr(&r.headers), "Location: /login?next=/report"));
	resp_release(&r);
}
END_TEST

START_TEST(test_file_a_report)
{
	char *cookie = client_sign_in_demo(port, "sakai.haruto");
	struct resp r;
	client_request(port, "GET", "/report", NULL, cookie, &r);
	const char *b = buf_cstr(&r.body);
	ck_assert(strstr(b, "<option value=\"zeimu\" selected>"));   /* the reporter's section */
	ck_assert(strstr(b, "<option value=\"honchosha\" selected>")); /* and its site */
	ck_assert(strstr(b, "name=\"discovered_at\" type=\"datetime-local\" value=\"20"));
	char *csrf = resp_hidden(&r, "csrf");
	resp_release(&r);
	const char *fields[] = {REPORT_FIELDS(csrf, "USBメモリの紛失"), NULL};
	const char evidence[] = "log line 1\r\nlog line 2\0binary";
	client_multipart(port, "/report", cookie, fields, "../../etc/ログ.txt", evidence,
			 sizeof evidence - 1, &r);
	ck_assert_int_eq(r.status, 303);
	char *ref = ref_from_location(&r);
	resp_release(&r);
	ck_assert_msg(strncmp(ref, "INC-20", 6) == 0 && strlen(ref) == 13, "%s", ref);

	char path[64];
	snprintf(path, sizeof path, "/report/filed/%s", ref);
	client_request(port, "GET", path, NULL, cookie, &r);
	ck_assert_int_eq(r.status, 200);
	b = buf_cstr(&r.body);
	ck_assert(strstr(b, ref));
	ck_assert_msg(strstr(b, "山崎 努"), "the section's security manager is told: %s", b);
	ck_assert(strstr(b, "速報"));
	/* 速報 three days after discovery (Japan time); 確報 at the end of day
	 * 30 (2026-12-19, a Saturday: moved to Monday 12-21). */
	ck_assert_msg(strstr(b, "2026-11-23 09:30"), "%s", b);
	ck_assert(strstr(b, "2026-12-21 23:59"));
	resp_release(&r);

	char *q = xasprintf("SELECT count(*) FROM attachment a JOIN incident i ON i.id = "
			    "a.incident_id WHERE i.ref = '%s' AND a.filename = 'ログ.txt' AND a.size = "
			    "%zu AND a.sha256 = encode(sha256(a.data), 'hex')",
			    ref, sizeof evidence - 1);
	ck_assert_int_eq(scalar(q), 1);
	free(q);
	q = xasprintf("SELECT count(*) FROM audit_event a JOIN incident i ON i.id = a.incident_id "
		      "WHERE i.ref = '%s' AND a.kind = 'incident.reported'",
		      ref);
	ck_assert_int_eq(scalar(q), 1);
	free(q);

	/* The reporter and the section's manager see it; another section's
	 * staff do not even learn it exists. */
	snprintf(path, sizeof path, "/incidents/%s", ref);
	client_request(port, "GET", path, NULL, cookie, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert(strstr(buf_cstr(&r.body), "USBメモリの紛失"));
	ck_assert(!strstr(buf_cstr(&r.body), "報告内容の訂正")); /* reporters do not correct */
	resp_release(&r);
	char *mgr = client_sign_in_demo(port, "yamazaki.tsutomu");
	client_request(port, "GET", path, NULL, mgr, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert(strstr(buf_cstr(&r.body), "報告内容の訂正"));
	char *mcsrf = resp_hidden(&r, "csrf");
	resp_release(&r);
	char *other = client_sign_in_demo(port, "ito.naoki"); /* manager of another section */
	client_request(port, "GET", path, NULL, other, &r);
	ck_assert_int_eq(r.status, 404);
	resp_release(&r);
	client_request(port, "GET", "/incidents", NULL, other, &r);
	ck_assert(!strstr(buf_cstr(&r.body), ref));
	resp_release(&r);
	client_request(port, "GET", "/incidents", NULL, mgr, &r);
	ck_assert(strstr(buf_cstr(&r.body), ref));
	resp_release(&r);
	client_request(port, "GET", "/my/reports", NULL, cookie, &r);
	ck_assert(strstr(buf_cstr(&r.body), ref));
	resp_release(&r);

	/* The evidence downloads as an attachment with a safe type. */
	long aid = scalar("SELECT max(id) FROM attachment");
	snprintf(path, sizeof path, "/incidents/%s/attachments/%ld", ref, aid);
	client_request(port, "GET", path, NULL, mgr, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert(strstr(buf_cstr(&r.headers), "Content-Disposition: attachment;"));
	ck_assert(strstr(buf_cstr(&r.headers), "Content-Type: text/plain"));
	ck_assert_uint_eq(r.body.len, sizeof evidence - 1);
	resp_release(&r);

	/* The manager corrects a fact: old and new are in the timeline. */
	char *fix = xasprintf("csrf=%s&summary=USB%%E3%%83%%A1%%E3%%83%%A2%%E3%%83%%AA2%%E6%%9C%%AC"
			      "&description=x&category=loss_theft&severity=3&pd_persons=120&contractor=",
			      mcsrf);
	snprintf(path, sizeof path, "/incidents/%s/facts", ref);
	client_request(port, "POST", path, fix, mgr, &r);
	ck_assert_int_eq(r.status, 303);
	resp_release(&r);
	/* The reporter may not. */
	char *rcsrf = client_page_csrf(port, "/my/reports", cookie);
	char *fix2 = xasprintf("csrf=%s&summary=hacked&category=other", rcsrf);
	client_request(port, "POST", path, fix2, cookie, &r);
	ck_assert_int_eq(r.status, 403);
	resp_release(&r);
	snprintf(path, sizeof path, "/incidents/%s", ref);
	client_request(port, "GET", path, NULL, mgr, &r);
	b = buf_cstr(&r.body);
	ck_assert_msg(strstr(b, "summary: 「USBメモリの紛失」→「USBメモリ2本」"), "%s", b);
	ck_assert(strstr(b, "severity: 「」→「3」"));
	resp_release(&r);

	free(fix);
	free(fix2);
	free(rcsrf);
	free(mcsrf);
	free(other);
	free(mgr);
	free(ref);
	free(csrf);
	free(cookie);
}
END_TEST

/* Posts the report form with one field replaced; returns the response. */
static void post_with(const char *cookie, const char *csrf, const char *field, const char *value,
		      const char *file, size_t file_len, struct resp *r)
{
	const char *fields[40] = {REPORT_FIELDS(csrf, "件名"), NULL};
	int n = 0;
	while (fields[n])
		n += 2;
	int replaced = 0;
	for (int i = 0; i < n; i += 2)
		if (strcmp(fields[i], field) == 0) {
			fields[i + 1] = value;
			replaced = 1;
		}
	if (!replaced) {
		fields[n] = field;
		fields[n + 1] = value;
		fields[n + 2] = NULL;
	}
	client_multipart(port, "/report", cookie, fields, file ? "big.log" : NULL, file, file_len, r);
}

START_TEST(test_validation_keeps_input)
{
	char *cookie = client_sign_in_demo(port, "sakai.haruto");
	char *csrf = client_page_csrf(port, "/report", cookie);
	long before = scalar("SELECT count(*) FROM incident");
	struct resp r;
	static const char *const required[] = {"summary", "discovered_at", "category", "site",
					       "pd_involved"};
	for (int i = 0; i < 5; i++) {
		post_with(cookie, csrf, required[i], "", NULL, 0, &r);
		ck_assert_msg(r.status == 422, "%s empty: %ld", required[i], r.status);
		char id[64];
		snprintf(id, sizeof id, "%s-error", required[i]);
		const char *b = buf_cstr(&r.body);
		ck_assert_msg(strstr(b, id) || (i == 4 && strstr(b, "個人情報が含まれるかを選んでください")),
			      "no message for %s", required[i]);
		/* everything else typed is still there */
		ck_assert(strstr(b, "税務課の窓口でUSBメモリが見当たらない"));
		ck_assert(strstr(b, "value=\"lgwan\" checked"));
		resp_release(&r);
	}
	post_with(cookie, csrf, "discovered_at", "2099-01-01T00:00", NULL, 0, &r);
	ck_assert_int_eq(r.status, 422);
	ck_assert(strstr(buf_cstr(&r.body), "未来の日時は指定できません"));
	resp_release(&r);
	post_with(cookie, csrf, "occurred_at", "2026-11-21T10:00", NULL, 0, &r);
	ck_assert_int_eq(r.status, 422);
	ck_assert(strstr(buf_cstr(&r.body), "発生日時は発見日時より前にしてください"));
	resp_release(&r);
	post_with(cookie, csrf, "discovered_at", "2026-02-30T10:00", NULL, 0, &r);
	ck_assert_int_eq(r.status, 422);
	resp_release(&r);
	post_with(cookie, csrf, "category", "no-such-category", NULL, 0, &r);
	ck_assert_int_eq(r.status, 422);
	resp_release(&r);
	post_with(cookie, csrf, "pd_persons", "-3", NULL, 0, &r);
	ck_assert_int_eq(r.status, 422);
	resp_release(&r);
	/* 10,000 characters: too long for the one-line summary, fine for details. */
	buf big = BUF_INIT;
	for (int i = 0; i < 10000; i++)
		buf_puts(&big, "あ");
	post_with(cookie, csrf, "summary", buf_cstr(&big), NULL, 0, &r);
	ck_assert_int_eq(r.status, 422);
	ck_assert(strstr(buf_cstr(&r.body), "200文字以内"));
	resp_release(&r);
	/* Invalid UTF-8 never reaches the database: the field is marked. */
	post_with(cookie, csrf, "summary", "bad \xff\xfe bytes", NULL, 0, &r);
	ck_assert_int_eq(r.status, 422);
	ck_assert(strstr(buf_cstr(&r.body), "summary-error"));
	ck_assert(strstr(buf_cstr(&r.body), "value=\"bad \xef\xbf\xbd\xef\xbf\xbd bytes\""));
	resp_release(&r);
	/* An evidence file over the limit: a clear message, the form kept, nothing stored. */
	char *file = xmalloc(100 * 1024);
	memset(file, 'x', 100 * 1024);
	post_with(cookie, csrf, "summary", "大きな添付", file, 100 * 1024, &r);
	ck_assert_int_eq(r.status, 422);
	ck_assert(strstr(buf_cstr(&r.body), "「big.log」は大きすぎます"));
	ck_assert(strstr(buf_cstr(&r.body), "value=\"大きな添付\""));
	resp_release(&r);
	/* A body over max_body: 413 before anything is read. */
	char *huge = xmalloc(3 * 1024 * 1024);
	memset(huge, 'y', 3 * 1024 * 1024);
	post_with(cookie, csrf, "summary", "巨大", huge, 3 * 1024 * 1024, &r);
	ck_assert_int_eq(r.status, 413);
	resp_release(&r);
	ck_assert_int_eq(scalar("SELECT count(*) FROM incident"), before);

	/* Script and SQL are stored verbatim and shown escaped. */
	const char *evil = "<script>alert(1)</script>'; DROP TABLE incident; --";
	post_with(cookie, csrf, "summary", evil, NULL, 0, &r);
	ck_assert_int_eq(r.status, 303);
	char *ref = ref_from_location(&r);
	resp_release(&r);
	char *q = xasprintf("SELECT summary FROM incident WHERE ref = '%s'", ref);
	char *stored = text(q);
	ck_assert_str_eq(stored, evil);
	char path[64];
	snprintf(path, sizeof path, "/incidents/%s", ref);
	client_request(port, "GET", path, NULL, cookie, &r);
	ck_assert(!strstr(buf_cstr(&r.body), "<script>alert(1)"));
	ck_assert(strstr(buf_cstr(&r.body), "&lt;script&gt;alert(1)&lt;/script&gt;&#39;; DROP TABLE"));
	resp_release(&r);
	/* Details of 10,000 characters are accepted whole. */
	post_with(cookie, csrf, "description", buf_cstr(&big), NULL, 0, &r);
	ck_assert_int_eq(r.status, 303);
	resp_release(&r);
	ck_assert_int_eq(scalar("SELECT max(char_length(description)) FROM incident"), 10000);
	free(stored);
	free(q);
	free(ref);
	free(huge);
	free(file);
	buf_release(&big);
	free(csrf);
	free(cookie);
}
END_TEST

struct api_job {
	const char *cookie;
	const char *header;
	long status;
	char ref[32];
};

static const char api_body[] =
	"{\"summary\": \"不審メールを開いた\", \"discovered_at\": \"2026-11-24T10:00:00+09:00\", "
	"\"category\": \"suspicious_mail\", \"site\": \"honchosha\", \"segments\": "
	"[\"internet\"], \"personal_data\": {\"involved\": \"no\"}}";

static void *api_post(void *arg)
{
	struct api_job *j = arg;
	struct resp r;
	client_json(port, "POST", "/api/v1/incidents", j->cookie, j->header, api_body, &r);
	j->status = r.status;
	const char *p = strstr(buf_cstr(&r.body), "\"ref\":\"");
	if (p)
		snprintf(j->ref, sizeof j->ref, "%.13s", p + 7);
	resp_release(&r);
	return NULL;
}

START_TEST(test_api_and_concurrency)
{
	char *cookie = client_sign_in_demo(port, "sakai.haruto");
	char *csrf = client_page_csrf(port, "/my/reports", cookie);
	char *hdr = xasprintf("X-CSRF-Token: %s", csrf);
	struct resp r;
	client_json(port, "POST", "/api/v1/incidents", NULL, NULL, api_body, &r);
	ck_assert_int_eq(r.status, 401);
	ck_assert(strstr(buf_cstr(&r.body), "\"error\""));
	resp_release(&r);
	client_json(port, "POST", "/api/v1/incidents", cookie, NULL, api_body, &r);
	ck_assert_int_eq(r.status, 403);
	resp_release(&r);
	client_json(port, "POST", "/api/v1/incidents", cookie, hdr, "{\"summary\": ", &r);
	ck_assert_int_eq(r.status, 400);
	resp_release(&r);
	client_json(port, "POST", "/api/v1/incidents", cookie, hdr,
		    "{\"summary\": \"\", \"personal_data\": {\"persons\": -1}}", &r);
	ck_assert_int_eq(r.status, 422);
	const char *b = buf_cstr(&r.body);
	ck_assert_msg(strstr(b, "{\"field\":\"summary\",\"key\":\"report_err_summary\",\"message\":"), "%s", b);
	ck_assert(strstr(b, "\"personal_data.involved\""));
	ck_assert(strstr(b, "\"personal_data.persons\""));
	ck_assert(strstr(b, "\"discovered_at\""));
	resp_release(&r);

	/* 50 at once: 50 incidents, 50 distinct references, no errors. */
	long before = scalar("SELECT count(*) FROM incident");
	enum { N = 50 };
	pthread_t t[N];
	struct api_job jobs[N];
	for (int i = 0; i < N; i++) {
		jobs[i] = (struct api_job){cookie, hdr, 0, ""};
		pthread_create(&t[i], NULL, api_post, &jobs[i]);
	}
	for (int i = 0; i < N; i++)
		pthread_join(t[i], NULL);
	for (int i = 0; i < N; i++) {
		ck_assert_msg(jobs[i].status == 201, "request %d: %ld", i, jobs[i].status);
		for (int k = 0; k < i; k++)
			ck_assert_msg(strcmp(jobs[i].ref, jobs[k].ref) != 0, "duplicate %s", jobs[i].ref);
	}
	ck_assert_int_eq(scalar("SELECT count(*) FROM incident") - before, N);
	ck_assert_int_eq(scalar("SELECT count(DISTINCT ref) FROM incident"),
			 scalar("SELECT count(*) FROM incident"));
	/* Numbers run on without gaps. */
	ck_assert_int_eq(scalar("SELECT max(substr(ref, 10)::int) - count(*) FROM incident"), 0);

	char path[64];
	snprintf(path, sizeof path, "/api/v1/incidents/%s", jobs[0].ref);
	client_request(port, "GET", path, NULL, cookie, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert(strstr(buf_cstr(&r.body), "\"category\":\"suspicious_mail\""));
	resp_release(&r);
	char *other = client_sign_in_demo(port, "ito.naoki");
	client_request(port, "GET", path, NULL, other, &r);
	ck_assert_int_eq(r.status, 404);
	resp_release(&r);
	free(other);
	free(hdr);
	free(csrf);
	free(cookie);
}
END_TEST

START_TEST(test_audit_verify)
{
	char *e = xasprintf("DATABASE_URL=%s", db);
	const char *env[] = {e, NULL};
	const char *argv[] = {ts_bin(), "audit", "verify", NULL};
	char *out, *err;
	/* What the sealer of a running engine does (src/db/seal.c). */
	sql("SELECT audit_seal(1000000)");
	ck_assert_int_eq(ts_run(argv, env, &out, &err), 0);
	ck_assert_msg(strstr(out, "audit log intact"), "%s%s", out, err);
	free(out);
	free(err);
	sql("ALTER TABLE audit_event DISABLE TRIGGER audit_event_no_update");
	sql("UPDATE audit_event SET detail = '{\"forged\": true}' WHERE seq = 2");
	ck_assert_int_eq(ts_run(argv, env, &out, &err), 1);
	ck_assert_msg(strstr(out, "broken at event 2") && strstr(out, "changed or moved"), "%s",
		      out);
	free(out);
	free(err);
	/* A removed event is named by its place in the chain. */
	sql("DELETE FROM audit_event WHERE seq = 2");
	ck_assert_int_eq(ts_run(argv, env, &out, &err), 1);
	ck_assert_msg(strstr(out, "broken at event 2") && strstr(out, "removed"), "%s", out);
	free(out);
	free(err);
	sql("ALTER TABLE audit_event ENABLE TRIGGER audit_event_no_update");
	free(e);
}
END_TEST

/* The workflows on the incident page: the manager acknowledges with the
 * button the page shows, and a stale page's second press is refused. */
START_TEST(test_workflow_on_incident_page)
{
	char *cookie = client_sign_in_demo(port, "sakai.haruto");
	char *csrf = client_page_csrf(port, "/report", cookie);
	struct resp r;
	post_with(cookie, csrf, "summary", "ワークフロー確認", NULL, 0, &r);
	ck_assert_int_eq(r.status, 303);
	char *ref = ref_from_location(&r);
	resp_release(&r);
	char *mgr = client_sign_in_demo(port, "yamazaki.tsutomu");
	char path[96];
	snprintf(path, sizeof path, "/incidents/%s", ref);
	client_request(port, "GET", path, NULL, mgr, &r);
	ck_assert_int_eq(r.status, 200);
	const char *b = buf_cstr(&r.body);
	ck_assert_msg(strstr(b, "/workflow/") && strstr(b, "/acknowledge\""), "%s", b);
	ck_assert(strstr(b, "name=\"fence\" value=\"0\""));
	char *mcsrf = resp_hidden(&r, "csrf");
	resp_release(&r);
	char *q = xasprintf("SELECT r.id FROM workflow_run r JOIN workflow_def d ON d.id = r.def_id "
			    "JOIN incident i ON i.id = r.incident_id WHERE i.ref = '%s' AND d.name = "
			    "'reporting-duty'",
			    ref);
	long run = scalar(q);
	free(q);
	char act[160];
	snprintf(act, sizeof act, "/incidents/%s/workflow/%ld/acknowledge", ref, run);
	char *form = xasprintf("csrf=%s&fence=0", mcsrf);
	/* The reporter sees the workflow but cannot act on it. */
	char *rcsrf = client_page_csrf(port, path, cookie);
	char *rform = xasprintf("csrf=%s&fence=0", rcsrf);
	client_request(port, "POST", act, rform, cookie, &r);
	ck_assert_int_eq(r.status, 403);
	resp_release(&r);
	client_request(port, "POST", act, form, mgr, &r);
	ck_assert_int_eq(r.status, 303);
	ck_assert(strstr(buf_cstr(&r.headers), "done=action"));
	resp_release(&r);
	client_request(port, "POST", act, form, mgr, &r); /* the same page again */
	ck_assert_int_eq(r.status, 303);
	ck_assert(strstr(buf_cstr(&r.headers), "done=conflict") ||
		  strstr(buf_cstr(&r.headers), "404"));
	resp_release(&r);
	q = xasprintf("SELECT count(*) FROM workflow_run WHERE id = %ld AND state = 'acknowledged'", run);
	ck_assert_int_eq(scalar(q), 1);
	free(q);
	/* The admin sees a picture of every workflow. */
	char *admin = client_sign_in_demo(port, "tamura.haruka");
	client_request(port, "GET", "/admin/workflows", NULL, admin, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert(strstr(buf_cstr(&r.body), "reporting-duty"));
	resp_release(&r);
	q = xasprintf("/admin/workflows/%ld.svg",
		      scalar("SELECT id FROM workflow_def WHERE name = 'reporting-duty'"));
	client_request(port, "GET", q, NULL, admin, &r);
	free(q);
	ck_assert_int_eq(r.status, 200);
	ck_assert(strstr(buf_cstr(&r.headers), "Content-Type: image/svg+xml"));
	ck_assert(strstr(buf_cstr(&r.body), "<svg"));
	ck_assert(strstr(buf_cstr(&r.body), "acknowledged"));
	resp_release(&r);
	client_request(port, "GET", "/admin/workflows", NULL, mgr, &r);
	ck_assert_int_eq(r.status, 403);
	resp_release(&r);
	free(admin);
	free(rform);
	free(rcsrf);
	free(form);
	free(mcsrf);
	free(mgr);
	free(ref);
	free(csrf);
	free(cookie);
}
END_TEST

/* Issue 19, done-when 4: the legal dates as the law counts them, stored
 * with the deadlines and shown on the incident page, in the API, the PPC
 * draft and the printed record. Aware
 * on Friday 2026-12-04: the 確報's day 30 is Saturday 2027-01-02, inside
 * the year-end closure, so its last day moves to Monday 1月4日; the internal
 * target 5 office days before is Tuesday 12月22日 (12/29-1/3 closed); the
 * 速報's guidance day 3 is 12月6日 (a Sunday, not moved), day 5 12月8日. */
START_TEST(test_legal_dates_on_page)
{
	/* A clock near the day of awareness, so the dates are written without
	 * their year. */
	sql("UPDATE clock_offset SET offset_by = timestamptz '2026-12-07 10:00:00+09' - now()");
	char *cookie = client_sign_in_demo(port, "sakai.haruto");
	struct resp r;
	client_request(port, "GET", "/report", NULL, cookie, &r);
	char *csrf = resp_hidden(&r, "csrf");
	resp_release(&r);
	const char *fields[] = {REPORT_FIELDS(csrf, "住民票の誤送付"), NULL};
	const char **f = (const char **)fields;
	for (int i = 0; f[i]; i += 2)
		if (strcmp(f[i], "discovered_at") == 0)
			f[i + 1] = "2026-12-04T10:00";
	client_multipart(port, "/report", cookie, fields, NULL, NULL, 0, &r);
	ck_assert_int_eq(r.status, 303);
	char *ref = ref_from_location(&r);
	resp_release(&r);

	char *q = xasprintf("SELECT string_agg(key || ' ' || coalesce(last_day::text, '-') || ' ' "
			    "|| coalesce(target_day::text, '-') || ' ' || coalesce(guide_until::text, "
			    "'-'), ', ' ORDER BY key) FROM legal_deadline d JOIN incident i ON i.id = "
			    "d.incident_id WHERE i.ref = '%s' AND d.clock = 'ppc'",
			    ref);
	char *dates = text(q);
	free(q);
	ck_assert_str_eq(dates, "ppc_final 2027-01-04 2026-12-22 -, "
				"ppc_preliminary - 2026-12-06 2026-12-08");
	free(dates);

	char *csirt = client_sign_in_demo(port, "matsuda.kazuya");
	char path[64];
	snprintf(path, sizeof path, "/incidents/%s", ref);
	client_request(port, "GET", path, NULL, csirt, &r);
	ck_assert_int_eq(r.status, 200);
	const char *b = buf_cstr(&r.body);
	ck_assert_msg(strstr(b, "<th scope=\"col\">法定の末日</th>"), "%s", b);
	ck_assert(strstr(b, "<th scope=\"col\">内部目標</th>"));
	ck_assert_msg(strstr(b, "<td class=\"last-day\">1月4日(月)まで</td>"
				"<td class=\"target\">12月22日(火)まで</td>"),
		      "%s", b);
	ck_assert(strstr(b, "<td class=\"last-day\">速やかに（目安おおむね3〜5日） 12月8日(火)まで</td>"
			 "<td class=\"target\">12月6日(日)まで</td>"));
	resp_release(&r);

	snprintf(path, sizeof path, "/api/v1/incidents/%s", ref);
	client_request(port, "GET", path, NULL, csirt, &r);
	ck_assert_int_eq(r.status, 200);
	b = buf_cstr(&r.body);
	ck_assert_msg(strstr(b, "\"key\":\"ppc_final\""), "%s", b);
	ck_assert_msg(strstr(b, "\"last_day\":\"2027-01-04\",\"target_day\":\"2026-12-22\","
				"\"guide_until\":null"),
		      "%s", b);
	resp_release(&r);
	/* The PPC draft and the printed record show them too. */
	static const char *const pages[] = {"ppc-report", "print"};
	for (int i = 0; i < 2; i++) {
		snprintf(path, sizeof path, "/incidents/%s/%s", ref, pages[i]);
		client_request(port, "GET", path, NULL, csirt, &r);
		ck_assert_int_eq(r.status, 200);
		b = buf_cstr(&r.body);
		ck_assert_msg(strstr(b, "<td class=\"last-day\">2027-01-04(月)</td>"
					"<td class=\"target\">2026-12-22(火)</td>"),
			      "%s: %s", pages[i], b);
		ck_assert_msg(strstr(b, "<td class=\"last-day\">速やかに（目安おおむね3〜5日、〜2026-12-08(火)）"),
			      "%s", pages[i]);
		ck_assert(strstr(b, "<td class=\"target\">2026-12-06(日)</td>"));
		resp_release(&r);
	}
	sql("UPDATE clock_offset SET offset_by = '0'");
	free(csirt);
	free(ref);
	free(csrf);
	free(cookie);
}
END_TEST

Suite *report_suite(void)
{
	Suite *s = suite_create("report");
	TCase *tc = tcase_create("report");
	tcase_set_timeout(tc, 180);
	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_form_needs_sign_in);
	tcase_add_test(tc, test_file_a_report);
	tcase_add_test(tc, test_validation_keeps_input);
	tcase_add_test(tc, test_api_and_concurrency);
	tcase_add_test(tc, test_workflow_on_incident_page);
	tcase_add_test(tc, test_audit_verify);
	tcase_add_test(tc, test_legal_dates_on_page);
	suite_add_tcase(s, tc);
	return s;
}
