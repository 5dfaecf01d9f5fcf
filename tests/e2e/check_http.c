/* End-to-end HTTP tests against a running `sokuho serve` (libcurl and raw
 * sockets): pages, headers, static files, limits, malformed input, logs and
 * graceful shutdown. */
#include <arpa/inet.h>
#include <check.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/xalloc.h"
#include "client.h"
#include "support.h"

Suite *http_suite(void);

static char *db;
static int port;
static pid_t server;
static char logfile[256];

static void server_up(void)
{
	db = ts_prepared_database(0);
	port = ts_free_port();
	snprintf(logfile, sizeof logfile, "/tmp/sokuho-e2e-%d.log", (int)getpid());
	unlink(logfile);
	const char *extra[] = {"--max_body", "1M", NULL};
	server = ts_start_server(db, port, extra, logfile);
}

static void server_down(void)
{
	if (server > 0)
		ck_assert_int_eq(ts_stop_server_log(server, logfile), 0);
	server = 0;
	free(db);
}


static size_t on_data(char *p, size_t size, size_t n, void *ud)
{
	buf_append(ud, p, size * n);
	return size * n;
}

struct upload {
	size_t left;
};

static size_t on_read(char *p, size_t size, size_t n, void *ud)
{
	struct upload *u = ud;
	size_t k = size * n < u->left ? size * n : u->left;
	memset(p, 'a', k);
	u->left -= k;
	return k;
}

/* Performs a request; body_len > 0 sends that many bytes ('a'), chunked when
 * chunked is set. */
static void request(const char *method, const char *path, size_t body_len, int chunked,
		    const char *const *headers, struct resp *r)
{
	CURL *c = curl_easy_init();
	char url[512];
	snprintf(url, sizeof url, "http://127.0.0.1:%d%s", port, path);
	buf_init(&r->body);
	buf_init(&r->headers);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PATH_AS_IS, 1L);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &r->body);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &r->headers);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
	if (strcmp(method, "HEAD") == 0)
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	struct curl_slist *hl = NULL;
	for (int i = 0; headers && headers[i]; i++)
		hl = curl_slist_append(hl, headers[i]);
	struct upload up = {body_len};
	if (body_len) {
		curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
		curl_easy_setopt(c, CURLOPT_READDATA, &up);
		if (chunked)
			hl = curl_slist_append(hl, "Transfer-Encoding: chunked");
		else
			curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)body_len);
	}
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
	CURLcode rc = curl_easy_perform(c);
	r->status = 0;
	if (rc == CURLE_OK || rc == CURLE_SEND_ERROR)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	curl_slist_free_all(hl);
	curl_easy_cleanup(c);
}


static int has_header(const struct resp *r, const char *line)
{
	return strcasestr(buf_cstr(&r->headers), line) != NULL;
}

static void assert_security_headers(const struct resp *r)
{
	const char *h = buf_cstr(&r->headers);
	ck_assert_msg(strcasestr(h, "Content-Security-Policy: default-src 'none'; script-src 'self'"),
		      "%s", h);
	ck_assert_msg(strstr(h, "frame-ancestors 'none'"), "%s", h);
	ck_assert_msg(!strstr(h, "unsafe-inline"), "%s", h);
	ck_assert(has_header(r, "X-Content-Type-Options: nosniff"));
	ck_assert(has_header(r, "Referrer-Policy: same-origin"));
	ck_assert(has_header(r, "X-Frame-Options: DENY"));
	ck_assert(has_header(r, "X-Request-Id: "));
}

