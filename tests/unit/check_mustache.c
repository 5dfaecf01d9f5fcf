/* Unit tests for the Mustache renderer (src/tmpl/mustache.c): the official
 * spec files (core and ~inheritance) when available, plus Sokuho's own cases
 * for error messages, escaping, UTF-8, recursion limits and threads. */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "core/buf.h"
#include "tmpl/mustache.h"

Suite *mustache_suite(void);

/* ---- helpers ---------------------------------------------------------- */

struct pmap {
	size_t n;
	const char *names[32];
	mst_template *t[32];
};

static const mst_template *pmap_get(void *ctx, const char *name)
{
	const struct pmap *m = ctx;
	for (size_t i = 0; i < m->n; i++)
		if (strcmp(m->names[i], name) == 0)
			return m->t[i];
	return NULL;
}

static void pmap_add(struct pmap *m, const char *name, const char *src)
{
	char err[128];
	ck_assert_uint_lt(m->n, 32);
	m->names[m->n] = name;
	m->t[m->n] = mst_compile(src, strlen(src), err, sizeof err);
	ck_assert_msg(m->t[m->n] != NULL, "partial %s: %s", name, err);
	m->n++;
}

static void pmap_free(struct pmap *m)
{
	for (size_t i = 0; i < m->n; i++)
		mst_free(m->t[i]);
	m->n = 0;
}

/* Renders src over the JSON text data; the result is the caller's to free. */
static char *render_str(const char *src, const char *data, struct pmap *pm, int *rc)
{
	char err[128];
	json_error_t jerr;
	json_t *d = json_loads(data, JSON_DECODE_ANY, &jerr);
	ck_assert_msg(d != NULL, "bad test JSON: %s", jerr.text);
	mst_template *t = mst_compile(src, strlen(src), err, sizeof err);
	ck_assert_msg(t != NULL, "compile: %s", err);
	buf out = BUF_INIT;
	int r = mst_render(t, d, pm ? pmap_get : NULL, pm, &out);
	if (rc)
		*rc = r;
	else
		ck_assert_int_eq(r, 0);
	mst_free(t);
	json_decref(d);
	return buf_detach(&out, NULL);
}

static void check_render(const char *src, const char *data, const char *want)
{
	char *got = render_str(src, data, NULL, NULL);
	ck_assert_str_eq(got, want);
	free(got);
}

static void check_error(const char *src, const char *want)
{
	char err[128];
	mst_template *t = mst_compile(src, strlen(src), err, sizeof err);
	ck_assert_msg(t == NULL, "compiled: %s", src);
	ck_assert_str_eq(err, want);
}

/* ---- the spec files --------------------------------------------------- */

/* Shows whitespace so that a failing comparison can be read. */
static void print_visible(const char *label, const char *s, size_t n)
{
	printf("    %s: \"", label);
	for (size_t i = 0; i < n; i++) {
		switch (s[i]) {
		case '\n': fputs("\\n", stdout); break;
		case '\r': fputs("\\r", stdout); break;
		case '\t': fputs("\\t", stdout); break;
		case '"': fputs("\\\"", stdout); break;
		case '\\': fputs("\\\\", stdout); break;
		default: putchar(s[i]); break;
		}
	}
	fputs("\"\n", stdout);
}

static int run_one(const char *file, json_t *test)
{
	const char *name = json_string_value(json_object_get(test, "name"));
	const char *tmpl = json_string_value(json_object_get(test, "template"));
	json_t *exp = json_object_get(test, "expected");
	json_t *partials = json_object_get(test, "partials");
	char err[256];
	struct pmap pm = {0};
	int ok = 0;

	if (!name || !tmpl || !json_is_string(exp)) {
		printf("%s: malformed test\n", file);
		return 0;
	}
	if (json_is_object(partials)) {
		const char *key;
		json_t *val;
		json_object_foreach(partials, key, val) {
			const char *ps = json_string_value(val);
			if (pm.n == 32 || !ps)
				goto out;
			pm.names[pm.n] = key;
			pm.t[pm.n] = mst_compile(ps, json_string_length(val), err, sizeof err);
			if (!pm.t[pm.n]) {
				printf("%s: %s: partial '%s' does not compile: %s\n", file, name, key, err);
				goto out;
			}
			pm.n++;
		}
	}
	mst_template *t = mst_compile(tmpl, strlen(tmpl), err, sizeof err);
	if (!t) {
		printf("%s: %s: template does not compile: %s\n", file, name, err);
		goto out;
	}
	buf got = BUF_INIT;
	int rc = mst_render(t, json_object_get(test, "data"), pmap_get, &pm, &got);
	const char *want = json_string_value(exp);
	size_t wlen = json_string_length(exp);
	ok = rc == 0 && got.len == wlen && memcmp(buf_cstr(&got), want, wlen) == 0;
	if (!ok) {
		printf("%s: %s: FAILED (rc %d)\n", file, name, rc);
		print_visible("expected", want, wlen);
		print_visible("got     ", buf_cstr(&got), got.len);
	}
	buf_release(&got);
	mst_free(t);
out:
	pmap_free(&pm);
	return ok;
}

