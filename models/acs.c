/* models/acs.c — the H(e)MS/ACS: admission, TLS workers, CWMP sessions, and what overload costs.
 *
 * A session holds one of `max_sessions` slots: with `[acs] max_sessions_at = connect` a connection slot from admission
 * to its end; with `inform` a session slot from its Inform's arrival to its last response (below).  Its CPU work — the
 * TLS handshake, then the CWMP processing of each round trip — needs one of `workers` workers, FIFO.  The network time
 * of the round trips holds the connection but not a worker.
 *
 * max_sessions_at = inform (hnbsim acs's count, TR-069 Am.6 3.7.1: a session begins with the Inform).  Every connection
 * is admitted and handshaken; the session's timeline after its CPU is laid out from its draws: with handshake end h,
 * CPU end c, round-trip draws r1..rn and net = handshake_rtt + Σr, the Inform arrives at max(c, h + handshake_rtt +
 * r1/2) (half a round trip is the request's flight), the last response leaves at c + net − rn/2, and the HNB has it
 * at c + net (the session's end, as with `connect`).  The Inform takes a slot or, all taken, is refused: the 8005
 * reaches the HNB r1/2 later.  The CPU of every round trip is still done right after the handshake (a session's
 * exchanges cost ~0.1 ms against seconds of network time), so a refused Inform's session has spent it: refusal_cpu
 * counts it.  A record per session between its CPU end and its end (`Pending`) carries this timeline.
 *
 * request_cpu = queued (an event-loop server such as hnbsim acs answers each request as it arrives): the worker is
 * let go after the handshake and the session's record is made then, with every draw up front.  Request k arrives at
 * h + handshake_rtt + r1/2 (k = 1: the Inform, admitted there with `inform`) or at the previous request's CPU end +
 * r(k-1)/2 + rk/2, and takes a free worker or queues FIFO behind whatever waits (such a queue entry never expires:
 * its HNB has had its ServerHello); after the last request's CPU the response leaves (the slot is free) and reaches
 * the HNB rn/2 later.  Without any queueing its end is the same as with `with_handshake`.
 *
 * A session arriving when all slots are taken, or when the worker queue is full, is refused as `[acs] overload` says
 * (acs.h): after a TLS handshake done by a worker (queued FIFO behind the admitted sessions, as the CPU is shared) and
 * a 503, or by dropped SYNs that its TCP retransmits, each of them a new chance to be admitted, until its connect
 * times out.  The HNB gives up on a session no worker has taken `session_timeout` after it connected (it has had no
 * ServerHello, or in plain HTTP no response): such a session leaves the queue at that moment and costs nothing; one a
 * worker has taken always sees the HNB's next message at once (a step lasts milliseconds), so it is never abandoned
 * half-served.  All entries wait the same timeout, so they expire in queue order: one pending event, for the head.
 *
 * Every TLS handshake is a real OpenSSL handshake run in the worker pool (acs_tls.c): submitted when a worker takes
 * the session, joined at the event `now + modelled handshake time`.  A failed handshake ends there; a good one goes on
 * to the CWMP exchange, or to the 503 of a refused one.  The modelled times never depend on how long the real
 * handshake took on this machine.
 *
 * Invariants (outside a handler): st.busy workers are taken and the others are on the free stack; st.open +
 * st.refusing = st.busy + queued entries + sessions in their network time + sessions retransmitting SYNs; the queue
 * is non-empty only when every worker is busy (stale entries, of HNBs that rebooted while they waited, are dropped
 * when they reach the head or expire); `queued` counts the admitted entries of the queue (queue_limit bounds them);
 * an expiry event is pending whenever the queue is non-empty and session_timeout > 0.  The HNB side is reached only
 * through the client table.
 */
#include "models/acs.h"

#include <string.h>

typedef struct {
    uint32_t hnb;
    uint8_t gen;
    uint8_t action;
    uint8_t busy; /* the slot is taken */
    uint8_t resumed;
    uint8_t reject; /* a refused session: its handshake, then a 503 */
    uint8_t plain;  /* plain HTTP: no handshake, no handshake_rtt */
    unsigned round_trips;
    const HnbDist *trip_cpu; /* the CPU per round trip of this session's kind (HnbAcsParams.cwmp_cpu*) */
    HnbTime t0, admitted, hs_done, cpu1; /* the session's connect(), admission, handshake end; first round trip's CPU */
    HnbTime cpu;                         /* worker time drawn so far: handshake, then the round trips */
    HnbAcsHandshake hs;
} Worker;

