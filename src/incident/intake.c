/* Report intake (see intake.h). Messages name what is wrong and what to do;
 * codes (site, section, category, system) are checked against the database. */
#include "intake.h"

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/calendar.h"
#include "core/log.h"
#include "core/utf8.h"
#include "core/xalloc.h"
#include "db/audit.h"
#include "db/db.h"
#include "db/tx.h"
#include "fields.h"
#include "wf/engine.h"
#include "wf/legal_period.h"

static const char *str(const json_t *raw, const char *key)
{
	json_t *v = json_object_get(raw, key);
	if (json_is_array(v))
		v = json_array_get(v, 0);
	const char *s = json_string_value(v);
	return s ? s : "";
}

static void fail(json_t *errors, const char *field, const char *msg)
{
	if (!json_object_get(errors, field))
		json_object_set_new(errors, field, json_string(msg));
}

static void text_field(json_t *clean, json_t *errors, const json_t *raw, const char *key,
		       size_t max, int required, int multiline, const char *required_msg)
{
	char *v = utf8_trim(str(raw, key));
	if (required && !*v) {
		fail(errors, key, required_msg);
	} else if (utf8_chars(v) > max) {
		if (!json_object_get(errors, key))
			json_object_set_new(errors, key,
					    json_pack("{s:s, s:{s:I, s:I}}", "key", "report_err_too_long",
						      "args", "max", (json_int_t)max, "now",
						      (json_int_t)utf8_chars(v)));
	} else if (utf8_has_controls(v, multiline)) {
		fail(errors, key, "report_err_controls");
	}
	json_object_set_new(clean, key, json_string(v));
	free(v);
}

/* The text fields' rules, one source for filing and for corrections. */
struct text_rule {
	const char *name;
	size_t max;            /* characters */
	int required, multiline;
	const char *required_msg;
	int external;          /* asked of outsiders only (the public form) */
};

static const struct text_rule text_rules[] = {
	{"summary", 200, 1, 0, "report_err_summary", 0},
	{"description", 20000, 0, 1, NULL, 0},
	{"how_found", 2000, 0, 1, NULL, 0},
	{"system_text", 200, 0, 0, NULL, 0},
	{"pd_items", 1000, 0, 1, NULL, 0},
	{"contractor", 200, 0, 0, NULL, 0},
	{"external_name", 100, 1, 0, "report_err_name", 1},
	{"external_contact", 200, 1, 0,
	 "report_err_contact",
	 1},
	{NULL, 0, 0, 0, NULL, 0},
};

static void text_rule_check(json_t *clean, json_t *errors, const json_t *raw,
			    const struct text_rule *t)
{
	text_field(clean, errors, raw, t->name, t->max, t->required, t->multiline, t->required_msg);
}

static const struct text_rule *text_rule_find(const char *name)
{
	for (const struct text_rule *t = text_rules; t->name; t++)
		if (strcmp(t->name, name) == 0)
			return t;
	return NULL;
}

/* Checks a date and time in the database (real calendar, not in the future,
 * not absurdly old) and returns it as an ISO 8601 string with offset, or
 * NULL after recording an error. A time without an offset is Japan time. */
static char *datetime_field(PGconn *c, json_t *errors, const char *key, const char *v,
			    enum intake_channel channel)
{
	if (!fields_datetime_shape(v, channel != INTAKE_API)) {
		fail(errors, key, "report_err_datetime");
		return NULL;
	}
	const char *params[1] = {v};
	PGresult *r = PQexecParams(
		c,
		"SELECT to_char(t AT TIME ZONE 'Asia/Tokyo', 'YYYY-MM-DD\"T\"HH24:MI:SS\"+09:00\"'), "
		"  t > sokuho_now() + interval '5 minutes', t < timestamptz '2000-01-01' "
		"FROM (SELECT CASE WHEN $1 ~ '(Z|[+-][0-9]{2}:[0-9]{2})$' THEN $1::timestamptz "
		"  ELSE ($1::timestamp AT TIME ZONE 'Asia/Tokyo') END AS t) x",
		1, NULL, params, NULL, NULL, 0);
	char *out = NULL;
	if (!db_ok(r) || PQntuples(r) != 1)
		fail(errors, key, "report_err_no_such_date");
	else if (PQgetvalue(r, 0, 1)[0] == 't')
		fail(errors, key, "report_err_future");
	else if (PQgetvalue(r, 0, 2)[0] == 't')
		fail(errors, key, "report_err_before_2000");
	else
		out = xstrdup(PQgetvalue(r, 0, 0));
	PQclear(r);
	return out;
}

