/* tools/bench/hold.c — the classic hold model over the real kernel queue.
 *
 * The hold model (Jones, CACM 1986) measures an event set: take the earliest event, put back its successor at
 * now + exp(mean 1 s), so the queue keeps `pending` events while their times spread out as in a real model.
 *
 * Two ways to drive the kernel's queue:
 *  - queue (default): the operations the run loop performs on sim/evqueue.h, and nothing else — take the front, check
 *    it is not stale, free its slot, allocate the successor's slot (payload and event id) and replace the front.
 *    This is what the std::priority_queue baseline (pq_hold.cc) does with its container: pop, push.
 *  - dispatch: the same model written as a model would be, through hnb_sim_run(), a registered handler and
 *    hnb_sim_schedule(); the baseline has no counterpart to the handler call, so this ratio includes the kernel's
 *    dispatch cost.
 * The exponential draws use a small splitmix64 generator, the same as pq_hold.cc, so both measure the queue and not
 * the random-number generator.
 */
#include "tools/bench/bench.h"
#include "sim/evqueue.h"
#include "sim/sim.h"

#include <math.h>
#include <stdio.h>

typedef struct {
    uint64_t rng;
    uint64_t left;
} Hold;

static inline HnbTime next_exp(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    double u = ((double)(z >> 11) + 0.5) * 0x1.0p-53;
    return (HnbTime)(-log(u) * 1e9);
}

/* ---- queue ---------------------------------------------------------------------------------------------- */

/* n hold steps on the queue, exactly as hnb_sim_run() and a handler's first hnb_sim_schedule() use it. */
static void queue_hold(HnbEvq *q, uint64_t *rng, uint64_t n)
{
    while (n > 0) {
        const HnbEvqEntry *top = hnb_evq_front(q, HNB_TIME_NEVER);
        uint32_t s = (uint32_t)(top->key & HNB_EVQ_SLOT_MASK);
        const HnbEvqSlot *sl = &q->slots[s];
        if (G_UNLIKELY(!hnb_evq_slot_holds(sl, top->key))) { /* stale (never here: nothing is cancelled) */
            hnb_evq_pop(q);
            continue;
        }
        HnbTime t = top->time;
        uint32_t kind = hnb_evq_slot_kind(sl), entity = sl->entity;
        uint64_t arg = sl->arg;
        hnb_evq_release(q, s);
        q->live--;
        HnbEvqEntry e;
        hnb_evq_make(q, t + next_exp(rng), kind, entity, arg, &e);
        hnb_evq_replace_front(q, e);
        n--;
    }
}

static double run_queue(size_t pending, uint64_t events, size_t *left_pending)
{
    HnbEvq q;
    uint64_t rng = 42;
    hnb_evq_init(&q);
    for (size_t i = 0; i < pending; i++) {
        HnbEvqEntry e;
        hnb_evq_make(&q, next_exp(&rng), 0, (uint32_t)i, 0, &e);
        hnb_evq_push(&q, e);
    }
    /* warm-up: one pass over the queue so the measured part sees a steady state, not the prefill's shape */
    queue_hold(&q, &rng, pending);
    gint64 t0 = g_get_monotonic_time();
    queue_hold(&q, &rng, events);
    double secs = (double)(g_get_monotonic_time() - t0) / 1e6;
    hnb_evq_verify(&q); /* untimed: the run left a well-formed queue */
    *left_pending = q.live;
    hnb_evq_clear(&q);
    return secs;
}

/* ---- dispatch ------------------------------------------------------------------------------------------- */

static void on_hold(HnbSim *sim, const HnbEvent *ev, void *user_data)
{
    Hold *h = user_data;
    hnb_sim_schedule(sim, ev->time + next_exp(&h->rng), ev->kind, ev->entity, ev->arg);
    if (--h->left == 0)
        hnb_sim_stop(sim);
}

static double run_dispatch(size_t pending, uint64_t events, size_t *left_pending)
{
    Hold h = {.rng = 42, .left = events};
    HnbSim *sim = hnb_sim_new();
    uint32_t kind = hnb_sim_register(sim, "hold", on_hold, &h);
    for (size_t i = 0; i < pending; i++)
        hnb_sim_schedule(sim, next_exp(&h.rng), kind, (uint32_t)i, 0);
    h.left = pending; /* warm-up, as above */
    hnb_sim_run(sim, HNB_TIME_NEVER);
    h.left = events;
    gint64 t0 = g_get_monotonic_time();
    hnb_sim_run(sim, HNB_TIME_NEVER);
    double secs = (double)(g_get_monotonic_time() - t0) / 1e6;
    *left_pending = hnb_sim_pending(sim);
    hnb_sim_free(sim);
    return secs;
}

int hnb_bench_hold(size_t pending, uint64_t events, gboolean dispatch)
{
    size_t left;
    double secs = dispatch ? run_dispatch(pending, events, &left) : run_queue(pending, events, &left);
    printf("# hold over the kernel's queue (%s)\n", dispatch ? "dispatch: hnb_sim_run and a handler" : "queue");
    printf("events_per_s=%.0f pending=%zu\n", (double)events / secs, left);
    return 0;
}
