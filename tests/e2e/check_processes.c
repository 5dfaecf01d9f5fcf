/* Several processes against one database: two `sokuho serve` and two
 * `sokuho worker`, all sending mail to one test SMTP server. Reports are
 * filed through both servers, the clock moves so that escalations are due,
 * and then: every due timer fired exactly once, every queued mail was sent
 * exactly once (one saved message per sent row, distinct Message-IDs), the
 * work was spread over the processes, and all four stop cleanly. */
#include <check.h>
#include <dirent.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "client.h"
#include "core/xalloc.h"
#include "support.h"

Suite *processes_suite(void);

enum { NSERVERS = 2, NWORKERS = 2, NPROCS = NSERVERS + NWORKERS, REPORTS_EACH = 10 };

static char *db;
static char *maildir;
static int smtp_port;
static int ports[NSERVERS];
static pid_t smtpd, procs[NPROCS];
static char logs[NPROCS][256];

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

static pid_t start_server(int k)
{
	char sp[16], base[64];
	snprintf(sp, sizeof sp, "%d", smtp_port);
	snprintf(base, sizeof base, "http://127.0.0.1:%d", ports[k]);
	const char *extra[] = {"--engine_threads", "1", "--smtp_host", "127.0.0.1", "--smtp_port",
			       sp, "--smtp_starttls", "off", "--base_url", base, "--mail_from",
			       "sokuho@city.example.jp", NULL};
	return ts_start_server(db, ports[k], extra, logs[k]);
}

/* A worker gets the same SMTP settings through the environment. */
static pid_t start_worker(int k)
{
	pid_t pid = fork();
	ck_assert(pid >= 0);
	if (pid == 0) {
		char sp[16];
		snprintf(sp, sizeof sp, "%d", smtp_port);
		setenv("DATABASE_URL", db, 1);
		setenv("SOKUHO_SMTP_HOST", "127.0.0.1", 1);
		setenv("SOKUHO_SMTP_PORT", sp, 1);
		setenv("SOKUHO_SMTP_STARTTLS", "off", 1);
		setenv("SOKUHO_MAIL_FROM", "sokuho@city.example.jp", 1);
		setenv("SOKUHO_BASE_URL", "http://127.0.0.1:8080", 1);
		int fd = open(logs[k], O_WRONLY | O_CREAT | O_APPEND, 0600);
		if (fd >= 0)
			dup2(fd, 2);
		execl(ts_bin(), ts_bin(), "worker", "--engine_threads", "1", (char *)NULL);
		_exit(127);
	}
	/* Started: the engine says so in its log. */
	for (int i = 0; i < 200; i++) {
		char *log = ts_read_file(logs[k]);
		int up = log && strstr(log, "event=engine_started");
		free(log);
		if (up)
			return pid;
		int st;
		ck_assert_msg(waitpid(pid, &st, WNOHANG) != pid, "worker %d exited at start", k);
		usleep(50 * 1000);
	}
	ck_abort_msg("worker %d did not start", k);
	return -1;
}

static void setup(void)
{
	db = ts_prepared_database(1);
	ts_sql(db, "UPDATE clock_offset SET offset_by = " TS_EARLY_MORNING);
	maildir = ts_tmpdir();
	smtp_port = ts_free_port();
	for (int k = 0; k < NPROCS; k++) {
		snprintf(logs[k], sizeof logs[k], "%s/process-%d.log", maildir, k);
		procs[k] = 0;
	}
	smtpd = start_smtpd();
	for (int k = 0; k < NSERVERS; k++) {
		ports[k] = ts_free_port();
		procs[k] = start_server(k);
	}
	for (int k = NSERVERS; k < NPROCS; k++)
		procs[k] = start_worker(k);
}

static void teardown(void)
{
	for (int k = 0; k < NPROCS; k++) {
		if (procs[k] > 0)
			ts_stop_server(procs[k]);
		unlink(logs[k]);
	}
	if (smtpd > 0) {
		kill(smtpd, SIGTERM);
		waitpid(smtpd, NULL, 0);
	}
	free(maildir);
	free(db);
}

