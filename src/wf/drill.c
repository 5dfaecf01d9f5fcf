/* Drill scenarios: parsing and checking (see drill.h and docs/drills.md). The
 * messages follow the workflow loader's: "FILE: JSON.PATH: what was found;
 * expected what". */
#include "drill.h"

#include <errno.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/file.h"
#include "core/xalloc.h"
#include "jcheck.h"

/* A scenario is a small file; anything larger is a mistake. */
#define DRILL_FILE_MAX (256 * 1024)
/* Enough for a day's exercise; more is a script, not a drill. */
#define DRILL_MAX_INJECTS 50

const struct drill_milestone drill_milestones[] = {
	{"acknowledged", "reporting-duty", "acknowledged", "管理者が受領", "acknowledged by the manager"},
	{"reported_to_chief", "reporting-duty", "with_chief", "統括へ報告", "reported to the chief"},
	{"reported_to_ciso", "reporting-duty", "with_ciso", "CISOへ報告", "reported to the CISO"},
	{"reporting_done", "reporting-duty", "done", "報告完了", "reporting duty done"},
	{"confirmed", "emergency-response", "containment", "インシデントと判定",
	 "confirmed as an incident"},
	{"contained", "emergency-response", "eradication", "封じ込め完了", "contained"},
	{"eradicated", "emergency-response", "recovery", "根絶完了", "eradicated"},
	{"recovered", "emergency-response", "lessons_learned", "復旧完了", "recovered"},
	{"closed", "emergency-response", "closed", "終結", "closed"},
	{"ppc_draft_complete", NULL, NULL, "速報の下書き完成", "PPC preliminary draft complete"},
	{NULL, NULL, NULL, NULL, NULL},
};

/* The categories of sql/0004_incidents.sql (a database test compares them). */
static const char *const categories[] = {
	"malware",	  "unauthorized_access", "leak",	     "loss_theft",
	"tampering",	  "dos",		 "system_failure",   "suspicious_mail",
	"policy_violation", "contractor",	 "other",	     NULL,
};
static const char *const segments[] = {"mynumber", "lgwan", "internet", "unknown", NULL};
static const char *const tri_words[] = {"yes", "no", "unknown", NULL};
static const char *const none[] = {NULL};

const struct drill_milestone *drill_find_milestone(const char *name)
{
	for (const struct drill_milestone *m = drill_milestones; m->name; m++)
		if (strcmp(m->name, name) == 0)
			return m;
	return NULL;
}

static int in_list(const char *s, const char *const *list)
{
	for (; *list; list++)
		if (strcmp(s, *list) == 0)
			return 1;
	return 0;
}

static int count_list(const char *const *list)
{
	int n = 0;
	while (list[n])
		n++;
	return n;
}

static int one_of(struct jc *c, const json_t *v, const char *p, const char *const *list)
{
	const char *s = jc_string_at(c, v, p);
	if (!s)
		return -1;
	if (in_list(s, list))
		return 0;
	char all[512];
	jc_join_list(all, sizeof all, list, (size_t)count_list(list));
	return jc_fail(c, p, "\"%s\" is not known; expected %s", s, all);
}

