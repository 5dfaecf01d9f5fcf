/* The liveness registry (see liveness.h): a few counters and a heartbeat per
 * part under one mutex; /healthz reads it at most a few times a second. */
#include "liveness.h"

#include <pthread.h>
#include <time.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static struct {
	int watched; /* loops of this part running */
	int lost;    /* of which in an outage */
	double beat; /* monotonic seconds of the last beat */
	unsigned long reconnections;
} parts[LIVENESS_PARTS];

/* Only the engine is judged by its heartbeat (see liveness_failing). */
static const int judge_beat[LIVENESS_PARTS] = {0, 1, 0};
static const char *const names[LIVENESS_PARTS] = {"", "engine", "mailer"};

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int valid(enum liveness_part p)
{
	return p > LIVENESS_NONE && p < LIVENESS_PARTS;
}

void liveness_watch(enum liveness_part p)
{
	if (!valid(p))
		return;
	pthread_mutex_lock(&mu);
	parts[p].watched++;
	parts[p].beat = now_s();
	pthread_mutex_unlock(&mu);
}

void liveness_unwatch(enum liveness_part p)
{
	if (!valid(p))
		return;
	pthread_mutex_lock(&mu);
	if (parts[p].watched > 0)
		parts[p].watched--;
	pthread_mutex_unlock(&mu);
}

void liveness_lost(enum liveness_part p)
{
	if (!valid(p))
		return;
	pthread_mutex_lock(&mu);
	parts[p].lost++;
	pthread_mutex_unlock(&mu);
}

void liveness_back(enum liveness_part p)
{
	if (!valid(p))
		return;
	pthread_mutex_lock(&mu);
	if (parts[p].lost > 0) {
		parts[p].lost--;
		parts[p].reconnections++;
	}
	parts[p].beat = now_s();
	pthread_mutex_unlock(&mu);
}

void liveness_beat(enum liveness_part p)
{
	if (!valid(p))
		return;
	pthread_mutex_lock(&mu);
	parts[p].beat = now_s();
	pthread_mutex_unlock(&mu);
}

const char *liveness_failing(void)
{
	const char *failing = NULL;
	double now = now_s();
	pthread_mutex_lock(&mu);
	for (int p = LIVENESS_NONE + 1; p < LIVENESS_PARTS && !failing; p++)
		if (parts[p].watched > 0 &&
		    (parts[p].lost > 0 || (judge_beat[p] && now - parts[p].beat > LIVENESS_STALE_S)))
			failing = names[p];
	pthread_mutex_unlock(&mu);
	return failing;
}

void liveness_get(enum liveness_part p, struct liveness_state *out)
{
	*out = (struct liveness_state){0, 0, 0, 0};
	if (!valid(p))
		return;
	double now = now_s();
	pthread_mutex_lock(&mu);
	out->watched = parts[p].watched;
	out->lost = parts[p].lost;
	out->age_s = now - parts[p].beat;
	out->reconnections = parts[p].reconnections;
	pthread_mutex_unlock(&mu);
}

const char *liveness_part_name(enum liveness_part p)
{
	return valid(p) ? names[p] : "";
}
