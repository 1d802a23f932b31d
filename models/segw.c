/* models/segw.c — the SeGW: IKEv2 set-ups, rekeys and stale tunnels on a pool of workers (see segw.h).
 *
 * Per HNB the part keeps its current tunnel (none, setting up, up) with the generation of the HNB it belongs to, and
 * how many stale tunnels it left behind (lost, not yet found dead).  Events carry the HNB's generation (set-ups,
 * rekeys, failures) or the HNB's stale epoch (dead-peer detection), so what an HNB's reboot made pointless is
 * recognised when it fires instead of being cancelled.
 *
 * With a crypto table (hnb_segw_set_crypto) a worker that takes a set-up submits its cryptographic work and joins it
 * when its modelled CPU time ends; the outcome rides in the up event's arg (above the generation) and decides there,
 * after the two exchanges' network time, whether the tunnel comes up or the HNB is told it was refused.  A refused
 * set-up frees its SA slot then (the SeGW's AUTHENTICATION_FAILED, or the HNB's delete of an SA it does not trust).
 *
 * Invariants (outside a handler): st.sas = set-ups in progress + tunnels up + stale tunnels; st.busy workers are
 * taken and the others on the free stack; the queue is non-empty only when every worker is busy (entries of HNBs
 * that rebooted while they waited are dropped at the head, without CPU).
 */
#include "models/segw.h"

enum { T_NONE, T_SETUP, T_UP };
enum { JOB_SETUP, JOB_REKEY };

typedef struct {
    uint32_t hnb;
    uint8_t gen;
    uint8_t job;
    uint8_t crypto; /* a set-up whose cryptographic work was submitted: joined at its CPU end */
} Work;

typedef struct {
    uint8_t state;       /* T_* of its current tunnel */
    uint8_t gen;         /* the HNB generation that tunnel belongs to */
    uint8_t stale;       /* stale tunnels it left behind */
    uint8_t stale_epoch; /* bumped when an INITIAL_CONTACT deletes them: older DPD events are void */
} Tunnel;

struct HnbSegw {
    HnbSim *sim;
    const HnbSegwParams *p;
    HnbStream stream;
    const HnbSegwClient *client;
    void *ctx;
    const HnbSegwCrypto *crypto; /* NULL: set-ups always succeed */
    void *crypto_ctx;
    Tunnel *t; /* per HNB */
    uint32_t n;
    Work *w;          /* per worker: what it does */
    uint32_t *free_w; /* stack of free workers */
    size_t nfree;
    Work *queue; /* FIFO, capacity a power of two */
    size_t qcap, qhead, qlen;
    uint32_t k_cpu, k_up, k_fail, k_rekey, k_dpd;
    HnbSegwStats st;
};

static HnbTime dsample(HnbSegw *s, const HnbDist *d, uint32_t i)
{
    return s->client->sample(s->ctx, i, d, s->stream);
}

static void set_sas(HnbSegw *s, int64_t sas)
{
    s->st.sas = sas;
    if (sas > s->st.sas_max)
        s->st.sas_max = sas;
    hnb_gauge_set(&s->st.sas_gauge, hnb_sim_now(s->sim), (double)sas);
}

static void set_busy(HnbSegw *s, int64_t busy)
{
    s->st.busy = busy;
    hnb_gauge_set(&s->st.busy_gauge, hnb_sim_now(s->sim), (double)busy);
}

static void queue_push(HnbSegw *s, Work w)
{
    if (s->qlen == s->qcap) {
        size_t cap = s->qcap ? s->qcap * 2 : 64;
        Work *q = g_new(Work, cap);
        for (size_t k = 0; k < s->qlen; k++)
            q[k] = s->queue[(s->qhead + k) & (s->qcap - 1)];
        g_free(s->queue);
        s->queue = q;
        s->qcap = cap;
        s->qhead = 0;
    }
    s->queue[(s->qhead + s->qlen++) & (s->qcap - 1)] = w;
}

/* Is this work still wanted: its HNB has not rebooted since (and a rekey's tunnel is still up)? */
static gboolean live(HnbSegw *s, Work w)
{
    const Tunnel *t = &s->t[w.hnb];
    return s->client->gen(s->ctx, w.hnb) == w.gen && t->gen == w.gen &&
           t->state == (w.job == JOB_SETUP ? T_SETUP : T_UP);
}

