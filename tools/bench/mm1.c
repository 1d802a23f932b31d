/* tools/bench/mm1.c — an M/M/1 queue written on the kernel the way a model is written: two event kinds, per-purpose
 * counter-based streams, a FIFO of waiting customers that grows by doubling (never per customer).
 *
 * Arrival rate 0.9/s, service rate 1/s: the mean time in queue is rho/(mu - lambda) = 9 s (any queueing text). */
#include "tools/bench/bench.h"
#include "sim/dist.h"
#include "sim/rng.h"
#include "sim/sim.h"

#include <stdio.h>

typedef struct {
    HnbStream arrivals, services;
    uint64_t customers, arrived, served;
    uint32_t k_arrive, k_depart;
    HnbTime *ring; /* arrival times of waiting customers */
    size_t cap, head, count;
    int busy;
    double wait_sum_ns;
} MM1;

static const double mean_interarrival_ns = 1e9 / 0.9, mean_service_ns = 1e9;

static HnbTime draw(HnbStream s, uint64_t counter, double mean)
{
    return (HnbTime)hnb_exp_from_uniform(mean, hnb_rng_uniform(s, 0, counter));
}

static void ring_grow(MM1 *m)
{
    size_t cap = m->cap ? m->cap * 2 : 64;
    HnbTime *r = g_new(HnbTime, cap);
    for (size_t i = 0; i < m->count; i++)
        r[i] = m->ring[(m->head + i) % m->cap];
    g_free(m->ring);
    m->ring = r;
    m->cap = cap;
    m->head = 0;
}

static void on_arrive(HnbSim *sim, const HnbEvent *ev, void *ud)
{
    MM1 *m = ud;
    if (++m->arrived < m->customers)
        hnb_sim_schedule(sim, ev->time + draw(m->arrivals, m->arrived, mean_interarrival_ns), m->k_arrive, 0, 0);
    if (!m->busy) {
        m->busy = 1;
        hnb_sim_schedule(sim, ev->time + draw(m->services, m->served, mean_service_ns), m->k_depart, 0, 0);
        return;
    }
    if (G_UNLIKELY(m->count == m->cap))
        ring_grow(m);
    m->ring[(m->head + m->count++) & (m->cap - 1)] = ev->time;
}

static void on_depart(HnbSim *sim, const HnbEvent *ev, void *ud)
{
    MM1 *m = ud;
    if (++m->served == m->customers) {
        hnb_sim_stop(sim);
        return;
    }
    if (m->count == 0) {
        m->busy = 0;
        return;
    }
    HnbTime arrived = m->ring[m->head];
    m->head = (m->head + 1) & (m->cap - 1);
    m->count--;
    m->wait_sum_ns += (double)(ev->time - arrived);
    hnb_sim_schedule(sim, ev->time + draw(m->services, m->served, mean_service_ns), m->k_depart, 0, 0);
}

int hnb_bench_mm1(uint64_t customers, uint64_t seed)
{
    MM1 m = {.arrivals = hnb_stream(seed, 0, "mm1.arrival"),
             .services = hnb_stream(seed, 0, "mm1.service"),
             .customers = customers};
    HnbSim *sim = hnb_sim_new();
    m.k_arrive = hnb_sim_register(sim, "arrive", on_arrive, &m);
    m.k_depart = hnb_sim_register(sim, "depart", on_depart, &m);
    ring_grow(&m);
    gint64 t0 = g_get_monotonic_time();
    hnb_sim_schedule(sim, draw(m.arrivals, 0, mean_interarrival_ns), m.k_arrive, 0, 0);
    hnb_sim_run(sim, HNB_TIME_NEVER);
    double secs = (double)(g_get_monotonic_time() - t0) / 1e6;
    printf("customers_per_s=%.0f mean_wait=%.4f\n", (double)customers / secs, m.wait_sum_ns / 1e9 / (double)customers);
    g_free(m.ring);
    hnb_sim_free(sim);
    return 0;
}
