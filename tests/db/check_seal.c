/* The audit log's sealer (issue 17, sql/0024_audit_queue.sql): writers
 * append without waiting on each other or on the sealer, and touch no lock
 * beyond their own rows; the sealer chains every committed event once, in
 * event id order within a batch; a sealer killed in the middle of a batch,
 * or a batch rolled back, loses and duplicates nothing; a queue row removed
 * or an unsealed event removed is named by verify. */
#include <check.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/xalloc.h"
#include "db/audit.h"
#include "db/audit_key.h"
#include "db/db.h"
#include "db/seal.h"
#include "db/tx.h"
#include "mail/digest.h"
#include "support.h"

Suite *seal_suite(void);

static char *db;  /* the owner's conninfo */
static char *app; /* the application role's */

static PGconn *connect_to(const char *conninfo)
{
	char err[256];
	PGconn *c = db_connect(conninfo, err, sizeof err);
	ck_assert_msg(c != NULL, "%s", err);
	return c;
}

static void setup(void)
{
	db = ts_prepared_database(0);
	app = ts_app_conninfo(db);
}

static void teardown(void)
{
	free(app);
	free(db);
}

static void ok(PGconn *c, const char *sql)
{
	PGresult *r = PQexec(c, sql);
	ck_assert_msg(db_ok(r), "%s: %s", sql, PQresultErrorMessage(r));
	PQclear(r);
}

static void append(PGconn *c, int n)
{
	json_t *d = json_pack("{si}", "n", n);
	struct db_err e;
	enum db_qs qs = audit_append(c, &e, 0, "test.event", "192.0.2.1", 0, d);
	json_decref(d);
	ck_assert_msg(qs >= 0, "audit_append: %s", qs < 0 ? e.msg : "");
}

/* `sokuho audit verify`'s function; returns its status, output in *out
 * (caller frees) when out is not NULL. */
static int verify(char **out)
{
	PGconn *c = connect_to(db);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int rc = audit_verify(c, f);
	fclose(f);
	PQfinish(c);
	if (out)
		*out = buf;
	else
		free(buf);
	return rc;
}

static void verify_passes(void)
{
	char *out;
	int rc = verify(&out);
	ck_assert_msg(rc == 0 && strstr(out, "audit log intact") && strstr(out, " 0 pending"),
		      "verify %d: %s", rc, out);
	free(out);
}

static void seal_all(PGconn *c)
{
	for (int i = 0; i < 1000 && audit_seal_tick(c, 500) > 0; i++)
		;
}

/* Every event in the chain once, places 1..N without a gap, nothing queued. */
static void chain_complete(void)
{
	long events = ts_scalar(db, "SELECT count(*) FROM audit_event");
	ck_assert_int_eq(ts_scalar(db, "SELECT count(*) FROM audit_chain"), events);
	ck_assert_int_eq(ts_scalar(db, "SELECT count(DISTINCT event_id) FROM audit_chain"), events);
	ck_assert_int_eq(ts_scalar(db, "SELECT max(seq) FROM audit_chain"), events);
	ck_assert_int_eq(ts_scalar(db, "SELECT count(*) FROM audit_queue"), 0);
	ck_assert_int_eq(ts_scalar(db, "SELECT count(*) FROM audit_event e WHERE NOT EXISTS "
				       "(SELECT 1 FROM audit_chain c WHERE c.event_id = e.seq)"),
			 0);
}

/* Locks held by backend pid other than on relations and its own
 * transaction id: an advisory lock, a tuple or another transaction's id. */
static long foreign_locks(PGconn *c)
{
	char q[256];
	snprintf(q, sizeof q,
		 "SELECT count(*) FROM pg_locks WHERE pid = %d AND locktype NOT IN "
		 "('relation', 'virtualxid', 'transactionid')",
		 PQbackendPID(c));
	return ts_scalar(db, q);
}

/* Two open transactions of the application role each append (with a lock
 * timeout that would fail a wait), while a sealer's batch is open too;
 * neither holds an advisory lock; all commit in any order and everything
 * is sealed once. */