static int code_exists(PGconn *c, const char *sql, const char *code)
{
	const char *params[1] = {code};
	PGresult *r = PQexecParams(c, sql, 1, NULL, params, NULL, NULL, 0);
	int ok = db_ok(r) && PQntuples(r) == 1;
	PQclear(r);
	return ok;
}

static void yes_no_unknown(json_t *clean, json_t *errors, const json_t *raw, const char *key,
			   const char *dflt)
{
	const char *v = str(raw, key);
	if (!*v)
		v = dflt;
	if (strcmp(v, "yes") && strcmp(v, "no") && strcmp(v, "unknown"))
		fail(errors, key, "report_err_tri");
	json_object_set_new(clean, key, json_string(v));
}

static void category_field(PGconn *c, json_t *clean, json_t *errors, const json_t *raw)
{
	const char *cat = str(raw, "category");
	if (!*cat)
		fail(errors, "category", "report_err_category");
	else if (!code_exists(c, "SELECT 1 FROM category WHERE key = $1", cat))
		fail(errors, "category", "report_err_category_list");
	json_object_set_new(clean, "category", json_string(cat));
}

/* The number of persons: empty (not known), or a whole number in the range
 * of the field table (incident/fields.h). */
static void persons_field(json_t *clean, json_t *errors, const json_t *raw)
{
	const struct incident_field *f = incident_field_find("pd_persons");
	const char *persons = str(raw, "pd_persons");
	json_object_set_new(clean, "pd_persons", json_null());
	if (*persons) {
		char *end;
		errno = 0;
		long long n = strtoll(persons, &end, 10);
		if (*end || errno || !isdigit((unsigned char)persons[0]) || n < f->min || n > f->max)
			fail(errors, "pd_persons", "report_err_persons");
		else
			json_object_set_new(clean, "pd_persons", json_integer(n));
	}
}

