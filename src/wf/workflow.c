/* Workflow definitions (see workflow.h and docs/workflows.md): a strict
 * loader in the style of legal.c, which names the file, the JSON path and
 * what was expected for the first fault it finds, and turns a valid file into
 * C arrays over the parsed JSON it keeps alive. Every allocation of a
 * definition is recorded in its private part, so wf_free is one loop. */
#include "workflow.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/file.h"
#include "core/xalloc.h"
#include "wf/condition.h"
#include "wf/jcheck.h"
#include "wf/legal.h"

/* The roles a workflow may name: the role table's (README "People, roles and
 * sign-in"). Targets and `by` lists point at these strings. */
static const char *const roles[] = {
	"ciso",		  "chief_security_officer", "security_officer", "security_manager",
	"system_manager", "csirt",		    "auditor",		"admin",
};
#define NROLES (sizeof roles / sizeof roles[0])
#define ROLE_LIST                                                                        \
	"ciso, chief_security_officer, security_officer, security_manager, system_manager, " \
	"csirt, auditor or admin"

static const char *const anchors[] = {"entered", "discovered_at", "occurred_at", "reported_at"};
static const enum wf_anchor anchor_values[] = {WF_FROM_ENTERED, WF_FROM_DISCOVERED_AT,
					       WF_FROM_OCCURRED_AT, WF_FROM_REPORTED_AT};

static const char *const field_types[] = {"text", "integer", "boolean", "datetime"};
static const enum wf_field_type field_type_values[] = {WF_FIELD_TEXT, WF_FIELD_INTEGER,
						       WF_FIELD_BOOLEAN, WF_FIELD_DATETIME};

/* The definition and everything allocated for it. def comes first, so a
 * struct wf_def * of ours is also a struct impl *. */
struct impl {
	struct wf_def def;
	json_t *root;
	char *origin;
	char *source;
	void **allocs;
	size_t nallocs, capallocs;
};

static void *alloc(struct impl *im, size_t n, size_t size)
{
	if (n == 0)
		return NULL;
	void *p = xcalloc(n, size);
	if (im->nallocs == im->capallocs) {
		im->capallocs = im->capallocs ? im->capallocs * 2 : 32;
		im->allocs = xrealloc(im->allocs, im->capallocs * sizeof *im->allocs);
	}
	im->allocs[im->nallocs++] = p;
	return p;
}

struct loader {
	struct jc jc; /* file and error message */
	struct impl *im;
	/* The state being read (for "owner" targets) and the state names. */
	const char *owner_role;
	enum wf_scope owner_scope;
	const char *state_path;
	size_t nnames;
	const char **names;
	struct wf_state *states; /* parallel to names */
};

/* A text at obj.key (obj at path) into *out. */
static int get_text(struct loader *ld, const json_t *obj, const char *key, const char *path,
		    struct wf_text *out)
{
	return jc_get_text(&ld->jc, obj, key, path, &out->ja, &out->en);
}

/* An optional text: *has is 0 when obj has no key. */
static int get_opt_text(struct loader *ld, const json_t *obj, const char *key, const char *path,
			int *has, struct wf_text *out)
{
	*has = json_object_get(obj, key) != NULL;
	return *has ? get_text(ld, obj, key, path, out) : 0;
}

/* [a-z][a-z0-9_]* (also '-' when dash), at most WF_NAME_MAX bytes, not
 * ending in '-'. */
static int is_id(const char *s, int dash)
{
	size_t n = strlen(s);
	if (n == 0 || n > WF_NAME_MAX || s[0] < 'a' || s[0] > 'z' || s[n - 1] == '-')
		return 0;
	for (const char *c = s; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_' ||
		      (dash && *c == '-')))
			return 0;
	return 1;
}

#define ID_EXPECTED "expected a lower-case letter, then lower-case letters, digits or '_' (at most 63)"

/* A string at p that is an identifier; what names it ("a template name"). */
static const char *id_at(struct loader *ld, const json_t *v, const char *p, const char *what,
			 const char *example)
{
	const char *s = jc_string_at(&ld->jc, v, p);
	if (s && !is_id(s, 0)) {
		jc_fail(&ld->jc, p, "'%s' is not %s; " ID_EXPECTED ", such as \"%s\"", s, what,
			example);
		return NULL;
	}
	return s;
}

static const char *mail_templates_dir;

void wf_set_mail_templates_dir(const char *dir)
{
	mail_templates_dir = dir;
}

/* A template name at p, and (once wf_set_mail_templates_dir is set) a mail
 * template file of that name for every shipped language: a rung naming a
 * template that does not exist would queue a mail that can only die. */
static const char *template_at(struct loader *ld, const json_t *v, const char *p)
{
	static const char *const langs[] = WF_MAIL_LANGS;
	const char *s = id_at(ld, v, p, "a template name", "reported");
	if (!s || !mail_templates_dir)
		return s;
	for (size_t i = 0; i < sizeof langs / sizeof langs[0]; i++) {
		char file[PATH_MAX];
		snprintf(file, sizeof file, "%s/mail/%s.%s.mustache", mail_templates_dir, s, langs[i]);
		if (access(file, R_OK) != 0) {
			jc_fail(&ld->jc, p, "no mail template '%s' in %s: %s does not exist", s,
				langs[i], file);
			return NULL;
		}
	}
	return s;
}

static const char *find_role(const char *s)
{
	for (size_t i = 0; i < NROLES; i++)
		if (strcmp(roles[i], s) == 0)
			return roles[i];
	return NULL;
}

int wf_role_known(const char *role)
{
	return role && find_role(role) != NULL;
}

static const char *role_at(struct loader *ld, const json_t *v, const char *p)
{
	const char *s = jc_string_at(&ld->jc, v, p);
	if (!s)
		return NULL;
	const char *r = find_role(s);
	if (!r)
		jc_fail(&ld->jc, p, "'%s' is not a role; expected " ROLE_LIST, s);
	return r;
}

static int get_scope(struct loader *ld, const json_t *obj, const char *path, enum wf_scope *out)
{
	const char *s;
	*out = WF_SCOPE_INCIDENT;
	if (!json_object_get(obj, "scope"))
		return 0;
	if (jc_get_string(&ld->jc, obj, "scope", path, &s) < 0)
		return -1;
	if (strcmp(s, "incident") == 0)
		return 0;
	if (strcmp(s, "city") == 0) {
		*out = WF_SCOPE_CITY;
		return 0;
	}
	char p[JC_PATH_LEN];
	jc_subpath(p, path, ".scope");
	return jc_fail(&ld->jc, p, "'%s' is not a scope; expected incident or city", s);
}

