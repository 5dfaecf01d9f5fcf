/* logfmt lines on stderr; see log.h. Each line is built in memory and written
 * with one write(2) so lines from several threads never interleave. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"

static enum log_level min_level = LOG_INFO;
static const char *const level_names[] = {"debug", "info", "warn", "error"};

void log_set_level(enum log_level level)
{
	min_level = level;
}

int log_parse_level(const char *s, enum log_level *out)
{
	for (int i = 0; i < 4; i++) {
		if (strcmp(s, level_names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	return -1;
}

void log_event(enum log_level level, const char *event, const char *fmt, ...)
{
	if (level < min_level)
		return;
	struct timespec ts;
	struct tm tm;
	char tbuf[32];
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(tbuf, sizeof tbuf, "%Y-%m-%dT%H:%M:%S", &tm);

	buf b = BUF_INIT;
	buf_printf(&b, "ts=%s.%03ldZ level=%s event=%s", tbuf, ts.tv_nsec / 1000000L,
		   level_names[level], event);
	if (fmt && *fmt) {
		va_list ap;
		buf_putc(&b, ' ');
		va_start(ap, fmt);
		buf_vprintf(&b, fmt, ap);
		va_end(ap);
	}
	buf_putc(&b, '\n');
	ssize_t r = write(STDERR_FILENO, b.data, b.len);
	(void)r;
	buf_release(&b);
}

const char *log_quote(int slot, const char *s)
{
	static _Thread_local char bufs[4][520];
	char *out = bufs[slot & 3];
	size_t o = 0;
	out[o++] = '"';
	for (; s && *s && o < 510; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\') {
			out[o++] = '\\';
			out[o++] = (char)c;
		} else if (c < 0x20 || c == 0x7f) {
			o += (size_t)snprintf(out + o, 8, "\\x%02x", c);
		} else {
			out[o++] = (char)c;
		}
	}
	out[o++] = '"';
	out[o] = '\0';
	return out;
}
