/* workflow: the loader's messages for broken workflow files (one fixture each
 * under tests/unit/workflows/, read from the repository root, the working
 * directory of the tests), the API over a valid file, and the shipped
 * workflows/ against DOMAIN.md and workflows/legal-clocks.json. */
#include <check.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wf/workflow.h"

Suite *workflow_suite(void);

#define FIXTURES "tests/unit/workflows/"

static json_t *parse(const char *text)
{
	json_error_t e;
	json_t *j = json_loads(text, 0, &e);
	ck_assert_msg(j != NULL, "bad test JSON %s: %s", text, e.text);
	return j;
}

static struct wf_def *load(const char *path)
{
	char err[2048] = "";
	struct wf_def *def = wf_load_file(path, err, sizeof err);
	ck_assert_msg(def != NULL, "%s", err);
	return def;
}

/* ---- broken files: the whole message, after the file name ---- */

static const struct {
	const char *file; /* under FIXTURES, without ".json" */
	const char *msg;  /* expected right after the file's path */
} broken[] = {
	{"action-to-missing-state",
	 ": $.states.reported.actions.acknowledge.to: 'triag' is not a state; expected "
	 "reported, triage or closed"},
	{"bad-condition",
	 ": $.states.reported.on_enter[1].when.gt: expected a number, found a string"},
	{"bad-deadline-after",
	 ": $.states.triage.deadlines[0].cases[0].after: 'P5': number without a designator "
	 "at the end; expected an ISO 8601 duration such as PT30M or P3D"},
	{"bad-deadline-from",
	 ": $.states.triage.deadlines[0].from: 'noticed_at' is not a time a deadline can "
	 "count from; expected entered, discovered_at, occurred_at or reported_at"},
	{"bad-duration-after",
	 ": $.states.reported.escalation[0].after: 'PT30': number without a designator at "
	 "the end; expected an ISO 8601 duration such as PT30M or P3D"},
	{"bad-duration-repeat",
	 ": $.states.reported.escalation[2].repeat: '1H': a duration starts with P; "
	 "expected an ISO 8601 duration such as PT30M or P3D"},
	{"bad-start-string",
	 ": $.start: 'sometimes' is not a start rule; expected \"always\" or {\"when\": "
	 "CONDITION}"},
	{"bad-start",
	 ": $.start.when.any: expected at least one condition"},
	{"bad-state-name",
	 ": $.states.Closed: 'Closed' is not a state name; expected a lower-case letter, "
	 "then lower-case letters, digits or '_' (at most 63), such as \"reported\""},
	{"bad-template-name",
	 ": $.states.reported.on_enter[0].template: 'Reported' is not a template name; "
	 "expected a lower-case letter, then lower-case letters, digits or '_' (at most "
	 "63), such as \"reported\""},
	{"bad-workflow-name",
	 ": $.workflow: 'Test Flow' is not a workflow name; expected a lower-case letter, "
	 "then lower-case letters, digits, '_' or '-' (at most 63), such as "
	 "\"reporting-duty\""},
	{"dead-end",
	 ": $.states.parked: a dead end: the state is not terminal and has no actions; "
	 "expected \"actions\" leading on, or \"terminal\": true"},
	{"deputy-out-of-range",
	 ": $.states.reported.escalation[0].notify[0].owner_deputy: expected a whole "
	 "number from 0 to 9, found 10"},
	{"duplicate-key",
	 ":4:11: duplicate object key near '\"version\"'"},
	{"empty-by",
	 ": $.states.reported.actions.acknowledge.by: expected a non-empty array of "
	 "\"owner\" and roles (ciso, chief_security_officer, security_officer, "
	 "security_manager, system_manager, csirt, auditor or admin), found an empty one"},
	{"escalation-not-increasing",
	 ": $.states.reported.escalation[1].after: 'PT20M' does not come after the "
	 "previous step's 'PT30M'; expected steps in increasing order of \"after\""},
	{"field-bad-type",
	 ": $.states.triage.actions.confirm.fields[0].type: 'number' is not a field type; "
	 "expected text, integer, boolean or datetime"},
	{"field-duplicate-name",
	 ": $.states.triage.actions.not_an_incident.fields[1].name: 'reason' is already "
	 "the name of $.states.triage.actions.not_an_incident.fields[0]; expected field "
	 "names unique within the action"},
	{"field-without-name",
	 ": $.states.triage.actions.not_an_incident.fields[0]: a field without \"name\""},
	{"initial-missing",
	 ": $: a workflow without \"initial\""},
	{"initial-not-state",
	 ": $.initial: 'report' is not a state; expected reported, triage or closed"},
	{"max-without-repeat",
	 ": $.states.reported.escalation[1].max: \"max\" without \"repeat\"; a step that does "
	 "not repeat notifies once"},
	{"max-zero",
	 ": $.states.reported.escalation[2].max: expected a whole number from 1 to 1000, "
	 "found 0"},
	{"no-way-out",
	 ": $.states.waiting: no terminal state can be reached from here; expected an "
	 "action that leads towards a state with \"terminal\": true"},
	{"not-an-object",
	 ": $: expected a workflow (an object), found an array"},
	{"not-json",
	 ":7:10: '}' expected near '\"states\"'"},
	{"owner-missing",
	 ": $.states.triage: a state without \"owner\"; expected {\"role\": ROLE} (only a "
	 "terminal state may have no owner)"},
	{"remind-not-before",
	 ": $.states.triage.deadlines[0].remind[0].before: 'P3D' is not shorter than the "
	 "deadline's 'P3D'; expected a reminder after the deadline starts counting"},
	{"repeat-without-max",
	 ": $.states.reported.escalation[2]: a repeating step without \"max\"; expected how "
	 "many times it notifies in all, such as \"max\": 6"},
	{"reporter-owner-target",
	 ": $.states.closed.on_enter[0].notify: the state has no owner to notify; give it "
	 "an \"owner\" or name a role"},
	{"state-without-title",
	 ": $.states.triage: a state without \"title\""},
	{"bad-milestone",
	 ": $.states.closed.milestone: expected \"acknowledged\", \"contained\" or "
	 "\"closed\", found 'finished'"},
	{"terminal-with-actions",
	 ": $.states.closed.actions: a terminal state has no actions; the workflow ends "
	 "here (remove \"actions\" or \"terminal\")"},
	{"terminal-with-escalation",
	 ": $.states.closed.escalation: a terminal state has no escalation; the workflow "
	 "ends here (remove \"escalation\" or \"terminal\")"},
	{"title-empty-ja",
	 ": $.title.ja: expected a non-empty string"},
	{"title-without-en",
	 ": $.states.closed.title: a text {\"ja\": \"...\", \"en\": \"...\"} without \"en\""},
	{"unknown-action-key",
	 ": $.states.reported.actions.acknowledge.required_fields: unknown key in an "
	 "action; expected title, to, by or fields"},
	{"unknown-role-by",
	 ": $.states.reported.actions.acknowledge.by[1]: 'sirt' is not a role; expected "
	 "\"owner\" or ciso, chief_security_officer, security_officer, security_manager, "
	 "system_manager, csirt, auditor or admin"},
	{"unknown-role-notify",
	 ": $.states.reported.on_enter[1].notify[0]: 'mayor' is not a role or target; "
	 "expected \"owner\", \"reporter\", a role (ciso, chief_security_officer, "
	 "security_officer, security_manager, system_manager, csirt, auditor or admin), "
	 "{\"role\": ROLE, \"deputy\": N} or {\"owner_deputy\": N}"},
	{"unknown-role-owner",
	 ": $.states.triage.owner.role: 'cisrt' is not a role; expected ciso, "
	 "chief_security_officer, security_officer, security_manager, system_manager, "
	 "csirt, auditor or admin"},
	{"unknown-state-key",
	 ": $.states.triage.timeout: unknown key in a state; expected title, description, "
	 "owner, terminal, on_enter, deadlines, escalation, actions or milestone"},
	{"unknown-top-key",
	 ": $.owner: unknown key in a workflow; expected workflow, version, title, "
	 "description, start, initial, states or incident_close"},
	{"bad-incident-close",
	 ": $.incident_close: 'later' is not a closing rule; expected \"stops\", "
	 "\"waivable\" or \"blocks\""},
	{"unreachable-state",
	 ": $.states.triage: unreachable: no action leads here from the initial state "
	 "'reported'"},
	{"clock-unknown",
	 ": $.states.reported.escalation[0].clock: 'business' is not a clock; expected calendar "
	 "(wall-clock time, the default) or office (the city's office hours of office days)"},
	{"clock-not-string",
	 ": $.states.reported.escalation[1].clock: a boolean is not a clock; expected "
	 "\"calendar\" or \"office\""},
	{"clock-case-unknown",
	 ": $.states.triage.deadlines[0].cases[0].clock: 'wall' is not a clock; expected "
	 "calendar (wall-clock time, the default) or office (the city's office hours of office "
	 "days)"},
	{"clock-remind-unknown",
	 ": $.states.triage.deadlines[0].remind[0].clock: 'weekdays' is not a clock; expected "
	 "calendar (wall-clock time, the default) or office (the city's office hours of office "
	 "days)"},
	{"clock-case-nothing",
	 ": $.states.reported.escalation[2].cases[0]: a case that changes nothing; expected "
	 "\"clock\", \"after\" or both"},
	{"clock-office-months",
	 ": $.states.triage.deadlines[0].after: 'P1M' counts months, which office time cannot; "
	 "expected days (each one office day's hours), hours, minutes or seconds with "
	 "\"clock\": \"office\""},
	{"clock-office-repeat-months",
	 ": $.states.reported.escalation[2].repeat: 'P1M' counts months, which office time "
	 "cannot; expected days (each one office day's hours), hours, minutes or seconds with "
	 "\"clock\": \"office\""},
	{"version-string",
	 ": $.version: expected a whole number from 1 to 2147483647, found a string"},
	{"version-zero",
	 ": $.version: expected a whole number from 1 to 2147483647, found 0"},
};