/* A session past its handshake whose worker has let it go: with max_sessions_at = inform after its CPU, on its way
 * through the Inform's admission; with request_cpu = queued from its handshake on, request by request (file
 * comment). */
typedef enum { P_INFORM, P_SLOT_END, P_END, P_REFUSED, P_REQ_ARRIVE, P_REQ_DONE } PendingStep;
#define MAX_TRIPS 4 /* hnb_cwmp_round_trips' most: Inform, TransferComplete, empty POST, the RPC's response */
typedef struct {
    Worker wk;                      /* the session as its worker left it (hs joined: never abandoned) */
    HnbTime slot_end, end, rtt1;    /* its last response leaves; the HNB has it; the first round trip */
    uint8_t step;                   /* PendingStep: what its next event does */
    uint8_t trip;                   /* request_cpu = queued: the round trip under way */
    uint8_t in_slot;                /* it holds an Inform slot (max_sessions_at = inform) */
    uint32_t w;                     /* request_cpu = queued: the worker doing its request's CPU */
    HnbTime cpu[MAX_TRIPS], rtt[MAX_TRIPS]; /* request_cpu = queued: its draws */
} Pending;

typedef struct {
    HnbTime since; /* when the HNB connected: it gives up at since + session_timeout */
    HnbTime t0;    /* its first SYN (since, less the retransmissions) */
    uint32_t hnb;
    uint8_t gen;
    uint8_t reject;
    uint32_t pend; /* request_cpu = queued: a request of Pending pend - 1 (0: a new session's handshake) */
} Waiting;

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
    Waiting *queue;   /* FIFO, capacity a power of two */
    size_t qcap, qhead, qlen;
    int64_t queued;   /* admitted (not refused) entries of the queue */
    gboolean expiry_pending;
    uint32_t k_hs_done, k_cpu_done, k_session_end, k_syn, k_expire, k_inform;
    Pending *pend;      /* max_sessions_at = inform or request_cpu = queued: records by index (the event's entity) */
    uint32_t *free_p;   /* stack of free record indices */
    size_t nfree_p, pcap; /* free records (on the stack); capacity of both arrays */

    HnbAcsStats st;
    HnbWindow *observer; /* hnb_acs_observe: (opened, refused) events, or NULL */
    GArray *ending;      /* p->row_latency: of Ending, the tallied sessions not yet taken by hnb_acs_row_latency */
};

/* A tallied session's row latencies, kept until a row at or after its end takes them (at most the sessions in their
 * network time and those ended since the last row). */
typedef struct {
    HnbTime end;
    double session, handshake;
} Ending;

HnbAcsOverload hnb_acs_overload_parse(const char *text)
{
    return strcmp(text, "drop_syn") == 0 ? HNB_ACS_DROP_SYN : HNB_ACS_REJECT_AFTER_HANDSHAKE;
}

HnbAcsRequestCpu hnb_acs_request_cpu_parse(const char *text)
{
    return strcmp(text, "queued") == 0 ? HNB_ACS_REQUESTS_QUEUED : HNB_ACS_REQUESTS_WITH_HANDSHAKE;
}

HnbAcsLimitAt hnb_acs_limit_at_parse(const char *text)
{
    return strcmp(text, "inform") == 0 ? HNB_ACS_LIMIT_AT_INFORM : HNB_ACS_LIMIT_AT_CONNECT;
}

static HnbTime dsample(HnbAcs *acs, const HnbDist *d, uint32_t i)
{
    return acs->client->sample(acs->ctx, i, d, acs->stream);
}

/* The CPU per round trip of a session of this kind: a Download's, else a TransferComplete's, else the plain one's
 * (each falling back to cwmp_cpu).  The draws per round trip are the same whatever the kind, so the stream and every
 * other draw stay where they were. */
static const HnbDist *trip_cpu(const HnbAcsParams *p, unsigned events, HnbCwmpAcsAction action)
{
    if (action == HNB_CWMP_ACS_DOWNLOAD && p->cwmp_cpu_download)
        return p->cwmp_cpu_download;
    if ((events & HNB_CWMP_EV_TRANSFER_COMPLETE) && p->cwmp_cpu_transfer)
        return p->cwmp_cpu_transfer;
    return p->cwmp_cpu;
}