/* A whole number in [lo, hi] at p. */
static int int_at(struct loader *ld, const json_t *v, const char *p, long long lo, long long hi,
		  long long *out)
{
	if (!json_is_integer(v))
		return jc_fail(&ld->jc, p, "expected a whole number from %lld to %lld, found %s",
			       lo, hi, jc_type_name(v, 1));
	*out = json_integer_value(v);
	if (*out < lo || *out > hi)
		return jc_fail(&ld->jc, p, "expected a whole number from %lld to %lld, found %lld",
			       lo, hi, *out);
	return 0;
}

/* The array at obj.key, or NULL with *n == 0 when it is absent. Sets *bad on
 * error; an empty array is an error (leave the key out instead). */
static const json_t *get_array(struct loader *ld, const json_t *obj, const char *key,
			       const char *path, const char *what, size_t *n, int *bad)
{
	return jc_get_array(&ld->jc, obj, key, path, what, JC_NONEMPTY_IF_SET, n, bad);
}

/* ---- targets and notifications ---- */

#define TARGET_EXPECTED                                                                    \
	"expected \"owner\", \"reporter\", a role (" ROLE_LIST "), {\"role\": ROLE, "       \
	"\"deputy\": N} or {\"owner_deputy\": N}"

static int need_owner(struct loader *ld, const char *p)
{
	if (ld->owner_role)
		return 0;
	return jc_fail(&ld->jc, p,
		       "the state has no owner to notify; give it an \"owner\" or name a role");
}

static int load_target(struct loader *ld, const json_t *v, const char *p, struct wf_target *t)
{
	t->scope = WF_SCOPE_INCIDENT;
	if (json_is_string(v)) {
		const char *s = jc_string_at(&ld->jc, v, p);
		if (!s)
			return -1;
		if (strcmp(s, "owner") == 0) {
			if (need_owner(ld, p) < 0)
				return -1;
			t->kind = WF_TARGET_OWNER;
			t->role = ld->owner_role;
			t->scope = ld->owner_scope;
			return 0;
		}
		if (strcmp(s, "reporter") == 0) {
			t->kind = WF_TARGET_REPORTER;
			return 0;
		}
		t->kind = WF_TARGET_ROLE;
		t->role = find_role(s);
		if (!t->role)
			return jc_fail(&ld->jc, p, "'%s' is not a role or target; " TARGET_EXPECTED,
				       s);
		return 0;
	}
	if (!json_is_object(v))
		return jc_fail(&ld->jc, p, "%s, found %s", TARGET_EXPECTED, jc_type_name(v, 1));

	char q[JC_PATH_LEN];
	long long n = 0;
	if (json_object_get(v, "owner_deputy")) {
		static const char *const keys[] = {"owner_deputy", NULL};
		const char *what = "a target {\"owner_deputy\": N}";
		if (jc_check_object(&ld->jc, v, p, what, keys, keys) < 0 || need_owner(ld, p) < 0 ||
		    int_at(ld, json_object_get(v, "owner_deputy"),
			   jc_subpath(q, p, ".owner_deputy"), 0, WF_DEPUTY_MAX, &n) < 0)
			return -1;
		t->kind = WF_TARGET_OWNER;
		t->role = ld->owner_role;
		t->scope = ld->owner_scope;
		t->deputy = (int)n;
		return 0;
	}
	static const char *const keys[] = {"role", "deputy", "scope", NULL};
	static const char *const required[] = {"role", NULL};
	if (jc_check_object(&ld->jc, v, p, "a target {\"role\": ROLE, \"deputy\": N}", keys,
			    required) < 0)
		return -1;
	t->kind = WF_TARGET_ROLE;
	t->role = role_at(ld, json_object_get(v, "role"), jc_subpath(q, p, ".role"));
	if (!t->role || get_scope(ld, v, p, &t->scope) < 0)
		return -1;
	if (json_object_get(v, "deputy")) {
		if (int_at(ld, json_object_get(v, "deputy"), jc_subpath(q, p, ".deputy"), 0,
			   WF_DEPUTY_MAX, &n) < 0)
			return -1;
		t->deputy = (int)n;
	}
	return 0;
}

/* obj.notify (TARGETS) and obj.template into *n. */
static int load_notify(struct loader *ld, const json_t *obj, const char *path,
		       struct wf_notify *n)
{
	char p[JC_PATH_LEN];
	const json_t *v = json_object_get(obj, "notify");
	struct wf_target *t;

	jc_subpath(p, path, ".notify");
	if (json_is_array(v)) {
		if (json_array_size(v) == 0)
			return jc_fail(&ld->jc, p,
				       "expected at least one target; " TARGET_EXPECTED);
		n->ntargets = json_array_size(v);
		t = alloc(ld->im, n->ntargets, sizeof *t);
		for (size_t i = 0; i < n->ntargets; i++) {
			char q[JC_PATH_LEN];
			if (load_target(ld, json_array_get(v, i), jc_subpath(q, p, "[%zu]", i),
					&t[i]) < 0)
				return -1;
		}
	} else {
		n->ntargets = 1;
		t = alloc(ld->im, 1, sizeof *t);
		if (load_target(ld, v, p, t) < 0)
			return -1;
	}
	n->targets = t;
	n->tmpl = template_at(ld, json_object_get(obj, "template"), jc_subpath(p, path, ".template"));
	return n->tmpl ? 0 : -1;
}

static int load_on_enter(struct loader *ld, const json_t *st, const char *path,
			 struct wf_state *s)
{
	static const char *const keys[] = {"notify", "template", "when", NULL};
	static const char *const required[] = {"notify", "template", NULL};
	int bad = 0;
	const json_t *a = get_array(ld, st, "on_enter", path,
				    "notifications {\"notify\": ..., \"template\": ...}",
				    &s->non_enter, &bad);
	if (bad)
		return -1;
	struct wf_notify *ns = alloc(ld->im, s->non_enter, sizeof *ns);
	s->on_enter = ns;
	for (size_t i = 0; i < s->non_enter; i++) {
		char p[JC_PATH_LEN];
		const json_t *o = json_array_get(a, i);
		jc_subpath(p, path, ".on_enter[%zu]", i);
		if (jc_check_object(&ld->jc, o, p, "a notification", keys, required) < 0 ||
		    load_notify(ld, o, p, &ns[i]) < 0)
			return -1;
		if (json_object_get(o, "when") && cond_get(&ld->jc, o, p, &ns[i].when) < 0)
			return -1;
	}
	return 0;
}

/* ---- deadlines and escalation ---- */

const char *wf_clock_name(enum wf_clock c)
{
	return c == WF_CLOCK_OFFICE ? "office" : "calendar";
}

