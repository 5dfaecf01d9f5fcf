/* The legal reports as submitted (issue 21, sql/0031_legal_submission.sql):
 * the CSIRT or the chief security officer (authz ACT_SUBMISSION) records that
 * the 速報 / 確報 of a legal deadline was sent — when, the PPC's number
 * (委員会受付番号) and the text as sent, frozen as an evidence file with its
 * SHA-256. One transaction: the evidence, the submission, the legal deadline
 * met at the time sent, the workflow's own "sent" action when an open run
 * offers one for that deadline (wf/engine.h engine_act_deadline_tx), and the
 * audit event legal.submitted for the timeline. */
#ifndef SOKUHO_INCIDENT_SUBMISSION_H
#define SOKUHO_INCIDENT_SUBMISSION_H

#include <jansson.h>
#include <libpq-fe.h>

#include "db/tx.h"

struct engine;

#define SUBMISSION_NUMBER_MAX 100    /* characters of the 委員会受付番号 */
#define SUBMISSION_TEXT_MAX 200000   /* bytes of the text as sent */

/* What the form gives. */
struct submission_in {
	const char *key;          /* the legal deadline's key: "ppc_preliminary" */
	const char *submitted_at; /* Japan time, "YYYY-MM-DD HH:MM" (or with T) */
	const char *number;       /* 委員会受付番号 */
	const char *text;         /* the report as sent */
};

/* Checks in (no database): errors gets a catalog key per bad field
 * (submitted_at, number, text). Returns the number of errors. */
int submission_check(const struct submission_in *in, json_t *errors);

enum submission_result {
	SUBMISSION_OK = 0,
	SUBMISSION_NO_DEADLINE, /* the incident has no legal deadline of that key */
	SUBMISSION_ALREADY,     /* that deadline's submission is recorded already */
	SUBMISSION_FUTURE,      /* submitted_at is later than now */
	SUBMISSION_REFUSED,     /* the workflow refused its action (errors says why) */
};

/* What was recorded. */
struct submission_out {
	enum submission_result res;
	long long id;
	char sha256[65];
	int late;             /* sent after the deadline's due moment */
	char action[64];      /* the workflow action taken with it, "" for none */
};

/* Records the submission of incident_id by actor_id (who has been checked
 * for ACT_SUBMISSION). in must have passed submission_check. Returns DB_OK
 * (out->res SUBMISSION_OK), DB_NONE with out->res saying why nothing was
 * written, or < 0 with e filled (DB_SOFT: the database may be back later). */
enum db_qs submission_record(struct engine *eng, PGconn *c, long long incident_id, int actor_id,
			     const char *ip, const struct submission_in *in,
			     struct submission_out *out, json_t *errors, struct db_err *e);

/* The submissions of incident_id for its pages: [{key, title_ja, title_en,
 * submitted (Japan time), recorded, by, number, sha256, attachment_id, late}]
 * in order sent; an empty array when none, NULL on a database error. */
json_t *submission_list(PGconn *c, long long incident_id);

#endif
