/* The reports a city needs, end to end on the demo city: the printable
 * incident report (every fact, the deadlines, the workflows, the timeline,
 * the notes and the three sign-off boxes), the draft of the PPC leak report
 * (its nine items and the 速報 / 確報 due dates), the annual review page and
 * its CSV (counts, times, deadlines met, recurring causes; BOM, UTF-8 and
 * quoting), the year selector, and who may see what. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "core/xalloc.h"
#include "support.h"

Suite *reports_suite(void);


static struct ts_server srv;
static char *db;
static int port;

static void setup(void)
{
	ts_demo_server_start(&srv, "reports", NULL);
	db = srv.db;
	port = srv.port;
}

static void teardown(void)
{
	ts_demo_server_stop(&srv);
}

/* Files body through the JSON API as the person of cookie; returns the
 * reference (caller frees). */
static char *file(const char *cookie, const char *body)
{
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
	return ref;
}

static void get(const char *path, const char *cookie, struct resp *r)
{
	client_request(port, "GET", path, NULL, cookie, r);
}

static void assert_has(const char *body, const char *needle)
{
	ck_assert_msg(strstr(body, needle) != NULL, "missing %s", needle);
}

static const char leak_body[] =
	"{\"summary\": \"住民票の写しを誤送付\", \"description\": \"<script>alert(1)</script>宛先を取り違えた\", "
	"\"how_found\": \"住民からの電話\", \"discovered_at\": \"2026-11-20T09:30:00+09:00\", "
	"\"occurred_at\": \"2026-11-19T15:00:00+09:00\", \"category\": \"leak\", "
	"\"site\": \"honchosha\", \"section\": \"zeimu\", \"segments\": [\"lgwan\", \"internet\"], "
	"\"system_text\": \"窓口端末\", \"contractor\": \"株式会社サンプル\", "
	"\"personal_data\": {\"involved\": \"yes\", \"persons\": 120, \"items\": \"氏名、住所\", "
	"\"sensitive\": false, \"mynumber\": false, \"encrypted\": false, \"malicious\": false, "
	"\"financial\": false}}";

static const char plain_body[] =
	"{\"summary\": \"不審メールを受信\", \"discovered_at\": \"2026-11-24T10:00:00+09:00\", "
	"\"category\": \"suspicious_mail\", \"site\": \"honchosha\", \"section\": \"zeimu\", "
	"\"segments\": [\"internet\"], \"personal_data\": {\"involved\": \"no\"}}";

