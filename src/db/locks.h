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

#endif
