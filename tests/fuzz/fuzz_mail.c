/* libFuzzer harness of the mail intake's reading (issue 20): message bytes
 * in, the facts mail_intake_parse makes out, no database. Every result must
 * be complete (each key there: jansson refuses a string that is not UTF-8,
 * so a bad conversion would leave one out) and serialisable; the charset
 * converter and the RFC 2047 decoder get the same bytes. `make fuzz-mail`
 * (FUZZ_SECONDS, default 60) runs it on the seeds of tests/fuzz/seeds and
 * tests/mail/fixtures. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/utf8.h"
#include "mail/intake.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void must(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_mail: %s\n", what);
		abort();
	}
}

static void must_utf8(const char *s, const char *what)
{
	must(s != NULL && utf8_valid(s, strlen(s)), what);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *d = (const char *)data;
	struct mail_intake_opts o = {"mx.city.example.jp, mx2.city.example.jp", "10.0.0.25"};
	char why[256];
	char *orig = NULL;
	size_t orig_len = 0;
	json_t *f = mail_intake_parse(d, size, &o, &orig, &orig_len, why, sizeof why);
	if (!f) {
		must(why[0] != '\0', "refused without a reason");
	} else {
		static const char *const keys[] = {"from", "from_name", "subject", "message_id",
						   "in_reply_to", "thread_ref", "auth_via",
						   "automatic", "body", NULL};
		for (int k = 0; keys[k]; k++)
			must(json_is_string(json_object_get(f, keys[k])), keys[k]);
		must(json_is_boolean(json_object_get(f, "authenticated")), "authenticated");
		json_t *og = json_object_get(f, "original");
		static const char *const okeys[] = {"shape", "from", "reply_to", "return_path",
						    "subject", "date", "message_id", NULL};
		for (int k = 0; okeys[k]; k++)
			must(json_is_string(json_object_get(og, okeys[k])), okeys[k]);
		must(json_is_array(json_object_get(og, "urls")), "urls");
		must(json_array_size(json_object_get(og, "urls")) <= MAIL_INTAKE_MAX_URLS, "urls");
		must(json_is_array(json_object_get(og, "attachments")), "attachments");
		char *s = json_dumps(f, JSON_COMPACT);
		must(s != NULL, "json_dumps");
		free(s);
		json_decref(f);
	}
	free(orig);
	static const char *const labels[] = {"ISO-2022-JP", "Shift_JIS", "EUC-JP", "UTF-8", NULL};
	for (int k = 0; labels[k]; k++) {
		char *t = mail_intake_to_utf8(labels[k], d, size);
		must_utf8(t, labels[k]);
		free(t);
	}
	if (size < 4096) {
		char *z = malloc(size + 1);
		memcpy(z, d, size);
		z[size] = '\0';
		char *h = mail_intake_header_text(z);
		must_utf8(h, "header text");
		free(h);
		free(z);
	}
	return 0;
}
