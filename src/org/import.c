/* CSV import of the staff list (see import.h). The file is parsed and every
 * row checked in memory against the sections read at the start of the
 * transaction; the good rows then go to a temporary table with one COPY,
 * and two statements update and insert them all, so that thousands of
 * people take a fraction of a second. Imported people get no password:
 * hashing one per person would take minutes, and a password nobody chose
 * would have to be sent somehow; `sokuho user passwd` sets it. */
#include "import.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/utf8.h"
#include "core/xalloc.h"
#include "csv.h"
#include "db/audit.h"
#include "db/db.h"
#include "people.h"

enum col { C_LOGIN, C_NAME, C_EMAIL, C_SECTION, C_KIND, C_LANG, C_ACTIVE, NCOLS };

static const char *const col_names[NCOLS] = {"login", "display_name", "email", "section",
					     "kind",  "lang",         "active"};
static const int col_required[NCOLS] = {1, 1, 1, 1, 0, 0, 0};

#define COLUMNS_EXPECTED                                                                  \
	"expected the columns login, display_name, email and section, and optionally "  \
	"kind, lang and active"

struct row {
	int line;
	char *v[NCOLS]; /* trimmed values; NULL when the column is absent */
	int section_id; /* 0: no section */
	int active;
	int bad;
};

struct problem {
	int line;
	size_t seq; /* keeps a line's problems in the order found */
	char *text;
};

struct import {
	const char *path;
	struct problem *probs;
	size_t nprobs, capprobs;
	struct row *rows;
	size_t nrows, caprows;
	/* org_unit by code, sorted by code in byte order for bsearch */
	struct unit {
		char *code;
		int id;
		int section; /* kind = 'section' */
		int active;
	} *units;
	size_t nunits;
	const char *example_section;
	size_t unreadable; /* lines that could not be read as rows */
};

static void problem(struct import *im, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void problem(struct import *im, int line, const char *fmt, ...)
{
	if (im->nprobs == im->capprobs) {
		im->capprobs = im->capprobs ? im->capprobs * 2 : 16;
		im->probs = xrealloc(im->probs, im->capprobs * sizeof *im->probs);
	}
	buf b = BUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	struct problem *p = &im->probs[im->nprobs];
	p->line = line;
	p->seq = im->nprobs++;
	p->text = buf_detach(&b, NULL);
}

/* A field's problem: "field 'email': 'VALUE' has no @; expected ...". */
static void field_problem(struct import *im, struct row *row, enum col c, const char *why)
{
	char q[128];
	const char *v = row->v[c] ? row->v[c] : "";
	if (*v)
		problem(im, row->line, "field '%s': '%s' %s", col_names[c],
			people_quote_value(v, q, sizeof q), why);
	else
		problem(im, row->line, "field '%s': the value %s", col_names[c], why);
	row->bad = 1;
}

static int problem_cmp(const void *a, const void *b)
{
	const struct problem *x = a, *y = b;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static char *trimmed(const buf *f)
{
	const char *s = buf_cstr(f);
	size_t n = f->len;
	while (n && (*s == ' ' || *s == '\t')) {
		s++;
		n--;
	}
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	return xstrndup(s, n);
}

static void lower_ascii(char *s)
{
	for (; *s; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s - 'A' + 'a');
}

static int unit_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct unit *)elem)->code);
}

/* Reads every org_unit, ordered by code as strcmp orders it. */
static int load_units(PGconn *conn, struct import *im)
{
	PGresult *r = PQexec(conn, "SELECT code, id, kind = 'section', active FROM org_unit "
				   "ORDER BY code COLLATE \"C\"");
	if (!db_ok(r)) {
		people_db_error("database error", r);
		PQclear(r);
		return -1;
	}
	im->nunits = (size_t)PQntuples(r);
	im->units = xcalloc(im->nunits, sizeof *im->units);
	for (size_t i = 0; i < im->nunits; i++) {
		struct unit *u = &im->units[i];
		u->code = xstrdup(PQgetvalue(r, (int)i, 0));
		u->id = atoi(PQgetvalue(r, (int)i, 1));
		u->section = PQgetvalue(r, (int)i, 2)[0] == 't';
		u->active = PQgetvalue(r, (int)i, 3)[0] == 't';
		if (!im->example_section && u->section && u->active)
			im->example_section = u->code;
	}
	PQclear(r);
	return 0;
}

