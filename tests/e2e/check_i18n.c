/* The page language end to end: ?lang= and its cookie, the signed-in
 * person's language, Accept-Language, the switch links; and the label
 * catalog (templates/i18n/labels.json) against every template, including
 * the start-up check that refuses a label a template uses but the catalog
 * lacks. Runs on the demo city. */
#include <check.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "client.h"
#include "core/xalloc.h"
#include "support.h"
#include "tmpl/i18n.h"
#include "tmpl/templates.h"

Suite *i18n_suite(void);

#define DEMO_PW "demo-password-2026"
#define YEAR "Max-Age=31536000"

static char *db;
static int port;
static pid_t server;
static char logfile[256];

static void setup(void)
{
	db = ts_new_database();
	char *e = xasprintf("DATABASE_URL=%s", db);
	const char *env[] = {e, NULL};
	const char *m[] = {ts_bin(), "migrate", NULL};
	ck_assert_int_eq(ts_run(m, env, NULL, NULL), 0);
	const char *d[] = {ts_bin(), "demo", NULL};
	ck_assert_int_eq(ts_run(d, env, NULL, NULL), 0);
	free(e);
	port = ts_free_port();
	snprintf(logfile, sizeof logfile, "/tmp/sokuho-i18n-%d.log", (int)getpid());
	unlink(logfile);
	server = ts_start_server(db, port, NULL, logfile);
}

static void teardown(void)
{
	ck_assert_int_eq(ts_stop_server_log(server, logfile), 0);
	unlink(logfile);
	free(db);
}

static size_t on_data(char *p, size_t size, size_t n, void *ud)
{
	buf_append(ud, p, size * n);
	return size * n;
}

/* GET path with an optional Cookie and Accept-Language header. */
static void get(const char *path, const char *cookie, const char *accept_language, struct resp *r)
{
	CURL *c = curl_easy_init();
	char url[1024];
	snprintf(url, sizeof url, "http://127.0.0.1:%d%s", port, path);
	buf_init(&r->body);
	buf_init(&r->headers);
	struct curl_slist *hl = NULL;
	char *al = accept_language ? xasprintf("Accept-Language: %s", accept_language) : NULL;
	if (al)
		hl = curl_slist_append(hl, al);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &r->body);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &r->headers);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
	if (hl)
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
	if (cookie)
		curl_easy_setopt(c, CURLOPT_COOKIE, cookie);
	r->status = 0;
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	curl_slist_free_all(hl);
	free(al);
	curl_easy_cleanup(c);
}

/* Whether the response sets cookie name. */
static int sets_cookie(const struct resp *r, const char *name)
{
	char *line = resp_cookie_line(r, name);
	int has = line != NULL;
	free(line);
	return has;
}

/* The label of the report form's one-line summary, as the page shows it. */
static char *summary_label(const struct resp *r)
{
	const char *b = buf_cstr(&r->body);
	const char *p = strstr(b, "<label for=\"summary\">");
	if (!p) /* the residents' form */
		p = strstr(b, "<label for=\"what\">");
	ck_assert_msg(p != NULL, "no summary label: %s", b);
	const char *e = strstr(p, "</label>");
	ck_assert(e != NULL);
	return xstrndup(p, (size_t)(e - p));
}

/* Whether the page is English: <html lang="en">, and the summary label
 * reads in that one language only, with a link to the other language's page.
 * Checks that it is one language or the other, consistently. */
static int is_english(const struct resp *r)
{
	ck_assert_int_eq(r->status, 200);
	const char *b = buf_cstr(&r->body);
	char *label = summary_label(r);
	const char *en = strstr(label, "What happened (");
	const char *ja = strstr(label, "何が");
	ck_assert_msg((en != NULL) != (ja != NULL), "the label has one language: %s", label);
	ck_assert_msg(!strstr(label, "<span lang="), "no second language: %s", label);
	int english = strstr(b, "<html lang=\"en\">") != NULL;
	if (english) {
		ck_assert_msg(en != NULL, "English label: %s", label);
		ck_assert(strstr(b, "?lang=ja\" class=\"lang-switch\" lang=\"ja\" hreflang=\"ja\">日本語</a>"));
	} else {
		ck_assert_msg(strstr(b, "<html lang=\"ja\">"), "%s", b);
		ck_assert_msg(ja != NULL, "Japanese label: %s", label);
		ck_assert(strstr(b, "?lang=en\" class=\"lang-switch\" lang=\"en\" hreflang=\"en\">English</a>"));
	}
	free(label);
	return english;
}

