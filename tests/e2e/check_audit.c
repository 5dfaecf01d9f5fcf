/* The audit log proves itself (issue 17): tampering by someone who can write
 * the database, as its superuser, is caught by `sokuho audit verify` and the
 * first bad event named; verify passes on untouched data while filings are
 * being sealed; a sealer killed with SIGKILL in the middle of a batch loses
 * and duplicates nothing. */
#include <check.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "client.h"
#include "core/xalloc.h"
#include "db/db.h"
#include "support.h"

Suite *audit_suite(void);

/* A migrated database with n events of kind test.event (details {"n": k})
 * after the migration's own, all sealed, as a running sealer leaves them. */
static char *sealed_database(int n)
{
	char *db = ts_prepared_database(0);
	char *q = xasprintf("INSERT INTO audit_event (kind, detail) SELECT 'test.event', "
			    "jsonb_build_object('n', g) FROM generate_series(1, %d) g",
			    n);
	ts_sql(db, q);
	free(q);
	ts_sql(db, "SELECT audit_seal(1000000)");
	return db;
}

/* Runs `sokuho audit verify` (with extra arguments, NULL-terminated, may be
 * NULL) on db; returns its exit status and its output in *out (caller
 * frees). */
static int verify(const char *db, const char *const *extra, char **out)
{
	char *e = xasprintf("DATABASE_URL=%s", db);
	const char *env[] = {e, NULL};
	const char *argv[16] = {ts_bin(), "audit", "verify"};
	int k = 3;
	for (; extra && *extra && k < 15; extra++)
		argv[k++] = *extra;
	argv[k] = NULL;
	char *err;
	int st = ts_run(argv, env, out, &err);
	char *both = xasprintf("%s%s", *out, err);
	free(*out);
	free(err);
	free(e);
	*out = both;
	return st;
}

/* Asserts that verify fails (status 1) with every one of the NULL-terminated
 * strings in its output. */
static void verify_fails(const char *db, const char *const *extra, ...)
{
	char *out;
	int st = verify(db, extra, &out);
	ck_assert_msg(st == 1, "status %d: %s", st, out);
	va_list ap;
	va_start(ap, extra);
	for (const char *s; (s = va_arg(ap, const char *)) != NULL;)
		ck_assert_msg(strstr(out, s), "wanted \"%s\" in: %s", s, out);
	va_end(ap);
	free(out);
}

static void verify_passes(const char *db, const char *want)
{
	char *out;
	int st = verify(db, NULL, &out);
	ck_assert_msg(st == 0 && strstr(out, "audit log intact") && (!want || strstr(out, want)),
		      "status %d: %s", st, out);
	free(out);
}

static long event_at(const char *db, int place)
{
	char *q = xasprintf("SELECT event_id FROM audit_chain WHERE seq = %d", place);
	long id = ts_scalar(db, q);
	free(q);
	return id;
}

/* A forged event put in the middle of the chain, with its hash computed as
 * anyone can (the digest is public), the places after it moved up one: the
 * forged event is named as inserted. */
START_TEST(test_tamper_insert)
{
	char *db = sealed_database(20);
	verify_passes(db, NULL);
	long places = ts_scalar(db, "SELECT count(*) FROM audit_chain");
	ts_sql(db, "ALTER TABLE audit_chain DISABLE TRIGGER audit_chain_no_update");
	ts_sql(db, "UPDATE audit_chain SET seq = -seq WHERE seq >= 10");
	ts_sql(db, "UPDATE audit_chain SET seq = 1 - seq WHERE seq < 0");
	ts_sql(db, "INSERT INTO audit_event (kind, detail) VALUES ('auth.login', '{\"forged\": 1}')");
	ts_sql(db, "INSERT INTO audit_chain (seq, event_id, prev_hash, hash) "
		   "SELECT 10, e.seq, p.hash, audit_digest(10, p.hash, e) FROM audit_event e, "
		   "audit_chain p WHERE e.detail = '{\"forged\": 1}' AND p.seq = 9");
	ts_sql(db, "ALTER TABLE audit_chain ENABLE TRIGGER audit_chain_no_update");
	ck_assert_int_eq(ts_scalar(db, "SELECT count(*) FROM audit_chain"), places + 1);
	char want[64];
	snprintf(want, sizeof want, "broken at event %ld (place 10, auth.login",
		 ts_scalar(db, "SELECT seq FROM audit_event WHERE detail = '{\"forged\": 1}'"));
	verify_fails(db, NULL, want, "it was inserted", "the 9 events before it are intact",
		     NULL);
	free(db);
}
END_TEST