static uint8_t gen_of(HnbAcs *acs, uint32_t i)
{
    return acs->client->peer(acs->ctx, i).gen;
}

static void queue_push(HnbAcs *acs, Waiting v)
{
    if (acs->qlen == acs->qcap) {
        size_t cap = acs->qcap ? acs->qcap * 2 : 1024;
        Waiting *q = g_new(Waiting, cap);
        for (size_t k = 0; k < acs->qlen; k++)
            q[k] = acs->queue[(acs->qhead + k) & (acs->qcap - 1)];
        g_free(acs->queue);
        acs->queue = q;
        acs->qcap = cap;
        acs->qhead = 0;
    }
    acs->queue[(acs->qhead + acs->qlen++) & (acs->qcap - 1)] = v;
    acs->queued += !v.reject;
}

static Waiting queue_pop(HnbAcs *acs)
{
    Waiting v = acs->queue[acs->qhead];
    acs->qhead = (acs->qhead + 1) & (acs->qcap - 1);
    acs->qlen--;
    acs->queued -= !v.reject;
    return v;
}

static void set_open(HnbAcs *acs, int64_t open)
{
    acs->st.open = open;
    hnb_gauge_set(&acs->st.open_gauge, hnb_sim_now(acs->sim), (double)open);
}

/* A session leaves without a worker (abandoned): its slot, or its place among the refusing, is free. */
static void forget(HnbAcs *acs, gboolean reject)
{
    acs->st.abandoned++;
    if (reject)
        acs->st.refusing--;
    else
        set_open(acs, acs->st.open - 1);
}

/* The queue head's HNB gives up at since + session_timeout; one event at a time, for the head (see the file comment). */
static void arm_expiry(HnbAcs *acs)
{
    if (acs->p->session_timeout <= 0 || acs->expiry_pending || acs->qlen == 0 || acs->queue[acs->qhead].pend)
        return; /* a request waiting for a worker is never given up on: the HNB has its ServerHello */
    acs->expiry_pending = TRUE;
    hnb_sim_schedule(acs->sim, acs->queue[acs->qhead].since + acs->p->session_timeout, acs->k_expire, 0, 0);
}

static void on_expire(HnbSim *sim, const HnbEvent *ev, void *ud)
{
    HnbAcs *acs = ud;
    (void)sim;
    acs->expiry_pending = FALSE;
    while (acs->qlen > 0 && !acs->queue[acs->qhead].pend &&
           acs->queue[acs->qhead].since + acs->p->session_timeout <= ev->time) {
        Waiting v = queue_pop(acs);
        forget(acs, v.reject);
        if (gen_of(acs, v.hnb) == v.gen) /* the HNB closes the connection and backs off */
            acs->client->session_end(acs->ctx, v.hnb, FALSE, HNB_CWMP_ACS_NOTHING);
    }
    arm_expiry(acs);
}

static void start(HnbAcs *acs, uint32_t i, uint8_t gen, gboolean reject, HnbTime t0, HnbTime admitted);
static void req_start(HnbAcs *acs, uint32_t k);

/* A worker is free: take the next waiting session whose HNB still waits for it. */
static void release_worker(HnbAcs *acs, uint32_t w)
{
    acs->w[w].busy = 0;
    acs->free_w[acs->nfree++] = w;
    acs->st.busy--;
    while (acs->qlen > 0) {
        Waiting v = queue_pop(acs);
        if (v.pend) { /* a request of a session past its handshake: served whatever the HNB's generation */
            req_start(acs, v.pend - 1);
            break;
        }
        if (gen_of(acs, v.hnb) == v.gen) {
            start(acs, v.hnb, v.gen, v.reject, v.t0, v.since);
            break;
        }
        forget(acs, v.reject); /* the HNB rebooted while it waited: its connection is gone */
    }
    if (acs->p->request_cpu == HNB_ACS_REQUESTS_QUEUED)
        arm_expiry(acs); /* the head may now be a handshake behind a request that never expires */
    hnb_gauge_set(&acs->st.busy_gauge, hnb_sim_now(acs->sim), (double)acs->st.busy);
}