/* Runs one spec file; returns -1 if it cannot be read. */
static int run_file(const char *dir, const char *file, int *passed, int *total)
{
	char path[4096];
	json_error_t jerr;
	snprintf(path, sizeof path, "%s/%s", dir, file);
	json_t *root = json_load_file(path, 0, &jerr);
	json_t *tests = json_object_get(root, "tests");
	if (!json_is_array(tests)) {
		printf("mustache spec: cannot read %s: %s\n", path, root ? "no tests" : jerr.text);
		json_decref(root);
		return -1;
	}
	size_t i;
	json_t *test;
	json_array_foreach(tests, i, test) {
		(*total)++;
		*passed += run_one(file, test);
	}
	json_decref(root);
	return 0;
}

START_TEST(test_spec)
{
	static const char *core[] = {
		"comments.json", "delimiters.json", "interpolation.json",
		"inverted.json", "partials.json", "sections.json",
	};
	const char *dir = getenv("MUSTACHE_SPEC_DIR");
	struct stat st;
	if (!dir || !*dir)
		dir = "../shared/mustache-spec";
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		printf("mustache spec: directory not found, skipped\n");
		fflush(stdout);
		return;
	}
	int cpass = 0, ctotal = 0, ipass = 0, itotal = 0, unreadable = 0;
	for (size_t i = 0; i < sizeof core / sizeof core[0]; i++)
		if (run_file(dir, core[i], &cpass, &ctotal))
			unreadable++;
	if (run_file(dir, "~inheritance.json", &ipass, &itotal))
		unreadable++;
	printf("mustache spec: %d/%d core tests passed, %d/%d inheritance tests passed\n",
	       cpass, ctotal, ipass, itotal);
	fflush(stdout);
	ck_assert_msg(unreadable == 0, "%d spec files could not be read", unreadable);
	ck_assert_msg(cpass == ctotal && ipass == itotal, "mustache spec failures");
}
END_TEST

/* ---- Sokuho's own cases ----------------------------------------------- */

START_TEST(test_syntax_errors)
{
	check_error("{{#items}}\nabc\n", "line 1: unclosed section 'items'");
	check_error("a\nb\n{{#items}}\n{{name}}\n", "line 3: unclosed section 'items'");
	check_error("{{#a}}\n{{/b}}\n", "line 2: mismatched closing tag 'b' (expected 'a')");
	check_error("{{#a}}{{#b}}\n\n{{/a}}", "line 3: mismatched closing tag 'a' (expected 'b')");
	check_error("x\n\ny {{name\nz", "line 3: unclosed tag");
	check_error("one {{title\ntwo}} three", "line 1: unclosed tag");
	check_error("{{{raw}}", "line 1: unclosed tag");
	check_error("{{!\ncomment\n}}\n{{/a}}", "line 4: closing tag 'a' without an open section");
	check_error("{{=<% =}}", "line 1: bad set-delimiter tag");
	check_error("{{= a b c =}}", "line 1: bad set-delimiter tag");
	check_error("{{<layout}}\n{{$body}}x{{/body}}\n", "line 1: unclosed parent 'layout'");
	check_error("{{$body}}x", "line 1: unclosed block 'body'");
	check_error("{{a b}}", "line 1: bad tag name 'a b'");
	check_error("{{a..b}}", "line 1: bad tag name 'a..b'");
	check_error("{{ }}", "line 1: tag without a name");
	/* delimiters changed before the error are honoured */
	check_error("{{=<% %>=}}\n<%#a%>\n{{/a}}", "line 2: unclosed section 'a'");

	/* a small err buffer is truncated, never overrun; none at all is fine */
	char small[8];
	memset(small, 'x', sizeof small);
	ck_assert_ptr_null(mst_compile("{{#a}}", 6, small, sizeof small));
	ck_assert_str_eq(small, "line 1:");
	ck_assert_ptr_null(mst_compile("{{#a}}", 6, NULL, 0));

	char deep[4 * 101 * 8];
	deep[0] = '\0';
	for (int i = 0; i <= MST_MAX_NESTING; i++)
		strcat(deep, "{{#a}}");
	char err[128];
	ck_assert_ptr_null(mst_compile(deep, strlen(deep), err, sizeof err));
	ck_assert_str_eq(err, "line 1: sections nested too deeply (limit 100)");
}
END_TEST

