/* models/informs.c — the first model: periodic Informs into an ACS with c workers (an M/G/c-like queue).
 *
 * N HNBs each open a session every `interval`, starting at a random phase; the ACS serves sessions on `workers`
 * workers with a service-time distribution, FIFO, with an optional queue limit (a full queue refuses the session).
 * It is the smallest model that drives the whole path — scenario, kernel, streams, recorders, results, figures —
 * and the fleet model of a later issue replaces it as the default.
 *
 * Streams (common random numbers): the phase of HNB i is draw 0 of ("inform.phase", i); the service time of HNB i's
 * k-th session is draw k of ("acs.service", i).  A variant with more workers sees the same arrivals and the same
 * work, so differences between variants are the variants' own.
 */
#include "models/model.h"
#include "sim/stats.h"

#include <math.h>

typedef struct {
    uint32_t hnb;
    HnbTime arrived;
} Waiting;

typedef struct {
    /* parameters */
    int64_t n, workers, queue_limit;
    HnbTime interval, duration, sample;
    const HnbDist *service;
    HnbStream s_phase, s_service;
    /* kernel */
    HnbSim *sim;
    uint32_t k_inform, k_done, k_sample;
    /* state */
    uint32_t *sessions; /* per HNB: sessions started, the counter of its service draws */
    Waiting *ring;      /* FIFO of waiting sessions; capacity a power of two, grown by doubling */
    size_t cap, head, count;
    int64_t busy;
    /* recorders */
    HnbTally wait;
    HnbGauge queue, busy_gauge;
    uint64_t informs, completed, refused;
    uint64_t done_since_sample, waits_since_sample;
    double wait_sum_since_sample;
    HnbSeries *series;
} Informs;

static void start(Informs *m, uint32_t hnb, HnbTime arrived)
{
    HnbTime now = hnb_sim_now(m->sim);
    double w = hnb_time_to_sec(now - arrived);
    hnb_tally_add(&m->wait, w);
    m->wait_sum_since_sample += w;
    m->waits_since_sample++;
    hnb_gauge_set(&m->busy_gauge, now, (double)++m->busy);
    HnbRng r = hnb_rng_at(m->s_service, hnb, m->sessions[hnb]++);
    hnb_sim_schedule(m->sim, now + hnb_dist_sample_time(m->service, &r), m->k_done, hnb, 0);
}

static void ring_grow(Informs *m)
{
    size_t cap = m->cap ? m->cap * 2 : 1024;
    Waiting *r = g_new(Waiting, cap);
    for (size_t i = 0; i < m->count; i++)
        r[i] = m->ring[(m->head + i) & (m->cap - 1)];
    g_free(m->ring);
    m->ring = r;
    m->cap = cap;
    m->head = 0;
}

static void on_inform(HnbSim *sim, const HnbEvent *ev, void *ud)
{
    Informs *m = ud;
    m->informs++;
    hnb_sim_schedule(sim, ev->time + m->interval, m->k_inform, ev->entity, 0);
    if (m->busy < m->workers) {
        start(m, ev->entity, ev->time);
    } else if (m->queue_limit > 0 && (int64_t)m->count >= m->queue_limit) {
        m->refused++;
    } else {
        if (G_UNLIKELY(m->count == m->cap))
            ring_grow(m);
        m->ring[(m->head + m->count++) & (m->cap - 1)] = (Waiting){ev->entity, ev->time};
        hnb_gauge_set(&m->queue, ev->time, (double)m->count);
    }
}

static void on_done(HnbSim *sim, const HnbEvent *ev, void *ud)
{
    Informs *m = ud;
    (void)sim;
    m->completed++;
    m->done_since_sample++;
    hnb_gauge_set(&m->busy_gauge, ev->time, (double)--m->busy);
    if (m->count > 0) {
        Waiting w = m->ring[m->head];
        m->head = (m->head + 1) & (m->cap - 1);
        m->count--;
        hnb_gauge_set(&m->queue, ev->time, (double)m->count);
        start(m, w.hnb, w.arrived);
    }
}

static void on_sample(HnbSim *sim, const HnbEvent *ev, void *ud)
{
    Informs *m = ud;
    double row[5] = {
        hnb_time_to_sec(ev->time) / 3600.0,
        (double)m->done_since_sample / hnb_time_to_sec(m->sample),
        (double)m->count,
        (double)m->busy,
        m->waits_since_sample ? m->wait_sum_since_sample / (double)m->waits_since_sample : NAN,
    };
    hnb_series_add_row(m->series, row);
    m->done_since_sample = m->waits_since_sample = 0;
    m->wait_sum_since_sample = 0;
    if (ev->time + m->sample <= m->duration)
        hnb_sim_schedule(sim, ev->time + m->sample, m->k_sample, 0, 0);
}

