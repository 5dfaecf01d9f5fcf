/* Failover to a promoted standby, on two clusters of the test's own: a
 * primary and a streaming standby made from it with pg_basebackup -R, each
 * in its own folder with its own socket, removed at the test case's end even
 * when a test failed.
 *
 * `sokuho serve` (engine and mailer) and `sokuho worker` run with one
 * database_url naming both servers (libpq's multi-host form with
 * target_session_attrs=read-write) while 8 clients file reports; the primary
 * is stopped (-m immediate, as a crash) and the standby promoted (pg_ctl
 * promote) a second later, as a failover manager would. Neither process is
 * restarted. Afterwards: filing went on against the new primary, /healthz was
 * 200 within 10 s of the promotion, a timer made due fires within 5 s, the
 * clients saw 503 (never 500) meanwhile, and a worker started while only the
 * standby was up waited for the promotion and came up. Each failover's cost
 * (outage, requests answered 503) and how far the standby trailed are
 * printed.
 *
 * sync: with synchronous replication (synchronous_standby_names on the
 * primary, synchronous_commit on) every report acknowledged to a client
 * (201/303) is in the promoted database exactly once and no Message-ID
 * reached the SMTP server twice.
 * sync also makes a claim of the mail sender commit without its answer
 * (lost_claim): its rows go out within seconds, not after the lease.
 * async: the same failover without synchronous_standby_names; what the
 * promoted database lacks of what was acknowledged is measured and printed,
 * not asserted (the README states the window); then the new primary is
 * fenced read-only (fenced_read_only): /healthz names the database, filing
 * answers 503. */
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

#include "client.h"
#include "core/xalloc.h"
#include "load.h"
#include "support.h"

Suite *failover_suite(void);

static char pgbin[256], topdir[128];
static int synchronous;

/* The two clusters: [0] the first primary, [1] its standby (promoted). */
struct cluster {
	char dir[160], data[200], log[200], opts[400];
	int port;
};
static struct cluster cl[2];

static int port, smtp_port;
static pid_t server, worker, smtpd;
static char logfile[256], wlogfile[256], latelog[256], maildir[200];
static char *db;        /* the test database on the primary, through the PG* variables */
static char url[600];   /* both servers, the read-write one wanted */
static char promoted[400]; /* the standby alone */

