/* Drill scenarios (訓練): the files of drills/, each a report as a reporter
 * would file it, the injects that change it while the drill runs and what the
 * emergency-response plan expects to have happened by when. Parsed and checked
 * here without a database, so `sokuho drill check` runs anywhere; the format
 * is documented in docs/drills.md. */
#ifndef SOKUHO_DRILL_H
#define SOKUHO_DRILL_H

#include <jansson.h>
#include <stdio.h>

#include "core/duration.h"

/* When a surprise drill may begin: in office time (the default) or at any
 * hour. */
enum drill_hours { DRILL_HOURS_OFFICE, DRILL_HOURS_ANY };

/* Something that happens while the drill runs, `after` its start: facts that
 * change (the report's shape, a subset of it) and/or a note for the timeline
 * ("a journalist calls"). */
struct drill_inject {
	struct duration after;
	const char *after_text;
	const json_t *set; /* NULL, or an object of the report's shape */
	const char *note_ja, *note_en;
};

/* A milestone the plan expects by `within` after the drill's start. */
struct drill_expect {
	const struct drill_milestone *milestone;
	struct duration within;
	const char *within_text;
};

/* A named point of the real workflows a drill can be measured by: the first
 * time the run of `workflow` enters `state`; ppc_draft_complete (state NULL)
 * is the first time the PPC 速報 draft has no missing item. */
struct drill_milestone {
	const char *name;
	const char *workflow, *state;
	const char *title_ja, *title_en;
};

struct drill {
	json_t *root; /* owns every borrowed string below */
	const char *name;
	long long version;
	const char *title_ja, *title_en;
	const char *description_ja, *description_en;
	enum drill_hours hours;
	const json_t *report; /* the report, in the JSON API's shape */
	struct drill_inject *injects;
	size_t ninjects;
	struct drill_expect *expects;
	size_t nexpects;
};

/* Every milestone, NULL-name terminated. */
extern const struct drill_milestone drill_milestones[];

/* The milestone called name, or NULL. */
const struct drill_milestone *drill_find_milestone(const char *name);

/* Parses and checks a scenario (text, len bytes; origin names it in
 * messages). Returns the drill (free with drill_free) or NULL after writing
 * into err "ORIGIN: JSON.PATH: what is wrong and what was expected". */
struct drill *drill_parse(const char *origin, const char *text, size_t len, char *err,
			  size_t errlen);

/* drill_parse of a file's contents. */
struct drill *drill_load_file(const char *path, char *err, size_t errlen);

void drill_free(struct drill *d);

/* Checks the files (as `sokuho drill check` does): one line per good file on
 * out, the first fault of each bad one on errs; also refuses two files that
 * share a drill name. Returns 0 when all are good, -1 otherwise. */
int drill_check_files(const char *const *paths, size_t n, FILE *out, FILE *errs);

#endif
