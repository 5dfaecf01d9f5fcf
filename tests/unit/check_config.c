/* Configuration: every bad key or value names itself and what is expected. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/config.h"

Suite *config_suite(void);

START_TEST(test_defaults)
{
	struct config c;
	config_init(&c);
	ck_assert_str_eq(c.listen_host, "127.0.0.1");
	ck_assert_int_eq(c.listen_port, 8080);
	ck_assert_str_eq(c.database_url, "");
	ck_assert_uint_eq(c.max_body, 20u * 1024 * 1024);
	ck_assert_uint_eq(c.attachment_max, 10u * 1024 * 1024);
	ck_assert_uint_eq(c.public_max_body, 2u * 1024 * 1024);
	ck_assert_int_eq(c.per_ip_connection_limit, 64);
	ck_assert_uint_eq(c.body_memory, 256u * 1024 * 1024);
	config_release(&c);
}
END_TEST

START_TEST(test_values)
{
	struct config c;
	char err[256];
	config_init(&c);
	ck_assert_int_eq(config_set(&c, "listen", "[::1]:9090", "t", err, sizeof err), 0);
	ck_assert_str_eq(c.listen_host, "::1");
	ck_assert_int_eq(c.listen_port, 9090);
	ck_assert_int_eq(config_set(&c, "max_body", "512K", "t", err, sizeof err), 0);
	ck_assert_uint_eq(c.max_body, 512u * 1024);
	ck_assert_int_eq(config_set(&c, "threads", "8", "t", err, sizeof err), 0);
	ck_assert_int_eq(c.threads, 8);
	ck_assert_int_eq(config_set(&c, "public_max_body", "1M", "t", err, sizeof err), 0);
	ck_assert_uint_eq(c.public_max_body, 1024u * 1024);
	ck_assert_int_eq(config_set(&c, "per_ip_connection_limit", "0", "t", err, sizeof err), 0);
	ck_assert_int_eq(c.per_ip_connection_limit, 0);
	ck_assert_int_eq(config_set(&c, "body_memory", "64M", "t", err, sizeof err), 0);
	ck_assert_uint_eq(c.body_memory, 64u * 1024 * 1024);
	config_release(&c);
}
END_TEST

START_TEST(test_bad_values_name_the_key)
{
	struct config c;
	char err[256];
	config_init(&c);
	ck_assert_int_eq(config_set(&c, "threads", "many", "option --threads", err, sizeof err), -1);
	ck_assert_msg(strstr(err, "'threads'") && strstr(err, "whole number from 1 to 256"), "%s",
		      err);
	ck_assert_int_eq(config_set(&c, "threads", "0", "t", err, sizeof err), -1);
	ck_assert_int_eq(config_set(&c, "listen", "localhost", "t", err, sizeof err), -1);
	ck_assert_msg(strstr(err, "expected HOST:PORT"), "%s", err);
	ck_assert_int_eq(config_set(&c, "listen", "127.0.0.1:70000", "t", err, sizeof err), -1);
	ck_assert_int_eq(config_set(&c, "max_body", "10X", "t", err, sizeof err), -1);
	ck_assert_msg(strstr(err, "'max_body'"), "%s", err);
	ck_assert_int_eq(config_set(&c, "per_ip_connection_limit", "-1", "t", err, sizeof err), -1);
	ck_assert_msg(strstr(err, "'per_ip_connection_limit'") && strstr(err, "from 0 to 100000"),
		      "%s", err);
	ck_assert_int_eq(config_set(&c, "log_level", "loud", "t", err, sizeof err), -1);
	ck_assert_int_eq(config_set(&c, "colour", "red", "t", err, sizeof err), -1);
	ck_assert_msg(strstr(err, "unknown configuration key 'colour'"), "%s", err);
	config_release(&c);
}
END_TEST

START_TEST(test_file)
{
	char path[] = "/tmp/sokuho-conf-XXXXXX";
	int fd = mkstemp(path);
	FILE *f = fdopen(fd, "w");
	fputs("# comment\n\nlisten = 0.0.0.0:8081\nbase_url = \"https://sokuho.example.jp\"\n"
	      "threads = 2\nthreds = 3\n",
	      f);
	fclose(f);
	struct config c;
	char err[512];
	config_init(&c);
	ck_assert_int_eq(config_load_file(&c, path, err, sizeof err), -1);
	ck_assert_msg(strstr(err, ":6: unknown configuration key 'threds'"), "%s", err);
	ck_assert_int_eq(c.listen_port, 8081);
	ck_assert_str_eq(c.base_url, "https://sokuho.example.jp");
	config_release(&c);
	unlink(path);
	config_init(&c);
	ck_assert_int_eq(config_load_file(&c, "/nonexistent/sokuho.conf", err, sizeof err), -1);
	ck_assert_msg(strstr(err, "'/nonexistent/sokuho.conf'"), "%s", err);
	config_release(&c);
}
END_TEST

START_TEST(test_env)
{
	struct config c;
	char err[512];
	config_init(&c);
	setenv("SOKUHO_THREADS", "x", 1);
	ck_assert_int_eq(config_load_env(&c, err, sizeof err), -1);
	ck_assert_msg(strstr(err, "SOKUHO_THREADS"), "%s", err);
	unsetenv("SOKUHO_THREADS");
	setenv("DATABASE_URL", "dbname=x", 1);
	ck_assert_int_eq(config_load_env(&c, err, sizeof err), 0);
	ck_assert_str_eq(c.database_url, "dbname=x");
	unsetenv("DATABASE_URL");
	config_release(&c);
}
END_TEST

Suite *config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("config");
	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_values);
	tcase_add_test(tc, test_bad_values_name_the_key);
	tcase_add_test(tc, test_file);
	tcase_add_test(tc, test_env);
	suite_add_tcase(s, tc);
	return s;
}