START_TEST(test_writers_do_not_wait)
{
	PGconn *a = connect_to(app), *b = connect_to(app), *s = connect_to(app);
	ok(a, "SET lock_timeout = '300ms'");
	ok(b, "SET lock_timeout = '300ms'");
	ok(a, "BEGIN");
	append(a, 1);
	ok(b, "BEGIN");
	append(b, 2);
	append(a, 3);
	/* The sealer holds its lock and a batch open meanwhile. */
	ok(s, "BEGIN");
	ok(s, "SELECT audit_seal(1000)");
	append(b, 4);
	append(a, 5);
	ck_assert_int_eq(foreign_locks(a), 0);
	ck_assert_int_eq(foreign_locks(b), 0);
	ck_assert_int_eq(ts_scalar(db, "SELECT count(*) FROM pg_locks WHERE locktype = "
				       "'advisory' AND objid = " AUDIT_SEAL_LOCK),
			 1);
	/* A second sealer does not wait either: it seals nothing. */
	ck_assert_int_eq(ts_scalar(app, "SELECT audit_seal(1000)"), 0);
	ok(b, "COMMIT");
	ok(s, "COMMIT");
	/* b's events are sealed before a's, whose ids are lower: the chain's
	 * order is that of the batches, each batch in id order. */
	ck_assert_int_eq(audit_seal_tick(s, 1000), 2);
	ok(a, "COMMIT");
	ck_assert_int_eq(audit_seal_tick(s, 1000), 3);
	ck_assert_int_eq(audit_seal_tick(s, 1000), 0);
	chain_complete();
	ck_assert_int_eq(ts_scalar(db, "SELECT count(*) FROM audit_chain c JOIN audit_event e ON "
				       "e.seq = c.event_id WHERE e.kind = 'test.event' AND c.seq > "
				       "(SELECT c2.seq FROM audit_chain c2 JOIN audit_event e2 ON "
				       "e2.seq = c2.event_id WHERE e2.detail = '{\"n\": 2}')"),
			 4);
	verify_passes();
	PQfinish(a);
	PQfinish(b);
	PQfinish(s);
}
END_TEST

/* The application role may append but not write the chain, nor remove a
 * queue row, nor empty the queue. */
START_TEST(test_app_role_cannot_touch_chain)
{
	PGconn *c = connect_to(app);
	append(c, 1);
	const char *refused[] = {
		"INSERT INTO audit_chain (seq, event_id, prev_hash, hash) VALUES (99999, 1, '\\x', "
		"'\\x')",
		"DELETE FROM audit_queue",
		"UPDATE audit_queue SET event_id = event_id + 1000000",
		"TRUNCATE audit_queue",
	};
	for (size_t i = 0; i < sizeof refused / sizeof *refused; i++) {
		PGresult *r = PQexec(c, refused[i]);
		ck_assert_msg(!db_ok(r), "%s was allowed", refused[i]);
		ck_assert_msg(strcmp(PQresultErrorField(r, PG_DIAG_SQLSTATE), "42501") == 0,
			      "%s: %s", refused[i], PQresultErrorMessage(r));
		PQclear(r);
	}
	ck_assert_int_ge(audit_seal_tick(c, 1000), 1);
	chain_complete();
	PQfinish(c);
}
END_TEST

/* Four writers on their own connections, 60 transactions of one to three
 * events each, while a sealer seals small batches: each event sealed once,
 * each batch in event id order, verify passes. */
struct writer {
	const char *conninfo;
	int id;
};

static void *write_events(void *arg)
{
	struct writer *w = arg;
	char err[256];
	PGconn *c = db_connect(w->conninfo, err, sizeof err);
	if (!c)
		return (void *)1;
	for (int t = 0; t < 60; t++) {
		PQclear(PQexec(c, "BEGIN"));
		for (int k = 0; k <= t % 3; k++) {
			json_t *d = json_pack("{sisisi}", "w", w->id, "t", t, "k", k);
			struct db_err e;
			if (audit_append(c, &e, 0, "test.event", NULL, 0, d) < 0) {
				json_decref(d);
				PQfinish(c);
				return (void *)1;
			}
			json_decref(d);
		}
		PQclear(PQexec(c, "COMMIT"));
	}
	PQfinish(c);
	return NULL;
}

