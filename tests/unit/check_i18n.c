/* i18n: the keys C code uses (tmpl/i18n.h's "Messages"). Every string
 * literal of src/ named like a message key — AREA_err_WHAT or msg_WHAT, or
 * such a prefix completed at run time ("role_err_scope_%s", "msg_x_%d") — is in the
 * catalog templates/i18n/labels.json (which i18n_load checks has a "ja" and
 * an "en" text for each), and templates/i18n/from-c.txt lists exactly those
 * keys and prefixes, so that the unused-label check knows them. Run from the
 * repository's top folder. */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/buf.h"
#include "core/file.h"
#include "core/xalloc.h"
#include "tmpl/i18n.h"

Suite *i18n_suite(void);

/* A message key's shape: lower-case letters, digits, '_'; "_err_" inside or
 * "msg_" first. */
static int key_like(const char *s, size_t n)
{
	if (n < 5)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return 0;
	if (strncmp(s, "msg_", 4) == 0)
		return 1;
	for (size_t i = 1; i + 5 < n; i++)
		if (memcmp(s + i, "_err_", 5) == 0)
			return 1;
	return 0;
}

/* Adds the message keys among the string literals of one C source to keys
 * (key -> file name); comments and character constants are skipped. */
static void scan_source(const char *path, const char *s, size_t len, json_t *keys)
{
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '/' && i + 1 < len && s[i + 1] == '*') {
			const char *e = strstr(s + i + 2, "*/");
			i = e ? (size_t)(e - s) + 1 : len;
		} else if (s[i] == '/' && i + 1 < len && s[i + 1] == '/') {
			while (i < len && s[i] != '\n')
				i++;
		} else if (s[i] == '\'') {
			for (i++; i < len && s[i] != '\''; i++)
				if (s[i] == '\\')
					i++;
		} else if (s[i] == '"') {
			size_t j = i + 1;
			while (j < len && s[j] != '"') {
				if (s[j] == '\\')
					j++;
				j++;
			}
			size_t n = j - i - 1;
			const char *lit = s + i + 1;
			if (n > 2 && (memcmp(lit + n - 2, "%s", 2) == 0 || memcmp(lit + n - 2, "%d", 2) == 0) &&
			    key_like(lit, n - 2)) {
				char *k = xasprintf("%.*s*", (int)(n - 2), lit);
				json_object_set_new(keys, k, json_string(path));
				free(k);
			} else if (key_like(lit, n)) {
				char *k = xstrndup(lit, n);
				json_object_set_new(keys, k, json_string(path));
				free(k);
			}
			i = j;
		}
	}
}

static void scan_tree(const char *dir, json_t *keys)
{
	struct dirent **list = NULL;
	int n = scandir(dir, &list, NULL, alphasort);
	ck_assert_msg(n >= 0, "cannot read %s (run from the repository's top folder)", dir);
	for (int i = 0; i < n; i++) {
		const char *dn = list[i]->d_name;
		if (dn[0] != '.') {
			char *full = xasprintf("%s/%s", dir, dn);
			struct stat st;
			size_t l = strlen(dn);
			if (stat(full, &st) == 0 && S_ISDIR(st.st_mode)) {
				scan_tree(full, keys);
			} else if (l > 2 && strcmp(dn + l - 2, ".c") == 0) {
				buf src = BUF_INIT;
				ck_assert_int_eq(file_read_all(full, 0, &src), FILE_OK);
				scan_source(full, buf_cstr(&src), src.len, keys);
				buf_release(&src);
			}
			free(full);
		}
		free(list[i]);
	}
	free(list);
}

