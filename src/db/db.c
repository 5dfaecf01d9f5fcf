/* Connections and the connection pool (see db.h). */
#include "db.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sodium.h>
#include <string.h>

#include "core/log.h"
#include "core/xalloc.h"

/* Server notices (a FATAL that ended an idle session, say) go to the log in
 * its format instead of libpq's bare line on stderr. */
static void log_notice(void *arg, const char *m)
{
	(void)arg;
	size_t n = strlen(m);
	while (n && (m[n - 1] == '\n' || m[n - 1] == ' '))
		n--;
	char msg[512];
	snprintf(msg, sizeof msg, "%.*s", (int)n, m);
	log_event(LOG_WARN, "db_notice", "message=%s", log_quote(0, msg));
}

/* What libpq made of a connection attempt: the connection, or NULL and err. */
static PGconn *connected(PGconn *c, char *err, size_t errlen)
{
	if (PQstatus(c) != CONNECTION_OK) {
		const char *m = PQerrorMessage(c);
		size_t n = strlen(m);
		while (n && (m[n - 1] == '\n' || m[n - 1] == ' '))
			n--;
		snprintf(err, errlen, "unable to connect to the database: %.*s", (int)n, m);
		PQfinish(c);
		return NULL;
	}
	PQsetNoticeProcessor(c, log_notice, NULL);
	/* Times are stored as timestamptz; the session zone only affects text
	 * output, and the city works in Japan time. */
	PGresult *r = PQexec(c, "SET TIME ZONE 'Asia/Tokyo'");
	PQclear(r);
	return c;
}

PGconn *db_connect(const char *url, char *err, size_t errlen)
{
	return connected(PQconnectdb(url ? url : ""), err, errlen);
}

PGconn *db_connect_as(const char *url, const char *name, char *err, size_t errlen)
{
	/* expand_dbname: url is read as a whole connection string or URI, as
	 * PQconnectdb reads it; its own application_name, or PGAPPNAME, wins. */
	const char *const keys[] = {"dbname", "fallback_application_name", NULL};
	const char *const vals[] = {url ? url : "", name, NULL};
	return connected(PQconnectdbParams(keys, vals, 1), err, errlen);
}

/* Failures that a database still starting (or briefly away) gives. libpq's
 * own words (this process does not translate them) and the server's in
 * English: a server whose lc_messages is another language gets no wait for
 * its "starting up" and "too many clients", only for nothing listening. */
static const char *const curable[] = {
	"Connection refused",
	"No such file or directory", /* the Unix socket is not there yet */
	"could not connect to server",
	"timeout expired",
	"Network is unreachable",
	"No route to host",
	"Connection timed out",
	"Connection reset by peer",
	"server closed the connection unexpectedly",
	"could not translate host name", /* a container's name before it runs */
	"the database system is starting up",
	"the database system is shutting down",
	"the database system is in recovery mode",
	"the database system is not yet accepting connections",
	"the database system is not accepting connections",
	"is not currently accepting connections",
	"sorry, too many clients already",
	"remaining connection slots are reserved",
	/* a multi-host URL during a failover: the one server up is a standby
	 * not promoted yet (target_session_attrs=read-write, =primary) */
	"session is read-only",
	"server is in hot standby mode",
};

static int worth_waiting(const char *err)
{
	for (size_t i = 0; i < sizeof curable / sizeof curable[0]; i++)
		if (strstr(err, curable[i]))
			return 1;
	return 0;
}

