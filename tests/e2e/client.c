/* The test HTTP client (see client.h), on libcurl. */
#include "client.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"

static size_t on_data(char *p, size_t size, size_t n, void *ud)
{
	buf_append(ud, p, size * n);
	return size * n;
}

void client_request(int port, const char *method, const char *path, const char *form,
		    const char *cookie, struct resp *r)
{
	CURL *c = curl_easy_init();
	char url[1024];
	snprintf(url, sizeof url, "http://127.0.0.1:%d%s", port, path);
	buf_init(&r->body);
	buf_init(&r->headers);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &r->body);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &r->headers);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
	if (form) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, form);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(form));
	}
	if (cookie)
		curl_easy_setopt(c, CURLOPT_COOKIE, cookie);
	r->status = 0;
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	curl_easy_cleanup(c);
}

void resp_release(struct resp *r)
{
	buf_release(&r->body);
	buf_release(&r->headers);
}

char *resp_cookie_line(const struct resp *r, const char *name)
{
	const char *h = buf_cstr(&r->headers);
	char pat[128];
	snprintf(pat, sizeof pat, "Set-Cookie: %s=", name);
	const char *p = strcasestr(h, pat);
	if (!p)
		return NULL;
	size_t n = strcspn(p, "\r\n");
	return xstrndup(p, n);
}

char *resp_cookie(const struct resp *r, const char *name)
{
	char *line = resp_cookie_line(r, name);
	if (!line)
		return NULL;
	const char *v = strchr(line, '=') + 1;
	char *out = xstrndup(v, strcspn(v, ";"));
	free(line);
	return out;
}

char *resp_hidden(const struct resp *r, const char *name)
{
	char pat[128];
	snprintf(pat, sizeof pat, "name=\"%s\" value=\"", name);
	const char *p = strstr(buf_cstr(&r->body), pat);
	if (!p)
		return NULL;
	p += strlen(pat);
	return xstrndup(p, strcspn(p, "\""));
}

char *client_escape(const char *s)
{
	char *e = curl_easy_escape(NULL, s, 0);
	char *out = xstrdup(e);
	curl_free(e);
	return out;
}
