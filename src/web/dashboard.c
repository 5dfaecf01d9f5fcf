/* The CISO dashboard (/dashboard): what is open (by workflow state,
 * severity, category and site), what is late (escalating runs, overdue
 * workflow and legal deadlines, unacknowledged reports), the legal deadlines
 * ahead, the escalations of the last 24 hours, mail that could not be
 * delivered, the workflow timers the engine gave up on (engine_tick; with a
 * retry button for whom authz lets retry them) and the trends of the last
 * twelve months as SVG charts.
 *
 * Cheap with many viewers and a million incidents: the live figures use the
 * partial indexes of sql/0008_dashboard.sql (they read only what is open);
 * the trends read a year of incidents and are computed at most once every
 * TREND_TTL seconds per process, by one request while the others keep the
 * previous copy. The page carries an ETag made from the newest audit event,
 * the newest mail, the dead mail, the failed timers and the minute: the page's script
 * (static/dashboard.js) asks again every 30 seconds and gets 304 Not
 * Modified, with nothing rendered, until something changed. */
#include <math.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app.h"
#include "auth/session.h"
#include "core/buf.h"
#include "core/log.h"
#include "core/xalloc.h"
#include "db/db.h"
#include "incident/mail_report.h"
#include "incident/outside.h"
#include "incident/overview.h"
#include "tmpl/i18n.h"
#include "web.h"
#include "wf/engine.h"

#define TREND_TTL 300
#define TREND_MONTHS 12
#define LIST_ROWS 20

struct dash_cache {
	pthread_mutex_t mu;
	json_t *trends; /* {computed_at, months, categories_svg_ja, _en, times_svg_ja, _en ...} */
	time_t at;
	int busy;
};

struct dash_cache *web_dashboard_cache_new(void)
{
	struct dash_cache *dc = xcalloc(1, sizeof *dc);
	pthread_mutex_init(&dc->mu, NULL);
	return dc;
}

void web_dashboard_cache_free(struct dash_cache *dc)
{
	if (!dc)
		return;
	json_decref(dc->trends);
	pthread_mutex_destroy(&dc->mu);
	free(dc);
}

/* ---- durations ---- */

/* "3日4時間" / "3 d 4 h" for a number of seconds (minutes under a day). */
static void set_duration(json_t *row, const char *secs_key, const char *prefix)
{
	const char *v = json_string_value(json_object_get(row, secs_key));
	long long s = v ? atoll(v) : 0;
	if (s < 0)
		s = -s;
	long long d = s / 86400, h = s % 86400 / 3600, m = s % 3600 / 60;
	char ja[48], en[48], key[48];
	if (d > 0) {
		snprintf(ja, sizeof ja, "%lld日%lld時間", d, h);
		snprintf(en, sizeof en, "%lld d %lld h", d, h);
	} else if (h > 0) {
		snprintf(ja, sizeof ja, "%lld時間%lld分", h, m);
		snprintf(en, sizeof en, "%lld h %lld min", h, m);
	} else {
		snprintf(ja, sizeof ja, "%lld分", m);
		snprintf(en, sizeof en, "%lld min", m);
	}
	snprintf(key, sizeof key, "%s_ja", prefix);
	json_object_set_new(row, key, json_string(ja));
	snprintf(key, sizeof key, "%s_en", prefix);
	json_object_set_new(row, key, json_string(en));
}

static json_t *rows_with_duration(json_t *rows, const char *secs_key, const char *prefix)
{
	size_t i;
	json_t *row;
	json_array_foreach(rows, i, row)
		set_duration(row, secs_key, prefix);
	return rows;
}

/* Colours for the categories (in their sort order), distinguishable and
 * at least 3:1 against white. */
static const char *const palette[] = {"#0b57a4", "#b3261e", "#1b7f3b", "#8a4f00", "#6b3fa0",
				      "#00738a", "#a3306b", "#4d5b00", "#5a5a5a", "#c2410c",
				      "#1e3a8a", "#7c2d12"};
#define NPALETTE (sizeof palette / sizeof palette[0])

static double num(const json_t *o, const char *k)
{
	const char *v = json_string_value(json_object_get(o, k));
	return v ? atof(v) : NAN;
}

