/* Form values that came in not as UTF-8 (text pasted from a Shift_JIS file,
 * say): the server keeps them mended (http/form.h) for the routes that mark
 * the field instead of refusing the whole form (see web.h). */
#include <string.h>

#include "app.h"
#include "incident/fields.h"
#include "tmpl/i18n.h"
#include "web.h"

static const char *label_key(const char *name, const char *const *labels)
{
	for (const char *const *l = labels; l && l[0]; l += 2)
		if (strcmp(l[0], name) == 0)
			return l[1];
	const struct incident_field *f = incident_field_find(name);
	if (f && strcmp(f->name, name) == 0 && (f->where & FIELD_FORM))
		return f->label;
	return NULL;
}

void web_mark_not_utf8(struct request *req, json_t *errors, json_t *named,
		       const char *const *labels)
{
	const json_t *t = i18n_t(req->app->i18n, req->lang);
	const char *name;
	json_t *v;
	json_object_foreach(req->form_invalid, name, v) {
		const char *key = label_key(name, labels);
		const char *label =
			key ? json_string_value(json_object_get(json_object_get(t, key), "main")) : NULL;
		json_t *msg = i18n_fill(req->app->i18n, req->lang, "field_err_not_utf8",
					label ? label : name);
		if (named)
			json_array_append_new(named, json_deep_copy(msg));
		json_object_set_new(errors, name, msg);
	}
}
