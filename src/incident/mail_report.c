/* Reports by e-mail (see mail_report.h). */
#include "mail_report.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/buf.h"
#include "core/utf8.h"
#include "core/xalloc.h"
#include "db/audit.h"
#include "db/db.h"
#include "auth/authz.h"
#include "auth/session.h"
#include "db/locks.h"
#include "incident/intake.h"
#include "incident/note.h"
#include "incident/outside.h"
#include "incident/page.h"
#include "mail/mime.h"

static const char *fs(const json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "";
}

/* The first max characters of s. Caller frees. */
static char *cut_chars(const char *s, size_t max)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, chars = 0;
	while (u[i] && chars < max) {
		i++;
		while (u[i] && (u[i] & 0xc0) == 0x80)
			i++;
		chars++;
	}
	return xstrndup(s, i);
}

/* The subject without its forwarding prefixes, as the report's summary. */
static char *summary_of(const char *subject)
{
	static const char *const prefixes[] = {"fwd:", "fw:", "転送:", "転送：", "tr:", "wg:", NULL};
	const char *s = subject;
	for (int again = 1; again;) {
		again = 0;
		while (*s == ' ')
			s++;
		for (int k = 0; prefixes[k]; k++) {
			size_t n = strlen(prefixes[k]);
			if (strncasecmp(s, prefixes[k], n) == 0) {
				s += n;
				again = 1;
			}
		}
	}
	if (!*s)
		return xstrdup("件名のない不審メールの報告");
	return cut_chars(s, 200);
}

static json_t *staff_clean(const char *summary, const char *body, const char *section,
			   const char *discovered)
{
	json_t *c = json_pack("{s:s, s:s, s:s, s:s, s:n, s:s, s:s, s:s, s:[], s:s, s:s, s:s, s:n, "
			      "s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:b}",
			      "summary", summary, "description", body, "how_found",
			      "メールで報告 (sokuho mail-intake)", "discovered_at", discovered,
			      "occurred_at", "site", "", "section", section, "category",
			      "suspicious_mail", "segments", "system", "", "system_text", "",
			      "pd_involved", "unknown", "pd_persons", "pd_items", "", "pd_sensitive",
			      "unknown", "pd_mynumber", "unknown", "pd_encrypted", "unknown",
			      "pd_malicious", "unknown", "pd_financial", "unknown", "contractor", "",
			      "bcp", 0);
	return c;
}

json_t *mail_report_legal_facts(void)
{
	json_t *c = staff_clean("", "", "", "");
	json_t *f = intake_facts(c);
	json_decref(c);
	return f;
}

static void add_ind(json_t *a, const char *kind, const char *value, json_t *detail)
{
	if (!value || !*value) {
		json_decref(detail);
		return;
	}
	char *v = cut_chars(value, 2000);
	json_t *one = json_pack("{s:s, s:s}", "kind", kind, "value", v);
	free(v);
	if (one && detail)
		json_object_set_new(one, "detail", detail);
	else
		json_decref(detail);
	if (one)
		json_array_append_new(a, one);
}

/* The indicators of the original, as rows of mail_indicator. */
static json_t *indicators(const json_t *o)
{
	json_t *a = json_array();
	add_ind(a, "from", fs(o, "from"), NULL);
	add_ind(a, "reply_to", fs(o, "reply_to"), NULL);
	add_ind(a, "return_path", fs(o, "return_path"), NULL);
	add_ind(a, "message_id", fs(o, "message_id"), NULL);
	json_t *rx = json_object_get(o, "received_external");
	if (json_is_object(rx))
		add_ind(a, "received", fs(rx, "ip"),
			json_pack("{s:s, s:s}", "host", fs(rx, "host"), "header", fs(rx, "header")));
	size_t i;
	json_t *v;
	json_array_foreach(json_object_get(o, "auth_results"), i, v)
		add_ind(a, "auth_results", json_string_value(v), NULL);
	json_array_foreach(json_object_get(o, "urls"), i, v)
		add_ind(a, "url", json_string_value(v), NULL);
	json_array_foreach(json_object_get(o, "domains"), i, v)
		add_ind(a, "domain", json_string_value(v), NULL);
	json_array_foreach(json_object_get(o, "attachments"), i, v)
		add_ind(a, "attachment", fs(v, "sha256"),
			json_pack("{s:s, s:s, s:O}", "name", fs(v, "name"), "type", fs(v, "type"),
				  "size", json_object_get(v, "size")));
	return a;
}

