/* smtp_send_batch against a real SMTP server (tests/mail/smtpd.py on
 * aiosmtpd): a Japanese batch over one connection that Python's email
 * package decodes back exactly, 4xx and 5xx at RCPT and at the end of DATA,
 * a dropped connection (and its SIGPIPE), a timeout, no server at all, header
 * injection, AUTH, STARTTLS with certificate checks, and concurrent sessions
 * in threads. No database is needed.
 *
 * The server runs on Debian's python3 (SOKUHO_PYTHON overrides), which has
 * python3-aiosmtpd. Each test runs in its own process (check's fork mode),
 * which matters for TLS: the trust store is read once per process. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/xalloc.h"
#include "mail/mime.h"
#include "mail/smtp.h"
#include "support.h"

Suite *smtp_suite(void);

#define SCRIPT "tests/mail/smtpd.py"

/* The test server ---------------------------------------------------------- */

struct smtpd {
	pid_t pid;
	int port;
	char *dir;
};

static const char *python(void)
{
	const char *p = getenv("SOKUHO_PYTHON");
	return p && *p ? p : "/usr/bin/python3";
}

static char *path_in(const struct smtpd *s, const char *name)
{
	return xasprintf("%s/%s", s->dir, name);
}

/* Starts the server with extra arguments (NULL-terminated, may be NULL) and
 * waits until it listens. */
static struct smtpd smtpd_start(const char *const *extra)
{
	struct smtpd s;
	s.dir = ts_tmpdir();
	s.port = ts_free_port();
	char port[16];
	snprintf(port, sizeof port, "%d", s.port);
	const char *argv[24] = {python(), SCRIPT, "--port", port, "--dir", s.dir};
	int n = 6;
	for (int i = 0; extra && extra[i] && n < 23; i++)
		argv[n++] = extra[i];
	argv[n] = NULL;
	char *log = path_in(&s, "log");
	s.pid = fork();
	ck_assert(s.pid >= 0);
	if (s.pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execv(argv[0], (char *const *)(uintptr_t)argv);
		_exit(127);
	}
	char *ready = path_in(&s, "ready");
	for (int i = 0; i < 1500; i++) {
		if (access(ready, F_OK) == 0) {
			free(ready);
			free(log);
			return s;
		}
		int st;
		if (waitpid(s.pid, &st, WNOHANG) == s.pid) {
			char *text = ts_read_file(log);
			ck_abort_msg("smtpd.py exited at start (%s): %s", python(), text ? text : "");
		}
		usleep(10 * 1000);
	}
	kill(s.pid, SIGKILL);
	ck_abort_msg("smtpd.py did not start");
	return s;
}

static void smtpd_stop(struct smtpd *s)
{
	ts_stop_server(s->pid);
	const char *argv[] = {"rm", "-rf", s->dir, NULL};
	ts_run(argv, NULL, NULL, NULL);
	free(s->dir);
}

/* NNN.eml / NNN.rcpt of the k-th message received (1-based), or NULL. */
static char *received(const struct smtpd *s, int k, const char *ext)
{
	char name[32];
	snprintf(name, sizeof name, "%03d.%s", k, ext);
	char *p = path_in(s, name);
	char *text = ts_read_file(p);
	free(p);
	return text;
}

static int count_received(const struct smtpd *s)
{
	int k = 0;
	for (;;) {
		char *t = received(s, k + 1, "eml");
		if (!t)
			return k;
		free(t);
		k++;
	}
}

static json_t *rcpt_json(const struct smtpd *s, int k)
{
	char *t = received(s, k, "rcpt");
	ck_assert_msg(t != NULL, "no %03d.rcpt", k);
	json_t *j = json_loads(t, 0, NULL);
	ck_assert_ptr_nonnull(j);
	free(t);
	return j;
}

/* Lines of DIR/events containing needle. */
static int count_events(const struct smtpd *s, const char *needle)
{
	char *p = path_in(s, "events");
	char *t = ts_read_file(p);
	free(p);
	int n = 0;
	for (const char *q = t; q && (q = strstr(q, needle)); q++)
		n++;
	free(t);
	return n;
}