START_TEST(test_broken)
{
	char path[256], want[2048], err[2048] = "";
	snprintf(path, sizeof path, FIXTURES "%s.json", broken[_i].file);
	snprintf(want, sizeof want, "%s%s", path, broken[_i].msg);
	struct wf_def *def = wf_load_file(path, err, sizeof err);
	if (def)
		wf_free(def);
	ck_assert_msg(def == NULL, "accepted %s", path);
	ck_assert_str_eq(err, want);
}
END_TEST

/* Every fixture but valid.json has a row above, and every row a fixture. */
START_TEST(test_every_fixture_tested)
{
	size_t n = sizeof broken / sizeof broken[0];
	ck_assert_int_ge(n, 15);
	for (size_t i = 0; i < n; i++) {
		char path[256];
		snprintf(path, sizeof path, FIXTURES "%s.json", broken[i].file);
		ck_assert_msg(access(path, R_OK) == 0, "no fixture %s", path);
		for (size_t j = 0; j < i; j++)
			ck_assert_str_ne(broken[i].file, broken[j].file);
	}
	FILE *ls = popen("ls " FIXTURES " | grep -c '\\.json$'", "r");
	ck_assert_ptr_nonnull(ls);
	int files = 0;
	ck_assert_int_eq(fscanf(ls, "%d", &files), 1);
	pclose(ls);
	ck_assert_int_eq(files, (int)n + 1);
}
END_TEST

START_TEST(test_missing_file)
{
	char err[512] = "";
	ck_assert_ptr_null(wf_load_file(FIXTURES "no-such-file.json", err, sizeof err));
	ck_assert_str_eq(err, FIXTURES "no-such-file.json: unable to read the workflow file: "
				       "No such file or directory");
}
END_TEST

START_TEST(test_parse_from_memory)
{
	char err[512] = "";
	/* A message names the origin given; a tiny err buffer is cut, not overrun. */
	static const char text[] = "{\"workflow\": 1, \"version\": 1, \"title\": 1, \"start\": 1, "
				   "\"initial\": 1, \"states\": 1}";
	ck_assert_ptr_null(wf_parse("mem.json", text, strlen(text), err, sizeof err));
	ck_assert_str_eq(err, "mem.json: $.workflow: expected a string, found a whole number");
	ck_assert_ptr_null(wf_parse("mem.json", "{\"workflow\": 1}", 15, err, sizeof err));
	ck_assert_str_eq(err, "mem.json: $: a workflow without \"version\"");
	char tiny[8];
	ck_assert_ptr_null(wf_parse("mem.json", "{}", 2, tiny, sizeof tiny));
	ck_assert_str_eq(tiny, "mem.jso");
	ck_assert_ptr_null(wf_parse(NULL, "{}", 2, NULL, 0));
	ck_assert_ptr_null(wf_parse("mem.json", "", 0, err, sizeof err));
	ck_assert_msg(strncmp(err, "mem.json", 8) == 0, "%s", err);
}
END_TEST

START_TEST(test_too_big)
{
	size_t n = WF_FILE_MAX + 1;
	char *text = malloc(n);
	ck_assert_ptr_nonnull(text);
	memset(text, ' ', n);
	char err[512] = "";
	ck_assert_ptr_null(wf_parse("big.json", text, n, err, sizeof err));
	ck_assert_str_eq(err, "big.json: the file has 1048577 bytes; expected at most 1048576");
	free(text);
}
END_TEST

/* "clock": a step, its cases, a deadline, its cases and reminders; calendar
 * unless said, a case or reminder taking its step's or deadline's clock. */
static char *read_text(const char *path, size_t *len);

