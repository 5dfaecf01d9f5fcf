/* The workflow engine: runs every incident through the state machines of
 * workflows/ (see wf/workflow.h). State lives in PostgreSQL: runs, timers,
 * deadlines and the notification outbox. Timers are claimed with FOR UPDATE
 * SKIP LOCKED and applied in the transaction that marks them fired, so any
 * number of engine processes may run; a transition bumps the run's fence, so
 * a timer made before it is stale and does nothing. All times come from the
 * database clock (sokuho_now()). */
#ifndef SOKUHO_ENGINE_H
#define SOKUHO_ENGINE_H

#include <jansson.h>
#include <libpq-fe.h>
#include <stdio.h>

#include "auth/authz.h"
#include "db/tx.h"

struct engine;

/* An engine with an empty cache of definitions. Thread-safe. */
struct engine *engine_new(void);
void engine_free(struct engine *e);

/* The city calendar the engine counts "clock": "office" durations on
 * (core/calendar.h): cal_setup of the configuration's office_hours and
 * calendar_file. Until it is called the engine uses the defaults (08:30-17:15,
 * the year-end closure, no extra days). Call before the engine threads
 * start. Returns 0, or -1 with a message in err (the defaults kept). */
int engine_set_calendar(struct engine *e, const char *office_hours, const char *file, char *err,
			size_t errlen);

/* The engine's calendar (as engine_set_calendar set it up), for others
 * that count office days the same way. Lives as long as the engine. */
struct calendar;
const struct calendar *engine_calendar(const struct engine *e);

struct wf_def;
/* The parsed definition of workflow_def id (cached; owned by the engine), or
 * NULL when there is none. Thread-safe. */
const struct wf_def *engine_def(struct engine *e, PGconn *conn, int def_id);

/* Stores the workflows of dir as immutable versions: a file whose name and
 * version are new is inserted; the same name, version and SHA-256 is already
 * there; the same name and version with other content is refused (give the
 * changed file a new version). Returns the number of versions added, or -1
 * with a message in err. Runs its own transaction. */
int engine_load_defs(PGconn *conn, const char *dir, FILE *progress, char *err, size_t errlen);

/* Inside the caller's transaction: starts, on the newest version of each
 * workflow the incident does not run yet, those that apply to its facts
 * (wf_should_start) and enters their initial states. Called when a report is
 * filed and again whenever its facts change, so a leak found later still
 * starts its legal workflow. Returns the number started or -1. */
int engine_start_incident(struct engine *e, PGconn *conn, long long incident_id);

/* Applies at most batch due timers in one transaction (db_run_tx), each
 * under its own savepoint: a timer that cannot be applied is rolled back
 * alone, its attempt counted with the cause in last_error, and it is tried
 * again after 10 s, 20 s, 40 s, 80 s; at the fifth failure it is marked
 * failed (failed_at) and left until engine_timer_retry. Returns how many
 * were claimed (applied, found stale or failed), or -1 when the database
 * failed the tick itself (logged as engine_tick_failed, with the cause). */
int engine_tick(struct engine *e, PGconn *conn, int batch);

/* Makes failed timer timer_id due again with a fresh count of attempts,
 * for when its cause has been fixed; audited as workflow.timer_retried
 * (actor_id 0: the command line) and wakes the engines. Runs its own
 * transaction. Returns 1, 0 when there is no such failed, unfired timer
 * (nothing changed), or -1 with the cause in err. */
int engine_timer_retry(PGconn *conn, long long timer_id, int actor_id, char *err, size_t errlen);

/* The failed timers (failed_at set, not fired), the most recent failure
 * first, at most limit: per timer id, ref (the incident's), workflow, state,
 * kind, attempts, failed_at (Japan time, YYYY-MM-DD HH24:MI) and last_error,
 * as strings. Caller owns the array (json_decref); NULL on a database error
 * (logged). Opens no transaction. Thread-safe. */