/* The optional obj.clock (obj at path) into *out, dflt when absent. */
static int get_clock(struct loader *ld, const json_t *obj, const char *path, enum wf_clock dflt,
		     enum wf_clock *out)
{
	char p[JC_PATH_LEN];
	const json_t *v = json_object_get(obj, "clock");
	*out = dflt;
	if (!v)
		return 0;
	jc_subpath(p, path, ".clock");
	if (!json_is_string(v))
		return jc_fail(&ld->jc, p, "%s is not a clock; expected \"calendar\" or \"office\"",
			       jc_type_name(v, 1));
	const char *s = json_string_value(v);
	if (strcmp(s, "calendar") == 0)
		*out = WF_CLOCK_CALENDAR;
	else if (strcmp(s, "office") == 0)
		*out = WF_CLOCK_OFFICE;
	else
		return jc_fail(&ld->jc, p,
			       "'%s' is not a clock; expected calendar (wall-clock time, the "
			       "default) or office (the city's office hours of office days)",
			       s);
	return 0;
}

/* A duration (obj.key, obj at path) counted on clock: office time has no
 * months (an office month means nothing; write office days, P20D). */
static int office_fits(struct loader *ld, const char *path, const char *key,
		       const struct duration *d, const char *text, enum wf_clock clock)
{
	char p[JC_PATH_LEN];
	if (clock != WF_CLOCK_OFFICE || d->months == 0)
		return 0;
	return jc_fail(&ld->jc, jc_subpath(p, path, ".%s", key),
		       "'%s' counts months, which office time cannot; expected days (each one "
		       "office day's hours), hours, minutes or seconds with \"clock\": \"office\"",
		       text);
}

static int load_deadline(struct loader *ld, const json_t *o, const char *path,
			 struct wf_deadline *dl)
{
	static const char *const keys[] = {"key",    "title",	"from",	  "after", "clock",
					   "cases",  "remind", "overdue", NULL};
	static const char *const required[] = {"key", "title", "from", "after", NULL};
	static const char *const case_keys[] = {"when", "after", "clock", NULL};
	static const char *const case_required[] = {"when", "after", NULL};
	static const char *const remind_keys[] = {"before", "notify", "template", "clock", NULL};
	static const char *const remind_required[] = {"before", "notify", "template", NULL};
	static const char *const overdue_keys[] = {"notify", "template", NULL};
	char p[JC_PATH_LEN];
	int bad = 0;
	size_t i;

	if (jc_check_object(&ld->jc, o, path, "a deadline", keys, required) < 0)
		return -1;
	dl->key = id_at(ld, json_object_get(o, "key"), jc_subpath(p, path, ".key"),
			"a deadline key", "ppc_preliminary");
	if (!dl->key || get_text(ld, o, "title", path, &dl->title) < 0 ||
	    jc_get_string(&ld->jc, o, "from", path, &dl->from_name) < 0)
		return -1;
	for (i = 0; i < sizeof anchors / sizeof anchors[0]; i++)
		if (strcmp(anchors[i], dl->from_name) == 0)
			break;
	if (i == sizeof anchors / sizeof anchors[0])
		return jc_fail(&ld->jc, jc_subpath(p, path, ".from"),
			       "'%s' is not a time a deadline can count from; expected entered, "
			       "discovered_at, occurred_at or reported_at",
			       dl->from_name);
	dl->from = anchor_values[i];
	dl->from_name = anchors[i];
	if (jc_get_duration(&ld->jc, o, "after", path, &dl->after, &dl->after_text) < 0 ||
	    get_clock(ld, o, path, WF_CLOCK_CALENDAR, &dl->clock) < 0 ||
	    office_fits(ld, path, "after", &dl->after, dl->after_text, dl->clock) < 0)
		return -1;
	long long shortest = duration_approx_seconds(&dl->after);
	const char *shortest_text = dl->after_text;

	const json_t *a = get_array(ld, o, "cases", path, "cases {\"when\": ..., \"after\": ...}",
				    &dl->ncases, &bad);
	if (bad)
		return -1;
	struct wf_case *cs = alloc(ld->im, dl->ncases, sizeof *cs);
	dl->cases = cs;
	for (i = 0; i < dl->ncases; i++) {
		const json_t *c = json_array_get(a, i);
		jc_subpath(p, path, ".cases[%zu]", i);
		if (jc_check_object(&ld->jc, c, p, "a case", case_keys, case_required) < 0 ||
		    cond_get(&ld->jc, c, p, &cs[i].when) < 0 ||
		    jc_get_duration(&ld->jc, c, "after", p, &cs[i].after, &cs[i].after_text) < 0 ||
		    get_clock(ld, c, p, dl->clock, &cs[i].clock) < 0 ||
		    office_fits(ld, p, "after", &cs[i].after, cs[i].after_text, cs[i].clock) < 0)
			return -1;
		if (duration_approx_seconds(&cs[i].after) < shortest) {
			shortest = duration_approx_seconds(&cs[i].after);
			shortest_text = cs[i].after_text;
		}
	}

	a = get_array(ld, o, "remind", path,
		      "reminders {\"before\": ..., \"notify\": ..., \"template\": ...}",
		      &dl->nremind, &bad);
	if (bad)
		return -1;
	struct wf_remind *rs = alloc(ld->im, dl->nremind, sizeof *rs);
	dl->remind = rs;
	for (i = 0; i < dl->nremind; i++) {
		const json_t *r = json_array_get(a, i);
		jc_subpath(p, path, ".remind[%zu]", i);
		if (jc_check_object(&ld->jc, r, p, "a reminder", remind_keys, remind_required) < 0 ||
		    jc_get_duration(&ld->jc, r, "before", p, &rs[i].before, &rs[i].before_text) < 0 ||
		    get_clock(ld, r, p, dl->clock, &rs[i].clock) < 0 ||
		    office_fits(ld, p, "before", &rs[i].before, rs[i].before_text, rs[i].clock) < 0)
			return -1;
		char q[JC_PATH_LEN];
		long long before = duration_approx_seconds(&rs[i].before);
		jc_subpath(q, p, ".before");
		if (before <= 0)
			return jc_fail(&ld->jc, q,
				       "'%s' is no time at all; expected a reminder some time "
				       "before the deadline",
				       rs[i].before_text);
		if (before >= shortest)
			return jc_fail(&ld->jc, q,
				       "'%s' is not shorter than the deadline's '%s'; expected a "
				       "reminder after the deadline starts counting",
				       rs[i].before_text, shortest_text);
		if (i > 0 && before >= duration_approx_seconds(&rs[i - 1].before))
			return jc_fail(
				&ld->jc, q,
				"'%s' is not shorter than the previous reminder's '%s'; expected "
				"reminders in time order (longest \"before\" first)",
				rs[i].before_text, rs[i - 1].before_text);
		if (load_notify(ld, r, p, &rs[i].notify) < 0)
			return -1;
	}

	const json_t *od = json_object_get(o, "overdue");
	if (od) {
		jc_subpath(p, path, ".overdue");
		dl->has_overdue = 1;
		if (jc_check_object(&ld->jc, od, p, "an overdue notification", overdue_keys,
				    overdue_keys) < 0 ||
		    load_notify(ld, od, p, &dl->overdue) < 0)
			return -1;
	}
	return 0;
}

