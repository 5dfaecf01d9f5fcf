/* condition: strict checking with JSON paths in the messages, and evaluation
 * truth tables, including missing and null fields. */
#include <check.h>
#include <string.h>

#include "wf/condition.h"

Suite *condition_suite(void);

static json_t *parse(const char *text)
{
	json_error_t e;
	json_t *j = json_loads(text, JSON_DECODE_ANY, &e);
	ck_assert_msg(j != NULL, "bad test JSON %s: %s", text, e.text);
	return j;
}

static const char *const valid[] = {
	"{\"field\": \"personal_data.sensitive\", \"eq\": true}",
	"{\"field\": \"category\", \"eq\": \"malware\"}",
	"{\"field\": \"severity\", \"ne\": 0}",
	"{\"field\": \"personal_data.persons\", \"gt\": 100}",
	"{\"field\": \"personal_data.persons\", \"ge\": 100.5}",
	"{\"field\": \"severity\", \"lt\": 3}",
	"{\"field\": \"severity\", \"le\": -1}",
	"{\"field\": \"personal_data.involved\", \"in\": [\"yes\", \"unknown\"]}",
	"{\"field\": \"personal_data.sensitive\", \"in\": [true, \"unknown\", 1]}",
	"{\"field\": \"segments\", \"contains\": \"mynumber\"}",
	"{\"field\": \"occurred_at\", \"exists\": false}",
	"{\"field\": \"a-b.c_d.E9\", \"exists\": true}",
	"{\"not\": {\"field\": \"bcp\", \"eq\": true}}",
	"{\"all\": [{\"field\": \"a\", \"eq\": 1}]}",
	"{\"any\": [{\"field\": \"personal_data.sensitive\", \"eq\": true}, "
	"{\"field\": \"personal_data.persons\", \"gt\": 100}]}",
	"{\"all\": [{\"any\": [{\"not\": {\"field\": \"a\", \"exists\": true}}]}, "
	"{\"field\": \"b\", \"eq\": \"x\"}]}",
};

START_TEST(test_check_valid)
{
	char err[512] = "";
	json_t *c = parse(valid[_i]);
	ck_assert_msg(cond_check(c, "$.when", err, sizeof err) == 0, "%s: %s", valid[_i], err);
	json_decref(c);
}
END_TEST