PGconn *db_connect_wait(const char *url, const char *name, int wait_s, int *stopped, char *err,
			size_t errlen)
{
	*stopped = 0;
	sigset_t set, old;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, &old);
	struct timespec t0, now;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int attempts = 0;
	double d = 0.5;
	PGconn *c = NULL;
	for (;;) {
		attempts++;
		c = db_connect_as(url, name, err, errlen);
		if (c || wait_s == 0 || !worth_waiting(err))
			break;
		clock_gettime(CLOCK_MONOTONIC, &now);
		double waited = (double)(now.tv_sec - t0.tv_sec) +
				(double)(now.tv_nsec - t0.tv_nsec) / 1e9;
		if (attempts == 1) {
			char limit[32] = "forever";
			if (wait_s > 0)
				snprintf(limit, sizeof limit, "%ds", wait_s);
			log_event(LOG_WARN, "db_start_wait", "error=%s wait=%s", log_quote(0, err),
				  limit);
		}
		double nap = d * (0.75 + (double)randombytes_uniform(1000) / 2000.0);
		if (wait_s > 0 && waited + nap > wait_s) {
			nap = wait_s - waited;
			if (nap <= 0) {
				size_t n = strlen(err);
				snprintf(err + n, errlen > n ? errlen - n : 0,
					 " (waited %d s for the database)", wait_s);
				break;
			}
		}
		struct timespec ts = {(time_t)nap, (long)((nap - (double)(time_t)nap) * 1e9)};
		int sig = sigtimedwait(&set, NULL, &ts);
		if (sig == SIGTERM || sig == SIGINT) {
			log_event(LOG_INFO, "db_start_stopped", "signal=%s",
				  sig == SIGTERM ? "SIGTERM" : "SIGINT");
			*stopped = 1;
			snprintf(err, errlen, "stopped while waiting for the database");
			break;
		}
		d = d * 2 > 5 ? 5 : d * 2;
	}
	/* A signal that came during the last attempt still stops the start. */
	sigset_t pending;
	if (c && sigpending(&pending) == 0 &&
	    (sigismember(&pending, SIGTERM) || sigismember(&pending, SIGINT))) {
		int sig = sigwaitinfo(&set, NULL);
		log_event(LOG_INFO, "db_start_stopped", "signal=%s",
			  sig == SIGTERM ? "SIGTERM" : "SIGINT");
		PQfinish(c);
		c = NULL;
		*stopped = 1;
		snprintf(err, errlen, "stopped while waiting for the database");
	}
	if (c && attempts > 1) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		log_event(LOG_INFO, "db_start_ok", "after_s=%.1f attempts=%d",
			  (double)(now.tv_sec - t0.tv_sec) +
				  (double)(now.tv_nsec - t0.tv_nsec) / 1e9,
			  attempts);
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return c;
}

struct db_pool {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	char *url;
	int size, opened;
	int nfree;
	PGconn **free;
};

struct db_pool *db_pool_new(const char *url, int size, char *err, size_t errlen)
{
	PGconn *first = db_connect_as(url, "sokuho web", err, errlen);
	if (!first)
		return NULL;
	struct db_pool *p = xcalloc(1, sizeof *p);
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	p->url = xstrdup(url);
	p->size = size < 1 ? 1 : size;
	p->free = xcalloc((size_t)p->size, sizeof *p->free);
	p->free[p->nfree++] = first;
	p->opened = 1;
	return p;
}

/* What the HTTP thread's request did with the pool: the connection it holds
 * and whether one it used was found broken, so that an error answer after a
 * lost database says 503 rather than 500 (db_pool_request_lost). */
static __thread PGconn *tl_conn;
static __thread int tl_lost;

void db_pool_request_begin(void)
{
	tl_conn = NULL;
	tl_lost = 0;
}

int db_pool_request_lost(void)
{
	return tl_lost || (tl_conn && PQstatus(tl_conn) != CONNECTION_OK);
}

/* Whether the server already ended an idle connection. A restarted or
 * crashed server (or pg_terminate_backend) leaves a FATAL message or EOF on
 * the socket, which libpq reads only at its next statement: look without
 * sending anything (no query per borrow). */
static int closed_by_server(PGconn *c)
{
	if (PQstatus(c) != CONNECTION_OK)
		return 1;
	/* readable while idle: an error (libpq reads it as a notice), then EOF,
	 * which it notices only on a read after that one; a stray NOTIFY is
	 * harmless */
	for (int i = 0; i < 4; i++) {
		struct pollfd fd = {PQsocket(c), POLLIN, 0};
		if (fd.fd < 0)
			return 1;
		if (poll(&fd, 1, 0) <= 0)
			return 0;
		if (!PQconsumeInput(c) || PQstatus(c) != CONNECTION_OK)
			return 1;
		PGnotify *nt;
		while ((nt = PQnotifies(c)))
			PQfreemem(nt);
	}
	return 0;
}