static char *replace_once(const char *text, const char *from, const char *to)
{
	const char *at = strstr(text, from);
	ck_assert_msg(at != NULL, "no '%s' in the fixture", from);
	size_t n = strlen(text) - strlen(from) + strlen(to) + 1;
	char *out = malloc(n);
	ck_assert_ptr_nonnull(out);
	snprintf(out, n, "%.*s%s%s", (int)(at - text), text, to, at + strlen(from));
	return out;
}

START_TEST(test_clock_values)
{
	size_t len;
	char *a = strdup(read_text(FIXTURES "valid.json", &len));
	char *b = replace_once(a, "\"template\": \"reminder\"}",
			       "\"template\": \"reminder\", \"clock\": \"office\", \"cases\": "
			       "[{\"when\": {\"field\": \"severity\", \"eq\": 3}, \"clock\": "
			       "\"calendar\"}, {\"when\": {\"field\": \"bcp\", \"eq\": true}, "
			       "\"after\": \"PT0S\"}]}");
	char *c = replace_once(b, "\"after\": \"P3D\",", "\"after\": \"P3D\", \"clock\": \"office\",");
	char *d = replace_once(c, "\"after\": \"P5D\"}", "\"after\": \"P5D\", \"clock\": \"calendar\"}");
	char err[1024] = "";
	struct wf_def *def = wf_parse("mem.json", d, strlen(d), err, sizeof err);
	ck_assert_msg(def != NULL, "%s", err);
	const struct wf_state *s = wf_find_state(def, "reported");
	ck_assert_int_eq(s->escalation[0].clock, WF_CLOCK_OFFICE);
	ck_assert_int_eq(s->escalation[0].ncases, 2);
	ck_assert_int_eq(s->escalation[0].cases[0].clock, WF_CLOCK_CALENDAR);
	ck_assert_int_eq(s->escalation[0].cases[0].has_after, 0);
	ck_assert_str_eq(s->escalation[0].cases[0].after_text, "PT30M");
	ck_assert_int_eq(s->escalation[0].cases[1].clock, WF_CLOCK_OFFICE); /* the step's */
	ck_assert_int_eq(s->escalation[0].cases[1].has_after, 1);
	ck_assert_int_eq(s->escalation[1].clock, WF_CLOCK_CALENDAR); /* the default */
	ck_assert_int_eq(s->escalation[1].ncases, 0);
	const struct duration *after;
	enum wf_clock clock;
	json_t *none = parse("{\"severity\": 1, \"bcp\": false}"), *sev3 = parse("{\"severity\": 3}"),
	       *bcp = parse("{\"bcp\": true}");
	wf_step_timing(&s->escalation[0], none, &after, &clock);
	ck_assert_int_eq(clock, WF_CLOCK_OFFICE);
	ck_assert_int_eq(after->seconds, 1800);
	wf_step_timing(&s->escalation[0], sev3, &after, &clock);
	ck_assert_int_eq(clock, WF_CLOCK_CALENDAR);
	ck_assert_int_eq(after->seconds, 1800);
	wf_step_timing(&s->escalation[0], bcp, &after, &clock);
	ck_assert_int_eq(clock, WF_CLOCK_OFFICE);
	ck_assert_int_eq(after->seconds, 0);
	wf_step_timing(&s->escalation[1], sev3, &after, &clock);
	ck_assert_int_eq(clock, WF_CLOCK_CALENDAR);
	ck_assert_int_eq(after->seconds, 3600);

	const struct wf_deadline *dl = &wf_find_state(def, "triage")->deadlines[0];
	ck_assert_int_eq(dl->clock, WF_CLOCK_OFFICE);
	ck_assert_int_eq(dl->cases[0].clock, WF_CLOCK_CALENDAR);
	ck_assert_int_eq(dl->remind[0].clock, WF_CLOCK_OFFICE); /* the deadline's */
	json_t *mal = parse("{\"personal_data\": {\"malicious\": true}}");
	ck_assert_int_eq(wf_deadline_clock(dl, none), WF_CLOCK_OFFICE);
	ck_assert_int_eq(wf_deadline_clock(dl, mal), WF_CLOCK_CALENDAR);
	ck_assert_str_eq(wf_clock_name(WF_CLOCK_OFFICE), "office");
	ck_assert_str_eq(wf_clock_name(WF_CLOCK_CALENDAR), "calendar");
	wf_free(def);

	/* Without "clock" everything is on the calendar. */
	def = wf_parse("mem.json", a, strlen(a), err, sizeof err);
	ck_assert_msg(def != NULL, "%s", err);
	s = wf_find_state(def, "reported");
	for (size_t i = 0; i < s->nescalation; i++)
		ck_assert_int_eq(s->escalation[i].clock, WF_CLOCK_CALENDAR);
	dl = &wf_find_state(def, "triage")->deadlines[0];
	ck_assert_int_eq(dl->clock, WF_CLOCK_CALENDAR);
	ck_assert_int_eq(dl->cases[0].clock, WF_CLOCK_CALENDAR);
	ck_assert_int_eq(dl->remind[0].clock, WF_CLOCK_CALENDAR);
	wf_free(def);
	json_decref(none);
	json_decref(sev3);
	json_decref(bcp);
	json_decref(mal);
	free(a);
	free(b);
	free(c);
	free(d);
}
END_TEST

/* ---- mail templates named by a workflow exist in every language ---- */

static char *read_text(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	ck_assert_msg(f != NULL, "%s", path);
	static char text[WF_FILE_MAX];
	*len = fread(text, 1, sizeof text - 1, f);
	text[*len] = '\0';
	fclose(f);
	return text;
}

START_TEST(test_missing_template)
{
	size_t len;
	char *text = read_text("workflows/reporting-duty.json", &len);
	char err[1024] = "";
	struct wf_def *d;

	/* without a templates directory only the name's form is checked */
	wf_set_mail_templates_dir(NULL);
	char *at = strstr(text, "\"template\": \"escalated\"");
	ck_assert_ptr_nonnull(at);
	memcpy(at, "\"template\": \"escalatd\" ", 23);
	d = wf_parse("rd.json", text, len, err, sizeof err);
	ck_assert_msg(d != NULL, "%s", err);
	wf_free(d);

	/* the shipped templates: a misspelt name is refused with its JSON path */
	wf_set_mail_templates_dir("templates");
	ck_assert_ptr_null(wf_parse("rd.json", text, len, err, sizeof err));
	ck_assert_str_eq(err, "rd.json: $.states.reported.escalation[1].template: no mail template "
			      "'escalatd' in ja: templates/mail/escalatd.ja.mustache does not exist");

	/* a template present in Japanese only is refused for English */
	memcpy(at, "\"template\": \"escalated\"", 23);
	char dir[] = "/tmp/sokuho-wftmpl-XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(dir));
	char mail[64], file[128];
	snprintf(mail, sizeof mail, "%s/mail", dir);
	ck_assert_int_eq(mkdir(mail, 0700), 0);
	static const char *const names[] = {"acknowledged", "escalated", "reminder", "reported",
					    "reported_to_chief", "reported_to_ciso", "reporting_done",
					    "severe_incident", "deadline_overdue", "closed"};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		for (int en = 0; en < 2; en++) {
			if (en && strcmp(names[i], "escalated") == 0)
				continue;
			snprintf(file, sizeof file, "%s/%s.%s.mustache", mail, names[i], en ? "en" : "ja");
			FILE *f = fopen(file, "w");
			ck_assert_ptr_nonnull(f);
			fclose(f);
		}
	wf_set_mail_templates_dir(dir);
	d = wf_parse("rd.json", text, len, err, sizeof err);
	char want[512];
	snprintf(want, sizeof want,
		 "rd.json: $.states.reported.escalation[1].template: no mail template 'escalated' in "
		 "en: %s/escalated.en.mustache does not exist",
		 mail);
	ck_assert_ptr_null(d);
	ck_assert_str_eq(err, want);

	/* with every file there it loads */
	snprintf(file, sizeof file, "%s/escalated.en.mustache", mail);
	FILE *f = fopen(file, "w");
	ck_assert_ptr_nonnull(f);
	fclose(f);
	d = wf_parse("rd.json", text, len, err, sizeof err);
	ck_assert_msg(d != NULL, "%s", err);
	wf_free(d);
	wf_set_mail_templates_dir(NULL);
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}
END_TEST