static const struct {
	const char *json;
	const char *path;
	const char *msg; /* the whole message */
} invalid[] = {
	{"{\"any\": [{\"field\": \"personal_data.sensitive\", \"eq\": true}, "
	 "{\"field\": \"personal_data.persons\", \"gt\": \"100\"}]}",
	 "$.starts[0].when", "$.starts[0].when.any[1].gt: expected a number, found a string"},
	{"{\"field\": \"x\", \"lt\": true}", NULL, "$.lt: expected a number, found a boolean"},
	{"{\"field\": \"x\", \"ge\": null}", "$.w", "$.w.ge: expected a number, found null"},
	{"[1]", "$.when",
	 "$.when: expected a condition such as {\"field\": \"personal_data.persons\", \"gt\": "
	 "100}, {\"all\": [...]}, {\"any\": [...]} or {\"not\": {...}}, found an array"},
	{"{}", "$.when",
	 "$.when: empty condition; expected a condition such as {\"field\": "
	 "\"personal_data.persons\", \"gt\": 100}, {\"all\": [...]}, {\"any\": [...]} or "
	 "{\"not\": {...}}"},
	{"{\"all\": []}", "$.when", "$.when.all: expected at least one condition"},
	{"{\"any\": {}}", "$.when", "$.when.any: expected an array of conditions, found an object"},
	{"{\"all\": [{\"field\": \"a\", \"eq\": 1}, 5]}", "$.when",
	 "$.when.all[1]: expected a condition such as {\"field\": \"personal_data.persons\", "
	 "\"gt\": 100}, {\"all\": [...]}, {\"any\": [...]} or {\"not\": {...}}, found a number"},
	{"{\"all\": [{\"field\": \"a\", \"eq\": 1}], \"any\": [{\"field\": \"a\", \"eq\": 1}]}",
	 "$.when",
	 "$.when: both \"all\" and \"any\"; a condition has exactly one of all, any, not and field"},
	{"{\"all\": [{\"field\": \"a\", \"eq\": 1}], \"comment\": \"x\"}", "$.when",
	 "$.when.comment: unknown key next to \"all\"; {\"all\": ...} takes no other key"},
	{"{\"not\": [{\"field\": \"a\", \"eq\": 1}]}", "$.when",
	 "$.when.not: expected a condition such as {\"field\": \"personal_data.persons\", \"gt\": "
	 "100}, {\"all\": [...]}, {\"any\": [...]} or {\"not\": {...}}, found an array"},
	{"{\"nott\": {\"field\": \"a\", \"eq\": 1}}", "$.when",
	 "$.when.nott: unknown key; expected a condition such as {\"field\": "
	 "\"personal_data.persons\", \"gt\": 100}, {\"all\": [...]}, {\"any\": [...]} or "
	 "{\"not\": {...}}"},
	{"{\"eq\": 1}", "$.when",
	 "$.when: \"eq\" without \"field\"; expected {\"field\": \"dotted.path\", \"eq\": ...}"},
	{"{\"field\": \"a\", \"eq\": 1, \"gt\": 2}", "$.when",
	 "$.when.gt: a second operator next to \"eq\"; a condition has exactly one"},
	{"{\"field\": \"a\"}", "$.when",
	 "$.when: missing operator; expected one of eq, ne, gt, ge, lt, le, in, contains or "
	 "exists"},
	{"{\"field\": \"a\", \"equals\": 1}", "$.when",
	 "$.when.equals: unknown key; expected \"field\" and one operator: eq, ne, gt, ge, lt, "
	 "le, in, contains or exists"},
	{"{\"field\": 3, \"eq\": 1}", "$.when",
	 "$.when.field: expected a dotted path such as \"personal_data.persons\", found a number"},
	{"{\"field\": \"a..b\", \"eq\": 1}", "$.when",
	 "$.when.field: 'a..b' is not a field path; expected keys of letters, digits, '_' or '-' "
	 "joined by dots, such as \"personal_data.persons\""},
	{"{\"field\": \"\", \"eq\": 1}", "$.when",
	 "$.when.field: '' is not a field path; expected keys of letters, digits, '_' or '-' "
	 "joined by dots, such as \"personal_data.persons\""},
	{"{\"field\": \"a b\", \"eq\": 1}", "$.when",
	 "$.when.field: 'a b' is not a field path; expected keys of letters, digits, '_' or '-' "
	 "joined by dots, such as \"personal_data.persons\""},
	{"{\"field\": \"a\", \"eq\": null}", "$.when",
	 "$.when.eq: expected a string, number or boolean, found null (test for absence with "
	 "\"exists\": false)"},
	{"{\"field\": \"a\", \"ne\": [1]}", "$.when",
	 "$.when.ne: expected a string, number or boolean, found an array"},
	{"{\"field\": \"a\", \"contains\": {}}", "$.when",
	 "$.when.contains: expected a string, number or boolean, found an object"},
	{"{\"field\": \"a\", \"in\": \"yes\"}", "$.when",
	 "$.when.in: expected an array of allowed values, found a string"},
	{"{\"field\": \"a\", \"in\": []}", "$.when", "$.when.in: expected at least one allowed value"},
	{"{\"field\": \"a\", \"in\": [\"yes\", null]}", "$.when",
	 "$.when.in[1]: expected a string, number or boolean, found null"},
	{"{\"field\": \"a\", \"exists\": \"yes\"}", "$.when",
	 "$.when.exists: expected true or false, found a string"},
	{"{\"any\": [{\"all\": [{\"field\": \"a\", \"eq\": 1}, {\"not\": {\"field\": \"b\", "
	 "\"le\": \"x\"}}]}]}",
	 "$.clocks[0].when", "$.clocks[0].when.any[0].all[1].not.le: expected a number, found a string"},
};

