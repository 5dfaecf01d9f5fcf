/* The workflow engine against a real PostgreSQL, with the database clock
 * shifted instead of sleeping: the escalation ladder, acknowledgement
 * stopping it, the PPC workflow's deadlines, exactly-once timers with
 * several engine processes (one killed mid-batch), a person racing a timer,
 * versions, and an idle engine that uses no CPU. */
#include <check.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/xalloc.h"
#include "db/db.h"
#include "support.h"
#include "wf/engine.h"

Suite *engine_suite(void);

static char *db;
static PGconn *conn;
static struct engine *eng;

static PGconn *connect_db(void)
{
	char err[256];
	PGconn *c = db_connect(db, err, sizeof err);
	ck_assert_msg(c != NULL, "%s", err);
	return c;
}

static long scalar(const char *q)
{
	PGresult *r = PQexec(conn, q);
	ck_assert_msg(db_ok(r) && PQntuples(r) == 1, "%s: %s", q, PQresultErrorMessage(r));
	long v = atol(PQgetvalue(r, 0, 0));
	PQclear(r);
	return v;
}

static void sql(const char *q)
{
	PGresult *r = PQexec(conn, q);
	ck_assert_msg(db_ok(r), "%s: %s", q, PQresultErrorMessage(r));
	PQclear(r);
}

static void setup(void)
{
	db = ts_prepared_database(1);
	conn = connect_db();
	char err[512];
	ck_assert_msg(engine_load_defs(conn, "workflows", NULL, err, sizeof err) >= 4, "%s", err);
	eng = engine_new();
}

static void teardown(void)
{
	engine_free(eng);
	PQfinish(conn);
	free(db);
}

static void shift(const char *interval)
{
	char *q = xasprintf("UPDATE clock_offset SET offset_by = '%s'", interval);
	sql(q);
	free(q);
}

/* Sets the database clock to a moment of Japan time, "2027-02-05 17:00". */
static void set_clock(const char *jst)
{
	char *q = xasprintf("UPDATE clock_offset SET offset_by = timestamptz '%s:00+09' - now()", jst);
	sql(q);
	free(q);
}

/* A report from sakai.haruto (税務課) with these personal-data facts. */
static long long new_incident(const char *pd_json, const char *discovered)
{
	static int n;
	char *q = xasprintf(
		"INSERT INTO incident (ref, channel, reporter_id, section_id, category, summary, "
		"discovered_at, facts) SELECT 'INC-2026-%04d', 'staff', (SELECT id FROM person WHERE "
		"login = 'sakai.haruto'), (SELECT id FROM org_unit WHERE code = 'zeimu'), 'leak', "
		"'テスト', %s, jsonb_build_object('personal_data', '%s'::jsonb, 'segments', "
		"'[]'::jsonb, 'category', 'leak', 'bcp', false) RETURNING id",
		9000 + ++n, discovered, pd_json);
	sql("BEGIN");
	long long id = scalar(q);
	free(q);
	ck_assert_int_ge(engine_start_incident(eng, conn, id), 2);
	sql("COMMIT");
	return id;
}

/* Mails of the incident's reporting-duty run (the emergency-response run
 * has a ladder of its own). */
static long mails(long long incident, const char *tmpl, const char *login)
{
	char *q = xasprintf("SELECT count(*) FROM outbox o JOIN person p ON p.id = o.recipient_id "
			    "JOIN workflow_run r ON r.id = o.run_id JOIN workflow_def d ON d.id = "
			    "r.def_id WHERE o.incident_id = %lld AND o.template = '%s' AND p.login = "
			    "'%s' AND (d.name = 'reporting-duty' OR o.template LIKE 'legal%%')",
			    incident, tmpl, login);
	long v = scalar(q);
	free(q);
	return v;
}

static void tick_all(void)
{
	while (engine_tick(eng, conn, 200) > 0)
		;
}

static long long run_of(long long incident, const char *workflow)
{
	char *q = xasprintf("SELECT r.id FROM workflow_run r JOIN workflow_def d ON d.id = r.def_id "
			    "WHERE r.incident_id = %lld AND d.name = '%s'",
			    incident, workflow);
	long long v = scalar(q);
	free(q);
	return v;
}

static long person(const char *login)
{
	char *q = xasprintf("SELECT id FROM person WHERE login = '%s'", login);
	long v = scalar(q);
	free(q);
	return v;
}

START_TEST(test_escalation_ladder)
{
	long long inc = new_incident("{\"involved\": \"no\"}", "sokuho_now()");
	/* At once: the section's security manager and the CSIRT. */
	ck_assert_int_eq(mails(inc, "reported", "yamazaki.tsutomu"), 1);
	ck_assert_int_eq(mails(inc, "reported", "matsuda.kazuya"), 1);
	shift("29 minutes");
	tick_all();
	ck_assert_int_eq(mails(inc, "reminder", "mori.akiko"), 0);
	shift("31 minutes");
	tick_all();
	ck_assert_int_eq(mails(inc, "reminder", "mori.akiko"), 1); /* the first deputy */
	ck_assert_int_eq(mails(inc, "escalated", "watanabe.daisuke"), 0);
	shift("61 minutes");
	tick_all();
	ck_assert_int_eq(mails(inc, "escalated", "watanabe.daisuke"), 1); /* 統括 */
	ck_assert_int_eq(mails(inc, "escalated", "sato.kenichi"), 0);
	shift("121 minutes");
	tick_all();
	ck_assert_int_eq(mails(inc, "escalated", "sato.kenichi"), 1); /* CISO */
	shift("181 minutes");
	tick_all();
	ck_assert_int_eq(mails(inc, "escalated", "sato.kenichi"), 2); /* repeats hourly */
	shift("12 hours");
	tick_all();
	ck_assert_int_eq(mails(inc, "escalated", "sato.kenichi"), 6); /* at most 6 */
	char *q = xasprintf("SELECT escalation_level FROM workflow_run WHERE id = %lld",
			    run_of(inc, "reporting-duty"));
	ck_assert_int_eq(scalar(q), 3);
	free(q);
	q = xasprintf("SELECT count(*) FROM audit_event WHERE incident_id = %lld AND kind = "
		      "'workflow.escalated' AND detail->>'workflow' = 'reporting-duty'",
		      inc);
	ck_assert_int_eq(scalar(q), 1 + 1 + 6);
	free(q);
	shift("0");
}
END_TEST

/* A report that activates the business continuity plan reaches the CISO at
 * once; an ordinary one does not. */
