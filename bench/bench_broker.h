/*  bench_broker: the temporary broker dajia-bench starts for a run (--spawn, the
    default when --broker is not given), or the reference server (--baseline,
    --compare: bench_baseline.h).

    The broker runs on tcp://127.0.0.1:* (a port of its own, told on its READY line) in
    a fresh temporary data directory under $TMPDIR (else /tmp: put TMPDIR on the disk to
    measure, since every commit is an fsync), with its stderr in broker.log beside the
    data. Without workers by default (ingest alone); with them for --with-workers and
    --e2e. It is stopped with SIGTERM at the end and its directory removed.
*/
#ifndef BENCH_BROKER_H
#define BENCH_BROKER_H

#include <stdbool.h>
#include <stddef.h>

typedef struct bench_broker_t bench_broker_t;

/* Writes into buf[0 .. size) the broker binary to start when --spawn names none: the
   dajia-broker next to this executable (an install), else where the build tree puts it,
   else "dajia-broker" from PATH. */
void
bench_broker_default(char *buf, size_t size);

/* Starts `binary` (with its in-process workers when `with_workers`) and waits for its
   READY line. Returns 0 and sets *out, or a negative errno after saying why on stderr
   (a broker that started is stopped again and its directory removed). */
int
bench_broker_spawn(const char *binary, bool with_workers, bench_broker_t **out);

/* Starts the reference server (bench_baseline.h) the same way: this program, run again
   with BENCH_BASELINE_ARG, in a temporary directory of its own. Returns as
   bench_broker_spawn; the functions below serve it as they serve a broker. */
int
bench_broker_spawn_baseline(bench_broker_t **out);

/* The api endpoint the broker bound. Owned by `self`. */
const char *
bench_broker_endpoint(const bench_broker_t *self);

/* The office feed's endpoint, "" when the READY line named none. Owned by `self`. */
const char *
bench_broker_office(const bench_broker_t *self);

/* Stops the broker (SIGTERM, and after BENCH_STOP_TIMEOUT_MS SIGKILL; an exit status
   other than 0 is reported), removes its directory and frees `self`. Accepts NULL and
   sets *self_p to NULL. */
void
bench_broker_destroy(bench_broker_t **self_p);

#endif
