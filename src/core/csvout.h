/* csvout: writing CSV (RFC 4180) for downloads that people open in a
 * spreadsheet (http_csv in http/http.h sends it).
 *
 * Contract:
 * - Fields are separated by ',' and rows end with CRLF. A field is quoted
 *   ("...", with '"' doubled) when it holds ',', '"', CR or LF.
 * - Text fields (csv_field, csv_fieldn) are guarded against formula
 *   injection: a field that starts with '=', '+', '-', '@', TAB or CR gets a
 *   leading apostrophe, so Excel / LibreOffice show it as text and never run
 *   it. Numbers written with csv_int / csv_double are not guarded (a negative
 *   number stays a number). NULL is written as an empty field.
 * - The bytes are passed through as they are: callers give UTF-8.
 * - http_csv (http/http.h) sends the buffer as text/csv; charset=utf-8,
 *   prefixed with a UTF-8 BOM (so Excel reads Japanese correctly), with
 *   Content-Disposition: attachment; filename="NAME" (characters outside
 *   [A-Za-z0-9._-] in NAME are replaced by '_', csv_safe_filename) and
 *   Cache-Control: no-store, plus the security headers every response carries.
 *
 *	buf b = BUF_INIT;
 *	struct csvout c;
 *	csv_init(&c, &b);
 *	csv_field(&c, "reference"); csv_field(&c, "summary"); csv_end_row(&c);
 *	csv_field(&c, "INC-2026-0001"); csv_field(&c, "=1+1"); csv_end_row(&c);
 *	http_csv(req, 200, "incidents.csv", &b);
 *	buf_release(&b);
 */
#ifndef SOKUHO_CSVOUT_H
#define SOKUHO_CSVOUT_H

#include <stddef.h>

#include "core/buf.h"

struct csvout {
	buf *out;  /* where rows are appended; owned by the caller */
	int col;   /* fields written in the current row */
};

/* Starts writing rows at the end of out. */
void csv_init(struct csvout *c, buf *out);
/* Appends one text field (NUL-terminated; NULL means empty). */
void csv_field(struct csvout *c, const char *s);
/* Appends one text field of n bytes. */
void csv_fieldn(struct csvout *c, const char *s, size_t n);
/* Appends one integer field. */
void csv_int(struct csvout *c, long long v);
/* Appends one number with the given digits after the point (0..6); NaN
 * (a missing value) is written as an empty field. */
void csv_double(struct csvout *c, double v, int digits);
/* Ends the row: CRLF. */
void csv_end_row(struct csvout *c);

/* Writes into out (size >= 2) the file name made safe for a header: each byte
 * outside [A-Za-z0-9._-] becomes '_'; "download.csv" when name is NULL or
 * empty; truncated to size - 1 bytes. */
void csv_safe_filename(char *out, size_t size, const char *name);

#endif
