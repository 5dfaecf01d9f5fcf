/* Reports by e-mail end to end (issue 20): `sokuho mail-intake` run on each
 * fixture of tests/mail/fixtures/ (an Outlook forward-as-attachment, a
 * Gmail inline forward, ISO-2022-JP from a Japanese client, Shift_JIS with
 * CP932 characters, a mail with an attachment, a malformed one, one that
 * claims a staff address without authentication, not a mail at all) becomes
 * the right report — the authenticated sender's, or one waiting in the
 * intake queue — with the raw message as evidence and the original's
 * indicators on the incident page; the exit statuses follow sysexits
 * (0, 65 too large or not a mail, 75 database unreachable). A wave: three
 * staff forwarding one phishing mail make one incident with three reporters
 * and one ladder; a different mail makes a new one. Runs on the demo city. */
#include <check.h>
#include <dirent.h>
#include <signal.h>
#include <sys/wait.h>
#include <libpq-fe.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "core/xalloc.h"
#include "support.h"

Suite *mailintake_suite(void);

#define FIX "tests/mail/fixtures/"

static struct ts_server srv;
static char *db, *app;
static int port;

static long scalar(const char *q)
{
	return ts_scalar(db, q);
}

/* The first column of the first row of q as text ("" for none). Caller frees. */
static char *text(const char *q)
{
	PGconn *c = PQconnectdb(db);
	ck_assert(PQstatus(c) == CONNECTION_OK);
	PGresult *r = PQexec(c, q);
	ck_assert_msg(PQresultStatus(r) == PGRES_TUPLES_OK, "%s: %s", q, PQerrorMessage(c));
	char *v = xstrdup(PQntuples(r) ? PQgetvalue(r, 0, 0) : "");
	PQclear(r);
	PQfinish(c);
	return v;
}

static void setup(void)
{
	ts_demo_server_start(&srv, "mailintake", NULL);
	db = srv.db;
	port = srv.port;
	app = ts_app_conninfo(db);
}

static void teardown(void)
{
	free(app);
	app = NULL;
	ts_demo_server_stop(&srv);
}

/* The answers' suite: the server sends mail to a test SMTP server. */
static char *maildir;
static pid_t smtpd;

static void setup_mail(void)
{
	maildir = ts_tmpdir();
	int sp = ts_free_port();
	char sps[16];
	snprintf(sps, sizeof sps, "%d", sp);
	smtpd = ts_start_smtpd(sp, maildir);
	const char *extra[] = {"--smtp_host", "127.0.0.1", "--smtp_port", sps, "--smtp_starttls",
			       "off", "--mail_from", "sokuho@city.example.jp", NULL};
	ts_demo_server_start(&srv, "mailintake-answer", extra);
	db = srv.db;
	port = srv.port;
	app = ts_app_conninfo(db);
}

static void teardown_mail(void)
{
	teardown();
	kill(smtpd, SIGTERM);
	waitpid(smtpd, NULL, 0);
	free(maildir);
}

/* The path of the saved mail that contains needle, waiting up to 20 s
 * (caller frees), or NULL. */
static char *saved_mail_with(const char *needle)
{
	for (int i = 0; i < 400; i++) {
		DIR *d = opendir(maildir);
		struct dirent *de;
		char *found = NULL;
		while (d && !found && (de = readdir(d))) {
			size_t n = strlen(de->d_name);
			if (n < 4 || strcmp(de->d_name + n - 4, ".eml") != 0)
				continue;
			char *path = xasprintf("%s/%s", maildir, de->d_name);
			char *body = ts_read_file(path);
			if (body && strstr(body, needle))
				found = path;
			else
				free(path);
			free(body);
		}
		if (d)
			closedir(d);
		if (found)
			return found;
		usleep(50 * 1000);
	}
	return NULL;
}

/* Runs `sokuho mail-intake` with the message of the shell command src
 * (a file redirected, or a pipeline) on its standard input, as the
 * application role; extra options may be "". Returns the exit status; out
 * gets its standard output (caller frees, may be NULL). */
