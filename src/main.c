/* sokuho: one binary, subcommands dispatched from a table. Configuration is
 * read the same way for every subcommand: defaults, --config FILE (or
 * SOKUHO_CONFIG), environment variables, then --key VALUE options. */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "cli/audit.h"
#include "cli/calendar.h"
#include "cli/mail_intake.h"
#include "cli/timer.h"
#include "cli/user.h"
#include "core/config.h"
#include "core/file.h"
#include "core/options.h"
#include "core/log.h"
#include "core/xalloc.h"
#include "db/audit.h"
#include "db/db.h"
#include "db/migrate.h"
#include "http/server.h"
#include "tmpl/i18n.h"
#include "tmpl/mustache.h"
#include "tmpl/templates.h"
#include "wf/engine.h"
#include "web/web.h"
#include "wf/legal.h"
#include "wf/service.h"
#include "wf/workflow.h"
#include "wf/drill.h"

#define SOKUHO_VERSION "0.1.0"

struct cmd {
	const char *name;
	int (*run)(struct config *cfg, int argc, char **argv);
	const char *usage;
	const char *summary;
	const char *help;
};

static int cmd_serve(struct config *cfg, int argc, char **argv);
static int cmd_migrate(struct config *cfg, int argc, char **argv);
static int cmd_render(struct config *cfg, int argc, char **argv);
static int cmd_version(struct config *cfg, int argc, char **argv);
static int cmd_worker(struct config *cfg, int argc, char **argv);
static int cmd_workflow(struct config *cfg, int argc, char **argv);
static int cmd_drill(struct config *cfg, int argc, char **argv);

static const struct cmd commands[] = {
	{"serve", cmd_serve, "sokuho serve [--listen HOST:PORT] [--KEY VALUE ...]",
	 "run the web server",
	 "Serves the web pages and the API until SIGTERM or SIGINT; in-flight requests\n"
	 "finish before it exits. The database schema must be up to date (sokuho migrate).\n"
	 "A database that is down or starting is waited for (db_start_wait)."},
	{"migrate", cmd_migrate,
	 "sokuho migrate [--wait SECONDS] [--sql_dir DIR] [--migrate_database_url URL]\n"
	 "                      [--database_url URL]",
	 "apply pending database migrations",
	 "Applies sql/NNNN_name.sql files not yet applied, in order, each in its own\n"
	 "transaction, under an advisory lock. Rerunning is a no-op. A changed, already\n"
	 "applied file is refused. Connects as the schema's owner (migrate_database_url,\n"
	 "else database_url) and then grants the application role sokuho_app what serve\n"
	 "and worker need: the audit log only to read and append.\n"
	 "--wait SECONDS: wait up to that long for a database that is down or starting\n"
	 "(default 0: fail at once)."},
	{"render", cmd_render, "sokuho render TEMPLATE DATA.json [--partials DIR]",
	 "render a Mustache template to standard output",
	 "TEMPLATE is a file, or the name of a template under templates_dir\n"
	 "(e.g. pages/home). Partials and layouts are looked up in DIR (default:\n"
	 "templates_dir)."},
	{"user", cmd_user,
	 "sokuho user add|import|role|passwd|activate|deactivate|list ... (sokuho user --help)",
	 "manage people, role assignments and passwords",
	 "  sokuho user add --login L --name NAME --email E [--section CODE]\n"
	 "                  [--kind staff|contractor] [--lang ja|en] [--password-stdin]\n"
	 "  sokuho user import FILE.csv [--partial]\n"
	 "  sokuho user role grant|revoke LOGIN ROLE [--scope city|department:CODE|\n"
	 "                  section:CODE|system:CODE] [--deputy N] [--from DATE] [--to DATE]\n"
	 "  sokuho user passwd LOGIN [--password-stdin]\n"
	 "  sokuho user deactivate|activate LOGIN\n"
	 "  sokuho user list"},
	{"demo", cmd_demo, "sokuho demo", "seed a demo city with sites, sections and accounts",
	 "Creates departments, sections, about 70 people with every role and deputy\n"
	 "filled, and prints the demo logins. For demonstration only: the password\n"
	 "are printed and publicly known. Does nothing if people already exist."},
	{"worker", cmd_worker, "sokuho worker [--engine_threads N]",
	 "run the workflow engine without the web server",
	 "Applies due timers (reminders, escalations, deadlines) until SIGTERM or SIGINT.\n"
	 "Any number of workers and servers may run against one database. A database\n"
	 "that is down or starting is waited for (db_start_wait)."},
	{"workflow", cmd_workflow, "sokuho workflow check FILE... | sokuho workflow load [DIR]",
	 "check workflow files, or store them as new versions",
	 "check: validates each file (unknown keys, unreachable states, dead ends,\n"
	 "unknown roles, bad durations and conditions ...), naming the file and the\n"
	 "JSON path; exit status 0 when all are good, 1 otherwise.\n"
	 "load: stores the workflows of DIR (default workflows_dir) as immutable\n"
	 "versions; running incidents keep the version they started on."},
	{"drill", cmd_drill, "sokuho drill check [FILE...]", "check drill scenarios (訓練)",
	 "check: validates each scenario file (default: every *.json of drills_dir),\n"
	 "naming the file and the JSON path of the first fault; exit status 0 when all\n"
	 "are good, 1 otherwise. The format: docs/drills.md."},
	{"audit", cmd_audit, AUDIT_CLI_USAGE,
	 "check the audit log's hash chain and signed checkpoints, make the signing key",
	 audit_cli_help},
	{"timer", cmd_timer, "sokuho timer list | sokuho timer retry ID",
	 "list failed workflow timers, or retry one",
	 "list: the timers the engine marked failed after five failed attempts, with\n"
	 "the cause of the last one. retry: makes failed timer ID due again, once its\n"
	 "cause is fixed; audited as workflow.timer_retried."},
	{"calendar", cmd_calendar,
	 "sokuho calendar holidays FIRST_YEAR [LAST_YEAR] | days FIRST LAST | check [FILE]",
	 "print national holidays and office days, check a city calendar",
	 "holidays: every national holiday (国民の祝日, 振替休日, 国民の休日 and the days\n"
	 "of other laws) of the years FIRST_YEAR to LAST_YEAR (2000-2099), one\n"
	 "'YYYY-MM-DD<TAB>name' line each.\n"
	 "days: each date FIRST to LAST (YYYY-MM-DD) as office or closed, and why, under\n"
	 "calendar_file and office_hours.\n"
	 "check: reads FILE (default calendar_file); exit 1 naming the first fault."},
	{"mail-intake", cmd_mail_intake, MAIL_INTAKE_USAGE,
	 "store a reported mail from standard input (an MTA's pipe)", mail_intake_help},
	{"version", cmd_version, "sokuho version", "print the version", ""},
};

