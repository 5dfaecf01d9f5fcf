/* mail templates: every notification template under templates/mail/ (read
 * from the repository root, the working directory of the tests) exists in
 * Japanese and English, has the "Subject: ..." header line and an empty line,
 * compiles, and renders over sample data to a clean plain-text mail; and every
 * template a workflow file names (the .json files in workflows/) is there. */
#include <check.h>
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/buf.h"
#include "tmpl/mustache.h"

Suite *mail_templates_suite(void);

#define MAIL_DIR "templates/mail"
#define WORKFLOW_DIR "workflows"
#define EXT ".mustache"
#define MAX_COLUMNS 72 /* fixed text lines; 2 columns per CJK character */

static const char *const langs[] = {"ja", "en"};

/* The templates docs/workflows.md lists, plus the CISO's daily digest and the
 * mails sent outside the workflows. */
static const char *const expected[] = {
	"reported",          "severe_incident",   "reminder",         "escalated",
	"acknowledged",      "reported_to_chief", "reported_to_ciso", "reporting_done",
	"triage_needed",     "containment",       "recovery",         "closed",
	"not_an_incident",   "deadline_reminder", "deadline_overdue", "legal_report_required",
	"legal_report_done", "daily_digest",      "role_granted",     "password_changed",
	"outside_reported",  "mail_report_received",
};

/* Templates sent while someone is expected to acknowledge: they must offer
 * the one-click link when ack_url is given. */
static const char *const with_ack[] = {"reported", "severe_incident", "reminder", "escalated"};

#define REF "INC-2026-0042"
#define URL "https://sokuho.example.city.lg.jp/incidents/INC-2026-0042"
#define ACK_URL "https://sokuho.example.city.lg.jp/ack/Zm9vYmFyLTEyMzQ1Njc4OTA"
#define BASE_URL "https://sokuho.example.city.lg.jp/"
#define SUMMARY "庁内PCから不審な通信 <A&B> \"x\" 'y'"
#define NAME "山田 太郎"

/* Every value a template may use (all strings, as the mail code passes them). */
static const char full_data[] =
	"{\"recipient_name\": \"" NAME "\", \"ref\": \"" REF "\","
	" \"summary\": \"庁内PCから不審な通信 <A&B> \\\"x\\\" 'y'\","
	" \"url\": \"" URL "\", \"workflow\": \"ppc-leak-report\","
	" \"workflow_ja\": \"個人情報の漏えい等の報告（個人情報保護委員会）\","
	" \"workflow_en\": \"Personal data breach report to the PPC\","
	" \"state\": \"preliminary_report\", \"state_ja\": \"速報の作成・提出\","
	" \"state_en\": \"Preliminary report to the PPC\", \"site_ja\": \"市役所本庁舎\","
	" \"section_ja\": \"市民課\", \"category_ja\": \"情報漏えい\","
	" \"category_en\": \"Data leak\", \"reported_at\": \"2026-04-01 09:12\","
	" \"reporter_name\": \"佐藤 花子\", \"ack_url\": \"" ACK_URL "\", \"level\": \"2\","
	" \"due\": \"2026-04-04 09:00\", \"deadline_ja\": \"速報（個人情報保護委員会）\","
	" \"deadline_en\": \"PPC preliminary report\", \"overdue\": true,"
	" \"base_url\": \"" BASE_URL "\"}";

/* The least a mail can be rendered with: every other value may be missing
 * (an anonymous report has no reporter, an older run no English titles). */
static const char min_data[] =
	"{\"recipient_name\": \"" NAME "\", \"ref\": \"" REF "\","
	" \"summary\": \"不審メール\", \"url\": \"" URL "\"}";

/* The notice of a sensitive role granted (sql/0022): no incident. */
#define GRANTEE "和田 友美"
static const char grant_data[] =
	"{\"recipient_name\": \"" NAME "\", \"grantee_name\": \"" GRANTEE "\","
	" \"grantee_login\": \"wada.tomomi\", \"role_ja\": \"監査担当\", \"role_en\": \"Auditor\","
	" \"scope\": \"city\", \"deputy_rank\": \"0\", \"valid_from\": \"2026-04-01\","
	" \"valid_to\": \"2027-03-31\", \"granted_by\": \"田村 遥\", \"base_url\": \"" BASE_URL "\"}";