START_TEST(test_bcp_reaches_ciso_at_once)
{
	long long plain = new_incident("{\"involved\": \"no\"}", "sokuho_now()");
	ck_assert_int_eq(mails(plain, "severe_incident", "sato.kenichi"), 0);
	sql("BEGIN");
	long long inc = scalar("INSERT INTO incident (ref, channel, reporter_id, section_id, category, "
			       "summary, discovered_at, bcp, facts) SELECT 'INC-2026-8001', 'staff', "
			       "(SELECT id FROM person WHERE login = 'sakai.haruto'), (SELECT id FROM "
			       "org_unit WHERE code = 'zeimu'), 'dos', '窓口システム停止', sokuho_now(), "
			       "true, '{\"personal_data\": {\"involved\": \"no\"}}' RETURNING id");
	ck_assert_int_ge(engine_start_incident(eng, conn, inc), 2);
	sql("COMMIT");
	ck_assert_int_eq(mails(inc, "severe_incident", "sato.kenichi"), 1);
	ck_assert_int_eq(mails(inc, "severe_incident", "watanabe.daisuke"), 1);
}
END_TEST

START_TEST(test_acknowledge_stops_escalation)
{
	/* A Wednesday morning: the acknowledged state's ladder counts office
	 * time, all of it inside office hours here. */
	set_clock("2027-02-03 10:00");
	long long inc = new_incident("{\"involved\": \"no\"}", "sokuho_now()");
	long long run = run_of(inc, "reporting-duty");
	json_t *errors = json_object();
	/* Someone else's section manager may not acknowledge. */
	ck_assert_int_eq(engine_act(eng, conn, run, -1, "acknowledge", NULL,
				    (int)person("ito.naoki"), NULL, errors),
			 ENGINE_ACT_FORBIDDEN);
	set_clock("2027-02-03 10:20");
	ck_assert_int_eq(engine_act(eng, conn, run, -1, "acknowledge", NULL,
				    (int)person("yamazaki.tsutomu"), NULL, errors),
			 ENGINE_ACT_OK);
	/* A stale page: the fence moved on. */
	ck_assert_int_eq(engine_act(eng, conn, run, 0, "report_to_chief", NULL,
				    (int)person("yamazaki.tsutomu"), NULL, errors),
			 ENGINE_ACT_CONFLICT);
	ck_assert_int_eq(mails(inc, "acknowledged", "sakai.haruto"), 1);
	/* The milestone (sql/0008_dashboard.sql): acknowledged 20 minutes after
	 * the report; not contained or closed. */
	char *mq = xasprintf("SELECT round(extract(epoch FROM acknowledged_at - reported_at) / 60) "
			     "+ 1000 * (contained_at IS NOT NULL OR closed_at IS NOT NULL)::int "
			     "FROM incident WHERE id = %lld",
			     inc);
	ck_assert_int_eq(scalar(mq), 20);
	free(mq);
	set_clock("2027-02-03 15:20");
	tick_all();
	ck_assert_int_eq(mails(inc, "reminder", "mori.akiko"), 0);
	ck_assert_int_eq(mails(inc, "escalated", "sato.kenichi"), 0);
	/* The acknowledged state has its own ladder, from the acknowledgement. */
	ck_assert_int_eq(mails(inc, "reminder", "yamazaki.tsutomu"), 1);
	char *q = xasprintf("SELECT count(*) FROM timer WHERE run_id = %lld AND outcome = 'cancelled'",
			    run);
	ck_assert_int_ge(scalar(q), 1);
	free(q);
	/* A required field: report_to_chief needs the summary. */
	ck_assert_int_eq(engine_act(eng, conn, run, -1, "report_to_chief", NULL,
				    (int)person("yamazaki.tsutomu"), NULL, errors),
			 ENGINE_ACT_INVALID);
	ck_assert_ptr_nonnull(json_object_get(errors, "summary"));
	json_decref(errors);
	shift("0");
}
END_TEST

START_TEST(test_ppc_leak_report)
{
	long long inc = new_incident("{\"involved\": \"yes\", \"persons\": 150, \"encrypted\": false, "
				     "\"sensitive\": false, \"financial\": false, \"malicious\": "
				     "false, \"mynumber\": false}",
				     "sokuho_now() - interval '1 day'");
	long long run = run_of(inc, "ppc-leak-report");
	char *q = xasprintf("SELECT count(*) FROM workflow_deadline w JOIN incident i ON i.id = %lld "
			    "WHERE w.run_id = %lld AND w.key = 'ppc_preliminary' AND w.due_at = "
			    "i.discovered_at + interval '3 days'",
			    inc, run);
	ck_assert_int_eq(scalar(q), 1);
	free(q);
	/* Reminders 2 days, 1 day and 6 hours before the due time. */
	q = xasprintf("SELECT count(*) FROM timer t, incident i WHERE i.id = %lld AND t.run_id = %lld "
		      "AND t.kind = 'remind' AND t.fire_at IN (i.discovered_at + interval '1 day', "
		      "i.discovered_at + interval '2 days', i.discovered_at + interval '66 hours')",
		      inc, run);
	ck_assert_int_eq(scalar(q), 3);
	free(q);
	ck_assert_int_eq(mails(inc, "legal_report_required", "watanabe.daisuke"), 1);
	/* Not encrypted and no trigger: no PPC workflow; My Number neither. */
	long long inc2 = new_incident("{\"involved\": \"yes\", \"persons\": 3, \"encrypted\": false, "
				      "\"sensitive\": false, \"financial\": false, \"malicious\": "
				      "false, \"mynumber\": false}",
				      "sokuho_now()");
	q = xasprintf("SELECT count(*) FROM workflow_run WHERE incident_id = %lld", inc2);
	ck_assert_int_eq(scalar(q), 2);
	free(q);
	/* The overdue notice when the 速報 deadline passes. */
	shift("2 days 1 hour");
	tick_all();
	q = xasprintf("SELECT count(*) FROM audit_event WHERE incident_id = %lld AND kind = "
		      "'workflow.deadline_missed'",
		      inc);
	ck_assert_int_eq(scalar(q), 1);
	free(q);
	/* Legal deadlines are met when the workflow has left every state with
	 * their key (sql/0008_dashboard.sql): 速報 when it is submitted, 確報
	 * only at the end. */
	q = xasprintf("INSERT INTO legal_deadline (incident_id, clock, key, title_ja, title_en, due_at) "
		      "SELECT %lld, 'ppc', k, k, k, sokuho_now() + interval '1 day' "
		      "FROM unnest(ARRAY['ppc_preliminary', 'ppc_final']) k",
		      inc);
	sql(q);
	free(q);
	json_t *errors = json_object();
	json_t *fields = json_pack("{s:s}", "submitted_at", "2026-11-20T10:00");
	ck_assert_int_eq(engine_act(eng, conn, run, -1, "submit_preliminary", fields,
				    (int)person("matsuda.kazuya"), NULL, errors),
			 ENGINE_ACT_OK);
	q = xasprintf("SELECT count(*) FILTER (WHERE key = 'ppc_preliminary' AND met_at IS NOT NULL) "
		      "+ 10 * count(*) FILTER (WHERE key = 'ppc_final' AND met_at IS NOT NULL) "
		      "FROM legal_deadline WHERE incident_id = %lld",
		      inc);
	ck_assert_int_eq(scalar(q), 1);
	json_object_clear(fields);
	json_object_set_new(fields, "notice_to_persons", json_string("2026-11-21 書面で通知"));
	ck_assert_int_eq(engine_act(eng, conn, run, -1, "record_notice", fields,
				    (int)person("matsuda.kazuya"), NULL, errors),
			 ENGINE_ACT_OK);
	ck_assert_int_eq(scalar(q), 1);
	json_object_clear(fields);
	json_object_set_new(fields, "submitted_at", json_string("2026-11-22T10:00"));
	ck_assert_int_eq(engine_act(eng, conn, run, -1, "submit_final", fields,
				    (int)person("matsuda.kazuya"), NULL, errors),
			 ENGINE_ACT_OK);
	ck_assert_int_eq(scalar(q), 11);
	free(q);
	json_decref(fields);
	json_decref(errors);
	shift("0");
}
END_TEST