static void file_reports(int port, int n, int server)
{
	char *cookie = client_sign_in(port, "sakai.haruto", "demo-password-2026");
	ck_assert(cookie != NULL);
	char *csrf = client_page_csrf(port, "/my/reports", cookie);
	char *hdr = xasprintf("X-CSRF-Token: %s", csrf);
	for (int i = 0; i < n; i++) {
		char *body = xasprintf(
			"{\"summary\": \"複数プロセス試験 %d-%d\", \"discovered_at\": "
			"\"2026-11-24T10:00:00+09:00\", \"category\": \"loss_theft\", \"site\": "
			"\"honchosha\", \"section\": \"zeimu\", \"personal_data\": {\"involved\": "
			"\"no\"}}",
			server, i);
		struct resp r;
		client_json(port, "POST", "/api/v1/incidents", cookie, hdr, body, &r);
		ck_assert_msg(r.status == 201, "filing through server %d: %ld %s", server, r.status,
			      buf_cstr(&r.body));
		resp_release(&r);
		free(body);
	}
	free(hdr);
	free(csrf);
	free(cookie);
}

/* Waits until no timer is due unfired and no mail is queued, twice in a
 * row a little apart (a fired timer queues mail; sent mail fires nothing). */
static void wait_quiet(int seconds)
{
	int quiet = 0;
	for (int i = 0; i < seconds * 10; i++) {
		long timers = scalar("SELECT count(*) FROM timer WHERE fired_at IS NULL AND fire_at <= "
				     "sokuho_now()");
		long queued = scalar("SELECT count(*) FROM outbox WHERE status = 'queued'");
		if (timers == 0 && queued == 0) {
			if (++quiet == 3)
				return;
		} else {
			quiet = 0;
		}
		usleep(100 * 1000);
	}
	ck_abort_msg("timers or mail still pending after %d s", seconds);
}

/* How many mails a process's log says it sent. */
static int mails_sent_by(int k)
{
	char *log = ts_read_file(logs[k]);
	int n = 0;
	for (char *line = log; line && *line;) {
		char *end = strchr(line, '\n');
		if (end)
			*end = '\0';
		if (strstr(line, "event=mail ") && strstr(line, "outcome=sent"))
			n++;
		line = end ? end + 1 : NULL;
	}
	free(log);
	return n;
}

