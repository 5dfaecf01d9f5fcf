/* Printable reports: one incident's report with sign-off boxes, the draft of
 * the leak report to the Personal Information Protection Commission, and the
 * annual review (page and CSV).
 *
 * The printed pages are Japanese first with English alongside, whatever the
 * page language; static/print.css lays them out on A4. The review counts the
 * incidents reported (reported_at) within one fiscal year (年度: April 1 to
 * March 31, Japan time). */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "auth/session.h"
#include "core/csvout.h"
#include "db/db.h"
#include "incident/printout.h"
#include "web.h"

/* ---- GET /incidents/REF/print -------------------------------------------- */

int web_incident_print(struct request *req, PGconn *conn, const char *ref, long long id)
{
	(void)ref;
	json_t *d = printout_base(conn, id);
	if (!d)
		return http_error(req, 404);
	if (req->sess)
		json_object_set_new(d, "printed_by", json_string(req->sess->display_name));
	if (printout_incident(conn, id, d) < 0) {
		json_decref(d);
		return http_error(req, 500);
	}
	return http_page(req, 200, "pages/print_incident", d);
}

/* ---- GET /incidents/REF/ppc-report --------------------------------------- */

/* Copies wf[key] into d[out] when it is set. */
static void take_field(json_t *d, const json_t *wf, const char *key, const char *out)
{
	json_t *v = json_object_get(wf, key);
	if (json_is_string(v) && json_string_length(v) > 0)
		json_object_set(d, out, v);
}

int web_incident_ppc(struct request *req, PGconn *conn, const char *ref, long long id)
{
	(void)ref;
	json_t *d = printout_base(conn, id);
	if (!d)
		return http_error(req, 404);
	if (req->sess)
		json_object_set_new(d, "printed_by", json_string(req->sess->display_name));
	json_t *inc = json_object_get(d, "incident");
	/* Why a legal clock applies, from the facts the rules saw. */
	json_t *facts = json_loads(json_string_value(json_object_get(inc, "facts")), 0, NULL);
	json_t *clocks = web_legal_clocks(req->app, facts);
	json_decref(facts);
	json_object_set_new(d, "has_clocks", json_boolean(json_array_size(clocks) > 0));
	json_object_set_new(d, "clocks", clocks);
	/* What the workflows recorded: cause, measures, notice, publication ... */
	json_t *wf = printout_workflow_fields(conn, id);
	take_field(d, wf, "cause", "cause");
	take_field(d, wf, "measures", "measures");
	take_field(d, wf, "secondary_harm", "secondary_harm");
	take_field(d, wf, "notice_to_persons", "notice_to_persons");
	take_field(d, wf, "persons_notified", "persons_notified");
	take_field(d, wf, "publication", "publication");
	take_field(d, wf, "prevention", "prevention");
	take_field(d, wf, "lessons", "lessons");
	take_field(d, wf, "assessment", "assessment");
	json_decref(wf);
	return http_page(req, 200, "pages/ppc_report", d);
}

/* ---- GET /review and /review.csv ----------------------------------------- */

/* ?year=YYYY (2000-2100), or the current fiscal year when absent or empty.
 * Returns -1 for anything else. */
static int requested_year(struct request *req, PGconn *c)
{
	const char *y = http_query(req, "year");
	if (!y || !*y)
		return review_fiscal_year_now(c);
	if (strlen(y) != 4 || strspn(y, "0123456789") != 4)
		return -1;
	int v = atoi(y);
	return v >= 2000 && v <= 2100 ? v : -1;
}

int web_review(struct request *req)
{
	PGconn *c = db_pool_get(req->app->db);
	if (!c)
		return http_error(req, 503);
	int y = requested_year(req, c);
	int cur = review_fiscal_year_now(c);
	json_t *d = y > 0 && cur > 0 ? review_data(c, y) : NULL;
	int lo = y > 0 && cur > 0 ? review_first_fiscal_year(c) : 0;
	db_pool_put(req->app->db, c);
	if (y < 0)
		return http_error(req, 400);
	if (!d)
		return http_error(req, 500);
	/* The year selector: every fiscal year with incidents, this one, and
	 * the one asked for; at most 30. */
	if (lo <= 0 || lo > cur)
		lo = cur;
	if (y < lo)
		lo = y;
	int hi = y > cur ? y : cur;
	if (hi - lo > 29)
		lo = hi - 29;
	json_t *years = json_array();
	for (int k = hi; k >= lo; k--)
		json_array_append_new(years, json_pack("{s:i, s:b, s:b}", "year", k, "selected",
						       k == y, "current", k == cur));
	json_object_set_new(d, "years", years);
	json_object_set_new(d, "current_year", json_integer(cur));
	json_object_set_new(d, "is_current", json_boolean(y == cur));
	return http_page(req, 200, "pages/review", d);
}

/* One CSV row: section, key, name (ja), name (en), value, and the
 * incidents concerned (recurring causes only). */
static void csv_row6(struct csvout *w, const char *section, const char *key, const char *ja,
		     const char *en, const char *value, const char *refs)
{
	csv_field(w, section);
	csv_field(w, key);
	csv_field(w, ja);
	csv_field(w, en);
	csv_field(w, value);
	csv_field(w, refs);
	csv_end_row(w);
}

static void csv_row(struct csvout *w, const char *section, const char *key, const char *ja,
		    const char *en, const char *value)
{
	csv_row6(w, section, key, ja, en, value, NULL);
}

