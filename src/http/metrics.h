/* In-process HTTP metrics for GET /metrics: a request counter per route and
 * status, and a latency histogram per route. Process-wide, guarded by one
 * mutex; recorded by the server's completion callback. */
#ifndef SOKUHO_METRICS_H
#define SOKUHO_METRICS_H

#include "core/buf.h"

/* Records one completed request. route is the route's name ("-" or NULL for
 * an unmatched path); seconds is its wall-clock duration. Thread-safe. */
void metrics_observe(const char *route, unsigned status, double seconds);

/* Appends sokuho_http_requests_total and sokuho_http_request_duration_seconds
 * (HELP, TYPE and samples) in the Prometheus text format 0.0.4. Thread-safe. */
void metrics_render_http(buf *out);

/* Appends s as a label value: backslash, double quote and newline escaped. */
void metrics_label_escape(buf *out, const char *s);

/* Appends a sample value as Prometheus expects it (+Inf, -Inf, NaN, or a
 * number to 15 significant digits). */
void metrics_value(buf *out, double v);

#endif
