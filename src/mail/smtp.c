/* Sending with libESMTP (see smtp.h).
 *
 * How libESMTP (1.1.0, Debian 12) is driven here, and why:
 *   - One smtp_message with one recipient per item, all in one session:
 *     libESMTP sends them over one connection, with RSET after a failed
 *     transaction.
 *   - The data is a complete message, read through smtp_set_messagecb (a
 *     call with len == NULL means "rewind"). libESMTP only adds Date, From
 *     and Message-Id when the message lacks them (compared without case) and
 *     To never unless asked; mime_build writes all of them, so nothing is
 *     added or doubled. It drops Return-Path and repeated Date/From/To/... .
 *   - STARTTLS uses an SSL_CTX of ours, given with smtp_starttls_set_ctx.
 *     Left to itself libESMTP keeps one static SSL_CTX and frees it when the
 *     first session that used it is destroyed, so the second STARTTLS
 *     session of a process crashes or hangs (libESMTP issue #30; reproduced
 *     here). libESMTP itself still checks the verify result, cipher strength
 *     and the host name, and asks us through events; we always say no.
 *   - TLS is capped at 1.2: with TLS 1.3 the server's session tickets can
 *     reach the client before it has flushed EHLO, and libESMTP's protocol
 *     loop then reads before writing and waits for the timeout (reproduced
 *     under valgrind, where timing makes it reliable).
 *   - OpenSSL is linked directly (pkg-config openssl), the same library
 *     libESMTP uses.
 *   - Timeouts are set with Timeout_OVERRIDE_RFC2822_MINIMUM, in
 *     milliseconds (libESMTP's documentation says seconds; the code uses
 *     milliseconds and enforces RFC 5321's minutes otherwise).
 *   - libESMTP gives no status for AUTH and goes on to MAIL when AUTH
 *     fails; the protocol monitor callback watches the AUTH replies so that
 *     a failed login makes the items RETRY rather than DEAD.
 *   - libESMTP writes with write(): a server that hangs up raises SIGPIPE,
 *     which is blocked in this thread during the session and then
 *     discarded.
 *   - smtp_errno() is per thread but never cleared; it is set to a known
 *     value (SMTP_ERR_INVAL) before the session so that stale errors are not
 *     reported.
 *   - libESMTP writes a message in 2,048-byte pieces and gives no access to
 *     its socket. With Nagle's algorithm the last small piece waits for the
 *     server's ACK of the one before, which the server delays (40 ms on
 *     Linux) while it waits for the rest: 40 ms per message, 25 messages a
 *     second on one connection (make bench, docs/benchmarks.md). On
 *     SMTP_EV_CONNECT the new socket to the server's port is found among the
 *     process's open descriptors and given TCP_NODELAY. */
#include "smtp.h"

/* <openssl/ssl.h> first: libesmtp.h declares smtp_starttls_set_ctx only
 * after it. */
#include <openssl/ssl.h>

#include <auth-client.h>
#include <libesmtp.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <sodium.h>

#include "core/xalloc.h"
#include "mime.h"

#define DEFAULT_PORT 25
#define DEFAULT_TIMEOUT_S 60
#define SASL_FIELD_MAX 255 /* libESMTP's PLAIN plugin copies into 255-byte fields */

/* snprintf for messages that may be cut short (a vsnprintf, so that the
 * compiler does not warn about the truncation that is intended). */
static void put(char *out, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void put(char *out, size_t n, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(out, n, fmt, ap);
	va_end(ap);
}

/* OpenSSL ---------------------------------------------------------------- */

static pthread_once_t tls_once = PTHREAD_ONCE_INIT;
static SSL_CTX *tls_ctx; /* one for the process, never freed */
static char tls_init_error[160];

static void tls_init(void)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	if (!ctx) {
		put(tls_init_error, sizeof tls_init_error, "TLS unavailable: SSL_CTX_new failed");
		return;
	}
	/* TLS 1.2 at most: under 1.3 libESMTP reads before it sends EHLO. */
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION);
	/* The system's trust store; SSL_CERT_FILE and SSL_CERT_DIR override.
	 * Verification failures are reported after the handshake by libESMTP
	 * (SMTP_EV_INVALID_PEER_CERTIFICATE), which then quits. */
	SSL_CTX_set_default_verify_paths(ctx);
	tls_ctx = ctx;
}

