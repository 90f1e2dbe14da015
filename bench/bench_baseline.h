/*  bench_baseline: the reference dajia-bench measures the broker against (--baseline,
    --compare).

    What ZeroMQ and LMDB can do on this machine with nothing of dajia's in between: a
    ROUTER on tcp://127.0.0.1:* that drains what is ready (up to BENCH_BASELINE_CAP
    messages), appends every SUBMIT's body, as it came, to one table in one write
    transaction through the store (store_write: a full sync), and then answers each
    with an ACK holding the event_id (taken from the envelope's field 1 by a walk over
    its varints) and status ACCEPTED, written by hand. No decoding, no validation, no
    dedup, one thread. It answers STATS with its own two counters, accepted and batches,
    so the bench reports its events per commit too. Every figure of the broker is then a
    ratio to this one, measured in the same run on the same machine.

    It runs as a process of its own, as the broker does: dajia-bench starts its own
    executable with the hidden arguments `--serve-baseline DIR` (bench_broker.h), which
    prints "READY api=ENDPOINT" and serves until SIGTERM or SIGINT.
*/
#ifndef BENCH_BASELINE_H
#define BENCH_BASELINE_H

#define BENCH_BASELINE_ARG "--serve-baseline" /* argv[1] of the reference process */
#define BENCH_BASELINE_CAP                                                                         \
    8192 /* messages to a transaction: the broker's                                                \
            default broker/batch_max */

/* Serves the reference with its store in the directory `dir` (existing) until SIGTERM
   or SIGINT. Returns the process's exit status: 0, or 1 after saying why on stderr. */
int
bench_baseline_serve(const char *dir);

#endif
