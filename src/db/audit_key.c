/* The audit signing key and checkpoints (see audit_key.h). */
#include "audit_key.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SEED_BYTES crypto_sign_SEEDBYTES

static void key_finish(struct audit_key *k)
{
	unsigned char h[crypto_hash_sha256_BYTES];
	crypto_hash_sha256(h, k->pk, sizeof k->pk);
	sodium_bin2hex(k->id, sizeof k->id, h, AUDIT_KEY_ID_LEN / 2);
	sodium_bin2hex(k->pk_hex, sizeof k->pk_hex, k->pk, sizeof k->pk);
}

int audit_key_generate(const char *path, struct audit_key *k, char *err, size_t errlen)
{
	memset(k, 0, sizeof *k);
	unsigned char seed[SEED_BYTES];
	randombytes_buf(seed, sizeof seed);
	crypto_sign_seed_keypair(k->pk, k->sk, seed);
	k->has_secret = 1;
	key_finish(k);
	char seed_hex[2 * SEED_BYTES + 1];
	sodium_bin2hex(seed_hex, sizeof seed_hex, seed, sizeof seed);
	sodium_memzero(seed, sizeof seed);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s%s", path, strerror(errno),
			 errno == EEXIST ? " (a key is never overwritten)" : "");
		sodium_memzero(seed_hex, sizeof seed_hex);
		audit_key_wipe(k);
		return -1;
	}
	/* The mode asked for may have lost bits to the umask, never gained. */
	fchmod(fd, 0600);
	char text[512];
	int n = snprintf(text, sizeof text,
			 "# Sokuho audit log signing key (Ed25519). Keep it secret: mode 0600.\n"
			 "# public key %s\n# key id %s\nsecret %s\n",
			 k->pk_hex, k->id, seed_hex);
	sodium_memzero(seed_hex, sizeof seed_hex);
	ssize_t w = write(fd, text, (size_t)n);
	int werr = errno;
	sodium_memzero(text, sizeof text);
	if (w != n || fsync(fd) != 0 || close(fd) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(w < 0 ? werr : errno));
		unlink(path);
		audit_key_wipe(k);
		return -1;
	}
	return 0;
}

int audit_key_load(const char *path, struct audit_key *k, char *err, size_t errlen)
{
	memset(k, 0, sizeof *k);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0) {
		snprintf(err, errlen, "audit_key_file %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (st.st_mode & 077) {
		snprintf(err, errlen,
			 "audit_key_file %s: group or others may read it (mode %03o); "
			 "chmod 600 it",
			 path, (unsigned)(st.st_mode & 0777));
		close(fd);
		return -1;
	}
	char text[1024];
	ssize_t n = read(fd, text, sizeof text - 1);
	close(fd);
	if (n < 0)
		n = 0;
	text[n] = '\0';
	int rc = -1;
	unsigned char seed[SEED_BYTES];
	size_t got = 0;
	for (char *line = text; line && *line;) {
		char *next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (strncmp(line, "secret ", 7) == 0) {
			const char *end;
			if (sodium_hex2bin(seed, sizeof seed, line + 7, strlen(line + 7), NULL, &got,
					   &end) == 0 &&
			    got == sizeof seed && (*end == '\0' || *end == '\r'))
				rc = 0;
			break;
		}
		line = next;
	}
	sodium_memzero(text, sizeof text);
	if (rc != 0) {
		snprintf(err, errlen, "audit_key_file %s: no key in it (a line 'secret' and 64 hex "
				      "digits, as sokuho audit keygen writes)",
			 path);
		sodium_memzero(seed, sizeof seed);
		return -1;
	}
	crypto_sign_seed_keypair(k->pk, k->sk, seed);
	sodium_memzero(seed, sizeof seed);
	k->has_secret = 1;
	key_finish(k);
	return 0;
}