/* Python's email package on the k-th message (smtpd.py --decode). */
static json_t *decoded(const struct smtpd *s, int k)
{
	char name[32];
	snprintf(name, sizeof name, "%03d.eml", k);
	char *file = path_in(s, name);
	const char *argv[] = {python(), SCRIPT, "--decode", file, NULL};
	char *out = NULL, *err = NULL;
	int st = ts_run(argv, NULL, &out, &err);
	ck_assert_msg(st == 0, "decode %s: %s", file, err);
	json_error_t je;
	json_t *j = json_loads(out, 0, &je);
	ck_assert_msg(j != NULL, "decoder output: %s", out);
	ck_assert_msg(json_array_size(json_object_get(j, "defects")) == 0, "defects: %s", out);
	free(out);
	free(err);
	free(file);
	return j;
}

static const char *jstr(json_t *j, const char *key)
{
	const char *v = json_string_value(json_object_get(j, key));
	return v ? v : "(null)";
}

/* Messages ------------------------------------------------------------------ */

struct built {
	char *data;
	size_t len;
};

static struct built make_msg(const char *to, const char *to_name, const char *subject,
			     const char *text, const char *id)
{
	struct mail_msg m;
	memset(&m, 0, sizeof m);
	m.from_addr = "sokuho@city.example.jp";
	m.from_name = "速報システム";
	m.to_addr = to;
	m.to_name = to_name;
	m.subject = subject;
	m.text = text;
	m.message_id = id;
	m.date = time(NULL);
	struct built b;
	char err[200];
	b.data = mime_build(&m, &b.len, err, sizeof err);
	ck_assert_msg(b.data != NULL, "%s", err);
	return b;
}

static struct smtp_config config(const struct smtpd *s)
{
	struct smtp_config c;
	memset(&c, 0, sizeof c);
	c.host = "127.0.0.1";
	c.port = s ? s->port : ts_free_port();
	c.tls = SMTP_TLS_OFF;
	c.envelope_from = "bounces@city.example.jp";
	c.timeout_s = 10;
	return c;
}

static void item(struct smtp_item *it, const char *rcpt, struct built *b)
{
	memset(it, 0, sizeof *it);
	it->rcpt = rcpt;
	it->data = b->data;
	it->len = b->len;
	it->outcome = SMTP_DEAD; /* must be overwritten */
	it->code = 999;
	strcpy(it->reply, "stale");
}

/* A simple message to rcpt; caller frees .data. */
static struct built simple(const char *rcpt, int k)
{
	char id[64], subject[64];
	snprintf(id, sizeof id, "<%d.test@city.example.jp>", k);
	snprintf(subject, sizeof subject, "テスト %d", k);
	return make_msg(rcpt, "", subject, "本文\n", id);
}

/* Tests -------------------------------------------------------------------- */