/* Gives up one slot of the pool (its connection is gone). */
static void drop_slot(struct db_pool *p)
{
	pthread_mutex_lock(&p->mu);
	p->opened--;
	pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->mu);
}

PGconn *db_pool_get(struct db_pool *p)
{
	PGconn *c = NULL;
	int open_new = 0;
	pthread_mutex_lock(&p->mu);
	for (;;) {
		if (p->nfree > 0) {
			c = p->free[--p->nfree];
			break;
		}
		if (p->opened < p->size) {
			p->opened++;
			open_new = 1;
			break;
		}
		pthread_cond_wait(&p->cv, &p->mu);
	}
	pthread_mutex_unlock(&p->mu);

	if (!open_new && closed_by_server(c)) {
		/* the request is served on a fresh connection instead */
		PQfinish(c);
		c = NULL;
		open_new = 1;
	}
	if (open_new) {
		char err[512];
		c = db_connect_as(p->url, "sokuho web", err, sizeof err);
		if (!c) {
			log_event(LOG_ERROR, "db_connect_failed", "error=%s", log_quote(0, err));
			drop_slot(p);
			tl_lost = 1;
			return NULL;
		}
	}
	tl_conn = c;
	return c;
}

void db_pool_put(struct db_pool *p, PGconn *c)
{
	if (!c)
		return;
	if (c == tl_conn)
		tl_conn = NULL;
	/* A connection left inside a transaction by an error path must not
	 * leak that transaction into the next borrower. */
	if (PQtransactionStatus(c) != PQTRANS_IDLE && PQstatus(c) == CONNECTION_OK)
		PQclear(PQexec(c, "ROLLBACK"));
	if (PQstatus(c) != CONNECTION_OK) {
		/* broken: the next borrower opens a new one in its place */
		tl_lost = 1;
		PQfinish(c);
		drop_slot(p);
		return;
	}
	pthread_mutex_lock(&p->mu);
	p->free[p->nfree++] = c;
	pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->mu);
}

void db_pool_discard(struct db_pool *p, PGconn *c)
{
	if (!c)
		return;
	if (c == tl_conn)
		tl_conn = NULL;
	PQfinish(c);
	drop_slot(p);
}

void db_pool_free(struct db_pool *p)
{
	if (!p)
		return;
	for (int i = 0; i < p->nfree; i++)
		PQfinish(p->free[i]);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->cv);
	free(p->free);
	free(p->url);
	free(p);
}

int db_ok(const PGresult *res)
{
	ExecStatusType s = PQresultStatus(res);
	return s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK;
}

#define BOOLOID 16

json_t *db_rows(PGconn *conn, const char *sql, int nparams, const char *const *params)
{
	PGresult *r = PQexecParams(conn, sql, nparams, NULL, params, NULL, NULL, 0);
	if (!db_ok(r)) {
		log_event(LOG_ERROR, "db_query_failed", "error=%s",
			  log_quote(0, PQresultErrorMessage(r)));
		PQclear(r);
		return NULL;
	}
	json_t *rows = json_array();
	int nf = PQnfields(r);
	for (int i = 0; i < PQntuples(r); i++) {
		json_t *o = json_object();
		for (int f = 0; f < nf; f++) {
			json_t *v;
			if (PQgetisnull(r, i, f))
				v = json_null();
			else if (PQftype(r, f) == BOOLOID)
				v = json_boolean(PQgetvalue(r, i, f)[0] == 't');
			else
				v = json_string(PQgetvalue(r, i, f));
			json_object_set_new(o, PQfname(r, f), v ? v : json_null());
		}
		json_array_append_new(rows, o);
	}
	PQclear(r);
	return rows;
}

json_t *db_row(PGconn *conn, const char *sql, int nparams, const char *const *params)
{
	json_t *rows = db_rows(conn, sql, nparams, params);
	json_t *row = rows ? json_array_get(rows, 0) : NULL;
	json_incref(row);
	json_decref(rows);
	return row;
}

