/* The workflow engine (see engine.h). Everything that changes a run happens
 * in one transaction with its audit event, its notifications (outbox rows)
 * and its next timers; "NOTIFY sokuho_wake" at commit wakes the engines. */
#include "engine.h"

#include <errno.h>
#include <stdint.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sodium.h>

#include "core/buf.h"
#include "core/calendar.h"
#include "core/log.h"
#include "core/utf8.h"
#include "core/xalloc.h"
#include "db/audit.h"
#include "db/db.h"
#include "db/locks.h"
#include "db/prepared.h"
#include "db/tx.h"
#include "legal.h"
#include "workflow.h"

struct cached {
	int id;
	struct wf_def *def;
};

struct engine {
	pthread_mutex_t mu;
	struct cached *defs;
	size_t n, cap;
	struct calendar cal; /* for "clock": "office"; read-only once set up */
};

/* What the engine needs to know of an incident. */
struct ctx {
	long long incident_id;
	char id[24];
	char section[16]; /* "" when none */
	char system[16];
	char reporter[16];
	char ref[32];
	char *summary;
	json_t *facts;
};

struct engine *engine_new(void)
{
	struct engine *e = xcalloc(1, sizeof *e);
	pthread_mutex_init(&e->mu, NULL);
	cal_init(&e->cal);
	return e;
}

int engine_set_calendar(struct engine *e, const char *office_hours, const char *file, char *err,
			size_t errlen)
{
	cal_release(&e->cal);
	return cal_setup(&e->cal, office_hours, file, err, errlen);
}

const struct calendar *engine_calendar(const struct engine *e)
{
	return &e->cal;
}

void engine_free(struct engine *e)
{
	if (!e)
		return;
	for (size_t i = 0; i < e->n; i++)
		wf_free(e->defs[i].def);
	free(e->defs);
	cal_release(&e->cal);
	pthread_mutex_destroy(&e->mu);
	free(e);
}

static const char *nn(const char *s)
{
	return s && *s ? s : NULL;
}

/* The first SQL error since engine_tick began applying the current timer:
 * the cause it records in the timer's last_error (a later statement in the
 * failed savepoint only says the transaction is aborted). Per thread, as
 * each engine thread has its own connection. */
static _Thread_local char first_err[512];

static void note_err(const char *m)
{
	if (!first_err[0] && m && *m)
		snprintf(first_err, sizeof first_err, "%s", m);
}

static int exec_params(PGconn *c, const char *sql, int n, const char *const *p)
{
	PGresult *r = PQexecParams(c, sql, n, NULL, p, NULL, NULL, 0);
	int ok = db_ok(r);
	if (!ok) {
		log_event(LOG_ERROR, "engine_sql_failed", "error=%s",
			  log_quote(0, PQresultErrorMessage(r)));
		note_err(PQresultErrorMessage(r));
	}
	PQclear(r);
	return ok ? 0 : -1;
}

/* The parsed definition of workflow_def id, cached: definitions are
 * immutable, so a cached one never goes stale. */
static const struct wf_def *get_def(struct engine *e, PGconn *c, int id)
{
	pthread_mutex_lock(&e->mu);
	for (size_t i = 0; i < e->n; i++) {
		if (e->defs[i].id == id) {
			const struct wf_def *d = e->defs[i].def;
			pthread_mutex_unlock(&e->mu);
			return d;
		}
	}
	pthread_mutex_unlock(&e->mu);
	char ids[16];
	snprintf(ids, sizeof ids, "%d", id);
	const char *p[1] = {ids};
	PGresult *r = PQexecParams(c, "SELECT name, version, source FROM workflow_def WHERE id = $1",
				   1, NULL, p, NULL, NULL, 0);
	if (!db_ok(r) || PQntuples(r) != 1) {
		PQclear(r);
		return NULL;
	}
	char origin[160], err[512];
	snprintf(origin, sizeof origin, "workflow_def %s version %s", PQgetvalue(r, 0, 0),
		 PQgetvalue(r, 0, 1));
	struct wf_def *d = wf_parse(origin, PQgetvalue(r, 0, 2), (size_t)PQgetlength(r, 0, 2), err,
				    sizeof err);
	PQclear(r);
	if (!d) {
		log_event(LOG_ERROR, "workflow_def_invalid", "error=%s", log_quote(0, err));
		return NULL;
	}
	pthread_mutex_lock(&e->mu);
	for (size_t i = 0; i < e->n; i++) {
		if (e->defs[i].id == id) { /* another thread was quicker */
			pthread_mutex_unlock(&e->mu);
			wf_free(d);
			return e->defs[i].def;
		}
	}
	if (e->n == e->cap) {
		e->cap = e->cap ? e->cap * 2 : 8;
		e->defs = xrealloc(e->defs, e->cap * sizeof *e->defs);
	}
	e->defs[e->n].id = id;
	e->defs[e->n].def = d;
	e->n++;
	pthread_mutex_unlock(&e->mu);
	return d;
}

const struct wf_def *engine_def(struct engine *e, PGconn *c, int def_id)
{
	return get_def(e, c, def_id);
}

/* Loading the definitions of a folder (engine_load_defs). */
struct load {
	const struct wf_set *set;
	char *err;
	size_t errlen;
	int refused;  /* out: a loaded version's content differs (err says which) */
	buf loaded;   /* out: a line per version stored */
	int added;
};

static enum db_qs load_tx(PGconn *c, void *arg, struct db_err *e)
{
	struct load *L = arg;
	L->refused = 0;
	L->added = 0;
	buf_release(&L->loaded); /* a retry starts again */
	/* One loader at a time: two processes starting together agree. */
	enum db_qs qs = db_exec(c, e, "SELECT pg_advisory_xact_lock(" DB_LOCK_WORKFLOW_LOAD ")", 0,
				NULL, NULL);
	if (qs < 0)
		return qs;
	for (size_t i = 0; i < L->set->n; i++) {
		const struct wf_def *d = L->set->defs[i];
		char ver[24];
		snprintf(ver, sizeof ver, "%lld", d->version);
		const char *p[4] = {d->name, ver, d->sha256, d->source};
		PGresult *r;
		qs = db_exec(c, e, "SELECT sha256 FROM workflow_def WHERE name = $1 AND version = $2::int",
			     2, p, &r);
		if (qs < 0)
			return qs;
		int differs = qs == DB_OK && strcmp(PQgetvalue(r, 0, 0), d->sha256) != 0;
		PQclear(r);
		if (differs) {
			snprintf(L->err, L->errlen,
				 "%s: workflow '%s' version %lld is already loaded with other content; "
				 "a loaded version never changes: give the changed file a new "
				 "\"version\"",
				 d->origin, d->name, d->version);
			L->refused = 1;
			/* an error, so that nothing of this folder is stored */
			snprintf(e->msg, sizeof e->msg, "%s", L->err);
			e->sqlstate[0] = '\0';
			e->conn_lost = e->commit_unknown = 0;
			return DB_HARD;
		}
		if (qs == DB_OK)
			continue;
		qs = db_exec(c, e,
			     "INSERT INTO workflow_def (name, version, sha256, source, definition) "
			     "VALUES ($1, $2::int, $3, $4::text, $4::text::jsonb)",
			     4, p, NULL);
		if (qs < 0)
			return qs;
		L->added++;
		buf_printf(&L->loaded, "loaded workflow %s version %lld\n", d->name, d->version);
	}
	return DB_OK;
}

int engine_load_defs(PGconn *c, const char *dir, FILE *progress, char *err, size_t errlen)
{
	struct wf_set *set = wf_load_dir(dir, err, errlen);
	if (!set)
		return -1;
	struct load L = {set, err, errlen, 0, BUF_INIT, 0};
	struct db_err e;
	/* Idempotent: a version already stored with the same content is
	 * skipped, so a repeat after a COMMIT without an answer is harmless. */
	enum db_qs qs = db_run_tx(c, "workflow_load", DB_TX_IDEMPOTENT, load_tx, &L, &e);
	int added = L.added;
	if (L.refused) {
		added = -1; /* err says which version */
	} else if (qs < 0) {
		snprintf(err, errlen, "database error: %s", e.msg);
		added = -1;
	} else if (progress && L.loaded.len) {
		fputs(buf_cstr(&L.loaded), progress);
	}
	buf_release(&L.loaded);
	wf_set_free(set);
	return added;
}

json_t *engine_defs_list(PGconn *c)
{
	return db_rows(c,
		       "SELECT d.id, d.name, d.version, d.sha256, d.definition->'title'->>'ja' "
		       "  AS title_ja, d.definition->'title'->>'en' AS title_en, "
		       "  to_char(d.loaded_at AT TIME ZONE 'Asia/Tokyo', 'YYYY-MM-DD HH24:MI') "
		       "  AS loaded, (SELECT count(*) FROM workflow_run r WHERE r.def_id = d.id) "
		       "  AS runs, (SELECT count(*) FROM workflow_run r WHERE r.def_id = d.id "
		       "  AND r.finished_at IS NULL) AS open_runs "
		       "FROM workflow_def d ORDER BY d.name, d.version DESC",
		       0, NULL);
}

/* Read for every timer applied and every incident page: prepared once per
 * connection (db/prepared.h). */
static const struct db_stmt ctx_stmt = {
	"engine_ctx",
	"SELECT coalesce(section_id::text, ''), coalesce(system_id::text, ''), "
	"  coalesce(reporter_id::text, ''), ref, summary, "
	"  (facts || jsonb_build_object('severity', severity, 'bcp', bcp))::text "
	"FROM incident WHERE id = $1::bigint",
	1};

static int load_ctx(PGconn *c, long long incident_id, struct ctx *x)
{
	memset(x, 0, sizeof *x);
	x->incident_id = incident_id;
	snprintf(x->id, sizeof x->id, "%lld", incident_id);
	const char *p[1] = {x->id};
	PGresult *r;
	db_exec_stmt(c, NULL, &ctx_stmt, p, 0, &r);
	if (!db_ok(r) || PQntuples(r) != 1) {
		PQclear(r);
		return -1;
	}
	snprintf(x->section, sizeof x->section, "%s", PQgetvalue(r, 0, 0));
	snprintf(x->system, sizeof x->system, "%s", PQgetvalue(r, 0, 1));
	snprintf(x->reporter, sizeof x->reporter, "%s", PQgetvalue(r, 0, 2));
	snprintf(x->ref, sizeof x->ref, "%s", PQgetvalue(r, 0, 3));
	x->summary = xstrdup(PQgetvalue(r, 0, 4));
	x->facts = json_loads(PQgetvalue(r, 0, 5), 0, NULL);
	PQclear(r);
	/* severity null means not assessed: drop it so conditions see it missing */
	if (x->facts && json_is_null(json_object_get(x->facts, "severity")))
		json_object_del(x->facts, "severity");
	return x->facts ? 0 : -1;
}

