/* Checks on people's fields and the database helpers of the people commands
 * (see people.h). */
#include "people.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/utf8.h"
#include "db/db.h"
#include "db/migrate.h"

#define LOGIN_EXPECTED                                                                     \
	"expected 2 to 64 characters: lower-case letters a-z, digits, '.', '_' or '-', "   \
	"starting with a letter or digit"
#define EMAIL_EXPECTED "expected one address like name@city.example.jp"

int people_check_login(const char *s, char *why, size_t whylen)
{
	size_t n = strlen(s);
	if (n == 0) {
		snprintf(why, whylen, "is empty; %s", LOGIN_EXPECTED);
		return -1;
	}
	for (const char *p = s; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c >= 'A' && c <= 'Z') {
			snprintf(why, whylen, "has upper-case letters; logins are lower-case, %s",
				 LOGIN_EXPECTED);
			return -1;
		}
		int ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
			 (p > s && (c == '.' || c == '_' || c == '-'));
		if (!ok) {
			if (p == s && (c == '.' || c == '_' || c == '-'))
				snprintf(why, whylen, "starts with '%c'; %s", c, LOGIN_EXPECTED);
			else if (c < 0x20 || c == 0x7f)
				snprintf(why, whylen, "has a control character; %s", LOGIN_EXPECTED);
			else if (c == ' ')
				snprintf(why, whylen, "has a space; %s", LOGIN_EXPECTED);
			else if (c >= 0x80)
				snprintf(why, whylen, "has a non-ASCII character; %s", LOGIN_EXPECTED);
			else
				snprintf(why, whylen, "has the character '%c'; %s", c, LOGIN_EXPECTED);
			return -1;
		}
	}
	if (n < 2 || n > 64) {
		snprintf(why, whylen, "is %zu character%s long; %s", n, n == 1 ? "" : "s",
			 LOGIN_EXPECTED);
		return -1;
	}
	return 0;
}

int people_check_email(const char *s, char *why, size_t whylen)
{
	size_t n = strlen(s);
	if (n == 0) {
		snprintf(why, whylen, "is empty; %s", EMAIL_EXPECTED);
		return -1;
	}
	if (n > PEOPLE_EMAIL_MAX_BYTES) {
		snprintf(why, whylen, "is longer than %d bytes; %s", PEOPLE_EMAIL_MAX_BYTES,
			 EMAIL_EXPECTED);
		return -1;
	}
	int ats = 0;
	const char *at = NULL;
	for (const char *p = s; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c == '\r' || c == '\n') {
			snprintf(why, whylen, "has a line break; %s", EMAIL_EXPECTED);
			return -1;
		}
		if (c == ' ' || c == '\t') {
			snprintf(why, whylen, "has a space; %s", EMAIL_EXPECTED);
			return -1;
		}
		if (c < 0x20 || c == 0x7f) {
			snprintf(why, whylen, "has a control character; %s", EMAIL_EXPECTED);
			return -1;
		}
		if (c >= 0x80) {
			/* Usually a full-width ＠ or letter typed with a Japanese IME,
			 * or an ideographic space. */
			snprintf(why, whylen,
				 "has a non-ASCII character (a full-width letter, ＠ or space?); %s",
				 EMAIL_EXPECTED);
			return -1;
		}
		if (c == '@') {
			ats++;
			at = p;
		}
	}
	if (ats == 0) {
		snprintf(why, whylen, "has no @; %s", EMAIL_EXPECTED);
		return -1;
	}
	if (ats > 1) {
		snprintf(why, whylen, "has more than one @; %s", EMAIL_EXPECTED);
		return -1;
	}
	if (at == s || at[1] == '\0') {
		snprintf(why, whylen, "has nothing %s the @; %s", at == s ? "before" : "after",
			 EMAIL_EXPECTED);
		return -1;
	}
	return 0;
}

