/* The liveness registry behind /healthz: only watched parts are judged, an
 * outage counts until its loop is back, the engine comes first, and many
 * threads reporting at once leave the counts right. (The 10 s heartbeat is
 * tested end to end: suite fault, test_healthz_stuck_engine.) */
#include <check.h>
#include <pthread.h>
#include <stddef.h>

#include "core/liveness.h"

Suite *liveness_suite(void);

START_TEST(test_watched_parts_only)
{
	ck_assert_ptr_null(liveness_failing());
	liveness_lost(LIVENESS_ENGINE); /* a loop this process does not run... */
	ck_assert_ptr_null(liveness_failing());
	liveness_watch(LIVENESS_ENGINE); /* ...is judged once it does */
	ck_assert_str_eq(liveness_failing(), "engine");
	liveness_back(LIVENESS_ENGINE);
	ck_assert_ptr_null(liveness_failing());

	liveness_watch(LIVENESS_MAILER);
	liveness_lost(LIVENESS_MAILER);
	ck_assert_str_eq(liveness_failing(), "mailer");
	liveness_lost(LIVENESS_ENGINE);
	ck_assert_str_eq(liveness_failing(), "engine");
	liveness_back(LIVENESS_ENGINE);
	ck_assert_str_eq(liveness_failing(), "mailer");
	liveness_unwatch(LIVENESS_MAILER); /* its loop ended: no longer judged */
	ck_assert_ptr_null(liveness_failing());
	liveness_back(LIVENESS_MAILER);

	/* a back without a lost does not hide the next outage */
	liveness_back(LIVENESS_ENGINE);
	liveness_lost(LIVENESS_ENGINE);
	ck_assert_str_eq(liveness_failing(), "engine");
	liveness_back(LIVENESS_ENGINE);
	liveness_lost(LIVENESS_NONE);
	liveness_watch(LIVENESS_PARTS);
	ck_assert_ptr_null(liveness_failing());
	liveness_unwatch(LIVENESS_ENGINE);
}
END_TEST

static void *flap(void *arg)
{
	(void)arg;
	for (int i = 0; i < 20000; i++) {
		liveness_lost(LIVENESS_ENGINE);
		liveness_beat(LIVENESS_ENGINE);
		liveness_back(LIVENESS_ENGINE);
	}
	return NULL;
}

START_TEST(test_threads)
{
	liveness_watch(LIVENESS_ENGINE);
	pthread_t th[4];
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(pthread_create(&th[i], NULL, flap, NULL), 0);
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	ck_assert_ptr_null(liveness_failing());
	liveness_unwatch(LIVENESS_ENGINE);
}
END_TEST

Suite *liveness_suite(void)
{
	Suite *s = suite_create("liveness");
	TCase *tc = tcase_create("liveness");
	tcase_add_test(tc, test_watched_parts_only);
	tcase_add_test(tc, test_threads);
	suite_add_tcase(s, tc);
	return s;
}
