/* `sokuho user ...` and `sokuho demo`: the command line of the people
 * commands. Argument checks that need no database end in exit status 2 (bad
 * usage); anything the database refuses, or a password that fails the
 * policy, in 1. Every change is one transaction with its audit event. */
#include "user.h"

#include <errno.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "auth/password.h"
#include "core/buf.h"
#include "core/file.h"
#include "core/options.h"
#include "core/xalloc.h"
#include "db/db.h"
#include "org/absence.h"
#include "org/accounts.h"
#include "org/demo.h"
#include "org/import.h"
#include "org/people.h"
#include "org/roles.h"
#include "tmpl/i18n.h"

struct subcmd {
	const char *name;
	int (*run)(struct config *cfg, const struct subcmd *sc, int argc, char **argv);
	const char *usage;
	const char *help;
};

static int user_add(struct config *cfg, const struct subcmd *sc, int argc, char **argv);
static int user_import(struct config *cfg, const struct subcmd *sc, int argc, char **argv);
static int user_role(struct config *cfg, const struct subcmd *sc, int argc, char **argv);
static int user_passwd(struct config *cfg, const struct subcmd *sc, int argc, char **argv);
static int user_active(struct config *cfg, const struct subcmd *sc, int argc, char **argv);
static int user_list(struct config *cfg, const struct subcmd *sc, int argc, char **argv);
static int user_absence(struct config *cfg, const struct subcmd *sc, int argc, char **argv);

static const struct subcmd subcmds[] = {
	{"add", user_add,
	 "sokuho user add --login LOGIN --name NAME --email EMAIL [--section CODE]\n"
	 "                [--kind staff|contractor|service] [--lang ja|en] [--password-stdin]",
	 "Adds one person. LOGIN is 2-64 lower-case letters, digits, '.', '_' or '-';\n"
	 "NAME is the display name (山田 太郎); CODE is the code of an existing section.\n"
	 "Defaults: --kind staff, --lang ja. A service account (--kind service) is for\n"
	 "an integration: it cannot sign in, holds no role, and only its own API tokens\n"
	 "with the file scope act as it (see /admin/tokens).\n"
	 "With --password-stdin the first line of\n"
	 "standard input is the password (at least 12 characters, not a common one,\n"
	 "not containing the login); without it the person cannot sign in until\n"
	 "'sokuho user passwd LOGIN'."},
	{"import", user_import, "sokuho user import FILE.csv [--partial]",
	 "Adds or updates people from the city's staff list, by login. FILE is CSV\n"
	 "(RFC 4180, UTF-8, CRLF or LF) with a header line naming the columns, in any\n"
	 "order:\n"
	 "  login, display_name, email, section   required\n"
	 "  kind (staff|contractor), lang (ja|en), active (true/false, 1/0, yes/no)\n"
	 "                                        optional: staff, ja, true\n"
	 "An empty section means none. People not in the file are left alone. Every\n"
	 "row is checked first; any bad row is reported as FILE:LINE: field '...': ...\n"
	 "and nothing is imported, unless --partial is given: then the good rows are\n"
	 "imported, the bad ones reported, and the exit status is still 1. Imported\n"
	 "people have no password until 'sokuho user passwd LOGIN'. FILE - reads\n"
	 "standard input."},
	{"role", user_role,
	 "sokuho user role grant|revoke LOGIN ROLE [--scope SCOPE] [--deputy N]\n"
	 "                [--from YYYY-MM-DD] [--to YYYY-MM-DD]",
	 "Grants or revokes a role. ROLE is one of ciso, chief_security_officer,\n"
	 "security_officer, security_manager, system_manager, csirt, auditor, admin.\n"
	 "SCOPE is city (the default), department:CODE, section:CODE or system:CODE.\n"
	 "N is the deputy rank: 0 the holder (default), 1 the first deputy, up to 9.\n"
	 "--from (default today) and --to (default open-ended) bound a grant, in\n"
	 "city time. revoke removes the person's assignments of that role, scope and\n"
	 "deputy rank, and fails when there is none."},
	{"passwd", user_passwd, "sokuho user passwd LOGIN [--password-stdin]",
	 "Sets a person's password and signs them out everywhere. Asks twice on the\n"
	 "terminal, without echo; with --password-stdin reads the first line of\n"
	 "standard input instead. The password needs at least 12 characters, must\n"
	 "not be a commonly used one and must not contain the login."},
	{"deactivate", user_active, "sokuho user deactivate LOGIN",
	 "Marks the person inactive: they cannot sign in, are signed out, and are\n"
	 "skipped when roles are resolved (their deputies step in)."},
	{"activate", user_active, "sokuho user activate LOGIN",
	 "Marks a deactivated person active again."},
	{"list", user_list, "sokuho user list",
	 "Prints every person: login, name, section, kind, whether active, and the\n"
	 "roles held now or later (deputy ranks and dates shown)."},
	{"absence", user_absence,
	 "sokuho user absence add LOGIN --kind leave|trip|training --from YYYY-MM-DD\n"
	 "                [--to YYYY-MM-DD] [--note TEXT]\n"
	 "       sokuho user absence list [LOGIN]\n"
	 "       sokuho user absence remove LOGIN ID",
	 "Records that a person is away (不在): on leave (休暇), on a business trip\n"
	 "(出張) or in training (研修), from the first day to the last (both counted,\n"
	 "city dates; --to defaults to --from). While away, the person is skipped\n"
	 "when whom to tell is resolved: a ladder's rung goes to the deputy and the\n"
	 "mail says for whom they act. Who may see or act on an incident does not\n"
	 "change. list prints the absences that end today or later (ID, login,\n"
	 "kind, dates, note); remove deletes one by its ID."},
};