struct race {
	long long run;
	int actor;
	int result;
};

static void *race_act(void *arg)
{
	struct race *r = arg;
	PGconn *c = connect_db();
	json_t *errors = json_object();
	r->result = engine_act(eng, c, r->run, -1, "acknowledge", NULL, r->actor, NULL, errors);
	json_decref(errors);
	PQfinish(c);
	return NULL;
}

static void *race_tick(void *arg)
{
	(void)arg;
	PGconn *c = connect_db();
	while (engine_tick(eng, c, 50) > 0)
		;
	PQfinish(c);
	return NULL;
}

START_TEST(test_action_races_timer)
{
	for (int i = 0; i < 10; i++) {
		shift("0");
		long long inc = new_incident("{\"involved\": \"no\"}", "sokuho_now()");
		long long run = run_of(inc, "reporting-duty");
		shift("31 minutes"); /* the first reminder is due right now */
		struct race r = {run, (int)person("yamazaki.tsutomu"), -9};
		pthread_t a, b;
		pthread_create(&a, NULL, race_act, &r);
		pthread_create(&b, NULL, race_tick, NULL);
		pthread_join(a, NULL);
		pthread_join(b, NULL);
		ck_assert_int_eq(r.result, ENGINE_ACT_OK);
		/* Either the reminder went out before the acknowledgement, or the
		 * timer found it acknowledged and did nothing: never half. */
		char *q = xasprintf("SELECT outcome FROM timer WHERE run_id = %lld AND kind = "
				    "'escalation' AND step = 0 AND fence = 0",
				    run);
		PGresult *res = PQexec(conn, q);
		free(q);
		ck_assert(db_ok(res) && PQntuples(res) == 1);
		const char *outcome = PQgetvalue(res, 0, 0);
		long sent = mails(inc, "reminder", "mori.akiko");
		ck_assert_msg((strcmp(outcome, "applied") == 0 && sent == 1) ||
				      ((strcmp(outcome, "cancelled") == 0 || strcmp(outcome, "stale") == 0) &&
				       sent == 0),
			      "outcome %s with %ld reminders", outcome, sent);
		PQclear(res);
		q = xasprintf("SELECT state FROM workflow_run WHERE id = %lld", run);
		res = PQexec(conn, q);
		free(q);
		ck_assert_str_eq(PQgetvalue(res, 0, 0), "acknowledged");
		PQclear(res);
	}
	shift("0");
}
END_TEST

/* Thousands of due timers: made in bulk on incidents that are never acted on. */
static long make_due_timers(int incidents)
{
	char *q = xasprintf(
		"WITH i AS (INSERT INTO incident (ref, channel, reporter_id, section_id, category, "
		"summary, discovered_at, facts) SELECT 'INC-2025-' || lpad(g::text, 5, '0'), 'staff', "
		"(SELECT id FROM person WHERE login = 'sakai.haruto'), (SELECT id FROM org_unit WHERE "
		"code = 'zeimu'), 'other', 'bulk ' || g, sokuho_now(), '{}' FROM generate_series(1, %d) g "
		"RETURNING id), r AS (INSERT INTO workflow_run (incident_id, def_id, state, fence) "
		"SELECT i.id, d.id, d.definition->>'initial', 1 FROM i, workflow_def d WHERE d.name IN "
		"('reporting-duty', 'emergency-response') RETURNING id) "
		"INSERT INTO timer (run_id, kind, step, fence, fire_at) SELECT id, 'escalation', 0, 1, "
		"sokuho_now() - interval '1 second' FROM r",
		incidents);
	sql(q);
	free(q);
	return scalar("SELECT count(*) FROM timer WHERE fired_at IS NULL AND fire_at <= sokuho_now()");
}

static pid_t start_worker(void)
{
	pid_t pid = fork();
	ck_assert(pid >= 0);
	if (pid == 0) {
		char *e = xasprintf("DATABASE_URL=%s", db);
		putenv(e);
		int fd = open("/dev/null", 1);
		dup2(fd, 2);
		execl(ts_bin(), ts_bin(), "worker", (char *)NULL);
		_exit(127);
	}
	return pid;
}

static void wait_drained(int seconds)
{
	for (int i = 0; i < seconds * 20; i++) {
		if (scalar("SELECT count(*) FROM timer WHERE fired_at IS NULL AND fire_at <= "
			   "sokuho_now()") == 0)
			return;
		usleep(50 * 1000);
	}
	ck_abort_msg("due timers were not all applied in %d s", seconds);
}

