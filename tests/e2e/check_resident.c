/* The residents' window and the CSIRT's intake queue end to end (issue 18):
 * a resident files through /report/public and sees nothing internal; the
 * report waits in the queue with no workflow, deadline or mail but one notice
 * to each CSIRT member (at most one per 5 minutes); the CSIRT
 * accepts it and the reporting duty starts then, discovered when it arrived;
 * another is closed as spam with a reason (audited) and starts nothing; the
 * hidden field, a form sent too soon and a forged time are refused with
 * nothing stored; staff other than the CSIRT, the chief security officer and
 * the CISO cannot see the queue or decide (403). Runs on the demo city. */
#include <check.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "core/xalloc.h"
#include "db/db.h"
#include "support.h"

Suite *resident_suite(void);

#define MIN_FILL 2

static struct ts_server srv;
static char *db;
static int port;

static long scalar(const char *q)
{
	return ts_scalar(db, q);
}

static void setup(void)
{
	const char *extra[] = {"--public_min_fill", "2", "--csirt_phone", "0555-12-3456",
			       "--csirt_office", "情報セキュリティ相談窓口", NULL};
	ts_demo_server_start(&srv, "resident", extra);
	db = srv.db;
	port = srv.port;
}

static void teardown(void)
{
	ts_demo_server_stop(&srv);
}

/* The form as a resident's browser has it: its CSRF cookie and token, and
 * the signed time it was shown. */
struct form {
	char *cookie;
	char *csrf;
	char *fill;
};

static void get_form(struct form *f, const char *lang)
{
	struct resp r;
	char *path = xasprintf("/report/public%s%s", lang ? "?lang=" : "", lang ? lang : "");
	client_request(port, "GET", path, NULL, NULL, &r);
	free(path);
	ck_assert_int_eq(r.status, 200);
	f->csrf = resp_hidden(&r, "csrf");
	f->fill = resp_hidden(&r, "fill");
	char *cv = resp_cookie(&r, "sokuho_csrf");
	ck_assert(f->csrf && f->fill && cv);
	/* the language chosen with ?lang= is remembered in its cookie */
	f->cookie = xasprintf("sokuho_csrf=%s%s%s", cv, lang ? "; sokuho_lang=" : "", lang ? lang : "");
	free(cv);
	resp_release(&r);
}

static void form_release(struct form *f)
{
	free(f->cookie);
	free(f->csrf);
	free(f->fill);
}

/* Words a resident must never see: staff names (every person of the demo
 * city), roles, internal systems and terms, workflow states. */
static void assert_nothing_internal(const char *page)
{
	static const char *const words[] = {
		"CSIRT", "統括", "CISO", "最高情報セキュリティ責任者", "情報セキュリティ管理者",
		"マイナンバー利用事務系", "LGWAN", "ワークフロー", "workflow", "エスカレーション",
		"受領確認", "個人情報保護委員会", "速報", "報告責任", "お名前", "reporting-duty",
		NULL};
	for (int i = 0; words[i]; i++)
		ck_assert_msg(!strstr(page, words[i]), "the resident sees '%s'", words[i]);
	char err[256];
	PGconn *c = db_connect(db, err, sizeof err);
	ck_assert(c != NULL);
	PGresult *r = PQexec(c, "SELECT display_name FROM person");
	ck_assert(db_ok(r) && PQntuples(r) > 10);
	for (int i = 0; i < PQntuples(r); i++)
		ck_assert_msg(!strstr(page, PQgetvalue(r, i, 0)), "the resident sees staff name %s",
			      PQgetvalue(r, i, 0));
	PQclear(r);
	PQfinish(c);
}

/* POSTs the residents' form; the fields after the standard ones. */
static void post_report(const struct form *f, const char *fill, const char *what,
			const char *honeypot, struct resp *r)
{
	const char *fields[] = {"csrf", f->csrf, "fill", fill, "what", what, "when",
				"きのうの 夜", "place", "https://www.city.example.jp/",
				"contact", "resident@example.jp", "website", honeypot, NULL};
	client_multipart(port, "/report/public", f->cookie, fields, NULL, NULL, 0, r);
}

