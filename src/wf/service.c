/* Engine threads (see service.h). A pipe wakes the threads to stop, so none
 * of them ever polls a flag in a loop. */
#include "service.h"

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include "core/liveness.h"
#include "core/log.h"
#include "core/xalloc.h"
#include "core/config.h"
#include "db/seal.h"
#include "engine.h"
#include "mail/mailer.h"

struct engine_service {
	struct engine *e;
	char *conninfo;
	int n;
	pthread_t *threads; /* n engine threads, then the mailer if any */
	int has_mailer;
	pthread_t mailer;
	int has_sealer;
	pthread_t sealer;
	const struct config *cfg;
	const struct tmpl_set *tmpl;
	int pipe[2];
	volatile int stop;
};

static void *thread_main(void *arg)
{
	struct engine_service *s = arg;
	liveness_watch(LIVENESS_ENGINE);
	engine_loop(s->e, s->conninfo, &s->stop, s->pipe[0]);
	liveness_unwatch(LIVENESS_ENGINE);
	return NULL;
}

/* The audit sealer: in every serve and worker, also a serve without engine
 * threads (one seals at a time across them all). */
static void *sealer_main(void *arg)
{
	struct engine_service *s = arg;
	audit_sealer_loop(s->conninfo, &s->stop, s->pipe[0]);
	return NULL;
}

/* The mail sender asks the engine who may acknowledge (mail sits below the
 * workflows and cannot call it itself). */
static int may_act(void *arg, PGconn *c, long long run_id, int fence, const char *action,
		   int person_id)
{
	return engine_may_act(arg, c, run_id, fence, action, person_id);
}

static void *mailer_main(void *arg)
{
	struct engine_service *s = arg;
	struct mailer_rule rule = {may_act, s->e};
	liveness_watch(LIVENESS_MAILER);
	mailer_loop(s->cfg, s->tmpl, &rule, &s->stop, s->pipe[0]);
	liveness_unwatch(LIVENESS_MAILER);
	return NULL;
}

void engine_service_add_mailer(struct engine_service *s, const struct config *cfg,
			       const struct tmpl_set *tmpl)
{
	if (!cfg->smtp_host[0]) {
		log_event(LOG_WARN, "mail_not_configured",
			  "note=\"no smtp_host: notifications stay queued on /admin/outbox\"");
		return;
	}
	s->cfg = cfg;
	s->tmpl = tmpl;
	if (pthread_create(&s->mailer, NULL, mailer_main, s) == 0)
		s->has_mailer = 1;
}

struct engine_service *engine_service_start(struct engine *e, const char *conninfo, int n)
{
	struct engine_service *s = xcalloc(1, sizeof *s);
	s->e = e;
	s->conninfo = xstrdup(conninfo);
	if (pipe(s->pipe) < 0)
		abort();
	s->threads = xcalloc((size_t)(n > 0 ? n : 1), sizeof *s->threads);
	for (int i = 0; i < n; i++)
		if (pthread_create(&s->threads[s->n], NULL, thread_main, s) == 0)
			s->n++;
	if (pthread_create(&s->sealer, NULL, sealer_main, s) == 0)
		s->has_sealer = 1;
	log_event(LOG_INFO, "engine_started", "threads=%d", s->n);
	return s;
}

void engine_service_stop(struct engine_service *s)
{
	if (!s)
		return;
	s->stop = 1;
	/* One byte wakes every thread: none of them reads it. */
	ssize_t w = write(s->pipe[1], "x", 1);
	(void)w;
	for (int i = 0; i < s->n; i++)
		pthread_join(s->threads[i], NULL);
	if (s->has_mailer)
		pthread_join(s->mailer, NULL);
	if (s->has_sealer)
		pthread_join(s->sealer, NULL);
	close(s->pipe[0]);
	close(s->pipe[1]);
	free(s->threads);
	free(s->conninfo);
	free(s);
}

int engine_service_run(struct engine *e, const struct config *cfg, const struct tmpl_set *tmpl)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	struct engine_service *s = engine_service_start(
		e, cfg->database_url, cfg->engine_threads < 1 ? 1 : cfg->engine_threads);
	engine_service_add_mailer(s, cfg, tmpl);
	int sig;
	while (sigwait(&set, &sig) != 0)
		;
	log_event(LOG_INFO, "engine_stopping", "signal=%s", sig == SIGTERM ? "SIGTERM" : "SIGINT");
	engine_service_stop(s);
	return 0;
}