#define NSUBCMDS (sizeof subcmds / sizeof subcmds[0])

static const char common_options[] =
	"Options common to all commands:\n"
	"  --config FILE   read configuration from FILE (also SOKUHO_CONFIG)\n"
	"  --KEY VALUE     set a configuration key, e.g. --database-url URL\n"
	"  --help          show this help\n";

static void user_usage(FILE *out)
{
	fprintf(out, "usage: sokuho user COMMAND ...\n\n"
		     "Manages people, role assignments and passwords.\n\n");
	for (size_t i = 0; i < NSUBCMDS; i++)
		if (strcmp(subcmds[i].name, "activate") != 0)
			fprintf(out, "  %s\n",
				strcmp(subcmds[i].name, "deactivate") == 0
					? "sokuho user deactivate|activate LOGIN"
					: subcmds[i].usage);
	fprintf(out, "\n'sokuho user COMMAND --help' describes a command.\n\n%s",
		common_options);
}

static void sub_usage(const struct subcmd *sc)
{
	printf("usage: %s\n\n%s\n\n%s", sc->usage, sc->help, common_options);
}

/* Parses a subcommand's options. Returns -1 to go on, or the exit status:
 * 0 when help was printed, 2 after a message. *npos gets the number of
 * positional arguments, the first maxpos of them (pointers into argv) pos. */
static int parse(struct config *cfg, const struct subcmd *sc, int argc, char **argv,
		 const char *const *extra, const char **vals, const char **pos, int maxpos,
		 int *npos)
{
	char **all = xcalloc((size_t)argc + 1, sizeof *all);
	int rc = options_parse(cfg, argc, argv, all, npos, extra, vals);
	for (int i = 0; i < maxpos; i++)
		pos[i] = rc == 0 && i < *npos ? all[i] : NULL;
	free(all);
	if (rc == 1) {
		sub_usage(sc);
		return 0;
	}
	return rc == 0 ? -1 : 2;
}

static int bad_usage(const struct subcmd *sc, const char *msg)
{
	fprintf(stderr, "sokuho: user %s: %s (see 'sokuho user %s --help')\n", sc->name, msg,
		sc->name);
	return 2;
}

/* "sokuho: --email: 'x y' has a space; expected ..." */
static int bad_value(const char *option, const char *value, const char *why)
{
	char q[160];
	if (*value)
		fprintf(stderr, "sokuho: --%s: '%s' %s\n", option,
			people_quote_value(value, q, sizeof q), why);
	else
		fprintf(stderr, "sokuho: --%s: the value %s\n", option, why);
	return 2;
}

/* Passwords ----------------------------------------------------------- */

static struct termios saved_termios;
static volatile sig_atomic_t echo_off;

static void restore_echo(int sig)
{
	if (echo_off)
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_termios);
	signal(sig, SIG_DFL);
	raise(sig);
}

/* Reads one line from standard input without stdio, so that no copy of
 * the password stays in a stdio buffer. Strips CRLF or LF. Returns 0, or -1
 * after a message. */
