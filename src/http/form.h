/* Parsing application/x-www-form-urlencoded bodies. */
#ifndef SOKUHO_FORM_H
#define SOKUHO_FORM_H

#include <jansson.h>
#include <stddef.h>

#define FORM_MAX_FIELDS 1000

/* Parses body into a JSON object of strings; a repeated key becomes an array
 * of strings in order. Returns NULL for a malformed body: a bad %-escape, a
 * NUL byte, invalid UTF-8 in a name, or more than FORM_MAX_FIELDS fields.
 * A value that is not UTF-8 is malformed too when invalid is NULL; otherwise
 * it is kept mended (utf8_mend) and its field name is set in invalid
 * (an object: name -> true), so that the page can say which field to type
 * again while keeping the others. The caller owns the result (json_decref). */
json_t *form_parse_urlencoded(const char *body, size_t len, json_t *invalid);

/* Adds value (taken) under key: a repeated key becomes an array of its
 * values in order. For the urlencoded and the multipart parsers alike. */
void form_add_value(json_t *fields, const char *key, json_t *value);

/* Decodes %XX and '+' in place-independent fashion: writes the decoded bytes
 * of s[0..n) into out (room for n+1 bytes) and returns their length, or -1
 * for a bad escape or a NUL byte. */
long form_decode(const char *s, size_t n, char *out);

#endif
