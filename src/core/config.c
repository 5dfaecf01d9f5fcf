/* The directive table and its loaders (see config.h). Adding a key means one
 * row here and one field in struct config. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "calendar.h"
#include "log.h"
#include "xalloc.h"

enum ctype { C_STRING, C_INT, C_SIZE, C_LISTEN, C_LEVEL, C_TLS, C_HOURS };

struct directive {
	const char *key;
	const char *env;
	enum ctype type;
	size_t offset;
	long min, max;
	const char *def;
	const char *help;
};

#define OFF(f) offsetof(struct config, f)

static const struct directive directives[] = {
	{"listen", "SOKUHO_LISTEN", C_LISTEN, 0, 0, 0, "127.0.0.1:8080",
	 "address and port the HTTP server listens on (HOST:PORT)"},
	{"database_url", "DATABASE_URL", C_STRING, OFF(database_url), 0, 0, "",
	 "libpq connection string or URI; empty uses libpq's PG* environment variables"},
	{"metrics_token", "SOKUHO_METRICS_TOKEN", C_STRING, OFF(metrics_token), 0, 0, "",
	 "bearer token a Prometheus server sends for /metrics; empty: /metrics is off (404)"},
	{"migrate_database_url", "MIGRATE_DATABASE_URL", C_STRING, OFF(migrate_database_url), 0,
	 0, "", "connection of sokuho migrate, as the schema's owner; empty uses database_url"},
	{"db_start_wait", "SOKUHO_DB_START_WAIT", C_INT, OFF(db_start_wait), -1, 86400, "-1",
	 "seconds serve and worker wait at start for a database that is down (-1: until it "
	 "is up, 0: fail at once)"},
	{"threads", "SOKUHO_THREADS", C_INT, OFF(threads), 1, 256, "4",
	 "HTTP worker threads (1-256)"},
	{"engine_threads", "SOKUHO_ENGINE_THREADS", C_INT, OFF(engine_threads), 0, 16, "1",
	 "workflow engine threads in serve (0: none, leave it to sokuho worker) and worker"},
	{"max_body", "SOKUHO_MAX_BODY", C_SIZE, OFF(max_body), 1024, 1L << 30, "20M",
	 "largest request body accepted; larger bodies get 413 (bytes, or with K/M/G)"},
	{"public_max_body", "SOKUHO_PUBLIC_MAX_BODY", C_SIZE, OFF(public_max_body), 1024, 1L << 30,
	 "2M", "largest body of the anonymous public report form, its files included (at most "
	 "max_body)"},
	{"body_memory", "SOKUHO_BODY_MEMORY", C_SIZE, OFF(body_memory), 1024, 1L << 30, "256M",
	 "memory all request bodies in flight may hold together; beyond it 503 with Retry-After"},
	{"body_disk", "SOKUHO_BODY_DISK", C_SIZE, OFF(body_disk), 1024, 1L << 40, "4G",
	 "disk all uploads being received may take together in body_dir; beyond it 503"},
	{"body_dir", "SOKUHO_BODY_DIR", C_STRING, OFF(body_dir), 0, 0, "/var/tmp",
	 "folder where uploads being received are written, as unnamed files (not a tmpfs)"},
	{"attachment_max", "SOKUHO_ATTACHMENT_MAX", C_SIZE, OFF(attachment_max), 1024, 1L << 30,
	 "10M", "largest evidence file; a larger one is refused with the form kept"},
	{"request_timeout", "SOKUHO_REQUEST_TIMEOUT", C_INT, OFF(request_timeout), 1, 3600, "30",
	 "seconds before an idle or slow connection is closed (1-3600)"},
	{"connection_limit", "SOKUHO_CONNECTION_LIMIT", C_INT, OFF(connection_limit), 1, 100000,
	 "512", "concurrent connections accepted (1-100000)"},
	{"per_ip_connection_limit", "SOKUHO_PER_IP_CONNECTION_LIMIT", C_INT,
	 OFF(per_ip_connection_limit), 0, 100000, "64",
	 "concurrent connections from one address (0: no limit; behind a proxy, limit there)"},
	{"trust_proxy", "SOKUHO_TRUST_PROXY", C_INT, OFF(trust_proxy), 0, 1, "0",
	 "1 behind a reverse proxy that appends X-Forwarded-For (per-address limits use it)"},
	{"tls_cert", "SOKUHO_TLS_CERT", C_STRING, OFF(tls_cert), 0, 0, "",
	 "PEM certificate (chain) for built-in HTTPS; empty serves plain HTTP (use a proxy)"},
	{"tls_key", "SOKUHO_TLS_KEY", C_STRING, OFF(tls_key), 0, 0, "",
	 "PEM private key for built-in HTTPS, with tls_cert"},
	{"templates_dir", "SOKUHO_TEMPLATES_DIR", C_STRING, OFF(templates_dir), 0, 0, "templates",
	 "folder of Mustache templates, loaded at start"},
	{"static_dir", "SOKUHO_STATIC_DIR", C_STRING, OFF(static_dir), 0, 0, "static",
	 "folder of static assets served under /static/"},
	{"sql_dir", "SOKUHO_SQL_DIR", C_STRING, OFF(sql_dir), 0, 0, "sql",
	 "folder of numbered migrations (NNNN_name.sql)"},
	{"workflows_dir", "SOKUHO_WORKFLOWS_DIR", C_STRING, OFF(workflows_dir), 0, 0, "workflows",
	 "folder of workflow files and legal-clocks.json, loaded at start"},
	{"drills_dir", "SOKUHO_DRILLS_DIR", C_STRING, OFF(drills_dir), 0, 0, "drills",
	 "folder of drill scenarios (訓練; docs/drills.md)"},
	{"calendar_file", "SOKUHO_CALENDAR_FILE", C_STRING, OFF(calendar_file), 0, 0,
	 "calendar/city.json",
	 "the city's closed and open days beyond 土日祝 and 12/29-1/3 (JSON; empty: none)"},
	{"audit_key_file", "SOKUHO_AUDIT_KEY_FILE", C_STRING, OFF(audit_key_file), 0, 0, "",
	 "Ed25519 key (mode 0600, from sokuho audit keygen) the sealer signs audit checkpoints "
	 "with; empty: no checkpoints"},
	{"audit_public_key", "SOKUHO_AUDIT_PUBLIC_KEY", C_STRING, OFF(audit_public_key), 0, 0, "",
	 "public key (hex) sokuho audit verify checks checkpoints with; empty: audit_key_file's"},
	{"audit_checkpoint_seconds", "SOKUHO_AUDIT_CHECKPOINT_SECONDS", C_INT,
	 OFF(audit_checkpoint_seconds), 0, 86400, "60",
	 "seconds between signed audit checkpoints while events are sealed (0-86400)"},
	{"office_hours", "SOKUHO_OFFICE_HOURS", C_HOURS, OFF(office_hours), 0, 0, "08:30-17:15",
	 "office hours of office days, Japan time (HH:MM-HH:MM)"},
	{"base_url", "SOKUHO_BASE_URL", C_STRING, OFF(base_url), 0, 0, "",
	 "public URL of the site, used in links in mail (empty: http://LISTEN)"},
	{"log_level", "SOKUHO_LOG_LEVEL", C_LEVEL, OFF(log_level), 0, 0, "info",
	 "debug, info, warn or error"},
	{"shutdown_grace", "SOKUHO_SHUTDOWN_GRACE", C_INT, OFF(shutdown_grace), 0, 600, "10",
	 "seconds in-flight requests may take to finish on SIGTERM (0-600)"},
	{"smtp_host", "SOKUHO_SMTP_HOST", C_STRING, OFF(smtp_host), 0, 0, "",
	 "SMTP server for notifications; empty keeps mail queued (shown on /admin/outbox)"},
	{"smtp_port", "SOKUHO_SMTP_PORT", C_INT, OFF(smtp_port), 1, 65535, "25", "SMTP port"},
	{"smtp_starttls", "SOKUHO_SMTP_STARTTLS", C_TLS, OFF(smtp_starttls), 0, 0, "when_offered",
	 "STARTTLS: required, when_offered or off"},
	{"smtp_user", "SOKUHO_SMTP_USER", C_STRING, OFF(smtp_user), 0, 0, "",
	 "SMTP AUTH user (empty: no AUTH)"},
	{"smtp_password", "SOKUHO_SMTP_PASSWORD", C_STRING, OFF(smtp_password), 0, 0, "",
	 "SMTP AUTH password"},
	{"mail_from", "SOKUHO_MAIL_FROM", C_STRING, OFF(mail_from), 0, 0, "sokuho@localhost",
	 "sender address of notifications (envelope and From)"},
	{"mail_from_name", "SOKUHO_MAIL_FROM_NAME", C_STRING, OFF(mail_from_name), 0, 0,
	 "速報 Sokuho", "display name of the sender"},
	{"mail_ack_ttl", "SOKUHO_MAIL_ACK_TTL", C_INT, OFF(mail_ack_ttl), 300, 2592000, "259200",
	 "seconds an acknowledge link in mail stays valid (300-2592000)"},
	{"session_idle", "SOKUHO_SESSION_IDLE", C_INT, OFF(session_idle), 60, 86400, "1800",
	 "seconds without a request after which a sign-in ends (60-86400)"},
	{"session_max", "SOKUHO_SESSION_MAX", C_INT, OFF(session_max), 300, 604800, "43200",
	 "seconds after sign-in after which it ends whatever happens (300-604800)"},
	{"organisation_name", "SOKUHO_ORGANISATION_NAME", C_STRING, OFF(organisation_name), 0, 0,
	 "富士吉田市", "the city's name, as the residents' window and printouts show it"},
	{"csirt_office", "SOKUHO_CSIRT_OFFICE", C_STRING, OFF(csirt_office), 0, 0,
	 "情報セキュリティ窓口", "the office residents may contact about their report"},
	{"csirt_phone", "SOKUHO_CSIRT_PHONE", C_STRING, OFF(csirt_phone), 0, 0, "0555-00-0000",
	 "that office's telephone number"},
	{"csirt_hours", "SOKUHO_CSIRT_HOURS", C_STRING, OFF(csirt_hours), 0, 0,
	 "平日 8:30〜17:15", "when that office answers the telephone"},
	{"public_min_fill", "SOKUHO_PUBLIC_MIN_FILL", C_INT, OFF(public_min_fill), 0, 3600, "3",
	 "seconds: the residents' form sent sooner after it was shown is refused (0-3600)"},
	{"public_city_per_hour", "SOKUHO_PUBLIC_CITY_PER_HOUR", C_INT, OFF(public_city_per_hour), 0,
	 1000000, "100",
	 "outside reports the residents' window takes from all addresses together per hour; "
	 "then it refuses them and the dashboard says so (0: no limit)"},
	{"mail_intake_max", "SOKUHO_MAIL_INTAKE_MAX", C_SIZE, OFF(mail_intake_max), 1024, 1L << 30,
	 "25M", "largest message sokuho mail-intake takes; a larger one is refused (exit 65)"},
	{"mail_trusted_authserv", "SOKUHO_MAIL_TRUSTED_AUTHSERV", C_STRING,
	 OFF(mail_trusted_authserv), 0, 0, "",
	 "authserv-ids of the city's own MTA (comma-separated) whose Authentication-Results "
	 "sokuho mail-intake trusts; the MTA must remove such headers from arriving mail"},
	{"mail_internal_relays", "SOKUHO_MAIL_INTERNAL_RELAYS", C_STRING, OFF(mail_internal_relays),
	 0, 0, "", "addresses or host names (comma-separated) of internal relays: mail that the "
	 "MTA received from one (its newest Received header) counts as authenticated"},
};

#define NDIRECTIVES (sizeof directives / sizeof directives[0])

static const struct directive *find_directive(const char *key)
{
	for (size_t i = 0; i < NDIRECTIVES; i++)
		if (strcmp(directives[i].key, key) == 0)
			return &directives[i];
	return NULL;
}

int config_parse_listen(const char *s, char **host, int *port)
{
	const char *colon;
	const char *h = s;
	size_t hlen;
	if (s[0] == '[') {
		const char *close = strchr(s, ']');
		if (!close || close[1] != ':')
			return -1;
		h = s + 1;
		hlen = (size_t)(close - h);
		colon = close + 1;
	} else {
		colon = strrchr(s, ':');
		if (!colon)
			return -1;
		hlen = (size_t)(colon - s);
	}
	char *end;
	errno = 0;
	long p = strtol(colon + 1, &end, 10);
	if (errno || *end || colon[1] == '\0' || p < 1 || p > 65535)
		return -1;
	for (size_t i = 0; i < hlen; i++)
		if (isspace((unsigned char)h[i]))
			return -1;
	*host = hlen ? xstrndup(h, hlen) : xstrdup("0.0.0.0");
	*port = (int)p;
	return 0;
}

static int parse_size(const char *s, long long *out)
{
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || end == s || v < 0)
		return -1;
	long long mul = 1;
	if (*end == 'K' || *end == 'k')
		mul = 1024, end++;
	else if (*end == 'M' || *end == 'm')
		mul = 1024 * 1024, end++;
	else if (*end == 'G' || *end == 'g')
		mul = 1024LL * 1024 * 1024, end++;
	if (*end)
		return -1;
	if (v > LLONG_MAX / mul)
		return -1;
	*out = v * mul;
	return 0;
}

int config_set(struct config *cfg, const char *key, const char *value, const char *origin,
	       char *err, size_t errlen)
{
	const struct directive *d = find_directive(key);
	if (!d) {
		snprintf(err, errlen, "%s: unknown configuration key '%s' (see 'sokuho --help')",
			 origin, key);
		return -1;
	}
	char *field = (char *)cfg + d->offset;
	switch (d->type) {
	case C_STRING:
		free(*(char **)field);
		*(char **)field = xstrdup(value);
		return 0;
	case C_TLS:
		if (strcmp(value, "required") && strcmp(value, "when_offered") && strcmp(value, "off")) {
			snprintf(err, errlen,
				 "%s: bad value '%s' for '%s': expected required, when_offered or off",
				 origin, value, key);
			return -1;
		}
		free(*(char **)field);
		*(char **)field = xstrdup(value);
		return 0;
	case C_HOURS: {
		int o, c;
		char why[160];
		if (cal_parse_office_hours(value, &o, &c, why, sizeof why) < 0) {
			snprintf(err, errlen,
				 "%s: bad value '%s' for '%s': expected HH:MM-HH:MM with the opening "
				 "before the closing, such as 08:30-17:15",
				 origin, value, key);
			return -1;
		}
		free(*(char **)field);
		*(char **)field = xstrdup(value);
		return 0;
	}
	case C_LEVEL: {
		enum log_level lv;
		if (log_parse_level(value, &lv) < 0) {
			snprintf(err, errlen,
				 "%s: bad value '%s' for '%s': expected debug, info, warn or error",
				 origin, value, key);
			return -1;
		}
		free(*(char **)field);
		*(char **)field = xstrdup(value);
		return 0;
	}
	case C_INT: {
		char *end;
		errno = 0;
		long v = strtol(value, &end, 10);
		if (errno || end == value || *end || v < d->min || v > d->max) {
			snprintf(err, errlen,
				 "%s: bad value '%s' for '%s': expected a whole number from %ld to %ld",
				 origin, value, key, d->min, d->max);
			return -1;
		}
		*(int *)field = (int)v;
		return 0;
	}
	case C_SIZE: {
		long long v;
		if (parse_size(value, &v) < 0 || v < d->min || v > d->max) {
			snprintf(err, errlen,
				 "%s: bad value '%s' for '%s': expected a size from 1K to %s, "
				 "such as 10M",
				 origin, value, key, d->max > (1L << 30) ? "1T" : "1G");
			return -1;
		}
		*(size_t *)field = (size_t)v;
		return 0;
	}
	case C_LISTEN: {
		char *host;
		int port;
		if (config_parse_listen(value, &host, &port) < 0) {
			snprintf(err, errlen,
				 "%s: bad value '%s' for '%s': expected HOST:PORT, such as "
				 "127.0.0.1:8080",
				 origin, value, key);
			return -1;
		}
		free(cfg->listen_host);
		cfg->listen_host = host;
		cfg->listen_port = port;
		return 0;
	}
	}
	return -1;
}

void config_init(struct config *cfg)
{
	char err[256];
	memset(cfg, 0, sizeof *cfg);
	for (size_t i = 0; i < NDIRECTIVES; i++)
		if (config_set(cfg, directives[i].key, directives[i].def, "default", err,
			       sizeof err) < 0)
			abort(); /* a bad default is a programming error */
}