START_TEST(test_many_engines_exactly_once)
{
	long due = make_due_timers(1500);
	ck_assert_int_eq(due, 3000);
	/* The first engine is killed mid-batch; three more finish the work. */
	pid_t first = start_worker();
	usleep(150 * 1000);
	kill(first, SIGKILL);
	waitpid(first, NULL, 0);
	pid_t w[3];
	for (int i = 0; i < 3; i++)
		w[i] = start_worker();
	wait_drained(120);
	for (int i = 0; i < 3; i++) {
		kill(w[i], SIGTERM);
		int st;
		waitpid(w[i], &st, 0);
		ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
	/* Each of the 3000 timers fired exactly once: one audit event each. */
	ck_assert_int_eq(scalar("SELECT count(*) FROM timer WHERE kind = 'escalation' AND step = 0 "
				"AND outcome = 'applied'"),
			 3000);
	ck_assert_int_eq(scalar("SELECT count(*) FROM audit_event WHERE kind = 'workflow.escalated'"),
			 3000);
	ck_assert_int_eq(scalar("SELECT count(*) FROM (SELECT dedup_key FROM outbox GROUP BY "
				"dedup_key HAVING count(*) > 1) x"),
			 0);
	/* The next rung of each ladder is scheduled once. */
	ck_assert_int_eq(scalar("SELECT count(*) FROM timer WHERE step = 1 AND fired_at IS NULL"), 3000);
}
END_TEST

START_TEST(test_versions)
{
	long long a = new_incident("{\"involved\": \"no\"}", "sokuho_now()");
	/* Version 2 of reporting-duty, with another title for its first state. */
	char *dir = ts_tmpdir();
	char *path = xasprintf("%s/reporting-duty.json", dir);
	char *src = ts_read_file("workflows/reporting-duty.json");
	ck_assert(src != NULL);
	json_t *j = json_loads(src, 0, NULL);
	long long v = json_integer_value(json_object_get(j, "version"));
	json_object_set_new(j, "version", json_integer(v + 1));
	json_t *st = json_object_get(json_object_get(j, "states"), "reported");
	json_object_set_new(st, "title", json_pack("{s:s, s:s}", "ja", "報告受付（第2版）", "en",
						   "Reported (v2)"));
	ck_assert_int_eq(json_dump_file(j, path, JSON_INDENT(1)), 0);
	json_decref(j);
	char err[512];
	ck_assert_int_eq(engine_load_defs(conn, dir, NULL, err, sizeof err), 1);
	/* Loading the same again adds nothing; changing v2 without a new number is refused. */
	ck_assert_int_eq(engine_load_defs(conn, dir, NULL, err, sizeof err), 0);
	long long b = new_incident("{\"involved\": \"no\"}", "sokuho_now()");
	char *q = xasprintf("SELECT d.version FROM workflow_run r JOIN workflow_def d ON d.id = "
			    "r.def_id WHERE r.incident_id = %lld AND d.name = 'reporting-duty'",
			    a);
	ck_assert_int_eq(scalar(q), v);
	free(q);
	q = xasprintf("SELECT d.version FROM workflow_run r JOIN workflow_def d ON d.id = "
		      "r.def_id WHERE r.incident_id = %lld AND d.name = 'reporting-duty'",
		      b);
	ck_assert_int_eq(scalar(q), v + 1);
	free(q);
	/* The old incident goes on under version 1. */
	json_t *errors = json_object();
	ck_assert_int_eq(engine_act(eng, conn, run_of(a, "reporting-duty"), -1, "acknowledge", NULL,
				    (int)person("yamazaki.tsutomu"), NULL, errors),
			 ENGINE_ACT_OK);
	json_t *runs = engine_runs_json(eng, conn, b, 0);
	const char *title = NULL;
	size_t k;
	json_t *run;
	json_array_foreach(runs, k, run)
		if (strcmp(json_string_value(json_object_get(run, "name")), "reporting-duty") == 0)
			title = json_string_value(json_object_get(run, "state_ja"));
	ck_assert_str_eq(title, "報告受付（第2版）");
	json_decref(runs);
	/* Changing a loaded version is refused, and nothing else of that
	 * folder is stored: a new version of another workflow, loaded before
	 * the refusal (files load in name order), is rolled back with it. */
	char *src2 = ts_read_file("workflows/ppc-leak-report.json");
	json_t *j2 = json_loads(src2, 0, NULL);
	long long v2 = json_integer_value(json_object_get(j2, "version")) + 100;
	json_object_set_new(j2, "version", json_integer(v2));
	char *path2 = xasprintf("%s/ppc-leak-report.json", dir);
	ck_assert_int_eq(json_dump_file(j2, path2, JSON_INDENT(1)), 0);
	json_decref(j2);
	j = json_loads(src, 0, NULL);
	json_object_set_new(j, "version", json_integer(v + 1));
	json_object_set_new(json_object_get(json_object_get(j, "states"), "reported"), "title",
			    json_pack("{s:s, s:s}", "ja", "変更", "en", "Changed"));
	ck_assert_int_eq(json_dump_file(j, path, JSON_INDENT(1)), 0);
	json_decref(j);
	ck_assert_int_eq(engine_load_defs(conn, dir, NULL, err, sizeof err), -1);
	ck_assert_msg(strstr(err, "is already loaded with other content"), "%s", err);
	q = xasprintf("SELECT count(*) FROM workflow_def WHERE name = 'ppc-leak-report' AND version = "
		      "%lld",
		      v2);
	ck_assert_int_eq(scalar(q), 0);
	free(q);
	free(path2);
	free(src2);
	json_decref(errors);
	free(src);
	free(path);
	free(dir);
}
END_TEST

static long cpu_ticks(pid_t pid)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	char *s = ts_read_file(path);
	ck_assert(s != NULL);
	/* Fields 14 and 15 (utime, stime) come after the command in parentheses. */
	const char *p = strrchr(s, ')');
	long utime = 0, stime = 0;
	int field = 2;
	for (const char *t = p + 1; *t; t++) {
		if (*t == ' ') {
			field++;
			if (field == 14)
				utime = atol(t + 1);
			else if (field == 15)
				stime = atol(t + 1);
		}
	}
	free(s);
	return utime + stime;
}

START_TEST(test_idle_and_prompt)
{
	new_incident("{\"involved\": \"no\"}", "sokuho_now()");
	pid_t w = start_worker();
	usleep(1500 * 1000);
	long before = cpu_ticks(w);
	sleep(3);
	long used = cpu_ticks(w) - before;
	ck_assert_msg(used <= 2, "an idle engine used %ld CPU ticks in 3 s", used);
	/* A timer due now fires within a second of being made. */
	long long inc = new_incident("{\"involved\": \"no\"}", "sokuho_now()");
	char *q = xasprintf("INSERT INTO timer (run_id, kind, step, fence, fire_at) SELECT id, "
			    "'escalation', 0, fence, sokuho_now() FROM workflow_run WHERE id = %lld "
			    "RETURNING 1",
			    run_of(inc, "reporting-duty"));
	sql("BEGIN");
	sql("DELETE FROM timer WHERE fired_at IS NULL");
	sql(q);
	sql("NOTIFY sokuho_wake");
	sql("COMMIT");
	free(q);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	long sent = 0;
	while (sent == 0) {
		clock_gettime(CLOCK_MONOTONIC, &t1);
		if (t1.tv_sec - t0.tv_sec >= 2)
			break;
		sent = mails(inc, "reminder", "mori.akiko");
		usleep(20 * 1000);
	}
	double ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	ck_assert_msg(sent == 1 && ms < 1000, "fired after %.0f ms (sent %ld)", ms, sent);
	kill(w, SIGTERM);
	int st;
	waitpid(w, &st, 0);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}
