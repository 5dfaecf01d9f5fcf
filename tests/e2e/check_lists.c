/* The incident list, its Japanese search, filters, keyset pages and CSV
 * export, and the CISO dashboard, through a real server on a demo
 * database. */
#include <check.h>
#include <ctype.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "core/xalloc.h"
#include "org/demo.h"
#include "support.h"

Suite *lists_suite(void);


static struct ts_server srv;
static char *db;
static int port;

static void setup(void)
{
	ts_demo_server_start(&srv, "lists", NULL);
	db = srv.db;
	port = srv.port;
}

static void teardown(void)
{
	ts_demo_server_stop(&srv);
}

/* Files a report through the JSON API as the signed-in person; returns its
 * reference (caller frees). */
static char *file_report(const char *cookie, const char *hdr, const char *summary,
			 const char *description, const char *category)
{
	char *body = xasprintf("{\"summary\": \"%s\", \"description\": \"%s\", "
			       "\"discovered_at\": \"2026-11-24T10:00:00+09:00\", "
			       "\"category\": \"%s\", \"site\": \"honchosha\", \"segments\": "
			       "[\"lgwan\"], \"personal_data\": {\"involved\": \"no\"}}",
			       summary, description, category);
	struct resp r;
	client_json(port, "POST", "/api/v1/incidents", cookie, hdr, body, &r);
	free(body);
	ck_assert_msg(r.status == 201, "%ld %s", r.status, buf_cstr(&r.body));
	const char *p = strstr(buf_cstr(&r.body), "\"ref\":\"");
	ck_assert(p != NULL);
	char *ref = xstrndup(p + 7, 13);
	resp_release(&r);
	return ref;
}

/* How many times the page links to incident ref. */
static int links_to(const struct resp *r, const char *ref)
{
	char *needle = xasprintf("href=\"/incidents/%s\"", ref);
	int n = 0;
	for (const char *p = buf_cstr(&r->body); (p = strstr(p, needle)); p++)
		n++;
	free(needle);
	return n;
}

static void get(const char *path, const char *cookie, struct resp *r)
{
	client_request(port, "GET", path, NULL, cookie, r);
}

START_TEST(test_japanese_search)
{
	char *cookie = client_sign_in_demo(port, "sakai.haruto");
	char *csrf = client_page_csrf(port, "/my/reports", cookie);
	char *hdr = xasprintf("X-CSRF-Token: %s", csrf);
	char *a = file_report(cookie, hdr, "住民票の写しを誤送付",
			      "個人情報（氏名・住所）を含む書類を別の住民に送付した", "leak");
	char *b = file_report(cookie, hdr, "ＵＳＢメモリの紛失", "暗号化されていないメモリ",
			      "loss_theft");
	char *c = file_report(cookie, hdr, "不審メールの受信", "添付ファイルは開いていない",
			      "suspicious_mail");
	char *d = file_report(cookie, hdr, "個人のPCでの作業", "私物のPCで作業していた",
			      "policy_violation");
	char *ciso = client_sign_in_demo(port, "sato.kenichi");
	static const struct {
		const char *q;
		int a, b, c, d;
	} cases[] = {
		{"個人情報", 1, 0, 0, 0},	  /* pg_trgm's three characters and more */
		{"個人", 1, 0, 0, 1},		  /* two characters */
		{"誤", 1, 0, 0, 0},		  /* one character */
		{"USB", 0, 1, 0, 0},		  /* full-width in the report, half-width asked */
		{"usb", 0, 1, 0, 0},		  /* case */
		{"ＵＳＢ", 0, 1, 0, 0},	  /* full-width asked */
		{"メール　添付", 0, 0, 1, 0}, /* two words (ideographic space): both must occur */
		{"メール 個人", 0, 0, 0, 0},
		{"存在しない語", 0, 0, 0, 0},
	};
	for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
		char *q = client_escape(cases[k].q);
		char *path = xasprintf("/incidents?q=%s", q);
		struct resp r;
		get(path, ciso, &r);
		ck_assert_int_eq(r.status, 200);
		ck_assert_msg(links_to(&r, a) == cases[k].a && links_to(&r, b) == cases[k].b &&
				      links_to(&r, c) == cases[k].c && links_to(&r, d) == cases[k].d,
			      "q=%s: %d %d %d %d", cases[k].q, links_to(&r, a), links_to(&r, b),
			      links_to(&r, c), links_to(&r, d));
		/* the form keeps the query */
		char *kept = xasprintf("value=\"%s\"", cases[k].q);
		ck_assert_msg(strstr(buf_cstr(&r.body), kept), "q=%s not kept", cases[k].q);
		free(kept);
		resp_release(&r);
		free(path);
		free(q);
	}
	/* A reference, in any case, finds that incident alone. */
	{
		char *lower = xstrdup(b);
		for (char *t = lower; *t; t++)
			*t = (char)tolower((unsigned char)*t);
		char *path = xasprintf("/incidents?q=%s", lower);
		struct resp r;
		get(path, ciso, &r);
		ck_assert_int_eq(links_to(&r, b), 1);
		ck_assert_int_eq(links_to(&r, a) + links_to(&r, c) + links_to(&r, d), 0);
		resp_release(&r);
		free(path);
		free(lower);
	}
	/* The reporter finds their own reports the same way. */
	struct resp r;
	char *q = client_escape("個人情報");
	char *path = xasprintf("/incidents?q=%s", q);
	get(path, cookie, &r);
	ck_assert_int_eq(links_to(&r, a), 1);
	ck_assert_int_eq(links_to(&r, d), 0);
	resp_release(&r);
	free(path);
	free(q);
	free(a), free(b), free(c), free(d);
	free(ciso), free(hdr), free(csrf), free(cookie);
}
END_TEST