struct store {
	struct engine *engine;
	const json_t *facts;
	const char *raw;
	size_t raw_len;
	const char *orig;
	size_t orig_len;
	const json_t *clocks;
	char sha[crypto_hash_sha256_BYTES * 2 + 1];
	struct mail_report_out *out;
};

/* An earlier report of the same original by staff, still open. */
static enum db_qs find_wave(PGconn *c, const json_t *o, long long *id, char ref[32],
			    struct db_err *e)
{
	buf hashes = BUF_INIT;
	buf_putc(&hashes, '{');
	size_t i;
	json_t *v;
	json_array_foreach(json_object_get(o, "attachments"), i, v) {
		if (i)
			buf_putc(&hashes, ',');
		buf_puts(&hashes, fs(v, "sha256")); /* hex: no quoting needed */
	}
	buf_putc(&hashes, '}');
	const char *p[4] = {fs(o, "message_id"), fs(o, "from"), fs(o, "subject"), buf_cstr(&hashes)};
	PGresult *r;
	enum db_qs qs = db_exec(
		c, e,
		"SELECT m.incident_id, i.ref FROM mail_report m JOIN incident i ON i.id = m.incident_id "
		"WHERE NOT m.linked AND m.reporter_id IS NOT NULL AND i.closed_at IS NULL AND ("
		"  ($1 <> '' AND m.original_message_id = $1) "
		"  OR ($2 <> '' AND $3 <> '' AND m.original_from = $2 AND m.original_subject = $3 "
		"      AND m.arrived_at > sokuho_now() - interval '1 day') "
		"  OR EXISTS (SELECT 1 FROM mail_indicator x WHERE x.incident_id = m.incident_id "
		"      AND x.kind = 'attachment' AND x.value = ANY ($4::text[]))) "
		"ORDER BY m.arrived_at, m.id LIMIT 1",
		4, p, &r);
	buf_release(&hashes);
	if (qs == DB_OK) {
		*id = db_first_ll(r, "incident_id");
		snprintf(ref, 32, "%s", PQgetvalue(r, 0, PQfnumber(r, "ref")));
	}
	PQclear(r);
	return qs;
}

/* The incident a reply belongs to: one of Sokuho's Message-IDs in
 * In-Reply-To or References, else a reference in the subject. */
static enum db_qs find_thread(PGconn *c, const json_t *f, long long *id, char ref[32],
			      struct db_err *e)
{
	json_t *ids = json_array();
	const char *irt = fs(f, "in_reply_to");
	if (*irt)
		json_array_append_new(ids, json_sprintf("<%s>", irt));
	size_t i;
	json_t *v;
	json_array_foreach(json_object_get(f, "references"), i, v)
		json_array_append_new(ids, json_sprintf("<%s>", json_string_value(v)));
	char *ids_s = json_dumps(ids, JSON_COMPACT);
	json_decref(ids);
	const char *p[2] = {ids_s, fs(f, "thread_ref")};
	PGresult *r;
	enum db_qs qs = db_exec(
		c, e,
		"SELECT i.id, i.ref FROM incident i WHERE i.id = coalesce("
		"  (SELECT o.incident_id FROM outbox o WHERE o.incident_id IS NOT NULL AND "
		"   o.message_id IN (SELECT jsonb_array_elements_text($1::jsonb)) "
		"   ORDER BY o.id DESC LIMIT 1), "
		"  (SELECT x.id FROM incident x WHERE $2 <> '' AND x.ref = $2))",
		2, p, &r);
	free(ids_s);
	if (qs == DB_OK) {
		*id = db_first_ll(r, "id");
		snprintf(ref, 32, "%s", PQgetvalue(r, 0, PQfnumber(r, "ref")));
	}
	PQclear(r);
	return qs;
}

