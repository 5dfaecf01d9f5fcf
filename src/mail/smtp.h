/* smtp: handing finished messages (see mime.h) to the city's mail relay with
 * libESMTP, many messages over one connection.
 *
 * Outcomes. Per-recipient (RCPT) and per-message (DATA) replies decide:
 * 2xx SMTP_SENT, 4xx SMTP_RETRY, 5xx SMTP_DEAD. No reply at all (refused or
 * dropped connection, timeout, TLS failure) is SMTP_RETRY. Failures that are
 * about the session or the sender rather than the message are SMTP_RETRY
 * too, even with a 5xx: a rejected greeting or EHLO, a rejected MAIL FROM
 * (wrong sender configured, "530 authentication required"), failed or
 * impossible authentication when a user is configured. So a configuration
 * mistake delays mail instead of killing it; the reply says why.
 *
 * TLS. SMTP_TLS_REQUIRED quits without sending anything when the server
 * offers no STARTTLS or its certificate does not verify against the system
 * trust store (OpenSSL's default paths; SSL_CERT_FILE / SSL_CERT_DIR
 * override) for the host name given (subjectAltName DNS names, or the CN
 * when there are none; IP addresses cannot be verified, so give a name).
 * SMTP_TLS_WHEN_OFFERED uses STARTTLS when offered, with the same
 * verification, and plain text otherwise. TLS 1.2 at least.
 *
 * AUTH. With a user set, libESMTP authenticates with the first mechanism
 * the server offers that it has a plugin for (PLAIN, LOGIN, CRAM-MD5). A
 * password is never sent in clear text unless the connection is TLS or tls
 * is SMTP_TLS_OFF (an explicit choice for a trusted local relay). User and
 * password are limited to 255 bytes each (libESMTP's PLAIN plugin).
 *
 * Limits of libESMTP to know about: connect() itself has no timeout (a
 * silently dropped SYN waits for the kernel, about two minutes on Linux);
 * name lookup is blocking; the host may not be an IPv6 literal (libESMTP
 * splits host:port at the first ':'); no SNI is sent in the TLS handshake. */
#ifndef SOKUHO_SMTP_H
#define SOKUHO_SMTP_H

#include <stddef.h>

enum smtp_tls { SMTP_TLS_REQUIRED, SMTP_TLS_WHEN_OFFERED, SMTP_TLS_OFF };

struct smtp_config {
	const char *host;          /* name or IPv4 address of the relay */
	int port;                  /* 0 or less: 25 */
	enum smtp_tls tls;
	const char *user, *password; /* AUTH when user is neither NULL nor "" */
	const char *envelope_from; /* MAIL FROM (bounces); NULL or "" for <> */
	int timeout_s;             /* per server reply (greeting, each command, the
				    * data transfer, the final reply); 0 or less: 60 */
};

enum smtp_outcome {
	SMTP_SENT,
	SMTP_RETRY, /* 4xx, connection failure, timeout; session-level 5xx (see above) */
	SMTP_DEAD   /* 5xx to RCPT or to the message; invalid recipient or empty data */
};

struct smtp_item {
	const char *rcpt; /* envelope recipient, a plain addr-spec */
	const char *data; /* the whole message, CRLF line ends (mime_build) */
	size_t len;
	/* results: */
	enum smtp_outcome outcome;
	int code;        /* the deciding SMTP reply code, 0 when there was none */
	char reply[256]; /* that reply ("451 4.3.0 text"), or why there was none */
};

/* Sends n messages over ONE SMTP session (connection reuse for batches),
 * each to its one recipient; call it outside any database transaction, as it
 * may block for several timeouts. Every item gets an outcome and a reply
 * (set whatever their values before). Returns 0 when the session ran (items
 * may still have failed), -1 when no session could be made (refused
 * connection, greeting or EHLO rejected, STARTTLS required but missing or
 * failed, a bad configuration): then every item is SMTP_RETRY with the reason
 * in reply, except items already SMTP_DEAD for an invalid recipient or
 * empty data, which are never sent. Thread-safe: one session per call, and
 * SIGPIPE from a dropped connection is blocked and discarded in the calling
 * thread only. */
int smtp_send_batch(const struct smtp_config *cfg, struct smtp_item *items, size_t n);

#endif