static void release_ctx(struct ctx *x)
{
	free(x->summary);
	json_decref(x->facts);
}

/* Who a rung of role (at deputy rank dep) skipped because they are absent
 * today (resolve_role_rung, sql/0029_absence.sql), by rank: a JSON array of
 * {"name", "why_ja", "why_en"} (「休暇、12月10日まで」), empty when nobody
 * was; NULL on a database error (noted). */
static json_t *rung_skipped(PGconn *c, const char *role, const char *section,
			    const char *system, const char *dep)
{
	const char *p[4] = {role, section, system, dep};
	PGresult *r = PQexecParams(
		c,
		"SELECT p.display_name, absence_label(x.absence_id, 'ja'), "
		"  absence_label(x.absence_id, 'en') "
		"FROM resolve_role_rung($1, $2::int, $3::int, $4::int) x JOIN person p ON "
		"  p.id = x.person_id WHERE x.absence_id IS NOT NULL ORDER BY x.deputy_rank, p.id",
		4, NULL, p, NULL, NULL, 0);
	if (!db_ok(r)) {
		log_event(LOG_ERROR, "engine_notify_failed", "error=%s",
			  log_quote(0, PQresultErrorMessage(r)));
		note_err(PQresultErrorMessage(r));
		PQclear(r);
		return NULL;
	}
	json_t *out = json_array();
	for (int k = 0; k < PQntuples(r); k++)
		json_array_append_new(out, json_pack("{s:s, s:s, s:s}", "name", PQgetvalue(r, k, 0),
						     "why_ja", PQgetvalue(r, k, 1), "why_en",
						     PQgetvalue(r, k, 2)));
	PQclear(r);
	return out;
}

/* The skipped as one text: 「山田 太郎（休暇、12月10日まで）」 in Japanese,
 * "山田 太郎 (on leave until 10 December)" in English, joined by 、 or ", ".
 * The caller frees. */
static char *skipped_text(const json_t *skipped, int en)
{
	buf b = BUF_INIT;
	size_t i;
	const json_t *s;
	json_array_foreach(skipped, i, s) {
		if (i)
			buf_puts(&b, en ? ", " : "、");
		buf_printf(&b, en ? "%s (%s)" : "%s（%s）",
			   json_string_value(json_object_get(s, "name")),
			   json_string_value(json_object_get(s, en ? "why_en" : "why_ja")));
	}
	return buf_detach(&b, NULL);
}

/* Queues one notification to every person a target resolves to, and adds
 * what was queued to queued, for the audit event: per recipient {"role",
 * "recipient" (name), "template", "outbox" (the row's id; null when an
 * earlier commit queued it already)}, and a target that resolves to nobody
 * as {"role", "recipient": null, "template", "outbox": null} — the audit
 * says whom the mail is for, not that it arrived (a dead mail has its own
 * event, mail.dead). A role's holder or deputy absent today is skipped for
 * the next rank present (resolve_role_rung): the entry then has "skipped"
 * ([{"name", "why_ja", "why_en"}]) and "skip_ja" / "skip_en", the sentence
 * the incident page shows (「山田 太郎（休暇、12月10日まで）に代わり 佐藤
 * 花子へ」), and the mail's data "acting_for_ja" / "acting_for_en", for
 * whom the recipient acts. key makes the rows unique per run, fence, step and
 * recipient, so a retried transaction queues nothing twice. A notice on
 * entering a state (key "enter:N") goes to a person once per incident and
 * template, whichever workflow or state sends it again (the CISO's 重大
 * notice comes from the reporting duty's first and second states and the
 * response plan's containment: it is sent once, issue 18); reminders and
 * escalations are steps of their own and always go. */
/* The first hour (issue 21): the 速報's items the incident leaves open, for
 * the mail that starts a legal report (legal_report_required). NULL on a
 * database error. */
static json_t *preliminary_missing(PGconn *c, const struct ctx *x)
{
	json_t *known = db_row(c,
			       "SELECT description, pd_items AS items, pd_persons AS persons "
			       "FROM incident WHERE id = $1::bigint",
			       1, (const char *const[]){x->id});
	if (!known)
		return NULL;
	json_t *m = legal_preliminary_missing(known);
	json_decref(known);
	return m;
}

static int notify(PGconn *c, const struct ctx *x, long long run_id, int fence,
		  const struct wf_def *d, const struct wf_state *st, const struct wf_notify *n,
		  const char *key, json_t *queued, const json_t *extra)
{
	char run[24], fen[16];
	snprintf(run, sizeof run, "%lld", run_id);
	snprintf(fen, sizeof fen, "%d", fence);
	json_t *data = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "ref", x->ref, "summary",
				 x->summary, "workflow", d->name, "workflow_ja", d->title.ja, "state",
				 st->name, "state_ja", st->title.ja, "state_en", st->title.en);
	json_object_set_new(data, "workflow_en", json_string(d->title.en));
	if (extra)
		json_object_update(data, (json_t *)(uintptr_t)extra);
	if (strcmp(n->tmpl, "legal_report_required") == 0) {
		json_t *m = preliminary_missing(c, x);
		if (!m) {
			json_decref(data);
			return -1;
		}
		json_object_set_new(data, "has_missing", json_boolean(json_array_size(m) > 0));
		json_object_set_new(data, "missing", m);
	}
	int rc = 0;
	for (size_t i = 0; i < n->ntargets && rc == 0; i++) {
		const struct wf_target *t = &n->targets[i];
		char dep[8];
		snprintf(dep, sizeof dep, "%d", t->deputy);
		int city = t->scope == WF_SCOPE_CITY;
		const char *sec = city ? NULL : nn(x->section), *sys = city ? NULL : nn(x->system);
		json_t *skipped = t->kind == WF_TARGET_REPORTER ? json_array()
								 : rung_skipped(c, t->role, sec, sys, dep);
		if (!skipped) {
			rc = -1;
			break;
		}
		char *absent_ja = NULL, *absent_en = NULL;
		if (json_array_size(skipped)) {
			absent_ja = skipped_text(skipped, 0);
			absent_en = skipped_text(skipped, 1);
			json_object_set_new(data, "acting_for_ja", json_string(absent_ja));
			json_object_set_new(data, "acting_for_en", json_string(absent_en));
		} else {
			json_object_del(data, "acting_for_ja");
			json_object_del(data, "acting_for_en");
		}
		char *data_s = json_dumps(data, JSON_COMPACT);
		const char *p[11] = {run, fen, key, x->id, n->tmpl, data_s,
				     t->kind == WF_TARGET_REPORTER ? "reporter" : t->role,
				     sec, sys, dep, nn(x->reporter)};
		PGresult *r = PQexecParams(
			c,
			"WITH who AS ("
			"  SELECT p.id, p.email, p.lang, p.display_name FROM person p "
			"  WHERE $7 = 'reporter' AND p.id = $11::int AND p.active "
			"  UNION "
			"  SELECT p.id, p.email, p.lang, p.display_name FROM resolve_role_rung($7, "
			"    $8::int, $9::int, $10::int) x JOIN person p ON p.id = x.person_id "
			"  WHERE $7 <> 'reporter' AND x.absence_id IS NULL), "
			"ins AS (INSERT INTO outbox (dedup_key, incident_id, run_id, recipient_id, email, "
			"  lang, template, data, fence) SELECT 'run:' || $1 || ':f' || $2 || ':' || $3 "
			"  || ':p' || who.id, $4::bigint, $1::bigint, who.id, who.email, who.lang, $5, "
			"  $6::jsonb, $2::int "
			"  FROM who WHERE NOT ($3 LIKE 'enter:%' AND EXISTS (SELECT 1 FROM outbox o "
			"    WHERE o.incident_id = $4::bigint AND o.recipient_id = who.id AND "
			"    o.template = $5 AND o.dedup_key LIKE 'run:%:enter:%')) "
			"  ON CONFLICT (dedup_key) DO NOTHING RETURNING id, recipient_id) "
			"SELECT who.display_name, ins.id FROM who LEFT JOIN ins ON ins.recipient_id = "
			"  who.id ORDER BY who.id",
			11, NULL, p, NULL, NULL, 0);
		free(data_s);
		if (!db_ok(r)) {
			log_event(LOG_ERROR, "engine_notify_failed", "error=%s",
				  log_quote(0, PQresultErrorMessage(r)));
			note_err(PQresultErrorMessage(r));
			rc = -1;
		} else {
			const char *role = t->kind == WF_TARGET_REPORTER ? "reporter" : t->role;
			for (int k = 0; k < PQntuples(r); k++) {
				json_t *q = json_pack("{s:s, s:s, s:s, s:o}", "role", role, "recipient",
						      PQgetvalue(r, k, 0), "template", n->tmpl, "outbox",
						      PQgetisnull(r, k, 1)
							      ? json_null()
							      : json_integer(atoll(PQgetvalue(r, k, 1))));
				if (absent_ja) {
					json_object_set(q, "skipped", skipped);
					json_object_set_new(q, "skip_ja",
							    json_sprintf("%sに代わり %s へ", absent_ja,
									 PQgetvalue(r, k, 0)));
					json_object_set_new(q, "skip_en",
							    json_sprintf("to %s in place of %s",
									 PQgetvalue(r, k, 0),
									 absent_en));
				}
				json_array_append_new(queued, q);
			}
			if (PQntuples(r) == 0) {
				json_t *q = json_pack("{s:s, s:n, s:s, s:n}", "role", role, "recipient",
						      "template", n->tmpl, "outbox");
				if (absent_ja) {
					json_object_set(q, "skipped", skipped);
					json_object_set_new(
						q, "skip_ja",
						json_sprintf("%sは不在で、代わりに知らせる人がいません",
							     absent_ja));
					json_object_set_new(
						q, "skip_en",
						json_sprintf("nobody to tell: %s away and no deputy "
							     "present",
							     absent_en));
				}
				json_array_append_new(queued, q);
			}
		}
		PQclear(r);
		free(absent_ja);
		free(absent_en);
		json_decref(skipped);
	}
	json_decref(data);
	return rc;
}