json_t *intake_check(PGconn *c, const json_t *raw, enum intake_channel channel, json_t *errors)
{
	json_t *clean = json_object();
	for (const struct text_rule *t = text_rules; t->name; t++)
		if (!t->external)
			text_rule_check(clean, errors, raw, t);

	const char *disc = str(raw, "discovered_at");
	if (!*disc) {
		fail(errors, "discovered_at", "report_err_discovered");
	} else {
		char *d = datetime_field(c, errors, "discovered_at", disc, channel);
		if (d)
			json_object_set_new(clean, "discovered_at", json_string(d));
		free(d);
	}
	const char *occ = str(raw, "occurred_at");
	int occ_unknown = *str(raw, "occurred_unknown") != '\0';
	json_object_set_new(clean, "occurred_at", json_null());
	if (*occ && !occ_unknown) {
		char *o = datetime_field(c, errors, "occurred_at", occ, channel);
		if (o) {
			const char *dd = json_string_value(json_object_get(clean, "discovered_at"));
			if (dd && strcmp(o, dd) > 0)
				fail(errors, "occurred_at", "report_err_occurred_after");
			json_object_set_new(clean, "occurred_at", json_string(o));
		}
		free(o);
	}

	const char *site = str(raw, "site");
	if (*site && !code_exists(c, "SELECT 1 FROM site WHERE code = $1", site))
		fail(errors, "site", "report_err_site_list");
	else if (!*site && channel != INTAKE_EXTERNAL)
		fail(errors, "site", "report_err_site");
	json_object_set_new(clean, "site", json_string(site));

	const char *section = str(raw, "section");
	if (*section && !code_exists(c, "SELECT 1 FROM org_unit WHERE code = $1 AND kind = 'section' "
					"AND active", section))
		fail(errors, "section", "report_err_section_list");
	json_object_set_new(clean, "section", json_string(section));

	category_field(c, clean, errors, raw);

	json_t *segs = json_array();
	json_t *rs = json_object_get(raw, "segments");
	size_t i;
	json_t *sv;
	if (json_is_string(rs)) {
		json_t *one = json_array();
		json_array_append(one, rs);
		rs = one;
	} else {
		json_incref(rs);
	}
	json_array_foreach(rs, i, sv) {
		const char *s = json_string_value(sv);
		if (!s || (strcmp(s, "mynumber") && strcmp(s, "lgwan") && strcmp(s, "internet") &&
			   strcmp(s, "unknown"))) {
			fail(errors, "segments", "report_err_segments");
			continue;
		}
		int dup = 0;
		size_t k;
		json_t *have;
		json_array_foreach(segs, k, have)
			dup |= strcmp(json_string_value(have), s) == 0;
		if (!dup)
			json_array_append_new(segs, json_string(s));
	}
	json_decref(rs);
	json_object_set_new(clean, "segments", segs);

	const char *sys = str(raw, "system");
	if (*sys && !code_exists(c, "SELECT 1 FROM info_system WHERE code = $1", sys))
		fail(errors, "system", "report_err_system_list");
	json_object_set_new(clean, "system", json_string(sys));

	yes_no_unknown(clean, errors, raw, "pd_involved", "");
	static const char *const pd[] = {"pd_sensitive", "pd_mynumber", "pd_encrypted",
					 "pd_malicious", "pd_financial", NULL};
	for (int k = 0; pd[k]; k++)
		yes_no_unknown(clean, errors, raw, pd[k], "unknown");
	if (!*str(raw, "pd_involved"))
		json_object_set_new(errors, "pd_involved",
				    json_string("report_err_pd_involved"));
	persons_field(clean, errors, raw);
	json_object_set_new(clean, "bcp", json_boolean(*str(raw, "bcp") != '\0'));

	if (channel == INTAKE_EXTERNAL)
		for (const struct text_rule *t = text_rules; t->name; t++)
			if (t->external)
				text_rule_check(clean, errors, raw, t);
	return clean;
}

json_t *intake_tri_fact(const char *v)
{
	if (v && strcmp(v, "yes") == 0)
		return json_true();
	if (v && strcmp(v, "no") == 0)
		return json_false();
	return json_string("unknown");
}

static json_t *tri(const json_t *clean, const char *key)
{
	return intake_tri_fact(json_string_value(json_object_get(clean, key)));
}

json_t *intake_facts(const json_t *clean)
{
	json_t *pd = json_object();
	json_object_set_new(pd, "involved", json_deep_copy(json_object_get(clean, "pd_involved")));
	json_t *persons = json_object_get(clean, "pd_persons");
	if (json_is_integer(persons))
		json_object_set(pd, "persons", persons);
	json_object_set_new(pd, "sensitive", tri(clean, "pd_sensitive"));
	json_object_set_new(pd, "mynumber", tri(clean, "pd_mynumber"));
	json_object_set_new(pd, "encrypted", tri(clean, "pd_encrypted"));
	json_object_set_new(pd, "malicious", tri(clean, "pd_malicious"));
	json_object_set_new(pd, "financial", tri(clean, "pd_financial"));
	json_t *f = json_object();
	json_object_set_new(f, "personal_data", pd);
	json_object_set_new(f, "segments", json_deep_copy(json_object_get(clean, "segments")));
	json_object_set_new(f, "category", json_deep_copy(json_object_get(clean, "category")));
	json_object_set_new(f, "bcp", json_deep_copy(json_object_get(clean, "bcp")));
	json_object_set_new(f, "discovered_at",
			    json_deep_copy(json_object_get(clean, "discovered_at")));
	return f;
}

