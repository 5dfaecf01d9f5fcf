/* urlencoded form bodies into JSON objects (see form.h). */
#include "form.h"

#include <stdlib.h>
#include <string.h>

#include "core/utf8.h"
#include "core/xalloc.h"

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

long form_decode(const char *s, size_t n, char *out)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == '+') {
			c = ' ';
		} else if (c == '%') {
			if (i + 2 >= n)
				return -1;
			int hi = hexval(s[i + 1]), lo = hexval(s[i + 2]);
			if (hi < 0 || lo < 0)
				return -1;
			c = (char)(hi * 16 + lo);
			i += 2;
		}
		if (c == '\0')
			return -1;
		out[o++] = c;
	}
	out[o] = '\0';
	return (long)o;
}

void form_add_value(json_t *fields, const char *key, json_t *value)
{
	json_t *old = json_object_get(fields, key);
	if (!old) {
		json_object_set_new(fields, key, value);
	} else if (json_is_array(old)) {
		json_array_append_new(old, value);
	} else {
		json_t *arr = json_array();
		json_array_append(arr, old);
		json_array_append_new(arr, value);
		json_object_set_new(fields, key, arr);
	}
}

static int add_field(json_t *form, json_t *invalid, const char *k, size_t kl, const char *v,
		     size_t vl)
{
	char *key = xmalloc(kl + 1), *val = xmalloc(vl + 1);
	long klen = form_decode(k, kl, key), vlen = form_decode(v, vl, val);
	int rc = -1;
	json_t *js = NULL;
	if (klen <= 0 || vlen < 0)
		goto out;
	/* A name that is not text cannot be shown or looked up: malformed. */
	if (!utf8_valid(key, (size_t)klen))
		goto out;
	if (!utf8_valid(val, (size_t)vlen)) {
		if (!invalid)
			goto out;
		size_t ml;
		char *mended = utf8_mend(val, (size_t)vlen, &ml);
		free(val);
		val = mended;
		vlen = (long)ml;
		json_object_set_new(invalid, key, json_true());
	}
	js = json_stringn(val, (size_t)vlen);
	if (!js)
		goto out;
	form_add_value(form, key, js);
	rc = 0;
out:
	free(key);
	free(val);
	return rc;
}

json_t *form_parse_urlencoded(const char *body, size_t len, json_t *invalid)
{
	json_t *form = json_object();
	size_t i = 0, fields = 0;
	while (i < len) {
		size_t end = i;
		while (end < len && body[end] != '&')
			end++;
		if (end > i) {
			if (++fields > FORM_MAX_FIELDS)
				goto bad;
			const char *eq = memchr(body + i, '=', end - i);
			size_t kl = eq ? (size_t)(eq - (body + i)) : end - i;
			const char *v = eq ? eq + 1 : body + end;
			size_t vl = eq ? (size_t)(body + end - v) : 0;
			if (add_field(form, invalid, body + i, kl, v, vl) < 0)
				goto bad;
		}
		i = end + 1;
	}
	return form;
bad:
	json_decref(form);
	return NULL;
}
