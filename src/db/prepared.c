/* Statements prepared once per connection (see prepared.h). */
#include "prepared.h"

#include <libpq-events.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/xalloc.h"
#include "db/db.h"

/* The statements a connection holds, by their struct's address. */
struct held {
	size_t n, cap;
	const struct db_stmt **stmt;
};

static int held_event(PGEventId id, void *info, void *pass)
{
	(void)pass;
	if (id == PGEVT_CONNRESET) {
		struct held *h = PQinstanceData(((PGEventConnReset *)info)->conn, held_event);
		if (h)
			h->n = 0; /* a new session: nothing prepared */
	} else if (id == PGEVT_CONNDESTROY) {
		struct held *h = PQinstanceData(((PGEventConnDestroy *)info)->conn, held_event);
		if (h) {
			free(h->stmt);
			free(h);
		}
	}
	return 1;
}

/* c's list, made on first use; NULL when libpq refuses the event. */
static struct held *held_of(PGconn *c)
{
	struct held *h = PQinstanceData(c, held_event);
	if (h)
		return h;
	if (!PQregisterEventProc(c, held_event, "sokuho prepared statements", NULL))
		return NULL;
	h = xcalloc(1, sizeof *h);
	if (!PQsetInstanceData(c, held_event, h)) {
		free(h);
		return NULL;
	}
	return h;
}

static int holds(const struct held *h, const struct db_stmt *s)
{
	for (size_t i = 0; h && i < h->n; i++)
		if (h->stmt[i] == s)
			return 1;
	return 0;
}

static void forget(struct held *h, const struct db_stmt *s)
{
	for (size_t i = 0; h && i < h->n; i++)
		if (h->stmt[i] == s) {
			h->stmt[i] = h->stmt[--h->n];
			return;
		}
}

/* Prepares s on c and notes it; < 0 with e filled when the server refuses
 * (then, inside a transaction, the transaction has failed, as the statement
 * itself would have: a prepare fails for the statement's own faults). */
static enum db_qs prepare(PGconn *c, struct held *h, const struct db_stmt *s, struct db_err *e)
{
	PGresult *r = PQprepare(c, s->name, s->sql, s->nparams, NULL);
	enum db_qs qs = db_classify(c, r, e);
	PQclear(r);
	if (qs < 0)
		return qs;
	if (h->n == h->cap) {
		h->cap = h->cap ? 2 * h->cap : 8;
		h->stmt = xrealloc(h->stmt, h->cap * sizeof *h->stmt);
	}
	h->stmt[h->n++] = s;
	return DB_OK;
}

enum db_qs db_exec_stmt(PGconn *c, struct db_err *e, const struct db_stmt *s,
			const char *const *params, int binary, PGresult **out)
{
	struct db_err own;
	if (!e)
		e = &own;
	if (out)
		*out = NULL;
	struct held *h = held_of(c);
	if (!h) /* no event data: run it unprepared */
		return db_exec(c, e, s->sql, s->nparams, params, out);
	enum db_qs qs;
	if (!holds(h, s) && (qs = prepare(c, h, s, e)) < 0)
		return qs;
	PGresult *r = PQexecPrepared(c, s->name, s->nparams, params, NULL, NULL, binary);
	qs = db_classify(c, r, e);
	if (qs < 0 && strcmp(e->sqlstate, "26000") == 0) {
		/* the server no longer has it (DISCARD ALL, DEALLOCATE): prepared
		 * again, and run again when no transaction has failed with it */
		forget(h, s);
		if (PQtransactionStatus(c) == PQTRANS_IDLE) {
			PQclear(r);
			if ((qs = prepare(c, h, s, e)) < 0)
				return qs;
			r = PQexecPrepared(c, s->name, s->nparams, params, NULL, NULL, binary);
			qs = db_classify(c, r, e);
		}
	}
	if (out && qs >= 0) {
		*out = r;
		return qs;
	}
	PQclear(r);
	return qs;
}

static json_t *rows_of(const PGresult *r)
{
	json_t *rows = json_array();
	int nf = PQnfields(r);
	for (int i = 0; i < PQntuples(r); i++) {
		json_t *o = json_object();
		for (int f = 0; f < nf; f++) {
			json_t *v;
			if (PQgetisnull(r, i, f))
				v = json_null();
			else if (PQftype(r, f) == 16 /* BOOLOID */)
				v = json_boolean(PQgetvalue(r, i, f)[0] == 't');
			else
				v = json_string(PQgetvalue(r, i, f));
			json_object_set_new(o, PQfname(r, f), v ? v : json_null());
		}
		json_array_append_new(rows, o);
	}
	return rows;
}

json_t *db_rows_stmt(PGconn *c, const struct db_stmt *s, const char *const *params)
{
	struct db_err e;
	PGresult *r;
	if (db_exec_stmt(c, &e, s, params, 0, &r) < 0) {
		log_event(LOG_ERROR, "db_query_failed", "statement=%s error=%s", s->name,
			  log_quote(0, e.msg));
		return NULL;
	}
	json_t *rows = rows_of(r);
	PQclear(r);
	return rows;
}

json_t *db_row_stmt(PGconn *c, const struct db_stmt *s, const char *const *params)
{
	json_t *rows = db_rows_stmt(c, s, params);
	json_t *row = rows ? json_array_get(rows, 0) : NULL;
	json_incref(row);
	json_decref(rows);
	return row;
}
