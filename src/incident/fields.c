/* The incident field table and the JSON type checks (see fields.h). */
#include "fields.h"

#include <ctype.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"

#define BOTH (FIELD_API | FIELD_FORM)

const struct incident_field incident_fields[] = {
	{"summary", "summary", FIELD_TEXT, 0, 0, BOTH, "field_err_string", "report_summary"},
	{"description", "description", FIELD_TEXT, 0, 0, BOTH, "field_err_string", "report_details"},
	{"how_found", "how_found", FIELD_TEXT, 0, 0, BOTH, "field_err_string", "report_how_found"},
	{"discovered_at", "discovered_at", FIELD_DATETIME, 0, 0, BOTH, "field_err_datetime", "report_discovered"},
	{"occurred_at", "occurred_at", FIELD_DATETIME, 0, 0, BOTH, "field_err_datetime", "report_occurred"},
	{"occurred_unknown", "occurred_unknown", FIELD_FLAG, 0, 0, FIELD_FORM, "field_err_boolean", "report_occurred_unknown"},
	{"site", "site", FIELD_CODE, 0, 0, BOTH, "field_err_string", "report_site"},
	{"section", "section", FIELD_CODE, 0, 0, BOTH, "field_err_string", "report_section"},
	{"category", "category", FIELD_CODE, 0, 0, BOTH, "field_err_string", "category"},
	{"segments", "segments", FIELD_CODES, 0, 0, BOTH, "field_err_list", "report_segments"},
	{"system", "system", FIELD_CODE, 0, 0, BOTH, "field_err_string", "report_system"},
	{"system_text", "system_text", FIELD_TEXT, 0, 0, BOTH, "field_err_string", "report_system_text"},
	{"pd_involved", "personal_data.involved", FIELD_TRI, 0, 0, BOTH, "field_err_tri", "report_pd_involved"},
	{"pd_persons", "personal_data.persons", FIELD_INT, 0, 100000000, BOTH, "field_err_persons", "report_pd_persons"},
	{"pd_items", "personal_data.items", FIELD_TEXT, 0, 0, BOTH, "field_err_string", "report_pd_items"},
	{"pd_sensitive", "personal_data.sensitive", FIELD_TRI, 0, 0, BOTH, "field_err_tri", "report_pd_sensitive"},
	{"pd_mynumber", "personal_data.mynumber", FIELD_TRI, 0, 0, BOTH, "field_err_tri", "report_pd_mynumber"},
	{"pd_encrypted", "personal_data.encrypted", FIELD_TRI, 0, 0, BOTH, "field_err_tri", "report_pd_encrypted"},
	{"pd_malicious", "personal_data.malicious", FIELD_TRI, 0, 0, BOTH, "field_err_tri", "report_pd_malicious"},
	{"pd_financial", "personal_data.financial", FIELD_TRI, 0, 0, BOTH, "field_err_tri", "report_pd_financial"},
	{"contractor", "contractor", FIELD_TEXT, 0, 0, BOTH, "field_err_string", "report_contractor"},
	{"bcp", "bcp", FIELD_FLAG, 0, 0, BOTH, "field_err_boolean", "report_bcp"},
	{"external_name", "external_name", FIELD_TEXT, 0, 0, FIELD_FORM, "field_err_string", "report_your_name"},
	{"external_contact", "external_contact", FIELD_TEXT, 0, 0, FIELD_FORM, "field_err_string", "report_your_contact"},
	{NULL, NULL, FIELD_TEXT, 0, 0, 0, NULL, NULL},
};

const struct incident_field *incident_field_find(const char *name)
{
	for (const struct incident_field *f = incident_fields; f->name; f++)
		if (strcmp(f->name, name) == 0 || strcmp(f->json, name) == 0)
			return f;
	return NULL;
}

static int two(const char *s, int max)
{
	if (!isdigit((unsigned char)s[0]) || !isdigit((unsigned char)s[1]))
		return 0;
	return (s[0] - '0') * 10 + (s[1] - '0') <= max;
}