static int intake_cmd(const char *src, const char *extra, const char *url, char **out)
{
	char *cmd = xasprintf("%s | \"$0\" mail-intake --database_url \"$1\" "
			      "--mail_trusted_authserv mx.city.example.jp "
			      "--mail_internal_relays 10.0.0.25 %s",
			      src, extra);
	const char *argv[] = {"/bin/sh", "-c", cmd, ts_bin(), url, NULL};
	char *err = NULL;
	int rc = ts_run(argv, NULL, out, &err);
	if (rc != 0 && rc != 65 && rc != 75)
		fprintf(stderr, "mail-intake %s: %d\n%s\n", src, rc, err);
	free(err);
	free(cmd);
	return rc;
}

static int intake(const char *file, const char *extra, char **out)
{
	char *src = xasprintf("cat %s", file);
	int rc = intake_cmd(src, extra, app, out);
	free(src);
	return rc;
}

/* Files the fixture and returns the reference it printed (caller frees),
 * checking the kind printed after it. */
static char *file_ok(const char *name, const char *kind)
{
	char *path = xasprintf(FIX "%s", name);
	char *out = NULL;
	int rc = intake(path, "", &out);
	ck_assert_msg(rc == 0, "%s: exit %d", name, rc);
	char ref[64], got[32];
	ck_assert_msg(sscanf(out, "%63s %31s", ref, got) == 2, "%s: printed '%s'", name, out);
	ck_assert_msg(strcmp(got, kind) == 0, "%s: %s, not %s", name, got, kind);
	ck_assert(strncmp(ref, "INC-", 4) == 0);
	free(out);
	free(path);
	return xstrdup(ref);
}

static char *vq(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));
static char *vq(const char *fmt, va_list ap)
{
	char *q = NULL;
	ck_assert(vasprintf(&q, fmt, ap) >= 0);
	return q;
}