/* Worker k takes w now. */
static void start(HnbSegw *s, uint32_t k, Work w)
{
    HnbTime now = hnb_sim_now(s->sim);
    w.crypto = s->crypto && w.job == JOB_SETUP;
    if (w.crypto) /* the HNB checks the SeGW's certificate at its own clock, the SeGW the HNB's at true time */
        s->crypto->submit(s->crypto_ctx, k, w.hnb, s->client->clock ? s->client->clock(s->ctx, w.hnb, now) : now,
                          now, s->client->recovery && s->client->recovery(s->ctx, w.hnb));
    s->w[k] = w;
    HnbTime cpu = dsample(s, w.job == JOB_SETUP ? s->p->setup_cpu : s->p->rekey_cpu, w.hnb);
    s->st.cpu += cpu;
    hnb_sim_schedule(s->sim, now + cpu, s->k_cpu, k, 0);
}

static void submit(HnbSegw *s, Work w)
{
    if (s->nfree == 0) {
        queue_push(s, w);
        return;
    }
    set_busy(s, s->st.busy + 1);
    start(s, s->free_w[--s->nfree], w);
}

/* Worker k is done: it takes the next live work, or goes back to the free stack. */
static void next_work(HnbSegw *s, uint32_t k)
{
    while (s->qlen > 0) {
        Work w = s->queue[s->qhead];
        s->qhead = (s->qhead + 1) & (s->qcap - 1);
        s->qlen--;
        if (live(s, w)) {
            start(s, k, w);
            return;
        }
    }
    s->w[k].crypto = 0;
    s->free_w[s->nfree++] = k;
    set_busy(s, s->st.busy - 1);
}

static void on_cpu(HnbSim *sim, const HnbEvent *ev, void *ud)
{
    HnbSegw *s = ud;
    uint32_t k = ev->entity;
    Work w = s->w[k];
    HnbTlsReason reason = w.crypto ? s->crypto->join(s->crypto_ctx, k) : HNB_TLS_OK; /* joined even if stale */
    if (live(s, w)) {
        if (w.job == JOB_SETUP) { /* the SeGW's share is done; the two exchanges' network time remains */
            HnbTime net = dsample(s, s->p->rtt, w.hnb) + dsample(s, s->p->rtt, w.hnb);
            hnb_sim_schedule(sim, ev->time + net, s->k_up, w.hnb, w.gen | (uint64_t)reason << 8);
        } else {
            s->st.rekeys++;
            hnb_sim_schedule(sim, ev->time + s->p->lifetime, s->k_rekey, w.hnb, w.gen);
        }
    }
    next_work(s, k);
}

static void on_up(HnbSim *sim, const HnbEvent *ev, void *ud)
{
    HnbSegw *s = ud;
    uint32_t i = ev->entity;
    Tunnel *t = &s->t[i];
    uint8_t gen = (uint8_t)ev->arg;
    HnbTlsReason reason = (HnbTlsReason)(ev->arg >> 8);
    if (!live(s, (Work){.hnb = i, .gen = gen, .job = JOB_SETUP}))
        return;
    if (reason != HNB_TLS_OK) { /* refused: the half-made SA is deleted, stale tunnels stay (no INITIAL_CONTACT) */
        t->state = T_NONE;
        s->st.refused++;
        s->st.failed[reason]++;
        set_sas(s, s->st.sas - 1);
        s->client->tunnel_failed(s->ctx, i, HNB_SEGW_REFUSED, reason);
        return;
    }
    t->state = T_UP;
    s->st.up++;
    s->st.tunnels++;
    if (t->stale > 0 && s->p->initial_contact) { /* IKE_AUTH with INITIAL_CONTACT: its old SAs are deleted */
        s->st.replaced += t->stale;
        set_sas(s, s->st.sas - t->stale);
        t->stale = 0;
        t->stale_epoch++;
    }
    if (s->p->lifetime > 0)
        hnb_sim_schedule(sim, ev->time + s->p->lifetime, s->k_rekey, i, gen);
    s->client->tunnel_up(s->ctx, i);
}

static void on_fail(HnbSim *sim, const HnbEvent *ev, void *ud)
{
    HnbSegw *s = ud;
    (void)sim;
    if (s->client->gen(s->ctx, ev->entity) == (uint8_t)ev->arg)
        s->client->tunnel_failed(s->ctx, ev->entity, HNB_SEGW_DROPPED, HNB_TLS_OK);
}

static void on_rekey(HnbSim *sim, const HnbEvent *ev, void *ud)
{
    HnbSegw *s = ud;
    (void)sim;
    Work w = {.hnb = ev->entity, .gen = (uint8_t)ev->arg, .job = JOB_REKEY};
    if (live(s, w))
        submit(s, w);
}

static void on_dpd(HnbSim *sim, const HnbEvent *ev, void *ud)
{
    HnbSegw *s = ud;
    (void)sim;
    Tunnel *t = &s->t[ev->entity];
    if (t->stale == 0 || t->stale_epoch != (uint8_t)ev->arg)
        return; /* an INITIAL_CONTACT deleted it first */
    t->stale--;
    s->st.dpd_freed++;
    set_sas(s, s->st.sas - 1);
}