START_TEST(test_check_invalid)
{
	char err[512] = "";
	json_t *c = parse(invalid[_i].json);
	ck_assert_msg(cond_check(c, invalid[_i].path, err, sizeof err) == -1, "accepted %s",
		      invalid[_i].json);
	ck_assert_str_eq(err, invalid[_i].msg);
	json_decref(c);
}
END_TEST

START_TEST(test_check_depth_and_null)
{
	char err[512];
	/* {"not": {"not": ... {"field": "a", "eq": 1} ...}} nested past the limit. */
	char text[1024] = "";
	for (int i = 0; i < COND_MAX_DEPTH; i++)
		strcat(text, "{\"not\": ");
	strcat(text, "{\"field\": \"a\", \"eq\": 1}");
	for (int i = 0; i < COND_MAX_DEPTH; i++)
		strcat(text, "}");
	json_t *c = parse(text);
	ck_assert_int_eq(cond_check(c, "$", err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "conditions nest more than 32 deep"));
	ck_assert_int_eq(cond_eval(c, NULL), 0);
	json_decref(c);

	ck_assert_int_eq(cond_check(NULL, "$.when", err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "$.when: expected a condition"));
	ck_assert_ptr_nonnull(strstr(err, "found nothing"));

	/* A short buffer gets a truncated, terminated message. */
	char tiny[6];
	c = parse("{\"field\": \"a\"}");
	ck_assert_int_eq(cond_check(c, "$.when", tiny, sizeof tiny), -1);
	ck_assert_str_eq(tiny, "$.whe");
	json_decref(c);
}
END_TEST

/* The facts every evaluation case runs against. */
static const char facts_text[] =
	"{\"category\": \"leak\", \"severity\": 3, \"bcp\": false, \"note\": null,"
	" \"segments\": [\"mynumber\", \"lgwan\"],"
	" \"personal_data\": {\"involved\": \"yes\", \"persons\": 120, \"sensitive\": true,"
	"   \"encrypted\": \"unknown\", \"ratio\": 0.5, \"financial\": false}}";

