/* Command-line options shared by every subcommand (see options.h). */
#include "options.h"

#include <stdio.h>
#include <string.h>

/* Splits argv into configuration options (applied to cfg) and positional
 * arguments (left in pos). Returns 0, 1 for --help, or -1 (message printed). */
int options_parse(struct config *cfg, int argc, char **argv, char **pos, int *npos,
			 const char *const *extra, const char **extra_val)
{
	char err[512];
	*npos = 0;
	for (int i = 0; i < argc; i++) {
		char *a = argv[i];
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)
			return 1;
		if (strncmp(a, "--", 2) != 0) {
			pos[(*npos)++] = a;
			continue;
		}
		char key[64];
		const char *val;
		const char *eq = strchr(a, '=');
		size_t klen = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
		if (klen == 0 || klen >= sizeof key) {
			fprintf(stderr, "sokuho: unknown option '%s'\n", a);
			return -1;
		}
		memcpy(key, a + 2, klen);
		key[klen] = '\0';
		for (char *k = key; *k; k++)
			if (*k == '-')
				*k = '_';
		int flag = -1;
		for (int e = 0; extra && extra[e]; e++) {
			size_t el = strlen(extra[e]);
			if (el && extra[e][el - 1] == '?' && el - 1 == strlen(key) &&
			    strncmp(extra[e], key, el - 1) == 0)
				flag = e;
		}
		if (flag >= 0) {
			extra_val[flag] = eq ? eq + 1 : "1";
			continue;
		}
		if (eq) {
			val = eq + 1;
		} else if (i + 1 < argc) {
			val = argv[++i];
		} else {
			fprintf(stderr, "sokuho: option '--%s' needs a value\n", key);
			return -1;
		}
		if (strcmp(key, "config") == 0)
			continue; /* already applied by main */
		int handled = 0;
		for (int e = 0; extra && extra[e]; e++) {
			if (strcmp(extra[e], key) == 0) {
				extra_val[e] = val;
				handled = 1;
			}
		}
		if (handled)
			continue;
		char origin[80];
		snprintf(origin, sizeof origin, "option --%s", key);
		if (config_set(cfg, key, val, origin, err, sizeof err) < 0) {
			fprintf(stderr, "sokuho: %s\n", err);
			return -1;
		}
	}
	return 0;
}

