#!/usr/bin/env bash
# scripts/bench.sh — measure qrun against psql and pgbench on the same server (issue 6).
#
# Builds qrun, writes the inputs with bench/gen, checks the server, then for each target
# runs the commands alternately (qrun, psql, pgbench, qrun, psql, pgbench, ...) after one
# unmeasured warm-up round, and prints the medians, the ratio and MET or MISSED. It also
# runs the in-process Go benchmarks (splitter, scheduler, report writers). See
# docs/BENCHMARKS.md for what each target means and for figures measured here.
#
# It measures; it does not gate: it exits 0 whether the targets are met or missed, and
# non-zero only when it cannot measure at all (qrun does not build, the server does not
# answer, a tool is missing).
#
# Settings (environment):
#   DSN       connection URL given to qrun, psql and pgbench alike
#             (default postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable)
#   N         statements in the SELECT 1 file (default 20000; a multiple of 8)
#   RUNS      measured runs of each command (default 5, at least 5 for the issue's rule)
#   ROWS      rows of the memory query (default 5000000)
#   MB        size of the parsing input in megabytes (default 100)
#   OUT       directory for the inputs, logs and results (default bench/out)
#   TARGETS   which targets to run, e.g. "1 2 5" (default "1 2 3 4 5 6"; 5 needs 1's runs)
#   TIMER     hyperfine | loop (default: hyperfine when installed, else a bash loop timed
#             with $EPOCHREALTIME)
#   GO_COUNT  -count of the go test -bench runs (default 5)
#   BENCHTIME -benchtime of the go test -bench runs (default 1s)
#   WRITE_BENCHTIME -benchtime of BenchmarkWrite, whose iterations take up to seconds
#             (default 1x: GO_COUNT single renderings of each format)
set -euo pipefail
export LC_ALL=C

cd "$(dirname "$0")/.."
ROOT=$PWD

DSN=${DSN:-postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable}
N=${N:-20000}
RUNS=${RUNS:-5}
ROWS=${ROWS:-5000000}
MB=${MB:-100}
OUT=${OUT:-bench/out}
TARGETS=${TARGETS:-1 2 3 4 5 6}
GO_COUNT=${GO_COUNT:-5}
BENCHTIME=${BENCHTIME:-1s}
WRITE_BENCHTIME=${WRITE_BENCHTIME:-1x}
if [[ -z ${TIMER:-} ]]; then
	if command -v hyperfine >/dev/null; then TIMER=hyperfine; else TIMER=loop; fi
fi

die() { echo "bench.sh: $*" >&2; exit 2; }
want() { [[ " $TARGETS " == *" $1 "* ]]; }

(( N % 8 == 0 )) || die "N=$N must be a multiple of 8 (pgbench -c 8 runs N/8 transactions each)"
(( RUNS >= 1 )) || die "RUNS=$RUNS must be at least 1"
for tool in go psql pgbench jq /usr/bin/time; do
	command -v "$tool" >/dev/null || die "$tool not found (apt-get install -y postgresql-client jq time)"
done
PSQL=$(command -v psql)
PGBENCH=$(command -v pgbench)

mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
rm -rf "$OUT/times" "$OUT/logs"
mkdir -p "$OUT/times" "$OUT/logs"
SUMMARY=$OUT/summary.txt
: >"$SUMMARY"
say() { echo "$*" | tee -a "$SUMMARY"; }

# ---------------------------------------------------------------- build, inputs, server
echo "building qrun and generating inputs in $OUT ..."
go build -o "$OUT/qrun" ./cmd/qrun || die "qrun does not build"
QRUN=$OUT/qrun
go run ./bench/gen -out "$OUT" -n "$N" -rows "$ROWS" -mb "$MB" || die "bench/gen failed"
"$PSQL" -X -q -At -d "$DSN" -c 'SELECT 1' >/dev/null 2>&1 || die "no server answers at $DSN"
SERVER=$("$PSQL" -X -At -d "$DSN" -c 'SHOW server_version')
MIXED_BYTES=$(stat -c %s "$OUT/mixed.sql")

say "qrun benchmark — $(date -u '+%Y-%m-%d %H:%M UTC') on $(hostname), $(nproc) cores, $(uname -sr)"
say "server: PostgreSQL $SERVER at ${DSN//:*@/:***@}"
say "qrun $("$QRUN" --version 2>/dev/null | awk '{print $NF}'), $(go version | awk '{print $3}'), $("$PSQL" --version), $("$PGBENCH" --version), timer: $TIMER"
say "N=$N RUNS=$RUNS ROWS=$ROWS MB=$MB (medians of $RUNS runs each, alternating, after one warm-up round)"
say ""