json_t *intake_check_correction(PGconn *c, const json_t *raw, json_t *errors)
{
	json_t *clean = json_object();
	static const char *const texts[] = {"summary", "description", "contractor", NULL};
	for (int k = 0; texts[k]; k++)
		text_rule_check(clean, errors, raw, text_rule_find(texts[k]));
	category_field(c, clean, errors, raw);
	persons_field(clean, errors, raw);
	/* The personal-data answers, when the form sends them (an older page
	 * without them leaves them as they are); never empty. */
	static const char *const pd[] = {"pd_involved", "pd_sensitive", "pd_mynumber", "pd_encrypted",
					 "pd_malicious", "pd_financial", NULL};
	for (int k = 0; pd[k]; k++)
		if (json_object_get(raw, pd[k]))
			yes_no_unknown(clean, errors, raw, pd[k], "");
	const char *sev = str(raw, "severity");
	json_object_set_new(clean, "severity", json_null());
	if (*sev && (strlen(sev) != 1 || sev[0] < '0' || sev[0] > '3'))
		fail(errors, "severity", "report_err_severity");
	else if (*sev)
		json_object_set_new(clean, "severity", json_integer(sev[0] - '0'));
	return clean;
}

/* "YYYY-MM-DD" of a day number into out (11 bytes). */
static const char *day_text(long day, char *out, size_t n)
{
	int y, m, d;
	cal_civil_from_days(day, &y, &m, &d);
	snprintf(out, n, "%04d-%02d-%02d", y, m, d);
	return out;
}

/* The dates of a deadline counted as the law counts them (wf/legal_period.h)
 * from the moment it counts from (aware, Unix seconds): last, target and
 * guide ("" when none) as "YYYY-MM-DD". */
static void legal_dates(const json_t *dl, const struct calendar *cal, time_t aware, char *last,
			char *target, char *guide, size_t n)
{
	const char *count = json_string_value(json_object_get(dl, "count"));
	long l, t, g;
	last[0] = target[0] = guide[0] = '\0';
	if (count && strcmp(count, "final") == 0) {
		long aware_day = legal_day_of(aware);
		int days = (int)json_integer_value(json_object_get(dl, "days"));
		int margin = (int)json_integer_value(json_object_get(dl, "target_before"));
		if (legal_last_day(aware_day, days, &l) < 0)
			return;
		day_text(l, last, n);
		if (legal_internal_target(cal, aware_day, l, margin, &t) == 0)
			day_text(t, target, n);
	} else if (count && strcmp(count, "preliminary") == 0) {
		if (legal_preliminary_report_days(aware, &t, &g) < 0)
			return;
		day_text(t, target, n);
		day_text(g, guide, n);
	}
}

#define FROM_SQL                                                                  \
	"CASE $2 WHEN 'reported_at' THEN reported_at "                              \
	"WHEN 'occurred_at' THEN coalesce(occurred_at, discovered_at) ELSE discovered_at END"