#define NCOMMANDS (sizeof commands / sizeof commands[0])

static void print_usage(FILE *out)
{
	fprintf(out,
		"sokuho %s - security incident reporting and emergency response\n\n"
		"usage: sokuho [--config FILE] COMMAND [OPTIONS]\n\n"
		"commands:\n",
		SOKUHO_VERSION);
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(out, "\n'sokuho COMMAND --help' describes a command.\n"
		     "Every configuration key can also be given as an option, --KEY VALUE.\n\n");
	config_print_help(out);
}

static void print_cmd_help(const struct cmd *c);

static void print_cmd_help(const struct cmd *c)
{
	printf("usage: %s\n\n%s\n", c->usage, c->summary);
	if (c->help[0])
		printf("\n%s\n", c->help);
	printf("\nOptions common to all commands:\n"
	       "  --config FILE   read configuration from FILE (also SOKUHO_CONFIG)\n"
	       "  --KEY VALUE     set a configuration key (see 'sokuho --help')\n"
	       "  --help          show this help\n");
}

/* Loads workflows/ as definitions, starts the engine threads, serves, and
 * stops the engine after the server has let its requests finish. */
static int serve_with_engine(struct app *app, const struct config *cfg)
{
	char err[1024];
	wf_set_mail_templates_dir(cfg->templates_dir);
	PGconn *c = db_pool_get(app->db);
	int added = c ? engine_load_defs(c, cfg->workflows_dir, NULL, err, sizeof err) : -1;
	db_pool_put(app->db, c);
	if (added < 0) {
		fprintf(stderr, "sokuho: %s\n", c ? err : "unable to reach the database");
		return 1;
	}
	static struct audit_key key;
	if (audit_cli_start_sealer(cfg, &key) < 0)
		return 1;
	app->engine = engine_new();
	if (engine_set_calendar(app->engine, cfg->office_hours, cfg->calendar_file, err,
				sizeof err) < 0) {
		fprintf(stderr, "sokuho: %s\n", err);
		engine_free(app->engine);
		app->engine = NULL;
		return 1;
	}
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	struct engine_service *es =
		engine_service_start(app->engine, cfg->database_url, cfg->engine_threads);
	engine_service_add_mailer(es, cfg, app->tmpl);
	log_event(LOG_INFO, "starting", "version=%s templates=%zu workflows_added=%d",
		  SOKUHO_VERSION, tmpl_set_count(app->tmpl), added);
	app->dash = web_dashboard_cache_new();
	struct http_server srv = {.cfg = cfg,
				  .tmpl = app->tmpl,
				  .i18n = app->i18n,
				  .db = app->db,
				  .routes = web_routes,
				  .nroutes = web_nroutes,
				  .app = app};
	int rc = server_run(&srv) == 0 ? 0 : 1;
	engine_service_stop(es);
	audit_key_wipe(&key);
	engine_free(app->engine);
	web_dashboard_cache_free(app->dash);
	app->dash = NULL;
	return rc;
}

