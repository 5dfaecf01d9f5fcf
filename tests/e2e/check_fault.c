/* The whole system through database outages, on clusters of the test's own
 * (each test case makes one, removed at its end even when a test failed).
 *
 * restart: `sokuho serve` (engine and mailer) with the test SMTP server, 8
 * clients filing reports (6 through the API, 2 through the form) while the
 * cluster is restarted with `pg_ctl restart -m fast` and then `-m
 * immediate`. Afterwards: every report acknowledged to a client (201/303) is
 * stored once, no client saw a 500 (503 while the database was away), and the
 * SMTP server received no Message-ID twice. The cost of each fault (seconds
 * from the first 503 to the first success, requests answered 503) is printed.
 *
 * health: /healthz turns 503 within 10 s of the engine losing its database
 * (the web side still reaching it) and of the cluster stopping, and 200
 * within 10 s of their return; `serve`, `worker` and `migrate --wait` started
 * with the cluster stopped wait for it and come up when it starts. */
#include <check.h>
#include <dirent.h>
#include <glob.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "client.h"
#include "load.h"
#include "core/xalloc.h"
#include "support.h"

Suite *fault_suite(void);

static char pgbin[256], pgdir[128], pgdata[200], pgopts[300], pglog[200];
static int port, smtp_port;
static pid_t server, smtpd;
static char logfile[256], maildir[200];
static char *db;