static const char grant_min[] =
	"{\"recipient_name\": \"" NAME "\", \"grantee_name\": \"" GRANTEE "\","
	" \"grantee_login\": \"wada.tomomi\", \"role_ja\": \"監査担当\", \"role_en\": \"Auditor\","
	" \"scope\": \"city\", \"deputy_rank\": \"0\", \"valid_from\": \"2026-04-01\"}";

/* The notice of one's own password changed (src/web/account.c). */
static const char password_data[] =
	"{\"recipient_name\": \"" NAME "\", \"login\": \"yamada.taro\","
	" \"changed_at\": \"2026-04-01 09:12\", \"base_url\": \"" BASE_URL "\"}";
static const char password_min[] =
	"{\"recipient_name\": \"" NAME "\", \"login\": \"yamada.taro\","
	" \"changed_at\": \"2026-04-01 09:12\"}";

/* The audit log's newest checkpoint as the digest carries it (issue 17). */
#define CHECKPOINT                                                                          \
	"sokuho-checkpoint v1 place=1234 hash="                                            \
	"06bf356e714b98d28486f51bc11709dfd0b1c1a8a6fefa86c57e0fab83f77156 "                 \
	"at=2026-04-02T00:00:03Z key=83b593b76afb694b sig=mK/txTd3NpexkuTJ8eD3asMm3IbSYaFE/" \
	"QHRpVvLP3z7bNglsETzRXNRjBMP+BE8cTNzjESCGLbcWYIr0hhYDA=="

static const char digest_data[] =
	"{\"recipient_name\": \"" NAME "\", \"date\": \"2026-04-02\", \"open_count\": \"2\","
	" \"overdue_count\": \"1\", \"base_url\": \"" BASE_URL "\", \"items\": ["
	"  {\"ref\": \"" REF "\", \"summary\": \"庁内PCから不審な通信 <A&B>\","
	"   \"state_ja\": \"トリアージ\", \"state_en\": \"Triage\", \"due\": \"2026-04-03 09:00\","
	"   \"url\": \"" URL "\"},"
	"  {\"ref\": \"INC-2026-0043\", \"summary\": \"USBメモリの紛失\","
	"   \"state_ja\": \"封じ込め\", \"state_en\": \"Containment\","
	"   \"url\": \"https://sokuho.example.city.lg.jp/incidents/INC-2026-0043\"}],"
	" \"deadlines\": ["
	"  {\"ref\": \"" REF "\", \"deadline_ja\": \"速報（個人情報保護委員会）\","
	"   \"deadline_en\": \"PPC preliminary report\", \"due\": \"2026-04-04 09:00\","
	"   \"days_left\": \"2\"}], \"checkpoint\": \"" CHECKPOINT "\"}";

static const char digest_empty[] =
	"{\"recipient_name\": \"" NAME "\", \"date\": \"2026-04-02\", \"open_count\": \"0\","
	" \"overdue_count\": \"0\", \"items\": [], \"deadlines\": []}";

/* ---- helpers ---------------------------------------------------------- */

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	buf b = BUF_INIT;
	char tmp[8192];
	size_t n;
	while ((n = fread(tmp, 1, sizeof tmp, f)) > 0)
		buf_append(&b, tmp, n);
	fclose(f);
	return buf_detach(&b, NULL);
}

static char *tmpl_path(const char *name, const char *lang)
{
	buf b = BUF_INIT;
	buf_printf(&b, MAIL_DIR "/%s.%s" EXT, name, lang);
	return buf_detach(&b, NULL);
}

static char *load_src(const char *name, const char *lang)
{
	char *path = tmpl_path(name, lang);
	char *src = slurp(path);
	ck_assert_msg(src != NULL, "%s is missing", path);
	free(path);
	return src;
}