/* Seconds of office time in d: a day is one office day's hours (8 h 45 min
 * for 08:30-17:15); months are refused by the loader. */
static long office_seconds(const struct calendar *cal, const struct duration *d)
{
	long long day = (long long)(cal->close_min - cal->open_min) * 60;
	return (long)(d->days * day + d->seconds);
}

/* A Unix time as a timestamptz literal, "2026-12-07 23:45:00+00". */
static void utc_text(time_t t, char *out, size_t n)
{
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, n, "%Y-%m-%d %H:%M:%S+00", &tm);
}

/* base + d (minus: base - d) on clock, as a timestamptz text at and an
 * interval text iv to add to it (or subtract) in SQL. Office time is
 * computed here from base_epoch (whole seconds) on the engine's calendar
 * (at is the result, iv zero); a moment it cannot count (outside
 * 2000-2099) falls back to wall-clock time. at is base or atbuf. */
static const char *clock_add(const struct engine *e, enum wf_clock clock, const char *base,
			     long long base_epoch, const struct duration *d, int minus,
			     char *atbuf, size_t atlen, char *iv, size_t ivlen)
{
	if (clock == WF_CLOCK_OFFICE) {
		long secs = office_seconds(&e->cal, d);
		time_t t = minus ? cal_office_sub(&e->cal, (time_t)base_epoch, secs)
				 : cal_office_add(&e->cal, (time_t)base_epoch, secs);
		if (t != (time_t)-1) {
			utc_text(t, atbuf, atlen);
			snprintf(iv, ivlen, "0 seconds");
			return atbuf;
		}
		log_event(LOG_WARN, "engine_office_time_unknown", "base=%lld", base_epoch);
	}
	duration_to_pg_interval(d, iv, ivlen);
	return base;
}

/* A timer at base (timestamptz text; base_epoch the same in whole Unix
 * seconds) + d on clock, or - d when minus (a reminder before a due time:
 * one whose time has passed goes out now rather than never). */
static int add_timer(const struct engine *e, PGconn *c, long long run_id, int fence,
		     const char *kind, int step, int rep, const char *base, long long base_epoch,
		     const struct duration *d, enum wf_clock clock, int minus)
{
	char run[24], fen[16], st[16], rp[16], atbuf[40], iv[DURATION_PG_INTERVAL_MAX];
	snprintf(run, sizeof run, "%lld", run_id);
	snprintf(fen, sizeof fen, "%d", fence);
	snprintf(st, sizeof st, "%d", step);
	snprintf(rp, sizeof rp, "%d", rep);
	const char *at =
		clock_add(e, clock, base, base_epoch, d, minus, atbuf, sizeof atbuf, iv, sizeof iv);
	const char *p[7] = {run, fen, kind, st, rp, at, iv};
	return exec_params(c,
			   minus ? "INSERT INTO timer (run_id, fence, kind, step, repeat, fire_at) "
				   "VALUES ($1::bigint, $2::int, $3, $4::int, $5::int, "
				   "greatest($6::timestamptz - $7::interval, sokuho_now())) "
				   "ON CONFLICT DO NOTHING"
				 : "INSERT INTO timer (run_id, fence, kind, step, repeat, fire_at) "
				   "VALUES ($1::bigint, $2::int, $3, $4::int, $5::int, "
				   "$6::timestamptz + $7::interval) ON CONFLICT DO NOTHING",
			   7, p);
}

static const char *anchor_sql(enum wf_anchor a)
{
	switch (a) {
	case WF_FROM_DISCOVERED_AT:
		return "discovered_at";
	case WF_FROM_OCCURRED_AT:
		return "coalesce(occurred_at, discovered_at)";
	case WF_FROM_REPORTED_AT:
		return "reported_at";
	default:
		return NULL;
	}
}

/* Moves run into state st: bumps the fence (cancelling the old state's
 * timers), meets the old deadlines, records the transition, and starts the
 * new state's notifications, deadlines, reminders and escalation. */
static int enter_state(const struct engine *e, PGconn *c, const struct ctx *x, long long run_id,
		       const struct wf_def *d, const struct wf_state *st, const char *from,
		       const char *action, int actor, const json_t *fields)
{
	char run[24], act[16];
	snprintf(run, sizeof run, "%lld", run_id);
	snprintf(act, sizeof act, "%d", actor);
	const char *p1[3] = {run, st->name, st->terminal ? "t" : "f"};
	PGresult *r = PQexecParams(
		c,
		"UPDATE workflow_run SET state = $2, entered_at = sokuho_now(), escalation_level = 0, "
		"fence = fence + 1, finished_at = CASE WHEN $3::boolean THEN sokuho_now() END "
		"WHERE id = $1::bigint RETURNING fence, entered_at::text, "
		"floor(extract(epoch FROM entered_at))::bigint",
		3, NULL, p1, NULL, NULL, 0);
	if (!db_ok(r) || PQntuples(r) != 1) {
		PQclear(r);
		return -1;
	}
	int fence = atoi(PQgetvalue(r, 0, 0));
	char *entered = xstrdup(PQgetvalue(r, 0, 1));
	long long entered_epoch = atoll(PQgetvalue(r, 0, 2));
	PQclear(r);
	char fen[16];
	snprintf(fen, sizeof fen, "%d", fence);
	char *fields_s = fields ? json_dumps(fields, JSON_COMPACT) : NULL;
	const char *p2[2] = {run, fen};
	const char *p3[6] = {run, from, st->name, action, actor > 0 ? act : NULL,
			     fields_s ? fields_s : "{}"};
	int rc = exec_params(c,
			     "UPDATE timer SET fired_at = sokuho_now(), outcome = 'cancelled' "
			     "WHERE run_id = $1::bigint AND fired_at IS NULL AND fence < $2::int",
			     2, p2);
	rc = rc ? rc
		: exec_params(c,
			      "UPDATE workflow_deadline SET met_at = sokuho_now() WHERE run_id = "
			      "$1::bigint AND met_at IS NULL AND fence < $2::int",
			      2, p2);
	rc = rc ? rc
		: exec_params(c,
			      "INSERT INTO workflow_transition (run_id, from_state, to_state, action, "
			      "actor_id, fields) VALUES ($1::bigint, $2, $3, $4, $5::int, $6::jsonb)",
			      6, p3);
	json_t *notified = json_array();
	for (size_t i = 0; rc == 0 && i < st->non_enter; i++) {
		char key[32];
		snprintf(key, sizeof key, "enter:%zu", i);
		if (wf_notify_applies(&st->on_enter[i], x->facts))
			rc = notify(c, x, run_id, fence, d, st, &st->on_enter[i], key, notified, NULL);
	}
	if (rc == 0 && st->nescalation > 0) {
		const struct duration *after;
		enum wf_clock clock;
		wf_step_timing(&st->escalation[0], x->facts, &after, &clock);
		rc = add_timer(e, c, run_id, fence, "escalation", 0, 0, entered, entered_epoch, after,
			       clock, 0);
	}
	for (size_t i = 0; rc == 0 && i < st->ndeadlines; i++) {
		const struct wf_deadline *dl = &st->deadlines[i];
		/* The moment it counts from, then the due time on its clock. */
		const char *anchor = anchor_sql(dl->from);
		char *base = NULL;
		long long base_epoch = entered_epoch;
		if (anchor) {
			char *q = xasprintf("SELECT %s::text, floor(extract(epoch FROM %s))::bigint "
					    "FROM incident WHERE id = $1::bigint",
					    anchor, anchor);
			const char *pa[1] = {x->id};
			r = PQexecParams(c, q, 1, NULL, pa, NULL, NULL, 0);
			free(q);
			if (!db_ok(r) || PQntuples(r) != 1 || PQgetisnull(r, 0, 0)) {
				log_event(LOG_ERROR, "engine_sql_failed", "error=%s",
					  log_quote(0, db_ok(r) ? "no time to count a deadline from"
								: PQresultErrorMessage(r)));
				note_err(db_ok(r) ? "no time to count a deadline from"
						  : PQresultErrorMessage(r));
				PQclear(r);
				rc = -1;
				break;
			}
			base = xstrdup(PQgetvalue(r, 0, 0));
			base_epoch = atoll(PQgetvalue(r, 0, 1));
			PQclear(r);
		}
		char atbuf[40], iv[DURATION_PG_INTERVAL_MAX];
		const char *at = clock_add(e, wf_deadline_clock(dl, x->facts), base ? base : entered,
					   base_epoch, wf_deadline_after(dl, x->facts), 0, atbuf,
					   sizeof atbuf, iv, sizeof iv);
		const char *p4[8] = {run, fen, dl->key, st->name, dl->title.ja, dl->title.en, at, iv};
		r = PQexecParams(c,
				 "INSERT INTO workflow_deadline (run_id, fence, key, state, title_ja, "
				 "title_en, due_at) VALUES ($1::bigint, $2::int, $3, $4, $5, $6, "
				 "$7::timestamptz + $8::interval) RETURNING due_at::text, "
				 "floor(extract(epoch FROM due_at))::bigint",
				 8, NULL, p4, NULL, NULL, 0);
		free(base);
		if (!db_ok(r) || PQntuples(r) != 1) {
			log_event(LOG_ERROR, "engine_sql_failed", "error=%s",
				  log_quote(0, PQresultErrorMessage(r)));
			note_err(PQresultErrorMessage(r));
			PQclear(r);
			rc = -1;
			break;
		}
		char *due = xstrdup(PQgetvalue(r, 0, 0));
		long long due_epoch = atoll(PQgetvalue(r, 0, 1));
		PQclear(r);
		static const struct duration zero = {0, 0, 0};
		rc = add_timer(e, c, run_id, fence, "deadline", (int)i, 0, due, due_epoch, &zero,
			       WF_CLOCK_CALENDAR, 0);
		for (size_t k = 0; rc == 0 && k < dl->nremind; k++)
			rc = add_timer(e, c, run_id, fence, "remind", (int)(i * 100 + k), 0, due,
				       due_epoch, &dl->remind[k].before, dl->remind[k].clock, 1);
		free(due);
	}
	if (rc == 0) {
		json_t *detail = json_pack("{s:s, s:I, s:s?, s:s, s:s?, s:O}", "workflow", d->name,
					   "version", (json_int_t)d->version, "from", from, "to",
					   st->name, "action", action, "queued", notified);
		if (fields)
			json_object_set(detail, "fields", (json_t *)(uintptr_t)fields);
		rc = audit_log_incident(c, actor, from ? "workflow.transition" : "workflow.started",
					NULL, x->incident_id, detail);
		json_decref(detail);
	}
	if (rc == 0)
		PQclear(PQexec(c, "SELECT pg_notify('sokuho_wake', '')"));
	json_decref(notified);
	free(fields_s);
	free(entered);
	return rc;
}

