/* The label catalog (see i18n.h): loading and checking labels.json, checking
 * the templates' uses of it, the two per-language `t` objects, and the
 * language helpers of request handling. */
#include "i18n.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "core/buf.h"
#include "core/file.h"
#include "core/log.h"
#include "core/xalloc.h"

#define PLACEHOLDER "{n}"
#define TMPL_EXT ".mustache"

enum { LANG_JA, LANG_EN };

struct i18n {
	json_t *t[2];   /* indexed by LANG_JA, LANG_EN */
	json_t *named;  /* keys whose texts hold named placeholders (-> true) */
	size_t nkeys;
};

static const char *const lang_names[2] = {"ja", "en"};

const char *i18n_lang_code(const char *s)
{
	if (!s)
		return NULL;
	if (strcmp(s, "ja") == 0)
		return "ja";
	if (strcmp(s, "en") == 0)
		return "en";
	return NULL;
}

static int key_ok(const char *k)
{
	if (!*k)
		return 0;
	for (const char *p = k; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_'))
			return 0;
	return 1;
}

static size_t count_placeholders(const char *s)
{
	size_t n = 0;
	for (const char *p = strstr(s, PLACEHOLDER); p; p = strstr(p + 1, PLACEHOLDER))
		n++;
	return n;
}

/* The named placeholders of s ("{max}", "{now}": lower-case letters, digits
 * and '_' in braces, other than "{n}"), sorted and joined by ',' into out;
 * 0, or -1 when out is too small. */
static int named_placeholders(const char *s, char *out, size_t outlen)
{
	json_t *names = json_array();
	for (const char *p = strchr(s, '{'); p; p = strchr(p + 1, '{')) {
		const char *q = p + 1;
		while ((*q >= 'a' && *q <= 'z') || (*q >= '0' && *q <= '9') || *q == '_')
			q++;
		if (*q != '}' || q == p + 1 || (q == p + 2 && p[1] == 'n'))
			continue;
		json_t *nm = json_stringn(p + 1, (size_t)(q - p - 1));
		size_t i = 0;
		while (i < json_array_size(names) &&
		       strcmp(json_string_value(json_array_get(names, i)), json_string_value(nm)) < 0)
			i++;
		if (i < json_array_size(names) &&
		    strcmp(json_string_value(json_array_get(names, i)), json_string_value(nm)) == 0)
			json_decref(nm);
		else
			json_array_insert_new(names, i, nm);
	}
	buf b = BUF_INIT;
	size_t i;
	json_t *v;
	json_array_foreach(names, i, v) {
		if (i)
			buf_append(&b, ",", 1);
		buf_append(&b, json_string_value(v), json_string_length(v));
	}
	json_decref(names);
	int rc = b.len < outlen ? 0 : -1;
	snprintf(out, outlen, "%s", buf_cstr(&b));
	buf_release(&b);
	return rc;
}

/* Sets NAME_before and NAME_after of entry from text split at "{n}". */
static void set_parts(json_t *entry, const char *name, const char *text)
{
	const char *p = strstr(text, PLACEHOLDER);
	char key[32];
	snprintf(key, sizeof key, "%s_before", name);
	json_object_set_new(entry, key, json_stringn(text, (size_t)(p - text)));
	snprintf(key, sizeof key, "%s_after", name);
	json_object_set_new(entry, key, json_string(p + strlen(PLACEHOLDER)));
}

/* Checks one catalog entry and adds it to both `t` objects. */
static int add_entry(struct i18n *c, const char *path, const char *key, json_t *v, char *err,
		     size_t errlen)
{
	if (!key_ok(key)) {
		snprintf(err, errlen,
			 "label catalog '%s': key '%s': keys are lower-case letters, digits and _",
			 path, key);
		return -1;
	}
	if (!json_is_object(v)) {
		snprintf(err, errlen,
			 "label catalog '%s': label '%s': expected {\"ja\": \"...\", \"en\": \"...\"}",
			 path, key);
		return -1;
	}
	const char *member;
	json_t *mv;
	json_object_foreach(v, member, mv) {
		if (!i18n_lang_code(member)) {
			snprintf(err, errlen,
				 "label catalog '%s': label '%s': unknown member '%s' (a label has "
				 "only \"ja\" and \"en\")",
				 path, key, member);
			return -1;
		}
	}
	const char *text[2];
	for (int l = 0; l < 2; l++) {
		json_t *s = json_object_get(v, lang_names[l]);
		if (!s) {
			snprintf(err, errlen, "label catalog '%s': label '%s' has no \"%s\" text",
				 path, key, lang_names[l]);
			return -1;
		}
		if (!json_is_string(s) || json_string_length(s) == 0) {
			snprintf(err, errlen,
				 "label catalog '%s': label '%s': \"%s\" must be a non-empty string",
				 path, key, lang_names[l]);
			return -1;
		}
		text[l] = json_string_value(s);
	}
	size_t n0 = count_placeholders(text[0]), n1 = count_placeholders(text[1]);
	if (n0 > 1 || n1 > 1 || n0 != n1) {
		snprintf(err, errlen,
			 "label catalog '%s': label '%s': \"ja\" and \"en\" must both hold one "
			 PLACEHOLDER " or neither",
			 path, key);
		return -1;
	}
	char names[2][256];
	if (named_placeholders(text[0], names[0], sizeof names[0]) < 0 ||
	    named_placeholders(text[1], names[1], sizeof names[1]) < 0 ||
	    strcmp(names[0], names[1]) != 0) {
		snprintf(err, errlen,
			 "label catalog '%s': label '%s': \"ja\" and \"en\" must hold the same "
			 "named placeholders ({max} ...): ja has {%s}, en has {%s}",
			 path, key, names[0], names[1]);
		return -1;
	}
	if (names[0][0])
		json_object_set_new(c->named, key, json_true());
	for (int l = 0; l < 2; l++) {
		int o = 1 - l;
		json_t *e = json_pack("{s:s, s:s, s:s}", "main", text[l], "alt", text[o],
				      "alt_lang", lang_names[o]);
		if (n0) {
			set_parts(e, "main", text[l]);
			set_parts(e, "alt", text[o]);
		}
		json_object_set_new(c->t[l], key, e);
	}
	c->nkeys++;
	return 0;
}

/* The fields a template may take of t.KEY. */
static int field_ok(const char *f, size_t n, int placeholder)
{
	static const char *const plain[] = {"main", "alt", "alt_lang", NULL};
	static const char *const parts[] = {"main_before", "main_after", "alt_before", "alt_after",
					    "alt_lang", NULL};
	for (const char *const *p = placeholder ? parts : plain; *p; p++)
		if (strlen(*p) == n && memcmp(*p, f, n) == 0)
			return 1;
	return 0;
}

static int is_name_end(char ch)
{
	return ch == '}' || ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n' || ch == '\0';
}

/* Checks the uses of t.KEY in one template's source; marks keys used. */
static int scan_template(const struct i18n *c, json_t *used, const char *name, const char *s,
			 size_t len, char *err, size_t errlen)
{
	const json_t *t = c->t[LANG_JA];
	int line = 1;
	for (size_t i = 0; i + 1 < len; i++) {
		if (s[i] == '\n') {
			line++;
			continue;
		}
		if (s[i] != '{' || s[i + 1] != '{')
			continue;
		size_t j = i + 2;
		while (j < len && (s[j] == '{' || s[j] == '&' || s[j] == '#' || s[j] == '^' ||
				   s[j] == '/'))
			j++;
		while (j < len && (s[j] == ' ' || s[j] == '\t'))
			j++;
		if (!(j + 1 < len && s[j] == 't' && s[j + 1] == '.')) {
			i = j - 1;
			continue;
		}
		size_t k0 = j + 2, k = k0;
		while (k < len && s[k] != '.' && !is_name_end(s[k]))
			k++;
		char key[128];
		snprintf(key, sizeof key, "%.*s", (int)(k - k0), s + k0);
		const json_t *entry = json_object_get(t, key);
		if (!entry) {
			snprintf(err, errlen,
				 "template '%s' line %d: label 't.%s' is not in the catalog "
				 I18N_CATALOG,
				 name, line, key);
			return -1;
		}
		if (json_object_get(c->named, key)) {
			snprintf(err, errlen,
				 "template '%s' line %d: label 't.%s' holds named placeholders "
				 "({max} ...): it is a message for C code (i18n_render), not for "
				 "templates",
				 name, line, key);
			return -1;
		}
		json_object_set_new(used, key, json_true());
		size_t f = k;
		if (k < len && s[k] == '.') {
			size_t f0 = k + 1;
			f = f0;
			while (f < len && !is_name_end(s[f]))
				f++;
			int ph = json_object_get(entry, "main_before") != NULL;
			if (!field_ok(s + f0, f - f0, ph)) {
				snprintf(err, errlen,
					 "template '%s' line %d: label 't.%s' has no field '%.*s' "
					 "(%s)",
					 name, line, key, (int)(f - f0), s + f0,
					 ph ? "its texts hold " PLACEHOLDER ": use main_before, "
					      "main_after, alt_before, alt_after, alt_lang"
					    : "use main, alt or alt_lang");
				return -1;
			}
		}
		i = f - 1;
	}
	return 0;
}


/* Scans every *.mustache under root/rel (in name order). */
static int scan_dir(const struct i18n *c, json_t *used, const char *root, const char *rel,
		    char *err, size_t errlen)
{
	char *path = rel[0] ? xasprintf("%s/%s", root, rel) : xstrdup(root);
	struct dirent **list = NULL;
	int n = scandir(path, &list, NULL, alphasort);
	if (n < 0) {
		snprintf(err, errlen, "unable to open templates folder '%s': %s", path,
			 strerror(errno));
		free(path);
		return -1;
	}
	int rc = 0;
	for (int i = 0; i < n; i++) {
		const char *dn = list[i]->d_name;
		if (rc == 0 && dn[0] != '.') {
			char *sub = rel[0] ? xasprintf("%s/%s", rel, dn) : xstrdup(dn);
			char *full = xasprintf("%s/%s", root, sub);
			struct stat st;
			size_t sl = strlen(sub), el = strlen(TMPL_EXT);
			if (stat(full, &st) == 0 && S_ISDIR(st.st_mode)) {
				rc = scan_dir(c, used, root, sub, err, errlen);
			} else if (sl > el && strcmp(sub + sl - el, TMPL_EXT) == 0) {
				buf src = BUF_INIT;
				if (file_read_all(full, 0, &src) != FILE_OK) {
					snprintf(err, errlen, "unable to read template '%s': %s", full,
						 strerror(errno));
					rc = -1;
				} else {
					rc = scan_template(c, used, sub, buf_cstr(&src), src.len, err,
							   errlen);
				}
				buf_release(&src);
			}
			free(full);
			free(sub);
		}
		free(list[i]);
	}
	free(list);
	free(path);
	return rc;
}

/* Reads I18N_FROM_C (the keys C code uses: one a line; blank lines and lines
 * starting with '#' are skipped) into used; a key not in the catalog is an
 * error. A line KEY_PREFIX* names every key starting with KEY_PREFIX (a key
 * the code completes at run time, "role_err_scope_*"). A missing file names
 * no key. */
static int read_from_c(const struct i18n *c, json_t *used, const char *templates_dir, char *err,
		       size_t errlen)
{
	char *path = xasprintf("%s/" I18N_FROM_C, templates_dir);
	buf src = BUF_INIT;
	int rc = 0;
	int st = file_read_all(path, 0, &src);
	if (st == FILE_OK) {
		int line = 0;
		for (char *p = src.data; rc == 0 && p && *p;) {
			char *nl = strchr(p, '\n');
			if (nl)
				*nl = '\0';
			line++;
			size_t n = strlen(p);
			while (n && (p[n - 1] == ' ' || p[n - 1] == '\t' || p[n - 1] == '\r'))
				p[--n] = '\0';
			if (n && p[0] != '#' && p[n - 1] == '*') {
				/* a prefix the code completes at run time */
				int any = 0;
				const char *k;
				json_t *v;
				json_object_foreach(c->t[LANG_JA], k, v) {
					if (strncmp(k, p, n - 1) == 0) {
						json_object_set_new(used, k, json_true());
						any = 1;
					}
				}
				if (!any) {
					snprintf(err, errlen,
						 "'%s' line %d: no key of the catalog " I18N_CATALOG
						 " starts with '%.*s'",
						 path, line, (int)n - 1, p);
					rc = -1;
				}
			} else if (n && p[0] != '#') {
				if (!json_object_get(c->t[LANG_JA], p)) {
					snprintf(err, errlen,
						 "'%s' line %d: '%s' is not in the catalog " I18N_CATALOG,
						 path, line, p);
					rc = -1;
				} else {
					json_object_set_new(used, p, json_true());
				}
			}
			p = nl ? nl + 1 : NULL;
		}
	} else if (errno != ENOENT) {
		snprintf(err, errlen, "unable to read '%s': %s", path, strerror(errno));
		rc = -1;
	}
	buf_release(&src);
	free(path);
	return rc;
}

struct i18n *i18n_load(const char *templates_dir, char *err, size_t errlen)
{
	char *path = xasprintf("%s/" I18N_CATALOG, templates_dir);
	struct i18n *c = xcalloc(1, sizeof *c);
	c->t[LANG_JA] = json_object();
	c->t[LANG_EN] = json_object();
	c->named = json_object();
	json_t *used = json_object();
	json_error_t jerr;
	json_t *cat = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
	int rc = -1;
	if (!cat) {
		if (jerr.line <= 0)
			snprintf(err, errlen, "label catalog '%s': %s", path, jerr.text);
		else
			snprintf(err, errlen, "label catalog '%s' line %d: %s", path, jerr.line,
				 jerr.text);
		goto out;
	}
	if (!json_is_object(cat)) {
		snprintf(err, errlen,
			 "label catalog '%s': expected an object of labels "
			 "{\"key\": {\"ja\": \"...\", \"en\": \"...\"}, ...}",
			 path);
		goto out;
	}
	const char *key;
	json_t *v;
	json_object_foreach(cat, key, v) {
		if (add_entry(c, path, key, v, err, errlen) < 0)
			goto out;
	}
	if (scan_dir(c, used, templates_dir, "", err, errlen) < 0)
		goto out;
	if (read_from_c(c, used, templates_dir, err, errlen) < 0)
		goto out;
	json_object_foreach(cat, key, v) {
		if (!json_object_get(used, key))
			log_event(LOG_WARN, "label_unused", "key=%s catalog=%s", log_quote(0, key),
				  log_quote(1, path));
	}
	rc = 0;
out:
	json_decref(cat);
	json_decref(used);
	free(path);
	if (rc < 0) {
		i18n_free(c);
		return NULL;
	}
	return c;
}

void i18n_free(struct i18n *c)
{
	if (!c)
		return;
	json_decref(c->t[LANG_JA]);
	json_decref(c->t[LANG_EN]);
	json_decref(c->named);
	free(c);
}

json_t *i18n_t(const struct i18n *c, const char *lang)
{
	if (!c)
		return NULL;
	return c->t[lang && strcmp(lang, "en") == 0 ? LANG_EN : LANG_JA];
}

json_t *i18n_fill(const struct i18n *c, const char *lang, const char *key, const char *value)
{
	const json_t *e = json_object_get(i18n_t(c, lang), key);
	const char *before = json_string_value(json_object_get(e, "main_before"));
	const char *after = json_string_value(json_object_get(e, "main_after"));
	if (!before || !after)
		return json_string(key);
	return json_sprintf("%s%s%s", before, value, after);
}

/* Appends text to b with each "{NAME}" whose NAME is in args replaced by
 * its value (a string, an integer in decimal, or an object {"ja", "en"}
 * whose text in lang is taken). */
static void substitute(buf *b, const char *text, const json_t *args, const char *lang)
{
	const char *p = text;
	while (*p) {
		const char *q = p[0] == '{' ? strchr(p, '}') : NULL;
		json_t *v = NULL;
		if (q && q - p - 1 > 0 && q - p - 1 < 64) {
			char name[64];
			snprintf(name, sizeof name, "%.*s", (int)(q - p - 1), p + 1);
			v = json_object_get(args, name);
			if (json_is_object(v))
				v = json_object_get(v, lang_names[lang && strcmp(lang, "en") == 0 ? LANG_EN
												   : LANG_JA]);
		}
		if (v && json_is_string(v)) {
			buf_append(b, json_string_value(v), json_string_length(v));
			p = q + 1;
		} else if (v && json_is_integer(v)) {
			char num[32];
			int n = snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
			buf_append(b, num, (size_t)n);
			p = q + 1;
		} else {
			buf_append(b, p, 1);
			p++;
		}
	}
}

const char *i18n_msg_key(const json_t *msg)
{
	if (json_is_string(msg))
		return json_string_value(msg);
	return json_string_value(json_object_get(msg, "key"));
}

json_t *i18n_render(const struct i18n *c, const char *lang, const json_t *msg)
{
	const char *key = i18n_msg_key(msg);
	if (!key)
		return json_string("");
	const json_t *e = json_object_get(i18n_t(c, lang), key);
	const char *text = json_string_value(json_object_get(e, "main"));
	if (!text)
		return json_string(key);
	buf b = BUF_INIT;
	substitute(&b, text, json_object_get(msg, "args"), lang);
	json_t *out = json_stringn(b.data ? b.data : "", b.len);
	buf_release(&b);
	return out;
}

void i18n_render_all(const struct i18n *c, const char *lang, json_t *msgs)
{
	const char *k;
	json_t *v;
	void *tmp;
	json_object_foreach_safe(msgs, tmp, k, v)
		json_object_set_new(msgs, k, i18n_render(c, lang, v));
}

int i18n_has(const struct i18n *c, const char *key)
{
	return c && key && json_object_get(c->t[LANG_JA], key) != NULL;
}

size_t i18n_count(const struct i18n *c)
{
	return c ? c->nkeys : 0;
}

/* Parses the q parameter of one Accept-Language item ("q=0.8"); 1 when
 * absent, -1 when malformed. */
static double item_q(const char *params, const char *end)
{
	double q = 1.0;
	const char *p = params;
	while (p < end) {
		while (p < end && (*p == ';' || *p == ' ' || *p == '\t'))
			p++;
		const char *pe = p;
		while (pe < end && *pe != ';')
			pe++;
		if (pe - p >= 2 && (p[0] == 'q' || p[0] == 'Q') && p[1] == '=') {
			char num[16];
			size_t n = (size_t)(pe - p - 2);
			if (n == 0 || n >= sizeof num)
				return -1;
			memcpy(num, p + 2, n);
			num[n] = '\0';
			while (n && (num[n - 1] == ' ' || num[n - 1] == '\t'))
				num[--n] = '\0';
			char *e;
			q = strtod(num, &e);
			if (e == num || *e || q < 0 || q > 1)
				return -1;
		}
		p = pe;
	}
	return q;
}

const char *i18n_accept_language(const char *header)
{
	double best[2] = {0, 0};
	const char *p = header;
	while (p && *p) {
		const char *item = p;
		while (*p && *p != ',')
			p++;
		const char *end = p;
		if (*p == ',')
			p++;
		while (item < end && (*item == ' ' || *item == '\t'))
			item++;
		const char *tag_end = item;
		while (tag_end < end && *tag_end != ';' && *tag_end != ' ' && *tag_end != '\t')
			tag_end++;
		size_t primary = 0;
		while (item + primary < tag_end && item[primary] != '-')
			primary++;
		int lang = -1;
		if (primary == 2 && strncasecmp(item, "ja", 2) == 0)
			lang = LANG_JA;
		else if (primary == 2 && strncasecmp(item, "en", 2) == 0)
			lang = LANG_EN;
		if (lang < 0)
			continue;
		double q = item_q(tag_end, end);
		if (q > best[lang])
			best[lang] = q;
	}
	return best[LANG_EN] > best[LANG_JA] ? "en" : "ja";
}