struct sealer {
	const char *conninfo;
	volatile int *stop;
	int ticks;
	int failed;
};

static void *seal_loop(void *arg)
{
	struct sealer *s = arg;
	char err[256];
	PGconn *c = db_connect(s->conninfo, err, sizeof err);
	if (!c) {
		s->failed = 1;
		return NULL;
	}
	while (!*s->stop) {
		if (audit_seal_tick(c, 7) < 0)
			s->failed = 1;
		s->ticks++;
	}
	PQfinish(c);
	return NULL;
}

START_TEST(test_concurrent_writers_sealed_once)
{
	enum { W = 4 };
	pthread_t t[W], st;
	struct writer w[W];
	volatile int stop = 0;
	struct sealer s = {app, &stop, 0, 0};
	pthread_create(&st, NULL, seal_loop, &s);
	for (int i = 0; i < W; i++) {
		w[i] = (struct writer){app, i};
		pthread_create(&t[i], NULL, write_events, &w[i]);
	}
	for (int i = 0; i < W; i++) {
		void *rv;
		pthread_join(t[i], &rv);
		ck_assert_msg(rv == NULL, "writer %d failed", i);
	}
	stop = 1;
	pthread_join(st, NULL);
	ck_assert(!s.failed);
	ck_assert_int_gt(s.ticks, 1);
	PGconn *c = connect_to(app);
	seal_all(c);
	PQfinish(c);
	chain_complete();
	ck_assert_int_eq(ts_scalar(db, "SELECT count(*) FROM audit_event WHERE kind = 'test.event'"),
			 W * 120);
	/* Within one batch (one sealing transaction, one sealed_at) places
	 * follow event ids. */
	ck_assert_int_eq(ts_scalar(db, "SELECT count(*) FROM audit_chain a JOIN audit_chain b ON "
				       "b.seq = a.seq + 1 AND b.sealed_at = a.sealed_at "
				       "WHERE b.event_id < a.event_id"),
			 0);
	verify_passes();
}
END_TEST

/* A sealer whose session dies while it is held in the middle of a batch (a
 * place it needs is taken by an uncommitted row), and then a batch rolled
 * back: the queue and the chain are as before; the next sealer seals every
 * event once. */