static int load_deadlines(struct loader *ld, const json_t *st, const char *path,
			  struct wf_state *s)
{
	int bad = 0;
	const json_t *a = get_array(ld, st, "deadlines", path, "deadlines", &s->ndeadlines, &bad);
	if (bad)
		return -1;
	struct wf_deadline *ds = alloc(ld->im, s->ndeadlines, sizeof *ds);
	s->deadlines = ds;
	for (size_t i = 0; i < s->ndeadlines; i++) {
		char p[JC_PATH_LEN];
		jc_subpath(p, path, ".deadlines[%zu]", i);
		if (load_deadline(ld, json_array_get(a, i), p, &ds[i]) < 0)
			return -1;
		for (size_t j = 0; j < i; j++)
			if (strcmp(ds[j].key, ds[i].key) == 0)
				return jc_fail(
					&ld->jc, jc_subpath(p, path, ".deadlines[%zu].key", i),
					"'%s' is already the key of %s.deadlines[%zu]; expected "
					"keys unique within the state",
					ds[i].key, path, j);
	}
	return 0;
}

static int load_escalation(struct loader *ld, const json_t *st, const char *path,
			   struct wf_state *s)
{
	static const char *const keys[] = {"after", "notify", "template", "repeat",
					   "max",   "clock",  "cases",	  NULL};
	static const char *const required[] = {"after", "notify", "template", NULL};
	static const char *const case_keys[] = {"when", "after", "clock", NULL};
	static const char *const case_required[] = {"when", NULL};
	int bad = 0;
	const json_t *a = get_array(ld, st, "escalation", path,
				    "steps {\"after\": ..., \"notify\": ..., \"template\": ...}",
				    &s->nescalation, &bad);
	if (bad)
		return -1;
	struct wf_escalation *es = alloc(ld->im, s->nescalation, sizeof *es);
	s->escalation = es;
	for (size_t i = 0; i < s->nescalation; i++) {
		char p[JC_PATH_LEN], q[JC_PATH_LEN];
		const json_t *o = json_array_get(a, i);
		struct wf_escalation *e = &es[i];
		jc_subpath(p, path, ".escalation[%zu]", i);
		if (jc_check_object(&ld->jc, o, p, "an escalation step", keys, required) < 0 ||
		    jc_get_duration(&ld->jc, o, "after", p, &e->after, &e->after_text) < 0 ||
		    get_clock(ld, o, p, WF_CLOCK_CALENDAR, &e->clock) < 0 ||
		    office_fits(ld, p, "after", &e->after, e->after_text, e->clock) < 0)
			return -1;
		if (i > 0 && duration_approx_seconds(&e->after) <=
				     duration_approx_seconds(&es[i - 1].after))
			return jc_fail(
				&ld->jc, jc_subpath(q, p, ".after"),
				"'%s' does not come after the previous step's '%s'; expected "
				"steps in increasing order of \"after\"",
				e->after_text, es[i - 1].after_text);
		const json_t *rep = json_object_get(o, "repeat"), *max = json_object_get(o, "max");
		e->max = 1;
		if (rep) {
			if (jc_get_duration(&ld->jc, o, "repeat", p, &e->repeat, &e->repeat_text) <
			    0)
				return -1;
			if (duration_approx_seconds(&e->repeat) <= 0)
				return jc_fail(&ld->jc, jc_subpath(q, p, ".repeat"),
					       "'%s' is no time at all; expected how long to wait "
					       "between repeats, such as PT1H",
					       e->repeat_text);
			if (!max)
				return jc_fail(
					&ld->jc, p,
					"a repeating step without \"max\"; expected how many "
					"times it notifies in all, such as \"max\": 6");
			e->has_repeat = 1;
		}
		if (max) {
			long long m;
			if (!rep)
				return jc_fail(
					&ld->jc, jc_subpath(q, p, ".max"),
					"\"max\" without \"repeat\"; a step that does not repeat "
					"notifies once");
			if (int_at(ld, max, jc_subpath(q, p, ".max"), 1, 1000, &m) < 0)
				return -1;
			e->max = (int)m;
		}
		if (rep && office_fits(ld, p, "repeat", &e->repeat, e->repeat_text, e->clock) < 0)
			return -1;
		const json_t *ca = get_array(ld, o, "cases", p,
					     "cases {\"when\": ..., \"clock\": ..., \"after\": ...}",
					     &e->ncases, &bad);
		if (bad)
			return -1;
		struct wf_step_case *cs = alloc(ld->im, e->ncases, sizeof *cs);
		e->cases = cs;
		for (size_t k = 0; k < e->ncases; k++) {
			const json_t *c = json_array_get(ca, k);
			char cp[JC_PATH_LEN];
			jc_subpath(cp, p, ".cases[%zu]", k);
			if (jc_check_object(&ld->jc, c, cp, "a case", case_keys, case_required) < 0 ||
			    cond_get(&ld->jc, c, cp, &cs[k].when) < 0 ||
			    get_clock(ld, c, cp, e->clock, &cs[k].clock) < 0)
				return -1;
			if (!json_object_get(c, "after") && !json_object_get(c, "clock"))
				return jc_fail(&ld->jc, cp,
					       "a case that changes nothing; expected \"clock\", "
					       "\"after\" or both");
			if (json_object_get(c, "after")) {
				if (jc_get_duration(&ld->jc, c, "after", cp, &cs[k].after,
						    &cs[k].after_text) < 0)
					return -1;
				cs[k].has_after = 1;
			} else {
				cs[k].after = e->after;
				cs[k].after_text = e->after_text;
			}
			if (office_fits(ld, cp, "after", &cs[k].after, cs[k].after_text,
					cs[k].clock) < 0 ||
			    (rep && office_fits(ld, p, "repeat", &e->repeat, e->repeat_text,
						cs[k].clock) < 0))
				return -1;
		}
		if (load_notify(ld, o, p, &e->notify) < 0)
			return -1;
	}
	return 0;
}

/* ---- actions ---- */

/* A dotted path of identifiers ("severity", "personal_data.persons"). */
static int is_fact_path(const char *s)
{
	char seg[WF_NAME_MAX + 1];
	size_t len = strlen(s);
	if (len == 0 || len > 255)
		return 0;
	while (*s) {
		size_t n = strcspn(s, ".");
		if (n == 0 || n > WF_NAME_MAX)
			return 0;
		memcpy(seg, s, n);
		seg[n] = '\0';
		if (!is_id(seg, 0))
			return 0;
		s += n;
		if (*s == '.' && !*++s)
			return 0;
	}
	return 1;
}