START_TEST(test_query_sets_language_and_cookie)
{
	struct resp r;
	get("/report/public?lang=en", NULL, NULL, &r);
	ck_assert(is_english(&r));
	const char *b = buf_cstr(&r.body);
	/* one language: no Japanese label beside the English one */
	ck_assert(strstr(b, "<h1>Tell the city about a security problem</h1>"));
	ck_assert(!strstr(b, "市に 知らせる"));
	ck_assert(!strstr(b, "情報セキュリティインシデントを報告する"));
	ck_assert(strstr(b, ">日本語</a>"));
	char *line = resp_cookie_line(&r, "sokuho_lang");
	ck_assert_msg(line && strstr(line, "sokuho_lang=en;") && strstr(line, "HttpOnly") &&
			      strstr(line, "SameSite=Lax") && strstr(line, YEAR) &&
			      strstr(line, "Path=/"),
		      "%s", line ? line : buf_cstr(&r.headers));
	free(line);
	resp_release(&r);

	/* the cookie keeps the choice, whatever the browser prefers */
	get("/report/public", "sokuho_lang=en", "ja", &r);
	ck_assert(is_english(&r));
	ck_assert(!sets_cookie(&r, "sokuho_lang")); /* nothing new to remember */
	resp_release(&r);
	get("/", "sokuho_lang=en", NULL, &r);
	ck_assert(strstr(buf_cstr(&r.body), "<html lang=\"en\">"));
	ck_assert(strstr(buf_cstr(&r.body), "href=\"/?lang=ja\""));
	resp_release(&r);

	/* and ?lang=ja switches back (and is remembered) */
	get("/report/public?lang=ja", "sokuho_lang=en", NULL, &r);
	ck_assert(!is_english(&r));
	line = resp_cookie_line(&r, "sokuho_lang");
	ck_assert(line && strstr(line, "sokuho_lang=ja;"));
	free(line);
	resp_release(&r);
}
END_TEST

START_TEST(test_accept_language)
{
	static const struct {
		const char *header;
		int english;
	} cases[] = {
		{"en-US,en;q=0.9,ja;q=0.5", 1},
		{"ja,en;q=0.5", 0},
		{NULL, 0},
		{"en", 1},
		{"EN-gb", 1},
		{"fr-FR,fr;q=0.9,en;q=0.8", 1},
		{"fr", 0},
		{"ja;q=0.4, en;q=0.6", 1},
		{"en;q=0.5, ja;q=0.5", 0},
		{"en;q=0", 0},
		{"*", 0},
		{"", 0},
		{"en;q=banana", 0},
		{",,;q=,en-;;", 1},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const char *want = cases[i].english ? "en" : "ja";
		ck_assert_msg(strcmp(i18n_accept_language(cases[i].header), want) == 0, "%s -> %s",
			      cases[i].header ? cases[i].header : "(none)", want);
	}
	/* the three of the brief, over HTTP */
	struct resp r;
	get("/report/public", NULL, "en-US,en;q=0.9,ja;q=0.5", &r);
	ck_assert(is_english(&r));
	ck_assert(!sets_cookie(&r, "sokuho_lang")); /* only ?lang= is remembered */
	resp_release(&r);
	get("/report/public", NULL, "ja,en;q=0.5", &r);
	ck_assert(!is_english(&r));
	resp_release(&r);
	get("/report/public", NULL, NULL, &r);
	ck_assert(!is_english(&r));
	resp_release(&r);
}
END_TEST

START_TEST(test_bad_values_ignored)
{
	struct resp r;
	get("/report/public?lang=xx", NULL, NULL, &r);
	ck_assert(!is_english(&r));
	ck_assert(!sets_cookie(&r, "sokuho_lang"));
	resp_release(&r);
	get("/report/public?lang=xx", "sokuho_lang=en", NULL, &r); /* falls through to the cookie */
	ck_assert(is_english(&r));
	resp_release(&r);
	get("/report/public?lang=EN", NULL, "en", &r); /* and to Accept-Language */
	ck_assert(is_english(&r));
	ck_assert(!sets_cookie(&r, "sokuho_lang"));
	resp_release(&r);
	get("/report/public", "sokuho_lang=fr", NULL, &r);
	ck_assert(!is_english(&r));
	resp_release(&r);
}
END_TEST

