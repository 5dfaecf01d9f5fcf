/* The application: what every request handler can reach. One instance per
 * process, built by `sokuho serve` and read-only while serving. */
#ifndef SOKUHO_APP_H
#define SOKUHO_APP_H

#include <stddef.h>

#include "core/config.h"
#include "http/http.h"

struct tmpl_set;
struct db_pool;
struct legal_rules;
struct engine;
struct i18n;
struct dash_cache;

struct app {
	const struct config *cfg;
	struct tmpl_set *tmpl;
	struct db_pool *db;
	struct legal_rules *legal; /* workflows/legal-clocks.json */
	struct engine *engine;     /* the workflow engine (definitions cache) */
	struct i18n *i18n;         /* templates/i18n/labels.json: the pages' labels */
	struct dash_cache *dash;   /* the dashboard's trends (web/dashboard.c), or NULL */
};

/* The route table (web/routes.c). */
extern const struct route web_routes[];
extern const size_t web_nroutes;

#endif