/* Runs a PostgreSQL tool (argv[0] its name) as the clusters' owner. */
static int pg(const char *const *args)
{
	char path[300];
	snprintf(path, sizeof path, "%s/%s", pgbin, args[0]);
	const char *argv[32];
	int n = 0;
	if (getuid() == 0) {
		argv[n++] = "runuser";
		argv[n++] = "-u";
		argv[n++] = "postgres";
		argv[n++] = "--";
	}
	argv[n++] = path;
	for (int i = 1; args[i] && n < 31; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	char *out = NULL, *err = NULL;
	int st = ts_run(argv, NULL, &out, &err);
	if (st != 0 && strcmp(args[1], "status") != 0)
		fprintf(stderr, "failover: %s: %s%s\n", args[0], out ? out : "", err ? err : "");
	free(out);
	free(err);
	return st;
}

static int cluster_running(const struct cluster *c)
{
	const char *status[] = {"pg_ctl", "status", "-D", c->data, NULL};
	return c->data[0] && pg(status) == 0;
}

static void cluster_start(const struct cluster *c)
{
	const char *start[] = {"pg_ctl", "start", "-w", "-t", "60", "-D", c->data,
			       "-l", c->log, "-o", c->opts, NULL};
	ck_assert_int_eq(pg(start), 0);
}

/* A folder of the test's own, owned by the clusters' owner. */
static void own_dir(const char *path)
{
	ck_assert(path == topdir || mkdir(path, 0755) == 0);
	chmod(path, 0755);
	if (getuid() == 0) {
		char cmd[300];
		snprintf(cmd, sizeof cmd, "chown postgres '%s'", path);
		ck_assert(system(cmd) == 0);
	}
}

static void cluster_paths(struct cluster *c, const char *name, int pgport)
{
	snprintf(c->dir, sizeof c->dir, "%s/%s", topdir, name);
	own_dir(c->dir);
	snprintf(c->data, sizeof c->data, "%s/data", c->dir);
	snprintf(c->log, sizeof c->log, "%s/postgresql.log", c->dir);
	c->port = pgport;
	/* sockets in the cluster's own folder; TCP on the loopback only */
	snprintf(c->opts, sizeof c->opts,
		 "-p %d -k %s -c listen_addresses=127.0.0.1 -c max_connections=100 "
		 "-c fsync=off -c wal_level=replica -c max_wal_senders=4 -c hot_standby=on",
		 c->port, c->dir);
}

/* A number from database dbname of cluster i (through its socket, whatever
 * PG* says). */
static long scalar_on(int i, const char *dbname, const char *sql)
{
	char ci[400];
	snprintf(ci, sizeof ci, "host=%s port=%d dbname=%s", cl[i].dir, cl[i].port, dbname);
	return ts_scalar(ci, sql);
}

static const char *const pgvars[] = {"PGHOST", "PGPORT", "PGUSER", "PGDATABASE",
				     "PGTARGETSESSIONATTRS"};
#define NVARS 5
static char *saved[NVARS];
static int env_saved;
static pid_t runner;

static void pair_down(void);

/* Unchecked fixture: the primary, its standby streaming from it
 * (synchronously when synchronous is set), a demo database made on the
 * primary, and the PG* variables naming both (the suites after this one get
 * theirs back at the end). */
static void pair_up(void)
{
	/* Check runs no teardown after a failed setup: what a failed one
	 * left is removed here, or when the runner exits. */
	pair_down();
	if (!runner) {
		runner = getpid();
		atexit(pair_down);
	}
	for (int i = 0; i < NVARS; i++)
		saved[i] = getenv(pgvars[i]) ? xstrdup(getenv(pgvars[i])) : NULL;
	env_saved = 1;
	glob_t g;
	ck_assert(glob("/usr/lib/postgresql/*/bin/pg_ctl", 0, NULL, &g) == 0 && g.gl_pathc > 0);
	const char *last = g.gl_pathv[g.gl_pathc - 1];
	snprintf(pgbin, sizeof pgbin, "%.*s", (int)(strlen(last) - strlen("/pg_ctl")), last);
	globfree(&g);
	snprintf(topdir, sizeof topdir, "/tmp/sokuho-failover.XXXXXX");
	ck_assert(mkdtemp(topdir) != NULL);
	own_dir(topdir);
	const char *owner = getuid() == 0 ? "postgres" : getenv("USER");
	int p0 = ts_free_port(), p1 = ts_free_port();
	while (p1 == p0)
		p1 = ts_free_port();
	cluster_paths(&cl[0], "primary", p0);
	cluster_paths(&cl[1], "standby", p1);

	const char *init[] = {"initdb", "-D", cl[0].data, "-U", owner, "-E", "UTF8",
			      "--locale=C.UTF-8", "--auth=trust", "--no-sync", NULL};
	ck_assert_int_eq(pg(init), 0);
	cluster_start(&cl[0]);
	char pport[16];
	snprintf(pport, sizeof pport, "%d", cl[0].port);
	/* -R: standby.signal and primary_conninfo; -X stream: the WAL with it */
	const char *base[] = {"pg_basebackup", "-D", cl[1].data, "-h", cl[0].dir, "-p", pport,
			      "-U", owner, "-R", "-X", "stream", "-c", "fast", "--no-sync", NULL};
	ck_assert_int_eq(pg(base), 0);
	cluster_start(&cl[1]);
	if (synchronous) {
		/* set after the copy: the standby, once promoted, must not wait
		 * for a standby of its own that does not exist */
		char ci[300];
		snprintf(ci, sizeof ci, "host=%s port=%d dbname=postgres", cl[0].dir, cl[0].port);
		ts_sql(ci, "ALTER SYSTEM SET synchronous_standby_names = '*'");
		ts_sql(ci, "ALTER SYSTEM SET synchronous_commit = on");
		ts_sql(ci, "SELECT pg_reload_conf()");
	}
	const char *want = synchronous ? "SELECT count(*) FROM pg_stat_replication WHERE "
					 "state = 'streaming' AND sync_state = 'sync'"
				       : "SELECT count(*) FROM pg_stat_replication WHERE "
					 "state = 'streaming'";
	int ok = 0;
	for (int i = 0; i < 200 && !ok; i++) {
		ok = scalar_on(0, "postgres", want) == 1;
		if (!ok)
			usleep(50 * 1000);
	}
	ck_assert_msg(ok, "the standby is not streaming%s", synchronous ? " synchronously" : "");

	char hosts[400], ports[32];
	snprintf(hosts, sizeof hosts, "%s,%s", cl[0].dir, cl[1].dir);
	snprintf(ports, sizeof ports, "%d,%d", cl[0].port, cl[1].port);
	setenv("PGHOST", hosts, 1);
	setenv("PGPORT", ports, 1);
	setenv("PGUSER", owner, 1);
	setenv("PGDATABASE", "postgres", 1);
	setenv("PGTARGETSESSIONATTRS", "read-write", 1);
	db = ts_prepared_database(1);
	ts_sql(db, "UPDATE clock_offset SET offset_by = " TS_EARLY_MORNING);
	const char *name = strstr(db, "dbname=") + 7;
	snprintf(url, sizeof url, "host=%s port=%s target_session_attrs=read-write dbname=%s",
		 hosts, ports, name);
	snprintf(promoted, sizeof promoted, "host=%s port=%d dbname=%s", cl[1].dir, cl[1].port,
		 name);
	snprintf(logfile, sizeof logfile, "%s/sokuho.log", topdir);
	snprintf(wlogfile, sizeof wlogfile, "%s/worker.log", topdir);
	snprintf(latelog, sizeof latelog, "%s/late-worker.log", topdir);
}

static void pair_down(void)
{
	if (getpid() != runner) /* a test's child exiting: not its clusters */
		return;
	for (int i = 0; i < 2; i++) {
		const char *stop[] = {"pg_ctl", "stop", "-w", "-m", "immediate", "-D", cl[i].data,
				      NULL};
		if (cluster_running(&cl[i]))
			pg(stop);
		cl[i].data[0] = 0;
	}
	if (topdir[0]) {
		char cmd[300];
		snprintf(cmd, sizeof cmd, "rm -rf '%s'", topdir);
		if (system(cmd) != 0)
			fprintf(stderr, "failover: unable to remove '%s'\n", topdir);
	}
	topdir[0] = 0;
	for (int i = 0; env_saved && i < NVARS; i++) {
		if (saved[i])
			setenv(pgvars[i], saved[i], 1);
		else
			unsetenv(pgvars[i]);
		free(saved[i]);
		saved[i] = NULL;
	}
	env_saved = 0;
	free(db);
	db = NULL;
}

static void sync_up(void)
{
	synchronous = 1;
	pair_up();
}

static void async_up(void)
{
	synchronous = 0;
	pair_up();
}

/* Between the primary's end and the promotion: how long a failover manager
 * takes to decide (Patroni's ttl, some tens of seconds), shortened so that
 * the clients meet a database with no primary. */
#define FAILOVER_DELAY_MS 1000

#define METRICS_TOKEN "failover-metrics-token-for-the-test-only-0123456789"

/* Checked fixture: the test SMTP server, `sokuho serve` and `sokuho worker`
 * on the two-server URL. */
static void setup(void)
{
	/* a folder per test (each runs in a process of its own): the SMTP
	 * server numbers its files from 000 */
	snprintf(maildir, sizeof maildir, "%s/mail-%d", topdir, (int)getpid());
	ck_assert(mkdir(maildir, 0700) == 0);
	port = ts_free_port();
	smtp_port = ts_free_port();
	smtpd = ts_start_smtpd(smtp_port, maildir);
	char sp[16], base[64];
	snprintf(sp, sizeof sp, "%d", smtp_port);
	snprintf(base, sizeof base, "http://127.0.0.1:%d", port);
	const char *extra[] = {"--smtp_host", "127.0.0.1", "--smtp_port", sp, "--smtp_starttls",
			       "off", "--base_url", base, "--mail_from", "sokuho@city.example.jp",
			       "--metrics_token", METRICS_TOKEN, NULL};
	server = ts_start_server(url, port, extra, logfile);
	char *app = ts_app_conninfo(url);
	const char *wk[] = {ts_bin(), "worker", "--database_url", app, NULL};
	worker = ts_spawn(wk, wlogfile);
	free(app);
}

static void teardown(void)
{
	ck_assert_int_eq(ts_stop_server_log(server, logfile), 0);
	ck_assert_int_eq(ts_stop_server_log(worker, wlogfile), 0);
	kill(smtpd, SIGTERM);
	waitpid(smtpd, NULL, 0);
}

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Seconds until /healthz answers 200, at most limit; -1 then. */
static double healthz_ok_within(double limit)
{
	double t0 = now_s();
	while (now_s() - t0 < limit) {
		struct resp r;
		client_request(port, "GET", "/healthz", NULL, NULL, &r);
		long st = r.status;
		resp_release(&r);
		if (st == 200)
			return now_s() - t0;
		usleep(100 * 1000);
	}
	return -1;
}

static int count_in(const char *path, const char *needle)
{
	char *text = ts_read_file(path);
	int n = 0;
	for (const char *p = text; p && (p = strstr(p, needle)); p += strlen(needle))
		n++;
	free(text);
	return n;
}

/* Message-IDs received more than once; the number of mails in *mails. */
static int mail_repeats(int *mails)
{
	json_t *seen = json_object();
	DIR *d = opendir(maildir);
	struct dirent *e;
	int twice = 0;
	*mails = 0;
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
		if (json_object_get(seen, mid))
			twice++;
		json_object_set_new(seen, mid, json_true());
		free(mid);
		free(text);
		(*mails)++;
	}
	if (d)
		closedir(d);
	json_decref(seen);
	return twice;
}