END_TEST

/* Whether the incident page offers login the action on run (the page's
 * list from engine_runs_json). */
static int page_offers(long long incident, long long run, const char *action, const char *login)
{
	json_t *runs = engine_runs_json(eng, conn, incident, (int)person(login));
	size_t i, k;
	json_t *r, *a;
	int offered = 0;
	json_array_foreach(runs, i, r) {
		if (atoll(json_string_value(json_object_get(r, "id"))) != run)
			continue;
		json_array_foreach(json_object_get(r, "actions"), k, a)
			offered |= strcmp(json_string_value(json_object_get(a, "name")), action) == 0;
	}
	json_decref(runs);
	return offered;
}

/* engine_may_act (what the mail sender asks before it puts an acknowledge
 * link in a mail) is the rule the incident page shows and engine_act
 * enforces: the 管理者 and his deputy, the 統括 and the CISO may acknowledge;
 * the CSIRT and the reporter may not; not at a stale fence, not an action
 * the state lacks, not once the run moved on. */
START_TEST(test_may_act_is_the_action_rule)
{
	long long inc = new_incident("{\"involved\": \"no\"}", "sokuho_now()");
	long long run = run_of(inc, "reporting-duty");
	char *q = xasprintf("SELECT fence FROM workflow_run WHERE id = %lld", run);
	int fence = (int)scalar(q);
	free(q);
	static const struct {
		const char *login;
		int may;
	} who[] = {{"yamazaki.tsutomu", 1}, {"mori.akiko", 1},	    {"watanabe.daisuke", 1},
		   {"sato.kenichi", 1},	    {"takeuchi.misaki", 0}, {"sakai.haruto", 0}};
	for (size_t i = 0; i < sizeof who / sizeof *who; i++) {
		int may = engine_may_act(eng, conn, run, fence, "acknowledge", (int)person(who[i].login));
		ck_assert_msg(may == who[i].may, "%s: engine_may_act %d", who[i].login, may);
		ck_assert_msg(page_offers(inc, run, "acknowledge", who[i].login) == may,
			      "%s: the page and engine_may_act disagree", who[i].login);
		ck_assert_int_eq(engine_may_act(eng, conn, run, -1, "acknowledge",
						(int)person(who[i].login)),
				 may);
	}
	long yamazaki = person("yamazaki.tsutomu");
	ck_assert_int_eq(engine_may_act(eng, conn, run, fence + 1, "acknowledge", (int)yamazaki), 0);
	ck_assert_int_eq(engine_may_act(eng, conn, run, fence, "contain", (int)yamazaki), 0);
	ck_assert_int_eq(engine_may_act(eng, conn, run, fence, "acknowledge", 0), 0);
	ck_assert_int_eq(engine_may_act(eng, conn, run + 100000, -1, "acknowledge", (int)yamazaki), 0);
	/* engine_act refuses whom the rule refuses, and takes whom it allows */
	json_t *errors = json_object();
	ck_assert_int_eq(engine_act(eng, conn, run, fence, "acknowledge", NULL,
				    (int)person("takeuchi.misaki"), NULL, errors),
			 ENGINE_ACT_FORBIDDEN);
	ck_assert_int_eq(engine_act(eng, conn, run, fence, "acknowledge", NULL, (int)yamazaki, NULL,
				    errors),
			 ENGINE_ACT_OK);
	json_decref(errors);
	/* acknowledged: nobody may acknowledge it again */
	ck_assert_int_eq(engine_may_act(eng, conn, run, -1, "acknowledge", (int)yamazaki), 0);
	ck_assert_int_eq(engine_may_act(eng, conn, run, fence, "acknowledge",
					(int)person("sato.kenichi")),
			 0);
}
END_TEST

static long timer_value(long long timer, const char *expr)
{
	char *q = xasprintf("SELECT %s FROM timer WHERE id = %lld", expr, timer);
	long v = scalar(q);
	free(q);
	return v;
}

/* One timer whose application fails (a trigger refuses its run's mail) does
 * not hold up the timers behind it: they fire on the same tick; it is tried
 * again with backoff, then marked failed and left alone; once the cause is
 * gone a retry applies it exactly once. */