START_TEST(test_person_language)
{
	char *sess = client_sign_in(port, "emily.carter", DEMO_PW);
	ck_assert(sess != NULL);
	struct resp r;
	get("/report", sess, "ja", &r); /* her preference beats the browser's */
	ck_assert(is_english(&r));
	resp_release(&r);
	get("/report?lang=ja", sess, NULL, &r);
	ck_assert(!is_english(&r));
	char *v = resp_cookie(&r, "sokuho_lang");
	ck_assert(v && strcmp(v, "ja") == 0);
	free(v);
	resp_release(&r);
	char *both = xasprintf("%s; sokuho_lang=ja", sess);
	get("/report", both, NULL, &r); /* the remembered choice beats her preference */
	ck_assert(!is_english(&r));
	resp_release(&r);
	free(both);
	free(sess);

	/* a Japanese-speaking person with an English browser: the person wins */
	sess = client_sign_in(port, "sakai.haruto", DEMO_PW);
	ck_assert(sess != NULL);
	get("/report", sess, "en", &r);
	ck_assert(!is_english(&r));
	resp_release(&r);
	free(sess);
}
END_TEST

START_TEST(test_other_pages_and_links)
{
	struct resp r;
	get("/no-such-page?lang=en", NULL, NULL, &r);
	ck_assert_int_eq(r.status, 404);
	const char *b = buf_cstr(&r.body);
	ck_assert(strstr(b, "<html lang=\"en\">"));
	ck_assert_msg(strstr(b, "<h1>Page not found</h1>"), "%s", b);
	ck_assert(!strstr(b, "ページが見つかりません"));
	ck_assert(!strstr(b, "お探しのページは"));
	ck_assert(sets_cookie(&r, "sokuho_lang")); /* remembered even on an error */
	resp_release(&r);

	get("/login", NULL, "en", &r);
	b = buf_cstr(&r.body);
	ck_assert(strstr(b, "<label for=\"login\">Login</label>"));
	ck_assert(strstr(b, "<title>Sign in — Sokuho</title>"));
	resp_release(&r);

	/* the switch link keeps the page's other query arguments, escaped */
	get("/login?next=%2Freport%3Fa%3Db&lang=en", NULL, NULL, &r);
	b = buf_cstr(&r.body);
	ck_assert_msg(strstr(b, "href=\"/login?next=%2Freport%3Fa%3Db&amp;lang=ja\" class=\"lang-switch\" "
				"lang=\"ja\" hreflang=\"ja\">日本語</a>"),
		      "%s", b);
	resp_release(&r);

	/* and can never point to another site */
	get("//evil.example/x", NULL, NULL, &r);
	b = buf_cstr(&r.body);
	ck_assert_int_eq(r.status, 404);
	ck_assert_msg(strstr(b, "href=\"/evil.example/x?lang=en\""), "%s", b);
	ck_assert(!strstr(b, "href=\"//"));
	resp_release(&r);

	/* database values with both languages show the page's one */
	char *staff = client_sign_in(port, "sakai.haruto", DEMO_PW);
	ck_assert(staff != NULL);
	get("/report?lang=en", staff, NULL, &r);
	b = buf_cstr(&r.body);
	ck_assert_msg(strstr(b, ">Loss or theft</option>"), "%s", b);
	ck_assert(!strstr(b, "紛失・盗難"));
	resp_release(&r);
	get("/report?lang=ja", staff, NULL, &r);
	b = buf_cstr(&r.body);
	ck_assert_msg(strstr(b, ">紛失・盗難</option>"), "%s", b);
	ck_assert(!strstr(b, "Loss or theft"));
	resp_release(&r);
	free(staff);
}
END_TEST

static const char *templates_dir(void)
{
	const char *d = getenv("SOKUHO_TEMPLATES_DIR");
	return d && *d ? d : "templates";
}

