/* legal: the shipped workflows/legal-clocks.json (read from the repository
 * root, the working directory of the tests) against the triggers of DOMAIN.md,
 * and the loader's messages for broken rule files. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wf/legal.h"

Suite *legal_suite(void);

#define RULES "workflows/legal-clocks.json"

static struct legal_rules *rules;

static void load_shipped(void)
{
	char err[1024] = "";
	rules = legal_load(RULES, err, sizeof err);
	ck_assert_msg(rules != NULL, "%s", err);
}

static void free_shipped(void)
{
	legal_free(rules);
	rules = NULL;
}

static json_t *parse(const char *text)
{
	json_error_t e;
	json_t *j = json_loads(text, 0, &e);
	ck_assert_msg(j != NULL, "bad test JSON %s: %s", text, e.text);
	return j;
}

/* Evaluates personal_data (an object body) and optional extra top-level
 * members; returns the result, which the caller frees. */
static json_t *evaluate(const char *personal_data, const char *extra, const char *lang)
{
	char text[2048];
	snprintf(text, sizeof text,
		 "{\"discovered_at\": \"2026-04-01T09:00:00+09:00\", %s%s"
		 "\"personal_data\": {%s}}",
		 extra ? extra : "", extra ? ", " : "", personal_data);
	json_t *facts = parse(text);
	json_t *out = legal_evaluate(rules, facts, lang);
	json_decref(facts);
	ck_assert(json_is_array(out));
	return out;
}

static const json_t *find_key(const json_t *array, const char *key)
{
	size_t i;
	const json_t *e;
	json_array_foreach(array, i, e) {
		if (strcmp(json_string_value(json_object_get(e, "key")), key) == 0)
			return e;
	}
	return NULL;
}

static int has_string(const json_t *array, const char *s)
{
	for (size_t i = 0; i < json_array_size(array); i++)
		if (strcmp(json_string_value(json_array_get(array, i)), s) == 0)
			return 1;
	return 0;
}

static const char *deadline_field(const json_t *clock, const char *key, const char *field)
{
	const json_t *d = find_key(json_object_get(clock, "deadlines"), key);
	ck_assert_msg(d != NULL, "no deadline %s", key);
	return json_string_value(json_object_get(d, field));
}

/* Involved, unencrypted, few persons, nothing else: no trigger yet. */
#define BASE "\"involved\": \"yes\", \"encrypted\": false, \"persons\": 5"

START_TEST(test_shipped_file_loads)
{
	json_t *out = evaluate(BASE, NULL, NULL);
	ck_assert_uint_eq(json_array_size(out), 0);
	json_decref(out);
}
END_TEST

static const struct {
	const char *facts;
	const char *reason;
} ppc_triggers[] = {
	{BASE ", \"sensitive\": true", "要配慮個人情報が含まれる"},
	{BASE ", \"financial\": true", "不正に利用されることにより財産的被害が生じるおそれがある"},
	{BASE ", \"malicious\": true", "不正の目的によるおそれがある（不正アクセス、内部不正など）"},
	{"\"involved\": \"yes\", \"encrypted\": false, \"persons\": 101", "本人の数が100人を超える"},
	{BASE ", \"ordinance_sensitive\": true", "条例要配慮個人情報が含まれる"},
};