static int read_password_line(char *out, size_t outlen)
{
	size_t n = 0;
	int too_long = 0, got = 0;
	for (;;) {
		char c;
		ssize_t r = read(STDIN_FILENO, &c, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			fprintf(stderr, "sokuho: unable to read the password: %s\n",
				strerror(errno));
			return -1;
		}
		if (r == 0 || c == '\n')
			break;
		got = 1;
		if (c == '\0') {
			fprintf(stderr, "sokuho: the password has a NUL byte\n");
			return -1;
		}
		if (n + 1 < outlen)
			out[n++] = c;
		else
			too_long = 1;
	}
	if (n > 0 && out[n - 1] == '\r')
		n--;
	out[n] = '\0';
	if (too_long) {
		fprintf(stderr, "sokuho: the password is too long (at most %d bytes)\n",
			PASSWORD_MAX_BYTES);
		return -1;
	}
	if (!got || n == 0) {
		fprintf(stderr, "sokuho: no password on standard input; expected it on the "
				"first line\n");
		return -1;
	}
	return 0;
}

/* Asks on the terminal with echo off. */
static int prompt_password(const char *prompt, char *out, size_t outlen)
{
	if (tcgetattr(STDIN_FILENO, &saved_termios) != 0) {
		fprintf(stderr, "sokuho: unable to turn off echo: %s\n", strerror(errno));
		return -1;
	}
	struct termios quiet = saved_termios;
	quiet.c_lflag &= ~(tcflag_t)ECHO;
	struct sigaction sa, old[4];
	static const int sigs[4] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = restore_echo;
	for (int i = 0; i < 4; i++)
		sigaction(sigs[i], &sa, &old[i]);
	fputs(prompt, stderr);
	fflush(stderr);
	echo_off = 1;
	tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
	int rc = read_password_line(out, outlen);
	tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_termios);
	echo_off = 0;
	for (int i = 0; i < 4; i++)
		sigaction(sigs[i], &old[i], NULL);
	fputc('\n', stderr);
	return rc;
}

/* The new password, from standard input (from_stdin) or asked twice on the
 * terminal. pw has room for PASSWORD_MAX_BYTES + 2. */
static int get_password(const char *login, int from_stdin, char *pw, size_t pwlen)
{
	if (from_stdin)
		return read_password_line(pw, pwlen);
	char again[PASSWORD_MAX_BYTES + 2];
	char prompt[200];
	snprintf(prompt, sizeof prompt, "新しいパスワード / new password for '%s': ", login);
	int rc = prompt_password(prompt, pw, pwlen);
	if (rc == 0)
		rc = prompt_password("もう一度 / the same again: ", again, sizeof again);
	if (rc == 0 && strcmp(pw, again) != 0) {
		fprintf(stderr, "sokuho: the two passwords differ; nothing was changed\n");
		rc = -1;
	}
	sodium_memzero(again, sizeof again);
	return rc;
}

/* A message of the domain layers (tmpl/i18n.h) in English, from the label
 * catalog of the configured templates (the key itself when it cannot be
 * read). Caller frees. */
static char *english(const struct config *cfg, const json_t *msg)
{
	char err[256];
	struct i18n *cat = i18n_load(cfg->templates_dir, err, sizeof err);
	json_t *text = i18n_render(cat, "en", msg);
	char *out = xstrdup(json_string_value(text));
	json_decref(text);
	i18n_free(cat);
	return out;
}

/* Checks the policy and hashes. Returns 0, or 1 after a message. */
static int check_and_hash(const struct config *cfg, PGconn *conn, const char *login,
			  const char *pw, char hash[PASSWORD_HASH_MAX])
{
	const char *why = password_policy(conn, pw, login);
	if (why) {
		/* the policy's message in English, from the label catalog */
		json_t *msg = json_string(why);
		char *text = english(cfg, msg);
		fprintf(stderr, "sokuho: password for '%s' refused: %s\n", login, text);
		free(text);
		json_decref(msg);
		return 1;
	}
	if (password_hash(pw, hash) != 0) {
		fprintf(stderr, "sokuho: unable to hash the password (out of memory)\n");
		return 1;
	}
	return 0;
}

/* The command line's changes are audited with no actor (the operator). */
static const struct account_actor cli_actor = {0, NULL};

/* Reports a failed change of accounts.h ("unable to WHAT: cause"); 0 when qs
 * is a success. */
static int account_cli(enum db_qs qs, const struct db_err *e, const char *what)
{
	if (qs >= 0)
		return 0;
	fprintf(stderr, "sokuho: unable to %s: %s%s\n", what, e->msg,
		e->commit_unknown ? " (the change may have been made: check with 'sokuho user "
				    "list')"
				  : "; nothing was changed");
	return 1;
}

/* Ends a command's connection and passes the status through. */
static int finish(PGconn *conn, int status)
{
	if (conn)
		PQfinish(conn);
	return status;
}

/* Connects and looks up the person: the id (> 0), or 0 or -1 after a
 * message. *conn is NULL when connecting failed. */
