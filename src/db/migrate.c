/* The migration runner (see migrate.h). The advisory lock is taken before the
 * bookkeeping table is created, so concurrent first runs cannot race on it. */
#include "migrate.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/buf.h"
#include "core/file.h"
#include "core/log.h"
#include "core/xalloc.h"
#include "db.h"
#include "locks.h"


struct mfile {
	int version;
	char *name; /* file name, e.g. 0001_init.sql */
	char *sql;
	size_t len;
	char sha[65];
};

static int valid_name(const char *n)
{
	size_t len = strlen(n);
	if (len < 10 || strcmp(n + len - 4, ".sql") != 0)
		return 0;
	for (int i = 0; i < 4; i++)
		if (!isdigit((unsigned char)n[i]))
			return 0;
	if (n[4] != '_')
		return 0;
	for (size_t i = 5; i < len - 4; i++)
		if (!isalnum((unsigned char)n[i]) && n[i] != '_' && n[i] != '-')
			return 0;
	return 1;
}

static int cmp_mfile(const void *a, const void *b)
{
	const struct mfile *x = a, *y = b;
	return (x->version > y->version) - (x->version < y->version);
}

static void free_files(struct mfile *f, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(f[i].name);
		free(f[i].sql);
	}
	free(f);
}

static int read_file(const char *path, char **out, size_t *len)
{
	buf b = BUF_INIT;
	if (file_read_all(path, 0, &b) != FILE_OK) {
		buf_release(&b);
		return -1;
	}
	*out = buf_detach(&b, len);
	return 0;
}

static struct mfile *load_files(const char *dir, size_t *count, char *err, size_t errlen)
{
	DIR *d = opendir(dir);
	if (!d) {
		snprintf(err, errlen, "unable to open migrations folder '%s': %s", dir,
			 strerror(errno));
		return NULL;
	}
	struct mfile *files = NULL;
	size_t n = 0, cap = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.' || !strstr(e->d_name, ".sql"))
			continue;
		if (!valid_name(e->d_name)) {
			snprintf(err, errlen,
				 "migration file '%s' is badly named: expected NNNN_name.sql", e->d_name);
			goto fail;
		}
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			files = xrealloc(files, cap * sizeof *files);
		}
		struct mfile *m = &files[n];
		memset(m, 0, sizeof *m);
		m->version = atoi(e->d_name);
		m->name = xstrdup(e->d_name);
		n++;
		char *path = xasprintf("%s/%s", dir, e->d_name);
		int r = read_file(path, &m->sql, &m->len);
		free(path);
		if (r < 0) {
			snprintf(err, errlen, "unable to read migration '%s': %s", m->name,
				 strerror(errno));
			goto fail;
		}
		unsigned char h[crypto_hash_sha256_BYTES];
		crypto_hash_sha256(h, (const unsigned char *)m->sql, m->len);
		sodium_bin2hex(m->sha, sizeof m->sha, h, sizeof h);
	}
	closedir(d);
	qsort(files, n, sizeof *files, cmp_mfile);
	for (size_t i = 1; i < n; i++) {
		if (files[i].version == files[i - 1].version) {
			snprintf(err, errlen, "migrations '%s' and '%s' share the number %04d",
				 files[i - 1].name, files[i].name, files[i].version);
			free_files(files, n);
			return NULL;
		}
	}
	*count = n;
	return files ? files : xcalloc(1, sizeof *files);
fail:
	closedir(d);
	free_files(files, n);
	return NULL;
}

static int exec_ok(PGconn *c, const char *sql, char *err, size_t errlen)
{
	PGresult *r = PQexec(c, sql);
	int ok = db_ok(r);
	if (!ok)
		snprintf(err, errlen, "database error: %s", PQresultErrorMessage(r));
	PQclear(r);
	return ok ? 0 : -1;
}