static const struct {
	const char *cond;
	int want;
} evals[] = {
	/* eq / ne */
	{"{\"field\": \"personal_data.sensitive\", \"eq\": true}", 1},
	{"{\"field\": \"personal_data.sensitive\", \"eq\": false}", 0},
	{"{\"field\": \"personal_data.financial\", \"eq\": false}", 1},
	{"{\"field\": \"personal_data.involved\", \"eq\": \"yes\"}", 1},
	{"{\"field\": \"personal_data.involved\", \"eq\": \"YES\"}", 0},
	{"{\"field\": \"personal_data.persons\", \"eq\": 120}", 1},
	{"{\"field\": \"personal_data.persons\", \"eq\": 120.0}", 1},
	{"{\"field\": \"personal_data.persons\", \"eq\": \"120\"}", 0},
	{"{\"field\": \"personal_data.encrypted\", \"eq\": true}", 0},
	{"{\"field\": \"personal_data.encrypted\", \"ne\": true}", 1},
	{"{\"field\": \"personal_data.sensitive\", \"ne\": true}", 0},
	{"{\"field\": \"severity\", \"eq\": 1}", 0},
	{"{\"field\": \"severity\", \"ne\": 1}", 1},
	/* missing (absent or null) fields */
	{"{\"field\": \"personal_data.malicious\", \"eq\": true}", 0},
	{"{\"field\": \"personal_data.malicious\", \"eq\": false}", 0},
	{"{\"field\": \"personal_data.malicious\", \"ne\": true}", 1},
	{"{\"field\": \"note\", \"eq\": \"x\"}", 0},
	{"{\"field\": \"note\", \"ne\": \"x\"}", 1},
	{"{\"field\": \"nothing.at.all\", \"gt\": 0}", 0},
	{"{\"field\": \"nothing.at.all\", \"le\": 0}", 0},
	{"{\"field\": \"nothing\", \"in\": [\"yes\"]}", 0},
	{"{\"field\": \"nothing\", \"contains\": \"yes\"}", 0},
	{"{\"field\": \"category.sub\", \"eq\": \"leak\"}", 0},
	{"{\"field\": \"personal_data\", \"eq\": \"leak\"}", 0},
	/* exists */
	{"{\"field\": \"personal_data.persons\", \"exists\": true}", 1},
	{"{\"field\": \"personal_data.persons\", \"exists\": false}", 0},
	{"{\"field\": \"personal_data.malicious\", \"exists\": true}", 0},
	{"{\"field\": \"personal_data.malicious\", \"exists\": false}", 1},
	{"{\"field\": \"note\", \"exists\": true}", 0},
	{"{\"field\": \"note\", \"exists\": false}", 1},
	{"{\"field\": \"bcp\", \"exists\": true}", 1},
	/* numeric comparisons, integers and reals */
	{"{\"field\": \"personal_data.persons\", \"gt\": 100}", 1},
	{"{\"field\": \"personal_data.persons\", \"gt\": 120}", 0},
	{"{\"field\": \"personal_data.persons\", \"ge\": 120}", 1},
	{"{\"field\": \"personal_data.persons\", \"ge\": 120.5}", 0},
	{"{\"field\": \"personal_data.persons\", \"lt\": 120}", 0},
	{"{\"field\": \"personal_data.persons\", \"lt\": 120.5}", 1},
	{"{\"field\": \"personal_data.persons\", \"le\": 120}", 1},
	{"{\"field\": \"personal_data.ratio\", \"lt\": 1}", 1},
	{"{\"field\": \"personal_data.ratio\", \"gt\": 0}", 1},
	{"{\"field\": \"personal_data.involved\", \"gt\": 0}", 0},
	{"{\"field\": \"personal_data.sensitive\", \"ge\": 0}", 0},
	/* in */
	{"{\"field\": \"personal_data.involved\", \"in\": [\"yes\", \"unknown\"]}", 1},
	{"{\"field\": \"personal_data.involved\", \"in\": [\"no\"]}", 0},
	{"{\"field\": \"personal_data.encrypted\", \"in\": [true, \"unknown\"]}", 1},
	{"{\"field\": \"personal_data.sensitive\", \"in\": [true, \"unknown\"]}", 1},
	{"{\"field\": \"personal_data.financial\", \"in\": [true, \"unknown\"]}", 0},
	{"{\"field\": \"severity\", \"in\": [2, 3]}", 1},
	{"{\"field\": \"segments\", \"in\": [\"mynumber\"]}", 0},
	/* contains */
	{"{\"field\": \"segments\", \"contains\": \"mynumber\"}", 1},
	{"{\"field\": \"segments\", \"contains\": \"lgwan\"}", 1},
	{"{\"field\": \"segments\", \"contains\": \"internet\"}", 0},
	{"{\"field\": \"category\", \"contains\": \"leak\"}", 0},
	/* all / any / not */
	{"{\"all\": [{\"field\": \"severity\", \"eq\": 3}, {\"field\": \"bcp\", \"eq\": false}]}", 1},
	{"{\"all\": [{\"field\": \"severity\", \"eq\": 3}, {\"field\": \"bcp\", \"eq\": true}]}", 0},
	{"{\"any\": [{\"field\": \"severity\", \"eq\": 1}, {\"field\": \"bcp\", \"eq\": false}]}", 1},
	{"{\"any\": [{\"field\": \"severity\", \"eq\": 1}, {\"field\": \"bcp\", \"eq\": true}]}", 0},
	{"{\"not\": {\"field\": \"bcp\", \"eq\": true}}", 1},
	{"{\"not\": {\"field\": \"bcp\", \"eq\": false}}", 0},
	{"{\"not\": {\"field\": \"personal_data.malicious\", \"eq\": true}}", 1},
	{"{\"not\": {\"not\": {\"field\": \"segments\", \"contains\": \"lgwan\"}}}", 1},
	{"{\"all\": [{\"any\": [{\"field\": \"x\", \"exists\": true}, {\"field\": "
	 "\"personal_data.persons\", \"gt\": 100}]}, {\"not\": {\"field\": \"personal_data.encrypted\", "
	 "\"eq\": true}}]}",
	 1},
	/* malformed parts never make a condition hold, even under "not" */
	{"{\"not\": {\"field\": \"bcp\"}}", 0},
	{"{\"not\": {\"field\": \"bcp\", \"in\": \"x\"}}", 0},
	{"{\"any\": [{\"field\": \"bcp\", \"eq\": false}, {\"bogus\": 1}]}", 0},
	{"{\"not\": {\"all\": []}}", 0},
	{"{\"not\": 1}", 0},
};

