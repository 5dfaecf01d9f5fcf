/* The demo city: a believable org chart (departments, sections on the sites
 * of migration 0002, information systems), about seventy invented people
 * and every role with its deputies, for trying the tracker out. */
#ifndef SOKUHO_DEMO_H
#define SOKUHO_DEMO_H

#include <libpq-fe.h>

/* The password of every demo account; printed, so publicly known. */
#define DEMO_PASSWORD "demo-password-2026"

/* Seeds everything in one transaction with one demo.seed audit event, and
 * prints the demo logins worth knowing. Does nothing (and says so) when any
 * person exists already. Returns the exit status: 0 or 1. */
int demo_seed(PGconn *conn);

/* Adds a year of invented, closed incidents with their milestones (for the
 * dashboard's trends and the annual review) when the demo city exists and
 * has no incident yet; says what it did. Returns the exit status: 0 or 1. */
int demo_history(PGconn *conn);

#endif