/* Whether person may write notes on incident ref. */
static int may_note(PGconn *c, int person, const char *ref)
{
	struct incident_scope scope;
	long long id;
	if (incident_scope_load(c, ref, &scope, &id) < 0)
		return 0;
	struct principal p = {person, 1, 0, NULL};
	int ok = session_load_grants(c, person, &p) == 0 && authz_action_allows(&p, ACT_NOTE, &scope);
	free(p.grants);
	return ok;
}

/* Queues the one answer to the sender of a report: its reference and what
 * to do now, none to automatic mail, at most MAIL_REPORT_REPLIES_PER_HOUR
 * an hour to one address. */
static enum db_qs queue_answer(PGconn *c, const struct store *s, long long id, int reporter,
			       int queued, struct db_err *e)
{
	const json_t *f = s->facts;
	const char *to = fs(f, "from");
	if (*fs(f, "automatic") || mime_check_address(to) < 0)
		return DB_NONE;
	json_t *data = json_pack("{s:s, s:b, s:b}", "in_reply_to", fs(f, "message_id"), "queued",
				 queued, "auto_replied", 1);
	char *data_s = json_dumps(data, JSON_COMPACT);
	json_decref(data);
	char idbuf[24], rep[16], lim[16];
	snprintf(idbuf, sizeof idbuf, "%lld", id);
	snprintf(rep, sizeof rep, "%d", reporter);
	snprintf(lim, sizeof lim, "%d", MAIL_REPORT_REPLIES_PER_HOUR);
	const char *p[6] = {s->sha, idbuf, reporter ? rep : NULL, to, data_s, lim};
	enum db_qs qs = db_exec(
		c, e,
		"INSERT INTO outbox (dedup_key, incident_id, recipient_id, email, lang, template, data) "
		"SELECT 'mail-answer:' || $1, $2::bigint, $3::int, $4, "
		"  coalesce((SELECT lang FROM person WHERE id = $3::int), 'ja'), "
		"  'mail_report_received', $5::jsonb "
		"WHERE (SELECT count(*) FROM outbox WHERE template = 'mail_report_received' AND "
		"  lower(email) = lower($4) AND created_at > sokuho_now() - interval '1 hour') "
		"  < $6::int "
		"ON CONFLICT (dedup_key) DO NOTHING",
		6, p, NULL);
	free(data_s);
	return qs;
}