static int cmd_serve(struct config *cfg, int argc, char **argv)
{
	char **pos = xcalloc((size_t)argc + 1, sizeof *pos);
	int npos, rc = options_parse(cfg, argc, argv, pos, &npos, NULL, NULL);
	free(pos);
	if (rc != 0 || npos > 0) {
		if (rc == 1) {
			print_cmd_help(&commands[0]);
			return 0;
		}
		if (npos > 0)
			fprintf(stderr, "sokuho: serve takes no arguments (see 'sokuho serve --help')\n");
		return 2;
	}
	enum log_level lv;
	log_parse_level(cfg->log_level, &lv);
	log_set_level(lv);

	char err[1024];
	struct app app = {0};
	app.cfg = cfg;
	app.tmpl = tmpl_set_load(cfg->templates_dir, err, sizeof err);
	if (!app.tmpl) {
		fprintf(stderr, "sokuho: %s\n", err);
		return 1;
	}
	app.i18n = i18n_load(cfg->templates_dir, err, sizeof err);
	if (!app.i18n) {
		fprintf(stderr, "sokuho: %s\n", err);
		tmpl_set_free(app.tmpl);
		return 1;
	}
	char *legal_path = xasprintf("%s/legal-clocks.json", cfg->workflows_dir);
	app.legal = legal_load(legal_path, err, sizeof err);
	free(legal_path);
	if (!app.legal) {
		fprintf(stderr, "sokuho: %s\n", err);
		i18n_free(app.i18n);
		tmpl_set_free(app.tmpl);
		return 1;
	}
	/* A database still starting (the machine booting, say) is waited for;
	 * the pool connects once it answers. */
	int stopped = 0;
	PGconn *first = db_connect_wait(cfg->database_url, "sokuho web", cfg->db_start_wait,
					&stopped, err, sizeof err);
	if (first)
		PQfinish(first);
	app.db = first ? db_pool_new(cfg->database_url, cfg->threads + 2, err, sizeof err) : NULL;
	if (!app.db) {
		if (!stopped)
			fprintf(stderr, "sokuho: %s\n", err);
		legal_free(app.legal);
		i18n_free(app.i18n);
		tmpl_set_free(app.tmpl);
		return stopped ? 0 : 1;
	}
	PGconn *c = db_pool_get(app.db);
	int pending = c ? migrate_pending(c, cfg->sql_dir, err, sizeof err) : -1;
	if (pending == 0)
		migrate_warn_privileged(c);
	db_pool_put(app.db, c);
	rc = 1;
	if (pending < 0) {
		fprintf(stderr, "sokuho: %s\n", c ? err : "unable to reach the database");
	} else if (pending > 0) {
		fprintf(stderr,
			"sokuho: the database schema is not up to date (%d migration%s pending); "
			"run 'sokuho migrate' first\n",
			pending, pending == 1 ? "" : "s");
	} else {
		rc = serve_with_engine(&app, cfg);
	}
	db_pool_free(app.db);
	legal_free(app.legal);
	i18n_free(app.i18n);
	tmpl_set_free(app.tmpl);
	return rc;
}