/* Data that opens every section of every page template. */
static json_t *everything(const struct i18n *cat, const char *lang)
{
	json_error_t jerr;
	json_t *d = json_loads(
		"{\"status\": 404, \"e400\": true, \"e403\": true, \"e404\": true, \"e405\": true,"
		" \"e413\": true, \"e500\": true, \"e503\": true, \"eother\": true,"
		" \"installed_on\": \"2026-04-01\", \"csrf\": \"x\","
		" \"me\": {\"login\": \"a\", \"display_name\": \"A\", \"is_admin\": true},"
		" \"has_error\": true, \"err_bad\": true, \"err_throttled\": true, \"err_login\": true,"
		" \"err_password\": true, \"rate_limited\": true, \"has_errors\": true,"
		" \"error_count\": 2, \"files_again\": [\"a.txt\"], \"external\": true,"
		" \"incident\": {\"ref\": \"INC-2026-0001\", \"summary\": \"S\", \"reported_at\": \"R\","
		"  \"pd_persons\": 3, \"bcp\": true, \"reporter_name\": \"N\", \"external_name\": \"E\","
		"  \"category_ja\": \"種\", \"category_en\": \"Cat\"},"
		" \"told\": [{\"title_ja\": \"管理者\", \"title_en\": \"Manager\", \"names\": \"\"}],"
		" \"has_clocks\": true, \"has_deadlines\": true,"
		" \"clocks\": [{\"title\": \"速\", \"title_ja\": \"速\", \"title_en\": \"PPC\", \"reasons\": [\"r\"]}],"
		" \"deadlines\": [{\"title_ja\": \"速\", \"title_en\": \"P\", \"due\": \"D\", \"days_left\": 3},"
		"  {\"title_ja\": \"確\", \"title_en\": \"F\", \"overdue\": true},"
		"  {\"title_ja\": \"確\", \"title_en\": \"F\", \"met\": true}],"
		" \"done_note\": true, \"done_corrected\": true, \"attachments\": [],"
		" \"timeline\": [{\"at\": \"T\", \"actor\": \"A\", \"is_reported\": true},"
		"  {\"is_note\": true, \"note\": \"n\"}, {\"is_corrected\": true, \"changes\": []},"
		"  {\"kind\": \"k\"}],"
		" \"can_act\": true, \"severities\": [], \"mine\": true,"
		" \"categories\": [{\"key\": \"k\", \"title_ja\": \"種\", \"title_en\": \"Cat\","
		"  \"hint_ja\": \"ヒント\", \"hint_en\": \"Hint\"}],"
		" \"sites\": [{\"code\": \"c\", \"name_ja\": \"本庁舎\", \"name_en\": \"City hall\", \"note_ja\": \"注\"}],"
		" \"systems\": [{\"code\": \"c\", \"name_ja\": \"系\", \"name_en\": \"Sys\"}],"
		" \"incidents\": [{\"ref\": \"r\", \"legal\": true}], \"next_before\": \"x\","
		" \"people\": [{\"login\": \"a\", \"active\": true, \"contractor\": true},"
		"  {\"login\": \"b\", \"active\": false}], \"count\": 2, \"next_after\": \"x\", \"q\": \"\","
		" \"person\": {\"login\": \"a\", \"display_name\": \"A\", \"active\": true,"
		"  \"has_password\": true, \"has_done\": true, \"done_added\": true, \"done_granted\": true,"
		"  \"done_unchanged\": true, \"done_revoked\": true, \"done_password\": true,"
		"  \"done_deactivated\": true, \"done_activated\": true},"
		" \"assignments\": [{\"is_deputy\": true, \"deputy_rank\": 1, \"title_ja\": \"役\","
		"  \"title_en\": \"Role\"}, {\"is_deputy\": false, \"title_ja\": \"役\", \"title_en\": \"Role\"}],"
		" \"roles\": [{\"name\": \"x\", \"title_ja\": \"役\", \"title_en\": \"Role\"}],"
		" \"scopes\": [], \"sections\": [], \"v\": {}, \"kind_contractor\": true,"
		" \"done_conflict\": true, \"done_action\": true,"
		" \"runs\": [{\"id\": 1, \"fence\": 0, \"ref\": \"r\", \"title_ja\": \"報告責任\","
		"  \"title_en\": \"Duty\", \"state_ja\": \"受付\", \"state_en\": \"Received\", \"entered\": \"E\","
		"  \"escalation_level\": 1, \"owner\": {\"role_ja\": \"管理者\", \"names\": \"\"},"
		"  \"guidance_ja\": \"手順\","
		"  \"deadlines\": [{\"title_ja\": \"確認\", \"title_en\": \"Ack\", \"due\": \"D\", \"left\": \"1日\"},"
		"   {\"title_ja\": \"確認\", \"title_en\": \"Ack\", \"due\": \"D\", \"late\": \"2日\", \"overdue\": true}],"
		"  \"actions\": [{\"name\": \"acknowledge\", \"title_ja\": \"受領\", \"title_en\": \"Acknowledge\","
		"   \"fields\": [{\"name\": \"memo\", \"title_ja\": \"メモ\", \"title_en\": \"Memo\","
		"    \"required\": true, \"is_text\": true}]}],"
		"  \"history\": [{\"at\": \"A\", \"to\": \"received\"}]}],"
		" \"defs\": [{\"id\": 1, \"name\": \"reporting-duty\", \"version\": 1, \"sha256\": \"h\","
		"  \"loaded\": \"L\", \"title_ja\": \"報告責任\", \"title_en\": \"Duty\", \"runs\": 2,"
		"  \"open_runs\": 1}]}",
		0, &jerr);
	ck_assert_msg(d != NULL, "%s", jerr.text);
	int en = strcmp(lang, "en") == 0;
	json_object_set_new(d, "lang", json_string(lang));
	json_object_set_new(d, "lang_is_en", json_boolean(en));
	json_object_set(d, "t", i18n_t(cat, lang));
	json_object_set_new(d, "lang_switch", json_pack("{s:s, s:s, s:s}", "href", "/?lang=x", "lang",
							  en ? "ja" : "en", "name", "X"));
	return d;
}