static void check_section(struct import *im, struct row *row)
{
	const char *code = row->v[C_SECTION];
	if (!code || !*code)
		return; /* no section */
	const struct unit *u = bsearch(code, im->units, im->nunits, sizeof *im->units, unit_cmp);
	char why[256];
	if (!u) {
		if (im->example_section)
			snprintf(why, sizeof why,
				 "is not the code of a section; expected an existing section code "
				 "such as '%s'",
				 im->example_section);
		else
			snprintf(why, sizeof why, "is not the code of a section; no sections "
						  "exist yet (sokuho demo creates a sample org chart)");
		field_problem(im, row, C_SECTION, why);
	} else if (!u->section) {
		field_problem(im, row, C_SECTION,
			      "is a department, not a section; expected the code of one of "
			      "its sections");
	} else if (!u->active) {
		field_problem(im, row, C_SECTION, "is a closed section; expected an open one");
	} else {
		row->section_id = u->id;
	}
}

/* An optional column with a fixed set of values: empty means def, any case
 * is accepted. */
static void check_choice(struct import *im, struct row *row, enum col c, const char *def,
			 int (*check)(const char *, char *, size_t))
{
	char why[512];
	if (!row->v[c] || !*row->v[c]) {
		free(row->v[c]);
		row->v[c] = xstrdup(def);
	}
	lower_ascii(row->v[c]);
	if (check(row->v[c], why, sizeof why) != 0)
		field_problem(im, row, c, why);
}

static void check_row(struct import *im, struct row *row)
{
	char why[512];
	if (people_check_login(row->v[C_LOGIN], why, sizeof why) != 0)
		field_problem(im, row, C_LOGIN, why);
	if (people_check_name(row->v[C_NAME], why, sizeof why) != 0)
		field_problem(im, row, C_NAME, why);
	if (people_check_email(row->v[C_EMAIL], why, sizeof why) != 0)
		field_problem(im, row, C_EMAIL, why);
	check_section(im, row);
	check_choice(im, row, C_KIND, "staff", people_check_kind);
	check_choice(im, row, C_LANG, "ja", people_check_lang);
	row->active = 1;
	if (row->v[C_ACTIVE] && *row->v[C_ACTIVE] &&
	    people_parse_bool(row->v[C_ACTIVE], &row->active, why, sizeof why) != 0)
		field_problem(im, row, C_ACTIVE, why);
}

static struct import *sort_ctx;

static int row_login_cmp(const void *a, const void *b)
{
	const struct row *x = &sort_ctx->rows[*(const size_t *)a];
	const struct row *y = &sort_ctx->rows[*(const size_t *)b];
	int c = strcmp(x->v[C_LOGIN], y->v[C_LOGIN]);
	if (c)
		return c;
	return x->line < y->line ? -1 : x->line > y->line;
}

/* Every row whose login appears more than once is bad: which one is right
 * cannot be guessed. */
static void check_duplicates(struct import *im)
{
	size_t *idx = xcalloc(im->nrows, sizeof *idx);
	for (size_t i = 0; i < im->nrows; i++)
		idx[i] = i;
	sort_ctx = im;
	qsort(idx, im->nrows, sizeof *idx, row_login_cmp);
	sort_ctx = NULL;
	for (size_t i = 0; i < im->nrows;) {
		size_t j = i + 1;
		const char *login = im->rows[idx[i]].v[C_LOGIN];
		while (j < im->nrows && strcmp(im->rows[idx[j]].v[C_LOGIN], login) == 0)
			j++;
		if (j - i > 1 && *login) {
			buf lines = BUF_INIT;
			for (size_t k = i; k < j; k++)
				buf_printf(&lines, "%s%d", k > i ? ", " : "", im->rows[idx[k]].line);
			char q[128];
			people_quote_value(login, q, sizeof q);
			for (size_t k = i; k < j; k++) {
				struct row *row = &im->rows[idx[k]];
				problem(im, row->line,
					"field 'login': '%s' appears on more than one line (%s); "
					"expected each login once",
					q, buf_cstr(&lines));
				row->bad = 1;
			}
			buf_release(&lines);
		}
		i = j;
	}
	free(idx);
}