void config_release(struct config *cfg)
{
	for (size_t i = 0; i < NDIRECTIVES; i++)
		if (directives[i].type == C_STRING || directives[i].type == C_LEVEL ||
		    directives[i].type == C_TLS || directives[i].type == C_HOURS)
			free(*(char **)((char *)cfg + directives[i].offset));
	free(cfg->listen_host);
	memset(cfg, 0, sizeof *cfg);
}

static char *trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	char *e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

int config_load_file(struct config *cfg, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		snprintf(err, errlen, "unable to open configuration file '%s': %s", path,
			 strerror(errno));
		return -1;
	}
	char line[4096];
	int lineno = 0;
	int rc = 0;
	while (fgets(line, sizeof line, f)) {
		lineno++;
		char origin[512];
		snprintf(origin, sizeof origin, "%s:%d", path, lineno);
		if (!strchr(line, '\n') && !feof(f)) {
			snprintf(err, errlen, "%s: line too long", origin);
			rc = -1;
			break;
		}
		char *s = trim(line);
		if (*s == '\0' || *s == '#')
			continue;
		char *eq = strchr(s, '=');
		if (!eq) {
			snprintf(err, errlen, "%s: expected 'key = value', found '%s'", origin, s);
			rc = -1;
			break;
		}
		*eq = '\0';
		char *key = trim(s);
		char *value = trim(eq + 1);
		size_t vl = strlen(value);
		if (vl >= 2 && value[0] == '"' && value[vl - 1] == '"') {
			value[vl - 1] = '\0';
			value++;
		}
		if (config_set(cfg, key, value, origin, err, errlen) < 0) {
			rc = -1;
			break;
		}
	}
	fclose(f);
	return rc;
}

int config_load_env(struct config *cfg, char *err, size_t errlen)
{
	for (size_t i = 0; i < NDIRECTIVES; i++) {
		const char *v = getenv(directives[i].env);
		if (!v)
			continue;
		/* An empty DATABASE_URL is meaningful (use PG*); other empty
		 * variables are treated as unset. */
		if (!*v && directives[i].type != C_STRING)
			continue;
		char origin[128];
		snprintf(origin, sizeof origin, "environment variable %s", directives[i].env);
		if (config_set(cfg, directives[i].key, v, origin, err, errlen) < 0)
			return -1;
	}
	return 0;
}

void config_print_help(FILE *out)
{
	fprintf(out, "Configuration keys (file 'key = value', environment variable, default):\n");
	for (size_t i = 0; i < NDIRECTIVES; i++)
		fprintf(out, "  %-17s %-24s default '%s'\n      %s\n", directives[i].key,
			directives[i].env, directives[i].def, directives[i].help);
}