static int load_field(struct loader *ld, const json_t *o, const char *path, struct wf_field *f)
{
	static const char *const keys[] = {"name", "title", "type", "required",
					   "min",  "max",   "fact", NULL};
	static const char *const required[] = {"name", "title", NULL};
	char p[JC_PATH_LEN];
	size_t i;

	if (jc_check_object(&ld->jc, o, path, "a field", keys, required) < 0)
		return -1;
	f->name = id_at(ld, json_object_get(o, "name"), jc_subpath(p, path, ".name"),
			"a field name", "reason");
	if (!f->name || get_text(ld, o, "title", path, &f->title) < 0)
		return -1;
	f->type = WF_FIELD_TEXT;
	f->type_name = field_types[0];
	if (json_object_get(o, "type")) {
		const char *t;
		if (jc_get_string(&ld->jc, o, "type", path, &t) < 0)
			return -1;
		for (i = 0; i < sizeof field_types / sizeof field_types[0]; i++)
			if (strcmp(field_types[i], t) == 0)
				break;
		if (i == sizeof field_types / sizeof field_types[0])
			return jc_fail(
				&ld->jc, jc_subpath(p, path, ".type"),
				"'%s' is not a field type; expected text, integer, boolean or "
				"datetime",
				t);
		f->type = field_type_values[i];
		f->type_name = field_types[i];
	}
	const json_t *req = json_object_get(o, "required");
	if (req && !json_is_boolean(req))
		return jc_fail(&ld->jc, jc_subpath(p, path, ".required"),
			       "expected true or false, found %s", jc_type_name(req, 1));
	f->required = json_is_true(req);

	const json_t *min = json_object_get(o, "min"), *max = json_object_get(o, "max");
	switch (f->type) {
	case WF_FIELD_TEXT:
		if (min)
			return jc_fail(&ld->jc, jc_subpath(p, path, ".min"),
				       "\"min\" applies to integer fields; a required text field "
				       "needs at least one character");
		f->min = f->required ? 1 : 0;
		f->max = WF_TEXT_DEFAULT_MAX;
		if (max &&
		    int_at(ld, max, jc_subpath(p, path, ".max"), 1, WF_TEXT_LIMIT, &f->max) < 0)
			return -1;
		break;
	case WF_FIELD_INTEGER:
		f->min = LLONG_MIN;
		f->max = LLONG_MAX;
		if (min &&
		    int_at(ld, min, jc_subpath(p, path, ".min"), LLONG_MIN, LLONG_MAX, &f->min) < 0)
			return -1;
		if (max &&
		    int_at(ld, max, jc_subpath(p, path, ".max"), f->min, LLONG_MAX, &f->max) < 0)
			return -1;
		break;
	case WF_FIELD_BOOLEAN:
	case WF_FIELD_DATETIME:
		if (min || max)
			return jc_fail(&ld->jc, jc_subpath(p, path, min ? ".min" : ".max"),
				       "a %s field has no \"min\" or \"max\"", f->type_name);
		break;
	}
	if (json_object_get(o, "fact")) {
		if (jc_get_string(&ld->jc, o, "fact", path, &f->fact) < 0)
			return -1;
		if (!is_fact_path(f->fact))
			return jc_fail(
				&ld->jc, jc_subpath(p, path, ".fact"),
				"'%s' is not a fact; expected a dotted path of lower-case names, "
				"such as \"severity\"",
				f->fact);
	}
	return 0;
}

static int state_index(const struct loader *ld, const char *name)
{
	for (size_t i = 0; i < ld->nnames; i++)
		if (strcmp(ld->names[i], name) == 0)
			return (int)i;
	return -1;
}

/* "'x' is not a state; expected one of a, b or c" at p. */
static int not_a_state(struct loader *ld, const char *p, const char *name)
{
	buf b = BUF_INIT;
	for (size_t i = 0; i < ld->nnames; i++)
		buf_printf(&b, "%s%s", i == 0 ? "" : i + 1 == ld->nnames ? " or " : ", ",
			   ld->names[i]);
	jc_fail(&ld->jc, p, "'%s' is not a state; expected %s", name, buf_cstr(&b));
	buf_release(&b);
	return -1;
}

static int load_action(struct loader *ld, const char *name, const json_t *o, const char *path,
		       struct wf_action *ac)
{
	static const char *const keys[] = {"title", "to", "by", "fields", NULL};
	static const char *const required[] = {"title", "to", "by", NULL};
	char p[JC_PATH_LEN];
	int bad = 0;

	ac->name = name;
	if (jc_check_object(&ld->jc, o, path, "an action", keys, required) < 0 ||
	    get_text(ld, o, "title", path, &ac->title) < 0 ||
	    jc_get_string(&ld->jc, o, "to", path, &ac->to) < 0)
		return -1;
	int to = state_index(ld, ac->to);
	if (to < 0)
		return not_a_state(ld, jc_subpath(p, path, ".to"), ac->to);
	ac->to_state = &ld->states[to];

	const json_t *by = json_object_get(o, "by");
	jc_subpath(p, path, ".by");
	if (!json_is_array(by) || json_array_size(by) == 0)
		return jc_fail(&ld->jc, p,
			       "expected a non-empty array of \"owner\" and roles (" ROLE_LIST
			       "), found %s",
			       json_is_array(by) ? "an empty one" : jc_type_name(by, 1));
	const char **list = alloc(ld->im, json_array_size(by), sizeof *list);
	for (size_t i = 0; i < json_array_size(by); i++) {
		char q[JC_PATH_LEN];
		const json_t *v = json_array_get(by, i);
		const char *role;
		jc_subpath(q, p, "[%zu]", i);
		if (json_is_string(v) && strcmp(json_string_value(v), "owner") == 0) {
			if (!ld->owner_role)
				return jc_fail(&ld->jc, q,
					       "the state has no owner; name a role instead");
			role = ld->owner_role;
		} else if (!json_is_string(v)) {
			return jc_fail(&ld->jc, q, "expected \"owner\" or a role, found %s",
				       jc_type_name(v, 1));
		} else if (!(role = find_role(json_string_value(v)))) {
			return jc_fail(&ld->jc, q,
				       "'%s' is not a role; expected \"owner\" or " ROLE_LIST,
				       json_string_value(v));
		}
		size_t j;
		for (j = 0; j < ac->nby; j++)
			if (list[j] == role)
				break;
		if (j == ac->nby)
			list[ac->nby++] = role;
	}
	ac->by = list;

	const json_t *a = get_array(ld, o, "fields", path,
				    "fields {\"name\": ..., \"title\": ...}", &ac->nfields, &bad);
	if (bad)
		return -1;
	struct wf_field *fs = alloc(ld->im, ac->nfields, sizeof *fs);
	ac->fields = fs;
	for (size_t i = 0; i < ac->nfields; i++) {
		jc_subpath(p, path, ".fields[%zu]", i);
		if (load_field(ld, json_array_get(a, i), p, &fs[i]) < 0)
			return -1;
		for (size_t j = 0; j < i; j++)
			if (strcmp(fs[j].name, fs[i].name) == 0)
				return jc_fail(
					&ld->jc, jc_subpath(p, path, ".fields[%zu].name", i),
					"'%s' is already the name of %s.fields[%zu]; expected "
					"field names unique within the action",
					fs[i].name, path, j);
	}
	return 0;
}

