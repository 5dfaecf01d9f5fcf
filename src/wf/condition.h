/* Conditions on incident facts: the one small language that workflow files
 * ("starts" of further workflows) and the legal-clock rules use to decide
 * what applies to an incident. A condition is JSON:
 *
 *   {"all": [c, ...]}   every c holds (at least one c)
 *   {"any": [c, ...]}   some c holds (at least one c)
 *   {"not": c}          c does not hold
 *   {"field": "personal_data.persons", OP: value}   exactly one OP:
 *       eq, ne          equal / not equal to a string, number or boolean
 *       gt, ge, lt, le  numeric comparison with a number
 *       in              equal to one of a non-empty array of strings, numbers, booleans
 *       contains        the field is an array holding that string, number or boolean
 *       exists          true: the field is present; false: it is absent
 *
 * "field" is a dotted path of object keys into the facts object. A field that
 * is absent or null is missing: a missing field is never eq, gt, in, contains
 * ...; it is always ne; exists tests for it. Numbers compare by value (100 eq
 * 100.0); values of different JSON types are never equal ("unknown" ne true). */
#ifndef SOKUHO_CONDITION_H
#define SOKUHO_CONDITION_H

#include <jansson.h>
#include <stddef.h>

/* Conditions may nest at most this deep. */
#define COND_MAX_DEPTH 32

/* Validates c strictly: not an object, unknown keys, mixed forms, empty
 * all/any, no operator or two, a value of the wrong type for its operator, a
 * malformed field path. path is the caller's JSON path of c ("$.starts[0].when";
 * NULL means "$"). Returns 0, or -1 after writing into err a message that
 * starts with the JSON path of the fault, extended from path, and says what
 * was expected ("$.starts[0].when.any[1].gt: expected a number, found a
 * string"). c is only read. Thread-safe. */
int cond_check(const json_t *c, const char *path, char *err, size_t errlen);

struct jc;
/* For the readers of workflow and legal-rule files (wf/jcheck.h): the
 * condition obj.when (obj at path), checked by cond_check, into *out (borrowed
 * from obj). A fault goes to c as "FILE: " and cond_check's message. 0 or -1. */
int cond_get(struct jc *c, const json_t *obj, const char *path, const json_t **out);

/* Evaluates c against facts (an object; NULL or a non-object has no fields).
 * Returns 1 when c holds, 0 when not. c should have passed cond_check; one
 * with a malformed part does not hold (0), even under "not". Neither argument
 * is modified or retained; may be called from several threads at once on
 * shared c and facts. */
int cond_eval(const json_t *c, const json_t *facts);

/* Returns the value at a dotted path ("personal_data.persons") in facts,
 * borrowed from facts (do not json_decref it), or NULL when the path is absent,
 * leads through a non-object, or holds JSON null. */
const json_t *cond_lookup(const json_t *facts, const char *field);

#endif