/* Maps the header's columns; problems are reported against its line.
 * map[i] is the column index of the i-th field. Returns 0 or -1. */
static int read_header(struct import *im, const struct csv_record *rec, int *map,
		       int present[NCOLS])
{
	int ok = 1;
	for (size_t i = 0; i < rec->nfields; i++) {
		char *name = trimmed(&rec->fields[i]);
		lower_ascii(name);
		map[i] = -1;
		for (int c = 0; c < NCOLS; c++)
			if (strcmp(name, col_names[c]) == 0)
				map[i] = c;
		char q[128];
		if (!*name) {
			problem(im, rec->line, "column %zu has no name; %s", i + 1,
				COLUMNS_EXPECTED);
			ok = 0;
		} else if (map[i] < 0) {
			problem(im, rec->line, "unknown column '%s'; %s",
				people_quote_value(name, q, sizeof q), COLUMNS_EXPECTED);
			ok = 0;
		} else if (present[map[i]]) {
			problem(im, rec->line, "column '%s' appears twice; expected each column once",
				col_names[map[i]]);
			ok = 0;
		} else {
			present[map[i]] = 1;
		}
		free(name);
	}
	for (int c = 0; c < NCOLS; c++) {
		if (col_required[c] && !present[c]) {
			problem(im, rec->line, "column '%s' is missing; %s", col_names[c],
				COLUMNS_EXPECTED);
			ok = 0;
		}
	}
	return ok ? 0 : -1;
}

/* Where the first byte that is not UTF-8 is, as a line number, or 0. */
static int first_bad_utf8_line(const char *data, size_t len)
{
	if (utf8_valid(data, len))
		return 0;
	/* Check line by line to name the line. */
	int line = 1;
	const char *p = data, *end = data + len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *e = nl ? nl : end;
		if (!utf8_valid(p, (size_t)(e - p)))
			return line;
		line++;
		p = nl ? nl + 1 : end;
	}
	return 1;
}

/* Parses the rows after the header. */
static void read_rows(struct import *im, struct csv_reader *rd, const int *map, size_t ncols)
{
	struct csv_record rec;
	csv_record_init(&rec);
	char err[512];
	int st;
	while ((st = csv_next(rd, &rec, err, sizeof err)) != 0) {
		if (st < 0) {
			problem(im, rec.line, "%s", err);
			im->unreadable++;
			continue;
		}
		int blank = 1;
		for (size_t i = 0; i < rec.nfields && blank; i++)
			for (const char *s = buf_cstr(&rec.fields[i]); *s && blank; s++)
				if (*s != ' ' && *s != '\t')
					blank = 0;
		if (blank && (rec.nfields == 1 || rec.nfields == ncols))
			continue; /* an empty line, or a spreadsheet's row of commas */
		if (rec.has_nul) {
			problem(im, rec.line, "has a NUL byte; expected text");
			im->unreadable++;
			continue;
		}
		if (rec.nfields != ncols) {
			problem(im, rec.line,
				"has %zu field%s but the header has %zu columns; expected one value "
				"per column (quote values that contain commas)",
				rec.nfields, rec.nfields == 1 ? "" : "s", ncols);
			im->unreadable++;
			continue;
		}
		if (im->nrows == im->caprows) {
			im->caprows = im->caprows ? im->caprows * 2 : 64;
			im->rows = xrealloc(im->rows, im->caprows * sizeof *im->rows);
		}
		struct row *row = &im->rows[im->nrows++];
		memset(row, 0, sizeof *row);
		row->line = rec.line;
		for (size_t i = 0; i < ncols; i++)
			row->v[map[i]] = trimmed(&rec.fields[i]);
		check_row(im, row);
	}
	csv_record_release(&rec);
}