/* A round upper bound for an axis: 1, 2, 5 × 10^n. */
static double nice_max(double v)
{
	if (v <= 0)
		return 1;
	double p = pow(10, floor(log10(v)));
	for (int k = 0; k < 3; k++) {
		double m = (k == 0 ? 1 : k == 1 ? 2 : 5) * p;
		if (v <= m)
			return m;
	}
	return 10 * p;
}

#define CW 640
#define CH 260
#define ML 52
#define MR 10
#define MT 12
#define MB 30

/* The catalog text of key in lang (the key when missing; borrowed). */
static const char *label(const struct i18n *cat, const char *lang, const char *key)
{
	const char *s = json_string_value(json_object_get(json_object_get(i18n_t(cat, lang), key), "main"));
	return s ? s : key;
}

/* Gridlines and values for a linear axis up to ymax (none when ymax is 0),
 * and the months below. */
static void chart_axes(buf *b, double ymax, size_t nmonths, const json_t *months,
		       const char *unit, const struct i18n *cat, const char *lang)
{
	for (int k = 0; ymax > 0 && k <= 4; k++) {
		double v = ymax * k / 4;
		double y = MT + (CH - MT - MB) * (1 - (double)k / 4);
		buf_printf(b, "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#d0d4da\"/>",
			   ML, CW - MR, y, y);
		buf_printf(b, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%g%s</text>", ML - 4,
			   y + 4, v, k == 4 ? unit : "");
	}
	double bw = (double)(CW - ML - MR) / (double)nmonths;
	for (size_t m = 0; m < nmonths; m++) {
		const char *label = json_string_value(json_object_get(json_array_get(months, m),
								      "label"));
		json_t *m1 = json_pack("{s:s, s:{s:s}}", "key", "msg_chart_month", "args", "n",
				       label ? label : "");
		json_t *t1 = i18n_render(cat, lang, m1);
		buf_printf(b, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>",
			   ML + bw * ((double)m + .5), CH - 10, json_string_value(t1));
		json_decref(t1);
		json_decref(m1);
	}
}

/* Stacked bars: incidents reported per month, by category. */
static char *chart_categories(const struct i18n *cat, const char *lang, const json_t *months,
			      const json_t *cats, const json_t *counts)
{
	size_t nm = json_array_size(months), nc = json_array_size(cats);
	double *n = xcalloc(nm * (nc ? nc : 1), sizeof *n);
	size_t i;
	json_t *row;
	json_array_foreach(counts, i, row) {
		const char *mo = json_string_value(json_object_get(row, "month"));
		const char *ca = json_string_value(json_object_get(row, "category"));
		for (size_t m = 0; m < nm; m++)
			if (mo && strcmp(mo, json_string_value(json_object_get(
						  json_array_get(months, m), "month"))) == 0)
				for (size_t c = 0; c < nc; c++)
					if (ca && strcmp(ca, json_string_value(json_object_get(
								  json_array_get(cats, c), "key"))) == 0)
						n[m * nc + c] = num(row, "n");
	}
	double top = 0;
	for (size_t m = 0; m < nm; m++) {
		double t = 0;
		for (size_t c = 0; c < nc; c++)
			t += n[m * nc + c];
		top = t > top ? t : top;
	}
	/* whole numbers on the axis: a multiple of the four gridlines */
	double ymax = ceil(nice_max(top) / 4) * 4;
	buf b;
	buf_init(&b);
	buf_printf(&b,
		   "<svg class=\"chart\" viewBox=\"0 0 %d %d\" role=\"img\" "
		   "aria-labelledby=\"chart-cat-title\"><title id=\"chart-cat-title\">%s</title>",
		   CW, CH, label(cat, lang, "msg_chart_categories"));
	chart_axes(&b, ymax, nm, months, label(cat, lang, "msg_chart_count_unit"), cat, lang);
	double bw = (double)(CW - ML - MR) / (double)(nm ? nm : 1);
	for (size_t m = 0; m < nm; m++) {
		double y = CH - MB;
		for (size_t c = 0; c < nc; c++) {
			double v = n[m * nc + c];
			if (v <= 0)
				continue;
			double h = (CH - MT - MB) * v / ymax;
			y -= h;
			buf_printf(&b,
				   "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
				   "fill=\"%s\"><title>",
				   ML + bw * (double)m + bw * .15, y, bw * .7, h, palette[c % NPALETTE]);
			const char *title = json_string_value(json_object_get(
				json_array_get(cats, c), strcmp(lang, "en") == 0 ? "title_en" : "title_ja"));
			buf_html_escape(&b, title ? title : "", title ? strlen(title) : 0);
			char count[32];
			snprintf(count, sizeof count, "%g", v);
			json_t *n1 = json_pack("{s:s, s:{s:s}}", "key", "msg_chart_count", "args", "n", count);
			json_t *t1 = i18n_render(cat, lang, n1);
			buf_printf(&b, " %s</title></rect>", json_string_value(t1));
			json_decref(t1);
			json_decref(n1);
		}
	}
	buf_puts(&b, "</svg>");
	free(n);
	return buf_detach(&b, NULL);
}

