/* The legal report as submitted (issue 21), end to end on the demo city: the
 * CSIRT records that the 速報 was sent (when, the 委員会受付番号, the text as
 * sent) — the deadline shows met, the workflow moves on by the same act, the
 * timeline has the event with the frozen text's SHA-256 and the text is kept
 * as an evidence file; a member of staff is refused (403) and nothing is
 * written; a report sent after its deadline is shown late on the incident
 * page, the print page and the annual review, which counts the reports
 * submitted on time and late. */
#include <check.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "client.h"
#include "core/xalloc.h"
#include "support.h"

Suite *submission_suite(void);

static struct ts_server srv;
static int port;

static void setup(void)
{
	ts_demo_server_start(&srv, "submission", NULL);
	port = srv.port;
}

static void teardown(void)
{
	ts_demo_server_stop(&srv);
}

static void assert_has(const char *body, const char *needle)
{
	ck_assert_msg(strstr(body, needle) != NULL, "missing %s", needle);
}

/* Japan time, days_ago days and hours_ago hours before now, in the form's
 * format (fmt: "%Y-%m-%dT%H:%M" or the API's with +09:00). */
static void jst(int days_ago, int hours_ago, int api, char *out, size_t n)
{
	time_t t = time(NULL) + 9 * 3600 - (time_t)days_ago * 86400 - (time_t)hours_ago * 3600;
	struct tm tm;
	gmtime_r(&t, &tm);
	if (api)
		strftime(out, n, "%Y-%m-%dT%H:%M:00+09:00", &tm);
	else
		strftime(out, n, "%Y-%m-%dT%H:%M", &tm);
}

/* Files a leak of 120 persons discovered days_ago days ago (the PPC's clock
 * runs); returns the reference (caller frees). */
static char *file_leak(const char *cookie, int days_ago)
{
	char disc[40];
	jst(days_ago, 0, 1, disc, sizeof disc);
	char *body = xasprintf(
		"{\"summary\": \"住民票の写しを誤送付\", \"discovered_at\": \"%s\", "
		"\"category\": \"leak\", \"site\": \"honchosha\", \"section\": \"zeimu\", "
		"\"segments\": [\"lgwan\"], \"personal_data\": {\"involved\": \"yes\", "
		"\"persons\": 120, \"items\": \"氏名、住所\", \"sensitive\": false, "
		"\"mynumber\": false, \"encrypted\": false, \"malicious\": false, "
		"\"financial\": false}}",
		disc);
	char *csrf = client_page_csrf(port, "/my/reports", cookie);
	char *hdr = xasprintf("X-CSRF-Token: %s", csrf);
	struct resp r;
	client_json(port, "POST", "/api/v1/incidents", cookie, hdr, body, &r);
	ck_assert_msg(r.status == 201, "%ld %s", r.status, buf_cstr(&r.body));
	const char *p = strstr(buf_cstr(&r.body), "\"ref\":\"");
	ck_assert(p != NULL);
	char *ref = xstrndup(p + 7, strcspn(p + 7, "\""));
	resp_release(&r);
	free(hdr);
	free(csrf);
	free(body);
	return ref;
}

/* POSTs a submission of ref's deadline key as cookie; returns the status. */
static long submit(const char *ref, const char *cookie, const char *key, const char *at,
		   const char *number, const char *text)
{
	char *page = xasprintf("/incidents/%s", ref);
	char *csrf = client_page_csrf(port, page, cookie);
	char *e_at = client_escape(at), *e_num = client_escape(number),
	     *e_text = client_escape(text);
	char *form = xasprintf("csrf=%s&key=%s&submitted_at=%s&number=%s&text=%s", csrf, key,
			       e_at, e_num, e_text);
	char *path = xasprintf("/incidents/%s/submissions", ref);
	struct resp r;
	client_request(port, "POST", path, form, cookie, &r);
	long status = r.status;
	resp_release(&r);
	free(path);
	free(form);
	free(e_at);
	free(e_num);
	free(e_text);
	free(csrf);
	free(page);
	return status;
}

static void sha256_hex(const char *s, char out[65])
{
	unsigned char h[crypto_hash_sha256_BYTES];
	crypto_hash_sha256(h, (const unsigned char *)s, strlen(s));
	for (size_t i = 0; i < sizeof h; i++)
		snprintf(out + 2 * i, 3, "%02x", h[i]);
}

/* count(*) of head 'ref' tail */
static long count(const char *head, const char *ref, const char *tail)
{
	char *q = xasprintf("%s'%s'%s", head, ref, tail);
	long n = ts_scalar(srv.db, q);
	free(q);
	return n;
}

