/* models/hnb_power.c — the HNBs' power and clocks: each HNB's own power failures, one regional outage, the clock
 * that restarts from its last save when power returns, drift, NTP.
 *
 * Streams: "power" (the HNB's own failure process and outages, on its draw counter), "power.region" (who is in the
 * region and how long its outage lasts: the HNBs' own processes draw the same numbers with or without it),
 * "hnb.ntp" (the NTP delay, counted by the restore time), "hnb.phase" draws 1 and 2 (clock-save phase, drift).
 */
#include "models/hnb_private.h"

#include <math.h>

/* Power: failures at exponential intervals of mean power_mtbf (the HNB's own, on the "power" stream), each lasting a
 * power_outage draw.  The local clock restarts from the last time the HNB saved (TS 33.320 clause 6.3.1 restoration
 * of power): taken here as the moment of the failure, so after an outage of d the clock is d behind until a session
 * (or NTP) corrects it. */
#define POWER_WAS_BRICKED (UINT64_C(1) << 55)
#define POWER_REGIONAL (UINT64_C(1) << 54) /* the regional outage, not the HNB's own failure process */
#define POWER_OUTAGE_MAX ((HnbTime)(POWER_REGIONAL - 1)) /* 208 days */

void hnb_power_schedule_failure(HnbPopulation *pop, uint32_t i, HnbTime from)
{
    if (pop->p.power_mtbf <= 0)
        return;
    double u = hnb_rng_uniform(pop->s.power, i, pop->hnb[i].draws++);
    HnbTime t = from + (HnbTime)fmin(hnb_exp_from_uniform((double)pop->p.power_mtbf, u), 9e18);
    if (t <= pop->duration) /* no power failure is ever cancelled: it runs whatever state the HNB is in */
        hnb_sim_schedule(pop->sim, t, pop->k_power_fail, i, 0);
}

static void on_power_fail(HnbSim *sim, const HnbEvent *ev, void *ud)
{
    HnbPopulation *pop = ud;
    uint32_t i = ev->entity;
    Hnb *h = &pop->hnb[i];
    gboolean regional = ev->arg == 1;
    if (regional && h->state == HNB_S_OFF)
        return; /* already without power */
    pop->st.power_failures++;
    hnb_pop_cut_download(pop, i);
    if (h->timer)
        hnb_sim_cancel(sim, h->timer);
    h->timer = 0;
    h->gen++;
    hnb_hems_lost(&pop->parts.hems, i); /* a real H(e)MS's connections go with the power */
    h->flags &= (uint8_t)~HNB_F_IN_SESSION;
    hnb_pop_forget_tls(pop, i);
    hnb_pop_tunnel_lost(pop, i);
    hnb_pop_leave_service(pop, i);
    HnbState was = (HnbState)h->state;
    hnb_pop_set_state(pop, i, HNB_S_OFF);
    HnbTime d;
    if (regional) { /* its own stream, so the HNBs' own failure processes draw the same numbers with or without it */
        HnbRng r = hnb_rng_at(pop->s.region, i, 1);
        d = hnb_dist_sample_time(pop->p.region_outage, &r);
    } else {
        HnbRng r = hnb_rng_at(pop->s.power, i, h->draws);
        d = hnb_dist_sample_time(pop->p.power_outage, &r);
        h->draws = (uint32_t)r.counter;
    }
    if (d > POWER_OUTAGE_MAX)
        d = POWER_OUTAGE_MAX;
    /* the arg carries the outage (for the clock), whether the HNB was bricked (power does not restore images) and
     * whether it was the regional outage (which does not start another failure process) */
    hnb_sim_schedule(sim, ev->time + d, pop->k_power_restore, i,
                     HNB_ARG(h->gen, (uint64_t)d | (was == HNB_S_BRICKED ? POWER_WAS_BRICKED : 0) |
                                         (regional ? POWER_REGIONAL : 0)));
}

/* The clock restarts from the last time the HNB saved it: with [power] clock_save_interval S, at its own phase
 * p_i + kS (the phase is draw 1 of "hnb.phase"; draw 0 is the Inform phase); returns how long before the failure at
 * t that was. */
static HnbTime clock_lost(HnbPopulation *pop, uint32_t i, HnbTime t)
{
    HnbTime S = pop->p.clock_save;
    if (S <= 0)
        return 0;
    HnbTime phase = (HnbTime)(hnb_rng_uniform(pop->s.phase, i, 1) * (double)S);
    HnbTime since = (t - phase) % S;
    return since < 0 ? since + S : since;
}

