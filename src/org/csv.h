/* A reader for RFC 4180 CSV held in memory: quoted fields with commas, quotes
 * ("" inside quotes) and line breaks, CRLF or LF line ends, and a UTF-8 byte
 * order mark at the start of the data, which is skipped. Records know the
 * physical line they start on, for messages that point into the file. */
#ifndef SOKUHO_CSV_H
#define SOKUHO_CSV_H

#include <stddef.h>

#include "core/buf.h"

struct csv_reader {
	const char *p, *end;
	int line; /* physical line of p, from 1 */
};

struct csv_record {
	int line;       /* where the record starts */
	size_t nfields;
	buf *fields;    /* nfields NUL-terminated values; room for cap */
	size_t cap;
	int has_nul;    /* a field held a NUL byte */
};

/* The data must outlive the reader; it is not copied. */
void csv_reader_init(struct csv_reader *r, const char *data, size_t len);

void csv_record_init(struct csv_record *rec);
void csv_record_release(struct csv_record *rec);

/* Reads the next record into rec (its previous contents are replaced).
 * Returns 1 with a record, 0 at the end of the data, or -1 for a malformed
 * record, with a message for people in err and rec->line set; reading may
 * continue with the next record (after an unclosed quote there is none). An
 * empty line yields a record of one empty field. */
int csv_next(struct csv_reader *r, struct csv_record *rec, char *err, size_t errlen);

/* Whether the record is an empty line (one empty field). */
int csv_record_blank(const struct csv_record *rec);

#endif
