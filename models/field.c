/* models/field.c — the field force: a FIFO of truck-roll jobs served by technicians in working hours, and ship-backs.
 *
 * State.  Waiting truck rolls sit in a ring buffer of {hnb, job} in request order (FIFO); idle technicians on a stack
 * of their indices.  Invariant: outside a handler, either the queue is empty, or no technician is idle, or the window
 * is closed now and exactly one "field.window_open" event is pending (`wake`) — one wake-up for all idle
 * technicians, not one each.  A ship-back never enters the queue: its completion is scheduled at request time.
 *
 * Random numbers.  Job number j of HNB h (its j-th request, counted in a hash table: only bricked HNBs appear, out of
 * ids up to ~1e8) draws from `stream` with entity h and counters (j << 32) | sub, a separate sub-range per purpose
 * (the ship-back coin, travel, repair, turnaround).  So the draws of a job depend only on (h, j), never on when the
 * job starts or how many technicians there are: two variants that brick the same HNBs roll the same trucks.
 *
 * Working window.  Day d (t = 0 is Monday 00:00) has the window [d·DAY + start, d·DAY + start + len), len =
 * (end − start) mod DAY, or a whole day when start == end; a window may run past midnight (22h..6h) and then
 * belongs to the day it opens on (weekdays_only drops the windows opening on days 5 and 6 of each week).  A visit
 * starts only at a time inside a window; one that starts there finishes whatever the clock says.
 *
 * Accounting.  A truck roll's cost and its technician's hours (travel + repair) are booked when the visit starts, a
 * ship-back's cost when it is requested.  For what is still owed at the end (hnb_field_owed), each technician's visit
 * end and the sum of the ship-backs' return times are kept: busy_until[k] is the end of technician k's visit (stale
 * once he is idle again), ships_out and ships_back_ns count the ship-backs under way and sum their return times.
 */
#include "models/field.h"

#include <math.h>

#if defined(__GNUC__)
#define COLD __attribute__((noinline, cold)) /* ring growth: off the hot path */
#else
#define COLD
#endif

/* Counter sub-ranges of one job (low 32 bits).  A truncated normal may take a few redraws: 2^28 is far more. */
#define DRAW_COIN 0x00000000u
#define DRAW_TRAVEL 0x10000000u
#define DRAW_REPAIR 0x20000000u
#define DRAW_TURNAROUND 0x30000000u

typedef struct {
    uint32_t hnb;
    uint32_t job; /* the HNB's job number: keys its draws */
} Job;

struct HnbField {
    HnbSim *sim;
    HnbFieldParams p;
    HnbStream stream;
    HnbFieldRepaired repaired;
    void *user_data;

    uint32_t k_visit_done, k_ship_done, k_wake;
    HnbTime win_start, win_len; /* start within the day [0, DAY), length (0, DAY] */

    Job *ring;          /* waiting truck rolls, FIFO */
    size_t head, count, cap; /* cap a power of two (or 0) */

    uint32_t *idle;     /* stack of idle technician indices */
    unsigned n_idle;
    HnbEventId wake;    /* pending window_open event, or 0 */

    GHashTable *jobs;   /* hnb -> number of jobs requested so far */
    HnbTime *busy_until; /* per technician: when the visit he started last ends */
    uint64_t ships_out;
    double ships_back_ns;

    HnbFieldStats st;
};

/* ---------------------------------------------------------------------------------------------------------------- */
/* Working hours */

static gboolean day_allowed(const HnbField *f, int64_t d)
{
    return !f->p.weekdays_only || (d % 7 + 7) % 7 < 5; /* d may be -1: the Sunday before t = 0 */
}

static gboolean in_window(const HnbField *f, HnbTime t)
{
    int64_t d = t / HNB_DAY;
    /* today's window, or yesterday's if it runs past midnight (the week repeats: day -1 is a Sunday) */
    for (int64_t e = d; e >= d - 1; e--) {
        HnbTime o = e * HNB_DAY + f->win_start;
        if (day_allowed(f, e) && t >= o && t < o + f->win_len)
            return TRUE;
    }
    return FALSE;
}

