/* Workflow definitions: the state machines of the JSON files in workflows/ (reporting
 * duty, emergency response, the PPC and My Number leak reports), parsed and
 * validated strictly into an immutable in-memory definition the engine walks.
 * The format is documented, key by key, in docs/workflows.md; in short:
 *
 *   {"workflow": NAME, "version": N, "title": TEXT, "description"?: TEXT,
 *    "start": "always" | {"when": CONDITION},
 *    "initial": STATE,
 *    "states": {STATE: {"title": TEXT, "description"?: TEXT,
 *                       "owner"?: {"role": ROLE, "scope"?: "incident" | "city"},
 *                       "terminal"?: true,
 *                       "on_enter"?: [{"notify": TARGETS, "template": T, "when"?: CONDITION}],
 *                       "deadlines"?: [{"key": ID, "title": TEXT,
 *                                       "from": "entered" | "discovered_at" |
 *                                               "occurred_at" | "reported_at",
 *                                       "after": DURATION, "clock"?: CLOCK,
 *                                       "cases"?: [{"when": CONDITION, "after": DURATION,
 *                                                   "clock"?: CLOCK}],
 *                                       "remind"?: [{"before": DURATION, "notify": TARGETS,
 *                                                    "template": T, "clock"?: CLOCK}],
 *                                       "overdue"?: {"notify": TARGETS, "template": T}}],
 *                       "escalation"?: [{"after": DURATION, "notify": TARGETS, "template": T,
 *                                        "repeat"?: DURATION, "max"?: N, "clock"?: CLOCK,
 *                                        "cases"?: [{"when": CONDITION, "after"?: DURATION,
 *                                                    "clock"?: CLOCK}]}],
 *                       "actions"?: {ACTION: {"title": TEXT, "to": STATE, "by": [BY, ...],
 *                                             "fields"?: [FIELD, ...]}}}}}
 *
 *   TARGETS  a TARGET or a non-empty array of them
 *   TARGET   "owner" | "reporter" | ROLE | {"role": ROLE, "deputy"?: 0-9, "scope"?: SCOPE}
 *            | {"owner_deputy": 0-9}
 *   BY       "owner" | ROLE
 *   FIELD    {"name": ID, "title": TEXT, "type"?: "text" | "integer" | "boolean" | "datetime",
 *             "required"?: BOOL, "min"?: N, "max"?: N, "fact"?: PATH}
 *   ROLE     ciso, chief_security_officer, security_officer, security_manager,
 *            system_manager, csirt, auditor, admin
 *   NAME     [a-z][a-z0-9_-]*  (workflow names, "reporting-duty"); ID and T: [a-z][a-z0-9_]*
 *   DURATION ISO 8601, see core/duration.h;  CONDITION see wf/condition.h
 *   CLOCK    "calendar" (the default: wall-clock time) | "office" (office time of the
 *            city calendar, core/calendar.h; no months in its durations)
 *
 * Everything below is read-only after wf_parse: several threads may share
 * one definition. Strings and json_t pointers are borrowed from the
 * definition (from its parsed JSON or from static tables) and live until
 * wf_free. Arrays are in file order (jansson keeps object keys in insertion
 * order, so states and actions keep the file's order too). */
#ifndef SOKUHO_WORKFLOW_H
#define SOKUHO_WORKFLOW_H

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>

#include "core/duration.h"

/* Limits of names: workflow names, state, action, field, deadline and
 * template names are at most this many bytes. */
#define WF_NAME_MAX 63
/* Deputy ranks run from 0 (the holder) to this, as in the role table. */
#define WF_DEPUTY_MAX 9
/* A text field holds at most this many characters when "max" is not given,
 * and "max" may not exceed WF_TEXT_LIMIT. */
#define WF_TEXT_DEFAULT_MAX 2000
#define WF_TEXT_LIMIT 100000
/* A workflow file may not be larger than this many bytes. */
#define WF_FILE_MAX (1024 * 1024)
/* The file in workflows/ that holds the legal clocks, not a workflow;
 * wf_load_dir skips it. */
#define WF_LEGAL_FILE "legal-clocks.json"

