#!/usr/bin/env bash
# scripts/bench-lo.sh — \lo_import and \lo_export of a large file: qrun against psql
# (issue 11).
#
# Builds qrun, creates a scratch database, writes a file of MB megabytes of random bytes
# under OUT, then runs RUNS rounds of
#     psql -c '\lo_import FILE'             qrun in.sql    (in.sql: \lo_import 'FILE')
#     psql -c '\lo_export OID OUTFILE'      qrun out.sql   (out.sql: \lo_export OID 'OUTFILE')
# each under /usr/bin/time -v, every large object unlinked (and a CHECKPOINT) before every
# import, and prints the median wall time, throughput and peak RSS of each. It checks that
# every import made one object of the file's size and that both exports equal the file.
# The scratch database and the files are removed at the end.
#
# Settings (environment):
#   DSN    connection URL of the server (default postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable)
#   MB     size of the file in megabytes (default 200)
#   RUNS   rounds (default 3)
#   OUT    directory for the files (default /tmp/qrun-bench-lo)
set -euo pipefail
export LC_ALL=C

cd "$(dirname "$0")/.."
DSN=${DSN:-postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable}
MB=${MB:-200}
RUNS=${RUNS:-3}
OUT=${OUT:-/tmp/qrun-bench-lo}

NAME=$(basename "$0")
# shellcheck source=scripts/bench-lib.sh
. scripts/bench-lib.sh
clean_files() { rm -f "$OUT"/in.bin "$OUT"/out-*.bin; }
bench_start cmp

echo "writing $OUT/in.bin: $MB MB of random bytes ..."
head -c $(( MB * 1024 * 1024 )) /dev/urandom >"$OUT/in.bin"
SIZE=$(stat -c %s "$OUT/in.bin")

printf '\\lo_import '\''%s'\''\n' "$OUT/in.bin" >"$OUT/in.sql"

empty() { psql -X -q -d "$DBURL" -c "SELECT count(lo_unlink(oid)) FROM pg_largeobject_metadata" -c "CHECKPOINT" >/dev/null; }
# object TOOL: the OID of the one large object, checked for the file's size.
object() {
	local row
	row=$(psql -X -A -t -F ' ' -d "$DBURL" -c "SELECT count(*) OVER (), oid, (SELECT sum(length(data)) FROM pg_largeobject p WHERE p.loid = m.oid) FROM pg_largeobject_metadata m")
	read -r n oid size <<<"$row"
	[[ $n == 1 && $size == "$SIZE" ]] || die "$1: got '$row' (objects, oid, bytes), want one of $SIZE bytes"
	echo "$oid"
}

for (( r = 1; r <= RUNS; r++ )); do
	echo "round $r of $RUNS ..."
	# Alternate which goes first.
	if (( r % 2 )); then order="psql qrun"; else order="qrun psql"; fi
	for tool in $order; do
		empty
		if [[ $tool == psql ]]; then
			measure psql-in psql -X -q -v ON_ERROR_STOP=1 -d "$DBURL" -c "\\lo_import '$OUT/in.bin'"
		else
			measure qrun-in "$QRUN" --quiet -d "$DBURL" "$OUT/in.sql"
		fi
		oid=$(object "$tool in")
	done
	printf '\\lo_export %s '\''%s'\''\n' "$oid" "$OUT/out-qrun.bin" >"$OUT/out.sql"
	for tool in $order; do
		rm -f "$OUT/out-$tool.bin"
		if [[ $tool == psql ]]; then
			measure psql-out psql -X -q -v ON_ERROR_STOP=1 -d "$DBURL" -c "\\lo_export $oid '$OUT/out-psql.bin'"
		else
			measure qrun-out "$QRUN" --quiet -d "$DBURL" "$OUT/out.sql"
		fi
		cmp -s "$OUT/in.bin" "$OUT/out-$tool.bin" || die "$tool out: the file written differs from the one imported"
	done
done

echo
machine_line
echo "data: $(( SIZE / 1024 / 1024 )) MB of random bytes; $RUNS rounds; medians, peak RSS the largest of the rounds"
printf '\n| command | tool | wall (median) | MB/s | peak RSS |\n|---|---|---|---|---|\n'
for dir in in out; do
	cmd='`\lo_import`'
	[[ $dir == out ]] && cmd='`\lo_export`'
	for tool in psql qrun; do result_row "$cmd" "$tool" "$tool-$dir" %.2f; done
done
all_walls
