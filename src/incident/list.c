/* The incident lists' query (see list.h). */
#include "list.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/buf.h"
#include "core/xalloc.h"
#include "db/db.h"
#include "wf/engine.h"
#include "wf/workflow.h"

#define MAX_TERMS 5
#define MAX_PARAMS 32

/* The scope filter in SQL that matches authz_allows(PERM_INCIDENT_VIEW):
 * $1 is the person id. */
static const char visible_sql[] =
	"(i.reporter_id = $1::int OR EXISTS (SELECT 1 FROM role_assignment ra "
	"  WHERE ra.person_id = $1::int AND ra.valid_from <= sokuho_today() "
	"  AND (ra.valid_to IS NULL OR ra.valid_to >= sokuho_today()) AND ("
	"   ra.role IN ('ciso', 'chief_security_officer', 'csirt', 'auditor') "
	"   OR (ra.role IN ('security_officer', 'security_manager', 'system_manager') AND ("
	"     (ra.scope_kind = 'city') "
	"     OR (ra.scope_kind = 'section' AND ra.scope_id = i.section_id) "
	"     OR (ra.scope_kind = 'department' AND ra.scope_id = "
	"         (SELECT parent_id FROM org_unit WHERE id = i.section_id)) "
	"     OR (ra.scope_kind = 'system' AND ra.scope_id = i.system_id))))))";

/* Late: a legal deadline or a workflow deadline passed unmet, or an open
 * run whose escalation ladder has started (nobody acted in time). */
static const char overdue_sql[] =
	"(EXISTS (SELECT 1 FROM legal_deadline ld WHERE ld.incident_id = i.id "
	"   AND ld.met_at IS NULL AND ld.due_at < (SELECT sokuho_now())) "
	" OR EXISTS (SELECT 1 FROM workflow_run r WHERE r.incident_id = i.id "
	"   AND r.finished_at IS NULL AND (r.escalation_level > 0 OR EXISTS ("
	"     SELECT 1 FROM workflow_deadline wd WHERE wd.run_id = r.id AND wd.fence = r.fence "
	"     AND wd.met_at IS NULL AND wd.due_at < (SELECT sokuho_now())))))";

static const char legal_sql[] = "EXISTS (SELECT 1 FROM legal_deadline ld "
				"WHERE ld.incident_id = i.id AND ld.met_at IS NULL)";

/* A WHERE clause under construction with its parameters. */
struct sqlw {
	buf where;
	const char *params[MAX_PARAMS];
	char *owned[MAX_PARAMS];
	int n;
};

/* Adds a parameter and returns its number. */
static int sqlw_param(struct sqlw *w, const char *value)
{
	if (w->n >= MAX_PARAMS)
		abort(); /* a programming error: the filters below use fewer */
	w->params[w->n] = value;
	w->owned[w->n] = NULL;
	return ++w->n;
}

static int sqlw_param_owned(struct sqlw *w, char *value)
{
	int k = sqlw_param(w, value);
	w->owned[k - 1] = value;
	return k;
}

