/* Workflow pictures through Graphviz's library (see picture.h): initial
 * state in bold, terminal states doubled, each action an arrow labelled with
 * its title. */
#include "picture.h"

#include <graphviz/cgraph.h>
#include <graphviz/gvc.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/xalloc.h"
#include "workflow.h"

static pthread_mutex_t gv_mu = PTHREAD_MUTEX_INITIALIZER;

/* A DOT string literal: quotes and backslashes escaped, line breaks as \n. */
static void dot_str(buf *b, const char *s)
{
	buf_putc(b, '"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			buf_putc(b, '\\');
		if (*s == '\n') {
			buf_puts(b, "\\n");
			continue;
		}
		buf_putc(b, *s);
	}
	buf_putc(b, '"');
}

char *wf_picture_dot(const struct wf_def *d, const char *lang)
{
	int en = lang && strcmp(lang, "en") == 0;
	buf b = BUF_INIT;
	buf_puts(&b, "digraph workflow {\n rankdir=LR;\n"
		     " node [shape=box, style=\"rounded,filled\", fillcolor=\"#f3f5f8\", "
		     "fontname=\"Noto Sans CJK JP,IPAGothic,sans-serif\", fontsize=11];\n"
		     " edge [fontname=\"Noto Sans CJK JP,IPAGothic,sans-serif\", fontsize=9];\n");
	for (size_t i = 0; i < d->nstates; i++) {
		const struct wf_state *s = &d->states[i];
		buf_puts(&b, " ");
		dot_str(&b, s->name);
		buf_puts(&b, " [label=");
		char *label = xasprintf("%s\n(%s)", en ? s->title.en : s->title.ja, s->name);
		dot_str(&b, label);
		free(label);
		if (s->terminal)
			buf_puts(&b, ", peripheries=2");
		if (s == d->initial_state)
			buf_puts(&b, ", penwidth=2.5");
		buf_puts(&b, "];\n");
	}
	for (size_t i = 0; i < d->nstates; i++) {
		const struct wf_state *s = &d->states[i];
		for (size_t k = 0; k < s->nactions; k++) {
			buf_puts(&b, " ");
			dot_str(&b, s->name);
			buf_puts(&b, " -> ");
			dot_str(&b, s->actions[k].to);
			buf_puts(&b, " [label=");
			dot_str(&b, en ? s->actions[k].title.en : s->actions[k].title.ja);
			buf_puts(&b, "];\n");
		}
	}
	buf_puts(&b, "}\n");
	return buf_detach(&b, NULL);
}

char *wf_picture_svg(const struct wf_def *d, const char *lang, size_t *len, char *err,
		     size_t errlen)
{
	char *dot = wf_picture_dot(d, lang);
	char *out = NULL;
	pthread_mutex_lock(&gv_mu);
	GVC_t *gvc = gvContext();
	Agraph_t *g = gvc ? agmemread(dot) : NULL;
	char *data = NULL;
	unsigned int n = 0;
	if (!g) {
		snprintf(err, errlen, "graphviz could not read the workflow graph");
	} else if (gvLayout(gvc, g, "dot") != 0) {
		snprintf(err, errlen, "graphviz could not lay out the workflow (is its dot plugin installed?)");
	} else {
		if (gvRenderData(gvc, g, "svg", &data, &n) == 0 && data) {
			out = xmalloc((size_t)n + 1);
			memcpy(out, data, n);
			out[n] = '\0';
			*len = n;
		} else {
			snprintf(err, errlen, "graphviz could not render SVG");
		}
		if (data)
			gvFreeRenderData(data);
		gvFreeLayout(gvc, g);
	}
	if (g)
		agclose(g);
	if (gvc)
		gvFreeContext(gvc);
	pthread_mutex_unlock(&gv_mu);
	free(dot);
	return out;
}
