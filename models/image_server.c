/* models/image_server.c — the image server and the download campaign as a fleet part (see image_server.h).
 *
 * Invariants (outside a handler):
 *   - `event` is the pending "download.done" event at the earliest completion of a running download, or 0 when none
 *     runs: every change to the running set re-aims it, a restart's cut included.
 *   - a waiting HNB is in `queued`, with its ticket (its place in the FIFO, which also holds when it joined);
 *     besides, an HNB the server knows has one record in `recs`, in one state: GRANTED (a slot is reserved: its
 *     Download RPC is out), ACTIVE (downloading), HELD (idle, keeping the bytes of a cut download for a Range request,
 *     waiting or not).  A record with nothing to keep is removed.  Why waiting HNBs have no record: a national
 *     fleet's golden storm queues every affected HNB (3M of 10M in issue 16's benchmark), and a record (48 bytes) with
 *     its pointer in the map cost ~90 bytes each where the map entry and the FIFO's ticket cost ~45.
 *   - in_use = GRANTED + ACTIVE records, <= max_concurrent when the cap is on.
 *   - the queue is not empty only while no slot is free, or while the campaign rate holds the next RPC back — then
 *     `tick` is pending at next_rpc.  `waiting` counts the QUEUED records; the FIFO may also hold the tickets of
 *     HNBs that restarted, skipped when they reach its head (lazy deletion: no search on a restart).
 * Cost: O(1) per request, grant and restart besides download.c's O(log n).
 */
#include "models/image_server.h"

#include <math.h>

typedef enum { R_HELD, R_GRANTED, R_ACTIVE } RecState; /* a new record is HELD with 0 bytes */

typedef struct {
    uint8_t state;  /* RecState */
    double held;     /* bytes of the image it holds (resume) */
    HnbTime started; /* ACTIVE: when its download started */
    double bytes;    /* ACTIVE: what that download sends (the image, or the rest of it) */
} Rec;

typedef struct {
    uint32_t hnb, ticket;
    HnbTime since; /* when it joined */
} Ticket;

struct HnbImageServer {
    HnbSim *sim;
    HnbImageServerParams p;
    const HnbImageServerClient *client;
    void *ctx;
    HnbDownloads *dl;
    HnbEventId event; /* the earliest completion */
    HnbEventId tick;  /* the campaign rate's next RPC, while the queue waits for it */
    uint32_t k_done, k_tick;
    GHashTable *recs;   /* hnb -> Rec */
    GHashTable *queued; /* hnb -> its ticket (>= 1; 32-bit keys and values: GLib keeps them in 32-bit arrays) */
    Ticket *fifo;     /* ring buffer */
    size_t head, len, cap;
    size_t waiting;
    uint32_t tickets;
    uint32_t in_use;
    HnbTime rpc_gap, next_rpc; /* ns between Download RPCs (0: unlimited); the earliest time of the next */
    HnbImageServerStats st;
};

unsigned hnb_dl_fault_code(HnbDlFault f)
{
    static const unsigned codes[HNB_DL_FAULT_COUNT] = {9010, 9017};
    g_return_val_if_fail(f < HNB_DL_FAULT_COUNT, 0);
    return codes[f];
}

/* ---- records and the FIFO ---- */

static Rec *rec_get(HnbImageServer *s, uint32_t hnb)
{
    return g_hash_table_lookup(s->recs, GUINT_TO_POINTER(hnb));
}

static Rec *rec_add(HnbImageServer *s, uint32_t hnb)
{
    Rec *r = g_new0(Rec, 1);
    g_hash_table_insert(s->recs, GUINT_TO_POINTER(hnb), r);
    return r;
}

static void rec_remove(HnbImageServer *s, uint32_t hnb)
{
    g_hash_table_remove(s->recs, GUINT_TO_POINTER(hnb));
}

static void fifo_push(HnbImageServer *s, Ticket t)
{
    if (s->len == s->cap) { /* grow by doubling, unrolling the ring */
        size_t cap = s->cap ? 2 * s->cap : 64;
        Ticket *a = g_new(Ticket, cap);
        for (size_t k = 0; k < s->len; k++)
            a[k] = s->fifo[(s->head + k) % s->cap];
        g_free(s->fifo);
        s->fifo = a;
        s->cap = cap;
        s->head = 0;
    }
    s->fifo[(s->head + s->len++) % s->cap] = t;
}

static uint32_t queued_ticket(const HnbImageServer *s, uint32_t hnb)
{
    return GPOINTER_TO_UINT(g_hash_table_lookup(s->queued, GUINT_TO_POINTER(hnb))); /* 0: not waiting */
}