START_TEST(test_home_page)
{
	struct resp r;
	request("GET", "/", 0, 0, NULL, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert(has_header(&r, "Content-Type: text/html; charset=utf-8"));
	ck_assert(has_header(&r, "Cache-Control: no-store"));
	assert_security_headers(&r);
	const char *b = buf_cstr(&r.body);
	ck_assert_msg(strstr(b, "<html lang=\"ja\">"), "%s", b);
	ck_assert(strstr(b, "情報セキュリティインシデントを報告する"));
	ck_assert(strstr(b, "href=\"/report\""));
	/* The duty to report (policy 2.5 (9)) on every page: docs/policy.md. */
	ck_assert(strstr(b, "報告は職員等・委託事業者の義務です"));
	ck_assert(strstr(b, "/static/style.css"));
	ck_assert_msg(strstr(b, "設置日"), "installation date from the database: %s", b);
	resp_release(&r);
	request("HEAD", "/", 0, 0, NULL, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_uint_eq(r.body.len, 0);
	resp_release(&r);
}
END_TEST

START_TEST(test_not_found_and_method)
{
	struct resp r;
	request("GET", "/no/such/page", 0, 0, NULL, &r);
	ck_assert_int_eq(r.status, 404);
	ck_assert(strstr(buf_cstr(&r.body), "ページが見つかりません"));
	ck_assert(!strstr(buf_cstr(&r.body), "Page not found")); /* one language */
	assert_security_headers(&r);
	resp_release(&r);
	request("DELETE", "/", 0, 0, NULL, &r);
	ck_assert_int_eq(r.status, 405);
	ck_assert(has_header(&r, "Allow: GET, HEAD"));
	ck_assert(strstr(buf_cstr(&r.body), "この方法では利用できません"));
	resp_release(&r);
	request("POST", "/", 10, 0, NULL, &r);
	ck_assert_int_eq(r.status, 405);
	resp_release(&r);
}
END_TEST

START_TEST(test_static_files)
{
	struct resp r;
	request("GET", "/static/style.css", 0, 0, NULL, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert(has_header(&r, "Content-Type: text/css; charset=utf-8"));
	ck_assert(has_header(&r, "Cache-Control: public, max-age="));
	assert_security_headers(&r);
	const char *et = strcasestr(buf_cstr(&r.headers), "ETag: ");
	ck_assert(et != NULL);
	char etag[128];
	size_t n = strcspn(et, "\r\n");
	snprintf(etag, sizeof etag, "If-None-Match: %.*s", (int)(n - 6), et + 6);
	resp_release(&r);
	const char *h[] = {etag, NULL};
	request("GET", "/static/style.css", 0, 0, h, &r);
	ck_assert_int_eq(r.status, 304);
	resp_release(&r);
	const char *bad[] = {"/static/../sql/0001_foundation.sql", "/static/%2e%2e/README.md",
			     "/static/.hidden.css", "/static/", "/static/nosuch.css",
			     "/static//etc/passwd", "/static/style.css/"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		request("GET", bad[i], 0, 0, NULL, &r);
		ck_assert_msg(r.status == 404, "%s gave %ld", bad[i], r.status);
		resp_release(&r);
	}
}
END_TEST

START_TEST(test_body_limit)
{
	struct resp r;
	/* 30 MB announced with Content-Length, on a known and an unknown route. */
	request("POST", "/", 30u * 1024 * 1024, 0, NULL, &r);
	ck_assert_int_eq(r.status, 413);
	ck_assert(strstr(buf_cstr(&r.body), "送信内容が大きすぎます"));
	resp_release(&r);
	request("POST", "/no/such", 30u * 1024 * 1024, 0, NULL, &r);
	ck_assert_int_eq(r.status, 413);
	resp_release(&r);
	/* Chunked, so the size is only known while reading: the connection is
	 * closed once it outgrows the route, with no answer but the 100
	 * Continue curl asked for. */
	request("POST", "/login", 3u * 1024 * 1024, 1, NULL, &r);
	ck_assert_msg(r.status == 100 || r.status == 0, "%ld", r.status);
	resp_release(&r);
	/* A route that takes no body answers from the headers alone. */
	request("POST", "/", 1000u * 1024, 0, NULL, &r);
	ck_assert_int_eq(r.status, 405);
	resp_release(&r);
	/* Within the route's limit the body is read, then CSRF is checked. */
	request("POST", "/login", 4000, 0, NULL, &r);
	ck_assert_int_eq(r.status, 403);
	resp_release(&r);
	request("GET", "/", 0, 0, NULL, &r);
	ck_assert_int_eq(r.status, 200);
	resp_release(&r);
}
END_TEST

static int raw_connect(void)
{
	int s = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {0};
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert(connect(s, (struct sockaddr *)&a, sizeof a) == 0);
	struct timeval tv = {5, 0};
	setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	return s;
}

static void raw_send(int s, const char *p, size_t n)
{
	while (n) {
		ssize_t w = send(s, p, n, MSG_NOSIGNAL);
		if (w <= 0)
			return; /* the server may close on garbage: that is fine */
		p += w;
		n -= (size_t)w;
	}
}

static char *raw_exchange(const char *p, size_t n)
{
	int s = raw_connect();
	raw_send(s, p, n);
	shutdown(s, SHUT_WR);
	buf b = BUF_INIT;
	char tmp[4096];
	ssize_t r;
	while ((r = recv(s, tmp, sizeof tmp, 0)) > 0)
		buf_append(&b, tmp, (size_t)r);
	close(s);
	return buf_detach(&b, NULL);
}

START_TEST(test_malformed_requests)
{
	static const char nul_req[] = "GET /\0x HTTP/1.1\r\nHost: a\r\n\r\n";
	const struct {
		const char *data;
		size_t len;
	} cases[] = {
		{"GARBAGE\r\n\r\n", 0},
		{"GET\r\n\r\n", 0},
		{"GET / HTTP/9.9\r\nHost: a\r\n\r\n", 0},
		{"GET / HTTP/1.1\r\n\r\n", 0}, /* no Host */
		{"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: -5\r\n\r\n", 0},
		{"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999999\r\n\r\n", 0},
		{"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nZZZ\r\n", 0},
		{"GET /%zz%00%ff HTTP/1.1\r\nHost: a\r\n\r\n", 0},
		{"GET / HTTP/1.1\r\nHost: a\r\nBad Header Line\r\n\r\n", 0},
		{"GET / HTTP/1.1\r\nHost: a\r\n: novalue\r\n\r\n", 0},
		{nul_req, sizeof nul_req - 1},
		{"\xff\xfe\xfd\r\n\r\n", 0},
		{"GET http://evil.example/ HTTP/1.1\r\nHost: evil\r\n\r\n", 0},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		size_t n = cases[i].len ? cases[i].len : strlen(cases[i].data);
		free(raw_exchange(cases[i].data, n));
	}
	/* A header far larger than the connection's memory. */
	buf big = BUF_INIT;
	buf_puts(&big, "GET / HTTP/1.1\r\nHost: a\r\nX-Big: ");
	for (int i = 0; i < 200000; i++)
		buf_putc(&big, 'x');
	buf_puts(&big, "\r\n\r\n");
	char *resp = raw_exchange(big.data, big.len);
	ck_assert_msg(strncmp(resp, "HTTP/1.1 4", 10) == 0 || resp[0] == '\0', "%.40s", resp);
	free(resp);
	buf_release(&big);
	/* Thousands of headers. */
	buf_puts(&big, "GET / HTTP/1.1\r\nHost: a\r\n");
	for (int i = 0; i < 5000; i++)
		buf_printf(&big, "X-H%d: v\r\n", i);
	buf_puts(&big, "\r\n");
	free(raw_exchange(big.data, big.len));
	buf_release(&big);
	/* Still alive and serving. */
	ck_assert_int_eq(kill(server, 0), 0);
	const char *ok = "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n";
	resp = raw_exchange(ok, strlen(ok));
	ck_assert_msg(strncmp(resp, "HTTP/1.1 200", 12) == 0, "%.60s", resp);
	free(resp);
}
END_TEST

START_TEST(test_access_log)
{
	struct resp r;
	request("GET", "/?session=SECRET-QUERY-TOKEN", 0, 0, NULL, &r);
	ck_assert_int_eq(r.status, 200);
	resp_release(&r);
	const char *h[] = {"Cookie: sokuho_session=SECRET-COOKIE", "Authorization: Bearer SECRET-AUTH",
			   NULL};
	request("GET", "/no-such-thing", 0, 0, h, &r);
	resp_release(&r);
	/* an acknowledge link is a bearer credential until used: its token is
	 * not written, whether it is valid or not, by GET or by POST */
	request("GET", "/ack/SECRET-ACK-TOKEN.abcdef", 0, 0, NULL, &r);
	resp_release(&r);
	request("POST", "/ack/SECRET-ACK-TOKEN.abcdef", 0, 0, NULL, &r);
	resp_release(&r);
	usleep(100 * 1000);
	char *log = ts_read_file(logfile);
	ck_assert(log != NULL);
	ck_assert_msg(strstr(log, "event=access rid="), "%s", log);
	ck_assert_msg(strstr(log, "method=\"GET\" path=\"/no-such-thing\" route=- status=404 bytes="),
		      "%s", log);
	ck_assert(strstr(log, "dur_ms="));
	ck_assert_msg(strstr(log, "path=\"/ack/-\" route=ack"), "%s", log);
	ck_assert_msg(!strstr(log, "SECRET"), "%s", log);
	free(log);
}
END_TEST

/* A request still uploading when SIGTERM arrives gets its answer, then the
 * server exits 0. Uses a server of its own. */
START_TEST(test_graceful_shutdown)
{
	char *mydb = ts_prepared_database(0);
	int myport = ts_free_port();
	char mylog[256];
	snprintf(mylog, sizeof mylog, "/tmp/sokuho-e2e-shutdown-%d.log", (int)getpid());
	pid_t pid = ts_start_server(mydb, myport, NULL, mylog);
	int saved = port;
	port = myport;
	int s = raw_connect();
	const char *head = "POST /login HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n12345";
	raw_send(s, head, strlen(head));
	usleep(200 * 1000);
	kill(pid, SIGTERM);
	usleep(300 * 1000);
	ck_assert_msg(waitpid(pid, NULL, WNOHANG) == 0, "exited with a request in flight");
	raw_send(s, "67890", 5);
	char tmp[4096];
	ssize_t n = recv(s, tmp, sizeof tmp - 1, 0);
	ck_assert(n > 0);
	tmp[n] = '\0';
	ck_assert_msg(strncmp(tmp, "HTTP/1.1 403", 12) == 0, "%s", tmp); /* no CSRF token */
	close(s);
	int st;
	for (int i = 0; i < 500 && waitpid(pid, &st, WNOHANG) != pid; i++)
		usleep(10 * 1000);
	ck_assert(WIFEXITED(st));
	ck_assert_int_eq(WEXITSTATUS(st), 0);
	port = saved;
	unlink(mylog);
	free(mydb);
}
END_TEST

START_TEST(test_bad_configuration)
{
	char *out, *err;
	const char *a1[] = {ts_bin(), "serve", "--threads", "lots", NULL};
	ck_assert_int_eq(ts_run(a1, NULL, &out, &err), 2);
	ck_assert_msg(strstr(err, "'threads'") && strstr(err, "whole number"), "%s", err);
	free(out);
	free(err);
	const char *env[] = {"SOKUHO_LISTEN=nowhere", NULL};
	const char *a2[] = {ts_bin(), "serve", NULL};
	ck_assert_int_eq(ts_run(a2, env, &out, &err), 2);
	ck_assert_msg(strstr(err, "SOKUHO_LISTEN") && strstr(err, "HOST:PORT"), "%s", err);
	free(out);
	free(err);
	char *dir = ts_tmpdir();
	char *conf = xasprintf("%s/sokuho.conf", dir);
	ts_write_file(conf, "listen = 127.0.0.1:1\nmax_bdy = 1M\n");
	const char *a3[] = {ts_bin(), "--config", conf, "serve", NULL};
	ck_assert_int_eq(ts_run(a3, NULL, &out, &err), 2);
	ck_assert_msg(strstr(err, "sokuho.conf:2: unknown configuration key 'max_bdy'"), "%s", err);
	free(out);
	free(err);
	const char *a4[] = {ts_bin(), "serve", "--colour", "red", NULL};
	ck_assert_int_eq(ts_run(a4, NULL, &out, &err), 2);
	ck_assert_msg(strstr(err, "'colour'"), "%s", err);
	free(out);
	free(err);
	const char *a5[] = {ts_bin(), "frobnicate", NULL};
	ck_assert_int_eq(ts_run(a5, NULL, &out, &err), 2);
	ck_assert_msg(strstr(err, "unknown command 'frobnicate'"), "%s", err);
	free(out);
	free(err);
	free(conf);
	free(dir);
}
END_TEST

START_TEST(test_template_error_fails_start)
{
	char *dir = ts_tmpdir();
	char *pages = xasprintf("%s/pages", dir);
	ck_assert_int_eq(mkdir(pages, 0700), 0);
	char *bad = xasprintf("%s/broken.mustache", pages);
	ts_write_file(bad, "<p>\n{{#items}}\n<li>{{name}}</li>\n");
	char *tdir = xasprintf("--templates_dir=%s", dir);
	char *url = xasprintf("--database_url=%s", db);
	const char *argv[] = {ts_bin(), "serve", "--listen", "127.0.0.1:1", url, tdir, NULL};
	char *out, *err;
	ck_assert_int_eq(ts_run(argv, NULL, &out, &err), 1);
	ck_assert_msg(strstr(err, "broken.mustache") && strstr(err, "line 2"), "%s", err);
	free(out);
	free(err);
	free(url);
	free(tdir);
	free(bad);
	free(pages);
	free(dir);
}
END_TEST

START_TEST(test_pending_migrations_refuse_start)
{
	char *fresh = ts_new_database();
	char *url = xasprintf("--database_url=%s", fresh);
	const char *argv[] = {ts_bin(), "serve", "--listen", "127.0.0.1:1", url, NULL};
	char *out, *err;
	ck_assert_int_eq(ts_run(argv, NULL, &out, &err), 1);
	ck_assert_msg(strstr(err, "run 'sokuho migrate' first"), "%s", err);
	free(out);
	free(err);
	free(url);
	free(fresh);
	/* nothing listening is waited for, here at most a second */
	const char *bad[] = {ts_bin(), "serve", "--database_url=host=/nonexistent dbname=x",
			     "--db_start_wait", "1", NULL};
	ck_assert_int_eq(ts_run(bad, NULL, &out, &err), 1);
	ck_assert_msg(strstr(err, "unable to connect to the database") &&
			      strstr(err, "(waited 1 s for the database)"),
		      "%s", err);
	free(out);
	free(err);
}
END_TEST

START_TEST(test_help_and_render)
{
	char *out, *err;
	const char *a1[] = {ts_bin(), "--help", NULL};
	ck_assert_int_eq(ts_run(a1, NULL, &out, &err), 0);
	ck_assert(strstr(out, "serve") && strstr(out, "migrate") && strstr(out, "render"));
	ck_assert(strstr(out, "DATABASE_URL"));
	free(out);
	free(err);
	const char *cmds[] = {"serve", "migrate", "render", "version"};
	for (int i = 0; i < 4; i++) {
		const char *a[] = {ts_bin(), cmds[i], "--help", NULL};
		ck_assert_int_eq(ts_run(a, NULL, &out, &err), 0);
		ck_assert_msg(strstr(out, "usage: sokuho"), "%s: %s", cmds[i], out);
		free(out);
		free(err);
	}
	char *dir = ts_tmpdir();
	char *data = xasprintf("%s/data.json", dir);
	char *tmpl = xasprintf("%s/t.mustache", dir);
	ts_write_file(data, "{\"name\": \"<富士吉田>\", \"items\": [{\"n\": 1}, {\"n\": 2}]}");
	ts_write_file(tmpl, "{{name}}|{{{name}}}|{{#items}}{{n}}{{/items}}\n");
	const char *a2[] = {ts_bin(), "render", tmpl, data, NULL};
	ck_assert_int_eq(ts_run(a2, NULL, &out, &err), 0);
	ck_assert_str_eq(out, "&lt;富士吉田&gt;|<富士吉田>|12\n");
	free(out);
	free(err);
	const char *a3[] = {ts_bin(), "render", "pages/home", data, NULL};
	ck_assert_int_eq(ts_run(a3, NULL, &out, &err), 0);
	ck_assert_msg(strstr(out, "情報セキュリティインシデントを報告する") &&
			      strstr(out, "<!DOCTYPE html>"),
		      "layout and page: %s", out);
	free(out);
	free(err);
	ts_write_file(data, "{\"name\": ");
	ck_assert_int_eq(ts_run(a2, NULL, &out, &err), 1);
	ck_assert_msg(strstr(err, "data.json' line 1"), "%s", err);
	free(out);
	free(err);
	free(data);
	free(tmpl);
	free(dir);
}
END_TEST

/* Built-in HTTPS: with tls_cert and tls_key the server speaks only TLS and
 * every cookie is Secure. */
START_TEST(test_builtin_tls)
{
	char *dir = ts_tmpdir();
	char *key = xasprintf("%s/key.pem", dir), *cert = xasprintf("%s/cert.pem", dir);
	const char *gen[] = {"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
			     key, "-out", cert, "-subj", "/CN=localhost", "-days", "1", NULL};
	char *out, *err;
	ck_assert_msg(ts_run(gen, NULL, &out, &err) == 0, "openssl: %s", err);
	free(out);
	free(err);
	int p = ts_free_port();
	char log2[256];
	snprintf(log2, sizeof log2, "/tmp/sokuho-e2e-tls-%d.log", (int)getpid());
	char *kopt = xasprintf("--tls_key=%s", key), *copt = xasprintf("--tls_cert=%s", cert);
	const char *extra[] = {kopt, copt, NULL};
	pid_t s2 = ts_start_server(db, p, extra, log2);
	char url[64];
	snprintf(url, sizeof url, "https://127.0.0.1:%d/login", p);
	CURL *c = curl_easy_init();
	buf body = BUF_INIT, headers = BUF_INIT;
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &headers);
	ck_assert_int_eq(curl_easy_perform(c), CURLE_OK);
	long status = 0;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(c);
	ck_assert_int_eq(status, 200);
	ck_assert(strstr(buf_cstr(&body), "ログインID"));
	ck_assert_msg(strstr(buf_cstr(&headers), "; Secure"), "%s", buf_cstr(&headers));
	buf_release(&body);
	buf_release(&headers);
	/* Plain HTTP on the TLS port gets no page. */
	int saved = port;
	port = p;
	struct resp r;
	client_request(p, "GET", "/", NULL, NULL, &r);
	ck_assert(r.status != 200);
	resp_release(&r);
	port = saved;
	ck_assert_int_eq(ts_stop_server_log(s2, log2), 0);
	unlink(log2);
	free(kopt);
	free(copt);
	free(key);
	free(cert);
	free(dir);
}
END_TEST

Suite *http_suite(void)
{
	Suite *s = suite_create("http");
	TCase *tc = tcase_create("server");
	tcase_set_timeout(tc, 120);
	tcase_add_unchecked_fixture(tc, server_up, server_down);
	tcase_add_test(tc, test_home_page);
	tcase_add_test(tc, test_not_found_and_method);
	tcase_add_test(tc, test_static_files);
	tcase_add_test(tc, test_body_limit);
	tcase_add_test(tc, test_malformed_requests);
	tcase_add_test(tc, test_access_log);
	tcase_add_test(tc, test_graceful_shutdown);
	tcase_add_test(tc, test_builtin_tls);
	tcase_add_test(tc, test_template_error_fails_start);
	tcase_add_test(tc, test_pending_migrations_refuse_start);
	tcase_add_test(tc, test_bad_configuration);
	tcase_add_test(tc, test_help_and_render);
	suite_add_tcase(s, tc);
	return s;
}
