/* Loading a folder of Mustache templates into one immutable, sorted set
 * (see templates.h). */
#include "templates.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/file.h"
#include "core/xalloc.h"
#include "mustache.h"

#define TMPL_EXT ".mustache"

struct entry {
	char *name;
	mst_template *t;
};

struct tmpl_set {
	struct entry *e;
	size_t n, cap;
};

static int cmp_entry(const void *a, const void *b)
{
	return strcmp(((const struct entry *)a)->name, ((const struct entry *)b)->name);
}

static int slurp(const char *path, char **out, size_t *len)
{
	buf b = BUF_INIT;
	if (file_read_all(path, 0, &b) != FILE_OK) {
		buf_release(&b);
		return -1;
	}
	*out = buf_detach(&b, len);
	return 0;
}

static int load_dir(struct tmpl_set *set, const char *root, const char *rel, char *err,
		    size_t errlen)
{
	char *path = rel[0] ? xasprintf("%s/%s", root, rel) : xstrdup(root);
	DIR *d = opendir(path);
	if (!d) {
		snprintf(err, errlen, "unable to open templates folder '%s': %s", path,
			 strerror(errno));
		free(path);
		return -1;
	}
	int rc = 0;
	struct dirent *de;
	while (rc == 0 && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		char *sub = rel[0] ? xasprintf("%s/%s", rel, de->d_name) : xstrdup(de->d_name);
		char *full = xasprintf("%s/%s", root, sub);
		struct stat st;
		if (stat(full, &st) == 0 && S_ISDIR(st.st_mode)) {
			rc = load_dir(set, root, sub, err, errlen);
		} else {
			size_t sl = strlen(sub), el = strlen(TMPL_EXT);
			if (sl > el && strcmp(sub + sl - el, TMPL_EXT) == 0) {
				char *src;
				size_t len;
				if (slurp(full, &src, &len) < 0) {
					snprintf(err, errlen, "unable to read template '%s': %s", full,
						 strerror(errno));
					rc = -1;
				} else {
					char cerr[256];
					mst_template *t = mst_compile(src, len, cerr, sizeof cerr);
					free(src);
					if (!t) {
						snprintf(err, errlen, "template '%s': %s", full, cerr);
						rc = -1;
					} else {
						if (set->n == set->cap) {
							set->cap = set->cap ? set->cap * 2 : 32;
							set->e = xrealloc(set->e,
									  set->cap * sizeof *set->e);
						}
						set->e[set->n].name = xstrndup(sub, sl - el);
						set->e[set->n].t = t;
						set->n++;
					}
				}
			}
		}
		free(full);
		free(sub);
	}
	closedir(d);
	free(path);
	return rc;
}

struct tmpl_set *tmpl_set_load(const char *dir, char *err, size_t errlen)
{
	struct tmpl_set *set = xcalloc(1, sizeof *set);
	if (load_dir(set, dir, "", err, errlen) < 0) {
		tmpl_set_free(set);
		return NULL;
	}
	qsort(set->e, set->n, sizeof *set->e, cmp_entry);
	return set;
}

void tmpl_set_free(struct tmpl_set *set)
{
	if (!set)
		return;
	for (size_t i = 0; i < set->n; i++) {
		free(set->e[i].name);
		mst_free(set->e[i].t);
	}
	free(set->e);
	free(set);
}

static const mst_template *lookup(const struct tmpl_set *set, const char *name)
{
	struct entry key = {(char *)(uintptr_t)name, NULL};
	const struct entry *e = bsearch(&key, set->e, set->n, sizeof *set->e, cmp_entry);
	return e ? e->t : NULL;
}

const mst_template *tmpl_set_get(const struct tmpl_set *set, const char *name)
{
	return lookup(set, name);
}

const mst_template *tmpl_set_partial(void *ctx, const char *name)
{
	return lookup(ctx, name);
}

int tmpl_set_has(const struct tmpl_set *set, const char *name)
{
	return lookup(set, name) != NULL;
}

int tmpl_set_render(const struct tmpl_set *set, const char *name, const json_t *data, buf *out)
{
	const mst_template *t = lookup(set, name);
	if (!t)
		return -1;
	return mst_render(t, data, tmpl_set_partial, (void *)(uintptr_t)set, out);
}

size_t tmpl_set_count(const struct tmpl_set *set)
{
	return set->n;
}
