/* Static assets (CSS, JS, images) from the configured folder under /static/. */
#ifndef SOKUHO_STATIC_H
#define SOKUHO_STATIC_H

struct request;

/* Handler for GET /static/NAME: serves the file with a Content-Type from its
 * extension, an ETag and cache headers; 404 for anything outside the folder,
 * hidden files, unknown extensions and folders. */
int static_serve(struct request *req);

#endif