START_TEST(test_each_ppc_trigger)
{
	json_t *out = evaluate(ppc_triggers[_i].facts, NULL, NULL);
	ck_assert_uint_eq(json_array_size(out), 1);
	const json_t *ppc = find_key(out, "ppc");
	ck_assert_ptr_nonnull(ppc);
	ck_assert_str_eq(json_string_value(json_object_get(ppc, "title")),
			 "個人情報保護委員会への報告（個人情報保護法第68条）");
	const json_t *reasons = json_object_get(ppc, "reasons");
	ck_assert_uint_eq(json_array_size(reasons), 1);
	ck_assert_str_eq(json_string_value(json_array_get(reasons, 0)), ppc_triggers[_i].reason);
	ck_assert_uint_eq(json_array_size(json_object_get(ppc, "deadlines")), 2);
	ck_assert_str_eq(deadline_field(ppc, "ppc_preliminary", "title"), "速報（個人情報保護委員会）");
	ck_assert_str_eq(deadline_field(ppc, "ppc_preliminary", "from"), "discovered_at");
	ck_assert_str_eq(deadline_field(ppc, "ppc_preliminary", "after"), "P3D");
	ck_assert_str_eq(deadline_field(ppc, "ppc_preliminary", "interval"),
			 "0 months 3 days 0 seconds");
	ck_assert_str_eq(deadline_field(ppc, "ppc_final", "title"), "確報（個人情報保護委員会）");
	ck_assert_str_eq(deadline_field(ppc, "ppc_final", "title_ja"), "確報（個人情報保護委員会）");
	ck_assert_str_eq(deadline_field(ppc, "ppc_final", "title_en"), "PPC final report");
	ck_assert_str_eq(json_string_value(json_object_get(ppc, "title_en")),
			 "Report to the Personal Information Protection Commission (APPI Art. 68)");
	ck_assert(has_string(json_object_get(ppc, "also"), "本人への通知"));
	json_decref(out);
}
END_TEST

START_TEST(test_exactly_100_persons_is_not_a_trigger)
{
	json_t *out = evaluate("\"involved\": \"yes\", \"encrypted\": false, \"persons\": 100",
			       NULL, NULL);
	ck_assert_uint_eq(json_array_size(out), 0);
	json_decref(out);
}
END_TEST

START_TEST(test_encryption)
{
	/* Strong encryption exempts... */
	json_t *out = evaluate("\"involved\": \"yes\", \"encrypted\": true, \"sensitive\": true, "
			       "\"persons\": 5000",
			       NULL, NULL);
	ck_assert_uint_eq(json_array_size(out), 0);
	json_decref(out);

	/* ...but an unknown or missing answer does not. */
	out = evaluate("\"involved\": \"yes\", \"encrypted\": \"unknown\", \"sensitive\": true",
		       NULL, NULL);
	const json_t *ppc = find_key(out, "ppc");
	ck_assert_ptr_nonnull(ppc);
	ck_assert(has_string(json_object_get(ppc, "reasons"), "要配慮個人情報が含まれる"));
	ck_assert(has_string(json_object_get(ppc, "reasons"),
			     "高度な暗号化の有無が確認できていない（暗号化されていないものとして扱う）"));
	json_decref(out);

	out = evaluate("\"involved\": \"yes\", \"sensitive\": true", NULL, "en");
	ppc = find_key(out, "ppc");
	ck_assert_ptr_nonnull(ppc);
	ck_assert(has_string(json_object_get(ppc, "reasons"),
			     "strong encryption of the data is not confirmed (treated as unencrypted)"));
	json_decref(out);
}
END_TEST

START_TEST(test_unknown_answers_are_careful)
{
	/* Personal data leaked, its sensitivity unknown: the clock starts, and says why. */
	json_t *out = evaluate("\"involved\": \"yes\", \"sensitive\": \"unknown\", "
			       "\"encrypted\": false",
			       NULL, "en");
	const json_t *ppc = find_key(out, "ppc");
	ck_assert_ptr_nonnull(ppc);
	const json_t *reasons = json_object_get(ppc, "reasons");
	ck_assert_uint_eq(json_array_size(reasons), 1);
	ck_assert(has_string(reasons, "it is not yet known whether sensitive personal data is "
				      "involved (treated as involved)"));
	json_decref(out);

	/* A suspected leak of sensitive data starts it too. */
	out = evaluate("\"involved\": \"unknown\", \"sensitive\": true, \"encrypted\": false",
		       NULL, "en");
	ppc = find_key(out, "ppc");
	ck_assert_ptr_nonnull(ppc);
	reasons = json_object_get(ppc, "reasons");
	ck_assert_uint_eq(json_array_size(reasons), 2);
	ck_assert(has_string(reasons, "sensitive personal data is involved"));
	ck_assert(has_string(reasons,
			     "whether personal data leaked is not yet confirmed (treated as a "
			     "suspected leak)"));
	json_decref(out);

	/* Only one link of the chain may be unknown: a report that knows nothing
	 * about personal data (the form's defaults) starts no clock. */
	out = evaluate("\"involved\": \"unknown\", \"sensitive\": \"unknown\", "
		       "\"mynumber\": \"unknown\", \"encrypted\": \"unknown\", "
		       "\"malicious\": \"unknown\", \"financial\": \"unknown\"",
		       "\"segments\": [\"unknown\"]", NULL);
	ck_assert_uint_eq(json_array_size(out), 0);
	json_decref(out);

	/* An unknown improper purpose keeps the earlier final deadline. */
	out = evaluate(BASE ", \"malicious\": \"unknown\"", NULL, NULL);
	ppc = find_key(out, "ppc");
	ck_assert_ptr_nonnull(ppc);
	ck_assert_str_eq(deadline_field(ppc, "ppc_final", "after"), "P30D");
	json_decref(out);

	/* My Number data not ruled out, in the My Number segment: careful too. */
	out = evaluate(BASE ", \"mynumber\": \"unknown\"", "\"segments\": [\"mynumber\"]", NULL);
	ck_assert_ptr_nonnull(find_key(out, "mynumber"));
	json_decref(out);
	out = evaluate("\"involved\": \"unknown\", \"mynumber\": \"unknown\"",
		       "\"segments\": [\"mynumber\"]", NULL);
	ck_assert_uint_eq(json_array_size(out), 0);
	json_decref(out);
	out = evaluate("\"involved\": \"unknown\", \"mynumber\": true",
		       "\"segments\": [\"mynumber\"]", NULL);
	ck_assert_ptr_nonnull(find_key(out, "mynumber"));
	json_decref(out);
}
END_TEST