static long q_long(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static long q_long(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *q = vq(fmt, ap);
	va_end(ap);
	long v = scalar(q);
	free(q);
	return v;
}

static char *q_text(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *q_text(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *q = vq(fmt, ap);
	va_end(ap);
	char *v = text(q);
	free(q);
	return v;
}

#define INC "(SELECT id FROM incident WHERE ref = '%s')"

static void assert_indicator(const char *ref, const char *kind, const char *value)
{
	char *q = xasprintf("SELECT count(*) FROM mail_indicator WHERE incident_id = " INC
			    " AND kind = '%s' AND value = '%s'",
			    ref, kind, value);
	ck_assert_msg(scalar(q) == 1, "%s: no %s indicator '%s'", ref, kind, value);
	free(q);
}

/* The staff report of login, with the evidence kept. */
static void assert_report_of(const char *ref, const char *login, const char *summary)
{
	char *who = q_text("SELECT p.login FROM incident i JOIN person p ON p.id = i.reporter_id "
			   "WHERE i.ref = '%s'", ref);
	ck_assert_str_eq(who, login);
	free(who);
	char *cat = q_text("SELECT category || '/' || channel FROM incident WHERE ref = '%s'", ref);
	ck_assert_str_eq(cat, "suspicious_mail/staff");
	free(cat);
	char *sum = q_text("SELECT summary FROM incident WHERE ref = '%s'", ref);
	ck_assert_str_eq(sum, summary);
	free(sum);
	/* discovered when it arrived */
	ck_assert_int_eq(q_long("SELECT count(*) FROM incident i JOIN mail_report m ON "
				"m.incident_id = i.id WHERE i.ref = '%s' AND i.discovered_at = "
				"m.arrived_at", ref), 1);
	ck_assert_int_eq(q_long("SELECT count(*) FROM attachment WHERE incident_id = " INC
				" AND filename = 'mail.eml' AND sha256 = "
				"encode(sha256(data), 'hex')", ref), 1);
	ck_assert_int_eq(q_long("SELECT count(*) FROM outside_report WHERE incident_id = " INC, ref), 0);
	/* its ladder runs */
	ck_assert_int_gt(q_long("SELECT count(*) FROM workflow_run WHERE incident_id = " INC, ref), 0);
}

static void assert_queued(const char *ref, const char *contact)
{
	char *st = q_text("SELECT o.state || '/' || o.contact || '/' || i.channel || '/' || "
			  "(i.reporter_id IS NULL) FROM outside_report o JOIN incident i ON "
			  "i.id = o.incident_id WHERE i.ref = '%s'", ref);
	char *want = xasprintf("waiting/%s/external/true", contact);
	ck_assert_str_eq(st, want);
	free(want);
	free(st);
	ck_assert_int_eq(q_long("SELECT count(*) FROM workflow_run WHERE incident_id = " INC, ref), 0);
	ck_assert_int_eq(q_long("SELECT count(*) FROM attachment WHERE incident_id = " INC
				" AND filename = 'mail.eml'", ref), 1);
}

START_TEST(test_fixtures)
{
	/* Outlook's forward as attachment: the original is the attached message */
	char *ref = file_ok("outlook_attachment.eml", "report");
	assert_report_of(ref, "takahashi.makoto", "【重要】アカウントの確認が必要です");
	ck_assert_int_eq(q_long("SELECT count(*) FROM attachment WHERE incident_id = " INC
				" AND filename = 'original.eml'", ref), 1);
	assert_indicator(ref, "from", "security@amaz0n-support.example");
	assert_indicator(ref, "reply_to", "verify@account-check.example");
	assert_indicator(ref, "return_path", "bounce-77@mailer.amaz0n-support.example");
	assert_indicator(ref, "message_id", "phish-0001@amaz0n-support.example");
	assert_indicator(ref, "received", "203.0.113.45");
	assert_indicator(ref, "url", "https://amaz0n-login.example/verify?id=8812&t=1");
	assert_indicator(ref, "domain", "amaz0n-login.example");
	assert_indicator(ref, "domain", "account-check.example");
	assert_indicator(ref, "attachment",
			 "55cf14b0da2830b4a0c792188f89ecb6d7331b8260a9af1b6fc5a65abf78adcc");
	ck_assert_int_eq(q_long("SELECT count(*) FROM mail_indicator WHERE incident_id = " INC
				" AND kind = 'auth_results' AND value LIKE '%%spf=fail%%'", ref), 1);
	ck_assert_int_eq(q_long("SELECT count(*) FROM mail_indicator WHERE incident_id = " INC
				" AND kind = 'attachment' AND detail->>'name' = 'invoice_2026.zip'",
				ref), 1);
	/* the incident page shows them to the CSIRT */
	char *cookie = client_sign_in_demo(port, "matsuda.kazuya");
	char *path = xasprintf("/incidents/%s", ref);
	struct resp r;
	client_request(port, "GET", path, NULL, cookie, &r);
	ck_assert_int_eq(r.status, 200);
	const char *b = buf_cstr(&r.body);
	ck_assert(strstr(b, "メールによる報告"));
	ck_assert(strstr(b, "amaz0n-login.example/verify?id=8812&amp;t=1"));
	ck_assert(strstr(b, "invoice_2026.zip"));
	ck_assert(strstr(b, "203.0.113.45"));
	resp_release(&r);
	free(path);
	/* who else got it? the list by an indicator: a domain (and its subdomains),
	 * a URL, an address, a hash */
	static const char *const iocs[] = {
		"amaz0n-support.example", "AMAZ0N-LOGIN.example",
		"https%3A%2F%2Famaz0n-login.example%2Fverify%3Fid%3D8812%26t%3D1",
		"security%40amaz0n-support.example",
		"55cf14b0da2830b4a0c792188f89ecb6d7331b8260a9af1b6fc5a65abf78adcc", NULL};
	for (int i = 0; iocs[i]; i++) {
		char *lp = xasprintf("/incidents?ioc=%s", iocs[i]);
		client_request(port, "GET", lp, NULL, cookie, &r);
		ck_assert_int_eq(r.status, 200);
		ck_assert_msg(strstr(buf_cstr(&r.body), ref), "%s does not find %s", iocs[i], ref);
		resp_release(&r);
		free(lp);
	}
	client_request(port, "GET", "/incidents?ioc=support.example", NULL, cookie, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert(!strstr(buf_cstr(&r.body), ref)); /* a label, not a substring */
	resp_release(&r);
	free(cookie);
	/* the same message delivered again is stored once */
	char *out = NULL;
	long before = scalar("SELECT count(*) FROM mail_report");
	ck_assert_int_eq(intake(FIX "outlook_attachment.eml", "", &out), 0);
	ck_assert(strstr(out, ref) && strstr(out, "duplicate"));
	free(out);
	ck_assert_int_eq(scalar("SELECT count(*) FROM mail_report"), before);
	free(ref);

	/* Gmail's inline forward: the quoted headers and the text below them */
	ref = file_ok("gmail_inline.eml", "report");
	assert_report_of(ref, "watanabe.hiroshi", "Your Apple ID has been locked");
	assert_indicator(ref, "from", "noreply@apple-id-locked.example");
	assert_indicator(ref, "url", "https://apple-id-locked.example/unlock?u=watanabe");
	free(ref);

	/* ISO-2022-JP, with a CP932 character (①) in it */
	ref = file_ok("iso2022jp.eml", "report");
	assert_report_of(ref, "horiuchi.masaki", "【重要】パスワードの有効期限のお知らせ");
	ck_assert_int_eq(q_long("SELECT count(*) FROM incident WHERE ref = '%s' AND description "
				"LIKE '%%①添付はありません%%'", ref), 1);
	assert_indicator(ref, "from", "it-helpdesk@city-example-jp.example");
	assert_indicator(ref, "url", "https://city-example-jp.example/owa/auth.php");
	free(ref);

	/* Shift_JIS with ①, ㈱ and 髙, through the internal relay */
	ref = file_ok("sjis_cp932.eml", "report");
	assert_report_of(ref, "hata.yoshiko", "㈱髙島屋より①ご注文確認");
	ck_assert_int_eq(q_long("SELECT count(*) FROM incident WHERE ref = '%s' AND description "
				"LIKE '%%取引先を名乗る㈱髙島屋から①注文確認%%'", ref), 1);
	assert_indicator(ref, "from", "order@takashimaya-order.example");
	char *via = q_text("SELECT auth_via FROM mail_report WHERE incident_id = " INC, ref);
	ck_assert_str_eq(via, "relay");
	free(via);
	free(ref);

	/* an attachment: its name, type and SHA-256 */
	ref = file_ok("attachment.eml", "report");
	assert_report_of(ref, "osano.takeshi", "Suspicious invoice attachment");
	ck_assert_int_eq(q_long("SELECT count(*) FROM mail_indicator WHERE incident_id = " INC
				" AND kind = 'attachment' AND detail->>'name' = '請求書.xlsm' AND "
				"detail->>'type' = 'application/vnd.ms-excel.sheet.macroenabled.12' "
				"AND value = '78868e8dc23c2fa07e8f2fa54bd7decb08c6f965336786c6891062a2067e5710'",
				ref), 1);
	free(ref);

	/* malformed: taken as far as it can be read, the raw original kept whole */
	ref = file_ok("malformed.eml", "queued");
	assert_queued(ref, "");
	char *raw = ts_read_file(FIX "malformed.eml");
	ck_assert_int_eq(q_long("SELECT size FROM attachment WHERE incident_id = " INC
				" AND filename = 'mail.eml'", ref), 506);
	free(raw);
	free(ref);

	/* a staff address without an authenticated pass: the intake queue */
	ref = file_ok("unauthenticated_staff.eml", "queued");
	assert_queued(ref, "takahashi.makoto@city.example.jp");
	char *what = q_text("SELECT what_happened FROM outside_report WHERE incident_id = " INC, ref);
	ck_assert(strstr(what, "please approve the attached transfer"));
	free(what);
	free(ref);
}
END_TEST

START_TEST(test_refused)
{
	long before = scalar("SELECT count(*) FROM incident");
	char *out = NULL;
	/* not a mail, an empty input, too large: 65 with nothing stored */
	ck_assert_int_eq(intake(FIX "not_a_mail.txt", "", &out), 65);
	free(out);
	ck_assert_int_eq(intake("/dev/null", "", NULL), 65);
	ck_assert_int_eq(intake(FIX "outlook_attachment.eml", "--mail_intake_max 1024", NULL), 65);
	ck_assert_int_eq(scalar("SELECT count(*) FROM incident"), before);
	/* the database unreachable: 75, so that the MTA keeps it and retries */
	int dead = ts_free_port();
	char *url = xasprintf("host=127.0.0.1 port=%d dbname=none connect_timeout=2", dead);
	ck_assert_int_eq(intake_cmd("cat " FIX "gmail_inline.eml", "", url, NULL), 75);
	free(url);
	/* a broken installation is not the message's fault either */
	ck_assert_int_eq(intake(FIX "gmail_inline.eml", "--workflows_dir /nonexistent", NULL), 75);
	ck_assert_int_eq(scalar("SELECT count(*) FROM incident"), before);
}
END_TEST

/* The Outlook fixture as forwarded by login: its own sender and Message-ID. */
static int forward_as(const char *login, const char *fixture, char **out)
{
	char *src = xasprintf("sed -e 's/Takahashi.Makoto@City.Example.JP/%s@city.example.jp/' "
			      "-e 's/takahashi.makoto@city.example.jp/%s@city.example.jp/g' "
			      "-e 's/outlook-fwd-0001/outlook-fwd-%s/' %s",
			      login, login, login, fixture);
	int rc = intake_cmd(src, "", app, out);
	free(src);
	return rc;
}

START_TEST(test_wave)
{
	static const char *const staff[] = {"takahashi.makoto", "hata.yoshiko", "osano.takeshi"};
	char first[64] = "";
	long runs = 0;
	for (int i = 0; i < 3; i++) {
		char *out = NULL;
		ck_assert_int_eq(forward_as(staff[i], FIX "outlook_attachment.eml", &out), 0);
		char ref[64], kind[32];
		ck_assert(sscanf(out, "%63s %31s", ref, kind) == 2);
		free(out);
		if (i == 0) {
			ck_assert_str_eq(kind, "report");
			snprintf(first, sizeof first, "%s", ref);
			runs = q_long("SELECT count(*) FROM workflow_run WHERE incident_id = " INC, ref);
			ck_assert_int_gt(runs, 0);
		} else {
			ck_assert_str_eq(kind, "linked");
			ck_assert_str_eq(ref, first);
		}
	}
	ck_assert_int_eq(scalar("SELECT count(*) FROM incident WHERE category = 'suspicious_mail'"), 1);
	/* three reporters, each with their time; one ladder */
	ck_assert_int_eq(q_long("SELECT count(DISTINCT reporter_id) FROM mail_report WHERE "
				"incident_id = " INC, first), 3);
	ck_assert_int_eq(q_long("SELECT count(*) FROM workflow_run WHERE incident_id = " INC, first),
			 runs);
	ck_assert_int_eq(q_long("SELECT count(*) FROM attachment WHERE incident_id = " INC
				" AND filename = 'mail.eml'", first), 3);
	ck_assert_int_eq(q_long("SELECT count(*) FROM audit_event WHERE incident_id = " INC
				" AND kind = 'incident.mail_linked'", first), 2);
	char *cookie = client_sign_in_demo(port, "matsuda.kazuya");
	char *path = xasprintf("/incidents/%s", first);
	struct resp r;
	client_request(port, "GET", path, NULL, cookie, &r);
	ck_assert_int_eq(r.status, 200);
	const char *b = buf_cstr(&r.body);
	ck_assert(strstr(b, "<strong class=\"mail-count\">3</strong>"));
	ck_assert(strstr(b, "羽田 良子") && strstr(b, "小佐野 武"));
	ck_assert(strstr(b, "同じメールの追加報告"));
	resp_release(&r);
	/* the dashboard shows the wave and its count */
	client_request(port, "GET", "/dashboard", NULL, cookie, &r);
	ck_assert_int_eq(r.status, 200);
	b = buf_cstr(&r.body);
	const char *box = strstr(b, "同じ不審メールの複数報告");
	ck_assert_msg(box != NULL, "no wave box on the dashboard");
	char *row = xasprintf("%s</a></td><td>", first);
	const char *at = strstr(box, row);
	ck_assert(at && strstr(at, "<td class=\"n\">3</td>"));
	free(row);
	resp_release(&r);
	free(path);
	/* a fourth, different mail: a new incident */
	char *out = NULL;
	ck_assert_int_eq(forward_as("takahashi.makoto", FIX "gmail_inline.eml", &out), 0);
	ck_assert(strstr(out, "report") && !strstr(out, first));
	free(out);
	ck_assert_int_eq(scalar("SELECT count(*) FROM incident WHERE category = 'suspicious_mail'"), 2);

	/* the CSIRT splits a wrongly linked one off: an incident of its own */
	char *mid = q_text("SELECT m.id FROM mail_report m JOIN person p ON p.id = m.reporter_id "
			   "WHERE m.incident_id = " INC " AND p.login = 'osano.takeshi'", first);
	path = xasprintf("/incidents/%s", first);
	char *csrf = client_page_csrf(port, path, cookie);
	char *split = xasprintf("/incidents/%s/mail/%s/split", first, mid);
	char *form = xasprintf("csrf=%s", csrf);
	client_request(port, "POST", split, form, cookie, &r);
	ck_assert_int_eq(r.status, 303);
	resp_release(&r);
	ck_assert_int_eq(scalar("SELECT count(*) FROM incident WHERE category = 'suspicious_mail'"), 3);
	ck_assert_int_eq(q_long("SELECT count(*) FROM mail_report WHERE incident_id = " INC, first), 2);
	char *nref = q_text("SELECT i.ref FROM mail_report m JOIN incident i ON i.id = m.incident_id "
			    "WHERE m.id = %s AND NOT m.linked", mid);
	ck_assert(strncmp(nref, "INC-", 4) == 0 && strcmp(nref, first) != 0);
	assert_report_of(nref, "osano.takeshi", "【重要】アカウントの確認が必要です");
	assert_indicator(nref, "from", "security@amaz0n-support.example");
	ck_assert_int_eq(q_long("SELECT count(*) FROM audit_event WHERE kind = 'incident.mail_split' "
				"AND incident_id IN (" INC ", (SELECT id FROM incident WHERE ref = '%s'))",
				first, nref), 2);
	/* a second time: it is no longer linked */
	client_request(port, "POST", split, form, cookie, &r);
	ck_assert_int_eq(r.status, 404);
	resp_release(&r);
	free(nref);
	free(form);
	free(split);
	free(csrf);
	free(path);
	free(mid);
	free(cookie);
}
END_TEST

START_TEST(test_answer)
{
	/* one answer, auto-replied, in the thread of the reported mail */
	char *ref = file_ok("gmail_inline.eml", "report");
	char *path = saved_mail_with("In-Reply-To: <CAFwd0001+gmail@mail.gmail.example>");
	ck_assert_msg(path != NULL, "no answer sent");
	char *mail = ts_read_file(path);
	ck_assert(strstr(mail, "Auto-Submitted: auto-replied"));
	ck_assert(strstr(mail, "To: watanabe.hiroshi@city.example.jp") ||
		  strstr(mail, "<watanabe.hiroshi@city.example.jp>"));
	json_t *dec = ts_decode_mail(path);
	const char *subject = json_string_value(json_object_get(dec, "subject"));
	const char *body = json_string_value(json_object_get(dec, "text"));
	ck_assert_msg(subject && strstr(subject, ref), "subject %s", subject);
	ck_assert(body && strstr(body, "削除しないでください") && strstr(body, "開かない"));
	json_decref(dec);
	free(mail);
	long answers = scalar("SELECT count(*) FROM outbox WHERE template = 'mail_report_received'");
	ck_assert_int_eq(answers, 1);

	/* the answer sent back (an auto-reply, as a loop would): no answer */
	char *src = xasprintf("cat %s", path);
	char *out = NULL;
	ck_assert_int_eq(intake_cmd(src, "", app, &out), 0);
	free(out);
	free(src);
	free(path);
	/* nor to a vacation notice, a list, a bounce */
	static const char *const automatic[] = {
		"Auto-Submitted: auto-replied", "Precedence: bulk", "Precedence: list", NULL};
	for (int i = 0; automatic[i]; i++) {
		char *cmd = xasprintf("sed -e '/^Subject:/i %s' -e 's/CAFwd0001/auto%d/' "
				      FIX "gmail_inline.eml", automatic[i], i);
		ck_assert_int_eq(intake_cmd(cmd, "", app, NULL), 0);
		free(cmd);
	}
	ck_assert_int_eq(intake_cmd("sed -e 's/^From: .*/From: MAILER-DAEMON@city.example.jp/' "
				    "-e 's/CAFwd0001/bounce/' " FIX "gmail_inline.eml", "", app, NULL), 0);
	ck_assert_int_eq(scalar("SELECT count(*) FROM outbox WHERE template = 'mail_report_received'"),
			 answers);

	/* a reply to the answer by its reporter: a note on the incident */
	char *mid = text("SELECT message_id FROM outbox WHERE template = 'mail_report_received'");
	ck_assert(mid[0] == '<');
	char *reply = xasprintf("sed -e 's/^Message-ID: .*/Message-ID: <reply-1@city.example.jp>/' "
				"-e 's/^Subject: .*/Subject: Re: about the mail/' "
				"-e '/^Subject:/i In-Reply-To: %s' " FIX "gmail_inline.eml", mid);
	out = NULL;
	ck_assert_int_eq(intake_cmd(reply, "", app, &out), 0);
	ck_assert_msg(strstr(out, ref) && strstr(out, " note"), "%s", out);
	free(out);
	free(reply);
	ck_assert_int_eq(q_long("SELECT count(*) FROM incident_note n JOIN person p ON "
				"p.id = n.author_id WHERE n.incident_id = " INC " AND p.login = "
				"'watanabe.hiroshi' AND n.body LIKE '%%怪しいメールです%%'", ref), 1);
	ck_assert_int_eq(q_long("SELECT count(*) FROM attachment WHERE incident_id = " INC
				" AND filename = 'reply.eml'", ref), 1);
	/* notes get no answer */
	ck_assert_int_eq(scalar("SELECT count(*) FROM outbox WHERE template = 'mail_report_received'"),
			 answers);
	free(mid);

	/* the reference in the subject, from someone who may not write there: the queue */
	char *other = xasprintf("sed -e 's/watanabe.hiroshi@/osano.takeshi@/g' "
				"-e 's/^Subject: .*/Subject: Re: [Sokuho] %s/' "
				"-e 's/CAFwd0001/other-1/' " FIX "gmail_inline.eml", ref);
	out = NULL;
	ck_assert_int_eq(intake_cmd(other, "", app, &out), 0);
	ck_assert_msg(strstr(out, "queued") && !strstr(out, ref), "%s", out);
	free(out);
	free(other);
	free(ref);

	/* at most three answers an hour to one address */
	for (int i = 0; i < 4; i++) {
		char *cmd = xasprintf("sed -e 's/CAFwd0001/rate%d/' -e 's/Apple ID/Apple ID %d/' "
				      FIX "gmail_inline.eml", i, i);
		ck_assert_int_eq(intake_cmd(cmd, "", app, NULL), 0);
		free(cmd);
	}
	ck_assert_int_eq(scalar("SELECT count(*) FROM outbox WHERE template = "
				"'mail_report_received' AND email = 'watanabe.hiroshi@city.example.jp'"),
			 3);
}
END_TEST

Suite *mailintake_suite(void)
{
	Suite *s = suite_create("mailintake");
	TCase *tc = tcase_create("fixtures");
	tcase_set_timeout(tc, 120);
	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_fixtures);
	tcase_add_test(tc, test_refused);
	suite_add_tcase(s, tc);
	TCase *tw = tcase_create("wave");
	tcase_set_timeout(tw, 120);
	tcase_add_unchecked_fixture(tw, setup, teardown);
	tcase_add_test(tw, test_wave);
	suite_add_tcase(s, tw);
	TCase *ta = tcase_create("answer");
	tcase_set_timeout(ta, 120);
	tcase_add_unchecked_fixture(ta, setup_mail, teardown_mail);
	tcase_add_test(ta, test_answer);
	suite_add_tcase(s, ta);
	return s;
}