static void sqlw_and(struct sqlw *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sqlw_and(struct sqlw *w, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	buf_puts(&w->where, " AND ");
	buf_vprintf(&w->where, fmt, ap);
	va_end(ap);
}

static void sqlw_release(struct sqlw *w)
{
	for (int k = 0; k < w->n; k++)
		free(w->owned[k]);
	buf_release(&w->where);
}

/* Splits q at white space (ASCII and the ideographic space U+3000) into at
 * most MAX_TERMS words; returns how many. The words are new strings. */
static int split_terms(const char *q, char **terms)
{
	int n = 0;
	const char *s = q;
	while (*s && n < MAX_TERMS) {
		while (*s == ' ' || *s == '\t' || strncmp(s, "\xe3\x80\x80", 3) == 0)
			s += *s == '\xe3' ? 3 : 1;
		const char *start = s;
		while (*s && *s != ' ' && *s != '\t' && strncmp(s, "\xe3\x80\x80", 3) != 0)
			s++;
		if (s > start)
			terms[n++] = xstrndup(start, (size_t)(s - start));
	}
	return n;
}

/* Whether a search word is an incident reference (INC-2026-0042, any case). */
static int is_reference(const char *t)
{
	if (strncasecmp(t, "inc-", 4) != 0 || strlen(t) < 13)
		return 0;
	for (int k = 4; t[k]; k++)
		if (!(k == 8 ? t[k] == '-' : isdigit((unsigned char)t[k])))
			return 0;
	return 1;
}

/* The key of the search index to find a word's candidates by: its rarest
 * pair of characters by the index's statistics (its only character for a
 * word of one). Looking up one key lets the planner estimate from pg_stats
 * how many rows match, and choose well between the index (a rare word) and
 * walking the newest incidents (a common word fills a page at once): given
 * several keys it multiplies their frequencies as if they were independent,
 * believes a common word rare, and reads thousands of rows to sort them.
 * Caller frees; NULL on a database error. */
static char *rarest_gram(PGconn *c, const char *term)
{
	const char *p[1] = {term};
	json_t *row = db_row(
		c,
		"WITH q AS (SELECT unnest(sokuho_query_grams(lower(normalize($1, NFKC)))) AS g), "
		"s AS (SELECT most_common_elems::text::text[] AS e, most_common_elem_freqs AS f "
		"  FROM pg_stats WHERE schemaname = current_schema() "
		"  AND tablename = 'incident_search' LIMIT 1) "
		"SELECT q.g FROM q LEFT JOIN s ON true "
		"ORDER BY coalesce(s.f[array_position(s.e, q.g)], 0), q.g LIMIT 1",
		1, p);
	const char *g = json_string_value(json_object_get(row, "g"));
	char *out = g ? xstrdup(g) : NULL;
	json_decref(row);
	return out;
}

/* Appends the WHERE conditions of f (which parsed without errors) to w. */
static void filters_sql(PGconn *c, const struct incident_filters *f, struct sqlw *w)
{
	if (f->q) {
		char *terms[MAX_TERMS];
		int nt = split_terms(f->q, terms);
		for (int k = 0; k < nt; k++) {
			if (is_reference(terms[k])) {
				/* a reference: the unique index, not the search index */
				for (char *t = terms[k]; *t; t++)
					*t = (char)toupper((unsigned char)*t);
				sqlw_and(w, "i.ref = $%d", sqlw_param_owned(w, terms[k]));
				continue;
			}
			int p = sqlw_param_owned(w, terms[k]);
			char *key = rarest_gram(c, terms[k]);
			if (key)
				sqlw_and(w, "sokuho_grams(i.search) @> ARRAY[$%d]::text[]",
					 sqlw_param_owned(w, key));
			else
				sqlw_and(w, "sokuho_grams(i.search) @> "
					    "sokuho_query_grams(lower(normalize($%d, NFKC)))",
					 p);
			sqlw_and(w, "strpos(i.search, lower(normalize($%d, NFKC))) > 0", p);
		}
	}
	if (f->status)
		sqlw_and(w, "i.closed_at IS %s NULL", strcmp(f->status, "open") == 0 ? "" : "NOT");
	if (f->state) {
		const char *colon = strchr(f->state, ':');
		int pw = sqlw_param_owned(w, xstrndup(f->state, (size_t)(colon - f->state)));
		int ps = sqlw_param(w, colon + 1);
		sqlw_and(w,
			 "EXISTS (SELECT 1 FROM workflow_run r JOIN workflow_def d ON d.id = r.def_id "
			 "WHERE r.incident_id = i.id AND d.name = $%d AND r.state = $%d)",
			 pw, ps);
	}
	if (f->severity)
		sqlw_and(w, "i.severity = $%d::int", sqlw_param(w, f->severity));
	if (f->category)
		sqlw_and(w, "i.category = $%d", sqlw_param(w, f->category));
	if (f->site)
		sqlw_and(w, "i.site_id = (SELECT id FROM site WHERE code = $%d)",
			 sqlw_param(w, f->site));
	if (f->section)
		sqlw_and(w, "i.section_id = (SELECT id FROM org_unit WHERE code = $%d)",
			 sqlw_param(w, f->section));
	if (f->from)
		sqlw_and(w, "i.reported_at >= ($%d::date)::timestamp AT TIME ZONE 'Asia/Tokyo'",
			 sqlw_param(w, f->from));
	if (f->to)
		sqlw_and(w, "i.reported_at < ($%d::date + 1)::timestamp AT TIME ZONE 'Asia/Tokyo'",
			 sqlw_param(w, f->to));
	if (f->ioc) {
		int p = sqlw_param(w, f->ioc);
		sqlw_and(w,
			 "EXISTS (SELECT 1 FROM mail_indicator x WHERE x.incident_id = i.id AND "
			 "(lower(x.value) = lower($%d) OR (x.kind = 'domain' AND "
			 "right(lower(x.value), length($%d) + 1) = '.' || lower($%d))))",
			 p, p, p);
	}
	if (f->overdue)
		sqlw_and(w, "%s", overdue_sql);
	if (f->legal)
		sqlw_and(w, "%s", legal_sql);
}

/* The ORDER BY of a sort, and the keyset condition after the row whose key
 * is "after" ("ID" or, for severity, "SEVERITY.ID"). Returns -1 for a
 * malformed key. */
static int sort_sql(const char *sort, const char *after, struct sqlw *w, const char **order)
{
	int sev = sort && strcmp(sort, "severity") == 0;
	int old = sort && strcmp(sort, "old") == 0;
	*order = sev ? "coalesce(i.severity, -1) DESC, i.id DESC" : old ? "i.id" : "i.id DESC";
	if (!after)
		return 0;
	char *end;
	long s = 0;
	const char *p = after;
	if (sev) {
		s = strtol(p, &end, 10);
		if (end == p || *end != '.' || s < -1 || s > 3)
			return -1;
		p = end + 1;
	}
	long long id = strtoll(p, &end, 10);
	if (end == p || *end || id <= 0)
		return -1;
	if (sev) {
		sqlw_and(w, "(coalesce(i.severity, -1), i.id) < ($%d::int, $%d::bigint)",
			 sqlw_param_owned(w, xasprintf("%ld", s)),
			 sqlw_param_owned(w, xasprintf("%lld", id)));
	} else {
		sqlw_and(w, "i.id %s $%d::bigint", old ? ">" : "<",
			 sqlw_param_owned(w, xasprintf("%lld", id)));
	}
	return 0;
}

static const char row_columns[] =
	"i.id, i.ref, i.summary, i.category, c.title_ja AS category_ja, c.title_en AS category_en, "
	"to_char(i.reported_at AT TIME ZONE 'Asia/Tokyo', 'YYYY-MM-DD HH24:MI') AS reported, "
	"to_char(i.discovered_at AT TIME ZONE 'Asia/Tokyo', 'YYYY-MM-DD HH24:MI') AS discovered, "
	"to_char(i.closed_at AT TIME ZONE 'Asia/Tokyo', 'YYYY-MM-DD HH24:MI') AS closed, "
	"s.name_ja AS section_ja, si.name_ja AS site_ja, i.severity, "
	"coalesce(i.severity, -1) AS sev_key, i.pd_involved, i.pd_persons, "
	"i.closed_at IS NULL AS open, "
	"(SELECT string_agg(d.definition -> 'states' -> r.state -> 'title' ->> 'ja', '・' "
	"   ORDER BY d.name) FROM workflow_run r JOIN workflow_def d ON d.id = r.def_id "
	"   WHERE r.incident_id = i.id AND r.finished_at IS NULL) AS states, ";

/* Runs the list query: rows of the page (limit rows + 1 to learn whether
 * there is a next page). NULL on a database error. */
json_t *incident_list_rows(PGconn *c, const struct principal *who,
			   const struct incident_filters *f, int mine, int limit, int *bad_after)
{
	struct sqlw w;
	memset(&w, 0, sizeof w);
	buf_init(&w.where);
	char pid[16];
	snprintf(pid, sizeof pid, "%d", who->person_id);
	sqlw_param(&w, pid); /* $1, used by the scope filter */
	buf_puts(&w.where, mine ? "i.reporter_id = $1::int"
			 : authz_sees_all_incidents(who) ? "$1::int IS NOT NULL"
							 : visible_sql);
	filters_sql(c, f, &w);
	const char *order;
	*bad_after = sort_sql(f->sort, f->after, &w, &order) < 0;
	json_t *rows = NULL;
	if (!*bad_after) {
		char *sql = xasprintf("SELECT %s %s AS overdue, %s AS legal "
				      "FROM incident i JOIN category c ON c.key = i.category "
				      "LEFT JOIN org_unit s ON s.id = i.section_id "
				      "LEFT JOIN site si ON si.id = i.site_id "
				      "WHERE %s ORDER BY %s LIMIT %d",
				      row_columns, overdue_sql, legal_sql, buf_cstr(&w.where), order,
				      limit);
		rows = db_rows(c, sql, w.n, w.params);
		free(sql);
	}
	sqlw_release(&w);
	return rows;
}

/* The choices of the filter form, each with "selected" for the current
 * value. */
static json_t *choices(PGconn *c, const char *sql, const char *current)
{
	const char *p[1] = {current ? current : ""};
	return db_rows(c, sql, 1, p);
}

/* The states of the current version of every workflow, in file order,
 * grouped by workflow: [{title, states: [{value, title, selected}]}]. The
 * definitions come from the engine's cache, not parsed again per page. */
json_t *incident_state_choices(struct engine *e, PGconn *c, const char *current)
{
	json_t *defs = db_rows(c,
			       "SELECT DISTINCT ON (name) id FROM workflow_def "
			       "ORDER BY name, version DESC",
			       0, NULL);
	json_t *out = json_array();
	size_t i;
	json_t *row;
	json_array_foreach(defs, i, row) {
		const struct wf_def *d =
			e ? engine_def(e, c, atoi(json_string_value(json_object_get(row, "id"))))
			  : NULL;
		if (!d)
			continue;
		json_t *states = json_array();
		for (size_t k = 0; k < d->nstates; k++) {
			const struct wf_state *st = &d->states[k];
			char *v = xasprintf("%s:%s", d->name, st->name);
			json_array_append_new(states,
					      json_pack("{s:s, s:s, s:s, s:b}", "value", v, "title",
							st->title.ja, "title_en", st->title.en,
							"selected", current && strcmp(current, v) == 0));
			free(v);
		}
		json_array_append_new(out, json_pack("{s:s, s:o}", "title", d->title.ja, "states",
						     states));
	}
	json_decref(defs);
	return out;
}


void incident_filter_choices(PGconn *c, json_t *form, const struct incident_filters *f)
{
	json_object_set_new(form, "categories",
			    choices(c, "SELECT key AS value, title_ja AS label, key = $1 AS selected "
				       "FROM category ORDER BY sort",
				    f->category));
	json_object_set_new(form, "sites",
			    choices(c, "SELECT code AS value, name_ja AS label, code = $1 AS selected "
				       "FROM site ORDER BY sort, id",
				    f->site));
	json_object_set_new(
		form, "sections",
		choices(c,
			"SELECT s.code AS value, d.name_ja || ' ' || s.name_ja AS label, "
			"s.code = $1 AS selected FROM org_unit s JOIN org_unit d ON d.id = s.parent_id "
			"WHERE s.kind = 'section' AND s.active ORDER BY d.code, s.code",
			f->section));
}
