/* Strict JSON checking shared by the workflow and legal-clock loaders (see
 * jcheck.h): path-naming errors and getters for the shapes both use. */
#include "jcheck.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>


int jc_fail(struct jc *c, const char *path, const char *fmt, ...)
{
	int n = snprintf(c->err, c->errlen, "%s: %s: ", c->file, path);
	if (n >= 0 && (size_t)n < c->errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(c->err + n, c->errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -1;
}

const char *jc_subpath(char *p, const char *path, const char *fmt, ...)
{
	int n = snprintf(p, JC_PATH_LEN, "%s", path);
	if (n >= 0 && n < JC_PATH_LEN) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(p + n, JC_PATH_LEN - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return p;
}

const char *jc_type_name(const json_t *j, int whole)
{
	if (!j)
		return "nothing";
	if (json_is_object(j))
		return "an object";
	if (json_is_array(j))
		return "an array";
	if (json_is_string(j))
		return "a string";
	if (whole && json_is_integer(j))
		return "a whole number";
	if (json_is_number(j))
		return "a number";
	if (json_is_boolean(j))
		return "a boolean";
	return "null";
}

json_t *jc_unconst(const json_t *j)
{
	return (json_t *)(uintptr_t)j;
}

void jc_join_list(char *out, size_t n, const char *const *list, size_t count)
{
	size_t len = 0;
	out[0] = '\0';
	for (size_t i = 0; i < count && list[i]; i++) {
		int last = i + 1 == count || !list[i + 1];
		int w = snprintf(out + len, n - len, "%s%s", i == 0 ? "" : last ? " or " : ", ",
				 list[i]);
		if (w < 0 || (size_t)w >= n - len)
			return;
		len += (size_t)w;
	}
}

int jc_check_object(struct jc *c, const json_t *obj, const char *path, const char *what,
		    const char *const *allowed, const char *const *required)
{
	const char *key;
	json_t *v;

	if (!json_is_object(obj))
		return jc_fail(c, path, "expected %s (an object), found %s", what,
			       jc_type_name(obj, c->whole_numbers));
	json_object_foreach(jc_unconst(obj), key, v) {
		(void)v;
		size_t i;
		for (i = 0; allowed[i]; i++)
			if (strcmp(allowed[i], key) == 0)
				break;
		if (allowed[i])
			continue;
		char list[512], p[JC_PATH_LEN];
		jc_join_list(list, sizeof list, allowed, SIZE_MAX);
		jc_subpath(p, path, ".%s", key);
		return jc_fail(c, p, "unknown key in %s; expected %s", what, list);
	}
	for (size_t i = 0; required[i]; i++)
		if (!json_object_get(obj, required[i]))
			return jc_fail(c, path, "%s without \"%s\"", what, required[i]);
	return 0;
}

const char *jc_string_at(struct jc *c, const json_t *v, const char *p)
{
	if (!json_is_string(v)) {
		jc_fail(c, p, "expected a string, found %s", jc_type_name(v, c->whole_numbers));
		return NULL;
	}
	if (json_string_length(v) == 0) {
		jc_fail(c, p, "expected a non-empty string");
		return NULL;
	}
	if (strlen(json_string_value(v)) != json_string_length(v)) {
		jc_fail(c, p, "the string contains a NUL character");
		return NULL;
	}
	return json_string_value(v);
}

int jc_get_string(struct jc *c, const json_t *obj, const char *key, const char *path,
		  const char **out)
{
	char p[JC_PATH_LEN];
	jc_subpath(p, path, ".%s", key);
	*out = jc_string_at(c, json_object_get(obj, key), p);
	return *out ? 0 : -1;
}

int jc_text_fields(struct jc *c, const json_t *obj, const char *path, const char **ja,
		   const char **en)
{
	if (jc_get_string(c, obj, "ja", path, ja) < 0 || jc_get_string(c, obj, "en", path, en) < 0)
		return -1;
	return 0;
}

int jc_text(struct jc *c, const json_t *v, const char *path, const char **ja, const char **en)
{
	static const char *const keys[] = {"ja", "en", NULL};
	if (jc_check_object(c, v, path, "a text {\"ja\": \"...\", \"en\": \"...\"}", keys, keys) <
	    0)
		return -1;
	return jc_text_fields(c, v, path, ja, en);
}

int jc_get_text(struct jc *c, const json_t *obj, const char *key, const char *path,
		const char **ja, const char **en)
{
	char p[JC_PATH_LEN];
	jc_subpath(p, path, ".%s", key);
	return jc_text(c, json_object_get(obj, key), p, ja, en);
}

int jc_get_duration(struct jc *c, const json_t *obj, const char *key, const char *path,
		    struct duration *d, const char **text)
{
	char p[JC_PATH_LEN], derr[256];
	if (jc_get_string(c, obj, key, path, text) < 0)
		return -1;
	jc_subpath(p, path, ".%s", key);
	if (duration_parse(*text, d, derr, sizeof derr) < 0)
		return jc_fail(c, p, "%s", derr);
	return 0;
}

const json_t *jc_get_array(struct jc *c, const json_t *obj, const char *key, const char *path,
			   const char *what, enum jc_need need, size_t *n, int *bad)
{
	const json_t *a = json_object_get(obj, key);
	char p[JC_PATH_LEN];
	*n = 0;
	if (!a && need != JC_REQUIRED)
		return NULL;
	jc_subpath(p, path, ".%s", key);
	if (!json_is_array(a)) {
		*bad = jc_fail(c, p, "expected an array of %s, found %s", what,
			       jc_type_name(a, c->whole_numbers));
		return NULL;
	}
	if (json_array_size(a) == 0 && need == JC_REQUIRED) {
		*bad = jc_fail(c, p, "expected at least one of %s", what);
		return NULL;
	}
	if (json_array_size(a) == 0 && need == JC_NONEMPTY_IF_SET) {
		*bad = jc_fail(c, p, "expected at least one of %s (or leave \"%s\" out)", what,
			       key);
		return NULL;
	}
	*n = json_array_size(a);
	return a;
}