/* A worker takes the session now, or it waits in the queue. */
static void take_worker(HnbAcs *acs, uint32_t i, uint8_t gen, gboolean reject, HnbTime t0)
{
    HnbTime now = hnb_sim_now(acs->sim);
    if (acs->st.busy < acs->p->workers) {
        start(acs, i, gen, reject, t0, now);
        return;
    }
    queue_push(acs, (Waiting){.since = now, .t0 = t0, .hnb = i, .gen = gen, .reject = (uint8_t)reject});
    arm_expiry(acs);
}

static void end_session(HnbAcs *acs, uint32_t i, uint8_t gen, gboolean ok, HnbCwmpAcsAction action,
                        gboolean reject)
{
    if (reject)
        acs->st.refusing--;
    else
        set_open(acs, acs->st.open - 1);
    if (ok)
        acs->st.completed++;
    else
        acs->st.failed++;
    if (gen_of(acs, i) == gen)
        acs->client->session_end(acs->ctx, i, ok, action);
}

/* The handshake of a refused session is done: the 503 goes out (its few bytes cost no modelled CPU). */
static void refuse_after_handshake(HnbAcs *acs, uint32_t i, uint8_t gen)
{
    acs->st.refusing--;
    acs->st.refused++;
    if (acs->observer)
        hnb_window_add(acs->observer, hnb_sim_now(acs->sim), 0, 1);
    acs->st.refused_hs++;
    if (gen_of(acs, i) == gen)
        acs->client->session_end(acs->ctx, i, FALSE, HNB_CWMP_ACS_NOTHING);
}

/* A worker takes HNB i's session: its handshake starts (or, in plain HTTP, the CWMP exchange at once). */
static void start(HnbAcs *acs, uint32_t i, uint8_t gen, gboolean reject, HnbTime t0, HnbTime admitted)
{
    HnbTime now = hnb_sim_now(acs->sim);
    HnbAcsPeer peer = acs->client->peer(acs->ctx, i);
    uint32_t w = acs->free_w[--acs->nfree];
    Worker *wk = &acs->w[w];
    acs->st.busy++;
    hnb_gauge_set(&acs->st.busy_gauge, now, (double)acs->st.busy);
    *wk = (Worker){.hnb = i, .gen = gen, .busy = 1, .reject = (uint8_t)reject, .t0 = t0, .admitted = admitted};
    if (peer.plain_http) { /* integrity comes from the image signature alone */
        hnb_sim_schedule(acs->sim, now, acs->k_hs_done, w, HNB_HS_OK);
        wk->hs.real = FALSE;
        wk->plain = 1;
        return;
    }
    wk->resumed = acs->p->resumption && peer.has_session;
    HnbTime t = dsample(acs, wk->resumed ? acs->p->hs_resumed : acs->p->hs_full, i);
    wk->cpu = t;
    if (reject)
        acs->st.refusal_cpu += t;
    /* the HNB checks the H(e)MS certificate against its own clock, which may be off after a power loss */
    hnb_acs_tls_submit(acs->tls, &wk->hs, i, acs->client->clock(acs->ctx, i, now), now, wk->resumed, peer.recovery);
    if (wk->hs.real)
        acs->st.real_handshakes++;
    hnb_sim_schedule(acs->sim, now + t, acs->k_hs_done, w, 0);
}

static uint32_t pending_new(HnbAcs *acs, const Worker *wk, HnbTime slot_end, HnbTime end, HnbTime rtt1);

/* request_cpu = queued: the session's draws (each round trip's CPU, then its network time: every draw up front, so
 * the HNB's counter does not depend on the queue), its record, and its first request on the way. */
static void req_begin(HnbAcs *acs, const Worker *wk)
{
    uint32_t k = pending_new(acs, wk, 0, 0, 0);
    Pending *pd = &acs->pend[k]; /* stable: drawing makes no record */
    unsigned n = pd->wk.round_trips = MIN(wk->round_trips, MAX_TRIPS);
    for (unsigned r = 0; r < n; r++)
        pd->cpu[r] = dsample(acs, wk->trip_cpu, wk->hnb);
    for (unsigned r = 0; r < n; r++)
        pd->rtt[r] = dsample(acs, acs->p->rtt, wk->hnb);
    pd->rtt1 = pd->rtt[0];
    pd->step = P_REQ_ARRIVE;
    HnbTime hrtt = wk->plain ? 0 : acs->p->handshake_rtt;
    hnb_sim_schedule(acs->sim, wk->hs_done + hrtt + pd->rtt1 / 2, acs->k_inform, k, 0);
}