START_TEST(test_failover_under_load)
{
	const char *mode = synchronous ? "sync" : "async";
	struct load *l = xcalloc(1, sizeof *l);
	load_start(l, port, synchronous ? "fo-sync" : "fo-async");
	/* How far the standby trails while reports are filed: what an
	 * asynchronous standby may lack at a crash. */
	long lag_us = 0, lag_bytes = 0;
	double t_load = load_now(l);
	while (load_now(l) - t_load < 2) {
		long us = scalar_on(0, "postgres",
				    "SELECT coalesce(max(extract(epoch FROM flush_lag) * 1e6), 0)::bigint "
				    "FROM pg_stat_replication");
		long b = scalar_on(0, "postgres",
				   "SELECT coalesce(max(pg_wal_lsn_diff(pg_current_wal_lsn(), flush_lsn)), "
				   "0)::bigint FROM pg_stat_replication");
		lag_us = us > lag_us ? us : lag_us;
		lag_bytes = b > lag_bytes ? b : lag_bytes;
		usleep(100 * 1000);
	}

	/* The primary dies; a manager promotes the standby. */
	load_mark(l, synchronous ? "failover (synchronous)" : "failover (asynchronous)");
	double t_fault = load_now(l);
	const char *stop[] = {"pg_ctl", "stop", "-w", "-m", "immediate", "-D", cl[0].data, NULL};
	ck_assert_int_eq(pg(stop), 0);
	/* A worker started now finds only the standby, read-only: it waits
	 * for a primary rather than exit. Its URL names the standby alone (a
	 * service name that moved ahead of the promotion): with both, the
	 * dead primary's "no such file" is reason enough to wait. */
	char late_url[500];
	snprintf(late_url, sizeof late_url, "%s user=" TS_APP_ROLE " target_session_attrs=read-write",
		 promoted);
	const char *wk[] = {ts_bin(), "worker", "--database_url", late_url, NULL};
	pid_t late = ts_spawn(wk, latelog);
	/* a manager's time to notice the primary is gone, shortened */
	usleep(FAILOVER_DELAY_MS * 1000);
	int late_waits = count_in(latelog, "event=db_start_wait");
	const char *promote[] = {"pg_ctl", "promote", "-w", "-t", "60", "-D", cl[1].data, NULL};
	ck_assert_int_eq(pg(promote), 0);
	double t_promoted = load_now(l);
	/* the filing goes on for 4 s; /healthz is asked meanwhile */
	double healthy = -1;
	while (load_now(l) - t_promoted < 4) {
		struct resp r;
		client_request(port, "GET", "/healthz", NULL, NULL, &r);
		if (r.status == 200 && healthy < 0)
			healthy = load_now(l) - t_promoted;
		else if (r.status != 200)
			healthy = -1; /* 200 to stay */
		resp_release(&r);
		usleep(100 * 1000);
	}
	load_stop(l);
	if (healthy < 0) {
		double more = healthz_ok_within(6);
		healthy = more < 0 ? -1 : load_now(l) - t_promoted;
	}

	struct load_totals t;
	load_totals(l, &t);
	int lost = 0, twice = 0, after = load_ok_after(l, t_promoted);
	char first_lost[64] = "";
	for (int i = 0; i < LOAD_CLIENTS; i++)
		for (int j = 0; j < l->cl[i].nacked; j++) {
			char *q = xasprintf("SELECT count(*) FROM incident WHERE summary = '%s'",
					    l->cl[i].acked[j]);
			long n = ts_scalar(promoted, q);
			free(q);
			if (n == 0 && !lost++)
				snprintf(first_lost, sizeof first_lost, "%s", l->cl[i].acked[j]);
			if (n > 1)
				twice++;
		}
	fprintf(stderr,
		"failover %s: before the stop the standby's flush_lag was at most %.2f ms and it "
		"lacked at most %ld bytes of WAL\n",
		mode, (double)lag_us / 1000.0, lag_bytes);
	fprintf(stderr,
		"failover %s: promoted %.2f s after the primary was stopped; %d reports "
		"acknowledged (%d after the promotion), %d answered 503, %d 500, %d other (%ld), "
		"%d without answer; of the acknowledged, %d missing from the promoted database, "
		"%d stored twice\n",
		mode, t_promoted - t_fault, t.acked, after, t.n503, t.n500, t.nother, t.other,
		t.nrefused, lost, twice);
	load_print(l, "failover");
	load_release(l);
	free(l);
	ck_assert_int_eq(t.n500, 0);
	ck_assert_msg(t.nother == 0, "%d answers neither 201/303 nor 503 (last %ld)", t.nother,
		      t.other);
	ck_assert_int_eq(t.nrefused, 0);
	ck_assert_msg(after > 0, "no report filed after the promotion");
	ck_assert_int_eq(twice, 0);
	if (synchronous)
		ck_assert_msg(lost == 0, "%d acknowledged reports lost in the failover (%s)", lost,
			      first_lost);

	ck_assert_msg(healthy >= 0 && healthy <= 10, "/healthz not 200 within 10 s of the promotion");

	/* The engines (serve's and the worker's) came back on the new primary
	 * and LISTEN there: a timer made due now fires within 5 s. */
	long tid = ts_scalar(promoted,
			     "WITH u AS (UPDATE timer SET fire_at = sokuho_now() - interval "
			     "'1 minute' WHERE id = (SELECT min(id) FROM timer WHERE fired_at IS NULL "
			     "AND failed_at IS NULL) RETURNING id) SELECT coalesce(max(id), 0) FROM u");
	ck_assert_int_gt(tid, 0);
	double t0 = now_s();
	ts_scalar(promoted, "SELECT count(*) FROM (SELECT pg_notify('sokuho_wake', '')) n");
	int fired = 0;
	char *fq = xasprintf("SELECT count(*) FROM timer WHERE id = %ld AND fired_at IS NOT NULL", tid);
	while (!fired && now_s() - t0 < 5) {
		fired = ts_scalar(promoted, fq) == 1;
		if (!fired)
			usleep(50 * 1000);
	}
	free(fq);
	double fired_s = now_s() - t0;
	ck_assert_msg(fired, "timer %ld made due after the failover did not fire within 5 s", tid);

	/* The worker started with no primary came up on the new one. */
	int late_up = 0;
	for (int i = 0; i < 100 && !late_up; i++) {
		late_up = count_in(latelog, "event=engine_started") == 1;
		if (!late_up)
			usleep(100 * 1000);
	}
	char *ll = ts_read_file(latelog);
	ck_assert_msg(late_waits == 1 && late_up && count_in(latelog, "event=db_start_ok") == 1,
		      "a worker started with only the standby up: %s", ll ? ll : "(no log)");
	free(ll);
	ck_assert_int_eq(ts_stop_server_log(late, latelog), 0);

	/* Mail settles on the new primary. */
	int settled = 0;
	for (int i = 0; i < 600 && !settled; i++) {
		settled = ts_scalar(promoted, "SELECT count(*) FROM outbox WHERE status = 'queued' "
					      "AND next_attempt_at <= sokuho_now()") == 0;
		if (!settled)
			usleep(50 * 1000);
	}
	sleep(1);
	int mails, repeats = mail_repeats(&mails);
	fprintf(stderr,
		"failover %s: /healthz 200 %.1f s after the promotion, a timer made due fired in "
		"%.2f s; %d mails received, %d Message-IDs twice; transactions retried: %d in "
		"serve, %d in the worker\n",
		mode, healthy, fired_s, mails, repeats, count_in(logfile, "event=db_tx_retry"),
		count_in(wlogfile, "event=db_tx_retry"));
	if (!settled) { /* what the mail senders said, for the failure's cause */
		char cmd[700];
		snprintf(cmd, sizeof cmd, "grep -hv 'event=mail outbox\\|event=access' %s %s | tail -40 >&2",
			 logfile, wlogfile);
		(void)!system(cmd);
	}
	ck_assert_msg(settled,
		      "the outbox did not drain on the new primary: %ld due, %ld of them leased",
		      ts_scalar(promoted, "SELECT count(*) FROM outbox WHERE status = 'queued' "
					  "AND next_attempt_at <= sokuho_now()"),
		      ts_scalar(promoted, "SELECT count(*) FROM outbox WHERE status = 'queued' "
					  "AND next_attempt_at <= sokuho_now() AND lease_until > "
					  "sokuho_now()"));
	if (synchronous)
		ck_assert_int_eq(repeats, 0);
}
END_TEST

