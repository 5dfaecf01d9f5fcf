/* Staff filing reports while the test breaks the database: 8 clients (6
 * through the API, 2 through the form) signed in as a demo reporter, each
 * filing one report after another until stopped, every answer kept with its
 * time. The fault and failover suites share it, and so measure alike: for
 * each fault (a mark set when it begins), the requests answered 503 and the
 * seconds from its first 503 to the first success of a request sent after
 * that. */
#ifndef SOKUHO_TEST_LOAD_H
#define SOKUHO_TEST_LOAD_H

#include <pthread.h>

#define LOAD_CLIENTS 8
#define LOAD_MAX_EVENTS 8192
#define LOAD_MAX_MARKS 8

struct load_event {
	double sent; /* seconds since load_start, when the request was sent */
	double t;    /* and when the answer came */
	long status; /* 0: no answer (connection refused, timeout) */
};

struct load_client {
	int k, form, port;
	char tag[16];
	char *cookie, *csrf;
	volatile int *stop;
	int nevents;
	struct load_event ev[LOAD_MAX_EVENTS];
	int nacked;
	char *acked[LOAD_MAX_EVENTS]; /* summaries answered 201/303 */
};

struct load {
	volatile int stop;
	double t0;
	struct load_client cl[LOAD_CLIENTS];
	pthread_t th[LOAD_CLIENTS];
	int nmarks;
	double mark[LOAD_MAX_MARKS];
	char label[LOAD_MAX_MARKS][48];
};

/* The answers of all clients, counted. */
struct load_totals {
	int acked, n503, n500, nother, nrefused;
	long other; /* the last status that was none of those */
};

/* What one fault cost: the answers between its mark and the next. */
struct load_window {
	int requests, n503, nok;
	/* since the mark, -1 when none: the first 503, and the first success of
	 * a request sent after it */
	double first503, firstok;
	double last503;
};

/* Signs the clients in on 127.0.0.1:port and starts them; tag prefixes the
 * summaries ("TAG-client-n"), which are unique in the database. l is
 * allocated by the caller (it is large: better on the heap). Fails the test
 * when a sign-in fails. */
void load_start(struct load *l, int port, const char *tag);
/* A fault begins now (label: "restart -m fast"). */
void load_mark(struct load *l, const char *label);
/* Seconds since load_start. */
double load_now(const struct load *l);
/* Stops the clients and waits for them. */
void load_stop(struct load *l);
void load_totals(const struct load *l, struct load_totals *t);
/* The answers between mark i and mark i + 1 (or the end). */
void load_window(const struct load *l, int i, struct load_window *w);
/* Successful answers (201/303) that came after t (load_now's clock). */
int load_ok_after(const struct load *l, double t);
/* Prints each fault's cost, one line each, prefixed with "suite: ". */
void load_print(const struct load *l, const char *suite);
/* Frees what the clients hold (not l itself). */
void load_release(struct load *l);

#endif