START_TEST(test_poisoned_timer)
{
	long long bad = new_incident("{\"involved\": \"no\"}", "sokuho_now()");
	long long ok1 = new_incident("{\"involved\": \"no\"}", "sokuho_now()");
	long long ok2 = new_incident("{\"involved\": \"no\"}", "sokuho_now()");
	long long run = run_of(bad, "reporting-duty");
	char *q = xasprintf(
		"CREATE FUNCTION poison() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
		"IF NEW.run_id = %lld THEN RAISE EXCEPTION 'poisoned by the test'; END IF; "
		"RETURN NEW; END $$; "
		"CREATE TRIGGER poison BEFORE INSERT ON outbox FOR EACH ROW EXECUTE FUNCTION poison()",
		run);
	sql(q);
	free(q);
	q = xasprintf("SELECT id FROM timer WHERE run_id = %lld AND kind = 'escalation' AND step = 0",
		      run);
	long long timer = scalar(q);
	free(q);
	/* It is first in line: due before the others. */
	q = xasprintf("UPDATE timer SET fire_at = fire_at - interval '1 minute' WHERE id = %lld",
		      timer);
	sql(q);
	free(q);

	shift("31 minutes");
	ck_assert_int_ge(engine_tick(eng, conn, 200), 3);
	ck_assert_int_eq(mails(ok1, "reminder", "mori.akiko"), 1);
	ck_assert_int_eq(mails(ok2, "reminder", "mori.akiko"), 1);
	ck_assert_int_eq(mails(bad, "reminder", "mori.akiko"), 0);
	ck_assert_int_eq(timer_value(timer, "attempts"), 1);
	ck_assert_int_eq(timer_value(timer, "(fired_at IS NULL AND failed_at IS NULL)::int"), 1);
	ck_assert_int_eq(timer_value(timer, "(last_error LIKE '%poisoned by the test%')::int"), 1);
	/* Postponed by 10 s, then 20, 40, 80 (by the database clock). */
	ck_assert_int_eq(timer_value(timer, "round(extract(epoch FROM retry_at - sokuho_now()))"),
			 10);
	ck_assert_int_eq(engine_tick(eng, conn, 200), 0);
	ck_assert_int_eq(timer_value(timer, "attempts"), 1);
	int secs = 31 * 60, wait = 10;
	for (int attempt = 2; attempt <= 5; attempt++) {
		secs += wait;
		q = xasprintf("%d seconds", secs);
		shift(q);
		free(q);
		ck_assert_int_eq(engine_tick(eng, conn, 200), 1);
		ck_assert_int_eq(timer_value(timer, "attempts"), attempt);
		wait *= 2;
		if (attempt < 5)
			ck_assert_int_eq(
				timer_value(timer,
					    "round(extract(epoch FROM retry_at - sokuho_now()))"),
				wait);
	}
	ck_assert_int_eq(timer_value(timer, "(failed_at IS NOT NULL AND fired_at IS NULL)::int"), 1);
	/* Failed: no longer picked up, however late. */
	shift("50 minutes");
	tick_all();
	ck_assert_int_eq(timer_value(timer, "attempts"), 5);
	ck_assert_int_eq(mails(bad, "reminder", "mori.akiko"), 0);

	/* Only a failed timer can be retried. */
	char err[512] = "";
	q = xasprintf("SELECT id FROM timer WHERE run_id = %lld AND fired_at IS NOT NULL LIMIT 1",
		      run_of(ok1, "reporting-duty"));
	ck_assert_int_eq(engine_timer_retry(conn, scalar(q), 0, err, sizeof err), 0);
	free(q);
	ck_assert_int_eq(engine_timer_retry(conn, 999999999, 0, err, sizeof err), 0);

	sql("DROP TRIGGER poison ON outbox");
	ck_assert_int_eq(engine_timer_retry(conn, timer, (int)person("sato.kenichi"), err, sizeof err),
			 1);
	ck_assert_int_eq(engine_timer_retry(conn, timer, 0, err, sizeof err), 0);
	tick_all();
	tick_all();
	ck_assert_int_eq(mails(bad, "reminder", "mori.akiko"), 1);
	ck_assert_int_eq(timer_value(timer, "(fired_at IS NOT NULL AND outcome = 'applied')::int"),
			 1);
	q = xasprintf("SELECT count(*) FROM audit_event WHERE incident_id = %lld AND kind = "
		      "'workflow.timer_retried' AND actor_id = %ld AND detail->>'timer' = '%lld' "
		      "AND detail->>'last_error' LIKE '%%poisoned by the test%%'",
		      bad, person("sato.kenichi"), timer);
	ck_assert_int_eq(scalar(q), 1);
	free(q);
	q = xasprintf("SELECT count(*) FROM audit_event WHERE incident_id = %lld AND kind = "
		      "'workflow.escalated' AND detail->>'workflow' = 'reporting-duty'",
		      bad);
	ck_assert_int_eq(scalar(q), 1);
	free(q);
	shift("0");
}
END_TEST

/* A timer whose run names a state its definition does not have fails with
 * that said in last_error, not an empty one. */
START_TEST(test_timer_error_says_why)
{
	long long inc = new_incident("{\"involved\": \"no\"}", "sokuho_now()");
	long long run = run_of(inc, "reporting-duty");
	char *q = xasprintf("UPDATE workflow_run SET state = 'no_such_state' WHERE id = %lld", run);
	sql(q);
	free(q);
	shift("31 minutes");
	tick_all();
	q = xasprintf("SELECT count(*) FROM timer t JOIN workflow_run r ON r.id = t.run_id JOIN "
		      "workflow_def d ON d.id = r.def_id WHERE t.run_id = %lld AND t.attempts = 1 "
		      "AND t.last_error = format('workflow ''reporting-duty'' version %%s has no "
		      "state ''no_such_state''', d.version) AND t.fired_at IS NULL",
		      run);
	ck_assert_int_eq(scalar(q), 1);
	free(q);
	shift("0");
}
END_TEST

/* Issue 18, closing: the incident does not close while a legal report
 * runs, nor while its reporting duty is unfinished unless the closer waives
 * the rest with a reason; closing stops the other runs, and no mail about
 * them follows. */
START_TEST(test_closing_rules)
{
	long long inc = new_incident("{\"involved\": \"yes\", \"persons\": 150, \"encrypted\": false, "
				     "\"sensitive\": false, \"financial\": false, \"malicious\": "
				     "false, \"mynumber\": false}",
				     "sokuho_now()");
	long long er = run_of(inc, "emergency-response");
	long long ppc = run_of(inc, "ppc-leak-report");
	long long duty = run_of(inc, "reporting-duty");
	char *q = xasprintf("UPDATE workflow_run SET state = 'lessons_learned' WHERE id = %lld", er);
	sql(q);
	free(q);
	int csirt = (int)person("matsuda.kazuya"); /* CSIRT and 統括 (deputy) */
	json_t *errors = json_object();
	json_t *fields = json_pack("{s:s, s:s}", "lessons", "誤送信の確認手順", "prevention",
				   "送信前の二重確認");
	/* the PPC's report is not finished: refused, nothing changed */
	ck_assert_int_eq(engine_act(eng, conn, er, -1, "close", fields, csirt, NULL, errors),
			 ENGINE_ACT_BLOCKED);
	char *closed = xasprintf("SELECT count(*) FROM incident WHERE id = %lld AND closed_at IS NOT "
				 "NULL",
				 inc);
	ck_assert_int_eq(scalar(closed), 0);
	q = xasprintf("SELECT count(*) FROM workflow_run WHERE incident_id = %lld AND finished_at IS "
		      "NULL",
		      inc);
	ck_assert_int_eq(scalar(q), 3);
	/* the PPC's report done: still the reporting duty, which may be waived
	 * only with a reason */
	char *fin = xasprintf("WITH r AS (UPDATE workflow_run SET finished_at = sokuho_now(), "
			      "state = 'closed', fence = fence + 1 WHERE id = %lld RETURNING id) "
			      "UPDATE timer SET fired_at = sokuho_now(), outcome = 'cancelled' "
			      "WHERE run_id IN (SELECT id FROM r) AND fired_at IS NULL",
			      ppc);
	sql(fin);
	free(fin);
	json_object_clear(errors);
	ck_assert_int_eq(engine_act(eng, conn, er, -1, "close", fields, csirt, NULL, errors),
			 ENGINE_ACT_INVALID);
	ck_assert_ptr_nonnull(json_object_get(errors, "waive_reason"));
	json_object_set_new(fields, "waive_reason", json_string("   "));
	json_object_clear(errors);
	ck_assert_int_eq(engine_act(eng, conn, er, -1, "close", fields, csirt, NULL, errors),
			 ENGINE_ACT_INVALID);
	ck_assert_int_eq(scalar(closed), 0);
	json_object_set_new(fields, "waive_reason", json_string("統括へは口頭で報告済み"));
	json_object_clear(errors);
	ck_assert_int_eq(engine_act(eng, conn, er, -1, "close", fields, csirt, NULL, errors),
			 ENGINE_ACT_OK);
	ck_assert_int_eq(scalar(closed), 1);
	ck_assert_int_eq(scalar(q), 0);
	free(q);
	q = xasprintf("SELECT count(*) FROM timer WHERE run_id = %lld AND fired_at IS NULL", duty);
	ck_assert_int_eq(scalar(q), 0);
	free(q);
	q = xasprintf("SELECT count(*) FROM audit_event WHERE incident_id = %lld AND kind = "
		      "'workflow.stopped' AND detail->>'workflow' = 'reporting-duty' AND "
		      "detail->>'reason' = '統括へは口頭で報告済み'",
		      inc);
	ck_assert_int_eq(scalar(q), 1);
	free(q);
	/* no mail about the incident after it closed, whatever time passes */
	q = xasprintf("SELECT count(*) FROM outbox WHERE incident_id = %lld AND template <> 'closed'",
		      inc);
	long before = scalar(q);
	shift("3 days");
	tick_all();
	shift("10 days");
	tick_all();
	ck_assert_int_eq(scalar(q), before);
	free(q);
	shift("0");
	free(closed);
	json_decref(fields);
	json_decref(errors);
}
END_TEST