/* Two events' contents swapped (as if they had happened the other way
 * round): the first of them is named; so is an event whose place in the
 * chain was exchanged with another's. */
START_TEST(test_tamper_reorder)
{
	char *db = sealed_database(20);
	long a = event_at(db, 5), b = event_at(db, 6);
	char *q = xasprintf("UPDATE audit_event x SET detail = y.detail, at = y.at FROM audit_event y "
			    "WHERE (x.seq, y.seq) IN ((%ld, %ld), (%ld, %ld))",
			    a, b, b, a);
	ts_sql(db, "ALTER TABLE audit_event DISABLE TRIGGER audit_event_no_update");
	ts_sql(db, q);
	free(q);
	ts_sql(db, "ALTER TABLE audit_event ENABLE TRIGGER audit_event_no_update");
	char want[64];
	snprintf(want, sizeof want, "broken at event %ld (place 5,", a);
	verify_fails(db, NULL, want, "changed or moved", "the 4 events before it", NULL);
	free(db);

	/* The chain's order changed instead: event b now at place 5. */
	db = sealed_database(20);
	a = event_at(db, 5);
	b = event_at(db, 6);
	ts_sql(db, "ALTER TABLE audit_chain DISABLE TRIGGER audit_chain_no_update");
	ts_sql(db, "UPDATE audit_chain SET event_id = -1 WHERE seq = 5");
	q = xasprintf("UPDATE audit_chain SET event_id = %ld WHERE seq = 6", a);
	ts_sql(db, q);
	free(q);
	q = xasprintf("UPDATE audit_chain SET event_id = %ld WHERE seq = 5", b);
	ts_sql(db, q);
	free(q);
	ts_sql(db, "ALTER TABLE audit_chain ENABLE TRIGGER audit_chain_no_update");
	snprintf(want, sizeof want, "broken at event %ld (place 5,", b);
	verify_fails(db, NULL, want, "changed or moved", NULL);
	free(db);
}
END_TEST

/* The events truncated by a superuser who first disabled the trigger that
 * refuses TRUNCATE: every event the chain names is missing. */
START_TEST(test_tamper_truncate)
{
	char *db = sealed_database(20);
	long n = ts_scalar(db, "SELECT count(*) FROM audit_chain");
	ts_sql(db, "ALTER TABLE audit_event DISABLE TRIGGER audit_event_no_truncate");
	ts_sql(db, "TRUNCATE audit_event");
	ts_sql(db, "ALTER TABLE audit_event ENABLE TRIGGER audit_event_no_truncate");
	char want[96], first[64];
	snprintf(want, sizeof want, "(%ld of the %ld events the chain names are missing)", n, n);
	snprintf(first, sizeof first, "broken at event %ld (place 1): it was removed",
		 event_at(db, 1));
	verify_fails(db, NULL, first, want, NULL);
	/* With the trigger on, TRUNCATE is refused even to the superuser. */
	char err[256];
	PGconn *c = db_connect(db, err, sizeof err);
	ck_assert(c != NULL);
	PGresult *r = PQexec(c, "TRUNCATE audit_chain");
	ck_assert(!db_ok(r));
	ck_assert_msg(strstr(PQresultErrorMessage(r), "append-only"), "%s", PQresultErrorMessage(r));
	PQclear(r);
	PQfinish(c);
	free(db);
}
END_TEST

/* A place of the chain removed and the rest renumbered down, or an event's
 * place rewritten with a new hash: each is named. */