/* The first window opening at or after t.  At most 3 days on (weekdays_only skips a weekend). */
static HnbTime next_open(const HnbField *f, HnbTime t)
{
    for (int64_t d = t / HNB_DAY;; d++) {
        HnbTime o = d * HNB_DAY + f->win_start;
        if (o >= t && day_allowed(f, d))
            return o;
    }
}

/* ---------------------------------------------------------------------------------------------------------------- */
/* The queue */

static COLD void ring_grow(HnbField *f)
{
    size_t ncap = f->cap ? 2 * f->cap : 64;
    Job *n = g_new(Job, ncap);
    for (size_t i = 0; i < f->count; i++)
        n[i] = f->ring[(f->head + i) & (f->cap - 1)];
    g_free(f->ring);
    f->ring = n;
    f->cap = ncap;
    f->head = 0;
}

static void ring_push(HnbField *f, Job j)
{
    if (f->count == f->cap)
        ring_grow(f);
    f->ring[(f->head + f->count) & (f->cap - 1)] = j;
    f->count++;
}

static Job ring_pop(HnbField *f)
{
    g_assert(f->count > 0);
    Job j = f->ring[f->head];
    f->head = (f->head + 1) & (f->cap - 1);
    f->count--;
    return j;
}

/* ---------------------------------------------------------------------------------------------------------------- */
/* Jobs */

static HnbTime draw_time(const HnbField *f, const HnbDist *d, Job j, uint32_t sub)
{
    HnbRng r = hnb_rng_at(f->stream, j.hnb, ((uint64_t)j.job << 32) | sub);
    return hnb_dist_sample_time(d, &r);
}

/* A technician takes job j now (inside a window). */
static void start_visit(HnbField *f, uint32_t tech, Job j)
{
    HnbTime travel = draw_time(f, &f->p.travel, j, DRAW_TRAVEL);
    HnbTime repair = draw_time(f, &f->p.repair, j, DRAW_REPAIR);
    f->st.truck_rolls++;
    f->st.cost += f->p.cost_truck_roll;
    f->st.technician_busy_hours += (double)(travel + repair) / (double)HNB_HOUR;
    f->busy_until[tech] = hnb_sim_now(f->sim) + travel + repair;
    hnb_sim_schedule_in(f->sim, travel + repair, f->k_visit_done, j.hnb, tech);
}

/* Give waiting jobs to idle technicians, or arrange to be woken when the window opens. */
static void dispatch(HnbField *f)
{
    if (f->count == 0 || f->n_idle == 0 || f->wake)
        return;
    HnbTime now = hnb_sim_now(f->sim);
    if (!in_window(f, now)) {
        f->wake = hnb_sim_schedule(f->sim, next_open(f, now), f->k_wake, 0, 0);
        return;
    }
    while (f->count > 0 && f->n_idle > 0)
        start_visit(f, f->idle[--f->n_idle], ring_pop(f));
}

static void on_visit_done(HnbSim *sim, const HnbEvent *ev, void *ud)
{
    HnbField *f = ud;
    g_assert(ev->arg < f->p.technicians && f->n_idle < f->p.technicians);
    f->idle[f->n_idle++] = (uint32_t)ev->arg;
    f->st.done++;
    f->repaired(sim, ev->entity, f->user_data); /* may request again: dispatch below sees it in FIFO order */
    dispatch(f);
}

static void on_ship_done(HnbSim *sim, const HnbEvent *ev, void *ud)
{
    HnbField *f = ud;
    f->st.done++;
    f->ships_out--;
    f->ships_back_ns -= (double)ev->time;
    f->repaired(sim, ev->entity, f->user_data);
}

static void on_wake(HnbSim *sim, const HnbEvent *ev, void *ud)
{
    HnbField *f = ud;
    (void)sim;
    (void)ev;
    f->wake = 0;
    dispatch(f);
}

