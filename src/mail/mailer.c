/* The outbox sender and acknowledge links (see mailer.h). */
#include "mailer.h"

#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <string.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/log.h"
#include "core/xalloc.h"
#include "db/audit.h"
#include "db/db.h"
#include "db/tx.h"
#include "digest.h"
#include "mime.h"
#include "smtp.h"
#include "tmpl/templates.h"

#define LEASE_SECONDS 120

int mailer_render(const struct tmpl_set *tmpl, const char *name, const char *lang,
		  const json_t *data, char **subject, char **body)
{
	char tname[160];
	snprintf(tname, sizeof tname, "mail/%s.%s", name, strcmp(lang, "en") == 0 ? "en" : "ja");
	if (!tmpl_set_has(tmpl, tname))
		snprintf(tname, sizeof tname, "mail/%s.ja", name);
	buf out = BUF_INIT;
	if (tmpl_set_render(tmpl, tname, data, &out) < 0) {
		buf_release(&out);
		return -1;
	}
	const char *s = buf_cstr(&out);
	const char *nl = strchr(s, '\n');
	if (strncmp(s, "Subject: ", 9) != 0 || !nl) {
		buf_release(&out);
		return -1;
	}
	*subject = xstrndup(s + 9, (size_t)(nl - s - 9));
	const char *b = nl + 1;
	if (*b == '\n')
		b++;
	*body = xstrdup(b);
	buf_release(&out);
	return 0;
}

static char *secret_of(PGconn *c)
{
	PGresult *r = PQexec(c, "SELECT secret FROM signing_key");
	char *s = db_ok(r) && PQntuples(r) == 1 ? xstrdup(PQgetvalue(r, 0, 0)) : NULL;
	PQclear(r);
	return s;
}