START_TEST(test_print_page)
{
	char *staff = client_sign_in_demo(port, "sakai.haruto");
	char *ref = file(staff, leak_body);
	char *path = xasprintf("/incidents/%s/notes", ref);
	char *csrf = client_page_csrf(port, "/my/reports", staff);
	char *form = xasprintf("csrf=%s&note=%s", csrf, "%E5%AE%9B%E5%85%88%E3%81%AB%E5%9B%9E%E5%8F%8E%E3%82%92%E4%BE%9D%E9%A0%BC");
	struct resp r;
	client_request(port, "POST", path, form, staff, &r);
	ck_assert_msg(r.status == 303 || r.status == 200, "note: %ld", r.status);
	resp_release(&r);
	free(form);
	free(csrf);
	free(path);

	path = xasprintf("/incidents/%s/print", ref);
	get(path, staff, &r); /* the reporter may print their own report */
	ck_assert_int_eq(r.status, 200);
	resp_release(&r);

	char *chief = client_sign_in_demo(port, "watanabe.daisuke");
	get(path, chief, &r);
	ck_assert_int_eq(r.status, 200);
	const char *b = buf_cstr(&r.body);
	assert_has(b, ref);
	assert_has(b, "住民票の写しを誤送付");
	assert_has(b, "&lt;script&gt;alert(1)&lt;/script&gt;");
	ck_assert_ptr_null(strstr(b, "<script>alert"));
	assert_has(b, "2026-11-20 09:30"); /* discovered */
	assert_has(b, "2026-11-19 15:00"); /* occurred */
	assert_has(b, "住民からの電話");
	assert_has(b, "酒井 陽翔");
	assert_has(b, "税務課");
	assert_has(b, "情報漏えい");
	assert_has(b, "LGWAN接続系、インターネット接続系");
	assert_has(b, "窓口端末");
	assert_has(b, "株式会社サンプル");
	assert_has(b, "氏名、住所");
	assert_has(b, "<td>120</td>");
	assert_has(b, "要配慮個人情報");
	assert_has(b, "特定個人情報（マイナンバー）");
	assert_has(b, "高度な暗号化");
	assert_has(b, "不正の目的のおそれ");
	assert_has(b, "財産的被害のおそれ");
	assert_has(b, "業務継続計画の発動");
	/* legal deadlines with due dates, and whether met */
	assert_has(b, "2026-11-23 09:30");
	assert_has(b, "2026-12-21 23:59");
	/* workflows, timeline, notes */
	assert_has(b, "報告責任");
	assert_has(b, "緊急時対応計画");
	assert_has(b, "報告 <span lang=\"en\" class=\"en\">reported</span>");
	assert_has(b, "宛先に回収を依頼");
	/* the three sign-off boxes, in the order of the reporting chain */
	const char *m = strstr(b, "1. 情報セキュリティ管理者");
	const char *s = strstr(b, "2. 統括情報セキュリティ責任者");
	const char *c = strstr(b, "3. 最高情報セキュリティ責任者（CISO）");
	ck_assert(m && s && c && m < s && s < c);
	assert_has(b, "署名・印");
	/* print stylesheet, script file only, bilingual and accessible markup */
	assert_has(b, "href=\"/static/print.css\" media=\"print\"");
	assert_has(b, "<script src=\"/static/print.js\" defer></script>");
	assert_has(b, "<article class=\"report\" lang=\"ja\">");
	assert_has(b, "<th scope=\"row\">");
	assert_has(b, "<th scope=\"col\">");
	ck_assert_ptr_null(strstr(b, "<script>"));
	ck_assert_ptr_null(strstr(b, "<th>"));
	ck_assert_ptr_null(strstr(b, "style=\""));
	resp_release(&r);

	/* Someone who may not see the incident gets 404 for its print pages. */
	char *other = client_sign_in_demo(port, "emily.carter");
	get(path, other, &r);
	ck_assert_int_eq(r.status, 404);
	resp_release(&r);
	free(path);
	path = xasprintf("/incidents/%s/ppc-report", ref);
	get(path, other, &r);
	ck_assert_int_eq(r.status, 404);
	resp_release(&r);
	get("/incidents/INC-2026-9999/print", chief, &r);
	ck_assert_int_eq(r.status, 404);
	resp_release(&r);
	get(path, NULL, &r); /* signed out: to the sign-in page */
	ck_assert_msg(r.status == 303 || r.status == 401 || r.status == 404, "%ld", r.status);
	resp_release(&r);

	get("/static/print.css", NULL, &r);
	ck_assert_int_eq(r.status, 200);
	assert_has(buf_cstr(&r.body), "size: A4");
	resp_release(&r);
	get("/static/print.js", NULL, &r);
	ck_assert_int_eq(r.status, 200);
	resp_release(&r);
	get("/static/reports.css", NULL, &r);
	ck_assert_int_eq(r.status, 200);
	resp_release(&r);

	free(path);
	free(other);
	free(chief);
	free(ref);
	free(staff);
}
END_TEST