/* A label whose text is empty leaves an empty element behind. */
static void assert_no_empty_main(const char *page, const char *lang, const char *o)
{
	static const char *const empty[] = {"<h1></h1>", "<h2></h2>", "<h3></h3>",
					    "<legend></legend>", "<dt></dt>", "<th scope=\"col\"></th>",
					    "\"></label>", "\"></button>", "<p></p>", NULL};
	for (int i = 0; empty[i]; i++)
		ck_assert_msg(!strstr(o, empty[i]), "%s (%s): empty label: %.80s", page, lang,
			      strstr(o, empty[i]));
}

/* None of the other language's catalog texts (of a few characters or more,
 * and not the same in both languages) is on the page. */
static void assert_no_other_language(const char *page, const char *lang, const char *o,
				     json_t *other)
{
	/* the text between tags (names and ids in attributes are English words) */
	char *text_only = xstrdup(o);
	char *w = text_only;
	for (const char *p = o; *p; p++) {
		if (*p == '<') {
			while (*p && *p != '>')
				p++;
			*w++ = ' ';
			if (!*p)
				break;
		} else {
			*w++ = *p;
		}
	}
	*w = '\0';
	const char *key;
	json_t *e;
	json_object_foreach(other, key, e) {
		const char *text = json_string_value(json_object_get(e, "main"));
		if (!text)
			text = json_string_value(json_object_get(e, "main_before"));
		const char *mine = json_string_value(json_object_get(e, "alt"));
		if (!mine)
			mine = json_string_value(json_object_get(e, "alt_before"));
		if (!text || strlen(text) < 9 || (mine && strcmp(mine, text) == 0))
			continue;
		ck_assert_msg(!strstr(text_only, text), "%s (%s): the other language's t.%s: %s", page,
			      lang, key, text);
	}
	free(text_only);
}

static void render_all(const struct tmpl_set *set, const char *lang, json_t *d, json_t *other)
{
	static const char *const pages[] = {
		"pages/error", "pages/home", "pages/login", "pages/report", "pages/report_filed",
		"pages/incident", "pages/incidents", "pages/dashboard", "admin/people", "admin/person",
		"admin/person_new", "admin/workflows", NULL};
	for (int i = 0; pages[i]; i++) {
		buf out = BUF_INIT;
		ck_assert_msg(tmpl_set_render(set, pages[i], d, &out) == 0, "%s", pages[i]);
		const char *o = buf_cstr(&out);
		char html[32];
		snprintf(html, sizeof html, "<html lang=\"%s\">", lang);
		ck_assert_msg(strstr(o, html), "%s %s", pages[i], lang);
		/* one language: no text marked as the other, none of the other's labels */
		ck_assert_msg(!strstr(o, "<span lang="), "%s (%s): a second language: %s", pages[i],
			      lang, strstr(o, "<span lang="));
		assert_no_other_language(pages[i], lang, o, other);
		assert_no_empty_main(pages[i], lang, o);
		ck_assert_msg(!strstr(o, "{n}"), "%s: placeholder left", pages[i]);
		ck_assert_msg(!strstr(o, "<label for=\"\""), "%s", pages[i]);
		buf_release(&out);
	}
}

/* The text of every <p class="error" ...>...</p> of a page, tags removed,
 * one a line (caller frees). */
static char *error_texts(const struct resp *r)
{
	buf out = BUF_INIT;
	const char *b = buf_cstr(&r->body);
	for (const char *p = strstr(b, "<p class=\"error\""); p; p = strstr(p + 1, "<p class=\"error\"")) {
		const char *s = strchr(p, '>');
		const char *e = s ? strstr(s, "</p>") : NULL;
		if (!e)
			break;
		int in_tag = 0;
		for (const char *q = s + 1; q < e; q++) {
			if (*q == '<')
				in_tag = 1;
			else if (*q == '>')
				in_tag = 0;
			else if (!in_tag)
				buf_append(&out, q, 1);
		}
		buf_append(&out, "\n", 1);
	}
	char *t = xstrdup(buf_cstr(&out));
	buf_release(&out);
	return t;
}

/* Whether s holds two English words in a row ("Write the", "Keep it"): two
 * runs of two or more ASCII letters with one space between. */