static void copy_escape(buf *b, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '\\': buf_puts(b, "\\\\"); break;
		case '\t': buf_puts(b, "\\t"); break;
		case '\n': buf_puts(b, "\\n"); break;
		case '\r': buf_puts(b, "\\r"); break;
		default: buf_putc(b, *s);
		}
	}
}

/* Sends the good rows to the temporary table import_person. */
static int copy_rows(PGconn *conn, const struct import *im)
{
	PGresult *r = PQexec(conn, "COPY import_person (line, login, display_name, email, "
				   "section_id, kind, lang, active) FROM STDIN");
	if (PQresultStatus(r) != PGRES_COPY_IN) {
		people_db_error("unable to import", r);
		PQclear(r);
		return -1;
	}
	PQclear(r);
	buf b = BUF_INIT;
	int ok = 1;
	for (size_t i = 0; i < im->nrows && ok; i++) {
		const struct row *row = &im->rows[i];
		if (row->bad)
			continue;
		buf_printf(&b, "%d\t", row->line);
		copy_escape(&b, row->v[C_LOGIN]);
		buf_putc(&b, '\t');
		copy_escape(&b, row->v[C_NAME]);
		buf_putc(&b, '\t');
		copy_escape(&b, row->v[C_EMAIL]);
		if (row->section_id)
			buf_printf(&b, "\t%d\t", row->section_id);
		else
			buf_puts(&b, "\t\\N\t");
		copy_escape(&b, row->v[C_KIND]);
		buf_putc(&b, '\t');
		copy_escape(&b, row->v[C_LANG]);
		buf_puts(&b, row->active ? "\tt\n" : "\tf\n");
		if (b.len >= 65536 || i + 1 == im->nrows) {
			ok = PQputCopyData(conn, b.data, (int)b.len) == 1;
			buf_reset(&b);
		}
	}
	if (ok && b.len > 0)
		ok = PQputCopyData(conn, b.data, (int)b.len) == 1;
	buf_release(&b);
	if (PQputCopyEnd(conn, ok ? NULL : "client error") != 1)
		ok = 0;
	while ((r = PQgetResult(conn)) != NULL) {
		if (!db_ok(r)) {
			if (ok)
				people_db_error("unable to import", r);
			ok = 0;
		}
		PQclear(r);
	}
	return ok ? 0 : -1;
}

/* Runs a statement returning logins in column 0; appends them to list. */
static int collect_logins(PGconn *conn, const char *sql, json_t *list)
{
	PGresult *r = PQexec(conn, sql);
	if (!db_ok(r)) {
		people_db_error("unable to import", r);
		PQclear(r);
		return -1;
	}
	for (int i = 0; i < PQntuples(r); i++)
		json_array_append_new(list, json_string(PQgetvalue(r, i, 0)));
	PQclear(r);
	return 0;
}

