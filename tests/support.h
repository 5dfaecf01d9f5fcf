/* Helpers shared by the database and end-to-end tests: throwaway databases,
 * running the sokuho binary, and a server under test. The database is the one
 * libpq's PG* variables point at (scripts/pgtmp.sh sets them in `make check`). */
#ifndef SOKUHO_TEST_SUPPORT_H
#define SOKUHO_TEST_SUPPORT_H

#include <jansson.h>
#include <sys/types.h>

/* The binary under test: $SOKUHO_BIN or build/sokuho. */
const char *ts_bin(void);
/* Creates an empty database with a fresh name; returns its conninfo
 * ("dbname=..."), which the caller frees. Aborts the test on failure. */
char *ts_new_database(void);
/* Runs argv (argv[0] is looked up as given) with extra environment entries
 * ("KEY=VALUE", NULL-terminated, may be NULL); stdout and stderr are captured
 * into *out and *err when not NULL (caller frees). Returns the exit status, or
 * -1 if it did not exit normally. */
int ts_run(const char *const *argv, const char *const *env, char **out, char **err);
/* Returns a TCP port on 127.0.0.1 that was free a moment ago. */
int ts_free_port(void);
/* The login role the tests' servers connect as: a member of sokuho_app, as
 * production's (sql/0023_least_privilege.sql). */
#define TS_APP_ROLE "sokuho_test_app"
/* conninfo (key=value form, a migrated database) for the same database as
 * TS_APP_ROLE, which is made in the cluster when missing; conninfo itself
 * when that cannot be done (a URI, a database down or not migrated). Caller
 * frees. */
char *ts_app_conninfo(const char *conninfo);
/* Starts argv (argv[0] a path) with its output appended to logfile, and
 * returns at once with its pid. The child gets SIGTERM when the test process
 * ends (a failed assertion, a timeout), as do the servers below. */
pid_t ts_spawn(const char *const *argv, const char *logfile);
/* Starts `sokuho serve` on 127.0.0.1:port against conninfo, as TS_APP_ROLE
 * (ts_app_conninfo), with extra arguments (NULL-terminated, may be NULL),
 * stderr appended to logfile; waits until it accepts connections (or fails
 * the test). Returns its pid. */
pid_t ts_start_server(const char *conninfo, int port, const char *const *extra,
		      const char *logfile);
/* A `sokuho serve` on a fresh demo database: the fixture most end-to-end
 * suites share. */
struct ts_server {
	char *db;           /* conninfo of its database */
	int port;           /* 127.0.0.1:port */
	pid_t pid;
	char logfile[256];  /* /tmp/sokuho-NAME-PID.log: the server's stderr */
};
/* Prepares the database (migrated, demo city) and starts the server with
 * the extra arguments (NULL-terminated, may be NULL); name labels the log. */
void ts_demo_server_start(struct ts_server *s, const char *name, const char *const *extra);
/* Stops it, failing the test unless it exits cleanly (the log's end is
 * shown then); removes the log and frees db. */
void ts_demo_server_stop(struct ts_server *s);

/* Sends SIGTERM and waits; returns the exit status (-1 if killed). When it
 * is not 0 and logfile is not NULL, the end of the log (a sanitizer report,
 * say) is copied to stderr so that the failure explains itself. */
int ts_stop_server(pid_t pid);
int ts_stop_server_log(pid_t pid, const char *logfile);
/* Reads a whole file (caller frees), or NULL. */
char *ts_read_file(const char *path);
/* Writes a file, creating it; aborts on failure. */
void ts_write_file(const char *path, const char *content);
/* Makes a new empty temporary folder; caller frees the path. */
char *ts_tmpdir(void);

/* A clock_offset (SQL interval expression) that makes sokuho_now() read
 * 01:00 Japan time today: tests that run a mailer start their clock there, so
 * that the CISO's daily digest (sent from 08:00 Japan time) never joins in
 * unasked, whatever the time of day the tests run at. Shifts add to it. */
#define TS_EARLY_MORNING                                                                    \
	"((date_trunc('day', now() AT TIME ZONE 'Asia/Tokyo') + interval '1 hour') - "      \
	"(now() AT TIME ZONE 'Asia/Tokyo'))"

/* Runs one statement on conninfo and fails the test on an error. */
void ts_sql(const char *conninfo, const char *sql);
/* Runs a query that returns one row and returns its first column as a
 * number (fails the test otherwise). */
long ts_scalar(const char *conninfo, const char *sql);
/* A new database with the schema migrated and, when demo is set, the demo
 * city seeded (by the binary under test). Returns its conninfo. */
char *ts_prepared_database(int demo);

/* Starts the test SMTP server (tests/mail/smtpd.py, Debian's python3 with
 * aiosmtpd) on 127.0.0.1:port, saving messages into dir; waits until it
 * listens. Returns its pid (stop it with SIGTERM). */
pid_t ts_start_smtpd(int port, const char *dir);
/* One saved message decoded by Python's email package (smtpd.py --decode):
 * subject, text, message_id, to_addr, defects ... Caller owns it. */
json_t *ts_decode_mail(const char *path);

#endif
