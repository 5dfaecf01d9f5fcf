/* The condition language of workflow files and legal-clock rules (see
 * condition.h): a strict checker that names the JSON path of each fault, and
 * an evaluator that treats absent and null facts as missing. */
#include "condition.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/buf.h"
#include "wf/jcheck.h"

enum op_kind { OP_SCALAR, OP_NUMBER, OP_LIST, OP_BOOL };

enum op {
	OP_EQ,
	OP_NE,
	OP_GT,
	OP_GE,
	OP_LT,
	OP_LE,
	OP_IN,
	OP_CONTAINS,
	OP_EXISTS,
	NOPS
};

static const struct {
	const char *name;
	enum op_kind kind;
} ops[NOPS] = {
	[OP_EQ] = {"eq", OP_SCALAR},	  [OP_NE] = {"ne", OP_SCALAR},
	[OP_GT] = {"gt", OP_NUMBER},	  [OP_GE] = {"ge", OP_NUMBER},
	[OP_LT] = {"lt", OP_NUMBER},	  [OP_LE] = {"le", OP_NUMBER},
	[OP_IN] = {"in", OP_LIST},	  [OP_CONTAINS] = {"contains", OP_SCALAR},
	[OP_EXISTS] = {"exists", OP_BOOL},
};

#define OP_LIST_TEXT "eq, ne, gt, ge, lt, le, in, contains or exists"
#define FORMS_TEXT                                                                     \
	"a condition such as {\"field\": \"personal_data.persons\", \"gt\": 100}, "     \
	"{\"all\": [...]}, {\"any\": [...]} or {\"not\": {...}}"

static int find_op(const char *name)
{
	for (int i = 0; i < NOPS; i++)
		if (strcmp(ops[i].name, name) == 0)
			return i;
	return -1;
}

/* Type names as the loaders give them, integers and reals alike "a number". */
static const char *type_name(const json_t *j)
{
	return jc_type_name(j, 0);
}

static int is_scalar(const json_t *j)
{
	return json_is_string(j) || json_is_number(j) || json_is_boolean(j);
}

/* ---- checking ---- */

struct checker {
	buf path; /* JSON path of the node being checked */
	char *err;
	size_t errlen;
};

