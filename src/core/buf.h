/* buf: a growable byte string, always NUL-terminated. Not thread-safe; one
 * owner at a time. Allocation failure aborts (xalloc). */
#ifndef SOKUHO_BUF_H
#define SOKUHO_BUF_H

#include <stdarg.h>
#include <stddef.h>

typedef struct buf {
	char *data; /* NUL-terminated; NULL until the first append */
	size_t len;
	size_t cap;
} buf;

#define BUF_INIT {NULL, 0, 0}

void buf_init(buf *b);
/* Frees the contents; the buf may be reused after buf_init. */
void buf_release(buf *b);
/* Empties the buf, keeping its memory. */
void buf_reset(buf *b);
void buf_grow(buf *b, size_t extra);
void buf_append(buf *b, const void *p, size_t n);
void buf_puts(buf *b, const char *s);
void buf_putc(buf *b, char c);
void buf_printf(buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_vprintf(buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* Appends s with & < > " ' replaced by HTML entities. */
void buf_html_escape(buf *b, const char *s, size_t n);
/* Returns the contents (caller frees) and leaves b empty and initialised.
 * Never returns NULL: an empty buf yields "". */
char *buf_detach(buf *b, size_t *len);
/* Returns the contents as a C string ("" when empty); owned by b. */
const char *buf_cstr(const buf *b);

#endif
