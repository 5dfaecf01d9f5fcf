/* Reading a reported mail (issue 20): one RFC 5322 message, as an MTA hands
 * it to `sokuho mail-intake`, parsed with GMime into the facts the intake
 * stores — who sent it and whether that is authenticated, its subject and
 * text in UTF-8, whether it is automatic mail, and the forwarded original
 * (an attached message/rfc822 or an inline forward) with its indicators.
 * No database: the fuzz harness runs exactly this. */
#ifndef SOKUHO_MAIL_INTAKE_H
#define SOKUHO_MAIL_INTAKE_H

#include <jansson.h>
#include <stddef.h>

/* The limits of one message's structure: parts past them are not read (the
 * raw message is still kept whole). */
#define MAIL_INTAKE_MAX_DEPTH 8
#define MAIL_INTAKE_MAX_PARTS 200
#define MAIL_INTAKE_MAX_URLS 100

struct mail_intake_opts {
	/* authserv-ids whose Authentication-Results the city's MTA writes
	 * (comma or space separated, case-insensitive); "" trusts none */
	const char *trusted_authserv;
	/* addresses or host names of internal relays: mail whose newest
	 * Received names one as its sender is authenticated; "" none */
	const char *internal_relays;
};

/* Parses the message data[0..len). Returns the facts (caller owns):
 *   from, from_name, subject, message_id, in_reply_to, references [],
 *   thread_ref (an INC-YYYY-N... of the subject, or ""),
 *   authenticated (bool), auth_via ("dmarc", "spf", "dkim", "relay" or ""),
 *   automatic ("" or why: "auto-submitted", "precedence", "mailer-daemon",
 *   "null-sender", "sokuho"), body (the sender's text, UTF-8),
 *   malformed (bool),
 *   original: {shape ("attached", "inline", "none"), from, reply_to,
 *   return_path, subject, date, message_id, received_external ({ip, header}
 *   or null), auth_results [], urls [], domains [],
 *   attachments [{name, type, size, sha256}]}.
 * For an attached original, *orig (when not NULL) gets its bytes
 * (caller frees; NULL otherwise). Returns NULL with the reason in why when
 * the data is not a mail at all. All strings valid UTF-8. */
json_t *mail_intake_parse(const char *data, size_t len, const struct mail_intake_opts *opts,
			  char **orig, size_t *orig_len, char *why, size_t whylen);

/* Text of charset (a MIME label) as UTF-8: ISO-2022-JP and Shift_JIS with
 * the CP932 (Windows) characters, EUC-JP, UTF-8 and what iconv knows;
 * undecodable bytes become U+FFFD. Caller frees. */
char *mail_intake_to_utf8(const char *charset, const char *in, size_t len);

/* An RFC 2047 header value (raw, possibly folded) decoded to UTF-8. Caller frees. */
char *mail_intake_header_text(const char *raw);

#endif