/* libESMTP globals ------------------------------------------------------ */

static pthread_once_t auth_once = PTHREAD_ONCE_INIT;

static void auth_init(void)
{
	/* Loads nothing with dlopen available (plugins are loaded on first
	 * use and kept); auth_client_exit is never called, as other threads
	 * may be using the plugins. */
	auth_client_init();
}

/* One session's state ---------------------------------------------------- */

struct source {
	const char *data;
	int len;
	int done;
};

struct session_state {
	const struct smtp_config *cfg;
	char hostport[300];
	int connected;
	int tls_active;
	char tls_problem[200];
	int auth_wanted;
	int auth_pending; /* an AUTH command (or its continuation) awaits a reply */
	int auth_tried, auth_ok, auth_failed;
	int auth_refused_cleartext;
	char auth_reply[160];
	int in_transactions;  /* MAIL FROM has been sent */
	char last_reply[200]; /* the last line the server sent before MAIL FROM */
	char *user, *password; /* copies handed to the SASL plugin */
};

/* Copies text into out (size n) with every control character and run of
 * spaces turned into one space, trimmed. */
static void clean_text(char *out, size_t n, const char *in, size_t inlen)
{
	size_t o = 0;
	int space = 0;
	for (size_t i = 0; i < inlen && in[i]; i++) {
		unsigned char c = (unsigned char)in[i];
		if (c < 0x20 || c == 0x7F || c == ' ') {
			space = o > 0;
			continue;
		}
		if (space && o + 1 < n)
			out[o++] = ' ';
		space = 0;
		if (o + 1 < n)
			out[o++] = (char)c;
	}
	if (n)
		out[o < n ? o : n - 1] = '\0';
}

static const char *msg_cb(void **ctx, int *len, void *arg)
{
	struct source *s = arg;
	(void)ctx; /* libESMTP would free() whatever we stored there */
	if (len == NULL) { /* rewind */
		s->done = 0;
		return NULL;
	}
	if (s->done) {
		*len = 0;
		return NULL;
	}
	s->done = 1;
	*len = s->len;
	return s->data;
}

/* Sets TCP_NODELAY on every TCP socket of this process connected to the
 * port of hostport ("host:port"), which includes the one libESMTP has just
 * connected (see the top of this file). Other matches are harmless: the
 * option only changes when small writes leave. */
static void nodelay_to(const char *hostport)
{
	const char *colon = strrchr(hostport, ':');
	int port = colon ? atoi(colon + 1) : DEFAULT_PORT;
	DIR *d = opendir("/proc/self/fd");
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		int fd = atoi(e->d_name), type = 0, one = 1;
		socklen_t tl = sizeof type;
		if (fd == dirfd(d) || getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tl) != 0 ||
		    type != SOCK_STREAM)
			continue;
		struct sockaddr_storage ss;
		socklen_t sl = sizeof ss;
		if (getpeername(fd, (struct sockaddr *)&ss, &sl) != 0)
			continue;
		int peer = ss.ss_family == AF_INET	  ? ntohs(((struct sockaddr_in *)&ss)->sin_port)
			   : ss.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&ss)->sin6_port)
						     : -1;
		if (peer == port)
			setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	}
	closedir(d);
}