void hnb_segw_connect(HnbSegw *s, uint32_t i)
{
    const HnbSegwParams *p = s->p;
    Tunnel *t = &s->t[i];
    g_return_if_fail(i < s->n && t->state == T_NONE);
    uint8_t gen = s->client->gen(s->ctx, i);
    HnbTime now = hnb_sim_now(s->sim);
    s->st.setups++;
    gboolean queue_full = p->queue_limit > 0 && (int64_t)s->qlen >= p->queue_limit && s->nfree == 0;
    if (s->st.sas >= p->max_tunnels || queue_full) {
        s->st.dropped++;
        hnb_sim_schedule(s->sim, now + p->ike_timeout, s->k_fail, i, gen);
        return;
    }
    *t = (Tunnel){.state = T_SETUP, .gen = gen, .stale = t->stale, .stale_epoch = t->stale_epoch};
    set_sas(s, s->st.sas + 1);
    submit(s, (Work){.hnb = i, .gen = gen, .job = JOB_SETUP});
}

void hnb_segw_lost(HnbSegw *s, uint32_t i)
{
    g_return_if_fail(i < s->n);
    Tunnel *t = &s->t[i];
    if (t->state == T_SETUP) { /* the SeGW drops the half-made SA: its slot is free, its queued work is skipped */
        s->st.stale_setups++;
        set_sas(s, s->st.sas - 1);
    } else if (t->state == T_UP) { /* nobody tells the SeGW: the SA stays until DPD finds the peer dead */
        s->st.tunnels--;
        t->stale++;
        hnb_sim_schedule(s->sim, hnb_sim_now(s->sim) + s->p->dpd_timeout, s->k_dpd, i, t->stale_epoch);
    }
    t->state = T_NONE;
}

void hnb_segw_established(HnbSegw *s, uint32_t i, HnbTime first_rekey)
{
    g_return_if_fail(i < s->n && s->t[i].state == T_NONE);
    uint8_t gen = s->client->gen(s->ctx, i);
    s->t[i] = (Tunnel){.state = T_UP, .gen = gen};
    s->st.tunnels++;
    set_sas(s, s->st.sas + 1);
    if (s->p->lifetime > 0)
        hnb_sim_schedule(s->sim, first_rekey, s->k_rekey, i, gen);
}

void hnb_segw_set_crypto(HnbSegw *s, const HnbSegwCrypto *crypto, void *ctx)
{
    s->crypto = crypto;
    s->crypto_ctx = ctx;
}

gboolean hnb_segw_has_tunnel(const HnbSegw *s, uint32_t i)
{
    return s->t[i].state == T_UP;
}

HnbSegw *hnb_segw_new(HnbSim *sim, const HnbSegwParams *p, uint32_t hnbs, HnbStream stream,
                      const HnbSegwClient *client, void *ctx)
{
    g_return_val_if_fail(sim && p && client && p->workers >= 1 && p->max_tunnels >= 1, NULL);
    HnbSegw *s = g_new0(HnbSegw, 1);
    *s = (HnbSegw){.sim = sim, .p = p, .stream = stream, .client = client, .ctx = ctx, .n = hnbs};
    s->t = g_new0(Tunnel, hnbs ? hnbs : 1);
    s->w = g_new0(Work, p->workers);
    s->free_w = g_new(uint32_t, p->workers);
    for (int64_t k = p->workers; k > 0; k--) /* worker 0 on top: taken first */
        s->free_w[s->nfree++] = (uint32_t)(k - 1);
    s->k_cpu = hnb_sim_register(sim, "segw.cpu", on_cpu, s);
    s->k_up = hnb_sim_register(sim, "segw.up", on_up, s);
    s->k_fail = hnb_sim_register(sim, "segw.fail", on_fail, s);
    s->k_rekey = hnb_sim_register(sim, "segw.rekey", on_rekey, s);
    s->k_dpd = hnb_sim_register(sim, "segw.dpd", on_dpd, s);
    hnb_gauge_init(&s->st.busy_gauge, 0, 0);
    hnb_gauge_init(&s->st.sas_gauge, 0, 0);
    return s;
}

void hnb_segw_free(HnbSegw *s)
{
    if (!s)
        return;
    for (int64_t k = 0; k < s->p->workers; k++)
        if (s->w[k].crypto) /* the run ended with this set-up on a worker */
            s->crypto->abandon(s->crypto_ctx, (uint32_t)k);
    g_free(s->queue);
    g_free(s->free_w);
    g_free(s->w);
    g_free(s->t);
    g_free(s);
}

const HnbSegwStats *hnb_segw_stats(const HnbSegw *s)
{
    return &s->st;
}
