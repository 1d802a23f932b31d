/* sim/pool.h — a worker pool for expensive pure jobs (TLS handshakes, signature checks).
 *
 * Protocol, as seen from a model: at the event where work starts, fill a job struct and hnb_pool_submit() it; schedule
 * the completion event at now + the MODELLED service time; in the completion handler hnb_pool_join() the ticket and
 * read the job's result.  Simulated time never depends on how long the job took on this machine, and a job is a pure
 * function of its inputs, so results are identical at any thread count.
 *
 * Jobs are handed to the threads in batches (one lock round-trip per batch, not per job): a submitted job waits in the
 * open batch until the batch is full or someone joins a job of it.  With threads == 0 jobs run in the caller's
 * thread at join (the reference behaviour).  The pool is used from one thread (the kernel's); jobs run on others.
 */
#ifndef HNB_POOL_H
#define HNB_POOL_H

#include <glib.h>
#include <stdint.h>

typedef struct HnbPool HnbPool;

/* Runs a job.  `thread_ctx` is the value this worker's thread_init returned (NULL if none): a per-thread cache such
 * as an SSL_CTX, so jobs need not share (and lock) one. */
typedef void (*HnbJobFn)(void *job, void *thread_ctx);
typedef void *(*HnbThreadInit)(void *user_data);
typedef void (*HnbThreadFree)(void *thread_ctx);

/* threads: 0 = run inline at join.  batch: jobs per hand-off (>= 1).  thread_init/free may be NULL.  The caller's
 * thread gets its own thread_ctx too (jobs run inline when threads == 0). */
HnbPool *hnb_pool_new(unsigned threads, unsigned batch, HnbThreadInit thread_init, HnbThreadFree thread_free,
                      void *user_data);
/* Waits for every submitted job, stops the threads, frees each thread_ctx. */
void hnb_pool_free(HnbPool *pool);

/* Queue a job; `job` must stay valid until joined.  Returns a ticket (> 0).  Never blocks for long. */
uint64_t hnb_pool_submit(HnbPool *pool, HnbJobFn fn, void *job);

/* Wait until the job with this ticket has run (running it inline if no thread has taken it).  Each ticket is joined
 * exactly once. */
void hnb_pool_join(HnbPool *pool, uint64_t ticket);

/* Give up a job: like hnb_pool_join, but a job nobody has started is never run.  Returns TRUE if it ran (its outputs
 * are there to clean up), FALSE if it was skipped.  For work started on speculation and found not to be needed. */
gboolean hnb_pool_discard(HnbPool *pool, uint64_t ticket);

/* Hand the open batch to the threads now (e.g. before a long stretch of kernel work). */
void hnb_pool_flush(HnbPool *pool);

unsigned hnb_pool_threads(const HnbPool *pool);

#endif