static int load_actions(struct loader *ld, const json_t *st, const char *path,
			struct wf_state *s)
{
	const json_t *acts = json_object_get(st, "actions");
	char p[JC_PATH_LEN];
	const char *name;
	json_t *o;

	if (!acts)
		return 0;
	jc_subpath(p, path, ".actions");
	if (!json_is_object(acts))
		return jc_fail(&ld->jc, p,
			       "expected the actions (an object of name: action), found %s",
			       jc_type_name(acts, 1));
	if (json_object_size(acts) == 0)
		return jc_fail(&ld->jc, p,
			       "expected at least one action (or leave \"actions\" out)");
	struct wf_action *as = alloc(ld->im, json_object_size(acts), sizeof *as);
	s->actions = as;
	json_object_foreach(jc_unconst(acts), name, o) {
		char q[JC_PATH_LEN];
		jc_subpath(q, p, ".%s", name);
		if (!is_id(name, 0))
			return jc_fail(&ld->jc, q,
				       "'%s' is not an action name; " ID_EXPECTED
				       ", such as \"acknowledge\"",
				       name);
		if (load_action(ld, name, o, q, &as[s->nactions]) < 0)
			return -1;
		s->nactions++;
	}
	return 0;
}

/* ---- states ---- */

static int load_state(struct loader *ld, const char *name, const json_t *st, const char *path,
		      struct wf_state *s)
{
	static const char *const keys[] = {"title",	"description", "owner",	  "terminal",
					   "on_enter", "deadlines",   "escalation", "actions",
					   "milestone", NULL};
	static const char *const required[] = {"title", NULL};
	static const char *const owner_keys[] = {"role", "scope", NULL};
	static const char *const owner_required[] = {"role", NULL};
	char p[JC_PATH_LEN];

	s->name = name;
	if (jc_check_object(&ld->jc, st, path, "a state", keys, required) < 0 ||
	    get_text(ld, st, "title", path, &s->title) < 0 ||
	    get_opt_text(ld, st, "description", path, &s->has_description, &s->description) < 0)
		return -1;
	const json_t *term = json_object_get(st, "terminal");
	if (term && !json_is_boolean(term))
		return jc_fail(&ld->jc, jc_subpath(p, path, ".terminal"),
			       "expected true or false, found %s", jc_type_name(term, 1));
	s->terminal = json_is_true(term);
	/* read by the database (incident_milestone in sql/0008_dashboard.sql) */
	const json_t *ms = json_object_get(st, "milestone");
	const char *msv = json_string_value(ms);
	if (ms && !(msv && (strcmp(msv, "acknowledged") == 0 || strcmp(msv, "contained") == 0 ||
			    strcmp(msv, "closed") == 0))) {
		if (msv)
			return jc_fail(&ld->jc, jc_subpath(p, path, ".milestone"),
				       "expected \"acknowledged\", \"contained\" or \"closed\", "
				       "found '%s'", msv);
		return jc_fail(&ld->jc, jc_subpath(p, path, ".milestone"),
			       "expected \"acknowledged\", \"contained\" or \"closed\", found %s",
			       jc_type_name(ms, 1));
	}

	const json_t *owner = json_object_get(st, "owner");
	if (owner) {
		jc_subpath(p, path, ".owner");
		if (jc_check_object(&ld->jc, owner, p, "an owner {\"role\": ROLE}", owner_keys,
				    owner_required) < 0)
			return -1;
		char q[JC_PATH_LEN];
		s->owner_role =
			role_at(ld, json_object_get(owner, "role"), jc_subpath(q, p, ".role"));
		if (!s->owner_role || get_scope(ld, owner, p, &s->owner_scope) < 0)
			return -1;
	} else if (!s->terminal) {
		return jc_fail(
			&ld->jc, path,
			"a state without \"owner\"; expected {\"role\": ROLE} (only a terminal "
			"state may have no owner)");
	}
	ld->owner_role = s->owner_role;
	ld->owner_scope = s->owner_scope;

	if (s->terminal) {
		static const char *const busy[] = {"actions", "escalation", "deadlines"};
		for (size_t i = 0; i < sizeof busy / sizeof busy[0]; i++)
			if (json_object_get(st, busy[i]))
				return jc_fail(&ld->jc, jc_subpath(p, path, ".%s", busy[i]),
					       "a terminal state has no %s; the workflow ends here "
					       "(remove \"%s\" or \"terminal\")",
					       busy[i], busy[i]);
	}
	if (load_on_enter(ld, st, path, s) < 0 || load_deadlines(ld, st, path, s) < 0 ||
	    load_escalation(ld, st, path, s) < 0 || load_actions(ld, st, path, s) < 0)
		return -1;
	if (!s->terminal && s->nactions == 0)
		return jc_fail(&ld->jc, path,
			       "a dead end: the state is not terminal and has no actions; expected "
			       "\"actions\" leading on, or \"terminal\": true");
	return 0;
}

/* Every state can be reached from the initial one, and a terminal state can
 * be reached from every state. */
static int check_graph(struct loader *ld, struct wf_def *def)
{
	size_t n = def->nstates;
	unsigned char *seen = xcalloc(n, 1);
	size_t *queue = xcalloc(n, sizeof *queue);
	size_t head = 0, tail = 0;
	int rc = 0;
	char p[JC_PATH_LEN];

	size_t init = (size_t)(def->initial_state - def->states);
	seen[init] = 1;
	queue[tail++] = init;
	while (head < tail) {
		const struct wf_state *s = &def->states[queue[head++]];
		for (size_t a = 0; a < s->nactions; a++) {
			size_t t = (size_t)(s->actions[a].to_state - def->states);
			if (!seen[t]) {
				seen[t] = 1;
				queue[tail++] = t;
			}
		}
	}
	for (size_t i = 0; i < n && rc == 0; i++)
		if (!seen[i])
			rc = jc_fail(
				&ld->jc, jc_subpath(p, "$.states", ".%s", def->states[i].name),
				"unreachable: no action leads here from the initial state '%s'",
				def->initial);

	/* Backwards from the terminal states. */
	memset(seen, 0, n);
	for (size_t i = 0; i < n; i++)
		seen[i] = (unsigned char)def->states[i].terminal;
	for (int changed = 1; changed && rc == 0;) {
		changed = 0;
		for (size_t i = 0; i < n; i++) {
			if (seen[i])
				continue;
			const struct wf_state *s = &def->states[i];
			for (size_t a = 0; a < s->nactions; a++)
				if (seen[s->actions[a].to_state - def->states]) {
					seen[i] = 1;
					changed = 1;
					break;
				}
		}
	}
	for (size_t i = 0; i < n && rc == 0; i++)
		if (!seen[i])
			rc = jc_fail(
				&ld->jc, jc_subpath(p, "$.states", ".%s", def->states[i].name),
				"no terminal state can be reached from here; expected an action "
				"that leads towards a state with \"terminal\": true");
	free(seen);
	free(queue);
	return rc;
}