static void mac_of(const char *secret, const char *payload, char out[64])
{
	unsigned char mac[crypto_auth_hmacsha256_BYTES];
	crypto_auth_hmacsha256_state st;
	crypto_auth_hmacsha256_init(&st, (const unsigned char *)secret, strlen(secret));
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)payload, strlen(payload));
	crypto_auth_hmacsha256_final(&st, mac);
	sodium_bin2base64(out, 64, mac, sizeof mac, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

char *mailer_ack_token(PGconn *c, long long id, long long expires)
{
	char *secret = secret_of(c);
	if (!secret)
		return NULL;
	char payload[64], mac[64];
	snprintf(payload, sizeof payload, "%lld.%lld", id, expires);
	mac_of(secret, payload, mac);
	sodium_memzero(secret, strlen(secret));
	free(secret);
	return xasprintf("%s.%s", payload, mac);
}

long long mailer_ack_check(PGconn *c, const char *token, int *expired)
{
	*expired = 0;
	long long id, exp;
	int used = 0;
	if (!token || strlen(token) > 120 ||
	    sscanf(token, "%lld.%lld.%n", &id, &exp, &used) != 2 || used == 0 || id <= 0)
		return -1;
	char payload[64];
	snprintf(payload, sizeof payload, "%lld.%lld", id, exp);
	/* The numbers must be written exactly as signed (no "+1", "01"). */
	if (strncmp(token, payload, strlen(payload)) != 0 || token[strlen(payload)] != '.')
		return -1;
	char *secret = secret_of(c);
	if (!secret)
		return -1;
	char mac[64];
	mac_of(secret, payload, mac);
	sodium_memzero(secret, strlen(secret));
	free(secret);
	const char *sent = token + strlen(payload) + 1;
	if (strlen(sent) != strlen(mac) || sodium_memcmp(sent, mac, strlen(mac)) != 0)
		return -1;
	PGresult *r = PQexec(c, "SELECT extract(epoch FROM sokuho_now())::bigint");
	long long now = db_ok(r) ? atoll(PQgetvalue(r, 0, 0)) : 0;
	PQclear(r);
	*expired = now > exp;
	return id;
}

static struct smtp_config smtp_of(const struct config *cfg)
{
	struct smtp_config s;
	memset(&s, 0, sizeof s);
	s.host = cfg->smtp_host;
	s.port = cfg->smtp_port;
	s.tls = strcmp(cfg->smtp_starttls, "required") == 0 ? SMTP_TLS_REQUIRED
		: strcmp(cfg->smtp_starttls, "off") == 0    ? SMTP_TLS_OFF
							    : SMTP_TLS_WHEN_OFFERED;
	s.user = cfg->smtp_user;
	s.password = cfg->smtp_password;
	s.envelope_from = cfg->mail_from;
	s.timeout_s = 30;
	return s;
}

/* The base URL links in mail start with. */
static char *base_url(const struct config *cfg)
{
	if (cfg->base_url[0])
		return xstrdup(cfg->base_url);
	return xasprintf("http://%s:%d", cfg->listen_host, cfg->listen_port);
}

/* Claims due rows (a lease keeps other senders off them) and assigns each
 * its Message-ID on the first attempt. */
static const char claim_sql[] =
	"WITH due AS (SELECT id FROM outbox WHERE status = 'queued' AND next_attempt_at <= "
	"  sokuho_now() AND (lease_until IS NULL OR lease_until < sokuho_now()) ORDER BY id "
	"  LIMIT $1::int FOR UPDATE SKIP LOCKED), "
	"o AS (UPDATE outbox x SET lease_until = date_trunc('second', sokuho_now()) + "
	"  make_interval(secs => $2::int) + $4::int * interval '1 microsecond', "
	"  attempts = attempts + 1, message_id = coalesce(message_id, '<' || x.id || '.' || "
	"  substr(md5(random()::text), 1, 12) || '@' || $3 || '>') FROM due WHERE x.id = due.id "
	"  RETURNING x.*) "
	"SELECT o.id, o.email, o.lang, o.template, o.message_id, "
	"  (o.data || jsonb_build_object("
	"    'recipient_name', rc.display_name, 'ref', i.ref, 'summary', i.summary, "
	"    'site_ja', si.name_ja, 'section_ja', s.name_ja, 'category_ja', c.title_ja, "
	"    'category_en', c.title_en, 'reporter_name', coalesce(rp.display_name, "
	"    i.external_name), 'reported_at', to_char(i.reported_at AT TIME ZONE 'Asia/Tokyo', "
	"    'YYYY-MM-DD HH24:MI')))::text, "
	"  (o.fence IS NOT NULL AND EXISTS (SELECT 1 FROM workflow_run r JOIN workflow_def d ON "
	"    d.id = r.def_id WHERE r.id = o.run_id AND r.fence = o.fence AND "
	"    d.definition->'states'->r.state->'actions' ? 'acknowledge')), "
	"  extract(epoch FROM sokuho_now())::bigint, coalesce(rc.display_name, ''), "
	"  o.lease_until::text, o.run_id, o.fence, o.recipient_id "
	"FROM o LEFT JOIN person rc ON rc.id = o.recipient_id "
	"LEFT JOIN incident i ON i.id = o.incident_id LEFT JOIN site si ON si.id = i.site_id "
	"LEFT JOIN org_unit s ON s.id = i.section_id LEFT JOIN category c ON c.key = i.category "
	"LEFT JOIN person rp ON rp.id = i.reporter_id ORDER BY o.id";

/* Outcomes of mail already handed to the SMTP server, not yet recorded.
 * They stay here while the database cannot take them and are recorded
 * before anything else is claimed, so a database restart alone sends no
 * mail twice. Each update is guarded by the lease the row was claimed
 * with: once recorded (lease cleared) it is a no-op, so the recording may be
 * repeated after an unknown COMMIT; should another sender have claimed the
 * row after the lease expired, the late outcome is not forced on it. */
struct outcome {
	char *id, *lease, *reply, *subject, *body;
	const char *status; /* "sent", "dead", "retry" */
};
static pthread_mutex_t pending_mu = PTHREAD_MUTEX_INITIALIZER;
static struct outcome *pending;
static size_t npending, cpending;

static void keep_outcome(const char *id, const char *lease, const char *status,
			 const char *reply, const char *subject, const char *body)
{
	pthread_mutex_lock(&pending_mu);
	if (npending == cpending) {
		cpending = cpending ? cpending * 2 : 64;
		pending = xrealloc(pending, cpending * sizeof *pending);
	}
	struct outcome *o = &pending[npending++];
	o->id = xstrdup(id);
	o->lease = xstrdup(lease);
	o->status = status;
	o->reply = xstrdup(reply ? reply : "");
	o->subject = subject ? xstrdup(subject) : NULL;
	o->body = body ? xstrdup(body) : NULL;
	pthread_mutex_unlock(&pending_mu);
}

/* Claims whose answer was lost with the connection (a restart, a
 * failover): the database may have taken their leases all the same, and
 * their rows would then wait out LEASE_SECONDS unsent. Each claim's lease
 * ends on a microsecond of its own (lease_us), so the next connection can
 * hand back exactly the rows such a claim took: none of them reached this
 * process, so none was sent. Under pending_mu. */
#define LOST_CLAIMS 16
static long lost_claims[LOST_CLAIMS];
static size_t nlost;

static void keep_lost_claim(long us)
{
	pthread_mutex_lock(&pending_mu);
	if (nlost == LOST_CLAIMS) /* the oldest has expired by now */
		memmove(lost_claims, lost_claims + 1, (LOST_CLAIMS - 1) * sizeof *lost_claims);
	else
		nlost++;
	lost_claims[nlost - 1] = us;
	pthread_mutex_unlock(&pending_mu);
}

/* Hands back the rows of lost claims still leased (attempts as before the
 * claim). Returns 0, or -1 when the database could not be asked (they stay
 * kept). */
static int return_lost_claims(PGconn *c)
{
	pthread_mutex_lock(&pending_mu);
	int rc = 0;
	while (nlost > 0) {
		char us[24], lease[16];
		snprintf(us, sizeof us, "%ld", lost_claims[nlost - 1]);
		snprintf(lease, sizeof lease, "%d", LEASE_SECONDS);
		const char *p[2] = {us, lease};
		PGresult *r = PQexecParams(
			c,
			"UPDATE outbox SET lease_until = NULL, attempts = greatest(attempts - 1, 0) "
			"WHERE status = 'queued' AND lease_until > sokuho_now() AND lease_until <= "
			"sokuho_now() + make_interval(secs => $2::int + 1) AND "
			"extract(microseconds FROM lease_until)::bigint % 1000000 = $1::bigint",
			2, NULL, p, NULL, NULL, 0);
		if (!db_ok(r)) {
			log_event(LOG_ERROR, "mail_lease_return_failed", "error=%s",
				  log_quote(0, PQresultErrorMessage(r)));
			PQclear(r);
			rc = -1;
			break;
		}
		log_event(LOG_INFO, "mail_lease_returned", "rows=%s", PQcmdTuples(r));
		PQclear(r);
		nlost--;
	}
	pthread_mutex_unlock(&pending_mu);
	return rc;
}

/* A column of a row as JSON: the string, or null. */
static json_t *col(const json_t *row, const char *k)
{
	const char *s = json_string_value(json_object_get(row, k));
	return s ? json_string(s) : json_null();
}

/* The audit event of a dead mail (row: the outbox row as recorded, values
 * as strings). Returns 0, or -1 with e filled. */
static int dead_event(PGconn *c, const json_t *row, struct db_err *e)
{
	json_t *detail = json_pack("{s:I, s:o, s:o, s:o, s:o, s:I}", "outbox",
				   (json_int_t)atoll(json_string_value(json_object_get(row, "id"))),
				   "recipient", col(row, "recipient"), "email", col(row, "email"),
				   "template", col(row, "template"), "reason", col(row, "last_error"),
				   "attempts",
				   (json_int_t)atoll(json_string_value(json_object_get(row, "attempts"))));
	long long incident = atoll(json_string_value(json_object_get(row, "incident_id")));
	int rc = audit_log_incident(c, 0, "mail.dead", NULL, incident, detail);
	json_decref(detail);
	if (rc < 0) {
		memset(e, 0, sizeof *e);
		snprintf(e->msg, sizeof e->msg, "audit of a dead mail: %s", PQerrorMessage(c));
		e->conn_lost = PQstatus(c) != CONNECTION_OK;
	}
	return rc;
}

static enum db_qs record_outcomes(PGconn *c, void *arg, struct db_err *e)
{
	(void)arg;
	for (size_t i = 0; i < npending; i++) {
		struct outcome *o = &pending[i];
		const char *pp[6] = {o->id, o->status, o->reply, o->subject, o->body, o->lease};
		/* Backoff: 30 s doubling per attempt, at most an hour, ±25 %. */
		json_t *row = NULL;
		enum db_qs qs = db_row_get(
			c, e,
			"UPDATE outbox SET lease_until = NULL, last_error = CASE WHEN $2 = 'sent' "
			"THEN NULL ELSE $3 END, status = CASE $2 WHEN 'sent' THEN 'sent' WHEN 'dead' "
			"THEN 'dead' ELSE 'queued' END, sent_at = CASE WHEN $2 = 'sent' THEN "
			"sokuho_now() END, next_attempt_at = CASE WHEN $2 = 'retry' THEN sokuho_now() + "
			"make_interval(secs => least(3600, 30 * 2 ^ least(attempts - 1, 20)) * "
			"(0.75 + random() / 2)) ELSE next_attempt_at END, subject = coalesce($4, "
			"subject), body = coalesce($5, body) WHERE id = $1::bigint "
			"AND lease_until = $6::timestamptz "
			"RETURNING id, coalesce(incident_id, 0) AS incident_id, template, email, "
			"attempts, last_error, (SELECT display_name FROM person WHERE id = "
			"recipient_id) AS recipient",
			6, pp, &row);
		if (qs < 0)
			return qs;
		/* A mail that ends dead is an event of its incident's timeline (to
		 * whom, why), in the transaction that records it; an outcome
		 * recorded already matches no row, so a repeat adds none. */
		if (row && strcmp(o->status, "dead") == 0 && dead_event(c, row, e) < 0) {
			json_decref(row);
			return PQstatus(c) == CONNECTION_OK ? DB_HARD : DB_SOFT;
		}
		json_decref(row);
	}
	return DB_OK;
}

int mailer_flush_outcomes(PGconn *c)
{
	pthread_mutex_lock(&pending_mu);
	int rc = 0;
	if (npending) {
		struct db_err e;
		/* The outcomes of a batch are recorded in one transaction: one
		 * commit (one WAL flush) rather than one per message. */
		if (db_run_tx(c, "mail_outcomes", DB_TX_IDEMPOTENT, record_outcomes, NULL, &e) < 0) {
			log_event(LOG_ERROR, "mail_record_failed", "kept=%zu error=%s", npending,
				  log_quote(0, e.msg));
			rc = -1;
		} else {
			for (size_t i = 0; i < npending; i++) {
				free(pending[i].id);
				free(pending[i].lease);
				free(pending[i].reply);
				free(pending[i].subject);
				free(pending[i].body);
			}
			npending = 0;
		}
	}
	pthread_mutex_unlock(&pending_mu);
	return rc;
}

size_t mailer_pending_outcomes(void)
{
	pthread_mutex_lock(&pending_mu);
	size_t n = npending;
	pthread_mutex_unlock(&pending_mu);
	return n;
}

/* body with every copy of link replaced by a note in the mail's language
 * (lang "en" or else Japanese); frees body, returns a new string. */
static char *without_link(char *body, const char *link, const char *lang)
{
	const char *note = strcmp(lang, "en") == 0 ? MAILER_ACK_PLACEHOLDER_EN : MAILER_ACK_PLACEHOLDER_JA;
	buf out;
	buf_init(&out);
	size_t ll = strlen(link);
	const char *p = body, *at;
	while ((at = strstr(p, link))) {
		buf_append(&out, p, (size_t)(at - p));
		buf_puts(&out, note);
		p = at + ll;
	}
	buf_puts(&out, p);
	free(body);
	return buf_detach(&out, NULL);
}

/* Whether row i of the claim may carry an acknowledge link: its run's
 * state still offers "acknowledge" at the row's fence (the claim says) and
 * its recipient may take it now (the workflow's rule). */
static int link_allowed(PGconn *c, const struct mailer_rule *rule, PGresult *r, int i)
{
	if (PQgetvalue(r, i, 6)[0] != 't' || !rule || !rule->may_act || PQgetisnull(r, i, 12))
		return 0;
	return rule->may_act(rule->arg, c, atoll(PQgetvalue(r, i, 10)), atoi(PQgetvalue(r, i, 11)),
			     "acknowledge", atoi(PQgetvalue(r, i, 12))) == 1;
}

int mailer_tick(PGconn *c, const struct config *cfg, const struct tmpl_set *tmpl,
		const struct mailer_rule *rule, int batch)
{
	if (!cfg->smtp_host[0])
		return 0;
	/* What was sent before is recorded before anything more is claimed. */
	if (mailer_flush_outcomes(c) < 0 || return_lost_claims(c) < 0)
		return -1;
	char *digest_base = base_url(cfg);
	digest_enqueue(c, digest_base);
	free(digest_base);
	char lim[16], lease[16];
	snprintf(lim, sizeof lim, "%d", batch);
	snprintf(lease, sizeof lease, "%d", LEASE_SECONDS);
	const char *host = strchr(cfg->mail_from, '@') ? strchr(cfg->mail_from, '@') + 1 : "sokuho";
	long us = (long)randombytes_uniform(999999) + 1;
	char lease_us[16];
	snprintf(lease_us, sizeof lease_us, "%ld", us);
	const char *p[4] = {lim, lease, host, lease_us};
	PGresult *r = PQexecParams(c, claim_sql, 4, NULL, p, NULL, NULL, 0);
	if (!db_ok(r)) {
		log_event(LOG_ERROR, "mail_claim_failed", "error=%s",
			  log_quote(0, r ? PQresultErrorMessage(r) : PQerrorMessage(c)));
		PQclear(r);
		if (PQstatus(c) != CONNECTION_OK)
			keep_lost_claim(us);
		return -1;
	}
	int n = PQntuples(r);
	if (n == 0) {
		PQclear(r);
		return 0;
	}
	char *base = base_url(cfg);
	struct smtp_item *items = xcalloc((size_t)n, sizeof *items);
	char **datas = xcalloc((size_t)n, sizeof *datas);
	char **subjects = xcalloc((size_t)n, sizeof *subjects);
	char **bodies = xcalloc((size_t)n, sizeof *bodies);
	char **acks = xcalloc((size_t)n, sizeof *acks);
	for (int i = 0; i < n; i++) {
		json_t *data = json_loads(PQgetvalue(r, i, 5), 0, NULL);
		if (!data)
			data = json_object();
		const char *ref = json_string_value(json_object_get(data, "ref"));
		/* the incident's page, or the page the mail names (a path of
		 * this site: the intake queue's for outside_reported) */
		const char *path = json_string_value(json_object_get(data, "path"));
		char *url = path && path[0] == '/' ? xasprintf("%s%s", base, path)
						   : xasprintf("%s/incidents/%s", base, ref ? ref : "");
		json_object_set_new(data, "url", json_string(url));
		json_object_set_new(data, "base_url", json_string(base));
		free(url);
		if (link_allowed(c, rule, r, i)) {
			long long exp = atoll(PQgetvalue(r, i, 7)) + cfg->mail_ack_ttl;
			char *tok = mailer_ack_token(c, atoll(PQgetvalue(r, i, 0)), exp);
			if (tok) {
				acks[i] = xasprintf("%s/ack/%s", base, tok);
				json_object_set_new(data, "ack_url", json_string(acks[i]));
				free(tok);
			}
		}
		char *subject = NULL, *body = NULL;
		items[i].rcpt = PQgetvalue(r, i, 1);
		if (mailer_render(tmpl, PQgetvalue(r, i, 3), PQgetvalue(r, i, 2), data, &subject,
				  &body) < 0) {
			items[i].outcome = SMTP_DEAD;
			snprintf(items[i].reply, sizeof items[i].reply, "no mail template '%s'",
				 PQgetvalue(r, i, 3));
			items[i].data = NULL;
		} else {
			struct mail_msg m;
			memset(&m, 0, sizeof m);
			m.from_addr = cfg->mail_from;
			m.from_name = cfg->mail_from_name;
			m.to_addr = PQgetvalue(r, i, 1);
			m.to_name = PQgetvalue(r, i, 8);
			m.subject = subject;
			m.text = body;
			m.message_id = PQgetvalue(r, i, 4);
			m.date = time(NULL);
			/* an answer to a reported mail (incident/mail_report.c) */
			const char *irt = json_string_value(json_object_get(data, "in_reply_to"));
			char *irt_b = irt && *irt ? xasprintf("<%s>", irt) : NULL;
			m.in_reply_to = irt_b;
			m.auto_replied = json_is_true(json_object_get(data, "auto_replied"));
			char err[256];
			size_t len = 0;
			datas[i] = mime_build(&m, &len, err, sizeof err);
			free(irt_b);
			if (!datas[i]) {
				items[i].outcome = SMTP_DEAD;
				snprintf(items[i].reply, sizeof items[i].reply, "%s", err);
			} else {
				items[i].data = datas[i];
				items[i].len = len;
			}
		}
		subjects[i] = subject;
		/* What the outbox keeps of the body: the message as sent was built
		 * above; the signed acknowledge link, a bearer credential until
		 * used, is not kept (nor shown on the admin's outbox page). */
		bodies[i] = acks[i] && body ? without_link(body, acks[i], PQgetvalue(r, i, 2)) : body;
		free(acks[i]);
		json_decref(data);
	}
	free(acks);
	/* Only what could be built goes to the server; the rest is dead already. */
	struct smtp_item **send = xcalloc((size_t)n, sizeof *send);
	struct smtp_item *batch_items = xcalloc((size_t)n, sizeof *batch_items);
	size_t ns = 0;
	for (int i = 0; i < n; i++)
		if (items[i].data) {
			send[ns] = &items[i];
			batch_items[ns++] = items[i];
		}
	struct smtp_config sc = smtp_of(cfg);
	if (ns)
		smtp_send_batch(&sc, batch_items, ns);
	for (size_t k = 0; k < ns; k++)
		*send[k] = batch_items[k];
	for (int i = 0; i < n; i++) {
		const char *outcome = items[i].outcome == SMTP_SENT	? "sent"
				      : items[i].outcome == SMTP_DEAD ? "dead"
								      : "retry";
		keep_outcome(PQgetvalue(r, i, 0), PQgetvalue(r, i, 9), outcome, items[i].reply,
			     subjects[i], bodies[i]);
		log_event(items[i].outcome == SMTP_SENT ? LOG_INFO : LOG_WARN, "mail", "outbox=%s "
			  "outcome=%s code=%d reply=%s", PQgetvalue(r, i, 0), outcome, items[i].code,
			  log_quote(0, items[i].reply));
		free(datas[i]);
		free(subjects[i]);
		free(bodies[i]);
	}
	int recorded = mailer_flush_outcomes(c);
	free(subjects);
	free(bodies);
	free(send);
	free(batch_items);
	free(datas);
	free(items);
	free(base);
	PQclear(r);
	return recorded < 0 ? -1 : n;
}

/* Seconds until a queued row is due or a lease expires, capped. */
static double next_due(PGconn *c)
{
	/* next_attempt_at starts at -infinity ("due at once"): floor it at now,
	 * so the difference is never infinite. */
	PGresult *r = PQexec(c, "SELECT extract(epoch FROM min(greatest(next_attempt_at, "
				"coalesce(lease_until, next_attempt_at), sokuho_now())) - "
				"sokuho_now()) FROM outbox WHERE status = 'queued'");
	double s = 3600;
	if (db_ok(r) && PQntuples(r) == 1 && !PQgetisnull(r, 0, 0))
		s = atof(PQgetvalue(r, 0, 0));
	PQclear(r);
	return s;
}

/* Sleeps seconds, or less when a byte arrives on wake_fd: returns 1 then. */
int mailer_loop(const struct config *cfg, const struct tmpl_set *tmpl,
		const struct mailer_rule *rule, volatile int *stop, int wake_fd)
{
	PGconn *c = NULL;
	/* capped, jittered backoff: 0.5 s doubling to 5 s, ±25 % (the outbox
	 * rows wait in the database; mail_record_failed says what is kept); the
	 * cap keeps /healthz's "mailer" within 10 s of the database's return */
	struct db_outage down = {"mailer_db_lost", "mailer_db_back", 0.5, 5, 0, {0, 0},
				 LIVENESS_MAILER};
	while (!*stop) {
		char err[512] = "";
		if (!c) {
			c = db_connect_as(cfg->database_url, "sokuho mailer", err, sizeof err);
			if (c)
				PQclear(PQexec(c, "LISTEN sokuho_mail"));
		}
		int n = 0;
		/* A batch sent and recorded ends an outage: /healthz must not
		 * name a mailer working through what queued up meanwhile. */
		if (c)
			while (!*stop && (n = mailer_tick(c, cfg, tmpl, rule, 50)) > 0)
				db_outage_over(&down);
		if (!c || n < 0 || PQstatus(c) != CONNECTION_OK) {
			double d = db_outage_lost(&down, c, err);
			c = NULL;
			if (db_nap(d, wake_fd))
				break;
			continue;
		}
		db_outage_over(&down);
		double wait = next_due(c);
		if (wait <= 0)
			wait = 0.05; /* a lease about to expire, or a row being sent */
		if (db_wait(c, wait, wake_fd))
			break;
	}
	if (c) {
		mailer_flush_outcomes(c);
		PQfinish(c);
	}
	if (mailer_pending_outcomes())
		log_event(LOG_ERROR, "mail_outcomes_unrecorded", "n=%zu",
			  mailer_pending_outcomes());
	return 0;
}
