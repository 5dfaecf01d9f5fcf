/* Allocation that cannot fail silently: on out-of-memory these print a message
 * and abort, so callers never check for NULL. */
#ifndef SOKUHO_XALLOC_H
#define SOKUHO_XALLOC_H

#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
/* Returns a copy of s owned by the caller (free it); xstrdup(NULL) returns NULL. */
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* printf into a newly allocated string owned by the caller. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
