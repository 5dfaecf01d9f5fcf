/* Engine threads inside a process (`sokuho serve`), and the stand-alone
 * engine process (`sokuho worker`). */
#ifndef SOKUHO_ENGINE_SERVICE_H
#define SOKUHO_ENGINE_SERVICE_H

struct engine;
struct engine_service;
struct config;
struct tmpl_set;

/* Starts n engine threads (n may be 0), each with its own connection to
 * conninfo. Call it with SIGINT and SIGTERM blocked, so that the threads
 * never take them. Returns a handle (never NULL). */
struct engine_service *engine_service_start(struct engine *e, const char *conninfo, int n);
/* Adds the mail sender thread (when cfg names an SMTP server); cfg and tmpl
 * must outlive the service. */
void engine_service_add_mailer(struct engine_service *s, const struct config *cfg,
			       const struct tmpl_set *tmpl);
/* Stops the threads (each finishes its current batch) and frees the handle. */
void engine_service_stop(struct engine_service *s);

/* Runs cfg->engine_threads engine threads (at least one) and the mail
 * sender until SIGTERM or SIGINT, then stops them; for `sokuho worker`. */
int engine_service_run(struct engine *e, const struct config *cfg, const struct tmpl_set *tmpl);

#endif