static enum db_qs store_tx(PGconn *c, void *arg, struct db_err *e)
{
	struct store *s = arg;
	struct mail_report_out *out = s->out;
	memset(out, 0, sizeof *out);
	const json_t *f = s->facts;
	const json_t *o = json_object_get(f, "original");
	PGresult *r;
	enum db_qs qs = db_exec(c, e, "SELECT pg_advisory_xact_lock(" DB_LOCK_MAIL_INTAKE ")", 0,
				NULL, &r);
	PQclear(r);
	if (qs < 0)
		return qs;
	/* the same message again: a delivery repeated after a lost answer */
	const char *ps[1] = {s->sha};
	qs = db_exec(c, e,
		     "SELECT m.incident_id, i.ref FROM mail_report m JOIN incident i ON "
		     "i.id = m.incident_id WHERE m.raw_sha256 = $1",
		     1, ps, &r);
	if (qs < 0)
		return qs;
	if (qs == DB_OK) {
		out->kind = MAIL_REPORT_DUPLICATE;
		out->incident_id = db_first_ll(r, "incident_id");
		snprintf(out->ref, sizeof out->ref, "%s", PQgetvalue(r, 0, PQfnumber(r, "ref")));
		PQclear(r);
		return DB_OK;
	}
	PQclear(r);
	/* who: only an authenticated sender is a person */
	int reporter = 0;
	char section[128] = "";
	if (json_is_true(json_object_get(f, "authenticated"))) {
		const char *pf[1] = {fs(f, "from")};
		qs = db_exec(c, e,
			     "SELECT p.id, coalesce(u.code, '') AS section FROM person p "
			     "LEFT JOIN org_unit u ON u.id = p.section_id AND u.kind = 'section' "
			     "WHERE lower(p.email) = lower($1) AND p.active ORDER BY p.id LIMIT 1",
			     1, pf, &r);
		if (qs < 0)
			return qs;
		if (qs == DB_OK) {
			reporter = (int)db_first_ll(r, "id");
			snprintf(section, sizeof section, "%s",
				 PQgetvalue(r, 0, PQfnumber(r, "section")));
		}
		PQclear(r);
	}
	struct intake_file files[2] = {
		{"mail.eml", "message/rfc822", s->raw, s->raw_len},
		{"original.eml", "message/rfc822", s->orig, s->orig_len},
	};
	size_t nfiles = s->orig ? 2 : 1;
	long long id = 0;
	char ref[32] = "";
	int linked = 0;
	/* a reply in an incident's thread */
	if ((qs = find_thread(c, f, &id, ref, e)) < 0)
		return qs;
	if (qs == DB_OK) {
		if (reporter && may_note(c, reporter, ref)) {
			char *body = cut_chars(fs(f, "body"), INCIDENT_NOTE_MAX_CHARS);
			if (!*body) {
				free(body);
				body = cut_chars(fs(f, "subject"), INCIDENT_NOTE_MAX_CHARS);
			}
			if (!*body) {
				free(body);
				body = xstrdup("（本文のない返信）");
			}
			struct intake_file reply = {"reply.eml", "message/rfc822", s->raw, s->raw_len};
			char idb[24];
			snprintf(idb, sizeof idb, "%lld", id);
			const char *pd[2] = {idb, s->sha};
			/* the same reply delivered again */
			qs = db_exec(c, e,
				     "SELECT 1 FROM attachment WHERE incident_id = $1::bigint AND "
				     "filename = 'reply.eml' AND sha256 = $2",
				     2, pd, &r);
			PQclear(r);
			if (qs == DB_NONE &&
			    ((qs = incident_add_note_in_tx(c, id, reporter, NULL, body, e)) >= 0))
				qs = intake_store_files(c, id, &reply, 1, reporter, e);
			free(body);
			if (qs < 0)
				return qs;
			out->kind = MAIL_REPORT_NOTE;
			out->incident_id = id;
			out->reporter_id = reporter;
			snprintf(out->ref, sizeof out->ref, "%s", ref);
			return DB_OK;
		}
		/* not theirs to write on: the CSIRT looks at it */
		reporter = 0;
	}
	out->reporter_id = reporter;
	if (reporter && (qs = find_wave(c, o, &id, ref, e)) < 0)
		return qs;
	if (reporter && qs == DB_OK) {
		linked = 1;
		if ((qs = intake_store_files(c, id, files, nfiles, reporter, e)) < 0)
			return qs;
		json_t *d = json_pack("{s:s, s:s, s:s}", "ref", ref, "sender", fs(f, "from"),
				      "subject", fs(f, "subject"));
		qs = audit_append(c, e, reporter, "incident.mail_linked", NULL, id, d);
		json_decref(d);
		if (qs < 0)
			return qs;
		out->kind = MAIL_REPORT_LINKED;
	} else if (reporter) {
		qs = db_exec(c, e,
			     "SELECT to_char(sokuho_now() AT TIME ZONE 'Asia/Tokyo', "
			     "'YYYY-MM-DD\"T\"HH24:MI:SS.US\"+09:00\"') AS now",
			     0, NULL, &r);
		if (qs < 0)
			return qs;
		char now[64];
		snprintf(now, sizeof now, "%s", PQgetvalue(r, 0, 0));
		PQclear(r);
		char *summary = summary_of(fs(f, "subject"));
		char *body = cut_chars(fs(f, "body"), 20000);
		json_t *clean = staff_clean(summary, body, section, now);
		free(summary);
		free(body);
		qs = intake_store_in_tx(s->engine, c, clean, s->clocks, files, nfiles, INTAKE_STAFF,
					reporter, NULL, ref, &id, e);
		json_decref(clean);
		if (qs < 0)
			return qs;
		out->kind = MAIL_REPORT_NEW;
	} else {
		buf what = BUF_INIT;
		buf_printf(&what, "%s\n\n%s", fs(f, "subject"), fs(f, "body"));
		char *w = cut_chars(buf_cstr(&what), OUTSIDE_WHAT_MAX);
		buf_release(&what);
		if (!*w) {
			free(w);
			w = xstrdup("（件名・本文のないメール）");
		}
		char *contact = cut_chars(fs(f, "from"), OUTSIDE_CONTACT_MAX);
		json_t *clean = json_pack("{s:s, s:s, s:s, s:s}", "what", w, "when", "", "place", "",
					  "contact", contact);
		free(w);
		free(contact);
		qs = outside_store_in_tx(c, clean, files, nfiles, ref, &id, e);
		json_decref(clean);
		if (qs < 0)
			return qs;
		out->kind = MAIL_REPORT_QUEUED;
	}
	char idbuf[24], rep[16];
	snprintf(idbuf, sizeof idbuf, "%lld", id);
	snprintf(rep, sizeof rep, "%d", reporter);
	char *facts_s = json_dumps(f, JSON_COMPACT);
	char *sender_name = cut_chars(fs(f, "from_name"), 200);
	char *subject = cut_chars(fs(f, "subject"), 1000);
	char *osubject = cut_chars(fs(o, "subject"), 1000);
	const char *p[15] = {idbuf,
			     fs(f, "from"),
			     sender_name,
			     reporter ? rep : NULL,
			     json_is_true(json_object_get(f, "authenticated")) ? "t" : "f",
			     fs(f, "auth_via"),
			     subject,
			     fs(f, "message_id"),
			     s->sha,
			     fs(o, "shape"),
			     fs(o, "from"),
			     osubject,
			     fs(o, "message_id"),
			     linked ? "t" : "f",
			     facts_s};
	qs = db_exec(c, e,
		     "INSERT INTO mail_report (incident_id, sender, sender_name, reporter_id, "
		     "  authenticated, auth_via, subject, message_id, raw_sha256, original_shape, "
		     "  original_from, original_subject, original_message_id, linked, facts) "
		     "VALUES ($1::bigint, $2, $3, $4::int, $5::boolean, $6, $7, $8, $9, $10, $11, "
		     "  $12, $13, $14::boolean, $15::jsonb)",
		     15, p, NULL);
	free(facts_s);
	free(sender_name);
	free(subject);
	free(osubject);
	if (qs < 0)
		return qs;
	json_t *ind = indicators(o);
	char *ind_s = json_dumps(ind, JSON_COMPACT);
	json_decref(ind);
	const char *q[2] = {idbuf, ind_s};
	qs = db_exec(c, e,
		     "INSERT INTO mail_indicator (incident_id, kind, value, detail) "
		     "SELECT $1::bigint, x->>'kind', x->>'value', x->'detail' "
		     "FROM jsonb_array_elements($2::jsonb) x ON CONFLICT DO NOTHING",
		     2, q, NULL);
	free(ind_s);
	if (qs < 0)
		return qs;
	if ((qs = queue_answer(c, s, id, reporter, out->kind == MAIL_REPORT_QUEUED, e)) < 0)
		return qs;
	out->incident_id = id;
	snprintf(out->ref, sizeof out->ref, "%s", ref);
	return DB_OK;
}

