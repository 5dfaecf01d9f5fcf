/* The lists a person starts from: /incidents (what they may see, with
 * filters, search, sorting and keyset pagination), its CSV export
 * /incidents.csv, and /my/reports (what they filed).
 *
 * Search: each word of q must occur in the incident's search text (see
 * sql/0008_dashboard.sql); the n-gram index finds candidates for words of
 * any length, strpos() confirms them. Pages are keyset-paginated: "after"
 * carries the sort key of the last row shown, never an OFFSET. */
#include <ctype.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "app.h"
#include "auth/authz.h"
#include "auth/session.h"
#include "core/buf.h"
#include "core/csvout.h"
#include "core/xalloc.h"
#include "db/db.h"
#include "web.h"
#include "wf/engine.h"
#include "wf/workflow.h"

#define PAGE_ROWS 50
#define CSV_MAX_ROWS 100000
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

/* The filters of a list, as given (for the form) and as understood. */
struct filters {
	const char *q, *status, *state, *severity, *category, *site, *section, *from, *to, *sort,
		*after;
	int overdue, legal;
	json_t *errors; /* field -> message */
};

static const char *arg(struct request *req, const char *key)
{
	const char *v = http_query(req, key);
	return v && *v ? v : NULL;
}

static int is_date(const char *s)
{
	int y, m, d;
	char tail;
	return strlen(s) == 10 && sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &tail) == 3 &&
	       s[4] == '-' && s[7] == '-' && y >= 2000 && y <= 2999 && m >= 1 && m <= 12 &&
	       d >= 1 && d <= 31;
}

static int is_token(const char *s, size_t max)
{
	size_t n = strlen(s);
	if (n == 0 || n > max)
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-' && *s != ':')
			return 0;
	return 1;
}

static void fail(struct filters *f, const char *field, const char *msg)
{
	json_object_set_new(f->errors, field, json_string(msg));
}

static void filters_parse(struct request *req, struct filters *f)
{
	memset(f, 0, sizeof *f);
	f->errors = json_object();
	f->q = arg(req, "q");
	f->status = arg(req, "status");
	f->state = arg(req, "state");
	f->severity = arg(req, "severity");
	f->category = arg(req, "category");
	f->site = arg(req, "site");
	f->section = arg(req, "section");
	f->from = arg(req, "from");
	f->to = arg(req, "to");
	f->sort = arg(req, "sort");
	f->after = arg(req, "after");
	f->overdue = arg(req, "overdue") != NULL;
	f->legal = arg(req, "legal") != NULL;
	if (f->q && strlen(f->q) > 200)
		fail(f, "q", "検索語は200文字以内で入力してください。 Keep the search within 200 characters.");
	if (f->status && strcmp(f->status, "open") != 0 && strcmp(f->status, "closed") != 0)
		fail(f, "status", "一覧から選んでください。 Choose from the list.");
	if (f->state && (!is_token(f->state, 100) || !strchr(f->state, ':')))
		fail(f, "state", "一覧から選んでください。 Choose from the list.");
	if (f->severity && !(strlen(f->severity) == 1 && f->severity[0] >= '0' && f->severity[0] <= '3'))
		fail(f, "severity", "0〜3から選んでください。 Choose 0 to 3.");
	if (f->category && !is_token(f->category, 40))
		fail(f, "category", "一覧から選んでください。 Choose from the list.");
	if (f->site && !is_token(f->site, 32))
		fail(f, "site", "一覧から選んでください。 Choose from the list.");
	if (f->section && !is_token(f->section, 32))
		fail(f, "section", "一覧から選んでください。 Choose from the list.");
	if (f->from && !is_date(f->from))
		fail(f, "from", "日付は 2026-04-01 の形で入力してください。 Enter the date as 2026-04-01.");
	if (f->to && !is_date(f->to))
		fail(f, "to", "日付は 2026-04-01 の形で入力してください。 Enter the date as 2026-04-01.");
	if (f->from && f->to && is_date(f->from) && is_date(f->to) && strcmp(f->from, f->to) > 0)
		fail(f, "to", "終了日は開始日以降にしてください。 The end date must not be before the start date.");
	if (f->sort && strcmp(f->sort, "new") != 0 && strcmp(f->sort, "old") != 0 &&
	    strcmp(f->sort, "severity") != 0)
		fail(f, "sort", "一覧から選んでください。 Choose from the list.");
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
static void filters_sql(PGconn *c, const struct filters *f, struct sqlw *w)
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
static json_t *list_rows(PGconn *c, const struct principal *who, const struct filters *f,
			 int mine, int limit, int *bad_after)
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

/* Percent-encodes s for a query string (RFC 3986 unreserved characters
 * stay). Caller frees. */
static char *url_encode(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	buf b;
	buf_init(&b);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (isalnum(*p) || *p == '-' || *p == '_' || *p == '.' || *p == '~') {
			buf_putc(&b, (char)*p);
		} else {
			buf_putc(&b, '%');
			buf_putc(&b, hex[*p >> 4]);
			buf_putc(&b, hex[*p & 15]);
		}
	}
	return buf_detach(&b, NULL);
}