static size_t path_push(struct checker *k, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static size_t path_push(struct checker *k, const char *fmt, ...)
{
	size_t mark = k->path.len;
	va_list ap;
	va_start(ap, fmt);
	buf_vprintf(&k->path, fmt, ap);
	va_end(ap);
	return mark;
}

static void path_pop(struct checker *k, size_t mark)
{
	k->path.len = mark;
	k->path.data[mark] = '\0';
}

static int fail(struct checker *k, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(struct checker *k, const char *fmt, ...)
{
	int n = snprintf(k->err, k->errlen, "%s: ", buf_cstr(&k->path));
	if (n >= 0 && (size_t)n < k->errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(k->err + n, k->errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* A dotted path of non-empty keys made of letters, digits, '_' and '-'. */
static int valid_field(const char *s)
{
	int seglen = 0;
	if (!*s)
		return 0;
	for (; *s; s++) {
		if (*s == '.') {
			if (!seglen)
				return 0;
			seglen = 0;
		} else if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
			   (*s >= '0' && *s <= '9') || *s == '_' || *s == '-') {
			seglen++;
		} else {
			return 0;
		}
	}
	return seglen > 0;
}

static int check_node(struct checker *k, const json_t *c, int depth);

static int check_operand(struct checker *k, int op, const json_t *v)
{
	size_t mark = path_push(k, ".%s", ops[op].name);
	int rc = 0;
	switch (ops[op].kind) {
	case OP_SCALAR:
		if (json_is_null(v))
			rc = fail(k, "expected a string, number or boolean, found null "
				     "(test for absence with \"exists\": false)");
		else if (!is_scalar(v))
			rc = fail(k, "expected a string, number or boolean, found %s",
				  type_name(v));
		break;
	case OP_NUMBER:
		if (!json_is_number(v))
			rc = fail(k, "expected a number, found %s", type_name(v));
		break;
	case OP_BOOL:
		if (!json_is_boolean(v))
			rc = fail(k, "expected true or false, found %s", type_name(v));
		break;
	case OP_LIST:
		if (!json_is_array(v)) {
			rc = fail(k, "expected an array of allowed values, found %s",
				  type_name(v));
		} else if (json_array_size(v) == 0) {
			rc = fail(k, "expected at least one allowed value");
		} else {
			for (size_t i = 0; i < json_array_size(v) && rc == 0; i++) {
				const json_t *e = json_array_get(v, i);
				if (!is_scalar(e)) {
					size_t m2 = path_push(k, "[%zu]", i);
					rc = fail(k, "expected a string, number or boolean, found %s",
						  type_name(e));
					path_pop(k, m2);
				}
			}
		}
		break;
	}
	path_pop(k, mark);
	return rc;
}

static int check_leaf(struct checker *k, const json_t *c)
{
	const char *key;
	json_t *v;
	int op = -1;

	json_object_foreach(jc_unconst(c), key, v) {
		if (strcmp(key, "field") == 0)
			continue;
		int o = find_op(key);
		size_t mark = path_push(k, ".%s", key);
		if (o < 0) {
			fail(k, "unknown key; expected \"field\" and one operator: " OP_LIST_TEXT);
			path_pop(k, mark);
			return -1;
		}
		if (op >= 0) {
			fail(k, "a second operator next to \"%s\"; a condition has exactly one",
			     ops[op].name);
			path_pop(k, mark);
			return -1;
		}
		path_pop(k, mark);
		op = o;
	}

	const json_t *f = json_object_get(c, "field");
	size_t mark = path_push(k, ".field");
	if (!json_is_string(f)) {
		fail(k, "expected a dotted path such as \"personal_data.persons\", found %s",
		     type_name(f));
		path_pop(k, mark);
		return -1;
	}
	if (!valid_field(json_string_value(f))) {
		fail(k,
		     "'%s' is not a field path; expected keys of letters, digits, '_' or '-' "
		     "joined by dots, such as \"personal_data.persons\"",
		     json_string_value(f));
		path_pop(k, mark);
		return -1;
	}
	path_pop(k, mark);

	if (op < 0)
		return fail(k, "missing operator; expected one of " OP_LIST_TEXT);
	return check_operand(k, op, json_object_get(c, ops[op].name));
}

static int check_list(struct checker *k, const char *form, const json_t *list, int depth)
{
	size_t mark = path_push(k, ".%s", form);
	int rc = 0;
	if (!json_is_array(list)) {
		rc = fail(k, "expected an array of conditions, found %s", type_name(list));
	} else if (json_array_size(list) == 0) {
		rc = fail(k, "expected at least one condition");
	} else {
		for (size_t i = 0; i < json_array_size(list) && rc == 0; i++) {
			size_t m2 = path_push(k, "[%zu]", i);
			rc = check_node(k, json_array_get(list, i), depth + 1);
			path_pop(k, m2);
		}
	}
	path_pop(k, mark);
	return rc;
}

static int check_node(struct checker *k, const json_t *c, int depth)
{
	static const char *const forms[] = {"all", "any", "not", "field"};
	const char *form = NULL;

	if (depth > COND_MAX_DEPTH)
		return fail(k, "conditions nest more than %d deep", COND_MAX_DEPTH);
	if (!json_is_object(c))
		return fail(k, "expected " FORMS_TEXT ", found %s", type_name(c));
	if (json_object_size(c) == 0)
		return fail(k, "empty condition; expected " FORMS_TEXT);

	for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
		if (!json_object_get(c, forms[i]))
			continue;
		if (form)
			return fail(k,
				    "both \"%s\" and \"%s\"; a condition has exactly one of all, "
				    "any, not and field",
				    form, forms[i]);
		form = forms[i];
	}

	if (!form) {
		const char *key;
		json_t *v;
		json_object_foreach(jc_unconst(c), key, v) {
			(void)v;
			if (find_op(key) >= 0)
				return fail(k, "\"%s\" without \"field\"; expected {\"field\": "
					       "\"dotted.path\", \"%s\": ...}",
					    key, key);
			size_t mark = path_push(k, ".%s", key);
			fail(k, "unknown key; expected " FORMS_TEXT);
			path_pop(k, mark);
			return -1;
		}
		return fail(k, "expected " FORMS_TEXT);
	}
	if (strcmp(form, "field") == 0)
		return check_leaf(k, c);

	/* all, any, not: the form's key stands alone. */
	const char *key;
	json_t *v;
	json_object_foreach(jc_unconst(c), key, v) {
		(void)v;
		if (strcmp(key, form) == 0)
			continue;
		size_t mark = path_push(k, ".%s", key);
		fail(k, "unknown key next to \"%s\"; {\"%s\": ...} takes no other key", form, form);
		path_pop(k, mark);
		return -1;
	}
	if (strcmp(form, "not") == 0) {
		size_t mark = path_push(k, ".not");
		int rc = check_node(k, json_object_get(c, "not"), depth + 1);
		path_pop(k, mark);
		return rc;
	}
	return check_list(k, form, json_object_get(c, form), depth);
}

int cond_check(const json_t *c, const char *path, char *err, size_t errlen)
{
	struct checker k = {BUF_INIT, err, errlen};
	buf_puts(&k.path, path && *path ? path : "$");
	int rc = check_node(&k, c, 1);
	buf_release(&k.path);
	return rc;
}

/* ---- evaluation ---- */

const json_t *cond_lookup(const json_t *facts, const char *field)
{
	const json_t *v = facts;
	const char *p = field;
	if (!field)
		return NULL;
	for (;;) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);
		if (!json_is_object(v))
			return NULL;
		v = json_object_getn(v, p, n);
		if (!v)
			return NULL;
		if (!dot)
			break;
		p = dot + 1;
	}
	return json_is_null(v) ? NULL : v;
}

static int scalar_eq(const json_t *a, const json_t *b)
{
	if (json_is_integer(a) && json_is_integer(b))
		return json_integer_value(a) == json_integer_value(b);
	if (json_is_number(a) && json_is_number(b))
		return !(json_number_value(a) < json_number_value(b)) &&
		       !(json_number_value(a) > json_number_value(b));
	if (json_is_string(a) && json_is_string(b))
		return json_string_length(a) == json_string_length(b) &&
		       memcmp(json_string_value(a), json_string_value(b),
			      json_string_length(a)) == 0;
	if (json_is_boolean(a) && json_is_boolean(b))
		return json_is_true(a) == json_is_true(b);
	return 0;
}

/* Sets *cmp to <0, 0 or >0 as a is below, at or above b; returns 0 when
 * either is not a number. */
static int number_cmp(const json_t *a, const json_t *b, int *cmp)
{
	if (!json_is_number(a) || !json_is_number(b))
		return 0;
	if (json_is_integer(a) && json_is_integer(b)) {
		json_int_t x = json_integer_value(a), y = json_integer_value(b);
		*cmp = (x > y) - (x < y);
	} else {
		double x = json_number_value(a), y = json_number_value(b);
		*cmp = (x > y) - (x < y);
	}
	return 1;
}

/* The evaluators return 1 (holds), 0 (does not) or -1 (not a valid
 * condition), so that a malformed part makes the whole condition fail rather
 * than, under a "not", succeed. */
static int eval_leaf(const json_t *c, const json_t *facts)
{
	const json_t *f = json_object_get(c, "field");
	if (!json_is_string(f))
		return -1;
	const json_t *v = cond_lookup(facts, json_string_value(f));
	int cmp;
	for (int op = 0; op < NOPS; op++) {
		const json_t *arg = json_object_get(c, ops[op].name);
		if (!arg)
			continue;
		switch ((enum op)op) {
		case OP_EQ:
			return v && scalar_eq(v, arg);
		case OP_NE:
			return !(v && scalar_eq(v, arg));
		case OP_GT:
			return v && number_cmp(v, arg, &cmp) && cmp > 0;
		case OP_GE:
			return v && number_cmp(v, arg, &cmp) && cmp >= 0;
		case OP_LT:
			return v && number_cmp(v, arg, &cmp) && cmp < 0;
		case OP_LE:
			return v && number_cmp(v, arg, &cmp) && cmp <= 0;
		case OP_IN:
			if (!json_is_array(arg))
				return -1;
			if (!v)
				return 0;
			for (size_t i = 0; i < json_array_size(arg); i++)
				if (scalar_eq(v, json_array_get(arg, i)))
					return 1;
			return 0;
		case OP_CONTAINS:
			if (!json_is_array(v))
				return 0;
			for (size_t i = 0; i < json_array_size(v); i++)
				if (scalar_eq(json_array_get(v, i), arg))
					return 1;
			return 0;
		case OP_EXISTS:
			return (v != NULL) == json_is_true(arg);
		case NOPS:
			break;
		}
	}
	return -1;
}

static int eval_node(const json_t *c, const json_t *facts, int depth)
{
	const json_t *x;
	int r;
	if (!json_is_object(c) || depth > COND_MAX_DEPTH)
		return -1;
	if ((x = json_object_get(c, "all")) || (x = json_object_get(c, "any"))) {
		int is_all = json_object_get(c, "all") != NULL;
		if (!json_is_array(x) || json_array_size(x) == 0)
			return -1;
		/* Every child is evaluated so that a malformed one is never hidden
		 * by the short cut. */
		int result = is_all;
		for (size_t i = 0; i < json_array_size(x); i++) {
			r = eval_node(json_array_get(x, i), facts, depth + 1);
			if (r < 0)
				return -1;
			if (is_all ? !r : r)
				result = !is_all;
		}
		return result;
	}
	if ((x = json_object_get(c, "not"))) {
		r = eval_node(x, facts, depth + 1);
		return r < 0 ? -1 : !r;
	}
	return eval_leaf(c, facts);
}

int cond_eval(const json_t *c, const json_t *facts)
{
	return eval_node(c, facts, 1) == 1;
}

int cond_get(struct jc *c, const json_t *obj, const char *path, const json_t **out)
{
	char p[JC_PATH_LEN], cerr[1024];
	jc_subpath(p, path, ".when");
	const json_t *w = json_object_get(obj, "when");
	if (cond_check(w, p, cerr, sizeof cerr) < 0) {
		snprintf(c->err, c->errlen, "%s: %s", c->file, cerr);
		return -1;
	}
	*out = w;
	return 0;
}
