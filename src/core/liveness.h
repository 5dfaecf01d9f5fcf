/* Liveness of this process's long-lived loops (the engine threads, the mail
 * sender), for /healthz: each loop says when it has lost its database and
 * when it works again (a heartbeat). Only the parts this process runs are
 * judged, so a `serve` without an engine or mailer says nothing about them.
 * Thread-safe: every function may be called from any thread. */
#ifndef SOKUHO_LIVENESS_H
#define SOKUHO_LIVENESS_H

enum liveness_part {
	LIVENESS_NONE, /* a loop /healthz does not judge */
	LIVENESS_ENGINE,
	LIVENESS_MAILER,
	LIVENESS_PARTS
};

/* A watched loop beats at least this often while it works (it waits no
 * longer than this between two looks at the database) ... */
#define LIVENESS_BEAT_S 2.0
/* ... and counts as stuck when its last beat is older than this. */
#define LIVENESS_STALE_S 10.0

/* This process runs part from now on: /healthz judges it, starting from a
 * fresh heartbeat. Call once per loop started (several engine threads: once
 * each); liveness_unwatch when that loop has ended. */
void liveness_watch(enum liveness_part part);
void liveness_unwatch(enum liveness_part part);

/* One loop of part has lost its database (one call per outage, matched by
 * one liveness_back when it ends). */
void liveness_lost(enum liveness_part part);
void liveness_back(enum liveness_part part);
/* One loop of part works: its database answered just now. */
void liveness_beat(enum liveness_part part);

/* The name of the first watched part that is failing ("engine", "mailer"),
 * or NULL when none is: a loop of it has lost its database, or (the engine
 * only: mail waits on the SMTP server, which may be slow for longer) no
 * loop of it has beaten for LIVENESS_STALE_S. The string is static. */
const char *liveness_failing(void);

/* What /metrics shows of part in this process: loops running, of which in
 * an outage; seconds since its last beat; outages that ended in a
 * reconnection since the start. */
struct liveness_state {
	int watched, lost;
	double age_s;
	unsigned long reconnections;
};
void liveness_get(enum liveness_part part, struct liveness_state *out);
/* "engine", "mailer" ("" for LIVENESS_NONE): a static string. */
const char *liveness_part_name(enum liveness_part part);

#endif
