/* Configuration: built-in defaults, then an optional file (key = value), then
 * environment variables, then command-line options, each overriding the last.
 * Every key is declared once in a directive table (config.c); an unknown key
 * or a bad value is an error that names the key and what is expected. */
#ifndef SOKUHO_CONFIG_H
#define SOKUHO_CONFIG_H

#include <stddef.h>
#include <stdio.h>

struct config {
	char *listen_host;      /* "127.0.0.1" */
	int listen_port;        /* 8080 */
	char *database_url;     /* "" means libpq's PG* variables */
	char *migrate_database_url; /* sokuho migrate, as the owner; "" means database_url */
	char *metrics_token;    /* bearer token for /metrics; "" turns /metrics off */
	int threads;            /* HTTP worker threads */
	int db_start_wait;      /* serve, worker: seconds to wait for the database; -1 no end */
	int engine_threads;     /* workflow engine threads in serve and worker */
	size_t max_body;        /* bytes; larger request bodies get 413 */
	size_t public_max_body; /* bytes; the public report form's largest body */
	size_t attachment_max;
	size_t body_memory;     /* bytes all request bodies in flight may hold together */
	size_t body_disk;       /* bytes all uploads being received may hold on disk */
	char *body_dir;         /* where uploads being received are written (unnamed files) */  /* bytes; a larger evidence file is refused */
	int request_timeout;    /* seconds an idle connection is kept */
	int connection_limit;   /* concurrent connections */
	int per_ip_connection_limit; /* concurrent connections from one address, 0: any */
	int trust_proxy;        /* 1: the client address is the last of X-Forwarded-For */
	char *tls_cert;         /* PEM files for built-in HTTPS; both or neither */
	char *tls_key;
	char *templates_dir;
	char *static_dir;
	char *sql_dir;
	char *workflows_dir;
	char *drills_dir;
	char *calendar_file;    /* the city's extra closed and open days; "" none */
	char *audit_key_file;   /* the sealer's Ed25519 signing key; "" no checkpoints */
	char *audit_public_key; /* hex; verify's trusted key, "" derive from audit_key_file */
	int audit_checkpoint_seconds; /* between checkpoints while events are sealed */
	char *office_hours;     /* "HH:MM-HH:MM", checked by cal_parse_office_hours */
	char *base_url;         /* used in links in mail; "" derives it from listen */
	char *log_level;
	int shutdown_grace;     /* seconds to let in-flight requests finish */
	char *smtp_host;        /* "" means no mail server: mail stays queued */
	int smtp_port;
	char *smtp_starttls;    /* required, when_offered or off */
	char *smtp_user;        /* AUTH when not empty */
	char *smtp_password;
	char *mail_from;        /* envelope and header sender address */
	char *mail_from_name;
	int mail_ack_ttl;       /* seconds an acknowledge link in mail stays valid */
	int session_idle;       /* seconds of inactivity that end a session */
	int session_max;        /* seconds after sign-in that end a session */
	char *organisation_name; /* the city, as residents and printouts name it */
	char *csirt_office;     /* the office residents may contact about a report */
	char *csirt_phone;
	char *csirt_hours;
	int public_min_fill;    /* seconds: the residents' form sent sooner is refused */
	int public_city_per_hour; /* outside reports the whole city takes per hour; 0 any */
	size_t mail_intake_max; /* bytes: sokuho mail-intake refuses a larger message (65) */
	char *mail_trusted_authserv; /* authserv-ids whose Authentication-Results are trusted */
	char *mail_internal_relays;  /* relays whose mail counts as authenticated */
};

/* Sets every field to its default. Strings are owned by cfg: config_release. */
void config_init(struct config *cfg);
void config_release(struct config *cfg);

/* Sets one key from a string value. origin says where it came from, for the
 * message ("sokuho.conf:12", "environment SOKUHO_LISTEN", "--listen").
 * Returns 0, or -1 after writing a message for people into err. */
int config_set(struct config *cfg, const char *key, const char *value, const char *origin,
	       char *err, size_t errlen);
/* Reads a file of "key = value" lines (# starts a comment). Returns 0 or -1
 * with a message naming the file, line and key. */
int config_load_file(struct config *cfg, const char *path, char *err, size_t errlen);
/* Applies the environment variables of the directive table. */
int config_load_env(struct config *cfg, char *err, size_t errlen);
/* Prints the keys, their environment variables, defaults and meaning. */
void config_print_help(FILE *out);
/* Parses "HOST:PORT" or "[V6]:PORT" or ":PORT"; 0 or -1. host is malloc'd. */
int config_parse_listen(const char *s, char **host, int *port);

#endif
