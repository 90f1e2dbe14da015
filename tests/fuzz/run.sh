#!/bin/sh
# Runs the libFuzzer targets, one after the other, for SECONDS each, and fails if any of
# them finds a crash, a leak, a hang or a broken property.
#
#   usage: sh tests/fuzz/run.sh BUILD_DIR SECONDS [TARGET...]
#
# BUILD_DIR was configured with CC=clang -DDAJIA_FUZZ=ON and built with the fuzz_all
# target (`make fuzz` does both). Each target starts from the committed seeds in
# tests/fuzz/corpus/<target> and from what earlier runs found, and writes under
# BUILD_DIR/fuzz:
#   corpus/<target>/    inputs that reached new code (kept for the next run)
#   crashes/<target>/   reproducers: crash-*, leak-*, timeout-*, oom-*
#   <target>.log        libFuzzer's output
# Replay a reproducer with: BUILD_DIR/tests/fuzz/<target> FILE
set -eu

if [ $# -lt 2 ]; then
    echo "usage: sh tests/fuzz/run.sh BUILD_DIR SECONDS [TARGET...]" >&2
    exit 2
fi
build=$1
seconds=$2
shift 2
case $seconds in
    '' | *[!0-9]*)
        echo "fuzz: SECONDS must be a whole number, not \"$seconds\"" >&2
        exit 2
        ;;
esac
[ $# -gt 0 ] || set -- fuzz_envelope fuzz_json fuzz_api_request fuzz_worker_protocol fuzz_agent_input

here=$(cd "$(dirname "$0")" && pwd)
out=$build/fuzz
mkdir -p "$out"

# Scratch space for the targets (the api and worker targets keep a store there): tmpfs when
# there is one, so that the broker's fsyncs cost nothing. Removed whatever happens.
if [ -d /dev/shm ] && [ -w /dev/shm ]; then
    scratch=$(mktemp -d /dev/shm/dajia-fuzz.XXXXXX)
else
    scratch=$(mktemp -d "$out/scratch.XXXXXX")
fi
trap 'rm -rf "$scratch"' EXIT
trap 'exit 130' INT TERM

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

failed=""
for target in "$@"; do
    bin=$build/tests/fuzz/$target
    if [ ! -x "$bin" ]; then
        echo "fuzz: $bin is missing: build the fuzz_all target of $build" >&2
        exit 2
    fi
    mkdir -p "$out/corpus/$target" "$out/crashes/$target"
    marker=$scratch/started-$target
    : >"$marker"
    # The loop's list was expanded once, so the positional parameters are free here.
    # -timeout: one input taking this long is a hang (the api target reports a silent
    # broker itself, sooner). The first corpus directory is where new inputs go.
    # SECONDS 0: replay the corpora only (libFuzzer reads -max_total_time=0 as "forever").
    if [ "$seconds" -eq 0 ]; then
        set -- -runs=0
    else
        set -- -max_total_time="$seconds"
    fi
    set -- "$@" -timeout=30 -print_final_stats=1 -artifact_prefix="$out/crashes/$target/"
    if [ -f "$here/$target.dict" ]; then
        set -- "$@" -dict="$here/$target.dict"
    fi
    # The dispatcher thread of fuzz_worker_protocol allocates what the next input frees,
    # so libFuzzer's leak check after each input (it runs an input again, then scans the
    # heap, whenever the input's mallocs outnumber its frees) would run after most of
    # them. LeakSanitizer still checks at exit, and a leak fails the run.
    case $target in
        fuzz_worker_protocol) set -- "$@" -detect_leaks=0 ;;
    esac
    status=0
    TMPDIR=$scratch "$bin" "$@" "$out/corpus/$target" "$here/corpus/$target" \
        >"$out/$target.log" 2>&1 || status=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/$target.log")
    cov=$(sed -n 's/^#[0-9]*[[:space:]]*DONE[[:space:]]*cov: \([0-9]*\).*/\1/p' "$out/$target.log")
    if [ "$status" -eq 0 ]; then
        echo "fuzz: $target: ok, ${runs:-?} runs in ${seconds} s, coverage ${cov:-?}"
        continue
    fi
    failed="$failed $target"
    echo "fuzz: $target: FAILED (exit $status) after ${runs:-?} runs; the end of $out/$target.log:"
    grep -v -E '^#[0-9]+[[:space:]]+(NEW|REDUCE|pulse)|^[[:space:]]+NEW_FUNC' "$out/$target.log" |
        tail -n 40 | sed 's/^/    /'
    found=$(find "$out/crashes/$target" -type f -newer "$marker" 2>/dev/null || true)
    if [ -n "$found" ]; then
        echo "fuzz: $target: reproducers (replay with $bin FILE):"
        echo "$found" | sed 's/^/    /'
    fi
done

if [ -n "$failed" ]; then
    echo "fuzz: FAILED:$failed" >&2
    exit 1
fi
echo "fuzz: every target ran ${seconds} s without a finding"