static int has_english_words(const char *s)
{
	for (const char *p = s; *p; p++) {
		size_t n = 0;
		while ((p[n] >= 'a' && p[n] <= 'z') || (p[n] >= 'A' && p[n] <= 'Z'))
			n++;
		if (n >= 2 && p[n] == ' ') {
			const char *q = p + n + 1;
			size_t m = 0;
			while ((q[m] >= 'a' && q[m] <= 'z') || (q[m] >= 'A' && q[m] <= 'Z'))
				m++;
			if (m >= 2)
				return 1;
		}
		if (n)
			p += n - 1;
	}
	return 0;
}

/* Whether s holds a Japanese character (kana, kanji, Japanese punctuation:
 * UTF-8 lead bytes E3 to E9). */
static int has_japanese(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p >= 0xE3 && *p <= 0xE9)
			return 1;
	return 0;
}

/* A page refused with form errors shows them in its language only. */
static void errors_in_one_language(const struct resp *r, int english, const char *what,
				   const char *must)
{
	ck_assert_msg(r->status == 422, "%s: status %ld: %.1500s", what, r->status, buf_cstr(&r->body));
	ck_assert(strstr(buf_cstr(&r->body), english ? "<html lang=\"en\">" : "<html lang=\"ja\">"));
	char *t = error_texts(r);
	ck_assert_msg(*t, "%s: no error shown: %.1500s", what, buf_cstr(&r->body));
	if (english)
		ck_assert_msg(!has_japanese(t), "%s: Japanese in the English errors:\n%s", what, t);
	else
		ck_assert_msg(has_japanese(t) && !has_english_words(t),
			      "%s: English in the Japanese errors:\n%s", what, t);
	ck_assert_msg(strstr(t, must), "%s: '%s' not among the errors:\n%s", what, must, t);
	free(t);
}

/* POSTs form (urlencoded, without csrf) to path with the CSRF token of a GET
 * of page, as cookie. */
static void post_with_csrf(const char *page, const char *path, const char *cookie,
			   const char *form, struct resp *r)
{
	char *csrf = client_page_csrf(port, page, cookie);
	char *body = xasprintf("csrf=%s&%s", csrf, form);
	client_request(port, "POST", path, body, cookie, r);
	free(body);
	free(csrf);
}

START_TEST(test_form_errors_one_language)
{
	char *staff = client_sign_in_demo(port, "sakai.haruto");
	char *csirt = client_sign_in_demo(port, "matsuda.kazuya");
	char *admin = client_sign_in_demo(port, "tamura.haruka");
	/* an incident (filed by the staff member) for the CSIRT's note */
	struct resp r;
	char *tok = client_page_csrf(port, "/report", staff);
	const char *report[] = {"csrf", tok, "summary", "USBメモリの紛失", "discovered_at",
				"2026-11-20T09:30", "category", "loss_theft", "site", "honchosha",
				"section", "zeimu", "pd_involved", "no", NULL};
	client_multipart(port, "/report", staff, report, NULL, NULL, 0, &r);
	const char *a = strstr(buf_cstr(&r.headers), "Location: /report/filed/");
	ck_assert_msg(a != NULL, "%ld %.1500s", r.status, buf_cstr(&r.body));
	a += strlen("Location: /report/filed/");
	char *ref = xstrndup(a, strcspn(a, "\r\n"));
	resp_release(&r);
	free(tok);
	char long_summary[260];
	memset(long_summary, 'a', 250);
	long_summary[250] = '\0';
	for (int english = 0; english < 2; english++) {
		const char *lang = english ? "sokuho_lang=en" : "sokuho_lang=ja";
		/* the report form: required fields and a summary too long */
		char *ck = xasprintf("%s; %s", staff, lang);
		char *csrf = client_page_csrf(port, "/report", ck);
		const char *fields[] = {"csrf", csrf, "summary", long_summary, "pd_involved", "maybe",
					NULL};
		client_multipart(port, "/report", ck, fields, NULL, NULL, 0, &r);
		errors_in_one_language(&r, english, "report form",
				       english ? "Keep it within 200 characters (now 250)."
					       : "200文字以内で入力してください（現在250文字）。");
		resp_release(&r);
		free(csrf);
		/* an absence whose last day comes before its first */
		post_with_csrf("/account/absences", "/account/absences", ck,
			       "kind=leave&starts_on=2026-12-10&ends_on=2026-12-01", &r);
		errors_in_one_language(&r, english, "absence",
				       english ? "must not be before the first" : "開始日以降");
		resp_release(&r);
		/* the password policy */
		post_with_csrf("/account/password", "/account/password", ck,
			       "current=" DEMO_PW "&password=short&password2=short", &r);
		errors_in_one_language(&r, english, "password policy",
				       english ? "at least 12 characters" : "12文字以上");
		resp_release(&r);
		free(ck);
		/* a note on the incident page */
		ck = xasprintf("%s; %s", csirt, lang);
		char *page = xasprintf("/incidents/%s", ref);
		char *notes = xasprintf("/incidents/%s/notes", ref);
		post_with_csrf(page, notes, ck, "note=", &r);
		errors_in_one_language(&r, english, "note", english ? "Write the note." : "メモを入力");
		resp_release(&r);
		/* words, not codes: the timeline's kinds and the yes / no answers */
		get(page, ck, NULL, &r);
		ck_assert_int_eq(r.status, 200);
		const char *pb = buf_cstr(&r.body);
		ck_assert_msg(!strstr(pb, "workflow.") && !strstr(pb, "システム / system"), "%.3000s",
			      strstr(pb, "timeline") ? strstr(pb, "timeline") : pb);
		ck_assert_msg(strstr(pb, english ? "workflow started" : "対応の流れを開始"), "%.3000s",
			      strstr(pb, "timeline") ? strstr(pb, "timeline") : pb);
		ck_assert(!strstr(pb, english ? "いいえ" : "<dd>no"));
		resp_release(&r);
		free(notes);
		free(page);
		free(ck);
		/* the admin's people page: a new person with a bad login, no
		 * name, a bad address and a weak password */
		ck = xasprintf("%s; %s", admin, lang);
		post_with_csrf("/admin/people/new", "/admin/people/new", ck,
			       "login=Bad+Login&display_name=&email=nowhere&kind=staff&lang=ja"
			       "&password=aaaaaaaaaaaaaaaa",
			       &r);
		errors_in_one_language(&r, english, "admin people",
				       english ? "one character repeated" : "同じ文字の繰り返し");
		resp_release(&r);
		free(ck);
	}
	free(ref);
	free(admin);
	free(csirt);
	free(staff);
}
END_TEST

