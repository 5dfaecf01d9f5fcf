/* E-mail end to end with a real SMTP server (aiosmtpd, tests/mail/smtpd.py):
 * a new report mails the expected people and Python's email package decodes
 * every Subject and body to exactly what Sokuho rendered; the server down,
 * then up: every mail delivered once; 4xx retried, 5xx dead and shown to the
 * admin; a sender killed mid-send resends with the same Message-ID; outcomes
 * the database refuses are kept and recorded later, nothing sent twice; the
 * acknowledge link is valid once, and expired, reused and tampered links
 * get a clear page; only those who may acknowledge get one (not the CSIRT). */
#include <check.h>
#include <dirent.h>
#include <libpq-fe.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "client.h"
#include "core/buf.h"
#include "mail/mailer.h"
#include "core/xalloc.h"
#include "db/db.h"
#include "support.h"

Suite *mail_suite(void);

static char *db;
static int port, smtp_port;
static pid_t server, smtpd;
static char logfile[256];
static char *maildir;

static long scalar(const char *q)
{
	return ts_scalar(db, q);
}

static void sql(const char *q)
{
	ts_sql(db, q);
}

static pid_t start_smtpd(void)
{
	return ts_start_smtpd(smtp_port, maildir);
}

static void stop_smtpd(void)
{
	kill(smtpd, SIGTERM);
	waitpid(smtpd, NULL, 0);
	smtpd = 0;
}

static pid_t start_sokuho(void)
{
	char sp[16], base[64];
	snprintf(sp, sizeof sp, "%d", smtp_port);
	snprintf(base, sizeof base, "http://127.0.0.1:%d", port);
	const char *extra[] = {"--smtp_host", "127.0.0.1", "--smtp_port", sp, "--smtp_starttls",
			       "off", "--base_url", base, "--mail_from", "sokuho@city.example.jp",
			       NULL};
	return ts_start_server(db, port, extra, logfile);
}

static void setup(void)
{
	db = ts_prepared_database(1);
	/* This suite counts what its own reports and rows send: the demo
	 * queues nothing (its grants send no role_granted notice). */
	ck_assert_int_eq(ts_scalar(db, "SELECT count(*) FROM outbox"), 0);
	ts_sql(db, "UPDATE clock_offset SET offset_by = " TS_EARLY_MORNING);
	maildir = ts_tmpdir();
	port = ts_free_port();
	smtp_port = ts_free_port();
	snprintf(logfile, sizeof logfile, "/tmp/sokuho-mail-%d.log", (int)getpid());
	unlink(logfile);
	smtpd = start_smtpd();
	server = start_sokuho();
}

static void teardown(void)
{
	ck_assert_int_eq(ts_stop_server_log(server, logfile), 0);
	if (smtpd > 0) {
		kill(smtpd, SIGTERM);
		waitpid(smtpd, NULL, 0);
	}
	unlink(logfile);
	free(maildir);
	free(db);
}

static int count_eml(void)
{
	DIR *d = opendir(maildir);
	int n = 0;
	struct dirent *e;
	while (d && (e = readdir(d)))
		if (strstr(e->d_name, ".eml"))
			n++;
	if (d)
		closedir(d);
	return n;
}

/* Waits until no mail is queued and due (or the time runs out). */
static void wait_sent(const char *where, int seconds)
{
	for (int i = 0; i < seconds * 20; i++) {
		char *q = xasprintf("SELECT count(*) FROM outbox WHERE status = 'queued' AND %s", where);
		long n = scalar(q);
		free(q);
		if (n == 0)
			return;
		usleep(50 * 1000);
	}
	ck_abort_msg("mail still queued after %d s (%s)", seconds, where);
}

static char *file_report(const char *summary)
{
	char *cookie = client_sign_in(port, "sakai.haruto", "demo-password-2026");
	ck_assert(cookie != NULL);
	char *csrf = client_page_csrf(port, "/my/reports", cookie);
	char *hdr = xasprintf("X-CSRF-Token: %s", csrf);
	char *body = xasprintf("{\"summary\": \"%s\", \"discovered_at\": \"2026-11-24T10:00:00+09:00\", "
			       "\"category\": \"loss_theft\", \"site\": \"honchosha\", \"section\": "
			       "\"zeimu\", \"personal_data\": {\"involved\": \"no\"}}",
			       summary);
	struct resp r;
	client_json(port, "POST", "/api/v1/incidents", cookie, hdr, body, &r);
	ck_assert_int_eq(r.status, 201);
	const char *p = strstr(buf_cstr(&r.body), "\"ref\":\"");
	ck_assert(p != NULL);
	char *ref = xstrndup(p + 7, 13);
	resp_release(&r);
	free(body);
	free(hdr);
	free(csrf);
	free(cookie);
	return ref;
}

static json_t *decode(const char *path)
{
	return ts_decode_mail(path);
}

/* Every message the SMTP server saved, decoded: an array (caller frees). */
static json_t *decoded_all(void)
{
	json_t *all = json_array();
	DIR *d = opendir(maildir);
	struct dirent *e;
	while (d && (e = readdir(d))) {
		if (!strstr(e->d_name, ".eml"))
			continue;
		char path[512];
		snprintf(path, sizeof path, "%s/%s", maildir, e->d_name);
		json_t *m = decode(path);
		json_object_set_new(m, "path", json_string(path));
		json_array_append_new(all, m);
	}
	if (d)
		closedir(d);
	return all;
}

static char *row_text(const char *q)
{
	PGconn *c = PQconnectdb(db);
	PGresult *r = PQexec(c, q);
	ck_assert_msg(PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1, "%s: %s", q,
		      PQresultErrorMessage(r));
	char *v = xstrdup(PQgetvalue(r, 0, 0));
	PQclear(r);
	PQfinish(c);
	return v;
}

/* text (a delivered body) as the outbox keeps it: each acknowledge link
 * replaced by the note of the mail's language. Caller frees. */
static char *as_kept(const char *text, const char *kept)
{
	const char *note = strstr(kept, MAILER_ACK_PLACEHOLDER_EN) ? MAILER_ACK_PLACEHOLDER_EN
								  : MAILER_ACK_PLACEHOLDER_JA;
	buf out;
	buf_init(&out);
	const char *p = text, *ack;
	while ((ack = strstr(p, "/ack/"))) {
		const char *start = ack;
		while (start > p && strncmp(start, "http", 4) != 0)
			start--;
		buf_append(&out, p, (size_t)(start - p));
		buf_puts(&out, note);
		p = ack + strcspn(ack, " \n\r）)");
	}
	buf_puts(&out, p);
	return buf_detach(&out, NULL);
}

