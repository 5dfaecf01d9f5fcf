/* The advisory lock keys of the application, in one place so that no two
 * parts pick the same number by chance. Each is a bigint literal, written
 * as text to be pasted into SQL. The sealer's key is AUDIT_SEAL_LOCK in
 * seal.h ("seal"); the retired chain trigger of sql/0002 used 7365756469. */
#ifndef SOKUHO_DB_LOCKS_H
#define SOKUHO_DB_LOCKS_H

/* "sokuho" in ASCII: migrations, one runner at a time (session lock). */
#define DB_LOCK_MIGRATE "126909446908783"
/* Loading workflow definitions: two processes starting together agree. */
#define DB_LOCK_WORKFLOW_LOAD "8675309001"
/* "demo" in ASCII: loading the demo city, once. */
#define DB_LOCK_DEMO "1684368751"
/* "mail" in ASCII: storing a reported mail (incident/mail_report.c), so
 * that two reports of one phishing wave arriving together make one incident. */
#define DB_LOCK_MAIL_INTAKE "1835100524"

#endif