START_TEST(test_catalog_covers_every_template)
{
	char err[1024];
	struct i18n *cat = i18n_load(templates_dir(), err, sizeof err);
	ck_assert_msg(cat != NULL, "%s", err);
	ck_assert_uint_gt(i18n_count(cat), 100);
	struct tmpl_set *set = tmpl_set_load(templates_dir(), err, sizeof err);
	ck_assert_msg(set != NULL, "%s", err);
	/* the two `t` objects are built once and shared */
	ck_assert_ptr_eq(i18n_t(cat, "en"), i18n_t(cat, "en"));
	ck_assert_ptr_eq(i18n_t(cat, "xx"), i18n_t(cat, "ja"));
	json_t *en = json_object_get(json_object_get(i18n_t(cat, "en"), "summary"), "main");
	ck_assert_str_eq(json_string_value(en), "Summary");
	json_t *dl = json_object_get(i18n_t(cat, "ja"), "days_left");
	ck_assert_str_eq(json_string_value(json_object_get(dl, "main_before")), "残り");
	ck_assert_str_eq(json_string_value(json_object_get(dl, "alt_after")), " days left");
	for (int l = 0; l < 2; l++) {
		const char *lang = l ? "en" : "ja";
		json_t *d = everything(cat, lang);
		render_all(set, lang, d, i18n_t(cat, l ? "ja" : "en"));
		/* and with every flag off */
		json_t *off = json_pack("{s:s, s:b, s:O, s:O}", "lang", lang, "lang_is_en", l,
					"t", i18n_t(cat, lang), "lang_switch",
					json_object_get(d, "lang_switch"));
		render_all(set, lang, off, i18n_t(cat, l ? "ja" : "en"));
		json_decref(off);
		json_decref(d);
	}
	tmpl_set_free(set);
	i18n_free(cat);
}
END_TEST

/* A templates folder with one page and a catalog; returns the folder. */
static char *tdir_with(const char *page, const char *catalog)
{
	char *dir = ts_tmpdir();
	char *p = xasprintf("%s/pages", dir);
	ck_assert_int_eq(mkdir(p, 0700), 0);
	free(p);
	p = xasprintf("%s/i18n", dir);
	ck_assert_int_eq(mkdir(p, 0700), 0);
	free(p);
	p = xasprintf("%s/pages/home.mustache", dir);
	ts_write_file(p, page);
	free(p);
	if (catalog) {
		p = xasprintf("%s/i18n/labels.json", dir);
		ts_write_file(p, catalog);
		free(p);
	}
	return dir;
}