static int valid_name(const char *s, size_t n)
{
	if (n == 0 || s[0] < 'a' || s[0] > 'z')
		return 0;
	for (size_t i = 1; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return 0;
	return 1;
}

/* The templates in MAIL_DIR: an object NAME -> bit 1 ja, bit 2 en. Fails on a
 * file there that is not NAME.ja.mustache or NAME.en.mustache. */
static json_t *scan_mail_dir(void)
{
	DIR *d = opendir(MAIL_DIR);
	ck_assert_msg(d != NULL, "cannot open " MAIL_DIR " (run from the repository root)");
	json_t *names = json_object();
	struct dirent *de;
	while ((de = readdir(d))) {
		const char *fn = de->d_name;
		if (fn[0] == '.')
			continue;
		size_t len = strlen(fn), el = strlen(EXT);
		ck_assert_msg(len > el + 3 && strcmp(fn + len - el, EXT) == 0,
			      MAIL_DIR "/%s: expected NAME.ja" EXT " or NAME.en" EXT, fn);
		const char *lang = fn + len - el - 2;
		ck_assert_msg(lang[-1] == '.' && (strncmp(lang, "ja", 2) == 0 ||
						  strncmp(lang, "en", 2) == 0),
			      MAIL_DIR "/%s: the language must be ja or en", fn);
		size_t nl = (size_t)(lang - 1 - fn);
		ck_assert_msg(valid_name(fn, nl), MAIL_DIR "/%s: a template name is [a-z][a-z0-9_]*",
			      fn);
		char name[128];
		ck_assert_uint_lt(nl, sizeof name);
		memcpy(name, fn, nl);
		name[nl] = '\0';
		json_int_t bits = json_integer_value(json_object_get(names, name));
		bits |= strncmp(lang, "ja", 2) == 0 ? 1 : 2;
		json_object_set_new(names, name, json_integer(bits));
	}
	closedir(d);
	return names;
}

static int has_file(const char *name, const char *lang)
{
	char *path = tmpl_path(name, lang);
	FILE *f = fopen(path, "rb");
	free(path);
	if (f)
		fclose(f);
	return f != NULL;
}

static json_t *parse(const char *text)
{
	json_error_t e;
	json_t *j = json_loads(text, 0, &e);
	ck_assert_msg(j != NULL, "bad test JSON: %s (line %d)", e.text, e.line);
	return j;
}

/* Renders name.lang over the JSON text data; the caller frees the result. */
static char *render(const char *name, const char *lang, const json_t *data)
{
	char *src = load_src(name, lang);
	char err[256] = "";
	mst_template *t = mst_compile(src, strlen(src), err, sizeof err);
	ck_assert_msg(t != NULL, "%s.%s: %s", name, lang, err);
	buf out = BUF_INIT;
	int rc = mst_render(t, data, NULL, NULL, &out);
	ck_assert_msg(rc == 0, "%s.%s: render failed", name, lang);
	mst_free(t);
	free(src);
	return buf_detach(&out, NULL);
}

/* Checks the shape of a rendered mail; returns the offset of the body. */
static size_t check_mail_shape(const char *name, const char *lang, const char *out)
{
	ck_assert_msg(strncmp(out, "Subject: ", 9) == 0, "%s.%s: does not start with 'Subject: '",
		      name, lang);
	const char *nl = strchr(out, '\n');
	ck_assert_msg(nl != NULL, "%s.%s: no line after the subject", name, lang);
	int blank = 1;
	for (const char *p = out + 9; p < nl; p++)
		if (*p != ' ' && *p != '\t')
			blank = 0;
	ck_assert_msg(!blank, "%s.%s: the rendered subject is empty", name, lang);
	ck_assert_msg(nl[1] == '\n', "%s.%s: the subject is not one line followed by an empty line",
		      name, lang);
	ck_assert_msg(strchr(out, '\r') == NULL, "%s.%s: carriage return in the mail", name, lang);
	const char *body = nl + 2;
	ck_assert_msg(*body != '\0' && *body != '\n', "%s.%s: empty body or two empty lines",
		      name, lang);
	ck_assert_msg(strstr(out, "{{") == NULL && strstr(out, "}}") == NULL,
		      "%s.%s: leftover mustache braces in:\n%s", name, lang, out);
	ck_assert_msg(strstr(body, "\n\n\n") == NULL, "%s.%s: two empty lines in a row in:\n%s",
		      name, lang, out);
	size_t len = strlen(out);
	ck_assert_msg(out[len - 1] == '\n' && out[len - 2] != '\n',
		      "%s.%s: the mail must end with exactly one newline", name, lang);
	for (const char *p = out; *p; p++)
		if (*p == '\n' && p > out && (p[-1] == ' ' || p[-1] == '\t'))
			ck_abort_msg("%s.%s: trailing whitespace in:\n%s", name, lang, out);
	return (size_t)(body - out);
}

static int has_line(const char *text, const char *line, size_t n)
{
	for (const char *p = text; *p;) {
		const char *e = strchr(p, '\n');
		size_t l = e ? (size_t)(e - p) : strlen(p);
		if (l == n && memcmp(p, line, n) == 0)
			return 1;
		if (!e)
			break;
		p = e + 1;
	}
	return 0;
}

/* Display columns of a line: CJK characters (3- and 4-byte UTF-8) count 2. */
static size_t columns(const char *s, size_t n)
{
	size_t c = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char b = (unsigned char)s[i];
		if ((b & 0xC0) == 0x80)
			continue;
		c += b >= 0xE0 ? 2 : 1;
	}
	return c;
}