/* Issue 18: the same notice goes to one person once per incident — the
 * CISO's 重大 notice is sent by the reporting duty on report and again on
 * reaching the chief, and by the response plan on containment. */
START_TEST(test_severe_notice_once)
{
	sql("BEGIN");
	long long inc = scalar("INSERT INTO incident (ref, channel, reporter_id, section_id, category, "
			       "summary, discovered_at, severity, facts) SELECT 'INC-2026-8101', 'staff', "
			       "(SELECT id FROM person WHERE login = 'sakai.haruto'), (SELECT id FROM "
			       "org_unit WHERE code = 'zeimu'), 'malware', 'ランサムウェア', sokuho_now(), "
			       "3, '{\"personal_data\": {\"involved\": \"no\"}}' RETURNING id");
	ck_assert_int_ge(engine_start_incident(eng, conn, inc), 2);
	sql("COMMIT");
	ck_assert_int_eq(mails(inc, "severe_incident", "sato.kenichi"), 1);
	json_t *errors = json_object();
	long long duty = run_of(inc, "reporting-duty");
	ck_assert_int_eq(engine_act(eng, conn, duty, -1, "acknowledge", NULL,
				    (int)person("yamazaki.tsutomu"), NULL, errors),
			 ENGINE_ACT_OK);
	json_t *summary = json_pack("{s:s}", "summary", "暗号化被害、業務停止");
	ck_assert_int_eq(engine_act(eng, conn, duty, -1, "report_to_chief", summary,
				    (int)person("yamazaki.tsutomu"), NULL, errors),
			 ENGINE_ACT_OK);
	json_decref(summary);
	char *q = xasprintf("SELECT state FROM workflow_run WHERE id = %lld", duty);
	PGresult *r = PQexec(conn, q);
	ck_assert_str_eq(PQgetvalue(r, 0, 0), "with_chief");
	PQclear(r);
	free(q);
	/* the chief's own notice and the department head's 重大 notice go;
	 * the CISO's second does not */
	ck_assert_int_eq(mails(inc, "reported_to_chief", "watanabe.daisuke"), 1);
	ck_assert_int_eq(mails(inc, "severe_incident", "sato.kenichi"), 1);
	q = xasprintf("SELECT count(*) FROM outbox o JOIN person p ON p.id = o.recipient_id WHERE "
		      "o.incident_id = %lld AND o.template = 'severe_incident' GROUP BY p.id "
		      "ORDER BY count(*) DESC LIMIT 1",
		      inc);
	ck_assert_int_eq(scalar(q), 1);
	free(q);
	json_decref(errors);
}
END_TEST

/* When a run's timer of this kind and step, not fired yet, is due: Japan
 * time "YYYY-MM-DD HH24:MI" (the caller frees), or NULL when there is none. */
static char *timer_due(long long run, const char *kind, int step)
{
	char *q = xasprintf("SELECT to_char(fire_at AT TIME ZONE 'Asia/Tokyo', 'YYYY-MM-DD HH24:MI') "
			    "FROM timer WHERE run_id = %lld AND kind = '%s' AND step = %d AND "
			    "fired_at IS NULL",
			    run, kind, step);
	PGresult *r = PQexec(conn, q);
	ck_assert_msg(db_ok(r), "%s: %s", q, PQresultErrorMessage(r));
	char *v = PQntuples(r) == 1 ? xstrdup(PQgetvalue(r, 0, 0)) : NULL;
	PQclear(r);
	free(q);
	return v;
}

static void assert_due(long long run, const char *kind, int step, const char *want)
{
	char *got = timer_due(run, kind, step);
	ck_assert_msg(got && strcmp(got, want) == 0, "%s step %d due %s, expected %s", kind, step,
		      got ? got : "(none)", want);
	free(got);
}

/* Mails of a workflow's run for an incident, to login, with template. */
static long run_mails(long long incident, const char *workflow, const char *tmpl,
		      const char *login)
{
	char *q = xasprintf("SELECT count(*) FROM outbox o JOIN person p ON p.id = o.recipient_id "
			    "JOIN workflow_run r ON r.id = o.run_id JOIN workflow_def d ON d.id = "
			    "r.def_id WHERE o.incident_id = %lld AND d.name = '%s' AND o.template = "
			    "'%s' AND p.login = '%s'",
			    incident, workflow, tmpl, login);
	long v = scalar(q);
	free(q);
	return v;
}

static void load_office_ladder(void)
{
	char err[512];
	ck_assert_msg(engine_load_defs(conn, "tests/db/workflows", NULL, err, sizeof err) == 1, "%s",
		      err);
}

/* Issue 19, done-when 3: a ladder with "clock": "office". A report at
 * Friday 17:00 reaches the manager's deputy 30 office minutes later: the
 * 15 minutes to 17:15, then Monday 08:30 + 15 = 08:45, not Saturday. */
