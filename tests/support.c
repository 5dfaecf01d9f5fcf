/* Test helpers (see support.h). */
#include "support.h"

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/xalloc.h"

const char *ts_bin(void)
{
	const char *b = getenv("SOKUHO_BIN");
	return b && *b ? b : "build/sokuho";
}

char *ts_new_database(void)
{
	static int counter;
	char name[64];
	snprintf(name, sizeof name, "sokuho_t_%d_%d_%ld", (int)getpid(), ++counter,
		 (long)time(NULL) % 100000);
	PGconn *c = PQconnectdb("");
	ck_assert_msg(PQstatus(c) == CONNECTION_OK, "cannot connect: %s", PQerrorMessage(c));
	char *sql = xasprintf("CREATE DATABASE %s", name);
	PGresult *r = PQexec(c, sql);
	ck_assert_msg(PQresultStatus(r) == PGRES_COMMAND_OK, "create database: %s",
		      PQresultErrorMessage(r));
	PQclear(r);
	free(sql);
	PQfinish(c);
	return xasprintf("dbname=%s", name);
}

static void drain(int fd, buf *b)
{
	char tmp[4096];
	ssize_t n;
	while ((n = read(fd, tmp, sizeof tmp)) > 0)
		buf_append(b, tmp, (size_t)n);
}