static int connect_find(struct config *cfg, const char *login, PGconn **conn, int *active)
{
	*conn = people_connect(cfg);
	return *conn ? people_find(*conn, login, active) : 0;
}

/* sokuho user add ----------------------------------------------------- */

static char *trim_dup(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	return xstrndup(s, n);
}

static int user_add(struct config *cfg, const struct subcmd *sc, int argc, char **argv)
{
	static const char *const extra[] = {"login", "name",    "email",           "section",
					    "kind",  "lang",    "password_stdin?", NULL};
	enum { LOGIN, NAME, EMAIL, SECTION, KIND, LANG, PWSTDIN };
	const char *v[7] = {NULL};
	int npos, status = parse(cfg, sc, argc, argv, extra, v, NULL, 0, &npos);
	if (status >= 0)
		return status;
	if (npos > 0)
		return bad_usage(sc, "takes no arguments, only options");
	for (int i = LOGIN; i <= EMAIL; i++) {
		if (!v[i]) {
			char msg[64];
			snprintf(msg, sizeof msg, "--%s is required", extra[i]);
			return bad_usage(sc, msg);
		}
	}
	const char *kind = v[KIND] ? v[KIND] : "staff", *lang = v[LANG] ? v[LANG] : "ja";
	char why[512];
	if (people_check_login(v[LOGIN], why, sizeof why) != 0)
		return bad_value("login", v[LOGIN], why);
	char *name = trim_dup(v[NAME]);
	status = people_check_name(name, why, sizeof why);
	if (status != 0) {
		bad_value("name", v[NAME], why);
		free(name);
		return 2;
	}
	if (people_check_email(v[EMAIL], why, sizeof why) != 0) {
		free(name);
		return bad_value("email", v[EMAIL], why);
	}
	if (people_check_kind(kind, why, sizeof why) != 0) {
		free(name);
		return bad_value("kind", kind, why);
	}
	if (people_check_lang(lang, why, sizeof why) != 0) {
		free(name);
		return bad_value("lang", lang, why);
	}
	if (strcmp(kind, "service") == 0 && v[PWSTDIN]) {
		free(name);
		return bad_usage(sc, "a service account (--kind service) cannot sign in: it takes no "
				     "--password-stdin");
	}

	status = 1;
	char pw[PASSWORD_MAX_BYTES + 2], hash[PASSWORD_HASH_MAX];
	int have_pw = v[PWSTDIN] != NULL;
	PGconn *conn = NULL;
	PGresult *r = NULL;
	if (have_pw && read_password_line(pw, sizeof pw) != 0)
		goto out;
	conn = people_connect(cfg);
	if (!conn)
		goto out;
	int section_id = 0;
	if (v[SECTION] && *v[SECTION]) {
		section_id = people_find_unit(conn, v[SECTION], "section", why, sizeof why);
		if (section_id == 0)
			fprintf(stderr, "sokuho: --section: %s\n", why);
		if (section_id <= 0)
			goto out;
	}
	const char *lp[1] = {v[LOGIN]};
	r = PQexecParams(conn, "SELECT display_name, email FROM person WHERE login = $1", 1,
			 NULL, lp, NULL, NULL, 0);
	if (!db_ok(r)) {
		people_db_error("database error", r);
		goto out;
	}
	if (PQntuples(r) > 0) {
		fprintf(stderr,
			"sokuho: login '%s' is already taken (by %s <%s>); choose another login\n",
			v[LOGIN], PQgetvalue(r, 0, 0), PQgetvalue(r, 0, 1));
		goto out;
	}
	PQclear(r);
	r = NULL;
	if (have_pw && check_and_hash(cfg, conn, v[LOGIN], pw, hash) != 0)
		goto out;

	struct account_new p = {v[LOGIN], name, v[EMAIL], section_id ? v[SECTION] : NULL,
				kind,     lang, have_pw ? hash : NULL};
	struct account_result res;
	struct db_err e;
	if (account_cli(account_add(conn, &cli_actor, &p, &res, &e), &e, "add the person") != 0)
		goto out;
	if (!res.changed) {
		fprintf(stderr, "sokuho: login '%s' is already taken; choose another login\n",
			v[LOGIN]);
		goto out;
	}
	printf("added '%s' (%s)\n", v[LOGIN], name);
	if (!have_pw)
		printf("'%s' has no password yet and cannot sign in; set one with 'sokuho user "
		       "passwd %s'\n",
		       v[LOGIN], v[LOGIN]);
	status = 0;
out:
	sodium_memzero(pw, sizeof pw);
	sodium_memzero(hash, sizeof hash);
	PQclear(r);
	free(name);
	return finish(conn, status);
}

