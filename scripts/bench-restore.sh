#!/usr/bin/env bash
# scripts/bench-restore.sh — restore a plain pg_dump file with qrun --parallel, against
# psql -f of the same file and pg_restore -j of the custom-format dump of the same
# database (issue 10).
#
# It builds qrun, generates a source database of about SIZE_MB megabytes (several large
# tables with indexes, primary and foreign keys), dumps it in plain and custom format,
# then restores it RUNS times with each tool, alternating, each into a fresh database,
# and prints the median wall times and the ratios. It measures; it does not gate.
#
# Settings (environment):
#   DSN      admin connection URL (default postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable)
#   SIZE_MB  approximate size of the generated data (default 300)
#   JOBS     connections for qrun -c and pg_restore -j (default: nproc)
#   RUNS     restores per tool (default 3)
#   OUT      work directory (default bench/out/restore)
set -euo pipefail
export LC_ALL=C
cd "$(dirname "$0")/.."

DSN=${DSN:-postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable}
SIZE_MB=${SIZE_MB:-300}
JOBS=${JOBS:-$(nproc)}
RUNS=${RUNS:-3}
OUT=${OUT:-bench/out/restore}
mkdir -p "$OUT"

for tool in go psql pg_dump pg_restore; do
	command -v "$tool" >/dev/null || { echo "bench-restore.sh: $tool not found" >&2; exit 2; }
done
go build -o "$OUT/qrun" ./cmd/qrun

base=${DSN%%\?*}
base=${base%/*}
query=""
[[ $DSN == *\?* ]] && query="?${DSN#*\?}"
url() { echo "$base/$1$query"; }
admin() { psql -X -q -v ON_ERROR_STOP=1 -d "$DSN" -c "$1" >/dev/null; }

src=qrun_restore_src
admin "DROP DATABASE IF EXISTS $src"
admin "CREATE DATABASE $src"
# Rows per table for SIZE_MB in all: four tables of about 120-200 bytes a row.
rows=$(( SIZE_MB * 1024 * 1024 / 4 / 160 ))
echo "generating $src: 4 tables x $rows rows (~${SIZE_MB} MB of data)"
psql -X -q -v ON_ERROR_STOP=1 -d "$(url $src)" <<SQL
CREATE TABLE customers (id int PRIMARY KEY, name text, email text, created timestamptz);
CREATE TABLE products (id int PRIMARY KEY, label text, price numeric, descr text);
CREATE TABLE orders (id bigint PRIMARY KEY, customer int REFERENCES customers, product int REFERENCES products, qty int, note text);
CREATE TABLE events (id bigserial PRIMARY KEY, at timestamptz, kind text, payload text);
INSERT INTO customers SELECT g, 'name ' || g, md5(g::text) || '@example.org', now() - g * interval '1 minute' FROM generate_series(1, $rows) g;
INSERT INTO products SELECT g, 'product ' || g, (g % 1000) / 10.0, repeat(md5(g::text), 3) FROM generate_series(1, $rows) g;
INSERT INTO orders SELECT g, 1 + g % $rows, 1 + (g * 7) % $rows, g % 10, md5(g::text) || md5((g+1)::text) FROM generate_series(1, $rows) g;
INSERT INTO events (at, kind, payload) SELECT now() - g * interval '1 second', 'k' || g % 20, repeat(md5(g::text), 3) FROM generate_series(1, $rows) g;
CREATE INDEX ON customers (email);
CREATE INDEX ON customers (created);
CREATE INDEX ON products (label);
CREATE INDEX ON orders (customer);
CREATE INDEX ON orders (product);
CREATE INDEX ON events (at);
CREATE INDEX ON events (kind);
SQL
pg_dump --no-owner -f "$OUT/dump.sql" -d "$(url $src)"
pg_dump --no-owner -Fc -f "$OUT/dump.custom" -d "$(url $src)"
echo "plain dump: $(du -m "$OUT/dump.sql" | cut -f1) MB; custom: $(du -m "$OUT/dump.custom" | cut -f1) MB"

# restore TOOL DB: one timed restore into a fresh database; prints the seconds.
restore() {
	local tool=$1 db=qrun_restore_dst
	admin "DROP DATABASE IF EXISTS $db"
	admin "CREATE DATABASE $db"
	local start end
	start=$EPOCHREALTIME
	case $tool in
	psql) psql -X -q -v ON_ERROR_STOP=1 -d "$(url $db)" -f "$OUT/dump.sql" >/dev/null ;;
	qrun) "$OUT/qrun" --parallel -c "$JOBS" -q -o /dev/null -d "$(url $db)" "$OUT/dump.sql" ;;
	qrun-seq) "$OUT/qrun" -q -o /dev/null -d "$(url $db)" "$OUT/dump.sql" ;;
	pg_restore) pg_restore -j "$JOBS" --no-owner -d "$(url $db)" "$OUT/dump.custom" ;;
	esac
	end=$EPOCHREALTIME
	echo "$end - $start" | bc -l
}

declare -A times
tools=(psql qrun-seq qrun pg_restore)
for ((r = 1; r <= RUNS; r++)); do
	for tool in "${tools[@]}"; do
		s=$(restore "$tool")
		times[$tool]+="$s "
		printf 'run %d %-10s %6.2f s\n' "$r" "$tool" "$s"
	done
done
admin "DROP DATABASE IF EXISTS qrun_restore_dst"
admin "DROP DATABASE IF EXISTS $src"

median() { tr ' ' '\n' <<<"$1" | grep . | sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
echo
echo "machine: $(nproc) cores; JOBS=$JOBS; RUNS=$RUNS; data ~${SIZE_MB} MB"
for tool in "${tools[@]}"; do
	printf '%-10s median %6.2f s\n' "$tool" "$(median "${times[$tool]}")"
done
p=$(median "${times[psql]}") q=$(median "${times[qrun]}") g=$(median "${times[pg_restore]}")
printf 'psql / qrun --parallel      = %.2fx (goal: close to %d)\n' "$(echo "$p / $q" | bc -l)" "$JOBS"
printf 'qrun --parallel / pg_restore -j = %.2fx (goal: at most 1.2)\n' "$(echo "$q / $g" | bc -l)"
