/* `sokuho timer list` prints the failed timers; `sokuho timer retry ID`
 * makes one due again (engine_timer_retry, audited as done from the command
 * line). */
#include "timer.h"

#include <errno.h>
#include <jansson.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/options.h"
#include "core/xalloc.h"
#include "db/db.h"
#include "wf/engine.h"

#define USAGE "usage: sokuho timer list | sokuho timer retry ID\n"

static const char *field(const json_t *row, const char *k)
{
	const char *v = json_string_value(json_object_get(row, k));
	return v ? v : "";
}

static int timer_list(PGconn *c)
{
	json_t *rows = engine_failed_timers(c, 1000);
	if (!rows) {
		fprintf(stderr, "sokuho: unable to read the failed timers: %s", PQerrorMessage(c));
		return 1;
	}
	size_t i;
	json_t *row;
	json_array_foreach(rows, i, row) {
		/* the error on a line of its own: it may be long */
		printf("%s\t%s\t%s\t%s\t%s\tattempts %s\tfailed %s\n\t%s\n", field(row, "id"),
		       field(row, "ref"), field(row, "workflow"), field(row, "state"),
		       field(row, "kind"), field(row, "attempts"), field(row, "failed_at"),
		       field(row, "last_error"));
	}
	printf("%zu failed timer%s\n", json_array_size(rows), json_array_size(rows) == 1 ? "" : "s");
	json_decref(rows);
	return 0;
}

static int timer_retry(PGconn *c, long long id)
{
	char err[512];
	int rc = engine_timer_retry(c, id, 0, err, sizeof err);
	if (rc < 0) {
		fprintf(stderr, "sokuho: unable to retry timer %lld: %s\n", id, err);
		return 1;
	}
	if (rc == 0) {
		fprintf(stderr,
			"sokuho: timer %lld has not failed: there is no such timer, or it has "
			"fired or been cancelled ('sokuho timer list' shows the failed ones)\n",
			id);
		return 1;
	}
	printf("timer %lld is due again: the engine applies it at its next tick\n", id);
	return 0;
}

int cmd_timer(struct config *cfg, int argc, char **argv)
{
	char **pos = xcalloc((size_t)argc + 1, sizeof *pos);
	int npos, rc = options_parse(cfg, argc, argv, pos, &npos, NULL, NULL);
	int status = 2;
	long long id = 0;
	if (rc == 1) {
		printf(USAGE "\nlist: the timers the engine marked failed after five failed attempts,\n"
			     "with the cause of the last one.\n"
			     "retry: makes failed timer ID due again with a fresh count of attempts,\n"
			     "once its cause is fixed; audited as workflow.timer_retried.\n");
		status = 0;
		goto out;
	}
	int list = rc == 0 && npos == 1 && strcmp(pos[0], "list") == 0;
	int retry = rc == 0 && npos == 2 && strcmp(pos[0], "retry") == 0;
	if (retry) {
		char *end;
		errno = 0;
		id = strtoll(pos[1], &end, 10);
		if (errno || *end || end == pos[1] || id <= 0) {
			fprintf(stderr, "sokuho: '%s' is not a timer id (a positive whole number)\n",
				pos[1]);
			goto out;
		}
	}
	if (!list && !retry) {
		if (rc == 0)
			fputs(USAGE, stderr);
		goto out;
	}
	char err[1024];
	PGconn *c = db_connect(cfg->database_url, err, sizeof err);
	if (!c) {
		fprintf(stderr, "sokuho: %s\n", err);
		status = 1;
		goto out;
	}
	status = list ? timer_list(c) : timer_retry(c, id);
	PQfinish(c);
out:
	free(pos);
	return status;
}
