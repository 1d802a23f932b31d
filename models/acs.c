/* models/acs.c — the H(e)MS/ACS: admission, TLS workers, CWMP sessions.
 *
 * A session holds one of `max_sessions` connection slots from admission to its end; a session arriving when all are
 * taken, or when the worker queue is full, is refused at once (the HNB sees a failed session and backs off per the
 * TR-069 retry policy).  Its CPU work — the TLS handshake, then the CWMP processing of each round trip — needs one of
 * `workers` workers, FIFO.  The network time of the round trips holds the connection but not a worker.
 *
 * Every TLS handshake is a real OpenSSL handshake run in the worker pool (acs_tls.c): submitted when a worker takes
 * the session, joined at the event `now + modelled handshake time`.  A failed handshake ends there; a good one goes on
 * to the CWMP exchange.  The modelled times never depend on how long the real handshake took on this machine.
 */
#include "models/acs_tls.h"
#include "models/fleet.h"

typedef struct {
    uint32_t hnb;
    uint8_t gen;
    uint8_t action;
    uint8_t busy; /* the slot is taken */
    uint8_t resumed;
    unsigned round_trips;
    AcsHandshake hs;
} Worker;

struct AcsState {
    Worker *w;
    uint32_t *free_w; /* stack of free worker indices */
    size_t nfree;
    uint32_t k_hs_done;
};

static struct AcsState *st(Fleet *f) { return f->acs.impl; }

static HnbTime dsample(Fleet *f, const HnbDist *d, uint32_t i)
{
    HnbRng r = hnb_rng_at(f->s_acs, i, f->hnb[i].draws);
    HnbTime t = hnb_dist_sample_time(d, &r);
    f->hnb[i].draws = (uint32_t)r.counter;
    return t;
}

static void queue_push(Fleet *f, uint64_t v)
{
    if (f->acs.qlen == f->acs.qcap) {
        size_t cap = f->acs.qcap ? f->acs.qcap * 2 : 1024;
        uint64_t *q = g_new(uint64_t, cap);
        for (size_t k = 0; k < f->acs.qlen; k++)
            q[k] = f->acs.queue[(f->acs.qhead + k) & (f->acs.qcap - 1)];
        g_free(f->acs.queue);
        f->acs.queue = q;
        f->acs.qcap = cap;
        f->acs.qhead = 0;
    }
    f->acs.queue[(f->acs.qhead + f->acs.qlen++) & (f->acs.qcap - 1)] = v;
}

static void start(Fleet *f, uint32_t i, uint8_t gen);

/* A worker is free: take the next waiting session whose HNB still waits for it. */
static void release_worker(Fleet *f, uint32_t w)
{
    struct AcsState *s = st(f);
    HnbTime now = hnb_sim_now(f->sim);
    s->w[w].busy = 0;
    s->free_w[s->nfree++] = w;
    f->acs.busy--;
    while (f->acs.qlen > 0) {
        uint64_t v = f->acs.queue[f->acs.qhead];
        f->acs.qhead = (f->acs.qhead + 1) & (f->acs.qcap - 1);
        f->acs.qlen--;
        uint32_t i = (uint32_t)v;
        uint8_t gen = (uint8_t)(v >> 32);
        if (f->hnb[i].gen == gen) {
            start(f, i, gen);
            break;
        }
        /* the HNB rebooted while it waited: its connection is gone */
        f->acs.open--;
        hnb_gauge_set(&f->acs.open_gauge, now, (double)f->acs.open);
    }
    hnb_gauge_set(&f->acs.busy_gauge, now, (double)f->acs.busy);
}

static void end_session(Fleet *f, uint32_t i, uint8_t gen, gboolean ok, HnbCwmpAcsAction action)
{
    f->acs.open--;
    hnb_gauge_set(&f->acs.open_gauge, hnb_sim_now(f->sim), (double)f->acs.open);
    if (ok)
        f->acs.completed++;
    else
        f->acs.failed++;
    if (f->hnb[i].gen == gen)
        hnb_fleet_session_end(f, i, ok, action);
}

static void start(Fleet *f, uint32_t i, uint8_t gen)
{
    struct AcsState *s = st(f);
    Hnb *h = &f->hnb[i];
    HnbTime now = hnb_sim_now(f->sim);
    uint32_t w = s->free_w[--s->nfree];
    Worker *wk = &s->w[w];
    f->acs.busy++;
    hnb_gauge_set(&f->acs.busy_gauge, now, (double)f->acs.busy);
    *wk = (Worker){.hnb = i, .gen = gen, .busy = 1};
    gboolean tls = !(h->flags & HNB_F_ON_GOLDEN) || f->golden_tls;
    if (!tls) { /* plain HTTP from the golden module: integrity comes from the image signature alone */
        hnb_sim_schedule(f->sim, now, s->k_hs_done, w, HNB_HS_OK);
        wk->hs.real = FALSE;
        return;
    }
    wk->resumed = f->resumption && h->tls_session != 0;
    HnbTime t = dsample(f, wk->resumed ? f->hs_resumed : f->hs_full, i);
    /* the HNB checks the H(e)MS certificate against its own clock, which may be off after a power loss */
    hnb_acs_tls_submit(f, &wk->hs, i, hnb_fleet_clock(f, i, now), now, wk->resumed);
    hnb_sim_schedule(f->sim, now + t, s->k_hs_done, w, 0);
}

