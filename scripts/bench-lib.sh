# scripts/bench-lib.sh — what the file-transfer benchmarks (bench-copy.sh, bench-lo.sh)
# share: sourced, not run. The sourcing script sets NAME (its name, for messages), DSN and
# OUT, and defines clean_files (what of OUT to remove at the end) before bench_start.

# die MSG: the benchmark cannot go on.
die() { echo "$NAME: $*" >&2; exit 2; }

# bench_start TOOL...: checks the tools, builds qrun into $QRUN and creates a scratch
# database $DB ($DBURL), dropped at exit with the files clean_files removes.
bench_start() {
	local tool
	for tool in go psql /usr/bin/time "$@"; do
		command -v "$tool" >/dev/null || die "$tool not found"
	done
	mkdir -p "$OUT"
	QRUN=$OUT/qrun
	go build -o "$QRUN" ./cmd/qrun || die "qrun does not build"
	DB=qrun_${NAME%.sh}_$$
	DB=${DB//-/_}
	local base=${DSN%%\?*}
	DBURL=${base%/*}/$DB${DSN#"$base"}
	trap bench_cleanup EXIT
	psql -X -q -d "$DSN" -c "CREATE DATABASE $DB" >/dev/null || die "cannot create database $DB on $DSN"
}

bench_cleanup() {
	psql -X -q -d "$DSN" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true
	clean_files
	rm -f "$OUT"/*.sql "$OUT"/time.txt "$QRUN"
}

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

median() { tr ' ' '\n' | grep . | sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
maxof() { tr ' ' '\n' | grep . | sort -g | tail -1; }

# machine_line: the machine and the server, for the figures' record.
machine_line() {
	echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg); $(psql -X -A -t -d "$DSN" -c 'SHOW server_version') on $DSN"
}

# result_row LABEL TOOL NAME FMT: a table row of NAME's median wall (printf FMT, e.g.
# %.1f), throughput over SIZE bytes and largest peak RSS.
result_row() {
	local wall rss
	wall=$(median <<<"${WALL[$3]}")
	rss=$(maxof <<<"${RSS[$3]}")
	printf "| %s | %s | $4 s | %.0f | %.1f MB |\n" "$1" "$2" "$wall" "$(awk -v s="$SIZE" -v w="$wall" 'BEGIN { print s / 1048576 / w }')" "$(awk -v k="$rss" 'BEGIN { print k / 1024 }')"
}

# all_walls: every round's wall time, for the record.
all_walls() {
	printf '\nall walls (s): '
	local name
	for name in psql-in qrun-in psql-out qrun-out; do printf '%s: %s ' "$name" "${WALL[$name]}"; done
	echo
}