struct wf_text {
	const char *ja, *en; /* both non-empty */
};

/* Where a role is resolved: WF_SCOPE_INCIDENT goes through the incident's
 * system, section, the section's department, then the city (the resolver
 * resolve_role(role, section, system)); WF_SCOPE_CITY asks for city-wide
 * holders only (resolve_role(role, NULL, NULL)). */
enum wf_scope { WF_SCOPE_INCIDENT, WF_SCOPE_CITY };

enum wf_target_kind {
	WF_TARGET_ROLE,	   /* a role: "ciso", {"role": ..., "deputy": N} */
	WF_TARGET_OWNER,   /* "owner" or {"owner_deputy": N}: the state's owner */
	WF_TARGET_REPORTER /* "reporter": the person who filed the report, if any */
};

/* Someone to notify. For ROLE and OWNER, role, scope and deputy are filled
 * in (OWNER copies the state's owner role and scope), so the engine can
 * resolve both the same way: resolve_role(role, ...) and take rank deputy.
 * For REPORTER, role is NULL. */
struct wf_target {
	enum wf_target_kind kind;
	const char *role;
	enum wf_scope scope;
	int deputy; /* 0 the holder, 1 the first deputy, ... WF_DEPUTY_MAX */
};

/* One notification: mail template tmpl to every target, when the condition
 * holds (when == NULL: always; check with wf_notify_applies). */
struct wf_notify {
	size_t ntargets; /* >= 1 */
	const struct wf_target *targets;
	const char *tmpl;    /* a template name, [a-z][a-z0-9_]* */
	const json_t *when;  /* on_enter only; NULL elsewhere and when absent */
};

/* The time a deadline counts from. */
enum wf_anchor {
	WF_FROM_ENTERED,       /* the moment the run entered the state */
	WF_FROM_DISCOVERED_AT, /* the incident's discovered_at */
	WF_FROM_OCCURRED_AT,   /* occurred_at (may be unknown: then use discovered_at) */
	WF_FROM_REPORTED_AT    /* reported_at */
};

/* Which time a duration counts. WF_CLOCK_CALENDAR is wall-clock time (a
 * PostgreSQL interval added on the database clock); WF_CLOCK_OFFICE counts
 * the city's office time (cal_office_add / cal_office_sub), a day of the
 * duration being one office day's hours (8 h 45 min for 08:30-17:15). A
 * duration with months is refused on the office clock. */
enum wf_clock { WF_CLOCK_CALENDAR = 0, WF_CLOCK_OFFICE };

/* The name in files, "calendar" or "office". */
const char *wf_clock_name(enum wf_clock c);

struct wf_case {
	const json_t *when;     /* a checked condition */
	struct duration after;
	const char *after_text; /* as written, "P60D" */
	enum wf_clock clock;    /* the deadline's unless the case says */
};

/* A reminder `before` the due time (before > 0, and shorter than every
 * "after" of its deadline). Reminders are in time order: each one's before
 * is strictly shorter than the previous one's. */
struct wf_remind {
	struct duration before;
	const char *before_text;
	enum wf_clock clock; /* how before is counted back; the deadline's unless given */
	struct wf_notify notify;
};

struct wf_deadline {
	const char *key; /* unique within the state; the shipped legal ones match
			  * legal-clocks.json ("ppc_preliminary") */
	struct wf_text title;
	enum wf_anchor from;
	const char *from_name; /* "entered", "discovered_at", ... */
	struct duration after;  /* when no case holds */
	const char *after_text;
	enum wf_clock clock;    /* of after */
	size_t ncases;
	const struct wf_case *cases; /* the first that holds wins; see wf_deadline_after */
	size_t nremind;
	const struct wf_remind *remind;
	int has_overdue;
	struct wf_notify overdue; /* valid when has_overdue */
};

/* A case of an escalation step: when the condition holds (the first that
 * does wins), the step counts after (and repeat) on this clock, and waits
 * this after instead when has_after. */
struct wf_step_case {
	const json_t *when;
	int has_after;
	struct duration after;
	const char *after_text;
	enum wf_clock clock; /* the step's unless the case says */
};

