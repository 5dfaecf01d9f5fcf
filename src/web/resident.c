/* The residents' window (/report/public): a short form in plain Japanese
 * (English one click away) for anyone outside the city's staff, and its
 * confirmation with the reference and the city's contact; and the CSIRT's
 * intake queue (/intake, /intake/REF) where those reports wait until a CSIRT
 * member, the chief security officer or the CISO accepts one as an incident
 * or closes it (src/incident/outside.c). Nothing internal is asked of the
 * resident or shown to them: no staff names, no workflow, no legal clocks.
 *
 * Abuse: the per-address limit (INTAKE_PUBLIC_REPORTS_PER_HOUR, incident/form.h),
 * a city-wide one (public_city_per_hour, shown on the dashboard when reached), a hidden field
 * people do not see and leave empty, and a minimum fill time: the form
 * carries the time it was shown, signed with a key this process holds in
 * memory only (libsodium crypto_auth); a form sent sooner than
 * public_min_fill seconds after, with the hidden field filled, or with a
 * signature this process did not make (a form older than a day, or shown
 * before a restart) stores nothing and is shown again with a message. */
#include <jansson.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app.h"
#include "auth/session.h"
#include "core/log.h"
#include "core/timefmt.h"
#include "core/utf8.h"
#include "core/xalloc.h"
#include "db/db.h"
#include "http/multipart.h"
#include "incident/form.h"
#include "incident/intake.h"
#include "incident/outside.h"
#include "web.h"

/* A form shown longer ago than this is refused (and shown again). */
#define FILL_MAX_AGE (24 * 3600)
/* The hidden field people leave empty. */
#define HONEYPOT "website"

static unsigned char fill_key[crypto_auth_KEYBYTES];
static pthread_once_t fill_key_once = PTHREAD_ONCE_INIT;

static void fill_key_init(void)
{
	randombytes_buf(fill_key, sizeof fill_key);
}

#define FILL_TOKEN_MAX (24 + 1 + 2 * crypto_auth_BYTES + 1)

/* "SECONDS.HEXMAC": the time the form was shown, signed. */
static void fill_token(char out[FILL_TOKEN_MAX])
{
	pthread_once(&fill_key_once, fill_key_init);
	char ts[24];
	snprintf(ts, sizeof ts, "%lld", (long long)time(NULL));
	unsigned char mac[crypto_auth_BYTES];
	crypto_auth(mac, (const unsigned char *)ts, strlen(ts), fill_key);
	char hex[2 * crypto_auth_BYTES + 1];
	sodium_bin2hex(hex, sizeof hex, mac, sizeof mac);
	snprintf(out, FILL_TOKEN_MAX, "%s.%s", ts, hex);
}

/* Seconds since the form of token was shown, or -1 when the token is not
 * one this process made. */
static long long fill_age(const char *tok)
{
	pthread_once(&fill_key_once, fill_key_init);
	if (!tok)
		return -1;
	const char *dot = strchr(tok, '.');
	if (!dot || dot == tok || dot - tok > 20)
		return -1;
	for (const char *p = tok; p < dot; p++)
		if (*p < '0' || *p > '9')
			return -1;
	unsigned char mac[crypto_auth_BYTES];
	size_t len = 0;
	if (strlen(dot + 1) != 2 * crypto_auth_BYTES ||
	    sodium_hex2bin(mac, sizeof mac, dot + 1, 2 * crypto_auth_BYTES, NULL, &len, NULL) != 0 ||
	    len != sizeof mac)
		return -1;
	if (crypto_auth_verify(mac, (const unsigned char *)tok, (size_t)(dot - tok), fill_key) != 0)
		return -1;
	long long shown = strtoll(tok, NULL, 10);
	long long age = (long long)time(NULL) - shown;
	return age < 0 ? -1 : age;
}

/* The city's contact, from the configuration. */
static json_t *contact_data(const struct config *cfg)
{
	return json_pack("{s:s, s:s, s:s, s:s}", "organisation", cfg->organisation_name, "office",
			 cfg->csirt_office, "phone", cfg->csirt_phone, "hours", cfg->csirt_hours);
}

static const char *raw_str(const json_t *raw, const char *key)
{
	json_t *v = json_object_get(raw, key);
	if (json_is_array(v))
		v = json_array_get(v, 0);
	return json_string_value(v);
}

