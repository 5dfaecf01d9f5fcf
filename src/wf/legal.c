/* Legal clocks (see legal.h): a strict loader that turns the rules file into
 * C arrays over the parsed JSON it keeps alive, and an evaluator that reports
 * which clocks, reasons and deadlines apply to an incident's facts. */
#include "legal.h"

#include <stdio.h>
#include <string.h>

#include "core/duration.h"
#include "core/xalloc.h"
#include "wf/condition.h"
#include "wf/jcheck.h"

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
	long long days; /* of after: whole days when the deadline is counted in days */
};

struct legal_deadline {
	const char *key;
	struct legal_text title;
	const char *from;
	const char *after;
	char interval[DURATION_PG_INTERVAL_MAX];
	long long days;
	const char *count;    /* "final", "preliminary" or NULL (see legal.h) */
	long long target_before; /* office days, for "final" */
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

static int get_id(struct jc *ld, const json_t *obj, const char *path, const char **out)
{
	char p[JC_PATH_LEN];
	if (jc_get_string(ld, obj, "key", path, out) < 0)
		return -1;
	jc_subpath(p, path, ".key");
	const char *s = *out;
	int ok = s[0] >= 'a' && s[0] <= 'z' && strlen(s) <= ID_MAX;
	for (const char *c = s; ok && *c; c++)
		ok = (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_';
	if (!ok)
		return jc_fail(ld, p,
			       "'%s' is not a key; expected a lower-case letter, then letters, "
			       "digits or '_' (at most %d), such as \"ppc_final\"",
			       s, ID_MAX);
	return 0;
}

/* obj.after into *after and its PostgreSQL interval; *days its days when
 * in_days (a deadline counted in days as the law counts them: whole days,
 * "P30D", nothing else). */
static int get_duration(struct jc *ld, const json_t *obj, const char *path, const char **after,
			char *interval, int in_days, long long *days)
{
	struct duration d;
	if (jc_get_duration(ld, obj, "after", path, &d, after) < 0)
		return -1;
	duration_to_pg_interval(&d, interval, DURATION_PG_INTERVAL_MAX);
	*days = d.days;
	if (in_days && (d.months || d.seconds || d.days < 1)) {
		char p[JC_PATH_LEN];
		return jc_fail(ld, jc_subpath(p, path, ".after"),
			       "'%s' is not a number of days; a deadline with \"count\" is counted "
			       "in whole days, such as P30D",
			       *after);
	}
	return 0;
}

static int load_deadline(struct jc *ld, const json_t *o, const char *path,
			 struct legal_deadline *dl)
{
	static const char *const keys[] = {"key",   "title", "from",	      "after",
					   "cases", "count", "target_before", NULL};
	static const char *const required[] = {"key", "title", "from", "after", NULL};
	static const char *const case_keys[] = {"when", "after", NULL};
	char p[JC_PATH_LEN];
	int bad = 0;

	if (jc_check_object(ld, o, path, "a deadline", keys, required) < 0 ||
	    get_id(ld, o, path, &dl->key) < 0)
		return -1;
	const json_t *count = json_object_get(o, "count"), *tb = json_object_get(o, "target_before");
	if (count) {
		jc_subpath(p, path, ".count");
		const char *c = json_is_string(count) ? json_string_value(count) : "";
		if (strcmp(c, "final") == 0)
			dl->count = "final";
		else if (strcmp(c, "preliminary") == 0)
			dl->count = "preliminary";
		else
			return jc_fail(ld, p,
				       "expected \"final\" (a period of the law: day 1 the day of "
				       "awareness, a last day on a 行政機関の休日 moved) or "
				       "\"preliminary\" (the 速報's おおむね3〜5日)");
	}
	if (tb) {
		jc_subpath(p, path, ".target_before");
		if (!dl->count || strcmp(dl->count, "final") != 0)
			return jc_fail(ld, p,
				       "\"target_before\" without \"count\": \"final\"; only a "
				       "legal last day has an internal target before it");
		if (!json_is_integer(tb) || json_integer_value(tb) < 0 || json_integer_value(tb) > 60)
			return jc_fail(ld, p, "expected a whole number of office days from 0 to 60");
		dl->target_before = json_integer_value(tb);
	}
	if (jc_get_text(ld, o, "title", path, &dl->title.ja, &dl->title.en) < 0 ||
	    jc_get_string(ld, o, "from", path, &dl->from) < 0)
		return -1;
	size_t i;
	for (i = 0; i < sizeof anchors / sizeof anchors[0]; i++)
		if (strcmp(anchors[i], dl->from) == 0)
			break;
	if (i == sizeof anchors / sizeof anchors[0]) {
		jc_subpath(p, path, ".from");
		return jc_fail(ld, p,
			       "'%s' is not a time an incident records; expected discovered_at, "
			       "occurred_at or reported_at",
			       dl->from);
	}
	if (get_duration(ld, o, path, &dl->after, dl->interval, dl->count != NULL, &dl->days) < 0)
		return -1;

	const json_t *cases =
		jc_get_array(ld, o, "cases", path, "cases {\"when\": ..., \"after\": ...}",
			     JC_OPTIONAL, &dl->ncases, &bad);
	if (bad)
		return -1;
	dl->cases = dl->ncases ? xcalloc(dl->ncases, sizeof *dl->cases) : NULL;
	for (i = 0; i < dl->ncases; i++) {
		const json_t *c = json_array_get(cases, i);
		struct legal_case *lc = &dl->cases[i];
		jc_subpath(p, path, ".cases[%zu]", i);
		if (jc_check_object(ld, c, p, "a case", case_keys, case_keys) < 0 ||
		    cond_get(ld, c, p, &lc->when) < 0 ||
		    get_duration(ld, c, p, &lc->after, lc->interval, dl->count != NULL,
				 &lc->days) < 0)
			return -1;
	}
	return 0;
}

static int load_clock(struct jc *ld, const json_t *o, const char *path, struct legal_clock *ck)
{
	static const char *const keys[] = {"key",	"title", "when", "reasons",
					   "deadlines", "also",	 NULL};
	static const char *const required[] = {"key",	  "title",     "when",
					       "reasons", "deadlines", NULL};
	static const char *const reason_keys[] = {"when", "ja", "en", NULL};
	char p[JC_PATH_LEN];
	int bad = 0;
	size_t i;

	if (jc_check_object(ld, o, path, "a clock", keys, required) < 0 ||
	    get_id(ld, o, path, &ck->key) < 0)
		return -1;
	if (jc_get_text(ld, o, "title", path, &ck->title.ja, &ck->title.en) < 0 ||
	    cond_get(ld, o, path, &ck->when) < 0)
		return -1;

	const json_t *a = jc_get_array(ld, o, "reasons", path,
				       "reasons {\"when\": ..., \"ja\": ..., \"en\": ...}",
				       JC_REQUIRED, &ck->nreasons, &bad);
	if (bad)
		return -1;
	ck->reasons = xcalloc(ck->nreasons, sizeof *ck->reasons);
	for (i = 0; i < ck->nreasons; i++) {
		const json_t *r = json_array_get(a, i);
		jc_subpath(p, path, ".reasons[%zu]", i);
		if (jc_check_object(ld, r, p, "a reason", reason_keys, reason_keys) < 0 ||
		    cond_get(ld, r, p, &ck->reasons[i].when) < 0 ||
		    jc_text_fields(ld, r, p, &ck->reasons[i].text.ja, &ck->reasons[i].text.en) < 0)
			return -1;
	}

	a = jc_get_array(ld, o, "deadlines", path, "deadlines", JC_REQUIRED, &ck->ndeadlines, &bad);
	if (bad)
		return -1;
	ck->deadlines = xcalloc(ck->ndeadlines, sizeof *ck->deadlines);
	for (i = 0; i < ck->ndeadlines; i++) {
		jc_subpath(p, path, ".deadlines[%zu]", i);
		if (load_deadline(ld, json_array_get(a, i), p, &ck->deadlines[i]) < 0)
			return -1;
	}

	a = jc_get_array(ld, o, "also", path, "texts {\"ja\": ..., \"en\": ...}", JC_OPTIONAL,
			 &ck->nalso, &bad);
	if (bad)
		return -1;
	ck->also = ck->nalso ? xcalloc(ck->nalso, sizeof *ck->also) : NULL;
	for (i = 0; i < ck->nalso; i++) {
		jc_subpath(p, path, ".also[%zu]", i);
		if (jc_text(ld, json_array_get(a, i), p, &ck->also[i].ja, &ck->also[i].en) < 0)
			return -1;
	}
	return 0;
}

/* Clock keys are unique among clocks; deadline keys in the whole file, since
 * they name timers and audit events. */
static int check_unique(struct jc *ld, const struct legal_rules *r)
{
	char p[JC_PATH_LEN];
	for (size_t i = 0; i < r->nclocks; i++) {
		for (size_t j = 0; j < i; j++)
			if (strcmp(r->clocks[i].key, r->clocks[j].key) == 0) {
				snprintf(p, sizeof p, "$.clocks[%zu].key", i);
				return jc_fail(ld, p, "'%s' is already the key of $.clocks[%zu]",
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
					return jc_fail(ld, p,
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
	struct jc ld = {path, err, errlen, 0};
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
	if (jc_check_object(&ld, r->root, "$", "the legal clock rules", keys, required) < 0)
		goto fail;
	const json_t *v = json_object_get(r->root, "version");
	if (v && (!json_is_integer(v) || json_integer_value(v) < 1)) {
		jc_fail(&ld, "$.version", "expected a whole number from 1, found %s",
			json_is_integer(v) ? "a smaller one" : jc_type_name(v, 0));
		goto fail;
	}
	const json_t *clocks =
		jc_get_array(&ld, r->root, "clocks", "$", "clocks", JC_REQUIRED, &r->nclocks, &bad);
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
			long long days = dl->days;
			for (size_t c = 0; c < dl->ncases; c++)
				if (cond_eval(dl->cases[c].when, facts)) {
					after = dl->cases[c].after;
					interval = dl->cases[c].interval;
					days = dl->cases[c].days;
					break;
				}
			json_t *one = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "key", dl->key,
						"title", pick(&dl->title, en), "title_ja",
						dl->title.ja, "title_en", dl->title.en, "from",
						dl->from, "after", after, "interval", interval);
			if (dl->count) {
				json_object_set_new(one, "count", json_string(dl->count));
				json_object_set_new(one, "days", json_integer(days));
				if (strcmp(dl->count, "final") == 0)
					json_object_set_new(one, "target_before",
							    json_integer(dl->target_before));
			}
			json_array_append_new(deadlines, one);
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

static int known_value(const json_t *v)
{
	if (!v || json_is_null(v))
		return 0;
	if (json_is_integer(v))
		return json_integer_value(v) >= 0;
	if (!json_is_string(v))
		return 1;
	const char *s = json_string_value(v);
	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	return *s && strcmp(s, "unknown") != 0;
}

json_t *legal_preliminary_missing(const json_t *known)
{
	static const struct {
		const char *key, *ja, *en;
	} items[] = {
		{"description", "概要", "summary of what happened"},
		{"items", "漏えい等が発生し、又は発生したおそれがある保有個人情報の項目",
		 "the items of personal data leaked or possibly leaked"},
		{"persons", "本人の数", "the number of persons"},
		{"cause", "原因", "the cause"},
		{"secondary_harm", "二次被害又はそのおそれの有無及びその内容",
		 "whether there is secondary harm or a risk of it, and what"},
		{"notice_to_persons", "本人への対応の実施状況", "what was done toward the persons"},
		{"publication", "公表の実施状況", "whether and how it was made public"},
		{"prevention", "再発防止のための措置", "measures against recurrence"},
	};
	json_t *out = json_array();
	for (size_t i = 0; i < sizeof items / sizeof items[0]; i++)
		if (!known_value(json_object_get(known, items[i].key)))
			json_array_append_new(out, json_pack("{s:s, s:s, s:s}", "key", items[i].key,
							     "ja", items[i].ja, "en", items[i].en));
	return out;
}
