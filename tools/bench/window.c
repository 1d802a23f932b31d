/* tools/bench/window.c — the sliding window of jobs the pool benchmarks share (see bench.h). */
#include "tools/bench/bench.h"

gboolean hnb_bench_window(HnbPool *pool, HnbJobFn fn, size_t window, uint64_t count, HnbBenchStart start,
                          HnbBenchDone done, void *user, double *secs)
{
    uint64_t *tickets = g_new0(uint64_t, window);
    uint64_t submitted = 0;
    gboolean ok = TRUE;
    gint64 t0 = g_get_monotonic_time();
    for (; submitted < count && submitted < window; submitted++)
        tickets[submitted] = hnb_pool_submit(pool, fn, start(user, submitted, submitted));
    /* job n sits in slot n % window; after a failure the jobs in flight are still joined, none is started */
    for (uint64_t n = 0; n < submitted; n++) {
        size_t k = n % window;
        hnb_pool_join(pool, tickets[k]);
        ok = done(user, k, n) && ok;
        if (ok && submitted < count) {
            tickets[k] = hnb_pool_submit(pool, fn, start(user, k, submitted));
            submitted++;
        }
    }
    *secs = (double)(g_get_monotonic_time() - t0) / G_USEC_PER_SEC;
    g_free(tickets);
    return ok;
}