static char *ref_of(const struct resp *r)
{
	const char *p = strstr(buf_cstr(&r->body), "<strong class=\"ref\">");
	ck_assert_msg(p != NULL, "%s", buf_cstr(&r->body));
	p += strlen("<strong class=\"ref\">");
	return xstrndup(p, strcspn(p, "<"));
}

static long count_for(const char *table_where, const char *ref)
{
	char *q = xasprintf("SELECT count(*) FROM %s (SELECT id FROM incident WHERE ref = '%s')",
			    table_where, ref);
	long n = scalar(q);
	free(q);
	return n;
}

START_TEST(test_refused_quietly)
{
	struct form f;
	get_form(&f, NULL);
	long before = scalar("SELECT count(*) FROM incident");
	struct resp r;
	/* at once: too soon for a person */
	post_report(&f, f.fill, "市の サイトが おかしい", "", &r);
	ck_assert_int_eq(r.status, 422);
	ck_assert(strstr(buf_cstr(&r.body), "送ることが できませんでした"));
	ck_assert(strstr(buf_cstr(&r.body), "市の サイトが おかしい")); /* kept */
	resp_release(&r);
	sleep(MIN_FILL + 1);
	/* the hidden field filled (a robot fills every field) */
	post_report(&f, f.fill, "市の サイトが おかしい", "http://spam.example/", &r);
	ck_assert_int_eq(r.status, 422);
	ck_assert(strstr(buf_cstr(&r.body), "送ることが できませんでした"));
	resp_release(&r);
	/* a time not signed by the server, or signed for another time */
	post_report(&f, "1000000000.00", "市の サイトが おかしい", "", &r);
	ck_assert_int_eq(r.status, 422);
	resp_release(&r);
	char *forged = xstrdup(f.fill);
	forged[0] = forged[0] == '1' ? '2' : '1';
	post_report(&f, forged, "市の サイトが おかしい", "", &r);
	ck_assert_int_eq(r.status, 422);
	resp_release(&r);
	free(forged);
	ck_assert_int_eq(scalar("SELECT count(*) FROM incident"), before);
	ck_assert_int_eq(scalar("SELECT count(*) FROM outside_report"), 0);
	ck_assert_int_eq(scalar("SELECT count(*) FROM public_report_rate"), 0);
	/* nothing written at all: required field missing is a normal error */
	post_report(&f, f.fill, "", "", &r);
	ck_assert_int_eq(r.status, 422);
	ck_assert(strstr(buf_cstr(&r.body), "ここに 書いてください"));
	resp_release(&r);
	ck_assert_int_eq(scalar("SELECT count(*) FROM incident"), before);
	form_release(&f);
}
END_TEST

