/* tools/bench/hold.c — the classic hold model over the real kernel queue.
 *
 * Every event, when run, schedules its successor at now + exp(mean 1 s), so the queue keeps `pending` events while
 * their times spread out as in a real model.  The exponential draws use a small splitmix64 generator, the same as the
 * std::priority_queue baseline in pq_hold.cc, so both measure the queue and not the random-number generator.
 */
#include "bench.h"
#include "sim.h"

#include <math.h>
#include <stdio.h>

typedef struct {
    uint64_t rng;
    uint64_t left;
} Hold;

static inline double next_exp(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    double u = ((double)(z >> 11) + 0.5) * 0x1.0p-53;
    return -log(u) * 1e9;
}

static void on_hold(HnbSim *sim, const HnbEvent *ev, void *user_data)
{
    Hold *h = user_data;
    hnb_sim_schedule(sim, ev->time + (HnbTime)next_exp(&h->rng), ev->kind, ev->entity, ev->arg);
    if (--h->left == 0)
        hnb_sim_stop(sim);
}

int hnb_bench_hold(size_t pending, uint64_t events)
{
    Hold h = {.rng = 42, .left = events};
    HnbSim *sim = hnb_sim_new();
    uint32_t kind = hnb_sim_register(sim, "hold", on_hold, &h);
    for (size_t i = 0; i < pending; i++)
        hnb_sim_schedule(sim, (HnbTime)next_exp(&h.rng), kind, (uint32_t)i, 0);
    /* warm-up: one pass over the queue so the measured part sees a steady state, not the prefill's shape */
    h.left = pending;
    hnb_sim_run(sim, HNB_TIME_NEVER);
    h.left = events;
    gint64 t0 = g_get_monotonic_time();
    hnb_sim_run(sim, HNB_TIME_NEVER);
    double secs = (double)(g_get_monotonic_time() - t0) / 1e6;
    printf("events_per_s=%.0f pending=%zu\n", (double)events / secs, hnb_sim_pending(sim));
    hnb_sim_free(sim);
    return 0;
}