static void csv_rows(struct csvout *w, const char *section, const json_t *list, const char *col)
{
	size_t i;
	json_t *r;
	json_array_foreach(list, i, r)
		csv_row(w, section, json_string_value(json_object_get(r, "key")),
			json_string_value(json_object_get(r, "name_ja")),
			json_string_value(json_object_get(r, "name_en")),
			json_string_value(json_object_get(r, col)));
}

int web_review_csv(struct request *req)
{
	if (!authz_action_allows(&req->sess->who, ACT_REVIEW_CSV, NULL))
		return http_error(req, 403);
	PGconn *c = db_pool_get(req->app->db);
	if (!c)
		return http_error(req, 503);
	int y = requested_year(req, c);
	json_t *d = y > 0 ? review_data(c, y) : NULL;
	db_pool_put(req->app->db, c);
	if (y < 0)
		return http_error(req, 400);
	if (!d)
		return http_error(req, 500);
	buf b = BUF_INIT;
	struct csvout w;
	csv_init(&w, &b);
	csv_row6(&w, "区分 section", "キー key", "項目", "item", "値 value", "事案 incidents");
	char ys[16];
	snprintf(ys, sizeof ys, "%d", y);
	csv_row(&w, "period", "fiscal_year", "年度", "fiscal year", ys);
	csv_row(&w, "period", "from", "期間の始め", "from", json_string_value(json_object_get(d, "from")));
	csv_row(&w, "period", "to", "期間の終わり", "to", json_string_value(json_object_get(d, "to")));
	static const struct {
		const char *key, *ja, *en;
	} totals[] = {
		{"total", "報告件数", "incidents reported"},
		{"open", "未完了", "open"},
		{"closed", "完了", "closed"},
		{"severe", "影響度3", "severity 3"},
		{"personal_data", "個人情報あり", "personal data involved"},
		{"bcp", "業務継続計画の発動", "business continuity plan activated"},
		{"legal", "法定報告の対象", "with a legal reporting duty"},
	};
	json_t *tot = json_object_get(d, "totals");
	for (size_t k = 0; k < sizeof totals / sizeof totals[0]; k++)
		csv_row(&w, "totals", totals[k].key, totals[k].ja, totals[k].en,
			json_string_value(json_object_get(tot, totals[k].key)));
	csv_rows(&w, "category", json_object_get(d, "by_category"), "n");
	csv_rows(&w, "site", json_object_get(d, "by_site"), "n");
	csv_rows(&w, "section", json_object_get(d, "by_section"), "n");
	csv_rows(&w, "severity", json_object_get(d, "by_severity"), "n");
	csv_rows(&w, "time_count", json_object_get(d, "times"), "n");
	csv_rows(&w, "time_median_hours", json_object_get(d, "times"), "median");
	csv_rows(&w, "time_p90_hours", json_object_get(d, "times"), "p90");
	static const char *const dl[2][3] = {{"legal_deadlines", "法定期限", "legal deadlines"},
					     {"workflow_deadlines", "手順の期限", "workflow deadlines"}};
	static const struct {
		const char *key, *ja, *en;
	} dk[] = {
		{"total", "件数", "total"},	     {"on_time", "期限内", "met on time"},
		{"late", "期限後", "met late"},      {"overdue", "期限超過（未了）", "overdue"},
		{"pending", "期限前（未了）", "pending"}, {"share", "期限内の割合（％）", "share on time (%)"},
	};
	for (int k = 0; k < 2; k++) {
		json_t *o = json_object_get(d, k == 0 ? "legal" : "workflow");
		for (size_t m = 0; m < sizeof dk / sizeof dk[0]; m++) {
			char ja[96], en[96];
			snprintf(ja, sizeof ja, "%s：%s", dl[k][1], dk[m].ja);
			snprintf(en, sizeof en, "%s: %s", dl[k][2], dk[m].en);
			csv_row(&w, dl[k][0], dk[m].key, ja, en,
				json_string_value(json_object_get(o, dk[m].key)));
		}
	}
	size_t i;
	json_t *r;
	json_array_foreach(json_object_get(d, "submissions"), i, r) {
		const char *key = json_string_value(json_object_get(r, "key"));
		static const char *const sk[3][3] = {{"n", "提出", "submitted"},
						     {"on_time", "期限内に提出", "submitted on time"},
						     {"late", "期限後に提出", "submitted late"}};
		for (int m = 0; m < 3; m++) {
			char ja[160], en[160], k2[96];
			snprintf(ja, sizeof ja, "%s：%s", json_string_value(json_object_get(r, "name_ja")),
				 sk[m][1]);
			snprintf(en, sizeof en, "%s: %s", json_string_value(json_object_get(r, "name_en")),
				 sk[m][2]);
			snprintf(k2, sizeof k2, "%s%s%s", key && *key ? key : "all", "_", sk[m][0]);
			csv_row(&w, "submissions", k2, ja, en,
				json_string_value(json_object_get(r, sk[m][0])));
		}
	}
	json_array_foreach(json_object_get(d, "recurring"), i, r) {
		csv_row6(&w, "recurring", json_string_value(json_object_get(r, "kind")),
			 json_string_value(json_object_get(r, "name_ja")),
			 json_string_value(json_object_get(r, "name_en")),
			 json_string_value(json_object_get(r, "n")),
			 json_string_value(json_object_get(r, "refs")));
	}
	json_decref(d);
	char name[32];
	snprintf(name, sizeof name, "review-FY%d.csv", y);
	int rc = http_csv(req, 200, name, &b);
	buf_release(&b);
	return rc;
}