int engine_start_incident(struct engine *e, PGconn *c, long long incident_id)
{
	struct ctx x;
	if (load_ctx(c, incident_id, &x) < 0)
		return -1;
	/* The newest version of each workflow the incident does not run yet:
	 * called again when facts change, it starts what now applies. An
	 * outside report (a resident's) starts nothing while it waits in the
	 * intake queue or after it was closed there (sql/0028). */
	const char *pi[1] = {x.id};
	PGresult *r = PQexecParams(c,
				   "SELECT DISTINCT ON (d.name) d.id FROM workflow_def d "
				   "WHERE NOT EXISTS (SELECT 1 FROM workflow_run r JOIN workflow_def o "
				   "  ON o.id = r.def_id WHERE r.incident_id = $1::bigint AND o.name = "
				   "  d.name) AND NOT EXISTS (SELECT 1 FROM outside_report q WHERE "
				   "  q.incident_id = $1::bigint AND q.state <> 'accepted') "
				   "ORDER BY d.name, d.version DESC",
				   1, NULL, pi, NULL, NULL, 0);
	if (!db_ok(r)) {
		PQclear(r);
		release_ctx(&x);
		return -1;
	}
	int started = 0;
	for (int i = 0; i < PQntuples(r) && started >= 0; i++) {
		int id = atoi(PQgetvalue(r, i, 0));
		const struct wf_def *d = get_def(e, c, id);
		if (!d) {
			started = -1;
			break;
		}
		if (!wf_should_start(d, x.facts))
			continue;
		const char *p[3] = {x.id, PQgetvalue(r, i, 0), d->initial};
		PGresult *ins = PQexecParams(c,
					     "INSERT INTO workflow_run (incident_id, def_id, state, fence) "
					     "VALUES ($1::bigint, $2::int, $3, -1) RETURNING id",
					     3, NULL, p, NULL, NULL, 0);
		long long run_id = db_ok(ins) && PQntuples(ins) == 1 ? atoll(PQgetvalue(ins, 0, 0)) : -1;
		PQclear(ins);
		if (run_id < 0 || enter_state(e, c, &x, run_id, d, d->initial_state, NULL, NULL, 0, NULL) < 0)
			started = -1;
		else
			started++;
	}
	PQclear(r);
	release_ctx(&x);
	return started;
}

/* What a deadline mail says: which deadline, when it is due, whether late. */
static json_t *deadline_data(PGconn *c, long long run_id, int fence, const struct wf_deadline *dl,
			     int overdue)
{
	char run[24], fen[16];
	snprintf(run, sizeof run, "%lld", run_id);
	snprintf(fen, sizeof fen, "%d", fence);
	const char *p[3] = {run, fen, dl->key};
	json_t *row = db_row(c,
			     "SELECT to_char(due_at AT TIME ZONE 'Asia/Tokyo', 'YYYY-MM-DD HH24:MI') "
			     "AS due FROM workflow_deadline WHERE run_id = $1::bigint AND fence = "
			     "$2::int AND key = $3",
			     3, p);
	json_t *extra = json_pack("{s:s, s:s, s:b}", "deadline_ja", dl->title.ja, "deadline_en",
				  dl->title.en, "overdue", overdue);
	if (row)
		json_object_set(extra, "due", json_object_get(row, "due"));
	json_decref(row);
	return extra;
}

/* Applies one claimed timer whose run is locked and current. */
static int apply_timer(struct engine *e, PGconn *c, PGresult *t, int row, const char **outcome,
		       char *why, size_t whylen)
{
	long long timer_id = atoll(PQgetvalue(t, row, 0));
	long long run_id = atoll(PQgetvalue(t, row, 1));
	const char *kind = PQgetvalue(t, row, 2);
	int step = atoi(PQgetvalue(t, row, 3));
	int rep = atoi(PQgetvalue(t, row, 4));
	int fence = atoi(PQgetvalue(t, row, 5));
	const char *fire_at = PQgetvalue(t, row, 6);
	int def_id = atoi(PQgetvalue(t, row, 8));
	const char *state = PQgetvalue(t, row, 9);
	long long incident_id = atoll(PQgetvalue(t, row, 10));
	const char *entered = PQgetvalue(t, row, 11);
	long long fire_epoch = atoll(PQgetvalue(t, row, 12));
	long long entered_epoch = atoll(PQgetvalue(t, row, 13));
	(void)timer_id;
	const struct wf_def *d = get_def(e, c, def_id);
	const struct wf_state *st = d ? wf_find_state(d, state) : NULL;
	if (!d) {
		snprintf(why, whylen, "workflow_def %d cannot be read or is not valid", def_id);
		return -1;
	}
	if (!st) {
		snprintf(why, whylen, "workflow '%s' version %lld has no state '%s'", d->name,
			 d->version, state);
		return -1;
	}
	struct ctx x;
	if (load_ctx(c, incident_id, &x) < 0) {
		snprintf(why, whylen, "incident %lld cannot be read", incident_id);
		return -1;
	}
	json_t *notified = json_array();
	char key[48];
	int rc = 0;
	const char *event = NULL;
	json_t *detail = NULL;
	if (strcmp(kind, "escalation") == 0 && (size_t)step < st->nescalation) {
		const struct wf_escalation *es = &st->escalation[step];
		snprintf(key, sizeof key, "esc:%d:%d", step, rep);
		json_t *extra = json_object();
		json_object_set_new(extra, "level", json_sprintf("%d", step + 1));
		rc = notify(c, &x, run_id, fence, d, st, &es->notify, key, notified, extra);
		json_decref(extra);
		char run[24], lvl[16];
		snprintf(run, sizeof run, "%lld", run_id);
		snprintf(lvl, sizeof lvl, "%d", step + 1);
		const char *p[2] = {run, lvl};
		rc = rc ? rc
			: exec_params(c,
				      "UPDATE workflow_run SET escalation_level = greatest(escalation_level, "
				      "$2::int) WHERE id = $1::bigint",
				      2, p);
		/* Each on its clock as the facts stand now (a severity assessed
		 * meanwhile changes the steps still to come). */
		const struct duration *after;
		enum wf_clock clock;
		if (rc == 0 && es->has_repeat && rep + 1 < es->max) {
			wf_step_timing(es, x.facts, &after, &clock);
			rc = add_timer(e, c, run_id, fence, "escalation", step, rep + 1, fire_at,
				       fire_epoch, &es->repeat, clock, 0);
		}
		if (rc == 0 && rep == 0 && (size_t)step + 1 < st->nescalation) {
			wf_step_timing(&st->escalation[step + 1], x.facts, &after, &clock);
			rc = add_timer(e, c, run_id, fence, "escalation", step + 1, 0, entered,
				       entered_epoch, after, clock, 0);
		}
		event = "workflow.escalated";
		detail = json_pack("{s:s, s:s, s:i, s:i, s:O}", "workflow", d->name, "state", st->name,
				   "level", step + 1, "repeat", rep, "queued", notified);
	} else if (strcmp(kind, "deadline") == 0 && (size_t)step < st->ndeadlines) {
		const struct wf_deadline *dl = &st->deadlines[step];
		if (dl->has_overdue) {
			snprintf(key, sizeof key, "overdue:%d", step);
			json_t *extra = deadline_data(c, run_id, fence, dl, 1);
			rc = notify(c, &x, run_id, fence, d, st, &dl->overdue, key, notified, extra);
			json_decref(extra);
		}
		event = "workflow.deadline_missed";
		detail = json_pack("{s:s, s:s, s:s, s:O}", "workflow", d->name, "state", st->name,
				   "deadline", dl->key, "queued", notified);
	} else if (strcmp(kind, "remind") == 0 && (size_t)(step / 100) < st->ndeadlines &&
		   (size_t)(step % 100) < st->deadlines[step / 100].nremind) {
		const struct wf_deadline *dl = &st->deadlines[step / 100];
		snprintf(key, sizeof key, "remind:%d", step);
		json_t *extra = deadline_data(c, run_id, fence, dl, 0);
		rc = notify(c, &x, run_id, fence, d, st, &dl->remind[step % 100].notify, key, notified,
			    extra);
		json_decref(extra);
		event = "workflow.reminded";
		detail = json_pack("{s:s, s:s, s:s, s:O}", "workflow", d->name, "state", st->name,
				   "deadline", dl->key, "queued", notified);
	} else {
		*outcome = "unknown";
	}
	if (rc == 0 && event)
		rc = audit_log_incident(c, 0, event, NULL, incident_id, detail);
	json_decref(detail);
	json_decref(notified);
	release_ctx(&x);
	return rc;
}

/* A timer that fails is tried again after 10 s, 20 s, 40 s, 80 s (doubling,
 * at most 5 min) and is marked failed at its TIMER_ATTEMPTS-th failure. */
#define TIMER_ATTEMPTS 5

/* m (may be dst) cut to fit n bytes (n > 0) at a character boundary, so
 * that it stays valid UTF-8 for the text column. */
static void copy_utf8(char *dst, size_t n, const char *m)
{
	size_t len = strlen(m);
	while (len && (m[len - 1] == '\n' || m[len - 1] == ' '))
		len--;
	if (len >= n) {
		len = n - 1;
		while (len && ((unsigned char)m[len] & 0xC0) == 0x80)
			len--;
	}
	memmove(dst, m, len);
	dst[len] = '\0';
}

/* Inside the tick's transaction, after the timer's savepoint was rolled
 * back: counts the attempt, keeps its cause and postpones the timer, or
 * marks it failed. */
static enum db_qs timer_failed(PGconn *c, struct db_err *err, const char *id, const char *why)
{
	char max[16];
	snprintf(max, sizeof max, "%d", TIMER_ATTEMPTS);
	const char *p[3] = {id, why, max};
	PGresult *r;
	enum db_qs qs = db_exec(
		c, err,
		"UPDATE timer SET attempts = attempts + 1, last_error = $2, "
		"  retry_at = sokuho_now() + least(interval '10 seconds' * power(2, attempts), "
		"    interval '5 minutes'), "
		"  failed_at = CASE WHEN attempts + 1 >= $3::int THEN sokuho_now() END "
		"WHERE id = $1::bigint RETURNING attempts, failed_at IS NOT NULL",
		3, p, &r);
	if (qs < 0)
		return qs;
	if (qs == DB_OK) {
		int failed = PQgetvalue(r, 0, 1)[0] == 't';
		log_event(failed ? LOG_ERROR : LOG_WARN,
			  failed ? "engine_timer_failed" : "engine_timer_error",
			  "timer=%s attempt=%s error=%s", id, PQgetvalue(r, 0, 0), log_quote(0, why));
	}
	PQclear(r);
	return DB_OK;
}

