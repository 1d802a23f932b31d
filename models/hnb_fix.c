/* models/hnb_fix.c — the population's side of the fix (models/fix.h): which image the H(e)MS pushes to whom, and the
 * fleet-wide campaign once a variant's fixed image is published.
 *
 * The hole belongs to the release image: an HNB whose active bank holds the fixed image (HNB_IMG_*_FIXED) cannot be
 * rewritten (hnb.c attack_rewrite).  What the H(e)MS pushes (TR-069 A.3.2.8 Download, FileType "1 Firmware Upgrade
 * Image"):
 *   - to an HNB that lost its image (golden module, a failed download: HNB_F_NEEDS_IMAGE): the fixed image once its
 *     variant's is published; before that the vulnerable release ([recovery] image = release) or nothing (fixed: the
 *     session ends without a Download and the golden module asks again per its retry policy, TR-069 3.2.1.1);
 *   - to an HNB in service on the vulnerable release, once its variant's fix is published: the fix, downloaded and
 *     installed in the background (the HNB keeps serving), then a reboot into it.
 * The campaign reaches an HNB at its next session (its periodic Inform: the fleet is covered within one
 * PeriodicInformInterval), or sooner when the H(e)MS sends Connection Requests ([fix] connection_requests per second,
 * TR-069 3.2.2, shared evenly by the variants' campaigns), walking the variant's HNBs in index order and skipping
 * those that need nothing.
 */
#include "models/hnb_private.h"

gboolean hnb_fix_wants_image(const HnbPopulation *pop, uint32_t i)
{
    const Hnb *h = &pop->hnb[i];
    gboolean published = hnb_pop_published(pop, i);
    if (h->flags & HNB_F_NEEDS_IMAGE)
        return published || !pop->p.recovery_fixed;
    return published && h->state == HNB_S_RUNNING && !(h->flags & HNB_F_UPDATING) && !hnb_active_fixed(h);
}

/* A Connection Request reaches HNB i if it can open a session now (in service or in its golden module, idle). */
static gboolean wake(HnbPopulation *pop, uint32_t i)
{
    Hnb *h = &pop->hnb[i];
    if ((h->state != HNB_S_RUNNING && h->state != HNB_S_GOLDEN) || (h->flags & (HNB_F_IN_SESSION | HNB_F_UPDATING)) ||
        !hnb_fix_wants_image(pop, i))
        return FALSE;
    if (h->timer)
        hnb_sim_cancel(pop->sim, h->timer); /* its periodic Inform or retry: the session happens now instead */
    h->events |= HNB_CWMP_EV_CONNECTION_REQUEST;
    hnb_pop_open_session(pop, i);
    pop->st.woken++;
    return TRUE;
}

/* The campaign's next Connection Request: the first HNB from `entity` on (step: the variant count) that needs it. */
static void on_wake(HnbSim *sim, const HnbEvent *ev, void *ud)
{
    HnbPopulation *pop = ud;
    uint32_t V = pop->p.variants, i = ev->entity;
    while (i < pop->p.n && !wake(pop, i))
        i += V;
    if (i < pop->p.n && (uint64_t)i + V < pop->p.n)
        hnb_sim_schedule(sim, ev->time + hnb_time_from_sec(V / pop->p.wake_rate), pop->k_wake, i + V, 0);
}

void hnb_population_fix_published(void *ctx, uint32_t variant)
{
    HnbPopulation *pop = ctx;
    pop->published[variant] = 1;
    if (pop->p.wake_rate > 0 && variant < pop->p.n)
        hnb_sim_schedule(pop->sim, hnb_sim_now(pop->sim), pop->k_wake, variant, 0);
}

void hnb_fix_register(HnbPopulation *pop)
{
    if (pop->p.variants == 0)
        return; /* no fix in this run: no kinds, so the event order is that of a run without the part */
    pop->published = g_new0(uint8_t, pop->p.variants);
    pop->k_wake = hnb_sim_register(pop->sim, "fix.wake", on_wake, pop);
}