static void event_cb(smtp_session_t session, int event, void *arg, ...)
{
	struct session_state *st = arg;
	va_list ap;
	va_start(ap, arg);
	switch (event) {
	case SMTP_EV_CONNECT:
		st->connected = 1;
		nodelay_to(st->hostport);
		break;
	case SMTP_EV_STARTTLS_OK:
		st->tls_active = 1;
		break;
	case SMTP_EV_EXTNA_STARTTLS:
		put(st->tls_problem, sizeof st->tls_problem,
			 "STARTTLS is required but %s does not offer it", st->hostport);
		break;
	case SMTP_EV_INVALID_PEER_CERTIFICATE: {
		long result = va_arg(ap, long);
		int *ok = va_arg(ap, int *);
		*ok = 0;
		put(st->tls_problem, sizeof st->tls_problem,
			 "TLS: the certificate of %s does not verify: %s", st->hostport,
			 X509_verify_cert_error_string(result));
		break;
	}
	case SMTP_EV_NO_PEER_CERTIFICATE: {
		int *ok = va_arg(ap, int *);
		*ok = 0;
		put(st->tls_problem, sizeof st->tls_problem,
			 "TLS: %s presented no certificate", st->hostport);
		break;
	}
	case SMTP_EV_WRONG_PEER_CERTIFICATE: {
		int *ok = va_arg(ap, int *);
		const char *name = va_arg(ap, const char *);
		char clean[100];
		*ok = 0;
		clean_text(clean, sizeof clean, name ? name : "", SIZE_MAX);
		put(st->tls_problem, sizeof st->tls_problem,
			 "TLS: the certificate of %s is for another name (%s)", st->hostport,
			 clean[0] ? clean : "none");
		break;
	}
	case SMTP_EV_WEAK_CIPHER: {
		int bits = va_arg(ap, int);
		int *ok = va_arg(ap, int *);
		*ok = 0;
		put(st->tls_problem, sizeof st->tls_problem, "TLS: cipher too weak (%d bits)",
			 bits);
		break;
	}
	case SMTP_EV_NO_CLIENT_CERTIFICATE: {
		int *ok = va_arg(ap, int *);
		*ok = 0;
		put(st->tls_problem, sizeof st->tls_problem,
			 "TLS: client certificate without a usable key");
		break;
	}
	case SMTP_EV_UNUSABLE_CLIENT_CERTIFICATE:
	case SMTP_EV_UNUSABLE_CA_LIST:
		put(st->tls_problem, sizeof st->tls_problem,
			 "TLS: unusable client certificate or CA file under ~/.config/libesmtp");
		break;
	default:
		break;
	}
	va_end(ap);
	(void)session;
}

/* Sees the protocol as it passes (not the message data: libESMTP turns the
 * monitor off during DATA). Keeps the last line from the server and follows
 * AUTH, which libESMTP reports nowhere else. */
static void monitor_cb(const char *b, int n, int writing, void *arg)
{
	struct session_state *st = arg;
	if (n <= 0 || writing == SMTP_CB_HEADERS)
		return;
	if (writing) {
		for (int i = 0; i < n;) {
			if (n - i >= 5 && strncasecmp(b + i, "AUTH ", 5) == 0) {
				st->auth_pending = 1;
				st->auth_tried = 1;
			}
			if (n - i >= 10 && strncasecmp(b + i, "MAIL FROM:", 10) == 0)
				st->in_transactions = 1;
			const char *nl = memchr(b + i, '\n', (size_t)(n - i));
			i = nl ? (int)(nl - b) + 1 : n;
		}
		return;
	}
	/* Reading: one or more reply lines. */
	const char *last = NULL;
	size_t lastlen = 0;
	for (int i = 0; i < n;) {
		const char *nl = memchr(b + i, '\n', (size_t)(n - i));
		size_t l = nl ? (size_t)(nl - (b + i)) : (size_t)(n - i);
		if (l > 0 && !(l == 1 && b[i] == '\r')) {
			last = b + i;
			lastlen = l;
		}
		i += (int)l + 1;
	}
	if (!last)
		return;
	if (!st->in_transactions)
		clean_text(st->last_reply, sizeof st->last_reply, last, lastlen);
	if (st->auth_pending && lastlen >= 3 && isdigit((unsigned char)last[0])) {
		int code = atoi(last);
		if (code == 334)
			return; /* a challenge: the client answers, still pending */
		st->auth_pending = 0;
		if (code / 100 == 2) {
			st->auth_ok = 1;
		} else {
			st->auth_failed = 1;
			clean_text(st->auth_reply, sizeof st->auth_reply, last, lastlen);
		}
	}
}

static int interact_cb(auth_client_request_t req, char **result, int fields, void *arg)
{
	struct session_state *st = arg;
	/* Never a password in clear text over a plain connection, unless TLS
	 * is explicitly off (a trusted local relay). */
	if (!st->tls_active && st->cfg->tls != SMTP_TLS_OFF) {
		for (int i = 0; i < fields; i++)
			if (req[i].flags & AUTH_CLEARTEXT) {
				st->auth_refused_cleartext = 1;
				return 0;
			}
	}
	for (int i = 0; i < fields; i++) {
		if (req[i].flags & AUTH_USER)
			result[i] = st->user;
		else if (req[i].flags & AUTH_PASS)
			result[i] = st->password;
		else if (req[i].flags & AUTH_REALM)
			result[i] = st->user + strlen(st->user); /* "" */
		else
			return 0;
		if (req[i].size && strlen(result[i]) > req[i].size)
			return 0;
	}
	return 1;
}