/* A free worker takes record k's current request: its CPU, then P_REQ_DONE. */
static void req_start(HnbAcs *acs, uint32_t k)
{
    uint32_t w = acs->free_w[--acs->nfree];
    Pending *pd = &acs->pend[k];
    acs->st.busy++;
    hnb_gauge_set(&acs->st.busy_gauge, hnb_sim_now(acs->sim), (double)acs->st.busy);
    acs->w[w] = (Worker){.hnb = pd->wk.hnb, .gen = pd->wk.gen, .busy = 1}; /* no handshake: nothing to abandon */
    pd->w = w;
    pd->step = P_REQ_DONE;
    hnb_sim_schedule(acs->sim, hnb_sim_now(acs->sim) + pd->cpu[pd->trip], acs->k_inform, k, 0);
}

/* Record k's current request has arrived: a worker now, or the queue (FIFO with the handshakes waiting). */
static void req_arrive(HnbAcs *acs, uint32_t k)
{
    if (acs->st.busy < acs->p->workers) {
        req_start(acs, k);
        return;
    }
    const Pending *pd = &acs->pend[k];
    queue_push(acs, (Waiting){.since = hnb_sim_now(acs->sim), .t0 = pd->wk.t0, .hnb = pd->wk.hnb,
                              .gen = pd->wk.gen, .pend = k + 1});
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
    uint8_t gen = wk->gen;
    gboolean reject = wk->reject;
    if (out != HNB_HS_OK) {
        if (live)
            acs->client->tls_failed(acs->ctx, i, out);
        release_worker(acs, w);
        end_session(acs, i, gen, FALSE, HNB_CWMP_ACS_NOTHING, reject);
        return;
    }
    if (live && acs->p->resumption && tls)
        acs->client->tls_kept(acs->ctx, i); /* the HNB keeps the session (or ticket) for its next session */
    if (reject) {
        release_worker(acs, w);
        refuse_after_handshake(acs, i, gen);
        return;
    }
    /* read even for a stale session: its draws still count on the HNB's counter */
    HnbAcsPeer peer = acs->client->peer(acs->ctx, i);
    HnbCwmpAcsAction action = peer.needs_image ? HNB_CWMP_ACS_DOWNLOAD : HNB_CWMP_ACS_NOTHING;
    wk->action = (uint8_t)action;
    wk->round_trips = hnb_cwmp_round_trips(peer.events, action);
    wk->trip_cpu = trip_cpu(acs->p, peer.events, action);
    wk->hs_done = ev->time;
    if (acs->p->request_cpu == HNB_ACS_REQUESTS_QUEUED) {
        req_begin(acs, wk);
        release_worker(acs, w);
        return;
    }
    HnbTime cpu = 0;
    for (unsigned r = 0; r < wk->round_trips; r++) {
        HnbTime c = dsample(acs, wk->trip_cpu, i);
        wk->cpu1 = r == 0 ? c : wk->cpu1;
        cpu += c;
    }
    wk->cpu += cpu;
    hnb_sim_schedule(sim, ev->time + cpu, acs->k_cpu_done, w, 0);
}

/* The latencies of a session ending at `end` (acs.h HnbAcsLatency), if that is within the run. */
static void tally(HnbAcs *acs, const Worker *wk, HnbTime end, HnbTime rtt1)
{
    if (end > acs->p->horizon)
        return;
    HnbAcsLatency *l = &acs->st.lat;
    HnbTime hs = wk->hs_done + (wk->plain ? 0 : acs->p->handshake_rtt);
    hnb_tally_add(&l->connect, hnb_time_to_sec(wk->admitted - wk->t0));
    hnb_tally_add(&l->handshake, hnb_time_to_sec(hs - wk->t0));
    hnb_tally_add(&l->first_response, hnb_time_to_sec(hs + wk->cpu1 + rtt1 - wk->t0));
    hnb_tally_add(&l->session, hnb_time_to_sec(end - wk->t0));
    if (acs->ending) {
        Ending e = {end, hnb_time_to_sec(end - wk->t0), hnb_time_to_sec(hs - wk->t0)};
        g_array_append_val(acs->ending, e);
    }
}

