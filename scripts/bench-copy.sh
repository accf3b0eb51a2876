#!/usr/bin/env bash
# scripts/bench-copy.sh — \copy of a large CSV in and out: qrun against psql (issue 11).
#
# Builds qrun, creates a scratch database, writes a CSV of about MB megabytes under OUT
# (with psql, unmeasured), then runs RUNS rounds of
#     psql -c '\copy t from FILE csv'     qrun in.sql    (in.sql: \copy t from 'FILE' csv)
#     psql -c '\copy t to OUTFILE csv'    qrun out.sql   (out.sql: \copy t to 'OUTFILE' csv)
# each under /usr/bin/time -v, the table emptied (TRUNCATE, CHECKPOINT) before every copy
# in, and prints the median wall time, throughput and peak RSS of each. It checks that
# every copy moved all the rows and that the files written are the same size. The
# scratch database and the files are removed at the end.
#
# Settings (environment):
#   DSN    connection URL of the server (default postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable)
#   MB     size of the CSV in megabytes (default 1024)
#   RUNS   rounds (default 3)
#   OUT    directory for the CSV files (default /tmp/qrun-bench-copy)
set -euo pipefail
export LC_ALL=C

cd "$(dirname "$0")/.."
DSN=${DSN:-postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable}
MB=${MB:-1024}
RUNS=${RUNS:-3}
OUT=${OUT:-/tmp/qrun-bench-copy}

NAME=$(basename "$0")
# shellcheck source=scripts/bench-lib.sh
. scripts/bench-lib.sh
clean_files() { rm -f "$OUT"/in.csv "$OUT"/out-*.csv; }
bench_start
psql -X -q -d "$DBURL" -c "CREATE TABLE t (id bigint, a text, b text, x numeric, at timestamptz)" >/dev/null

# About 100 bytes a row.
ROWS=$(( MB * 1024 * 1024 / 100 ))
echo "writing $OUT/in.csv: $ROWS rows ..."
psql -X -q -d "$DBURL" -c "\\copy (SELECT g, md5(g::text), md5((g + 1)::text), g * 1.25, timestamptz '2026-01-01' + g * interval '1 second' FROM generate_series(1, $ROWS) g) to '$OUT/in.csv' csv"
SIZE=$(stat -c %s "$OUT/in.csv")
echo "$(( SIZE / 1024 / 1024 )) MB, $ROWS rows"

printf '\\copy t from '\''%s'\'' csv\n' "$OUT/in.csv" >"$OUT/in.sql"
printf '\\copy t to '\''%s'\'' csv\n' "$OUT/out-qrun.csv" >"$OUT/out.sql"

empty() { psql -X -q -d "$DBURL" -c "TRUNCATE t" -c "CHECKPOINT" >/dev/null; }
count() {
	local n
	n=$(psql -X -A -t -d "$DBURL" -c "SELECT count(*) FROM t")
	[[ $n == "$ROWS" ]] || die "$1: got $n rows in t, want $ROWS"
}

for (( r = 1; r <= RUNS; r++ )); do
	echo "round $r of $RUNS ..."
	# Alternate which goes first.
	if (( r % 2 )); then order="psql qrun"; else order="qrun psql"; fi
	for tool in $order; do
		empty
		if [[ $tool == psql ]]; then
			measure psql-in psql -X -q -v ON_ERROR_STOP=1 -d "$DBURL" -c "\\copy t from '$OUT/in.csv' csv"
		else
			measure qrun-in "$QRUN" --quiet -d "$DBURL" "$OUT/in.sql"
		fi
		count "$tool in"
	done
	for tool in $order; do
		if [[ $tool == psql ]]; then
			measure psql-out psql -X -q -v ON_ERROR_STOP=1 -d "$DBURL" -c "\\copy t to '$OUT/out-psql.csv' csv"
		else
			measure qrun-out "$QRUN" --quiet -d "$DBURL" "$OUT/out.sql"
		fi
	done
	[[ $(stat -c %s "$OUT/out-psql.csv") == "$(stat -c %s "$OUT/out-qrun.csv")" ]] || die "the files psql and qrun wrote differ in size"
done

echo
machine_line
echo "data: $(( SIZE / 1024 / 1024 )) MB CSV, $ROWS rows; $RUNS rounds; medians, peak RSS the largest of the rounds"
printf '\n| copy | tool | wall (median) | MB/s | peak RSS |\n|---|---|---|---|---|\n'
for dir in in out; do
	for tool in psql qrun; do result_row "$dir" "$tool" "$tool-$dir" %.1f; done
done
all_walls