START_TEST(test_not_involved_starts_nothing)
{
	const char *all = "\"involved\": \"no\", \"encrypted\": false, \"persons\": 5000, "
			  "\"sensitive\": true, \"financial\": true, \"malicious\": true, "
			  "\"ordinance_sensitive\": true, \"mynumber\": true, \"published\": true";
	json_t *out = evaluate(all, "\"segments\": [\"mynumber\"]", NULL);
	ck_assert_uint_eq(json_array_size(out), 0);
	json_decref(out);

	/* Nor does an incident whose personal-data answer is missing. */
	json_t *facts = parse("{\"segments\": [\"mynumber\"]}");
	out = legal_evaluate(rules, facts, NULL);
	ck_assert_uint_eq(json_array_size(out), 0);
	json_decref(out);
	json_decref(facts);
	out = legal_evaluate(rules, NULL, NULL);
	ck_assert_uint_eq(json_array_size(out), 0);
	json_decref(out);
}
END_TEST

START_TEST(test_final_deadline)
{
	json_t *out = evaluate(BASE ", \"malicious\": true", NULL, NULL);
	const json_t *ppc = find_key(out, "ppc");
	ck_assert_str_eq(deadline_field(ppc, "ppc_final", "after"), "P60D");
	ck_assert_str_eq(deadline_field(ppc, "ppc_final", "interval"),
			 "0 months 60 days 0 seconds");
	ck_assert_str_eq(deadline_field(ppc, "ppc_preliminary", "after"), "P3D");
	/* Counted as the law counts them (wf/legal_period.h): the 確報 a period
	 * of 60 days with the internal target 5 office days before its last
	 * day, the 速報 the guidance's days. */
	const json_t *fin = find_key(json_object_get(ppc, "deadlines"), "ppc_final");
	ck_assert_str_eq(deadline_field(ppc, "ppc_final", "count"), "final");
	ck_assert_int_eq(json_integer_value(json_object_get(fin, "days")), 60);
	ck_assert_int_eq(json_integer_value(json_object_get(fin, "target_before")), 5);
	const json_t *pre = find_key(json_object_get(ppc, "deadlines"), "ppc_preliminary");
	ck_assert_str_eq(deadline_field(ppc, "ppc_preliminary", "count"), "preliminary");
	ck_assert_ptr_null(json_object_get(pre, "target_before"));
	json_decref(out);

	out = evaluate(BASE ", \"sensitive\": true, \"malicious\": false", NULL, NULL);
	ppc = find_key(out, "ppc");
	ck_assert_str_eq(deadline_field(ppc, "ppc_final", "after"), "P30D");
	ck_assert_str_eq(deadline_field(ppc, "ppc_final", "interval"),
			 "0 months 30 days 0 seconds");
	json_decref(out);

	/* Improper purpose together with another trigger: still 60 days. */
	out = evaluate(BASE ", \"sensitive\": true, \"malicious\": true", NULL, NULL);
	ppc = find_key(out, "ppc");
	ck_assert_uint_eq(json_array_size(json_object_get(ppc, "reasons")), 2);
	ck_assert_str_eq(deadline_field(ppc, "ppc_final", "after"), "P60D");
	json_decref(out);
}
END_TEST