/* sokuho user import -------------------------------------------------- */

static char *read_all(const char *path, size_t *len)
{
	buf b = BUF_INIT;
	if (file_read_all(path, 0, &b) != FILE_OK) {
		buf_release(&b);
		return NULL;
	}
	return buf_detach(&b, len);
}

static int user_import(struct config *cfg, const struct subcmd *sc, int argc, char **argv)
{
	static const char *const extra[] = {"partial?", NULL};
	const char *v[1] = {NULL}, *path;
	int npos, status = parse(cfg, sc, argc, argv, extra, v, &path, 1, &npos);
	if (status >= 0)
		return status;
	if (npos != 1)
		return bad_usage(sc, npos == 0 ? "expected the CSV file" : "expected one file");
	size_t len;
	char *data = read_all(path, &len);
	if (!data) {
		fprintf(stderr, "sokuho: unable to read '%s': %s\n", path, strerror(errno));
		return 1;
	}
	PGconn *conn = people_connect(cfg);
	status = 1;
	if (conn) {
		status = people_import(conn, strcmp(path, "-") == 0 ? "stdin" : path, data, len,
				       v[0] != NULL);
		PQfinish(conn);
	}
	free(data);
	return status;
}

/* sokuho user role ---------------------------------------------------- */

static int user_role(struct config *cfg, const struct subcmd *sc, int argc, char **argv)
{
	static const char *const extra[] = {"scope", "deputy", "from", "to", NULL};
	const char *v[4] = {NULL}, *pos[3];
	int npos, status = parse(cfg, sc, argc, argv, extra, v, pos, 3, &npos);
	if (status >= 0)
		return status;
	struct role_change rc;
	memset(&rc, 0, sizeof rc);
	int grant = 0;
	if (npos == 3 && (strcmp(pos[0], "grant") == 0 || strcmp(pos[0], "revoke") == 0)) {
		grant = strcmp(pos[0], "grant") == 0;
		rc.login = pos[1];
		rc.role = pos[2];
	}
	if (!rc.login)
		return bad_usage(sc, "expected grant or revoke, then LOGIN and ROLE");
	char why[512];
	if (role_scope_parse(v[0], &rc.scope, why, sizeof why) != 0)
		return bad_value("scope", v[0], why);
	if (v[1]) {
		const char *d = v[1];
		if (!(d[0] >= '0' && d[0] <= '9' && d[1] == '\0'))
			return bad_value("deputy", d,
					 "is not a deputy rank; expected 0 (the holder) to 9");
		rc.deputy = d[0] - '0';
	}
	if (!grant && (v[2] || v[3]))
		return bad_usage(sc, "--from and --to apply to grant only; revoke removes the "
				     "assignments of that role, scope and deputy rank");
	if (v[2] && role_check_date(v[2], why, sizeof why) != 0)
		return bad_value("from", v[2], why);
	if (v[3] && role_check_date(v[3], why, sizeof why) != 0)
		return bad_value("to", v[3], why);
	rc.valid_from = v[2];
	rc.valid_to = v[3];
	PGconn *conn = people_connect(cfg);
	if (!conn)
		return 1;
	status = grant ? role_grant(conn, &rc) : role_revoke(conn, &rc);
	PQfinish(conn);
	return status;
}

/* sokuho user passwd -------------------------------------------------- */

static int user_passwd(struct config *cfg, const struct subcmd *sc, int argc, char **argv)
{
	static const char *const extra[] = {"password_stdin?", NULL};
	const char *v[1] = {NULL}, *login;
	int npos, status = parse(cfg, sc, argc, argv, extra, v, &login, 1, &npos);
	if (status >= 0)
		return status;
	if (npos != 1)
		return bad_usage(sc, "expected one LOGIN");
	int from_stdin = v[0] != NULL;
	if (!from_stdin && !isatty(STDIN_FILENO)) {
		fprintf(stderr, "sokuho: standard input is not a terminal; use --password-stdin "
				"to read the password from it\n");
		return 2;
	}
	status = 1;
	char pw[PASSWORD_MAX_BYTES + 2], hash[PASSWORD_HASH_MAX];
	pw[0] = '\0';
	hash[0] = '\0';
	PGconn *conn;
	int active = 1, ended = 0;
	int id = connect_find(cfg, login, &conn, &active);
	if (id <= 0)
		goto out;
	if (get_password(login, from_stdin, pw, sizeof pw) != 0 ||
	    check_and_hash(cfg, conn, login, pw, hash) != 0)
		goto out;
	struct account_result res;
	struct db_err e;
	if (account_cli(account_set_password(conn, &cli_actor, login, hash, &res, &e), &e,
			"set the password") != 0)
		goto out;
	ended = res.sessions_ended;
	printf("password set for '%s'; %d session%s ended\n", login, ended,
	       ended == 1 ? "" : "s");
	if (!active)
		printf("note: '%s' is deactivated and cannot sign in until 'sokuho user "
		       "activate %s'\n",
		       login, login);
	status = 0;
out:
	sodium_memzero(pw, sizeof pw);
	sodium_memzero(hash, sizeof hash);
	return finish(conn, status);
}