/* Looks up the recorded checksum of a version: 1 found, 0 not, -1 error. */
static int recorded(PGconn *c, int version, char *sha, size_t shalen, char *err, size_t errlen)
{
	char v[16];
	snprintf(v, sizeof v, "%d", version);
	const char *params[1] = {v};
	PGresult *r = PQexecParams(c, "SELECT checksum FROM schema_migrations WHERE version = $1",
				   1, NULL, params, NULL, NULL, 0);
	if (!db_ok(r)) {
		snprintf(err, errlen, "database error: %s", PQresultErrorMessage(r));
		PQclear(r);
		return -1;
	}
	int found = PQntuples(r) > 0;
	if (found)
		snprintf(sha, shalen, "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	return found;
}

/* Converts PostgreSQL's 1-based character position into line and column. */
static void position_to_line(const char *sql, size_t len, long pos, int *line, int *col)
{
	*line = 1;
	*col = 1;
	long chars = 1;
	for (size_t i = 0; i < len && chars < pos; i++) {
		unsigned char ch = (unsigned char)sql[i];
		if ((ch & 0xC0) == 0x80)
			continue; /* UTF-8 continuation byte: same character */
		chars++;
		if (ch == '\n') {
			(*line)++;
			*col = 1;
		} else {
			(*col)++;
		}
	}
}

static void trim_nl(char *s)
{
	size_t n = strlen(s);
	while (n && (s[n - 1] == '\n' || s[n - 1] == ' '))
		s[--n] = '\0';
}

static int apply_one(PGconn *c, const struct mfile *m, char *err, size_t errlen)
{
	if (exec_ok(c, "BEGIN", err, errlen) < 0)
		return -1;
	PGresult *r = PQexec(c, m->sql);
	if (!db_ok(r)) {
		char *msg = xstrdup(PQresultErrorMessage(r));
		trim_nl(msg);
		const char *pos = PQresultErrorField(r, PG_DIAG_STATEMENT_POSITION);
		if (pos) {
			int line, col;
			position_to_line(m->sql, m->len, atol(pos), &line, &col);
			snprintf(err, errlen,
				 "migration '%s' failed at line %d, column %d and was rolled back: %s",
				 m->name, line, col, msg);
		} else {
			snprintf(err, errlen, "migration '%s' failed and was rolled back: %s",
				 m->name, msg);
		}
		free(msg);
		PQclear(r);
		PQclear(PQexec(c, "ROLLBACK"));
		return -1;
	}
	PQclear(r);
	char v[16];
	snprintf(v, sizeof v, "%d", m->version);
	const char *params[3] = {v, m->name, m->sha};
	r = PQexecParams(c,
			 "INSERT INTO schema_migrations (version, name, checksum) "
			 "VALUES ($1, $2, $3)",
			 3, NULL, params, NULL, NULL, 0);
	int ok = db_ok(r);
	if (!ok)
		snprintf(err, errlen, "unable to record migration '%s': %s", m->name,
			 PQresultErrorMessage(r));
	PQclear(r);
	if (!ok) {
		PQclear(PQexec(c, "ROLLBACK"));
		return -1;
	}
	return exec_ok(c, "COMMIT", err, errlen);
}

static int check_unchanged(const struct mfile *m, const char *sha, char *err, size_t errlen)
{
	if (strcmp(sha, m->sha) == 0)
		return 0;
	snprintf(err, errlen,
		 "migration '%s' has changed since it was applied (recorded sha256 %.12s…, "
		 "file now %.12s…); applied migrations must never be edited: restore the file "
		 "and add a new migration instead",
		 m->name, sha, m->sha);
	return -1;
}

int migrate_run(PGconn *c, const char *dir, FILE *progress, char *err, size_t errlen)
{
	size_t n;
	struct mfile *files = load_files(dir, &n, err, errlen);
	if (!files)
		return -1;
	int applied = 0;
	if (exec_ok(c, "SELECT pg_advisory_lock(" DB_LOCK_MIGRATE ")", err, errlen) < 0) {
		free_files(files, n);
		return -1;
	}
	if (exec_ok(c,
		    "SET client_min_messages = warning;"
		    "CREATE TABLE IF NOT EXISTS schema_migrations ("
		    " version integer PRIMARY KEY,"
		    " name text NOT NULL,"
		    " checksum text NOT NULL,"
		    " applied_at timestamptz NOT NULL DEFAULT now())",
		    err, errlen) < 0) {
		applied = -1;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		char sha[80];
		int found = recorded(c, files[i].version, sha, sizeof sha, err, errlen);
		if (found < 0 || (found && check_unchanged(&files[i], sha, err, errlen) < 0)) {
			applied = -1;
			goto out;
		}
		if (found)
			continue;
		if (apply_one(c, &files[i], err, errlen) < 0) {
			applied = -1;
			goto out;
		}
		applied++;
		if (progress)
			fprintf(progress, "applied %s\n", files[i].name);
	}
	/* The application role's grants cover every table there now is
	 * (sql/0023_least_privilege.sql). */
	PGresult *g = PQexec(c, "SELECT to_regprocedure('sokuho_grant_app()') IS NOT NULL");
	int have_grants = db_ok(g) && PQntuples(g) == 1 && PQgetvalue(g, 0, 0)[0] == 't';
	PQclear(g);
	if (have_grants && exec_ok(c, "SELECT sokuho_grant_app()", err, errlen) < 0)
		applied = -1;
	/* The audit log's own revocations (sql/0013_audit_sealer.sql). */
	g = PQexec(c, "SELECT to_regprocedure('sokuho_grant_audit()') IS NOT NULL");
	have_grants = applied >= 0 && db_ok(g) && PQntuples(g) == 1 && PQgetvalue(g, 0, 0)[0] == 't';
	PQclear(g);
	if (have_grants && exec_ok(c, "SELECT sokuho_grant_audit()", err, errlen) < 0)
		applied = -1;
out:
	PQclear(PQexec(c, "SELECT pg_advisory_unlock(" DB_LOCK_MIGRATE ")"));
	free_files(files, n);
	return applied;
}

int migrate_pending(PGconn *c, const char *dir, char *err, size_t errlen)
{
	size_t n;
	struct mfile *files = load_files(dir, &n, err, errlen);
	if (!files)
		return -1;
	int pending = 0;
	PGresult *r = PQexec(c, "SELECT to_regclass('schema_migrations') IS NOT NULL");
	int have_table = db_ok(r) && PQntuples(r) == 1 && PQgetvalue(r, 0, 0)[0] == 't';
	PQclear(r);
	for (size_t i = 0; i < n; i++) {
		char sha[80];
		int found = have_table ? recorded(c, files[i].version, sha, sizeof sha, err, errlen)
				       : 0;
		if (found < 0) {
			pending = -1;
			break;
		}
		if (!found || strcmp(sha, files[i].sha) != 0)
			pending++;
	}
	free_files(files, n);
	return pending;
}

void migrate_warn_privileged(PGconn *c)
{
	PGresult *r = PQexec(
		c, "SELECT current_user, has_table_privilege('audit_event', 'UPDATE') OR "
		   "has_table_privilege('audit_event', 'DELETE') OR "
		   "has_table_privilege('audit_event', 'TRUNCATE') OR "
		   "pg_has_role((SELECT tableowner FROM pg_tables WHERE tablename = 'audit_event' "
		   "AND schemaname = 'public'), 'USAGE')");
	if (db_ok(r) && PQntuples(r) == 1 && PQgetvalue(r, 0, 1)[0] == 't')
		log_event(LOG_WARN, "db_role_privileged",
			  "role=%s why=%s", log_quote(0, PQgetvalue(r, 0, 0)),
			  log_quote(1, "this role may change or remove audit events; connect serve "
				       "and worker as a member of sokuho_app (README, Deployment)"));
	PQclear(r);
}