/* The first HNB still waiting, taken off the FIFO and out of `queued` (the tickets of restarted HNBs before it go
 * too); *since: when it joined. */
static uint32_t fifo_pop_live(HnbImageServer *s, HnbTime *since)
{
    for (;;) {
        g_assert(s->len > 0); /* waiting > 0 */
        Ticket t = s->fifo[s->head];
        s->head = (s->head + 1) % s->cap;
        s->len--;
        if (queued_ticket(s, t.hnb) == t.ticket) {
            g_hash_table_remove(s->queued, GUINT_TO_POINTER(t.hnb));
            *since = t.since;
            return t.hnb;
        }
    }
}

/* ---- the campaign ---- */

static gboolean slot_free(const HnbImageServer *s)
{
    return s->p.max_concurrent == 0 || s->in_use < s->p.max_concurrent;
}

/* The Download RPC goes out now: a slot is the HNB's. */
static void grant(HnbImageServer *s, Rec *r, HnbTime now)
{
    r->state = R_GRANTED;
    s->in_use++;
    s->next_rpc = now + s->rpc_gap;
}

/* Give free slots to the head of the queue, as the rate allows; if only the rate holds it back, wake at next_rpc.
 * `granted` may start sessions: the loop re-reads the state each time round. */
static void pump(HnbImageServer *s)
{
    HnbTime now = hnb_sim_now(s->sim);
    while (s->waiting > 0 && slot_free(s)) {
        if (now < s->next_rpc) {
            if (!s->tick)
                s->tick = hnb_sim_schedule(s->sim, s->next_rpc, s->k_tick, 0, 0);
            return;
        }
        HnbTime since;
        uint32_t hnb = fifo_pop_live(s, &since);
        Rec *r = rec_get(s, hnb); /* HELD, or none */
        if (!r)
            r = rec_add(s, hnb);
        s->waiting--;
        s->st.queued++;
        s->st.queue_wait_s += hnb_time_to_sec(now - since);
        grant(s, r, now);
        s->client->granted(s->ctx, hnb);
    }
}

static void on_tick(HnbSim *sim, const HnbEvent *ev, void *ud)
{
    HnbImageServer *s = ud;
    (void)sim;
    (void)ev;
    s->tick = 0;
    pump(s);
}

/* One kernel event stands for the earliest completion: re-aim it after every change. */
static void aim(HnbImageServer *s)
{
    HnbTime when;
    uint32_t id;
    if (s->event)
        hnb_sim_cancel(s->sim, s->event);
    s->event = 0;
    double rate = hnb_downloads_rate(s->dl);
    if (rate > s->st.peak_bps)
        s->st.peak_bps = rate;
    if (hnb_downloads_next(s->dl, hnb_sim_now(s->sim), &when, &id))
        s->event = hnb_sim_schedule(s->sim, when, s->k_done, id, 0);
}

static void on_done(HnbSim *sim, const HnbEvent *ev, void *ud)
{
    HnbImageServer *s = ud;
    (void)sim;
    s->event = 0;
    hnb_downloads_finish(s->dl, ev->time, ev->entity);
    const Rec *r = rec_get(s, ev->entity);
    if (ev->time > r->started)
        hnb_tally_add(&s->st.mbps, r->bytes * 8 / hnb_time_to_sec(ev->time - r->started) / 1e6);
    rec_remove(s, ev->entity);
    s->in_use--;
    s->st.completed++;
    s->st.last_done = ev->time;
    s->client->done(s->ctx, ev->entity);
    pump(s);
    aim(s);
}

/* A running download stops now: counted as a fault; returns the bytes this attempt received. */
static double cut(HnbImageServer *s, uint32_t hnb, HnbDlFault fault)
{
    double got = hnb_downloads_cancel(s->dl, hnb_sim_now(s->sim), hnb);
    s->in_use--;
    s->st.failed++;
    s->st.faults[fault]++;
    return got;
}

/* ---- public ---- */

HnbImageServer *hnb_image_server_new(HnbSim *sim, const HnbImageServerParams *p, const HnbImageServerClient *client,
                                     void *ctx)
{
    g_return_val_if_fail(sim != NULL && p != NULL && client != NULL && client->granted && client->done, NULL);
    g_return_val_if_fail(p->campaign_rate >= 0, NULL);
    HnbImageServer *s = g_new0(HnbImageServer, 1);
    *s = (HnbImageServer){.sim = sim, .p = *p, .client = client, .ctx = ctx};
    s->dl = hnb_downloads_new(p->bandwidth);
    s->recs = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
    s->queued = g_hash_table_new(g_direct_hash, g_direct_equal);
    /* at least 1 ns apart: a rate above 1e9/s is unlimited in all but name */
    s->rpc_gap = p->campaign_rate > 0 ? MAX((HnbTime)llround(1e9 / p->campaign_rate), 1) : 0;
    s->st.first_start = s->st.last_done = -1;
    hnb_tally_init(&s->st.mbps);
    s->k_done = hnb_sim_register(sim, "download.done", on_done, s);
    s->k_tick = hnb_sim_register(sim, "download.campaign", on_tick, s);
    return s;
}