START_TEST(test_sealer_killed_mid_batch)
{
	ts_sql(db, "INSERT INTO audit_event (kind, detail) SELECT 'test.bulk', "
		   "jsonb_build_object('n', g) FROM generate_series(1, 3000) g");
	long queued = ts_scalar(db, "SELECT count(*) FROM audit_queue");
	long head = ts_scalar(db, "SELECT coalesce(max(seq), 0) FROM audit_chain");
	ck_assert_int_ge(queued, 3000);
	PGconn *hold = connect_to(db);
	char q[256];
	snprintf(q, sizeof q,
		 "BEGIN; INSERT INTO audit_chain (seq, event_id, prev_hash, hash) "
		 "VALUES (%ld, -1, '\\x', '\\x')",
		 head + 400);
	ok(hold, q);
	PGconn *s = connect_to(app);
	ck_assert_int_eq(PQsendQuery(s, "SELECT audit_seal(1000)"), 1);
	int waiting = 0;
	for (int i = 0; i < 200 && !waiting; i++) {
		snprintf(q, sizeof q,
			 "SELECT count(*) FROM pg_stat_activity WHERE pid = %d AND "
			 "wait_event_type = 'Lock'",
			 PQbackendPID(s));
		waiting = ts_scalar(db, q) == 1;
		if (!waiting)
			usleep(20 * 1000);
	}
	ck_assert_msg(waiting, "the sealer never reached the held place");
	/* 399 places of its batch written, not committed: the session ends. */
	snprintf(q, sizeof q, "SELECT pg_terminate_backend(%d)::int", PQbackendPID(s));
	ck_assert_int_eq(ts_scalar(db, q), 1);
	PGresult *r;
	while ((r = PQgetResult(s)) != NULL) {
		ck_assert(!db_ok(r));
		PQclear(r);
	}
	PQfinish(s);
	ok(hold, "ROLLBACK");
	PQfinish(hold);
	ck_assert_int_eq(ts_scalar(db, "SELECT count(*) FROM audit_queue"), queued);
	ck_assert_int_eq(ts_scalar(db, "SELECT coalesce(max(seq), 0) FROM audit_chain"), head);

	/* A batch rolled back changes nothing either. */
	s = connect_to(app);
	ok(s, "BEGIN");
	r = PQexec(s, "SELECT audit_seal(500)");
	ck_assert(db_ok(r));
	ck_assert_str_eq(PQgetvalue(r, 0, 0), "500");
	PQclear(r);
	ok(s, "ROLLBACK");
	ck_assert_int_eq(ts_scalar(db, "SELECT count(*) FROM audit_queue"), queued);
	ck_assert_int_eq(ts_scalar(db, "SELECT coalesce(max(seq), 0) FROM audit_chain"), head);

	seal_all(s);
	PQfinish(s);
	chain_complete();
	verify_passes();
}
END_TEST

/* Someone who can write the database removes a queue row (the event would
 * never be sealed), or an event before it was sealed: verify names it. */
START_TEST(test_unsealed_tampering_named)
{
	PGconn *c = connect_to(app);
	for (int i = 0; i < 5; i++)
		append(c, i);
	PQfinish(c);
	long ev = ts_scalar(db, "SELECT max(event_id) FROM audit_queue");
	char *out;
	ck_assert_int_eq(verify(&out), 0);
	ck_assert_msg(strstr(out, " 5 pending"), "%s", out);
	free(out);
	char q[160];
	snprintf(q, sizeof q, "DELETE FROM audit_queue WHERE event_id = %ld", ev);
	ts_sql(db, q);
	ck_assert_int_eq(verify(&out), 1);
	snprintf(q, sizeof q, "broken at event %ld (not sealed): it is neither in the chain", ev);
	ck_assert_msg(strstr(out, q), "%s", out);
	free(out);
	snprintf(q, sizeof q, "INSERT INTO audit_queue VALUES (%ld)", ev);
	ts_sql(db, q);
	ck_assert_int_eq(verify(NULL), 0);

	ts_sql(db, "ALTER TABLE audit_event DISABLE TRIGGER audit_event_no_update");
	snprintf(q, sizeof q, "DELETE FROM audit_event WHERE seq = %ld", ev - 1);
	ts_sql(db, q);
	ts_sql(db, "ALTER TABLE audit_event ENABLE TRIGGER audit_event_no_update");
	ck_assert_int_eq(verify(&out), 1);
	snprintf(q, sizeof q, "broken at event %ld (not sealed): it was queued", ev - 1);
	ck_assert_msg(strstr(out, q), "%s", out);
	free(out);
	/* The sealer goes on with the others and leaves that row for verify. */
	c = connect_to(app);
	seal_all(c);
	PQfinish(c);
	ck_assert_int_eq(ts_scalar(db, "SELECT count(*) FROM audit_queue"), 1);
	ck_assert_int_eq(verify(NULL), 1);
}
END_TEST

/* A key in a fresh folder; the path in *path (caller frees). */
static void new_key(struct audit_key *k, char **path)
{
	char *dir = ts_tmpdir();
	*path = xasprintf("%s/audit.key", dir);
	free(dir);
	char err[256];
	ck_assert_msg(audit_key_generate(*path, k, err, sizeof err) == 0, "%s", err);
}

