/* Writing audit events (see audit.h). */
#include "audit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "db.h"

int audit_log(PGconn *conn, int actor_id, const char *kind, const char *ip, const json_t *detail)
{
	return audit_log_incident(conn, actor_id, kind, ip, 0, detail);
}

int audit_log_incident(PGconn *conn, int actor_id, const char *kind, const char *ip,
		       long long incident_id, const json_t *detail)
{
	struct db_err e;
	return audit_append(conn, &e, actor_id, kind, ip, incident_id, detail) < 0 ? -1 : 0;
}

enum db_qs audit_append(PGconn *conn, struct db_err *e, int actor_id, const char *kind,
			const char *ip, long long incident_id, const json_t *detail)
{
	char actor[16], inc[24];
	snprintf(actor, sizeof actor, "%d", actor_id);
	snprintf(inc, sizeof inc, "%lld", incident_id);
	char *d = detail ? json_dumps(detail, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	/* The incident column exists from migration 0004 on; events before
	 * any incident exists keep the shorter statement. */
	const char *params[5] = {actor_id > 0 ? actor : NULL, kind, ip, d ? d : "{}", inc};
	enum db_qs qs = db_exec(conn, e,
				incident_id > 0
					? "INSERT INTO audit_event (actor_id, kind, ip, detail, "
					  "incident_id) VALUES ($1, $2, $3::inet, $4::jsonb, $5)"
					: "INSERT INTO audit_event (actor_id, kind, ip, detail) "
					  "VALUES ($1, $2, $3::inet, $4::jsonb)",
				incident_id > 0 ? 5 : 4, params, NULL);
	if (qs < 0)
		log_event(LOG_ERROR, "audit_failed", "kind=%s error=%s", log_quote(0, kind),
			  log_quote(1, e->msg));
	free(d);
	return qs;
}

/* Columns of the verify query. */
enum { V_SEQ, V_EVENT, V_KIND, V_AT, V_PRESENT, V_ROW, V_LINK, V_PLACE, V_WAS_BEFORE, V_WAS_AFTER,
       V_MISSING };

static void verify_name(FILE *out, PGresult *r, int i)
{
	fprintf(out, "audit log broken at event %s (place %s", PQgetvalue(r, i, V_EVENT),
		PQgetvalue(r, i, V_SEQ));
	if (!PQgetisnull(r, i, V_KIND))
		fprintf(out, ", %s, %s", PQgetvalue(r, i, V_KIND), PQgetvalue(r, i, V_AT));
	fputs("): ", out);
}

static int is_true(PGresult *r, int i, int col)
{
	return !PQgetisnull(r, i, col) && PQgetvalue(r, i, col)[0] == 't';
}

static int verify_chain(PGconn *conn, FILE *out, int *checked, long long *pending)
{
	/* Each place of the chain recomputed with the one digest, audit_digest
	 * (sql/0013_audit_sealer.sql), that the sealer used. A place whose
	 * hash is wrong is tried one place up and down as well, to tell an
	 * event moved by an insertion or a removal before it from a changed
	 * one. */
	PGresult *r = PQexec(
		conn,
		"SELECT seq, event_id, kind, at, present, row_ok, link_ok, seq_ok, "
		"  CASE WHEN NOT row_ok AND present THEN hash = audit_digest(seq - 1, prev_hash, e) END, "
		"  CASE WHEN NOT row_ok AND present THEN hash = audit_digest(seq + 1, prev_hash, e) END, "
		"  count(*) FILTER (WHERE NOT present) OVER () "
		"FROM (SELECT c.seq, c.event_id, c.hash, c.prev_hash, e, e.kind, "
		"  to_char(e.at AT TIME ZONE 'Asia/Tokyo', 'YYYY-MM-DD HH24:MI:SS') AS at, "
		"  e.seq IS NOT NULL AS present, "
		"  e.seq IS NOT NULL AND c.hash = audit_digest(c.seq, c.prev_hash, e) AS row_ok, "
		"  c.prev_hash = coalesce(lag(c.hash) OVER w, '\\x'::bytea) AS link_ok, "
		"  c.seq = row_number() OVER w AS seq_ok "
		"  FROM audit_chain c LEFT JOIN audit_event e ON e.seq = c.event_id "
		"  WINDOW w AS (ORDER BY c.seq)) v ORDER BY seq");
	if (!db_ok(r)) {
		fprintf(out, "audit verify: database error: %s", PQresultErrorMessage(r));
		PQclear(r);
		return -1;
	}
	int n = PQntuples(r), rc = 0;
	for (int i = 0; i < n && rc == 0; i++) {
		int row = is_true(r, i, V_ROW), link = is_true(r, i, V_LINK);
		rc = 1;
		if (!is_true(r, i, V_PRESENT)) {
			verify_name(out, r, i);
			fprintf(out, "it was removed from the log (%s of the %d events the chain names "
				"are missing)",
				PQgetvalue(r, i, V_MISSING), n);
		} else if (!is_true(r, i, V_PLACE)) {
			verify_name(out, r, i);
			fputs("places of the chain before it are missing", out);
		} else if (!link && !row && i > 0 && is_true(r, i, V_WAS_BEFORE)) {
			/* It was one place further up: the event before it came
			 * in later. */
			i--;
			verify_name(out, r, i);
			fprintf(out, "it was inserted into the chain (event %s after it was at its "
				"place)",
				PQgetvalue(r, i + 1, V_EVENT));
		} else if (!link && !row && is_true(r, i, V_WAS_AFTER)) {
			verify_name(out, r, i);
			fprintf(out, "the event before it was removed from the chain (it was at place "
				"%lld)",
				atoll(PQgetvalue(r, i, V_SEQ)) + 1);
		} else if (!link && row && i > 0) {
			/* This place is right, the one before it is not what it
			 * chained to: that one was rewritten. */
			i--;
			verify_name(out, r, i);
			fputs("it was changed and its place in the chain rewritten", out);
		} else if (!link) {
			verify_name(out, r, i);
			fputs("the place before it was changed, removed or inserted", out);
		} else if (!row) {
			verify_name(out, r, i);
			fputs("it was changed or moved from its place", out);
		} else {
			rc = 0;
			continue;
		}
		fprintf(out, "; the %d events before it are intact\n", i);
	}
	PQclear(r);
	if (rc != 0)
		return rc;
	/* Events not in the chain: each must be queued for the sealer (the
	 * trigger queues it in its own transaction), and each queue row must
	 * name an event. */
	r = PQexec(conn,
		   "SELECT (SELECT count(*) FROM audit_queue q JOIN audit_event e "
		   "        ON e.seq = q.event_id), "
		   "  (SELECT min(e.seq) FROM audit_event e WHERE NOT EXISTS "
		   "    (SELECT 1 FROM audit_chain c WHERE c.event_id = e.seq) AND NOT EXISTS "
		   "    (SELECT 1 FROM audit_queue q WHERE q.event_id = e.seq)), "
		   "  (SELECT min(q.event_id) FROM audit_queue q WHERE NOT EXISTS "
		   "    (SELECT 1 FROM audit_event e WHERE e.seq = q.event_id) AND NOT EXISTS "
		   "    (SELECT 1 FROM audit_chain c WHERE c.event_id = q.event_id))");
	if (!db_ok(r)) {
		fprintf(out, "audit verify: database error: %s", PQresultErrorMessage(r));
		PQclear(r);
		return -1;
	}
	if (!PQgetisnull(r, 0, 1)) {
		fprintf(out, "audit log broken at event %s (not sealed): it is neither in the chain "
			"nor queued for the sealer (its queue row was removed)\n",
			PQgetvalue(r, 0, 1));
		rc = 1;
	} else if (!PQgetisnull(r, 0, 2)) {
		fprintf(out, "audit log broken at event %s (not sealed): it was queued for the "
			"sealer and removed from the log before it was sealed\n",
			PQgetvalue(r, 0, 2));
		rc = 1;
	}
	*checked = n;
	*pending = atoll(PQgetvalue(r, 0, 0));
	PQclear(r);
	return rc;
}

/* One checkpoint to check: stored in audit_checkpoint or given. */
struct cpcheck {
	struct audit_checkpoint cp;
	char chain_hash[65]; /* the chain's hash at cp.seq; "" when there is no such place */
	long long event;     /* the event at that place */
	int given;
	int order;
};

static int cpcheck_cmp(const void *a, const void *b)
{
	const struct cpcheck *x = a, *y = b;
	if (x->cp.seq != y->cp.seq)
		return x->cp.seq < y->cp.seq ? -1 : 1;
	return x->order - y->order;
}

static void cp_name(FILE *out, const struct cpcheck *k, int with_place)
{
	fprintf(out, "the %s checkpoint of %s (", k->given ? "given" : "stored", k->cp.at);
	if (with_place)
		fprintf(out, "place %lld, ", k->cp.seq);
	fprintf(out, "key %s)", k->cp.key_id);
}

/* Checks every stored and given checkpoint against the trusted key (when
 * there is one) and the chain. 0 when all agree, 1 naming the first that
 * does not (by place), -1 on a database error. */
static int verify_checkpoints(PGconn *conn, FILE *out, const struct audit_key *trusted,
			      const struct audit_checkpoint *given, int ngiven, int *nchecked,
			      char *newest, size_t newestlen)
{
	PGresult *r = PQexec(conn,
			     "SELECT k.seq, encode(k.hash, 'hex'), "
			     "  to_char(k.at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), "
			     "  k.key_id, encode(k.signature, 'hex'), coalesce(encode(c.hash, 'hex'), ''), "
			     "  coalesce(c.event_id, 0) "
			     "FROM audit_checkpoint k LEFT JOIN audit_chain c ON c.seq = k.seq "
			     "ORDER BY k.seq, k.at");
	PGresult *h = PQexec(conn, "SELECT coalesce(max(seq), 0), coalesce((SELECT event_id FROM "
				   "audit_chain ORDER BY seq DESC LIMIT 1), 0) FROM audit_chain");
	if (!db_ok(r) || !db_ok(h)) {
		fprintf(out, "audit verify: database error: %s",
			PQresultErrorMessage(db_ok(r) ? h : r));
		PQclear(r);
		PQclear(h);
		return -1;
	}
	long long head = atoll(PQgetvalue(h, 0, 0)), head_event = atoll(PQgetvalue(h, 0, 1));
	PQclear(h);
	int ns = PQntuples(r), n = ns + ngiven;
	struct cpcheck *ks = calloc((size_t)(n > 0 ? n : 1), sizeof *ks);
	if (!ks)
		abort();
	for (int i = 0; i < ns; i++) {
		struct cpcheck *k = &ks[i];
		k->cp.seq = atoll(PQgetvalue(r, i, 0));
		snprintf(k->cp.hash, sizeof k->cp.hash, "%s", PQgetvalue(r, i, 1));
		snprintf(k->cp.at, sizeof k->cp.at, "%s", PQgetvalue(r, i, 2));
		snprintf(k->cp.key_id, sizeof k->cp.key_id, "%s", PQgetvalue(r, i, 3));
		const char *sig = PQgetvalue(r, i, 4);
		size_t got = 0;
		if (sodium_hex2bin(k->cp.sig, sizeof k->cp.sig, sig, strlen(sig), NULL, &got, NULL) !=
			    0 ||
		    got != sizeof k->cp.sig)
			memset(k->cp.sig, 0, sizeof k->cp.sig);
		snprintf(k->chain_hash, sizeof k->chain_hash, "%s", PQgetvalue(r, i, 5));
		k->event = atoll(PQgetvalue(r, i, 6));
		k->order = i;
	}
	PQclear(r);
	int rc = 0;
	for (int j = 0; j < ngiven && rc == 0; j++) {
		struct cpcheck *k = &ks[ns + j];
		k->cp = given[j];
		k->given = 1;
		k->order = ns + j;
		char seq[24];
		snprintf(seq, sizeof seq, "%lld", k->cp.seq);
		const char *p[1] = {seq};
		r = PQexecParams(conn, "SELECT encode(hash, 'hex'), event_id FROM audit_chain "
				       "WHERE seq = $1::bigint",
				 1, NULL, p, NULL, NULL, 0);
		if (!db_ok(r)) {
			fprintf(out, "audit verify: database error: %s", PQresultErrorMessage(r));
			rc = -1;
		} else if (PQntuples(r) == 1) {
			snprintf(k->chain_hash, sizeof k->chain_hash, "%s", PQgetvalue(r, 0, 0));
			k->event = atoll(PQgetvalue(r, 0, 1));
		}
		PQclear(r);
	}
	if (rc != 0) {
		free(ks);
		return rc;
	}
	qsort(ks, (size_t)n, sizeof *ks, cpcheck_cmp);
	long long good = 0; /* the newest place a checkpoint matched */
	for (int i = 0; i < n && rc == 0; i++) {
		const struct cpcheck *k = &ks[i];
		rc = 1;
		if (trusted && strcmp(k->cp.key_id, trusted->id) != 0) {
			fputs("audit log broken: ", out);
			cp_name(out, k, 1);
			fprintf(out, " was not signed by this installation's key %s: another key made "
				"it\n",
				trusted->id);
		} else if (trusted && !audit_checkpoint_sig_ok(trusted, &k->cp)) {
			fputs("audit log broken: ", out);
			cp_name(out, k, 1);
			fputs(" has a bad signature: it was forged or changed\n", out);
		} else if (!k->chain_hash[0]) {
			if (head > 0)
				fprintf(out, "audit log broken after event %lld (place %lld): the chain "
					"ends there, but ",
					head_event, head);
			else
				fputs("audit log broken at place 1: the chain is empty, but ", out);
			cp_name(out, k, 0);
			fprintf(out, " signed place %lld: the newest %lld sealed events were removed\n",
				k->cp.seq, k->cp.seq - head);
		} else if (strcmp(k->chain_hash, k->cp.hash) != 0) {
			fprintf(out, "audit log broken at or before event %lld (place %lld): its hash "
				"is not the one ",
				k->event, k->cp.seq);
			cp_name(out, k, 0);
			if (good > 0)
				fprintf(out, " signed; the chain was rewritten after place %lld, where an "
					"earlier checkpoint still matches\n",
					good);
			else
				fputs(" signed; the chain was rewritten from a place before it\n", out);
		} else {
			good = k->cp.seq;
			rc = 0;
		}
	}
	*nchecked = n;
	newest[0] = '\0';
	if (rc == 0 && n > 0)
		snprintf(newest, newestlen, "place %lld of %s", ks[n - 1].cp.seq, ks[n - 1].cp.at);
	free(ks);
	return rc;
}

int audit_verify_with(PGconn *conn, FILE *out, const struct audit_key *trusted,
		      const struct audit_checkpoint *given, int ngiven)
{
	/* One snapshot for every check: an event and its queue row, a queue
	 * row and the chain place that replaces it, commit together. */
	PGresult *r = PQexec(conn, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
	if (!db_ok(r)) {
		fprintf(out, "audit verify: database error: %s", PQresultErrorMessage(r));
		PQclear(r);
		return -1;
	}
	PQclear(r);
	int checked = 0, ncp = 0;
	long long pending = 0;
	char newest[96] = "";
	int rc = verify_chain(conn, out, &checked, &pending);
	if (rc == 0)
		rc = verify_checkpoints(conn, out, trusted, given, ngiven, &ncp, newest,
					sizeof newest);
	PQclear(PQexec(conn, "ROLLBACK"));
	if (rc != 0)
		return rc;
	fprintf(out, "audit log intact: %d events checked, %lld pending (not yet sealed); ",
		checked, pending);
	if (ncp == 0)
		fputs("no checkpoint", out);
	else
		fprintf(out, "%d checkpoint%s agree, the newest at %s", ncp, ncp == 1 ? "" : "s",
			newest);
	if (ncp > 0 && !trusted)
		fputs(" (signatures not checked: no audit_public_key nor audit_key_file)", out);
	else if (trusted)
		fprintf(out, " (key %s)", trusted->id);
	fputc('\n', out);
	return 0;
}

int audit_verify(PGconn *conn, FILE *out)
{
	return audit_verify_with(conn, out, NULL, NULL, 0);
}