/* ---- files ------------------------------------------------------------ */

START_TEST(test_every_template_has_both_languages)
{
	json_t *names = scan_mail_dir();
	ck_assert_uint_gt(json_object_size(names), 0);
	const char *name;
	json_t *v;
	json_object_foreach(names, name, v)
	{
		json_int_t bits = json_integer_value(v);
		ck_assert_msg(bits & 1, "%s.en" EXT " has no %s.ja" EXT, name, name);
		ck_assert_msg(bits & 2, "%s.ja" EXT " has no %s.en" EXT, name, name);
	}
	json_decref(names);
}
END_TEST

START_TEST(test_documented_templates_exist)
{
	for (size_t i = 0; i < sizeof expected / sizeof *expected; i++)
		for (int l = 0; l < 2; l++)
			ck_assert_msg(has_file(expected[i], langs[l]), MAIL_DIR "/%s.%s" EXT " is missing",
				      expected[i], langs[l]);
}
END_TEST

/* Collects the string value of every "template" member anywhere in j. */
static void collect_templates(const json_t *j, json_t *into)
{
	if (json_is_object(j)) {
		const char *k;
		json_t *v;
		json_object_foreach((json_t *)(uintptr_t)j, k, v)
		{
			if (strcmp(k, "template") == 0 && json_is_string(v))
				json_object_set_new(into, json_string_value(v), json_true());
			else
				collect_templates(v, into);
		}
	} else if (json_is_array(j)) {
		for (size_t i = 0; i < json_array_size(j); i++)
			collect_templates(json_array_get(j, i), into);
	}
}

START_TEST(test_workflow_templates_exist)
{
	DIR *d = opendir(WORKFLOW_DIR);
	ck_assert_msg(d != NULL, "cannot open " WORKFLOW_DIR);
	json_t *used = json_object();
	int files = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name);
		if (de->d_name[0] == '.' || len < 6 || strcmp(de->d_name + len - 5, ".json") != 0)
			continue;
		buf path = BUF_INIT;
		buf_printf(&path, WORKFLOW_DIR "/%s", de->d_name);
		json_error_t e;
		json_t *j = json_load_file(buf_cstr(&path), 0, &e);
		ck_assert_msg(j != NULL, "%s: %s", buf_cstr(&path), e.text);
		collect_templates(j, used);
		json_decref(j);
		buf_release(&path);
		files++;
	}
	closedir(d);
	ck_assert_int_gt(files, 0);
	ck_assert_uint_ge(json_object_size(used), 10); /* the scan found the workflows' uses */
	const char *name;
	json_t *v;
	json_object_foreach(used, name, v)
	{
		for (int l = 0; l < 2; l++)
			ck_assert_msg(has_file(name, langs[l]),
				      "a workflow uses template '%s' but " MAIL_DIR "/%s.%s" EXT
				      " is missing",
				      name, name, langs[l]);
	}
	json_decref(used);
}
END_TEST

