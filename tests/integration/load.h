/*  load: what the tests of the broker under hostile load need beside the harness.

    - A feed made quickly: items written straight into a broker's store (its tables as
      proto/dajia_tables.h lays them out) before the broker starts, instead of making a
      hundred thousand events escalate. The broker indexes the public ones when it
      starts (broker_feed_index_update), as it does for a store an older broker wrote.
    - A raw ZMTP 3.0 peer (NULL mechanism) over tcp: libzmq never sends a message before
      its last frame, so a peer that sends frames and never the last one, or a frame
      header announcing a gigabyte, has to speak the wire itself.
    - A process's memory, from /proc/PID/status.

    Unlike the harness, this opens LMDB (through store.h): only before the broker starts.
*/
#ifndef LOAD_H
#define LOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Writes `count` feed items, feed_seq 1..count, into the store in `data_dir` (created
   if needed): an item of audience PUBLIC (an aggregate) where feed_seq is a multiple of
   `public_every` (0: none), an escalation for the office elsewhere; each escalation
   carries `padding` bytes of reason text. Returns 0 or a negative code. */
int
load_feed_write(const char *data_dir, uint64_t count, uint64_t public_every, size_t padding);

/* Memory of process `pid` in bytes, from /proc/PID/status ("VmRSS", "VmHWM", "RssAnon",
   "RssFile"); 0 when it cannot be read. */
uint64_t
load_proc_memory(pid_t pid, const char *field);

/* A raw ZMTP 3.0 connection, NULL mechanism, as socket type `type` ("DEALER", "SUB"),
   to the tcp endpoint "tcp://HOST:PORT", with a kernel receive buffer of `rcvbuf` bytes
   (0: the default; small for a peer that means not to read). Returns the connected
   descriptor after the greetings and READY commands were exchanged, or a negative
   code. */
int
load_zmtp_connect(const char *endpoint, const char *type, int rcvbuf, int timeout_ms);

/* Sends one ZMTP frame of `size` bytes (only the header when data is NULL: the caller
   then sends the body with load_zmtp_send_bytes), with the MORE flag when `more`.
   Returns 0, or -errno (-EPIPE, -ECONNRESET: the broker closed the connection; -EAGAIN:
   the broker did not read for two seconds). */
int
load_zmtp_send_frame(int fd, const void *data, uint64_t size, bool more);

/* Sends `size` bytes of `fill` as they are. Returns 0 or -errno. */
int
load_zmtp_send_bytes(int fd, uint8_t fill, uint64_t size);

/* True when the peer closed the connection (reads what is there without waiting). */
bool
load_zmtp_closed(int fd);

#endif