/* Lines: hours to acknowledge, contain and close, median solid and 90th
 * percentile dashed. */
static char *chart_times(const struct i18n *cat, const char *lang, const json_t *months,
			 const json_t *times)
{
	static const struct {
		const char *k50, *k90, *color, *name;
	} series[] = {{"ack50", "ack90", "#0b57a4", "msg_chart_ack"},
		      {"contain50", "contain90", "#b3261e", "msg_chart_contain"},
		      {"close50", "close90", "#1b7f3b", "msg_chart_close"}};
	size_t nm = json_array_size(months);
	json_t **row = xcalloc(nm ? nm : 1, sizeof *row);
	double top = 0;
	for (size_t m = 0; m < nm; m++) {
		const char *mo = json_string_value(json_object_get(json_array_get(months, m), "month"));
		size_t i;
		json_t *r;
		json_array_foreach(times, i, r)
			if (mo && strcmp(mo, json_string_value(json_object_get(r, "month"))) == 0)
				row[m] = r;
		for (size_t s = 0; row[m] && s < 3; s++) {
			double v = num(row[m], series[s].k90);
			if (!isnan(v) && v > top)
				top = v;
		}
	}
	/* A logarithmic axis, one gridline per decade from 0.1 hour (6 minutes):
	 * acknowledging takes minutes, closing weeks. */
	int decades = 1;
	while (decades < 6 && pow(10, decades - 1) < top)
		decades++;
	double lo = -1, hi = decades - 1; /* log10 of 0.1 h .. 10^(decades-1) h */
	buf b;
	buf_init(&b);
	buf_printf(&b,
		   "<svg class=\"chart\" viewBox=\"0 0 %d %d\" role=\"img\" "
		   "aria-labelledby=\"chart-time-title\"><title id=\"chart-time-title\">%s</title>",
		   CW, CH, label(cat, lang, "msg_chart_times"));
	for (int k = 0; k <= decades; k++) {
		double y = MT + (CH - MT - MB) * (1 - (double)k / decades);
		buf_printf(&b, "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#d0d4da\"/>",
			   ML, CW - MR, y, y);
		buf_printf(&b, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%gh</text>", ML - 4,
			   y + 4, pow(10, k - 1));
	}
	chart_axes(&b, 0, nm, months, NULL, cat, lang);
	double bw = (double)(CW - ML - MR) / (double)(nm ? nm : 1);
	for (size_t s = 0; s < 3; s++) {
		for (int p = 0; p < 2; p++) {
			const char *key = p ? series[s].k90 : series[s].k50;
			buf pts;
			buf_init(&pts);
			int npts = 0;
			for (size_t m = 0; m < nm; m++) {
				double v = row[m] ? num(row[m], key) : NAN;
				if (isnan(v))
					continue;
				double x = ML + bw * ((double)m + .5);
				double lv = log10(v > 0.1 ? v : 0.1);
				double y = MT + (CH - MT - MB) * (1 - (lv - lo) / (hi - lo));
				buf_printf(&pts, "%s%.1f,%.1f", npts++ ? " " : "", x, y);
				char hours[32];
				snprintf(hours, sizeof hours, "%.1f", v);
				json_t *h1 = json_pack("{s:s, s:{s:s}}", "key", "msg_chart_hours", "args",
						       "n", hours);
				json_t *t1 = i18n_render(cat, lang, h1);
				buf_printf(&b,
					   "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"><title>"
					   "%s %s %s</title></circle>",
					   x, y, series[s].color, label(cat, lang, series[s].name),
					   p ? "90%" : label(cat, lang, "msg_chart_median"),
					   json_string_value(t1));
				json_decref(t1);
				json_decref(h1);
			}
			if (npts > 1)
				buf_printf(&b,
					   "<polyline points=\"%s\" fill=\"none\" stroke=\"%s\" "
					   "stroke-width=\"2\"%s/>",
					   buf_cstr(&pts), series[s].color,
					   p ? " stroke-dasharray=\"5 4\"" : "");
			buf_release(&pts);
		}
	}
	buf_puts(&b, "</svg>");
	free(row);
	return buf_detach(&b, NULL);
}