static int load_def(struct loader *ld, struct wf_def *def, const json_t *root)
{
	static const char *const keys[] = {"workflow", "version", "title",	 "description",
					   "start",    "initial", "states", "incident_close", NULL};
	static const char *const required[] = {"workflow", "version", "title", "start",
					       "initial",  "states",  NULL};
	char p[JC_PATH_LEN];
	long long version;

	if (jc_check_object(&ld->jc, root, "$", "a workflow", keys, required) < 0 ||
	    jc_get_string(&ld->jc, root, "workflow", "$", &def->name) < 0)
		return -1;
	if (!is_id(def->name, 1))
		return jc_fail(&ld->jc, "$.workflow",
			       "'%s' is not a workflow name; expected a lower-case letter, then "
			       "lower-case letters, digits, '_' or '-' (at most 63), such as "
			       "\"reporting-duty\"",
			       def->name);
	if (int_at(ld, json_object_get(root, "version"), "$.version", 1, INT32_MAX, &version) < 0)
		return -1;
	def->version = version;
	if (get_text(ld, root, "title", "$", &def->title) < 0 ||
	    get_opt_text(ld, root, "description", "$", &def->has_description,
			 &def->description) < 0)
		return -1;

	const json_t *start = json_object_get(root, "start");
	if (json_is_string(start) && strcmp(json_string_value(start), "always") == 0) {
		def->start = WF_START_ALWAYS;
	} else if (json_is_object(start)) {
		static const char *const start_keys[] = {"when", NULL};
		if (jc_check_object(&ld->jc, start, "$.start", "a start rule {\"when\": CONDITION}",
				    start_keys, start_keys) < 0 ||
		    cond_get(&ld->jc, start, "$.start", &def->start_when) < 0)
			return -1;
		def->start = WF_START_WHEN;
	} else {
		if (json_is_string(start))
			return jc_fail(&ld->jc, "$.start",
				       "'%s' is not a start rule; expected \"always\" or "
				       "{\"when\": CONDITION}",
				       json_string_value(start));
		return jc_fail(&ld->jc, "$.start",
			       "expected \"always\" or {\"when\": CONDITION}, found %s",
			       jc_type_name(start, 1));
	}

	const json_t *ic = json_object_get(root, "incident_close");
	if (ic) {
		const char *v = json_is_string(ic) ? json_string_value(ic) : NULL;
		if (v && strcmp(v, "stops") == 0)
			def->incident_close = WF_CLOSE_STOPS;
		else if (v && strcmp(v, "waivable") == 0)
			def->incident_close = WF_CLOSE_WAIVABLE;
		else if (v && strcmp(v, "blocks") == 0)
			def->incident_close = WF_CLOSE_BLOCKS;
		else if (v)
			return jc_fail(&ld->jc, "$.incident_close",
				       "'%s' is not a closing rule; expected \"stops\", \"waivable\" "
				       "or \"blocks\"",
				       v);
		else
			return jc_fail(&ld->jc, "$.incident_close",
				       "expected \"stops\", \"waivable\" or \"blocks\", found %s",
				       jc_type_name(ic, 1));
	}

	const json_t *states = json_object_get(root, "states");
	if (!json_is_object(states))
		return jc_fail(&ld->jc, "$.states",
			       "expected the states (an object of name: state), found %s",
			       jc_type_name(states, 1));
	if (json_object_size(states) == 0)
		return jc_fail(&ld->jc, "$.states", "expected at least one state");
	const char *name;
	json_t *st;
	ld->names = alloc(ld->im, json_object_size(states), sizeof *ld->names);
	json_object_foreach(jc_unconst(states), name, st) {
		(void)st;
		if (!is_id(name, 0))
			return jc_fail(&ld->jc, jc_subpath(p, "$.states", ".%s", name),
				       "'%s' is not a state name; " ID_EXPECTED
				       ", such as \"reported\"",
				       name);
		ld->names[ld->nnames++] = name;
	}

	if (jc_get_string(&ld->jc, root, "initial", "$", &def->initial) < 0)
		return -1;
	if (state_index(ld, def->initial) < 0)
		return not_a_state(ld, "$.initial", def->initial);

	struct wf_state *ss = alloc(ld->im, ld->nnames, sizeof *ss);
	ld->states = ss;
	def->states = ss;
	def->nstates = ld->nnames;
	size_t i = 0;
	json_object_foreach(jc_unconst(states), name, st) {
		if (load_state(ld, name, st, jc_subpath(p, "$.states", ".%s", name), &ss[i]) < 0)
			return -1;
		i++;
	}
	def->initial_state = &ss[state_index(ld, def->initial)];
	return check_graph(ld, def);
}

struct wf_def *wf_parse(const char *origin, const char *text, size_t len, char *err,
			size_t errlen)
{
	struct impl *im = xcalloc(1, sizeof *im);
	struct wf_def *def = &im->def;
	json_error_t jerr;

	if (!origin)
		origin = "(workflow)";
	im->origin = xstrdup(origin);
	def->origin = im->origin;
	if (err && errlen)
		err[0] = '\0';
	struct loader ld = {.jc = {.file = im->origin,
				   .err = err,
				   .errlen = err ? errlen : 0,
				   .whole_numbers = 1},
			    .im = im};

	if (len > WF_FILE_MAX) {
		snprintf(err, ld.jc.errlen, "%s: the file has %zu bytes; expected at most %d",
			 origin, len, WF_FILE_MAX);
		goto fail;
	}
	im->source = xmalloc(len + 1);
	if (len)
		memcpy(im->source, text, len);
	im->source[len] = '\0';
	def->source = im->source;
	def->source_len = len;
	unsigned char h[crypto_hash_sha256_BYTES];
	crypto_hash_sha256(h, (const unsigned char *)im->source, len);
	sodium_bin2hex(def->sha256, sizeof def->sha256, h, sizeof h);

	im->root = json_loadb(im->source, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!im->root) {
		if (jerr.line <= 0)
			snprintf(err, ld.jc.errlen, "%s: not JSON: %s", origin, jerr.text);
		else
			snprintf(err, ld.jc.errlen, "%s:%d:%d: %s", origin, jerr.line, jerr.column,
				 jerr.text);
		goto fail;
	}
	def->json = im->root;
	if (load_def(&ld, def, im->root) < 0)
		goto fail;
	return def;

fail:
	wf_free(def);
	return NULL;
}