void hnb_field_request(HnbField *f, uint32_t hnb)
{
    g_return_if_fail(f != NULL);
    gpointer key = GUINT_TO_POINTER(hnb), val = NULL;
    uint32_t n = 0;
    if (g_hash_table_lookup_extended(f->jobs, key, NULL, &val))
        n = GPOINTER_TO_UINT(val);
    g_hash_table_insert(f->jobs, key, GUINT_TO_POINTER(n + 1));
    Job j = {hnb, n};
    f->st.requests++;

    /* u in (0, 1): ship_back 0 never ships, 1 always does */
    double u = hnb_rng_uniform(f->stream, hnb, ((uint64_t)n << 32) | DRAW_COIN);
    if (u < f->p.ship_back) {
        f->st.ship_backs++;
        f->st.cost += f->p.cost_ship_back;
        HnbTime back = hnb_sim_now(f->sim) + draw_time(f, &f->p.turnaround, j, DRAW_TURNAROUND);
        f->ships_out++;
        f->ships_back_ns += (double)back;
        hnb_sim_schedule(f->sim, back, f->k_ship_done, hnb, n);
        return;
    }
    ring_push(f, j);
    dispatch(f);
}

/* ---------------------------------------------------------------------------------------------------------------- */

HnbField *hnb_field_new(HnbSim *sim, const HnbFieldParams *p, HnbStream stream, HnbFieldRepaired repaired,
                        void *user_data)
{
    g_return_val_if_fail(sim != NULL && p != NULL && repaired != NULL, NULL);
    g_return_val_if_fail(p->day_start >= 0 && p->day_start <= HNB_DAY, NULL);
    g_return_val_if_fail(p->day_end >= 0 && p->day_end <= HNB_DAY, NULL);
    g_return_val_if_fail(p->ship_back >= 0 && p->ship_back <= 1, NULL);

    HnbField *f = g_new0(HnbField, 1);
    f->sim = sim;
    f->p = *p;
    f->stream = stream;
    f->repaired = repaired;
    f->user_data = user_data;
    f->win_start = p->day_start % HNB_DAY;
    f->win_len = ((p->day_end - p->day_start) % HNB_DAY + HNB_DAY) % HNB_DAY;
    if (f->win_len == 0) /* start == end, or 0h..24h: around the clock */
        f->win_len = HNB_DAY;
    f->idle = g_new(uint32_t, p->technicians ? p->technicians : 1);
    f->busy_until = g_new0(HnbTime, p->technicians ? p->technicians : 1);
    /* pushed in reverse so technician 0 takes the first job: traces read naturally */
    for (unsigned i = 0; i < p->technicians; i++)
        f->idle[i] = p->technicians - 1 - i;
    f->n_idle = p->technicians;
    f->jobs = g_hash_table_new(g_direct_hash, g_direct_equal);
    f->k_visit_done = hnb_sim_register(sim, "field.visit_done", on_visit_done, f);
    f->k_ship_done = hnb_sim_register(sim, "field.ship_back_done", on_ship_done, f);
    f->k_wake = hnb_sim_register(sim, "field.window_open", on_wake, f);
    return f;
}

void hnb_field_free(HnbField *f)
{
    if (!f)
        return;
    g_hash_table_destroy(f->jobs);
    g_free(f->idle);
    g_free(f->busy_until);
    g_free(f->ring);
    g_free(f);
}

void hnb_field_stats(const HnbField *f, HnbFieldStats *out)
{
    g_return_if_fail(f != NULL && out != NULL);
    *out = f->st;
    out->waiting = f->count;
}

