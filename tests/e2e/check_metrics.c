/* Operations endpoints end to end: /healthz with the database up and down,
 * and /metrics, every line of which must parse as the Prometheus text format
 * 0.0.4; counters move by exactly what the test did. Runs on the demo city. */
#include <check.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "core/buf.h"
#include "core/xalloc.h"
#include "org/demo.h"
#include "support.h"

Suite *metrics_suite(void);


static struct ts_server srv;
static char *db;
static int port;

#define METRICS_TOKEN "m3tr1cs-t0ken-f0r-the-test-only-0123456789"
#define METRICS_AUTH "Authorization: Bearer " METRICS_TOKEN

static void setup(void)
{
	static const char *const extra[] = {"--metrics_token", METRICS_TOKEN, NULL};
	ts_demo_server_start(&srv, "metrics", extra);
	db = srv.db;
	port = srv.port;
}

static void teardown(void)
{
	ts_demo_server_stop(&srv);
}

/* ---- a small parser of the text exposition format ---- */

struct sample {
	char *key; /* name{labels} exactly as written */
	double value;
};

struct family {
	char name[128];
	char type[16];
	int help, samples;
};

struct scrape {
	struct sample *s;
	size_t n;
	struct family f[64];
	size_t nf;
};

static int name_start(char c)
{
	return isalpha((unsigned char)c) || c == '_' || c == ':';
}

static int name_char(char c)
{
	return name_start(c) || isdigit((unsigned char)c);
}

/* Reads a metric (or label, without ':') name at *p; returns its length. */
static size_t read_name(const char *p, int colon)
{
	size_t n = 0;
	if (!name_start(p[0]) || (!colon && p[0] == ':'))
		return 0;
	while (name_char(p[n]) && (colon || p[n] != ':'))
		n++;
	return n;
}

static int parse_value(const char *p, const char **end, double *v)
{
	static const struct {
		const char *s;
		double v;
	} special[] = {{"+Inf", 1e308 * 10}, {"-Inf", -1e308 * 10}, {"NaN", 0}};
	for (size_t i = 0; i < 3; i++) {
		size_t l = strlen(special[i].s);
		if (strncmp(p, special[i].s, l) == 0) {
			*v = special[i].v;
			*end = p + l;
			return 0;
		}
	}
	if (!(isdigit((unsigned char)*p) || *p == '-' || *p == '+' || *p == '.'))
		return -1;
	char *e;
	*v = strtod(p, &e);
	if (e == p)
		return -1;
	*end = e;
	return 0;
}

static struct family *family_of(struct scrape *sc, const char *name, size_t len)
{
	for (size_t i = 0; i < sc->nf; i++)
		if (strlen(sc->f[i].name) == len && strncmp(sc->f[i].name, name, len) == 0)
			return &sc->f[i];
	return NULL;
}

static struct family *family_add(struct scrape *sc, const char *name, size_t len)
{
	struct family *f = family_of(sc, name, len);
	if (f)
		return f;
	ck_assert_msg(sc->nf < 64 && len < sizeof f->name, "too many families");
	f = &sc->f[sc->nf++];
	memset(f, 0, sizeof *f);
	memcpy(f->name, name, len);
	return f;
}

/* The family a sample belongs to: itself, or for a histogram or summary
 * sample its name without _bucket, _sum or _count. */
static struct family *sample_family(struct scrape *sc, const char *name, size_t len)
{
	struct family *f = family_of(sc, name, len);
	if (f)
		return f;
	static const char *const suffixes[] = {"_bucket", "_sum", "_count"};
	for (size_t i = 0; i < 3; i++) {
		size_t l = strlen(suffixes[i]);
		if (len > l && strncmp(name + len - l, suffixes[i], l) == 0) {
			f = family_of(sc, name, len - l);
			if (f && (strcmp(f->type, "histogram") == 0 ||
				  (strcmp(f->type, "summary") == 0 && i > 0)))
				return f;
		}
	}
	return NULL;
}

