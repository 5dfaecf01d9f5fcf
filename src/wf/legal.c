/* Legal clocks (see legal.h): a strict loader that turns the rules file into
 * C arrays over the parsed JSON it keeps alive, and an evaluator that reports
 * which clocks, reasons and deadlines apply to an incident's facts. */
#include "legal.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core/duration.h"
#include "core/xalloc.h"
#include "wf/condition.h"

/* Strings and conditions below are borrowed from legal_rules.root. */
struct legal_text {
	const char *ja, *en;
};

struct legal_reason {
	const json_t *when;
	struct legal_text text;
};

struct legal_case {
	const json_t *when;
	const char *after;
	char interval[DURATION_PG_INTERVAL_MAX];
};

struct legal_deadline {
	const char *key;
	struct legal_text title;
	const char *from;
	const char *after;
	char interval[DURATION_PG_INTERVAL_MAX];
	size_t ncases;
	struct legal_case *cases;
};

struct legal_clock {
	const char *key;
	struct legal_text title;
	const json_t *when;
	size_t nreasons;
	struct legal_reason *reasons;
	size_t ndeadlines;
	struct legal_deadline *deadlines;
	size_t nalso;
	struct legal_text *also;
};

struct legal_rules {
	json_t *root;
	size_t nclocks;
	struct legal_clock *clocks;
};

/* The timestamps a deadline may count from. */
static const char *const anchors[] = {"discovered_at", "occurred_at", "reported_at"};

#define ID_MAX 63

struct loader {
	const char *file;
	char *err;
	size_t errlen;
};