static int verify_key(const struct audit_key *k, const struct audit_checkpoint *given, int n,
		      char **out)
{
	PGconn *c = connect_to(db);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int rc = audit_verify_with(c, f, k, given, n);
	fclose(f);
	PQfinish(c);
	*out = buf;
	return rc;
}

/* The key file: mode 0600, never overwritten, refused when others may read
 * it, read back as the same key; its secret never in what keygen leaves
 * but the file. A checkpoint line parses back and its signature holds only
 * for its own fields and key. */
START_TEST(test_key_and_checkpoint_text)
{
	struct audit_key k, back, other;
	char *path, *path2, err[256];
	new_key(&k, &path);
	struct stat st;
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	ck_assert_int_eq(audit_key_generate(path, &back, err, sizeof err), -1);
	ck_assert_msg(strstr(err, "never overwritten"), "%s", err);
	ck_assert_int_eq(audit_key_load(path, &back, err, sizeof err), 0);
	ck_assert_str_eq(back.id, k.id);
	ck_assert(memcmp(back.sk, k.sk, sizeof k.sk) == 0);
	chmod(path, 0640);
	ck_assert_int_eq(audit_key_load(path, &back, err, sizeof err), -1);
	ck_assert_msg(strstr(err, "chmod 600"), "%s", err);
	chmod(path, 0600);
	ts_write_file(path, "secret 1234\n");
	chmod(path, 0600);
	ck_assert_int_eq(audit_key_load(path, &back, err, sizeof err), -1);
	ck_assert_msg(strstr(err, "no key in it") && !strstr(err, "1234"), "%s", err);

	struct audit_checkpoint cp = {.seq = 42, .at = "2026-12-08T00:00:00Z"};
	memset(cp.hash, 'a', 64);
	audit_checkpoint_sign(&k, &cp);
	ck_assert_str_eq(cp.key_id, k.id);
	char line[320];
	audit_checkpoint_format(&cp, line, sizeof line);
	struct audit_checkpoint p;
	ck_assert_int_eq(audit_checkpoint_parse(line, &p), 0);
	ck_assert_int_eq(p.seq, 42);
	ck_assert(audit_checkpoint_sig_ok(&k, &p));
	struct audit_key pub;
	ck_assert_int_eq(audit_key_public(k.pk_hex, &pub, err, sizeof err), 0);
	ck_assert(!pub.has_secret);
	ck_assert(audit_checkpoint_sig_ok(&pub, &p));
	p.seq = 43;
	ck_assert(!audit_checkpoint_sig_ok(&k, &p));
	new_key(&other, &path2);
	ck_assert(!audit_checkpoint_sig_ok(&other, &cp));
	ck_assert_int_eq(audit_checkpoint_parse("sokuho-checkpoint v1 place=1 hash=ab", &p), -1);
	ck_assert_int_eq(audit_key_public("abcd", &pub, err, sizeof err), -1);
	free(path);
	free(path2);
}
END_TEST

/* The sealer signs the head when events were sealed and the last
 * checkpoint is old enough: at once the first time, then not again within
 * the interval, then again once the clock is past it; not when nothing new
 * was sealed, except once on the next day. Verify checks them with the
 * key. */
