/* tools/drive/pace.h — the kernel in scaled real time: the pacing loop of `hnbsim drive` (docs/DESIGN.md, "`hnbsim
 * drive` and the validation study", part 1).
 *
 * One ev_timer on the caller's libev loop.  With w0 the CLOCK_MONOTONIC ns at which scenario time 0 falls and X the
 * speed, scenario time sim(w) = (w - w0)·X and wall(t) = w0 + t/X.  Each wake runs the kernel, with its slice API
 * (hnb_sim_run stops with now == until and takes schedules at >= now from outside), up to T = min(sim(now), end),
 * then re-arms the timer at wall(hnb_sim_next_time()).  The kernel is unchanged: a paced run executes the same
 * handlers in the same order as hnb_sim_run(sim, end) would, given the same outside posts.
 *
 * When the loop lags (a burst of events due at one instant, a slow handler, a loaded machine), events still run at
 * their scenario times, late in wall time: the clock is not slowed (that would lower the offered load silently) and
 * nothing is skipped (that would change the schedule).  The lag is measured instead: an event's lag is the wall time
 * when the kernel starts running the events due at its instant minus wall(its time).  Events due at one instant run
 * back to back and share that lag; a handler that wants its own (the drive's connects) reads hnb_pace_lag_ns().
 *
 * Outside completions (a socket's outcome, from a libev callback) enter the kernel as events: hnb_pace_post()
 * schedules one at the current mapped time and runs the kernel to it at once, so what its handler schedules happens
 * in the same loop turn.  Handlers never call hnb_pace_post() (the kernel does not re-enter hnb_sim_run).
 *
 * Time is read with clock_gettime(CLOCK_MONOTONIC), never ev_now(): libev's loop time is the realtime clock, which
 * jumps.  Single-threaded, like the loop it runs on.
 */
#ifndef HNB_DRIVE_PACE_H
#define HNB_DRIVE_PACE_H

#include <ev.h>
#include <stdint.h>
#include "sim/sim.h"

typedef struct HnbPace HnbPace;

/* Called once when the paced run ends: the kernel reached `end`, or a handler called hnb_sim_stop().  `status` is
 * HNB_RUN_UNTIL (end reached; events after it stay pending), HNB_RUN_EMPTY (end reached with nothing pending) or
 * HNB_RUN_STOPPED.  The timer is stopped before the call; the callback may free the HnbPace. */
typedef void (*HnbPaceEnd)(HnbPace *pace, HnbRunStatus status, void *user_data);

/* The lag tally: events run by the pacing loop (including those run by hnb_pace_post), and quantiles of their lag in
 * ms (sim/stats.h's histogram: within 1%; min and max exact).  NAN quantiles when count == 0. */
typedef struct {
    uint64_t count;
    double p50_ms, p99_ms, max_ms;
    uint64_t late; /* lag > HNB_PACE_LATE_MS */
} HnbPaceLag;

#define HNB_PACE_LATE_MS 10.0 /* the plan's "paced" bound on p99, and its pace_late_fraction threshold */

/* A pacer for `sim` on `loop` at speed X (0 < X <= 3600, else NULL and a critical) running to scenario time `end`
 * (HNB_TIME_NEVER: until stopped; an empty queue then waits for posts).  Nothing runs before hnb_pace_start(). */
HnbPace *hnb_pace_new(struct ev_loop *loop, HnbSim *sim, double speed, HnbTime end, HnbPaceEnd on_end,
                      void *user_data);
/* Stops the timer if armed; the kernel is the caller's. */
void hnb_pace_free(HnbPace *pace);

/* Anchor the clocks so that the kernel's current time, hnb_sim_now(), falls now, and arm the timer (events due now
 * run on the loop's next iteration, not inside this call).  Once. */
void hnb_pace_start(HnbPace *pace);

/* sim(now): the scenario time the wall clock has reached, not capped at end.  After start only. */
HnbTime hnb_pace_now(const HnbPace *pace);
/* Wall time now minus wall(t), in ns (negative when t is still ahead): the lag of something due at scenario time t. */
int64_t hnb_pace_lag_ns(const HnbPace *pace, HnbTime t);

/* Post an outside completion: schedule (kind, entity, arg) at max(sim(now), hnb_sim_now()) capped at end, and run
 * the kernel to that time at once (every event due by then runs, in order, this one after those already pending at
 * its time).  Returns the event's id, or 0 when the run has ended (nothing is scheduled then).  From libev callbacks
 * only, never from a handler.  Callbacks schedule through this, not hnb_sim_schedule(): the timer is armed for what
 * is pending after each run, so an event scheduled behind the pacer's back would wait for its next wake. */
HnbEventId hnb_pace_post(HnbPace *pace, uint32_t kind, uint32_t entity, uint64_t arg);

/* TRUE once the run has ended (on_end called). */
gboolean hnb_pace_ended(const HnbPace *pace);
void hnb_pace_lag(const HnbPace *pace, HnbPaceLag *out);
uint64_t hnb_pace_wakes(const HnbPace *pace); /* timer callbacks: a test's view of how often it woke */

#endif