/* A code as the database's CHECK writes sites, sections and systems. */
static int code_at(struct jc *c, const json_t *v, const char *p, const char *what)
{
	const char *s = jc_string_at(c, v, p);
	if (!s)
		return -1;
	size_t n = strlen(s);
	int ok = n >= 1 && n <= 32 && ((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= '0' && s[0] <= '9'));
	for (size_t i = 1; ok && i < n; i++)
		ok = (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_' ||
		     s[i] == '-';
	return ok ? 0 : jc_fail(c, p, "\"%s\" is not %s code; expected lower-case letters, digits, "
				    "'-' or '_', at most 32", s, what);
}

/* A string that may be empty (descriptions, free text). */
static int text_at(struct jc *c, const json_t *v, const char *p)
{
	if (!json_is_string(v))
		return jc_fail(c, p, "found %s; expected a string", jc_type_name(v, 1));
	if (strlen(json_string_value(v)) != json_string_length(v))
		return jc_fail(c, p, "the string holds a NUL character");
	return 0;
}

static int tri_at(struct jc *c, const json_t *v, const char *p)
{
	if (json_is_boolean(v))
		return 0;
	if (!json_is_string(v))
		return jc_fail(c, p, "found %s; expected true, false, \"yes\", \"no\" or \"unknown\"",
			       jc_type_name(v, 1));
	return one_of(c, v, p, tri_words);
}

static int personal_data(struct jc *c, const json_t *o, const char *path, int whole)
{
	static const char *const keys[] = {"involved",	"persons",   "items",	  "sensitive",
					   "mynumber",	"encrypted", "malicious", "financial", NULL};
	static const char *const need[] = {"involved", NULL};
	if (jc_check_object(c, o, path, "the personal data of the report", keys,
			    whole ? need : none) < 0)
		return -1;
	const char *k;
	json_t *v;
	char p[JC_PATH_LEN];
	json_object_foreach(jc_unconst(o), k, v) {
		jc_subpath(p, path, ".%s", k);
		if (strcmp(k, "persons") == 0) {
			if (!json_is_integer(v) || json_integer_value(v) < 0 ||
			    json_integer_value(v) > 2000000000)
				return jc_fail(c, p, "found %s; expected a whole number of persons, 0 "
						     "or more", jc_type_name(v, 1));
		} else if (strcmp(k, "items") == 0) {
			if (text_at(c, v, p) < 0)
				return -1;
		} else if (tri_at(c, v, p) < 0) {
			return -1;
		}
	}
	return 0;
}

/* The report, as a reporter files it through the JSON API but without the
 * times: the drill's start is when it was discovered; occurred_before (a
 * duration) says how long before that it happened. whole: a full report (the
 * required fields must be there) rather than an inject's change. */
static int report_at(struct jc *c, const json_t *o, const char *path, int whole)
{
	static const char *const keys[] = {
		"summary", "description", "how_found", "occurred_before", "category",
		"site",	   "section",	  "segments",  "system",	  "system_text",
		"contractor", "bcp",	  "personal_data", NULL};
	static const char *const need[] = {"summary", "category", "site", NULL};
	if (jc_check_object(c, o, path, whole ? "a report" : "the facts an inject sets", keys,
			    whole ? need : none) < 0)
		return -1;
	if (!whole && json_object_size(o) == 0)
		return jc_fail(c, path, "nothing is set; expected at least one fact");
	const char *k;
	json_t *v;
	char p[JC_PATH_LEN], q[JC_PATH_LEN];
	json_object_foreach(jc_unconst(o), k, v) {
		jc_subpath(p, path, ".%s", k);
		int rc = 0;
		if (strcmp(k, "summary") == 0) {
			rc = jc_string_at(c, v, p) ? 0 : -1;
		} else if (strcmp(k, "category") == 0) {
			rc = one_of(c, v, p, categories);
		} else if (strcmp(k, "site") == 0) {
			rc = code_at(c, v, p, "a site");
		} else if (strcmp(k, "section") == 0) {
			rc = code_at(c, v, p, "a section");
		} else if (strcmp(k, "system") == 0) {
			rc = code_at(c, v, p, "an information system");
		} else if (strcmp(k, "segments") == 0) {
			if (!json_is_array(v)) {
				rc = jc_fail(c, p, "found %s; expected an array of segments",
					     jc_type_name(v, 1));
			} else {
				size_t i;
				json_t *e;
				json_array_foreach(v, i, e) {
					jc_subpath(q, p, "[%zu]", i);
					if ((rc = one_of(c, e, q, segments)) < 0)
						break;
				}
			}
		} else if (strcmp(k, "occurred_before") == 0) {
			struct duration d;
			const char *t;
			rc = jc_get_duration(c, o, k, path, &d, &t);
		} else if (strcmp(k, "bcp") == 0) {
			if (!json_is_boolean(v))
				rc = jc_fail(c, p, "found %s; expected true or false", jc_type_name(v, 1));
		} else if (strcmp(k, "personal_data") == 0) {
			rc = personal_data(c, v, p, whole);
		} else {
			rc = text_at(c, v, p);
		}
		if (rc < 0)
			return -1;
	}
	return 0;
}

static int injects_at(struct jc *c, struct drill *d, const json_t *root)
{
	static const char *const keys[] = {"after", "set", "note", NULL};
	static const char *const need[] = {"after", NULL};
	int bad = 0;
	size_t n;
	const json_t *arr = jc_get_array(c, root, "injects", "$", "injects", JC_NONEMPTY_IF_SET, &n,
					 &bad);
	if (bad)
		return -1;
	if (n > DRILL_MAX_INJECTS)
		return jc_fail(c, "$.injects", "%zu injects; expected at most %d", n, DRILL_MAX_INJECTS);
	d->injects = n ? xcalloc(n, sizeof *d->injects) : NULL;
	char p[JC_PATH_LEN], q[JC_PATH_LEN];
	long long last = -1;
	for (size_t i = 0; i < n; i++) {
		const json_t *o = json_array_get(arr, i);
		struct drill_inject *in = &d->injects[i];
		jc_subpath(p, "$.injects", "[%zu]", i);
		if (jc_check_object(c, o, p, "an inject {\"after\", \"set\", \"note\"}", keys, need) < 0 ||
		    jc_get_duration(c, o, "after", p, &in->after, &in->after_text) < 0)
			return -1;
		long long s = duration_approx_seconds(&in->after);
		if (s <= last)
			return jc_fail(c, jc_subpath(q, p, ".after"),
				       "\"%s\" is not later than the inject before it; expected the "
				       "injects in the order they happen",
				       in->after_text);
		last = s;
		const json_t *set = json_object_get(o, "set");
		const json_t *note = json_object_get(o, "note");
		if (!set && !note)
			return jc_fail(c, p, "the inject neither sets facts nor adds a note; expected "
					     "\"set\", \"note\" or both");
		if (set && report_at(c, set, jc_subpath(q, p, ".set"), 0) < 0)
			return -1;
		if (note && jc_get_text(c, o, "note", p, &in->note_ja, &in->note_en) < 0)
			return -1;
		in->set = set;
		d->ninjects++;
	}
	return 0;
}

static int expects_at(struct jc *c, struct drill *d, const json_t *root)
{
	static const char *const keys[] = {"reach", "within", NULL};
	int bad = 0;
	size_t n;
	const json_t *arr = jc_get_array(c, root, "expect", "$", "expectations", JC_REQUIRED, &n,
					 &bad);
	if (bad)
		return -1;
	d->expects = xcalloc(n, sizeof *d->expects);
	char p[JC_PATH_LEN], q[JC_PATH_LEN];
	for (size_t i = 0; i < n; i++) {
		const json_t *o = json_array_get(arr, i);
		struct drill_expect *e = &d->expects[i];
		const char *reach;
		jc_subpath(p, "$.expect", "[%zu]", i);
		if (jc_check_object(c, o, p, "an expectation {\"reach\": MILESTONE, \"within\": DURATION}",
				    keys, keys) < 0 ||
		    jc_get_string(c, o, "reach", p, &reach) < 0 ||
		    jc_get_duration(c, o, "within", p, &e->within, &e->within_text) < 0)
			return -1;
		e->milestone = drill_find_milestone(reach);
		if (!e->milestone) {
			const char *names[sizeof drill_milestones / sizeof drill_milestones[0]];
			size_t k = 0;
			for (const struct drill_milestone *m = drill_milestones; m->name; m++)
				names[k++] = m->name;
			char all[512];
			jc_join_list(all, sizeof all, names, k);
			return jc_fail(c, jc_subpath(q, p, ".reach"),
				       "\"%s\" is not a milestone; expected %s", reach, all);
		}
		for (size_t j = 0; j < i; j++)
			if (d->expects[j].milestone == e->milestone)
				return jc_fail(c, jc_subpath(q, p, ".reach"),
					       "\"%s\" is expected twice; expected each milestone "
					       "at most once",
					       reach);
		d->nexpects++;
	}
	return 0;
}

static int drill_name_ok(const char *s)
{
	regex_t re;
	if (regcomp(&re, "^[a-z0-9][a-z0-9-]{0,63}$", REG_EXTENDED | REG_NOSUB) != 0)
		return 0;
	int ok = regexec(&re, s, 0, NULL, 0) == 0;
	regfree(&re);
	return ok;
}

struct drill *drill_parse(const char *origin, const char *text, size_t len, char *err,
			  size_t errlen)
{
	static const char *const keys[] = {"drill",  "version", "title", "description",
					   "hours",  "report",	"injects", "expect", NULL};
	static const char *const need[] = {"drill", "version", "title", "report", "expect", NULL};
	if (!origin)
		origin = "(drill)";
	if (err && errlen)
		err[0] = '\0';
	struct jc c = {.file = origin, .err = err, .errlen = err ? errlen : 0, .whole_numbers = 1};
	if (len > DRILL_FILE_MAX) {
		snprintf(err, c.errlen, "%s: the file has %zu bytes; expected at most %d", origin, len,
			 DRILL_FILE_MAX);
		return NULL;
	}
	json_error_t jerr;
	json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		if (jerr.line <= 0)
			snprintf(err, c.errlen, "%s: not JSON: %s", origin, jerr.text);
		else
			snprintf(err, c.errlen, "%s:%d:%d: %s", origin, jerr.line, jerr.column,
				 jerr.text);
		return NULL;
	}
	struct drill *d = xcalloc(1, sizeof *d);
	d->root = root;
	const json_t *v;
	if (!json_is_object(root)) {
		jc_fail(&c, "$", "found %s; expected an object", jc_type_name(root, 1));
		goto fail;
	}
	if (jc_check_object(&c, root, "$", "a drill", keys, need) < 0 ||
	    jc_get_string(&c, root, "drill", "$", &d->name) < 0)
		goto fail;
	if (!drill_name_ok(d->name)) {
		jc_fail(&c, "$.drill", "\"%s\" is not a drill name; expected lower-case letters, digits "
				     "and '-', at most 64",
			d->name);
		goto fail;
	}
	v = json_object_get(root, "version");
	if (!json_is_integer(v) || json_integer_value(v) < 1) {
		jc_fail(&c, "$.version", "found %s; expected a whole number, 1 or more",
			jc_type_name(v, 1));
		goto fail;
	}
	d->version = json_integer_value(v);
	if (jc_get_text(&c, root, "title", "$", &d->title_ja, &d->title_en) < 0)
		goto fail;
	if (json_object_get(root, "description") &&
	    jc_get_text(&c, root, "description", "$", &d->description_ja, &d->description_en) < 0)
		goto fail;
	d->hours = DRILL_HOURS_OFFICE;
	if ((v = json_object_get(root, "hours"))) {
		static const char *const hours[] = {"office", "any", NULL};
		if (one_of(&c, v, "$.hours", hours) < 0)
			goto fail;
		d->hours = strcmp(json_string_value(v), "any") == 0 ? DRILL_HOURS_ANY
								    : DRILL_HOURS_OFFICE;
	}
	d->report = json_object_get(root, "report");
	if (report_at(&c, d->report, "$.report", 1) < 0 || injects_at(&c, d, root) < 0 ||
	    expects_at(&c, d, root) < 0)
		goto fail;
	return d;
fail:
	drill_free(d);
	return NULL;
}