START_TEST(test_processes_share_the_work_exactly_once)
{
	for (int k = 0; k < NSERVERS; k++)
		file_reports(ports[k], REPORTS_EACH, k);
	ck_assert_int_eq(scalar("SELECT count(*) FROM incident"), NSERVERS * REPORTS_EACH +
		scalar("SELECT count(*) FROM incident WHERE summary NOT LIKE '複数プロセス試験%'"));
	/* The reports' own mail goes out first: moving the clock while a
	 * sender holds a lease would expire it and let another process send
	 * the same message again (a jump no real clock makes). */
	wait_quiet(60);
	/* The first rung of the escalation ladders (30 minutes) is due. */
	sql("UPDATE clock_offset SET offset_by = " TS_EARLY_MORNING " + interval '35 minutes'");
	sql("NOTIFY sokuho_wake");
	wait_quiet(90);

	/* Each due timer fired exactly once: one audit event per applied
	 * escalation timer, matched on its incident, workflow, level and
	 * repeat, and no more events than timers. */
	long applied = scalar("SELECT count(*) FROM timer WHERE kind = 'escalation' AND outcome = "
			      "'applied'");
	ck_assert_int_ge(applied, NSERVERS * REPORTS_EACH);
	ck_assert_int_eq(scalar("SELECT count(*) FROM audit_event WHERE kind = "
				"'workflow.escalated'"),
			 applied);
	ck_assert_int_eq(scalar("SELECT count(*) FROM timer t JOIN workflow_run r ON r.id = "
				"t.run_id JOIN workflow_def d ON d.id = r.def_id WHERE t.kind = "
				"'escalation' AND t.outcome = 'applied' AND (SELECT count(*) FROM "
				"audit_event a WHERE a.kind = 'workflow.escalated' AND a.incident_id "
				"= r.incident_id AND a.detail->>'workflow' = d.name AND "
				"(a.detail->>'level')::int = t.step + 1 AND (a.detail->>'repeat')::int "
				"= t.repeat) <> 1"),
			 0);
	ck_assert_int_eq(scalar("SELECT count(*) FROM timer WHERE fired_at IS NOT NULL AND outcome "
				"IS NULL"),
			 0);

	/* Every mail sent exactly once. */
	ck_assert_int_eq(scalar("SELECT count(*) FROM (SELECT dedup_key FROM outbox GROUP BY "
				"dedup_key HAVING count(*) > 1) x"),
			 0);
	ck_assert_int_eq(scalar("SELECT count(*) FROM outbox WHERE status <> 'sent'"), 0);
	long sent = scalar("SELECT count(*) FROM outbox WHERE status = 'sent'");
	ck_assert_int_ge(sent, NSERVERS * REPORTS_EACH * 2);
	ck_assert_int_eq(scalar("SELECT count(DISTINCT message_id) FROM outbox WHERE status = "
				"'sent'"),
			 sent);
	/* The SMTP server saved one message per sent row, each Message-ID a
	 * sent row's and none twice. */
	DIR *d = opendir(maildir);
	ck_assert(d != NULL);
	struct dirent *e;
	long eml = 0;
	char *ids = xstrdup("");
	while ((e = readdir(d))) {
		if (!strstr(e->d_name, ".eml"))
			continue;
		eml++;
		char path[512];
		snprintf(path, sizeof path, "%s/%s", maildir, e->d_name);
		json_t *m = ts_decode_mail(path);
		const char *mid = json_string_value(json_object_get(m, "message_id"));
		ck_assert_msg(mid != NULL && !strchr(mid, '\''), "%s: bad Message-ID", path);
		char *q = xasprintf("SELECT count(*) FROM outbox WHERE status = 'sent' AND "
				    "message_id = '%s'",
				    mid);
		ck_assert_msg(scalar(q) == 1, "%s: Message-ID %s is not one sent row's", path, mid);
		free(q);
		char *tagged = xasprintf("|%s|", mid);
		ck_assert_msg(strstr(ids, tagged) == NULL, "Message-ID %s arrived twice", mid);
		char *more = xasprintf("%s%s", ids, tagged);
		free(ids);
		ids = more;
		free(tagged);
		json_decref(m);
	}
	closedir(d);
	free(ids);
	ck_assert_int_eq(eml, sent);

	/* The work was spread. Mail is the observable part: each process logs
	 * event=mail per message it sent (applied timers are not logged per
	 * process). Which process wins a claim is a race, so this asserts only
	 * that more than one process took part and that the logs account for
	 * every message. */
	int senders = 0, logged = 0;
	for (int k = 0; k < NPROCS; k++) {
		int n = mails_sent_by(k);
		logged += n;
		senders += n > 0;
	}
	ck_assert_int_eq(logged, sent);
	ck_assert_msg(senders >= 2, "only %d of %d processes sent mail", senders, NPROCS);

	/* All four stop cleanly on SIGTERM. */
	for (int k = 0; k < NPROCS; k++) {
		int st = ts_stop_server_log(procs[k], logs[k]);
		procs[k] = 0;
		ck_assert_msg(st == 0, "process %d exited with %d", k, st);
	}
	sql("UPDATE clock_offset SET offset_by = " TS_EARLY_MORNING);
}
END_TEST

Suite *processes_suite(void)
{
	Suite *s = suite_create("processes");
	TCase *tc = tcase_create("processes");
	tcase_set_timeout(tc, 240);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_processes_share_the_work_exactly_once);
	suite_add_tcase(s, tc);
	return s;
}
