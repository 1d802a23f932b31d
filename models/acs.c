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
 *
 * Invariants (outside a handler): st.busy workers are taken and the others are on the free stack; st.open =
 * st.busy + queued entries + sessions in their network time; the queue is non-empty only when every worker is busy
 * (stale entries, of HNBs that rebooted while they waited, are dropped when they reach the head).  The HNB side is
 * reached only through the client table.
 */
#include "models/acs.h"

typedef struct {
    uint32_t hnb;
    uint8_t gen;
    uint8_t action;
    uint8_t busy; /* the slot is taken */
    uint8_t resumed;
    unsigned round_trips;
    HnbAcsHandshake hs;
} Worker;

struct HnbAcs {
    HnbSim *sim;
    const HnbAcsParams *p;
    HnbAcsTls *tls;
    HnbStream stream; /* "acs.service", counted per HNB */
    const HnbAcsClient *client;
    void *ctx;

    Worker *w;
    uint32_t *free_w; /* stack of free worker indices */
    size_t nfree;
    uint64_t *queue;  /* FIFO of HNB ids with their generation, capacity a power of two */
    size_t qcap, qhead, qlen;
    uint32_t k_hs_done, k_cpu_done, k_session_end;

    HnbAcsStats st;
    HnbWindow *observer; /* hnb_acs_observe: (opened, refused) events, or NULL */
};

static HnbTime dsample(HnbAcs *acs, const HnbDist *d, uint32_t i)
{
    return acs->client->sample(acs->ctx, i, d, acs->stream);
}

static uint8_t gen_of(HnbAcs *acs, uint32_t i)
{
    return acs->client->peer(acs->ctx, i).gen;
}

static void queue_push(HnbAcs *acs, uint64_t v)
{
    if (acs->qlen == acs->qcap) {
        size_t cap = acs->qcap ? acs->qcap * 2 : 1024;
        uint64_t *q = g_new(uint64_t, cap);
        for (size_t k = 0; k < acs->qlen; k++)
            q[k] = acs->queue[(acs->qhead + k) & (acs->qcap - 1)];
        g_free(acs->queue);
        acs->queue = q;
        acs->qcap = cap;
        acs->qhead = 0;
    }
    acs->queue[(acs->qhead + acs->qlen++) & (acs->qcap - 1)] = v;
}

static uint64_t queue_pop(HnbAcs *acs)
{
    uint64_t v = acs->queue[acs->qhead];
    acs->qhead = (acs->qhead + 1) & (acs->qcap - 1);
    acs->qlen--;
    return v;
}

static void set_open(HnbAcs *acs, int64_t open)
{
    acs->st.open = open;
    hnb_gauge_set(&acs->st.open_gauge, hnb_sim_now(acs->sim), (double)open);
}

static void start(HnbAcs *acs, uint32_t i, uint8_t gen);

/* A worker is free: take the next waiting session whose HNB still waits for it. */
static void release_worker(HnbAcs *acs, uint32_t w)
{
    acs->w[w].busy = 0;
    acs->free_w[acs->nfree++] = w;
    acs->st.busy--;
    while (acs->qlen > 0) {
        uint64_t v = queue_pop(acs);
        uint32_t i = (uint32_t)v;
        uint8_t gen = (uint8_t)(v >> 32);
        if (gen_of(acs, i) == gen) {
            start(acs, i, gen);
            break;
        }
        set_open(acs, acs->st.open - 1); /* the HNB rebooted while it waited: its connection is gone */
    }
    hnb_gauge_set(&acs->st.busy_gauge, hnb_sim_now(acs->sim), (double)acs->st.busy);
}

static void end_session(HnbAcs *acs, uint32_t i, uint8_t gen, gboolean ok, HnbCwmpAcsAction action)
{
    set_open(acs, acs->st.open - 1);
    if (ok)
        acs->st.completed++;
    else
        acs->st.failed++;
    if (gen_of(acs, i) == gen)
        acs->client->session_end(acs->ctx, i, ok, action);
}

/* A worker takes HNB i's session: its handshake starts (or, in plain HTTP, the CWMP exchange at once). */
static void start(HnbAcs *acs, uint32_t i, uint8_t gen)
{
    HnbTime now = hnb_sim_now(acs->sim);
    HnbAcsPeer peer = acs->client->peer(acs->ctx, i);
    uint32_t w = acs->free_w[--acs->nfree];
    Worker *wk = &acs->w[w];
    acs->st.busy++;
    hnb_gauge_set(&acs->st.busy_gauge, now, (double)acs->st.busy);
    *wk = (Worker){.hnb = i, .gen = gen, .busy = 1};
    if (peer.plain_http) { /* integrity comes from the image signature alone */
        hnb_sim_schedule(acs->sim, now, acs->k_hs_done, w, HNB_HS_OK);
        wk->hs.real = FALSE;
        return;
    }
    wk->resumed = acs->p->resumption && peer.has_session;
    HnbTime t = dsample(acs, wk->resumed ? acs->p->hs_resumed : acs->p->hs_full, i);
    /* the HNB checks the H(e)MS certificate against its own clock, which may be off after a power loss */
    hnb_acs_tls_submit(acs->tls, &wk->hs, i, acs->client->clock(acs->ctx, i, now), now, wk->resumed);
    if (wk->hs.real)
        acs->st.real_handshakes++;
    hnb_sim_schedule(acs->sim, now + t, acs->k_hs_done, w, 0);
}