/* One rung of an escalation ladder: `after` since entering the state, notify;
 * with repeat, again every `repeat`, `max` times in all (counting the first),
 * each counted on the step's clock. Steps are in strictly increasing order
 * of after (as written: the engine schedules a step when the one before it
 * fires, so no step fires before the previous one, whatever their clocks). */
struct wf_escalation {
	struct duration after;
	const char *after_text;
	enum wf_clock clock;
	size_t ncases;
	const struct wf_step_case *cases;
	int has_repeat;
	struct duration repeat; /* > 0; valid when has_repeat */
	const char *repeat_text;
	int max; /* times this step notifies in all: 1 without repeat, >= 1 with it */
	struct wf_notify notify;
};

enum wf_field_type { WF_FIELD_TEXT, WF_FIELD_INTEGER, WF_FIELD_BOOLEAN, WF_FIELD_DATETIME };

/* A value the person taking an action enters. Text: at most max characters
 * (min is 0 or, when required, 1). Integer: min..max inclusive (LLONG_MIN /
 * LLONG_MAX when not given). Boolean and datetime (ISO 8601 timestamp, a
 * datetime-local input): min and max are 0 and unused. When fact is not NULL
 * the value also becomes that incident fact (a dotted path, "severity"), so
 * conditions of later states see it. */
struct wf_field {
	const char *name;
	struct wf_text title;
	enum wf_field_type type;
	const char *type_name; /* "text", "integer", ... */
	int required;
	long long min, max;
	const char *fact;
};

struct wf_action {
	const char *name;
	struct wf_text title;
	const char *to;                  /* the target state's name */
	const struct wf_state *to_state; /* the same, resolved (may be the action's own state) */
	/* Who may take it: role names; "owner" in the file is replaced by the
	 * state's owner role (deduplicated, file order). The role must cover the
	 * incident's scope, any deputy rank. */
	size_t nby;
	const char *const *by;
	size_t nfields;
	const struct wf_field *fields;
};

struct wf_state {
	const char *name;
	struct wf_text title;
	int has_description;
	struct wf_text description; /* guidance shown on the incident page */
	const char *owner_role; /* NULL only for a terminal state without owner */
	enum wf_scope owner_scope;
	int terminal; /* terminal states have no actions, escalation or deadlines */
	size_t non_enter;
	const struct wf_notify *on_enter;
	size_t ndeadlines;
	const struct wf_deadline *deadlines;
	size_t nescalation;
	const struct wf_escalation *escalation;
	size_t nactions;
	const struct wf_action *actions;
};

enum wf_start { WF_START_ALWAYS, WF_START_WHEN };

/* What closing the incident (entering a state with milestone "closed" in
 * any of its workflows) does to an unfinished run of this workflow. */
enum wf_incident_close {
	WF_CLOSE_STOPS = 0, /* the run stops: its ladders, reminders and deadlines end */
	WF_CLOSE_WAIVABLE,  /* the closer must waive its remaining steps with a reason */
	WF_CLOSE_BLOCKS,    /* the incident cannot close while it runs (a legal report) */
};

struct wf_def {
	const char *origin; /* the file name given to wf_parse / wf_load_file */
	const char *name;   /* "reporting-duty" */
	long long version;  /* >= 1 */
	struct wf_text title;
	int has_description;
	struct wf_text description;
	enum wf_start start;
	const json_t *start_when; /* WF_START_WHEN: the condition; else NULL */
	const char *initial;
	const struct wf_state *initial_state;
	enum wf_incident_close incident_close; /* "incident_close"; default stops */
	size_t nstates;
	const struct wf_state *states;
	char sha256[65];      /* SHA-256 of the file's bytes, lower-case hex */
	const json_t *json;   /* the whole parsed file (json_incref it to keep it) */
	const char *source;   /* the file's bytes, NUL-terminated */
	size_t source_len;
};