static int fail(struct loader *ld, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct loader *ld, const char *path, const char *fmt, ...)
{
	int n = snprintf(ld->err, ld->errlen, "%s: %s: ", ld->file, path);
	if (n >= 0 && (size_t)n < ld->errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(ld->err + n, ld->errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -1;
}

#define PATH_LEN 512

/* Writes path followed by a formatted suffix into p (PATH_LEN bytes); the
 * paths of this schema are short, and a long one is only cut in a message. */
static const char *subpath(char *p, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static const char *subpath(char *p, const char *path, const char *fmt, ...)
{
	int n = snprintf(p, PATH_LEN, "%s", path);
	if (n >= 0 && n < PATH_LEN) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(p + n, PATH_LEN - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return p;
}

static const char *type_name(const json_t *j)
{
	if (!j)
		return "nothing";
	if (json_is_object(j))
		return "an object";
	if (json_is_array(j))
		return "an array";
	if (json_is_string(j))
		return "a string";
	if (json_is_number(j))
		return "a number";
	if (json_is_boolean(j))
		return "a boolean";
	return "null";
}

/* jansson's object iteration takes a non-const pointer although it only
 * reads. */
static json_t *unconst(const json_t *j)
{
	return (json_t *)(uintptr_t)j;
}

/* Checks that obj (at path) is an object whose keys are all in allowed (a
 * NULL-terminated list) and that every key of required is present. what
 * describes obj for the message ("a clock"). */
static int check_object(struct loader *ld, const json_t *obj, const char *path,
			const char *what, const char *const *allowed, const char *const *required)
{
	const char *key;
	json_t *v;

	if (!json_is_object(obj))
		return fail(ld, path, "expected %s (an object), found %s", what, type_name(obj));
	json_object_foreach(unconst(obj), key, v) {
		(void)v;
		size_t i;
		for (i = 0; allowed[i]; i++)
			if (strcmp(allowed[i], key) == 0)
				break;
		if (allowed[i])
			continue;
		char list[256] = "";
		size_t len = 0;
		for (i = 0; allowed[i]; i++) {
			int n = snprintf(list + len, sizeof list - len, "%s%s",
					 i == 0 ? "" : allowed[i + 1] ? ", " : " or ", allowed[i]);
			if (n < 0 || (size_t)n >= sizeof list - len)
				break;
			len += (size_t)n;
		}
		char p[PATH_LEN];
		subpath(p, path, ".%s", key);
		return fail(ld, p, "unknown key in %s; expected %s", what, list);
	}
	for (size_t i = 0; required[i]; i++)
		if (!json_object_get(obj, required[i]))
			return fail(ld, path, "%s without \"%s\"", what, required[i]);
	return 0;
}

static int get_string(struct loader *ld, const json_t *obj, const char *key, const char *path,
		      const char **out)
{
	const json_t *v = json_object_get(obj, key);
	char p[PATH_LEN];
	subpath(p, path, ".%s", key);
	if (!json_is_string(v))
		return fail(ld, p, "expected a string, found %s", type_name(v));
	if (json_string_length(v) == 0)
		return fail(ld, p, "expected a non-empty string");
	if (strlen(json_string_value(v)) != json_string_length(v))
		return fail(ld, p, "the string contains a NUL character");
	*out = json_string_value(v);
	return 0;
}

/* The "ja" and "en" members of obj (a TEXT, or a REASON that carries them),
 * whose presence check_object has already seen to. */
static int get_text_fields(struct loader *ld, const json_t *obj, const char *path,
			   struct legal_text *out)
{
	if (get_string(ld, obj, "ja", path, &out->ja) < 0 ||
	    get_string(ld, obj, "en", path, &out->en) < 0)
		return -1;
	return 0;
}

static int get_text(struct loader *ld, const json_t *v, const char *path, struct legal_text *out)
{
	static const char *const keys[] = {"ja", "en", NULL};
	if (check_object(ld, v, path, "a text {\"ja\": \"...\", \"en\": \"...\"}", keys, keys) < 0)
		return -1;
	return get_text_fields(ld, v, path, out);
}

static int get_id(struct loader *ld, const json_t *obj, const char *path, const char **out)
{
	char p[PATH_LEN];
	if (get_string(ld, obj, "key", path, out) < 0)
		return -1;
	subpath(p, path, ".key");
	const char *s = *out;
	int ok = s[0] >= 'a' && s[0] <= 'z' && strlen(s) <= ID_MAX;
	for (const char *c = s; ok && *c; c++)
		ok = (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_';
	if (!ok)
		return fail(ld, p,
			    "'%s' is not a key; expected a lower-case letter, then letters, "
			    "digits or '_' (at most %d), such as \"ppc_final\"",
			    s, ID_MAX);
	return 0;
}

static int get_cond(struct loader *ld, const json_t *obj, const char *path, const json_t **out)
{
	char p[PATH_LEN], cerr[1024];
	subpath(p, path, ".when");
	const json_t *c = json_object_get(obj, "when");
	if (cond_check(c, p, cerr, sizeof cerr) < 0) {
		snprintf(ld->err, ld->errlen, "%s: %s", ld->file, cerr);
		return -1;
	}
	*out = c;
	return 0;
}

static int get_duration(struct loader *ld, const json_t *obj, const char *path,
			const char **after, char *interval)
{
	char p[PATH_LEN], derr[256];
	struct duration d;
	if (get_string(ld, obj, "after", path, after) < 0)
		return -1;
	subpath(p, path, ".after");
	if (duration_parse(*after, &d, derr, sizeof derr) < 0)
		return fail(ld, p, "%s", derr);
	duration_to_pg_interval(&d, interval, DURATION_PG_INTERVAL_MAX);
	return 0;
}

/* Returns the array at obj.key (which must be there unless optional), setting
 * *n; NULL with *n == 0 for an absent optional one. Sets *bad on error. */
static const json_t *get_array(struct loader *ld, const json_t *obj, const char *key,
			       const char *path, const char *what, int optional, size_t *n,
			       int *bad)
{
	const json_t *a = json_object_get(obj, key);
	char p[PATH_LEN];
	*n = 0;
	if (!a && optional)
		return NULL;
	subpath(p, path, ".%s", key);
	if (!json_is_array(a)) {
		*bad = fail(ld, p, "expected an array of %s, found %s", what, type_name(a));
		return NULL;
	}
	if (json_array_size(a) == 0 && !optional) {
		*bad = fail(ld, p, "expected at least one of %s", what);
		return NULL;
	}
	*n = json_array_size(a);
	return a;
}

static int load_deadline(struct loader *ld, const json_t *o, const char *path,
			 struct legal_deadline *dl)
{
	static const char *const keys[] = {"key", "title", "from", "after", "cases", NULL};
	static const char *const required[] = {"key", "title", "from", "after", NULL};
	static const char *const case_keys[] = {"when", "after", NULL};
	char p[PATH_LEN];
	int bad = 0;

	if (check_object(ld, o, path, "a deadline", keys, required) < 0 ||
	    get_id(ld, o, path, &dl->key) < 0)
		return -1;
	subpath(p, path, ".title");
	if (get_text(ld, json_object_get(o, "title"), p, &dl->title) < 0 ||
	    get_string(ld, o, "from", path, &dl->from) < 0)
		return -1;
	size_t i;
	for (i = 0; i < sizeof anchors / sizeof anchors[0]; i++)
		if (strcmp(anchors[i], dl->from) == 0)
			break;
	if (i == sizeof anchors / sizeof anchors[0]) {
		subpath(p, path, ".from");
		return fail(ld, p,
			    "'%s' is not a time an incident records; expected discovered_at, "
			    "occurred_at or reported_at",
			    dl->from);
	}
	if (get_duration(ld, o, path, &dl->after, dl->interval) < 0)
		return -1;

	const json_t *cases = get_array(ld, o, "cases", path, "cases {\"when\": ..., \"after\": ...}",
					1, &dl->ncases, &bad);
	if (bad)
		return -1;
	dl->cases = dl->ncases ? xcalloc(dl->ncases, sizeof *dl->cases) : NULL;
	for (i = 0; i < dl->ncases; i++) {
		const json_t *c = json_array_get(cases, i);
		struct legal_case *lc = &dl->cases[i];
		subpath(p, path, ".cases[%zu]", i);
		if (check_object(ld, c, p, "a case", case_keys, case_keys) < 0 ||
		    get_cond(ld, c, p, &lc->when) < 0 ||
		    get_duration(ld, c, p, &lc->after, lc->interval) < 0)
			return -1;
	}
	return 0;
}

static int load_clock(struct loader *ld, const json_t *o, const char *path,
		      struct legal_clock *ck)
{
	static const char *const keys[] = {"key",	"title", "when", "reasons",
					   "deadlines", "also",	 NULL};
	static const char *const required[] = {"key",	  "title",     "when",
					       "reasons", "deadlines", NULL};
	static const char *const reason_keys[] = {"when", "ja", "en", NULL};
	char p[PATH_LEN];
	int bad = 0;
	size_t i;

	if (check_object(ld, o, path, "a clock", keys, required) < 0 ||
	    get_id(ld, o, path, &ck->key) < 0)
		return -1;
	subpath(p, path, ".title");
	if (get_text(ld, json_object_get(o, "title"), p, &ck->title) < 0 ||
	    get_cond(ld, o, path, &ck->when) < 0)
		return -1;

	const json_t *a = get_array(ld, o, "reasons", path,
				    "reasons {\"when\": ..., \"ja\": ..., \"en\": ...}", 0,
				    &ck->nreasons, &bad);
	if (bad)
		return -1;
	ck->reasons = xcalloc(ck->nreasons, sizeof *ck->reasons);
	for (i = 0; i < ck->nreasons; i++) {
		const json_t *r = json_array_get(a, i);
		subpath(p, path, ".reasons[%zu]", i);
		if (check_object(ld, r, p, "a reason", reason_keys, reason_keys) < 0 ||
		    get_cond(ld, r, p, &ck->reasons[i].when) < 0 ||
		    get_text_fields(ld, r, p, &ck->reasons[i].text) < 0)
			return -1;
	}

	a = get_array(ld, o, "deadlines", path, "deadlines", 0, &ck->ndeadlines, &bad);
	if (bad)
		return -1;
	ck->deadlines = xcalloc(ck->ndeadlines, sizeof *ck->deadlines);
	for (i = 0; i < ck->ndeadlines; i++) {
		subpath(p, path, ".deadlines[%zu]", i);
		if (load_deadline(ld, json_array_get(a, i), p, &ck->deadlines[i]) < 0)
			return -1;
	}

	a = get_array(ld, o, "also", path, "texts {\"ja\": ..., \"en\": ...}", 1, &ck->nalso,
		      &bad);
	if (bad)
		return -1;
	ck->also = ck->nalso ? xcalloc(ck->nalso, sizeof *ck->also) : NULL;
	for (i = 0; i < ck->nalso; i++) {
		subpath(p, path, ".also[%zu]", i);
		if (get_text(ld, json_array_get(a, i), p, &ck->also[i]) < 0)
			return -1;
	}
	return 0;
}

/* Clock keys are unique among clocks; deadline keys in the whole file, since
 * they name timers and audit events. */
static int check_unique(struct loader *ld, const struct legal_rules *r)
{
	char p[PATH_LEN];
	for (size_t i = 0; i < r->nclocks; i++) {
		for (size_t j = 0; j < i; j++)
			if (strcmp(r->clocks[i].key, r->clocks[j].key) == 0) {
				snprintf(p, sizeof p, "$.clocks[%zu].key", i);
				return fail(ld, p, "'%s' is already the key of $.clocks[%zu]",
					    r->clocks[i].key, j);
			}
		for (size_t d = 0; d < r->clocks[i].ndeadlines; d++) {
			const char *key = r->clocks[i].deadlines[d].key;
			for (size_t j = 0; j <= i; j++)
				for (size_t e = 0; e < r->clocks[j].ndeadlines; e++) {
					if (j == i && e >= d)
						break;
					if (strcmp(key, r->clocks[j].deadlines[e].key) != 0)
						continue;
					snprintf(p, sizeof p, "$.clocks[%zu].deadlines[%zu].key", i,
						 d);
					return fail(ld, p,
						    "'%s' is already the key of "
						    "$.clocks[%zu].deadlines[%zu]",
						    key, j, e);
				}
		}
	}
	return 0;
}

struct legal_rules *legal_load(const char *path, char *err, size_t errlen)
{
	static const char *const keys[] = {"version", "clocks", NULL};
	static const char *const required[] = {"clocks", NULL};
	struct loader ld = {path, err, errlen};
	struct legal_rules *r = xcalloc(1, sizeof *r);
	json_error_t jerr;
	int bad = 0;

	r->root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
	if (!r->root) {
		if (jerr.line <= 0)
			snprintf(err, errlen, "unable to read legal clock rules '%s': %s", path,
				 jerr.text);
		else
			snprintf(err, errlen, "%s:%d:%d: %s", path, jerr.line, jerr.column,
				 jerr.text);
		goto fail;
	}
	if (check_object(&ld, r->root, "$", "the legal clock rules", keys, required) < 0)
		goto fail;
	const json_t *v = json_object_get(r->root, "version");
	if (v && (!json_is_integer(v) || json_integer_value(v) < 1)) {
		fail(&ld, "$.version", "expected a whole number from 1, found %s",
		     json_is_integer(v) ? "a smaller one" : type_name(v));
		goto fail;
	}
	const json_t *clocks = get_array(&ld, r->root, "clocks", "$", "clocks", 0, &r->nclocks, &bad);
	if (bad)
		goto fail;
	r->clocks = xcalloc(r->nclocks, sizeof *r->clocks);
	for (size_t i = 0; i < r->nclocks; i++) {
		char p[64];
		snprintf(p, sizeof p, "$.clocks[%zu]", i);
		if (load_clock(&ld, json_array_get(clocks, i), p, &r->clocks[i]) < 0)
			goto fail;
	}
	if (check_unique(&ld, r) < 0)
		goto fail;
	return r;

fail:
	legal_free(r);
	return NULL;
}

void legal_free(struct legal_rules *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->nclocks; i++) {
		struct legal_clock *ck = &r->clocks[i];
		for (size_t d = 0; d < ck->ndeadlines; d++)
			free(ck->deadlines[d].cases);
		free(ck->deadlines);
		free(ck->reasons);
		free(ck->also);
	}
	free(r->clocks);
	json_decref(r->root);
	free(r);
}

static const char *pick(const struct legal_text *t, int en)
{
	return en ? t->en : t->ja;
}

json_t *legal_evaluate(const struct legal_rules *r, const json_t *facts, const char *lang)
{
	json_t *out = json_array();
	int en = lang && strncmp(lang, "en", 2) == 0 &&
		 (lang[2] == '\0' || lang[2] == '-' || lang[2] == '_');

	if (!out)
		return NULL;
	for (size_t i = 0; r && i < r->nclocks; i++) {
		const struct legal_clock *ck = &r->clocks[i];
		if (!cond_eval(ck->when, facts))
			continue;

		json_t *reasons = json_array();
		for (size_t j = 0; j < ck->nreasons; j++)
			if (cond_eval(ck->reasons[j].when, facts))
				json_array_append_new(reasons,
						      json_string(pick(&ck->reasons[j].text, en)));

		json_t *deadlines = json_array();
		for (size_t j = 0; j < ck->ndeadlines; j++) {
			const struct legal_deadline *dl = &ck->deadlines[j];
			const char *after = dl->after, *interval = dl->interval;
			for (size_t c = 0; c < dl->ncases; c++)
				if (cond_eval(dl->cases[c].when, facts)) {
					after = dl->cases[c].after;
					interval = dl->cases[c].interval;
					break;
				}
			json_array_append_new(deadlines,
					      json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "key",
							dl->key, "title", pick(&dl->title, en),
							"title_ja", dl->title.ja, "title_en",
							dl->title.en, "from", dl->from, "after",
							after, "interval", interval));
		}

		json_t *also = json_array();
		for (size_t j = 0; j < ck->nalso; j++)
			json_array_append_new(also, json_string(pick(&ck->also[j], en)));

		json_array_append_new(out, json_pack("{s:s, s:s, s:s, s:s, s:o, s:o, s:o}", "key",
						     ck->key, "title", pick(&ck->title, en),
						     "title_ja", ck->title.ja, "title_en",
						     ck->title.en, "reasons", reasons, "deadlines",
						     deadlines, "also", also));
	}
	return out;
}