static const char text_on_time[] =
	"個人情報の漏えい等の報告（速報）\n概要：住民票の写しを誤送付した。\n本人の数：120人\n";
static const char text_late[] =
	"個人情報の漏えい等の報告（速報）\n概要：住民票の写しを誤送付した（遅延）。\n";

START_TEST(test_preliminary_on_time_and_late)
{
	char *staff = client_sign_in_demo(port, "sakai.haruto");
	char *csirt = client_sign_in_demo(port, "takeuchi.misaki");
	char *ref = file_leak(staff, 1);
	char at[32];
	jst(0, 2, 0, at, sizeof at);

	/* the page offers the form to the CSIRT, not to the reporter */
	char *page = xasprintf("/incidents/%s", ref);
	struct resp r;
	client_request(port, "GET", page, NULL, csirt, &r);
	ck_assert_int_eq(r.status, 200);
	assert_has(buf_cstr(&r.body), "/submissions\"");
	assert_has(buf_cstr(&r.body), "委員会受付番号");
	/* the first hour: the 速報's items still missing, the persons known */
	const char *miss = strstr(buf_cstr(&r.body), "<ul class=\"missing\">");
	ck_assert_msg(miss != NULL, "no list of missing items");
	char *list = xstrndup(miss, strstr(miss, "</ul>") - miss);
	assert_has(list, "<li>原因</li>");
	assert_has(list, "<li>再発防止のための措置</li>");
	ck_assert_ptr_null(strstr(list, "本人の数"));
	free(list);
	resp_release(&r);
	/* and the mail that started the PPC report says so too */
	ck_assert_int_ge(count("SELECT count(*) FROM outbox o JOIN incident i ON i.id = "
			       "o.incident_id WHERE i.ref = ", ref,
			       " AND o.template = 'legal_report_required' AND o.data->'missing' @> "
			       "'[{\"key\": \"cause\"}]' AND NOT o.data->'missing' @> "
			       "'[{\"key\": \"persons\"}]'"),
			 1);
	client_request(port, "GET", page, NULL, staff, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_ptr_null(strstr(buf_cstr(&r.body), "/submissions\""));
	resp_release(&r);

	/* a member of staff (the reporter) is refused and nothing is written */
	ck_assert_int_eq(submit(ref, staff, "ppc_preliminary", at, "PPC-2026-0001", text_on_time),
			 403);
	ck_assert_int_eq(count("SELECT count(*) FROM legal_submission s JOIN incident i ON "
			       "i.id = s.incident_id WHERE i.ref = ", ref, ""),
			 0);
	/* a bad time or no number: 422, nothing written */
	ck_assert_int_eq(submit(ref, csirt, "ppc_preliminary", "2026-02-30T10:00", "PPC-1",
				text_on_time),
			 422);
	ck_assert_int_eq(submit(ref, csirt, "ppc_preliminary", at, " ", text_on_time), 422);
	char future[32];
	jst(-1, 0, 0, future, sizeof future);
	ck_assert_int_eq(submit(ref, csirt, "ppc_preliminary", future, "PPC-1", text_on_time),
			 422);
	ck_assert_int_eq(submit(ref, csirt, "no_such_deadline", at, "PPC-1", text_on_time), 404);
	ck_assert_int_eq(count("SELECT count(*) FROM legal_submission s JOIN incident i ON "
			       "i.id = s.incident_id WHERE i.ref = ", ref, ""),
			 0);

	/* the CSIRT records the 速報 */
	ck_assert_int_eq(submit(ref, csirt, "ppc_preliminary", at, "PPC-2026-0001", text_on_time),
			 303);
	char sha[65];
	sha256_hex(text_on_time, sha);
	/* the deadline met at the time sent, on time */
	ck_assert_int_eq(count("SELECT count(*) FROM legal_deadline l JOIN incident i ON "
			       "i.id = l.incident_id WHERE i.ref = ", ref, " AND l.key = "
			       "'ppc_preliminary' AND l.met_at IS NOT NULL AND l.met_at <= l.due_at"),
			 1);
	/* the text kept as evidence, byte for byte */
	char *q = xasprintf("SELECT count(*) FROM attachment a JOIN incident i ON i.id = "
			    "a.incident_id WHERE i.ref = '%s' AND a.sha256 = '%s' AND "
			    "a.data = convert_to($t$%s$t$, 'UTF8')",
			    ref, sha, text_on_time);
	ck_assert_int_eq(ts_scalar(srv.db, q), 1);
	free(q);
	/* the workflow moved on by the same act */
	ck_assert_int_eq(count("SELECT count(*) FROM workflow_run r JOIN incident i ON i.id = "
			       "r.incident_id JOIN workflow_def d ON d.id = r.def_id WHERE i.ref = ", ref,
			       " AND d.name = 'ppc-leak-report' AND r.state = 'notice_to_persons'"),
			 1);
	char *done = xasprintf("/incidents/%s?done=submitted", ref);
	client_request(port, "GET", done, NULL, csirt, &r);
	free(done);
	ck_assert_int_eq(r.status, 200);
	const char *b = buf_cstr(&r.body);
	assert_has(b, "提出を記録しました。");
	assert_has(b, "報告の提出を記録");          /* the timeline's event */
	assert_has(b, "PPC-2026-0001");
	char *code = xasprintf("<code class=\"sha256\">%s</code>", sha);
	assert_has(b, code);                        /* with the frozen text's hash */
	free(code);
	assert_has(b, "期限内");
	ck_assert_ptr_null(strstr(b, "期限後の提出"));
	ck_assert_ptr_null(strstr(b, "<ul class=\"missing\">")); /* the 速報 is sent */
	/* recorded once: a second time is a conflict */
	resp_release(&r);
	ck_assert_int_eq(submit(ref, csirt, "ppc_preliminary", at, "PPC-2026-0002", text_on_time),
			 409);
	ck_assert_int_eq(count("SELECT count(*) FROM audit_event a JOIN incident i ON i.id = "
			       "a.incident_id WHERE i.ref = ", ref, " AND a.kind = 'legal.submitted'"),
			 1);

	/* a 速報 sent after its deadline is shown late, never hidden */
	char *late_ref = file_leak(staff, 10);
	char late_at[32];
	jst(2, 0, 0, late_at, sizeof late_at);
	ck_assert_int_eq(submit(late_ref, csirt, "ppc_preliminary", late_at, "PPC-2026-0003",
				text_late),
			 303);
	char *late_page = xasprintf("/incidents/%s", late_ref);
	client_request(port, "GET", late_page, NULL, csirt, &r);
	ck_assert_int_eq(r.status, 200);
	b = buf_cstr(&r.body);
	assert_has(b, "期限後の提出（遅延）");
	assert_has(b, "期限後に完了（遅延）");
	resp_release(&r);
	char *print = xasprintf("/incidents/%s/print", late_ref);
	client_request(port, "GET", print, NULL, csirt, &r);
	ck_assert_int_eq(r.status, 200);
	assert_has(buf_cstr(&r.body), "期限後に完了");
	assert_has(buf_cstr(&r.body), "PPC-2026-0003");
	resp_release(&r);

	/* the dashboard's legal list shows both as sent, the late one late */
	client_request(port, "GET", "/dashboard", NULL, csirt, &r);
	ck_assert_int_eq(r.status, 200);
	b = buf_cstr(&r.body);
	assert_has(b, "提出済");
	assert_has(b, "PPC-2026-0001");
	const char *l3 = strstr(b, "PPC-2026-0003");
	ck_assert(l3 != NULL);
	ck_assert_msg(strstr(l3, "期限後の提出（遅延）") != NULL, "late not shown");
	resp_release(&r);

	/* the annual review counts the reports submitted on time and late */
	char *chief = client_sign_in_demo(port, "watanabe.daisuke");
	client_request(port, "GET", "/review", NULL, chief, &r);
	ck_assert_int_eq(r.status, 200);
	b = buf_cstr(&r.body);
	const char *t = strstr(b, "id=\"submissions\"");
	ck_assert_msg(t != NULL, "no submissions table");
	const char *all = strstr(t, "class=\"total\"");
	ck_assert(all != NULL);
	ck_assert_msg(strstr(all, "<td class=\"num\">2</td><td class=\"num sub-on-time\">1</td>"
				  "<td class=\"num sub-late\">1</td>") != NULL,
		      "%.400s", all);
	resp_release(&r);
	client_request(port, "GET", "/review.csv", NULL, chief, &r);
	ck_assert_int_eq(r.status, 200);
	assert_has(buf_cstr(&r.body), "all_late");
	resp_release(&r);

	free(chief);
	free(print);
	free(late_page);
	free(late_ref);
	free(page);
	free(ref);
	free(csirt);
	free(staff);
}
END_TEST

Suite *submission_suite(void)
{
	Suite *s = suite_create("submission");
	TCase *tc = tcase_create("submission");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_preliminary_on_time_and_late);
	suite_add_tcase(s, tc);
	return s;
}