START_TEST(test_escaping)
{
	check_render("{{x}}", "{\"x\": \"<a href=\\\"/i?a=1&b='2'\\\">\"}",
		     "&lt;a href=&quot;/i?a=1&amp;b=&#39;2&#39;&quot;&gt;");
	check_render("{{{x}}}|{{&x}}|{{& x}}", "{\"x\": \"<b>\\\"'&'\\\"</b>\"}",
		     "<b>\"'&'\"</b>|<b>\"'&'\"</b>|<b>\"'&'\"</b>");
	/* text of the template itself is never escaped */
	check_render("<p class=\"a\">&amp;</p>", "{}", "<p class=\"a\">&amp;</p>");
}
END_TEST

START_TEST(test_utf8)
{
	check_render("件名: {{title}}（{{重要度}}）\n{{#担当者}}・{{名前}}\n{{/担当者}}",
		     "{\"title\": \"不正アクセスの検知 <緊急>\", \"重要度\": \"高\","
		     " \"担当者\": [{\"名前\": \"佐藤\"}, {\"名前\": \"鈴木\"}]}",
		     "件名: 不正アクセスの検知 &lt;緊急&gt;（高）\n・佐藤\n・鈴木\n");
	check_render("{{{.}}}", "\"🚨 障害報告\"", "🚨 障害報告");
}
END_TEST

START_TEST(test_values)
{
	check_render("{{i}} {{r}} {{big}} {{t}} {{f}} [{{n}}] [{{o}}] [{{a}}]",
		     "{\"i\": -42, \"r\": 0.1, \"big\": 1e21, \"t\": true, \"f\": false,"
		     " \"n\": null, \"o\": {\"k\": 1}, \"a\": [1]}",
		     "-42 0.1 1e+21 true false [] [] []");
	/* the spec's !!data: "", 0 and 0.0 are falsey, {} is truthy */
	check_render("{{#s}}s{{/s}}{{#z}}z{{/z}}{{#zr}}zr{{/zr}}{{#o}}o{{/o}}{{^s}}!s{{/s}}{{^z}}!z{{/z}}",
		     "{\"s\": \"\", \"z\": 0, \"zr\": 0.0, \"o\": {}}", "o!s!z");
	/* lists iterate over every item, falsey ones included */
	check_render("{{#l}}({{.}}){{/l}}", "{\"l\": [0, null, false, \"\"]}", "(0)()(false)()");
	check_render("{{#a.b}}{{c}}{{/a.b}}", "{\"a\": {\"b\": {\"c\": \"deep\"}}}", "deep");

	/* no data and no partials callback */
	mst_template *t = mst_compile("[{{x}}{{>p}}{{<q}}{{/q}}{{.}}]", 30, NULL, 0);
	ck_assert_ptr_nonnull(t);
	buf out = BUF_INIT;
	ck_assert_int_eq(mst_render(t, NULL, NULL, NULL, &out), 0);
	ck_assert_str_eq(buf_cstr(&out), "[]");
	/* rendering appends and is repeatable */
	ck_assert_int_eq(mst_render(t, NULL, NULL, NULL, &out), 0);
	ck_assert_str_eq(buf_cstr(&out), "[][]");
	buf_release(&out);
	mst_free(t);
	mst_free(NULL);
}
END_TEST

START_TEST(test_inheritance_layout)
{
	/* the way Sokuho pages use it: a layout with blocks, indented content */
	struct pmap pm = {0};
	pmap_add(&pm, "layout",
		 "<html>\n"
		 "<title>{{$title}}Sokuho{{/title}}</title>\n"
		 "<body>\n"
		 "  {{$body}}\n"
		 "  <p>empty</p>\n"
		 "  {{/body}}\n"
		 "</body>\n");
	pmap_add(&pm, "row", "<li>{{id}}: {{title}}</li>\n");
	char *got = render_str(
		"{{<layout}}\n"
		"{{$title}}Incidents{{/title}}\n"
		"{{$body}}\n"
		"<ul>\n"
		"  {{#items}}\n"
		"  {{>row}}\n"
		"  {{/items}}\n"
		"</ul>\n"
		"{{/body}}\n"
		"{{/layout}}\n",
		"{\"items\": [{\"id\": 1, \"title\": \"a & b\"}, {\"id\": 2, \"title\": \"c\"}]}", &pm, NULL);
	ck_assert_str_eq(got,
			 "<html>\n"
			 "<title>Incidents</title>\n"
			 "<body>\n"
			 "  <ul>\n"
			 "    <li>1: a &amp; b</li>\n"
			 "    <li>2: c</li>\n"
			 "  </ul>\n"
			 "</body>\n");
	free(got);
	pmap_free(&pm);
}
END_TEST

