/* The test HTTP client (see client.h), on libcurl. */
#include "client.h"

#include <check.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"
#include "org/demo.h"

static size_t on_data(char *p, size_t size, size_t n, void *ud)
{
	buf_append(ud, p, size * n);
	return size * n;
}

void client_request(int port, const char *method, const char *path, const char *form,
		    const char *cookie, struct resp *r)
{
	client_request_h(port, method, path, form, cookie, NULL, r);
}

void client_request_h(int port, const char *method, const char *path, const char *form,
		      const char *cookie, const char *header, struct resp *r)
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
	struct curl_slist *hl = header ? curl_slist_append(NULL, header) : NULL;
	if (hl)
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
	r->status = 0;
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	curl_slist_free_all(hl);
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

static CURL *start(int port, const char *path, const char *cookie, struct resp *r)
{
	CURL *c = curl_easy_init();
	char url[1024];
	snprintf(url, sizeof url, "http://127.0.0.1:%d%s", port, path);
	buf_init(&r->body);
	buf_init(&r->headers);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &r->body);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &r->headers);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
	if (cookie)
		curl_easy_setopt(c, CURLOPT_COOKIE, cookie);
	return c;
}

void client_multipart(int port, const char *path, const char *cookie, const char *const *fields,
		      const char *file_name, const char *file_data, size_t file_len, struct resp *r)
{
	CURL *c = start(port, path, cookie, r);
	curl_mime *mime = curl_mime_init(c);
	for (int i = 0; fields && fields[i]; i += 2) {
		curl_mimepart *part = curl_mime_addpart(mime);
		curl_mime_name(part, fields[i]);
		curl_mime_data(part, fields[i + 1], CURL_ZERO_TERMINATED);
	}
	if (file_name) {
		curl_mimepart *part = curl_mime_addpart(mime);
		curl_mime_name(part, "evidence");
		curl_mime_filename(part, file_name);
		curl_mime_type(part, "text/plain");
		curl_mime_data(part, file_data, file_len);
	}
	curl_easy_setopt(c, CURLOPT_MIMEPOST, mime);
	r->status = 0;
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	curl_mime_free(mime);
	curl_easy_cleanup(c);
}

void client_json(int port, const char *method, const char *path, const char *cookie,
		 const char *header, const char *json, struct resp *r)
{
	CURL *c = start(port, path, cookie, r);
	struct curl_slist *hl = curl_slist_append(NULL, "Content-Type: application/json");
	if (header)
		hl = curl_slist_append(hl, header);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	if (json) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, json);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(json));
	}
	r->status = 0;
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	curl_slist_free_all(hl);
	curl_easy_cleanup(c);
}

char *client_sign_in(int port, const char *login, const char *password)
{
	struct resp r;
	client_request(port, "GET", "/login", NULL, NULL, &r);
	char *csrf = resp_hidden(&r, "csrf");
	char *cv = resp_cookie(&r, "sokuho_csrf");
	resp_release(&r);
	if (!csrf || !cv) {
		free(csrf);
		free(cv);
		return NULL;
	}
	char *pe = client_escape(password);
	char *form = xasprintf("csrf=%s&login=%s&password=%s", csrf, login, pe);
	char *cookie = xasprintf("sokuho_csrf=%s", cv);
	client_request(port, "POST", "/login", form, cookie, &r);
	char *sid = resp_cookie(&r, "sokuho_session");
	resp_release(&r);
	char *out = sid && *sid ? xasprintf("sokuho_session=%s", sid) : NULL;
	free(sid);
	free(cookie);
	free(form);
	free(pe);
	free(cv);
	free(csrf);
	return out;
}

char *client_page_csrf(int port, const char *path, const char *cookie)
{
	struct resp r;
	client_request(port, "GET", path, NULL, cookie, &r);
	ck_assert_msg(r.status == 200, "GET %s: %ld", path, r.status);
	char *csrf = resp_hidden(&r, "csrf");
	resp_release(&r);
	ck_assert_msg(csrf != NULL, "no CSRF token on %s", path);
	return csrf;
}

char *client_sign_in_demo(int port, const char *login)
{
	char *c = client_sign_in(port, login, DEMO_PASSWORD);
	ck_assert_msg(c != NULL, "sign in as %s", login);
	return c;
}

long client_post_page(int port, const char *page, const char *cookie, const char *fields)
{
	char *csrf = client_page_csrf(port, page, cookie);
	char *form = xasprintf("csrf=%s&%s", csrf ? csrf : "", fields);
	struct resp r;
	client_request(port, "POST", page, form, cookie, &r);
	long status = r.status;
	resp_release(&r);
	free(form);
	free(csrf);
	return status;
}
