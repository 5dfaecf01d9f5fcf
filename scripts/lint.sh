#!/usr/bin/env bash
# `make lint` (and the first step of `make check`): the layer rules of the
# README's "Repository layout" that a grep can hold.
#  1. Transactions are opened only by the runner in src/db/ (db_run_tx):
#     no BEGIN, COMMIT or ROLLBACK statement in C code anywhere else
#     (savepoints inside a runner's transaction are fine).
#  2. No SQL in src/web/: handlers parse, call a domain operation, render.
#     The files that still hold SQL are listed in scripts/lint-web-sql.txt;
#     the list may only shrink (a new file with SQL fails, and so does a
#     listed file that no longer holds any, so that the list stays true).
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

sql_re='PQexec|db_rows?\(|db_row_get\(|db_exec\(|"(SELECT|INSERT|UPDATE|DELETE|WITH) '
have=$(grep -lE "$sql_re" src/web/*.c | sort || true)
allowed=$(grep -v '^#' scripts/lint-web-sql.txt | sed '/^$/d' | sort)
new=$(comm -23 <(echo "$have") <(echo "$allowed") | sed '/^$/d')
gone=$(comm -13 <(echo "$have") <(echo "$allowed") | sed '/^$/d')
if [ -n "$new" ]; then
	echo "lint: SQL in src/web/ (move it into a domain operation under src/incident/, src/org/, src/wf/ ...):"
	echo "$new"
	failed=1
fi
if [ -n "$gone" ]; then
	echo "lint: these files hold no SQL any more: remove them from scripts/lint-web-sql.txt:"
	echo "$gone"
	failed=1
fi
if [ "$failed" -ne 0 ]; then
	echo "lint: FAILED"
	exit 1
fi
echo "lint: no transaction outside src/db/; SQL in src/web/ only in the $(echo "$allowed" | wc -l) files still listed"
