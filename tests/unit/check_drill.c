/* drill: the scenario checker's messages (a valid scenario broken one way per
 * row, each message naming the file and the JSON path), the shipped scenarios
 * of drills/, and the milestones against the shipped workflows. Run from the
 * repository root, the working directory of the tests. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wf/drill.h"
#include "wf/workflow.h"

Suite *drill_suite(void);

static const char *const valid =
	"{\"drill\": \"t-drill\", \"version\": 1,"
	" \"title\": {\"ja\": \"訓練\", \"en\": \"Drill\"},"
	" \"description\": {\"ja\": \"説明\", \"en\": \"About\"},"
	" \"hours\": \"office\","
	" \"report\": {\"summary\": \"s\", \"category\": \"leak\", \"site\": \"honchosha\","
	"   \"segments\": [\"lgwan\"], \"occurred_before\": \"PT1H\", \"bcp\": false,"
	"   \"personal_data\": {\"involved\": \"yes\", \"persons\": 150, \"sensitive\": false}},"
	" \"injects\": [{\"after\": \"PT40M\", \"set\": {\"personal_data\": {\"persons\": 3000}}},"
	"   {\"after\": \"PT2H\", \"note\": {\"ja\": \"記者\", \"en\": \"Press\"}}],"
	" \"expect\": [{\"reach\": \"acknowledged\", \"within\": \"PT30M\"},"
	"   {\"reach\": \"ppc_draft_complete\", \"within\": \"PT24H\"}]}";

/* One change to the valid scenario: the JSON at path (dots between keys,
 * [N] for an element; NULL value: remove it) and the whole message expected
 * after "bad.json: ". */
static const struct {
	const char *path, *value, *msg;
} broken[] = {
	{"drill", "\"Ransom Ware\"",
	 "$.drill: \"Ransom Ware\" is not a drill name; expected lower-case letters, digits and "
	 "'-', at most 64"},
	{"drill", NULL, "$: a drill without \"drill\""},
	{"version", "0", "$.version: found a whole number; expected a whole number, 1 or more"},
	{"version", "\"1\"", "$.version: found a string; expected a whole number, 1 or more"},
	{"title", "\"訓練\"", NULL},
	{"hours", "\"night\"", "$.hours: \"night\" is not known; expected office or any"},
	{"surprise", "true", NULL},
	{"report", NULL, "$: a drill without \"report\""},
	{"report.summary", NULL, "$.report: a report without \"summary\""},
	{"report.category", "\"ransomware\"", NULL},
	{"report.site", "\"本庁舎\"", NULL},
	{"report.segments", "\"lgwan\"", "$.report.segments: found a string; expected an array of "
					 "segments"},
	{"report.segments[0]", "\"cloud\"", NULL},
	{"report.bcp", "\"no\"", "$.report.bcp: found a string; expected true or false"},
	{"report.discovered_at", "\"2026-12-07T09:00:00+09:00\"", NULL},
	{"report.occurred_before", "\"1h\"", NULL},
	{"report.description", "[\"x\"]", "$.report.description: found an array; expected a string"},
	{"report.personal_data.persons", "150.5", NULL},
	{"report.personal_data.persons", "-1", NULL},
	{"report.personal_data.sensitive", "\"maybe\"", NULL},
	{"report.personal_data.involved", NULL,
	 "$.report.personal_data: the personal data of the report without \"involved\""},
	{"injects", "[]", NULL},
	{"injects[0].after", NULL, NULL},
	{"injects[0].after", "\"PT3H\"",
	 "$.injects[1].after: \"PT2H\" is not later than the inject before it; expected the "
	 "injects in the order they happen"},
	{"injects[0].set", "{}", "$.injects[0].set: nothing is set; expected at least one fact"},
	{"injects[0].set", NULL,
	 "$.injects[0]: the inject neither sets facts nor adds a note; expected \"set\", "
	 "\"note\" or both"},
	{"injects[0].set.summary", "3", NULL},
	{"injects[1].note", "\"記者\"", NULL},
	{"expect", "[]", NULL},
	{"expect[0].reach", "\"acknowledge\"", NULL},
	{"expect[1].reach", "\"acknowledged\"",
	 "$.expect[1].reach: \"acknowledged\" is expected twice; expected each milestone at most "
	 "once"},
	{"expect[0].within", "\"soon\"", NULL},
	{"expect[0].when", "\"PT1H\"", NULL},
};

