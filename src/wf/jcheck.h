/* Strict JSON checking for the loaders of workflow files and legal-clock
 * rules: errors that name the file, the JSON path and what was expected, and
 * getters for the shapes both schemas share (keys, strings, texts, arrays). */
#ifndef SOKUHO_JCHECK_H
#define SOKUHO_JCHECK_H

#include <jansson.h>
#include <stddef.h>

#include "core/duration.h"

/* A loader's error sink. file starts every message; err (errlen bytes, which
 * may be 0) receives the first fault. whole_numbers makes jc_type_name, as the
 * getters below use it, call an integer "a whole number" rather than "a
 * number". */
struct jc {
	const char *file;
	char *err;
	size_t errlen;
	int whole_numbers;
};

/* Bytes of a path buffer for jc_subpath. */
#define JC_PATH_LEN 512

/* Writes "FILE: PATH: " and the formatted message into c->err, cut to fit.
 * Returns -1. */
int jc_fail(struct jc *c, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Writes path followed by a formatted suffix into p (JC_PATH_LEN bytes) and
 * returns p; a path too long for it is only cut in a message. */
const char *jc_subpath(char *p, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* "an object", "a string", ... for j; "nothing" for NULL. Integers are "a
 * whole number" when whole is set, otherwise "a number" like reals. */
const char *jc_type_name(const json_t *j, int whole);

/* j without const, for jansson's object iteration, which only reads. */
json_t *jc_unconst(const json_t *j);

/* "a, b or c" from the first count entries of list (fewer if it is
 * NULL-terminated before that) into out (n > 0 bytes), cut to fit. */
void jc_join_list(char *out, size_t n, const char *const *list, size_t count);

/* Checks that obj (at path) is an object whose keys are all in allowed and
 * that every key of required is present (both NULL-terminated). what
 * describes obj for the message ("a state"). 0 or -1 after jc_fail. */
int jc_check_object(struct jc *c, const json_t *obj, const char *path, const char *what,
		    const char *const *allowed, const char *const *required);

/* The value of v (at p) if it is a non-empty string without NUL characters;
 * NULL after jc_fail otherwise. */
const char *jc_string_at(struct jc *c, const json_t *v, const char *p);

/* jc_string_at for obj.key (obj at path) into *out, which is NULL after an
 * error. 0 or -1. */
int jc_get_string(struct jc *c, const json_t *obj, const char *key, const char *path,
		  const char **out);

/* The strings obj.ja and obj.en (obj at path) into *ja and *en, for an object
 * whose keys were already checked. 0 or -1. */
int jc_text_fields(struct jc *c, const json_t *obj, const char *path, const char **ja,
		   const char **en);

/* A TEXT {"ja": STR, "en": STR} and nothing else: v at path. 0 or -1. */
int jc_text(struct jc *c, const json_t *v, const char *path, const char **ja, const char **en);

/* jc_text for obj.key (obj at path). 0 or -1. */
int jc_get_text(struct jc *c, const json_t *obj, const char *key, const char *path,
		const char **ja, const char **en);

/* The duration string obj.key (obj at path): its text into *text (borrowed
 * from obj) and its value into *d. 0 or -1. */
int jc_get_duration(struct jc *c, const json_t *obj, const char *key, const char *path,
		    struct duration *d, const char **text);

/* How jc_get_array treats an absent or empty array. */
enum jc_need {
	JC_REQUIRED,	    /* must be there with at least one element */
	JC_OPTIONAL,	    /* may be absent or empty */
	JC_NONEMPTY_IF_SET, /* may be absent; if there, not empty */
};

/* The array at obj.key (obj at path), setting *n to its size; NULL with
 * *n == 0 for an absent one that need allows. what names the elements for
 * the messages ("deadlines"). On error returns NULL and sets *bad to -1. */
const json_t *jc_get_array(struct jc *c, const json_t *obj, const char *key, const char *path,
			   const char *what, enum jc_need need, size_t *n, int *bad);

#endif