START_TEST(test_eval)
{
	json_t *facts = parse(facts_text);
	json_t *c = parse(evals[_i].cond);
	ck_assert_msg(cond_eval(c, facts) == evals[_i].want, "%s should be %d", evals[_i].cond,
		      evals[_i].want);
	json_decref(c);
	json_decref(facts);
}
END_TEST

START_TEST(test_eval_without_facts)
{
	json_t *ne = parse("{\"field\": \"a\", \"ne\": 1}");
	json_t *eq = parse("{\"field\": \"a\", \"eq\": 1}");
	json_t *absent = parse("{\"field\": \"a\", \"exists\": false}");
	json_t *arr = parse("[1, 2]");
	ck_assert_int_eq(cond_eval(ne, NULL), 1);
	ck_assert_int_eq(cond_eval(eq, NULL), 0);
	ck_assert_int_eq(cond_eval(absent, NULL), 1);
	ck_assert_int_eq(cond_eval(eq, arr), 0);
	ck_assert_int_eq(cond_eval(NULL, arr), 0);
	json_decref(ne);
	json_decref(eq);
	json_decref(absent);
	json_decref(arr);
}
END_TEST

START_TEST(test_lookup)
{
	json_t *facts = parse(facts_text);
	ck_assert_int_eq(json_integer_value(cond_lookup(facts, "personal_data.persons")), 120);
	ck_assert_ptr_null(cond_lookup(facts, "note"));
	ck_assert_ptr_null(cond_lookup(facts, "personal_data.persons.x"));
	ck_assert_ptr_null(cond_lookup(facts, "personal_data.nope"));
	ck_assert_ptr_null(cond_lookup(facts, "personal"));
	ck_assert_ptr_null(cond_lookup(NULL, "a"));
	ck_assert_ptr_null(cond_lookup(facts, NULL));
	ck_assert(json_is_object(cond_lookup(facts, "personal_data")));
	json_decref(facts);
}
END_TEST

Suite *condition_suite(void)
{
	Suite *s = suite_create("condition");
	TCase *tc = tcase_create("check");
	tcase_add_loop_test(tc, test_check_valid, 0, (int)(sizeof valid / sizeof valid[0]));
	tcase_add_loop_test(tc, test_check_invalid, 0, (int)(sizeof invalid / sizeof invalid[0]));
	tcase_add_test(tc, test_check_depth_and_null);
	suite_add_tcase(s, tc);
	tc = tcase_create("eval");
	tcase_add_loop_test(tc, test_eval, 0, (int)(sizeof evals / sizeof evals[0]));
	tcase_add_test(tc, test_eval_without_facts);
	tcase_add_test(tc, test_lookup);
	suite_add_tcase(s, tc);
	return s;
}