/* 120 incidents of another section, reported one hour apart, with
 * severities and categories in turn. */
static void many_incidents(void)
{
	ts_sql(db, "INSERT INTO incident (ref, channel, reporter_id, section_id, site_id, category, "
		   "  severity, summary, discovered_at, reported_at) "
		   "SELECT 'INC-2025-' || lpad(g::text, 4, '0'), 'staff', "
		   "  (SELECT id FROM person WHERE login = 'ito.naoki'), "
		   "  (SELECT id FROM org_unit WHERE code = 'shimin-ka'), "
		   "  (SELECT id FROM site WHERE code = 'higashi'), "
		   "  (ARRAY['malware', 'leak', 'loss_theft'])[g % 3 + 1], "
		   "  CASE WHEN g % 5 = 0 THEN NULL ELSE g % 4 END, '一覧の試験 ' || g, "
		   "  timestamptz '2025-06-01 09:00+09' + g * interval '1 hour', "
		   "  timestamptz '2025-06-01 09:00+09' + g * interval '1 hour' "
		   "FROM generate_series(1, 120) g");
}

/* Follows the "next" links from path; returns every reference seen, in
 * order, as "REF,REF,..." (caller frees) and the number of pages. */
static char *walk(const char *cookie, const char *path, int *pages)
{
	buf seen;
	buf_init(&seen);
	char *next = xstrdup(path);
	*pages = 0;
	while (next) {
		struct resp r;
		get(next, cookie, &r);
		ck_assert_msg(r.status == 200, "%s: %ld", next, r.status);
		(*pages)++;
		ck_assert_int_le(*pages, 10);
		const char *body = buf_cstr(&r.body);
		for (const char *p = body; (p = strstr(p, "class=\"ref\">INC-")); p++)
			buf_printf(&seen, "%.13s,", p + strlen("class=\"ref\">"));
		free(next);
		next = NULL;
		const char *n = strstr(body, "\" rel=\"next\"");
		if (n) {
			const char *h = n;
			while (h > body && strncmp(h, "href=\"", 6) != 0)
				h--;
			char *href = xstrndup(h + 6, (size_t)(n - h - 6));
			/* &amp; in the attribute */
			buf u;
			buf_init(&u);
			for (const char *s = href; *s; s++) {
				if (strncmp(s, "&amp;", 5) == 0) {
					buf_putc(&u, '&');
					s += 4;
				} else {
					buf_putc(&u, *s);
				}
			}
			next = xasprintf("/incidents%s", buf_cstr(&u));
			buf_release(&u);
			free(href);
		}
		resp_release(&r);
	}
	return buf_detach(&seen, NULL);
}