void hnb_acs_row_latency(HnbAcs *acs, HnbTime now, HnbAcsRowLatency *out)
{
    g_return_if_fail(acs->ending);
    for (guint k = 0; k < acs->ending->len;) {
        const Ending *e = &g_array_index(acs->ending, Ending, k);
        if (e->end > now) {
            k++;
            continue;
        }
        hnb_tally_add(&out->session, e->session);
        hnb_tally_add(&out->handshake, e->handshake);
        g_array_remove_index_fast(acs->ending, k); /* the order of the adds changes no quantile (stats.h) */
    }
}

static uint32_t pending_new(HnbAcs *acs, const Worker *wk, HnbTime slot_end, HnbTime end, HnbTime rtt1)
{
    if (acs->nfree_p == 0) { /* every record in use: grow; the new indices go on the free stack */
        size_t cap = acs->pcap ? acs->pcap * 2 : 64;
        acs->pend = g_renew(Pending, acs->pend, cap);
        acs->free_p = g_renew(uint32_t, acs->free_p, cap);
        for (size_t k = cap; k-- > acs->pcap;)
            acs->free_p[acs->nfree_p++] = (uint32_t)k;
        acs->pcap = cap;
    }
    uint32_t k = acs->free_p[--acs->nfree_p];
    acs->pend[k] = (Pending){.wk = *wk, .slot_end = slot_end, .end = end, .rtt1 = rtt1, .step = P_INFORM};
    return k;
}

static void pending_free(HnbAcs *acs, uint32_t k)
{
    acs->free_p[acs->nfree_p++] = k;
}

/* max_sessions_at = inform: record k's Inform has arrived: TRUE with a slot taken, FALSE refused (8005, which reaches
 * the HNB half a round trip later). */
static gboolean inform_admit(HnbAcs *acs, uint32_t k, HnbTime now)
{
    Pending *pd = &acs->pend[k];
    if (acs->st.in_session >= acs->p->max_sessions) {
        set_open(acs, acs->st.open - 1); /* the server closes after its 503 */
        acs->st.refused++;
        acs->st.refused_hs++;
        acs->st.refusal_cpu += pd->wk.cpu;
        if (acs->observer)
            hnb_window_add(acs->observer, now, 0, 1);
        pd->step = P_REFUSED;
        hnb_sim_schedule(acs->sim, now + pd->rtt1 / 2, acs->k_inform, k, 0);
        return FALSE;
    }
    acs->st.in_session++;
    acs->st.in_session_max = MAX(acs->st.in_session_max, acs->st.in_session);
    pd->in_slot = 1;
    return TRUE;
}

/* A session past its handshake (Pending): with max_sessions_at = inform, the Inform arrives (a slot, or 8005), the
 * last response leaves (the slot is free), the HNB has it (the end), or has the 8005; with request_cpu = queued, a
 * request arrives (a worker, or the queue) and its CPU ends (the next request on its way, or the last response)
 * (file comment). */