int people_check_name(const char *s, char *why, size_t whylen)
{
	size_t n = strlen(s);
	if (n == 0) {
		snprintf(why, whylen, "is empty; expected the person's name, e.g. 山田 太郎");
		return -1;
	}
	if (!utf8_valid(s, n)) {
		snprintf(why, whylen, "is not valid UTF-8; expected text in UTF-8");
		return -1;
	}
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		/* C0 controls, DEL, and the C1 controls U+0080..U+009F. */
		if (*p < 0x20 || *p == 0x7f || (p[0] == 0xC2 && p[1] >= 0x80 && p[1] <= 0x9F)) {
			snprintf(why, whylen,
				 "has a line break or another control character; expected a name "
				 "on one line");
			return -1;
		}
	}
	size_t chars = utf8_chars(s);
	if (chars > PEOPLE_NAME_MAX_CHARS) {
		snprintf(why, whylen, "is %zu characters long; expected at most %d", chars,
			 PEOPLE_NAME_MAX_CHARS);
		return -1;
	}
	return 0;
}

int people_check_kind(const char *s, char *why, size_t whylen)
{
	if (strcmp(s, "staff") == 0 || strcmp(s, "contractor") == 0 || strcmp(s, "service") == 0)
		return 0;
	snprintf(why, whylen, "is not a kind of person; expected staff, contractor or service");
	return -1;
}

int people_check_lang(const char *s, char *why, size_t whylen)
{
	if (strcmp(s, "ja") == 0 || strcmp(s, "en") == 0)
		return 0;
	snprintf(why, whylen, "is not a supported language; expected ja or en");
	return -1;
}

int people_parse_bool(const char *s, int *out, char *why, size_t whylen)
{
	static const char *const yes[] = {"true", "1", "yes", "t", "y"};
	static const char *const no[] = {"false", "0", "no", "f", "n"};
	for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = 1;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = 0;
			return 0;
		}
	}
	snprintf(why, whylen, "is not a yes/no value; expected true, false, 1, 0, yes or no");
	return -1;
}

static int wide(unsigned cp)
{
	return (cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0x303E) ||
	       (cp >= 0x3041 && cp <= 0x33FF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
	       (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0xA000 && cp <= 0xA4CF) ||
	       (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0xF900 && cp <= 0xFAFF) ||
	       (cp >= 0xFE30 && cp <= 0xFE4F) || (cp >= 0xFF00 && cp <= 0xFF60) ||
	       (cp >= 0xFFE0 && cp <= 0xFFE6) || (cp >= 0x20000 && cp <= 0x3FFFD);
}

size_t people_display_width(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len = strlen(s), w = 0;
	while (len > 0) {
		uint32_t cp;
		size_t n = utf8_decode(p, len, &cp);
		if (n == 0) {
			n = 1;
			cp = '?';
		}
		w += wide(cp) ? 2 : 1;
		p += n;
		len -= n;
	}
	return w;
}

void people_print_padded(const char *s, size_t width)
{
	size_t w = people_display_width(s);
	fputs(s, stdout);
	for (; w < width; w++)
		putchar(' ');
}

const char *people_quote_value(const char *s, char *out, size_t outlen)
{
	size_t o = 0;
	const size_t limit = outlen > 8 ? outlen - 8 : 0; /* room for "..." and NUL */
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		char tmp[8];
		size_t n, step = 1;
		if (*p == '\n') {
			n = (size_t)snprintf(tmp, sizeof tmp, "\\n");
		} else if (*p == '\r') {
			n = (size_t)snprintf(tmp, sizeof tmp, "\\r");
		} else if (*p == '\t') {
			n = (size_t)snprintf(tmp, sizeof tmp, "\\t");
		} else if (*p < 0x20 || *p == 0x7f) {
			n = (size_t)snprintf(tmp, sizeof tmp, "\\x%02x", *p);
		} else {
			/* a whole UTF-8 character, so that a cut never splits one */
			while (step < 4 && (p[step] & 0xC0) == 0x80)
				step++;
			memcpy(tmp, p, step);
			n = step;
		}
		if (o + n > limit) {
			if (limit >= 3) {
				memcpy(out + o, "...", 3);
				o += 3;
			}
			break;
		}
		memcpy(out + o, tmp, n);
		o += n;
		p += step;
	}
	if (outlen > 0)
		out[o < outlen ? o : outlen - 1] = '\0';
	return out;
}

