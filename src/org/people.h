/* People: the checks every way of adding or changing a person shares (the
 * command line, the CSV import, later the web pages), and the small database
 * helpers of the people commands. The checks mirror the CHECK constraints of
 * sql/0002_people.sql, so that people get a message naming the field instead
 * of a constraint name. */
#ifndef SOKUHO_PEOPLE_H
#define SOKUHO_PEOPLE_H

#include <libpq-fe.h>
#include <stddef.h>

#include "core/config.h"

#define PEOPLE_NAME_MAX_CHARS 200
#define PEOPLE_EMAIL_MAX_BYTES 254

/* Each check returns 0 when s is acceptable, or -1 after writing into why
 * what is wrong and what is expected (without the value itself), e.g.
 * "has no @; expected an address like name@city.example.jp". */
int people_check_login(const char *s, char *why, size_t whylen);
int people_check_email(const char *s, char *why, size_t whylen);
int people_check_name(const char *s, char *why, size_t whylen);
int people_check_kind(const char *s, char *why, size_t whylen);
int people_check_lang(const char *s, char *why, size_t whylen);
/* Parses true/false, 1/0, yes/no (any case) into *out. */
int people_parse_bool(const char *s, int *out, char *why, size_t whylen);

/* Columns a UTF-8 string takes in a terminal (East Asian wide characters
 * count two), for aligning tables of Japanese names. */
size_t people_display_width(const char *s);
/* Prints s left-aligned in a column of width terminal columns. */
void people_print_padded(const char *s, size_t width);

/* Copies s into out for a message: control characters become \n, \t or
 * \xNN, and a long value is cut with "...". Returns out. */
const char *people_quote_value(const char *s, char *out, size_t outlen);

/* Connects for a people command: UTF-8 client encoding, and a refusal with
 * the reason printed when the schema is not up to date. Returns NULL after
 * printing a message ("sokuho: ...") to stderr. */
PGconn *people_connect(const struct config *cfg);

/* Runs sql (no parameters, no results wanted); prints PostgreSQL's error
 * and returns -1 on failure. */
int people_exec(PGconn *conn, const char *sql);
/* Prints "sokuho: what: <PostgreSQL's message>" for a failed result. */
void people_db_error(const char *what, const PGresult *res);

/* Looks up a person by login: returns the id (> 0), 0 after printing
 * "sokuho: no person with login '...'", or -1 after a database error. When
 * active is not NULL it receives person.active. */
int people_find(PGconn *conn, const char *login, int *active);

/* Looks up an org_unit by code: returns its id (> 0), or 0 and a message in
 * why when it does not exist, is not of kind ("department" or "section"), or
 * is closed; -1 on a database error (printed). */
int people_find_unit(PGconn *conn, const char *code, const char *kind, char *why,
		     size_t whylen);

#endif