struct tick {
	struct engine *e;
	const char *batch;
	int claimed;
};

static enum db_qs tick_tx(PGconn *c, void *arg, struct db_err *err)
{
	struct tick *tk = arg;
	tk->claimed = 0;
	const char *p[1] = {tk->batch};
	PGresult *t;
	/* Both the timer and its run are locked; a run a person is acting on
	 * right now is skipped and its timer taken by the next tick. */
	enum db_qs qs = db_exec(
		c, err,
		"SELECT t.id, t.run_id, t.kind, t.step, t.repeat, t.fence, t.fire_at::text, r.fence, "
		"  r.def_id, r.state, r.incident_id, r.entered_at::text, "
		"  floor(extract(epoch FROM t.fire_at))::bigint, "
		"  floor(extract(epoch FROM r.entered_at))::bigint "
		"FROM timer t JOIN workflow_run r ON r.id = t.run_id "
		"WHERE t.fired_at IS NULL AND t.failed_at IS NULL AND t.fire_at <= sokuho_now() "
		"  AND (t.retry_at IS NULL OR t.retry_at <= sokuho_now()) "
		"ORDER BY t.fire_at LIMIT $1::int FOR UPDATE OF t, r SKIP LOCKED",
		1, p, &t);
	if (qs < 0)
		return qs;
	int n = PQntuples(t);
	/* Each timer under its own savepoint: one that cannot be applied is
	 * rolled back alone and the rest of the batch goes on. */
	for (int i = 0; i < n && qs >= 0; i++) {
		const char *id = PQgetvalue(t, i, 0);
		qs = db_exec(c, err, "SAVEPOINT timer", 0, NULL, NULL);
		if (qs < 0)
			break;
		const char *outcome = "applied";
		char why[512] = "";
		first_err[0] = '\0';
		int rc = 0;
		if (strcmp(PQgetvalue(t, i, 5), PQgetvalue(t, i, 7)) != 0)
			outcome = "stale"; /* the run moved on: fencing */
		else
			rc = apply_timer(tk->e, c, t, i, &outcome, why, sizeof why);
		if (rc == 0) {
			const char *p2[2] = {id, outcome};
			if (db_exec(c, err,
				    "UPDATE timer SET fired_at = sokuho_now(), outcome = $2 "
				    "WHERE id = $1::bigint",
				    2, p2, NULL) < 0) {
				rc = -1;
				note_err(err->msg);
			}
		}
		if (rc == 0) {
			qs = db_exec(c, err, "RELEASE SAVEPOINT timer", 0, NULL, NULL);
			continue;
		}
		if (PQstatus(c) != CONNECTION_OK) {
			/* Not the timer's fault: the whole tick is tried again
			 * once the database is back. */
			qs = db_classify(c, NULL, err);
			break;
		}
		if (!why[0])
			copy_utf8(why, sizeof why,
				  first_err[0]	       ? first_err
				  : *PQerrorMessage(c) ? PQerrorMessage(c)
						       : "the timer could not be applied");
		else
			copy_utf8(why, sizeof why, why);
		qs = db_exec(c, err, "ROLLBACK TO SAVEPOINT timer", 0, NULL, NULL);
		if (qs >= 0)
			qs = timer_failed(c, err, id, why);
		if (qs >= 0)
			qs = db_exec(c, err, "RELEASE SAVEPOINT timer", 0, NULL, NULL);
	}
	PQclear(t);
	if (qs < 0)
		return qs;
	tk->claimed = n;
	return n > 0 ? DB_OK : DB_NONE;
}

int engine_tick(struct engine *e, PGconn *c, int batch)
{
	char lim[16];
	snprintf(lim, sizeof lim, "%d", batch);
	struct tick tk = {e, lim, 0};
	struct db_err err;
	/* Idempotent: a tick run again after a COMMIT whose answer was lost
	 * finds its timers fired, and the outbox's keys refuse a second mail. */
	if (db_run_tx(c, "engine_tick", DB_TX_IDEMPOTENT, tick_tx, &tk, &err) < 0) {
		log_event(LOG_ERROR, "engine_tick_failed", "error=%s", log_quote(0, err.msg));
		return -1;
	}
	return tk.claimed;
}

struct retry {
	const char *id;
	int actor;
	int done;
};

static enum db_qs retry_tx(PGconn *c, void *arg, struct db_err *err)
{
	struct retry *rt = arg;
	rt->done = 0;
	const char *p[1] = {rt->id};
	json_t *row;
	enum db_qs qs = db_row_get(
		c, err,
		"WITH t AS (SELECT id, attempts, last_error, failed_at FROM timer "
		"  WHERE id = $1::bigint AND failed_at IS NOT NULL AND fired_at IS NULL FOR UPDATE) "
		"UPDATE timer u SET attempts = 0, retry_at = NULL, failed_at = NULL FROM t, "
		"  workflow_run r, workflow_def d WHERE u.id = t.id AND r.id = u.run_id "
		"  AND d.id = r.def_id "
		"RETURNING r.incident_id, d.name AS workflow, r.state, u.kind, u.step, "
		"  t.attempts, t.last_error, t.failed_at::text",
		1, p, &row);
	if (qs != DB_OK)
		return qs;
	long long incident = atoll(json_string_value(json_object_get(row, "incident_id")));
	json_t *detail = json_pack("{s:I, s:O, s:O, s:O, s:O, s:O, s:O}", "timer",
				   (json_int_t)atoll(rt->id), "workflow", json_object_get(row, "workflow"),
				   "state", json_object_get(row, "state"), "kind",
				   json_object_get(row, "kind"), "attempts",
				   json_object_get(row, "attempts"), "last_error",
				   json_object_get(row, "last_error"), "failed_at",
				   json_object_get(row, "failed_at"));
	json_decref(row);
	int rc = audit_log_incident(c, rt->actor, "workflow.timer_retried", NULL, incident, detail);
	json_decref(detail);
	if (rc < 0) {
		snprintf(err->msg, sizeof err->msg, "unable to record the retry of timer %s: %s", rt->id,
			 PQerrorMessage(c));
		return DB_HARD;
	}
	qs = db_exec(c, err, "SELECT pg_notify('sokuho_wake', '')", 0, NULL, NULL);
	if (qs < 0)
		return qs;
	rt->done = 1;
	return DB_OK;
}

int engine_timer_retry(PGconn *c, long long timer_id, int actor_id, char *errbuf, size_t errlen)
{
	char id[24];
	snprintf(id, sizeof id, "%lld", timer_id);
	struct retry rt = {id, actor_id, 0};
	struct db_err err;
	if (db_run_tx(c, "timer_retry", 0, retry_tx, &rt, &err) < 0) {
		snprintf(errbuf, errlen, "%s", err.msg);
		return -1;
	}
	return rt.done;
}

json_t *engine_failed_timers(PGconn *c, int limit)
{
	char lim[16];
	snprintf(lim, sizeof lim, "%d", limit);
	const char *p[1] = {lim};
	return db_rows(c,
		       "SELECT t.id, i.ref, d.name AS workflow, r.state, t.kind, t.attempts, "
		       "  to_char(t.failed_at AT TIME ZONE 'Asia/Tokyo', 'YYYY-MM-DD HH24:MI') "
		       "  AS failed_at, t.last_error "
		       "FROM timer t JOIN workflow_run r ON r.id = t.run_id "
		       "JOIN workflow_def d ON d.id = r.def_id JOIN incident i ON i.id = r.incident_id "
		       "WHERE t.fired_at IS NULL AND t.failed_at IS NOT NULL "
		       "ORDER BY t.failed_at DESC, t.id DESC LIMIT $1::int",
		       1, p);
}

static const char *field_value(const json_t *fields, const char *name)
{
	json_t *v = json_object_get(fields, name);
	if (json_is_array(v))
		v = json_array_get(v, 0);
	return json_string_value(v);
}

/* Checks the action's fields; returns the values to record. */
static json_t *check_fields(const struct wf_action *a, const json_t *fields, json_t *errors)
{
	json_t *vals = json_object();
	for (size_t i = 0; i < a->nfields; i++) {
		const struct wf_field *f = &a->fields[i];
		const char *v = field_value(fields, f->name);
		if (!v || !*v) {
			if (f->required)
				json_object_set_new(errors, f->name,
						    json_pack("{s:s, s:{s:{s:s, s:s}}}", "key",
							      "action_err_required", "args", "field",
							      "ja", f->title.ja, "en", f->title.en));
			continue;
		}
		if (f->type == WF_FIELD_INTEGER) {
			char *end;
			errno = 0;
			long long n = strtoll(v, &end, 10);
			if (errno || *end || n < f->min || n > f->max) {
				json_object_set_new(errors, f->name,
						    json_pack("{s:s, s:{s:I, s:I}}", "key",
							      "action_err_integer", "args", "min",
							      (json_int_t)f->min, "max",
							      (json_int_t)f->max));
			} else {
				json_object_set_new(vals, f->name, json_integer(n));
			}
		} else if (f->type == WF_FIELD_BOOLEAN) {
			json_object_set_new(vals, f->name,
					    json_boolean(strcmp(v, "0") && strcmp(v, "false") && strcmp(v, "no")));
		} else {
			size_t chars = utf8_chars(v);
			if ((long long)chars > f->max && f->type == WF_FIELD_TEXT) {
				json_object_set_new(errors, f->name,
						    json_pack("{s:s, s:{s:I}}", "key",
							      "action_err_too_long", "args", "max",
							      (json_int_t)f->max));
			} else {
				json_object_set_new(vals, f->name, json_string(v));
			}
		}
	}
	return vals;
}

/* Whether actor holds one of the action's roles over the incident; an
 * absent holder may still act (absence changes who is told, not who may). */