enum db_qs intake_store_deadlines(PGconn *c, long long id, const json_t *clocks,
				  const struct calendar *cal, json_t *added, struct db_err *e)
{
	char idbuf[24];
	snprintf(idbuf, sizeof idbuf, "%lld", id);
	struct calendar defaults;
	cal_init(&defaults);
	if (!cal)
		cal = &defaults;
	enum db_qs result = DB_NONE;
	size_t i;
	json_t *clock;
	json_array_foreach((json_t *)(uintptr_t)clocks, i, clock) {
		size_t k;
		json_t *dl;
		json_array_foreach(json_object_get(clock, "deadlines"), k, dl) {
			const char *from = json_string_value(json_object_get(dl, "from"));
			char last[16] = "", target[16] = "", guide[16] = "";
			if (json_object_get(dl, "count")) {
				PGresult *r;
				const char *pf[2] = {idbuf, from};
				enum db_qs qs = db_exec(c, e,
							"SELECT floor(extract(epoch FROM " FROM_SQL
							"))::bigint FROM incident WHERE id = $1::bigint",
							2, pf, &r);
				if (qs < 0)
					return qs;
				if (qs == DB_OK && !PQgetisnull(r, 0, 0))
					legal_dates(dl, cal, (time_t)atoll(PQgetvalue(r, 0, 0)), last,
						    target, guide, sizeof last);
				PQclear(r);
			}
			const char *p[10] = {idbuf,
					     json_string_value(json_object_get(clock, "key")),
					     json_string_value(json_object_get(dl, "key")),
					     json_string_value(json_object_get(dl, "title_ja")),
					     json_string_value(json_object_get(dl, "title_en")),
					     json_string_value(json_object_get(dl, "interval")),
					     from,
					     last[0] ? last : NULL,
					     target[0] ? target : NULL,
					     guide[0] ? guide : NULL};
			/* A deadline counted as the law counts it is due at the end
			 * of its legal last day (23:59:59.999999 Japan time: day 30
			 * with the day of awareness as day 1, moved past 行政機関の休日;
			 * docs/legal.md), not its interval after the moment of
			 * awareness, which ends later in the day than the law on
			 * most days; one with no such count, interval after. A
			 * deadline already running keeps its due time and dates: a
			 * later correction does not move a legal clock. */
			enum db_qs qs = db_exec(
				c, e,
				"INSERT INTO legal_deadline (incident_id, clock, key, title_ja, title_en, "
				"due_at, last_day, target_day, guide_until) SELECT $1, $2, $3, $4, $5, "
				"CASE WHEN $8::date IS NOT NULL "
				"THEN ($8::date + 1)::timestamp AT TIME ZONE 'Asia/Tokyo' "
				"  - interval '1 microsecond' "
				"ELSE CASE $7 WHEN 'reported_at' THEN reported_at "
				"WHEN 'occurred_at' THEN coalesce(occurred_at, discovered_at) "
				"ELSE discovered_at END + $6::interval END, "
				"$8::date, $9::date, $10::date FROM incident WHERE id = $1 "
				"ON CONFLICT (incident_id, key) DO NOTHING",
				10, p, NULL);
			if (qs < 0)
				return qs;
			if (qs == DB_OK) {
				result = DB_OK;
				if (added)
					json_array_append_new(added, json_string(p[2]));
			}
		}
	}
	return result;
}

enum db_qs intake_store_files(PGconn *c, long long id, const struct intake_file *files,
			      size_t nfiles, int uploaded_by, struct db_err *e)
{
	char idbuf[24], by[16];
	snprintf(idbuf, sizeof idbuf, "%lld", id);
	snprintf(by, sizeof by, "%d", uploaded_by);
	for (size_t i = 0; i < nfiles; i++) {
		char size[24];
		snprintf(size, sizeof size, "%zu", files[i].len);
		const char *p[6] = {idbuf, files[i].filename, files[i].content_type, size,
				    files[i].data, uploaded_by > 0 ? by : NULL};
		int lens[6] = {0, 0, 0, 0, (int)files[i].len, 0};
		int fmts[6] = {0, 0, 0, 0, 1, 0};
		PGresult *r = PQexecParams(c,
					   "INSERT INTO attachment (incident_id, filename, content_type, "
					   "size, sha256, data, uploaded_by) VALUES ($1, $2, $3, $4, "
					   "encode(sha256($5::bytea), 'hex'), $5::bytea, $6::int)",
					   6, NULL, p, lens, fmts, 0);
		enum db_qs qs = db_classify(c, r, e);
		PQclear(r);
		if (qs < 0)
			return qs;
	}
	return DB_OK;
}

static const char *opt(const json_t *clean, const char *key)
{
	const char *s = json_string_value(json_object_get(clean, key));
	return s && *s ? s : NULL;
}

/* One filing's transaction: its inputs, and what it made. */
struct filing {
	struct engine *engine;
	const char *const *params; /* of the incident row */
	const json_t *clocks;
	const struct intake_file *files;
	size_t nfiles;
	enum intake_channel channel;
	const char *channel_name;
	int reporter_id;
	const char *reporter; /* reporter_id as text, or NULL */
	const char *ip;
	long long id;
	char ref[32];
};