void hnb_field_owed(const HnbField *f, HnbTime now, HnbFieldOwed *out)
{
    g_return_if_fail(f != NULL && out != NULL);
    unsigned techs = f->p.technicians, busy = techs - f->n_idle;
    *out = (HnbFieldOwed){.hnbs = f->count + busy + f->ships_out, .visits = f->count};
    out->done_ns = f->ships_back_ns - (double)f->ships_out * (double)now;
    if (f->count > 0 && techs == 0) {
        out->done_ns = INFINITY;
        return;
    }
    /* when each technician is free: idle ones now, busy ones at the end of their visit (then a linear scan for the
     * first free per queued job: queue x technicians steps, once per run) */
    HnbTime *free_at = g_new(HnbTime, techs ? techs : 1);
    gboolean *idle = g_new0(gboolean, techs ? techs : 1);
    for (unsigned i = 0; i < f->n_idle; i++)
        idle[f->idle[i]] = TRUE;
    for (unsigned k = 0; k < techs; k++) {
        free_at[k] = idle[k] ? now : MAX(now, f->busy_until[k]);
        out->done_ns += (double)(free_at[k] - now);
    }
    g_free(idle);
    HnbTime visit = (HnbTime)(hnb_dist_mean(&f->p.travel) + hnb_dist_mean(&f->p.repair));
    for (size_t q = 0; q < f->count; q++) {
        unsigned k = 0;
        for (unsigned i = 1; i < techs; i++)
            if (free_at[i] < free_at[k])
                k = i;
        HnbTime start = in_window(f, free_at[k]) ? free_at[k] : next_open(f, free_at[k]);
        free_at[k] = start + visit;
        out->done_ns += (double)(free_at[k] - now);
    }
    g_free(free_at);
}

/* ---------------------------------------------------------------------------------------------------------------- */
/* Scenario keys (shared by the models that send technicians) */

const HnbKeySpec hnb_field_schema[] = {
    {"field", "technicians", HNB_KEY_INT, 0, "20", "0", "1000000", NULL, "field technicians (0: none)"},
    {"field", "day_start", HNB_KEY_NUMBER, HNB_UNIT_DURATION, "8h", "0s", "1d", NULL, "working hours begin"},
    {"field", "day_end", HNB_KEY_NUMBER, HNB_UNIT_DURATION, "17h", "0s", "1d", NULL,
     "working hours end (equal to day_start: around the clock)"},
    {"field", "weekdays_only", HNB_KEY_BOOL, 0, "true", NULL, NULL, NULL, "no visits on Saturday and Sunday (t = 0 is a Monday)"},
    {"field", "travel", HNB_KEY_DIST, HNB_UNIT_DURATION, "lognormal(45m,0.5)", NULL, NULL, NULL, "travel per visit"},
    {"field", "repair", HNB_KEY_DIST, HNB_UNIT_DURATION, "uniform(20m,40m)", NULL, NULL, NULL, "on-site repair"},
    {"field", "ship_back", HNB_KEY_NUMBER, HNB_UNIT_FRACTION, "0", NULL, NULL, NULL,
     "share of field jobs done by ship-back instead of a truck roll"},
    {"field", "turnaround", HNB_KEY_DIST, HNB_UNIT_DURATION, "uniform(3d,7d)", NULL, NULL, NULL,
     "ship-back: from the request to the unit back in service"},
    HNB_KEY_END,
};

gboolean hnb_field_params_from_scenario(HnbFieldParams *p, const HnbScenario *sc, GError **error)
{
    *p = (HnbFieldParams){
        .technicians = (unsigned)hnb_scenario_int(sc, "field", "technicians"),
        .day_start = hnb_scenario_time(sc, "field", "day_start"),
        .day_end = hnb_scenario_time(sc, "field", "day_end"),
        .weekdays_only = hnb_scenario_bool(sc, "field", "weekdays_only"),
        .travel = *hnb_scenario_dist(sc, "field", "travel"),
        .repair = *hnb_scenario_dist(sc, "field", "repair"),
        .ship_back = hnb_scenario_number(sc, "field", "ship_back"),
        .turnaround = *hnb_scenario_dist(sc, "field", "turnaround"),
        .cost_truck_roll = hnb_scenario_number(sc, "cost", "truck_roll"),
        .cost_ship_back = hnb_scenario_number(sc, "cost", "ship_back"),
    };
    if (p->day_end > HNB_DAY || p->day_start > HNB_DAY) {
        g_set_error(error, HNB_ERROR, HNB_ERROR_INPUT, "%s: [field] day_start and day_end must lie within a day",
                    hnb_scenario_source(sc));
        return FALSE;
    }
    return TRUE;
}