static void rm_tdir(char *dir)
{
	char *cmd = xasprintf("rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
	free(cmd);
	free(dir);
}

START_TEST(test_catalog_problems_stop_start)
{
	static const struct {
		const char *page, *catalog, *want1, *want2;
	} cases[] = {
		{"<p>\n{{t.ok.main}}\n{{t.missing_key.main}}</p>", "{\"ok\": {\"ja\": \"よし\", \"en\": \"OK\"}}",
		 "'t.missing_key' is not in the catalog", "pages/home.mustache' line 3"},
		{"{{#t.gone}}x{{/t.gone}}", "{\"ok\": {\"ja\": \"よし\", \"en\": \"OK\"}}", "'t.gone'", "line 1"},
		{"{{t.ok.main}}", "{\"ok\": {\"ja\": \"よし\"}}", "label 'ok' has no \"en\" text", NULL},
		{"{{t.ok.main}}", "{\"ok\": {\"ja\": \"\", \"en\": \"OK\"}}", "'ok'", "non-empty"},
		{"{{t.ok.main}}", "{\"ok\": {\"ja\": \"よし\", \"en\": \"OK\", \"fr\": \"D'accord\"}}",
		 "unknown member 'fr'", NULL},
		{"{{t.ok.main}}", "{\"ok\": \"OK\"}", "label 'ok'", NULL},
		{"{{t.ok.main}}", "[1]", "expected an object of labels", NULL},
		{"{{t.ok.main}}", "{\"ok\": {\"ja\": \"よし\",\n \"en\": }}", "labels.json' line 2", NULL},
		{"{{t.ok.main}}", NULL, "labels.json", NULL},
		{"{{t.ok.mian}}", "{\"ok\": {\"ja\": \"よし\", \"en\": \"OK\"}}", "has no field 'mian'", NULL},
		{"{{t.n.main}}", "{\"n\": {\"ja\": \"{n}件\", \"en\": \"{n} items\"}}", "main_before", NULL},
		{"{{t.ok.main_before}}", "{\"ok\": {\"ja\": \"よし\", \"en\": \"OK\"}}", "main_before", NULL},
		{"{{t.n.main_before}}", "{\"n\": {\"ja\": \"{n}件\", \"en\": \"items\"}}", "one {n} or neither", NULL},
		{"{{t.Bad.main}}", "{\"Bad\": {\"ja\": \"よし\", \"en\": \"OK\"}}", "key 'Bad'", NULL},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *dir = tdir_with(cases[i].page, cases[i].catalog);
		char err[1024];
		struct i18n *cat = i18n_load(dir, err, sizeof err);
		ck_assert_msg(cat == NULL, "case %zu loaded", i);
		ck_assert_msg(strstr(err, cases[i].want1) &&
				      (!cases[i].want2 || strstr(err, cases[i].want2)),
			      "case %zu: %s", i, err);
		rm_tdir(dir);
	}
	/* a good one loads; and the server refuses to start on a missing key */
	char *dir = tdir_with("{{t.n.main_before}}1{{t.n.main_after}} {{{t.ok.alt}}}{{& t.ok.alt_lang}}",
			      "{\"ok\": {\"ja\": \"よし\", \"en\": \"OK\"},"
			      " \"n\": {\"ja\": \"{n}件\", \"en\": \"{n} items\"}}");
	char err[1024];
	struct i18n *cat = i18n_load(dir, err, sizeof err);
	ck_assert_msg(cat != NULL, "%s", err);
	ck_assert_uint_eq(i18n_count(cat), 2);
	i18n_free(cat);
	rm_tdir(dir);

	dir = tdir_with("{{t.nowhere.main}}", "{\"ok\": {\"ja\": \"よし\", \"en\": \"OK\"}}");
	char *tdir = xasprintf("--templates_dir=%s", dir);
	char *url = xasprintf("--database_url=%s", db);
	const char *argv[] = {ts_bin(), "serve", "--listen", "127.0.0.1:1", url, tdir, NULL};
	char *out, *serr;
	ck_assert_int_eq(ts_run(argv, NULL, &out, &serr), 1);
	ck_assert_msg(strstr(serr, "'t.nowhere'") && strstr(serr, "home.mustache"), "%s", serr);
	free(out);
	free(serr);
	free(url);
	free(tdir);
	rm_tdir(dir);
}
END_TEST

Suite *i18n_suite(void)
{
	Suite *s = suite_create("i18n");
	TCase *tc = tcase_create("i18n");
	tcase_set_timeout(tc, 120);
	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_query_sets_language_and_cookie);
	tcase_add_test(tc, test_accept_language);
	tcase_add_test(tc, test_bad_values_ignored);
	tcase_add_test(tc, test_person_language);
	tcase_add_test(tc, test_other_pages_and_links);
	tcase_add_test(tc, test_form_errors_one_language);
	tcase_add_test(tc, test_catalog_covers_every_template);
	tcase_add_test(tc, test_catalog_problems_stop_start);
	suite_add_tcase(s, tc);
	return s;
}
