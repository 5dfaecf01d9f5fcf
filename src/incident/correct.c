/* Correcting the facts of an incident (see correct.h). */
#include "correct.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"
#include "db/audit.h"
#include "incident/intake.h"
#include "wf/engine.h"
#include "wf/legal.h"

const char *const incident_fix_fields[] = {"summary",	   "description",  "category",
					   "severity",	   "pd_persons",   "contractor",
					   "pd_involved",  "pd_sensitive", "pd_mynumber",
					   "pd_encrypted", "pd_malicious", "pd_financial",
					   NULL};

/* A correction in one transaction (db_run_tx): the row is locked, compared
 * field by field, updated with its facts, audited, and the legal deadlines
 * and workflows the new facts call for are started. */
struct correction {
	struct engine *engine;
	const struct legal_rules *legal;
	long long id;
	int actor;
	const char *ip;
	const json_t *clean; /* intake_check_correction's */
};

/* The cleaned value as the incident row's text (NULL for null). */
static char *value_text(const json_t *v)
{
	if (json_is_string(v))
		return xstrdup(json_string_value(v));
	if (json_is_integer(v))
		return xasprintf("%lld", (long long)json_integer_value(v));
	return NULL;
}

static enum db_qs correct_tx(PGconn *c, void *arg, struct db_err *e)
{
	struct correction *k = arg;
	char idbuf[24];
	snprintf(idbuf, sizeof idbuf, "%lld", k->id);
	const char *ip[1] = {idbuf};
	json_t *cur = NULL, *changes = NULL, *facts = NULL, *clocks = NULL, *added = NULL;
	char *vals[INCIDENT_FIX_FIELDS] = {NULL};
	char *facts_s = NULL;
	enum db_qs qs = db_row_get(c, e,
				   "SELECT summary, description, category, severity::text AS severity, "
				   "  pd_persons::text AS pd_persons, contractor, pd_involved, "
				   "  pd_sensitive, pd_mynumber, pd_encrypted, pd_malicious, pd_financial, "
				   "  facts::text AS facts "
				   "FROM incident WHERE id = $1::bigint FOR UPDATE",
				   1, ip, &cur);
	if (qs <= 0)
		goto out;
	changes = json_array();
	for (int i = 0; incident_fix_fields[i]; i++) {
		if (i >= INCIDENT_FIX_FIRST_TRI && !json_object_get(k->clean, incident_fix_fields[i]))
			continue; /* an answer not sent stays as it is */
		vals[i] = value_text(json_object_get(k->clean, incident_fix_fields[i]));
		const char *ov = json_string_value(json_object_get(cur, incident_fix_fields[i]));
		if (strcmp(vals[i] ? vals[i] : "", ov ? ov : "") != 0)
			json_array_append_new(changes, json_pack("{s:s, s:s, s:s}", "field", incident_fix_fields[i],
								 "old", ov ? ov : "", "new",
								 vals[i] ? vals[i] : ""));
	}
	if (json_array_size(changes) == 0) {
		qs = DB_NONE;
		goto out;
	}
	/* The facts the legal clocks and workflows read, with the new values. */
	json_error_t jerr;
	facts = json_loads(json_string_value(json_object_get(cur, "facts")), 0, &jerr);
	if (!json_is_object(facts)) {
		json_decref(facts);
		facts = json_object();
	}
	json_object_set(facts, "category", json_object_get(k->clean, "category"));
	json_t *pd = json_object_get(facts, "personal_data");
	if (!json_is_object(pd)) {
		pd = json_object();
		json_object_set_new(facts, "personal_data", pd);
	}
	if (json_is_integer(json_object_get(k->clean, "pd_persons")))
		json_object_set(pd, "persons", json_object_get(k->clean, "pd_persons"));
	else
		json_object_del(pd, "persons");
	for (int i = INCIDENT_FIX_FIRST_TRI; incident_fix_fields[i]; i++) {
		if (!vals[i])
			continue;
		/* the facts' names: personal_data.involved ... (intake_facts) */
		const char *name = incident_fix_fields[i] + 3;
		json_object_set_new(pd, name, i == INCIDENT_FIX_FIRST_TRI ? json_string(vals[i])
							   : intake_tri_fact(vals[i]));
	}
	facts_s = json_dumps(facts, JSON_COMPACT | JSON_SORT_KEYS);
	const char *up[14] = {idbuf,   vals[0], vals[1] ? vals[1] : "", vals[2], vals[3],
			      vals[4], vals[5] ? vals[5] : "", facts_s, vals[6], vals[7],
			      vals[8], vals[9], vals[10], vals[11]};
	qs = db_exec(c, e,
		     "UPDATE incident SET summary = $2, description = $3, category = $4, "
		     "severity = $5::int, pd_persons = $6::int, contractor = $7, facts = $8::jsonb, "
		     "pd_involved = coalesce($9, pd_involved), "
		     "pd_sensitive = coalesce($10, pd_sensitive), "
		     "pd_mynumber = coalesce($11, pd_mynumber), "
		     "pd_encrypted = coalesce($12, pd_encrypted), "
		     "pd_malicious = coalesce($13, pd_malicious), "
		     "pd_financial = coalesce($14, pd_financial), "
		     "updated_at = sokuho_now() WHERE id = $1::bigint",
		     14, up, NULL);
	if (qs < 0)
		goto out;
	/* New facts may make a legal clock apply (a leak now over 100 persons):
	 * its deadlines are written as filing writes them. */
	clocks = k->legal ? legal_evaluate(k->legal, facts, "ja") : json_array();
	added = json_array();
	qs = intake_store_deadlines(c, k->id, clocks, k->engine ? engine_calendar(k->engine) : NULL, added, e);
	if (qs < 0)
		goto out;
	json_t *detail = json_pack("{s:O}", "changes", changes);
	if (json_array_size(added))
		json_object_set(detail, "deadlines", added);
	qs = audit_append(c, e, k->actor, "incident.corrected", k->ip, k->id, detail);
	json_decref(detail);
	if (qs < 0)
		goto out;
	if (k->engine && engine_start_incident(k->engine, c, k->id) < 0) {
		qs = db_fail(c, e, "the workflows could not be started");
		goto out;
	}
	qs = DB_OK;
out:
	for (int i = 0; i < INCIDENT_FIX_FIELDS; i++)
		free(vals[i]);
	free(facts_s);
	json_decref(cur);
	json_decref(changes);
	json_decref(facts);
	json_decref(clocks);
	json_decref(added);
	return qs;
}

enum db_qs incident_correct(struct engine *engine, const struct legal_rules *legal, PGconn *c,
			    long long id, int actor, const char *ip, const json_t *clean,
			    struct db_err *e)
{
	struct correction k = {engine, legal, id, actor, ip, clean};
	return db_run_tx(c, "incident_correct", 0, correct_tx, &k, e);
}