START_TEST(test_ppc_draft)
{
	char *staff = client_sign_in_demo(port, "sakai.haruto");
	char *ref = file(staff, leak_body);
	char *plain = file(staff, plain_body);
	char *csirt = client_sign_in_demo(port, "matsuda.kazuya");
	char *path = xasprintf("/incidents/%s/ppc-report", ref);
	struct resp r;
	get(path, csirt, &r);
	ck_assert_int_eq(r.status, 200);
	const char *b = buf_cstr(&r.body);
	static const char *const items[] = {
		"概要", "漏えい等が発生し、又は発生したおそれがある個人情報の項目",
		"漏えい等が発生し、又は発生したおそれがある個人情報に係る本人の数", "原因",
		"二次被害又はそのおそれの有無及びその内容", "本人への対応の実施状況",
		"公表の実施状況", "再発防止のための措置", "その他参考となる事項"};
	const char *at = strstr(b, "<ol class=\"ppc-items\">");
	ck_assert(at != NULL);
	for (size_t i = 0; i < sizeof items / sizeof items[0]; i++) {
		char *h = xasprintf("<li class=\"keep\"><h2>%s <span", items[i]);
		const char *next = strstr(at, h);
		ck_assert_msg(next != NULL, "item %zu (%s) missing or out of order", i + 1, items[i]);
		at = next + 1;
		free(h);
	}
	assert_has(b, "<strong class=\"persons\">120</strong>");
	assert_has(b, "氏名、住所");
	assert_has(b, "住民票の写しを誤送付");
	assert_has(b, "速報");
	assert_has(b, "確報");
	assert_has(b, "2026-11-23 09:30"); /* 速報: 3 days after discovery */
	assert_has(b, "2026-12-21 23:59"); /* 確報: the end of day 30, moved past the weekend */
	assert_has(b, "100");               /* why the clock runs */
	assert_has(b, "<span class=\"line\"></span>"); /* blanks to complete */
	assert_has(b, "href=\"/static/print.css\" media=\"print\"");
	resp_release(&r);
	free(path);

	/* No legal clock: the draft is still shown and says so. */
	path = xasprintf("/incidents/%s/ppc-report", plain);
	get(path, csirt, &r);
	ck_assert_int_eq(r.status, 200);
	assert_has(buf_cstr(&r.body), "法定の報告義務（報告期限）が生じていません");
	resp_release(&r);
	free(path);
	path = xasprintf("/incidents/%s/print", plain);
	get(path, csirt, &r);
	ck_assert_int_eq(r.status, 200);
	assert_has(buf_cstr(&r.body), "この事案には法定の報告期限がありません");
	resp_release(&r);
	free(path);
	free(csirt);
	free(plain);
	free(ref);
	free(staff);
}
END_TEST

/* Moves incident ref's report into fiscal year 2019 (reported at the given
 * Japan time) with its milestones hours after it. */
static void backdate(const char *ref, const char *jst, int ack_h, int closed_h)
{
	char *q = xasprintf(
		"UPDATE incident SET reported_at = '%s+09'::timestamptz, "
		"acknowledged_at = CASE WHEN %d >= 0 THEN '%s+09'::timestamptz + %d * interval '1 hour' END, "
		"closed_at = CASE WHEN %d >= 0 THEN '%s+09'::timestamptz + %d * interval '1 hour' END "
		"WHERE ref = '%s'",
		jst, ack_h, jst, ack_h, closed_h, jst, closed_h, ref);
	ts_sql(db, q);
	free(q);
}

/* The CSV line that starts with prefix, or fails. */
static char *csv_line(const char *csv, const char *prefix)
{
	for (const char *p = csv; p && *p;) {
		const char *e = strstr(p, "\r\n");
		ck_assert_msg(e != NULL, "every row ends with CRLF");
		if (strncmp(p, prefix, strlen(prefix)) == 0)
			return xstrndup(p, (size_t)(e - p));
		p = e + 2;
	}
	ck_abort_msg("no CSV row starts with %s", prefix);
	return NULL;
}