START_TEST(test_mynumber_by_segment_alone)
{
	const char *pd = BASE ", \"mynumber\": true, \"persons\": 1";
	json_t *out = evaluate(pd, "\"segments\": [\"mynumber\", \"lgwan\"]", NULL);
	ck_assert_uint_eq(json_array_size(out), 1);
	const json_t *mn = find_key(out, "mynumber");
	ck_assert_ptr_nonnull(mn);
	ck_assert_str_eq(json_string_value(json_object_get(mn, "title")),
			 "個人情報保護委員会への報告（番号法第29条の4）");
	ck_assert(has_string(json_object_get(mn, "reasons"),
			     "マイナンバー利用事務系のシステムで発生した（人数を問わない）"));
	ck_assert_str_eq(deadline_field(mn, "mynumber_preliminary", "after"), "P3D");
	ck_assert_str_eq(deadline_field(mn, "mynumber_final", "after"), "P30D");
	json_decref(out);

	/* The same data from the LGWAN segment alone is not reportable. */
	out = evaluate(pd, "\"segments\": [\"lgwan\"]", NULL);
	ck_assert_uint_eq(json_array_size(out), 0);
	json_decref(out);

	/* Made public, or malicious: both the My Number and (for malicious) the PPC clock. */
	out = evaluate(BASE ", \"mynumber\": true, \"published\": true", NULL, NULL);
	ck_assert_ptr_nonnull(find_key(out, "mynumber"));
	ck_assert_ptr_null(find_key(out, "ppc"));
	json_decref(out);
	out = evaluate(BASE ", \"mynumber\": true, \"malicious\": true", NULL, NULL);
	ck_assert_uint_eq(json_array_size(out), 2);
	ck_assert_str_eq(deadline_field(find_key(out, "mynumber"), "mynumber_final", "after"),
			 "P60D");
	json_decref(out);
}
END_TEST

START_TEST(test_english)
{
	json_t *out = evaluate(BASE ", \"persons\": 150", NULL, "en-GB");
	const json_t *ppc = find_key(out, "ppc");
	ck_assert_str_eq(json_string_value(json_object_get(ppc, "title")),
			 "Report to the Personal Information Protection Commission (APPI Art. 68)");
	ck_assert(has_string(json_object_get(ppc, "reasons"), "more than 100 persons are affected"));
	ck_assert_str_eq(deadline_field(ppc, "ppc_preliminary", "title"), "PPC preliminary report");
	ck_assert(has_string(json_object_get(ppc, "also"), "notice to the persons"));
	json_decref(out);

	/* Anything else is Japanese. */
	out = evaluate(BASE ", \"persons\": 150", NULL, "fr");
	ck_assert_str_eq(json_string_value(json_object_get(find_key(out, "ppc"), "title")),
			 "個人情報保護委員会への報告（個人情報保護法第68条）");
	json_decref(out);
}
END_TEST

/* ---- broken rule files ---- */

static const char good_clock[] =
	"{\"key\": \"ppc\", \"title\": {\"ja\": \"報告\", \"en\": \"report\"},"
	" \"when\": {\"field\": \"personal_data.sensitive\", \"eq\": true},"
	" \"reasons\": [{\"when\": {\"field\": \"personal_data.sensitive\", \"eq\": true},"
	"   \"ja\": \"要配慮\", \"en\": \"sensitive\"}],"
	" \"deadlines\": [{\"key\": \"ppc_final\", \"title\": {\"ja\": \"確報\", \"en\": \"final\"},"
	"   \"from\": \"discovered_at\", \"after\": \"P30D\"%s}]%s}";