/* ---- the API over tests/unit/workflows/valid.json ---- */

START_TEST(test_valid_structure)
{
	struct wf_def *def = load(FIXTURES "valid.json");
	ck_assert_str_eq(def->origin, FIXTURES "valid.json");
	ck_assert_str_eq(def->name, "test-flow");
	ck_assert_int_eq(def->version, 1);
	ck_assert_str_eq(def->title.ja, "テスト");
	ck_assert_str_eq(def->title.en, "Test");
	ck_assert_int_eq(def->has_description, 0);
	ck_assert_str_eq(def->initial, "reported");
	ck_assert_ptr_eq(def->initial_state, &def->states[0]);
	ck_assert_int_eq(def->nstates, 3);
	/* File order. */
	ck_assert_str_eq(def->states[0].name, "reported");
	ck_assert_str_eq(def->states[1].name, "triage");
	ck_assert_str_eq(def->states[2].name, "closed");

	const struct wf_state *s = wf_find_state(def, "reported");
	ck_assert_ptr_eq(s, &def->states[0]);
	ck_assert_ptr_null(wf_find_state(def, "nowhere"));
	ck_assert_ptr_null(wf_find_state(def, NULL));
	ck_assert_str_eq(s->owner_role, "security_manager");
	ck_assert_int_eq(s->owner_scope, WF_SCOPE_INCIDENT);
	ck_assert_int_eq(s->terminal, 0);

	ck_assert_int_eq(s->non_enter, 2);
	ck_assert_int_eq(s->on_enter[0].ntargets, 1);
	ck_assert_int_eq(s->on_enter[0].targets[0].kind, WF_TARGET_OWNER);
	ck_assert_str_eq(s->on_enter[0].targets[0].role, "security_manager");
	ck_assert_int_eq(s->on_enter[0].targets[0].deputy, 0);
	ck_assert_str_eq(s->on_enter[0].tmpl, "reported");
	ck_assert_ptr_null(s->on_enter[0].when);
	ck_assert_int_eq(s->on_enter[1].targets[0].kind, WF_TARGET_ROLE);
	ck_assert_str_eq(s->on_enter[1].targets[0].role, "ciso");
	ck_assert_ptr_nonnull(s->on_enter[1].when);

	ck_assert_int_eq(s->nescalation, 3);
	ck_assert_int_eq(s->escalation[0].after.seconds, 1800);
	ck_assert_str_eq(s->escalation[0].after_text, "PT30M");
	ck_assert_int_eq(s->escalation[0].notify.targets[0].kind, WF_TARGET_OWNER);
	ck_assert_str_eq(s->escalation[0].notify.targets[0].role, "security_manager");
	ck_assert_int_eq(s->escalation[0].notify.targets[0].deputy, 1);
	ck_assert_int_eq(s->escalation[0].has_repeat, 0);
	ck_assert_int_eq(s->escalation[0].max, 1);
	ck_assert_str_eq(s->escalation[1].notify.targets[0].role, "chief_security_officer");
	ck_assert_int_eq(s->escalation[2].has_repeat, 1);
	ck_assert_int_eq(s->escalation[2].repeat.seconds, 3600);
	ck_assert_int_eq(s->escalation[2].max, 6);

	const struct wf_action *a = wf_find_action(s, "acknowledge");
	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_null(wf_find_action(s, "confirm"));
	ck_assert_ptr_null(wf_find_action(NULL, "confirm"));
	ck_assert_str_eq(a->to, "triage");
	ck_assert_ptr_eq(a->to_state, wf_find_state(def, "triage"));
	ck_assert_str_eq(a->title.en, "Acknowledge");
	/* "owner" became the owner's role. */
	ck_assert_int_eq(a->nby, 2);
	ck_assert_str_eq(a->by[0], "security_manager");
	ck_assert_str_eq(a->by[1], "csirt");
	ck_assert_int_eq(a->nfields, 0);

	s = wf_find_state(def, "triage");
	ck_assert_int_eq(s->ndeadlines, 1);
	const struct wf_deadline *dl = &s->deadlines[0];
	ck_assert_str_eq(dl->key, "triage");
	ck_assert_int_eq(dl->from, WF_FROM_DISCOVERED_AT);
	ck_assert_str_eq(dl->from_name, "discovered_at");
	ck_assert_int_eq(dl->after.days, 3);
	ck_assert_int_eq(dl->ncases, 1);
	ck_assert_int_eq(dl->nremind, 1);
	ck_assert_int_eq(dl->remind[0].before.days, 1);
	ck_assert_str_eq(dl->remind[0].notify.tmpl, "deadline_reminder");
	ck_assert_int_eq(dl->has_overdue, 1);
	ck_assert_int_eq(dl->overdue.ntargets, 2);
	ck_assert_str_eq(dl->overdue.targets[1].role, "ciso");

	a = wf_find_action(s, "confirm");
	ck_assert_int_eq(a->nfields, 1);
	ck_assert_str_eq(a->fields[0].name, "severity");
	ck_assert_int_eq(a->fields[0].type, WF_FIELD_INTEGER);
	ck_assert_str_eq(a->fields[0].type_name, "integer");
	ck_assert_int_eq(a->fields[0].required, 1);
	ck_assert_int_eq(a->fields[0].min, 0);
	ck_assert_int_eq(a->fields[0].max, 3);
	ck_assert_str_eq(a->fields[0].fact, "severity");
	a = wf_find_action(s, "not_an_incident");
	ck_assert_int_eq(a->fields[0].type, WF_FIELD_TEXT);
	ck_assert_int_eq(a->fields[0].min, 1);
	ck_assert_int_eq(a->fields[0].max, 2000);
	ck_assert_ptr_null(a->fields[0].fact);

	s = wf_find_state(def, "closed");
	ck_assert_int_eq(s->terminal, 1);
	ck_assert_ptr_null(s->owner_role);
	ck_assert_int_eq(s->on_enter[0].targets[0].kind, WF_TARGET_REPORTER);
	ck_assert_ptr_null(s->on_enter[0].targets[0].role);
	wf_free(def);
	wf_free(NULL);
}
END_TEST