struct drill *drill_load_file(const char *path, char *err, size_t errlen)
{
	buf b = BUF_INIT;
	int rc = file_read_all(path, DRILL_FILE_MAX, &b);
	if (rc == FILE_ERROR) {
		snprintf(err, errlen, "%s: unable to read the drill file: %s", path, strerror(errno));
		buf_release(&b);
		return NULL;
	}
	struct drill *d = drill_parse(path, b.data ? b.data : "", b.len, err, errlen);
	buf_release(&b);
	return d;
}

void drill_free(struct drill *d)
{
	if (!d)
		return;
	free(d->injects);
	free(d->expects);
	json_decref(d->root);
	free(d);
}

int drill_check_files(const char *const *paths, size_t n, FILE *out, FILE *errs)
{
	struct drill **ds = n ? xcalloc(n, sizeof *ds) : NULL;
	int bad = 0;
	char err[2048];
	for (size_t i = 0; i < n; i++) {
		ds[i] = drill_load_file(paths[i], err, sizeof err);
		if (!ds[i]) {
			fprintf(errs, "%s\n", err);
			bad++;
			continue;
		}
		for (size_t j = 0; j < i; j++)
			if (ds[j] && strcmp(ds[j]->name, ds[i]->name) == 0) {
				fprintf(errs, "%s: drill: \"%s\" is also the name of %s; expected "
					      "each drill name once\n",
					paths[i], ds[i]->name, paths[j]);
				bad++;
				drill_free(ds[i]);
				ds[i] = NULL;
				break;
			}
		if (!ds[i])
			continue;
		fprintf(out, "%s: ok (%s version %lld, %zu inject%s, %zu expectation%s)\n",
			paths[i], ds[i]->name, ds[i]->version, ds[i]->ninjects,
			ds[i]->ninjects == 1 ? "" : "s", ds[i]->nexpects,
			ds[i]->nexpects == 1 ? "" : "s");
	}
	for (size_t i = 0; i < n; i++)
		drill_free(ds[i]);
	free(ds);
	return bad ? -1 : 0;
}