/* The JSON node at a dotted path below root and, for the last step, its
 * parent and key or index. */
static void locate(json_t *root, const char *path, json_t **parent, char *key, size_t *index,
		   int *is_index)
{
	json_t *cur = root;
	const char *p = path;
	for (;;) {
		size_t n = strcspn(p, ".[");
		*parent = cur;
		if (n) {
			memcpy(key, p, n);
			key[n] = '\0';
			*is_index = 0;
			p += n;
		} else if (*p == '[') {
			*index = strtoul(p + 1, NULL, 10);
			*is_index = 1;
			p = strchr(p, ']') + 1;
		}
		if (!*p)
			return;
		if (*p == '.')
			p++;
		cur = *is_index ? json_array_get(cur, *index) : json_object_get(cur, key);
		ck_assert_msg(cur != NULL, "no %s in the valid scenario", path);
	}
}

static char *mutate(size_t i)
{
	json_t *root = json_loads(valid, 0, NULL);
	ck_assert(root != NULL);
	json_t *parent;
	char key[64];
	size_t index = 0;
	int is_index = 0;
	locate(root, broken[i].path, &parent, key, &index, &is_index);
	json_t *v = broken[i].value ? json_loads(broken[i].value, JSON_DECODE_ANY, NULL) : NULL;
	ck_assert(!broken[i].value || v);
	if (is_index && v)
		json_array_set_new(parent, index, v);
	else if (is_index)
		json_array_remove(parent, index);
	else if (v)
		json_object_set_new(parent, key, v);
	else
		json_object_del(parent, key);
	char *s = json_dumps(root, 0);
	json_decref(root);
	return s;
}

START_TEST(test_valid)
{
	char err[1024] = "";
	struct drill *d = drill_parse("ok.json", valid, strlen(valid), err, sizeof err);
	ck_assert_msg(d != NULL, "%s", err);
	ck_assert_str_eq(d->name, "t-drill");
	ck_assert_int_eq(d->version, 1);
	ck_assert_int_eq(d->hours, DRILL_HOURS_OFFICE);
	ck_assert_uint_eq(d->ninjects, 2);
	ck_assert_int_eq(d->injects[0].after.seconds, 40 * 60);
	ck_assert_int_eq(json_integer_value(json_object_get(
				 json_object_get(d->injects[0].set, "personal_data"), "persons")),
			 3000);
	ck_assert_ptr_null(d->injects[0].note_ja);
	ck_assert_str_eq(d->injects[1].note_en, "Press");
	ck_assert_uint_eq(d->nexpects, 2);
	ck_assert_str_eq(d->expects[0].milestone->name, "acknowledged");
	ck_assert_int_eq(d->expects[1].within.seconds, 24 * 3600);
	ck_assert_str_eq(json_string_value(json_object_get(d->report, "summary")), "s");
	drill_free(d);
}
END_TEST

/* Each broken row is refused, naming the file and the JSON path; rows with
 * no message only check that the path leads the message. */
START_TEST(test_broken)
{
	char *text = mutate((size_t)_i);
	char err[1024] = "";
	struct drill *d = drill_parse("bad.json", text, strlen(text), err, sizeof err);
	ck_assert_msg(d == NULL, "row %d (%s) was accepted", _i, broken[_i].path);
	if (broken[_i].msg) {
		char want[1024];
		snprintf(want, sizeof want, "bad.json: %s", broken[_i].msg);
		ck_assert_str_eq(err, want);
	} else {
		/* "bad.json: $.report.site…" for the path "report.site": the
		 * path up to its last key is named. */
		char want[256];
		snprintf(want, sizeof want, "bad.json: $.%s", broken[_i].path);
		char *cut = strrchr(want, '.');
		if (strrchr(want, '[') > cut)
			cut = strrchr(want, '[');
		*cut = '\0';
		ck_assert_msg(strncmp(err, want, strlen(want)) == 0, "row %d: %s does not start with %s",
			      _i, err, want);
	}
	drill_free(d);
	free(text);
}
END_TEST