/* The form's page data: the values (raw may be NULL), a fresh signed time,
 * the city's contact; errors (field -> message) when there are some. */
static json_t *form_data(struct request *req, const json_t *raw, json_t *errors)
{
	json_t *d = json_object();
	json_t *v = json_object();
	static const char *const names[] = {"what", "when", "place", "contact", NULL};
	for (int k = 0; names[k]; k++) {
		const char *s = raw ? raw_str(raw, names[k]) : NULL;
		json_object_set_new(v, names[k], json_string(s ? s : ""));
	}
	json_object_set_new(d, "v", v);
	char tok[FILL_TOKEN_MAX];
	fill_token(tok);
	json_object_set_new(d, "fill", json_string(tok));
	json_object_set_new(d, "city", contact_data(req->app->cfg));
	size_t max = req->app->cfg->attachment_max < req->app->cfg->public_max_body
			     ? req->app->cfg->attachment_max
			     : req->app->cfg->public_max_body;
	json_object_set_new(d, "file_max_mb", json_sprintf("%zu", max >> 20 ? max >> 20 : 1));
	if (errors && json_object_size(errors)) {
		http_msgs(req, errors);
		json_object_set(d, "errors", errors);
		json_object_set_new(d, "has_errors", json_true());
	}
	return d;
}

static int show_form(struct request *req, unsigned status, const json_t *raw, json_t *errors,
		     const char *flag)
{
	json_t *d = form_data(req, raw, errors);
	if (flag)
		json_object_set_new(d, flag, json_true());
	return http_page(req, status, "pages/resident", d);
}

static int file_outside_report(struct request *req)
{
	const struct config *cfg = req->app->cfg;
	/* Refused quietly: the hidden field filled, sent too soon, or a time
	 * this process did not sign. Nothing is stored. */
	const char *hp = http_form(req, HONEYPOT);
	long long age = fill_age(http_form(req, "fill"));
	if ((hp && *hp) || age < 0 || age < cfg->public_min_fill || age > FILL_MAX_AGE) {
		log_event(LOG_INFO, "resident_refused", "why=%s age=%lld",
			  hp && *hp ? "honeypot" : age < 0 ? "signature" : "time", age);
		return show_form(req, 422, req->form, NULL, "refused");
	}
	PGconn *c = db_pool_get(req->app->db);
	if (!c)
		return http_error(req, 503);
	int rc;
	json_t *errors = json_object();
	json_t *clean = NULL;
	/* the city-wide limit first: when it is reached, nobody gets through */
	if (cfg->public_city_per_hour > 0 && outside_hour_count(c) >= cfg->public_city_per_hour) {
		log_event(LOG_WARN, "resident_city_limit", "per_hour=%d", cfg->public_city_per_hour);
		rc = show_form(req, 429, req->form, NULL, "rate_limited");
		goto out;
	}
	if (intake_public_rate_exceeded(c, req->ip)) {
		rc = show_form(req, 429, req->form, NULL, "rate_limited");
		goto out;
	}
	clean = outside_check(req->form, errors);
	/* catalog keys into messages in the page language */
	const char *k;
	json_t *val;
	void *tmp;
	json_object_foreach_safe(errors, tmp, k, val)
		json_object_set_new(errors, k, http_label(req, json_string_value(val)));
	struct intake_file file = {0};
	char *name = NULL;
	size_t nfiles = 0;
	for (size_t i = 0; i < req->mp.nfiles; i++) {
		const struct mp_file *f = &req->mp.files[i];
		if (strcmp(f->field, "file") != 0 || (f->len == 0 && !*f->filename))
			continue; /* no file chosen */
		if (nfiles) {
			json_object_set_new(errors, "file", http_label(req, "res_err_one_file"));
			break;
		}
		if (f->len == 0) {
			json_object_set_new(errors, "file", http_label(req, "res_err_file_empty"));
			continue;
		}
		if (f->len > cfg->attachment_max) {
			json_object_set_new(errors, "file", http_label(req, "res_err_file_big"));
			continue;
		}
		name = mp_safe_filename(f->filename);
		file.filename = name;
		file.content_type = f->content_type;
		file.data = f->data;
		file.len = f->len;
		nfiles = 1;
	}
	static const char *const labels[] = {"what", "res_what", "when", "res_when", "place",
					     "res_place", "contact", "res_contact", NULL};
	web_mark_not_utf8(req, errors, NULL, labels);
	if (json_object_size(errors)) {
		if (nfiles)
			json_object_set_new(errors, "file", http_label(req, "res_err_file_again"));
		rc = show_form(req, 422, req->form, errors, NULL);
		free(name);
		goto out;
	}
	char ref[32];
	struct db_err e;
	enum db_qs qs = outside_store(c, clean, &file, nfiles, req->ip, ref, &e);
	free(name);
	if (qs < 0) {
		log_event(LOG_ERROR, "outside_store_failed", "error=%s", log_quote(0, e.msg));
		rc = http_error(req, qs == DB_SOFT ? 503 : 500);
		goto out;
	}
	json_t *d = json_object();
	json_object_set_new(d, "ref", json_string(ref));
	json_object_set_new(d, "city", contact_data(cfg));
	json_object_set_new(d, "gave_contact",
			    json_boolean(*json_string_value(json_object_get(clean, "contact"))));
	rc = http_page(req, 200, "pages/resident_filed", d);
out:
	json_decref(clean);
	json_decref(errors);
	db_pool_put(req->app->db, c);
	return rc;
}

