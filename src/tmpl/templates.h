/* The template set: every *.mustache file under the templates folder,
 * compiled once at start and named by its path without the extension
 * ("pages/home", "layout", "mail/reported.ja"). Partials and inheritance
 * parents are looked up in the same set. Immutable after loading, so any
 * number of threads may render at once. */
#ifndef SOKUHO_TEMPLATES_H
#define SOKUHO_TEMPLATES_H

#include <jansson.h>
#include <stddef.h>

#include "core/buf.h"

struct tmpl_set;
struct mst_template;

/* Loads and compiles every template under dir. On a syntax error returns NULL
 * with a message naming the file and line in err. Caller frees with
 * tmpl_set_free. */
struct tmpl_set *tmpl_set_load(const char *dir, char *err, size_t errlen);
void tmpl_set_free(struct tmpl_set *set);
/* Whether a template of that name exists. */
int tmpl_set_has(const struct tmpl_set *set, const char *name);
/* Renders template `name` over data, appending to out. Returns 0, or -1 when
 * there is no such template or rendering recursed too deep. */
int tmpl_set_render(const struct tmpl_set *set, const char *name, const json_t *data, buf *out);
/* Returns the compiled template of that name, or NULL; owned by the set. */
const struct mst_template *tmpl_set_get(const struct tmpl_set *set, const char *name);
/* An mst_partial_fn over a set (ctx is the set), for rendering templates that
 * are not in the set with partials from it. */
const struct mst_template *tmpl_set_partial(void *ctx, const char *name);
/* Number of templates loaded (for the start-up log). */
size_t tmpl_set_count(const struct tmpl_set *set);

#endif
