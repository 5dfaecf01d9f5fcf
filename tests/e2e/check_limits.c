/* A server that cannot be starved (issue 15, findings 1 and 8): a body is
 * read only as far as its route allows, decided when the headers arrive —
 * before sign-in, CSRF or a byte of the body — and one address holds at most
 * per_ip_connection_limit connections. Raw sockets, so that requests can be
 * left unfinished. Runs on the demo city. */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "core/buf.h"
#include "core/xalloc.h"
#include "support.h"

Suite *limits_suite(void);

static struct ts_server srv;
static int port;

static void setup(void)
{
	/* above the 50 connections of the starvation test, all from 127.0.0.1 */
	const char *extra[] = {"--per_ip_connection_limit", "100", NULL};
	ts_demo_server_start(&srv, "limits", extra);
	port = srv.port;
}

static void teardown(void)
{
	ts_demo_server_stop(&srv);
}

static int raw_connect_to(int p)
{
	int s = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert(s >= 0);
	struct sockaddr_in a = {0};
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)p);
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
			return;
		p += w;
		n -= (size_t)w;
	}
}

/* Waits up to ms for the server's answer on s and returns its status (0
 * when the connection closed or nothing came). */
static int status_within(int s, int ms)
{
	struct pollfd pf = {s, POLLIN, 0};
	if (poll(&pf, 1, ms) <= 0)
		return 0;
	char tmp[64];
	ssize_t n = recv(s, tmp, sizeof tmp - 1, 0);
	if (n < 12)
		return 0;
	tmp[n] = '\0';
	if (strncmp(tmp, "HTTP/1.1 ", 9) != 0)
		return 0;
	return atoi(tmp + 9);
}

/* Sends only the headers of a request announcing length bytes of body (plus
 * extra header lines, may be NULL) and returns the status the server
 * answers with within two seconds, having read none of the body. */
static int headers_only(const char *method, const char *path, unsigned long length,
			const char *extra)
{
	int s = raw_connect_to(port);
	char *h = xasprintf("%s %s HTTP/1.1\r\nHost: a\r\nContent-Type: "
			    "application/x-www-form-urlencoded\r\nContent-Length: %lu\r\n%s\r\n",
			    method, path, length, extra ? extra : "");
	raw_send(s, h, strlen(h));
	free(h);
	int st = status_within(s, 2000);
	close(s);
	return st;
}

static long vm_rss_kb(pid_t pid)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	char *st = ts_read_file(path);
	ck_assert(st != NULL);
	const char *p = strstr(st, "VmRSS:");
	ck_assert(p != NULL);
	long kb = strtol(p + 6, NULL, 10);
	free(st);
	return kb;
}

static long get_status_on(int p, const char *path)
{
	struct resp r;
	client_request(p, "GET", path, NULL, NULL, &r);
	long st = r.status;
	resp_release(&r);
	return st;
}

static long get_status(const char *path, const char *cookie)
{
	struct resp r;
	client_request(port, "GET", path, NULL, cookie, &r);
	long st = r.status;
	resp_release(&r);
	return st;
}

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

#define FLOOD 50
#define FLOOD_LEN (19ul * 1024 * 1024)

/* Unnamed upload files (spool.h) the server holds open in /var/tmp. */
static int spooled_files(pid_t pid)
{
	char dir[64];
	snprintf(dir, sizeof dir, "/proc/%d/fd", (int)pid);
	int n = 0;
	for (int fd = 0; fd < 4096; fd++) {
		char path[96], target[512];
		snprintf(path, sizeof path, "%s/%d", dir, fd);
		ssize_t k = readlink(path, target, sizeof target - 1);
		if (k <= 0)
			continue;
		target[k] = '\0';
		if (strncmp(target, "/var/tmp/", 9) == 0 && strstr(target, "(deleted)"))
			n++;
	}
	return n;
}

struct flood {
	long idle_kb, during_kb;
	size_t sent;   /* body bytes the server took */
	int still_open;
	int spooled;   /* upload files open meanwhile */
};

/* nconn POSTs to path (with a Cookie header when cookie is not NULL)
 * announcing 19 MiB each, as much of it sent as the server will take for up
 * to 10 s, never the last byte; measures the server meanwhile, checks that
 * it still serves GET /login, then closes them. */