static int cmd_migrate(struct config *cfg, int argc, char **argv)
{
	char **pos = xcalloc((size_t)argc + 1, sizeof *pos);
	static const char *const extra[] = {"wait", NULL};
	const char *extra_val[1] = {NULL};
	int npos, rc = options_parse(cfg, argc, argv, pos, &npos, extra, extra_val);
	free(pos);
	if (rc == 1) {
		print_cmd_help(&commands[1]);
		return 0;
	}
	if (rc != 0 || npos > 0) {
		if (npos > 0)
			fprintf(stderr, "sokuho: migrate takes no arguments\n");
		return 2;
	}
	/* Fails fast by default: a deployment step that runs it wants to know. */
	long wait_s = 0;
	if (extra_val[0]) {
		char *end;
		errno = 0;
		wait_s = strtol(extra_val[0], &end, 10);
		if (errno || end == extra_val[0] || *end || wait_s < 0 || wait_s > 86400) {
			fprintf(stderr,
				"sokuho: bad value '%s' for '--wait': expected a whole number of "
				"seconds from 0 to 86400\n",
				extra_val[0]);
			return 2;
		}
	}
	char err[2048];
	int stopped;
	/* as the schema's owner; serve and worker connect as sokuho_app */
	PGconn *c = db_connect_wait(cfg->migrate_database_url[0] ? cfg->migrate_database_url
								 : cfg->database_url,
				    "sokuho migrate", (int)wait_s, &stopped, err, sizeof err);
	if (!c) {
		/* stopped too: nothing applied, so the deployment step failed */
		fprintf(stderr, "sokuho: %s\n", err);
		return 1;
	}
	int n = migrate_run(c, cfg->sql_dir, stdout, err, sizeof err);
	PQfinish(c);
	if (n < 0) {
		fprintf(stderr, "sokuho: %s\n", err);
		return 1;
	}
	printf(n == 0 ? "database schema is up to date\n" : "applied %d migration%s\n", n,
	       n == 1 ? "" : "s");
	return 0;
}

static char *slurp(const char *path, size_t *len)
{
	buf b = BUF_INIT;
	if (file_read_all(path, 0, &b) != FILE_OK) {
		buf_release(&b);
		return NULL;
	}
	return buf_detach(&b, len);
}

static int cmd_render(struct config *cfg, int argc, char **argv)
{
	char **pos = xcalloc((size_t)argc + 1, sizeof *pos);
	static const char *const extra[] = {"partials", NULL};
	const char *extra_val[1] = {NULL};
	int npos, rc = options_parse(cfg, argc, argv, pos, &npos, extra, extra_val);
	int status = 2;
	char err[1024];
	mst_template *t = NULL;
	struct tmpl_set *set = NULL;
	json_t *data = NULL;
	char *src = NULL;
	if (rc == 1) {
		print_cmd_help(&commands[2]);
		status = 0;
		goto out;
	}
	if (rc != 0)
		goto out;
	if (npos != 2) {
		fprintf(stderr, "usage: %s\n", commands[2].usage);
		goto out;
	}
	status = 1;
	const char *pdir = extra_val[0] ? extra_val[0] : cfg->templates_dir;
	set = tmpl_set_load(pdir, err, sizeof err);
	if (!set && extra_val[0]) {
		fprintf(stderr, "sokuho: %s\n", err);
		goto out;
	}
	size_t len;
	src = slurp(pos[0], &len);
	if (src) {
		t = mst_compile(src, len, err, sizeof err);
		if (!t) {
			fprintf(stderr, "sokuho: template '%s': %s\n", pos[0], err);
			goto out;
		}
	} else if (!set || !tmpl_set_get(set, pos[0])) {
		fprintf(stderr, "sokuho: unable to open template '%s': %s\n", pos[0],
			strerror(errno));
		goto out;
	}
	json_error_t jerr;
	data = json_load_file(pos[1], JSON_DECODE_ANY, &jerr);
	if (!data) {
		fprintf(stderr, "sokuho: '%s' line %d: %s\n", pos[1], jerr.line, jerr.text);
		goto out;
	}
	/* Page templates use the label catalog: give them its Japanese labels
	 * (an object of data only; other data is left alone). */
	struct i18n *cat = json_is_object(data) ? i18n_load(pdir, err, sizeof err) : NULL;
	if (cat) {
		if (!json_object_get(data, "t"))
			json_object_set(data, "t", i18n_t(cat, "ja"));
		if (!json_object_get(data, "lang"))
			json_object_set_new(data, "lang", json_string("ja"));
		i18n_free(cat);
	}
	buf out = BUF_INIT;
	const mst_template *tt = t ? t : tmpl_set_get(set, pos[0]);
	if (mst_render(tt, data, set ? tmpl_set_partial : NULL, set, &out) < 0) {
		fprintf(stderr, "sokuho: template '%s': partials nested too deeply\n", pos[0]);
		buf_release(&out);
		goto out;
	}
	fwrite(buf_cstr(&out), 1, out.len, stdout);
	buf_release(&out);
	status = 0;
out:
	free(pos);
	free(src);
	json_decref(data);
	mst_free(t);
	tmpl_set_free(set);
	return status;
}