static int may_take(PGconn *c, const struct ctx *x, const struct wf_action *a, int actor)
{
	char act[16];
	snprintf(act, sizeof act, "%d", actor);
	for (size_t i = 0; i < a->nby; i++) {
		const char *p[4] = {a->by[i], nn(x->section), nn(x->system), act};
		PGresult *r = PQexecParams(c,
					   "SELECT 1 FROM resolve_role_all($1, $2::int, $3::int) "
					   "WHERE person_id = $4::int",
					   4, NULL, p, NULL, NULL, 0);
		int ok = db_ok(r) && PQntuples(r) > 0;
		PQclear(r);
		if (ok)
			return 1;
	}
	return 0;
}

/* The roles named by the actions of runs' current states (runs as
 * engine_runs_json reads them) that actor holds over the incident of x, in
 * one statement: an object whose keys are those roles (empty on error). An
 * absent holder still holds (resolve_role_all): absence changes who is told. */
static const struct db_stmt held_stmt = {
	"engine_roles_held",
	"SELECT n.role FROM json_array_elements_text($1::json) AS n(role) "
	"WHERE EXISTS (SELECT 1 FROM resolve_role_all(n.role, $2::int, $3::int) "
	"  WHERE person_id = $4::int)",
	4};

static json_t *roles_held(struct engine *e, PGconn *c, const struct ctx *x, json_t *runs,
			  int actor)
{
	json_t *held = json_object();
	json_t *named = json_array();
	json_t *seen = json_object();
	size_t i;
	json_t *run;
	json_array_foreach(runs, i, run) {
		const struct wf_def *d =
			get_def(e, c, atoi(json_string_value(json_object_get(run, "def_id"))));
		const struct wf_state *st =
			d ? wf_find_state(d, json_string_value(json_object_get(run, "state"))) : NULL;
		for (size_t k = 0; st && k < st->nactions; k++)
			for (size_t b = 0; b < st->actions[k].nby; b++) {
				const char *role = st->actions[k].by[b];
				if (!json_object_get(seen, role)) {
					json_object_set_new(seen, role, json_true());
					json_array_append_new(named, json_string(role));
				}
			}
	}
	char *names = json_array_size(named) ? json_dumps(named, JSON_COMPACT) : NULL;
	if (names) {
		char act[16];
		snprintf(act, sizeof act, "%d", actor);
		const char *p[4] = {names, nn(x->section), nn(x->system), act};
		PGresult *r;
		db_exec_stmt(c, NULL, &held_stmt, p, 0, &r);
		int col = PQfnumber(r, "role");
		for (int k = 0; db_ok(r) && col >= 0 && k < PQntuples(r); k++)
			json_object_set_new(held, PQgetvalue(r, k, col), json_true());
		PQclear(r);
	}
	free(names);
	json_decref(named);
	json_decref(seen);
	return held;
}

/* The owners of runs' current states (runs as engine_runs_json reads
 * them), in one statement: an object keyed by the run's place in runs
 * ("0", "1", ...) of {role_ja, role_en, names, absent_ja, absent_en} (the
 * owner role's title and its holders of rank 0, the city's for a city-wide
 * owner, else those over the incident of x — while they are away, the acting
 * holders, and absent_* names the away 「山田 太郎（休暇、12月10日まで）」,
 * resolve_role_rung); a run whose state names no owner, or whose role is not
 * known, has none. Empty on error. */
static const struct db_stmt owners_stmt = {
	"engine_owners",
	"SELECT o.i::text AS i, r.title_ja AS role_ja, r.title_en AS role_en, "
	"  (SELECT string_agg(p.display_name, '、' ORDER BY x.deputy_rank, p.id) "
	"   FROM resolve_role_rung(o.role, o.section::int, o.system::int, 0) x "
	"   JOIN person p ON p.id = x.person_id WHERE x.absence_id IS NULL) "
	"  AS names, "
	"  (SELECT string_agg(p.display_name || '（' || absence_label(x.absence_id, "
	"   'ja') || '）', '、' ORDER BY x.deputy_rank, p.id) FROM "
	"   resolve_role_rung(o.role, o.section::int, o.system::int, 0) x "
	"   JOIN person p ON p.id = x.person_id WHERE x.absence_id IS NOT NULL) "
	"  AS absent_ja, "
	"  (SELECT string_agg(p.display_name || ' (' || absence_label(x.absence_id, "
	"   'en') || ')', ', ' ORDER BY x.deputy_rank, p.id) FROM "
	"   resolve_role_rung(o.role, o.section::int, o.system::int, 0) x "
	"   JOIN person p ON p.id = x.person_id WHERE x.absence_id IS NOT NULL) "
	"  AS absent_en "
	"FROM json_to_recordset($1::json) AS o(i int, role text, section text, "
	"  system text) JOIN role r ON r.name = o.role ORDER BY o.i",
	1};

static json_t *owners_of(struct engine *e, PGconn *c, const struct ctx *x, json_t *runs)
{
	json_t *want = json_array();
	size_t i;
	json_t *run;
	json_array_foreach(runs, i, run) {
		const struct wf_def *d =
			get_def(e, c, atoi(json_string_value(json_object_get(run, "def_id"))));
		const struct wf_state *st =
			d ? wf_find_state(d, json_string_value(json_object_get(run, "state"))) : NULL;
		if (!st || !st->owner_role)
			continue;
		int city = st->owner_scope == WF_SCOPE_CITY;
		const char *sec = city ? NULL : nn(x->section), *sys = city ? NULL : nn(x->system);
		json_array_append_new(want, json_pack("{s:I, s:s, s:s?, s:s?}", "i", (json_int_t)i,
						      "role", st->owner_role, "section", sec,
						      "system", sys));
	}
	json_t *out = json_object();
	char *arg = json_array_size(want) ? json_dumps(want, JSON_COMPACT) : NULL;
	json_decref(want);
	if (!arg)
		return out;
	json_t *rows = db_rows_stmt(c, &owners_stmt, (const char *const[]){arg});
	free(arg);
	json_array_foreach(rows, i, run) {
		const char *place = json_string_value(json_object_get(run, "i"));
		if (!place)
			continue;
		json_t *o = json_pack("{s:O, s:O, s:O, s:O, s:O}", "role_ja",
				      json_object_get(run, "role_ja"), "role_en",
				      json_object_get(run, "role_en"), "names",
				      json_object_get(run, "names"), "absent_ja",
				      json_object_get(run, "absent_ja"), "absent_en",
				      json_object_get(run, "absent_en"));
		if (o)
			json_object_set_new(out, place, o);
	}
	json_decref(rows);
	return out;
}

/* may_take with the roles roles_held found. */
static int may_take_held(const json_t *held, const struct wf_action *a)
{
	for (size_t i = 0; i < a->nby; i++)
		if (json_object_get(held, a->by[i]))
			return 1;
	return 0;
}

/* Closing the incident (issue 18). Entering a state with milestone
 * "closed" closes the incident; what that does to its other unfinished runs
 * is each workflow's "incident_close": a legal report ("blocks") must be
 * finished first, the reporting duty ("waivable") may be waived with a
 * reason, anything else stops. A stopped run's ladders, reminders and
 * deadlines end with it. */
static int closes_incident(const struct wf_def *d, const struct wf_state *st)
{
	const json_t *m = json_object_get(
		json_object_get(json_object_get(d->json, "states"), st->name), "milestone");
	return json_is_string(m) && strcmp(json_string_value(m), "closed") == 0;
}

#define MAX_OTHER_RUNS 32

struct closing {
	size_t n;
	long long run[MAX_OTHER_RUNS];
	const struct wf_def *def[MAX_OTHER_RUNS];
	char state[MAX_OTHER_RUNS][64];
	int blocked, waivable;
};

/* The incident's other unfinished runs, and whether one blocks closing or
 * needs a waiver; with lock (inside engine_act's transaction) their rows are
 * locked until it ends, a page only reads them. Returns 0 or -1. */
static int closing_runs(struct engine *e, PGconn *c, const char *incident_id, long long run_id,
			int lock, struct closing *cl)
{
	memset(cl, 0, sizeof *cl);
	char run[24];
	snprintf(run, sizeof run, "%lld", run_id);
	const char *p[2] = {incident_id, run};
	PGresult *r = PQexecParams(c,
				   lock ? "SELECT id, def_id, state FROM workflow_run WHERE incident_id = "
					  "$1::bigint AND finished_at IS NULL AND id <> $2::bigint "
					  "ORDER BY id FOR UPDATE"
					: "SELECT id, def_id, state FROM workflow_run WHERE incident_id = "
					  "$1::bigint AND finished_at IS NULL AND id <> $2::bigint "
					  "ORDER BY id",
				   2, NULL, p, NULL, NULL, 0);
	if (!db_ok(r)) {
		note_err(PQresultErrorMessage(r));
		PQclear(r);
		return -1;
	}
	for (int i = 0; i < PQntuples(r) && cl->n < MAX_OTHER_RUNS; i++) {
		const struct wf_def *d = get_def(e, c, atoi(PQgetvalue(r, i, 1)));
		if (!d)
			continue;
		cl->run[cl->n] = atoll(PQgetvalue(r, i, 0));
		cl->def[cl->n] = d;
		snprintf(cl->state[cl->n], sizeof cl->state[0], "%s", PQgetvalue(r, i, 2));
		cl->blocked |= d->incident_close == WF_CLOSE_BLOCKS;
		cl->waivable |= d->incident_close == WF_CLOSE_WAIVABLE;
		cl->n++;
	}
	PQclear(r);
	return 0;
}

/* The waiver's reason from the form: trimmed, 1 to 2000 bytes, or NULL. */
static const char *waive_reason(const json_t *fields)
{
	const char *w = json_string_value(json_object_get(fields, "waive_reason"));
	if (!w)
		return NULL;
	while (*w == ' ' || *w == '\t' || *w == '\n' || *w == '\r')
		w++;
	size_t n = strlen(w);
	return n > 0 && n <= 2000 ? w : NULL;
}

/* Stops the other runs when the incident closes: each is finished with its
 * timers cancelled, audited as workflow.stopped (with the waiver's reason
 * for the reporting duty). */