/* Each HNB's clock rate error: uniform in +-[power] clock_drift (draw 2 of "hnb.phase"). */
static double drift_of(const HnbPopulation *pop, uint32_t i)
{
    return pop->p.clock_drift > 0 ? (2 * hnb_rng_uniform(pop->s.phase, i, 2) - 1) * pop->p.clock_drift : 0;
}

G_STATIC_ASSERT(sizeof(gpointer) >= sizeof(HnbTime)); /* clock_off keeps an offset in its value pointer */

void hnb_power_clocks_init(HnbPopulation *pop)
{
    if (pop->p.clock_drift > 0)
        pop->clock = g_new0(struct HnbClock, pop->p.n); /* t = 0: every offset 0, set at 0 */
    else
        pop->clock_off = g_hash_table_new(g_direct_hash, g_direct_equal);
}

void hnb_power_clocks_clear(HnbPopulation *pop)
{
    g_free(pop->clock);
    if (pop->clock_off)
        g_hash_table_destroy(pop->clock_off);
}

HnbTime hnb_population_clock(const HnbPopulation *pop, uint32_t i, HnbTime t)
{
    if (pop->clock) {
        const struct HnbClock *c = &pop->clock[i];
        return t + c->offset + (HnbTime)(drift_of(pop, i) * (double)(t - c->set));
    }
    /* no drift: the drift term is exactly 0, whenever the offset was set */
    if (g_hash_table_size(pop->clock_off) == 0)
        return t;
    return t + (HnbTime)(intptr_t)g_hash_table_lookup(pop->clock_off, GUINT_TO_POINTER(i));
}

/* From now on HNB i's clock reads true time + offset (and drifts from there). */
void hnb_power_set_clock(HnbPopulation *pop, uint32_t i, HnbTime offset)
{
    if (pop->clock) {
        pop->clock[i] = (struct HnbClock){offset, hnb_sim_now(pop->sim)};
    } else if (offset != 0) {
        g_hash_table_insert(pop->clock_off, GUINT_TO_POINTER(i), (gpointer)(intptr_t)offset);
    } else if (g_hash_table_size(pop->clock_off) > 0) {
        g_hash_table_remove(pop->clock_off, GUINT_TO_POINTER(i));
    }
}

static void on_ntp(HnbSim *sim, const HnbEvent *ev, void *ud)
{
    HnbPopulation *pop = ud;
    (void)sim;
    if (HNB_ARG_GEN(ev->arg) == pop->hnb[ev->entity].gen)
        hnb_power_set_clock(pop, ev->entity, 0);
}

static void on_power_restore(HnbSim *sim, const HnbEvent *ev, void *ud)
{
    HnbPopulation *pop = ud;
    uint32_t i = ev->entity;
    Hnb *h = &pop->hnb[i];
    if (HNB_ARG_GEN(ev->arg) != h->gen || h->state != HNB_S_OFF)
        return;
    uint64_t payload = HNB_ARG_PAYLOAD(ev->arg);
    HnbTime d = (HnbTime)(payload & POWER_OUTAGE_MAX);
    hnb_power_set_clock(pop, i, hnb_population_clock(pop, i, ev->time - d) - (ev->time - d) - d - clock_lost(pop, i, ev->time - d));
    if (!(payload & POWER_REGIONAL))
        hnb_power_schedule_failure(pop, i, ev->time);
    else if (pop->st.region_restored_at == HNB_TIME_NEVER || ev->time > pop->st.region_restored_at)
        pop->st.region_restored_at = ev->time;
    if (payload & POWER_WAS_BRICKED)
        hnb_pop_set_state(pop, i, HNB_S_BRICKED);
    else
        hnb_pop_reboot(pop, i, 0); /* a new generation */
    if (pop->p.ntp) { /* its own stream, counted by the restore time: turning NTP on shifts no other draw */
        HnbRng r = hnb_rng_at(pop->s.ntp, i, (uint64_t)ev->time << 4);
        HnbTime wait = hnb_dist_sample_time(pop->p.ntp_delay, &r);
        hnb_sim_schedule(sim, ev->time + wait, pop->k_ntp, i, HNB_ARG(h->gen, 0));
    }
}

void hnb_power_register(HnbPopulation *pop)
{
    pop->k_power_fail = hnb_sim_register(pop->sim, "power.fail", on_power_fail, pop);
    pop->k_power_restore = hnb_sim_register(pop->sim, "power.restore", on_power_restore, pop);
    pop->k_ntp = hnb_sim_register(pop->sim, "hnb.ntp", on_ntp, pop);
}