/* The mail sender's claim committed and its answer lost (a failover, a
 * crash between COMMIT and reply): the promoted server, primary now, waits
 * for a synchronous standby it does not have, so a claim of the sender's
 * commits locally and waits; the test ends that session, as a crash would.
 * The claimed rows must go out within seconds, not after the lease (120 s),
 * once each. Runs after the failover, on the promoted server. */
START_TEST(test_lost_claim)
{
	char ci[400];
	snprintf(ci, sizeof ci, "host=%s port=%d dbname=postgres", cl[1].dir, cl[1].port);
	ts_sql(ci, "ALTER SYSTEM SET synchronous_standby_names = 'nobody'");
	ts_sql(ci, "SELECT pg_reload_conf()");
	/* The setting reaches the server's processes a moment later: a claim
	 * made before does not wait, and its rows are sent; then another
	 * round. */
	long ended = 0;
	char like[64] = "";
	for (int round = 1; round <= 3 && ended == 0; round++) {
		usleep(500 * 1000);
		snprintf(like, sizeof like, "lost-claim-%d-%%", round);
		/* this session does not wait for the standby */
		char *q = xasprintf("SET synchronous_commit = local; INSERT INTO outbox (dedup_key, "
				    "incident_id, email, lang, template, data) SELECT 'lost-claim-%d-' "
				    "|| id, incident_id, email, lang, template, data FROM outbox WHERE "
				    "status = 'sent' ORDER BY id LIMIT 5",
				    round);
		ts_sql(promoted, q);
		free(q);
		for (int i = 0; i < 100 && ended == 0; i++) {
			ended = ts_scalar(ci, "SELECT count(pg_terminate_backend(pid)) FROM "
					      "pg_stat_activity WHERE application_name = 'sokuho "
					      "mailer' AND wait_event = 'SyncRep'");
			if (!ended)
				usleep(50 * 1000);
		}
	}
	ts_sql(ci, "ALTER SYSTEM RESET synchronous_standby_names");
	ts_sql(ci, "SELECT pg_reload_conf()");
	ck_assert_msg(ended > 0, "no claim of the mail sender waited for the standby");
	char *lq = xasprintf("SELECT count(*) FROM outbox WHERE dedup_key LIKE '%s' AND "
			     "lease_until > sokuho_now()",
			     like);
	long leased = ts_scalar(promoted, lq);
	free(lq);
	char *sq = xasprintf("SELECT count(*) FROM outbox WHERE dedup_key LIKE '%s' AND "
			     "status = 'sent'",
			     like);
	double t0 = now_s();
	long sent = 0;
	while (sent < 5 && now_s() - t0 < 15) {
		sent = ts_scalar(promoted, sq);
		if (sent < 5)
			usleep(100 * 1000);
	}
	free(sq);
	double took = now_s() - t0;
	sleep(1);
	int mails, repeats = mail_repeats(&mails);
	fprintf(stderr,
		"failover: a claim of %ld rows whose answer was lost: sent %.1f s later "
		"(%d mails received, %d Message-IDs twice)\n",
		leased, took, mails, repeats);
	ck_assert_msg(sent == 5, "the rows of a claim whose answer was lost were not sent in 15 s "
				 "(%ld of 5)", sent);
	ck_assert_int_ge(count_in(logfile, "event=mail_lease_returned rows=") +
				 count_in(wlogfile, "event=mail_lease_returned rows="),
			 1);
	ck_assert_int_eq(repeats, 0);
	ck_assert_int_ge(mails, 5);
}
END_TEST

