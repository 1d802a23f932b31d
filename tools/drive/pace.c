/* tools/drive/pace.c — the pacing loop (pace.h): one libev timer over the kernel's slice API.
 *
 * The kernel is run one due instant at a time (hnb_sim_next_time, then hnb_sim_run to it) rather than in one call
 * to T, so that the lag of each instant is measured when its events start instead of when the slice started: in a
 * burst the last instant's lag includes the handlers run before it.  Slicing at instants runs the same events in the
 * same order as one run to T (the kernel's slices are exact: tests/test-sim.c, random-vs-reference).
 */
#include "tools/drive/pace.h"
#include "sim/stats.h"

#include <math.h>
#include <time.h>

struct HnbPace {
    struct ev_loop *loop;
    HnbSim *sim;
    double speed;
    HnbTime end;
    HnbPaceEnd on_end;
    void *user_data;
    ev_timer timer;
    int64_t w0; /* CLOCK_MONOTONIC ns at scenario time 0 */
    gboolean started, ended, in_run;
    HnbTally lag_ms;
    uint64_t late, wakes;
};

static int64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* sim(w), rounded down: a time is reached only once the wall clock has passed it */
static HnbTime sim_at(const HnbPace *p, int64_t w)
{
    return (HnbTime)floor((double)(w - p->w0) * p->speed);
}

/* wall(t), rounded up, for the same reason */
static int64_t wall_of(const HnbPace *p, HnbTime t)
{
    return p->w0 + (int64_t)ceil((double)t / p->speed);
}

HnbPace *hnb_pace_new(struct ev_loop *loop, HnbSim *sim, double speed, HnbTime end, HnbPaceEnd on_end,
                      void *user_data)
{
    g_return_val_if_fail(loop != NULL && sim != NULL, NULL);
    g_return_val_if_fail(speed > 0 && speed <= 3600, NULL);
    g_return_val_if_fail(end >= hnb_sim_now(sim), NULL);
    HnbPace *p = g_new0(HnbPace, 1);
    p->loop = loop;
    p->sim = sim;
    p->speed = speed;
    p->end = end;
    p->on_end = on_end;
    p->user_data = user_data;
    hnb_tally_init(&p->lag_ms);
    ev_timer_init(&p->timer, NULL, 0., 0.);
    return p;
}

void hnb_pace_free(HnbPace *p)
{
    if (!p)
        return;
    ev_timer_stop(p->loop, &p->timer);
    hnb_tally_clear(&p->lag_ms);
    g_free(p);
}

HnbTime hnb_pace_now(const HnbPace *p)
{
    g_return_val_if_fail(p->started, 0);
    return sim_at(p, mono_ns());
}

int64_t hnb_pace_lag_ns(const HnbPace *p, HnbTime t)
{
    return mono_ns() - wall_of(p, t);
}

gboolean hnb_pace_ended(const HnbPace *p) { return p->ended; }
uint64_t hnb_pace_wakes(const HnbPace *p) { return p->wakes; }

void hnb_pace_lag(const HnbPace *p, HnbPaceLag *out)
{
    out->count = p->lag_ms.n;
    out->p50_ms = hnb_tally_quantile(&p->lag_ms, 0.5);
    out->p99_ms = hnb_tally_quantile(&p->lag_ms, 0.99);
    out->max_ms = hnb_tally_quantile(&p->lag_ms, 1.0);
    out->late = p->late;
}

/* Run every instant due by T, measuring each instant's lag as it starts, then move the kernel's clock to T so that
 * outside schedules land at >= T. */
static HnbRunStatus run_to(HnbPace *p, HnbTime T)
{
    HnbSim *sim = p->sim;
    HnbTime t;
    p->in_run = TRUE;
    while ((t = hnb_sim_next_time(sim)) <= T) {
        double lag = (double)hnb_pace_lag_ns(p, t) / 1e6;
        uint64_t before = hnb_sim_events_run(sim);
        HnbRunStatus st = hnb_sim_run(sim, t);
        /* 0 when only a cancelled entry was due: hnb_sim_next_time is a lower bound */
        for (uint64_t n = hnb_sim_events_run(sim) - before; n > 0; n--) {
            hnb_tally_add(&p->lag_ms, lag);
            p->late += lag > HNB_PACE_LATE_MS;
        }
        if (st == HNB_RUN_STOPPED) {
            p->in_run = FALSE;
            return st;
        }
    }
    HnbRunStatus st = hnb_sim_run(sim, T);
    p->in_run = FALSE;
    return st;
}

/* Arm the timer for the next due instant, or for the end when that comes first; leave it stopped when nothing can
 * happen until a post. */
static void arm(HnbPace *p)
{
    ev_timer_stop(p->loop, &p->timer);
    HnbTime next = hnb_sim_next_time(p->sim);
    if (next > p->end)
        next = p->end;
    if (next == HNB_TIME_NEVER)
        return;
    /* libev counts the delay from its cached loop time, which is as old as this loop iteration: refresh it, or the
     * timer would fire early by the time this iteration has taken so far */
    ev_now_update(p->loop);
    int64_t delay = wall_of(p, next) - mono_ns();
    ev_timer_set(&p->timer, delay > 0 ? (double)delay / 1e9 : 0., 0.);
    ev_timer_start(p->loop, &p->timer);
}

static void finish(HnbPace *p, HnbRunStatus st)
{
    p->ended = TRUE;
    ev_timer_stop(p->loop, &p->timer);
    if (p->on_end)
        p->on_end(p, st, p->user_data); /* last: it may free p */
}

/* Run the kernel to T (capped at end), then end the run or re-arm. */
static void advance(HnbPace *p, HnbTime T)
{
    T = T > p->end ? p->end : T;
    T = T < hnb_sim_now(p->sim) ? hnb_sim_now(p->sim) : T;
    HnbRunStatus st = run_to(p, T);
    if (st == HNB_RUN_STOPPED || T == p->end)
        finish(p, st);
    else
        arm(p);
}

static void on_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop;
    (void)revents;
    HnbPace *p = w->data;
    p->wakes++;
    int64_t now = mono_ns();
    HnbTime T = sim_at(p, now);
    /* The two roundings may leave sim(wall(next)) a nanosecond short of next: when the timer armed for next has
     * fired, next is due, or the loop would spin on an instant it never reaches. */
    HnbTime next = hnb_sim_next_time(p->sim);
    if (next != HNB_TIME_NEVER && next > T && wall_of(p, next) <= now)
        T = next;
    advance(p, T);
}

void hnb_pace_start(HnbPace *p)
{
    g_return_if_fail(!p->started);
    p->started = TRUE;
    p->w0 = mono_ns() - (int64_t)floor((double)hnb_sim_now(p->sim) / p->speed);
    ev_timer_init(&p->timer, on_timer, 0., 0.);
    p->timer.data = p;
    if (hnb_sim_now(p->sim) == p->end) {
        /* nothing can run: end on the loop's next turn, like any other end, not inside this call */
        ev_timer_start(p->loop, &p->timer);
        return;
    }
    arm(p);
}

HnbEventId hnb_pace_post(HnbPace *p, uint32_t kind, uint32_t entity, uint64_t arg)
{
    g_return_val_if_fail(p->started && !p->in_run, 0);
    if (p->ended)
        return 0;
    HnbTime t = sim_at(p, mono_ns());
    t = t < hnb_sim_now(p->sim) ? hnb_sim_now(p->sim) : t;
    t = t > p->end ? p->end : t;
    HnbEventId id = hnb_sim_schedule(p->sim, t, kind, entity, arg);
    advance(p, t); /* may end the run and free p */
    return id;
}
