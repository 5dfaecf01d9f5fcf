/* Runner for the unit tests: no database, no network. */
#include <check.h>
#include <stdlib.h>

Suite *authz_suite(void);
Suite *buf_suite(void);
Suite *multipart_suite(void);
Suite *form_suite(void);
Suite *duration_suite(void);
Suite *condition_suite(void);
Suite *legal_suite(void);
Suite *config_suite(void);
Suite *mustache_suite(void);
Suite *workflow_suite(void);
Suite *mime_suite(void);
Suite *mail_templates_suite(void);
Suite *openapi_suite(void);
Suite *csvout_suite(void);
Suite *timefmt_suite(void);
Suite *drill_suite(void);
Suite *liveness_suite(void);
Suite *calendar_suite(void);
Suite *legal_period_suite(void);
Suite *i18n_suite(void);

int main(void)
{
	SRunner *sr = srunner_create(buf_suite());
	srunner_add_suite(sr, config_suite());
	srunner_add_suite(sr, authz_suite());
	srunner_add_suite(sr, duration_suite());
	srunner_add_suite(sr, condition_suite());
	srunner_add_suite(sr, legal_suite());
	srunner_add_suite(sr, multipart_suite());
	srunner_add_suite(sr, form_suite());
	srunner_add_suite(sr, mustache_suite());
	srunner_add_suite(sr, workflow_suite());
	srunner_add_suite(sr, mime_suite());
	srunner_add_suite(sr, mail_templates_suite());
	srunner_add_suite(sr, openapi_suite());
	srunner_add_suite(sr, csvout_suite());
	srunner_add_suite(sr, timefmt_suite());
	srunner_add_suite(sr, drill_suite());
	srunner_add_suite(sr, liveness_suite());
	srunner_add_suite(sr, calendar_suite());
	srunner_add_suite(sr, legal_period_suite());
	srunner_add_suite(sr, i18n_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
