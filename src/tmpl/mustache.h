/* mustache: a Mustache template renderer over jansson values. Templates are
 * compiled once (at server start) into an immutable node tree and rendered
 * many times, possibly from several threads at once. */
#ifndef SOKUHO_MUSTACHE_H
#define SOKUHO_MUSTACHE_H

#include <stddef.h>

#include <jansson.h>

#include "core/buf.h"

/*
 * Supported: everything in the core Mustache spec (interpolation, sections,
 * inverted sections, comments, partials, set delimiters) and template
 * inheritance ({{<parent}}...{{/parent}} and {{$block}}...{{/block}}), with
 * the spec's standalone-line and indentation rules. Not supported: lambdas,
 * dynamic names.
 *
 * Values, following the spec's `!!data` rule (JavaScript truthiness):
 *   falsey: a missing name, null, false, "", 0, 0.0 and [];
 *           every other value (including {}) is truthy.
 *   {{x}}: strings as is, integers in decimal, reals in the shortest form
 *          that reads back to the same double (1.21 -> "1.21"), true/false as
 *          "true"/"false"; null, missing names, arrays and objects render as "".
 *   {{x}} is HTML-escaped (& < > " '); {{{x}}} and {{&x}} are not.
 * Names: "a.b.c" looks "a" up through the context stack, then "b" and "c"
 * only inside the value found; "." is the top of the stack. Partial, parent
 * and block names are taken as opaque strings (no dot splitting).
 */

#define MST_MAX_PARTIAL_DEPTH 64 /* nested partials, parents and block overrides */
#define MST_MAX_DEPTH 256        /* all render nesting: the above plus sections */
#define MST_MAX_NESTING 100      /* open sections/blocks/parents in one template */

typedef struct mst_template mst_template;

/* Compiles src (len bytes, UTF-8). On a syntax error returns NULL and writes into err
 * (errlen bytes) a message for people like "line 12: unclosed section 'items'" (line is 1-based,
 * lower-case, no final full stop; name the problem: unclosed tag, unclosed section, mismatched
 * closing tag 'x' (expected 'y'), bad set-delimiter tag, ...). The result is immutable and may be
 * rendered from several threads at once.
 * err may be NULL when errlen is 0; the message is always NUL-terminated
 * (truncated to fit). Names must not contain whitespace; dotted names must
 * not have empty parts ("a..b"). Sections nested deeper than MST_MAX_NESTING
 * are an error. */
mst_template *mst_compile(const char *src, size_t len, char *err, size_t errlen);

/* Frees t; NULL is allowed. No render of t may be running. */
void mst_free(mst_template *t);

/* Looks up a partial (or an inheritance parent) by name; returns NULL when there is none
 * (the spec renders a missing partial as empty). The returned template is owned by the callee. */
typedef const mst_template *(*mst_partial_fn)(void *ctx, const char *name);

/* Renders t over data (any jansson value; the context stack starts with it), appending to out.
 * partials may be NULL. Returns 0, or -1 if recursion exceeds a depth limit (e.g. 64 partial levels),
 * in which case out holds a partial rendering. Never modifies data. Thread-safe.
 * Limits: MST_MAX_PARTIAL_DEPTH nested partial/parent/override expansions and
 * MST_MAX_DEPTH nesting overall. data may be NULL (treated as JSON null).
 * partials is called during rendering (possibly from several threads when
 * the caller renders concurrently) and the templates it returns must stay
 * alive until mst_render returns. Allocation-free apart from growing out. */
int mst_render(const mst_template *t, const json_t *data, mst_partial_fn partials, void *ctx, buf *out);

#endif
