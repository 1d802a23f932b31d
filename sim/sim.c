/* sim/sim.c — the event loop: handlers, schedule, cancel, run.
 *
 * The loop peeks at the front of the queue instead of popping it: while a handler runs, the front is the event being
 * handled, and the handler's first hnb_sim_schedule() replaces it (hnb_evq_replace_front: in the heap, one sift
 * instead of a sift-down and a sift-up; in the ladder and the radix heap, an increment and an append).  Most handlers schedule a follow-up event.  If the handler schedules
 * nothing, the loop pops the front afterwards as usual.
 */
#include "sim/sim.h"
#include "sim/evqueue.h"

typedef struct {
    HnbHandler fn;
    void *user_data;
    const char *name;
} Handler;

struct HnbSim {
    HnbEvq q;
    HnbTime now;
    uint64_t events_run;
    gboolean stop;
    gboolean front_consumed; /* the front is the event being handled: the next schedule may replace it */
    gboolean running;
    Handler *handlers;
    uint32_t nhandlers;
};

HnbSim *hnb_sim_new(void)
{
    HnbSim *sim = g_new0(HnbSim, 1);
    hnb_evq_init(&sim->q);
    return sim;
}

void hnb_sim_free(HnbSim *sim)
{
    if (!sim)
        return;
    hnb_evq_clear(&sim->q);
    g_free(sim->handlers);
    g_free(sim);
}

uint32_t hnb_sim_register(HnbSim *sim, const char *name, HnbHandler fn, void *user_data)
{
    g_return_val_if_fail(fn != NULL, UINT32_MAX);
    g_assert(sim->nhandlers + 1 < HNB_EVQ_KIND_LIMIT); /* the kind shares a slot's word with the seq */
    sim->handlers = g_renew(Handler, sim->handlers, sim->nhandlers + 1);
    sim->handlers[sim->nhandlers] = (Handler){fn, user_data, name};
    return sim->nhandlers++;
}

void hnb_sim_tune_queue(HnbSim *sim, size_t ladder_above, size_t radix_above)
{
    g_return_if_fail(ladder_above <= radix_above && !sim->running);
    sim->q.ladder_above = ladder_above;
    sim->q.ladder_below = ladder_above / 4;
    sim->q.radix_above = radix_above;
    sim->q.radix_below = radix_above / 4;
    hnb_evq_retarget(&sim->q);
}

HnbEventId hnb_sim_schedule(HnbSim *sim, HnbTime at, uint32_t kind, uint32_t entity, uint64_t arg)
{
    HnbEvqEntry e;
    if (G_UNLIKELY(at < sim->now || kind >= sim->nhandlers))
        g_error("hnb_sim_schedule: %s (at %" G_GINT64_FORMAT " ns, now %" G_GINT64_FORMAT " ns, kind %u of %u)",
                at < sim->now ? "event in the past" : "unregistered event kind", at, sim->now, kind,
                sim->nhandlers);
    HnbEventId id = hnb_evq_make(&sim->q, at, kind, entity, arg, &e);
    if (sim->front_consumed) {
        sim->front_consumed = FALSE;
        hnb_evq_replace_front(&sim->q, e);
    } else {
        hnb_evq_push(&sim->q, e);
    }
    return id;
}

gboolean hnb_sim_cancel(HnbSim *sim, HnbEventId id)
{
    return hnb_evq_cancel(&sim->q, id);
}

HnbRunStatus hnb_sim_run(HnbSim *sim, HnbTime until)
{
    HnbEvq *q = &sim->q;
    g_return_val_if_fail(!sim->running, HNB_RUN_STOPPED);
    g_return_val_if_fail(until >= sim->now, HNB_RUN_STOPPED);
    sim->running = TRUE;
    sim->stop = FALSE;
    const HnbEvqEntry *top;
    while ((top = hnb_evq_front(q, until)) != NULL) {
        HnbTime t = top->time;
        uint32_t s = (uint32_t)(top->key & HNB_EVQ_SLOT_MASK);
        HnbEvqSlot *sl = &q->slots[s];
        if (G_UNLIKELY(!hnb_evq_slot_holds(sl, top->key))) { /* cancelled */
            hnb_evq_pop(q);
            continue;
        }
        HnbEvent ev = {t, hnb_evq_slot_kind(sl), sl->entity, sl->arg};
        hnb_evq_release(q, s);
        q->live--;
        sim->now = t;
        sim->front_consumed = TRUE;
        const Handler *h = &sim->handlers[ev.kind];
        h->fn(sim, &ev, h->user_data);
        sim->events_run++;
        if (sim->front_consumed) {
            sim->front_consumed = FALSE;
            hnb_evq_pop(q);
        }
        if (G_UNLIKELY(sim->stop)) {
            sim->running = FALSE;
            return HNB_RUN_STOPPED;
        }
    }
    HnbRunStatus st = q->live == 0 ? HNB_RUN_EMPTY : HNB_RUN_UNTIL;
    if (until != HNB_TIME_NEVER && until > sim->now)
        sim->now = until;
    sim->running = FALSE;
    return st;
}

void hnb_sim_stop(HnbSim *sim) { sim->stop = TRUE; }
HnbTime hnb_sim_now(const HnbSim *sim) { return sim->now; }

HnbTime hnb_sim_next_time(const HnbSim *sim)
{
    g_return_val_if_fail(!sim->running, sim->now);
    return hnb_evq_peek_time(&sim->q);
}
uint64_t hnb_sim_events_run(const HnbSim *sim) { return sim->events_run; }

void hnb_sim_drop_pending(HnbSim *sim)
{
    g_return_if_fail(!sim->running);
    hnb_evq_clear(&sim->q); /* keeps its switch points */
}
size_t hnb_sim_pending(const HnbSim *sim) { return sim->q.live; }
void hnb_sim_verify(const HnbSim *sim) { hnb_evq_verify(&sim->q); }
