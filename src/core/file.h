/* Reading a whole file: the one reader of the code base (configuration
 * files, templates, catalogs, migrations, workflow and drill files, PEM
 * keys, the people CSV). */
#ifndef SOKUHO_FILE_H
#define SOKUHO_FILE_H

#include <stddef.h>

#include "core/buf.h"

enum {
	FILE_OK = 0,
	FILE_ERROR = -1,   /* not opened or a read failed: errno says why */
	FILE_TOO_LONG = -2 /* longer than max bytes */
};

/* Appends the contents of path ("-": standard input, not closed) to out
 * (NUL-terminated, as every buf). With max > 0, stops reading after more
 * than max bytes and returns FILE_TOO_LONG; out then holds what was read.
 * On FILE_ERROR, errno is that of the failed open or read. */
int file_read_all(const char *path, size_t max, buf *out);

#endif