# ---------------------------------------------------------------- timing
# run_one NAME ROUND CMD... runs CMD once under /usr/bin/time (for the peak RSS), appends
# its wall seconds to $OUT/times/NAME and its peak RSS in KB to $OUT/times/NAME.rss
# (round 0 is the warm-up and is not recorded). Its stdout and stderr go to
# $OUT/logs/NAME.ROUND.log.
run_one() {
	local name=$1 round=$2
	shift 2
	local log=$OUT/logs/$name.$round.log rss=$OUT/logs/$name.$round.rss secs rc=0
	local cmd=(/usr/bin/time -f %M -o "$rss" "$@")
	if [[ $TIMER == hyperfine ]]; then
		local json=$OUT/logs/$name.$round.json
		hyperfine -N -i --runs 1 --style none --output "$log" --export-json "$json" \
			-- "$(printf '%q ' "${cmd[@]}")" >/dev/null 2>&1 || true
		secs=$(jq -r '.results[0].times[0]' "$json" 2>/dev/null || echo nan)
		rc=$(jq -r '.results[0].exit_codes[0] // 0' "$json" 2>/dev/null || echo 1)
	else
		local t0=$EPOCHREALTIME
		"${cmd[@]}" >"$log" 2>&1 </dev/null || rc=$?
		local t1=$EPOCHREALTIME
		secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.6f", b - a }')
	fi
	if [[ $rc != 0 ]]; then
		echo "  warning: $name (round $round) exited $rc; see $log" >&2
	fi
	if (( round > 0 )); then
		echo "$secs" >>"$OUT/times/$name"
		tail -n 1 "$rss" >>"$OUT/times/$name.rss"
	fi
}

# alternate NAME1 'CMD1' NAME2 'CMD2' ... runs a warm-up round and RUNS measured rounds of
# the commands in turn. Each CMD is a string of words (no shell syntax); @ROUND@ in it is
# replaced by the round number so that each run can keep its own report.
alternate() {
	local round i
	for (( round = 0; round <= RUNS; round++ )); do
		for (( i = 1; i <= $#; i += 2 )); do
			local name=${!i} j=$((i + 1))
			local line=${!j}
			read -r -a words <<<"${line//@ROUND@/$round}"
			run_one "$name" "$round" "${words[@]}"
		done
		printf '.' >&2
	done
	printf '\n' >&2
}

# median FILE prints the median of the numbers in FILE, one a line.
median() {
	sort -g "$1" | awk '{ v[NR] = $1 } END { if (NR == 0) { print "nan"; exit }
		if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 == 0) print "nan"; else printf "%.3f", a / b }'; }
# verdict VALUE OP LIMIT prints MET or MISSED.
verdict() {
	awk -v v="$1" -v op="$2" -v l="$3" 'BEGIN {
		if (v == "nan" || v == "") { print "NOT MEASURED"; exit }
		ok = (op == "<=") ? (v + 0 <= l + 0) : (v + 0 >= l + 0)
		print ok ? "MET" : "MISSED" }'
}
runs_of() { sort -g "$OUT/times/$1" | awk '{ printf "%s%.3f", (NR > 1 ? " " : ""), $1 }'; }
mb_of_kb() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
line() { printf '  %-26s median %8.3f s   peak RSS %7s MB   runs: %s\n' "$1" "$(median "$OUT/times/$1")" \
	"$(mb_of_kb "$(median "$OUT/times/$1.rss")")" "$(runs_of "$1")" | tee -a "$SUMMARY"; }

DBARGS="-d $DSN"
# ---------------------------------------------------------------- 1. sequential (and 5)
if want 1 || want 5; then
	say "== 1. Sequential: $N x SELECT 1, one connection"
	alternate \
		qrun "$QRUN $DBARGS $OUT/select1.sql -o $OUT/logs/seq.@ROUND@.json --format json" \
		psql "$PSQL -X -q $DBARGS -o /dev/null -f $OUT/select1.sql" \
		pgbench-c1 "$PGBENCH -n -c 1 -t $N -f $OUT/one.sql $DSN"
	line qrun; line psql; line pgbench-c1
	r=$(ratio "$(median "$OUT/times/qrun")" "$(median "$OUT/times/psql")")
	say "  qrun / psql    = $r   (target <= 0.95)  $(verdict "$r" '<=' 0.95)"
	say "  pgbench / psql = $(ratio "$(median "$OUT/times/pgbench-c1")" "$(median "$OUT/times/psql")")   (the floor: one round trip per statement)"
	say ""