/* The delivered text of the outbox row the query's one column (message_id)
 * names. Caller frees. */
static char *delivered_text(const char *message_id_query)
{
	char *mid = row_text(message_id_query);
	json_t *all = decoded_all();
	size_t k;
	json_t *m;
	char *text = NULL;
	json_array_foreach(all, k, m) {
		const char *id = json_string_value(json_object_get(m, "message_id"));
		if (id && strcmp(id, mid) == 0)
			text = xstrdup(json_string_value(json_object_get(m, "text")));
	}
	json_decref(all);
	ck_assert_msg(text != NULL, "no delivered mail with Message-ID %s", mid);
	free(mid);
	return text;
}

START_TEST(test_report_mails_decode_exactly)
{
	char *ref = file_report("USBメモリを紛失しました（税務課）");
	char *where = xasprintf("incident_id = (SELECT id FROM incident WHERE ref = '%s')", ref);
	wait_sent(where, 20);
	/* The section's 管理者 and the CSIRT are told of the report. */
	char *q = xasprintf("SELECT count(*) FROM outbox o JOIN person p ON p.id = o.recipient_id "
			    "WHERE %s AND o.template = 'reported' AND o.status = 'sent' AND p.login "
			    "IN ('yamazaki.tsutomu', 'matsuda.kazuya')",
			    where);
	ck_assert_int_eq(scalar(q), 2);
	free(q);
	q = xasprintf("SELECT count(*) FROM outbox WHERE %s", where);
	long rows = scalar(q);
	free(q);
	ck_assert_int_eq(count_eml(), rows);
	/* Every message, decoded by Python, is exactly what was rendered. */
	json_t *all = decoded_all();
	size_t k;
	json_t *m;
	int checked = 0;
	json_array_foreach(all, k, m) {
		const char *mid = json_string_value(json_object_get(m, "message_id"));
		ck_assert(mid != NULL);
		q = xasprintf("SELECT subject FROM outbox WHERE message_id = '%s'", mid);
		char *subject = row_text(q);
		free(q);
		q = xasprintf("SELECT body FROM outbox WHERE message_id = '%s'", mid);
		char *body = row_text(q);
		free(q);
		ck_assert_str_eq(json_string_value(json_object_get(m, "subject")), subject);
		/* the outbox keeps no acknowledge link: only the mail holds one */
		ck_assert_msg(!strstr(body, "/ack/"), "an acknowledge link kept in the outbox: %s", body);
		char *text = as_kept(json_string_value(json_object_get(m, "text")), body);
		ck_assert_msg(strncmp(text, body, strlen(body)) == 0, "body differs:\n%s\n---\n%s", text,
			      body);
		free(text);
		ck_assert_msg(json_array_size(json_object_get(m, "defects")) == 0, "defects in %s",
			      json_string_value(json_object_get(m, "path")));
		ck_assert(strstr(subject, ref) || strstr(body, ref));
		ck_assert(strstr(body, "USBメモリを紛失しました（税務課）"));
		free(subject);
		free(body);
		checked++;
	}
	json_decref(all);
	ck_assert_int_eq(checked, rows);
	free(where);
	free(ref);
}
END_TEST

START_TEST(test_smtp_down_then_up)
{

	stop_smtpd();
	char *ref = file_report("メールサーバー停止中の報告");
	char *where = xasprintf("incident_id = (SELECT id FROM incident WHERE ref = '%s')", ref);
	/* Tried, refused, queued for later. A claim counts the attempt when it
	 * commits, before the refusal is recorded: wait for the refusal itself
	 * (the sanitizer build on a busy machine is slow to be refused). */
	char *q = xasprintf("SELECT count(*) FROM outbox WHERE %s AND (attempts = 0 OR last_error IS NULL)",
			    where);
	for (int i = 0; i < 400 && scalar(q) > 0; i++)
		usleep(50 * 1000);
	free(q);
	q = xasprintf("SELECT count(*) FROM outbox WHERE %s AND status = 'queued' AND "
		      "last_error IS NOT NULL AND attempts >= 1",
		      where);
	long rows = scalar(q);
	free(q);
	ck_assert_int_ge(rows, 2);
	/* The rows refused while the server was down: the moved clock below
	 * lets the engine (awake every LIVENESS_BEAT_S) escalate the report,
	 * which queues more mail for it, not this test's subject. */
	q = xasprintf("SELECT 'id IN (' || string_agg(id::text, ', ') || ')' FROM outbox WHERE %s "
		      "AND status = 'queued' AND last_error IS NOT NULL AND attempts >= 1",
		      where);
	char *refused = row_text(q);
	free(q);
	/* A new server process numbers its files from the start: give it a
	 * folder of its own (this test runs last, in its own process). */
	free(maildir);
	maildir = ts_tmpdir();
	smtpd = start_smtpd();
	/* The retry is due after the backoff: move the clock past it. */
	sql("UPDATE clock_offset SET offset_by = " TS_EARLY_MORNING " + interval '2 hours'");
	sql("NOTIFY sokuho_mail");
	wait_sent(where, 20);
	wait_sent("true", 20);
	free(where);
	where = refused;
	q = xasprintf("SELECT count(*) FROM outbox WHERE %s AND status = 'sent'", where);
	ck_assert_int_eq(scalar(q), rows);
	free(q);
	/* Each exactly once: every refused row arrived, none twice (escalations
	 * and a daily digest the moved clock queued may arrive too). */
	json_t *all = decoded_all();
	size_t k;
	json_t *m;
	long mine = 0;
	json_array_foreach(all, k, m) {
		q = xasprintf("SELECT count(*) FROM outbox WHERE %s AND message_id = '%s'", where,
			      json_string_value(json_object_get(m, "message_id")));
		mine += scalar(q);
		free(q);
	}
	json_decref(all);
	ck_assert_int_eq(mine, rows);
	q = xasprintf("SELECT count(DISTINCT message_id) FROM outbox WHERE %s", where);
	ck_assert_int_eq(scalar(q), rows);
	free(q);
	sql("UPDATE clock_offset SET offset_by = " TS_EARLY_MORNING);
	free(where);
	free(ref);
}
END_TEST

static long long queue_mail(const char *email)
{
	char *q = xasprintf("INSERT INTO outbox (dedup_key, incident_id, recipient_id, email, "
			    "template, data) SELECT 'test:' || '%s', max(id), (SELECT id FROM person "
			    "WHERE login = 'sakai.haruto'), '%s', 'reminder', '{}' FROM incident "
			    "RETURNING id",
			    email, email);
	long long id = scalar(q);
	free(q);
	return id;
}

