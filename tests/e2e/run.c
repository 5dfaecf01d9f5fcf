/* Runner for the end-to-end tests: starts `sokuho serve` ($SOKUHO_BIN) against
 * databases created through libpq's PG* variables. */
#include <check.h>
#include <curl/curl.h>
#include <sodium.h>
#include <stdlib.h>

Suite *http_suite(void);
Suite *auth_suite(void);
Suite *report_suite(void);
Suite *mail_suite(void);
Suite *i18n_suite(void);
Suite *metrics_suite(void);
Suite *tokens_suite(void);
Suite *processes_suite(void);
Suite *reports_suite(void);
Suite *lists_suite(void);
Suite *strict_suite(void);
Suite *fault_suite(void);
Suite *limits_suite(void);
Suite *audit_suite(void);
Suite *failover_suite(void);
Suite *resident_suite(void);
Suite *mailintake_suite(void);
Suite *submission_suite(void);

int main(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (sodium_init() < 0)
		return EXIT_FAILURE;
	SRunner *sr = srunner_create(http_suite());
	srunner_add_suite(sr, auth_suite());
	srunner_add_suite(sr, report_suite());
	srunner_add_suite(sr, mail_suite());
	srunner_add_suite(sr, i18n_suite());
	srunner_add_suite(sr, metrics_suite());
	srunner_add_suite(sr, tokens_suite());
	srunner_add_suite(sr, processes_suite());
	srunner_add_suite(sr, reports_suite());
	srunner_add_suite(sr, lists_suite());
	srunner_add_suite(sr, strict_suite());
	srunner_add_suite(sr, fault_suite());
	srunner_add_suite(sr, limits_suite());
	srunner_add_suite(sr, audit_suite());
	srunner_add_suite(sr, failover_suite());
	srunner_add_suite(sr, resident_suite());
	srunner_add_suite(sr, mailintake_suite());
	srunner_add_suite(sr, submission_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	curl_global_cleanup();
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