/* Writes the good rows; returns 0 or -1 (message printed). */
static int write_rows(PGconn *conn, const struct import *im, size_t nbad, int partial,
		      size_t *added, size_t *updated)
{
	if (people_exec(conn, "CREATE TEMPORARY TABLE import_person (line integer, "
			      "login text, display_name text, email text, section_id integer, "
			      "kind text, lang text, active boolean) ON COMMIT DROP") != 0)
		return -1;
	if (copy_rows(conn, im) != 0)
		return -1;
	json_t *upd = json_array(), *add = json_array();
	int rc = -1;
	/* updated_at moves only when something changed. */
	if (collect_logins(conn,
			   "WITH u AS (UPDATE person p SET display_name = t.display_name, "
			   "email = t.email, section_id = t.section_id, kind = t.kind, "
			   "lang = t.lang, active = t.active, updated_at = CASE WHEN "
			   "(p.display_name, p.email, p.section_id, p.kind, p.lang, p.active) "
			   "IS DISTINCT FROM (t.display_name, t.email, t.section_id, t.kind, "
			   "t.lang, t.active) THEN sokuho_now() ELSE p.updated_at END "
			   "FROM import_person t WHERE p.login = t.login "
			   "RETURNING p.login, t.line) SELECT login FROM u ORDER BY line",
			   upd) != 0)
		goto out;
	if (collect_logins(conn,
			   "WITH i AS (INSERT INTO person (login, display_name, email, "
			   "section_id, kind, lang, active) SELECT t.login, t.display_name, "
			   "t.email, t.section_id, t.kind, t.lang, t.active FROM import_person t "
			   "WHERE NOT EXISTS (SELECT 1 FROM person p WHERE p.login = t.login) "
			   "ORDER BY t.line RETURNING login) SELECT login FROM i",
			   add) != 0)
		goto out;
	/* People the file deactivates are signed out. */
	PGresult *r = PQexec(conn, "DELETE FROM session s USING person p, import_person t "
				   "WHERE s.person_id = p.id AND p.login = t.login AND NOT t.active");
	if (!db_ok(r)) {
		people_db_error("unable to import", r);
		PQclear(r);
		goto out;
	}
	int ended = atoi(PQcmdTuples(r));
	PQclear(r);
	*added = json_array_size(add);
	*updated = json_array_size(upd);
	json_t *detail = json_pack("{s:s, s:O, s:O, s:i, s:b, s:i}", "file", im->path, "added",
				   add, "updated", upd, "skipped_rows", (int)nbad, "partial",
				   partial, "sessions_ended", ended);
	if (!detail) /* a path that is not UTF-8 */
		detail = json_pack("{s:O, s:O, s:i, s:b, s:i}", "added", add, "updated", upd,
				   "skipped_rows", (int)nbad, "partial", partial, "sessions_ended",
				   ended);
	int a = audit_log(conn, 0, "user.import", NULL, detail);
	json_decref(detail);
	if (a != 0) {
		fprintf(stderr, "sokuho: unable to write the audit event; nothing was imported\n");
		goto out;
	}
	rc = 0;
out:
	json_decref(upd);
	json_decref(add);
	return rc;
}

static void import_release(struct import *im)
{
	for (size_t i = 0; i < im->nprobs; i++)
		free(im->probs[i].text);
	free(im->probs);
	for (size_t i = 0; i < im->nrows; i++)
		for (int c = 0; c < NCOLS; c++)
			free(im->rows[i].v[c]);
	free(im->rows);
	for (size_t i = 0; i < im->nunits; i++)
		free(im->units[i].code);
	free(im->units);
}

/* Forgets what a transaction attempt read (rows, units, their problems),
 * keeping the first nprobs problems (the header's). */
static void import_reset(struct import *im, size_t nprobs)
{
	for (size_t i = nprobs; i < im->nprobs; i++)
		free(im->probs[i].text);
	im->nprobs = nprobs;
	for (size_t i = 0; i < im->nrows; i++)
		for (int c = 0; c < NCOLS; c++)
			free(im->rows[i].v[c]);
	im->nrows = 0;
	for (size_t i = 0; i < im->nunits; i++)
		free(im->units[i].code);
	free(im->units);
	im->units = NULL;
	im->nunits = 0;
	im->example_section = NULL;
	im->unreadable = 0;
}

/* The import's transaction: the units looked up, the rows read and checked
 * against them, and unless rows are bad (without --partial) the good ones
 * written with the audit event. */
struct import_tx {
	struct import *im;
	struct csv_reader rd; /* after the header line */
	const int *map;
	size_t ncols;
	size_t nprobs0;
	int partial;
	size_t nbad, ngood, added, updated; /* out */
	int written;                         /* out */
};

static enum db_qs import_tx(PGconn *conn, void *arg, struct db_err *e)
{
	struct import_tx *t = arg;
	struct import *im = t->im;
	import_reset(im, t->nprobs0);
	t->nbad = t->ngood = t->added = t->updated = 0;
	t->written = 0;
	if (load_units(conn, im) != 0)
		return db_fail(conn, e, "the organisation could not be read");
	struct csv_reader rd = t->rd;
	read_rows(im, &rd, t->map, t->ncols);
	check_duplicates(im);
	for (size_t i = 0; i < im->nrows; i++) {
		if (im->rows[i].bad)
			t->nbad++;
		else
			t->ngood++;
	}
	t->nbad += im->unreadable;
	if (t->nbad > 0 && !t->partial)
		return DB_NONE; /* nothing written: the caller says why */
	if (t->ngood > 0 &&
	    write_rows(conn, im, t->nbad, t->partial, &t->added, &t->updated) != 0)
		return db_fail(conn, e, "the people could not be written");
	t->written = 1;
	return DB_OK;
}

