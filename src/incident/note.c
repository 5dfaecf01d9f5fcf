/* Notes on an incident (see note.h). */
#include "note.h"

#include <jansson.h>
#include <stdio.h>

#include "db/audit.h"

struct note {
	long long incident_id;
	int author_id;
	const char *ip, *body;
};

static enum db_qs note_tx(PGconn *c, void *arg, struct db_err *e)
{
	const struct note *n = arg;
	char id[24], author[16];
	snprintf(id, sizeof id, "%lld", n->incident_id);
	snprintf(author, sizeof author, "%d", n->author_id);
	const char *p[3] = {id, author, n->body};
	enum db_qs qs = db_exec(c, e,
				"INSERT INTO incident_note (incident_id, author_id, body) "
				"VALUES ($1::bigint, $2::int, $3)",
				3, p, NULL);
	if (qs < 0)
		return qs;
	json_t *detail = json_pack("{s:s}", "note", n->body);
	qs = audit_append(c, e, n->author_id, "incident.note", n->ip, n->incident_id, detail);
	json_decref(detail);
	return qs < 0 ? qs : DB_OK;
}

enum db_qs incident_add_note_in_tx(PGconn *c, long long incident_id, int author_id,
				   const char *ip, const char *body, struct db_err *e)
{
	struct note n = {incident_id, author_id, ip, body};
	return note_tx(c, &n, e);
}

enum db_qs incident_add_note(PGconn *c, long long incident_id, int author_id, const char *ip,
			     const char *body, struct db_err *e)
{
	struct note n = {incident_id, author_id, ip, body};
	return db_run_tx(c, "incident_add_note", 0, note_tx, &n, e);
}