/* sokuho user deactivate|activate ------------------------------------- */

static int user_active(struct config *cfg, const struct subcmd *sc, int argc, char **argv)
{
	const char *login;
	int npos, status = parse(cfg, sc, argc, argv, NULL, NULL, &login, 1, &npos);
	if (status >= 0)
		return status;
	if (npos != 1)
		return bad_usage(sc, "expected one LOGIN");
	int activate = strcmp(sc->name, "activate") == 0;
	PGconn *conn;
	int active = 0, ended = 0;
	int id = connect_find(cfg, login, &conn, &active);
	if (id <= 0)
		return finish(conn, 1);
	if (active == activate) {
		printf("'%s' is already %s\n", login, activate ? "active" : "deactivated");
		return finish(conn, 0);
	}
	status = 1;
	struct account_result res;
	struct db_err e;
	if (account_cli(account_set_active(conn, &cli_actor, login, activate, &res, &e), &e,
			"change the person") != 0)
		goto out;
	if (!res.changed) {
		printf("'%s' is already %s\n", login, activate ? "active" : "deactivated");
		status = 0;
		goto out;
	}
	ended = res.sessions_ended;
	if (activate)
		printf("activated '%s'\n", login);
	else
		printf("deactivated '%s'; %d session%s ended\n", login, ended,
		       ended == 1 ? "" : "s");
	status = 0;
out:
	return finish(conn, status);
}

/* sokuho user list ---------------------------------------------------- */

static int user_list(struct config *cfg, const struct subcmd *sc, int argc, char **argv)
{
	int npos, status = parse(cfg, sc, argc, argv, NULL, NULL, NULL, 0, &npos);
	if (status >= 0)
		return status;
	if (npos > 0)
		return bad_usage(sc, "takes no arguments");
	PGconn *conn = people_connect(cfg);
	if (!conn)
		return 1;
	/* Roles held now or later: "csirt", "security_manager(section:jinji,
	 * deputy 1)", "ciso(from 2027-04-01)". */
	/* A grant over a scope of the wrong kind for its role (made before
	 * grants were checked) is marked "WRONG SCOPE". */
	char rules[512];
	const char *lparams[1] = {role_scope_rules_array(rules, sizeof rules)};
	PGresult *r = PQexecParams(
		conn,
		"SELECT p.login, p.display_name, coalesce(u.code, '-'), p.kind, "
		"CASE WHEN p.active THEN 'yes' ELSE 'no' END, coalesce(("
		"  SELECT string_agg(ra.role || CASE WHEN ra.scope_kind = 'city' AND "
		"    ra.role || ':city' = ANY($1::text[]) AND "
		"    ra.deputy_rank = 0 AND ra.valid_from <= sokuho_today() AND ra.valid_to IS NULL "
		"    THEN '' ELSE '(' || concat_ws(', ', CASE ra.scope_kind WHEN 'city' THEN NULL "
		"    WHEN 'system' THEN 'system:' || (SELECT s.code FROM info_system s "
		"      WHERE s.id = ra.scope_id) "
		"    ELSE ra.scope_kind || ':' || (SELECT o.code FROM org_unit o "
		"      WHERE o.id = ra.scope_id) END, "
		"    CASE WHEN ra.deputy_rank > 0 THEN 'deputy ' || ra.deputy_rank END, "
		"    CASE WHEN ra.valid_from > sokuho_today() THEN 'from ' || ra.valid_from END, "
		"    CASE WHEN ra.valid_to IS NOT NULL THEN 'to ' || ra.valid_to END, "
		"    CASE WHEN NOT ra.role || ':' || ra.scope_kind = ANY($1::text[]) "
		"    THEN 'WRONG SCOPE' END) || ')' END, "
		"    ', ' ORDER BY r.sort, ra.scope_kind, ra.deputy_rank, ra.valid_from) "
		"  FROM role_assignment ra JOIN role r ON r.name = ra.role "
		"  WHERE ra.person_id = p.id "
		"    AND (ra.valid_to IS NULL OR ra.valid_to >= sokuho_today())), ''), "
		"(SELECT count(*) FROM role_assignment ra WHERE ra.person_id = p.id "
		"    AND (ra.valid_to IS NULL OR ra.valid_to >= sokuho_today()) "
		"    AND NOT ra.role || ':' || ra.scope_kind = ANY($1::text[])) "
		"FROM person p LEFT JOIN org_unit u ON u.id = p.section_id "
		"ORDER BY p.login",
		1, NULL, lparams, NULL, NULL, 0);
	if (!db_ok(r)) {
		people_db_error("database error", r);
		PQclear(r);
		PQfinish(conn);
		return 1;
	}
	static const char *const head[6] = {"login", "name", "section", "kind", "active",
					    "roles"};
	size_t w[6];
	int n = PQntuples(r), nactive = 0, nwrong = 0;
	for (int c = 0; c < 6; c++)
		w[c] = strlen(head[c]);
	for (int i = 0; i < n; i++) {
		for (int c = 0; c < 5; c++) {
			size_t cw = people_display_width(PQgetvalue(r, i, c));
			if (cw > w[c])
				w[c] = cw;
		}
		nactive += PQgetvalue(r, i, 4)[0] == 'y';
		nwrong += atoi(PQgetvalue(r, i, 6));
	}
	for (int c = 0; c < 6; c++) {
		if (c < 5)
			people_print_padded(head[c], w[c] + 2);
		else
			printf("%s\n", head[c]);
	}
	for (int i = 0; i < n; i++) {
		const char *roles = PQgetvalue(r, i, 5);
		for (int c = 0; c < 4; c++)
			people_print_padded(PQgetvalue(r, i, c), w[c] + 2);
		if (*roles)
			people_print_padded(PQgetvalue(r, i, 4), w[4] + 2);
		else
			fputs(PQgetvalue(r, i, 4), stdout);
		printf("%s\n", roles);
	}
	printf("%d %s, %d active\n", n, n == 1 ? "person" : "people", nactive);
	if (nwrong)
		printf("%d role assignment%s over a scope of the wrong kind for the role (WRONG "
		       "SCOPE): revoke %s with 'sokuho user role revoke'\n",
		       nwrong, nwrong == 1 ? "" : "s", nwrong == 1 ? "it" : "them");
	PQclear(r);
	PQfinish(conn);
	return 0;
}