int people_import(PGconn *conn, const char *path, const char *data, size_t len, int partial)
{
	struct import im;
	memset(&im, 0, sizeof im);
	im.path = path;
	int status = 1, header_ok = 0;
	enum db_qs qs = DB_NONE;
	struct import_tx t = {0};
	struct db_err e;
	struct csv_record hdr;
	csv_record_init(&hdr);
	int *map = NULL;
	char err[512];
	size_t nbad = 0, ngood = 0;

	int bad_line = first_bad_utf8_line(data, len);
	if (bad_line) {
		fprintf(stderr,
			"%s:%d: not valid UTF-8; save the file as UTF-8 (in Excel: \"CSV UTF-8 "
			"(comma delimited)\"), not Shift_JIS\n",
			path, bad_line);
		goto out;
	}
	struct csv_reader rd;
	csv_reader_init(&rd, data, len);
	int st;
	while ((st = csv_next(&rd, &hdr, err, sizeof err)) > 0 && csv_record_blank(&hdr))
		;
	if (st == 0) {
		fprintf(stderr, "%s: the file is empty; %s, on a header line\n", path,
			COLUMNS_EXPECTED);
		goto out;
	}
	if (st < 0) {
		fprintf(stderr, "%s:%d: %s\n", path, hdr.line, err);
		goto out;
	}
	map = xcalloc(hdr.nfields, sizeof *map);
	int present[NCOLS] = {0};
	if (read_header(&im, &hdr, map, present) != 0)
		goto report;

	t = (struct import_tx){&im, rd, map, hdr.nfields, im.nprobs, partial, 0, 0, 0, 0, 0};
	/* Not idempotent as a whole (the audit event): a COMMIT without an
	 * answer is reported. */
	qs = db_run_tx(conn, "people_import", 0, import_tx, &t, &e);
	header_ok = 1;
	nbad = t.nbad;
	ngood = t.ngood;
report:
	if (im.nprobs > 0)
		qsort(im.probs, im.nprobs, sizeof *im.probs, problem_cmp);
	for (size_t i = 0; i < im.nprobs; i++)
		fprintf(stderr, "%s:%d: %s\n", path, im.probs[i].line, im.probs[i].text);
	if (!header_ok) {
		fprintf(stderr, "sokuho: '%s': bad header line; nothing was imported\n", path);
		goto out;
	}
	if (qs < 0) {
		fprintf(stderr, "sokuho: '%s': %s; %s\n", path, e.msg,
			e.commit_unknown ? "the import may have been made: check with 'sokuho user "
					   "list'"
					 : "nothing was imported");
		goto out;
	}
	if (!t.written) {
		fprintf(stderr, "sokuho: '%s': %zu bad row%s; nothing was imported (fix %s", path,
			nbad, nbad == 1 ? "" : "s", nbad == 1 ? "it" : "them");
		if (ngood > 0)
			fprintf(stderr, ", or use --partial to import the %zu good row%s", ngood,
				ngood == 1 ? "" : "s");
		fprintf(stderr, ")\n");
		goto out;
	}
	size_t added = t.added, updated = t.updated;
	printf("imported %zu %s (%zu added, %zu updated)", added + updated,
	       added + updated == 1 ? "person" : "people", added, updated);
	if (nbad > 0)
		printf("; %zu bad row%s skipped (--partial), see the messages above", nbad,
		       nbad == 1 ? " was" : "s were");
	printf("\n");
	status = nbad > 0 ? 1 : 0;
out:
	free(map);
	csv_record_release(&hdr);
	import_release(&im);
	return status;
}
