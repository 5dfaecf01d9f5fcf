/* The evidence files of an incident (see evidence.h). */
#include "evidence.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Content types a browser may be told an attachment has; everything else
 * goes out as application/octet-stream. */
static const char *const safe_types[] = {"image/png", "image/jpeg", "image/gif", "application/pdf",
					 "text/plain", NULL};

enum db_qs incident_evidence_get(PGconn *c, long long id, const char *att,
				 struct incident_evidence *ev, struct db_err *e)
{
	memset(ev, 0, sizeof *ev);
	char *end;
	errno = 0;
	long long aid = strtoll(att, &end, 10);
	if (errno || end == att || *end || aid <= 0)
		return DB_NONE;
	char idbuf[24], aidbuf[24];
	snprintf(idbuf, sizeof idbuf, "%lld", id);
	snprintf(aidbuf, sizeof aidbuf, "%lld", aid);
	const char *p[2] = {idbuf, aidbuf};
	/* binary results: the data as stored, without bytea's hex text */
	PGresult *r = PQexecParams(c,
				   "SELECT filename, content_type, data FROM attachment "
				   "WHERE incident_id = $1::bigint AND id = $2::bigint",
				   2, NULL, p, NULL, NULL, 1);
	enum db_qs qs = db_classify(c, r, e);
	if (qs != DB_OK || PQntuples(r) != 1) {
		PQclear(r);
		return qs < 0 ? qs : DB_NONE;
	}
	int fname = PQfnumber(r, "filename"), ftype = PQfnumber(r, "content_type"),
	    fdata = PQfnumber(r, "data");
	ev->res = r;
	ev->filename = PQgetvalue(r, 0, fname);
	ev->content_type = "application/octet-stream";
	for (int k = 0; safe_types[k]; k++)
		if (strcmp(PQgetvalue(r, 0, ftype), safe_types[k]) == 0)
			ev->content_type = safe_types[k];
	ev->data = PQgetvalue(r, 0, fdata);
	ev->len = (size_t)PQgetlength(r, 0, fdata);
	return DB_OK;
}

void incident_evidence_free(struct incident_evidence *ev)
{
	PQclear(ev->res);
	memset(ev, 0, sizeof *ev);
}
