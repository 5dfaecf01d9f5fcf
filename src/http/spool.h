/* Request bodies on disk: an upload (the report forms, with their evidence
 * files) is written to an unnamed temporary file as it arrives, so that slow
 * or many uploads hold disk, not memory, and is mapped into memory only for
 * the moment its handler runs. */
#ifndef SOKUHO_SPOOL_H
#define SOKUHO_SPOOL_H

#include <stddef.h>

struct spool {
	int fd;       /* -1 when not open */
	size_t len;   /* bytes written */
	char *map;    /* len + 1 bytes (the last one NUL) once mapped, or NULL */
};

/* Makes s empty and closed (fd -1); no allocation. */
void spool_init(struct spool *s);
/* Opens a new unnamed file in dir (O_TMPFILE; where the file system has
 * none, a file made with mkstemp and removed at once), readable only by this
 * process; no name of it is ever visible to others or left behind. Returns 0,
 * or -1 with errno set. */
int spool_open(struct spool *s, const char *dir);
/* Appends n bytes. Returns 0, or -1 with errno set (ENOSPC ...). */
int spool_write(struct spool *s, const void *p, size_t n);
/* Maps what was written, read-only, followed by one NUL byte, into s->map.
 * Returns 0, or -1 with errno set. */
int spool_map(struct spool *s);
/* Unmaps and closes (the file goes with its last descriptor); harmless on
 * an empty or released spool. */
void spool_release(struct spool *s);

#endif