static enum db_qs filing_tx(PGconn *c, void *arg, struct db_err *e)
{
	struct filing *f = arg;
	f->id = -1;
	f->ref[0] = '\0';
	PGresult *r;
	enum db_qs qs = db_exec(
		c, e,
		"INSERT INTO incident (id, ref, channel, reporter_id, external_name, external_contact, "
		"  section_id, site_id, category, summary, description, how_found, discovered_at, "
		"  occurred_at, segments, system_id, system_text, pd_involved, pd_persons, pd_items, "
		"  pd_sensitive, pd_mynumber, pd_encrypted, pd_malicious, pd_financial, contractor, "
		"  bcp, facts) "
		"VALUES (nextval('incident_id_seq'), "
		"  'INC-0000-' || lpad(currval('incident_id_seq')::text, 12, '0'), $1, $2::int, $3, $4, "
		"  (SELECT id FROM org_unit WHERE code = $5 AND kind = 'section'), "
		"  (SELECT id FROM site WHERE code = $6), $7, $8, $9, $10, $11::timestamptz, "
		"  $12::timestamptz, $13::text[], (SELECT id FROM info_system WHERE code = $14), $15, "
		"  $16, $17::int, $18, $19, $20, $21, $22, $23, $24, $25::boolean, $26::jsonb) "
		"RETURNING id",
		26, f->params, &r);
	if (qs < 0)
		return qs;
	long long id = db_first_ll(r, "id");
	PQclear(r);
	char idbuf[24];
	snprintf(idbuf, sizeof idbuf, "%lld", id);
	if ((qs = intake_store_deadlines(c, id, f->clocks, f->engine ? engine_calendar(f->engine) : NULL, NULL, e)) < 0)
		return qs;
	if ((qs = intake_store_files(c, id, f->files, f->nfiles, f->reporter_id, e)) < 0)
		return qs;
	/* an outsider's report counts toward the public form's rate, in the
	 * same transaction: no report without its count, no count without it */
	if (f->channel == INTAKE_EXTERNAL) {
		const char *p[1] = {f->ip};
		if ((qs = db_exec(c, e, "INSERT INTO public_report_rate (ip) VALUES ($1::inet)", 1, p,
				  NULL)) < 0)
			return qs;
	}
	if (f->engine && engine_start_incident(f->engine, c, id) < 0)
		return db_fail(c, e, "the workflows could not be started");
	/* The reference last: the year's counter row stays locked from here to
	 * COMMIT (that is what keeps the numbers gap-free), so it is taken after
	 * the rest of the work and concurrent filings wait on it only for these
	 * two statements and the COMMIT. Until then the row holds a placeholder
	 * no other transaction sees (INC-0000-<id>: year 0000 is never a real
	 * one); the mails queued meanwhile get the reference from the incident
	 * when they are sent (the sender's claim reads i.ref). */
	const char *pr[1] = {idbuf};
	if ((qs = db_exec(c, e,
			  "UPDATE incident SET ref = next_incident_ref(sokuho_now()) "
			  "WHERE id = $1::bigint RETURNING ref",
			  1, pr, &r)) < 0)
		return qs;
	int cref = PQfnumber(r, "ref");
	if (qs == DB_NONE || cref < 0) {
		PQclear(r);
		return db_fail(c, e, "the new incident was not found to number it");
	}
	snprintf(f->ref, sizeof f->ref, "%s", PQgetvalue(r, 0, cref));
	PQclear(r);
	json_t *detail = json_pack("{s:s, s:s, s:i}", "ref", f->ref, "channel", f->channel_name,
				   "attachments", (int)f->nfiles);
	qs = audit_append(c, e, f->reporter_id, "incident.reported", f->ip, id, detail);
	json_decref(detail);
	if (qs < 0)
		return qs;
	f->id = id;
	return DB_OK;
}

/* The incident row's parameters of a cleaned report, and what they point into. */
struct prepared {
	char reporter[16], persons[24];
	char *facts_s;
	buf segs;
	const char *params[27];
};

