#!/usr/bin/env bash
# gate-check.sh measures whether qrun's regression gate cries wolf (issue 4): it saves a
# baseline and runs the same workload against it TRIES times, counting exit 3 (a false
# alarm), then runs the workload with its 10 ms statement made 2x slower, which must
# exit 3. Each run is a separate qrun process, as in CI. The test suite does not measure
# this rate (its gate test uses a workload far from the threshold, to pass on any
# machine): run this on the machine, or the kind of CI runner, whose noise you want to
# know. It exits 1 when the slowdown is missed or there are more than MAX_ALARMS false
# alarms (default: one in ten tries).
#
#
# With HISTORY=N (issue 14) the baseline is a history instead: N reports are saved first,
# each try compares the candidate with --baseline DIR --history N (the pooled samples of
# the last N) and then adds it to DIR, as a main branch adds a report per merge.
#
#   scripts/gate-check.sh            # 20 tries, --runs 30, --threshold 10%
#   TRIES=50 RUNS=30 THRESHOLD=5% MAX_ALARMS=5 DSN=postgres://... scripts/gate-check.sh
#   HISTORY=5 scripts/gate-check.sh  # against the last 5 reports, pooled
set -euo pipefail
cd "$(dirname "$0")/.."

tries=${TRIES:-20}
runs=${RUNS:-30}
threshold=${THRESHOLD:-10%}
max_alarms=${MAX_ALARMS:-$((tries / 10))}
dsn=${DSN:-${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable}}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

go build -o "$work/qrun" ./cmd/qrun
cat >"$work/gate.sql" <<'SQL'
-- name: ten_ms
SELECT pg_sleep(:secs);
-- name: count_rows
SELECT count(*) FROM generate_series(1, 50000);
-- name: tiny
SELECT 1;
SQL

q() { "$work/qrun" -d "$dsn" --quiet --runs "$runs" --warmup 2 --format json "$@" "$work/gate.sql"; }

history=${HISTORY:-0}
base=(--baseline "$work/base.json")
if [ "$history" -gt 0 ]; then
	mkdir -p "$work/history"
	for i in $(seq 1 "$history"); do q -v secs=0.01 -o "$work/history/seed$i.json"; done
	base=(--baseline "$work/history" --history "$history")
fi

alarms=0
for i in $(seq 1 "$tries"); do
	if [ "$history" -gt 0 ]; then
		[ "$i" = 1 ] || cp "$work/same.json" "$work/history/try$((i - 1)).json"
	else
		q -v secs=0.01 -o "$work/base.json"
	fi
	code=0
	q -v secs=0.01 -o "$work/same.json" "${base[@]}" --threshold "$threshold" || code=$?
	case $code in
	0) ;;
	3)
		alarms=$((alarms + 1))
		echo "try $i: false alarm:"
		if [ "$history" -gt 0 ]; then
			"$work/qrun" show "$work/same.json" | sed -n '/^comparison:/,/^FAIL/p'
		else
			"$work/qrun" compare --threshold "$threshold" "$work/base.json" "$work/same.json" || true
		fi
		;;
	*) echo "try $i: qrun exited $code" >&2; exit 1 ;;
	esac
done
code=0
q -v secs=0.02 -o "$work/slower.json" "${base[@]}" --threshold "$threshold" || code=$?
against="a fresh single baseline each try"
[ "$history" -gt 0 ] && against="--history $history"
echo "same workload: $alarms false alarm(s) in $tries tries (--runs $runs, --threshold $threshold, $against)"
status=0
if [ "$code" = 3 ]; then
	echo "ten_ms made 2x slower: caught (exit 3)"
else
	echo "ten_ms made 2x slower: MISSED (exit $code)"
	status=1
fi
if [ "$alarms" -gt "$max_alarms" ]; then
	echo "more than $max_alarms false alarm(s): the gate cries wolf on this machine at $threshold"
	status=1
fi
exit "$status"
