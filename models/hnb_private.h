/* models/hnb_private.h — the HNB population's state, shared by its two files: hnb.c (an HNB's life) and hnb_power.c
 * (power and clocks).  No other part includes it: they see models/hnb.h.
 */
#ifndef HNB_HNB_PRIVATE_H
#define HNB_HNB_PRIVATE_H

#include "models/hnb.h"

struct HnbPopulation {
    HnbSim *sim;
    HnbPopulationParams p;
    HnbTime duration;
    struct {
        HnbStream phase, boot, boot_delay, retry, link, power, region, ntp, ike_retry;
    } s;
    HnbPopulationParts parts;
    Hnb *hnb; /* p.n records */
    /* Each HNB's clock (hnb_power.c): local time = true time + offset, drifting from `set`, the time offset was set
     * (by a power loss; a session or NTP sets it to 0).  With [power] clock_drift every HNB's pair matters (its drift
     * runs from its latest correction): clock[i].  Without, only an offset that is not 0 does: clock_off maps those
     * few HNBs (off, or back on and not yet corrected) to it, and nothing else is kept. */
    struct HnbClock {
        HnbTime offset, set;
    } *clock;
    GHashTable *clock_off; /* without drift: HNB index -> offset (HnbTime in the pointer) */
    uint32_t k_inform, k_retry, k_boot, k_install, k_reboot, k_dl_timeout, k_power_fail, k_power_restore, k_ntp,
        k_wake, k_ike_retry;
    uint8_t *published; /* per variant: its fixed image is on the H(e)MS */
    HnbPopulationStats st;
};

static inline void hnb_pop_set_state(HnbPopulation *pop, uint32_t i, HnbState s)
{
    Hnb *h = &pop->hnb[i];
    pop->st.count[h->state]--;
    pop->st.count[s]++;
    h->state = (uint8_t)s;
}

/* With a SeGW, HNB i's tunnel is up or why not (HnbTunnel), counted in st.tunnel; nothing without one. */
static inline void hnb_pop_set_tunnel(HnbPopulation *pop, uint32_t i, HnbTunnel t)
{
    Hnb *h = &pop->hnb[i];
    if (!pop->parts.segw)
        return;
    pop->st.tunnel[h->tunnel]--;
    pop->st.tunnel[t]++;
    h->tunnel = (uint8_t)t;
}

/* HNB i reboots or loses power: its tunnel goes stale at the SeGW (or its set-up is abandoned). */
static inline void hnb_pop_tunnel_lost(HnbPopulation *pop, uint32_t i)
{
    if (!pop->parts.segw)
        return;
    hnb_segw_lost(pop->parts.segw, i);
    hnb_pop_set_tunnel(pop, i, HNB_TUN_DOWN);
}

/* hnb.c */
void hnb_pop_leave_service(HnbPopulation *pop, uint32_t i); /* once: the downtime clock starts */
/* Power-cycle or reboot now (+delay): whatever this life had pending is stale; the boot sequence starts. */
void hnb_pop_reboot(HnbPopulation *pop, uint32_t i, HnbTime delay);
/* It restarts: a download in progress is cut (reported after the boot), its place in the download campaign lost, and
 * a background update (HNB_F_UPDATING) abandoned. */
void hnb_pop_cut_download(HnbPopulation *pop, uint32_t i);
void hnb_pop_forget_tls(HnbPopulation *pop, uint32_t i); /* a reboot or power loss loses the TLS session cache */
void hnb_pop_open_session(HnbPopulation *pop, uint32_t i); /* it connects to the ACS now */
/* hnb_fix.c: the population's side of the fix */
static inline gboolean hnb_pop_published(const HnbPopulation *pop, uint32_t i)
{
    return pop->published && pop->published[i % pop->p.variants];
}
static inline gboolean hnb_active_fixed(const Hnb *h)
{
    return (h->images & ((h->images & HNB_IMG_ON_B) ? HNB_IMG_B_FIXED : HNB_IMG_A_FIXED)) != 0;
}
/* Does the H(e)MS push HNB i an image at its session now? */
gboolean hnb_fix_wants_image(const HnbPopulation *pop, uint32_t i);
void hnb_fix_register(HnbPopulation *pop); /* its event kinds */

/* hnb_power.c */
void hnb_power_register(HnbPopulation *pop); /* its event kinds */
void hnb_power_clocks_init(HnbPopulation *pop);  /* every clock true (t = 0) */
void hnb_power_clocks_clear(HnbPopulation *pop);
/* HNB i's next power failure after `from`, if [power] mtbf is set and it falls within the run. */
void hnb_power_schedule_failure(HnbPopulation *pop, uint32_t i, HnbTime from);
/* From now on HNB i's clock reads true time + offset (and drifts from there). */
void hnb_power_set_clock(HnbPopulation *pop, uint32_t i, HnbTime offset);

#endif