void hnb_image_server_free(HnbImageServer *s)
{
    if (!s)
        return;
    hnb_downloads_free(s->dl);
    hnb_tally_clear(&s->st.mbps);
    g_hash_table_destroy(s->recs);
    g_hash_table_destroy(s->queued);
    g_free(s->fifo);
    g_free(s);
}

gboolean hnb_image_server_request(HnbImageServer *s, uint32_t hnb)
{
    HnbTime now = hnb_sim_now(s->sim);
    if (queued_ticket(s, hnb))
        return FALSE;
    Rec *r = rec_get(s, hnb);
    g_return_val_if_fail(!r || r->state != R_ACTIVE, FALSE);
    if (r && r->state == R_GRANTED)
        return TRUE;
    /* first come, first served: a free slot goes to the queue's head before a newcomer */
    if (s->waiting == 0 && slot_free(s) && now >= s->next_rpc) {
        grant(s, r ? r : rec_add(s, hnb), now);
        return TRUE;
    }
    uint32_t ticket = ++s->tickets;
    g_assert(ticket != 0); /* 2^32 requests would wrap: 0 means "not waiting" */
    g_hash_table_insert(s->queued, GUINT_TO_POINTER(hnb), GUINT_TO_POINTER(ticket));
    fifo_push(s, (Ticket){hnb, ticket, now});
    if (++s->waiting > s->st.queue_peak)
        s->st.queue_peak = s->waiting;
    pump(s); /* a free slot held back by the rate only: set the tick (grants nothing now) */
    return FALSE;
}

void hnb_image_server_start(HnbImageServer *s, uint32_t hnb, double cap_bps)
{
    Rec *r = rec_get(s, hnb);
    g_return_if_fail(r != NULL && r->state == R_GRANTED);
    HnbTime now = hnb_sim_now(s->sim);
    if (r->held > 0)
        s->st.resumed++; /* Range: bytes=held- (RFC 7233 §3.1), answered 206 */
    r->state = R_ACTIVE;
    r->started = now;
    r->bytes = MAX(s->p.image_bytes - r->held, 0.0);
    hnb_downloads_start(s->dl, now, hnb, r->bytes, cap_bps);
    s->st.started++;
    if (s->st.first_start < 0)
        s->st.first_start = now;
    aim(s);
}

void hnb_image_server_cancel(HnbImageServer *s, uint32_t hnb)
{
    Rec *r = rec_get(s, hnb);
    g_return_if_fail(r != NULL && r->state == R_ACTIVE);
    double got = cut(s, hnb, HNB_DL_FAULT_9017);
    if (s->p.resume) {
        r->held += got;
        r->state = R_HELD;
    } else {
        rec_remove(s, hnb);
    }
    pump(s);
    aim(s);
}

gboolean hnb_image_server_restart(HnbImageServer *s, uint32_t hnb)
{
    if (g_hash_table_remove(s->queued, GUINT_TO_POINTER(hnb)))
        s->waiting--; /* its ticket stays in the FIFO, dead */
    Rec *r = rec_get(s, hnb);
    if (!r)
        return FALSE;
    RecState was = (RecState)r->state; /* HELD if it was waiting */
    if (was == R_ACTIVE)
        cut(s, hnb, HNB_DL_FAULT_9010);
    else if (was == R_GRANTED)
        s->in_use--;
    rec_remove(s, hnb);
    if (was == R_ACTIVE || was == R_GRANTED)
        pump(s);
    if (was == R_ACTIVE)
        aim(s);
    return was == R_ACTIVE;
}

const HnbImageServerStats *hnb_image_server_stats(const HnbImageServer *s)
{
    return &s->st;
}

size_t hnb_image_server_active(const HnbImageServer *s)
{
    return hnb_downloads_active(s->dl);
}

size_t hnb_image_server_waiting(const HnbImageServer *s)
{
    return s->waiting;
}

double hnb_image_server_bytes_delivered(HnbImageServer *s, HnbTime now)
{
    return hnb_downloads_bytes_delivered(s->dl, now);
}