int web_resident(struct request *req)
{
	if (req->method == HTTP_POST)
		return file_outside_report(req);
	return show_form(req, 200, NULL, NULL, NULL);
}

void web_intake_rows(json_t *rows, const char *lang)
{
	int en = lang && strcmp(lang, "en") == 0;
	time_t now = time(NULL);
	size_t i;
	json_t *row;
	json_array_foreach(rows, i, row) {
		const char *a = json_string_value(json_object_get(row, "arrived_epoch"));
		time_t arrived = a ? (time_t)strtoll(a, NULL, 10) : now;
		long long s = now > arrived ? (long long)(now - arrived) : 0;
		long long d = s / 86400, h = s % 86400 / 3600, m = s % 3600 / 60;
		char waited[64];
		if (d > 0)
			snprintf(waited, sizeof waited, en ? "%lld d %lld h" : "%lld日%lld時間", d, h);
		else if (h > 0)
			snprintf(waited, sizeof waited, en ? "%lld h %lld min" : "%lld時間%lld分", h, m);
		else
			snprintf(waited, sizeof waited, en ? "%lld min" : "%lld分", m);
		json_object_set_new(row, "waited", json_string(waited));
		char left[TIMEFMT_MAX];
		time_t target = arrived + (time_t)INTAKE_PRELIMINARY_DAYS * 86400;
		timefmt_left(target, now, lang, left, sizeof left);
		json_object_set_new(row, "target_left", json_string(left));
		json_object_set_new(row, "target_late", json_boolean(timefmt_overdue(target, now)));
	}
}

/* GET /intake: the reports waiting, oldest first, with how long each has
 * waited. */
int web_intake(struct request *req)
{
	PGconn *c = db_pool_get(req->app->db);
	if (!c)
		return http_error(req, 503);
	json_t *d = json_object();
	json_t *rows = outside_queue(c, 0);
	db_pool_put(req->app->db, c);
	web_intake_rows(rows, req->lang);
	json_object_set_new(d, "has_rows", json_boolean(json_array_size(rows)));
	json_object_set_new(d, "rows", rows);
	const char *closed = http_query(req, "closed");
	if (closed && *closed)
		json_object_set_new(d, "closed", json_string(closed));
	return http_page(req, 200, "pages/intake", d);
}

static void mark_selected(json_t *rows, const char *key, const char *value)
{
	size_t i;
	json_t *row;
	json_array_foreach(rows, i, row) {
		const char *v = json_string_value(json_object_get(row, key));
		json_object_set_new(row, "selected", json_boolean(v && value && strcmp(v, value) == 0));
	}
}

static const char *const tri_names[] = {"pd_involved", "pd_sensitive", "pd_mynumber",
					"pd_encrypted", "pd_malicious", "pd_financial", NULL};

/* The item page: the report as the resident wrote it, and for one who may
 * decide, the accept form (values from raw, or the defaults: the summary,
 * discovered when it arrived) and the close form. */
