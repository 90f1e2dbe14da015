#!/bin/sh
# run-all.sh: the standard dajia-bench scenarios, one table.
#
#   bench/run-all.sh [DAJIA_BENCH [DAJIA_BROKER]]
#
# Each scenario runs twice (dajia-bench --compare): against the reference (ZeroMQ and
# LMDB alone: every event appended as it came, one transaction with a full sync per
# drain, acked; bench/bench_baseline.h), then against the broker, each in a fresh
# temporary data directory of its own (under $TMPDIR, else /tmp: put TMPDIR on the
# disk you want to measure, since every commit is an fsync). A row gives both and the
# ratios: "ratio" is the broker's events/s over the reference's, "p99 x" the broker's
# p99 over the reference's. BENCH_DURATION and BENCH_WARMUP (seconds) shorten or
# lengthen the runs. The last scenario runs the broker with its workers and times each
# event from its submission to its escalation on the office feed (the reference has no
# workers: its columns are empty).
set -eu

bench=${1:-dajia-bench}
broker=${2:-}
duration=${BENCH_DURATION:-5}
warmup=${BENCH_WARMUP:-1}

spawn=""
if [ -n "$broker" ]; then
    spawn="--spawn $broker"
fi

status=0
header=""
run() {
    label=$1
    shift
    # shellcheck disable=SC2086 # $spawn and $header are meant to split
    "$bench" --compare $spawn $header --label "$label" --duration "$duration" \
        --warmup "$warmup" "$@" || status=1
    header="--no-header"
}

run "8 agents x window 128" --agents 8 --window 128
run "50 agents x window 1" --agents 50 --window 1
run "rate 1000/s" --agents 8 --rate 1000
run "rate 5000/s" --agents 8 --rate 5000
run "rate 50000/s" --agents 8 --rate 50000
# End to end, with the workers: submit -> escalation on the office feed (issue target:
# p99 <= 10 ms; reported, not asserted).
run "e2e submit->escalation at 1000/s" --e2e --agents 8 --rate 1000
exit $status
