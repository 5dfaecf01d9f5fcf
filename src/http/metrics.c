/* In-process HTTP metrics: fixed-size tables (no allocation), one mutex. A
 * route table has a few dozen names and a handful of statuses each, so the
 * limits below are generous; observations past them are counted under the
 * route "other" rather than lost. */
#include "metrics.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#define MAX_ROUTES 64
#define MAX_SERIES 512
#define NAME_MAX_LEN 48

static const double bounds[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
#define NBOUNDS (sizeof bounds / sizeof bounds[0])

struct route_hist {
	char name[NAME_MAX_LEN];
	unsigned long long buckets[NBOUNDS + 1]; /* per bucket, not cumulative; last: > 10 s */
	unsigned long long count;
	double sum;
};

struct series {
	int route; /* index into hists */
	unsigned status;
	unsigned long long count;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct route_hist hists[MAX_ROUTES];
static size_t nhists;
static struct series series[MAX_SERIES];
static size_t nseries;

/* Finds or adds the route; called with the lock held. */
static int route_index(const char *name)
{
	for (size_t i = 0; i < nhists; i++)
		if (strcmp(hists[i].name, name) == 0)
			return (int)i;
	if (nhists == MAX_ROUTES) {
		name = "other";
		for (size_t i = 0; i < nhists; i++)
			if (strcmp(hists[i].name, name) == 0)
				return (int)i;
		/* make room: the last slot becomes "other" */
		nhists--;
	}
	struct route_hist *h = &hists[nhists];
	memset(h, 0, sizeof *h);
	snprintf(h->name, sizeof h->name, "%s", name);
	return (int)nhists++;
}

void metrics_observe(const char *route, unsigned status, double seconds)
{
	if (!route || !*route)
		route = "-";
	if (!(seconds >= 0))
		seconds = 0;
	size_t b = 0;
	while (b < NBOUNDS && seconds > bounds[b])
		b++;
	pthread_mutex_lock(&lock);
	int ri = route_index(route);
	struct route_hist *h = &hists[ri];
	h->buckets[b]++;
	h->count++;
	h->sum += seconds;
	size_t s = 0;
	while (s < nseries && !(series[s].route == ri && series[s].status == status))
		s++;
	if (s == nseries && nseries < MAX_SERIES) {
		series[s].route = ri;
		series[s].status = status;
		series[s].count = 0;
		nseries++;
	}
	if (s < nseries)
		series[s].count++;
	pthread_mutex_unlock(&lock);
}

void metrics_label_escape(buf *out, const char *s)
{
	for (; s && *s; s++) {
		if (*s == '\\')
			buf_puts(out, "\\\\");
		else if (*s == '"')
			buf_puts(out, "\\\"");
		else if (*s == '\n')
			buf_puts(out, "\\n");
		else
			buf_putc(out, *s);
	}
}

void metrics_value(buf *out, double v)
{
	if (isnan(v))
		buf_puts(out, "NaN");
	else if (isinf(v))
		buf_puts(out, v > 0 ? "+Inf" : "-Inf");
	else if (v > -1e15 && v < 1e15 && v == (double)(long long)v)
		buf_printf(out, "%lld", (long long)v);
	else
		buf_printf(out, "%.15g", v);
}

void metrics_render_http(buf *out)
{
	pthread_mutex_lock(&lock);
	buf_puts(out, "# HELP sokuho_http_requests_total HTTP requests completed, by route and "
		      "status.\n# TYPE sokuho_http_requests_total counter\n");
	for (size_t s = 0; s < nseries; s++) {
		buf_puts(out, "sokuho_http_requests_total{route=\"");
		metrics_label_escape(out, hists[series[s].route].name);
		buf_printf(out, "\",status=\"%u\"} %llu\n", series[s].status, series[s].count);
	}
	buf_puts(out, "# HELP sokuho_http_request_duration_seconds Time from the start of a "
		      "request to its completion, by route.\n"
		      "# TYPE sokuho_http_request_duration_seconds histogram\n");
	for (size_t i = 0; i < nhists; i++) {
		const struct route_hist *h = &hists[i];
		unsigned long long cum = 0;
		for (size_t b = 0; b <= NBOUNDS; b++) {
			cum += h->buckets[b];
			buf_puts(out, "sokuho_http_request_duration_seconds_bucket{route=\"");
			metrics_label_escape(out, h->name);
			buf_puts(out, "\",le=\"");
			if (b < NBOUNDS)
				buf_printf(out, "%g", bounds[b]);
			else
				buf_puts(out, "+Inf");
			buf_printf(out, "\"} %llu\n", cum);
		}
		buf_puts(out, "sokuho_http_request_duration_seconds_sum{route=\"");
		metrics_label_escape(out, h->name);
		buf_puts(out, "\"} ");
		metrics_value(out, h->sum);
		buf_puts(out, "\nsokuho_http_request_duration_seconds_count{route=\"");
		metrics_label_escape(out, h->name);
		buf_printf(out, "\"} %llu\n", h->count);
	}
	pthread_mutex_unlock(&lock);
}