static void flood(const char *path, const char *cookie, int nconn, struct flood *f)
{
	ck_assert_int_eq(get_status("/login", NULL), 200);
	f->idle_kb = vm_rss_kb(srv.pid);
	int s[FLOOD];
	size_t sent[FLOOD];
	int open_n = nconn;
	char *ck = cookie ? xasprintf("Cookie: %s\r\n", cookie) : xstrdup("");
	char *head = xasprintf("POST %s HTTP/1.1\r\nHost: a\r\n%sContent-Type: "
			       "application/x-www-form-urlencoded\r\nContent-Length: %lu\r\n\r\n",
			       path, ck, FLOOD_LEN);
	free(ck);
	static char chunk[64 * 1024];
	memset(chunk, 'a', sizeof chunk);
	for (int i = 0; i < nconn; i++) {
		s[i] = raw_connect_to(port);
		raw_send(s[i], head, strlen(head));
		raw_send(s[i], "login=x&password=", 17);
		fcntl(s[i], F_SETFL, fcntl(s[i], F_GETFL) | O_NONBLOCK);
		sent[i] = 17;
	}
	free(head);
	/* Push the bodies (never the last byte) for up to 10 s, as fast as
	 * the server reads them. */
	double until = now_s() + 10;
	int busy = nconn;
	while (busy && now_s() < until) {
		busy = 0;
		for (int i = 0; i < nconn; i++) {
			if (s[i] < 0 || sent[i] >= FLOOD_LEN - 1)
				continue;
			size_t n = FLOOD_LEN - 1 - sent[i];
			ssize_t w = send(s[i], chunk, n < sizeof chunk ? n : sizeof chunk,
					 MSG_NOSIGNAL);
			if (w > 0) {
				sent[i] += (size_t)w;
				busy++;
			} else if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
				close(s[i]); /* refused: the server closed it */
				s[i] = -1;
				open_n--;
			}
		}
		if (!busy)
			usleep(20 * 1000);
	}
	usleep(300 * 1000);
	f->during_kb = vm_rss_kb(srv.pid);
	f->spooled = spooled_files(srv.pid);
	/* and it still serves */
	ck_assert_int_eq(get_status("/login", NULL), 200);
	f->sent = 0;
	for (int i = 0; i < nconn; i++)
		f->sent += sent[i];
	f->still_open = open_n;
	fprintf(stderr, "limits: %s: idle %ld kB, with %d unfinished posts %ld kB (+%ld kB); "
		"%zu bytes sent, %d still open, %d upload files\n",
		path, f->idle_kb, nconn, f->during_kb, f->during_kb - f->idle_kb, f->sent, open_n,
		f->spooled);
	for (int i = 0; i < nconn; i++)
		if (s[i] >= 0)
			close(s[i]);
	ck_assert_int_eq(get_status("/login", NULL), 200);
}

/* The review's attack: 50 anonymous POSTs to /login announcing 19 MiB each,
 * as much of it sent as the server will take, never finished. The server
 * grows by less than 30 MB and keeps serving meanwhile. */
START_TEST(test_unfinished_posts_do_not_starve)
{
	struct flood f;
	flood("/login", NULL, FLOOD, &f);
	ck_assert_msg(f.during_kb - f.idle_kb < 30 * 1024, "grew from %ld kB to %ld kB", f.idle_kb,
		      f.during_kb);
}
END_TEST

/* Signed-in uploads are read, but to disk: 20 unfinished 19 MiB uploads to
 * /report (well within body_disk's 4G) are taken in, as fast as they come,
 * into unnamed files, and the server's memory hardly moves. */
START_TEST(test_uploads_go_to_disk)
{
	char *cookie = client_sign_in_demo(port, "sakai.haruto");
	struct flood f;
	flood("/report", cookie, 20, &f);
	free(cookie);
	ck_assert_msg(f.sent > 40ul * 1024 * 1024, "only %zu bytes taken", f.sent);
	ck_assert_int_eq(f.still_open, 20);
	ck_assert_int_eq(f.spooled, 20);
	ck_assert_msg(f.during_kb - f.idle_kb < 30 * 1024, "grew from %ld kB to %ld kB", f.idle_kb,
		      f.during_kb);
	/* given up, every file is gone: once the server has read what the
	 * kernel still held of each (seconds under the sanitizers) */
	double t0 = now_s();
	int left;
	while ((left = spooled_files(srv.pid)) > 0 && now_s() - t0 < 20)
		usleep(50 * 1000);
	fprintf(stderr, "limits: upload files closed %.1f s after the clients gave up\n",
		now_s() - t0);
	ck_assert_int_eq(left, 0);
}
END_TEST

