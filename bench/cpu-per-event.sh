#!/bin/sh
# cpu-per-event.sh: the CPU time each thread of the broker (or of the reference) spends
# per event under one run of dajia-bench, and the bench's own.
#
#   bench/cpu-per-event.sh DAJIA_BENCH DAJIA_BROKER|reference [BENCH ARGUMENTS...]
#
#   bench/cpu-per-event.sh build/bench/dajia-bench build/broker/dajia-broker \
#       --agents 8 --window 128 --duration 4 --warmup 1
#
# Starts the broker (its workers left out: --external-workers) on a fresh data
# directory, or with "reference" the reference server of `dajia-bench --baseline`, reads
# utime + stime of each of its threads from /proc/PID/task/*/stat, runs the bench
# against it (`--broker ENDPOINT --json` and the arguments given), reads them again and
# prints, in microseconds per event sent (the warm-up included):
#
#   server=N bench=N events_per_s=N events_per_commit=N  THREAD=N THREAD=N ...
#
# Threads are named as the kernel names them (the broker's own threads all carry its
# name; libzmq's I/O thread is ZMQbg/IO/0), in the order they were started: for the
# broker the api thread, libzmq's threads, then the writer, the dispatcher, the replay
# thread. Unlike events per second, this does not count the time a thread waits for a
# core, so it says what each build costs even on a machine others are using.
set -eu

bench=$1
server=$2
shift 2

dir=$(mktemp -d "${TMPDIR:-/tmp}/dajia-cpu-XXXXXX")
pid=
cleanup() {
    if [ -n "$pid" ]; then
        kill -TERM "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    fi
    rm -rf "$dir"
}
trap cleanup EXIT
mkfifo "$dir/out"
if [ "$server" = reference ]; then
    "$bench" --serve-baseline "$dir" >"$dir/out" 2>"$dir/log" &
else
    "$server" --data "$dir" --api 'tcp://127.0.0.1:*' --workers "ipc://$dir/workers" \
        --external-workers >"$dir/out" 2>"$dir/log" &
fi
pid=$!
exec 3<"$dir/out"
if ! read -r line <&3; then
    echo "cpu-per-event.sh: the server exited before READY:" >&2
    cat "$dir/log" >&2
    exit 1
fi
endpoint=$(echo "$line" | sed -n 's/.*api=\([^ ]*\).*/\1/p')

# One line per thread: TID NAME TICKS (fields 14 and 15 of stat, after the ")" that
# ends the name; a name may hold spaces, so it is taken between the parentheses).
snapshot() {
    for tid in $(find /proc/"$pid"/task -mindepth 1 -maxdepth 1 -printf "%f\n" | sort -n); do
        stat=/proc/$pid/task/$tid/stat
        sed -e "s/^[0-9]* (\(.*\)) [A-Z] \(.*\)$/$tid \1|\2/" "$stat" |
            awk -F'|' '{split($2, f, " "); n = split($1, a, " "); name = a[2];
                        for (i = 3; i <= n; i++) name = name "_" a[i];
                        print a[1], name, f[11] + f[12]}'
    done
}

# The CPU time of the shell's children, in seconds, from the second line `times` wrote
# to $1 (it must run in this shell, not in a subshell, to see them).
children_cpu() {
    awk 'NR == 2 { gsub("s", ""); split($1, u, "m"); split($2, s, "m");
                   print u[1] * 60 + u[2] + s[1] * 60 + s[2] }' "$1"
}

snapshot >"$dir/before"
times >"$dir/times0"
"$bench" --broker "$endpoint" --json "$@" >"$dir/result"
times >"$dir/times1"
snapshot >"$dir/after"
cpu0=$(children_cpu "$dir/times0")
cpu1=$(children_cpu "$dir/times1")

sent=$(sed -n 's/.*"sent":\([0-9]*\).*/\1/p' "$dir/result")
rate=$(sed -n 's/.*"dajia":{[^}]*"events_per_s":\([0-9.]*\).*/\1/p' "$dir/result")
[ -n "$rate" ] || rate=$(sed -n 's/.*"events_per_s":\([0-9.]*\).*/\1/p' "$dir/result")
per_commit=$(sed -n 's/.*"events_per_commit":\([0-9.]*\).*/\1/p' "$dir/result")
if [ -z "$sent" ] || [ "$sent" -eq 0 ]; then
    echo "cpu-per-event.sh: the bench sent nothing:" >&2
    cat "$dir/result" >&2
    exit 1
fi
hz=$(getconf CLK_TCK)
awk -v sent="$sent" -v hz="$hz" -v c0="$cpu0" -v c1="$cpu1" -v rate="$rate" \
    -v pc="$per_commit" '
    FNR == NR { before[$1] = $3; next }
    {
        us = ($3 - before[$1]) / hz * 1e6 / sent
        total += us
        if (us >= 0.005) threads = threads sprintf(" %s=%.2f", $2, us)
    }
    END {
        printf "server=%.2f bench=%.2f events_per_s=%.0f events_per_commit=%s %s\n",
               total, (c1 - c0) * 1e6 / sent, rate, pc, threads
    }' "$dir/before" "$dir/after"
