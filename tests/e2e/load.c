/* Reports filed under load while the database breaks (see load.h). */
#include "load.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "core/xalloc.h"

static double mono(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

double load_now(const struct load *l)
{
	return mono() - l->t0;
}

struct load_arg {
	struct load *l;
	struct load_client *cl;
};

static void *client_run(void *arg)
{
	struct load_arg *a = arg;
	struct load_client *cl = a->cl;
	for (int n = 0; !*cl->stop && cl->nevents < LOAD_MAX_EVENTS; n++) {
		char summary[64];
		snprintf(summary, sizeof summary, "%s-%d-%d", cl->tag, cl->k, n);
		struct resp r;
		double sent = load_now(a->l);
		if (cl->form) {
			const char *fields[] = {"csrf", cl->csrf, "summary", summary, "description",
						"復旧試験", "discovered_at", "2026-11-20T09:30",
						"category", "loss_theft", "site", "honchosha",
						"section", "zeimu", "segments", "lgwan",
						"pd_involved", "no", NULL};
			client_multipart(cl->port, "/report", cl->cookie, fields, NULL, NULL, 0, &r);
		} else {
			char hdr[128], body[512];
			snprintf(hdr, sizeof hdr, "X-CSRF-Token: %s", cl->csrf);
			snprintf(body, sizeof body,
				 "{\"summary\": \"%s\", \"discovered_at\": "
				 "\"2026-11-24T10:00:00+09:00\", \"category\": \"loss_theft\", "
				 "\"site\": \"honchosha\", \"section\": \"zeimu\", "
				 "\"personal_data\": {\"involved\": \"no\"}}",
				 summary);
			client_json(cl->port, "POST", "/api/v1/incidents", cl->cookie, hdr, body, &r);
		}
		long st = r.status;
		resp_release(&r);
		cl->ev[cl->nevents].sent = sent;
		cl->ev[cl->nevents].t = load_now(a->l);
		cl->ev[cl->nevents].status = st;
		cl->nevents++;
		if (st == 201 || st == 303)
			cl->acked[cl->nacked++] = xstrdup(summary);
		usleep(20 * 1000);
	}
	free(a);
	return NULL;
}

void load_start(struct load *l, int port, const char *tag)
{
	memset(l, 0, sizeof *l);
	l->t0 = mono();
	for (int i = 0; i < LOAD_CLIENTS; i++) {
		struct load_client *cl = &l->cl[i];
		cl->k = i;
		cl->form = i >= 6;
		cl->port = port;
		cl->stop = &l->stop;
		snprintf(cl->tag, sizeof cl->tag, "%s", tag);
		cl->cookie = client_sign_in_demo(port, "sakai.haruto");
		cl->csrf = client_page_csrf(port, cl->form ? "/report" : "/my/reports", cl->cookie);
	}
	for (int i = 0; i < LOAD_CLIENTS; i++) {
		struct load_arg *a = xmalloc(sizeof *a);
		a->l = l;
		a->cl = &l->cl[i];
		ck_assert(pthread_create(&l->th[i], NULL, client_run, a) == 0);
	}
}

void load_mark(struct load *l, const char *label)
{
	if (l->nmarks >= LOAD_MAX_MARKS)
		return;
	l->mark[l->nmarks] = load_now(l);
	snprintf(l->label[l->nmarks], sizeof l->label[0], "%s", label);
	l->nmarks++;
}

void load_stop(struct load *l)
{
	l->stop = 1;
	for (int i = 0; i < LOAD_CLIENTS; i++)
		pthread_join(l->th[i], NULL);
}

void load_totals(const struct load *l, struct load_totals *t)
{
	memset(t, 0, sizeof *t);
	for (int i = 0; i < LOAD_CLIENTS; i++) {
		const struct load_client *cl = &l->cl[i];
		for (int j = 0; j < cl->nevents; j++) {
			long st = cl->ev[j].status;
			if (st == 201 || st == 303)
				t->acked++;
			else if (st == 503)
				t->n503++;
			else if (st == 500)
				t->n500++;
			else if (st == 0)
				t->nrefused++;
			else {
				t->nother++;
				t->other = st;
			}
		}
	}
}

void load_window(const struct load *l, int i, struct load_window *w)
{
	memset(w, 0, sizeof *w);
	w->first503 = w->firstok = w->last503 = -1;
	if (i < 0 || i >= l->nmarks)
		return;
	double from = l->mark[i], to = i + 1 < l->nmarks ? l->mark[i + 1] : 1e18;
	for (int c = 0; c < LOAD_CLIENTS; c++) {
		const struct load_client *cl = &l->cl[c];
		for (int j = 0; j < cl->nevents; j++) {
			double t = cl->ev[j].t;
			if (t < from || t >= to)
				continue;
			w->requests++;
			if (cl->ev[j].status == 503) {
				w->n503++;
				if (w->first503 < 0 || t - from < w->first503)
					w->first503 = t - from;
				if (t - from > w->last503)
					w->last503 = t - from;
			}
		}
	}
	/* the first success of a request sent after the first 503 (one in
	 * flight may still have made it before the fault) */
	for (int c = 0; c < LOAD_CLIENTS && w->first503 >= 0; c++) {
		const struct load_client *cl = &l->cl[c];
		for (int j = 0; j < cl->nevents; j++) {
			double t = cl->ev[j].t - from;
			long st = cl->ev[j].status;
			if (cl->ev[j].sent - from <= w->first503 || cl->ev[j].t >= to ||
			    (st != 201 && st != 303))
				continue;
			w->nok++;
			if (w->firstok < 0 || t < w->firstok)
				w->firstok = t;
		}
	}
}

int load_ok_after(const struct load *l, double t)
{
	int n = 0;
	for (int c = 0; c < LOAD_CLIENTS; c++)
		for (int j = 0; j < l->cl[c].nevents; j++)
			if (l->cl[c].ev[j].t > t &&
			    (l->cl[c].ev[j].status == 201 || l->cl[c].ev[j].status == 303))
				n++;
	return n;
}

void load_print(const struct load *l, const char *suite)
{
	for (int i = 0; i < l->nmarks; i++) {
		struct load_window w;
		load_window(l, i, &w);
		if (w.first503 < 0) {
			fprintf(stderr, "%s: %s: no 503 in %d requests\n", suite, l->label[i],
				w.requests);
			continue;
		}
		fprintf(stderr,
			"%s: %s: outage %.2f s (first 503 to first success sent after it; since the "
			"fault began: first 503 at %.2f s, that success at %.2f s, last 503 at %.2f s), "
			"%d of %d requests answered 503\n",
			suite, l->label[i], w.firstok >= 0 ? w.firstok - w.first503 : -1.0,
			w.first503, w.firstok, w.last503, w.n503, w.requests);
	}
}

void load_release(struct load *l)
{
	for (int i = 0; i < LOAD_CLIENTS; i++) {
		for (int j = 0; j < l->cl[i].nacked; j++)
			free(l->cl[i].acked[j]);
		l->cl[i].nacked = 0;
		free(l->cl[i].cookie);
		free(l->cl[i].csrf);
		l->cl[i].cookie = l->cl[i].csrf = NULL;
	}
}