static int item_page(struct request *req, PGconn *c, json_t *item, unsigned status,
		     const json_t *raw, json_t *errors, const char *which)
{
	json_t *d = json_object();
	int waiting = strcmp(json_string_value(json_object_get(item, "state")), "waiting") == 0;
	const char *state = json_string_value(json_object_get(item, "state"));
	json_object_set_new(d, "waiting", json_boolean(waiting));
	json_t *one = json_pack("[O]", item);
	web_intake_rows(one, req->lang); /* waited, target_left */
	json_decref(one);
	json_object_set_new(d, "accepted", json_boolean(strcmp(state, "accepted") == 0));
	json_object_set_new(d, "closed", json_boolean(strcmp(state, "closed") == 0));
	const char *outcome = json_string_value(json_object_get(item, "outcome"));
	json_object_set_new(d, "spam", json_boolean(outcome && strcmp(outcome, "spam") == 0));
	int may = authz_action_allows(&req->sess->who, ACT_INTAKE_ACCEPT, NULL) &&
		  authz_action_allows(&req->sess->who, ACT_INTAKE_CLOSE, NULL);
	json_object_set_new(d, "may_decide", json_boolean(waiting && may));
	json_t *v = json_object();
	static const char *const texts[] = {"summary", "discovered_at", "pd_persons", "reason",
					    "section", "site", "category", NULL};
	for (int k = 0; texts[k]; k++) {
		const char *s = raw ? raw_str(raw, texts[k]) : NULL;
		json_object_set_new(v, texts[k], json_string(s ? s : ""));
	}
	if (!raw) {
		json_object_set(v, "summary", json_object_get(item, "summary"));
		json_object_set(v, "discovered_at", json_object_get(item, "arrived_input"));
	}
	json_t *checked = json_object();
	for (int k = 0; tri_names[k]; k++) {
		const char *val = raw ? raw_str(raw, tri_names[k]) : NULL;
		if (!val || !*val)
			val = k == 0 ? "" : "unknown";
		char key[64];
		snprintf(key, sizeof key, "%s_%s", tri_names[k], val);
		json_object_set_new(checked, key, json_true());
	}
	const char *oc = raw ? raw_str(raw, "outcome") : NULL;
	if (oc && (strcmp(oc, "spam") == 0 || strcmp(oc, "not_incident") == 0)) {
		char key[48];
		snprintf(key, sizeof key, "outcome_%s", oc);
		json_object_set_new(checked, key, json_true());
	}
	json_object_set_new(d, "checked", checked);
	if (waiting && may) {
		/* the staff form's choices, the values chosen marked */
		json_t *ch = report_form_choices(c);
		mark_selected(json_object_get(ch, "categories"), "key",
			      json_string_value(json_object_get(v, "category")));
		mark_selected(json_object_get(ch, "sites"), "code",
			      json_string_value(json_object_get(v, "site")));
		mark_selected(json_object_get(ch, "sections"), "code",
			      json_string_value(json_object_get(v, "section")));
		json_object_update(d, ch);
		json_decref(ch);
	}
	json_object_set_new(d, "v", v);
	json_object_set_new(d, "item", item);
	if (errors && json_object_size(errors)) {
		http_msgs(req, errors);
		json_object_set(d, "errors", errors);
		json_object_set_new(d, which, json_true());
	}
	const char *done = http_query(req, "done");
	if (done && strcmp(done, "decided") == 0)
		json_object_set_new(d, "decided_meanwhile", json_true());
	return http_page(req, status, "pages/intake_item", d);
}

static int decided_redirect(struct request *req, const char *ref, enum outside_result res,
			    enum db_qs qs, const char *ok)
{
	if (res == OUTSIDE_NOT_FOUND)
		return http_error(req, 404);
	if (res == OUTSIDE_DB_ERROR)
		return http_error(req, qs == DB_SOFT ? 503 : 500);
	char *loc = res == OUTSIDE_DECIDED ? xasprintf("/intake/%s?done=decided", ref)
					   : xasprintf("%s%s", ok, ref);
	int rc = http_redirect(req, loc);
	free(loc);
	return rc;
}