/* sokuho user absence ------------------------------------------------ */

static int absence_print(PGconn *conn, const char *login)
{
	json_t *rows = absence_list(conn, login);
	if (!rows) {
		fprintf(stderr, "sokuho: unable to read the absences: database error\n");
		return 1;
	}
	size_t i;
	json_t *a;
	if (json_array_size(rows) == 0)
		printf(login ? "'%s' has no absence today or later\n"
			     : "no absence today or later%s\n",
		       login ? login : "");
	json_array_foreach(rows, i, a) {
		const char *note = json_string_value(json_object_get(a, "note"));
		printf("%s  %s  %s  %s..%s%s%s%s\n", json_string_value(json_object_get(a, "id")),
		       json_string_value(json_object_get(a, "login")),
		       json_string_value(json_object_get(a, "kind")),
		       json_string_value(json_object_get(a, "starts_on")),
		       json_string_value(json_object_get(a, "ends_on")),
		       json_is_true(json_object_get(a, "current")) ? "  (now)" : "",
		       note ? "  " : "", note ? note : "");
	}
	json_decref(rows);
	return 0;
}

static int user_absence(struct config *cfg, const struct subcmd *sc, int argc, char **argv)
{
	static const char *const extra[] = {"kind", "from", "to", "note", NULL};
	const char *v[4] = {NULL}, *pos[3];
	int npos, status = parse(cfg, sc, argc, argv, extra, v, pos, 3, &npos);
	if (status >= 0)
		return status;
	const char *what = npos > 0 ? pos[0] : "";
	int add = strcmp(what, "add") == 0, list = strcmp(what, "list") == 0,
	    rm = strcmp(what, "remove") == 0;
	if (!(add && npos == 2) && !(list && npos <= 2) && !(rm && npos == 3))
		return bad_usage(sc, "expected add LOGIN, list [LOGIN] or remove LOGIN ID");
	if (!add && (v[0] || v[1] || v[2] || v[3]))
		return bad_usage(sc, "--kind, --from, --to and --note apply to add only");
	const char *login = npos > 1 ? pos[1] : NULL;
	char why[256];
	if (login && people_check_login(login, why, sizeof why) < 0)
		return bad_value("login", login, why);
	long long id = 0;
	struct absence_new a = {login, v[0], v[1], v[2] ? v[2] : v[1], v[3]};
	if (add) {
		const char *field = NULL;
		if (!v[0])
			return bad_usage(sc, "add needs --kind leave, trip or training");
		if (!v[1])
			return bad_usage(sc, "add needs --from, the first day away");
		json_t *msg = NULL;
		if (absence_check(&a, &field, &msg) < 0) {
			/* the form's field as the option that gave it */
			static const char *const fields[4] = {"kind", "starts_on", "ends_on", "note"};
			static const char *const opts[4] = {"kind", "from", "to", "note"};
			int k = 0;
			while (k < 3 && strcmp(fields[k], field) != 0)
				k++;
			char *text = english(cfg, msg);
			json_decref(msg);
			int rc = bad_value(opts[k], k == 2 && !v[2] ? v[1] : v[k], text);
			free(text);
			return rc;
		}
	}
	if (rm) {
		char *end;
		id = strtoll(pos[2], &end, 10);
		if (*end || id <= 0)
			return bad_value("id", pos[2], "is not an absence ID; see 'sokuho user absence "
						       "list'");
	}
	PGconn *conn = people_connect(cfg);
	if (!conn)
		return 1;
	if (login) {
		int active;
		if (people_find(conn, login, &active) <= 0)
			return finish(conn, 1);
	}
	if (list)
		return finish(conn, absence_print(conn, login));
	struct db_err e;
	if (add) {
		long long nid;
		if (account_cli(absence_add(conn, &cli_actor, &a, &nid, &e), &e, "add the absence"))
			return finish(conn, 1);
		printf("'%s' is away (%s) from %s to %s: absence %lld\n", login,
		       absence_kind_parse(a.kind), a.starts_on, a.ends_on, nid);
		return finish(conn, 0);
	}
	int removed;
	if (account_cli(absence_remove(conn, &cli_actor, login, id, &removed, &e), &e,
			"remove the absence"))
		return finish(conn, 1);
	if (!removed) {
		fprintf(stderr, "sokuho: '%s' has no absence %lld; nothing removed\n", login, id);
		absence_print(conn, login);
		return finish(conn, 1);
	}
	printf("removed absence %lld of '%s'\n", id, login);
	return finish(conn, 0);
}