START_TEST(test_valid_facts)
{
	struct wf_def *def = load(FIXTURES "valid.json");
	json_t *none = parse("{}");
	json_t *sev2 = parse("{\"severity\": 2}");
	json_t *sev3 = parse("{\"severity\": 3, \"personal_data\": {\"malicious\": true}}");

	ck_assert_int_eq(def->start, WF_START_WHEN);
	ck_assert_int_eq(wf_should_start(def, none), 0);
	ck_assert_int_eq(wf_should_start(def, NULL), 0);
	ck_assert_int_eq(wf_should_start(def, sev2), 1);
	ck_assert_int_eq(wf_should_start(NULL, sev2), 0);

	const struct wf_state *s = wf_find_state(def, "reported");
	ck_assert_int_eq(wf_notify_applies(&s->on_enter[0], none), 1);
	ck_assert_int_eq(wf_notify_applies(&s->on_enter[1], sev2), 0);
	ck_assert_int_eq(wf_notify_applies(&s->on_enter[1], sev3), 1);
	ck_assert_int_eq(wf_notify_applies(NULL, sev3), 0);

	const struct wf_deadline *dl = &wf_find_state(def, "triage")->deadlines[0];
	ck_assert_int_eq(wf_deadline_after(dl, none)->days, 3);
	ck_assert_int_eq(wf_deadline_after(dl, sev3)->days, 5);
	json_decref(none);
	json_decref(sev2);
	json_decref(sev3);
	wf_free(def);
}
END_TEST

START_TEST(test_sha256_and_source)
{
	struct wf_def *def = load(FIXTURES "valid.json");
	FILE *f = fopen(FIXTURES "valid.json", "rb");
	ck_assert_ptr_nonnull(f);
	static char bytes[65536];
	size_t n = fread(bytes, 1, sizeof bytes, f);
	fclose(f);
	ck_assert_int_eq(def->source_len, n);
	ck_assert(memcmp(def->source, bytes, n) == 0);
	ck_assert_int_eq(def->source[n], '\0');
	unsigned char h[crypto_hash_sha256_BYTES];
	char hex[65];
	crypto_hash_sha256(h, (const unsigned char *)bytes, n);
	sodium_bin2hex(hex, sizeof hex, h, sizeof h);
	ck_assert_str_eq(def->sha256, hex);
	ck_assert(json_is_object(def->json));
	ck_assert_str_eq(json_string_value(json_object_get(def->json, "workflow")), "test-flow");

	/* The same bytes hash the same; one byte more is another file. */
	struct wf_def *other = wf_parse("x.json", bytes, n, NULL, 0);
	ck_assert_ptr_nonnull(other);
	ck_assert_str_eq(other->sha256, def->sha256);
	wf_free(other);
	bytes[n] = '\n';
	other = wf_parse("x.json", bytes, n + 1, NULL, 0);
	ck_assert_ptr_nonnull(other);
	ck_assert_str_ne(other->sha256, def->sha256);
	wf_free(other);
	wf_free(def);
}
END_TEST

START_TEST(test_roles)
{
	ck_assert_int_eq(wf_role_known("ciso"), 1);
	ck_assert_int_eq(wf_role_known("chief_security_officer"), 1);
	ck_assert_int_eq(wf_role_known("security_officer"), 1);
	ck_assert_int_eq(wf_role_known("security_manager"), 1);
	ck_assert_int_eq(wf_role_known("system_manager"), 1);
	ck_assert_int_eq(wf_role_known("csirt"), 1);
	ck_assert_int_eq(wf_role_known("auditor"), 1);
	ck_assert_int_eq(wf_role_known("admin"), 1);
	ck_assert_int_eq(wf_role_known("owner"), 0);
	ck_assert_int_eq(wf_role_known("CISO"), 0);
	ck_assert_int_eq(wf_role_known(NULL), 0);
}
END_TEST

/* ---- sets ---- */

START_TEST(test_set_duplicate_names)
{
	const struct wf_def *defs[2];
	struct wf_def *a = load(FIXTURES "valid.json");
	struct wf_def *b = load(FIXTURES "valid.json");
	char err[1024] = "";
	defs[0] = a;
	defs[1] = b;
	ck_assert_int_eq(wf_check_set(defs, 1, err, sizeof err), 0);
	ck_assert_int_eq(wf_check_set(defs, 2, err, sizeof err), -1);
	ck_assert_str_eq(err, FIXTURES "valid.json: $.workflow: 'test-flow' is already the name "
				       "of the workflow in " FIXTURES "valid.json; expected each "
				       "workflow once (raise \"version\" to change one)");
	wf_free(a);
	wf_free(b);
}
END_TEST

