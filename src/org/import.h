/* The city's staff list as CSV: `sokuho user import FILE.csv [--partial]`.
 *
 * A header line names the columns, in any order: login, display_name, email,
 * section (required) and kind, lang, active (optional; staff, ja, true).
 * Rows add new people or update existing ones by login; people not in the
 * file are left alone. Every row is checked before anything is written:
 * without partial, one bad row means nothing is imported; with partial, the
 * good rows are imported and the bad ones reported. */
#ifndef SOKUHO_IMPORT_H
#define SOKUHO_IMPORT_H

#include <libpq-fe.h>
#include <stddef.h>

/* Imports data (the file's contents; path is only used in messages) in one
 * transaction with one user.import audit event. Problems go to stderr as
 * "PATH:LINE: field 'NAME': ...", the summary to stdout. Returns the exit
 * status: 0, or 1 when the file or a row was bad or the database failed. */
int people_import(PGconn *conn, const char *path, const char *data, size_t len, int partial);

#endif