static void on_inform_step(HnbSim *sim, const HnbEvent *ev, void *ud)
{
    HnbAcs *acs = ud;
    uint32_t k = ev->entity;
    Pending *pd = &acs->pend[k];
    switch ((PendingStep)pd->step) {
    case P_INFORM:
        if (!inform_admit(acs, k, ev->time))
            return;
        pd->step = P_SLOT_END;
        hnb_sim_schedule(sim, pd->slot_end, acs->k_inform, k, 0);
        return;
    case P_REQ_ARRIVE:
        if (pd->trip == 0 && acs->p->limit_at == HNB_ACS_LIMIT_AT_INFORM && !inform_admit(acs, k, ev->time))
            return;
        req_arrive(acs, k);
        return;
    case P_REQ_DONE: {
        unsigned t = pd->trip;
        pd->wk.cpu += pd->cpu[t];
        if (t == 0) { /* the first response reaches the HNB half a round trip from now: tally's first_response */
            HnbTime hs = pd->wk.hs_done + (pd->wk.plain ? 0 : acs->p->handshake_rtt);
            pd->wk.cpu1 = ev->time + pd->rtt[0] / 2 - hs - pd->rtt[0];
        }
        uint32_t w = pd->w;
        if (t + 1 < pd->wk.round_trips) { /* this response's flight, then the next request's */
            pd->trip++;
            pd->step = P_REQ_ARRIVE;
            hnb_sim_schedule(sim, ev->time + pd->rtt[t] / 2 + pd->rtt[t + 1] / 2, acs->k_inform, k, 0);
        } else { /* the last response leaves: the slot is free, the HNB has it half a round trip later */
            if (pd->in_slot)
                acs->st.in_session--;
            pd->end = ev->time + pd->rtt[t] / 2;
            pd->step = P_END;
            hnb_sim_schedule(sim, pd->end, acs->k_inform, k, 0);
        }
        release_worker(acs, w); /* last: it may start another request (pd may move no more: no record is made) */
        return;
    }
    case P_SLOT_END:
        acs->st.in_session--;
        pd->step = P_END;
        hnb_sim_schedule(sim, pd->end, acs->k_inform, k, 0);
        return;
    case P_END: {
        Worker wk = pd->wk;
        HnbTime rtt1 = pd->rtt1;
        pending_free(acs, k); /* before the call: session_end may connect again and grow the records */
        tally(acs, &wk, ev->time, rtt1);
        end_session(acs, wk.hnb, wk.gen, TRUE, (HnbCwmpAcsAction)wk.action, FALSE);
        return;
    }
    case P_REFUSED: {
        uint32_t i = pd->wk.hnb;
        uint8_t gen = pd->wk.gen;
        pending_free(acs, k);
        if (gen_of(acs, i) == gen)
            acs->client->session_end(acs->ctx, i, FALSE, HNB_CWMP_ACS_NOTHING);
        return;
    }
    }
}

static void on_cpu_done(HnbSim *sim, const HnbEvent *ev, void *ud)
{
    HnbAcs *acs = ud;
    Worker *wk = &acs->w[ev->entity];
    uint32_t i = wk->hnb;
    uint8_t gen = wk->gen, action = wk->action;
    HnbTime net = wk->plain ? 0 : acs->p->handshake_rtt, rtt1 = 0, rttn = 0;
    for (unsigned r = 0; r < wk->round_trips; r++) {
        HnbTime d = dsample(acs, acs->p->rtt, i);
        rtt1 = r == 0 ? d : rtt1;
        rttn = d;
        net += d;
    }
    if (acs->p->limit_at == HNB_ACS_LIMIT_AT_INFORM) {
        HnbTime hrtt = wk->plain ? 0 : acs->p->handshake_rtt;
        HnbTime inform = MAX(ev->time, wk->hs_done + hrtt + rtt1 / 2);
        uint32_t k = pending_new(acs, wk, ev->time + net - rttn / 2, ev->time + net, rtt1);
        release_worker(acs, ev->entity);
        hnb_sim_schedule(sim, inform, acs->k_inform, k, 0);
        return;
    }
    tally(acs, wk, ev->time + net, rtt1);
    release_worker(acs, ev->entity);
    if (net == 0) {
        end_session(acs, i, gen, TRUE, (HnbCwmpAcsAction)action, FALSE);
        return;
    }
    hnb_sim_schedule(sim, ev->time + net, acs->k_session_end, i, HNB_ARG(gen, action));
}

static void on_session_end(HnbSim *sim, const HnbEvent *ev, void *ud)
{
    (void)sim;
    end_session(ud, ev->entity, HNB_ARG_GEN(ev->arg), TRUE, (HnbCwmpAcsAction)HNB_ARG_PAYLOAD(ev->arg), FALSE);
}

static gboolean full(const HnbAcs *acs)
{
    const HnbAcsParams *p = acs->p;
    gboolean queue_full = p->queue_limit > 0 && acs->queued >= p->queue_limit;
    gboolean slots_full = p->limit_at == HNB_ACS_LIMIT_AT_CONNECT && acs->st.open >= p->max_sessions;
    return slots_full || (acs->st.busy >= p->workers && queue_full);
}