int db_wait(PGconn *c, double seconds, int wake_fd)
{
	/* A notification that arrived while the caller ran its queries was read
	 * off the socket by libpq already and waits in its queue: poll() would
	 * not see it, so check the queue first and return at once. */
	PQconsumeInput(c);
	PGnotify *pending = PQnotifies(c);
	if (pending) {
		do
			PQfreemem(pending);
		while ((pending = PQnotifies(c)));
		return 0;
	}
	if (seconds > 3600)
		seconds = 3600;
	if (seconds < 0)
		seconds = 0;
	struct pollfd fds[2] = {{PQsocket(c), POLLIN, 0}, {wake_fd, POLLIN, 0}};
	int pr = poll(fds, wake_fd >= 0 ? 2 : 1, (int)(seconds * 1000) + 1);
	if (pr > 0 && (fds[0].revents & POLLIN)) {
		PQconsumeInput(c);
		PGnotify *nt;
		while ((nt = PQnotifies(c)))
			PQfreemem(nt);
	}
	return pr > 0 && wake_fd >= 0 && (fds[1].revents & POLLIN);
}

double db_outage_lost(struct db_outage *o, PGconn *c, const char *err)
{
	char cause[512];
	snprintf(cause, sizeof cause, "%s", err && err[0] ? err : c ? PQerrorMessage(c) : "");
	if (!cause[0])
		snprintf(cause, sizeof cause, "connection lost");
	if (c)
		PQfinish(c);
	if (o->failures++ == 0) {
		clock_gettime(CLOCK_MONOTONIC, &o->since);
		log_event(LOG_WARN, o->lost_event, "error=%s", log_quote(0, cause));
		liveness_lost(o->part);
	}
	double d = o->base * (double)(1 << (o->failures < 6 ? o->failures - 1 : 5));
	if (d > o->cap)
		d = o->cap;
	return d * (0.75 + (double)randombytes_uniform(1000) / 2000.0);
}

void db_outage_over(struct db_outage *o)
{
	if (!o->failures) {
		liveness_beat(o->part);
		return;
	}
	liveness_back(o->part);
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	log_event(LOG_INFO, o->back_event, "after_s=%.1f attempts=%d",
		  (double)(now.tv_sec - o->since.tv_sec) + (double)(now.tv_nsec - o->since.tv_nsec) / 1e9,
		  o->failures);
	o->failures = 0;
}

int db_nap(double seconds, int wake_fd)
{
	struct pollfd fd = {wake_fd, POLLIN, 0};
	int pr = poll(&fd, wake_fd >= 0 ? 1 : 0, (int)(seconds * 1000));
	return pr > 0 && (fd.revents & POLLIN);
}

int db_installed_on(PGconn *c, char out[11])
{
	PGresult *r = PQexec(c, "SELECT to_char(installed_at AT TIME ZONE 'Asia/Tokyo', "
				"'YYYY-MM-DD') FROM instance");
	int ok = db_ok(r) && PQntuples(r) == 1;
	if (ok)
		snprintf(out, 11, "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	return ok ? 0 : -1;
}

int db_ping(PGconn *c)
{
	PGresult *r = PQexec(c, "SELECT 1 AS one, "
				"(current_setting('transaction_read_only') = 'on')::int AS ro");
	int ok = db_ok(r) && db_first_ll(r, "one") == 1;
	if (ok && db_first_ll(r, "ro") == 1)
		ok = -1;
	PQclear(r);
	return ok;
}

double db_first_double(const PGresult *res, const char *name)
{
	int col = PQfnumber(res, name);
	if (col < 0 || PQntuples(res) < 1 || PQgetisnull(res, 0, col))
		return 0;
	char *end;
	errno = 0;
	double v = strtod(PQgetvalue(res, 0, col), &end);
	return errno || *end ? 0 : v;
}

long long db_first_ll(const PGresult *res, const char *name)
{
	int col = PQfnumber(res, name);
	if (col < 0 || PQntuples(res) < 1 || PQgetisnull(res, 0, col))
		return 0;
	char *end;
	errno = 0;
	long long v = strtoll(PQgetvalue(res, 0, col), &end, 10);
	return errno || *end ? 0 : v;
}
