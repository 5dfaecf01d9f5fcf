/* Legal clocks: the rules of DOMAIN.md that oblige the city to report a leak
 * (APPI Art. 68, My Number Act Art. 29-4), kept as data in one file,
 * workflows/legal-clocks.json, so the report form and the engine agree.
 *
 * Schema (every key below is the whole list: any other key is an error):
 *
 *   {"version": 1,                      optional, a whole number >= 1
 *    "clocks": [CLOCK, ...]}            at least one
 *
 *   CLOCK     {"key": ID,               unique among clocks ("ppc", "mynumber")
 *              "title": TEXT,
 *              "when": CONDITION,       the clock starts when this holds
 *              "reasons": [REASON, ...],  at least one
 *              "deadlines": [DEADLINE, ...],  at least one
 *              "also": [TEXT, ...]}     optional: duties without a clock
 *   REASON    {"when": CONDITION, "ja": STR, "en": STR}
 *              said to the reporter when the clock started and this holds
 *   DEADLINE  {"key": ID,               unique in the file ("ppc_final")
 *              "title": TEXT,
 *              "from": FACT,            discovered_at, occurred_at or reported_at
 *              "after": DURATION,       ISO 8601 ("P3D"), see core/duration.h
 *              "cases": [CASE, ...],    optional; the first that holds wins
 *              "count": "final" | "preliminary",   optional: counted in days as the
 *                                       law counts them (wf/legal_period.h): "final" a
 *                                       period of `after` days (whole days only) with a
 *                                       legal last day; "preliminary" the 速報's
 *                                       おおむね3〜5日 (day 3 the target, day 5 the edge)
 *              "target_before": N}      optional, with "final" only: the city's internal
 *                                       target N office days (0-60) before the last day
 *   CASE      {"when": CONDITION, "after": DURATION}
 *   TEXT      {"ja": STR, "en": STR}    both non-empty
 *   ID        [a-z][a-z0-9_]*, at most 63 characters
 *   CONDITION see wf/condition.h
 *
 * Facts are the incident's keys from DOMAIN.md's vocabulary:
 *   {"discovered_at": "...", "segments": ["mynumber", "lgwan", "internet"],
 *    "personal_data": {"involved": "yes" | "no" | "unknown", "persons": 120,
 *                      "sensitive" | "financial" | "malicious" | "mynumber" |
 *                      "encrypted" | "published" | "ordinance_sensitive":
 *                          true | false | "unknown"}}
 * Any key may be absent (or null), which conditions treat as missing.
 *
 * The shipped rules treat "unknown" carefully, as DOMAIN.md asks: an unknown
 * "encrypted" never exempts, an unknown "involved" counts as a suspected leak,
 * and an unknown trigger (sensitive, financial, ...) counts once personal data
 * is known to be involved. One link of the chain may be unknown, not two, so
 * a report that knows nothing about personal data starts no clock until
 * someone answers; deadlines count from discovered_at either way. */
#ifndef SOKUHO_LEGAL_H
#define SOKUHO_LEGAL_H

#include <jansson.h>
#include <stddef.h>

struct legal_rules;

/* Reads and validates the rules file at path. Returns the rules (free them
 * with legal_free), or NULL after writing into err a message that names the
 * file and, for a fault inside it, the JSON path and what was expected
 * ("workflows/legal-clocks.json: $.clocks[0].deadlines[1].after: 'P3X': ...";
 * a JSON syntax error gives the line and column instead). */
struct legal_rules *legal_load(const char *path, char *err, size_t errlen);

/* Frees the rules; NULL is allowed. */
void legal_free(struct legal_rules *r);

/* Returns the clocks that apply to facts, in file order, as a new array the
 * caller owns (json_decref it); NULL only when jansson runs out of memory.
 * Each element is
 *   {"key": "ppc", "title": "...", "title_ja": "...", "title_en": "...",
 *    "reasons": ["...", ...],
 *    "deadlines": [{"key": "ppc_preliminary", "title": "...",
 *                   "title_ja": "...", "title_en": "...",
 *                   "from": "discovered_at", "after": "P3D",
 *                   "interval": "0 months 3 days 0 seconds",
 *                   "count": "final", "days": 30, "target_before": 5}, ...],
 *                   (count and days only with "count", target_before with "final")
 *    "also": ["...", ...]}
 * "title", the reasons and "also" are in lang: "en" (or "en-..."), otherwise
 * Japanese (NULL too); title_ja and title_en are both always there, for
 * storing. "after" is the duration that applies to these facts (the first
 * case that holds, else the deadline's own) and "interval" the same as a
 * PostgreSQL interval literal: the caller computes due dates in SQL, e.g.
 * from_time + $1::interval, on the database clock. r and facts are only read,
 * so several threads may evaluate the same rules at once. */
json_t *legal_evaluate(const struct legal_rules *r, const json_t *facts, const char *lang);

/* The first hour (issue 21): the items of the PPC's 速報 (施行規則 第43条:
 * 概要, the data items, the number of persons, the cause, secondary harm, the
 * action toward the persons, publication, recurrence prevention) that what
 * is known leaves open. known has "description", "items", "persons",
 * "cause", "secondary_harm", "notice_to_persons", "publication" and
 * "prevention" (any may be absent); a value absent, null, blank or
 * "unknown" is missing. Returns [{key, ja, en}] in the form's order (caller
 * owns; empty when nothing is missing). */
json_t *legal_preliminary_missing(const json_t *known);

#endif