/* A Content-Length over the route's limit is refused at once, before a byte
 * of the body is sent; so is a body for a route that takes none, and an
 * upload by someone not signed in. */
START_TEST(test_route_limits_at_headers)
{
	/* anonymous forms take a few KiB */
	ck_assert_int_eq(headers_only("POST", "/login", 9000, NULL), 413);
	ck_assert_int_eq(headers_only("POST", "/ack/abc.def", 1024 * 1024, NULL), 413);
	/* the public report form its own limit (public_max_body, 2M) */
	ck_assert_int_eq(headers_only("POST", "/report/public", 3ul * 1024 * 1024, NULL), 413);
	/* a route that takes no body, and a GET */
	ck_assert_int_eq(headers_only("POST", "/", 10, NULL), 405);
	ck_assert_int_eq(headers_only("GET", "/login", 10, NULL), 413);
	/* staff routes: who is asking is known before the body is read */
	ck_assert_int_eq(headers_only("POST", "/report", 19ul * 1024 * 1024, NULL), 403);
	ck_assert_int_eq(headers_only("POST", "/api/v1/incidents", 200 * 1024, NULL), 401);
	ck_assert_int_eq(headers_only("POST", "/incidents/1", 200 * 1024, NULL), 403);
	/* a signed-in person's form takes 256 KiB, the report form max_body */
	char *cookie = client_sign_in_demo(port, "sakai.haruto");
	char *hdr = xasprintf("Cookie: %s\r\n", cookie);
	ck_assert_int_eq(headers_only("POST", "/account/tokens", 300 * 1024, hdr), 413);
	ck_assert_int_eq(headers_only("POST", "/report", 21ul * 1024 * 1024, hdr), 413);
	/* within its limit the body is read: no answer before it is sent */
	ck_assert_int_eq(headers_only("POST", "/report", 19ul * 1024 * 1024, hdr), 0);
	free(hdr);
	free(cookie);
	/* a chunked body is refused as soon as it outgrows the route */
	int s = raw_connect_to(port);
	const char *h = "POST /login HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
			"Content-Type: application/x-www-form-urlencoded\r\n\r\n";
	raw_send(s, h, strlen(h));
	char *chunk = xmalloc(20000);
	memset(chunk, 'a', 20000);
	raw_send(s, "4e20\r\n", 6);
	raw_send(s, chunk, 20000);
	free(chunk);
	/* closed at once, without an answer (libmicrohttpd takes none while a
	 * body is being read), and logged as 413 */
	ck_assert_int_eq(status_within(s, 2000), 0);
	close(s);
	/* a small anonymous form still works */
	ck_assert_int_eq(get_status("/login", NULL), 200);
	char *log = ts_read_file(srv.logfile);
	ck_assert_msg(strstr(log, "event=body_refused") && strstr(log, "route=login limit=8192 "
								     "reason=announced"),
		      "%s", log);
	ck_assert_msg(strstr(log, "route=login limit=8192 reason=read"), "%s", log);
	ck_assert_msg(strstr(log, "route=login status=413"), "%s", log);
	free(log);
}
END_TEST

/* Sends the headers of a request (with extra header lines) and returns
 * what the server answers within ms, or "" (caller frees). The socket stays
 * open in *sock when sock is not NULL. */
static char *answer_within(int p, const char *head, int ms, int *sock)
{
	int s = raw_connect_to(p);
	raw_send(s, head, strlen(head));
	buf b = BUF_INIT;
	struct pollfd pf = {s, POLLIN, 0};
	if (poll(&pf, 1, ms) > 0) {
		char tmp[4096];
		ssize_t n = recv(s, tmp, sizeof tmp, 0);
		if (n > 0)
			buf_append(&b, tmp, (size_t)n);
	}
	if (sock)
		*sock = s;
	else
		close(s);
	return buf_detach(&b, NULL);
}

/* One of the budgets of body_memory / body_disk: a first body of len bytes
 * to path is admitted and read, a second would go beyond the budget and is
 * 503 with Retry-After before it is read, and the budget comes back when
 * the first is given up. */