START_TEST(test_tamper_rewrite)
{
	char *db = sealed_database(20);
	long gone = event_at(db, 8), after = event_at(db, 9);
	ts_sql(db, "ALTER TABLE audit_chain DISABLE TRIGGER audit_chain_no_update");
	ts_sql(db, "DELETE FROM audit_chain WHERE seq = 8");
	ts_sql(db, "UPDATE audit_chain SET seq = -seq WHERE seq > 8");
	ts_sql(db, "UPDATE audit_chain SET seq = -seq - 1 WHERE seq < 0");
	ts_sql(db, "ALTER TABLE audit_chain ENABLE TRIGGER audit_chain_no_update");
	char want[64];
	snprintf(want, sizeof want, "broken at event %ld (place 8,", after);
	verify_fails(db, NULL, want, "the event before it was removed from the chain", NULL);
	(void)gone;
	free(db);

	/* Event 7 changed and its hash recomputed: event 7 named. */
	db = sealed_database(20);
	long seven = event_at(db, 7);
	char *q = xasprintf("UPDATE audit_event SET detail = '{\"n\": 700}' WHERE seq = %ld", seven);
	ts_sql(db, "ALTER TABLE audit_event DISABLE TRIGGER audit_event_no_update");
	ts_sql(db, q);
	free(q);
	ts_sql(db, "ALTER TABLE audit_event ENABLE TRIGGER audit_event_no_update");
	ts_sql(db, "ALTER TABLE audit_chain DISABLE TRIGGER audit_chain_no_update");
	ts_sql(db, "UPDATE audit_chain c SET hash = audit_digest(c.seq, c.prev_hash, e) "
		   "FROM audit_event e WHERE e.seq = c.event_id AND c.seq = 7");
	ts_sql(db, "ALTER TABLE audit_chain ENABLE TRIGGER audit_chain_no_update");
	snprintf(want, sizeof want, "broken at event %ld (place 7,", seven);
	verify_fails(db, NULL, want, "changed and its place in the chain rewritten", NULL);
	free(db);
}
END_TEST

/* Runs `sokuho audit ARGS...` (NULL-terminated) on db; its exit status,
 * stdout and stderr together in *out (caller frees). */
static int audit(const char *db, const char *const *args, char **out)
{
	char *e = xasprintf("DATABASE_URL=%s", db);
	const char *env[] = {e, NULL};
	const char *argv[16] = {ts_bin(), "audit"};
	int k = 2;
	for (; args && *args && k < 15; args++)
		argv[k++] = *args;
	argv[k] = NULL;
	char *err;
	int st = ts_run(argv, env, out, &err);
	char *both = xasprintf("%s%s", *out, err);
	free(*out);
	free(err);
	free(e);
	*out = both;
	return st;
}

/* A new key made by `sokuho audit keygen`; its path (caller frees). */
static char *keygen(void)
{
	char *dir = ts_tmpdir();
	char *path = xasprintf("%s/audit.key", dir);
	free(dir);
	const char *args[] = {"keygen", path, NULL};
	char *out;
	int st = audit(NULL, args, &out);
	ck_assert_msg(st == 0 && strstr(out, "public key "), "keygen %d: %s", st, out);
	free(out);
	return path;
}

/* `sokuho audit checkpoint` signing with key: the line it prints. */
static char *checkpoint(const char *db, const char *key)
{
	const char *args[] = {"checkpoint", "--audit_key_file", key, NULL};
	char *out;
	int st = audit(db, args, &out);
	ck_assert_msg(st == 0 && strncmp(out, "sokuho-checkpoint v1 ", 21) == 0, "%d: %s", st, out);
	out[strcspn(out, "\n")] = '\0';
	return out;
}

static char *key_id(const char *key)
{
	const char *args[] = {"public-key", "--audit_key_file", key, NULL};
	char *out;
	ck_assert_int_eq(audit(NULL, args, &out), 0);
	const char *p = strstr(out, "key id ");
	ck_assert(p != NULL);
	char *id = xstrndup(p + 7, 16);
	free(out);
	return id;
}

/* Whoever can write the database rewrites an event and recomputes every
 * hash after it, as anyone can (the digest is public): the chain alone is
 * intact again, the signed checkpoints are not; the first that disagrees
 * is named, and the newest place where an earlier one still matches. */