/* /healthz answers 503 naming the failing part, or 200; limit seconds at
 * most. Returns the seconds it took, or -1; the last answer in last. */
static double healthz_until(long want, const char *part, double limit, char *last, size_t n)
{
	double t0 = now_s();
	while (now_s() - t0 < limit) {
		struct resp r;
		client_request(port, "GET", "/healthz", NULL, NULL, &r);
		snprintf(last, n, "%ld %s", r.status, buf_cstr(&r.body));
		int hit = r.status == want && (!part || strstr(buf_cstr(&r.body), part));
		resp_release(&r);
		if (hit)
			return now_s() - t0;
		usleep(100 * 1000);
	}
	return -1;
}

/* The new primary fenced read-only (default_transaction_read_only, as some
 * failover tools fence an old primary) while serve is connected to it:
 * /healthz names the database (its connections still answer, but take no
 * report), filing answers 503, never 500; unfenced, both come back. Runs
 * after the failover, on the promoted server. */
START_TEST(test_fenced_read_only)
{
	char last[256];
	ck_assert_msg(healthz_until(200, NULL, 10, last, sizeof last) >= 0, "%s", last);
	char *cookie = client_sign_in_demo(port, "sakai.haruto");
	char *csrf = client_page_csrf(port, "/my/reports", cookie);
	char hdr[128];
	snprintf(hdr, sizeof hdr, "X-CSRF-Token: %s", csrf);
	const char *report = "{\"summary\": \"fenced\", \"discovered_at\": "
			     "\"2026-11-24T10:00:00+09:00\", \"category\": \"loss_theft\", "
			     "\"site\": \"honchosha\", \"section\": \"zeimu\", "
			     "\"personal_data\": {\"involved\": \"no\"}}";
	char ci[500];
	snprintf(ci, sizeof ci,
		 "host=%s port=%d dbname=postgres options='-c default_transaction_read_only=off'",
		 cl[1].dir, cl[1].port);
	ts_sql(ci, "ALTER SYSTEM SET default_transaction_read_only = on");
	ts_sql(ci, "SELECT pg_reload_conf()");
	double named = healthz_until(503, "\"database\"", 10, last, sizeof last);
	struct resp r;
	client_json(port, "POST", "/api/v1/incidents", cookie, hdr, report, &r);
	long fenced_status = r.status;
	resp_release(&r);
	ts_sql(ci, "ALTER SYSTEM RESET default_transaction_read_only");
	ts_sql(ci, "SELECT pg_reload_conf()");
	ck_assert_msg(named >= 0, "/healthz did not name the database of a read-only server: %s",
		      last);
	ck_assert_int_eq(fenced_status, 503);
	double back = healthz_until(200, NULL, 10, last, sizeof last);
	ck_assert_msg(back >= 0, "/healthz not 200 within 10 s of the unfencing: %s", last);
	client_json(port, "POST", "/api/v1/incidents", cookie, hdr, report, &r);
	ck_assert_msg(r.status == 201, "filing after the unfencing: %ld %s", r.status,
		      buf_cstr(&r.body));
	resp_release(&r);
	fprintf(stderr, "failover: fenced read-only: /healthz named the database after %.1f s, "
			"filing 503; unfenced: 200 after %.1f s\n",
		named, back);
	free(cookie);
	free(csrf);
}
END_TEST

Suite *failover_suite(void)
{
	Suite *s = suite_create("failover");
	TCase *tc = tcase_create("sync");
	tcase_set_timeout(tc, 120);
	tcase_add_unchecked_fixture(tc, sync_up, pair_down);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_failover_under_load);
	tcase_add_test(tc, test_lost_claim);
	suite_add_tcase(s, tc);
	tc = tcase_create("async");
	tcase_set_timeout(tc, 120);
	tcase_add_unchecked_fixture(tc, async_up, pair_down);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_failover_under_load);
	tcase_add_test(tc, test_fenced_read_only);
	suite_add_tcase(s, tc);
	return s;
}