int ts_run(const char *const *argv, const char *const *env, char **out, char **err)
{
	char outpath[] = "/tmp/sokuho-out-XXXXXX", errpath[] = "/tmp/sokuho-err-XXXXXX";
	int ofd = mkstemp(outpath), efd = mkstemp(errpath);
	ck_assert(ofd >= 0 && efd >= 0);
	pid_t pid = fork();
	ck_assert(pid >= 0);
	if (pid == 0) {
		dup2(ofd, 1);
		dup2(efd, 2);
		for (int i = 0; env && env[i]; i++)
			putenv((char *)(uintptr_t)env[i]);
		execvp(argv[0], (char *const *)(uintptr_t)argv);
		fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	int st;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	buf b = BUF_INIT;
	lseek(ofd, 0, SEEK_SET);
	drain(ofd, &b);
	if (out)
		*out = buf_detach(&b, NULL);
	buf_release(&b);
	lseek(efd, 0, SEEK_SET);
	drain(efd, &b);
	if (err)
		*err = buf_detach(&b, NULL);
	buf_release(&b);
	close(ofd);
	close(efd);
	unlink(outpath);
	unlink(errpath);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

int ts_free_port(void)
{
	int s = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {0};
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert(bind(s, (struct sockaddr *)&a, sizeof a) == 0);
	socklen_t l = sizeof a;
	getsockname(s, (struct sockaddr *)&a, &l);
	close(s);
	return ntohs(a.sin_port);
}

static int can_connect(int port)
{
	int s = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {0};
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	int ok = connect(s, (struct sockaddr *)&a, sizeof a) == 0;
	close(s);
	return ok;
}

char *ts_app_conninfo(const char *conninfo)
{
	if (strncmp(conninfo, "postgres", 8) == 0)
		return xstrdup(conninfo); /* a URI: left as it is */
	PGconn *c = PQconnectdb(conninfo);
	int ok = PQstatus(c) == CONNECTION_OK;
	if (ok) {
		/* made once per cluster; tests run at once may race to make it */
		PGresult *r = PQexec(
			c, "DO $$ BEGIN IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = "
			   "'sokuho_app') AND NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = "
			   "'" TS_APP_ROLE "') THEN CREATE ROLE " TS_APP_ROLE " LOGIN IN ROLE "
			   "sokuho_app; END IF; EXCEPTION WHEN duplicate_object OR unique_violation "
			   "THEN NULL; END $$");
		ok = PQresultStatus(r) == PGRES_COMMAND_OK;
		PQclear(r);
		r = PQexec(c, "SELECT 1 FROM pg_roles WHERE rolname = '" TS_APP_ROLE "'");
		ok = ok && PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1;
		PQclear(r);
	}
	PQfinish(c);
	return ok ? xasprintf("%s user=" TS_APP_ROLE, conninfo) : xstrdup(conninfo);
}

/* In a child just forked: it gets SIGTERM when the test process ends, even
 * by a failed assertion or a timeout, so no server outlives its test. */
static void die_with_parent(pid_t parent)
{
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != parent)
		_exit(127);
}

pid_t ts_spawn(const char *const *argv, const char *logfile)
{
	pid_t parent = getpid();
	pid_t pid = fork();
	ck_assert(pid >= 0);
	if (pid == 0) {
		die_with_parent(parent);
		int fd = open(logfile, O_WRONLY | O_CREAT | O_APPEND, 0600);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execv(argv[0], (char *const *)(uintptr_t)argv);
		_exit(127);
	}
	return pid;
}

pid_t ts_start_server(const char *conninfo, int port, const char *const *extra,
		      const char *logfile)
{
	char listen[32];
	snprintf(listen, sizeof listen, "127.0.0.1:%d", port);
	/* as the application role, as in production (sql/0023) */
	char *app = ts_app_conninfo(conninfo);
	const char *argv[32] = {ts_bin(), "serve", "--listen", listen, "--database_url", app};
	int n = 6;
	for (int i = 0; extra && extra[i] && n < 31; i++)
		argv[n++] = extra[i];
	argv[n] = NULL;
	pid_t pid = ts_spawn(argv, logfile);
	free(app);
	for (int i = 0; i < 300; i++) {
		if (can_connect(port))
			return pid;
		int st;
		if (waitpid(pid, &st, WNOHANG) == pid) {
			char *log = ts_read_file(logfile);
			ck_abort_msg("server exited at start: %s", log ? log : "");
		}
		usleep(20 * 1000);
	}
	kill(pid, SIGKILL);
	ck_abort_msg("server did not start listening on %d", port);
	return -1;
}

int ts_stop_server(pid_t pid)
{
	kill(pid, SIGTERM);
	int st;
	for (int i = 0; i < 1500; i++) {
		if (waitpid(pid, &st, WNOHANG) == pid)
			return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
		usleep(10 * 1000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	return -1;
}

char *ts_read_file(const char *path)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return NULL;
	buf b = BUF_INIT;
	drain(fd, &b);
	close(fd);
	return buf_detach(&b, NULL);
}

void ts_write_file(const char *path, const char *content)
{
	FILE *f = fopen(path, "w");
	ck_assert_msg(f != NULL, "cannot write %s", path);
	fputs(content, f);
	fclose(f);
}

char *ts_tmpdir(void)
{
	char tmpl[] = "/tmp/sokuho-test-XXXXXX";
	ck_assert(mkdtemp(tmpl) != NULL);
	return xstrdup(tmpl);
}

int ts_stop_server_log(pid_t pid, const char *logfile)
{
	int st = ts_stop_server(pid);
	if (st != 0 && logfile) {
		char *log = ts_read_file(logfile);
		size_t n = log ? strlen(log) : 0;
		fprintf(stderr, "server exited with status %d; its log ends:\n%s\n", st,
			log ? log + (n > 4000 ? n - 4000 : 0) : "(no log)");
		free(log);
	}
	return st;
}

void ts_sql(const char *conninfo, const char *sql)
{
	PGconn *c = PQconnectdb(conninfo);
	ck_assert_msg(PQstatus(c) == CONNECTION_OK, "%s", PQerrorMessage(c));
	PGresult *r = PQexec(c, sql);
	ExecStatusType st = PQresultStatus(r);
	ck_assert_msg(st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK, "%s: %s", sql,
		      PQresultErrorMessage(r));
	PQclear(r);
	PQfinish(c);
}

long ts_scalar(const char *conninfo, const char *sql)
{
	PGconn *c = PQconnectdb(conninfo);
	ck_assert_msg(PQstatus(c) == CONNECTION_OK, "%s", PQerrorMessage(c));
	PGresult *r = PQexec(c, sql);
	ck_assert_msg(PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1, "%s: %s", sql,
		      PQresultErrorMessage(r));
	long v = atol(PQgetvalue(r, 0, 0));
	PQclear(r);
	PQfinish(c);
	return v;
}

char *ts_prepared_database(int demo)
{
	char *db = ts_new_database();
	char *e = xasprintf("DATABASE_URL=%s", db);
	const char *env[] = {e, NULL};
	const char *m[] = {ts_bin(), "migrate", NULL};
	char *out, *err;
	int st = ts_run(m, env, &out, &err);
	ck_assert_msg(st == 0, "migrate: %s", err);
	free(out);
	free(err);
	if (demo) {
		const char *d[] = {ts_bin(), "demo", NULL};
		st = ts_run(d, env, &out, &err);
		ck_assert_msg(st == 0, "demo: %s", err);
		free(out);
		free(err);
	}
	free(e);
	return db;
}

pid_t ts_start_smtpd(int port, const char *dir)
{
	char ready[512];
	snprintf(ready, sizeof ready, "%s/ready", dir);
	unlink(ready);
	pid_t parent = getpid();
	pid_t pid = fork();
	ck_assert(pid >= 0);
	if (pid == 0) {
		die_with_parent(parent);
		char p[16];
		snprintf(p, sizeof p, "%d", port);
		execl("/usr/bin/python3", "python3", "tests/mail/smtpd.py", "--port", p, "--dir", dir,
		      (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 200 && access(ready, F_OK) != 0; i++)
		usleep(50 * 1000);
	ck_assert_msg(access(ready, F_OK) == 0, "the test SMTP server did not start");
	return pid;
}

json_t *ts_decode_mail(const char *path)
{
	const char *argv[] = {"/usr/bin/python3", "tests/mail/smtpd.py", "--decode", path, NULL};
	char *out, *err;
	ck_assert_msg(ts_run(argv, NULL, &out, &err) == 0, "%s", err);
	json_t *j = json_loads(out, 0, NULL);
	ck_assert_msg(j != NULL, "%s", out);
	free(out);
	free(err);
	return j;
}

void ts_demo_server_start(struct ts_server *s, const char *name, const char *const *extra)
{
	s->db = ts_prepared_database(1);
	s->port = ts_free_port();
	snprintf(s->logfile, sizeof s->logfile, "/tmp/sokuho-%s-%d.log", name, (int)getpid());
	unlink(s->logfile);
	s->pid = ts_start_server(s->db, s->port, extra, s->logfile);
}

void ts_demo_server_stop(struct ts_server *s)
{
	ck_assert_int_eq(ts_stop_server_log(s->pid, s->logfile), 0);
	unlink(s->logfile);
	free(s->db);
	s->db = NULL;
}