/* Parses one line; returns NULL or a reason it is malformed. */
static const char *parse_line(struct scrape *sc, const char *line)
{
	if (line[0] == '#') {
		int help = strncmp(line, "# HELP ", 7) == 0;
		if (!help && strncmp(line, "# TYPE ", 7) != 0)
			return "a comment other than HELP or TYPE";
		const char *p = line + 7;
		size_t n = read_name(p, 1);
		if (!n)
			return "bad metric name";
		struct family *f = family_add(sc, p, n);
		p += n;
		if (*p != ' ')
			return "no text after the name";
		p++;
		if (help) {
			if (f->help++)
				return "second HELP";
			for (; *p; p++)
				if (*p == '\\' && p[1] != '\\' && p[1] != 'n')
					return "bad escape in HELP";
				else if (*p == '\\')
					p++;
			return NULL;
		}
		if (f->type[0])
			return "second TYPE";
		if (f->samples)
			return "TYPE after samples";
		static const char *const types[] = {"counter", "gauge", "histogram", "summary",
						    "untyped"};
		for (size_t i = 0; i < 5; i++)
			if (strcmp(p, types[i]) == 0) {
				snprintf(f->type, sizeof f->type, "%s", p);
				return NULL;
			}
		return "unknown TYPE";
	}
	const char *p = line;
	size_t n = read_name(p, 1);
	if (!n)
		return "bad metric name";
	struct family *f = sample_family(sc, p, n);
	if (!f)
		return "sample without a TYPE";
	f->samples++;
	p += n;
	if (*p == '{') {
		p++;
		while (*p != '}') {
			size_t ln = read_name(p, 0);
			if (!ln)
				return "bad label name";
			p += ln;
			if (*p++ != '=' || *p++ != '"')
				return "label without =\"";
			while (*p != '"') {
				if (!*p || *p == '\n')
					return "unterminated label value";
				if (*p == '\\') {
					if (p[1] != '\\' && p[1] != '"' && p[1] != 'n')
						return "bad escape in label value";
					p++;
				}
				p++;
			}
			p++;
			if (*p == ',')
				p++;
			else if (*p != '}')
				return "label not followed by , or }";
		}
		p++;
	}
	if (*p != ' ')
		return "no space before the value";
	size_t keylen = (size_t)(p - line);
	p++;
	double v;
	const char *end;
	if (parse_value(p, &end, &v) < 0)
		return "bad value";
	p = end;
	if (*p == ' ') { /* optional timestamp: an integer */
		p++;
		if (*p == '-')
			p++;
		if (!isdigit((unsigned char)*p))
			return "bad timestamp";
		while (isdigit((unsigned char)*p))
			p++;
	}
	if (*p)
		return "trailing characters";
	sc->s = xrealloc(sc->s, (sc->n + 1) * sizeof *sc->s);
	sc->s[sc->n].key = xstrndup(line, keylen);
	sc->s[sc->n].value = v;
	sc->n++;
	return NULL;
}

static void scrape_release(struct scrape *sc)
{
	for (size_t i = 0; i < sc->n; i++)
		free(sc->s[i].key);
	free(sc->s);
}