/* Computes the trends: {computed_at, months, categories (with colour),
 * table (per month: counts and times for the data table), categories_svg,
 * times_svg}. NULL on a database error. */
static json_t *trends_compute(PGconn *c, const struct i18n *i18n)
{
	json_t *data = overview_trend_rows(c);
	if (!data)
		return NULL;
	json_t *months = json_object_get(data, "months"), *cats = json_object_get(data, "categories"),
	       *counts = json_object_get(data, "counts"), *times = json_object_get(data, "times");
	json_t *out = NULL;
	size_t i;
	json_t *cat;
	json_array_foreach(cats, i, cat)
		json_object_set_new(cat, "color", json_string(palette[i % NPALETTE]));
	/* The same figures as a table, for screen readers and for print. */
	json_t *table = json_array();
	json_t *m;
	json_array_foreach(months, i, m) {
		const char *mo = json_string_value(json_object_get(m, "month"));
		long total = 0;
		size_t k;
		json_t *r;
		json_array_foreach(counts, k, r)
			if (strcmp(mo, json_string_value(json_object_get(r, "month"))) == 0)
				total += atol(json_string_value(json_object_get(r, "n")));
		json_t *t = json_pack("{s:s, s:i}", "month", mo, "total", (json_int_t)total);
		json_array_foreach(times, k, r) {
			if (strcmp(mo, json_string_value(json_object_get(r, "month"))) != 0)
				continue;
			static const char *const keys[] = {"ack50",	"ack90",   "contain50",
							   "contain90", "close50", "close90"};
			for (size_t q = 0; q < 6; q++) {
				double v = num(r, keys[q]);
				if (!isnan(v)) {
					char s[32];
					snprintf(s, sizeof s, "%.1f", v);
					json_object_set_new(t, keys[q], json_string(s));
				}
			}
		}
		json_array_append_new(table, t);
	}
	/* the charts in each page language */
	char *svg1 = chart_categories(i18n, "ja", months, cats, counts);
	char *svg2 = chart_times(i18n, "ja", months, times);
	char *svg3 = chart_categories(i18n, "en", months, cats, counts);
	char *svg4 = chart_times(i18n, "en", months, times);
	out = json_pack("{s:O, s:O, s:o, s:s, s:s, s:s, s:s}", "computed_at",
			json_object_get(data, "now"), "categories", cats, "table", table,
			"categories_svg_ja", svg1, "times_svg_ja", svg2, "categories_svg_en", svg3,
			"times_svg_en", svg4);
	free(svg1);
	free(svg2);
	free(svg3);
	free(svg4);
	json_decref(data);
	return out;
}

/* The trends from the cache, computing them when there are none or they
 * are older than TREND_TTL (one request computes; the others take the old
 * copy meanwhile). Returns a new reference, or NULL. */
static json_t *trends_get(struct dash_cache *dc, PGconn *c, const struct i18n *i18n)
{
	if (!dc)
		return trends_compute(c, i18n);
	time_t now = time(NULL);
	pthread_mutex_lock(&dc->mu);
	json_t *t = json_incref(dc->trends);
	int compute = !dc->busy && (!t || now - dc->at >= TREND_TTL);
	if (compute)
		dc->busy = 1;
	pthread_mutex_unlock(&dc->mu);
	if (!compute)
		return t ? t : trends_compute(c, i18n); /* first requests while one computes */
	json_t *fresh = trends_compute(c, i18n);
	pthread_mutex_lock(&dc->mu);
	dc->busy = 0;
	if (fresh) {
		json_decref(dc->trends);
		dc->trends = json_incref(fresh);
		dc->at = now;
	}
	pthread_mutex_unlock(&dc->mu);
	if (fresh) {
		json_decref(t);
		return fresh;
	}
	return t;
}