enum db_qs mail_report_store(struct engine *engine, PGconn *c, const json_t *facts,
			     const char *raw, size_t raw_len, const char *orig, size_t orig_len,
			     const json_t *clocks, struct mail_report_out *out, struct db_err *e)
{
	struct store s = {engine, facts, raw, raw_len, orig, orig_len, clocks, "", out};
	unsigned char h[crypto_hash_sha256_BYTES];
	crypto_hash_sha256(h, (const unsigned char *)raw, raw_len);
	sodium_bin2hex(s.sha, sizeof s.sha, h, sizeof h);
	/* idempotent: the same raw message is found and stored once */
	return db_run_tx(c, "mail_report_store", DB_TX_IDEMPOTENT, store_tx, &s, e);
}

json_t *mail_report_of_incident(PGconn *c, long long id)
{
	char idbuf[24];
	snprintf(idbuf, sizeof idbuf, "%lld", id);
	const char *p[1] = {idbuf};
	json_t *reports = db_rows(
		c,
		"SELECT m.id, to_char(m.arrived_at AT TIME ZONE 'Asia/Tokyo', 'YYYY-MM-DD HH24:MI') AS "
		"  arrived, m.sender, m.sender_name, coalesce(p.display_name, '') AS reporter_name, "
		"  m.authenticated, m.auth_via, m.subject, m.linked, m.original_shape "
		"FROM mail_report m LEFT JOIN person p ON p.id = m.reporter_id "
		"WHERE m.incident_id = $1::bigint ORDER BY m.arrived_at, m.id",
		1, p);
	if (!reports || json_array_size(reports) == 0) {
		json_decref(reports);
		return NULL;
	}
	json_t *ind = db_rows(c,
			      "SELECT kind, value, coalesce(detail->>'name', '') AS name, "
			      "  coalesce(detail->>'type', '') AS type, "
			      "  coalesce(detail->>'header', '') AS header "
			      "FROM mail_indicator WHERE incident_id = $1::bigint "
			      "ORDER BY array_position(ARRAY['from', 'reply_to', 'return_path', "
			      "  'received', 'auth_results', 'message_id', 'url', 'domain', "
			      "  'attachment'], kind), value",
			      1, p);
	return json_pack("{s:o, s:o, s:i}", "reports", reports, "indicators",
			 ind ? ind : json_array(), "count", (int)json_array_size(reports));
}