START_TEST(test_office_ladder_friday_evening)
{
	load_office_ladder();
	set_clock("2027-02-05 17:00"); /* a Friday */
	long long inc = new_incident("{\"involved\": \"no\"}", "sokuho_now()");
	long long run = run_of(inc, "office-ladder");
	assert_due(run, "escalation", 0, "2027-02-08 08:45");
	/* The wall-clock ladder of the first report goes on as before. */
	assert_due(run_of(inc, "reporting-duty"), "escalation", 0, "2027-02-05 17:30");
	set_clock("2027-02-06 09:00"); /* Saturday */
	tick_all();
	ck_assert_int_eq(run_mails(inc, "office-ladder", "reminder", "mori.akiko"), 0);
	set_clock("2027-02-08 08:44"); /* Monday */
	tick_all();
	ck_assert_int_eq(run_mails(inc, "office-ladder", "reminder", "mori.akiko"), 0);
	set_clock("2027-02-08 08:46");
	tick_all();
	ck_assert_int_eq(run_mails(inc, "office-ladder", "reminder", "mori.akiko"), 1);
	/* The next step counts an office hour from the report: Monday 09:15. */
	assert_due(run, "escalation", 1, "2027-02-08 09:15");
	ck_assert_int_eq(run_mails(inc, "office-ladder", "escalated", "watanabe.daisuke"), 0);
	set_clock("2027-02-08 09:16");
	tick_all();
	ck_assert_int_eq(run_mails(inc, "office-ladder", "escalated", "watanabe.daisuke"), 1);
	shift("0");
}
END_TEST

/* A severity-3 report at Saturday 03:00 reaches the CISO at once (the
 * reporting duty's on-enter notice), and the office ladder's case for
 * severity 3 tells the deputy at once too, on the calendar clock. */
START_TEST(test_office_ladder_severe_saturday)
{
	load_office_ladder();
	set_clock("2027-02-06 03:00"); /* a Saturday */
	sql("BEGIN");
	long long inc = scalar("INSERT INTO incident (ref, channel, reporter_id, section_id, category, "
			       "summary, discovered_at, severity, facts) SELECT 'INC-2027-8201', 'staff', "
			       "(SELECT id FROM person WHERE login = 'sakai.haruto'), (SELECT id FROM "
			       "org_unit WHERE code = 'zeimu'), 'malware', 'ランサムウェア', sokuho_now(), "
			       "3, '{\"personal_data\": {\"involved\": \"no\"}}' RETURNING id");
	ck_assert_int_ge(engine_start_incident(eng, conn, inc), 3);
	sql("COMMIT");
	ck_assert_int_eq(mails(inc, "severe_incident", "sato.kenichi"), 1);
	long long run = run_of(inc, "office-ladder");
	assert_due(run, "escalation", 0, "2027-02-06 03:00");
	tick_all();
	ck_assert_int_eq(run_mails(inc, "office-ladder", "reminder", "mori.akiko"), 1);
	/* The step without a case waits for office time: Monday 09:30. */
	assert_due(run, "escalation", 1, "2027-02-08 09:30");
	shift("0");
}
END_TEST

/* The shipped reporting duty: once the manager has acknowledged, the
 * routine reminders count office time (acknowledged at Friday 17:00: the
 * manager's reminder 2 office hours on is Monday 10:15, the deputy's 4
 * hours on Monday 12:15); severity 3 keeps them on the wall clock. */
START_TEST(test_reporting_duty_office_reminders)
{
	set_clock("2027-02-05 16:50");
	long long inc = new_incident("{\"involved\": \"no\"}", "sokuho_now()");
	long long run = run_of(inc, "reporting-duty");
	set_clock("2027-02-05 17:00");
	json_t *errors = json_object();
	ck_assert_int_eq(engine_act(eng, conn, run, -1, "acknowledge", NULL,
				    (int)person("yamazaki.tsutomu"), NULL, errors),
			 ENGINE_ACT_OK);
	assert_due(run, "escalation", 0, "2027-02-08 10:15");
	set_clock("2027-02-06 12:00");
	tick_all();
	ck_assert_int_eq(mails(inc, "reminder", "yamazaki.tsutomu"), 0);
	set_clock("2027-02-08 10:16");
	tick_all();
	ck_assert_int_eq(mails(inc, "reminder", "yamazaki.tsutomu"), 1);
	assert_due(run, "escalation", 1, "2027-02-08 12:15");
	ck_assert_int_eq(mails(inc, "escalated", "mori.akiko"), 0);
	set_clock("2027-02-08 12:16");
	tick_all();
	ck_assert_int_eq(mails(inc, "escalated", "mori.akiko"), 1);

	/* Severity 3, acknowledged on a Saturday night: 2 hours are 2 hours. */
	set_clock("2027-02-06 02:50");
	sql("BEGIN");
	long long sev = scalar("INSERT INTO incident (ref, channel, reporter_id, section_id, category, "
			       "summary, discovered_at, severity, facts) SELECT 'INC-2027-8202', 'staff', "
			       "(SELECT id FROM person WHERE login = 'sakai.haruto'), (SELECT id FROM "
			       "org_unit WHERE code = 'zeimu'), 'malware', 'ランサムウェア', sokuho_now(), "
			       "3, '{\"personal_data\": {\"involved\": \"no\"}}' RETURNING id");
	ck_assert_int_ge(engine_start_incident(eng, conn, sev), 2);
	sql("COMMIT");
	ck_assert_int_eq(mails(sev, "severe_incident", "sato.kenichi"), 1);
	long long srun = run_of(sev, "reporting-duty");
	set_clock("2027-02-06 03:00");
	ck_assert_int_eq(engine_act(eng, conn, srun, -1, "acknowledge", NULL,
				    (int)person("yamazaki.tsutomu"), NULL, errors),
			 ENGINE_ACT_OK);
	assert_due(srun, "escalation", 0, "2027-02-06 05:00");
	json_decref(errors);
	shift("0");
}
END_TEST

Suite *engine_suite(void)
{
	Suite *s = suite_create("engine");
	TCase *tc = tcase_create("engine");
	tcase_set_timeout(tc, 240);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_escalation_ladder);
	tcase_add_test(tc, test_bcp_reaches_ciso_at_once);
	tcase_add_test(tc, test_acknowledge_stops_escalation);
	tcase_add_test(tc, test_may_act_is_the_action_rule);
	tcase_add_test(tc, test_ppc_leak_report);
	tcase_add_test(tc, test_action_races_timer);
	tcase_add_test(tc, test_many_engines_exactly_once);
	tcase_add_test(tc, test_versions);
	tcase_add_test(tc, test_idle_and_prompt);
	tcase_add_test(tc, test_poisoned_timer);
	tcase_add_test(tc, test_timer_error_says_why);
	tcase_add_test(tc, test_closing_rules);
	tcase_add_test(tc, test_severe_notice_once);
	tcase_add_test(tc, test_office_ladder_friday_evening);
	tcase_add_test(tc, test_office_ladder_severe_saturday);
	tcase_add_test(tc, test_reporting_duty_office_reminders);
	suite_add_tcase(s, tc);
	return s;
}