static const struct {
	const char *deadline_extra; /* inside the deadline */
	const char *clock_extra;    /* inside the clock */
	const char *top;            /* NULL: {"clocks": [clock]}; else the whole file */
	const char *msg;            /* expected after "<file>: " */
} broken[] = {
	{"", "", NULL, NULL}, /* the template itself is valid */
	{", \"cases\": [{\"when\": {\"field\": \"personal_data.malicious\", \"eq\": true}, "
	 "\"after\": \"P60X\"}]",
	 "", NULL,
	 "$.clocks[0].deadlines[0].cases[0].after: 'P60X': unknown designator 'X'; expected an "
	 "ISO 8601 duration such as PT30M or P3D"},
	{", \"cases\": [{\"when\": {\"field\": \"personal_data.malicious\", \"gt\": true}, "
	 "\"after\": \"P60D\"}]",
	 "", NULL,
	 "$.clocks[0].deadlines[0].cases[0].when.gt: expected a number, found a boolean"},
	{", \"cases\": [{\"after\": \"P60D\"}]", "", NULL,
	 "$.clocks[0].deadlines[0].cases[0]: a case without \"when\""},
	{", \"due\": \"P3D\"", "", NULL,
	 "$.clocks[0].deadlines[0].due: unknown key in a deadline; expected key, title, from, "
	 "after, cases, count or target_before"},
	{", \"count\": \"weekly\"", "", NULL,
	 "$.clocks[0].deadlines[0].count: expected \"final\" (a period of the law: day 1 the day "
	 "of awareness, a last day on a 行政機関の休日 moved) or \"preliminary\" (the 速報's "
	 "おおむね3〜5日)"},
	{", \"target_before\": 5", "", NULL,
	 "$.clocks[0].deadlines[0].target_before: \"target_before\" without \"count\": "
	 "\"final\"; only a legal last day has an internal target before it"},
	{", \"count\": \"final\", \"target_before\": 61", "", NULL,
	 "$.clocks[0].deadlines[0].target_before: expected a whole number of office days from 0 "
	 "to 60"},
	{", \"count\": \"final\", \"cases\": [{\"when\": {\"field\": \"personal_data.malicious\", "
	 "\"eq\": true}, \"after\": \"P59DT12H\"}]",
	 "", NULL,
	 "$.clocks[0].deadlines[0].cases[0].after: 'P59DT12H' is not a number of days; a deadline "
	 "with \"count\" is counted in whole days, such as P30D"},
	{", \"cases\": {}", "", NULL,
	 "$.clocks[0].deadlines[0].cases: expected an array of cases {\"when\": ..., \"after\": "
	 "...}, found an object"},
	{"", ", \"also\": [{\"ja\": \"本人への通知\"}]", NULL,
	 "$.clocks[0].also[0]: a text {\"ja\": \"...\", \"en\": \"...\"} without \"en\""},
	{"", ", \"also\": [{\"ja\": \"本人への通知\", \"en\": \"\"}]", NULL,
	 "$.clocks[0].also[0].en: expected a non-empty string"},
	{"", ", \"law\": \"APPI\"", NULL,
	 "$.clocks[0].law: unknown key in a clock; expected key, title, when, reasons, "
	 "deadlines or also"},
	{NULL, NULL, "{\"clocks\": [{\"key\": \"ppc\"}]}", "$.clocks[0]: a clock without \"title\""},
	{NULL, NULL,
	 "{\"clocks\": [{\"key\": \"ppc\", \"title\": {\"ja\": \"報告\"}, \"when\": {}, "
	 "\"reasons\": [], \"deadlines\": []}]}",
	 "$.clocks[0].title: a text {\"ja\": \"...\", \"en\": \"...\"} without \"en\""},
	{NULL, NULL,
	 "{\"clocks\": [{\"key\": \"ppc\", \"title\": {\"ja\": \"報告\", \"en\": \"r\"}, "
	 "\"when\": {\"field\": \"a\", \"eq\": 1}, \"reasons\": [], \"deadlines\": []}]}",
	 "$.clocks[0].reasons: expected at least one of reasons {\"when\": ..., \"ja\": ..., "
	 "\"en\": ...}"},
	{NULL, NULL,
	 "{\"clocks\": [{\"key\": \"PPC\", \"title\": {\"ja\": \"報告\", \"en\": \"r\"}, "
	 "\"when\": {}, \"reasons\": [], \"deadlines\": []}]}",
	 "$.clocks[0].key: 'PPC' is not a key; expected a lower-case letter, then letters, "
	 "digits or '_' (at most 63), such as \"ppc_final\""},
	{NULL, NULL,
	 "{\"clocks\": [{\"key\": \"ppc\", \"title\": {\"ja\": \"報告\", \"en\": \"r\"}, "
	 "\"when\": {\"all\": [{\"field\": \"a\", \"eq\": 1}, {\"field\": \"b\"}]}, "
	 "\"reasons\": [], \"deadlines\": []}]}",
	 "$.clocks[0].when.all[1]: missing operator; expected one of eq, ne, gt, ge, lt, le, in, "
	 "contains or exists"},
	{"", ", \"reasons\": [{\"when\": {\"field\": \"a\", \"eq\": 1}, \"ja\": \"x\"}]", NULL,
	 NULL /* duplicate key "reasons": a JSON error, checked below */},
	{NULL, NULL, "{\"clocks\": []}", "$.clocks: expected at least one of clocks"},
	{NULL, NULL, "{\"clock\": []}",
	 "$.clock: unknown key in the legal clock rules; expected version or clocks"},
	{NULL, NULL, "{\"version\": 0, \"clocks\": []}",
	 "$.version: expected a whole number from 1, found a smaller one"},
	{NULL, NULL, "[]", "$: expected the legal clock rules (an object), found an array"},
};

