/* The audit log's signing key and signed checkpoints (issue 17, docs/audit.md).
 *
 * A checkpoint says "place SEQ of the chain has hash HASH" at a time, signed
 * with the installation's Ed25519 key (libsodium). Its text, as `sokuho audit
 * checkpoint` prints it for anyone to keep, is one line:
 *
 *     sokuho-checkpoint v1 place=SEQ hash=HEX at=YYYY-MM-DDTHH:MM:SSZ key=KEYID sig=BASE64
 *
 * and the signature is over the line up to (not including) " sig=". The key
 * id is the first 8 bytes of SHA-256 of the public key, in hex. */
#ifndef SOKUHO_AUDIT_KEY_H
#define SOKUHO_AUDIT_KEY_H

#include <sodium.h>
#include <stddef.h>

#define AUDIT_KEY_ID_LEN 16 /* hex characters */

struct audit_key {
	unsigned char pk[crypto_sign_PUBLICKEYBYTES];
	unsigned char sk[crypto_sign_SECRETKEYBYTES]; /* zero when has_secret is 0 */
	int has_secret;
	char id[AUDIT_KEY_ID_LEN + 1];
	char pk_hex[2 * crypto_sign_PUBLICKEYBYTES + 1];
};

/* Makes a new key and writes it to path, which must not exist (mode 0600,
 * created with O_EXCL). Returns 0, or -1 with a message in err. */
int audit_key_generate(const char *path, struct audit_key *k, char *err, size_t errlen);
/* Reads the key file at path: refused when group or others may read it, or
 * it holds no well-formed key. Returns 0 or -1 with a message in err (never
 * the key). */
int audit_key_load(const char *path, struct audit_key *k, char *err, size_t errlen);
/* A public key only (hex of 32 bytes): checks signatures, cannot sign. */
int audit_key_public(const char *hex, struct audit_key *k, char *err, size_t errlen);
/* Forgets the secret part. */
void audit_key_wipe(struct audit_key *k);

struct audit_checkpoint {
	long long seq;
	char hash[65];                    /* hex of the chain's SHA-256 at seq */
	char at[32];                      /* UTC, seconds: 2026-12-08T00:12:00Z */
	char key_id[AUDIT_KEY_ID_LEN + 1];
	unsigned char sig[crypto_sign_BYTES];
};

/* Fills key_id and sig (k must have its secret). */
void audit_checkpoint_sign(const struct audit_key *k, struct audit_checkpoint *cp);
/* 1 when cp's signature is k's over its fields (key_id included), else 0. */
int audit_checkpoint_sig_ok(const struct audit_key *k, const struct audit_checkpoint *cp);
/* The line above (no newline) into buf; buf of 320 bytes is enough. */
void audit_checkpoint_format(const struct audit_checkpoint *cp, char *buf, size_t len);
/* Parses a line (leading and trailing blanks ignored). 0 or -1. */
int audit_checkpoint_parse(const char *line, struct audit_checkpoint *cp);

#endif