void people_db_error(const char *what, const PGresult *res)
{
	const char *m = res ? PQresultErrorMessage(res) : "no result";
	size_t n = strlen(m);
	while (n && (m[n - 1] == '\n' || m[n - 1] == ' '))
		n--;
	fprintf(stderr, "sokuho: %s: %.*s\n", what, (int)n, m);
}

int people_exec(PGconn *conn, const char *sql)
{
	PGresult *r = PQexec(conn, sql);
	int ok = db_ok(r);
	if (!ok)
		people_db_error("database error", r);
	PQclear(r);
	return ok ? 0 : -1;
}

PGconn *people_connect(const struct config *cfg)
{
	char err[2048];
	PGconn *c = db_connect(cfg->database_url, err, sizeof err);
	if (!c) {
		fprintf(stderr, "sokuho: %s\n", err);
		return NULL;
	}
	if (PQsetClientEncoding(c, "UTF8") != 0) {
		fprintf(stderr, "sokuho: unable to use UTF-8 with the database: %s",
			PQerrorMessage(c));
		PQfinish(c);
		return NULL;
	}
	int pending = migrate_pending(c, cfg->sql_dir, err, sizeof err);
	if (pending > 0) {
		fprintf(stderr,
			"sokuho: the database schema is not up to date (%d migration%s pending); "
			"run 'sokuho migrate' first\n",
			pending, pending == 1 ? "" : "s");
		PQfinish(c);
		return NULL;
	}
	if (pending < 0) {
		/* The migrations folder may be elsewhere when run from another
		 * directory; the tables are what matters. */
		PGresult *r = PQexec(c, "SELECT to_regclass('person') IS NOT NULL "
					"AND to_regclass('common_password') IS NOT NULL");
		int have = db_ok(r) && PQntuples(r) == 1 && PQgetvalue(r, 0, 0)[0] == 't';
		PQclear(r);
		if (!have) {
			fprintf(stderr, "sokuho: the database has no people tables; run 'sokuho "
					"migrate' first\n");
			PQfinish(c);
			return NULL;
		}
	}
	return c;
}

int people_find(PGconn *conn, const char *login, int *active)
{
	const char *params[1] = {login};
	PGresult *r = PQexecParams(conn, "SELECT id, active FROM person WHERE login = $1", 1,
				   NULL, params, NULL, NULL, 0);
	if (!db_ok(r)) {
		people_db_error("database error", r);
		PQclear(r);
		return -1;
	}
	int id = 0;
	if (PQntuples(r) == 1) {
		id = atoi(PQgetvalue(r, 0, 0));
		if (active)
			*active = PQgetvalue(r, 0, 1)[0] == 't';
	} else {
		char q[160];
		fprintf(stderr, "sokuho: no person with login '%s'\n",
			people_quote_value(login, q, sizeof q));
	}
	PQclear(r);
	return id;
}

int people_find_unit(PGconn *conn, const char *code, const char *kind, char *why,
		     size_t whylen)
{
	const char *params[1] = {code};
	PGresult *r = PQexecParams(conn, "SELECT id, kind, active FROM org_unit WHERE code = $1",
				   1, NULL, params, NULL, NULL, 0);
	if (!db_ok(r)) {
		people_db_error("database error", r);
		PQclear(r);
		return -1;
	}
	char q[160];
	people_quote_value(code, q, sizeof q);
	int id = 0;
	if (PQntuples(r) == 0)
		snprintf(why, whylen, "no %s with code '%s'", kind, q);
	else if (strcmp(PQgetvalue(r, 0, 1), kind) != 0)
		snprintf(why, whylen, "'%s' is a %s, not a %s", q, PQgetvalue(r, 0, 1), kind);
	else if (PQgetvalue(r, 0, 2)[0] != 't')
		snprintf(why, whylen, "%s '%s' is closed", kind, q);
	else
		id = atoi(PQgetvalue(r, 0, 0));
	PQclear(r);
	return id;
}