static char *write_temp(const char *content)
{
	char *path = strdup("/tmp/sokuho-legal-XXXXXX");
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	FILE *f = fdopen(fd, "w");
	ck_assert_ptr_nonnull(f);
	fputs(content, f);
	fclose(f);
	return path;
}

START_TEST(test_broken_files)
{
	char text[4096], clock[2048], err[1024] = "", want[1200];
	if (broken[_i].top) {
		snprintf(text, sizeof text, "%s", broken[_i].top);
	} else {
		snprintf(clock, sizeof clock, good_clock, broken[_i].deadline_extra,
			 broken[_i].clock_extra);
		snprintf(text, sizeof text, "{\"version\": 1, \"clocks\": [%s]}", clock);
	}
	char *path = write_temp(text);
	struct legal_rules *r = legal_load(path, err, sizeof err);
	if (_i == 0) {
		ck_assert_msg(r != NULL, "%s", err);
	} else if (!broken[_i].msg) {
		ck_assert_ptr_null(r);
		ck_assert_msg(strncmp(err, path, strlen(path)) == 0, "%s", err);
		ck_assert_msg(strstr(err, "duplicate object key") != NULL, "%s", err);
	} else {
		ck_assert_ptr_null(r);
		snprintf(want, sizeof want, "%s: %s", path, broken[_i].msg);
		ck_assert_str_eq(err, want);
	}
	legal_free(r);
	unlink(path);
	free(path);
}
END_TEST

START_TEST(test_duplicate_keys_and_bad_anchor)
{
	char clock1[2048], clock2[2048], text[8192], err[1024] = "", want[1200];
	snprintf(clock1, sizeof clock1, good_clock, "", "");
	snprintf(text, sizeof text, "{\"clocks\": [%s, %s]}", clock1, clock1);
	char *path = write_temp(text);
	ck_assert_ptr_null(legal_load(path, err, sizeof err));
	snprintf(want, sizeof want, "%s: $.clocks[1].key: 'ppc' is already the key of $.clocks[0]",
		 path);
	ck_assert_str_eq(err, want);
	unlink(path);
	free(path);

	/* Deadline keys are unique across clocks. */
	snprintf(clock2, sizeof clock2, "%s", clock1);
	memcpy(strstr(clock2, "\"ppc\""), "\"ppd\"", 5);
	snprintf(text, sizeof text, "{\"clocks\": [%s, %s]}", clock1, clock2);
	path = write_temp(text);
	ck_assert_ptr_null(legal_load(path, err, sizeof err));
	snprintf(want, sizeof want,
		 "%s: $.clocks[1].deadlines[0].key: 'ppc_final' is already the key of "
		 "$.clocks[0].deadlines[0]",
		 path);
	ck_assert_str_eq(err, want);
	unlink(path);
	free(path);

	snprintf(clock1, sizeof clock1, good_clock, "", "");
	memcpy(strstr(clock1, "discovered_at"), "discovered_on", 13);
	snprintf(text, sizeof text, "{\"clocks\": [%s]}", clock1);
	path = write_temp(text);
	ck_assert_ptr_null(legal_load(path, err, sizeof err));
	snprintf(want, sizeof want,
		 "%s: $.clocks[0].deadlines[0].from: 'discovered_on' is not a time an incident "
		 "records; expected discovered_at, occurred_at or reported_at",
		 path);
	ck_assert_str_eq(err, want);
	unlink(path);
	free(path);
}
END_TEST