static void on_hs_done(HnbSim *sim, const HnbEvent *ev, void *ud)
{
    HnbAcs *acs = ud;
    uint32_t w = ev->entity;
    Worker *wk = &acs->w[w];
    uint32_t i = wk->hnb;
    gboolean tls = wk->hs.real || wk->hs.sampled;
    HnbHsOutcome out = HNB_HS_OK;
    gboolean resumed = FALSE;
    if (tls) {
        out = hnb_acs_tls_join(acs->tls, &wk->hs, &resumed);
        acs->st.handshakes++;
        acs->st.hs[out]++;
        if (resumed)
            acs->st.resumed++;
    }
    gboolean live = gen_of(acs, i) == wk->gen;
    if (out != HNB_HS_OK) {
        uint8_t gen = wk->gen;
        if (live)
            acs->client->tls_failed(acs->ctx, i, out);
        release_worker(acs, w);
        end_session(acs, i, gen, FALSE, HNB_CWMP_ACS_NOTHING);
        return;
    }
    if (live && acs->p->resumption && tls)
        acs->client->tls_kept(acs->ctx, i); /* the HNB keeps the session (or ticket) for its next session */
    /* read even for a stale session: its draws still count on the HNB's counter */
    HnbAcsPeer peer = acs->client->peer(acs->ctx, i);
    HnbCwmpAcsAction action = peer.needs_image ? HNB_CWMP_ACS_DOWNLOAD : HNB_CWMP_ACS_NOTHING;
    wk->action = (uint8_t)action;
    wk->round_trips = hnb_cwmp_round_trips(peer.events, action);
    HnbTime cpu = 0;
    for (unsigned r = 0; r < wk->round_trips; r++)
        cpu += dsample(acs, acs->p->cwmp_cpu, i);
    hnb_sim_schedule(sim, ev->time + cpu, acs->k_cpu_done, w, 0);
}

static void on_cpu_done(HnbSim *sim, const HnbEvent *ev, void *ud)
{
    HnbAcs *acs = ud;
    Worker *wk = &acs->w[ev->entity];
    uint32_t i = wk->hnb;
    uint8_t gen = wk->gen, action = wk->action;
    HnbTime net = 0;
    for (unsigned r = 0; r < wk->round_trips; r++)
        net += dsample(acs, acs->p->rtt, i);
    release_worker(acs, ev->entity);
    if (net == 0) {
        end_session(acs, i, gen, TRUE, (HnbCwmpAcsAction)action);
        return;
    }
    hnb_sim_schedule(sim, ev->time + net, acs->k_session_end, i, HNB_ARG(gen, action));
}

static void on_session_end(HnbSim *sim, const HnbEvent *ev, void *ud)
{
    (void)sim;
    end_session(ud, ev->entity, HNB_ARG_GEN(ev->arg), TRUE, (HnbCwmpAcsAction)HNB_ARG_PAYLOAD(ev->arg));
}

void hnb_acs_connect(HnbAcs *acs, uint32_t i)
{
    const HnbAcsParams *p = acs->p;
    acs->st.sessions++;
    if (acs->observer)
        hnb_window_add(acs->observer, hnb_sim_now(acs->sim), 1, 0);
    gboolean queue_full = p->queue_limit > 0 && (int64_t)acs->qlen >= p->queue_limit;
    if (acs->st.open >= p->max_sessions || (acs->st.busy >= p->workers && queue_full)) {
        acs->st.refused++;
        if (acs->observer)
            hnb_window_add(acs->observer, hnb_sim_now(acs->sim), 0, 1);
        acs->client->session_end(acs->ctx, i, FALSE, HNB_CWMP_ACS_NOTHING);
        return;
    }
    set_open(acs, acs->st.open + 1);
    if (acs->st.open > acs->st.open_max)
        acs->st.open_max = acs->st.open;
    uint8_t gen = gen_of(acs, i);
    if (acs->st.busy < p->workers)
        start(acs, i, gen);
    else
        queue_push(acs, ((uint64_t)gen << 32) | i);
}

HnbAcs *hnb_acs_new(HnbSim *sim, const HnbAcsParams *p, HnbAcsTls *tls, HnbStream stream,
                    const HnbAcsClient *client, void *ctx)
{
    g_return_val_if_fail(sim != NULL && p != NULL && p->workers > 0 && client != NULL, NULL);
    HnbAcs *acs = g_new0(HnbAcs, 1);
    *acs = (HnbAcs){.sim = sim, .p = p, .tls = tls, .stream = stream, .client = client, .ctx = ctx};
    acs->w = g_new0(Worker, p->workers);
    acs->free_w = g_new(uint32_t, p->workers);
    for (int64_t w = p->workers; w-- > 0;)
        acs->free_w[acs->nfree++] = (uint32_t)w;
    acs->k_hs_done = hnb_sim_register(sim, "acs.handshake", on_hs_done, acs);
    acs->k_cpu_done = hnb_sim_register(sim, "acs.cwmp", on_cpu_done, acs);
    acs->k_session_end = hnb_sim_register(sim, "acs.session-end", on_session_end, acs);
    hnb_gauge_init(&acs->st.busy_gauge, 0, 0);
    hnb_gauge_init(&acs->st.open_gauge, 0, 0);
    return acs;
}

void hnb_acs_free(HnbAcs *acs)
{
    if (!acs)
        return;
    for (int64_t w = 0; w < acs->p->workers; w++)
        if (acs->w[w].busy && (acs->w[w].hs.real || acs->w[w].hs.sampled))
            hnb_acs_tls_abandon(acs->tls, &acs->w[w].hs); /* the run ended with this handshake in flight */
    g_free(acs->w);
    g_free(acs->free_w);
    g_free(acs->queue);
    g_free(acs);
}

const HnbAcsStats *hnb_acs_stats(const HnbAcs *acs)
{
    return &acs->st;
}

void hnb_acs_observe(HnbAcs *acs, HnbWindow *w)
{
    acs->observer = w;
}