START_TEST(test_tamper_rewrite_whole_tail)
{
	char *db = sealed_database(10);
	char *key = keygen();
	char *first = checkpoint(db, key);
	long mid = ts_scalar(db, "SELECT max(seq) FROM audit_chain");
	ts_sql(db, "INSERT INTO audit_event (kind, detail) SELECT 'test.event', "
		   "jsonb_build_object('n', 100 + g) FROM generate_series(1, 10) g");
	char *second = checkpoint(db, key);
	long head = ts_scalar(db, "SELECT max(seq) FROM audit_chain");
	const char *with_key[] = {"--audit_key_file", key, NULL};
	char *out;
	ck_assert_int_eq(verify(db, with_key, &out), 0);
	ck_assert_msg(strstr(out, "2 checkpoints agree"), "%s", out);
	free(out);
	char *q = xasprintf("UPDATE audit_event SET detail = '{\"n\": 999}' WHERE seq = "
			    "(SELECT event_id FROM audit_chain WHERE seq = %ld)",
			    mid + 3);
	ts_sql(db, "ALTER TABLE audit_event DISABLE TRIGGER audit_event_no_update");
	ts_sql(db, q);
	free(q);
	ts_sql(db, "ALTER TABLE audit_event ENABLE TRIGGER audit_event_no_update");
	ts_sql(db, "ALTER TABLE audit_chain DISABLE TRIGGER audit_chain_no_update");
	q = xasprintf("DO $$DECLARE r record; h bytea; BEGIN "
		      "SELECT hash INTO h FROM audit_chain WHERE seq = %ld; "
		      "FOR r IN SELECT c.seq, e AS ev FROM audit_chain c JOIN audit_event e "
		      "  ON e.seq = c.event_id WHERE c.seq >= %ld ORDER BY c.seq LOOP "
		      "  UPDATE audit_chain SET prev_hash = h, hash = audit_digest(r.seq, h, r.ev) "
		      "    WHERE seq = r.seq RETURNING hash INTO h; "
		      "END LOOP; END$$",
		      mid + 2, mid + 3);
	ts_sql(db, q);
	free(q);
	ts_sql(db, "ALTER TABLE audit_chain ENABLE TRIGGER audit_chain_no_update");
	char want[96], place[64];
	snprintf(want, sizeof want, "broken at or before event %ld (place %ld)",
		 event_at(db, (int)head), head);
	snprintf(place, sizeof place, "rewritten after place %ld", mid);
	verify_fails(db, with_key, want, "the stored checkpoint of", place, NULL);
	/* Given the newest line kept outside, the same. */
	const char *given[] = {"--audit_key_file", key, "--checkpoint", second, NULL};
	verify_fails(db, given, want, NULL);
	(void)first;
	free(first);
	free(second);
	free(key);
	free(db);
}
END_TEST

/* A checkpoint row forged with this installation's key id (its signature
 * made up), a kept line whose place was edited, and a checkpoint signed by
 * another installation's key: each is named. */
START_TEST(test_tamper_forged_checkpoints)
{
	char *db = sealed_database(20);
	char *key = keygen(), *other = keygen();
	char *id = key_id(key), *other_id = key_id(other);
	char *line = checkpoint(db, key);
	const char *with_key[] = {"--audit_key_file", key, NULL};
	verify_passes(db, NULL);

	/* A kept line with another place (the one before): bad signature. */
	long head = ts_scalar(db, "SELECT max(seq) FROM audit_chain");
	char *edited = xstrdup(line);
	char *pl = strstr(edited, " place=");
	ck_assert(pl != NULL);
	char oldp[48];
	snprintf(oldp, sizeof oldp, " place=%ld ", head);
	ck_assert(strncmp(pl, oldp, strlen(oldp)) == 0);
	/* Same length: head - 1 has as many digits (head is past 11). */
	char newp[48];
	snprintf(newp, sizeof newp, " place=%ld ", head - 1);
	ck_assert_int_eq(strlen(newp), strlen(oldp));
	memcpy(pl, newp, strlen(newp));
	const char *given[] = {"--audit_key_file", key, "--checkpoint", edited, NULL};
	verify_fails(db, given, "the given checkpoint", "has a bad signature", NULL);

	/* A stored row with our key id and a made-up signature. */
	char *q = xasprintf("INSERT INTO audit_checkpoint (seq, hash, at, key_id, signature) "
			    "SELECT seq, hash, sokuho_now() + interval '1 hour', '%s', "
			    "decode(repeat('ab', 64), 'hex') FROM audit_chain WHERE seq = %ld",
			    id, head);
	ts_sql(db, q);
	free(q);
	char want[96];
	snprintf(want, sizeof want, "(place %ld, key %s) has a bad signature", head, id);
	verify_fails(db, with_key, "the stored checkpoint of", want, NULL);
	free(db);

	/* Another installation's key signed a checkpoint of this log. */
	db = sealed_database(10);
	char *ours = checkpoint(db, key);
	/* Not in the same second: (place, time) is a checkpoint's key. */
	usleep(1100 * 1000);
	char *theirs = checkpoint(db, other);
	ck_assert_int_eq(ts_scalar(db, "SELECT count(*) FROM audit_checkpoint"), 2);
	snprintf(want, sizeof want, "key %s) was not signed by this installation's key %s",
		 other_id, id);
	verify_fails(db, with_key, want, NULL);
	/* Also when only the public key is at hand, as an auditor has it. */
	const char *args[] = {"public-key", "--audit_key_file", key, NULL};
	char *out;
	ck_assert_int_eq(audit(NULL, args, &out), 0);
	char *pk = xstrndup(strstr(out, "public key ") + 11, 64);
	free(out);
	const char *with_pub[] = {"--audit_public_key", pk, NULL};
	verify_fails(db, with_pub, want, NULL);
	/* Our own checkpoint given alone still agrees when the other's row is
	 * not there: remove it. */
	ts_sql(db, "ALTER TABLE audit_checkpoint DISABLE TRIGGER audit_checkpoint_no_update");
	q = xasprintf("DELETE FROM audit_checkpoint WHERE key_id = '%s'", other_id);
	ts_sql(db, q);
	free(q);
	ts_sql(db, "ALTER TABLE audit_checkpoint ENABLE TRIGGER audit_checkpoint_no_update");
	const char *given_ours[] = {"--audit_public_key", pk, "--checkpoint", ours, NULL};
	ck_assert_int_eq(verify(db, given_ours, &out), 0);
	ck_assert_msg(strstr(out, "2 checkpoints agree"), "%s", out);
	free(out);
	free(pk);
	free(theirs);
	free(ours);
	free(line);
	free(edited);
	free(id);
	free(other_id);
	free(key);
	free(other);
	free(db);
}
END_TEST