START_TEST(test_japanese_batch_one_connection)
{
	struct smtpd s = smtpd_start(NULL);
	const char *rcpts[3] = {"yamada@example.org", "suzuki@example.org", "sato@example.org"};
	const char *names[3] = {"山田 太郎", "鈴木 花子", "佐藤 次郎（委託先）"};
	const char *subjects[3] = {
		"【速報】INC-2026-0042 個人情報を含むUSBメモリの紛失（市民課）",
		"【期限超過】INC-2026-0043 個人情報保護委員会への速報期限（3日）を過ぎています。"
		"至急、対応状況を確認し、報告を提出してください",
		"🚨 緊急：マイナンバー利用事務系での不正アクセスの疑い — INC-2026-0044"};
	const char *texts[3] = {
		"山田 太郎 様\n\n市民課で USB メモリの紛失が報告されました。\n"
		"https://sokuho.city.example.jp/incidents/INC-2026-0042\n",
		"鈴木 花子 様\n\n.\n..\n行頭のドットも正しく届くこと。\n",
		"佐藤 次郎 様\n\n緊急時対応計画に従って初動対応をお願いします。"};
	struct built b[3];
	struct smtp_item items[3];
	for (int i = 0; i < 3; i++) {
		char id[64];
		snprintf(id, sizeof id, "<%d.a1b2c3d4e5f6@city.example.jp>", 42 + i);
		b[i] = make_msg(rcpts[i], names[i], subjects[i], texts[i], id);
		item(&items[i], rcpts[i], &b[i]);
	}
	struct smtp_config c = config(&s);
	ck_assert_int_eq(smtp_send_batch(&c, items, 3), 0);
	for (int i = 0; i < 3; i++) {
		ck_assert_msg(items[i].outcome == SMTP_SENT, "item %d: %d %s", i, items[i].outcome,
			      items[i].reply);
		ck_assert_int_eq(items[i].code, 250);
		ck_assert_ptr_nonnull(strstr(items[i].reply, "accepted"));
	}
	ck_assert_int_eq(count_received(&s), 3);
	json_int_t session = -1;
	for (int k = 1; k <= 3; k++) {
		json_t *r = rcpt_json(&s, k);
		ck_assert_str_eq(jstr(r, "mail_from"), "bounces@city.example.jp");
		ck_assert_uint_eq(json_array_size(json_object_get(r, "rcpt_tos")), 1);
		ck_assert_str_eq(json_string_value(json_array_get(json_object_get(r, "rcpt_tos"), 0)),
				 rcpts[k - 1]);
		json_int_t sid = json_integer_value(json_object_get(r, "session"));
		if (session < 0)
			session = sid;
		ck_assert_msg(sid == session, "message %d came over another connection", k);
		json_decref(r);

		json_t *d = decoded(&s, k);
		ck_assert_str_eq(jstr(d, "subject"), subjects[k - 1]);
		ck_assert_str_eq(jstr(d, "text"), texts[k - 1]);
		ck_assert_str_eq(jstr(d, "to_name"), names[k - 1]);
		ck_assert_str_eq(jstr(d, "to_addr"), rcpts[k - 1]);
		ck_assert_str_eq(jstr(d, "from_name"), "速報システム");
		ck_assert_str_eq(jstr(d, "from_addr"), "sokuho@city.example.jp");
		char id[64];
		snprintf(id, sizeof id, "<%d.a1b2c3d4e5f6@city.example.jp>", 41 + k);
		ck_assert_str_eq(jstr(d, "message_id"), id);
		/* libESMTP added nothing and doubled nothing. */
		json_t *h = json_object_get(d, "headers");
		const char *once[] = {"Date", "From", "To", "Subject", "Message-ID", "MIME-Version"};
		for (size_t o = 0; o < sizeof once / sizeof *once; o++) {
			int seen = 0;
			for (size_t x = 0; x < json_array_size(h); x++)
				seen += strcasecmp(json_string_value(json_array_get(h, x)), once[o]) == 0;
			ck_assert_msg(seen == 1, "%s appears %d times", once[o], seen);
		}
		ck_assert_uint_eq(json_array_size(h), 9);
		json_decref(d);
		/* The bytes are exactly the ones built. */
		char *eml = received(&s, k, "eml");
		ck_assert_str_eq(eml, b[k - 1].data);
		free(eml);
	}
	for (int i = 0; i < 3; i++)
		free(b[i].data);
	smtpd_stop(&s);
}
END_TEST

START_TEST(test_rcpt_4xx_and_5xx)
{
	struct smtpd s = smtpd_start(NULL);
	const char *rcpts[4] = {"ok1@example.org", "temp-user@example.org", "bad-user@example.org",
				"ok2@example.org"};
	struct built b[4];
	struct smtp_item items[4];
	for (int i = 0; i < 4; i++) {
		b[i] = simple(rcpts[i], i);
		item(&items[i], rcpts[i], &b[i]);
	}
	struct smtp_config c = config(&s);
	ck_assert_int_eq(smtp_send_batch(&c, items, 4), 0);
	ck_assert_int_eq(items[0].outcome, SMTP_SENT);
	ck_assert_int_eq(items[1].outcome, SMTP_RETRY);
	ck_assert_int_eq(items[1].code, 451);
	ck_assert_msg(strstr(items[1].reply, "451 4.7.1 Temporary failure for <temp-user@example.org>"),
		      "%s", items[1].reply);
	ck_assert_int_eq(items[2].outcome, SMTP_DEAD);
	ck_assert_int_eq(items[2].code, 550);
	ck_assert_msg(strstr(items[2].reply, "550 5.1.1 No such user"), "%s", items[2].reply);
	ck_assert_int_eq(items[3].outcome, SMTP_SENT);
	ck_assert_int_eq(items[3].code, 250);
	ck_assert_int_eq(count_received(&s), 2);
	json_t *r = rcpt_json(&s, 2);
	ck_assert_str_eq(json_string_value(json_array_get(json_object_get(r, "rcpt_tos"), 0)),
			 "ok2@example.org");
	json_decref(r);
	for (int i = 0; i < 4; i++)
		free(b[i].data);
	smtpd_stop(&s);
}
END_TEST

