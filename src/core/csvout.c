/* csvout: RFC 4180 fields with a formula-injection guard. See csvout.h for
 * the contract. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/csvout.h"

void csv_init(struct csvout *c, buf *out)
{
	c->out = out;
	c->col = 0;
}

static void separator(struct csvout *c)
{
	if (c->col++ > 0)
		buf_putc(c->out, ',');
}

void csv_fieldn(struct csvout *c, const char *s, size_t n)
{
	separator(c);
	if (!s || n == 0)
		return;
	int guard = s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' || s[0] == '\t' ||
		    s[0] == '\r';
	int quote = 0;
	for (size_t i = 0; i < n && !quote; i++)
		if (s[i] == ',' || s[i] == '"' || s[i] == '\r' || s[i] == '\n')
			quote = 1;
	if (!quote) {
		if (guard)
			buf_putc(c->out, '\'');
		buf_append(c->out, s, n);
		return;
	}
	buf_putc(c->out, '"');
	if (guard)
		buf_putc(c->out, '\'');
	size_t from = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '"') {
			buf_append(c->out, s + from, i + 1 - from);
			buf_putc(c->out, '"');
			from = i + 1;
		}
	}
	buf_append(c->out, s + from, n - from);
	buf_putc(c->out, '"');
}

void csv_field(struct csvout *c, const char *s)
{
	csv_fieldn(c, s, s ? strlen(s) : 0);
}

void csv_int(struct csvout *c, long long v)
{
	separator(c);
	buf_printf(c->out, "%lld", v);
}

void csv_double(struct csvout *c, double v, int digits)
{
	separator(c);
	if (isnan(v) || isinf(v))
		return;
	if (digits < 0)
		digits = 0;
	if (digits > 6)
		digits = 6;
	buf_printf(c->out, "%.*f", digits, v);
}

void csv_end_row(struct csvout *c)
{
	buf_puts(c->out, "\r\n");
	c->col = 0;
}

void csv_safe_filename(char *out, size_t size, const char *name)
{
	if (size < 2)
		return;
	if (!name || !*name)
		name = "download.csv";
	size_t i = 0;
	for (; name[i] && i + 1 < size; i++) {
		unsigned char ch = (unsigned char)name[i];
		int ok = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
			 (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == '-';
		out[i] = ok ? (char)ch : '_';
	}
	out[i] = '\0';
}
