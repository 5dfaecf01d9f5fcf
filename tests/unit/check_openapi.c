/* docs/openapi.json against the route table: every /api/ route is
 * documented with each of its methods, and every documented /api/ path and
 * method is a route. Runs from the repository root. */
#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "app.h"
#include "http/server.h"

Suite *openapi_suite(void);

#define OPENAPI_FILE "docs/openapi.json"

static json_t *load_paths(json_t **doc)
{
	json_error_t err;
	*doc = json_load_file(OPENAPI_FILE, JSON_REJECT_DUPLICATES, &err);
	ck_assert_msg(*doc != NULL, "%s: line %d: %s", OPENAPI_FILE, err.line, err.text);
	ck_assert_str_eq(json_string_value(json_object_get(*doc, "openapi")), "3.0.3");
	json_t *paths = json_object_get(*doc, "paths");
	ck_assert_msg(json_is_object(paths), "%s has no \"paths\" object", OPENAPI_FILE);
	return paths;
}

static const struct { unsigned flag; const char *op; } methods[] = {
	{HTTP_GET, "get"},
	{HTTP_POST, "post"},
};
#define NMETHODS (sizeof methods / sizeof methods[0])

/* Does the documented path describe the route's pattern? A prefix route
 * "/api/v1/incidents/" matches "/api/v1/incidents/{ref}": one templated
 * segment after the prefix. */
static int documents(const struct route *r, const char *path)
{
	if (!(r->flags & ROUTE_PREFIX))
		return strcmp(r->pattern, path) == 0;
	size_t n = strlen(r->pattern);
	if (strncmp(r->pattern, path, n) != 0)
		return 0;
	const char *rest = path + n;
	size_t len = strlen(rest);
	return len > 2 && rest[0] == '{' && rest[len - 1] == '}' && !strchr(rest, '/');
}

/* The documented path with a sample value for each {parameter}. */
static void concrete(const char *path, char *out, size_t size)
{
	size_t o = 0;
	for (const char *p = path; *p && o + 1 < size;) {
		if (*p == '{') {
			const char *end = strchr(p, '}');
			ck_assert_msg(end != NULL, "unclosed { in %s", path);
			o += (size_t)snprintf(out + o, size - o, "%s", "INC-2026-0001");
			p = end + 1;
		} else {
			out[o++] = *p++;
		}
	}
	out[o < size ? o : size - 1] = '\0';
}

START_TEST(test_every_api_route_documented)
{
	json_t *doc;
	json_t *paths = load_paths(&doc);
	int api_routes = 0;
	for (size_t i = 0; i < web_nroutes; i++) {
		const struct route *r = &web_routes[i];
		if (strncmp(r->pattern, "/api/", 5) != 0)
			continue;
		api_routes++;
		const char *path;
		json_t *item, *found = NULL;
		json_object_foreach(paths, path, item) {
			if (documents(r, path)) {
				found = item;
				break;
			}
		}
		ck_assert_msg(found != NULL, "route %s (%s) is not documented in %s", r->name,
			      r->pattern, OPENAPI_FILE);
		for (size_t m = 0; m < NMETHODS; m++)
			if (r->methods & methods[m].flag)
				ck_assert_msg(json_is_object(json_object_get(found, methods[m].op)),
					      "route %s: %s %s is not documented in %s", r->name,
					      methods[m].op, r->pattern, OPENAPI_FILE);
	}
	ck_assert_int_ge(api_routes, 1);
	json_decref(doc);
}
END_TEST

START_TEST(test_every_documented_api_path_exists)
{
	json_t *doc;
	json_t *paths = load_paths(&doc);
	struct http_server srv;
	memset(&srv, 0, sizeof srv);
	srv.routes = web_routes;
	srv.nroutes = web_nroutes;
	const char *path;
	json_t *item;
	int checked = 0;
	json_object_foreach(paths, path, item) {
		if (strncmp(path, "/api/", 5) != 0)
			continue;
		char sample[512];
		concrete(path, sample, sizeof sample);
		const char *op;
		json_t *v;
		json_object_foreach(item, op, v) {
			unsigned flag = 0;
			for (size_t m = 0; m < NMETHODS; m++)
				if (strcmp(op, methods[m].op) == 0)
					flag = methods[m].flag;
			if (!flag) {
				/* Path-level keys that are not operations. */
				static const char *const other[] = {"parameters", "summary",
								    "description", "servers", NULL};
				int known = 0;
				for (int k = 0; other[k]; k++)
					known |= strcmp(op, other[k]) == 0;
				ck_assert_msg(known, "%s %s is documented but no route accepts %s",
					      op, path, op);
				continue;
			}
			unsigned allow;
			const struct route *r = server_route(&srv, flag, sample, &allow);
			ck_assert_msg(r != NULL && strncmp(r->pattern, "/api/", 5) == 0,
				      "%s %s is documented but no API route answers it (tried %s)", op,
				      path, sample);
			checked++;
		}
	}
	ck_assert_int_ge(checked, 1);
	json_decref(doc);
}
END_TEST

Suite *openapi_suite(void)
{
	Suite *s = suite_create("openapi");
	TCase *tc = tcase_create("routes");
	tcase_add_test(tc, test_every_api_route_documented);
	tcase_add_test(tc, test_every_documented_api_path_exists);
	suite_add_tcase(s, tc);
	return s;
}