static int stop_runs(PGconn *c, const struct ctx *x, const struct closing *cl, int actor,
		     const char *reason)
{
	for (size_t i = 0; i < cl->n; i++) {
		char run[24];
		snprintf(run, sizeof run, "%lld", cl->run[i]);
		const char *p[1] = {run};
		if (exec_params(c,
				"UPDATE workflow_run SET fence = fence + 1, finished_at = sokuho_now() "
				"WHERE id = $1::bigint AND finished_at IS NULL",
				1, p) < 0 ||
		    exec_params(c,
				"UPDATE timer SET fired_at = sokuho_now(), outcome = 'cancelled' "
				"WHERE run_id = $1::bigint AND fired_at IS NULL",
				1, p) < 0)
			return -1;
		int waived = cl->def[i]->incident_close == WF_CLOSE_WAIVABLE;
		json_t *detail = json_pack("{s:s, s:s, s:s}", "workflow", cl->def[i]->name, "state",
					   cl->state[i], "why", waived ? "waived" : "incident closed");
		if (waived && reason)
			json_object_set_new(detail, "reason", json_string(reason));
		int rc = audit_log_incident(c, actor, "workflow.stopped", NULL, x->incident_id, detail);
		json_decref(detail);
		if (rc != 0)
			return -1;
	}
	return 0;
}

/* One workflow action's transaction (engine_act). */
struct act {
	struct engine *e;
	long long run_id;
	int fence;
	const char *action;
	const json_t *fields;
	int actor_id;
	json_t *errors;
	long long link_outbox; /* > 0: the acknowledge link to mark used */
	int link_used;         /* out: it was used meanwhile */
	enum engine_act_result res;
};

static enum db_qs act_tx(PGconn *c, void *arg, struct db_err *dbe)
{
	struct act *A = arg;
	struct engine *e = A->e;
	long long run_id = A->run_id;
	int fence = A->fence, actor_id = A->actor_id;
	const char *action = A->action;
	const json_t *fields = A->fields;
	json_t *errors = A->errors;
	json_object_clear(errors); /* a retry starts again */
	A->link_used = 0;
	char run[24];
	snprintf(run, sizeof run, "%lld", run_id);
	const char *p[1] = {run};
	PGresult *r = NULL;
	enum db_qs qs = db_exec(c, dbe,
				"SELECT def_id, state, fence, incident_id FROM workflow_run "
				"WHERE id = $1::bigint FOR UPDATE",
				1, p, &r);
	enum engine_act_result res = ENGINE_ACT_ERROR;
	struct ctx x;
	int have_ctx = 0;
	json_t *vals = NULL;
	if (qs <= 0) {
		res = qs == DB_NONE ? ENGINE_ACT_NOT_FOUND : ENGINE_ACT_ERROR;
		goto out;
	}
	const struct wf_def *d = get_def(e, c, atoi(PQgetvalue(r, 0, 0)));
	const struct wf_state *st = d ? wf_find_state(d, PQgetvalue(r, 0, 1)) : NULL;
	const struct wf_action *a = st ? wf_find_action(st, action) : NULL;
	/* A page shown before the run moved on is a conflict, whatever it
	 * offered: the person sees the new state and decides again. */
	if (fence >= 0 && atoi(PQgetvalue(r, 0, 2)) != fence) {
		res = ENGINE_ACT_CONFLICT;
		goto out;
	}
	if (!a) {
		res = ENGINE_ACT_NOT_FOUND;
		goto out;
	}
	if (load_ctx(c, atoll(PQgetvalue(r, 0, 3)), &x) < 0)
		goto out;
	have_ctx = 1;
	if (!may_take(c, &x, a, actor_id)) {
		res = ENGINE_ACT_FORBIDDEN;
		goto out;
	}
	vals = check_fields(a, fields, errors);
	struct closing cl = {0};
	int closing = closes_incident(d, a->to_state);
	if (closing && closing_runs(e, c, x.id, run_id, 1, &cl) < 0)
		goto out;
	if (closing && cl.blocked) {
		json_object_set_new(errors, "close",
				    json_string("a legal report of this incident is not finished"));
		res = ENGINE_ACT_BLOCKED;
		goto out;
	}
	const char *waiver = closing && cl.waivable ? waive_reason(fields) : NULL;
	if (closing && cl.waivable && !waiver)
		json_object_set_new(errors, "waive_reason",
				    json_string("the reporting duty is not finished: give the reason "
						"for waiving its remaining steps (at most 2000 bytes)"));
	if (json_object_size(errors)) {
		res = ENGINE_ACT_INVALID;
		goto out;
	}
	/* Fields that are incident facts update the incident, so the next
	 * states' conditions see them. */
	for (size_t i = 0; i < a->nfields; i++) {
		const struct wf_field *f = &a->fields[i];
		json_t *v = json_object_get(vals, f->name);
		if (!f->fact || !v)
			continue;
		char *vs = json_dumps(v, JSON_ENCODE_ANY);
		const char *pf[3] = {x.id, f->fact, vs};
		int rc = strcmp(f->fact, "severity") == 0
				 ? exec_params(c, "UPDATE incident SET severity = $3::int WHERE id = $1::bigint "
						  "AND $2 = 'severity'",
					       3, pf)
				 : exec_params(c,
					       "UPDATE incident SET facts = jsonb_set(facts, "
					       "string_to_array($2, '.'), $3::jsonb) WHERE id = $1::bigint",
					       3, pf);
		free(vs);
		if (rc < 0)
			goto out;
		json_object_set(x.facts, f->fact, v);
	}
	if (enter_state(e, c, &x, run_id, d, a->to_state, st->name, a->name, actor_id, vals) < 0 ||
	    (closing && stop_runs(c, &x, &cl, actor_id, waiver) < 0) ||
	    (!closing && engine_start_incident(e, c, x.incident_id) < 0))
		goto out;
	if (A->link_outbox > 0) {
		/* the link is used up by this very transaction, or it was used
		 * meanwhile and everything above is rolled back */
		char ob[24];
		snprintf(ob, sizeof ob, "%lld", A->link_outbox);
		qs = db_exec(c, dbe,
			     "UPDATE outbox SET ack_used_at = sokuho_now() WHERE id = $1::bigint "
			     "AND ack_used_at IS NULL",
			     1, (const char *const[]){ob}, NULL);
		if (qs < 0)
			goto out;
		if (qs == DB_NONE) {
			A->link_used = 1;
			qs = db_fail(c, dbe, "the acknowledge link was used meanwhile");
			goto out;
		}
	}
	res = ENGINE_ACT_OK;
out:
	PQclear(r);
	json_decref(vals);
	if (have_ctx)
		release_ctx(&x);
	A->res = res;
	if (res == ENGINE_ACT_ERROR)
		return qs < 0 ? qs : db_fail(c, dbe, "the workflow action failed");
	/* every refusal comes before the first write: nothing to undo */
	return res == ENGINE_ACT_OK ? DB_OK : DB_NONE;
}

/* Runs an action's transaction and answers for it. */
static enum engine_act_result act_run(PGconn *c, struct act *A)
{
	struct db_err dbe;
	/* Not idempotent (a repeat after a COMMIT without an answer would find
	 * the fence moved and say "conflict"), so such a COMMIT is reported. */
	enum db_qs qs = db_run_tx(c, "engine_act", 0, act_tx, A, &dbe);
	if (A->link_used)
		return ENGINE_ACT_CONFLICT; /* rolled back: the link was used meanwhile */
	if (qs < 0) {
		log_event(LOG_ERROR, "engine_act_failed", "run=%lld action=%s error=%s", A->run_id,
			  log_quote(0, A->action), log_quote(1, dbe.msg));
		return qs == DB_SOFT ? ENGINE_ACT_UNAVAILABLE : ENGINE_ACT_ERROR;
	}
	return A->res;
}

enum engine_act_result engine_act(struct engine *e, PGconn *c, long long run_id, int fence,
				  const char *action, const json_t *fields, int actor_id,
				  const char *ip, json_t *errors)
{
	(void)ip;
	struct act a = {e, run_id, fence, action, fields, actor_id, errors, 0, 0, ENGINE_ACT_ERROR};
	return act_run(c, &a);
}

enum engine_act_result engine_act_link(struct engine *e, PGconn *c, long long run_id, int fence,
				       int actor_id, long long outbox_id)
{
	json_t *errors = json_object();
	struct act a = {e,	   run_id, fence, "acknowledge", NULL, actor_id, errors, outbox_id,
			0,	   ENGINE_ACT_ERROR};
	enum engine_act_result res = act_run(c, &a);
	json_decref(errors);
	return res;
}

/* The action of state st with a field "submitted_at", when st carries
 * deadline key; NULL otherwise. */
static const struct wf_action *sent_action(const struct wf_state *st, const char *key)
{
	int has = 0;
	for (size_t i = 0; st && i < st->ndeadlines; i++)
		has |= strcmp(st->deadlines[i].key, key) == 0;
	for (size_t i = 0; has && i < st->nactions; i++)
		for (size_t k = 0; k < st->actions[i].nfields; k++)
			if (strcmp(st->actions[i].fields[k].name, "submitted_at") == 0)
				return &st->actions[i];
	return NULL;
}

enum db_qs engine_act_deadline_tx(struct engine *e, PGconn *c, long long incident_id,
				  const char *key, const json_t *fields, int actor_id,
				  json_t *errors, enum engine_act_result *res, char *action,
				  size_t actlen, struct db_err *dbe)
{
	*res = ENGINE_ACT_NOT_FOUND;
	if (actlen)
		action[0] = '\0';
	char id[24];
	snprintf(id, sizeof id, "%lld", incident_id);
	PGresult *r = NULL;
	enum db_qs qs = db_exec(c, dbe,
				"SELECT id, def_id, state FROM workflow_run WHERE incident_id = "
				"$1::bigint AND finished_at IS NULL ORDER BY id FOR UPDATE",
				1, (const char *const[]){id}, &r);
	if (qs <= 0)
		return qs;
	long long run = 0;
	const struct wf_action *a = NULL;
	for (int i = 0; i < PQntuples(r) && !a; i++) {
		const struct wf_def *d = get_def(e, c, atoi(PQgetvalue(r, i, 1)));
		a = d ? sent_action(wf_find_state(d, PQgetvalue(r, i, 2)), key) : NULL;
		run = atoll(PQgetvalue(r, i, 0));
	}
	PQclear(r);
	if (!a)
		return DB_NONE;
	snprintf(action, actlen, "%s", a->name);
	struct act A = {e, run, -1, a->name, fields, actor_id, errors, 0, 0, ENGINE_ACT_ERROR};
	qs = act_tx(c, &A, dbe);
	*res = A.res;
	return qs;
}