int audit_key_public(const char *hex, struct audit_key *k, char *err, size_t errlen)
{
	memset(k, 0, sizeof *k);
	size_t got = 0;
	const char *end;
	if (sodium_hex2bin(k->pk, sizeof k->pk, hex, strlen(hex), NULL, &got, &end) != 0 ||
	    got != sizeof k->pk || *end != '\0') {
		snprintf(err, errlen, "audit_public_key: not %zu bytes in hex (64 digits)",
			 sizeof k->pk);
		return -1;
	}
	key_finish(k);
	return 0;
}

void audit_key_wipe(struct audit_key *k)
{
	sodium_memzero(k->sk, sizeof k->sk);
	k->has_secret = 0;
}

/* The signed text: the line without " sig=...". */
static int message(const struct audit_checkpoint *cp, char *buf, size_t len)
{
	return snprintf(buf, len, "sokuho-checkpoint v1 place=%lld hash=%s at=%s key=%s", cp->seq,
			cp->hash, cp->at, cp->key_id);
}

void audit_checkpoint_sign(const struct audit_key *k, struct audit_checkpoint *cp)
{
	memcpy(cp->key_id, k->id, sizeof cp->key_id);
	char m[256];
	int n = message(cp, m, sizeof m);
	crypto_sign_detached(cp->sig, NULL, (const unsigned char *)m, (unsigned long long)n, k->sk);
}

int audit_checkpoint_sig_ok(const struct audit_key *k, const struct audit_checkpoint *cp)
{
	char m[256];
	int n = message(cp, m, sizeof m);
	return n > 0 && (size_t)n < sizeof m &&
	       crypto_sign_verify_detached(cp->sig, (const unsigned char *)m,
					   (unsigned long long)n, k->pk) == 0;
}

void audit_checkpoint_format(const struct audit_checkpoint *cp, char *buf, size_t len)
{
	char sig[sodium_base64_ENCODED_LEN(crypto_sign_BYTES, sodium_base64_VARIANT_ORIGINAL)];
	sodium_bin2base64(sig, sizeof sig, cp->sig, sizeof cp->sig, sodium_base64_VARIANT_ORIGINAL);
	int n = message(cp, buf, len);
	if (n > 0 && (size_t)n < len)
		snprintf(buf + n, len - (size_t)n, " sig=%s", sig);
}

/* Copies the value of " name=" in s (up to a blank) into out. */
static int field(const char *s, const char *name, char *out, size_t outlen)
{
	char pat[16];
	snprintf(pat, sizeof pat, " %s=", name);
	const char *p = strstr(s, pat);
	if (!p)
		return -1;
	p += strlen(pat);
	size_t n = strcspn(p, " \t\r\n");
	if (n == 0 || n >= outlen)
		return -1;
	memcpy(out, p, n);
	out[n] = '\0';
	return 0;
}

int audit_checkpoint_parse(const char *line, struct audit_checkpoint *cp)
{
	memset(cp, 0, sizeof *cp);
	line += strspn(line, " \t");
	if (strncmp(line, "sokuho-checkpoint v1 ", 21) != 0)
		return -1;
	char place[24], sig[128];
	if (field(line, "place", place, sizeof place) < 0 ||
	    field(line, "hash", cp->hash, sizeof cp->hash) < 0 ||
	    field(line, "at", cp->at, sizeof cp->at) < 0 ||
	    field(line, "key", cp->key_id, sizeof cp->key_id) < 0 ||
	    field(line, "sig", sig, sizeof sig) < 0)
		return -1;
	char *end;
	errno = 0;
	cp->seq = strtoll(place, &end, 10);
	if (errno || *end || cp->seq < 1 || strlen(cp->hash) != 64)
		return -1;
	size_t got = 0;
	if (sodium_base642bin(cp->sig, sizeof cp->sig, sig, strlen(sig), NULL, &got, NULL,
			      sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    got != sizeof cp->sig)
		return -1;
	return 0;
}