static void on_hs_done(HnbSim *sim, const HnbEvent *ev, void *ud)
{
    Fleet *f = ud;
    struct AcsState *s = st(f);
    uint32_t w = ev->entity;
    Worker *wk = &s->w[w];
    uint32_t i = wk->hnb;
    Hnb *h = &f->hnb[i];
    HnbHsOutcome out = HNB_HS_OK;
    gboolean resumed = FALSE;
    if (wk->hs.real || wk->hs.sampled) {
        out = hnb_acs_tls_join(f, &wk->hs, &resumed);
        f->acs.handshakes++;
        f->acs.hs[out]++;
        if (resumed)
            f->acs.resumed++;
    }
    if (out != HNB_HS_OK) {
        uint8_t gen = wk->gen;
        if (h->gen == gen)
            hnb_fleet_tls_failed(f, i, out);
        release_worker(f, w);
        end_session(f, i, gen, FALSE, HNB_CWMP_ACS_NOTHING);
        return;
    }
    if (h->gen == wk->gen && f->resumption && (wk->hs.real || wk->hs.sampled))
        h->tls_session = 1; /* the HNB keeps the session (or ticket) for its next session */
    HnbCwmpAcsAction action = (h->flags & HNB_F_NEEDS_IMAGE) ? HNB_CWMP_ACS_DOWNLOAD : HNB_CWMP_ACS_NOTHING;
    wk->action = (uint8_t)action;
    wk->round_trips = hnb_cwmp_round_trips(h->events, action);
    HnbTime cpu = 0;
    for (unsigned r = 0; r < wk->round_trips; r++)
        cpu += dsample(f, f->cwmp_cpu, i);
    hnb_sim_schedule(sim, ev->time + cpu, f->k_acs_cpu_done, w, 0);
}

static void on_cpu_done(HnbSim *sim, const HnbEvent *ev, void *ud)
{
    Fleet *f = ud;
    Worker *wk = &st(f)->w[ev->entity];
    uint32_t i = wk->hnb;
    uint8_t gen = wk->gen, action = wk->action;
    HnbTime net = 0;
    for (unsigned r = 0; r < wk->round_trips; r++)
        net += dsample(f, f->rtt, i);
    release_worker(f, ev->entity);
    if (net == 0) {
        end_session(f, i, gen, TRUE, (HnbCwmpAcsAction)action);
        return;
    }
    hnb_sim_schedule(sim, ev->time + net, f->k_acs_session_end, i, HNB_ARG(gen, action));
}

static void on_session_end(HnbSim *sim, const HnbEvent *ev, void *ud)
{
    (void)sim;
    end_session(ud, ev->entity, HNB_ARG_GEN(ev->arg), TRUE, (HnbCwmpAcsAction)HNB_ARG_PAYLOAD(ev->arg));
}

void hnb_fleet_acs_connect(Fleet *f, uint32_t i)
{
    HnbTime now = hnb_sim_now(f->sim);
    f->acs.sessions++;
    f->acs.since_sample_sessions++;
    gboolean queue_full = f->queue_limit > 0 && (int64_t)f->acs.qlen >= f->queue_limit;
    if (f->acs.open >= f->max_sessions || (f->acs.busy >= f->workers && queue_full)) {
        f->acs.refused++;
        f->acs.since_sample_refused++;
        hnb_fleet_session_end(f, i, FALSE, HNB_CWMP_ACS_NOTHING);
        return;
    }
    f->acs.open++;
    if (f->acs.open > f->acs.open_max)
        f->acs.open_max = f->acs.open;
    hnb_gauge_set(&f->acs.open_gauge, now, (double)f->acs.open);
    if (f->acs.busy < f->workers)
        start(f, i, f->hnb[i].gen);
    else
        queue_push(f, ((uint64_t)f->hnb[i].gen << 32) | i);
}

void hnb_fleet_acs_setup(Fleet *f)
{
    struct AcsState *s = g_new0(struct AcsState, 1);
    s->w = g_new0(Worker, f->workers);
    s->free_w = g_new(uint32_t, f->workers);
    for (int64_t w = f->workers; w-- > 0;)
        s->free_w[s->nfree++] = (uint32_t)w;
    f->acs.impl = s;
    s->k_hs_done = hnb_sim_register(f->sim, "acs.handshake", on_hs_done, f);
    f->k_acs_cpu_done = hnb_sim_register(f->sim, "acs.cwmp", on_cpu_done, f);
    f->k_acs_session_end = hnb_sim_register(f->sim, "acs.session-end", on_session_end, f);
    hnb_gauge_init(&f->acs.busy_gauge, 0, 0);
    hnb_gauge_init(&f->acs.open_gauge, 0, 0);
}

void hnb_fleet_acs_free(Fleet *f)
{
    struct AcsState *s = st(f);
    if (!s)
        return;
    for (int64_t w = 0; w < f->workers; w++)
        if (s->w[w].busy && (s->w[w].hs.real || s->w[w].hs.sampled))
            hnb_acs_tls_abandon(f, &s->w[w].hs); /* the run ended with this handshake in flight */
    g_free(s->w);
    g_free(s->free_w);
    g_free(s);
    g_free(f->acs.queue);
    f->acs.impl = NULL;
}