/* SYN number `syn` (0: the first) of HNB i's connect reaches the ACS. */
static void syn_arrives(HnbAcs *acs, uint32_t i, uint8_t gen, unsigned syn)
{
    /* SYN k is sent rto (2^k - 1) after the first (RFC 6298 5.5: the RTO doubles at each retransmission) */
    HnbTime t0 = hnb_sim_now(acs->sim) - (HnbTime)((UINT64_C(1) << syn) - 1) * acs->p->syn_rto;
    if (!full(acs)) {
        acs->st.refusing -= syn > 0; /* a retransmission got in */
        set_open(acs, acs->st.open + 1);
        if (acs->st.open > acs->st.open_max)
            acs->st.open_max = acs->st.open;
        take_worker(acs, i, gen, FALSE, t0);
        return;
    }
    if (syn == 0)
        acs->st.refusing++;
    if (acs->p->overload == HNB_ACS_REJECT_AFTER_HANDSHAKE) {
        take_worker(acs, i, gen, TRUE, t0);
        return;
    }
    /* dropped: the next SYN (or, after the last, the connect timeout) after the RTO, syn_rto doubled per SYN sent */
    acs->st.syn_dropped++;
    HnbTime rto = (HnbTime)(UINT64_C(1) << syn) * acs->p->syn_rto;
    hnb_sim_schedule(acs->sim, hnb_sim_now(acs->sim) + rto, acs->k_syn, i, HNB_ARG(gen, syn + 1));
}

static void on_syn(HnbSim *sim, const HnbEvent *ev, void *ud)
{
    HnbAcs *acs = ud;
    uint32_t i = ev->entity;
    uint8_t gen = HNB_ARG_GEN(ev->arg);
    unsigned syn = (unsigned)HNB_ARG_PAYLOAD(ev->arg);
    (void)sim;
    if (gen_of(acs, i) != gen) { /* the HNB rebooted: its TCP stack gave up with it */
        forget(acs, TRUE);
        return;
    }
    if (syn <= acs->p->syn_retries) {
        syn_arrives(acs, i, gen, syn);
        return;
    }
    acs->st.refusing--; /* connect timed out */
    acs->st.refused++;
    if (acs->observer)
        hnb_window_add(acs->observer, hnb_sim_now(acs->sim), 0, 1);
    acs->st.refused_syn++;
    acs->client->session_end(acs->ctx, i, FALSE, HNB_CWMP_ACS_NOTHING);
}

void hnb_acs_connect(HnbAcs *acs, uint32_t i)
{
    acs->st.sessions++;
    if (acs->observer)
        hnb_window_add(acs->observer, hnb_sim_now(acs->sim), 1, 0);
    syn_arrives(acs, i, gen_of(acs, i), 0);
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
    acs->k_syn = hnb_sim_register(sim, "acs.syn", on_syn, acs);
    acs->k_expire = hnb_sim_register(sim, "acs.session-timeout", on_expire, acs);
    if (p->limit_at == HNB_ACS_LIMIT_AT_INFORM || p->request_cpu == HNB_ACS_REQUESTS_QUEUED)
        /* registered only when used: kind ids of other runs unchanged */
        acs->k_inform = hnb_sim_register(sim, "acs.inform", on_inform_step, acs);
    hnb_gauge_init(&acs->st.busy_gauge, 0, 0);
    hnb_gauge_init(&acs->st.open_gauge, 0, 0);
    hnb_tally_init(&acs->st.lat.connect);
    hnb_tally_init(&acs->st.lat.handshake);
    hnb_tally_init(&acs->st.lat.first_response);
    hnb_tally_init(&acs->st.lat.session);
    if (p->row_latency)
        acs->ending = g_array_new(FALSE, FALSE, sizeof(Ending));
    return acs;
}

void hnb_acs_free(HnbAcs *acs)
{
    if (!acs)
        return;
    for (int64_t w = 0; w < acs->p->workers; w++)
        if (acs->w[w].busy && (acs->w[w].hs.real || acs->w[w].hs.sampled))
            hnb_acs_tls_abandon(acs->tls, &acs->w[w].hs); /* the run ended with this handshake in flight */
    hnb_tally_clear(&acs->st.lat.connect);
    hnb_tally_clear(&acs->st.lat.handshake);
    hnb_tally_clear(&acs->st.lat.first_response);
    hnb_tally_clear(&acs->st.lat.session);
    if (acs->ending)
        g_array_free(acs->ending, TRUE);
    g_free(acs->w);
    g_free(acs->free_w);
    g_free(acs->pend);
    g_free(acs->free_p);
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
