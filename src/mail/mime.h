/* mime: one notification e-mail as bytes ready for SMTP DATA (RFC 5322 with
 * MIME, RFC 2045-2047), Japanese text done right.
 *
 * What comes out:
 *   - CRLF line ends everywhere; no line longer than 78 characters plus
 *     CRLF. (The one exception: an address or Message-ID that is itself
 *     longer than 76 characters sits alone on a folded line, which is then
 *     longer, though never beyond RFC 5322's hard limit of 998.)
 *   - Date (+0900, Japan time), From, To, Subject, Message-ID,
 *     MIME-Version: 1.0, Auto-Submitted: auto-generated, List-Id (optional),
 *     then either text/plain; charset=UTF-8 in base64 (lines of 76), or,
 *     when html is given, multipart/alternative with the text and the HTML
 *     parts, both base64, under a random boundary that starts with "=_" and
 *     so cannot occur in base64 text.
 *   - Display names and the subject are RFC 2047 encoded-words
 *     (=?UTF-8?B?...?=) unless they are plain ASCII needing no encoding.
 *   - Header text can never start a new header: CR, LF and every other
 *     control character (C0, DEL, C1, U+2028, U+2029) in names or the subject
 *     becomes a space before encoding, and bytes that are not UTF-8 become
 *     U+FFFD.
 *
 * All functions are thread-safe. Allocation failure aborts (xalloc). */
#ifndef SOKUHO_MIME_H
#define SOKUHO_MIME_H

#include <stddef.h>
#include <time.h>

struct mail_msg {
	const char *from_addr, *from_name; /* header sender; name may be NULL or "" */
	const char *to_addr, *to_name;     /* name may be NULL or "" */
	const char *subject;               /* UTF-8; NULL means empty */
	const char *text;                  /* UTF-8 body, LF line ends (CRLF also accepted) */
	const char *html;                  /* optional HTML alternative (may be NULL) */
	const char *message_id;            /* "<id@host>", kept across retries by the caller */
	time_t date;                       /* 0 means now */
	const char *list_id_or_null;       /* optional List-Id, e.g. "<notify.city.example>" */
	const char *in_reply_to;           /* optional "<id@host>" answered: In-Reply-To and
					    * References (left out when malformed) */
	int auto_replied;                  /* Auto-Submitted: auto-replied (RFC 3834), not
					    * auto-generated: an answer to a mail */
};

/* Builds the message with CRLF line ends. Returns the malloc'd bytes (also
 * NUL-terminated; *len is the length without the NUL), or NULL with a message
 * in err when an address is not a plain addr-spec (see mime_check_address),
 * the Message-ID is malformed (not "<dot-atom@dot-atom>" of at most 250
 * characters), the List-Id is not printable ASCII, or text is NULL. */
char *mime_build(const struct mail_msg *m, size_t *len, char *err, size_t errlen);

/* RFC 2047 B-encoding of a UTF-8 header value: encoded-words of at most 75
 * characters, never splitting a UTF-8 character, folded with CRLF SP so that
 * no line passes 78 characters; first_line_used is how much of the first line
 * the header name already takes ("Subject: " is 9). Printable ASCII that
 * needs no encoding (no "=?", and foldable at its spaces) is returned as is,
 * folded at spaces. Control characters are replaced as described above.
 * Returns a malloc'd string (never NULL; "" for NULL or ""). */
char *mime_encode_header(const char *utf8, size_t first_line_used);

/* Validates a plain addr-spec: local@domain, ASCII only, at most 254 bytes,
 * local part a dot-atom of at most 64 bytes, domain labels of letters,
 * digits, '-' and '_' (no literals). Rejects CR, LF, spaces, control
 * characters, '<', '>', ',', '"', ';', '(', ')', '\\', ':', '[', ']' and a
 * missing or second '@'. Returns 0 when valid, -1 otherwise. */
int mime_check_address(const char *addr);

#endif
