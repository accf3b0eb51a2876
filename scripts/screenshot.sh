#!/bin/sh
# screenshot.sh renders a qrun html report to a PNG with headless Chromium.
#
#   scripts/screenshot.sh REPORT.html [OUT.png] [WIDTHxHEIGHT]
#
# Make the report with `qrun --format html -o REPORT.html FILE...`. OUT defaults to
# REPORT.png and the window to 1100x1400. Chromium is Debian's chromium package
# (apt-get install chromium); set CHROMIUM to use another binary.
set -eu

if [ $# -lt 1 ] || [ $# -gt 3 ]; then
	echo "usage: $0 REPORT.html [OUT.png] [WIDTHxHEIGHT]" >&2
	exit 2
fi
in=$1
out=${2:-${in%.html}.png}
size=${3:-1100x1400}
chromium=${CHROMIUM:-chromium}

[ -r "$in" ] || { echo "$0: cannot read $in" >&2; exit 2; }
command -v "$chromium" >/dev/null 2>&1 || { echo "$0: $chromium not found (apt-get install chromium)" >&2; exit 2; }

abs=$(cd "$(dirname "$in")" && pwd)/$(basename "$in")
case $out in /*) ;; *) out=$(pwd)/$out ;; esac
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT INT TERM

"$chromium" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
	--disable-background-networking --disable-component-update --disable-sync \
	--hide-scrollbars --user-data-dir="$profile" \
	--window-size="$(echo "$size" | tr x ,)" --screenshot="$out" "file://$abs" >/dev/null 2>&1
[ -s "$out" ] || { echo "$0: chromium wrote no screenshot" >&2; exit 1; }
echo "$out"