/* Runs a PostgreSQL tool (argv[0] its name) as the cluster's owner. */
static int pg(const char *const *args)
{
	char path[300];
	snprintf(path, sizeof path, "%s/%s", pgbin, args[0]);
	const char *argv[24];
	int n = 0;
	if (getuid() == 0) {
		argv[n++] = "runuser";
		argv[n++] = "-u";
		argv[n++] = "postgres";
		argv[n++] = "--";
	}
	argv[n++] = path;
	for (int i = 1; args[i] && n < 23; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	char *out = NULL, *err = NULL;
	int st = ts_run(argv, NULL, &out, &err);
	if (st != 0 && strcmp(args[1], "status") != 0)
		fprintf(stderr, "%s: %s%s\n", args[0], out ? out : "", err ? err : "");
	free(out);
	free(err);
	return st;
}

static void cluster_start(void)
{
	const char *start[] = {"pg_ctl", "start", "-w", "-D", pgdata, "-l", pglog, "-o", pgopts, NULL};
	ck_assert_int_eq(pg(start), 0);
}

static void cluster_stop(const char *mode)
{
	const char *stop[] = {"pg_ctl", "stop", "-w", "-m", mode, "-D", pgdata, NULL};
	ck_assert_int_eq(pg(stop), 0);
}

static int cluster_running(void)
{
	const char *status[] = {"pg_ctl", "status", "-D", pgdata, NULL};
	return pg(status) == 0;
}

/* The PG* variables the cluster's fixture sets, and what they were: it runs
 * in the test runner's own process (an unchecked fixture, so that its
 * teardown runs even when a test fails), and the suites after this one use
 * the runner's database. */
static const char *const pgvars[] = {"PGHOST", "PGPORT", "PGUSER", "PGDATABASE"};
static char *saved[4];

/* Unchecked fixture: a cluster of the test case's own with a demo database. */
static void cluster_up(void)
{
	for (int i = 0; i < 4; i++)
		saved[i] = getenv(pgvars[i]) ? xstrdup(getenv(pgvars[i])) : NULL;
	glob_t g;
	ck_assert(glob("/usr/lib/postgresql/*/bin/pg_ctl", 0, NULL, &g) == 0 && g.gl_pathc > 0);
	const char *last = g.gl_pathv[g.gl_pathc - 1];
	snprintf(pgbin, sizeof pgbin, "%.*s", (int)(strlen(last) - strlen("/pg_ctl")), last);
	globfree(&g);
	snprintf(pgdir, sizeof pgdir, "/tmp/sokuho-fault.XXXXXX");
	ck_assert(mkdtemp(pgdir) != NULL);
	chmod(pgdir, 0755);
	const char *owner = getuid() == 0 ? "postgres" : getenv("USER");
	if (getuid() == 0) {
		char cmd[300];
		snprintf(cmd, sizeof cmd, "chown postgres '%s'", pgdir);
		ck_assert(system(cmd) == 0);
	}
	snprintf(pgdata, sizeof pgdata, "%s/data", pgdir);
	const char *init[] = {"initdb", "-D", pgdata, "-U", owner, "-E", "UTF8",
			      "--locale=C.UTF-8", "--auth=trust", NULL};
	ck_assert_int_eq(pg(init), 0);
	int pgport = ts_free_port();
	char ps[16];
	snprintf(pgopts, sizeof pgopts,
		 "-p %d -k %s -c listen_addresses=127.0.0.1 -c max_connections=100", pgport, pgdir);
	snprintf(pglog, sizeof pglog, "%s/postgresql.log", pgdir);
	cluster_start();
	snprintf(ps, sizeof ps, "%d", pgport);
	setenv("PGHOST", "127.0.0.1", 1);
	setenv("PGPORT", ps, 1);
	setenv("PGUSER", owner, 1);
	setenv("PGDATABASE", "postgres", 1);
	db = ts_prepared_database(1);
	ts_sql(db, "UPDATE clock_offset SET offset_by = " TS_EARLY_MORNING);
	snprintf(maildir, sizeof maildir, "%s/mail", pgdir);
	ck_assert(mkdir(maildir, 0700) == 0);
	snprintf(logfile, sizeof logfile, "%s/sokuho.log", pgdir);
}

/* Runs whatever the test did: the servers it started are gone already
 * (ts_spawn's children end with it). */
static void cluster_down(void)
{
	if (pgdata[0]) {
		const char *stop[] = {"pg_ctl", "stop", "-w", "-m", "immediate", "-D", pgdata, NULL};
		if (cluster_running())
			pg(stop);
		char cmd[300];
		snprintf(cmd, sizeof cmd, "rm -rf '%s'", pgdir);
		if (system(cmd) != 0)
			fprintf(stderr, "fault: unable to remove '%s'\n", pgdir);
	}
	pgdata[0] = 0;
	for (int i = 0; i < 4; i++) {
		if (saved[i])
			setenv(pgvars[i], saved[i], 1);
		else
			unsetenv(pgvars[i]);
		free(saved[i]);
		saved[i] = NULL;
	}
	free(db);
	db = NULL;
}

#define METRICS_TOKEN "fault-metrics-token-for-the-test-only-0123456789"

/* The value of the sample key (exactly as written) on /metrics, or -1. */
static double metric(const char *key)
{
	struct resp r;
	client_request_h(port, "GET", "/metrics", NULL, NULL,
			 "Authorization: Bearer " METRICS_TOKEN, &r);
	double v = -1;
	size_t n = strlen(key);
	for (const char *l = buf_cstr(&r.body); l && *l; l = strchr(l, '\n')) {
		if (*l == '\n')
			l++;
		if (strncmp(l, key, n) == 0 && l[n] == ' ')
			v = strtod(l + n + 1, NULL);
	}
	resp_release(&r);
	return v;
}

static const char *const *server_args(void)
{
	static char sp[16], base[64];
	static const char *extra[13];
	snprintf(sp, sizeof sp, "%d", smtp_port);
	snprintf(base, sizeof base, "http://127.0.0.1:%d", port);
	const char *e[] = {"--smtp_host", "127.0.0.1", "--smtp_port", sp, "--smtp_starttls",
			   "off", "--base_url", base, "--mail_from", "sokuho@city.example.jp",
			   "--metrics_token", METRICS_TOKEN, NULL};
	memcpy(extra, e, sizeof e);
	return extra;
}

/* Checked fixture: the test SMTP server (and a running cluster, should an
 * earlier test have failed with it stopped). */
static void smtpd_up(void)
{
	if (!cluster_running())
		cluster_start();
	port = ts_free_port();
	smtp_port = ts_free_port();
	unlink(logfile);
	smtpd = ts_start_smtpd(smtp_port, maildir);
}

static void smtpd_down(void)
{
	kill(smtpd, SIGTERM);
	waitpid(smtpd, NULL, 0);
}

/* Checked fixture of the restart case: the SMTP server and `sokuho serve`. */
static void setup(void)
{
	smtpd_up();
	server = ts_start_server(db, port, server_args(), logfile);
}

static void teardown(void)
{
	ck_assert_int_eq(ts_stop_server_log(server, logfile), 0);
	smtpd_down();
}

static void restart(const char *mode)
{
	const char *argv[] = {"pg_ctl", "restart", "-w", "-m", mode, "-D", pgdata, NULL};
	ck_assert_int_eq(pg(argv), 0);
}

START_TEST(test_restarts_under_load)
{
	struct load *l = xcalloc(1, sizeof *l);
	load_start(l, port, "fault");
	sleep(2);
	load_mark(l, "restart -m fast");
	restart("fast");
	sleep(3);
	load_mark(l, "restart -m immediate");
	restart("immediate");
	sleep(4);
	load_stop(l);

	for (int i = 0; i < LOAD_CLIENTS; i++)
		for (int j = 0; j < l->cl[i].nacked; j++) {
			char *q = xasprintf("SELECT count(*) FROM incident WHERE summary = '%s'",
					    l->cl[i].acked[j]);
			long n = ts_scalar(db, q);
			ck_assert_msg(n == 1, "acknowledged %s stored %ld times", l->cl[i].acked[j], n);
			free(q);
		}
	struct load_totals t;
	load_totals(l, &t);
	fprintf(stderr, "fault: %d reports acknowledged, %d answered 503, %d 500, %d other (%ld), "
			"%d without answer\n",
		t.acked, t.n503, t.n500, t.nother, t.other, t.nrefused);
	load_print(l, "fault");
	load_release(l);
	free(l);
	ck_assert_int_gt(t.acked, 0);
	ck_assert_int_eq(t.n500, 0);
	ck_assert_msg(t.nother == 0, "%d answers neither 201/303 nor 503 (last %ld)", t.nother,
		      t.other);
	ck_assert_int_eq(t.nrefused, 0);

	/* The engine came back and LISTENs again: a timer made due now (and a
	 * wake-up on sokuho_wake) fires within 5 s. It is put ahead of the
	 * timers the flood of reports left due (fire_at a minute ago): this
	 * measures the engine's return, not how long its catch-up takes on a
	 * loaded machine under the sanitizer (engine lag, on /metrics). */
	fprintf(stderr, "fault: %ld timers due when the test timer is made due\n",
		ts_scalar(db, "SELECT count(*) FROM timer WHERE fired_at IS NULL AND fire_at <= "
			      "sokuho_now()"));
	long tid = ts_scalar(db, "WITH u AS (UPDATE timer SET fire_at = sokuho_now() - interval "
				 "'1 minute' WHERE id = "
				 "(SELECT min(id) FROM timer WHERE fired_at IS NULL) RETURNING id) "
				 "SELECT coalesce(max(id), 0) FROM u");
	ck_assert_int_gt(tid, 0);
	ts_scalar(db, "SELECT count(*) FROM (SELECT pg_notify('sokuho_wake', '')) n");
	int fired = 0;
	char *fq = xasprintf("SELECT count(*) FROM timer WHERE id = %ld AND fired_at IS NOT NULL", tid);
	for (int i = 0; i < 100 && !fired; i++) {
		fired = ts_scalar(db, fq) == 1;
		if (!fired)
			usleep(50 * 1000);
	}
	free(fq);
	ck_assert_msg(fired, "timer %ld made due after the restarts did not fire within 5 s", tid);

	/* Mail settles, then no Message-ID arrived twice. */
	for (int i = 0; i < 600; i++) {
		if (ts_scalar(db, "SELECT count(*) FROM outbox WHERE status = 'queued' AND "
				  "next_attempt_at <= sokuho_now()") == 0)
			break;
		usleep(50 * 1000);
	}
	sleep(1);
	json_t *seen = json_object();
	DIR *d = opendir(maildir);
	struct dirent *e;
	int mails = 0;
	while (d && (e = readdir(d))) {
		if (!strstr(e->d_name, ".eml"))
			continue;
		char path[512];
		snprintf(path, sizeof path, "%s/%s", maildir, e->d_name);
		char *text = ts_read_file(path);
		ck_assert_ptr_nonnull(text);
		char *h = strcasestr(text, "\nMessage-ID:");
		ck_assert_msg(h != NULL, "no Message-ID in %s", path);
		h += strlen("\nMessage-ID:");
		while (*h == ' ')
			h++;
		char *mid = xstrndup(h, strcspn(h, "\r\n"));
		ck_assert_msg(!json_object_get(seen, mid), "Message-ID %s received twice", mid);
		json_object_set_new(seen, mid, json_true());
		free(mid);
		free(text);
		mails++;
	}
	if (d)
		closedir(d);
	json_decref(seen);
	fprintf(stderr, "fault: %d mails received, none twice\n", mails);
}
END_TEST

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Polls /healthz every 100 ms until it answers want (for 503: with one of
 * the failing parts in names, "a|b"), for at most limit seconds. Returns the
 * seconds it took, or -1 (the last answer in last). */
static double healthz_until(long want, const char *names, double limit, char *last, size_t n)
{
	double t0 = now_s();
	char body[256] = "";
	while (now_s() - t0 < limit) {
		struct resp r;
		client_request(port, "GET", "/healthz", NULL, NULL, &r);
		snprintf(body, sizeof body, "%ld %s", r.status, buf_cstr(&r.body));
		int hit = r.status == want;
		if (hit && want == 503) {
			json_t *j = json_loads(buf_cstr(&r.body), 0, NULL);
			const char *f = json_string_value(json_object_get(j, "failing"));
			char key[32];
			snprintf(key, sizeof key, "|%s|", f ? f : "");
			char *all = xasprintf("|%s|", names);
			/* names only the part, no figures or error text */
			hit = f && strstr(all, key) && json_object_size(j) == 2 &&
			      strcmp(json_string_value(json_object_get(j, "status")), "error") == 0;
			free(all);
			json_decref(j);
		}
		resp_release(&r);
		if (hit) {
			snprintf(last, n, "%s", body);
			return now_s() - t0;
		}
		usleep(100 * 1000);
	}
	snprintf(last, n, "%s", body);
	return -1;
}

static char *dbname(void)
{
	const char *name = strstr(db, "dbname=");
	ck_assert(name != NULL);
	name += 7;
	return xstrndup(name, strcspn(name, " "));
}

START_TEST(test_healthz_follows_the_engine)
{
	server = ts_start_server(db, port, server_args(), logfile);
	char last[256];
	double t = healthz_until(200, NULL, 10, last, sizeof last);
	ck_assert_msg(t >= 0, "/healthz not 200 after start: %s", last);
	ck_assert_str_eq(last, "200 {\"status\":\"ok\"}");

	/* The engine loses its database, the web side keeps its connections:
	 * /healthz names the engine. */
	char *name = dbname();
	char *q = xasprintf("ALTER DATABASE \"%s\" ALLOW_CONNECTIONS false", name);
	ts_sql("dbname=postgres", q);
	free(q);
	q = xasprintf("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
		      "WHERE datname = '%s' AND application_name = 'sokuho engine'",
		      name);
	long killed = ts_scalar("dbname=postgres", q);
	free(q);
	double lost = healthz_until(503, "engine", 10, last, sizeof last);
	q = xasprintf("ALTER DATABASE \"%s\" ALLOW_CONNECTIONS true", name);
	ts_sql("dbname=postgres", q);
	free(q);
	ck_assert_int_ge(killed, 1);
	ck_assert_msg(lost >= 0, "/healthz did not name the engine within 10 s: %s", last);
	double back = healthz_until(200, NULL, 10, last, sizeof last);
	ck_assert_msg(back >= 0, "/healthz not 200 within 10 s of the engine's return: %s", last);
	/* /metrics tells the same in figures */
	ck_assert(metric("sokuho_db_reconnections_total{part=\"engine\"}") >= 1);
	ck_assert(metric("sokuho_loop_db_lost{part=\"engine\"}") == 0);
	ck_assert(metric("sokuho_loop_db_lost{part=\"mailer\"}") == 0);
	double age = metric("sokuho_loop_heartbeat_age_seconds{part=\"engine\"}");
	ck_assert_msg(age >= 0 && age < 10, "engine heartbeat age %g", age);

	/* The cluster stops: 503 naming the database (or the engine); it
	 * starts again: 200. */
	cluster_stop("fast");
	double down = healthz_until(503, "database|engine", 10, last, sizeof last);
	char down_answer[256];
	snprintf(down_answer, sizeof down_answer, "%s", last);
	cluster_start();
	ck_assert_msg(down >= 0, "/healthz not 503 within 10 s of the cluster stopping: %s", last);
	double up = healthz_until(200, NULL, 10, last, sizeof last);
	ck_assert_msg(up >= 0, "/healthz not 200 within 10 s of the cluster starting: %s", last);
	fprintf(stderr,
		"fault: /healthz named the engine %.1f s after it lost the database, 200 %.1f s "
		"after its return; cluster stopped: %.1f s to \"%s\", started: %.1f s to 200\n",
		lost, back, down, down_answer, up);
	free(name);
	ck_assert_int_eq(ts_stop_server_log(server, logfile), 0);
}
END_TEST

/* An engine stuck on a query (here: behind a lock the test holds on the
 * timer table) beats no more: /healthz names it once its last beat is 10 s
 * old, though the web side's database answers, and is 200 again once it
 * moves. */
START_TEST(test_healthz_stuck_engine)
{
	server = ts_start_server(db, port, server_args(), logfile);
	char last[256];
	ck_assert_msg(healthz_until(200, NULL, 10, last, sizeof last) >= 0, "%s", last);
	PGconn *c = PQconnectdb(db);
	ck_assert(PQstatus(c) == CONNECTION_OK);
	PQclear(PQexec(c, "BEGIN"));
	PGresult *r = PQexec(c, "LOCK TABLE timer IN ACCESS EXCLUSIVE MODE");
	ck_assert(PQresultStatus(r) == PGRES_COMMAND_OK);
	PQclear(r);
	double t0 = now_s();
	double stuck = healthz_until(503, "engine", 20, last, sizeof last);
	double after = now_s() - t0;
	PQclear(PQexec(c, "ROLLBACK"));
	PQfinish(c);
	ck_assert_msg(stuck >= 0, "/healthz did not name a stuck engine within 20 s: %s", last);
	/* not before its heartbeat is 10 s old (the engine last beat at most
	 * 2 s before the lock) */
	ck_assert_msg(after >= 7.5, "/healthz named the engine after %.1f s", after);
	double back = healthz_until(200, NULL, 10, last, sizeof last);
	ck_assert_msg(back >= 0, "/healthz not 200 within 10 s of the engine moving: %s", last);
	fprintf(stderr, "fault: a stuck engine named after %.1f s, 200 %.1f s after it moved\n",
		after, back);
	ck_assert_int_eq(ts_stop_server_log(server, logfile), 0);
}
END_TEST

static int count_in(const char *path, const char *needle)
{
	char *text = ts_read_file(path);
	int n = 0;
	for (const char *p = text; p && (p = strstr(p, needle)); p += strlen(needle))
		n++;
	free(text);
	return n;
}

/* Waits up to limit seconds for pid to exit; its status, or -2 if it runs. */
static int exit_within(pid_t pid, double limit)
{
	double t0 = now_s();
	int st;
	do {
		if (waitpid(pid, &st, WNOHANG) == pid)
			return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
		usleep(20 * 1000);
	} while (now_s() - t0 < limit);
	return -2;
}

START_TEST(test_start_while_down)
{
	char listen[32], wlog[300], mlog[300];
	snprintf(listen, sizeof listen, "127.0.0.1:%d", port);
	snprintf(wlog, sizeof wlog, "%s/worker.log", pgdir);
	snprintf(mlog, sizeof mlog, "%s/migrate.log", pgdir);
	unlink(wlog);
	unlink(mlog);
	char *app = ts_app_conninfo(db); /* while the cluster runs */
	cluster_stop("fast");

	/* Without --wait, migrate fails at once, as it always did. */
	const char *m0[] = {ts_bin(), "migrate", "--database_url", db, NULL};
	char *out = NULL, *err = NULL;
	ck_assert_int_eq(ts_run(m0, NULL, &out, &err), 1);
	ck_assert_msg(strstr(err, "unable to connect"), "migrate: %s", err);
	free(out);
	free(err);

	const char *const *extra = server_args();
	const char *sv[32] = {ts_bin(), "serve", "--listen", listen, "--database_url", app};
	int n = 6;
	for (int i = 0; extra[i]; i++)
		sv[n++] = extra[i];
	sv[n] = NULL;
	pid_t srv = ts_spawn(sv, logfile);
	const char *wk[] = {ts_bin(), "worker", "--database_url", app, NULL};
	pid_t wrk = ts_spawn(wk, wlog);
	const char *mg[] = {ts_bin(), "migrate", "--wait", "60", "--database_url", db, NULL};
	pid_t mig = ts_spawn(mg, mlog);
	sleep(3);
	ck_assert_int_eq(exit_within(srv, 0), -2);
	ck_assert_int_eq(exit_within(wrk, 0), -2);
	ck_assert_int_eq(exit_within(mig, 0), -2);
	/* one line when the wait starts, with the cause; not one per attempt */
	ck_assert_int_eq(count_in(logfile, "event=db_start_wait"), 1);
	ck_assert_int_eq(count_in(wlog, "event=db_start_wait"), 1);
	ck_assert_int_eq(count_in(mlog, "event=db_start_wait"), 1);
	ck_assert_int_eq(count_in(logfile, "Connection refused"), 1);

	cluster_start();
	double t0 = now_s();
	char last[256];
	double t = healthz_until(200, NULL, 15, last, sizeof last);
	ck_assert_msg(t >= 0, "serve not healthy within 15 s of the cluster starting: %s", last);
	char *cookie = client_sign_in_demo(port, "sakai.haruto");
	char *csrf = client_page_csrf(port, "/my/reports", cookie);
	char hdr[128];
	snprintf(hdr, sizeof hdr, "X-CSRF-Token: %s", csrf);
	struct resp r;
	client_json(port, "POST", "/api/v1/incidents", cookie, hdr,
		    "{\"summary\": \"started while down\", \"discovered_at\": "
		    "\"2026-11-24T10:00:00+09:00\", \"category\": \"loss_theft\", "
		    "\"site\": \"honchosha\", \"section\": \"zeimu\", "
		    "\"personal_data\": {\"involved\": \"no\"}}",
		    &r);
	ck_assert_msg(r.status == 201, "filing: %ld %s", r.status, buf_cstr(&r.body));
	resp_release(&r);
	double filed = now_s() - t0;
	ck_assert_int_eq(exit_within(mig, 10), 0);
	for (int i = 0; i < 100 && count_in(wlog, "event=engine_started") == 0; i++)
		usleep(100 * 1000);
	ck_assert_int_eq(count_in(wlog, "event=db_start_ok"), 1);
	ck_assert_int_eq(count_in(wlog, "event=engine_started"), 1);
	ck_assert_int_eq(count_in(logfile, "event=db_start_ok"), 1);
	fprintf(stderr, "fault: started while down: /healthz 200 %.1f s and a report filed %.1f s "
			"after the cluster started\n",
		t, filed);
	free(cookie);
	free(csrf);
	ck_assert_int_eq(ts_stop_server_log(srv, logfile), 0);
	ck_assert_int_eq(ts_stop_server_log(wrk, wlog), 0);
	free(app);
}
END_TEST

/* SIGTERM during the wait ends it cleanly; what waiting cannot cure (no such
 * database) fails at once. */
START_TEST(test_start_wait_ends)
{
	char listen[32], wlog[300];
	snprintf(listen, sizeof listen, "127.0.0.1:%d", port);
	snprintf(wlog, sizeof wlog, "%s/worker2.log", pgdir);
	unlink(wlog);
	const char *sv[] = {ts_bin(), "serve", "--listen", listen, "--database_url", db, NULL};
	const char *wk[] = {ts_bin(), "worker", "--database_url", db, NULL};
	cluster_stop("fast");
	pid_t srv = ts_spawn(sv, logfile), wrk = ts_spawn(wk, wlog);
	sleep(2);
	ck_assert_int_eq(exit_within(srv, 0), -2);
	kill(srv, SIGTERM);
	kill(wrk, SIGTERM);
	ck_assert_int_eq(exit_within(srv, 2), 0);
	ck_assert_int_eq(exit_within(wrk, 2), 0);
	cluster_start();

	const char *bad[] = {ts_bin(), "serve", "--listen", listen, "--database_url",
			     "dbname=sokuho_no_such_database", NULL};
	const char *badw[] = {ts_bin(), "worker", "--database_url", "dbname=sokuho_no_such_database",
			      NULL};
	char *out = NULL, *err = NULL;
	double t0 = now_s();
	ck_assert_int_eq(ts_run(bad, NULL, &out, &err), 1);
	ck_assert_msg(strstr(err, "does not exist") && !strstr(err, "db_start_wait"), "%s", err);
	free(out);
	free(err);
	ck_assert_int_eq(ts_run(badw, NULL, &out, &err), 1);
	ck_assert_msg(strstr(err, "does not exist") && !strstr(err, "db_start_wait"), "%s", err);
	free(out);
	free(err);
	ck_assert_msg(now_s() - t0 < 5, "a database that does not exist was waited for");
}
END_TEST

Suite *fault_suite(void)
{
	Suite *s = suite_create("fault");
	TCase *tc = tcase_create("restart");
	tcase_set_timeout(tc, 180);
	tcase_add_unchecked_fixture(tc, cluster_up, cluster_down);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_restarts_under_load);
	suite_add_tcase(s, tc);
	tc = tcase_create("health");
	tcase_set_timeout(tc, 120);
	tcase_add_unchecked_fixture(tc, cluster_up, cluster_down);
	tcase_add_checked_fixture(tc, smtpd_up, smtpd_down);
	tcase_add_test(tc, test_healthz_follows_the_engine);
	tcase_add_test(tc, test_healthz_stuck_engine);
	tcase_add_test(tc, test_start_while_down);
	tcase_add_test(tc, test_start_wait_ends);
	suite_add_tcase(s, tc);
	return s;
}
