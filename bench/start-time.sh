#!/bin/sh
# start-time.sh: how long the broker takes to start on a data directory, and the
# anonymous memory (RssAnon) it holds once it has.
#
#   bench/start-time.sh DAJIA_BROKER DATA_DIR [cold]
#
# Starts DAJIA_BROKER on DATA_DIR (its workers left out: --external-workers), times
# from the start to its READY line, reads RssAnon from /proc/PID/status, stops it with
# SIGTERM (a clean stop: the dedup index file is synced) and prints one line:
#
#   ready_ms=N cpu_ms=N rss_anon_kb=N rss_file_kb=N <the broker's line on how it indexed
#   the log>
#
# cpu_ms is the CPU time the broker used until READY (user + system, in clock ticks of
# 10 ms): on a shared machine it varies less than the wall time.
# RssAnon is the broker's own memory (the dedup index most of it); RssFile the pages
# of files it has mapped (the log's, as far as it holds them).
#
# With "cold", the page cache is dropped first (sync; echo 3 > /proc/sys/vm/drop_caches:
# needs root), so the log and the index file are read from the disk. Fill a directory
# with dajia-fill (bench/dajia_fill.c) to measure a long history.
set -eu

broker=$1
data=$2
cold=${3:-}

dir=$(mktemp -d "${TMPDIR:-/tmp}/dajia-start-XXXXXX")
trap 'rm -rf "$dir"' EXIT
mkfifo "$dir/out"
if [ "$cold" = cold ]; then
    sync
    echo 3 >/proc/sys/vm/drop_caches
fi
t0=$(date +%s%N)
"$broker" --data "$data" --api "ipc://$dir/api" --workers "ipc://$dir/workers" \
    --external-workers >"$dir/out" 2>"$dir/log" &
pid=$!
exec 3<"$dir/out"
if ! read -r line <&3; then
    echo "start-time.sh: the broker exited before READY:" >&2
    cat "$dir/log" >&2
    exit 1
fi
t1=$(date +%s%N)
rss=$(awk '/^RssAnon:/ {print $2}' "/proc/$pid/status")
rss_file=$(awk '/^RssFile:/ {print $2}' "/proc/$pid/status")
hz=$(getconf CLK_TCK)
# Fields 14 and 15 of /proc/PID/stat, counted after the ")" that ends the command name.
cpu=$(sed 's/.*) //' "/proc/$pid/stat" | awk -v hz="$hz" '{print int(($12 + $13) * 1000 / hz)}')
kill -TERM "$pid"
wait "$pid" || true
exec 3<&-
echo "ready_ms=$(((t1 - t0) / 1000000)) cpu_ms=$cpu rss_anon_kb=$rss rss_file_kb=$rss_file $(grep -o 'indexed.*' "$dir/log" | head -1)"
grep -o 'dedup index file.*' "$dir/log" || true
