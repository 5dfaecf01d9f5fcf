/* The audit commands (see audit.h). */
#include "cli/audit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/file.h"
#include "core/log.h"
#include "core/options.h"
#include "core/xalloc.h"
#include "db/audit.h"
#include "db/db.h"
#include "db/seal.h"

const char audit_cli_help[] =
	"verify: recomputes the audit log's hash chain, checks every stored checkpoint\n"
	"(and the one given: a line as 'checkpoint' prints it, or a file of such lines)\n"
	"against the public key (audit_public_key, else audit_key_file's) and the chain,\n"
	"and names the first changed, removed, inserted or moved event, a cut-off tail,\n"
	"a forged checkpoint or one of another key. Exit status 0 intact, 1 broken.\n"
	"keygen: makes the Ed25519 key the sealer signs checkpoints with, in FILE\n"
	"(default audit_key_file; mode 0600, never overwritten), and prints its public\n"
	"key. checkpoint: seals what is pending, signs the head with audit_key_file's\n"
	"key unless a checkpoint covers it, and prints the newest checkpoint for anyone\n"
	"to keep. public-key: prints audit_key_file's public key and key id.";

/* The key checkpoints are checked with: audit_public_key, else the public
 * half of audit_key_file. 1 when there is one, 0 none, -1 error. */
static int trusted_key(const struct config *cfg, struct audit_key *k)
{
	char err[512];
	if (cfg->audit_public_key[0]) {
		if (audit_key_public(cfg->audit_public_key, k, err, sizeof err) < 0) {
			fprintf(stderr, "sokuho: %s\n", err);
			return -1;
		}
		return 1;
	}
	if (!cfg->audit_key_file[0])
		return 0;
	if (audit_key_load(cfg->audit_key_file, k, err, sizeof err) < 0) {
		fprintf(stderr, "sokuho: %s\n", err);
		return -1;
	}
	audit_key_wipe(k);
	return 1;
}

/* --checkpoint: a checkpoint line, or a file of lines (others ignored).
 * Returns how many were read into *out (caller frees), or -1. */
static int read_given(const char *arg, struct audit_checkpoint **out)
{
	*out = NULL;
	buf b;
	buf_init(&b);
	const char *text = arg;
	if (strncmp(arg + strspn(arg, " \t"), "sokuho-checkpoint", 17) != 0) {
		if (file_read_all(arg, 1 << 20, &b) != FILE_OK) {
			fprintf(stderr, "sokuho: --checkpoint %s: %s\n", arg,
				errno ? strerror(errno) : "too long");
			buf_release(&b);
			return -1;
		}
		text = buf_cstr(&b);
	}
	char *copy = xstrdup(text);
	buf_release(&b);
	int n = 0, cap = 0, bad = 0;
	for (char *line = copy, *next; line && !bad; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (strncmp(line + strspn(line, " \t"), "sokuho-checkpoint", 17) != 0)
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 4;
			*out = xrealloc(*out, (size_t)cap * sizeof **out);
		}
		if (audit_checkpoint_parse(line, &(*out)[n]) < 0) {
			fprintf(stderr, "sokuho: --checkpoint: not a checkpoint: %.200s\n", line);
			bad = 1;
		} else {
			n++;
		}
	}
	free(copy);
	if (!bad && n == 0)
		fprintf(stderr, "sokuho: --checkpoint %s: no checkpoint line in it\n", arg);
	if (bad || n == 0) {
		free(*out);
		*out = NULL;
		return -1;
	}
	return n;
}

static int audit_verify_cmd(struct config *cfg, const char *given_arg)
{
	struct audit_key k;
	int have = trusted_key(cfg, &k);
	if (have < 0)
		return 1;
	struct audit_checkpoint *given = NULL;
	int ngiven = 0;
	if (given_arg && (ngiven = read_given(given_arg, &given)) < 0)
		return 1;
	char err[1024];
	PGconn *c = db_connect(cfg->database_url, err, sizeof err);
	if (!c) {
		fprintf(stderr, "sokuho: %s\n", err);
		free(given);
		return 1;
	}
	int rc = audit_verify_with(c, stdout, have ? &k : NULL, given, ngiven);
	PQfinish(c);
	free(given);
	return rc == 0 ? 0 : 1;
}

