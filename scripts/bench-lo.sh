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

die() { echo "bench-lo.sh: $*" >&2; exit 2; }
for tool in go psql /usr/bin/time cmp; do
	command -v "$tool" >/dev/null || die "$tool not found"
done

mkdir -p "$OUT"
QRUN=$OUT/qrun
go build -o "$QRUN" ./cmd/qrun || die "qrun does not build"

DB=qrun_bench_lo_$$
BASE=${DSN%%\?*}
QUERY=${DSN#"$BASE"}
DBURL=${BASE%/*}/$DB$QUERY
cleanup() {
	psql -X -q -d "$DSN" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true
	rm -f "$OUT"/in.bin "$OUT"/out-*.bin "$OUT"/*.sql "$OUT"/time.txt "$QRUN"
}
trap cleanup EXIT
psql -X -q -d "$DSN" -c "CREATE DATABASE $DB" >/dev/null || die "cannot create database $DB on $DSN"

echo "writing $OUT/in.bin: $MB MB of random bytes ..."
head -c $(( MB * 1024 * 1024 )) /dev/urandom >"$OUT/in.bin"
SIZE=$(stat -c %s "$OUT/in.bin")

printf '\\lo_import '\''%s'\''\n' "$OUT/in.bin" >"$OUT/in.sql"

declare -A WALL RSS
# measure NAME CMD...: runs CMD under /usr/bin/time -v, appends its wall seconds and peak
# RSS (kB) to WALL[NAME] and RSS[NAME].
measure() {
	local name=$1
	shift
	/usr/bin/time -v -o "$OUT/time.txt" "$@" >/dev/null || die "$name failed"
	local wall rss
	wall=$(awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; print s }' "$OUT/time.txt")
	rss=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$OUT/time.txt")
	WALL[$name]+="$wall "
	RSS[$name]+="$rss "
}
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

median() { tr ' ' '\n' | grep . | sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
maxof() { tr ' ' '\n' | grep . | sort -g | tail -1; }

echo
echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg); $(psql -X -A -t -d "$DSN" -c 'SHOW server_version') on $DSN"
echo "data: $(( SIZE / 1024 / 1024 )) MB of random bytes; $RUNS rounds; medians, peak RSS the largest of the rounds"
printf '\n| command | tool | wall (median) | MB/s | peak RSS |\n|---|---|---|---|---|\n'
for dir in in out; do
	for tool in psql qrun; do
		name=$tool-$dir
		wall=$(median <<<"${WALL[$name]}")
		rss=$(maxof <<<"${RSS[$name]}")
		cmd='\lo_import'
		[[ $dir == out ]] && cmd='\lo_export'
		printf '| `%s` | %s | %.2f s | %.0f | %.1f MB |\n' "$cmd" "$tool" "$wall" "$(awk -v s="$SIZE" -v w="$wall" 'BEGIN { print s / 1048576 / w }')" "$(awk -v k="$rss" 'BEGIN { print k / 1024 }')"
	done
done
printf '\nall walls (s): '
for name in psql-in qrun-in psql-out qrun-out; do printf '%s: %s ' "$name" "${WALL[$name]}"; done
echo
