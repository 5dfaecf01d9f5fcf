/* `sokuho mail-intake` (see mail_intake.h): reads the message (at most
 * mail_intake_max bytes), parses it (mail/intake.h), and stores it
 * (incident/mail_report.h): the authenticated sender's report, or the
 * CSIRT's intake queue, or another report of a wave already there. */
#include "mail_intake.h"

#include <jansson.h>
#include <signal.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "core/log.h"
#include "core/options.h"
#include "core/xalloc.h"
#include "db/db.h"
#include "incident/mail_report.h"
#include "mail/intake.h"
#include "wf/engine.h"
#include "wf/legal.h"

const char mail_intake_help[] =
	"Reads one RFC 5322 message on standard input, as an MTA's pipe hands it over\n"
	"(Postfix: an alias csirt-report: \"|/usr/bin/sokuho mail-intake\"), and stores it:\n"
	"mail from a member of staff, authenticated by the city's MTA (an aligned\n"
	"DMARC, SPF or DKIM pass in Authentication-Results of mail_trusted_authserv,\n"
	"or arrival through one of mail_internal_relays), is their report of a\n"
	"suspicious mail; any other waits in the CSIRT's intake queue. The raw message\n"
	"is kept as evidence and the forwarded original's indicators are extracted.\n"
	"Exit status (sysexits): 0 stored; 65 the message cannot be taken (larger than\n"
	"mail_intake_max, not a mail); 75 try again later (database unreachable, ...).";

/* Reads all of standard input, up to max + 1 bytes. -1 on a read error. */
static long long read_stdin(char **data, size_t max)
{
	size_t cap = 65536, len = 0;
	char *b = xmalloc(cap + 1);
	for (;;) {
		if (len == cap) {
			if (cap > max)
				break;
			cap *= 2;
			b = xrealloc(b, cap + 1);
		}
		ssize_t n = read(STDIN_FILENO, b + len, cap - len);
		if (n < 0) {
			free(b);
			return -1;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > max)
			break;
	}
	b[len] = '\0';
	*data = b;
	return (long long)len;
}

/* A bug is not the message's fault: a crash or an abort (out of memory)
 * exits 75, so that the MTA keeps the message for another try. */
static void tempfail_on_crash(int sig)
{
	(void)sig;
	static const char msg[] = "sokuho mail-intake: crashed; the MTA keeps the message\n";
	ssize_t w = write(STDERR_FILENO, msg, sizeof msg - 1);
	(void)w;
	_exit(EX_TEMPFAIL);
}

static const char *const kind_names[] = {"report", "queued", "linked", "duplicate", "note"};

int cmd_mail_intake(struct config *cfg, int argc, char **argv)
{
	static const int crashes[] = {SIGSEGV, SIGBUS, SIGABRT, SIGFPE, SIGILL};
	for (size_t i = 0; i < sizeof crashes / sizeof crashes[0]; i++)
		signal(crashes[i], tempfail_on_crash);
	char **pos = xcalloc((size_t)argc + 1, sizeof *pos);
	int npos, rc = options_parse(cfg, argc, argv, pos, &npos, NULL, NULL);
	free(pos);
	if (rc == 1) {
		printf("usage: %s\n\n%s\n", MAIL_INTAKE_USAGE, mail_intake_help);
		return EX_OK;
	}
	if (rc < 0 || npos != 0) {
		if (rc == 0)
			fprintf(stderr, "usage: %s\n", MAIL_INTAKE_USAGE);
		return EX_TEMPFAIL; /* a mistake of the installation, not of the message */
	}
	enum log_level lv;
	if (log_parse_level(cfg->log_level, &lv) == 0)
		log_set_level(lv);
	char *data = NULL;
	long long len = read_stdin(&data, cfg->mail_intake_max);
	if (len < 0) {
		fprintf(stderr, "sokuho mail-intake: reading the message failed\n");
		return EX_TEMPFAIL;
	}
	if ((size_t)len > cfg->mail_intake_max) {
		fprintf(stderr,
			"sokuho mail-intake: the message is larger than mail_intake_max (%zu bytes); "
			"send the suspicious mail as an attachment without other large files\n",
			cfg->mail_intake_max);
		free(data);
		return EX_DATAERR;
	}
	struct mail_intake_opts opts = {cfg->mail_trusted_authserv, cfg->mail_internal_relays};
	char why[256];
	char *orig = NULL;
	size_t orig_len = 0;
	json_t *facts = mail_intake_parse(data, (size_t)len, &opts, &orig, &orig_len, why, sizeof why);
	if (!facts) {
		fprintf(stderr, "sokuho mail-intake: refused: %s\n", why);
		free(data);
		return EX_DATAERR;
	}
	int status = EX_TEMPFAIL;
	char err[1024];
	struct engine *engine = NULL;
	PGconn *c = NULL;
	char *legal_path = xasprintf("%s/legal-clocks.json", cfg->workflows_dir);
	struct legal_rules *legal = legal_load(legal_path, err, sizeof err);
	free(legal_path);
	if (!legal) {
		fprintf(stderr, "sokuho mail-intake: %s\n", err);
		goto out;
	}
	engine = engine_new();
	if (engine_set_calendar(engine, cfg->office_hours, cfg->calendar_file, err, sizeof err) < 0) {
		fprintf(stderr, "sokuho mail-intake: %s\n", err);
		goto out;
	}
	c = db_connect(cfg->database_url, err, sizeof err);
	if (!c) {
		fprintf(stderr, "sokuho mail-intake: %s (the MTA keeps the message and tries again)\n",
			err);
		goto out;
	}
	json_t *lf = mail_report_legal_facts();
	json_t *clocks = legal_evaluate(legal, lf, "ja");
	json_decref(lf);
	if (!clocks)
		clocks = json_array();
	struct mail_report_out res;
	struct db_err e;
	enum db_qs qs = mail_report_store(engine, c, facts, data, (size_t)len, orig, orig_len,
					  clocks, &res, &e);
	json_decref(clocks);
	if (qs < 0) {
		fprintf(stderr, "sokuho mail-intake: not stored: %s (the MTA keeps the message and "
				"tries again)\n", e.msg);
		log_event(LOG_ERROR, "mail_intake_failed", "error=%s", log_quote(0, e.msg));
		goto out;
	}
	log_event(LOG_INFO, "mail_intake", "ref=%s kind=%s authenticated=%s via=%s shape=%s",
		  res.ref, kind_names[res.kind],
		  json_is_true(json_object_get(facts, "authenticated")) ? "true" : "false",
		  json_string_value(json_object_get(facts, "auth_via")),
		  json_string_value(json_object_get(json_object_get(facts, "original"), "shape")));
	printf("%s %s\n", res.ref, kind_names[res.kind]);
	status = EX_OK;
out:
	if (c)
		PQfinish(c);
	engine_free(engine);
	legal_free(legal);
	json_decref(facts);
	free(orig);
	free(data);
	return status;
}