START_TEST(test_header_and_source)
{
	json_t *names = scan_mail_dir();
	const char *name;
	json_t *v;
	json_object_foreach(names, name, v)
	{
		for (int l = 0; l < 2; l++) {
			const char *lang = langs[l];
			char *src = load_src(name, lang);
			ck_assert_msg(strncmp(src, "Subject: ", 9) == 0,
				      "%s.%s: the first line must start with 'Subject: '", name, lang);
			const char *nl = strchr(src, '\n');
			ck_assert_msg(nl != NULL && nl > src + 9 && src[9] != ' ',
				      "%s.%s: empty subject", name, lang);
			ck_assert_msg(nl[1] == '\n', "%s.%s: the subject line must be followed by an "
				      "empty line", name, lang);
			ck_assert_msg(nl[2] != '\0', "%s.%s: no body", name, lang);
			/* plain text: no HTML-escaping {{x}}, no partials, no t.KEY labels */
			for (const char *p = strstr(src, "{{"); p; p = strstr(p + 2, "{{")) {
				char sig = p[2];
				ck_assert_msg(strchr("{&#^/!", sig) != NULL,
					      "%s.%s: '%.20s': use {{{x}}} or {{&x}} in plain-text mail",
					      name, lang, p);
				const char *k = p + 3;
				while (*k == '{' || *k == ' ')
					k++;
				ck_assert_msg(strncmp(k, "t.", 2) != 0,
					      "%s.%s: '%.20s': no t.KEY labels in mail templates", name,
					      lang, p);
			}
			/* fixed text stays narrow enough for a mail reader */
			int line = 1;
			for (const char *p = src; *p; line++) {
				const char *e = strchr(p, '\n');
				size_t n = e ? (size_t)(e - p) : strlen(p);
				if (line > 1 && !memmem(p, n, "{{", 2))
					ck_assert_msg(columns(p, n) <= MAX_COLUMNS,
						      "%s.%s line %d: %zu columns (at most %d): %.*s",
						      name, lang, line, columns(p, n), MAX_COLUMNS,
						      (int)n, p);
				if (!e)
					break;
				p = e + 1;
			}
			free(src);
		}
	}
	json_decref(names);
}
END_TEST

/* ---- rendering -------------------------------------------------------- */

START_TEST(test_render_full_data)
{
	json_t *names = scan_mail_dir();
	json_t *incident = parse(full_data), *digest = parse(digest_data), *grant = parse(grant_data);
	json_t *password = parse(password_data);
	const char *name;
	json_t *v;
	json_object_foreach(names, name, v)
	{
		int is_digest = strcmp(name, "daily_digest") == 0;
		int is_grant = strcmp(name, "role_granted") == 0;
		int is_password = strcmp(name, "password_changed") == 0;
		for (int l = 0; l < 2; l++) {
			const char *lang = langs[l];
			char *out = render(name, lang,
					   is_digest     ? digest
					   : is_grant    ? grant
					   : is_password ? password
							 : incident);
			size_t b = check_mail_shape(name, lang, out);
			const char *body = out + b;
			char *subject = strndup(out, b);
			int no_incident = is_grant || is_password;
			ck_assert_msg(no_incident || strstr(body, REF) != NULL,
				      "%s.%s: the body lacks the ref", name, lang);
			ck_assert_msg(no_incident || strstr(body, URL) != NULL,
				      "%s.%s: the body lacks the url", name, lang);
			ck_assert_msg(strstr(body, NAME) != NULL,
				      "%s.%s: the body does not address the recipient", name, lang);
			ck_assert_msg(strstr(body, BASE_URL "\n") != NULL,
				      "%s.%s: the footer lacks base_url", name, lang);
			ck_assert_msg(strstr(body, "Sokuho") != NULL, "%s.%s: the footer lacks Sokuho",
				      name, lang);
			if (l == 0) {
				ck_assert_msg(strstr(body, NAME " 様") || strstr(body, NAME "様"),
					      "%s.ja: no 「〇〇様」", name);
				ck_assert_msg(strstr(body, "返信") != NULL,
					      "%s.ja: no do-not-reply line", name);
			} else {
				ck_assert_msg(strstr(body, "reply") != NULL,
					      "%s.en: no do-not-reply line", name);
			}
			if (is_password) {
				ck_assert_msg(strstr(subject, "yamada.taro") &&
						      strstr(body, "2026-04-01 09:12"),
					      "%s.%s: the notice lacks the login or the time", name,
					      lang);
			} else if (is_grant) {
				ck_assert_msg(strstr(subject, GRANTEE) != NULL &&
						      strstr(subject, l ? "Auditor" : "監査担当"),
					      "%s.%s: the subject lacks who and which role", name, lang);
				ck_assert_msg(strstr(body, "wada.tomomi") && strstr(body, "2027-03-31") &&
						      strstr(body, "田村 遥"),
					      "%s.%s: the grant is not described", name, lang);
			} else if (is_digest) {
				ck_assert_msg(strstr(subject, "2026-04-02") != NULL,
					      "%s.%s: the subject lacks the date", name, lang);
				ck_assert_msg(strstr(body, "INC-2026-0043") != NULL &&
						      strstr(body, "incidents/INC-2026-0043") != NULL,
					      "%s.%s: not every item is listed", name, lang);
				ck_assert_msg(strstr(body, "2026-04-04 09:00") != NULL,
					      "%s.%s: the deadlines are not listed", name, lang);
			} else {
				ck_assert_msg(strstr(subject, REF) != NULL,
					      "%s.%s: the subject lacks the ref", name, lang);
				ck_assert_msg(strstr(body, SUMMARY) != NULL,
					      "%s.%s: the summary is missing or HTML-escaped", name,
					      lang);
			}
			free(subject);
			free(out);
		}
	}
	json_decref(incident);
	json_decref(digest);
	json_decref(grant);
	json_decref(password);
	json_decref(names);
}
END_TEST