/* Parses and validates one workflow file whose bytes are text[0..len)
 * (need not be NUL-terminated). origin names the file in messages. Returns
 * the definition (free it with wf_free), or NULL after writing into err one
 * message that names the file, the JSON path and what was expected:
 *   "workflows/x.json: $.states.reported.actions.acknowledge.to: 'triag' is
 *    not a state; expected one of reported, triage, closed"
 * or, for text that is not JSON (or has a duplicate key), line and column:
 *   "workflows/x.json:3:7: duplicate object key near '\"title\"'". */
struct wf_def *wf_parse(const char *origin, const char *text, size_t len, char *err,
			size_t errlen);

/* Where mail templates live ("templates": files DIR/mail/NAME.LANG.mustache).
 * Once set, wf_parse refuses a template name that lacks a file for any of
 * WF_MAIL_LANGS, naming the file and the JSON path; NULL (the default) checks
 * names only. Set once at start-up, before any parsing (not thread-safe). */
#define WF_MAIL_LANGS {"ja", "en"}
void wf_set_mail_templates_dir(const char *dir);

/* Reads the file at path (at most WF_FILE_MAX bytes) and wf_parse-s it with
 * path as origin. */
struct wf_def *wf_load_file(const char *path, char *err, size_t errlen);

/* Frees a definition; NULL is allowed. */
void wf_free(struct wf_def *def);

/* Lookups by name; NULL when there is none. */
const struct wf_state *wf_find_state(const struct wf_def *def, const char *name);
const struct wf_action *wf_find_action(const struct wf_state *state, const char *name);

/* 1 when a new incident with these facts starts this workflow ("always", or
 * its start condition holds), else 0. facts as in wf/legal.h plus "severity"
 * (0-3) and "bcp" (boolean). */
int wf_should_start(const struct wf_def *def, const json_t *facts);

/* 1 when n applies to facts (it has no condition, or it holds), else 0. */
int wf_notify_applies(const struct wf_notify *n, const json_t *facts);

/* The duration of dl that applies to facts: the first case that holds, else
 * dl->after. Points into dl. */
const struct duration *wf_deadline_after(const struct wf_deadline *dl, const json_t *facts);

/* The after and clock of escalation step es for facts: the first case that
 * holds, else the step's own. *after points into es. */
void wf_step_timing(const struct wf_escalation *es, const json_t *facts,
		    const struct duration **after, enum wf_clock *clock);
/* The clock of dl's after for facts (the case wf_deadline_after takes). */
enum wf_clock wf_deadline_clock(const struct wf_deadline *dl, const json_t *facts);

/* 1 when role is one of the roles a workflow may name (the role table's). */
int wf_role_known(const char *role);

/* ---- sets of workflows (a directory, or the files of one command) ---- */

/* Cross-file checks over n definitions that are to be used together:
 * workflow names are unique. Returns 0, or -1 after writing into err a
 * message naming both files ("b.json: $.workflow: 'reporting-duty' is
 * already the name of the workflow in a.json"). */
int wf_check_set(const struct wf_def *const *defs, size_t n, char *err, size_t errlen);

struct wf_set {
	size_t n;
	struct wf_def **defs; /* sorted by file name */
};

/* Loads every *.json file of dir except WF_LEGAL_FILE, each of which must be
 * named after its workflow (reporting-duty.json holds "reporting-duty"), and
 * runs wf_check_set. Returns the set (free with wf_set_free) or NULL after
 * writing the first error into err. An empty directory is an empty set. */
struct wf_set *wf_load_dir(const char *dir, char *err, size_t errlen);
void wf_set_free(struct wf_set *set);
const struct wf_def *wf_set_find(const struct wf_set *set, const char *name);

/* `sokuho workflow check FILE...`: loads each of the n paths, writes one line
 * per file to out ("workflows/a.json: ok (reporting-duty version 1, 5 states)")
 * or its error to errs, then runs wf_check_set over the files that loaded. A
 * file named WF_LEGAL_FILE is checked as legal clock rules (wf/legal.h)
 * instead, so every .json file of workflows/ can be given at once.
 * Returns the number of files in error plus one for a failed set check, so 0
 * means all good (exit status: 0 when it returns 0, else 1). */
int wf_check_files(const char *const *paths, size_t n, FILE *out, FILE *errs);

#endif