START_TEST(test_data_4xx_and_5xx)
{
	struct smtpd s = smtpd_start(NULL);
	const char *rcpts[3] = {"datatemp@example.org", "databad@example.org", "ok@example.org"};
	struct built b[3];
	struct smtp_item items[3];
	for (int i = 0; i < 3; i++) {
		b[i] = simple(rcpts[i], i);
		item(&items[i], rcpts[i], &b[i]);
	}
	struct smtp_config c = config(&s);
	ck_assert_int_eq(smtp_send_batch(&c, items, 3), 0);
	ck_assert_int_eq(items[0].outcome, SMTP_RETRY);
	ck_assert_int_eq(items[0].code, 451);
	ck_assert_msg(strstr(items[0].reply, "Queue full"), "%s", items[0].reply);
	ck_assert_int_eq(items[1].outcome, SMTP_DEAD);
	ck_assert_int_eq(items[1].code, 554);
	ck_assert_msg(strstr(items[1].reply, "554 5.6.0 Message refused"), "%s", items[1].reply);
	ck_assert_int_eq(items[2].outcome, SMTP_SENT);
	ck_assert_int_eq(count_received(&s), 1);

	/* No envelope sender: the null reverse path <>. */
	c.envelope_from = NULL;
	item(&items[2], rcpts[2], &b[2]);
	ck_assert_int_eq(smtp_send_batch(&c, &items[2], 1), 0);
	ck_assert_int_eq(items[2].outcome, SMTP_SENT);
	json_t *r = rcpt_json(&s, 2);
	const char *from = jstr(r, "mail_from");
	ck_assert_msg(strcmp(from, "") == 0 || strcmp(from, "<>") == 0, "MAIL FROM %s", from);
	json_decref(r);
	for (int i = 0; i < 3; i++)
		free(b[i].data);
	smtpd_stop(&s);
}
END_TEST

START_TEST(test_no_server)
{
	struct built b[2] = {simple("a@example.org", 1), simple("b@example.org", 2)};
	struct smtp_item items[2];
	item(&items[0], "a@example.org", &b[0]);
	item(&items[1], "b@example.org", &b[1]);
	struct smtp_config c = config(NULL); /* a port nobody listens on */
	ck_assert_int_eq(smtp_send_batch(&c, items, 2), -1);
	for (int i = 0; i < 2; i++) {
		ck_assert_int_eq(items[i].outcome, SMTP_RETRY);
		ck_assert_int_eq(items[i].code, 0);
		ck_assert_msg(strstr(items[i].reply, "Connection refused"), "%s", items[i].reply);
	}
	/* No host configured, an invalid one, a bad envelope sender. */
	c.host = "";
	ck_assert_int_eq(smtp_send_batch(&c, items, 2), -1);
	ck_assert_ptr_nonnull(strstr(items[0].reply, "not configured"));
	c.host = "::1";
	ck_assert_int_eq(smtp_send_batch(&c, items, 2), -1);
	ck_assert_ptr_nonnull(strstr(items[1].reply, "invalid"));
	c.host = "127.0.0.1";
	c.envelope_from = "x\r\nRCPT TO:<evil@example.org>";
	ck_assert_int_eq(smtp_send_batch(&c, items, 2), -1);
	ck_assert_int_eq(items[0].outcome, SMTP_RETRY);
	ck_assert_ptr_nonnull(strstr(items[0].reply, "envelope sender"));
	free(b[0].data);
	free(b[1].data);
}
END_TEST