/* Entry points ------------------------------------------------------- */

int cmd_user(struct config *cfg, int argc, char **argv)
{
	if (argc == 0) {
		user_usage(stderr);
		return 2;
	}
	if (strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0 ||
	    strcmp(argv[0], "help") == 0) {
		user_usage(stdout);
		return 0;
	}
	for (size_t i = 0; i < NSUBCMDS; i++)
		if (strcmp(argv[0], subcmds[i].name) == 0)
			return subcmds[i].run(cfg, &subcmds[i], argc - 1, argv + 1);
	char q[100];
	fprintf(stderr, "sokuho: unknown user command '%s'; expected add, import, role, passwd, "
			"deactivate, activate, list or absence (see 'sokuho user --help')\n",
		people_quote_value(argv[0], q, sizeof q));
	return 2;
}

int cmd_demo(struct config *cfg, int argc, char **argv)
{
	char **pos = xcalloc((size_t)argc + 1, sizeof *pos);
	int npos, rc = options_parse(cfg, argc, argv, pos, &npos, NULL, NULL);
	int history = rc == 0 && npos == 1 && strcmp(pos[0], "history") == 0;
	free(pos);
	if (rc == 1) {
		printf("usage: sokuho demo [history]\n\n"
		       "Seeds a demo city: 8 departments, 20 sections on the policy's sites, 4\n"
		       "information systems, about 70 invented people with every role and\n"
		       "deputy filled, all with the password %s, and prints the\n"
		       "logins worth knowing. For demonstration only: the password is public.\n"
		       "Does nothing if any person exists already.\n\n"
		       "'sokuho demo history' then adds 150 invented, closed incidents of the\n"
		       "last twelve months (for the dashboard's trends and the annual review);\n"
		       "it does nothing when there is any incident already.\n\n%s",
		       DEMO_PASSWORD, common_options);
		return 0;
	}
	if (rc != 0)
		return 2;
	if (npos > 1 || (npos == 1 && !history)) {
		fprintf(stderr, "sokuho: demo takes no argument but 'history' (see 'sokuho demo "
				"--help')\n");
		return 2;
	}
	PGconn *conn = people_connect(cfg);
	if (!conn)
		return 1;
	rc = history ? demo_history(conn) : demo_seed(conn);
	PQfinish(conn);
	return rc;
}