START_TEST(test_4xx_retried_5xx_dead)
{
	long long t = queue_mail("temp1@city.example.jp");
	long long b = queue_mail("bad1@city.example.jp");
	char *q = xasprintf("id IN (%lld, %lld) AND attempts = 0", t, b);
	wait_sent(q, 20);
	free(q);
	q = xasprintf("SELECT count(*) FROM outbox WHERE id = %lld AND status = 'queued' AND "
		      "attempts = 1 AND last_error LIKE '451%%' AND next_attempt_at > sokuho_now()",
		      t);
	ck_assert_int_eq(scalar(q), 1);
	free(q);
	q = xasprintf("SELECT count(*) FROM outbox WHERE id = %lld AND status = 'dead' AND "
		      "last_error LIKE '550%%'",
		      b);
	ck_assert_int_eq(scalar(q), 1);
	free(q);
	char *admin = client_sign_in(port, "tamura.haruka", "demo-password-2026");
	struct resp r;
	client_request(port, "GET", "/admin/outbox", NULL, admin, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert(strstr(buf_cstr(&r.body), "bad1@city.example.jp"));
	ck_assert(strstr(buf_cstr(&r.body), "550"));
	resp_release(&r);
	free(admin);
	sql("UPDATE outbox SET status = 'dead' WHERE email LIKE 'temp%'");
}
END_TEST

START_TEST(test_killed_mid_send_resends_same_id)
{
	long long id = queue_mail("slow1@city.example.jp");
	/* Killed while the server takes its time over RCPT. */
	long claimed = 0;
	for (int i = 0; i < 250 && !claimed; i++) {
		char *q = xasprintf("SELECT count(*) FROM outbox WHERE id = %lld AND attempts = 1", id);
		claimed = scalar(q);
		free(q);
		if (!claimed)
			usleep(20 * 1000);
	}
	ck_assert_msg(claimed, "the sender never took the mail");
	usleep(500 * 1000);
	kill(server, SIGKILL);
	waitpid(server, NULL, 0);
	char *q = xasprintf("SELECT status || ' attempts=' || attempts || ' lease=' || "
			    "coalesce(lease_until::text, '-') || ' error=' || coalesce(last_error, '-') "
			    "FROM outbox WHERE id = %lld",
			    id);
	char *state = row_text(q);
	free(q);
	q = xasprintf("SELECT count(*) FROM outbox WHERE id = %lld AND status = 'queued' AND "
		      "lease_until IS NOT NULL AND message_id IS NOT NULL",
		      id);
	ck_assert_msg(scalar(q) == 1, "killed mid-send, but the row is %s", state);
	free(q);
	free(state);
	q = xasprintf("SELECT message_id FROM outbox WHERE id = %lld", id);
	char *mid = row_text(q);
	free(q);
	server = start_sokuho();
	/* The lease expires; another sender takes it over. */
	sql("UPDATE clock_offset SET offset_by = " TS_EARLY_MORNING " + interval '3 minutes'");
	sql("NOTIFY sokuho_mail");
	q = xasprintf("id = %lld", id);
	wait_sent(q, 20);
	free(q);
	sql("UPDATE clock_offset SET offset_by = " TS_EARLY_MORNING);
	q = xasprintf("SELECT count(*) FROM outbox WHERE id = %lld AND status = 'sent' AND attempts "
		      "= 2 AND message_id = '%s'",
		      id, mid);
	ck_assert_int_eq(scalar(q), 1);
	free(q);
	/* The copy that arrived carries the same Message-ID. */
	json_t *all = decoded_all();
	size_t k;
	json_t *m;
	int found = 0;
	json_array_foreach(all, k, m) {
		if (strcmp(json_string_value(json_object_get(m, "to_addr")), "slow1@city.example.jp") == 0) {
			ck_assert_str_eq(json_string_value(json_object_get(m, "message_id")), mid);
			found++;
		}
	}
	json_decref(all);
	ck_assert_int_ge(found, 1);
	free(mid);
}
END_TEST

/* The database refuses the outcomes of mail already delivered (as while it
 * restarts): they are kept in memory, nothing more is claimed, and once it
 * takes them again each is recorded and no mail is sent twice, even though
 * the claims' leases have expired meanwhile. */
START_TEST(test_outcomes_kept_while_database_refuses)
{
	sql("CREATE TABLE fault_flag (refuse boolean NOT NULL)");
	sql("INSERT INTO fault_flag VALUES (true)");
	sql("GRANT SELECT ON fault_flag TO sokuho_app"); /* the server's role reads it */
	sql("CREATE FUNCTION fault_refuse() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN "
	    "IF NEW.status = 'sent' AND (SELECT refuse FROM fault_flag) THEN "
	    "RAISE EXCEPTION 'outcome refused by the test'; END IF; RETURN NEW; END$$");
	sql("CREATE TRIGGER fault_refuse BEFORE UPDATE ON outbox FOR EACH ROW "
	    "EXECUTE FUNCTION fault_refuse()");
	long long a = queue_mail("kept1@city.example.jp");
	long long b = queue_mail("kept2@city.example.jp");
	long long c = queue_mail("kept3@city.example.jp");
	sql("NOTIFY sokuho_mail");
	/* the first batch is delivered and its outcomes refused; nothing more
	 * is claimed until they are recorded */
	char *log = NULL;
	for (int i = 0; i < 200; i++) {
		free(log);
		log = ts_read_file(logfile);
		if (log && strstr(log, "event=mail_record_failed kept="))
			break;
		usleep(50 * 1000);
	}
	ck_assert_msg(log && strstr(log, "event=mail_record_failed kept="), "%s", log ? log : "");
	int kept = atoi(strstr(log, "event=mail_record_failed kept=") + 30);
	free(log);
	ck_assert_int_ge(kept, 1);
	ck_assert_int_eq(count_eml(), kept);
	char *q = xasprintf("SELECT count(*) FROM outbox WHERE id IN (%lld, %lld, %lld) AND "
			    "status = 'queued' AND lease_until IS NOT NULL",
			    a, b, c);
	ck_assert_int_eq(scalar(q), kept);
	free(q);
	/* The leases expire while the outcomes wait: nothing is sent again. */
	sql("UPDATE clock_offset SET offset_by = " TS_EARLY_MORNING " + interval '3 minutes'");
	sql("NOTIFY sokuho_mail");
	sleep(3);
	ck_assert_int_eq(count_eml(), kept);
	sql("UPDATE fault_flag SET refuse = false");
	q = xasprintf("SELECT count(*) FROM outbox WHERE id IN (%lld, %lld, %lld) AND "
		      "status = 'sent' AND attempts = 1 AND lease_until IS NULL",
		      a, b, c);
	long n = 0;
	for (int i = 0; i < 300 && (n = scalar(q)) < 3; i++)
		usleep(50 * 1000);
	ck_assert_int_eq(n, 3);
	free(q);
	sleep(1);
	ck_assert_int_eq(count_eml(), 3);
	log = ts_read_file(logfile);
	ck_assert_msg(log && strstr(log, "event=mailer_db_back"), "%s", log ? log : "");
	free(log);
	sql("UPDATE clock_offset SET offset_by = " TS_EARLY_MORNING);
}
END_TEST

START_TEST(test_acknowledge_link)
{
	char *ref = file_report("受領確認リンクの試験");
	char *where = xasprintf("incident_id = (SELECT id FROM incident WHERE ref = '%s')", ref);
	wait_sent(where, 20);
	/* No outbox row keeps a usable link; the mail as delivered holds it. */
	char *q = xasprintf("SELECT count(*) FROM outbox WHERE %s AND body LIKE '%%/ack/%%'", where);
	ck_assert_int_eq(scalar(q), 0);
	free(q);
	q = xasprintf("SELECT message_id FROM outbox o JOIN person p ON p.id = o.recipient_id WHERE "
		      "%s AND o.template = 'reported' AND p.login = 'yamazaki.tsutomu'",
		      where);
	char *body = delivered_text(q);
	free(q);
	const char *link = strstr(body, "/ack/");
	ck_assert_msg(link != NULL, "no acknowledge link in: %s", body);
	char path[256];
	snprintf(path, sizeof path, "%.*s", (int)strcspn(link, " \n\r）)"), link);
	struct resp r;
	client_request(port, "GET", path, NULL, NULL, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert(strstr(buf_cstr(&r.body), "受領を確認する"));
	char *csrf = resp_hidden(&r, "csrf");
	char *cv = resp_cookie(&r, "sokuho_csrf");
	resp_release(&r);
	char *cookie = xasprintf("sokuho_csrf=%s", cv);
	char *form = xasprintf("csrf=%s", csrf);
	/* A tampered link: one character changed. */
	char *bad = xstrdup(path);
	bad[strlen(bad) - 2] = bad[strlen(bad) - 2] == 'A' ? 'B' : 'A';
	client_request(port, "GET", bad, NULL, NULL, &r);
	ck_assert_int_eq(r.status, 400);
	ck_assert(strstr(buf_cstr(&r.body), "このリンクは正しくありません"));
	resp_release(&r);
	client_request(port, "POST", path, form, cookie, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert(strstr(buf_cstr(&r.body), "受領確認を記録しました"));
	resp_release(&r);
	/* Done as the recipient, in the audit log. */
	q = xasprintf("SELECT count(*) FROM audit_event a JOIN person p ON p.id = a.actor_id WHERE "
		      "a.%s AND a.kind = 'workflow.transition' AND p.login = 'yamazaki.tsutomu'",
		      where);
	ck_assert_int_eq(scalar(q), 1);
	free(q);
	/* Used once: never again. */
	client_request(port, "POST", path, form, cookie, &r);
	ck_assert_int_eq(r.status, 409);
	ck_assert(strstr(buf_cstr(&r.body), "既に使われています"));
	resp_release(&r);
	/* Issue 15, done-when 3: the token, a bearer credential until used,
	 * is in no access-log line (written "/ack/-") and in no stored row
	 * (outbox body or data, audit event) after the link was followed. */
	const char *tok = path + strlen("/ack/");
	ck_assert_uint_gt(strlen(tok), 20);
	char *slog = ts_read_file(logfile);
	ck_assert(slog != NULL);
	ck_assert_msg(strstr(slog, tok) == NULL, "the token is in the server log");
	ck_assert_msg(strstr(slog, "path=\"/ack/-\""), "no redacted access line in: %s", slog);
	free(slog);
	q = xasprintf("SELECT count(*) FROM outbox WHERE strpos(coalesce(body, '') || data::text, "
		      "'%s') > 0",
		      tok);
	ck_assert_int_eq(scalar(q), 0);
	free(q);
	q = xasprintf("SELECT count(*) FROM audit_event WHERE strpos(audit_event::text, '%s') > 0",
		      tok);
	ck_assert_int_eq(scalar(q), 0);
	free(q);
	/* The CSIRT is told but may not acknowledge (acknowledge.by is the
	 * 管理者, 統括 and the CISO): its mail holds the incident page only. */
	q = xasprintf("SELECT message_id FROM outbox o JOIN person p ON p.id = o.recipient_id WHERE "
		      "%s AND o.template = 'reported' AND p.login = 'takeuchi.misaki'",
		      where);
	char *body2 = delivered_text(q);
	free(q);
	ck_assert_msg(!strstr(body2, "/ack/"), "an acknowledge link for the CSIRT: %s", body2);
	ck_assert_msg(!strstr(body2, "受領確認ができます"), "%s", body2);
	char *page = xasprintf("http://127.0.0.1:%d/incidents/%s\n", port, ref);
	ck_assert_msg(strstr(body2, page), "no incident page link %s in: %s", page, body2);
	free(page);
	/* The same rule as the /ack/ handler's: a CSIRT member who is also the
	 * 統括's second deputy (松田, in the demo) may acknowledge, so his mail
	 * holds a link. */
	q = xasprintf("SELECT message_id FROM outbox o JOIN person p ON p.id = o.recipient_id WHERE "
		      "%s AND o.template = 'reported' AND p.login = 'matsuda.kazuya'",
		      where);
	char *body4 = delivered_text(q);
	free(q);
	ck_assert_msg(strstr(body4, "/ack/"), "no acknowledge link for the 統括's deputy: %s", body4);
	free(body4);
	/* Expired: the clock moves past the validity of another report's link. */
	char *ref2 = file_report("受領確認リンクの期限の試験");
	char *where2 = xasprintf("incident_id = (SELECT id FROM incident WHERE ref = '%s')", ref2);
	wait_sent(where2, 20);
	q = xasprintf("SELECT message_id FROM outbox o JOIN person p ON p.id = o.recipient_id WHERE "
		      "%s AND o.template = 'reported' AND p.login = 'yamazaki.tsutomu'",
		      where2);
	char *body3 = delivered_text(q);
	free(q);
	const char *link2 = strstr(body3, "/ack/");
	ck_assert_msg(link2 != NULL, "no acknowledge link in: %s", body3);
	char path2[256];
	snprintf(path2, sizeof path2, "%.*s", (int)strcspn(link2, " \n\r）)"), link2);
	sql("UPDATE clock_offset SET offset_by = " TS_EARLY_MORNING " + interval '4 days'");
	client_request(port, "GET", path2, NULL, NULL, &r);
	ck_assert_int_eq(r.status, 410);
	ck_assert(strstr(buf_cstr(&r.body), "有効期限が切れています"));
	resp_release(&r);
	sql("UPDATE clock_offset SET offset_by = " TS_EARLY_MORNING);
	free(body3);
	free(where2);
	free(ref2);
	free(body2);
	free(bad);
	free(form);
	free(cookie);
	free(cv);
	free(csrf);
	free(body);
	free(where);
	free(ref);
}
END_TEST

/* The audit event of a notification names what was queued: each outbox
 * row of the report's first mails, by id, recipient and template. */
START_TEST(test_audit_names_queued_mail)
{
	char *ref = file_report("監査に送信予定を記録する試験");
	char *where = xasprintf("incident_id = (SELECT id FROM incident WHERE ref = '%s')", ref);
	wait_sent(where, 20);
	/* every row the report queued is in the started events, once, with its
	 * recipient's name and template */
	char *q = xasprintf(
		"SELECT count(*) FROM outbox o JOIN person p ON p.id = o.recipient_id WHERE o.%s "
		"AND (SELECT count(*) FROM audit_event a, jsonb_array_elements(a.detail->'queued') x "
		"  WHERE a.%s AND a.kind = 'workflow.started' AND (x->>'outbox')::bigint = o.id "
		"  AND x->>'recipient' = p.display_name AND x->>'template' = o.template) = 1",
		where, where);
	long named = scalar(q);
	free(q);
	q = xasprintf("SELECT count(*) FROM outbox WHERE %s", where);
	long rows = scalar(q);
	free(q);
	ck_assert_int_ge(rows, 2);
	ck_assert_int_eq(named, rows);
	/* the 管理者 and a CSIRT member, by role */
	q = xasprintf("SELECT count(*) FROM audit_event a, jsonb_array_elements(a.detail->'queued') x "
		      "WHERE a.%s AND x->>'template' = 'reported' AND ((x->>'role' = "
		      "'security_manager' AND x->>'recipient' = (SELECT display_name FROM person "
		      "WHERE login = 'yamazaki.tsutomu')) OR (x->>'role' = 'csirt' AND x->>'recipient' "
		      "= (SELECT display_name FROM person WHERE login = 'takeuchi.misaki')))",
		      where);
	ck_assert_int_eq(scalar(q), 2);
	free(q);
	/* no key claims that anyone was notified */
	q = xasprintf("SELECT count(*) FROM audit_event WHERE %s AND detail ? 'notified'", where);
	ck_assert_int_eq(scalar(q), 0);
	free(q);
	free(where);
	free(ref);
}
END_TEST

/* A mail that ends dead is on its incident's timeline, to whom and why:
 * the SMTP server refusing the address for good (550), and a template that
 * does not exist. */
START_TEST(test_dead_mail_on_timeline)
{
	char *ref = file_report("届かないメールの試験");
	char *where = xasprintf("incident_id = (SELECT id FROM incident WHERE ref = '%s')", ref);
	wait_sent(where, 20);
	char *q = xasprintf(
		"INSERT INTO outbox (dedup_key, incident_id, recipient_id, email, template, data) "
		"SELECT 'test:dead:' || i.id || ':' || v.k, i.id, p.id, v.email, v.tmpl, '{}' "
		"FROM incident i, person p, (VALUES (1, 'bad.takeuchi@city.example.jp', 'reminder'), "
		"  (2, 'takeuchi.misaki@city.example.jp', 'escalatd')) v(k, email, tmpl) "
		"WHERE i.ref = '%s' AND p.login = 'takeuchi.misaki'",
		ref);
	sql(q);
	free(q);
	wait_sent(where, 20);
	q = xasprintf("SELECT count(*) FROM outbox WHERE %s AND status = 'dead'", where);
	ck_assert_int_eq(scalar(q), 2);
	free(q);
	/* one audit event per dead row, in its incident, naming it */
	q = xasprintf("SELECT count(*) FROM audit_event a JOIN outbox o ON o.id = "
		      "(a.detail->>'outbox')::bigint WHERE a.%s AND a.kind = 'mail.dead' AND "
		      "a.incident_id = o.incident_id AND a.detail->>'email' = o.email AND "
		      "a.detail->>'reason' = o.last_error AND a.actor_id IS NULL",
		      where);
	ck_assert_int_eq(scalar(q), 2);
	free(q);
	char *name = row_text("SELECT display_name FROM person WHERE login = 'takeuchi.misaki'");
	char *cookie = client_sign_in(port, "yamazaki.tsutomu", "demo-password-2026");
	ck_assert(cookie != NULL);
	char *path = xasprintf("/incidents/%s", ref);
	struct resp r;
	client_request(port, "GET", path, NULL, cookie, &r);
	ck_assert_int_eq(r.status, 200);
	const char *page = buf_cstr(&r.body);
	const char *tl = strstr(page, "class=\"timeline\"");
	ck_assert(tl != NULL);
	/* both entries: who, which address, why */
	const char *e1 = strstr(tl, "bad.takeuchi@city.example.jp");
	ck_assert_msg(e1 != NULL, "%s", tl);
	ck_assert_msg(strstr(tl, "メールが届きませんでした"), "%s", tl);
	ck_assert_msg(strstr(tl, name), "%s", tl);
	ck_assert_msg(strstr(tl, "550"), "%s", tl);
	ck_assert_msg(strstr(tl, "no mail template"), "%s", tl);
	ck_assert_msg(strstr(tl, "escalatd"), "%s", tl);
	resp_release(&r);
	/* and the printable record */
	free(path);
	path = xasprintf("/incidents/%s/print", ref);
	client_request(port, "GET", path, NULL, cookie, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_msg(strstr(buf_cstr(&r.body), "メール不達"), "%s", buf_cstr(&r.body));
	ck_assert(strstr(buf_cstr(&r.body), "bad.takeuchi@city.example.jp"));
	resp_release(&r);
	free(path);
	free(cookie);
	free(name);
	free(where);
	free(ref);
}
END_TEST

/* The daily digest goes out once a day from 08:00 Japan time, to the CISO and
 * the auditor. */
START_TEST(test_daily_digest_once)
{
	sql("UPDATE clock_offset SET offset_by = (date_trunc('day', now() AT TIME ZONE 'Asia/Tokyo') "
	    "+ interval '1 day 8 hours 30 minutes') - (now() AT TIME ZONE 'Asia/Tokyo')");
	sql("NOTIFY sokuho_mail");
	for (int i = 0; i < 100 && scalar("SELECT count(*) FROM outbox WHERE template = "
					  "'daily_digest' AND status = 'sent'") < 3;
	     i++)
		usleep(50 * 1000);
	for (int i = 0; i < 3; i++) {
		sql("NOTIFY sokuho_mail");
		usleep(200 * 1000);
	}
	ck_assert_int_eq(scalar("SELECT count(*) FROM outbox o JOIN person p ON p.id = "
				"o.recipient_id WHERE o.template = 'daily_digest' AND o.status = 'sent' "
				"AND p.login = 'sato.kenichi'"),
			 1);
	/* and the auditor's (issue 17: it carries the audit checkpoint) */
	ck_assert_int_eq(scalar("SELECT count(*) FROM outbox o JOIN person p ON p.id = "
				"o.recipient_id WHERE o.template = 'daily_digest' AND o.status = 'sent' "
				"AND p.login = 'wada.tomomi'"),
			 1);
	/* one each: the demo city has one CISO and two auditors in rank */
	ck_assert_int_eq(scalar("SELECT count(*) FROM outbox WHERE template = 'daily_digest'"),
			 scalar("SELECT count(DISTINCT person_id) FROM (SELECT * FROM "
				"resolve_role_rung('ciso', NULL, NULL, 0) UNION ALL SELECT * FROM "
				"resolve_role_rung('auditor', NULL, NULL, 0)) x WHERE absence_id IS NULL"));
	sql("UPDATE clock_offset SET offset_by = " TS_EARLY_MORNING);
}
END_TEST

/* Absences (issue 19, done-when 5): the section's 管理者 away, a report
 * filed — the first rung's mail goes to the deputy and says for whom she
 * acts; the audit event and the incident page name the skipped holder and
 * why; the holder may still see the incident. The absence is made on the
 * 管理者's own page. */
START_TEST(test_absent_manager_skipped)
{
	char *today = row_text("SELECT sokuho_today()::text");
	char *until = row_text("SELECT (sokuho_today() + 2)::text");
	char *label = row_text("SELECT to_char(sokuho_today() + 2, CASE WHEN extract(year FROM "
			       "sokuho_today() + 2) = extract(year FROM sokuho_today()) THEN '' "
			       "ELSE 'YYYY\"年\"' END || 'FMMM\"月\"FMDD\"日まで\"')");
	char *holder = client_sign_in(port, "yamazaki.tsutomu", "demo-password-2026");
	ck_assert(holder != NULL);
	char *form = xasprintf("kind=leave&starts_on=%s&ends_on=%s", today, until);
	ck_assert_int_eq(client_post_page(port, "/account/absences", holder, form), 303);
	free(form);

	char *ref = file_report("管理者不在の試験");
	char *where = xasprintf("incident_id = (SELECT id FROM incident WHERE ref = '%s')", ref);
	wait_sent(where, 20);
	/* the report goes to the deputy, not to the absent holder */
	static const char *const logins[2] = {"mori.akiko", "yamazaki.tsutomu"};
	for (int k = 0; k < 2; k++) {
		char *q = xasprintf("SELECT count(*) FROM outbox o JOIN person p ON p.id = "
				    "o.recipient_id WHERE o.%s AND o.template = 'reported' AND "
				    "p.login = '%s'",
				    where, logins[k]);
		ck_assert_int_eq(scalar(q), k == 0 ? 1 : 0);
		free(q);
	}
	/* the delivered mail says for whom she acts, and why */
	char *q = xasprintf("SELECT o.message_id FROM outbox o JOIN person p ON p.id = "
			    "o.recipient_id WHERE o.%s AND o.template = 'reported' AND p.login = "
			    "'mori.akiko'",
		      where);
	char *text = delivered_text(q);
	free(q);
	char *want = xasprintf("山崎 努（休暇、%s）が不在のため、代理の方としてお知らせしています", label);
	ck_assert_msg(strstr(text, want), "want '%s' in:\n%s", want, text);
	free(want);
	free(text);
	/* the audit event names the skipped holder, why, and who instead */
	want = xasprintf("山崎 努（休暇、%s）に代わり 森 明子 へ", label);
	q = xasprintf("SELECT count(*) FROM audit_event a, jsonb_array_elements(a.detail->'queued') x "
		      "WHERE a.%s AND a.kind = 'workflow.started' AND x->>'template' = 'reported' "
		      "AND x->>'role' = 'security_manager' AND x->>'recipient' = '森 明子' AND "
		      "x->>'skip_ja' = '%s' AND x->>'skip_en' LIKE 'to 森 明子 in place of 山崎 努 (on "
		      "leave until %%' AND x->'skipped'->0->>'name' = '山崎 努'",
		      where, want);
	ck_assert_int_eq(scalar(q), 1);
	free(q);
	/* the incident page: in the timeline, beside the owner and who is told */
	char *deputy = client_sign_in(port, "mori.akiko", "demo-password-2026");
	ck_assert(deputy != NULL);
	char *path = xasprintf("/incidents/%s", ref);
	struct resp r;
	client_request(port, "GET", path, NULL, deputy, &r);
	ck_assert_int_eq(r.status, 200);
	const char *page = buf_cstr(&r.body);
	const char *tl = strstr(page, "class=\"timeline\"");
	ck_assert(tl != NULL);
	ck_assert_msg(strstr(tl, want), "want '%s' in:\n%s", want, tl);
	char *told = xasprintf("森 明子<span class=\"absent\">（山崎 努（休暇、%s）に代わり）", label);
	ck_assert_msg(strstr(page, told), "want '%s' in:\n%s", told, page);
	free(told);
	/* the run's owner: the acting holder, and for whom */
	told = xasprintf("— 森 明子<span class=\"absent\">（山崎 努（休暇、%s）に代わり）", label);
	ck_assert_msg(strstr(page, told), "want '%s' in:\n%s", told, page);
	free(told);
	resp_release(&r);
	/* in English too */
	char *en = xasprintf("%s?lang=en", path);
	client_request(port, "GET", en, NULL, deputy, &r);
	free(en);
	ck_assert_int_eq(r.status, 200);
	tl = strstr(buf_cstr(&r.body), "class=\"timeline\"");
	ck_assert(tl != NULL);
	ck_assert_msg(strstr(tl, "to 森 明子 in place of 山崎 努 (on leave until "), "%.3000s", tl);
	ck_assert_msg(strstr(buf_cstr(&r.body), "森 明子<span class=\"absent\"> (acting for 山崎 努 "
						"(on leave until "),
		      "no acting-for in English");
	resp_release(&r);
	/* the reporter's confirmation says who is told instead */
	char *reporter = client_sign_in(port, "sakai.haruto", "demo-password-2026");
	char *filed = xasprintf("/report/filed/%s", ref);
	client_request(port, "GET", filed, NULL, reporter, &r);
	ck_assert_int_eq(r.status, 200);
	told = xasprintf("森 明子<span class=\"absent\">（山崎 努（休暇、%s）に代わり）", label);
	ck_assert_msg(strstr(buf_cstr(&r.body), told), "want '%s' in:\n%s", told,
		      buf_cstr(&r.body));
	free(told);
	resp_release(&r);
	free(filed);
	free(reporter);
	/* the absent holder still sees it (absence changes who is told only) */
	client_request(port, "GET", path, NULL, holder, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert(strstr(buf_cstr(&r.body), "/acknowledge\""));
	resp_release(&r);
	sql("DELETE FROM absence");
	free(path);
	free(deputy);
	free(want);
	free(holder);
	free(where);
	free(ref);
	free(label);
	free(until);
	free(today);
}
END_TEST

/* POSTs fields to path as cookie with the CSRF token of page; the status. */
static long post_from(const char *page, const char *path, const char *cookie, const char *fields)
{
	char *csrf = client_page_csrf(port, page, cookie);
	char *form = xasprintf("csrf=%s%s%s", csrf, *fields ? "&" : "", fields);
	struct resp r;
	client_request(port, "POST", path, form, cookie, &r);
	long status = r.status;
	resp_release(&r);
	free(form);
	free(csrf);
	return status;
}

/* Absences on the web: one's own page (CSRF; only one's own), the admin for
 * anyone, another staff member refused (403). */
START_TEST(test_absence_pages)
{
	char *me = client_sign_in(port, "sakai.haruto", "demo-password-2026");
	char *other = client_sign_in(port, "ito.naoki", "demo-password-2026");
	char *admin = client_sign_in(port, "tamura.haruka", "demo-password-2026");
	ck_assert(me && other && admin);
	struct resp r;
	/* without the CSRF token: refused */
	client_request(port, "POST", "/account/absences",
		       "kind=trip&starts_on=2099-05-01&ends_on=2099-05-02", me, &r);
	ck_assert_int_eq(r.status, 403);
	resp_release(&r);
	ck_assert_int_eq(client_post_page(port, "/account/absences", me,
					  "kind=trip&starts_on=2099-05-01&ends_on=2099-05-02&note="
					  "%E5%A4%A7%E9%98%AA"),
			 303);
	/* the last day before the first: the form again, with why */
	char *csrf = client_page_csrf(port, "/account/absences", me);
	char *f = xasprintf("csrf=%s&kind=leave&starts_on=2099-06-05&ends_on=2099-06-01", csrf);
	client_request(port, "POST", "/account/absences", f, me, &r);
	ck_assert_int_eq(r.status, 422);
	ck_assert_msg(strstr(buf_cstr(&r.body), "終了日は開始日以降にしてください"), "%s",
		      buf_cstr(&r.body));
	ck_assert(strstr(buf_cstr(&r.body), "value=\"2099-06-05\""));
	resp_release(&r);
	free(f);
	free(csrf);
	ck_assert_int_eq(scalar("SELECT count(*) FROM absence a JOIN person p ON p.id = a.person_id "
				"WHERE p.login = 'sakai.haruto' AND a.kind = 'trip' AND a.note = '大阪' "
				"AND a.created_by = p.id"),
			 1);
	ck_assert_int_eq(scalar("SELECT count(*) FROM audit_event a JOIN person p ON p.id = "
				"a.actor_id WHERE a.kind = 'absence.add' AND p.login = 'sakai.haruto' "
				"AND a.detail->>'login' = 'sakai.haruto'"),
			 1);
	client_request(port, "GET", "/account/absences", NULL, me, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert(strstr(buf_cstr(&r.body), "2099-05-01 〜 2099-05-02"));
	resp_release(&r);
	long id = scalar("SELECT max(id) FROM absence");
	char path[96];
	snprintf(path, sizeof path, "/account/absences/%ld/remove", id);
	/* another staff member may neither remove it nor add one for sakai */
	ck_assert_int_eq(post_from("/account/absences", path, other, ""), 403);
	char *opath = xstrdup("/admin/people/sakai.haruto/absences");
	csrf = client_page_csrf(port, "/account/absences", other);
	f = xasprintf("csrf=%s&kind=leave&starts_on=2099-07-01", csrf);
	client_request(port, "POST", opath, f, other, &r);
	ck_assert_int_eq(r.status, 403);
	resp_release(&r);
	free(f);
	free(csrf);
	ck_assert_int_eq(scalar("SELECT count(*) FROM absence"), 1);
	/* the admin adds one for sakai, sees both, removes one */
	csrf = client_page_csrf(port, "/admin/people/sakai.haruto", admin);
	f = xasprintf("csrf=%s&kind=training&starts_on=2099-07-01", csrf);
	client_request(port, "POST", opath, f, admin, &r);
	ck_assert_int_eq(r.status, 303);
	resp_release(&r);
	free(f);
	free(csrf);
	ck_assert_int_eq(scalar("SELECT count(*) FROM absence a JOIN person p ON p.id = "
				"a.created_by WHERE p.login = 'tamura.haruka' AND a.kind = 'training' "
				"AND a.starts_on = '2099-07-01' AND a.ends_on = '2099-07-01'"),
			 1);
	client_request(port, "GET", "/admin/people/sakai.haruto", NULL, admin, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert(strstr(buf_cstr(&r.body), "2099-05-01 〜 2099-05-02"));
	ck_assert(strstr(buf_cstr(&r.body), "2099-07-01 〜 2099-07-01"));
	resp_release(&r);
	long id2 = scalar("SELECT max(id) FROM absence");
	char apath[128];
	snprintf(apath, sizeof apath, "/admin/people/sakai.haruto/absences/%ld/remove", id2);
	ck_assert_int_eq(post_from("/admin/people/sakai.haruto", apath, admin, ""), 303);
	/* through another login the admin finds nothing */
	snprintf(apath, sizeof apath, "/admin/people/ito.naoki/absences/%ld/remove", id);
	csrf = client_page_csrf(port, "/admin/people/ito.naoki", admin);
	f = xasprintf("csrf=%s", csrf);
	client_request(port, "POST", apath, f, admin, &r);
	ck_assert_int_eq(r.status, 404);
	resp_release(&r);
	free(f);
	free(csrf);
	/* and sakai removes their own */
	ck_assert_int_eq(post_from("/account/absences", path, me, ""), 303);
	ck_assert_int_eq(scalar("SELECT count(*) FROM absence"), 0);
	ck_assert_int_eq(scalar("SELECT count(*) FROM audit_event WHERE kind = 'absence.remove'"), 2);
	free(opath);
	free(admin);
	free(other);
	free(me);
}
END_TEST

/* The holder and the deputy away: nobody is told at the first rung, the
 * audit event says why, and the dashboard flags the role. */
START_TEST(test_uncovered_role)
{
	sql("INSERT INTO absence (person_id, kind, starts_on, ends_on) SELECT id, CASE login WHEN "
	    "'yamazaki.tsutomu' THEN 'leave' ELSE 'training' END, sokuho_today(), sokuho_today() "
	    "FROM person WHERE login IN ('yamazaki.tsutomu', 'mori.akiko')");
	char *label = row_text("SELECT to_char(sokuho_today(), 'FMMM\"月\"FMDD\"日まで\"')");
	char *ref = file_report("管理者と代理の不在");
	char *where = xasprintf("incident_id = (SELECT id FROM incident WHERE ref = '%s')", ref);
	wait_sent(where, 20);
	char *q = xasprintf("SELECT count(*) FROM outbox o JOIN person p ON p.id = o.recipient_id "
			    "WHERE o.%s AND p.login IN ('yamazaki.tsutomu', 'mori.akiko')",
			    where);
	ck_assert_int_eq(scalar(q), 0);
	free(q);
	char *want = xasprintf("山崎 努（休暇、%s）、森 明子（研修、%s）は不在で、代わりに知らせる人が"
			       "いません",
			       label, label);
	q = xasprintf("SELECT count(*) FROM audit_event a, jsonb_array_elements(a.detail->'queued') x "
		      "WHERE a.%s AND a.kind = 'workflow.started' AND x->>'role' = "
		      "'security_manager' AND x->'recipient' = 'null' AND x->>'skip_ja' = '%s' AND "
		      "jsonb_array_length(x->'skipped') = 2",
		      where, want);
	ck_assert_int_eq(scalar(q), 1);
	free(q);
	char *ciso = client_sign_in(port, "sato.kenichi", "demo-password-2026");
	ck_assert(ciso != NULL);
	struct resp r;
	client_request(port, "GET", "/dashboard", NULL, ciso, &r);
	ck_assert_int_eq(r.status, 200);
	const char *b = buf_cstr(&r.body);
	const char *box = strstr(b, "id=\"h-uncovered\"");
	ck_assert_msg(box != NULL, "no flag on the dashboard");
	char *line = xasprintf("情報セキュリティ管理者（税務課）：山崎 努（休暇、%s）、森 明子（研修、%s）",
			       label, label);
	ck_assert_msg(strstr(box, line), "want '%s' in:\n%.2000s", line, box);
	free(line);
	resp_release(&r);
	sql("DELETE FROM absence");
	client_request(port, "GET", "/dashboard", NULL, ciso, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert(!strstr(buf_cstr(&r.body), "id=\"h-uncovered\""));
	resp_release(&r);
	free(ciso);
	free(want);
	free(where);
	free(ref);
	free(label);
}
END_TEST

/* The CISO away: the daily digest goes to the acting CISO (the first deputy). */
START_TEST(test_digest_to_acting_ciso)
{
	sql("INSERT INTO absence (person_id, kind, starts_on, ends_on) SELECT id, 'trip', "
	    "sokuho_today(), sokuho_today() + 3 FROM person WHERE login = 'sato.kenichi'");
	sql("UPDATE clock_offset SET offset_by = (date_trunc('day', now() AT TIME ZONE 'Asia/Tokyo') "
	    "+ interval '1 day 8 hours 30 minutes') - (now() AT TIME ZONE 'Asia/Tokyo')");
	sql("NOTIFY sokuho_mail");
	for (int i = 0; i < 100 && scalar("SELECT count(*) FROM outbox o JOIN person p ON p.id = "
					  "o.recipient_id WHERE o.template = 'daily_digest' AND "
					  "o.status = 'sent' AND p.login = 'watanabe.hiroshi'") == 0;
	     i++)
		usleep(50 * 1000);
	ck_assert_int_eq(scalar("SELECT count(*) FROM outbox o JOIN person p ON p.id = "
				"o.recipient_id WHERE o.template = 'daily_digest' AND o.status = 'sent' "
				"AND p.login = 'watanabe.hiroshi'"),
			 1);
	/* the CISO's one only (the auditors get theirs as well) */
	ck_assert_int_eq(scalar("SELECT count(*) FROM outbox o JOIN person p ON p.id = "
				"o.recipient_id WHERE o.template = 'daily_digest' AND p.login IN "
				"('sato.kenichi', 'watanabe.hiroshi')"),
			 1);
	sql("UPDATE clock_offset SET offset_by = " TS_EARLY_MORNING);
	sql("DELETE FROM absence");
}
END_TEST

Suite *mail_suite(void)
{
	Suite *s = suite_create("mail");
	TCase *tc = tcase_create("mail");
	tcase_set_timeout(tc, 180);
	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_report_mails_decode_exactly);
	tcase_add_test(tc, test_acknowledge_link);
	tcase_add_test(tc, test_audit_names_queued_mail);
	tcase_add_test(tc, test_dead_mail_on_timeline);
	tcase_add_test(tc, test_4xx_retried_5xx_dead);
	tcase_add_test(tc, test_daily_digest_once);
	/* Last: it stops and restarts the SMTP server inside its own process. */
	tcase_add_test(tc, test_smtp_down_then_up);
	suite_add_tcase(s, tc);
	/* Kills and restarts sokuho: a fixture of its own, run inside the
	 * test's process so that teardown stops the server that is running. */
	TCase *ta = tcase_create("absence");
	tcase_set_timeout(ta, 120);
	tcase_add_checked_fixture(ta, setup, teardown);
	tcase_add_test(ta, test_absent_manager_skipped);
	tcase_add_test(ta, test_absence_pages);
	tcase_add_test(ta, test_uncovered_role);
	tcase_add_test(ta, test_digest_to_acting_ciso);
	suite_add_tcase(s, ta);
	TCase *tk = tcase_create("killed");
	tcase_set_timeout(tk, 120);
	tcase_add_checked_fixture(tk, setup, teardown);
	tcase_add_test(tk, test_killed_mid_send_resends_same_id);
	suite_add_tcase(s, tk);
	TCase *tf = tcase_create("kept");
	tcase_set_timeout(tf, 120);
	tcase_add_checked_fixture(tf, setup, teardown);
	tcase_add_test(tf, test_outcomes_kept_while_database_refuses);
	suite_add_tcase(s, tf);
	return s;
}
