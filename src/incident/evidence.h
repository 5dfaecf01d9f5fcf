/* The evidence files of an incident (attached when it was filed, stored by
 * intake_store). The caller has checked that the reader may download them
 * (authz ACT_DOWNLOAD). */
#ifndef SOKUHO_INCIDENT_EVIDENCE_H
#define SOKUHO_INCIDENT_EVIDENCE_H

#include <libpq-fe.h>
#include <stddef.h>

#include "db/tx.h"

/* One file as read; the strings and data live in res until
 * incident_evidence_free. */
struct incident_evidence {
	const char *filename;
	/* the type a browser may be told: the stored one when it is one of the
	 * safe types (PNG, JPEG, GIF, PDF, plain text), else
	 * application/octet-stream; always sent as a download */
	const char *content_type;
	char *data;
	size_t len;
	PGresult *res;
};

/* Reads file att (its id as the URL gives it: a decimal number) of
 * incident id into ev. Returns DB_OK (then incident_evidence_free), DB_NONE
 * when the incident has no such file or att is not a positive number, or < 0
 * with e filled (DB_SOFT: the database may be back later). */
enum db_qs incident_evidence_get(PGconn *c, long long id, const char *att,
				 struct incident_evidence *ev, struct db_err *e);

/* Frees what incident_evidence_get read (a zeroed ev too). */
void incident_evidence_free(struct incident_evidence *ev);

#endif