/* ---- the page ---- */

/* What changes the page: the newest audit event (every report, action,
 * escalation and reminder writes one), the newest mail and the dead ones,
 * the minute (times left and late move on), the period of the trends, and
 * who asks in which language. */
static int page_etag(struct request *req, PGconn *c, char *out, size_t size)
{
	char stamp[96];
	if (overview_stamp(c, stamp, sizeof stamp) < 0)
		return -1;
	/* the trends change at most once per TREND_TTL */
	long long bucket = (long long)(time(NULL) / TREND_TTL);
	snprintf(out, size, "\"d%s-%lld-%d-%s\"", stamp, bucket % 1000000,
		 req->sess->who.person_id, req->lang);
	return 0;
}

static int not_modified(struct request *req, const char *etag)
{
	struct MHD_Response *resp =
		MHD_create_response_from_buffer(0, (void *)(uintptr_t) "", MHD_RESPMEM_PERSISTENT);
	if (!resp)
		return -1;
	MHD_add_response_header(resp, "ETag", etag);
	MHD_add_response_header(resp, "Cache-Control", "no-cache, private");
	return http_queue(req, MHD_HTTP_NOT_MODIFIED, resp, 0);
}

int web_dashboard(struct request *req)
{
	PGconn *c = db_pool_get(req->app->db);
	if (!c)
		return http_error(req, 503);
	char etag[128];
	if (page_etag(req, c, etag, sizeof etag) < 0) {
		db_pool_put(req->app->db, c);
		return http_error(req, 500);
	}
	/* after a retry the page says how it went: a page of its own */
	const char *retried = http_query(req, "timer");
	size_t elen = strlen(etag);
	if (retried && elen >= 2 && elen + 2 < sizeof etag) {
		int r = strcmp(retried, "retried") == 0 ? 'r' : strcmp(retried, "not_failed") == 0 ? 'n' : 0;
		if (r)
			snprintf(etag + elen - 1, sizeof etag - (elen - 1), "%c\"", r);
	}
	const char *inm = http_header(req, "If-None-Match");
	if (inm && strcmp(inm, etag) == 0) {
		db_pool_put(req->app->db, c);
		return not_modified(req, etag);
	}
	json_t *d = overview_live(c);
	if (d) {
		json_t *failed = engine_failed_timers(c, LIST_ROWS);
		if (failed)
			json_object_set_new(d, "failed_timers", failed);
		else {
			json_decref(d);
			d = NULL;
		}
	}
	if (d && authz_allows(&req->sess->who, PERM_INTAKE, NULL)) {
		/* the intake queue: outside reports waiting for the CSIRT */
		long long waiting = outside_waiting_count(c);
		json_t *q = outside_queue(c, 5);
		web_intake_rows(q, req->lang);
		/* the residents' window refuses everyone while the city-wide
		 * limit is reached: say so */
		int cap = req->app->cfg->public_city_per_hour;
		int capped = cap > 0 && outside_hour_count(c) >= cap;
		json_object_set_new(d, "intake",
				    json_pack("{s:o, s:I, s:b, s:b, s:i}", "rows", q, "count",
					      (json_int_t)(waiting > 0 ? waiting : 0), "any",
					      waiting > 0, "capped", capped, "cap", cap));
	}
	if (d) {
		/* phishing waves: open incidents that several mails reported */
		json_t *waves = mail_report_waves(c, 10);
		if (waves && json_array_size(waves))
			json_object_set_new(d, "waves", json_pack("{s:o}", "rows", waves));
		else
			json_decref(waves);
	}
	json_t *trends = d ? trends_get(req->app->dash, c, req->app->i18n) : NULL;
	db_pool_put(req->app->db, c);
	if (!d || !trends) {
		json_decref(d);
		json_decref(trends);
		return http_error(req, 500);
	}
	json_t *fig = json_incref(json_object_get(d, "figures"));
	json_object_del(d, "figures");
	rows_with_duration(json_object_get(d, "late"), "late_s", "late");
	rows_with_duration(json_object_get(d, "unacknowledged"), "age_s", "age");
	rows_with_duration(json_object_get(d, "legal"), "left_s", "left");
	/* group the states by workflow for the page */
	json_t *groups = json_array();
	json_t *g = NULL;
	size_t i;
	json_t *row;
	json_array_foreach(json_object_get(d, "by_state"), i, row) {
		const char *wf = json_string_value(json_object_get(row, "workflow"));
		if (!g || strcmp(wf, json_string_value(json_object_get(g, "workflow"))) != 0) {
			g = json_pack("{s:s, s:O, s:[]}", "workflow", wf, "title",
				      json_object_get(row, "workflow_ja"), "states");
			json_array_append_new(groups, g);
		}
		json_array_append(json_object_get(g, "states"), row);
	}
	json_object_set_new(d, "state_groups", groups);
	static const char *const has[] = {"late", "unacknowledged", "legal", "escalations",
					  "dead_mail", "failed_timers", "uncovered"};
	for (size_t k = 0; k < sizeof has / sizeof has[0]; k++) {
		char key[32];
		snprintf(key, sizeof key, "has_%s", has[k]);
		json_object_set_new(d, key, json_boolean(json_array_size(json_object_get(d, has[k]))));
	}
	/* "legal_overdue_any" ...: whether a figure is not zero, for the page */
	const char *fk;
	json_t *fv;
	void *tmp;
	json_object_foreach_safe(fig, tmp, fk, fv) {
		const char *sv = json_string_value(fv);
		if (sv && strcmp(fk, "now") != 0) {
			char key[64];
			snprintf(key, sizeof key, "%s_any", fk);
			json_object_set_new(fig, key, json_boolean(strcmp(sv, "0") != 0));
		}
	}
	json_object_set_new(d, "may_retry_timers",
			    json_boolean(authz_action_allows(&req->sess->who, ACT_TIMER_RETRY, NULL)));
	if (retried) {
		json_object_set_new(d, "timer_retried", json_boolean(strcmp(retried, "retried") == 0));
		json_object_set_new(d, "timer_not_failed",
				    json_boolean(strcmp(retried, "not_failed") == 0));
	}
	json_object_set_new(d, "figures", fig);
	/* the charts of the page's language (trends is shared: left as it is) */
	int en = strcmp(req->lang, "en") == 0;
	json_object_set(d, "categories_svg",
			json_object_get(trends, en ? "categories_svg_en" : "categories_svg_ja"));
	json_object_set(d, "times_svg", json_object_get(trends, en ? "times_svg_en" : "times_svg_ja"));
	json_object_set_new(d, "trends", trends);
	json_object_set_new(d, "etag", json_string(etag));
	/* The ETag goes out with the page too, so that the refresh can send it. */
	snprintf(req->etag, sizeof req->etag, "%s", etag);
	return http_page(req, 200, "pages/dashboard", d);
}

int web_dashboard_timer(struct request *req)
{
	const char *rest = req->path + strlen("/dashboard/timers/");
	char *end;
	long long id = strtoll(rest, &end, 10);
	if (end == rest || id <= 0 || strcmp(end, "/retry") != 0)
		return http_error(req, 404);
	if (!authz_action_allows(&req->sess->who, ACT_TIMER_RETRY, NULL))
		return http_error(req, 403);
	PGconn *c = db_pool_get(req->app->db);
	if (!c)
		return http_error(req, 503);
	char err[512];
	int n = engine_timer_retry(c, id, req->sess->who.person_id, err, sizeof err);
	db_pool_put(req->app->db, c);
	if (n < 0) {
		log_event(LOG_ERROR, "timer_retry_failed", "rid=%s timer=%lld error=%s", req->rid, id,
			  log_quote(0, err));
		return http_error(req, 503);
	}
	return http_redirect(req, n ? "/dashboard?timer=retried#h-timers"
				    : "/dashboard?timer=not_failed#h-timers");
}