START_TEST(test_sealer_signs_checkpoints)
{
	struct audit_key k;
	char *path;
	new_key(&k, &path);
	audit_seal_set_key(&k, 60);
	/* 01:00 Japan time today, so that no step below crosses midnight. */
	ts_sql(db, "UPDATE clock_offset SET offset_by = " TS_EARLY_MORNING);
	PGconn *c = connect_to(app);
	append(c, 1);
	audit_seal_tick(c, 1000);
	ck_assert_int_eq(ts_scalar(db, "SELECT count(*) FROM audit_checkpoint"), 1);
	ck_assert_int_eq(ts_scalar(db, "SELECT seq FROM audit_checkpoint"),
			 ts_scalar(db, "SELECT max(seq) FROM audit_chain"));
	append(c, 2);
	ck_assert_int_eq(audit_seal_tick(c, 1000), 1);
	ck_assert_int_eq(ts_scalar(db, "SELECT count(*) FROM audit_checkpoint"), 1);
	ts_sql(db, "UPDATE clock_offset SET offset_by = " TS_EARLY_MORNING " + interval '61 seconds'");
	ck_assert_int_eq(audit_seal_tick(c, 1000), 0);
	ck_assert_int_eq(ts_scalar(db, "SELECT count(*) FROM audit_checkpoint"), 2);
	ck_assert_int_eq(ts_scalar(db, "SELECT max(seq) FROM audit_checkpoint"),
			 ts_scalar(db, "SELECT max(seq) FROM audit_chain"));
	ts_sql(db, "UPDATE clock_offset SET offset_by = " TS_EARLY_MORNING " + interval '200 seconds'");
	audit_seal_tick(c, 1000);
	ck_assert_int_eq(ts_scalar(db, "SELECT count(*) FROM audit_checkpoint"), 2);
	/* The next day's first batch signs the same head again, once. */
	ts_sql(db, "UPDATE clock_offset SET offset_by = " TS_EARLY_MORNING " + interval '1 day'");
	audit_seal_tick(c, 1000);
	audit_seal_tick(c, 1000);
	ck_assert_int_eq(ts_scalar(db, "SELECT count(*) FROM audit_checkpoint"), 3);
	ck_assert_int_eq(ts_scalar(db, "SELECT count(DISTINCT seq) FROM audit_checkpoint"), 2);
	PQfinish(c);
	char *out;
	int rc = verify_key(&k, NULL, 0, &out);
	ck_assert_msg(rc == 0 && strstr(out, "3 checkpoints agree"), "%d: %s", rc, out);
	free(out);
	/* The application role cannot change or remove a checkpoint. */
	ck_assert_int_eq(ts_scalar(app, "SELECT count(*) FROM audit_checkpoint"), 3);
	PGconn *a = connect_to(app);
	PGresult *r = PQexec(a, "DELETE FROM audit_checkpoint");
	ck_assert(!db_ok(r));
	ck_assert_str_eq(PQresultErrorField(r, PG_DIAG_SQLSTATE), "42501");
	PQclear(r);
	PQfinish(a);
	audit_seal_set_key(NULL, 60);
	free(path);
}
END_TEST

/* The newest events and their places cut off by someone who can write the
 * database: the stored checkpoint, or one kept outside when those are gone
 * too, names where the chain now ends. */
START_TEST(test_checkpoint_catches_cut_tail)
{
	struct audit_key k;
	char *path;
	new_key(&k, &path);
	PGconn *c = connect_to(app);
	for (int i = 0; i < 10; i++)
		append(c, i);
	struct audit_checkpoint kept;
	char err[256];
	ck_assert_int_eq(audit_checkpoint_now(c, &k, &kept, err, sizeof err), 1);
	PQfinish(c);
	long head = ts_scalar(db, "SELECT max(seq) FROM audit_chain");
	ck_assert_int_eq(kept.seq, head);
	ts_sql(db, "ALTER TABLE audit_event DISABLE TRIGGER audit_event_no_update");
	ts_sql(db, "ALTER TABLE audit_chain DISABLE TRIGGER audit_chain_no_update");
	char q[200];
	snprintf(q, sizeof q,
		 "DELETE FROM audit_event WHERE seq IN (SELECT event_id FROM audit_chain "
		 "WHERE seq > %ld)",
		 head - 3);
	ts_sql(db, q);
	snprintf(q, sizeof q, "DELETE FROM audit_chain WHERE seq > %ld", head - 3);
	ts_sql(db, q);
	ts_sql(db, "ALTER TABLE audit_event ENABLE TRIGGER audit_event_no_update");
	ts_sql(db, "ALTER TABLE audit_chain ENABLE TRIGGER audit_chain_no_update");
	/* The chain alone is intact; its end is not where a checkpoint says,
	 * even when no key checks the checkpoint's signature. */
	char *out, want[160];
	ck_assert_int_eq(verify(&out), 1);
	ck_assert_msg(strstr(out, "were removed"), "%s", out);
	free(out);
	ck_assert_int_eq(verify_key(&k, NULL, 0, &out), 1);
	snprintf(want, sizeof want, "(place %ld): the chain ends there, but the stored checkpoint",
		 head - 3);
	ck_assert_msg(strstr(out, want) && strstr(out, "the newest 3 sealed events were removed"),
		      "%s", out);
	free(out);
	ts_sql(db, "ALTER TABLE audit_checkpoint DISABLE TRIGGER audit_checkpoint_no_update");
	ts_sql(db, "DELETE FROM audit_checkpoint");
	ts_sql(db, "ALTER TABLE audit_checkpoint ENABLE TRIGGER audit_checkpoint_no_update");
	ck_assert_int_eq(verify_key(&k, NULL, 0, &out), 0);
	ck_assert_msg(strstr(out, "no checkpoint"), "%s", out);
	free(out);
	ck_assert_int_eq(verify_key(&k, &kept, 1, &out), 1);
	ck_assert_msg(strstr(out, "the given checkpoint") && strstr(out, "3 sealed events were "
									 "removed"),
		      "%s", out);
	free(out);
	free(path);
}
END_TEST