static const struct cmd *find_cmd(const char *name);

static int cmd_worker(struct config *cfg, int argc, char **argv)
{
	char **pos = xcalloc((size_t)argc + 1, sizeof *pos);
	int npos, rc = options_parse(cfg, argc, argv, pos, &npos, NULL, NULL);
	free(pos);
	if (rc == 1) {
		print_cmd_help(find_cmd("worker"));
		return 0;
	}
	if (rc != 0 || npos > 0)
		return 2;
	enum log_level lv;
	log_parse_level(cfg->log_level, &lv);
	log_set_level(lv);
	char err[1024];
	int stopped = 0;
	PGconn *c = db_connect_wait(cfg->database_url, "sokuho worker", cfg->db_start_wait, &stopped,
				    err, sizeof err);
	if (!c) {
		if (stopped)
			return 0;
		fprintf(stderr, "sokuho: %s\n", err);
		return 1;
	}
	int pending = migrate_pending(c, cfg->sql_dir, err, sizeof err);
	if (pending == 0)
		migrate_warn_privileged(c);
	PQfinish(c);
	if (pending != 0) {
		fprintf(stderr, "sokuho: %s\n",
			pending < 0 ? err : "the database schema is not up to date; run 'sokuho migrate' first");
		return 1;
	}
	struct tmpl_set *tmpl = tmpl_set_load(cfg->templates_dir, err, sizeof err);
	if (!tmpl) {
		fprintf(stderr, "sokuho: %s\n", err);
		return 1;
	}
	static struct audit_key key;
	if (audit_cli_start_sealer(cfg, &key) < 0) {
		tmpl_set_free(tmpl);
		return 1;
	}
	struct engine *e = engine_new();
	if (engine_set_calendar(e, cfg->office_hours, cfg->calendar_file, err, sizeof err) < 0) {
		fprintf(stderr, "sokuho: %s\n", err);
		engine_free(e);
		tmpl_set_free(tmpl);
		return 1;
	}
	engine_service_run(e, cfg, tmpl);
	audit_key_wipe(&key);
	engine_free(e);
	tmpl_set_free(tmpl);
	return 0;
}

static int cmd_workflow(struct config *cfg, int argc, char **argv)
{
	char **pos = xcalloc((size_t)argc + 1, sizeof *pos);
	int npos, rc = options_parse(cfg, argc, argv, pos, &npos, NULL, NULL);
	int status = 2;
	wf_set_mail_templates_dir(cfg->templates_dir);
	if (rc == 1) {
		print_cmd_help(find_cmd("workflow"));
		status = 0;
	} else if (rc == 0 && npos >= 2 && strcmp(pos[0], "check") == 0) {
		status = wf_check_files((const char *const *)(pos + 1), (size_t)(npos - 1), stdout,
					stderr) == 0
				 ? 0
				 : 1;
	} else if (rc == 0 && npos <= 2 && npos >= 1 && strcmp(pos[0], "load") == 0) {
		char err[1024];
		PGconn *c = db_connect(cfg->database_url, err, sizeof err);
		status = 1;
		if (!c) {
			fprintf(stderr, "sokuho: %s\n", err);
		} else {
			int n = engine_load_defs(c, npos == 2 ? pos[1] : cfg->workflows_dir, stdout, err,
						 sizeof err);
			if (n < 0)
				fprintf(stderr, "sokuho: %s\n", err);
			else
				printf(n ? "stored %d new workflow version%s\n"
					 : "every workflow is already stored\n",
				       n, n == 1 ? "" : "s");
			status = n < 0 ? 1 : 0;
			PQfinish(c);
		}
	} else {
		fprintf(stderr, "usage: sokuho workflow check FILE... | sokuho workflow load [DIR]\n");
	}
	free(pos);
	return status;
}

static int cmp_strp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The *.json files of dir, sorted, into a NULL-terminated array (caller
 * frees each and the array); NULL when dir cannot be read. */
static char **json_files_of(const char *dir, size_t *n)
{
	DIR *d = opendir(dir);
	if (!d)
		return NULL;
	char **v = NULL;
	size_t cap = 0;
	*n = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);
		if (e->d_name[0] == '.' || len < 6 || strcmp(e->d_name + len - 5, ".json") != 0)
			continue;
		if (*n + 1 >= cap) {
			cap = cap ? cap * 2 : 16;
			v = xrealloc(v, cap * sizeof *v);
		}
		v[(*n)++] = xasprintf("%s/%s", dir, e->d_name);
	}
	closedir(d);
	if (!v)
		v = xcalloc(1, sizeof *v);
	v[*n] = NULL;
	qsort(v, *n, sizeof *v, cmp_strp);
	return v;
}