/* The newest events cut off with their places: the stored checkpoint names
 * where the chain now ends; with the checkpoints removed too, a kept line
 * (from a file, among other lines) still does. */
START_TEST(test_tamper_cut_tail)
{
	char *db = sealed_database(20);
	char *key = keygen();
	char *line = checkpoint(db, key);
	long head = ts_scalar(db, "SELECT max(seq) FROM audit_chain");
	ts_sql(db, "ALTER TABLE audit_event DISABLE TRIGGER audit_event_no_update");
	ts_sql(db, "ALTER TABLE audit_chain DISABLE TRIGGER audit_chain_no_update");
	char *q = xasprintf("DELETE FROM audit_event WHERE seq IN (SELECT event_id FROM audit_chain "
			    "WHERE seq > %ld)",
			    head - 4);
	ts_sql(db, q);
	free(q);
	q = xasprintf("DELETE FROM audit_chain WHERE seq > %ld", head - 4);
	ts_sql(db, q);
	free(q);
	ts_sql(db, "ALTER TABLE audit_event ENABLE TRIGGER audit_event_no_update");
	ts_sql(db, "ALTER TABLE audit_chain ENABLE TRIGGER audit_chain_no_update");
	const char *with_key[] = {"--audit_key_file", key, NULL};
	char want[128];
	snprintf(want, sizeof want, "broken after event %ld (place %ld): the chain ends there",
		 event_at(db, (int)(head - 4)), head - 4);
	verify_fails(db, with_key, want, "the newest 4 sealed events were removed", NULL);
	ts_sql(db, "ALTER TABLE audit_checkpoint DISABLE TRIGGER audit_checkpoint_no_update");
	ts_sql(db, "DELETE FROM audit_checkpoint");
	ts_sql(db, "ALTER TABLE audit_checkpoint ENABLE TRIGGER audit_checkpoint_no_update");
	verify_passes(db, "no checkpoint");
	char *dir = ts_tmpdir();
	char *file = xasprintf("%s/kept.txt", dir);
	char *text = xasprintf("# printed on the annual review\n%s\n", line);
	ts_write_file(file, text);
	const char *given[] = {"--audit_key_file", key, "--checkpoint", file, NULL};
	verify_fails(db, given, want, "the given checkpoint", NULL);
	free(text);
	free(file);
	free(dir);
	free(line);
	free(key);
	free(db);
}
END_TEST

/* Filing through the API from several clients while verify runs over and
 * over against the server's sealer: every verify passes. */
struct filer {
	int port;
	const char *cookie;
	const char *header;
	volatile int *stop;
	int filed;
	long bad;
};

static const char api_body[] =
	"{\"summary\": \"不審メールを開いた\", \"discovered_at\": \"2026-11-24T10:00:00+09:00\", "
	"\"category\": \"suspicious_mail\", \"site\": \"honchosha\", \"segments\": "
	"[\"internet\"], \"personal_data\": {\"involved\": \"no\"}}";