START_TEST(test_header_injection_on_the_wire)
{
	struct smtpd s = smtpd_start(NULL);
	struct built b = make_msg("victim@example.org", "被害者\r\nBcc: evil@example.org",
				  "速報 x\r\nBcc: evil@example.org", "本文\r\n.\r\nBcc: evil2@example.org\n",
				  "<1.inject@city.example.jp>");
	struct smtp_item it;
	item(&it, "victim@example.org", &b);
	struct smtp_config c = config(&s);
	ck_assert_int_eq(smtp_send_batch(&c, &it, 1), 0);
	ck_assert_int_eq(it.outcome, SMTP_SENT);
	ck_assert_int_eq(count_received(&s), 1);
	ck_assert_int_eq(count_events(&s, "\"rcpt\""), 1);
	ck_assert_int_eq(count_events(&s, "evil"), 0);
	json_t *r = rcpt_json(&s, 1);
	ck_assert_uint_eq(json_array_size(json_object_get(r, "rcpt_tos")), 1);
	ck_assert_str_eq(json_string_value(json_array_get(json_object_get(r, "rcpt_tos"), 0)),
			 "victim@example.org");
	json_decref(r);
	char *eml = received(&s, 1, "eml");
	for (const char *p = eml; p; p = strstr(p, "\r\n")) {
		if (p != eml)
			p += 2;
		ck_assert_msg(strncasecmp(p, "Bcc:", 4) != 0, "a Bcc header arrived");
		if (strncmp(p, "\r\n", 2) == 0)
			break; /* end of the header section */
	}
	free(eml);
	json_t *d = decoded(&s, 1);
	ck_assert_str_eq(jstr(d, "subject"), "速報 x  Bcc: evil@example.org");
	ck_assert_str_eq(jstr(d, "to_name"), "被害者  Bcc: evil@example.org");
	ck_assert_str_eq(jstr(d, "text"), "本文\n.\nBcc: evil2@example.org\n");
	json_decref(d);

	/* A recipient with CRLF is never handed to the server. */
	struct smtp_item bad;
	item(&bad, "victim@example.org>\r\nRCPT TO:<evil@example.org", &b);
	ck_assert_int_eq(smtp_send_batch(&c, &bad, 1), 0);
	ck_assert_int_eq(bad.outcome, SMTP_DEAD);
	ck_assert_int_eq(bad.code, 0);
	ck_assert_int_eq(count_events(&s, "evil"), 0);
	free(b.data);
	smtpd_stop(&s);
}
END_TEST

START_TEST(test_dropped_connection)
{
	struct smtpd s = smtpd_start(NULL);
	const char *rcpts[3] = {"ok@example.org", "drop@example.org", "after@example.org"};
	struct built b[3];
	struct smtp_item items[3];
	for (int i = 0; i < 3; i++) {
		b[i] = simple(rcpts[i], i);
		item(&items[i], rcpts[i], &b[i]);
	}
	struct smtp_config c = config(&s);
	/* The reset makes libESMTP's QUIT fail with EPIPE: SIGPIPE must be
	 * neither fatal (it would end this process) nor left pending, and the
	 * signal mask must be as before. */
	sigset_t before, after, pending;
	pthread_sigmask(SIG_SETMASK, NULL, &before);
	ck_assert_int_eq(smtp_send_batch(&c, items, 3), 0);
	pthread_sigmask(SIG_SETMASK, NULL, &after);
	ck_assert_int_eq(sigismember(&after, SIGPIPE), sigismember(&before, SIGPIPE));
	sigpending(&pending);
	ck_assert_int_eq(sigismember(&pending, SIGPIPE), 0);
	ck_assert_int_eq(items[0].outcome, SMTP_SENT);
	for (int i = 1; i < 3; i++) {
		ck_assert_int_eq(items[i].outcome, SMTP_RETRY);
		ck_assert_int_eq(items[i].code, 0);
		ck_assert_msg(strstr(items[i].reply, "connection lost"), "%s", items[i].reply);
	}
	ck_assert_int_eq(count_received(&s), 1);
	for (int i = 0; i < 3; i++)
		free(b[i].data);
	smtpd_stop(&s);
}
END_TEST

