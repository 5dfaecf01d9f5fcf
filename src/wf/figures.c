#include "figures.h"

#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"
#include "db/db.h"

int wf_figures_read(PGconn *c, struct wf_figures *f)
{
	memset(f, 0, sizeof *f);
	PGresult *r = PQexec(c, "SELECT d.name AS workflow, r.state, count(*) AS n "
				"FROM workflow_run r JOIN workflow_def d ON d.id = r.def_id "
				"WHERE r.finished_at IS NULL "
				"GROUP BY d.name, r.state ORDER BY d.name, r.state");
	if (!db_ok(r)) {
		PQclear(r);
		return -1;
	}
	int cw = PQfnumber(r, "workflow"), cs = PQfnumber(r, "state"), cn = PQfnumber(r, "n");
	f->nopen = (size_t)PQntuples(r);
	f->open = f->nopen ? xcalloc(f->nopen, sizeof *f->open) : NULL;
	for (size_t i = 0; i < f->nopen; i++) {
		f->open[i].workflow = xstrdup(PQgetvalue(r, (int)i, cw));
		f->open[i].state = xstrdup(PQgetvalue(r, (int)i, cs));
		f->open[i].count = strtoll(PQgetvalue(r, (int)i, cn), NULL, 10);
	}
	PQclear(r);

	r = PQexec(c,
		   "SELECT (SELECT count(*) FROM workflow_deadline w JOIN workflow_run r "
		   "  ON r.id = w.run_id AND r.fence = w.fence WHERE w.met_at IS NULL "
		   "  AND r.finished_at IS NULL AND w.due_at < sokuho_now()) AS steps_overdue, "
		   " (SELECT count(*) FROM timer WHERE fired_at IS NULL AND failed_at IS NULL "
		   "  AND fire_at <= sokuho_now()) AS timers_due, "
		   " (SELECT coalesce(extract(epoch FROM sokuho_now() - min(fire_at)), 0) FROM timer "
		   "  WHERE fired_at IS NULL AND failed_at IS NULL AND fire_at <= sokuho_now()) "
		   "  AS engine_lag, "
		   " (SELECT count(*) FROM timer WHERE fired_at IS NULL AND failed_at IS NOT NULL) "
		   "  AS timers_failed, "
		   " (SELECT count(*) FILTER (WHERE status = 'queued') FROM outbox) AS queued, "
		   " (SELECT count(*) FILTER (WHERE status = 'sent') FROM outbox) AS sent, "
		   " (SELECT count(*) FILTER (WHERE status = 'dead') FROM outbox) AS dead, "
		   " (SELECT coalesce(avg(extract(epoch FROM sent_at - created_at)), 0) FROM outbox "
		   "  WHERE status = 'sent' AND sent_at > sokuho_now() - interval '1 hour') "
		   "  AS latency, "
		   " (SELECT count(*) FROM outbox "
		   "  WHERE status = 'sent' AND sent_at > sokuho_now() - interval '1 hour') "
		   "  AS sent_hour");
	if (!db_ok(r) || PQntuples(r) != 1) {
		PQclear(r);
		wf_figures_free(f);
		return -1;
	}
	f->steps_overdue = db_first_ll(r, "steps_overdue");
	f->timers_due = db_first_ll(r, "timers_due");
	f->engine_lag_s = db_first_double(r, "engine_lag");
	f->timers_failed = db_first_ll(r, "timers_failed");
	f->outbox_queued = db_first_ll(r, "queued");
	f->outbox_sent = db_first_ll(r, "sent");
	f->outbox_dead = db_first_ll(r, "dead");
	f->mail_latency_s = db_first_double(r, "latency");
	f->mail_sent_hour = db_first_ll(r, "sent_hour");
	PQclear(r);
	return 0;
}

void wf_figures_free(struct wf_figures *f)
{
	for (size_t i = 0; i < f->nopen; i++) {
		free(f->open[i].workflow);
		free(f->open[i].state);
	}
	free(f->open);
	memset(f, 0, sizeof *f);
}