/* With only the values every mail has, no label is left dangling. */
START_TEST(test_render_minimal_data)
{
	json_t *names = scan_mail_dir();
	json_t *incident = parse(min_data), *digest = parse(digest_empty), *grant = parse(grant_min);
	json_t *password = parse(password_min);
	static const char *const empty_marks[] = {"（）", "()", "「」", "\"\"", "“”", "\n 様\n", "Dear ,",
						  "  \n"};
	const char *name;
	json_t *v;
	json_object_foreach(names, name, v)
	{
		int is_digest = strcmp(name, "daily_digest") == 0;
		int is_grant = strcmp(name, "role_granted") == 0;
		int is_password = strcmp(name, "password_changed") == 0;
		for (int l = 0; l < 2; l++) {
			const char *lang = langs[l];
			char *out = render(name, lang,
					   is_digest     ? digest
					   : is_grant    ? grant
					   : is_password ? password
							 : incident);
			check_mail_shape(name, lang, out);
			if (!is_digest && !is_grant && !is_password) {
				ck_assert_msg(strstr(out, REF) && strstr(out, URL),
					      "%s.%s: ref or url missing", name, lang);
			}
			for (size_t i = 0; i < sizeof empty_marks / sizeof *empty_marks; i++)
				ck_assert_msg(strstr(out, empty_marks[i]) == NULL,
					      "%s.%s: an empty value shows as '%s' in:\n%s", name, lang,
					      empty_marks[i], out);
			/* a label with nothing after it */
			for (const char *p = strchr(out, '\n'); p; p = strchr(p + 1, '\n')) {
				int bad = (p - out >= 1 && p[-1] == ':') ||
					  (p - out >= 3 && memcmp(p - 3, "：", 3) == 0);
				if (bad)
					ck_assert_msg(p[1] != '\n' && p[1] != '\0' && p[1] != '-',
						      "%s.%s: a label without a value in:\n%s", name,
						      lang, out);
			}
			free(out);
		}
	}
	json_decref(incident);
	json_decref(digest);
	json_decref(grant);
	json_decref(password);
	json_decref(names);
}
END_TEST

