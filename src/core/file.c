#include "core/file.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int file_read_all(const char *path, size_t max, buf *out)
{
	int is_stdin = strcmp(path, "-") == 0;
	FILE *f = is_stdin ? stdin : fopen(path, "rb");
	if (!f)
		return FILE_ERROR;
	errno = 0;
	char chunk[8192];
	size_t n, got = 0;
	int rc = FILE_OK;
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
		buf_append(out, chunk, n);
		got += n;
		if (max && got > max) {
			rc = FILE_TOO_LONG;
			break;
		}
	}
	if (rc == FILE_OK && ferror(f)) {
		rc = FILE_ERROR;
		if (!errno)
			errno = EIO;
	}
	int saved = errno;
	if (!is_stdin)
		fclose(f);
	errno = saved;
	return rc;
}
