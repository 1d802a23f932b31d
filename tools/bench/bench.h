/* tools/bench/bench.h — benchmarks run by `hnbsim bench`.  Each prints its result as the last line of stdout in a
 * key=value form that tools/bench/run-kernel-bench.sh parses. */
#ifndef HNB_BENCH_H
#define HNB_BENCH_H

#include <glib.h>
#include <stdint.h>
#include <stddef.h>
#include "sim/pool.h"

/* The hold model: `pending` events in the queue; each event puts back one more at now + exp(1 s) — on the kernel's
 * queue directly, or (dispatch) through hnb_sim_run() and a handler.  Prints `events_per_s=<n> pending=<N>`. */
int hnb_bench_hold(size_t pending, uint64_t events, gboolean dispatch);

/* An M/M/1 queue (arrival rate 0.9/s, service rate 1/s) written on the kernel as a model would be, with the real
 * counter-based streams.  Prints `customers_per_s=<n> mean_wait=<w>` (w: mean time in queue, s; theory 9.0). */
int hnb_bench_mm1(uint64_t customers, uint64_t seed);

/* A sliding window of `window` jobs through the pool, so no thread idles at the end of a batch: job n goes in slot
 * n % window; start(user, slot, n) fills that slot's job and returns it, done(user, slot, n) reads and cleans it up
 * after its join and returns FALSE if it failed (then no further job starts; those in flight are joined).  *secs
 * gets the wall time.  TRUE if every job was done. */
typedef void *(*HnbBenchStart)(void *user, size_t slot, uint64_t n);
typedef gboolean (*HnbBenchDone)(void *user, size_t slot, uint64_t n);
gboolean hnb_bench_window(HnbPool *pool, HnbJobFn fn, size_t window, uint64_t count, HnbBenchStart start,
                          HnbBenchDone done, void *user, double *secs);

/* `count` TLS 1.2 AES128-SHA mutual-auth handshakes (full, or resumed by session ID) through the simulation's engine
 * (crypto/tls.h) and worker pool on `threads` threads.  Prints `full_hs_per_s=<n> threads=<T>` (or
 * `resumed_hs_per_s=`); returns 1 with a message if any handshake does not give the expected outcome. */
int hnb_bench_handshake(unsigned threads, uint64_t count, gboolean resume);
/* The same measurement without printing: *secs the wall time of the `count` handshakes, *cpu_ns their summed CPU
 * time (both ends).  FALSE (message on stderr) if a handshake failed or the engine could not be built. */
gboolean hnb_bench_handshake_measure(unsigned threads, uint64_t count, gboolean resume, double *secs,
                                     uint64_t *cpu_ns);

/* `count` IKEv2 tunnel set-ups (crypto/ike_job.h: ECDH of `dh_group`, both AUTH signatures and verifications, both
 * certificate chains) through the worker pool on `threads` threads, then as many full TLS handshakes (the same
 * engine as `bench handshake`) in the same process for the ratio.  Prints `ike_setups_per_s=<n> threads=<T>
 * full_hs_per_s=<m> ratio=<n/m>`; returns 1 with a message if a set-up or handshake does not succeed. */
int hnb_bench_ike(unsigned threads, uint64_t count, int dh_group);

/* Reading `count` device credentials of a temporary export the general way and through hnbsim's kept decoder
 * (crypto/pki_private.h), 5 alternating rounds.  Prints `general_us=<a> kept_decoder_us=<b> ratio=<a/b> count=<N>`
 * (medians, µs a credential); returns 1 with a message if a credential does not read. */
int hnb_bench_creds(uint64_t count);

#endif