static int audit_keygen(struct config *cfg, const char *path)
{
	if (!path)
		path = cfg->audit_key_file;
	if (!path[0]) {
		fprintf(stderr, "sokuho: audit keygen: no FILE and no audit_key_file\n");
		return 2;
	}
	struct audit_key k;
	char err[512];
	if (audit_key_generate(path, &k, err, sizeof err) < 0) {
		fprintf(stderr, "sokuho: audit keygen: %s\n", err);
		return 1;
	}
	audit_key_wipe(&k);
	printf("wrote %s (mode 0600: keep it secret, name it in audit_key_file)\n"
	       "public key %s\nkey id %s\n",
	       path, k.pk_hex, k.id);
	return 0;
}

static int audit_checkpoint_cmd(struct config *cfg)
{
	struct audit_key k;
	int have = 0;
	char err[1024];
	if (cfg->audit_key_file[0]) {
		if (audit_key_load(cfg->audit_key_file, &k, err, sizeof err) < 0) {
			fprintf(stderr, "sokuho: %s\n", err);
			return 1;
		}
		have = 1;
	}
	PGconn *c = db_connect(cfg->database_url, err, sizeof err);
	if (!c) {
		fprintf(stderr, "sokuho: %s\n", err);
		if (have)
			audit_key_wipe(&k);
		return 1;
	}
	struct audit_checkpoint cp;
	int found = audit_checkpoint_now(c, have ? &k : NULL, &cp, err, sizeof err);
	PQfinish(c);
	if (have)
		audit_key_wipe(&k);
	if (found < 0) {
		fprintf(stderr, "sokuho: audit checkpoint: %s\n", err);
		return 1;
	}
	if (found == 0) {
		fprintf(stderr, "sokuho: no checkpoint yet%s\n",
			have ? " (the chain is empty)" : " (no audit_key_file to sign one with)");
		return 1;
	}
	char line[320];
	audit_checkpoint_format(&cp, line, sizeof line);
	printf("%s\n", line);
	return 0;
}

static int audit_public_key_cmd(struct config *cfg)
{
	struct audit_key k;
	int have = trusted_key(cfg, &k);
	if (have <= 0) {
		if (have == 0)
			fprintf(stderr, "sokuho: no audit_key_file nor audit_public_key\n");
		return 1;
	}
	printf("public key %s\nkey id %s\n", k.pk_hex, k.id);
	return 0;
}

int cmd_audit(struct config *cfg, int argc, char **argv)
{
	char **pos = xcalloc((size_t)argc + 1, sizeof *pos);
	static const char *const extra[] = {"checkpoint", NULL};
	const char *extra_val[1] = {NULL};
	int npos, rc = options_parse(cfg, argc, argv, pos, &npos, extra, extra_val);
	int status = 2;
	const char *sub = npos >= 1 ? pos[0] : "";
	if (rc == 1) {
		printf("usage: " AUDIT_CLI_USAGE "\n\n%s\n", audit_cli_help);
		status = 0;
	} else if (rc != 0) {
		status = 2;
	} else if (strcmp(sub, "verify") == 0 && npos == 1) {
		status = audit_verify_cmd(cfg, extra_val[0]);
	} else if (extra_val[0]) {
		fprintf(stderr, "sokuho: --checkpoint goes with audit verify\n");
	} else if (strcmp(sub, "keygen") == 0 && npos <= 2) {
		status = audit_keygen(cfg, npos == 2 ? pos[1] : NULL);
	} else if (strcmp(sub, "checkpoint") == 0 && npos == 1) {
		status = audit_checkpoint_cmd(cfg);
	} else if (strcmp(sub, "public-key") == 0 && npos == 1) {
		status = audit_public_key_cmd(cfg);
	} else {
		fprintf(stderr, "usage: " AUDIT_CLI_USAGE "\n");
	}
	free(pos);
	return status;
}

int audit_cli_start_sealer(const struct config *cfg, struct audit_key *k)
{
	memset(k, 0, sizeof *k);
	if (!cfg->audit_key_file[0]) {
		log_event(LOG_WARN, "audit_checkpoints_off",
			  "note=\"no audit_key_file: the audit log is sealed but no checkpoint "
			  "is signed (sokuho audit keygen makes a key)\"");
		audit_seal_set_key(NULL, cfg->audit_checkpoint_seconds);
		return 0;
	}
	char err[512];
	if (audit_key_load(cfg->audit_key_file, k, err, sizeof err) < 0) {
		fprintf(stderr, "sokuho: %s\n", err);
		return -1;
	}
	audit_seal_set_key(k, cfg->audit_checkpoint_seconds);
	log_event(LOG_INFO, "audit_checkpoints_on", "key=%s every=%ds", k->id,
		  cfg->audit_checkpoint_seconds);
	return 0;
}