/* The query string of the filters (without "after"), for links. */
static char *filters_query(struct request *req)
{
	static const char *const keys[] = {"q",	  "status", "state", "severity", "category",
					   "site", "section", "from",  "to",	   "sort",
					   "overdue", "legal", NULL};
	buf b;
	buf_init(&b);
	for (const char *const *k = keys; *k; k++) {
		const char *v = arg(req, *k);
		if (!v)
			continue;
		char *e = url_encode(v);
		buf_printf(&b, "%s%s=%s", b.len ? "&" : "", *k, e);
		free(e);
	}
	return buf_detach(&b, NULL);
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
static json_t *state_choices(struct engine *e, PGconn *c, const char *current)
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

static void set_str(json_t *o, const char *k, const char *v)
{
	if (v)
		json_object_set_new(o, k, json_string(v));
}

static json_t *form_data(struct engine *e, PGconn *c, const struct filters *f)
{
	json_t *form = json_object();
	set_str(form, "q", f->q);
	set_str(form, "from", f->from);
	set_str(form, "to", f->to);
	json_object_set_new(form, "overdue", json_boolean(f->overdue));
	json_object_set_new(form, "legal", json_boolean(f->legal));
	json_object_set_new(form, "status_open", json_boolean(f->status && !strcmp(f->status, "open")));
	json_object_set_new(form, "status_closed",
			    json_boolean(f->status && !strcmp(f->status, "closed")));
	json_object_set_new(form, "sort_old", json_boolean(f->sort && !strcmp(f->sort, "old")));
	json_object_set_new(form, "sort_severity",
			    json_boolean(f->sort && !strcmp(f->sort, "severity")));
	json_t *sev = json_array();
	static const char *const names[] = {"0 予兆のみ", "1 職員の業務に影響", "2 市の業務に影響",
					    "3 住民等に影響・個人情報漏えい"};
	for (int k = 0; k < 4; k++) {
		char v[2] = {(char)('0' + k), 0};
		json_array_append_new(sev, json_pack("{s:s, s:s, s:b}", "value", v, "label", names[k],
						     "selected",
						     f->severity && strcmp(f->severity, v) == 0));
	}
	json_object_set_new(form, "severities", sev);
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
	json_object_set_new(form, "states", state_choices(e, c, f->state));
	return form;
}

static int incident_list(struct request *req, int mine)
{
	struct filters f;
	filters_parse(req, &f);
	PGconn *c = db_pool_get(req->app->db);
	if (!c) {
		json_decref(f.errors);
		return http_error(req, 503);
	}
	json_t *d = json_object();
	json_t *rows = NULL;
	int bad_after = 0;
	unsigned status = 200;
	if (json_object_size(f.errors) == 0) {
		rows = list_rows(c, &req->sess->who, &f, mine, PAGE_ROWS + 1, &bad_after);
		if (bad_after) {
			fail(&f, "after", "ページの指定が正しくありません。最初のページから開いてください。 "
					  "The page link is not valid; start from the first page.");
		} else if (!rows) {
			db_pool_put(req->app->db, c);
			json_decref(f.errors);
			json_decref(d);
			return http_error(req, 500);
		}
	}
	if (json_object_size(f.errors)) {
		status = 422;
		json_object_set(d, "errors", f.errors);
		json_object_set_new(d, "has_errors", json_true());
	}
	if (!mine)
		json_object_set_new(d, "form", form_data(req->app->engine, c, &f));
	db_pool_put(req->app->db, c);
	char *qs = filters_query(req);
	if (rows && json_array_size(rows) > PAGE_ROWS) {
		json_array_remove(rows, PAGE_ROWS);
		json_t *last = json_array_get(rows, PAGE_ROWS - 1);
		char *key = f.sort && strcmp(f.sort, "severity") == 0
				    ? xasprintf("%s.%s",
						json_string_value(json_object_get(last, "sev_key")),
						json_string_value(json_object_get(last, "id")))
				    : xstrdup(json_string_value(json_object_get(last, "id")));
		char *next = xasprintf("?%s%safter=%s", qs, *qs ? "&" : "", key);
		json_object_set_new(d, "next_href", json_string(next));
		free(next);
		free(key);
	}
	if (f.after)
		json_object_set_new(d, "first_href", json_string(*qs ? qs : "?"));
	char *csv = xasprintf("/incidents.csv%s%s", *qs ? "?" : "", qs);
	json_object_set_new(d, "csv_href", json_string(csv));
	free(csv);
	json_object_set_new(d, "filtered", json_boolean(*qs != 0));
	free(qs);
	json_object_set_new(d, "mine", json_boolean(mine));
	json_object_set_new(d, "incidents", rows ? rows : json_array());
	json_decref(f.errors);
	return http_page(req, status, "pages/incidents", d);
}

int web_incidents(struct request *req)
{
	return incident_list(req, 0);
}

int web_my_reports(struct request *req)
{
	return incident_list(req, 1);
}

/* /incidents.csv: every incident the filters select (up to CSV_MAX_ROWS),
 * UTF-8 with a byte order mark so that spreadsheet programs read Japanese
 * correctly. */
int web_incidents_csv(struct request *req)
{
	if (!authz_action_allows(&req->sess->who, ACT_CSV, NULL))
		return http_error(req, 403);
	struct filters f;
	filters_parse(req, &f);
	f.after = NULL;
	if (json_object_size(f.errors)) {
		json_decref(f.errors);
		return incident_list(req, 0); /* the page shows what is wrong */
	}
	PGconn *c = db_pool_get(req->app->db);
	if (!c) {
		json_decref(f.errors);
		return http_error(req, 503);
	}
	int bad_after;
	json_t *rows = list_rows(c, &req->sess->who, &f, 0, CSV_MAX_ROWS, &bad_after);
	db_pool_put(req->app->db, c);
	json_decref(f.errors);
	if (!rows)
		return http_error(req, 500);
	static const char *const head[] = {
		"整理番号 Reference", "報告日時 Reported", "発見日時 Discovered",
		"分類 Category",	"影響度 Severity", "課室 Section",
		"場所 Site",		"概要 Summary",	  "対応状況 State",
		"個人情報 Personal data", "本人の数 Persons", "法定期限 Legal clock",
		"期限超過 Overdue",	"完了日時 Closed"};
	static const char *const cols[] = {"ref",	   "reported", "discovered", "category_ja",
					   "severity", "section_ja", "site_ja",  "summary",
					   "states",   "pd_involved", "pd_persons", "legal",
					   "overdue",  "closed"};
	buf b;
	buf_init(&b);
	struct csvout cw;
	csv_init(&cw, &b);
	for (size_t k = 0; k < sizeof head / sizeof head[0]; k++)
		csv_field(&cw, head[k]);
	csv_end_row(&cw);
	size_t i;
	json_t *row;
	json_array_foreach(rows, i, row) {
		for (size_t k = 0; k < sizeof cols / sizeof cols[0]; k++) {
			json_t *v = json_object_get(row, cols[k]);
			csv_field(&cw, json_is_true(v)	 ? "はい yes"
				      : json_is_false(v) ? ""
							 : json_string_value(v));
		}
		csv_end_row(&cw);
	}
	json_decref(rows);
	int rc = csv_respond(req, 200, "incidents.csv", &b);
	buf_release(&b);
	return rc;
}
