/* Static files: only plain names of known types inside the static folder are
 * served, so a request can never reach a file outside it. */
#include "static.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/config.h"
#include "core/xalloc.h"
#include "http.h"

static const struct {
	const char *ext;
	const char *type;
} types[] = {
	{".css", "text/css; charset=utf-8"},
	{".js", "text/javascript; charset=utf-8"},
	{".svg", "image/svg+xml"},
	{".png", "image/png"},
	{".ico", "image/x-icon"},
	{".woff2", "font/woff2"},
	{".txt", "text/plain; charset=utf-8"},
};

static const char *type_for(const char *name)
{
	const char *dot = strrchr(name, '.');
	if (!dot)
		return NULL;
	for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
		if (strcmp(dot, types[i].ext) == 0)
			return types[i].type;
	return NULL;
}

/* A name is safe when it is made of [A-Za-z0-9._-] segments separated by
 * single slashes, none starting with a dot. */
static int safe_name(const char *n)
{
	if (!*n)
		return 0;
	int seg_start = 1;
	for (; *n; n++) {
		char c = *n;
		if (seg_start && (c == '.' || c == '/'))
			return 0;
		seg_start = c == '/';
		if (!(c == '/' || c == '.' || c == '-' || c == '_' || (c >= 'a' && c <= 'z') ||
		      (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')))
			return 0;
	}
	return !seg_start;
}

int static_serve(struct request *req)
{
	const char *name = req->path + strlen("/static/");
	const char *type = type_for(name);
	if (!safe_name(name) || !type)
		return http_error(req, 404);
	char *path = xasprintf("%s/%s", req->srv->cfg->static_dir, name);
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	free(path);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		if (fd >= 0)
			close(fd);
		return http_error(req, 404);
	}
	char etag[64];
	snprintf(etag, sizeof etag, "\"%llx-%llx\"", (unsigned long long)st.st_mtime,
		 (unsigned long long)st.st_size);
	const char *inm = http_header(req, "If-None-Match");
	struct MHD_Response *resp;
	unsigned status;
	size_t bytes;
	if (inm && strcmp(inm, etag) == 0) {
		close(fd);
		resp = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
		status = MHD_HTTP_NOT_MODIFIED;
		bytes = 0;
	} else {
		resp = MHD_create_response_from_fd((uint64_t)st.st_size, fd);
		if (!resp) {
			close(fd);
			return -1;
		}
		MHD_add_response_header(resp, "Content-Type", type);
		status = MHD_HTTP_OK;
		bytes = (size_t)st.st_size;
	}
	MHD_add_response_header(resp, "ETag", etag);
	MHD_add_response_header(resp, "Cache-Control", "public, max-age=3600");
	return http_queue(req, status, resp, bytes);
}
