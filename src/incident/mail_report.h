/* Reports by e-mail (issue 20): storing what `sokuho mail-intake` read
 * (mail/intake.h) in one transaction — a member of staff's authenticated
 * mail as their report, any other in the CSIRT's intake queue, the same
 * original reported again linked to its first incident, the raw message as
 * evidence and the original's indicators on the incident
 * (sql/0030_mail_reports.sql). */
#ifndef SOKUHO_MAIL_REPORT_H
#define SOKUHO_MAIL_REPORT_H

#include <jansson.h>
#include <libpq-fe.h>
#include <stddef.h>

#include "db/tx.h"

struct engine;

enum mail_report_kind {
	MAIL_REPORT_NEW,       /* a new incident: the authenticated sender's report */
	MAIL_REPORT_QUEUED,    /* a new outside report in the intake queue */
	MAIL_REPORT_LINKED,    /* another report of an incident already there */
	MAIL_REPORT_DUPLICATE, /* this very message was stored before */
	MAIL_REPORT_NOTE,      /* a reply in an incident's thread: a note on it */
};

struct mail_report_out {
	enum mail_report_kind kind;
	char ref[32];
	long long incident_id;
	int reporter_id;       /* the person it was attributed to, 0 none */
};

/* At most this many answers go to one address an hour. */
#define MAIL_REPORT_REPLIES_PER_HOUR 3

/* Stores one parsed mail (facts as mail_intake_parse returns them) with
 * its raw bytes (raw[0..raw_len)) and the attached original (may be NULL).
 * clocks: the legal clocks of a suspicious-mail report (legal_evaluate);
 * engine starts the workflows of a new report (NULL: none). A reply to
 * Sokuho's mail (In-Reply-To or References naming one of its Message-IDs)
 * or a subject naming an incident (INC-YYYY-N...) is a note on that
 * incident by its authenticated sender when they may write notes there
 * (authz ACT_NOTE), else it waits in the intake queue. A report (not a
 * note) of a mail that is not itself automatic queues one answer to the
 * sender (template mail_report_received, Auto-Submitted: auto-replied),
 * at most MAIL_REPORT_REPLIES_PER_HOUR an hour to one address. Returns DB_OK
 * with out filled, or < 0 with e filled (DB_SOFT: try again later). */
enum db_qs mail_report_store(struct engine *engine, PGconn *conn, const json_t *facts,
			     const char *raw, size_t raw_len, const char *orig, size_t orig_len,
			     const json_t *clocks, struct mail_report_out *out, struct db_err *e);

/* The facts of a suspicious-mail report, for legal_evaluate. Caller owns. */
json_t *mail_report_legal_facts(void);

/* The mail reports of incident id, oldest first: [{arrived, sender,
 * sender_name, reporter_name, authenticated, auth_via, subject}], and its
 * indicators [{kind, value, detail}]: {reports, indicators}, or NULL when
 * none came by mail. Caller owns. */
json_t *mail_report_of_incident(PGconn *conn, long long id);

/* Splits the mail report mail_id, wrongly linked to incident id, off into
 * an incident of its own in one transaction: its reporter's report as the
 * intake would have stored it (discovered when it arrived; clocks and
 * engine as mail_report_store), a copy of its mail as evidence, its
 * original's indicators, and the audit event incident.mail_split on both
 * by actor. DB_OK with the new reference in ref, DB_NONE when id has no
 * such linked report, < 0 with e filled. */
enum db_qs mail_report_split(struct engine *engine, PGconn *conn, long long id, long long mail_id,
			     const json_t *clocks, int actor, const char *ip, char ref[32],
			     struct db_err *e);

/* The open incidents reported by more than one mail (a phishing wave),
 * latest first, at most limit: [{ref, summary, reports, first, latest}].
 * NULL on a database error. Caller owns. */
json_t *mail_report_waves(PGconn *conn, int limit);

#endif