static void *file_reports(void *arg)
{
	struct filer *f = arg;
	while (!*f->stop) {
		struct resp r;
		client_json(f->port, "POST", "/api/v1/incidents", f->cookie, f->header, api_body, &r);
		if (r.status == 201)
			f->filed++;
		else
			f->bad = r.status;
		resp_release(&r);
	}
	return NULL;
}

START_TEST(test_verify_while_filing)
{
	struct ts_server srv;
	char *key = keygen();
	const char *extra[] = {"--audit_key_file", key, "--audit_checkpoint_seconds", "0",
			       "--metrics_token", "audit-metrics", NULL};
	const char *with_key[] = {"--audit_key_file", key, NULL};
	ts_demo_server_start(&srv, "audit", extra);
	char *cookie = client_sign_in_demo(srv.port, "sakai.haruto");
	char *csrf = client_page_csrf(srv.port, "/my/reports", cookie);
	char *hdr = xasprintf("X-CSRF-Token: %s", csrf);
	volatile int stop = 0;
	enum { N = 4 };
	struct filer f[N];
	pthread_t t[N];
	for (int i = 0; i < N; i++) {
		f[i] = (struct filer){srv.port, cookie, hdr, &stop, 0, 0};
		pthread_create(&t[i], NULL, file_reports, &f[i]);
	}
	int runs = 0;
	long pending_seen = 0;
	for (; runs < 8; runs++) {
		char *out;
		int st = verify(srv.db, with_key, &out);
		ck_assert_msg(st == 0 && strstr(out, "audit log intact"), "run %d: status %d: %s",
			      runs, st, out);
		const char *p = strstr(out, "checked, ");
		if (p)
			pending_seen += atol(p + 9);
		free(out);
	}
	stop = 1;
	int filed = 0;
	for (int i = 0; i < N; i++) {
		pthread_join(t[i], NULL);
		ck_assert_msg(f[i].bad == 0, "a filing failed: %ld", f[i].bad);
		filed += f[i].filed;
	}
	ck_assert_msg(filed >= N, "only %d reports filed while verify ran", filed);
	/* The sealer catches up: nothing left pending, the chain intact. */
	for (int i = 0; i < 100 && ts_scalar(srv.db, "SELECT count(*) FROM audit_event e WHERE NOT "
						     "EXISTS (SELECT 1 FROM audit_chain c WHERE "
						     "c.event_id = e.seq)") > 0;
	     i++)
		usleep(100 * 1000);
	char *out;
	int st = verify(srv.db, with_key, &out);
	ck_assert_msg(st == 0 && strstr(out, " 0 pending") && strstr(out, "checkpoints agree"),
		      "status %d: %s", st, out);
	free(out);
	/* /metrics shows the sealer caught up. */
	struct resp m;
	client_request_h(srv.port, "GET", "/metrics", NULL, NULL, "Authorization: Bearer audit-metrics",
			 &m);
	ck_assert_int_eq(m.status, 200);
	ck_assert_msg(strstr(buf_cstr(&m.body), "\nsokuho_audit_pending 0\n") &&
			      strstr(buf_cstr(&m.body), "\nsokuho_audit_seal_lag_seconds 0\n"),
		      "%s", buf_cstr(&m.body));
	resp_release(&m);
	long cps = ts_scalar(srv.db, "SELECT count(*) FROM audit_checkpoint");
	ck_assert_int_ge(cps, 1);
	/* The private key is in no line the server logged. */
	char *kf = ts_read_file(key), *log = ts_read_file(srv.logfile);
	ck_assert(kf && log);
	char *secret = strstr(kf, "secret ");
	ck_assert(secret != NULL);
	secret += 7;
	secret[strcspn(secret, "\n")] = '\0';
	ck_assert_int_eq(strlen(secret), 64);
	ck_assert_msg(!strstr(log, secret) && !strstr(log, secret + 32), "the key is in the log");
	ck_assert_msg(strstr(log, "audit_checkpoints_on"), "%s", log);
	free(kf);
	free(log);
	fprintf(stderr,
		"audit: %d reports filed during %d verify runs (%ld events seen pending, %ld "
		"checkpoints)\n",
		filed, runs, pending_seen, cps);
	free(key);
	free(hdr);
	free(csrf);
	free(cookie);
	ts_demo_server_stop(&srv);
}
END_TEST