fi

# ---------------------------------------------------------------- 5. overhead per statement
if want 5; then
	say "== 5. Overhead: mean time per SELECT 1, sequential"
	: >"$OUT/times/qrun-stmt-us"; : >"$OUT/times/pgbench-lat-us"
	for (( round = 1; round <= RUNS; round++ )); do
		jq -r '.sum_ms / (.queries | length) * 1000' "$OUT/logs/seq.$round.json" >>"$OUT/times/qrun-stmt-us" 2>/dev/null || true
		awk '/latency average/ { print $4 * 1000 }' "$OUT/logs/pgbench-c1.$round.log" >>"$OUT/times/pgbench-lat-us"
	done
	q=$(printf '%.1f' "$(median "$OUT/times/qrun-stmt-us")"); p=$(printf '%.1f' "$(median "$OUT/times/pgbench-lat-us")")
	say "  qrun sum_ms/N               median $q us   runs: $(runs_of qrun-stmt-us)"
	say "  pgbench -c 1 latency avg    median $p us   runs: $(runs_of pgbench-lat-us)"
	r=$(ratio "$q" "$p")
	say "  qrun / pgbench = $r   (target <= 1.05)  $(verdict "$r" '<=' 1.05)"
fi
if want 5; then
	if ls plan/*_test.go >/dev/null 2>&1 && grep -q 'func BenchmarkScheduler' plan/*_test.go; then
		go test -run '^$' -bench '^BenchmarkScheduler$' -benchmem -count "$GO_COUNT" -benchtime "$BENCHTIME" ./plan \
			>"$OUT/logs/gobench-scheduler.txt" 2>&1 || true
		awk '/^BenchmarkScheduler/ { for (i = 2; i < NF; i++) if ($(i + 1) == "ns/unit") print $i / 1000 }' \
			"$OUT/logs/gobench-scheduler.txt" >"$OUT/times/scheduler-us"
		s=$(median "$OUT/times/scheduler-us")
		say "  scheduler, 10,000-unit graph: median $s us/unit   runs: $(runs_of scheduler-us)   (target <= 5)  $(verdict "$s" '<=' 5)"
	else
		say "  scheduler: BenchmarkScheduler not found in ./plan  NOT MEASURED"
	fi
	say ""
fi

# ---------------------------------------------------------------- 2. parallel
if want 2; then
	say "== 2. Parallel: $N x SELECT 1 on 8 connections"
	alternate \
		qrun-c8 "$QRUN $DBARGS --parallel -c 8 $OUT/select1.sql -o $OUT/logs/par.@ROUND@.json --format json" \
		pgbench-c8 "$PGBENCH -n -c 8 -j 2 -t $((N / 8)) -f $OUT/one.sql $DSN"
	line qrun-c8; line pgbench-c8
	r=$(ratio "$(median "$OUT/times/qrun-c8")" "$(median "$OUT/times/pgbench-c8")")
	say "  qrun / pgbench = $r   (target <= 1.0)  $(verdict "$r" '<=' 1.0)"
	say ""
fi

# ---------------------------------------------------------------- 3. memory
if want 3; then
	say "== 3. Memory: SELECT g, repeat('x', 100) FROM generate_series(1, $ROWS) g"
	alternate \
		qrun-mem "$QRUN $DBARGS $OUT/memory.sql -o $OUT/logs/mem.@ROUND@.json --format json" \
		psql-mem "$PSQL -X -q $DBARGS -o /dev/null -f $OUT/memory.sql"
	line qrun-mem; line psql-mem
	rss=$(mb_of_kb "$(median "$OUT/times/qrun-mem.rss")")
	rows=$(jq -r '.queries[0].rows' "$OUT/logs/mem.1.json" 2>/dev/null || echo '?')
	say "  qrun counted $rows rows; peak RSS $rss MB   (target <= 40)  $(verdict "$rss" '<=' 40)"
	say ""
fi

# ---------------------------------------------------------------- 4. parsing
if want 4; then
	say "== 4. Parsing: qrun --dry-run --format json -o /dev/null on $MIXED_BYTES bytes of mixed statements"
	alternate \
		qrun-dry "$QRUN --dry-run --format json -o /dev/null $OUT/mixed.sql"
	line qrun-dry
	t=$(median "$OUT/times/qrun-dry")
	speed=$(awk -v b="$MIXED_BYTES" -v t="$t" 'BEGIN { printf "%.1f", b / 1e6 / t }')
	rss_x=$(awk -v k="$(median "$OUT/times/qrun-dry.rss")" -v b="$MIXED_BYTES" 'BEGIN { printf "%.2f", k * 1024 / b }')
	stmts=$(grep -c '^' "$OUT/logs/qrun-dry.1.log" 2>/dev/null || true)
	say "  throughput $speed MB/s   (target >= 100)  $(verdict "$speed" '>=' 100)"
	say "  peak RSS = ${rss_x}x the file   (target <= 3)  $(verdict "$rss_x" '<=' 3)"
	if ls queries/*_test.go >/dev/null 2>&1 && grep -q 'func BenchmarkSplit' queries/*_test.go; then
		go test -run '^$' -bench 'Split' -benchmem -count "$GO_COUNT" -benchtime "$BENCHTIME" ./queries \
			>"$OUT/logs/gobench-split.txt" 2>&1 || true
		awk '/^BenchmarkSplit/ { for (i = 2; i < NF; i++) if ($(i + 1) == "MB/s") print $i }' \
			"$OUT/logs/gobench-split.txt" >"$OUT/times/split-mbs"
		s=$(median "$OUT/times/split-mbs")
		say "  splitter alone (go test -bench Split ./queries): median $s MB/s   runs: $(runs_of split-mbs)   (target >= 400)  $(verdict "$s" '>=' 400)"
		grep '^BenchmarkSplit' "$OUT/logs/gobench-split.txt" | sed 's/^/    /' | tee -a "$SUMMARY" >/dev/null
	else
		say "  splitter alone: BenchmarkSplit not found in ./queries  NOT MEASURED"
	fi
	say ""
fi

# ---------------------------------------------------------------- 6. reporting
if want 6; then
	say "== 6. Reporting: rendering 100,000 statements (go test -bench Write ./report)"
	if ls report/*_test.go >/dev/null 2>&1 && grep -q 'func BenchmarkWrite' report/*_test.go; then
		go test -run '^$' -bench '^BenchmarkWrite$' -benchmem -count "$GO_COUNT" -benchtime "$WRITE_BENCHTIME" ./report \
			>"$OUT/logs/gobench-write.txt" 2>&1 || true
		# The time to run 100,000 statements: the measured per-statement time of target 1
		# (qrun's sequential wall / N) when it ran, else pgbench's latency.
		if [[ -s $OUT/times/qrun ]]; then
			per=$(awk -v t="$(median "$OUT/times/qrun")" -v n="$N" 'BEGIN { print t / n }')
		else
			per=0.0001
		fi
		run100k=$(awk -v p="$per" 'BEGIN { printf "%.2f", p * 100000 }')
		say "  running 100,000 x SELECT 1 sequentially takes about $run100k s here (target 1's qrun median / N x 100,000)"
		awk '/^BenchmarkWrite\// { n = $1; sub(/^BenchmarkWrite\//, "", n); sub(/-[0-9]+$/, "", n); print n, $3 / 1e9 }' \
			"$OUT/logs/gobench-write.txt" >"$OUT/logs/write-secs.txt"
		for f in $(awk '{ print $1 }' "$OUT/logs/write-secs.txt" | sort -u); do
			key=write-${f//\//_}
			awk -v f="$f" '$1 == f { print $2 }' "$OUT/logs/write-secs.txt" >"$OUT/times/$key"
			s=$(median "$OUT/times/$key")
			r=$(ratio "$s" "$run100k")
			# "Well under": at most a tenth of the run time.
			printf '  %-16s median %8.4f s   = %6.3f x the run   (target <= 0.1)  %s\n' "$f" "$s" "$r" \
				"$(verdict "$r" '<=' 0.1)" | tee -a "$SUMMARY"
		done
	else
		say "  BenchmarkWrite not found in ./report  NOT MEASURED"
	fi
	say ""
fi

say "logs, reports and inputs: $OUT (summary: $SUMMARY)"
exit 0
