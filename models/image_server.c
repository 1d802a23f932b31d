/* models/image_server.c — the image server as a fleet part (see image_server.h).
 *
 * Invariant (outside a handler): `event` is the pending "download.done" event at the earliest completion of an
 * active download, or 0 when none is active — except after hnb_image_server_cancel_stale, until the next change.
 */
#include "models/image_server.h"

struct HnbImageServer {
    HnbSim *sim;
    HnbImageServerParams p;
    HnbImageServerDone done;
    void *ctx;
    HnbDownloads *dl;
    HnbEventId event; /* the earliest completion */
    uint32_t k_done;
    HnbImageServerStats st;
};

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
    s->st.completed++;
    s->done(s->ctx, ev->entity);
    aim(s);
}

HnbImageServer *hnb_image_server_new(HnbSim *sim, const HnbImageServerParams *p, HnbImageServerDone done, void *ctx)
{
    g_return_val_if_fail(sim != NULL && p != NULL && done != NULL, NULL);
    HnbImageServer *s = g_new0(HnbImageServer, 1);
    *s = (HnbImageServer){.sim = sim, .p = *p, .done = done, .ctx = ctx};
    s->dl = hnb_downloads_new(p->bandwidth);
    s->k_done = hnb_sim_register(sim, "download.done", on_done, s);
    return s;
}

void hnb_image_server_free(HnbImageServer *s)
{
    if (!s)
        return;
    hnb_downloads_free(s->dl);
    g_free(s);
}

void hnb_image_server_start(HnbImageServer *s, uint32_t hnb, double cap_bps)
{
    hnb_downloads_start(s->dl, hnb_sim_now(s->sim), hnb, s->p.image_bytes, cap_bps);
    s->st.started++;
    aim(s);
}

void hnb_image_server_cancel_stale(HnbImageServer *s, uint32_t hnb)
{
    hnb_downloads_cancel(s->dl, hnb_sim_now(s->sim), hnb);
    s->st.failed++;
}

void hnb_image_server_cancel(HnbImageServer *s, uint32_t hnb)
{
    hnb_image_server_cancel_stale(s, hnb);
    aim(s);
}

const HnbImageServerStats *hnb_image_server_stats(const HnbImageServer *s)
{
    return &s->st;
}

size_t hnb_image_server_active(const HnbImageServer *s)
{
    return hnb_downloads_active(s->dl);
}

double hnb_image_server_bytes_delivered(HnbImageServer *s, HnbTime now)
{
    return hnb_downloads_bytes_delivered(s->dl, now);
}
