/* The operating figures of the workflow engine and the mail sender, read
 * at scrape time for /metrics: open runs by workflow and state, overdue
 * steps, due and failed timers, the engine's lag, the outbox. */
#ifndef SOKUHO_WF_FIGURES_H
#define SOKUHO_WF_FIGURES_H

#include <libpq-fe.h>
#include <stddef.h>

struct wf_open_runs {
	char *workflow, *state; /* owned by the figures */
	long long count;
};

struct wf_figures {
	struct wf_open_runs *open; /* by workflow then state */
	size_t nopen;
	long long steps_overdue; /* deadlines of open steps passed unmet */
	long long timers_due;    /* due, not fired, not failed */
	double engine_lag_s;     /* since the oldest of those was due; 0 when none */
	long long timers_failed; /* waiting for a retry */
	long long outbox_queued, outbox_sent, outbox_dead;
	double mail_latency_s;  /* mean queue-to-sent of the last hour; 0 when none */
	long long mail_sent_hour;
};

/* Reads the figures on c into f (wf_figures_free after a success). Returns
 * 0, or -1 when a query failed (f then holds nothing to free). */
int wf_figures_read(PGconn *c, struct wf_figures *f);
void wf_figures_free(struct wf_figures *f);

#endif
