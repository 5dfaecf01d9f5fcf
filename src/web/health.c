/* Operations endpoints: GET /healthz (can this process do its work: its
 * database answers and takes writes, and its engine and mail sender have
 * not lost theirs)
 * and GET /metrics (Prometheus text format 0.0.4).
 *
 * /healthz is public, so that a load balancer can reach it, and names only the
 * failing part. /metrics tells how many incidents are open and in which
 * state, so it is off unless metrics_token is set, and then answers only a
 * request with that bearer token (Prometheus: authorization.credentials). */
#include <libpq-fe.h>
#include <sodium.h>
#include <string.h>

#include "app.h"
#include "core/liveness.h"
#include "db/db.h"
#include "db/seal.h"
#include "http/metrics.h"
#include "web.h"
#include "wf/figures.h"

/* 503 names the failing part only (database, engine, mailer): the endpoint
 * is public, so no figures and no error text. The web pool's own database
 * first, as the likely cause of the others. */
int web_healthz(struct request *req)
{
	int ok = 0;
	/* A connection that reached a read-only server (a standby, a primary
	 * fenced during a failover) is replaced, once: a multi-host URL finds
	 * the new primary; a server that cannot take a report is failing. */
	for (int attempt = 0; attempt < 2; attempt++) {
		PGconn *c = db_pool_get(req->app->db);
		if (!c)
			break;
		ok = db_ping(c);
		if (ok >= 0) {
			db_pool_put(req->app->db, c);
			break;
		}
		db_pool_discard(req->app->db, c);
		ok = 0;
	}
	const char *failing = ok ? liveness_failing() : "database";
	if (!failing)
		return http_json(req, 200, json_pack("{s:s}", "status", "ok"));
	return http_json(req, 503, json_pack("{s:s,s:s}", "status", "error", "failing", failing));
}

