/* RFC 4180 CSV reader (see csv.h). A quote inside an unquoted field is kept
 * as it is, as spreadsheets and Python's csv module do; text after a closing
 * quote is an error, because it usually means a quote was not doubled. */
#include "csv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"

void csv_reader_init(struct csv_reader *r, const char *data, size_t len)
{
	r->p = data;
	r->end = data + len;
	r->line = 1;
	if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
		r->p += 3;
}

void csv_record_init(struct csv_record *rec)
{
	memset(rec, 0, sizeof *rec);
}

void csv_record_release(struct csv_record *rec)
{
	for (size_t i = 0; i < rec->cap; i++)
		buf_release(&rec->fields[i]);
	free(rec->fields);
	csv_record_init(rec);
}

static buf *new_field(struct csv_record *rec)
{
	if (rec->nfields == rec->cap) {
		size_t cap = rec->cap ? rec->cap * 2 : 8;
		rec->fields = xrealloc(rec->fields, cap * sizeof *rec->fields);
		for (size_t i = rec->cap; i < cap; i++)
			buf_init(&rec->fields[i]);
		rec->cap = cap;
	}
	buf *f = &rec->fields[rec->nfields++];
	buf_reset(f);
	/* An empty field still reads as "" rather than NULL. */
	buf_append(f, "", 0);
	return f;
}

static int at_line_end(const struct csv_reader *r)
{
	return r->p < r->end && (*r->p == '\n' || *r->p == '\r');
}

/* Steps over one line end (CRLF, LF or a lone CR). */
static void skip_line_end(struct csv_reader *r)
{
	if (*r->p == '\r' && r->p + 1 < r->end && r->p[1] == '\n')
		r->p++;
	r->p++;
	r->line++;
}

int csv_next(struct csv_reader *r, struct csv_record *rec, char *err, size_t errlen)
{
	if (r->p >= r->end)
		return 0;
	rec->nfields = 0;
	rec->has_nul = 0;
	rec->line = r->line;
	int bad = 0;
	for (;;) {
		buf *f = new_field(rec);
		if (r->p < r->end && *r->p == '"') {
			int opened = r->line;
			r->p++;
			for (;;) {
				if (r->p >= r->end) {
					snprintf(err, errlen,
						 "a quoted field opened on line %d is never closed; "
						 "expected a closing quote (\") before the end of the file",
						 opened);
					return -1;
				}
				char c = *r->p;
				if (c == '"') {
					if (r->p + 1 < r->end && r->p[1] == '"') {
						buf_putc(f, '"');
						r->p += 2;
						continue;
					}
					r->p++;
					break;
				}
				if (c == '\n' ||
				    (c == '\r' && !(r->p + 1 < r->end && r->p[1] == '\n')))
					r->line++;
				if (c == '\0')
					rec->has_nul = 1;
				buf_putc(f, c);
				r->p++;
			}
			if (r->p < r->end && *r->p != ',' && !at_line_end(r)) {
				if (!bad)
					snprintf(err, errlen,
						 "text after the closing quote of field %zu; a quote inside "
						 "a quoted field must be doubled (\"\")",
						 rec->nfields);
				bad = 1;
				while (r->p < r->end && *r->p != ',' && !at_line_end(r))
					buf_putc(f, *r->p++);
			}
		} else {
			while (r->p < r->end && *r->p != ',' && !at_line_end(r)) {
				if (*r->p == '\0')
					rec->has_nul = 1;
				buf_putc(f, *r->p++);
			}
		}
		if (r->p >= r->end)
			break;
		if (*r->p == ',') {
			r->p++;
			continue;
		}
		skip_line_end(r);
		break;
	}
	return bad ? -1 : 1;
}

int csv_record_blank(const struct csv_record *rec)
{
	return rec->nfields == 1 && rec->fields[0].len == 0;
}