json_t *engine_failed_timers(PGconn *conn, int limit);

/* Every stored workflow version, by name then newest first: id, name,
 * version, sha256, title_ja, title_en, loaded (Japan time), runs and
 * open_runs (incidents on it), as strings. NULL on a database error. Caller
 * owns. */
json_t *engine_defs_list(PGconn *conn);

enum engine_act_result {
	ENGINE_ACT_OK = 0,
	ENGINE_ACT_INVALID = 1,   /* a field is wrong: see errors */
	ENGINE_ACT_CONFLICT = 2,  /* the run moved on since the page was shown */
	ENGINE_ACT_FORBIDDEN = 3, /* this person may not take this action */
	ENGINE_ACT_NOT_FOUND = 4, /* no such run or action in its state */
	ENGINE_ACT_BLOCKED = 5,   /* closing the incident while a legal report runs */
	ENGINE_ACT_ERROR = -1,
	ENGINE_ACT_UNAVAILABLE = -2, /* the database may be back later: answer 503 */
};

/* A person takes action on run run_id, which they saw at fence (-1: do not
 * check). fields are the form's values (strings); errors receives a message
 * per bad field (a catalog key with its args, action_err_*: tmpl/i18n.h). Runs its own transaction: the transition, its audit event,
 * the cancelled timers of the old state and the timers and notifications of
 * the new one. */
enum engine_act_result engine_act(struct engine *e, PGconn *conn, long long run_id, int fence,
				  const char *action, const json_t *fields, int actor_id,
				  const char *ip, json_t *errors);

/* engine_act's "acknowledge" from a mail's link: the same transaction also
 * marks the link (outbox row outbox_id) used, so that it works once; a link
 * used meanwhile (two clicks at once) is ENGINE_ACT_CONFLICT and changes
 * nothing. */
enum engine_act_result engine_act_link(struct engine *e, PGconn *c, long long run_id, int fence,
				       int actor_id, long long outbox_id);

/* Inside the caller's transaction (a legal submission's, incident/
 * submission.c): on the open run of incident_id whose state carries the
 * deadline key and offers an action with a field "submitted_at" (the
 * workflow's own "sent" step), takes that action as actor_id with fields,
 * as engine_act would. *res is ENGINE_ACT_NOT_FOUND when no run offers one
 * (nothing done), else the action's result; action (size actlen) receives
 * its name. Returns < 0 with dbe filled on a database error, else >= 0. */
enum db_qs engine_act_deadline_tx(struct engine *e, PGconn *c, long long incident_id,
				  const char *key, const json_t *fields, int actor_id,
				  json_t *errors, enum engine_act_result *res, char *action,
				  size_t actlen, struct db_err *dbe);

/* Whether actor_id may take action on run run_id now: the run is open and at
 * fence (-1: any), its state offers the action, and the actor holds one of
 * the action's roles ("by") over the incident. The one rule engine_act
 * enforces and the incident page shows, asked also by the mail sender before
 * it puts an acknowledge link in a mail. Returns 1 or 0 (0 also when the
 * database cannot say), or -1 when the run cannot be read. Opens no
 * transaction. Thread-safe. */
int engine_may_act(struct engine *e, PGconn *conn, long long run_id, int fence, const char *action,
		   int actor_id);

/* The workflows incident_id runs, for its page: per run the workflow and
 * state titles, owner, deadlines with time left, escalation level, the
 * actions actor_id may take (with their fields) and the history. Caller
 * owns the array. */
json_t *engine_runs_json(struct engine *e, PGconn *conn, long long incident_id, int actor_id);

/* Runs the engine until *stop becomes non-zero or a byte arrives on
 * wake_fd (may be -1): drains due timers, then sleeps until the next due
 * time or a NOTIFY sokuho_wake. Never busy-polls. Returns 0. */
int engine_loop(struct engine *e, const char *conninfo, volatile int *stop, int wake_fd);

#endif