START_TEST(test_c_keys_in_catalog)
{
	char err[512] = "";
	struct i18n *cat = i18n_load("templates", err, sizeof err);
	ck_assert_msg(cat, "%s", err);
	json_t *keys = json_object();
	scan_tree("src", keys);
	ck_assert_msg(json_object_size(keys) > 50, "only %zu keys found in src/",
		      json_object_size(keys));
	json_t *ja = i18n_t(cat, "ja"), *en = i18n_t(cat, "en");
	const char *k;
	json_t *v;
	json_object_foreach(keys, k, v) {
		size_t n = strlen(k);
		if (k[n - 1] == '*') {
			int any = 0;
			const char *ck;
			json_t *cv;
			json_object_foreach(ja, ck, cv)
				any |= strncmp(ck, k, n - 1) == 0;
			ck_assert_msg(any, "%s: no catalog key starts with %.*s", json_string_value(v),
				      (int)n - 1, k);
			continue;
		}
		ck_assert_msg(i18n_has(cat, k), "%s uses the key %s, which %s lacks",
			      json_string_value(v), k, "templates/" I18N_CATALOG);
		ck_assert(json_object_get(json_object_get(ja, k), "main") ||
			  json_object_get(json_object_get(ja, k), "main_before"));
		ck_assert(json_object_get(json_object_get(en, k), "main") ||
			  json_object_get(json_object_get(en, k), "main_before"));
	}
	/* from-c.txt lists exactly these */
	buf list = BUF_INIT;
	ck_assert_int_eq(file_read_all("templates/" I18N_FROM_C, 0, &list), FILE_OK);
	json_t *listed = json_object();
	int line = 0;
	for (char *p = list.data; p && *p;) {
		char *nl = strchr(p, '\n');
		if (nl)
			*nl = '\0';
		line++;
		if (*p && *p != '#') {
			ck_assert_msg(!json_object_get(listed, p), "from-c.txt line %d: %s twice", line, p);
			ck_assert_msg(json_object_get(keys, p),
				      "templates/" I18N_FROM_C " line %d lists %s, which no C source "
				      "of src/ names: remove the line",
				      line, p);
			json_object_set_new(listed, p, json_true());
		}
		p = nl ? nl + 1 : NULL;
	}
	json_object_foreach(keys, k, v)
		ck_assert_msg(json_object_get(listed, k),
			      "%s uses the key %s: add it to templates/" I18N_FROM_C,
			      json_string_value(v), k);
	buf_release(&list);
	json_decref(listed);
	json_decref(keys);
	i18n_free(cat);
}
END_TEST

/* A message renders with its arguments in the page language. */
START_TEST(test_render)
{
	char err[512] = "";
	struct i18n *cat = i18n_load("templates", err, sizeof err);
	ck_assert_msg(cat, "%s", err);
	json_t *m = json_pack("{s:s, s:{s:i, s:i}}", "key", "report_err_too_long", "args", "max",
			      200, "now", 250);
	json_t *ja = i18n_render(cat, "ja", m), *en = i18n_render(cat, "en", m);
	ck_assert_str_eq(json_string_value(ja), "200文字以内で入力してください（現在250文字）。");
	ck_assert_str_eq(json_string_value(en), "Keep it within 200 characters (now 250).");
	json_decref(ja);
	json_decref(en);
	json_decref(m);
	m = json_string("report_err_summary");
	en = i18n_render(cat, "en", m);
	ck_assert_str_eq(json_string_value(en), "Say in one line what happened.");
	json_decref(en);
	json_decref(m);
	/* an argument with a text in each language */
	m = json_pack("{s:s, s:{s:{s:s, s:s}}}", "key", "action_err_required", "args", "field", "ja",
		      "原因", "en", "the cause");
	ja = i18n_render(cat, "ja", m);
	en = i18n_render(cat, "en", m);
	ck_assert_str_eq(json_string_value(ja), "「原因」を入力してください。");
	ck_assert_str_eq(json_string_value(en), "Enter the cause.");
	json_decref(ja);
	json_decref(en);
	json_decref(m);
	/* a text already rendered stays as it is */
	m = json_string("何か");
	ja = i18n_render(cat, "ja", m);
	ck_assert_str_eq(json_string_value(ja), "何か");
	json_decref(ja);
	json_decref(m);
	i18n_free(cat);
}
END_TEST

Suite *i18n_suite(void)
{
	Suite *s = suite_create("i18n");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_c_keys_in_catalog);
	tcase_add_test(tc, test_render);
	suite_add_tcase(s, tc);
	return s;
}