static void budget_walk(int p, const char *cookie, const char *path, int len)
{
	char *head = xasprintf("POST %s HTTP/1.1\r\nHost: a\r\nCookie: %s\r\nContent-Type: "
			       "multipart/form-data; boundary=x\r\nContent-Length: %d\r\n\r\n",
			       path, cookie, len);
	int first;
	char *a = answer_within(p, head, 500, &first);
	ck_assert_msg(a[0] == '\0', "%s: %s", path, a);
	free(a);
	a = answer_within(p, head, 2000, NULL);
	ck_assert_msg(strncmp(a, "HTTP/1.1 503", 12) == 0, "%s: %s", path, a);
	ck_assert_msg(strcasestr(a, "\r\nRetry-After: "), "%s", a);
	free(a);
	/* a small form still fits */
	ck_assert_int_eq(get_status_on(p, "/login"), 200);
	close(first);
	usleep(500 * 1000);
	int again;
	a = answer_within(p, head, 500, &again);
	ck_assert_msg(a[0] == '\0', "%s: %s", path, a);
	free(a);
	close(again);
	free(head);
}

/* body_memory: bodies held in memory (forms) together at most that much;
 * body_disk: uploads being received together at most that much on disk.
 * Either way a body that would go beyond gets 503 with Retry-After before it
 * is read, and the budget comes back when a request ends. */
START_TEST(test_body_budgets)
{
	struct ts_server b;
	const char *extra[] = {"--body_memory", "300K", "--body_disk", "1M", NULL};
	ts_demo_server_start(&b, "budget", extra);
	char *cookie = client_sign_in_demo(b.port, "sakai.haruto");
	budget_walk(b.port, cookie, "/account/tokens", 200 * 1024);
	budget_walk(b.port, cookie, "/report", 700 * 1024);
	free(cookie);
	char *log = ts_read_file(b.logfile);
	ck_assert_msg(strstr(log, "event=body_budget_full") && strstr(log, "body_memory=307200"),
		      "%s", log);
	ck_assert_msg(strstr(log, "route=report wanted=716800 in_flight=716800 body_disk=1048576"),
		      "%s", log);
	free(log);
	ts_demo_server_stop(&b);
}
END_TEST

/* per_ip_connection_limit: connection N+1 from one address is refused; the
 * server of the fixture allows 100, this one 3. */
START_TEST(test_per_ip_connection_limit)
{
	char *db = ts_prepared_database(0);
	int p = ts_free_port();
	char logfile[256];
	snprintf(logfile, sizeof logfile, "/tmp/sokuho-e2e-perip-%d.log", (int)getpid());
	unlink(logfile);
	const char *extra[] = {"--per_ip_connection_limit", "3", NULL};
	pid_t pid = ts_start_server(db, p, extra, logfile);
	usleep(200 * 1000); /* the start-up probe's connection is gone */
	int s[3];
	for (int i = 0; i < 3; i++)
		s[i] = raw_connect_to(p);
	usleep(300 * 1000);
	const char *get = "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n";
	int extra_s = raw_connect_to(p);
	raw_send(extra_s, get, strlen(get));
	ck_assert_int_eq(status_within(extra_s, 2000), 0);
	close(extra_s);
	/* the three held connections are served */
	raw_send(s[0], get, strlen(get));
	ck_assert_int_eq(status_within(s[0], 2000), 200);
	for (int i = 0; i < 3; i++)
		close(s[i]);
	usleep(300 * 1000);
	int again = raw_connect_to(p);
	raw_send(again, get, strlen(get));
	ck_assert_int_eq(status_within(again, 2000), 200);
	close(again);
	ck_assert_int_eq(ts_stop_server_log(pid, logfile), 0);
	unlink(logfile);
	free(db);
}
END_TEST

Suite *limits_suite(void)
{
	Suite *s = suite_create("limits");
	TCase *tc = tcase_create("server");
	tcase_set_timeout(tc, 120);
	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_unfinished_posts_do_not_starve);
	tcase_add_test(tc, test_route_limits_at_headers);
	tcase_add_test(tc, test_per_ip_connection_limit);
	tcase_add_test(tc, test_uploads_go_to_disk);
	tcase_add_test(tc, test_body_budgets);
	suite_add_tcase(s, tc);
	return s;
}
