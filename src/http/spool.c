/* Unnamed temporary files for request bodies (see spool.h). */
#include "spool.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

void spool_init(struct spool *s)
{
	s->fd = -1;
	s->len = 0;
	s->map = NULL;
}

int spool_open(struct spool *s, const char *dir)
{
	spool_init(s);
	int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL)) {
		/* no O_TMPFILE here: a private name, removed before any use */
		static const char base[] = "/sokuho-body-";
		enum { RANDOM_CHARS = 6 }; /* mkostemp replaces that many trailing 'X' */
		size_t n = strlen(dir) + sizeof base + RANDOM_CHARS;
		char *path = malloc(n);
		if (!path)
			return -1;
		int k = snprintf(path, n, "%s%s", dir, base);
		memset(path + k, 'X', RANDOM_CHARS);
		path[k + RANDOM_CHARS] = '\0';
		fd = mkostemp(path, O_CLOEXEC);
		if (fd >= 0)
			unlink(path);
		free(path);
	}
	if (fd < 0)
		return -1;
	s->fd = fd;
	return 0;
}

int spool_write(struct spool *s, const void *p, size_t n)
{
	const char *c = p;
	while (n) {
		ssize_t w = write(s->fd, c, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			if (w == 0)
				errno = EIO;
			return -1;
		}
		c += w;
		n -= (size_t)w;
		s->len += (size_t)w;
	}
	return 0;
}

int spool_map(struct spool *s)
{
	/* one NUL byte after the body, as a buf has: parsers may rely on it */
	if (spool_write(s, "", 1) < 0)
		return -1;
	s->len--;
	void *m = mmap(NULL, s->len + 1, PROT_READ, MAP_PRIVATE, s->fd, 0);
	if (m == MAP_FAILED)
		return -1;
	s->map = m;
	return 0;
}

void spool_release(struct spool *s)
{
	if (s->map)
		munmap(s->map, s->len + 1);
	if (s->fd >= 0)
		close(s->fd);
	spool_init(s);
}
