/* A small HTTP client for the end-to-end tests: one request with a form body
 * and cookies, the status, headers and body captured. */
#ifndef SOKUHO_TEST_CLIENT_H
#define SOKUHO_TEST_CLIENT_H

#include "core/buf.h"

struct resp {
	long status;
	buf body;
	buf headers;
};

/* Sends METHOD path to 127.0.0.1:port. form (urlencoded, may be NULL) is sent
 * as the body; cookie ("a=b; c=d", may be NULL) as the Cookie header. */
void client_request(int port, const char *method, const char *path, const char *form,
		    const char *cookie, struct resp *r);
void resp_release(struct resp *r);
/* The value a Set-Cookie header of the response gives name, or NULL
 * (caller frees). */
char *resp_cookie(const struct resp *r, const char *name);
/* The whole Set-Cookie line for name, or NULL (caller frees). */
char *resp_cookie_line(const struct resp *r, const char *name);
/* The value of a hidden input named name in the body, or NULL (caller frees). */
char *resp_hidden(const struct resp *r, const char *name);
/* URL-encodes s into a new string (caller frees). */
char *client_escape(const char *s);

#endif