int engine_may_act(struct engine *e, PGconn *c, long long run_id, int fence, const char *action,
		   int actor_id)
{
	if (actor_id <= 0)
		return 0;
	char run[24];
	snprintf(run, sizeof run, "%lld", run_id);
	PGresult *r = PQexecParams(c,
				   "SELECT def_id, state, fence, incident_id FROM workflow_run "
				   "WHERE id = $1::bigint AND finished_at IS NULL",
				   1, NULL, (const char *const[]){run}, NULL, NULL, 0);
	if (!db_ok(r)) {
		PQclear(r);
		return -1;
	}
	int ok = 0;
	if (PQntuples(r) == 1 && (fence < 0 || atoi(PQgetvalue(r, 0, 2)) == fence)) {
		const struct wf_def *d = get_def(e, c, atoi(PQgetvalue(r, 0, 0)));
		const struct wf_state *st = d ? wf_find_state(d, PQgetvalue(r, 0, 1)) : NULL;
		const struct wf_action *a = st ? wf_find_action(st, action) : NULL;
		struct ctx x;
		if (a && load_ctx(c, atoll(PQgetvalue(r, 0, 3)), &x) == 0) {
			ok = may_take(c, &x, a, actor_id);
			release_ctx(&x);
		}
	}
	PQclear(r);
	return ok;
}

/* The incident page's runs: prepared once per connection (db/prepared.h). */
static const struct db_stmt runs_stmt = {
	"engine_runs",
	"SELECT r.id, r.def_id, r.state, r.fence, r.escalation_level, "
	"  r.finished_at IS NOT NULL AS finished, d.name, d.version, "
	"  to_char(r.entered_at AT TIME ZONE 'Asia/Tokyo', 'YYYY-MM-DD HH24:MI') AS entered, "
	"  (SELECT json_agg(json_build_object('title_ja', w.title_ja, 'title_en', w.title_en, "
	"     'due', to_char(w.due_at AT TIME ZONE 'Asia/Tokyo', 'YYYY-MM-DD HH24:MI'), "
	"     'overdue', w.due_at < sokuho_now(), "
	"     'left', CASE WHEN w.due_at >= sokuho_now() THEN "
	"        to_char(w.due_at - sokuho_now(), 'DD\"日\" HH24:MI') END, "
	"     'late', CASE WHEN w.due_at < sokuho_now() THEN "
	"        to_char(sokuho_now() - w.due_at, 'DD\"日\" HH24:MI') END) ORDER BY w.due_at) "
	"   FROM workflow_deadline w WHERE w.run_id = r.id AND w.fence = r.fence "
	"   AND w.met_at IS NULL)::text AS deadlines_json, "
	"  (SELECT json_agg(json_build_object('from', t.from_state, 'to', t.to_state, "
	"     'action', t.action, 'who', p.display_name, 'at', to_char(t.at AT TIME ZONE "
	"     'Asia/Tokyo', 'YYYY-MM-DD HH24:MI')) ORDER BY t.id) FROM workflow_transition t "
	"   LEFT JOIN person p ON p.id = t.actor_id WHERE t.run_id = r.id)::text AS history_json "
	"FROM workflow_run r JOIN workflow_def d ON d.id = r.def_id "
	"WHERE r.incident_id = $1::bigint ORDER BY r.id",
	1};

json_t *engine_runs_json(struct engine *e, PGconn *c, long long incident_id, int actor_id)
{
	char id[24];
	snprintf(id, sizeof id, "%lld", incident_id);
	const char *p[1] = {id};
	json_t *runs = db_rows_stmt(c, &runs_stmt, p);
	if (!runs)
		return json_array();
	struct ctx x;
	int have_ctx = load_ctx(c, incident_id, &x) == 0;
	/* which actions the actor may take: one statement for the page, not
	 * one per action and role (may_take) */
	json_t *held = have_ctx && actor_id > 0 ? roles_held(e, c, &x, runs, actor_id) : NULL;
	json_t *owners = have_ctx ? owners_of(e, c, &x, runs) : NULL;
	size_t i;
	json_t *run;
	json_array_foreach(runs, i, run) {
		const struct wf_def *d = get_def(e, c, atoi(json_string_value(json_object_get(run, "def_id"))));
		const struct wf_state *st =
			d ? wf_find_state(d, json_string_value(json_object_get(run, "state"))) : NULL;
		static const char *const js[] = {"deadlines_json", "history_json"};
		for (int k = 0; k < 2; k++) {
			const char *s = json_string_value(json_object_get(run, js[k]));
			json_t *v = s ? json_loads(s, 0, NULL) : NULL;
			json_object_set_new(run, k == 0 ? "deadlines" : "history", v ? v : json_array());
			json_object_del(run, js[k]);
		}
		/* A number, so that level 0 counts as no escalation in templates. */
		const char *lv = json_string_value(json_object_get(run, "escalation_level"));
		json_object_set_new(run, "escalation_level", json_integer(lv ? atoi(lv) : 0));
		if (!d || !st)
			continue;
		json_object_set_new(run, "title_ja", json_string(d->title.ja));
		json_object_set_new(run, "title_en", json_string(d->title.en));
		json_object_set_new(run, "state_ja", json_string(st->title.ja));
		json_object_set_new(run, "state_en", json_string(st->title.en));
		if (st->has_description)
			json_object_set_new(run, "guidance_ja", json_string(st->description.ja));
		char place[24];
		snprintf(place, sizeof place, "%zu", i);
		json_t *o = json_object_get(owners, place);
		if (o)
			json_object_set(run, "owner", o);
		json_t *acts = json_array();
		for (size_t k = 0; have_ctx && actor_id > 0 && k < st->nactions; k++) {
			const struct wf_action *a = &st->actions[k];
			if (!may_take_held(held, a))
				continue;
			json_t *fs = json_array();
			for (size_t f = 0; f < a->nfields; f++)
				json_array_append_new(
					fs, json_pack("{s:s, s:s, s:s, s:b, s:b, s:b}", "name",
						      a->fields[f].name, "title_ja", a->fields[f].title.ja,
						      "title_en", a->fields[f].title.en, "required",
						      a->fields[f].required, "is_text",
						      a->fields[f].type == WF_FIELD_TEXT, "is_integer",
						      a->fields[f].type == WF_FIELD_INTEGER));
			/* Closing the incident: not while a legal report runs (the
			 * action is shown with why, without its button); while the
			 * reporting duty is unfinished, with a reason for waiving it. */
			struct closing cl = {0};
			if (closes_incident(d, a->to_state) &&
			    closing_runs(e, c, id, atoll(json_string_value(json_object_get(run, "id"))),
					 0, &cl) == 0 &&
			    !cl.blocked && cl.waivable)
				json_array_append_new(
					fs, json_pack("{s:s, s:s, s:s, s:b, s:b, s:b}", "name",
						      "waive_reason", "title_ja",
						      "報告責任の残りの手順を省略する理由", "title_en",
						      "Why the rest of the reporting duty is waived",
						      "required", 1, "is_text", 1, "is_integer", 0));
			/* "action" also: inside a field, {{name}} is the field's */
			json_array_append_new(acts, json_pack("{s:s, s:s, s:s, s:s, s:o, s:b}", "name",
							      a->name, "action", a->name, "title_ja",
							      a->title.ja, "title_en", a->title.en,
							      "fields", fs, "close_blocked", cl.blocked));
		}
		json_object_set_new(run, "actions", acts);
		json_object_set_new(run, "has_actions", json_boolean(json_array_size(acts) > 0));
	}
	json_decref(held);
	json_decref(owners);
	if (have_ctx)
		release_ctx(&x);
	return runs;
}

/* Seconds until the next timer is due (by the database clock), capped. */
static double next_due(PGconn *c)
{
	/* A failed timer waits for a person; one that failed once, for its
	 * retry_at. */
	PGresult *r = PQexec(c, "SELECT extract(epoch FROM least("
				"  (SELECT min(fire_at) FROM timer WHERE fired_at IS NULL "
				"   AND failed_at IS NULL AND retry_at IS NULL), "
				"  (SELECT min(retry_at) FROM timer WHERE fired_at IS NULL "
				"   AND failed_at IS NULL AND retry_at IS NOT NULL)) - sokuho_now())");
	double s = 3600;
	if (db_ok(r) && PQntuples(r) == 1 && !PQgetisnull(r, 0, 0))
		s = atof(PQgetvalue(r, 0, 0));
	PQclear(r);
	return s;
}

/* Sleeps seconds, or less when a byte arrives on wake_fd: returns 1 then. */
int engine_loop(struct engine *e, const char *conninfo, volatile int *stop, int wake_fd)
{
	PGconn *c = NULL;
	/* Lost the database: reconnect with capped, jittered backoff (0.25 s
	 * doubling to 2 s, +-25 %), LISTEN again, catch up. A try every 2 s
	 * costs the database nothing, and a due timer must not wait out a long
	 * nap once the database is back (no NOTIFY reaches a closed socket). */
	struct db_outage down = {"engine_db_lost", "engine_db_back", 0.25, 2, 0, {0, 0},
				 LIVENESS_ENGINE};
	while (!*stop) {
		char err[512] = "";
		if (!c) {
			c = db_connect_as(conninfo, "sokuho engine", err, sizeof err);
			if (c)
				PQclear(PQexec(c, "LISTEN sokuho_wake"));
		}
		int n = 0;
		int pid = c ? PQbackendPID(c) : 0;
		if (c)
			/* a long catch-up is alive, and a batch applied ends an
			 * outage (/healthz) */
			while (!*stop && (n = engine_tick(e, c, 200)) > 0)
				db_outage_over(&down);
		/* The audit log is sealed by a thread of its own (wf/service.c,
		 * audit_sealer_loop), not here: a long catch-up must not hold
		 * sealing up. */
		/* The transaction runner may have reset the connection: a new
		 * session listens to nothing yet. */
		if (c && PQstatus(c) == CONNECTION_OK && PQbackendPID(c) != pid)
			PQclear(PQexec(c, "LISTEN sokuho_wake"));
		if (!c || PQstatus(c) != CONNECTION_OK) {
			double d = db_outage_lost(&down, c, err);
			c = NULL;
			if (db_nap(d, wake_fd))
				break;
			continue;
		}
		db_outage_over(&down);
		if (n < 0) {
			/* Do not spin on a timer that cannot be applied. */
			if (db_nap(1, wake_fd))
				break;
			continue;
		}
		double wait = next_due(c);
		if (wait <= 0)
			continue;
		/* Look again every LIVENESS_BEAT_S: the heartbeat /healthz judges,
		 * and a database that went away without closing the socket. */
		if (db_wait(c, wait < LIVENESS_BEAT_S ? wait : LIVENESS_BEAT_S, wake_fd))
			break;
	}
	if (c)
		PQfinish(c);
	return 0;
}