START_TEST(test_not_json)
{
	char err[256];
	ck_assert_ptr_null(drill_parse("x.json", "{\"drill\": ", 10, err, sizeof err));
	ck_assert(strncmp(err, "x.json:1:", 9) == 0);
	ck_assert_ptr_null(drill_parse("x.json", "[]", 2, err, sizeof err));
	ck_assert_str_eq(err, "x.json: $: found an array; expected an object");
	ck_assert_ptr_null(drill_load_file("tests/unit/no-such-drill.json", err, sizeof err));
	ck_assert(strstr(err, "tests/unit/no-such-drill.json: unable to read") == err);
}
END_TEST

static const char *const shipped[] = {
	"drills/contractor-leak.json", "drills/lost-usb-memory.json",
	"drills/missent-mail-150.json", "drills/phishing-wave.json",
	"drills/ransomware-file-server.json", "drills/website-ddos.json",
};

/* The six shipped scenarios pass, name sites the migrations create, and a
 * duplicate name among files is refused. */
START_TEST(test_shipped)
{
	size_t n = sizeof shipped / sizeof shipped[0];
	FILE *out = tmpfile(), *errs = tmpfile();
	ck_assert_int_eq(drill_check_files(shipped, n, out, errs), 0);
	ck_assert_int_eq(ftell(errs), 0);
	FILE *sql = fopen("sql/0002_people.sql", "r");
	ck_assert(sql != NULL);
	static char text[65536];
	size_t len = fread(text, 1, sizeof text - 1, sql);
	text[len] = '\0';
	fclose(sql);
	for (size_t i = 0; i < n; i++) {
		char err[1024];
		struct drill *d = drill_load_file(shipped[i], err, sizeof err);
		ck_assert_msg(d != NULL, "%s", err);
		char site[80];
		snprintf(site, sizeof site, "('%s',",
			 json_string_value(json_object_get(d->report, "site")));
		ck_assert_msg(strstr(text, site), "%s: site %s is not a site of the policy",
			      shipped[i], site);
		ck_assert(*d->title_ja && *d->title_en && d->description_ja && d->description_en);
		drill_free(d);
	}
	const char *twice[] = {shipped[0], shipped[0]};
	rewind(errs);
	ck_assert_int_eq(drill_check_files(twice, 2, out, errs), -1);
	fclose(out);
	fclose(errs);
}
END_TEST

/* Every milestone names a state its workflow has. */
START_TEST(test_milestones_in_workflows)
{
	char err[1024];
	struct wf_set *set = wf_load_dir("workflows", err, sizeof err);
	ck_assert_msg(set != NULL, "%s", err);
	for (const struct drill_milestone *m = drill_milestones; m->name; m++) {
		ck_assert(*m->title_ja && *m->title_en);
		if (!m->workflow)
			continue;
		const struct wf_def *def = wf_set_find(set, m->workflow);
		ck_assert_msg(def != NULL, "%s: no workflow %s", m->name, m->workflow);
		ck_assert_msg(wf_find_state(def, m->state) != NULL, "%s: %s has no state %s",
			      m->name, m->workflow, m->state);
	}
	ck_assert_ptr_null(drill_find_milestone("nope"));
	wf_set_free(set);
}
END_TEST

Suite *drill_suite(void)
{
	Suite *s = suite_create("drill");
	TCase *tc = tcase_create("check");
	tcase_add_test(tc, test_valid);
	tcase_add_loop_test(tc, test_broken, 0, (int)(sizeof broken / sizeof broken[0]));
	tcase_add_test(tc, test_not_json);
	tcase_add_test(tc, test_shipped);
	tcase_add_test(tc, test_milestones_in_workflows);
	suite_add_tcase(s, tc);
	return s;
}