struct wf_def *wf_load_file(const char *path, char *err, size_t errlen)
{
	buf b = BUF_INIT;
	int rc = file_read_all(path, WF_FILE_MAX, &b);
	if (rc == FILE_ERROR) {
		snprintf(err, errlen, "%s: unable to read the workflow file: %s", path,
			 strerror(errno));
		buf_release(&b);
		return NULL;
	}
	struct wf_def *def = wf_parse(path, b.data ? b.data : "", b.len, err, errlen);
	buf_release(&b);
	return def;
}

void wf_free(struct wf_def *def)
{
	if (!def)
		return;
	struct impl *im = (struct impl *)def;
	for (size_t i = 0; i < im->nallocs; i++)
		free(im->allocs[i]);
	free(im->allocs);
	json_decref(im->root);
	free(im->source);
	free(im->origin);
	free(im);
}

const struct wf_state *wf_find_state(const struct wf_def *def, const char *name)
{
	for (size_t i = 0; def && name && i < def->nstates; i++)
		if (strcmp(def->states[i].name, name) == 0)
			return &def->states[i];
	return NULL;
}

const struct wf_action *wf_find_action(const struct wf_state *state, const char *name)
{
	for (size_t i = 0; state && name && i < state->nactions; i++)
		if (strcmp(state->actions[i].name, name) == 0)
			return &state->actions[i];
	return NULL;
}

int wf_should_start(const struct wf_def *def, const json_t *facts)
{
	if (!def)
		return 0;
	if (def->start == WF_START_ALWAYS)
		return 1;
	return cond_eval(def->start_when, facts);
}

int wf_notify_applies(const struct wf_notify *n, const json_t *facts)
{
	return n && (!n->when || cond_eval(n->when, facts));
}

void wf_step_timing(const struct wf_escalation *es, const json_t *facts,
		    const struct duration **after, enum wf_clock *clock)
{
	for (size_t i = 0; i < es->ncases; i++)
		if (cond_eval(es->cases[i].when, facts)) {
			*after = &es->cases[i].after;
			*clock = es->cases[i].clock;
			return;
		}
	*after = &es->after;
	*clock = es->clock;
}

enum wf_clock wf_deadline_clock(const struct wf_deadline *dl, const json_t *facts)
{
	for (size_t i = 0; i < dl->ncases; i++)
		if (cond_eval(dl->cases[i].when, facts))
			return dl->cases[i].clock;
	return dl->clock;
}

const struct duration *wf_deadline_after(const struct wf_deadline *dl, const json_t *facts)
{
	for (size_t i = 0; i < dl->ncases; i++)
		if (cond_eval(dl->cases[i].when, facts))
			return &dl->cases[i].after;
	return &dl->after;
}

/* ---- sets ---- */

int wf_check_set(const struct wf_def *const *defs, size_t n, char *err, size_t errlen)
{
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < i; j++)
			if (strcmp(defs[i]->name, defs[j]->name) == 0) {
				snprintf(err, errlen,
					 "%s: $.workflow: '%s' is already the name of the workflow "
					 "in %s; expected each workflow once (raise \"version\" to "
					 "change one)",
					 defs[i]->origin, defs[i]->name, defs[j]->origin);
				return -1;
			}
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

struct wf_set *wf_load_dir(const char *dir, char *err, size_t errlen)
{
	DIR *d = opendir(dir);
	if (!d) {
		snprintf(err, errlen, "%s: unable to open the workflow directory: %s", dir,
			 strerror(errno));
		return NULL;
	}
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);
		if (len <= 5 || e->d_name[0] == '.' || strcmp(e->d_name + len - 5, ".json") != 0 ||
		    strcmp(e->d_name, WF_LEGAL_FILE) == 0)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 8;
			names = xrealloc(names, cap * sizeof *names);
		}
		names[n++] = xstrdup(e->d_name);
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof *names, cmp_str);

	struct wf_set *set = xcalloc(1, sizeof *set);
	set->defs = n ? xcalloc(n, sizeof *set->defs) : NULL;
	int ok = 1;
	for (size_t i = 0; i < n && ok; i++) {
		char *path = xasprintf("%s/%s", dir, names[i]);
		struct wf_def *def = wf_load_file(path, err, errlen);
		free(path);
		if (!def) {
			ok = 0;
			break;
		}
		set->defs[set->n++] = def;
		size_t stem = strlen(names[i]) - 5;
		if (strlen(def->name) != stem || strncmp(def->name, names[i], stem) != 0) {
			snprintf(err, errlen,
				 "%s: $.workflow: '%s' does not match the file name; expected "
				 "'%.*s' (a workflow lives in NAME.json)",
				 def->origin, def->name, (int)stem, names[i]);
			ok = 0;
		}
	}
	if (ok && wf_check_set((const struct wf_def *const *)set->defs, set->n, err, errlen) < 0)
		ok = 0;
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	if (!ok) {
		wf_set_free(set);
		return NULL;
	}
	return set;
}

void wf_set_free(struct wf_set *set)
{
	if (!set)
		return;
	for (size_t i = 0; i < set->n; i++)
		wf_free(set->defs[i]);
	free(set->defs);
	free(set);
}

const struct wf_def *wf_set_find(const struct wf_set *set, const char *name)
{
	for (size_t i = 0; set && name && i < set->n; i++)
		if (strcmp(set->defs[i]->name, name) == 0)
			return set->defs[i];
	return NULL;
}

int wf_check_files(const char *const *paths, size_t n, FILE *out, FILE *errs)
{
	struct wf_def **defs = n ? xcalloc(n, sizeof *defs) : NULL;
	size_t ndefs = 0;
	int bad = 0;
	char err[2048];

	for (size_t i = 0; i < n; i++) {
		const char *slash = strrchr(paths[i], '/');
		if (strcmp(slash ? slash + 1 : paths[i], WF_LEGAL_FILE) == 0) {
			/* The legal clocks share the folder: check them by their schema. */
			struct legal_rules *r = legal_load(paths[i], err, sizeof err);
			if (r)
				fprintf(out, "%s: ok (legal clock rules)\n", paths[i]);
			else
				fprintf(errs, "%s\n", err);
			bad += r == NULL;
			legal_free(r);
			continue;
		}
		struct wf_def *def = wf_load_file(paths[i], err, sizeof err);
		if (!def) {
			fprintf(errs, "%s\n", err);
			bad++;
			continue;
		}
		fprintf(out, "%s: ok (%s version %lld, %zu states)\n", paths[i], def->name,
			def->version, def->nstates);
		defs[ndefs++] = def;
	}
	if (wf_check_set((const struct wf_def *const *)defs, ndefs, err, sizeof err) < 0) {
		fprintf(errs, "%s\n", err);
		bad++;
	}
	for (size_t i = 0; i < ndefs; i++)
		wf_free(defs[i]);
	free(defs);
	return bad;
}