json_t *mail_report_waves(PGconn *c, int limit)
{
	char lim[16];
	snprintf(lim, sizeof lim, "%d", limit);
	const char *p[1] = {lim};
	return db_rows(c,
		       "SELECT i.ref, i.summary, count(*) AS reports, "
		       "  to_char(min(m.arrived_at) AT TIME ZONE 'Asia/Tokyo', 'YYYY-MM-DD HH24:MI') "
		       "  AS first, "
		       "  to_char(max(m.arrived_at) AT TIME ZONE 'Asia/Tokyo', 'YYYY-MM-DD HH24:MI') "
		       "  AS latest "
		       "FROM mail_report m JOIN incident i ON i.id = m.incident_id "
		       "WHERE i.closed_at IS NULL GROUP BY i.id HAVING count(*) > 1 "
		       "ORDER BY max(m.arrived_at) DESC, i.id LIMIT $1::int",
		       1, p);
}

struct split {
	struct engine *engine;
	long long id, mail_id;
	const json_t *clocks;
	int actor;
	const char *ip;
	char ref[32];
};

static enum db_qs split_tx(PGconn *c, void *arg, struct db_err *e)
{
	struct split *sp = arg;
	sp->ref[0] = '\0';
	char idb[24], mid[24];
	snprintf(idb, sizeof idb, "%lld", sp->id);
	snprintf(mid, sizeof mid, "%lld", sp->mail_id);
	const char *p[2] = {mid, idb};
	json_t *row = NULL;
	enum db_qs qs = db_row_get(
		c, e,
		"SELECT m.reporter_id, m.raw_sha256, m.facts::text AS facts, "
		"  to_char(m.arrived_at AT TIME ZONE 'Asia/Tokyo', "
		"  'YYYY-MM-DD\"T\"HH24:MI:SS.US\"+09:00\"') AS arrived, "
		"  coalesce(u.code, '') AS section, i.ref AS old_ref "
		"FROM mail_report m JOIN incident i ON i.id = m.incident_id "
		"JOIN person p ON p.id = m.reporter_id "
		"LEFT JOIN org_unit u ON u.id = p.section_id AND u.kind = 'section' "
		"WHERE m.id = $1::bigint AND m.incident_id = $2::bigint AND m.linked FOR UPDATE OF m",
		2, p, &row);
	if (qs <= 0)
		return qs;
	int reporter = atoi(fs(row, "reporter_id"));
	json_t *facts = json_loads(fs(row, "facts"), 0, NULL);
	if (!facts || reporter <= 0) {
		json_decref(facts);
		json_decref(row);
		return db_fail(c, e, "a mail report without its facts or reporter");
	}
	char *summary = summary_of(fs(facts, "subject"));
	char *body = cut_chars(fs(facts, "body"), 20000);
	json_t *clean = staff_clean(summary, body, fs(row, "section"), fs(row, "arrived"));
	free(summary);
	free(body);
	long long nid = 0;
	qs = intake_store_in_tx(sp->engine, c, clean, sp->clocks, NULL, 0, INTAKE_STAFF, reporter,
				sp->ip, sp->ref, &nid, e);
	json_decref(clean);
	char nidb[24];
	snprintf(nidb, sizeof nidb, "%lld", nid);
	const char *q[3] = {nidb, idb, fs(row, "raw_sha256")};
	/* the mail stays evidence of the first incident, and becomes the new one's */
	if (qs >= 0)
		qs = db_exec(c, e,
			     "INSERT INTO attachment (incident_id, filename, content_type, size, sha256, "
			     "  data, uploaded_by) SELECT $1::bigint, filename, content_type, size, "
			     "  sha256, data, uploaded_by FROM attachment WHERE incident_id = $2::bigint "
			     "  AND sha256 = $3 AND filename = 'mail.eml'",
			     3, q, NULL);
	const char *u[2] = {nidb, mid};
	if (qs >= 0)
		qs = db_exec(c, e,
			     "UPDATE mail_report SET incident_id = $1::bigint, linked = false "
			     "WHERE id = $2::bigint",
			     2, u, NULL);
	if (qs >= 0) {
		json_t *ind = indicators(json_object_get(facts, "original"));
		char *ind_s = json_dumps(ind, JSON_COMPACT);
		json_decref(ind);
		const char *r[2] = {nidb, ind_s};
		qs = db_exec(c, e,
			     "INSERT INTO mail_indicator (incident_id, kind, value, detail) "
			     "SELECT $1::bigint, x->>'kind', x->>'value', x->'detail' "
			     "FROM jsonb_array_elements($2::jsonb) x ON CONFLICT DO NOTHING",
			     2, r, NULL);
		free(ind_s);
	}
	if (qs >= 0) {
		json_t *d = json_pack("{s:s, s:s, s:I}", "from", fs(row, "old_ref"), "to", sp->ref,
				      "mail_report", (json_int_t)sp->mail_id);
		qs = audit_append(c, e, sp->actor, "incident.mail_split", sp->ip, sp->id, d);
		if (qs >= 0)
			qs = audit_append(c, e, sp->actor, "incident.mail_split", sp->ip, nid, d);
		json_decref(d);
	}
	json_decref(facts);
	json_decref(row);
	return qs < 0 ? qs : DB_OK;
}

enum db_qs mail_report_split(struct engine *engine, PGconn *c, long long id, long long mail_id,
			     const json_t *clocks, int actor, const char *ip, char ref[32],
			     struct db_err *e)
{
	struct split sp = {engine, id, mail_id, clocks, actor, ip && *ip ? ip : NULL, ""};
	/* idempotent: a second run finds the report no longer linked (DB_NONE) */
	enum db_qs qs = db_run_tx(c, "mail_report_split", DB_TX_IDEMPOTENT, split_tx, &sp, e);
	snprintf(ref, 32, "%s", sp.ref);
	return qs;
}