static void prepare(struct prepared *pp, const json_t *clean, enum intake_channel channel,
		    int reporter_id)
{
	static const char *const channels[] = {"staff", "external", "api"};
	snprintf(pp->reporter, sizeof pp->reporter, "%d", reporter_id);
	json_t *pn = json_object_get(clean, "pd_persons");
	snprintf(pp->persons, sizeof pp->persons, "%lld", (long long)json_integer_value(pn));
	json_t *facts = intake_facts(clean);
	pp->facts_s = json_dumps(facts, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(facts);
	/* segments as a PostgreSQL array literal: the values are checked words */
	buf_init(&pp->segs);
	buf_putc(&pp->segs, '{');
	size_t i;
	json_t *sv;
	json_array_foreach(json_object_get(clean, "segments"), i, sv) {
		if (i)
			buf_putc(&pp->segs, ',');
		buf_puts(&pp->segs, json_string_value(sv));
	}
	buf_putc(&pp->segs, '}');
	const char *params[27] = {
		channels[channel],
		reporter_id > 0 ? pp->reporter : NULL,
		opt(clean, "external_name"),
		opt(clean, "external_contact"),
		opt(clean, "section"),
		opt(clean, "site"),
		opt(clean, "category"),
		opt(clean, "summary"),
		json_string_value(json_object_get(clean, "description")),
		json_string_value(json_object_get(clean, "how_found")),
		opt(clean, "discovered_at"),
		opt(clean, "occurred_at"),
		buf_cstr(&pp->segs),
		opt(clean, "system"),
		json_string_value(json_object_get(clean, "system_text")),
		opt(clean, "pd_involved"),
		json_is_integer(pn) ? pp->persons : NULL,
		json_string_value(json_object_get(clean, "pd_items")),
		opt(clean, "pd_sensitive"),
		opt(clean, "pd_mynumber"),
		opt(clean, "pd_encrypted"),
		opt(clean, "pd_malicious"),
		opt(clean, "pd_financial"),
		json_string_value(json_object_get(clean, "contractor")),
		json_is_true(json_object_get(clean, "bcp")) ? "t" : "f",
		pp->facts_s,
		NULL,
	};
	memcpy(pp->params, params, sizeof params);
}

static void prepared_release(struct prepared *pp)
{
	buf_release(&pp->segs);
	free(pp->facts_s);
}

enum db_qs intake_store(struct engine *engine, PGconn *c, const json_t *clean,
			const json_t *clocks, const struct intake_file *files, size_t nfiles,
			enum intake_channel channel, int reporter_id, const char *ip, char ref[32],
			long long *id, struct db_err *e)
{
	static const char *const channels[] = {"staff", "external", "api"};
	struct prepared pp;
	prepare(&pp, clean, channel, reporter_id);
	struct filing f = {engine, pp.params, clocks, files, nfiles, channel, channels[channel],
			   reporter_id, reporter_id > 0 ? pp.reporter : NULL, ip, -1, ""};
	/* Not idempotent: after a COMMIT without an answer the report may be
	 * stored, and filing it again would store it twice; the caller says so
	 * (503) and the person looks in their reports before filing again. */
	enum db_qs qs = db_run_tx(c, "intake_store", 0, filing_tx, &f, e);
	if (qs < 0)
		log_event(LOG_ERROR, "intake_failed", "error=%s%s", log_quote(0, e->msg),
			  e->commit_unknown ? " commit_unknown=true" : "");
	*id = f.id;
	snprintf(ref, 32, "%s", f.ref);
	prepared_release(&pp);
	return qs;
}

enum db_qs intake_store_in_tx(struct engine *engine, PGconn *c, const json_t *clean,
			      const json_t *clocks, const struct intake_file *files, size_t nfiles,
			      enum intake_channel channel, int reporter_id, const char *ip,
			      char ref[32], long long *id, struct db_err *e)
{
	static const char *const channels[] = {"staff", "external", "api"};
	struct prepared pp;
	prepare(&pp, clean, channel, reporter_id);
	struct filing f = {engine, pp.params, clocks, files, nfiles, channel, channels[channel],
			   reporter_id, reporter_id > 0 ? pp.reporter : NULL, ip, -1, ""};
	enum db_qs qs = filing_tx(c, &f, e);
	*id = f.id;
	snprintf(ref, 32, "%s", f.ref);
	prepared_release(&pp);
	return qs;
}
