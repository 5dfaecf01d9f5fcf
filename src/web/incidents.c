/* The lists a person starts from: /incidents (what they may see, with
 * filters, search, sorting and keyset pagination), its CSV export
 * /incidents.csv, and /my/reports (what they filed). The query is
 * src/incident/list.c's; here the filters are read from the request and
 * the page rendered. */
#include <ctype.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "auth/authz.h"
#include "auth/session.h"
#include "core/buf.h"
#include "core/csvout.h"
#include "core/xalloc.h"
#include "db/db.h"
#include "incident/list.h"
#include "web.h"
#include "wf/engine.h"

#define PAGE_ROWS 50
#define CSV_MAX_ROWS 100000
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

static void fail(struct incident_filters *f, const char *field, const char *msg)
{
	json_object_set_new(f->errors, field, json_string(msg));
}

static void filters_parse(struct request *req, struct incident_filters *f)
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
	f->ioc = arg(req, "ioc");
	f->overdue = arg(req, "overdue") != NULL;
	f->legal = arg(req, "legal") != NULL;
	if (f->q && strlen(f->q) > 200)
		fail(f, "q", "list_err_q");
	if (f->ioc && strlen(f->ioc) > 2000)
		fail(f, "ioc", "list_err_ioc");
	if (f->status && strcmp(f->status, "open") != 0 && strcmp(f->status, "closed") != 0)
		fail(f, "status", "list_err_choose");
	if (f->state && (!is_token(f->state, 100) || !strchr(f->state, ':')))
		fail(f, "state", "list_err_choose");
	if (f->severity && !(strlen(f->severity) == 1 && f->severity[0] >= '0' && f->severity[0] <= '3'))
		fail(f, "severity", "list_err_severity");
	if (f->category && !is_token(f->category, 40))
		fail(f, "category", "list_err_choose");
	if (f->site && !is_token(f->site, 32))
		fail(f, "site", "list_err_choose");
	if (f->section && !is_token(f->section, 32))
		fail(f, "section", "list_err_choose");
	if (f->from && !is_date(f->from))
		fail(f, "from", "list_err_date");
	if (f->to && !is_date(f->to))
		fail(f, "to", "list_err_date");
	if (f->from && f->to && is_date(f->from) && is_date(f->to) && strcmp(f->from, f->to) > 0)
		fail(f, "to", "list_err_to_before_from");
	if (f->sort && strcmp(f->sort, "new") != 0 && strcmp(f->sort, "old") != 0 &&
	    strcmp(f->sort, "severity") != 0)
		fail(f, "sort", "list_err_choose");
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
					   "overdue", "legal", "ioc", NULL};
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

static void set_str(json_t *o, const char *k, const char *v)
{
	if (v)
		json_object_set_new(o, k, json_string(v));
}

static json_t *form_data(struct request *req, struct engine *e, PGconn *c,
			 const struct incident_filters *f)
{
	json_t *form = json_object();
	set_str(form, "q", f->q);
	set_str(form, "ioc", f->ioc);
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
	for (int k = 0; k < 4; k++) {
		char v[2] = {(char)('0' + k), 0};
		char key[32];
		snprintf(key, sizeof key, "msg_severity_%d", k);
		json_array_append_new(sev, json_pack("{s:s, s:o, s:b}", "value", v, "label",
						     http_label(req, key), "selected",
						     f->severity && strcmp(f->severity, v) == 0));
	}
	json_object_set_new(form, "severities", sev);
	incident_filter_choices(c, form, f);
	json_object_set_new(form, "states", incident_state_choices(e, c, f->state));
	return form;
}

static int incident_list(struct request *req, int mine)
{
	struct incident_filters f;
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
		rows = incident_list_rows(c, &req->sess->who, &f, mine, PAGE_ROWS + 1, &bad_after);
		if (bad_after) {
			fail(&f, "after", "list_err_after");
		} else if (!rows) {
			db_pool_put(req->app->db, c);
			json_decref(f.errors);
			json_decref(d);
			return http_error(req, 500);
		}
	}
	if (json_object_size(f.errors)) {
		status = 422;
		http_msgs(req, f.errors);
		json_object_set(d, "errors", f.errors);
		json_object_set_new(d, "has_errors", json_true());
	}
	if (!mine)
		json_object_set_new(d, "form", form_data(req, req->app->engine, c, &f));
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
	struct incident_filters f;
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
	json_t *rows = incident_list_rows(c, &req->sess->who, &f, 0, CSV_MAX_ROWS, &bad_after);
	db_pool_put(req->app->db, c);
	json_decref(f.errors);
	if (!rows)
		return http_error(req, 500);
	/* the header in the request's language, one term per idea (the catalog's) */
	static const char *const head[] = {
		"msg_csv_ref",	    "msg_csv_reported", "msg_csv_discovered", "msg_csv_category",
		"msg_csv_severity", "msg_csv_section",	"msg_csv_site",	      "msg_csv_summary",
		"msg_csv_state",    "msg_csv_pd",	"msg_csv_persons",    "msg_csv_legal",
		"msg_csv_overdue",  "msg_csv_closed"};
	static const char *const cols[] = {"ref",	   "reported", "discovered", "category_ja",
					   "severity", "section_ja", "site_ja",  "summary",
					   "states",   "pd_involved", "pd_persons", "legal",
					   "overdue",  "closed"};
	buf b;
	buf_init(&b);
	struct csvout cw;
	csv_init(&cw, &b);
	for (size_t k = 0; k < sizeof head / sizeof head[0]; k++) {
		json_t *h = http_label(req, head[k]);
		csv_field(&cw, json_string_value(h));
		json_decref(h);
	}
	csv_end_row(&cw);
	json_t *yes = http_label(req, "msg_tri_yes");
	size_t i;
	json_t *row;
	json_array_foreach(rows, i, row) {
		for (size_t k = 0; k < sizeof cols / sizeof cols[0]; k++) {
			json_t *v = json_object_get(row, cols[k]);
			csv_field(&cw, json_is_true(v)	 ? json_string_value(yes)
				      : json_is_false(v) ? ""
							 : json_string_value(v));
		}
		csv_end_row(&cw);
	}
	json_decref(yes);
	json_decref(rows);
	int rc = http_csv(req, 200, "incidents.csv", &b);
	buf_release(&b);
	return rc;
}