static void head(buf *out, const char *name, const char *type, const char *help)
{
	buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void scalar(buf *out, const char *name, const char *type, const char *help, double v)
{
	head(out, name, type, help);
	buf_printf(out, "%s ", name);
	metrics_value(out, v);
	buf_putc(out, '\n');
}

/* The database part of /metrics, read at scrape time. Returns -1 when a
 * query fails (the caller then reports the database as down). */
static int render_db(PGconn *c, buf *out)
{
	struct wf_figures f;
	if (wf_figures_read(c, &f) < 0)
		return -1;
	head(out, "sokuho_incidents_open", "gauge",
	     "Open workflow runs, by workflow and current state.");
	for (size_t i = 0; i < f.nopen; i++) {
		buf_puts(out, "sokuho_incidents_open{workflow=\"");
		metrics_label_escape(out, f.open[i].workflow);
		buf_puts(out, "\",state=\"");
		metrics_label_escape(out, f.open[i].state);
		buf_printf(out, "\"} %lld\n", f.open[i].count);
	}
	scalar(out, "sokuho_steps_overdue", "gauge",
	       "Deadlines of open workflow steps that have passed unmet.", (double)f.steps_overdue);
	scalar(out, "sokuho_timers_due", "gauge",
	       "Workflow timers due and not yet fired (failed ones not counted).",
	       (double)f.timers_due);
	scalar(out, "sokuho_engine_lag_seconds", "gauge",
	       "Seconds since the oldest due, unfired timer was due (0 when none; failed "
	       "timers not counted).",
	       f.engine_lag_s);
	scalar(out, "sokuho_timers_failed", "gauge",
	       "Workflow timers marked failed after repeated errors, waiting for a retry "
	       "(the dashboard, or sokuho timer retry ID).",
	       (double)f.timers_failed);
	head(out, "sokuho_outbox", "gauge", "Notification outbox rows, by status.");
	buf_printf(out, "sokuho_outbox{status=\"queued\"} %lld\n", f.outbox_queued);
	buf_printf(out, "sokuho_outbox{status=\"sent\"} %lld\n", f.outbox_sent);
	buf_printf(out, "sokuho_outbox{status=\"dead\"} %lld\n", f.outbox_dead);
	scalar(out, "sokuho_mail_send_latency_seconds", "gauge",
	       "Average seconds from queueing to sending of the mail sent in the last hour "
	       "(0 when none).",
	       f.mail_latency_s);
	scalar(out, "sokuho_mail_sent_last_hour", "gauge", "Mail sent in the last hour.",
	       (double)f.mail_sent_hour);
	wf_figures_free(&f);
	long long pending;
	double lag;
	if (audit_seal_lag_read(c, &pending, &lag) < 0)
		return -1;
	scalar(out, "sokuho_audit_pending", "gauge",
	       "Audit events committed and not yet chained by the sealer.", (double)pending);
	scalar(out, "sokuho_audit_seal_lag_seconds", "gauge",
	       "Seconds since the oldest audit event not yet chained was written (0 when none).",
	       lag);
	return 0;
}

/* The loops of this process (those it runs only), from the liveness
 * registry: how /healthz judges them, in figures. */
static void render_liveness(buf *out)
{
	struct liveness_state st[LIVENESS_PARTS];
	int any = 0;
	for (int p = LIVENESS_NONE + 1; p < LIVENESS_PARTS; p++) {
		liveness_get((enum liveness_part)p, &st[p]);
		any |= st[p].watched > 0;
	}
	if (!any)
		return;
	static const struct {
		const char *name, *type, *help;
	} fam[] = {
		{"sokuho_loop_heartbeat_age_seconds", "gauge",
		 "Seconds since a loop of this process (engine threads, mail sender) last found "
		 "the database answering."},
		{"sokuho_loop_db_lost", "gauge",
		 "Loops of this process that have lost the database now."},
		{"sokuho_db_reconnections_total", "counter",
		 "Database outages of this process's loops that ended in a reconnection."},
	};
	for (size_t f = 0; f < sizeof fam / sizeof fam[0]; f++) {
		head(out, fam[f].name, fam[f].type, fam[f].help);
		for (int p = LIVENESS_NONE + 1; p < LIVENESS_PARTS; p++) {
			if (!st[p].watched)
				continue;
			buf_printf(out, "%s{part=\"%s\"} ", fam[f].name,
				   liveness_part_name((enum liveness_part)p));
			if (f == 0)
				metrics_value(out, st[p].age_s);
			else if (f == 1)
				buf_printf(out, "%d", st[p].lost);
			else
				buf_printf(out, "%lu", st[p].reconnections);
			buf_putc(out, '\n');
		}
	}
}

/* GET /metrics: public (see the top of this file). */
/* Whether the request carries "Authorization: Bearer TOKEN" for token,
 * compared in constant time (on hashes, so the length does not show). */
static int bearer_ok(struct request *req, const char *token)
{
	const char *h = http_header(req, "Authorization");
	if (!h || strncmp(h, "Bearer ", 7) != 0)
		return 0;
	unsigned char a[crypto_generichash_BYTES], b[crypto_generichash_BYTES];
	crypto_generichash(a, sizeof a, (const unsigned char *)h + 7, strlen(h + 7), NULL, 0);
	crypto_generichash(b, sizeof b, (const unsigned char *)token, strlen(token), NULL, 0);
	return sodium_memcmp(a, b, sizeof a) == 0;
}

int web_metrics(struct request *req)
{
	/* Off unless a token is configured: the figures (how many leak reports
	 * are in progress, say) are not for everyone who can reach the site. */
	const char *token = req->app->cfg->metrics_token;
	if (!token || !token[0])
		return http_error(req, 404);
	if (!bearer_ok(req, token))
		return http_respond(req, 401, "text/plain; charset=utf-8", "unauthorized\n", 13);
	buf out = BUF_INIT;
	metrics_render_http(&out);
	buf db = BUF_INIT;
	int up = 0;
	PGconn *c = db_pool_get(req->app->db);
	if (c) {
		up = render_db(c, &db) == 0;
		db_pool_put(req->app->db, c);
	}
	head(&out, "sokuho_database_up", "gauge",
	     "Whether the database answered the queries of this scrape.");
	buf_printf(&out, "sokuho_database_up %d\n", up);
	render_liveness(&out);
	if (up && db.len)
		buf_append(&out, db.data, db.len);
	buf_release(&db);
	int rc = http_respond(req, 200, "text/plain; version=0.0.4; charset=utf-8",
			      buf_cstr(&out), out.len);
	buf_release(&out);
	return rc;
}