/* GETs /metrics and parses every line (fails the test on any bad one). */
static void scrape(struct scrape *sc)
{
	memset(sc, 0, sizeof *sc);
	struct resp r;
	client_request_h(port, "GET", "/metrics", NULL, NULL, METRICS_AUTH, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_msg(strstr(buf_cstr(&r.headers),
			     "Content-Type: text/plain; version=0.0.4; charset=utf-8"),
		      "%s", buf_cstr(&r.headers));
	char *body = xstrdup(buf_cstr(&r.body));
	resp_release(&r);
	size_t len = strlen(body);
	ck_assert_msg(len > 0 && body[len - 1] == '\n', "the body ends with a newline");
	int lineno = 0;
	for (char *line = body, *nl; (nl = strchr(line, '\n')); line = nl + 1) {
		*nl = '\0';
		lineno++;
		const char *why = parse_line(sc, line);
		ck_assert_msg(why == NULL, "/metrics line %d: %s: %s", lineno, why, line);
	}
	for (size_t i = 0; i < sc->nf; i++)
		ck_assert_msg(sc->f[i].help == 1 && sc->f[i].type[0], "%s lacks HELP or TYPE",
			      sc->f[i].name);
	free(body);
}

/* The value of the sample written exactly as key, or dflt when absent. */
static double value(const struct scrape *sc, const char *key, double dflt)
{
	for (size_t i = 0; i < sc->n; i++)
		if (strcmp(sc->s[i].key, key) == 0)
			return sc->s[i].value;
	return dflt;
}

static int has(const struct scrape *sc, const char *key)
{
	return value(sc, key, -12345) != -12345;
}

#define HOME_200 "sokuho_http_requests_total{route=\"home\",status=\"200\"}"
#define HOME_COUNT "sokuho_http_request_duration_seconds_count{route=\"home\"}"
#define HOME_INF "sokuho_http_request_duration_seconds_bucket{route=\"home\",le=\"+Inf\"}"
#define REPORTED "sokuho_incidents_open{workflow=\"reporting-duty\",state=\"reported\"}"
#define QUEUED "sokuho_outbox{status=\"queued\"}"

START_TEST(test_healthz)
{
	struct resp r;
	client_request(port, "GET", "/healthz", NULL, NULL, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(buf_cstr(&r.body), "{\"status\":\"ok\"}");
	ck_assert(strstr(buf_cstr(&r.headers), "Content-Type: application/json"));
	resp_release(&r);
}
END_TEST

START_TEST(test_metrics_format_and_counts)
{
	struct scrape a, b;
	scrape(&a);
	static const char *const families[] = {
		"sokuho_http_requests_total", "sokuho_http_request_duration_seconds",
		"sokuho_incidents_open", "sokuho_steps_overdue", "sokuho_timers_due",
		"sokuho_outbox", "sokuho_engine_lag_seconds", "sokuho_mail_send_latency_seconds",
		"sokuho_timers_failed"};
	for (size_t i = 0; i < sizeof families / sizeof families[0]; i++)
		ck_assert_msg(family_of(&a, families[i], strlen(families[i])), "no %s",
			      families[i]);
	ck_assert(has(&a, "sokuho_steps_overdue"));
	ck_assert(has(&a, "sokuho_timers_due"));
	ck_assert(value(&a, "sokuho_timers_failed", -1) == 0);
	ck_assert(has(&a, "sokuho_engine_lag_seconds"));
	ck_assert(value(&a, "sokuho_engine_lag_seconds", -1) >= 0);
	ck_assert(has(&a, "sokuho_mail_send_latency_seconds"));
	ck_assert(has(&a, "sokuho_outbox{status=\"sent\"}"));
	ck_assert(has(&a, "sokuho_outbox{status=\"dead\"}"));
	/* the loops of this server: an engine thread, no mail sender (no smtp_host) */
	double age = value(&a, "sokuho_loop_heartbeat_age_seconds{part=\"engine\"}", -1);
	ck_assert_msg(age >= 0 && age < 10, "engine heartbeat age %g", age);
	ck_assert(value(&a, "sokuho_loop_db_lost{part=\"engine\"}", -1) == 0);
	ck_assert(has(&a, "sokuho_db_reconnections_total{part=\"engine\"}"));
	ck_assert(!has(&a, "sokuho_loop_db_lost{part=\"mailer\"}"));

	for (int i = 0; i < 3; i++) {
		struct resp r;
		client_request(port, "GET", "/", NULL, NULL, &r);
		ck_assert_int_eq(r.status, 200);
		resp_release(&r);
	}
	/* A request is counted when the server has finished with it, which may
	 * be a moment after the client has the response. */
	double want = value(&a, HOME_200, 0) + 3;
	for (int tries = 0;; tries++) {
		scrape(&b);
		if (value(&b, HOME_200, 0) >= want || tries == 50)
			break;
		scrape_release(&b);
		usleep(50 * 1000);
	}
	ck_assert_msg(value(&b, HOME_200, 0) == want, "home 200: %g, want %g",
		      value(&b, HOME_200, 0), want);
	ck_assert_msg(value(&b, HOME_COUNT, 0) == value(&a, HOME_COUNT, 0) + 3,
		      "home _count: %g then %g", value(&a, HOME_COUNT, 0),
		      value(&b, HOME_COUNT, 0));
	ck_assert(value(&b, HOME_INF, -1) == value(&b, HOME_COUNT, 0));
	ck_assert(value(&b, "sokuho_http_request_duration_seconds_sum{route=\"home\"}", -1) > 0);
	/* buckets are cumulative */
	static const char *const les[] = {"0.005", "0.01", "0.025", "0.05", "0.1", "0.25",
					  "0.5", "1", "2.5", "5", "10", "+Inf"};
	double prev = 0;
	for (size_t i = 0; i < sizeof les / sizeof les[0]; i++) {
		char key[160];
		snprintf(key, sizeof key,
			 "sokuho_http_request_duration_seconds_bucket{route=\"home\",le=\"%s\"}",
			 les[i]);
		double v = value(&b, key, -1);
		ck_assert_msg(v >= prev, "%s: %g", key, v);
		prev = v;
	}
	/* an unmatched path is counted under route "-" */
	struct resp r;
	client_request(port, "GET", "/no/such/page", NULL, NULL, &r);
	ck_assert_int_eq(r.status, 404);
	resp_release(&r);
	struct scrape c;
	for (int tries = 0;; tries++) {
		scrape(&c);
		if (has(&c, "sokuho_http_requests_total{route=\"-\",status=\"404\"}") || tries == 50)
			break;
		scrape_release(&c);
		usleep(50 * 1000);
	}
	ck_assert(value(&c, "sokuho_http_requests_total{route=\"-\",status=\"404\"}", 0) >= 1);
	scrape_release(&a);
	scrape_release(&b);
	scrape_release(&c);
}
END_TEST

START_TEST(test_metrics_from_database)
{
	struct scrape a, b;
	scrape(&a);
	char *cookie = client_sign_in(port, "sakai.haruto", DEMO_PASSWORD);
	ck_assert(cookie != NULL);
	char *csrf = client_page_csrf(port, "/my/reports", cookie);
	char *hdr = xasprintf("X-CSRF-Token: %s", csrf);
	struct resp r;
	client_json(port, "POST", "/api/v1/incidents", cookie, hdr,
		    "{\"summary\": \"metrics test\", \"discovered_at\": "
		    "\"2026-11-24T10:00:00+09:00\", \"category\": \"suspicious_mail\", "
		    "\"site\": \"honchosha\", \"segments\": [\"internet\"], "
		    "\"personal_data\": {\"involved\": \"no\"}}",
		    &r);
	ck_assert_msg(r.status == 201 || r.status == 200, "%ld %s", r.status,
		      buf_cstr(&r.body));
	resp_release(&r);
	scrape(&b);
	ck_assert_msg(value(&b, REPORTED, 0) == value(&a, REPORTED, 0) + 1,
		      "reporting-duty/reported: %g then %g", value(&a, REPORTED, 0),
		      value(&b, REPORTED, 0));
	ck_assert_msg(value(&b, QUEUED, 0) > 0, "outbox queued: %g", value(&b, QUEUED, 0));
	scrape_release(&a);
	scrape_release(&b);
	free(hdr);
	free(csrf);
	free(cookie);
}
END_TEST

/* Issue 15, finding 9: /metrics answers only the configured bearer token;
 * without one configured it is off. */
START_TEST(test_metrics_needs_token)
{
	static const char *const wrong[] = {
		NULL,
		"Authorization: Bearer wrong",
		"Authorization: Bearer " METRICS_TOKEN "x",
		"Authorization: Basic " METRICS_TOKEN,
		"Authorization: bearer",
	};
	struct resp r;
	for (size_t i = 0; i < sizeof wrong / sizeof wrong[0]; i++) {
		client_request_h(port, "GET", "/metrics", NULL, NULL, wrong[i], &r);
		ck_assert_msg(r.status == 401, "%s: %ld", wrong[i] ? wrong[i] : "none", r.status);
		ck_assert(strstr(buf_cstr(&r.body), "sokuho_") == NULL);
		resp_release(&r);
	}
	/* a server without metrics_token: off */
	struct ts_server plain;
	ts_demo_server_start(&plain, "metrics-off", NULL);
	client_request_h(plain.port, "GET", "/metrics", NULL, NULL, METRICS_AUTH, &r);
	ck_assert_int_eq(r.status, 404);
	ck_assert(strstr(buf_cstr(&r.body), "sokuho_") == NULL);
	resp_release(&r);
	long hs = 0; /* /healthz stays public */
	for (int i = 0; i < 100 && hs != 200; i++) {
		client_request(plain.port, "GET", "/healthz", NULL, NULL, &r);
		hs = r.status;
		resp_release(&r);
		if (hs != 200)
			usleep(100 * 1000);
	}
	ck_assert_int_eq(hs, 200);
	ts_demo_server_stop(&plain);
}
END_TEST

/* Waits up to 10 s for the SQL count q to reach want; returns the count. */
static long wait_count(const char *q, long want)
{
	long v = -1;
	for (int i = 0; i < 200; i++) {
		v = ts_scalar(db, q);
		if (v == want)
			break;
		usleep(50 * 1000);
	}
	return v;
}

static int run_timer_cli(const char *a1, const char *a2, char **out, char **err)
{
	const char *argv[] = {ts_bin(), "timer", a1, a2, NULL};
	char *app = ts_app_conninfo(db);
	char *env = xasprintf("DATABASE_URL=%s", app);
	const char *envp[] = {env, NULL};
	int st = ts_run(argv, envp, out, err);
	free(env);
	free(app);
	return st;
}

/* A timer the running server's engine cannot apply (a trigger refuses to
 * mark it fired) fails five times and shows on /metrics and the dashboard; the
 * auditor sees it but may not retry; once the trigger is gone the CISO's
 * retry (dashboard) and the command line's each apply theirs once. */
START_TEST(test_failed_timer)
{
	char *cookie = client_sign_in(port, "sakai.haruto", DEMO_PASSWORD);
	ck_assert(cookie != NULL);
	char *csrf = client_page_csrf(port, "/my/reports", cookie);
	char *hdr = xasprintf("X-CSRF-Token: %s", csrf);
	struct resp r;
	client_json(port, "POST", "/api/v1/incidents", cookie, hdr,
		    "{\"summary\": \"poisoned timer test\", \"discovered_at\": "
		    "\"2026-11-24T10:00:00+09:00\", \"category\": \"suspicious_mail\", "
		    "\"site\": \"honchosha\", \"segments\": [\"internet\"], "
		    "\"personal_data\": {\"involved\": \"no\"}}",
		    &r);
	ck_assert_msg(r.status == 201 || r.status == 200, "%ld %s", r.status, buf_cstr(&r.body));
	resp_release(&r);
	free(hdr);
	free(csrf);
	free(cookie);
	long long inc = ts_scalar(db, "SELECT id FROM incident WHERE summary = 'poisoned timer test'");
	/* the first escalation rung of each of its runs (reporting duty and
	 * the emergency-response plan) */
	char *q = xasprintf("SELECT min(t.id) FROM timer t JOIN workflow_run r ON r.id = t.run_id "
			    "WHERE r.incident_id = %lld AND t.kind = 'escalation' AND t.fired_at IS NULL",
			    inc);
	long long t1 = ts_scalar(db, q);
	free(q);
	q = xasprintf("SELECT max(t.id) FROM timer t JOIN workflow_run r ON r.id = t.run_id "
		      "WHERE r.incident_id = %lld AND t.kind = 'escalation' AND t.step = 0 "
		      "AND t.fired_at IS NULL",
		      inc);
	long long t2 = ts_scalar(db, q);
	free(q);
	ck_assert(t1 != t2);
	q = xasprintf(
		"CREATE FUNCTION poison() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
		"IF NEW.id IN (%lld, %lld) AND NEW.fired_at IS NOT NULL AND OLD.fired_at IS NULL "
		"THEN RAISE EXCEPTION 'poisoned by the test'; END IF; RETURN NEW; END $$; "
		"CREATE TRIGGER poison BEFORE UPDATE ON timer FOR EACH ROW EXECUTE FUNCTION poison()",
		t1, t2);
	ts_sql(db, q);
	free(q);
	/* Due now, then again at once after each failure instead of after the
	 * backoff (the db test checks the backoff with a shifted clock). */
	for (int attempt = 1; attempt <= 5; attempt++) {
		q = xasprintf("UPDATE timer SET fire_at = least(fire_at, sokuho_now()), retry_at = "
			      "NULL WHERE id IN (%lld, %lld); NOTIFY sokuho_wake",
			      t1, t2);
		ts_sql(db, q);
		free(q);
		q = xasprintf("SELECT count(*) FROM timer WHERE id IN (%lld, %lld) AND attempts = %d",
			      t1, t2, attempt);
		ck_assert_int_eq(wait_count(q, 2), 2);
		free(q);
	}
	q = xasprintf("SELECT count(*) FROM timer WHERE id IN (%lld, %lld) AND failed_at IS NOT NULL "
		      "AND fired_at IS NULL AND last_error LIKE '%%poisoned by the test%%'",
		      t1, t2);
	ck_assert_int_eq(ts_scalar(db, q), 2);
	free(q);

	struct scrape sc;
	scrape(&sc);
	ck_assert(value(&sc, "sokuho_timers_failed", -1) == 2);
	scrape_release(&sc);

	char *out = NULL, *err = NULL;
	ck_assert_int_eq(run_timer_cli("list", NULL, &out, &err), 0);
	char *id1 = xasprintf("%lld\t", t1);
	ck_assert_msg(strstr(out, id1) && strstr(out, "poisoned by the test") &&
			      strstr(out, "2 failed timers"),
		      "%s", out);
	free(out);
	free(err);

	/* The auditor sees the box but no button, and may not retry. */
	char *aud = client_sign_in_demo(port, "wada.tomomi");
	client_request(port, "GET", "/dashboard", NULL, aud, &r);
	ck_assert_int_eq(r.status, 200);
	char *action = xasprintf("action=\"/dashboard/timers/%lld/retry\"", t1);
	ck_assert(strstr(buf_cstr(&r.body), "id=\"h-timers\""));
	ck_assert(strstr(buf_cstr(&r.body), "poisoned by the test"));
	ck_assert(!strstr(buf_cstr(&r.body), action));
	resp_release(&r);
	char *acsrf = client_page_csrf(port, "/dashboard", aud);
	char *form = xasprintf("csrf=%s", acsrf);
	char *path = xasprintf("/dashboard/timers/%lld/retry", t1);
	client_request(port, "POST", path, form, aud, &r);
	ck_assert_int_eq(r.status, 403);
	resp_release(&r);
	free(form);
	free(acsrf);
	free(aud);

	/* The CISO sees the button; without the CSRF token nothing happens. */
	char *ciso = client_sign_in_demo(port, "sato.kenichi");
	client_request(port, "GET", "/dashboard", NULL, ciso, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert(strstr(buf_cstr(&r.body), action));
	resp_release(&r);
	client_request(port, "POST", path, "csrf=wrong", ciso, &r);
	ck_assert_int_eq(r.status, 403);
	resp_release(&r);
	q = xasprintf("SELECT count(*) FROM timer WHERE id = %lld AND failed_at IS NOT NULL", t1);
	ck_assert_int_eq(ts_scalar(db, q), 1);
	free(q);

	ts_sql(db, "DROP TRIGGER poison ON timer");
	char *ccsrf = client_page_csrf(port, "/dashboard", ciso);
	form = xasprintf("csrf=%s", ccsrf);
	client_request(port, "POST", path, form, ciso, &r);
	ck_assert_int_eq(r.status, 303);
	ck_assert(strstr(buf_cstr(&r.headers), "Location: /dashboard?timer=retried#h-timers"));
	resp_release(&r);
	q = xasprintf("SELECT count(*) FROM timer WHERE id = %lld AND fired_at IS NOT NULL AND "
		      "outcome = 'applied'",
		      t1);
	ck_assert_int_eq(wait_count(q, 1), 1);
	free(q);
	/* a second press finds nothing to retry */
	client_request(port, "POST", path, form, ciso, &r);
	ck_assert_int_eq(r.status, 303);
	ck_assert(strstr(buf_cstr(&r.headers), "Location: /dashboard?timer=not_failed#h-timers"));
	resp_release(&r);
	client_request(port, "GET", "/dashboard?timer=not_failed", NULL, ciso, &r);
	ck_assert(strstr(buf_cstr(&r.body), "このタイマーは失敗状態ではありません"));
	resp_release(&r);

	/* The command line: a bad id, one that has not failed, then t2. */
	ck_assert_int_eq(run_timer_cli("retry", "abc", &out, &err), 2);
	free(out);
	free(err);
	ck_assert_int_eq(run_timer_cli("retry", "999999999", &out, &err), 1);
	ck_assert_msg(strstr(err, "has not failed"), "%s", err);
	free(out);
	free(err);
	char *id2 = xasprintf("%lld", t2);
	ck_assert_int_eq(run_timer_cli("retry", id2, &out, &err), 0);
	free(out);
	free(err);
	q = xasprintf("SELECT count(*) FROM timer WHERE id = %lld AND fired_at IS NOT NULL AND "
		      "outcome = 'applied'",
		      t2);
	ck_assert_int_eq(wait_count(q, 1), 1);
	free(q);

	/* Each fired once: one escalation event per run, audited retries by
	 * the CISO and by the command line (no person). */
	q = xasprintf("SELECT count(*) FROM audit_event WHERE incident_id = %lld AND kind = "
		      "'workflow.escalated'",
		      inc);
	ck_assert_int_eq(ts_scalar(db, q), 2);
	free(q);
	q = xasprintf("SELECT count(*) FROM audit_event a WHERE incident_id = %lld AND kind = "
		      "'workflow.timer_retried' AND ((detail->>'timer' = '%lld' AND actor_id = "
		      "(SELECT id FROM person WHERE login = 'sato.kenichi')) OR (detail->>'timer' = "
		      "'%lld' AND actor_id IS NULL))",
		      inc, t1, t2);
	ck_assert_int_eq(ts_scalar(db, q), 2);
	free(q);
	scrape(&sc);
	ck_assert(value(&sc, "sokuho_timers_failed", -1) == 0);
	scrape_release(&sc);
	client_request(port, "GET", "/dashboard", NULL, ciso, &r);
	ck_assert(!strstr(buf_cstr(&r.body), action));
	resp_release(&r);
	free(id1);
	free(id2);
	free(form);
	free(ccsrf);
	free(path);
	free(action);
	free(ciso);
}
END_TEST

/* With the database refusing connections, /healthz says so and /metrics
 * still answers (with sokuho_database_up 0). */
START_TEST(test_database_down)
{
	const char *name = strstr(db, "dbname=");
	ck_assert(name != NULL);
	name += 7;
	char dbname[128];
	snprintf(dbname, sizeof dbname, "%.*s", (int)strcspn(name, " "), name);
	char *q = xasprintf("ALTER DATABASE \"%s\" ALLOW_CONNECTIONS false", dbname);
	ts_sql("dbname=postgres", q);
	free(q);
	q = xasprintf("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
		      "WHERE datname = '%s'",
		      dbname);
	ts_scalar("dbname=postgres", q);
	free(q);
	struct resp r;
	client_request(port, "GET", "/healthz", NULL, NULL, &r);
	long status = r.status;
	char *body = xstrdup(buf_cstr(&r.body));
	resp_release(&r);
	struct scrape sc;
	scrape(&sc);
	double up = value(&sc, "sokuho_database_up", -1);
	scrape_release(&sc);
	q = xasprintf("ALTER DATABASE \"%s\" ALLOW_CONNECTIONS true", dbname);
	ts_sql("dbname=postgres", q);
	free(q);
	ck_assert_int_eq(status, 503);
	ck_assert_str_eq(body, "{\"status\":\"error\",\"failing\":\"database\"}");
	free(body);
	ck_assert(up == 0);
	/* The engine lost its connection too and comes back on its backoff
	 * (at most 5 s): /healthz waits for it. */
	long st = 0;
	for (int i = 0; i < 100 && st != 200; i++) {
		if (i)
			usleep(100 * 1000);
		client_request(port, "GET", "/healthz", NULL, NULL, &r);
		st = r.status;
		resp_release(&r);
	}
	ck_assert_int_eq(st, 200);
}
END_TEST

Suite *metrics_suite(void)
{
	Suite *s = suite_create("metrics");
	TCase *tc = tcase_create("metrics");
	tcase_set_timeout(tc, 120);
	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_metrics_needs_token);
	tcase_add_test(tc, test_healthz);
	tcase_add_test(tc, test_metrics_format_and_counts);
	tcase_add_test(tc, test_metrics_from_database);
	tcase_add_test(tc, test_failed_timer);
	tcase_add_test(tc, test_database_down);
	suite_add_tcase(s, tc);
	return s;
}