START_TEST(test_unreadable_and_bad_json)
{
	char err[1024] = "";
	ck_assert_ptr_null(legal_load("/tmp/sokuho-no-such-rules.json", err, sizeof err));
	ck_assert_ptr_nonnull(strstr(err, "unable to read legal clock rules "
					  "'/tmp/sokuho-no-such-rules.json'"));

	char *path = write_temp("{\"clocks\": [\n  {\"key\": \"ppc\",}\n]}");
	ck_assert_ptr_null(legal_load(path, err, sizeof err));
	char want[512];
	snprintf(want, sizeof want, "%s:2:", path);
	ck_assert_msg(strncmp(err, want, strlen(want)) == 0, "%s", err);
	unlink(path);
	free(path);
	legal_free(NULL);
}
END_TEST

/* The first hour: the 速報's items left open, in the form's order; blank,
 * null and "unknown" are missing, a number of persons (even 0) is known. */
START_TEST(test_preliminary_missing)
{
	json_t *known = json_pack("{s:s, s:s, s:i, s:s, s:n, s:s}", "description", "誤送付",
				  "items", "  ", "persons", 0, "cause", "unknown",
				  "secondary_harm", "publication", "未公表");
	json_t *m = legal_preliminary_missing(known);
	static const char *const want[] = {"items", "cause", "secondary_harm",
					   "notice_to_persons", "prevention"};
	ck_assert_int_eq(json_array_size(m), 5);
	for (size_t i = 0; i < 5; i++) {
		json_t *e = json_array_get(m, i);
		ck_assert_str_eq(json_string_value(json_object_get(e, "key")), want[i]);
		ck_assert(json_string_length(json_object_get(e, "ja")) > 0);
		ck_assert(json_string_length(json_object_get(e, "en")) > 0);
	}
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(m, 1), "ja")), "原因");
	json_decref(m);
	json_decref(known);
	m = legal_preliminary_missing(NULL); /* nothing known: all eight, 概要 first */
	ck_assert_int_eq(json_array_size(m), 8);
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(m, 0), "ja")), "概要");
	json_decref(m);
}
END_TEST

Suite *legal_suite(void)
{
	Suite *s = suite_create("legal");
	TCase *tc = tcase_create("shipped rules");
	tcase_add_checked_fixture(tc, load_shipped, free_shipped);
	tcase_add_test(tc, test_shipped_file_loads);
	tcase_add_loop_test(tc, test_each_ppc_trigger, 0,
			    (int)(sizeof ppc_triggers / sizeof ppc_triggers[0]));
	tcase_add_test(tc, test_exactly_100_persons_is_not_a_trigger);
	tcase_add_test(tc, test_encryption);
	tcase_add_test(tc, test_unknown_answers_are_careful);
	tcase_add_test(tc, test_not_involved_starts_nothing);
	tcase_add_test(tc, test_final_deadline);
	tcase_add_test(tc, test_mynumber_by_segment_alone);
	tcase_add_test(tc, test_english);
	tcase_add_test(tc, test_preliminary_missing);
	suite_add_tcase(s, tc);
	tc = tcase_create("broken rules");
	tcase_add_loop_test(tc, test_broken_files, 0, (int)(sizeof broken / sizeof broken[0]));
	tcase_add_test(tc, test_duplicate_keys_and_bad_anchor);
	tcase_add_test(tc, test_unreadable_and_bad_json);
	suite_add_tcase(s, tc);
	return s;
}
