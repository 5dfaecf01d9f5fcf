/* What the CISO's dashboard reads (src/web/dashboard.c renders it): the
 * live figures and lists of what is open, late and legally due, the rows
 * of the twelve months' trends, and a stamp of what changes the page. The
 * dashboard is for the city-wide roles only (authz's route table), so none
 * of these reads is scoped. */
#ifndef SOKUHO_INCIDENT_OVERVIEW_H
#define SOKUHO_INCIDENT_OVERVIEW_H

#include <jansson.h>
#include <libpq-fe.h>
#include <stddef.h>

/* The live part: {figures: {open, unacknowledged, escalating,
 * legal_overdue, legal_week, escalations_24h, dead_mail, now}, by_state,
 * by_severity, by_category, by_site, late (ranked by the law: missed legal
 * deadlines, then workflow deadlines, then escalating runs), unacknowledged,
 * legal, escalations, dead_mail, uncovered (roles whose holder and every
 * deputy are away today: title_ja, title_en, scope_kind, scope_ja, scope_en,
 * absent_ja, absent_en)} as strings (db_rows). A new reference, or
 * NULL when a query failed. */
json_t *overview_live(PGconn *c);

/* The trends' rows: {months: [{month, label}] (the twelve months to this
 * one, Japan time), categories: [{key, title_ja, title_en}], counts: [{month,
 * category, n}], times: [{month, ack50, ack90, contain50, contain90, close50,
 * close90}] (hours), now: "YYYY-MM-DD HH:MI"}. NULL when a query failed. */
json_t *overview_trend_rows(PGconn *c);

/* What changes the page, as "A-O-D-F-M" into out: the newest audit event
 * (every report, action, escalation and reminder writes one), the newest
 * mail, the dead mail, the failed timers and the minute. 0, or -1. */
int overview_stamp(PGconn *c, char *out, size_t size);

#endif