START_TEST(test_file_wait_accept)
{
	struct form f;
	get_form(&f, NULL);
	struct resp r;
	/* the form itself: plain Japanese, nothing internal asked */
	client_request(port, "GET", "/report/public", NULL, NULL, &r);
	assert_nothing_internal(buf_cstr(&r.body));
	ck_assert(strstr(buf_cstr(&r.body), "何が ありましたか"));
	ck_assert(strstr(buf_cstr(&r.body), "0555-12-3456"));
	/* the city's name leads back to this form, not to the staff's pages */
	ck_assert(strstr(buf_cstr(&r.body), "<a href=\"/report/public\" class=\"brand\">富士吉田市</a>"));
	resp_release(&r);
	client_request(port, "GET", "/report/public?lang=en", NULL, NULL, &r);
	ck_assert(strstr(buf_cstr(&r.body), "What happened (required)"));
	ck_assert(!strstr(buf_cstr(&r.body), "何が ありましたか"));
	assert_nothing_internal(buf_cstr(&r.body));
	resp_release(&r);

	sleep(MIN_FILL + 1);
	post_report(&f, f.fill, "市の ホームページの お知らせが 変な 英語に なっています。\n2行目", "",
		    &r);
	ck_assert_msg(r.status == 200, "%ld %s", r.status, buf_cstr(&r.body));
	const char *b = buf_cstr(&r.body);
	ck_assert(strstr(b, "受け付けました"));
	ck_assert(strstr(b, "受付番号"));
	ck_assert(strstr(b, "富士吉田市"));
	ck_assert(strstr(b, "情報セキュリティ相談窓口"));
	ck_assert(strstr(b, "0555-12-3456"));
	ck_assert(strstr(b, "平日 8:30〜17:15"));
	assert_nothing_internal(b);
	char *ref = ref_of(&r);
	resp_release(&r);

	/* in the queue: no workflow, no deadline, no mail */
	ck_assert_int_eq(count_for("outside_report WHERE state = 'waiting' AND incident_id IN", ref), 1);
	ck_assert_int_eq(count_for("workflow_run WHERE incident_id IN", ref), 0);
	ck_assert_int_eq(count_for("legal_deadline WHERE incident_id IN", ref), 0);
	/* only the CSIRT is told: one mail each, pointing to the queue */
	ck_assert_int_eq(count_for("outbox WHERE template <> 'outside_reported' AND incident_id IN",
				   ref),
			 0);
	ck_assert_int_eq(count_for("outbox o WHERE template = 'outside_reported' AND data ->> "
				   "'path' = '/intake/' || (SELECT ref FROM incident i WHERE i.id = "
				   "o.incident_id) AND incident_id IN",
				   ref),
			 scalar("SELECT count(DISTINCT person_id) FROM role_assignment WHERE role = "
				"'csirt'"));
	ck_assert_int_eq(count_for("incident WHERE channel = 'external' AND reporter_id IS NULL "
				   "AND external_name IS NULL AND summary = "
				   "'市の ホームページの お知らせが 変な 英語に なっています。' AND id IN",
				   ref),
			 1);
	ck_assert_int_eq(count_for("audit_event WHERE kind = 'incident.reported' AND incident_id IN",
				   ref),
			 1);

	/* the queue is the CSIRT's, the chief's and the CISO's */
	char *csirt = client_sign_in_demo(port, "takeuchi.misaki");
	client_request(port, "GET", "/intake", NULL, csirt, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert(strstr(buf_cstr(&r.body), ref));
	ck_assert(strstr(buf_cstr(&r.body), "<a href=\"/intake\">外部からの報告</a>")); /* navigation */
	/* how long it waited, against the 速報's days from its arrival */
	ck_assert_msg(strstr(buf_cstr(&r.body), "<td>0分</td><td>あと2日23時間</td>") ||
			      strstr(buf_cstr(&r.body), "<td>0分</td><td>あと3日</td>") ||
			      strstr(buf_cstr(&r.body), "<td>1分</td><td>あと2日23時間</td>"),
		      "%s", buf_cstr(&r.body));
	resp_release(&r);
	client_request(port, "GET", "/dashboard", NULL, csirt, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert(strstr(buf_cstr(&r.body), "id=\"h-intake\""));
	char *link = xasprintf("href=\"/intake/%s\"", ref);
	ck_assert(strstr(buf_cstr(&r.body), link));
	resp_release(&r);
	char *ciso = client_sign_in_demo(port, "sato.kenichi");
	client_request(port, "GET", "/intake", NULL, ciso, &r);
	ck_assert_int_eq(r.status, 200);
	resp_release(&r);
	free(ciso);
	char *path = xasprintf("/intake/%s", ref);
	static const char *const others[] = {"ito.naoki", "wada.tomomi", "tamura.haruka", NULL};
	for (int i = 0; others[i]; i++) {
		char *o = client_sign_in_demo(port, others[i]);
		client_request(port, "GET", "/intake", NULL, o, &r);
		ck_assert_msg(r.status == 403, "%s: %ld", others[i], r.status);
		resp_release(&r);
		client_request(port, "GET", path, NULL, o, &r);
		ck_assert_int_eq(r.status, 403);
		resp_release(&r);
		client_request(port, "GET", "/account/password", NULL, o, &r);
		ck_assert_msg(!strstr(buf_cstr(&r.body), "href=\"/intake\""), "%s is offered the queue",
			      others[i]);
		resp_release(&r);
		/* a POST with a valid token of the person's own session */
		char *tok = client_page_csrf(port, "/account/password", o);
		char *form = xasprintf("csrf=%s&decision=accept&summary=x&discovered_at=2026-01-01T00:00"
				       "&category=other&pd_involved=no",
				       tok);
		client_request(port, "POST", path, form, o, &r);
		ck_assert_int_eq(r.status, 403);
		resp_release(&r);
		free(form);
		free(tok);
		free(o);
	}
	ck_assert_int_eq(count_for("outside_report WHERE state = 'waiting' AND incident_id IN", ref), 1);

	/* the CSIRT reads it as written and accepts it */
	client_request(port, "GET", path, NULL, csirt, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert(strstr(buf_cstr(&r.body), "resident@example.jp"));
	ck_assert(strstr(buf_cstr(&r.body), "2行目"));
	char *csrf = resp_hidden(&r, "csrf");
	char *arrived = NULL;
	{
		const char *p = strstr(buf_cstr(&r.body), "name=\"discovered_at\" type=\"datetime-local\" value=\"");
		ck_assert(p != NULL);
		p += strlen("name=\"discovered_at\" type=\"datetime-local\" value=\"");
		arrived = xstrndup(p, strcspn(p, "\""));
	}
	resp_release(&r);
	/* a missing answer keeps the form */
	char *form = xasprintf("csrf=%s&decision=accept&summary=%%E6%%94%%B9%%E3%%81%%96%%E3%%82%%93"
			       "&discovered_at=%s&category=tampering",
			       csrf, arrived);
	client_request(port, "POST", path, form, csirt, &r);
	ck_assert_int_eq(r.status, 422);
	/* the message in words, beside its field, not a catalog key */
	ck_assert_msg(strstr(buf_cstr(&r.body), "<p class=\"error\" id=\"pd_involved-error\">個人情報"),
		      "%s", buf_cstr(&r.body));
	ck_assert(!strstr(buf_cstr(&r.body), "_err_"));
	resp_release(&r);
	free(form);
	ck_assert_int_eq(count_for("workflow_run WHERE incident_id IN", ref), 0);
	form = xasprintf("csrf=%s&decision=accept&summary=%%E6%%94%%B9%%E3%%81%%96%%E3%%82%%93"
			 "&discovered_at=%s&category=tampering&pd_involved=no&site=honchosha",
			 csrf, arrived);
	client_request(port, "POST", path, form, csirt, &r);
	ck_assert_int_eq(r.status, 303);
	char *loc = xasprintf("Location: /incidents/%s", ref);
	ck_assert_msg(strstr(buf_cstr(&r.headers), loc), "%s", buf_cstr(&r.headers));
	free(loc);
	resp_release(&r);
	ck_assert_int_eq(count_for("outside_report WHERE state = 'accepted' AND decided_by = "
				   "(SELECT id FROM person WHERE login = 'takeuchi.misaki') AND "
				   "incident_id IN",
				   ref),
			 1);
	/* the ladder starts now, discovered when the report arrived */
	ck_assert_int_ge(count_for("workflow_run r JOIN workflow_def d ON d.id = r.def_id WHERE "
				   "d.name = 'reporting-duty' AND r.incident_id IN",
				   ref),
			 1);
	ck_assert_int_ge(count_for("outbox WHERE template <> 'outside_reported' AND incident_id IN",
				   ref),
			 1);
	ck_assert_int_eq(count_for("incident i JOIN outside_report o ON o.incident_id = i.id WHERE "
				   "i.discovered_at = o.arrived_at AND i.category = 'tampering' AND "
				   "i.summary = '改ざん' AND i.id IN",
				   ref),
			 1);
	/* the resident's words and contact carried over */
	ck_assert_int_eq(count_for("incident WHERE strpos(description, '2行目') > 0 AND "
				   "strpos(description, 'いつ：きのうの 夜') > 0 AND strpos(description, "
				   "'どこ：https://www.city.example.jp/') > 0 AND external_contact = "
				   "'resident@example.jp' AND id IN",
				   ref),
			 1);
	char *page = xasprintf("/incidents/%s", ref);
	client_request(port, "GET", page, NULL, csirt, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_msg(strstr(buf_cstr(&r.body), "外部からの報告（連絡先: resident@example.jp）"), "%s",
		      buf_cstr(&r.body));
	resp_release(&r);
	free(page);
	ck_assert_int_eq(count_for("audit_event WHERE kind = 'outside.accepted' AND actor_id = "
				   "(SELECT id FROM person WHERE login = 'takeuchi.misaki') AND "
				   "incident_id IN",
				   ref),
			 1);
	/* decided once: a second accept changes nothing */
	client_request(port, "POST", path, form, csirt, &r);
	ck_assert_int_eq(r.status, 303);
	ck_assert(strstr(buf_cstr(&r.headers), "done=decided"));
	resp_release(&r);
	ck_assert_int_eq(count_for("audit_event WHERE kind = 'outside.accepted' AND incident_id IN",
				   ref),
			 1);
	free(form);
	free(arrived);
	free(csrf);
	free(path);
	free(link);
	free(csirt);
	free(ref);
	form_release(&f);
}
END_TEST

START_TEST(test_close_as_spam)
{
	struct form f;
	get_form(&f, "en");
	sleep(MIN_FILL + 1);
	struct resp r;
	post_report(&f, f.fill, "Cheap watches at www.spam.example", "", &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert(strstr(buf_cstr(&r.body), "Reference"));
	assert_nothing_internal(buf_cstr(&r.body));
	char *ref = ref_of(&r);
	resp_release(&r);
	char *chief = client_sign_in_demo(port, "watanabe.daisuke");
	char *path = xasprintf("/intake/%s", ref);
	char *csrf = client_page_csrf(port, path, chief);
	/* a reason is needed */
	char *form = xasprintf("csrf=%s&decision=close&outcome=spam&reason=+", csrf);
	client_request(port, "POST", path, form, chief, &r);
	ck_assert_int_eq(r.status, 422);
	ck_assert(strstr(buf_cstr(&r.body), "閉じる理由を書いてください"));
	resp_release(&r);
	free(form);
	form = xasprintf("csrf=%s&decision=close&outcome=spam&reason=%%E5%%BA%%83%%E5%%91%%8A", csrf);
	client_request(port, "POST", path, form, chief, &r);
	ck_assert_int_eq(r.status, 303);
	ck_assert(strstr(buf_cstr(&r.headers), "Location: /intake?closed="));
	resp_release(&r);
	free(form);
	ck_assert_int_eq(count_for("outside_report WHERE state = 'closed' AND outcome = 'spam' AND "
				   "reason = '広告' AND incident_id IN",
				   ref),
			 1);
	ck_assert_int_eq(count_for("incident WHERE closed_at IS NOT NULL AND id IN", ref), 1);
	ck_assert_int_eq(count_for("audit_event WHERE kind = 'outside.closed' AND "
				   "detail ->> 'reason' = '広告' AND detail ->> 'outcome' = 'spam' "
				   "AND incident_id IN",
				   ref),
			 1);
	/* nothing started, nothing will: an accept now is refused */
	form = xasprintf("csrf=%s&decision=accept&summary=x&discovered_at=2026-01-01T00:00"
			 "&category=other&pd_involved=no",
			 csrf);
	client_request(port, "POST", path, form, chief, &r);
	ck_assert_int_eq(r.status, 303);
	ck_assert(strstr(buf_cstr(&r.headers), "done=decided"));
	resp_release(&r);
	free(form);
	ck_assert_int_eq(count_for("workflow_run WHERE incident_id IN", ref), 0);
	ck_assert_int_eq(count_for("outbox WHERE template <> 'outside_reported' AND incident_id IN",
				   ref),
			 0);
	/* the CSIRT heard of it only if no notice went out in its 5 minutes:
	 * one mail each per period in which reports arrived */
	ck_assert_int_eq(scalar("SELECT count(*) FROM outbox WHERE template = 'outside_reported'"),
			 scalar("SELECT count(DISTINCT floor(extract(epoch FROM reported_at) / 300)) * "
				"(SELECT count(DISTINCT person_id) FROM role_assignment WHERE role = "
				"'csirt') FROM incident WHERE channel = 'external'"));
	client_request(port, "GET", "/intake", NULL, chief, &r);
	ck_assert(!strstr(buf_cstr(&r.body), ref));
	resp_release(&r);
	free(csrf);
	free(path);
	free(chief);
	free(ref);
	form_release(&f);
}
END_TEST

/* Runs last: the reports before it count toward the address's limit. */
START_TEST(test_rate_limited)
{
	struct form f;
	get_form(&f, NULL);
	sleep(MIN_FILL + 1);
	struct resp r;
	long have = scalar("SELECT count(*) FROM public_report_rate");
	for (long i = have; i < 5; i++) {
		post_report(&f, f.fill, "市の サイトが 開けません", "", &r);
		ck_assert_msg(r.status == 200, "report %ld: %ld", i, r.status);
		resp_release(&r);
	}
	long before = scalar("SELECT count(*) FROM incident");
	post_report(&f, f.fill, "市の サイトが 開けません（6回目）", "", &r);
	ck_assert_int_eq(r.status, 429);
	const char *b = buf_cstr(&r.body);
	ck_assert(strstr(b, "今は 受け付けられません"));
	ck_assert(strstr(b, "0555-12-3456")); /* a number to call, not "call the CSIRT" */
	ck_assert(strstr(b, "（6回目）")); /* kept */
	assert_nothing_internal(b);
	resp_release(&r);
	ck_assert_int_eq(scalar("SELECT count(*) FROM incident"), before);
	form_release(&f);
}
END_TEST

/* The city-wide limit (public_city_per_hour, 100): reports from many
 * addresses reach it, the window refuses everyone, the dashboard says so. */
START_TEST(test_city_limit)
{
	char *csirt = client_sign_in_demo(port, "ono.yuta");
	struct resp r;
	client_request(port, "GET", "/dashboard", NULL, csirt, &r);
	ck_assert(!strstr(buf_cstr(&r.body), "1時間の上限（100件）"));
	resp_release(&r);
	ts_sql(db, "INSERT INTO public_report_rate (ip) SELECT ('192.0.2.' || (n % 250))::inet "
		   "FROM generate_series(1, 100) n");
	ts_sql(db, "DELETE FROM public_report_rate WHERE ip = '127.0.0.1'");
	struct form f;
	get_form(&f, NULL);
	sleep(MIN_FILL + 1);
	long before = scalar("SELECT count(*) FROM incident");
	post_report(&f, f.fill, "たくさんの 人が 送っています", "", &r);
	ck_assert_int_eq(r.status, 429);
	ck_assert(strstr(buf_cstr(&r.body), "0555-12-3456"));
	resp_release(&r);
	ck_assert_int_eq(scalar("SELECT count(*) FROM incident"), before);
	client_request(port, "GET", "/dashboard", NULL, csirt, &r);
	ck_assert_msg(strstr(buf_cstr(&r.body), "1時間の上限（100件）"), "%s", buf_cstr(&r.body));
	resp_release(&r);
	form_release(&f);
	free(csirt);
}
END_TEST

Suite *resident_suite(void)
{
	Suite *s = suite_create("resident");
	TCase *tc = tcase_create("resident");
	tcase_set_timeout(tc, 120);
	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_refused_quietly);
	tcase_add_test(tc, test_file_wait_accept);
	tcase_add_test(tc, test_close_as_spam);
	tcase_add_test(tc, test_rate_limited);
	tcase_add_test(tc, test_city_limit);
	suite_add_tcase(s, tc);
	return s;
}