/* Done-when 3: a worker killed with SIGKILL while it seals a batch (held in
 * the middle of it: a place the batch needs is taken by an uncommitted row of
 * the test's), another worker takes over; nothing is lost or duplicated. */
static pid_t start_worker(const char *app, const char *log)
{
	setenv("DATABASE_URL", app, 1);
	const char *argv[] = {ts_bin(), "worker", "--engine_threads", "1", NULL};
	pid_t pid = ts_spawn(argv, log);
	unsetenv("DATABASE_URL");
	return pid;
}

START_TEST(test_seal_sigkill)
{
	char *db = ts_prepared_database(0);
	ts_sql(db, "INSERT INTO audit_event (kind, detail) SELECT 'test.bulk', "
		   "jsonb_build_object('n', g) FROM generate_series(1, 20000) g");
	long events = ts_scalar(db, "SELECT count(*) FROM audit_event");
	long head = ts_scalar(db, "SELECT coalesce(max(seq), 0) FROM audit_chain");
	char err[256];
	PGconn *hold = db_connect(db, err, sizeof err);
	ck_assert(hold != NULL);
	char *q = xasprintf("BEGIN; INSERT INTO audit_chain (seq, event_id, prev_hash, hash) "
			    "VALUES (%ld, -1, '\\x', '\\x')",
			    head + 500);
	PGresult *r = PQexec(hold, q);
	free(q);
	ck_assert_msg(db_ok(r), "%s", PQresultErrorMessage(r));
	PQclear(r);

	char *app = ts_app_conninfo(db);
	char log1[128], log2[128];
	snprintf(log1, sizeof log1, "/tmp/sokuho-audit-w1-%d.log", (int)getpid());
	snprintf(log2, sizeof log2, "/tmp/sokuho-audit-w2-%d.log", (int)getpid());
	pid_t w1 = start_worker(app, log1);
	/* Wait until the first worker's sealer waits for that place, 499 places
	 * of its batch inserted. */
	int waiting = 0;
	for (int i = 0; i < 300 && !waiting; i++) {
		waiting = ts_scalar(db, "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type "
					"= 'Lock' AND query LIKE '%audit_seal%'") == 1;
		if (!waiting)
			usleep(50 * 1000);
	}
	ck_assert_msg(waiting, "the worker's sealer never reached the held place");
	ck_assert_int_eq(kill(w1, SIGKILL), 0);
	int st;
	ck_assert_int_eq(waitpid(w1, &st, 0), w1);
	ck_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	pid_t w2 = start_worker(app, log2);
	r = PQexec(hold, "ROLLBACK");
	PQclear(r);
	PQfinish(hold);
	/* The second worker seals everything once the first one's session has
	 * gone. */
	long sealed = 0;
	for (int i = 0; i < 600 && sealed < events; i++) {
		sealed = ts_scalar(db, "SELECT count(*) FROM audit_chain");
		if (sealed < events)
			usleep(100 * 1000);
	}
	ck_assert_int_eq(sealed, events);
	ck_assert_int_eq(ts_scalar(db, "SELECT count(DISTINCT event_id) FROM audit_chain"), events);
	ck_assert_int_eq(ts_scalar(db, "SELECT max(seq) FROM audit_chain"), events);
	ck_assert_int_eq(ts_scalar(db, "SELECT count(*) FROM audit_event e WHERE NOT EXISTS "
				       "(SELECT 1 FROM audit_chain c WHERE c.event_id = e.seq)"),
			 0);
	verify_passes(db, " 0 pending");
	ck_assert_int_eq(ts_stop_server_log(w2, log2), 0);
	unlink(log1);
	unlink(log2);
	free(app);
	free(db);
}
END_TEST

Suite *audit_suite(void)
{
	Suite *s = suite_create("audit");
	TCase *tc = tcase_create("audit");
	tcase_set_timeout(tc, 240);
	tcase_add_test(tc, test_tamper_insert);
	tcase_add_test(tc, test_tamper_reorder);
	tcase_add_test(tc, test_tamper_truncate);
	tcase_add_test(tc, test_tamper_rewrite);
	tcase_add_test(tc, test_tamper_rewrite_whole_tail);
	tcase_add_test(tc, test_tamper_forged_checkpoints);
	tcase_add_test(tc, test_tamper_cut_tail);
	tcase_add_test(tc, test_verify_while_filing);
	tcase_add_test(tc, test_seal_sigkill);
	suite_add_tcase(s, tc);
	return s;
}