START_TEST(test_timeout)
{
	struct smtpd s = smtpd_start(NULL);
	struct built b = simple("slow@example.org", 1);
	struct smtp_item it;
	item(&it, "slow@example.org", &b);
	struct smtp_config c = config(&s);
	c.timeout_s = 1;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ck_assert_int_eq(smtp_send_batch(&c, &it, 1), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	ck_assert_int_eq(it.outcome, SMTP_RETRY);
	ck_assert_int_eq(it.code, 0);
	ck_assert_msg(strstr(it.reply, "no reply within 1 s"), "%s", it.reply);
	ck_assert_msg(secs < 2.9, "took %.1f s", secs);
	free(b.data);
	smtpd_stop(&s);
}
END_TEST

START_TEST(test_auth)
{
	const char *extra[] = {"--auth", "mailer:s3cret パス", NULL};
	struct smtpd s = smtpd_start(extra);
	struct built b = simple("ok@example.org", 1);
	struct smtp_item it;
	struct smtp_config c = config(&s);

	/* Right password (plain text allowed: TLS explicitly off). */
	c.user = "mailer";
	c.password = "s3cret パス";
	item(&it, "ok@example.org", &b);
	ck_assert_int_eq(smtp_send_batch(&c, &it, 1), 0);
	ck_assert_msg(it.outcome == SMTP_SENT, "%s", it.reply);
	json_t *r = rcpt_json(&s, 1);
	ck_assert(json_is_true(json_object_get(r, "auth")));
	json_decref(r);

	/* Wrong password: the server's 530 to MAIL is not the message's
	 * fault, so RETRY, saying why. */
	c.password = "wrong";
	item(&it, "ok@example.org", &b);
	ck_assert_int_eq(smtp_send_batch(&c, &it, 1), 0);
	ck_assert_int_eq(it.outcome, SMTP_RETRY);
	ck_assert_msg(strstr(it.reply, "AUTH failed: 535"), "%s", it.reply);

	/* Without a user the same 530 is still a RETRY (MAIL FROM). */
	c.user = NULL;
	item(&it, "ok@example.org", &b);
	ck_assert_int_eq(smtp_send_batch(&c, &it, 1), 0);
	ck_assert_int_eq(it.outcome, SMTP_RETRY);
	ck_assert_int_eq(it.code, 530);
	ck_assert_msg(strstr(it.reply, "(MAIL FROM)"), "%s", it.reply);

	/* STARTTLS "when offered", not offered: the password is not sent. */
	int attempts = count_events(&s, "\"auth\"");
	c.user = "mailer";
	c.password = "s3cret パス";
	c.tls = SMTP_TLS_WHEN_OFFERED;
	item(&it, "ok@example.org", &b);
	ck_assert_int_eq(smtp_send_batch(&c, &it, 1), 0);
	ck_assert_int_eq(it.outcome, SMTP_RETRY);
	ck_assert_msg(strstr(it.reply, "clear text"), "%s", it.reply);
	ck_assert_int_eq(count_events(&s, "\"auth\""), attempts);
	ck_assert_int_eq(count_received(&s), 1);

	/* Longer than libESMTP's PLAIN plugin can take. */
	char longpw[300];
	memset(longpw, 'p', 299);
	longpw[299] = '\0';
	c.password = longpw;
	item(&it, "ok@example.org", &b);
	ck_assert_int_eq(smtp_send_batch(&c, &it, 1), -1);
	ck_assert_ptr_nonnull(strstr(it.reply, "255"));
	free(b.data);
	smtpd_stop(&s);
}
END_TEST

/* A self-signed certificate for localhost in dir; returns its path. */
static char *make_cert(const char *dir)
{
	char *cert = xasprintf("%s/cert.pem", dir), *key = xasprintf("%s/key.pem", dir);
	const char *argv[] = {"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
			      "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", cert,
			      "-days", "2", "-subj", "/CN=localhost", "-addext",
			      "subjectAltName=DNS:localhost", NULL};
	char *err = NULL;
	int st = ts_run(argv, NULL, NULL, &err);
	ck_assert_msg(st == 0, "openssl: %s", err);
	free(err);
	free(key);
	return cert;
}

static struct smtpd tls_server(char **certdir)
{
	*certdir = ts_tmpdir();
	char *cert = make_cert(*certdir);
	char *key = xasprintf("%s/key.pem", *certdir);
	const char *extra[] = {"--tls", cert, key, NULL};
	struct smtpd s = smtpd_start(extra);
	free(key);
	free(cert);
	return s;
}

static void rm_rf(char *dir)
{
	const char *argv[] = {"rm", "-rf", dir, NULL};
	ts_run(argv, NULL, NULL, NULL);
	free(dir);
}

START_TEST(test_starttls)
{
	char *certdir;
	struct smtpd s = tls_server(&certdir);
	char *cert = xasprintf("%s/cert.pem", certdir);
	setenv("SSL_CERT_FILE", cert, 1); /* trust it (read once per process) */
	struct smtp_config c = config(&s);
	c.host = "localhost";
	c.tls = SMTP_TLS_REQUIRED;
	/* Several sessions in one process: libESMTP's own TLS context would
	 * crash on the second (libESMTP issue #30). */
	for (int round = 1; round <= 3; round++) {
		struct built b[2] = {simple("a@example.org", round), simple("b@example.org", round)};
		struct smtp_item items[2];
		item(&items[0], "a@example.org", &b[0]);
		item(&items[1], "b@example.org", &b[1]);
		ck_assert_int_eq(smtp_send_batch(&c, items, 2), 0);
		for (int i = 0; i < 2; i++)
			ck_assert_msg(items[i].outcome == SMTP_SENT, "round %d item %d: %s", round, i,
				      items[i].reply);
		free(b[0].data);
		free(b[1].data);
	}
	ck_assert_int_eq(count_received(&s), 6);
	json_t *r = rcpt_json(&s, 6);
	ck_assert(json_is_true(json_object_get(r, "tls")));
	json_decref(r);

	/* "When offered" uses it too. */
	c.tls = SMTP_TLS_WHEN_OFFERED;
	struct built b = simple("c@example.org", 9);
	struct smtp_item it;
	item(&it, "c@example.org", &b);
	ck_assert_int_eq(smtp_send_batch(&c, &it, 1), 0);
	ck_assert_msg(it.outcome == SMTP_SENT, "%s", it.reply);
	r = rcpt_json(&s, 7);
	ck_assert(json_is_true(json_object_get(r, "tls")));
	json_decref(r);

	/* The certificate is for localhost, not for 127.0.0.1: refused, and
	 * not by falling back to plain text either. */
	c.host = "127.0.0.1";
	for (int mode = 0; mode < 2; mode++) {
		c.tls = mode ? SMTP_TLS_WHEN_OFFERED : SMTP_TLS_REQUIRED;
		item(&it, "c@example.org", &b);
		ck_assert_int_eq(smtp_send_batch(&c, &it, 1), -1);
		ck_assert_int_eq(it.outcome, SMTP_RETRY);
		ck_assert_msg(strstr(it.reply, "for another name"), "%s", it.reply);
	}
	ck_assert_int_eq(count_received(&s), 7);
	free(b.data);
	free(cert);
	smtpd_stop(&s);
	rm_rf(certdir);
}
END_TEST

/* Several threads, each with its own batch over STARTTLS, at once. */
struct worker {
	struct smtp_config cfg;
	struct built b[3];
	struct smtp_item items[3];
	int rc;
};

static void *worker_run(void *arg)
{
	struct worker *w = arg;
	w->rc = smtp_send_batch(&w->cfg, w->items, 3);
	return NULL;
}

START_TEST(test_concurrent_sessions)
{
	char *certdir;
	struct smtpd s = tls_server(&certdir);
	char *cert = xasprintf("%s/cert.pem", certdir);
	setenv("SSL_CERT_FILE", cert, 1);
	enum { N = 6 };
	struct worker w[N];
	pthread_t th[N];
	for (int t = 0; t < N; t++) {
		w[t].cfg = config(&s);
		w[t].cfg.host = "localhost";
		w[t].cfg.tls = SMTP_TLS_REQUIRED;
		const char *rcpts[3] = {"ok@example.org", "temp@example.org", "ok2@example.org"};
		for (int i = 0; i < 3; i++) {
			w[t].b[i] = simple(rcpts[i], t * 10 + i);
			item(&w[t].items[i], rcpts[i], &w[t].b[i]);
		}
		ck_assert_int_eq(pthread_create(&th[t], NULL, worker_run, &w[t]), 0);
	}
	for (int t = 0; t < N; t++) {
		pthread_join(th[t], NULL);
		ck_assert_int_eq(w[t].rc, 0);
		ck_assert_msg(w[t].items[0].outcome == SMTP_SENT, "%s", w[t].items[0].reply);
		ck_assert_int_eq(w[t].items[1].outcome, SMTP_RETRY);
		ck_assert_int_eq(w[t].items[1].code, 451);
		ck_assert_msg(w[t].items[2].outcome == SMTP_SENT, "%s", w[t].items[2].reply);
		for (int i = 0; i < 3; i++)
			free(w[t].b[i].data);
	}
	ck_assert_int_eq(count_received(&s), 2 * N);
	free(cert);
	smtpd_stop(&s);
	rm_rf(certdir);
}
END_TEST

START_TEST(test_starttls_untrusted)
{
	char *certdir;
	struct smtpd s = tls_server(&certdir);
	unsetenv("SSL_CERT_FILE");
	unsetenv("SSL_CERT_DIR");
	struct smtp_config c = config(&s);
	c.host = "localhost";
	c.tls = SMTP_TLS_WHEN_OFFERED;
	struct built b = simple("a@example.org", 1);
	struct smtp_item it;
	item(&it, "a@example.org", &b);
	ck_assert_int_eq(smtp_send_batch(&c, &it, 1), -1);
	ck_assert_int_eq(it.outcome, SMTP_RETRY);
	ck_assert_msg(strstr(it.reply, "does not verify"), "%s", it.reply);
	ck_assert_int_eq(count_received(&s), 0);
	free(b.data);
	smtpd_stop(&s);
	rm_rf(certdir);
}
END_TEST

START_TEST(test_starttls_required_not_offered)
{
	struct smtpd s = smtpd_start(NULL);
	struct smtp_config c = config(&s);
	c.tls = SMTP_TLS_REQUIRED;
	struct built b = simple("a@example.org", 1);
	struct smtp_item it;
	item(&it, "a@example.org", &b);
	ck_assert_int_eq(smtp_send_batch(&c, &it, 1), -1);
	ck_assert_int_eq(it.outcome, SMTP_RETRY);
	ck_assert_msg(strstr(it.reply, "STARTTLS is required"), "%s", it.reply);
	ck_assert_int_eq(count_received(&s), 0);
	ck_assert_int_eq(count_events(&s, "\"rcpt\""), 0);
	free(b.data);
	smtpd_stop(&s);
}
END_TEST

START_TEST(test_unsendable_items)
{
	struct smtpd s = smtpd_start(NULL);
	struct built b = simple("ok@example.org", 1);
	struct smtp_item items[3];
	item(&items[0], "not an address", &b);
	item(&items[1], "ok@example.org", &b);
	item(&items[2], "ok@example.org", &b);
	items[2].data = NULL;
	struct smtp_config c = config(&s);
	ck_assert_int_eq(smtp_send_batch(&c, items, 3), 0);
	ck_assert_int_eq(items[0].outcome, SMTP_DEAD);
	ck_assert_int_eq(items[0].code, 0);
	ck_assert_ptr_nonnull(strstr(items[0].reply, "invalid recipient"));
	ck_assert_int_eq(items[1].outcome, SMTP_SENT);
	ck_assert_int_eq(items[2].outcome, SMTP_DEAD);
	ck_assert_int_eq(items[2].code, 0);
	/* With no server, the unsendable stay dead and the rest retry. */
	smtpd_stop(&s);
	ck_assert_int_eq(smtp_send_batch(&c, items, 3), -1);
	ck_assert_int_eq(items[0].outcome, SMTP_DEAD);
	ck_assert_int_eq(items[0].code, 0);
	ck_assert_int_eq(items[1].outcome, SMTP_RETRY);
	ck_assert_int_eq(items[2].outcome, SMTP_DEAD);
	ck_assert_int_eq(smtp_send_batch(&c, items, 0), 0);
	free(b.data);
}
END_TEST

Suite *smtp_suite(void)
{
	Suite *s = suite_create("smtp");
	TCase *tc = tcase_create("smtp");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_japanese_batch_one_connection);
	tcase_add_test(tc, test_rcpt_4xx_and_5xx);
	tcase_add_test(tc, test_data_4xx_and_5xx);
	tcase_add_test(tc, test_no_server);
	tcase_add_test(tc, test_header_injection_on_the_wire);
	tcase_add_test(tc, test_dropped_connection);
	tcase_add_test(tc, test_timeout);
	tcase_add_test(tc, test_auth);
	tcase_add_test(tc, test_starttls);
	tcase_add_test(tc, test_concurrent_sessions);
	tcase_add_test(tc, test_starttls_untrusted);
	tcase_add_test(tc, test_starttls_required_not_offered);
	tcase_add_test(tc, test_unsendable_items);
	suite_add_tcase(s, tc);
	return s;
}