START_TEST(test_recursion_limit)
{
	struct pmap pm = {0};
	int rc = 0;
	pmap_add(&pm, "loop", "x{{>loop}}");
	pmap_add(&pm, "loopline", "  {{>loopline}}\n");
	pmap_add(&pm, "me", "{{<me}}{{/me}}");
	pmap_add(&pm, "p", "{{$a}}{{/a}}");

	char *got = render_str("{{>loop}}", "{}", &pm, &rc);
	ck_assert_int_eq(rc, -1);
	ck_assert_uint_eq(strlen(got), MST_MAX_PARTIAL_DEPTH);
	free(got);
	got = render_str("{{>loopline}}", "{}", &pm, &rc);
	ck_assert_int_eq(rc, -1);
	free(got);
	got = render_str("{{<me}}{{/me}}", "{}", &pm, &rc);
	ck_assert_int_eq(rc, -1);
	free(got);
	/* a block whose override contains itself */
	got = render_str("{{<p}}{{$a}}a{{$a}}{{/a}}{{/a}}{{/p}}", "{}", &pm, &rc);
	ck_assert_int_eq(rc, -1);
	free(got);
	/* data-driven recursion below the limit is fine (leaves need their own
	 * empty "kids", or the parent's would be found up the context stack) */
	pmap_add(&pm, "node", "{{name}}{{#kids}}({{>node}}){{/kids}}");
	got = render_str("{{>node}}", "{\"name\": \"a\", \"kids\": [{\"name\": \"b\", \"kids\":"
			 " [{\"name\": \"c\", \"kids\": []}]}, {\"name\": \"d\", \"kids\": []}]}", &pm, &rc);
	ck_assert_int_eq(rc, 0);
	ck_assert_str_eq(got, "a(b(c))(d)");
	free(got);
	pmap_free(&pm);
}
END_TEST

struct thread_arg {
	const mst_template *t;
	const json_t *data;
	struct pmap *pm;
	const char *want;
	int bad;
};

static void *render_many(void *p)
{
	struct thread_arg *a = p;
	buf out = BUF_INIT;
	for (int i = 0; i < 200; i++) {
		buf_reset(&out);
		if (mst_render(a->t, a->data, pmap_get, a->pm, &out) != 0
		    || strcmp(buf_cstr(&out), a->want) != 0)
			a->bad++;
	}
	buf_release(&out);
	return NULL;
}

START_TEST(test_threads)
{
	struct pmap pm = {0};
	pmap_add(&pm, "item", "  <li>{{.}}</li>\n");
	const char *src = "<ul>\n{{#items}}\n  {{>item}}\n{{/items}}\n</ul>\n";
	mst_template *t = mst_compile(src, strlen(src), NULL, 0);
	ck_assert_ptr_nonnull(t);
	json_t *data = json_loads("{\"items\": [\"一\", \"<二>\", 3]}", 0, NULL);
	ck_assert_ptr_nonnull(data);
	struct thread_arg args[4];
	pthread_t th[4];
	for (int i = 0; i < 4; i++) {
		args[i] = (struct thread_arg){t, data, &pm,
			"<ul>\n    <li>一</li>\n    <li>&lt;二&gt;</li>\n    <li>3</li>\n</ul>\n", 0};
		ck_assert_int_eq(pthread_create(&th[i], NULL, render_many, &args[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		ck_assert_int_eq(args[i].bad, 0);
	}
	json_decref(data);
	mst_free(t);
	pmap_free(&pm);
}
END_TEST

Suite *mustache_suite(void)
{
	Suite *s = suite_create("mustache");
	TCase *tc = tcase_create("spec");
	tcase_add_test(tc, test_spec);
	suite_add_tcase(s, tc);
	tc = tcase_create("core");
	tcase_add_test(tc, test_syntax_errors);
	tcase_add_test(tc, test_escaping);
	tcase_add_test(tc, test_utf8);
	tcase_add_test(tc, test_values);
	tcase_add_test(tc, test_inheritance_layout);
	tcase_add_test(tc, test_recursion_limit);
	tcase_add_test(tc, test_threads);
	suite_add_tcase(s, tc);
	return s;
}