/* The one-click sentence appears with ack_url and leaves no trace without. */
START_TEST(test_ack_url_optional)
{
	json_t *names = scan_mail_dir();
	json_t *with = parse(full_data);
	json_t *without = json_deep_copy(with);
	json_object_del(without, "ack_url");
	const char *name;
	json_t *v;
	json_object_foreach(names, name, v)
	{
		if (strcmp(name, "daily_digest") == 0 || strcmp(name, "role_granted") == 0 ||
		    strcmp(name, "password_changed") == 0)
			continue;
		int must = 0;
		for (size_t i = 0; i < sizeof with_ack / sizeof *with_ack; i++)
			must |= strcmp(with_ack[i], name) == 0;
		for (int l = 0; l < 2; l++) {
			const char *lang = langs[l];
			char *src = load_src(name, lang);
			int uses = strstr(src, "ack_url") != NULL;
			free(src);
			ck_assert_msg(uses || !must, "%s.%s: no one-click acknowledge link (ack_url)",
				      name, lang);
			char *a = render(name, lang, with), *b = render(name, lang, without);
			check_mail_shape(name, lang, b);
			ck_assert_msg(strstr(b, ACK_URL) == NULL, "%s.%s", name, lang);
			if (!uses) {
				ck_assert_str_eq(a, b);
			} else {
				const char *hit = strstr(a, ACK_URL);
				ck_assert_msg(hit != NULL, "%s.%s: ack_url given but not shown", name,
					      lang);
				/* the paragraph holding the link: none of its lines may remain */
				const char *p0 = hit, *p1 = hit;
				while (p0 > a && !(p0[-1] == '\n' && (p0 - 1 == a || p0[-2] == '\n')))
					p0--;
				while (*p1 && !(p1[0] == '\n' && p1[1] == '\n'))
					p1++;
				for (const char *p = p0; p < p1;) {
					const char *e = memchr(p, '\n', (size_t)(p1 - p));
					size_t n = e ? (size_t)(e - p) : (size_t)(p1 - p);
					ck_assert_msg(!has_line(b, p, n),
						      "%s.%s: without ack_url the line '%.*s' remains",
						      name, lang, (int)n, p);
					if (!e)
						break;
					p = e + 1;
				}
				/* and the rest of the mail is unchanged */
				size_t plen = (size_t)(p1 - p0) + (*p1 ? 2 : 0);
				buf rest = BUF_INIT;
				buf_append(&rest, a, (size_t)(p0 - a));
				buf_puts(&rest, p0 + plen);
				ck_assert_msg(strcmp(buf_cstr(&rest), b) == 0,
					      "%s.%s: removing ack_url changes more than its paragraph",
					      name, lang);
				buf_release(&rest);
			}
			free(a);
			free(b);
		}
	}
	json_decref(with);
	json_decref(without);
	json_decref(names);
}
END_TEST

/* The checkpoint line comes out whole, on a line of its own, to be kept
 * and given to sokuho audit verify --checkpoint; none without one. */
START_TEST(test_digest_checkpoint)
{
	json_t *d = parse(digest_data), *e = parse(digest_empty);
	for (int l = 0; l < 2; l++) {
		char *out = render("daily_digest", langs[l], d);
		ck_assert_msg(has_line(out, CHECKPOINT, strlen(CHECKPOINT)),
			      "daily_digest.%s: no checkpoint line in:\n%s", langs[l], out);
		free(out);
		out = render("daily_digest", langs[l], e);
		ck_assert_msg(!strstr(out, "sokuho-checkpoint") && !strstr(out, "sokuho audit"),
			      "daily_digest.%s: a checkpoint paragraph without one", langs[l]);
		free(out);
	}
	json_decref(d);
	json_decref(e);
}
END_TEST

START_TEST(test_digest_empty_lists)
{
	json_t *d = parse(digest_empty);
	for (int l = 0; l < 2; l++) {
		char *out = render("daily_digest", langs[l], d);
		check_mail_shape("daily_digest", langs[l], out);
		ck_assert_msg(strstr(out, "INC-") == NULL, "daily_digest.%s: lists phantom items",
			      langs[l]);
		free(out);
	}
	json_decref(d);
}
END_TEST

Suite *mail_templates_suite(void)
{
	Suite *s = suite_create("mail_templates");
	TCase *tc = tcase_create("templates/mail");
	tcase_add_test(tc, test_every_template_has_both_languages);
	tcase_add_test(tc, test_documented_templates_exist);
	tcase_add_test(tc, test_workflow_templates_exist);
	tcase_add_test(tc, test_header_and_source);
	tcase_add_test(tc, test_render_full_data);
	tcase_add_test(tc, test_render_minimal_data);
	tcase_add_test(tc, test_ack_url_optional);
	tcase_add_test(tc, test_digest_empty_lists);
	tcase_add_test(tc, test_digest_checkpoint);
	suite_add_tcase(s, tc);
	return s;
}