START_TEST(test_review)
{
	char *staff = client_sign_in_demo(port, "sakai.haruto");
	/* Three leaks in 税務課 (two with the same contractor, whose name needs
	 * quoting), one suspicious mail; all moved into fiscal year 2019
	 * (2019-04-01 to 2020-03-31 Japan time), and one just outside it. */
	static const char quoted_leak[] =
		"{\"summary\": \"委託先での誤送信\", \"discovered_at\": \"2026-11-20T09:30:00+09:00\", "
		"\"category\": \"leak\", \"site\": \"honchosha\", \"section\": \"zeimu\", "
		"\"segments\": [\"lgwan\"], \"contractor\": \"=ACME \\\"Sys\\\", Ltd.\", "
		"\"personal_data\": {\"involved\": \"no\"}}";
	char *a = file(staff, leak_body);
	char *b1 = file(staff, quoted_leak);
	char *b2 = file(staff, quoted_leak);
	char *m = file(staff, plain_body);
	char *out = file(staff, plain_body);
	backdate(a, "2019-04-01 00:00", 1, 10);  /* the first minute of FY2019 */
	backdate(b1, "2019-06-01 10:00", 3, -1);
	backdate(b2, "2019-07-01 10:00", 5, -1);
	backdate(m, "2020-03-31 23:59", -1, -1); /* the last minute of FY2019 */
	backdate(out, "2019-03-31 23:59", 2, -1); /* FY2018 */
	/* 速報 met a day early; 確報 not met and not yet due (whenever the test runs). */
	char *q = xasprintf("UPDATE legal_deadline SET met_at = due_at - interval '1 day' WHERE key "
			    "= (SELECT key FROM legal_deadline l JOIN incident i ON i.id = "
			    "l.incident_id WHERE i.ref = '%s' ORDER BY due_at LIMIT 1) AND "
			    "incident_id = (SELECT id FROM incident WHERE ref = '%s')",
			    a, a);
	ts_sql(db, q);
	free(q);
	q = xasprintf("UPDATE legal_deadline SET due_at = '2099-01-01' WHERE met_at IS NULL AND "
		      "incident_id = (SELECT id FROM incident WHERE ref = '%s')",
		      a);
	ts_sql(db, q);
	free(q);

	struct resp r;
	/* Staff may not see the review. */
	get("/review", staff, &r);
	ck_assert_msg(r.status == 403 || r.status == 404, "%ld", r.status);
	resp_release(&r);
	get("/review.csv?year=2019", staff, &r);
	ck_assert_msg(r.status == 403 || r.status == 404, "%ld", r.status);
	resp_release(&r);

	char *ciso = client_sign_in_demo(port, "sato.kenichi");
	get("/review?year=2019", ciso, &r);
	ck_assert_int_eq(r.status, 200);
	const char *b = buf_cstr(&r.body);
	assert_has(b, "2019年度");
	assert_has(b, "2019-04-01 〜 2020-03-31");
	assert_has(b, "<label for=\"review-year\">");
	assert_has(b, "<select id=\"review-year\" name=\"year\">");
	assert_has(b, "<option value=\"2019\" selected>");
	assert_has(b, "id=\"fig-total\">4<");
	assert_has(b, "data-key=\"category-leak\">3<");
	assert_has(b, "data-key=\"category-suspicious_mail\">1<");
	assert_has(b, "data-key=\"category-malware\">0<");
	assert_has(b, "data-key=\"section-zeimu\">4<");
	assert_has(b, "data-key=\"site-honchosha\">4<");
	/* acknowledged after 1, 3 and 5 hours: median 3.0, 90th percentile 4.6 */
	assert_has(b, "<td class=\"num\">3</td><td class=\"num\">3.0</td><td class=\"num\">4.6</td>");
	/* legal deadlines of the leak: one met on time, one pending */
	assert_has(b, "id=\"share-legal\">100.0%<");
	/* recurring: 税務課 leaks (3) and the same contractor (2) */
	assert_has(b, "同じ課室・同じ種別");
	assert_has(b, "同じ委託先");
	assert_has(b, b1);
	assert_has(b, "<th scope=\"col\"");
	assert_has(b, "lang=\"en\"");
	assert_has(b, "No signed checkpoint yet");
	resp_release(&r);
	/* The audit log's newest checkpoint is printed with it (issue 17). */
	ts_sql(db, "INSERT INTO audit_checkpoint (seq, hash, at, key_id, signature) VALUES (1, "
		   "decode(repeat('ab', 32), 'hex'), '2026-12-08T00:00:00Z', '0123456789abcdef', "
		   "decode(repeat('cd', 64), 'hex'))");
	get("/review?year=2019", ciso, &r);
	ck_assert_int_eq(r.status, 200);
	char *cp = xasprintf("<code id=\"audit-checkpoint\">sokuho-checkpoint v1 place=1 hash=%s "
			     "at=2026-12-08T00:00:00Z key=0123456789abcdef sig=zc3N",
			     "abababababababababababababababababababababababababababababababab");
	assert_has(buf_cstr(&r.body), cp);
	free(cp);
	resp_release(&r);

	/* The default is the current fiscal year (April-March, Japan time). */
	long fy = ts_scalar(db, "SELECT extract(year FROM (sokuho_now() AT TIME ZONE "
				"'Asia/Tokyo') - interval '3 months')::int");
	get("/review", ciso, &r);
	ck_assert_int_eq(r.status, 200);
	char *want = xasprintf("<option value=\"%ld\" selected>", fy);
	assert_has(buf_cstr(&r.body), want);
	free(want);
	resp_release(&r);
	get("/review?year=20x9", ciso, &r);
	ck_assert_int_eq(r.status, 400);
	resp_release(&r);

	get("/review.csv?year=2019", ciso, &r);
	ck_assert_int_eq(r.status, 200);
	const char *h = buf_cstr(&r.headers);
	ck_assert_msg(strstr(h, "Content-Type: text/csv; charset=utf-8"), "%s", h);
	ck_assert_msg(strstr(h, "Content-Disposition: attachment; filename=\"review-FY2019.csv\""),
		      "%s", h);
	const char *csv = buf_cstr(&r.body);
	ck_assert_msg(memcmp(csv, "\xEF\xBB\xBF", 3) == 0, "BOM first");
	csv += 3;
	ck_assert_msg(strncmp(csv, "区分 section,キー key,項目,item,値 value,事案 incidents\r\n",
			      strlen("区分 section,キー key,項目,item,値 value,事案 incidents\r\n")) == 0,
		      "%.80s", csv);
	char *line = csv_line(csv, "totals,total,");
	ck_assert_str_eq(line, "totals,total,報告件数,incidents reported,4,");
	free(line);
	line = csv_line(csv, "category,leak,");
	ck_assert_str_eq(line, "category,leak,情報漏えい（誤送付・誤送信・誤公開を含む）,"
			       "Data leak (incl. mis-sent mail and mistaken publication),3,");
	free(line);
	line = csv_line(csv, "severity,none,");
	ck_assert_str_eq(line, "severity,none,未評価,not assessed,4,");
	free(line);
	line = csv_line(csv, "time_median_hours,acknowledged,");
	ck_assert(strstr(line, ",3.0,"));
	free(line);
	line = csv_line(csv, "time_p90_hours,acknowledged,");
	ck_assert(strstr(line, ",4.6,"));
	free(line);
	line = csv_line(csv, "time_count,closed,");
	ck_assert(strstr(line, ",1,"));
	free(line);
	line = csv_line(csv, "legal_deadlines,on_time,");
	ck_assert(strstr(line, ",1,"));
	free(line);
	line = csv_line(csv, "legal_deadlines,share,");
	ck_assert(strstr(line, ",100.0,"));
	free(line);
	/* A field with a quote and a comma is quoted, quotes doubled; one that
	 * starts with = is kept as text. */
	line = csv_line(csv, "recurring,contractor,");
	char *expect = xasprintf("recurring,contractor,\"'=ACME \"\"Sys\"\", Ltd.\","
				 "\"'=ACME \"\"Sys\"\", Ltd.\",2,%s %s",
				 b1, b2);
	ck_assert_str_eq(line, expect);
	free(expect);
	free(line);
	line = csv_line(csv, "recurring,section_category,");
	ck_assert(strstr(line, "税務課：情報漏えい"));
	ck_assert(strstr(line, ",3,"));
	free(line);
	char *wq = xasprintf("SELECT count(*) FROM workflow_deadline x JOIN workflow_run r ON r.id "
			     "= x.run_id JOIN incident i ON i.id = r.incident_id WHERE i.ref IN "
			     "('%s', '%s', '%s', '%s')",
			     a, b1, b2, m);
	char *wl = xasprintf("workflow_deadlines,total,手順の期限：件数,workflow deadlines: total,%ld,",
			     ts_scalar(db, wq));
	line = csv_line(csv, "workflow_deadlines,total,");
	ck_assert_str_eq(line, wl);
	free(line);
	free(wl);
	free(wq);
	resp_release(&r);

	free(ciso);
	free(a);
	free(b1);
	free(b2);
	free(m);
	free(out);
	free(staff);
}
END_TEST

Suite *reports_suite(void)
{
	Suite *s = suite_create("reports");
	TCase *tc = tcase_create("reports");
	tcase_set_timeout(tc, 120);
	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_print_page);
	tcase_add_test(tc, test_ppc_draft);
	tcase_add_test(tc, test_review);
	suite_add_tcase(s, tc);
	return s;
}
