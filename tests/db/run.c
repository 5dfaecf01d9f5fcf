/* Runner for the database tests: needs libpq's PG* variables to point at a
 * PostgreSQL server where the user may create databases (make check uses
 * pg_virtualenv). */
#include <check.h>
#include <stdlib.h>

Suite *migrate_suite(void);
Suite *engine_suite(void);
Suite *people_suite(void);
Suite *smtp_suite(void);
Suite *tx_suite(void);
Suite *pool_suite(void);
Suite *visibility_suite(void);
Suite *seal_suite(void);

int main(void)
{
	SRunner *sr = srunner_create(migrate_suite());
	srunner_add_suite(sr, people_suite());
	srunner_add_suite(sr, engine_suite());
	srunner_add_suite(sr, smtp_suite());
	srunner_add_suite(sr, tx_suite());
	srunner_add_suite(sr, pool_suite());
	srunner_add_suite(sr, visibility_suite());
	srunner_add_suite(sr, seal_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