static char *make_dir(void)
{
	char *dir = strdup("/tmp/sokuho-wf-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	return dir;
}

static void copy_to(const char *from, const char *dir, const char *name)
{
	char cmd[1024];
	snprintf(cmd, sizeof cmd, "cp '%s' '%s/%s'", from, dir, name);
	ck_assert_int_eq(system(cmd), 0);
}

static void remove_dir(char *dir)
{
	char cmd[512];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
	free(dir);
}

START_TEST(test_load_dir)
{
	char err[1024] = "";
	char *dir = make_dir();

	struct wf_set *set = wf_load_dir(dir, err, sizeof err);
	ck_assert_msg(set != NULL, "%s", err);
	ck_assert_int_eq(set->n, 0);
	wf_set_free(set);

	/* legal-clocks.json is not a workflow and is skipped; so are other files. */
	copy_to("workflows/legal-clocks.json", dir, WF_LEGAL_FILE);
	copy_to(FIXTURES "valid.json", dir, "test-flow.json");
	copy_to(FIXTURES "not-json.json", dir, "README.txt");
	set = wf_load_dir(dir, err, sizeof err);
	ck_assert_msg(set != NULL, "%s", err);
	ck_assert_int_eq(set->n, 1);
	ck_assert_ptr_nonnull(wf_set_find(set, "test-flow"));
	ck_assert_ptr_null(wf_set_find(set, "reporting-duty"));
	wf_set_free(set);

	/* A file must be named after its workflow. */
	copy_to(FIXTURES "valid.json", dir, "other.json");
	ck_assert_ptr_null(wf_load_dir(dir, err, sizeof err));
	char want[1024];
	snprintf(want, sizeof want,
		 "%s/other.json: $.workflow: 'test-flow' does not match the file name; expected "
		 "'other' (a workflow lives in NAME.json)",
		 dir);
	ck_assert_str_eq(err, want);

	/* A broken file is reported by its path in the directory. */
	copy_to(FIXTURES "version-zero.json", dir, "other.json");
	ck_assert_ptr_null(wf_load_dir(dir, err, sizeof err));
	snprintf(want, sizeof want,
		 "%s/other.json: $.version: expected a whole number from 1 to 2147483647, found 0",
		 dir);
	ck_assert_str_eq(err, want);
	remove_dir(dir);

	ck_assert_ptr_null(wf_load_dir("/nonexistent-sokuho-dir", err, sizeof err));
	ck_assert_str_eq(err, "/nonexistent-sokuho-dir: unable to open the workflow directory: "
			      "No such file or directory");
}
END_TEST

static char *slurp(FILE *f)
{
	static char text[8192];
	rewind(f);
	size_t n = fread(text, 1, sizeof text - 1, f);
	text[n] = '\0';
	return text;
}

START_TEST(test_check_files)
{
	FILE *out = tmpfile(), *errs = tmpfile();
	ck_assert_ptr_nonnull(out);
	ck_assert_ptr_nonnull(errs);
	const char *paths[] = {"workflows/reporting-duty.json", FIXTURES "dead-end.json",
			       FIXTURES "valid.json", FIXTURES "valid.json"};
	/* One broken file and one duplicate name. */
	ck_assert_int_eq(wf_check_files(paths, 4, out, errs), 2);
	ck_assert_str_eq(slurp(out), "workflows/reporting-duty.json: ok (reporting-duty version 4, "
				     "5 states)\n" FIXTURES "valid.json: ok (test-flow version 1, "
				     "3 states)\n" FIXTURES "valid.json: ok (test-flow version 1, "
				     "3 states)\n");
	const char *e = slurp(errs);
	ck_assert_msg(strstr(e, FIXTURES "dead-end.json: $.states.parked: a dead end") == e, "%s", e);
	ck_assert_msg(strstr(e, "\n" FIXTURES "valid.json: $.workflow: 'test-flow' is already the "
				"name of the workflow in " FIXTURES "valid.json") != NULL,
		      "%s", e);
	fclose(out);
	fclose(errs);

	out = tmpfile();
	errs = tmpfile();
	ck_assert_int_eq(wf_check_files(paths, 1, out, errs), 0);
	ck_assert_str_eq(slurp(errs), "");
	ck_assert_int_eq(wf_check_files(NULL, 0, out, errs), 0);
	fclose(out);
	fclose(errs);

	/* The legal clocks in the same folder are checked by their own rules. */
	out = tmpfile();
	errs = tmpfile();
	const char *legal[] = {"workflows/legal-clocks.json", FIXTURES "valid.json"};
	ck_assert_int_eq(wf_check_files(legal, 2, out, errs), 0);
	ck_assert_str_eq(slurp(out), "workflows/legal-clocks.json: ok (legal clock rules)\n" FIXTURES
				     "valid.json: ok (test-flow version 1, 3 states)\n");
	fclose(out);
	fclose(errs);
	char *dir = make_dir();
	copy_to(FIXTURES "valid.json", dir, WF_LEGAL_FILE);
	char path[512], want[1024];
	snprintf(path, sizeof path, "%s/%s", dir, WF_LEGAL_FILE);
	const char *one[] = {path};
	out = tmpfile();
	errs = tmpfile();
	ck_assert_int_eq(wf_check_files(one, 1, out, errs), 1);
	snprintf(want, sizeof want,
		 "%s: $.workflow: unknown key in the legal clock rules; expected version or clocks\n",
		 path);
	ck_assert_str_eq(slurp(errs), want);
	fclose(out);
	fclose(errs);
	remove_dir(dir);
}
END_TEST

/* ---- the shipped workflows ---- */

static const char *const shipped[] = {"reporting-duty", "emergency-response", "ppc-leak-report",
				      "mynumber-leak-report"};

static struct wf_set *set;

static void load_shipped(void)
{
	char err[2048] = "";
	set = wf_load_dir("workflows", err, sizeof err);
	ck_assert_msg(set != NULL, "%s", err);
}

static void free_shipped(void)
{
	wf_set_free(set);
	set = NULL;
}

static const struct wf_def *get(const char *name)
{
	const struct wf_def *def = wf_set_find(set, name);
	ck_assert_msg(def != NULL, "no workflow %s", name);
	return def;
}

static int has_target(const struct wf_notify *n, enum wf_target_kind kind, const char *role,
		      int deputy)
{
	for (size_t i = 0; i < n->ntargets; i++)
		if (n->targets[i].kind == kind && n->targets[i].deputy == deputy &&
		    (role ? n->targets[i].role && strcmp(n->targets[i].role, role) == 0
			  : n->targets[i].role == NULL))
			return 1;
	return 0;
}

START_TEST(test_shipped_all_pass)
{
	ck_assert_int_eq(set->n, 4);
	for (size_t i = 0; i < 4; i++) {
		const struct wf_def *def = get(shipped[i]);
		ck_assert_int_ge(def->version, 1);
		ck_assert(*def->title.ja && *def->title.en);
		for (size_t s = 0; s < def->nstates; s++) {
			const struct wf_state *st = &def->states[s];
			ck_assert(*st->title.ja && *st->title.en);
			for (size_t a = 0; a < st->nactions; a++)
				ck_assert(*st->actions[a].title.ja && *st->actions[a].title.en);
		}
	}
	FILE *out = tmpfile(), *errs = tmpfile();
	const char *paths[] = {"workflows/reporting-duty.json", "workflows/emergency-response.json",
			       "workflows/ppc-leak-report.json",
			       "workflows/mynumber-leak-report.json"};
	ck_assert_int_eq(wf_check_files(paths, 4, out, errs), 0);
	fclose(out);
	fclose(errs);
}
END_TEST

START_TEST(test_reporting_duty)
{
	const struct wf_def *def = get("reporting-duty");
	ck_assert_int_eq(def->start, WF_START_ALWAYS);
	json_t *facts = parse("{}");
	ck_assert_int_eq(wf_should_start(def, facts), 1);
	json_decref(facts);

	/* reported -> acknowledged -> with_chief -> with_ciso -> done */
	const struct wf_state *s = def->initial_state;
	ck_assert_str_eq(s->name, "reported");
	ck_assert_str_eq(s->owner_role, "security_manager");
	ck_assert_int_eq(s->owner_scope, WF_SCOPE_INCIDENT);
	const struct wf_action *a = wf_find_action(s, "acknowledge");
	ck_assert_ptr_nonnull(a);
	ck_assert_str_eq(a->by[0], "security_manager");
	s = a->to_state;
	ck_assert_str_eq(s->name, "acknowledged");
	a = wf_find_action(s, "report_to_chief");
	ck_assert_ptr_nonnull(a);
	s = a->to_state;
	ck_assert_str_eq(s->name, "with_chief");
	ck_assert_str_eq(s->owner_role, "chief_security_officer");
	ck_assert(has_target(&s->on_enter[0], WF_TARGET_ROLE, "system_manager", 0));
	ck_assert_str_eq(wf_find_action(s, "complete")->to, "done");
	a = wf_find_action(s, "report_to_ciso");
	ck_assert_ptr_nonnull(a);
	s = a->to_state;
	ck_assert_str_eq(s->name, "with_ciso");
	ck_assert_str_eq(s->owner_role, "ciso");
	ck_assert(wf_find_action(s, "confirm")->to_state->terminal);

	/* The ladder: PT30M first deputy, PT1H chief, PT2H CISO hourly, 6 times. */
	s = def->initial_state;
	ck_assert_int_eq(s->nescalation, 3);
	ck_assert_str_eq(s->escalation[0].after_text, "PT30M");
	ck_assert(has_target(&s->escalation[0].notify, WF_TARGET_OWNER, "security_manager", 1));
	ck_assert_str_eq(s->escalation[1].after_text, "PT1H");
	ck_assert(has_target(&s->escalation[1].notify, WF_TARGET_ROLE, "chief_security_officer", 0));
	ck_assert_str_eq(s->escalation[2].after_text, "PT2H");
	ck_assert(has_target(&s->escalation[2].notify, WF_TARGET_ROLE, "ciso", 0));
	ck_assert_int_eq(s->escalation[2].has_repeat, 1);
	ck_assert_str_eq(s->escalation[2].repeat_text, "PT1H");
	ck_assert_int_eq(s->escalation[2].max, 6);
	/* The first report's ladder counts wall-clock time; the steps after the
	 * manager has it count office time, unless severity 3 or BCP. */
	for (size_t i = 0; i < s->nescalation; i++)
		ck_assert_int_eq(s->escalation[i].clock, WF_CLOCK_CALENDAR);
	json_t *routine = parse("{\"severity\": 1, \"bcp\": false}");
	json_t *sev3 = parse("{\"severity\": 3, \"bcp\": false}");
	json_t *bcp = parse("{\"bcp\": true}");
	static const char *const office[] = {"acknowledged", "with_chief"};
	for (size_t k = 0; k < 2; k++) {
		s = wf_find_state(def, office[k]);
		const struct duration *after;
		enum wf_clock clock;
		wf_step_timing(&s->escalation[0], routine, &after, &clock);
		ck_assert_int_eq(clock, WF_CLOCK_OFFICE);
		wf_step_timing(&s->escalation[0], sev3, &after, &clock);
		ck_assert_int_eq(clock, WF_CLOCK_CALENDAR);
		wf_step_timing(&s->escalation[0], bcp, &after, &clock);
		ck_assert_int_eq(clock, WF_CLOCK_CALENDAR);
	}
	ck_assert_int_eq(wf_find_state(def, "with_ciso")->escalation[0].clock, WF_CLOCK_CALENDAR);
	json_decref(routine);
	json_decref(sev3);
	json_decref(bcp);
}
END_TEST

/* Severity 3 and BCP-activating incidents reach the CISO at once: a
 * notification of the initial state that names the CISO and applies. */
static int ciso_at_once(const struct wf_def *def, const char *facts_text)
{
	json_t *facts = parse(facts_text);
	int found = 0;
	const struct wf_state *s = def->initial_state;
	for (size_t i = 0; i < s->non_enter; i++)
		if (wf_notify_applies(&s->on_enter[i], facts) &&
		    has_target(&s->on_enter[i], WF_TARGET_ROLE, "ciso", 0))
			found = 1;
	json_decref(facts);
	return found;
}

START_TEST(test_severe_reaches_ciso)
{
	const struct wf_def *def = get("reporting-duty");
	ck_assert_int_eq(ciso_at_once(def, "{\"severity\": 3}"), 1);
	ck_assert_int_eq(ciso_at_once(def, "{\"bcp\": true}"), 1);
	ck_assert_int_eq(ciso_at_once(def, "{\"severity\": 2, \"bcp\": true}"), 1);
	ck_assert_int_eq(ciso_at_once(def, "{\"severity\": 2, \"bcp\": false}"), 0);
	ck_assert_int_eq(ciso_at_once(def, "{}"), 0);

	/* Severity set later (by the manager's report or at triage) reaches the
	 * CISO when the next state is entered. */
	json_t *sev3 = parse("{\"severity\": 3}");
	const struct wf_state *s = wf_find_state(def, "with_chief");
	int found = 0;
	for (size_t i = 0; i < s->non_enter; i++)
		found |= wf_notify_applies(&s->on_enter[i], sev3) &&
			 has_target(&s->on_enter[i], WF_TARGET_ROLE, "ciso", 0);
	ck_assert(found);
	const struct wf_def *er = get("emergency-response");
	const struct wf_field *f = &wf_find_action(er->initial_state, "confirm")->fields[0];
	ck_assert_str_eq(f->fact, "severity");
	ck_assert_int_eq(f->required, 1);
	s = wf_find_state(er, "containment");
	found = 0;
	for (size_t i = 0; i < s->non_enter; i++)
		found |= wf_notify_applies(&s->on_enter[i], sev3) &&
			 has_target(&s->on_enter[i], WF_TARGET_ROLE, "ciso", 0);
	ck_assert(found);
	json_decref(sev3);
}
END_TEST

START_TEST(test_emergency_response)
{
	const struct wf_def *def = get("emergency-response");
	static const char *const path[] = {"triage",	"containment",	   "eradication",
					   "recovery", "lessons_learned", "closed"};
	const struct wf_state *s = def->initial_state;
	ck_assert_int_eq(def->start, WF_START_ALWAYS);
	for (size_t i = 0; i + 1 < sizeof path / sizeof path[0]; i++) {
		ck_assert_str_eq(s->name, path[i]);
		ck_assert_str_eq(s->owner_role, "csirt");
		ck_assert_int_eq(s->terminal, 0);
		/* The forward action is the first one. */
		s = s->actions[0].to_state;
	}
	ck_assert_str_eq(s->name, "closed");
	ck_assert_int_eq(s->terminal, 1);

	/* Closed at triage as not an incident, with a reason. */
	const struct wf_action *a = wf_find_action(def->initial_state, "not_an_incident");
	ck_assert_ptr_nonnull(a);
	ck_assert_int_eq(a->to_state->terminal, 1);
	ck_assert_int_eq(a->nfields, 1);
	ck_assert_str_eq(a->fields[0].name, "reason");
	ck_assert_int_eq(a->fields[0].required, 1);

	/* Containment tells the responders not to power off. */
	s = wf_find_state(def, "containment");
	ck_assert(s->has_description);
	ck_assert_ptr_nonnull(strstr(s->description.ja, "電源を切らず"));
	/* Lessons learned record the recurrence prevention. */
	a = wf_find_action(wf_find_state(def, "lessons_learned"), "close");
	int prevention = 0;
	for (size_t i = 0; i < a->nfields; i++)
		prevention |= strcmp(a->fields[i].name, "prevention") == 0 && a->fields[i].required;
	ck_assert(prevention);
}
END_TEST

/* The legal workflows start on exactly the legal clock's condition and count
 * the same deadlines as workflows/legal-clocks.json. */
static void check_legal(const char *workflow, const char *clock_key, const char *pre,
			const char *fin)
{
	json_error_t e;
	json_t *legal = json_load_file("workflows/legal-clocks.json", 0, &e);
	ck_assert_ptr_nonnull(legal);
	const json_t *clock = NULL, *c;
	size_t i;
	json_array_foreach(json_object_get(legal, "clocks"), i, c)
		if (strcmp(json_string_value(json_object_get(c, "key")), clock_key) == 0)
			clock = c;
	ck_assert_ptr_nonnull(clock);

	const struct wf_def *def = get(workflow);
	ck_assert_int_eq(def->start, WF_START_WHEN);
	ck_assert_msg(json_equal(def->start_when, json_object_get(clock, "when")),
		      "%s does not start on the %s clock's condition", workflow, clock_key);

	const char *keys[] = {pre, fin};
	for (size_t k = 0; k < 2; k++) {
		const json_t *want = NULL;
		json_array_foreach(json_object_get(clock, "deadlines"), i, c)
			if (strcmp(json_string_value(json_object_get(c, "key")), keys[k]) == 0)
				want = c;
		ck_assert_ptr_nonnull(want);
		int seen = 0;
		for (size_t s = 0; s < def->nstates; s++)
			for (size_t d = 0; d < def->states[s].ndeadlines; d++) {
				const struct wf_deadline *dl = &def->states[s].deadlines[d];
				if (strcmp(dl->key, keys[k]) != 0)
					continue;
				seen++;
				ck_assert_str_eq(dl->from_name,
						 json_string_value(json_object_get(want, "from")));
				ck_assert_str_eq(dl->after_text,
						 json_string_value(json_object_get(want, "after")));
				const json_t *cases = json_object_get(want, "cases");
				ck_assert_int_eq(dl->ncases, json_array_size(cases));
				for (size_t j = 0; j < dl->ncases; j++) {
					const json_t *wc = json_array_get(cases, j);
					ck_assert(json_equal(dl->cases[j].when,
							     json_object_get(wc, "when")));
					ck_assert_str_eq(dl->cases[j].after_text,
							 json_string_value(
								 json_object_get(wc, "after")));
				}
				ck_assert_int_ge(dl->nremind, 1);
				ck_assert_int_eq(dl->has_overdue, 1);
			}
		ck_assert_msg(seen >= 1, "%s has no deadline %s", workflow, keys[k]);
	}
	json_decref(legal);

	/* 速報 3 days after discovery, reminded before; 確報 30 days, 60 when
	 * malicious; notice to the persons. */
	const struct wf_state *s = def->initial_state;
	ck_assert_str_eq(s->deadlines[0].key, pre);
	ck_assert_int_eq(s->deadlines[0].from, WF_FROM_DISCOVERED_AT);
	ck_assert_int_eq(s->deadlines[0].after.days, 3);
	ck_assert_int_ge(s->deadlines[0].nremind, 2);
	json_t *plain = parse("{\"personal_data\": {\"malicious\": false}}");
	json_t *bad = parse("{\"personal_data\": {\"malicious\": true}}");
	const struct wf_state *fs = wf_find_state(def, "final_report");
	ck_assert_ptr_nonnull(fs);
	ck_assert_int_eq(wf_deadline_after(&fs->deadlines[0], plain)->days, 30);
	ck_assert_int_eq(wf_deadline_after(&fs->deadlines[0], bad)->days, 60);
	json_decref(plain);
	json_decref(bad);
	ck_assert_ptr_nonnull(wf_find_state(def, "notice_to_persons"));
}

START_TEST(test_ppc_leak_report)
{
	check_legal("ppc-leak-report", "ppc", "ppc_preliminary", "ppc_final");
	const struct wf_def *def = get("ppc-leak-report");
	json_t *yes = parse("{\"personal_data\": {\"involved\": \"yes\", \"persons\": 150, "
			    "\"encrypted\": false}}");
	json_t *few = parse("{\"personal_data\": {\"involved\": \"yes\", \"persons\": 3, "
			    "\"sensitive\": false, \"financial\": false, \"malicious\": false, "
			    "\"ordinance_sensitive\": false, \"encrypted\": false}}");
	ck_assert_int_eq(wf_should_start(def, yes), 1);
	ck_assert_int_eq(wf_should_start(def, few), 0);
	json_decref(yes);
	json_decref(few);
}
END_TEST

START_TEST(test_mynumber_leak_report)
{
	check_legal("mynumber-leak-report", "mynumber", "mynumber_preliminary", "mynumber_final");
	const struct wf_def *def = get("mynumber-leak-report");
	json_t *seg = parse("{\"segments\": [\"mynumber\"], \"personal_data\": {\"involved\": "
			    "\"yes\", \"mynumber\": true, \"persons\": 1}}");
	json_t *lgwan = parse("{\"segments\": [\"lgwan\"], \"personal_data\": {\"involved\": "
			      "\"yes\", \"mynumber\": false, \"persons\": 1}}");
	ck_assert_int_eq(wf_should_start(def, seg), 1);
	ck_assert_int_eq(wf_should_start(def, lgwan), 0);
	json_decref(seg);
	json_decref(lgwan);
}
END_TEST

Suite *workflow_suite(void)
{
	Suite *s = suite_create("workflow");
	TCase *tc = tcase_create("broken");
	tcase_add_loop_test(tc, test_broken, 0, (int)(sizeof broken / sizeof broken[0]));
	tcase_add_test(tc, test_every_fixture_tested);
	tcase_add_test(tc, test_missing_file);
	tcase_add_test(tc, test_parse_from_memory);
	tcase_add_test(tc, test_too_big);
	tcase_add_test(tc, test_clock_values);
	tcase_add_test(tc, test_missing_template);
	suite_add_tcase(s, tc);

	tc = tcase_create("api");
	tcase_add_test(tc, test_valid_structure);
	tcase_add_test(tc, test_valid_facts);
	tcase_add_test(tc, test_sha256_and_source);
	tcase_add_test(tc, test_roles);
	tcase_add_test(tc, test_set_duplicate_names);
	tcase_add_test(tc, test_load_dir);
	tcase_add_test(tc, test_check_files);
	suite_add_tcase(s, tc);

	tc = tcase_create("shipped");
	tcase_add_checked_fixture(tc, load_shipped, free_shipped);
	tcase_add_test(tc, test_shipped_all_pass);
	tcase_add_test(tc, test_reporting_duty);
	tcase_add_test(tc, test_severe_reaches_ciso);
	tcase_add_test(tc, test_emergency_response);
	tcase_add_test(tc, test_ppc_leak_report);
	tcase_add_test(tc, test_mynumber_leak_report);
	suite_add_tcase(s, tc);
	return s;
}
