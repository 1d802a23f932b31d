/* tools/bench/bench.h — benchmarks run by `hnbsim bench`.  Each prints its result as the last line of stdout in a
 * key=value form that tools/bench/run-kernel-bench.sh parses. */
#ifndef HNB_BENCH_H
#define HNB_BENCH_H

#include <glib.h>
#include <stdint.h>
#include <stddef.h>

/* The hold model: `pending` events in the queue; each event puts back one more at now + exp(1 s) — on the kernel's
 * queue directly, or (dispatch) through hnb_sim_run() and a handler.  Prints `events_per_s=<n> pending=<N>`. */
int hnb_bench_hold(size_t pending, uint64_t events, gboolean dispatch);

/* An M/M/1 queue (arrival rate 0.9/s, service rate 1/s) written on the kernel as a model would be, with the real
 * counter-based streams.  Prints `customers_per_s=<n> mean_wait=<w>` (w: mean time in queue, s; theory 9.0). */
int hnb_bench_mm1(uint64_t customers, uint64_t seed);

/* `count` TLS 1.2 AES128-SHA mutual-auth handshakes (full, or resumed by session ID) through the simulation's engine
 * (crypto/tls.h) and worker pool on `threads` threads.  Prints `full_hs_per_s=<n> threads=<T>` (or
 * `resumed_hs_per_s=`); returns 1 with a message if any handshake does not give the expected outcome. */
int hnb_bench_handshake(unsigned threads, uint64_t count, gboolean resume);

#endif