static int accept_report(struct request *req, PGconn *c, const char *ref, json_t *item)
{
	if (!authz_action_allows(&req->sess->who, ACT_INTAKE_ACCEPT, NULL)) {
		json_decref(item);
		return http_error(req, 403);
	}
	json_t *errors = json_object();
	/* the facts as the staff form checks them; the outsider's name and
	 * contact, which intake_check asks of its old public form, are the
	 * resident's own and not asked here */
	json_t *clean = intake_check(c, req->form, INTAKE_EXTERNAL, errors);
	json_object_del(errors, "external_name");
	json_object_del(errors, "external_contact");
	web_mark_not_utf8(req, errors, NULL, NULL);
	if (json_object_size(errors)) {
		json_decref(clean);
		int rc = item_page(req, c, item, 422, req->form, errors, "accept_errors");
		json_decref(errors);
		return rc;
	}
	json_decref(errors);
	json_decref(item);
	json_t *facts = intake_facts(clean);
	json_t *clocks = web_legal_clocks(req->app, facts);
	json_decref(facts);
	enum db_qs qs;
	struct db_err e;
	enum outside_result res = outside_accept(req->app->engine, c, ref, clean, clocks,
						 req->sess->who.person_id, req->ip, &qs, &e);
	if (res == OUTSIDE_DB_ERROR)
		log_event(LOG_ERROR, "outside_accept_failed", "error=%s", log_quote(0, e.msg));
	json_decref(clocks);
	json_decref(clean);
	return decided_redirect(req, ref, res, qs, "/incidents/");
}

static int close_report(struct request *req, PGconn *c, const char *ref, json_t *item)
{
	if (!authz_action_allows(&req->sess->who, ACT_INTAKE_CLOSE, NULL)) {
		json_decref(item);
		return http_error(req, 403);
	}
	json_t *errors = json_object();
	const char *outcome = http_form(req, "outcome");
	if (!outcome || (strcmp(outcome, "spam") && strcmp(outcome, "not_incident")))
		json_object_set_new(errors, "outcome", http_label(req, "intake_err_outcome"));
	const char *reason = http_form(req, "reason");
	size_t n = reason ? utf8_chars(reason) : 0;
	int blank = 1;
	for (const char *p = reason ? reason : ""; *p; p++)
		if (*p != ' ' && *p != '\t' && *p != '\r' && *p != '\n')
			blank = 0;
	if (blank)
		json_object_set_new(errors, "reason", http_label(req, "intake_err_reason"));
	else if (n > OUTSIDE_REASON_MAX)
		json_object_set_new(errors, "reason", http_label(req, "intake_err_reason_long"));
	web_mark_not_utf8(req, errors, NULL, NULL);
	if (json_object_size(errors)) {
		int rc = item_page(req, c, item, 422, req->form, errors, "close_errors");
		json_decref(errors);
		return rc;
	}
	json_decref(errors);
	json_decref(item);
	enum db_qs qs;
	struct db_err e;
	enum outside_result res = outside_close(c, ref, outcome, reason, req->sess->who.person_id,
						req->ip, &qs, &e);
	if (res == OUTSIDE_DB_ERROR)
		log_event(LOG_ERROR, "outside_close_failed", "error=%s", log_quote(0, e.msg));
	return decided_redirect(req, ref, res, qs, "/intake?closed=");
}

/* GET /intake/REF: one outside report; POST with decision=accept or
 * decision=close decides it. */
int web_intake_item(struct request *req)
{
	const char *ref = req->path + strlen("/intake/");
	PGconn *c = db_pool_get(req->app->db);
	if (!c)
		return http_error(req, 503);
	json_t *item = outside_get(c, ref);
	int rc;
	if (!item) {
		rc = http_error(req, 404);
	} else if (req->method != HTTP_POST) {
		rc = item_page(req, c, item, 200, NULL, NULL, NULL);
	} else {
		const char *decision = http_form(req, "decision");
		if (decision && strcmp(decision, "accept") == 0)
			rc = accept_report(req, c, ref, item);
		else if (decision && strcmp(decision, "close") == 0)
			rc = close_report(req, c, ref, item);
		else {
			json_decref(item);
			rc = http_error(req, 400);
		}
	}
	db_pool_put(req->app->db, c);
	return rc;
}