/* Results --------------------------------------------------------------- */

static void set_item(struct smtp_item *it, enum smtp_outcome o, int code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void set_item(struct smtp_item *it, enum smtp_outcome o, int code, const char *fmt, ...)
{
	char tmp[sizeof it->reply];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	it->outcome = o;
	it->code = code;
	clean_text(it->reply, sizeof it->reply, tmp, SIZE_MAX);
}

/* "451 4.7.1 text" from a libESMTP status. */
static void status_text(char *out, size_t n, const smtp_status_t *s)
{
	char text[220];
	clean_text(text, sizeof text, s->text ? s->text : "", SIZE_MAX);
	if (s->enh_class > 0)
		put(out, n, "%d %d.%d.%d %s", s->code, s->enh_class, s->enh_subject,
			 s->enh_detail, text);
	else
		put(out, n, "%d %s", s->code, text);
}

static enum smtp_outcome outcome_of(int code)
{
	if (code / 100 == 2)
		return SMTP_SENT;
	if (code / 100 == 5)
		return SMTP_DEAD;
	return SMTP_RETRY; /* 4xx, and anything odd */
}

/* Why there was no reply: the most specific thing known. */
static void session_reason(char *out, size_t n, const struct session_state *st, int err,
			   int timeout_s)
{
	char eb[128];
	if (st->tls_problem[0]) {
		put(out, n, "%s", st->tls_problem);
	} else if (st->last_reply[0] == '4' || st->last_reply[0] == '5') {
		put(out, n, "%s: %s", st->hostport, st->last_reply);
	} else if (err == SMTP_ERR_DROPPED_CONNECTION) {
		put(out, n, "%s: connection lost or no reply within %d s", st->hostport,
			 timeout_s);
	} else if (err != 0 && err != SMTP_ERR_INVAL) {
		const char *e = smtp_strerror(err, eb, sizeof eb);
		put(out, n, "%s %s: %s", st->connected ? "session with" : "cannot connect to",
			 st->hostport, e ? e : "error");
	} else {
		put(out, n, "%s: the SMTP session ended early", st->hostport);
	}
}

/* Sending --------------------------------------------------------------- */

static int bad_host(const char *h)
{
	size_t n = strlen(h);
	if (n == 0 || n > 253)
		return 1;
	for (const char *p = h; *p; p++)
		if (!(isalnum((unsigned char)*p) || *p == '.' || *p == '-' || *p == '_'))
			return 1;
	return 0;
}

/* Fails every item that is not already dead with reason; returns -1. */
static int fail_all(struct smtp_item *items, size_t n, const char *reason)
{
	for (size_t i = 0; i < n; i++)
		if (items[i].outcome != SMTP_DEAD || items[i].code != -1)
			set_item(&items[i], SMTP_RETRY, 0, "%s", reason);
	return -1;
}

/* fail_all before any session, also ending the -1 marks. */
static int fail_early(struct smtp_item *items, size_t n, const char *reason)
{
	fail_all(items, n, reason);
	for (size_t i = 0; i < n; i++)
		if (items[i].code == -1)
			items[i].code = 0;
	return -1;
}

static int run_session(const struct smtp_config *cfg, struct smtp_item *items, size_t n,
		       struct session_state *st)
{
	int timeout_s = cfg->timeout_s > 0 ? cfg->timeout_s : DEFAULT_TIMEOUT_S;
	char reason[sizeof items[0].reply];

	if (cfg->tls != SMTP_TLS_OFF) {
		pthread_once(&tls_once, tls_init);
		if (!tls_ctx && cfg->tls == SMTP_TLS_REQUIRED)
			return fail_all(items, n, tls_init_error);
	}
	if (st->auth_wanted)
		pthread_once(&auth_once, auth_init);

	smtp_session_t session = smtp_create_session();
	auth_context_t auth = NULL;
	struct source *src = xcalloc(n, sizeof *src);
	smtp_message_t *msgs = xcalloc(n, sizeof *msgs);
	smtp_recipient_t *rcpts = xcalloc(n, sizeof *rcpts);
	size_t queued = 0;
	int rc = 0;

	if (!session || !smtp_set_server(session, st->hostport)) {
		rc = fail_all(items, n, "cannot create an SMTP session");
		goto out;
	}
	smtp_set_eventcb(session, event_cb, st);
	smtp_set_monitorcb(session, monitor_cb, st, 0);
	long ms = (long)timeout_s * 1000L;
	smtp_set_timeout(session, Timeout_GREETING | Timeout_OVERRIDE_RFC2822_MINIMUM, ms);
	smtp_set_timeout(session, Timeout_ENVELOPE | Timeout_OVERRIDE_RFC2822_MINIMUM, ms);
	smtp_set_timeout(session, Timeout_DATA | Timeout_OVERRIDE_RFC2822_MINIMUM, ms);
	smtp_set_timeout(session, Timeout_TRANSFER | Timeout_OVERRIDE_RFC2822_MINIMUM, ms);
	smtp_set_timeout(session, Timeout_DATA2 | Timeout_OVERRIDE_RFC2822_MINIMUM, ms);
	if (cfg->tls == SMTP_TLS_OFF || !tls_ctx) {
		smtp_starttls_enable(session, Starttls_DISABLED);
	} else {
		smtp_starttls_set_ctx(session, tls_ctx); /* takes its own reference */
		smtp_starttls_enable(session, cfg->tls == SMTP_TLS_REQUIRED ? Starttls_REQUIRED
									     : Starttls_ENABLED);
	}
	if (st->auth_wanted) {
		auth = auth_create_context();
		if (!auth) {
			rc = fail_all(items, n, "cannot create an AUTH context");
			goto out;
		}
		auth_set_mechanism_flags(auth, AUTH_PLUGIN_PLAIN, 0);
		auth_set_interact_cb(auth, interact_cb, st);
		smtp_auth_set_context(session, auth);
	}

	for (size_t i = 0; i < n; i++) {
		if (items[i].outcome == SMTP_DEAD && items[i].code == -1)
			continue; /* invalid recipient or data: never sent */
		smtp_message_t m = smtp_add_message(session);
		if (!m) {
			rc = fail_all(items, n, "cannot add a message to the SMTP session");
			goto out;
		}
		src[i].data = items[i].data;
		src[i].len = (int)items[i].len;
		smtp_set_reverse_path(m, cfg->envelope_from ? cfg->envelope_from : "");
		smtp_set_messagecb(m, msg_cb, &src[i]);
		msgs[i] = m;
		rcpts[i] = smtp_add_recipient(m, items[i].rcpt);
		if (!rcpts[i]) {
			rc = fail_all(items, n, "cannot add a recipient to the SMTP session");
			goto out;
		}
		queued++;
	}
	if (queued == 0)
		goto out;

	/* A known value, to tell this session's errors from older ones. */
	smtp_set_timeout(NULL, 0, 0);
	smtp_start_session(session);
	int err = smtp_errno();

	size_t with_mail_reply = 0;
	for (size_t i = 0; i < n; i++)
		if (msgs[i] && smtp_reverse_path_status(msgs[i])->code != 0)
			with_mail_reply++;
	session_reason(reason, sizeof reason, st, err, timeout_s);
	if (with_mail_reply == 0) {
		rc = fail_all(items, n, reason);
		goto out;
	}

	char auth_reason[200] = "";
	if (st->auth_wanted && !st->auth_ok) {
		if (st->auth_refused_cleartext)
			put(auth_reason, sizeof auth_reason,
				 "AUTH not attempted: the password would go in clear text without "
				 "TLS (set STARTTLS off to allow it)");
		else if (st->auth_failed)
			put(auth_reason, sizeof auth_reason, "AUTH failed: %s", st->auth_reply);
		else
			put(auth_reason, sizeof auth_reason,
				 "AUTH not done: %s offers no usable mechanism", st->hostport);
	}

	for (size_t i = 0; i < n; i++) {
		if (!msgs[i])
			continue;
		struct smtp_item *it = &items[i];
		const smtp_status_t *mail = smtp_reverse_path_status(msgs[i]);
		const smtp_status_t *rcpt = smtp_recipient_status(rcpts[i]);
		const smtp_status_t *data = smtp_message_transfer_status(msgs[i]);
		char s[230];
		if (mail->code == 0) {
			set_item(it, SMTP_RETRY, 0, "%s", reason);
		} else if (mail->code / 100 != 2) {
			/* About the sender or the session, not this message. */
			status_text(s, sizeof s, mail);
			set_item(it, SMTP_RETRY, mail->code, "%s (MAIL FROM)", s);
		} else if (rcpt->code == 0) {
			set_item(it, SMTP_RETRY, 0, "%s", reason);
		} else if (rcpt->code / 100 != 2) {
			status_text(s, sizeof s, rcpt);
			set_item(it, outcome_of(rcpt->code), rcpt->code, "%s", s);
		} else if (data->code == 0) {
			set_item(it, SMTP_RETRY, 0, "%s", reason);
		} else {
			status_text(s, sizeof s, data);
			/* A 3xx here is a 354 with no final reply: retry. */
			set_item(it, outcome_of(data->code), data->code, "%s", s);
		}
		if (auth_reason[0] && it->outcome != SMTP_SENT) {
			char was[sizeof it->reply];
			memcpy(was, it->reply, sizeof was);
			set_item(it, SMTP_RETRY, it->code, "%s; %s", auth_reason, was);
		}
	}

out:
	if (session)
		smtp_destroy_session(session); /* before the auth context it uses */
	if (auth)
		auth_destroy_context(auth);
	free(src);
	free(msgs);
	free(rcpts);
	return rc;
}

int smtp_send_batch(const struct smtp_config *cfg, struct smtp_item *items, size_t n)
{
	if (n == 0)
		return 0;
	/* Items that can never be sent are dead at once; code -1 marks them
	 * until the end (then 0). The rest start as "no reply". */
	for (size_t i = 0; i < n; i++) {
		struct smtp_item *it = &items[i];
		if (mime_check_address(it->rcpt) < 0)
			set_item(it, SMTP_DEAD, -1, "invalid recipient address");
		else if (!it->data || it->len == 0 || it->len > INT_MAX)
			set_item(it, SMTP_DEAD, -1, "empty or oversized message data");
		else
			set_item(it, SMTP_RETRY, 0, "not sent");
	}

	char reason[sizeof items[0].reply];
	if (!cfg || !cfg->host || bad_host(cfg->host)) {
		put(reason, sizeof reason, "SMTP host %s (want a DNS name or IPv4 address)",
			 cfg && cfg->host && cfg->host[0] ? "is invalid" : "is not configured");
		return fail_early(items, n, reason);
	}
	if (cfg->envelope_from && cfg->envelope_from[0] &&
	    mime_check_address(cfg->envelope_from) < 0)
		return fail_early(items, n, "invalid envelope sender address");
	int auth_wanted = cfg->user && cfg->user[0];
	if (auth_wanted && (strlen(cfg->user) > SASL_FIELD_MAX ||
			    strlen(cfg->password ? cfg->password : "") > SASL_FIELD_MAX))
		return fail_early(items, n, "SMTP user or password longer than 255 bytes");

	struct session_state st;
	memset(&st, 0, sizeof st);
	st.cfg = cfg;
	st.auth_wanted = auth_wanted;
	put(st.hostport, sizeof st.hostport, "%s:%d", cfg->host,
		 cfg->port > 0 ? cfg->port : DEFAULT_PORT);
	if (auth_wanted) {
		st.user = xstrdup(cfg->user);
		st.password = xstrdup(cfg->password ? cfg->password : "");
	}

	/* SIGPIPE: blocked in this thread, and one raised meanwhile discarded
	 * (unless one was pending before, which stays for its owner). */
	sigset_t pipe_set, old, pending;
	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	sigemptyset(&pending);
	sigpending(&pending);
	int was_pending = sigismember(&pending, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_set, &old);

	int rc = run_session(cfg, items, n, &st);
	for (size_t i = 0; i < n; i++)
		if (items[i].code == -1)
			items[i].code = 0;

	if (!was_pending) {
		sigemptyset(&pending);
		sigpending(&pending);
		if (sigismember(&pending, SIGPIPE)) {
			struct timespec zero = {0, 0};
			while (sigtimedwait(&pipe_set, NULL, &zero) < 0 && errno == EINTR)
				;
		}
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);

	if (st.password) {
		sodium_memzero(st.password, strlen(st.password));
		free(st.password);
	}
	free(st.user);
	return rc;
}
