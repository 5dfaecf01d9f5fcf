/* Engine threads (see service.h). A pipe wakes the threads to stop, so none
 * of them ever polls a flag in a loop. */
#include "service.h"

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include "core/log.h"
#include "core/xalloc.h"
#include "engine.h"

struct engine_service {
	struct engine *e;
	char *conninfo;
	int n;
	pthread_t *threads;
	int pipe[2];
	volatile int stop;
};

static void *thread_main(void *arg)
{
	struct engine_service *s = arg;
	engine_loop(s->e, s->conninfo, &s->stop, s->pipe[0]);
	return NULL;
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
	close(s->pipe[0]);
	close(s->pipe[1]);
	free(s->threads);
	free(s->conninfo);
	free(s);
}

int engine_service_run(struct engine *e, const char *conninfo, int n)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	struct engine_service *s = engine_service_start(e, conninfo, n < 1 ? 1 : n);
	int sig;
	while (sigwait(&set, &sig) != 0)
		;
	log_event(LOG_INFO, "engine_stopping", "signal=%s", sig == SIGTERM ? "SIGTERM" : "SIGINT");
	engine_service_stop(s);
	return 0;
}
