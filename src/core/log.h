/* Structured logging: one line per event on standard error, as key=value pairs
 * (logfmt), so that logs can be grepped and parsed. Thread-safe. Never pass
 * passwords, session ids or form bodies to these functions. */
#ifndef SOKUHO_LOG_H
#define SOKUHO_LOG_H

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

void log_set_level(enum log_level level);
/* Parses "debug", "info", "warn" or "error"; returns -1 for anything else. */
int log_parse_level(const char *s, enum log_level *out);
/* Writes "ts=... level=... event=EVENT" followed by the formatted key=value
 * pairs in fmt (the caller quotes values with log_quote where needed). */
void log_event(enum log_level level, const char *event, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Returns s quoted for logfmt in a static per-thread buffer of up to 512
 * bytes (longer values are cut); control characters are escaped so that a
 * value can never start a new log line. Valid until the next call with the
 * same slot (0..3) on the same thread. */
const char *log_quote(int slot, const char *s);

#endif