/* The day's checkpoint leaves the database in the daily digest, which the
 * auditor now gets too: the line parses and its signature holds. */
START_TEST(test_digest_carries_checkpoint)
{
	char *demo = ts_prepared_database(1);
	struct audit_key k;
	char *path;
	new_key(&k, &path);
	ts_sql(demo, "UPDATE clock_offset SET offset_by = (date_trunc('day', now() AT TIME ZONE "
		     "'Asia/Tokyo') + interval '8 hours 30 minutes') - (now() AT TIME ZONE "
		     "'Asia/Tokyo')");
	PGconn *c = connect_to(demo);
	struct audit_checkpoint cp;
	char err[256];
	ck_assert_int_eq(audit_checkpoint_now(c, &k, &cp, err, sizeof err), 1);
	digest_enqueue(c, "https://sokuho.example");
	digest_enqueue(c, "https://sokuho.example");
	const char *who[] = {"sato.kenichi", "wada.tomomi"}; /* the CISO, the auditor */
	for (int i = 0; i < 2; i++) {
		char q[320];
		snprintf(q, sizeof q,
			 "SELECT o.data ->> 'checkpoint' FROM outbox o JOIN person p ON p.id = "
			 "o.recipient_id WHERE o.template = 'daily_digest' AND p.login = '%s'",
			 who[i]);
		PGresult *r = PQexec(c, q);
		ck_assert_msg(db_ok(r) && PQntuples(r) == 1, "%s: %d digests", who[i],
			      PQntuples(r));
		struct audit_checkpoint got;
		ck_assert_msg(audit_checkpoint_parse(PQgetvalue(r, 0, 0), &got) == 0, "%s",
			      PQgetvalue(r, 0, 0));
		ck_assert_int_eq(got.seq, cp.seq);
		ck_assert_str_eq(got.hash, cp.hash);
		ck_assert(audit_checkpoint_sig_ok(&k, &got));
		PQclear(r);
	}
	PQfinish(c);
	free(path);
	free(demo);
}
END_TEST

Suite *seal_suite(void)
{
	Suite *s = suite_create("seal");
	TCase *tc = tcase_create("seal");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_writers_do_not_wait);
	tcase_add_test(tc, test_app_role_cannot_touch_chain);
	tcase_add_test(tc, test_concurrent_writers_sealed_once);
	tcase_add_test(tc, test_sealer_killed_mid_batch);
	tcase_add_test(tc, test_unsealed_tampering_named);
	tcase_add_test(tc, test_key_and_checkpoint_text);
	tcase_add_test(tc, test_sealer_signs_checkpoints);
	tcase_add_test(tc, test_checkpoint_catches_cut_tail);
	tcase_add_test(tc, test_digest_carries_checkpoint);
	suite_add_tcase(s, tc);
	return s;
}