START_TEST(test_filters_and_pages)
{
	many_incidents();
	char *ciso = client_sign_in_demo(port, "sato.kenichi");
	int pages;
	char *all = walk(ciso, "/incidents", &pages);
	ck_assert_int_eq(pages, 3); /* 50 + 50 + 20 */
	ck_assert_int_eq(strlen(all), 120 * 14);
	/* newest first, each once */
	ck_assert(strncmp(all, "INC-2025-0120,", 14) == 0);
	ck_assert(strstr(all, "INC-2025-0001,") == all + 119 * 14);
	free(all);
	/* sorted by severity: 3s first, the unjudged last, still each once */
	char *sev = walk(ciso, "/incidents?sort=severity", &pages);
	ck_assert_int_eq(pages, 3);
	ck_assert_int_eq(strlen(sev), 120 * 14);
	long distinct = ts_scalar(db, "SELECT count(*) FROM incident");
	ck_assert_int_eq(distinct, 120);
	ck_assert(strncmp(sev, "INC-2025-0119,", 14) == 0); /* 119 % 4 = 3, highest id */
	ck_assert(strstr(sev, "INC-2025-0005,") == sev + 119 * 14); /* lowest id without one */
	for (int k = 1; k <= 120; k++) {
		char ref[32];
		snprintf(ref, sizeof ref, "INC-2025-%04d,", k);
		const char *p = strstr(sev, ref);
		ck_assert_msg(p && !strstr(p + 1, ref), "%s once", ref);
	}
	free(sev);
	/* filters: category, severity and site together with a date range */
	struct resp r;
	get("/incidents?category=leak&severity=2&site=higashi&from=2025-06-01&to=2025-06-03", ciso,
	    &r);
	ck_assert_int_eq(r.status, 200);
	long want = ts_scalar(db, "SELECT count(*) FROM incident WHERE category = 'leak' AND "
				  "severity = 2 AND reported_at < '2025-06-04 00:00+09'");
	int got = 0;
	for (const char *p = buf_cstr(&r.body); (p = strstr(p, "class=\"ref\">INC-")); p++)
		got++;
	ck_assert_int_gt(want, 0);
	ck_assert_int_eq(got, want);
	resp_release(&r);
	/* the workflow states are offered, grouped by workflow, in file order */
	get("/incidents?state=emergency-response:containment", ciso, &r);
	{
		const char *b = buf_cstr(&r.body);
		const char *tri = strstr(b, "<option value=\"emergency-response:triage\"");
		const char *con = strstr(b, "<option value=\"emergency-response:containment\" selected");
		ck_assert_msg(tri && con && tri < con, "workflow states in the filter");
		ck_assert(strstr(b, "<optgroup label=\"緊急時対応計画\">"));
	}
	resp_release(&r);
	/* bad input: a clear message, the input kept, nothing listed */
	get("/incidents?from=2025-13-01&q=USB", ciso, &r);
	ck_assert_int_eq(r.status, 422);
	ck_assert(strstr(buf_cstr(&r.body), "日付は 2026-04-01 の形で入力してください。"));
	ck_assert(!strstr(buf_cstr(&r.body), "Enter the date as"));
	ck_assert(strstr(buf_cstr(&r.body), "value=\"2025-13-01\""));
	ck_assert(strstr(buf_cstr(&r.body), "value=\"USB\""));
	resp_release(&r);
	get("/incidents?after=x'--", ciso, &r);
	ck_assert_int_eq(r.status, 422);
	ck_assert(strstr(buf_cstr(&r.body), "最初のページから開いてください"));
	resp_release(&r);
	get("/incidents?severity=9&sort=drop", ciso, &r);
	ck_assert_int_eq(r.status, 422);
	ck_assert(strstr(buf_cstr(&r.body), "0〜3から選んでください。"));
	resp_release(&r);
	/* overdue only: a legal deadline passed on one of them */
	ts_sql(db, "INSERT INTO legal_deadline (incident_id, clock, key, title_ja, title_en, "
		   "due_at) SELECT id, 'ppc', 'ppc_preliminary', '速報', 'Preliminary', "
		   "sokuho_now() - interval '1 hour' FROM incident WHERE ref = 'INC-2025-0042'");
	get("/incidents?overdue=1", ciso, &r);
	ck_assert_int_eq(links_to(&r, "INC-2025-0042"), 1);
	ck_assert(strstr(buf_cstr(&r.body), "<tr class=\"overdue\"><td><a href=\"/incidents/"
					    "INC-2025-0042\""));
	ck_assert(!strstr(buf_cstr(&r.body), "INC-2025-0041"));
	resp_release(&r);
	get("/incidents?legal=1&status=open", ciso, &r);
	ck_assert_int_eq(links_to(&r, "INC-2025-0042"), 1);
	ck_assert(!strstr(buf_cstr(&r.body), "INC-2025-0043"));
	resp_release(&r);
	/* Someone of another section sees none of them. */
	char *staff = client_sign_in_demo(port, "sakai.haruto");
	get("/incidents", staff, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert(!strstr(buf_cstr(&r.body), "INC-2025-"));
	resp_release(&r);
	/* The section's manager sees them all. */
	char *mgr = client_sign_in_demo(port, "saito.hideo");
	char *mine = walk(mgr, "/incidents", &pages);
	ck_assert_int_eq(strlen(mine), 120 * 14);
	free(mine);
	free(mgr);
	free(staff);
	free(ciso);
}
END_TEST

START_TEST(test_csv_export)
{
	char *cookie = client_sign_in_demo(port, "sakai.haruto");
	char *csrf = client_page_csrf(port, "/my/reports", cookie);
	char *hdr = xasprintf("X-CSRF-Token: %s", csrf);
	char *a = file_report(cookie, hdr, "住民票の写しを誤送付, \\\"至急\\\"",
			      "個人情報を含む書類を別の住民に送付した", "leak");
	char *b = file_report(cookie, hdr, "=HYPERLINK(\\\"http://example.com\\\")", "数式の試験",
			      "other");
	char *ciso = client_sign_in_demo(port, "sato.kenichi");
	struct resp r;
	get("/incidents.csv", ciso, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert(strstr(buf_cstr(&r.headers), "Content-Type: text/csv; charset=utf-8"));
	ck_assert(strstr(buf_cstr(&r.headers), "attachment; filename=\"incidents.csv\""));
	ck_assert(memcmp(buf_cstr(&r.body), "\xEF\xBB\xBF", 3) == 0);
	/* Decoded by Python's csv module, as a spreadsheet program would. */
	char *dir = ts_tmpdir();
	char *path = xasprintf("%s/incidents.csv", dir);
	FILE *f = fopen(path, "wb");
	ck_assert(f != NULL);
	ck_assert_int_eq(fwrite(r.body.data, 1, r.body.len, f), r.body.len);
	fclose(f);
	resp_release(&r);
	const char *argv[] = {
		"python3", "-c",
		"import csv, json, sys\n"
		"rows = list(csv.reader(open(sys.argv[1], encoding='utf-8-sig', newline='')))\n"
		"print(json.dumps(rows, ensure_ascii=False))\n",
		path, NULL};
	char *out = NULL, *err = NULL;
	ck_assert_int_eq(ts_run(argv, NULL, &out, &err), 0);
	json_t *rows = json_loads(out, 0, NULL);
	ck_assert_msg(rows != NULL, "%s", out);
	ck_assert_int_eq(json_array_size(rows), 3);
	json_t *head = json_array_get(rows, 0);
	/* the header in the request's language only */
	ck_assert_str_eq(json_string_value(json_array_get(head, 0)), "受付番号");
	ck_assert_str_eq(json_string_value(json_array_get(head, 7)), "概要");
	/* newest first */
	json_t *rb = json_array_get(rows, 1), *ra = json_array_get(rows, 2);
	ck_assert_str_eq(json_string_value(json_array_get(ra, 0)), a);
	ck_assert_str_eq(json_string_value(json_array_get(ra, 7)), "住民票の写しを誤送付, \"至急\"");
	ck_assert_str_eq(json_string_value(json_array_get(ra, 3)),
			 "情報漏えい（誤送付・誤送信・誤公開を含む）");
	ck_assert_str_eq(json_string_value(json_array_get(rb, 0)), b);
	/* a formula is never a formula */
	ck_assert_str_eq(json_string_value(json_array_get(rb, 7)),
			 "'=HYPERLINK(\"http://example.com\")");
	json_decref(rows);
	free(out), free(err);
	/* the filters apply */
	char *q = client_escape("個人情報");
	char *p2 = xasprintf("/incidents.csv?q=%s", q);
	get(p2, ciso, &r);
	ck_assert(strstr(buf_cstr(&r.body), a));
	ck_assert(!strstr(buf_cstr(&r.body), b));
	resp_release(&r);
	/* and the scope: the reporter's own only; admin none of theirs */
	get("/incidents.csv", cookie, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert(strstr(buf_cstr(&r.body), a));
	resp_release(&r);
	get("/incidents.csv", NULL, &r);
	ck_assert_int_ne(r.status, 200);
	resp_release(&r);
	unlink(path);
	rmdir(dir);
	free(p2), free(q), free(path), free(dir);
	free(a), free(b), free(ciso), free(hdr), free(csrf), free(cookie);
}
END_TEST

START_TEST(test_dashboard)
{
	char *cookie = client_sign_in_demo(port, "sakai.haruto");
	char *csrf = client_page_csrf(port, "/my/reports", cookie);
	char *hdr = xasprintf("X-CSRF-Token: %s", csrf);
	char *a = file_report(cookie, hdr, "ランサムウェアの疑い", "ファイルが開けない", "malware");
	struct resp r;
	/* staff may not see it */
	get("/dashboard", cookie, &r);
	ck_assert(r.status == 403 || r.status == 404);
	resp_release(&r);
	char *ciso = client_sign_in_demo(port, "sato.kenichi");
	get("/dashboard", ciso, &r);
	ck_assert_int_eq(r.status, 200);
	const char *body = buf_cstr(&r.body);
	ck_assert(strstr(body, "<svg class=\"chart\""));
	ck_assert(strstr(body, "role=\"img\""));
	ck_assert(strstr(body, "受領されていない報告"));
	/* the charts in the page's language only */
	ck_assert(strstr(body, ">月別の報告件数（分類別）</title>"));
	ck_assert(!strstr(body, "Incidents reported per month"));
	ck_assert(!strstr(body, "logarithmic scale"));
	struct resp en;
	get("/dashboard?lang=en", ciso, &en);
	ck_assert_int_eq(en.status, 200);
	ck_assert(strstr(buf_cstr(&en.body), ">Incidents reported per month by category</title>"));
	ck_assert(!strstr(buf_cstr(&en.body), "月別の報告件数"));
	ck_assert(!strstr(buf_cstr(&en.body), "中央値"));
	resp_release(&en);
	ck_assert_int_ge(links_to(&r, a), 1);
	/* not late yet */
	ck_assert(!strstr(body, "<tr class=\"overdue\"><td><a class=\"ref\""));
	const char *et = strstr(buf_cstr(&r.headers), "ETag: ");
	ck_assert(et != NULL);
	char *etag = xstrndup(et + 6, strcspn(et + 6, "\r\n"));
	resp_release(&r);
	/* nothing changed: 304 and no body */
	char *inm = xasprintf("If-None-Match: %s", etag);
	client_request_h(port, "GET", "/dashboard", NULL, ciso, inm, &r);
	ck_assert_int_eq(r.status, 304);
	ck_assert_int_eq(r.body.len, 0);
	resp_release(&r);
	/* Two hours on, the reporting duty's ladder has climbed: the incident
	 * is listed as late, highlighted. */
	ts_sql(db, "UPDATE clock_offset SET offset_by = interval '2 hours'");
	ts_sql(db, "NOTIFY sokuho_wake");
	free(ciso);
	ciso = client_sign_in_demo(port, "sato.kenichi"); /* the session went idle meanwhile */
	int late = 0;
	for (int k = 0; k < 100 && !late; k++) {
		usleep(100000);
		client_request_h(port, "GET", "/dashboard", NULL, ciso, inm, &r);
		late = r.status == 200 && strstr(buf_cstr(&r.body), "<table class=\"late\">") &&
		       strstr(buf_cstr(&r.body), "class=\"overdue\"><td><a class=\"ref\"");
		resp_release(&r);
	}
	ck_assert_msg(late, "the incident is shown late on the dashboard");
	ck_assert_int_gt(ts_scalar(db, "SELECT count(*) FROM audit_event WHERE kind = "
				       "'workflow.escalated'"),
			 0);
	get("/dashboard", ciso, &r);
	ck_assert(strstr(buf_cstr(&r.body), "エスカレーション"));
	resp_release(&r);
	/* an auditor sees it too; admin does not */
	char *aud = client_sign_in_demo(port, "wada.tomomi");
	get("/dashboard", aud, &r);
	ck_assert_int_eq(r.status, 200);
	resp_release(&r);
	char *adm = client_sign_in_demo(port, "tamura.haruka");
	get("/dashboard", adm, &r);
	ck_assert(r.status == 403 || r.status == 404);
	resp_release(&r);
	free(adm), free(aud), free(inm), free(etag), free(a), free(ciso), free(hdr), free(csrf),
		free(cookie);
}
END_TEST

/* The auditor is read-only: no note form, and a note POST with a valid
 * CSRF token is 403 and stores nothing; the reporter and the CSIRT still
 * add notes. */
START_TEST(test_auditor_cannot_note)
{
	char *cookie = client_sign_in_demo(port, "sakai.haruto");
	char *csrf = client_page_csrf(port, "/my/reports", cookie);
	char *hdr = xasprintf("X-CSRF-Token: %s", csrf);
	char *a = file_report(cookie, hdr, "監査人メモ確認", "監査人は書けない", "malware");
	char *page = xasprintf("/incidents/%s", a);
	char *notes = xasprintf("/incidents/%s/notes", a);
	struct resp r;
	char *aud = client_sign_in_demo(port, "wada.tomomi");
	get(page, aud, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert(!strstr(buf_cstr(&r.body), "/notes\""));
	resp_release(&r);
	char *acsrf = client_page_csrf(port, page, aud);
	char *form = xasprintf("csrf=%s&note=auditor-note", acsrf);
	client_request(port, "POST", notes, form, aud, &r);
	ck_assert_int_eq(r.status, 403);
	resp_release(&r);
	ck_assert_int_eq(ts_scalar(db, "SELECT count(*) FROM incident_note WHERE body = 'auditor-note'"),
			 0);
	/* the reporter still may */
	free(form);
	form = xasprintf("csrf=%s&note=reporter-note", csrf);
	get(page, cookie, &r);
	ck_assert(strstr(buf_cstr(&r.body), "/notes\""));
	resp_release(&r);
	client_request(port, "POST", notes, form, cookie, &r);
	ck_assert_msg(r.status == 303 || r.status == 200, "note: %ld", r.status);
	resp_release(&r);
	/* and so may the CISO, who acts on every incident */
	char *ciso = client_sign_in_demo(port, "sato.kenichi");
	char *ccsrf = client_page_csrf(port, page, ciso);
	free(form);
	form = xasprintf("csrf=%s&note=ciso-note", ccsrf);
	client_request(port, "POST", notes, form, ciso, &r);
	ck_assert_msg(r.status == 303 || r.status == 200, "note: %ld", r.status);
	resp_release(&r);
	ck_assert_int_eq(ts_scalar(db, "SELECT count(*) FROM incident_note WHERE body IN "
				       "('reporter-note', 'ciso-note')"),
			 2);
	free(ccsrf), free(ciso), free(form), free(acsrf), free(aud), free(notes), free(page),
		free(a), free(hdr), free(csrf), free(cookie);
}
END_TEST

/* Issue 15, finding 5: the auditor reads everything and writes nothing.
 * The incident page holds no correction form and no workflow button for
 * them, and a correction or a workflow action posted with a valid CSRF
 * token anyway is 403 and changes nothing; the CISO still may do both. */
START_TEST(test_auditor_writes_nothing)
{
	char *cookie = client_sign_in_demo(port, "sakai.haruto");
	char *csrf = client_page_csrf(port, "/my/reports", cookie);
	char *hdr = xasprintf("X-CSRF-Token: %s", csrf);
	char *ref = file_report(cookie, hdr, "監査人は直せない", "監査人の訂正と操作", "malware");
	char *page = xasprintf("/incidents/%s", ref);
	char *q = xasprintf("SELECT r.id FROM workflow_run r JOIN workflow_def d ON d.id = r.def_id "
			    "JOIN incident i ON i.id = r.incident_id WHERE i.ref = '%s' AND d.name = "
			    "'reporting-duty'",
			    ref);
	long run = ts_scalar(db, q);
	free(q);
	char *facts = xasprintf("/incidents/%s/facts", ref);
	char *act = xasprintf("/incidents/%s/workflow/%ld/acknowledge", ref, run);
	struct resp r;
	char *aud = client_sign_in_demo(port, "wada.tomomi");
	get(page, aud, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert(strstr(buf_cstr(&r.body), "監査人は直せない"));
	ck_assert(!strstr(buf_cstr(&r.body), "/facts\""));
	ck_assert(!strstr(buf_cstr(&r.body), "/workflow/"));
	resp_release(&r);
	char *acsrf = client_page_csrf(port, page, aud);
	char *fix = xasprintf("csrf=%s&summary=auditor-fix&description=x&category=other", acsrf);
	client_request(port, "POST", facts, fix, aud, &r);
	ck_assert_int_eq(r.status, 403);
	resp_release(&r);
	char *ack = xasprintf("csrf=%s&fence=0", acsrf);
	client_request(port, "POST", act, ack, aud, &r);
	ck_assert_int_eq(r.status, 403);
	resp_release(&r);
	q = xasprintf("SELECT count(*) FROM incident WHERE ref = '%s' AND summary = '監査人は直せない'",
		      ref);
	ck_assert_int_eq(ts_scalar(db, q), 1);
	free(q);
	q = xasprintf("SELECT count(*) FROM workflow_run WHERE id = %ld AND state <> 'acknowledged'",
		      run);
	ck_assert_int_eq(ts_scalar(db, q), 1);
	free(q);
	ck_assert_int_eq(ts_scalar(db, "SELECT count(*) FROM audit_event WHERE actor_id = (SELECT id "
				       "FROM person WHERE login = 'wada.tomomi') AND (kind LIKE "
				       "'incident.%' OR kind LIKE 'workflow.%')"),
			 0);
	/* the CISO, who acts on every incident, may do both */
	char *mgr = client_sign_in_demo(port, "sato.kenichi");
	get(page, mgr, &r);
	ck_assert(strstr(buf_cstr(&r.body), "/facts\""));
	ck_assert(strstr(buf_cstr(&r.body), "/acknowledge\""));
	resp_release(&r);
	char *mcsrf = client_page_csrf(port, page, mgr);
	free(ack);
	ack = xasprintf("csrf=%s&fence=0", mcsrf);
	client_request(port, "POST", act, ack, mgr, &r);
	ck_assert_int_eq(r.status, 303);
	ck_assert(strstr(buf_cstr(&r.headers), "done=action"));
	resp_release(&r);
	free(mcsrf), free(mgr), free(ack), free(fix), free(acsrf), free(aud), free(act), free(facts),
		free(page), free(ref), free(hdr), free(csrf), free(cookie);
}
END_TEST

/* Issue 18, navigation: each role lands on its main page after signing in
 * (when no page was asked for), and the admin's pages link to each other. */
START_TEST(test_landing_and_admin_navigation)
{
	static const struct {
		const char *login, *lands;
	} who[] = {
		{"sato.kenichi", "/dashboard"},    /* CISO */
		{"watanabe.daisuke", "/dashboard"}, /* 統括 */
		{"takeuchi.misaki", "/dashboard"}, /* CSIRT */
		{"wada.tomomi", "/dashboard"},     /* auditor */
		{"tamura.haruka", "/admin/people"}, /* admin */
		{"sakai.haruto", "/report"},       /* staff */
		{"yamazaki.tsutomu", "/report"},   /* a section's 管理者: his reports come by mail */
	};
	for (size_t i = 0; i < sizeof who / sizeof who[0]; i++) {
		struct resp r;
		client_request(port, "GET", "/login", NULL, NULL, &r);
		char *csrf = resp_hidden(&r, "csrf");
		char *cv = resp_cookie(&r, "sokuho_csrf");
		resp_release(&r);
		char *form = xasprintf("csrf=%s&login=%s&password=%s&next=%%2F", csrf, who[i].login,
				       DEMO_PASSWORD);
		char *ck = xasprintf("sokuho_csrf=%s", cv);
		client_request(port, "POST", "/login", form, ck, &r);
		ck_assert_int_eq(r.status, 303);
		char *want = xasprintf("Location: %s\r\n", who[i].lands);
		ck_assert_msg(strstr(buf_cstr(&r.headers), want), "%s: %s", who[i].login,
			      buf_cstr(&r.headers));
		char *sid = resp_cookie(&r, "sokuho_session");
		resp_release(&r);
		/* the same when an already signed-in person opens /login */
		char *cookie = xasprintf("sokuho_session=%s", sid);
		client_request(port, "GET", "/login", NULL, cookie, &r);
		ck_assert_int_eq(r.status, 303);
		ck_assert_msg(strstr(buf_cstr(&r.headers), want), "%s again: %s", who[i].login,
			      buf_cstr(&r.headers));
		resp_release(&r);
		/* and the page is one they may open */
		client_request(port, "GET", who[i].lands, NULL, cookie, &r);
		ck_assert_msg(r.status == 200, "%s on %s: %ld", who[i].login, who[i].lands, r.status);
		resp_release(&r);
		free(cookie);
		free(sid);
		free(want);
		free(ck);
		free(form);
		free(cv);
		free(csrf);
	}
	/* every admin page links to the others */
	char *admin = client_sign_in_demo(port, "tamura.haruka");
	static const char *const pages[] = {"/admin/people", "/admin/tokens", "/admin/workflows",
					    "/admin/outbox", "/admin/people/new",
					    "/admin/people/sakai.haruto"};
	for (size_t i = 0; i < sizeof pages / sizeof pages[0]; i++) {
		struct resp r;
		client_request(port, "GET", pages[i], NULL, admin, &r);
		ck_assert_int_eq(r.status, 200);
		for (size_t k = 0; k < 4; k++) {
			char *href = xasprintf("href=\"%s\"", pages[k]);
			ck_assert_msg(strstr(buf_cstr(&r.body), href), "%s lacks a link to %s", pages[i],
				      pages[k]);
			free(href);
		}
		resp_release(&r);
	}
	free(admin);
}
END_TEST

/* Issue 18: the dashboard's late list is ranked by the law (missed legal
 * deadlines first, then missed workflow deadlines, then ladders alone),
 * each item once. */
START_TEST(test_dashboard_ranks_by_law)
{
	char *cookie = client_sign_in_demo(port, "sakai.haruto");
	char *csrf = client_page_csrf(port, "/my/reports", cookie);
	char *hdr = xasprintf("X-CSRF-Token: %s", csrf);
	char *plain = file_report(cookie, hdr, "不審なメールを開いた", "添付を開いた", "malware");
	/* a leak of 150 persons discovered two weeks ago: the PPC's 速報 is due
	 * within days of discovery, so it is missed at once */
	struct resp r;
	client_json(port, "POST", "/api/v1/incidents", cookie, hdr,
		    "{\"summary\": \"名簿を誤送信した\", \"discovered_at\": "
		    "\"2026-11-24T10:00:00+09:00\", \"category\": \"leak\", \"site\": "
		    "\"honchosha\", \"segments\": [\"lgwan\"], \"personal_data\": "
		    "{\"involved\": \"yes\", \"persons\": 150}}",
		    &r);
	ck_assert_msg(r.status == 201, "%ld %s", r.status, buf_cstr(&r.body));
	resp_release(&r);
	ts_sql(db, "UPDATE clock_offset SET offset_by = interval '3 hours'");
	ts_sql(db, "NOTIFY sokuho_wake");
	char *ciso = client_sign_in_demo(port, "sato.kenichi");
	int kinds = 0;
	for (int k = 0; k < 150 && kinds != 3; k++) {
		usleep(100000);
		get("/dashboard", ciso, &r);
		const char *b = buf_cstr(&r.body);
		kinds = (strstr(b, "data-kind=\"legal\"") != NULL) +
			(strstr(b, "data-kind=\"escalation\"") != NULL) +
			(strstr(b, "data-kind=\"deadline\"") != NULL || strstr(b, "data-kind=\"legal\"") != NULL);
		if (kinds != 3)
			resp_release(&r);
	}
	ck_assert_msg(kinds == 3, "no legal and escalation rows on the dashboard");
	/* walk the rows: ranks never go back, and no (kind, incident, what)
	 * twice */
	const char *p = strstr(buf_cstr(&r.body), "<table class=\"late\">");
	ck_assert(p != NULL);
	const char *end = strstr(p, "</table>");
	int last = -1, rows = 0;
	char seen[40][200];
	while ((p = strstr(p, "<tr data-kind=\"")) && p < end) {
		p += strlen("<tr data-kind=\"");
		int rank = strncmp(p, "legal", 5) == 0 ? 0 : strncmp(p, "deadline", 8) == 0 ? 1 : 2;
		ck_assert_msg(rank >= last, "a %.10s row after a more urgent kind", p);
		last = rank;
		const char *ref = strstr(p, "/incidents/");
		ck_assert(ref != NULL);
		char item[200];
		/* the same incident and deadline, whatever kind it is listed as */
		const char *what = strstr(p, "data-what=\"");
		ck_assert(what != NULL);
		what += strlen("data-what=\"");
		snprintf(item, sizeof item, "%.*s|%.13s", (int)strcspn(what, "\""), what, ref + 11);
		for (int k = 0; k < rows; k++)
			ck_assert_msg(strcmp(seen[k], item) != 0, "listed twice: %s", item);
		ck_assert_int_lt(rows, 40);
		snprintf(seen[rows++], sizeof seen[0], "%s", item);
	}
	ck_assert_int_ge(rows, 2);
	/* the first row is the missed legal deadline */
	ck_assert(strstr(buf_cstr(&r.body), "<tr data-kind=\"legal\"") <
		  strstr(buf_cstr(&r.body), "<tr data-kind=\"escalation\""));
	resp_release(&r);
	ts_sql(db, "UPDATE clock_offset SET offset_by = interval '0'");
	free(ciso), free(plain), free(hdr), free(csrf), free(cookie);
}
END_TEST

/* Issue 18, closing on the incident page: the close action says why it
 * cannot be taken while the PPC report runs (409 if posted anyway), then
 * asks for the reason to waive the unfinished reporting duty. */
START_TEST(test_close_needs_legal_reports_and_waiver)
{
	char *cookie = client_sign_in_demo(port, "sakai.haruto");
	char *csrf = client_page_csrf(port, "/my/reports", cookie);
	char *hdr = xasprintf("X-CSRF-Token: %s", csrf);
	struct resp r;
	client_json(port, "POST", "/api/v1/incidents", cookie, hdr,
		    "{\"summary\": \"名簿を誤送信した\", \"discovered_at\": "
		    "\"2026-12-07T09:00:00+09:00\", \"category\": \"leak\", \"site\": "
		    "\"honchosha\", \"segments\": [\"lgwan\"], \"personal_data\": "
		    "{\"involved\": \"yes\", \"persons\": 150, \"mynumber\": false}}",
		    &r);
	ck_assert_msg(r.status == 201, "%ld %s", r.status, buf_cstr(&r.body));
	const char *p = strstr(buf_cstr(&r.body), "\"ref\":\"");
	char *ref = xstrndup(p + 7, 13);
	resp_release(&r);
	char *q = xasprintf("UPDATE workflow_run SET state = 'lessons_learned' WHERE incident_id = "
			    "(SELECT id FROM incident WHERE ref = '%s') AND def_id IN (SELECT id FROM "
			    "workflow_def WHERE name = 'emergency-response')",
			    ref);
	ts_sql(db, q);
	free(q);
	q = xasprintf("SELECT r.id FROM workflow_run r JOIN workflow_def d ON d.id = r.def_id JOIN "
		      "incident i ON i.id = r.incident_id WHERE i.ref = '%s' AND d.name = "
		      "'emergency-response'",
		      ref);
	long er = ts_scalar(db, q);
	free(q);
	char *csirt = client_sign_in_demo(port, "matsuda.kazuya");
	char *page = xasprintf("/incidents/%s", ref);
	get(page, csirt, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert(strstr(buf_cstr(&r.body), "法定の報告（個人情報保護委員会・番号法）が終わるまで"));
	resp_release(&r);
	char *path = xasprintf("/incidents/%s/workflow/%ld/close", ref, er);
	char *pc = client_page_csrf(port, page, csirt);
	char *form = xasprintf("csrf=%s&fence=-1&lessons=a&prevention=b", pc);
	client_request(port, "POST", path, form, csirt, &r);
	ck_assert_int_eq(r.status, 409);
	ck_assert(strstr(buf_cstr(&r.body), "role=\"alert\""));
	resp_release(&r);
	/* the legal reports finished (here in SQL): the reporting duty asks
	 * for a waiver */
	q = xasprintf("UPDATE workflow_run SET finished_at = sokuho_now(), state = 'closed' WHERE "
		      "incident_id = (SELECT id FROM incident WHERE ref = '%s') AND def_id IN "
		      "(SELECT id FROM workflow_def WHERE name IN ('ppc-leak-report', "
		      "'mynumber-leak-report'))",
		      ref);
	ts_sql(db, q);
	free(q);
	get(page, csirt, &r);
	ck_assert(strstr(buf_cstr(&r.body), "報告責任の残りの手順を省略する理由"));
	ck_assert(!strstr(buf_cstr(&r.body), "法定の報告（個人情報保護委員会・番号法）が終わるまで"));
	resp_release(&r);
	client_request(port, "POST", path, form, csirt, &r);
	ck_assert_int_eq(r.status, 422);
	resp_release(&r);
	char *form2 = xasprintf("%s&waive_reason=%%E5%%8F%%A3%%E9%%A0%%AD%%E3%%81%%A7%%E5%%A0%%B1"
				"%%E5%%91%%8A%%E6%%B8%%88%%E3%%81%%BF",
				form);
	client_request(port, "POST", path, form2, csirt, &r);
	ck_assert_int_eq(r.status, 303);
	resp_release(&r);
	q = xasprintf("SELECT count(*) FROM incident WHERE ref = '%s' AND closed_at IS NOT NULL", ref);
	ck_assert_int_eq(ts_scalar(db, q), 1);
	free(q);
	q = xasprintf("SELECT count(*) FROM workflow_run r JOIN incident i ON i.id = r.incident_id "
		      "WHERE i.ref = '%s' AND r.finished_at IS NULL",
		      ref);
	ck_assert_int_eq(ts_scalar(db, q), 0);
	free(q);
	free(form2), free(form), free(pc), free(path), free(page), free(csirt), free(ref),
		free(hdr), free(csrf), free(cookie);
}
END_TEST

Suite *lists_suite(void)
{
	Suite *s = suite_create("lists");
	TCase *tc = tcase_create("lists");
	tcase_set_timeout(tc, 120);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_japanese_search);
	tcase_add_test(tc, test_filters_and_pages);
	tcase_add_test(tc, test_csv_export);
	tcase_add_test(tc, test_dashboard);
	tcase_add_test(tc, test_auditor_cannot_note);
	tcase_add_test(tc, test_auditor_writes_nothing);
	tcase_add_test(tc, test_landing_and_admin_navigation);
	tcase_add_test(tc, test_dashboard_ranks_by_law);
	tcase_add_test(tc, test_close_needs_legal_reports_and_waiver);
	suite_add_tcase(s, tc);
	return s;
}
