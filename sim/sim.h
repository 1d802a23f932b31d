/* sim/sim.h — the discrete-event kernel: the only header a model needs for scheduling.
 *
 * A run is one HnbSim.  Models register a handler per event kind, then schedule events; hnb_sim_run() pops them in
 * (time, schedule order) and calls the handler.  Events are small PODs copied by value: the kernel never allocates
 * per event (its arrays grow by doubling, in a cold path).  Equal-time events run in the order they were scheduled
 * (FIFO tie-break on a sequence number), so a run is a pure function of its inputs.
 *
 * The kernel knows nothing about HNBs: `entity` and `arg` are the model's to interpret.
 */
#ifndef HNB_SIM_H
#define HNB_SIM_H

#include <stdint.h>
#include <stddef.h>
#include "sim/time.h"

typedef struct HnbSim HnbSim;

/* What a handler sees.  Valid only during the call. */
typedef struct {
    HnbTime time;    /* == hnb_sim_now() */
    uint32_t kind;   /* as returned by hnb_sim_register() */
    uint32_t entity; /* model-defined, e.g. an HNB index */
    uint64_t arg;    /* model-defined payload */
} HnbEvent;

/* Names a scheduled event for hnb_sim_cancel(); 0 never names one. */
typedef uint64_t HnbEventId;

typedef void (*HnbHandler)(HnbSim *sim, const HnbEvent *ev, void *user_data);

typedef enum {
    HNB_RUN_EMPTY,   /* no events left */
    HNB_RUN_UNTIL,   /* next event lies after `until`; now == until */
    HNB_RUN_STOPPED, /* a handler called hnb_sim_stop() */
} HnbRunStatus;

HnbSim *hnb_sim_new(void);
void hnb_sim_free(HnbSim *sim);

/* Register a handler; returns the event kind to schedule with.  `name` (static string) is for diagnostics. */
uint32_t hnb_sim_register(HnbSim *sim, const char *name, HnbHandler fn, void *user_data);

/* Schedule an event at absolute time `at` (>= now, else it is a bug and asserts). */
HnbEventId hnb_sim_schedule(HnbSim *sim, HnbTime at, uint32_t kind, uint32_t entity, uint64_t arg);

static inline HnbEventId hnb_sim_schedule_in(HnbSim *sim, HnbTime delay, uint32_t kind, uint32_t entity,
                                             uint64_t arg);

/* Cancel a pending event.  Returns TRUE if it was pending, FALSE if it already ran, was cancelled, or id is 0.
 * O(1): the slot is marked dead and skipped when it reaches the top. */
gboolean hnb_sim_cancel(HnbSim *sim, HnbEventId id);

/* Run events with time <= until (HNB_TIME_NEVER: until empty).  May be called again to continue. */
HnbRunStatus hnb_sim_run(HnbSim *sim, HnbTime until);

/* From a handler: make hnb_sim_run() return HNB_RUN_STOPPED after the current event. */
void hnb_sim_stop(HnbSim *sim);

HnbTime hnb_sim_now(const HnbSim *sim);

/* The time of the earliest pending entry, HNB_TIME_NEVER when there is none: when a caller running the kernel in
 * slices (tools/drive/pace.h) must next call hnb_sim_run().  A lower bound of the next event's time: a cancelled
 * entry still at the front counts (cancel is lazy, and skipping it would mean taking it out), so the caller may wake
 * early, which is harmless — a run to that time drops it.  After hnb_sim_run(sim, until) returns HNB_RUN_UNTIL it is
 * > until, so a caller that runs to what this returns always makes progress.  Read-only: it never reorganises the
 * queue (a radix refill would move `last` past times the caller may still schedule at), so results cannot depend on
 * whether or how often it is called.  O(1) but in the ladder with its sorted run used up: then O(one bin) and, when
 * no bin is filled before the far list, O(far list).  Not from a handler (the event being handled is still at the
 * front); outside hnb_sim_run() only. */
HnbTime hnb_sim_next_time(const HnbSim *sim);
uint64_t hnb_sim_events_run(const HnbSim *sim); /* handlers called so far */
/* The run is over: every pending event is dropped and the queue's memory freed (a model's summaries at the end of a
 * big run need not sit on top of its ~1.3 pending events per entity).  Ids become stale: cancel returns FALSE.  Not
 * from a handler. */
void hnb_sim_drop_pending(HnbSim *sim);
size_t hnb_sim_pending(const HnbSim *sim);      /* live scheduled events */

/* The queue is a heap while tiny, a ladder queue in the middle and a radix heap once large (sim/evqueue.h): to the
 * ladder above ladder_above entries, to the radix heap above radix_above (>= ladder_above); back below a quarter of
 * each.  Results never depend on it; for tests and benchmarks (SIZE_MAX, SIZE_MAX: always heap; 0, SIZE_MAX: always
 * ladder; 0, 0: always radix). */
void hnb_sim_tune_queue(HnbSim *sim, size_t ladder_above, size_t radix_above);

/* Check every invariant of the queue (bucket placement, FIFO order, slot bookkeeping); aborts with a message on violation.  O(n):
 * for tests and debug builds. */
void hnb_sim_verify(const HnbSim *sim);

static inline HnbEventId hnb_sim_schedule_in(HnbSim *sim, HnbTime delay, uint32_t kind, uint32_t entity,
                                             uint64_t arg)
{
    return hnb_sim_schedule(sim, hnb_sim_now(sim) + delay, kind, entity, arg);
}

#endif
