/* A picture of a workflow: its states and transitions drawn by Graphviz as
 * SVG, for the admin pages. */
#ifndef SOKUHO_WF_PICTURE_H
#define SOKUHO_WF_PICTURE_H

#include <stddef.h>

struct wf_def;

/* Returns the SVG of def (caller frees), titles in lang ("ja" or "en"), or
 * NULL with a message in err. Thread-safe (Graphviz itself is not: calls are
 * serialised). */
char *wf_picture_svg(const struct wf_def *def, const char *lang, size_t *len, char *err,
		     size_t errlen);

/* The DOT source the picture is drawn from (caller frees). */
char *wf_picture_dot(const struct wf_def *def, const char *lang);

#endif