int fields_datetime_shape(const char *s, int form_style)
{
	for (int i = 0; i < 10; i++)
		if (i == 4 || i == 7 ? s[i] != '-' : !isdigit((unsigned char)s[i]))
			return 0;
	s += 10;
	if (!(*s == 'T' || (form_style && *s == ' ')))
		return 0;
	if (!two(s + 1, 23) || s[3] != ':' || !two(s + 4, 59))
		return 0;
	s += 6;
	if (*s == ':' && two(s + 1, 59)) {
		s += 3;
		if (*s == '.' && isdigit((unsigned char)s[1])) {
			s++;
			while (isdigit((unsigned char)*s))
				s++;
		}
	} else if (!form_style) {
		return 0;
	}
	if (*s == 'Z')
		s++;
	else if ((*s == '+' || *s == '-') && two(s + 1, 23) && s[3] == ':' && two(s + 4, 59))
		s += 6;
	else if (!form_style)
		return 0;
	return *s == '\0';
}

/* The flat string value of v for field f, or NULL when v has the wrong type. */
static json_t *convert(const struct incident_field *f, const json_t *v)
{
	switch (f->type) {
	case FIELD_TEXT:
	case FIELD_CODE:
		return json_is_string(v) ? json_deep_copy(v) : NULL;
	case FIELD_DATETIME:
		return json_is_string(v) && fields_datetime_shape(json_string_value(v), 0)
			       ? json_deep_copy(v)
			       : NULL;
	case FIELD_CODES: {
		if (!json_is_array(v))
			return NULL;
		size_t i;
		json_t *e;
		json_array_foreach(v, i, e)
			if (!json_is_string(e))
				return NULL;
		return json_deep_copy(v);
	}
	case FIELD_INT: {
		long long n;
		if (json_is_integer(v)) {
			n = json_integer_value(v);
		} else if (json_is_real(v)) {
			double d = json_real_value(v);
			/* exact integers only; the range check below bounds d first */
			if (!isfinite(d) || d != floor(d) || d < (double)f->min || d > (double)f->max)
				return NULL;
			n = (long long)d;
		} else {
			return NULL;
		}
		if (n < f->min || n > f->max)
			return NULL;
		return json_sprintf("%lld", n);
	}
	case FIELD_FLAG:
		return json_is_boolean(v) ? json_string(json_is_true(v) ? "1" : "") : NULL;
	case FIELD_TRI:
		if (json_is_boolean(v))
			return json_string(json_is_true(v) ? "yes" : "no");
		if (json_is_string(v)) {
			const char *s = json_string_value(v);
			if (!strcmp(s, "yes") || !strcmp(s, "no") || !strcmp(s, "unknown"))
				return json_deep_copy(v);
		}
		return NULL;
	}
	return NULL;
}

static void take(json_t *raw, json_t *errors, const char *path, const json_t *v)
{
	const struct incident_field *f = incident_field_find(path);
	if (!f || strcmp(f->json, path) != 0 || !(f->where & FIELD_API)) {
		json_object_set_new(errors, path, json_string("field_err_unknown"));
		return;
	}
	if (json_is_null(v))
		return;
	json_t *s = convert(f, v);
	if (!s)
		json_object_set_new(errors, path, json_string(f->msg_key));
	else
		json_object_set_new(raw, f->name, s);
}

json_t *fields_from_json(const json_t *body, json_t *errors)
{
	json_t *raw = json_object();
	const char *key;
	json_t *v;
	json_object_foreach((json_t *)(uintptr_t)body, key, v) {
		if (strcmp(key, "personal_data") == 0) {
			if (json_is_null(v))
				continue;
			if (!json_is_object(v)) {
				json_object_set_new(errors, key, json_string("field_err_object"));
				continue;
			}
			const char *k2;
			json_t *v2;
			json_object_foreach(v, k2, v2) {
				char *path = xasprintf("personal_data.%s", k2);
				take(raw, errors, path, v2);
				free(path);
			}
			continue;
		}
		take(raw, errors, key, v);
	}
	return raw;
}
