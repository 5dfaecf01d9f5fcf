/* The mail sender: claims due rows of the outbox with a lease, renders them
 * from templates/mail/NAME.LANG.mustache, sends them with libesmtp outside
 * any transaction, and records each outcome: sent; retried with capped
 * exponential backoff and jitter (4xx, connection failures); dead (5xx, the
 * reply kept). A row keeps one Message-ID across retries; a sender killed
 * mid-send leaves a lease that expires, and the row is sent again. */
#ifndef SOKUHO_MAILER_H
#define SOKUHO_MAILER_H

#include <jansson.h>
#include <libpq-fe.h>
#include <stddef.h>

#include "core/config.h"

struct tmpl_set;

/* Who may acknowledge: a mail holds an acknowledge link only when its
 * recipient may take the "acknowledge" action on the mail's run at the
 * moment it is sent. The rule is the workflow's (engine_may_act, the one the
 * /ack/ handler and the incident page apply); mail sits below the workflows,
 * so whoever runs the sender hands it in (wf/service.c). may_act returns 1
 * when person_id may take action on run_id at fence, 0 (or -1) otherwise.
 * With no rule (NULL) no mail holds an acknowledge link. */
struct mailer_rule {
	int (*may_act)(void *arg, PGconn *conn, long long run_id, int fence, const char *action,
		       int person_id);
	void *arg;
};

/* Sends one batch: at most batch due rows. Returns the number claimed, or
 * -1 on a database error (outcomes of mail sent that could not be recorded
 * are kept, see mailer_flush_outcomes; a claim whose answer was lost with the
 * connection is remembered, and the rows it may have leased are handed back
 * on the next call, before anything is claimed). With no smtp_host
 * configured it claims nothing. */
int mailer_tick(PGconn *conn, const struct config *cfg, const struct tmpl_set *tmpl,
		const struct mailer_rule *rule, int batch);

/* Records the outcomes of mail already sent that could not be recorded
 * yet (kept in memory meanwhile, one store per process); mailer_tick does
 * it before it claims anything. Returns 0, or -1 when the database could
 * not take them (they stay kept). */
int mailer_flush_outcomes(PGconn *conn);
/* How many outcomes are kept waiting for the database. */
size_t mailer_pending_outcomes(void);

/* Runs the sender until *stop or a byte on wake_fd: sends what is due, then
 * sleeps until the next retry, lease expiry or NOTIFY sokuho_mail. */
int mailer_loop(const struct config *cfg, const struct tmpl_set *tmpl,
		const struct mailer_rule *rule, volatile int *stop, int wake_fd);

/* Renders template name ("reported") in lang over data into a subject and a
 * body (caller frees both). Returns 0, or -1 when there is no such template
 * or it lacks its "Subject:" line. */
int mailer_render(const struct tmpl_set *tmpl, const char *name, const char *lang,
		  const json_t *data, char **subject, char **body);

/* The signed, expiring acknowledge link token for outbox row id (caller
 * frees), with the secret from the signing_key table. */
char *mailer_ack_token(PGconn *conn, long long outbox_id, long long expires_unix);
/* Checks a token: returns the outbox row id when the signature is right,
 * and sets *expired when its time has passed (by the database clock);
 * returns -1 for a malformed or tampered token. */
long long mailer_ack_check(PGconn *conn, const char *token, int *expired);

/* What the outbox keeps in place of a sent mail's acknowledge link: the
 * link is signed and valid until used, so only the mail itself holds it. */
#define MAILER_ACK_PLACEHOLDER_JA "（受領確認リンク：送信後は保存していません）"
#define MAILER_ACK_PLACEHOLDER_EN "(acknowledge link: not kept after sending)"

#endif
