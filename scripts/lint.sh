#!/usr/bin/env bash
# `make lint` (and the first step of `make check`): the layer rules of the
# README's "Repository layout" that a grep can hold.
#  1. Transactions are opened only by the runner in src/db/ (db_run_tx):
#     no BEGIN, COMMIT or ROLLBACK statement in C code anywhere else
#     (savepoints inside a runner's transaction are fine).
#  2. No SQL in src/web/: handlers parse, call a domain operation, render
#     (no libpq query call, no db_rows/db_row/db_exec, no statement text).
set -euo pipefail
cd "$(dirname "$0")/.."
failed=0

# (a savepoint inside the runner's transaction is not a transaction)
tx=$(grep -rnE '"(BEGIN|COMMIT|ROLLBACK|START TRANSACTION)\b' --include='*.c' src | grep -v '^src/db/' |
	grep -v 'ROLLBACK TO SAVEPOINT' || true)
if [ -n "$tx" ]; then
	echo "lint: a transaction opened by hand outside src/db/ (use db_run_tx, src/db/tx.h):"
	echo "$tx"
	failed=1
fi

sql_re='PQexec|PQprepare|PQsendQuery|db_rows?\(|db_row_get\(|db_exec\(|"(SELECT|INSERT|UPDATE|DELETE|WITH) '
web=$(grep -nE "$sql_re" src/web/*.[ch] || true)
if [ -n "$web" ]; then
	echo "lint: SQL in src/web/ (move it into a domain operation under src/incident/, src/org/, src/wf/ ...):"
	echo "$web"
	failed=1
fi
if [ "$failed" -ne 0 ]; then
	echo "lint: FAILED"
	exit 1
fi
echo "lint: no transaction outside src/db/; no SQL in src/web/"
