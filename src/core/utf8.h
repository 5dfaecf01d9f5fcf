/* UTF-8: the one decoder of the code base (forms, multipart bodies, people's
 * names and the CSV import use it). */
#ifndef SOKUHO_UTF8_H
#define SOKUHO_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* Decodes one UTF-8 sequence at s (n >= 1 bytes available): returns its
 * length and, when cp is not NULL, the code point in *cp; 0 when it is not
 * well formed (a stray continuation byte, a truncated sequence, overlong
 * forms, surrogates and values past U+10FFFF included, as jansson and
 * browsers reject them too). */
size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp);

/* Whether the n bytes at s are well-formed UTF-8 (NUL bytes allowed). */
int utf8_valid(const char *s, size_t n);

/* The number of characters of the NUL-terminated UTF-8 string s (the bytes
 * that are not continuation bytes: what a form's "at most N characters"
 * counts). s need not be valid; invalid bytes count as one each. */
size_t utf8_chars(const char *s);

/* A copy of s[0..n) in which each byte that does not start a well-formed
 * UTF-8 character is replaced by U+FFFD, as a browser shows such text; its
 * length goes to *outlen. The caller frees it. */
char *utf8_mend(const char *s, size_t n, size_t *outlen);

/* A copy (caller frees) of s without the white space around it: ASCII
 * space, tab, CR, LF and the ideographic space U+3000, in any mix. */
char *utf8_trim(const char *s);

/* Whether s holds a control character (C0 or DEL) other than, when
 * multiline, tab and line breaks: they never belong in text. */
int utf8_has_controls(const char *s, int multiline);

#endif
