/* Parsing buffered multipart/form-data request bodies (RFC 7578 on RFC 2046):
 * the report form sends its text fields and evidence files (photos, logs,
 * mail files) this way. Nothing here streams; the whole body is in memory. */
#ifndef SOKUHO_MULTIPART_H
#define SOKUHO_MULTIPART_H

#include <jansson.h>
#include <stddef.h>

#define MP_MAX_HEADER_BYTES 8192 /* the header block of one part */
#define MP_MAX_BOUNDARY 70       /* RFC 2046 */
#define MP_MAX_FILENAME 200      /* bytes, for mp_safe_filename */

struct mp_file {
	char *field;        /* the form field name (UTF-8) */
	char *filename;     /* as sent (UTF-8, may hold / \ or control characters; "" possible):
			     * pass it through mp_safe_filename before storing or showing it */
	char *content_type; /* as sent, printable ASCII; application/octet-stream when absent */
	const char *data;   /* points INTO the parsed body */
	size_t len;
};

struct mp_result {
	json_t *fields;       /* object of strings, or of arrays of strings for repeated names */
	struct mp_file *files; /* nfiles, in body order */
	size_t nfiles;
};

/* Extracts the boundary from a Content-Type header value ("multipart/form-data; boundary=..." —
 * quoted or not, case-insensitive parameter name). Returns a malloc'd boundary or NULL: NULL also
 * when the media type is not multipart/form-data, when boundary is missing or given twice, when
 * the parameters are malformed, or when the boundary is not 1-70 RFC 2046 characters. */
char *mp_boundary(const char *content_type);

/* Parses body[0..len) with boundary. Non-file parts go to fields (a JSON object of strings; a
 * repeated name becomes an array of strings, like form_parse_urlencoded in src/http/form.h);
 * parts with a filename go to files (data points INTO body: body must outlive the result;
 * a file input submitted empty — filename="" and no data — is skipped). Returns 0, or -1 with a
 * message for people in err (errlen) for a malformed body: missing/never-terminated boundary,
 * a part without Content-Disposition form-data or without a name, invalid UTF-8 or NUL bytes in
 * a field value or name or filename, more than max_parts parts, a field value larger than
 * max_field bytes.
 *
 * Also -1 for: a boundary argument that mp_boundary would not return, lines not ended by CRLF,
 * a part header block over MP_MAX_HEADER_BYTES, a malformed or repeated header or parameter, a
 * NUL byte in part headers, a Content-Type that is not printable ASCII, a Content-Transfer-Encoding
 * other than 7bit/8bit/binary (data is never decoded), and a filename* that is malformed or not
 * UTF-8/ISO-8859-1. max_parts counts every part, skipped empty file inputs too; max_field applies
 * to non-file values only (bound file sizes by the body size). filename* wins over filename.
 * In quoted strings a backslash escapes only '"' and '\' (browsers send Windows-style paths
 * with bare backslashes). A line "--boundary" followed by anything but "--", spaces/tabs and CRLF
 * is data, not a delimiter. Preamble and epilogue are ignored.
 * out is always initialised, also on -1 (then empty); mp_result_release is safe either way.
 * err may be NULL when errlen is 0; messages are lower-case, name the part by number ("part 3:
 * ..."), never quote body content, and are NUL-terminated (truncated to fit). */
int mp_parse(const char *body, size_t len, const char *boundary, size_t max_parts, size_t max_field,
	     struct mp_result *out, char *err, size_t errlen);

/* mp_parse, except that a field value that is not UTF-8 (and holds no NUL
 * byte) is not malformed: it is kept mended (utf8_mend in core/utf8.h, each
 * bad byte becomes U+FFFD) and its field name is set in invalid (an object:
 * name -> true), so that a form can come back with that field marked and the
 * others as typed. File names and field names must still be UTF-8. */
int mp_parse_marking(const char *body, size_t len, const char *boundary, size_t max_parts,
		     size_t max_field, struct mp_result *out, json_t *invalid, char *err,
		     size_t errlen);

/* Frees everything r owns and empties it; releasing twice or an emptied result is harmless. */
void mp_result_release(struct mp_result *r);

/* Returns a safe version of an uploaded file name for storage and display (caller frees): path
 * components removed (both / and \), control characters and quotes removed, at most 200 bytes
 * without splitting a UTF-8 character, never empty (fallback "file"), never starting with '.'.
 * Also: invalid UTF-8 bytes, bidirectional-override and line-separator characters are dropped,
 * surrounding spaces trimmed, and a short extension (".pdf") is kept when a long name is cut.
 * NULL is allowed (gives "file"). The result is valid UTF-8 but not HTML-escaped. */
char *mp_safe_filename(const char *name);

#endif