static int cmd_drill(struct config *cfg, int argc, char **argv)
{
	char **pos = xcalloc((size_t)argc + 1, sizeof *pos);
	int npos, rc = options_parse(cfg, argc, argv, pos, &npos, NULL, NULL);
	int status = 2;
	if (rc == 1) {
		print_cmd_help(find_cmd("drill"));
		status = 0;
	} else if (rc == 0 && npos >= 1 && strcmp(pos[0], "check") == 0) {
		if (npos >= 2) {
			status = drill_check_files((const char *const *)(pos + 1),
						   (size_t)(npos - 1), stdout, stderr) == 0
					 ? 0
					 : 1;
		} else {
			size_t n = 0;
			char **files = json_files_of(cfg->drills_dir, &n);
			if (!files) {
				fprintf(stderr, "sokuho: unable to read the drills folder '%s': %s\n",
					cfg->drills_dir, strerror(errno));
				status = 1;
			} else {
				if (n == 0)
					fprintf(stderr, "sokuho: no drill scenario (*.json) in '%s'\n",
						cfg->drills_dir);
				status = n > 0 && drill_check_files((const char *const *)files, n,
								    stdout, stderr) == 0
						 ? 0
						 : 1;
				for (size_t i = 0; i < n; i++)
					free(files[i]);
				free(files);
			}
		}
	} else {
		fprintf(stderr, "usage: sokuho drill check [FILE...]\n");
	}
	free(pos);
	return status;
}

static int cmd_version(struct config *cfg, int argc, char **argv)
{
	(void)cfg;
	if (argc > 0 && (strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0)) {
		print_cmd_help(&commands[NCOMMANDS - 1]);
		return 0;
	}
	printf("sokuho %s\n", SOKUHO_VERSION);
	return 0;
}

static const struct cmd *find_cmd(const char *name)
{
	for (size_t k = 0; k < NCOMMANDS; k++)
		if (strcmp(commands[k].name, name) == 0)
			return &commands[k];
	return &commands[0];
}

int main(int argc, char **argv)
{
	if (sodium_init() < 0) {
		fprintf(stderr, "sokuho: unable to initialise libsodium\n");
		return 1;
	}
	const char *config_file = getenv("SOKUHO_CONFIG");
	int i = 1;
	/* Global options before the command. */
	for (; i < argc && strncmp(argv[i], "-", 1) == 0; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			print_usage(stdout);
			return 0;
		} else if (strcmp(argv[i], "--version") == 0) {
			return cmd_version(NULL, 0, NULL);
		} else if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
			config_file = argv[++i];
		} else if (strncmp(argv[i], "--config=", 9) == 0) {
			config_file = argv[i] + 9;
		} else {
			fprintf(stderr, "sokuho: unknown option '%s' (see 'sokuho --help')\n", argv[i]);
			return 2;
		}
	}
	if (i >= argc) {
		print_usage(stderr);
		return 2;
	}
	const struct cmd *cmd = NULL;
	for (size_t k = 0; k < NCOMMANDS; k++)
		if (strcmp(commands[k].name, argv[i]) == 0)
			cmd = &commands[k];
	if (!cmd) {
		fprintf(stderr, "sokuho: unknown command '%s' (see 'sokuho --help')\n", argv[i]);
		return 2;
	}
	/* A --config after the command counts too. */
	for (int k = i + 1; k < argc; k++) {
		if (strcmp(argv[k], "--config") == 0 && k + 1 < argc)
			config_file = argv[k + 1];
		else if (strncmp(argv[k], "--config=", 9) == 0)
			config_file = argv[k] + 9;
	}
	struct config cfg;
	char err[1024];
	config_init(&cfg);
	int rc = 2;
	if (config_file && *config_file && config_load_file(&cfg, config_file, err, sizeof err) < 0)
		fprintf(stderr, "sokuho: %s\n", err);
	else if (config_load_env(&cfg, err, sizeof err) < 0)
		fprintf(stderr, "sokuho: %s\n", err);
	else
		rc = cmd->run(&cfg, argc - i - 1, argv + i + 1);
	config_release(&cfg);
	return rc;
}