static gboolean run(const HnbScenario *sc, guint rep, HnbProgress *progress, HnbMetrics *out, HnbSeries **series,
                    HnbSeries **cdf, GError **error)
{
    static const char *const cols[] = {"time_h", "sessions_per_s", "queue_len", "busy_workers", "wait_mean_s"};
    static const char *const units[] = {"h", "sessions/s", "sessions", "workers", "s"};
    uint64_t seed = (uint64_t)hnb_scenario_int(sc, "scenario", "seed");
    Informs m = {
        .n = hnb_scenario_int(sc, "fleet", "size"),
        .workers = hnb_scenario_int(sc, "acs", "workers"),
        .queue_limit = hnb_scenario_int(sc, "acs", "queue_limit"),
        .interval = hnb_scenario_time(sc, "inform", "interval"),
        .duration = hnb_scenario_time(sc, "scenario", "duration"),
        .sample = hnb_model_sample_interval(sc),
        .service = hnb_scenario_dist(sc, "acs", "service"),
        .s_phase = hnb_stream(seed, rep, "inform.phase"),
        .s_service = hnb_stream(seed, rep, "acs.service"),
    };
    (void)error;
    (void)cdf;
    m.sim = hnb_sim_new();
    m.k_inform = hnb_sim_register(m.sim, "inform", on_inform, &m);
    m.k_done = hnb_sim_register(m.sim, "session-done", on_done, &m);
    m.k_sample = hnb_sim_register(m.sim, "sample", on_sample, &m);
    m.sessions = g_new0(uint32_t, m.n);
    m.series = hnb_series_new(G_N_ELEMENTS(cols), cols, units);
    ring_grow(&m);
    hnb_tally_init(&m.wait);
    hnb_gauge_init(&m.queue, 0, 0);
    hnb_gauge_init(&m.busy_gauge, 0, 0);

    for (int64_t i = 0; i < m.n; i++) {
        double u = hnb_rng_uniform(m.s_phase, (uint64_t)i, 0);
        hnb_sim_schedule(m.sim, (HnbTime)(u * (double)m.interval), m.k_inform, (uint32_t)i, 0);
    }
    if (m.sample <= m.duration)
        hnb_sim_schedule(m.sim, m.sample, m.k_sample, 0, 0);
    hnb_model_run_kernel(m.sim, m.duration, progress);

    double secs = hnb_time_to_sec(m.duration);
    double offered = (double)m.n / hnb_time_to_sec(m.interval) * hnb_time_to_sec((HnbTime)hnb_dist_mean(m.service)) /
                     (double)m.workers;
    hnb_metrics_add(out, "informs", "sessions", (double)m.informs, "sessions the HNBs opened");
    hnb_metrics_add(out, "sessions_completed", "sessions", (double)m.completed, "sessions the ACS finished");
    hnb_metrics_add(out, "sessions_refused", "sessions", (double)m.refused, "sessions refused by a full queue");
    hnb_metrics_add(out, "refused_fraction", "", m.informs ? (double)m.refused / (double)m.informs : 0,
                    "refused / opened");
    hnb_metrics_add(out, "throughput", "sessions/s", (double)m.completed / secs, "completed sessions per second");
    hnb_metrics_add(out, "offered_load", "", offered, "arrival rate x mean service time / workers (rho)");
    hnb_metrics_add(out, "utilisation", "", hnb_gauge_mean(&m.busy_gauge, m.duration) / (double)m.workers,
                    "time-average busy workers / workers");
    hnb_metrics_add(out, "queue_mean", "sessions", hnb_gauge_mean(&m.queue, m.duration),
                    "time-average number of waiting sessions");
    hnb_metrics_add(out, "queue_max", "sessions", m.queue.max, "most sessions waiting at once");
    hnb_metrics_add(out, "wait_mean", "s", m.wait.n ? m.wait.mean : NAN, "mean wait before service");
    hnb_metrics_add(out, "wait_p50", "s", hnb_tally_quantile(&m.wait, 0.50), "median wait");
    hnb_metrics_add(out, "wait_p95", "s", hnb_tally_quantile(&m.wait, 0.95), "95th percentile wait");
    hnb_metrics_add(out, "wait_p99", "s", hnb_tally_quantile(&m.wait, 0.99), "99th percentile wait");
    hnb_metrics_add(out, "wait_max", "s", m.wait.n ? m.wait.max : NAN, "longest wait");
    hnb_metrics_add(out, "events", "events", (double)hnb_sim_events_run(m.sim), "kernel events run");

    *series = m.series;
    hnb_tally_clear(&m.wait);
    g_free(m.sessions);
    g_free(m.ring);
    hnb_sim_free(m.sim);
    return TRUE;
}

static const HnbKeySpec schema[] = {
    {"fleet", "size", HNB_KEY_INT, 0, "1000", "1", "100000000", NULL, "number of HNBs"},
    {"inform", "interval", HNB_KEY_NUMBER, HNB_UNIT_DURATION, "1h", "1s", "30d", NULL,
     "PeriodicInformInterval; each HNB starts at a uniformly random phase"},
    {"acs", "workers", HNB_KEY_INT, 0, "4", "1", "1000000", NULL, "sessions the ACS serves at once"},
    {"acs", "service", HNB_KEY_DIST, HNB_UNIT_DURATION, "exp(200ms)", NULL, NULL, NULL,
     "time a worker spends on one session"},
    {"acs", "queue_limit", HNB_KEY_INT, 0, "0", "0", "100000000", NULL,
     "sessions that may wait; a session arriving at a full queue is refused (0: no limit)"},
    HNB_KEY_END,
};

static const HnbFigure figures[] = {
    {"sessions", "Completed CWMP sessions", "sessions/s", "sessions_per_s", FALSE},
    {"queue", "Sessions waiting and workers busy", "sessions", "queue_len busy_workers", FALSE},
    {"wait", "Mean wait before service (per sample interval)", "s", "wait_mean_s", FALSE},
};

const HnbModel hnb_model_informs = {
    .name = "informs",
    .doc = "N HNBs with periodic Informs into an ACS with c workers (M/G/c)",
    .schema = schema,
    .figures = figures,
    .nfigures = G_N_ELEMENTS(figures),
    .run = run,
};
