#!/usr/bin/env bash
# `make lint` (and the first step of `make check`): the layer rules of the
# README's "Repository layout" that a grep can hold.
#  1. Transactions are opened only by the runner in src/db/ (db_run_tx):
#     no BEGIN, COMMIT or ROLLBACK statement in C code anywhere else
#     (savepoints inside a runner's transaction are fine).
#  2. No SQL in src/web/: handlers parse, call a domain operation, render
#     (no libpq query call, no db_rows/db_row/db_exec, no statement text).
#  3. Arrows point down: a folder of src/ includes only headers of the
#     folders below it (the README's "Where code goes"; DESIGN.md's layers,
#     with auth below http: the server authenticates and authorizes a request
#     from its headers, before any body is read), never src/app.h (the
#     process: for web/, cli/ and main.c only).
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
layers=(core db tmpl auth http mail org wf incident web cli)
below=""
for l in "${layers[@]}"; do
	[ -d "src/$l" ] || { below="$below $l"; continue; }
	for inc in $(grep -ohE '^#include "[a-z_]+/' src/"$l"/*.[ch] | sed 's/#include "//; s#/##' | sort -u); do
		case " $below $l " in
		*" $inc "*) ;;
		*)
			echo "lint: src/$l/ includes $inc/, which is not below it (layers, bottom first: ${layers[*]}):"
			grep -nE "^#include \"$inc/" src/"$l"/*.[ch]
			failed=1
			;;
		esac
	done
	if [ "$l" != web ] && [ "$l" != cli ] && grep -qE '^#include "app\.h"' src/"$l"/*.[ch]; then
		echo "lint: src/$l/ includes app.h (only web/, cli/ and main.c may):"
		grep -nE '^#include "app\.h"' src/"$l"/*.[ch]
		failed=1
	fi
	below="$below $l"
done

if [ "$failed" -ne 0 ]; then
	echo "lint: FAILED"
	exit 1
fi
echo "lint: no transaction outside src/db/; no SQL in src/web/; includes point down the layers"
